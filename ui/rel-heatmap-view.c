/* rel-heatmap-view.c — the heatmap canvas (see rel-heatmap-view.h).
 *
 * The image and the coloured map are kept as Cairo surfaces at their own
 * resolution and scaled while drawing, so a new relevance costs one pass over
 * the map (no relayout, no image work), and zooming or panning costs nothing
 * but a redraw. Zoomed in far enough, pixels are drawn as crisp squares.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-heatmap-view.h"
#include "rel-fragility.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ZOOM_MIN 1.0
#define ZOOM_MAX 64.0
#define ZOOM_STEP 1.25
/* From this many screen pixels per image pixel on, pixels are drawn as squares. */
#define NEAREST_FROM 4.0
#define CORNER_RADIUS 6.0

struct _RelHeatmapView {
  GtkWidget parent_instance;

  GdkTexture      *image;
  cairo_surface_t *image_surface;
  int              image_width, image_height;

  float           *map;              /* channel-summed relevance, map_width × map_height */
  int              map_width, map_height;
  float           *sorted_keys;      /* ascending rank keys, built on demand */
  gboolean         sorted_valid;

  cairo_surface_t *heat_surface;     /* the coloured map; alpha |t| unless opaque */
  gboolean         heat_valid, heat_opaque;

  RelColormap      colormap;
  RelSignMode      sign_mode;
  RelNormMode      normalization;
  double           percentile, shared_scale, scale;
  double           opacity;
  RelDisplayMode   display_mode;

  double           zoom, pan_x, pan_y; /* pan: offset of the image centre from the widget centre */
  double           drag_pan_x, drag_pan_y, pinch_zoom;
  double           pinch_x, pinch_y;

  gboolean         hovering;
  double           hover_x, hover_y;
  gboolean         label_at_top;      /* moved up while the pointer is near the bottom */
  GtkWidget       *hover_label;
  GtkWidget       *notice_label;      /* "map is (nearly) zero" */
  GtkWidget       *spinner;           /* a computation for this image is under way */
  double           reference;         /* the output the map explains; 0: unknown */
  double           stability;         /* rel-fragility.h's cosine; NaN: not checked */
  gboolean         nearly_zero;       /* the map is below rel_heatmap_floor */
};

G_DEFINE_FINAL_TYPE (RelHeatmapView, rel_heatmap_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_IMAGE,
  PROP_COLORMAP,
  PROP_SIGN_MODE,
  PROP_NORMALIZATION,
  PROP_PERCENTILE,
  PROP_SHARED_SCALE,
  PROP_OPACITY,
  PROP_DISPLAY_MODE,
  PROP_ZOOM,
  PROP_SCALE,
  N_PROPS
};

enum {
  SIGNAL_HOVER_CHANGED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static const char *const display_names[] = { "overlay", "image", "heatmap" };

/* ---- Geometry ---- */

/* The size of what is shown: the image, or the map on its own. */
static gboolean
content_size (RelHeatmapView *self, int *w, int *h)
{
  if (self->image_surface)
    {
      *w = self->image_width;
      *h = self->image_height;
      return TRUE;
    }
  if (self->map)
    {
      *w = self->map_width;
      *h = self->map_height;
      return TRUE;
    }
  return FALSE;
}

/* Screen pixels per content pixel and the content's top-left corner. */
static gboolean
content_rect (RelHeatmapView *self, double *scale, double *x0, double *y0)
{
  int cw, ch;
  double W = gtk_widget_get_width (GTK_WIDGET (self));
  double H = gtk_widget_get_height (GTK_WIDGET (self));

  if (!content_size (self, &cw, &ch) || W <= 0 || H <= 0)
    return FALSE;
  *scale = MIN (W / cw, H / ch) * self->zoom;
  *x0 = (W - cw * *scale) / 2 + self->pan_x;
  *y0 = (H - ch * *scale) / 2 + self->pan_y;
  return TRUE;
}

/* Keeps the image covering the widget when it is larger, centred when smaller. */
static void
clamp_pan (RelHeatmapView *self)
{
  int cw, ch;
  double W = gtk_widget_get_width (GTK_WIDGET (self));
  double H = gtk_widget_get_height (GTK_WIDGET (self));
  double s, lx, ly;

  if (!content_size (self, &cw, &ch) || W <= 0 || H <= 0)
    {
      self->pan_x = self->pan_y = 0;
      return;
    }
  s = MIN (W / cw, H / ch) * self->zoom;
  lx = MAX (0.0, (cw * s - W) / 2);
  ly = MAX (0.0, (ch * s - H) / 2);
  self->pan_x = CLAMP (self->pan_x, -lx, lx);
  self->pan_y = CLAMP (self->pan_y, -ly, ly);
}

gboolean
rel_heatmap_view_widget_to_image (RelHeatmapView *self, double x, double y, double *ix, double *iy)
{
  double s, x0, y0, u, v;
  int cw, ch;

  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), FALSE);
  if (!content_rect (self, &s, &x0, &y0) || !content_size (self, &cw, &ch))
    return FALSE;
  u = (x - x0) / s;
  v = (y - y0) / s;
  if (ix)
    *ix = u;
  if (iy)
    *iy = v;
  return u >= 0 && v >= 0 && u < cw && v < ch;
}

/* ---- Colour ---- */

