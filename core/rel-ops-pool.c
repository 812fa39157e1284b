/* rel-ops-pool.c — MaxPool, AveragePool and their global forms.
 *
 * Windows loop over precomputed in-range tap ranges instead of testing every
 * tap against the padding. MaxPool's backward recomputes the winners from the
 * input (first maximum in scan order on ties) rather than storing them.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-model.h"
#include "rel-ops-window-private.h"

#include <math.h>
#include <string.h>

typedef struct {
  RelWindow win;
  gboolean  count_include_pad;
  gboolean  column_major;    /* MaxPool storage_order = 1, for the Indices output */
} PoolParams;

static gboolean
pool_prepare (RelModel *model, RelNode *node, GError **error)
{
  PoolParams *p = g_new0 (PoolParams, 1);
  int64_t cip = rel_node_attr_int (node, "count_include_pad", 0);
  int64_t so = rel_node_attr_int (node, "storage_order", 0);

  if (!rel_window_parse (node, TRUE, &p->win, error))
    {
      g_free (p);
      return FALSE;
    }
  if ((cip != 0 && cip != 1) || (so != 0 && so != 1))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "count_include_pad and storage_order must be 0 or 1");
      g_free (p);
      return FALSE;
    }
  p->count_include_pad = cip == 1;
  p->column_major = so == 1;
  node->params = p;
  return TRUE;
}

typedef struct {
  int nd;
  int64_t n, c;
  RelWindowGeom g;
  int64_t in_plane, out_plane;
} PoolShape;

static gboolean
pool_shape (const PoolParams *p, const char *what, const RelTensor *x, PoolShape *s, GError **error)
{
  int64_t in[2], kernel[2];

  if (!rel_window_input (x, what, &s->nd, in, error))
    return FALSE;
  kernel[0] = p->win.kernel[0];
  kernel[1] = p->win.kernel[1];
  if (!rel_window_resolve (&p->win, s->nd, in, kernel, &s->g, error))
    return FALSE;
  s->n = x->shape[0];
  s->c = x->shape[1];
  s->in_plane = in[0] * in[1];
  s->out_plane = s->g.out[0] * s->g.out[1];
  return TRUE;
}

static RelTensor *
pool_output (const PoolShape *s, RelDType dtype, GError **error)
{
  int64_t shape[4] = { s->n, s->c, s->g.out[0], s->g.out[1] };
  if (s->nd == 1)
    {
      shape[2] = s->g.out[1];
      return rel_tensor_new (dtype, 3, shape, error);
    }
  return rel_tensor_new (dtype, 4, shape, error);
}

/* Taps k of output o with o·s − pb + k·dil inside [lo_bound, hi_bound): [*k0, *k1). */
static inline void
tap_range (int64_t o, int64_t s, int64_t pb, int64_t dil, int64_t kernel,
           int64_t lo_bound, int64_t hi_bound, int64_t *k0, int64_t *k1)
{
  int64_t start = o * s - pb;
  int64_t a = lo_bound - start, b = hi_bound - start;  /* need a <= k·dil < b */
  int64_t l = a <= 0 ? 0 : (a + dil - 1) / dil;
  int64_t h = b <= 0 ? 0 : (b + dil - 1) / dil;
  *k0 = MIN (l, kernel);
  *k1 = MAX (*k0, MIN (h, kernel));
}

/* ---- MaxPool ---- */

typedef struct {
  const PoolShape *s;
  const PoolParams *p;
  const float *x, *dy;
  float *y, *dx;
  int64_t *indices;
  const struct _TapTable *taps;
} PoolJob;

/* In-range taps of every output row and column, computed once per call so
 * the hot loops do no divisions. With @count, also the taps that count for
 * the average's divisor. */
typedef struct _TapTable {
  int64_t *k0[2], *k1[2];   /* per axis: [out] tap ranges inside the input */
  int64_t *c0[2], *c1[2];   /* per axis: [out] taps inside the padded input */
} TapTable;

