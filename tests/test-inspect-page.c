/* test-inspect-page.c — the Inspect page on its own, headless under Xvfb, on
 * the shipped demo (a CNN that learnt a © tag at 15,15,12,12 as a Sandal
 * shortcut).
 *
 * The "cluster" is the tagged Sandals (what the Strategies page separates),
 * the reference a subset of the clean images of every class. Each step runs
 * on the job runner; its figures must be the core's own (rel_inspect_run on
 * the same images: the page assembles them from per-image chunks as they
 * arrive) and must show the shortcut: the suggested region covers the tag,
 * removing it lowers the Sandal probability, pasting it flips most clean
 * images of other classes to Sandal, and P-ClArC stops the flips.
 *
 * INSPECT_SCREENSHOT=FILE.png saves the page after the correction (how
 * data/screenshots/inspect.png was made).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include "ui-test-util.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "fixture-util.h"
#include "rel-dataset.h"
#include "rel-error.h"
#include "rel-inspect-page.h"
#include "rel-render.h"
#include "rel-explain.h"

#define WAIT_SECONDS 300
#define REFERENCE_PER_CLASS 12

static char *
demo_path (const char *rel)
{
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  return g_build_filename (srcdir ? srcdir : "tests", "..", "data", "demo", rel, NULL);
}

typedef struct {
  GPtrArray *paths;
  GArray    *labels;
} Images;

/* The demo's images below @folder, at most @per_class per class, in the scan's order. */
static void
images_load (RelModel *model, const char *folder, int per_class, Images *out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *root = demo_path (folder);
  g_autoptr (RelDataset) ds = rel_dataset_scan (root, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_autofree int *labels = rel_inspect_dataset_labels (model, ds);
  int count[64] = { 0 };
  out->paths = g_ptr_array_new_with_free_func (g_free);
  out->labels = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint i = 0; i < ds->paths->len; i++)
    {
      g_assert_cmpint (labels[i], >=, 0);
      if (count[labels[i]]++ >= per_class)
        continue;
      g_ptr_array_add (out->paths, g_strdup (g_ptr_array_index (ds->paths, i)));
      g_array_append_val (out->labels, labels[i]);
    }
}

static void
images_clear (Images *im)
{
  g_ptr_array_unref (im->paths);
  g_array_unref (im->labels);
}

static gboolean
page_idle (gpointer page)
{
  return !rel_inspect_page_is_busy (REL_INSPECT_PAGE (page));
}

static double
box_iou (const RelRegion *r, const int b[4])
{
  int ix = MAX (0, MIN (r->x + r->width, b[0] + b[2]) - MAX (r->x, b[0]));
  int iy = MAX (0, MIN (r->y + r->height, b[1] + b[3]) - MAX (r->y, b[1]));
  double inter = (double) ix * iy;
  return inter / (r->width * r->height + b[2] * b[3] - inter);
}

/* The core's own figures for the same images and settings. */
static RelInspectResult *
core_run (RelModel *model, const Images *im, int target, const RelRegion *region, RelInspectMode mode, RelFill fill,
          const RelTensor *source, const guint8 *source_mask)
{
  g_autoptr (GError) error = NULL;
  RelInspectRequest req = {
    .model = model, .paths = (const char *const *) im->paths->pdata, .labels = (const int *) im->labels->data,
    .n = (int) im->paths->len, .target = target, .region = region, .mode = mode, .fill = fill,
    .source = source, .source_mask = source_mask,
  };
  RelInspectResult *r = rel_inspect_run (&req, &error);
  g_assert_no_error (error);
  return r;
}

