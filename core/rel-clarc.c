/* rel-clarc.c — concept activation vectors, P-ClArC and A-ClArC.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-clarc.h"
#include "rel-error.h"
#include "rel-onnx-export.h"
#include "rel-train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static gboolean
cancelled (volatile gint *cancel, GError **error)
{
  if (cancel && g_atomic_int_get (cancel))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
      return TRUE;
    }
  return FALSE;
}

/* ---- layers ---- */

/* One forward pass of a zero input tells which values are 4-D activations. */
static RelActivations *
probe (RelModel *model, GError **error)
{
  int ndim;
  int64_t shape[REL_MAX_DIMS];
  g_autoptr(RelTensor) x = NULL;

  if (!rel_model_input_shape (model, 1, &ndim, shape, error)
      || (x = rel_tensor_new_f32 (ndim, shape, error)) == NULL)
    return NULL;
  return rel_model_forward (model, x, NULL, error);
}

char **
rel_clarc_layers (RelModel *model)
{
  g_autoptr(RelActivations) acts = probe (model, NULL);
  GPtrArray *names = g_ptr_array_new ();

  for (int i = 0; acts && i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      RelTensor *t;
      if (node->n_outputs < 1 || node->outputs[0] < 0 || node->outputs[0] == model->output)
        continue;
      t = rel_activations_get (acts, node->outputs[0]);
      if (t && t->dtype == REL_DTYPE_FLOAT32 && t->ndim == 4 && !rel_model_value (model, node->outputs[0])->constant)
        g_ptr_array_add (names, g_strdup (node->name));
    }
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

int
rel_clarc_find_layer (RelModel *model, const char *name, GError **error)
{
  g_auto(GStrv) layers = rel_clarc_layers (model);

  for (int i = 0; layers[i]; i++)
    {
      int n = rel_model_find_node (model, layers[i]);
      const RelNode *node;
      if (n < 0)
        continue;
      node = &model->nodes[n];
      if (strcmp (node->name, name) == 0 || strcmp (rel_model_value (model, node->outputs[0])->name, name) == 0)
        return node->outputs[0];
    }
  {
    g_autofree char *list = g_strjoinv (", ", layers);
    g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                 "the model has no layer “%s” with an image-shaped activation (layers: %s)", name,
                 *list ? list : "none");
  }
  return -1;
}

static const char *
layer_name (RelModel *model, int value)
{
  int p = rel_model_value (model, value)->producer;
  return p >= 0 ? model->nodes[p].name : rel_model_value (model, value)->name;
}

float *
rel_clarc_activations (RelModel *model, int value, RelTensor *const *inputs, int n,
                       int shape[3], volatile gint *cancel, GError **error)
{
  g_autofree float *out = NULL;
  gsize dim = 0;

  for (int i = 0; i < n; i++)
    {
      g_autoptr(RelActivations) acts = NULL;
      RelTensor *t;
      if (cancelled (cancel, error)
          || (acts = rel_model_forward_until (model, inputs[i], value, NULL, error)) == NULL)
        return NULL;
      t = rel_activations_get (acts, value);
      if (t == NULL || t->ndim != 4 || t->shape[0] != 1 || t->dtype != REL_DTYPE_FLOAT32)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "layer %s has no 1×C×H×W activation",
                       layer_name (model, value));
          return NULL;
        }
      if (out == NULL)
        {
          dim = (gsize) t->numel;
          shape[0] = (int) t->shape[1];
          shape[1] = (int) t->shape[2];
          shape[2] = (int) t->shape[3];
          if ((gint64) dim * n > REL_TENSOR_MAX_ELEMENTS)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                           "layer %s's activations of %d images are too large to keep (%" G_GSIZE_FORMAT
                           " values each); choose a later layer or fewer images", layer_name (model, value), n, dim);
              return NULL;
            }
          if ((out = g_try_new (float, dim * MAX (n, 1))) == NULL)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for %d activations of %s", n,
                           layer_name (model, value));
              return NULL;
            }
        }
      if ((gsize) t->numel != dim)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "layer %s's activation changes size between images",
                       layer_name (model, value));
          return NULL;
        }
      memcpy (out + (gsize) i * dim, rel_tensor_f32 (t), sizeof (float) * dim);
    }
  return g_steal_pointer (&out);
}

/* ---- the direction ---- */

void
rel_cav_free (RelCav *cav)
{
  if (cav == NULL)
    return;
  g_free (cav->layer);
  g_free (cav->direction);
  g_free (cav->mean);
  g_free (cav);
}

/* The features the direction lives on: the activation, or its per-channel max. */
static void
features (const RelCav *cav, const float *a, double *f)
{
  gsize plane = (gsize) cav->height * cav->width;
  if (cav->kind == REL_CAV_FULL)
    {
      for (int k = 0; k < cav->dim; k++)
        f[k] = a[k];
      return;
    }
  for (int c = 0; c < cav->channels; c++)
    {
      float m = -INFINITY;
      for (gsize p = 0; p < plane; p++)
        m = MAX (m, a[c * plane + p]);
      f[c] = m;
    }
}

/* vᵀ(f(a) − f̄₀), with f̄₀ the fitted features' mean of the artifact-free set
 * (kept in score_mean, after the direction in the same allocation). */
static double
score (const RelCav *cav, const float *a, double *f)
{
  const float *m0 = cav->direction + cav->dim;
  double s = 0;
  features (cav, a, f);
  for (int k = 0; k < cav->dim; k++)
    s += cav->direction[k] * (f[k] - m0[k]);
  return s;
}

gboolean
rel_cav_fit_parse (const char *text, RelCavFit *fit, GError **error)
{
  if (g_strcmp0 (text, "pattern") == 0)
    *fit = REL_CAV_PATTERN;
  else if (g_strcmp0 (text, "logistic") == 0)
    *fit = REL_CAV_LOGISTIC;
  else
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "a direction is fitted by pattern or logistic, not “%s”", text ? text : "");
      return FALSE;
    }
  return TRUE;
}

const char *
rel_cav_fit_name (RelCavFit fit)
{
  return fit == REL_CAV_LOGISTIC ? "logistic" : "pattern";
}

