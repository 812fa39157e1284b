/* test-explain-perturb.c — occlusion against Captum's references and a
 * brute-force evaluation, SLIC superpixels, and LIME recovering the
 * coefficients of a model that is linear in superpixel means.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-explain.h"
#include "rel-gradient.h"
#include "rel-npy.h"
#include "rel-blur.h"
#include "rel-rng.h"
#include "rel-slic.h"
#include "fixture-util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  GArray       *fractions;
  volatile gint cancel;
  int           cancel_after;
} ProgressLog;

static void
on_progress (const RelTensor *estimate, double fraction, gpointer user_data)
{
  ProgressLog *log = user_data;
  g_array_append_val (log->fractions, fraction);
  if (log->cancel_after > 0 && (int) log->fractions->len >= log->cancel_after)
    g_atomic_int_set (&log->cancel, 1);
}

static RelExplanation *
run (RelModel *model, RelTensor *x, const char *method, int target, guint64 seed,
     const char *const *sets, ProgressLog *log, int batch, GError **error)
{
  g_autoptr(RelParams) params = rel_params_new (rel_method_lookup (method));
  RelExplainRequest req = { 0 };

  for (int i = 0; sets && sets[i]; i++)
    {
      g_autoptr(GError) local = NULL;
      rel_params_set_assignment (params, sets[i], &local);
      g_assert_no_error (local);
    }
  req.model = model;
  req.input = x;
  req.params = params;
  req.seed = seed;
  req.target.kind = REL_TARGET_CLASS;
  req.target.a = target;
  req.batch_size = batch;
  if (log)
    {
      req.progress = on_progress;
      req.progress_data = log;
      req.cancel = &log->cancel;
    }
  return rel_explain (NULL, &req, error);
}

/* ---- occlusion ---- */

static void
test_occlusion_fixtures (void)
{
  static const struct { const char *model; const char *window, *stride; } cases[] = {
    { "tiny-cnn", "window=4", "stride=2" },
    { "tiny-resnet", "window=8", "stride=4" },
    { "tiny-mobilenet", "window=8", "stride=4" },
  };

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(RelModel) m = fixture_model (cases[c].model, "model.onnx");
      g_autoptr(RelTensor) x = fixture_npy (cases[c].model, "input.npy");
      g_autoptr(RelTensor) ref = fixture_npy (cases[c].model, "occlusion.npy");
      g_autoptr(GError) error = NULL;
      const char *sets[] = { cases[c].window, cases[c].stride, "fill=zero", NULL };
      g_autoptr(RelExplanation) e = run (m, x, "occlusion", fixture_target (cases[c].model), 0, sets, NULL, 0, &error);
      double scale = rel_tensor_max_abs (ref);

      g_assert_no_error (error);
      g_assert_true (rel_tensor_same_shape (e->relevance, ref));
      for (int64_t i = 0; i < ref->numel; i++)
        g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (e->relevance)[i], rel_tensor_f32 (ref)[i], 1e-4 * scale);
    }
}

static double
logit (RelModel *m, RelTensor *x, int target)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelActivations) acts = rel_model_forward (m, x, NULL, &error);
  g_assert_no_error (error);
  return rel_tensor_f32 (rel_activations_output (acts))[target];
}

/* Windows that do not tile the input (the last one clipped: 6 windows of 7
 * at stride 6 cover 0–31 only if the sixth, at 30, is kept), every fill,
 * and small batches, against one forward pass per window. Occlusion
 * recomputes only each window's changed rectangle of the early layers
 * (rel-incremental.h), which must not show in the map. */
