/* rel-inspect-page.h — the Inspect page: is a suspicious strategy a Clever
 * Hans, and can the model be corrected? On a cluster's images (from the
 * Strategies page) and a reference set of artifact-free images it walks
 * through the region (suggested from the cluster's mean heatmap, or marked on
 * the canvas), its relevance mass, the prediction with the region removed,
 * the region transplanted into other classes' images, and the correction
 * (P-/A-ClArC) with before/after figures (core/rel-inspect.h, rel-clarc.h).
 *
 * Every step runs on the core job runner, one at a time, with progress and
 * cancel; removal and transplant deliver per-image results as they come, so
 * the figures grow live.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "rel-clarc.h"
#include "rel-inspect.h"
#include "rel-model.h"

G_BEGIN_DECLS

#define REL_TYPE_INSPECT_PAGE (rel_inspect_page_get_type ())
G_DECLARE_FINAL_TYPE (RelInspectPage, rel_inspect_page, REL, INSPECT_PAGE, AdwBin)

GtkWidget   *rel_inspect_page_new            (void);
/* Cancels any step and forgets the results. */
void         rel_inspect_page_set_model      (RelInspectPage *self, RelModel *model);
RelModel    *rel_inspect_page_get_model      (RelInspectPage *self);
/* The suspicious images: @n paths with their true classes (model outputs, −1
 * unknown), analysed for class @target; @title names them ("Cluster 2 of
 * Sandal"). Copied. Forgets the region and the results. */
void         rel_inspect_page_set_cluster    (RelInspectPage *self, const char *title, int target,
                                              const char *const *paths, const int *labels, int n);
/* The artifact-free images of every class that transplant and correction
 * use (copied). */
void         rel_inspect_page_set_reference  (RelInspectPage *self, const char *const *paths,
                                              const int *labels, int n);

/* How many images the cluster and the reference hold. */
int          rel_inspect_page_get_n_cluster   (RelInspectPage *self);
int          rel_inspect_page_get_n_reference (RelInspectPage *self);

/* The region in the shown image's pixels (copied; NULL clears). */
void         rel_inspect_page_set_region     (RelInspectPage *self, const RelRegion *region);
const RelRegion *rel_inspect_page_get_region (RelInspectPage *self);
gboolean     rel_inspect_page_save_region    (RelInspectPage *self, const char *path, GError **error);
gboolean     rel_inspect_page_load_region    (RelInspectPage *self, const char *path, GError **error);
/* The cluster image shown on the canvas, whose region a transplant pastes. */
void         rel_inspect_page_set_source     (RelInspectPage *self, int index);
int          rel_inspect_page_get_source     (RelInspectPage *self);

void         rel_inspect_page_set_fill       (RelInspectPage *self, RelFill fill);
/* @layer: a node name, or NULL / "auto" to let the correction choose. */
void         rel_inspect_page_set_correction (RelInspectPage *self, RelClarcMethod method, const char *layer);

/* The steps; each starts a job and returns FALSE (with the reason on the
 * status line) when it cannot run yet. */
gboolean     rel_inspect_page_suggest        (RelInspectPage *self);
gboolean     rel_inspect_page_run            (RelInspectPage *self, RelInspectMode mode);
gboolean     rel_inspect_page_correct        (RelInspectPage *self);
void         rel_inspect_page_cancel         (RelInspectPage *self);
gboolean     rel_inspect_page_is_busy        (RelInspectPage *self);
/* The last step's error message, NULL after a success. */
const char  *rel_inspect_page_get_error      (RelInspectPage *self);
const char  *rel_inspect_page_get_status     (RelInspectPage *self);

/* The figures so far of @mode (grows while it runs; NULL before). Image
 * indices refer to the cluster (mass, remove) or the reference (transplant). */
const RelInspectResult *rel_inspect_page_get_result (RelInspectPage *self, RelInspectMode mode);
/* Mass also runs on the reference images of the cluster's class (the
 * strategies it is not): their figures (image indices into the reference). */
const RelInspectResult *rel_inspect_page_get_reference_mass (RelInspectPage *self);
/* Images the suggestion averaged (0 before). */
int          rel_inspect_page_get_suggest_images (RelInspectPage *self);
const RelClarcResult *rel_inspect_page_get_correction (RelInspectPage *self);
/* After a correction: the shown image's heatmap of the class (channels
 * summed, width × height) with the model and with the corrected one. */
gboolean     rel_inspect_page_get_heatmaps   (RelInspectPage *self, const float **before, const float **after,
                                              int *width, int *height);

/* Write the corrected model to @path, or to the user's cache to load it in
 * the window, on the job runner; FALSE before a correction. */
gboolean     rel_inspect_page_save_corrected (RelInspectPage *self, const char *path);
gboolean     rel_inspect_page_use_corrected  (RelInspectPage *self);

/* Signal "use-model" (const char *path): the corrected model was written to
 * @path for the window to open. */

G_END_DECLS