static void
tap_table_init (TapTable *t, const RelWindowGeom *g)
{
  for (int a = 0; a < 2; a++)
    {
      int64_t n = g->out[a];
      t->k0[a] = g_new (int64_t, (gsize) n * 4);
      t->k1[a] = t->k0[a] + n;
      t->c0[a] = t->k0[a] + 2 * n;
      t->c1[a] = t->k0[a] + 3 * n;
      for (int64_t o = 0; o < n; o++)
        {
          tap_range (o, g->stride[a], g->pad_begin[a], g->dilation[a], g->kernel[a], 0, g->in[a],
                     &t->k0[a][o], &t->k1[a][o]);
          tap_range (o, g->stride[a], g->pad_begin[a], g->dilation[a], g->kernel[a],
                     -g->pad_begin[a], g->in[a] + g->pad_end[a], &t->c0[a][o], &t->c1[a][o]);
        }
    }
}

static void
tap_table_clear (TapTable *t)
{
  g_free (t->k0[0]);
  g_free (t->k0[1]);
}

/* ---- 3-wide stride-2 windows, 8 outputs at a time ----
 *
 * ResNet's 3×3 stride-2 MaxPool is ~5 % of a gradient pass in scalar code.
 * For 8 outputs in a row the taps of window column kj are x[w0 + 2t + kj],
 * t = 0 … 7: the even and odd lanes of two 8-float loads. Same arithmetic
 * and tap order as the scalar loops, so the results are identical. */
typedef float PoolV8 __attribute__ ((vector_size (32)));
typedef int PoolV8i __attribute__ ((vector_size (32)));

#define POOL_INLINE static inline __attribute__ ((always_inline))

/* (vectors pass by pointer: by value their ABI differs between the
 * target_clones variants) */
POOL_INLINE void
load8 (PoolV8 *v, const float *p)
{
  memcpy (v, p, sizeof *v);
}

/* The three column taps of 8 windows whose first column is @p. */
POOL_INLINE void
taps_s2k3 (const float *p, PoolV8 *t0, PoolV8 *t1, PoolV8 *t2)
{
  PoolV8 a, b, c, d;
  load8 (&a, p);
  load8 (&b, p + 8);
  load8 (&c, p + 2);
  load8 (&d, p + 10);
  /* GCC and clang spell the two-vector shuffle differently (the fuzz build is clang's) */
#if defined(__clang__)
  *t0 = __builtin_shufflevector (a, b, 0, 2, 4, 6, 8, 10, 12, 14);
  *t1 = __builtin_shufflevector (a, b, 1, 3, 5, 7, 9, 11, 13, 15);
  *t2 = __builtin_shufflevector (c, d, 0, 2, 4, 6, 8, 10, 12, 14);
#else
  const PoolV8i even = { 0, 2, 4, 6, 8, 10, 12, 14 }, odd = { 1, 3, 5, 7, 9, 11, 13, 15 };
  *t0 = __builtin_shuffle (a, b, even);
  *t1 = __builtin_shuffle (a, b, odd);
  *t2 = __builtin_shuffle (c, d, even);
#endif
}

POOL_INLINE void
max_select (const PoolV8 *v, PoolV8 *best)
{
  PoolV8i m = *v > *best;
  *best = (PoolV8) (((PoolV8i) *v & m) | ((PoolV8i) *best & ~m));
}

/* First and one-past-last output column of a row whose 8-wide blocks read
 * only inside the row (the loads reach 18 floats from the first tap). */
static inline void
s2k3_block_range (const RelWindowGeom *g, int64_t *lo, int64_t *hi)
{
  const int64_t pb = g->pad_begin[1], W = g->in[1], OW = g->out[1];
  int64_t a = (pb + 1) / 2;                       /* 2·ow − pb ≥ 0 */
  int64_t b = W + pb - 18 >= 0 ? (W + pb - 18) / 2 + 1 : 0;  /* 2·ow − pb + 18 ≤ W */
  *lo = MIN (a, OW);
  *hi = MAX (*lo, MIN (OW, b));
}

static inline gboolean
is_s2k3 (const RelWindowGeom *g)
{
  return g->stride[1] == 2 && g->kernel[1] == 3 && g->dilation[1] == 1;
}

/* For every output of the planes in this part: the winner's offset inside
 * its plane (first maximum in scan order; none for a window that only covers
 * padding). Forward writes y (and indices), backward routes dy to dx. */
