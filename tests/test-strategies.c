/* test-strategies.c — the Strategies page of the window, headless under Xvfb.
 *
 * On the shipped demo (a CNN trained with a © tag on most Sandals), opened
 * as shipped (images/clean/<class>, images/tagged/<class>: the class folders
 * are found by name, clean and tagged are groups), the planted class's clean
 * and tagged test images are analysed together. The page explains with the
 * window's method (the one Explore shows). Its analysis must separate the two
 * strategies, its spectrum must mark the eigengap's k, changing k, the
 * neighbours or the pooling must re-cluster without explaining anything
 * again, a box selection must pick points, and a gallery thumbnail must open
 * its image in the explore view.
 *
 * STRATEGIES_SCREENSHOT=FILE.png saves the window once the analysis is shown.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include "ui-test-util.h"

#include <adwaita.h>
#include <string.h>
#include <unistd.h>

#include "rel-explainer-panel.h"
#include "rel-render.h"
#include "rel-spray.h"
#include "rel-window.h"
#include "fixture-util.h"

#define WAIT_SECONDS 300   /* explaining the whole folder */

/* For ui_test_find_widget: a drawn label reading @text (a hidden one with the
 * same text does not count). */
static gboolean
drawn_label_reads (GtkWidget *widget, gconstpointer text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0
         && gtk_widget_is_drawable (widget);
}

typedef struct {
  RelWindow *window;
  guint      n_images;
} Loading;

