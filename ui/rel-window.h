/* rel-window.h — the main window: image browser, heatmap canvas, prediction
 * and explainer panels ("Explore"), a grid of heatmaps ("Compare"), export.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "rel-evaluate-page.h"
#include "rel-explainer-panel.h"
#include "rel-export-dialog.h"
#include "rel-heatmap-view.h"
#include "rel-image-browser.h"
#include "rel-model.h"
#include "rel-prediction-panel.h"
#include "rel-strategies-view.h"
#include "rel-workspace.h"

G_BEGIN_DECLS

#define REL_TYPE_WINDOW (rel_window_get_type ())
G_DECLARE_FINAL_TYPE (RelWindow, rel_window, REL, WINDOW, AdwApplicationWindow)

/* @settings (may be NULL when the schema is not installed) persists the window
 * size, the heatmap's look, the last model, folder and method. */
RelWindow  *rel_window_new          (GtkApplication *application, GSettings *settings);

/* Loads the model @file on a worker thread. On success the model replaces the
 * current one; on failure a toast names the problem (Details shows the whole
 * message) and the current model stays. While a load runs, the "loading"
 * property is TRUE; "model-changed" or "load-failed" is emitted when it ends. */
void        rel_window_open         (RelWindow *self, GFile *file);
/* What dropping files does (the drop target calls it): .onnx files load as the
 * model, folders open in the browser, images are added to it. FALSE when
 * nothing was usable. */
gboolean    rel_window_open_files   (RelWindow *self, GFile *const *files, int n_files);
/* The drop target's handler itself, for a GDK_TYPE_FILE_LIST @value. */
gboolean    rel_window_drop_value   (RelWindow *self, const GValue *value);
/* A folder or a single image into the browser. */
void        rel_window_open_images  (RelWindow *self, const char *path);
/* The bundled demo (model and images); FALSE when it is not installed. */
gboolean    rel_window_open_demo    (RelWindow *self);
/* The demo's folder (PKGDATADIR/demo, else the source tree's data/demo), or NULL. */
char       *rel_window_find_demo    (void);

gboolean    rel_window_is_loading   (RelWindow *self);
RelModel   *rel_window_get_model    (RelWindow *self);   /* borrowed; NULL when nothing is loaded */
const char *rel_window_get_model_name (RelWindow *self);
/* The message of the last error shown, or NULL. */
const char *rel_window_get_error_message (RelWindow *self);

/* Resubmits the current explanation. */
void        rel_window_refresh      (RelWindow *self);
/* TRUE once the current image's explanation is complete. */
gboolean    rel_window_is_explained (RelWindow *self);
/* Relevance maps set on the canvas since the window was created. Signal
 * "relevance-updated" (gboolean is_final) follows each one. */
guint       rel_window_get_n_updates (RelWindow *self);
/* The image the canvas shows (NULL before one is decoded). */
const char *rel_window_get_input_path (RelWindow *self);

/* Compare view: shows it with methods × the current image (or images × the
 * current method); the cells are computed one after another ("compare-done"
 * when all are). */
void        rel_window_show_compare (RelWindow *self, gboolean images);
void        rel_window_show_strategies (RelWindow *self);
void        rel_window_set_compare_methods (RelWindow *self, const char *const *methods);
gboolean    rel_window_compare_is_done (RelWindow *self, guint *n_cells);
/* The side of the compare cells' heatmaps now: at least 200 px, growing so the
 * columns fill the page's width. */
int         rel_window_get_compare_cell_size (RelWindow *self);
GtkWidget  *rel_window_get_compare_cell (RelWindow *self, guint index);  /* its RelHeatmapView */
/* What clicking a cell does: its method (or image) becomes the Explore view's. */
void        rel_window_activate_compare_cell (RelWindow *self, guint index);

/* Writes @kind ("heatmap-png", "overlay-png", "npy", "grid-png", "grid-svg",
 * "grid-pdf") to @path, as the Export menu does. */
gboolean    rel_window_export       (RelWindow *self, const char *kind, const char *path, GError **error);
/* rel_window_export with a heatmap or overlay PNG at @scale (nearest
 * neighbour), with a colour bar and a title (method, target, prediction) as
 * asked. */
gboolean    rel_window_export_picture (RelWindow *self, const char *kind, int scale, gboolean colorbar,
                                       gboolean title, const char *path, GError **error);
/* The Export button's menu: the shown page's exports only; whether the
 * page has anything to export now. */
GMenuModel *rel_window_get_export_menu (RelWindow *self);
gboolean    rel_window_can_export      (RelWindow *self);
/* The Export dialog of a heatmap or overlay while it is open, or NULL. */
RelExportDialog *rel_window_get_export_dialog (RelWindow *self);
/* What the Export dialog does with the chosen file: rel_window_export() and a
 * toast, "Saved …" or "Could not save …" whose Details give the reason
 * (rel_window_get_error_message). */
gboolean    rel_window_save_export  (RelWindow *self, const char *kind, const char *path);
GtkWindow  *rel_window_show_preferences (RelWindow *self);

RelHeatmapView     *rel_window_get_heatmap_view     (RelWindow *self);
RelExplainerPanel  *rel_window_get_explainer_panel  (RelWindow *self);
RelPredictionPanel *rel_window_get_prediction_panel (RelWindow *self);
RelImageBrowser    *rel_window_get_browser          (RelWindow *self);
RelStrategiesView  *rel_window_get_strategies_view  (RelWindow *self);
RelInspectPage     *rel_window_get_inspect_page     (RelWindow *self);
/* What the window looks at; pages and dialogs follow it (rel-workspace.h). */
RelWorkspace       *rel_window_get_workspace        (RelWindow *self);
RelEvaluatePage    *rel_window_get_evaluate_page    (RelWindow *self);

/* A human name for a model file: metadata_props "name" when present, else the
 * file name without ".onnx", or its folder's name for a generic "model.onnx". */
char       *rel_model_display_name  (RelModel *model, const char *path);

G_END_DECLS
