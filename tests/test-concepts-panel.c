/* test-concepts-panel.c — the Concepts panel on the bundled demo model
 * (data/demo) and a tagged image: its layer list and default, its rows'
 * channels and relevances against rel_concepts_compute on the same input, a
 * clicked row's conditional heatmap on the canvas against
 * rel_concept_heatmaps, "Full Map" back, and the rows replaced when the image
 * changes. Writes concepts-panel.png to look at.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include "ui-test-util.h"

#include "rel-colormap.h"
#include "rel-concepts-panel.h"
#include "rel-concepts.h"
#include "rel-image.h"

#include <adwaita.h>
#include <math.h>

#define METHOD "lrp-epsilon-plus-flat"

static char *
demo_path (const char *rel)
{
  return g_build_filename (g_getenv ("G_TEST_SRCDIR") ? g_getenv ("G_TEST_SRCDIR") : ".", "..", "data", "demo",
                           rel, NULL);
}

typedef struct {
  RelModel         *model;
  RelParams        *params;
  RelTensor        *input;
  RelRelevancePass *pass;
  int               value;
  GArray           *top;   /* the reference ranking */
} Reference;

static void
reference_clear (Reference *r)
{
  g_clear_pointer (&r->top, g_array_unref);
  g_clear_pointer (&r->pass, rel_relevance_pass_free);
  g_clear_pointer (&r->input, rel_tensor_unref);
}

/* The core's answer for @image, computed here without the panel. */
static void
reference_compute (Reference *r, const char *image)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) all = NULL;
  RelExplainRequest req = { 0 };
  int node = -1;

  reference_clear (r);
  r->input = rel_input_load (r->model, image, &error);
  g_assert_no_error (error);
  req.model = r->model;
  req.input = r->input;
  req.params = r->params;
  r->pass = rel_relevance_pass_new (NULL, &req, &error);
  g_assert_no_error (error);
  g_assert_true (rel_concept_resolve_layer (r->model, NULL, &node, &r->value, &error));
  all = rel_concepts_compute (r->pass, r->value, NULL, &error);
  g_assert_no_error (error);
  r->top = rel_concepts_top (all, 6, REL_CONCEPT_RANK_ABS);
}

static gboolean
panel_ready (gpointer data)
{
  RelConceptsPanel *panel = data;
  return !rel_concepts_panel_get_busy (panel) && rel_concepts_panel_get_n_rows (panel) > 0;
}

static void
assert_rows_match (RelConceptsPanel *panel, const Reference *r)
{
  g_assert_cmpint (rel_concepts_panel_get_n_rows (panel), ==, (int) r->top->len);
  for (guint k = 0; k < r->top->len; k++)
    {
      const RelConcept *c = &g_array_index (r->top, RelConcept, k);
      GtkLabel *label = g_object_get_data (G_OBJECT (rel_concepts_panel_get_row (panel, k)), "rel-relevance");
      g_autofree char *text = g_strdup_printf ("%.4g", c->relevance);
      double got = rel_concepts_panel_get_relevance (panel, k);

      g_assert_cmpint (rel_concepts_panel_get_channel (panel, k), ==, c->channel);
      g_assert_cmpfloat (fabs (got - c->relevance), <=, 1e-6 * MAX (1.0, fabs (c->relevance)));
      g_assert_cmpstr (gtk_label_get_text (label), ==, text);
      if (g_test_verbose ())
        g_printerr ("rank %u: channel %d relevance %.9g (panel %.9g) share %.4f\n", k, c->channel, c->relevance,
                    got, c->share);
    }
}

/* max |view map − @expected's channel sum|, relative to max |expected| */
static double
view_error (RelHeatmapView *view, const RelTensor *expected)
{
  int w = 0, h = 0, ew = 0, eh = 0;
  const float *got = rel_heatmap_view_get_map (view, &w, &h);
  g_autofree float *want = rel_relevance_map (expected, &ew, &eh, NULL);
  double err = 0, peak = 0;

  g_assert_nonnull (got);
  g_assert_cmpint (w, ==, ew);
  g_assert_cmpint (h, ==, eh);
  for (int i = 0; i < w * h; i++)
    {
      err = MAX (err, fabs ((double) got[i] - want[i]));
      peak = MAX (peak, fabs (want[i]));
    }
  g_assert_cmpfloat (peak, >, 0);
  return err / peak;
}