REL_HOT_CLONES static void
maxpool_part (int part, int n_parts, gpointer data)
{
  const PoolJob *j = data;
  const PoolShape *s = j->s;
  const TapTable *t = j->taps;
  const RelWindowGeom *g = &s->g;
  const int64_t H = g->in[0], W = g->in[1], OH = g->out[0], OW = g->out[1];
  const int64_t dh = g->dilation[0], dw = g->dilation[1];
  const gboolean value_only = j->indices == NULL && j->dx == NULL;
  int64_t p0, p1;

  rel_part_range (s->n * s->c, part, n_parts, &p0, &p1);
  for (int64_t pl = p0; pl < p1; pl++)
    {
      const float *xp = j->x + pl * s->in_plane;
      for (int64_t oh = 0; oh < OH; oh++)
        {
          const int64_t ki0 = t->k0[0][oh], ki1 = t->k1[0][oh];
          const int64_t h0 = oh * g->stride[0] - g->pad_begin[0];
          int64_t vlo = 0, vhi = 0;

          if (value_only && j->y && is_s2k3 (g) && ki0 < ki1)
            s2k3_block_range (g, &vlo, &vhi);
          for (int64_t ow = 0; ow < OW; ow++)
            {
              const int64_t kj0 = t->k0[1][ow], kj1 = t->k1[1][ow];
              const int64_t w0 = ow * g->stride[1] - g->pad_begin[1];
              const int64_t o = (pl * OH + oh) * OW + ow;
              int64_t best_at = -1;
              float best = -INFINITY;

              if (ow >= vlo && ow < vhi && ow + 8 <= OW)
                {
                  PoolV8 vb = { -INFINITY, -INFINITY, -INFINITY, -INFINITY,
                                -INFINITY, -INFINITY, -INFINITY, -INFINITY };
                  for (int64_t ki = ki0; ki < ki1; ki++)
                    {
                      PoolV8 t0, t1, t2;
                      taps_s2k3 (xp + (h0 + ki * dh) * W + w0, &t0, &t1, &t2);
                      max_select (&t0, &vb);
                      max_select (&t1, &vb);
                      max_select (&t2, &vb);
                    }
                  memcpy (j->y + o, &vb, sizeof vb);
                  ow += 7;
                  continue;
                }

              if (ki0 >= ki1 || kj0 >= kj1)
                ;  /* only padding: -inf, no winner */
              else if (value_only)
                {
                  /* branch-free max: the common inference path */
                  for (int64_t ki = ki0; ki < ki1; ki++)
                    {
                      const float *row = xp + (h0 + ki * dh) * W + w0;
                      for (int64_t kj = kj0; kj < kj1; kj++)
                        {
                          float v = row[kj * dw];
                          best = v > best ? v : best;
                        }
                    }
                }
              else
                {
                  best_at = (h0 + ki0 * dh) * W + w0 + kj0 * dw;
                  best = xp[best_at];
                  for (int64_t ki = ki0; ki < ki1; ki++)
                    {
                      int64_t row = (h0 + ki * dh) * W + w0;
                      /* arithmetic selects, not a branch: on real
                       * activations the winner is unpredictable, and the
                       * mispredictions made this loop ~4× slower than the
                       * value-only one above. Still strict >, so the first
                       * maximum wins and NaNs never do. */
                      for (int64_t kj = kj0; kj < kj1; kj++)
                        {
                          const int64_t at = row + kj * dw;
                          const float v = xp[at];
                          const int64_t take = -(int64_t) (v > best);
                          best = v > best ? v : best;
                          best_at += (at - best_at) & take;
                        }
                    }
                }
              if (j->y)
                j->y[o] = best;
              if (j->indices)
                {
                  int64_t ih = best_at < 0 ? 0 : best_at / W, iw = best_at < 0 ? 0 : best_at % W;
                  j->indices[o] = pl * s->in_plane + (j->p->column_major ? iw * H + ih : ih * W + iw);
                }
              if (j->dx && best_at >= 0)
                j->dx[pl * s->in_plane + best_at] += j->dy[o];
            }
        }
    }
}

/* Backward with the forward's output at hand: the winner is the first tap
 * (in scan order) equal to the window's maximum, so one select per tap
 * instead of the value-and-index chain above; taps scanned last to first
 * keep the first match. A window without a match (a NaN maximum) takes the
 * general rule. */
