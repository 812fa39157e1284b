/* test-evaluate-page.c — the Evaluate page (ui/rel-evaluate-page.c) as a
 * standalone widget, headless under Xvfb, on the shipped demo (a CNN trained
 * with a © tag on most Sandals).
 *
 * What the page shows must be what core/rel-eval.c computes for the same
 * inputs: each method's AOPC (MoRF and LeRF) and infidelity, its drawn MoRF
 * curve step by step, the best AOPC marked; a metric that does not apply
 * (relevance mass without a region) says why in its cell; over a set of
 * images, the mean and 95 % half-width of the per-image values. The run
 * happens off the main thread (the main loop's CPU time per turn stays
 * small), and a cancelled run stops delivering and keeps what finished.
 *
 * In the window, the page evaluates the image Explore shows and the images
 * of the browser.
 *
 * EVALUATE_SCREENSHOT=FILE.png saves the page once the single-image run is
 * shown (by default evaluate-page.png in the build's tests folder), and
 * EVALUATE_WINDOW_SCREENSHOT the window after the folder's run
 * (evaluate-window.png).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include "ui-test-util.h"

#include <adwaita.h>
#include <math.h>
#include <string.h>

#include "rel-eval.h"
#include "rel-evaluate-page.h"
#include "rel-inspect.h"
#include "rel-render.h"
#include "rel-window.h"
#include "fixture-util.h"

#define WAIT_SECONDS 300

static char *
demo_path (const char *rel)
{
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  return g_build_filename (srcdir ? srcdir : "tests", "..", "data", "demo", rel, NULL);
}

/* g_ptr_array_sort hands pointers to the elements */
static int
cmp_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The first @n tagged Sandal images, in name order (NULL-terminated). */
static char **
demo_images (int n)
{
  g_autofree char *dir = demo_path ("images/tagged/Sandal");
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  char **out;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)))
    if (g_str_has_suffix (name, ".png"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, cmp_names);
  g_assert_cmpint ((int) names->len, >=, n);
  out = g_new0 (char *, n + 1);
  for (int i = 0; i < n; i++)
    out[i] = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
  return out;
}

static gboolean
page_idle (gpointer page)
{
  return !rel_evaluate_page_is_busy (REL_EVALUATE_PAGE (page));
}

/* The metric as core/rel-eval.c computes it for @method's map of @path, the
 * page's way: the predicted class, a CAM upsampled, default parameters. */
static RelMetricResult *
reference (RelModel *model, const char *path, const char *method, const char *metric)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) x = rel_inspect_load (model, path, NULL, NULL, &error);
  g_autoptr(RelParams) mp = rel_params_new (rel_method_lookup (method));
  g_autoptr(RelParams) kp = rel_metric_params_new (rel_metric_lookup (metric));
  g_autoptr(RelExplanation) e = NULL;
  RelExplainRequest er = { 0 };
  RelMetricRequest mr = { 0 };
  RelMetricResult *r;

  g_assert_no_error (error);
  if (rel_method_param (rel_method_lookup (method), "upsample"))
    rel_params_set (mp, "upsample", "true", NULL);
  er.model = model;
  er.input = x;
  er.target = (RelTarget) { REL_TARGET_PREDICTED, 0, 0, FALSE };
  er.params = mp;
  e = rel_explain (rel_method_lookup (method), &er, &error);
  g_assert_no_error (error);
  mr.model = model;
  mr.input = x;
  mr.target = (RelTarget) { REL_TARGET_CLASS, e->target_class, 0, FALSE };
  mr.relevance = e->relevance;
  mr.method_params = mp;
  mr.params = kp;
  r = rel_metric_run (rel_metric_lookup (metric), &mr, &error);
  g_assert_no_error (error);
  return r;
}

typedef struct {
  GtkWidget       *window;
  RelEvaluatePage *page;
  RelModel        *model;
} Fixture;

