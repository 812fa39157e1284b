/* rel-model.c — the graph: lookups, topological order, constant folding, and
 * the forward/backward engines every explainer runs on.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-model.h"
#include "rel-blas.h"
#include "rel-core.h"
#include "rel-error.h"

#include <string.h>

static void
rel_attr_clear (RelAttr *a)
{
  g_free (a->name);
  g_free (a->s);
  if (a->t)
    rel_tensor_unref (a->t);
  g_free (a->floats);
  g_free (a->ints);
  g_strfreev (a->strings);
}

static void
rel_node_clear (RelNode *node)
{
  if (node->params)
    {
      if (node->op && node->op->free_params)
        node->op->free_params (node->params);
      else
        g_free (node->params);
    }
  for (int i = 0; i < node->n_attrs; i++)
    rel_attr_clear (&node->attrs[i]);
  g_free (node->attrs);
  g_free (node->inputs);
  g_free (node->outputs);
  g_free (node->name);
  g_free (node->op_type);
}

static void
rel_value_free (gpointer data)
{
  RelValue *v = data;
  if (v->constant)
    rel_tensor_unref (v->constant);
  g_free (v->name);
  g_free (v);
}

RelModel *
rel_model_new (void)
{
  RelModel *model = g_new0 (RelModel, 1);
  model->values = g_ptr_array_new_with_free_func (rel_value_free);
  model->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  model->value_index = g_hash_table_new (g_str_hash, g_str_equal);
  model->input = -1;
  model->output = -1;
  model->ref_count = 1;
  g_mutex_init (&model->cache_lock);
  model->input_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) rel_tensor_unref);
  return model;
}

RelTensor *
rel_model_cache_lookup (RelModel *model, const char *key)
{
  RelTensor *t;

  g_mutex_lock (&model->cache_lock);
  t = g_hash_table_lookup (model->input_cache, key);
  if (t)
    rel_tensor_ref (t);
  g_mutex_unlock (&model->cache_lock);
  return t;
}

/* A few entries at most (a user picks a folder or two): past 8 the cache
 * starts over rather than growing with every folder ever tried. */
void
rel_model_cache_store (RelModel *model, const char *key, RelTensor *value)
{
  g_mutex_lock (&model->cache_lock);
  if (g_hash_table_size (model->input_cache) >= 8)
    g_hash_table_remove_all (model->input_cache);
  g_hash_table_replace (model->input_cache, g_strdup (key), rel_tensor_ref (value));
  g_mutex_unlock (&model->cache_lock);
}

int
rel_model_intern_value (RelModel *model, const char *name)
{
  RelValue *v;
  int id = rel_model_find_value (model, name);

  if (id >= 0)
    return id;
  v = g_new0 (RelValue, 1);
  v->name = g_strdup (name);
  v->producer = -1;
  v->ndim = -1;
  g_ptr_array_add (model->values, v);
  g_hash_table_insert (model->value_index, v->name, GINT_TO_POINTER (model->values->len));
  return (int) model->values->len - 1;
}

RelModel *
rel_model_ref (RelModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_atomic_int_inc (&model->ref_count);
  return model;
}

void
rel_model_free (RelModel *model)
{
  rel_model_unref (model);
}

void
rel_model_unref (RelModel *model)
{
  if (model == NULL || !g_atomic_int_dec_and_test (&model->ref_count))
    return;
  for (int i = 0; i < model->n_nodes; i++)
    rel_node_clear (&model->nodes[i]);
  g_free (model->nodes);
  if (model->value_index)
    g_hash_table_unref (model->value_index);
  if (model->values)
    g_ptr_array_unref (model->values);
  if (model->metadata)
    g_hash_table_unref (model->metadata);
  g_strfreev (model->labels);
  g_free (model->producer_name);
  g_free (model->path);
  if (model->input_cache)
    g_hash_table_unref (model->input_cache);
  g_mutex_clear (&model->cache_lock);
  g_free (model);
}

RelValue *
rel_model_value (RelModel *model, int id)
{
  if (id < 0 || (guint) id >= model->values->len)
    return NULL;
  return g_ptr_array_index (model->values, id);
}

int
rel_model_find_value (RelModel *model, const char *name)
{
  if (name == NULL)
    return -1;
  return GPOINTER_TO_INT (g_hash_table_lookup (model->value_index, name)) - 1;
}

