/* rel-strategies-view-gallery.c — the Strategies page's clusters: a card per
 * cluster with its prototype and thumbnails, each opening its image in
 * Explore, and an Inspect button.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "rel-strategies-view-private.h"

/* ---- the gallery ---- */

static void
thumb_clicked (GtkButton *button, RelStrategiesView *self)
{
  rel_strategies_view_open_image (self, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "index")));
}

static void
inspect_clicked (GtkButton *button, RelStrategiesView *self)
{
  g_signal_emit_by_name (self, "inspect-cluster", GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "cluster")));
}

static ThumbMode
current_mode (RelStrategiesView *self)
{
  if (gtk_toggle_button_get_active (self->mode_heatmap))
    return MODE_HEATMAP;
  if (gtk_toggle_button_get_active (self->mode_overlay))
    return MODE_OVERLAY;
  return MODE_IMAGE;
}

static GtkWidget *
figure (const char *title, const char *value)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *v = gtk_label_new (value);
  gtk_widget_add_css_class (v, "title-3");
  gtk_widget_add_css_class (v, "numeric");
  gtk_label_set_xalign (GTK_LABEL (v), 0);
  GtkWidget *t = gtk_label_new (title);
  gtk_widget_add_css_class (t, "dim-label");
  gtk_widget_add_css_class (t, "caption");
  gtk_label_set_xalign (GTK_LABEL (t), 0);
  gtk_box_append (GTK_BOX (box), v);
  gtk_box_append (GTK_BOX (box), t);
  return box;
}

void
rel_strategies_view_rebuild_gallery (RelStrategiesView *self)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->gallery))))
    gtk_box_remove (self->gallery, child);
  g_ptr_array_set_size (self->thumb_buttons, 0);
  g_ptr_array_set_size (self->inspect_buttons, 0);
  if (self->an == NULL)
    return;
  const RelSprayResult *r = self->an->r;
  Heatmaps *h = self->an->data;
  ThumbMode mode = current_mode (self);
  int side = (int) lround (sqrt (self->an->dim));
  for (int c = 0; c < r->n_clusters; c++)
    {
      const RelSprayCluster *cl = &r->clusters[c];
      GPtrArray *buttons = g_ptr_array_new ();
      g_ptr_array_add (self->thumb_buttons, buttons);
      g_ptr_array_add (self->inspect_buttons, NULL);

      GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 10);
      gtk_widget_add_css_class (card, "card");
      gtk_widget_set_margin_bottom (card, 12);
      GtkWidget *inner = gtk_box_new (GTK_ORIENTATION_VERTICAL, 10);
      gtk_widget_set_margin_start (inner, 14);
      gtk_widget_set_margin_end (inner, 14);
      gtk_widget_set_margin_top (inner, 12);
      gtk_widget_set_margin_bottom (inner, 12);
      gtk_box_append (GTK_BOX (card), inner);

      /* header: colour, title, figures, prototype */
      GtkWidget *head = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 18);
      double rgb[3];
      rel_strategies_view_cluster_color (cl->id, rgb);
      g_autofree char *markup = g_markup_printf_escaped ("<span foreground=\"#%02x%02x%02x\">●</span> %s",
                                                          (int) (rgb[0] * 255), (int) (rgb[1] * 255),
                                                          (int) (rgb[2] * 255), "");
      g_autofree char *title_text = cl->id < 0 ? g_strdup (_("Noise")) : g_strdup_printf (_("Cluster %d"), c + 1);
      g_autofree char *full = g_strconcat (markup, title_text, NULL);
      GtkWidget *title = gtk_label_new (NULL);
      gtk_label_set_markup (GTK_LABEL (title), full);
      gtk_widget_add_css_class (title, "title-2");
      gtk_label_set_xalign (GTK_LABEL (title), 0);
      gtk_widget_set_valign (title, GTK_ALIGN_CENTER);
      gtk_box_append (GTK_BOX (head), title);

      g_autofree char *size = g_strdup_printf ("%d", cl->size);
      g_autofree char *acc = isnan (cl->accuracy) ? g_strdup ("—") : g_strdup_printf ("%.0f %%", 100 * cl->accuracy);
      g_autofree char *conf = isnan (cl->mean_confidence) ? g_strdup ("—") : g_strdup_printf ("%.2f", cl->mean_confidence);
      gtk_box_append (GTK_BOX (head), figure (_("images"), size));
      gtk_box_append (GTK_BOX (head), figure (_("accuracy"), acc));
      gtk_box_append (GTK_BOX (head), figure (_("mean confidence"), conf));

      GtkWidget *spacer = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
      gtk_widget_set_hexpand (spacer, TRUE);
      gtk_box_append (GTK_BOX (head), spacer);
      {
        GtkWidget *inspect = gtk_button_new_with_mnemonic (_("_Inspect…"));
        gtk_widget_set_valign (inspect, GTK_ALIGN_CENTER);
        gtk_widget_set_tooltip_text (inspect, _("Is this strategy a shortcut? Measure, remove and transplant its region, "
                                                "and correct the model"));
        g_object_set_data (G_OBJECT (inspect), "cluster", GINT_TO_POINTER (c));
        g_signal_connect (inspect, "clicked", G_CALLBACK (inspect_clicked), self);
        gtk_box_append (GTK_BOX (head), inspect);
        g_ptr_array_index (self->inspect_buttons, c) = inspect;
      }
      if (cl->prototype && side > 0)
        {
          GtkWidget *pbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
          g_autoptr (GdkTexture) pt = rel_strategies_view_prototype_texture (cl->prototype, side);
          GtkWidget *pic = gtk_picture_new_for_paintable (GDK_PAINTABLE (pt));
          gtk_widget_set_size_request (pic, 72, 72);
          gtk_picture_set_can_shrink (GTK_PICTURE (pic), TRUE);
          gtk_widget_set_tooltip_text (pic, _("Prototype: the cluster's mean pooled heatmap"));
          gtk_widget_add_css_class (pic, "strategies-prototype");
          GtkWidget *pl = gtk_label_new (_("prototype"));
          gtk_widget_add_css_class (pl, "dim-label");
          gtk_widget_add_css_class (pl, "caption");
          gtk_box_append (GTK_BOX (pbox), pic);
          gtk_box_append (GTK_BOX (pbox), pl);
          gtk_box_append (GTK_BOX (head), pbox);
        }
      gtk_box_append (GTK_BOX (inner), head);

      /* thumbnails: the images nearest the centre first */
      GtkWidget *flow = gtk_flow_box_new ();
      gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (flow), GTK_SELECTION_NONE);
      gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (flow), TRUE);
      gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (flow), 12);
      gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (flow), 2);
      gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (flow), 4);
      gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (flow), 4);
      g_autofree guint8 *seen = g_new0 (guint8, h->n);
      g_autoptr (GArray) order = g_array_new (FALSE, FALSE, sizeof (int));
      for (int q = 0; q < cl->n_nearest; q++)
        if (cl->nearest[q] >= 0 && cl->nearest[q] < h->n && !seen[cl->nearest[q]])
          {
            seen[cl->nearest[q]] = 1;
            g_array_append_val (order, cl->nearest[q]);
          }
      for (int i = 0; i < h->n; i++)
        if (r->labels[i] == cl->id && !seen[i])
          g_array_append_val (order, i);
      int shown = 0, hidden = 0;
      for (guint q = 0; q < order->len; q++)
        {
          int i = g_array_index (order, int, q);
          if (r->labels[i] != cl->id || (self->n_selected > 0 && !self->selected[i]))
            continue;
          if (shown >= GALLERY_MAX)
            {
              hidden++;
              continue;
            }
          g_autoptr (GdkTexture) tex = rel_strategies_view_image_texture (self, i, mode);
          GtkWidget *pic = gtk_picture_new_for_paintable (GDK_PAINTABLE (tex));
          gtk_picture_set_can_shrink (GTK_PICTURE (pic), FALSE);
          GtkWidget *button = gtk_button_new ();
          gtk_button_set_child (GTK_BUTTON (button), pic);
          gtk_widget_add_css_class (button, "flat");
          gtk_widget_add_css_class (button, "strategies-thumb");
          g_autofree char *name = rel_strategies_view_shown_name (self, h->paths[i]);
          g_autofree char *tip = g_strdup_printf (_("%s — confidence %.2f; click to explore"), name, h->hm->confidence[i]);
          gtk_widget_set_tooltip_text (button, tip);
          gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
          g_object_set_data (G_OBJECT (button), "index", GINT_TO_POINTER (i));
          g_signal_connect (button, "clicked", G_CALLBACK (thumb_clicked), self);
          gtk_flow_box_append (GTK_FLOW_BOX (flow), button);
          g_ptr_array_add (buttons, button);
          shown++;
        }
      if (shown == 0 && self->n_selected > 0)
        {
          g_object_ref_sink (card);
          g_object_unref (card);
          continue;
        }
      gtk_box_append (GTK_BOX (inner), flow);
      if (hidden > 0)
        {
          g_autofree char *more = g_strdup_printf (ngettext ("and %d more image (select points to see them)",
                                                             "and %d more images (select points to see them)", hidden), hidden);
          GtkWidget *ml = gtk_label_new (more);
          gtk_widget_add_css_class (ml, "dim-label");
          gtk_label_set_xalign (GTK_LABEL (ml), 0);
          gtk_box_append (GTK_BOX (inner), ml);
        }
      gtk_box_append (self->gallery, card);
    }
}

