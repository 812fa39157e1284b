/* rel-explain.h — explainers: the method table, parameters, targets, and one
 * entry point that runs any method.
 *
 * Every method is a RelMethodDef in a per-file array (rel-gradient.c,
 * rel-lrp.c, rel-cam.c, rel-perturb.c); rel-method.c concatenates them into
 * the one table that the CLI's `methods`, `--set` parsing and the app's
 * parameter panels all read.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-model.h"

G_BEGIN_DECLS

typedef enum {
  REL_PARAM_FLOAT,
  REL_PARAM_INT,
  REL_PARAM_BOOL,
  REL_PARAM_CHOICE,   /* one of choices[] */
  REL_PARAM_STRING,   /* free text: a layer name, a file path, a baseline spec */
} RelParamType;

typedef struct {
  const char        *name;        /* as used by --set name=value */
  RelParamType       type;
  const char        *description; /* one line, translatable in the UI */
  double             def, min, max; /* numeric default and inclusive range */
  const char        *unit;        /* "", "px", "fraction of input range", … */
  const char *const *choices;     /* REL_PARAM_CHOICE: NULL-terminated */
  const char        *def_string;  /* CHOICE / STRING default */
  gboolean           log_scale;   /* the UI uses a logarithmic slider */
  const char *const *choice_titles; /* REL_PARAM_CHOICE: a title per choice, as the app shows
                                     * it (N_() strings, translated with the core's domain) */
} RelParamSpec;

/* The title of choice @i of @spec, untranslated ("Gauss–Legendre" for
 * "gauss-legendre"); the id itself when the table has none. */
const char *rel_param_choice_title (const RelParamSpec *spec, int i);

typedef struct _RelParams  RelParams;
typedef struct _RelMethodDef RelMethodDef;

/* ---- targets ---- */
typedef enum {
  REL_TARGET_PREDICTED,   /* the arg-max class */
  REL_TARGET_CLASS,       /* class a */
  REL_TARGET_CONTRAST,    /* logit a minus logit b */
} RelTargetKind;

typedef struct {
  RelTargetKind kind;
  int           a, b;
  gboolean      log_prob; /* explain log-softmax instead of the logit */
} RelTarget;

/* "pred", "7", "3-5" (contrast); FALSE with an error otherwise. */
gboolean rel_target_parse (const char *text, RelTarget *target, GError **error);

/* ---- running ---- */

/* Called after each batch of a sampling method (and once at the end) with the
 * running estimate (input-shaped, borrowed) and the fraction done in [0,1]. */
typedef void (*RelProgressFunc) (const RelTensor *estimate, double fraction, gpointer user_data);

typedef struct {
  RelModel        *model;
  RelTensor       *input;       /* 1×C×H×W (batch 1) */
  RelTarget        target;
  RelParams       *params;      /* of the method; NULL means defaults */
  guint64          seed;
  RelProgressFunc  progress;
  gpointer         progress_data;
  volatile gint   *cancel;      /* non-zero: stop between batches with REL_ERROR_CANCELLED */
  int              batch_size;  /* perturbed inputs per forward pass; 0 = method default */
} RelExplainRequest;

typedef struct {
  char   *layer;      /* node name */
  double  relevance_in;   /* sum of relevance at the layer's input */
  double  relevance_out;  /* sum at its output */
} RelLayerConservation;

typedef struct {
  RelTensor *relevance;        /* the input's shape (channels kept); CAMs with upsample=false: 1×1×h×w */
  int        target_class;     /* resolved class (a for contrasts) */
  double     explained_output; /* f(x) of the target: logit, contrast or log-prob */
  double     relevance_sum;
  GArray    *conservation;     /* RelLayerConservation, LRP only; NULL otherwise */
  double     elapsed_ms;
  /* rel_explanation_check_fragility's cosine (rel-fragility.h); NaN: not checked */
  double     stability;
} RelExplanation;

struct _RelMethodDef {
  const char         *name;        /* "lrp-epsilon" */
  const char         *title;       /* "LRP ε" */
  const char         *description; /* one line */
  const char         *family;      /* "gradient", "lrp", "cam", "perturbation" */
  const RelParamSpec *params;      /* n_params entries */
  int                 n_params;
  gboolean            sampling;    /* batched, progressive, cancellable */
  /* Fills @out->relevance (and the other fields it knows); the caller sets elapsed_ms. */
  gboolean          (*run) (const RelMethodDef *method, const RelExplainRequest *req,
                            RelExplanation *out, GError **error);
};

/* The method table. */
const RelMethodDef *rel_method_lookup (const char *name);
/* NULL-terminated array of all methods in display order; owned by the core. */
const RelMethodDef *const *rel_methods (void);
const RelParamSpec *rel_method_param (const RelMethodDef *method, const char *name);

/* Parameter values for one method, validated against its specs. */
RelParams  *rel_params_new        (const RelMethodDef *method);
RelParams  *rel_params_copy       (const RelParams *params);
void        rel_params_free       (RelParams *params);
/* Parses "value" for "key" (type and range checked; unknown keys rejected with the list of valid ones). */
gboolean    rel_params_set        (RelParams *params, const char *key, const char *value, GError **error);
/* "key=value" */
gboolean    rel_params_set_assignment (RelParams *params, const char *assignment, GError **error);
double      rel_params_get_float  (const RelParams *params, const char *key);
int         rel_params_get_int    (const RelParams *params, const char *key);
gboolean    rel_params_get_bool   (const RelParams *params, const char *key);
const char *rel_params_get_string (const RelParams *params, const char *key);
const RelMethodDef *rel_params_method (const RelParams *params);
/* What the map of @params' method adds up to when it conserves relevance:
 * @explained_output, or 1 for LRP started from 1.0 (initial=one). The
 * reference of rel_heatmap_floor. */
double      rel_params_reference_output (const RelParams *params, double explained_output);

/* Runs req->params' method (or @method with defaults when params is NULL). */
RelExplanation *rel_explain (const RelMethodDef *method, const RelExplainRequest *req, GError **error);
void            rel_explanation_free (RelExplanation *e);

/* Helpers shared by the method files. */
/* The seed over the output for @target on @logits (batch row @row): one-hot, contrast
 * (+1/−1), or the log-softmax gradient. Also returns the explained value. */
RelTensor *rel_target_seed (const RelTarget *target, const RelTensor *logits, double initial_scale,
                            int *resolved_class, double *explained, GError **error);

/* Per-file method arrays (each ends with an entry whose name is NULL). */
extern const RelMethodDef rel_methods_gradient[];
extern const RelMethodDef rel_methods_lrp[];
extern const RelMethodDef rel_methods_cam[];
extern const RelMethodDef rel_methods_perturb[];

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelParams, rel_params_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelExplanation, rel_explanation_free)

G_END_DECLS
