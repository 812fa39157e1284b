/* test-explain-cam.c — Grad-CAM and Grad-CAM++: Captum's references, the
 * closed form on a layer that feeds GlobalAveragePool → Gemm, bilinear
 * upsampling, layer lookup errors.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-explain.h"
#include "rel-npy.h"
#include "fixture-util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static RelExplanation *
run (RelModel *model, RelTensor *x, const char *method, int target, const char *const *sets, GError **error)
{
  g_autoptr(RelParams) params = rel_params_new (rel_method_lookup (method));
  RelExplainRequest req = { 0 };

  for (int i = 0; sets && sets[i]; i++)
    g_assert_true (rel_params_set_assignment (params, sets[i], NULL));
  req.model = model;
  req.input = x;
  req.params = params;
  req.target.kind = REL_TARGET_CLASS;
  req.target.a = target;
  return rel_explain (NULL, &req, error);
}

static void
assert_close (const RelTensor *got, const RelTensor *ref, double rel)
{
  double scale = rel_tensor_max_abs (ref);

  g_assert_true (rel_tensor_same_shape (got, ref));
  g_assert_cmpfloat (scale, >, 0);
  for (int64_t i = 0; i < ref->numel; i++)
    g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (got)[i], rel_tensor_f32 (ref)[i], rel * scale);
}

static void
test_gradcam_fixtures (void)
{
  g_autoptr(GError) error = NULL;

  /* tiny-cnn: the default layer (last Conv's output) is the fixture's */
  {
    g_autoptr(RelModel) m = fixture_model ("tiny-cnn", "model.onnx");
    g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
    g_autoptr(RelTensor) ref = fixture_npy ("tiny-cnn", "gradcam.npy");
    const char *sets[] = { "upsample=false", NULL };
    g_autoptr(RelExplanation) e = run (m, x, "gradcam", fixture_target ("tiny-cnn"), sets, &error);
    g_assert_no_error (error);
    assert_close (e->relevance, ref, 1e-4);
  }
  /* tiny-resnet: the last block's output, addressed by its node name; both exports */
  for (int k = 0; k < 2; k++)
    {
      g_autoptr(RelModel) m = fixture_model ("tiny-resnet", k ? "model-bn.onnx" : "model.onnx");
      g_autoptr(RelTensor) x = fixture_npy ("tiny-resnet", "input.npy");
      g_autoptr(RelTensor) ref = fixture_npy ("tiny-resnet", "gradcam.npy");
      const char *sets[] = { "upsample=false", "layer=/blocks/blocks.1/relu_1/Relu", NULL };
      g_autoptr(RelExplanation) e = run (m, x, "gradcam", fixture_target ("tiny-resnet"), sets, &error);
      g_assert_no_error (error);
      assert_close (e->relevance, ref, 1e-4);
    }
}

/* On the tensor that feeds GlobalAveragePool → Flatten → Gemm, the gradient
 * of logit t is W[t,k]/(h·w) everywhere in channel k, so both CAMs have a
 * closed form in the activations and the Gemm weights. */
static void
test_closed_form (void)
{
  g_autoptr(RelModel) m = fixture_model ("tiny-resnet", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-resnet", "input.npy");
  g_autoptr(GError) error = NULL;
  g_autoptr(RelActivations) acts = rel_model_forward (m, x, NULL, &error);
  const char *layer = "/blocks/blocks.1/relu_1/Relu_output_0";
  RelTensor *A, *W;
  int K, H, Wd, target = 3;
  const char *sets[] = { "upsample=false", "layer=/blocks/blocks.1/relu_1/Relu_output_0", NULL };
  g_autoptr(RelExplanation) cam = NULL;
  g_autoptr(RelExplanation) pp = NULL;

  g_assert_no_error (error);
  A = rel_activations_get (acts, rel_model_find_value (m, layer));
  W = rel_model_value (m, rel_model_find_value (m, "fc.weight"))->constant;
  g_assert_nonnull (A);
  g_assert_nonnull (W);
  K = (int) A->shape[1];
  H = (int) A->shape[2];
  Wd = (int) A->shape[3];
  g_assert_cmpint (W->shape[1], ==, K);
  cam = run (m, x, "gradcam", target, sets, &error);
  g_assert_no_error (error);
  pp = run (m, x, "gradcam-plus-plus", target, sets, &error);
  g_assert_no_error (error);

  for (int p = 0; p < H * Wd; p++)
    {
      double c = 0, c2 = 0;
      for (int k = 0; k < K; k++)
        {
          double g = rel_tensor_f32 (W)[target * K + k] / (H * Wd), a = rel_tensor_f32 (A)[k * H * Wd + p];
          double s = 0, alpha;
          for (int q = 0; q < H * Wd; q++)
            s += rel_tensor_f32 (A)[k * H * Wd + q];
          c += g * a;
          /* Grad-CAM++: Σ_ij α·ReLU(g) with α = g²/(2g² + Σ A·g³ + 10⁻⁷) (pytorch-grad-cam) */
          alpha = g != 0 ? g * g / (2 * g * g + s * g * g * g + 1e-7) : 0;
          c2 += H * Wd * alpha * MAX (g, 0.0) * a;
        }
      g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (cam->relevance)[p], MAX (c, 0.0), 1e-5 * (fabs (c) + 1e-3));
      g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (pp->relevance)[p], MAX (c2, 0.0), 1e-4 * (fabs (c2) + 1e-3));
    }
  g_assert_cmpfloat (rel_tensor_max_abs (pp->relevance), >, 0);
}

