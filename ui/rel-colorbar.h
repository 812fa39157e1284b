/* rel-colorbar.h — the colour bar of a heatmap view: its colour map's gradient
 * with the values at the low end, zero and the high end.
 *
 * It follows the view's colour map, sign mode and scale as they change.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "rel-heatmap-view.h"

G_BEGIN_DECLS

#define REL_TYPE_COLORBAR (rel_colorbar_get_type ())
G_DECLARE_FINAL_TYPE (RelColorbar, rel_colorbar, REL, COLORBAR, GtkWidget)

GtkWidget      *rel_colorbar_new      (RelHeatmapView *view);
/* The view to follow ("view" property); NULL shows a plain bwr bar. */
void            rel_colorbar_set_view (RelColorbar *self, RelHeatmapView *view);
RelHeatmapView *rel_colorbar_get_view (RelColorbar *self);

/* "−0.0123", "0", "0.0123": a value as the bar labels it (g_free). */
char           *rel_colorbar_format_value (double value);

G_END_DECLS
