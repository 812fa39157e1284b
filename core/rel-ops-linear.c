/* rel-ops-linear.c — Conv, Gemm, MatMul, Einsum.
 *
 * Conv lowers each (image, group) to one GEMM through rel_sgemm: Y_g = W_g ·
 * col, where col is the im2col matrix (C_g·kh·kw rows, one column per output
 * pixel). col is built a band of output rows at a time so it stays in cache
 * instead of costing a pass over main memory per layer; small planes (14×14,
 * 7×7) of a batch are stacked side by side so the GEMM is wide enough for two
 * cores; 1×1 stride-1 convolutions skip im2col (the input already is col),
 * and depthwise convolutions (one input channel per group) run a direct loop,
 * which beats a GEMM with K = kh·kw. One-row products (batch-1 dense layers)
 * bypass sgemm, see row_times_matrix.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-blas.h"
#include "rel-gemm.h"
#include "rel-error.h"
#include "rel-model.h"
#include "rel-ops-window-private.h"
#include "rel-parallel.h"

#include <string.h>

/* Floats of one im2col band: 4 MiB stays in L3 while sgemm reads it, and
 * still gives sgemm wide enough panels (~2000 columns for a 64-channel 3×3). */
#define CONV_BAND_FLOATS (1024 * 1024)

/* Eight floats: one AVX register in the x86-64-v3 clones, two SSE ones else. */
typedef float RelV8 __attribute__ ((vector_size (32)));

/* ---- GEMMs on the context's threads ----
 *
 * While the engine runs BLAS single-threaded (rel_blas_single_begin), a big
 * product is split here instead: the larger of C's two dimensions is cut in
 * one slice per thread, each an independent sgemm. */

typedef struct {
  gboolean ta, tb;
  int m, n, k;
  float alpha, beta;
  const float *a, *b;
  float *c;
  int lda, ldb, ldc;
  gboolean by_rows;
  gboolean own_ok;   /* the own GEMM may serve (!ctx->blas_only) */
} GemmJob;

/* rel_gemm_strided where it applies (a plain product, B not transposed and
 * at least 16 columns wide: narrower is a matrix–vector product, BLAS's
 * ground), else rel_sgemm. */
static gboolean
own_gemm_fits (gboolean own_ok, gboolean tb, int n, float alpha, float beta)
{
  return own_ok && !tb && n >= 16 && alpha == 1.f && (beta == 0.f || beta == 1.f) && rel_gemm_available ();
}

static void
any_sgemm (gboolean own_ok, gboolean ta, gboolean tb, int m, int n, int k, float alpha, const float *a, int lda,
           const float *b, int ldb, float beta, float *c, int ldc)
{
  if (own_gemm_fits (own_ok, tb, n, alpha, beta)
      && rel_gemm_strided (a, ta ? 1 : lda, ta ? lda : 1, b, ldb, c, ldc, m, n, k, beta == 1.f))
    return;
  rel_sgemm (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void
gemm_part (int part, int n_parts, gpointer data)
{
  const GemmJob *j = data;
  int64_t p0, p1;

  if (j->by_rows)
    {
      rel_part_range (j->m, part, n_parts, &p0, &p1);
      if (p1 > p0)
        any_sgemm (j->own_ok, j->ta, j->tb, (int) (p1 - p0), j->n, j->k, j->alpha,
                   j->ta ? j->a + p0 : j->a + p0 * j->lda, j->lda, j->b, j->ldb,
                   j->beta, j->c + p0 * j->ldc, j->ldc);
    }
  else
    {
      /* whole 16-column panels per part */
      int64_t panels = (j->n + 15) / 16;
      rel_part_range (panels, part, n_parts, &p0, &p1);
      p0 = MIN (p0 * 16, j->n);
      p1 = MIN (p1 * 16, j->n);
      if (p1 > p0)
        any_sgemm (j->own_ok, j->ta, j->tb, j->m, (int) (p1 - p0), j->k, j->alpha, j->a, j->lda,
                   j->tb ? j->b + p0 * j->ldb : j->b + p0, j->ldb, j->beta, j->c + p0, j->ldc);
    }
}

/* rel_sgemm, split over ctx's threads when BLAS is single-threaded and the
 * product is big enough (≥ 4 M multiply-adds) to pay for starting one. */
static void
lin_sgemm (const RelContext *ctx, gboolean ta, gboolean tb, int m, int n, int k, float alpha,
           const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
  int threads = ctx ? ctx->n_threads : 1;
  int64_t work = (int64_t) m * n * k;
  const gboolean own_ok = !(ctx && ctx->blas_only);
  GemmJob job = { ta, tb, m, n, k, alpha, beta, a, b, c, lda, ldb, ldc, n < 64 && m > n, own_ok };

  /* the own kernel is single-threaded whatever BLAS's mode */
  if (threads < 2 || work < (G_GINT64_CONSTANT (1) << 22)
      || !(rel_blas_is_single () || own_gemm_fits (own_ok, tb, n, alpha, beta)))
    {
      any_sgemm (own_ok, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
  rel_parallel_run (threads, work, gemm_part, &job);
}

/* ---- Conv ---- */

typedef struct {
  RelWindow  win;
  int64_t    group;
  RelTensor *w_const;   /* the model's weight constant (a reference), or NULL */
  GMutex     wino_lock; /* guards wino_u[] and w_mutable: passes may run on several threads */
  float     *wino_u[2]; /* F(2×2) and F(4×4) transforms of w_const, made on first use */
  gboolean   w_mutable; /* dW of w_const was asked for: training, which updates it in place */
} ConvParams;

static void
conv_free_params (gpointer data)
{
  ConvParams *p = data;
  if (p == NULL)
    return;
  if (p->w_const)
    rel_tensor_unref (p->w_const);
  g_free (p->wino_u[0]);
  g_free (p->wino_u[1]);
  g_mutex_clear (&p->wino_lock);
  g_free (p);
}

static gboolean
conv_prepare (RelModel *model, RelNode *node, GError **error)
{
  ConvParams *p = g_new0 (ConvParams, 1);

  if (!rel_window_parse (node, FALSE, &p->win, error))
    {
      g_free (p);
      return FALSE;
    }
  p->group = rel_node_attr_int (node, "group", 1);
  if (p->group < 1 || p->group > REL_WINDOW_MAX_PARAM)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "Conv group %" G_GINT64_FORMAT " is out of range",
                   p->group);
      g_free (p);
      return FALSE;
    }
  g_mutex_init (&p->wino_lock);
  if (model && node->n_inputs > 1 && node->inputs[1] >= 0)
    {
      RelValue *wv = rel_model_value (model, node->inputs[1]);
      /* held so its address cannot be reused by another tensor while the
       * cache is keyed on it */
      if (wv && wv->constant && wv->constant->dtype == REL_DTYPE_FLOAT32)
        p->w_const = rel_tensor_ref (wv->constant);
    }
  node->params = p;
  return TRUE;
}

typedef struct {
  int nd;
  int64_t n, c, m, group, cg, mg;
  RelWindowGeom g;
  int64_t kk;                /* cg·kh·kw: the GEMM's inner dimension */
  int64_t in_plane, out_plane;
  gboolean pointwise;        /* 1×1, stride 1, no padding: col is the input itself */
} ConvShape;

static gboolean
conv_shape (const ConvParams *p, RelTensor *const *inputs, ConvShape *s, GError **error)
{
  const RelTensor *x = inputs[0], *w = inputs[1], *b = inputs[2];
  int64_t in[2], kernel[2];

  if (!rel_window_input (x, "Conv", &s->nd, in, error))
    return FALSE;
  if (w->dtype != REL_DTYPE_FLOAT32 || w->ndim != x->ndim)
    {
      g_autofree char *ws = rel_tensor_shape_string (w);
      g_autofree char *xs = rel_tensor_shape_string (x);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "Conv weight %s does not match the rank of the input %s", ws, xs);
      return FALSE;
    }
  s->n = x->shape[0];
  s->c = x->shape[1];
  s->m = w->shape[0];
  s->group = p->group;
  if (s->c % s->group != 0 || s->m % s->group != 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "Conv group %" G_GINT64_FORMAT " does not divide the %" G_GINT64_FORMAT
                   " input channels and %" G_GINT64_FORMAT " output channels",
                   s->group, s->c, s->m);
      return FALSE;
    }
  s->cg = s->c / s->group;
  s->mg = s->m / s->group;
  if (w->shape[1] != s->cg)
    {
      if (s->group == 1)
        g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                     "Conv weight has %" G_GINT64_FORMAT " input channels but the input has %" G_GINT64_FORMAT,
                     w->shape[1], s->c);
      else
        g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                     "Conv weight has %" G_GINT64_FORMAT " input channels per group but the input has %"
                     G_GINT64_FORMAT " channels in %" G_GINT64_FORMAT " groups",
                     w->shape[1], s->c, s->group);
      return FALSE;
    }
  kernel[0] = w->ndim == 4 ? w->shape[2] : 1;
  kernel[1] = w->shape[w->ndim - 1];
  if (p->win.has_kernel && (p->win.kernel[0] != kernel[0] || p->win.kernel[1] != kernel[1]))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "Conv kernel_shape %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT
                   " does not match the weight's %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT,
                   p->win.kernel[0], p->win.kernel[1], kernel[0], kernel[1]);
      return FALSE;
    }
  if (b != NULL && (b->dtype != REL_DTYPE_FLOAT32 || b->ndim != 1 || b->shape[0] != s->m))
    {
      g_autofree char *bs = rel_tensor_shape_string (b);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "Conv bias has shape %s but the weight has %" G_GINT64_FORMAT " output channels",
                   bs, s->m);
      return FALSE;
    }
  if (!rel_window_resolve (&p->win, s->nd, in, kernel, &s->g, error))
    return FALSE;
  if (s->g.out[0] < 1 || s->g.out[1] < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "Conv output would be empty");
      return FALSE;
    }
  s->kk = s->cg * kernel[0] * kernel[1];
  s->in_plane = in[0] * in[1];
  s->out_plane = s->g.out[0] * s->g.out[1];
  if (s->kk == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "Conv input has no channels");
      return FALSE;
    }
  /* one im2col row band must fit the tensor limit */
  if (s->kk > REL_TENSOR_MAX_ELEMENTS / s->g.out[1])
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "Conv kernel is too large for its output width");
      return FALSE;
    }
  s->pointwise = kernel[0] == 1 && kernel[1] == 1
                 && s->g.stride[0] == 1 && s->g.stride[1] == 1
                 && s->g.pad_begin[0] == 0 && s->g.pad_begin[1] == 0
                 && s->g.out[0] == in[0] && s->g.out[1] == in[1];
  return TRUE;
}

static RelTensor *
conv_output_like (const ConvShape *s, int64_t ch, const int64_t sp[2], GError **error)
{
  int64_t shape[4] = { s->n, ch, sp[0], sp[1] };
  if (s->nd == 1)
    {
      shape[2] = sp[1];
      return rel_tensor_new_f32 (3, shape, error);
    }
  return rel_tensor_new_f32 (4, shape, error);
}

/* Output rows per im2col band. */
static int64_t
conv_band_rows (const ConvShape *s)
{
  int64_t per_row = s->kk * s->g.out[1];
  return CLAMP (CONV_BAND_FLOATS / MAX (per_row, 1), 1, s->g.out[0]);
}

/* Images stacked side by side in one GEMM. Late layers (14×14, 7×7) give
 * sgemm panels too narrow to keep both cores busy; a batch (SmoothGrad,
 * Integrated Gradients) widens them. 1 means one image at a time. */
static int64_t
conv_images_per_gemm (const ConvShape *s)
{
  int64_t per_image = s->kk * s->out_plane;
  if (s->n == 1 || s->out_plane >= 1024 || per_image > CONV_BAND_FLOATS / 2)
    return 1;
  return CLAMP (CONV_BAND_FLOATS / per_image, 1, s->n);
}

/* col[r·ld + (oh−oh0)·OW + ow] = x[c][ih][iw] for r = (c·kh + ki)·kw + kj, or 0
 * in the padding. */
REL_HOT_CLONES static void
im2col (const float *x, const ConvShape *s, int64_t oh0, int64_t oh1, float *col, int64_t ld)
{
  const RelWindowGeom *g = &s->g;
  const int64_t H = g->in[0], W = g->in[1], OW = g->out[1];
  const int64_t ncols = ld;
  const int64_t sw = g->stride[1];

  for (int64_t c = 0; c < s->cg; c++)
    for (int64_t ki = 0; ki < g->kernel[0]; ki++)
      for (int64_t kj = 0; kj < g->kernel[1]; kj++)
        {
          float *dst = col + ((c * g->kernel[0] + ki) * g->kernel[1] + kj) * ncols;
          int64_t woff = kj * g->dilation[1] - g->pad_begin[1];
          int64_t lo, hi;

          rel_window_valid_range (OW, W, sw, g->pad_begin[1], kj * g->dilation[1], &lo, &hi);
          for (int64_t oh = oh0; oh < oh1; oh++, dst += OW)
            {
              int64_t ih = oh * g->stride[0] - g->pad_begin[0] + ki * g->dilation[0];
              const float *xr;

              if (ih < 0 || ih >= H)
                {
                  memset (dst, 0, sizeof (float) * (size_t) OW);
                  continue;
                }
              xr = x + (c * H + ih) * W;
              for (int64_t ow = 0; ow < lo; ow++)
                dst[ow] = 0.f;
              if (sw == 1)
                memcpy (dst + lo, xr + lo + woff, sizeof (float) * (size_t) (hi - lo));
              else
                for (int64_t ow = lo; ow < hi; ow++)
                  dst[ow] = xr[ow * sw + woff];
              for (int64_t ow = hi; ow < OW; ow++)
                dst[ow] = 0.f;
            }
        }
}

/* The adjoint of im2col: dx[c][ih][iw] += col[r][…]. */
REL_HOT_CLONES static void
col2im (const float *col, const ConvShape *s, int64_t oh0, int64_t oh1, float *dx, int64_t ld)
{
  const RelWindowGeom *g = &s->g;
  const int64_t H = g->in[0], W = g->in[1], OW = g->out[1];
  const int64_t ncols = ld;
  const int64_t sw = g->stride[1];

  for (int64_t c = 0; c < s->cg; c++)
    for (int64_t ki = 0; ki < g->kernel[0]; ki++)
      for (int64_t kj = 0; kj < g->kernel[1]; kj++)
        {
          const float *src = col + ((c * g->kernel[0] + ki) * g->kernel[1] + kj) * ncols;
          int64_t woff = kj * g->dilation[1] - g->pad_begin[1];
          int64_t lo, hi;

          rel_window_valid_range (OW, W, sw, g->pad_begin[1], kj * g->dilation[1], &lo, &hi);
          for (int64_t oh = oh0; oh < oh1; oh++, src += OW)
            {
              int64_t ih = oh * g->stride[0] - g->pad_begin[0] + ki * g->dilation[0];
              float *xr;

              if (ih < 0 || ih >= H)
                continue;
              xr = dx + (c * H + ih) * W + woff;
              if (sw == 1)
                for (int64_t ow = lo; ow < hi; ow++)
                  xr[ow] += src[ow];
              else
                for (int64_t ow = lo; ow < hi; ow++)
                  xr[ow * sw] += src[ow];
            }
        }
}

typedef struct {
  const ConvShape *s;
  ConvShape part_shape[8];
  int64_t oh0, oh1, ld;
  const float *x;     /* im2col: x → col */
  float *col;
  const float *dcol;  /* col2im: dcol → dx */
  float *dx;
} ColJob;

/* One thread's share of the channels of a band; channels own disjoint rows
 * of col and disjoint planes of x, so the parts never write the same data. */
