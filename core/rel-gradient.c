/* rel-gradient.c — the gradient family: saliency, input×gradient, SmoothGrad
 * (plain, squared, VarGrad), Integrated Gradients, Expected Gradients, guided
 * backprop and DeconvNet; plus the batched evaluation helpers the CAM and
 * perturbation methods share (rel-gradient.h).
 *
 * Sampling methods stack their perturbed inputs into one N×C×H×W tensor per
 * pass (the engine runs any batch), accumulate in double, report the running
 * estimate after each batch and honour the cancel flag between batches.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-gradient.h"
#include "rel-blur.h"
#include "rel-rng.h"
#include "rel-blas.h"
#include "rel-dataset.h"
#include "rel-error.h"
#include "rel-image.h"
#include "rel-npy.h"

#include <glib/gi18n-lib.h>   /* N_(): the method table is translated where it is shown */
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rel-parallel.h"

/* ---- shared helpers ---- */

gboolean
rel_request_cancelled (const RelExplainRequest *req, GError **error)
{
  if (req->cancel && g_atomic_int_get (req->cancel))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
      return TRUE;
    }
  return FALSE;
}

int
rel_explain_batch_size (const RelExplainRequest *req, int fallback)
{
  RelValue *in = rel_model_value (req->model, req->model->input);
  int n = req->batch_size > 0 ? req->batch_size : fallback;
  int64_t per = MAX (req->input->numel, 1);

  /* a model exported with a fixed batch dimension runs one input at a time */
  if (in && in->ndim > 0 && in->shape[0] > 0)
    n = (int) MIN ((int64_t) n, in->shape[0]);
  /* activations grow with the batch and stop fitting in cache: on ResNet-18
   * at 224², 4 images per pass measured fastest (16 took twice as long per
   * image; 8 used 4 % more CPU), so keep a pass's inputs under 0.65 M floats
   * unless the caller asked for a size explicitly. rel_grad_batch runs the
   * two halves of a batch on the two cores, so keep it even. */
  if (req->batch_size <= 0)
    {
      n = (int) MIN ((int64_t) n, MAX ((int64_t) 1, (int64_t) 650000 / per));
      if (n > 2 && n % 2 == 1)
        n--;
    }
  return MAX (n, 1);
}

RelTensor *
rel_batch_new (const RelTensor *input, int n, GError **error)
{
  int64_t shape[REL_MAX_DIMS];

  memcpy (shape, input->shape, sizeof shape);
  shape[0] = n;
  return rel_tensor_new_f32 (input->ndim, shape, error);
}

void
rel_target_values (const RelTarget *target, const RelTensor *logits, double *values)
{
  int64_t k = logits->shape[logits->ndim - 1];
  int64_t rows = logits->numel / MAX (k, 1);
  const float *z = rel_tensor_f32 (logits);

  for (int64_t r = 0; r < rows; r++)
    {
      const float *zr = z + r * k;
      double v = zr[target->a];

      if (target->kind == REL_TARGET_CONTRAST)
        v -= zr[target->b];
      else if (target->log_prob)
        {
          double mx = zr[0], sum = 0;
          for (int64_t j = 1; j < k; j++)
            mx = MAX (mx, zr[j]);
          for (int64_t j = 0; j < k; j++)
            sum += exp (zr[j] - mx);
          v = v - mx - log (sum);
        }
      values[r] = v;
    }
}

/* Takes the cotangents of rows row0 … of a batch as soon as a half of it is
 * done, on that half's thread (@part 0 or 1), instead of the caller getting
 * them merged: the halves then also sum them side by side. */
typedef void (*GradSink) (gpointer data, int part, int64_t row0, const RelTensor *grads);

/* A pass over a batch that starts at value @from (the graph input, or the
 * affine stem's output) and returns the cotangents of value @to (or hands
 * them to @sink, and returns none). */
typedef struct {
  int      from, to;
  GradSink sink;
  gpointer sink_data;
  int      part;
  int64_t  row0;
} GradSpan;

static gboolean grad_batch_one (RelModel *model, const RelTarget *target, RelTensor *batch, GradSpan span,
                                RelBackwardHook hook, gpointer hook_data, const RelContext *ctx,
                                RelTensor **grads, double *values, int *resolved_class, GError **error);

/* ---- a batch split over the threads ----
 *
 * Two halves of a batch run side by side, each on one core with
 * single-threaded BLAS: every kernel of the pass (GEMMs, transforms, pools,
 * activations) is then parallel, with no synchronisation inside a layer,
 * where one pass on two BLAS threads leaves a core idle in every non-BLAS
 * loop and spins between small GEMMs (see rel_blas_single_begin). */

typedef struct {
  RelModel        *model;
  const RelTarget *target;
  RelTensor       *batch;
  GradSpan         span;
  RelContext       ctx;
  gboolean         want_grads;
  RelTensor       *grads;
  double          *values;
  GError          *error;
  gboolean         ok;
} HalfJob;

static gpointer
half_thread (gpointer data)
{
  HalfJob *h = data;
  h->ok = grad_batch_one (h->model, h->target, h->batch, h->span, NULL, NULL, &h->ctx,
                          h->want_grads ? &h->grads : NULL, h->values, NULL, &h->error);
  return NULL;
}

/* Rows [r0, r0 + n) of @batch as a new tensor. */
static RelTensor *
batch_rows (const RelTensor *batch, int64_t r0, int64_t n, GError **error)
{
  int64_t per = batch->numel / batch->shape[0];
  RelTensor *t = rel_batch_new (batch, (int) n, error);
  if (t)
    memcpy (rel_tensor_f32 (t), rel_tensor_f32 (batch) + r0 * per, sizeof (float) * (size_t) (n * per));
  return t;
}