/* Logistic regression on @n rows of @x (dim each, centred), labels @y (0/1):
 * minimises mean log(1 + exp(−s (wᵀx + b))) + λ/2 ‖w‖² (s = ±1) by Nesterov's
 * accelerated gradient with step 1/L, L = λmax(XᵀX/n)/4 + λ from a power
 * iteration. λ is relative to λmax so the fit does not depend on the
 * activations' scale; it also keeps w finite when the sets separate, as they
 * do in a layer with more dimensions than images. */
static void
logistic_fit (const double *x, const guint8 *y, int n, int dim, double *w)
{
  g_autofree double *v = g_new (double, dim), *u = g_new (double, dim);
  g_autofree double *z = g_new0 (double, dim), *prev = g_new0 (double, dim), *grad = g_new (double, dim);
  g_autofree double *xw = g_new (double, n);
  double lmax = 0, lambda, step, b = 0, zb = 0, prevb = 0, t = 1;

  /* λmax of XᵀX/n: power iteration from a fixed start */
  for (int k = 0; k < dim; k++)
    v[k] = 1.0 / sqrt (dim) * (1 + 0.01 * (k % 7));
  for (int it = 0; it < 30; it++)
    {
      double norm = 0;
      memset (u, 0, sizeof (double) * dim);
      for (int i = 0; i < n; i++)
        {
          const double *r = x + (gsize) i * dim;
          double d = 0;
          for (int k = 0; k < dim; k++)
            d += r[k] * v[k];
          for (int k = 0; k < dim; k++)
            u[k] += d * r[k] / n;
        }
      for (int k = 0; k < dim; k++)
        norm += u[k] * u[k];
      norm = sqrt (norm);
      lmax = norm;
      if (!(norm > 0))
        break;
      for (int k = 0; k < dim; k++)
        v[k] = u[k] / norm;
    }
  lambda = 0.01 * MAX (lmax, 1e-12) / 4;
  step = 1.0 / (MAX (lmax, 1e-12) / 4 + 0.25 + lambda);   /* the bias's column of ones adds ≤ 1/4 */
  memset (w, 0, sizeof (double) * dim);
  for (int it = 0; it < 500; it++)
    {
      double gb = 0, tn;
      /* gradient at the look-ahead point z */
      for (int i = 0; i < n; i++)
        {
          const double *r = x + (gsize) i * dim;
          double d = zb;
          for (int k = 0; k < dim; k++)
            d += r[k] * z[k];
          xw[i] = d;
        }
      for (int k = 0; k < dim; k++)
        grad[k] = lambda * z[k];
      for (int i = 0; i < n; i++)
        {
          /* d/dd log(1 + exp(−s d)) = −s σ(−s d) */
          double sgn = y[i] ? 1 : -1, g = -sgn / (1 + exp (sgn * xw[i])) / n;
          const double *r = x + (gsize) i * dim;
          for (int k = 0; k < dim; k++)
            grad[k] += g * r[k];
          gb += g;
        }
      memcpy (prev, w, sizeof (double) * dim);
      prevb = b;
      for (int k = 0; k < dim; k++)
        w[k] = z[k] - step * grad[k];
      b = zb - step * gb;
      tn = (1 + sqrt (1 + 4 * t * t)) / 2;
      for (int k = 0; k < dim; k++)
        z[k] = w[k] + (t - 1) / tn * (w[k] - prev[k]);
      zb = b + (t - 1) / tn * (b - prevb);
      t = tn;
    }
}

RelCav *
rel_cav_fit (RelModel *model, int value, RelCavKind kind, const int shape[3],
             const float *with, int n_with, const float *without, int n_without, GError **error)
{
  return rel_cav_fit_with (model, value, kind, REL_CAV_PATTERN, shape, with, n_with, without, n_without, error);
}

RelCav *
rel_cav_fit_with (RelModel *model, int value, RelCavKind kind, RelCavFit fit, const int shape[3],
                  const float *with, int n_with, const float *without, int n_without, GError **error)
{
  g_autoptr(RelCav) cav = g_new0 (RelCav, 1);
  gsize full = (gsize) shape[0] * shape[1] * shape[2], plane = (gsize) shape[1] * shape[2];
  g_autofree double *m1 = NULL, *m0 = NULL, *f = NULL;
  double norm = 0;

  if (n_with < 1 || n_without < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "a direction needs images with and without the artifact (%d and %d given)", n_with, n_without);
      return NULL;
    }
  cav->layer = g_strdup (layer_name (model, value));
  cav->value = value;
  cav->kind = kind;
  cav->channels = shape[0];
  cav->height = shape[1];
  cav->width = shape[2];
  cav->dim = kind == REL_CAV_FULL ? (int) full : shape[0];
  cav->accuracy = cav->auc = NAN;
  /* direction and the features' artifact-free mean share one block */
  cav->direction = g_new0 (float, 2 * (gsize) cav->dim);
  cav->mean = g_new0 (float, kind == REL_CAV_FULL ? full : (gsize) shape[0]);
  m1 = g_new0 (double, cav->dim);
  m0 = g_new0 (double, cav->dim);
  f = g_new (double, cav->dim);
  for (int i = 0; i < n_with; i++)
    {
      features (cav, with + (gsize) i * full, f);
      for (int k = 0; k < cav->dim; k++)
        m1[k] += f[k] / n_with;
    }
  for (int i = 0; i < n_without; i++)
    {
      const float *a = without + (gsize) i * full;
      features (cav, a, f);
      for (int k = 0; k < cav->dim; k++)
        m0[k] += f[k] / n_without;
      if (kind == REL_CAV_CHANNEL)
        for (int c = 0; c < shape[0]; c++)
          {
            double s = 0;
            for (gsize p = 0; p < plane; p++)
              s += a[c * plane + p];
            cav->mean[c] += (float) (s / plane / n_without);
          }
    }
  for (int k = 0; k < cav->dim; k++)
    norm += (m1[k] - m0[k]) * (m1[k] - m0[k]);
  norm = sqrt (norm);
  if (!(norm > 0))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED,
                   "at layer %s the images with and without the artifact have the same mean activation: "
                   "the artifact leaves no direction there", cav->layer);
      return NULL;
    }
  if (fit == REL_CAV_LOGISTIC)
    {
      int n = n_with + n_without;
      g_autofree double *x = g_new (double, (gsize) n * cav->dim);
      g_autofree guint8 *y = g_new (guint8, n);
      g_autofree double *w = g_new (double, cav->dim);
      double wn = 0;
      for (int i = 0; i < n; i++)
        {
          double *r = x + (gsize) i * cav->dim;
          features (cav, i < n_with ? with + (gsize) i * full : without + (gsize) (i - n_with) * full, r);
          for (int k = 0; k < cav->dim; k++)
            r[k] -= (m1[k] * n_with + m0[k] * n_without) / n;
          y[i] = i < n_with;
        }
      logistic_fit (x, y, n, cav->dim, w);
      for (int k = 0; k < cav->dim; k++)
        wn += w[k] * w[k];
      wn = sqrt (wn);
      if (!(wn > 0) || !isfinite (wn))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_FAILED,
                       "at layer %s the logistic regression found no direction between the images with and "
                       "without the artifact", cav->layer);
          return NULL;
        }
      for (int k = 0; k < cav->dim; k++)
        f[k] = w[k] / wn;
    }
  else
    for (int k = 0; k < cav->dim; k++)
      f[k] = (m1[k] - m0[k]) / norm;
  for (int k = 0; k < cav->dim; k++)
    {
      cav->direction[k] = (float) f[k];
      cav->direction[cav->dim + k] = (float) m0[k];
      if (kind == REL_CAV_FULL)
        cav->mean[k] = (float) m0[k];
    }
  /* scores are vᵀ(f − m0): the without-mean scores 0, the with-mean
   * vᵀ(m1 − m0); cut half-way */
  cav->threshold = 0;
  for (int k = 0; k < cav->dim; k++)
    cav->threshold += cav->direction[k] * (m1[k] - m0[k]);
  cav->threshold /= 2;
  return g_steal_pointer (&cav);
}

