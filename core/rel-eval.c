/* rel-eval.c — the evaluation metrics of rel-eval.h.
 *
 * Definitions (the README's "Evaluating a heatmap" section states the same):
 * - Pixel flipping / region perturbation (Samek et al. 2017): the input is cut
 *   into a grid of p×p patches, each patch's relevance is the sum of its
 *   pixels' relevance (channels summed); patches are removed (replaced by the
 *   fill) in order of decreasing (MoRF) or increasing (LeRF) relevance, one
 *   per step, x_0 = x. AOPC = 1/(L+1) · Σ_{k=0..L} (f(x_0) − f(x_k)): step 0
 *   is included (it adds 0) and the divisor is L+1, as in the paper's eq. 12.
 *   ABPC = 1/(L+1) · Σ_{k=0..L} (f(x_k^LeRF) − f(x_k^MoRF)) = AOPC_MoRF − AOPC_LeRF.
 * - Deletion / insertion (Petsiuk et al. 2018): the MoRF order; deletion
 *   removes patches from x, insertion puts x's patches into the fill (a blur
 *   of x by default); the score is the class probability by default, and the
 *   value is the trapezoidal area under the curve over the fraction of
 *   patches, (1/L) Σ_{k=1..L} (s_{k−1} + s_k)/2.
 * - Infidelity (Yeh et al. 2019): E_I[(Iᵀ Φ − (f(x) − f(x − I)))²] by Monte
 *   Carlo; Gaussian I ~ N(0, σ²), or square removal (x − I is x with a random
 *   s×s square replaced by the fill) where, with `indicator` (default), the
 *   map is weighed by the square's indicator rather than by I (Yeh et al.'s
 *   binary_I: maps that already include the input, such as input × gradient
 *   or LRP, sum over the removed pixels).
 * - Sensitivity (Yeh et al. 2019): ‖Φ(y) − Φ(x)‖ / ‖Φ(x)‖ (Frobenius) over n
 *   inputs y drawn uniformly from the L∞ ball of radius r around x: max or mean.
 * - Sparseness: the Gini index of |R| (pixels, channels summed); entropy:
 *   −Σ p ln p of p = |R| / Σ|R|.
 * - Localisation: relevance mass and rank accuracy (rel_region_score), and
 *   the pointing game: 1 if the most relevant pixel lies in the mask.
 * - Model parameter randomisation (Adebayo et al. 2018): the weight-carrying
 *   layers (Conv, Gemm, MatMul with constant weights) from the output down;
 *   cascading randomises the top k layers at step k, independent only the
 *   k-th. Weights and biases are re-drawn from U(−1/√fan_in, 1/√fan_in)
 *   (PyTorch's default initialisation), one seeded stream per layer, in a
 *   private copy of the model loaded from its file. Each step's map is
 *   compared with the original: Spearman correlation of |R|, SSIM of |R| /
 *   max|R|, or the share of pixels whose sign (−, 0, +) agrees.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-eval.h"
#include "rel-core.h"
#include "rel-error.h"
#include "rel-gradient.h"
#include "rel-incremental.h"
#include "rel-blas.h"
#include "rel-region.h"
#include "rel-blur.h"
#include "rel-rng.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

/* ---- parameters ---- */

static const char *const fill_choices[] = { "zero", "mean", "blur", "noise", NULL };
static const char *const score_choices[] = { "logit", "probability", NULL };
static const char *const pert_choices[] = { "square", "gaussian", NULL };
static const char *const order_choices[] = { "cascading", "independent", NULL };
static const char *const sim_choices[] = { "spearman", "ssim", "sign", NULL };

#define FLIP_PARAMS(fill_def, score_def) \
  { "patch", REL_PARAM_INT, N_("Patch side (0: 4 below 112 px, else 16)"), 0, 0, 256, "px", NULL, NULL, FALSE }, \
  { "fill", REL_PARAM_CHOICE, N_("What replaces a removed patch"), 0, 0, 0, "", fill_choices, fill_def, FALSE }, \
  { "blur-sigma", REL_PARAM_FLOAT, N_("Blur fill: Gaussian σ (0: a quarter of the patch)"), 0, 0, 64, "px", NULL, NULL, FALSE }, \
  { "score", REL_PARAM_CHOICE, N_("The model's score per step"), 0, 0, 0, "", score_choices, score_def, FALSE }, \
  { "steps", REL_PARAM_INT, N_("Patches removed (0: all)"), 0, 0, 65536, "", NULL, NULL, FALSE }, \
  { "batch", REL_PARAM_INT, N_("Perturbed inputs per forward pass (0: by input size)"), 0, 0, 256, "", NULL, NULL, FALSE }, \
  { "incremental", REL_PARAM_BOOL, N_("Recompute only what each step changes (false: a full forward pass per step)"), 1, 0, 1, "", NULL, NULL, FALSE }

static const RelParamSpec flip_params[] = { FLIP_PARAMS ("zero", "logit") };
static const RelParamSpec deletion_params[] = { FLIP_PARAMS ("zero", "probability") };
static const RelParamSpec insertion_params[] = { FLIP_PARAMS ("blur", "probability") };

static const RelParamSpec infidelity_params[] = {
  { "perturbation", REL_PARAM_CHOICE, N_("Square removal or Gaussian noise"), 0, 0, 0, "", pert_choices, "square", FALSE },
  { "samples", REL_PARAM_INT, N_("Perturbations drawn"), 50, 1, 100000, "", NULL, NULL, FALSE },
  { "sigma", REL_PARAM_FLOAT, N_("Gaussian: σ"), 0.1, 0, 10, "fraction of input range", NULL, NULL, FALSE },
  { "square", REL_PARAM_INT, N_("Square: side (0: the default patch)"), 0, 0, 1024, "px", NULL, NULL, FALSE },
  { "fill", REL_PARAM_CHOICE, N_("Square: what replaces it"), 0, 0, 0, "", fill_choices, "zero", FALSE },
  { "indicator", REL_PARAM_BOOL, N_("Square: weigh the map by the square's indicator instead of I"), 1, 0, 1, "", NULL, NULL, FALSE },
  { "rescale", REL_PARAM_BOOL, N_("Scale the map by the least-squares optimal factor first"), 0, 0, 1, "", NULL, NULL, FALSE },
  { "score", REL_PARAM_CHOICE, N_("The model's score"), 0, 0, 0, "", score_choices, "logit", FALSE },
  { "batch", REL_PARAM_INT, N_("Perturbed inputs per forward pass (0: by input size)"), 0, 0, 256, "", NULL, NULL, FALSE },
};

static const RelParamSpec sensitivity_params[] = {
  { "radius", REL_PARAM_FLOAT, N_("Radius of the L∞ ball"), 0.02, 0, 10, "fraction of input range", NULL, NULL, FALSE },
  { "samples", REL_PARAM_INT, N_("Inputs drawn from the ball"), 10, 1, 10000, "", NULL, NULL, FALSE },
};

