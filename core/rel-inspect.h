/* rel-inspect.h — checking a suspected Clever Hans over a data set: how much
 * of the class's relevance lies in a region (mass), what the model predicts
 * with the region removed (remove), and what it predicts when the region is
 * pasted into other classes' images (transplant).
 *
 * Every image is read through the model's own preprocessing and the region
 * mapped onto its input grid (rel-region.h). Runs are sequential, report
 * their progress per image and stop at the next image when the cancel flag
 * is raised, so the app's job runner (rel-job.h) can drive them.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-dataset.h"
#include "rel-explain.h"
#include "rel-region.h"

G_BEGIN_DECLS

/* The method mass mode explains with unless told otherwise. */
#define REL_INSPECT_DEFAULT_METHOD "lrp-epsilon-plus-flat"

typedef enum {
  REL_INSPECT_MASS,        /* images predicted as the class: relevance of the class in the region */
  REL_INSPECT_REMOVE,      /* images of the class: prediction with the region filled */
  REL_INSPECT_TRANSPLANT,  /* images of the other classes: prediction with the source's region pasted in */
} RelInspectMode;

gboolean    rel_inspect_mode_parse (const char *text, RelInspectMode *mode, GError **error);
const char *rel_inspect_mode_name  (RelInspectMode mode);

/* Called after every image with the fraction done. */
typedef void (*RelInspectProgress) (double fraction, gpointer user_data);

typedef struct {
  int    index;                 /* into the request's paths */
  int    label;                 /* true class (model output index), −1 unknown */
  int    predicted_before, predicted_after;      /* after: −1 in mass mode */
  double probability_before, probability_after;  /* softmax probability of the target class */
  double mass, rank;            /* mass mode; NaN otherwise */
} RelInspectImage;

typedef struct {
  int    images;                /* of this true class in the run */
  double mass, rank;            /* mass mode: means */
  double accuracy_before, accuracy_after;
  double mean_delta_probability;
  double flip_rate;             /* transplant: of the images not predicted as the target before */
  int    flip_candidates;
} RelInspectClass;

typedef struct {
  RelInspectMode   mode;
  int              target;
  int              n_images;
  RelInspectImage *images;
  /* mass */
  double           relevance_mass, rank_accuracy, area_fraction;
  /* remove */
  double           accuracy_before, accuracy_after;
  /* remove and transplant */
  double           mean_delta_probability;
  /* transplant */
  double           flip_rate;
  int              flip_candidates;
  int              n_classes;   /* model outputs */
  RelInspectClass *per_class;   /* n_classes, indexed by true class */
} RelInspectResult;

typedef struct {
  RelModel           *model;
  const char *const  *paths;         /* images or .npy inputs */
  const int          *labels;        /* true classes (model output indices, −1 unknown) */
  int                 n;
  int                 target;        /* the suspected class */
  const RelRegion    *region;
  RelInspectMode      mode;
  const RelParams    *method_params; /* mass: the explainer; NULL: REL_INSPECT_DEFAULT_METHOD */
  RelFill             fill;          /* remove */
  const RelTensor    *source;        /* transplant: 1×C×H×W input whose region is pasted */
  const guint8       *source_mask;   /* transplant: where (H × W, the input grid) its pixels are pasted */
  gboolean            random_place;  /* transplant: at a random place per image (seeded by @seed and
                                      * the image's index) instead of the source's */
  guint64             seed;
  RelInspectProgress  progress;
  gpointer            progress_data;
  volatile gint      *cancel;
} RelInspectRequest;

RelInspectResult *rel_inspect_run  (const RelInspectRequest *req, GError **error);

/* The region a set of heatmaps points at: class req->target explained (with
 * req->method_params) on every image the model predicts as it, the channel-
 * summed maps averaged, and rel_region_suggest's smallest connected set
 * holding @share of the mean's positive relevance. The region is on the
 * input grid (H × W); *n_used gets the number of images averaged. req->region,
 * mode, fill and source are not used. */
RelRegion        *rel_inspect_suggest (const RelInspectRequest *req, double share, int *n_used, GError **error);
/* The same, also handing out the mean map it was cut from (H × W floats,
 * g_free; untouched on error), for showing it. */
RelRegion        *rel_inspect_suggest_map (const RelInspectRequest *req, double share, int *n_used,
                                           float **mean_map, int *map_height, int *map_width, GError **error);
void              rel_inspect_result_free (RelInspectResult *result);

/* ---- helpers shared with the correction (rel-clarc.c) and the CLI ---- */

/* The model output a class name means: a label (exact, or as a folder spells
 * it: '/' written '-', any case) or an index; −1 if none. */
int        rel_inspect_find_class (RelModel *model, const char *name);
/* The true class of every image of @ds as a model output index: the folder
 * on its path named after a label, at any depth, as rel_dataset_layout_new
 * finds it (−1 where none matches). A new array of ds->paths->len ints. */
int       *rel_inspect_dataset_labels (RelModel *model, const RelDataset *ds);
/* Loads @path as @model's input (1×C×H×W) and, with @region, maps it onto the
 * input grid (*mask: H × W, g_free). Errors name the file. */
RelTensor *rel_inspect_load (RelModel *model, const char *path, const RelRegion *region,
                             guint8 **mask, GError **error);
/* Softmax probabilities of batch row @row of @logits into @probs (K values);
 * returns the arg-max. */
int        rel_inspect_softmax (const RelTensor *logits, int row, double *probs);
/* The image of class @target (among @paths/@labels) that most needs the
 * region: the largest drop of the target's probability when the region is
 * filled with @fill. Its index into @paths, or −1 with an error. */
int        rel_inspect_pick_source (RelModel *model, const char *const *paths, const int *labels, int n,
                                    int target, const RelRegion *region, RelFill fill,
                                    volatile gint *cancel, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelInspectResult, rel_inspect_result_free)

G_END_DECLS
