/* test-onnx-load.c — the ONNX loader: hostile files, error messages, external
 * data, and the reference fixtures' logits.
 *
 * Hostile models are built in C with protobuf-c's generated pack functions, so
 * each test states exactly which field is wrong.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-model.h"
#include "rel-npy.h"
#include "rel-onnx.h"

#include "onnx.pb-c.h"
#include "fixture-util.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#define T_FLOAT   ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
#define T_INT64   ONNX__TENSOR_PROTO__DATA_TYPE__INT64
#define T_INT32   ONNX__TENSOR_PROTO__DATA_TYPE__INT32
#define T_DOUBLE  ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE
#define T_FLOAT16 ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16
#define T_STRING  ONNX__TENSOR_PROTO__DATA_TYPE__STRING

/* ---- a tiny ModelProto builder ---- */

typedef struct {
  GPtrArray *mem;      /* every allocation the protos point to */
  GPtrArray *nodes, *inits, *inputs, *outputs, *opsets, *props;
  Onnx__ModelProto model;
  Onnx__GraphProto graph;
} Builder;

static gpointer
b_keep (Builder *b, gpointer p)
{
  g_ptr_array_add (b->mem, p);
  return p;
}

static char *
b_str (Builder *b, const char *s)
{
  return b_keep (b, g_strdup (s));
}

static void
b_opset (Builder *b, const char *domain, int64_t version)
{
  Onnx__OperatorSetIdProto *o = b_keep (b, g_new0 (Onnx__OperatorSetIdProto, 1));
  onnx__operator_set_id_proto__init (o);
  o->domain = b_str (b, domain);
  o->has_version = TRUE;
  o->version = version;
  g_ptr_array_add (b->opsets, o);
}

static void
builder_init (Builder *b, int64_t opset)
{
  memset (b, 0, sizeof *b);
  b->mem = g_ptr_array_new_with_free_func (g_free);
  b->nodes = g_ptr_array_new ();
  b->inits = g_ptr_array_new ();
  b->inputs = g_ptr_array_new ();
  b->outputs = g_ptr_array_new ();
  b->opsets = g_ptr_array_new ();
  b->props = g_ptr_array_new ();
  onnx__model_proto__init (&b->model);
  onnx__graph_proto__init (&b->graph);
  b->model.has_ir_version = TRUE;
  b->model.ir_version = 8;
  b->model.producer_name = b_str (b, "relevance-test");
  b->model.graph = &b->graph;
  b->graph.name = b_str (b, "g");
  if (opset > 0)
    b_opset (b, "", opset);
}

static void
builder_clear (Builder *b)
{
  g_ptr_array_unref (b->nodes);
  g_ptr_array_unref (b->inits);
  g_ptr_array_unref (b->inputs);
  g_ptr_array_unref (b->outputs);
  g_ptr_array_unref (b->opsets);
  g_ptr_array_unref (b->props);
  g_ptr_array_unref (b->mem);
}

static Onnx__TensorProto *
b_tensor (Builder *b, const char *name, int32_t dtype, int ndim, const int64_t *dims,
          const void *raw, gsize raw_len)
{
  Onnx__TensorProto *t = b_keep (b, g_new0 (Onnx__TensorProto, 1));
  onnx__tensor_proto__init (t);
  t->name = name ? b_str (b, name) : NULL;
  t->has_data_type = TRUE;
  t->data_type = dtype;
  t->n_dims = (size_t) ndim;
  t->dims = b_keep (b, g_memdup2 (dims, sizeof (int64_t) * (gsize) ndim));
  if (raw)
    {
      t->has_raw_data = TRUE;
      t->raw_data.len = raw_len;
      t->raw_data.data = b_keep (b, g_memdup2 (raw, MAX (raw_len, 1)));
    }
  return t;
}

static Onnx__TensorProto *
b_init_f32 (Builder *b, const char *name, int ndim, const int64_t *dims, const float *data)
{
  int64_t n = 1;
  Onnx__TensorProto *t;

  for (int i = 0; i < ndim; i++)
    n *= dims[i];
  t = b_tensor (b, name, T_FLOAT, ndim, dims, data, (gsize) n * sizeof (float));
  g_ptr_array_add (b->inits, t);
  return t;
}

static Onnx__ValueInfoProto *
b_value_info (Builder *b, const char *name, int32_t elem, int ndim, const int64_t *dims)
{
  Onnx__ValueInfoProto *vi = b_keep (b, g_new0 (Onnx__ValueInfoProto, 1));
  Onnx__TypeProto *tp = b_keep (b, g_new0 (Onnx__TypeProto, 1));
  Onnx__TypeProto__Tensor *tt = b_keep (b, g_new0 (Onnx__TypeProto__Tensor, 1));
  Onnx__TensorShapeProto *sp = b_keep (b, g_new0 (Onnx__TensorShapeProto, 1));

  onnx__value_info_proto__init (vi);
  onnx__type_proto__init (tp);
  onnx__type_proto__tensor__init (tt);
  onnx__tensor_shape_proto__init (sp);
  vi->name = b_str (b, name);
  vi->type = tp;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  tt->has_elem_type = TRUE;
  tt->elem_type = elem;
  tt->shape = sp;
  sp->n_dim = (size_t) ndim;
  sp->dim = b_keep (b, g_new0 (Onnx__TensorShapeProto__Dimension *, MAX (ndim, 1)));
  for (int i = 0; i < ndim; i++)
    {
      Onnx__TensorShapeProto__Dimension *d = b_keep (b, g_new0 (Onnx__TensorShapeProto__Dimension, 1));
      onnx__tensor_shape_proto__dimension__init (d);
      if (dims[i] < 0)
        {
          d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
          d->dim_param = b_str (b, "batch");
        }
      else
        {
          d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
          d->dim_value = dims[i];
        }
      sp->dim[i] = d;
    }
  return vi;
}

static void
b_input (Builder *b, const char *name, int ndim, const int64_t *dims)
{
  g_ptr_array_add (b->inputs, b_value_info (b, name, T_FLOAT, ndim, dims));
}

static void
b_output (Builder *b, const char *name, int ndim, const int64_t *dims)
{
  g_ptr_array_add (b->outputs, b_value_info (b, name, T_FLOAT, ndim, dims));
}

static char **
b_strv (Builder *b, const char *const *v, size_t *n)
{
  char **out;

  *n = v ? g_strv_length ((char **) v) : 0;
  out = b_keep (b, g_new0 (char *, *n + 1));
  for (size_t i = 0; i < *n; i++)
    out[i] = b_str (b, v[i]);
  return out;
}

/* @inputs and @outputs are NULL-terminated; "" is an omitted optional input. */
static Onnx__NodeProto *
b_node (Builder *b, const char *op, const char *name, const char *const *inputs, const char *const *outputs)
{
  Onnx__NodeProto *n = b_keep (b, g_new0 (Onnx__NodeProto, 1));
  onnx__node_proto__init (n);
  n->op_type = b_str (b, op);
  n->name = name ? b_str (b, name) : NULL;
  n->input = b_strv (b, inputs, &n->n_input);
  n->output = b_strv (b, outputs, &n->n_output);
  n->attribute = b_keep (b, g_new0 (Onnx__AttributeProto *, 16));
  g_ptr_array_add (b->nodes, n);
  return n;
}

static Onnx__AttributeProto *
b_attr (Builder *b, Onnx__NodeProto *n, const char *name, Onnx__AttributeProto__AttributeType type)
{
  Onnx__AttributeProto *a = b_keep (b, g_new0 (Onnx__AttributeProto, 1));
  g_assert_cmpuint (n->n_attribute, <, 16);
  onnx__attribute_proto__init (a);
  a->name = b_str (b, name);
  a->has_type = TRUE;
  a->type = type;
  n->attribute[n->n_attribute++] = a;
  return a;
}

