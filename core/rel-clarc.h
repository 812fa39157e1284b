/* rel-clarc.h — the artifact as a direction in a layer, and the model
 * corrected against it (Class Artifact Compensation, Anders et al. 2022).
 *
 * Concept activation vector (CAV): at a layer, from activations of images
 * with the artifact and without, the direction of the pattern estimate — the
 * covariance of activation and artifact label, for two sets the difference of
 * their means — normalised. Over the whole activation (C·H·W, for an artifact
 * at a fixed place) or per channel over spatially max-pooled activations
 * (for one that moves), projected at every position.
 *
 * P-ClArC projects it out after the layer, h' = h − v vᵀ (h − z̄) with z̄ the
 * artifact-free images' mean, and writes that as ordinary ONNX operators
 * (full tensor: Sub, Mul, ReduceSum, Mul, Sub, never a (CHW)² matrix; per
 * channel: a 1×1 Conv with weights I − v vᵀ and bias v vᵀ z̄), so any runtime
 * reproduces it and the explainers run through it (LRP gives the projection
 * the ε-rule of the affine map it is, rel-lrp.c).
 *
 * A-ClArC fine-tunes the layers after a chosen one (default: the classifier
 * head) on images with the artifact pasted into every class, labels unchanged.
 *
 * rel_clarc_run does it all on a data set and measures before and after on
 * images not used to fit anything. Long loops report progress and stop at
 * the next image when the cancel flag rises.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-explain.h"
#include "rel-inspect.h"
#include "rel-region.h"

G_BEGIN_DECLS

/* Fitting a direction and measuring it needs this many images with the
 * artifact in the fitting half and in the held-out half each. */
#define REL_CLARC_MIN_IMAGES 5

typedef enum {
  REL_CAV_FULL,      /* the whole C×H×W activation */
  REL_CAV_CHANNEL,   /* per channel, spatially max-pooled; projected at every position */
} RelCavKind;

/* How the direction is estimated from the two sets. */
typedef enum {
  REL_CAV_PATTERN,   /* the signal: difference of the means (Anders et al.; what projection needs) */
  REL_CAV_LOGISTIC,  /* the filter: an L2-regularised logistic regression's weights */
} RelCavFit;

gboolean    rel_cav_fit_parse (const char *text, RelCavFit *fit, GError **error);
const char *rel_cav_fit_name  (RelCavFit fit);

typedef enum {
  REL_CLARC_P,       /* projective */
  REL_CLARC_A,       /* augmentive */
} RelClarcMethod;

typedef struct {
  char      *layer;                /* node name */
  int        value;                /* the activation's value id in the model it was fitted on */
  RelCavKind kind;
  int        channels, height, width;
  int        dim;                  /* C·H·W, or C per channel */
  float     *direction;            /* dim, unit length */
  float     *mean;                 /* z̄: C·H·W (full) or C (per channel: over images and positions) */
  double     threshold;            /* on vᵀ(a − z̄): half-way between the two fitted means */
  double     accuracy, auc;        /* separability on held-out activations (NaN before) */
} RelCav;

/* The layers a direction can be fitted at: nodes whose output is a 4-D
 * activation computed from the input, in graph order. NULL-terminated node
 * names (g_strfreev). */
char     **rel_clarc_layers     (RelModel *model);
/* The output value of layer @name (a node name or its output's name), or −1
 * with an error that lists the valid layers. */
int        rel_clarc_find_layer (RelModel *model, const char *name, GError **error);

/* The activation of @value for each input (1×C×H×W each): n × dim floats
 * (g_free), *shape gets C, H, W. */
float     *rel_clarc_activations (RelModel *model, int value, RelTensor *const *inputs, int n,
                                  int shape[3], volatile gint *cancel, GError **error);

/* Fits the direction from activations (each C·H·W) of @n_with images with the
 * artifact and @n_without without. */
RelCav    *rel_cav_fit      (RelModel *model, int value, RelCavKind kind, const int shape[3],
                             const float *with, int n_with, const float *without, int n_without,
                             GError **error);
