/* test-incremental.c — incremental evaluation (rel-incremental.h) against a
 * full forward pass per perturbed input: the fixture networks, random graphs
 * of strided/padded/dilated/grouped convolutions, pools with ceil mode and
 * both count_include_pad settings, BatchNormalization, element-wise ops and
 * residual Adds, windows at the borders and larger than the stride, with the
 * zero, mean and blur fills; chains of rectangles as pixel flipping runs
 * them; and torchvision's ResNet-18 and MobileNetV2:
 * the committed narrow ones (tests/fixtures/torchvision-small, 64×64) on
 * every run, the full-size ones when tests/fixtures/large exists.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-gradient.h"
#include "rel-incremental.h"
#include "rel-npy.h"
#include "rel-blur.h"
#include "fixture-util.h"

#include <math.h>
#include <string.h>

#define REL_TOL 1e-5

/* zero, mean or blur: what occlusion puts in the window */
static RelTensor *
make_fill (const RelTensor *x, int kind)
{
  g_autoptr(GError) error = NULL;
  RelTensor *t;

  if (kind == 1)
    t = rel_channel_mean (x, &error);
  else
    {
      t = rel_tensor_new_like (x, &error);
      if (kind == 2)
        rel_gaussian_blur (rel_tensor_f32 (x), rel_tensor_f32 (t), (int) x->shape[1], (int) x->shape[2],
                           (int) x->shape[3], 2.0);
    }
  g_assert_no_error (error);
  return t;
}

/* Occlusion's windows (Captum's grid, the last ones clipped). */
static int *
grid_rects (int h, int w, int window, int stride, int *n)
{
  int ny = window >= h ? 1 : (h - window + stride - 1) / stride + 1;
  int nx = window >= w ? 1 : (w - window + stride - 1) / stride + 1;
  int *r = g_new (int, (gsize) ny * nx * 4);

  for (int j = 0; j < ny * nx; j++)
    {
      r[j * 4] = (j / nx) * stride;
      r[j * 4 + 1] = (j % nx) * stride;
      r[j * 4 + 2] = MIN (r[j * 4] + window, h);
      r[j * 4 + 3] = MIN (r[j * 4 + 1] + window, w);
    }
  *n = ny * nx;
  return r;
}

/* One forward pass per perturbed input, stacked into n rows. */
static RelTensor *
brute_force (RelModel *m, const RelTensor *x, const RelTensor *fill, const int *rects, int n)
{
  int64_t C = x->shape[1], H = x->shape[2], W = x->shape[3];
  RelTensor *out = NULL;

  for (int i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RelTensor) p = rel_tensor_copy (x, &error);
      g_autoptr(RelActivations) acts = NULL;
      RelTensor *y;
      const int *r = rects + i * 4;

      for (int64_t c = 0; c < C; c++)
        for (int y0 = MAX (r[0], 0); y0 < MIN (r[2], H); y0++)
          for (int x0 = MAX (r[1], 0); x0 < MIN (r[3], W); x0++)
            rel_tensor_f32 (p)[(c * H + y0) * W + x0] = rel_tensor_f32 (fill)[(c * H + y0) * W + x0];
      acts = rel_model_forward (m, p, NULL, &error);
      g_assert_no_error (error);
      y = rel_activations_output (acts);
      if (out == NULL)
        {
          int64_t shape[REL_MAX_DIMS];
          memcpy (shape, y->shape, sizeof shape);
          shape[0] = n;
          out = rel_tensor_new_f32 (y->ndim, shape, &error);
          g_assert_no_error (error);
        }
      g_assert_cmpint (y->numel * n, ==, out->numel);
      memcpy (rel_tensor_f32 (out) + i * y->numel, rel_tensor_f32 (y), sizeof (float) * y->numel);
    }
  return out;
}

