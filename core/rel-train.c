/* rel-train.c — training small CNNs on the core's engine; see rel-train.h.
 *
 * One step: build the batch (planting on the fly), forward, cross-entropy and
 * its gradient as the backward seed at the logits, rel_model_backward_params
 * for dL/dW of every initializer, then the optimizer updates the initializers
 * in place. Conv/Gemm weights and biases and BatchNormalization scale and
 * bias are trained. Training steps run with ctx.training set, so
 * BatchNormalization normalises with the batch statistics and its backward
 * goes through them; after each step its running mean and variance (the
 * constants inputs 3 and 4) move towards the batch's with the node's momentum
 * (ONNX: running·momentum + batch·(1 − momentum), default 0.9; the unbiased
 * variance, as PyTorch keeps). Evaluation, explanations and the exported graph
 * use the running statistics: the inference form, an ordinary ONNX model.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-train.h"
#include "rel-core.h"
#include "rel-error.h"
#include "rel-onnx-export.h"

#include <math.h>
#include <string.h>

/* ---- a seeded PRNG (xoshiro256** seeded by splitmix64) ---- */

typedef struct { guint64 s[4]; } Rng;

static guint64
splitmix (guint64 *x)
{
  guint64 z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static void
rng_init (Rng *r, guint64 seed, guint64 stream)
{
  guint64 x = seed ^ (stream * 0xD1B54A32D192ED03ull);
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix (&x);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static guint64
rng_next (Rng *r)
{
  guint64 *s = r->s, result = rotl (s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

static double
rng_uniform (Rng *r)
{
  return ((double) (rng_next (r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double
rng_normal (Rng *r)
{
  /* Box–Muller, one value per call: simple and reproducible */
  double u = rng_uniform (r), v = rng_uniform (r);
  return sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
}

/* ---- options ---- */

void
rel_train_options_init (RelTrainOptions *opt)
{
  memset (opt, 0, sizeof *opt);
  opt->epochs = 3;
  opt->batch = 64;
  opt->lr = 1e-3;
  opt->momentum = 0.9;
  opt->beta1 = 0.9;
  opt->beta2 = 0.999;
  opt->eps = 1e-8;
  opt->cosine = TRUE;
  opt->optimizer = REL_OPTIMIZER_ADAM;
}

/* ---- building a graph ---- */

static const char *const arch_names[] = { "tiny", "tiny-bn", "tiny-fc", "small", "mlp", NULL };

const char *const *
rel_train_arch_names (void)
{
  return arch_names;
}

typedef struct {
  RelModel *model;
  GArray   *nodes;   /* RelNode */
  Rng       rng;
  char     *last;    /* name of the running activation */
  int       counter;
} Builder;

static RelAttr
attr_ints (const char *name, int n, const int64_t *v)
{
  RelAttr a = { 0 };
  a.name = g_strdup (name);
  a.type = REL_ATTR_INTS;
  a.n = n;
  a.ints = g_memdup2 (v, sizeof (int64_t) * (gsize) n);
  return a;
}

static RelAttr
attr_int (const char *name, int64_t v)
{
  RelAttr a = { 0 };
  a.name = g_strdup (name);
  a.type = REL_ATTR_INT;
  a.i = v;
  return a;
}

/* Adds a node reading the running activation and @consts, producing a new one. */
static void
add_node (Builder *b, RelOpId id, const char *const *consts, int n_consts, RelAttr *attrs, int n_attrs)
{
  const char *op = rel_op_name (id);
  RelNode node = { 0 };
  g_autofree char *out = g_strdup_printf ("%s_%d", op, b->counter);

  node.name = g_strdup_printf ("%s_%d", op, b->counter++);
  node.op_type = g_strdup (op);
  node.n_inputs = 1 + n_consts;
  node.inputs = g_new (int, node.n_inputs);
  node.inputs[0] = rel_model_intern_value (b->model, b->last);
  for (int i = 0; i < n_consts; i++)
    node.inputs[1 + i] = rel_model_intern_value (b->model, consts[i]);
  node.n_outputs = 1;
  node.outputs = g_new (int, 1);
  node.outputs[0] = rel_model_intern_value (b->model, out);
  node.n_attrs = n_attrs;
  node.attrs = n_attrs ? g_memdup2 (attrs, sizeof (RelAttr) * (gsize) n_attrs) : NULL;
  g_array_append_val (b->nodes, node);
  g_free (b->last);
  b->last = g_steal_pointer (&out);
}

static gboolean
add_constant (Builder *b, const char *name, int ndim, const int64_t *shape, double he_fan_in, GError **error)
{
  int id = rel_model_intern_value (b->model, name);
  RelValue *v = rel_model_value (b->model, id);
  RelTensor *t = rel_tensor_new_f32 (ndim, shape, error);

  if (t == NULL)
    return FALSE;
  if (he_fan_in > 0)
    {
      float *d = rel_tensor_f32 (t);
      double sd = sqrt (2.0 / he_fan_in);
      for (int64_t i = 0; i < t->numel; i++)
        d[i] = (float) (sd * rng_normal (&b->rng));
    }
  v->constant = t;
  v->dtype = REL_DTYPE_FLOAT32;
  v->ndim = ndim;
  memcpy (v->shape, shape, sizeof (int64_t) * (gsize) ndim);
  return TRUE;
}

static gboolean
add_conv (Builder *b, int64_t cin, int64_t cout, int64_t k, GError **error)
{
  g_autofree char *w = g_strdup_printf ("conv%d.weight", b->counter);
  g_autofree char *bias = g_strdup_printf ("conv%d.bias", b->counter);
  const char *consts[2] = { w, bias };
  int64_t ws[4] = { cout, cin, k, k }, bs[1] = { cout };
  int64_t pads[4] = { k / 2, k / 2, k / 2, k / 2 }, ks[2] = { k, k }, strides[2] = { 1, 1 };
  RelAttr attrs[3] = { attr_ints ("kernel_shape", 2, ks), attr_ints ("pads", 4, pads),
                       attr_ints ("strides", 2, strides) };

  if (!add_constant (b, w, 4, ws, (double) (cin * k * k), error) || !add_constant (b, bias, 1, bs, 0, error))
    return FALSE;
  add_node (b, REL_OP_CONV, consts, 2, attrs, 3);
  return TRUE;
}

static gboolean
add_gemm (Builder *b, int64_t in, int64_t out, GError **error)
{
  g_autofree char *w = g_strdup_printf ("fc%d.weight", b->counter);
  g_autofree char *bias = g_strdup_printf ("fc%d.bias", b->counter);
  const char *consts[2] = { w, bias };
  int64_t ws[2] = { out, in }, bs[1] = { out };
  RelAttr attrs[1] = { attr_int ("transB", 1) };

  if (!add_constant (b, w, 2, ws, (double) in, error) || !add_constant (b, bias, 1, bs, 0, error))
    return FALSE;
  add_node (b, REL_OP_GEMM, consts, 2, attrs, 1);
  return TRUE;
}

/* BatchNormalization with its running statistics as constants, starting at
 * mean 0, variance 1 (as PyTorch's); rel_train trains scale and bias and
 * updates the statistics from the batches. */
static gboolean
add_bn (Builder *b, int64_t c, GError **error)
{
  const char *kinds[4] = { "scale", "bias", "mean", "var" };
  char *names[4];
  int64_t s[1] = { c };
  gboolean ok = TRUE;
  RelAttr attrs[1] = { { 0 } };

  attrs[0].name = g_strdup ("epsilon");
  attrs[0].type = REL_ATTR_FLOAT;
  attrs[0].f = 1e-5f;
  for (int i = 0; i < 4; i++)
    {
      names[i] = g_strdup_printf ("bn%d.%s", b->counter, kinds[i]);
      ok = ok && add_constant (b, names[i], 1, s, 0, error);
      if (ok && (i == 0 || i == 3))
        rel_tensor_fill (rel_model_value (b->model, rel_model_find_value (b->model, names[i]))->constant, 1.f);
    }
  if (ok)
    add_node (b, REL_OP_BATCH_NORMALIZATION, (const char *const *) names, 4, attrs, 1);
  else
    g_free (attrs[0].name);
  for (int i = 0; i < 4; i++)
    g_free (names[i]);
  return ok;
}

static void
add_pool (Builder *b)
{
  int64_t ks[2] = { 2, 2 };
  RelAttr attrs[2] = { attr_ints ("kernel_shape", 2, ks), attr_ints ("strides", 2, ks) };
  add_node (b, REL_OP_MAX_POOL, NULL, 0, attrs, 2);
}

static void
add_simple (Builder *b, RelOpId op)
{
  if (op == REL_OP_FLATTEN)
    {
      RelAttr a = attr_int ("axis", 1);
      add_node (b, op, NULL, 0, &a, 1);
    }
  else
    add_node (b, op, NULL, 0, NULL, 0);
}

static char *
join_floats (const float *v, int n)
{
  GString *s = g_string_new (NULL);
  for (int i = 0; i < n; i++)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_ascii_formatd (buf, sizeof buf, "%.8g", v[i]);
      g_string_append_printf (s, "%s%s", i ? "," : "", buf);
    }
  return g_string_free (s, FALSE);
}

RelModel *
rel_train_build (const char *arch, int channels, int height, int width,
                 const char *const *labels, const float *mean, const float *std,
                 guint64 seed, GError **error)
{
  g_autoptr(RelModel) bare = rel_model_new ();
  g_autofree guint8 *data = NULL;
  Builder b = { 0 };
  int n_classes = labels ? (int) g_strv_length ((char **) labels) : 0;
  int64_t h4 = height / 4, w4 = width / 4;
  gboolean ok = FALSE;
  RelValue *v;
  gsize len;

  if (arch == NULL || !g_strv_contains (arch_names, arch))
    {
      g_autofree char *known = g_strjoinv (", ", (char **) arch_names);
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "unknown architecture '%s' (known: %s)",
                   arch ? arch : "", known);
      return NULL;
    }
  if (channels < 1 || channels > 3 || height < 4 || width < 4 || height > 1024 || width > 1024
      || height % 4 || width % 4 || n_classes < 2)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "cannot build a network for %d×%d×%d images and %d classes "
                   "(1–3 channels, sides a multiple of 4 up to 1024, at least 2 classes)",
                   channels, height, width, n_classes);
      return NULL;
    }

  b.model = bare;
  b.nodes = g_array_new (FALSE, TRUE, sizeof (RelNode));
  rng_init (&b.rng, seed, 0x77656967687473ull);
  b.last = g_strdup ("input");
  bare->input = rel_model_intern_value (bare, "input");
  v = rel_model_value (bare, bare->input);
  v->dtype = REL_DTYPE_FLOAT32;
  v->ndim = 4;
  v->shape[0] = -1, v->shape[1] = channels, v->shape[2] = height, v->shape[3] = width;

  if (strcmp (arch, "mlp") == 0)
    {
      add_simple (&b, REL_OP_FLATTEN);
      ok = add_gemm (&b, (int64_t) channels * height * width, 128, error);
      add_simple (&b, REL_OP_RELU);
      ok = ok && add_gemm (&b, 128, n_classes, error);
    }
  else
    {
      int64_t c1 = g_str_has_prefix (arch, "tiny") ? 8 : 16, c2 = 2 * c1;
      gboolean bn = strcmp (arch, "tiny-bn") == 0;
      ok = add_conv (&b, channels, c1, 5, error);
      ok = ok && (!bn || add_bn (&b, c1, error));
      add_simple (&b, REL_OP_RELU);
      add_pool (&b);
      ok = ok && add_conv (&b, c1, c2, 5, error);
      ok = ok && (!bn || add_bn (&b, c2, error));
      add_simple (&b, REL_OP_RELU);
      add_pool (&b);
      add_simple (&b, REL_OP_FLATTEN);
      if (strcmp (arch, "small") == 0 || strcmp (arch, "tiny-fc") == 0)
        {
          ok = ok && add_gemm (&b, c2 * h4 * w4, 64, error);
          add_simple (&b, REL_OP_RELU);
          ok = ok && add_gemm (&b, 64, n_classes, error);
        }
      else
        ok = ok && add_gemm (&b, c2 * h4 * w4, n_classes, error);
    }

  /* the last activation is the output, renamed "logits" */
  if (ok)
    {
      RelNode *last = &g_array_index (b.nodes, RelNode, b.nodes->len - 1);
      RelValue *out = rel_model_value (bare, last->outputs[0]);
      g_hash_table_remove (bare->value_index, out->name);
      g_free (out->name);
      out->name = g_strdup ("logits");
      g_hash_table_insert (bare->value_index, out->name, GINT_TO_POINTER (last->outputs[0] + 1));
      bare->output = last->outputs[0];
      out->dtype = REL_DTYPE_FLOAT32;
      out->ndim = 2;
      out->shape[0] = -1;
      out->shape[1] = n_classes;
    }
  bare->n_nodes = (int) b.nodes->len;
  bare->nodes = (RelNode *) g_array_free (b.nodes, FALSE);
  g_free (b.last);
  if (!ok)
    return NULL;

  bare->opset = 13;
  {
    float m[3], s[3];
    for (int c = 0; c < channels; c++)
      {
        m[c] = mean ? mean[c] : 0.f;
        s[c] = std && std[c] > 0 ? std[c] : 1.f;
      }
    g_hash_table_insert (bare->metadata, g_strdup ("relevance.scale"), g_strdup ("0.003921568627"));
    g_hash_table_insert (bare->metadata, g_strdup ("relevance.mean"), join_floats (m, channels));
    g_hash_table_insert (bare->metadata, g_strdup ("relevance.std"), join_floats (s, channels));
    g_hash_table_insert (bare->metadata, g_strdup ("relevance.labels"), g_strjoinv ("\n", (char **) labels));
    g_hash_table_insert (bare->metadata, g_strdup ("architecture"), g_strdup (arch));
  }

  if ((data = rel_onnx_export_data (bare, &len, error)) == NULL)
    return NULL;
  return rel_model_load_from_data (data, len, NULL, error);
}

/* ---- data ---- */

void
rel_sample_set_stats (const RelSampleSet *set, float *mean, float *std)
{
  gsize plane = (gsize) set->height * set->width;
  for (int c = 0; c < set->channels; c++)
    {
      double s = 0, s2 = 0;
      for (int i = 0; i < set->n; i++)
        {
          const float *p = rel_sample_set_image (set, i) + c * plane;
          for (gsize k = 0; k < plane; k++)
            {
              double x = p[k] / 255.0;
              s += x;
              s2 += x * x;
            }
        }
      double n = (double) set->n * plane, m = s / n;
      mean[c] = (float) m;
      std[c] = (float) sqrt (MAX (s2 / n - m * m, 1e-12));
    }
}

RelTensor *
rel_train_make_batch (RelModel *model, const RelSampleSet *set, const int *indices, int n,
                      const RelPlantSpec *plant, GError **error)
{
  const RelPreprocess *pp = &model->preprocess;
  gsize plane = (gsize) set->height * set->width, per = plane * set->channels;
  RelTensor *t;
  float *d;

  if (pp->channels != set->channels || pp->height != set->height || pp->width != set->width)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "the model takes %d×%d×%d images, the data set has %d×%d×%d",
                   pp->channels, pp->height, pp->width, set->channels, set->height, set->width);
      return NULL;
    }
  if ((t = rel_tensor_new_4d (n, set->channels, set->height, set->width, error)) == NULL)
    return NULL;
  d = rel_tensor_f32 (t);
  for (int i = 0; i < n; i++)
    {
      float *dst = d + per * i;
      int idx = indices ? indices[i] : i;
      memcpy (dst, rel_sample_set_image (set, idx), per * sizeof (float));
      if (plant && rel_plant_selects (plant, idx, set->labels[idx]))
        rel_plant_paint (plant, idx, dst, set->channels, set->height, set->width);
      for (int c = 0; c < set->channels; c++)
        {
          float a = pp->scale / pp->std[c], b = -pp->mean[c] / pp->std[c];
          float *p = dst + plane * c;
          for (gsize k = 0; k < plane; k++)
            p[k] = p[k] * a + b;
        }
    }
  return t;
}

/* ---- loss ---- */

double
rel_cross_entropy (const RelTensor *logits, const int *labels, RelTensor *grad, int *correct)
{
  int64_t n = logits->shape[0], k = logits->numel / MAX (n, 1);
  const float *z = rel_tensor_f32 (logits);
  double total = 0;
  int hits = 0;

  for (int64_t i = 0; i < n; i++)
    {
      const float *zi = z + i * k;
      double max = zi[0], sum = 0;
      int arg = 0;
      for (int64_t j = 1; j < k; j++)
        if (zi[j] > max)
          max = zi[j], arg = (int) j;
      for (int64_t j = 0; j < k; j++)
        sum += exp (zi[j] - max);
      /* log-softmax: z − max − log Σ exp(z − max) */
      total -= zi[labels[i]] - max - log (sum);
      hits += arg == labels[i];
      if (grad)
        {
          float *g = rel_tensor_f32 (grad) + i * k;
          for (int64_t j = 0; j < k; j++)
            g[j] = (float) ((exp (zi[j] - max) / sum - (j == labels[i])) / (double) n);
        }
    }
  if (correct)
    *correct = hits;
  return n > 0 ? total / (double) n : 0.0;
}

/* ---- training ---- */

typedef struct {
  int    value;      /* value id of the initializer */
  float *m, *v;      /* optimizer state, numel each */
  gboolean decay;    /* weight decay applies (weights, not biases) */
} Param;

static GArray *
collect_params (RelModel *model, const char *const *trainable)
{
  GArray *params = g_array_new (FALSE, TRUE, sizeof (Param));
  g_autofree gboolean *seen = g_new0 (gboolean, model->values->len);

  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      gboolean bn = rel_node_has (node, REL_OP_CHANNEL_AFFINE);
      /* the layers the trainer updates (MatMul weights stay as they are) */
      if (!rel_node_is (node, REL_OP_CONV) && !rel_node_is (node, REL_OP_GEMM) && !bn)
        continue;
      if (trainable && !g_strv_contains (trainable, node->name))
        continue;
      /* BatchNormalization: scale and bias, not the running statistics */
      for (int k = 1; k < (bn ? 3 : node->n_inputs); k++)
        {
          int v = node->inputs[k];
          RelValue *val = rel_model_value (model, v);
          if (v < 0 || seen[v] || val->constant == NULL || val->constant->dtype != REL_DTYPE_FLOAT32)
            continue;
          seen[v] = TRUE;
          Param p = { v, g_new0 (float, val->constant->numel), g_new0 (float, val->constant->numel), k == 1 && !bn };
          g_array_append_val (params, p);
        }
    }
  return params;
}

void
rel_train_update_bn_stats (RelModel *model, RelActivations *acts)
{
  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      RelTensor *x, *rm, *rv;
      int64_t n, c, plane, count;
      float momentum;

      if (!rel_node_is (node, REL_OP_BATCH_NORMALIZATION) || node->n_inputs < 5
          || node->inputs[0] < 0 || node->inputs[3] < 0 || node->inputs[4] < 0)
        continue;
      x = rel_activations_get (acts, node->inputs[0]);
      rm = rel_model_value (model, node->inputs[3])->constant;
      rv = rel_model_value (model, node->inputs[4])->constant;
      if (x == NULL || rm == NULL || rv == NULL || x->dtype != REL_DTYPE_FLOAT32 || x->ndim < 2
          || rm->dtype != REL_DTYPE_FLOAT32 || rv->dtype != REL_DTYPE_FLOAT32
          || rm->numel != x->shape[1] || rv->numel != x->shape[1] || rm == rv)
        continue;
      n = x->shape[0];
      c = x->shape[1];
      plane = n * c > 0 ? x->numel / (n * c) : 0;
      count = n * plane;
      if (count < 1)
        continue;
      momentum = rel_node_attr_float (node, "momentum", 0.9f);
      for (int64_t ch = 0; ch < c; ch++)
        {
          double s = 0.0, s2 = 0.0, m;
          for (int64_t j = 0; j < n; j++)
            {
              const float *xp = rel_tensor_f32 (x) + (j * c + ch) * plane;
              for (int64_t k = 0; k < plane; k++)
                s += xp[k];
            }
          m = s / (double) count;
          for (int64_t j = 0; j < n; j++)
            {
              const float *xp = rel_tensor_f32 (x) + (j * c + ch) * plane;
              for (int64_t k = 0; k < plane; k++)
                s2 += (xp[k] - m) * (xp[k] - m);
            }
          /* unbiased for the running estimate (a single value keeps 0) */
          s2 /= (double) MAX (count - 1, 1);
          rel_tensor_f32 (rm)[ch] = (float) (rel_tensor_f32 (rm)[ch] * momentum + m * (1.0 - momentum));
          rel_tensor_f32 (rv)[ch] = (float) (rel_tensor_f32 (rv)[ch] * momentum + s2 * (1.0 - momentum));
        }
    }
}