/* The notice over the canvas: a near-zero map, a numerically fragile one, or both. */
static void
update_notice (RelHeatmapView *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  gsize n = (gsize) self->map_width * self->map_height;

  if (self->map && self->nearly_zero)
    {
      double mx = rel_heatmap_scale (self->map, n, REL_NORM_MAX_ABS, 0, 0);
      if (self->reference != 0 && isfinite (self->reference))
        /* Translators: shown over a heatmap whose values are all (almost) zero */
        g_string_printf (text, _("Map is (nearly) zero: max |R| = %.2g for an output of %.3g"), mx, self->reference);
      else
        g_string_printf (text, _("Map is (nearly) zero: max |R| = %.2g"), mx);
    }
  if (self->map && !isnan (self->stability) && self->stability < REL_FRAGILE_COSINE)
    {
      if (text->len > 0)
        g_string_append_c (text, '\n');
      /* Translators: shown over a heatmap that float32 rounding can change
       * (core/rel-fragility.h); %.2f is a cosine similarity */
      g_string_append_printf (text, _("Numerically fragile: rounding changes this map (cosine %.2f); "
                                      "it may not show the model"), self->stability);
    }
  gtk_label_set_text (GTK_LABEL (self->notice_label), text->str);
  gtk_widget_set_visible (self->notice_label, text->len > 0);
}

static void
update_scale (RelHeatmapView *self)
{
  double old = self->scale;

  gsize n = (gsize) self->map_width * self->map_height;

  self->scale = self->map ? rel_heatmap_scale (self->map, n, self->normalization, self->percentile,
                                               self->shared_scale)
                          : 0;
  /* A grid's shared scale is the caller's; a map's own is never below the
   * floor that keeps near-zero maps faint (rel-colormap.h). */
  if (self->map && self->normalization != REL_NORM_SHARED)
    self->scale = MAX (self->scale, rel_heatmap_floor (self->map, n, self->reference));
  self->nearly_zero = self->map && rel_heatmap_nearly_zero (self->map, n, self->reference);
  update_notice (self);
  self->heat_valid = FALSE;
  if (old != self->scale)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SCALE]);
}

static void
invalidate_heat (RelHeatmapView *self)
{
  self->heat_valid = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Colours the map into heat_surface unless it is current: opaque for the
 * heatmap on its own, alpha |t| for blending over the image. */
static void
ensure_heat_surface (RelHeatmapView *self, gboolean opaque)
{
  g_autofree guint8 *rgba = NULL;
  guint8 *dst;
  int stride;

  if (self->map == NULL)
    return;
  if (self->heat_valid && self->heat_opaque == opaque && self->heat_surface)
    return;
  if (self->heat_surface == NULL
      || cairo_image_surface_get_width (self->heat_surface) != self->map_width
      || cairo_image_surface_get_height (self->heat_surface) != self->map_height)
    {
      g_clear_pointer (&self->heat_surface, cairo_surface_destroy);
      self->heat_surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, self->map_width, self->map_height);
    }
  rgba = g_malloc ((gsize) self->map_width * self->map_height * 4);
  rel_heatmap_colorize (self->map, self->map_width, self->map_height, self->scale,
                        self->colormap, self->sign_mode, opaque, rgba);
  /* Straight RGBA to Cairo's premultiplied native-endian ARGB. */
  cairo_surface_flush (self->heat_surface);
  dst = cairo_image_surface_get_data (self->heat_surface);
  stride = cairo_image_surface_get_stride (self->heat_surface);
  for (int y = 0; y < self->map_height; y++)
    {
      guint32 *row = (guint32 *) (dst + (gsize) y * stride);
      const guint8 *src = rgba + (gsize) y * self->map_width * 4;
      for (int x = 0; x < self->map_width; x++)
        {
          guint a = src[4 * x + 3];
          guint r = (src[4 * x] * a + 127) / 255, g = (src[4 * x + 1] * a + 127) / 255,
                b = (src[4 * x + 2] * a + 127) / 255;
          row[x] = (a << 24) | (r << 16) | (g << 8) | b;
        }
    }
  cairo_surface_mark_dirty (self->heat_surface);
  self->heat_valid = TRUE;
  self->heat_opaque = opaque;
}

static void
paint_surface (cairo_t *cr, cairo_surface_t *surface, int cw, int ch, double scale, double alpha)
{
  int sw = cairo_image_surface_get_width (surface), sh = cairo_image_surface_get_height (surface);
  double on_screen = scale * cw / sw;   /* screen pixels per surface pixel */
  cairo_pattern_t *pattern;

  cairo_save (cr);
  cairo_scale (cr, (double) cw / sw, (double) ch / sh);
  cairo_set_source_surface (cr, surface, 0, 0);
  pattern = cairo_get_source (cr);
  /* Pad, so the edge pixels are not blended with transparency. */
  cairo_pattern_set_extend (pattern, CAIRO_EXTEND_PAD);
  if (on_screen >= NEAREST_FROM && sw == cw)
    cairo_pattern_set_filter (pattern, CAIRO_FILTER_NEAREST);
  else if (on_screen >= 1.0)
    cairo_pattern_set_filter (pattern, CAIRO_FILTER_BILINEAR);
  else
    cairo_pattern_set_filter (pattern, CAIRO_FILTER_GOOD);
  cairo_rectangle (cr, 0, 0, sw, sh);
  cairo_clip (cr);
  if (alpha >= 1.0)
    cairo_paint (cr);
  else
    cairo_paint_with_alpha (cr, alpha);
  cairo_restore (cr);
}

/* Draws @mode in content coordinates (one unit per image pixel) scaled by
 * @scale screen pixels per unit, already translated by the caller. */
static void
draw_content (RelHeatmapView *self, cairo_t *cr, double scale, RelDisplayMode mode)
{
  int cw, ch;

  if (!content_size (self, &cw, &ch))
    return;
  cairo_scale (cr, scale, scale);
  if (self->image_surface && (mode != REL_DISPLAY_HEATMAP || self->map == NULL))
    paint_surface (cr, self->image_surface, cw, ch, scale, 1.0);
  if (self->map == NULL || mode == REL_DISPLAY_IMAGE)
    return;
  if (mode == REL_DISPLAY_OVERLAY && self->image_surface && self->opacity <= 0)
    return;
  ensure_heat_surface (self, mode == REL_DISPLAY_HEATMAP || self->image_surface == NULL);
  paint_surface (cr, self->heat_surface, cw, ch, scale,
                 mode == REL_DISPLAY_OVERLAY && self->image_surface ? self->opacity : 1.0);
}

