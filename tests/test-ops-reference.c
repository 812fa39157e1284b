/* test-ops-reference.c — Einsum and GroupNormalization against PyTorch.
 *
 * tests/fixtures/ops/ (tests/reference/make-ops-fixture.py) holds float32
 * operands, a cotangent and PyTorch's float64 output and VJPs per case; each
 * kernel's forward and backward must reach them to float32 rounding, and the
 * backward must agree with finite differences of the forward (grad-check).
 * Three ONNX files check the loader's view: attention written with Einsum
 * (logits, the input gradient, and LRP's clear refusal of Q·Kᵀ), an
 * Einsum-only MLP whose LRP-ε map is computed by the rule's definition in the
 * script, and a GroupNormalization file at opset 18.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "grad-check.h"
#include "fixture-util.h"
#include "rel-core.h"
#include "rel-error.h"
#include "rel-explain.h"
#include "rel-model.h"
#include "rel-op.h"

#include <math.h>
#include <string.h>

#define DIR "ops"

typedef struct {
  const char *name;
  const char *equation;
  int         n_inputs;
} EinCase;

/* the same names and equations as make-ops-fixture.py's EINSUM */
static const EinCase ein_cases[] = {
  { "ein-scores",    "bhqd,bhkd->bhqk",    2 },
  { "ein-attnv",     "bhqk,bhkd->bhqd",    2 },
  { "ein-bmm",       "bij,bjk->bik",       2 },
  { "ein-transpose", "ij->ji",             1 },
  { "ein-rowsum",    "ij->i",              1 },
  { "ein-weight",    "...ij,jk->...ik",    2 },
  { "ein-broadcast", "...ij,...jk->...ik", 2 },
  { "ein-conv1x1",   "bchw,kc->bkhw",      2 },
  { "ein-implicit",  "ij,jk",              2 },
  { "ein-outer",     "i,j->ij",            2 },
  { "ein-diagonal",  "ii->i",              1 },
  { "ein-trace-dot", "bii,bj->bj",         2 },
  { "ein-upper",     "bIJ,bJK->bKI",       2 },
};

typedef struct {
  const char *name;
  int64_t     num_groups;
} GnCase;

static const GnCase gn_cases[] = {
  { "gn18", 3 }, { "gn21", 3 }, { "gn-one-group", 1 }, { "gn-instance", 4 },
};

static RelTensor *
case_npy (const char *name, const char *suffix)
{
  g_autofree char *file = g_strdup_printf ("%s-%s.npy", name, suffix);
  return fixture_npy (DIR, file);
}

/* max |a − ref| ≤ tol · max(1, max|ref|), shapes equal */
static void
assert_close (const char *what, const RelTensor *a, const RelTensor *ref, double tol)
{
  double err = 0, scale = 1;

  g_assert_nonnull (a);
  if (!rel_tensor_same_shape (a, ref))
    {
      g_autofree char *as = rel_tensor_shape_string (a);
      g_autofree char *rs = rel_tensor_shape_string (ref);
      g_error ("%s: shape %s, PyTorch %s", what, as, rs);
    }
  for (int64_t i = 0; i < ref->numel; i++)
    {
      err = MAX (err, fabs ((double) rel_tensor_f32 (a)[i] - rel_tensor_f32 (ref)[i]));
      scale = MAX (scale, fabs ((double) rel_tensor_f32 (ref)[i]));
    }
  g_test_message ("%s: max error %.2e (max|ref| %.3g)", what, err, scale);
  if (err > tol * scale)
    g_error ("%s: max error %.3e > %.1e × %.3g", what, err, tol, scale);
}