/* Incremental outputs in batches of @bs (threads as the context says). */
static RelTensor *
incremental (RelModel *m, RelTensor *x, const RelTensor *fill, const int *rects, int n, double fraction,
             int bs, int n_threads, int *n_local)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelIncremental) inc = NULL;
  RelTensor *out = NULL;
  RelContext ctx;

  rel_context_init (&ctx);
  ctx.n_threads = n_threads;
  inc = rel_incremental_new (m, x, rects, n, fraction, &ctx, &error);
  g_assert_no_error (error);
  if (n_local)
    *n_local = rel_incremental_n_local (inc);
  for (int done = 0; done < n; done += bs)
    {
      int nb = MIN (bs, n - done);
      g_autoptr(RelTensor) y = rel_incremental_forward (inc, fill, done, nb, &ctx, &error);
      g_assert_no_error (error);
      g_assert_cmpint (y->shape[0], ==, nb);
      if (out == NULL)
        {
          int64_t shape[REL_MAX_DIMS];
          memcpy (shape, y->shape, sizeof shape);
          shape[0] = n;
          out = rel_tensor_new_f32 (y->ndim, shape, &error);
          g_assert_no_error (error);
        }
      memcpy (rel_tensor_f32 (out) + (y->numel / nb) * done, rel_tensor_f32 (y), sizeof (float) * y->numel);
    }
  return out;
}

/* max |a − b| ≤ REL_TOL · max |ref| */
static double
assert_close (const RelTensor *got, const RelTensor *ref, const char *what)
{
  double scale = rel_tensor_max_abs (ref), worst = 0;

  g_assert_true (rel_tensor_same_shape (got, ref));
  g_assert_cmpfloat (scale, >, 0);
  for (int64_t i = 0; i < ref->numel; i++)
    worst = MAX (worst, fabs ((double) rel_tensor_f32 (got)[i] - rel_tensor_f32 (ref)[i]));
  if (worst > REL_TOL * scale)
    g_error ("%s: max abs diff %g > %g × max|ref| %g", what, worst, REL_TOL, scale);
  return worst / scale;
}

/* ---- fixtures ---- */

static void
test_fixtures (void)
{
  static const struct { const char *dir, *file; } models[] = {
    { "tiny-cnn", "model.onnx" },
    { "tiny-resnet", "model.onnx" },
    { "tiny-resnet", "model-bn.onnx" },
    { "tiny-mobilenet", "model.onnx" },
  };
  static const int ws[][2] = { { 4, 2 }, { 8, 4 }, { 7, 5 }, { 3, 3 }, { 1, 2 }, { 20, 7 } };
  double worst = 0;

  for (gsize k = 0; k < G_N_ELEMENTS (models); k++)
    {
      g_autoptr(RelModel) m = fixture_model (models[k].dir, models[k].file);
      g_autoptr(RelTensor) x = fixture_npy (models[k].dir, "input.npy");

      for (gsize s = 0; s < G_N_ELEMENTS (ws); s++)
        {
          int fill_kind = (int) ((k + s) % 3), n, n_local = 0;
          g_autoptr(RelTensor) fill = make_fill (x, fill_kind);
          g_autofree int *rects = grid_rects ((int) x->shape[2], (int) x->shape[3], ws[s][0], ws[s][1], &n);
          g_autoptr(RelTensor) ref = brute_force (m, x, fill, rects, n);
          g_autofree char *what = g_strdup_printf ("%s/%s window %d stride %d fill %d", models[k].dir,
                                                   models[k].file, ws[s][0], ws[s][1], fill_kind);

          /* the default fraction, everything that can be local, and odd batches on 1 and 2 threads */
          for (int variant = 0; variant < 3; variant++)
            {
              double fraction = variant == 1 ? 1.0 : REL_INCREMENTAL_DEFAULT_FRACTION;
              int bs = variant == 2 ? 5 : 16;
              g_autoptr(RelTensor) got = incremental (m, x, fill, rects, n, fraction, bs, variant == 2 ? 1 : 2,
                                                      &n_local);
              worst = MAX (worst, assert_close (got, ref, what));
              if (variant == 1)
                g_assert_cmpint (n_local, >, 0);
            }
        }
    }
  g_test_message ("fixtures: worst max abs diff %.3g x max|ref|", worst);
}

