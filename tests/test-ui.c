/* test-ui.c — the main window, headless under Xvfb.
 *
 * Opens a fixture model and checks that the window shows it (its name and input
 * shape on screen, a rendering with real content), then opens a garbage file
 * and checks that an error dialog appears while the first model stays loaded.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "rel-render.h"
#include "rel-window.h"

#define WAIT_TIMEOUT_US (60 * G_USEC_PER_SEC)

typedef gboolean (*Condition) (gpointer data);

/* Runs the main loop until @cond holds; fails the test after a minute. */
static void
wait_until (Condition cond, gpointer data, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_US;
  while (!cond (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
not_loading (gpointer data)
{
  return !rel_window_is_loading (REL_WINDOW (data));
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_for_frame (GtkWidget *widget)
{
  gboolean drawn = FALSE;
  rel_widget_after_next_frame (widget, set_flag, &drawn, NULL);
  wait_until (flag_set, &drawn, "a frame");
}

/* The first label under @widget showing exactly @text, or NULL. */
static GtkLabel *
find_label (GtkWidget *widget, const char *text)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return GTK_LABEL (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *found = find_label (child, text);
      if (found)
        return found;
    }
  return NULL;
}

/* Mapped means on screen: its page of the stack is the visible one. */
static void
assert_label_shown (GtkWidget *window, const char *text)
{
  GtkLabel *label = find_label (window, text);
  if (label == NULL)
    g_error ("no label reads “%s”", text);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (label)));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (label)), >, 0);
}

/* The open message dialogs whose parent is @window. */
static GList *
message_dialogs_of (GtkWindow *window)
{
  GList *found = NULL;
  g_autoptr (GList) toplevels = gtk_window_list_toplevels ();
  for (GList *l = toplevels; l; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_window_get_transient_for (l->data) == window
        && gtk_widget_get_visible (l->data))
      found = g_list_prepend (found, l->data);
  return found;
}

static guint
count_colours (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture), height = gdk_texture_get_height (texture);
  gsize stride = (gsize) width * 4;
  g_autofree guint32 *pixels = g_malloc ((gsize) height * stride);
  gdk_texture_download (texture, (guchar *) pixels, stride);
  g_autoptr (GHashTable) colours = g_hash_table_new (NULL, NULL);
  for (gsize i = 0; i < (gsize) width * height; i++)
    g_hash_table_add (colours, GUINT_TO_POINTER (pixels[i]));
  return g_hash_table_size (colours);
}

static RelWindow *
new_window (void)
{
  RelWindow *window = rel_window_new (NULL, NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 760);
  gtk_window_present (GTK_WINDOW (window));
  wait_for_frame (GTK_WIDGET (window));
  return window;
}

