/* test-panels.c — the explainer panel's generated parameter rows and the
 * prediction panel's top-k list and targets, driven through their widgets.
 *
 * Set RELEVANCE_PANELS_PNG=<dir> to also write renderings of both panels.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include "ui-test-util.h"

#include "rel-error.h"
#include "rel-explainer-panel.h"
#include "rel-prediction-panel.h"
#include "rel-render.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

/* ---- helpers ---- */

typedef struct {
  int        count;
  RelParams *last;
  gint64     at;       /* monotonic time of the last emission */
} Emissions;

static void
on_params_changed (RelExplainerPanel *panel, RelParams *params, Emissions *e)
{
  e->count++;
  g_clear_pointer (&e->last, rel_params_free);
  e->last = rel_params_copy (params);
  e->at = g_get_monotonic_time ();
}

static void
emissions_clear (Emissions *e)
{
  g_clear_pointer (&e->last, rel_params_free);
  e->count = 0;
}

/* Runs the main loop until @e has counted @n emissions (or a second passed). */
static void
wait_emissions (Emissions *e, int n)
{
  gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

  while (e->count < n && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
}

static void
spin_loop (int ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

/* Every widget under @w carrying "rel-param", by name → count. */
static void
count_param_rows (GtkWidget *w, GHashTable *counts)
{
  const char *name = g_object_get_data (G_OBJECT (w), "rel-param");

  if (name)
    g_hash_table_insert (counts, (gpointer) name,
                         GINT_TO_POINTER (GPOINTER_TO_INT (g_hash_table_lookup (counts, name)) + 1));
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    count_param_rows (c, counts);
}

static GtkWidget *
row_control (RelExplainerPanel *panel, const char *key, const char *what)
{
  GtkWidget *row = rel_explainer_panel_get_row (panel, key);
  GtkWidget *w;

  g_assert_nonnull (row);
  w = g_object_get_data (G_OBJECT (row), what);
  g_assert_nonnull (w);
  return w;
}

static GtkWidget *
window_with (GtkWidget *child, int width)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_NEVER);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), child);
  gtk_window_set_child (GTK_WINDOW (window), scroller);
  gtk_window_set_default_size (GTK_WINDOW (window), width, 900);
  return window;
}

static void
assert_close (double got, double want, double rel)
{
  if (!(fabs (got - want) <= rel * MAX (fabs (want), 1e-300)))
    g_error ("got %.17g, expected %.17g (relative tolerance %g)", got, want, rel);
}

/* ---- explainer panel ---- */

/* Every method of the table gets exactly one row per parameter, showing the
 * spec's default, and get_params returns the defaults. */
static void
test_every_method_defaults (void)
{
  RelExplainerPanel *panel = REL_EXPLAINER_PANEL (rel_explainer_panel_new ());
  int n_methods = 0, n_rows_total = 0;

  g_object_ref_sink (panel);
  for (const RelMethodDef *const *mp = rel_methods (); *mp; mp++)
    {
      const RelMethodDef *m = *mp;
      g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr(RelParams) params = NULL;

      g_assert_true (rel_explainer_panel_set_method (panel, m->name));
      g_assert_true (rel_explainer_panel_get_method (panel) == m);
      g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (rel_explainer_panel_get_method_row (panel))),
                        ==, (guint) n_methods);
      count_param_rows (GTK_WIDGET (panel), counts);
      g_assert_cmpuint (g_hash_table_size (counts), ==, (guint) m->n_params);
      params = rel_explainer_panel_get_params (panel);
      g_assert_true (rel_params_method (params) == m);
      for (int i = 0; i < m->n_params; i++)
        {
          const RelParamSpec *s = &m->params[i];
          const char *def = s->def_string ? s->def_string : (s->choices ? s->choices[0] : "");

          if (GPOINTER_TO_INT (g_hash_table_lookup (counts, s->name)) != 1)
            g_error ("%s: parameter %s has %d rows", m->name, s->name,
                     GPOINTER_TO_INT (g_hash_table_lookup (counts, s->name)));
          n_rows_total++;
          switch (s->type)
            {
            case REL_PARAM_FLOAT:
            case REL_PARAM_INT:
              {
                GtkSpinButton *spin = GTK_SPIN_BUTTON (row_control (panel, s->name, "rel-spin"));
                GtkRange *scale = GTK_RANGE (row_control (panel, s->name, "rel-scale"));
                double pos = gtk_range_get_value (scale);
                assert_close (gtk_spin_button_get_value (spin), s->def, 1e-12);
                assert_close (rel_params_get_float (params, s->name), s->def, 1e-12);
                /* the slider sits strictly inside its track where the default does */
                g_assert_cmpfloat (pos, >=, 0);
                g_assert_cmpfloat (pos, <=, 1);
                if (s->def > s->min && s->def < s->max)
                  {
                    g_assert_cmpfloat (pos, >, 0);
                    g_assert_cmpfloat (pos, <, 1);
                  }
                break;
              }
            case REL_PARAM_BOOL:
              g_assert_cmpint (gtk_switch_get_active (GTK_SWITCH (row_control (panel, s->name, "rel-switch"))),
                               ==, s->def != 0);
              g_assert_cmpint (rel_params_get_bool (params, s->name), ==, s->def != 0);
              break;
            case REL_PARAM_CHOICE:
              {
                AdwComboRow *combo = ADW_COMBO_ROW (row_control (panel, s->name, "rel-combo"));
                GtkStringObject *item = adw_combo_row_get_selected_item (combo);
                guint k = adw_combo_row_get_selected (combo);
                /* the row shows the table's written title of the default, not its id */
                g_assert_cmpstr (s->choices[k], ==, def);
                g_assert_cmpstr (gtk_string_object_get_string (item), ==, rel_param_choice_title (s, (int) k));
                g_assert_cmpstr (gtk_string_object_get_string (item), !=, def);
                g_assert_cmpuint (g_list_model_get_n_items (adw_combo_row_get_model (combo)), ==,
                                  g_strv_length ((char **) s->choices));
                g_assert_cmpstr (rel_params_get_string (params, s->name), ==, def);
                break;
              }
            case REL_PARAM_STRING:
              if (strcmp (s->name, "baseline") == 0 || strcmp (s->name, "layer") == 0)
                /* "zeros" and "" (automatic) are the pickers' first entries */
                g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (row_control (panel, s->name, "rel-combo"))),
                                  ==, 0);
              else
                g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row_control (panel, s->name, "rel-entry"))),
                                 ==, def);
              g_assert_cmpstr (rel_params_get_string (params, s->name), ==, def);
              break;
            }
        }
      n_methods++;
    }
  /* the whole table was visited and it has parameters to show */
  g_assert_cmpint (n_methods, >=, 20);
  g_assert_cmpint (n_rows_total, >=, 30);
  g_object_unref (panel);
}