/* A plan with nothing local is the plain batched forward pass. */
static void
test_fraction_zero (void)
{
  g_autoptr(RelModel) m = fixture_model ("tiny-resnet", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-resnet", "input.npy");
  g_autoptr(RelTensor) fill = make_fill (x, 0);
  int n, n_local = -1, n_local_default = -1;
  g_autofree int *rects = grid_rects (32, 32, 8, 4, &n);
  g_autoptr(RelTensor) ref = brute_force (m, x, fill, rects, n);
  g_autoptr(RelTensor) got = incremental (m, x, fill, rects, n, 0, 8, 2, &n_local);
  g_autoptr(RelTensor) got2 = incremental (m, x, fill, rects, n, REL_INCREMENTAL_DEFAULT_FRACTION, 8, 2,
                                           &n_local_default);

  g_assert_cmpint (n_local, ==, 0);
  /* stem, both blocks' convolutions, ReLUs and Adds */
  g_assert_cmpint (n_local_default, >=, 10);
  assert_close (got, ref, "fraction 0");
  assert_close (got2, ref, "default fraction");
}

/* ---- random graphs ---- */

typedef struct {
  RelModel *m;
  GArray   *nodes;
  GRand    *rand;
  int       n_names;
} Builder;

static int
new_value (Builder *b)
{
  g_autofree char *name = g_strdup_printf ("v%d", b->n_names++);
  return rel_model_intern_value (b->m, name);
}

static int
add_const (Builder *b, int ndim, const int64_t *shape, double lo, double hi)
{
  g_autoptr(GError) error = NULL;
  int v = new_value (b);
  RelTensor *t = rel_tensor_new_f32 (ndim, shape, &error);

  g_assert_no_error (error);
  for (int64_t i = 0; i < t->numel; i++)
    rel_tensor_f32 (t)[i] = (float) g_rand_double_range (b->rand, lo, hi);
  rel_model_value (b->m, v)->constant = t;
  return v;
}

static RelAttr
attr_ints (const char *name, int n, const int64_t *v)
{
  RelAttr a = { 0 };
  a.name = g_strdup (name);
  a.type = REL_ATTR_INTS;
  a.n = n;
  a.ints = g_memdup2 (v, sizeof (int64_t) * n);
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

static RelAttr
attr_string (const char *name, const char *s)
{
  RelAttr a = { 0 };
  a.name = g_strdup (name);
  a.type = REL_ATTR_STRING;
  a.s = g_strdup (s);
  return a;
}

static int
add_node (Builder *b, const char *op, int n_in, const int *ins, int n_attrs, const RelAttr *attrs)
{
  RelNode node = { 0 };
  int out = new_value (b);

  node.name = g_strdup_printf ("%s_%u", op, b->nodes->len);
  node.op_type = g_strdup (op);
  node.n_inputs = n_in;
  node.inputs = g_memdup2 (ins, sizeof (int) * n_in);
  node.n_outputs = 1;
  node.outputs = g_new (int, 1);
  node.outputs[0] = out;
  node.n_attrs = n_attrs;
  node.attrs = n_attrs ? g_memdup2 (attrs, sizeof (RelAttr) * n_attrs) : NULL;
  g_array_append_val (b->nodes, node);
  return out;
}

/* Output size of a window along one axis, following the ONNX formula. */
static int
window_out (int in, int k, int s, int dil, int pb, int pe, gboolean ceil_mode)
{
  int ek = (k - 1) * dil + 1, span = in + pb + pe - ek;
  int out;

  if (span < 0)
    return 0;
  out = span / s + 1;
  if (ceil_mode && span % s != 0)
    {
      out++;
      if ((out - 1) * s >= in + pb)
        out--;
    }
  return out;
}

typedef struct { int v, c, h, w; } Act;

static Act
random_conv (Builder *b, Act a, gboolean stride_ok)
{
  for (;;)
    {
      int k = (int[]) { 1, 2, 3, 3, 5 }[g_rand_int_range (b->rand, 0, 5)];
      int s = stride_ok ? g_rand_int_range (b->rand, 1, 3) : 1;
      int dil = k > 1 && g_rand_int_range (b->rand, 0, 4) == 0 ? 2 : 1;
      int depthwise = g_rand_int_range (b->rand, 0, 4) == 0;
      int m = depthwise ? a.c : g_rand_int_range (b->rand, 1, 6);
      int group = depthwise ? a.c : 1;
      int same = g_rand_int_range (b->rand, 0, 5) == 0;
      int64_t pads[4], ks[2] = { k, k }, st[2] = { s, s }, dl[2] = { dil, dil };
      int oh, ow, ek = (k - 1) * dil + 1;
      RelAttr attrs[5];
      int n_attrs = 0, ins[3];

      for (int i = 0; i < 4; i++)
        pads[i] = g_rand_int_range (b->rand, 0, ek);
      if (same)
        {
          oh = (a.h + s - 1) / s;
          ow = (a.w + s - 1) / s;
        }
      else
        {
          oh = window_out (a.h, k, s, dil, (int) pads[0], (int) pads[2], FALSE);
          ow = window_out (a.w, k, s, dil, (int) pads[1], (int) pads[3], FALSE);
        }
      if (oh < 1 || ow < 1)
        continue;
      ins[0] = a.v;
      ins[1] = add_const (b, 4, (int64_t[]) { m, a.c / group, k, k }, -1.0 / k, 1.0 / k);
      ins[2] = add_const (b, 1, (int64_t[]) { m }, -0.2, 0.2);
      attrs[n_attrs++] = attr_ints ("kernel_shape", 2, ks);
      attrs[n_attrs++] = attr_ints ("strides", 2, st);
      attrs[n_attrs++] = attr_ints ("dilations", 2, dl);
      attrs[n_attrs++] = same ? attr_string ("auto_pad", g_rand_boolean (b->rand) ? "SAME_UPPER" : "SAME_LOWER")
                              : attr_ints ("pads", 4, pads);
      attrs[n_attrs++] = attr_int ("group", group);
      return (Act) { add_node (b, "Conv", 3, ins, n_attrs, attrs), m, oh, ow };
    }
}

static Act
random_pool (Builder *b, Act a)
{
  for (;;)
    {
      gboolean is_max = g_rand_boolean (b->rand);
      int k = g_rand_int_range (b->rand, 2, 4), s = g_rand_int_range (b->rand, 1, 3);
      gboolean ceil_mode = g_rand_boolean (b->rand);
      int64_t pads[4], ks[2] = { k, k }, st[2] = { s, s };
      RelAttr attrs[5];
      int n_attrs = 0, oh, ow;

      for (int i = 0; i < 4; i++)
        pads[i] = g_rand_int_range (b->rand, 0, k / 2 + 1);
      oh = window_out (a.h, k, s, 1, (int) pads[0], (int) pads[2], ceil_mode);
      ow = window_out (a.w, k, s, 1, (int) pads[1], (int) pads[3], ceil_mode);
      if (oh < 1 || ow < 1)
        continue;
      attrs[n_attrs++] = attr_ints ("kernel_shape", 2, ks);
      attrs[n_attrs++] = attr_ints ("strides", 2, st);
      attrs[n_attrs++] = attr_ints ("pads", 4, pads);
      attrs[n_attrs++] = attr_int ("ceil_mode", ceil_mode);
      if (!is_max)
        attrs[n_attrs++] = attr_int ("count_include_pad", g_rand_boolean (b->rand));
      return (Act) { add_node (b, is_max ? "MaxPool" : "AveragePool", 1, &a.v, n_attrs, attrs), a.c, oh, ow };
    }
}

static Act
random_pointwise (Builder *b, Act a)
{
  int64_t cshape[3] = { a.c, 1, 1 };
  int ins[5];

  switch (g_rand_int_range (b->rand, 0, 5))
    {
    case 0:
      ins[0] = a.v;
      ins[1] = add_const (b, 1, (int64_t[]) { a.c }, 0.5, 1.5);
      ins[2] = add_const (b, 1, (int64_t[]) { a.c }, -0.3, 0.3);
      ins[3] = add_const (b, 1, (int64_t[]) { a.c }, -0.3, 0.3);
      ins[4] = add_const (b, 1, (int64_t[]) { a.c }, 0.5, 2.0);
      a.v = add_node (b, "BatchNormalization", 5, ins, 0, NULL);
      break;
    case 1:
      a.v = add_node (b, "Relu", 1, &a.v, 0, NULL);
      break;
    case 2:
      ins[0] = a.v;
      ins[1] = add_const (b, 0, NULL, -0.5, -0.4);
      ins[2] = add_const (b, 0, NULL, 0.6, 0.7);
      a.v = add_node (b, "Clip", 3, ins, 0, NULL);
      break;
    case 3:
      ins[0] = a.v;
      ins[1] = add_const (b, 3, cshape, -1.0, 1.0);
      a.v = add_node (b, "Mul", 2, ins, 0, NULL);
      break;
    default:
      a.v = add_node (b, "Sigmoid", 1, &a.v, 0, NULL);
      break;
    }
  return a;
}

/* conv (stride 1, shape-preserving) → relu → + the block's input */
static Act
random_residual (Builder *b, Act a)
{
  int64_t pads[4] = { 1, 1, 1, 1 }, ks[2] = { 3, 3 };
  RelAttr attrs[2] = { attr_ints ("kernel_shape", 2, ks), attr_ints ("pads", 4, pads) };
  int ins[3] = { a.v, add_const (b, 4, (int64_t[]) { a.c, a.c, 3, 3 }, -0.3, 0.3),
                 add_const (b, 1, (int64_t[]) { a.c }, -0.1, 0.1) };
  int y = add_node (b, "Conv", 3, ins, 2, attrs);
  int sum[2];

  y = add_node (b, "Relu", 1, &y, 0, NULL);
  sum[0] = y;
  sum[1] = a.v;
  a.v = add_node (b, g_rand_boolean (b->rand) ? "Add" : "Sub", 2, sum, 0, NULL);
  return a;
}

static RelModel *
random_model (GRand *rand, int *C, int *H, int *W)
{
  g_autoptr(GError) error = NULL;
  Builder b = { rel_model_new (), g_array_new (FALSE, TRUE, sizeof (RelNode)), rand, 0 };
  int n_layers = g_rand_int_range (rand, 3, 9), K = 4;
  Act a;
  RelValue *in;
  int ins[3];

  *C = g_rand_int_range (rand, 1, 4);
  *H = g_rand_int_range (rand, 8, 25);
  *W = g_rand_int_range (rand, 8, 25);
  a = (Act) { new_value (&b), *C, *H, *W };
  in = rel_model_value (b.m, a.v);
  in->dtype = REL_DTYPE_FLOAT32;
  in->ndim = 4;
  in->shape[0] = -1;
  in->shape[1] = *C;
  in->shape[2] = *H;
  in->shape[3] = *W;
  b.m->input = a.v;
  for (int l = 0; l < n_layers; l++)
    {
      int r = g_rand_int_range (rand, 0, 10);
      gboolean small = a.h < 4 || a.w < 4;
      if (r < 4)
        a = random_conv (&b, a, !small);
      else if (r < 6 && !small)
        a = random_pool (&b, a);
      else if (r < 8)
        a = random_pointwise (&b, a);
      else
        a = random_residual (&b, a);
    }
  a.v = add_node (&b, "GlobalAveragePool", 1, &a.v, 0, NULL);
  a.v = add_node (&b, "Flatten", 1, &a.v, 0, NULL);
  ins[0] = a.v;
  ins[1] = add_const (&b, 2, (int64_t[]) { a.c, K }, -1, 1);
  ins[2] = add_const (&b, 1, (int64_t[]) { K }, -1, 1);
  b.m->output = add_node (&b, "Gemm", 3, ins, 0, NULL);
  b.m->n_nodes = (int) b.nodes->len;
  b.m->nodes = (RelNode *) (void *) g_array_free (b.nodes, FALSE);
  g_assert_true (rel_model_finish (b.m, &error));
  g_assert_no_error (error);
  return b.m;
}

static void
test_random_graphs (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261125);
  int n_cases = g_test_slow () ? 300 : 80, total_local = 0;
  double worst = 0;

  for (int t = 0; t < n_cases; t++)
    {
      g_autoptr(GError) error = NULL;
      int C, H, W, n, n_local = 0;
      g_autoptr(RelModel) m = random_model (rand, &C, &H, &W);
      g_autoptr(RelTensor) x = rel_tensor_new_4d (1, C, H, W, &error);
      g_autoptr(RelTensor) fill = NULL;
      g_autofree int *rects = NULL;
      g_autoptr(RelTensor) ref = NULL;
      g_autoptr(RelTensor) got = NULL;
      g_autofree char *what = NULL;
      int window = g_rand_int_range (rand, 1, MAX (H, W) + 2);
      int stride = g_rand_int_range (rand, 1, window + 3);
      double fraction = (double[]) { 0.2, 0.5, 1.0 }[t % 3];

      g_assert_no_error (error);
      for (int64_t i = 0; i < x->numel; i++)
        rel_tensor_f32 (x)[i] = (float) g_rand_double_range (rand, -1, 1);
      fill = make_fill (x, t % 3);
      rects = grid_rects (H, W, window, stride, &n);
      ref = brute_force (m, x, fill, rects, n);
      if (rel_tensor_max_abs (ref) == 0)
        continue;
      got = incremental (m, x, fill, rects, n, fraction, g_rand_int_range (rand, 1, 12), 1 + t % 2, &n_local);
      what = g_strdup_printf ("random graph %d (%d nodes, %d×%d×%d, window %d stride %d, fraction %g)",
                              t, m->n_nodes, C, H, W, window, stride, fraction);
      worst = MAX (worst, assert_close (got, ref, what));
      total_local += n_local;
    }
  /* the cases must exercise the rectangles, not only the full passes */
  g_assert_cmpint (total_local, >, n_cases);
  g_test_message ("random graphs: %d local nodes, worst max abs diff %.3g x max|ref|", total_local, worst);
}

/* Arbitrary rectangles (not a grid): empty, single pixel, the whole plane. */
static void
test_odd_rects (void)
{
  g_autoptr(RelModel) m = fixture_model ("tiny-mobilenet", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-mobilenet", "input.npy");
  g_autoptr(RelTensor) fill = make_fill (x, 2);
  static const int rects[] = {
    5, 5, 5, 9,       /* empty */
    0, 0, 1, 1,       /* one pixel in the corner */
    31, 31, 32, 32,
    0, 0, 32, 32,     /* everything */
    -4, 20, 3, 40,    /* clipped on two sides */
    10, 3, 22, 9,
  };
  int n = G_N_ELEMENTS (rects) / 4;
  g_autoptr(RelTensor) ref = brute_force (m, x, fill, rects, n);
  g_autoptr(RelTensor) got = incremental (m, x, fill, rects, n, 1.0, 4, 2, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelIncremental) inc = rel_incremental_new (m, x, rects, n, 0.5, NULL, &error);
  g_autoptr(RelTensor) bad = NULL;

  assert_close (got, ref, "odd rectangles");
  /* the empty rectangle leaves the clean output */
  g_assert_no_error (error);
  for (int64_t k = 0; k < ref->shape[1]; k++)
    g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (got)[k],
                                    rel_tensor_f32 (rel_activations_output (rel_incremental_clean (inc)))[k],
                                    1e-5 * rel_tensor_max_abs (ref));
  bad = rel_incremental_forward (inc, fill, n - 1, 2, NULL, &error);
  g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
  g_assert_null (bad);
}

/* ---- chains (pixel flipping) ---- */

/* The chain's reference: input k is input k − 1 with rects[k] from @fill,
 * one full forward pass each. */
static RelTensor *
brute_chain (RelModel *m, const RelTensor *x, const RelTensor *fill, const int *rects, int n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) cur = rel_tensor_copy (x, &error);
  int64_t C = x->shape[1], H = x->shape[2], W = x->shape[3];
  RelTensor *out = NULL;

  g_assert_no_error (error);
  for (int i = 0; i < n; i++)
    {
      const int *r = rects + i * 4;
      g_autoptr(RelTensor) step = NULL;
      for (int64_t c = 0; c < C; c++)
        for (int y = MAX (r[0], 0); y < MIN (r[2], H); y++)
          for (int xx = MAX (r[1], 0); xx < MIN (r[3], W); xx++)
            rel_tensor_f32 (cur)[(c * H + y) * W + xx] = rel_tensor_f32 (fill)[(c * H + y) * W + xx];
      /* the rectangle is already in: brute_force's one "perturbation" of cur is cur itself */
      step = brute_force (m, cur, cur, r, 1);
      if (out == NULL)
        {
          int64_t shape[REL_MAX_DIMS];
          memcpy (shape, step->shape, sizeof shape);
          shape[0] = n;
          out = rel_tensor_new_f32 (step->ndim, shape, &error);
          g_assert_no_error (error);
        }
      memcpy (rel_tensor_f32 (out) + i * step->numel, rel_tensor_f32 (step), sizeof (float) * step->numel);
    }
  return out;
}

