/* rel-application.c — the GtkApplication: actions, command line, windows.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-application.h"

#include <glib/gi18n.h>

#include "rel-render.h"
#include "rel-window.h"

struct _RelApplication
{
  AdwApplication parent_instance;

  GSettings *settings;         /* NULL when the schema is not installed */
  char      *screenshot_path;  /* --screenshot FILE */
  int        screenshot_tries;
  int        exit_status;
};

G_DEFINE_FINAL_TYPE (RelApplication, rel_application, ADW_TYPE_APPLICATION)

static const GOptionEntry options[] = {
  { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Render the window to a PNG file once it has drawn, then quit"), N_("FILE") },
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

  if (window != NULL && !rel_widget_save_png (GTK_WIDGET (window), self->screenshot_path, &error)
      && ++self->screenshot_tries < 50)
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

static void
loading_changed_cb (RelWindow *window, GParamSpec *pspec, gpointer user_data)
{
  if (rel_window_is_loading (window))
    return;
  g_signal_handlers_disconnect_by_func (window, loading_changed_cb, user_data);
  rel_widget_after_next_frame (GTK_WIDGET (window), take_screenshot,
                               g_object_ref (user_data), g_object_unref);
}

/* The shot waits until the model has loaded (or failed) and the window has
 * drawn a frame in that state. */
static void
schedule_screenshot (RelApplication *self, RelWindow *window)
{
  if (self->screenshot_path == NULL)
    return;
  g_signal_connect (window, "notify::loading", G_CALLBACK (loading_changed_cb), self);
  loading_changed_cb (window, NULL, self);
}

static void
rel_application_activate (GApplication *app)
{
  RelApplication *self = REL_APPLICATION (app);
  gboolean is_new = gtk_application_get_active_window (GTK_APPLICATION (self)) == NULL;
  RelWindow *window = get_window (self);

  /* Nothing chosen: reopen the last model if it is still there. */
  if (is_new && self->settings)
    {
      g_autofree char *last = g_settings_get_string (self->settings, "last-model");
      if (last && *last && g_file_test (last, G_FILE_TEST_IS_REGULAR))
        {
          g_autoptr (GFile) file = g_file_new_for_path (last);
          rel_window_open (window, file);
        }
    }
  gtk_window_present (GTK_WINDOW (window));
  if (is_new)
    schedule_screenshot (self, window);
}

static void
rel_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  RelApplication *self = REL_APPLICATION (app);
  gboolean is_new = gtk_application_get_active_window (GTK_APPLICATION (self)) == NULL;
  RelWindow *window = get_window (self);

  /* One model per window; the first file is the model. */
  if (n_files > 0)
    rel_window_open (window, files[0]);
  gtk_window_present (GTK_WINDOW (window));
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
    self->settings = g_settings_new (APP_ID);
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
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[MODEL.onnx]"));
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