void
rel_cav_evaluate (RelCav *cav, const float *with, int n_with, const float *without, int n_without)
{
  gsize full = (gsize) cav->channels * cav->height * cav->width;
  g_autofree double *s1 = g_new (double, MAX (n_with, 1));
  g_autofree double *s0 = g_new (double, MAX (n_without, 1));
  g_autofree double *f = g_new (double, cav->dim);
  double hits = 0, pairs = 0;

  for (int i = 0; i < n_with; i++)
    {
      s1[i] = score (cav, with + (gsize) i * full, f);
      hits += s1[i] > cav->threshold;
    }
  for (int i = 0; i < n_without; i++)
    {
      s0[i] = score (cav, without + (gsize) i * full, f);
      hits += s0[i] <= cav->threshold;
    }
  cav->accuracy = n_with + n_without ? hits / (n_with + n_without) : NAN;
  for (int i = 0; i < n_with; i++)
    for (int j = 0; j < n_without; j++)
      pairs += s1[i] > s0[j] ? 1.0 : s1[i] == s0[j] ? 0.5 : 0.0;
  cav->auc = n_with && n_without ? pairs / ((double) n_with * n_without) : NAN;
}

void
rel_cav_project (const RelCav *cav, float *activations, int n)
{
  gsize plane = (gsize) cav->height * cav->width, full = (gsize) cav->channels * plane;

  for (int i = 0; i < n; i++)
    {
      float *a = activations + (gsize) i * full;
      if (cav->kind == REL_CAV_FULL)
        {
          double s = 0;
          for (gsize k = 0; k < full; k++)
            s += (double) cav->direction[k] * (a[k] - cav->mean[k]);
          for (gsize k = 0; k < full; k++)
            a[k] -= (float) (cav->direction[k] * s);
        }
      else
        for (gsize p = 0; p < plane; p++)
          {
            double s = 0;
            for (int c = 0; c < cav->channels; c++)
              s += (double) cav->direction[c] * (a[c * plane + p] - cav->mean[c]);
            for (int c = 0; c < cav->channels; c++)
              a[c * plane + p] -= (float) (cav->direction[c] * s);
          }
    }
}

RelTensor *
rel_clarc_logits (RelModel *model, const RelCav *cav, RelTensor *input, GError **error)
{
  g_autoptr(RelActivations) head = NULL;
  g_autoptr(RelActivations) tail = NULL;
  g_autoptr(RelTensor) h = NULL;
  RelTensor *t;

  if ((head = rel_model_forward_until (model, input, cav->value, NULL, error)) == NULL)
    return NULL;
  t = rel_activations_get (head, cav->value);
  if (t == NULL || t->numel != (int64_t) cav->channels * cav->height * cav->width * t->shape[0])
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "layer %s's activation does not have the direction's shape",
                   cav->layer);
      return NULL;
    }
  if ((h = rel_tensor_copy (t, error)) == NULL)
    return NULL;
  rel_cav_project (cav, rel_tensor_f32 (h), (int) h->shape[0]);
  if ((tail = rel_model_forward_from (model, cav->value, h, NULL, error)) == NULL)
    return NULL;
  return rel_tensor_copy (rel_activations_output (tail), error);
}

/* ---- the corrected graph ---- */

static int
add_constant (RelModel *m, const char *name, RelTensor *t)
{
  int id = rel_model_intern_value (m, name);
  RelValue *v = rel_model_value (m, id);
  v->constant = t;
  v->dtype = t->dtype;
  v->ndim = t->ndim;
  memcpy (v->shape, t->shape, sizeof (int64_t) * (gsize) t->ndim);
  return id;
}

static RelNode
make_node (RelModel *m, const char *name, RelOpId op, const int *inputs, int n_inputs, const char *output)
{
  RelNode node = { 0 };
  node.name = g_strdup (name);
  node.op = rel_op_get (op);
  node.op_type = g_strdup (node.op->name);
  node.n_inputs = n_inputs;
  node.inputs = g_memdup2 (inputs, sizeof (int) * (gsize) n_inputs);
  node.n_outputs = 1;
  node.outputs = g_new (int, 1);
  node.outputs[0] = rel_model_intern_value (m, output);
  return node;
}

/* A name not yet used in @m. */
static char *
fresh_name (RelModel *m, const char *base)
{
  char *name = g_strdup (base);
  for (int k = 1; rel_model_find_value (m, name) >= 0 || rel_model_find_node (m, name) >= 0; k++)
    {
      g_free (name);
      name = g_strdup_printf ("%s_%d", base, k);
    }
  return name;
}