static void
col_part (int part, int n_parts, gpointer data)
{
  ColJob *j = data;
  const ConvShape *s = j->s;
  const int64_t rows_per_c = s->g.kernel[0] * s->g.kernel[1];
  int64_t c0, c1;

  rel_part_range (s->cg, part, n_parts, &c0, &c1);
  if (c0 >= c1)
    return;
  j->part_shape[part] = *s;
  j->part_shape[part].cg = c1 - c0;
  if (j->x)
    im2col (j->x + c0 * s->in_plane, &j->part_shape[part], j->oh0, j->oh1,
            j->col + c0 * rows_per_c * j->ld, j->ld);
  else
    col2im (j->dcol + c0 * rows_per_c * j->ld, &j->part_shape[part], j->oh0, j->oh1,
            j->dx + c0 * s->in_plane, j->ld);
}

/* im2col / col2im of a band split over the context's threads: the copy is
 * memory bound and otherwise leaves the second core idle between GEMMs. */
static void
col_parallel (ColJob *job, const RelContext *ctx)
{
  const ConvShape *s = job->s;
  /* only bands of half a million floats or more (full bands of the big
   * layers): below that, starting a thread costs a noticeable share */
  rel_parallel_run (MIN (ctx ? ctx->n_threads : 1, 8), 2 * s->kk * (job->oh1 - job->oh0) * s->g.out[1],
                    col_part, job);
}

static void
im2col_parallel (const float *x, const ConvShape *s, int64_t oh0, int64_t oh1, float *col, int64_t ld,
                 const RelContext *ctx)
{
  ColJob job = { .s = s, .oh0 = oh0, .oh1 = oh1, .ld = ld, .x = x, .col = col };
  col_parallel (&job, ctx);
}

static void
col2im_parallel (const float *dcol, const ConvShape *s, int64_t oh0, int64_t oh1, float *dx, int64_t ld,
                 const RelContext *ctx)
{
  ColJob job = { .s = s, .oh0 = oh0, .oh1 = oh1, .ld = ld, .dcol = dcol, .dx = dx };
  col_parallel (&job, ctx);
}

/* Depthwise-style convolution (one input channel per group), direct loops.
 * Parts split the N·M output planes. */
typedef struct {
  const ConvShape *s;
  const float *x, *w, *dy;
  float *y, *dx, *dw;
} DirectJob;

REL_HOT_CLONES static void
direct_forward_part (int part, int n_parts, gpointer data)
{
  const DirectJob *j = data;
  const ConvShape *s = j->s;
  const RelWindowGeom *g = &s->g;
  const int64_t H = g->in[0], W = g->in[1], OH = g->out[0], OW = g->out[1];
  const int64_t kh = g->kernel[0], kw = g->kernel[1], sw = g->stride[1];
  g_autofree int64_t *lo_w = g_new (int64_t, (gsize) kw);
  g_autofree int64_t *hi_w = g_new (int64_t, (gsize) kw);
  int64_t p0, p1;

  for (int64_t kj = 0; kj < kw; kj++)
    rel_window_valid_range (OW, W, sw, g->pad_begin[1], kj * g->dilation[1], &lo_w[kj], &hi_w[kj]);
  rel_part_range (s->n * s->m, part, n_parts, &p0, &p1);
  for (int64_t p = p0; p < p1; p++)
    {
      int64_t n = p / s->m, m = p % s->m, c = m / s->mg;
      const float *xp = j->x + (n * s->c + c) * s->in_plane;
      const float *wk = j->w + m * kh * kw;
      float *yp = j->y + p * s->out_plane;

      /* one output row at a time so it stays in L1 across the kh·kw taps */
      for (int64_t oh = 0; oh < OH; oh++)
        {
          float *yr = yp + oh * OW;
          for (int64_t ki = 0; ki < kh; ki++)
            {
              int64_t ih = oh * g->stride[0] - g->pad_begin[0] + ki * g->dilation[0];
              if (ih < 0 || ih >= H)
                continue;
              for (int64_t kj = 0; kj < kw; kj++)
                {
                  const float wv = wk[ki * kw + kj];
                  const float *xr = xp + ih * W + kj * g->dilation[1] - g->pad_begin[1];
                  const int64_t lo = lo_w[kj], hi = hi_w[kj];
                  if (sw == 1)
                    for (int64_t ow = lo; ow < hi; ow++)
                      yr[ow] += wv * xr[ow];
                  else
                    for (int64_t ow = lo; ow < hi; ow++)
                      yr[ow] += wv * xr[ow * sw];
                }
            }
        }
    }
}

/* dx and dw of the direct convolution. Parts split the input channels so two
 * threads never write the same dx plane or weight (a channel's output planes
 * are m = c·mg … c·mg + mg − 1). */
REL_HOT_CLONES static void
direct_backward_part (int part, int n_parts, gpointer data)
{
  const DirectJob *j = data;
  const ConvShape *s = j->s;
  const RelWindowGeom *g = &s->g;
  const int64_t H = g->in[0], W = g->in[1], OH = g->out[0], OW = g->out[1];
  const int64_t kh = g->kernel[0], kw = g->kernel[1], sw = g->stride[1];
  int64_t c0, c1;

  rel_part_range (s->c, part, n_parts, &c0, &c1);
  for (int64_t n = 0; n < s->n; n++)
    for (int64_t c = c0; c < c1; c++)
      for (int64_t m = c * s->mg; m < (c + 1) * s->mg; m++)
        {
          const float *xp = j->x + (n * s->c + c) * s->in_plane;
          float *dxp = j->dx ? j->dx + (n * s->c + c) * s->in_plane : NULL;
          const float *dyp = j->dy + (n * s->m + m) * s->out_plane;

          for (int64_t ki = 0; ki < kh; ki++)
            for (int64_t kj = 0; kj < kw; kj++)
              {
                const float wv = j->w[(m * kh + ki) * kw + kj];
                const int64_t woff = kj * g->dilation[1] - g->pad_begin[1];
                double acc = 0.0;
                int64_t lo, hi;

                rel_window_valid_range (OW, W, sw, g->pad_begin[1], kj * g->dilation[1], &lo, &hi);
                for (int64_t oh = 0; oh < OH; oh++)
                  {
                    int64_t ih = oh * g->stride[0] - g->pad_begin[0] + ki * g->dilation[0];
                    const float *dyr = dyp + oh * OW;
                    float rowacc = 0.f;

                    if (ih < 0 || ih >= H)
                      continue;
                    if (dxp)
                      {
                        float *dxr = dxp + ih * W + woff;
                        for (int64_t ow = lo; ow < hi; ow++)
                          dxr[ow * sw] += wv * dyr[ow];
                      }
                    if (j->dw)
                      {
                        const float *xr = xp + ih * W + woff;
                        for (int64_t ow = lo; ow < hi; ow++)
                          rowacc += dyr[ow] * xr[ow * sw];
                        acc += rowacc;
                      }
                  }
                if (j->dw)
                  j->dw[(m * kh + ki) * kw + kj] += (float) acc;
              }
        }
}

static gboolean
cancelled (const RelContext *ctx, GError **error)
{
  if (ctx && ctx->cancel && g_atomic_int_get (ctx->cancel))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
      return TRUE;
    }
  return FALSE;
}

/* ---- Winograd F(2×2, 3×3) ----
 *
 * 3×3 stride-1 convolutions with enough channels (most of VGG's and ResNet's
 * work) run as 16 GEMMs over the points of the 4×4 transform, 2.25× fewer
 * multiplications than im2col + GEMM, or, on planes with enough tiles, as
 * F(4×4, 3×3) below (4× fewer). F(2×2) keeps the round-off of the
 * transforms near that of the direct sum; F(4×4)'s is a few times larger
 * but far inside 1e-4 on the logits (see there).
 * Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A per 2×2 output tile. The input
 * gradient of such a convolution is again one, with the kernel flipped and
 * transposed: flipping g permutes the transform's rows and columns 0 ↔ 3, so
 * the backward pass reuses the forward's transformed weights through a
 * transposed GEMM. Transformed weights of the model's own constants are
 * cached in the node's params; other weights (LRP's modified copies) are
 * transformed per call. */

/* Floats of the transformed inputs and products of one chunk of tile rows:
 * 2 MiB, so they stay in L2 between the transforms and the GEMMs (measured
 * best on ResNet-18; 8 MiB was 2–3 % slower, 1 MiB slower still). */
#define WINO_CHUNK_FLOATS (512 * 1024)
/* With many channels that bound leaves few tiles per chunk (28 on VGG-16's
 * 512-channel 28×28 layers), so each chunk re-reads 16 MiB of transformed
 * weights for a thin GEMM: a floor of 128 tiles took VGG-16 from 113 to
 * 107 ms and leaves ResNet-18 as it was. */
#define WINO_MIN_CHUNK_TILES 128

static gboolean
wino_eligible (const ConvShape *s)
{
  const RelWindowGeom *g = &s->g;
  return s->nd == 2 && s->group == 1 && g->kernel[0] == 3 && g->kernel[1] == 3
         && g->stride[0] == 1 && g->stride[1] == 1 && g->dilation[0] == 1 && g->dilation[1] == 1
         && s->c >= 16 && s->m >= 16 && g->pad_begin[0] <= 2 && g->pad_begin[1] <= 2
         && g->out[0] >= 2 && g->out[1] >= 2 && g->in[0] >= 2 && g->in[1] >= 2;
}

typedef struct {
  const float *w;
  float *u;
  int64_t pairs;
} WinoWeightJob;

/* U[ξ][m][c] = (G g Gᵀ)[ξ] for ξ = 4i + j, G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]. */
REL_HOT_CLONES static void
wino_weights_part (int part, int n_parts, gpointer data)
{
  const WinoWeightJob *j = data;
  const int64_t P = j->pairs;
  int64_t p0, p1;

  rel_part_range (P, part, n_parts, &p0, &p1);
  for (int64_t p = p0; p < p1; p++)
    {
      const float *g = j->w + p * 9;
      float t[4][3];
      for (int c = 0; c < 3; c++)
        {
          t[0][c] = g[c];
          t[1][c] = 0.5f * (g[c] + g[3 + c] + g[6 + c]);
          t[2][c] = 0.5f * (g[c] - g[3 + c] + g[6 + c]);
          t[3][c] = g[6 + c];
        }
      for (int i = 0; i < 4; i++)
        {
          j->u[(4 * i + 0) * P + p] = t[i][0];
          j->u[(4 * i + 1) * P + p] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
          j->u[(4 * i + 2) * P + p] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
          j->u[(4 * i + 3) * P + p] = t[i][2];
        }
    }
}

/* t0 … t5 = G (g0, g1, g2) with F(4×4)'s G (see below). */
#define WINO4_G(t0, t1, t2, t3, t4, t5, g0, g1, g2)   \
  do {                                                 \
    t0 = 0.5 * (g0);                                   \
    t1 = (1.0 / 6) * ((g0) + (g1) + (g2));             \
    t2 = (1.0 / 6) * ((g1) - (g0) - (g2));             \
    t3 = (-4.0 / 15) * (4 * (g0) + 2 * (g1) + (g2));   \
    t4 = (1.0 / 30) * ((g0) - 2 * (g1) + 4 * (g2));    \
    t5 = 0.5 * (g2);                                   \
  } while (0)

typedef double RelV4d __attribute__ ((vector_size (32)));
typedef float RelV4f __attribute__ ((vector_size (16)));

/* U[ξ][m][c] = (G g Gᵀ)[ξ] for ξ = 6i + j, in double so that U carries the
 * final cast's rounding alone: computed in float, the extra ulp took LRP's
 * canonization tests (BN folded vs not, 1e-4) to 1.8e-4. Four (m, c) pairs
 * at a time in vectors: LRP transforms its modified weights on every pass,
 * and a scalar loop made VGG-16's LRP (γ) 40 % slower than with F(2×2) (18 %
 * of the run, mostly its stores, see below; now 5 %). */
REL_HOT_CLONES static void
wino4_weights_part (int part, int n_parts, gpointer data)
{
  const WinoWeightJob *j = data;
  const int64_t P = j->pairs;
  int64_t p0, p1, p;

  /* a block of 32 pairs goes through a local buffer: the 36 rows of U lie
   * P floats apart, often a multiple of 4 KiB, and writing 16 bytes to each
   * in turn thrashed the caches' sets (the stores took most of the time) */
  float ub[36][32];

  rel_part_range (P, part, n_parts, &p0, &p1);
  for (p = p0; p + 32 <= p1; p += 32)
    {
      for (int b = 0; b < 32; b += 4)
        {
          RelV4d g[9], t[6][3], o[6];
          for (int k = 0; k < 9; k++)
            for (int l = 0; l < 4; l++)
              g[k][l] = j->w[(p + b + l) * 9 + k];
          for (int c = 0; c < 3; c++)
            WINO4_G (t[0][c], t[1][c], t[2][c], t[3][c], t[4][c], t[5][c], g[c], g[3 + c], g[6 + c]);
          for (int i = 0; i < 6; i++)
            {
              WINO4_G (o[0], o[1], o[2], o[3], o[4], o[5], t[i][0], t[i][1], t[i][2]);
              for (int k = 0; k < 6; k++)
                {
                  RelV4f of = __builtin_convertvector (o[k], RelV4f);
                  memcpy (&ub[6 * i + k][b], &of, sizeof of);
                }
            }
        }
      for (int x = 0; x < 36; x++)
        memcpy (j->u + x * P + p, ub[x], sizeof ub[x]);
    }
  for (; p < p1; p++)
    {
      const float *g = j->w + p * 9;
      double t[6][3], o[6];
      for (int c = 0; c < 3; c++)
        WINO4_G (t[0][c], t[1][c], t[2][c], t[3][c], t[4][c], t[5][c], (double) g[c], (double) g[3 + c],
                 (double) g[6 + c]);
      for (int i = 0; i < 6; i++)
        {
          WINO4_G (o[0], o[1], o[2], o[3], o[4], o[5], t[i][0], t[i][1], t[i][2]);
          for (int k = 0; k < 6; k++)
            j->u[(6 * i + k) * P + p] = (float) o[k];
        }
    }
}

/* (tile + 2)²·M·C floats, or NULL when out of memory. */
static float *
wino_transform_weights (int tile, const float *w, int64_t m, int64_t c, const RelContext *ctx)
{
  WinoWeightJob job = { .w = w, .pairs = m * c };
  const int npts = (tile + 2) * (tile + 2);
  job.u = g_try_malloc (sizeof (float) * (gsize) npts * (gsize) job.pairs);
  if (job.u == NULL)
    return NULL;
  rel_parallel_run (ctx ? ctx->n_threads : 1, npts * job.pairs, tile == 4 ? wino4_weights_part : wino_weights_part,
                    &job);
  return job.u;
}

typedef struct {
  const float *x;           /* cin planes of h×w per image */
  int64_t cin, cout, h, w, oh, ow, pt, pl;
  int64_t th, tw;           /* tiles per column / row */
  int64_t r0, r1;           /* tile rows of this chunk, over n·th */
  int64_t tc;               /* tiles in the chunk: (r1 − r0)·tw */
  int tile;                 /* outputs per tile side: 2 (F(2×2)) or 4 (F(4×4)) */
  int npts;                 /* transform points: 16 or 36 */
  float *v;                 /* [npts][cin][tc] */
  float *mp;                /* [npts][cout][tc] */
  const float *u;           /* transformed weights, see wino_run */
  gboolean flipped;
  gboolean own_gemm;        /* products through rel_gemm_strided when it is available */
  const float *bias;
  float *y;                 /* cout planes of oh×ow per image */
} WinoJob;

/* V = Bᵀ d B for the part's channels, Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
 * A tile row is done at once: its four input rows are copied zero-padded, the
 * row transform runs along them, and the column transform reads them at
 * stride 2, so both loops vectorise over the tiles. */
/* The input rows a tile row reads, in buffers of @ncols columns where
 * column k holds input column k − pl: the padding columns [0, lo) and
 * [hi, ncols) are zeroed once, pad_row_fill copies a row's inside. */
