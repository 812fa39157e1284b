/* rel-train-dialog.h — "Train a Clever Hans": trains a small CNN on a data
 * set in which one class carries an artifact, in the background with a live
 * loss/accuracy plot, then reports the clean test accuracy and the tag flip
 * rate and opens the model (with clean and tagged test images) in the window.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "rel-train-plot.h"

G_BEGIN_DECLS

#define REL_TYPE_TRAIN_DIALOG (rel_train_dialog_get_type ())
G_DECLARE_FINAL_TYPE (RelTrainDialog, rel_train_dialog, REL, TRAIN_DIALOG, AdwWindow)

/* @parent (may be NULL) is the window the model opens in: when it has a
 * "workspace" property (a RelWindow does), Open Model asks that workspace to
 * open the model and its images (rel_workspace_open_files). */
RelTrainDialog *rel_train_dialog_new (GtkWindow *parent);

/* The settings, as the rows set them. @path NULL: Fashion-MNIST. */
void        rel_train_dialog_set_dataset     (RelTrainDialog *self, const char *path);
void        rel_train_dialog_set_arch        (RelTrainDialog *self, const char *arch);
void        rel_train_dialog_set_epochs      (RelTrainDialog *self, int epochs);
/* Training images used (the first @n); 0: all. */
void        rel_train_dialog_set_subset      (RelTrainDialog *self, int n);
/* Where runs are written (default: the user data dir's relevance/trained). */
void        rel_train_dialog_set_output_dir  (RelTrainDialog *self, const char *dir);

/* What the Start and Cancel buttons do. */
void        rel_train_dialog_start           (RelTrainDialog *self);
void        rel_train_dialog_cancel          (RelTrainDialog *self);
/* What "Open Model" does; FALSE when there is no model or no window. */
gboolean    rel_train_dialog_open_model      (RelTrainDialog *self);

gboolean    rel_train_dialog_is_running      (RelTrainDialog *self);
RelTrainPlot *rel_train_dialog_get_plot      (RelTrainDialog *self);
/* After a successful run: the model file, the figures (negative before). */
const char *rel_train_dialog_get_model_path  (RelTrainDialog *self);
double      rel_train_dialog_get_clean_accuracy (RelTrainDialog *self);
double      rel_train_dialog_get_flip_rate   (RelTrainDialog *self);
/* The status line's text (progress, the error, or "Cancelled"). */
const char *rel_train_dialog_get_status      (RelTrainDialog *self);

/* Signal "finished" (gboolean success) when a run ends, not after a cancel. */

G_END_DECLS
