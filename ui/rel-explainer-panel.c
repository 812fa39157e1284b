/* rel-explainer-panel.c — method drop-down and generated parameter rows (see
 * rel-explainer-panel.h).
 *
 * The current method's RelParams is the single source of truth: widgets write
 * into it through rel_params_set (so the core validates, as for --set) and are
 * rebuilt from it when the method changes or is reset.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-explainer-panel.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

struct _RelExplainerPanel {
  GtkBox parent_instance;

  /* template */
  AdwPreferencesGroup  *method_group;
  AdwComboRow          *method_row;
  AdwPreferencesGroup  *params_group;
  GtkWidget            *reset_button;
  GtkWidget            *status_box;
  GtkProgressBar       *progress;
  GtkLabel             *status_label;

  const RelMethodDef   *method;
  RelParams            *params;     /* owned by @memory */
  GHashTable           *memory;     /* method name → RelParams*: values kept across switches */
  GPtrArray            *rows;       /* the current parameter rows (children of params_group) */
  RelModel             *model;
  char                 *image_folder;   /* the open folder: the dataset-mean baseline's default */
  guint                 debounce_id;
  gboolean              building;   /* rows are being (re)built: their signals are not edits */
};

G_DEFINE_FINAL_TYPE (RelExplainerPanel, rel_explainer_panel, GTK_TYPE_BOX)

enum {
  PROP_0,
  PROP_METHOD,
  N_PROPS
};

enum {
  SIGNAL_PARAMS_CHANGED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

/* ---- labels ---- */

static const char *
family_title (const char *family)
{
  if (g_strcmp0 (family, "gradient") == 0)
    return _("Gradients");
  if (g_strcmp0 (family, "lrp") == 0)
    return _("Layer-wise Relevance Propagation");
  if (g_strcmp0 (family, "cam") == 0)
    return _("Class Activation Maps");
  if (g_strcmp0 (family, "perturbation") == 0)
    return _("Perturbation");
  return family;
}

/* Titles for parameter names shared across the table; other names are shown
 * capitalised with dashes as spaces. */
static char *
param_title (const char *name)
{
  static const struct { const char *name; const char *title; } titles[] = {
    { "samples", N_("Samples") },
    { "sigma", N_("Noise σ") },
    { "steps", N_("Steps") },
    { "rule", N_("Quadrature rule") },
    { "baseline", N_("Baseline") },
    { "baselines", N_("Baselines") },
    { "epsilon", N_("Stabiliser ε") },
    { "gamma", N_("γ") },
    { "alpha", N_("α") },
    { "beta", N_("β") },
    { "low", N_("Lowest input") },
    { "high", N_("Highest input") },
    { "initial", N_("Initial relevance") },
    { "rules", N_("Rule file") },
    { "layer", N_("Layer") },
    { "upsample", N_("Upsample to input size") },
    { "window", N_("Window") },
    { "stride", N_("Stride") },
    { "fill", N_("Fill") },
    { "blur-sigma", N_("Blur σ") },
    { "segments", N_("Superpixels") },
    { "compactness", N_("Compactness") },
    { "kernel-width", N_("Kernel width") },
    { "ridge", N_("Ridge penalty") },
    { "bn-merge", N_("BatchNorm merge") },
  };
  char *s;

  for (gsize i = 0; i < G_N_ELEMENTS (titles); i++)
    if (strcmp (titles[i].name, name) == 0)
      return g_strdup (_(titles[i].title));
  s = g_strdup (name);
  g_strdelimit (s, "-_", ' ');
  s[0] = g_ascii_toupper (s[0]);
  return s;
}

/* ---- combo rows that show their whole value ----
 *
 * AdwComboRow's own factory ellipsizes the chosen value as soon as the
 * title and its description claim the row's width ("Gauss legen…"): these
 * factories keep short values whole (the title wraps instead) and shorten
 * only long ones (layer names), in the middle. The popover's list keeps the
 * check mark on the chosen entry. */

#define COMBO_VALUE_MAX_CHARS 24

static void
value_label_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_list_item_set_child (item, label);
}

static void
value_label_bind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkStringObject *obj = gtk_list_item_get_item (item);
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (item));
  const char *text = obj ? gtk_string_object_get_string (obj) : "";

  gtk_label_set_text (label, text);
  /* the label's minimum is the whole text, up to a bound */
  gtk_label_set_width_chars (label, MIN ((int) g_utf8_strlen (text, -1), COMBO_VALUE_MAX_CHARS));
  gtk_widget_set_tooltip_text (GTK_WIDGET (label),
                               g_utf8_strlen (text, -1) > COMBO_VALUE_MAX_CHARS ? text : NULL);
}

static void
list_check_update (AdwComboRow *row, GParamSpec *pspec, GtkListItem *item)
{
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *check = box ? gtk_widget_get_last_child (box) : NULL;

  if (check)
    gtk_widget_set_opacity (check, gtk_list_item_get_position (item) == adw_combo_row_get_selected (row) ? 1 : 0);
}

static void
list_row_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), check);
  gtk_list_item_set_child (item, box);
}

static void
list_row_bind (GtkSignalListItemFactory *factory, GtkListItem *item, AdwComboRow *row)
{
  GtkStringObject *obj = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);

  gtk_label_set_text (GTK_LABEL (gtk_widget_get_first_child (box)), obj ? gtk_string_object_get_string (obj) : "");
  list_check_update (row, NULL, item);
  g_signal_connect_object (row, "notify::selected", G_CALLBACK (list_check_update), item, 0);
}

static void
list_row_unbind (GtkSignalListItemFactory *factory, GtkListItem *item, AdwComboRow *row)
{
  g_signal_handlers_disconnect_by_func (row, list_check_update, item);
}

/* @row shows the strings of its GtkStringList model as they are. */
static void
combo_row_show_whole_values (AdwComboRow *row)
{
  g_autoptr (GtkListItemFactory) value = gtk_signal_list_item_factory_new ();
  g_autoptr (GtkListItemFactory) list = gtk_signal_list_item_factory_new ();

  g_signal_connect (value, "setup", G_CALLBACK (value_label_setup), NULL);
  g_signal_connect (value, "bind", G_CALLBACK (value_label_bind), NULL);
  /* the factories live in the row: no reference back to it */
  g_signal_connect (list, "setup", G_CALLBACK (list_row_setup), NULL);
  g_signal_connect (list, "bind", G_CALLBACK (list_row_bind), row);
  g_signal_connect (list, "unbind", G_CALLBACK (list_row_unbind), row);
  adw_combo_row_set_factory (row, value);
  adw_combo_row_set_list_factory (row, list);
}