static void
pad_rows_init (float *const *d, int n, int64_t ncols, int64_t pl, int64_t W, int64_t *lo, int64_t *hi)
{
  *lo = MIN (pl, ncols);
  *hi = CLAMP (W + pl, *lo, ncols);
  for (int i = 0; i < n; i++)
    {
      memset (d[i], 0, sizeof (float) * (size_t) *lo);
      memset (d[i] + *hi, 0, sizeof (float) * (size_t) (ncols - *hi));
    }
}

/* Row y of the H × W plane @xp into @d (zeros above and below the plane). */
static inline void
pad_row_fill (float *d, const float *xp, int64_t y, int64_t H, int64_t W, int64_t pl, int64_t lo, int64_t hi)
{
  if (y >= 0 && y < H)
    memcpy (d + lo, xp + y * W + (lo - pl), sizeof (float) * (size_t) (hi - lo));
  else
    memset (d + lo, 0, sizeof (float) * (size_t) (hi - lo));
}

REL_HOT_CLONES static void
wino_input_part (int part, int n_parts, gpointer data)
{
  const WinoJob *j = data;
  const int64_t tw = j->tw, W = j->w, H = j->h, pl = j->pl;
  const int64_t ncols = 2 * tw + 2;
  const int64_t stride = j->cin * j->tc;
  g_autofree float *buf = g_new (float, 8 * (gsize) ncols);
  float *d[4], *r[4];
  int64_t c0, c1, lo, hi;

  for (int i = 0; i < 4; i++)
    {
      d[i] = buf + i * ncols;
      r[i] = buf + (4 + i) * ncols;
    }
  pad_rows_init (d, 4, ncols, pl, W, &lo, &hi);
  rel_part_range (j->cin, part, n_parts, &c0, &c1);
  for (int64_t c = c0; c < c1; c++)
    for (int64_t row = j->r0; row < j->r1; row++)
      {
        int64_t n = row / j->th, ty = row % j->th;
        const float *xp = j->x + (n * j->cin + c) * H * W;
        int64_t iy0 = 2 * ty - j->pt;
        float *vt = j->v + c * j->tc + (row - j->r0) * tw;

        for (int i = 0; i < 4; i++)
          pad_row_fill (d[i], xp, iy0 + i, H, W, pl, lo, hi);
        for (int64_t k = 0; k < ncols; k++)
          {
            float a = d[0][k], b = d[1][k], e = d[2][k], f = d[3][k];
            r[0][k] = a - e;
            r[1][k] = b + e;
            r[2][k] = e - b;
            r[3][k] = b - f;
          }
        for (int i = 0; i < 4; i++)
          {
            const float *ri = r[i];
            float *v0 = vt + (4 * i + 0) * stride, *v1 = vt + (4 * i + 1) * stride;
            float *v2 = vt + (4 * i + 2) * stride, *v3 = vt + (4 * i + 3) * stride;
            for (int64_t t = 0; t < tw; t++)
              {
                float a = ri[2 * t], b = ri[2 * t + 1], e = ri[2 * t + 2], f = ri[2 * t + 3];
                v0[t] = a - e;
                v1[t] = b + e;
                v2[t] = e - b;
                v3[t] = b - f;
              }
          }
      }
}

/* Y = Aᵀ M A (+ bias) for the part's output channels, Aᵀ = [1 1 1 0; 0 1 −1 −1]. */
REL_HOT_CLONES static void
wino_output_part (int part, int n_parts, gpointer data)
{
  const WinoJob *j = data;
  const int64_t tw = j->tw, OW = j->ow, OH = j->oh;
  const int64_t pairs = OW / 2;   /* tiles whose two columns are both inside */
  g_autofree float *buf = g_new (float, 4 * (gsize) tw);
  float *restrict e0 = buf, *restrict o0 = buf + tw, *restrict e1 = buf + 2 * tw, *restrict o1 = buf + 3 * tw;
  const int64_t stride = j->cout * j->tc;
  int64_t m0, m1;

  rel_part_range (j->cout, part, n_parts, &m0, &m1);
  for (int64_t m = m0; m < m1; m++)
    {
      const float bv = j->bias ? j->bias[m] : 0.f;
      for (int64_t row = j->r0; row < j->r1; row++)
        {
          int64_t n = row / j->th, ty = row % j->th;
          const float *restrict q = j->mp + m * j->tc + (row - j->r0) * tw;
          float *yp = j->y + (n * j->cout + m) * OH * OW + 2 * ty * OW;

          for (int64_t t = 0; t < tw; t++)
            {
              float s00 = q[t] + q[4 * stride + t] + q[8 * stride + t];
              float s01 = q[stride + t] + q[5 * stride + t] + q[9 * stride + t];
              float s02 = q[2 * stride + t] + q[6 * stride + t] + q[10 * stride + t];
              float s03 = q[3 * stride + t] + q[7 * stride + t] + q[11 * stride + t];
              float s10 = q[4 * stride + t] - q[8 * stride + t] - q[12 * stride + t];
              float s11 = q[5 * stride + t] - q[9 * stride + t] - q[13 * stride + t];
              float s12 = q[6 * stride + t] - q[10 * stride + t] - q[14 * stride + t];
              float s13 = q[7 * stride + t] - q[11 * stride + t] - q[15 * stride + t];
              e0[t] = s00 + s01 + s02 + bv;
              o0[t] = s01 - s02 - s03 + bv;
              e1[t] = s10 + s11 + s12 + bv;
              o1[t] = s11 - s12 - s13 + bv;
            }
          for (int64_t t = 0; t < pairs; t++)
            {
              yp[2 * t] = e0[t];
              yp[2 * t + 1] = o0[t];
            }
          if (pairs < tw)
            yp[2 * pairs] = e0[pairs];
          if (2 * ty + 1 < OH)
            {
              float *yq = yp + OW;
              for (int64_t t = 0; t < pairs; t++)
                {
                  yq[2 * t] = e1[t];
                  yq[2 * t + 1] = o1[t];
                }
              if (pairs < tw)
                yq[2 * pairs] = e1[pairs];
            }
        }
    }
}

/* ---- Winograd F(4×4, 3×3) ----
 *
 * 6×6 input tiles, 36 transform points, 4× fewer multiplications than the
 * direct sum (F(2×2): 2.25×). The points are 0, 1, −1, ½, −2 and ∞, which
 * Barabasz et al. ("Error analysis and improving the accuracy of Winograd
 * convolution") found more accurate than the usual 0, ±1, ±2, ∞; measured in
 * float32 on ResNet-18's own 3×3 layers (ReLU'd Gaussian inputs, max |error|
 * / max |output| against float64 direct; float32 direct 1.3–4.5e-7, F(2×2)
 * 2.7–7.1e-7):
 *
 *   points              64ch 56²    128ch 28²   512ch 7²
 *   0, ±1, ±2, ∞        3.5e-6      7.5e-6      1.1e-5
 *   0, ±1, ±½, ∞        5.1e-6      6.6e-6      1.0e-5
 *   0, ±1, 2, ½, ∞      4.5e-6      7.2e-6      1.2e-5
 *   0, ±1, ½, −2, ∞     1.6e-6      2.5e-6      3.8e-6
 *
 * (scaling G, Bᵀ and Aᵀ by powers of two changes nothing). On whole
 * networks the logits stay far inside 1e-4 of float64 PyTorch: ResNet-18
 * 4.0e-7 (2.9e-7 with F(2×2) only), VGG-16 1.5e-6 (8.4e-7); PyTorch's own
 * float32 logits are 3.5e-7 and 7.0e-7 off.
 *
 * With them (G scaled so that Bᵀ is integral)
 *
 *   Bᵀ = [2 −3 −4  3  2  0;  0 −2  1  5  2  0;  0  2 −5  1  2  0;
 *         0 −2 −1  2  1  0;  0  1 −2 −1  2  0;  0  2 −3 −4  3  2]
 *   G  = [½ 0 0; ⅙ ⅙ ⅙; −⅙ ⅙ −⅙; −16/15 −8/15 −4/15; 1/30 −1/15 2/15; 0 0 ½]
 *   Aᵀ = [1 1 1 1 1 0; 0 1 −1 ½ −2 0; 0 1 1 ¼ 4 0; 0 1 −1 ⅛ −8 1]
 *
 * The point set is not closed under p → 1/p, so the input gradient cannot
 * permute the transform points as F(2×2) does. It reverses the tiles
 * instead: correlating with the flipped kernel is correlating the reversed
 * tile with the kernel and reversing the result, z = J Aᵀ[(G g) ⊙ (Bᵀ J d)],
 * so it reads each input tile and writes each output tile back to front and
 * uses the forward's U (transposed) unchanged, with the forward's accuracy. */

#define WINO4_BT(o0, o1, o2, o3, o4, o5, d0, d1, d2, d3, d4, d5) \
  do {                                                              \
    o0 = 2 * ((d0) + (d4)) - 4 * (d2) + 3 * ((d3) - (d1));         \
    o1 = 2 * ((d4) - (d1)) + (d2) + 5 * (d3);                      \
    o2 = 2 * ((d1) + (d4)) - 5 * (d2) + (d3);                      \
    o3 = 2 * ((d3) - (d1)) + (d4) - (d2);                          \
    o4 = 2 * ((d4) - (d2)) + (d1) - (d3);                          \
    o5 = 2 * ((d1) + (d5)) - 4 * (d3) + 3 * ((d4) - (d2));         \
  } while (0)

/* o[k][t] = (Bᵀ (a[0][t] … a[5][t]))_k for t < n, eight at a time in
 * explicit vectors (GCC left the plain loop scalar). */
static inline __attribute__ ((always_inline)) void
wino4_bt_rows (float *const o[6], const float *const a[6], int64_t n)
{
  int64_t t = 0;
  for (; t + 8 <= n; t += 8)
    {
      RelV8 d0, d1, d2, d3, d4, d5, o0, o1, o2, o3, o4, o5;
      memcpy (&d0, a[0] + t, sizeof d0);
      memcpy (&d1, a[1] + t, sizeof d1);
      memcpy (&d2, a[2] + t, sizeof d2);
      memcpy (&d3, a[3] + t, sizeof d3);
      memcpy (&d4, a[4] + t, sizeof d4);
      memcpy (&d5, a[5] + t, sizeof d5);
      WINO4_BT (o0, o1, o2, o3, o4, o5, d0, d1, d2, d3, d4, d5);
      memcpy (o[0] + t, &o0, sizeof o0);
      memcpy (o[1] + t, &o1, sizeof o1);
      memcpy (o[2] + t, &o2, sizeof o2);
      memcpy (o[3] + t, &o3, sizeof o3);
      memcpy (o[4] + t, &o4, sizeof o4);
      memcpy (o[5] + t, &o5, sizeof o5);
    }
  for (; t < n; t++)
    WINO4_BT (o[0][t], o[1][t], o[2][t], o[3][t], o[4][t], o[5][t], a[0][t], a[1][t], a[2][t], a[3][t], a[4][t],
              a[5][t]);
}

/* V = Bᵀ d B for the part's channels. Per tile row, six input rows are
 * copied zero-padded and the row transform runs along them; its output is
 * split by column into the six inputs of the column transform (tile t needs
 * columns 4t … 4t + 5), laid out like V, so that the column transform runs
 * over all the chunk's tiles of a channel at once with unit stride and
 * vectorises (reading at stride 4 instead made this transform 10 % of
 * ResNet-18's gradient). */
REL_HOT_CLONES static void
wino4_input_part (int part, int n_parts, gpointer data)
{
  const WinoJob *j = data;
  const int64_t tw = j->tw, W = j->w, H = j->h, pl = j->pl, tc = j->tc;
  const int64_t ncols = 4 * tw + 2;
  const int64_t stride = j->cin * tc;
  const gboolean rev = j->flipped;
  g_autofree float *buf = g_new (float, 12 * (gsize) ncols + 36 * (gsize) tc);
  float *d[6], *r[6], *e = buf + 12 * ncols;   /* e[6i + k][tile]: input k of row i's column transform */
  int64_t c0, c1, lo, hi;

  for (int i = 0; i < 6; i++)
    {
      d[i] = buf + i * ncols;
      r[i] = buf + (6 + i) * ncols;
    }
  pad_rows_init (d, 6, ncols, pl, W, &lo, &hi);
  rel_part_range (j->cin, part, n_parts, &c0, &c1);
  for (int64_t c = c0; c < c1; c++)
    {
      for (int64_t row = j->r0; row < j->r1; row++)
        {
          int64_t n = row / j->th, ty = row % j->th;
          const float *xp = j->x + (n * j->cin + c) * H * W;
          int64_t iy0 = 4 * ty - j->pt;
          float *et = e + (row - j->r0) * tw;

          /* reversed tiles: the rows go in back to front */
          for (int i = 0; i < 6; i++)
            pad_row_fill (d[rev ? 5 - i : i], xp, iy0 + i, H, W, pl, lo, hi);
          wino4_bt_rows (r, (const float *const *) d, ncols);
          for (int i = 0; i < 6; i++)
            {
              const float *restrict ri = r[i];
              float *restrict e0 = et + (6 * i) * tc, *restrict e1 = e0 + tc, *restrict e2 = e1 + tc;
              float *restrict e3 = e2 + tc, *restrict e4 = e3 + tc, *restrict e5 = e4 + tc;
              if (rev)
                for (int64_t t = 0; t < tw; t++)
                  {
                    e0[t] = ri[4 * t + 5];
                    e1[t] = ri[4 * t + 4];
                    e2[t] = ri[4 * t + 3];
                    e3[t] = ri[4 * t + 2];
                    e4[t] = ri[4 * t + 1];
                    e5[t] = ri[4 * t];
                  }
              else
                for (int64_t t = 0; t < tw; t++)
                  {
                    e0[t] = ri[4 * t];
                    e1[t] = ri[4 * t + 1];
                    e2[t] = ri[4 * t + 2];
                    e3[t] = ri[4 * t + 3];
                    e4[t] = ri[4 * t + 4];
                    e5[t] = ri[4 * t + 5];
                  }
            }
        }
      for (int i = 0; i < 6; i++)
        {
          float *vc = j->v + c * tc;
          float *const vo[6] = { vc + (6 * i + 0) * stride, vc + (6 * i + 1) * stride, vc + (6 * i + 2) * stride,
                                 vc + (6 * i + 3) * stride, vc + (6 * i + 4) * stride, vc + (6 * i + 5) * stride };
          const float *const a[6] = { e + 6 * i * tc, e + (6 * i + 1) * tc, e + (6 * i + 2) * tc,
                                      e + (6 * i + 3) * tc, e + (6 * i + 4) * tc, e + (6 * i + 5) * tc };
          wino4_bt_rows (vo, a, tc);
        }
    }
}

#define WINO4_AT(o0, o1, o2, o3, m0, m1, m2, m3, m4, m5) \
  do {                                                     \
    __typeof__ (m1) p12_ = (m1) + (m2), n12_ = (m1) - (m2);\
    o0 = (m0) + p12_ + (m3) + (m4);                        \
    o1 = n12_ + 0.5f * (m3) - 2.f * (m4);                  \
    o2 = p12_ + 0.25f * (m3) + 4.f * (m4);                 \
    o3 = n12_ + 0.125f * (m3) - 8.f * (m4) + (m5);         \
  } while (0)

/* Y = Aᵀ M A (+ bias) for the part's output channels, over all the chunk's
 * tiles of a channel at once in explicit vectors; the 16 outputs of each
 * tile land in e[4i + j][tile] and are then interleaved into the output
 * rows. Reversed tiles (the input gradient) are written back to front. */