static const RelParamSpec randomisation_params[] = {
  { "order", REL_PARAM_CHOICE, N_("Cascading from the output down, or one layer at a time"), 0, 0, 0, "", order_choices, "cascading", FALSE },
  { "similarity", REL_PARAM_CHOICE, N_("Similarity to the original map"), 0, 0, 0, "", sim_choices, "spearman", FALSE },
};

/* ---- small measures ---- */

float *
rel_eval_pixel_map (const RelTensor *relevance)
{
  int c = relevance->ndim == 4 ? (int) relevance->shape[1] : 1;
  int64_t plane = relevance->numel / MAX (c, 1);
  const float *r = rel_tensor_f32 (relevance);
  float *m = g_new0 (float, plane);

  for (int ch = 0; ch < c; ch++)
    for (int64_t i = 0; i < plane; i++)
      m[i] += r[ch * plane + i];
  return m;
}

int
rel_eval_default_patch (int height, int width)
{
  return MIN (height, width) < 112 ? 4 : 16;
}

static int
cmp_float (const void *a, const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x > y) - (x < y);
}

double
rel_eval_gini (const float *v, int64_t n)
{
  g_autofree float *a = g_new (float, MAX (n, 1));
  double num = 0, sum = 0;

  for (int64_t i = 0; i < n; i++)
    a[i] = fabsf (v[i]);
  qsort (a, n, sizeof *a, cmp_float);
  for (int64_t i = 0; i < n; i++)
    {
      num += (2.0 * (i + 1) - n - 1) * a[i];
      sum += a[i];
    }
  if (!(sum > 0))
    return NAN;
  return num / ((double) n * sum);
}

double
rel_eval_entropy (const float *v, int64_t n)
{
  double sum = 0, h = 0;
  for (int64_t i = 0; i < n; i++)
    sum += fabsf (v[i]);
  if (!(sum > 0))
    return NAN;
  for (int64_t i = 0; i < n; i++)
    {
      double p = fabsf (v[i]) / sum;
      if (p > 0)
        h -= p * log (p);
    }
  return h;
}

typedef struct { float v; int64_t i; } Ranked;

static int
cmp_ranked (const void *a, const void *b)
{
  const Ranked *x = a, *y = b;
  if (x->v != y->v)
    return (x->v > y->v) - (x->v < y->v);
  return (x->i > y->i) - (x->i < y->i);
}

/* Average ranks (1-based) of @v. */
static double *
ranks (const float *v, int64_t n)
{
  g_autofree Ranked *r = g_new (Ranked, MAX (n, 1));
  double *out = g_new (double, MAX (n, 1));

  for (int64_t i = 0; i < n; i++)
    r[i] = (Ranked) { v[i], i };
  qsort (r, n, sizeof *r, cmp_ranked);
  for (int64_t i = 0; i < n;)
    {
      int64_t j = i;
      while (j + 1 < n && r[j + 1].v == r[i].v)
        j++;
      for (int64_t k = i; k <= j; k++)
        out[r[k].i] = (i + j) / 2.0 + 1;
      i = j + 1;
    }
  return out;
}

double
rel_eval_spearman (const float *a, const float *b, int64_t n)
{
  g_autofree double *ra = ranks (a, n), *rb = ranks (b, n);
  double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;

  for (int64_t i = 0; i < n; i++)
    ma += ra[i], mb += rb[i];
  ma /= n, mb /= n;
  for (int64_t i = 0; i < n; i++)
    {
      sab += (ra[i] - ma) * (rb[i] - mb);
      saa += (ra[i] - ma) * (ra[i] - ma);
      sbb += (rb[i] - mb) * (rb[i] - mb);
    }
  if (!(saa > 0 && sbb > 0))
    return NAN;
  return sab / sqrt (saa * sbb);
}

double
rel_eval_ssim (const float *a, const float *b, int height, int width, double range)
{
  const int r = 5;
  double k[11], ksum = 0, total = 0;
  const double c1 = (0.01 * range) * (0.01 * range), c2 = (0.03 * range) * (0.03 * range);
  int n = 0;

  for (int i = -r; i <= r; i++)
    ksum += k[i + r] = exp (-(i * i) / (2 * 1.5 * 1.5));
  for (int i = 0; i < 2 * r + 1; i++)
    k[i] /= ksum;

  if (height < 2 * r + 1 || width < 2 * r + 1)
    {
      /* one window over the whole (small) plane, uniform weights */
      double mx = 0, my = 0, vx = 0, vy = 0, cxy = 0;
      int m = height * width;
      for (int i = 0; i < m; i++)
        mx += a[i], my += b[i];
      mx /= m, my /= m;
      for (int i = 0; i < m; i++)
        {
          vx += (a[i] - mx) * (a[i] - mx);
          vy += (b[i] - my) * (b[i] - my);
          cxy += (a[i] - mx) * (b[i] - my);
        }
      vx /= MAX (m - 1, 1), vy /= MAX (m - 1, 1), cxy /= MAX (m - 1, 1);
      return ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
    }
  for (int y = r; y < height - r; y++)
    for (int x = r; x < width - r; x++)
      {
        double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
        for (int dy = -r; dy <= r; dy++)
          for (int dx = -r; dx <= r; dx++)
            {
              double w = k[dy + r] * k[dx + r];
              double va = a[(y + dy) * width + x + dx], vb = b[(y + dy) * width + x + dx];
              mx += w * va, my += w * vb;
              xx += w * va * va, yy += w * vb * vb, xy += w * va * vb;
            }
        {
          /* sample covariances as skimage computes them (use_sample_covariance) */
          double np = (2 * r + 1) * (2 * r + 1), f = np / (np - 1);
          double vx = f * (xx - mx * mx), vy = f * (yy - my * my), cxy = f * (xy - mx * my);
          total += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
          n++;
        }
      }
  return total / n;
}

void
rel_eval_mean_ci (const double *v, int n, double *mean, double *ci95, int *used)
{
  double s = 0, ss = 0;
  int m = 0;
  for (int i = 0; i < n; i++)
    if (isfinite (v[i]))
      s += v[i], m++;
  *used = m;
  if (m == 0)
    {
      *mean = NAN, *ci95 = NAN;
      return;
    }
  *mean = s / m;
  for (int i = 0; i < n; i++)
    if (isfinite (v[i]))
      ss += (v[i] - *mean) * (v[i] - *mean);
  *ci95 = m < 2 ? 0 : 1.96 * sqrt (ss / (m - 1)) / sqrt (m);
}

/* ---- shared machinery ---- */

typedef struct {
  const RelMetricRequest *req;
  RelContext  ctx;
  RelTarget   target;       /* resolved */
  int         c, h, w;
  int64_t     per;          /* C·H·W */
  int         max_batch;    /* 1 for a fixed-batch model */
  double      range;        /* input range high − low */
} Eval;

static gboolean
cancelled (const Eval *ev, GError **error)
{
  if (ev->req->cancel && g_atomic_int_get (ev->req->cancel))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
      return TRUE;
    }
  return FALSE;
}