static void
test_concepts_panel (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *model_path = demo_path ("model.onnx");
  g_autofree char *tagged = demo_path ("images/tagged/Coat/00006.png");
  g_autofree char *clean = demo_path ("images/clean/Sandal/00008.png");
  g_autofree char *png = ui_test_output_path ("concepts-panel.png");
  g_autoptr (RelWorkspace) ws = rel_workspace_new ();
  g_auto (GStrv) layers = NULL;
  Reference r = { 0 };
  GtkWidget *window, *box, *view, *panel_widget, *scroller;
  RelConceptsPanel *panel;
  RelTarget predicted = { REL_TARGET_PREDICTED, 0, 0, FALSE };
  int def;

  r.model = rel_model_load (model_path, &error);
  g_assert_no_error (error);
  r.params = rel_params_new (rel_method_lookup (METHOD));
  reference_compute (&r, tagged);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 760, 640);
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  view = rel_heatmap_view_new ();
  gtk_widget_set_hexpand (view, TRUE);
  panel_widget = rel_concepts_panel_new ();
  panel = REL_CONCEPTS_PANEL (panel_widget);
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_size_request (scroller, 380, -1);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), panel_widget);
  gtk_box_append (GTK_BOX (box), view);
  gtk_box_append (GTK_BOX (box), scroller);
  gtk_window_set_child (GTK_WINDOW (window), box);

  /* the workspace as the window fills it: model, image, method, target, full map */
  rel_workspace_set_model (ws, r.model, "demo");
  rel_workspace_set_params (ws, r.params);
  rel_workspace_set_target (ws, &predicted);
  rel_workspace_set_image (ws, tagged, r.input);
  rel_workspace_set_relevance (ws, rel_relevance_pass_input_map (r.pass));
  g_assert_true (rel_heatmap_view_set_input (REL_HEATMAP_VIEW (view), r.input, &r.model->preprocess, &error));
  g_assert_true (rel_heatmap_view_set_relevance (REL_HEATMAP_VIEW (view), rel_relevance_pass_input_map (r.pass),
                                                 &error));
  rel_concepts_panel_set_view (panel, REL_HEATMAP_VIEW (view));
  rel_concepts_panel_set_workspace (panel, ws);
  gtk_window_present (GTK_WINDOW (window));

  /* every Conv/Gemm/MatMul layer listed, the default chosen */
  layers = rel_concept_layers (r.model);
  def = rel_concept_default_layer (r.model);
  g_assert_cmpint (def, >=, 0);
  {
    GListModel *listed = adw_combo_row_get_model (ADW_COMBO_ROW (rel_concepts_panel_get_layer_row (panel)));
    g_assert_cmpuint (g_list_model_get_n_items (listed), ==, g_strv_length (layers));
    for (guint k = 0; layers[k]; k++)
      g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (listed), k), ==, layers[k]);
    g_assert_cmpstr (rel_concepts_panel_get_layer (panel), ==, r.model->nodes[def].name);
  }

  /* collapsed, it computes nothing */
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (rel_concepts_panel_get_busy (panel));
  g_assert_cmpint (rel_concepts_panel_get_n_rows (panel), ==, 0);

  rel_concepts_panel_set_expanded (panel, TRUE);
  ui_test_wait_until (panel_ready, panel, 10, "the concepts of the tagged image");
  assert_rows_match (panel, &r);

  /* row 1 (the top concept) puts exactly its conditional heatmap on the canvas */
  for (int rank = 0; rank < 2; rank++)
    {
      int channel = g_array_index (r.top, RelConcept, rank).channel;
      g_autoptr (RelTensor) maps = rel_concept_heatmaps (r.pass, r.value, &channel, 1, &error);
      g_assert_no_error (error);
      gtk_widget_activate (rel_concepts_panel_get_row (panel, rank));
      g_assert_cmpint (rel_concepts_panel_get_shown (panel), ==, rank);
      g_assert_true (gtk_widget_get_sensitive (rel_concepts_panel_get_back_button (panel)));
      double err = view_error (REL_HEATMAP_VIEW (view), maps);
      double err_full = view_error (REL_HEATMAP_VIEW (view), rel_relevance_pass_input_map (r.pass));
      if (g_test_verbose ())
        g_printerr ("rank %d (channel %d): canvas vs its conditional map %.3g, vs the full map %.3g\n", rank,
                    channel, err, err_full);
      g_assert_cmpfloat (err, <=, 1e-6);
      g_assert_cmpfloat (err_full, >, 1e-3);
    }
  ui_test_save_png (window, png);
  g_test_message ("screenshot: %s", png);

  /* Full Map: the workspace's relevance back */
  g_signal_emit_by_name (rel_concepts_panel_get_back_button (panel), "clicked");
  g_assert_cmpint (rel_concepts_panel_get_shown (panel), ==, -1);
  g_assert_cmpfloat (view_error (REL_HEATMAP_VIEW (view), rel_relevance_pass_input_map (r.pass)), <=, 1e-7);

  /* another image: the rows are replaced by that image's concepts */
  reference_compute (&r, clean);
  rel_workspace_set_image (ws, clean, r.input);
  g_assert_cmpint (rel_concepts_panel_get_n_rows (panel), ==, 0);
  ui_test_wait_until (panel_ready, panel, 10, "the concepts of the clean image");
  assert_rows_match (panel, &r);

  gtk_window_destroy (GTK_WINDOW (window));
  reference_clear (&r);
  rel_params_free (r.params);
  rel_model_unref (r.model);
}

int
main (int argc, char **argv)
{
  if (!ui_test_init_app (&argc, &argv))
    return 0;
  g_test_add_func ("/concepts-panel/demo", test_concepts_panel);
  return g_test_run ();
}
