/* rel-evaluate-page.c — the Evaluate page (rel-evaluate-page.h).
 *
 * A run is one core job: for each image, each ticked method explains it and
 * each ticked metric scores the map (core/rel-eval.c), the metric's target
 * being the class the method explained, as `relevance-cli evaluate` does.
 * The worker pushes one item per finished cell and one per partial curve;
 * the main loop folds them into the table and the plot as they arrive. A set
 * of images shows means with 95 % confidence half-widths over the images
 * where a metric applied, and mean curves over the finished images.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-evaluate-page.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "rel-error.h"
#include "rel-eval.h"
#include "rel-inspect.h"
#include "rel-job.h"

#define PLOT_LEFT   60
#define PLOT_RIGHT  18
#define PLOT_TOP    40
#define PLOT_BOTTOM 42

/* Ticked by default: methods of the three families, and the faithfulness
 * and complexity metrics that need no mask. */
static const char *const default_methods[] = { "gradient", "input-x-gradient", "lrp-epsilon-plus-flat", "gradcam", NULL };
static const char *const default_metrics[] = { "aopc-morf", "aopc-lerf", "infidelity", "sparseness", NULL };

/* Adwaita's blue 3, orange 3, green 5, purple 3, red 3, yellow 5 (darkened), brown 4, dark 2. */
static const double palette[][3] = {
  { 0x35 / 255.0, 0x84 / 255.0, 0xe4 / 255.0 }, { 0xe6 / 255.0, 0x61 / 255.0, 0x00 / 255.0 },
  { 0x26 / 255.0, 0xa2 / 255.0, 0x69 / 255.0 }, { 0x91 / 255.0, 0x41 / 255.0, 0xac / 255.0 },
  { 0xe0 / 255.0, 0x1b / 255.0, 0x24 / 255.0 }, { 0xc8 / 255.0, 0x88 / 255.0, 0x00 / 255.0 },
  { 0x86 / 255.0, 0x5e / 255.0, 0x3c / 255.0 }, { 0x5e / 255.0, 0x5c / 255.0, 0x64 / 255.0 },
};

/* One (method, metric) cell of a run. */
typedef struct {
  GArray *values;        /* double per finished image, NaN where the metric did not apply */
  char   *reason;        /* the first reason it did not apply */
  double  mean, ci95;
  int     n;             /* images where it applied */
  double *sum, *sum2;    /* curves of the finished images, summed */
  int     sum_steps, n_curves;
  double *shown, *shown2;  /* what the plot draws: the mean curve, or the running image's partial one */
  int     shown_steps, total_steps;
} Cell;

struct _RelEvaluatePage
{
  GtkBox          parent_instance;

  GtkListBox     *methods_list;
  GtkListBox     *metrics_list;
  GtkToggleButton *scope_image;
  GtkToggleButton *scope_dataset;
  GtkButton      *run_button;
  GtkButton      *cancel_button;
  GtkLabel       *title_label;
  GtkLabel       *status_label;
  GtkProgressBar *progress;
  GtkDrawingArea *plot;
  GtkGrid        *table;

  GPtrArray      *method_checks;   /* GtkCheckButton*, one per rel_methods () entry */
  GPtrArray      *metric_checks;   /* one per rel_metrics () entry */
  RelModel       *model;
  char           *image_path;
  char          **dataset;

  RelJob         *job;
  gint64          started;
  /* the last run */
  GPtrArray      *run_methods;     /* const RelMethodDef* */
  GPtrArray      *run_metrics;     /* const RelMetricDef* */
  int             n_images;
  gboolean        run_dataset;
  Cell           *cells;           /* methods × metrics */
  GtkLabel      **cell_labels;
};

G_DEFINE_FINAL_TYPE (RelEvaluatePage, rel_evaluate_page, GTK_TYPE_BOX)

/* ---- the worker ---- */

typedef struct {
  RelModel   *model;
  char      **paths;
  int         n_methods, n_metrics;
  const RelMethodDef **methods;
  RelParams **method_params;
  const RelMetricDef **metrics;
  RelParams **metric_params;
  guint64     seed;
} JobData;

typedef struct {
  int     image, method, metric;
  gboolean final;
  double  value;
  char   *reason;
  int     n_steps, total_steps;
  double *scores, *scores2;
} Item;

static void
item_free (gpointer data)
{
  Item *it = data;
  g_free (it->reason);
  g_free (it->scores);
  g_free (it->scores2);
  g_free (it);
}

static void
job_data_free (gpointer data)
{
  JobData *d = data;
  for (int i = 0; i < d->n_methods; i++)
    rel_params_free (d->method_params[i]);
  for (int i = 0; i < d->n_metrics; i++)
    rel_params_free (d->metric_params[i]);
  g_free (d->method_params);
  g_free (d->metric_params);
  g_free (d->methods);
  g_free (d->metrics);
  g_strfreev (d->paths);
  rel_model_unref (d->model);
  g_free (d);
}

static gboolean
is_flip_metric (const RelMetricDef *m)
{
  static const char *const names[] = { "aopc-morf", "aopc-lerf", "abpc", "deletion", "insertion", NULL };
  return g_strv_contains (names, m->name);
}

/* Steps (with step 0) of a pixel-flipping curve on an H×W input. */
static int
flip_total_steps (const RelParams *p, int h, int w)
{
  int patch = rel_params_get_int (p, "patch"), limit = rel_params_get_int (p, "steps"), n;
  if (patch <= 0)
    patch = rel_eval_default_patch (h, w);
  n = ((h + patch - 1) / patch) * ((w + patch - 1) / patch);
  return (limit > 0 ? MIN (limit, n) : n) + 1;
}