/* Scores of the first @n rows of @batch. rel_grad_batch without gradients
 * is a forward pass that runs the two halves of a batch on the two cores
 * side by side (faster than one pass on two threads); a probability is the
 * exponential of the log-softmax value. */
static gboolean
batch_scores (Eval *ev, RelTensor *batch, int n, gboolean probability, double *out, GError **error)
{
  int64_t shape[4] = { n, ev->c, ev->h, ev->w };
  g_autoptr(RelTensor) view = NULL;
  RelTarget t = ev->target;

  if (batch->shape[0] != n)
    {
      if ((view = rel_tensor_new (REL_DTYPE_FLOAT32, 4, shape, error)) == NULL)
        return FALSE;
      memcpy (view->data, batch->data, (gsize) n * ev->per * sizeof (float));
    }
  if (probability)
    t.log_prob = TRUE;
  if (!rel_grad_batch (ev->req->model, &t, view ? view : batch, NULL, NULL, &ev->ctx, NULL, out, NULL, error))
    return FALSE;
  if (probability)
    for (int i = 0; i < n; i++)
      out[i] = exp (out[i]);
  return TRUE;
}

/* The "batch" parameter, 0 meaning: keep a pass's inputs under 0.65 M floats
 * (4 images at 224², as rel_explain_batch_size measured on ResNet-18), at
 * most 8, even so the two halves match. */
static int
batch_param (const Eval *ev, const RelParams *p)
{
  int b = rel_params_get_int (p, "batch");
  if (b <= 0)
    {
      b = (int) CLAMP ((int64_t) 650000 / MAX (ev->per, 1), 1, 8);
      if (b > 2 && b % 2 == 1)
        b--;
    }
  return MAX (1, MIN (b, ev->max_batch));
}

static gboolean
eval_init (Eval *ev, const RelMetricRequest *req, GError **error)
{
  RelValue *in;
  const RelPreprocess *pp = &req->model->preprocess;

  memset (ev, 0, sizeof *ev);
  ev->req = req;
  rel_context_init (&ev->ctx);
  if (req->n_threads > 0)
    ev->ctx.n_threads = req->n_threads;
  ev->ctx.cancel = req->cancel;
  if (req->input == NULL || req->input->ndim != 4 || req->input->shape[0] != 1
      || req->input->dtype != REL_DTYPE_FLOAT32)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "evaluation needs one 1×C×H×W float32 input");
      return FALSE;
    }
  if (req->relevance == NULL || req->relevance->numel != req->input->numel)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "the map to evaluate must have the input's shape (a CAM needs upsample=true)");
      return FALSE;
    }
  ev->c = (int) req->input->shape[1];
  ev->h = (int) req->input->shape[2];
  ev->w = (int) req->input->shape[3];
  ev->per = req->input->numel;
  in = rel_model_value (req->model, req->model->input);
  ev->max_batch = (in && in->ndim > 0 && in->shape[0] > 0) ? (int) in->shape[0] : 256;
  ev->range = pp->range_high > pp->range_low ? pp->range_high - pp->range_low : 1.0;
  return rel_target_resolve (req->model, &req->target, req->input, &ev->ctx, &ev->target, NULL, NULL, error);
}

static gboolean
map_is_zero (const RelTensor *r)
{
  const float *v = rel_tensor_f32 (r);
  for (int64_t i = 0; i < r->numel; i++)
    if (v[i] != 0.f)
      return FALSE;
  return TRUE;
}

static gboolean
map_is_finite (const RelTensor *r)
{
  const float *v = rel_tensor_f32 (r);
  for (int64_t i = 0; i < r->numel; i++)
    if (!isfinite (v[i]))
      return FALSE;
  return TRUE;
}

/* What replaces removed pixels, input-shaped. */
static RelTensor *
make_fill (Eval *ev, const char *fill, double sigma, guint64 stream, GError **error)
{
  const RelTensor *x = ev->req->input;
  const RelPreprocess *pp = &ev->req->model->preprocess;
  RelTensor *t;
  float *d;
  int64_t plane = (int64_t) ev->h * ev->w;

  if (strcmp (fill, "mean") == 0)
    return rel_channel_mean (x, error);
  if ((t = rel_tensor_new_like (x, error)) == NULL)
    return NULL;
  d = rel_tensor_f32 (t);
  if (strcmp (fill, "blur") == 0)
    rel_gaussian_blur (rel_tensor_f32 (x), d, ev->c, ev->h, ev->w, sigma);
  else if (strcmp (fill, "noise") == 0)
    {
      RelRng rng;
      rel_rng_init_stream (&rng, ev->req->seed, stream);
      for (int64_t i = 0; i < t->numel; i++)
        d[i] = (float) (pp->range_low + rel_rng_uniform (&rng) * ev->range);
    }
  else
    {
      /* black: pixel value 0 through the model's normalisation */
      for (int ch = 0; ch < ev->c; ch++)
        {
          float v = (0.f - pp->mean[MIN (ch, 3)]) / (pp->std[MIN (ch, 3)] != 0.f ? pp->std[MIN (ch, 3)] : 1.f);
          for (int64_t i = 0; i < plane; i++)
            d[ch * plane + i] = v;
        }
    }
  return t;
}

static void
copy_rect (const Eval *ev, float *dst, const float *src, int y0, int x0, int y1, int x1)
{
  int64_t plane = (int64_t) ev->h * ev->w;
  for (int ch = 0; ch < ev->c; ch++)
    for (int y = y0; y < y1; y++)
      memcpy (dst + ch * plane + (int64_t) y * ev->w + x0, src + ch * plane + (int64_t) y * ev->w + x0,
              (gsize) (x1 - x0) * sizeof (float));
}

typedef struct { double v; int i; } Patch;

static int
cmp_patch_desc (const void *a, const void *b)
{
  const Patch *x = a, *y = b;
  if (x->v != y->v)
    return (x->v < y->v) - (x->v > y->v);
  return x->i - y->i;
}

typedef enum { FLIP_MORF, FLIP_LERF } FlipOrder;

/* One segment of a chain: steps k0 … k1 (k0 ≥ 1) of a curve whose step k
 * takes rects[k − 1] from @repl, starting from @start (step k0 − 1's input).
 * Writes scores[k0 … k1]; with @report, reports progress after each batch. */
typedef struct {
  Eval            *ev;
  const RelParams *p;
  const int       *rects;
  RelTensor       *start;
  RelTensor       *repl;
  int              k0, k1, L;
  double          *steps, *scores;
  int             *n_steps;
  RelMetricResult *out;
  double           frac0, frac_span;
  gboolean         report;
  RelContext       ctx;
  GError          *error;
  gboolean         ok;
} Segment;

