/* rel-export-dialog.c — the Export dialog of a heatmap or overlay PNG (see the header).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-export-dialog.h"

#include <glib/gi18n.h>

/* The preview's longest side: big enough to judge, small enough for the dialog. */
#define PREVIEW_SIDE 320

struct _RelExportDialog
{
  AdwWindow          parent_instance;

  guint8            *rgba;
  int                width, height;
  RelExportStyle     style;
  char              *title_text;
  char              *name;
  RelExportSavedFunc saved;
  gpointer           saved_data;

  GtkPicture        *preview;
  GtkSpinButton     *scale_spin;
  AdwActionRow      *scale_row;
  GtkSwitch         *colorbar_switch;
  GtkSwitch         *title_switch;
  GtkLabel          *error_label;
};

G_DEFINE_FINAL_TYPE (RelExportDialog, rel_export_dialog, ADW_TYPE_WINDOW)

void
rel_export_dialog_get_style (RelExportDialog *self, RelExportStyle *style)
{
  g_return_if_fail (REL_IS_EXPORT_DIALOG (self));
  *style = self->style;
  style->scale = gtk_spin_button_get_value_as_int (self->scale_spin);
  style->colorbar = gtk_switch_get_active (self->colorbar_switch);
  style->title = gtk_switch_get_active (self->title_switch) ? self->title_text : NULL;
}

void
rel_export_dialog_get_size (RelExportDialog *self, int *width, int *height)
{
  RelExportStyle style;
  RelExportLayout layout = { 0 };
  rel_export_dialog_get_style (self, &style);
  rel_export_image_layout (self->width, self->height, &style, &layout, NULL);
  *width = layout.width;
  *height = layout.height;
}

static GdkTexture *
surface_to_texture (cairo_surface_t *surface)
{
  int w = cairo_image_surface_get_width (surface), h = cairo_image_surface_get_height (surface);
  gsize stride = cairo_image_surface_get_stride (surface);
  cairo_surface_flush (surface);
  g_autoptr (GBytes) bytes = g_bytes_new (cairo_image_surface_get_data (surface), stride * h);
  /* cairo's ARGB32 is GDK's default memory format on either byte order */
  return gdk_memory_texture_new (w, h, GDK_MEMORY_DEFAULT, bytes, stride);
}

/* Draws the preview and the size line again from the switches. */
static void
update (RelExportDialog *self)
{
  RelExportStyle style;
  RelExportLayout layout;
  g_autoptr (GError) error = NULL;

  rel_export_dialog_get_style (self, &style);
  /* The preview at a scale that fits PREVIEW_SIDE, so a large export does
   * not render a huge surface just to show it small; the layout (and the
   * size in the subtitle) is the real one. */
  gboolean ok = rel_export_image_layout (self->width, self->height, &style, &layout, &error);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), !ok);
  if (!ok)
    {
      gtk_label_set_text (self->error_label, error->message);
      adw_action_row_set_subtitle (self->scale_row, "");
      return;
    }
  g_autofree char *size = g_strdup_printf (_("%d × %d pixels"), layout.width, layout.height);
  adw_action_row_set_subtitle (self->scale_row, size);
  RelExportStyle shown = style;
  int side = MAX (self->width, self->height);
  shown.scale = CLAMP (MIN (style.scale, PREVIEW_SIDE / MAX (side, 1)), 1, REL_EXPORT_SCALE_MAX);
  cairo_surface_t *surface = rel_export_image_render (self->rgba, self->width, self->height, self->width * 4,
                                                      &shown, NULL, NULL);
  if (surface)
    {
      g_autoptr (GdkTexture) texture = surface_to_texture (surface);
      gtk_picture_set_paintable (self->preview, GDK_PAINTABLE (texture));
      cairo_surface_destroy (surface);
    }
}

static void
changed_cb (RelExportDialog *self)
{
  update (self);
}

gboolean
rel_export_dialog_write (RelExportDialog *self, const char *path, GError **error)
{
  RelExportStyle style;
  g_return_val_if_fail (REL_IS_EXPORT_DIALOG (self), FALSE);
  rel_export_dialog_get_style (self, &style);
  return rel_export_image_save_png (self->rgba, self->width, self->height, self->width * 4, &style, path, error);
}

gboolean
rel_export_dialog_save_to (RelExportDialog *self, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_return_val_if_fail (REL_IS_EXPORT_DIALOG (self), FALSE);
  gboolean ok = rel_export_dialog_write (self, path, &error);
  self->saved (path, error, self->saved_data);
  if (ok)
    gtk_window_close (GTK_WINDOW (self));
  return ok;
}

/* GTK 4's file chooser itself asks before replacing an existing file. */
static void
chooser_response (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  RelExportDialog *self = REL_EXPORT_DIALOG (user_data);
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path)
        rel_export_dialog_save_to (self, path);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
export_clicked (RelExportDialog *self)
{
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Export"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                 _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), self->name);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static GtkSwitch *
switch_row (AdwPreferencesGroup *group, const char *title, const char *subtitle, gboolean active)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *sw = gtk_switch_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), TRUE);
  if (subtitle)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_switch_set_active (GTK_SWITCH (sw), active);
  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), sw);
  adw_preferences_group_add (group, row);
  return GTK_SWITCH (sw);
}

static void
rel_export_dialog_init (RelExportDialog *self)
{
}