typedef struct {
  RelJob        *job;
  const JobData *d;
  int            image, method, metric, total_steps, last_steps;
  double         done, all;     /* cells finished before this one, cells in the run */
} Reporter;

static void
push_item (RelJob *job, int image, int method, int metric, gboolean final, const RelMetricResult *r,
           const char *reason, int total_steps)
{
  Item *it = g_new0 (Item, 1);
  it->image = image;
  it->method = method;
  it->metric = metric;
  it->final = final;
  it->value = NAN;
  it->total_steps = total_steps;
  if (reason)
    it->reason = g_strdup (reason);
  else if (r && r->not_applicable)
    it->reason = g_strdup (r->not_applicable);
  else if (r)
    {
      it->value = r->value;
      if (r->n_steps > 0 && r->scores)
        {
          it->n_steps = r->n_steps;
          it->scores = g_memdup2 (r->scores, sizeof (double) * r->n_steps);
          if (r->scores2)
            it->scores2 = g_memdup2 (r->scores2, sizeof (double) * r->n_steps);
        }
    }
  rel_job_push (job, it);
}

static void
on_metric_progress (const RelMetricResult *partial, double fraction, gpointer data)
{
  Reporter *rp = data;
  rel_job_progress (rp->job, (rp->done + CLAMP (fraction, 0, 1)) / rp->all, NULL);
  /* a growing curve: pushed when it has grown */
  if (rp->total_steps > 0 && partial->n_steps > rp->last_steps && partial->n_steps < rp->total_steps)
    {
      rp->last_steps = partial->n_steps;
      push_item (rp->job, rp->image, rp->method, rp->metric, FALSE, partial, NULL, rp->total_steps);
    }
}

static gpointer
evaluate_job (RelJob *job, gpointer data, GError **error)
{
  JobData *d = data;
  int n_images = (int) g_strv_length (d->paths);
  double all = (double) n_images * d->n_methods * d->n_metrics;
  volatile gint *cancel = rel_job_cancel_flag (job);

  for (int im = 0; im < n_images; im++)
    {
      g_autoptr(GError) load_error = NULL;
      g_autoptr(RelTensor) input = rel_inspect_load (d->model, d->paths[im], NULL, NULL, &load_error);

      for (int mi = 0; mi < d->n_methods; mi++)
        {
          g_autoptr(GError) explain_error = NULL;
          g_autoptr(RelExplanation) e = NULL;
          double done = ((double) im * d->n_methods + mi) * d->n_metrics;

          if (rel_job_is_cancelled (job))
            return NULL;
          if (input)
            {
              RelExplainRequest er = { 0 };
              er.model = d->model;
              er.input = input;
              er.target = (RelTarget) { REL_TARGET_PREDICTED, 0, 0, FALSE };
              er.params = d->method_params[mi];
              er.seed = d->seed;
              er.cancel = cancel;
              e = rel_explain (d->methods[mi], &er, &explain_error);
              if (e == NULL && g_error_matches (explain_error, REL_ERROR, REL_ERROR_CANCELLED))
                return NULL;
            }
          for (int ki = 0; ki < d->n_metrics; ki++)
            {
              const RelMetricDef *metric = d->metrics[ki];
              g_autoptr(GError) metric_error = NULL;
              g_autoptr(RelMetricResult) r = NULL;
              g_autofree char *reason = NULL;
              RelMetricRequest mr = { 0 };
              Reporter rp = { job, d, im, mi, ki, 0, 0, done + ki, all };

              if (input == NULL)
                {
                  /* a file that does not load says so in every cell of its image */
                  push_item (job, im, mi, ki, TRUE, NULL, load_error->message, 0);
                  continue;
                }
              if (e == NULL)
                {
                  reason = g_strdup_printf (_("the method failed: %s"), explain_error->message);
                  push_item (job, im, mi, ki, TRUE, NULL, reason, 0);
                  continue;
                }
              if (is_flip_metric (metric))
                rp.total_steps = flip_total_steps (d->metric_params[ki], (int) input->shape[2], (int) input->shape[3]);
              mr.model = d->model;
              mr.input = input;
              mr.target = (RelTarget) { REL_TARGET_CLASS, e->target_class, 0, FALSE };
              mr.relevance = e->relevance;
              mr.method_params = d->method_params[mi];
              mr.params = d->metric_params[ki];
              mr.seed = d->seed;
              mr.progress = on_metric_progress;
              mr.progress_data = &rp;
              mr.cancel = cancel;
              r = rel_metric_run (metric, &mr, &metric_error);
              if (r == NULL)
                {
                  if (g_error_matches (metric_error, REL_ERROR, REL_ERROR_CANCELLED))
                    return NULL;
                  push_item (job, im, mi, ki, TRUE, NULL, metric_error->message, rp.total_steps);
                  continue;
                }
              push_item (job, im, mi, ki, TRUE, r, NULL, rp.total_steps);
              rel_job_progress (job, (done + ki + 1) / all, NULL);
            }
        }
    }
  return NULL;
}

/* ---- cells ---- */

