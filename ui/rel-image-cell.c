/* rel-image-cell.c — a cell of the image browser's grid: the thumbnail, the
 * prediction with a confidence bar, the true class and a mark on a wrong
 * prediction. It follows its RelImageItem's notifications.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-image-cell.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

/* ====================================================================== */
/* A confidence bar                                                       */
/* ====================================================================== */

/* Drawn in one snapshot: a GtkLevelBar per cell (trough and block widgets,
 * offsets) tripled the cost of laying out the grid's few hundred cells. */
#define REL_TYPE_CONFIDENCE_BAR (rel_confidence_bar_get_type ())
G_DECLARE_FINAL_TYPE (RelConfidenceBar, rel_confidence_bar, REL, CONFIDENCE_BAR, GtkWidget)

struct _RelConfidenceBar {
  GtkWidget parent_instance;
  double    value;   /* in [0, 1]; < 0 hides the bar */
  gboolean  wrong;
};

G_DEFINE_FINAL_TYPE (RelConfidenceBar, rel_confidence_bar, GTK_TYPE_WIDGET)

static void
rel_confidence_bar_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                            int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  (void) widget;
  (void) for_size;
  *minimum = *natural = orientation == GTK_ORIENTATION_VERTICAL ? 4 : 16;
  *minimum_baseline = *natural_baseline = -1;
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
static void
rel_confidence_bar_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  RelConfidenceBar *self = REL_CONFIDENCE_BAR (widget);
  GtkStyleContext *style = gtk_widget_get_style_context (widget);
  float w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  GdkRGBA fg, fill;
  GskRoundedRect rect;

  if (self->value < 0 || w <= 0 || h <= 0)
    return;
  gtk_style_context_get_color (style, &fg);
  if (!gtk_style_context_lookup_color (style, self->wrong ? "error_color" : "accent_color", &fill))
    fill = fg;
  fg.alpha *= 0.12f;
  gsk_rounded_rect_init_from_rect (&rect, &GRAPHENE_RECT_INIT (0, 0, w, h), h / 2);
  gtk_snapshot_push_rounded_clip (snapshot, &rect);
  gtk_snapshot_append_color (snapshot, &fg, &GRAPHENE_RECT_INIT (0, 0, w, h));
  gtk_snapshot_append_color (snapshot, &fill, &GRAPHENE_RECT_INIT (0, 0, (float) (w * self->value), h));
  gtk_snapshot_pop (snapshot);
}
G_GNUC_END_IGNORE_DEPRECATIONS

static void
rel_confidence_bar_class_init (RelConfidenceBarClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->measure = rel_confidence_bar_measure;
  widget_class->snapshot = rel_confidence_bar_snapshot;
  gtk_widget_class_set_css_name (widget_class, "confidencebar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_PROGRESS_BAR);
}

static void
rel_confidence_bar_init (RelConfidenceBar *self)
{
  self->value = -1;
}

static void
rel_confidence_bar_set (RelConfidenceBar *self, double value, gboolean wrong)
{
  if (value == self->value && wrong == self->wrong)
    return;
  self->value = value;
  self->wrong = wrong;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ====================================================================== */
/* A cell                                                                 */
/* ====================================================================== */

struct _RelImageCell {
  GtkWidget     parent_instance;
  GtkWidget    *overlay;
  GtkWidget    *picture;
  GtkWidget    *placeholder;
  GtkWidget    *predicted;
  GtkWidget    *confidence;
  GtkWidget    *bar;
  GtkWidget    *truth;
  GtkWidget    *marker;
  RelImageItem *item;
  gulong        notify_id;
};

G_DEFINE_FINAL_TYPE (RelImageCell, rel_image_cell, GTK_TYPE_WIDGET)

static void
rel_image_cell_update (RelImageCell *self)
{
  RelImageItem *item = self->item;
  GdkTexture *thumb = item ? rel_image_item_get_thumbnail (item) : NULL;
  RelThumbnailState state = item ? rel_image_item_get_thumbnail_state (item) : REL_THUMBNAIL_NONE;
  const char *truth = item ? rel_image_item_get_true_label_name (item) : NULL;
  const char *error = item ? rel_image_item_get_error (item) : NULL;
  gboolean wrong = item && rel_image_item_get_wrong (item);
  g_autofree char *tooltip = NULL;

  gtk_picture_set_paintable (GTK_PICTURE (self->picture), GDK_PAINTABLE (thumb));
  gtk_widget_set_visible (self->placeholder, thumb == NULL);
  const char *icon = state == REL_THUMBNAIL_FAILED ? "image-missing-symbolic" : "image-x-generic-symbolic";
  if (g_strcmp0 (gtk_image_get_icon_name (GTK_IMAGE (self->placeholder)), icon) != 0)
    gtk_image_set_from_icon_name (GTK_IMAGE (self->placeholder), icon);

  if (item && rel_image_item_has_prediction (item))
    {
      g_autofree char *percent = g_strdup_printf ("%.0f %%", 100.0 * rel_image_item_get_confidence (item));
      gtk_label_set_text (GTK_LABEL (self->predicted), rel_image_item_get_predicted_label_name (item));
      gtk_label_set_text (GTK_LABEL (self->confidence), percent);
      rel_confidence_bar_set (REL_CONFIDENCE_BAR (self->bar), rel_image_item_get_confidence (item), wrong);
    }
  else
    {
      /* The file name until a prediction arrives, so the cell is never blank. */
      gtk_label_set_text (GTK_LABEL (self->predicted), item ? rel_image_item_get_basename (item) : "");
      gtk_label_set_text (GTK_LABEL (self->confidence), error ? _("Error") : "");
      rel_confidence_bar_set (REL_CONFIDENCE_BAR (self->bar), -1.0, FALSE);
    }
  gtk_widget_set_visible (self->truth, truth != NULL);
  if (truth)
    {
      g_autofree char *text = g_strdup_printf (_("True: %s"), truth);
      gtk_label_set_text (GTK_LABEL (self->truth), text);
    }
  gtk_widget_set_visible (self->marker, wrong);
  if (wrong)
    gtk_widget_add_css_class (GTK_WIDGET (self), "wrong");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "wrong");

  if (item)
    {
      g_autofree char *shown = g_filename_display_name (rel_image_item_get_path (item));

      if (error)
        tooltip = g_strdup_printf ("%s\n%s", shown, error);
      else if (wrong)
        tooltip = g_strdup_printf (_("%s\nWrong prediction: %s, true class %s"), shown,
                                   rel_image_item_get_predicted_label_name (item), truth);
      else
        tooltip = g_steal_pointer (&shown);
    }
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), tooltip);
}