int
rel_model_find_node (RelModel *model, const char *name)
{
  int v;

  for (int i = 0; i < model->n_nodes; i++)
    if (g_strcmp0 (model->nodes[i].name, name) == 0)
      return i;
  /* a tensor name addresses the node producing it */
  v = rel_model_find_value (model, name);
  if (v >= 0)
    return rel_model_value (model, v)->producer;
  return -1;
}

const RelAttr *
rel_node_attr (const RelNode *node, const char *name)
{
  for (int i = 0; i < node->n_attrs; i++)
    if (strcmp (node->attrs[i].name, name) == 0)
      return &node->attrs[i];
  return NULL;
}

int64_t
rel_node_attr_int (const RelNode *node, const char *name, int64_t fallback)
{
  const RelAttr *a = rel_node_attr (node, name);
  return a && a->type == REL_ATTR_INT ? a->i : fallback;
}

float
rel_node_attr_float (const RelNode *node, const char *name, float fallback)
{
  const RelAttr *a = rel_node_attr (node, name);
  if (a && a->type == REL_ATTR_FLOAT)
    return a->f;
  if (a && a->type == REL_ATTR_INT)
    return (float) a->i;
  return fallback;
}

const char *
rel_node_attr_string (const RelNode *node, const char *name, const char *fallback)
{
  const RelAttr *a = rel_node_attr (node, name);
  return a && a->type == REL_ATTR_STRING ? a->s : fallback;
}

int
rel_node_attr_ints (const RelNode *node, const char *name, int64_t *out, int max)
{
  const RelAttr *a = rel_node_attr (node, name);
  int n;

  if (a == NULL || a->type != REL_ATTR_INTS)
    return -1;
  n = MIN (a->n, max);
  for (int i = 0; i < n; i++)
    out[i] = a->ints[i];
  return a->n;
}

gboolean
rel_model_input_shape (RelModel *model, int64_t batch, int *ndim, int64_t *shape, GError **error)
{
  RelValue *in = rel_model_value (model, model->input);

  if (in == NULL || in->ndim < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "the model does not declare its input shape");
      return FALSE;
    }
  for (int i = 0; i < in->ndim; i++)
    {
      if (i == 0)
        shape[i] = batch;
      else if (in->shape[i] <= 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "input '%s' has a dynamic dimension %d; only the batch dimension may be dynamic",
                       in->name, i);
          return FALSE;
        }
      else
        shape[i] = in->shape[i];
    }
  *ndim = in->ndim;
  return TRUE;
}

int
rel_model_num_classes (RelModel *model)
{
  RelValue *out = rel_model_value (model, model->output);
  if (out && out->ndim >= 1 && out->shape[out->ndim - 1] > 0)
    return (int) out->shape[out->ndim - 1];
  return model->n_labels;
}

const char *
rel_model_label (RelModel *model, int index)
{
  if (model->labels == NULL || index < 0 || index >= model->n_labels)
    return NULL;
  return model->labels[index];
}

void
rel_context_init (RelContext *ctx)
{
  memset (ctx, 0, sizeof *ctx);
  ctx->n_threads = rel_core_threads ();
}

/* ---- building: resolve ops, sort, fold ---- */

static gboolean
resolve_ops (RelModel *model, GError **error)
{
  for (int i = 0; i < model->n_nodes; i++)
    {
      RelNode *node = &model->nodes[i];
      const RelOpDef *op = rel_op_lookup (node->op_type);
      int n_present = node->n_inputs;

      if (op == NULL)
        {
          g_autofree char *supported = rel_op_names_joined ();
          g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                       "unsupported operator '%s' (node '%s'); supported operators: %s",
                       node->op_type, node->name, supported);
          return FALSE;
        }
      /* trailing omitted optional inputs do not count */
      while (n_present > 0 && node->inputs[n_present - 1] < 0)
        n_present--;
      if (n_present < op->min_inputs || n_present > op->max_inputs)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                       "node '%s' (%s) has %d inputs; the operator takes %d to %d",
                       node->name, node->op_type, n_present, op->min_inputs, op->max_inputs);
          return FALSE;
        }
      if (node->n_outputs < 1 || node->n_outputs > op->max_outputs)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                       "node '%s' (%s) has %d outputs; supported: 1 to %d",
                       node->name, node->op_type, node->n_outputs, op->max_outputs);
          return FALSE;
        }
      node->op = op;
    }
  return TRUE;
}

