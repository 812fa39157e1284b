/* rel-incremental.h — exact incremental evaluation of a model on inputs that
 * differ from one clean input only inside a small rectangle.
 *
 * Occlusion-style methods run the same network on hundreds of inputs that
 * each change one window of the clean image. Convolutions, pools and
 * element-wise ops are local, so in the early layers only a rectangle of each
 * activation changes (the window grown by every layer's halo and mapped
 * through the strides). A RelIncremental runs the clean forward pass once;
 * for each perturbed input it then recomputes every such "local" node only on
 * its changed rectangle (reading the unchanged surroundings from the clean
 * activations), and once the rectangle covers too much of the plane or a
 * non-local op (GlobalAveragePool, Flatten, Gemm, …) is reached, it stacks the
 * perturbed activations of all the inputs of a batch and runs the rest of the
 * graph as an ordinary batched forward pass. The results equal a full forward
 * pass per input up to float rounding.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-model.h"

G_BEGIN_DECLS

typedef struct _RelIncremental RelIncremental;

/* The default for @max_fraction: a node runs on rectangles while its changed
 * rectangle is at most this part of its output plane. A rectangle costs its
 * share of the node's work plus copies, so only a full plane is left to the
 * ordinary pass (ResNet-18's last block; 0.5 took 5 % more CPU there). */
#define REL_INCREMENTAL_DEFAULT_FRACTION 0.9

/* Plans the evaluation of @model on @n_rects perturbations of @input (a
 * 1×C×H×W float32 tensor): perturbation i replaces the input inside
 * rects[4i..4i+3] = y0, x0, y1, x1 (end exclusive, clipped to the plane).
 * Runs the clean forward pass. @max_fraction ≤ 0 makes every node run in
 * full (a plain batched forward pass, for reference). */
RelIncremental *rel_incremental_new (RelModel *model, RelTensor *input, const int *rects, int n_rects,
                                     double max_fraction, const RelContext *ctx, GError **error);
void            rel_incremental_free (RelIncremental *inc);

/* The model output for perturbations first … first + n − 1: input i is the
 * clean input with its rectangle taken from @replacement (shaped like the
 * input). A new tensor whose first dimension is n. With ctx->n_threads ≥ 2
 * the two halves of the batch run on two threads. */
RelTensor      *rel_incremental_forward (RelIncremental *inc, const RelTensor *replacement,
                                         int first, int n, const RelContext *ctx, GError **error);

/* Pixel flipping's chain of inputs, where each differs from the one before
 * by one rectangle: the clean input takes rectangle first, first + 1, …,
 * first + n − 1 from @replacement in turn, and row j of the result is the
 * model output after rectangle first + j. Each link recomputes the LOCAL
 * activations on its rectangle only and writes them into the clean ones
 * (which thereby follow the chain: later rel_incremental_forward calls
 * perturb the chain's current input); the rest of the network runs batched
 * over the n links. Calls must continue the chain: @first is the number of
 * rectangles applied so far. */
RelTensor      *rel_incremental_forward_chain (RelIncremental *inc, const RelTensor *replacement,
                                               int first, int n, const RelContext *ctx, GError **error);

/* The clean forward pass (borrowed). After a chain, only the activations of
 * LOCAL values follow it. */
RelActivations *rel_incremental_clean (RelIncremental *inc);
/* How many nodes run on rectangles. */
int             rel_incremental_n_local (const RelIncremental *inc);
/* A batch size that keeps the full-size part of a pass near @budget floats. */
int             rel_incremental_batch_hint (const RelIncremental *inc, int64_t budget);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelIncremental, rel_incremental_free)

G_END_DECLS
