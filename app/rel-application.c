/* rel-application.c — the GtkApplication: actions, command line, windows.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-application.h"
#include "rel-error.h"

#include <glib/gi18n.h>

#include "rel-core.h"
#include "rel-render.h"
#include "rel-window.h"

struct _RelApplication
{
  AdwApplication parent_instance;

  GSettings *settings;         /* NULL when the schema is not installed */
  char      *screenshot_path;  /* --screenshot FILE */
  char      *view;             /* --view PAGE */
  char      *then_open;        /* --then-open FILE */
  int        screenshot_tries;
  gboolean   view_shown;
  int        exit_status;
};

G_DEFINE_FINAL_TYPE (RelApplication, rel_application, ADW_TYPE_APPLICATION)

static const GOptionEntry options[] = {
  { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Render the window to a PNG file once it has drawn, then quit"), N_("FILE") },
  { "view", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Start on a page: explore, compare (methods × image), compare-images or strategies"), N_("PAGE") },
  /* For the error-state screenshot: a second model opened once the first has loaded. */
  { "then-open", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, NULL, NULL, NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and quit"), NULL },
  { NULL }
};

static RelWindow *
get_window (RelApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (REL_IS_WINDOW (window))
    return REL_WINDOW (window);
  return rel_window_new (GTK_APPLICATION (self), self->settings);
}

static gboolean
take_screenshot (gpointer user_data)
{
  RelApplication *self = REL_APPLICATION (user_data);
  GtkWindow *window = NULL;
  g_autoptr (GError) error = NULL;

  /* The main window, not an error dialog that may have become the active one. */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l && !window; l = l->next)
    if (REL_IS_WINDOW (l->data))
      window = l->data;

  /* a file that cannot be written fails at once; only rendering is retried */
  if (window != NULL && !rel_widget_save_png (GTK_WIDGET (window), self->screenshot_path, &error)
      && !g_error_matches (error, REL_ERROR, REL_ERROR_IO) && ++self->screenshot_tries < 50)
    {
      /* The first frames can come before the surface is mapped and draw
       * nothing; wait for the next one. */
      rel_widget_after_next_frame (GTK_WIDGET (window), take_screenshot,
                                   g_object_ref (self), g_object_unref);
      return G_SOURCE_REMOVE;
    }
  if (window == NULL || error != NULL)
    {
      g_printerr ("relevance: screenshot: %s\n", error ? error->message : "no window");
      self->exit_status = 1;
    }
  g_application_quit (G_APPLICATION (self));
  return G_SOURCE_REMOVE;
}

/* The shot waits until the model has loaded (or failed), the image is
 * explained (or a few seconds passed: a huge model, a slow method) and the
 * window has drawn a frame in that state. */
/* --view PAGE on a new window */
static void
show_view (RelApplication *self, RelWindow *window)
{
  if (self->view == NULL)
    return;
  if (g_str_has_prefix (self->view, "compare"))
    rel_window_show_compare (window, g_str_equal (self->view, "compare-images"));
  else if (g_str_equal (self->view, "strategies"))
    rel_window_show_strategies (window);
}

static gboolean
screenshot_ready (RelApplication *self, RelWindow *window)
{
  if (rel_window_is_loading (window))
    return FALSE;
  if (rel_window_get_model (window) == NULL)
    return TRUE;
  RelImageBrowser *browser = rel_window_get_browser (window);
  if (rel_image_browser_is_loading (browser) || rel_image_browser_is_predicting (browser))
    return FALSE;
  if (rel_image_browser_get_selected_item (browser) == NULL)
    return g_list_model_get_n_items (rel_image_browser_get_items (browser)) == 0;
  if (self->view && g_str_has_prefix (self->view, "compare"))
    {
      /* The grid starts once the image is there. */
      if (rel_window_get_input_path (window) == NULL)
        return FALSE;
      if (!self->view_shown)
        {
          self->view_shown = TRUE;
          rel_window_show_compare (window, g_str_equal (self->view, "compare-images"));
        }
      return rel_window_compare_is_done (window, NULL);
    }
  if (g_strcmp0 (self->view, "strategies") == 0)
    {
      /* the page waits for the user to start an analysis: shown is ready */
      if (!self->view_shown)
        {
          self->view_shown = TRUE;
          show_view (self, window);
        }
      return TRUE;
    }
  return rel_window_is_explained (window);
}

static gboolean
poll_screenshot (gpointer user_data)
{
  RelApplication *self = REL_APPLICATION (user_data);
  RelWindow *window = g_object_get_data (G_OBJECT (self), "rel-screenshot-window");
  self->screenshot_tries++;
  /* 100 ms polls: give up waiting after 30 s and take what is there. */
  if (window && !screenshot_ready (self, window) && self->screenshot_tries < 300)
    return G_SOURCE_CONTINUE;
  self->screenshot_tries = 0;
  if (window)
    rel_widget_after_next_frame (GTK_WIDGET (window), take_screenshot, g_object_ref (self), g_object_unref);
  else
    take_screenshot (self);
  return G_SOURCE_REMOVE;
}

static void
then_open_cb (RelWindow *window, gpointer user_data)
{
  RelApplication *self = REL_APPLICATION (user_data);
  g_signal_handlers_disconnect_by_func (window, then_open_cb, user_data);
  g_autoptr (GFile) file = g_file_new_for_path (self->then_open);
  rel_window_open (window, file);
}

static void
schedule_screenshot (RelApplication *self, RelWindow *window)
{
  if (self->then_open)
    g_signal_connect (window, "model-changed", G_CALLBACK (then_open_cb), self);
  if (self->screenshot_path == NULL)
    return;
  g_object_set_data (G_OBJECT (self), "rel-screenshot-window", window);
  g_timeout_add_full (G_PRIORITY_DEFAULT, 100, poll_screenshot, g_object_ref (self), g_object_unref);
}

/* Nothing chosen: the last model (and folder) if still there, else the demo. */
static void
open_default (RelApplication *self, RelWindow *window, gboolean with_images)
{
  if (self->settings)
    {
      g_autofree char *last = g_settings_get_string (self->settings, "last-model");
      g_autofree char *folder = g_settings_get_string (self->settings, "last-folder");
      if (last && *last && g_file_test (last, G_FILE_TEST_IS_REGULAR))
        {
          g_autoptr (GFile) model = g_file_new_for_path (last);
          g_autoptr (GFile) images = with_images && *folder && g_file_test (folder, G_FILE_TEST_IS_DIR)
                                     ? g_file_new_for_path (folder) : NULL;
          GFile *files[] = { model, images };
          rel_window_open_files (window, files, images ? 2 : 1);
          return;
        }
    }
  g_autofree char *demo = rel_window_find_demo ();
  if (demo && with_images)
    rel_window_open_demo (window);
  else if (demo)
    {
      g_autofree char *path = g_build_filename (demo, "model.onnx", NULL);
      g_autoptr (GFile) model = g_file_new_for_path (path);
      rel_window_open (window, model);
    }
}

static void
rel_application_activate (GApplication *app)
{
  RelApplication *self = REL_APPLICATION (app);
  gboolean is_new = gtk_application_get_active_window (GTK_APPLICATION (self)) == NULL;
  RelWindow *window = get_window (self);

  if (is_new)
    open_default (self, window, TRUE);
  gtk_window_present (GTK_WINDOW (window));
  if (is_new && !self->screenshot_path)
    show_view (self, window);
  if (is_new)
    schedule_screenshot (self, window);
}

/* relevance [MODEL] [IMAGE|FOLDER]…: the drop logic sorts them out. */
static void
rel_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  RelApplication *self = REL_APPLICATION (app);
  gboolean is_new = gtk_application_get_active_window (GTK_APPLICATION (self)) == NULL;
  RelWindow *window = get_window (self);

  gboolean has_model = FALSE;
  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *name = g_file_get_basename (files[i]);
      has_model |= name && g_str_has_suffix (name, ".onnx");
    }
  /* Images alone: with the last model (or the demo) to explain them. */
  if (is_new && !has_model)
    open_default (self, window, FALSE);
  if (n_files > 0 && !rel_window_open_files (window, files, n_files))
    rel_window_open (window, files[0]);
  gtk_window_present (GTK_WINDOW (window));
  if (is_new && !self->screenshot_path)
    show_view (self, window);
  if (is_new)
    schedule_screenshot (self, window);
}

