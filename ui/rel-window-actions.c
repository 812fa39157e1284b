/* rel-window-actions.c — the main window's win.* actions (open a model,
 * folder, images, the demo or a recent model; preferences, training, the
 * pages, the side columns) and their shortcuts. Export's actions are with
 * the export code in rel-window-export.c.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "rel-train-dialog.h"
#include "rel-window-private.h"

typedef enum { CHOOSE_MODEL, CHOOSE_FOLDER, CHOOSE_IMAGES } ChooseKind;

static void
chooser_response (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  ChooseKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "rel-kind"));
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));
      g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        g_ptr_array_add (list, g_list_model_get_item (files, i));
      if (kind == CHOOSE_MODEL && list->len > 0)
        rel_window_open (self, list->pdata[0]);
      else if (list->len > 0)
        rel_window_open_files (self, (GFile *const *) list->pdata, list->len);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
add_filter (GtkFileChooser *chooser, const char *name, const char *const *patterns)
{
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, name);
  for (int i = 0; patterns[i]; i++)
    gtk_file_filter_add_pattern (filter, patterns[i]);
  gtk_file_chooser_add_filter (chooser, filter);
  g_object_unref (filter);
}

static void
choose (RelWindow *self, ChooseKind kind)
{
  static const char *const onnx[] = { "*.onnx", NULL };
  static const char *const pictures[] = { "*.png", "*.jpg", "*.jpeg", "*.bmp", "*.webp", "*.npy",
                                          "*.PNG", "*.JPG", "*.JPEG", NULL };
  static const char *const all[] = { "*", NULL };
  const char *title = kind == CHOOSE_MODEL ? _("Open Model")
                    : kind == CHOOSE_FOLDER ? _("Open Folder") : _("Open Images");
  /* GtkFileDialog is GTK 4.10; Debian 12 has 4.8. */
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (title, GTK_WINDOW (self),
                                 kind == CHOOSE_FOLDER ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                                       : GTK_FILE_CHOOSER_ACTION_OPEN,
                                 _("_Open"), _("_Cancel"));
  g_object_set_data (G_OBJECT (chooser), "rel-kind", GINT_TO_POINTER (kind));
  if (kind == CHOOSE_MODEL)
    {
      add_filter (GTK_FILE_CHOOSER (chooser), _("ONNX Models"), onnx);
      add_filter (GTK_FILE_CHOOSER (chooser), _("All Files"), all);
      if (self->model && self->model->path)
        {
          g_autoptr (GFile) current = g_file_new_for_path (self->model->path);
          g_autoptr (GFile) folder = g_file_get_parent (current);
          if (folder)
            gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, NULL);
        }
    }
  else if (kind == CHOOSE_IMAGES)
    {
      gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (chooser), TRUE);
      add_filter (GTK_FILE_CHOOSER (chooser), _("Images"), pictures);
      add_filter (GTK_FILE_CHOOSER (chooser), _("All Files"), all);
    }
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
open_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  choose (REL_WINDOW (widget), CHOOSE_MODEL);
}

/* A page by its name (rel_window_add_page). */
static void
show_page_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  RelWindow *self = REL_WINDOW (widget);
  const char *page = g_variant_get_string (parameter, NULL);

  if (self->model == NULL || adw_view_stack_get_child_by_name (self->view_stack, page) == NULL)
    return;
  adw_view_stack_set_visible_child_name (self->view_stack, page);
}

/* Alt+1…9: the pages as the view switcher orders them, however many are added. */
static void
show_page_number_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  RelWindow *self = REL_WINDOW (widget);
  guint n = g_variant_get_uint32 (parameter);
  g_autoptr (GtkSelectionModel) pages = adw_view_stack_get_pages (self->view_stack);

  if (self->model == NULL || n == 0 || n > g_list_model_get_n_items (G_LIST_MODEL (pages)))
    return;
  g_autoptr (AdwViewStackPage) page = g_list_model_get_item (G_LIST_MODEL (pages), n - 1);
  adw_view_stack_set_visible_child (self->view_stack, adw_view_stack_page_get_child (page));
}

static void
open_folder_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  choose (REL_WINDOW (widget), CHOOSE_FOLDER);
}

static void
open_images_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  choose (REL_WINDOW (widget), CHOOSE_IMAGES);
}

static void
open_demo_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  RelWindow *self = REL_WINDOW (widget);
  if (!rel_window_open_demo (self))
    rel_window_show_error (self, "demo", _("The demo model is not installed."));
}

static void
open_recent_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  g_autoptr (GFile) file = g_file_new_for_path (g_variant_get_string (parameter, NULL));
  rel_window_open (REL_WINDOW (widget), file);
}

static void
preferences_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  rel_window_show_preferences (REL_WINDOW (widget));
}

static void
train_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  gtk_window_present (GTK_WINDOW (rel_train_dialog_new (GTK_WINDOW (widget))));
}

/* F9 / Shift+F9: hide or show the image browser / the side panel. In a wide
 * window that gives the heatmap the room (a projector demo); in a narrow one
 * it slides the column in over the heatmap. */
static void
toggle_flap_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  RelWindow *self = REL_WINDOW (widget);
  AdwFlap *flap = g_str_equal (action_name, "win.toggle-browser") ? self->browser_flap : self->side_flap;

  adw_flap_set_reveal_flap (flap, !adw_flap_get_reveal_flap (flap));
}

void
rel_window_actions_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.open-folder", NULL, open_folder_action);
  gtk_widget_class_install_action (widget_class, "win.open-images", NULL, open_images_action);
  gtk_widget_class_install_action (widget_class, "win.open-demo", NULL, open_demo_action);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "win.preferences", NULL, preferences_action);
  gtk_widget_class_install_action (widget_class, "win.train", NULL, train_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-browser", NULL, toggle_flap_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-panel", NULL, toggle_flap_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, 0, "win.toggle-browser", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, GDK_SHIFT_MASK, "win.toggle-panel", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.open-folder", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_comma, GDK_CONTROL_MASK, "win.preferences", NULL);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "win.show-page-number", "u", show_page_number_action);
  for (guint i = 1; i <= 9; i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0 + i, GDK_ALT_MASK, "win.show-page-number", "u", i);
}