RelModel *
rel_clarc_project_model (RelModel *model, const RelCav *cav, GError **error)
{
  g_autofree guint8 *data = NULL;
  g_autoptr(RelModel) copy = NULL;
  RelNode added[5];
  int n_added, layer, producer;
  gsize len;
  int64_t full[4] = { 1, cav->channels, cav->height, cav->width };

  /* work on a private copy of the graph (the exporter's own round trip) */
  if ((data = rel_onnx_export_data (model, &len, error)) == NULL
      || (copy = rel_model_load_from_data (data, len, NULL, error)) == NULL)
    return NULL;
  g_clear_pointer (&data, g_free);
  layer = rel_model_find_value (copy, rel_model_value (model, cav->value)->name);
  if (layer < 0 || (producer = rel_model_value (copy, layer)->producer) < 0 || layer == copy->output)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "cannot insert a projection after layer %s", cav->layer);
      return NULL;
    }
  {
    g_autofree char *base = g_strdup_printf ("clarc.%s", cav->layer);
    g_autofree char *out_name = fresh_name (copy, base);
    int out;
    if (cav->kind == REL_CAV_FULL)
      {
        /* h' = h − v · Σ(v ⊙ (h − z̄)) */
        g_autoptr(RelTensor) mean = rel_tensor_new_from_f32 (4, full, cav->mean, error);
        g_autoptr(RelTensor) dir = rel_tensor_new_from_f32 (4, full, cav->direction, error);
        g_autoptr(RelTensor) axes = NULL;
        g_autofree char *n_mean = NULL, *n_dir = NULL, *n_axes = NULL, *c = NULL, *w = NULL, *s = NULL, *p = NULL;
        int64_t three = 3;
        int id_mean, id_dir, id_axes, in[2];
        if (mean == NULL || dir == NULL
            || (axes = rel_tensor_new (REL_DTYPE_INT64, 1, &three, error)) == NULL)
          return NULL;
        rel_tensor_i64 (axes)[0] = 1;
        rel_tensor_i64 (axes)[1] = 2;
        rel_tensor_i64 (axes)[2] = 3;
        n_mean = fresh_name (copy, "clarc.mean");
        id_mean = add_constant (copy, n_mean, g_steal_pointer (&mean));
        n_dir = fresh_name (copy, "clarc.direction");
        id_dir = add_constant (copy, n_dir, g_steal_pointer (&dir));
        n_axes = fresh_name (copy, "clarc.axes");
        id_axes = add_constant (copy, n_axes, g_steal_pointer (&axes));
        c = fresh_name (copy, "clarc.centered");
        w = fresh_name (copy, "clarc.weighted");
        s = fresh_name (copy, "clarc.score");
        p = fresh_name (copy, "clarc.component");
        in[0] = layer, in[1] = id_mean;
        added[0] = make_node (copy, c, REL_OP_SUB, in, 2, c);
        in[0] = added[0].outputs[0], in[1] = id_dir;
        added[1] = make_node (copy, w, REL_OP_MUL, in, 2, w);
        in[0] = added[1].outputs[0], in[1] = id_axes;
        added[2] = make_node (copy, s, REL_OP_REDUCE_SUM, in, 2, s);
        added[2].n_attrs = 1;
        added[2].attrs = g_new0 (RelAttr, 1);
        added[2].attrs[0].name = g_strdup ("keepdims");
        added[2].attrs[0].type = REL_ATTR_INT;
        added[2].attrs[0].i = 1;
        in[0] = added[2].outputs[0], in[1] = id_dir;
        added[3] = make_node (copy, p, REL_OP_MUL, in, 2, p);
        in[0] = layer, in[1] = added[3].outputs[0];
        added[4] = make_node (copy, out_name, REL_OP_SUB, in, 2, out_name);
        n_added = 5;
      }
    else
      {
        /* a 1×1 convolution: W = I − v vᵀ, bias v vᵀ z̄ */
        int C = cav->channels, in[3];
        int64_t ws[4] = { C, C, 1, 1 }, bs[1] = { C };
        g_autoptr(RelTensor) wt = rel_tensor_new_f32 (4, ws, error);
        g_autoptr(RelTensor) bt = rel_tensor_new_f32 (1, bs, error);
        g_autofree char *n_w = NULL, *n_b = NULL;
        double vz = 0;
        int64_t ks[2] = { 1, 1 };
        if (wt == NULL || bt == NULL)
          return NULL;
        for (int c = 0; c < C; c++)
          vz += (double) cav->direction[c] * cav->mean[c];
        for (int o = 0; o < C; o++)
          {
            for (int c = 0; c < C; c++)
              rel_tensor_f32 (wt)[o * C + c] = (o == c) - cav->direction[o] * cav->direction[c];
            rel_tensor_f32 (bt)[o] = (float) (cav->direction[o] * vz);
          }
        n_w = fresh_name (copy, "clarc.weight");
        n_b = fresh_name (copy, "clarc.bias");
        in[0] = layer;
        in[1] = add_constant (copy, n_w, g_steal_pointer (&wt));
        in[2] = add_constant (copy, n_b, g_steal_pointer (&bt));
        added[0] = make_node (copy, out_name, REL_OP_CONV, in, 3, out_name);
        added[0].n_attrs = 1;
        added[0].attrs = g_new0 (RelAttr, 1);
        added[0].attrs[0].name = g_strdup ("kernel_shape");
        added[0].attrs[0].type = REL_ATTR_INTS;
        added[0].attrs[0].n = 2;
        added[0].attrs[0].ints = g_memdup2 (ks, sizeof ks);
        n_added = 1;
      }
    out = added[n_added - 1].outputs[0];
    /* every reader of the layer now reads the projection */
    for (int i = 0; i < copy->n_nodes; i++)
      for (int k = 0; k < copy->nodes[i].n_inputs; k++)
        if (copy->nodes[i].inputs[k] == layer)
          copy->nodes[i].inputs[k] = out;
    copy->nodes = g_renew (RelNode, copy->nodes, copy->n_nodes + n_added);
    memmove (copy->nodes + producer + 1 + n_added, copy->nodes + producer + 1,
             sizeof (RelNode) * (gsize) (copy->n_nodes - producer - 1));
    memcpy (copy->nodes + producer + 1, added, sizeof (RelNode) * (gsize) n_added);
    copy->n_nodes += n_added;
  }
  g_hash_table_insert (copy->metadata, g_strdup ("clarc.method"), g_strdup ("p-clarc"));
  g_hash_table_insert (copy->metadata, g_strdup ("clarc.layer"), g_strdup (cav->layer));
  g_hash_table_insert (copy->metadata, g_strdup ("clarc.direction"),
                       g_strdup (cav->kind == REL_CAV_FULL ? "full" : "channel"));
  if ((data = rel_onnx_export_data (copy, &len, error)) == NULL)
    return NULL;
  return rel_model_load_from_data (data, len, NULL, error);
}