static void
free_params (GArray *params)
{
  for (guint i = 0; i < params->len; i++)
    {
      g_free (g_array_index (params, Param, i).m);
      g_free (g_array_index (params, Param, i).v);
    }
  g_array_free (params, TRUE);
}

static void
update (RelModel *model, GArray *params, RelActivations *grads, const RelTrainOptions *opt,
        double lr, int64_t t)
{
  double bc1 = 1.0 - pow (opt->beta1, (double) t), bc2 = 1.0 - pow (opt->beta2, (double) t);

  for (guint i = 0; i < params->len; i++)
    {
      Param *p = &g_array_index (params, Param, i);
      RelTensor *w = rel_model_value (model, p->value)->constant;
      RelTensor *g = grads->values[p->value];
      float *wd = rel_tensor_f32 (w);
      const float *gd;
      float wdecay = p->decay ? (float) opt->weight_decay : 0.f;

      if (g == NULL)
        continue;
      gd = rel_tensor_f32 (g);
      if (opt->optimizer == REL_OPTIMIZER_SGD)
        {
          float mu = (float) opt->momentum, a = (float) lr;
          for (int64_t k = 0; k < w->numel; k++)
            {
              p->m[k] = mu * p->m[k] + gd[k] + wdecay * wd[k];
              wd[k] -= a * p->m[k];
            }
        }
      else
        {
          float b1 = (float) opt->beta1, b2 = (float) opt->beta2;
          float step = (float) (lr * sqrt (bc2) / bc1), eps = (float) (opt->eps * sqrt (bc2));
          for (int64_t k = 0; k < w->numel; k++)
            {
              float gk = gd[k] + wdecay * wd[k];
              p->m[k] = b1 * p->m[k] + (1.f - b1) * gk;
              p->v[k] = b2 * p->v[k] + (1.f - b2) * gk * gk;
              wd[k] -= step * p->m[k] / (sqrtf (p->v[k]) + eps);
            }
        }
    }
}

