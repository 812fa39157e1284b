/* grad-check.h — test helpers for operator kernels: build a RelNode without an
 * ONNX file, and check an op's backward against finite differences.
 *
 * The check uses the scalar L = Σ g·y₀ with a random cotangent g, so the op's
 * backward (a VJP) must equal ∂L/∂x; for an op with several differentiable
 * outputs (backward_outputs, e.g. Split) L = Σ_o Σ g_o·y_o. Numeric derivatives are central
 * differences of float32 forward passes accumulated in double. Elements where
 * the op has a kink (ReLU at 0, a max changing winner) are detected from the
 * third differences over x±h, x±2h and skipped: a kink inside [x−2h, x+2h]
 * makes consecutive second differences jump, a smooth function does not, and
 * the jump bounds the error a kink can put into the central difference.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-model.h"

G_BEGIN_DECLS

/* A node for @op_type (looked up in the op table; aborts the test if unknown)
 * with inputs 0..n_inputs-1 and outputs 0..n_outputs-1 and no attributes. */
RelNode *grad_check_node_new        (const char *op_type, int n_inputs, int n_outputs);
void     grad_check_node_free       (RelNode *node);

/* Set (or replace) an attribute. Invalidates params: the next
 * grad_check_node_prepare (or any grad_check run) parses them again. */
void     grad_check_node_set_int    (RelNode *node, const char *name, int64_t value);
void     grad_check_node_set_ints   (RelNode *node, const char *name, const int64_t *values, int n);
void     grad_check_node_set_float  (RelNode *node, const char *name, float value);
void     grad_check_node_set_floats (RelNode *node, const char *name, const float *values, int n);
void     grad_check_node_set_string (RelNode *node, const char *name, const char *value);
/* takes a new reference on @value */
void     grad_check_node_set_tensor (RelNode *node, const char *name, RelTensor *value);

/* Frees old params and runs op->prepare (NULL model). TRUE if the op has none. */
gboolean grad_check_node_prepare    (RelNode *node, GError **error);

/* Prepares if needed, runs the forward and returns output 0 (the other outputs
 * are dropped). @inputs has node->n_inputs entries, NULL for omitted ones. */
RelTensor *grad_check_forward       (RelNode *node, RelTensor *const *inputs, GError **error);

/* Optional per-element veto: return TRUE to skip input @input's element @index. */
typedef gboolean (*GradCheckSkipFunc) (int input, int64_t index, float value, gpointer user_data);

typedef struct {
  double   h;            /* step, scaled by max(1, |x|); 0: 1e-2 */
  double   rel_tol;      /* 0: 1e-2 */
  double   abs_tol;      /* absolute floor added to the tolerance; 0: 1e-3 */
  int      max_elements; /* per input; > 0 checks a random sample of that size; 0: all */
  double   max_skipped;  /* fail if more than this fraction of elements is skipped as kinks; 0: 0.5 */
  guint32  seed;         /* cotangent and sample seed; 0: 1 */
  GradCheckSkipFunc skip;
  gpointer skip_data;
} GradCheckOptions;

typedef struct {
  int64_t n_checked;     /* elements compared */
  int64_t n_skipped;     /* elements skipped as kinks (or by @skip) */
  double  max_abs_err;   /* worst |analytic − numeric| over compared elements */
  double  max_rel_err;   /* worst |analytic − numeric| / max(|analytic|, |numeric|, abs_tol) */
} GradCheckResult;

/* Checks the backward of @node's op for every input i with check[i] TRUE
 * (inputs[i] must then be float32). @opts and @result may be NULL. FALSE with
 * an error naming the first failing input and element, or if the forward or
 * backward failed, or too many elements were skipped. */
gboolean grad_check_run (RelNode *node, RelTensor *const *inputs, const gboolean *check,
                         const GradCheckOptions *opts, GradCheckResult *result, GError **error);

/* Deterministic test data: uniform in [lo, hi). */
void     grad_check_fill_uniform (RelTensor *t, GRand *rand, float lo, float hi);

G_END_DECLS