static void
test_empty (void)
{
  RelWindow *window = new_window ();

  g_assert_null (rel_window_get_model (window));
  assert_label_shown (GTK_WIDGET (window), "No Model Loaded");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Relevance");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_open_model_then_garbage (void)
{
  const char *fixtures = g_getenv ("RELEVANCE_FIXTURES");
  g_assert_nonnull (fixtures);
  g_autofree char *path = g_build_filename (fixtures, "tiny-cnn", "model.onnx", NULL);
  RelWindow *window = new_window ();
  gboolean changed = FALSE, failed = FALSE;
  g_signal_connect_swapped (window, "model-changed", G_CALLBACK (set_flag), &changed);
  g_signal_connect_swapped (window, "load-failed", G_CALLBACK (set_flag), &failed);

  g_autoptr (GFile) file = g_file_new_for_path (path);
  rel_window_open (window, file);
  g_assert_true (rel_window_is_loading (window));
  wait_until (not_loading, window, "the model to load");
  g_assert_true (changed);
  g_assert_false (failed);
  g_assert_null (message_dialogs_of (GTK_WINDOW (window)));

  RelModel *model = rel_window_get_model (window);
  g_assert_nonnull (model);
  g_assert_cmpstr (rel_window_get_model_name (window), ==, "tiny-cnn");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "tiny-cnn — Relevance");

  wait_for_frame (GTK_WIDGET (window));
  assert_label_shown (GTK_WIDGET (window), "tiny-cnn");
  assert_label_shown (GTK_WIDGET (window), path);
  assert_label_shown (GTK_WIDGET (window), "1×1×28×28");   /* tiny-cnn's declared input */
  GtkLabel *empty = find_label (GTK_WIDGET (window), "No Model Loaded");
  g_assert_true (empty == NULL || !gtk_widget_get_mapped (GTK_WIDGET (empty)));

  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) shot = rel_widget_render_texture (GTK_WIDGET (window), &error);
  g_assert_no_error (error);
  /* The window's content: its size, less a resize frame of a few pixels
   * drawn when there is no compositor. */
  int width = gtk_widget_get_width (GTK_WIDGET (window));
  int height = gtk_widget_get_height (GTK_WIDGET (window));
  g_assert_cmpint (gdk_texture_get_width (shot), <=, width);
  g_assert_cmpint (gdk_texture_get_width (shot), >=, width - 16);
  g_assert_cmpint (gdk_texture_get_height (shot), <=, height);
  g_assert_cmpint (gdk_texture_get_height (shot), >=, height - 16);
  /* Text, an icon, a list: hundreds of colours; a blank or failed render has one. */
  guint colours = count_colours (shot);
  g_test_message ("the rendered window has %u colours", colours);
  g_assert_cmpuint (colours, >, 50);
  g_autofree char *png = g_build_filename (g_getenv ("G_TEST_BUILDDIR") ? g_getenv ("G_TEST_BUILDDIR") : ".",
                                           "test-ui-model.png", NULL);
  g_assert_true (gdk_texture_save_to_png (shot, png));

  /* A file that is not a model: an error dialog, and the model stays. */
  g_autofree char *garbage = NULL;
  int fd = g_file_open_tmp ("relevance-garbage-XXXXXX.onnx", &garbage, &error);
  g_assert_no_error (error);
  static const char junk[] = "\x0a\xff\xff\xff\xff\x0f this is not a protobuf \x12\x80";
  g_assert_cmpint (write (fd, junk, sizeof junk), ==, (gssize) sizeof junk);
  close (fd);
  changed = FALSE;
  g_autoptr (GFile) bad = g_file_new_for_path (garbage);
  rel_window_open (window, bad);
  wait_until (not_loading, window, "the garbage file to fail");
  g_unlink (garbage);

  g_assert_true (failed);
  g_assert_false (changed);
  g_assert_true (rel_window_get_model (window) == model);
  g_assert_cmpstr (rel_window_get_model_name (window), ==, "tiny-cnn");
  GList *dialogs = message_dialogs_of (GTK_WINDOW (window));
  g_assert_cmpuint (g_list_length (dialogs), ==, 1);
  AdwMessageDialog *dialog = dialogs->data;
  g_list_free (dialogs);
  g_autofree char *base = g_path_get_basename (garbage);
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog), base));
  g_assert_cmpuint (strlen (adw_message_dialog_get_body (dialog)), >, 0);
  g_test_message ("error shown: %s", adw_message_dialog_get_body (dialog));

  /* The window behind the dialog still shows the first model. */
  wait_for_frame (GTK_WIDGET (window));
  assert_label_shown (GTK_WIDGET (window), "tiny-cnn");
  assert_label_shown (GTK_WIDGET (window), "1×1×28×28");

  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
open_and_wait (RelWindow *window, const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  rel_window_open (window, file);
  wait_until (not_loading, window, "a model to load");
}

static void
assert_recent (GSettings *settings, const char *first, const char *second)
{
  g_auto (GStrv) recent = g_settings_get_strv (settings, "recent-models");
  g_assert_cmpuint (g_strv_length (recent), ==, 2);
  g_assert_cmpstr (recent[0], ==, first);
  g_assert_cmpstr (recent[1], ==, second);
  g_autofree char *last = g_settings_get_string (settings, "last-model");
  g_assert_cmpstr (last, ==, first);
}

