/* test-train-dialog.c — "Train a Clever Hans", headless under Xvfb.
 *
 * A short run on 600 Fashion-MNIST images (one epoch, the tiny CNN): the plot
 * receives every step with a finite, falling loss, the figures are shown, the
 * main loop never stalls while the worker trains, and "Open Model" loads the
 * result into the main window. A cancel mid-run stops all deliveries.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include "ui-test-util.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rel-render.h"
#include "rel-train-dialog.h"
#include "rel-window.h"
#include "fixture-util.h"

#define FASHION "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
#define WAIT_SECONDS 300   /* a whole training run */
#define MAX_STALL_US (250 * 1000)

static gboolean
not_running (gpointer data)
{
  return !rel_train_dialog_is_running (REL_TRAIN_DIALOG (data));
}

static gboolean
not_loading (gpointer data)
{
  return !rel_window_is_loading (REL_WINDOW (data)) && rel_window_get_model (REL_WINDOW (data)) != NULL;
}

static gboolean
browser_loaded (gpointer data)
{
  RelImageBrowser *browser = REL_IMAGE_BROWSER (data);
  return !rel_image_browser_is_loading (browser)
         && g_list_model_get_n_items (rel_image_browser_get_items (browser)) > 0;
}

static gboolean
has_points (gpointer data)
{
  return rel_train_plot_get_n_points (rel_train_dialog_get_plot (REL_TRAIN_DIALOG (data))) >= 3;
}

/* A widget of a type and the text it shows (a label's or a button's). */
typedef struct {
  GType       type;
  const char *text;
} Shown;

static gboolean
shows (GtkWidget *widget, gconstpointer data)
{
  const Shown *want = data;
  const char *t = NULL;
  if (GTK_IS_LABEL (widget))
    t = gtk_label_get_text (GTK_LABEL (widget));
  else if (GTK_IS_BUTTON (widget))
    t = gtk_button_get_label (GTK_BUTTON (widget));
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, want->type) && g_strcmp0 (t, want->text) == 0;
}

static GtkWidget *
find_widget (GtkWidget *widget, GType type, const char *text)
{
  Shown want = { type, text };
  return ui_test_find_widget (widget, shows, &want);
}

static void
on_finished (RelTrainDialog *dialog, gboolean success, gpointer data)
{
  int *count = data;
  count[0]++;
  count[1] += success;
}

static RelWindow *
new_window (void)
{
  RelWindow *window = rel_window_new (NULL, NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  ui_test_wait_for_frame (GTK_WIDGET (window));
  return window;
}

static RelTrainDialog *
new_dialog (RelWindow *window, const char *out, int subset)
{
  RelTrainDialog *dialog = rel_train_dialog_new (GTK_WINDOW (window));
  rel_train_dialog_set_output_dir (dialog, out);
  rel_train_dialog_set_arch (dialog, "tiny");
  rel_train_dialog_set_epochs (dialog, 1);
  rel_train_dialog_set_subset (dialog, subset);
  gtk_window_present (GTK_WINDOW (dialog));
  ui_test_wait_for_frame (GTK_WIDGET (dialog));
  return dialog;
}

static void
test_plot (void)
{
  RelTrainPlot *plot = REL_TRAIN_PLOT (g_object_ref_sink (rel_train_plot_new ()));
  double x, loss, acc;

  rel_train_plot_add_point (plot, 0.1, 2.0, 0.3);
  rel_train_plot_add_point (plot, 0.2, NAN, 0.3);
  rel_train_plot_add_point (plot, 0.3, INFINITY, 0.3);
  rel_train_plot_add_point (plot, 0.4, 1.5, 1.7);
  g_assert_cmpuint (rel_train_plot_get_n_points (plot), ==, 2);
  g_assert_true (rel_train_plot_get_point (plot, 1, &x, &loss, &acc));
  g_assert_cmpfloat (x, ==, 0.4);
  g_assert_cmpfloat (loss, ==, 1.5);
  g_assert_cmpfloat (acc, ==, 1.0);   /* clamped to [0, 1] */
  g_assert_false (rel_train_plot_get_point (plot, 2, NULL, NULL, NULL));
  rel_train_plot_clear (plot);
  g_assert_cmpuint (rel_train_plot_get_n_points (plot), ==, 0);
  g_object_unref (plot);
}

/* An output folder that cannot be created (a regular file in its path)
 * fails at once, before any image is loaded, with the reason shown. */
static void
test_unwritable_output (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("test-train-dialog-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *blocker = g_build_filename (tmp, "a-file", NULL);
  g_autofree char *out = g_build_filename (blocker, "trained", NULL);
  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));

  RelWindow *window = new_window ();
  RelTrainDialog *dialog = new_dialog (window, out, 600);
  int finished[2] = { 0, 0 };
  g_signal_connect (dialog, "finished", G_CALLBACK (on_finished), finished);
  rel_train_dialog_start (dialog);
  g_assert_false (rel_train_dialog_is_running (dialog));
  g_assert_cmpint (finished[0], ==, 1);
  g_assert_cmpint (finished[1], ==, 0);
  const char *status = rel_train_dialog_get_status (dialog);
  g_assert_nonnull (strstr (status, "a-file"));
  g_assert_true (g_file_test (blocker, G_FILE_TEST_IS_REGULAR));
  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
  ui_test_remove_tree (tmp);
}

