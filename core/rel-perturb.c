/* rel-perturb.c — perturbation methods: occlusion (Zeiler & Fergus, with
 * Captum's semantics) and LIME (Ribeiro et al.) over SLIC superpixels.
 *
 * Both only run forward passes, stacked into batches; the running estimate
 * is reported after each batch and the cancel flag checked between them.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-gradient.h"
#include "rel-incremental.h"
#include "rel-blas.h"
#include "rel-error.h"
#include "rel-blur.h"
#include "rel-rng.h"
#include "rel-slic.h"

#include <glib/gi18n-lib.h>   /* N_(): the method table is translated where it is shown */
#include <math.h>
#include <string.h>

static gboolean
dims_4d (const RelTensor *input, int *c, int *h, int *w, GError **error)
{
  if (input->ndim != 4)
    {
      g_autofree char *shape = rel_tensor_shape_string (input);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "perturbation methods need a 1×C×H×W input, got %s", shape);
      return FALSE;
    }
  *c = (int) input->shape[1];
  *h = (int) input->shape[2];
  *w = (int) input->shape[3];
  return TRUE;
}

/* What replaces removed pixels: zeros, each channel's mean, or the blurred input. */
static RelTensor *
make_fill (const RelTensor *input, const char *fill, double blur_sigma, GError **error)
{
  RelTensor *t;
  int c, h, w;

  if (strcmp (fill, "mean") == 0)
    return rel_channel_mean (input, error);
  t = rel_tensor_new_like (input, error);
  if (t == NULL || strcmp (fill, "blur") != 0)
    return t;
  if (!dims_4d (input, &c, &h, &w, error))
    {
      rel_tensor_unref (t);
      return NULL;
    }
  rel_gaussian_blur (rel_tensor_f32 (input), rel_tensor_f32 (t), c, h, w, blur_sigma);
  return t;
}

/* ---- occlusion ---- */

static int
shift_count (int size, int window, int stride)
{
  /* Captum: ceil((size − window) / stride) + 1, the last window clipped */
  if (window >= size)
    return 1;
  return (size - window + stride - 1) / stride + 1;
}

static void
occlusion_estimate (const double *total, const int *count, int c, int plane, float *dst)
{
  for (int i = 0; i < plane; i++)
    {
      float v = count[i] ? (float) (total[i] / count[i]) : 0.f;
      for (int ch = 0; ch < c; ch++)
        dst[(gsize) ch * plane + i] = v;
    }
}