char *
rel_explainer_format_conservation (double relevance_sum, double explained)
{
  g_autofree char *ratio = NULL;

  if (fabs (explained) > 1e-12 && isfinite (relevance_sum))
    ratio = g_strdup_printf ("%.3f", relevance_sum / explained);
  else
    ratio = g_strdup ("–");
  /* TRANSLATORS: the share of the explained output the relevance sums to */
  return g_strdup_printf (_("conservation %s (Σ R = %.3g / f(x) = %.3g)"), ratio, relevance_sum, explained);
}

/* ---- numeric mapping between a slider position in [0, 1] and a value ---- */

typedef struct {
  RelExplainerPanel  *panel;
  const RelParamSpec *spec;
  GtkWidget          *row;
  GtkAdjustment      *pos;     /* the slider: 0..1 */
  GtkAdjustment      *value;   /* the spin button: the value itself */
  gboolean            log;
  gboolean            syncing; /* one control is following the other */
  /* baseline picker */
  GtkWidget          *baseline_spin;
  GtkWidget          *baseline_file_button;
  GtkWidget          *baseline_detail;    /* the row below the picker: σ, value, image or folder */
  char               *baseline_file;
  char               *baseline_folder;    /* the dataset-mean baseline's folder */
  /* layer drop-down */
  GtkStringList      *layers;
} ParamRow;

enum { BASELINE_ZEROS, BASELINE_CONSTANT, BASELINE_BLUR, BASELINE_UNIFORM, BASELINE_MEAN, BASELINE_FILE,
       BASELINE_DATASET };

static void
param_row_free (gpointer data)
{
  ParamRow *pr = data;
  g_free (pr->baseline_file);
  g_free (pr->baseline_folder);
  g_free (pr);
}

/* Logarithmic when the spec asks, when the range spans three decades or more,
 * or when the default sits in the bottom 5 % of a non-negative range (σ 0.15
 * of [0, 10]): a linear slider could not reach the values people use there. */
static gboolean
spec_log (const RelParamSpec *s)
{
  if (s->log_scale)
    return TRUE;
  if (s->min > 0 && s->max / s->min >= 1000)
    return TRUE;
  return s->min >= 0 && s->def > s->min && s->max > s->min
         && (s->def - s->min) < 0.05 * (s->max - s->min);
}

/* The lowest value a log slider reaches above a zero minimum: two decades
 * under the default, at most four under the maximum. */
static double
log_low (const RelParamSpec *s)
{
  double lo;

  if (s->min > 0)
    return s->min;
  lo = s->max > 0 ? s->max * 1e-4 : 1e-9;
  if (s->def > 0)
    lo = MIN (lo, s->def / 100);
  return lo;
}

static double
pos_to_value (const ParamRow *pr, double pos)
{
  const RelParamSpec *s = pr->spec;
  double v;

  pos = CLAMP (pos, 0.0, 1.0);
  if (pr->log)
    {
      double lo = log_low (s);
      /* a zero minimum keeps the slider's left end for 0 itself */
      if (s->min <= 0 && pos <= 0)
        v = s->min;
      else
        v = exp (log (lo) + pos * (log (s->max) - log (lo)));
    }
  else
    v = s->min + pos * (s->max - s->min);
  if (s->type == REL_PARAM_INT)
    v = round (v);
  return CLAMP (v, s->min, s->max);
}

static double
value_to_pos (const ParamRow *pr, double v)
{
  const RelParamSpec *s = pr->spec;

  if (s->max <= s->min)
    return 0;
  if (pr->log)
    {
      double lo = log_low (s);
      if (v <= lo)
        return 0;
      return CLAMP ((log (v) - log (lo)) / (log (s->max) - log (lo)), 0.0, 1.0);
    }
  return CLAMP ((v - s->min) / (s->max - s->min), 0.0, 1.0);
}

/* ---- emitting ---- */

static void
emit_now (RelExplainerPanel *self)
{
  g_autoptr(RelParams) copy = NULL;

  g_clear_handle_id (&self->debounce_id, g_source_remove);
  if (self->params == NULL)
    return;
  copy = rel_params_copy (self->params);
  g_signal_emit (self, signals[SIGNAL_PARAMS_CHANGED], 0, copy);
}

static gboolean
debounce_done (gpointer data)
{
  RelExplainerPanel *self = data;

  self->debounce_id = 0;
  emit_now (self);
  return G_SOURCE_REMOVE;
}

static void
emit_debounced (RelExplainerPanel *self)
{
  g_clear_handle_id (&self->debounce_id, g_source_remove);
  self->debounce_id = g_timeout_add (REL_EXPLAINER_PANEL_DEBOUNCE_MS, debounce_done, self);
}

gboolean
rel_explainer_panel_flush (RelExplainerPanel *self)
{
  g_return_val_if_fail (REL_IS_EXPLAINER_PANEL (self), FALSE);
  if (self->debounce_id == 0)
    return FALSE;
  emit_now (self);
  return TRUE;
}

/* Stores @text for @pr's parameter; the core checks it as it checks --set. */
static gboolean
store (ParamRow *pr, const char *text)
{
  g_autoptr(GError) error = NULL;

  if (pr->panel->params == NULL)
    return FALSE;
  if (!rel_params_set (pr->panel->params, pr->spec->name, text, &error))
    {
      g_warning ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

static void
store_number (ParamRow *pr, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  v = CLAMP (v, pr->spec->min, pr->spec->max);
  if (pr->spec->type == REL_PARAM_INT)
    g_snprintf (buf, sizeof buf, "%.0f", round (v));
  else
    g_ascii_dtostr (buf, sizeof buf, v);
  store (pr, buf);
}

/* ---- numeric rows ---- */

static void
on_pos_changed (GtkAdjustment *adj, ParamRow *pr)
{
  if (pr->syncing || pr->panel->building)
    return;
  pr->syncing = TRUE;
  gtk_adjustment_set_value (pr->value, pos_to_value (pr, gtk_adjustment_get_value (adj)));
  pr->syncing = FALSE;
  store_number (pr, gtk_adjustment_get_value (pr->value));
  emit_debounced (pr->panel);
}

static void
on_value_changed (GtkAdjustment *adj, ParamRow *pr)
{
  if (pr->syncing || pr->panel->building)
    return;
  pr->syncing = TRUE;
  gtk_adjustment_set_value (pr->pos, value_to_pos (pr, gtk_adjustment_get_value (adj)));
  pr->syncing = FALSE;
  store_number (pr, gtk_adjustment_get_value (adj));
  emit_debounced (pr->panel);
}

/* The spin button shows "1e-06" rather than a fixed number of digits. */
static gboolean
on_spin_output (GtkSpinButton *spin, gpointer data)
{
  char buf[64];
  double v = gtk_adjustment_get_value (gtk_spin_button_get_adjustment (spin));

  if (gtk_spin_button_get_digits (spin) == 0)
    g_snprintf (buf, sizeof buf, "%.0f", v);
  else
    g_snprintf (buf, sizeof buf, "%.4g", v);
  if (g_strcmp0 (buf, gtk_editable_get_text (GTK_EDITABLE (spin))) != 0)
    gtk_editable_set_text (GTK_EDITABLE (spin), buf);
  return TRUE;
}

static int
on_spin_input (GtkSpinButton *spin, double *new_value, gpointer data)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (spin));
  char *end = NULL;
  double v;

  /* accept both the C form and the locale's decimal comma */
  v = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0')
    {
      g_autofree char *dotted = g_strdelimit (g_strdup (text), ",", '.');
      v = g_ascii_strtod (dotted, &end);
      if (end == dotted || *end != '\0')
        return GTK_INPUT_ERROR;
    }
  if (!isfinite (v))
    return GTK_INPUT_ERROR;
  *new_value = v;
  return TRUE;
}