/* ---- the whole correction ---- */

void
rel_clarc_result_free (RelClarcResult *result)
{
  if (result == NULL)
    return;
  g_free (result->layer);
  for (int i = 0; i < result->n_layers; i++)
    g_free (result->layers[i].layer);
  g_free (result->layers);
  if (result->corrected)
    rel_model_unref (result->corrected);
  g_free (result);
}

typedef struct {
  GPtrArray *x;        /* RelTensor*, owned */
  GArray    *label;    /* int */
  GArray    *cand;     /* gboolean: a flip candidate (artifact sets) */
} Set;

static void
set_init (Set *s)
{
  s->x = g_ptr_array_new_with_free_func ((GDestroyNotify) rel_tensor_unref);
  s->label = g_array_new (FALSE, FALSE, sizeof (int));
  s->cand = g_array_new (FALSE, FALSE, sizeof (gboolean));
}

static void
set_clear (Set *s)
{
  g_ptr_array_unref (s->x);
  g_array_unref (s->label);
  g_array_unref (s->cand);
}

static void
set_add (Set *s, RelTensor *x, int label, gboolean cand)
{
  g_ptr_array_add (s->x, x);
  g_array_append_val (s->label, label);
  g_array_append_val (s->cand, cand);
}

#define SET_X(s) ((RelTensor *const *) (s)->x->pdata)
#define SET_N(s) ((int) (s)->x->len)

static int
argmax_of (RelTensor *logits)
{
  const float *z = rel_tensor_f32 (logits);
  int arg = 0;
  for (int64_t j = 1; j < logits->numel; j++)
    if (z[j] > z[arg])
      arg = (int) j;
  return arg;
}

/* Predictions of @m (with @cav projected in the core when not NULL). */
static int *
predictions (RelModel *m, const RelCav *cav, const Set *s, volatile gint *cancel, GError **error)
{
  g_autofree int *pred = g_new (int, MAX (SET_N (s), 1));
  for (int i = 0; i < SET_N (s); i++)
    {
      g_autoptr(RelTensor) logits = NULL;
      if (cancelled (cancel, error))
        return NULL;
      if (cav)
        logits = rel_clarc_logits (m, cav, SET_X (s)[i], error);
      else
        {
          g_autoptr(RelActivations) acts = rel_model_forward (m, SET_X (s)[i], NULL, error);
          if (acts)
            logits = rel_tensor_ref (rel_activations_output (acts));
        }
      if (logits == NULL)
        return NULL;
      pred[i] = argmax_of (logits);
    }
  return g_steal_pointer (&pred);
}

static gboolean
measure (RelModel *m, const RelCav *cav, const Set *clean, const Set *art, int target,
         const guint8 *mask, const RelMethodDef *method, const RelParams *params,
         RelClarcFigures *out, volatile gint *cancel, GError **error)
{
  g_autofree int *pc = NULL, *pa = NULL;
  int hits = 0, flips = 0, cand = 0, nm = 0;
  double mass = 0;

  if ((pc = predictions (m, cav, clean, cancel, error)) == NULL
      || (pa = predictions (m, cav, art, cancel, error)) == NULL)
    return FALSE;
  for (int i = 0; i < SET_N (clean); i++)
    hits += pc[i] == g_array_index (clean->label, int, i);
  for (int i = 0; i < SET_N (art); i++)
    if (g_array_index (art->cand, gboolean, i))
      {
        cand++;
        flips += pa[i] == target;
      }
  out->clean_images = SET_N (clean);
  out->clean_accuracy = SET_N (clean) ? (double) hits / SET_N (clean) : NAN;
  out->flip_candidates = cand;
  out->flip_rate = cand ? (double) flips / cand : NAN;
  out->relevance_mass = NAN;
  out->mass_images = 0;
  if (mask == NULL || method == NULL)
    return TRUE;
  for (int i = 0; i < SET_N (art); i++)
    {
      g_autoptr(RelExplanation) e = NULL;
      RelExplainRequest er = { 0 };
      RelRegionScore s;
      int label = g_array_index (art->label, int, i);
      if (label < 0 || label == target)
        continue;
      er.model = m;
      er.input = SET_X (art)[i];
      er.target.kind = REL_TARGET_CLASS;
      er.target.a = target;
      er.params = (RelParams *) params;
      er.cancel = cancel;
      if ((e = rel_explain (method, &er, error)) == NULL)
        return FALSE;
      s = rel_region_score (rel_tensor_f32 (e->relevance), (int) e->relevance->shape[1],
                            (int) e->relevance->shape[2], (int) e->relevance->shape[3], mask);
      if (isfinite (s.mass))
        {
          mass += s.mass;
          nm++;
        }
    }
  out->mass_images = nm;
  out->relevance_mass = nm ? mass / nm : NAN;
  return TRUE;
}

/* Stratified split: the k-th image of a class (in order) is held out when
 * ⌊(k+1)·h⌋ > ⌊k·h⌋, so every class gives the same share. */
static gboolean *
split (const int *labels, int n, double holdout)
{
  gboolean *held = g_new0 (gboolean, MAX (n, 1));
  GHashTable *seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (int i = 0; i < n; i++)
    {
      gpointer key = GINT_TO_POINTER (labels[i] + 1);
      int k = GPOINTER_TO_INT (g_hash_table_lookup (seen, key));
      held[i] = floor ((k + 1) * holdout + 1e-9) > floor (k * holdout + 1e-9);
      g_hash_table_insert (seen, key, GINT_TO_POINTER (k + 1));
    }
  g_hash_table_unref (seen);
  return held;
}

