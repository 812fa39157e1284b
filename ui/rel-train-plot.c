/* rel-train-plot.c — the training dialog's live loss/accuracy plot, drawn
 * with Cairo. Long runs have hundreds of noisy per-step losses, so beyond a
 * few dozen points the raw curve is drawn faint under a smoothed one.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-train-plot.h"

#include <glib/gi18n.h>
#include <math.h>

#define MARGIN_LEFT   52
#define MARGIN_RIGHT  52
#define MARGIN_TOP    30
#define MARGIN_BOTTOM 40
/* Raw points up to which no smoothed curve is drawn. */
#define SMOOTH_FROM   30

typedef struct {
  double x, loss, accuracy;
} Point;

struct _RelTrainPlot
{
  GtkWidget parent_instance;
  GArray   *points;   /* Point */
  int       epochs;
};

G_DEFINE_FINAL_TYPE (RelTrainPlot, rel_train_plot, GTK_TYPE_WIDGET)

/* Adwaita's blue 3 and orange 3. */
static const double loss_rgb[3] = { 0x35 / 255.0, 0x84 / 255.0, 0xe4 / 255.0 };
static const double acc_rgb[3]  = { 0xe6 / 255.0, 0x61 / 255.0, 0x00 / 255.0 };

/* A round upper bound for the loss axis: 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, … */
static double
loss_ceiling (double max)
{
  if (!(max > 0))
    return 1.0;
  if (max <= 3)
    return ceil (max * 2) / 2;
  double mag = pow (10, floor (log10 (max)));
  double steps[] = { 1, 2, 2.5, 4, 5, 10 };
  for (gsize i = 0; i < G_N_ELEMENTS (steps); i++)
    if (steps[i] * mag >= max)
      return steps[i] * mag;
  return 10 * mag;
}

static void
show_text_wrapped (GtkWidget *widget, cairo_t *cr, const char *text, double x, double y,
                   double xalign, double yalign, gboolean small, int wrap_width)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  int w, h;
  if (wrap_width > 0)
    {
      pango_layout_set_width (layout, wrap_width * PANGO_SCALE);
      pango_layout_set_wrap (layout, PANGO_WRAP_WORD);
      pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
    }
  if (small)
    {
      PangoAttrList *attrs = pango_attr_list_new ();
      pango_attr_list_insert (attrs, pango_attr_scale_new (0.85));
      pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum=1"));
      pango_layout_set_attributes (layout, attrs);
      pango_attr_list_unref (attrs);
    }
  pango_layout_get_pixel_size (layout, &w, &h);
  if (wrap_width > 0)
    w = wrap_width;   /* lines are centred within the whole width */
  cairo_move_to (cr, round (x - xalign * w), round (y - yalign * h));
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

static void
show_text (GtkWidget *widget, cairo_t *cr, const char *text, double x, double y,
           double xalign, double yalign, gboolean small)
{
  show_text_wrapped (widget, cr, text, x, y, xalign, yalign, small, 0);
}

static void
draw_curve (RelTrainPlot *self, cairo_t *cr, double x0, double y0, double pw, double ph,
            double xmax, double ymax, gboolean accuracy, gboolean smooth)
{
  double ema = 0, weight = 0;
  for (guint i = 0; i < self->points->len; i++)
    {
      const Point *p = &g_array_index (self->points, Point, i);
      double v = accuracy ? p->accuracy : p->loss;
      if (smooth)
        {
          /* bias-corrected exponential moving average */
          ema = 0.9 * ema + 0.1 * v;
          weight = 0.9 * weight + 0.1;
          v = ema / weight;
        }
      double px = x0 + pw * CLAMP (p->x / xmax, 0, 1);
      double py = y0 + ph - ph * CLAMP (v / ymax, 0, 1);
      if (i == 0)
        cairo_move_to (cr, px, py);
      else
        cairo_line_to (cr, px, py);
    }
  if (self->points->len == 1)
    cairo_rel_line_to (cr, 0.01, 0);
  cairo_stroke (cr);
}

