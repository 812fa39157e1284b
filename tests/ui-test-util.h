/* ui-test-util.h — helpers shared by the UI tests, so that a fix to one (a
 * timeout, a teardown) reaches every UI test at once.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <gtk/gtk.h>

#include "rel-model.h"

G_BEGIN_DECLS

/* Binds the gettext domain to the catalogues built from po/ in the build tree
 * (templates translate with the default domain, as main() sets it). FALSE
 * when the German catalogue was not built; the caller then skips. */
gboolean ui_test_bind_build_catalogues (void);

/* Sets LANGUAGE (NULL unsets it) and makes gettext drop its cached
 * translations, so the next lookups use the new language. */
void     ui_test_set_language (const char *language);

/* Binds the built catalogues and switches to German; FALSE, with the test
 * marked skipped, when the German catalogue was not built.
 * ui_test_set_language (NULL) switches back. */
gboolean ui_test_use_german (void);

/* g_test_init and GTK. FALSE without a display, after printing a TAP plan
 * that skips everything: main() then returns 0. */
gboolean ui_test_init (int *argc, char ***argv);

/* ui_test_init, then what the application sets up besides GTK: libadwaita,
 * its icons from the resources, and no animations (a crossfade would be
 * caught half-way). */
gboolean ui_test_init_app (int *argc, char ***argv);

typedef gboolean (*UiTestCondition) (gpointer data);

/* Runs the main loop until @cond holds; fails the test, naming @what, once
 * @seconds have passed. */
void     ui_test_wait_until (UiTestCondition cond, gpointer data, double seconds, const char *what);

/* A GSourceFunc (or swapped signal handler) that sets the gboolean at @flag
 * and removes itself; ui_test_flag_set is the matching condition. */
gboolean ui_test_set_flag (gpointer flag);
gboolean ui_test_flag_set (gpointer flag);

/* Runs the main loop until @widget has drawn a frame in its current state
 * (a minute at most). */
void     ui_test_wait_for_frame (GtkWidget *widget);
/* Saves @widget's drawing as a PNG, waiting for frames until it has one. */
void     ui_test_save_png       (GtkWidget *widget, const char *path);

typedef gboolean (*UiTestWidgetMatch) (GtkWidget *widget, gconstpointer data);

/* The first widget under @widget (itself included, depth first in child
 * order) that @match accepts, or NULL. */
GtkWidget *ui_test_find_widget (GtkWidget *widget, UiTestWidgetMatch match, gconstpointer data);

/* The first label under @widget whose text is exactly @text, or NULL. */
GtkLabel  *ui_test_find_label (GtkWidget *widget, const char *text);

/* The first widget under @widget (itself included) of @type, or NULL. */
GtkWidget *ui_test_find_descendant (GtkWidget *widget, GType type);

/* RELEVANCE_FIXTURES/@name/model.onnx (g_free), and that model loaded
 * (rel_model_unref); the test fails if it does not load. */
char     *ui_test_fixture_path (const char *name);
RelModel *ui_test_load_fixture (const char *name);

/* Where a test writes a screenshot to look at: @name in G_TEST_BUILDDIR,
 * or in the current folder (g_free). */
char     *ui_test_output_path (const char *name);

/* Removes @path and, for a folder, everything below it; symbolic links are
 * removed, never followed. */
void     ui_test_remove_tree (const char *path);

/* The main loop's longest gap between two calls of ui_test_stall_tick (a
 * GSourceFunc taking the UiTestStall), in microseconds: as wall-clock time
 * (longest; grows with the machine's load and under sanitizers, so only for
 * messages and benchmarks) and as the main thread's own CPU time
 * (longest_cpu; what a computation on the main loop costs, whatever else
 * the machine runs: the figure tests assert on). */
typedef struct {
  gint64 last;
  gint64 longest;
  gint64 last_cpu;
  gint64 longest_cpu;
} UiTestStall;

gboolean ui_test_stall_tick (gpointer stall);
/* Restarts the measurement from now (both clocks). */
void     ui_test_stall_reset (UiTestStall *stall);
/* The calling thread's CPU time in microseconds. */
gint64   ui_test_thread_cpu_us (void);

G_END_DECLS
