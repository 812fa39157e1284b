/* rel-gradient.h — helpers shared by the gradient, CAM and perturbation
 * explainers (rel-gradient.c, rel-cam.c, rel-perturb.c): batched evaluation
 * of the target and its input gradient, a seeded PRNG, Gaussian blur, and the
 * SLIC superpixels LIME uses.
 *
 * These are core-internal: the app and CLI go through rel_explain().
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-explain.h"

G_BEGIN_DECLS

/* xoshiro256** seeded through splitmix64: a local state per run, so a seed
 * reproduces a result whatever else the process does. */
typedef struct {
  guint64 s[4];
  gboolean have_spare;
  double   spare;
} RelRng;

void    rel_rng_init     (RelRng *rng, guint64 seed);
/* The @stream-th of independent generators from one seed (one per sample,
 * so samples can be drawn in any order or in parallel). */
void    rel_rng_init_stream (RelRng *rng, guint64 seed, guint64 stream);
guint64 rel_rng_next     (RelRng *rng);
double  rel_rng_uniform  (RelRng *rng);               /* [0, 1) */
double  rel_rng_normal   (RelRng *rng);               /* N(0, 1) */
/* @n draws of N(0, 1), faster than rel_rng_normal (ziggurat), another sequence */
void    rel_rng_fill_normal (RelRng *rng, float *dst, int64_t n);
int     rel_rng_int      (RelRng *rng, int n);        /* [0, n) */

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

/* Separable Gaussian blur of @channels planes of h×w with edge clamping. */
void rel_gaussian_blur (const float *src, float *dst, int channels, int height, int width,
                        double sigma);

/* Per-channel mean of a 1×C×… tensor, broadcast into a new tensor of its shape. */
RelTensor *rel_channel_mean (const RelTensor *input, GError **error);

/* SLIC superpixels (Achanta et al. 2012) on a 1×C×H×W input, in CIELAB for
 * three channels (after undoing @pp's normalisation) and lightness for one.
 * Fills labels[H·W] with 0..n-1 (connected segments); returns n, or -1. */
int rel_slic (const RelTensor *input, const RelPreprocess *pp, int n_segments,
              double compactness, int *labels, GError **error);

G_END_DECLS