static gboolean
segment_run (Segment *sg)
{
  Eval *ev = sg->ev;
  const RelMetricRequest *req = ev->req;
  gboolean prob = strcmp (rel_params_get_string (sg->p, "score"), "probability") == 0;
  g_autoptr(RelIncremental) inc = NULL;
  g_autofree double *vals = NULL;
  RelTarget t = ev->target;
  int batch;

  if (prob)
    t.log_prob = TRUE;
  inc = rel_incremental_new (req->model, sg->start, sg->rects + (sg->k0 - 1) * 4, sg->k1 - sg->k0 + 1,
                             REL_INCREMENTAL_DEFAULT_FRACTION, &sg->ctx, &sg->error);
  if (inc == NULL)
    return FALSE;
  if (sg->k0 == 1)
    {
      /* step 0: the clean pass the plan ran */
      rel_target_values (&t, rel_activations_output (rel_incremental_clean (inc)), sg->scores);
      if (prob)
        sg->scores[0] = exp (sg->scores[0]);
      sg->steps[0] = 0;
    }
  /* the full-size part starts at smaller activations than the input: more
   * steps fit a pass than batch_param's inputs (as occlusion measured) */
  batch = rel_params_get_int (sg->p, "batch");
  batch = batch > 0 ? batch : rel_incremental_batch_hint (inc, 1300000);
  batch = MAX (1, MIN (batch, ev->max_batch));
  vals = g_new (double, batch);
  for (int k = sg->k0; k <= sg->k1; )
    {
      int n = MIN (batch, sg->k1 + 1 - k);
      g_autoptr(RelTensor) logits = NULL;

      if (cancelled (ev, &sg->error))
        return FALSE;
      logits = rel_incremental_forward_chain (inc, sg->repl, k - sg->k0, n, &sg->ctx, &sg->error);
      if (logits == NULL)
        return FALSE;
      rel_target_values (&t, logits, vals);
      for (int j = 0; j < n; j++)
        {
          sg->steps[k + j] = k + j;
          sg->scores[k + j] = prob ? exp (vals[j]) : vals[j];
        }
      k += n;
      if (sg->report)
        {
          *sg->n_steps = k;
          if (req->progress)
            req->progress (sg->out, sg->frac0 + sg->frac_span * k / (double) (sg->L + 1), req->progress_data);
        }
    }
  return TRUE;
}

static gpointer
segment_thread (gpointer data)
{
  Segment *sg = data;
  sg->ok = segment_run (sg);
  return NULL;
}

/* flip_curve's steps as a chain of incremental passes (rel-incremental.h):
 * step k differs from step k − 1 by one patch, so only the activations that
 * patch reaches are recomputed, on its rectangle, and the rest of the network
 * runs batched over the steps. The same scores as a full pass per step up to
 * float rounding (tests/test-eval.c compares them). A chain is sequential, so
 * two cores run two halves of it: the second starts from the input after the
 * first half's patches (one extra clean pass). @start is x_0, @src what each
 * patch takes. */
static gboolean
flip_chain (Eval *ev, const RelParams *p, const Patch *order_arr, int L, int nx, int patch, RelTensor *start,
            const float *src, double *steps, double *scores, int *n_steps, RelMetricResult *out, double frac0,
            double frac_span, GError **error)
{
  g_autofree int *rects = g_new (int, (gsize) MAX (L, 1) * 4);
  g_autoptr(RelTensor) repl = NULL;
  g_autoptr(RelTensor) mid = NULL;
  Segment a = { 0 }, b = { 0 };
  int m;
  gboolean two;

  for (int k = 0; k < L; k++)
    {
      int id = order_arr[k].i, py = id / nx, px = id % nx;
      rects[k * 4] = py * patch;
      rects[k * 4 + 1] = px * patch;
      rects[k * 4 + 2] = MIN ((py + 1) * patch, ev->h);
      rects[k * 4 + 3] = MIN ((px + 1) * patch, ev->w);
    }
  if ((repl = rel_tensor_new_like (ev->req->input, error)) == NULL)
    return FALSE;
  memcpy (repl->data, src, ev->per * sizeof (float));
  /* halves only where the extra clean pass is worth it */
  two = ev->ctx.n_threads >= 2 && L >= 16;
  m = two ? (L + 1) / 2 : L;
  a = (Segment) { ev, p, rects, start, repl, 1, m, L, steps, scores, n_steps, out, frac0, frac_span, TRUE,
                  ev->ctx, NULL, FALSE };
  *n_steps = 1;
  if (L == 0)
    {
      /* no patch: only step 0 */
      g_autoptr(RelActivations) acts = rel_model_forward (ev->req->model, start, &ev->ctx, error);
      RelTarget t = ev->target;
      gboolean prob = strcmp (rel_params_get_string (p, "score"), "probability") == 0;
      if (acts == NULL)
        return FALSE;
      t.log_prob = prob;
      rel_target_values (&t, rel_activations_output (acts), scores);
      if (prob)
        scores[0] = exp (scores[0]);
      steps[0] = 0;
      return TRUE;
    }
  if (two)
    {
      GThread *thread;

      if ((mid = rel_tensor_copy (start, error)) == NULL)
        return FALSE;
      for (int k = 0; k < m; k++)
        copy_rect (ev, rel_tensor_f32 (mid), src, rects[k * 4], rects[k * 4 + 1], rects[k * 4 + 2],
                   rects[k * 4 + 3]);
      b = (Segment) { ev, p, rects, mid, repl, m + 1, L, L, steps, scores, n_steps, out, frac0, frac_span,
                      FALSE, ev->ctx, NULL, FALSE };
      a.ctx.n_threads = b.ctx.n_threads = 1;
      rel_blas_single_begin ();
      thread = g_thread_try_new ("rel-eval-chain", segment_thread, &b, NULL);
      if (thread == NULL)
        segment_thread (&b);
      a.ok = segment_run (&a);
      if (thread)
        g_thread_join (thread);
      rel_blas_single_end ();
      if (!a.ok || !b.ok)
        {
          g_propagate_error (error, a.error ? g_steal_pointer (&a.error) : g_steal_pointer (&b.error));
          g_clear_error (&a.error);
          g_clear_error (&b.error);
          return FALSE;
        }
      *n_steps = L + 1;
      if (ev->req->progress)
        ev->req->progress (out, frac0 + frac_span, ev->req->progress_data);
      return TRUE;
    }
  if (!segment_run (&a))
    {
      g_propagate_error (error, g_steal_pointer (&a.error));
      return FALSE;
    }
  return TRUE;
}

/* One curve: scores[0..L] after removing (or, @insert, inserting) 0..L
 * patches in @order. @scores has room for every patch + 1; *n_steps gets L + 1.
 * @out (whose steps/scores are these arrays) is reported as progress. */