static void
test_train (void)
{
  if (!g_file_test (FASHION, G_FILE_TEST_EXISTS))
    {
      fixture_missing ("Fashion-MNIST is not installed (%s)", FASHION);
      return;
    }
  g_autofree char *out = g_dir_make_tmp ("relevance-train-XXXXXX", NULL);
  RelWindow *window = new_window ();
  RelTrainDialog *dialog = new_dialog (window, out, 600);
  int finished[2] = { 0, 0 };
  g_signal_connect (dialog, "finished", G_CALLBACK (on_finished), finished);

  /* the main loop's longest gap between two 10 ms ticks */
  UiTestStall stall = { 0 };
  guint ticker = g_timeout_add (10, ui_test_stall_tick, &stall);
  rel_train_dialog_start (dialog);
  g_assert_true (rel_train_dialog_is_running (dialog));
  ui_test_wait_until (not_running, dialog, WAIT_SECONDS, "the training run");
  g_source_remove (ticker);
  g_test_message ("longest main-loop stall %.1f ms, %.1f ms of it the main thread's CPU time",
                  stall.longest / 1e3, stall.longest_cpu / 1e3);
  /* CPU time of the main thread between two ticks: a training step on the
   * main loop would cost it, load and sanitizers only stretch wall time */
  g_assert_cmpint (stall.longest_cpu, <, MAX_STALL_US);
  g_assert_cmpint (finished[0], ==, 1);
  if (finished[1] != 1)
    g_error ("the run failed: %s", rel_train_dialog_get_status (dialog));

  /* 600 images in batches of 64: ten steps, every one plotted in order */
  RelTrainPlot *plot = rel_train_dialog_get_plot (dialog);
  guint n = rel_train_plot_get_n_points (plot);
  g_assert_cmpuint (n, ==, 10);
  double first_loss = 0, last_loss = 0, prev_x = 0, x, loss, acc;
  for (guint i = 0; i < n; i++)
    {
      g_assert_true (rel_train_plot_get_point (plot, i, &x, &loss, &acc));
      g_assert_true (isfinite (loss) && loss > 0);
      g_assert_cmpfloat (x, >, prev_x);
      g_assert_cmpfloat (acc, >=, 0);
      g_assert_cmpfloat (acc, <=, 1);
      prev_x = x;
      if (i == 0)
        first_loss = loss;
      last_loss = loss;
    }
  g_assert_cmpfloat_with_epsilon (prev_x, 1.0, 1e-9);
  /* a fresh 10-class net is at chance or worse (ln 10 ≈ 2.3) */
  g_assert_cmpfloat (first_loss, >, 1.5);
  g_assert_cmpfloat (last_loss, <, first_loss);

  /* the figures, shown */
  double clean = rel_train_dialog_get_clean_accuracy (dialog), flip = rel_train_dialog_get_flip_rate (dialog);
  g_test_message ("clean accuracy %.3f, flip rate %.3f, loss %.3f → %.3f", clean, flip, first_loss, last_loss);
  g_assert_cmpfloat (clean, >, 0.2);   /* chance is 0.1 */
  g_assert_cmpfloat (clean, <=, 1.0);
  g_assert_cmpfloat (flip, >=, 0.0);
  g_assert_cmpfloat (flip, <=, 1.0);
  ui_test_wait_for_frame (GTK_WIDGET (dialog));
  g_autofree char *acc_text = g_strdup_printf ("%.1f %%", 100 * clean);
  GtkWidget *acc_label = find_widget (GTK_WIDGET (dialog), GTK_TYPE_LABEL, acc_text);
  g_assert_nonnull (acc_label);
  g_assert_true (gtk_widget_get_mapped (acc_label));
  g_autofree char *png = ui_test_output_path ("test-train-dialog.png");
  ui_test_save_png (GTK_WIDGET (dialog), png);

  /* the run's folder: the model and clean/tagged test images */
  const char *model_path = rel_train_dialog_get_model_path (dialog);
  g_assert_true (g_str_has_prefix (model_path, out));
  g_assert_true (g_file_test (model_path, G_FILE_TEST_IS_REGULAR));
  g_autofree char *run_dir = g_path_get_dirname (model_path);
  g_autofree char *tagged = g_build_filename (run_dir, "images", "tagged", "Sandal", NULL);
  g_assert_true (g_file_test (tagged, G_FILE_TEST_IS_DIR));

  /* Issue 12, defect 10: the dialog says where the model is, and the button
   * is the one way to open it (no "open when done" switch beside it) */
  g_autofree char *saved = g_strdup_printf ("Saved as %s", model_path);
  GtkWidget *saved_label = find_widget (GTK_WIDGET (dialog), GTK_TYPE_LABEL, saved);
  g_assert_nonnull (saved_label);
  g_assert_true (gtk_widget_get_mapped (saved_label));
  g_assert_null (ui_test_find_descendant (GTK_WIDGET (dialog), GTK_TYPE_SWITCH));
  g_assert_null (rel_window_get_model (window));

  /* "Open Model" loads it into the window */
  GtkWidget *open = find_widget (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, "_Open Model");
  g_assert_nonnull (open);
  g_assert_true (gtk_widget_get_mapped (open) && gtk_widget_is_sensitive (open));
  g_assert_null (rel_window_get_model (window));
  g_signal_emit_by_name (open, "clicked");
  ui_test_wait_until (not_loading, window, WAIT_SECONDS, "the model to load");
  RelModel *model = rel_window_get_model (window);
  g_assert_nonnull (model);
  g_assert_cmpstr (g_hash_table_lookup (model->metadata, "clever_hans.class"), ==, "Sandal");
  g_assert_cmpstr (rel_window_get_model_name (window), ==, "Clever Hans: Sandal + tag");
  /* with the run's clean and tagged test images: 6 per class, each twice */
  RelImageBrowser *browser = rel_window_get_browser (window);
  ui_test_wait_until (browser_loaded, browser, WAIT_SECONDS, "the test images");
  g_assert_cmpuint (g_list_model_get_n_items (rel_image_browser_get_items (browser)), ==, 10 * 6 * 2);
  gtk_window_destroy (GTK_WINDOW (dialog));

  gtk_window_destroy (GTK_WINDOW (window));
  ui_test_remove_tree (out);
}