/* Kahn's algorithm over value producers; rejects cycles and values nobody produces. */
static gboolean
sort_nodes (RelModel *model, GError **error)
{
  int n = model->n_nodes;
  int n_values = (int) model->values->len;
  g_autofree int *producer = g_new (int, (gsize) n_values);
  g_autofree int *pending = g_new0 (int, (gsize) MAX (n, 1));
  g_autofree int *order = g_new (int, (gsize) MAX (n, 1));
  g_autofree gboolean *available = g_new0 (gboolean, (gsize) n_values);
  g_autoptr(GPtrArray) consumers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  int head = 0, tail = 0;
  RelNode *sorted;

  for (int v = 0; v < n_values; v++)
    {
      RelValue *val = rel_model_value (model, v);
      producer[v] = -1;
      available[v] = val->constant != NULL || v == model->input;
      g_ptr_array_add (consumers, g_array_new (FALSE, FALSE, sizeof (int)));
    }
  for (int i = 0; i < n; i++)
    for (int o = 0; o < model->nodes[i].n_outputs; o++)
      {
        int v = model->nodes[i].outputs[o];
        if (producer[v] >= 0 || available[v])
          {
            g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                         "tensor '%s' is produced more than once (node '%s')",
                         rel_model_value (model, v)->name, model->nodes[i].name);
            return FALSE;
          }
        producer[v] = i;
      }
  for (int i = 0; i < n; i++)
    {
      RelNode *node = &model->nodes[i];
      for (int k = 0; k < node->n_inputs; k++)
        {
          int v = node->inputs[k];
          if (v < 0 || available[v])
            continue;
          if (producer[v] < 0)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_MISSING,
                           "node '%s' (%s) reads '%s', which is neither an input, an initializer nor produced by a node",
                           node->name, node->op_type, rel_model_value (model, v)->name);
              return FALSE;
            }
          pending[i]++;
          g_array_append_val (g_ptr_array_index (consumers, v), i);
        }
      if (pending[i] == 0)
        order[tail++] = i;
    }
  while (head < tail)
    {
      RelNode *node = &model->nodes[order[head++]];
      for (int o = 0; o < node->n_outputs; o++)
        {
          GArray *c = g_ptr_array_index (consumers, node->outputs[o]);
          for (guint j = 0; j < c->len; j++)
            {
              int k = g_array_index (c, int, j);
              if (--pending[k] == 0)
                order[tail++] = k;
            }
        }
    }
  if (tail != n)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "the graph has a cycle");
      return FALSE;
    }
  sorted = g_new (RelNode, (gsize) MAX (n, 1));
  for (int i = 0; i < n; i++)
    sorted[i] = model->nodes[order[i]];
  g_free (model->nodes);
  model->nodes = sorted;
  for (int i = 0; i < n; i++)
    for (int o = 0; o < model->nodes[i].n_outputs; o++)
      rel_model_value (model, model->nodes[i].outputs[o])->producer = i;
  return TRUE;
}

gboolean
rel_node_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs, const RelContext *ctx,
                  GError **error)
{
  if (!node->op->forward (node, inputs, outputs, ctx, error))
    {
      for (int o = 0; o < node->n_outputs; o++)
        g_clear_pointer (&outputs[o], rel_tensor_unref);
      g_prefix_error (error, "node '%s' (%s): ", node->name, node->op_type);
      return FALSE;
    }
  for (int o = 0; o < node->n_outputs; o++)
    if (outputs[o] == NULL)
      {
        for (int q = 0; q < node->n_outputs; q++)
          g_clear_pointer (&outputs[q], rel_tensor_unref);
        g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "node '%s' (%s) did not produce output %d",
                     node->name, node->op_type, o);
        return FALSE;
      }
  return TRUE;
}

static gboolean
run_node (const RelNode *node, RelTensor **values, const RelContext *ctx, GError **error)
{
  g_autofree RelTensor **inputs = g_new0 (RelTensor *, MAX (node->n_inputs, 1));
  RelTensor *outputs[8] = { NULL };

  if (node->n_outputs > (int) G_N_ELEMENTS (outputs))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "node '%s' has too many inputs or outputs", node->name);
      return FALSE;
    }
  for (int k = 0; k < node->n_inputs; k++)
    inputs[k] = node->inputs[k] >= 0 ? values[node->inputs[k]] : NULL;
  if (!rel_node_forward (node, inputs, outputs, ctx, error))
    return FALSE;
  for (int o = 0; o < node->n_outputs; o++)
    {
      int v = node->outputs[o];
      if (values[v])
        rel_tensor_unref (values[v]);
      values[v] = outputs[o];
    }
  return TRUE;
}