/* A-ClArC's training set: the images in pixel units, as rel_train reads them. */
static RelSampleSet *
sample_set (RelModel *m, const Set *a, const Set *b, int n_classes, GError **error)
{
  g_autoptr(RelSampleSet) set = g_new0 (RelSampleSet, 1);
  const RelPreprocess *pp = &m->preprocess;
  RelTensor *x0 = SET_X (a)[0];
  gsize img = (gsize) x0->numel, plane = (gsize) x0->shape[2] * x0->shape[3];
  int n = SET_N (a) + SET_N (b), o = 0;

  set->n = n;
  set->channels = (int) x0->shape[1];
  set->height = (int) x0->shape[2];
  set->width = (int) x0->shape[3];
  set->n_classes = n_classes;
  set->class_names = g_new0 (char *, n_classes + 1);
  for (int c = 0; c < n_classes; c++)
    set->class_names[c] = g_strdup (rel_model_label (m, c) ? rel_model_label (m, c) : "?");
  if ((set->pixels = g_try_new (float, img * n)) == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for the training images");
      return NULL;
    }
  set->labels = g_new (int, n);
  for (int pass = 0; pass < 2; pass++)
    {
      const Set *s = pass ? b : a;
      for (int i = 0; i < SET_N (s); i++, o++)
        {
          const float *src = rel_tensor_f32 (SET_X (s)[i]);
          float *dst = set->pixels + (gsize) o * img;
          if ((gsize) SET_X (s)[i]->numel != img)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "images of different sizes cannot be trained on together");
              return NULL;
            }
          for (int c = 0; c < set->channels; c++)
            for (gsize k = 0; k < plane; k++)
              dst[c * plane + k] = (src[c * plane + k] * pp->std[MIN (c, 3)] + pp->mean[MIN (c, 3)]) / pp->scale;
          set->labels[o] = g_array_index (s->label, int, i);
        }
    }
  return g_steal_pointer (&set);
}

static void
report (const RelClarcRequest *req, const char *stage, double fraction)
{
  if (req->progress)
    req->progress (stage, fraction, req->progress_data);
}

/* What the stages of one correction share: the request and its four image
 * sets (clean and artifact, each split into fit and held-out). */
typedef struct {
  const RelClarcRequest *req;
  RelModel *model;
  int n_classes;
  double holdout;
  Set fit_clean, hold_clean, fit_art, hold_art;
} Clarc;

static gboolean
check_request (const RelClarcRequest *req, int n_classes, double holdout, GError **error)
{
  if (req->target < 0 || req->target >= n_classes)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "class %d is not one of the model's %d outputs",
                   req->target, n_classes);
      return FALSE;
    }
  if (!(holdout > 0 && holdout < 1))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "the held-out share must lie between 0 and 1, not %g",
                   holdout);
      return FALSE;
    }
  if ((req->region == NULL || req->source == NULL || req->source_mask == NULL) && req->artifact_paths == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "the artifact must be given as a region with a source image or as images that carry it");
      return FALSE;
    }
  return TRUE;
}

/* The images: clean ones split in two; the artifact either pasted into
 * copies of them or read from its own images, split the same way. */
static gboolean
load_images (Clarc *c, GError **error)
{
  const RelClarcRequest *req = c->req;
  g_autofree gboolean *held = split (req->labels, req->n, c->holdout);

  for (int i = 0; i < req->n; i++)
    {
      g_autoptr(RelTensor) x = NULL;
      int label = req->labels[i];
      if (label < 0)
        continue;
      if (cancelled (req->cancel, error))
        return FALSE;
      if ((x = rel_inspect_load (c->model, req->paths[i], NULL, NULL, error)) == NULL)
        return FALSE;
      /* every image is kept in memory (twice with pasted copies): refuse
       * before a large data set exhausts it */
      if ((gint64) x->numel * (req->n + req->n_artifact) * (req->artifact_paths ? 1 : 2) > REL_TENSOR_MAX_ELEMENTS)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                       "%d images of %" G_GINT64_FORMAT " values are too many to correct in memory (at most %"
                       G_GINT64_FORMAT "); give a smaller data set", req->n + req->n_artifact, x->numel,
                       REL_TENSOR_MAX_ELEMENTS / x->numel / (req->artifact_paths ? 1 : 2));
          return FALSE;
        }
      if (req->artifact_paths == NULL)
        {
          g_autoptr(RelTensor) t = rel_tensor_copy (x, error);
          if (t == NULL || !rel_region_transplant (t, req->source, req->source_mask, error))
            return FALSE;
          set_add (held[i] ? &c->hold_art : &c->fit_art, g_steal_pointer (&t), label, label != req->target);
        }
      set_add (held[i] ? &c->hold_clean : &c->fit_clean, g_steal_pointer (&x), label, FALSE);
      report (req, "loading", (double) (i + 1) / req->n);
    }
  if (req->artifact_paths)
    {
      g_autofree gboolean *held_art = split (req->artifact_labels, req->n_artifact, c->holdout);
      for (int i = 0; i < req->n_artifact; i++)
        {
          g_autoptr(RelTensor) x = NULL;
          int label = req->artifact_labels[i];
          if (cancelled (req->cancel, error))
            return FALSE;
          if ((x = rel_inspect_load (c->model, req->artifact_paths[i], NULL, NULL, error)) == NULL)
            return FALSE;
          set_add (held_art[i] ? &c->hold_art : &c->fit_art, g_steal_pointer (&x), label,
                   label >= 0 && label != req->target);
        }
    }
  return TRUE;
}

static gboolean
check_set_sizes (const Clarc *c, GError **error)
{
  if (SET_N (&c->fit_clean) < REL_CLARC_MIN_IMAGES || SET_N (&c->hold_clean) < REL_CLARC_MIN_IMAGES)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING,
                   "a correction needs at least %d artifact-free images to fit and %d to hold out; the data set gives %d and %d",
                   REL_CLARC_MIN_IMAGES, REL_CLARC_MIN_IMAGES, SET_N (&c->fit_clean), SET_N (&c->hold_clean));
      return FALSE;
    }
  if (SET_N (&c->fit_art) < REL_CLARC_MIN_IMAGES || SET_N (&c->hold_art) < REL_CLARC_MIN_IMAGES)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING,
                   "a direction needs at least %d images with the artifact (%d to fit, %d held out at --holdout %g); "
                   "there are %d", 2 * REL_CLARC_MIN_IMAGES, REL_CLARC_MIN_IMAGES, REL_CLARC_MIN_IMAGES, c->holdout,
                   SET_N (&c->fit_art) + SET_N (&c->hold_art));
      return FALSE;
    }
  return TRUE;
}