static void
test_cancel (void)
{
  if (!g_file_test (FASHION, G_FILE_TEST_EXISTS))
    {
      fixture_missing ("Fashion-MNIST is not installed (%s)", FASHION);
      return;
    }
  g_autofree char *out = g_dir_make_tmp ("relevance-train-XXXXXX", NULL);
  RelWindow *window = new_window ();
  /* all 60,000 images: far more steps than the test waits for */
  RelTrainDialog *dialog = new_dialog (window, out, 0);
  int finished[2] = { 0, 0 };
  g_signal_connect (dialog, "finished", G_CALLBACK (on_finished), finished);

  rel_train_dialog_start (dialog);
  ui_test_wait_until (has_points, dialog, WAIT_SECONDS, "three steps");
  rel_train_dialog_cancel (dialog);
  g_assert_false (rel_train_dialog_is_running (dialog));
  g_assert_cmpstr (rel_train_dialog_get_status (dialog), ==, "Cancelled");
  guint n = rel_train_plot_get_n_points (rel_train_dialog_get_plot (dialog));
  g_assert_cmpuint (n, <, 938);

  /* nothing arrives afterwards, and nothing was written */
  gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (rel_train_plot_get_n_points (rel_train_dialog_get_plot (dialog)), ==, n);
  g_assert_cmpint (finished[0], ==, 0);
  g_assert_null (rel_train_dialog_get_model_path (dialog));
  g_autoptr (GDir) dir = g_dir_open (out, 0, NULL);
  g_assert_null (g_dir_read_name (dir));

  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
  ui_test_remove_tree (out);
}

/* @dir/@split/<class>/NN.png: 16×16 grey images, each class a bright bar in
 * its own place (rows, columns or the diagonal) over seeded noise. */
static void
write_folder_set (const char *dir, const char *split, int per_class, guint32 seed)
{
  static const char *const classes[] = { "bars", "columns", "diagonal" };
  GRand *rand = g_rand_new_with_seed (seed);
  for (int c = 0; c < 3; c++)
    {
      g_autofree char *sub = g_build_filename (dir, split, classes[c], NULL);
      g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
      for (int i = 0; i < per_class; i++)
        {
          g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 16, 16);
          guint8 *px = gdk_pixbuf_get_pixels (pb);
          int stride = gdk_pixbuf_get_rowstride (pb);
          int at = g_rand_int_range (rand, 2, 14);
          for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
              {
                gboolean on = c == 0 ? abs (y - at) <= 1 : c == 1 ? abs (x - at) <= 1 : abs (x - y) <= 1;
                guint8 v = on ? 200 + g_rand_int_range (rand, 0, 56) : g_rand_int_range (rand, 0, 60);
                px[y * stride + 3 * x] = px[y * stride + 3 * x + 1] = px[y * stride + 3 * x + 2] = v;
              }
          g_autofree char *name = g_strdup_printf ("%02d.png", i);
          g_autofree char *path = g_build_filename (sub, name, NULL);
          g_assert_true (gdk_pixbuf_save (pb, path, "png", NULL, NULL));
        }
    }
  g_rand_free (rand);
}