static void
cells_free (RelEvaluatePage *self)
{
  int n = self->run_methods && self->run_metrics ? (int) (self->run_methods->len * self->run_metrics->len) : 0;
  for (int i = 0; self->cells && i < n; i++)
    {
      Cell *c = &self->cells[i];
      g_array_unref (c->values);
      g_free (c->reason);
      g_free (c->sum);
      g_free (c->sum2);
      g_free (c->shown);
      g_free (c->shown2);
    }
  g_clear_pointer (&self->cells, g_free);
  g_clear_pointer (&self->cell_labels, g_free);
  g_clear_pointer (&self->run_methods, g_ptr_array_unref);
  g_clear_pointer (&self->run_metrics, g_ptr_array_unref);
}

static int
run_index (GPtrArray *array, const char *name, gboolean metric)
{
  for (guint i = 0; array && i < array->len; i++)
    {
      const char *n = metric ? ((const RelMetricDef *) g_ptr_array_index (array, i))->name
                             : ((const RelMethodDef *) g_ptr_array_index (array, i))->name;
      if (g_strcmp0 (n, name) == 0)
        return (int) i;
    }
  return -1;
}

static Cell *
cell_at (RelEvaluatePage *self, int method, int metric)
{
  return &self->cells[method * self->run_metrics->len + metric];
}

static void
format_value (char *buf, gsize len, double v)
{
  if (!isfinite (v))
    g_snprintf (buf, len, "—");
  else if (fabs (v) >= 1e4)
    g_snprintf (buf, len, "%.0f", v);   /* no exponent in a table of plain numbers */
  else
    g_snprintf (buf, len, "%.4g", v);
}

/* Every cell's label, the best per column in bold. */
static void
update_table (RelEvaluatePage *self)
{
  int nm = (int) self->run_methods->len, nk = (int) self->run_metrics->len;

  for (int ki = 0; ki < nk; ki++)
    {
      const RelMetricDef *metric = g_ptr_array_index (self->run_metrics, ki);
      int best = -1, n_finite = 0;

      for (int mi = 0; mi < nm; mi++)
        {
          Cell *c = cell_at (self, mi, ki);
          if (c->n == 0)
            continue;
          n_finite++;
          if (best < 0 || (metric->higher_better ? c->mean > cell_at (self, best, ki)->mean
                                                 : c->mean < cell_at (self, best, ki)->mean))
            best = mi;
        }
      /* a column of sparseness or entropy has no "better": it describes the map */
      if (g_str_equal (metric->name, "sparseness") || g_str_equal (metric->name, "entropy"))
        best = -1;
      for (int mi = 0; mi < nm; mi++)
        {
          Cell *c = cell_at (self, mi, ki);
          GtkLabel *label = self->cell_labels[mi * nk + ki];
          char v[64], ci[64];
          g_autofree char *text = NULL;

          if (c->n > 0 && self->run_dataset)
            {
              format_value (v, sizeof v, c->mean);
              /* the half-width to two figures: its own uncertainty is larger than that */
              if (isfinite (c->ci95) && c->ci95 >= 100)
                g_snprintf (ci, sizeof ci, "%.0f", c->ci95);
              else
                g_snprintf (ci, sizeof ci, isfinite (c->ci95) ? "%.2g" : "—", c->ci95);
              text = g_strdup_printf ("%s ± %s", v, ci);
              g_autofree char *tip = g_strdup_printf (_("Mean over %d images with its 95 %% confidence half-width"), c->n);
              gtk_widget_set_tooltip_text (GTK_WIDGET (label), tip);
            }
          else if (c->n > 0)
            {
              format_value (v, sizeof v, c->mean);
              text = g_strdup (v);
              gtk_widget_set_tooltip_text (GTK_WIDGET (label), NULL);
            }
          else if (c->reason)
            {
              text = g_strdup (_("n/a"));
              gtk_widget_set_tooltip_text (GTK_WIDGET (label), c->reason);
            }
          else
            text = g_strdup ("…");
          if (mi == best && n_finite >= 2)
            {
              g_autofree char *markup = g_markup_printf_escaped ("<b>%s</b>", text);
              gtk_label_set_markup (label, markup);
              gtk_widget_add_css_class (GTK_WIDGET (label), "accent");
            }
          else
            {
              gtk_label_set_text (label, text);
              gtk_widget_remove_css_class (GTK_WIDGET (label), "accent");
            }
          if (c->n == 0 && c->reason)
            gtk_widget_add_css_class (GTK_WIDGET (label), "dim-label");
          else
            gtk_widget_remove_css_class (GTK_WIDGET (label), "dim-label");
        }
    }
}

/* The method's line colour, in front of its row. */
static void
draw_swatch (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  const double *rgb = palette[GPOINTER_TO_INT (data)];
  cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_fill (cr);
}