static gboolean
fixture_setup (Fixture *f)
{
  g_autofree char *model_path = demo_path ("model.onnx");
  g_autoptr(GError) error = NULL;

  if (!g_file_test (model_path, G_FILE_TEST_EXISTS))
    {
      fixture_missing ("data/demo is not there (%s)", model_path);
      return FALSE;
    }
  f->model = rel_model_load (model_path, &error);
  g_assert_no_error (error);
  f->window = gtk_window_new ();
  f->page = REL_EVALUATE_PAGE (rel_evaluate_page_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->page));
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 860);
  gtk_window_present (GTK_WINDOW (f->window));
  return TRUE;
}

static void
fixture_teardown (Fixture *f)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  rel_model_unref (f->model);
}

/* One image, the page's default methods (gradient, input × gradient,
 * LRP ε+♭, Grad-CAM) and metrics, plus relevance mass without a region. */
static void
test_image (void)
{
  static const char *const methods[] = { "gradient", "input-x-gradient", "lrp-epsilon-plus-flat", "gradcam", NULL };
  static const char *const metrics[] = { "aopc-morf", "aopc-lerf", "infidelity", "sparseness", "mass-accuracy", NULL };
  Fixture f;
  g_auto(GStrv) images = NULL;
  UiTestStall stall = { 0 };
  guint tick;
  double best = -INFINITY;
  const char *best_method = NULL;

  if (!fixture_setup (&f))
    return;
  images = demo_images (1);
  /* the page must not widen the window beyond a small laptop screen (the
   * window folds its columns down to 760 px) */
  {
    int min_width = 0;
    gtk_widget_measure (GTK_WIDGET (f.page), GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL, NULL, NULL);
    g_test_message ("evaluate page minimum width %d px", min_width);
    g_assert_cmpint (min_width, <=, 400);
  }

  /* nothing to evaluate yet: the status says what is missing */
  g_assert_false (rel_evaluate_page_run (f.page));
  g_assert_false (rel_evaluate_page_is_busy (f.page));

  rel_evaluate_page_set_model (f.page, f.model);
  rel_evaluate_page_set_image (f.page, images[0]);
  rel_evaluate_page_select_methods (f.page, methods);
  rel_evaluate_page_select_metrics (f.page, metrics);
  ui_test_stall_reset (&stall);
  tick = g_timeout_add (5, ui_test_stall_tick, &stall);
  g_assert_true (rel_evaluate_page_run (f.page));
  g_assert_true (rel_evaluate_page_is_busy (f.page));
  ui_test_wait_until (page_idle, f.page, WAIT_SECONDS, "the evaluation");
  g_source_remove (tick);
  /* the work ran on the job's thread: no turn of the main loop took long */
  g_test_message ("longest main-loop turn: %.1f ms CPU (%.1f ms wall)", stall.longest_cpu / 1000.0,
                  stall.longest / 1000.0);
  g_assert_cmpint (stall.longest_cpu, <, 150000);

  for (int m = 0; methods[m]; m++)
    for (int k = 0; k < 4; k++)
      {
        g_autoptr(RelMetricResult) r = reference (f.model, images[0], methods[m], metrics[k]);
        double v, ci;
        int n;
        const char *reason;
        char text[64];
        GtkLabel *label = rel_evaluate_page_get_cell (f.page, methods[m], metrics[k]);

        g_assert_nonnull (label);
        if (r->not_applicable)
          {
            /* Grad-CAM's map can be zero on the demo: the page says the same */
            g_assert_false (rel_evaluate_page_get_value (f.page, methods[m], metrics[k], &v, &ci, &n, &reason));
            g_assert_cmpstr (reason, ==, r->not_applicable);
            g_assert_cmpstr (gtk_label_get_text (label), ==, "n/a");
            continue;
          }
        g_assert_true (rel_evaluate_page_get_value (f.page, methods[m], metrics[k], &v, &ci, &n, &reason));
        g_test_message ("%s %s: page %.9g, rel_eval %.9g", methods[m], metrics[k], v, r->value);
        g_assert_cmpint (n, ==, 1);
        g_assert_cmpfloat_with_epsilon (v, r->value, 1e-9 * MAX (1, fabs (r->value)));
        g_snprintf (text, sizeof text, "%.4g", r->value);
        g_assert_cmpstr (gtk_label_get_text (label), ==, text);
        if (g_str_equal (metrics[k], "aopc-morf"))
          {
            int steps = 0;
            const double *curve = rel_evaluate_page_get_curve (f.page, methods[m], FALSE, &steps);
            /* 28² in 4×4 patches: 49 steps and the clean input */
            g_assert_cmpint (steps, ==, 50);
            g_assert_cmpint (steps, ==, r->n_steps);
            for (int s = 0; s < steps; s++)
              g_assert_cmpfloat_with_epsilon (curve[s], r->scores[s], 1e-9 * MAX (1, fabs (r->scores[s])));
            if (r->value > best)
              {
                best = r->value;
                best_method = methods[m];
              }
          }
        if (g_str_equal (metrics[k], "aopc-lerf"))
          {
            int steps = 0;
            const double *curve = rel_evaluate_page_get_curve (f.page, methods[m], TRUE, &steps);
            g_assert_cmpint (steps, ==, r->n_steps);
            g_assert_cmpfloat_with_epsilon (curve[steps - 1], r->scores[steps - 1], 1e-9 * MAX (1, fabs (r->scores[steps - 1])));
          }
      }
  /* the best AOPC (MoRF) is marked, and only it */
  g_assert_nonnull (best_method);
  for (int m = 0; methods[m]; m++)
    g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (rel_evaluate_page_get_cell (f.page, methods[m], "aopc-morf")),
                                             "accent") == g_str_equal (methods[m], best_method));
  /* relevance mass needs a region: not applicable, with the reason */
  {
    const char *reason = NULL;
    g_assert_false (rel_evaluate_page_get_value (f.page, "gradient", "mass-accuracy", NULL, NULL, NULL, &reason));
    g_assert_nonnull (reason);
    g_assert_nonnull (strstr (reason, "region"));
    g_assert_cmpstr (gtk_label_get_text (rel_evaluate_page_get_cell (f.page, "gradient", "mass-accuracy")), ==, "n/a");
    g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (rel_evaluate_page_get_cell (f.page, "gradient", "mass-accuracy"))),
                     ==, reason);
  }

  ui_test_wait_for_frame (f.window);
  {
    g_autofree char *shot = g_getenv ("EVALUATE_SCREENSHOT") ? g_strdup (g_getenv ("EVALUATE_SCREENSHOT"))
                                                               : ui_test_output_path ("evaluate-page.png");
    g_autoptr(GError) error = NULL;
    g_assert_true (rel_widget_save_png (f.window, shot, &error));
    g_assert_no_error (error);
    g_test_message ("screenshot: %s", shot);
  }
  fixture_teardown (&f);
}

