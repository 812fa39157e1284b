/* test-fragility.c — the numerical-fragility check (core/rel-fragility.h)
 * against float64 truth.
 *
 * tests/fixtures/fragile/ (tests/reference/make-fragile-fixture.py) holds one
 * architecture twice: with GoogLeNet's N(0, 0.01²) weights the input's share
 * of the activations fades below float32's resolution (PyTorch's own float32
 * gradient is at cosine 0.77 to its float64 one), with He weights it does
 * not. The check must call the first fragile and the second sound, and what
 * it says must be true: our float32 gradient is far from the float64 one
 * exactly where the check says fragile.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fixture-util.h"
#include "rel-core.h"
#include "rel-error.h"
#include "rel-explain.h"
#include "rel-fragility.h"

#include <math.h>

#define DIR "fragile"

static double
cosine (const RelTensor *a, const RelTensor *b)
{
  double dot = 0, na = 0, nb = 0;

  g_assert_cmpint (a->numel, ==, b->numel);
  for (int64_t i = 0; i < a->numel; i++)
    {
      double x = rel_tensor_f32 (a)[i], y = rel_tensor_f32 (b)[i];
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
  g_assert_cmpfloat (na * nb, >, 0);
  return dot / sqrt (na * nb);
}

static int
argmax (const RelTensor *t)
{
  int best = 0;

  for (int64_t i = 1; i < t->numel; i++)
    if (rel_tensor_f32 (t)[i] > rel_tensor_f32 (t)[best])
      best = (int) i;
  return best;
}

/* the gradient map and its check for model @name; returns the check's cosine,
 * and in *truth the map's cosine to PyTorch's float64 gradient */
static double
check_model (const char *name, double *truth)
{
  g_autofree char *file = g_strdup_printf ("%s.onnx", name);
  g_autofree char *gfile = g_strdup_printf ("%s-gradient_f64.npy", name);
  g_autofree char *lfile = g_strdup_printf ("%s-logits_f64.npy", name);
  g_autoptr(RelModel) model = fixture_model (DIR, file);
  g_autoptr(RelTensor) input = fixture_npy (DIR, "input.npy");
  g_autoptr(RelTensor) ref = fixture_npy (DIR, gfile);
  g_autoptr(RelTensor) logits = fixture_npy (DIR, lfile);
  const RelMethodDef *method = rel_method_lookup ("gradient");
  g_autoptr(RelParams) params = rel_params_new (method);
  g_autoptr(RelExplanation) e = NULL;
  g_autoptr(GError) error = NULL;
  RelExplainRequest req = { 0 };
  double again;

  req.model = model;
  req.input = input;
  req.params = params;
  req.target.kind = REL_TARGET_CLASS;
  req.target.a = argmax (logits);
  e = rel_explain (method, &req, &error);
  g_assert_no_error (error);
  g_assert_true (isnan (e->stability));   /* not checked yet */
  g_assert_true (rel_explanation_check_fragility (&req, e, &error));
  g_assert_no_error (error);
  *truth = cosine (e->relevance, ref);
  g_test_message ("%s: check's cosine %.6f, map vs float64 %.6f", name, e->stability, *truth);
  /* seeded: the same check gives the same figure */
  g_assert_true (rel_gradient_stability (model, input, &req.target, REL_FRAGILE_DELTA, 15, NULL, &again, &error));
  g_assert_cmpfloat (again, ==, e->stability);
  return e->stability;
}

static void
test_vanishing (void)
{
  double truth, stability = check_model ("vanishing", &truth);

  g_assert_cmpfloat (stability, <, REL_FRAGILE_COSINE);
  /* and rightly: the float32 map is not the float64 one */
  g_assert_cmpfloat (truth, <, 0.99);
}

static void
test_healthy (void)
{
  double truth, stability = check_model ("healthy", &truth);

  g_assert_cmpfloat (stability, >=, 0.9999);
  g_assert_cmpfloat (truth, >=, 0.9999);
}

/* LRP maps are checked too; perturbation methods are not (NaN) */
static void
test_families (void)
{
  g_autoptr(RelModel) model = fixture_model (DIR, "vanishing.onnx");
  g_autoptr(RelTensor) input = fixture_npy (DIR, "input.npy");
  const char *names[] = { "lrp-epsilon", "occlusion" };

  for (gsize m = 0; m < G_N_ELEMENTS (names); m++)
    {
      const RelMethodDef *method = rel_method_lookup (names[m]);
      g_autoptr(RelParams) params = rel_params_new (method);
      g_autoptr(RelExplanation) e = NULL;
      g_autoptr(GError) error = NULL;
      RelExplainRequest req = { 0 };

      req.model = model;
      req.input = input;
      req.params = params;
      req.target.kind = REL_TARGET_PREDICTED;
      e = rel_explain (method, &req, &error);
      g_assert_no_error (error);
      g_assert_true (rel_explanation_check_fragility (&req, e, &error));
      g_assert_no_error (error);
      if (m == 0)
        g_assert_true (rel_explanation_is_fragile (e));
      else
        {
          g_assert_true (isnan (e->stability));
          g_assert_false (rel_explanation_is_fragile (e));
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rel_core_init (2);
  g_test_add_func ("/fragility/vanishing", test_vanishing);
  g_test_add_func ("/fragility/healthy", test_healthy);
  g_test_add_func ("/fragility/families", test_families);
  return g_test_run ();
}
