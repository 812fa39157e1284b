/* rel-lrp.h — one relevance pass kept for conditional passes below the output.
 *
 * Concept Relevance Propagation (rel-concepts.c) asks, for a layer L and sets
 * of its channels, which part of the input's relevance flows through those
 * channels. A RelRelevancePass runs the forward pass and the method's full
 * backward pass once and keeps both; a conditional pass then masks the
 * relevance at L and runs only the part of the graph below L, for several
 * masks at once as one batch (the part above L is shared).
 *
 * Methods: every LRP method (family "lrp", any composite or rule file) and
 * input-x-gradient (the relevance at a value is activation ⊙ gradient there;
 * the mask applies to the gradient and the input map is input ⊙ gradient).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-explain.h"

G_BEGIN_DECLS

typedef struct _RelRelevancePass RelRelevancePass;

/* TRUE when @method can run conditional passes. */
gboolean          rel_relevance_pass_supports (const RelMethodDef *method);

/* Forward and full backward pass of req->params' method (or @method with its
 * defaults) for req->input (batch 1) and req->target. */
RelRelevancePass *rel_relevance_pass_new (const RelMethodDef *method, const RelExplainRequest *req,
                                          GError **error);
void              rel_relevance_pass_free (RelRelevancePass *pass);

RelModel         *rel_relevance_pass_model (RelRelevancePass *pass);
int               rel_relevance_pass_target_class (RelRelevancePass *pass);
double            rel_relevance_pass_explained_output (RelRelevancePass *pass);
/* The unconditional map (the input's shape; borrowed). */
RelTensor        *rel_relevance_pass_input_map (RelRelevancePass *pass);
/* The activation at value @value (borrowed; NULL when not computed). */
RelTensor        *rel_relevance_pass_activation (RelRelevancePass *pass, int value);
/* A new tensor: the relevance at value @value (its shape); zeros where no
 * relevance reaches it. NULL with an error for a value that is not a float
 * tensor computed from the input. */
RelTensor        *rel_relevance_pass_relevance_at (RelRelevancePass *pass, int value, GError **error);

/* The input relevance that flows through value @value when its relevance
 * is multiplied by each of @n_masks masks in turn: @masks holds n_masks ×
 * @mask_len weights, @mask_len being C (the value's axis-1 size: a weight per
 * channel, 1 keeps it, 0 drops it) or the value's element count (a weight per
 * channel and position). Returns n_masks maps, n_masks × (input shape without batch), from
 * batched backward passes below @value (@max_batch masks per pass; 0: 8).
 * Relevance reaching the input on paths that bypass @value is not included,
 * so when every path from the input to the output passes through @value the
 * maps of all single channels sum to the unconditional map. */
RelTensor        *rel_relevance_pass_conditional (RelRelevancePass *pass, int value,
                                                  const float *masks, int64_t mask_len, int n_masks,
                                                  int max_batch,
                                                  GError **error);

/* The same, but the relevance each mask leaves at value @to (below @value:
 * computed before it) instead of at the input: n_masks × (@to's shape
 * without batch). For input × gradient, activation ⊙ gradient there. */
RelTensor        *rel_relevance_pass_conditional_at (RelRelevancePass *pass, int value, const float *masks,
                                                     int64_t mask_len, int n_masks, int to, int max_batch,
                                                     GError **error);

/* The same pass with the relevance at @value given outright: @seeds is a
 * batch of tensors of the value's shape (n × …), each sent down as is. */
RelTensor        *rel_relevance_pass_from_seeds (RelRelevancePass *pass, int value, const RelTensor *seeds,
                                                 int max_batch, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelRelevancePass, rel_relevance_pass_free)

G_END_DECLS