static void
b_attr_ints (Builder *b, Onnx__NodeProto *n, const char *name, size_t count, const int64_t *v)
{
  Onnx__AttributeProto *a = b_attr (b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  a->n_ints = count;
  a->ints = b_keep (b, g_memdup2 (v, sizeof (int64_t) * count));
}

static GBytes *
b_pack (Builder *b)
{
  gsize len;
  guint8 *buf;

  b->graph.n_node = b->nodes->len;
  b->graph.node = (Onnx__NodeProto **) b->nodes->pdata;
  b->graph.n_initializer = b->inits->len;
  b->graph.initializer = (Onnx__TensorProto **) b->inits->pdata;
  b->graph.n_input = b->inputs->len;
  b->graph.input = (Onnx__ValueInfoProto **) b->inputs->pdata;
  b->graph.n_output = b->outputs->len;
  b->graph.output = (Onnx__ValueInfoProto **) b->outputs->pdata;
  b->model.n_opset_import = b->opsets->len;
  b->model.opset_import = (Onnx__OperatorSetIdProto **) b->opsets->pdata;
  b->model.n_metadata_props = b->props->len;
  b->model.metadata_props = (Onnx__StringStringEntryProto **) b->props->pdata;
  len = onnx__model_proto__get_packed_size (&b->model);
  buf = g_malloc (MAX (len, 1));
  onnx__model_proto__pack (&b->model, buf);
  return g_bytes_new_take (buf, len);
}

static RelModel *
load_bytes (GBytes *bytes, const char *base_dir, GError **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  return rel_model_load_from_data (data, len, base_dir, error);
}

static RelModel *
build_and_load (Builder *b, GError **error)
{
  g_autoptr(GBytes) bytes = b_pack (b);
  return load_bytes (bytes, NULL, error);
}

/* Skips the calling test (fails it under CI=true) when an operator it needs is
 * not in the op table. */
static gboolean
require_ops (const char *const *ops)
{
  for (int i = 0; ops[i]; i++)
    if (rel_op_lookup (ops[i]) == NULL)
      {
        fixture_missing ("operator %s is not in the op table", ops[i]);
        return FALSE;
      }
  return TRUE;
}

static const int64_t img_dims[] = { -1, 3, 4, 4 };
static const int64_t w_dims[] = { 3 };
static const float w_data[] = { 1.5f, -2.f, 0.25f };

/* The smallest loadable model: a runtime input and an initializer as the output. */
static void
build_trivial (Builder *b)
{
  builder_init (b, 13);
  b_input (b, "X", 4, img_dims);
  b_init_f32 (b, "W", 1, w_dims, w_data);
  b_output (b, "W", 1, w_dims);
}

static char *
fixture_path (const char *dir, const char *file)
{
  const char *root = g_getenv ("RELEVANCE_FIXTURES");
  if (root)
    return g_build_filename (root, dir, file, NULL);
  return g_test_build_filename (G_TEST_DIST, "fixtures", dir, file, NULL);
}

static void
assert_message_has (const GError *error, const char *needle)
{
  g_test_message ("error: %s", error->message);
  if (strstr (error->message, needle) == NULL)
    g_error ("error message “%s” does not mention “%s”", error->message, needle);
}

/* ---- hostile bytes ---- */

static void
test_garbage (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  static const gsize lengths[] = { 1, 2, 7, 64, 1000, 65536 };
  static const char text[] = "this is not an ONNX model\n";

  for (gsize k = 0; k < G_N_ELEMENTS (lengths); k++)
    for (int rep = 0; rep < 20; rep++)
      {
        g_autoptr(GError) error = NULL;
        g_autofree guint8 *buf = g_malloc (lengths[k]);
        RelModel *m;
        for (gsize i = 0; i < lengths[k]; i++)
          buf[i] = (guint8) g_rand_int_range (rand, 0, 256);
        m = rel_model_load_from_data (buf, lengths[k], NULL, &error);
        g_assert_null (m);
        /* random bytes occasionally form a valid protobuf without a graph: still PARSE */
        g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
      }

  {
    g_autoptr(GError) error = NULL;
    g_assert_null (rel_model_load_from_data ((const guint8 *) text, sizeof text - 1, NULL, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
    assert_message_has (error, "not an ONNX model");
  }
}

static void
test_empty_and_missing (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("onnx-load-XXXXXX", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty.onnx", NULL);
  g_autofree char *absent = g_build_filename (dir, "absent.onnx", NULL);

  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  g_assert_null (rel_model_load (empty, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
  assert_message_has (error, "empty");
  g_clear_error (&error);

  g_assert_null (rel_model_load (absent, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_MISSING);
  assert_message_has (error, "absent.onnx");
  g_clear_error (&error);

  g_assert_null (rel_model_load (dir, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_IO);
  g_clear_error (&error);

  g_assert_null (rel_model_load_from_data ((const guint8 *) "", 0, NULL, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
  g_clear_error (&error);

  g_assert_null (rel_onnx_load_tensor_file (absent, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_MISSING);

  g_unlink (empty);
  g_rmdir (dir);
}

static void
test_truncated (void)
{
  g_autofree char *path = fixture_path ("tiny-cnn", "model.onnx");
  g_autofree char *dir = g_dir_make_tmp ("onnx-load-XXXXXX", NULL);
  g_autofree char *cut_path = g_build_filename (dir, "model.onnx", NULL);
  g_autofree char *contents = NULL;
  gsize len;
  int n_parse = 0;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 1000);

  /* specific cuts, written to a file: inside the graph they must be parse errors */
  {
    const gsize cuts[] = { 1, 5, 40, len / 4, len / 2, 3 * len / 4 };
    for (gsize k = 0; k < G_N_ELEMENTS (cuts); k++)
      {
        g_autoptr(GError) error = NULL;
        g_assert_true (g_file_set_contents (cut_path, contents, (gssize) cuts[k], NULL));
        g_assert_null (rel_model_load (cut_path, &error));
        g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
        assert_message_has (error, "model.onnx");
      }
  }

  /* a sweep over every 97th byte: never a model, never a crash */
  for (gsize cut = 0; cut < len; cut += 97)
    {
      g_autoptr(GError) error = NULL;
      g_assert_null (rel_model_load_from_data ((const guint8 *) contents, cut, NULL, &error));
      g_assert_nonnull (error);
      g_assert_true (error->domain == REL_ERROR);
      n_parse += error->code == REL_ERROR_PARSE;
    }
  /* almost every cut lands inside a weight or a node */
  g_assert_cmpint (n_parse, >=, (int) (len / 97) - 2);

  /* a single flipped length byte in the middle */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *copy = g_memdup2 (contents, len);
    RelModel *m;
    copy[len / 2] ^= 0x80;
    m = rel_model_load_from_data ((const guint8 *) copy, len, NULL, &error);
    /* may survive if the byte is inside a weight; then it is still a model */
    g_assert_true ((m == NULL) != (error == NULL));
    rel_model_free (m);
  }

  g_unlink (cut_path);
  g_rmdir (dir);
}

/* Messages nested deeper than protobuf-c's recursion can take are refused
 * before unpacking instead of overflowing the stack. */
static void
test_deep_nesting (void)
{
  /* ModelProto.graph(7) → GraphProto.node(1) → NodeProto.attribute(5) → AttributeProto.g(6) → … */
  static const guint8 tags[] = { (7 << 3) | 2, (1 << 3) | 2, (5 << 3) | 2, (6 << 3) | 2 };
  const int levels[] = { 12, 200000 };

  for (gsize k = 0; k < G_N_ELEMENTS (levels); k++)
    {
      int depth = levels[k];
      g_autofree gsize *size = g_new (gsize, depth + 1);
      g_autoptr(GByteArray) buf = g_byte_array_new ();
      g_autoptr(GError) error = NULL;
      /* ir_version = 8, opset_import { version = 13 } */
      static const guint8 header[] = { 1 << 3, 8, (8 << 3) | 2, 2, 2 << 3, 13 };

      /* size[i]: bytes of the message at level i (innermost = depth, empty) */
      size[depth] = 0;
      for (int i = depth - 1; i >= 0; i--)
        {
          gsize inner = size[i + 1], v = inner, n = 1;
          while (v >= 0x80)
            v >>= 7, n++;
          size[i] = 1 + n + inner;
        }
      g_byte_array_append (buf, header, sizeof header);
      for (int i = 0; i < depth; i++)
        {
          guint8 tag = i == 0 ? tags[0] : tags[1 + (i - 1) % 3];
          gsize v = size[i + 1];
          g_byte_array_append (buf, &tag, 1);
          while (v >= 0x80)
            {
              guint8 c = (guint8) (v | 0x80);
              g_byte_array_append (buf, &c, 1);
              v >>= 7;
            }
          {
            guint8 c = (guint8) v;
            g_byte_array_append (buf, &c, 1);
          }
        }
      g_assert_null (rel_model_load_from_data (buf->data, buf->len, NULL, &error));
      g_assert_nonnull (error);
      if (depth > 1000)
        {
          g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
          assert_message_has (error, "not an ONNX model or truncated");
        }
      else
        /* shallow nesting passes the wire check and fails on content */
        g_assert_null (strstr (error->message, "truncated"));
    }
}

/* Two million empty nodes are 4 MB on the wire but ~200 MB unpacked: refused
 * by the unpacking budget, not by running out of memory. */
static void
test_unpack_budget (void)
{
  const gsize n = 2000000;
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  static const guint8 ir[] = { 1 << 3, 8 };
  guint8 head[6];
  gsize v = 2 * n, k = 0;

  g_byte_array_append (buf, ir, sizeof ir);
  head[k++] = (7 << 3) | 2;  /* graph */
  while (v >= 0x80)
    head[k++] = (guint8) (v | 0x80), v >>= 7;
  head[k++] = (guint8) v;
  g_byte_array_append (buf, head, (guint) k);
  for (gsize i = 0; i < n; i++)
    g_byte_array_append (buf, (const guint8 *) "\x0a\x00", 2);  /* node {} */
  g_assert_null (rel_model_load_from_data (buf->data, buf->len, NULL, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_TOO_LARGE);
  assert_message_has (error, "MiB");
}

/* ---- model-level checks ---- */

static void
test_header_checks (void)
{
  Builder b;

  /* opset too new */
  {
    g_autoptr(GError) error = NULL;
    build_trivial (&b);
    ((Onnx__OperatorSetIdProto *) b.opsets->pdata[0])->version = 21;
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    assert_message_has (error, "opset 21");
    builder_clear (&b);
  }
  /* opset 20, where Gelu became an operator (PyTorch ≥ 2.1 exports it) */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(RelModel) m = NULL;
    g_autoptr(RelTensor) x = NULL;
    g_autoptr(RelActivations) acts = NULL;
    const char *in[] = { "X", NULL }, *out[] = { "Y", NULL };
    builder_init (&b, 20);
    b_input (&b, "X", 4, img_dims);
    b_node (&b, "Gelu", "gelu", in, out);
    b_output (&b, "Y", 4, img_dims);
    m = build_and_load (&b, &error);
    builder_clear (&b);
    g_assert_no_error (error);
    x = rel_tensor_new_f32 (4, (int64_t[]) { 1, 3, 4, 4 }, &error);
    rel_tensor_fill (x, 1.f);
    acts = rel_model_forward (m, x, NULL, &error);
    g_assert_no_error (error);
    /* Gelu(1) = Φ(1) = 0.841344746… */
    g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (rel_activations_output (acts))[5], 0.8413447f, 1e-6);
  }
  /* opset too old: there is none before 1 */
  {
    g_autoptr(GError) error = NULL;
    build_trivial (&b);
    ((Onnx__OperatorSetIdProto *) b.opsets->pdata[0])->version = 0;
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    builder_clear (&b);
  }
  /* only a foreign domain is imported */
  {
    g_autoptr(GError) error = NULL;
    build_trivial (&b);
    g_ptr_array_set_size (b.opsets, 0);
    b_opset (&b, "com.microsoft", 1);
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    builder_clear (&b);
  }
  /* "ai.onnx" is the default domain too, and other imported domains are harmless */
  {
    g_autoptr(GError) error = NULL;
    RelModel *m;
    build_trivial (&b);
    g_ptr_array_set_size (b.opsets, 0);
    b_opset (&b, "ai.onnx.ml", 3);
    b_opset (&b, "ai.onnx", 11);
    m = build_and_load (&b, &error);
    g_assert_no_error (error);
    g_assert_cmpint (m->opset, ==, 11);
    rel_model_free (m);
    builder_clear (&b);
  }
  /* no IR version */
  {
    g_autoptr(GError) error = NULL;
    build_trivial (&b);
    b.model.has_ir_version = FALSE;
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
    builder_clear (&b);
  }
  /* no graph */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) full = NULL;
    build_trivial (&b);
    full = b_pack (&b);  /* fills the repeated fields */
    b.model.graph = NULL;
    {
      gsize len = onnx__model_proto__get_packed_size (&b.model);
      g_autofree guint8 *buf = g_malloc (len);
      onnx__model_proto__pack (&b.model, buf);
      g_assert_null (rel_model_load_from_data (buf, len, NULL, &error));
    }
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
    assert_message_has (error, "graph");
    builder_clear (&b);
  }
}

static void
test_metadata_and_io (void)
{
  Builder b;
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) m = NULL;
  Onnx__StringStringEntryProto *e;
  RelValue *in, *w;

  build_trivial (&b);
  e = b_keep (&b, g_new0 (Onnx__StringStringEntryProto, 1));
  onnx__string_string_entry_proto__init (e);
  e->key = b_str (&b, "author");
  e->value = b_str (&b, "somebody");
  g_ptr_array_add (b.props, e);
  /* IR < 4 style: the initializer is listed as an input too; it is not the runtime input */
  g_ptr_array_insert (b.inputs, 0, b_value_info (&b, "W", T_FLOAT, 1, w_dims));

  m = build_and_load (&b, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (m->producer_name, ==, "relevance-test");
  g_assert_cmpstr (g_hash_table_lookup (m->metadata, "author"), ==, "somebody");
  g_assert_cmpint (m->opset, ==, 13);
  in = rel_model_value (m, m->input);
  g_assert_cmpstr (in->name, ==, "X");
  g_assert_cmpint (in->ndim, ==, 4);
  g_assert_cmpint (in->shape[0], ==, -1);
  g_assert_cmpint (in->shape[1], ==, 3);
  g_assert_cmpint (in->shape[3], ==, 4);
  w = rel_model_value (m, m->output);
  g_assert_cmpstr (w->name, ==, "W");
  g_assert_nonnull (w->constant);
  g_assert_cmpint (w->constant->ndim, ==, 1);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat (rel_tensor_f32 (w->constant)[i], ==, w_data[i]);
  builder_clear (&b);
}

static void
test_inputs (void)
{
  Builder b;

  /* two runtime inputs: both named */
  {
    g_autoptr(GError) error = NULL;
    build_trivial (&b);
    b_input (&b, "second_input", 4, img_dims);
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    assert_message_has (error, "'X'");
    assert_message_has (error, "second_input");
    builder_clear (&b);
  }
  /* no runtime input at all */
  {
    g_autoptr(GError) error = NULL;
    build_trivial (&b);
    g_ptr_array_set_size (b.inputs, 0);
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_MISSING);
    builder_clear (&b);
  }
  /* no output */
  {
    g_autoptr(GError) error = NULL;
    build_trivial (&b);
    g_ptr_array_set_size (b.outputs, 0);
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
    assert_message_has (error, "output");
    builder_clear (&b);
  }
  /* an int64 input cannot be fed */
  {
    g_autoptr(GError) error = NULL;
    build_trivial (&b);
    g_ptr_array_set_size (b.inputs, 0);
    g_ptr_array_add (b.inputs, b_value_info (&b, "ids", T_INT64, 4, img_dims));
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    assert_message_has (error, "ids");
    builder_clear (&b);
  }
}

/* ---- nodes ---- */

static void
test_unsupported_op (void)
{
  Builder b;
  const char *in[] = { "X", NULL }, *out[] = { "Y", NULL };

  /* a named node */
  {
    g_autoptr(GError) error = NULL;
    build_trivial (&b);
    b_node (&b, "FancyOp", "my_fancy_node", in, out);
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    assert_message_has (error, "FancyOp");
    assert_message_has (error, "my_fancy_node");
    g_assert_nonnull (rel_op_lookup ("Conv"));
    assert_message_has (error, "Conv");
    builder_clear (&b);
  }
  /* an unnamed node gets "<op_type>_<index>" */
  {
    g_autoptr(GError) error = NULL;
    const char *out2[] = { "Z", NULL };
    build_trivial (&b);
    b_node (&b, "Constant", NULL, NULL, out2)->n_attribute = 0;
    b_node (&b, "FancyOp", NULL, in, out);
    g_assert_null (build_and_load (&b, &error));
    /* the Constant without a value fails first, under its synthesized name */
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
    assert_message_has (error, "Constant_0");
    builder_clear (&b);
  }
  {
    g_autoptr(GError) error = NULL;
    build_trivial (&b);
    b_node (&b, "Identity2", "", in, out);
    b_node (&b, "FancyOp", NULL, in, out);
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    assert_message_has (error, "'Identity2_0'");
    builder_clear (&b);
  }
  /* a node of another domain */
  {
    g_autoptr(GError) error = NULL;
    Onnx__NodeProto *n;
    build_trivial (&b);
    n = b_node (&b, "Relu", "ms_relu", in, out);
    n->domain = b_str (&b, "com.microsoft");
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    assert_message_has (error, "com.microsoft");
    assert_message_has (error, "ms_relu");
    builder_clear (&b);
  }
}

static void
test_node_limit (void)
{
  Builder b;
  g_autoptr(GError) error = NULL;
  const char *in[] = { "X", NULL }, *out[] = { "Y", NULL };

  build_trivial (&b);
  for (int i = 0; i < 100001; i++)
    {
      /* share the strings: the proto only points to them */
      Onnx__NodeProto *n = b_keep (&b, g_new0 (Onnx__NodeProto, 1));
      onnx__node_proto__init (n);
      n->op_type = (char *) "Relu";
      n->n_input = 1;
      n->input = (char **) in;
      n->n_output = 1;
      n->output = (char **) out;
      g_ptr_array_add (b.nodes, n);
    }
  g_assert_null (build_and_load (&b, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_TOO_LARGE);
  assert_message_has (error, "100001 nodes");
  builder_clear (&b);
}

/* DenseNet concatenates every earlier layer's output: Concat (and Sum, Mean,
 * Max, Min) take as many inputs as the loader accepts per node. A 40-input
 * Concat of Relus of the input and a 20-input Sum of them load, compute and
 * differentiate: Y = concat(relu(k·X)), S = Σ_k relu(k·X) feeds the output. */
static void
test_many_inputs (void)
{
  enum { N_CAT = 40, N_SUM = 20 };
  static const int64_t x_dims[] = { -1, 3, 4, 4 }, y_dims[] = { -1, 3 * N_CAT, 4, 4 };
  const char *variadic[] = { "Concat", "Sum", "Mean", "Max", "Min" };

  for (gsize v = 0; v < G_N_ELEMENTS (variadic); v++)
    {
      const char *op = variadic[v];
      gboolean cat = v == 0;
      int n = cat ? N_CAT : N_SUM;
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GError) error = NULL;
      g_autoptr(RelModel) m = NULL;
      g_autoptr(RelTensor) x = NULL, seed = NULL, grad = NULL;
      g_autoptr(RelActivations) acts = NULL;
      const char *out[] = { "Y", NULL };
      RelTensor *y;
      Builder b;
      Onnx__NodeProto *node;

      builder_init (&b, 13);
      b_input (&b, "X", 4, x_dims);
      for (int k = 0; k < n; k++)
        {
          char *s = g_strdup_printf ("s%d", k), *sn = g_strdup_printf ("S%d", k);
          char *r = g_strdup_printf ("r%d", k);
          float scale = (float) (k + 1) * (k % 2 ? -0.5f : 1.f);
          const char *mul_in[] = { "X", s, NULL }, *mul_out[] = { sn, NULL };
          const char *relu_in[] = { sn, NULL }, *relu_out[] = { r, NULL };
          b_init_f32 (&b, s, 0, NULL, &scale);
          b_node (&b, "Mul", NULL, mul_in, mul_out);
          b_node (&b, "Relu", NULL, relu_in, relu_out);
          g_ptr_array_add (names, s);
          g_ptr_array_add (names, sn);
          g_ptr_array_add (names, r);
        }
      {
        g_autofree const char **in = g_new0 (const char *, n + 1);
        for (int k = 0; k < n; k++)
          in[k] = g_ptr_array_index (names, k * 3 + 2);
        node = b_node (&b, op, "wide_node", in, out);
        if (cat)
          {
            Onnx__AttributeProto *a = b_attr (&b, node, "axis", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
            a->has_i = TRUE;
            a->i = 1;
          }
      }
      b_output (&b, "Y", 4, cat ? y_dims : x_dims);
      m = build_and_load (&b, &error);
      builder_clear (&b);
      g_assert_no_error (error);

      x = rel_tensor_new_f32 (4, (int64_t[]) { 1, 3, 4, 4 }, &error);
      for (int64_t i = 0; i < x->numel; i++)
        rel_tensor_f32 (x)[i] = (float) (i % 7) - 3.f;
      acts = rel_model_forward (m, x, NULL, &error);
      g_assert_no_error (error);
      y = rel_activations_output (acts);
      g_assert_cmpint (y->numel, ==, cat ? x->numel * N_CAT : x->numel);
      for (int64_t i = 0; i < y->numel; i++)
        {
          int64_t k = cat ? i / x->numel : 0, j = cat ? i % x->numel : i;
          float xv = rel_tensor_f32 (x)[j];
          double want = 0;
          if (cat)
            want = MAX (0.f, xv * (float) (k + 1) * (k % 2 ? -0.5f : 1.f));
          else
            for (int kk = 0; kk < n; kk++)
              {
                double r = MAX (0.f, xv * (float) (kk + 1) * (kk % 2 ? -0.5f : 1.f));
                if (kk == 0)
                  want = r;
                else if (v == 1 || v == 2)
                  want += r;
                else
                  want = v == 3 ? MAX (want, r) : MIN (want, r);
              }
          if (v == 2)
            want /= n;
          g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[i], want, 1e-4 * (1 + fabs (want)));
        }
      /* the gradient of ΣY: for Concat and Sum, Σ_k k-th scale where relu is on */
      seed = rel_tensor_new_like (y, &error);
      rel_tensor_fill (seed, 1.f);
      grad = rel_model_backward (m, acts, seed, NULL, &error);
      g_assert_no_error (error);
      if (v <= 2)
        for (int64_t j = 0; j < x->numel; j++)
          {
            float xv = rel_tensor_f32 (x)[j];
            double want = 0;
            for (int kk = 0; kk < n; kk++)
              {
                float s = (float) (kk + 1) * (kk % 2 ? -0.5f : 1.f);
                want += xv * s > 0 ? s : 0;
              }
            if (v == 2)
              want /= n;
            g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (grad)[j], want, 1e-4 * (1 + fabs (want)));
          }
      g_test_message ("%s with %d inputs: loaded, forward and backward checked", op, n);
    }
}

/* Wrong input ranks and dynamic shapes: one error naming the node (or the input). */
static void
test_rank_and_dynamic (void)
{
  static const int64_t k[] = { 3, 3 };
  static const float w[4 * 3 * 9] = { 0 };
  static const int64_t w_dims4[] = { 4, 3, 3, 3 };
  const char *in[] = { "X", "W", NULL }, *out[] = { "Y", NULL };

  /* a rank-3 input into a 2-D Conv: refused at load, naming the Conv */
  {
    static const int64_t x3[] = { 1, 3, 8 };
    g_autoptr(GError) error = NULL;
    Builder b;
    builder_init (&b, 13);
    b_input (&b, "X", 3, x3);
    b_init_f32 (&b, "W", 4, w_dims4, w);
    b_attr_ints (&b, b_node (&b, "Conv", "conv_wants_4d", in, out), "kernel_shape", 2, k);
    b_output (&b, "Y", 3, x3);
    g_assert_null (build_and_load (&b, &error));
    g_assert_nonnull (error);
    g_assert_true (error->domain == REL_ERROR);
    assert_message_has (error, "conv_wants_4d");
    builder_clear (&b);
  }
  /* height and width left dynamic: the model loads, and asking for its input
   * shape (what every image needs) names the input and the dimension */
  {
    static const int64_t xd[] = { -1, 3, -1, -1 };
    g_autoptr(GError) error = NULL;
    g_autoptr(RelModel) m = NULL;
    g_autoptr(RelTensor) x = NULL, wrong = NULL;
    g_autoptr(RelActivations) acts = NULL;
    int64_t shape[REL_MAX_DIMS];
    int ndim;
    Builder b;
    builder_init (&b, 13);
    b_input (&b, "X", 4, xd);
    b_init_f32 (&b, "W", 4, w_dims4, w);
    b_attr_ints (&b, b_node (&b, "Conv", "the_conv", in, out), "kernel_shape", 2, k);
    b_output (&b, "Y", 4, xd);
    m = build_and_load (&b, &error);
    builder_clear (&b);
    g_assert_no_error (error);
    g_assert_false (rel_model_input_shape (m, 1, &ndim, shape, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
    assert_message_has (error, "'X'");
    assert_message_has (error, "dynamic dimension 2");
    g_clear_error (&error);
    /* a concrete input runs; one of the wrong rank is refused naming the input */
    x = rel_tensor_new_f32 (4, (int64_t[]) { 1, 3, 5, 6 }, &error);
    acts = rel_model_forward (m, x, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (rel_activations_output (acts)->shape[3], ==, 4);
    wrong = rel_tensor_new_f32 (2, (int64_t[]) { 3, 5 }, &error);
    g_clear_pointer (&acts, rel_activations_free);
    acts = rel_model_forward (m, wrong, NULL, &error);
    g_assert_null (acts);
    g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
    assert_message_has (error, "'X'");
    assert_message_has (error, "3×5");
  }
}

/* Constant nodes become constants at load, in all their attribute forms. */
static void
test_constant_forms (void)
{
  const char *out[] = { "C", NULL };

  for (int form = 0; form < 5; form++)
    {
      Builder b;
      g_autoptr(GError) error = NULL;
      g_autoptr(RelModel) m = NULL;
      Onnx__NodeProto *n;
      Onnx__AttributeProto *a;
      RelTensor *c;
      static const int64_t ints[] = { 7, -3 };
      static const float floats[] = { 0.5f, 2.f, -1.f };
      static const double doubles[] = { 0.125, -4.0 };
      static const int64_t two[] = { 2 };

      builder_init (&b, 13);
      b_input (&b, "X", 4, img_dims);
      b_output (&b, "C", 0, NULL);
      n = b_node (&b, "Constant", "const", NULL, out);
      switch (form)
        {
        case 0:
          a = b_attr (&b, n, "value_float", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
          a->has_f = TRUE;
          a->f = 6.f;
          break;
        case 1:
          a = b_attr (&b, n, "value_floats", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
          a->n_floats = 3;
          a->floats = b_keep (&b, g_memdup2 (floats, sizeof floats));
          break;
        case 2:
          a = b_attr (&b, n, "value_int", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
          a->has_i = TRUE;
          a->i = -9;
          break;
        case 3:
          b_attr_ints (&b, n, "value_ints", 2, ints);
          break;
        case 4:
          /* a double tensor value, converted to float32 */
          a = b_attr (&b, n, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
          a->t = b_tensor (&b, NULL, T_DOUBLE, 1, two, NULL, 0);
          a->t->n_double_data = 2;
          a->t->double_data = b_keep (&b, g_memdup2 (doubles, sizeof doubles));
          break;
        }
      m = build_and_load (&b, &error);
      g_assert_no_error (error);
      g_assert_cmpint (m->n_nodes, ==, 0);
      c = rel_model_value (m, m->output)->constant;
      g_assert_nonnull (c);
      switch (form)
        {
        case 0:
          g_assert_cmpint (c->dtype, ==, REL_DTYPE_FLOAT32);
          g_assert_cmpint (c->ndim, ==, 0);
          g_assert_cmpfloat (rel_tensor_f32 (c)[0], ==, 6.f);
          break;
        case 1:
          g_assert_cmpint (c->ndim, ==, 1);
          g_assert_cmpint (c->shape[0], ==, 3);
          g_assert_cmpfloat (rel_tensor_f32 (c)[2], ==, -1.f);
          break;
        case 2:
          g_assert_cmpint (c->dtype, ==, REL_DTYPE_INT64);
          g_assert_cmpint (c->ndim, ==, 0);
          g_assert_cmpint (rel_tensor_i64 (c)[0], ==, -9);
          break;
        case 3:
          g_assert_cmpint (c->dtype, ==, REL_DTYPE_INT64);
          g_assert_cmpint (c->shape[0], ==, 2);
          g_assert_cmpint (rel_tensor_i64 (c)[1], ==, -3);
          break;
        case 4:
          g_assert_cmpint (c->dtype, ==, REL_DTYPE_FLOAT32);
          g_assert_cmpfloat (rel_tensor_f32 (c)[0], ==, 0.125f);
          g_assert_cmpfloat (rel_tensor_f32 (c)[1], ==, -4.f);
          break;
        }
      builder_clear (&b);
    }
}

/* ---- weights ---- */

static void
test_bad_weights (void)
{
  Builder b;
  static const int64_t dims2[] = { 2 };

  /* complex numbers */
  {
    g_autoptr(GError) error = NULL;
    static const float pairs[] = { 1.f, 0.f, 2.f, 0.5f };
    build_trivial (&b);
    g_ptr_array_add (b.inits, b_tensor (&b, "complex_weight", ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64, 1, dims2,
                                        pairs, sizeof pairs));
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    assert_message_has (error, "complex_weight");
    assert_message_has (error, "COMPLEX64");
    assert_message_has (error, "float");
    builder_clear (&b);
  }
  /* strings */
  {
    g_autoptr(GError) error = NULL;
    Onnx__TensorProto *t;
    build_trivial (&b);
    t = b_tensor (&b, "words", T_STRING, 1, dims2, NULL, 0);
    t->n_string_data = 2;
    t->string_data = b_keep (&b, g_new0 (ProtobufCBinaryData, 2));
    t->string_data[0].data = (guint8 *) "a";
    t->string_data[0].len = 1;
    t->string_data[1].data = (guint8 *) "b";
    t->string_data[1].len = 1;
    g_ptr_array_add (b.inits, t);
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    assert_message_has (error, "words");
    builder_clear (&b);
  }
  /* 10^6 × 10^6 elements claimed with 4 bytes of data: refused before allocating */
  {
    g_autoptr(GError) error = NULL;
    static const int64_t huge[] = { 1000000, 1000000 };
    static const float one = 1.f;
    build_trivial (&b);
    g_ptr_array_add (b.inits, b_tensor (&b, "huge_weight", T_FLOAT, 2, huge, &one, sizeof one));
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_TOO_LARGE);
    assert_message_has (error, "huge_weight");
    builder_clear (&b);
  }
  /* dims that overflow int64 when multiplied */
  {
    g_autoptr(GError) error = NULL;
    static const int64_t overflow[] = { G_MAXINT64 / 2, 3, 0 };
    build_trivial (&b);
    g_ptr_array_add (b.inits, b_tensor (&b, "overflow", T_FLOAT, 3, overflow, NULL, 0));
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_TOO_LARGE);
    builder_clear (&b);
  }
  /* a negative dimension */
  {
    g_autoptr(GError) error = NULL;
    static const int64_t neg[] = { 2, -1 };
    build_trivial (&b);
    g_ptr_array_add (b.inits, b_tensor (&b, "negative", T_FLOAT, 2, neg, NULL, 0));
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
    assert_message_has (error, "negative");
    builder_clear (&b);
  }
  /* raw_data one byte short, one byte long */
  for (int delta = -1; delta <= 1; delta += 2)
    {
      g_autoptr(GError) error = NULL;
      static const guint8 raw[9] = { 0 };
      build_trivial (&b);
      g_ptr_array_add (b.inits, b_tensor (&b, "odd_raw", T_FLOAT, 1, dims2, raw, (gsize) (8 + delta)));
      g_assert_null (build_and_load (&b, &error));
      g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
      assert_message_has (error, "odd_raw");
      builder_clear (&b);
    }
  /* float_data with the wrong count */
  {
    g_autoptr(GError) error = NULL;
    Onnx__TensorProto *t;
    static const float three[] = { 1.f, 2.f, 3.f };
    build_trivial (&b);
    t = b_tensor (&b, "short_floats", T_FLOAT, 1, dims2, NULL, 0);
    t->n_float_data = 3;
    t->float_data = b_keep (&b, g_memdup2 (three, sizeof three));
    g_ptr_array_add (b.inits, t);
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
    assert_message_has (error, "short_floats");
    builder_clear (&b);
  }
  /* no data at all for a non-empty tensor */
  {
    g_autoptr(GError) error = NULL;
    build_trivial (&b);
    g_ptr_array_add (b.inits, b_tensor (&b, "no_data", T_FLOAT, 1, dims2, NULL, 0));
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
    assert_message_has (error, "no_data");
    builder_clear (&b);
  }
  /* the same initializer twice */
  {
    g_autoptr(GError) error = NULL;
    build_trivial (&b);
    b_init_f32 (&b, "W", 1, w_dims, w_data);
    g_assert_null (build_and_load (&b, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
    assert_message_has (error, "'W'");
    builder_clear (&b);
  }
}

/* Typed fields and conversions, through the TensorProto reader. */
static void
test_tensor_data (void)
{
  static const int64_t dims3[] = { 3 };
  static const int32_t i32[] = { 1, -2, 300000 };
  static const double f64[] = { 0.5, -1.25, 1e10 };
  static const int64_t i64_raw[] = { 5, -6, G_MAXINT64 };
  /* 16-bit floats: 1, −2.5 and the smallest subnormal (binary16), or 1, −2.5, 0.1 rounded (bfloat16) */
  static const guint16 f16_raw[] = { 0x3c00, 0xc100, 0x0001 };
  static const int32_t f16_typed[] = { 0x3c00, 0xc100, 0x0001 };
  static const guint16 bf16_raw[] = { 0x3f80, 0xc020, 0x3dcd };
  Onnx__TensorProto t;
  gsize len;

  for (int form = 0; form < 7; form++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RelTensor) out = NULL;
      g_autofree guint8 *buf = NULL;

      onnx__tensor_proto__init (&t);
      t.has_data_type = TRUE;
      t.n_dims = 1;
      t.dims = (int64_t *) dims3;
      switch (form)
        {
        case 0:
          t.data_type = T_INT32;
          t.n_int32_data = 3;
          t.int32_data = (int32_t *) i32;
          break;
        case 1:
          t.data_type = T_DOUBLE;
          t.has_raw_data = TRUE;
          t.raw_data.data = (guint8 *) f64;  /* the test host is little-endian */
          t.raw_data.len = sizeof f64;
          break;
        case 2:
          t.data_type = T_INT64;
          t.has_raw_data = TRUE;
          t.raw_data.data = (guint8 *) i64_raw;
          t.raw_data.len = sizeof i64_raw;
          break;
        case 3:
          t.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
          t.has_raw_data = TRUE;
          t.raw_data.data = (guint8 *) "\x00\x7f\xff";
          t.raw_data.len = 3;
          break;
        case 4:
          t.data_type = T_FLOAT16;
          t.has_raw_data = TRUE;
          t.raw_data.data = (guint8 *) f16_raw;   /* little-endian host */
          t.raw_data.len = sizeof f16_raw;
          break;
        case 5:
          /* without raw data, binary16 bits travel one per int32 */
          t.data_type = T_FLOAT16;
          t.n_int32_data = 3;
          t.int32_data = (int32_t *) f16_typed;
          break;
        case 6:
          t.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16;
          t.has_raw_data = TRUE;
          t.raw_data.data = (guint8 *) bf16_raw;
          t.raw_data.len = sizeof bf16_raw;
          break;
        }
      len = onnx__tensor_proto__get_packed_size (&t);
      buf = g_malloc (len);
      onnx__tensor_proto__pack (&t, buf);
      out = rel_onnx_load_tensor_data (buf, len, &error);
      g_assert_no_error (error);
      g_assert_cmpint (out->ndim, ==, 1);
      g_assert_cmpint (out->shape[0], ==, 3);
      switch (form)
        {
        case 0:
          g_assert_cmpint (out->dtype, ==, REL_DTYPE_INT64);
          g_assert_cmpint (rel_tensor_i64 (out)[1], ==, -2);
          g_assert_cmpint (rel_tensor_i64 (out)[2], ==, 300000);
          break;
        case 1:
          g_assert_cmpint (out->dtype, ==, REL_DTYPE_FLOAT32);
          g_assert_cmpfloat (rel_tensor_f32 (out)[1], ==, -1.25f);
          g_assert_cmpfloat (rel_tensor_f32 (out)[2], ==, 1e10f);
          break;
        case 2:
          g_assert_cmpint (rel_tensor_i64 (out)[2], ==, G_MAXINT64);
          break;
        case 3:
          g_assert_cmpint (rel_tensor_i64 (out)[0], ==, 0);
          g_assert_cmpint (rel_tensor_i64 (out)[2], ==, 255);
          break;
        case 4:
        case 5:
          g_assert_cmpint (out->dtype, ==, REL_DTYPE_FLOAT32);
          g_assert_cmpfloat (rel_tensor_f32 (out)[0], ==, 1.f);
          g_assert_cmpfloat (rel_tensor_f32 (out)[1], ==, -2.5f);
          g_assert_cmpfloat (rel_tensor_f32 (out)[2], ==, ldexpf (1.f, -24));
          break;
        case 6:
          g_assert_cmpint (out->dtype, ==, REL_DTYPE_FLOAT32);
          g_assert_cmpfloat (rel_tensor_f32 (out)[0], ==, 1.f);
          g_assert_cmpfloat (rel_tensor_f32 (out)[1], ==, -2.5f);
          g_assert_cmpfloat (rel_tensor_f32 (out)[2], ==, 0.10009765625f);
          break;
        }

      /* the same through a file */
      if (form == 0)
        {
          g_autofree char *dir = g_dir_make_tmp ("onnx-load-XXXXXX", NULL);
          g_autofree char *path = g_build_filename (dir, "input_0.pb", NULL);
          g_autoptr(RelTensor) again = NULL;
          g_assert_true (g_file_set_contents (path, (const char *) buf, (gssize) len, NULL));
          again = rel_onnx_load_tensor_file (path, &error);
          g_assert_no_error (error);
          g_assert_cmpint (rel_tensor_i64 (again)[2], ==, 300000);
          g_unlink (path);
          g_rmdir (dir);
        }
    }

  /* unsigned 32/64-bit ints become int64 while exact */
  for (int form = 0; form < 3; form++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RelTensor) out = NULL;
      g_autofree guint8 *buf = NULL;
      guint64 u[3] = { 0, 4000000000u, form == 2 ? G_MAXUINT64 : (guint64) G_MAXINT64 };

      onnx__tensor_proto__init (&t);
      t.name = (char *) "unsigned";
      t.has_data_type = TRUE;
      t.data_type = form == 0 ? ONNX__TENSOR_PROTO__DATA_TYPE__UINT32 : ONNX__TENSOR_PROTO__DATA_TYPE__UINT64;
      t.n_dims = 1;
      t.dims = (int64_t *) dims3;
      if (form == 0)
        u[2] = 7;
      t.n_uint64_data = 3;
      t.uint64_data = u;
      len = onnx__tensor_proto__get_packed_size (&t);
      buf = g_malloc (len);
      onnx__tensor_proto__pack (&t, buf);
      out = rel_onnx_load_tensor_data (buf, len, &error);
      if (form == 2)
        {
          g_assert_null (out);
          g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
          assert_message_has (error, "unsigned");
          continue;
        }
      g_assert_no_error (error);
      g_assert_cmpint (out->dtype, ==, REL_DTYPE_INT64);
      g_assert_cmpint (rel_tensor_i64 (out)[1], ==, 4000000000);
      g_assert_cmpint (rel_tensor_i64 (out)[2], ==, form == 0 ? 7 : G_MAXINT64);
    }

  {
    g_autoptr(GError) error = NULL;
    g_assert_null (rel_onnx_load_tensor_data ((const guint8 *) "\xff\xff\xff", 3, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autofree guint8 *buf = NULL;
    onnx__tensor_proto__init (&t);
    t.has_data_type = TRUE;
    t.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128;
    t.name = (char *) "cx";
    len = onnx__tensor_proto__get_packed_size (&t);
    buf = g_malloc (len);
    onnx__tensor_proto__pack (&t, buf);
    g_assert_null (rel_onnx_load_tensor_data (buf, len, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    assert_message_has (error, "COMPLEX128");
  }
}

/* ---- external data ---- */

static Onnx__StringStringEntryProto *
b_entry (Builder *b, const char *key, const char *value)
{
  Onnx__StringStringEntryProto *e = b_keep (b, g_new0 (Onnx__StringStringEntryProto, 1));
  onnx__string_string_entry_proto__init (e);
  e->key = b_str (b, key);
  e->value = b_str (b, value);
  return e;
}

/* The trivial model with W stored at @location, @offset. */
static GBytes *
external_model (const char *location, const char *offset, const char *length)
{
  Builder b;
  Onnx__TensorProto *t;
  GBytes *bytes;

  build_trivial (&b);
  t = b.inits->pdata[0];
  t->has_raw_data = FALSE;
  t->has_data_location = TRUE;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  t->external_data = b_keep (&b, g_new0 (Onnx__StringStringEntryProto *, 3));
  t->external_data[t->n_external_data++] = b_entry (&b, "location", location);
  if (offset)
    t->external_data[t->n_external_data++] = b_entry (&b, "offset", offset);
  if (length)
    t->external_data[t->n_external_data++] = b_entry (&b, "length", length);
  bytes = b_pack (&b);
  builder_clear (&b);
  return bytes;
}

static void
write_model (const char *path, GBytes *bytes)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  g_assert_true (g_file_set_contents (path, data, (gssize) len, NULL));
}

static RelModel *
load_external (const char *dir, const char *location, const char *offset, const char *length, GError **error)
{
  g_autoptr(GBytes) bytes = external_model (location, offset, length);
  g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
  write_model (path, bytes);
  return rel_model_load (path, error);
}

static void
test_external_data (void)
{
  g_autofree char *top = g_dir_make_tmp ("onnx-load-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (top, "model", NULL);
  g_autofree char *sub = g_build_filename (dir, "data", NULL);
  g_autofree char *inside = g_build_filename (sub, "weights.bin", NULL);
  g_autofree char *outside = g_build_filename (top, "weights.bin", NULL);
  g_autofree char *link = g_build_filename (dir, "link.bin", NULL);
  g_autofree char *model_path = g_build_filename (dir, "model.onnx", NULL);
  guint8 blob[16 + sizeof w_data];

  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  memset (blob, 0xee, 16);
  memcpy (blob + 16, w_data, sizeof w_data);
  g_assert_true (g_file_set_contents (inside, (const char *) blob, sizeof blob, NULL));
  g_assert_true (g_file_set_contents (outside, (const char *) blob, sizeof blob, NULL));
  g_assert_cmpint (symlink ("../weights.bin", link), ==, 0);

  /* inside the folder, with an offset */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(RelModel) m = load_external (dir, "data/weights.bin", "16", "12", &error);
    RelTensor *w;
    g_assert_no_error (error);
    w = rel_model_value (m, m->output)->constant;
    for (int i = 0; i < 3; i++)
      g_assert_cmpfloat (rel_tensor_f32 (w)[i], ==, w_data[i]);
    g_assert_cmpstr (m->path, ==, model_path);
  }
  /* the offset is honoured: without it the 0xee filler is read */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(RelModel) m = load_external (dir, "data/weights.bin", NULL, "12", &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (rel_tensor_f32 (rel_model_value (m, m->output)->constant)[0], !=, w_data[0]);
  }
  /* escapes */
  {
    const char *bad[] = { "../weights.bin", "data/../../weights.bin", outside, "link.bin" };
    for (gsize k = 0; k < G_N_ELEMENTS (bad); k++)
      {
        g_autoptr(GError) error = NULL;
        g_assert_null (load_external (dir, bad[k], "16", NULL, &error));
        g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
        assert_message_has (error, bad[k]);
        assert_message_has (error, "outside");
      }
  }
  /* missing file, short file, wrong length */
  {
    g_autoptr(GError) error = NULL;
    g_assert_null (load_external (dir, "data/absent.bin", NULL, NULL, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_MISSING);
    assert_message_has (error, "data/absent.bin");
    g_clear_error (&error);

    g_assert_null (load_external (dir, "data/weights.bin", "20", NULL, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
    assert_message_has (error, "too short");
    g_clear_error (&error);

    g_assert_null (load_external (dir, "data/weights.bin", "0", "16", &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
    g_clear_error (&error);

    g_assert_null (load_external (dir, "data/weights.bin", "-4", NULL, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
  }
  /* from memory there is no folder to read from */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) bytes = external_model ("data/weights.bin", "16", NULL);
    g_assert_null (load_bytes (bytes, NULL, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    assert_message_has (error, "memory");
    g_clear_error (&error);
    /* …unless the caller names one */
    {
      g_autoptr(RelModel) m = load_bytes (bytes, dir, &error);
      g_assert_no_error (error);
      g_assert_cmpfloat (rel_tensor_f32 (rel_model_value (m, m->output)->constant)[2], ==, w_data[2]);
    }
  }

  g_unlink (model_path);
  g_unlink (link);
  g_unlink (inside);
  g_unlink (outside);
  g_rmdir (sub);
  g_rmdir (dir);
  g_rmdir (top);
}

/* ---- graphs that need the operators ---- */

/* X[N,3,8,8] → Conv(W, B) "conv" → Y; @cin is W's input-channel count. */
static RelModel *
conv_model (int64_t cin, gboolean with_w, GError **error)
{
  Builder b;
  RelModel *m;
  static const int64_t x_dims[] = { -1, 3, 8, 8 };
  static const int64_t y_dims[] = { -1, 4, 6, 6 };
  int64_t w_dims4[] = { 4, cin, 3, 3 };
  static const int64_t b_dims[] = { 4 };
  static const float bias[] = { 0.5f, -0.5f, 1.f, 0.f };
  static const int64_t k[] = { 3, 3 };
  g_autofree float *w = g_new (float, 4 * cin * 9);
  const char *in[] = { "X", "W", "B", NULL }, *out[] = { "Y", NULL };
  Onnx__NodeProto *n;

  for (int i = 0; i < 4 * cin * 9; i++)
    w[i] = 1.f;
  builder_init (&b, 13);
  b_input (&b, "X", 4, x_dims);
  if (with_w)
    b_init_f32 (&b, "W", 4, w_dims4, w);
  else
    in[1] = "W_missing";
  b_init_f32 (&b, "B", 1, b_dims, bias);
  n = b_node (&b, "Conv", "the_conv", in, out);
  b_attr_ints (&b, n, "kernel_shape", 2, k);
  b_output (&b, "Y", 4, y_dims);
  m = build_and_load (&b, error);
  builder_clear (&b);
  return m;
}

static void
test_conv_model (void)
{
  static const char *const ops[] = { "Conv", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) m = NULL;
  g_autoptr(RelTensor) x = NULL;
  g_autoptr(RelActivations) acts = NULL;
  int64_t shape[] = { 2, 3, 8, 8 };
  RelTensor *y;

  if (!require_ops (ops))
    return;

  /* a correct Conv: ones everywhere give 27 + bias */
  m = conv_model (3, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (m->n_nodes, ==, 1);
  g_assert_cmpstr (m->nodes[0].name, ==, "the_conv");
  g_assert_cmpint (rel_node_attr_ints (&m->nodes[0], "kernel_shape", shape, 0), ==, 2);
  x = rel_tensor_new_f32 (4, shape, &error);
  rel_tensor_fill (x, 1.f);
  acts = rel_model_forward (m, x, NULL, &error);
  g_assert_no_error (error);
  y = rel_activations_output (acts);
  g_assert_cmpint (y->shape[0], ==, 2);
  g_assert_cmpint (y->shape[1], ==, 4);
  g_assert_cmpint (y->shape[2], ==, 6);
  g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[0], 27.5f, 1e-5);
  g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[36], 26.5f, 1e-5);
  g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[y->numel - 1], 27.f, 1e-5);
  g_assert_cmpint (rel_model_num_classes (m), ==, 6);
}

static void
test_conv_shape_mismatch (void)
{
  static const char *const ops[] = { "Conv", NULL };
  g_autoptr(GError) error = NULL;

  if (!require_ops (ops))
    return;
  /* W expects 2 input channels, the input has 3: caught at load, naming the node */
  g_assert_null (conv_model (2, TRUE, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == REL_ERROR);
  assert_message_has (error, "the_conv");
}

/* "" marks an omitted optional input; a required one cannot be omitted (found
 * by fuzzing: Gemm read a NULL B). */
static void
test_omitted_required_input (void)
{
  static const char *const ops[] = { "Gemm", NULL };
  static const int64_t x_dims[] = { -1, 4 };
  static const float c[] = { 1.f };
  const char *in[] = { "X", "", "C", NULL }, *out[] = { "Y", NULL };
  g_autoptr(GError) error = NULL;
  Builder b;

  if (!require_ops (ops))
    return;
  builder_init (&b, 13);
  b_input (&b, "X", 2, x_dims);
  b_init_f32 (&b, "C", 0, NULL, c);
  b_node (&b, "Gemm", "gemm_without_b", in, out);
  b_output (&b, "Y", 2, x_dims);
  g_assert_null (build_and_load (&b, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
  assert_message_has (error, "gemm_without_b");
  assert_message_has (error, "required input 1");
  builder_clear (&b);
}

static void
test_missing_initializer (void)
{
  static const char *const ops[] = { "Conv", NULL };
  g_autoptr(GError) error = NULL;

  if (!require_ops (ops))
    return;
  g_assert_null (conv_model (3, FALSE, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_MISSING);
  assert_message_has (error, "W_missing");
  assert_message_has (error, "the_conv");
}

/* An omitted optional input ("") is -1; an unnamed node is "<op_type>_<index>". */
static void
test_optional_input (void)
{
  static const char *const ops[] = { "Clip", NULL };
  Builder b;
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) m = NULL;
  g_autoptr(RelTensor) x = NULL;
  g_autoptr(RelActivations) acts = NULL;
  static const float hi = 0.5f;
  int64_t shape[] = { 1, 3, 4, 4 };
  const char *in[] = { "X", "", "hi", NULL }, *out[] = { "Y", NULL };
  RelTensor *y;

  if (!require_ops (ops))
    return;
  builder_init (&b, 13);
  b_input (&b, "X", 4, img_dims);
  b_init_f32 (&b, "hi", 0, NULL, &hi);
  b_node (&b, "Clip", NULL, in, out);
  b_output (&b, "Y", 4, img_dims);
  m = build_and_load (&b, &error);
  builder_clear (&b);
  g_assert_no_error (error);
  g_assert_cmpint (m->n_nodes, ==, 1);
  g_assert_cmpstr (m->nodes[0].name, ==, "Clip_0");
  g_assert_cmpint (m->nodes[0].inputs[1], ==, -1);
  g_assert_cmpint (rel_model_find_node (m, "Clip_0"), ==, 0);

  x = rel_tensor_new_f32 (4, shape, &error);
  for (int64_t i = 0; i < x->numel; i++)
    rel_tensor_f32 (x)[i] = (float) i / 10.f - 2.f;
  acts = rel_model_forward (m, x, NULL, &error);
  g_assert_no_error (error);
  y = rel_activations_output (acts);
  for (int64_t i = 0; i < x->numel; i++)
    g_assert_cmpfloat (rel_tensor_f32 (y)[i], ==, MIN (rel_tensor_f32 (x)[i], 0.5f));
}

/* Every attribute kind is copied: a TENSOR (ConstantOfShape's value), FLOAT,
 * STRING, STRINGS, FLOATS; the kernels then read them. */
static void
test_attributes (void)
{
  static const char *const ops[] = { "Shape", "ConstantOfShape", "LeakyRelu", NULL };
  static const float seven = 7.f;
  static const int64_t one[] = { 1 };
  static const float fl[] = { 0.5f, 1.5f };
  Builder b;
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) m = NULL;
  g_autoptr(RelTensor) x = NULL;
  g_autoptr(RelActivations) acts = NULL;
  const char *shape_in[] = { "X", NULL }, *shape_out[] = { "S", NULL };
  const char *leaky_in[] = { "X", NULL }, *leaky_out[] = { "L", NULL };
  const char *cos_in[] = { "S", NULL }, *cos_out[] = { "Y", NULL };
  int64_t xshape[] = { 1, 3, 4, 4 };
  Onnx__NodeProto *n;
  Onnx__AttributeProto *a;
  const RelAttr *ra;
  int leaky, cos;
  RelTensor *y, *l;

  if (!require_ops (ops))
    return;
  builder_init (&b, 13);
  b_input (&b, "X", 4, img_dims);
  b_node (&b, "Shape", "shape", shape_in, shape_out);
  n = b_node (&b, "LeakyRelu", "leaky", leaky_in, leaky_out);
  a = b_attr (&b, n, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  a->has_f = TRUE;
  a->f = 0.25f;
  a = b_attr (&b, n, "note", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  a->has_s = TRUE;
  a->s.data = (guint8 *) "hello";
  a->s.len = 5;
  a = b_attr (&b, n, "tags", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
  a->n_strings = 2;
  a->strings = b_keep (&b, g_new0 (ProtobufCBinaryData, 2));
  a->strings[0].data = (guint8 *) "a";
  a->strings[0].len = 1;
  a->strings[1].data = (guint8 *) "bc";
  a->strings[1].len = 2;
  a = b_attr (&b, n, "weights", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
  a->n_floats = 2;
  a->floats = b_keep (&b, g_memdup2 (fl, sizeof fl));
  n = b_node (&b, "ConstantOfShape", "fill", cos_in, cos_out);
  a = b_attr (&b, n, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
  a->t = b_tensor (&b, NULL, T_FLOAT, 1, one, &seven, sizeof seven);
  b_output (&b, "Y", 4, img_dims);
  m = build_and_load (&b, &error);
  builder_clear (&b);
  g_assert_no_error (error);

  leaky = rel_model_find_node (m, "leaky");
  cos = rel_model_find_node (m, "fill");
  g_assert_cmpint (leaky, >=, 0);
  g_assert_cmpint (cos, >=, 0);
  g_assert_cmpfloat (rel_node_attr_float (&m->nodes[leaky], "alpha", 0.f), ==, 0.25f);
  g_assert_cmpstr (rel_node_attr_string (&m->nodes[leaky], "note", NULL), ==, "hello");
  ra = rel_node_attr (&m->nodes[leaky], "tags");
  g_assert_nonnull (ra);
  g_assert_cmpint (ra->type, ==, REL_ATTR_STRINGS);
  g_assert_cmpint (ra->n, ==, 2);
  g_assert_cmpstr (ra->strings[1], ==, "bc");
  g_assert_null (ra->strings[2]);
  ra = rel_node_attr (&m->nodes[leaky], "weights");
  g_assert_cmpint (ra->type, ==, REL_ATTR_FLOATS);
  g_assert_cmpfloat (ra->floats[1], ==, 1.5f);
  ra = rel_node_attr (&m->nodes[cos], "value");
  g_assert_cmpint (ra->type, ==, REL_ATTR_TENSOR);
  g_assert_cmpfloat (rel_tensor_f32 (ra->t)[0], ==, 7.f);

  x = rel_tensor_new_f32 (4, xshape, &error);
  rel_tensor_fill (x, -2.f);
  acts = rel_model_forward (m, x, NULL, &error);
  g_assert_no_error (error);
  y = rel_activations_output (acts);
  g_assert_true (rel_tensor_same_shape (y, x));
  g_assert_cmpfloat (rel_tensor_f32 (y)[y->numel - 1], ==, 7.f);
  l = rel_activations_get (acts, rel_model_find_value (m, "L"));
  /* L is not on the output's path, but a forward pass computes every node */
  g_assert_nonnull (l);
  g_assert_cmpfloat (rel_tensor_f32 (l)[0], ==, -0.5f);
}

/* A node on constants that fails while being folded at load time must give an
 * error naming it (found by fuzzing: the model was then freed twice). Runs in
 * a subprocess so that a crash fails only this test. */
static void
test_fold_failure (void)
{
  static const char *const ops[] = { "Relu", "Conv", NULL };

  if (!require_ops (ops))
    return;
  if (g_test_subprocess ())
    {
      Builder b;
      g_autoptr(GError) error = NULL;
      static const int64_t a_dims[] = { 3 };
      static const float a[] = { 1.f, -2.f, 3.f };
      const char *relu_a_in[] = { "A", NULL }, *relu_a_out[] = { "A_relu", NULL };
      const char *conv_in[] = { "A_relu", "A", NULL }, *conv_out[] = { "C", NULL };
      const char *relu_x_in[] = { "X", NULL }, *relu_x_out[] = { "Y", NULL };

      builder_init (&b, 13);
      b_input (&b, "X", 4, img_dims);
      b_init_f32 (&b, "A", 1, a_dims, a);
      b_node (&b, "Relu", "relu_const", relu_a_in, relu_a_out);
      b_node (&b, "Conv", "bad_fold", conv_in, conv_out);
      b_node (&b, "Relu", "relu_x", relu_x_in, relu_x_out);
      b_output (&b, "Y", 4, img_dims);
      g_assert_null (build_and_load (&b, &error));
      g_assert_nonnull (error);
      assert_message_has (error, "bad_fold");
      builder_clear (&b);
      return;
    }
  /* in a subprocess: the bug this guards against was a double free */
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* ---- the reference fixtures ---- */

typedef struct {
  const char *dir, *file;
  const char *ops[8];
  int channels, size, classes;
  int n_nodes;  /* after Constant nodes became constants */
} Fixture;

static const Fixture fixtures[] = {
  { "tiny-cnn", "model.onnx", { "Conv", "Relu", "MaxPool", "Pad", "AveragePool", "Flatten", "Gemm", NULL },
    1, 28, 10, 11 },
  { "tiny-resnet", "model.onnx", { "Conv", "Relu", "Add", "GlobalAveragePool", "Flatten", "Gemm", NULL },
    3, 32, 5, 16 },
  { "tiny-resnet", "model-bn.onnx",
    { "Conv", "BatchNormalization", "Relu", "Add", "GlobalAveragePool", "Flatten", "Gemm", NULL },
    3, 32, 5, 22 },
  { "tiny-mobilenet", "model.onnx", { "Conv", "Clip", "GlobalAveragePool", "Flatten", "Gemm", NULL },
    3, 32, 5, 12 },
};

static void
test_fixture (gconstpointer data)
{
  const Fixture *f = data;
  g_autofree char *path = fixture_path (f->dir, f->file);
  g_autofree char *in_path = fixture_path (f->dir, "input.npy");
  g_autofree char *ref_path = fixture_path (f->dir, "logits.npy");
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) m = NULL;
  g_autoptr(RelTensor) x = NULL;
  g_autoptr(RelTensor) ref = NULL;
  g_autoptr(RelActivations) acts = NULL;
  RelValue *in;
  RelTensor *y;
  float max_diff = 0.f, max_ref;

  if (!require_ops (f->ops))
    return;
  m = rel_model_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (m->opset, ==, 13);
  g_assert_cmpstr (m->producer_name, ==, "pytorch");
  g_assert_cmpstr (m->path, ==, path);
  g_assert_cmpint (m->n_nodes, ==, f->n_nodes);
  in = rel_model_value (m, m->input);
  g_assert_cmpstr (in->name, ==, "input");
  g_assert_cmpint (in->ndim, ==, 4);
  g_assert_cmpint (in->shape[0], ==, -1);
  g_assert_cmpint (in->shape[1], ==, f->channels);
  g_assert_cmpint (in->shape[2], ==, f->size);
  g_assert_cmpint (in->shape[3], ==, f->size);
  g_assert_cmpstr (rel_model_value (m, m->output)->name, ==, "logits");
  g_assert_cmpint (rel_model_num_classes (m), ==, f->classes);
  for (int i = 0; i < m->n_nodes; i++)
    g_assert_nonnull (m->nodes[i].op);

  /* ReLU6's bounds came from Constant nodes */
  for (int i = 0; i < m->n_nodes; i++)
    if (strcmp (m->nodes[i].op_type, "Clip") == 0)
      {
        RelTensor *lo = rel_model_value (m, m->nodes[i].inputs[1])->constant;
        RelTensor *hi = rel_model_value (m, m->nodes[i].inputs[2])->constant;
        g_assert_nonnull (lo);
        g_assert_nonnull (hi);
        g_assert_cmpfloat (rel_tensor_f32 (lo)[0], ==, 0.f);
        g_assert_cmpfloat (rel_tensor_f32 (hi)[0], ==, 6.f);
      }

  x = rel_npy_load (in_path, &error);
  g_assert_no_error (error);
  ref = rel_npy_load (ref_path, &error);
  g_assert_no_error (error);
  acts = rel_model_forward (m, x, NULL, &error);
  g_assert_no_error (error);
  y = rel_activations_output (acts);
  g_assert_cmpint (y->numel, ==, ref->numel);
  g_assert_cmpint (y->shape[y->ndim - 1], ==, f->classes);
  for (int64_t i = 0; i < y->numel; i++)
    max_diff = MAX (max_diff, fabsf (rel_tensor_f32 (y)[i] - rel_tensor_f32 (ref)[i]));
  max_ref = rel_tensor_max_abs (ref);
  g_test_message ("%s/%s: max |logit - ref| = %g, max |ref| = %g", f->dir, f->file, max_diff, max_ref);
  g_assert_cmpfloat (max_ref, >, 0.f);
  g_assert_cmpfloat (max_diff / max_ref, <=, 1e-4);
}

/* ---- opsets before 7 ---- */

static Onnx__AttributeProto *
b_attr_int (Builder *b, Onnx__NodeProto *n, const char *name, int64_t v)
{
  Onnx__AttributeProto *a = b_attr (b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  a->has_i = TRUE;
  a->i = v;
  return a;
}

static RelTensor *
legacy_forward (RelModel *m, const float *x, int64_t n)
{
  int64_t shape[4] = { 1, 3, 4, 4 };
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) in = rel_tensor_new_from_f32 (4, shape, x, &error);
  g_autoptr(RelActivations) acts = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (in->numel, ==, n);
  acts = rel_model_forward (m, in, NULL, &error);
  g_assert_no_error (error);
  return rel_tensor_ref (rel_activations_output (acts));
}

/* What opsets 1–6 spelled differently: Add with broadcast = 1 and axis = 1
 * adds a [C] bias per channel of NCHW data (numpy's rules would add it along
 * W), and its cotangent sums back per channel; Reshape takes 'shape' as an
 * attribute (opset < 5), Pad 'paddings' (opset 1), Cast a type name
 * (opset < 6), Concat defaults to axis 1 (opset < 4). An axis broadcast on
 * another op and a per-activation BatchNorm are refused by name. */
static void
test_legacy_opsets (void)
{
  static const int64_t c_dims[] = { 3 };
  static const float bias[] = { 10.f, 20.f, 30.f };
  float x[48];
  Builder b;

  for (int i = 0; i < 48; i++)
    x[i] = (float) i * 0.5f - 3.f;

  /* Add, broadcast at axis 1 */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(RelModel) m = NULL;
    g_autoptr(RelTensor) y = NULL;
    g_autoptr(RelActivations) acts = NULL;
    g_autoptr(RelActivations) grads = NULL;
    g_autoptr(RelTensor) seed = NULL;
    const char *in[] = { "X", "B", NULL }, *out[] = { "Y", NULL };
    Onnx__NodeProto *n;
    int bid;

    builder_init (&b, 6);
    b_input (&b, "X", 4, img_dims);
    b_init_f32 (&b, "B", 1, c_dims, bias);
    n = b_node (&b, "Add", "bias_add", in, out);
    b_attr_int (&b, n, "broadcast", 1);
    b_attr_int (&b, n, "axis", 1);
    b_output (&b, "Y", 4, img_dims);
    m = build_and_load (&b, &error);
    g_assert_no_error (error);
    g_assert_cmpint (m->opset, ==, 6);
    y = legacy_forward (m, x, 48);
    for (int i = 0; i < 48; i++)
      g_assert_cmpfloat (rel_tensor_f32 (y)[i], ==, x[i] + bias[i / 16]);
    /* the bias's cotangent: the sum over its channel's 16 pixels */
    {
      int64_t shape[4] = { 1, 3, 4, 4 };
      g_autoptr(RelTensor) xt = rel_tensor_new_from_f32 (4, shape, x, &error);
      acts = rel_model_forward (m, xt, NULL, &error);
      g_assert_no_error (error);
    }
    seed = rel_tensor_new_like (rel_activations_output (acts), &error);
    rel_tensor_fill (seed, 1.f);
    for (int i = 0; i < 16; i++)
      rel_tensor_f32 (seed)[16 + i] = 2.f;   /* channel 1 counts twice */
    grads = rel_model_backward_params (m, acts, -1, seed, NULL, &error);
    g_assert_no_error (error);
    bid = rel_model_find_value (m, "B");
    g_assert_cmpint (bid, >=, 0);
    g_assert_nonnull (grads->values[bid]);
    g_assert_cmpint (grads->values[bid]->ndim, ==, 1);
    g_assert_cmpfloat (rel_tensor_f32 (grads->values[bid])[0], ==, 16.f);
    g_assert_cmpfloat (rel_tensor_f32 (grads->values[bid])[1], ==, 32.f);
    g_assert_cmpfloat (rel_tensor_f32 (grads->values[bid])[2], ==, 16.f);
    builder_clear (&b);
  }
  /* Reshape by attribute, Pad by 'paddings', Cast by type name, Concat's default axis */
  for (int form = 0; form < 4; form++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RelModel) m = NULL;
      g_autoptr(RelTensor) y = NULL;
      const char *in1[] = { "X", NULL }, *in2[] = { "X", "X", NULL }, *out[] = { "Y", NULL };
      static const int64_t flat[] = { 1, 48 }, padded[] = { 1, 3, 6, 4 }, cat[] = { 1, 6, 4, 4 };
      static const int64_t shape_attr[] = { 1, -1 }, paddings[] = { 0, 0, 1, 0, 0, 0, 1, 0 };
      Onnx__NodeProto *n;

      builder_init (&b, form == 0 ? 4 : form == 1 ? 1 : form == 2 ? 5 : 3);
      b_input (&b, "X", 4, img_dims);
      switch (form)
        {
        case 0:
          n = b_node (&b, "Reshape", "reshape", in1, out);
          b_attr_ints (&b, n, "shape", 2, shape_attr);
          b_output (&b, "Y", 2, flat);
          break;
        case 1:
          n = b_node (&b, "Pad", "pad", in1, out);
          b_attr_ints (&b, n, "paddings", 8, paddings);
          b_output (&b, "Y", 4, padded);
          break;
        case 2:
          {
            Onnx__AttributeProto *a;
            n = b_node (&b, "Cast", "cast", in1, out);
            a = b_attr (&b, n, "to", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
            a->has_s = TRUE;
            a->s.data = (guint8 *) b_str (&b, "FLOAT16");
            a->s.len = strlen ("FLOAT16");
            b_output (&b, "Y", 4, img_dims);
          }
          break;
        case 3:
          n = b_node (&b, "Concat", "concat", in2, out);
          b_output (&b, "Y", 4, cat);
          break;
        }
      m = build_and_load (&b, &error);
      g_assert_no_error (error);
      y = legacy_forward (m, x, 48);
      switch (form)
        {
        case 0:
          g_assert_cmpint (y->ndim, ==, 2);
          g_assert_cmpint (y->shape[1], ==, 48);
          g_assert_cmpfloat (rel_tensor_f32 (y)[47], ==, x[47]);
          break;
        case 1:
          /* one zero row above and below each 4×4 plane */
          g_assert_cmpint (y->shape[2], ==, 6);
          g_assert_cmpfloat (rel_tensor_f32 (y)[0], ==, 0.f);
          g_assert_cmpfloat (rel_tensor_f32 (y)[4], ==, x[0]);
          g_assert_cmpfloat (rel_tensor_f32 (y)[24 + 4], ==, x[16]);
          break;
        case 2:
          g_assert_cmpfloat (rel_tensor_f32 (y)[7], ==, rel_float_round_half (x[7]));
          g_assert_cmpfloat (rel_tensor_f32 (y)[47], ==, x[47]);
          break;
        case 3:
          g_assert_cmpint (y->shape[1], ==, 6);
          g_assert_cmpfloat (rel_tensor_f32 (y)[48 + 5], ==, x[5]);
          break;
        }
      builder_clear (&b);
    }
  /* refused by name: an axis broadcast where no kernel does it, BatchNorm per activation */
  for (int form = 0; form < 2; form++)
    {
      g_autoptr(GError) error = NULL;
      const char *pin[] = { "X", "B", NULL };
      const char *bnin[] = { "X", "B", "B", "B", "B", NULL }, *out[] = { "Y", NULL };
      Onnx__NodeProto *n;

      builder_init (&b, 6);
      b_input (&b, "X", 4, img_dims);
      b_init_f32 (&b, "B", 1, c_dims, bias);
      if (form == 0)
        {
          n = b_node (&b, "Pow", "pow", pin, out);
          b_attr_int (&b, n, "broadcast", 1);
          b_attr_int (&b, n, "axis", 1);
        }
      else
        {
          n = b_node (&b, "BatchNormalization", "bn", bnin, out);
          b_attr_int (&b, n, "spatial", 0);
        }
      b_output (&b, "Y", 4, img_dims);
      g_assert_null (build_and_load (&b, &error));
      g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
      assert_message_has (error, form == 0 ? "Pow" : "spatial");
      builder_clear (&b);
    }
}

/* Mixed-precision exports: float32 I/O, a Cast to FLOAT16 (BFLOAT16) in
 * front of a 16-bit body, weights stored in 16 bits
 * (tests/reference/make-float16-fixture.py). The core widens the weights
 * exactly, so each must equal its float32 twice, whose weights numpy (PyTorch)
 * rounded; on an input the Cast leaves exact the logits agree bit for bit,
 * and on any other input the low model sees the input rounded as a Cast to
 * the 16-bit type rounds it. */
static void
test_float16_models (void)
{
  const char *fixtures = g_getenv ("RELEVANCE_FIXTURES");
  const char *kinds[] = { "f16", "bf16" };

  g_assert_nonnull (fixtures);
  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autofree char *low_path = g_strdup_printf ("%s/float16/model-%s.onnx", fixtures, kinds[k]);
      g_autofree char *ref_path = g_strdup_printf ("%s/float16/model-%s-ref.onnx", fixtures, kinds[k]);
      g_autoptr(GError) error = NULL;
      g_autoptr(RelModel) low = rel_model_load (low_path, &error);
      g_autoptr(RelModel) ref = NULL;
      int64_t shape[4] = { 1, 3, 8, 8 };
      int n_weights = 0;

      g_assert_no_error (error);
      ref = rel_model_load (ref_path, &error);
      g_assert_no_error (error);
      /* every weight widened exactly */
      for (guint v = 0; v < ref->values->len; v++)
        {
          RelValue *rv = g_ptr_array_index (ref->values, v);
          int id;
          RelValue *lv;
          if (rv->constant == NULL || rv->constant->dtype != REL_DTYPE_FLOAT32 || rv->constant->numel < 2)
            continue;
          id = rel_model_find_value (low, rv->name);
          g_assert_cmpint (id, >=, 0);
          lv = rel_model_value (low, id);
          g_assert_nonnull (lv->constant);
          g_assert_true (rel_tensor_same_shape (lv->constant, rv->constant));
          g_assert_cmpmem (lv->constant->data, (gsize) lv->constant->numel * sizeof (float),
                           rv->constant->data, (gsize) rv->constant->numel * sizeof (float));
          n_weights++;
        }
      g_assert_cmpint (n_weights, ==, 6);
      for (int exact = 1; exact >= 0; exact--)
        {
          g_autoptr(RelTensor) x = rel_tensor_new_f32 (4, shape, &error);
          g_autoptr(RelTensor) xr = NULL;
          g_autoptr(RelActivations) a = NULL;
          g_autoptr(RelActivations) b = NULL;
          RelTensor *ya, *yb;

          for (int64_t i = 0; i < x->numel; i++)
            rel_tensor_f32 (x)[i] = exact ? (float) ((i * 37) % 128) / 128.f : 0.1f + 0.0137f * (float) i;
          xr = rel_tensor_copy (x, &error);
          for (int64_t i = 0; i < xr->numel; i++)
            rel_tensor_f32 (xr)[i] = k == 0 ? rel_float_round_half (rel_tensor_f32 (x)[i])
                                            : rel_float_round_bfloat16 (rel_tensor_f32 (x)[i]);
          a = rel_model_forward (low, x, NULL, &error);
          g_assert_no_error (error);
          b = rel_model_forward (ref, xr, NULL, &error);
          g_assert_no_error (error);
          ya = rel_activations_output (a);
          yb = rel_activations_output (b);
          g_assert_true (rel_tensor_same_shape (ya, yb));
          g_assert_cmpint (ya->numel, ==, 5);
          for (int64_t i = 0; i < ya->numel; i++)
            g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (ya)[i], rel_tensor_f32 (yb)[i],
                                            1e-6 * MAX (1.f, fabsf (rel_tensor_f32 (yb)[i])));
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/onnx-load/garbage", test_garbage);
  g_test_add_func ("/onnx-load/empty-and-missing", test_empty_and_missing);
  g_test_add_func ("/onnx-load/truncated", test_truncated);
  g_test_add_func ("/onnx-load/deep-nesting", test_deep_nesting);
  g_test_add_func ("/onnx-load/unpack-budget", test_unpack_budget);
  g_test_add_func ("/onnx-load/header-checks", test_header_checks);
  g_test_add_func ("/onnx-load/metadata-and-io", test_metadata_and_io);
  g_test_add_func ("/onnx-load/inputs", test_inputs);
  g_test_add_func ("/onnx-load/unsupported-op", test_unsupported_op);
  g_test_add_func ("/onnx-load/node-limit", test_node_limit);
  g_test_add_func ("/onnx-load/many-inputs", test_many_inputs);
  g_test_add_func ("/onnx-load/rank-and-dynamic", test_rank_and_dynamic);
  g_test_add_func ("/onnx-load/constant-forms", test_constant_forms);
  g_test_add_func ("/onnx-load/bad-weights", test_bad_weights);
  g_test_add_func ("/onnx-load/tensor-data", test_tensor_data);
  g_test_add_func ("/onnx-load/external-data", test_external_data);
  g_test_add_func ("/onnx-load/conv-model", test_conv_model);
  g_test_add_func ("/onnx-load/conv-shape-mismatch", test_conv_shape_mismatch);
  g_test_add_func ("/onnx-load/missing-initializer", test_missing_initializer);
  g_test_add_func ("/onnx-load/omitted-required-input", test_omitted_required_input);
  g_test_add_func ("/onnx-load/optional-input", test_optional_input);
  g_test_add_func ("/onnx-load/attributes", test_attributes);
  g_test_add_func ("/onnx-load/fold-failure", test_fold_failure);
  g_test_add_func ("/onnx-load/float16-models", test_float16_models);
  g_test_add_func ("/onnx-load/legacy-opsets", test_legacy_opsets);
  for (gsize i = 0; i < G_N_ELEMENTS (fixtures); i++)
    {
      g_autofree char *name = g_strdup_printf ("/onnx-load/fixture/%s/%s", fixtures[i].dir, fixtures[i].file);
      g_test_add_data_func (name, &fixtures[i], test_fixture);
    }
  return g_test_run ();
}