REL_HOT_CLONES static void
wino4_output_part (int part, int n_parts, gpointer data)
{
  const WinoJob *j = data;
  const int64_t tw = j->tw, OW = j->ow, OH = j->oh, tc = j->tc;
  const int64_t full = OW / 4;   /* tiles whose four columns are all inside */
  const gboolean rev = j->flipped;
  g_autofree float *e = g_new (float, 16 * (gsize) tc);
  const int64_t stride = j->cout * tc;
  int64_t m0, m1;

  rel_part_range (j->cout, part, n_parts, &m0, &m1);
  for (int64_t m = m0; m < m1; m++)
    {
      const float bv = j->bias ? j->bias[m] : 0.f;
      const float *q = j->mp + m * tc;
      int64_t t = 0;

      for (; t + 8 <= tc; t += 8)
        {
          RelV8 s[4][6];
          for (int b = 0; b < 6; b++)
            {
              RelV8 a0, a1, a2, a3, a4, a5;
              memcpy (&a0, q + b * stride + t, sizeof a0);
              memcpy (&a1, q + (6 + b) * stride + t, sizeof a1);
              memcpy (&a2, q + (12 + b) * stride + t, sizeof a2);
              memcpy (&a3, q + (18 + b) * stride + t, sizeof a3);
              memcpy (&a4, q + (24 + b) * stride + t, sizeof a4);
              memcpy (&a5, q + (30 + b) * stride + t, sizeof a5);
              WINO4_AT (s[0][b], s[1][b], s[2][b], s[3][b], a0, a1, a2, a3, a4, a5);
            }
          for (int i = 0; i < 4; i++)
            {
              RelV8 o[4];
              WINO4_AT (o[0], o[1], o[2], o[3], s[i][0], s[i][1], s[i][2], s[i][3], s[i][4], s[i][5]);
              for (int k = 0; k < 4; k++)
                {
                  o[k] += bv;
                  memcpy (e + (4 * i + k) * tc + t, &o[k], sizeof o[k]);
                }
            }
        }
      for (; t < tc; t++)
        {
          float s[4][6];
          for (int b = 0; b < 6; b++)
            WINO4_AT (s[0][b], s[1][b], s[2][b], s[3][b], q[b * stride + t], q[(6 + b) * stride + t],
                      q[(12 + b) * stride + t], q[(18 + b) * stride + t], q[(24 + b) * stride + t],
                      q[(30 + b) * stride + t]);
          for (int i = 0; i < 4; i++)
            {
              float o[4];
              WINO4_AT (o[0], o[1], o[2], o[3], s[i][0], s[i][1], s[i][2], s[i][3], s[i][4], s[i][5]);
              for (int k = 0; k < 4; k++)
                e[(4 * i + k) * tc + t] = o[k] + bv;
            }
        }

      for (int64_t row = j->r0; row < j->r1; row++)
        {
          int64_t n = row / j->th, ty = row % j->th, t0 = (row - j->r0) * tw;
          float *yp = j->y + (n * j->cout + m) * OH * OW + 4 * ty * OW;

          for (int i = 0; i < 4 && 4 * ty + i < OH; i++)
            {
              float *restrict yr = yp + i * OW;
              const int si = rev ? 3 - i : i;
              const float *restrict f0 = e + (4 * si + (rev ? 3 : 0)) * tc + t0;
              const float *restrict f1 = e + (4 * si + (rev ? 2 : 1)) * tc + t0;
              const float *restrict f2 = e + (4 * si + (rev ? 1 : 2)) * tc + t0;
              const float *restrict f3 = e + (4 * si + (rev ? 0 : 3)) * tc + t0;
              for (int64_t u = 0; u < full; u++)
                {
                  yr[4 * u] = f0[u];
                  yr[4 * u + 1] = f1[u];
                  yr[4 * u + 2] = f2[u];
                  yr[4 * u + 3] = f3[u];
                }
              if (full < tw)
                {
                  const float *f[4] = { f0, f1, f2, f3 };
                  for (int64_t k = 4 * full; k < OW; k++)
                    yr[k] = f[k - 4 * full][full];
                }
            }
        }
    }
}

static void
wino_input_any (int part, int n_parts, gpointer data)
{
  const WinoJob *j = data;
  if (j->tile == 4)
    wino4_input_part (part, n_parts, data);
  else
    wino_input_part (part, n_parts, data);
}

static void
wino_output_any (int part, int n_parts, gpointer data)
{
  const WinoJob *j = data;
  if (j->tile == 4)
    wino4_output_part (part, n_parts, data);
  else
    wino_output_part (part, n_parts, data);
}

/* Tiles per GEMM up to which wino_small_gemm replaces sgemm (measured on
 * ResNet-18: its 7×7 layers' 16 tiles gain, the 14×14 layers' 49 lose). */
#define WINO_SMALL_TILES 32

/* mp (cout × tc) = u (cout × cin) · v (cin × tc) for few tiles (7×7 layers
 * at small batches). sgemm repacks all of u on every call, which there costs
 * about as much as the multiply itself (a 512-channel layer's 16 MiB of
 * transformed weights per call); this streams u once per block of 16 tiles
 * from where it lies and keeps a 6 × 16 block of sums in 12 of AVX2's 16
 * registers (6 rows measured ~4 % faster on ResNet-18 than 4). */
REL_HOT_CLONES static void
wino_small_gemm (const float *restrict u, const float *restrict v, float *restrict mp,
                 int64_t cout, int64_t cin, int64_t tc)
{
  g_autofree float *vb = g_new (float, 16 * (gsize) cin);

  for (int64_t t0 = 0; t0 < tc; t0 += 16)
    {
      const int64_t nt = MIN (16, tc - t0);
      int64_t m = 0;

      /* the block's columns, zero-padded to 16 */
      for (int64_t c = 0; c < cin; c++)
        for (int64_t t = 0; t < 16; t++)
          vb[c * 16 + t] = t < nt ? v[c * tc + t0 + t] : 0.f;
      for (; m + 6 <= cout; m += 6)
        {
          /* twelve named 8-float sums: an array of them gets spilled */
          const float *u0 = u + m * cin;
          RelV8 out[6][2];
          RelV8 a0 = { 0.f }, b0 = { 0.f }, a1 = { 0.f }, b1 = { 0.f }, a2 = { 0.f }, b2 = { 0.f };
          RelV8 a3 = { 0.f }, b3 = { 0.f }, a4 = { 0.f }, b4 = { 0.f }, a5 = { 0.f }, b5 = { 0.f };
          for (int64_t c = 0; c < cin; c++)
            {
              RelV8 va, vb2;
              memcpy (&va, vb + c * 16, sizeof va);
              memcpy (&vb2, vb + c * 16 + 8, sizeof vb2);
              a0 += u0[c] * va;
              b0 += u0[c] * vb2;
              a1 += u0[cin + c] * va;
              b1 += u0[cin + c] * vb2;
              a2 += u0[2 * cin + c] * va;
              b2 += u0[2 * cin + c] * vb2;
              a3 += u0[3 * cin + c] * va;
              b3 += u0[3 * cin + c] * vb2;
              a4 += u0[4 * cin + c] * va;
              b4 += u0[4 * cin + c] * vb2;
              a5 += u0[5 * cin + c] * va;
              b5 += u0[5 * cin + c] * vb2;
            }
          out[0][0] = a0; out[0][1] = b0; out[1][0] = a1; out[1][1] = b1; out[2][0] = a2; out[2][1] = b2;
          out[3][0] = a3; out[3][1] = b3; out[4][0] = a4; out[4][1] = b4; out[5][0] = a5; out[5][1] = b5;
          for (int r = 0; r < 6; r++)
            memcpy (mp + (m + r) * tc + t0, out[r], sizeof (float) * (size_t) nt);
        }
      for (; m < cout; m++)
        {
          float acc[16] = { 0.f };
          for (int64_t c = 0; c < cin; c++)
            for (int t = 0; t < 16; t++)
              acc[t] += u[m * cin + c] * vb[c * 16 + t];
          memcpy (mp + m * tc + t0, acc, sizeof (float) * (size_t) nt);
        }
    }
}

/* The same for the input gradient, whose A is the forward's U transposed:
 * A[m][c] = u[c·cout + m], i.e. the 6 rows of a block lie side by side for
 * each c. Kept apart from wino_small_gemm so the forward's code is unchanged;
 * the sgemm it replaces (transposed A) repacked all of u per call too, which
 * made the 7×7 layers' input gradient ~40 % slower than their forward. */
REL_HOT_CLONES static void
wino_small_gemm_t (const float *restrict u, const float *restrict v, float *restrict mp,
                   int64_t cout, int64_t cin, int64_t tc)
{
  g_autofree float *vb = g_new (float, 16 * (gsize) cin);

  for (int64_t t0 = 0; t0 < tc; t0 += 16)
    {
      const int64_t nt = MIN (16, tc - t0);
      int64_t m = 0;

      for (int64_t c = 0; c < cin; c++)
        for (int64_t t = 0; t < 16; t++)
          vb[c * 16 + t] = t < nt ? v[c * tc + t0 + t] : 0.f;
      for (; m + 6 <= cout; m += 6)
        {
          RelV8 out[6][2];
          RelV8 a0 = { 0.f }, b0 = { 0.f }, a1 = { 0.f }, b1 = { 0.f }, a2 = { 0.f }, b2 = { 0.f };
          RelV8 a3 = { 0.f }, b3 = { 0.f }, a4 = { 0.f }, b4 = { 0.f }, a5 = { 0.f }, b5 = { 0.f };
          for (int64_t c = 0; c < cin; c++)
            {
              const float *uc = u + c * cout + m;
              RelV8 va, vb2;
              memcpy (&va, vb + c * 16, sizeof va);
              memcpy (&vb2, vb + c * 16 + 8, sizeof vb2);
              a0 += uc[0] * va;
              b0 += uc[0] * vb2;
              a1 += uc[1] * va;
              b1 += uc[1] * vb2;
              a2 += uc[2] * va;
              b2 += uc[2] * vb2;
              a3 += uc[3] * va;
              b3 += uc[3] * vb2;
              a4 += uc[4] * va;
              b4 += uc[4] * vb2;
              a5 += uc[5] * va;
              b5 += uc[5] * vb2;
            }
          out[0][0] = a0; out[0][1] = b0; out[1][0] = a1; out[1][1] = b1; out[2][0] = a2; out[2][1] = b2;
          out[3][0] = a3; out[3][1] = b3; out[4][0] = a4; out[4][1] = b4; out[5][0] = a5; out[5][1] = b5;
          for (int r = 0; r < 6; r++)
            memcpy (mp + (m + r) * tc + t0, out[r], sizeof (float) * (size_t) nt);
        }
      for (; m < cout; m++)
        {
          float acc[16] = { 0.f };
          for (int64_t c = 0; c < cin; c++)
            for (int t = 0; t < 16; t++)
              acc[t] += u[c * cout + m] * vb[c * 16 + t];
          memcpy (mp + m * tc + t0, acc, sizeof (float) * (size_t) nt);
        }
    }
}

/* M_ξ = U_ξ · V_ξ for the part's transform points: with BLAS
 * single-threaded, the 16 (36) independent products are shared out whole. */
static void
wino_gemm_part (int part, int n_parts, gpointer data)
{
  const WinoJob *j = data;
  /* flipping the kernel swaps transform rows/columns 0 and 3 */
  static const int perm[4] = { 3, 1, 2, 0 };
  const int64_t cin = j->cin, cout = j->cout, tc = j->tc;
  int64_t x0, x1;

  rel_part_range (j->npts, part, n_parts, &x0, &x1);
  for (int64_t xi = x0; xi < x1; xi++)
    {
      /* F(4×4) flips inside its transforms instead */
      int64_t src = j->flipped && j->tile == 2 ? 4 * perm[xi / 4] + perm[xi % 4] : xi;
      /* flipped, U_ξ is [cin][cout] and used transposed */
      if (j->own_gemm
          && rel_gemm_strided (j->u + src * cout * cin, j->flipped ? 1 : cin, j->flipped ? cout : 1,
                            j->v + xi * cin * tc, tc, j->mp + xi * cout * tc, tc, cout, tc, cin, FALSE))
        continue;
      if (!j->flipped && tc <= WINO_SMALL_TILES)
        wino_small_gemm (j->u + src * cout * cin, j->v + xi * cin * tc, j->mp + xi * cout * tc, cout, cin, tc);
      else if (tc <= WINO_SMALL_TILES)
        wino_small_gemm_t (j->u + src * cin * cout, j->v + xi * cin * tc, j->mp + xi * cout * tc, cout, cin, tc);
      else if (j->flipped)
        rel_sgemm (TRUE, FALSE, (int) cout, (int) tc, (int) cin, 1.f, j->u + src * cin * cout, (int) cout,
                   j->v + xi * cin * tc, (int) tc, 0.f, j->mp + xi * cout * tc, (int) tc);
      else
        rel_sgemm (FALSE, FALSE, (int) cout, (int) tc, (int) cin, 1.f, j->u + src * cout * cin, (int) cin,
                   j->v + xi * cin * tc, (int) tc, 0.f, j->mp + xi * cout * tc, (int) tc);
    }
}

/* One thread's share of a convolution split by chunks of tile rows: each
 * part transforms, multiplies and transforms back its own chunks with its
 * own buffers, so the parts never wait for each other. */
typedef struct {
  WinoJob  base;
  int64_t  rows, chunk_rows, n_chunks;
  gint     failed;
} WinoChunks;

static void
wino_chunks_part (int part, int n_parts, gpointer data)
{
  WinoChunks *wc = data;
  WinoJob job = wc->base;
  g_autofree float *v = g_try_malloc (sizeof (float) * (gsize) (job.npts * job.cin * wc->chunk_rows * job.tw));
  g_autofree float *mp = g_try_malloc (sizeof (float) * (gsize) (job.npts * job.cout * wc->chunk_rows * job.tw));
  int64_t k0, k1;

  if (v == NULL || mp == NULL)
    {
      g_atomic_int_set (&wc->failed, 1);
      return;
    }
  job.v = v;
  job.mp = mp;
  rel_part_range (wc->n_chunks, part, n_parts, &k0, &k1);
  for (int64_t k = k0; k < k1; k++)
    {
      job.r0 = k * wc->chunk_rows;
      job.r1 = MIN (job.r0 + wc->chunk_rows, wc->rows);
      job.tc = (job.r1 - job.r0) * job.tw;
      wino_input_any (0, 1, &job);
      wino_gemm_part (0, 1, &job);
      wino_output_any (0, 1, &job);
    }
}

/* y (n × cout × oh × ow) = the 3×3 convolution of x (n × cin × h × w) with
 * top/left padding pt/pl (zeros outside x), from transformed weights u. Not
 * flipped: u is [16][cout][cin]. Flipped: u holds a forward convolution's
 * [16][cin][cout] and the kernel is used flipped and transposed (its input
 * gradient). Overwrites y. */
