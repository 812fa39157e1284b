/* test-ops-linear.c — Conv, Gemm, MatMul, the pools and BatchNormalization
 * against naive double-precision references over grids of attributes, and
 * their backward passes against finite differences.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "grad-check.h"
#include "rel-blas.h"
#include "rel-error.h"

#include <math.h>
#include <string.h>

/* ---- helpers ---- */

static RelTensor *
random_tensor (GRand *rand, int ndim, const int64_t *shape, float lo, float hi)
{
  g_autoptr(GError) error = NULL;
  RelTensor *t = rel_tensor_new_f32 (ndim, shape, &error);
  g_assert_no_error (error);
  grad_check_fill_uniform (t, rand, lo, hi);
  return t;
}

/* Compares @got with the double reference elementwise. */
static void
assert_close (const RelTensor *got, int ndim, const int64_t *shape, const double *want, double tol,
              const char *what)
{
  g_assert_cmpint (got->ndim, ==, ndim);
  for (int d = 0; d < ndim; d++)
    if (got->shape[d] != shape[d])
      g_error ("%s: output dim %d is %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT,
               what, d, got->shape[d], shape[d]);
  for (int64_t i = 0; i < got->numel; i++)
    {
      double g = rel_tensor_f32 (got)[i];
      if (fabs (g - want[i]) > tol * (1.0 + fabs (want[i])))
        g_error ("%s: element %" G_GINT64_FORMAT " is %.7g, expected %.7g", what, i, g, want[i]);
    }
}

static void
assert_grad_ok (RelNode *node, RelTensor *const *inputs, const gboolean *check,
                const GradCheckOptions *opts, const char *what)
{
  g_autoptr(GError) error = NULL;
  GradCheckResult r;

  if (!grad_check_run (node, inputs, check, opts, &r, &error))
    g_error ("%s: %s", what, error->message);
  /* something must actually have been compared */
  g_assert_cmpint (r.n_checked, >, 0);
  g_assert_cmpint (r.n_checked, >=, r.n_skipped);
}

/* The ONNX output size and begin padding of one spatial axis. */
static void
ref_axis (int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe, const char *auto_pad,
          gboolean ceil_mode, int64_t *out, int64_t *pad_b, int64_t *pad_e)
{
  int64_t ek = (k - 1) * d + 1;

  if (strcmp (auto_pad, "SAME_UPPER") == 0 || strcmp (auto_pad, "SAME_LOWER") == 0)
    {
      int64_t o = (in + s - 1) / s;
      int64_t total = MAX (0, (o - 1) * s + ek - in);
      *out = o;
      *pad_b = strcmp (auto_pad, "SAME_UPPER") == 0 ? total / 2 : (total + 1) / 2;
      *pad_e = total - *pad_b;
      return;
    }
  if (strcmp (auto_pad, "VALID") == 0)
    {
      /* no ceil variant in the spec's VALID formula */
      pb = pe = 0;
      ceil_mode = FALSE;
    }
  *pad_b = pb;
  *pad_e = pe;
  if (ceil_mode)
    {
      double o = ceil ((double) (in + pb + pe - ek) / (double) s) + 1;
      /* the last window must start inside the input or its left padding */
      if ((o - 1) * s >= in + pb)
        o -= 1;
      *out = (int64_t) o;
    }
  else
    *out = (int64_t) floor ((double) (in + pb + pe - ek) / (double) s) + 1;
}

typedef struct {
  int nd;                  /* 1 or 2 */
  int64_t n, c, h, w;      /* h ignored for 1-D */
  int64_t k[2], s[2], d[2], pb[2], pe[2];
  const char *auto_pad;
  gboolean ceil_mode;
  gboolean set_kernel;     /* Conv: also give kernel_shape */
} WindowCase;

static void
set_window_attrs (RelNode *node, const WindowCase *wc)
{
  int nd = wc->nd, off = 2 - nd;
  int64_t k[2], s[2], d[2], pads[4];

  for (int i = 0; i < nd; i++)
    {
      k[i] = wc->k[off + i];
      s[i] = wc->s[off + i];
      d[i] = wc->d[off + i];
      pads[i] = wc->pb[off + i];
      pads[nd + i] = wc->pe[off + i];
    }
  if (wc->set_kernel)
    grad_check_node_set_ints (node, "kernel_shape", k, nd);
  grad_check_node_set_ints (node, "strides", s, nd);
  grad_check_node_set_ints (node, "dilations", d, nd);
  if (strcmp (wc->auto_pad, "NOTSET") == 0)
    grad_check_node_set_ints (node, "pads", pads, 2 * nd);
  else
    grad_check_node_set_string (node, "auto_pad", wc->auto_pad);
  if (wc->ceil_mode)
    grad_check_node_set_int (node, "ceil_mode", 1);
}

/* Output shape and per-axis geometry of a window case (2-D layout). */
static int
ref_window (const WindowCase *wc, int64_t ch, int64_t out[2], int64_t pb[2], int64_t pe[2], int64_t *shape)
{
  int64_t in[2] = { wc->nd == 2 ? wc->h : 1, wc->w };
  for (int a = 0; a < 2; a++)
    {
      if (a == 0 && wc->nd == 1)
        {
          out[0] = 1;
          pb[0] = pe[0] = 0;
          continue;
        }
      ref_axis (in[a], wc->k[a], wc->s[a], wc->d[a], wc->pb[a], wc->pe[a], wc->auto_pad, wc->ceil_mode,
                &out[a], &pb[a], &pe[a]);
    }
  shape[0] = wc->n;
  shape[1] = ch;
  if (wc->nd == 2)
    {
      shape[2] = out[0];
      shape[3] = out[1];
      return 4;
    }
  shape[2] = out[1];
  return 3;
}

static int
input_shape (const WindowCase *wc, int64_t *shape)
{
  shape[0] = wc->n;
  shape[1] = wc->c;
  if (wc->nd == 2)
    {
      shape[2] = wc->h;
      shape[3] = wc->w;
      return 4;
    }
  shape[2] = wc->w;
  return 3;
}

/* ---- Conv ---- */

static double *
ref_conv (const WindowCase *wc, int64_t m, int64_t group, const float *x, const float *w, const float *b,
          int64_t out[2], int64_t *shape, int *ndim)
{
  int64_t pb[2], pe[2];
  int64_t H = wc->nd == 2 ? wc->h : 1, W = wc->w;
  int64_t cg = wc->c / group, mg = m / group;
  double *y;

  *ndim = ref_window (wc, m, out, pb, pe, shape);
  y = g_new0 (double, (gsize) (wc->n * m * out[0] * out[1]));
  for (int64_t n = 0; n < wc->n; n++)
    for (int64_t o = 0; o < m; o++)
      for (int64_t oh = 0; oh < out[0]; oh++)
        for (int64_t ow = 0; ow < out[1]; ow++)
          {
            int64_t g = o / mg;
            double acc = b ? b[o] : 0.0;
            for (int64_t ci = 0; ci < cg; ci++)
              for (int64_t ki = 0; ki < wc->k[0]; ki++)
                for (int64_t kj = 0; kj < wc->k[1]; kj++)
                  {
                    int64_t ih = oh * wc->s[0] - pb[0] + ki * wc->d[0];
                    int64_t iw = ow * wc->s[1] - pb[1] + kj * wc->d[1];
                    if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                      continue;
                    acc += (double) x[((n * wc->c + g * cg + ci) * H + ih) * W + iw]
                           * w[((o * cg + ci) * wc->k[0] + ki) * wc->k[1] + kj];
                  }
            y[((n * m + o) * out[0] + oh) * out[1] + ow] = acc;
          }
  return y;
}