static void
build_table (RelEvaluatePage *self)
{
  GtkWidget *child;
  int nm = (int) self->run_methods->len, nk = (int) self->run_metrics->len;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->table))))
    gtk_grid_remove (self->table, child);
  for (int ki = 0; ki < nk; ki++)
    {
      const RelMetricDef *metric = g_ptr_array_index (self->run_metrics, ki);
      GtkWidget *h = gtk_label_new (g_dgettext (GETTEXT_PACKAGE, metric->title));
      g_autofree char *tip = g_strdup_printf ("%s\n%s", g_dgettext (GETTEXT_PACKAGE, metric->description),
                                              metric->higher_better ? _("Higher is better.") : _("Lower is better."));
      gtk_widget_add_css_class (h, "heading");
      gtk_label_set_xalign (GTK_LABEL (h), 1);
      if (!g_str_equal (metric->name, "sparseness") && !g_str_equal (metric->name, "entropy"))
        gtk_widget_set_tooltip_text (h, tip);
      else
        gtk_widget_set_tooltip_text (h, g_dgettext (GETTEXT_PACKAGE, metric->description));
      gtk_grid_attach (self->table, h, ki + 1, 0, 1, 1);
    }
  self->cell_labels = g_new0 (GtkLabel *, (gsize) nm * nk);
  for (int mi = 0; mi < nm; mi++)
    {
      const RelMethodDef *method = g_ptr_array_index (self->run_methods, mi);
      GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      GtkWidget *swatch = gtk_drawing_area_new ();
      GtkWidget *name = gtk_label_new (g_dgettext (GETTEXT_PACKAGE, method->title));

      gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (swatch), 14);
      gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (swatch), 4);
      gtk_widget_set_valign (swatch, GTK_ALIGN_CENTER);
      gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (swatch), draw_swatch,
                                      GINT_TO_POINTER (mi % (int) G_N_ELEMENTS (palette)), NULL);
      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_box_append (GTK_BOX (row), swatch);
      gtk_box_append (GTK_BOX (row), name);
      gtk_grid_attach (self->table, row, 0, mi + 1, 1, 1);
      for (int ki = 0; ki < nk; ki++)
        {
          GtkWidget *l = gtk_label_new ("…");
          gtk_label_set_xalign (GTK_LABEL (l), 1);
          gtk_widget_add_css_class (l, "numeric");
          gtk_grid_attach (self->table, l, ki + 1, mi + 1, 1, 1);
          self->cell_labels[mi * nk + ki] = GTK_LABEL (l);
        }
    }
}

static void
cell_take (RelEvaluatePage *self, Item *it)
{
  Cell *c = cell_at (self, it->method, it->metric);

  if (it->total_steps > 0)
    c->total_steps = it->total_steps;
  if (!it->final)
    {
      /* the running image's curve, while no finished image gives a mean */
      if (c->n_curves == 0 && it->n_steps > 0)
        {
          g_free (c->shown);
          g_free (c->shown2);
          c->shown = g_steal_pointer (&it->scores);
          c->shown2 = g_steal_pointer (&it->scores2);
          c->shown_steps = it->n_steps;
        }
      return;
    }
  g_array_append_val (c->values, it->value);
  if (it->reason && c->reason == NULL)
    c->reason = g_strdup (it->reason);
  rel_eval_mean_ci ((const double *) c->values->data, (int) c->values->len, &c->mean, &c->ci95, &c->n);
  if (it->n_steps > 0 && it->reason == NULL)
    {
      if (c->n_curves == 0)
        {
          c->sum_steps = it->n_steps;
          c->sum = g_new0 (double, it->n_steps);
          c->sum2 = it->scores2 ? g_new0 (double, it->n_steps) : NULL;
        }
      if (it->n_steps == c->sum_steps)
        {
          for (int k = 0; k < it->n_steps; k++)
            {
              c->sum[k] += it->scores[k];
              if (c->sum2 && it->scores2)
                c->sum2[k] += it->scores2[k];
            }
          c->n_curves++;
          g_free (c->shown);
          g_free (c->shown2);
          c->shown = g_new (double, c->sum_steps);
          c->shown2 = c->sum2 ? g_new (double, c->sum_steps) : NULL;
          for (int k = 0; k < c->sum_steps; k++)
            {
              c->shown[k] = c->sum[k] / c->n_curves;
              if (c->shown2)
                c->shown2[k] = c->sum2[k] / c->n_curves;
            }
          c->shown_steps = c->sum_steps;
        }
    }
}

/* The cells whose curves the plot draws for method @mi: MoRF from aopc-morf
 * (else ABPC's first curve), LeRF from aopc-lerf (else ABPC's second). */
static const double *
method_curve (RelEvaluatePage *self, int mi, gboolean lerf, int *n_steps, int *total)
{
  int k = run_index (self->run_metrics, lerf ? "aopc-lerf" : "aopc-morf", TRUE);
  int kb = run_index (self->run_metrics, "abpc", TRUE);
  Cell *c;

  *n_steps = 0;
  if (k >= 0 && cell_at (self, mi, k)->shown)
    {
      c = cell_at (self, mi, k);
      *n_steps = c->shown_steps;
      *total = c->total_steps > 0 ? c->total_steps : c->shown_steps;
      return c->shown;
    }
  if (kb >= 0)
    {
      c = cell_at (self, mi, kb);
      if (lerf ? c->shown2 == NULL || c->n_curves == 0 : c->shown == NULL)
        return NULL;
      *n_steps = c->shown_steps;
      *total = c->total_steps > 0 ? c->total_steps : c->shown_steps;
      return lerf ? c->shown2 : c->shown;
    }
  return NULL;
}

/* ---- the plot ---- */

static void
plot_text (GtkWidget *widget, cairo_t *cr, const char *text, double x, double y, double xalign, double yalign,
           gboolean small)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  int w, h;
  if (small)
    {
      PangoAttrList *attrs = pango_attr_list_new ();
      pango_attr_list_insert (attrs, pango_attr_scale_new (0.85));
      pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum=1"));
      pango_layout_set_attributes (layout, attrs);
      pango_attr_list_unref (attrs);
    }
  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, round (x - xalign * w), round (y - yalign * h));
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