/* Three images: the mean and 95 % half-width of the per-image values. */
static void
test_dataset (void)
{
  static const char *const methods[] = { "gradient", NULL };
  static const char *const metrics[] = { "aopc-morf", "sparseness", NULL };
  Fixture f;
  g_auto(GStrv) images = NULL;

  if (!fixture_setup (&f))
    return;
  images = demo_images (3);
  rel_evaluate_page_set_model (f.page, f.model);
  rel_evaluate_page_set_dataset (f.page, (const char *const *) images);
  rel_evaluate_page_set_dataset_scope (f.page, TRUE);
  rel_evaluate_page_select_methods (f.page, methods);
  rel_evaluate_page_select_metrics (f.page, metrics);
  g_assert_true (rel_evaluate_page_run (f.page));
  ui_test_wait_until (page_idle, f.page, WAIT_SECONDS, "the evaluation of 3 images");

  for (int k = 0; metrics[k]; k++)
    {
      double per[3], mean, ci, v, vci;
      int used, n;
      char a[32], b[32];
      g_autofree char *text = NULL;

      for (int i = 0; i < 3; i++)
        {
          g_autoptr(RelMetricResult) r = reference (f.model, images[i], "gradient", metrics[k]);
          per[i] = r->value;
        }
      rel_eval_mean_ci (per, 3, &mean, &ci, &used);
      g_assert_true (rel_evaluate_page_get_value (f.page, "gradient", metrics[k], &v, &vci, &n, NULL));
      g_test_message ("%s over 3 images: page %.9g ± %.9g, rel_eval %.9g ± %.9g", metrics[k], v, vci, mean, ci);
      g_assert_cmpint (n, ==, 3);
      g_assert_cmpfloat (ci, >, 0);
      g_assert_cmpfloat_with_epsilon (v, mean, 1e-9 * MAX (1, fabs (mean)));
      g_assert_cmpfloat_with_epsilon (vci, ci, 1e-9 * MAX (1, ci));
      g_snprintf (a, sizeof a, "%.4g", mean);
      g_snprintf (b, sizeof b, "%.2g", ci);
      text = g_strdup_printf ("%s ± %s", a, b);
      g_assert_cmpstr (gtk_label_get_text (rel_evaluate_page_get_cell (f.page, "gradient", metrics[k])), ==, text);
    }
  fixture_teardown (&f);
}