static gboolean
flip_curve (Eval *ev, const RelParams *p, FlipOrder order, gboolean insert, double *steps, double *scores,
            int *n_steps, RelMetricResult *out, double frac0, double frac_span, GError **error)
{
  const RelMetricRequest *req = ev->req;
  int patch = rel_params_get_int (p, "patch");
  double sigma = rel_params_get_float (p, "blur-sigma");
  gboolean prob = strcmp (rel_params_get_string (p, "score"), "probability") == 0;
  int batch = batch_param (ev, p);
  int ny, nx, np, L;
  g_autofree float *map = rel_eval_pixel_map (req->relevance);
  g_autofree Patch *order_arr = NULL;
  g_autoptr(RelTensor) fill = NULL, cur = NULL, xb = NULL;
  const float *x = rel_tensor_f32 (req->input);
  const float *src;

  if (patch <= 0)
    patch = rel_eval_default_patch (ev->h, ev->w);
  if (sigma <= 0)
    sigma = MAX (patch / 4.0, 1.0);
  ny = (ev->h + patch - 1) / patch;
  nx = (ev->w + patch - 1) / patch;
  np = ny * nx;
  L = rel_params_get_int (p, "steps");
  L = L <= 0 ? np : MIN (L, np);

  order_arr = g_new (Patch, np);
  for (int py = 0; py < ny; py++)
    for (int px = 0; px < nx; px++)
      {
        double s = 0;
        for (int y = py * patch; y < MIN ((py + 1) * patch, ev->h); y++)
          for (int xx = px * patch; xx < MIN ((px + 1) * patch, ev->w); xx++)
            s += map[y * ev->w + xx];
        order_arr[py * nx + px] = (Patch) { order == FLIP_MORF ? s : -s, py * nx + px };
      }
  qsort (order_arr, np, sizeof *order_arr, cmp_patch_desc);

  if ((fill = make_fill (ev, rel_params_get_string (p, "fill"), sigma, 1, error)) == NULL)
    return FALSE;
  /* deletion starts from x and copies fill in; insertion the other way round */
  if ((cur = rel_tensor_new_like (req->input, error)) == NULL)
    return FALSE;
  memcpy (cur->data, insert ? fill->data : req->input->data, ev->per * sizeof (float));
  src = insert ? x : rel_tensor_f32 (fill);
  if (rel_params_get_bool (p, "incremental"))
    return flip_chain (ev, p, order_arr, L, nx, patch, cur, src, steps, scores, n_steps, out, frac0, frac_span,
                       error);
  {
    int64_t shape[4] = { batch, ev->c, ev->h, ev->w };
    if ((xb = rel_tensor_new (REL_DTYPE_FLOAT32, 4, shape, error)) == NULL)
      return FALSE;
  }

  /* step k's input is step k−1's with one more patch changed: build them in
   * sequence, run them in batches */
  for (int k0 = 0; k0 <= L; k0 += batch)
    {
      int n = MIN (batch, L + 1 - k0);
      float *dst = rel_tensor_f32 (xb);

      if (cancelled (ev, error))
        return FALSE;
      for (int j = 0; j < n; j++)
        {
          int k = k0 + j;
          if (k > 0)
            {
              int id = order_arr[k - 1].i, py = id / nx, px = id % nx;
              copy_rect (ev, rel_tensor_f32 (cur), src, py * patch, px * patch, MIN ((py + 1) * patch, ev->h),
                         MIN ((px + 1) * patch, ev->w));
            }
          memcpy (dst + j * ev->per, cur->data, ev->per * sizeof (float));
          steps[k] = k;
        }
      if (!batch_scores (ev, xb, n, prob, scores + k0, error))
        return FALSE;
      *n_steps = k0 + n;
      if (req->progress)
        req->progress (out, frac0 + frac_span * (k0 + n) / (double) (L + 1), req->progress_data);
    }
  return TRUE;
}

static int
n_patches (Eval *ev, const RelParams *p)
{
  int patch = rel_params_get_int (p, "patch");
  if (patch <= 0)
    patch = rel_eval_default_patch (ev->h, ev->w);
  return ((ev->h + patch - 1) / patch) * ((ev->w + patch - 1) / patch);
}

static double
aopc (const double *s, int n)
{
  double a = 0;
  for (int k = 0; k < n; k++)
    a += s[0] - s[k];
  return a / n;
}

static gboolean
curve_applicable (const RelMetricRequest *req, RelMetricResult *out)
{
  if (!map_is_finite (req->relevance))
    out->not_applicable = g_strdup ("the map holds NaN or infinite values");
  else if (map_is_zero (req->relevance))
    out->not_applicable = g_strdup ("the map is zero everywhere: it orders no patches");
  return out->not_applicable == NULL;
}

static gboolean
run_flip (const RelMetricDef *metric, const RelMetricRequest *req, RelMetricResult *out, GError **error)
{
  Eval ev;
  const RelParams *p = req->params;
  gboolean morf = strcmp (metric->name, "aopc-lerf") != 0;
  gboolean insert = strcmp (metric->name, "insertion") == 0;
  int np;

  if (!curve_applicable (req, out))
    return TRUE;
  if (!eval_init (&ev, req, error))
    return FALSE;
  np = n_patches (&ev, p);
  out->steps = g_new0 (double, np + 1);
  out->scores = g_new0 (double, np + 1);
  if (!flip_curve (&ev, p, morf ? FLIP_MORF : FLIP_LERF, insert, out->steps, out->scores, &out->n_steps,
                   out, 0, 1, error))
    return FALSE;
  if (strcmp (metric->name, "insertion") == 0 || strcmp (metric->name, "deletion") == 0)
    {
      double auc = 0;
      int L = out->n_steps - 1;
      for (int k = 1; k <= L; k++)
        auc += (out->scores[k - 1] + out->scores[k]) / 2;
      out->value = L > 0 ? auc / L : out->scores[0];
    }
  else
    out->value = aopc (out->scores, out->n_steps);
  return TRUE;
}

static gboolean
run_abpc (const RelMetricDef *metric, const RelMetricRequest *req, RelMetricResult *out, GError **error)
{
  Eval ev;
  int np, n2 = 0;

  if (!curve_applicable (req, out))
    return TRUE;
  if (!eval_init (&ev, req, error))
    return FALSE;
  np = n_patches (&ev, req->params);
  out->steps = g_new0 (double, np + 1);
  out->scores = g_new0 (double, np + 1);
  out->scores2 = g_new0 (double, np + 1);
  {
    g_autofree double *steps2 = g_new0 (double, np + 1);
    RelMetricResult dummy = { 0 };
    if (!flip_curve (&ev, req->params, FLIP_MORF, FALSE, out->steps, out->scores, &out->n_steps, out, 0, 0.5, error))
      return FALSE;
    dummy = *out;
    if (!flip_curve (&ev, req->params, FLIP_LERF, FALSE, steps2, out->scores2, &n2, &dummy, 0.5, 0.5, error))
      return FALSE;
  }
  {
    double a = 0;
    for (int k = 0; k < out->n_steps; k++)
      a += out->scores2[k] - out->scores[k];
    out->value = a / out->n_steps;
  }
  return TRUE;
}

/* ---- infidelity ---- */