/* Nodes whose inputs are all constants are evaluated once at load time and
 * removed: Constant nodes, weight transposes, shape arithmetic on constants. */
static gboolean
fold_constants (RelModel *model, GError **error)
{
  int n_values = (int) model->values->len;
  g_autofree RelTensor **values = g_new0 (RelTensor *, n_values);
  int kept = 0, first_unvisited = 0;
  RelContext ctx;
  gboolean ok = TRUE;

  rel_context_init (&ctx);
  for (int v = 0; v < n_values; v++)
    {
      RelValue *val = rel_model_value (model, v);
      if (val->constant)
        values[v] = rel_tensor_ref (val->constant);
    }
  for (int i = 0; i < model->n_nodes; i++)
    {
      RelNode *node = &model->nodes[i];
      gboolean foldable = TRUE;

      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] >= 0 && values[node->inputs[k]] == NULL)
          foldable = FALSE;
      /* never fold away the graph output or a node with a runtime input */
      for (int o = 0; o < node->n_outputs; o++)
        if (node->outputs[o] == model->output)
          foldable = FALSE;
      if (foldable)
        {
          if (!run_node (node, values, &ctx, error))
            {
              ok = FALSE;
              first_unvisited = i;
              break;
            }
          for (int o = 0; o < node->n_outputs; o++)
            {
              RelValue *val = rel_model_value (model, node->outputs[o]);
              val->constant = rel_tensor_ref (values[node->outputs[o]]);
              val->producer = -1;
            }
          rel_node_clear (node);
          continue;
        }
      if (kept != i)
        model->nodes[kept] = *node;
      kept++;
    }
  for (int v = 0; v < n_values; v++)
    if (values[v])
      rel_tensor_unref (values[v]);
  /* on failure keep the unvisited nodes so rel_model_free clears each once */
  if (!ok)
    for (int i = first_unvisited; i < model->n_nodes; i++)
      model->nodes[kept++] = model->nodes[i];
  model->n_nodes = kept;
  if (!ok)
    return FALSE;
  for (int i = 0; i < model->n_nodes; i++)
    for (int o = 0; o < model->nodes[i].n_outputs; o++)
      rel_model_value (model, model->nodes[i].outputs[o])->producer = i;
  return TRUE;
}

gboolean
rel_model_finish (RelModel *model, GError **error)
{
  RelValue *in, *out;

  in = rel_model_value (model, model->input);
  out = rel_model_value (model, model->output);
  if (in == NULL || out == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "the model has no %s",
                   in == NULL ? "runtime input" : "output");
      return FALSE;
    }
  if (!resolve_ops (model, error))
    return FALSE;
  if (!sort_nodes (model, error))
    return FALSE;
  for (int i = 0; i < model->n_nodes; i++)
    {
      RelNode *node = &model->nodes[i];
      if (node->op->prepare && !node->op->prepare (model, node, error))
        {
          g_prefix_error (error, "node '%s' (%s): ", node->name, node->op_type);
          return FALSE;
        }
    }
  if (!fold_constants (model, error))
    return FALSE;
  if (out->constant == NULL && out->producer < 0 && model->output != model->input)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "no node produces the output '%s'", out->name);
      return FALSE;
    }
  return TRUE;
}

/* ---- execution ---- */

void
rel_activations_free (RelActivations *acts)
{
  if (acts == NULL)
    return;
  for (int i = 0; i < acts->n_values; i++)
    if (acts->values[i])
      rel_tensor_unref (acts->values[i]);
  g_free (acts->values);
  g_free (acts);
}

static RelActivations *
activations_new (RelModel *model)
{
  RelActivations *acts = g_new0 (RelActivations, 1);
  acts->model = model;
  acts->n_values = (int) model->values->len;
  acts->values = g_new0 (RelTensor *, acts->n_values);
  return acts;
}

RelTensor *
rel_activations_get (RelActivations *acts, int value_id)
{
  if (value_id < 0 || value_id >= acts->n_values)
    return NULL;
  return acts->values[value_id];
}

RelTensor *
rel_activations_output (RelActivations *acts)
{
  return rel_activations_get (acts, acts->model->output);
}

static gboolean
check_input (RelModel *model, const RelTensor *input, GError **error)
{
  RelValue *in = rel_model_value (model, model->input);

  if (input->dtype != REL_DTYPE_FLOAT32)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "the input must be float32");
      return FALSE;
    }
  if (in->ndim < 0)
    return TRUE;
  if (input->ndim != in->ndim)
    goto mismatch;
  for (int i = 0; i < in->ndim; i++)
    if (in->shape[i] > 0 && input->shape[i] != in->shape[i])
      goto mismatch;
  return TRUE;