gboolean
rel_train (RelModel *model, const RelSampleSet *train, const RelPlantSpec *plant,
           const RelTrainOptions *opt, RelTrainProgressFunc progress, gpointer user_data,
           volatile gint *cancel, GError **error)
{
  g_autofree int *order = NULL;
  GArray *params = NULL;
  RelContext ctx;
  int batch, n_steps;
  int64_t t = 0, total_steps;
  gboolean ok = FALSE;

  if (opt->epochs < 1 || opt->batch < 1 || !(opt->lr > 0) || train->n < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "training needs at least one epoch, a batch size ≥ 1, a learning rate > 0 and samples");
      return FALSE;
    }
  rel_context_init (&ctx);
  if (opt->n_threads > 0)
    ctx.n_threads = opt->n_threads;
  ctx.cancel = cancel;
  ctx.training = TRUE;
  ctx.blas_only = TRUE;   /* the same weights on every CPU with the same OpenBLAS */
  batch = MIN (opt->batch, train->n);
  n_steps = (train->n + batch - 1) / batch;
  total_steps = (int64_t) n_steps * opt->epochs;
  order = g_new (int, train->n);
  params = collect_params (model, opt->trainable);

  for (int epoch = 0; epoch < opt->epochs; epoch++)
    {
      Rng rng;
      double loss_sum = 0;
      int64_t hits = 0, seen = 0;

      /* a fresh Fisher–Yates shuffle per epoch, from (seed, epoch) */
      rng_init (&rng, opt->seed, 0x73687566ull + (guint64) epoch);
      for (int i = 0; i < train->n; i++)
        order[i] = i;
      for (int i = train->n - 1; i > 0; i--)
        {
          int j = (int) (rng_next (&rng) % (guint64) (i + 1)), tmp = order[i];
          order[i] = order[j];
          order[j] = tmp;
        }

      for (int step = 0; step < n_steps; step++)
        {
          int first = step * batch, n = MIN (batch, train->n - first), correct;
          g_autoptr(RelTensor) x = NULL;
          g_autoptr(RelTensor) seed = NULL;
          g_autoptr(RelActivations) acts = NULL;
          g_autoptr(RelActivations) grads = NULL;
          g_autofree int *labels = g_new (int, n);
          double loss, lr = opt->lr;
          RelTrainProgress pr;

          if (cancel && g_atomic_int_get (cancel))
            {
              g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "training cancelled");
              goto out;
            }
          for (int i = 0; i < n; i++)
            labels[i] = train->labels[order[first + i]];
          if ((x = rel_train_make_batch (model, train, order + first, n, plant, error)) == NULL
              || (acts = rel_model_forward (model, x, &ctx, error)) == NULL)
            goto out;
          {
            RelTensor *logits = rel_activations_output (acts);
            if (logits->ndim != 2 || logits->shape[0] != n || logits->shape[1] != train->n_classes)
              {
                g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "the model's output does not have %d classes",
                             train->n_classes);
                goto out;
              }
            if ((seed = rel_tensor_new_like (logits, error)) == NULL)
              goto out;
            loss = rel_cross_entropy (logits, labels, seed, &correct);
          }
          if (!isfinite (loss))
            {
              g_set_error (error, REL_ERROR, REL_ERROR_FAILED,
                           "the loss diverged at epoch %d step %d (try a smaller learning rate)",
                           epoch + 1, step + 1);
              goto out;
            }
          if ((grads = rel_model_backward_params (model, acts, -1, seed, &ctx, error)) == NULL)
            goto out;
          rel_train_update_bn_stats (model, acts);
          g_clear_pointer (&acts, rel_activations_free);
          if (opt->cosine)
            lr = 0.5 * opt->lr * (1.0 + cos (G_PI * (double) t / (double) total_steps));
          t++;
          update (model, params, grads, opt, lr, t);

          loss_sum += loss * n;
          hits += correct;
          seen += n;
          pr.epoch = epoch + 1;
          pr.n_epochs = opt->epochs;
          pr.step = step + 1;
          pr.n_steps = n_steps;
          pr.loss = loss;
          pr.epoch_loss = loss_sum / (double) seen;
          pr.accuracy = (double) hits / (double) seen;
          if (progress && !progress (&pr, user_data))
            {
              g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "training cancelled");
              goto out;
            }
        }
    }
  ok = TRUE;