REL_HOT_CLONES static void
maxpool_grad_part (int part, int n_parts, gpointer data)
{
  const PoolJob *j = data;
  const PoolShape *s = j->s;
  const TapTable *t = j->taps;
  const RelWindowGeom *g = &s->g;
  const int64_t W = g->in[1], OH = g->out[0], OW = g->out[1];
  const int64_t dh = g->dilation[0], dw = g->dilation[1];
  int64_t p0, p1;

  rel_part_range (s->n * s->c, part, n_parts, &p0, &p1);
  for (int64_t pl = p0; pl < p1; pl++)
    {
      const float *xp = j->x + pl * s->in_plane;
      float *dxp = j->dx + pl * s->in_plane;
      for (int64_t oh = 0; oh < OH; oh++)
        {
          const int64_t ki0 = t->k0[0][oh], ki1 = t->k1[0][oh];
          const int64_t h0 = oh * g->stride[0] - g->pad_begin[0];
          int64_t vlo = 0, vhi = 0;

          if (is_s2k3 (g) && ki0 < ki1 && s->in_plane < G_MAXINT32)
            s2k3_block_range (g, &vlo, &vhi);
          for (int64_t ow = 0; ow < OW; ow++)
            {
              const int64_t kj0 = t->k0[1][ow], kj1 = t->k1[1][ow];
              const int64_t w0 = ow * g->stride[1] - g->pad_begin[1];
              const int64_t o = (pl * OH + oh) * OW + ow;
              const float m = j->y[o];
              int64_t at = -1;

              if (ow >= vlo && ow < vhi && ow + 8 <= OW)
                {
                  /* winners of 8 windows at once: the last matching tap in
                   * reverse scan order is the first in scan order */
                  const PoolV8i lane2 = { 0, 2, 4, 6, 8, 10, 12, 14 };
                  PoolV8 ym;
                  PoolV8i vat = { -1, -1, -1, -1, -1, -1, -1, -1 };
                  int ats[8];

                  load8 (&ym, j->y + o);
                  for (int64_t ki = ki1 - 1; ki >= ki0; ki--)
                    {
                      const int64_t row = (h0 + ki * dh) * W + w0;
                      const PoolV8i off = lane2 + (int) row;
                      PoolV8 t0, t1, t2;
                      PoolV8i hit;

                      taps_s2k3 (xp + row, &t0, &t1, &t2);
                      hit = t2 == ym;
                      vat = ((off + 2) & hit) | (vat & ~hit);
                      hit = t1 == ym;
                      vat = ((off + 1) & hit) | (vat & ~hit);
                      hit = t0 == ym;
                      vat = (off & hit) | (vat & ~hit);
                    }
                  memcpy (ats, &vat, sizeof ats);
                  if (ats[0] >= 0 && ats[1] >= 0 && ats[2] >= 0 && ats[3] >= 0 && ats[4] >= 0 && ats[5] >= 0
                      && ats[6] >= 0 && ats[7] >= 0)
                    {
                      for (int l = 0; l < 8; l++)
                        dxp[ats[l]] += j->dy[o + l];
                      ow += 7;
                      continue;
                    }
                  /* a window without a match (NaN): this one in scalar code */
                }
              if (ki0 >= ki1 || kj0 >= kj1)
                continue;
              for (int64_t ki = ki1 - 1; ki >= ki0; ki--)
                {
                  const int64_t row = (h0 + ki * dh) * W + w0;
                  for (int64_t kj = kj1 - 1; kj >= kj0; kj--)
                    {
                      const int64_t tap = row + kj * dw;
                      at = xp[tap] == m ? tap : at;
                    }
                }
              if (at < 0)
                {
                  float best;
                  at = (h0 + ki0 * dh) * W + w0 + kj0 * dw;
                  best = xp[at];
                  for (int64_t ki = ki0; ki < ki1; ki++)
                    for (int64_t kj = kj0; kj < kj1; kj++)
                      {
                        const int64_t tap = (h0 + ki * dh) * W + w0 + kj * dw;
                        if (xp[tap] > best)
                          {
                            best = xp[tap];
                            at = tap;
                          }
                      }
                }
              dxp[at] += j->dy[o];
            }
        }
    }
}