mismatch:
  {
    g_autofree char *got = rel_tensor_shape_string (input);
    g_autofree char *want = rel_shape_to_string (in->ndim, in->shape);
    g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                 "the input has shape %s but the model's input '%s' expects %s (a dimension ≤ 0 is free)",
                 got, in->name, want);
    return FALSE;
  }
}

/* Runs the nodes marked in @run (all when NULL) over acts->values, which
 * holds the constants and the pass's starting value already. */
static RelActivations *
forward_run (RelModel *model, RelActivations *acts_in, const gboolean *run, const RelContext *ctx,
             GError **error)
{
  g_autoptr(RelActivations) acts = acts_in;
  RelContext local;
  gboolean ok = TRUE;

  if (ctx == NULL)
    {
      rel_context_init (&local);
      ctx = &local;
    }
  /* the kernels split their own GEMMs over ctx->n_threads meanwhile */
  if (ctx->n_threads >= 2)
    rel_blas_single_begin ();
  for (int i = 0; i < model->n_nodes && ok; i++)
    {
      if (run && !run[i])
        continue;
      if (ctx->cancel && g_atomic_int_get (ctx->cancel))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
          ok = FALSE;
        }
      else
        ok = run_node (&model->nodes[i], acts->values, ctx, error);
    }
  if (ctx->n_threads >= 2)
    rel_blas_single_end ();
  if (!ok)
    return NULL;
  return g_steal_pointer (&acts);
}

static RelActivations *
activations_with_constants (RelModel *model)
{
  RelActivations *acts = activations_new (model);

  for (int v = 0; v < acts->n_values; v++)
    {
      RelValue *val = rel_model_value (model, v);
      if (val->constant)
        acts->values[v] = rel_tensor_ref (val->constant);
    }
  return acts;
}

RelActivations *
rel_model_forward (RelModel *model, RelTensor *input, const RelContext *ctx, GError **error)
{
  g_autoptr(RelActivations) acts = NULL;

  if (!check_input (model, input, error))
    return NULL;
  acts = activations_with_constants (model);
  acts->values[model->input] = rel_tensor_ref (input);
  acts = forward_run (model, g_steal_pointer (&acts), NULL, ctx, error);
  if (acts == NULL)
    return NULL;
  if (acts->values[model->output] == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "the forward pass did not reach the output");
      return NULL;
    }
  return g_steal_pointer (&acts);
}

RelActivations *
rel_model_forward_until (RelModel *model, RelTensor *input, int value, const RelContext *ctx, GError **error)
{
  g_autoptr(RelActivations) acts = NULL;
  g_autofree gboolean *needed = NULL;
  g_autofree gboolean *run = NULL;

  if (value < 0 || value >= (int) model->values->len)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "no value %d in the model", value);
      return NULL;
    }
  if (!check_input (model, input, error))
    return NULL;
  /* the ancestors of @value, walking the topological order backwards */
  needed = g_new0 (gboolean, model->values->len);
  run = g_new0 (gboolean, model->n_nodes);
  needed[value] = TRUE;
  for (int i = model->n_nodes - 1; i >= 0; i--)
    {
      const RelNode *node = &model->nodes[i];
      for (int o = 0; o < node->n_outputs && !run[i]; o++)
        run[i] = needed[node->outputs[o]];
      if (run[i])
        for (int k = 0; k < node->n_inputs; k++)
          if (node->inputs[k] >= 0)
            needed[node->inputs[k]] = TRUE;
    }
  acts = activations_with_constants (model);
  acts->values[model->input] = rel_tensor_ref (input);
  acts = forward_run (model, g_steal_pointer (&acts), run, ctx, error);
  if (acts && acts->values[value] == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "the forward pass did not reach '%s'",
                   rel_model_value (model, value)->name);
      return NULL;
    }
  return g_steal_pointer (&acts);
}

/* depends[v]: value v is computed from @from (and is not a constant). */
static gboolean *
depends_on (RelModel *model, int from)
{
  gboolean *depends = g_new0 (gboolean, model->values->len);

  depends[from] = TRUE;
  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      gboolean d = FALSE;
      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] >= 0 && depends[node->inputs[k]])
          d = TRUE;
      for (int o = 0; o < node->n_outputs; o++)
        depends[node->outputs[o]] |= d;
    }
  return depends;
}

