/* test-affine-stem.c — the affine stem shortcut of the sampling methods.
 *
 * Integrated Gradients and SmoothGrad sum their gradients at the output of
 * the model's affine stem (rel_model_affine_stem) and send the sum through
 * the stem's backward pass once; IG also interpolates at the stem's output
 * instead of running the stem per point. These tests hold the engine pieces
 * and both methods against plain per-point gradients at the input.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rel-explain.h"
#include "rel-gradient.h"
#include "rel-model.h"
#include "rel-npy.h"
#include "rel-rng.h"
#include "fixture-util.h"

static const char *const fixtures[] = { "tiny-cnn", "tiny-resnet", "tiny-mobilenet", "stem", NULL };
/* The samplers skip a stem only when it is expensive per value of its output
 * (rel-gradient.c): of these fixtures only "stem" (a 7×7 stride-2 conv and a
 * BatchNormalization, as ResNet's conv1) qualifies; the others check that
 * taking the ordinary path changes nothing either. */

static double
max_abs (const float *a, int64_t n)
{
  double m = 0;
  for (int64_t i = 0; i < n; i++)
    m = MAX (m, fabs (a[i]));
  return m;
}

static double
max_diff (const float *a, const float *b, int64_t n)
{
  double m = 0;
  for (int64_t i = 0; i < n; i++)
    m = MAX (m, fabs ((double) a[i] - b[i]));
  return m;
}

/* The stem ends where the first non-affine op (Relu, Clip) reads it: a Conv,
 * or the BatchNormalization after it in the unfolded export. */
static void
test_stem_found (void)
{
  struct { const char *dir, *file, *producer; } cases[] = {
    { "tiny-cnn", "model.onnx", "Conv" },
    { "tiny-resnet", "model.onnx", "Conv" },
    { "tiny-resnet", "model-bn.onnx", "BatchNormalization" },
    { "tiny-mobilenet", "model.onnx", "Conv" },
    { "stem", "model.onnx", "BatchNormalization" },
  };

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(RelModel) model = fixture_model (cases[c].dir, cases[c].file);
      int v = rel_model_affine_stem (model);
      RelValue *val;

      g_assert_cmpint (v, >=, 0);
      val = rel_model_value (model, v);
      g_assert_cmpint (val->producer, >=, 0);
      g_assert_cmpstr (model->nodes[val->producer].op_type, ==, cases[c].producer);
      /* every reader of the stem's output is outside the affine set */
      for (int i = 0; i < model->n_nodes; i++)
        for (int k = 0; k < model->nodes[i].n_inputs; k++)
          if (model->nodes[i].inputs[k] == v)
            g_assert_true (strcmp (model->nodes[i].op_type, "Relu") == 0
                           || strcmp (model->nodes[i].op_type, "Clip") == 0);
    }
}

/* forward_from(s(x)) = forward(x); backward_values_to(s) is the full
 * backward pass's cotangent at s; and sending it through the stem gives the
 * input gradient. */