static gboolean
grad_batch_split (RelModel *model, const RelTarget *target, RelTensor *batch, GradSpan span,
                  const RelContext *ctx, RelTensor **grads, double *values, int *resolved_class,
                  GError **error)
{
  const int64_t n = batch->shape[0], n1 = (n + 1) / 2;
  g_autoptr(RelTensor) b1 = NULL;
  g_autoptr(RelTensor) g1 = NULL;
  g_autofree double *v2 = NULL;
  HalfJob h = { .model = model, .target = target, .span = span, .ctx = *ctx, .want_grads = grads != NULL };
  RelContext one = *ctx;
  GThread *thread;
  gboolean ok;

  if ((b1 = batch_rows (batch, 0, n1, error)) == NULL
      || (h.batch = batch_rows (batch, n1, n - n1, error)) == NULL)
    return FALSE;
  if (values)
    h.values = v2 = g_new0 (double, (gsize) (n - n1));
  one.n_threads = 1;
  h.ctx.n_threads = 1;
  rel_blas_single_begin ();
  h.span.part = 1;
  h.span.row0 = n1;
  thread = g_thread_try_new ("rel-half", half_thread, &h, NULL);
  if (thread == NULL)  /* out of threads: one after the other */
    half_thread (&h);
  ok = grad_batch_one (model, target, b1, span, NULL, NULL, &one, grads ? &g1 : NULL, values, resolved_class,
                       error);
  if (thread)
    g_thread_join (thread);
  rel_blas_single_end ();
  rel_tensor_unref (h.batch);
  if (!ok || !h.ok)
    {
      if (h.grads)
        rel_tensor_unref (h.grads);
      if (ok)
        g_propagate_error (error, g_steal_pointer (&h.error));
      g_clear_error (&h.error);
      return FALSE;
    }
  if (values)
    memcpy (values + n1, v2, sizeof (double) * (size_t) (n - n1));
  if (grads && !span.sink)
    {
      /* shaped like the value at span.to, with the whole batch */
      g_autoptr(RelTensor) h_grads = h.grads;
      const int64_t per = g1->numel / n1;
      *grads = rel_batch_new (g1, (int) n, error);
      if (*grads == NULL)
        return FALSE;
      memcpy (rel_tensor_f32 (*grads), rel_tensor_f32 (g1), sizeof (float) * (size_t) (n1 * per));
      memcpy (rel_tensor_f32 (*grads) + n1 * per, rel_tensor_f32 (h_grads),
              sizeof (float) * (size_t) ((n - n1) * per));
    }
  return TRUE;
}

static gboolean
grad_batch_span (RelModel *model, const RelTarget *target, RelTensor *batch, GradSpan span,
                 RelBackwardHook hook, gpointer hook_data, const RelContext *ctx,
                 RelTensor **grads, double *values, int *resolved_class, GError **error)
{
  /* The predicted class is row 0's, so the halves would not agree on it;
   * hooks may keep per-pass state. */
  RelValue *in = rel_model_value (model, model->input);
  gboolean free_batch = in && (in->ndim < 1 || in->shape[0] <= 0);

  if (ctx && ctx->n_threads >= 2 && hook == NULL && target->kind != REL_TARGET_PREDICTED && free_batch
      && batch->dtype == REL_DTYPE_FLOAT32 && batch->ndim >= 1 && batch->shape[0] >= 2
      && batch->numel / batch->shape[0] >= 1024)
    return grad_batch_split (model, target, batch, span, ctx, grads, values, resolved_class, error);
  return grad_batch_one (model, target, batch, span, hook, hook_data, ctx, grads, values, resolved_class, error);
}

gboolean
rel_grad_batch (RelModel *model, const RelTarget *target, RelTensor *batch,
                RelBackwardHook hook, gpointer hook_data, const RelContext *ctx,
                RelTensor **grads, double *values, int *resolved_class, GError **error)
{
  GradSpan span = { model->input, model->input };
  return grad_batch_span (model, target, batch, span, hook, hook_data, ctx, grads, values, resolved_class, error);
}

static gboolean
grad_batch_one (RelModel *model, const RelTarget *target, RelTensor *batch, GradSpan span,
                RelBackwardHook hook, gpointer hook_data, const RelContext *ctx,
                RelTensor **grads, double *values, int *resolved_class, GError **error)
{
  g_autoptr(RelActivations) acts = NULL;
  g_autoptr(RelActivations) back = NULL;
  g_autoptr(RelTensor) seed = NULL;
  RelTensor *logits;
  RelTarget resolved = *target;
  int cls = -1;

  acts = rel_model_forward_from (model, span.from, batch, ctx, error);
  if (acts == NULL)
    return FALSE;
  logits = rel_activations_output (acts);
  seed = rel_target_seed (target, logits, 1.0, &cls, NULL, error);
  if (seed == NULL)
    return FALSE;
  if (resolved.kind == REL_TARGET_PREDICTED)
    {
      resolved.kind = REL_TARGET_CLASS;
      resolved.a = cls;
    }
  if (resolved_class)
    *resolved_class = cls;
  if (values)
    {
      if (logits->shape[0] != batch->shape[0])
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "the model output's first dimension is not the batch");
          return FALSE;
        }
      rel_target_values (&resolved, logits, values);
    }
  if (grads == NULL)
    return TRUE;
  back = rel_model_backward_values_to (model, acts, span.to, -1, seed, hook, hook_data, ctx, error);
  if (back == NULL)
    return FALSE;
  if (back->values[span.to])
    {
      *grads = back->values[span.to];
      back->values[span.to] = NULL;
    }
  else
    {
      *grads = rel_tensor_new_like (acts->values[span.to], error);
      if (*grads == NULL)
        return FALSE;
    }
  if (span.sink)
    {
      span.sink (span.sink_data, span.part, span.row0, *grads);
      g_clear_pointer (grads, rel_tensor_unref);
    }
  return TRUE;
}

gboolean
rel_target_resolve (RelModel *model, const RelTarget *target, RelTensor *input,
                    const RelContext *ctx, RelTarget *resolved,
                    int *resolved_class, double *explained, GError **error)
{
  double value = 0;
  int cls = -1;

  if (!rel_grad_batch (model, target, input, NULL, NULL, ctx, NULL, &value, &cls, error))
    return FALSE;
  *resolved = *target;
  if (resolved->kind == REL_TARGET_PREDICTED)
    {
      resolved->kind = REL_TARGET_CLASS;
      resolved->a = cls;
    }
  if (resolved_class)
    *resolved_class = cls;
  if (explained)
    *explained = value;
  return TRUE;
}

RelTensor *
rel_channel_mean (const RelTensor *input, GError **error)
{
  RelTensor *out = rel_tensor_new_like (input, error);
  int64_t c, plane;

  if (out == NULL)
    return NULL;
  c = input->ndim >= 2 ? input->shape[1] : 1;
  plane = input->numel / MAX (c, 1);
  for (int64_t ch = 0; ch < c; ch++)
    {
      const float *s = rel_tensor_f32 (input) + ch * plane;
      float *d = rel_tensor_f32 (out) + ch * plane;
      double sum = 0;
      for (int64_t i = 0; i < plane; i++)
        sum += s[i];
      for (int64_t i = 0; i < plane; i++)
        d[i] = (float) (sum / MAX (plane, 1));
    }
  return out;
}

static void
input_dims (const RelTensor *t, int *c, int *h, int *w)
{
  *c = t->ndim >= 2 ? (int) t->shape[1] : 1;
  *h = t->ndim >= 3 ? (int) t->shape[2] : 1;
  *w = t->ndim >= 4 ? (int) t->shape[3] : 1;
  if (t->ndim > 4)
    *w = (int) (t->numel / ((int64_t) *c * *h));
}

/* ---- single-pass methods ---- */

