/* rel-fragility.h — is a gradient-based map numerically fragile?
 *
 * A map made by backpropagation follows the network's decisions at the
 * input: which ReLUs are on, which max-pool value wins. Where those decisions
 * fall within rounding (a deep network whose input signal has faded below
 * float32's resolution, a max-pool whose top two values agree to 1e-7), a
 * float64 computation, or another float32 library, decides otherwise and
 * gets a different map: the map shows rounding, not the model (issue 15:
 * random-weight GoogLeNet's float32 gradient, PyTorch's included, is at
 * cosine 0.81 to the float64 one). The check reruns the forward pass with
 * every computed value multiplied by 1 + δ·u (u uniform in [−1, 1], δ =
 * REL_FRAGILE_DELTA, the size of the differences between float32 and float64
 * passes through a deep network) and compares the input gradient of the
 * explained output with the unperturbed one. Below REL_FRAGILE_COSINE the map
 * is fragile: it should not be read as a finding.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-explain.h"
#include "rel-model.h"

G_BEGIN_DECLS

#define REL_FRAGILE_DELTA  1e-6
#define REL_FRAGILE_COSINE 0.99

/* The cosine between @target's input gradient at @input and the same gradient
 * through a forward pass whose computed values are perturbed by a relative
 * @delta (seeded by @seed: reproducible). 1 when both gradients are zero. */
gboolean rel_gradient_stability (RelModel *model, RelTensor *input, const RelTarget *target, double delta,
                                 guint64 seed, const RelContext *ctx, double *cosine, GError **error);

/* For a map of the gradient, LRP or CAM families (the ones that follow the
 * network's decisions by backpropagation): sets @e->stability to
 * rel_gradient_stability's cosine at REL_FRAGILE_DELTA; other methods keep
 * NaN (not checked). @req is the request that made @e. */
gboolean rel_explanation_check_fragility (const RelExplainRequest *req, RelExplanation *e, GError **error);

/* @e was checked and found fragile */
gboolean rel_explanation_is_fragile (const RelExplanation *e);

G_END_DECLS
