/* rel-render.c — rendering a widget off screen.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-render.h"
#include "rel-atomic-file.h"

#include <gio/gio.h>
#include <math.h>

/* The widget's last drawing as a node, and in @content the part worth showing:
 * without a compositor a window draws its resize frame inside its own padding
 * (Adwaita's solid-csd), which a screenshot leaves out. */
static GskRenderNode *
widget_node (GtkWidget *widget, graphene_rect_t *content, GError **error)
{
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);

  if (width <= 0 || height <= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "the window has not been drawn yet (%d×%d)", width, height);
      return NULL;
    }

  /* A paintable of the widget replays its last snapshot: what is on screen. */
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  GskRenderNode *node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the window drew nothing");
      return NULL;
    }

  *content = GRAPHENE_RECT_INIT (0, 0, width, height);
  if (GTK_IS_WINDOW (widget) && gtk_widget_has_css_class (widget, "solid-csd"))
    {
      GtkBorder pad;
      gtk_style_context_get_padding (gtk_widget_get_style_context (widget), &pad);
      if (pad.left + pad.right < width && pad.top + pad.bottom < height)
        *content = GRAPHENE_RECT_INIT (pad.left, pad.top,
                                       width - pad.left - pad.right, height - pad.top - pad.bottom);
    }
  return node;
}

GdkTexture *
rel_widget_render_texture (GtkWidget *widget, GError **error)
{
  GtkNative *native = gtk_widget_get_native (widget);
  GskRenderer *renderer = native ? gtk_native_get_renderer (native) : NULL;
  graphene_rect_t content;

  if (renderer == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the window is not realized");
      return NULL;
    }
  g_autoptr (GskRenderNode) node = widget_node (widget, &content, error);
  if (node == NULL)
    return NULL;

  /* A window's open dialogs are drawn over it, centred and dimming it, as a
   * desktop shows them: an error state makes a screenshot of its own. */
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  gtk_snapshot_append_node (snapshot, node);
  if (GTK_IS_WINDOW (widget))
    {
      g_autoptr (GList) toplevels = gtk_window_list_toplevels ();
      for (GList *l = toplevels; l; l = l->next)
        {
          GtkWindow *dialog = l->data;
          graphene_rect_t dialog_content;
          if (gtk_window_get_transient_for (dialog) != GTK_WINDOW (widget)
              || !gtk_widget_get_mapped (GTK_WIDGET (dialog)))
            continue;
          g_autoptr (GskRenderNode) dialog_node = widget_node (GTK_WIDGET (dialog), &dialog_content, NULL);
          if (dialog_node == NULL)
            continue;
          gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0, 0, 0, 0.3 }, &content);
          gtk_snapshot_save (snapshot);
          gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (
            roundf (content.origin.x + (content.size.width - dialog_content.size.width) / 2 - dialog_content.origin.x),
            roundf (content.origin.y + (content.size.height - dialog_content.size.height) / 2 - dialog_content.origin.y)));
          gtk_snapshot_push_clip (snapshot, &dialog_content);
          gtk_snapshot_append_node (snapshot, dialog_node);
          gtk_snapshot_pop (snapshot);
          gtk_snapshot_restore (snapshot);
        }
    }
  g_autoptr (GskRenderNode) composed = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  return gsk_renderer_render_texture (renderer, composed, &content);
}

gboolean
rel_widget_save_png (GtkWidget *widget, const char *path, GError **error)
{
  g_autoptr (GdkTexture) texture = rel_widget_render_texture (widget, error);
  if (texture == NULL)
    return FALSE;
  g_autoptr (GBytes) png = gdk_texture_save_to_png_bytes (texture);
  return rel_file_set_contents (path, g_bytes_get_data (png, NULL), g_bytes_get_size (png), error);
}

typedef struct {
  GtkWidget     *widget;
  GdkFrameClock *clock;
  gulong         handler;
  GSourceFunc    callback;
  gpointer       user_data;
  GDestroyNotify destroy;
} AfterFrame;

static gboolean
after_frame_idle (gpointer data)
{
  AfterFrame *af = data;
  af->callback (af->user_data);
  if (af->destroy)
    af->destroy (af->user_data);
  g_object_unref (af->widget);
  g_free (af);
  return G_SOURCE_REMOVE;
}

static void
after_paint_cb (GdkFrameClock *clock, gpointer data)
{
  AfterFrame *af = data;
  g_signal_handler_disconnect (clock, af->handler);
  g_object_unref (af->clock);
  /* The frame is painted; an idle runs after the frame cycle has finished. */
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, after_frame_idle, af, NULL);
}

static void
realized_cb (GtkWidget *widget, gpointer data)
{
  AfterFrame *af = data;
  g_signal_handlers_disconnect_by_func (widget, realized_cb, data);
  af->clock = g_object_ref (gtk_widget_get_frame_clock (widget));
  af->handler = g_signal_connect (af->clock, "after-paint", G_CALLBACK (after_paint_cb), af);
  gtk_widget_queue_draw (widget);
}

void
rel_widget_after_next_frame (GtkWidget *widget, GSourceFunc callback,
                             gpointer user_data, GDestroyNotify destroy)
{
  AfterFrame *af = g_new0 (AfterFrame, 1);
  af->widget = g_object_ref (widget);
  af->callback = callback;
  af->user_data = user_data;
  af->destroy = destroy;
  if (gtk_widget_get_realized (widget))
    realized_cb (widget, af);
  else
    g_signal_connect (widget, "realize", G_CALLBACK (realized_cb), af);
}