static gboolean
maxpool_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                 const RelContext *ctx, GError **error)
{
  const PoolParams *p = node->params;
  PoolShape s;
  g_autoptr(RelTensor) y = NULL;
  g_autoptr(RelTensor) idx = NULL;
  PoolJob job;
  TapTable taps;

  if (!pool_shape (p, "MaxPool", inputs[0], &s, error))
    return FALSE;
  if ((y = pool_output (&s, REL_DTYPE_FLOAT32, error)) == NULL)
    return FALSE;
  if (node->n_outputs > 1 && (idx = pool_output (&s, REL_DTYPE_INT64, error)) == NULL)
    return FALSE;
  tap_table_init (&taps, &s.g);
  job = (PoolJob) { .s = &s, .p = p, .x = rel_tensor_f32 (inputs[0]), .y = rel_tensor_f32 (y),
                    .indices = idx ? rel_tensor_i64 (idx) : NULL, .taps = &taps };
  rel_parallel_run (ctx ? ctx->n_threads : 1, y->numel * s.g.kernel[0] * s.g.kernel[1],
                    maxpool_part, &job);
  tap_table_clear (&taps);
  outputs[0] = g_steal_pointer (&y);
  if (node->n_outputs > 1)
    outputs[1] = g_steal_pointer (&idx);
  return TRUE;
}

static gboolean
check_grad (const RelTensor *grad, int64_t numel, const char *op, GError **error)
{
  if (grad->dtype == REL_DTYPE_FLOAT32 && grad->numel == numel)
    return TRUE;
  g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s backward: the output gradient has the wrong shape", op);
  return FALSE;
}

static gboolean
maxpool_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                  const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                  const RelContext *ctx, GError **error)
{
  const PoolParams *p = node->params;
  PoolShape s;
  g_autoptr(RelTensor) dx = NULL;
  PoolJob job;
  TapTable taps;

  if (!need[0])
    return TRUE;
  if (!pool_shape (p, "MaxPool", inputs[0], &s, error)
      || !check_grad (grad_output, s.n * s.c * s.out_plane, "MaxPool", error))
    return FALSE;
  if ((dx = rel_tensor_new_like (inputs[0], error)) == NULL)
    return FALSE;
  tap_table_init (&taps, &s.g);
  job = (PoolJob) { .s = &s, .p = p, .x = rel_tensor_f32 (inputs[0]), .dy = rel_tensor_f32 (grad_output),
                    .dx = rel_tensor_f32 (dx), .taps = &taps };
  /* the forward's output, when the pass kept it in the same shape */
  if (outputs && outputs[0] && outputs[0]->dtype == REL_DTYPE_FLOAT32 && outputs[0]->numel == grad_output->numel)
    job.y = rel_tensor_f32 (outputs[0]);
  rel_parallel_run (ctx ? ctx->n_threads : 1, grad_output->numel * s.g.kernel[0] * s.g.kernel[1],
                    job.y ? maxpool_grad_part : maxpool_part, &job);
  tap_table_clear (&taps);
  grad_inputs[0] = g_steal_pointer (&dx);
  return TRUE;
}

/* ---- AveragePool ---- */

/* Forward: y = Σ taps / divisor; backward: dx[tap] += dy / divisor. The
 * divisor counts the taps inside the input, or with count_include_pad inside
 * the padded input (never the extra ceil-mode overhang). */
REL_HOT_CLONES static void
avgpool_part (int part, int n_parts, gpointer data)
{
  const PoolJob *j = data;
  const PoolShape *s = j->s;
  const TapTable *t = j->taps;
  const RelWindowGeom *g = &s->g;
  const int64_t W = g->in[1], OH = g->out[0], OW = g->out[1];
  const int64_t dh = g->dilation[0], dw = g->dilation[1];
  const gboolean cip = j->p->count_include_pad;
  int64_t p0, p1;

  rel_part_range (s->n * s->c, part, n_parts, &p0, &p1);
  for (int64_t pl = p0; pl < p1; pl++)
    {
      const float *xp = j->x ? j->x + pl * s->in_plane : NULL;
      float *dxp = j->dx ? j->dx + pl * s->in_plane : NULL;
      for (int64_t oh = 0; oh < OH; oh++)
        {
          const int64_t ki0 = t->k0[0][oh], ki1 = t->k1[0][oh];
          const int64_t nh = cip ? t->c1[0][oh] - t->c0[0][oh] : ki1 - ki0;
          const int64_t h0 = oh * g->stride[0] - g->pad_begin[0];
          for (int64_t ow = 0; ow < OW; ow++)
            {
              const int64_t kj0 = t->k0[1][ow], kj1 = t->k1[1][ow];
              const int64_t nw = cip ? t->c1[1][ow] - t->c0[1][ow] : kj1 - kj0;
              const int64_t w0 = ow * g->stride[1] - g->pad_begin[1];
              const int64_t o = (pl * OH + oh) * OW + ow;
              const float inv = nh * nw > 0 ? 1.f / (float) (nh * nw) : 0.f;

              if (xp)
                {
                  float acc = 0.f;
                  for (int64_t ki = ki0; ki < ki1; ki++)
                    {
                      const float *row = xp + (h0 + ki * dh) * W + w0;
                      for (int64_t kj = kj0; kj < kj1; kj++)
                        acc += row[kj * dw];
                    }
                  j->y[o] = acc * inv;
                }
              else
                {
                  const float v = j->dy[o] * inv;
                  for (int64_t ki = ki0; ki < ki1; ki++)
                    {
                      float *row = dxp + (h0 + ki * dh) * W + w0;
                      for (int64_t kj = kj0; kj < kj1; kj++)
                        row[kj * dw] += v;
                    }
                }
            }
        }
    }
}

