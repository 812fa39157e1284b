/* rel-concepts-panel.h — Explore's Concepts panel: which channels of a layer
 * (the features the network learned) carry the explained prediction
 * (Concept Relevance Propagation, core/rel-concepts.h).
 *
 * A layer picker (every Conv/Gemm/MatMul layer by name, the core's default
 * first chosen), then the top concepts as rows: a thumbnail of the channel's
 * conditional heatmap, its share bar and its relevance. Activating a row puts
 * that conditional heatmap on the canvas; "Full Map" puts the workspace's
 * relevance back. The panel follows the workspace (model, input, target,
 * method): while expanded, every change cancels the running job and starts a
 * new one on the job runner, whose result replaces the rows. Collapsed, it
 * computes nothing (a conditional pass costs about two explanations).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "rel-heatmap-view.h"
#include "rel-workspace.h"

G_BEGIN_DECLS

#define REL_TYPE_CONCEPTS_PANEL (rel_concepts_panel_get_type ())
G_DECLARE_FINAL_TYPE (RelConceptsPanel, rel_concepts_panel, REL, CONCEPTS_PANEL, GtkBox)

GtkWidget  *rel_concepts_panel_new            (void);

/* What the panel explains (followed through notify::) and the canvas a
 * chosen concept is shown on. Neither is owned beyond a reference. */
void        rel_concepts_panel_set_workspace  (RelConceptsPanel *self, RelWorkspace *workspace);
void        rel_concepts_panel_set_view       (RelConceptsPanel *self, RelHeatmapView *view);

/* The expander: the panel computes only while expanded. */
void        rel_concepts_panel_set_expanded   (RelConceptsPanel *self, gboolean expanded);

/* The layer (a node name; NULL: the core's default) and the layers listed. */
void        rel_concepts_panel_set_layer      (RelConceptsPanel *self, const char *layer);
const char *rel_concepts_panel_get_layer      (RelConceptsPanel *self);
GtkWidget  *rel_concepts_panel_get_layer_row  (RelConceptsPanel *self);

/* TRUE while a job runs; "busy" notifies when it changes. */
gboolean    rel_concepts_panel_get_busy       (RelConceptsPanel *self);

/* Rows of the last result (0 while none), the channel and relevance shown
 * at @rank, and the row widget (a GtkListBoxRow; activating it shows the
 * concept's map). */
int         rel_concepts_panel_get_n_rows     (RelConceptsPanel *self);
int         rel_concepts_panel_get_channel    (RelConceptsPanel *self, int rank);
double      rel_concepts_panel_get_relevance  (RelConceptsPanel *self, int rank);
GtkWidget  *rel_concepts_panel_get_row        (RelConceptsPanel *self, int rank);
/* The rank whose map the canvas shows, or −1 (the full map). */
int         rel_concepts_panel_get_shown      (RelConceptsPanel *self);
/* "Full Map": the workspace's relevance back on the canvas. */
GtkWidget  *rel_concepts_panel_get_back_button (RelConceptsPanel *self);

G_END_DECLS