static void
rel_export_dialog_finalize (GObject *object)
{
  RelExportDialog *self = REL_EXPORT_DIALOG (object);
  g_free (self->rgba);
  g_free (self->title_text);
  g_free (self->name);
  G_OBJECT_CLASS (rel_export_dialog_parent_class)->finalize (object);
}

static void
rel_export_dialog_class_init (RelExportDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rel_export_dialog_finalize;
  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0, "window.close", NULL);
}

RelExportDialog *
rel_export_dialog_new (GtkWindow *parent, const char *heading, const guint8 *rgba, int w, int h,
                       const RelExportStyle *style, const char *name, RelExportSavedFunc saved,
                       gpointer user_data)
{
  g_return_val_if_fail (rgba != NULL && w > 0 && h > 0 && saved != NULL, NULL);
  RelExportDialog *self = g_object_new (REL_TYPE_EXPORT_DIALOG,
                                        "modal", TRUE,
                                        "transient-for", parent,
                                        "destroy-with-parent", TRUE,
                                        "title", heading,
                                        "default-width", 460,
                                        NULL);
  self->rgba = g_memdup2 (rgba, (gsize) w * h * 4);
  self->width = w;
  self->height = h;
  self->style = *style;
  self->title_text = g_strdup (style->title ? style->title : "");
  self->style.title = self->title_text;
  self->name = g_strdup (name);
  self->saved = saved;
  self->saved_data = user_data;

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), adw_window_title_new (heading, NULL));
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (cancel), "window.close");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  GtkWidget *export = gtk_button_new_with_mnemonic (_("_Export…"));
  gtk_widget_add_css_class (export, "suggested-action");
  g_signal_connect_swapped (export, "clicked", G_CALLBACK (export_clicked), self);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), export);
  gtk_box_append (GTK_BOX (box), header);

  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  gtk_widget_set_margin_top (content, 18);
  gtk_widget_set_margin_bottom (content, 18);
  gtk_widget_set_margin_start (content, 18);
  gtk_widget_set_margin_end (content, 18);

  /* The preview at its own pixels (never stretched, which would blur them),
   * centred in a stage that keeps the dialog from jumping as it grows. */
  GtkWidget *stage = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_size_request (stage, PREVIEW_SIDE, PREVIEW_SIDE * 3 / 4);
  GtkWidget *frame = gtk_frame_new (NULL);
  gtk_widget_set_halign (frame, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (frame, GTK_ALIGN_CENTER);
  self->preview = GTK_PICTURE (gtk_picture_new ());
  gtk_picture_set_can_shrink (self->preview, FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->preview), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Preview of the exported picture"), -1);
  gtk_frame_set_child (GTK_FRAME (frame), GTK_WIDGET (self->preview));
  gtk_box_append (GTK_BOX (stage), frame);
  gtk_box_append (GTK_BOX (content), stage);

  GtkWidget *group = adw_preferences_group_new ();
  self->scale_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->scale_row), _("_Scale"));
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (self->scale_row), TRUE);
  self->scale_spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (1, REL_EXPORT_SCALE_MAX, 1));
  gtk_spin_button_set_value (self->scale_spin, CLAMP (style->scale, 1, REL_EXPORT_SCALE_MAX));
  gtk_widget_set_valign (GTK_WIDGET (self->scale_spin), GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->scale_spin),
                               _("Each pixel of the model's input becomes a square of this many pixels a side"));
  adw_action_row_add_suffix (self->scale_row, GTK_WIDGET (self->scale_spin));
  adw_action_row_set_activatable_widget (self->scale_row, GTK_WIDGET (self->scale_spin));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->scale_row));
  self->colorbar_switch = switch_row (ADW_PREFERENCES_GROUP (group), _("_Colour Bar"),
                                      _("The colour map with its values, under the picture"), style->colorbar);
  self->title_switch = switch_row (ADW_PREFERENCES_GROUP (group), _("_Title"), self->title_text,
                                   style->title != NULL && *style->title);
  gtk_widget_set_sensitive (GTK_WIDGET (self->title_switch), *self->title_text != '\0');
  gtk_box_append (GTK_BOX (content), group);

  self->error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->error_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->error_label));

  gtk_box_append (GTK_BOX (box), content);
  adw_window_set_content (ADW_WINDOW (self), box);

  g_signal_connect_swapped (self->scale_spin, "value-changed", G_CALLBACK (changed_cb), self);
  g_signal_connect_swapped (self->colorbar_switch, "notify::active", G_CALLBACK (changed_cb), self);
  g_signal_connect_swapped (self->title_switch, "notify::active", G_CALLBACK (changed_cb), self);
  update (self);
  return self;
}

void
rel_export_dialog_set_scale (RelExportDialog *self, int scale)
{
  g_return_if_fail (REL_IS_EXPORT_DIALOG (self));
  gtk_spin_button_set_value (self->scale_spin, scale);
}

void
rel_export_dialog_set_colorbar (RelExportDialog *self, gboolean colorbar)
{
  g_return_if_fail (REL_IS_EXPORT_DIALOG (self));
  gtk_switch_set_active (self->colorbar_switch, colorbar);
}

void
rel_export_dialog_set_title_shown (RelExportDialog *self, gboolean shown)
{
  g_return_if_fail (REL_IS_EXPORT_DIALOG (self));
  gtk_switch_set_active (self->title_switch, shown);
}
