/* rel-eval.h — how far to trust a heatmap: faithfulness (pixel flipping,
 * insertion/deletion, infidelity), robustness (sensitivity), complexity,
 * localisation against a ground-truth mask, and the model-randomisation
 * sanity check.
 *
 * Every metric is a RelMetricDef in one table, with parameters described by
 * the same RelParamSpec as the explainers' (so `--set key=value` parsing and
 * validation are shared: a metric's parameters live in a RelParams made for
 * its `params_def`). A metric is run on one input, one map and one target;
 * perturbed inputs go through the model in batches, the cancel flag is
 * checked between batches, and progress is reported with the partial curve
 * so far. Random draws come from the request's seed.
 *
 * A metric that does not apply to a map (localisation without a mask, a
 * curve on a map of zeros) is not an error: the result says why in
 * `not_applicable`, and a caller running several metrics goes on.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-explain.h"

G_BEGIN_DECLS

typedef struct _RelMetricDef RelMetricDef;

typedef struct {
  double   value;           /* the metric's figure (NaN when not_applicable) */
  char    *not_applicable;  /* why the metric does not apply to this map, or NULL */
  /* curves (pixel flipping, insertion/deletion, randomisation): n_steps points */
  int      n_steps;
  double  *steps;           /* MoRF/LeRF: patches removed; randomisation: layers randomised */
  double  *scores;          /* the model's score (or the similarity) after each step */
  double  *scores2;         /* abpc: the LeRF curve (scores holds MoRF); NULL otherwise */
  char   **labels;          /* randomisation: the layer randomised at each step (NULL-terminated) */
} RelMetricResult;

/* Called after each batch with the partial result (curves up to the steps
 * done) and the fraction done; the result is borrowed. */
typedef void (*RelMetricProgress) (const RelMetricResult *partial, double fraction, gpointer user_data);

typedef struct {
  RelModel          *model;
  RelTensor         *input;      /* 1×C×H×W */
  RelTarget          target;     /* resolved on the clean input (pred → its arg-max) */
  const RelTensor   *relevance;  /* the map to evaluate, input-shaped (channels summed per pixel where a
                                  * metric needs one value per pixel) */
  const RelParams   *method_params; /* the explainer that made the map: sensitivity and randomisation
                                     * explain again with it; NULL for the others */
  const guint8      *mask;       /* H×W ground truth (1 inside) for localisation; NULL: none */
  const RelParams   *params;     /* of the metric; NULL: defaults */
  guint64            seed;
  RelMetricProgress  progress;
  gpointer           progress_data;
  volatile gint     *cancel;
  int                n_threads;  /* 0: rel_core_threads () */
} RelMetricRequest;

struct _RelMetricDef {
  const char   *name;          /* "aopc-morf" */
  const char   *title;
  const char   *description;
  RelMethodDef  params_def;    /* only name, params and n_params are used: rel_params_new (&def->params_def) */
  gboolean      curve;         /* has steps and scores */
  gboolean      higher_better; /* for ranking methods */
  gboolean    (*run) (const RelMetricDef *metric, const RelMetricRequest *req, RelMetricResult *out,
                      GError **error);
};

const RelMetricDef *const *rel_metrics (void);           /* NULL-terminated, display order */
const RelMetricDef        *rel_metric_lookup (const char *name);
RelParams                 *rel_metric_params_new (const RelMetricDef *metric);

/* Runs @metric. NULL with an error only for real failures (a bad input,
 * the model failing, cancellation); a metric that does not apply returns a
 * result with not_applicable set. */
RelMetricResult *rel_metric_run (const RelMetricDef *metric, const RelMetricRequest *req, GError **error);
void             rel_metric_result_free (RelMetricResult *result);

/* ---- the measures, exposed for tests and the app ---- */

/* Gini index of |v| (Hurley & Rickard; Chalasani et al. 2020): 0 for a
 * constant map, → 1 for a single non-zero. NaN when all are zero. */
double rel_eval_gini     (const float *v, int64_t n);
/* Shannon entropy (nats) of p = |v| / Σ|v|. NaN when all are zero. */
double rel_eval_entropy  (const float *v, int64_t n);
/* Spearman rank correlation (average ranks for ties). NaN if either is constant. */
double rel_eval_spearman (const float *a, const float *b, int64_t n);
/* Mean SSIM (Wang et al. 2004: Gaussian window σ = 1.5, 11×11, valid
 * positions only, C1 = (0.01 L)², C2 = (0.03 L)²) of two h×w maps with data
 * range @range (L). Planes smaller than the window use one window over all. */
double rel_eval_ssim     (const float *a, const float *b, int height, int width, double range);

/* A per-pixel map (channels summed) of a 1×C×H×W relevance: a new H·W array. */
float *rel_eval_pixel_map (const RelTensor *relevance);

/* The default patch side for an H×W input: 4 below 112 px, else 16 (4 at
 * 28², 16 at 224²). */
int    rel_eval_default_patch (int height, int width);

/* Mean and 95 % confidence half-width (1.96 · s / √n; 0 for n < 2) of @n values, NaN skipped
 * (*used gets how many were finite). */
void   rel_eval_mean_ci (const double *v, int n, double *mean, double *ci95, int *used);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelMetricResult, rel_metric_result_free)

G_END_DECLS