static gboolean
run_occlusion (const RelMethodDef *method, const RelExplainRequest *req, RelExplanation *out, GError **error)
{
  int window = rel_params_get_int (req->params, "window");
  int stride = rel_params_get_int (req->params, "stride");
  const char *fill_name = rel_params_get_string (req->params, "fill");
  g_autoptr(RelTensor) fill = NULL;
  g_autoptr(RelTensor) estimate = NULL;
  g_autofree double *total = NULL;
  g_autofree int *count = NULL;
  g_autofree double *values = NULL;
  g_autofree int *rects = NULL;
  g_autoptr(RelIncremental) inc = NULL;
  RelValue *in;
  RelTarget target;
  RelContext ctx;
  double f0 = 0;
  int c, h, w, ny, nx, n_windows, bs;
  gsize plane;

  if (!dims_4d (req->input, &c, &h, &w, error))
    return FALSE;
  if (window < 1 || stride < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "window and stride must be at least 1");
      return FALSE;
    }
  rel_context_init (&ctx);
  ctx.cancel = req->cancel;
  fill = make_fill (req->input, fill_name, rel_params_get_float (req->params, "blur-sigma"), error);
  if (fill == NULL)
    return FALSE;
  if (!rel_target_resolve (req->model, &req->target, req->input, &ctx, &target,
                           &out->target_class, &f0, error))
    return FALSE;
  out->explained_output = f0;

  ny = shift_count (h, window, stride);
  nx = shift_count (w, window, stride);
  n_windows = ny * nx;
  plane = (gsize) h * w;
  total = g_new0 (double, plane);
  count = g_new0 (int, plane);
  rects = g_new (int, (gsize) n_windows * 4);
  for (int j = 0; j < n_windows; j++)
    {
      int y0 = (j / nx) * stride, x0 = (j % nx) * stride;
      rects[j * 4] = y0;
      rects[j * 4 + 1] = x0;
      rects[j * 4 + 2] = MIN (y0 + window, h);
      rects[j * 4 + 3] = MIN (x0 + window, w);
    }
  /* a window changes only a rectangle of each early activation: those layers
   * are recomputed on it alone (rel-incremental.h), the same values as a full
   * pass per window up to rounding */
  inc = rel_incremental_new (req->model, req->input, rects, n_windows, REL_INCREMENTAL_DEFAULT_FRACTION,
                             &ctx, error);
  if (inc == NULL)
    return FALSE;
  in = rel_model_value (req->model, req->model->input);
  /* the full-size part of a pass starts at smaller activations than the
   * input, so more windows fit in the budget (on ResNet-18 at 224², 50
   * windows a pass took 5 % less CPU than 25 and 10 % less than 12) */
  if (req->batch_size > 0 || (in && in->ndim > 0 && in->shape[0] > 0))
    bs = rel_explain_batch_size (req, 32);
  else
    bs = rel_incremental_batch_hint (inc, 1300000);
  values = g_new (double, bs);
  estimate = rel_tensor_new_like (req->input, error);
  if (estimate == NULL)
    return FALSE;

  for (int done = 0; done < n_windows; )
    {
      int nb = MIN (bs, n_windows - done);
      g_autoptr(RelTensor) logits = NULL;

      if (rel_request_cancelled (req, error))
        return FALSE;
      logits = rel_incremental_forward (inc, fill, done, nb, &ctx, error);
      if (logits == NULL)
        return FALSE;
      rel_target_values (&target, logits, values);
      for (int b = 0; b < nb; b++)
        {
          int j = done + b;
          int y0 = (j / nx) * stride, x0 = (j % nx) * stride;
          int y1 = MIN (y0 + window, h), x1 = MIN (x0 + window, w);
          double d = f0 - values[b];

          for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
              {
                total[(gsize) y * w + x] += d;
                count[(gsize) y * w + x]++;
              }
        }
      done += nb;
      if (req->progress && done < n_windows)
        {
          occlusion_estimate (total, count, c, (int) plane, rel_tensor_f32 (estimate));
          req->progress (estimate, (double) done / n_windows, req->progress_data);
        }
    }
  occlusion_estimate (total, count, c, (int) plane, rel_tensor_f32 (estimate));
  if (req->progress)
    req->progress (estimate, 1.0, req->progress_data);
  out->relevance = g_steal_pointer (&estimate);
  return TRUE;
}

/* ---- LIME ---- */

/* Weighted ridge regression with an unpenalised intercept (scikit-learn's
 * Ridge with sample weights, as LIME fits): centre X and y by their weighted
 * means, solve (XcᵀWXc + λI)β = XcᵀWyc. */
static gboolean
weighted_ridge (const guint8 *z, const double *y, const double *weight, int n, int d,
                double lambda, float *beta, GError **error)
{
  g_autofree double *xm = g_new0 (double, d);
  g_autofree double *ata = g_new0 (double, (gsize) d * d);
  g_autofree double *atb = g_new0 (double, d);
  g_autofree float *a = g_new (float, (gsize) d * d);
  g_autofree double *row = g_new (double, d);
  double wsum = 0, ym = 0;

  for (int i = 0; i < n; i++)
    {
      wsum += weight[i];
      ym += weight[i] * y[i];
      for (int j = 0; j < d; j++)
        xm[j] += weight[i] * z[(gsize) i * d + j];
    }
  if (!(wsum > 0))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "all LIME samples have zero weight");
      return FALSE;
    }
  ym /= wsum;
  for (int j = 0; j < d; j++)
    xm[j] /= wsum;
  for (int i = 0; i < n; i++)
    {
      double wi = weight[i], yi = y[i] - ym;
      if (wi == 0)
        continue;
      for (int j = 0; j < d; j++)
        row[j] = z[(gsize) i * d + j] - xm[j];
      for (int j = 0; j < d; j++)
        {
          double wr = wi * row[j];
          atb[j] += wr * yi;
          for (int k = j; k < d; k++)
            ata[(gsize) j * d + k] += wr * row[k];
        }
    }
  for (int j = 0; j < d; j++)
    {
      for (int k = j; k < d; k++)
        a[(gsize) j * d + k] = a[(gsize) k * d + j] = (float) ata[(gsize) j * d + k];
      a[(gsize) j * d + j] += (float) lambda;
      beta[j] = (float) atb[j];
    }
  return rel_lapack_posv (d, a, beta, error);
}

typedef struct {
  int     d;
  int     n_done;
  guint8 *z;        /* samples × d */
  double *y;
  double *weight;
} LimeData;