/* Outlines the hovered map cell (white inside a dark line, visible on any
 * colour); a cell too small to outline gets a ring around it. */
static void
snapshot_marker (RelHeatmapView *self, GtkSnapshot *snapshot)
{
  double s, x0, y0, cell_w, cell_h;
  int mx, my, cw, ch;
  GskRoundedRect inner, outer;
  graphene_rect_t r;

  if (!rel_heatmap_view_pick (self, self->hover_x, self->hover_y, &mx, &my, NULL, NULL, NULL)
      || !content_rect (self, &s, &x0, &y0) || !content_size (self, &cw, &ch))
    return;
  cell_w = s * cw / self->map_width;
  cell_h = s * ch / self->map_height;
  if (cell_w >= 8 && cell_h >= 8)
    {
      r = GRAPHENE_RECT_INIT (roundf (x0 + mx * cell_w), roundf (y0 + my * cell_h),
                              roundf (cell_w), roundf (cell_h));
      gsk_rounded_rect_init_from_rect (&inner, &r, 0);
    }
  else
    {
      double cx = x0 + (mx + 0.5) * cell_w, cy = y0 + (my + 0.5) * cell_h;
      r = GRAPHENE_RECT_INIT (roundf (cx - 6), roundf (cy - 6), 12, 12);
      gsk_rounded_rect_init_from_rect (&inner, &r, 6);
    }
  outer = inner;
  gsk_rounded_rect_shrink (&outer, -1, -1, -1, -1);
  const GdkRGBA dark = { 0, 0, 0, 0.6 }, light = { 1, 1, 1, 0.95 };
  gtk_snapshot_append_border (snapshot, &outer, (float[4]) { 1, 1, 1, 1 },
                              (GdkRGBA[4]) { dark, dark, dark, dark });
  gtk_snapshot_append_border (snapshot, &inner, (float[4]) { 1.5, 1.5, 1.5, 1.5 },
                              (GdkRGBA[4]) { light, light, light, light });
}

/* A label on a dark translucent pill, readable over any heatmap. */
static void
snapshot_pill (GtkWidget *widget, GtkWidget *label, GtkSnapshot *snapshot)
{
  graphene_rect_t b;

  if (!gtk_widget_get_visible (label))
    return;
  if (gtk_widget_compute_bounds (label, widget, &b))
    {
      GskRoundedRect pill;
      gsk_rounded_rect_init_from_rect (&pill, &GRAPHENE_RECT_INIT (b.origin.x - 8, b.origin.y - 4,
                                                                   b.size.width + 16, b.size.height + 8),
                                       MIN ((b.size.height + 8) / 2, 12));
      gtk_snapshot_push_rounded_clip (snapshot, &pill);
      gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0, 0, 0, 0.72 }, &pill.bounds);
      gtk_snapshot_pop (snapshot);
    }
  gtk_widget_snapshot_child (widget, label, snapshot);
}

static void
rel_heatmap_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  RelHeatmapView *self = REL_HEATMAP_VIEW (widget);
  double s, x0, y0;
  int cw, ch, W = gtk_widget_get_width (widget), H = gtk_widget_get_height (widget);

  if (content_rect (self, &s, &x0, &y0) && content_size (self, &cw, &ch))
    {
      graphene_rect_t visible, content = GRAPHENE_RECT_INIT (x0, y0, cw * s, ch * s);
      GskRoundedRect clip;
      cairo_t *cr;

      if (graphene_rect_intersection (&content, &GRAPHENE_RECT_INIT (0, 0, W, H), &visible))
        {
          gsk_rounded_rect_init_from_rect (&clip, &content, self->zoom > ZOOM_MIN ? 0 : CORNER_RADIUS);
          gtk_snapshot_push_rounded_clip (snapshot, &clip);
          /* Only the visible part is painted, however far the view is zoomed. */
          cr = gtk_snapshot_append_cairo (snapshot, &visible);
          cairo_translate (cr, x0, y0);
          draw_content (self, cr, s, self->display_mode);
          cairo_destroy (cr);
          gtk_snapshot_pop (snapshot);
        }
    }

  if (self->hovering)
    snapshot_marker (self, snapshot);

  snapshot_pill (widget, self->notice_label, snapshot);
  snapshot_pill (widget, self->hover_label, snapshot);
  if (gtk_widget_get_visible (self->spinner))
    gtk_widget_snapshot_child (widget, self->spinner, snapshot);
}

/* ---- Layout ---- */

static void
rel_heatmap_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                          int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  RelHeatmapView *self = REL_HEATMAP_VIEW (widget);
  int cw = 256, ch = 256;

  content_size (self, &cw, &ch);
  /* Any size works (the image is fitted; the readout ellipsizes): ask for the
   * image's own size, never less than a small thumbnail, and never depend on
   * the readout's text, which changes with every pointer motion. */
  *minimum = 64;
  *natural = MAX (*minimum, orientation == GTK_ORIENTATION_HORIZONTAL ? cw : ch);
}