static gboolean
run_infidelity (const RelMetricDef *metric, const RelMetricRequest *req, RelMetricResult *out, GError **error)
{
  Eval ev;
  const RelParams *p = req->params;
  gboolean square = strcmp (rel_params_get_string (p, "perturbation"), "square") == 0;
  gboolean indicator = rel_params_get_bool (p, "indicator");
  gboolean prob = strcmp (rel_params_get_string (p, "score"), "probability") == 0;
  int n = rel_params_get_int (p, "samples");
  int side = rel_params_get_int (p, "square");
  double sigma = rel_params_get_float (p, "sigma");
  int batch;
  g_autoptr(RelTensor) fill = NULL, xb = NULL;
  g_autofree double *dots = g_new (double, n), *deltas = g_new (double, n), *fs = NULL;
  const float *x = rel_tensor_f32 (req->input), *phi = rel_tensor_f32 (req->relevance);
  double f0;
  RelRng rng;

  if (!map_is_finite (req->relevance))
    {
      out->not_applicable = g_strdup ("the map holds NaN or infinite values");
      return TRUE;
    }
  if (!eval_init (&ev, req, error))
    return FALSE;
  batch = batch_param (&ev, p);
  fs = g_new (double, batch);
  if (!batch_scores (&ev, req->input, 1, prob, &f0, error))
    return FALSE;
  if (side <= 0)
    side = rel_eval_default_patch (ev.h, ev.w);
  side = MIN (side, MIN (ev.h, ev.w));
  if (square && (fill = make_fill (&ev, rel_params_get_string (p, "fill"), MAX (side / 4.0, 1.0), 2, error)) == NULL)
    return FALSE;
  {
    int64_t shape[4] = { batch, ev.c, ev.h, ev.w };
    if ((xb = rel_tensor_new (REL_DTYPE_FLOAT32, 4, shape, error)) == NULL)
      return FALSE;
  }
  rel_rng_init_stream (&rng, req->seed, 3);
  for (int s0 = 0; s0 < n; s0 += batch)
    {
      int m = MIN (batch, n - s0);
      if (cancelled (&ev, error))
        return FALSE;
      for (int j = 0; j < m; j++)
        {
          float *d = rel_tensor_f32 (xb) + j * ev.per;
          double dot = 0;
          memcpy (d, x, ev.per * sizeof (float));
          if (square)
            {
              int y0 = rel_rng_int (&rng, ev.h - side + 1), x0 = rel_rng_int (&rng, ev.w - side + 1);
              int64_t plane = (int64_t) ev.h * ev.w;
              copy_rect (&ev, d, rel_tensor_f32 (fill), y0, x0, y0 + side, x0 + side);
              for (int ch = 0; ch < ev.c; ch++)
                for (int y = y0; y < y0 + side; y++)
                  for (int xx = x0; xx < x0 + side; xx++)
                    {
                      int64_t i = ch * plane + (int64_t) y * ev.w + xx;
                      dot += (indicator ? 1.0 : (double) x[i] - d[i]) * phi[i];
                    }
            }
          else
            for (int64_t i = 0; i < ev.per; i++)
              {
                double noise = sigma * ev.range * rel_rng_normal (&rng);
                d[i] = (float) (x[i] - noise);
                dot += noise * phi[i];
              }
          dots[s0 + j] = dot;
        }
      if (!batch_scores (&ev, xb, m, prob, fs, error))
        return FALSE;
      for (int j = 0; j < m; j++)
        deltas[s0 + j] = f0 - fs[j];
      if (req->progress)
        req->progress (out, (s0 + m) / (double) n, req->progress_data);
    }
  {
    double beta = 1, num = 0, den = 0, acc = 0;
    if (rel_params_get_bool (p, "rescale"))
      {
        for (int i = 0; i < n; i++)
          num += dots[i] * deltas[i], den += dots[i] * dots[i];
        beta = den > 0 ? num / den : 0;
      }
    for (int i = 0; i < n; i++)
      acc += (beta * dots[i] - deltas[i]) * (beta * dots[i] - deltas[i]);
    out->value = acc / n;
  }
  return TRUE;
}

/* ---- sensitivity ---- */

static RelTensor *
explain_with (Eval *ev, RelModel *model, RelTensor *input, GError **error)
{
  RelExplainRequest er = { 0 };
  g_autoptr(RelExplanation) e = NULL;

  er.model = model;
  er.input = input;
  er.target = ev->target;
  er.params = (RelParams *) ev->req->method_params;
  er.seed = ev->req->seed;
  er.cancel = ev->req->cancel;
  e = rel_explain (rel_params_method (ev->req->method_params), &er, error);
  if (e == NULL)
    return NULL;
  if (e->relevance->numel != input->numel)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "the method's map is not input-shaped (a CAM needs upsample=true)");
      return NULL;
    }
  return g_steal_pointer (&e->relevance);
}

static gboolean
run_sensitivity (const RelMetricDef *metric, const RelMetricRequest *req, RelMetricResult *out, GError **error)
{
  Eval ev;
  double radius = rel_params_get_float (req->params, "radius");
  int n = rel_params_get_int (req->params, "samples");
  gboolean want_max = strcmp (metric->name, "max-sensitivity") == 0;
  const float *r0 = rel_tensor_f32 (req->relevance);
  double norm0 = 0, mx = 0, sum = 0;
  RelRng rng;

  if (req->method_params == NULL)
    {
      out->not_applicable = g_strdup ("needs the explainer that made the map");
      return TRUE;
    }
  for (int64_t i = 0; i < req->relevance->numel; i++)
    norm0 += (double) r0[i] * r0[i];
  if (!(norm0 > 0) || !isfinite (norm0))
    {
      out->not_applicable = g_strdup ("the map is zero everywhere: no relative change");
      return TRUE;
    }
  norm0 = sqrt (norm0);
  if (!eval_init (&ev, req, error))
    return FALSE;
  rel_rng_init_stream (&rng, req->seed, 4);
  for (int s = 0; s < n; s++)
    {
      g_autoptr(RelTensor) y = rel_tensor_new_like (req->input, error), ry = NULL;
      double d = 0;
      if (y == NULL || cancelled (&ev, error))
        return FALSE;
      for (int64_t i = 0; i < ev.per; i++)
        rel_tensor_f32 (y)[i] = (float) (rel_tensor_f32 (req->input)[i]
                                         + (2 * rel_rng_uniform (&rng) - 1) * radius * ev.range);
      if ((ry = explain_with (&ev, req->model, y, error)) == NULL)
        return FALSE;
      for (int64_t i = 0; i < ev.per; i++)
        {
          double t = (double) rel_tensor_f32 (ry)[i] - r0[i];
          d += t * t;
        }
      d = sqrt (d) / norm0;
      mx = MAX (mx, d);
      sum += d;
      if (req->progress)
        req->progress (out, (s + 1) / (double) n, req->progress_data);
    }
  out->value = want_max ? mx : sum / n;
  return TRUE;
}

/* ---- complexity ---- */

static gboolean
run_complexity (const RelMetricDef *metric, const RelMetricRequest *req, RelMetricResult *out, GError **error)
{
  g_autofree float *m = rel_eval_pixel_map (req->relevance);
  int64_t n = req->relevance->numel / (req->relevance->ndim == 4 ? req->relevance->shape[1] : 1);

  if (!map_is_finite (req->relevance))
    out->not_applicable = g_strdup ("the map holds NaN or infinite values");
  else if (map_is_zero (req->relevance))
    out->not_applicable = g_strdup ("the map is zero everywhere");
  else
    out->value = strcmp (metric->name, "sparseness") == 0 ? rel_eval_gini (m, n) : rel_eval_entropy (m, n);
  if (out->not_applicable == NULL && !isfinite (out->value))
    out->not_applicable = g_strdup ("the map's channels cancel to zero at every pixel");
  return TRUE;
}