/* Per image and overall, the page's result is the core's. */
static void
assert_same_result (const RelInspectResult *page, const RelInspectResult *core)
{
  g_assert_cmpint (page->n_images, ==, core->n_images);
  for (int i = 0; i < core->n_images; i++)
    {
      g_assert_cmpint (page->images[i].index, ==, core->images[i].index);
      g_assert_cmpint (page->images[i].predicted_before, ==, core->images[i].predicted_before);
      g_assert_cmpint (page->images[i].predicted_after, ==, core->images[i].predicted_after);
      if (!isnan (core->images[i].probability_after))
        g_assert_cmpfloat_with_epsilon (page->images[i].probability_after, core->images[i].probability_after, 1e-12);
      if (!isnan (core->images[i].mass))
        g_assert_cmpfloat_with_epsilon (page->images[i].mass, core->images[i].mass, 1e-12);
    }
#define SAME(f) g_assert_true ((isnan (page->f) && isnan (core->f)) || fabs (page->f - core->f) <= 1e-12)
  SAME (relevance_mass);
  SAME (rank_accuracy);
  SAME (accuracy_before);
  SAME (accuracy_after);
  SAME (mean_delta_probability);
  SAME (flip_rate);
#undef SAME
  g_assert_cmpint (page->flip_candidates, ==, core->flip_candidates);
  for (int c = 0; c < core->n_classes; c++)
    {
      g_assert_cmpint (page->per_class[c].images, ==, core->per_class[c].images);
      g_assert_true ((isnan (page->per_class[c].flip_rate) && isnan (core->per_class[c].flip_rate))
                     || fabs (page->per_class[c].flip_rate - core->per_class[c].flip_rate) <= 1e-12);
      g_assert_true ((isnan (page->per_class[c].mass) && isnan (core->per_class[c].mass))
                     || fabs (page->per_class[c].mass - core->per_class[c].mass) <= 1e-12);
    }
}

static gboolean
is_canvas (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_DRAWING_AREA (widget) && g_strcmp0 (gtk_widget_get_tooltip_text (widget), "Drag to mark the region") == 0;
}

static void
on_use_model (RelInspectPage *page, const char *path, gpointer data)
{
  g_free (*(char **) data);
  *(char **) data = g_strdup (path);
}

