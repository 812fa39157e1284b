/* rel-prediction-panel.c — top-k classes and the explanation target (see
 * rel-prediction-panel.h).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-prediction-panel.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#define TOP_K_DEFAULT 5
#define TOP_K_MAX 20
/* more outputs than this are not a classifier worth listing in a drop-down */
#define MAX_CLASSES 100000

struct _RelPredictionPanel {
  GtkBox parent_instance;

  /* template */
  AdwPreferencesGroup *classes_group;
  GtkListBox          *list;
  GtkSwitch           *contrast_switch;
  AdwComboRow         *versus_row;
  GtkSwitch           *log_switch;
  GtkToggleButton     *pin_button;

  int        k;
  int        n_classes;
  double    *probs;       /* softmax, n_classes */
  double    *log_probs;   /* log softmax, n_classes */
  int       *order;       /* class indices by falling probability, n_classes */
  char     **labels;      /* n_classes, owned */
  GPtrArray *rows;        /* GtkListBoxRow per rank shown */

  RelTarget  target;
  gboolean   updating;    /* widgets are following the target: not user edits */
};

G_DEFINE_FINAL_TYPE (RelPredictionPanel, rel_prediction_panel, GTK_TYPE_BOX)

enum {
  PROP_0,
  PROP_TOP_K,
  N_PROPS
};

enum {
  SIGNAL_TARGET_CHANGED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static int
argmax (RelPredictionPanel *self)
{
  return self->n_classes > 0 ? self->order[0] : 0;
}

/* The class the target explains (the arg-max for "predicted"). */
static int
target_a (RelPredictionPanel *self)
{
  return self->target.kind == REL_TARGET_PREDICTED ? argmax (self) : self->target.a;
}

static char *
format_percent (double p)
{
  double pct = 100 * p;

  if (pct > 0 && pct < 0.05)
    return g_strdup (_("< 0.1 %"));
  /* TRANSLATORS: a probability in percent */
  return g_strdup_printf (_("%.1f %%"), pct);
}

/* ---- showing the target ---- */

static void
sync_widgets (RelPredictionPanel *self)
{
  gboolean contrast = self->target.kind == REL_TARGET_CONTRAST;
  int a = target_a (self);

  self->updating = TRUE;
  gtk_switch_set_active (self->contrast_switch, contrast);
  gtk_switch_set_active (self->log_switch, self->target.log_prob);
  gtk_widget_set_sensitive (GTK_WIDGET (self->versus_row), contrast && self->n_classes > 1);
  if (contrast && self->target.b < self->n_classes)
    adw_combo_row_set_selected (self->versus_row, self->target.b);
  gtk_list_box_unselect_all (self->list);
  for (guint r = 0; r < self->rows->len; r++)
    {
      GtkWidget *row = g_ptr_array_index (self->rows, r);
      int c = self->order[r];
      GtkWidget *badge = g_object_get_data (G_OBJECT (row), "rel-badge");
      GtkWidget *versus = g_object_get_data (G_OBJECT (row), "rel-versus");
      GtkWidget *logp = g_object_get_data (G_OBJECT (row), "rel-logp");

      if (c == a)
        gtk_list_box_select_row (self->list, GTK_LIST_BOX_ROW (row));
      if (contrast && c == a)
        gtk_label_set_text (GTK_LABEL (badge), _("A"));
      else if (contrast && c == self->target.b)
        gtk_label_set_text (GTK_LABEL (badge), _("B"));
      gtk_widget_set_visible (badge, contrast && (c == a || c == self->target.b));
      if (c == self->target.b && contrast)
        gtk_widget_add_css_class (badge, "warning");
      else
        gtk_widget_remove_css_class (badge, "warning");
      gtk_widget_set_visible (versus, contrast && c != a && c != self->target.b);
      gtk_widget_set_visible (logp, self->target.log_prob);
    }
  self->updating = FALSE;
}

static void
emit_target (RelPredictionPanel *self)
{
  RelTarget t;

  sync_widgets (self);
  rel_prediction_panel_get_target (self, &t);
  g_signal_emit (self, signals[SIGNAL_TARGET_CHANGED], 0, &t);
}

/* The runner-up to @a: the best class other than it. */
static int
other_class (RelPredictionPanel *self, int a)
{
  for (int r = 0; r < self->n_classes; r++)
    if (self->order[r] != a)
      return self->order[r];
  return a;
}

/* ---- user actions ---- */

static void
on_row_activated (GtkListBox *list, GtkListBoxRow *row, RelPredictionPanel *self)
{
  int rank = gtk_list_box_row_get_index (row);
  int c;

  if (rank < 0 || rank >= (int) self->rows->len)
    return;
  c = self->order[rank];
  if (self->target.kind == REL_TARGET_CONTRAST)
    {
      /* A takes the clicked class; clicking B swaps the pair */
      if (c == self->target.b)
        self->target.b = self->target.a;
      self->target.a = c;
    }
  else if (rank == 0)
    {
      self->target.kind = REL_TARGET_PREDICTED;
      self->target.a = c;
    }
  else
    {
      self->target.kind = REL_TARGET_CLASS;
      self->target.a = c;
    }
  emit_target (self);
}

static void
on_versus_clicked (GtkButton *button, RelPredictionPanel *self)
{
  GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (button), GTK_TYPE_LIST_BOX_ROW);
  int rank = row ? gtk_list_box_row_get_index (GTK_LIST_BOX_ROW (row)) : -1;