static void
legend_entry (GtkWidget *widget, cairo_t *cr, const double rgb[3], const GdkRGBA *fg,
              const char *text, double x, double y)
{
  cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
  cairo_set_line_width (cr, 2.5);
  cairo_move_to (cr, x, y);
  cairo_line_to (cr, x + 18, y);
  cairo_stroke (cr);
  gdk_cairo_set_source_rgba (cr, fg);
  show_text (widget, cr, text, x + 24, y, 0, 0.5, FALSE);
}

static void
rel_train_plot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  RelTrainPlot *self = REL_TRAIN_PLOT (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  double x0 = MARGIN_LEFT, y0 = MARGIN_TOP;
  double pw = width - MARGIN_LEFT - MARGIN_RIGHT, ph = height - MARGIN_TOP - MARGIN_BOTTOM;
  GdkRGBA fg, dim;

  if (pw < 20 || ph < 20)
    return;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  dim = fg;
  dim.alpha *= 0.65;

  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  double xmax = MAX (1, self->epochs);
  double lmax = 0;
  for (guint i = 0; i < self->points->len; i++)
    {
      const Point *p = &g_array_index (self->points, Point, i);
      lmax = MAX (lmax, p->loss);
      xmax = MAX (xmax, p->x);
    }
  lmax = loss_ceiling (lmax);

  /* grid: five horizontal lines shared by both axes (loss 0…lmax, accuracy 0…100 %) */
  cairo_set_line_width (cr, 1);
  for (int i = 0; i <= 4; i++)
    {
      double y = round (y0 + ph - ph * i / 4.0) + 0.5;
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, fg.alpha * (i == 0 ? 0.35 : 0.1));
      cairo_move_to (cr, x0, y);
      cairo_line_to (cr, x0 + pw, y);
      cairo_stroke (cr);

      /* no scale before there is something to measure */
      if (self->points->len == 0)
        continue;
      char text[32];
      gdk_cairo_set_source_rgba (cr, &dim);
      g_snprintf (text, sizeof text, "%.*f", lmax * i / 4.0 == floor (lmax * i / 4.0) ? 0 : 2, lmax * i / 4.0);
      show_text (widget, cr, text, x0 - 6, y, 1, 0.5, TRUE);
      g_snprintf (text, sizeof text, "%d %%", 25 * i);
      show_text (widget, cr, text, x0 + pw + 6, y, 0, 0.5, TRUE);
    }

  /* x ticks at whole epochs (at most ~10 labels) */
  int every = MAX (1, (int) ceil (xmax / 10));
  for (int e = 0; e <= (int) floor (xmax); e += every)
    {
      double x = round (x0 + pw * e / xmax) + 0.5;
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, fg.alpha * (e == 0 ? 0.35 : 0.1));
      cairo_move_to (cr, x, y0);
      cairo_line_to (cr, x, y0 + ph);
      cairo_stroke (cr);
      char text[16];
      g_snprintf (text, sizeof text, "%d", e);
      gdk_cairo_set_source_rgba (cr, &dim);
      show_text (widget, cr, text, x, y0 + ph + 4, 0.5, 0, TRUE);
    }

  /* axis titles */
  gdk_cairo_set_source_rgba (cr, &dim);
  show_text (widget, cr, _("Epoch"), x0 + pw / 2, height - 2, 0.5, 1, TRUE);
  cairo_save (cr);
  cairo_translate (cr, 12, y0 + ph / 2);
  cairo_rotate (cr, -G_PI / 2);
  cairo_set_source_rgb (cr, loss_rgb[0], loss_rgb[1], loss_rgb[2]);
  show_text (widget, cr, _("Loss"), 0, 0, 0.5, 0.5, TRUE);
  cairo_restore (cr);
  cairo_save (cr);
  cairo_translate (cr, width - 10, y0 + ph / 2);
  cairo_rotate (cr, G_PI / 2);
  cairo_set_source_rgb (cr, acc_rgb[0], acc_rgb[1], acc_rgb[2]);
  show_text (widget, cr, _("Accuracy"), 0, 0, 0.5, 0.5, TRUE);
  cairo_restore (cr);

  /* legend above the plot */
  legend_entry (widget, cr, loss_rgb, &fg, _("Training loss"), x0, MARGIN_TOP / 2.0);
  legend_entry (widget, cr, acc_rgb, &fg, _("Training accuracy"), x0 + MAX (150, pw / 3), MARGIN_TOP / 2.0);

  if (self->points->len == 0)
    {
      gdk_cairo_set_source_rgba (cr, &dim);
      show_text_wrapped (widget, cr, _("The curves appear here while the model trains"),
                         x0 + pw / 2, y0 + ph / 2, 0.5, 0.5, FALSE, (int) pw - 32);
      cairo_destroy (cr);
      return;
    }

  cairo_save (cr);
  cairo_rectangle (cr, x0 - 2, y0 - 2, pw + 4, ph + 4);
  cairo_clip (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  gboolean smooth = self->points->len > SMOOTH_FROM;
  for (int curve = 0; curve < 2; curve++)
    {
      const double *rgb = curve ? acc_rgb : loss_rgb;
      double ymax = curve ? 1.0 : lmax;
      if (smooth)
        {
          cairo_set_source_rgba (cr, rgb[0], rgb[1], rgb[2], 0.3);
          cairo_set_line_width (cr, 1);
          draw_curve (self, cr, x0, y0, pw, ph, xmax, ymax, curve, FALSE);
        }
      cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
      cairo_set_line_width (cr, 2.5);
      draw_curve (self, cr, x0, y0, pw, ph, xmax, ymax, curve, smooth);
    }
  cairo_restore (cr);
  cairo_destroy (cr);
}