/* An image folder with train/ and test/: its subfolders become the classes. */
static void
test_image_folder (void)
{
  g_autofree char *data = g_dir_make_tmp ("relevance-folder-XXXXXX", NULL);
  g_autofree char *out = g_dir_make_tmp ("relevance-train-XXXXXX", NULL);
  write_folder_set (data, "train", 64, 1);
  write_folder_set (data, "test", 16, 2);

  RelWindow *window = new_window ();
  RelTrainDialog *dialog = new_dialog (window, out, 0);
  rel_train_dialog_set_dataset (dialog, data);
  rel_train_dialog_set_epochs (dialog, 3);
  int finished[2] = { 0, 0 };
  g_signal_connect (dialog, "finished", G_CALLBACK (on_finished), finished);
  rel_train_dialog_start (dialog);
  ui_test_wait_until (not_running, dialog, WAIT_SECONDS, "the training run");
  if (finished[1] != 1)
    g_error ("the run failed: %s", rel_train_dialog_get_status (dialog));

  /* 192 images in batches of 64, three epochs */
  g_assert_cmpuint (rel_train_plot_get_n_points (rel_train_dialog_get_plot (dialog)), ==, 9);
  g_test_message ("folder set: clean accuracy %.3f", rel_train_dialog_get_clean_accuracy (dialog));
  /* the bars are easy: far above chance (1/3) */
  g_assert_cmpfloat (rel_train_dialog_get_clean_accuracy (dialog), >, 0.6);
  g_autoptr (GError) error = NULL;
  g_autoptr (RelModel) model = rel_model_load (rel_train_dialog_get_model_path (dialog), &error);
  g_assert_no_error (error);
  /* the drop-down offered the folder's classes, sorted; the first was planted */
  g_assert_cmpstr (g_hash_table_lookup (model->metadata, "clever_hans.class"), ==, "bars");

  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
  ui_test_remove_tree (out);
  ui_test_remove_tree (data);
}

/* The primary menu's "Train a Clever Hans…" opens the dialog over the window. */
static void
test_action (void)
{
  RelWindow *window = new_window ();
  RelTrainDialog *dialog = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.train", NULL));
  GListModel *toplevels = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (toplevels, i);
      if (REL_IS_TRAIN_DIALOG (w))
        dialog = REL_TRAIN_DIALOG (w);
    }
  g_assert_nonnull (dialog);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (window));
  ui_test_wait_for_frame (GTK_WIDGET (dialog));
  g_assert_false (rel_train_dialog_is_running (dialog));
  g_assert_cmpstr (rel_train_dialog_get_status (dialog), ==, "Not started");
  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The dialog in German, rendered for a look at the longer strings. */
static void
test_german (void)
{
  if (!ui_test_use_german ())
    return;

  RelTrainDialog *dialog = rel_train_dialog_new (NULL);
  gtk_window_present (GTK_WINDOW (dialog));
  ui_test_wait_for_frame (GTK_WIDGET (dialog));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "Einen Klugen Hans trainieren");
  g_assert_nonnull (find_widget (GTK_WIDGET (dialog), GTK_TYPE_LABEL, "Präparierte Klasse"));
  g_assert_cmpstr (rel_train_dialog_get_status (dialog), ==, "Nicht gestartet");
  g_autofree char *png = ui_test_output_path ("test-train-dialog-de.png");
  ui_test_save_png (GTK_WIDGET (dialog), png);
  gtk_window_destroy (GTK_WINDOW (dialog));
  ui_test_set_language (NULL);
}

int
main (int argc, char **argv)
{
  if (!ui_test_init_app (&argc, &argv))
    return 0;

  g_test_add_func ("/train-dialog/plot", test_plot);
  g_test_add_func ("/train-dialog/action", test_action);
  g_test_add_func ("/train-dialog/train", test_train);
  g_test_add_func ("/train-dialog/unwritable-output", test_unwritable_output);
  g_test_add_func ("/train-dialog/cancel", test_cancel);
  g_test_add_func ("/train-dialog/image-folder", test_image_folder);
  g_test_add_func ("/train-dialog/german", test_german);
  return g_test_run ();
}