static gboolean
first_value (gpointer data)
{
  int n = 0;
  rel_evaluate_page_get_value (REL_EVALUATE_PAGE (data), "smoothgrad", "aopc-morf", NULL, NULL, &n, NULL);
  return n >= 1;
}

/* Cancelling a long run: it stops at once, delivers nothing more, and the
 * table keeps the images that finished. */
static void
test_cancel (void)
{
  static const char *const methods[] = { "smoothgrad", NULL };
  static const char *const metrics[] = { "aopc-morf", NULL };
  Fixture f;
  g_auto(GStrv) images = NULL;
  int n_before = 0, n_after = 0;
  gboolean waited = FALSE;

  if (!fixture_setup (&f))
    return;
  images = demo_images (40);
  rel_evaluate_page_set_model (f.page, f.model);
  rel_evaluate_page_set_dataset (f.page, (const char *const *) images);
  rel_evaluate_page_set_dataset_scope (f.page, TRUE);
  rel_evaluate_page_select_methods (f.page, methods);
  rel_evaluate_page_select_metrics (f.page, metrics);
  g_assert_true (rel_evaluate_page_run (f.page));
  ui_test_wait_until (first_value, f.page, WAIT_SECONDS, "the first image's value");
  rel_evaluate_page_cancel (f.page);
  g_assert_false (rel_evaluate_page_is_busy (f.page));
  rel_evaluate_page_get_value (f.page, "smoothgrad", "aopc-morf", NULL, NULL, &n_before, NULL);
  g_timeout_add (500, ui_test_set_flag, &waited);
  ui_test_wait_until (ui_test_flag_set, &waited, 10, "half a second");
  rel_evaluate_page_get_value (f.page, "smoothgrad", "aopc-morf", NULL, NULL, &n_after, NULL);
  g_test_message ("cancelled after %d of 40 images", n_before);
  g_assert_cmpint (n_before, >=, 1);
  g_assert_cmpint (n_before, <, 40);
  g_assert_cmpint (n_after, ==, n_before);
  fixture_teardown (&f);
}

static gboolean
window_ready (gpointer data)
{
  RelWindow *w = data;
  RelImageBrowser *b = rel_window_get_browser (w);
  return rel_window_get_model (w) != NULL && !rel_window_is_loading (w) && !rel_image_browser_is_loading (b)
         && g_list_model_get_n_items (rel_image_browser_get_items (b)) == 6 && rel_window_get_input_path (w) != NULL
         && rel_window_is_explained (w);
}

/* In the window: the page evaluates the image Explore shows and the
 * browser's images (a folder of 6), with Compare's methods ticked on the
 * first visit. */