/* A slider move emits once, after the debounce, with the slider's value. */
static void
test_slider_debounced (void)
{
  RelExplainerPanel *panel = REL_EXPLAINER_PANEL (rel_explainer_panel_new ());
  Emissions e = { 0 };
  GtkRange *scale;
  GtkSpinButton *spin;
  gint64 moved;
  const RelParamSpec *sigma;

  g_object_ref_sink (panel);
  g_assert_true (rel_explainer_panel_set_method (panel, "smoothgrad"));
  sigma = rel_method_param (rel_method_lookup ("smoothgrad"), "sigma");
  g_signal_connect (panel, "params-changed", G_CALLBACK (on_params_changed), &e);
  scale = GTK_RANGE (row_control (panel, "sigma", "rel-scale"));
  spin = GTK_SPIN_BUTTON (row_control (panel, "sigma", "rel-spin"));

  /* three quick moves: one emission with the last value */
  gtk_range_set_value (scale, 0.1);
  gtk_range_set_value (scale, 0.3);
  moved = g_get_monotonic_time ();
  gtk_range_set_value (scale, 0.5);
  g_assert_cmpint (e.count, ==, 0);
  wait_emissions (&e, 1);
  g_assert_cmpint (e.count, ==, 1);
  g_assert_cmpint (e.at - moved, >=, (REL_EXPLAINER_PANEL_DEBOUNCE_MS - 5) * 1000);
  /* σ's default 0.15 sits low in [0, 10]: a log slider from 10 · 10⁻⁴ (two
   * decades under the default would be lower still) to 10, whose middle is
   * the geometric mean of the ends */
  assert_close (rel_params_get_float (e.last, "sigma"), sqrt (1e-3 * sigma->max), 1e-9);
  assert_close (gtk_spin_button_get_value (spin), 0.1, 1e-9);
  g_assert_cmpint (rel_params_get_int (e.last, "samples"), ==, 50);
  spin_loop (2 * REL_EXPLAINER_PANEL_DEBOUNCE_MS);
  g_assert_cmpint (e.count, ==, 1);

  /* samples spans five decades: the slider is logarithmic, integers rounded */
  gtk_range_set_value (GTK_RANGE (row_control (panel, "samples", "rel-scale")), 0.5);
  g_assert_true (rel_explainer_panel_flush (panel));   /* as on pointer release */
  g_assert_cmpint (e.count, ==, 2);
  g_assert_cmpint (rel_params_get_int (e.last, "samples"), ==, (int) round (sqrt (1e5)));
  g_assert_false (rel_explainer_panel_flush (panel));

  /* the spin button drives the slider the other way */
  gtk_spin_button_set_value (spin, 2.5);
  assert_close (gtk_range_get_value (scale), log (2.5 / 1e-3) / log (10 / 1e-3), 1e-9);
  /* the left end of a range starting at zero is zero itself */
  gtk_range_set_value (scale, 0);
  assert_close (gtk_spin_button_get_value (spin), 0, 0);
  gtk_spin_button_set_value (spin, 2.5);
  wait_emissions (&e, 3);
  g_assert_cmpint (e.count, ==, 3);
  assert_close (rel_params_get_float (e.last, "sigma"), 2.5, 1e-12);

  /* ε has log_scale: the middle of the track is the geometric mean of its range */
  g_assert_true (rel_explainer_panel_set_method (panel, "lrp-epsilon"));
  g_assert_cmpint (e.count, ==, 4);   /* a method switch emits at once */
  g_assert_true (rel_params_method (e.last) == rel_method_lookup ("lrp-epsilon"));
  gtk_range_set_value (GTK_RANGE (row_control (panel, "epsilon", "rel-scale")), 0.5);
  wait_emissions (&e, 5);
  g_assert_cmpint (e.count, ==, 5);
  assert_close (rel_params_get_float (e.last, "epsilon"), sqrt (1e-12 * 100), 1e-9);

  emissions_clear (&e);
  g_object_unref (panel);
}

/* Switches, drop-downs, the baseline picker and entries emit; values outside
 * the range are clamped. */