static int
rel_application_handle_local_options (GApplication *app, GVariantDict *opts)
{
  RelApplication *self = REL_APPLICATION (app);

  if (g_variant_dict_contains (opts, "version"))
    {
      g_print ("relevance %s\n", PACKAGE_VERSION);
      return 0;
    }
  g_variant_dict_lookup (opts, "view", "s", &self->view);
  if (self->view && !g_strv_contains ((const char *const[]) { "explore", "compare", "compare-images", "strategies", NULL },
                                      self->view))
    {
      g_printerr (_("relevance: unknown page “%s” for --view (explore, compare, compare-images, strategies)\n"),
                  self->view);
      return 2;
    }
  g_variant_dict_lookup (opts, "then-open", "^ay", &self->then_open);
  if (g_variant_dict_lookup (opts, "screenshot", "^ay", &self->screenshot_path))
    {
      /* A screenshot is its own process, never a message to a running instance;
       * animations would leave it mid-transition. */
      g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);
    }
  return -1;
}

static void
rel_application_startup (GApplication *app)
{
  RelApplication *self = REL_APPLICATION (app);
  G_APPLICATION_CLASS (rel_application_parent_class)->startup (app);

  const char *quit_accels[] = { "<Control>q", NULL };
  const char *close_accels[] = { "<Control>w", NULL };
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", close_accels);

  if (self->screenshot_path)
    g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  /* Settings are optional: a build run from its tree may lack the schema. */
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema =
    source ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;
  if (schema)
    {
      self->settings = g_settings_new (APP_ID);
      int threads = g_settings_get_int (self->settings, "threads");
      if (threads > 0)
        rel_core_init (threads);
    }
  else
    g_debug ("schema %s not installed: settings will not persist", APP_ID);
}