static gboolean
wino_run (int tile, const float *x, int64_t n, int64_t cin, int64_t h, int64_t w, const float *u, gboolean flipped,
          int64_t cout, int64_t pt, int64_t pl, int64_t oh, int64_t ow, const float *bias, float *y,
          const RelContext *ctx, GError **error)
{
  WinoJob job = { .x = x, .cin = cin, .cout = cout, .h = h, .w = w, .oh = oh, .ow = ow,
                  .pt = pt, .pl = pl, .bias = bias, .y = y, .u = u, .flipped = flipped,
                  .tile = tile, .npts = (tile + 2) * (tile + 2),
                  .own_gemm = !(ctx && ctx->blas_only) };
  int64_t rows, chunk_rows;
  int threads = ctx ? ctx->n_threads : 1;
  g_autofree float *v = NULL;
  g_autofree float *mp = NULL;

  job.th = (oh + tile - 1) / tile;
  job.tw = (ow + tile - 1) / tile;
  rows = n * job.th;
  chunk_rows = WINO_CHUNK_FLOATS / (job.npts * (cin + cout) * job.tw);
  /* but ≥ WINO_MIN_CHUNK_TILES tiles: every chunk reads (and sgemm packs)
   * all of the transformed weights again */
  chunk_rows = CLAMP (MAX (chunk_rows, (WINO_MIN_CHUNK_TILES + job.tw - 1) / job.tw), 1, rows);

  /* BLAS single-threaded (the engine's passes): whole chunks per thread,
   * when there are enough tile rows to go round and enough tiles per
   * thread (≥ 64) to amortise packing the weights once per chunk; below
   * that (ResNet's 14×14 and 7×7 layers at batch 1) one GEMM per transform
   * point over all tiles, the 16 points shared out, packs them only once. */
  if (threads >= 2 && rows >= 2 * threads && rel_blas_is_single () && rows * job.tw >= 64 * threads)
    {
      WinoChunks wc = { .base = job, .rows = rows };
      int parts = MIN (threads, 8);
      int64_t n_chunks = (rows + chunk_rows - 1) / chunk_rows;
      n_chunks = (n_chunks + parts - 1) / parts * parts;
      wc.chunk_rows = (rows + n_chunks - 1) / n_chunks;
      wc.n_chunks = (rows + wc.chunk_rows - 1) / wc.chunk_rows;
      if (cancelled (ctx, error))
        return FALSE;
      rel_parallel_run (parts, G_GINT64_CONSTANT (1) << 30, wino_chunks_part, &wc);
      if (wc.failed)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for the Conv work buffer");
          return FALSE;
        }
      return TRUE;
    }

  v = g_try_malloc (sizeof (float) * (gsize) (job.npts * cin * chunk_rows * job.tw));
  mp = g_try_malloc (sizeof (float) * (gsize) (job.npts * cout * chunk_rows * job.tw));
  if (v == NULL || mp == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for the Conv work buffer");
      return FALSE;
    }
  job.v = v;
  job.mp = mp;
  for (int64_t r0 = 0; r0 < rows; r0 += chunk_rows)
    {
      if (cancelled (ctx, error))
        return FALSE;
      job.r0 = r0;
      job.r1 = MIN (r0 + chunk_rows, rows);
      job.tc = (job.r1 - r0) * job.tw;
      /* the transforms are cheap per float: a lower bar for a second thread */
      rel_parallel_run (threads, 8 * job.npts * cin * job.tc, wino_input_any, &job);
      /* rel_gemm_strided runs single-threaded: share the points out for it too */
      if (threads >= 2 && (rel_blas_is_single () || (job.own_gemm && rel_gemm_available ())))
        rel_parallel_run (threads, job.npts * cin * cout * job.tc, wino_gemm_part, &job);
      else
        wino_gemm_part (0, 1, &job);
      rel_parallel_run (threads, 8 * job.npts * cout * job.tc, wino_output_any, &job);
    }
  return TRUE;
}

/* The transformed weights of @w: the cached ones when @w is the model's own
 * constant (*owned = FALSE), else a fresh transform the caller frees. */
static const float *
wino_weights (ConvParams *p, int tile, const RelTensor *w, int64_t m, int64_t c, gboolean *owned,
              const RelContext *ctx, GError **error)
{
  float *u;
  const int k = tile == 4;

  *owned = FALSE;
  g_mutex_lock (&p->wino_lock);
  if (w == p->w_const && !p->w_mutable)
    {
      if (p->wino_u[k] == NULL)
        p->wino_u[k] = wino_transform_weights (tile, rel_tensor_f32 (w), m, c, ctx);
      u = p->wino_u[k];
      g_mutex_unlock (&p->wino_lock);
    }
  else
    {
      g_mutex_unlock (&p->wino_lock);
      u = wino_transform_weights (tile, rel_tensor_f32 (w), m, c, ctx);
      *owned = TRUE;
    }
  if (u == NULL)
    g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for the Conv weight transform");
  return u;
}

/* Uncached weights cost a transform per call, which only pays off on planes
 * big enough for the GEMMs to dominate. */
static gboolean
wino_worth (const ConvParams *p, const RelTensor *w, const ConvShape *s)
{
  return wino_eligible (s) && (w == p->w_const || s->n * s->out_plane >= 256);
}

/* The tile of a Winograd convolution whose output planes are @out: F(4×4)
 * from WINO4_MIN_TILES tiles of 4×4 on, else F(2×2). With few tiles the
 * GEMMs only stream the transformed weights, which F(4×4) has 2.25× more
 * of. Measured per layer (min of 15, batch 1 on 2 threads / batch 2 on one,
 * as the gradient and SmoothGrad's halves run them), F(4×4) vs F(2×2) in ms:
 *
 *   512ch  7²   4 / 8 tiles    1.73 vs 1.45   3.40 vs 2.65   (loses)
 *   512ch  7²   batch 4, 16    2.24 vs 3.36                  (wins)
 *   256ch 14²  16 / 32 tiles   0.61 vs 1.16   1.93 vs 2.09
 *   512ch 14²  16 / 32 tiles   1.94 vs 2.83   7.89 vs 9.45
 *   128ch 28²  49 / 98 tiles   0.76 vs 1.15   1.37 vs 2.28
 *    64ch 56² 196 / 392 tiles  0.77–0.84 vs 0.71–1.6 (noisy)   1.58 vs 2.66
 *   VGG-16's 112² and 224² layers: 10.6 vs 18.2, 12.1 vs 12.6 (batch 1). */
#define WINO4_MIN_TILES 16

static int
wino_tile (const ConvShape *s, const int64_t out[2])
{
  int64_t tiles4 = s->n * ((out[0] + 3) / 4) * ((out[1] + 3) / 4);
  return tiles4 >= WINO4_MIN_TILES ? 4 : 2;
}

/* Forward with @ipg images per GEMM: col holds the images' columns side by
 * side, the product lands in a scratch matrix and is added to y (which holds
 * the bias already). Takes ownership of @y. */
static gboolean
conv_forward_stacked (const ConvShape *s, int64_t ipg, const float *x, const float *w, RelTensor *y,
                      RelTensor **outputs, const RelContext *ctx, GError **error)
{
  const int64_t P = s->out_plane;
  g_autofree float *col = g_try_malloc (sizeof (float) * (gsize) (s->kk * ipg * P));
  g_autofree float *tmp = g_try_malloc (sizeof (float) * (gsize) (s->mg * ipg * P));
  float *yd = rel_tensor_f32 (y);

  if (col == NULL || tmp == NULL)
    {
      rel_tensor_unref (y);
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for the Conv work buffer");
      return FALSE;
    }
  for (int64_t gi = 0; gi < s->group; gi++)
    for (int64_t n0 = 0; n0 < s->n; n0 += ipg)
      {
        int64_t nb = MIN (ipg, s->n - n0), width = nb * P;

        if (cancelled (ctx, error))
          {
            rel_tensor_unref (y);
            return FALSE;
          }
        for (int64_t i = 0; i < nb; i++)
          im2col (x + ((n0 + i) * s->c + gi * s->cg) * s->in_plane, s, 0, s->g.out[0], col + i * P, width);
        lin_sgemm (ctx, FALSE, FALSE, (int) s->mg, (int) width, (int) s->kk, 1.f, w + gi * s->mg * s->kk,
                   (int) s->kk, col, (int) width, 0.f, tmp, (int) width);
        for (int64_t i = 0; i < nb; i++)
          for (int64_t m = 0; m < s->mg; m++)
            {
              float *yp = yd + ((n0 + i) * s->m + gi * s->mg + m) * P;
              const float *tp = tmp + m * width + i * P;
              for (int64_t k = 0; k < P; k++)
                yp[k] += tp[k];
            }
      }
  outputs[0] = y;
  return TRUE;
}

static gboolean
conv_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
              const RelContext *ctx, GError **error)
{
  const ConvParams *p = node->params;
  RelTensor *in3[3] = { inputs[0], inputs[1], node->n_inputs > 2 ? inputs[2] : NULL };
  ConvShape s;
  g_autoptr(RelTensor) y = NULL;
  g_autofree float *col = NULL;
  const float *x, *w;
  float *yd;
  int64_t band, ipg;

  if (!conv_shape (p, in3, &s, error))
    return FALSE;
  y = conv_output_like (&s, s.m, s.g.out, error);
  if (y == NULL)
    return FALSE;
  x = rel_tensor_f32 (inputs[0]);
  w = rel_tensor_f32 (inputs[1]);
  yd = rel_tensor_f32 (y);
  if (wino_worth (p, inputs[1], &s))
    {
      gboolean owned, ok;
      int tile = wino_tile (&s, s.g.out);
      const float *u = wino_weights ((ConvParams *) p, tile, inputs[1], s.m, s.c, &owned, ctx, error);
      if (u == NULL)
        return FALSE;
      ok = wino_run (tile, x, s.n, s.c, s.g.in[0], s.g.in[1], u, FALSE, s.m, s.g.pad_begin[0], s.g.pad_begin[1],
                     s.g.out[0], s.g.out[1], in3[2] ? rel_tensor_f32 (in3[2]) : NULL, yd, ctx, error);
      if (owned)
        g_free ((float *) u);
      if (!ok)
        return FALSE;
      outputs[0] = g_steal_pointer (&y);
      return TRUE;
    }
  if (in3[2])
    {
      const float *b = rel_tensor_f32 (in3[2]);
      for (int64_t n = 0; n < s.n; n++)
        for (int64_t m = 0; m < s.m; m++)
          {
            float *yp = yd + (n * s.m + m) * s.out_plane;
            for (int64_t i = 0; i < s.out_plane; i++)
              yp[i] = b[m];
          }
    }

  if (s.cg == 1 && !s.pointwise)
    {
      DirectJob job = { .s = &s, .x = x, .w = w, .y = yd };
      rel_parallel_run (ctx ? ctx->n_threads : 1,
                        s.n * s.m * s.out_plane * s.g.kernel[0] * s.g.kernel[1],
                        direct_forward_part, &job);
      outputs[0] = g_steal_pointer (&y);
      return TRUE;
    }

  ipg = conv_images_per_gemm (&s);
  if (ipg > 1)
    return conv_forward_stacked (&s, ipg, x, w, g_steal_pointer (&y), outputs, ctx, error);
  band = conv_band_rows (&s);
  if (!s.pointwise)
    col = g_try_malloc (sizeof (float) * (gsize) (s.kk * band * s.g.out[1]));
  if (!s.pointwise && col == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for the Conv work buffer");
      return FALSE;
    }
  for (int64_t n = 0; n < s.n; n++)
    for (int64_t gi = 0; gi < s.group; gi++)
      {
        const float *xg = x + (n * s.c + gi * s.cg) * s.in_plane;
        const float *wg = w + gi * s.mg * s.kk;
        float *yg = yd + (n * s.m + gi * s.mg) * s.out_plane;

        if (ctx && ctx->cancel && g_atomic_int_get (ctx->cancel))
          {
            g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
            return FALSE;
          }
        if (s.pointwise)
          {
            lin_sgemm (ctx, FALSE, FALSE, (int) s.mg, (int) s.out_plane, (int) s.kk, 1.f, wg, (int) s.kk,
                       xg, (int) s.in_plane, 1.f, yg, (int) s.out_plane);
            continue;
          }
        for (int64_t oh0 = 0; oh0 < s.g.out[0]; oh0 += band)
          {
            int64_t oh1 = MIN (oh0 + band, s.g.out[0]);
            int ncols = (int) ((oh1 - oh0) * s.g.out[1]);
            im2col_parallel (xg, &s, oh0, oh1, col, ncols, ctx);
            lin_sgemm (ctx, FALSE, FALSE, (int) s.mg, ncols, (int) s.kk, 1.f, wg, (int) s.kk,
                       col, ncols, 1.f, yg + oh0 * s.g.out[1], (int) s.out_plane);
          }
      }
  outputs[0] = g_steal_pointer (&y);
  return TRUE;
}

static gboolean
check_grad_shape (const RelTensor *grad, const RelTensor *like, const char *op, GError **error)
{
  if (grad->dtype == REL_DTYPE_FLOAT32 && rel_tensor_same_shape (grad, like))
    return TRUE;
  {
    g_autofree char *gs = rel_tensor_shape_string (grad);
    g_autofree char *ls = rel_tensor_shape_string (like);
    g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                 "%s backward: the output gradient has shape %s but the output has %s", op, gs, ls);
  }
  return FALSE;
}

/* The backward of conv_forward_stacked: dy of the stacked images is gathered
 * side by side, then dcol = W_gᵀ·dy (scattered by col2im) and dW_g += dy·colᵀ. */
static gboolean
conv_backward_stacked (const ConvShape *s, int64_t ipg, const float *x, const float *w, const float *dy,
                       float *dx, float *dw, const RelContext *ctx, GError **error)
{
  const int64_t P = s->out_plane;
  gsize col_size = sizeof (float) * (gsize) (s->kk * ipg * P);
  g_autofree float *col = dw ? g_try_malloc (col_size) : NULL;
  g_autofree float *dcol = dx ? g_try_malloc (col_size) : NULL;
  g_autofree float *dyt = g_try_malloc (sizeof (float) * (gsize) (s->mg * ipg * P));

  if ((dw && col == NULL) || (dx && dcol == NULL) || dyt == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for the Conv work buffer");
      return FALSE;
    }
  for (int64_t gi = 0; gi < s->group; gi++)
    for (int64_t n0 = 0; n0 < s->n; n0 += ipg)
      {
        int64_t nb = MIN (ipg, s->n - n0), width = nb * P;
        const float *wg = w + gi * s->mg * s->kk;

        if (cancelled (ctx, error))
          return FALSE;
        for (int64_t i = 0; i < nb; i++)
          for (int64_t m = 0; m < s->mg; m++)
            memcpy (dyt + m * width + i * P, dy + ((n0 + i) * s->m + gi * s->mg + m) * P,
                    sizeof (float) * (size_t) P);
        if (dx)
          {
            lin_sgemm (ctx, TRUE, FALSE, (int) s->kk, (int) width, (int) s->mg, 1.f, wg, (int) s->kk,
                       dyt, (int) width, 0.f, dcol, (int) width);
            for (int64_t i = 0; i < nb; i++)
              col2im (dcol + i * P, s, 0, s->g.out[0], dx + ((n0 + i) * s->c + gi * s->cg) * s->in_plane, width);
          }
        if (dw)
          {
            for (int64_t i = 0; i < nb; i++)
              im2col (x + ((n0 + i) * s->c + gi * s->cg) * s->in_plane, s, 0, s->g.out[0], col + i * P, width);
            lin_sgemm (ctx, FALSE, TRUE, (int) s->mg, (int) s->kk, (int) width, 1.f, dyt, (int) width,
                       col, (int) width, 1.f, dw + gi * s->mg * s->kk, (int) s->kk);
          }
      }
  return TRUE;
}

/* db[m] = Σ dy over the images and the output plane; each plane is summed in
 * float, the planes in double. */
static void
conv_bias_grad (const ConvShape *s, const float *dy, float *dbd)
{
  for (int64_t m = 0; m < s->m; m++)
    {
      double acc = 0.0;
      for (int64_t n = 0; n < s->n; n++)
        {
          const float *dyp = dy + (n * s->m + m) * s->out_plane;
          float part = 0.f;
          for (int64_t i = 0; i < s->out_plane; i++)
            part += dyp[i];
          acc += part;
        }
      dbd[m] = (float) acc;
    }
}

/* dx by Winograd: dx = dy ⋆ flipped, transposed W, padded by 2 − pad. */
static gboolean
conv_backward_winograd (const ConvParams *p, RelTensor *w, const ConvShape *s, const float *dy, float *dxd,
                        const RelContext *ctx, GError **error)
{
  gboolean owned, ok;
  int tile = wino_tile (s, s->g.in);
  const float *u = wino_weights ((ConvParams *) p, tile, w, s->m, s->c, &owned, ctx, error);
  if (u == NULL)
    return FALSE;
  ok = wino_run (tile, dy, s->n, s->m, s->g.out[0], s->g.out[1], u, TRUE, s->c, 2 - s->g.pad_begin[0],
                 2 - s->g.pad_begin[1], s->g.in[0], s->g.in[1], NULL, dxd, ctx, error);
  if (owned)
    g_free ((float *) u);
  return ok;
}

