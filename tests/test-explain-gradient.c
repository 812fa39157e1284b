/* test-explain-gradient.c — the gradient family against finite differences
 * and its axioms: IG completeness for every quadrature rule and baseline,
 * SmoothGrad at σ = 0, VarGrad ≥ 0, seeds, progress, cancellation, targets.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-explain.h"
#include "rel-gradient.h"
#include "rel-image.h"
#include "rel-npy.h"
#include "rel-blur.h"
#include "fixture-util.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Runs @method with "key=value" assignments (NULL-terminated). */
static RelExplanation *
explain (RelModel *model, RelTensor *input, const char *method, const RelTarget *target,
         guint64 seed, const char *const *sets, GError **error)
{
  const RelMethodDef *def = rel_method_lookup (method);
  g_autoptr(RelParams) params = NULL;
  RelExplainRequest req = { 0 };

  g_assert_nonnull (def);
  params = rel_params_new (def);
  for (int i = 0; sets && sets[i]; i++)
    {
      g_autoptr(GError) local = NULL;
      rel_params_set_assignment (params, sets[i], &local);
      g_assert_no_error (local);
    }
  req.model = model;
  req.input = input;
  req.params = params;
  req.seed = seed;
  if (target)
    req.target = *target;
  return rel_explain (def, &req, error);
}

static RelTarget
class_target (int a)
{
  RelTarget t = { REL_TARGET_CLASS, a, 0, FALSE };
  return t;
}