static void
run_conv_case (GRand *rand, const WindowCase *wc, int64_t m, int64_t group, gboolean bias, gboolean grads)
{
  g_autoptr(GError) error = NULL;
  RelNode *node = grad_check_node_new ("Conv", bias ? 3 : 2, 1);
  int64_t xs[4], ws[4], bs[1] = { m }, out[2], ys[4];
  int xnd = input_shape (wc, xs), ynd;
  g_autoptr(RelTensor) x = NULL;
  g_autoptr(RelTensor) w = NULL;
  g_autoptr(RelTensor) b = NULL;
  g_autoptr(RelTensor) y = NULL;
  g_autofree double *want = NULL;
  g_autofree char *what = g_strdup_printf ("Conv %dD n%" G_GINT64_FORMAT " c%" G_GINT64_FORMAT " m%"
                                           G_GINT64_FORMAT " g%" G_GINT64_FORMAT " k%" G_GINT64_FORMAT "x%"
                                           G_GINT64_FORMAT " s%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                                           " d%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " %s",
                                           wc->nd, wc->n, wc->c, m, group, wc->k[0], wc->k[1],
                                           wc->s[0], wc->s[1], wc->d[0], wc->d[1], wc->auto_pad);
  RelTensor *inputs[3];

  ws[0] = m;
  ws[1] = wc->c / group;
  if (wc->nd == 2)
    {
      ws[2] = wc->k[0];
      ws[3] = wc->k[1];
    }
  else
    ws[2] = wc->k[1];
  x = random_tensor (rand, xnd, xs, -1.f, 1.f);
  w = random_tensor (rand, xnd, ws, -1.f, 1.f);
  if (bias)
    b = random_tensor (rand, 1, bs, -1.f, 1.f);
  inputs[0] = x;
  inputs[1] = w;
  inputs[2] = b;
  set_window_attrs (node, wc);
  if (group != 1)
    grad_check_node_set_int (node, "group", group);

  y = grad_check_forward (node, inputs, &error);
  g_assert_no_error (error);
  want = ref_conv (wc, m, group, rel_tensor_f32 (x), rel_tensor_f32 (w), b ? rel_tensor_f32 (b) : NULL,
                   out, ys, &ynd);
  assert_close (y, ynd, ys, want, 1e-4, what);

  /* Conv is bilinear in (x, w) plus b, so for any cotangent g:
   * ⟨y, g⟩ = ⟨x, dx⟩ + ⟨b, db⟩ = ⟨w, dw⟩ + ⟨b, db⟩. Checks the backward on
   * every size, including the large multi-band and multi-thread ones. */
  {
    g_autoptr(RelTensor) g = rel_tensor_new_like (y, &error);
    RelTensor *gin[3] = { NULL, NULL, NULL };
    gboolean need[3] = { TRUE, TRUE, bias };
    RelTensor *outs[1] = { y };
    RelContext ctx = { .n_threads = 2 };
    double yg = 0, xdx = 0, wdw = 0, bdb = 0, scale = 0;

    grad_check_fill_uniform (g, rand, -1.f, 1.f);
    g_assert_true (node->op->backward (node, inputs, outs, g, gin, need, &ctx, &error));
    g_assert_no_error (error);
    for (int64_t i = 0; i < y->numel; i++)
      {
        yg += (double) rel_tensor_f32 (y)[i] * rel_tensor_f32 (g)[i];
        scale += fabs ((double) rel_tensor_f32 (y)[i] * rel_tensor_f32 (g)[i]);
      }
    for (int64_t i = 0; i < x->numel; i++)
      xdx += (double) rel_tensor_f32 (x)[i] * rel_tensor_f32 (gin[0])[i];
    for (int64_t i = 0; i < w->numel; i++)
      wdw += (double) rel_tensor_f32 (w)[i] * rel_tensor_f32 (gin[1])[i];
    for (int64_t i = 0; bias && i < b->numel; i++)
      bdb += (double) rel_tensor_f32 (b)[i] * rel_tensor_f32 (gin[2])[i];
    if (fabs (yg - xdx - bdb) > 1e-4 * (scale + 1) || fabs (yg - wdw - bdb) > 1e-4 * (scale + 1))
      g_error ("%s: adjoint identity fails: <y,g> %.8g, <x,dx>+<b,db> %.8g, <w,dw>+<b,db> %.8g",
               what, yg, xdx + bdb, wdw + bdb);
    for (int i = 0; i < 3; i++)
      if (gin[i])
        rel_tensor_unref (gin[i]);
  }

  if (grads)
    {
      gboolean check[3] = { TRUE, TRUE, TRUE };
      assert_grad_ok (node, inputs, check, NULL, what);
    }
  grad_check_node_free (node);
}

static WindowCase
wcase (int nd, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw)
{
  WindowCase wc = { .nd = nd, .n = n, .c = c, .h = h, .w = w, .auto_pad = "NOTSET" };
  wc.k[0] = nd == 2 ? kh : 1;
  wc.k[1] = kw;
  for (int a = 0; a < 2; a++)
    wc.s[a] = wc.d[a] = 1;
  return wc;
}

static void
test_conv_forward_grid (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  const char *autos[] = { "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID" };
  /* (c, m, group): dense, grouped, depthwise, depthwise with multiplier */
  const int64_t groups[][3] = { { 3, 4, 1 }, { 4, 6, 2 }, { 4, 4, 4 }, { 3, 6, 3 } };
  int n_cases = 0;

  for (int nd = 1; nd <= 2; nd++)
    for (gsize gi = 0; gi < G_N_ELEMENTS (groups); gi++)
      for (int k = 1; k <= 3; k += 2)
        for (int s = 1; s <= 2; s++)
          for (int d = 1; d <= 2; d++)
            for (gsize a = 0; a < G_N_ELEMENTS (autos); a++)
              {
                /* batch 2 stacks both images into one GEMM, batch 1 runs the row-band path */
                WindowCase wc = wcase (nd, 1 + (a + d) % 2, groups[gi][0], 7, 8, k, k == 3 ? 2 : 1);
                wc.s[0] = nd == 2 ? s : 1;
                wc.s[1] = s;
                wc.d[0] = nd == 2 ? d : 1;
                wc.d[1] = d;
                wc.auto_pad = autos[a];
                /* asymmetric explicit pads */
                wc.pb[0] = nd == 2 ? (k == 3 ? 1 : 0) : 0;
                wc.pb[1] = k == 3 ? 2 : 1;
                wc.pe[0] = nd == 2 ? 2 : 0;
                wc.pe[1] = 0;
                wc.set_kernel = (a % 2) == 0;
                run_conv_case (rand, &wc, groups[gi][1], groups[gi][2], (a + s) % 2 == 0, FALSE);
                n_cases++;
              }
  g_assert_cmpint (n_cases, ==, 2 * 4 * 2 * 2 * 2 * 4);
}

