/* test-explain-normalised.c — the explainers whose figures depend on the
 * quadrature rule, the noise scale or the window geometry, against the
 * PyTorch references in tests/fixtures/normalised (see its README entry and
 * tests/reference/make-normalised-fixture.py): every Integrated Gradients
 * rule, SmoothGrad, SmoothGrad², VarGrad and the uniform baselines on a model
 * whose metadata normalises (input range ≈ 4.76, not 1), and occlusion with
 * windows that do not tile the 13×18 input. Held to the fixtures' tolerance:
 * cosine ≥ 0.999, max abs error ≤ 1e-3 × max|reference|.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-explain.h"
#include "rel-gradient.h"
#include "rel-rng.h"
#include "fixture-util.h"

#include <math.h>
#include <string.h>

#define DIR "normalised"
/* the script's settings (meta.json has them too) */
#define SEED 7

typedef struct {
  const char *reference;        /* DIR/<reference>.npy */
  const char *method;
  const char *sets[5];
} Case;

static const Case cases[] = {
  { "ig16_riemann_left", "integrated-gradients", { "steps=16", "rule=riemann-left", "baseline=zeros" } },
  { "ig16_riemann_right", "integrated-gradients", { "steps=16", "rule=riemann-right", "baseline=zeros" } },
  { "ig16_riemann_middle", "integrated-gradients", { "steps=16", "rule=riemann-middle", "baseline=zeros" } },
  { "ig16_trapezoid", "integrated-gradients", { "steps=16", "rule=trapezoid", "baseline=zeros" } },
  { "ig16_gausslegendre", "integrated-gradients", { "steps=16", "rule=gauss-legendre", "baseline=zeros" } },
  { "ig16_uniform_riemann_middle", "integrated-gradients", { "steps=16", "rule=riemann-middle", "baseline=uniform" } },
  { "smoothgrad", "smoothgrad", { "samples=32", "sigma=0.15" } },
  { "smoothgrad_sq", "smoothgrad-squared", { "samples=32", "sigma=0.15" } },
  { "vargrad", "vargrad", { "samples=32", "sigma=0.15" } },
  { "expected_gradients", "expected-gradients", { "samples=32", "baselines=uniform" } },
  { "occlusion_w5_s3", "occlusion", { "window=5", "stride=3", "fill=zero" } },
};

static RelModel *model;
static RelTensor *input;

static void
test_reference (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *file = g_strdup_printf ("%s.npy", c->reference);
  g_autoptr(RelTensor) ref = fixture_npy (DIR, file);
  g_autoptr(RelParams) params = rel_params_new (rel_method_lookup (c->method));
  g_autoptr(RelExplanation) e = NULL;
  g_autoptr(GError) error = NULL;
  RelExplainRequest req = { 0 };
  double dot = 0, na = 0, nb = 0, max_err = 0, max_ref = 0, cosine;

  for (int i = 0; c->sets[i]; i++)
    {
      rel_params_set_assignment (params, c->sets[i], &error);
      g_assert_no_error (error);
    }
  req.model = model;
  req.input = input;
  req.params = params;
  req.seed = SEED;
  req.target.kind = REL_TARGET_CLASS;
  req.target.a = fixture_target (DIR);
  e = rel_explain (NULL, &req, &error);
  g_assert_no_error (error);
  g_assert_true (rel_tensor_same_shape (e->relevance, ref));
  for (int64_t i = 0; i < ref->numel; i++)
    {
      double a = rel_tensor_f32 (e->relevance)[i], b = rel_tensor_f32 (ref)[i];
      dot += a * b;
      na += a * a;
      nb += b * b;
      max_err = MAX (max_err, fabs (a - b));
      max_ref = MAX (max_ref, fabs (b));
    }
  g_assert_cmpfloat (max_ref, >, 0);
  cosine = na > 0 ? dot / sqrt (na * nb) : 0;
  g_test_message ("%s: cosine %.7f, max abs err %.3g x max|ref|", c->reference, cosine, max_err / max_ref);
  g_assert_cmpfloat (cosine, >=, 0.999);
  g_assert_cmpfloat (max_err, <=, 1e-3 * max_ref);
}

/* The fixture exercises the scaling only if the range is not 1: the
 * metadata's ImageNet mean/std give [−2.118, 2.640]. */
static void
test_input_range (void)
{
  g_assert_cmpfloat_with_epsilon (model->preprocess.range_low, -2.1179039, 1e-6);
  g_assert_cmpfloat_with_epsilon (model->preprocess.range_high, 2.6400003, 1e-6);
}

/* The references reproduce the core's noise: sample k's normals come from
 * stream (seed, k). If this fails the stream changed, and the noise
 * references must be regenerated, not loosened. */
static void
test_noise_stream (void)
{
  g_autoptr(RelTensor) noise0 = fixture_npy (DIR, "noise0.npy");
  g_autofree float *z = g_new (float, noise0->numel);
  RelRng rng;

  rel_rng_init_stream (&rng, SEED, 0);
  rel_rng_fill_normal (&rng, z, noise0->numel);
  g_assert_cmpmem (z, noise0->numel * sizeof (float), rel_tensor_f32 (noise0), noise0->numel * sizeof (float));
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  /* report every reference, not just the first mismatch */
  g_test_set_nonfatal_assertions ();
  if (g_getenv ("RELEVANCE_FIXTURES") == NULL)
    {
      g_printerr ("RELEVANCE_FIXTURES must be set (meson test does)\n");
      return 1;
    }
  model = fixture_model (DIR, "model.onnx");
  input = fixture_npy (DIR, "input.npy");
  g_test_add_func ("/explain-normalised/input-range", test_input_range);
  g_test_add_func ("/explain-normalised/noise-stream", test_noise_stream);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/explain-normalised/%s", cases[i].reference);
      g_test_add_data_func (path, &cases[i], test_reference);
    }
  ret = g_test_run ();
  rel_tensor_unref (input);
  rel_model_unref (model);
  return ret;
}