/* f(x) for the target, from a forward pass. */
static double
target_value (RelModel *model, RelTensor *x, const RelTarget *t)
{
  g_autoptr(GError) error = NULL;
  double v = 0;
  gboolean ok = rel_grad_batch (model, t, x, NULL, NULL, NULL, NULL, &v, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  return v;
}

static double
max_abs (const RelTensor *t)
{
  return rel_tensor_max_abs (t);
}

/* ---- gradient vs central differences ---- */

static void
check_finite_differences (const RelTarget *target)
{
  g_autoptr(RelModel) model = fixture_model ("tiny-cnn", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
  g_autoptr(GError) error = NULL;
  g_autoptr(RelExplanation) e = explain (model, x, "gradient", target, 0, NULL, &error);
  int64_t n = x->numel;
  const int bs = 3 * 64;
  const double h = 3e-3;
  double gmax, worst = 0;
  int checked = 0, skipped = 0;

  g_assert_no_error (error);
  gmax = max_abs (e->relevance);
  g_assert_cmpfloat (gmax, >, 0);
  /* per pixel: x − h, x, x + h in one batch; the model is piecewise linear, so
   * central differences are exact unless a ReLU or max-pool switches inside
   * [x − h, x + h], which shows as one-sided slopes that disagree */
  for (int64_t start = 0; start < n; start += bs / 3)
    {
      int m = (int) MIN ((int64_t) bs / 3, n - start);
      g_autoptr(RelTensor) batch = rel_batch_new (x, 3 * m, &error);
      g_autofree double *v = g_new (double, 3 * m);

      g_assert_no_error (error);
      for (int k = 0; k < m; k++)
        for (int s = 0; s < 3; s++)
          {
            float *dst = rel_tensor_f32 (batch) + (3 * k + s) * n;
            memcpy (dst, rel_tensor_f32 (x), n * sizeof (float));
            dst[start + k] += (float) ((s - 1) * h);
          }
      g_assert_true (rel_grad_batch (model, target, batch, NULL, NULL, NULL, NULL, v, NULL, &error));
      g_assert_no_error (error);
      for (int k = 0; k < m; k++)
        {
          double left = (v[3 * k + 1] - v[3 * k]) / h, right = (v[3 * k + 2] - v[3 * k + 1]) / h;
          double central = (v[3 * k + 2] - v[3 * k]) / (2 * h);
          double g = rel_tensor_f32 (e->relevance)[start + k];

          if (fabs (left - right) > 1e-3 * gmax)
            {
              skipped++;
              continue;
            }
          worst = MAX (worst, fabs (central - g));
          checked++;
        }
    }
  g_test_message ("checked %d pixels (%d kinks skipped): max |fd − grad| = %.3g (max|grad| %.3g)",
                  checked, skipped, worst, gmax);
  g_assert_cmpint (checked, >, n / 2);
  g_assert_cmpfloat (worst, <=, 2e-3 * gmax);
}

static void
test_gradient_finite_differences (void)
{
  RelTarget t = class_target (4);
  check_finite_differences (&t);
}

static void
test_gradient_log_prob_finite_differences (void)
{
  RelTarget t = class_target (2);
  t.log_prob = TRUE;
  check_finite_differences (&t);
}

static void
test_contrast_target (void)
{
  g_autoptr(RelModel) model = fixture_model ("tiny-cnn", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
  g_autoptr(GError) error = NULL;
  RelTarget ta = class_target (3), tb = class_target (5);
  RelTarget tc = { REL_TARGET_CONTRAST, 3, 5, FALSE };
  g_autoptr(RelExplanation) ea = explain (model, x, "gradient", &ta, 0, NULL, &error);
  g_autoptr(RelExplanation) eb = explain (model, x, "gradient", &tb, 0, NULL, &error);
  g_autoptr(RelExplanation) ec = explain (model, x, "gradient", &tc, 0, NULL, &error);
  double scale;

  g_assert_no_error (error);
  scale = max_abs (ec->relevance);
  g_assert_cmpfloat (scale, >, 0);
  for (int64_t i = 0; i < x->numel; i++)
    g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (ec->relevance)[i],
                                    rel_tensor_f32 (ea->relevance)[i] - rel_tensor_f32 (eb->relevance)[i],
                                    1e-5 * scale);
  g_assert_cmpfloat_with_epsilon (ec->explained_output, ea->explained_output - eb->explained_output, 1e-6);
  g_assert_cmpint (ec->target_class, ==, 3);
}

static void
test_predicted_target (void)
{
  g_autoptr(RelModel) model = fixture_model ("tiny-resnet", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-resnet", "input.npy");
  g_autoptr(GError) error = NULL;
  g_autoptr(RelExplanation) e = explain (model, x, "input-x-gradient", NULL, 0, NULL, &error);
  g_autoptr(RelActivations) acts = NULL;
  const float *z;
  int best = 0;

  g_assert_no_error (error);
  acts = rel_model_forward (model, x, NULL, &error);
  g_assert_no_error (error);
  z = rel_tensor_f32 (rel_activations_output (acts));
  for (int j = 1; j < rel_activations_output (acts)->numel; j++)
    if (z[j] > z[best])
      best = j;
  g_assert_cmpint (e->target_class, ==, best);
  g_assert_cmpfloat_with_epsilon (e->explained_output, z[best], 1e-6);
}

/* ---- Integrated Gradients ---- */

/* The class whose output changes most between @x and @baseline: completeness
 * within 1% is only meaningful when the difference is not tiny. */
static int
largest_change (RelModel *model, RelTensor *x, RelTensor *baseline)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelActivations) a = rel_model_forward (model, x, NULL, &error);
  g_autoptr(RelActivations) b = rel_model_forward (model, baseline, NULL, &error);
  const float *za, *zb;
  int best = 0;

  g_assert_no_error (error);
  za = rel_tensor_f32 (rel_activations_output (a));
  zb = rel_tensor_f32 (rel_activations_output (b));
  for (int j = 1; j < rel_activations_output (a)->numel; j++)
    if (fabs (za[j] - zb[j]) > fabs (za[best] - zb[best]))
      best = j;
  return best;
}

static void
check_completeness (const char *model_name, const char *baseline_spec, RelTensor *baseline)
{
  static const char *const rules[] = { "riemann-left", "riemann-right", "riemann-middle", "trapezoid",
                                       "gauss-legendre" };
  g_autoptr(RelModel) model = fixture_model (model_name, "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy (model_name, "input.npy");
  g_autoptr(RelTensor) zeros = rel_tensor_new_like (x, NULL);
  RelTarget t;
  double fx, fb;

  if (baseline == NULL)
    baseline = zeros;
  t = class_target (largest_change (model, x, baseline));
  fx = target_value (model, x, &t);
  fb = target_value (model, baseline, &t);
  for (gsize r = 0; r < G_N_ELEMENTS (rules); r++)
    {
      g_autofree char *rule = g_strdup_printf ("rule=%s", rules[r]);
      g_autofree char *base = g_strdup_printf ("baseline=%s", baseline_spec);
      const char *sets[] = { "steps=256", rule, base, NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(RelExplanation) e = explain (model, x, "integrated-gradients", &t, 0, sets, &error);

      g_assert_no_error (error);
      g_test_message ("%s %s %s: Σ attributions %.6g, f(x) − f(x′) %.6g", model_name, baseline_spec,
                      rules[r], e->relevance_sum, fx - fb);
      g_assert_cmpfloat (fabs (fx - fb), >, 1e-3);
      g_assert_cmpfloat (fabs (e->relevance_sum - (fx - fb)), <=, 0.01 * fabs (fx - fb));
      g_assert_cmpfloat_with_epsilon (e->explained_output, fx, 1e-6);
    }
}

/* one test per model: @data is its fixture folder */
static void
test_ig_completeness_zeros (gconstpointer data)
{
  check_completeness (data, "zeros", NULL);
}

/* IG's completeness from each kind of baseline, one test each (each runs
 * every rule at 256 steps on tiny-resnet) */
static void
test_ig_baseline_constant (void)
{
  g_autoptr(RelTensor) x = fixture_npy ("tiny-resnet", "input.npy");
  g_autoptr(RelTensor) constant = rel_tensor_new_like (x, NULL);

  rel_tensor_fill (constant, 0.5f);
  check_completeness ("tiny-resnet", "constant:0.5", constant);
}

/* a baseline from a file is used as is */
static void
test_ig_baseline_file (void)
{
  g_autoptr(RelTensor) x = fixture_npy ("tiny-resnet", "input.npy");
  g_autoptr(RelTensor) constant = rel_tensor_new_like (x, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("relevance-ig-XXXXXX", NULL);
  g_autofree char *npy = g_build_filename (dir, "baseline.npy", NULL);

  rel_tensor_fill (constant, 0.5f);
  rel_npy_save (npy, constant, &error);
  g_assert_no_error (error);
  check_completeness ("tiny-resnet", npy, constant);
  g_unlink (npy);
  g_rmdir (dir);
}

static void
test_ig_baseline_blur (void)
{
  g_autoptr(RelTensor) x = fixture_npy ("tiny-resnet", "input.npy");
  g_autoptr(RelTensor) blurred = rel_tensor_new_like (x, NULL);

  rel_gaussian_blur (rel_tensor_f32 (x), rel_tensor_f32 (blurred), 3, 32, 32, 2.0);
  /* the blurred input differs from the input, and its mean from zero */
  g_assert_cmpfloat (fabs (rel_tensor_f32 (blurred)[100] - rel_tensor_f32 (x)[100]), >, 0);
  check_completeness ("tiny-resnet", "blur:2", blurred);
}

static void
test_ig_baseline_mean (void)
{
  g_autoptr(RelTensor) x = fixture_npy ("tiny-resnet", "input.npy");
  g_autoptr(RelTensor) mean = rel_channel_mean (x, NULL);

  check_completeness ("tiny-resnet", "mean", mean);
}

static void
test_ig_baseline_dataset_mean (void)
{
  g_autoptr(RelTensor) x = fixture_npy ("tiny-resnet", "input.npy");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("relevance-ig-XXXXXX", NULL);

  /* mean:FOLDER, the dataset's mean image: five random 32×32 images in two
   * class folders, each preprocessed as the model's input, then averaged */
  {
    g_autoptr(RelModel) model = fixture_model ("tiny-resnet", "model.onnx");
    g_autoptr(RelTensor) expect = rel_tensor_new_like (x, NULL);
    g_autoptr(GRand) rand = g_rand_new_with_seed (9);
    g_autofree char *spec = g_strdup_printf ("mean:%s", dir);
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
    const char *classes[] = { "a", "b" };

    for (int c = 0; c < 2; c++)
      {
        g_autofree char *sub = g_build_filename (dir, classes[c], NULL);
        g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
        for (int k = 0; k < (c == 0 ? 2 : 3); k++)
          {
            g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 32, 32);
            guchar *px = gdk_pixbuf_get_pixels (pb);
            int stride = gdk_pixbuf_get_rowstride (pb);
            char *path = g_strdup_printf ("%s/%d.png", sub, k);
            g_autoptr(RelTensor) t = NULL;

            for (int yy = 0; yy < 32; yy++)
              for (int xx = 0; xx < 96; xx++)
                px[yy * stride + xx] = (guchar) (c == 0 ? g_rand_int_range (rand, 0, 128) : g_rand_int_range (rand, 128, 256));
            g_assert_true (gdk_pixbuf_save (pb, path, "png", &error, NULL));
            g_assert_no_error (error);
            t = rel_input_load (model, path, &error);
            g_assert_no_error (error);
            for (int64_t i = 0; i < t->numel; i++)
              rel_tensor_f32 (expect)[i] += rel_tensor_f32 (t)[i] / 5.f;
            g_ptr_array_add (files, path);
          }
        g_ptr_array_add (files, g_steal_pointer (&sub));
      }
    check_completeness ("tiny-resnet", spec, expect);
    /* a folder without images, and one that is not there, are named errors */
    {
      g_autofree char *empty = g_build_filename (dir, "empty", NULL);
      g_autofree char *empty_spec = g_strdup_printf ("baseline=mean:%s", empty);
      const char *sets[] = { empty_spec, NULL };
      const char *missing[] = { "baseline=mean:/nonexistent/folder", NULL };
      RelTarget t = class_target (0);
      g_autoptr(GError) e1 = NULL, e2 = NULL;
      g_autoptr(RelExplanation) r1 = NULL, r2 = NULL;

      g_assert_cmpint (g_mkdir (empty, 0700), ==, 0);
      r1 = explain (model, x, "integrated-gradients", &t, 0, sets, &e1);
      g_assert_null (r1);
      g_assert_nonnull (strstr (e1->message, "no images"));
      r2 = explain (model, x, "integrated-gradients", &t, 0, missing, &e2);
      g_assert_null (r2);
      g_assert_nonnull (strstr (e2->message, "not a folder"));
      g_rmdir (empty);
    }
    /* files before folders: delete in order */
    for (guint i = 0; i < files->len; i++)
      g_remove (g_ptr_array_index (files, i));
  }
  g_rmdir (dir);
}

static void
test_ig_bad_baseline (void)
{
  g_autoptr(RelModel) model = fixture_model ("tiny-cnn", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
  const char *bad[] = { "baseline=constant:abc", NULL };
  const char *missing[] = { "baseline=/nonexistent/baseline.npy", NULL };
  g_autoptr(GError) error = NULL;
  RelExplanation *e;

  e = explain (model, x, "integrated-gradients", NULL, 0, bad, &error);
  g_assert_null (e);
  g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  e = explain (model, x, "integrated-gradients", NULL, 0, missing, &error);
  g_assert_null (e);
  g_assert_error (error, REL_ERROR, REL_ERROR_MISSING);
}

/* ---- SmoothGrad family ---- */

static void
test_smoothgrad_zero_sigma (void)
{
  g_autoptr(RelModel) model = fixture_model ("tiny-resnet", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-resnet", "input.npy");
  g_autoptr(GError) error = NULL;
  RelTarget t = class_target (1);
  const char *sets[] = { "samples=12", "sigma=0", NULL };
  g_autoptr(RelExplanation) g = explain (model, x, "gradient", &t, 0, NULL, &error);
  g_autoptr(RelExplanation) s = explain (model, x, "smoothgrad", &t, 5, sets, &error);
  g_autoptr(RelExplanation) v = explain (model, x, "vargrad", &t, 5, sets, &error);
  double scale;

  g_assert_no_error (error);
  scale = max_abs (g->relevance);
  for (int64_t i = 0; i < x->numel; i++)
    {
      g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (s->relevance)[i], rel_tensor_f32 (g->relevance)[i],
                                      1e-6 * scale);
      g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (v->relevance)[i], 0.0, 1e-6 * scale * scale);
    }
}

static void
test_vargrad_nonnegative (void)
{
  g_autoptr(RelModel) model = fixture_model ("tiny-cnn", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
  g_autoptr(GError) error = NULL;
  RelTarget t = class_target (4);
  const char *sets[] = { "samples=40", "sigma=0.2", NULL };
  g_autoptr(RelExplanation) v = explain (model, x, "vargrad", &t, 11, sets, &error);
  g_autoptr(RelExplanation) sq = explain (model, x, "smoothgrad-squared", &t, 11, sets, &error);
  g_autoptr(RelExplanation) sg = explain (model, x, "smoothgrad", &t, 11, sets, &error);
  double scale;

  g_assert_no_error (error);
  scale = max_abs (sq->relevance);
  g_assert_cmpfloat (max_abs (v->relevance), >, 0);
  for (int64_t i = 0; i < x->numel; i++)
    {
      float var = rel_tensor_f32 (v->relevance)[i], m2 = rel_tensor_f32 (sq->relevance)[i];
      float m1 = rel_tensor_f32 (sg->relevance)[i];
      g_assert_cmpfloat (var, >=, 0.f);
      g_assert_cmpfloat (m2, >=, 0.f);
      /* same seed, same samples: Var = E[g²] − E[g]² */
      g_assert_cmpfloat_with_epsilon (var, m2 - (double) m1 * m1, 1e-4 * scale);
    }
}

static void
test_seed_reproducible (void)
{
  static const char *const methods[] = { "smoothgrad", "expected-gradients" };
  g_autoptr(RelModel) model = fixture_model ("tiny-cnn", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
  RelTarget t = class_target (4);
  const char *sets[] = { "samples=20", NULL };

  for (gsize m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RelExplanation) a = explain (model, x, methods[m], &t, 42, sets, &error);
      g_autoptr(RelExplanation) b = explain (model, x, methods[m], &t, 42, sets, &error);
      g_autoptr(RelExplanation) c = explain (model, x, methods[m], &t, 43, sets, &error);
      double diff = 0;

      g_assert_no_error (error);
      g_assert_cmpmem (rel_tensor_f32 (a->relevance), x->numel * 4, rel_tensor_f32 (b->relevance), x->numel * 4);
      for (int64_t i = 0; i < x->numel; i++)
        diff = MAX (diff, fabs (rel_tensor_f32 (a->relevance)[i] - rel_tensor_f32 (c->relevance)[i]));
      g_assert_cmpfloat (diff, >, 1e-3 * max_abs (a->relevance));
    }
}

/* ---- progress and cancellation ---- */

typedef struct {
  GArray       *fractions;
  volatile gint cancel;
  int           cancel_after;
  RelTensor    *last;
} ProgressLog;

static void
on_progress (const RelTensor *estimate, double fraction, gpointer user_data)
{
  ProgressLog *log = user_data;

  g_array_append_val (log->fractions, fraction);
  if (log->last)
    rel_tensor_unref (log->last);
  log->last = rel_tensor_copy (estimate, NULL);
  if (log->cancel_after > 0 && (int) log->fractions->len >= log->cancel_after)
    g_atomic_int_set (&log->cancel, 1);
}

static RelExplanation *
explain_with_progress (const char *method, const char *const *sets, int batch, ProgressLog *log,
                       GError **error)
{
  g_autoptr(RelModel) model = fixture_model ("tiny-cnn", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
  g_autoptr(RelParams) params = rel_params_new (rel_method_lookup (method));
  RelExplainRequest req = { 0 };

  for (int i = 0; sets && sets[i]; i++)
    g_assert_true (rel_params_set_assignment (params, sets[i], NULL));
  req.model = model;
  req.input = x;
  req.params = params;
  req.seed = 3;
  req.progress = on_progress;
  req.progress_data = log;
  req.cancel = &log->cancel;
  req.batch_size = batch;
  return rel_explain (NULL, &req, error);
}

static void
test_progress_fractions (void)
{
  static const char *const methods[] = { "smoothgrad", "vargrad", "integrated-gradients", "expected-gradients" };

  for (gsize m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      ProgressLog log = { g_array_new (FALSE, FALSE, sizeof (double)), 0, 0, NULL };
      const char *sets[] = { strcmp (methods[m], "integrated-gradients") == 0 ? "steps=50" : "samples=50", NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(RelExplanation) e = explain_with_progress (methods[m], sets, 8, &log, &error);

      g_assert_no_error (error);
      /* 50 points in batches of 8: 7 batches, the last report is the result */
      g_assert_cmpint (log.fractions->len, ==, 7);
      for (guint i = 1; i < log.fractions->len; i++)
        g_assert_cmpfloat (g_array_index (log.fractions, double, i), >, g_array_index (log.fractions, double, i - 1));
      g_assert_cmpfloat_with_epsilon (g_array_index (log.fractions, double, 0), 8.0 / 50, 1e-12);
      g_assert_cmpfloat (g_array_index (log.fractions, double, log.fractions->len - 1), ==, 1.0);
      g_assert_cmpmem (rel_tensor_f32 (log.last), log.last->numel * 4,
                       rel_tensor_f32 (e->relevance), e->relevance->numel * 4);
      g_array_unref (log.fractions);
      rel_tensor_unref (log.last);
    }
}

static void
test_cancel (void)
{
  ProgressLog log = { g_array_new (FALSE, FALSE, sizeof (double)), 0, 1, NULL };
  const char *sets[] = { "samples=64", NULL };
  g_autoptr(GError) error = NULL;
  RelExplanation *e = explain_with_progress ("smoothgrad", sets, 8, &log, &error);

  g_assert_null (e);
  g_assert_error (error, REL_ERROR, REL_ERROR_CANCELLED);
  /* stopped at the first batch boundary */
  g_assert_cmpint (log.fractions->len, ==, 1);
  g_array_unref (log.fractions);
  if (log.last)
    rel_tensor_unref (log.last);
}

/* ---- Expected Gradients ---- */

static void
test_expected_gradients_converges_to_ig (void)
{
  /* with a single baseline, EG is a Monte-Carlo estimate of IG from it */
  g_autoptr(RelModel) model = fixture_model ("tiny-resnet", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-resnet", "input.npy");
  g_autoptr(GError) error = NULL;
  RelTarget t = class_target (1);
  const char *eg_sets[] = { "baselines=zeros", "samples=1024", NULL };
  const char *ig_sets[] = { "baseline=zeros", "steps=256", "rule=riemann-middle", NULL };
  g_autoptr(RelExplanation) eg = explain (model, x, "expected-gradients", &t, 9, eg_sets, &error);
  g_autoptr(RelExplanation) ig = explain (model, x, "integrated-gradients", &t, 0, ig_sets, &error);
  double dot = 0, na = 0, nb = 0;

  g_assert_no_error (error);
  for (int64_t i = 0; i < x->numel; i++)
    {
      double a = rel_tensor_f32 (eg->relevance)[i], b = rel_tensor_f32 (ig->relevance)[i];
      dot += a * b;
      na += a * a;
      nb += b * b;
    }
  g_test_message ("EG vs IG: cosine %.4f, sums %.5g / %.5g", dot / sqrt (na * nb),
                  eg->relevance_sum, ig->relevance_sum);
  g_assert_cmpfloat (dot / sqrt (na * nb), >=, 0.95);
  g_assert_cmpfloat (fabs (eg->relevance_sum - ig->relevance_sum), <=, 0.1 * fabs (ig->relevance_sum));
}

/* ---- guided backprop / DeconvNet ---- */

static void
assert_matches_fixture (const char *model_name, const char *fixture, const RelTensor *got)
{
  g_autofree char *path = g_strdup_printf ("%s/%s/%s.npy", g_getenv ("RELEVANCE_FIXTURES"), model_name, fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) ref = rel_npy_load (path, &error);
  double scale;

  g_assert_no_error (error);
  g_assert_true (rel_tensor_same_shape (ref, got));
  scale = max_abs (ref);
  for (int64_t i = 0; i < ref->numel; i++)
    g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (got)[i], rel_tensor_f32 (ref)[i], 1e-4 * scale);
}

static void
test_guided_rules (void)
{
  static const char *const models[] = { "tiny-cnn", "tiny-resnet" };
  g_autoptr(RelModel) mobile = fixture_model ("tiny-mobilenet", "model.onnx");
  g_autoptr(RelTensor) xm = fixture_npy ("tiny-mobilenet", "input.npy");
  g_autoptr(GError) error = NULL;
  RelTarget t = class_target (2);
  g_autoptr(RelExplanation) g = explain (mobile, xm, "gradient", &t, 0, NULL, &error);
  g_autoptr(RelExplanation) gb = explain (mobile, xm, "guided-backprop", &t, 0, NULL, &error);
  g_autoptr(RelExplanation) dc = explain (mobile, xm, "deconvnet", &t, 0, NULL, &error);

  /* only Relu changes (as in Zennit): tiny-mobilenet's Clip keeps its gradient */
  g_assert_no_error (error);
  g_assert_cmpmem (rel_tensor_f32 (g->relevance), xm->numel * 4, rel_tensor_f32 (gb->relevance), xm->numel * 4);
  g_assert_cmpmem (rel_tensor_f32 (g->relevance), xm->numel * 4, rel_tensor_f32 (dc->relevance), xm->numel * 4);

  /* Zennit's references, in process */
  for (gsize m = 0; m < G_N_ELEMENTS (models); m++)
    {
      g_autoptr(RelModel) model = fixture_model (models[m], "model.onnx");
      g_autoptr(RelTensor) x = fixture_npy (models[m], "input.npy");
      RelTarget tt = class_target (fixture_target (models[m]));
      g_autoptr(RelExplanation) e1 = explain (model, x, "guided-backprop", &tt, 0, NULL, &error);
      g_autoptr(RelExplanation) e2 = explain (model, x, "deconvnet", &tt, 0, NULL, &error);

      g_assert_no_error (error);
      assert_matches_fixture (models[m], "guided_backprop", e1->relevance);
      assert_matches_fixture (models[m], "deconvnet", e2->relevance);
    }
}

/* A batch on two threads runs its halves side by side (one core each); the
 * rows must come out as when the batch runs as one pass on one thread, for
 * odd and even batch sizes, gradients and values alike. */
static void
test_batch_split_matches (void)
{
  g_autoptr(RelModel) model = fixture_model ("tiny-resnet", "model.onnx");
  g_autoptr(RelTensor) input = fixture_npy ("tiny-resnet", "input.npy");
  RelTarget t = class_target (3);
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);

  for (int n = 2; n <= 5; n += 3)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RelTensor) batch = rel_batch_new (input, n, &error);
      g_autoptr(RelTensor) g1 = NULL;
      g_autoptr(RelTensor) g2 = NULL;
      RelContext one = { .n_threads = 1 }, two = { .n_threads = 2 };
      double v1[5], v2[5], scale = 0;

      g_assert_no_error (error);
      for (int64_t i = 0; i < batch->numel; i++)
        rel_tensor_f32 (batch)[i] = rel_tensor_f32 (input)[i % input->numel]
                                    + (float) g_rand_double_range (rand, -0.5, 0.5);
      g_assert_true (rel_grad_batch (model, &t, batch, NULL, NULL, &one, &g1, v1, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (rel_grad_batch (model, &t, batch, NULL, NULL, &two, &g2, v2, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (rel_tensor_same_shape (g1, batch));
      g_assert_true (rel_tensor_same_shape (g2, batch));
      for (int r = 0; r < n; r++)
        g_assert_cmpfloat (fabs (v1[r] - v2[r]), <=, 1e-5 * (fabs (v1[r]) + 1));
      /* the rows differ from each other, so a swapped or repeated half would show */
      g_assert_cmpfloat (fabs (v1[0] - v1[n - 1]), >, 1e-6);
      scale = rel_tensor_max_abs (g1);
      g_assert_cmpfloat (scale, >, 0);
      for (int64_t i = 0; i < g1->numel; i++)
        g_assert_cmpfloat (fabsf (rel_tensor_f32 (g1)[i] - rel_tensor_f32 (g2)[i]), <=, 1e-5 * scale);
    }
}

/* Training updates the weight constants in place after asking for their
 * gradient; a convolution's cached Winograd transform of them must not be
 * used after that. The reference loads the same file with the weights
 * changed in its bytes. */
static void
test_weights_updated_in_place (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("RELEVANCE_FIXTURES"), "tiny-resnet", "model.onnx", NULL);
  g_autoptr(RelModel) model = fixture_model ("tiny-resnet", "model.onnx");
  g_autoptr(RelTensor) input = fixture_npy ("tiny-resnet", "input.npy");
  g_autoptr(GError) error = NULL;
  g_autoptr(RelActivations) acts0 = rel_model_forward (model, input, NULL, &error);
  g_autoptr(RelActivations) back = NULL;
  g_autoptr(RelActivations) acts1 = NULL;
  g_autoptr(RelActivations) acts2 = NULL;
  g_autoptr(RelModel) ref = NULL;
  g_autoptr(RelTensor) seed = NULL;
  g_autoptr(RelTensor) logits0 = NULL;
  g_autofree char *bytes = NULL;
  g_autofree float *orig = NULL;
  gsize len = 0;
  RelTensor *w, *l1, *l2;
  int node = rel_model_find_node (model, "/blocks/blocks.0/conv1/Conv");
  double diff01 = 0, diff12 = 0, scale;
  char *at;

  g_assert_no_error (error);
  g_assert_cmpint (node, >=, 0);
  logits0 = rel_tensor_copy (rel_activations_output (acts0), &error);
  seed = rel_tensor_new_like (logits0, &error);
  rel_tensor_fill (seed, 1.f);
  back = rel_model_backward_params (model, acts0, -1, seed, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);

  /* the "optimizer step": a 3×3, 16-channel convolution's weights change */
  w = rel_model_value (model, model->nodes[node].inputs[1])->constant;
  g_assert_nonnull (w);
  orig = g_memdup2 (w->data, sizeof (float) * (gsize) w->numel);
  for (int64_t i = 0; i < w->numel; i++)
    rel_tensor_f32 (w)[i] *= (i % 3 == 0) ? -0.5f : 1.5f;
  acts1 = rel_model_forward (model, input, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (path, &bytes, &len, &error));
  at = NULL;
  for (gsize k = 0; at == NULL && k + sizeof (float) * (gsize) w->numel <= len; k++)
    if (memcmp (bytes + k, orig, sizeof (float) * (gsize) w->numel) == 0)
      at = bytes + k;
  g_assert_nonnull (at);
  for (int64_t i = 0; i < w->numel; i++)
    {
      float v;
      memcpy (&v, at + 4 * i, 4);
      v *= (i % 3 == 0) ? -0.5f : 1.5f;
      memcpy (at + 4 * i, &v, 4);
    }
  ref = rel_model_load_from_data ((const guint8 *) bytes, len, NULL, &error);
  g_assert_no_error (error);
  acts2 = rel_model_forward (ref, input, NULL, &error);
  g_assert_no_error (error);

  l1 = rel_activations_output (acts1);
  l2 = rel_activations_output (acts2);
  scale = rel_tensor_max_abs (logits0);
  for (int64_t i = 0; i < l1->numel; i++)
    {
      diff01 = MAX (diff01, fabs ((double) rel_tensor_f32 (l1)[i] - rel_tensor_f32 (logits0)[i]));
      diff12 = MAX (diff12, fabs ((double) rel_tensor_f32 (l1)[i] - rel_tensor_f32 (l2)[i]));
    }
  g_assert_cmpfloat (diff01, >, 1e-3 * scale);
  g_assert_cmpfloat (diff12, <=, 1e-5 * scale);
}

/* 3×3 convolutions with 16–32 channels on 8×8 and 6×6 planes take the
 * Winograd paths with few tiles per GEMM (forward and the flipped-kernel
 * input gradient, with the model's cached transformed weights); the gradient
 * must equal PyTorch's (tests/reference/make-wino-fixture.py). */
/* |got − ref| ≤ tol · max|ref| elementwise, with the figures in the log */
static void
assert_close (const RelTensor *got, const RelTensor *ref, double tol, const char *what)
{
  double max_err = 0, max_ref = 0;

  g_assert_true (rel_tensor_same_shape (got, ref));
  for (int64_t i = 0; i < ref->numel; i++)
    {
      max_err = MAX (max_err, fabs (rel_tensor_f32 (got)[i] - rel_tensor_f32 (ref)[i]));
      max_ref = MAX (max_ref, fabs (rel_tensor_f32 (ref)[i]));
    }
  g_test_message ("%s: max abs err %.3g of max |ref| %.3g", what, max_err, max_ref);
  g_assert_cmpfloat (max_ref, >, 0);
  g_assert_cmpfloat (max_err, <=, tol * max_ref);
}

static void
test_winograd_gradient_vs_torch (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) model = fixture_model ("wino", "model.onnx");
  g_autoptr(RelTensor) input = fixture_npy ("wino", "input.npy");
  g_autoptr(RelTensor) ref = fixture_npy ("wino", "gradient.npy");
  RelTarget t = class_target (1);
  g_autoptr(RelExplanation) e = explain (model, input, "gradient", &t, 0, NULL, &error);

  g_assert_no_error (error);
  assert_close (e->relevance, ref, 1e-4, "Winograd gradient vs PyTorch");
}

/* A Split with three outputs, the first unread (a channel split whose parts
 * go separate ways, then meet in a Concat): the engine hands the node every
 * output's cotangent, zero where nothing reads it. The gradient must equal
 * PyTorch's (tests/reference/make-split-fixture.py). LRP's hooked pass sees
 * the Split as a route: with the biases zeroed, LRP-ε at a vanishing ε is
 * input × gradient on this piecewise-linear network, Split and all. */
static void
test_split_gradient_vs_torch (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) model = fixture_model ("split", "model.onnx");
  g_autoptr(RelTensor) input = fixture_npy ("split", "input.npy");
  g_autoptr(RelTensor) ref = fixture_npy ("split", "gradient.npy");
  RelTarget t = class_target (fixture_target ("split"));
  const char *const tiny_eps[] = { "epsilon=1e-9", NULL };
  g_autoptr(RelExplanation) e = NULL;
  g_autoptr(RelExplanation) lrp = NULL;
  g_autoptr(RelExplanation) ixg = NULL;
  int n_split = 0;

  for (int i = 0; i < model->n_nodes; i++)
    if (strcmp (model->nodes[i].op_type, "Split") == 0)
      {
        g_assert_cmpint (model->nodes[i].n_outputs, ==, 3);
        n_split++;
      }
  g_assert_cmpint (n_split, ==, 1);
  e = explain (model, input, "gradient", &t, 0, NULL, &error);
  g_assert_no_error (error);
  assert_close (e->relevance, ref, 1e-5, "gradient through Split vs PyTorch");

  g_assert_cmpint (fixture_zero_biases (model), ==, 3);
  lrp = explain (model, input, "lrp-epsilon", &t, 0, tiny_eps, &error);
  g_assert_no_error (error);
  ixg = explain (model, input, "input-x-gradient", &t, 0, NULL, &error);
  g_assert_no_error (error);
  assert_close (lrp->relevance, ixg->relevance, 1e-4, "LRP-ε (no biases) through Split vs input × gradient");
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
  g_test_add_func ("/explain-gradient/finite-differences", test_gradient_finite_differences);
  g_test_add_func ("/explain-gradient/split-vs-torch", test_split_gradient_vs_torch);
  g_test_add_func ("/explain-gradient/finite-differences-log-prob", test_gradient_log_prob_finite_differences);
  g_test_add_func ("/explain-gradient/contrast-target", test_contrast_target);
  g_test_add_func ("/explain-gradient/predicted-target", test_predicted_target);
  g_test_add_data_func ("/explain-gradient/ig-completeness-zeros/tiny-cnn", "tiny-cnn", test_ig_completeness_zeros);
  g_test_add_data_func ("/explain-gradient/ig-completeness-zeros/tiny-resnet", "tiny-resnet",
                        test_ig_completeness_zeros);
  g_test_add_data_func ("/explain-gradient/ig-completeness-zeros/tiny-mobilenet", "tiny-mobilenet",
                        test_ig_completeness_zeros);
  g_test_add_func ("/explain-gradient/ig-completeness-baselines/constant", test_ig_baseline_constant);
  g_test_add_func ("/explain-gradient/ig-completeness-baselines/file", test_ig_baseline_file);
  g_test_add_func ("/explain-gradient/ig-completeness-baselines/blur", test_ig_baseline_blur);
  g_test_add_func ("/explain-gradient/ig-completeness-baselines/mean", test_ig_baseline_mean);
  g_test_add_func ("/explain-gradient/ig-completeness-baselines/dataset-mean", test_ig_baseline_dataset_mean);
  g_test_add_func ("/explain-gradient/ig-bad-baseline", test_ig_bad_baseline);
  g_test_add_func ("/explain-gradient/smoothgrad-zero-sigma", test_smoothgrad_zero_sigma);
  g_test_add_func ("/explain-gradient/vargrad-nonnegative", test_vargrad_nonnegative);
  g_test_add_func ("/explain-gradient/seed-reproducible", test_seed_reproducible);
  g_test_add_func ("/explain-gradient/progress", test_progress_fractions);
  g_test_add_func ("/explain-gradient/cancel", test_cancel);
  g_test_add_func ("/explain-gradient/expected-gradients", test_expected_gradients_converges_to_ig);
  g_test_add_func ("/explain-gradient/guided-rules", test_guided_rules);
  g_test_add_func ("/explain-gradient/batch-split", test_batch_split_matches);
  g_test_add_func ("/explain-gradient/weights-updated-in-place", test_weights_updated_in_place);
  g_test_add_func ("/explain-gradient/winograd-vs-torch", test_winograd_gradient_vs_torch);
  return g_test_run ();
}