/* ---- localisation ---- */

static gboolean
run_localisation (const RelMetricDef *metric, const RelMetricRequest *req, RelMetricResult *out, GError **error)
{
  const RelTensor *r = req->relevance;
  int c, h, w;

  if (req->mask == NULL)
    {
      out->not_applicable = g_strdup ("needs a ground-truth region (--region or --mask)");
      return TRUE;
    }
  if (r->ndim != 4)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "localisation needs a 1×C×H×W map");
      return FALSE;
    }
  c = (int) r->shape[1], h = (int) r->shape[2], w = (int) r->shape[3];
  if (!map_is_finite (r) || map_is_zero (r))
    {
      out->not_applicable = g_strdup ("the map is zero everywhere (or not finite)");
      return TRUE;
    }
  if (strcmp (metric->name, "pointing-game") == 0)
    {
      g_autofree float *m = rel_eval_pixel_map (r);
      int best = 0;
      for (int i = 1; i < h * w; i++)
        if (m[i] > m[best])
          best = i;
      out->value = req->mask[best] ? 1.0 : 0.0;
      return TRUE;
    }
  {
    RelRegionScore s = rel_region_score (rel_tensor_f32 (r), c, h, w, req->mask);
    out->value = strcmp (metric->name, "mass-accuracy") == 0 ? s.mass : s.rank;
    if (!isfinite (out->value))
      out->not_applicable = g_strdup ("the map has no positive relevance");
  }
  return TRUE;
}

/* ---- model parameter randomisation ---- */

static double
similarity (const char *kind, const float *a, const float *b, int h, int w)
{
  int n = h * w;
  g_autofree float *aa = g_new (float, n), *bb = g_new (float, n);
  float ma = 0, mb = 0;

  if (strcmp (kind, "sign") == 0)
    {
      int same = 0;
      for (int i = 0; i < n; i++)
        same += ((a[i] > 0) - (a[i] < 0)) == ((b[i] > 0) - (b[i] < 0));
      return same / (double) n;
    }
  for (int i = 0; i < n; i++)
    {
      aa[i] = fabsf (a[i]), bb[i] = fabsf (b[i]);
      ma = MAX (ma, aa[i]), mb = MAX (mb, bb[i]);
    }
  if (strcmp (kind, "spearman") == 0)
    return rel_eval_spearman (aa, bb, n);
  for (int i = 0; i < n; i++)
    {
      aa[i] = ma > 0 ? aa[i] / ma : 0;
      bb[i] = mb > 0 ? bb[i] / mb : 0;
    }
  return rel_eval_ssim (aa, bb, h, w, 1.0);
}

/* Fresh weights for layer @node of @model from stream @stream; the new
 * tensors replace the constants (the old ones go to @saved_w/@saved_b). */
static gboolean
randomise_layer (RelModel *model, const RelNode *node, guint64 seed, guint64 stream, GError **error)
{
  RelValue *wv = rel_model_value (model, node->inputs[1]);
  RelValue *bv = node->n_inputs > 2 && node->inputs[2] >= 0 ? rel_model_value (model, node->inputs[2]) : NULL;
  const RelTensor *w = wv->constant;
  int64_t fan_in;
  double bound;
  RelRng rng;
  RelTensor *nw;

  if (rel_node_is (node, REL_OP_GEMM))
    fan_in = w->ndim == 2 ? (rel_node_attr_int (node, "transB", 0) ? w->shape[1] : w->shape[0]) : w->numel;
  else if (rel_node_is (node, REL_OP_MATMUL))
    fan_in = w->ndim >= 2 ? w->shape[w->ndim - 2] : w->numel;
  else
    fan_in = w->numel / MAX (w->shape[0], 1);
  bound = 1.0 / sqrt ((double) MAX (fan_in, 1));
  rel_rng_init_stream (&rng, seed, 1000 + stream);
  if ((nw = rel_tensor_new_like (w, error)) == NULL)
    return FALSE;
  for (int64_t i = 0; i < nw->numel; i++)
    rel_tensor_f32 (nw)[i] = (float) ((2 * rel_rng_uniform (&rng) - 1) * bound);
  rel_tensor_unref (wv->constant);
  wv->constant = nw;
  if (bv && bv->constant && bv->constant->dtype == REL_DTYPE_FLOAT32)
    {
      RelTensor *nb = rel_tensor_new_like (bv->constant, error);
      if (nb == NULL)
        return FALSE;
      for (int64_t i = 0; i < nb->numel; i++)
        rel_tensor_f32 (nb)[i] = (float) ((2 * rel_rng_uniform (&rng) - 1) * bound);
      rel_tensor_unref (bv->constant);
      bv->constant = nb;
    }
  return TRUE;
}