/* The debounce ends when the pointer lets go of the slider. */
static gboolean
on_scale_event (GtkEventControllerLegacy *legacy, GdkEvent *event, ParamRow *pr)
{
  GdkEventType type = gdk_event_get_event_type (event);

  if (type == GDK_BUTTON_RELEASE || type == GDK_TOUCH_END)
    rel_explainer_panel_flush (pr->panel);
  return FALSE;
}

/* A slider row: title, description and the exact value on top, the slider
 * across the row's full width below, as GNOME Settings lays out its sliders;
 * an action row's suffix area would squeeze the description into a column. */
static GtkWidget *
build_numeric (ParamRow *pr, double v)
{
  const RelParamSpec *s = pr->spec;
  GtkWidget *row = g_object_new (ADW_TYPE_PREFERENCES_ROW, "activatable", FALSE, NULL);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *subtitle = gtk_label_new (NULL);
  GtkWidget *scale, *spin;
  GtkEventController *legacy;
  double range = s->max - s->min, step;
  gboolean is_int = s->type == REL_PARAM_INT;

  pr->log = spec_log (s);
  pr->pos = gtk_adjustment_new (0, 0, 1, 0.001, 0.05, 0);
  /* arrows: one unit for integers, 1 % of the range (or a tenth of the
   * default, on a log scale) for floats */
  step = is_int ? 1 : (pr->log ? fabs (s->def) / 10 : range / 100);
  if (!(step > 0) || !isfinite (step))
    step = is_int ? 1 : 0.01;
  pr->value = gtk_adjustment_new (s->min, s->min, s->max, step, step * 10, 0);

  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 10);
  gtk_widget_set_margin_bottom (box, 4);

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_widget_add_css_class (title, "title");
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_label_set_wrap (GTK_LABEL (subtitle), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (subtitle), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_widget_set_hexpand (labels, TRUE);
  gtk_widget_set_valign (labels, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (labels), title);
  gtk_box_append (GTK_BOX (labels), subtitle);
  gtk_box_append (GTK_BOX (top), labels);

  spin = gtk_spin_button_new (pr->value, step, is_int ? 0 : 4);
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), FALSE);
  gtk_editable_set_width_chars (GTK_EDITABLE (spin), 6);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  g_signal_connect (spin, "output", G_CALLBACK (on_spin_output), pr);
  g_signal_connect (spin, "input", G_CALLBACK (on_spin_input), pr);
  gtk_box_append (GTK_BOX (top), spin);
  /* a short unit reads after the number; a long one joins the description */
  if (s->unit && *s->unit && g_utf8_strlen (s->unit, -1) <= 8 && strcmp (s->unit, s->name) != 0)
    {
      GtkWidget *unit = gtk_label_new (g_dgettext (GETTEXT_PACKAGE, s->unit));
      gtk_widget_add_css_class (unit, "dim-label");
      gtk_label_set_width_chars (GTK_LABEL (unit), 2);
      gtk_box_append (GTK_BOX (top), unit);
    }

  scale = gtk_scale_new (GTK_ORIENTATION_HORIZONTAL, pr->pos);
  gtk_scale_set_draw_value (GTK_SCALE (scale), FALSE);
  gtk_widget_set_hexpand (scale, TRUE);
  legacy = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_propagation_phase (legacy, GTK_PHASE_CAPTURE);
  g_signal_connect (legacy, "event", G_CALLBACK (on_scale_event), pr);
  gtk_widget_add_controller (scale, legacy);

  gtk_box_append (GTK_BOX (box), top);
  gtk_box_append (GTK_BOX (box), scale);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);

  gtk_adjustment_set_value (pr->value, v);
  gtk_adjustment_set_value (pr->pos, value_to_pos (pr, v));
  g_signal_connect (pr->pos, "value-changed", G_CALLBACK (on_pos_changed), pr);
  g_signal_connect (pr->value, "value-changed", G_CALLBACK (on_value_changed), pr);
  g_object_set_data (G_OBJECT (row), "rel-scale", scale);
  g_object_set_data (G_OBJECT (row), "rel-spin", spin);
  g_object_set_data (G_OBJECT (row), "rel-title", title);
  g_object_set_data (G_OBJECT (row), "rel-subtitle", subtitle);
  return row;
}

/* ---- boolean rows ---- */

static void
on_switch_active (GtkSwitch *sw, GParamSpec *pspec, ParamRow *pr)
{
  if (pr->panel->building)
    return;
  store (pr, gtk_switch_get_active (sw) ? "true" : "false");
  emit_now (pr->panel);
}

static GtkWidget *
build_bool (ParamRow *pr, gboolean v)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *sw = gtk_switch_new ();

  gtk_switch_set_active (GTK_SWITCH (sw), v);
  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), sw);
  g_signal_connect (sw, "notify::active", G_CALLBACK (on_switch_active), pr);
  g_object_set_data (G_OBJECT (row), "rel-switch", sw);
  return row;
}

/* ---- choice rows ---- */

static void
on_choice_selected (AdwComboRow *combo, GParamSpec *pspec, ParamRow *pr)
{
  guint i = adw_combo_row_get_selected (combo);

  if (pr->panel->building || i == GTK_INVALID_LIST_POSITION || pr->spec->choices == NULL)
    return;
  store (pr, pr->spec->choices[i]);
  emit_now (pr->panel);
}

/* The list shows each choice's title from the method table, translated; the
 * position maps back to the id. */