/* The backward of the banded im2col path of conv_forward, one image and group
 * at a time: dcol = W_gᵀ·dy (scattered by col2im) and dW_g += dy·colᵀ; a
 * pointwise Conv needs no col. dx or dw may be NULL when not wanted. */
static gboolean
conv_backward_banded (const ConvShape *s, const float *x, const float *w, const float *dy, float *dx,
                      float *dw, const RelContext *ctx, GError **error)
{
  g_autofree float *col = NULL;
  g_autofree float *dcol = NULL;
  int64_t band = conv_band_rows (s);
  if (!s->pointwise)
    {
      gsize sz = sizeof (float) * (gsize) (s->kk * band * s->g.out[1]);
      col = dw ? g_try_malloc (sz) : NULL;
      dcol = dx ? g_try_malloc (sz) : NULL;
      if ((dw && col == NULL) || (dx && dcol == NULL))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                       "out of memory for the Conv work buffer");
          return FALSE;
        }
    }
  for (int64_t n = 0; n < s->n; n++)
    for (int64_t gi = 0; gi < s->group; gi++)
      {
        const float *xg = x + (n * s->c + gi * s->cg) * s->in_plane;
        const float *wg = w + gi * s->mg * s->kk;
        const float *dyg = dy + (n * s->m + gi * s->mg) * s->out_plane;
        float *dxg = dx ? dx + (n * s->c + gi * s->cg) * s->in_plane : NULL;
        float *dwg = dw ? dw + gi * s->mg * s->kk : NULL;

        if (ctx && ctx->cancel && g_atomic_int_get (ctx->cancel))
          {
            g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
            return FALSE;
          }
        if (s->pointwise)
          {
            if (dxg)  /* dX_g = W_gᵀ · dY_g */
              lin_sgemm (ctx, TRUE, FALSE, (int) s->cg, (int) s->in_plane, (int) s->mg, 1.f,
                         wg, (int) s->kk, dyg, (int) s->out_plane, 0.f, dxg, (int) s->in_plane);
            if (dwg)  /* dW_g += dY_g · X_gᵀ */
              lin_sgemm (ctx, FALSE, TRUE, (int) s->mg, (int) s->cg, (int) s->in_plane, 1.f,
                         dyg, (int) s->out_plane, xg, (int) s->in_plane, 1.f, dwg, (int) s->kk);
            continue;
          }
        for (int64_t oh0 = 0; oh0 < s->g.out[0]; oh0 += band)
          {
            int64_t oh1 = MIN (oh0 + band, s->g.out[0]);
            int ncols = (int) ((oh1 - oh0) * s->g.out[1]);
            const float *dyb = dyg + oh0 * s->g.out[1];
            if (dxg)
              {
                lin_sgemm (ctx, TRUE, FALSE, (int) s->kk, ncols, (int) s->mg, 1.f, wg, (int) s->kk,
                           dyb, (int) s->out_plane, 0.f, dcol, ncols);
                col2im_parallel (dcol, s, oh0, oh1, dxg, ncols, ctx);
              }
            if (dwg)
              {
                im2col_parallel (xg, s, oh0, oh1, col, ncols, ctx);
                lin_sgemm (ctx, FALSE, TRUE, (int) s->mg, (int) s->kk, ncols, 1.f, dyb, (int) s->out_plane,
                           col, ncols, 1.f, dwg, (int) s->kk);
              }
          }
      }
  return TRUE;
}

static gboolean
conv_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
               const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
               const RelContext *ctx, GError **error)
{
  const ConvParams *p = node->params;
  RelTensor *in3[3] = { inputs[0], inputs[1], node->n_inputs > 2 ? inputs[2] : NULL };
  ConvShape s;
  g_autoptr(RelTensor) dx = NULL;
  g_autoptr(RelTensor) dw = NULL;
  g_autoptr(RelTensor) db = NULL;
  const float *x, *w, *dy;
  int64_t ipg;
  gboolean need_x = need[0], need_w = need[1], need_b = in3[2] && need[2];
  gboolean x_done = FALSE;   /* dx already computed by the Winograd path */

  if (!conv_shape (p, in3, &s, error))
    return FALSE;
  if (need_w && inputs[1] == p->w_const)
    {
      /* training: the weights are about to change in place, so their cached
       * transform would go stale. Kept allocated (a concurrent pass may be
       * reading it), but not used again. */
      ConvParams *pm = (ConvParams *) p;
      g_mutex_lock (&pm->wino_lock);
      pm->w_mutable = TRUE;
      g_mutex_unlock (&pm->wino_lock);
    }
  if (outputs && outputs[0] && !check_grad_shape (grad_output, outputs[0], "Conv", error))
    return FALSE;
  if (grad_output->numel != s.n * s.m * s.out_plane)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "Conv backward: the output gradient has the wrong size");
      return FALSE;
    }
  x = rel_tensor_f32 (inputs[0]);
  w = rel_tensor_f32 (inputs[1]);
  dy = rel_tensor_f32 (grad_output);
  if (need_x && (dx = rel_tensor_new_like (inputs[0], error)) == NULL)
    return FALSE;
  if (need_w && (dw = rel_tensor_new_like (inputs[1], error)) == NULL)
    return FALSE;
  if (need_b && (db = rel_tensor_new_like (inputs[2], error)) == NULL)
    return FALSE;

  if (need_b)
    conv_bias_grad (&s, dy, rel_tensor_f32 (db));
  if (need_x && wino_worth (p, inputs[1], &s))
    {
      if (!conv_backward_winograd (p, inputs[1], &s, dy, rel_tensor_f32 (dx), ctx, error))
        return FALSE;
      x_done = TRUE;
    }

  if ((need_x && !x_done) || need_w)
    {
      float *dxd = dx && !x_done ? rel_tensor_f32 (dx) : NULL;
      float *dwd = dw ? rel_tensor_f32 (dw) : NULL;
      if (s.cg == 1 && !s.pointwise)
        {
          DirectJob job = { .s = &s, .x = x, .w = w, .dy = dy, .dx = dxd, .dw = dwd };
          rel_parallel_run (ctx ? ctx->n_threads : 1,
                            s.n * s.m * s.out_plane * s.g.kernel[0] * s.g.kernel[1],
                            direct_backward_part, &job);
        }
      else if ((ipg = conv_images_per_gemm (&s)) > 1)
        {
          if (!conv_backward_stacked (&s, ipg, x, w, dy, dxd, dwd, ctx, error))
            return FALSE;
        }
      else if (!conv_backward_banded (&s, x, w, dy, dxd, dwd, ctx, error))
        return FALSE;
    }
  if (need_x)
    grad_inputs[0] = g_steal_pointer (&dx);
  if (need_w)
    grad_inputs[1] = g_steal_pointer (&dw);
  if (need_b)
    grad_inputs[2] = g_steal_pointer (&db);
  return TRUE;
}

/* ---- single-row products ----
 *
 * A batch-1 fully connected layer is a matrix-vector product. OpenBLAS 0.3.21
 * sgemm does not forward M = 1 to its GEMV and packs the whole weight matrix
 * first, which for VGG-16's 25088×4096 layer costs several times the memory
 * traffic of the product itself; these two loops stream the matrix once. */

typedef struct {
  const float *a, *b;
  float *y;
  int64_t rows, cols, ldb;
  float alpha;
  gboolean accumulate;   /* y += instead of y = */
} RowJob;

/* y[r] (+)= α Σ_k a[k]·b[r·ldb + k] for the part's rows: one dot per row. */
REL_HOT_CLONES static void
row_dots_part (int part, int n_parts, gpointer data)
{
  const RowJob *j = data;
  int64_t r0, r1;

  rel_part_range (j->rows, part, n_parts, &r0, &r1);
  for (int64_t r = r0; r < r1; r++)
    {
      const float *b = j->b + r * j->ldb;
      float acc[16] = { 0 };
      float sum = 0.f;
      int64_t k = 0;

      /* 16 independent accumulators: vectorises without -ffast-math */
      for (; k + 16 <= j->cols; k += 16)
        for (int l = 0; l < 16; l++)
          acc[l] += j->a[k + l] * b[k + l];
      for (; k < j->cols; k++)
        sum += j->a[k] * b[k];
      for (int l = 0; l < 16; l++)
        sum += acc[l];
      j->y[r] = j->alpha * sum + (j->accumulate ? j->y[r] : 0.f);
    }
}

/* y[c] (+)= α Σ_r a[r]·b[r·ldb + c] for the part's columns: rows are added
 * into a slice of y that stays in cache. */
REL_HOT_CLONES static void
row_axpy_part (int part, int n_parts, gpointer data)
{
  const RowJob *j = data;
  int64_t c0, c1;

  rel_part_range (j->cols, part, n_parts, &c0, &c1);
  if (!j->accumulate)
    for (int64_t c = c0; c < c1; c++)
      j->y[c] = 0.f;
  int64_t r = 0;
  /* four rows per sweep over the slice: one load and store of y per four
   * products instead of per product (VGG-16's first FC input gradient was
   * bound by those, 2.5× its forward); the additions keep their order */
  for (; r + 4 <= j->rows; r += 4)
    {
      const float *b0 = j->b + r * j->ldb, *b1 = b0 + j->ldb, *b2 = b1 + j->ldb, *b3 = b2 + j->ldb;
      const float a0 = j->alpha * j->a[r], a1 = j->alpha * j->a[r + 1];
      const float a2 = j->alpha * j->a[r + 2], a3 = j->alpha * j->a[r + 3];
      float *restrict y = j->y;
      for (int64_t c = c0; c < c1; c++)
        {
          float t = y[c];
          t += a0 * b0[c];
          t += a1 * b1[c];
          t += a2 * b2[c];
          t += a3 * b3[c];
          y[c] = t;
        }
    }
  for (; r < j->rows; r++)
    {
      const float *b = j->b + r * j->ldb;
      const float av = j->alpha * j->a[r];
      for (int64_t c = c0; c < c1; c++)
        j->y[c] += av * b[c];
    }
}

/* y (1×n) = α · a (1×k) · op(B), B stored k×n (ldb) or, transposed, n×k. */
static void
row_times_matrix (const float *a, const float *b, int64_t ldb, gboolean trans_b, int64_t k, int64_t n,
                  float alpha, gboolean accumulate, float *y, const RelContext *ctx)
{
  int threads = ctx ? ctx->n_threads : 1;

  if (trans_b)
    {
      RowJob job = { .a = a, .b = b, .y = y, .rows = n, .cols = k, .ldb = ldb, .alpha = alpha,
                     .accumulate = accumulate };
      rel_parallel_run (threads, n * k, row_dots_part, &job);
    }
  else
    {
      RowJob job = { .a = a, .b = b, .y = y, .rows = k, .cols = n, .ldb = ldb, .alpha = alpha,
                     .accumulate = accumulate };
      rel_parallel_run (threads, n * k, row_axpy_part, &job);
    }
}

/* ---- Gemm ---- */

typedef struct {
  float    alpha, beta;
  gboolean trans_a, trans_b;
} GemmParams;

static gboolean
gemm_prepare (RelModel *model, RelNode *node, GError **error)
{
  GemmParams *p = g_new0 (GemmParams, 1);
  int64_t ta = rel_node_attr_int (node, "transA", 0);
  int64_t tb = rel_node_attr_int (node, "transB", 0);

  if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "Gemm transA/transB must be 0 or 1");
      g_free (p);
      return FALSE;
    }
  p->alpha = rel_node_attr_float (node, "alpha", 1.f);
  p->beta = rel_node_attr_float (node, "beta", 1.f);
  p->trans_a = ta == 1;
  p->trans_b = tb == 1;
  node->params = p;
  return TRUE;
}

typedef struct {
  int64_t m, n, k;
  int64_t c_rows, c_cols;   /* C broadcast: 1 or m, 1 or n */
} GemmShape;

static gboolean
gemm_shape (const GemmParams *p, RelTensor *const *inputs, GemmShape *s, GError **error)
{
  const RelTensor *a = inputs[0], *b = inputs[1], *c = inputs[2];
  int64_t kb;

  if (a->dtype != REL_DTYPE_FLOAT32 || b->dtype != REL_DTYPE_FLOAT32 || a->ndim != 2 || b->ndim != 2)
    {
      g_autofree char *as = rel_tensor_shape_string (a);
      g_autofree char *bs = rel_tensor_shape_string (b);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "Gemm needs two float32 matrices, got %s and %s", as, bs);
      return FALSE;
    }
  s->m = p->trans_a ? a->shape[1] : a->shape[0];
  s->k = p->trans_a ? a->shape[0] : a->shape[1];
  kb = p->trans_b ? b->shape[1] : b->shape[0];
  s->n = p->trans_b ? b->shape[0] : b->shape[1];
  if (kb != s->k)
    {
      g_autofree char *as = rel_tensor_shape_string (a);
      g_autofree char *bs = rel_tensor_shape_string (b);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "Gemm: A %s%s has %" G_GINT64_FORMAT " columns but B %s%s has %" G_GINT64_FORMAT " rows",
                   as, p->trans_a ? " (transposed)" : "", s->k, bs, p->trans_b ? " (transposed)" : "", kb);
      return FALSE;
    }
  if (s->m > G_MAXINT || s->n > G_MAXINT || s->k > G_MAXINT)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "Gemm matrix too large");
      return FALSE;
    }
  s->c_rows = s->c_cols = 1;
  if (c)
    {
      gboolean ok = c->dtype == REL_DTYPE_FLOAT32 && c->ndim <= 2;
      if (ok && c->ndim >= 1)
        s->c_cols = c->shape[c->ndim - 1];
      if (ok && c->ndim == 2)
        s->c_rows = c->shape[0];
      if (!ok || (s->c_rows != 1 && s->c_rows != s->m) || (s->c_cols != 1 && s->c_cols != s->n))
        {
          g_autofree char *cs = rel_tensor_shape_string (c);
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "Gemm bias C has shape %s, which does not broadcast to %" G_GINT64_FORMAT "×%"
                       G_GINT64_FORMAT, cs, s->m, s->n);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
gemm_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
              const RelContext *ctx, GError **error)
{
  const GemmParams *p = node->params;
  RelTensor *in3[3] = { inputs[0], inputs[1], node->n_inputs > 2 ? inputs[2] : NULL };
  GemmShape s;
  g_autoptr(RelTensor) y = NULL;
  int64_t shape[2];
  float *yd;
  float beta = 0.f;

  if (!gemm_shape (p, in3, &s, error))
    return FALSE;
  shape[0] = s.m;
  shape[1] = s.n;
  if ((y = rel_tensor_new_f32 (2, shape, error)) == NULL)
    return FALSE;
  yd = rel_tensor_f32 (y);
  if (in3[2] && p->beta != 0.f)
    {
      const float *c = rel_tensor_f32 (in3[2]);
      for (int64_t i = 0; i < s.m; i++)
        for (int64_t j = 0; j < s.n; j++)
          yd[i * s.n + j] = p->beta * c[(s.c_rows == 1 ? 0 : i) * s.c_cols + (s.c_cols == 1 ? 0 : j)];
      beta = 1.f;
    }
  if (s.k > 0 && s.m == 1)  /* A's single row (or column) is contiguous either way */
    row_times_matrix (rel_tensor_f32 (in3[0]), rel_tensor_f32 (in3[1]), in3[1]->shape[1], p->trans_b,
                      s.k, s.n, p->alpha, beta != 0.f, yd, ctx);
  else if (s.k > 0)
    lin_sgemm (ctx, p->trans_a, p->trans_b, (int) s.m, (int) s.n, (int) s.k, p->alpha,
               rel_tensor_f32 (in3[0]), (int) in3[0]->shape[1],
               rel_tensor_f32 (in3[1]), (int) in3[1]->shape[1], beta, yd, (int) s.n);
  outputs[0] = g_steal_pointer (&y);
  return TRUE;
}