static void
test_engine_pieces (void)
{
  for (int f = 0; fixtures[f]; f++)
    {
      g_autoptr(RelModel) model = fixture_model (fixtures[f], "model.onnx");
      g_autoptr(RelTensor) x = fixture_npy (fixtures[f], "input.npy");
      g_autoptr(RelActivations) full = NULL;
      g_autoptr(RelActivations) stem = NULL;
      g_autoptr(RelActivations) from = NULL;
      g_autoptr(RelActivations) back = NULL;
      g_autoptr(RelActivations) back_to = NULL;
      g_autoptr(RelActivations) back_stem = NULL;
      g_autoptr(RelTensor) seed = NULL;
      g_autoptr(GError) error = NULL;
      int v = rel_model_affine_stem (model);
      RelTensor *out, *out_from, *h, *h_to, *g, *g_stem;

      g_assert_cmpint (v, >=, 0);
      full = rel_model_forward (model, x, NULL, &error);
      g_assert_no_error (error);
      stem = rel_model_forward_until (model, x, v, NULL, &error);
      g_assert_no_error (error);
      /* only what the stem needs was computed */
      g_assert_null (rel_activations_output (stem));
      g_assert_cmpfloat (max_diff (rel_tensor_f32 (stem->values[v]), rel_tensor_f32 (full->values[v]),
                                   full->values[v]->numel), ==, 0);
      from = rel_model_forward_from (model, v, stem->values[v], NULL, &error);
      g_assert_no_error (error);
      /* the stem was skipped: the input is not among its values */
      g_assert_null (from->values[model->input]);
      out = rel_activations_output (full);
      out_from = rel_activations_output (from);
      g_assert_cmpfloat (max_diff (rel_tensor_f32 (out), rel_tensor_f32 (out_from), out->numel), ==, 0);

      seed = rel_tensor_new_like (out, &error);
      g_assert_no_error (error);
      rel_tensor_f32 (seed)[out->numel - 1] = 1.0f;
      back = rel_model_backward_values (model, full, -1, seed, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      back_to = rel_model_backward_values_to (model, from, v, -1, seed, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      h = back->values[v];
      h_to = back_to->values[v];
      g_assert_nonnull (h_to);
      g_assert_cmpfloat (max_abs (rel_tensor_f32 (h), h->numel), >, 0);
      g_assert_cmpfloat (max_diff (rel_tensor_f32 (h), rel_tensor_f32 (h_to), h->numel), ==, 0);
      /* it stopped at the stem */
      g_assert_null (back_to->values[model->input]);

      back_stem = rel_model_backward_values (model, stem, v, h_to, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      g = back->values[model->input];
      g_stem = back_stem->values[model->input];
      g_assert_cmpfloat (max_diff (rel_tensor_f32 (g), rel_tensor_f32 (g_stem), g->numel), <=,
                         1e-6 * max_abs (rel_tensor_f32 (g), g->numel));
    }
}

static RelExplanation *
explain (RelModel *model, RelTensor *x, const char *method, guint64 seed, const char *const *sets)
{
  const RelMethodDef *def = rel_method_lookup (method);
  g_autoptr(RelParams) params = rel_params_new (def);
  g_autoptr(GError) error = NULL;
  RelExplainRequest req = { 0 };
  RelExplanation *e;

  for (int i = 0; sets[i]; i++)
    {
      rel_params_set_assignment (params, sets[i], &error);
      g_assert_no_error (error);
    }
  req.model = model;
  req.input = x;
  req.params = params;
  req.seed = seed;
  req.target.kind = REL_TARGET_PREDICTED;
  e = rel_explain (def, &req, &error);
  g_assert_no_error (error);
  return e;
}

/* Σ wₖ ∇f(xₖ) for the points of @batch, by plain gradients at the input. */
static void
sum_gradients (RelModel *model, int cls, RelTensor *batch, const double *w, double *acc)
{
  g_autoptr(RelTensor) grads = NULL;
  g_autoptr(GError) error = NULL;
  RelTarget target = { .kind = REL_TARGET_CLASS, .a = cls };
  int64_t per = batch->numel / batch->shape[0];

  g_assert_true (rel_grad_batch (model, &target, batch, NULL, NULL, NULL, &grads, NULL, NULL, &error));
  g_assert_no_error (error);
  for (int64_t k = 0; k < batch->shape[0]; k++)
    for (int64_t i = 0; i < per; i++)
      acc[i] += w[k] * rel_tensor_f32 (grads)[k * per + i];
}

static void
check_close (const float *got, const double *want, int64_t n, double rel)
{
  double m = 0, d = 0;
  for (int64_t i = 0; i < n; i++)
    {
      m = MAX (m, fabs (want[i]));
      d = MAX (d, fabs (got[i] - want[i]));
    }
  g_assert_cmpfloat (m, >, 0);
  g_assert_cmpfloat (d, <=, rel * m);
}

/* IG with right Riemann sums = (x − 0) ⊙ (1/n) Σ ∇f(k/n · x), gradients taken
 * at the input one point at a time. */
static void
test_integrated_gradients (void)
{
  const int steps = 16;
  const char *sets[] = { "steps=16", "rule=riemann-right", "baseline=zeros", NULL };

  for (int f = 0; fixtures[f]; f++)
    {
      g_autoptr(RelModel) model = fixture_model (fixtures[f], "model.onnx");
      g_autoptr(RelTensor) x = fixture_npy (fixtures[f], "input.npy");
      g_autoptr(RelTensor) batch = rel_batch_new (x, steps, NULL);
      g_autofree double *acc = g_new0 (double, x->numel);
      g_autofree double *w = g_new (double, steps);
      RelExplanation *e = explain (model, x, "integrated-gradients", 0, sets);

      for (int k = 0; k < steps; k++)
        {
          float a = (float) ((k + 1) / (double) steps);
          w[k] = 1.0 / steps;
          for (int64_t i = 0; i < x->numel; i++)
            rel_tensor_f32 (batch)[k * x->numel + i] = a * rel_tensor_f32 (x)[i];
        }
      sum_gradients (model, e->target_class, batch, w, acc);
      for (int64_t i = 0; i < x->numel; i++)
        acc[i] *= rel_tensor_f32 (x)[i];
      check_close (rel_tensor_f32 (e->relevance), acc, x->numel, 1e-4);
      rel_explanation_free (e);
    }
}

/* SmoothGrad = the mean gradient at x + σ·range·N(0, 1), sample k drawn
 * from stream k of the seed. */
static void
test_smoothgrad (void)
{
  const int samples = 6;
  const char *sets[] = { "samples=6", "sigma=0.2", NULL };

  for (int f = 0; fixtures[f]; f++)
    {
      g_autoptr(RelModel) model = fixture_model (fixtures[f], "model.onnx");
      g_autoptr(RelTensor) x = fixture_npy (fixtures[f], "input.npy");
      g_autoptr(RelTensor) batch = rel_batch_new (x, samples, NULL);
      g_autofree double *acc = g_new0 (double, x->numel);
      g_autofree double *w = g_new (double, samples);
      double range = model->preprocess.range_high - model->preprocess.range_low;
      RelExplanation *e = explain (model, x, "smoothgrad", 7, sets);

      if (!(range > 0) || !isfinite (range))
        range = 1.0;
      for (int k = 0; k < samples; k++)
        {
          float *row = rel_tensor_f32 (batch) + k * x->numel;
          RelRng rng;
          rel_rng_init_stream (&rng, 7, (guint64) k);
          rel_rng_fill_normal (&rng, row, x->numel);
          w[k] = 1.0 / samples;
          for (int64_t i = 0; i < x->numel; i++)
            row[i] = (float) (rel_tensor_f32 (x)[i] + 0.2 * range * row[i]);
        }
      sum_gradients (model, e->target_class, batch, w, acc);
      check_close (rel_tensor_f32 (e->relevance), acc, x->numel, 1e-5);
      rel_explanation_free (e);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/affine-stem/found", test_stem_found);
  g_test_add_func ("/affine-stem/engine-pieces", test_engine_pieces);
  g_test_add_func ("/affine-stem/integrated-gradients", test_integrated_gradients);
  g_test_add_func ("/affine-stem/smoothgrad", test_smoothgrad);
  return g_test_run ();
}