RelActivations *
rel_model_forward_from (RelModel *model, int from, RelTensor *t, const RelContext *ctx, GError **error)
{
  g_autoptr(RelActivations) acts = NULL;
  g_autofree gboolean *depends = NULL;
  g_autofree gboolean *run = NULL;

  if (from < 0 || from >= (int) model->values->len || rel_model_value (model, from)->constant)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "no computed value %d in the model", from);
      return NULL;
    }
  if (from == model->input)
    return rel_model_forward (model, t, ctx, error);
  if (t->dtype != REL_DTYPE_FLOAT32)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "the starting value must be float32");
      return NULL;
    }
  depends = depends_on (model, from);
  run = g_new0 (gboolean, model->n_nodes);
  acts = activations_with_constants (model);
  acts->values[from] = rel_tensor_ref (t);
  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      for (int k = 0; k < node->n_inputs && !run[i]; k++)
        run[i] = node->inputs[k] >= 0 && depends[node->inputs[k]];
      /* a cut through the graph: every other input must be a constant */
      for (int k = 0; run[i] && k < node->n_inputs; k++)
        {
          int v = node->inputs[k];
          if (v >= 0 && !depends[v] && acts->values[v] == NULL)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                           "node '%s' reads '%s', which is not computed from '%s'", node->name,
                           rel_model_value (model, v)->name, rel_model_value (model, from)->name);
              return NULL;
            }
        }
    }
  acts = forward_run (model, g_steal_pointer (&acts), run, ctx, error);
  if (acts && acts->values[model->output] == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "the output is not computed from '%s'",
                   rel_model_value (model, from)->name);
      return NULL;
    }
  return g_steal_pointer (&acts);
}

static gboolean
accumulate (RelTensor **slot, RelTensor *grad, GError **error)
{
  if (*slot == NULL)
    {
      *slot = grad;
      return TRUE;
    }
  if (!rel_tensor_same_shape (*slot, grad))
    {
      g_autofree char *a = rel_tensor_shape_string (*slot);
      g_autofree char *b = rel_tensor_shape_string (grad);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "gradient shapes %s and %s do not match", a, b);
      rel_tensor_unref (grad);
      return FALSE;
    }
  /* a value read by several nodes: its cotangent is the sum */
  {
    const float *g = rel_tensor_f32 (grad);
    if ((*slot)->ref_count > 1 || (*slot)->base != NULL)
      {
        /* shared (an Add hands its cotangent to both inputs): the sum goes
         * to a new tensor in one pass instead of a copy and an add */
        RelTensor *sum = rel_tensor_new_like_uninit (*slot, error);
        const float *a = rel_tensor_f32 (*slot);
        float *d;
        if (sum == NULL)
          {
            rel_tensor_unref (grad);
            return FALSE;
          }
        d = rel_tensor_f32 (sum);
        for (int64_t i = 0; i < grad->numel; i++)
          d[i] = a[i] + g[i];
        rel_tensor_unref (*slot);
        *slot = sum;
      }
    else
      {
        float *d = rel_tensor_f32 (*slot);
        for (int64_t i = 0; i < grad->numel; i++)
          d[i] += g[i];
      }
  }
  rel_tensor_unref (grad);
  return TRUE;
}

/* @params: float32 constants (weights, biases, BN parameters) carry a
 * cotangent too, and the graph input does not (training needs no dL/dx). */
static RelActivations *
backward_values_run (RelModel *model, RelActivations *acts,
                     int seed_value, const RelTensor *seed,
                     RelBackwardHook hook, gpointer user_data, gboolean params, int wrt,
                     const RelContext *ctx, GError **error);

static RelActivations *
backward_values (RelModel *model, RelActivations *acts,
                 int seed_value, const RelTensor *seed,
                 RelBackwardHook hook, gpointer user_data, gboolean params, int wrt,
                 const RelContext *ctx, GError **error)
{
  RelContext local;
  RelActivations *grads;

  if (ctx == NULL)
    {
      rel_context_init (&local);
      ctx = &local;
    }
  /* as in rel_model_forward: the kernels split their own GEMMs */
  if (ctx->n_threads >= 2)
    rel_blas_single_begin ();
  grads = backward_values_run (model, acts, seed_value, seed, hook, user_data, params, wrt, ctx, error);
  if (ctx->n_threads >= 2)
    rel_blas_single_end ();
  return grads;
}