static gboolean
gemm_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
               const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
               const RelContext *ctx, GError **error)
{
  const GemmParams *p = node->params;
  RelTensor *in3[3] = { inputs[0], inputs[1], node->n_inputs > 2 ? inputs[2] : NULL };
  GemmShape s;
  const float *a, *b, *dy;
  int lda, ldb;

  if (!gemm_shape (p, in3, &s, error))
    return FALSE;
  if (grad_output->dtype != REL_DTYPE_FLOAT32 || grad_output->ndim != 2
      || grad_output->shape[0] != s.m || grad_output->shape[1] != s.n)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "Gemm backward: the output gradient has the wrong shape");
      return FALSE;
    }
  a = rel_tensor_f32 (in3[0]);
  b = rel_tensor_f32 (in3[1]);
  dy = rel_tensor_f32 (grad_output);
  lda = (int) in3[0]->shape[1];
  ldb = (int) in3[1]->shape[1];

  if (need[0])
    {
      RelTensor *da = rel_tensor_new_like (in3[0], error);
      if (da == NULL)
        return FALSE;
      if (s.m == 1)  /* dA = α dY · op(B)ᵀ, one row */
        row_times_matrix (dy, b, ldb, !p->trans_b, s.n, s.k, p->alpha, FALSE, rel_tensor_f32 (da), ctx);
      else if (!p->trans_a)  /* dA = α dY · op(B)ᵀ */
        lin_sgemm (ctx, FALSE, !p->trans_b, (int) s.m, (int) s.k, (int) s.n, p->alpha, dy, (int) s.n,
                   b, ldb, 0.f, rel_tensor_f32 (da), lda);
      else              /* dA = α op(B) · dYᵀ */
        lin_sgemm (ctx, p->trans_b, TRUE, (int) s.k, (int) s.m, (int) s.n, p->alpha, b, ldb,
                   dy, (int) s.n, 0.f, rel_tensor_f32 (da), lda);
      grad_inputs[0] = da;
    }
  if (need[1])
    {
      RelTensor *db = rel_tensor_new_like (in3[1], error);
      if (db == NULL)
        return FALSE;
      if (!p->trans_b)  /* dB = α op(A)ᵀ · dY */
        lin_sgemm (ctx, !p->trans_a, FALSE, (int) s.k, (int) s.n, (int) s.m, p->alpha, a, lda,
                   dy, (int) s.n, 0.f, rel_tensor_f32 (db), ldb);
      else              /* dB = α dYᵀ · op(A) */
        lin_sgemm (ctx, TRUE, p->trans_a, (int) s.n, (int) s.k, (int) s.m, p->alpha, dy, (int) s.n,
                   a, lda, 0.f, rel_tensor_f32 (db), ldb);
      grad_inputs[1] = db;
    }
  if (node->n_inputs > 2 && need[2] && in3[2])
    {
      RelTensor *dc = rel_tensor_new_like (in3[2], error);
      float *dcd;
      if (dc == NULL)
        return FALSE;
      dcd = rel_tensor_f32 (dc);
      /* dC = β Σ dY over the broadcast axes */
      for (int64_t i = 0; i < s.m; i++)
        for (int64_t j = 0; j < s.n; j++)
          dcd[(s.c_rows == 1 ? 0 : i) * s.c_cols + (s.c_cols == 1 ? 0 : j)] += p->beta * dy[i * s.n + j];
      grad_inputs[2] = dc;
    }
  return TRUE;
}

/* ---- MatMul ---- */

/* numpy matmul: 1-D operands are promoted (a row vector for A, a column for B)
 * and the promoted axis is dropped from the result; batch axes broadcast. */
typedef struct {
  int64_t m, n, k;
  int     nb;                         /* batch rank of the result */
  int64_t batch[REL_MAX_DIMS];        /* broadcast batch shape */
  int64_t a_stride[REL_MAX_DIMS];     /* element stride of one batch step, 0 when broadcast */
  int64_t b_stride[REL_MAX_DIMS];
  int64_t n_batch;
  int     out_ndim;
  int64_t out_shape[REL_MAX_DIMS];
} MatMulShape;

static gboolean
matmul_shape (RelTensor *const *inputs, MatMulShape *s, GError **error)
{
  const RelTensor *a = inputs[0], *b = inputs[1];
  int a_nb, b_nb;
  int64_t kb, a_mat, b_mat, a_acc, b_acc;

  if (a->dtype != REL_DTYPE_FLOAT32 || b->dtype != REL_DTYPE_FLOAT32 || a->ndim < 1 || b->ndim < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "MatMul needs float32 operands of rank ≥ 1");
      return FALSE;
    }
  s->m = a->ndim == 1 ? 1 : a->shape[a->ndim - 2];
  s->k = a->shape[a->ndim - 1];
  kb = b->ndim == 1 ? b->shape[0] : b->shape[b->ndim - 2];
  s->n = b->ndim == 1 ? 1 : b->shape[b->ndim - 1];
  if (kb != s->k)
    {
      g_autofree char *as = rel_tensor_shape_string (a);
      g_autofree char *bs = rel_tensor_shape_string (b);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "MatMul: A %s has %" G_GINT64_FORMAT " columns but B %s has %" G_GINT64_FORMAT " rows",
                   as, s->k, bs, kb);
      return FALSE;
    }
  if (s->m > G_MAXINT || s->n > G_MAXINT || s->k > G_MAXINT)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "MatMul matrix too large");
      return FALSE;
    }
  a_nb = MAX (a->ndim - 2, 0);
  b_nb = MAX (b->ndim - 2, 0);
  s->nb = MAX (a_nb, b_nb);
  a_mat = s->m * s->k;
  b_mat = s->k * s->n;
  a_acc = a_mat;
  b_acc = b_mat;
  s->n_batch = 1;
  /* walk batch axes from the innermost, right-aligned */
  for (int i = s->nb - 1; i >= 0; i--)
    {
      int ai = i - (s->nb - a_nb), bi = i - (s->nb - b_nb);
      int64_t da = ai >= 0 ? a->shape[ai] : 1, db = bi >= 0 ? b->shape[bi] : 1;
      if (da != db && da != 1 && db != 1)
        {
          g_autofree char *as = rel_tensor_shape_string (a);
          g_autofree char *bs = rel_tensor_shape_string (b);
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "MatMul: the batch dimensions of %s and %s do not broadcast", as, bs);
          return FALSE;
        }
      s->batch[i] = MAX (da, db);
      if (da == 0 || db == 0)
        s->batch[i] = 0;
      s->a_stride[i] = da == 1 ? 0 : a_acc;
      s->b_stride[i] = db == 1 ? 0 : b_acc;
      a_acc *= da;
      b_acc *= db;
      s->n_batch *= s->batch[i];
    }
  s->out_ndim = 0;
  for (int i = 0; i < s->nb; i++)
    s->out_shape[s->out_ndim++] = s->batch[i];
  if (a->ndim > 1)
    s->out_shape[s->out_ndim++] = s->m;
  if (b->ndim > 1)
    s->out_shape[s->out_ndim++] = s->n;
  return TRUE;
}

/* Offsets of batch item @t into A and B. */
static void
matmul_offsets (const MatMulShape *s, int64_t t, int64_t *ao, int64_t *bo)
{
  *ao = *bo = 0;
  for (int i = s->nb - 1; i >= 0; i--)
    {
      int64_t idx = t % s->batch[i];
      t /= s->batch[i];
      *ao += idx * s->a_stride[i];
      *bo += idx * s->b_stride[i];
    }
}

/* B shared by every batch item and A contiguous: one GEMM with M·batch rows. */
static gboolean
matmul_foldable (const MatMulShape *s)
{
  for (int i = 0; i < s->nb; i++)
    if (s->b_stride[i] != 0 && s->batch[i] != 1)
      return FALSE;
  for (int i = 0; i < s->nb; i++)
    if (s->a_stride[i] == 0 && s->batch[i] != 1)
      return FALSE;
  return TRUE;
}

static gboolean
matmul_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                const RelContext *ctx, GError **error)
{
  MatMulShape s;
  g_autoptr(RelTensor) y = NULL;
  const float *a, *b;
  float *yd;

  if (!matmul_shape (inputs, &s, error))
    return FALSE;
  if ((y = rel_tensor_new_f32 (s.out_ndim, s.out_shape, error)) == NULL)
    return FALSE;
  if (y->numel == 0 || s.k == 0)
    {
      outputs[0] = g_steal_pointer (&y);
      return TRUE;
    }
  a = rel_tensor_f32 (inputs[0]);
  b = rel_tensor_f32 (inputs[1]);
  yd = rel_tensor_f32 (y);
  if (matmul_foldable (&s) && s.m * s.n_batch == 1)
    row_times_matrix (a, b, s.n, FALSE, s.k, s.n, 1.f, FALSE, yd, ctx);
  else if (matmul_foldable (&s) && s.m * s.n_batch <= G_MAXINT)
    lin_sgemm (ctx, FALSE, FALSE, (int) (s.m * s.n_batch), (int) s.n, (int) s.k, 1.f, a, (int) s.k,
               b, (int) s.n, 0.f, yd, (int) s.n);
  else
    for (int64_t t = 0; t < s.n_batch; t++)
      {
        int64_t ao, bo;
        matmul_offsets (&s, t, &ao, &bo);
        lin_sgemm (ctx, FALSE, FALSE, (int) s.m, (int) s.n, (int) s.k, 1.f, a + ao, (int) s.k,
                   b + bo, (int) s.n, 0.f, yd + t * s.m * s.n, (int) s.n);
      }
  outputs[0] = g_steal_pointer (&y);
  return TRUE;
}

static gboolean
matmul_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                 const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                 const RelContext *ctx, GError **error)
{
  MatMulShape s;
  g_autoptr(RelTensor) da = NULL;
  g_autoptr(RelTensor) db = NULL;
  const float *a, *b, *dy;
  gboolean fold;

  if (!matmul_shape (inputs, &s, error))
    return FALSE;
  if (grad_output->dtype != REL_DTYPE_FLOAT32 || grad_output->numel != s.n_batch * s.m * s.n)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "MatMul backward: the output gradient has the wrong shape");
      return FALSE;
    }
  if (need[0] && (da = rel_tensor_new_like (inputs[0], error)) == NULL)
    return FALSE;
  if (need[1] && (db = rel_tensor_new_like (inputs[1], error)) == NULL)
    return FALSE;
  a = rel_tensor_f32 (inputs[0]);
  b = rel_tensor_f32 (inputs[1]);
  dy = rel_tensor_f32 (grad_output);
  fold = matmul_foldable (&s) && s.m * s.n_batch <= G_MAXINT;
  if (s.k > 0 && s.n_batch > 0 && s.m > 0 && s.n > 0)
    {
      if (fold)
        {
          int mm = (int) (s.m * s.n_batch);
          if (da && mm == 1)  /* dA = dY · Bᵀ, one row */
            row_times_matrix (dy, b, s.n, TRUE, s.n, s.k, 1.f, FALSE, rel_tensor_f32 (da), ctx);
          else if (da)  /* dA = dY · Bᵀ */
            lin_sgemm (ctx, FALSE, TRUE, mm, (int) s.k, (int) s.n, 1.f, dy, (int) s.n, b, (int) s.n,
                       0.f, rel_tensor_f32 (da), (int) s.k);
          if (db)  /* dB = Aᵀ · dY, summed over the folded batch */
            lin_sgemm (ctx, TRUE, FALSE, (int) s.k, (int) s.n, mm, 1.f, a, (int) s.k, dy, (int) s.n,
                       0.f, rel_tensor_f32 (db), (int) s.n);
        }
      else
        /* broadcast operands accumulate (beta = 1) over the batch items sharing them */
        for (int64_t t = 0; t < s.n_batch; t++)
          {
            int64_t ao, bo;
            const float *dyt = dy + t * s.m * s.n;
            matmul_offsets (&s, t, &ao, &bo);
            if (da)
              lin_sgemm (ctx, FALSE, TRUE, (int) s.m, (int) s.k, (int) s.n, 1.f, dyt, (int) s.n, b + bo,
                         (int) s.n, 1.f, rel_tensor_f32 (da) + ao, (int) s.k);
            if (db)
              lin_sgemm (ctx, TRUE, FALSE, (int) s.k, (int) s.n, (int) s.m, 1.f, a + ao, (int) s.k, dyt,
                         (int) s.n, 1.f, rel_tensor_f32 (db) + bo, (int) s.n);
          }
    }
  if (need[0])
    grad_inputs[0] = g_steal_pointer (&da);
  if (need[1])
    grad_inputs[1] = g_steal_pointer (&db);
  return TRUE;
}

/* ---- Einsum ---- */

/* Letters a–z and A–Z are ids 0–51; the dimensions an ellipsis stands for
 * are ids 52 on, right-aligned across operands as numpy broadcasts them. */
#define EIN_LETTERS   52
#define EIN_MAX_IDS   (EIN_LETTERS + REL_MAX_DIMS)
#define EIN_MAX_TERMS 2
/* a hostile file's "ab,cd->" of two large tensors would loop for hours */
#define EIN_MAX_WORK  ((int64_t) 1 << 34)

typedef struct {
  int  n;                     /* letters in the term, the ellipsis not counted */
  int  ids[REL_MAX_DIMS];     /* id per letter position */
  int  ellipsis;              /* position of "..." among the letters, -1 if none */
} EinTerm;

typedef struct {
  int     n_terms;
  EinTerm in[EIN_MAX_TERMS];
  EinTerm out;
  char   *equation;
} EinParams;

static void
ein_free_params (gpointer data)
{
  EinParams *p = data;

  if (p)
    g_free (p->equation);
  g_free (p);
}

static int
ein_letter (char c)
{
  if (c >= 'a' && c <= 'z')
    return c - 'a';
  if (c >= 'A' && c <= 'Z')
    return 26 + c - 'A';
  return -1;
}

/* Parses one term of @eq (from *@s up to a ',' or '-' or the end). */
static gboolean
ein_parse_term (const char *eq, const char **s, EinTerm *t, GError **error)
{
  t->n = 0;
  t->ellipsis = -1;
  while (**s && **s != ',' && **s != '-')
    {
      if (**s == ' ')
        {
          (*s)++;
          continue;
        }
      if (g_str_has_prefix (*s, "..."))
        {
          if (t->ellipsis >= 0)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                           "Einsum equation '%s' has two ellipses in one term", eq);
              return FALSE;
            }
          t->ellipsis = t->n;
          *s += 3;
          continue;
        }
      if (ein_letter (**s) < 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "Einsum equation '%s' has '%c' where a letter belongs", eq, **s);
          return FALSE;
        }
      if (t->n >= REL_MAX_DIMS)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                       "Einsum equation '%s' has a term of more than %d dimensions", eq, REL_MAX_DIMS);
          return FALSE;
        }
      t->ids[t->n++] = ein_letter (**s);
      (*s)++;
    }
  return TRUE;
}

/* "bhqd,bhkd->bhqk": one or two operands (products of two activations and
 * the batched matrix products, transposes, traces and sums real networks
 * write), explicit or implicit output, at most one ellipsis per term. */
