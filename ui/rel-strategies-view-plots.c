/* rel-strategies-view-plots.c — the Strategies page's pictures: thumbnail
 * textures, the embedding's scatter plot (hover, zoom, box selection) and the
 * eigenvalue spectrum, drawn with cairo from the current analysis.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "rel-colormap.h"
#include "rel-strategies-view-private.h"

/* ---- textures ---- */

static GdkTexture *
texture_from_rgba (const guint8 *rgba, int w, int h)
{
  int f = MAX (1, (THUMB_MIN + MAX (w, h) - 1) / MAX (w, h));
  int W = w * f, H = h * f;
  g_autofree guint8 *big = g_new (guint8, (gsize) W * H * 4);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      memcpy (big + ((gsize) y * W + x) * 4, rgba + ((gsize) (y / f) * w + x / f) * 4, 4);
  g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&big), (gsize) W * H * 4);
  return gdk_memory_texture_new (W, H, GDK_MEMORY_R8G8B8A8, bytes, (gsize) W * 4);
}


GdkTexture *
rel_strategies_view_image_texture (RelStrategiesView *self, int i, ThumbMode mode)
{
  Heatmaps *h = self->an->data;
  int mw = h->hm->width, mh = h->hm->height;
  const float *map = h->hm->maps + (gsize) i * mw * mh;
  double scale = rel_heatmap_scale (map, (gsize) mw * mh, REL_NORM_PERCENTILE, 99.5, 0);
  if (mode == MODE_IMAGE && h->rgba[i])
    return texture_from_rgba (h->rgba[i], h->iw, h->ih);
  if (mode == MODE_OVERLAY && h->rgba[i])
    {
      g_autofree guint8 *out = g_new (guint8, (gsize) h->iw * h->ih * 4);
      rel_heatmap_blend (map, mw, mh, scale, REL_COLORMAP_BWR, REL_SIGN_BOTH, 0.75, h->rgba[i], h->iw, h->ih,
                         h->iw * 4, out);
      return texture_from_rgba (out, h->iw, h->ih);
    }
  g_autofree guint8 *out = g_new (guint8, (gsize) mw * mh * 4);
  rel_heatmap_colorize (map, mw, mh, scale, REL_COLORMAP_BWR, REL_SIGN_BOTH, TRUE, out);
  return texture_from_rgba (out, mw, mh);
}

GdkTexture *
rel_strategies_view_prototype_texture (const float *proto, int side)
{
  double scale = rel_heatmap_scale (proto, (gsize) side * side, REL_NORM_MAX_ABS, 0, 0);
  g_autofree guint8 *out = g_new (guint8, (gsize) side * side * 4);
  rel_heatmap_colorize (proto, side, side, scale, REL_COLORMAP_BWR, REL_SIGN_BOTH, TRUE, out);
  return texture_from_rgba (out, side, side);
}

static cairo_surface_t *
hover_surface (RelStrategiesView *self, int i)
{
  Heatmaps *h = self->an->data;
  if (self->hover_surfaces == NULL)
    self->hover_surfaces = g_new0 (cairo_surface_t *, h->n);
  if (self->hover_surfaces[i])
    return self->hover_surfaces[i];
  ThumbMode mode = h->rgba[i] ? MODE_IMAGE : MODE_HEATMAP;
  int w = mode == MODE_IMAGE ? h->iw : h->hm->width, hh = mode == MODE_IMAGE ? h->ih : h->hm->height;
  g_autofree guint8 *tmp = NULL;
  const guint8 *src = h->rgba[i];
  if (mode == MODE_HEATMAP)
    {
      const float *map = h->hm->maps + (gsize) i * w * hh;
      tmp = g_new (guint8, (gsize) w * hh * 4);
      rel_heatmap_colorize (map, w, hh, rel_heatmap_scale (map, (gsize) w * hh, REL_NORM_PERCENTILE, 99.5, 0),
                            REL_COLORMAP_BWR, REL_SIGN_BOTH, TRUE, tmp);
      src = tmp;
    }
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, hh);
  cairo_surface_flush (s);
  guint8 *d = cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s);
  for (int y = 0; y < hh; y++)
    for (int x = 0; x < w; x++)
      {
        const guint8 *p = src + ((gsize) y * w + x) * 4;
        ((guint32 *) (d + (gsize) y * stride))[x] = 0xff000000u | (p[0] << 16) | (p[1] << 8) | p[2];
      }
  cairo_surface_mark_dirty (s);
  self->hover_surfaces[i] = s;
  return s;
}