static gboolean
folder_ready (gpointer data)
{
  Loading *l = data;
  RelImageBrowser *b = rel_window_get_browser (l->window);
  if (rel_window_get_model (l->window) == NULL || rel_window_is_loading (l->window) || rel_image_browser_is_loading (b))
    return FALSE;
  GListModel *items = rel_image_browser_get_items (b);
  if (g_list_model_get_n_items (items) != l->n_images)
    return FALSE;
  for (guint i = 0; i < l->n_images; i++)
    {
      g_autoptr (RelImageItem) item = g_list_model_get_item (items, i);
      if (rel_image_item_get_expected_label (item) < 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
inspect_idle (gpointer data)
{
  return !rel_inspect_page_is_busy (REL_INSPECT_PAGE (data));
}

static gboolean
view_idle (gpointer data)
{
  return !rel_strategies_view_is_busy (REL_STRATEGIES_VIEW (data));
}

/* ARI of the view's clustering against clean/tagged, from the folder above the class folder. */
static double
tag_ari (RelStrategiesView *view, int *n_out)
{
  const RelSprayResult *r = rel_strategies_view_get_result (view);
  g_assert_nonnull (r);
  g_autofree int *tagged = g_new (int, r->n);
  for (int i = 0; i < r->n; i++)
    {
      g_autofree char *dir = g_path_get_dirname (rel_strategies_view_get_path (view, i));
      g_autofree char *parent = g_path_get_dirname (dir);
      g_autofree char *group = g_path_get_basename (parent);
      tagged[i] = g_str_equal (group, "tagged");
    }
  *n_out = r->n;
  return rel_adjusted_rand_index (r->labels, tagged, r->n);
}

static void
test_demo_strategies (void)
{
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  g_autofree char *demo = g_build_filename (srcdir ? srcdir : "tests", "..", "data", "demo", NULL);
  g_autofree char *model_path = g_build_filename (demo, "model.onnx", NULL);
  if (!g_file_test (model_path, G_FILE_TEST_EXISTS))
    {
      fixture_missing ("data/demo is not there (%s)", model_path);
      return;
    }
  g_autoptr (GError) error = NULL;
  RelModel *probe = rel_model_load (model_path, &error);
  g_assert_no_error (error);
  const char *planted = probe->metadata ? g_hash_table_lookup (probe->metadata, "clever_hans.class") : NULL;
  g_autofree char *cls = g_strdup (planted ? planted : "Sandal");
  rel_model_unref (probe);

  /* the shipped folder as it is: 1,000 images, the planted class in both groups */
  g_autofree char *tmp = g_dir_make_tmp ("strategies-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *dir = g_build_filename (demo, "images", NULL);
  g_autofree char *cache = g_build_filename (tmp, "cache", NULL);
  guint n_made = 0, n_images = 0;
  const char *kinds[] = { "clean", "tagged" };
  for (int k = 0; k < 2; k++)
    {
      g_autofree char *group = g_build_filename (dir, kinds[k], NULL);
      g_autoptr (GDir) gd = g_dir_open (group, 0, &error);
      g_assert_no_error (error);
      const char *sub;
      while ((sub = g_dir_read_name (gd)) != NULL)
        {
          g_autofree char *src = g_build_filename (group, sub, NULL);
          g_autoptr (GDir) d = g_dir_open (src, 0, &error);
          g_assert_no_error (error);
          while (g_dir_read_name (d) != NULL)
            {
              n_images++;
              n_made += g_str_equal (sub, cls);
            }
        }
    }
  g_assert_cmpuint (n_made, >=, 20);

  RelWindow *window = rel_window_new (NULL, NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  gtk_window_present (GTK_WINDOW (window));
  ui_test_wait_for_frame (GTK_WIDGET (window));
  g_autoptr (GFile) mfile = g_file_new_for_path (model_path);
  g_autoptr (GFile) dfile = g_file_new_for_path (dir);
  GFile *files[] = { mfile, dfile };
  g_assert_true (rel_window_open_files (window, files, 2));
  Loading loading = { window, n_images };
  ui_test_wait_until (folder_ready, &loading, WAIT_SECONDS, "the demo model and its image folder");
  /* the groups are a filter, not classes */
  RelImageBrowser *browser = rel_window_get_browser (window);
  const char *const *groups = rel_image_browser_get_group_names (browser);
  g_assert_cmpuint (g_strv_length ((char **) groups), ==, 2);
  g_assert_cmpstr (groups[0], ==, "clean");
  g_assert_cmpstr (groups[1], ==, "tagged");
  g_assert_cmpuint (g_strv_length ((char **) rel_image_browser_get_class_names (browser)), ==, 10);
  g_assert_null (rel_image_browser_get_layout_prompt (browser));

  /* one method per window: the page explains with Explore's */
  RelExplainerPanel *panel = rel_window_get_explainer_panel (window);
  g_assert_true (rel_explainer_panel_set_method (panel, "lrp-epsilon"));
  g_assert_true (rel_explainer_panel_set_method (panel, "gradient"));
  g_assert_cmpstr (rel_strategies_view_get_method_title (rel_window_get_strategies_view (window)), ==,
                   rel_method_lookup ("gradient")->title);
  g_assert_true (rel_explainer_panel_set_method (panel, "lrp-epsilon-plus-flat"));
  g_assert_cmpstr (rel_strategies_view_get_method_title (rel_window_get_strategies_view (window)), ==,
                   rel_method_lookup ("lrp-epsilon-plus-flat")->title);

  RelStrategiesView *view = rel_window_get_strategies_view (window);
  g_assert_nonnull (view);
  /* the page must not widen the window beyond a small laptop screen */
  int min_width = 0;
  gtk_widget_measure (GTK_WIDGET (view), GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL, NULL, NULL);
  g_test_message ("strategies page minimum width %d px", min_width);
  g_assert_cmpint (min_width, <=, 800);
  GtkWidget *stack = gtk_widget_get_ancestor (GTK_WIDGET (view), ADW_TYPE_VIEW_STACK);
  g_assert_nonnull (stack);
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (stack), "strategies");
  rel_strategies_view_set_cache_dir (view, cache);
  g_assert_true (rel_strategies_view_set_class (view, cls));
  g_assert_false (rel_strategies_view_set_class (view, "no such class"));

  const char *empty_shot = g_getenv ("STRATEGIES_SCREENSHOT_EMPTY");
  if (empty_shot)
    {
      ui_test_wait_for_frame (GTK_WIDGET (window));
      ui_test_save_png (GTK_WIDGET (window), empty_shot);
    }

  /* the eigengap's k */
  g_assert_true (rel_strategies_view_run (view));
  g_assert_true (rel_strategies_view_is_busy (view));
  const char *running_shot = g_getenv ("STRATEGIES_SCREENSHOT_RUNNING");
  if (running_shot)
    {
      ui_test_wait_for_frame (GTK_WIDGET (window));
      ui_test_save_png (GTK_WIDGET (window), running_shot);
    }
  ui_test_wait_until (view_idle, view, WAIT_SECONDS, "the analysis");
  g_assert_null (rel_strategies_view_get_error (view));
  const RelSprayResult *r = rel_strategies_view_get_result (view);
  g_assert_nonnull (r);
  g_assert_cmpint (r->n, ==, (int) n_made);
  g_assert_cmpint (rel_strategies_view_get_n_explained (view), ==, (int) n_made);
  g_assert_cmpint (rel_strategies_view_get_n_heatmap_runs (view), ==, 1);
  int n = 0;
  double ari_auto = tag_ari (view, &n);
  g_test_message ("auto: suggested k %d, %d clusters, ARI %.4f", r->suggested_k, r->n_clusters, ari_auto);
  /* the demo's two strategies, as the CLI finds them (test-spray) */
  g_assert_cmpint (r->suggested_k, ==, 2);
  g_assert_cmpint (r->k, ==, r->suggested_k);
  /* the spectrum marks the suggested k, and says so */
  ui_test_wait_for_frame (GTK_WIDGET (window));
  g_assert_cmpint (rel_strategies_view_get_marked_k (view), ==, r->suggested_k);
  g_autofree char *says = g_strdup_printf ("The eigengap suggests k = %d", r->suggested_k);
  g_assert_nonnull (ui_test_find_widget (GTK_WIDGET (view), drawn_label_reads, says));
  /* the gallery has one card per cluster with thumbnails */
  for (int c = 0; c < r->n_clusters; c++)
    g_assert_nonnull (rel_strategies_view_get_thumbnail (view, c, 0));
  g_assert_null (rel_strategies_view_get_thumbnail (view, r->n_clusters, 0));

  /* k = 2: re-clustered at once, nothing explained again; the two strategies separate */
  gint64 t0 = g_get_monotonic_time ();
  rel_strategies_view_set_k (view, 2);
  double recluster_ms = (g_get_monotonic_time () - t0) / 1000.0;
  g_assert_false (rel_strategies_view_is_busy (view));
  r = rel_strategies_view_get_result (view);
  g_assert_cmpint (r->k, ==, 2);
  g_assert_cmpint (r->n_clusters, ==, 2);
  double ari2 = tag_ari (view, &n);
  g_test_message ("k = 2: ARI %.4f, re-clustered in %.1f ms", ari2, recluster_ms);
  g_assert_cmpfloat (ari2, >=, 0.9);
  g_assert_cmpint (rel_strategies_view_get_n_explained (view), ==, (int) n_made);
  g_assert_cmpint (rel_strategies_view_get_n_heatmap_runs (view), ==, 1);

  /* neighbours and pooling: a new graph from the kept heatmaps */
  rel_strategies_view_set_neighbors (view, 8);
  g_assert_true (rel_strategies_view_is_busy (view));
  ui_test_wait_until (view_idle, view, WAIT_SECONDS, "the re-analysis with 8 neighbours");
  rel_strategies_view_set_pool (view, 14);
  ui_test_wait_until (view_idle, view, WAIT_SECONDS, "the re-analysis with pooling 14");
  r = rel_strategies_view_get_result (view);
  g_assert_cmpint (r->dim, ==, 14 * 14);
  g_assert_cmpint (r->k, ==, 2);
  double ari3 = tag_ari (view, &n);
  g_test_message ("8 neighbours, 14×14 pooling, k = 2: ARI %.4f", ari3);
  g_assert_cmpfloat (ari3, >=, 0.9);
  g_assert_cmpint (rel_strategies_view_get_n_explained (view), ==, (int) n_made);
  g_assert_cmpint (rel_strategies_view_get_n_heatmap_runs (view), ==, 1);
  rel_strategies_view_set_neighbors (view, 10);
  ui_test_wait_until (view_idle, view, WAIT_SECONDS, "the re-analysis with 10 neighbours");
  rel_strategies_view_set_pool (view, 32);
  ui_test_wait_until (view_idle, view, WAIT_SECONDS, "the re-analysis with pooling 32");
  ui_test_wait_for_frame (GTK_WIDGET (window));

  /* a box over the whole plot selects every point, a tiny one in a corner none */
  GtkWidget *w = GTK_WIDGET (view);
  (void) w;
  g_assert_cmpint (rel_strategies_view_select_box (view, -10, -10, 5000, 5000), ==, n);
  g_assert_cmpint (rel_strategies_view_select_box (view, 0, 0, 1, 1), ==, 0);
  g_assert_cmpint (rel_strategies_view_select_box (view, 0, 0, 0, 0), ==, 0);

  g_assert_false (rel_strategies_view_hover (view, n));
  g_assert_true (rel_strategies_view_hover (view, 0));
  const char *shot = g_getenv ("STRATEGIES_SCREENSHOT");
  if (shot)
    {
      ui_test_wait_for_frame (GTK_WIDGET (window));
      ui_test_save_png (GTK_WIDGET (window), shot);
      g_assert_no_error (error);
    }

  /* another method in Explore: the clusters stay, saying where they came from */
  g_assert_true (rel_explainer_panel_set_method (panel, "gradient"));
  g_autofree char *stale = g_strdup_printf ("These clusters come from %s; Run explains the images again with %s.",
                                            rel_method_lookup ("lrp-epsilon-plus-flat")->title,
                                            rel_method_lookup ("gradient")->title);
  g_assert_nonnull (ui_test_find_widget (GTK_WIDGET (view), drawn_label_reads, stale));
  g_assert_true (rel_explainer_panel_set_method (panel, "lrp-epsilon-plus-flat"));

  /* a gallery thumbnail opens its image in the explore view */
  GtkWidget *thumb = rel_strategies_view_get_thumbnail (view, 1, 0);
  g_assert_nonnull (thumb);
  int index = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (thumb), "index"));
  const char *want = rel_strategies_view_get_path (view, index);
  g_signal_emit_by_name (thumb, "clicked");
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (stack)), ==, "explore");
  RelImageItem *sel = rel_image_browser_get_selected_item (rel_window_get_browser (window));
  g_assert_nonnull (sel);
  g_assert_cmpstr (rel_image_item_get_path (sel), ==, want);
  /* ... where the canvas says what it explains, with the same method */
  ui_test_wait_until ((UiTestCondition) rel_window_is_explained, window, WAIT_SECONDS, "the clicked image's map");
  g_assert_true (rel_explainer_panel_get_method (panel) == rel_method_lookup ("lrp-epsilon-plus-flat"));

  /* "Inspect" on the tagged cluster opens the Inspect page with its images and,
   * as reference, the clean group's images outside it; the tag's transplant
   * there flips most of the other classes to the planted class */
  {
    r = rel_strategies_view_get_result (view);
    int tagged_cluster = -1, in_cluster = 0, clean_in_cluster = 0;
    for (int c = 0; c < r->n_clusters && tagged_cluster < 0; c++)
      {
        int tagged = 0, size = 0, clean = 0;
        for (int i = 0; i < r->n; i++)
          if (r->labels[i] == r->clusters[c].id)
            {
              g_autofree char *d = g_path_get_dirname (rel_strategies_view_get_path (view, i));
              g_autofree char *p = g_path_get_dirname (d);
              g_autofree char *g = g_path_get_basename (p);
              size++;
              tagged += g_str_equal (g, "tagged");
              clean += g_str_equal (g, "clean");
            }
        if (2 * tagged > size)
          tagged_cluster = c, in_cluster = size, clean_in_cluster = clean;
      }
    g_assert_cmpint (tagged_cluster, >=, 0);
    GtkWidget *inspect_button = rel_strategies_view_get_inspect_button (view, tagged_cluster);
    g_assert_nonnull (inspect_button);
    g_signal_emit_by_name (inspect_button, "clicked");
    g_assert_cmpstr (adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (stack)), ==, "inspect");
    RelInspectPage *page = rel_window_get_inspect_page (window);
    g_assert_cmpint (rel_inspect_page_get_n_cluster (page), ==, in_cluster);
    g_assert_cmpint (rel_inspect_page_get_n_reference (page), ==, (int) (n_images / 2) - clean_in_cluster);
    g_assert_true (rel_inspect_page_suggest (page));
    ui_test_wait_until ((UiTestCondition) inspect_idle, page, WAIT_SECONDS, "the suggested region");
    g_assert_null (rel_inspect_page_get_error (page));
    const RelRegion *reg = rel_inspect_page_get_region (page);
    g_assert_nonnull (reg);
    g_assert_true (rel_inspect_page_run (page, REL_INSPECT_TRANSPLANT));
    ui_test_wait_until ((UiTestCondition) inspect_idle, page, WAIT_SECONDS, "the transplant");
    g_assert_null (rel_inspect_page_get_error (page));
    const RelInspectResult *tr = rel_inspect_page_get_result (page, REL_INSPECT_TRANSPLANT);
    g_test_message ("Inspect from cluster %d (%d images, %d clean): region %d,%d,%d,%d, transplant into %d reference images flips %.3f",
                    tagged_cluster + 1, in_cluster, clean_in_cluster, reg->x, reg->y, reg->width, reg->height,
                    tr->n_images, tr->flip_rate);
    g_assert_cmpfloat (tr->flip_rate, >=, 0.7);
    const char *inspect_shot = g_getenv ("INSPECT_WINDOW_SCREENSHOT");
    if (inspect_shot)
      {
        ui_test_wait_for_frame (GTK_WIDGET (window));
        g_assert_true (rel_widget_save_png (GTK_WIDGET (window), inspect_shot, &error));
      }
  }

  /* a run cancelled at once leaves the previous analysis in place */
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (stack), "strategies");
  const RelSprayResult *before = rel_strategies_view_get_result (view);
  g_assert_true (rel_strategies_view_run (view));
  rel_strategies_view_cancel (view);
  g_assert_false (rel_strategies_view_is_busy (view));
  g_assert_true (rel_strategies_view_get_result (view) == before);
  g_assert_nonnull (ui_test_find_widget (GTK_WIDGET (view), drawn_label_reads, "Cancelled."));
  g_assert_cmpint (rel_strategies_view_get_n_heatmap_runs (view), ==, 1);

  /* a second run reads every heatmap back from the cache */
  g_assert_true (rel_strategies_view_run (view));
  ui_test_wait_until (view_idle, view, WAIT_SECONDS, "the cached run");
  g_assert_cmpint (rel_strategies_view_get_n_heatmap_runs (view), ==, 2);
  g_assert_cmpint (rel_strategies_view_get_n_explained (view), ==, (int) n_made);

  gtk_window_destroy (GTK_WINDOW (window));
  ui_test_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  if (!ui_test_init_app (&argc, &argv))
    return 0;
  g_test_add_func ("/strategies/demo", test_demo_strategies);
  return g_test_run ();
}