/* Loaded models go to the front of the recent list (no duplicates); the
 * menu's action opens one again. GSETTINGS_BACKEND=memory keeps this private. */
static void
test_recent (void)
{
  const char *fixtures = g_getenv ("RELEVANCE_FIXTURES");
  g_autofree char *cnn = g_build_filename (fixtures, "tiny-cnn", "model.onnx", NULL);
  g_autofree char *resnet = g_build_filename (fixtures, "tiny-resnet", "model.onnx", NULL);
  g_autoptr (GSettings) settings = g_settings_new (APP_ID);
  g_settings_reset (settings, "recent-models");
  g_settings_reset (settings, "last-model");

  RelWindow *window = rel_window_new (NULL, settings);
  gtk_window_present (GTK_WINDOW (window));
  open_and_wait (window, cnn);
  open_and_wait (window, resnet);
  assert_recent (settings, resnet, cnn);
  g_assert_cmpstr (rel_window_get_model_name (window), ==, "tiny-resnet");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.open-recent", "s", cnn));
  wait_until (not_loading, window, "the recent model to load");
  g_assert_cmpstr (rel_window_get_model_name (window), ==, "tiny-cnn");
  assert_recent (settings, cnn, resnet);

  /* A file that fails to load does not enter the list. */
  open_and_wait (window, "/nonexistent/model.onnx");
  assert_recent (settings, cnn, resnet);
  GList *dialogs = message_dialogs_of (GTK_WINDOW (window));
  g_assert_cmpuint (g_list_length (dialogs), ==, 1);
  gtk_window_destroy (dialogs->data);
  g_list_free (dialogs);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* glibc caches translations; this counter tells it LANGUAGE changed. */
extern int _nl_msg_cat_cntr;

static void
set_language (const char *language)
{
  if (language)
    g_setenv ("LANGUAGE", language, TRUE);
  else
    g_unsetenv ("LANGUAGE");
  ++_nl_msg_cat_cntr;
}

static void
test_german (void)
{
  /* The catalogue built from po/de.po in the build tree. */
  g_autofree char *localedir = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  g_autofree char *mo = g_build_filename (localedir, "de", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
  if (!g_file_test (mo, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no German catalogue built");
      return;
    }
  /* Templates translate with the default domain, as main() sets it. */
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  set_language ("de");

  RelWindow *window = new_window ();
  assert_label_shown (GTK_WIDGET (window), "Kein Modell geladen");
  g_assert_null (find_label (GTK_WIDGET (window), "No Model Loaded"));
  g_assert_cmpstr (g_dgettext (GETTEXT_PACKAGE, "Open Model"), ==, "Modell öffnen");
  gtk_window_destroy (GTK_WINDOW (window));

  set_language (NULL);
  window = new_window ();
  assert_label_shown (GTK_WIDGET (window), "No Model Loaded");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_display_name (void)
{
  struct { const char *path, *name; } cases[] = {
    { "/models/resnet18.onnx", "resnet18" },
    { "/zoo/tiny-cnn/model.onnx", "tiny-cnn" },
    { "model.onnx", "model" },
    { "/x/weights.bin", "weights.bin" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = rel_model_display_name (NULL, cases[i].path);
      g_assert_cmpstr (name, ==, cases[i].name);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* gtk_test_init aborts without a display; skip instead. */
  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }
  adw_init ();
  /* No animations: a crossfade would be caught half-way. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    "/io/github/relevance/Relevance/icons");

  g_test_add_func ("/ui/display-name", test_display_name);
  g_test_add_func ("/ui/empty", test_empty);
  g_test_add_func ("/ui/open-model-then-garbage", test_open_model_then_garbage);
  g_test_add_func ("/ui/recent", test_recent);
  g_test_add_func ("/ui/german", test_german);
  return g_test_run ();
}
