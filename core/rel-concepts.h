/* rel-concepts.h — Concept Relevance Propagation: which channels of a layer
 * (the features the network learned) carry a prediction, where each one
 * speaks in the input, and which images of a dataset show it best.
 *
 * Semantics follow zennit-crp (Achtibat et al. 2023): a concept is a channel
 * of layer L; its relevance is the sum of the relevance at L's output over
 * the channel's positions; its conditional heatmap R(x | L, c) is the
 * method's backward pass with the relevance at L kept on channel c only
 * (rel-lrp.h). The relevance is counted through L only: for a layer every
 * path from the input to the output goes through (a cut of the graph) the
 * heatmaps of all channels sum to the unconditional map.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-job.h"
#include "rel-lrp.h"

G_BEGIN_DECLS

/* ---- layers ---- */

/* Node names of the model's Conv/Gemm/MatMul nodes, in graph order
 * (NULL-terminated; g_strfreev). */
char   **rel_concept_layers (RelModel *model);
/* TRUE when every path from the graph input to its output passes through
 * value @value. */
gboolean rel_concept_value_is_cut (RelModel *model, int value);
/* The default layer: the last Conv whose output is a cut of the graph; when
 * no Conv is (residual networks: every conv of the last block is bypassed),
 * the last cut with a spatial map (h·w > 1) below it (a residual block's
 * output); else the last Conv. A node index, or −1 when the model has no Conv. */
int      rel_concept_default_layer (RelModel *model);
/* Resolves @name (a node name or the name of a node's output value; NULL or
 * "" for the default) to a node and the value conditioned on (the node's
 * first output). An unknown name fails with the list of the model's
 * Conv/Gemm/MatMul layers. */
gboolean rel_concept_resolve_layer (RelModel *model, const char *name, int *node, int *value,
                                    GError **error);

/* ---- concept relevance ---- */

typedef struct {
  int    channel;
  double relevance;   /* Σ of the relevance at the layer over the channel */
  double share;       /* relevance / Σ|relevance| over all channels (0 when that is 0):
                       * in [−1, 1], the |shares| sum to 1 */
} RelConcept;

typedef enum {
  REL_CONCEPT_RANK_ABS,       /* by |relevance| */
  REL_CONCEPT_RANK_POSITIVE,  /* by relevance, largest first */
} RelConceptRank;

/* Every channel of @value's layer as a RelConcept, in channel order; *total
 * (may be NULL) gets the relevance at the layer. */
GArray  *rel_concepts_compute (RelRelevancePass *pass, int value, double *total, GError **error);
/* The @k first of @concepts by @rank (a new array; ties by channel). */
GArray  *rel_concepts_top (const GArray *concepts, int k, RelConceptRank rank);

/* The conditional heatmaps of single channels @channels[0..n) of value
 * @value: n × (input shape without batch), one batched pass per 8. A
 * channel out of range fails naming the range. */
RelTensor *rel_concept_heatmaps (RelRelevancePass *pass, int value, const int *channels, int n,
                                 GError **error);

/* ---- hierarchy: a concept's parts one layer down ---- */

/* The Conv/Gemm/MatMul node before node @node in graph order, or −1. */
int      rel_concept_layer_below (RelModel *model, int node);
/* What concept @channel of value @value is made of at value @lower (below
 * it): for every channel of @lower, the relevance the pass conditioned on
 * @channel leaves there, as RelConcepts in channel order (shares of Σ|R|).
 * Summed over every channel of a layer that every path goes through, these
 * are the relevance at @lower itself. */
GArray  *rel_concept_subconcepts (RelRelevancePass *pass, int value, int channel, int lower, GError **error);

/* ---- reference images (relevance / activation maximisation) ---- */

typedef enum {
  REL_CONCEPT_RELMAX,   /* images where the channel's relevance (Σ over positions) is highest */
  REL_CONCEPT_ACTMAX,   /* images where the channel's activation (max over positions) is highest */
} RelConceptMode;

typedef struct {
  int    image;         /* index into the image list */
  double value;         /* the channel's relevance or activation on it */
  int    y, x;          /* the position at the layer of the highest relevance (or activation) */
  int    box[4];        /* the crop in input pixels: x, y, width, height (receptive field) */
} RelConceptReference;

typedef struct {
  int         n_channels;
  int         per_concept;
  GArray    **refs;     /* per channel: RelConceptReference, best first (≤ per_concept) */
  int         n_images; /* images read */
} RelConceptReferences;

void rel_concept_references_free (RelConceptReferences *refs);

/* Called with the image index and the fraction done. */
typedef void (*RelConceptProgress) (int done, int total, gpointer user_data);

/* The @per_concept best images of every channel of value @value over @paths
 * (@n_paths image files, read with the model's preprocessing), each image
 * explained by @params (an LRP method or input-x-gradient) for its predicted
 * class. Boxes are filled for the channels in @box_channels (n_box; NULL:
 * none) only, as each box costs a backward pass: the support of the relevance
 * sent down from the single position (channel, y, x). @cancel may be NULL.
 * A list without images fails. */
RelConceptReferences *rel_concept_references_compute (RelModel *model, const RelParams *params, int value,
                                                      const char *const *paths, int n_paths,
                                                      RelConceptMode mode, int per_concept,
                                                      const int *box_channels, int n_box,
                                                      volatile gint *cancel,
                                                      RelConceptProgress progress, gpointer user_data,
                                                      GError **error);

/* The same on the job runner (rel-job.h), for the app: progress per image
 * ("12 / 1000 images"), cancellable with rel_job_cancel; @done gets a
 * RelConceptReferences (transfer full) or the error. @model is referenced,
 * @params, @paths and @box_channels are copied. The job is started; unref
 * it when done with it. */
RelJob *rel_concept_references_job (RelModel *model, const RelParams *params, int value,
                                    const char *const *paths, int n_paths, RelConceptMode mode,
                                    int per_concept, const int *box_channels, int n_box,
                                    RelJobProgressFunc progress, RelJobDoneFunc done, gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelConceptReferences, rel_concept_references_free)

G_END_DECLS