/* Rectangles of a p×p grid (or windows of @window at stride p) in a seeded
 * random order, as pixel flipping removes them. */
static int *
shuffled_rects (int h, int w, int p, int window, guint32 seed, int *n)
{
  g_autofree int *grid = grid_rects (h, w, window, p, n);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  int *r = g_new (int, (gsize) *n * 4);
  g_autofree int *perm = g_new (int, *n);

  for (int i = 0; i < *n; i++)
    perm[i] = i;
  for (int i = *n - 1; i > 0; i--)
    {
      int j = g_rand_int_range (rand, 0, i + 1), t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
  for (int i = 0; i < *n; i++)
    memcpy (r + i * 4, grid + perm[i] * 4, 4 * sizeof (int));
  return r;
}

/* rel_incremental_forward_chain equals a full pass per link: on the fixture
 * networks and the narrow ResNet-18 / MobileNetV2, with patches and
 * overlapping windows in random order, in batches of 1, 5 (two threads) and
 * 16 (one thread), the three fills; after the chain, an ordinary
 * incremental forward perturbs the chain's last input; and the steps must
 * come in order. */
static void
test_chain (void)
{
  static const struct { const char *dir, *file; int p, window; } cases[] = {
    { "tiny-cnn", "model.onnx", 4, 4 },
    { "tiny-resnet", "model.onnx", 4, 6 },
    { "tiny-mobilenet", "model.onnx", 4, 4 },
    { "torchvision-small/resnet18", "model.onnx", 8, 8 },
    { "torchvision-small/mobilenet_v2", "model.onnx", 8, 11 },
  };
  static const int batches[][2] = { { 1, 2 }, { 5, 2 }, { 16, 1 } };
  double worst = 0;

  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr(RelModel) m = fixture_model (cases[k].dir, cases[k].file);
      g_autoptr(RelTensor) x = fixture_npy (cases[k].dir, "input.npy");
      int h = (int) x->shape[2], w = (int) x->shape[3], n;
      g_autofree int *rects = shuffled_rects (h, w, cases[k].p, cases[k].window, 7 + k, &n);
      g_autoptr(RelTensor) fill = make_fill (x, (int) (k % 3));
      g_autoptr(RelTensor) ref = brute_chain (m, x, fill, rects, n);
      g_autofree char *what = g_strdup_printf ("chain %s, %d rectangles", cases[k].dir, n);

      for (gsize b = 0; b < G_N_ELEMENTS (batches); b++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(RelIncremental) inc = NULL;
          g_autoptr(RelTensor) got = NULL;
          g_autoptr(RelTensor) bad = NULL;
          RelContext ctx;
          int64_t k_out = ref->numel / n;

          rel_context_init (&ctx);
          ctx.n_threads = batches[b][1];
          inc = rel_incremental_new (m, x, rects, n, REL_INCREMENTAL_DEFAULT_FRACTION, &ctx, &error);
          g_assert_no_error (error);
          g_assert_cmpint (rel_incremental_n_local (inc), >, 0);
          got = rel_tensor_new_like (ref, &error);
          g_assert_no_error (error);
          for (int done = 0; done < n; )
            {
              int nb = MIN (batches[b][0], n - done);
              g_autoptr(RelTensor) y = rel_incremental_forward_chain (inc, fill, done, nb, &ctx, &error);
              g_assert_no_error (error);
              g_assert_cmpint (y->shape[0], ==, nb);
              memcpy (rel_tensor_f32 (got) + done * k_out, rel_tensor_f32 (y), sizeof (float) * y->numel);
              done += nb;
            }
          worst = MAX (worst, assert_close (got, ref, what));
          /* the input was not written to */
          {
            g_autoptr(RelTensor) x2 = fixture_npy (cases[k].dir, "input.npy");
            g_assert_cmpmem (x->data, x->numel * 4, x2->data, x2->numel * 4);
          }
          /* out of order */
          bad = rel_incremental_forward_chain (inc, fill, 0, 1, &ctx, &error);
          g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
          g_assert_null (bad);
          g_clear_error (&error);
          /* the fully flipped input is the fill: perturbing it with the fill changes nothing */
          {
            g_autoptr(RelTensor) again = rel_incremental_forward (inc, fill, 0, 1, &ctx, &error);
            g_autoptr(RelTensor) last = rel_tensor_new_like (again, &error);
            g_assert_no_error (error);
            memcpy (rel_tensor_f32 (last), rel_tensor_f32 (ref) + (n - 1) * k_out, sizeof (float) * k_out);
            assert_close (again, last, "forward after a chain");
          }
        }
    }
  g_test_message ("chains: worst max abs diff %.3g x max|ref|", worst);
}