static gboolean
explain_once (const RelExplainRequest *req, RelExplanation *out, RelBackwardHook hook,
              gboolean times_input, GError **error)
{
  g_autoptr(RelTensor) grad = NULL;
  RelContext ctx;
  double value = 0;

  rel_context_init (&ctx);
  ctx.cancel = req->cancel;
  if (!rel_grad_batch (req->model, &req->target, req->input, hook, NULL, &ctx,
                       &grad, &value, &out->target_class, error))
    return FALSE;
  if (times_input)
    {
      float *g = rel_tensor_f32 (grad);
      const float *x = rel_tensor_f32 (req->input);
      for (int64_t i = 0; i < grad->numel; i++)
        g[i] *= x[i];
    }
  out->explained_output = value;
  out->relevance = g_steal_pointer (&grad);
  return TRUE;
}

static gboolean
run_gradient (const RelMethodDef *method, const RelExplainRequest *req, RelExplanation *out, GError **error)
{
  return explain_once (req, out, NULL, FALSE, error);
}

static gboolean
run_input_x_gradient (const RelMethodDef *method, const RelExplainRequest *req, RelExplanation *out, GError **error)
{
  return explain_once (req, out, NULL, TRUE, error);
}

/* Guided backprop (Springenberg et al.) keeps the ReLU's mask and drops
 * negative gradients; DeconvNet (Zeiler & Fergus) drops only the negative
 * gradients. As in Zennit, only Relu nodes change; Clip (ReLU6) keeps its
 * ordinary gradient. */
static gboolean
relu_hook (RelModel *model, int node_index, RelTensor *const *inputs, RelTensor *const *outputs,
           const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
           gboolean *handled, gpointer user_data, GError **error, gboolean guided)
{
  const RelNode *node = &model->nodes[node_index];
  const float *go, *x;
  float *gi;

  if (!rel_node_is (node, REL_OP_RELU) || !need[0])
    return TRUE;
  grad_inputs[0] = rel_tensor_new_like (inputs[0], error);
  if (grad_inputs[0] == NULL)
    return FALSE;
  go = rel_tensor_f32 (grad_output);
  x = rel_tensor_f32 (inputs[0]);
  gi = rel_tensor_f32 (grad_inputs[0]);
  for (int64_t i = 0; i < grad_inputs[0]->numel; i++)
    {
      float g = go[i] > 0.f ? go[i] : 0.f;
      gi[i] = guided && !(x[i] > 0.f) ? 0.f : g;
    }
  *handled = TRUE;
  return TRUE;
}

static gboolean
guided_hook (RelModel *model, int node_index, RelTensor *const *inputs, RelTensor *const *outputs,
             const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
             gboolean *handled, gpointer user_data, GError **error)
{
  return relu_hook (model, node_index, inputs, outputs, grad_output, grad_inputs, need, handled,
                    user_data, error, TRUE);
}

static gboolean
deconv_hook (RelModel *model, int node_index, RelTensor *const *inputs, RelTensor *const *outputs,
             const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
             gboolean *handled, gpointer user_data, GError **error)
{
  return relu_hook (model, node_index, inputs, outputs, grad_output, grad_inputs, need, handled,
                    user_data, error, FALSE);
}

static gboolean
run_guided (const RelMethodDef *method, const RelExplainRequest *req, RelExplanation *out, GError **error)
{
  return explain_once (req, out, guided_hook, FALSE, error);
}

static gboolean
run_deconvnet (const RelMethodDef *method, const RelExplainRequest *req, RelExplanation *out, GError **error)
{
  return explain_once (req, out, deconv_hook, FALSE, error);
}

/* ---- sampling: SmoothGrad, IG, Expected Gradients ---- */

/* A sampling run: make() fills the k-th perturbed input into @dst (one
 * input's worth) and returns the weight of its gradient and, via @mult, an
 * optional per-element multiplier (x − baseline for path methods; NULL for
 * none); the weighted moments of gradient × multiplier become the estimate. */
typedef struct {
  const RelExplainRequest *req;
  int           n_points;
  RelTarget     target;
  gboolean    (*make) (gpointer self, int k, float *dst, const float **mult, double *weight, GError **error);
  gpointer      self;
  /* how the accumulated moments become the estimate */
  enum { ACC_MEAN, ACC_SQUARED, ACC_VAR, ACC_SUM } mode;
  double        total_weight;  /* ACC_SUM: the weights of all points */
  /* every point has the same multiplier, so a weighted sum of gradients is
   * all the estimate needs (the affine stem can then sum them early) */
  gboolean      same_mult;
  /* points on the line line_a + α·(line_b − line_a), α = alpha (self, k) */
  const RelTensor *line_a, *line_b;
  double      (*alpha) (gpointer self, int k);
  /* make() is thread-safe: a batch's points are made in parallel */
  gboolean      parallel_make;
} Sampler;

typedef struct {
  const Sampler *s;
  int            first, n;
  float         *dst;
  int64_t        per;
  const float  **mults;
  double        *weights;
  gint           failed;
} MakeJob;

static void
make_part (int part, int n_parts, gpointer data)
{
  MakeJob *j = data;
  int64_t b0, b1;

  rel_part_range (j->n, part, n_parts, &b0, &b1);
  for (int64_t b = b0; b < b1; b++)
    if (!j->s->make (j->s->self, j->first + (int) b, j->dst + b * j->per, &j->mults[b], &j->weights[b], NULL))
      g_atomic_int_set (&j->failed, 1);
}

/* The sampler's gradients summed at the affine stem's output s(x) = A·x + b
 * (rel_model_affine_stem) instead of the input: Σ wₖ·Aᵀhₖ = Aᵀ(Σ wₖ·hₖ), so
 * the stem's backward pass (ResNet's 7×7 convolution, ~12 % of a pass) runs
 * once per estimate instead of once per point, and on a line its forward
 * pass runs twice in all: s(a + α·(b − a)) = s(a) + α·(s(b) − s(a)). */
typedef struct {
  int              value;         /* the stem's output */
  RelActivations  *acts;          /* the stem's pass at the input, for Aᵀ */
  RelTensor       *sa, *sb;       /* s(line_a), s(line_b) when on a line */
  double          *acc[2];        /* Σ wₖ·hₖ, one sum per half of a batch */
  int64_t          n;             /* floats of s per point */
  const double    *weights;       /* the current batch's wₖ */
} StemSum;

/* A GradSink: each half of a batch adds its own rows to its own sum. */
static void
stem_sink (gpointer data, int part, int64_t row0, const RelTensor *grads)
{
  StemSum *st = data;
  double *restrict acc = st->acc[part];

  for (int64_t b = 0; b < grads->shape[0]; b++)
    {
      const float *restrict h = rel_tensor_f32 (grads) + b * st->n;
      const double w = st->weights[row0 + b];
      for (int64_t i = 0; i < st->n; i++)
        acc[i] += w * h[i];
    }
}

static void
stem_sum_clear (StemSum *st)
{
  g_clear_pointer (&st->acts, rel_activations_free);
  g_clear_pointer (&st->sa, rel_tensor_unref);
  g_clear_pointer (&st->sb, rel_tensor_unref);
  g_clear_pointer (&st->acc[0], g_free);
  g_clear_pointer (&st->acc[1], g_free);
}