static GtkWidget *
build_choice (ParamRow *pr, const char *v)
{
  GtkWidget *row = adw_combo_row_new ();
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);
  guint selected = 0;

  for (guint i = 0; pr->spec->choices && pr->spec->choices[i]; i++)
    {
      gtk_string_list_append (list, g_dgettext (GETTEXT_PACKAGE, rel_param_choice_title (pr->spec, (int) i)));
      if (g_strcmp0 (pr->spec->choices[i], v) == 0)
        selected = i;
    }
  combo_row_show_whole_values (ADW_COMBO_ROW (row));
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (list));
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), selected);
  g_signal_connect (row, "notify::selected", G_CALLBACK (on_choice_selected), pr);
  g_object_set_data (G_OBJECT (row), "rel-combo", row);
  return row;
}

/* ---- layer rows ---- */

static void
on_layer_selected (AdwComboRow *combo, GParamSpec *pspec, ParamRow *pr)
{
  guint i = adw_combo_row_get_selected (combo);

  if (pr->panel->building || i == GTK_INVALID_LIST_POSITION)
    return;
  /* the first entry is the automatic choice: the empty string */
  store (pr, i == 0 ? "" : gtk_string_list_get_string (pr->layers, i));
  emit_now (pr->panel);
}

static GtkWidget *
build_layer (ParamRow *pr, RelModel *model, const char *v)
{
  GtkWidget *row = adw_combo_row_new ();
  g_autoptr (GtkStringList) titles = gtk_string_list_new (NULL);
  guint selected = 0;

  /* ids in pr->layers, what the list shows in titles: the first entry is the
   * automatic choice, the empty string */
  pr->layers = gtk_string_list_new (NULL);
  gtk_string_list_append (pr->layers, "");
  gtk_string_list_append (titles, _("Last convolution"));
  if (model)
    for (int n = 0; n < model->n_nodes; n++)
      if (rel_model_is_cam_layer (model, n) && model->nodes[n].name)
        {
          gtk_string_list_append (pr->layers, model->nodes[n].name);
          gtk_string_list_append (titles, model->nodes[n].name);
          if (g_strcmp0 (model->nodes[n].name, v) == 0)
            selected = g_list_model_get_n_items (G_LIST_MODEL (pr->layers)) - 1;
        }
  combo_row_show_whole_values (ADW_COMBO_ROW (row));
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (titles));
  g_object_set_data_full (G_OBJECT (row), "rel-layer-ids", pr->layers, g_object_unref);
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), selected);
  /* a layer of another model is not offered: the automatic choice replaces it */
  if (selected == 0 && v && *v)
    store (pr, "");
  g_signal_connect (row, "notify::selected", G_CALLBACK (on_layer_selected), pr);
  g_object_set_data (G_OBJECT (row), "rel-combo", row);
  return row;
}

/* ---- baseline rows ---- */

static char *
baseline_spec (ParamRow *pr)
{
  guint kind = adw_combo_row_get_selected (ADW_COMBO_ROW (pr->row));
  double v = gtk_spin_button_get_value (GTK_SPIN_BUTTON (pr->baseline_spin));
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  switch (kind)
    {
    case BASELINE_CONSTANT:
      return g_strconcat ("constant:", g_ascii_dtostr (buf, sizeof buf, v), NULL);
    case BASELINE_BLUR:
      return g_strconcat ("blur:", g_ascii_dtostr (buf, sizeof buf, v), NULL);
    case BASELINE_UNIFORM:
      return g_strdup ("uniform");
    case BASELINE_MEAN:
      return g_strdup ("mean");
    case BASELINE_FILE:
      return g_strdup (pr->baseline_file ? pr->baseline_file : "zeros");
    case BASELINE_DATASET:
      return pr->baseline_folder ? g_strconcat ("mean:", pr->baseline_folder, NULL) : g_strdup ("zeros");
    default:
      return g_strdup ("zeros");
    }
}

static void
baseline_update_controls (ParamRow *pr)
{
  guint kind = adw_combo_row_get_selected (ADW_COMBO_ROW (pr->row));
  GtkSpinButton *spin = GTK_SPIN_BUTTON (pr->baseline_spin);

  const char *title = NULL, *subtitle = NULL;

  gtk_widget_set_visible (pr->baseline_spin, kind == BASELINE_CONSTANT || kind == BASELINE_BLUR);
  gtk_widget_set_visible (pr->baseline_file_button, kind == BASELINE_FILE || kind == BASELINE_DATASET);
  if (kind == BASELINE_BLUR)
    {
      gtk_spin_button_set_range (spin, 0, 1000);
      title = _("Blur σ");
      subtitle = _("Blur σ in pixels");
    }
  else if (kind == BASELINE_CONSTANT)
    {
      gtk_spin_button_set_range (spin, -1000, 1000);
      title = _("Value");
      subtitle = _("Constant value of every input element");
    }
  else if (kind == BASELINE_FILE)
    {
      title = _("Image");
      subtitle = _("An image or .npy file of the input's size");
    }
  else if (kind == BASELINE_DATASET)
    {
      title = _("Folder");
      subtitle = _("Its images' mean is the baseline");
    }
  /* the value gets its own, labelled row, never squeezed next to the picker */
  gtk_widget_set_visible (pr->baseline_detail, title != NULL);
  if (title)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (pr->baseline_detail), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (pr->baseline_detail), subtitle);
      gtk_accessible_update_property (GTK_ACCESSIBLE (pr->baseline_spin), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
    }
  if ((kind == BASELINE_FILE && pr->baseline_file) || (kind == BASELINE_DATASET && pr->baseline_folder))
    {
      const char *path = kind == BASELINE_FILE ? pr->baseline_file : pr->baseline_folder;
      g_autofree char *base = g_path_get_basename (path);
      gtk_button_set_label (GTK_BUTTON (pr->baseline_file_button), base);
      gtk_widget_set_tooltip_text (pr->baseline_file_button, path);
    }
  else
    gtk_button_set_label (GTK_BUTTON (pr->baseline_file_button),
                          kind == BASELINE_DATASET ? _("Choose Folder…") : _("Choose Image…"));
}

static void
baseline_changed (ParamRow *pr)
{
  g_autofree char *spec = NULL;

  baseline_update_controls (pr);
  if (pr->panel->building)
    return;
  spec = baseline_spec (pr);
  store (pr, spec);
}