/* ---- torchvision networks (tests/fixtures/torchvision-small, large) ---- */

typedef struct {
  const char *set, *name;
  int side, window, stride, n_grid;
  int pick[11];  /* windows of the grid: corners, edges, inside */
  int min_local;
} LargeCase;

static const LargeCase large_cases[] = {
  /* 64×64, window 8 stride 5: 13 × 13 windows, the last row and column clipped to 4 pixels */
  /* the stem and layer1 (16 nodes), the first 6 inverted residuals (36) run on rectangles */
  { "torchvision-small", "resnet18", 64, 8, 5, 169, { 0, 1, 12, 13, 14, 84, 90, 156, 157, 167, 168 }, 16 },
  { "torchvision-small", "mobilenet_v2", 64, 8, 5, 169, { 0, 1, 12, 13, 14, 84, 90, 156, 157, 167, 168 }, 36 },
  /* 224×224, window 16 stride 8: 27 × 27 windows */
  { "large", "resnet18", 224, 16, 8, 729, { 0, 1, 13, 26, 27, 28, 364, 400, 702, 727, 728 }, 20 },
  { "large", "mobilenet_v2", 224, 16, 8, 729, { 0, 1, 13, 26, 27, 28, 364, 400, 702, 727, 728 }, 20 },
};

