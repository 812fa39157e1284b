/* rel-onnx-export.c — RelModel → ONNX protobuf via protobuf-c's pack.
 *
 * Every message is built on the stack or in @pool (freed together after
 * packing); strings point into the model, which outlives the call.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-onnx-export.h"
#include "rel-atomic-file.h"
#include "rel-error.h"
#include "onnx.pb-c.h"

#include <string.h>

#define EXPORT_OPSET 13
#define EXPORT_IR 8

static gpointer
pool_add (GPtrArray *pool, gpointer p)
{
  g_ptr_array_add (pool, p);
  return p;
}

#define POOL_NEW(pool, type, n) ((type *) pool_add ((pool), g_new0 (type, (n))))

static Onnx__ValueInfoProto *
value_info (GPtrArray *pool, const RelValue *v)
{
  Onnx__ValueInfoProto *vi = POOL_NEW (pool, Onnx__ValueInfoProto, 1);
  Onnx__TypeProto *tp = POOL_NEW (pool, Onnx__TypeProto, 1);
  Onnx__TypeProto__Tensor *tt = POOL_NEW (pool, Onnx__TypeProto__Tensor, 1);

  onnx__value_info_proto__init (vi);
  onnx__type_proto__init (tp);
  onnx__type_proto__tensor__init (tt);
  vi->name = v->name;
  vi->type = tp;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  tt->has_elem_type = TRUE;
  tt->elem_type = v->dtype == REL_DTYPE_INT64 ? ONNX__TENSOR_PROTO__DATA_TYPE__INT64
                                              : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  if (v->ndim >= 0)
    {
      Onnx__TensorShapeProto *sp = POOL_NEW (pool, Onnx__TensorShapeProto, 1);
      onnx__tensor_shape_proto__init (sp);
      sp->n_dim = (size_t) v->ndim;
      sp->dim = POOL_NEW (pool, Onnx__TensorShapeProto__Dimension *, MAX (v->ndim, 1));
      for (int d = 0; d < v->ndim; d++)
        {
          Onnx__TensorShapeProto__Dimension *dim = POOL_NEW (pool, Onnx__TensorShapeProto__Dimension, 1);
          onnx__tensor_shape_proto__dimension__init (dim);
          if (v->shape[d] >= 0)
            {
              dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
              dim->dim_value = v->shape[d];
            }
          else
            {
              dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
              dim->dim_param = (char *) "N";
            }
          sp->dim[d] = dim;
        }
      tt->shape = sp;
    }
  return vi;
}

static Onnx__TensorProto *
tensor_proto (GPtrArray *pool, const char *name, const RelTensor *t)
{
  Onnx__TensorProto *tp = POOL_NEW (pool, Onnx__TensorProto, 1);

  onnx__tensor_proto__init (tp);
  tp->name = (char *) name;
  tp->n_dims = (size_t) t->ndim;
  tp->dims = POOL_NEW (pool, int64_t, MAX (t->ndim, 1));
  memcpy (tp->dims, t->shape, sizeof (int64_t) * (gsize) t->ndim);
  tp->has_data_type = TRUE;
  tp->data_type = t->dtype == REL_DTYPE_INT64 ? ONNX__TENSOR_PROTO__DATA_TYPE__INT64
                                              : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  /* raw_data is little-endian; so is every host the core builds on */
  tp->has_raw_data = TRUE;
  tp->raw_data.len = (size_t) t->numel * (t->dtype == REL_DTYPE_INT64 ? 8 : 4);
  tp->raw_data.data = t->data;
  return tp;
}

static Onnx__AttributeProto *
attribute (GPtrArray *pool, const RelAttr *a, const RelNode *node, GError **error)
{
  Onnx__AttributeProto *ap = POOL_NEW (pool, Onnx__AttributeProto, 1);

  onnx__attribute_proto__init (ap);
  ap->name = a->name;
  ap->has_type = TRUE;
  switch (a->type)
    {
    case REL_ATTR_INT:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
      ap->has_i = TRUE;
      ap->i = a->i;
      break;
    case REL_ATTR_FLOAT:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
      ap->has_f = TRUE;
      ap->f = a->f;
      break;
    case REL_ATTR_INTS:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
      ap->n_ints = (size_t) a->n;
      ap->ints = a->ints;
      break;
    case REL_ATTR_FLOATS:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
      ap->n_floats = (size_t) a->n;
      ap->floats = a->floats;
      break;
    case REL_ATTR_STRING:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
      ap->has_s = TRUE;
      ap->s.data = (uint8_t *) a->s;
      ap->s.len = a->s ? strlen (a->s) : 0;
      break;
    default:
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "export: attribute '%s' of node '%s' has a type the exporter does not write",
                   a->name, node->name);
      return NULL;
    }
  return ap;
}