  if (rank < 0 || rank >= (int) self->rows->len || self->target.kind != REL_TARGET_CONTRAST)
    return;
  self->target.b = self->order[rank];
  emit_target (self);
}

static void
on_contrast_active (GtkSwitch *sw, GParamSpec *pspec, RelPredictionPanel *self)
{
  gboolean on = gtk_switch_get_active (sw);
  int a;

  if (self->updating || on == (self->target.kind == REL_TARGET_CONTRAST))
    return;
  a = target_a (self);
  if (on)
    {
      if (self->n_classes < 2)
        {
          sync_widgets (self);
          return;
        }
      self->target.kind = REL_TARGET_CONTRAST;
      self->target.a = a;
      self->target.b = other_class (self, a);
    }
  else
    self->target.kind = a == argmax (self) ? REL_TARGET_PREDICTED : REL_TARGET_CLASS;
  emit_target (self);
}

static void
on_versus_selected (AdwComboRow *combo, GParamSpec *pspec, RelPredictionPanel *self)
{
  guint i = adw_combo_row_get_selected (combo);

  if (self->updating || self->target.kind != REL_TARGET_CONTRAST
      || i == GTK_INVALID_LIST_POSITION || (int) i >= self->n_classes || (int) i == self->target.b)
    return;
  self->target.b = (int) i;
  emit_target (self);
}

static void
on_log_active (GtkSwitch *sw, GParamSpec *pspec, RelPredictionPanel *self)
{
  if (self->updating || gtk_switch_get_active (sw) == self->target.log_prob)
    return;
  self->target.log_prob = gtk_switch_get_active (sw);
  emit_target (self);
}

/* ---- rows ---- */

