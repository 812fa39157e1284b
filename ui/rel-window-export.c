/* rel-window-export.c — the window's exports: the Export button's menu for
 * the page shown, the Export dialog of a heatmap or overlay PNG
 * (rel-export-dialog.c), the map as .npy, the compare grid (rel-export-image.c),
 * for the page shown.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-window-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "rel-export-dialog.h"
#include "rel-export-image.h"
#include "rel-npy.h"

/* A failed export: the toast names the file and the reason ("No space left
 * on device"), without the path the core's message starts with; Details
 * has the whole message. */
static void
show_save_error (RelWindow *self, const char *path, const char *message)
{
  g_autofree char *name = g_filename_display_basename (path);
  g_autofree char *prefix = g_strdup_printf ("cannot write '%s': ", path);
  const char *reason = g_str_has_prefix (message, prefix) ? message + strlen (prefix) : message;
  g_autofree char *heading = g_strdup_printf (_("Could not save “%s”: %s"), name, reason);
  rel_window_show_error_heading (self, heading, message);
}

/* The Export button offers what the page shown can export, and only once
 * there is something to export. */
void
rel_window_update_export_menu (RelWindow *self)
{
  const char *page = adw_view_stack_get_visible_child_name (self->view_stack);
  GMenuModel *menu = self->explore_export_menu;
  gboolean can = self->relevance != NULL;
  if (g_strcmp0 (page, "compare") == 0)
    {
      menu = self->compare_export_menu;
      can = self->cells->len > 0;
    }
  else if (g_strcmp0 (page, "explore") != 0)
    can = FALSE;   /* Strategies and Inspect have no exports of their own yet */
  if (gtk_menu_button_get_menu_model (self->export_button) != menu)
    gtk_menu_button_set_menu_model (self->export_button, menu);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export", can);
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), can);
}


/* The texture's pixels as unpremultiplied RGBA8 (g_free). */
static guint8 *
texture_to_rgba (GdkTexture *texture, int *width, int *height)
{
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  guint8 *px = g_new (guint8, (gsize) w * h * 4);
  /* GDK's default download format is cairo's premultiplied ARGB32 */
  gdk_texture_download (texture, px, (gsize) w * 4);
  for (gsize i = 0; i < (gsize) w * h; i++)
    {
      guint32 v = ((guint32 *) px)[i];
      guint a = v >> 24, r = (v >> 16) & 0xff, g = (v >> 8) & 0xff, b = v & 0xff;
      if (a > 0 && a < 255)
        {
          r = MIN (255, (r * 255 + a / 2) / a);
          g = MIN (255, (g * 255 + a / 2) / a);
          b = MIN (255, (b * 255 + a / 2) / a);
        }
      px[4 * i] = r;
      px[4 * i + 1] = g;
      px[4 * i + 2] = b;
      px[4 * i + 3] = a;
    }
  *width = w;
  *height = h;
  return px;
}

static cairo_surface_t *
texture_to_surface (GdkTexture *texture)
{
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cairo_surface_flush (surface);
  /* GDK's default download format is cairo's ARGB32 in memory order. */
  gdk_texture_download (texture, cairo_image_surface_get_data (surface),
                        cairo_image_surface_get_stride (surface));
  cairo_surface_mark_dirty (surface);
  return surface;
}

/* "LRP ε · Explaining: Sandal (predicted) · Predicted: Sandal 99.8 %": what
 * an exported picture shows is named on it. NULL before a prediction. */
static char *
export_title (RelWindow *self)
{
  g_autofree char *target = rel_prediction_panel_describe_target (self->prediction_panel);
  int top = rel_prediction_panel_get_class_at (self->prediction_panel, 0);
  if (target == NULL || top < 0)
    return NULL;
  const RelMethodDef *m = rel_explainer_panel_get_method (self->explainer_panel);
  const char *label = self->model ? rel_model_label (self->model, top) : NULL;
  g_autofree char *name = label ? g_strdup (label) : g_strdup_printf ("%d", top);
  double p = rel_prediction_panel_get_probability (self->prediction_panel, top);
  /* Translators: method · explained target · the model's prediction and its probability */
  return g_strdup_printf (_("%s · %s · Predicted: %s (%.1f %%)"), m ? _(m->title) : "", target, name, 100 * p);
}

/* The scale the canvas shows the image at now, in whole screen pixels per
 * image pixel: the Export dialog's default. */