static void
on_baseline_file_response (GtkNativeDialog *dialog, int response, gpointer data)
{
  GtkWidget *row = data;
  ParamRow *pr = g_object_get_data (G_OBJECT (row), "rel-param-row");

  /* a row rebuilt away while the dialog was open has nobody to tell */
  if (pr && response == GTK_RESPONSE_ACCEPT && gtk_widget_get_parent (row) != NULL)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      char *path = file ? g_file_get_path (file) : NULL;
      if (path)
        {
          /* the same dialog serves the image and, as a folder chooser, the dataset */
          char **slot = adw_combo_row_get_selected (ADW_COMBO_ROW (pr->row)) == BASELINE_DATASET
                        ? &pr->baseline_folder : &pr->baseline_file;
          g_free (*slot);
          *slot = path;
          baseline_changed (pr);
          emit_now (pr->panel);
        }
    }
  g_object_unref (row);
  g_object_unref (dialog);
}

static void
choose_file (GtkWidget *row, const char *title, GtkFileChooserAction action, GCallback response)
{
  GtkNative *native = gtk_widget_get_native (row);
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (title, GTK_IS_WINDOW (native) ? GTK_WINDOW (native) : NULL,
                                        action, _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  if (action == GTK_FILE_CHOOSER_ACTION_OPEN)
    {
      g_autoptr(GtkFileFilter) images = gtk_file_filter_new ();
      g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
      gtk_file_filter_set_name (images, _("Images and arrays"));
      gtk_file_filter_add_mime_type (images, "image/*");
      gtk_file_filter_add_suffix (images, "npy");
      gtk_file_filter_set_name (all, _("All files"));
      gtk_file_filter_add_pattern (all, "*");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), images);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), all);
    }
  /* the row may be rebuilt while the dialog is open: the response finds its
   * state through the row, which it keeps alive */
  g_signal_connect (dialog, "response", response, g_object_ref (row));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_baseline_choose (GtkButton *button, ParamRow *pr)
{
  if (adw_combo_row_get_selected (ADW_COMBO_ROW (pr->row)) == BASELINE_DATASET)
    choose_file (pr->row, _("Choose the Dataset Folder"), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                 G_CALLBACK (on_baseline_file_response));
  else
    choose_file (pr->row, _("Choose a Baseline Image"), GTK_FILE_CHOOSER_ACTION_OPEN,
                 G_CALLBACK (on_baseline_file_response));
}

static void
on_baseline_kind (AdwComboRow *combo, GParamSpec *pspec, ParamRow *pr)
{
  guint kind = adw_combo_row_get_selected (combo);

  if (pr->panel->building)
    return;
  if (kind == BASELINE_BLUR && gtk_spin_button_get_value (GTK_SPIN_BUTTON (pr->baseline_spin)) <= 0)
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (pr->baseline_spin), 10);
  baseline_changed (pr);
  emit_now (pr->panel);
  if (kind == BASELINE_DATASET && pr->baseline_folder == NULL && pr->panel->image_folder)
    {
      /* the open folder is the dataset the user means; the button picks another */
      pr->baseline_folder = g_strdup (pr->panel->image_folder);
      baseline_changed (pr);
      emit_now (pr->panel);
      return;
    }
  if ((kind == BASELINE_FILE && pr->baseline_file == NULL) || (kind == BASELINE_DATASET && pr->baseline_folder == NULL))
    on_baseline_choose (NULL, pr);
}

static void
on_baseline_value (GtkSpinButton *spin, ParamRow *pr)
{
  if (pr->panel->building)
    return;
  baseline_changed (pr);
  emit_debounced (pr->panel);
}

static GtkWidget *
build_baseline (ParamRow *pr, const char *v)
{
  const char *kinds[] = {
    _("Zeros"), _("Constant"), _("Blurred input"), _("Uniform noise"), _("Channel mean"), _("Image"),
    _("Dataset mean"), NULL
  };
  GtkWidget *row = adw_combo_row_new ();
  g_autoptr(GtkStringList) list = gtk_string_list_new (kinds);
  guint kind = BASELINE_ZEROS;
  double value = 0;

  pr->row = row;
  if (v == NULL || *v == '\0' || strcmp (v, "zeros") == 0 || strcmp (v, "zero") == 0)
    kind = BASELINE_ZEROS;
  else if (g_str_has_prefix (v, "constant:"))
    kind = BASELINE_CONSTANT, value = g_ascii_strtod (v + 9, NULL);
  else if (g_str_has_prefix (v, "blur:"))
    kind = BASELINE_BLUR, value = g_ascii_strtod (v + 5, NULL);
  else if (strcmp (v, "uniform") == 0)
    kind = BASELINE_UNIFORM;
  else if (strcmp (v, "mean") == 0)
    kind = BASELINE_MEAN;
  else if (g_str_has_prefix (v, "mean:"))
    kind = BASELINE_DATASET, pr->baseline_folder = g_strdup (v + 5);
  else
    kind = BASELINE_FILE, pr->baseline_file = g_strdup (v);
  if (!isfinite (value))
    value = 0;

  pr->baseline_spin = gtk_spin_button_new_with_range (-1000, 1000, 0.1);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (pr->baseline_spin), 2);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (pr->baseline_spin), value);
  gtk_widget_set_valign (pr->baseline_spin, GTK_ALIGN_CENTER);
  pr->baseline_file_button = gtk_button_new_with_label (_("Choose Image…"));
  gtk_widget_set_valign (pr->baseline_file_button, GTK_ALIGN_CENTER);
  gtk_label_set_ellipsize (GTK_LABEL (gtk_button_get_child (GTK_BUTTON (pr->baseline_file_button))),
                           PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (gtk_button_get_child (GTK_BUTTON (pr->baseline_file_button))), 14);
  pr->baseline_detail = adw_action_row_new ();
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (pr->baseline_detail), 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (pr->baseline_detail), pr->baseline_spin);
  adw_action_row_add_suffix (ADW_ACTION_ROW (pr->baseline_detail), pr->baseline_file_button);
  g_object_set_data (G_OBJECT (row), "rel-detail-row", pr->baseline_detail);

  combo_row_show_whole_values (ADW_COMBO_ROW (row));
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (list));
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), kind);
  baseline_update_controls (pr);
  g_signal_connect (row, "notify::selected", G_CALLBACK (on_baseline_kind), pr);
  g_signal_connect (pr->baseline_spin, "value-changed", G_CALLBACK (on_baseline_value), pr);
  g_signal_connect (pr->baseline_file_button, "clicked", G_CALLBACK (on_baseline_choose), pr);
  g_object_set_data (G_OBJECT (row), "rel-combo", row);
  g_object_set_data (G_OBJECT (row), "rel-spin", pr->baseline_spin);
  return row;
}

/* ---- free text rows ---- */