static void
test_window (void)
{
  g_autofree char *model_path = demo_path ("model.onnx");
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) model = NULL;
  g_auto(GStrv) images = NULL;
  g_autofree char *tmp = NULL;
  RelWindow *window;
  RelEvaluatePage *page;
  GtkWidget *stack;
  double v;
  int n;

  if (!g_file_test (model_path, G_FILE_TEST_EXISTS))
    {
      fixture_missing ("data/demo is not there (%s)", model_path);
      return;
    }
  model = rel_model_load (model_path, &error);
  g_assert_no_error (error);
  images = demo_images (6);
  tmp = g_dir_make_tmp ("evaluate-page-XXXXXX", &error);
  g_assert_no_error (error);
  for (int i = 0; i < 6; i++)
    {
      g_autofree char *base = g_path_get_basename (images[i]);
      g_autofree char *dst = g_build_filename (tmp, base, NULL);
      g_autofree char *data = NULL;
      gsize len;
      g_assert_true (g_file_get_contents (images[i], &data, &len, NULL));
      g_assert_true (g_file_set_contents (dst, data, (gssize) len, NULL));
    }

  window = rel_window_new (NULL, NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 860);
  gtk_window_present (GTK_WINDOW (window));
  {
    g_autoptr(GFile) mfile = g_file_new_for_path (model_path);
    g_autoptr(GFile) dfile = g_file_new_for_path (tmp);
    GFile *files[] = { mfile, dfile };
    g_assert_true (rel_window_open_files (window, files, 2));
  }
  ui_test_wait_until (window_ready, window, WAIT_SECONDS, "the demo model and 6 images");
  page = rel_window_get_evaluate_page (window);
  g_assert_nonnull (page);
  stack = gtk_widget_get_ancestor (GTK_WIDGET (page), ADW_TYPE_VIEW_STACK);
  g_assert_nonnull (stack);
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (stack), "evaluate");

  /* this image: the one Explore shows */
  rel_evaluate_page_set_dataset_scope (page, FALSE);
  g_assert_true (rel_evaluate_page_run (page));
  ui_test_wait_until (page_idle, page, WAIT_SECONDS, "the image's evaluation");
  {
    g_autoptr(RelMetricResult) r = reference (model, rel_window_get_input_path (window), "gradient", "aopc-morf");
    g_assert_true (rel_evaluate_page_get_value (page, "gradient", "aopc-morf", &v, NULL, &n, NULL));
    g_assert_cmpint (n, ==, 1);
    g_assert_cmpfloat_with_epsilon (v, r->value, 1e-9 * MAX (1, fabs (r->value)));
  }
  /* the dataset: the browser's 6 images */
  rel_evaluate_page_set_dataset_scope (page, TRUE);
  g_assert_true (rel_evaluate_page_run (page));
  ui_test_wait_until (page_idle, page, WAIT_SECONDS, "the folder's evaluation");
  g_assert_true (rel_evaluate_page_get_value (page, "lrp-epsilon-plus-flat", "aopc-morf", &v, NULL, &n, NULL));
  g_assert_cmpint (n, ==, 6);
  /* the methods are Compare's (gradient, SmoothGrad, IG, LRP ε+♭, Grad-CAM, occlusion), not the page's defaults */
  g_assert_nonnull (rel_evaluate_page_get_cell (page, "occlusion", "aopc-morf"));
  g_assert_null (rel_evaluate_page_get_cell (page, "input-x-gradient", "aopc-morf"));

  ui_test_wait_for_frame (GTK_WIDGET (window));
  {
    g_autofree char *shot = g_getenv ("EVALUATE_WINDOW_SCREENSHOT") ? g_strdup (g_getenv ("EVALUATE_WINDOW_SCREENSHOT"))
                                                                      : ui_test_output_path ("evaluate-window.png");
    g_assert_true (rel_widget_save_png (GTK_WIDGET (window), shot, &error));
    g_assert_no_error (error);
    g_test_message ("screenshot: %s", shot);
  }
  gtk_window_destroy (GTK_WINDOW (window));
  ui_test_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  if (!ui_test_init_app (&argc, &argv))
    return 0;
  g_test_add_func ("/evaluate-page/image", test_image);
  g_test_add_func ("/evaluate-page/dataset", test_dataset);
  g_test_add_func ("/evaluate-page/cancel", test_cancel);
  g_test_add_func ("/evaluate-page/window", test_window);
  return g_test_run ();
}
