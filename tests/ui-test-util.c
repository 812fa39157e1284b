/* ui-test-util.c
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ui-test-util.h"

#include <time.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "rel-error.h"
#include "rel-render.h"
#include "fixture-util.h"

#define FRAME_TIMEOUT_SECONDS 60

/* glibc caches translations; this counter tells it LANGUAGE changed. */
extern int _nl_msg_cat_cntr;

gboolean
ui_test_bind_build_catalogues (void)
{
  g_autofree char *localedir = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  g_autofree char *mo = g_build_filename (localedir, "de", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);

  if (!g_file_test (mo, G_FILE_TEST_EXISTS))
    return FALSE;
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  return TRUE;
}

void
ui_test_set_language (const char *language)
{
  if (language)
    g_setenv ("LANGUAGE", language, TRUE);
  else
    g_unsetenv ("LANGUAGE");
  ++_nl_msg_cat_cntr;
}

gboolean
ui_test_use_german (void)
{
  if (!ui_test_bind_build_catalogues ())
    {
      fixture_missing ("no German catalogue built (po/de.po)");
      return FALSE;
    }
  ui_test_set_language ("de");
  return TRUE;
}

gboolean
ui_test_init (int *argc, char ***argv)
{
  g_test_init (argc, argv, NULL);
  /* gtk_test_init aborts without a display; skip instead. */
  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display\n");
      return FALSE;
    }
  return TRUE;
}

gboolean
ui_test_init_app (int *argc, char ***argv)
{
  if (!ui_test_init (argc, argv))
    return FALSE;
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    "/io/github/relevance/Relevance/icons");
  return TRUE;
}

static gboolean
keep_going (gpointer data)
{
  (void) data;
  return G_SOURCE_CONTINUE;
}

void
ui_test_wait_until (UiTestCondition cond, gpointer data, double seconds, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  guint tick = g_timeout_add (10, keep_going, NULL);   /* never sleep past the deadline */

  while (!cond (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
}

gboolean
ui_test_set_flag (gpointer flag)
{
  *(gboolean *) flag = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
ui_test_flag_set (gpointer flag)
{
  return *(gboolean *) flag;
}

void
ui_test_wait_for_frame (GtkWidget *widget)
{
  gboolean drawn = FALSE;

  /* It queues a draw of @widget itself, so the frame shows its current state. */
  rel_widget_after_next_frame (widget, ui_test_set_flag, &drawn, NULL);
  ui_test_wait_until (ui_test_flag_set, &drawn, FRAME_TIMEOUT_SECONDS, "a frame");
}

void
ui_test_save_png (GtkWidget *widget, const char *path)
{
  g_autoptr (GError) error = NULL;

  /* Anything that queues a draw between a frame and the capture (focus
   * arriving from the X server, a spinner) drops the widget's last drawing
   * until the next frame, so the capture waits for frames, as the app's
   * --screenshot does. A file that cannot be written fails at once. */
  for (int tries = 0; tries < 50; tries++)
    {
      g_clear_error (&error);
      ui_test_wait_for_frame (widget);
      if (rel_widget_save_png (widget, path, &error)
          || g_error_matches (error, REL_ERROR, REL_ERROR_IO))
        break;
    }
  g_assert_no_error (error);
}

GtkWidget *
ui_test_find_widget (GtkWidget *widget, UiTestWidgetMatch match, gconstpointer data)
{
  if (match (widget, data))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = ui_test_find_widget (child, match, data);
      if (found)
        return found;
    }
  return NULL;
}

static gboolean
label_reads (GtkWidget *widget, gconstpointer text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

GtkLabel *
ui_test_find_label (GtkWidget *widget, const char *text)
{
  return (GtkLabel *) ui_test_find_widget (widget, label_reads, text);
}

static gboolean
is_of_type (GtkWidget *widget, gconstpointer type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, (GType) GPOINTER_TO_SIZE (type));
}

GtkWidget *
ui_test_find_descendant (GtkWidget *widget, GType type)
{
  return ui_test_find_widget (widget, is_of_type, GSIZE_TO_POINTER (type));
}

char *
ui_test_fixture_path (const char *name)
{
  const char *fixtures = g_getenv ("RELEVANCE_FIXTURES");

  g_assert_nonnull (fixtures);
  return g_build_filename (fixtures, name, "model.onnx", NULL);
}

RelModel *
ui_test_load_fixture (const char *name)
{
  g_autofree char *path = ui_test_fixture_path (name);
  g_autoptr (GError) error = NULL;
  RelModel *model = rel_model_load (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (model);
  return model;
}

char *
ui_test_output_path (const char *name)
{
  const char *dir = g_getenv ("G_TEST_BUILDDIR");

  return g_build_filename (dir ? dir : ".", name, NULL);
}

void
ui_test_remove_tree (const char *path)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK) || !g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      ui_test_remove_tree (child);
    }
  g_rmdir (path);
}

gint64
ui_test_thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

gboolean
ui_test_stall_tick (gpointer stall)
{
  UiTestStall *s = stall;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = ui_test_thread_cpu_us ();

  if (s->last)
    {
      s->longest = MAX (s->longest, now - s->last);
      s->longest_cpu = MAX (s->longest_cpu, cpu - s->last_cpu);
    }
  s->last = now;
  s->last_cpu = cpu;
  return G_SOURCE_CONTINUE;
}

void
ui_test_stall_reset (UiTestStall *stall)
{
  stall->last = g_get_monotonic_time ();
  stall->last_cpu = ui_test_thread_cpu_us ();
}
