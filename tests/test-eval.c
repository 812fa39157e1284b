/* test-eval.c — the evaluation metrics (core/rel-eval.c): exact values on a
 * linear model, agreement with the NumPy/PyTorch references of
 * tests/reference/make-eval-fixture.py on tiny-cnn, the random-order null
 * case, not-applicable maps, randomisation, progress and cancellation, and
 * `relevance-cli evaluate`.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fixture-util.h"
#include "rel-error.h"
#include "rel-eval.h"
#include "rel-gradient.h"
#include "rel-rng.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

static RelExplanation *
explain (RelModel *model, RelTensor *input, const char *method, int target)
{
  g_autoptr(GError) error = NULL;
  RelExplainRequest req = { 0 };
  RelExplanation *e;

  req.model = model;
  req.input = input;
  req.target = (RelTarget) { REL_TARGET_CLASS, target, 0, FALSE };
  e = rel_explain (rel_method_lookup (method), &req, &error);
  g_assert_no_error (error);
  return e;
}

static RelMetricResult *
run_metric (RelModel *model, RelTensor *input, const RelTensor *map, int target, const char *name,
            const char *const *sets, const RelParams *method_params, const guint8 *mask, guint64 seed)
{
  g_autoptr(GError) error = NULL;
  const RelMetricDef *metric = rel_metric_lookup (name);
  g_autoptr(RelParams) p = NULL;
  RelMetricRequest req = { 0 };
  RelMetricResult *r;

  g_assert_nonnull (metric);
  p = rel_metric_params_new (metric);
  for (int i = 0; sets && sets[i]; i++)
    {
      rel_params_set_assignment (p, sets[i], &error);
      g_assert_no_error (error);
    }
  req.model = model;
  req.input = input;
  req.target = (RelTarget) { REL_TARGET_CLASS, target, 0, FALSE };
  req.relevance = map;
  req.params = p;
  req.method_params = method_params;
  req.mask = mask;
  req.seed = seed;
  r = rel_metric_run (metric, &req, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r);
  return r;
}

/* f(x) = wᵀx, fill 0: every step removes one patch's share of the sum, so
 * f(x_0) − f(x_k) is the sum of the k largest patch sums of x ⊙ w, and the
 * input × gradient map predicts every square removal exactly. */