static void
test_occlusion_brute_force (void)
{
  static const char *const fills[] = { "fill=zero", "fill=mean", "fill=blur" };
  g_autoptr(RelModel) m = fixture_model ("tiny-resnet", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-resnet", "input.npy");
  const int W = 32, win = 7, stride = 6, target = 2;
  double f0 = logit (m, x, target);
  int n = (W - win + stride - 1) / stride + 1;   /* ceil((32 − 7)/6) + 1 = 6 */

  g_assert_cmpint (n, ==, 6);
  for (int f = 0; f < 3; f++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RelTensor) fill = NULL;
      const char *sets[] = { "window=7", "stride=6", fills[f], "blur-sigma=3", NULL };
      g_autoptr(RelExplanation) e = run (m, x, "occlusion", target, 0, sets, NULL, f == 1 ? 3 : 0, &error);
      double total[32 * 32] = { 0 }, count[32 * 32] = { 0 };
      double scale;

      g_assert_no_error (error);
      if (f == 1)
        fill = rel_channel_mean (x, NULL);
      else
        {
          fill = rel_tensor_new_like (x, NULL);
          if (f == 2)
            rel_gaussian_blur (rel_tensor_f32 (x), rel_tensor_f32 (fill), 3, W, W, 3.0);
        }
      for (int wy = 0; wy < n; wy++)
        for (int wx = 0; wx < n; wx++)
          {
            g_autoptr(RelTensor) p = rel_tensor_copy (x, NULL);
            double d;
            for (int c = 0; c < 3; c++)
              for (int y = wy * stride; y < MIN (wy * stride + win, W); y++)
                for (int xx = wx * stride; xx < MIN (wx * stride + win, W); xx++)
                  rel_tensor_f32 (p)[(c * W + y) * W + xx] = rel_tensor_f32 (fill)[(c * W + y) * W + xx];
            d = f0 - logit (m, p, target);
            for (int y = wy * stride; y < MIN (wy * stride + win, W); y++)
              for (int xx = wx * stride; xx < MIN (wx * stride + win, W); xx++)
                {
                  total[y * W + xx] += d;
                  count[y * W + xx] += 1;
                }
          }
      scale = rel_tensor_max_abs (e->relevance);
      g_assert_cmpfloat (scale, >, 0);
      for (int c = 0; c < 3; c++)
        for (int i = 0; i < W * W; i++)
          {
            g_assert_cmpfloat (count[i], >, 0);
            /* batched and single passes round differently: allow float32 noise of the logit */
            g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (e->relevance)[c * W * W + i], total[i] / count[i],
                                            1e-5 * scale + 1e-6 * fabs (f0));
          }
      g_assert_cmpfloat_with_epsilon (e->explained_output, f0, 1e-6);
    }
}