static gboolean
run_randomisation (const RelMetricDef *metric, const RelMetricRequest *req, RelMetricResult *out, GError **error)
{
  Eval ev;
  const char *kind = rel_params_get_string (req->params, "similarity");
  gboolean cascading = strcmp (rel_params_get_string (req->params, "order"), "cascading") == 0;
  g_autoptr(RelModel) copy = NULL;
  g_autoptr(GArray) layers = g_array_new (FALSE, FALSE, sizeof (int));
  g_autofree float *m0 = NULL;
  int nl;

  if (req->method_params == NULL)
    {
      out->not_applicable = g_strdup ("needs the explainer that made the map");
      return TRUE;
    }
  if (!map_is_finite (req->relevance) || map_is_zero (req->relevance))
    {
      out->not_applicable = g_strdup ("the map is zero everywhere (or not finite): nothing to compare with");
      return TRUE;
    }
  if (req->model->path == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING,
                   "the randomisation check reloads the model from its file, and this model has none");
      return FALSE;
    }
  if (!eval_init (&ev, req, error))
    return FALSE;
  /* a private copy: the caller's model (shared with other threads) stays as it is */
  if ((copy = rel_model_load (req->model->path, error)) == NULL)
    return FALSE;
  copy->preprocess = req->model->preprocess;
  for (int i = copy->n_nodes - 1; i >= 0; i--)
    {
      const RelNode *node = &copy->nodes[i];
      RelValue *wv;
      if (node->op->klass != REL_OP_CLASS_LINEAR || node->n_inputs < 2 || node->inputs[1] < 0)
        continue;
      wv = rel_model_value (copy, node->inputs[1]);
      if (wv->constant == NULL || wv->constant->dtype != REL_DTYPE_FLOAT32)
        continue;
      g_array_append_val (layers, i);
    }
  nl = (int) layers->len;
  if (nl == 0)
    {
      out->not_applicable = g_strdup ("the model has no layer with constant weights to randomise");
      return TRUE;
    }
  m0 = rel_eval_pixel_map (req->relevance);
  out->steps = g_new0 (double, nl + 1);
  out->scores = g_new0 (double, nl + 1);
  out->labels = g_new0 (char *, nl + 2);
  out->steps[0] = 0;
  out->scores[0] = similarity (kind, m0, m0, ev.h, ev.w);
  out->labels[0] = g_strdup ("original");
  out->n_steps = 1;
  for (int k = 0; k < nl; k++)
    {
      const RelNode *node = &copy->nodes[g_array_index (layers, int, k)];
      RelValue *wv = rel_model_value (copy, node->inputs[1]);
      RelValue *bv = node->n_inputs > 2 && node->inputs[2] >= 0 ? rel_model_value (copy, node->inputs[2]) : NULL;
      g_autoptr(RelTensor) keep_w = rel_tensor_ref (wv->constant);
      g_autoptr(RelTensor) keep_b = bv && bv->constant ? rel_tensor_ref (bv->constant) : NULL;
      g_autoptr(RelTensor) rk = NULL;
      g_autofree float *mk = NULL;

      if (cancelled (&ev, error))
        return FALSE;
      if (!randomise_layer (copy, node, req->seed, k, error))
        return FALSE;
      if ((rk = explain_with (&ev, copy, req->input, error)) == NULL)
        return FALSE;
      mk = rel_eval_pixel_map (rk);
      out->steps[k + 1] = k + 1;
      out->scores[k + 1] = similarity (kind, m0, mk, ev.h, ev.w);
      out->labels[k + 1] = g_strdup (node->name);
      out->n_steps = k + 2;
      if (!cascading)
        {
          /* put the layer's own weights back: the next step randomises only its layer */
          rel_tensor_unref (wv->constant);
          wv->constant = g_steal_pointer (&keep_w);
          if (bv && keep_b)
            {
              rel_tensor_unref (bv->constant);
              bv->constant = g_steal_pointer (&keep_b);
            }
        }
      if (req->progress)
        req->progress (out, (k + 1) / (double) nl, req->progress_data);
    }
  out->value = out->scores[nl];
  return TRUE;
}

/* ---- the table ---- */

#define DEF(n, ps) { .name = n, .params = ps, .n_params = G_N_ELEMENTS (ps) }
#define NODEF(n) { .name = n, .params = NULL, .n_params = 0 }

static const RelMetricDef metric_table[] = {
  { "aopc-morf", N_("AOPC (MoRF)"), N_("Pixel flipping, most relevant patches first: mean drop of the score (higher is better)"),
    DEF ("aopc-morf", flip_params), TRUE, TRUE, run_flip },
  { "aopc-lerf", N_("AOPC (LeRF)"), N_("Pixel flipping, least relevant patches first: mean drop of the score (lower is better)"),
    DEF ("aopc-lerf", flip_params), TRUE, FALSE, run_flip },
  { "abpc", N_("ABPC"), N_("Area between the LeRF and the MoRF curve (higher is better)"),
    DEF ("abpc", flip_params), TRUE, TRUE, run_abpc },
  { "deletion", N_("Deletion AUC"), N_("Area under the score as the most relevant patches are deleted (lower is better)"),
    DEF ("deletion", deletion_params), TRUE, FALSE, run_flip },
  { "insertion", N_("Insertion AUC"), N_("Area under the score as the most relevant patches are inserted (higher is better)"),
    DEF ("insertion", insertion_params), TRUE, TRUE, run_flip },
  { "infidelity", N_("Infidelity"), N_("Mean squared error of the map's prediction of the score change under perturbations (lower is better)"),
    DEF ("infidelity", infidelity_params), FALSE, FALSE, run_infidelity },
  { "max-sensitivity", N_("Max-sensitivity"), N_("Largest relative change of the map within a small ball around the input (lower is better)"),
    DEF ("max-sensitivity", sensitivity_params), FALSE, FALSE, run_sensitivity },
  { "avg-sensitivity", N_("Average sensitivity"), N_("Mean relative change of the map within a small ball around the input (lower is better)"),
    DEF ("avg-sensitivity", sensitivity_params), FALSE, FALSE, run_sensitivity },
  { "sparseness", N_("Sparseness"), N_("Gini index of |R| (higher: fewer pixels carry the relevance)"),
    NODEF ("sparseness"), FALSE, TRUE, run_complexity },
  { "entropy", N_("Entropy"), N_("Entropy of the normalised |R| (lower: less complex)"),
    NODEF ("entropy"), FALSE, FALSE, run_complexity },
  { "mass-accuracy", N_("Relevance mass accuracy"), N_("Share of the positive relevance inside the ground-truth region"),
    NODEF ("mass-accuracy"), FALSE, TRUE, run_localisation },
  { "rank-accuracy", N_("Relevance rank accuracy"), N_("Share of the region's |region| most relevant pixels inside it"),
    NODEF ("rank-accuracy"), FALSE, TRUE, run_localisation },
  { "pointing-game", N_("Pointing game"), N_("1 if the most relevant pixel lies inside the region"),
    NODEF ("pointing-game"), FALSE, TRUE, run_localisation },
  { "randomisation", N_("Model randomisation"), N_("Similarity of the map to the maps of models with randomised layers (lower passes the sanity check)"),
    DEF ("randomisation", randomisation_params), TRUE, FALSE, run_randomisation },
};

const RelMetricDef *const *
rel_metrics (void)
{
  static const RelMetricDef *list[G_N_ELEMENTS (metric_table) + 1];
  static gsize once = 0;
  if (g_once_init_enter (&once))
    {
      for (gsize i = 0; i < G_N_ELEMENTS (metric_table); i++)
        list[i] = &metric_table[i];
      g_once_init_leave (&once, 1);
    }
  return list;
}

const RelMetricDef *
rel_metric_lookup (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (metric_table); i++)
    if (strcmp (metric_table[i].name, name) == 0)
      return &metric_table[i];
  return NULL;
}

RelParams *
rel_metric_params_new (const RelMetricDef *metric)
{
  return rel_params_new (&metric->params_def);
}

RelMetricResult *
rel_metric_run (const RelMetricDef *metric, const RelMetricRequest *req, GError **error)
{
  g_autoptr(RelMetricResult) out = g_new0 (RelMetricResult, 1);
  g_autoptr(RelParams) defaults = NULL;
  RelMetricRequest r = *req;

  out->value = NAN;
  if (r.params == NULL)
    r.params = defaults = rel_metric_params_new (metric);
  else if (rel_params_method (r.params) != &metric->params_def)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "parameters of another metric given to %s", metric->name);
      return NULL;
    }
  if (!metric->run (metric, &r, out, error))
    return NULL;
  if (out->not_applicable)
    out->value = NAN;
  return g_steal_pointer (&out);
}

void
rel_metric_result_free (RelMetricResult *result)
{
  if (result == NULL)
    return;
  g_free (result->not_applicable);
  g_free (result->steps);
  g_free (result->scores);
  g_free (result->scores2);
  g_strfreev (result->labels);
  g_free (result);
}