out:
  free_params (params);
  return ok;
}

double
rel_train_evaluate (RelModel *model, const RelSampleSet *set, const RelPlantSpec *plant,
                    int *predictions, int n_threads, GError **error)
{
  const int chunk = 256;
  RelContext ctx;
  int64_t hits = 0;

  rel_context_init (&ctx);
  if (n_threads > 0)
    ctx.n_threads = n_threads;
  ctx.blas_only = TRUE;   /* the figures training reports, as reproducible as its weights */
  for (int first = 0; first < set->n; first += chunk)
    {
      int n = MIN (chunk, set->n - first);
      g_autofree int *idx = g_new (int, n);
      g_autoptr(RelTensor) x = NULL;
      g_autoptr(RelActivations) acts = NULL;
      RelTensor *logits;
      int64_t k;

      for (int i = 0; i < n; i++)
        idx[i] = first + i;
      if ((x = rel_train_make_batch (model, set, idx, n, plant, error)) == NULL
          || (acts = rel_model_forward (model, x, &ctx, error)) == NULL)
        return -1.0;
      logits = rel_activations_output (acts);
      k = logits->numel / n;
      for (int i = 0; i < n; i++)
        {
          const float *z = rel_tensor_f32 (logits) + k * i;
          int arg = 0;
          for (int64_t j = 1; j < k; j++)
            if (z[j] > z[arg])
              arg = (int) j;
          hits += arg == set->labels[first + i];
          if (predictions)
            predictions[first + i] = arg;
        }
    }
  return set->n > 0 ? (double) hits / set->n : 0.0;
}