static void
rel_heatmap_view_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  RelHeatmapView *self = REL_HEATMAP_VIEW (widget);
  int lw, lh;

  clamp_pan (self);
  gtk_widget_measure (self->hover_label, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &lw, NULL, NULL);
  gtk_widget_measure (self->hover_label, GTK_ORIENTATION_VERTICAL, lw, NULL, &lh, NULL, NULL);
  lw = MIN (lw, MAX (0, width - 40));
  gtk_widget_size_allocate (self->hover_label,
                            &(GtkAllocation) { 20, self->label_at_top ? 16 : MAX (0, height - lh - 16), lw, lh },
                            -1);
  /* The notice sits at the top, clear of the readout's bottom place; on a
   * large canvas in its right half, leaving the top left to what the window
   * puts there (the explained target). */
  {
    int room = width >= 400 ? width / 2 - 28 : width - 40, lmin;
    gtk_widget_measure (self->notice_label, GTK_ORIENTATION_HORIZONTAL, -1, &lmin, &lw, NULL, NULL);
    lw = MAX (MIN (lw, MAX (0, room)), MIN (lmin, MAX (0, width - 40)));
    gtk_widget_measure (self->notice_label, GTK_ORIENTATION_VERTICAL, lw, NULL, &lh, NULL, NULL);
    gtk_widget_size_allocate (self->notice_label,
                              &(GtkAllocation) { width >= 400 ? width - lw - 20 : (width - lw) / 2, 16, lw, lh },
                              -1);
  }
  /* The spinner: in the middle while there is no map yet, in a corner while
   * a map is refined. */
  {
    int side = self->map ? 16 : 32, m;
    gtk_widget_measure (self->spinner, GTK_ORIENTATION_HORIZONTAL, -1, &m, NULL, NULL, NULL);
    GtkAllocation a = self->map ? (GtkAllocation) { width - side - 16, 16, side, side }
                                : (GtkAllocation) { (width - side) / 2, (height - side) / 2, side, side };
    gtk_widget_size_allocate (self->spinner, &a, -1);
  }
}

/* ---- Hover ---- */

static float
rank_key (RelSignMode mode, float v)
{
  switch (mode)
    {
    case REL_SIGN_NEGATIVE:
      return -v;
    case REL_SIGN_ABSOLUTE:
      return fabsf (v);
    default:
      return v;
    }
}

static int
compare_floats (const void *a, const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x > y) - (x < y);
}

static guint
rank_of (RelHeatmapView *self, float v)
{
  gsize n = (gsize) self->map_width * self->map_height, lo = 0, hi = n;
  float key = rank_key (self->sign_mode, v);

  if (!self->sorted_valid)
    {
      self->sorted_keys = g_renew (float, self->sorted_keys, n);
      for (gsize i = 0; i < n; i++)
        self->sorted_keys[i] = rank_key (self->sign_mode, self->map[i]);
      qsort (self->sorted_keys, n, sizeof (float), compare_floats);
      self->sorted_valid = TRUE;
    }
  /* Rank = 1 + how many are strictly more relevant (ties share a rank). */
  while (lo < hi)
    {
      gsize mid = lo + (hi - lo) / 2;
      if (self->sorted_keys[mid] <= key)
        lo = mid + 1;
      else
        hi = mid;
    }
  return (guint) (n - lo) + 1;
}

gboolean
rel_heatmap_view_pick (RelHeatmapView *self, double x, double y, int *mx, int *my,
                       double *value, guint *rank, guint *total)
{
  double ix, iy;
  int cw, ch, px, py;
  float v;

  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), FALSE);
  if (self->map == NULL || !rel_heatmap_view_widget_to_image (self, x, y, &ix, &iy)
      || !content_size (self, &cw, &ch))
    return FALSE;
  /* The map cell under the image pixel (a CAM cell covers many pixels). */
  px = CLAMP ((int) floor (ix * self->map_width / cw), 0, self->map_width - 1);
  py = CLAMP ((int) floor (iy * self->map_height / ch), 0, self->map_height - 1);
  v = self->map[(gsize) py * self->map_width + px];
  if (mx)
    *mx = px;
  if (my)
    *my = py;
  if (value)
    *value = v;
  if (rank)
    *rank = rank_of (self, v);
  if (total)
    *total = (guint) ((gsize) self->map_width * self->map_height);
  return TRUE;
}

static void
update_hover (RelHeatmapView *self)
{
  int mx = -1, my = -1;
  double value = NAN;
  guint rank = 0, total = 0;
  gboolean hit = self->hovering
                 && rel_heatmap_view_pick (self, self->hover_x, self->hover_y, &mx, &my, &value, &rank, &total);

  if (hit)
    {
      /* TRANSLATORS: hovering the heatmap: pixel position, relevance value,
       * its rank among all pixels (1 = most relevant) and the pixel count. */
      g_autofree char *text = g_strdup_printf (_("x %d, y %d   R = %.4g   rank %u of %u"),
                                               mx, my, value, rank, total);
      gboolean top = self->hover_y > gtk_widget_get_height (GTK_WIDGET (self)) - 64;
      gtk_label_set_text (GTK_LABEL (self->hover_label), text);
      gtk_widget_set_visible (self->hover_label, TRUE);
      if (top != self->label_at_top)
        {
          self->label_at_top = top;
          gtk_widget_queue_allocate (GTK_WIDGET (self));
        }
    }
  else
    {
      gtk_widget_set_visible (self->hover_label, FALSE);
      mx = my = -1;
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[SIGNAL_HOVER_CHANGED], 0, mx, my, value, rank);
}

void
rel_heatmap_view_hover (RelHeatmapView *self, double x, double y)
{
  g_return_if_fail (REL_IS_HEATMAP_VIEW (self));
  self->hovering = x >= 0;
  self->hover_x = x;
  self->hover_y = y;
  update_hover (self);
}

static void
motion_cb (GtkEventControllerMotion *controller, double x, double y, RelHeatmapView *self)
{
  rel_heatmap_view_hover (self, x, y);
}

static void
leave_cb (GtkEventControllerMotion *controller, RelHeatmapView *self)
{
  rel_heatmap_view_hover (self, -1, -1);
}

/* ---- Zoom and pan ---- */

void
rel_heatmap_view_zoom_at (RelHeatmapView *self, double zoom, double x, double y)
{
  double s, x0, y0, ix, iy, s2;
  int cw, ch;
  double W, H;

  g_return_if_fail (REL_IS_HEATMAP_VIEW (self));
  if (!(zoom == zoom))
    return;
  zoom = CLAMP (zoom, ZOOM_MIN, ZOOM_MAX);
  if (zoom == self->zoom)
    return;
  if (content_rect (self, &s, &x0, &y0) && content_size (self, &cw, &ch))
    {
      /* Keep the image point under (x, y) there. */
      W = gtk_widget_get_width (GTK_WIDGET (self));
      H = gtk_widget_get_height (GTK_WIDGET (self));
      ix = (x - x0) / s;
      iy = (y - y0) / s;
      s2 = s / self->zoom * zoom;
      self->pan_x = (x - ix * s2) - (W - cw * s2) / 2;
      self->pan_y = (y - iy * s2) - (H - ch * s2) / 2;
    }
  self->zoom = zoom;
  clamp_pan (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  if (self->hovering)
    update_hover (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ZOOM]);
}