static GtkWidget *
make_row (RelPredictionPanel *self, int rank)
{
  int c = self->order[rank];
  double p = self->probs[c];
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *rank_label, *name, *badge, *percent, *logp, *versus, *bar;
  g_autofree char *rank_text = g_strdup_printf ("%d", rank + 1);
  g_autofree char *pct = format_percent (p);
  g_autofree char *logp_text = g_strdup_printf (_("log p %.3g"), self->log_probs[c]);
  g_autofree char *tooltip = g_strdup_printf (_("Class %d: %s"), c, self->labels[c]);

  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 10);
  gtk_widget_set_margin_bottom (box, 10);

  rank_label = gtk_label_new (rank_text);
  gtk_widget_add_css_class (rank_label, "dim-label");
  gtk_widget_add_css_class (rank_label, "numeric");
  gtk_label_set_width_chars (GTK_LABEL (rank_label), 2);
  gtk_label_set_xalign (GTK_LABEL (rank_label), 0);

  name = gtk_label_new (self->labels[c]);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (name, TRUE);
  if (rank == 0)
    gtk_widget_add_css_class (name, "heading");

  badge = gtk_label_new (NULL);
  gtk_widget_add_css_class (badge, "caption-heading");
  gtk_widget_add_css_class (badge, "accent");
  gtk_widget_set_visible (badge, FALSE);

  versus = gtk_button_new_with_label (_("vs"));
  gtk_widget_add_css_class (versus, "flat");
  gtk_widget_add_css_class (versus, "caption");
  gtk_widget_set_tooltip_text (versus, _("Contrast against this class (B)"));
  gtk_widget_set_valign (versus, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (versus, FALSE);
  g_signal_connect (versus, "clicked", G_CALLBACK (on_versus_clicked), self);

  logp = gtk_label_new (logp_text);
  gtk_widget_add_css_class (logp, "dim-label");
  gtk_widget_add_css_class (logp, "caption");
  gtk_widget_add_css_class (logp, "numeric");
  gtk_widget_set_visible (logp, FALSE);

  percent = gtk_label_new (pct);
  gtk_widget_add_css_class (percent, "numeric");
  gtk_label_set_xalign (GTK_LABEL (percent), 1);
  gtk_label_set_width_chars (GTK_LABEL (percent), 7);

  gtk_box_append (GTK_BOX (line), rank_label);
  gtk_box_append (GTK_BOX (line), name);
  gtk_box_append (GTK_BOX (line), badge);
  gtk_box_append (GTK_BOX (line), versus);
  gtk_box_append (GTK_BOX (line), logp);
  gtk_box_append (GTK_BOX (line), percent);

  bar = gtk_progress_bar_new ();
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (bar), CLAMP (p, 0.0, 1.0));
  gtk_widget_set_margin_start (bar, 24);

  gtk_box_append (GTK_BOX (box), line);
  gtk_box_append (GTK_BOX (box), bar);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_widget_set_tooltip_text (row, tooltip);

  g_object_set_data (G_OBJECT (row), "rel-name", name);
  g_object_set_data (G_OBJECT (row), "rel-percent", percent);
  g_object_set_data (G_OBJECT (row), "rel-badge", badge);
  g_object_set_data (G_OBJECT (row), "rel-versus", versus);
  g_object_set_data (G_OBJECT (row), "rel-logp", logp);
  g_object_set_data (G_OBJECT (row), "rel-bar", bar);
  return row;
}

static void
rebuild_rows (RelPredictionPanel *self)
{
  int shown = MIN (self->k, self->n_classes);

  for (guint r = 0; r < self->rows->len; r++)
    gtk_list_box_remove (self->list, g_ptr_array_index (self->rows, r));
  g_ptr_array_set_size (self->rows, 0);
  for (int r = 0; r < shown; r++)
    {
      GtkWidget *row = make_row (self, r);
      gtk_list_box_append (self->list, row);
      g_ptr_array_add (self->rows, row);
    }
  if (self->n_classes > 0)
    {
      /* TRANSLATORS: the prediction group's description */
      g_autofree char *desc = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Top %d of %d class",
                                                            "Top %d of %d classes", self->n_classes),
                                               shown, self->n_classes);
      adw_preferences_group_set_description (self->classes_group, desc);
    }
  else
    adw_preferences_group_set_description (self->classes_group, NULL);
  sync_widgets (self);
}

static int
cmp_desc (gconstpointer pa, gconstpointer pb, gpointer data)
{
  const double *probs = data;
  int a = *(const int *) pa, b = *(const int *) pb;

  if (probs[a] != probs[b])
    return probs[a] > probs[b] ? -1 : 1;
  return a - b;   /* ties: lower class first, as arg-max picks */
}

