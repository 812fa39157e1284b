/* rel-render.h — rendering a widget off screen, for --screenshot and the UI tests.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Renders @widget (which must be realized, inside a realized native) as it
 * currently looks, through its native's renderer; with GSK_RENDERER=cairo the
 * pixels are the same on every run. NULL with an error if it has no size. */
GdkTexture *rel_widget_render_texture (GtkWidget *widget, GError **error);
gboolean    rel_widget_save_png       (GtkWidget *widget, const char *path, GError **error);

/* Calls @callback once, from an idle after the next frame @widget's frame clock
 * paints: by then the widget has been laid out and drawn in its current state. */
void        rel_widget_after_next_frame (GtkWidget *widget, GSourceFunc callback,
                                         gpointer user_data, GDestroyNotify destroy);

G_END_DECLS