static void
test_conv_paths (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  /* 1×1 stride 1 unpadded: the direct-GEMM path */
  WindowCase pw = wcase (2, 2, 5, 6, 7, 1, 1);
  /* several im2col bands: kk·OW·rows beyond the band size */
  WindowCase big = wcase (2, 1, 64, 30, 70, 3, 3);
  /* strided with a stride-2 band */
  WindowCase strided = wcase (2, 1, 40, 33, 65, 3, 3);

  run_conv_case (rand, &pw, 8, 1, TRUE, TRUE);
  pw.n = 1;
  run_conv_case (rand, &pw, 8, 1, TRUE, TRUE);
  /* batch 2 with planes too big to stack: per-image bands */
  {
    WindowCase wide = wcase (2, 2, 3, 34, 33, 3, 3);
    wide.pb[0] = wide.pb[1] = wide.pe[0] = wide.pe[1] = 1;
    run_conv_case (rand, &wide, 4, 1, TRUE, FALSE);
    wide.n = 1;
    wide.c = 2;
    wide.h = 33;
    run_conv_case (rand, &wide, 2, 1, TRUE, TRUE);
  }
  big.pb[0] = big.pb[1] = big.pe[0] = big.pe[1] = 1;
  run_conv_case (rand, &big, 16, 1, TRUE, FALSE);
  strided.s[0] = strided.s[1] = 2;
  strided.pb[0] = strided.pb[1] = 1;
  run_conv_case (rand, &strided, 24, 2, FALSE, FALSE);
}

/* 3×3 stride-1 convolutions with ≥ 16 channels take the Winograd F(2×2, 3×3)
 * path (weights transformed per call here: the node has no model constant).
 * Odd sizes leave half-covered tiles, pads 0–2 on either side move the tiles
 * against the input, and the big batch splits into chunks that cross image
 * boundaries; the adjoint identity checks the input gradient, which runs the
 * same path with the flipped kernel. */
static void
test_conv_winograd (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  const int64_t pads[][4] = { { 1, 1, 1, 1 }, { 0, 0, 0, 0 }, { 2, 0, 0, 2 }, { 2, 2, 1, 1 }, { 0, 1, 2, 0 } };

  for (gsize i = 0; i < G_N_ELEMENTS (pads); i++)
    {
      WindowCase wc = wcase (2, 4, 16, 9 + (int64_t) i, 12 - (int64_t) i, 3, 3);
      wc.pb[0] = pads[i][0];
      wc.pb[1] = pads[i][1];
      wc.pe[0] = pads[i][2];
      wc.pe[1] = pads[i][3];
      wc.set_kernel = i % 2 == 0;
      run_conv_case (rand, &wc, 24, 1, i % 2 == 1, i < 2);
    }
  {
    WindowCase big = wcase (2, 5, 32, 41, 40, 3, 3);
    big.pb[0] = big.pb[1] = big.pe[0] = big.pe[1] = 1;
    run_conv_case (rand, &big, 48, 1, TRUE, FALSE);
  }
}

/* max |got − want| / max |want|. */
static double
rel_max_error (const float *got, const double *want, int64_t n)
{
  double diff = 0, ref = 0;
  for (int64_t i = 0; i < n; i++)
    {
      g_assert_true (isfinite (got[i]));
      diff = MAX (diff, fabs (got[i] - want[i]));
      ref = MAX (ref, fabs (want[i]));
    }
  g_assert_cmpfloat (ref, >, 0);
  return diff / ref;
}

/* A 3×3 stride-1 Conv's forward and input gradient against double-precision
 * direct sums, by relative error. n·⌈oh/4⌉·⌈ow/4⌉ ≥ 48 tiles take
 * F(4×4, 3×3), fewer F(2×2); both have to stay far inside 1e-4 (measured
 * ≤ 2.9e-6 for F(4×4) here, ≤ 6.6e-7 for F(2×2)): a wrong transform entry
 * or a tile written one position off is off by O(1). */
static void
check_winograd_case (GRand *rand, int64_t n, int64_t c, int64_t m, int64_t h, int64_t w, const int64_t pads[4],
                     gboolean bias, gboolean own_threads)
{
  g_autoptr(GError) error = NULL;
  WindowCase wc = wcase (2, n, c, h, w, 3, 3);
  RelNode *node = grad_check_node_new ("Conv", bias ? 3 : 2, 1);
  int64_t xs[4] = { n, c, h, w }, ws[4] = { m, c, 3, 3 }, bs[1] = { m }, out[2], ys[4];
  int ynd;
  g_autoptr(RelTensor) x = random_tensor (rand, 4, xs, -1.f, 1.f);
  g_autoptr(RelTensor) wt = random_tensor (rand, 4, ws, -1.f, 1.f);
  g_autoptr(RelTensor) b = bias ? random_tensor (rand, 1, bs, -1.f, 1.f) : NULL;
  g_autoptr(RelTensor) g = NULL;
  g_autofree double *want = NULL;
  g_autofree double *dx_want = NULL;
  RelTensor *inputs[3] = { x, wt, b }, *y = NULL, *gin[3] = { NULL, NULL, NULL };
  gboolean need[3] = { TRUE, FALSE, FALSE };
  RelContext ctx = { .n_threads = 2 };
  const float *xd = rel_tensor_f32 (x), *wd = rel_tensor_f32 (wt), *gd;
  double fwd_err, dx_err;

  for (int a = 0; a < 2; a++)
    {
      wc.pb[a] = pads[a];
      wc.pe[a] = pads[2 + a];
    }
  set_window_attrs (node, &wc);
  g_assert_true (grad_check_node_prepare (node, &error));
  g_assert_no_error (error);
  if (own_threads)
    rel_blas_single_begin ();
  g_assert_true (node->op->forward (node, inputs, &y, &ctx, &error));
  g_assert_no_error (error);
  want = ref_conv (&wc, m, 1, xd, wd, b ? rel_tensor_f32 (b) : NULL, out, ys, &ynd);
  g_assert_cmpint (y->numel, ==, n * m * out[0] * out[1]);
  fwd_err = rel_max_error (rel_tensor_f32 (y), want, y->numel);

  /* dx[n][c][ih][iw] = Σ dy[n][o][oh][ow]·w[o][c][ki][kj] over ih = oh − pb + ki */
  g = rel_tensor_new_like (y, &error);
  grad_check_fill_uniform (g, rand, -1.f, 1.f);
  gd = rel_tensor_f32 (g);
  dx_want = g_new0 (double, (gsize) x->numel);
  for (int64_t i = 0; i < n; i++)
    for (int64_t o = 0; o < m; o++)
      for (int64_t oh = 0; oh < out[0]; oh++)
        for (int64_t ow = 0; ow < out[1]; ow++)
          {
            double dy = gd[((i * m + o) * out[0] + oh) * out[1] + ow];
            for (int64_t ci = 0; ci < c; ci++)
              for (int ki = 0; ki < 3; ki++)
                for (int kj = 0; kj < 3; kj++)
                  {
                    int64_t ih = oh - pads[0] + ki, iw = ow - pads[1] + kj;
                    if (ih >= 0 && ih < h && iw >= 0 && iw < w)
                      dx_want[((i * c + ci) * h + ih) * w + iw] += dy * wd[((o * c + ci) * 3 + ki) * 3 + kj];
                  }
          }
  {
    RelTensor *outs[1] = { y };
    g_assert_true (node->op->backward (node, inputs, outs, g, gin, need, &ctx, &error));
    g_assert_no_error (error);
  }
  if (own_threads)
    rel_blas_single_end ();
  g_assert_nonnull (gin[0]);
  g_assert_null (gin[1]);
  dx_err = rel_max_error (rel_tensor_f32 (gin[0]), dx_want, x->numel);
  g_test_message ("Conv 3x3 n%" G_GINT64_FORMAT " c%" G_GINT64_FORMAT " m%" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                  "x%" G_GINT64_FORMAT " pads %" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT
                  ",%" G_GINT64_FORMAT " (%" G_GINT64_FORMAT " 4x4 tiles): forward %.2e, dx %.2e",
                  n, c, m, h, w, pads[0], pads[1], pads[2], pads[3],
                  n * ((out[0] + 3) / 4) * ((out[1] + 3) / 4), fwd_err, dx_err);
  g_assert_cmpfloat (fwd_err, <=, 1e-5);
  g_assert_cmpfloat (dx_err, <=, 1e-5);
  rel_tensor_unref (y);
  rel_tensor_unref (gin[0]);
  grad_check_node_free (node);
}