static RelTensor *
stem_value (RelModel *model, int value, const RelTensor *x, const RelContext *ctx, GError **error)
{
  g_autoptr(RelActivations) acts = rel_model_forward_until (model, (RelTensor *) x, value, ctx, error);
  return acts ? rel_tensor_ref (acts->values[value]) : NULL;
}

/* Multiply-adds of the stem's weighted layers per point, from the shapes of
 * the stem's own pass. */
static double
stem_macs (RelModel *model, RelActivations *acts)
{
  double macs = 0;

  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      const RelTensor *y = acts->values[node->outputs[0]];
      const RelTensor *w = node->n_inputs > 1 && node->inputs[1] >= 0 ? acts->values[node->inputs[1]] : NULL;

      if (y == NULL || w == NULL || y->ndim < 1 || w->ndim < 1 || y->shape[y->ndim - 1] <= 0)
        continue;
      if (rel_node_has (node, REL_OP_CONVOLUTION) && w->shape[0] > 0)
        macs += (double) y->numel * (double) (w->numel / w->shape[0]);
      else if (node->op && node->op->klass == REL_OP_CLASS_LINEAR)
        macs += (double) y->numel * (double) (w->numel / y->shape[y->ndim - 1]);
    }
  return macs;
}

/* Below this many of the stem's multiply-adds per float of its output, the
 * stem is not worth skipping: ResNet's 7×7 stride-2 conv1 has 147 (IG-64
 * 1.72 → 1.52 s with the stem), VGG-16's conv1_1 27 (2.49 → 3.03 s for IG-16). */
#define STEM_MIN_MACS 64

/* FALSE without an error: no stem worth using; the sampler runs as usual. */
static gboolean
stem_sum_init (StemSum *st, const Sampler *s, const RelContext *ctx, GError **error)
{
  const RelExplainRequest *req = s->req;
  RelTensor *sx;

  memset (st, 0, sizeof *st);
  st->value = -1;
  if (!s->same_mult || (s->mode != ACC_MEAN && s->mode != ACC_SUM) || req->input->shape[0] != 1)
    return TRUE;
  st->value = rel_model_affine_stem (req->model);
  if (st->value < 0)
    return TRUE;
  st->acts = rel_model_forward_until (req->model, req->input, st->value, ctx, error);
  if (st->acts == NULL)
    return FALSE;
  sx = st->acts->values[st->value];
  st->n = sx->numel;
  if (stem_macs (req->model, st->acts) < STEM_MIN_MACS * (double) st->n)
    {
      /* a cheap stem with a big output (VGG's 3 → 64 channel conv1_1 at
       * 224²) costs more in accumulators and copies than it saves */
      stem_sum_clear (st);
      st->value = -1;
      return TRUE;
    }
  st->acc[0] = g_try_new0 (double, st->n);
  st->acc[1] = g_try_new0 (double, st->n);
  if (st->acc[0] == NULL || st->acc[1] == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for the accumulators");
      return FALSE;
    }
  if (s->alpha && s->line_a && s->line_b)
    {
      st->sa = stem_value (req->model, st->value, s->line_a, ctx, error);
      if (st->sa == NULL)
        return FALSE;
      st->sb = stem_value (req->model, st->value, s->line_b, ctx, error);
      if (st->sb == NULL)
        return FALSE;
    }
  return TRUE;
}

/* The stem outputs of points done … done + nb − 1 of a line. */
static RelTensor *
stem_line_batch (const StemSum *st, const Sampler *s, int done, int nb, GError **error)
{
  RelTensor *batch = rel_batch_new (st->sa, nb, error);
  const float *a, *b;

  if (batch == NULL)
    return NULL;
  a = rel_tensor_f32 (st->sa);
  b = rel_tensor_f32 (st->sb);
  for (int k = 0; k < nb; k++)
    {
      float al = (float) s->alpha (s->self, done + k);
      float *d = rel_tensor_f32 (batch) + k * st->n;
      for (int64_t i = 0; i < st->n; i++)
        d[i] = a[i] + al * (b[i] - a[i]);
    }
  return batch;
}

/* m1 (input space) = Aᵀ·acc ⊙ mult. */
static gboolean
stem_sum_to_input (StemSum *st, RelModel *model, const float *mult, double *m1, int64_t n,
                   const RelContext *ctx, GError **error)
{
  g_autoptr(RelTensor) seed = rel_tensor_new_like (st->acts->values[st->value], error);
  g_autoptr(RelActivations) back = NULL;
  const float *g;

  if (seed == NULL)
    return FALSE;
  for (int64_t i = 0; i < st->n; i++)
    rel_tensor_f32 (seed)[i] = (float) (st->acc[0][i] + st->acc[1][i]);
  back = rel_model_backward_values (model, st->acts, st->value, seed, NULL, NULL, ctx, error);
  if (back == NULL)
    return FALSE;
  if (back->values[model->input] == NULL)
    {
      memset (m1, 0, sizeof (double) * (size_t) n);
      return TRUE;
    }
  g = rel_tensor_f32 (back->values[model->input]);
  for (int64_t i = 0; i < n; i++)
    m1[i] = mult ? (double) g[i] * mult[i] : g[i];
  return TRUE;
}

/* The estimate after the points so far; an unfinished path integral (ACC_SUM)
 * is scaled up to the whole path's weight so the preview has the final scale. */
static void
estimate_from (const Sampler *s, const double *m1, const double *m2, double wsum, gboolean final,
               float *dst, int64_t n)
{
  double inv = wsum > 0 ? 1.0 / wsum : 0.0;

  if (s->mode == ACC_SUM && !final)
    {
      for (int64_t i = 0; i < n; i++)
        dst[i] = (float) (m1[i] * inv * s->total_weight);
      return;
    }
  for (int64_t i = 0; i < n; i++)
    switch (s->mode)
      {
      case ACC_MEAN:    dst[i] = (float) (m1[i] * inv); break;
      case ACC_SQUARED: dst[i] = (float) (m2[i] * inv); break;
      case ACC_VAR:     dst[i] = (float) MAX (0.0, m2[i] * inv - (m1[i] * inv) * (m1[i] * inv)); break;
      case ACC_SUM:     dst[i] = (float) m1[i]; break;
      }
}

