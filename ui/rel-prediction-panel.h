/* rel-prediction-panel.h — the model's top-k classes with probability bars,
 * and the explanation target chosen from them.
 *
 * Clicking a class makes it the target (the first row: "the predicted class",
 * which follows the arg-max as images change); the contrast switch explains
 * "A vs B" (logit A − logit B) with B picked from the rows' "vs" buttons or a
 * drop-down of every label; the log-probability switch explains log p.
 *
 * Signals:
 *   target-changed (gpointer target): a const RelTarget* valid during the
 *     emission, on every change the user (or a setter below) makes.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "rel-explain.h"

G_BEGIN_DECLS

#define REL_TYPE_PREDICTION_PANEL (rel_prediction_panel_get_type ())
G_DECLARE_FINAL_TYPE (RelPredictionPanel, rel_prediction_panel, REL, PREDICTION_PANEL, GtkBox)

GtkWidget *rel_prediction_panel_new        (void);

/* Shows softmax(@logits row 0) with @model's labels (either may be NULL:
 * "Class 7" then; NULL logits clears the list). The model is not kept. A
 * target class the new output does not have falls back to the prediction. */
void       rel_prediction_panel_set_logits (RelPredictionPanel *self, const RelTensor *logits,
                                            RelModel *model);

/* Rows shown ("top-k" property, default 5, 1…20). */
void       rel_prediction_panel_set_top_k  (RelPredictionPanel *self, int k);
int        rel_prediction_panel_get_top_k  (RelPredictionPanel *self);

/* The current target; its `a` holds the arg-max for REL_TARGET_PREDICTED. */
void       rel_prediction_panel_get_target (RelPredictionPanel *self, RelTarget *target);
/* Sets the target (clamped to the classes shown) and emits target-changed. */
void       rel_prediction_panel_set_target (RelPredictionPanel *self, const RelTarget *target);

/* A new image is shown: unless the target is pinned, it goes back to the
 * predicted class (no signal: the caller explains the new image anyway). */
void       rel_prediction_panel_new_image  (RelPredictionPanel *self);
/* The pin toggle beside the target: the chosen class stays for the next image. */
void       rel_prediction_panel_set_pinned (RelPredictionPanel *self, gboolean pinned);
gboolean   rel_prediction_panel_get_pinned (RelPredictionPanel *self);
/* "Explaining: Sandal (predicted)" for the canvas and exports (g_free); NULL
 * before an output. */
char      *rel_prediction_panel_describe_target (RelPredictionPanel *self);

/* Number of classes of the last output (0 before one), the class shown at
 * @rank (0-based; -1 beyond), and its softmax probability. */
int        rel_prediction_panel_get_n_classes  (RelPredictionPanel *self);
int        rel_prediction_panel_get_class_at   (RelPredictionPanel *self, int rank);
double     rel_prediction_panel_get_probability (RelPredictionPanel *self, int klass);

/* The row widget at @rank (a GtkListBoxRow; activating it makes its class the
 * target). Its data "rel-percent" is the percentage GtkLabel, "rel-name" the
 * label's, "rel-versus" the contrast button. For tests and keyboard shortcuts. */
GtkWidget *rel_prediction_panel_get_row    (RelPredictionPanel *self, int rank);

/* The contrast switch, the "versus" drop-down (AdwComboRow over all classes)
 * and the log-probability switch. */
GtkWidget *rel_prediction_panel_get_contrast_switch (RelPredictionPanel *self);
GtkWidget *rel_prediction_panel_get_versus_row      (RelPredictionPanel *self);
GtkWidget *rel_prediction_panel_get_log_switch      (RelPredictionPanel *self);

G_END_DECLS