void
rel_heatmap_view_set_zoom (RelHeatmapView *self, double zoom)
{
  rel_heatmap_view_zoom_at (self, zoom, gtk_widget_get_width (GTK_WIDGET (self)) / 2.0,
                            gtk_widget_get_height (GTK_WIDGET (self)) / 2.0);
}

double
rel_heatmap_view_get_zoom (RelHeatmapView *self)
{
  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), 1);
  return self->zoom;
}

void
rel_heatmap_view_zoom_fit (RelHeatmapView *self)
{
  g_return_if_fail (REL_IS_HEATMAP_VIEW (self));
  self->pan_x = self->pan_y = 0;
  rel_heatmap_view_set_zoom (self, 1.0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
zoom_action (GtkWidget *widget, const char *action, GVariant *param)
{
  RelHeatmapView *self = REL_HEATMAP_VIEW (widget);

  if (g_str_equal (action, "heatmap.zoom-in"))
    rel_heatmap_view_set_zoom (self, self->zoom * ZOOM_STEP);
  else if (g_str_equal (action, "heatmap.zoom-out"))
    rel_heatmap_view_set_zoom (self, self->zoom / ZOOM_STEP);
  else
    rel_heatmap_view_zoom_fit (self);
}

static gboolean
scroll_cb (GtkEventControllerScroll *controller, double dx, double dy, RelHeatmapView *self)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));
  /* Zoom around the pointer, which the motion controller is tracking. */
  double x = self->hovering ? self->hover_x : gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
  double y = self->hovering ? self->hover_y : gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;

  if (state & GDK_CONTROL_MASK)
    {
      rel_heatmap_view_zoom_at (self, self->zoom * pow (ZOOM_STEP, -dy), x, y);
      return TRUE;
    }
  if (self->zoom > ZOOM_MIN)
    {
      self->pan_x -= dx * 24;
      self->pan_y -= dy * 24;
      clamp_pan (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return TRUE;
    }
  return FALSE;
}

static void
pinch_begin_cb (GtkGesture *gesture, GdkEventSequence *sequence, RelHeatmapView *self)
{
  self->pinch_zoom = self->zoom;
  if (!gtk_gesture_get_bounding_box_center (gesture, &self->pinch_x, &self->pinch_y))
    {
      self->pinch_x = gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
      self->pinch_y = gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;
    }
}

static void
pinch_scale_cb (GtkGestureZoom *gesture, double scale, RelHeatmapView *self)
{
  rel_heatmap_view_zoom_at (self, self->pinch_zoom * scale, self->pinch_x, self->pinch_y);
}

static void
drag_begin_cb (GtkGestureDrag *gesture, double x, double y, RelHeatmapView *self)
{
  self->drag_pan_x = self->pan_x;
  self->drag_pan_y = self->pan_y;
  if (self->zoom > ZOOM_MIN)
    gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grabbing");
}

static void
drag_update_cb (GtkGestureDrag *gesture, double dx, double dy, RelHeatmapView *self)
{
  self->pan_x = self->drag_pan_x + dx;
  self->pan_y = self->drag_pan_y + dy;
  clamp_pan (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
drag_end_cb (GtkGestureDrag *gesture, double dx, double dy, RelHeatmapView *self)
{
  gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
}

/* ---- Image and relevance ---- */

void
rel_heatmap_view_set_image (RelHeatmapView *self, GdkTexture *image)
{
  g_return_if_fail (REL_IS_HEATMAP_VIEW (self));
  g_return_if_fail (image == NULL || GDK_IS_TEXTURE (image));

  if (self->image == image)
    return;
  g_set_object (&self->image, image);
  g_clear_pointer (&self->image_surface, cairo_surface_destroy);
  self->image_width = self->image_height = 0;
  if (image)
    {
      self->image_width = gdk_texture_get_width (image);
      self->image_height = gdk_texture_get_height (image);
      self->image_surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, self->image_width, self->image_height);
      cairo_surface_flush (self->image_surface);
      /* GDK's default download format is Cairo's ARGB32. */
      gdk_texture_download (image, cairo_image_surface_get_data (self->image_surface),
                            cairo_image_surface_get_stride (self->image_surface));
      cairo_surface_mark_dirty (self->image_surface);
    }
  self->heat_valid = FALSE;
  clamp_pan (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_IMAGE]);
}

GdkTexture *
rel_heatmap_view_get_image (RelHeatmapView *self)
{
  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), NULL);
  return self->image;
}

gboolean
rel_heatmap_view_set_input (RelHeatmapView *self, const RelTensor *input, const RelPreprocess *pp,
                            GError **error)
{
  int w, h;
  guint8 *rgb;

  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), FALSE);
  rgb = rel_input_to_rgb8 (input, pp, &w, &h, error);
  if (rgb == NULL)
    return FALSE;
  g_autoptr (GBytes) bytes = g_bytes_new_take (rgb, (gsize) w * h * 3);
  g_autoptr (GdkTexture) texture = gdk_memory_texture_new (w, h, GDK_MEMORY_R8G8B8, bytes, (gsize) w * 3);
  rel_heatmap_view_set_image (self, texture);
  return TRUE;
}