static gboolean
avgpool_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                 const RelContext *ctx, GError **error)
{
  const PoolParams *p = node->params;
  PoolShape s;
  g_autoptr(RelTensor) y = NULL;
  PoolJob job;
  TapTable taps;

  if (!pool_shape (p, "AveragePool", inputs[0], &s, error))
    return FALSE;
  if ((y = pool_output (&s, REL_DTYPE_FLOAT32, error)) == NULL)
    return FALSE;
  tap_table_init (&taps, &s.g);
  job = (PoolJob) { .s = &s, .p = p, .x = rel_tensor_f32 (inputs[0]), .y = rel_tensor_f32 (y), .taps = &taps };
  rel_parallel_run (ctx ? ctx->n_threads : 1, y->numel * s.g.kernel[0] * s.g.kernel[1],
                    avgpool_part, &job);
  tap_table_clear (&taps);
  outputs[0] = g_steal_pointer (&y);
  return TRUE;
}

static gboolean
avgpool_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                  const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                  const RelContext *ctx, GError **error)
{
  const PoolParams *p = node->params;
  PoolShape s;
  g_autoptr(RelTensor) dx = NULL;
  PoolJob job;
  TapTable taps;

  if (!need[0])
    return TRUE;
  if (!pool_shape (p, "AveragePool", inputs[0], &s, error)
      || !check_grad (grad_output, s.n * s.c * s.out_plane, "AveragePool", error))
    return FALSE;
  if ((dx = rel_tensor_new_like (inputs[0], error)) == NULL)
    return FALSE;
  tap_table_init (&taps, &s.g);
  job = (PoolJob) { .s = &s, .p = p, .dy = rel_tensor_f32 (grad_output), .dx = rel_tensor_f32 (dx), .taps = &taps };
  rel_parallel_run (ctx ? ctx->n_threads : 1, grad_output->numel * s.g.kernel[0] * s.g.kernel[1],
                    avgpool_part, &job);
  tap_table_clear (&taps);
  grad_inputs[0] = g_steal_pointer (&dx);
  return TRUE;
}

/* ---- GlobalAveragePool, GlobalMaxPool ---- */

static gboolean
global_shape (const RelTensor *x, const char *what, int64_t *planes, int64_t *plane, int64_t *out_shape,
              GError **error)
{
  if (x->dtype != REL_DTYPE_FLOAT32 || x->ndim < 3)
    {
      g_autofree char *xs = rel_tensor_shape_string (x);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s needs a float32 N×C×… input, got %s", what, xs);
      return FALSE;
    }
  *planes = x->shape[0] * x->shape[1];
  *plane = 1;
  for (int d = 0; d < x->ndim; d++)
    {
      out_shape[d] = d < 2 ? x->shape[d] : 1;
      if (d >= 2)
        *plane *= x->shape[d];
    }
  if (*plane == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s of an empty spatial extent", what);
      return FALSE;
    }
  return TRUE;
}