guint8 *
rel_onnx_export_data (RelModel *model, gsize *len, GError **error)
{
  g_autoptr(GPtrArray) pool = g_ptr_array_new_with_free_func (g_free);
  g_autofree gboolean *is_init = g_new0 (gboolean, model->values->len);
  Onnx__ModelProto mp = ONNX__MODEL_PROTO__INIT;
  Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
  Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
  Onnx__OperatorSetIdProto *opsets[1] = { &opset };
  Onnx__ValueInfoProto *inputs[1], *outputs[1];
  g_autoptr(GList) keys = NULL;
  guint8 *buf;
  gsize n_init = 0, size;

  if (model->input < 0 || model->output < 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "export: the model has no input or output");
      return NULL;
    }
  mp.has_ir_version = TRUE;
  mp.ir_version = EXPORT_IR;
  mp.producer_name = (char *) "relevance";
  opset.has_version = TRUE;
  opset.version = MAX (model->opset, EXPORT_OPSET);
  mp.n_opset_import = 1;
  mp.opset_import = opsets;
  mp.graph = &graph;
  graph.name = (char *) "relevance";

  graph.n_node = (size_t) model->n_nodes;
  graph.node = POOL_NEW (pool, Onnx__NodeProto *, MAX (model->n_nodes, 1));
  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      Onnx__NodeProto *np = POOL_NEW (pool, Onnx__NodeProto, 1);

      onnx__node_proto__init (np);
      np->name = node->name;
      np->op_type = node->op_type;
      np->n_input = (size_t) node->n_inputs;
      np->input = POOL_NEW (pool, char *, MAX (node->n_inputs, 1));
      for (int k = 0; k < node->n_inputs; k++)
        {
          int v = node->inputs[k];
          if (v < 0)
            {
              np->input[k] = (char *) "";
              continue;
            }
          np->input[k] = rel_model_value (model, v)->name;
          if (rel_model_value (model, v)->constant)
            is_init[v] = TRUE;
        }
      np->n_output = (size_t) node->n_outputs;
      np->output = POOL_NEW (pool, char *, MAX (node->n_outputs, 1));
      for (int o = 0; o < node->n_outputs; o++)
        np->output[o] = rel_model_value (model, node->outputs[o])->name;
      np->n_attribute = (size_t) node->n_attrs;
      np->attribute = POOL_NEW (pool, Onnx__AttributeProto *, MAX (node->n_attrs, 1));
      for (int a = 0; a < node->n_attrs; a++)
        if ((np->attribute[a] = attribute (pool, &node->attrs[a], node, error)) == NULL)
          return NULL;
      graph.node[i] = np;
    }

  graph.initializer = POOL_NEW (pool, Onnx__TensorProto *, model->values->len + 1);
  for (guint v = 0; v < model->values->len; v++)
    if (is_init[v])
      {
        RelValue *val = rel_model_value (model, (int) v);
        graph.initializer[n_init++] = tensor_proto (pool, val->name, val->constant);
      }
  graph.n_initializer = n_init;

  inputs[0] = value_info (pool, rel_model_value (model, model->input));
  outputs[0] = value_info (pool, rel_model_value (model, model->output));
  graph.n_input = 1;
  graph.input = inputs;
  graph.n_output = 1;
  graph.output = outputs;

  if (model->metadata)
    {
      keys = g_list_sort (g_hash_table_get_keys (model->metadata), (GCompareFunc) strcmp);
      mp.n_metadata_props = g_list_length (keys);
      mp.metadata_props = POOL_NEW (pool, Onnx__StringStringEntryProto *, mp.n_metadata_props + 1);
      size = 0;
      for (GList *l = keys; l; l = l->next)
        {
          Onnx__StringStringEntryProto *e = POOL_NEW (pool, Onnx__StringStringEntryProto, 1);
          onnx__string_string_entry_proto__init (e);
          e->key = l->data;
          e->value = g_hash_table_lookup (model->metadata, l->data);
          mp.metadata_props[size++] = e;
        }
    }

  size = onnx__model_proto__get_packed_size (&mp);
  buf = g_try_malloc (MAX (size, 1));
  if (buf == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "export: out of memory for %" G_GSIZE_FORMAT " bytes", size);
      return NULL;
    }
  onnx__model_proto__pack (&mp, buf);
  *len = size;
  return buf;
}

gboolean
rel_onnx_export (RelModel *model, const char *path, GError **error)
{
  g_autofree guint8 *data = NULL;
  gsize len;

  if ((data = rel_onnx_export_data (model, &len, error)) == NULL)
    return FALSE;
  return rel_file_set_contents (path, data, len, error);
}