gboolean
rel_heatmap_view_set_relevance (RelHeatmapView *self, const RelTensor *relevance, GError **error)
{
  float *map = NULL;
  int w = 0, h = 0, old_w = self->map_width, old_h = self->map_height;
  gboolean had_map;

  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), FALSE);
  had_map = self->map != NULL;
  if (relevance)
    {
      map = rel_relevance_map (relevance, &w, &h, error);
      if (map == NULL)
        return FALSE;
    }
  g_free (self->map);
  self->map = map;
  self->map_width = w;
  self->map_height = h;
  self->sorted_valid = FALSE;
  update_scale (self);
  /* Only a change of what is shown without an image changes the layout. */
  if (self->image_surface == NULL && (had_map != (map != NULL) || old_w != w || old_h != h))
    gtk_widget_queue_resize (GTK_WIDGET (self));
  invalidate_heat (self);
  if (self->hovering)
    update_hover (self);
  return TRUE;
}

void
rel_heatmap_view_set_reference (RelHeatmapView *self, double reference)
{
  g_return_if_fail (REL_IS_HEATMAP_VIEW (self));
  if (!isfinite (reference))
    reference = 0;
  if (reference == self->reference)
    return;
  self->reference = reference;
  update_scale (self);
  invalidate_heat (self);
}

gboolean
rel_heatmap_view_is_nearly_zero (RelHeatmapView *self)
{
  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), FALSE);
  return self->map != NULL && self->nearly_zero;
}

void
rel_heatmap_view_set_stability (RelHeatmapView *self, double cosine)
{
  g_return_if_fail (REL_IS_HEATMAP_VIEW (self));
  if (cosine == self->stability || (isnan (cosine) && isnan (self->stability)))
    return;
  self->stability = cosine;
  update_notice (self);
  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

gboolean
rel_heatmap_view_is_fragile (RelHeatmapView *self)
{
  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), FALSE);
  return self->map != NULL && !isnan (self->stability) && self->stability < REL_FRAGILE_COSINE;
}

const char *
rel_heatmap_view_get_notice (RelHeatmapView *self)
{
  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), NULL);
  return gtk_widget_get_visible (self->notice_label) ? gtk_label_get_text (GTK_LABEL (self->notice_label)) : NULL;
}

void
rel_heatmap_view_set_busy (RelHeatmapView *self, gboolean busy)
{
  g_return_if_fail (REL_IS_HEATMAP_VIEW (self));
  busy = !!busy;
  if (busy == gtk_widget_get_visible (self->spinner))
    return;
  gtk_widget_set_visible (self->spinner, busy);
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), busy);
  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

gboolean
rel_heatmap_view_get_busy (RelHeatmapView *self)
{
  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), FALSE);
  return gtk_widget_get_visible (self->spinner);
}

const float *
rel_heatmap_view_get_map (RelHeatmapView *self, int *width, int *height)
{
  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), NULL);
  if (width)
    *width = self->map_width;
  if (height)
    *height = self->map_height;
  return self->map;
}

double
rel_heatmap_view_get_scale (RelHeatmapView *self)
{
  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), 0);
  return self->scale;
}

double
rel_heatmap_view_get_map_scale (RelHeatmapView *self, RelNormMode norm, double percentile)
{
  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), 0);
  if (self->map == NULL)
    return 0;
  {
    gsize n = (gsize) self->map_width * self->map_height;
    double scale = rel_heatmap_scale (self->map, n, norm, percentile, self->shared_scale);
    /* a grid's shared scale honours each map's floor too */
    if (norm != REL_NORM_SHARED)
      scale = MAX (scale, rel_heatmap_floor (self->map, n, self->reference));
    return scale;
  }
}

/* ---- Appearance ---- */

void
rel_heatmap_view_set_colormap (RelHeatmapView *self, RelColormap map)
{
  g_return_if_fail (REL_IS_HEATMAP_VIEW (self));
  if ((unsigned) map >= REL_COLORMAP_N || map == self->colormap)
    return;
  self->colormap = map;
  invalidate_heat (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_COLORMAP]);
}

RelColormap
rel_heatmap_view_get_colormap (RelHeatmapView *self)
{
  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), REL_COLORMAP_BWR);
  return self->colormap;
}

void
rel_heatmap_view_set_sign_mode (RelHeatmapView *self, RelSignMode mode)
{
  g_return_if_fail (REL_IS_HEATMAP_VIEW (self));
  if ((unsigned) mode >= REL_SIGN_N || mode == self->sign_mode)
    return;
  self->sign_mode = mode;
  self->sorted_valid = FALSE;
  invalidate_heat (self);
  if (self->hovering)
    update_hover (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SIGN_MODE]);
}

RelSignMode
rel_heatmap_view_get_sign_mode (RelHeatmapView *self)
{
  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), REL_SIGN_BOTH);
  return self->sign_mode;
}

void
rel_heatmap_view_set_normalization (RelHeatmapView *self, RelNormMode norm)
{
  g_return_if_fail (REL_IS_HEATMAP_VIEW (self));
  if ((unsigned) norm >= REL_NORM_N || norm == self->normalization)
    return;
  self->normalization = norm;
  update_scale (self);
  invalidate_heat (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_NORMALIZATION]);
}

RelNormMode
rel_heatmap_view_get_normalization (RelHeatmapView *self)
{
  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), REL_NORM_MAX_ABS);
  return self->normalization;
}

void
rel_heatmap_view_set_percentile (RelHeatmapView *self, double percentile)
{
  g_return_if_fail (REL_IS_HEATMAP_VIEW (self));
  if (!(percentile == percentile))
    return;
  percentile = CLAMP (percentile, 0.0, 100.0);
  if (percentile == self->percentile)
    return;
  self->percentile = percentile;
  if (self->normalization == REL_NORM_PERCENTILE)
    {
      update_scale (self);
      invalidate_heat (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PERCENTILE]);
}

void
rel_heatmap_view_set_shared_scale (RelHeatmapView *self, double scale)
{
  g_return_if_fail (REL_IS_HEATMAP_VIEW (self));
  if (!isfinite (scale) || scale < 0 || scale == self->shared_scale)
    return;
  self->shared_scale = scale;
  if (self->normalization == REL_NORM_SHARED)
    {
      update_scale (self);
      invalidate_heat (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SHARED_SCALE]);
}