static RelActivations *
backward_values_run (RelModel *model, RelActivations *acts,
                     int seed_value, const RelTensor *seed,
                     RelBackwardHook hook, gpointer user_data, gboolean params, int wrt,
                     const RelContext *ctx, GError **error)
{
  g_autoptr(RelActivations) grads = NULL;
  g_autofree gboolean *depends = NULL;
  RelContext local;
  RelTensor *at;

  if (ctx == NULL)
    {
      rel_context_init (&local);
      ctx = &local;
    }
  if (seed_value < 0)
    seed_value = model->output;
  at = rel_activations_get (acts, seed_value);
  if (at == NULL || !rel_tensor_same_shape (at, seed))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "the backward seed does not match the shape of '%s'",
                   rel_model_value (model, seed_value)->name);
      return NULL;
    }

  /* only values computed from the input (or @wrt) carry a cotangent */
  depends = g_new0 (gboolean, acts->n_values);
  if (wrt < 0 || wrt >= acts->n_values)
    wrt = model->input;
  depends[wrt] = !params;
  if (params)
    for (int v = 0; v < acts->n_values; v++)
      {
        const RelValue *val = rel_model_value (model, v);
        depends[v] = val->constant != NULL && val->producer < 0 && val->constant->dtype == REL_DTYPE_FLOAT32;
      }
  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      gboolean d = FALSE;
      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] >= 0 && depends[node->inputs[k]])
          d = TRUE;
      for (int o = 0; o < node->n_outputs; o++)
        depends[node->outputs[o]] |= d;
    }

  grads = activations_new (model);
  grads->values[seed_value] = rel_tensor_copy (seed, error);
  if (grads->values[seed_value] == NULL)
    return NULL;

  for (int i = model->n_nodes - 1; i >= 0; i--)
    {
      const RelNode *node = &model->nodes[i];
      int n_in = MAX (node->n_inputs, 1);
      g_autofree RelTensor **inputs = g_new0 (RelTensor *, n_in);
      RelTensor *outputs[8] = { NULL };
      g_autofree RelTensor **grad_inputs = g_new0 (RelTensor *, n_in);
      g_autofree gboolean *need = g_new0 (gboolean, n_in);
      const RelTensor *gouts[8] = { NULL };
      gboolean any = FALSE, handled = FALSE;
      RelTensor *gout = grads->values[node->outputs[0]];

      if (node->op->backward_outputs)
        for (int o = 0; o < node->n_outputs && o < 8; o++)
          if ((gouts[o] = grads->values[node->outputs[o]]) != NULL)
            gout = (RelTensor *) gouts[o];
      if (gout == NULL)
        continue;
      if (ctx->cancel && g_atomic_int_get (ctx->cancel))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
          return NULL;
        }
      for (int k = 0; k < node->n_inputs; k++)
        {
          int v = node->inputs[k];
          inputs[k] = v >= 0 ? acts->values[v] : NULL;
          need[k] = v >= 0 && depends[v];
          any |= need[k];
        }
      for (int o = 0; o < node->n_outputs; o++)
        outputs[o] = acts->values[node->outputs[o]];
      if (!any)
        continue;
      if (node->op->backward_outputs)
        {
          if (!node->op->backward_outputs (node, inputs, outputs, gouts, grad_inputs, need, ctx, error))
            goto fail;
          handled = TRUE;
        }
      else if (hook && !hook (model, i, inputs, outputs, gout, grad_inputs, need, &handled, user_data, error))
        goto fail;
      if (!handled)
        {
          if (node->op->backward == NULL)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                           "operator %s (node '%s') has no backward pass", node->op_type, node->name);
              return NULL;
            }
          if (!node->op->backward (node, inputs, outputs, gout, grad_inputs, need, ctx, error))
            goto fail;
        }
      for (int k = 0; k < node->n_inputs; k++)
        {
          if (grad_inputs[k] == NULL)
            continue;
          if (!need[k])
            {
              rel_tensor_unref (grad_inputs[k]);
              continue;
            }
          if (!accumulate (&grads->values[node->inputs[k]], g_steal_pointer (&grad_inputs[k]), error))
            goto fail;
        }
      continue;

    fail:
      for (int k = 0; k < node->n_inputs; k++)
        if (grad_inputs[k])
          rel_tensor_unref (grad_inputs[k]);
      g_prefix_error (error, "backward through node '%s' (%s): ", node->name, node->op_type);
      return NULL;
    }
  return g_steal_pointer (&grads);
}