static gboolean
run_sampler (const Sampler *s, RelExplanation *out, GError **error)
{
  const RelExplainRequest *req = s->req;
  int64_t n = req->input->numel;
  int bs = rel_explain_batch_size (req, 16);
  g_autofree double *m1 = NULL, *m2 = NULL;
  g_autofree const float **mults = NULL;
  g_autofree double *weights = NULL;
  g_autoptr(RelTensor) estimate = NULL;
  double wsum = 0;
  RelContext ctx;
  StemSum st;
  gboolean ok = FALSE;

  rel_context_init (&ctx);
  ctx.cancel = req->cancel;
  m1 = g_try_new0 (double, n);
  m2 = s->mode == ACC_SQUARED || s->mode == ACC_VAR ? g_try_new0 (double, n) : NULL;
  estimate = rel_tensor_new_like (req->input, error);
  if (estimate == NULL)
    return FALSE;
  if (m1 == NULL || ((s->mode == ACC_SQUARED || s->mode == ACC_VAR) && m2 == NULL))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for the accumulators");
      return FALSE;
    }
  mults = g_new0 (const float *, bs);
  weights = g_new0 (double, bs);
  if (!stem_sum_init (&st, s, &ctx, error))
    goto out;

  for (int done = 0; done < s->n_points; )
    {
      int nb = MIN (bs, s->n_points - done);
      GradSpan span = { req->model->input, req->model->input };
      g_autoptr(RelTensor) batch = NULL;
      g_autoptr(RelTensor) grads = NULL;

      if (rel_request_cancelled (req, error))
        goto out;
      batch = rel_batch_new (req->input, nb, error);
      if (batch == NULL)
        goto out;
      if (s->parallel_make)
        {
          /* drawing normals costs ~9 ns each: worth a second thread */
          MakeJob job = { s, done, nb, rel_tensor_f32 (batch), n, mults, weights, 0 };
          rel_parallel_run (ctx.n_threads, (int64_t) nb * n * 8, make_part, &job);
          if (job.failed)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "could not make the perturbed inputs");
              goto out;
            }
        }
      else
        for (int b = 0; b < nb; b++)
          if (!s->make (s->self, done + b, rel_tensor_f32 (batch) + b * n, &mults[b], &weights[b], error))
            goto out;
      if (st.value >= 0)
        {
          span.to = st.value;
          span.sink = stem_sink;
          span.sink_data = &st;
          st.weights = weights;
          if (st.sa)
            {
              g_clear_pointer (&batch, rel_tensor_unref);
              span.from = st.value;
              if ((batch = stem_line_batch (&st, s, done, nb, error)) == NULL)
                goto out;
            }
        }
      if (!grad_batch_span (req->model, &s->target, batch, span, NULL, NULL, &ctx, &grads, NULL, NULL, error))
        goto out;
      for (int b = 0; b < nb; b++)
        {
          double w = weights[b];
          wsum += w;
          if (st.value >= 0)
            continue;  /* stem_sink summed it */
          const float *g = rel_tensor_f32 (grads) + b * n;
          const float *mu = mults[b];
          for (int64_t i = 0; i < n; i++)
            {
              double v = mu ? (double) g[i] * mu[i] : g[i];
              m1[i] += w * v;
              if (m2)
                m2[i] += w * v * v;
            }
        }
      done += nb;
      if (req->progress && done < s->n_points)
        {
          if (st.value >= 0 && !stem_sum_to_input (&st, req->model, mults[0], m1, n, &ctx, error))
            goto out;
          estimate_from (s, m1, m2, wsum, FALSE, rel_tensor_f32 (estimate), n);
          req->progress (estimate, (double) done / s->n_points, req->progress_data);
        }
    }
  if (st.value >= 0 && !stem_sum_to_input (&st, req->model, mults[0], m1, n, &ctx, error))
    goto out;
  estimate_from (s, m1, m2, wsum, TRUE, rel_tensor_f32 (estimate), n);
  if (req->progress)
    req->progress (estimate, 1.0, req->progress_data);
  out->relevance = g_steal_pointer (&estimate);
  ok = TRUE;

out:
  stem_sum_clear (&st);
  return ok;
}

typedef struct {
  const float *x;
  int64_t      n;
  double       sigma;
  guint64      seed;
} NoiseSource;

/* Sample k's noise comes from a stream of its own (seed and k mixed), so the
 * samples of a batch are drawn in parallel and a seed gives the same result
 * for any batch size. */
static gboolean
make_noisy (gpointer self, int k, float *dst, const float **mult, double *weight, GError **error)
{
  NoiseSource *src = self;
  RelRng rng;

  rel_rng_init_stream (&rng, src->seed, (guint64) k);
  rel_rng_fill_normal (&rng, dst, src->n);
  for (int64_t i = 0; i < src->n; i++)
    dst[i] = (float) (src->x[i] + src->sigma * dst[i]);
  *mult = NULL;
  *weight = 1.0;
  return TRUE;
}

static double
input_range (RelModel *model)
{
  double r = (double) model->preprocess.range_high - model->preprocess.range_low;
  /* an unknown range means inputs in [0, 1] */
  return r > 0 && isfinite (r) ? r : 1.0;
}

static gboolean
run_noise_tunnel (const RelMethodDef *method, const RelExplainRequest *req, RelExplanation *out, GError **error)
{
  NoiseSource src;
  Sampler s = { 0 };
  RelContext ctx;

  rel_context_init (&ctx);
  ctx.cancel = req->cancel;
  s.req = req;
  if (!rel_target_resolve (req->model, &req->target, req->input, &ctx, &s.target,
                           &out->target_class, &out->explained_output, error))
    return FALSE;
  s.n_points = rel_params_get_int (req->params, "samples");
  s.make = make_noisy;
  s.self = &src;
  if (strcmp (method->name, "smoothgrad-squared") == 0)
    s.mode = ACC_SQUARED;
  else if (strcmp (method->name, "vargrad") == 0)
    s.mode = ACC_VAR;
  else
    s.mode = ACC_MEAN;
  s.same_mult = TRUE;
  src.x = rel_tensor_f32 (req->input);
  src.n = req->input->numel;
  src.sigma = rel_params_get_float (req->params, "sigma") * input_range (req->model);
  src.seed = req->seed;
  s.parallel_make = TRUE;
  return run_sampler (&s, out, error);
}

/* ---- baselines ---- */

static gboolean
parse_double (const char *text, double *out)
{
  char *end = NULL;
  double d = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !isfinite (d))
    return FALSE;
  *out = d;
  return TRUE;
}

/* At most this many images make a folder's mean: spread evenly over the
 * folder's sorted list, so every class of a large dataset is in it. */
#define DATASET_MEAN_MAX_IMAGES 512

/* The mean input of the images in @folder (an ImageFolder tree), each
 * preprocessed as the model's input, shaped like @input. Cached on the model
 * per folder and modification time: a slider's reruns read it once. */