/* F(4×4, 3×3) and F(2×2, 3×3) side by side: output sizes odd and not
 * multiples of 4 (partial tiles on the right and bottom), pads 0, 1, 2 and
 * asymmetric (which move the tiles against the input, and give the input
 * gradient pads 2, 1, 0), batches > 1 whose chunks cross images, channel
 * counts that are not multiples of the GEMM blocks, and both ways of
 * splitting the work over threads. */
static void
test_conv_winograd_tiles (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (17);
  static const int64_t p1[4] = { 1, 1, 1, 1 }, p0[4] = { 0, 0, 0, 0 }, p2[4] = { 2, 2, 2, 2 };
  static const int64_t pa[4] = { 2, 0, 0, 2 }, pb[4] = { 0, 1, 2, 0 }, pc[4] = { 1, 2, 0, 1 };

  for (int own = 0; own <= 1; own++)
    {
      /* F(4×4): 8×7, 4×4·3, 6×6·2, 7×7·2, 4×4·4 and 10×10·2 tiles */
      check_winograd_case (rand, 1, 16, 24, 29, 27, p1, TRUE, own);
      check_winograd_case (rand, 3, 16, 17, 15, 18, p0, FALSE, own);
      check_winograd_case (rand, 2, 20, 16, 22, 21, p2, TRUE, own);
      check_winograd_case (rand, 2, 17, 19, 25, 26, pa, FALSE, own);
      check_winograd_case (rand, 4, 16, 16, 13, 14, pb, TRUE, own);
      check_winograd_case (rand, 2, 48, 40, 39, 37, pc, TRUE, own);
      /* F(2×2): 2×2·4, 3×4·2 and 4×4 tiles of 4 outputs */
      check_winograd_case (rand, 4, 16, 16, 7, 7, p1, TRUE, own);
      check_winograd_case (rand, 2, 24, 16, 9, 14, pa, FALSE, own);
      check_winograd_case (rand, 1, 32, 40, 14, 15, p1, TRUE, own);
    }
}

/* Inside the engine's passes BLAS runs single-threaded and the kernels
 * split the work themselves: Winograd by chunks of tile rows (or by
 * transform points when there are few), im2col GEMMs by slices of the
 * output. The same cases must hold there. */
static void
test_conv_own_threads (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (13);
  WindowCase few = wcase (2, 1, 32, 5, 60, 3, 3);
  WindowCase many = wcase (2, 3, 24, 23, 18, 3, 3);
  WindowCase im2col = wcase (2, 1, 40, 33, 65, 3, 3);

  rel_blas_single_begin ();
  g_assert_true (rel_blas_is_single ());
  few.pb[0] = few.pb[1] = few.pe[0] = few.pe[1] = 1;
  run_conv_case (rand, &few, 40, 1, TRUE, FALSE);
  many.pb[0] = 2;
  many.pe[1] = 1;
  run_conv_case (rand, &many, 32, 1, FALSE, FALSE);
  /* several chunks per thread */
  many = wcase (2, 5, 32, 41, 40, 3, 3);
  many.pb[0] = many.pb[1] = many.pe[0] = many.pe[1] = 1;
  run_conv_case (rand, &many, 48, 1, TRUE, FALSE);
  im2col.s[0] = im2col.s[1] = 2;
  im2col.pb[0] = im2col.pb[1] = 1;
  run_conv_case (rand, &im2col, 96, 1, TRUE, FALSE);
  rel_blas_single_end ();
  g_assert_false (rel_blas_is_single ());
}

static void
test_conv_backward (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  const int64_t groups[][3] = { { 3, 4, 1 }, { 4, 6, 2 }, { 4, 4, 4 }, { 2, 6, 2 } };

  for (gsize gi = 0; gi < G_N_ELEMENTS (groups); gi++)
    for (int variant = 0; variant < 4; variant++)
      {
        WindowCase wc = wcase (variant == 3 ? 1 : 2, 1 + variant % 2, groups[gi][0], 5, 6, 3, 2);
        if (variant == 1)
          {
            wc.s[0] = wc.s[1] = 2;
            wc.pb[0] = wc.pe[1] = 1;
          }
        if (variant == 2)
          {
            wc.d[0] = wc.d[1] = 2;
            wc.auto_pad = "SAME_LOWER";
          }
        if (variant == 3)
          {
            wc.pb[1] = 1;
            wc.pe[1] = 2;
            wc.s[1] = 2;
          }
        run_conv_case (rand, &wc, groups[gi][1], groups[gi][2], TRUE, TRUE);
      }
  /* a 1×1 with padding and stride takes the im2col path */
  {
    WindowCase wc = wcase (2, 1, 3, 4, 5, 1, 1);
    wc.pb[0] = wc.pe[1] = 1;
    wc.s[1] = 2;
    run_conv_case (rand, &wc, 2, 1, TRUE, TRUE);
  }
}

