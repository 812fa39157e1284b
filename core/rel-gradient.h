/* rel-gradient.h — helpers shared by the gradient, CAM and perturbation
 * explainers (rel-gradient.c, rel-cam.c, rel-perturb.c): batched evaluation
 * of the target and its input gradient. Random numbers are in rel-rng.h,
 * the blur in rel-blur.h, SLIC in rel-slic.h.
 *
 * These are core-internal: the app and CLI go through rel_explain().
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-explain.h"

G_BEGIN_DECLS

/* Resolves req->target on the unperturbed input: the predicted class becomes a
 * class index (sampling methods must explain one fixed class, not each
 * sample's arg-max), the class range is checked, and f(x) is returned. */
gboolean rel_target_resolve (RelModel *model, const RelTarget *target, RelTensor *input,
                             const RelContext *ctx, RelTarget *resolved,
                             int *resolved_class, double *explained, GError **error);

/* For a batch N×… of inputs: the explained value of every row (@values, N
 * entries, may be NULL) and, if @grads is not NULL, the gradient of each row's
 * value w.r.t. its input (a new tensor shaped like @batch). @hook replaces
 * backward rules (guided backprop). A PREDICTED target is row 0's arg-max,
 * returned in @resolved_class (may be NULL). */
gboolean rel_grad_batch (RelModel *model, const RelTarget *target, RelTensor *batch,
                         RelBackwardHook hook, gpointer hook_data, const RelContext *ctx,
                         RelTensor **grads, double *values, int *resolved_class, GError **error);

/* Each row's explained value of an N×K output for a resolved target. */
void rel_target_values (const RelTarget *target, const RelTensor *logits, double *values);

/* How many perturbed inputs fit in one pass: req->batch_size or @fallback,
 * capped by a model whose batch dimension is fixed and by memory. */
int rel_explain_batch_size (const RelExplainRequest *req, int fallback);

/* A zero-filled n×(input shape without its batch dimension) tensor. */
RelTensor *rel_batch_new (const RelTensor *input, int n, GError **error);

/* TRUE (with REL_ERROR_CANCELLED) if the request's cancel flag is raised. */
gboolean rel_request_cancelled (const RelExplainRequest *req, GError **error);

/* Per-channel mean of a 1×C×… tensor, broadcast into a new tensor of its shape. */
RelTensor *rel_channel_mean (const RelTensor *input, GError **error);

G_END_DECLS