static void
clear_classes (RelPredictionPanel *self)
{
  g_clear_pointer (&self->probs, g_free);
  g_clear_pointer (&self->log_probs, g_free);
  g_clear_pointer (&self->order, g_free);
  if (self->labels)
    for (int c = 0; c < self->n_classes; c++)
      g_free (self->labels[c]);
  g_clear_pointer (&self->labels, g_free);
  self->n_classes = 0;
}

void
rel_prediction_panel_set_logits (RelPredictionPanel *self, const RelTensor *logits, RelModel *model)
{
  int n = 0, old_n;
  const float *z;
  double mx = -INFINITY, sum = 0;
  gboolean labels_changed;
  g_autoptr(GtkStringList) names = NULL;
  char **old_labels;

  g_return_if_fail (REL_IS_PREDICTION_PANEL (self));
  if (logits && logits->dtype == REL_DTYPE_FLOAT32 && logits->ndim >= 1 && logits->numel > 0
      && logits->shape[logits->ndim - 1] > 0 && logits->shape[logits->ndim - 1] <= MAX_CLASSES)
    n = (int) logits->shape[logits->ndim - 1];

  old_n = self->n_classes;
  old_labels = self->labels;
  self->labels = NULL;
  self->n_classes = 0;
  g_clear_pointer (&self->probs, g_free);
  g_clear_pointer (&self->log_probs, g_free);
  g_clear_pointer (&self->order, g_free);

  if (n > 0)
    {
      z = rel_tensor_f32 (logits);
      self->probs = g_new (double, n);
      self->log_probs = g_new (double, n);
      self->order = g_new (int, n);
      self->labels = g_new0 (char *, n);
      for (int c = 0; c < n; c++)
        if (isfinite (z[c]))
          mx = MAX (mx, z[c]);
      for (int c = 0; c < n; c++)
        sum += isfinite (z[c]) ? exp (z[c] - mx) : 0;
      for (int c = 0; c < n; c++)
        {
          /* a NaN or infinite score counts as impossible rather than poisoning the rest */
          self->log_probs[c] = isfinite (z[c]) && sum > 0 ? z[c] - mx - log (sum) : -INFINITY;
          self->probs[c] = exp (self->log_probs[c]);
          self->order[c] = c;
          {
            const char *label = model && c < model->n_labels ? rel_model_label (model, c) : NULL;
            self->labels[c] = label && *label ? g_strdup (label) : g_strdup_printf (_("Class %d"), c);
          }
        }
      g_qsort_with_data (self->order, n, sizeof (int), cmp_desc, self->probs);
      self->n_classes = n;
    }

  /* the drop-down of every class only changes with the labels */
  labels_changed = old_n != n;
  for (int c = 0; !labels_changed && c < n; c++)
    labels_changed = strcmp (old_labels[c], self->labels[c]) != 0;
  if (old_labels)
    for (int c = 0; c < old_n; c++)
      g_free (old_labels[c]);
  g_free (old_labels);
  if (labels_changed)
    {
      names = gtk_string_list_new (NULL);
      for (int c = 0; c < n; c++)
        gtk_string_list_append (names, self->labels[c]);
      self->updating = TRUE;
      adw_combo_row_set_model (self->versus_row, G_LIST_MODEL (names));
      self->updating = FALSE;
    }

  /* an explicit class the new output lacks falls back to the prediction */
  if (self->target.kind != REL_TARGET_PREDICTED
      && (self->target.a >= n || (self->target.kind == REL_TARGET_CONTRAST && self->target.b >= n)))
    {
      self->target.kind = REL_TARGET_PREDICTED;
      rebuild_rows (self);
      emit_target (self);
      return;
    }
  rebuild_rows (self);
}

/* ---- accessors ---- */