static void
test_occlusion_progress_cancel (void)
{
  g_autoptr(RelModel) m = fixture_model ("tiny-cnn", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
  const char *sets[] = { "window=4", "stride=2", NULL };
  ProgressLog log = { g_array_new (FALSE, FALSE, sizeof (double)), 0, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(RelExplanation) e = run (m, x, "occlusion", 4, 0, sets, &log, 40, &error);
  RelExplanation *none;

  /* 13 × 13 = 169 windows in batches of 40: 5 reports */
  g_assert_no_error (error);
  g_assert_cmpint (log.fractions->len, ==, 5);
  for (guint i = 1; i < log.fractions->len; i++)
    g_assert_cmpfloat (g_array_index (log.fractions, double, i), >, g_array_index (log.fractions, double, i - 1));
  g_assert_cmpfloat (g_array_index (log.fractions, double, 4), ==, 1.0);

  g_array_set_size (log.fractions, 0);
  log.cancel_after = 2;
  none = run (m, x, "occlusion", 4, 0, sets, &log, 40, &error);
  g_assert_null (none);
  g_assert_error (error, REL_ERROR, REL_ERROR_CANCELLED);
  g_assert_cmpint (log.fractions->len, ==, 2);
  g_array_unref (log.fractions);
}

/* ---- SLIC ---- */

static void
assert_segments_connected (const int *labels, int n, int h, int w)
{
  g_autofree gboolean *seen_label = g_new0 (gboolean, n);
  g_autofree gboolean *visited = g_new0 (gboolean, h * w);
  g_autofree int *queue = g_new (int, h * w);

  for (int start = 0; start < h * w; start++)
    {
      int head = 0, tail = 0, l = labels[start];
      if (visited[start])
        continue;
      g_assert_cmpint (l, >=, 0);
      g_assert_cmpint (l, <, n);
      /* a second component with a label already seen: not connected */
      g_assert_false (seen_label[l]);
      seen_label[l] = TRUE;
      visited[start] = TRUE;
      queue[tail++] = start;
      while (head < tail)
        {
          int p = queue[head++], y = p / w, x = p % w;
          int nb[4][2] = { { y - 1, x }, { y + 1, x }, { y, x - 1 }, { y, x + 1 } };
          for (int k = 0; k < 4; k++)
            {
              int q;
              if (nb[k][0] < 0 || nb[k][0] >= h || nb[k][1] < 0 || nb[k][1] >= w)
                continue;
              q = nb[k][0] * w + nb[k][1];
              if (!visited[q] && labels[q] == l)
                {
                  visited[q] = TRUE;
                  queue[tail++] = q;
                }
            }
        }
    }
  for (int l = 0; l < n; l++)
    g_assert_true (seen_label[l]);
}

static void
test_slic_blocks (void)
{
  /* 4 × 4 blocks of 8 × 8 pixels, each a distinct colour: SLIC should find them */
  int64_t shape[] = { 1, 3, 32, 32 };
  g_autoptr(RelTensor) img = rel_tensor_new_f32 (4, shape, NULL);
  g_autoptr(GError) error = NULL;
  int labels[32 * 32], n, pure = 0;
  RelPreprocess pp = { 0 };
  RelRng rng;

  rel_rng_init (&rng, 1);
  pp.range_low = 0;
  pp.range_high = 1;
  for (int b = 0; b < 16; b++)
    {
      float col[3];
      for (int c = 0; c < 3; c++)
        col[c] = (float) rel_rng_uniform (&rng);
      for (int y = (b / 4) * 8; y < (b / 4) * 8 + 8; y++)
        for (int x = (b % 4) * 8; x < (b % 4) * 8 + 8; x++)
          for (int c = 0; c < 3; c++)
            rel_tensor_f32 (img)[(c * 32 + y) * 32 + x] = col[c];
    }
  n = rel_slic (img, &pp, 16, 1.0, labels, &error);
  g_assert_no_error (error);
  g_test_message ("SLIC found %d segments for 16 blocks", n);
  g_assert_cmpint (n, >=, 12);
  g_assert_cmpint (n, <=, 32);
  assert_segments_connected (labels, n, 32, 32);
  /* every block is (almost) inside one segment */
  for (int b = 0; b < 16; b++)
    {
      g_autofree int *hist = g_new0 (int, n);
      int best = 0;
      for (int y = (b / 4) * 8; y < (b / 4) * 8 + 8; y++)
        for (int x = (b % 4) * 8; x < (b % 4) * 8 + 8; x++)
          {
            int k = ++hist[labels[y * 32 + x]];
            best = MAX (best, k);
          }
      pure += best;
    }
  g_test_message ("block purity %.3f", pure / 1024.0);
  g_assert_cmpfloat (pure / 1024.0, >=, 0.9);
}

static void
test_slic_natural (void)
{
  /* the fixture's input, smoothed to look more like a photo: connected
   * segments, about as many as asked */
  g_autoptr(RelTensor) noise = fixture_npy ("tiny-resnet", "input.npy");
  g_autoptr(RelTensor) x = rel_tensor_new_like (noise, NULL);
  g_autoptr(GError) error = NULL;
  RelPreprocess pp = { 0 };
  int labels[32 * 32];
  int n;

  pp.range_low = 0;
  pp.range_high = 1;
  rel_gaussian_blur (rel_tensor_f32 (noise), rel_tensor_f32 (x), 3, 32, 32, 1.5);
  n = rel_slic (x, &pp, 25, 10.0, labels, &error);
  g_assert_no_error (error);
  g_test_message ("SLIC: %d segments for 25 asked", n);
  g_assert_cmpint (n, >=, 10);
  g_assert_cmpint (n, <=, 60);
  assert_segments_connected (labels, n, 32, 32);
}

/* ---- LIME ---- */

/* input 1×1×H×W → Flatten → Gemm with a H·W×1 weight: f(x) = Σ_p w_p x_p. */
static RelModel *
linear_model (int h, int w, const float *weights)
{
  RelModel *m = rel_model_new ();
  int64_t wshape[] = { (int64_t) h * w, 1 };
  g_autoptr(GError) error = NULL;
  int in = rel_model_intern_value (m, "input");
  int wv = rel_model_intern_value (m, "W");
  int flat = rel_model_intern_value (m, "flat");
  int out = rel_model_intern_value (m, "logits");
  RelValue *v = rel_model_value (m, in);

  v->dtype = REL_DTYPE_FLOAT32;
  v->ndim = 4;
  v->shape[0] = -1;
  v->shape[1] = 1;
  v->shape[2] = h;
  v->shape[3] = w;
  rel_model_value (m, wv)->constant = rel_tensor_new_from_f32 (2, wshape, weights, &error);
  g_assert_no_error (error);
  m->n_nodes = 2;
  m->nodes = g_new0 (RelNode, 2);
  m->nodes[0].name = g_strdup ("flatten");
  m->nodes[0].op_type = g_strdup ("Flatten");
  m->nodes[0].n_inputs = 1;
  m->nodes[0].inputs = g_new (int, 1);
  m->nodes[0].inputs[0] = in;
  m->nodes[0].n_outputs = 1;
  m->nodes[0].outputs = g_new (int, 1);
  m->nodes[0].outputs[0] = flat;
  m->nodes[1].name = g_strdup ("gemm");
  m->nodes[1].op_type = g_strdup ("Gemm");
  m->nodes[1].n_inputs = 2;
  m->nodes[1].inputs = g_new (int, 2);
  m->nodes[1].inputs[0] = flat;
  m->nodes[1].inputs[1] = wv;
  m->nodes[1].n_outputs = 1;
  m->nodes[1].outputs = g_new (int, 1);
  m->nodes[1].outputs[0] = out;
  m->input = in;
  m->output = out;
  m->preprocess.range_low = 0;
  m->preprocess.range_high = 1;
  g_assert_true (rel_model_finish (m, &error));
  g_assert_no_error (error);
  return m;
}

/* 29×35: SLIC's grid of about 16 superpixels (step 8) does not tile it,
 * so the last row and column of segments are cut */
static void
test_lime_linear_model (void)
{
  const int H = 29, W = 35;
  int64_t shape[] = { 1, 1, H, W };
  g_autoptr(RelTensor) x = rel_tensor_new_f32 (4, shape, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) m = NULL;
  g_autoptr(RelExplanation) e = NULL;
  g_autofree float *weights = g_new (float, H * W);
  g_autofree double *coef = NULL, *mean = NULL;
  g_autofree int *size = NULL;
  g_autofree int *labels = g_new (int, H * W);
  int n;
  const char *sets[] = { "segments=16", "compactness=10", "samples=800", "fill=zero", "ridge=0.0001", NULL };
  RelRng rng;
  double scale = 0, worst = 0;

  /* smooth, varied brightness so segments differ */
  for (int y = 0; y < H; y++)
    for (int xx = 0; xx < W; xx++)
      rel_tensor_f32 (x)[y * W + xx] = (float) (0.5 + 0.4 * sin (xx / 5.0) * cos (y / 7.0));
  {
    RelPreprocess pp = { 0 };
    pp.range_low = 0;
    pp.range_high = 1;
    n = rel_slic (x, &pp, 16, 10.0, labels, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpint (n, >, 4);
  /* f(x) = Σ_s c_s · mean_s(x) */
  coef = g_new (double, n);
  mean = g_new0 (double, n);
  size = g_new0 (int, n);
  rel_rng_init (&rng, 77);
  for (int s = 0; s < n; s++)
    coef[s] = 2.0 * rel_rng_uniform (&rng) - 1.0;
  for (int p = 0; p < H * W; p++)
    {
      size[labels[p]]++;
      mean[labels[p]] += rel_tensor_f32 (x)[p];
    }
  for (int s = 0; s < n; s++)
    mean[s] /= size[s];
  for (int p = 0; p < H * W; p++)
    weights[p] = (float) (coef[labels[p]] / size[labels[p]]);
  m = linear_model (H, W, weights);

  e = run (m, x, "lime", 0, 5, sets, NULL, 0, &error);
  g_assert_no_error (error);
  /* switching superpixel s off (zero fill) removes c_s·mean_s: that is its weight */
  for (int s = 0; s < n; s++)
    scale = MAX (scale, fabs (coef[s] * mean[s]));
  for (int p = 0; p < H * W; p++)
    worst = MAX (worst, fabs (rel_tensor_f32 (e->relevance)[p] - coef[labels[p]] * mean[labels[p]]));
  g_test_message ("LIME on a linear model: %d superpixels, max weight error %.3g of %.3g", n, worst, scale);
  g_assert_cmpfloat (worst, <=, 1e-3 * scale);
}

static void
test_lime_seed_progress (void)
{
  g_autoptr(RelModel) m = fixture_model ("tiny-resnet", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-resnet", "input.npy");
  const char *sets[] = { "segments=20", "samples=100", NULL };
  ProgressLog log = { g_array_new (FALSE, FALSE, sizeof (double)), 0, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(RelExplanation) a = run (m, x, "lime", 1, 9, sets, &log, 32, &error);
  g_autoptr(RelExplanation) b = run (m, x, "lime", 1, 9, sets, NULL, 0, &error);
  g_autoptr(RelExplanation) c = run (m, x, "lime", 1, 10, sets, NULL, 0, &error);
  double diff = 0;

  g_assert_no_error (error);
  /* the batch size does not change the draws */
  g_assert_cmpmem (rel_tensor_f32 (a->relevance), x->numel * 4, rel_tensor_f32 (b->relevance), x->numel * 4);
  for (int64_t i = 0; i < x->numel; i++)
    diff = MAX (diff, fabs (rel_tensor_f32 (a->relevance)[i] - rel_tensor_f32 (c->relevance)[i]));
  g_assert_cmpfloat (diff, >, 0);
  /* 100 samples in batches of 32: 4 reports ending at 1 */
  g_assert_cmpint (log.fractions->len, ==, 4);
  g_assert_cmpfloat (g_array_index (log.fractions, double, 3), ==, 1.0);
  g_array_unref (log.fractions);
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
  g_test_add_func ("/explain-perturb/occlusion-fixtures", test_occlusion_fixtures);
  g_test_add_func ("/explain-perturb/occlusion-brute-force", test_occlusion_brute_force);
  g_test_add_func ("/explain-perturb/occlusion-progress-cancel", test_occlusion_progress_cancel);
  g_test_add_func ("/explain-perturb/slic-blocks", test_slic_blocks);
  g_test_add_func ("/explain-perturb/slic-natural", test_slic_natural);
  g_test_add_func ("/explain-perturb/lime-linear-model", test_lime_linear_model);
  g_test_add_func ("/explain-perturb/lime-seed-progress", test_lime_seed_progress);
  return g_test_run ();
}