/* A round step for about @n ticks over @span. */
static double
nice_step (double span, int n)
{
  double raw = span / MAX (n, 1), mag = pow (10, floor (log10 (raw))), f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

static void
draw_plot (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  RelEvaluatePage *self = user_data;
  GtkWidget *widget = GTK_WIDGET (area);
  double x0 = PLOT_LEFT, y0 = PLOT_TOP, pw = width - PLOT_LEFT - PLOT_RIGHT, ph = height - PLOT_TOP - PLOT_BOTTOM;
  double lo = INFINITY, hi = -INFINITY;
  int nm = self->run_methods ? (int) self->run_methods->len : 0;
  gboolean any = FALSE;
  GdkRGBA fg, dim;

  if (pw < 40 || ph < 40)
    return;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  dim = fg;
  dim.alpha *= 0.65;

  for (int mi = 0; mi < nm; mi++)
    for (int lerf = 0; lerf < 2; lerf++)
      {
        int n, total;
        const double *s = method_curve (self, mi, lerf, &n, &total);
        for (int k = 0; s && k < n; k++)
          if (isfinite (s[k]))
            {
              lo = MIN (lo, s[k]);
              hi = MAX (hi, s[k]);
              any = TRUE;
            }
      }

  gdk_cairo_set_source_rgba (cr, &fg);
  plot_text (widget, cr, _("Pixel flipping: the explained score as patches are removed"), x0, 10, 0, 0, FALSE);
  if (!any)
    {
      const char *msg = self->job ? _("The curves grow here as the steps finish")
                        : _("Tick AOPC (MoRF), AOPC (LeRF) or ABPC and press Evaluate to draw each method’s curves");
      gdk_cairo_set_source_rgba (cr, &dim);
      plot_text (widget, cr, msg, x0 + pw / 2, y0 + ph / 2, 0.5, 0.5, FALSE);
      return;
    }
  if (hi - lo < 1e-12)
    {
      hi += 0.5;
      lo -= 0.5;
    }
  {
    double step = nice_step (hi - lo, 6);
    lo = floor (lo / step) * step;
    hi = ceil (hi / step) * step;
    cairo_set_line_width (cr, 1);
    for (double v = lo; v <= hi + step * 0.01; v += step)
      {
        double y = round (y0 + ph - ph * (v - lo) / (hi - lo)) + 0.5;
        char text[32];
        cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, fg.alpha * 0.1);
        cairo_move_to (cr, x0, y);
        cairo_line_to (cr, x0 + pw, y);
        cairo_stroke (cr);
        g_snprintf (text, sizeof text, "%.3g", fabs (v) < step * 1e-6 ? 0.0 : v);
        gdk_cairo_set_source_rgba (cr, &dim);
        plot_text (widget, cr, text, x0 - 6, y, 1, 0.5, TRUE);
      }
  }
  for (int pct = 0; pct <= 100; pct += 25)
    {
      double x = round (x0 + pw * pct / 100.0) + 0.5;
      char text[16];
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, fg.alpha * (pct == 0 ? 0.35 : 0.1));
      cairo_move_to (cr, x, y0);
      cairo_line_to (cr, x, y0 + ph);
      cairo_stroke (cr);
      g_snprintf (text, sizeof text, "%d %%", pct);
      gdk_cairo_set_source_rgba (cr, &dim);
      plot_text (widget, cr, text, x, y0 + ph + 4, 0.5, 0, TRUE);
    }
  gdk_cairo_set_source_rgba (cr, &dim);
  plot_text (widget, cr, _("Patches removed"), x0 + pw / 2, height - 2, 0.5, 1, TRUE);
  cairo_save (cr);
  cairo_translate (cr, 12, y0 + ph / 2);
  cairo_rotate (cr, -G_PI / 2);
  plot_text (widget, cr, _("Logit of the explained class"), 0, 0, 0.5, 0.5, TRUE);
  cairo_restore (cr);

  /* the line styles' key, top right */
  {
    double kx = x0 + pw - 330, ky = y0 - 12;
    cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.8);
    cairo_set_line_width (cr, 2);
    cairo_move_to (cr, kx, ky);
    cairo_line_to (cr, kx + 20, ky);
    cairo_stroke (cr);
    gdk_cairo_set_source_rgba (cr, &dim);
    plot_text (widget, cr, _("most relevant first"), kx + 26, ky, 0, 0.5, TRUE);
    kx += 170;
    cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.8);
    cairo_set_dash (cr, (const double[]) { 5, 4 }, 2, 0);
    cairo_move_to (cr, kx, ky);
    cairo_line_to (cr, kx + 20, ky);
    cairo_stroke (cr);
    cairo_set_dash (cr, NULL, 0, 0);
    gdk_cairo_set_source_rgba (cr, &dim);
    plot_text (widget, cr, _("least relevant first"), kx + 26, ky, 0, 0.5, TRUE);
  }

  cairo_save (cr);
  cairo_rectangle (cr, x0 - 2, y0 - 2, pw + 4, ph + 4);
  cairo_clip (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  for (int mi = 0; mi < nm; mi++)
    for (int lerf = 0; lerf < 2; lerf++)
      {
        int n, total = 1;
        const double *s = method_curve (self, mi, lerf, &n, &total);
        const double *rgb = palette[mi % G_N_ELEMENTS (palette)];
        if (s == NULL || n < 1)
          continue;
        cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
        cairo_set_line_width (cr, 2);
        if (lerf)
          cairo_set_dash (cr, (const double[]) { 5, 4 }, 2, 0);
        for (int k = 0; k < n; k++)
          {
            double px = x0 + pw * k / (double) MAX (total - 1, 1);
            double py = y0 + ph - ph * (s[k] - lo) / (hi - lo);
            if (k == 0)
              cairo_move_to (cr, px, py);
            else
              cairo_line_to (cr, px, py);
          }
        cairo_stroke (cr);
        cairo_set_dash (cr, NULL, 0, 0);
      }
  cairo_restore (cr);
}