void
rel_prediction_panel_new_image (RelPredictionPanel *self)
{
  g_return_if_fail (REL_IS_PREDICTION_PANEL (self));
  if (gtk_toggle_button_get_active (self->pin_button) || self->target.kind == REL_TARGET_PREDICTED)
    return;
  self->target.kind = REL_TARGET_PREDICTED;
  sync_widgets (self);
}

void
rel_prediction_panel_set_pinned (RelPredictionPanel *self, gboolean pinned)
{
  g_return_if_fail (REL_IS_PREDICTION_PANEL (self));
  gtk_toggle_button_set_active (self->pin_button, pinned);
}

gboolean
rel_prediction_panel_get_pinned (RelPredictionPanel *self)
{
  g_return_val_if_fail (REL_IS_PREDICTION_PANEL (self), FALSE);
  return gtk_toggle_button_get_active (self->pin_button);
}

char *
rel_prediction_panel_describe_target (RelPredictionPanel *self)
{
  RelTarget t;
  g_autofree char *a = NULL, *b = NULL, *text = NULL;

  g_return_val_if_fail (REL_IS_PREDICTION_PANEL (self), NULL);
  if (self->n_classes == 0)
    return NULL;
  rel_prediction_panel_get_target (self, &t);
  a = t.a >= 0 && t.a < self->n_classes ? g_strdup (self->labels[t.a]) : g_strdup_printf ("%d", t.a);
  if (t.kind == REL_TARGET_CONTRAST)
    {
      b = t.b >= 0 && t.b < self->n_classes ? g_strdup (self->labels[t.b]) : g_strdup_printf ("%d", t.b);
      /* Translators: the explained output, class A against class B */
      text = g_strdup_printf (_("Explaining: %s vs %s"), a, b);
    }
  else if (t.kind == REL_TARGET_PREDICTED)
    /* Translators: the explained class, which is the model's prediction */
    text = g_strdup_printf (_("Explaining: %s (predicted)"), a);
  else if (t.a == argmax (self))
    text = g_strdup_printf (_("Explaining: %s"), a);
  else
    /* Translators: the explained class, which is not the prediction */
    text = g_strdup_printf (_("Explaining: %s (not predicted)"), a);
  if (t.log_prob)
    return g_strdup_printf ("%s · log p", text);
  return g_steal_pointer (&text);
}

void
rel_prediction_panel_get_target (RelPredictionPanel *self, RelTarget *target)
{
  g_return_if_fail (REL_IS_PREDICTION_PANEL (self));
  *target = self->target;
  if (target->kind == REL_TARGET_PREDICTED)
    target->a = argmax (self);
}

void
rel_prediction_panel_set_target (RelPredictionPanel *self, const RelTarget *target)
{
  RelTarget t;

  g_return_if_fail (REL_IS_PREDICTION_PANEL (self));
  t = *target;
  if (t.kind != REL_TARGET_PREDICTED && self->n_classes > 0
      && (t.a < 0 || t.a >= self->n_classes
          || (t.kind == REL_TARGET_CONTRAST && (t.b < 0 || t.b >= self->n_classes))))
    t.kind = REL_TARGET_PREDICTED;
  self->target = t;
  emit_target (self);
}

void
rel_prediction_panel_set_top_k (RelPredictionPanel *self, int k)
{
  g_return_if_fail (REL_IS_PREDICTION_PANEL (self));
  k = CLAMP (k, 1, TOP_K_MAX);
  if (k == self->k)
    return;
  self->k = k;
  rebuild_rows (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TOP_K]);
}

int
rel_prediction_panel_get_top_k (RelPredictionPanel *self)
{
  g_return_val_if_fail (REL_IS_PREDICTION_PANEL (self), 0);
  return self->k;
}

int
rel_prediction_panel_get_n_classes (RelPredictionPanel *self)
{
  g_return_val_if_fail (REL_IS_PREDICTION_PANEL (self), 0);
  return self->n_classes;
}

int
rel_prediction_panel_get_class_at (RelPredictionPanel *self, int rank)
{
  g_return_val_if_fail (REL_IS_PREDICTION_PANEL (self), -1);
  return rank >= 0 && rank < self->n_classes ? self->order[rank] : -1;
}

