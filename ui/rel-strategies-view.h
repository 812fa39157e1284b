/* rel-strategies-view.h — the Strategies page: SpRAy on one class of the
 * window's images (core/rel-spray.h), shown as an embedding scatter plot, the
 * Laplacian's eigenvalue spectrum and a gallery per cluster.
 *
 * Heatmaps are computed once per run (and cached on disk by the core);
 * changing k re-clusters at once, changing the neighbours or the pooling size
 * re-runs only the analysis on the heatmaps kept in memory.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "rel-image-browser.h"
#include "rel-inspect-page.h"
#include "rel-model.h"
#include "rel-spray.h"
#include "rel-workspace.h"

G_BEGIN_DECLS

#define REL_TYPE_STRATEGIES_VIEW (rel_strategies_view_get_type ())
G_DECLARE_FINAL_TYPE (RelStrategiesView, rel_strategies_view, REL, STRATEGIES_VIEW, AdwBin)

/* @browser supplies the images (borrowed: it must outlive the view, as a
 * sibling in the same window does); a thumbnail click selects there and
 * switches the enclosing AdwViewStack to its "explore" page. */
/* Follows @workspace's model and method (may be NULL: set them by hand). */
GtkWidget   *rel_strategies_view_new          (RelWorkspace *workspace, RelImageBrowser *browser);
void         rel_strategies_view_set_model    (RelStrategiesView *self, RelModel *model);
/* NULL: the core's default cache; "" disables it. */
void         rel_strategies_view_set_cache_dir (RelStrategiesView *self, const char *dir);

/* The method and parameters that make the heatmaps (copied): the window's,
 * as Explore uses them; lrp-epsilon before the first call. A change keeps
 * the shown analysis and says which method it came from. */
void         rel_strategies_view_set_method   (RelStrategiesView *self, const RelParams *params);
const char  *rel_strategies_view_get_method_title (RelStrategiesView *self);

/* Selects the class by its label; FALSE if the model has no such label. */
gboolean     rel_strategies_view_set_class    (RelStrategiesView *self, const char *label);
/* Clusters (0: the eigengap's; 2 … 10), neighbours and pooling size, as the controls. */
void         rel_strategies_view_set_k        (RelStrategiesView *self, int k);
void         rel_strategies_view_set_neighbors (RelStrategiesView *self, int neighbors);
void         rel_strategies_view_set_pool     (RelStrategiesView *self, int pool);

/* Starts a full run (heatmaps, then the analysis); FALSE if there is nothing to analyse. */
gboolean     rel_strategies_view_run          (RelStrategiesView *self);
void         rel_strategies_view_cancel       (RelStrategiesView *self);
gboolean     rel_strategies_view_is_busy      (RelStrategiesView *self);
const char  *rel_strategies_view_get_error    (RelStrategiesView *self);

/* The current analysis (borrowed; NULL before the first) and its images' paths. */
const RelSprayResult *rel_strategies_view_get_result (RelStrategiesView *self);
const char  *rel_strategies_view_get_path     (RelStrategiesView *self, int index);
/* Images explained by rel_explain and heatmap passes run since the view was made. */
int          rel_strategies_view_get_n_explained (RelStrategiesView *self);
int          rel_strategies_view_get_n_heatmap_runs (RelStrategiesView *self);
/* The k the spectrum marks at its eigengap (0 before an analysis). */
int          rel_strategies_view_get_marked_k (RelStrategiesView *self);
/* The gallery's button for the @index-th image shown of cluster @cluster, or NULL. */
GtkWidget   *rel_strategies_view_get_thumbnail (RelStrategiesView *self, int cluster, int index);
/* Selects the images whose points fall in the plot rectangle (widget coordinates). */
int          rel_strategies_view_select_box   (RelStrategiesView *self, double x0, double y0,
                                               double x1, double y1);

/* Shows point @index as hovered (its thumbnail and name), -1 none; FALSE if out of range. */
gboolean     rel_strategies_view_hover        (RelStrategiesView *self, int index);

/* Signal "inspect-cluster" (int cluster): the user chose "Inspect" on a
 * cluster's card. */
/* That card's button, or NULL. */
GtkWidget   *rel_strategies_view_get_inspect_button (RelStrategiesView *self, int cluster);
/* Hands @page the model, the cluster's images and the reference images:
 * the browser's others, with groups only those of the group holding the
 * fewest of the cluster's images. FALSE without an analysis or such a cluster. */
gboolean     rel_strategies_view_fill_inspect_page (RelStrategiesView *self, int cluster, RelInspectPage *page);

G_END_DECLS