void
rel_heatmap_view_set_opacity (RelHeatmapView *self, double opacity)
{
  g_return_if_fail (REL_IS_HEATMAP_VIEW (self));
  if (!(opacity == opacity))
    return;
  opacity = CLAMP (opacity, 0.0, 1.0);
  if (opacity == self->opacity)
    return;
  /* Opacity is applied while drawing: the coloured map stays as it is. */
  self->opacity = opacity;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_OPACITY]);
}

double
rel_heatmap_view_get_opacity (RelHeatmapView *self)
{
  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), 0);
  return self->opacity;
}

void
rel_heatmap_view_set_display_mode (RelHeatmapView *self, RelDisplayMode mode)
{
  g_return_if_fail (REL_IS_HEATMAP_VIEW (self));
  if ((unsigned) mode >= G_N_ELEMENTS (display_names) || mode == self->display_mode)
    return;
  self->display_mode = mode;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_DISPLAY_MODE]);
}

RelDisplayMode
rel_heatmap_view_get_display_mode (RelHeatmapView *self)
{
  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), REL_DISPLAY_OVERLAY);
  return self->display_mode;
}

GdkTexture *
rel_heatmap_view_render_texture (RelHeatmapView *self, RelDisplayMode mode)
{
  int cw, ch, stride;
  cairo_surface_t *surface;
  cairo_t *cr;

  g_return_val_if_fail (REL_IS_HEATMAP_VIEW (self), NULL);
  if (!content_size (self, &cw, &ch))
    return NULL;
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, cw, ch);
  cr = cairo_create (surface);
  draw_content (self, cr, 1.0, mode);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  stride = cairo_image_surface_get_stride (surface);
  g_autoptr (GBytes) bytes = g_bytes_new_with_free_func (cairo_image_surface_get_data (surface),
                                                          (gsize) stride * ch,
                                                          (GDestroyNotify) cairo_surface_destroy, surface);
  return gdk_memory_texture_new (cw, ch, GDK_MEMORY_DEFAULT, bytes, stride);
}

/* ---- GObject ---- */

static int
name_index (const char *const *names, int n, const char *name)
{
  for (int i = 0; name && i < n; i++)
    if (g_str_equal (names[i], name))
      return i;
  return -1;
}