/* A flip needs an image that was not the class before the paste: pasted
 * copies of held-out images the model already calls the target are no
 * candidates. */
static gboolean
drop_non_flips (Clarc *c, GError **error)
{
  g_autofree int *pc = predictions (c->model, NULL, &c->hold_clean, c->req->cancel, error);
  if (pc == NULL)
    return FALSE;
  for (int i = 0; i < SET_N (&c->hold_art); i++)
    if (pc[i] == c->req->target)
      g_array_index (c->hold_art.cand, gboolean, i) = FALSE;
  return TRUE;
}

/* The mask the relevance mass is measured in, or NULL to skip that measure. */
static const guint8 *
mass_mask (const RelClarcRequest *req)
{
  return req->region && !req->skip_mass ? req->source_mask : NULL;
}

/* The layers to try: the one asked for, the head for A-ClArC, else every
 * image-shaped layer. */
static char **
choose_layers (const RelClarcRequest *req, RelModel *model, GError **error)
{
  char **layers;

  if (req->layer && strcmp (req->layer, "auto") != 0)
    {
      int v = rel_clarc_find_layer (model, req->layer, error);
      if (v < 0)
        return NULL;
      layers = g_new0 (char *, 2);
      layers[0] = g_strdup (layer_name (model, v));
    }
  else if (req->method == REL_CLARC_A)
    {
      /* the head: after the last image-shaped layer */
      g_auto(GStrv) all = rel_clarc_layers (model);
      guint n = g_strv_length (all);
      if (n == 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "the model has no image-shaped layer");
          return NULL;
        }
      layers = g_new0 (char *, 2);
      layers[0] = g_strdup (all[n - 1]);
    }
  else
    layers = rel_clarc_layers (model);
  return layers;
}

/* Whether layer @lf beats the best so far @bf: the lowest flip rate at ≤ 1
 * point of clean accuracy lost; failing that, the least loss. A-ClArC tries
 * one layer, so any layer wins. */
static gboolean
better_layer (const RelClarcFigures *before, const RelClarcLayerFigures *lf, const RelClarcLayerFigures *bf,
              RelClarcMethod method)
{
  gboolean ok_new = before->clean_accuracy - lf->clean_accuracy <= 0.01 + 1e-9;
  gboolean ok_best = bf && before->clean_accuracy - bf->clean_accuracy <= 0.01 + 1e-9;
  return bf == NULL || method == REL_CLARC_A
    || (ok_new && !ok_best) || (ok_new && ok_best && (lf->flip_rate < bf->flip_rate
                                  || (lf->flip_rate == bf->flip_rate && lf->clean_accuracy > bf->clean_accuracy)))
    || (!ok_new && !ok_best && lf->clean_accuracy > bf->clean_accuracy);
}

/* Fits and scores the direction at layer @l of @res, keeping it in @best
 * (slot @best_l) when it beats the best so far. */
static gboolean
try_layer (Clarc *c, RelClarcResult *res, int l, RelCav **best, int *best_l, GError **error)
{
  const RelClarcRequest *req = c->req;
  RelModel *model = c->model;
  RelClarcLayerFigures *lf = &res->layers[l];
  int value = rel_clarc_find_layer (model, lf->layer, error), shape[3];
  g_autofree float *a1 = NULL, *a0 = NULL, *h1 = NULL, *h0 = NULL;
  g_autoptr(RelCav) cav = NULL;
  RelClarcFigures fig;
  g_autoptr(GError) local = NULL;

  lf->cav_accuracy = lf->cav_auc = lf->clean_accuracy = lf->flip_rate = NAN;
  if (value < 0
      || (a1 = rel_clarc_activations (model, value, SET_X (&c->fit_art), SET_N (&c->fit_art), shape, req->cancel, &local)) == NULL
      || (a0 = rel_clarc_activations (model, value, SET_X (&c->fit_clean), SET_N (&c->fit_clean), shape, req->cancel, &local)) == NULL
      || (h1 = rel_clarc_activations (model, value, SET_X (&c->hold_art), SET_N (&c->hold_art), shape, req->cancel, &local)) == NULL
      || (h0 = rel_clarc_activations (model, value, SET_X (&c->hold_clean), SET_N (&c->hold_clean), shape, req->cancel, &local)) == NULL
      || (cav = rel_cav_fit_with (model, value, req->kind, req->fit, shape, a1, SET_N (&c->fit_art), a0,
                                  SET_N (&c->fit_clean), &local)) == NULL)
    {
      /* trying every layer: one too large to keep, or one the artifact
       * leaves no trace in, is skipped */
      if (res->n_layers > 1 && local
          && (local->code == REL_ERROR_TOO_LARGE || local->code == REL_ERROR_FAILED))
        return TRUE;
      if (local)
        g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  rel_cav_evaluate (cav, h1, SET_N (&c->hold_art), h0, SET_N (&c->hold_clean));
  lf->cav_accuracy = cav->accuracy;
  lf->cav_auc = cav->auc;
  lf->clean_accuracy = lf->flip_rate = NAN;
  if (req->method == REL_CLARC_P)
    {
      if (!measure (model, cav, &c->hold_clean, &c->hold_art, req->target, NULL, NULL, NULL, &fig, req->cancel, error))
        return FALSE;
      lf->clean_accuracy = fig.clean_accuracy;
      lf->flip_rate = fig.flip_rate;
    }
  if (better_layer (&res->before, lf, *best ? &res->layers[*best_l] : NULL, req->method))
    {
      g_clear_pointer (best, rel_cav_free);
      *best = g_steal_pointer (&cav);
      *best_l = l;
    }
  return TRUE;
}

/* P-ClArC: writes the projection into the graph, then checks the written
 * graph against the projection computed here on every held-out image. */
static gboolean
write_projection (Clarc *c, RelClarcResult *res, const RelCav *cav, GError **error)
{
  report (c->req, "writing", 0);
  if ((res->corrected = rel_clarc_project_model (c->model, cav, error)) == NULL)
    return FALSE;
  res->max_logit_difference = 0;
  for (int pass = 0; pass < 2; pass++)
    {
      const Set *s = pass ? &c->hold_art : &c->hold_clean;
      for (int i = 0; i < SET_N (s); i++)
        {
          g_autoptr(RelTensor) ref = rel_clarc_logits (c->model, cav, SET_X (s)[i], error);
          g_autoptr(RelActivations) acts = ref ? rel_model_forward (res->corrected, SET_X (s)[i], NULL, error) : NULL;
          RelTensor *z;
          if (acts == NULL)
            return FALSE;
          z = rel_activations_output (acts);
          for (int64_t k = 0; k < MIN (z->numel, ref->numel); k++)
            res->max_logit_difference = MAX (res->max_logit_difference,
                                             fabs ((double) rel_tensor_f32 (z)[k] - rel_tensor_f32 (ref)[k]));
        }
    }
  return TRUE;
}

/* A-ClArC: fine-tunes the linear layers after the layer on clean and
 * pasted images alike, labels unchanged. */
static gboolean
fine_tune (Clarc *c, RelClarcResult *res, const RelCav *cav, GError **error)
{
  const RelClarcRequest *req = c->req;
  g_autofree guint8 *data = NULL;
  g_autoptr(RelSampleSet) train = NULL;
  g_autoptr(GPtrArray) trainable = g_ptr_array_new ();
  RelTrainOptions opt;
  RelModel *copy;
  gsize len;
  int after;

  if ((data = rel_onnx_export_data (c->model, &len, error)) == NULL
      || (copy = rel_model_load_from_data (data, len, NULL, error)) == NULL)
    return FALSE;
  res->corrected = copy;
  after = rel_model_value (copy, rel_model_find_value (copy, rel_model_value (c->model, cav->value)->name))->producer;
  for (int i = after + 1; i < copy->n_nodes; i++)
    if (rel_node_is (&copy->nodes[i], REL_OP_CONV) || rel_node_is (&copy->nodes[i], REL_OP_GEMM))
      g_ptr_array_add (trainable, copy->nodes[i].name);
  g_ptr_array_add (trainable, NULL);
  if (trainable->len == 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "no Conv or Gemm layer after %s to fine-tune", cav->layer);
      return FALSE;
    }
  if ((train = sample_set (copy, &c->fit_clean, &c->fit_art, c->n_classes, error)) == NULL)
    return FALSE;
  rel_train_options_init (&opt);
  opt.epochs = req->epochs > 0 ? req->epochs : 5;
  opt.batch = 32;
  opt.lr = 1e-3;
  opt.seed = req->seed;
  opt.trainable = (const char *const *) trainable->pdata;
  report (req, "training", 0);
  if (!rel_train (copy, train, NULL, &opt, NULL, NULL, req->cancel, error))
    return FALSE;
  g_hash_table_insert (copy->metadata, g_strdup ("clarc.method"), g_strdup ("a-clarc"));
  g_hash_table_insert (copy->metadata, g_strdup ("clarc.layer"), g_strdup (cav->layer));
  return TRUE;
}