static void
test_controls_and_clamping (void)
{
  RelExplainerPanel *panel = REL_EXPLAINER_PANEL (rel_explainer_panel_new ());
  Emissions e = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(RelParams) params = NULL;
  AdwComboRow *baseline;

  g_object_ref_sink (panel);
  g_signal_connect (panel, "params-changed", G_CALLBACK (on_params_changed), &e);

  g_assert_true (rel_explainer_panel_set_method (panel, "smoothgrad"));
  emissions_clear (&e);
  /* typed past the maximum: the spin button's adjustment clamps */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (row_control (panel, "sigma", "rel-spin")), 1e9);
  g_assert_true (rel_explainer_panel_flush (panel));
  assert_close (rel_params_get_float (e.last, "sigma"), 10, 0);
  assert_close (gtk_range_get_value (GTK_RANGE (row_control (panel, "sigma", "rel-scale"))), 1, 1e-12);
  /* the API clamps too, both ends */
  g_assert_true (rel_explainer_panel_set_param (panel, "samples", "1e9", &error));
  g_assert_no_error (error);
  g_assert_true (rel_explainer_panel_set_param (panel, "sigma", "-3", &error));
  g_assert_true (rel_explainer_panel_flush (panel));
  g_assert_cmpint (rel_params_get_int (e.last, "samples"), ==, 100000);
  assert_close (rel_params_get_float (e.last, "sigma"), 0, 0);
  assert_close (gtk_spin_button_get_value (GTK_SPIN_BUTTON (row_control (panel, "samples", "rel-spin"))), 100000, 0);
  /* unknown keys and non-numbers are refused and change nothing */
  g_assert_false (rel_explainer_panel_set_param (panel, "no-such", "1", &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (rel_explainer_panel_set_param (panel, "sigma", "lots", &error));
  g_clear_error (&error);
  params = rel_explainer_panel_get_params (panel);
  assert_close (rel_params_get_float (params, "sigma"), 0, 0);

  /* a switch emits at once */
  g_assert_true (rel_explainer_panel_set_method (panel, "gradcam"));
  emissions_clear (&e);
  gtk_switch_set_active (GTK_SWITCH (row_control (panel, "upsample", "rel-switch")), FALSE);
  g_assert_cmpint (e.count, ==, 1);
  g_assert_false (rel_params_get_bool (e.last, "upsample"));

  /* a choice emits its identifier at once */
  g_assert_true (rel_explainer_panel_set_method (panel, "integrated-gradients"));
  emissions_clear (&e);
  adw_combo_row_set_selected (ADW_COMBO_ROW (row_control (panel, "rule", "rel-combo")), 2);
  g_assert_cmpint (e.count, ==, 1);
  g_assert_cmpstr (rel_params_get_string (e.last, "rule"), ==, "riemann-right");

  /* the baseline picker writes the spec the gradient methods parse */
  baseline = ADW_COMBO_ROW (row_control (panel, "baseline", "rel-combo"));
  adw_combo_row_set_selected (baseline, 2);   /* blurred input */
  g_assert_cmpint (e.count, ==, 2);
  g_assert_cmpstr (rel_params_get_string (e.last, "baseline"), ==, "blur:10");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (row_control (panel, "baseline", "rel-spin")), 3.5);
  wait_emissions (&e, 3);
  g_assert_cmpstr (rel_params_get_string (e.last, "baseline"), ==, "blur:3.5");
  adw_combo_row_set_selected (baseline, 1);   /* constant */
  g_assert_cmpstr (rel_params_get_string (e.last, "baseline"), ==, "constant:3.5");
  adw_combo_row_set_selected (baseline, 4);
  g_assert_cmpstr (rel_params_get_string (e.last, "baseline"), ==, "mean");
  adw_combo_row_set_selected (baseline, 3);
  g_assert_cmpstr (rel_params_get_string (e.last, "baseline"), ==, "uniform");
  /* "Dataset mean" takes the folder open beside the panel without asking */
  rel_explainer_panel_set_image_folder (panel, "/data/open-folder");
  adw_combo_row_set_selected (baseline, 6);
  g_assert_cmpstr (rel_params_get_string (e.last, "baseline"), ==, "mean:/data/open-folder");
  adw_combo_row_set_selected (baseline, 3);
  /* a spec set from outside shows in the picker */
  g_assert_true (rel_explainer_panel_set_param (panel, "baseline", "constant:0.25", NULL));
  baseline = ADW_COMBO_ROW (row_control (panel, "baseline", "rel-combo"));
  g_assert_cmpuint (adw_combo_row_get_selected (baseline), ==, 1);
  assert_close (gtk_spin_button_get_value (GTK_SPIN_BUTTON (row_control (panel, "baseline", "rel-spin"))), 0.25, 1e-12);
  /* the dataset mean: the picker keeps its folder across other choices */
  g_assert_true (rel_explainer_panel_set_param (panel, "baseline", "mean:/data/fashion/train", NULL));
  baseline = ADW_COMBO_ROW (row_control (panel, "baseline", "rel-combo"));
  g_assert_cmpuint (adw_combo_row_get_selected (baseline), ==, 6);
  adw_combo_row_set_selected (baseline, 3);
  g_assert_cmpstr (rel_params_get_string (e.last, "baseline"), ==, "uniform");
  adw_combo_row_set_selected (baseline, 6);
  g_assert_cmpstr (rel_params_get_string (e.last, "baseline"), ==, "mean:/data/fashion/train");

  /* free text is applied with the entry's apply button */
  g_assert_true (rel_explainer_panel_set_method (panel, "expected-gradients"));
  emissions_clear (&e);
  {
    GtkWidget *entry = row_control (panel, "baselines", "rel-entry");
    gtk_editable_set_text (GTK_EDITABLE (entry), "zeros,blur:4");
    g_signal_emit_by_name (entry, "apply");
    g_assert_cmpint (e.count, ==, 1);
    g_assert_cmpstr (rel_params_get_string (e.last, "baselines"), ==, "zeros,blur:4");
  }

  emissions_clear (&e);
  g_object_unref (panel);
}