static gboolean
global_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs, gboolean is_max,
                GError **error)
{
  const RelTensor *x = inputs[0];
  int64_t planes, plane, shape[REL_MAX_DIMS];
  RelTensor *y;
  const float *xd;
  float *yd;

  if (!global_shape (x, node->op_type, &planes, &plane, shape, error))
    return FALSE;
  if ((y = rel_tensor_new_f32 (x->ndim, shape, error)) == NULL)
    return FALSE;
  xd = rel_tensor_f32 (x);
  yd = rel_tensor_f32 (y);
  for (int64_t p = 0; p < planes; p++)
    {
      const float *xp = xd + p * plane;
      if (is_max)
        {
          float best = xp[0];
          for (int64_t i = 1; i < plane; i++)
            if (xp[i] > best)
              best = xp[i];
          yd[p] = best;
        }
      else
        {
          double acc = 0.0;
          for (int64_t i = 0; i < plane; i++)
            acc += xp[i];
          yd[p] = (float) (acc / (double) plane);
        }
    }
  outputs[0] = y;
  return TRUE;
}

static gboolean
global_backward (const RelNode *node, RelTensor *const *inputs, const RelTensor *grad_output,
                 RelTensor **grad_inputs, const gboolean *need, gboolean is_max, GError **error)
{
  const RelTensor *x = inputs[0];
  int64_t planes, plane, shape[REL_MAX_DIMS];
  RelTensor *dx;
  const float *xd, *dy;
  float *dxd;

  if (!need[0])
    return TRUE;
  if (!global_shape (x, node->op_type, &planes, &plane, shape, error)
      || !check_grad (grad_output, planes, node->op_type, error))
    return FALSE;
  if ((dx = rel_tensor_new_like (x, error)) == NULL)
    return FALSE;
  xd = rel_tensor_f32 (x);
  dy = rel_tensor_f32 (grad_output);
  dxd = rel_tensor_f32 (dx);
  for (int64_t p = 0; p < planes; p++)
    {
      const float *xp = xd + p * plane;
      float *dxp = dxd + p * plane;
      if (is_max)
        {
          int64_t at = 0;
          for (int64_t i = 1; i < plane; i++)
            if (xp[i] > xp[at])
              at = i;
          dxp[at] = dy[p];
        }
      else
        {
          float v = dy[p] / (float) plane;
          for (int64_t i = 0; i < plane; i++)
            dxp[i] = v;
        }
    }
  grad_inputs[0] = dx;
  return TRUE;
}

static gboolean
gap_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
             const RelContext *ctx, GError **error)
{
  return global_forward (node, inputs, outputs, FALSE, error);
}

static gboolean
gmp_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
             const RelContext *ctx, GError **error)
{
  return global_forward (node, inputs, outputs, TRUE, error);
}

static gboolean
gap_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
              const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
              const RelContext *ctx, GError **error)
{
  return global_backward (node, inputs, grad_output, grad_inputs, need, FALSE, error);
}

static gboolean
gmp_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
              const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
              const RelContext *ctx, GError **error)
{
  return global_backward (node, inputs, grad_output, grad_inputs, need, TRUE, error);
}

const RelOpDef rel_ops_pool[] = {
  { REL_OP_MAX_POOL, "MaxPool",            1, 1, 2, REL_OP_CLASS_ROUTE, pool_prepare,      maxpool_forward,   maxpool_backward,   NULL,
    .flags = REL_OP_WINDOW, .window_pad = REL_OP_PAD_NEG_INF },
  { REL_OP_AVERAGE_POOL, "AveragePool",        1, 1, 1, REL_OP_CLASS_MIX,   pool_prepare,      avgpool_forward,   avgpool_backward,   NULL,
    .flags = REL_OP_WINDOW | REL_OP_AFFINE_ANY, .window_pad = REL_OP_PAD_OWN },
  { REL_OP_GLOBAL_MAX_POOL, "GlobalMaxPool",      1, 1, 1, REL_OP_CLASS_ROUTE, NULL,              gmp_forward,       gmp_backward,       NULL },
  { REL_OP_GLOBAL_AVERAGE_POOL, "GlobalAveragePool",  1, 1, 1, REL_OP_CLASS_MIX,   NULL,              gap_forward,       gap_backward,       NULL,
    .flags = REL_OP_AFFINE_ANY },
  { REL_OP_COUNT, NULL },
};
REL_OP_TABLE_CHECK (rel_ops_pool, REL_OPS_LINEAR_END, REL_OPS_POOL_END);