void
rel_strategies_view_clear_hover_surfaces (RelStrategiesView *self, int n)
{
  for (int i = 0; self->hover_surfaces && i < n; i++)
    if (self->hover_surfaces[i])
      cairo_surface_destroy (self->hover_surfaces[i]);
  g_clear_pointer (&self->hover_surfaces, g_free);
}

/* ---- the scatter plot ---- */

static const float *
scatter_xy (RelStrategiesView *self)
{
  const RelSprayResult *r = self->an->r;
  if (gtk_toggle_button_get_active (self->tsne_toggle) && r->tsne)
    return r->tsne;
  return r->spectral2d;
}

/* The data → widget transform: the data's bounding box fitted with a margin,
 * then zoomed about (cx, cy). */
static void
scatter_transform (RelStrategiesView *self, int width, int height, double *s, double *ox, double *oy)
{
  const float *xy = scatter_xy (self);
  int n = self->an->data->n;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (int i = 0; i < n; i++)
    {
      x0 = MIN (x0, xy[2 * i]), x1 = MAX (x1, xy[2 * i]);
      y0 = MIN (y0, xy[2 * i + 1]), y1 = MAX (y1, xy[2 * i + 1]);
    }
  double margin = 24;
  double sx = (width - 2 * margin) / MAX (x1 - x0, 1e-12), sy = (height - 2 * margin) / MAX (y1 - y0, 1e-12);
  double base = MIN (sx, sy);
  if (isnan (self->cx))
    self->cx = (x0 + x1) / 2, self->cy = (y0 + y1) / 2;
  *s = base * self->zoom;
  *ox = width / 2.0 - self->cx * *s;
  *oy = height / 2.0 + self->cy * *s;  /* y up */
}