double
rel_prediction_panel_get_probability (RelPredictionPanel *self, int klass)
{
  g_return_val_if_fail (REL_IS_PREDICTION_PANEL (self), 0);
  return klass >= 0 && klass < self->n_classes ? self->probs[klass] : 0;
}

GtkWidget *
rel_prediction_panel_get_row (RelPredictionPanel *self, int rank)
{
  g_return_val_if_fail (REL_IS_PREDICTION_PANEL (self), NULL);
  return rank >= 0 && rank < (int) self->rows->len ? g_ptr_array_index (self->rows, rank) : NULL;
}

GtkWidget *
rel_prediction_panel_get_contrast_switch (RelPredictionPanel *self)
{
  return GTK_WIDGET (self->contrast_switch);
}

GtkWidget *
rel_prediction_panel_get_versus_row (RelPredictionPanel *self)
{
  return GTK_WIDGET (self->versus_row);
}

GtkWidget *
rel_prediction_panel_get_log_switch (RelPredictionPanel *self)
{
  return GTK_WIDGET (self->log_switch);
}

/* ---- GObject ---- */

static void
rel_prediction_panel_finalize (GObject *object)
{
  RelPredictionPanel *self = REL_PREDICTION_PANEL (object);

  clear_classes (self);
  g_ptr_array_unref (self->rows);
  G_OBJECT_CLASS (rel_prediction_panel_parent_class)->finalize (object);
}

static void
rel_prediction_panel_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  RelPredictionPanel *self = REL_PREDICTION_PANEL (object);

  switch (prop_id)
    {
    case PROP_TOP_K:
      g_value_set_int (value, self->k);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rel_prediction_panel_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  RelPredictionPanel *self = REL_PREDICTION_PANEL (object);

  switch (prop_id)
    {
    case PROP_TOP_K:
      rel_prediction_panel_set_top_k (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rel_prediction_panel_class_init (RelPredictionPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = rel_prediction_panel_finalize;
  object_class->get_property = rel_prediction_panel_get_property;
  object_class->set_property = rel_prediction_panel_set_property;

  props[PROP_TOP_K] = g_param_spec_int ("top-k", NULL, NULL, 1, TOP_K_MAX, TOP_K_DEFAULT,
                                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_TARGET_CHANGED] =
    g_signal_new ("target-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);

  g_type_ensure (ADW_TYPE_COMBO_ROW);
  g_type_ensure (ADW_TYPE_PREFERENCES_GROUP);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/relevance/Relevance/rel-prediction-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, RelPredictionPanel, classes_group);
  gtk_widget_class_bind_template_child (widget_class, RelPredictionPanel, list);
  gtk_widget_class_bind_template_child (widget_class, RelPredictionPanel, contrast_switch);
  gtk_widget_class_bind_template_child (widget_class, RelPredictionPanel, versus_row);
  gtk_widget_class_bind_template_child (widget_class, RelPredictionPanel, log_switch);
  gtk_widget_class_bind_template_child (widget_class, RelPredictionPanel, pin_button);
}

static void
rel_prediction_panel_init (RelPredictionPanel *self)
{
  self->k = TOP_K_DEFAULT;
  self->rows = g_ptr_array_new ();
  self->target.kind = REL_TARGET_PREDICTED;
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self->list, "row-activated", G_CALLBACK (on_row_activated), self);
  g_signal_connect (self->contrast_switch, "notify::active", G_CALLBACK (on_contrast_active), self);
  g_signal_connect (self->log_switch, "notify::active", G_CALLBACK (on_log_active), self);
  g_signal_connect (self->versus_row, "notify::selected", G_CALLBACK (on_versus_selected), self);
}

GtkWidget *
rel_prediction_panel_new (void)
{
  return g_object_new (REL_TYPE_PREDICTION_PANEL, NULL);
}