static int
displayed_scale (RelWindow *self)
{
  RelHeatmapView *v = self->heatmap_view;
  double cx = gtk_widget_get_width (GTK_WIDGET (v)) / 2.0, cy = gtk_widget_get_height (GTK_WIDGET (v)) / 2.0;
  double x0, y0, x1, y1;
  if (!rel_heatmap_view_widget_to_image (v, cx, cy, &x0, &y0)
      || !rel_heatmap_view_widget_to_image (v, cx + 10, cy, &x1, &y1) || x1 <= x0)
    return 1;
  return CLAMP ((int) lround (10 / (x1 - x0)), 1, REL_EXPORT_SCALE_MAX);
}

static gboolean
export_picture (RelWindow *self, const char *kind, int scale, gboolean colorbar, gboolean titled,
                const char *path, GError **error)
{
  RelDisplayMode mode = g_str_equal (kind, "overlay-png") ? REL_DISPLAY_OVERLAY : REL_DISPLAY_HEATMAP;
  g_autoptr (GdkTexture) texture = self->relevance ? rel_heatmap_view_render_texture (self->heatmap_view, mode) : NULL;
  if (texture == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("There is no heatmap to export yet."));
      return FALSE;
    }
  int w, h;
  g_autofree guint8 *rgba = texture_to_rgba (texture, &w, &h);
  g_autofree char *title = titled ? export_title (self) : NULL;
  RelExportStyle style = {
    scale, colorbar, title,
    rel_heatmap_view_get_colormap (self->heatmap_view),
    rel_heatmap_view_get_sign_mode (self->heatmap_view),
    rel_heatmap_view_get_scale (self->heatmap_view),
  };
  return rel_export_image_save_png (rgba, w, h, w * 4, &style, path, error);
}

static gboolean
export_grid (RelWindow *self, const char *format, const char *path, GError **error)
{
  g_autoptr (GPtrArray) surfaces = g_ptr_array_new_with_free_func ((GDestroyNotify) cairo_surface_destroy);
  g_autoptr (GPtrArray) titles = g_ptr_array_new ();
  for (guint i = 0; i < self->cells->len; i++)
    {
      CompareCell *c = self->cells->pdata[i];
      g_autoptr (GdkTexture) texture =
        rel_heatmap_view_render_texture (c->view, rel_heatmap_view_get_display_mode (c->view));
      g_ptr_array_add (surfaces, texture ? texture_to_surface (texture) : NULL);
      g_ptr_array_add (titles, (gpointer) gtk_label_get_text (c->title));
    }
  return rel_export_grid_save ((cairo_surface_t *const *) surfaces->pdata, (const char *const *) titles->pdata,
                               self->cells->len, format, path, error);
}

gboolean
rel_window_export_picture (RelWindow *self, const char *kind, int scale, gboolean colorbar, gboolean title,
                           const char *path, GError **error)
{
  g_return_val_if_fail (REL_IS_WINDOW (self), FALSE);
  if (g_str_has_prefix (kind, "grid-"))
    return export_grid (self, kind + strlen ("grid-"), path, error);
  if (g_str_equal (kind, "npy"))
    {
      if (self->relevance == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("There is no heatmap to export yet."));
          return FALSE;
        }
      return rel_npy_save (path, self->relevance, error);
    }
  return export_picture (self, kind, scale, colorbar, title, path, error);
}

gboolean
rel_window_export (RelWindow *self, const char *kind, const char *path, GError **error)
{
  return rel_window_export_picture (self, kind, 1, FALSE, FALSE, path, error);
}

/* The toast of an export: "Saved …" or the reason it failed. */
static gboolean
report_export (RelWindow *self, const char *path, gboolean ok, const GError *error)
{
  if (!ok)
    {
      show_save_error (self, path, error->message);
      return FALSE;
    }
  g_autofree char *name = g_filename_display_basename (path);
  g_autofree char *text = g_strdup_printf (_("Saved “%s”"), name);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
  return TRUE;
}

gboolean
rel_window_save_export (RelWindow *self, const char *kind, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_return_val_if_fail (REL_IS_WINDOW (self), FALSE);
  gboolean ok = rel_window_export (self, kind, path, &error);
  return report_export (self, path, ok, error);
}

/* What the Export dialog wrote (its picture, captured when it opened, in the chosen style). */
static void
dialog_saved (const char *path, const GError *error, gpointer user_data)
{
  report_export (REL_WINDOW (user_data), path, error == NULL, error);
}

/* GTK 4's file chooser itself asks before replacing an existing file. */
static void
export_response (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  const char *kind = g_object_get_data (G_OBJECT (chooser), "rel-kind");
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path)
        rel_window_save_export (self, kind, path);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

/* "image-lrp-epsilon-Sandal-overlay.png": the image, method and explained
 * target in the name, so a file cannot be mistaken for another class's map. */