void
rel_strategies_view_scatter_draw (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  RelStrategiesView *self = data;
  if (self->an == NULL)
    return;
  GdkRGBA fg;
  rel_strategies_view_widget_color (GTK_WIDGET (area), &fg);
  const float *xy = scatter_xy (self);
  const int *labels = self->an->r->labels;
  int n = self->an->data->n;
  double s, ox, oy;
  scatter_transform (self, width, height, &s, &ox, &oy);

  /* frame */
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.15);
  cairo_set_line_width (cr, 1);
  cairo_rectangle (cr, 0.5, 0.5, width - 1, height - 1);
  cairo_stroke (cr);

  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < n; i++)
      {
        gboolean sel = self->selected && self->selected[i];
        if ((pass == 1) != sel)
          continue;
        double px = ox + xy[2 * i] * s, py = oy - xy[2 * i + 1] * s;
        double rgb[3];
        rel_strategies_view_cluster_color (labels[i], rgb);
        double alpha = self->n_selected > 0 && !sel ? 0.25 : 0.9;
        cairo_arc (cr, px, py, POINT_RADIUS, 0, 2 * G_PI);
        cairo_set_source_rgba (cr, rgb[0], rgb[1], rgb[2], alpha);
        cairo_fill_preserve (cr);
        cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, sel ? 0.9 : 0.35);
        cairo_set_line_width (cr, sel ? 1.6 : 0.6);
        cairo_stroke (cr);
      }

  /* legend */
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (area), NULL);
  double ly = 10;
  for (int c = 0; c < self->an->r->n_clusters; c++)
    {
      double rgb[3];
      rel_strategies_view_cluster_color (self->an->r->clusters[c].id, rgb);
      g_autofree char *text = g_strdup_printf (_("Cluster %d (%d)"), c + 1, self->an->r->clusters[c].size);
      pango_layout_set_text (layout, text, -1);
      int tw, th;
      pango_layout_get_pixel_size (layout, &tw, &th);
      cairo_set_source_rgba (cr, rgb[0], rgb[1], rgb[2], 0.95);
      cairo_new_path (cr);  /* show_layout left a current point */
      cairo_arc (cr, 16, ly + th / 2.0, 5, 0, 2 * G_PI);
      cairo_fill (cr);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.85);
      cairo_move_to (cr, 26, ly);
      pango_cairo_show_layout (cr, layout);
      ly += th + 2;
    }

  if (self->dragging)
    {
      double x = MIN (self->drag_x0, self->drag_x1), y = MIN (self->drag_y0, self->drag_y1);
      double w = fabs (self->drag_x1 - self->drag_x0), h = fabs (self->drag_y1 - self->drag_y0);
      cairo_rectangle (cr, x + 0.5, y + 0.5, w, h);
      cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, 0.15);
      cairo_fill_preserve (cr);
      cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, 0.9);
      cairo_set_line_width (cr, 1);
      cairo_stroke (cr);
    }

  if (self->hover >= 0 && self->hover < n)
    {
      int i = self->hover;
      double px = ox + xy[2 * i] * s, py = oy - xy[2 * i + 1] * s;
      cairo_new_path (cr);
      cairo_arc (cr, px, py, POINT_RADIUS + 3, 0, 2 * G_PI);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.9);
      cairo_set_line_width (cr, 2);
      cairo_stroke (cr);

      cairo_surface_t *img = hover_surface (self, i);
      int iw = cairo_image_surface_get_width (img), ih = cairo_image_surface_get_height (img);
      double side = 96, f = side / MAX (iw, ih);
      g_autofree char *utf8 = rel_strategies_view_shown_name (self, self->an->data->paths[i]);
      pango_layout_set_text (layout, utf8, -1);
      pango_layout_set_width (layout, (int) (side + 84) * PANGO_SCALE);
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_MIDDLE);
      int tw, th;
      pango_layout_get_pixel_size (layout, &tw, &th);
      double bw = MAX (side, tw) + 16, bh = side + th + 22;
      double bx = px + 14, by = py - bh / 2;
      if (bx + bw > width - 4)
        bx = px - 14 - bw;
      by = CLAMP (by, 4, MAX (4, height - bh - 4));
      cairo_new_path (cr);
      double rad = 8;
      cairo_arc (cr, bx + bw - rad, by + rad, rad, -G_PI / 2, 0);
      cairo_arc (cr, bx + bw - rad, by + bh - rad, rad, 0, G_PI / 2);
      cairo_arc (cr, bx + rad, by + bh - rad, rad, G_PI / 2, G_PI);
      cairo_arc (cr, bx + rad, by + rad, rad, G_PI, 3 * G_PI / 2);
      cairo_close_path (cr);
      cairo_set_source_rgba (cr, 0.12, 0.12, 0.14, 0.92);
      cairo_fill (cr);
      cairo_save (cr);
      cairo_translate (cr, bx + (bw - iw * f) / 2, by + 8);
      cairo_scale (cr, f, f);
      cairo_set_source_surface (cr, img, 0, 0);
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
      cairo_paint (cr);
      cairo_restore (cr);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_move_to (cr, bx + (bw - tw) / 2, by + side + 14);
      pango_cairo_show_layout (cr, layout);
    }
  g_object_unref (layout);
}

static int
scatter_pick (RelStrategiesView *self, double x, double y)
{
  if (self->an == NULL)
    return -1;
  int width = gtk_widget_get_width (GTK_WIDGET (self->scatter)), height = gtk_widget_get_height (GTK_WIDGET (self->scatter));
  double s, ox, oy;
  scatter_transform (self, width, height, &s, &ox, &oy);
  const float *xy = scatter_xy (self);
  int best = -1;
  double best_d = HOVER_RADIUS * HOVER_RADIUS;
  for (int i = 0; i < self->an->data->n; i++)
    {
      double dx = ox + xy[2 * i] * s - x, dy = oy - xy[2 * i + 1] * s - y;
      if (dx * dx + dy * dy <= best_d)
        best = i, best_d = dx * dx + dy * dy;
    }
  return best;
}

void
rel_strategies_view_scatter_motion (GtkEventControllerMotion *c, double x, double y, RelStrategiesView *self)
{
  self->pointer_x = x, self->pointer_y = y;
  int h = scatter_pick (self, x, y);
  if (h != self->hover)
    {
      self->hover = h;
      gtk_widget_queue_draw (GTK_WIDGET (self->scatter));
    }
}

void
rel_strategies_view_scatter_leave (GtkEventControllerMotion *c, RelStrategiesView *self)
{
  self->hover = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self->scatter));
}