static void
test_demo (void)
{
  g_autofree char *model_path = demo_path ("model.onnx");
  if (!g_file_test (model_path, G_FILE_TEST_EXISTS))
    {
      fixture_missing ("data/demo is not there (%s)", model_path);
      return;
    }
  g_autoptr (GError) error = NULL;
  RelModel *model = rel_model_load (model_path, &error);
  g_assert_no_error (error);
  int target = rel_inspect_find_class (model, g_hash_table_lookup (model->metadata, "clever_hans.class"));
  g_assert_cmpint (target, >=, 0);
  int box[4];
  g_assert_cmpint (sscanf (g_hash_table_lookup (model->metadata, "clever_hans.box"), "%d,%d,%d,%d", &box[0], &box[1],
                           &box[2], &box[3]), ==, 4);

  /* the suspicious strategy: the tagged Sandals; the reference: clean images of every class */
  Images all_tagged, reference;
  images_load (model, "images/tagged", 1000, &all_tagged);
  images_load (model, "images/clean", REFERENCE_PER_CLASS, &reference);
  Images cluster = { g_ptr_array_new_with_free_func (g_free), g_array_new (FALSE, FALSE, sizeof (int)) };
  for (guint i = 0; i < all_tagged.paths->len; i++)
    if (g_array_index (all_tagged.labels, int, i) == target)
      {
        g_ptr_array_add (cluster.paths, g_strdup (g_ptr_array_index (all_tagged.paths, i)));
        g_array_append_val (cluster.labels, target);
      }
  g_assert_cmpuint (cluster.paths->len, >=, 20);

  GtkWidget *window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1180, 860);
  RelInspectPage *page = REL_INSPECT_PAGE (rel_inspect_page_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
  gtk_window_present (GTK_WINDOW (window));
  g_autofree char *used_model = NULL;
  g_signal_connect (page, "use-model", G_CALLBACK (on_use_model), &used_model);

  /* nothing to inspect yet: the steps refuse with a reason */
  g_assert_false (rel_inspect_page_suggest (page));
  g_assert_nonnull (strstr (rel_inspect_page_get_status (page), "cluster"));

  rel_inspect_page_set_model (page, model);
  rel_inspect_page_set_cluster (page, "Tagged Sandals", target, (const char *const *) cluster.paths->pdata,
                                (const int *) cluster.labels->data, (int) cluster.paths->len);
  rel_inspect_page_set_reference (page, (const char *const *) reference.paths->pdata,
                                  (const int *) reference.labels->data, (int) reference.paths->len);
  ui_test_wait_for_frame (window);
  g_assert_false (rel_inspect_page_run (page, REL_INSPECT_MASS));
  g_assert_nonnull (strstr (rel_inspect_page_get_status (page), "region"));

  /* 1: the suggestion covers the tag, and is the CLI's (rel_inspect_suggest) */
  g_assert_true (rel_inspect_page_suggest (page));
  g_assert_true (rel_inspect_page_is_busy (page));
  ui_test_wait_until (page_idle, page, WAIT_SECONDS, "the suggestion");
  g_assert_null (rel_inspect_page_get_error (page));
  const RelRegion *suggested = rel_inspect_page_get_region (page);
  g_assert_nonnull (suggested);
  double iou = box_iou (suggested, box);
  {
    RelInspectRequest req = { .model = model, .paths = (const char *const *) cluster.paths->pdata,
                              .labels = (const int *) cluster.labels->data, .n = (int) cluster.paths->len,
                              .target = target };
    int used = 0;
    g_autoptr (RelRegion) core = rel_inspect_suggest (&req, 0.5, &used, &error);
    g_assert_no_error (error);
    g_test_message ("suggested %d,%d,%d,%d from %d images: IoU %.3f with the tag's box", suggested->x, suggested->y,
                    suggested->width, suggested->height, used, iou);
    /* the demo's images are the input grid: the box maps onto itself */
    g_assert_cmpint (suggested->x, ==, core->x);
    g_assert_cmpint (suggested->y, ==, core->y);
    g_assert_cmpint (suggested->width, ==, core->width);
    g_assert_cmpint (suggested->height, ==, core->height);
    g_assert_cmpint (rel_inspect_page_get_suggest_images (page), ==, used);
  }
  g_assert_cmpfloat (iou, >=, 0.5);
  /* the shown image is the one whose prediction needs the region most */
  int source = rel_inspect_page_get_source (page);
  {
    int pick = rel_inspect_pick_source (model, (const char *const *) cluster.paths->pdata,
                                        (const int *) cluster.labels->data, (int) cluster.paths->len, target, suggested,
                                        REL_FILL_INPAINT, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (source, ==, pick);
  }

  /* the tag's own box, typed as the user would */
  GtkEntry *entry = GTK_ENTRY (ui_test_find_descendant (GTK_WIDGET (page), GTK_TYPE_ENTRY));
  gtk_editable_set_text (GTK_EDITABLE (entry), "15,15,12");
  g_signal_emit_by_name (entry, "activate");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (entry), "error"));
  g_assert_true (rel_inspect_page_get_region (page) == suggested);
  g_autofree char *typed = g_strdup_printf ("%d, %d, %d, %d", box[0], box[1], box[2], box[3]);
  gtk_editable_set_text (GTK_EDITABLE (entry), typed);
  g_signal_emit_by_name (entry, "activate");
  const RelRegion *region = rel_inspect_page_get_region (page);
  g_assert_cmpint (region->x, ==, box[0]);
  g_assert_cmpint (region->width, ==, box[2]);
  g_autoptr (RelRegion) tag = rel_region_copy (region);

  /* dragging on the canvas marks the input pixels under the drag: from the
   * middle of pixel (3, 4) to the middle of pixel (9, 6) is the box 3,4,7,3 */
  {
    GtkWidget *canvas = ui_test_find_widget (GTK_WIDGET (page), is_canvas, NULL);
    g_assert_nonnull (canvas);
    ui_test_wait_for_frame (window);
    double w = gtk_widget_get_width (canvas), h = gtk_widget_get_height (canvas);
    double s = MIN (w / 28, h / 28), ox = (w - 28 * s) / 2, oy = (h - 28 * s) / 2;
    g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (canvas);
    GtkGesture *drag = NULL;
    for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
      {
        g_autoptr (GObject) c = g_list_model_get_item (controllers, i);
        if (GTK_IS_GESTURE_DRAG (c))
          drag = GTK_GESTURE (c);
      }
    g_assert_nonnull (drag);
    double x0 = ox + 3.5 * s, y0 = oy + 4.5 * s, x1 = ox + 9.5 * s, y1 = oy + 6.5 * s;
    g_signal_emit_by_name (drag, "drag-begin", x0, y0);
    g_signal_emit_by_name (drag, "drag-update", (x1 - x0) / 2, (y1 - y0) / 2);
    g_signal_emit_by_name (drag, "drag-end", x1 - x0, y1 - y0);
    const RelRegion *drawn = rel_inspect_page_get_region (page);
    g_test_message ("dragged %d,%d,%d,%d", drawn->x, drawn->y, drawn->width, drawn->height);
    g_assert_cmpint (drawn->x, ==, 3);
    g_assert_cmpint (drawn->y, ==, 4);
    g_assert_cmpint (drawn->width, ==, 7);
    g_assert_cmpint (drawn->height, ==, 3);
    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "3, 4, 7, 3");
    rel_inspect_page_set_region (page, tag);
  }

  /* regions round-trip through JSON; a hostile file leaves the region alone */
  {
    g_autofree char *dir = g_dir_make_tmp ("inspect-page-XXXXXX", &error);
    g_autofree char *file = g_build_filename (dir, "tag.json", NULL);
    g_autofree char *bad = g_build_filename (dir, "bad.json", NULL);
    g_assert_true (rel_inspect_page_save_region (page, file, &error));
    g_assert_no_error (error);
    rel_inspect_page_set_region (page, NULL);
    g_assert_null (rel_inspect_page_get_region (page));
    g_assert_true (rel_inspect_page_load_region (page, file, &error));
    g_assert_no_error (error);
    g_assert_cmpint (rel_inspect_page_get_region (page)->y, ==, box[1]);
    g_assert_true (g_file_set_contents (bad, "{\"format\":\"relevance-region\",\"version\":1,\"kind\":\"rect\",\"x\":1}", -1, NULL));
    g_assert_false (rel_inspect_page_load_region (page, bad, &error));
    g_assert_nonnull (error);
    g_test_message ("hostile region file: %s", error->message);
    g_clear_error (&error);
    g_assert_cmpint (rel_inspect_page_get_region (page)->x, ==, box[0]);
    /* a region outside the image does not fit and is refused */
    g_autoptr (RelRegion) far = rel_region_new_rect (100, 100, 5, 5, NULL);
    g_assert_true (rel_region_save_json (far, NULL, bad, NULL));
    g_assert_false (rel_inspect_page_load_region (page, bad, &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
    rel_inspect_page_set_region (page, tag);
    g_unlink (file);
    g_unlink (bad);
    g_rmdir (dir);
  }

  /* 2: relevance mass over the cluster, as the core measures it */
  g_assert_true (rel_inspect_page_run (page, REL_INSPECT_MASS));
  ui_test_wait_until (page_idle, page, WAIT_SECONDS, "the relevance mass");
  g_assert_null (rel_inspect_page_get_error (page));
  {
    g_autoptr (RelInspectResult) core = core_run (model, &cluster, target, tag, REL_INSPECT_MASS, 0, NULL, NULL);
    const RelInspectResult *r = rel_inspect_page_get_result (page, REL_INSPECT_MASS);
    g_test_message ("mass on %d tagged Sandals: %.3f (rank %.3f)", r->n_images, r->relevance_mass, r->rank_accuracy);
    assert_same_result (r, core);
    g_assert_cmpfloat (r->relevance_mass, >=, 0.35);
    /* the contrast: the clean Sandals of the reference put far less on the tag's box */
    Images clean_class = { g_ptr_array_new_with_free_func (g_free), g_array_new (FALSE, FALSE, sizeof (int)) };
    for (guint i = 0; i < reference.paths->len; i++)
      if (g_array_index (reference.labels, int, i) == target)
        {
          g_ptr_array_add (clean_class.paths, g_strdup (g_ptr_array_index (reference.paths, i)));
          g_array_append_val (clean_class.labels, target);
        }
    g_autoptr (RelInspectResult) core_ref = core_run (model, &clean_class, target, tag, REL_INSPECT_MASS, 0, NULL, NULL);
    const RelInspectResult *rm = rel_inspect_page_get_reference_mass (page);
    g_test_message ("mass on %d clean Sandals of the reference: %.3f", rm->n_images, rm->relevance_mass);
    g_assert_cmpint (rm->n_images, ==, core_ref->n_images);
    g_assert_cmpfloat_with_epsilon (rm->relevance_mass, core_ref->relevance_mass, 1e-12);
    g_assert_cmpfloat (rm->relevance_mass, <, r->relevance_mass - 0.15);
    images_clear (&clean_class);
  }

  /* 3: removing the tag lowers the Sandal probability */
  rel_inspect_page_set_fill (page, REL_FILL_ZERO);
  g_assert_true (rel_inspect_page_run (page, REL_INSPECT_REMOVE));
  ui_test_wait_until (page_idle, page, WAIT_SECONDS, "the removal");
  g_assert_null (rel_inspect_page_get_error (page));
  {
    g_autoptr (RelInspectResult) core = core_run (model, &cluster, target, tag, REL_INSPECT_REMOVE, REL_FILL_ZERO, NULL, NULL);
    const RelInspectResult *r = rel_inspect_page_get_result (page, REL_INSPECT_REMOVE);
    g_test_message ("zero fill on %d tagged Sandals: accuracy %.3f → %.3f, mean Δp %+.3f", r->n_images,
                    r->accuracy_before, r->accuracy_after, r->mean_delta_probability);
    assert_same_result (r, core);
    g_assert_cmpint (r->n_images, ==, (int) cluster.paths->len);
    g_assert_cmpfloat (r->mean_delta_probability, <, -0.1);
    g_assert_cmpfloat (r->accuracy_after, <, r->accuracy_before);
  }

  /* 4: transplanting the shown image's tag flips clean images to Sandal */
  g_assert_true (rel_inspect_page_run (page, REL_INSPECT_TRANSPLANT));
  int grew = 0, last = 0;
  while (rel_inspect_page_is_busy (page))
    {
      g_main_context_iteration (NULL, TRUE);
      const RelInspectResult *r = rel_inspect_page_get_result (page, REL_INSPECT_TRANSPLANT);
      if (r->n_images != last && rel_inspect_page_is_busy (page))
        grew++;
      last = r->n_images;
    }
  g_assert_null (rel_inspect_page_get_error (page));
  {
    g_autofree guint8 *mask = NULL;
    g_autoptr (RelTensor) src = rel_inspect_load (model, g_ptr_array_index (cluster.paths, source), tag, &mask, &error);
    g_assert_no_error (error);
    g_autoptr (RelInspectResult) core = core_run (model, &reference, target, tag, REL_INSPECT_TRANSPLANT, 0, src, mask);
    const RelInspectResult *r = rel_inspect_page_get_result (page, REL_INSPECT_TRANSPLANT);
    g_test_message ("transplant into %d clean images: flip rate %.3f of %d, mean Δp %+.3f; %d partial updates",
                    r->n_images, r->flip_rate, r->flip_candidates, r->mean_delta_probability, grew);
    assert_same_result (r, core);
    g_assert_cmpint (r->n_images, ==, 9 * REFERENCE_PER_CLASS);
    g_assert_cmpfloat (r->flip_rate, >=, 0.7);
  }

  /* a step cancelled at once delivers nothing more */
  g_assert_true (rel_inspect_page_run (page, REL_INSPECT_TRANSPLANT));
  rel_inspect_page_cancel (page);
  g_assert_false (rel_inspect_page_is_busy (page));
  g_assert_cmpstr (rel_inspect_page_get_status (page), ==, "Cancelled.");
  int n_after_cancel = rel_inspect_page_get_result (page, REL_INSPECT_TRANSPLANT)->n_images;
  {
    gboolean waited = FALSE;
    g_timeout_add (300, ui_test_set_flag, &waited);
    ui_test_wait_until (ui_test_flag_set, &waited, 10, "a pause after the cancel");
  }
  g_assert_cmpint (rel_inspect_page_get_result (page, REL_INSPECT_TRANSPLANT)->n_images, ==, n_after_cancel);
  /* run it again for the screenshot */
  g_assert_true (rel_inspect_page_run (page, REL_INSPECT_TRANSPLANT));
  ui_test_wait_until (page_idle, page, WAIT_SECONDS, "the transplant again");

  /* 5: P-ClArC at the last pooling layer stops the flips on held-out images */
  rel_inspect_page_set_correction (page, REL_CLARC_P, "MaxPool_5");
  g_assert_true (rel_inspect_page_correct (page));
  ui_test_wait_until (page_idle, page, WAIT_SECONDS, "the correction");
  g_assert_null (rel_inspect_page_get_error (page));
  const RelClarcResult *c = rel_inspect_page_get_correction (page);
  g_assert_nonnull (c);
  g_test_message ("P-ClArC at %s (CAV accuracy %.3f): clean %.3f → %.3f, flip %.3f → %.3f, mass %.3f → %.3f", c->layer,
                  c->cav_accuracy, c->before.clean_accuracy, c->after.clean_accuracy, c->before.flip_rate,
                  c->after.flip_rate, c->before.relevance_mass, c->after.relevance_mass);
  g_assert_cmpstr (c->layer, ==, "MaxPool_5");
  g_assert_cmpfloat (c->before.flip_rate, >=, 0.5);
  g_assert_cmpfloat (c->after.flip_rate, <=, 0.05);
  g_assert_cmpfloat (c->after.clean_accuracy, >=, c->before.clean_accuracy - 0.05);
  g_assert_cmpfloat (c->after.relevance_mass, <, c->before.relevance_mass);
  g_assert_nonnull (c->corrected);
  {
    /* the shown image's heatmap before and after: the first is the model's
     * own (rel_explain here), and the corrected model puts less on the tag */
    const float *before = NULL, *after = NULL;
    int hw = 0, hh = 0, n_in = 0;
    g_assert_true (rel_inspect_page_get_heatmaps (page, &before, &after, &hw, &hh));
    g_autoptr (RelTensor) x = rel_inspect_load (model, g_ptr_array_index (cluster.paths, source), NULL, NULL, &error);
    g_assert_no_error (error);
    const RelMethodDef *method = rel_method_lookup (REL_INSPECT_DEFAULT_METHOD);
    g_autoptr (RelParams) params = rel_params_new (method);
    RelExplainRequest er = { .model = model, .input = x, .params = params };
    er.target.kind = REL_TARGET_CLASS;
    er.target.a = target;
    g_autoptr (RelExplanation) e = rel_explain (method, &er, &error);
    g_assert_no_error (error);
    g_assert_cmpint (hw * hh, ==, (int) (e->relevance->shape[2] * e->relevance->shape[3]));
    double mx = 0, diff = 0;
    for (int p = 0; p < hw * hh; p++)
      {
        double v = 0;
        for (int ch = 0; ch < e->relevance->shape[1]; ch++)
          v += rel_tensor_f32 (e->relevance)[ch * hw * hh + p];
        mx = MAX (mx, fabs (v));
        diff = MAX (diff, fabs (v - before[p]));
      }
    g_assert_cmpfloat (diff, <=, 1e-5 * mx);
    g_autofree guint8 *m = rel_region_input_mask (tag, 28, 28, &model->preprocess, &n_in, &error);
    g_assert_no_error (error);
    RelRegionScore sb = rel_region_score (before, 1, hh, hw, m), sa = rel_region_score (after, 1, hh, hw, m);
    g_test_message ("the shown image's relevance mass on the tag: %.3f before, %.3f after", sb.mass, sa.mass);
    g_assert_cmpfloat (sa.mass, <, sb.mass - 0.1);
  }
  const char *shot = g_getenv ("INSPECT_SCREENSHOT");
  if (shot)
    {
      /* the steps scrolled to the correction, the last one */
      GtkLabel *head = ui_test_find_label (GTK_WIDGET (page), "5  Correct the model");
      g_assert_nonnull (head);
      GtkWidget *sw = gtk_widget_get_ancestor (GTK_WIDGET (head), GTK_TYPE_SCROLLED_WINDOW);
      ui_test_wait_for_frame (window);
      GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (sw));
      gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
      ui_test_wait_for_frame (window);
      ui_test_wait_for_frame (window);
      g_assert_true (rel_widget_save_png (window, shot, &error));
      g_assert_no_error (error);
    }

  /* "Use Corrected Model" writes it (on the job runner) and hands the window its path */
  GtkWidget *use = GTK_WIDGET (ui_test_find_label (GTK_WIDGET (page), "Use Corrected Model"));
  g_assert_nonnull (use);
  GtkWidget *button = gtk_widget_get_ancestor (use, GTK_TYPE_BUTTON);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  ui_test_wait_until (page_idle, page, WAIT_SECONDS, "writing the corrected model");
  g_assert_null (rel_inspect_page_get_error (page));
  g_assert_nonnull (used_model);
  g_assert_true (g_str_has_prefix (used_model, g_get_user_cache_dir ()));
  {
    /* the file is the correction: it reloads with the projection recorded, and
     * "Save Corrected Model" writes the same bytes */
    RelModel *back = rel_model_load (used_model, &error);
    g_assert_no_error (error);
    g_assert_nonnull (g_hash_table_lookup (back->metadata, "clarc.layer"));
    g_assert_cmpstr (g_hash_table_lookup (back->metadata, "clarc.layer"), ==, "MaxPool_5");
    rel_model_unref (back);
    g_autofree char *saved = g_build_filename (g_get_user_cache_dir (), "saved.onnx", NULL);
    g_assert_true (rel_inspect_page_save_corrected (page, saved));
    ui_test_wait_until (page_idle, page, WAIT_SECONDS, "saving the corrected model");
    g_autofree char *a = NULL, *b = NULL;
    gsize la = 0, lb = 0;
    g_assert_true (g_file_get_contents (used_model, &a, &la, NULL));
    g_assert_true (g_file_get_contents (saved, &b, &lb, NULL));
    g_assert_cmpmem (a, la, b, lb);
    g_unlink (saved);
    g_unlink (used_model);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  images_clear (&all_tagged);
  images_clear (&reference);
  images_clear (&cluster);
  rel_model_unref (model);
}

int
main (int argc, char **argv)
{
  /* "Use Corrected Model" writes below the user's cache: a fresh one per run */
  g_autofree char *cache = g_dir_make_tmp ("inspect-page-cache-XXXXXX", NULL);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  if (!ui_test_init_app (&argc, &argv))
    return 0;
  g_test_add_func ("/inspect-page/demo", test_demo);
  int status = g_test_run ();
  ui_test_remove_tree (cache);
  return status;
}