static void
on_entry_apply (AdwEntryRow *entry, ParamRow *pr)
{
  if (pr->panel->building)
    return;
  store (pr, gtk_editable_get_text (GTK_EDITABLE (entry)));
  emit_now (pr->panel);
}

static void
on_entry_file_response (GtkNativeDialog *dialog, int response, gpointer data)
{
  GtkWidget *row = data;
  ParamRow *pr = g_object_get_data (G_OBJECT (row), "rel-param-row");

  /* a row rebuilt away while the dialog was open has nobody to tell */
  if (pr && response == GTK_RESPONSE_ACCEPT && gtk_widget_get_parent (row) != NULL)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path)
        {
          gtk_editable_set_text (GTK_EDITABLE (row), path);
          on_entry_apply (ADW_ENTRY_ROW (row), pr);
        }
    }
  g_object_unref (row);
  g_object_unref (dialog);
}

static void
on_entry_choose (GtkButton *button, ParamRow *pr)
{
  /* "baselines" draws from a folder; other free text names a file */
  gboolean folder = strcmp (pr->spec->name, "baselines") == 0;

  choose_file (pr->row, folder ? _("Choose a Folder") : _("Choose a File"),
               folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER : GTK_FILE_CHOOSER_ACTION_OPEN,
               G_CALLBACK (on_entry_file_response));
}

static GtkWidget *
build_string (ParamRow *pr, const char *v)
{
  GtkWidget *row = adw_entry_row_new ();
  GtkWidget *button = gtk_button_new_from_icon_name ("document-open-symbolic");

  pr->row = row;
  gtk_editable_set_text (GTK_EDITABLE (row), v ? v : "");
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (row), TRUE);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, _("Choose…"));
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), button);
  g_signal_connect (row, "apply", G_CALLBACK (on_entry_apply), pr);
  g_signal_connect (button, "clicked", G_CALLBACK (on_entry_choose), pr);
  g_object_set_data (G_OBJECT (row), "rel-entry", row);
  return row;
}

/* ---- building the rows ---- */

static void
clear_rows (RelExplainerPanel *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->params_group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
}

static void
build_rows (RelExplainerPanel *self)
{
  const RelMethodDef *m = self->method;

  self->building = TRUE;
  clear_rows (self);
  for (int i = 0; m && i < m->n_params; i++)
    {
      const RelParamSpec *s = &m->params[i];
      ParamRow *pr = g_new0 (ParamRow, 1);
      g_autofree char *title = param_title (s->name);
      GtkWidget *row = NULL;

      pr->panel = self;
      pr->spec = s;
      switch (s->type)
        {
        case REL_PARAM_FLOAT:
        case REL_PARAM_INT:
          row = build_numeric (pr, rel_params_get_float (self->params, s->name));
          break;
        case REL_PARAM_BOOL:
          row = build_bool (pr, rel_params_get_bool (self->params, s->name));
          break;
        case REL_PARAM_CHOICE:
          row = build_choice (pr, rel_params_get_string (self->params, s->name));
          break;
        case REL_PARAM_STRING:
          if (strcmp (s->name, "baseline") == 0)
            row = build_baseline (pr, rel_params_get_string (self->params, s->name));
          else if (strcmp (s->name, "layer") == 0)
            row = build_layer (pr, self->model, rel_params_get_string (self->params, s->name));
          else
            row = build_string (pr, rel_params_get_string (self->params, s->name));
          break;
        }
      pr->row = row;
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      {
        const char *desc = s->description ? g_dgettext (GETTEXT_PACKAGE, s->description) : "";
        g_autofree char *subtitle = NULL;
        GtkWidget *title_label = g_object_get_data (G_OBJECT (row), "rel-title");
        GtkWidget *subtitle_label = g_object_get_data (G_OBJECT (row), "rel-subtitle");

        /* a long unit is part of the explanation, not of the number */
        if (s->unit && g_utf8_strlen (s->unit, -1) > 8
            && (s->type == REL_PARAM_FLOAT || s->type == REL_PARAM_INT))
          subtitle = g_strdup_printf ("%s (%s)", desc, g_dgettext (GETTEXT_PACKAGE, s->unit));
        /* the picker speaks for itself; the spec syntax is for --set */
        else if (strcmp (s->name, "baseline") == 0 && s->type == REL_PARAM_STRING)
          subtitle = g_strdup (_("The reference input the path starts from"));
        if (title_label)
          {
            /* the slider and the spin button are named by the row's title for screen readers */
            gtk_accessible_update_property (GTK_ACCESSIBLE (g_object_get_data (G_OBJECT (row), "rel-scale")),
                                            GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
            gtk_accessible_update_property (GTK_ACCESSIBLE (g_object_get_data (G_OBJECT (row), "rel-spin")),
                                            GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
            gtk_label_set_text (GTK_LABEL (title_label), title);
            gtk_label_set_text (GTK_LABEL (subtitle_label), subtitle ? subtitle : desc);
          }
        else if (ADW_IS_ACTION_ROW (row))
          {
            adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle ? subtitle : desc);
            adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
          }
        /* entry rows have no subtitle; the baseline picker's spec syntax is for --set only */
        if (!title_label && !ADW_IS_ACTION_ROW (row))
          gtk_widget_set_tooltip_text (row, desc);
      }
      g_object_set_data_full (G_OBJECT (row), "rel-param-row", pr, param_row_free);
      g_object_set_data (G_OBJECT (row), "rel-param", (gpointer) s->name);
      adw_preferences_group_add (self->params_group, row);
      g_ptr_array_add (self->rows, row);
      {
        GtkWidget *detail = g_object_get_data (G_OBJECT (row), "rel-detail-row");
        if (detail)
          {
            adw_preferences_group_add (self->params_group, detail);
            g_ptr_array_add (self->rows, detail);
          }
      }
    }
  adw_preferences_group_set_description (self->params_group,
                                         m && m->n_params == 0 ? _("This method has no parameters.") : NULL);
  gtk_widget_set_visible (self->reset_button, m && m->n_params > 0);
  self->building = FALSE;
}

/* ---- methods ---- */

static guint
method_index (const RelMethodDef *method)
{
  const RelMethodDef *const *all = rel_methods ();

  for (guint i = 0; all[i]; i++)
    if (all[i] == method)
      return i;
  return GTK_INVALID_LIST_POSITION;
}

static void
switch_method (RelExplainerPanel *self, const RelMethodDef *method)
{
  RelParams *params;

  if (method == self->method)
    return;
  g_clear_handle_id (&self->debounce_id, g_source_remove);
  params = g_hash_table_lookup (self->memory, method->name);
  if (params == NULL)
    {
      params = rel_params_new (method);
      g_hash_table_insert (self->memory, (gpointer) method->name, params);
    }
  self->method = method;
  self->params = params;
  /* under the group's title, the full width: as the row's subtitle it
   * squeezed long names ("LRP ε + α2β1 + flat") and descriptions to "…" */
  adw_preferences_group_set_description (self->method_group, g_dgettext (GETTEXT_PACKAGE, method->description));
  build_rows (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_METHOD]);
}