static gboolean
lime_paint (const LimeData *ld, double lambda, const int *labels, int c, gsize plane,
            float *dst, GError **error)
{
  g_autofree float *beta = g_new (float, ld->d);

  if (!weighted_ridge (ld->z, ld->y, ld->weight, ld->n_done, ld->d, lambda, beta, error))
    return FALSE;
  for (gsize p = 0; p < plane; p++)
    for (int ch = 0; ch < c; ch++)
      dst[ch * plane + p] = beta[labels[p]];
  return TRUE;
}

static gboolean
run_lime (const RelMethodDef *method, const RelExplainRequest *req, RelExplanation *out, GError **error)
{
  int n_segments = rel_params_get_int (req->params, "segments");
  double compactness = rel_params_get_float (req->params, "compactness");
  int samples = rel_params_get_int (req->params, "samples");
  double kw = rel_params_get_float (req->params, "kernel-width");
  double lambda = rel_params_get_float (req->params, "ridge");
  const char *fill_name = rel_params_get_string (req->params, "fill");
  g_autofree int *labels = NULL;
  g_autofree guint8 *z = NULL;
  g_autofree double *y = NULL, *weight = NULL, *values = NULL;
  g_autoptr(RelTensor) fill = NULL;
  g_autoptr(RelTensor) estimate = NULL;
  RelTarget target;
  RelContext ctx;
  RelRng rng;
  LimeData ld;
  int c, h, w, d, bs;
  gsize plane;
  const float *x = rel_tensor_f32 (req->input);

  if (!dims_4d (req->input, &c, &h, &w, error))
    return FALSE;
  plane = (gsize) h * w;
  rel_context_init (&ctx);
  ctx.cancel = req->cancel;
  if (!rel_target_resolve (req->model, &req->target, req->input, &ctx, &target,
                           &out->target_class, &out->explained_output, error))
    return FALSE;
  labels = g_new (int, plane);
  d = rel_slic (req->input, &req->model->preprocess, n_segments, compactness, labels, error);
  if (d < 0)
    return FALSE;

  if (strcmp (fill_name, "segment-mean") == 0)
    {
      /* LIME's default: each superpixel hidden by its own mean colour */
      g_autofree double *sum = g_new0 (double, (gsize) d * c);
      g_autofree int *cnt = g_new0 (int, d);
      fill = rel_tensor_new_like (req->input, error);
      if (fill == NULL)
        return FALSE;
      for (gsize p = 0; p < plane; p++)
        {
          cnt[labels[p]]++;
          for (int ch = 0; ch < c; ch++)
            sum[(gsize) labels[p] * c + ch] += x[ch * plane + p];
        }
      for (gsize p = 0; p < plane; p++)
        for (int ch = 0; ch < c; ch++)
          rel_tensor_f32 (fill)[ch * plane + p] = (float) (sum[(gsize) labels[p] * c + ch] / cnt[labels[p]]);
    }
  else
    {
      fill = make_fill (req->input, fill_name, rel_params_get_float (req->params, "blur-sigma"), error);
      if (fill == NULL)
        return FALSE;
    }

  if ((int64_t) samples * d > (G_GINT64_CONSTANT (1) << 28))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                   "%d LIME samples × %d superpixels is too many masks to keep", samples, d);
      return FALSE;
    }
  z = g_try_malloc ((gsize) samples * d);
  y = g_new (double, samples);
  weight = g_new (double, samples);
  if (z == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "too many LIME samples × superpixels");
      return FALSE;
    }
  rel_rng_init (&rng, req->seed);
  for (int i = 0; i < samples; i++)
    {
      int on = 0;
      double dist;
      for (int j = 0; j < d; j++)
        {
          /* the first sample is the unperturbed input, as in LIME */
          guint8 bit = i == 0 ? 1 : (guint8) (rel_rng_next (&rng) >> 63);
          z[(gsize) i * d + j] = bit;
          on += bit;
        }
      /* cosine distance to the all-ones vector; kernel √exp(−d²/w²) */
      dist = on > 0 ? 1.0 - on / (sqrt ((double) on) * sqrt ((double) d)) : 1.0;
      weight[i] = sqrt (exp (-(dist * dist) / (kw * kw)));
    }

  bs = rel_explain_batch_size (req, 32);
  values = g_new (double, bs);
  estimate = rel_tensor_new_like (req->input, error);
  if (estimate == NULL)
    return FALSE;
  ld.d = d;
  ld.z = z;
  ld.y = y;
  ld.weight = weight;
  ld.n_done = 0;
  for (int done = 0; done < samples; )
    {
      int nb = MIN (bs, samples - done);
      g_autoptr(RelTensor) batch = NULL;

      if (rel_request_cancelled (req, error))
        return FALSE;
      batch = rel_batch_new (req->input, nb, error);
      if (batch == NULL)
        return FALSE;
      for (int b = 0; b < nb; b++)
        {
          const guint8 *zi = z + (gsize) (done + b) * d;
          float *dst = rel_tensor_f32 (batch) + (gsize) b * c * plane;
          const float *f = rel_tensor_f32 (fill);
          for (gsize p = 0; p < plane; p++)
            {
              gboolean keep = zi[labels[p]];
              for (int ch = 0; ch < c; ch++)
                dst[ch * plane + p] = keep ? x[ch * plane + p] : f[ch * plane + p];
            }
        }
      if (!rel_grad_batch (req->model, &target, batch, NULL, NULL, &ctx, NULL, values, NULL, error))
        return FALSE;
      for (int b = 0; b < nb; b++)
        y[done + b] = values[b];
      done += nb;
      ld.n_done = done;
      if (req->progress && done < samples && done > 1)
        {
          g_autoptr(GError) ignored = NULL;
          /* an early solve may be singular; the final one decides */
          if (lime_paint (&ld, MAX (lambda, 1e-3), labels, c, plane, rel_tensor_f32 (estimate), &ignored))
            req->progress (estimate, (double) done / samples, req->progress_data);
        }
    }
  if (!lime_paint (&ld, lambda, labels, c, plane, rel_tensor_f32 (estimate), error))
    return FALSE;
  if (req->progress)
    req->progress (estimate, 1.0, req->progress_data);
  out->relevance = g_steal_pointer (&estimate);
  return TRUE;
}