static gboolean
einsum_prepare (RelModel *model, RelNode *node, GError **error)
{
  const char *eq = rel_node_attr_string (node, "equation", NULL);
  g_autoptr(GString) canonical = NULL;
  EinParams *p;
  const char *s;
  int count[EIN_LETTERS] = { 0 };
  gboolean any_ellipsis = FALSE;

  if (eq == NULL || *eq == '\0')
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "Einsum needs an equation");
      return FALSE;
    }
  if (node->n_inputs > EIN_MAX_TERMS)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "Einsum '%s' has %d operands; at most %d are supported", eq, node->n_inputs, EIN_MAX_TERMS);
      return FALSE;
    }
  p = g_new0 (EinParams, 1);
  p->equation = g_strdup (eq);
  s = eq;
  for (;;)
    {
      if (p->n_terms >= EIN_MAX_TERMS)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                       "Einsum '%s' has more than %d operands", eq, EIN_MAX_TERMS);
          goto fail;
        }
      if (!ein_parse_term (eq, &s, &p->in[p->n_terms], error))
        goto fail;
      any_ellipsis |= p->in[p->n_terms].ellipsis >= 0;
      for (int k = 0; k < p->in[p->n_terms].n; k++)
        count[p->in[p->n_terms].ids[k]]++;
      p->n_terms++;
      if (*s != ',')
        break;
      s++;
    }
  if (p->n_terms != node->n_inputs)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "Einsum '%s' names %d operands but the node has %d inputs", eq, p->n_terms, node->n_inputs);
      goto fail;
    }
  if (*s == '-')
    {
      gboolean seen[EIN_LETTERS] = { FALSE };
      if (s[1] != '>')
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "Einsum equation '%s' has '-' without '>'", eq);
          goto fail;
        }
      s += 2;
      if (!ein_parse_term (eq, &s, &p->out, error))
        goto fail;
      if (*s != '\0')
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "Einsum equation '%s' has more than one output", eq);
          goto fail;
        }
      if (p->out.ellipsis >= 0 && !any_ellipsis)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "Einsum equation '%s' has an ellipsis in the output only", eq);
          goto fail;
        }
      for (int k = 0; k < p->out.n; k++)
        {
          int id = p->out.ids[k];
          if (count[id] == 0 || seen[id])
            {
              char c = id < 26 ? 'a' + id : 'A' + id - 26;
              g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                           "Einsum equation '%s': output letter '%c' is %s", eq, c,
                           seen[id] ? "repeated" : "in no operand");
              goto fail;
            }
          seen[id] = TRUE;
        }
    }
  else
    {
      /* implicit output: the ellipsis, then the letters used once, in ASCII order */
      p->out.n = 0;
      p->out.ellipsis = any_ellipsis ? 0 : -1;
      for (int c = 0; c < 128; c++)
        {
          int id = ein_letter ((char) c);
          if (id >= 0 && count[id] == 1)
            p->out.ids[p->out.n++] = id;
        }
    }
  node->params = p;
  return TRUE;

fail:
  ein_free_params (p);
  return FALSE;
}

/* The operands' shapes resolved against the equation: every id's size, and
 * each term's element stride per id (a repeated letter adds its strides: a
 * diagonal; a broadcast ellipsis dimension of size 1 has stride 0). */
typedef struct {
  int     n_ids;                          /* ids in use are 0 … n_ids − 1 */
  int64_t size[EIN_MAX_IDS];
  int64_t stride[EIN_MAX_TERMS][EIN_MAX_IDS];
  int64_t out_stride[EIN_MAX_IDS];
  int     out_ndim;
  int64_t out_shape[REL_MAX_DIMS];
  int64_t work;                           /* Π size: the multiply-adds */
} EinShape;

/* the ids of term @t's dimensions, the ellipsis expanded to @ell dims */
static int
ein_term_dims (const EinTerm *t, int ell, int *ids)
{
  int n = 0;

  for (int k = 0; k <= t->n; k++)
    {
      if (k == t->ellipsis)
        for (int e = 0; e < ell; e++)
          ids[n++] = EIN_LETTERS + e;
      if (k < t->n)
        ids[n++] = t->ids[k];
    }
  return n;
}

static gboolean
ein_shape (const EinParams *p, RelTensor *const *inputs, EinShape *s, GError **error)
{
  int ell[EIN_MAX_TERMS], max_ell = 0, ids[REL_MAX_DIMS + EIN_LETTERS];

  memset (s, 0, sizeof *s);
  for (int i = 0; i < EIN_MAX_IDS; i++)
    s->size[i] = -1;
  for (int t = 0; t < p->n_terms; t++)
    {
      const RelTensor *x = inputs[t];
      if (x == NULL || x->dtype != REL_DTYPE_FLOAT32)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "Einsum '%s' needs float32 operands", p->equation);
          return FALSE;
        }
      ell[t] = x->ndim - p->in[t].n;
      if (ell[t] < 0 || (ell[t] > 0 && p->in[t].ellipsis < 0))
        {
          g_autofree char *xs = rel_tensor_shape_string (x);
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "Einsum '%s': operand %d %s does not have the term's %d dimensions",
                       p->equation, t + 1, xs, p->in[t].n);
          return FALSE;
        }
      max_ell = MAX (max_ell, ell[t]);
    }
  /* sizes: letters must agree; ellipsis dims broadcast (right-aligned) */
  for (int t = 0; t < p->n_terms; t++)
    {
      const RelTensor *x = inputs[t];
      int n = ein_term_dims (&p->in[t], ell[t], ids);
      int64_t acc = 1;
      for (int d = n - 1; d >= 0; d--)
        {
          int id = ids[d];
          int64_t dim = x->shape[d];
          if (id >= EIN_LETTERS)
            id += max_ell - ell[t];   /* right-align the ellipsis */
          if (id >= EIN_LETTERS && dim == 1)
            {
              if (s->size[id] < 0)
                s->size[id] = 1;
            }
          else if (id >= EIN_LETTERS && s->size[id] == 1)
            {
              s->size[id] = dim;
              s->stride[t][id] += acc;
            }
          else if (s->size[id] >= 0 && s->size[id] != dim)
            {
              g_autofree char *xs = rel_tensor_shape_string (x);
              if (id < EIN_LETTERS)
                g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                             "Einsum '%s': letter '%c' has size %" G_GINT64_FORMAT " in operand %d %s but %"
                             G_GINT64_FORMAT " elsewhere", p->equation, id < 26 ? 'a' + id : 'A' + id - 26,
                             dim, t + 1, xs, s->size[id]);
              else
                g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                             "Einsum '%s': the ellipsis dimensions of operand %d %s do not broadcast",
                             p->equation, t + 1, xs);
              return FALSE;
            }
          else
            {
              s->size[id] = dim;
              s->stride[t][id] += acc;
            }
          acc *= dim;
        }
    }
  s->n_ids = EIN_LETTERS + max_ell;
  for (int i = 0; i < s->n_ids; i++)
    if (s->size[i] < 0)
      s->size[i] = 1;
  /* a size-1 broadcast dim read with stride 0 by one operand and the size by another */
  s->out_ndim = ein_term_dims (&p->out, p->out.ellipsis >= 0 ? max_ell : 0, ids);
  if (s->out_ndim > REL_MAX_DIMS)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "Einsum '%s' has an output of more than %d dimensions", p->equation, REL_MAX_DIMS);
      return FALSE;
    }
  {
    int64_t acc = 1;
    for (int d = s->out_ndim - 1; d >= 0; d--)
      {
        s->out_shape[d] = s->size[ids[d]];
        s->out_stride[ids[d]] = acc;
        acc *= s->out_shape[d];
      }
  }
  s->work = 1;
  for (int i = 0; i < s->n_ids; i++)
    {
      if (s->size[i] == 0)
        {
          s->work = 0;
          break;
        }
      if (s->size[i] > EIN_MAX_WORK / s->work)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                       "Einsum '%s' would take more than %" G_GINT64_FORMAT " multiply-adds",
                       p->equation, EIN_MAX_WORK);
          return FALSE;
        }
      s->work *= s->size[i];
    }
  return TRUE;
}

/* target[·] = Σ over the ids the target does not index of Π sources[·]:
 * the forward (target = output, sources = operands) and each operand's VJP
 * (target = that operand, sources = the output gradient and the other
 * operand) are the same contraction. The target's positions are split over
 * the threads; each sums its own in double. */
typedef struct {
  int            n_outer, n_inner;
  int            outer[EIN_MAX_IDS], inner[EIN_MAX_IDS];
  const int64_t *size;
  float         *target;
  const int64_t *tstride;
  int            n_src;
  const float   *src[EIN_MAX_TERMS];
  const int64_t *sstride[EIN_MAX_TERMS];
  int64_t        n_target;           /* Π outer sizes */
  int64_t        n_sum;              /* Π inner sizes */
  volatile gint *cancel;
} EinJob;

static void
ein_part (int part, int n_parts, gpointer data)
{
  const EinJob *j = data;
  int64_t begin, end;

  rel_part_range (j->n_target, part, n_parts, &begin, &end);
  for (int64_t o = begin; o < end; o++)
    {
      int64_t rest = o, toff = 0, soff[EIN_MAX_TERMS] = { 0 }, idx[EIN_MAX_IDS] = { 0 };
      double sum = 0;
      if (j->cancel && g_atomic_int_get (j->cancel))
        return;
      for (int k = j->n_outer - 1; k >= 0; k--)
        {
          int id = j->outer[k];
          int64_t v = rest % j->size[id];
          rest /= j->size[id];
          toff += v * j->tstride[id];
          for (int t = 0; t < j->n_src; t++)
            soff[t] += v * j->sstride[t][id];
        }
      /* the inner ids as an odometer, the last one as the tight loop */
      for (int64_t q = 0; q < j->n_sum; )
        {
          int last = j->n_inner > 0 ? j->inner[j->n_inner - 1] : -1;
          int64_t len = last >= 0 ? j->size[last] : 1;
          int64_t s0 = last >= 0 ? j->sstride[0][last] : 0;
          const float *a = j->src[0] + soff[0];
          if (j->n_src == 1)
            for (int64_t r = 0; r < len; r++)
              sum += a[r * s0];
          else
            {
              int64_t s1 = last >= 0 ? j->sstride[1][last] : 0;
              const float *b = j->src[1] + soff[1];
              for (int64_t r = 0; r < len; r++)
                sum += (double) a[r * s0] * b[r * s1];
            }
          q += len;
          /* advance the other inner ids */
          for (int k = j->n_inner - 2; k >= 0; k--)
            {
              int id = j->inner[k];
              for (int t = 0; t < j->n_src; t++)
                soff[t] += j->sstride[t][id];
              if (++idx[k] < j->size[id])
                break;
              for (int t = 0; t < j->n_src; t++)
                soff[t] -= j->size[id] * j->sstride[t][id];
              idx[k] = 0;
            }
        }
      j->target[toff] = (float) sum;
    }
}

/* @target (numel @target_numel) gets zeros, then the contraction. An id the
 * target indexes with stride 0 (it is broadcast there) is summed over. */
static void
ein_contract (const EinShape *s, float *target, int64_t target_numel, const int64_t *tstride, int n_src,
              const float *const *src, const int64_t *const *sstride, const RelContext *ctx)
{
  EinJob j = { 0 };

  memset (target, 0, target_numel * sizeof (float));
  if (s->work == 0)
    return;
  j.size = s->size;
  j.target = target;
  j.tstride = tstride;
  j.n_src = n_src;
  j.n_target = j.n_sum = 1;
  for (int t = 0; t < n_src; t++)
    {
      j.src[t] = src[t];
      j.sstride[t] = sstride[t];
    }
  for (int i = 0; i < s->n_ids; i++)
    {
      if (s->size[i] == 1)
        continue;
      if (tstride[i] != 0)
        {
          j.outer[j.n_outer++] = i;
          j.n_target *= s->size[i];
        }
      else
        {
          j.inner[j.n_inner++] = i;
          j.n_sum *= s->size[i];
        }
    }
  j.cancel = ctx ? ctx->cancel : NULL;
  rel_parallel_run (ctx ? ctx->n_threads : 1, s->work, ein_part, &j);
}

static gboolean
einsum_params (const RelNode *node, const EinParams **p, GError **error)
{
  *p = node->params;
  if (*p == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "node '%s' was not prepared", node->name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
einsum_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                const RelContext *ctx, GError **error)
{
  const EinParams *p;
  EinShape s;
  const float *src[EIN_MAX_TERMS];
  const int64_t *ss[EIN_MAX_TERMS];
  RelTensor *y;

  if (!einsum_params (node, &p, error) || !ein_shape (p, inputs, &s, error))
    return FALSE;
  if ((y = rel_tensor_new_f32 (s.out_ndim, s.out_shape, error)) == NULL)
    return FALSE;
  for (int t = 0; t < p->n_terms; t++)
    {
      src[t] = rel_tensor_f32 (inputs[t]);
      ss[t] = s.stride[t];
    }
  ein_contract (&s, rel_tensor_f32 (y), y->numel, s.out_stride, p->n_terms, src, ss, ctx);
  outputs[0] = y;
  return TRUE;
}

/* dA = the contraction of dY with the other operand onto A's indices (a
 * diagonal of A gets its gradient on the diagonal only, a broadcast
 * dimension the sum over it). */
static gboolean
einsum_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                 const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                 const RelContext *ctx, GError **error)
{
  const EinParams *p;
  EinShape s;

  if (!einsum_params (node, &p, error) || !ein_shape (p, inputs, &s, error))
    return FALSE;
  if (grad_output->dtype != REL_DTYPE_FLOAT32 || grad_output->ndim != s.out_ndim
      || memcmp (grad_output->shape, s.out_shape, s.out_ndim * sizeof (int64_t)) != 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "Einsum backward: the output gradient has the wrong shape");
      return FALSE;
    }
  for (int t = 0; t < p->n_terms; t++)
    {
      const float *src[EIN_MAX_TERMS];
      const int64_t *ss[EIN_MAX_TERMS];
      int n = 0;
      if (!need[t])
        continue;
      if ((grad_inputs[t] = rel_tensor_new_like (inputs[t], error)) == NULL)
        return FALSE;
      src[n] = rel_tensor_f32 (grad_output);
      ss[n++] = s.out_stride;
      for (int u = 0; u < p->n_terms; u++)
        if (u != t)
          {
            src[n] = rel_tensor_f32 (inputs[u]);
            ss[n++] = s.stride[u];
          }
      ein_contract (&s, rel_tensor_f32 (grad_inputs[t]), grad_inputs[t]->numel, s.stride[t], n, src, ss, ctx);
    }
  return TRUE;
}

const RelOpDef rel_ops_linear[] = {
  { REL_OP_CONV, "Conv",   2, 3, 1, REL_OP_CLASS_LINEAR, conv_prepare, conv_forward,   conv_backward,   conv_free_params,
    .flags = REL_OP_WINDOW | REL_OP_CONVOLUTION | REL_OP_CAM_LAYER | REL_OP_AFFINE_FIRST, .window_pad = REL_OP_PAD_ZERO, .weight_input = 1, .bias_input = 2 },
  { REL_OP_GEMM, "Gemm",   2, 3, 1, REL_OP_CLASS_LINEAR, gemm_prepare, gemm_forward,   gemm_backward,   NULL,
    .flags = REL_OP_OPERANDS_SWAP | REL_OP_AFFINE_FIRST, .weight_input = 1, .bias_input = 2 },
  { REL_OP_MATMUL, "MatMul", 2, 2, 1, REL_OP_CLASS_LINEAR, NULL,         matmul_forward, matmul_backward, NULL,
    .flags = REL_OP_OPERANDS_SWAP | REL_OP_AFFINE_ONE, .weight_input = 1 },
  /* the other operand a constant: a layer LRP's rules apply to, as MatMul's */
  { REL_OP_EINSUM, "Einsum", 1, REL_OP_MAX_INPUTS, 1, REL_OP_CLASS_LINEAR, einsum_prepare, einsum_forward,
    einsum_backward, ein_free_params, .flags = REL_OP_OPERANDS_SWAP | REL_OP_AFFINE_ONE, .weight_input = 1 },
  { REL_OP_COUNT, NULL },
};
REL_OP_TABLE_CHECK (rel_ops_linear, 0, REL_OPS_LINEAR_END);