static void
on_method_selected (AdwComboRow *combo, GParamSpec *pspec, RelExplainerPanel *self)
{
  guint i = adw_combo_row_get_selected (combo);
  const RelMethodDef *const *all = rel_methods ();
  const RelMethodDef *before = self->method;

  if (i == GTK_INVALID_LIST_POSITION)
    return;
  switch_method (self, all[i]);
  if (self->method != before)
    emit_now (self);
}

gboolean
rel_explainer_panel_set_method (RelExplainerPanel *self, const char *name)
{
  const RelMethodDef *m;
  guint i;

  g_return_val_if_fail (REL_IS_EXPLAINER_PANEL (self), FALSE);
  m = rel_method_lookup (name);
  if (m == NULL)
    return FALSE;
  i = method_index (m);
  if (i == GTK_INVALID_LIST_POSITION)
    return FALSE;
  /* the drop-down's notification switches and emits */
  adw_combo_row_set_selected (self->method_row, i);
  return TRUE;
}

const RelMethodDef *
rel_explainer_panel_get_method (RelExplainerPanel *self)
{
  g_return_val_if_fail (REL_IS_EXPLAINER_PANEL (self), NULL);
  return self->method;
}

RelParams *
rel_explainer_panel_get_params (RelExplainerPanel *self)
{
  g_return_val_if_fail (REL_IS_EXPLAINER_PANEL (self), NULL);
  return self->params ? rel_params_copy (self->params) : NULL;
}

void
rel_explainer_panel_reset (RelExplainerPanel *self)
{
  g_return_if_fail (REL_IS_EXPLAINER_PANEL (self));
  if (self->method == NULL)
    return;
  self->params = rel_params_new (self->method);
  g_hash_table_replace (self->memory, (gpointer) self->method->name, self->params);
  build_rows (self);
  emit_now (self);
}

static ParamRow *
find_row (RelExplainerPanel *self, const char *key)
{
  for (guint i = 0; i < self->rows->len; i++)
    {
      ParamRow *pr = g_object_get_data (g_ptr_array_index (self->rows, i), "rel-param-row");
      if (pr && strcmp (pr->spec->name, key) == 0)
        return pr;
    }
  return NULL;
}

gboolean
rel_explainer_panel_set_param (RelExplainerPanel *self, const char *key, const char *value,
                               GError **error)
{
  ParamRow *pr;
  g_autoptr(RelParams) trial = NULL;
  g_autofree char *clamped = NULL;

  g_return_val_if_fail (REL_IS_EXPLAINER_PANEL (self), FALSE);
  g_return_val_if_fail (self->params != NULL, FALSE);
  pr = find_row (self, key);
  if (pr && (pr->spec->type == REL_PARAM_FLOAT || pr->spec->type == REL_PARAM_INT))
    {
      char *end = NULL;
      double d = g_ascii_strtod (value, &end);
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      if (end != value && *end == '\0' && isfinite (d))
        {
          d = CLAMP (d, pr->spec->min, pr->spec->max);
          if (pr->spec->type == REL_PARAM_INT)
            d = round (d);
          clamped = g_strdup (g_ascii_dtostr (buf, sizeof buf, d));
          value = clamped;
        }
    }
  /* validate on a copy first so a bad value leaves everything as it was */
  trial = rel_params_copy (self->params);
  if (!rel_params_set (trial, key, value, error))
    return FALSE;
  rel_params_set (self->params, key, value, NULL);
  build_rows (self);
  emit_debounced (self);
  return TRUE;
}

/* ---- status ---- */

void
rel_explainer_panel_set_status (RelExplainerPanel *self, double elapsed_ms, double fraction,
                                const char *conservation_text)
{
  g_autofree char *time = NULL;
  g_autofree char *text = NULL;
  gboolean progressive;

  g_return_if_fail (REL_IS_EXPLAINER_PANEL (self));
  if (elapsed_ms < 0)
    time = g_strdup (_("Computing…"));
  else if (elapsed_ms < 10)
    time = g_strdup_printf (_("%.1f ms"), elapsed_ms);
  else if (elapsed_ms < 10000)
    time = g_strdup_printf (_("%.0f ms"), elapsed_ms);
  else
    time = g_strdup_printf (_("%.1f s"), elapsed_ms / 1000);
  if (conservation_text && *conservation_text)
    text = g_strdup_printf ("%s · %s", time, conservation_text);
  else
    text = g_steal_pointer (&time);
  gtk_label_set_text (self->status_label, text);
  /* only sampling methods refine progressively */
  progressive = fraction >= 0 && fraction < 1 && self->method && self->method->sampling;
  if (progressive)
    gtk_progress_bar_set_fraction (self->progress, fraction);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), progressive);
  gtk_widget_set_visible (self->status_box, TRUE);
}

void
rel_explainer_panel_clear_status (RelExplainerPanel *self)
{
  g_return_if_fail (REL_IS_EXPLAINER_PANEL (self));
  gtk_label_set_text (self->status_label, "");
  gtk_widget_set_visible (self->status_box, FALSE);
}

const char *
rel_explainer_panel_get_status_text (RelExplainerPanel *self)
{
  g_return_val_if_fail (REL_IS_EXPLAINER_PANEL (self), NULL);
  return gtk_label_get_text (self->status_label);
}

/* ---- model ---- */

void
rel_explainer_panel_set_image_folder (RelExplainerPanel *self, const char *folder)
{
  g_return_if_fail (REL_IS_EXPLAINER_PANEL (self));
  g_free (self->image_folder);
  self->image_folder = g_strdup (folder);
}

void
rel_explainer_panel_set_model (RelExplainerPanel *self, RelModel *model)
{
  g_return_if_fail (REL_IS_EXPLAINER_PANEL (self));
  if (model == self->model)
    return;
  if (model)
    rel_model_ref (model);
  g_clear_pointer (&self->model, rel_model_unref);
  self->model = model;
  if (self->method && rel_method_param (self->method, "layer"))
    {
      g_autofree char *before = g_strdup (rel_params_get_string (self->params, "layer"));
      build_rows (self);
      /* the layer the rows fell back to differs: the explanation changes */
      if (g_strcmp0 (before, rel_params_get_string (self->params, "layer")) != 0)
        emit_now (self);
    }
}