static const char *const occlusion_fills[] = { "zero", "mean", "blur", NULL };
static const char *const lime_fills[] = { "segment-mean", "zero", "mean", "blur", NULL };
static const char *const occlusion_fill_titles[] = { N_("Zeros"), N_("Channel mean"), N_("Blurred input"), NULL };
static const char *const lime_fill_titles[] = {
  N_("Superpixel mean"), N_("Zeros"), N_("Channel mean"), N_("Blurred input"), NULL
};

static const RelParamSpec occlusion_params[] = {
  { "window", REL_PARAM_INT, N_("Side of the square window removed (all channels)"), 8, 1, 4096, N_("px") },
  { "stride", REL_PARAM_INT, N_("Step between window positions"), 4, 1, 4096, N_("px") },
  { "fill", REL_PARAM_CHOICE, N_("What replaces the window: zeros, the channel mean, or the blurred input"),
    0, 0, 0, "", occlusion_fills, "zero",
    FALSE, occlusion_fill_titles },
  { "blur-sigma", REL_PARAM_FLOAT, N_("Blur radius for fill=blur"), 5, 0.1, 1000, N_("px") },
};

static const RelParamSpec lime_params[] = {
  { "segments", REL_PARAM_INT, N_("Approximate number of SLIC superpixels"), 50, 1, 10000, "" },
  { "compactness", REL_PARAM_FLOAT, N_("SLIC compactness: higher gives squarer superpixels"), 10, 0.01, 1000, "",
    NULL, NULL, TRUE },
  { "samples", REL_PARAM_INT, N_("Number of random on/off superpixel masks evaluated"), 1000, 2, 100000, N_("samples") },
  { "kernel-width", REL_PARAM_FLOAT, N_("Width of the similarity kernel on the cosine distance of masks"), 0.25, 0.001, 100, "",
    NULL, NULL, TRUE },
  { "ridge", REL_PARAM_FLOAT, N_("Ridge penalty of the weighted linear fit"), 1, 0, 1e6, "", NULL, NULL, TRUE },
  { "fill", REL_PARAM_CHOICE, N_("What replaces a hidden superpixel"), 0, 0, 0, "", lime_fills, "segment-mean",
    FALSE, lime_fill_titles },
  { "blur-sigma", REL_PARAM_FLOAT, N_("Blur radius for fill=blur"), 5, 0.1, 1000, N_("px") },
};

const RelMethodDef rel_methods_perturb[] = {
  { "occlusion", N_("Occlusion"), N_("Drop of the target when a sliding window is removed, averaged over covering windows"),
    "perturbation", occlusion_params, G_N_ELEMENTS (occlusion_params), TRUE, run_occlusion },
  { "lime", N_("LIME"), N_("Weights of a local linear model over SLIC superpixels switched on and off"),
    "perturbation", lime_params, G_N_ELEMENTS (lime_params), TRUE, run_lime },
  { NULL },
};