void
rel_strategies_view_mode_toggled (GtkToggleButton *b, RelStrategiesView *self)
{
  if (gtk_toggle_button_get_active (b))
    rel_strategies_view_rebuild_gallery (self);
}

void
rel_strategies_view_rebuild_results (RelStrategiesView *self)
{
  if (self->an == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  const RelSprayResult *r = self->an->r;
  Heatmaps *h = self->an->data;
  gtk_widget_set_sensitive (GTK_WIDGET (self->tsne_toggle), r->tsne != NULL);
  if (r->tsne == NULL)
    gtk_toggle_button_set_active (self->spectral_toggle, TRUE);
  self->hover = -1;
  self->marked_k = r->suggested_k;
  g_autofree char *spec = g_strdup_printf (_("The eigengap suggests k = %d"), r->suggested_k);
  gtk_label_set_text (self->spectrum_label, spec);
  g_autofree char *status = g_strdup_printf (_("%s: %d images (%d explained, %d from the cache) · %d clusters"),
                                             rel_strategies_view_class_name (self, h->cls), h->n, h->hm->n_explained,
                                             h->hm->n_cached, r->n_clusters);
  gtk_label_set_text (self->status, status);
  rel_strategies_view_update_selection_label (self);
  gtk_stack_set_visible_child_name (self->stack, "results");
  gtk_widget_queue_draw (GTK_WIDGET (self->scatter));
  gtk_widget_queue_draw (GTK_WIDGET (self->spectrum));
  rel_strategies_view_rebuild_gallery (self);
}