static void
test_upsample (void)
{
  g_autoptr(RelModel) m = fixture_model ("tiny-cnn", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
  g_autoptr(GError) error = NULL;
  const char *small_sets[] = { "upsample=false", NULL };
  g_autoptr(RelExplanation) small = run (m, x, "gradcam", 4, small_sets, &error);
  g_autoptr(RelExplanation) big = run (m, x, "gradcam", 4, NULL, &error);
  const float *s, *b;
  double scale;

  g_assert_no_error (error);
  g_assert_true (rel_tensor_same_shape (big->relevance, x));
  g_assert_cmpint (small->relevance->shape[2], ==, 14);
  s = rel_tensor_f32 (small->relevance);
  b = rel_tensor_f32 (big->relevance);
  scale = rel_tensor_max_abs (small->relevance);
  /* 14 → 28 with half-pixel centres: output y samples input (y + 0.5)/2 − 0.5,
   * clamped at 0; rows 2i+1 and 2i+2 mix rows i and i+1 by ¾ : ¼ */
  for (int y = 0; y < 28; y++)
    for (int xx = 0; xx < 28; xx++)
      {
        double fy = MAX (0.0, (y + 0.5) / 2 - 0.5), fx = MAX (0.0, (xx + 0.5) / 2 - 0.5);
        int y0 = (int) fy, x0 = (int) fx, y1 = MIN (y0 + 1, 13), x1 = MIN (x0 + 1, 13);
        double ly = fy - y0, lx = fx - x0;
        double want = (1 - ly) * ((1 - lx) * s[y0 * 14 + x0] + lx * s[y0 * 14 + x1])
                      + ly * ((1 - lx) * s[y1 * 14 + x0] + lx * s[y1 * 14 + x1]);
        g_assert_cmpfloat_with_epsilon (b[y * 28 + xx], want, 1e-6 * scale);
      }
  g_assert_cmpfloat (b[0], ==, s[0]);
  g_assert_cmpfloat_with_epsilon (b[1 * 28 + 1], 0.5625 * s[0] + 0.1875 * s[1] + 0.1875 * s[14] + 0.0625 * s[15],
                                  1e-6 * scale);

  /* three-channel inputs get the map in every channel */
  {
    g_autoptr(RelModel) r = fixture_model ("tiny-resnet", "model.onnx");
    g_autoptr(RelTensor) xr = fixture_npy ("tiny-resnet", "input.npy");
    g_autoptr(RelExplanation) e = run (r, xr, "gradcam-plus-plus", 1, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (rel_tensor_same_shape (e->relevance, xr));
    g_assert_cmpmem (rel_tensor_f32 (e->relevance), 32 * 32 * 4, rel_tensor_f32 (e->relevance) + 2 * 32 * 32, 32 * 32 * 4);
  }
}

static void
test_bad_layer (void)
{
  g_autoptr(RelModel) m = fixture_model ("tiny-cnn", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
  g_autoptr(GError) error = NULL;
  const char *missing[] = { "layer=no-such-layer", NULL };
  const char *flat[] = { "layer=logits", NULL };
  RelExplanation *e;

  e = run (m, x, "gradcam", 4, missing, &error);
  g_assert_null (e);
  g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "no-such-layer"));
  g_clear_error (&error);
  e = run (m, x, "gradcam", 4, flat, &error);
  g_assert_null (e);
  g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
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
  g_test_add_func ("/explain-cam/gradcam-fixtures", test_gradcam_fixtures);
  g_test_add_func ("/explain-cam/closed-form", test_closed_form);
  g_test_add_func ("/explain-cam/upsample", test_upsample);
  g_test_add_func ("/explain-cam/bad-layer", test_bad_layer);
  return g_test_run ();
}