gboolean
rel_strategies_view_scatter_scroll (GtkEventControllerScroll *c, double dx, double dy, RelStrategiesView *self)
{
  if (self->an == NULL)
    return FALSE;
  double x = self->pointer_x, y = self->pointer_y;
  int width = gtk_widget_get_width (GTK_WIDGET (self->scatter)), height = gtk_widget_get_height (GTK_WIDGET (self->scatter));
  double s, ox, oy;
  scatter_transform (self, width, height, &s, &ox, &oy);
  /* zoom about the pointer: the data point under it stays there */
  double data_x = (x - ox) / s, data_y = (oy - y) / s;
  double z1 = self->zoom;
  self->zoom = CLAMP (z1 * exp (-0.15 * dy), 0.5, 50);
  double s2 = s * self->zoom / z1;
  self->cx = data_x - (x - width / 2.0) / s2;
  self->cy = data_y + (y - height / 2.0) / s2;
  gtk_widget_queue_draw (GTK_WIDGET (self->scatter));
  return TRUE;
}


void
rel_strategies_view_update_selection_label (RelStrategiesView *self)
{
  g_autofree char *text = NULL;
  if (self->n_selected > 0)
    text = g_strdup_printf (ngettext ("%d image selected — the gallery shows only these; click empty space to clear",
                                      "%d images selected — the gallery shows only these; click empty space to clear",
                                      self->n_selected), self->n_selected);
  else
    text = g_strdup (_("Drag to select, scroll to zoom, hover for the image"));
  gtk_label_set_text (self->scatter_label, text);
}

int
rel_strategies_view_select_box (RelStrategiesView *self, double x0, double y0, double x1, double y1)
{
  g_return_val_if_fail (REL_IS_STRATEGIES_VIEW (self), 0);
  if (self->an == NULL)
    return 0;
  int width = gtk_widget_get_width (GTK_WIDGET (self->scatter)), height = gtk_widget_get_height (GTK_WIDGET (self->scatter));
  double s, ox, oy;
  scatter_transform (self, width, height, &s, &ox, &oy);
  const float *xy = scatter_xy (self);
  int n = self->an->data->n;
  g_free (self->selected);
  self->selected = g_new0 (guint8, n);
  self->n_selected = 0;
  double ax = MIN (x0, x1), bx = MAX (x0, x1), ay = MIN (y0, y1), by = MAX (y0, y1);
  for (int i = 0; i < n; i++)
    {
      double px = ox + xy[2 * i] * s, py = oy - xy[2 * i + 1] * s;
      if (px >= ax && px <= bx && py >= ay && py <= by)
        self->selected[i] = 1, self->n_selected++;
    }
  rel_strategies_view_update_selection_label (self);
  gtk_widget_queue_draw (GTK_WIDGET (self->scatter));
  rel_strategies_view_rebuild_gallery (self);
  return self->n_selected;
}

void
rel_strategies_view_drag_begin (GtkGestureDrag *g, double x, double y, RelStrategiesView *self)
{
  self->drag_x0 = self->drag_x1 = x, self->drag_y0 = self->drag_y1 = y;
  self->dragging = TRUE;
}

void
rel_strategies_view_drag_update (GtkGestureDrag *g, double dx, double dy, RelStrategiesView *self)
{
  self->drag_x1 = self->drag_x0 + dx, self->drag_y1 = self->drag_y0 + dy;
  gtk_widget_queue_draw (GTK_WIDGET (self->scatter));
}


void
rel_strategies_view_drag_end (GtkGestureDrag *g, double dx, double dy, RelStrategiesView *self)
{
  self->dragging = FALSE;
  if (fabs (dx) < 3 && fabs (dy) < 3)
    {
      /* a click: a point opens its image, empty space clears the selection */
      int i = scatter_pick (self, self->drag_x0, self->drag_y0);
      if (i >= 0)
        {
          rel_strategies_view_open_image (self, i);
          return;
        }
      g_clear_pointer (&self->selected, g_free);
      self->n_selected = 0;
      rel_strategies_view_update_selection_label (self);
      gtk_widget_queue_draw (GTK_WIDGET (self->scatter));
      rel_strategies_view_rebuild_gallery (self);
      return;
    }
  rel_strategies_view_select_box (self, self->drag_x0, self->drag_y0, self->drag_x0 + dx, self->drag_y0 + dy);
}

void
rel_strategies_view_view_toggled (GtkToggleButton *b, RelStrategiesView *self)
{
  self->zoom = 1, self->cx = self->cy = NAN;
  gtk_widget_queue_draw (GTK_WIDGET (self->scatter));
}