/* The same with the direction estimated by @fit. For REL_CAV_LOGISTIC the
 * weights of a logistic regression (features centred on the pooled mean, L2
 * penalty 0.01 × the largest eigenvalue of their covariance / 4, accelerated
 * gradient descent), normalised; the threshold lies half-way between the two
 * sets' mean scores. z̄ is the artifact-free mean either way. */
RelCav    *rel_cav_fit_with (RelModel *model, int value, RelCavKind kind, RelCavFit fit, const int shape[3],
                             const float *with, int n_with, const float *without, int n_without,
                             GError **error);
/* Accuracy (threshold from the fit) and AUC of the score vᵀ(a − z̄) on other
 * images' activations; sets cav->accuracy and cav->auc. */
void       rel_cav_evaluate (RelCav *cav, const float *with, int n_with, const float *without, int n_without);
/* h ← h − v vᵀ (h − z̄) on @n activations (C·H·W each), in place. */
void       rel_cav_project  (const RelCav *cav, float *activations, int n);
void       rel_cav_free     (RelCav *cav);

/* Logits of @input (1×C×H×W) with the projection applied in the core. */
RelTensor *rel_clarc_logits (RelModel *model, const RelCav *cav, RelTensor *input, GError **error);
/* A new model: @model with the projection inserted after the CAV's layer as
 * ONNX operators, serialised and loaded back. Metadata clarc.* records it. */
RelModel  *rel_clarc_project_model (RelModel *model, const RelCav *cav, GError **error);

/* ---- the whole correction on a data set ---- */

typedef void (*RelClarcProgress) (const char *stage, double fraction, gpointer user_data);

typedef struct {
  double clean_accuracy;     /* held-out clean images */
  double flip_rate;          /* held-out artifact images of other classes (not predicted as the class before) */
  double relevance_mass;     /* of the class, on the held-out transplanted images of other classes (NaN without a region) */
  int    clean_images, flip_candidates, mass_images;
} RelClarcFigures;

typedef struct {
  char  *layer;
  double cav_accuracy, cav_auc;
  double clean_accuracy, flip_rate;   /* P-ClArC at that layer, held-out */
} RelClarcLayerFigures;

typedef struct {
  RelClarcMethod   method;
  RelCavKind       kind;
  char            *layer;            /* the layer used */
  double           cav_accuracy, cav_auc;
  RelClarcFigures  before, after;
  int              n_layers;         /* the layers tried (auto), else 1 */
  RelClarcLayerFigures *layers;
  double           max_logit_difference; /* P-ClArC: written model vs the in-core projection */
  int              n_fit, n_holdout; /* clean images */
  RelModel        *corrected;        /* the corrected model (as written) */
} RelClarcResult;

typedef struct {
  RelModel          *model;
  const char *const *paths;           /* artifact-free images */
  const int         *labels;          /* their classes (model outputs, −1 unknown: skipped) */
  int                n;
  int                target;          /* the class the artifact speaks for */
  /* the artifact: a region pasted from @source, or images that carry it */
  const RelRegion   *region;          /* may be NULL with artifact_paths */
  const RelTensor   *source;          /* 1×C×H×W: the image whose region is pasted */
  const guint8      *source_mask;     /* H × W */
  const char *const *artifact_paths;  /* or NULL */
  const int         *artifact_labels;
  int                n_artifact;
  const char        *layer;           /* node name; NULL or "auto": choose */
  RelClarcMethod     method;
  RelCavKind         kind;
  RelCavFit          fit;             /* REL_CAV_PATTERN (0) unless asked */
  double             holdout;         /* share of images held out (0.5) */
  int                epochs;          /* A-ClArC (default 5 when 0) */
  guint64            seed;
  const RelParams   *method_params;   /* relevance mass; NULL: REL_INSPECT_DEFAULT_METHOD */
  gboolean           skip_mass;       /* leave relevance_mass NaN (saves an explanation per image) */
  RelClarcProgress   progress;
  gpointer           progress_data;
  volatile gint     *cancel;
} RelClarcRequest;

RelClarcResult *rel_clarc_run (const RelClarcRequest *req, GError **error);
void            rel_clarc_result_free (RelClarcResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelCav, rel_cav_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelClarcResult, rel_clarc_result_free)

G_END_DECLS