static RelTensor *
dataset_mean (RelModel *model, const RelTensor *input, const char *folder, GError **error)
{
  GStatBuf st;
  g_autofree char *shape = rel_tensor_shape_string (input);
  g_autofree char *key = NULL;
  g_autoptr(RelDataset) ds = NULL;
  g_autoptr(RelTensor) mean = NULL;
  g_autofree double *acc = NULL;
  guint n, step, used = 0;

  if (g_stat (folder, &st) != 0 || !g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "baseline mean:%s: not a folder", folder);
      return NULL;
    }
  key = g_strdup_printf ("mean:%s@%" G_GINT64_FORMAT ":%s", folder, (gint64) st.st_mtime, shape);
  if ((mean = rel_model_cache_lookup (model, key)) != NULL)
    return g_steal_pointer (&mean);
  if (!(ds = rel_dataset_scan (folder, NULL, NULL, NULL, error)))
    return NULL;
  n = ds->paths->len;
  if (n == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "baseline mean:%s: the folder has no images", folder);
      return NULL;
    }
  step = MAX (1, (n + DATASET_MEAN_MAX_IMAGES - 1) / DATASET_MEAN_MAX_IMAGES);
  acc = g_new0 (double, input->numel);
  for (guint i = 0; i < n; i += step)
    {
      const char *path = g_ptr_array_index (ds->paths, i);
      g_autoptr(RelTensor) t = rel_input_load (model, path, error);
      if (t == NULL)
        {
          g_prefix_error (error, "baseline mean:%s: ", folder);
          return NULL;
        }
      if (!rel_tensor_same_shape (t, input))
        {
          g_autofree char *got = rel_tensor_shape_string (t);
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "baseline mean:%s: '%s' has shape %s, the input %s",
                       folder, path, got, shape);
          return NULL;
        }
      for (int64_t k = 0; k < input->numel; k++)
        acc[k] += rel_tensor_f32 (t)[k];
      used++;
    }
  if (!(mean = rel_tensor_new_like (input, error)))
    return NULL;
  for (int64_t k = 0; k < input->numel; k++)
    rel_tensor_f32 (mean)[k] = (float) (acc[k] / used);
  rel_model_cache_store (model, key, mean);
  return g_steal_pointer (&mean);
}

/* A baseline for @input from a spec: "zeros", "constant:V", "blur:SIGMA" (px),
 * "uniform" (noise over the model's input range, from @rng), "mean" (each
 * channel's mean over this input), "mean:FOLDER" (the dataset's mean input,
 * see dataset_mean), or a path to an image or .npy. */
static RelTensor *
make_baseline (RelModel *model, const RelTensor *input, const char *spec, RelRng *rng, GError **error)
{
  g_autoptr(RelTensor) b = NULL;
  double v;

  if (spec == NULL || *spec == '\0' || strcmp (spec, "zeros") == 0 || strcmp (spec, "zero") == 0)
    return rel_tensor_new_like (input, error);
  if (g_str_has_prefix (spec, "constant:"))
    {
      if (!parse_double (spec + 9, &v))
        goto bad;
      b = rel_tensor_new_like (input, error);
      if (b)
        rel_tensor_fill (b, (float) v);
      return g_steal_pointer (&b);
    }
  if (g_str_has_prefix (spec, "blur:"))
    {
      int c, h, w;
      if (!parse_double (spec + 5, &v) || v < 0 || v > 1000)
        goto bad;
      b = rel_tensor_new_like (input, error);
      if (b == NULL)
        return NULL;
      input_dims (input, &c, &h, &w);
      rel_gaussian_blur (rel_tensor_f32 (input), rel_tensor_f32 (b), c, h, w, v);
      return g_steal_pointer (&b);
    }
  if (strcmp (spec, "uniform") == 0)
    {
      double lo = model->preprocess.range_low, r = input_range (model);
      if (!isfinite (lo) || model->preprocess.range_high <= model->preprocess.range_low)
        lo = 0;
      b = rel_tensor_new_like (input, error);
      if (b == NULL)
        return NULL;
      for (int64_t i = 0; i < b->numel; i++)
        rel_tensor_f32 (b)[i] = (float) (lo + r * rel_rng_uniform (rng));
      return g_steal_pointer (&b);
    }
  if (strcmp (spec, "mean") == 0)
    return rel_channel_mean (input, error);
  if (g_str_has_prefix (spec, "mean:"))
    return dataset_mean (model, input, spec + 5, error);
  if (g_file_test (spec, G_FILE_TEST_IS_REGULAR))
    {
      b = rel_input_load (model, spec, error);
      if (b == NULL)
        {
          g_prefix_error (error, "baseline '%s': ", spec);
          return NULL;
        }
      if (!rel_tensor_same_shape (b, input))
        {
          g_autofree char *got = rel_tensor_shape_string (b);
          g_autofree char *want = rel_tensor_shape_string (input);
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "baseline '%s' has shape %s, the input %s", spec, got, want);
          return NULL;
        }
      return g_steal_pointer (&b);
    }
  if (g_file_test (spec, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "baseline '%s' is a folder: give one image or .npy (expected-gradients draws from folders)", spec);
      return NULL;
    }
  if (strchr (spec, '/') || strchr (spec, '.'))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "baseline file '%s' does not exist", spec);
      return NULL;
    }

bad:
  g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
               "baseline '%s' is not zeros, constant:V, blur:SIGMA, uniform, mean, mean:FOLDER or a file", spec);
  return NULL;
}

/* ---- Integrated Gradients ---- */

/* Gauss–Legendre nodes and weights on [−1, 1] (Newton on P_n), as
 * numpy.polynomial.legendre.leggauss. */
static void
gauss_legendre (int n, double *x, double *w)
{
  for (int i = 0; i < n; i++)
    {
      double z = cos (G_PI * (i + 0.75) / (n + 0.5)), dp = 1;
      for (int it = 0; it < 100; it++)
        {
          double p0 = 1, p1 = z, z1;
          for (int k = 2; k <= n; k++)
            {
              double p2 = ((2.0 * k - 1) * z * p1 - (k - 1.0) * p0) / k;
              p0 = p1;
              p1 = p2;
            }
          if (n == 1)
            p0 = 1;
          dp = n * (z * p1 - p0) / (z * z - 1);
          z1 = z;
          z = z1 - p1 / dp;
          if (fabs (z - z1) < 1e-15)
            break;
        }
      /* recompute the derivative at the converged node for the weight */
      {
        double p0 = 1, p1 = z;
        for (int k = 2; k <= n; k++)
          {
            double p2 = ((2.0 * k - 1) * z * p1 - (k - 1.0) * p0) / k;
            p0 = p1;
            p1 = p2;
          }
        if (n == 1)
          p0 = 1;
        dp = n * (z * p1 - p0) / (z * z - 1);
      }
      /* ascending order, as numpy returns them */
      x[n - 1 - i] = z;
      w[n - 1 - i] = 2.0 / ((1 - z * z) * dp * dp);
    }
}