GtkWidget *
rel_explainer_panel_get_row (RelExplainerPanel *self, const char *key)
{
  ParamRow *pr;

  g_return_val_if_fail (REL_IS_EXPLAINER_PANEL (self), NULL);
  pr = find_row (self, key);
  return pr ? pr->row : NULL;
}

GtkWidget *
rel_explainer_panel_get_method_row (RelExplainerPanel *self)
{
  g_return_val_if_fail (REL_IS_EXPLAINER_PANEL (self), NULL);
  return GTK_WIDGET (self->method_row);
}

/* ---- the method drop-down ---- */

static char *
method_title (GtkStringObject *item)
{
  const RelMethodDef *m = rel_method_lookup (item ? gtk_string_object_get_string (item) : NULL);
  return g_strdup (m ? g_dgettext (GETTEXT_PACKAGE, m->title) : "");
}

/* Popup entries: the family's heading above its first method, then the
 * title and the description. */
static void
method_item_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *heading = gtk_label_new (NULL);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *desc = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "heading");
  gtk_widget_add_css_class (heading, "accent");
  gtk_widget_set_margin_top (heading, 6);
  gtk_widget_set_margin_bottom (heading, 4);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_xalign (GTK_LABEL (desc), 0);
  gtk_label_set_wrap (GTK_LABEL (desc), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (desc), 44);
  gtk_label_set_width_chars (GTK_LABEL (desc), 44);
  gtk_widget_add_css_class (desc, "dim-label");
  gtk_widget_add_css_class (desc, "caption");
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), desc);
  gtk_list_item_set_child (item, box);
}

static void
method_item_bind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  const RelMethodDef *const *all = rel_methods ();
  guint pos = gtk_list_item_get_position (item);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *heading = gtk_widget_get_first_child (box);
  GtkWidget *title = gtk_widget_get_next_sibling (heading);
  GtkWidget *desc = gtk_widget_get_next_sibling (title);
  const RelMethodDef *m = all[pos];
  gboolean first = pos == 0 || g_strcmp0 (all[pos - 1]->family, m->family) != 0;

  gtk_label_set_text (GTK_LABEL (heading), family_title (m->family));
  gtk_widget_set_visible (heading, first);
  gtk_label_set_text (GTK_LABEL (title), g_dgettext (GETTEXT_PACKAGE, m->title));
  gtk_label_set_text (GTK_LABEL (desc), g_dgettext (GETTEXT_PACKAGE, m->description));
}

static void
setup_method_row (RelExplainerPanel *self)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  for (const RelMethodDef *const *m = rel_methods (); *m; m++)
    gtk_string_list_append (names, (*m)->name);
  g_signal_connect (factory, "setup", G_CALLBACK (method_item_setup), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (method_item_bind), NULL);
  {
    GtkExpression *expr = gtk_cclosure_expression_new (G_TYPE_STRING, NULL, 0, NULL,
                                                       G_CALLBACK (method_title), NULL, NULL);
    adw_combo_row_set_expression (self->method_row, expr);
    gtk_expression_unref (expr);
  }
  adw_combo_row_set_list_factory (self->method_row, factory);
  adw_combo_row_set_model (self->method_row, G_LIST_MODEL (names));
  if (g_list_model_get_n_items (G_LIST_MODEL (names)) > 0)
    {
      adw_combo_row_set_selected (self->method_row, 0);
      switch_method (self, rel_methods ()[0]);
    }
  g_signal_connect (self->method_row, "notify::selected", G_CALLBACK (on_method_selected), self);
}

/* ---- GObject ---- */

static void
on_reset_clicked (GtkButton *button, RelExplainerPanel *self)
{
  rel_explainer_panel_reset (self);
}

static void
rel_explainer_panel_dispose (GObject *object)
{
  RelExplainerPanel *self = REL_EXPLAINER_PANEL (object);

  g_clear_handle_id (&self->debounce_id, g_source_remove);
  G_OBJECT_CLASS (rel_explainer_panel_parent_class)->dispose (object);
}

static void
rel_explainer_panel_finalize (GObject *object)
{
  RelExplainerPanel *self = REL_EXPLAINER_PANEL (object);

  g_ptr_array_unref (self->rows);
  g_hash_table_unref (self->memory);
  g_clear_pointer (&self->model, rel_model_unref);
  g_clear_pointer (&self->image_folder, g_free);
  G_OBJECT_CLASS (rel_explainer_panel_parent_class)->finalize (object);
}

static void
rel_explainer_panel_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  RelExplainerPanel *self = REL_EXPLAINER_PANEL (object);

  switch (prop_id)
    {
    case PROP_METHOD:
      g_value_set_string (value, self->method ? self->method->name : NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rel_explainer_panel_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  RelExplainerPanel *self = REL_EXPLAINER_PANEL (object);

  switch (prop_id)
    {
    case PROP_METHOD:
      if (g_value_get_string (value))
        rel_explainer_panel_set_method (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rel_explainer_panel_class_init (RelExplainerPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = rel_explainer_panel_dispose;
  object_class->finalize = rel_explainer_panel_finalize;
  object_class->get_property = rel_explainer_panel_get_property;
  object_class->set_property = rel_explainer_panel_set_property;

  props[PROP_METHOD] = g_param_spec_string ("method", NULL, NULL, NULL,
                                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_PARAMS_CHANGED] =
    g_signal_new ("params-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);

  g_type_ensure (ADW_TYPE_COMBO_ROW);
  g_type_ensure (ADW_TYPE_PREFERENCES_GROUP);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/relevance/Relevance/rel-explainer-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, RelExplainerPanel, method_group);
  gtk_widget_class_bind_template_child (widget_class, RelExplainerPanel, method_row);
  gtk_widget_class_bind_template_child (widget_class, RelExplainerPanel, params_group);
  gtk_widget_class_bind_template_child (widget_class, RelExplainerPanel, reset_button);
  gtk_widget_class_bind_template_child (widget_class, RelExplainerPanel, status_box);
  gtk_widget_class_bind_template_child (widget_class, RelExplainerPanel, progress);
  gtk_widget_class_bind_template_child (widget_class, RelExplainerPanel, status_label);
}

static void
rel_explainer_panel_init (RelExplainerPanel *self)
{
  self->memory = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) rel_params_free);
  self->rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self->reset_button, "clicked", G_CALLBACK (on_reset_clicked), self);
  setup_method_row (self);
}

GtkWidget *
rel_explainer_panel_new (void)
{
  return g_object_new (REL_TYPE_EXPLAINER_PANEL, NULL);
}