/* forward and VJP of @node against the case's files, then finite differences */
static void
check_case (RelNode *node, const char *name, int n_inputs)
{
  RelTensor *in[4] = { NULL }, *grads[4] = { NULL };
  gboolean need[4] = { FALSE }, check[4] = { FALSE };
  g_autoptr(RelTensor) y = NULL, yref = NULL, gy = NULL;
  g_autoptr(GError) error = NULL;
  GradCheckOptions opts = { .h = 1e-2, .rel_tol = 1e-2, .abs_tol = 1e-3 };
  RelTensor *outs[1];

  for (int i = 0; i < n_inputs; i++)
    {
      g_autofree char *s = g_strdup_printf ("in%d", i);
      in[i] = case_npy (name, s);
      need[i] = check[i] = TRUE;
    }
  y = grad_check_forward (node, in, &error);
  g_assert_no_error (error);
  yref = case_npy (name, "y");
  assert_close (name, y, yref, 1e-5);
  gy = case_npy (name, "gy");
  outs[0] = y;
  g_assert_true (node->op->backward (node, in, outs, gy, grads, need, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < n_inputs; i++)
    {
      g_autofree char *s = g_strdup_printf ("g%d", i);
      g_autofree char *what = g_strdup_printf ("%s d/d input %d", name, i);
      g_autoptr(RelTensor) gref = case_npy (name, s);
      assert_close (what, grads[i], gref, 1e-5);
      rel_tensor_unref (grads[i]);
    }
  if (!grad_check_run (node, in, check, &opts, NULL, &error))
    g_error ("%s finite differences: %s", name, error->message);
  for (int i = 0; i < n_inputs; i++)
    rel_tensor_unref (in[i]);
}

static void
test_einsum_cases (void)
{
  for (gsize c = 0; c < G_N_ELEMENTS (ein_cases); c++)
    {
      RelNode *node = grad_check_node_new ("Einsum", ein_cases[c].n_inputs, 1);
      grad_check_node_set_string (node, "equation", ein_cases[c].equation);
      check_case (node, ein_cases[c].name, ein_cases[c].n_inputs);
      grad_check_node_free (node);
    }
}

/* what Einsum refuses, each with a message naming the problem */
static void
test_einsum_refusals (void)
{
  static const struct { const char *equation; int n_inputs; int64_t a[3], b[3]; const char *says; } bad[] = {
    { "ij,jk->ik", 1, { 2, 3 }, { 0 }, "2 operands but the node has 1" },
    { "ij,jk,kl->il", 3, { 2, 3 }, { 3, 2 }, "at most 2" },
    { "ij,jk->iz", 2, { 2, 3 }, { 3, 2 }, "'z' is in no operand" },
    { "ij,jk->ii", 2, { 2, 3 }, { 3, 2 }, "'i' is repeated" },
    { "i1,jk->ik", 2, { 2, 3 }, { 3, 2 }, "'1' where a letter belongs" },
    { "ij,jk-ik", 2, { 2, 3 }, { 3, 2 }, "'-' without '>'" },
    { "ij,jk->...ik", 2, { 2, 3 }, { 3, 2 }, "ellipsis in the output only" },
    { "......ij->ij", 1, { 2, 3 }, { 0 }, "two ellipses" },
    { "ij,jk->ik", 2, { 2, 3 }, { 4, 2 }, "letter 'j' has size 4" },
    { "ijk,jk->ik", 2, { 2, 3 }, { 3, 2 }, "does not have the term's 3 dimensions" },
    { "", 1, { 2, 3 }, { 0 }, "needs an equation" },
  };

  for (gsize c = 0; c < G_N_ELEMENTS (bad); c++)
    {
      RelNode *node = grad_check_node_new ("Einsum", bad[c].n_inputs, 1);
      g_autoptr(GError) error = NULL;
      g_autoptr(RelTensor) a = rel_tensor_new_f32 (2, bad[c].a, NULL);
      g_autoptr(RelTensor) b = bad[c].b[0] ? rel_tensor_new_f32 (2, bad[c].b, NULL) : NULL;
      RelTensor *in[3] = { a, b, b };
      RelTensor *y;

      grad_check_node_set_string (node, "equation", bad[c].equation);
      y = grad_check_forward (node, in, &error);
      g_assert_null (y);
      g_assert_nonnull (error);
      if (strstr (error->message, bad[c].says) == NULL)
        g_error ("'%s': '%s' does not say '%s'", bad[c].equation, error->message, bad[c].says);
      grad_check_node_free (node);
    }
  /* a contraction too large to finish is refused before it starts */
  {
    RelNode *node = grad_check_node_new ("Einsum", 2, 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(RelTensor) a = rel_tensor_new_f32 (2, (int64_t[]) { 5000, 5000 }, NULL);
    RelTensor *in[2] = { a, a };
    grad_check_node_set_string (node, "equation", "ij,kl->il");
    g_assert_null (grad_check_forward (node, in, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_TOO_LARGE);
    grad_check_node_free (node);
  }
}

static void
test_group_norm_cases (void)
{
  for (gsize c = 0; c < G_N_ELEMENTS (gn_cases); c++)
    {
      RelNode *node = grad_check_node_new ("GroupNormalization", 3, 1);
      grad_check_node_set_int (node, "num_groups", gn_cases[c].num_groups);
      grad_check_node_set_float (node, "epsilon", 1e-5f);
      check_case (node, gn_cases[c].name, 3);
      grad_check_node_free (node);
    }
}

static void
test_group_norm_refusals (void)
{
  g_autoptr(RelTensor) x = rel_tensor_new_f32 (4, (int64_t[]) { 1, 6, 2, 2 }, NULL);
  g_autoptr(RelTensor) s4 = rel_tensor_new_f32 (1, (int64_t[]) { 4 }, NULL);
  g_autoptr(RelTensor) s3 = rel_tensor_new_f32 (1, (int64_t[]) { 3 }, NULL);
  struct { int64_t groups; RelTensor *scale; const char *says; } bad[] = {
    { 4, s4, "C a multiple of num_groups = 4" },
    { 3, s4, "needs 3 scales and biases (one per group), not 4" },
    { 0, s3, "num_groups ≥ 1" },
  };

  for (gsize c = 0; c < G_N_ELEMENTS (bad); c++)
    {
      RelNode *node = grad_check_node_new ("GroupNormalization", 3, 1);
      g_autoptr(GError) error = NULL;
      RelTensor *in[3] = { x, bad[c].scale, bad[c].scale };
      grad_check_node_set_int (node, "num_groups", bad[c].groups);
      g_assert_null (grad_check_forward (node, in, &error));
      g_assert_nonnull (error);
      if (strstr (error->message, bad[c].says) == NULL)
        g_error ("GroupNormalization: '%s' does not say '%s'", error->message, bad[c].says);
      grad_check_node_free (node);
    }
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

static RelExplanation *
explain (RelModel *model, RelTensor *input, int target, const char *method_name, const char *settings,
         GError **error)
{
  const RelMethodDef *method = rel_method_lookup (method_name);
  g_autoptr(RelParams) params = rel_params_new (method);
  g_auto(GStrv) words = g_strsplit (settings, " ", -1);
  RelExplainRequest req = { 0 };

  for (int i = 0; words[i]; i++)
    if (*words[i] && !rel_params_set_assignment (params, words[i], error))
      return NULL;
  req.model = model;
  req.input = input;
  req.target.kind = REL_TARGET_CLASS;
  req.target.a = target;
  req.params = params;
  return rel_explain (method, &req, error);
}

/* attention written with Einsum, as torch.onnx exports it */
static void
test_einsum_attention_model (void)
{
  g_autoptr(RelModel) model = fixture_model (DIR, "einsum-attention.onnx");
  g_autoptr(RelTensor) x = fixture_npy (DIR, "einsum-attention-input.npy");
  g_autoptr(RelTensor) logits = fixture_npy (DIR, "einsum-attention-logits.npy");
  g_autoptr(RelTensor) grad = fixture_npy (DIR, "einsum-attention-gradient.npy");
  g_autoptr(RelActivations) acts = NULL;
  g_autoptr(RelExplanation) e = NULL, lrp = NULL;
  g_autoptr(GError) error = NULL;
  int target = argmax (logits);

  acts = rel_model_forward (model, x, NULL, &error);
  g_assert_no_error (error);
  assert_close ("attention logits", rel_activations_output (acts), logits, 1e-5);
  e = explain (model, x, target, "gradient", "", &error);
  g_assert_no_error (error);
  assert_close ("attention gradient", e->relevance, grad, 1e-5);
  /* Q·Kᵀ multiplies two computed tensors: no LRP rule applies, and it says so */
  lrp = explain (model, x, target, "lrp-epsilon", "", &error);
  g_assert_null (lrp);
  g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "two computed tensors"));
}

/* LRP-ε through Einsum layers (constant weights) and a one-operand sum */
static void
test_einsum_mlp_lrp (void)
{
  g_autoptr(RelModel) model = fixture_model (DIR, "einsum-mlp.onnx");
  g_autoptr(RelTensor) x = fixture_npy (DIR, "einsum-mlp-input.npy");
  g_autoptr(RelTensor) ref = fixture_npy (DIR, "einsum-mlp-lrp.npy");
  g_autoptr(RelActivations) acts = NULL;
  g_autoptr(RelExplanation) e = NULL;
  g_autoptr(GError) error = NULL;
  double sum = 0;

  /* the script explains the arg-max */
  acts = rel_model_forward (model, x, NULL, &error);
  g_assert_no_error (error);
  e = explain (model, x, argmax (rel_activations_output (acts)), "lrp-epsilon", "epsilon=1e-6 initial=one", &error);
  g_assert_no_error (error);
  assert_close ("Einsum MLP LRP-ε", e->relevance, ref, 1e-4);
  /* no biases: the map conserves the initial relevance */
  for (int64_t i = 0; i < e->relevance->numel; i++)
    sum += rel_tensor_f32 (e->relevance)[i];
  g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-4);
}

static void
test_group_norm_model (void)
{
  g_autoptr(RelModel) model = fixture_model (DIR, "groupnorm-opset18.onnx");
  g_autoptr(RelTensor) x = fixture_npy (DIR, "gn18-in0.npy");
  g_autoptr(RelTensor) y = fixture_npy (DIR, "gn18-y.npy");
  g_autoptr(RelActivations) acts = NULL;
  g_autoptr(GError) error = NULL;

  acts = rel_model_forward (model, x, NULL, &error);
  g_assert_no_error (error);
  assert_close ("GroupNormalization opset 18 file", rel_activations_output (acts), y, 1e-5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rel_core_init (2);
  g_test_add_func ("/ops-reference/einsum", test_einsum_cases);
  g_test_add_func ("/ops-reference/einsum/refusals", test_einsum_refusals);
  g_test_add_func ("/ops-reference/einsum/attention-model", test_einsum_attention_model);
  g_test_add_func ("/ops-reference/einsum/mlp-lrp", test_einsum_mlp_lrp);
  g_test_add_func ("/ops-reference/group-norm", test_group_norm_cases);
  g_test_add_func ("/ops-reference/group-norm/refusals", test_group_norm_refusals);
  g_test_add_func ("/ops-reference/group-norm/model", test_group_norm_model);
  return g_test_run ();
}