static void
test_linear_exact (void)
{
  g_autoptr(RelModel) model = fixture_model ("eval", "linear.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("eval", "linear-input.npy");
  g_autoptr(RelExplanation) e = NULL;
  g_autoptr(RelMetricResult) infid = NULL, aopc = NULL, lerf = NULL, sens = NULL, gsens = NULL;
  g_autoptr(RelParams) ixg = NULL, grad = NULL;
  const char *sets_flip[] = { "patch=2", NULL };
  const char *sets_inf[] = { "perturbation=square", "square=3", "samples=40", NULL };
  const char *sets_sens[] = { "samples=5", "radius=0.05", NULL };
  double sums[16], expect = 0, acc = 0, expect_lerf = 0;
  const float *r;
  const float *w = NULL;
  int order[16];

  if (model == NULL || x == NULL)
    return;
  e = explain (model, x, "input-x-gradient", 0);
  r = rel_tensor_f32 (e->relevance);
  /* the closed form: patch sums of R = x ⊙ w (the map itself, checked against w below) */
  w = rel_tensor_f32 (rel_model_value (model, rel_model_find_value (model, "W"))->constant);
  for (int i = 0; i < 192; i++)
    g_assert_cmpfloat_with_epsilon (r[i], rel_tensor_f32 (x)[i] * w[i], 1e-5);
  for (int py = 0; py < 4; py++)
    for (int px = 0; px < 4; px++)
      {
        double s = 0;
        for (int c = 0; c < 3; c++)
          for (int y = 2 * py; y < 2 * py + 2; y++)
            for (int xx = 2 * px; xx < 2 * px + 2; xx++)
              s += r[c * 64 + y * 8 + xx];
        sums[py * 4 + px] = s;
        order[py * 4 + px] = py * 4 + px;
      }
  for (int i = 0; i < 16; i++)   /* selection sort, descending */
    for (int j = i + 1; j < 16; j++)
      if (sums[order[j]] > sums[order[i]])
        {
          int t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
  /* AOPC = 1/(L+1) Σ_{k=0..L} Σ_{j≤k} S_(j) */
  for (int k = 0; k <= 16; k++)
    {
      if (k > 0)
        acc += sums[order[k - 1]];
      expect += acc;
    }
  expect /= 17;
  acc = 0;
  for (int k = 0; k <= 16; k++)
    {
      if (k > 0)
        acc += sums[order[16 - k]];
      expect_lerf += acc;
    }
  expect_lerf /= 17;

  aopc = run_metric (model, x, e->relevance, 0, "aopc-morf", sets_flip, NULL, NULL, 1);
  g_assert_null (aopc->not_applicable);
  g_assert_cmpint (aopc->n_steps, ==, 17);
  g_assert_cmpfloat_with_epsilon (aopc->value, expect, 1e-4 * fabs (expect) + 1e-5);
  lerf = run_metric (model, x, e->relevance, 0, "aopc-lerf", sets_flip, NULL, NULL, 1);
  g_assert_cmpfloat_with_epsilon (lerf->value, expect_lerf, 1e-4 * fabs (expect_lerf) + 1e-5);
  g_assert_cmpfloat (aopc->value, >, lerf->value);
  /* the last step removed everything: f = 0 */
  g_assert_cmpfloat_with_epsilon (aopc->scores[16], 0, 1e-5);

  infid = run_metric (model, x, e->relevance, 0, "infidelity", sets_inf, NULL, NULL, 7);
  g_assert_null (infid->not_applicable);
  g_assert_cmpfloat (infid->value, <, 1e-9);

  /* the gradient of a linear model is w everywhere: max-sensitivity 0; the
   * input × gradient map moves with the input, so it is not */
  ixg = rel_params_new (rel_method_lookup ("input-x-gradient"));
  grad = rel_params_new (rel_method_lookup ("gradient"));
  {
    g_autoptr(RelExplanation) eg = explain (model, x, "gradient", 0);
    g_autoptr(RelMetricResult) avg = NULL;
    gsens = run_metric (model, x, eg->relevance, 0, "max-sensitivity", sets_sens, grad, NULL, 3);
    g_assert_cmpfloat (gsens->value, <, 1e-6);
    sens = run_metric (model, x, e->relevance, 0, "max-sensitivity", sets_sens, ixg, NULL, 3);
    avg = run_metric (model, x, e->relevance, 0, "avg-sensitivity", sets_sens, ixg, NULL, 3);
    g_assert_cmpfloat (sens->value, >, 1e-3);
    g_assert_cmpfloat (avg->value, <=, sens->value + 1e-12);
    g_assert_cmpfloat (avg->value, >, 0);
    /* |Δx_i| ≤ r · range = 0.05 with range 1, so ‖ΔR‖ ≤ 0.05 ‖w‖ */
    {
      double nw = 0, nr = 0;
      for (int i = 0; i < 192; i++)
        nw += (double) w[i] * w[i], nr += (double) r[i] * r[i];
      g_assert_cmpfloat (sens->value, <=, 0.05 * sqrt (nw / nr) + 1e-9);
    }
  }
  /* Gaussian perturbations with the gradient (I weighs the map): exact too */
  {
    g_autoptr(RelExplanation) eg = explain (model, x, "gradient", 0);
    const char *sets_g[] = { "perturbation=gaussian", "samples=16", NULL };
    const char *sets_sq[] = { "perturbation=square", "indicator=false", "samples=16", NULL };
    g_autoptr(RelMetricResult) ig = run_metric (model, x, eg->relevance, 0, "infidelity", sets_g, NULL, NULL, 5);
    g_autoptr(RelMetricResult) isq = run_metric (model, x, eg->relevance, 0, "infidelity", sets_sq, NULL, NULL, 5);
    g_autoptr(RelMetricResult) bad = run_metric (model, x, eg->relevance, 0, "infidelity", sets_inf, NULL, NULL, 5);
    g_assert_cmpfloat (ig->value, <, 1e-8);
    g_assert_cmpfloat (isq->value, <, 1e-8);
    /* …while the gradient weighed by the indicator mispredicts */
    g_assert_cmpfloat (bad->value, >, 1e-3);
  }
}

static void
test_complexity (void)
{
  float c[100], one[100] = { 0 };
  for (int i = 0; i < 100; i++)
    c[i] = -0.3f;
  one[42] = 5;
  g_assert_cmpfloat_with_epsilon (rel_eval_gini (c, 100), 0, 1e-12);
  g_assert_cmpfloat_with_epsilon (rel_eval_gini (one, 100), 0.99, 1e-12);
  g_assert_cmpfloat_with_epsilon (rel_eval_entropy (c, 100), log (100), 1e-9);
  g_assert_cmpfloat_with_epsilon (rel_eval_entropy (one, 100), 0, 1e-12);
  g_assert_true (isnan (rel_eval_gini ((float[4]) { 0 }, 4)));
  /* ranks with ties: identical orderings correlate 1, reversed −1 */
  {
    float a[5] = { 1, 2, 2, 3, 5 }, b[5] = { 10, 20, 20, 30, 50 }, d[5] = { 5, 3, 3, 2, 1 };
    g_assert_cmpfloat_with_epsilon (rel_eval_spearman (a, b, 5), 1, 1e-12);
    g_assert_cmpfloat_with_epsilon (rel_eval_spearman (a, d, 5), -1, 1e-12);
  }
}

/* Agreement with tests/reference/make-eval-fixture.py on tiny-cnn. */
static void
test_reference (void)
{
  g_autoptr(RelModel) model = fixture_model ("tiny-cnn", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
  g_autoptr(RelTensor) r = fixture_npy ("tiny-cnn", "input_x_gradient.npy");
  g_autoptr(RelTensor) grad = fixture_npy ("tiny-cnn", "gradient.npy");
  g_autoptr(RelTensor) sc = fixture_npy ("eval", "tiny-scalars.npy");
  g_autoptr(RelTensor) morf_ref = fixture_npy ("eval", "tiny-morf.npy");
  g_autoptr(RelTensor) lerf_ref = fixture_npy ("eval", "tiny-lerf.npy");
  g_autoptr(RelTensor) del_ref = fixture_npy ("eval", "tiny-deletion.npy");
  g_autoptr(RelTensor) ins_ref = fixture_npy ("eval", "tiny-insertion-mean.npy");
  const char *ins_sets[] = { "fill=mean", NULL };
  const float *s;
  guint8 box[28 * 28] = { 0 };
  int target;
  struct { const char *metric; const char *const *sets; int idx; const RelTensor *curve; double tol; } cases[] = {
    { "aopc-morf", NULL, 0, morf_ref, 1e-4 },
    { "aopc-lerf", NULL, 1, lerf_ref, 1e-4 },
    { "abpc", NULL, 2, morf_ref, 1e-4 },
    { "deletion", NULL, 3, del_ref, 1e-5 },
    { "insertion", ins_sets, 4, ins_ref, 1e-5 },
    { "sparseness", NULL, 5, NULL, 1e-5 },
    { "entropy", NULL, 6, NULL, 1e-5 },
    { "mass-accuracy", NULL, 9, NULL, 1e-5 },
    { "rank-accuracy", NULL, 10, NULL, 1e-6 },
    { "pointing-game", NULL, 11, NULL, 1e-12 },
  };

  if (!model || !x || !r || !grad || !sc || !morf_ref || !lerf_ref || !del_ref || !ins_ref)
    return;
  target = fixture_target ("tiny-cnn");
  s = rel_tensor_f32 (sc);
  for (int y = 8; y < 20; y++)
    for (int xx = 10; xx < 22; xx++)
      box[y * 28 + xx] = 1;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(RelMetricResult) res = run_metric (model, x, r, target, cases[i].metric, cases[i].sets, NULL, box, 0);
      g_test_message ("%s: %.8g (reference %.8g)", cases[i].metric, res->value, s[cases[i].idx]);
      g_assert_null (res->not_applicable);
      g_assert_cmpfloat_with_epsilon (res->value, s[cases[i].idx], cases[i].tol);
      if (cases[i].curve)
        {
          g_assert_cmpint (res->n_steps, ==, cases[i].curve->numel);
          g_assert_cmpint (res->n_steps, ==, 50);   /* 7×7 patches of 4 at 28², and step 0 */
          for (int k = 0; k < res->n_steps; k++)
            g_assert_cmpfloat_with_epsilon (res->scores[k], rel_tensor_f32 (cases[i].curve)[k], 1e-4);
        }
    }
  /* similarities of two fixture maps */
  {
    g_autofree float *a = rel_eval_pixel_map (grad), *b = rel_eval_pixel_map (r);
    float ma = 0, mb = 0;
    for (int i = 0; i < 784; i++)
      {
        a[i] = fabsf (a[i]), b[i] = fabsf (b[i]);
        ma = MAX (ma, a[i]), mb = MAX (mb, b[i]);
      }
    g_assert_cmpfloat_with_epsilon (rel_eval_spearman (a, b, 784), s[7], 1e-6);
    for (int i = 0; i < 784; i++)
      a[i] /= ma, b[i] /= mb;
    g_assert_cmpfloat_with_epsilon (rel_eval_ssim (a, b, 28, 28, 1.0), s[8], 1e-5);
    g_assert_cmpfloat_with_epsilon (rel_eval_ssim (a, a, 28, 28, 1.0), 1.0, 1e-9);
  }
}

/* Random maps order the patches at random: ABPC ≈ 0 within its 95 % CI,
 * while the input × gradient map's ABPC lies clearly above it. */
static void
test_random_abpc (void)
{
  g_autoptr(RelModel) model = fixture_model ("tiny-cnn", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
  g_autoptr(RelTensor) r = fixture_npy ("tiny-cnn", "input_x_gradient.npy");
  const int n = 30;
  double v[30], mean, ci;
  int used, target;

  if (!model || !x || !r)
    return;
  target = fixture_target ("tiny-cnn");
  for (int i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RelTensor) map = rel_tensor_new_like (x, &error);
      g_autoptr(RelMetricResult) res = NULL;
      RelRng rng;
      rel_rng_init (&rng, 100 + i);
      for (int64_t j = 0; j < map->numel; j++)
        rel_tensor_f32 (map)[j] = (float) rel_rng_uniform (&rng);
      res = run_metric (model, x, map, target, "abpc", NULL, NULL, NULL, 0);
      v[i] = res->value;
    }
  rel_eval_mean_ci (v, n, &mean, &ci, &used);
  g_test_message ("random ABPC %.5f ± %.5f (n = %d)", mean, ci, used);
  g_assert_cmpint (used, ==, n);
  g_assert_cmpfloat (ci, >, 0);
  g_assert_cmpfloat (fabs (mean), <=, ci);
  {
    g_autoptr(RelMetricResult) res = run_metric (model, x, r, target, "abpc", NULL, NULL, NULL, 0);
    g_assert_cmpfloat (res->value, >, mean + 2 * ci);
  }
}

static void
test_not_applicable (void)
{
  g_autoptr(RelModel) model = fixture_model ("tiny-cnn", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
  g_autoptr(RelTensor) r = fixture_npy ("tiny-cnn", "input_x_gradient.npy");
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) zero = NULL;
  const char *curves[] = { "aopc-morf", "abpc", "deletion", "insertion", "sparseness", "randomisation" };
  const char *loc[] = { "mass-accuracy", "rank-accuracy", "pointing-game" };

  if (!model || !x || !r)
    return;
  zero = rel_tensor_new_like (x, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (curves); i++)
    {
      g_autoptr(RelParams) mp = rel_params_new (rel_method_lookup ("gradient"));
      g_autoptr(RelMetricResult) res = run_metric (model, x, zero, 4, curves[i], NULL, mp, NULL, 0);
      g_assert_nonnull (res->not_applicable);
      g_assert_nonnull (strstr (res->not_applicable, "zero"));
      g_assert_true (isnan (res->value));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (loc); i++)
    {
      g_autoptr(RelMetricResult) res = run_metric (model, x, r, 4, loc[i], NULL, NULL, NULL, 0);
      g_assert_nonnull (strstr (res->not_applicable, "region"));
    }
  /* sensitivity without the explainer */
  {
    g_autoptr(RelMetricResult) res = run_metric (model, x, r, 4, "max-sensitivity", NULL, NULL, NULL, 0);
    g_assert_nonnull (res->not_applicable);
  }
}

/* The incremental curves (the default: a chain of incremental passes, see
 * rel_incremental_forward_chain) equal a full forward pass per step, for
 * every fill, both orders, logit and probability scores, on tiny-cnn and the
 * narrow torchvision ResNet-18 (whose early stages run on rectangles). */
static void
test_incremental (void)
{
  static const struct { const char *dir, *map; } models[] = {
    { "tiny-cnn", "input_x_gradient.npy" },
    { "torchvision-small/resnet18", "gradient.npy" },
  };
  static const struct { const char *metric; const char *sets[3]; } cases[] = {
    { "aopc-morf", { "fill=zero", NULL } },
    { "aopc-lerf", { "fill=noise", "batch=5", NULL } },
    { "deletion", { "fill=mean", NULL } },
    { "insertion", { "fill=blur", "batch=1", NULL } },
    { "abpc", { "fill=blur", "score=probability", NULL } },
  };
  double worst = 0;

  for (gsize m = 0; m < G_N_ELEMENTS (models); m++)
    {
      g_autoptr(RelModel) model = fixture_model (models[m].dir, "model.onnx");
      g_autoptr(RelTensor) x = fixture_npy (models[m].dir, "input.npy");
      g_autoptr(RelTensor) r = fixture_npy (models[m].dir, models[m].map);
      int target;

      if (!model || !x || !r)
        return;
      target = m == 0 ? fixture_target ("tiny-cnn") : 0;
      for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
        {
          const char *plain_sets[4] = { NULL };
          int ns = 0;
          g_autoptr(RelMetricResult) inc = NULL, plain = NULL;
          double scale = 0;

          for (ns = 0; cases[c].sets[ns]; ns++)
            plain_sets[ns] = cases[c].sets[ns];
          plain_sets[ns] = "incremental=false";
          inc = run_metric (model, x, r, target, cases[c].metric, cases[c].sets, NULL, NULL, 3);
          plain = run_metric (model, x, r, target, cases[c].metric, plain_sets, NULL, NULL, 3);
          g_assert_null (inc->not_applicable);
          /* 7×7 patches of 4 at 28², 16×16 at 64²; and step 0 */
          g_assert_cmpint (inc->n_steps, ==, m == 0 ? 50 : 257);
          g_assert_cmpint (inc->n_steps, ==, plain->n_steps);
          for (int k = 0; k < plain->n_steps; k++)
            {
              scale = MAX (scale, fabs (plain->scores[k]));
              if (plain->scores2)
                scale = MAX (scale, fabs (plain->scores2[k]));
            }
          g_assert_cmpfloat (scale, >, 0);
          for (int k = 0; k < plain->n_steps; k++)
            {
              g_assert_cmpfloat (inc->steps[k], ==, plain->steps[k]);
              worst = MAX (worst, fabs (inc->scores[k] - plain->scores[k]) / scale);
              if (plain->scores2)
                worst = MAX (worst, fabs (inc->scores2[k] - plain->scores2[k]) / scale);
            }
          /* the curve moves: the comparison is not between two flat lines */
          {
            double moved = 0;
            for (int k = 0; k < plain->n_steps; k++)
              moved = MAX (moved, fabs (plain->scores[k] - plain->scores[0]));
            g_assert_cmpfloat (moved, >, 1e-3 * scale);
          }
          g_assert_cmpfloat (fabs (inc->value - plain->value), <=, 1e-5 * scale);
          g_test_message ("%s %s: %.8g (incremental) vs %.8g (a pass per step)", models[m].dir, cases[c].metric,
                          inc->value, plain->value);
        }
    }
  g_test_message ("incremental vs plain: worst |Δscore| %.3g × max|score|", worst);
  g_assert_cmpfloat (worst, <=, 1e-5);
}

static void
on_progress (const RelMetricResult *partial, double fraction, gpointer data)
{
  GArray *f = data;
  g_assert_cmpint (partial->n_steps, >, 0);
  g_array_append_val (f, fraction);
}

static void
on_progress_cancel (const RelMetricResult *partial, double fraction, gpointer data)
{
  g_atomic_int_set ((volatile gint *) data, 1);
}

static void
test_progress_cancel (void)
{
  g_autoptr(RelModel) model = fixture_model ("tiny-cnn", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
  g_autoptr(RelTensor) r = fixture_npy ("tiny-cnn", "input_x_gradient.npy");
  g_autoptr(GArray) fr = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GError) error = NULL;
  g_autoptr(RelMetricResult) res = NULL;
  RelMetricRequest req = { 0 };
  volatile gint cancel = 0;
  g_autoptr(RelParams) p = rel_metric_params_new (rel_metric_lookup ("aopc-morf"));

  if (!model || !x || !r)
    return;
  req.model = model;
  req.input = x;
  req.target = (RelTarget) { REL_TARGET_CLASS, 4, 0, FALSE };
  req.relevance = r;
  req.params = p;
  req.n_threads = 1;   /* one chain: two threads split it in halves, the second reported at its end */
  req.progress = on_progress;
  req.progress_data = fr;
  rel_params_set (p, "batch", "8", &error);
  g_assert_no_error (error);
  res = rel_metric_run (rel_metric_lookup ("aopc-morf"), &req, &error);
  g_assert_no_error (error);
  /* 49 steps after the clean one in batches of 8: 7 reports, rising to 1 */
  g_assert_cmpint (fr->len, ==, 7);
  for (guint i = 1; i < fr->len; i++)
    g_assert_cmpfloat (g_array_index (fr, double, i), >, g_array_index (fr, double, i - 1));
  g_assert_cmpfloat (g_array_index (fr, double, fr->len - 1), ==, 1.0);

  req.progress = on_progress_cancel;
  req.progress_data = (gpointer) &cancel;
  req.cancel = &cancel;
  g_clear_pointer (&res, rel_metric_result_free);
  res = rel_metric_run (rel_metric_lookup ("aopc-morf"), &req, &error);
  g_assert_error (error, REL_ERROR, REL_ERROR_CANCELLED);
  g_assert_null (res);
}

static char *
file_checksum (const char *path)
{
  g_autofree char *data = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
}

static void
test_randomisation (void)
{
  g_autoptr(RelModel) model = fixture_model ("tiny-cnn", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
  g_autoptr(RelExplanation) e = NULL;
  g_autoptr(RelParams) mp = rel_params_new (rel_method_lookup ("gradient"));
  g_autoptr(RelMetricResult) casc = NULL, casc2 = NULL, indep = NULL, ssim = NULL;
  g_autofree char *sum_before = NULL, *sum_after = NULL;
  const char *indep_sets[] = { "order=independent", NULL };
  const char *ssim_sets[] = { "similarity=ssim", NULL };
  double logit_before;

  if (!model || !x)
    return;
  sum_before = file_checksum (model->path);
  e = explain (model, x, "gradient", 4);
  logit_before = e->explained_output;
  casc = run_metric (model, x, e->relevance, 4, "randomisation", NULL, mp, NULL, 9);
  g_assert_null (casc->not_applicable);
  /* the original, then the 4 weight layers from the output down */
  g_assert_cmpint (casc->n_steps, ==, 5);
  g_assert_cmpstr (casc->labels[0], ==, "original");
  g_assert_cmpstr (casc->labels[1], ==, model->nodes[model->n_nodes - 1].name);
  g_assert_cmpfloat_with_epsilon (casc->scores[0], 1.0, 1e-12);
  g_test_message ("cascading Spearman: %.3f %.3f %.3f %.3f", casc->scores[1], casc->scores[2], casc->scores[3],
                  casc->scores[4]);
  /* a gradient map of a fully random network has little to do with the original */
  g_assert_cmpfloat (casc->value, <, 0.5);
  g_assert_cmpfloat (casc->value, ==, casc->scores[4]);
  /* seeded: the same figures again */
  casc2 = run_metric (model, x, e->relevance, 4, "randomisation", NULL, mp, NULL, 9);
  for (int k = 0; k < 5; k++)
    g_assert_cmpfloat (casc2->scores[k], ==, casc->scores[k]);
  /* independent: step 4 randomises only the first Conv, so differs from cascading's all-random step */
  indep = run_metric (model, x, e->relevance, 4, "randomisation", indep_sets, mp, NULL, 9);
  g_assert_cmpint (indep->n_steps, ==, 5);
  /* the first step randomises the same (top) layer with the same draw in both orders */
  g_assert_cmpfloat_with_epsilon (indep->scores[1], casc->scores[1], 1e-12);
  g_assert_cmpfloat (indep->scores[4], !=, casc->scores[4]);
  ssim = run_metric (model, x, e->relevance, 4, "randomisation", ssim_sets, mp, NULL, 9);
  g_assert_cmpfloat (ssim->scores[0], ==, 1.0);
  g_assert_cmpfloat (ssim->value, <, 0.9);
  /* the caller's model and the file are untouched */
  {
    g_autoptr(RelExplanation) e2 = explain (model, x, "gradient", 4);
    g_assert_cmpfloat (e2->explained_output, ==, logit_before);
  }
  sum_after = file_checksum (model->path);
  g_assert_cmpstr (sum_before, ==, sum_after);
}

/* `relevance-cli evaluate`: JSON per method and metric; a metric that does not apply says why. */
static void
test_cli (void)
{
  const char *cli = g_getenv ("RELEVANCE_CLI");
  g_autofree char *model = g_build_filename (g_getenv ("RELEVANCE_FIXTURES"), "tiny-cnn", "model.onnx", NULL);
  g_autofree char *input = g_build_filename (g_getenv ("RELEVANCE_FIXTURES"), "tiny-cnn", "input.npy", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root, *m0, *metrics, *morf, *mass;
  JsonArray *methods;
  int status;

  if (cli == NULL)
    {
      g_test_skip ("RELEVANCE_CLI not set");
      return;
    }
  {
    const char *argv[] = { cli, "evaluate", model, input, "--method", "input-x-gradient", "--method", "gradient",
                           "--metric", "aopc-morf,mass-accuracy", "--metric", "sparseness", "--target", "4",
                           "--set", "patch=7", "--json", NULL };
    g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, &out, &err, &status, &error);
  }
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  methods = json_object_get_array_member (root, "methods");
  g_assert_cmpint (json_array_get_length (methods), ==, 2);
  m0 = json_array_get_object_element (methods, 0);
  g_assert_cmpstr (json_object_get_string_member (m0, "method"), ==, "input-x-gradient");
  metrics = json_object_get_object_member (m0, "metrics");
  morf = json_object_get_object_member (metrics, "aopc-morf");
  /* patch 7 at 28²: 16 patches, 17 steps */
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (morf, "scores")), ==, 17);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (morf, "steps")), ==, 17);
  {
    g_autoptr(RelModel) mdl = fixture_model ("tiny-cnn", "model.onnx");
    g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
    g_autoptr(RelTensor) r = fixture_npy ("tiny-cnn", "input_x_gradient.npy");
    const char *sets[] = { "patch=7", NULL };
    g_autoptr(RelMetricResult) res = run_metric (mdl, x, r, 4, "aopc-morf", sets, NULL, NULL, 0);
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (morf, "value"), res->value, 1e-4);
  }
  mass = json_object_get_object_member (metrics, "mass-accuracy");
  g_assert_true (json_object_get_null_member (mass, "value"));
  g_assert_nonnull (strstr (json_object_get_string_member (mass, "not_applicable"), "region"));
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (metrics, "sparseness"), "value"), >, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* bad input: an unknown metric is a usage error naming it */
  {
    const char *argv[] = { cli, "evaluate", model, input, "--method", "gradient", "--metric", "aopc", NULL };
    g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, &out, &err, &status, &error);
    g_assert_no_error (error);
    g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 2);
    g_assert_true (g_str_has_prefix (err, "relevance-cli: unknown metric “aopc”"));
    g_assert_null (strchr (err, '\n') == err + strlen (err) - 1 ? NULL : "x");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/eval/linear-exact", test_linear_exact);
  g_test_add_func ("/eval/complexity", test_complexity);
  g_test_add_func ("/eval/reference", test_reference);
  g_test_add_func ("/eval/random-abpc", test_random_abpc);
  g_test_add_func ("/eval/incremental", test_incremental);
  g_test_add_func ("/eval/not-applicable", test_not_applicable);
  g_test_add_func ("/eval/progress-cancel", test_progress_cancel);
  g_test_add_func ("/eval/randomisation", test_randomisation);
  g_test_add_func ("/eval/cli", test_cli);
  return g_test_run ();
}