/* ---- running ---- */

static void
set_running (RelEvaluatePage *self, gboolean running)
{
  gtk_widget_set_visible (GTK_WIDGET (self->progress), running);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->run_button), !running);
  if (running)
    gtk_progress_bar_set_fraction (self->progress, 0);
}

static void
on_job_progress (RelJob *job, double fraction, const char *message, gpointer user_data)
{
  RelEvaluatePage *self = user_data;
  gtk_progress_bar_set_fraction (self->progress, CLAMP (fraction, 0, 1));
}

static void
on_job_items (RelJob *job, GPtrArray *items, gpointer user_data)
{
  RelEvaluatePage *self = user_data;
  int last_image = -1;

  for (guint i = 0; i < items->len; i++)
    {
      Item *it = g_ptr_array_index (items, i);
      cell_take (self, it);
      last_image = MAX (last_image, it->image);
    }
  if (last_image >= 0)
    {
      g_autofree char *status = self->run_dataset
        ? g_strdup_printf (_("Evaluating image %d of %d…"), last_image + 1, self->n_images)
        : g_strdup (_("Evaluating…"));
      gtk_label_set_text (self->status_label, status);
    }
  update_table (self);
  gtk_widget_queue_draw (GTK_WIDGET (self->plot));
}

static void
on_job_done (RelJob *job, gpointer result, const GError *error, gpointer user_data)
{
  RelEvaluatePage *self = user_data;
  double seconds = (g_get_monotonic_time () - self->started) / 1e6;

  g_clear_pointer (&self->job, rel_job_unref);
  set_running (self, FALSE);
  if (error)
    gtk_label_set_text (self->status_label, error->message);
  else
    {
      g_autofree char *status = self->run_dataset
        ? g_strdup_printf (_("%d images evaluated in %.1f s"), self->n_images, seconds)
        : g_strdup_printf (_("Evaluated in %.1f s"), seconds);
      gtk_label_set_text (self->status_label, status);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self->plot));
}

static void
update_title (RelEvaluatePage *self)
{
  gboolean dataset = gtk_toggle_button_get_active (self->scope_dataset);
  g_autofree char *title = NULL;

  if (dataset)
    {
      int n = self->dataset ? (int) g_strv_length (self->dataset) : 0;
      title = n > 0 ? g_strdup_printf (ngettext ("%d image", "%d images", n), n)
                    : g_strdup (_("No images"));
    }
  else if (self->image_path)
    title = g_path_get_basename (self->image_path);
  else
    title = g_strdup (_("No image"));
  gtk_label_set_text (self->title_label, title);
}

gboolean
rel_evaluate_page_run (RelEvaluatePage *self)
{
  gboolean dataset;
  g_autoptr(GPtrArray) methods = g_ptr_array_new ();
  g_autoptr(GPtrArray) metrics = g_ptr_array_new ();
  const RelMethodDef *const *all_methods = rel_methods ();
  const RelMetricDef *const *all_metrics = rel_metrics ();
  JobData *d;
  const char *problem = NULL;

  g_return_val_if_fail (REL_IS_EVALUATE_PAGE (self), FALSE);
  dataset = gtk_toggle_button_get_active (self->scope_dataset);
  for (guint i = 0; i < self->method_checks->len; i++)
    if (gtk_check_button_get_active (g_ptr_array_index (self->method_checks, i)))
      g_ptr_array_add (methods, (gpointer) all_methods[i]);
  for (guint i = 0; i < self->metric_checks->len; i++)
    if (gtk_check_button_get_active (g_ptr_array_index (self->metric_checks, i)))
      g_ptr_array_add (metrics, (gpointer) all_metrics[i]);
  if (self->model == NULL)
    problem = _("Open a model first");
  else if (dataset && (self->dataset == NULL || self->dataset[0] == NULL))
    problem = _("The browser shows no images to evaluate");
  else if (!dataset && self->image_path == NULL)
    problem = _("Pick an image in the browser first");
  else if (methods->len == 0)
    problem = _("Tick at least one method");
  else if (metrics->len == 0)
    problem = _("Tick at least one metric");
  if (problem)
    {
      gtk_label_set_text (self->status_label, problem);
      return FALSE;
    }

  rel_evaluate_page_cancel (self);
  cells_free (self);
  self->run_methods = g_ptr_array_ref (methods);
  self->run_metrics = g_ptr_array_ref (metrics);
  self->run_dataset = dataset;
  self->cells = g_new0 (Cell, (gsize) methods->len * metrics->len);
  for (guint i = 0; i < methods->len * metrics->len; i++)
    self->cells[i].values = g_array_new (FALSE, FALSE, sizeof (double));
  build_table (self);

  d = g_new0 (JobData, 1);
  d->model = rel_model_ref (self->model);
  if (dataset)
    d->paths = g_strdupv (self->dataset);
  else
    {
      const char *one[] = { self->image_path, NULL };
      d->paths = g_strdupv ((char **) one);
    }
  self->n_images = (int) g_strv_length (d->paths);
  d->n_methods = (int) methods->len;
  d->n_metrics = (int) metrics->len;
  d->methods = g_new (const RelMethodDef *, d->n_methods);
  d->method_params = g_new (RelParams *, d->n_methods);
  for (int i = 0; i < d->n_methods; i++)
    {
      d->methods[i] = g_ptr_array_index (methods, i);
      d->method_params[i] = rel_params_new (d->methods[i]);
      /* the metrics need an input-shaped map: a CAM upsampled */
      if (rel_method_param (d->methods[i], "upsample"))
        rel_params_set (d->method_params[i], "upsample", "true", NULL);
    }
  d->metrics = g_new (const RelMetricDef *, d->n_metrics);
  d->metric_params = g_new (RelParams *, d->n_metrics);
  for (int i = 0; i < d->n_metrics; i++)
    {
      d->metrics[i] = g_ptr_array_index (metrics, i);
      d->metric_params[i] = rel_metric_params_new (d->metrics[i]);
    }

  update_title (self);
  update_table (self);
  set_running (self, TRUE);
  gtk_label_set_text (self->status_label, _("Evaluating…"));
  self->started = g_get_monotonic_time ();
  self->job = rel_job_new (evaluate_job, d, job_data_free);
  rel_job_set_progress_func (self->job, on_job_progress);
  rel_job_set_items_func (self->job, on_job_items, item_free);
  rel_job_set_done_func (self->job, on_job_done, NULL);
  rel_job_start (self->job, self);
  gtk_widget_queue_draw (GTK_WIDGET (self->plot));
  return TRUE;
}