/* Values are remembered per method; reset restores the defaults. */
static void
test_switch_back_and_reset (void)
{
  RelExplainerPanel *panel = REL_EXPLAINER_PANEL (rel_explainer_panel_new ());
  Emissions e = { 0 };
  g_autoptr(RelParams) p = NULL;

  g_object_ref_sink (panel);
  g_signal_connect (panel, "params-changed", G_CALLBACK (on_params_changed), &e);
  g_assert_true (rel_explainer_panel_set_method (panel, "smoothgrad"));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (row_control (panel, "sigma", "rel-spin")), 2.5);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (row_control (panel, "samples", "rel-spin")), 7);
  g_assert_true (rel_explainer_panel_set_method (panel, "lrp-epsilon"));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (row_control (panel, "epsilon", "rel-spin")), 0.01);
  adw_combo_row_set_selected (ADW_COMBO_ROW (row_control (panel, "initial", "rel-combo")), 1);
  g_assert_true (rel_explainer_panel_set_method (panel, "gradient"));
  g_assert_true (rel_explainer_panel_set_method (panel, "smoothgrad"));
  /* the switch emitted the remembered values, not the defaults */
  assert_close (rel_params_get_float (e.last, "sigma"), 2.5, 1e-12);
  g_assert_cmpint (rel_params_get_int (e.last, "samples"), ==, 7);
  assert_close (gtk_spin_button_get_value (GTK_SPIN_BUTTON (row_control (panel, "sigma", "rel-spin"))), 2.5, 1e-12);
  g_assert_true (rel_explainer_panel_set_method (panel, "lrp-epsilon"));
  p = rel_explainer_panel_get_params (panel);
  assert_close (rel_params_get_float (p, "epsilon"), 0.01, 1e-12);
  g_assert_cmpstr (rel_params_get_string (p, "initial"), ==, "one");
  g_assert_cmpstr (gtk_string_object_get_string (adw_combo_row_get_selected_item (
                     ADW_COMBO_ROW (row_control (panel, "initial", "rel-combo")))), ==, "One (as Zennit)");

  e.count = 0;
  rel_explainer_panel_reset (panel);
  g_assert_cmpint (e.count, ==, 1);
  assert_close (rel_params_get_float (e.last, "epsilon"), 1e-6, 1e-12);
  g_assert_cmpstr (rel_params_get_string (e.last, "initial"), ==, "logit");
  assert_close (gtk_spin_button_get_value (GTK_SPIN_BUTTON (row_control (panel, "epsilon", "rel-spin"))), 1e-6, 1e-12);
  /* resetting one method leaves the others' values */
  g_assert_true (rel_explainer_panel_set_method (panel, "smoothgrad"));
  assert_close (rel_params_get_float (e.last, "sigma"), 2.5, 1e-12);

  emissions_clear (&e);
  g_object_unref (panel);
}

/* The layer drop-down offers the model's Conv nodes after the automatic choice. */
static void
test_layer_from_model (void)
{
  RelExplainerPanel *panel = REL_EXPLAINER_PANEL (rel_explainer_panel_new ());
  Emissions e = { 0 };
  RelModel *model = ui_test_load_fixture ("tiny-resnet");
  AdwComboRow *combo;
  GListModel *layers;
  int n_conv = 0, first_conv = -1;

  for (int n = 0; n < model->n_nodes; n++)
    if (strcmp (model->nodes[n].op_type, "Conv") == 0)
      {
        if (first_conv < 0)
          first_conv = n;
        n_conv++;
      }
  g_assert_cmpint (n_conv, >, 1);

  g_object_ref_sink (panel);
  g_signal_connect (panel, "params-changed", G_CALLBACK (on_params_changed), &e);
  g_assert_true (rel_explainer_panel_set_method (panel, "gradcam"));
  combo = ADW_COMBO_ROW (row_control (panel, "layer", "rel-combo"));
  g_assert_cmpuint (g_list_model_get_n_items (adw_combo_row_get_model (combo)), ==, 1);
  rel_explainer_panel_set_model (panel, model);
  combo = ADW_COMBO_ROW (row_control (panel, "layer", "rel-combo"));
  layers = adw_combo_row_get_model (combo);
  g_assert_cmpuint (g_list_model_get_n_items (layers), ==, (guint) n_conv + 1);
  emissions_clear (&e);
  adw_combo_row_set_selected (combo, 1);
  g_assert_cmpint (e.count, ==, 1);
  g_assert_cmpstr (rel_params_get_string (e.last, "layer"), ==, model->nodes[first_conv].name);
  /* another model without that layer falls back to the automatic choice */
  rel_explainer_panel_set_model (panel, NULL);
  g_assert_cmpint (e.count, ==, 2);
  g_assert_cmpstr (rel_params_get_string (e.last, "layer"), ==, "");

  rel_model_unref (model);
  emissions_clear (&e);
  g_object_unref (panel);
}