/* ---- the spectrum ---- */

void
rel_strategies_view_spectrum_draw (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  RelStrategiesView *self = data;
  if (self->an == NULL)
    return;
  const RelSprayResult *r = self->an->r;
  GdkRGBA fg;
  rel_strategies_view_widget_color (GTK_WIDGET (area), &fg);
  int m = MIN (r->n_eig, r->max_k + 1);
  if (m < 2)
    return;
  double left = 44, right = 12, top = 22, bottom = 26;
  double pw = width - left - right, ph = height - top - bottom;
  double vmax = 0;
  for (int j = 0; j < m; j++)
    vmax = MAX (vmax, r->eigenvalues[j]);
  vmax = vmax > 0 ? vmax * 1.1 : 1;
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (area), NULL);
  PangoFontDescription *small = pango_font_description_from_string ("Sans 8");
  pango_layout_set_font_description (layout, small);

  /* axes and grid */
  cairo_set_line_width (cr, 1);
  for (int t = 0; t <= 4; t++)
    {
      double v = vmax * t / 4, y = top + ph - ph * t / 4;
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, t == 0 ? 0.5 : 0.12);
      cairo_move_to (cr, left, floor (y) + 0.5);
      cairo_line_to (cr, left + pw, floor (y) + 0.5);
      cairo_stroke (cr);
      g_autofree char *lab = g_strdup_printf ("%.2f", v);
      pango_layout_set_text (layout, lab, -1);
      int tw, th;
      pango_layout_get_pixel_size (layout, &tw, &th);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.6);
      cairo_move_to (cr, left - 6 - tw, y - th / 2.0);
      pango_cairo_show_layout (cr, layout);
    }
  double step = pw / m;
  int k = r->suggested_k;
  self->marked_k = k;
  for (int j = 0; j < m; j++)
    {
      double x = left + step * (j + 0.5), y = top + ph - ph * r->eigenvalues[j] / vmax;
      gboolean used = j < r->k;
      cairo_rectangle (cr, x - step * 0.3, y, step * 0.6, top + ph - y);
      if (used)
        cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, 0.85);
      else
        cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.3);
      cairo_fill (cr);
      g_autofree char *lab = g_strdup_printf ("%d", j + 1);
      pango_layout_set_text (layout, lab, -1);
      int tw, th;
      pango_layout_get_pixel_size (layout, &tw, &th);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.6);
      cairo_move_to (cr, x - tw / 2.0, top + ph + 5);
      pango_cairo_show_layout (cr, layout);
    }
  /* the eigengap: between eigenvalue k and k + 1 */
  if (k >= 1 && k < m)
    {
      double xa = left + step * (k - 0.5), xb = left + step * (k + 0.5);
      double ya = top + ph - ph * r->eigenvalues[k - 1] / vmax, yb = top + ph - ph * r->eigenvalues[k] / vmax;
      double xm = left + step * k;
      cairo_set_source_rgba (cr, 0.90, 0.38, 0.0, 0.95);
      cairo_set_line_width (cr, 2);
      double dash[] = { 4, 3 };
      cairo_set_dash (cr, dash, 2, 0);
      cairo_move_to (cr, xa, ya);
      cairo_line_to (cr, xm, ya);
      cairo_move_to (cr, xm, yb);
      cairo_line_to (cr, xb, yb);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      cairo_move_to (cr, xm, ya);
      cairo_line_to (cr, xm, yb);
      cairo_stroke (cr);
      for (int e = 0; e < 2; e++)
        {
          double ye = e ? yb : ya, d = e ? 5 : -5;
          cairo_move_to (cr, xm - 4, ye - d);
          cairo_line_to (cr, xm, ye);
          cairo_line_to (cr, xm + 4, ye - d);
          cairo_stroke (cr);
        }
      g_autofree char *lab = g_strdup_printf (_("gap → k = %d"), k);
      pango_layout_set_text (layout, lab, -1);
      int tw, th;
      pango_layout_get_pixel_size (layout, &tw, &th);
      /* above the gap's taller bar, where no bar is in the way */
      double tx = CLAMP (xb - tw / 2.0, left, width - right - tw);
      cairo_move_to (cr, tx, MAX (0, MIN (ya, yb) - th - 4));
      pango_cairo_show_layout (cr, layout);
    }
  pango_font_description_free (small);
  g_object_unref (layout);
}