void
rel_evaluate_page_cancel (RelEvaluatePage *self)
{
  g_return_if_fail (REL_IS_EVALUATE_PAGE (self));
  if (self->job == NULL)
    return;
  rel_job_cancel (self->job);
  g_clear_pointer (&self->job, rel_job_unref);
  set_running (self, FALSE);
  gtk_label_set_text (self->status_label, _("Cancelled: the table keeps what finished"));
  gtk_widget_queue_draw (GTK_WIDGET (self->plot));
}

gboolean
rel_evaluate_page_is_busy (RelEvaluatePage *self)
{
  g_return_val_if_fail (REL_IS_EVALUATE_PAGE (self), FALSE);
  return self->job != NULL;
}

/* ---- setup ---- */

static GtkCheckButton *
add_check_row (GtkListBox *list, const char *title, const char *tooltip)
{
  GtkWidget *check = gtk_check_button_new_with_label (title);

  /* compact rows: the lists are long (every method, every metric) */
  gtk_widget_set_margin_start (check, 8);
  gtk_widget_set_margin_end (check, 8);
  gtk_widget_set_margin_top (check, 3);
  gtk_widget_set_margin_bottom (check, 3);
  if (tooltip && *tooltip)
    gtk_widget_set_tooltip_text (check, tooltip);
  gtk_list_box_append (list, check);
  return GTK_CHECK_BUTTON (check);
}

static void
select_checks (GPtrArray *checks, const char *const *names, gboolean metric)
{
  const RelMethodDef *const *methods = rel_methods ();
  const RelMetricDef *const *metrics = rel_metrics ();
  for (guint i = 0; i < checks->len; i++)
    {
      const char *name = metric ? metrics[i]->name : methods[i]->name;
      gtk_check_button_set_active (g_ptr_array_index (checks, i), names && g_strv_contains (names, name));
    }
}

static void
run_clicked (RelEvaluatePage *self)
{
  rel_evaluate_page_run (self);
}

static void
scope_toggled (RelEvaluatePage *self)
{
  update_title (self);
}

static void
rel_evaluate_page_dispose (GObject *object)
{
  RelEvaluatePage *self = REL_EVALUATE_PAGE (object);
  if (self->job)
    {
      rel_job_cancel (self->job);
      g_clear_pointer (&self->job, rel_job_unref);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), REL_TYPE_EVALUATE_PAGE);
  G_OBJECT_CLASS (rel_evaluate_page_parent_class)->dispose (object);
}

static void
rel_evaluate_page_finalize (GObject *object)
{
  RelEvaluatePage *self = REL_EVALUATE_PAGE (object);
  cells_free (self);
  g_ptr_array_unref (self->method_checks);
  g_ptr_array_unref (self->metric_checks);
  g_clear_pointer (&self->model, rel_model_unref);
  g_free (self->image_path);
  g_strfreev (self->dataset);
  G_OBJECT_CLASS (rel_evaluate_page_parent_class)->finalize (object);
}

static void
rel_evaluate_page_class_init (RelEvaluatePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = rel_evaluate_page_dispose;
  object_class->finalize = rel_evaluate_page_finalize;
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/relevance/Relevance/rel-evaluate-page.ui");
  gtk_widget_class_bind_template_child (widget_class, RelEvaluatePage, methods_list);
  gtk_widget_class_bind_template_child (widget_class, RelEvaluatePage, metrics_list);
  gtk_widget_class_bind_template_child (widget_class, RelEvaluatePage, scope_image);
  gtk_widget_class_bind_template_child (widget_class, RelEvaluatePage, scope_dataset);
  gtk_widget_class_bind_template_child (widget_class, RelEvaluatePage, run_button);
  gtk_widget_class_bind_template_child (widget_class, RelEvaluatePage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, RelEvaluatePage, title_label);
  gtk_widget_class_bind_template_child (widget_class, RelEvaluatePage, status_label);
  gtk_widget_class_bind_template_child (widget_class, RelEvaluatePage, progress);
  gtk_widget_class_bind_template_child (widget_class, RelEvaluatePage, plot);
  gtk_widget_class_bind_template_child (widget_class, RelEvaluatePage, table);
  gtk_widget_class_set_css_name (widget_class, "evaluatepage");
}

