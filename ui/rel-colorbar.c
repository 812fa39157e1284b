/* rel-colorbar.c — the colour bar of a heatmap view (see rel-colorbar.h).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-colorbar.h"

#include <math.h>

#define BAR_HEIGHT 10
#define LABEL_GAP 4
#define GRADIENT_STEPS 256

struct _RelColorbar {
  GtkWidget parent_instance;

  RelHeatmapView  *view;
  gulong           notify_handler;
  cairo_surface_t *gradient;      /* GRADIENT_STEPS × 1, rebuilt on colour changes */
  RelColormap      gradient_map;
  RelSignMode      gradient_mode;
};

G_DEFINE_FINAL_TYPE (RelColorbar, rel_colorbar, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_VIEW,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

char *
rel_colorbar_format_value (double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    return g_strdup ("–");
  if (value == 0)
    return g_strdup ("0");
  /* Three significant digits, and a real minus sign. */
  g_snprintf (buf, sizeof buf, "%.3g", fabs (value));
  return value < 0 ? g_strconcat ("−", buf, NULL) : g_strdup (buf);
}

static void
current (RelColorbar *self, RelColormap *map, RelSignMode *mode, double *scale)
{
  *map = self->view ? rel_heatmap_view_get_colormap (self->view) : REL_COLORMAP_BWR;
  *mode = self->view ? rel_heatmap_view_get_sign_mode (self->view) : REL_SIGN_BOTH;
  *scale = self->view ? rel_heatmap_view_get_scale (self->view) : 0;
}

static void
ensure_gradient (RelColorbar *self, RelColormap map, RelSignMode mode)
{
  guint32 *row;

  if (self->gradient && self->gradient_map == map && self->gradient_mode == mode)
    return;
  if (self->gradient == NULL)
    self->gradient = cairo_image_surface_create (CAIRO_FORMAT_RGB24, GRADIENT_STEPS, 1);
  cairo_surface_flush (self->gradient);
  row = (guint32 *) cairo_image_surface_get_data (self->gradient);
  for (int i = 0; i < GRADIENT_STEPS; i++)
    {
      guint8 rgb[3];
      rel_colorbar_color (map, mode, (i + 0.5) / GRADIENT_STEPS, rgb);
      row[i] = 0xff000000u | ((guint32) rgb[0] << 16) | ((guint32) rgb[1] << 8) | rgb[2];
    }
  cairo_surface_mark_dirty (self->gradient);
  self->gradient_map = map;
  self->gradient_mode = mode;
}

static PangoLayout *
make_layout (RelColorbar *self, const char *text)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  PangoAttrList *attrs = pango_attr_list_new ();

  pango_attr_list_insert (attrs, pango_attr_scale_new (0.85));
  pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum=1"));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  return layout;
}

static void
rel_colorbar_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  RelColorbar *self = REL_COLORBAR (widget);
  int W = gtk_widget_get_width (widget);
  RelColormap map;
  RelSignMode mode;
  double scale, lo, hi;
  GdkRGBA color;
  cairo_t *cr;

  if (W <= 0)
    return;
  current (self, &map, &mode, &scale);
  ensure_gradient (self, map, mode);

  /* The gradient, stretched smoothly, in a rounded frame. */
  GskRoundedRect frame;
  gsk_rounded_rect_init_from_rect (&frame, &GRAPHENE_RECT_INIT (0, 0, W, BAR_HEIGHT), BAR_HEIGHT / 2.0);
  gtk_snapshot_push_rounded_clip (snapshot, &frame);
  cr = gtk_snapshot_append_cairo (snapshot, &frame.bounds);
  cairo_scale (cr, (double) W / GRADIENT_STEPS, BAR_HEIGHT);
  cairo_set_source_surface (cr, self->gradient, 0, 0);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_BILINEAR);
  cairo_paint (cr);
  cairo_destroy (cr);
  gtk_snapshot_pop (snapshot);

  /* A hairline so white ends stay visible on a light background. */
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  GdkRGBA border = color;
  border.alpha *= 0.15;
  gtk_snapshot_append_border (snapshot, &frame, (float[4]) { 1, 1, 1, 1 },
                              (GdkRGBA[4]) { border, border, border, border });

  /* Labels: low end, zero (when it is inside), high end. */
  color.alpha *= 0.75;
  rel_colorbar_range (mode, &lo, &hi);
  const double values[3] = { lo * scale, 0, hi * scale };
  const double where[3] = { 0, (0 - lo) / (hi - lo), 1 };
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *text = NULL;
      int tw, th;
      double x;

      if (i == 1 && (where[1] <= 0 || where[1] >= 1))
        continue;                /* zero is already an end label */
      if (i != 1 && scale <= 0 && where[i] != where[1])
        continue;                /* no map yet: only zero is known */
      text = rel_colorbar_format_value (scale > 0 || i == 1 ? values[i] : 0);
      g_autoptr (PangoLayout) layout = make_layout (self, text);
      pango_layout_get_pixel_size (layout, &tw, &th);
      x = i == 0 ? 0 : i == 2 ? W - tw : where[1] * W - tw / 2.0;
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (roundf (x), BAR_HEIGHT + LABEL_GAP));
      gtk_snapshot_append_layout (snapshot, layout, &color);
      gtk_snapshot_restore (snapshot);
    }
}