/* Path points α_k and weights for the chosen quadrature on [0, 1]. */
static gboolean
ig_rule (const char *rule, int n, double *alpha, double *weight, GError **error)
{
  if (strcmp (rule, "riemann-left") == 0 || strcmp (rule, "riemann-right") == 0 || strcmp (rule, "riemann-middle") == 0)
    {
      double off = rule[8] == 'l' ? 0.0 : rule[8] == 'r' ? 1.0 : 0.5;
      for (int k = 0; k < n; k++)
        {
          alpha[k] = (k + off) / n;
          weight[k] = 1.0 / n;
        }
      return TRUE;
    }
  if (strcmp (rule, "trapezoid") == 0)
    {
      if (n < 2)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "the trapezoid rule needs at least 2 steps");
          return FALSE;
        }
      for (int k = 0; k < n; k++)
        {
          alpha[k] = (double) k / (n - 1);
          weight[k] = (k == 0 || k == n - 1 ? 0.5 : 1.0) / (n - 1);
        }
      return TRUE;
    }
  if (strcmp (rule, "gauss-legendre") == 0)
    {
      gauss_legendre (n, alpha, weight);
      /* Captum: α = (1 + t)/2, weights w/2 */
      for (int k = 0; k < n; k++)
        {
          alpha[k] = 0.5 * (1.0 + alpha[k]);
          weight[k] *= 0.5;
        }
      return TRUE;
    }
  g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "unknown integration rule '%s'", rule);
  return FALSE;
}

typedef struct {
  const float *x;
  const float *base;
  float       *diff;   /* x − baseline */
  int64_t      n;
  double      *alpha, *weight;
  int         *order;  /* the points interleaved, so each batch spans the whole path */
} PathSource;

static gboolean
make_path_point (gpointer self, int k, float *dst, const float **mult, double *weight, GError **error)
{
  PathSource *p = self;
  float a;

  k = p->order[k];
  a = (float) p->alpha[k];
  for (int64_t i = 0; i < p->n; i++)
    dst[i] = p->base[i] + a * p->diff[i];
  *mult = p->diff;
  *weight = p->weight[k];
  return TRUE;
}

static double
path_alpha (gpointer self, int k)
{
  PathSource *p = self;
  return p->alpha[p->order[k]];
}

static gboolean
run_integrated_gradients (const RelMethodDef *method, const RelExplainRequest *req, RelExplanation *out, GError **error)
{
  int steps = rel_params_get_int (req->params, "steps");
  const char *rule = rel_params_get_string (req->params, "rule");
  const char *spec = rel_params_get_string (req->params, "baseline");
  g_autoptr(RelTensor) baseline = NULL;
  g_autofree double *alpha = g_new (double, MAX (steps, 1));
  g_autofree double *weight = g_new (double, MAX (steps, 1));
  g_autofree float *diff = NULL;
  g_autofree int *order = NULL;
  PathSource src;
  Sampler s = { 0 };
  RelRng rng;
  RelContext ctx;

  if (steps < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "steps must be at least 1");
      return FALSE;
    }
  if (!ig_rule (rule, steps, alpha, weight, error))
    return FALSE;
  rel_rng_init (&rng, req->seed);
  baseline = make_baseline (req->model, req->input, spec, &rng, error);
  if (baseline == NULL)
    return FALSE;
  rel_context_init (&ctx);
  ctx.cancel = req->cancel;
  s.req = req;
  if (!rel_target_resolve (req->model, &req->target, req->input, &ctx, &s.target,
                           &out->target_class, &out->explained_output, error))
    return FALSE;
  diff = g_new (float, req->input->numel);
  for (int64_t i = 0; i < req->input->numel; i++)
    diff[i] = rel_tensor_f32 (req->input)[i] - rel_tensor_f32 (baseline)[i];
  src.x = rel_tensor_f32 (req->input);
  src.base = rel_tensor_f32 (baseline);
  src.diff = diff;
  src.n = req->input->numel;
  src.alpha = alpha;
  src.weight = weight;
  {
    /* stride through the path: the preview after the first batch already
     * integrates from the baseline to the input */
    int stride = (steps + rel_explain_batch_size (req, 16) - 1) / rel_explain_batch_size (req, 16);
    int k = 0;
    order = g_new (int, steps);
    for (int off = 0; off < stride; off++)
      for (int j = off; j < steps; j += stride)
        order[k++] = j;
    src.order = order;
  }
  s.n_points = steps;
  s.make = make_path_point;
  s.self = &src;
  s.same_mult = TRUE;
  s.line_a = baseline;
  s.line_b = req->input;
  s.alpha = path_alpha;
  /* completeness wants Σ wₖ·gₖ·(x − x′): the weights already sum to one */
  s.mode = ACC_SUM;
  s.total_weight = 0;
  for (int k = 0; k < steps; k++)
    s.total_weight += weight[k];
  return run_sampler (&s, out, error);
}

/* ---- Expected Gradients ---- */

typedef struct {
  RelModel      *model;
  const float   *x;
  int64_t        n;
  GPtrArray     *bases;   /* RelTensor*, or NULL entries for fresh uniform noise */
  RelRng         rng;
  float         *diffs;   /* one x − baseline per batch slot, reused */
  int            slots;
  int            n_points;
  RelTensor     *noise;
} ExpectedSource;

static gboolean
make_expected_point (gpointer self, int k, float *dst, const float **mult, double *weight, GError **error)
{
  ExpectedSource *e = self;
  int pick = rel_rng_int (&e->rng, (int) e->bases->len);
  RelTensor *b = g_ptr_array_index (e->bases, pick);
  float *diff = e->diffs + (gsize) (k % e->slots) * e->n;
  float a = (float) rel_rng_uniform (&e->rng);
  const float *bd;

  if (b == NULL)
    {
      double lo = e->model->preprocess.range_low, r = input_range (e->model);
      if (!isfinite (lo) || e->model->preprocess.range_high <= e->model->preprocess.range_low)
        lo = 0;
      for (int64_t i = 0; i < e->n; i++)
        rel_tensor_f32 (e->noise)[i] = (float) (lo + r * rel_rng_uniform (&e->rng));
      b = e->noise;
    }
  bd = rel_tensor_f32 (b);
  for (int64_t i = 0; i < e->n; i++)
    {
      diff[i] = e->x[i] - bd[i];
      dst[i] = bd[i] + a * diff[i];
    }
  *mult = diff;
  *weight = 1.0;
  return TRUE;
}

static gboolean
is_input_file (const char *name)
{
  static const char *const exts[] = { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff",
                                      ".webp", ".ppm", ".pgm", ".npy", NULL };
  g_autofree char *lower = g_ascii_strdown (name, -1);
  for (int i = 0; exts[i]; i++)
    if (g_str_has_suffix (lower, exts[i]))
      return TRUE;
  return FALSE;
}