/* The readout formats time and conservation; the progress bar shows while sampling. */
static void
test_status (void)
{
  RelExplainerPanel *panel = REL_EXPLAINER_PANEL (rel_explainer_panel_new ());
  g_autofree char *cons = rel_explainer_format_conservation (1.2281, 1.2305);

  g_object_ref_sink (panel);
  g_assert_cmpstr (cons, ==, "conservation 0.998 (Σ R = 1.23 / f(x) = 1.23)");
  rel_explainer_panel_set_status (panel, 42.4, 1.0, cons);
  g_assert_cmpstr (rel_explainer_panel_get_status_text (panel), ==,
                   "42 ms · conservation 0.998 (Σ R = 1.23 / f(x) = 1.23)");
  rel_explainer_panel_set_status (panel, -1, 0.25, NULL);
  g_assert_cmpstr (rel_explainer_panel_get_status_text (panel), ==, "Computing…");
  g_object_unref (panel);
}

/* ---- prediction panel ---- */

static const float test_logits[8] = { 1.0f, 3.0f, 0.5f, 2.0f, -1.0f, 2.5f, 0.0f, 1.5f };

typedef struct {
  int       count;
  RelTarget last;
} Targets;

static void
on_target_changed (RelPredictionPanel *panel, const RelTarget *target, Targets *t)
{
  t->count++;
  t->last = *target;
}

static RelTensor *
make_logits (void)
{
  int64_t shape[2] = { 1, 8 };
  RelTensor *t = rel_tensor_new (REL_DTYPE_FLOAT32, 2, shape, NULL);

  memcpy (rel_tensor_f32 (t), test_logits, sizeof test_logits);
  return t;
}

static void
test_prediction_top5 (void)
{
  RelPredictionPanel *panel = REL_PREDICTION_PANEL (rel_prediction_panel_new ());
  g_autoptr(RelTensor) logits = make_logits ();
  static const int expected[5] = { 1, 5, 3, 7, 0 };
  double sum = 0;

  g_object_ref_sink (panel);
  g_assert_null (rel_prediction_panel_get_row (panel, 0));
  rel_prediction_panel_set_logits (panel, logits, NULL);
  g_assert_cmpint (rel_prediction_panel_get_n_classes (panel), ==, 8);
  for (int c = 0; c < 8; c++)
    sum += exp (test_logits[c]);
  for (int r = 0; r < 5; r++)
    {
      GtkWidget *row = rel_prediction_panel_get_row (panel, r);
      int c = expected[r];
      double p = exp (test_logits[c]) / sum;
      g_autofree char *pct = g_strdup_printf ("%.1f %%", 100 * p);
      g_autofree char *name = g_strdup_printf ("Class %d", c);

      g_assert_cmpint (rel_prediction_panel_get_class_at (panel, r), ==, c);
      assert_close (rel_prediction_panel_get_probability (panel, c), p, 1e-12);
      g_assert_nonnull (row);
      g_assert_cmpstr (gtk_label_get_text (g_object_get_data (G_OBJECT (row), "rel-percent")), ==, pct);
      g_assert_cmpstr (gtk_label_get_text (g_object_get_data (G_OBJECT (row), "rel-name")), ==, name);
      assert_close (gtk_progress_bar_get_fraction (g_object_get_data (G_OBJECT (row), "rel-bar")), p, 1e-12);
    }
  /* the known figures: 3.0 → 40.3 %, 2.5 → 24.4 % */
  g_assert_cmpstr (gtk_label_get_text (g_object_get_data (G_OBJECT (rel_prediction_panel_get_row (panel, 0)),
                                                          "rel-percent")), ==, "40.3 %");
  g_assert_cmpstr (gtk_label_get_text (g_object_get_data (G_OBJECT (rel_prediction_panel_get_row (panel, 1)),
                                                          "rel-percent")), ==, "24.4 %");
  g_assert_null (rel_prediction_panel_get_row (panel, 5));
  rel_prediction_panel_set_top_k (panel, 3);
  g_assert_nonnull (rel_prediction_panel_get_row (panel, 2));
  g_assert_null (rel_prediction_panel_get_row (panel, 3));

  /* the prediction is highlighted before any click */
  g_assert_true (gtk_list_box_row_is_selected (GTK_LIST_BOX_ROW (rel_prediction_panel_get_row (panel, 0))));
  rel_prediction_panel_set_logits (panel, NULL, NULL);
  g_assert_cmpint (rel_prediction_panel_get_n_classes (panel), ==, 0);
  g_assert_null (rel_prediction_panel_get_row (panel, 0));
  g_object_unref (panel);
}

/* Scores that are not numbers count as impossible; outputs that are not
 * float scores clear the list. */
static void
test_prediction_hostile (void)
{
  RelPredictionPanel *panel = REL_PREDICTION_PANEL (rel_prediction_panel_new ());
  int64_t shape[2] = { 1, 4 };
  g_autoptr(RelTensor) z = rel_tensor_new (REL_DTYPE_FLOAT32, 2, shape, NULL);
  g_autoptr(RelTensor) ints = rel_tensor_new (REL_DTYPE_INT64, 2, shape, NULL);
  float *v = rel_tensor_f32 (z);

  g_object_ref_sink (panel);
  v[0] = NAN; v[1] = 0.0f; v[2] = INFINITY; v[3] = 0.0f;
  rel_prediction_panel_set_logits (panel, z, NULL);
  g_assert_cmpint (rel_prediction_panel_get_n_classes (panel), ==, 4);
  assert_close (rel_prediction_panel_get_probability (panel, 1), 0.5, 1e-12);
  assert_close (rel_prediction_panel_get_probability (panel, 3), 0.5, 1e-12);
  g_assert_cmpfloat (rel_prediction_panel_get_probability (panel, 0), ==, 0);
  g_assert_cmpint (rel_prediction_panel_get_class_at (panel, 0), ==, 1);
  g_assert_cmpint (rel_prediction_panel_get_class_at (panel, 1), ==, 3);
  /* an explicit target the next output lacks falls back to the prediction */
  {
    RelTarget t = { REL_TARGET_CLASS, 3, 0, FALSE }, got;
    int64_t small[2] = { 1, 2 };
    g_autoptr(RelTensor) two = rel_tensor_new (REL_DTYPE_FLOAT32, 2, small, NULL);
    rel_prediction_panel_set_target (panel, &t);
    rel_prediction_panel_set_logits (panel, two, NULL);
    rel_prediction_panel_get_target (panel, &got);
    g_assert_cmpint (got.kind, ==, REL_TARGET_PREDICTED);
    g_assert_cmpint (rel_prediction_panel_get_n_classes (panel), ==, 2);
  }
  rel_prediction_panel_set_logits (panel, ints, NULL);
  g_assert_cmpint (rel_prediction_panel_get_n_classes (panel), ==, 0);
  g_assert_null (rel_prediction_panel_get_row (panel, 0));
  g_object_unref (panel);
}