static void
rel_evaluate_page_init (RelEvaluatePage *self)
{
  const RelMethodDef *const *methods = rel_methods ();
  const RelMetricDef *const *metrics = rel_metrics ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->method_checks = g_ptr_array_new ();
  self->metric_checks = g_ptr_array_new ();
  for (int i = 0; methods[i]; i++)
    g_ptr_array_add (self->method_checks,
                     add_check_row (self->methods_list, g_dgettext (GETTEXT_PACKAGE, methods[i]->title),
                                    g_dgettext (GETTEXT_PACKAGE, methods[i]->description)));
  for (int i = 0; metrics[i]; i++)
    g_ptr_array_add (self->metric_checks,
                     add_check_row (self->metrics_list, g_dgettext (GETTEXT_PACKAGE, metrics[i]->title),
                                    g_dgettext (GETTEXT_PACKAGE, metrics[i]->description)));
  select_checks (self->method_checks, default_methods, FALSE);
  select_checks (self->metric_checks, default_metrics, TRUE);

  gtk_drawing_area_set_draw_func (self->plot, draw_plot, self, NULL);
  g_signal_connect_swapped (self->run_button, "clicked", G_CALLBACK (run_clicked), self);
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (rel_evaluate_page_cancel), self);
  g_signal_connect_swapped (self->scope_dataset, "toggled", G_CALLBACK (scope_toggled), self);
  update_title (self);
  gtk_label_set_text (self->status_label, _("Pick methods and metrics, then press Evaluate"));
}

GtkWidget *
rel_evaluate_page_new (void)
{
  return g_object_new (REL_TYPE_EVALUATE_PAGE, "orientation", GTK_ORIENTATION_HORIZONTAL, NULL);
}

void
rel_evaluate_page_set_model (RelEvaluatePage *self, RelModel *model)
{
  g_return_if_fail (REL_IS_EVALUATE_PAGE (self));
  if (model == self->model)
    return;
  rel_evaluate_page_cancel (self);
  g_clear_pointer (&self->model, rel_model_unref);
  if (model)
    self->model = rel_model_ref (model);
}

void
rel_evaluate_page_set_image (RelEvaluatePage *self, const char *path)
{
  g_return_if_fail (REL_IS_EVALUATE_PAGE (self));
  g_free (self->image_path);
  self->image_path = g_strdup (path);
  update_title (self);
}

void
rel_evaluate_page_set_dataset (RelEvaluatePage *self, const char *const *paths)
{
  g_return_if_fail (REL_IS_EVALUATE_PAGE (self));
  g_strfreev (self->dataset);
  self->dataset = paths ? g_strdupv ((char **) paths) : NULL;
  update_title (self);
}

void
rel_evaluate_page_set_dataset_scope (RelEvaluatePage *self, gboolean dataset)
{
  g_return_if_fail (REL_IS_EVALUATE_PAGE (self));
  gtk_toggle_button_set_active (dataset ? self->scope_dataset : self->scope_image, TRUE);
}

void
rel_evaluate_page_select_methods (RelEvaluatePage *self, const char *const *names)
{
  g_return_if_fail (REL_IS_EVALUATE_PAGE (self));
  select_checks (self->method_checks, names, FALSE);
}

void
rel_evaluate_page_select_metrics (RelEvaluatePage *self, const char *const *names)
{
  g_return_if_fail (REL_IS_EVALUATE_PAGE (self));
  select_checks (self->metric_checks, names, TRUE);
}

gboolean
rel_evaluate_page_get_value (RelEvaluatePage *self, const char *method, const char *metric, double *value,
                             double *ci95, int *n, const char **reason)
{
  int mi, ki;
  Cell *c;

  g_return_val_if_fail (REL_IS_EVALUATE_PAGE (self), FALSE);
  if (reason)
    *reason = NULL;
  mi = run_index (self->run_methods, method, FALSE);
  ki = run_index (self->run_metrics, metric, TRUE);
  if (mi < 0 || ki < 0)
    return FALSE;
  c = cell_at (self, mi, ki);
  if (reason)
    *reason = c->reason;
  if (value)
    *value = c->n > 0 ? c->mean : NAN;
  if (ci95)
    *ci95 = c->n > 0 ? c->ci95 : NAN;
  if (n)
    *n = c->n;
  return c->n > 0;
}

GtkLabel *
rel_evaluate_page_get_cell (RelEvaluatePage *self, const char *method, const char *metric)
{
  int mi, ki;

  g_return_val_if_fail (REL_IS_EVALUATE_PAGE (self), NULL);
  mi = run_index (self->run_methods, method, FALSE);
  ki = run_index (self->run_metrics, metric, TRUE);
  if (mi < 0 || ki < 0)
    return NULL;
  return self->cell_labels[mi * self->run_metrics->len + ki];
}

const double *
rel_evaluate_page_get_curve (RelEvaluatePage *self, const char *method, gboolean lerf, int *n_steps)
{
  int mi, total, n = 0;
  const double *s;

  g_return_val_if_fail (REL_IS_EVALUATE_PAGE (self), NULL);
  mi = run_index (self->run_methods, method, FALSE);
  s = mi >= 0 ? method_curve (self, mi, lerf, &n, &total) : NULL;
  if (n_steps)
    *n_steps = n;
  return s;
}