static void
on_item_notify (RelImageCell *self)
{
  rel_image_cell_update (self);
}

void
rel_image_cell_set_item (RelImageCell *self, RelImageItem *item)
{
  if (self->item == item)
    return;
  if (self->item)
    {
      g_clear_signal_handler (&self->notify_id, self->item);
      g_clear_object (&self->item);
    }
  if (item)
    {
      self->item = g_object_ref (item);
      self->notify_id = g_signal_connect_swapped (item, "notify", G_CALLBACK (on_item_notify), self);
    }
  rel_image_cell_update (self);
}

static void
rel_image_cell_dispose (GObject *object)
{
  RelImageCell *self = REL_IMAGE_CELL (object);

  rel_image_cell_set_item (self, NULL);
  g_clear_pointer (&self->overlay, gtk_widget_unparent);
  G_OBJECT_CLASS (rel_image_cell_parent_class)->dispose (object);
}

static void
rel_image_cell_class_init (RelImageCellClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = rel_image_cell_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "relimagecell");
}

static void
rel_image_cell_init (RelImageCell *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *thumb = gtk_overlay_new ();
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  gtk_widget_add_css_class (GTK_WIDGET (self), "rel-image-cell");
  self->overlay = gtk_overlay_new ();
  gtk_widget_set_parent (self->overlay, GTK_WIDGET (self));
  gtk_overlay_set_child (GTK_OVERLAY (self->overlay), box);

  gtk_widget_add_css_class (thumb, "rel-image-thumb");
  gtk_widget_set_size_request (thumb, REL_IMAGE_CELL_THUMB_SIZE, REL_IMAGE_CELL_THUMB_SIZE);
  gtk_widget_set_overflow (thumb, GTK_OVERFLOW_HIDDEN);
  self->placeholder = gtk_image_new_from_icon_name ("image-x-generic-symbolic");
  gtk_image_set_pixel_size (GTK_IMAGE (self->placeholder), 48);
  gtk_widget_add_css_class (self->placeholder, "rel-image-placeholder");
  gtk_overlay_set_child (GTK_OVERLAY (thumb), self->placeholder);
  self->picture = gtk_picture_new ();
  gtk_picture_set_content_fit (GTK_PICTURE (self->picture), GTK_CONTENT_FIT_COVER);
  gtk_picture_set_can_shrink (GTK_PICTURE (self->picture), TRUE);
  gtk_overlay_add_overlay (GTK_OVERLAY (thumb), self->picture);
  gtk_box_append (GTK_BOX (box), thumb);

  self->bar = g_object_new (REL_TYPE_CONFIDENCE_BAR, NULL);
  gtk_box_append (GTK_BOX (box), self->bar);

  self->predicted = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->predicted), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (self->predicted), PANGO_ELLIPSIZE_END);
  gtk_label_set_width_chars (GTK_LABEL (self->predicted), 8);
  gtk_label_set_max_width_chars (GTK_LABEL (self->predicted), 14);
  gtk_widget_set_hexpand (self->predicted, TRUE);
  gtk_widget_add_css_class (self->predicted, "rel-image-predicted");
  gtk_box_append (GTK_BOX (row), self->predicted);
  self->confidence = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->confidence, "numeric");
  gtk_widget_add_css_class (self->confidence, "dim-label");
  gtk_box_append (GTK_BOX (row), self->confidence);
  gtk_box_append (GTK_BOX (box), row);

  self->truth = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->truth), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (self->truth), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (self->truth), 14);
  gtk_widget_add_css_class (self->truth, "caption");
  gtk_widget_add_css_class (self->truth, "dim-label");
  gtk_box_append (GTK_BOX (box), self->truth);

  self->marker = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
  gtk_widget_set_halign (self->marker, GTK_ALIGN_END);
  gtk_widget_set_valign (self->marker, GTK_ALIGN_START);
  gtk_widget_add_css_class (self->marker, "rel-wrong-marker");
  gtk_widget_set_tooltip_text (self->marker, _("Wrong prediction"));
  gtk_overlay_add_overlay (GTK_OVERLAY (self->overlay), self->marker);

  rel_image_cell_update (self);
}

GtkWidget *
rel_image_cell_new (void)
{
  return g_object_new (REL_TYPE_IMAGE_CELL, NULL);
}