/* The stages after the images are in: before, a direction per layer, the
 * correction with the best one, after. */
static RelClarcResult *
correct (Clarc *c, const RelMethodDef *method, const RelParams *mparams, GError **error)
{
  const RelClarcRequest *req = c->req;
  g_autoptr(RelClarcResult) res = g_new0 (RelClarcResult, 1);
  g_auto(GStrv) layers = NULL;
  g_autoptr(RelCav) best_cav = NULL;
  int best_l = -1;

  res->method = req->method;
  res->kind = req->kind;
  res->n_fit = SET_N (&c->fit_clean);
  res->n_holdout = SET_N (&c->hold_clean);
  res->max_logit_difference = NAN;

  report (req, "before", 0);
  if (!measure (c->model, NULL, &c->hold_clean, &c->hold_art, req->target, mass_mask (req),
                method, mparams, &res->before, req->cancel, error))
    return NULL;

  if ((layers = choose_layers (req, c->model, error)) == NULL)
    return NULL;
  res->n_layers = (int) g_strv_length (layers);
  res->layers = g_new0 (RelClarcLayerFigures, MAX (res->n_layers, 1));
  if (res->n_layers == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "the model has no image-shaped layer to correct at");
      return NULL;
    }
  for (int l = 0; l < res->n_layers; l++)
    {
      report (req, layers[l], (double) l / res->n_layers);
      res->layers[l].layer = g_strdup (layers[l]);
      if (!try_layer (c, res, l, &best_cav, &best_l, error))
        return NULL;
    }
  if (best_cav == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED,
                   "no layer gives a direction: each was too large to keep or showed no difference");
      return NULL;
    }
  res->layer = g_strdup (best_cav->layer);
  res->cav_accuracy = best_cav->accuracy;
  res->cav_auc = best_cav->auc;

  if (req->method == REL_CLARC_P ? !write_projection (c, res, best_cav, error) : !fine_tune (c, res, best_cav, error))
    return NULL;

  report (req, "after", 0);
  if (!measure (res->corrected, NULL, &c->hold_clean, &c->hold_art, req->target, mass_mask (req),
                method, mparams, &res->after, req->cancel, error))
    return NULL;
  return g_steal_pointer (&res);
}

RelClarcResult *
rel_clarc_run (const RelClarcRequest *req, GError **error)
{
  Clarc c = { .req = req, .model = req->model };
  g_autoptr(RelParams) own_params = NULL;
  const RelParams *mparams = req->method_params;
  RelClarcResult *ret = NULL;

  c.n_classes = rel_model_num_classes (req->model);
  c.holdout = req->holdout > 0 ? req->holdout : 0.5;
  set_init (&c.fit_clean);
  set_init (&c.hold_clean);
  set_init (&c.fit_art);
  set_init (&c.hold_art);
  if (mparams == NULL)
    mparams = own_params = rel_params_new (rel_method_lookup (REL_INSPECT_DEFAULT_METHOD));

  if (check_request (req, c.n_classes, c.holdout, error)
      && load_images (&c, error)
      && check_set_sizes (&c, error)
      && (req->artifact_paths != NULL || drop_non_flips (&c, error)))
    ret = correct (&c, rel_params_method (mparams), mparams, error);

  set_clear (&c.fit_clean);
  set_clear (&c.hold_clean);
  set_clear (&c.fit_art);
  set_clear (&c.hold_art);
  return ret;
}