static void
test_large (gconstpointer data)
{
  const LargeCase *lc = data;
  const char *name = lc->name;
  g_autofree char *dir = g_build_filename (g_getenv ("RELEVANCE_FIXTURES"), lc->set, name, NULL);
  g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
  g_autofree char *sub = g_build_filename (lc->set, name, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) m = NULL;
  g_autoptr(RelTensor) x = NULL;
  int n_all;
  int rects[G_N_ELEMENTS (lc->pick) * 4];
  g_autofree int *grid = NULL;
  int n = G_N_ELEMENTS (lc->pick), n_local = 0;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      fixture_missing ("%s is not there (tests/reference/make-torchvision.py makes it)", path);
      return;
    }
  m = rel_model_load (path, &error);
  g_assert_no_error (error);
  x = fixture_npy (sub, "input.npy");
  g_assert_cmpint (x->shape[2], ==, lc->side);
  g_assert_cmpint (x->shape[3], ==, lc->side);
  grid = grid_rects (lc->side, lc->side, lc->window, lc->stride, &n_all);
  g_assert_cmpint (n_all, ==, lc->n_grid);
  for (int i = 0; i < n; i++)
    memcpy (rects + i * 4, grid + lc->pick[i] * 4, 4 * sizeof (int));
  for (int fill_kind = 0; fill_kind < 3; fill_kind += 2)
    {
      g_autoptr(RelTensor) fill = make_fill (x, fill_kind);
      g_autoptr(RelTensor) ref = brute_force (m, x, fill, rects, n);
      g_autoptr(RelTensor) got = incremental (m, x, fill, rects, n, REL_INCREMENTAL_DEFAULT_FRACTION, 4, 2,
                                              &n_local);
      double d = assert_close (got, ref, name);
      /* the first stages run on rectangles */
      g_assert_cmpint (n_local, >=, lc->min_local);
      g_test_message ("%s fill %d: max abs diff %.3g x max|ref|, %d local nodes", sub, fill_kind, d, n_local);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("RELEVANCE_FIXTURES") == NULL)
    {
      g_printerr ("RELEVANCE_FIXTURES must be set (meson test does)\n");
      return 1;
    }
  g_test_add_func ("/incremental/fixtures", test_fixtures);
  g_test_add_func ("/incremental/fraction-zero", test_fraction_zero);
  g_test_add_func ("/incremental/random-graphs", test_random_graphs);
  g_test_add_func ("/incremental/odd-rects", test_odd_rects);
  g_test_add_func ("/incremental/chain", test_chain);
  for (gsize i = 0; i < G_N_ELEMENTS (large_cases); i++)
    {
      const LargeCase *lc = &large_cases[i];
      g_autofree char *dir = g_build_filename (g_getenv ("RELEVANCE_FIXTURES"), lc->set, NULL);
      g_autofree char *name = g_strdup_printf ("/incremental/%s/%s", lc->set, lc->name);

      /* the full-size networks are an optional extra: not generated, not run */
      if (strcmp (lc->set, "large") == 0 && !g_file_test (dir, G_FILE_TEST_IS_DIR))
        continue;
      g_test_add_data_func (name, lc, test_large);
    }
  return g_test_run ();
}