static void
rel_colorbar_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                      int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  RelColorbar *self = REL_COLORBAR (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 120;
      *natural = 280;
    }
  else
    {
      g_autoptr (PangoLayout) layout = make_layout (self, "−0.123");
      int th;
      pango_layout_get_pixel_size (layout, NULL, &th);
      *minimum = *natural = BAR_HEIGHT + LABEL_GAP + th;
    }
}

static void
view_changed_cb (GObject *view, GParamSpec *pspec, RelColorbar *self)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "colormap") || g_str_equal (name, "sign-mode") || g_str_equal (name, "scale"))
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
rel_colorbar_set_view (RelColorbar *self, RelHeatmapView *view)
{
  g_return_if_fail (REL_IS_COLORBAR (self));
  g_return_if_fail (view == NULL || REL_IS_HEATMAP_VIEW (view));

  if (self->view == view)
    return;
  if (self->view)
    {
      g_clear_signal_handler (&self->notify_handler, self->view);
      g_object_remove_weak_pointer (G_OBJECT (self->view), (gpointer *) &self->view);
    }
  /* Weak: the window owns the view; the bar only follows it. */
  self->view = view;
  if (view)
    {
      g_object_add_weak_pointer (G_OBJECT (view), (gpointer *) &self->view);
      self->notify_handler = g_signal_connect (view, "notify", G_CALLBACK (view_changed_cb), self);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_VIEW]);
}

RelHeatmapView *
rel_colorbar_get_view (RelColorbar *self)
{
  g_return_val_if_fail (REL_IS_COLORBAR (self), NULL);
  return self->view;
}

static void
rel_colorbar_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  RelColorbar *self = REL_COLORBAR (object);

  switch (prop_id)
    {
    case PROP_VIEW:
      g_value_set_object (value, self->view);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rel_colorbar_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  RelColorbar *self = REL_COLORBAR (object);

  switch (prop_id)
    {
    case PROP_VIEW:
      rel_colorbar_set_view (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rel_colorbar_dispose (GObject *object)
{
  rel_colorbar_set_view (REL_COLORBAR (object), NULL);
  G_OBJECT_CLASS (rel_colorbar_parent_class)->dispose (object);
}

static void
rel_colorbar_finalize (GObject *object)
{
  RelColorbar *self = REL_COLORBAR (object);

  g_clear_pointer (&self->gradient, cairo_surface_destroy);
  G_OBJECT_CLASS (rel_colorbar_parent_class)->finalize (object);
}

static void
rel_colorbar_class_init (RelColorbarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = rel_colorbar_get_property;
  object_class->set_property = rel_colorbar_set_property;
  object_class->dispose = rel_colorbar_dispose;
  object_class->finalize = rel_colorbar_finalize;
  widget_class->snapshot = rel_colorbar_snapshot;
  widget_class->measure = rel_colorbar_measure;

  props[PROP_VIEW] = g_param_spec_object ("view", NULL, NULL, REL_TYPE_HEATMAP_VIEW,
                                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  gtk_widget_class_set_css_name (widget_class, "colorbar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
rel_colorbar_init (RelColorbar *self)
{
}

GtkWidget *
rel_colorbar_new (RelHeatmapView *view)
{
  return g_object_new (REL_TYPE_COLORBAR, "view", view, NULL);
}
