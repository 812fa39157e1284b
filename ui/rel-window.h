/* rel-window.h — the main window: header bar, empty state, model summary.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "rel-model.h"

G_BEGIN_DECLS

#define REL_TYPE_WINDOW (rel_window_get_type ())
G_DECLARE_FINAL_TYPE (RelWindow, rel_window, REL, WINDOW, AdwApplicationWindow)

/* @settings (may be NULL when the schema is not installed) persists the window
 * size and the last model. */
RelWindow  *rel_window_new          (GtkApplication *application, GSettings *settings);

/* Loads @file on a worker thread. On success the model replaces the current
 * one; on failure an error dialog opens and the current model stays. While a
 * load runs, the "loading" property is TRUE; "model-changed" or "load-failed"
 * is emitted when it ends. */
void        rel_window_open         (RelWindow *self, GFile *file);
gboolean    rel_window_is_loading   (RelWindow *self);
RelModel   *rel_window_get_model    (RelWindow *self);   /* borrowed; NULL when nothing is loaded */
/* The name shown for the current model (see rel_model_display_name). */
const char *rel_window_get_model_name (RelWindow *self);

/* A human name for a model file: metadata_props "name" when present, else the
 * file name without ".onnx", or its folder's name for a generic "model.onnx". */
char       *rel_model_display_name  (RelModel *model, const char *path);

G_END_DECLS