static void
about_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  RelApplication *self = REL_APPLICATION (user_data);
  const char *developers[] = { "The Relevance authors", NULL };

  GtkWidget *about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                                   "transient-for", gtk_application_get_active_window (GTK_APPLICATION (self)),
                                   "application-name", _("Relevance"),
                                   "application-icon", APP_ID,
                                   "developer-name", _("The Relevance authors"),
                                   "version", PACKAGE_VERSION,
                                   "comments", _("See what an image classifier looks at: heatmaps from LRP, gradients and perturbations reveal when a model has learned a shortcut instead of the object."),
                                   "website", "https://github.com/relevance/relevance",
                                   "issue-url", "https://github.com/relevance/relevance/issues",
                                   "license-type", GTK_LICENSE_GPL_3_0,
                                   "copyright", "© 2026 The Relevance authors",
                                   "developers", developers,
                                   "translator-credits", _("translator-credits"),
                                   NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { .name = "about", .activate = about_action },
  { .name = "quit", .activate = quit_action },
};

static void
rel_application_finalize (GObject *object)
{
  RelApplication *self = REL_APPLICATION (object);
  g_clear_object (&self->settings);
  g_free (self->screenshot_path);
  g_free (self->view);
  g_free (self->then_open);
  G_OBJECT_CLASS (rel_application_parent_class)->finalize (object);
}

static void
rel_application_class_init (RelApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = rel_application_finalize;
  app_class->activate = rel_application_activate;
  app_class->open = rel_application_open;
  app_class->startup = rel_application_startup;
  app_class->handle_local_options = rel_application_handle_local_options;
}

static void
rel_application_init (RelApplication *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[MODEL.onnx] [IMAGE|FOLDER]"));
}

RelApplication *
rel_application_new (void)
{
  return g_object_new (REL_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/relevance/Relevance",
                       NULL);
}

int
rel_application_get_exit_status (RelApplication *self)
{
  g_return_val_if_fail (REL_IS_APPLICATION (self), 1);
  return self->exit_status;
}