static void
rel_train_plot_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                        int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = 240, *natural = 480;
  else
    *minimum = 160, *natural = 220;
}

static void
rel_train_plot_finalize (GObject *object)
{
  RelTrainPlot *self = REL_TRAIN_PLOT (object);
  g_array_unref (self->points);
  G_OBJECT_CLASS (rel_train_plot_parent_class)->finalize (object);
}

static void
rel_train_plot_class_init (RelTrainPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->finalize = rel_train_plot_finalize;
  widget_class->snapshot = rel_train_plot_snapshot;
  widget_class->measure = rel_train_plot_measure;
  gtk_widget_class_set_css_name (widget_class, "trainplot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
rel_train_plot_init (RelTrainPlot *self)
{
  self->points = g_array_new (FALSE, FALSE, sizeof (Point));
  self->epochs = 1;
}

GtkWidget *
rel_train_plot_new (void)
{
  return g_object_new (REL_TYPE_TRAIN_PLOT, NULL);
}

void
rel_train_plot_set_epochs (RelTrainPlot *self, int epochs)
{
  g_return_if_fail (REL_IS_TRAIN_PLOT (self));
  self->epochs = MAX (1, epochs);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
rel_train_plot_add_point (RelTrainPlot *self, double x, double loss, double accuracy)
{
  g_return_if_fail (REL_IS_TRAIN_PLOT (self));
  if (!isfinite (x) || !isfinite (loss) || !isfinite (accuracy))
    return;
  Point p = { x, MAX (0, loss), CLAMP (accuracy, 0, 1) };
  g_array_append_val (self->points, p);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
rel_train_plot_clear (RelTrainPlot *self)
{
  g_return_if_fail (REL_IS_TRAIN_PLOT (self));
  g_array_set_size (self->points, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
rel_train_plot_get_n_points (RelTrainPlot *self)
{
  g_return_val_if_fail (REL_IS_TRAIN_PLOT (self), 0);
  return self->points->len;
}

gboolean
rel_train_plot_get_point (RelTrainPlot *self, guint index, double *x, double *loss, double *accuracy)
{
  g_return_val_if_fail (REL_IS_TRAIN_PLOT (self), FALSE);
  if (index >= self->points->len)
    return FALSE;
  const Point *p = &g_array_index (self->points, Point, index);
  if (x)
    *x = p->x;
  if (loss)
    *loss = p->loss;
  if (accuracy)
    *accuracy = p->accuracy;
  return TRUE;
}
