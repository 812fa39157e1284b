/* rel-evaluate-page.h — the Evaluate page: how far to trust each method's
 * heatmap on the current image or on a set of images, by the metrics of
 * core/rel-eval.h (pixel-flipping curves drawn as they grow, a table of
 * methods × metrics with the best value per column marked).
 *
 * The page is standalone: the window hands it the model, the current image
 * and the images of the browser's current filter. A run happens on a core job
 * (rel-job.h) off the main thread: progress, cancel, and every finished
 * (method, metric) cell and partial curve shown as it arrives.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "rel-model.h"

G_BEGIN_DECLS

#define REL_TYPE_EVALUATE_PAGE (rel_evaluate_page_get_type ())
G_DECLARE_FINAL_TYPE (RelEvaluatePage, rel_evaluate_page, REL, EVALUATE_PAGE, GtkBox)

GtkWidget  *rel_evaluate_page_new          (void);
/* The model to evaluate (referenced; NULL: none). Cancels a run. */
void        rel_evaluate_page_set_model    (RelEvaluatePage *self, RelModel *model);
/* The image "This image" evaluates (NULL: none). */
void        rel_evaluate_page_set_image    (RelEvaluatePage *self, const char *path);
/* The images "Dataset" evaluates, e.g. the browser's current filter
 * (NULL-terminated, copied; NULL: none). */
void        rel_evaluate_page_set_dataset  (RelEvaluatePage *self, const char *const *paths);
void        rel_evaluate_page_set_dataset_scope (RelEvaluatePage *self, gboolean dataset);
/* Ticks exactly these methods / metrics (core names); unknown names are ignored. */
void        rel_evaluate_page_select_methods (RelEvaluatePage *self, const char *const *names);
void        rel_evaluate_page_select_metrics (RelEvaluatePage *self, const char *const *names);

/* Starts a run with the ticked methods and metrics (what the Evaluate button
 * does); FALSE with the reason in the status line if there is nothing to run. */
gboolean    rel_evaluate_page_run          (RelEvaluatePage *self);
void        rel_evaluate_page_cancel       (RelEvaluatePage *self);
gboolean    rel_evaluate_page_is_busy      (RelEvaluatePage *self);

/* What the table shows for (@method, @metric) of the last run: the value (a
 * set of images: the mean over those where it applied), the 95 % half-width
 * and that count. FALSE when the cell has no value (not run yet, or the
 * metric does not apply: *reason, borrowed, says why). */
gboolean    rel_evaluate_page_get_value    (RelEvaluatePage *self, const char *method, const char *metric,
                                            double *value, double *ci95, int *n, const char **reason);
/* The table's label for that cell, or NULL. */
GtkLabel   *rel_evaluate_page_get_cell     (RelEvaluatePage *self, const char *method, const char *metric);
/* The pixel-flipping curve drawn for @method (MoRF, or LeRF with @lerf): the
 * score per step (a set of images: the mean), *n_steps of them; NULL if none. */
const double *rel_evaluate_page_get_curve  (RelEvaluatePage *self, const char *method, gboolean lerf, int *n_steps);

G_END_DECLS