static void
rel_heatmap_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  RelHeatmapView *self = REL_HEATMAP_VIEW (object);

  switch (prop_id)
    {
    case PROP_IMAGE:
      g_value_set_object (value, self->image);
      break;
    case PROP_COLORMAP:
      g_value_set_string (value, rel_colormap_name (self->colormap));
      break;
    case PROP_SIGN_MODE:
      g_value_set_string (value, rel_sign_mode_name (self->sign_mode));
      break;
    case PROP_NORMALIZATION:
      g_value_set_string (value, rel_norm_mode_name (self->normalization));
      break;
    case PROP_PERCENTILE:
      g_value_set_double (value, self->percentile);
      break;
    case PROP_SHARED_SCALE:
      g_value_set_double (value, self->shared_scale);
      break;
    case PROP_OPACITY:
      g_value_set_double (value, self->opacity);
      break;
    case PROP_DISPLAY_MODE:
      g_value_set_string (value, display_names[self->display_mode]);
      break;
    case PROP_ZOOM:
      g_value_set_double (value, self->zoom);
      break;
    case PROP_SCALE:
      g_value_set_double (value, self->scale);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rel_heatmap_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  RelHeatmapView *self = REL_HEATMAP_VIEW (object);

  switch (prop_id)
    {
    case PROP_IMAGE:
      rel_heatmap_view_set_image (self, g_value_get_object (value));
      break;
    case PROP_COLORMAP:
      {
        RelColormap m;
        if (rel_colormap_from_name (g_value_get_string (value), &m))
          rel_heatmap_view_set_colormap (self, m);
      }
      break;
    case PROP_SIGN_MODE:
      {
        RelSignMode m;
        if (rel_sign_mode_from_name (g_value_get_string (value), &m))
          rel_heatmap_view_set_sign_mode (self, m);
      }
      break;
    case PROP_NORMALIZATION:
      {
        RelNormMode m;
        if (rel_norm_mode_from_name (g_value_get_string (value), &m))
          rel_heatmap_view_set_normalization (self, m);
      }
      break;
    case PROP_PERCENTILE:
      rel_heatmap_view_set_percentile (self, g_value_get_double (value));
      break;
    case PROP_SHARED_SCALE:
      rel_heatmap_view_set_shared_scale (self, g_value_get_double (value));
      break;
    case PROP_OPACITY:
      rel_heatmap_view_set_opacity (self, g_value_get_double (value));
      break;
    case PROP_DISPLAY_MODE:
      {
        int i = name_index (display_names, G_N_ELEMENTS (display_names), g_value_get_string (value));
        if (i >= 0)
          rel_heatmap_view_set_display_mode (self, (RelDisplayMode) i);
      }
      break;
    case PROP_ZOOM:
      rel_heatmap_view_set_zoom (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rel_heatmap_view_dispose (GObject *object)
{
  RelHeatmapView *self = REL_HEATMAP_VIEW (object);

  g_clear_pointer (&self->hover_label, gtk_widget_unparent);
  g_clear_pointer (&self->notice_label, gtk_widget_unparent);
  g_clear_pointer (&self->spinner, gtk_widget_unparent);
  g_clear_object (&self->image);
  G_OBJECT_CLASS (rel_heatmap_view_parent_class)->dispose (object);
}

static void
rel_heatmap_view_finalize (GObject *object)
{
  RelHeatmapView *self = REL_HEATMAP_VIEW (object);

  g_clear_pointer (&self->image_surface, cairo_surface_destroy);
  g_clear_pointer (&self->heat_surface, cairo_surface_destroy);
  g_free (self->map);
  g_free (self->sorted_keys);
  G_OBJECT_CLASS (rel_heatmap_view_parent_class)->finalize (object);
}

static void
rel_heatmap_view_class_init (RelHeatmapViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = rel_heatmap_view_get_property;
  object_class->set_property = rel_heatmap_view_set_property;
  object_class->dispose = rel_heatmap_view_dispose;
  object_class->finalize = rel_heatmap_view_finalize;
  widget_class->snapshot = rel_heatmap_view_snapshot;
  widget_class->measure = rel_heatmap_view_measure;
  widget_class->size_allocate = rel_heatmap_view_size_allocate;

  props[PROP_IMAGE] = g_param_spec_object ("image", NULL, NULL, GDK_TYPE_TEXTURE, rw);
  props[PROP_COLORMAP] = g_param_spec_string ("colormap", NULL, NULL, "bwr", rw);
  props[PROP_SIGN_MODE] = g_param_spec_string ("sign-mode", NULL, NULL, "both", rw);
  props[PROP_NORMALIZATION] = g_param_spec_string ("normalization", NULL, NULL, "max-abs", rw);
  props[PROP_PERCENTILE] = g_param_spec_double ("percentile", NULL, NULL, 0, 100, 99.5, rw);
  props[PROP_SHARED_SCALE] = g_param_spec_double ("shared-scale", NULL, NULL, 0, G_MAXDOUBLE, 1, rw);
  props[PROP_OPACITY] = g_param_spec_double ("opacity", NULL, NULL, 0, 1, 0.7, rw);
  props[PROP_DISPLAY_MODE] = g_param_spec_string ("display-mode", NULL, NULL, "overlay", rw);
  props[PROP_ZOOM] = g_param_spec_double ("zoom", NULL, NULL, ZOOM_MIN, ZOOM_MAX, 1, rw);
  props[PROP_SCALE] = g_param_spec_double ("scale", NULL, NULL, 0, G_MAXDOUBLE, 0,
                                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /* hover-changed (x, y, value, rank): the map cell under the pointer, its
   * relevance and rank; x = y = −1 (value NaN, rank 0) when nothing is hovered. */
  signals[SIGNAL_HOVER_CHANGED] =
    g_signal_new ("hover-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4, G_TYPE_INT, G_TYPE_INT, G_TYPE_DOUBLE, G_TYPE_UINT);

  gtk_widget_class_install_action (widget_class, "heatmap.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "heatmap.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "heatmap.zoom-fit", NULL, zoom_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, 0, "heatmap.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, 0, "heatmap.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, 0, "heatmap.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "heatmap.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, 0, "heatmap.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, 0, "heatmap.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "heatmap.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, 0, "heatmap.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_0, 0, "heatmap.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "heatmap.zoom-fit", NULL);

  gtk_widget_class_set_css_name (widget_class, "heatmapview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
rel_heatmap_view_init (RelHeatmapView *self)
{
  GtkEventController *controller;
  GtkGesture *gesture;
  PangoAttrList *attrs = pango_attr_list_new ();

  self->colormap = REL_COLORMAP_BWR;
  self->sign_mode = REL_SIGN_BOTH;
  self->normalization = REL_NORM_MAX_ABS;
  self->percentile = 99.5;
  self->shared_scale = 1;
  self->opacity = 0.7;
  self->display_mode = REL_DISPLAY_OVERLAY;
  self->zoom = 1;

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);

  /* White, tabular figures, so the readout does not jitter while hovering. */
  self->hover_label = gtk_label_new (NULL);
  pango_attr_list_insert (attrs, pango_attr_foreground_new (0xffff, 0xffff, 0xffff));
  pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum=1"));
  gtk_label_set_attributes (GTK_LABEL (self->hover_label), attrs);
  pango_attr_list_unref (attrs);
  gtk_label_set_ellipsize (GTK_LABEL (self->hover_label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (self->hover_label, "caption");
  gtk_widget_set_can_target (self->hover_label, FALSE);
  gtk_widget_set_visible (self->hover_label, FALSE);
  gtk_widget_set_parent (self->hover_label, GTK_WIDGET (self));

  self->stability = NAN;
  self->notice_label = gtk_label_new (NULL);
  attrs = pango_attr_list_new ();
  pango_attr_list_insert (attrs, pango_attr_foreground_new (0xffff, 0xffff, 0xffff));
  gtk_label_set_attributes (GTK_LABEL (self->notice_label), attrs);
  pango_attr_list_unref (attrs);
  gtk_label_set_wrap (GTK_LABEL (self->notice_label), TRUE);
  gtk_label_set_justify (GTK_LABEL (self->notice_label), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (self->notice_label, "caption");
  gtk_widget_set_can_target (self->notice_label, FALSE);
  gtk_widget_set_visible (self->notice_label, FALSE);
  gtk_widget_set_parent (self->notice_label, GTK_WIDGET (self));

  self->spinner = gtk_spinner_new ();
  gtk_widget_set_can_target (self->spinner, FALSE);
  gtk_widget_set_visible (self->spinner, FALSE);
  gtk_widget_set_parent (self->spinner, GTK_WIDGET (self));

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "enter", G_CALLBACK (motion_cb), self);
  g_signal_connect (controller, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (controller, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  g_signal_connect (controller, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  gesture = gtk_gesture_zoom_new ();
  g_signal_connect (gesture, "begin", G_CALLBACK (pinch_begin_cb), self);
  g_signal_connect (gesture, "scale-changed", G_CALLBACK (pinch_scale_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_drag_new ();
  g_signal_connect (gesture, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (gesture, "drag-update", G_CALLBACK (drag_update_cb), self);
  g_signal_connect (gesture, "drag-end", G_CALLBACK (drag_end_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));
}

GtkWidget *
rel_heatmap_view_new (void)
{
  return g_object_new (REL_TYPE_HEATMAP_VIEW, NULL);
}