static void
test_prediction_targets (void)
{
  RelPredictionPanel *panel = REL_PREDICTION_PANEL (rel_prediction_panel_new ());
  g_autoptr(RelTensor) logits = make_logits ();
  Targets t = { 0 };
  RelTarget got;
  GtkWidget *window = window_with (GTK_WIDGET (panel), 400);

  rel_prediction_panel_set_logits (panel, logits, NULL);
  g_signal_connect (panel, "target-changed", G_CALLBACK (on_target_changed), &t);
  rel_prediction_panel_get_target (panel, &got);
  g_assert_cmpint (got.kind, ==, REL_TARGET_PREDICTED);
  g_assert_cmpint (got.a, ==, 1);

  /* row 2 is class 5 */
  gtk_widget_activate (rel_prediction_panel_get_row (panel, 1));
  g_assert_cmpint (t.count, ==, 1);
  g_assert_cmpint (t.last.kind, ==, REL_TARGET_CLASS);
  g_assert_cmpint (t.last.a, ==, 5);
  g_assert_true (gtk_list_box_row_is_selected (GTK_LIST_BOX_ROW (rel_prediction_panel_get_row (panel, 1))));
  g_assert_false (gtk_list_box_row_is_selected (GTK_LIST_BOX_ROW (rel_prediction_panel_get_row (panel, 0))));

  /* contrast: A stays class 5, B is the best other class (1) */
  gtk_switch_set_active (GTK_SWITCH (rel_prediction_panel_get_contrast_switch (panel)), TRUE);
  g_assert_cmpint (t.count, ==, 2);
  g_assert_cmpint (t.last.kind, ==, REL_TARGET_CONTRAST);
  g_assert_cmpint (t.last.a, ==, 5);
  g_assert_cmpint (t.last.b, ==, 1);
  g_assert_true (gtk_widget_get_sensitive (rel_prediction_panel_get_versus_row (panel)));
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (rel_prediction_panel_get_versus_row (panel))), ==, 1);
  /* B from a row's "vs" button (row 3: class 3) */
  {
    GtkWidget *versus = g_object_get_data (G_OBJECT (rel_prediction_panel_get_row (panel, 2)), "rel-versus");
    g_assert_true (gtk_widget_get_visible (versus));
    g_signal_emit_by_name (versus, "clicked");
  }
  g_assert_cmpint (t.last.kind, ==, REL_TARGET_CONTRAST);
  g_assert_cmpint (t.last.a, ==, 5);
  g_assert_cmpint (t.last.b, ==, 3);
  /* B from the drop-down of every class, including those not in the top-k */
  adw_combo_row_set_selected (ADW_COMBO_ROW (rel_prediction_panel_get_versus_row (panel)), 6);
  g_assert_cmpint (t.last.a, ==, 5);
  g_assert_cmpint (t.last.b, ==, 6);
  /* clicking a row in contrast mode changes A */
  gtk_widget_activate (rel_prediction_panel_get_row (panel, 3));
  g_assert_cmpint (t.last.kind, ==, REL_TARGET_CONTRAST);
  g_assert_cmpint (t.last.a, ==, 7);
  g_assert_cmpint (t.last.b, ==, 6);

  /* log-probability */
  gtk_switch_set_active (GTK_SWITCH (rel_prediction_panel_get_log_switch (panel)), TRUE);
  g_assert_true (t.last.log_prob);
  g_assert_cmpint (t.last.kind, ==, REL_TARGET_CONTRAST);

  /* contrast off: back to the class A; row 1 is "the predicted class" */
  gtk_switch_set_active (GTK_SWITCH (rel_prediction_panel_get_contrast_switch (panel)), FALSE);
  g_assert_cmpint (t.last.kind, ==, REL_TARGET_CLASS);
  g_assert_cmpint (t.last.a, ==, 7);
  gtk_widget_activate (rel_prediction_panel_get_row (panel, 0));
  g_assert_cmpint (t.last.kind, ==, REL_TARGET_PREDICTED);
  g_assert_cmpint (t.last.a, ==, 1);
  g_assert_true (t.last.log_prob);
  g_assert_cmpint (t.count, ==, 8);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* ---- German ---- */

/* For ui_test_find_widget: a label whose source text (a mnemonic's
 * underscore included) is @text. */
static gboolean
label_source_reads (GtkWidget *w, gconstpointer text)
{
  return GTK_IS_LABEL (w) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (w)), text) == 0;
}

static gboolean
has_label (GtkWidget *w, const char *text)
{
  return ui_test_find_widget (w, label_source_reads, text) != NULL;
}