static char *
export_name (RelWindow *self, const char *kind, const char *ext)
{
  if (g_str_has_prefix (kind, "grid-"))
    return g_strdup_printf ("compare.%s", ext);
  g_autofree char *stem = NULL;
  if (self->input_path)
    {
      g_autofree char *base = g_path_get_basename (self->input_path);
      char *dot = strrchr (base, '.');
      if (dot)
        *dot = '\0';
      stem = g_steal_pointer (&base);
    }
  const RelMethodDef *m = rel_explainer_panel_get_method (self->explainer_panel);
  RelTarget t;
  rel_prediction_panel_get_target (self->prediction_panel, &t);
  const char *la = self->model ? rel_model_label (self->model, t.a) : NULL;
  const char *lb = self->model && t.kind == REL_TARGET_CONTRAST ? rel_model_label (self->model, t.b) : NULL;
  g_autofree char *a = la ? g_strdup (la) : g_strdup_printf ("%d", t.a);
  g_autofree char *b = lb ? g_strdup (lb) : g_strdup_printf ("%d", t.b);
  g_autofree char *target = t.kind == REL_TARGET_CONTRAST ? g_strdup_printf ("%s-vs-%s", a, b) : g_strdup (a);
  g_strdelimit (target, "/\\:", '-');
  return g_strdup_printf ("%s-%s-%s%s.%s", stem ? stem : "image", m ? m->name : "relevance", target,
                          g_str_equal (kind, "overlay-png") ? "-overlay" : "", ext);
}

gboolean
rel_window_can_export (RelWindow *self)
{
  g_return_val_if_fail (REL_IS_WINDOW (self), FALSE);
  return gtk_widget_get_sensitive (GTK_WIDGET (self->export_button));
}

GMenuModel *
rel_window_get_export_menu (RelWindow *self)
{
  g_return_val_if_fail (REL_IS_WINDOW (self), NULL);
  return gtk_menu_button_get_menu_model (self->export_button);
}

RelExportDialog *
rel_window_get_export_dialog (RelWindow *self)
{
  g_return_val_if_fail (REL_IS_WINDOW (self), NULL);
  return self->export_dialog;
}

/* A heatmap or overlay PNG goes through the Export dialog (scale, colour
 * bar, title); everything else straight to the file chooser. */
static void
export_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  RelWindow *self = REL_WINDOW (widget);
  const char *kind = g_variant_get_string (parameter, NULL);
  const char *ext = g_str_has_suffix (kind, "svg") ? "svg" : g_str_has_suffix (kind, "pdf") ? "pdf"
                  : g_str_equal (kind, "npy") ? "npy" : "png";
  g_autofree char *name = export_name (self, kind, ext);

  if (g_str_equal (kind, "heatmap-png") || g_str_equal (kind, "overlay-png"))
    {
      RelDisplayMode mode = g_str_equal (kind, "overlay-png") ? REL_DISPLAY_OVERLAY : REL_DISPLAY_HEATMAP;
      g_autoptr (GdkTexture) texture = self->relevance ? rel_heatmap_view_render_texture (self->heatmap_view, mode) : NULL;
      if (texture == NULL)
        {
          adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("There is no heatmap to export yet.")));
          return;
        }
      int w, h;
      g_autofree guint8 *rgba = texture_to_rgba (texture, &w, &h);
      g_autofree char *title = export_title (self);
      RelExportStyle style = {
        displayed_scale (self), TRUE, title,
        rel_heatmap_view_get_colormap (self->heatmap_view),
        rel_heatmap_view_get_sign_mode (self->heatmap_view),
        rel_heatmap_view_get_scale (self->heatmap_view),
      };
      if (self->export_dialog)
        gtk_window_destroy (GTK_WINDOW (self->export_dialog));
      self->export_dialog = rel_export_dialog_new (GTK_WINDOW (self),
                                                   mode == REL_DISPLAY_OVERLAY ? _("Export Overlay")
                                                                               : _("Export Heatmap"),
                                                   rgba, w, h, &style, name, dialog_saved, self);
      g_object_add_weak_pointer (G_OBJECT (self->export_dialog), (gpointer *) &self->export_dialog);
      gtk_window_present (GTK_WINDOW (self->export_dialog));
      return;
    }

  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Export"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                 _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_object_set_data_full (G_OBJECT (chooser), "rel-kind", g_strdup (kind), g_free);
  g_signal_connect (chooser, "response", G_CALLBACK (export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
rel_window_export_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_bind_template_child (widget_class, RelWindow, explore_export_menu);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, compare_export_menu);
  gtk_widget_class_install_action (widget_class, "win.export", "s", export_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.export", "s", "overlay-png");
}

void
rel_window_export_init (RelWindow *self)
{
  /* nothing of its own to connect yet: the pages' exports are looked up when shown */
  (void) self;
}