/* at most this many baselines, and at most 2^26 floats (256 MiB) of them */
#define MAX_BASELINES 4096
#define MAX_BASELINE_FLOATS (G_GINT64_CONSTANT (1) << 26)

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
collect_baselines (RelModel *model, const RelTensor *input, const char *spec, RelRng *rng,
                   GPtrArray *bases, GError **error)
{
  g_auto(GStrv) items = g_strsplit (spec, ",", -1);
  guint max_count = (guint) MAX (1, MIN ((int64_t) MAX_BASELINES, MAX_BASELINE_FLOATS / MAX (input->numel, 1)));

  for (int i = 0; items[i]; i++)
    {
      const char *item = g_strstrip (items[i]);
      if (*item == '\0')
        continue;
      if (strcmp (item, "uniform") == 0)
        {
          g_ptr_array_add (bases, NULL);
          continue;
        }
      if (g_file_test (item, G_FILE_TEST_IS_DIR))
        {
          g_autoptr(GDir) dir = g_dir_open (item, 0, error);
          g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
          const char *name;

          if (dir == NULL)
            return FALSE;
          while ((name = g_dir_read_name (dir)) != NULL)
            if (is_input_file (name))
              g_ptr_array_add (names, g_build_filename (item, name, NULL));
          /* directory order is arbitrary: sort so a seed means the same draws */
          g_ptr_array_sort (names, compare_paths);
          for (guint j = 0; j < names->len; j++)
            {
              RelTensor *t;
              if (bases->len >= max_count)
                break;
              t = make_baseline (model, input, g_ptr_array_index (names, j), rng, error);
              if (t == NULL)
                return FALSE;
              g_ptr_array_add (bases, t);
            }
          continue;
        }
      if (bases->len >= max_count)
        break;
      {
        RelTensor *t = make_baseline (model, input, item, rng, error);
        if (t == NULL)
          return FALSE;
        g_ptr_array_add (bases, t);
      }
    }
  if (bases->len == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "no baselines in '%s' (a folder, files or specs separated by commas)", spec);
      return FALSE;
    }
  return TRUE;
}

static void
unref_or_null (gpointer p)
{
  if (p)
    rel_tensor_unref (p);
}

static gboolean
run_expected_gradients (const RelMethodDef *method, const RelExplainRequest *req, RelExplanation *out, GError **error)
{
  g_autoptr(GPtrArray) bases = g_ptr_array_new_with_free_func (unref_or_null);
  g_autoptr(RelTensor) noise = NULL;
  g_autofree float *diffs = NULL;
  ExpectedSource src;
  Sampler s = { 0 };
  RelContext ctx;

  rel_context_init (&ctx);
  ctx.cancel = req->cancel;
  rel_rng_init (&src.rng, req->seed);
  if (!collect_baselines (req->model, req->input, rel_params_get_string (req->params, "baselines"),
                          &src.rng, bases, error))
    return FALSE;
  noise = rel_tensor_new_like (req->input, error);
  if (noise == NULL)
    return FALSE;
  s.req = req;
  if (!rel_target_resolve (req->model, &req->target, req->input, &ctx, &s.target,
                           &out->target_class, &out->explained_output, error))
    return FALSE;
  src.model = req->model;
  src.x = rel_tensor_f32 (req->input);
  src.n = req->input->numel;
  src.bases = bases;
  src.slots = rel_explain_batch_size (req, 16);
  src.noise = noise;
  diffs = g_try_new (float, (gsize) src.slots * src.n);
  if (diffs == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory");
      return FALSE;
    }
  src.diffs = diffs;
  s.n_points = rel_params_get_int (req->params, "samples");
  s.make = make_expected_point;
  s.self = &src;
  s.mode = ACC_MEAN;
  return run_sampler (&s, out, error);
}

/* ---- the table ---- */

static const char *const ig_rules[] = {
  "gauss-legendre", "riemann-left", "riemann-right", "riemann-middle", "trapezoid", NULL
};
static const char *const ig_rule_titles[] = {
  N_("Gauss–Legendre"), N_("Riemann, left"), N_("Riemann, right"), N_("Riemann, midpoint"), N_("Trapezoid"), NULL
};

static const RelParamSpec noise_params[] = {
  { "samples", REL_PARAM_INT, N_("Number of noisy copies averaged"), 50, 1, 100000, N_("samples") },
  { "sigma", REL_PARAM_FLOAT, N_("Standard deviation of the Gaussian noise"), 0.15, 0, 10,
    N_("fraction of input range") },
};

static const RelParamSpec ig_params[] = {
  /* Gauss–Legendre nodes cost O(steps²) to compute: 10⁴ is still well under a second */
  { "steps", REL_PARAM_INT, N_("Points on the path from the baseline to the input"), 64, 1, 10000, N_("steps") },
  { "rule", REL_PARAM_CHOICE, N_("Quadrature rule along the path"), 0, 0, 0, "", ig_rules, "gauss-legendre",
    FALSE, ig_rule_titles },
  { "baseline", REL_PARAM_STRING,
    N_("Reference input: zeros, constant:V, blur:SIGMA (px), uniform, mean (per-channel mean of the input), mean:FOLDER (the dataset's mean image), or an image/.npy path"),
    0, 0, 0, "", NULL, "zeros" },
};

static const RelParamSpec eg_params[] = {
  { "baselines", REL_PARAM_STRING,
    N_("Baselines drawn at random: a folder, comma-separated image/.npy files, or specs (uniform, zeros, blur:SIGMA, …)"),
    0, 0, 0, "", NULL, "uniform" },
  { "samples", REL_PARAM_INT, N_("Number of (baseline, path point) samples"), 50, 1, 100000, N_("samples") },
};

const RelMethodDef rel_methods_gradient[] = {
  { "gradient", N_("Gradient"), N_("Gradient of the target w.r.t. the input (saliency)"),
    "gradient", NULL, 0, FALSE, run_gradient },
  { "input-x-gradient", N_("Input × Gradient"), N_("Input times the gradient of the target"),
    "gradient", NULL, 0, FALSE, run_input_x_gradient },
  { "smoothgrad", N_("SmoothGrad"), N_("Mean gradient over Gaussian-noised copies of the input"),
    "gradient", noise_params, G_N_ELEMENTS (noise_params), TRUE, run_noise_tunnel },
  { "smoothgrad-squared", N_("SmoothGrad²"), N_("Mean squared gradient over Gaussian-noised copies of the input"),
    "gradient", noise_params, G_N_ELEMENTS (noise_params), TRUE, run_noise_tunnel },
  { "vargrad", N_("VarGrad"), N_("Variance of the gradient over Gaussian-noised copies of the input"),
    "gradient", noise_params, G_N_ELEMENTS (noise_params), TRUE, run_noise_tunnel },
  { "integrated-gradients", N_("Integrated Gradients"),
    N_("Path integral of the gradient from a baseline to the input, times (input − baseline)"),
    "gradient", ig_params, G_N_ELEMENTS (ig_params), TRUE, run_integrated_gradients },
  { "expected-gradients", N_("Expected Gradients"),
    N_("Integrated gradients averaged over random baselines and path points (GradientSHAP)"),
    "gradient", eg_params, G_N_ELEMENTS (eg_params), TRUE, run_expected_gradients },
  { "guided-backprop", N_("Guided Backprop"), N_("Gradient with ReLU passing only positive gradients where the input was positive"),
    "gradient", NULL, 0, FALSE, run_guided },
  { "deconvnet", N_("DeconvNet"), N_("Gradient with ReLU replaced by a ReLU on the backward signal"),
    "gradient", NULL, 0, FALSE, run_deconvnet },
  { NULL },
};