static void
test_conv_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  int64_t xs[4] = { 1, 4, 5, 5 }, ws[4] = { 2, 3, 3, 3 }, bs[1] = { 3 }, ws3[3] = { 2, 4, 3 };
  g_autoptr(RelTensor) x = random_tensor (rand, 4, xs, -1, 1);
  g_autoptr(RelTensor) w = random_tensor (rand, 4, ws, -1, 1);
  g_autoptr(RelTensor) w3 = random_tensor (rand, 3, ws3, -1, 1);
  g_autoptr(RelTensor) b = random_tensor (rand, 1, bs, -1, 1);
  RelNode *node = grad_check_node_new ("Conv", 3, 1);
  RelTensor *in1[3] = { x, w, NULL };
  RelTensor *in2[3] = { x, w3, NULL };
  RelTensor *y;
  int64_t big[1] = { 3 };

  y = grad_check_forward (node, in1, &error);
  g_assert_null (y);
  g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
  g_assert_cmpstr (error->message, ==, "Conv weight has 3 input channels but the input has 4");
  g_clear_error (&error);

  y = grad_check_forward (node, in2, &error);
  g_assert_null (y);
  g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
  g_clear_error (&error);

  /* bias of the wrong length */
  ws[1] = 4;
  {
    g_autoptr(RelTensor) w4 = random_tensor (rand, 4, ws, -1, 1);
    RelTensor *in3[3] = { x, w4, b };
    y = grad_check_forward (node, in3, &error);
    g_assert_null (y);
    g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
    g_assert_nonnull (strstr (error->message, "bias"));
    g_clear_error (&error);

    /* a kernel larger than the padded input */
    grad_check_node_set_ints (node, "dilations", (int64_t[]) { 3, 3 }, 2);
    in3[2] = NULL;
    y = grad_check_forward (node, in3, &error);
    g_assert_null (y);
    g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
    g_clear_error (&error);
  }

  /* 3-D kernels are refused at prepare */
  grad_check_node_set_ints (node, "kernel_shape", (int64_t[]) { 3, 3, 3 }, 3);
  g_assert_false (grad_check_node_prepare (node, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  grad_check_node_set_ints (node, "kernel_shape", big, 1);
  grad_check_node_set_int (node, "group", 0);
  g_assert_false (grad_check_node_prepare (node, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
  g_clear_error (&error);
  grad_check_node_set_int (node, "group", 1);
  grad_check_node_set_string (node, "auto_pad", "SAME_MIDDLE");
  g_assert_false (grad_check_node_prepare (node, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
  grad_check_node_free (node);
}

/* ---- Gemm ---- */

static void
test_gemm (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  int n_cases = 0;

  /* M = 1 (a batch-1 dense layer) takes the matrix-vector loops; K = 37
   * covers their 16-wide blocks and the remainder */
  for (int shape_case = 0; shape_case < 2; shape_case++)
  {
  const int64_t M = shape_case ? 1 : 3, K = shape_case ? 37 : 4, N = 5;
  /* C shapes: none, 0-d, [1], [N], [1,N], [M,1], [M,N] */
  const int c_nd[] = { -1, 0, 1, 1, 2, 2, 2 };
  const int64_t c_shape[][2] = { { 0, 0 }, { 0, 0 }, { 1, 0 }, { N, 0 }, { 1, N }, { M, 1 }, { M, N } };

  for (int ta = 0; ta <= 1; ta++)
    for (int tb = 0; tb <= 1; tb++)
      for (gsize ci = 0; ci < G_N_ELEMENTS (c_nd); ci++)
        {
          g_autoptr(GError) error = NULL;
          RelNode *node = grad_check_node_new ("Gemm", c_nd[ci] >= 0 ? 3 : 2, 1);
          int64_t as[2] = { ta ? K : M, ta ? M : K }, bs[2] = { tb ? N : K, tb ? K : N };
          g_autoptr(RelTensor) a = random_tensor (rand, 2, as, -1, 1);
          g_autoptr(RelTensor) b = random_tensor (rand, 2, bs, -1, 1);
          g_autoptr(RelTensor) c = c_nd[ci] >= 0 ? random_tensor (rand, c_nd[ci], c_shape[ci], -1, 1) : NULL;
          g_autoptr(RelTensor) y = NULL;
          RelTensor *inputs[3] = { a, b, c };
          gboolean check[3] = { TRUE, TRUE, c != NULL };
          double want[15];
          int64_t ys[2] = { M, N };
          float alpha = 0.5f + (float) ci * 0.25f, beta = ci % 2 ? -0.75f : 1.5f;
          const float *ad = rel_tensor_f32 (a), *bd = rel_tensor_f32 (b);

          grad_check_node_set_int (node, "transA", ta);
          grad_check_node_set_int (node, "transB", tb);
          grad_check_node_set_float (node, "alpha", alpha);
          grad_check_node_set_float (node, "beta", beta);
          for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++)
              {
                double acc = 0, cv = 0;
                for (int64_t k = 0; k < K; k++)
                  acc += (double) (ta ? ad[k * M + i] : ad[i * K + k]) * (tb ? bd[j * K + k] : bd[k * N + j]);
                if (c)
                  {
                    int64_t rows = c_nd[ci] == 2 ? c_shape[ci][0] : 1;
                    int64_t cols = c_nd[ci] == 0 ? 1 : c_shape[ci][c_nd[ci] - 1];
                    cv = rel_tensor_f32 (c)[(rows == 1 ? 0 : i) * cols + (cols == 1 ? 0 : j)];
                  }
                want[i * N + j] = alpha * acc + beta * cv;
              }
          y = grad_check_forward (node, inputs, &error);
          g_assert_no_error (error);
          assert_close (y, 2, ys, want, 1e-5, "Gemm");
          assert_grad_ok (node, inputs, check, NULL, "Gemm backward");
          grad_check_node_free (node);
          n_cases++;
        }
  }
  g_assert_cmpint (n_cases, ==, 56);
}

static void
test_gemm_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  int64_t as[2] = { 2, 3 }, bs[2] = { 4, 5 }, cs[2] = { 3, 5 };
  g_autoptr(RelTensor) a = random_tensor (rand, 2, as, -1, 1);
  g_autoptr(RelTensor) b = random_tensor (rand, 2, bs, -1, 1);
  g_autoptr(RelTensor) c = random_tensor (rand, 2, cs, -1, 1);
  RelNode *node = grad_check_node_new ("Gemm", 3, 1);
  RelTensor *inputs[3] = { a, b, NULL };

  g_assert_null (grad_check_forward (node, inputs, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
  g_clear_error (&error);
  bs[0] = 3;
  {
    g_autoptr(RelTensor) b2 = random_tensor (rand, 2, bs, -1, 1);
    RelTensor *in2[3] = { a, b2, c };
    g_assert_null (grad_check_forward (node, in2, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
    g_assert_nonnull (strstr (error->message, "broadcast"));
  }
  grad_check_node_free (node);
}

/* ---- MatMul ---- */

static void
run_matmul (GRand *rand, int an, const int64_t *as, int bn, const int64_t *bs, int yn, const int64_t *ys)
{
  g_autoptr(GError) error = NULL;
  RelNode *node = grad_check_node_new ("MatMul", 2, 1);
  g_autoptr(RelTensor) a = random_tensor (rand, an, as, -1, 1);
  g_autoptr(RelTensor) b = random_tensor (rand, bn, bs, -1, 1);
  g_autoptr(RelTensor) y = NULL;
  RelTensor *inputs[2] = { a, b };
  gboolean check[2] = { TRUE, TRUE };
  int64_t m = an == 1 ? 1 : as[an - 2], k = as[an - 1], n = bn == 1 ? 1 : bs[bn - 1];
  int nb = MAX (an, bn) - 2;
  int64_t batch[REL_MAX_DIMS], n_batch = 1;
  g_autofree double *want = NULL;

  /* broadcast batch shape, right-aligned */
  nb = MAX (nb, 0);
  for (int i = 0; i < nb; i++)
    {
      int ai = i - (nb - MAX (an - 2, 0)), bi = i - (nb - MAX (bn - 2, 0));
      int64_t da = ai >= 0 ? as[ai] : 1, db = bi >= 0 ? bs[bi] : 1;
      batch[i] = MAX (da, db);
      n_batch *= batch[i];
    }
  want = g_new0 (double, (gsize) (n_batch * m * n));
  for (int64_t t = 0; t < n_batch; t++)
    {
      int64_t rem = t, aoff = 0, boff = 0, astr = m * k, bstr = k * n;
      for (int i = nb - 1; i >= 0; i--)
        {
          int ai = i - (nb - MAX (an - 2, 0)), bi = i - (nb - MAX (bn - 2, 0));
          int64_t idx = rem % batch[i];
          rem /= batch[i];
          if (ai >= 0)
            {
              aoff += (as[ai] == 1 ? 0 : idx) * astr;
              astr *= as[ai];
            }
          if (bi >= 0)
            {
              boff += (bs[bi] == 1 ? 0 : idx) * bstr;
              bstr *= bs[bi];
            }
        }
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++)
          {
            double acc = 0;
            for (int64_t q = 0; q < k; q++)
              acc += (double) rel_tensor_f32 (a)[aoff + i * k + q] * rel_tensor_f32 (b)[boff + q * n + j];
            want[(t * m + i) * n + j] = acc;
          }
    }
  y = grad_check_forward (node, inputs, &error);
  g_assert_no_error (error);
  assert_close (y, yn, ys, want, 1e-5, "MatMul");
  assert_grad_ok (node, inputs, check, NULL, "MatMul backward");
  grad_check_node_free (node);
}

static void
test_matmul (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);

  run_matmul (rand, 2, (int64_t[]) { 3, 4 }, 2, (int64_t[]) { 4, 5 }, 2, (int64_t[]) { 3, 5 });
  run_matmul (rand, 3, (int64_t[]) { 2, 3, 4 }, 2, (int64_t[]) { 4, 5 }, 3, (int64_t[]) { 2, 3, 5 });
  run_matmul (rand, 3, (int64_t[]) { 2, 3, 4 }, 3, (int64_t[]) { 2, 4, 5 }, 3, (int64_t[]) { 2, 3, 5 });
  run_matmul (rand, 4, (int64_t[]) { 2, 1, 3, 4 }, 3, (int64_t[]) { 3, 4, 2 }, 4, (int64_t[]) { 2, 3, 3, 2 });
  run_matmul (rand, 2, (int64_t[]) { 3, 4 }, 3, (int64_t[]) { 2, 4, 5 }, 3, (int64_t[]) { 2, 3, 5 });
  run_matmul (rand, 1, (int64_t[]) { 4 }, 2, (int64_t[]) { 4, 5 }, 1, (int64_t[]) { 5 });
  run_matmul (rand, 2, (int64_t[]) { 1, 35 }, 2, (int64_t[]) { 35, 6 }, 2, (int64_t[]) { 1, 6 });
  run_matmul (rand, 2, (int64_t[]) { 3, 4 }, 1, (int64_t[]) { 4 }, 1, (int64_t[]) { 3 });
  run_matmul (rand, 1, (int64_t[]) { 4 }, 1, (int64_t[]) { 4 }, 0, NULL);
  run_matmul (rand, 3, (int64_t[]) { 2, 3, 4 }, 1, (int64_t[]) { 4 }, 2, (int64_t[]) { 2, 3 });

  {
    g_autoptr(GError) error = NULL;
    RelNode *node = grad_check_node_new ("MatMul", 2, 1);
    g_autoptr(RelTensor) a = random_tensor (rand, 3, (int64_t[]) { 2, 3, 4 }, -1, 1);
    g_autoptr(RelTensor) b = random_tensor (rand, 3, (int64_t[]) { 3, 4, 5 }, -1, 1);
    RelTensor *inputs[2] = { a, b };
    g_assert_null (grad_check_forward (node, inputs, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
    grad_check_node_free (node);
  }
}

/* ---- pools ---- */

/* Reference pooling; @mode 0 max, 1 average, 2 average with count_include_pad.
 * For max, @arg gets the winner's flat input index. */
static double *
ref_pool (const WindowCase *wc, int mode, const float *x, int64_t *arg, int64_t out[2], int64_t *shape, int *ndim)
{
  int64_t pb[2], pe[2];
  int64_t H = wc->nd == 2 ? wc->h : 1, W = wc->w;
  double *y;

  *ndim = ref_window (wc, wc->c, out, pb, pe, shape);
  y = g_new0 (double, (gsize) (wc->n * wc->c * out[0] * out[1]));
  for (int64_t p = 0; p < wc->n * wc->c; p++)
    for (int64_t oh = 0; oh < out[0]; oh++)
      for (int64_t ow = 0; ow < out[1]; ow++)
        {
          double best = -INFINITY, sum = 0;
          int64_t best_at = -1, count = 0;
          for (int64_t ki = 0; ki < wc->k[0]; ki++)
            for (int64_t kj = 0; kj < wc->k[1]; kj++)
              {
                int64_t ih = oh * wc->s[0] - pb[0] + ki * wc->d[0];
                int64_t iw = ow * wc->s[1] - pb[1] + kj * wc->d[1];
                gboolean inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
                gboolean in_padded = ih >= -pb[0] && ih < H + pe[0] && iw >= -pb[1] && iw < W + pe[1];
                if (mode == 2 ? in_padded : inside)
                  count++;
                if (!inside)
                  continue;
                {
                  double v = x[(p * H + ih) * W + iw];
                  sum += v;
                  if (v > best)
                    {
                      best = v;
                      best_at = (p * H + ih) * W + iw;
                    }
                }
              }
          {
            int64_t o = (p * out[0] + oh) * out[1] + ow;
            y[o] = mode == 0 ? best : sum / (double) count;
            if (arg)
              arg[o] = best_at;
          }
        }
  return y;
}

static void
run_pool_case (GRand *rand, const WindowCase *wc, int mode, gboolean grads)
{
  g_autoptr(GError) error = NULL;
  RelNode *node = grad_check_node_new (mode == 0 ? "MaxPool" : "AveragePool", 1, mode == 0 ? 2 : 1);
  int64_t xs[4], out[2], ys[4];
  int xnd = input_shape (wc, xs), ynd;
  g_autoptr(RelTensor) x = random_tensor (rand, xnd, xs, -2.f, 2.f);
  g_autofree double *want = NULL;
  g_autofree int64_t *arg = NULL;
  RelTensor *inputs[1] = { x };
  RelTensor *outputs[2] = { NULL, NULL };
  RelContext ctx = { .n_threads = 2 };
  g_autofree char *what = g_strdup_printf ("%s %dD k%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " s%" G_GINT64_FORMAT
                                           "x%" G_GINT64_FORMAT " d%" G_GINT64_FORMAT " pads %" G_GINT64_FORMAT
                                           ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT
                                           " %s ceil %d", node->op_type, wc->nd, wc->k[0], wc->k[1],
                                           wc->s[0], wc->s[1], wc->d[1], wc->pb[0], wc->pb[1], wc->pe[0],
                                           wc->pe[1], wc->auto_pad, wc->ceil_mode);
  WindowCase k = *wc;

  k.set_kernel = TRUE;
  set_window_attrs (node, &k);
  if (mode == 2)
    grad_check_node_set_int (node, "count_include_pad", 1);
  g_assert_true (grad_check_node_prepare (node, &error));
  g_assert_no_error (error);
  arg = g_new0 (int64_t, (gsize) (wc->n * wc->c * (wc->h + 8) * (wc->w + 8)));
  want = ref_pool (wc, mode, rel_tensor_f32 (x), arg, out, ys, &ynd);
  g_assert_true (node->op->forward (node, inputs, outputs, &ctx, &error));
  g_assert_no_error (error);
  assert_close (outputs[0], ynd, ys, want, 1e-5, what);
  if (mode == 0)
    {
      g_assert_nonnull (outputs[1]);
      g_assert_cmpint (outputs[1]->dtype, ==, REL_DTYPE_INT64);
      for (int64_t i = 0; i < outputs[1]->numel; i++)
        g_assert_cmpint (rel_tensor_i64 (outputs[1])[i], ==, arg[i]);
      rel_tensor_unref (outputs[1]);
    }
  rel_tensor_unref (outputs[0]);
  if (grads)
    {
      gboolean check[1] = { TRUE };
      assert_grad_ok (node, inputs, check, NULL, what);
    }
  grad_check_node_free (node);
}

static void
test_pool_grid (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (17);
  const char *autos[] = { "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID" };
  int n_cases = 0;

  for (int mode = 0; mode < 3; mode++)
    for (int nd = 1; nd <= 2; nd++)
      for (int k = 2; k <= 3; k++)
        for (int s = 1; s <= 3; s++)
          for (int d = 1; d <= 2; d++)
            for (gsize a = 0; a < G_N_ELEMENTS (autos); a++)
              for (int ceil_mode = 0; ceil_mode <= 1; ceil_mode++)
                {
                  WindowCase wc = wcase (nd, 2, 3, 8, 9, k, k == 3 ? 2 : 3);
                  if (ceil_mode && (a == 1 || a == 2))
                    continue;
                  wc.s[0] = nd == 2 ? s : 1;
                  wc.s[1] = s;
                  wc.d[0] = nd == 2 ? d : 1;
                  wc.d[1] = d;
                  wc.auto_pad = autos[a];
                  wc.ceil_mode = ceil_mode;
                  if (s != 2)
                    {
                      wc.pb[0] = nd == 2 ? 1 : 0;
                      wc.pe[1] = 1;
                    }
                  /* small grids get a gradient check */
                  run_pool_case (rand, &wc, mode, s >= 2 && d == 1 && k == 3);
                  n_cases++;
                }
  g_assert_cmpint (n_cases, ==, 3 * 2 * 2 * 3 * 2 * 6);
}

/* MaxPool with 3-wide stride-2 windows runs 8 outputs at a time where a row
 * is wide enough (rel-ops-pool.c): forward values (a one-output node, the
 * inference path) and routed gradients (first maximum wins, so values are
 * quantised for ties) against the brute-force pool, over widths around the
 * vector blocks' edges, both column paddings, kernel heights 2 and 3 and
 * row strides 1 and 2. */
static void
test_maxpool_stride2_rows (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (31);
  int n_cases = 0;

  for (int64_t w = 17; w <= 45; w += 7)
    for (int pad = 0; pad <= 1; pad++)
      for (int kh = 2; kh <= 3; kh++)
        for (int sh = 1; sh <= 2; sh++)
          {
            g_autoptr(GError) error = NULL;
            RelNode *node = grad_check_node_new ("MaxPool", 1, 1);
            WindowCase wc = wcase (2, 2, 3, 11, w, kh, 3);
            int64_t xs[4], out[2], ys[4];
            int ynd;
            g_autoptr(RelTensor) x = NULL;
            g_autoptr(RelTensor) dy = NULL;
            g_autofree double *want = NULL;
            g_autofree int64_t *arg = NULL;
            g_autofree double *dx_want = NULL;
            RelTensor *inputs[1];
            RelTensor *outputs[1] = { NULL };
            RelTensor *grads[1] = { NULL };
            gboolean need[1] = { TRUE };
            RelContext ctx = { .n_threads = 2 };

            wc.s[0] = sh;
            wc.s[1] = 2;
            wc.pb[0] = wc.pb[1] = wc.pe[0] = wc.pe[1] = pad;
            wc.set_kernel = TRUE;
            input_shape (&wc, xs);
            x = random_tensor (rand, 4, xs, -2.f, 2.f);
            for (int64_t i = 0; i < x->numel; i++)  /* 9 levels: many ties */
              rel_tensor_f32 (x)[i] = roundf (rel_tensor_f32 (x)[i] * 2.f);
            inputs[0] = x;
            set_window_attrs (node, &wc);
            g_assert_true (grad_check_node_prepare (node, &error));
            arg = g_new0 (int64_t, (gsize) (wc.n * wc.c * (wc.h + 8) * (wc.w + 8)));
            want = ref_pool (&wc, 0, rel_tensor_f32 (x), arg, out, ys, &ynd);
            g_assert_true (node->op->forward (node, inputs, outputs, &ctx, &error));
            g_assert_no_error (error);
            assert_close (outputs[0], ynd, ys, want, 0, "MaxPool stride-2 rows");

            dy = random_tensor (rand, ynd, ys, -1.f, 1.f);
            dx_want = g_new0 (double, (gsize) x->numel);
            for (int64_t o = 0; o < dy->numel; o++)
              if (arg[o] >= 0)
                dx_want[arg[o]] += rel_tensor_f32 (dy)[o];
            g_assert_true (node->op->backward (node, inputs, outputs, dy, grads, need, &ctx, &error));
            g_assert_no_error (error);
            assert_close (grads[0], 4, xs, dx_want, 1e-6, "MaxPool stride-2 rows backward");
            rel_tensor_unref (grads[0]);
            rel_tensor_unref (outputs[0]);
            grad_check_node_free (node);
            n_cases++;
          }
  g_assert_cmpint (n_cases, ==, 5 * 2 * 2 * 2);
}

static void
test_maxpool_ties_and_storage_order (void)
{
  g_autoptr(GError) error = NULL;
  RelNode *node = grad_check_node_new ("MaxPool", 1, 2);
  int64_t xs[4] = { 1, 1, 2, 3 };
  float xv[6] = { 1, 5, 5, 5, 2, 0 };
  g_autoptr(RelTensor) x = rel_tensor_new_from_f32 (4, xs, xv, &error);
  RelTensor *inputs[1] = { x };
  RelTensor *outputs[2] = { NULL, NULL };
  RelTensor *grads[1] = { NULL };
  gboolean need[1] = { TRUE };
  g_autoptr(RelTensor) dy = NULL;
  RelContext ctx = { .n_threads = 1 };

  grad_check_node_set_ints (node, "kernel_shape", (int64_t[]) { 2, 2 }, 2);
  grad_check_node_set_int (node, "storage_order", 1);
  g_assert_true (grad_check_node_prepare (node, &error));
  g_assert_true (node->op->forward (node, inputs, outputs, &ctx, &error));
  g_assert_no_error (error);
  /* windows (cols 0-1) and (cols 1-2): first max in scan order is (0,1) in both */
  g_assert_cmpfloat (rel_tensor_f32 (outputs[0])[0], ==, 5.f);
  g_assert_cmpfloat (rel_tensor_f32 (outputs[0])[1], ==, 5.f);
  /* column-major index of (h=0, w=1) is w·H + h = 2 */
  g_assert_cmpint (rel_tensor_i64 (outputs[1])[0], ==, 2);
  g_assert_cmpint (rel_tensor_i64 (outputs[1])[1], ==, 2);
  dy = rel_tensor_new_like (outputs[0], &error);
  rel_tensor_f32 (dy)[0] = 1.f;
  rel_tensor_f32 (dy)[1] = 10.f;
  g_assert_true (node->op->backward (node, inputs, outputs, dy, grads, need, &ctx, &error));
  g_assert_no_error (error);
  /* both windows route to the same winner: gradients add */
  for (int i = 0; i < 6; i++)
    g_assert_cmpfloat (rel_tensor_f32 (grads[0])[i], ==, i == 1 ? 11.f : 0.f);
  rel_tensor_unref (grads[0]);
  rel_tensor_unref (outputs[0]);
  rel_tensor_unref (outputs[1]);
  grad_check_node_free (node);
}

static void
test_pool_errors (void)
{
  g_autoptr(GError) error = NULL;
  RelNode *node = grad_check_node_new ("MaxPool", 1, 1);
  g_autoptr(GRand) rand = g_rand_new_with_seed (2);
  g_autoptr(RelTensor) x5 = random_tensor (rand, 5, (int64_t[]) { 1, 1, 3, 3, 3 }, -1, 1);
  RelTensor *inputs[1] = { x5 };

  /* kernel_shape is required */
  g_assert_false (grad_check_node_prepare (node, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
  g_clear_error (&error);
  grad_check_node_set_ints (node, "kernel_shape", (int64_t[]) { 2, 2 }, 2);
  grad_check_node_set_ints (node, "strides", (int64_t[]) { 0, 1 }, 2);
  g_assert_false (grad_check_node_prepare (node, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
  g_clear_error (&error);
  grad_check_node_set_ints (node, "strides", (int64_t[]) { 1, 1, 1 }, 3);
  g_assert_false (grad_check_node_prepare (node, &error));
  g_clear_error (&error);
  grad_check_node_set_ints (node, "strides", (int64_t[]) { 1, 1 }, 2);
  g_assert_null (grad_check_forward (node, inputs, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
  grad_check_node_free (node);
}

static void
test_global_pools (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (23);
  const char *ops[] = { "GlobalAveragePool", "GlobalMaxPool" };

  for (int op = 0; op < 2; op++)
    for (int nd = 3; nd <= 5; nd++)
      {
        g_autoptr(GError) error = NULL;
        int64_t xs[5] = { 2, 3, 4, 5, 2 }, ys[5] = { 2, 3, 1, 1, 1 };
        g_autoptr(RelTensor) x = random_tensor (rand, nd, xs, -1, 1);
        g_autoptr(RelTensor) y = NULL;
        RelNode *node = grad_check_node_new (ops[op], 1, 1);
        RelTensor *inputs[1] = { x };
        gboolean check[1] = { TRUE };
        int64_t plane = x->numel / 6;
        double want[6];

        for (int p = 0; p < 6; p++)
          {
            double acc = 0, best = -INFINITY;
            for (int64_t i = 0; i < plane; i++)
              {
                double v = rel_tensor_f32 (x)[p * plane + i];
                acc += v;
                best = MAX (best, v);
              }
            want[p] = op == 0 ? acc / (double) plane : best;
          }
        y = grad_check_forward (node, inputs, &error);
        g_assert_no_error (error);
        assert_close (y, nd, ys, want, 1e-6, ops[op]);
        assert_grad_ok (node, inputs, check, NULL, ops[op]);
        grad_check_node_free (node);
      }
}

/* ---- BatchNormalization ---- */

static void
test_batchnorm (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (29);
  const int64_t C = 3;

  for (int nd = 2; nd <= 4; nd++)
    {
      g_autoptr(GError) error = NULL;
      int64_t xs[4] = { 2, C, 4, 3 }, cs[1] = { C };
      g_autoptr(RelTensor) x = random_tensor (rand, nd, xs, -2, 2);
      g_autoptr(RelTensor) scale = random_tensor (rand, 1, cs, 0.5f, 2);
      g_autoptr(RelTensor) bias = random_tensor (rand, 1, cs, -1, 1);
      g_autoptr(RelTensor) mean = random_tensor (rand, 1, cs, -1, 1);
      g_autoptr(RelTensor) var = random_tensor (rand, 1, cs, 0.5f, 2);
      g_autoptr(RelTensor) y = NULL;
      RelNode *node = grad_check_node_new ("BatchNormalization", 5, 1);
      RelTensor *inputs[5] = { x, scale, bias, mean, var };
      gboolean check[5] = { TRUE, TRUE, TRUE, TRUE, TRUE };
      g_autofree double *want = g_new (double, (gsize) x->numel);
      int64_t plane = x->numel / (2 * C);
      const float eps = 1e-3f;

      grad_check_node_set_float (node, "epsilon", eps);
      for (int64_t i = 0; i < x->numel; i++)
        {
          int64_t ch = (i / plane) % C;
          want[i] = (double) rel_tensor_f32 (scale)[ch] * (rel_tensor_f32 (x)[i] - rel_tensor_f32 (mean)[ch])
                    / sqrt ((double) rel_tensor_f32 (var)[ch] + eps) + rel_tensor_f32 (bias)[ch];
        }
      y = grad_check_forward (node, inputs, &error);
      g_assert_no_error (error);
      assert_close (y, nd, xs, want, 1e-5, "BatchNormalization");
      assert_grad_ok (node, inputs, check, NULL, "BatchNormalization backward");
      grad_check_node_free (node);
    }

  {
    g_autoptr(GError) error = NULL;
    RelNode *node = grad_check_node_new ("BatchNormalization", 5, 1);
    grad_check_node_set_int (node, "training_mode", 1);
    g_assert_false (grad_check_node_prepare (node, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    grad_check_node_free (node);
  }
}

static void
test_op_classes (void)
{
  g_assert_cmpint (rel_op_lookup ("Conv")->klass, ==, REL_OP_CLASS_LINEAR);
  g_assert_cmpint (rel_op_lookup ("Gemm")->klass, ==, REL_OP_CLASS_LINEAR);
  g_assert_cmpint (rel_op_lookup ("MatMul")->klass, ==, REL_OP_CLASS_LINEAR);
  g_assert_cmpint (rel_op_lookup ("MaxPool")->klass, ==, REL_OP_CLASS_ROUTE);
  g_assert_cmpint (rel_op_lookup ("GlobalMaxPool")->klass, ==, REL_OP_CLASS_ROUTE);
  g_assert_cmpint (rel_op_lookup ("AveragePool")->klass, ==, REL_OP_CLASS_MIX);
  g_assert_cmpint (rel_op_lookup ("GlobalAveragePool")->klass, ==, REL_OP_CLASS_MIX);
  g_assert_cmpint (rel_op_lookup ("BatchNormalization")->klass, ==, REL_OP_CLASS_NORM);
}

/* The checker itself must catch a wrong gradient: a fake backward that is off
 * by a factor fails. */
static gboolean
wrong_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                const RelContext *ctx, GError **error)
{
  if (!rel_op_lookup ("Gemm")->backward (node, inputs, outputs, grad_output, grad_inputs, need, ctx, error))
    return FALSE;
  if (grad_inputs[0])
    rel_tensor_f32 (grad_inputs[0])[0] *= 1.1f;
  return TRUE;
}

static void
test_grad_check_detects_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (31);
  RelNode *node = grad_check_node_new ("Gemm", 2, 1);
  RelOpDef fake = *node->op;
  g_autoptr(RelTensor) a = random_tensor (rand, 2, (int64_t[]) { 2, 3 }, 1, 2);
  g_autoptr(RelTensor) b = random_tensor (rand, 2, (int64_t[]) { 3, 2 }, 1, 2);
  RelTensor *inputs[2] = { a, b };
  gboolean check[2] = { TRUE, FALSE };
  GradCheckResult r;

  g_assert_true (grad_check_run (node, inputs, check, NULL, &r, &error));
  g_assert_cmpint (r.n_checked, ==, 6);
  g_assert_cmpfloat (r.max_rel_err, <, 1e-3);
  fake.backward = wrong_backward;
  node->op = &fake;
  g_assert_false (grad_check_run (node, inputs, check, NULL, &r, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_FAILED);
  node->op = rel_op_lookup ("Gemm");
  grad_check_node_free (node);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ops-linear/classes", test_op_classes);
  g_test_add_func ("/ops-linear/grad-check", test_grad_check_detects_errors);
  g_test_add_func ("/ops-linear/conv/forward-grid", test_conv_forward_grid);
  g_test_add_func ("/ops-linear/conv/paths", test_conv_paths);
  g_test_add_func ("/ops-linear/conv/backward", test_conv_backward);
  g_test_add_func ("/ops-linear/conv/winograd", test_conv_winograd);
  g_test_add_func ("/ops-linear/conv/winograd-tiles", test_conv_winograd_tiles);
  g_test_add_func ("/ops-linear/conv/own-threads", test_conv_own_threads);
  g_test_add_func ("/ops-linear/conv/errors", test_conv_errors);
  g_test_add_func ("/ops-linear/gemm", test_gemm);
  g_test_add_func ("/ops-linear/gemm/errors", test_gemm_errors);
  g_test_add_func ("/ops-linear/matmul", test_matmul);
  g_test_add_func ("/ops-linear/pool/grid", test_pool_grid);
  g_test_add_func ("/ops-linear/pool/maxpool-ties", test_maxpool_ties_and_storage_order);
  g_test_add_func ("/ops-linear/maxpool/stride2-rows", test_maxpool_stride2_rows);
  g_test_add_func ("/ops-linear/pool/errors", test_pool_errors);
  g_test_add_func ("/ops-linear/pool/global", test_global_pools);
  g_test_add_func ("/ops-linear/batchnorm", test_batchnorm);
  return g_test_run ();
}
