/* rel-train-plot.h — a live plot of a training run: the loss (left axis) and
 * the training accuracy (right axis, 0–100 %) against epochs.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define REL_TYPE_TRAIN_PLOT (rel_train_plot_get_type ())
G_DECLARE_FINAL_TYPE (RelTrainPlot, rel_train_plot, REL, TRAIN_PLOT, GtkWidget)

GtkWidget *rel_train_plot_new        (void);
/* Sets how many epochs the x axis spans (at least 1). */
void       rel_train_plot_set_epochs (RelTrainPlot *self, int epochs);
/* Appends a point: @x in epochs (0 … epochs), @loss ≥ 0, @accuracy in [0, 1].
 * Non-finite values are dropped. */
void       rel_train_plot_add_point  (RelTrainPlot *self, double x, double loss, double accuracy);
void       rel_train_plot_clear      (RelTrainPlot *self);
guint      rel_train_plot_get_n_points (RelTrainPlot *self);
/* Point @index's values (any pointer may be NULL); FALSE when out of range. */
gboolean   rel_train_plot_get_point  (RelTrainPlot *self, guint index, double *x, double *loss, double *accuracy);

G_END_DECLS