static const char *
selected_title (RelExplainerPanel *panel, const char *key)
{
  AdwComboRow *combo = ADW_COMBO_ROW (row_control (panel, key, "rel-combo"));
  return gtk_string_object_get_string (adw_combo_row_get_selected_item (combo));
}

static void
check_language (gboolean german)
{
  RelExplainerPanel *explainer = REL_EXPLAINER_PANEL (rel_explainer_panel_new ());
  RelPredictionPanel *prediction = REL_PREDICTION_PANEL (rel_prediction_panel_new ());
  g_autoptr(RelTensor) logits = make_logits ();
  g_autofree char *cons = rel_explainer_format_conservation (2, 4);

  g_object_ref_sink (explainer);
  g_object_ref_sink (prediction);
  g_assert_true (rel_explainer_panel_set_method (explainer, "smoothgrad"));
  rel_prediction_panel_set_logits (prediction, logits, NULL);
  /* template strings, generated row titles, formatted strings */
  g_assert_true (has_label (GTK_WIDGET (explainer), german ? "Erklärungsmethode" : "Explanation Method"));
  g_assert_true (has_label (GTK_WIDGET (explainer), german ? "_Zurücksetzen" : "_Reset"));
  g_assert_true (has_label (rel_explainer_panel_get_row (explainer, "samples"), german ? "Stichproben" : "Samples"));
  g_assert_cmpstr (cons, ==, german ? "Erhaltung 0.500 (Σ R = 2 / f(x) = 4)" : "conservation 0.500 (Σ R = 2 / f(x) = 4)");
  g_assert_true (has_label (GTK_WIDGET (prediction), german ? "Vorhersage" : "Prediction"));
  g_assert_true (has_label (GTK_WIDGET (prediction), german ? "Beste 5 von 8 Klassen" : "Top 5 of 8 classes"));
  g_assert_true (has_label (rel_prediction_panel_get_row (prediction, 0), german ? "Klasse 1" : "Class 1"));
  g_assert_false (has_label (GTK_WIDGET (prediction), german ? "Prediction" : "Vorhersage"));
  /* choices show the method table's written titles, translated */
  g_assert_true (rel_explainer_panel_set_method (explainer, "integrated-gradients"));
  g_assert_cmpstr (selected_title (explainer, "rule"), ==, german ? "Gauß–Legendre" : "Gauss–Legendre");
  g_assert_true (rel_explainer_panel_set_method (explainer, "lrp-epsilon"));
  g_assert_cmpstr (selected_title (explainer, "bn-merge"), ==, german ? "Exakt" : "Exact");
  g_assert_cmpstr (selected_title (explainer, "initial"), ==, german ? "Logit des Ziels" : "Target's logit");
  g_object_unref (explainer);
  g_object_unref (prediction);
}

static void
test_german (void)
{
  if (!ui_test_use_german ())
    return;
  check_language (TRUE);
  ui_test_set_language (NULL);
  check_language (FALSE);
}

/* ---- rendering ---- */

static gboolean
is_ellipsized_label (GtkWidget *w, gconstpointer data)
{
  return GTK_IS_LABEL (w) && gtk_widget_get_mapped (w)
         && pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (w)));
}

/* Issue 12, defect 6: at the sidebar's width (380 px less margins) no value
 * of a drop-down is cut ("Gauss legen…", "Blurred inp…"), and the baseline's
 * σ is a labelled row of its own, not a bare "10.00" beside the picker. */
static void
test_choices_whole (void)
{
  RelExplainerPanel *explainer = REL_EXPLAINER_PANEL (rel_explainer_panel_new ());
  GtkWidget *window = window_with (GTK_WIDGET (explainer), 356);
  static const char *const methods[] = { "integrated-gradients", "lrp-epsilon-gamma-box", "occlusion", "lime",
                                         "gradcam", NULL };

  gtk_window_present (GTK_WINDOW (window));
  for (int i = 0; methods[i]; i++)
    {
      g_assert_true (rel_explainer_panel_set_method (explainer, methods[i]));
      if (i == 0)
        g_assert_true (rel_explainer_panel_set_param (explainer, "baseline", "blur:10", NULL));
      ui_test_wait_for_frame (window);
      g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (explainer)), <=, 356);
      GtkWidget *cut = ui_test_find_widget (GTK_WIDGET (explainer), is_ellipsized_label, NULL);
      if (cut)
        g_error ("%s: “%s” is cut off", methods[i], gtk_label_get_text (GTK_LABEL (cut)));
      if (i == 0)
        {
          GtkWidget *spin = row_control (explainer, "baseline", "rel-spin");
          GtkWidget *detail = gtk_widget_get_ancestor (spin, ADW_TYPE_ACTION_ROW);
          g_assert_true (detail != rel_explainer_panel_get_row (explainer, "baseline"));
          g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (detail)), ==, "Blur σ");
          g_assert_true (gtk_widget_get_mapped (spin));
          g_assert_true (has_label (rel_explainer_panel_get_row (explainer, "baseline"), "Blurred input"));
          /* the picker explains itself; the CLI's spec syntax is nowhere */
          g_assert_null (strstr (gtk_widget_get_tooltip_text (rel_explainer_panel_get_row (explainer, "baseline"))
                                   ? gtk_widget_get_tooltip_text (rel_explainer_panel_get_row (explainer, "baseline")) : "",
                                 "blur:"));
          g_assert_false (has_label (GTK_WIDGET (explainer), "blur:SIGMA"));
          if (g_getenv ("RELEVANCE_PANELS_PNG"))
            {
              g_autofree char *path = g_build_filename (g_getenv ("RELEVANCE_PANELS_PNG"), "panels-baseline-blur.png", NULL);
              ui_test_save_png (window, path);
            }
        }
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Both panels lay out without being squeezed at a sidebar's width; with
 * RELEVANCE_PANELS_PNG set, writes what they look like. */