RelActivations *
rel_model_backward_values (RelModel *model, RelActivations *acts,
                           int seed_value, const RelTensor *seed,
                           RelBackwardHook hook, gpointer user_data,
                           const RelContext *ctx, GError **error)
{
  return backward_values (model, acts, seed_value, seed, hook, user_data, FALSE, -1, ctx, error);
}

RelActivations *
rel_model_backward_values_to (RelModel *model, RelActivations *acts, int wrt,
                              int seed_value, const RelTensor *seed,
                              RelBackwardHook hook, gpointer user_data,
                              const RelContext *ctx, GError **error)
{
  return backward_values (model, acts, seed_value, seed, hook, user_data, FALSE, wrt, ctx, error);
}

RelActivations *
rel_model_backward_params (RelModel *model, RelActivations *acts,
                           int seed_value, const RelTensor *seed,
                           const RelContext *ctx, GError **error)
{
  return backward_values (model, acts, seed_value, seed, NULL, NULL, TRUE, -1, ctx, error);
}

RelTensor *
rel_model_backward (RelModel *model, RelActivations *acts, const RelTensor *seed,
                    const RelContext *ctx, GError **error)
{
  g_autoptr(RelActivations) grads = rel_model_backward_values (model, acts, -1, seed, NULL, NULL, ctx, error);
  RelTensor *g;

  if (grads == NULL)
    return NULL;
  g = grads->values[model->input];
  if (g == NULL)
    {
      /* the output does not depend on the input: its gradient is zero */
      return rel_tensor_new_like (acts->values[model->input], error);
    }
  grads->values[model->input] = NULL;
  return g;
}

/* Is node @i affine in its inputs marked in @stem, given that every other
 * input is a constant? */
static gboolean
node_affine (RelModel *model, const RelNode *node, const gboolean *stem)
{
  int n_stem = 0, first = -1;

  if (node->n_outputs != 1 || node->op == NULL)
    return FALSE;
  for (int k = 0; k < node->n_inputs; k++)
    {
      int v = node->inputs[k];
      if (v < 0)
        continue;
      if (stem[v])
        {
          n_stem++;
          if (first < 0)
            first = k;
        }
      else if (rel_model_value (model, v)->constant == NULL)
        return FALSE;  /* mixes the stem with another runtime value */
    }
  if (n_stem == 0)
    return FALSE;
  if (rel_node_has (node, REL_OP_AFFINE_ANY))
    {
      /* an AveragePool with count_include_pad = 0 is still linear; Pad in
       * reflect/edge mode too, but it is not listed */
      return TRUE;
    }
  if (rel_node_has (node, REL_OP_AFFINE_FIRST))
    {
      if (n_stem != 1 || first != 0)
        return FALSE;
      if (rel_node_is (node, REL_OP_PAD) && strcmp (rel_node_attr_string (node, "mode", "constant"), "constant") != 0)
        return FALSE;
      return TRUE;
    }
  if (rel_node_has (node, REL_OP_AFFINE_ONE))
    return n_stem == 1;
  return FALSE;
}

int
rel_model_affine_stem (RelModel *model)
{
  g_autofree gboolean *stem = g_new0 (gboolean, model->values->len);
  g_autofree gboolean *in_stem = g_new0 (gboolean, model->n_nodes);
  gboolean weighted = FALSE;
  int exit = -1;

  stem[model->input] = TRUE;
  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      if (!node_affine (model, node, stem))
        continue;
      in_stem[i] = TRUE;
      stem[node->outputs[0]] = TRUE;
      weighted |= node->op->klass == REL_OP_CLASS_LINEAR;
    }
  if (!weighted || stem[model->output])
    return -1;
  /* the rest of the graph must read the stem through one value */
  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      if (in_stem[i])
        continue;
      for (int k = 0; k < node->n_inputs; k++)
        {
          int v = node->inputs[k];
          if (v < 0 || !stem[v])
            continue;
          if (exit >= 0 && exit != v)
            return -1;
          exit = v;
        }
    }
  return exit == model->input ? -1 : exit;
}

int
rel_model_default_cam_layer (RelModel *model)
{
  for (int i = model->n_nodes - 1; i >= 0; i--)
    if (rel_model_is_cam_layer (model, i))
      return i;
  return -1;
}

gboolean
rel_model_is_cam_layer (RelModel *model, int i)
{
  g_return_val_if_fail (i >= 0 && i < model->n_nodes, FALSE);
  return rel_node_has (&model->nodes[i], REL_OP_CAM_LAYER) && model->nodes[i].n_outputs >= 1;
}