static void
test_render (void)
{
  RelExplainerPanel *explainer = REL_EXPLAINER_PANEL (rel_explainer_panel_new ());
  RelPredictionPanel *prediction = REL_PREDICTION_PANEL (rel_prediction_panel_new ());
  g_autoptr(RelTensor) logits = make_logits ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *window = window_with (box, 850);
  const char *dir = g_getenv ("RELEVANCE_PANELS_PNG");
  int min_w, nat_w;
  static const char *const shots[] = { "smoothgrad", "integrated-gradients", "lrp-epsilon-gamma-box", "gradcam", "lime", NULL };

  rel_prediction_panel_set_logits (prediction, logits, NULL);
  gtk_widget_set_size_request (GTK_WIDGET (prediction), 380, -1);
  /* RELEVANCE_PANELS_DARK=1: look at the dark variant */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      g_getenv ("RELEVANCE_PANELS_DARK") ? ADW_COLOR_SCHEME_FORCE_DARK
                                                                         : ADW_COLOR_SCHEME_FORCE_LIGHT);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (prediction));
  gtk_box_append (GTK_BOX (box), gtk_separator_new (GTK_ORIENTATION_VERTICAL));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (explainer));
  gtk_widget_set_hexpand (GTK_WIDGET (explainer), TRUE);
  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate (rel_prediction_panel_get_row (prediction, 1));
  gtk_switch_set_active (GTK_SWITCH (rel_prediction_panel_get_contrast_switch (prediction)), TRUE);

  for (int i = 0; shots[i]; i++)
    {
      g_assert_true (rel_explainer_panel_set_method (explainer, shots[i]));
      rel_explainer_panel_set_status (explainer, 42.4, i % 2 ? 0.4 : 1.0,
                                      "conservation 0.998 (Σ R = 1.23 / f(x) = 1.23)");
      ui_test_wait_for_frame (window);
      /* the panel fits the width it was given: nothing forces it wider */
      gtk_widget_measure (GTK_WIDGET (explainer), GTK_ORIENTATION_HORIZONTAL, -1, &min_w, &nat_w, NULL, NULL);
      if (g_test_verbose ())
        g_printerr ("%s: minimum width %d, natural %d\n", shots[i], min_w, nat_w);
      g_assert_cmpint (min_w, <=, 400);
      g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (explainer)), >=, 400);
      if (dir)
        {
          g_autoptr(GError) error = NULL;
          g_autofree char *name = g_strdup_printf ("panels-%s.png", shots[i]);
          g_autofree char *path = g_build_filename (dir, name, NULL);
          ui_test_save_png (window, path);
          g_assert_no_error (error);
        }
    }
  /* the method drop-down's popup: family headings over their methods */
  if (dir)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = g_build_filename (dir, "panels-methods-popup.png", NULL);
      GtkWidget *popover = NULL;

      g_assert_true (rel_explainer_panel_set_method (explainer, "gradient"));
      gtk_widget_activate (rel_explainer_panel_get_method_row (explainer));
      for (GtkWidget *w = gtk_widget_get_first_child (rel_explainer_panel_get_method_row (explainer));
           w && !popover; w = gtk_widget_get_next_sibling (w))
        {
          popover = ui_test_find_descendant (w, GTK_TYPE_POPOVER);
        }
      g_assert_nonnull (popover);
      /* the popup is its own surface: wait until it is mapped and laid out */
      for (gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
           !(gtk_widget_get_mapped (popover) && gtk_widget_get_width (popover) > 0)
           && g_get_monotonic_time () < end;)
        g_main_context_iteration (NULL, FALSE);
      ui_test_wait_for_frame (popover);
      if (!rel_widget_save_png (popover, path, &error))
        g_test_message ("method popup not rendered: %s", error->message);
      gtk_popover_popdown (GTK_POPOVER (popover));
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  if (!ui_test_init (&argc, &argv))
    return 0;
  adw_init ();
  /* RELEVANCE_LOCALEDIR=<build>/po with LANGUAGE=de: look at the German panels */
  if (g_getenv ("RELEVANCE_LOCALEDIR"))
    {
      bindtextdomain (GETTEXT_PACKAGE, g_getenv ("RELEVANCE_LOCALEDIR"));
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      textdomain (GETTEXT_PACKAGE);
    }
  g_test_add_func ("/panels/explainer/every-method-defaults", test_every_method_defaults);
  g_test_add_func ("/panels/explainer/slider-debounced", test_slider_debounced);
  g_test_add_func ("/panels/explainer/controls-and-clamping", test_controls_and_clamping);
  g_test_add_func ("/panels/explainer/switch-back-and-reset", test_switch_back_and_reset);
  g_test_add_func ("/panels/explainer/layer-from-model", test_layer_from_model);
  g_test_add_func ("/panels/explainer/status", test_status);
  g_test_add_func ("/panels/explainer/choices-whole", test_choices_whole);
  g_test_add_func ("/panels/prediction/top5", test_prediction_top5);
  g_test_add_func ("/panels/prediction/targets", test_prediction_targets);
  g_test_add_func ("/panels/prediction/hostile", test_prediction_hostile);
  g_test_add_func ("/panels/german", test_german);
  g_test_add_func ("/panels/render", test_render);
  return g_test_run ();
}
