/* rel-export-image.c — exported heatmap pictures and compare grids (see the header).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-export-image.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <glib/gi18n.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <string.h>

#include "rel-atomic-file.h"
#include "rel-error.h"

/* The decorations' geometry, in pixels. */
#define PAD 12          /* around a decorated picture */
#define TITLE_GAP 8     /* between the title and the image */
#define BAR_GAP 10      /* between the image and the bar */
#define BAR_HEIGHT 14
#define LABEL_GAP 4     /* between the bar and its labels */
#define TITLE_FONT "Sans Bold 11"
#define LABEL_FONT "Sans 9"

/* "−0.0123", "0", "0.0123": three significant digits and a real minus sign,
 * as the app's colour bar writes them. */
static char *
format_value (double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    return g_strdup ("–");
  if (value == 0)
    return g_strdup ("0");
  g_snprintf (buf, sizeof buf, "%.3g", fabs (value));
  return value < 0 ? g_strconcat ("−", buf, NULL) : g_strdup (buf);
}

static PangoLayout *
make_layout (cairo_t *cr, const char *font, const char *text, int width)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *desc = pango_font_description_from_string (font);
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);
  if (width > 0)
    {
      pango_layout_set_width (layout, width * PANGO_SCALE);
      pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
      pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
    }
  pango_layout_set_text (layout, text, -1);
  return layout;
}

/* Pixel height of @text set in @font at @width (wrapped). */
static int
text_height (const char *font, const char *text, int width)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create (s);
  PangoLayout *layout = make_layout (cr, font, text, width);
  int w, h;
  pango_layout_get_pixel_size (layout, &w, &h);
  g_object_unref (layout);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
  return h;
}

gboolean
rel_export_image_layout (int w, int h, const RelExportStyle *style, RelExportLayout *layout,
                         GError **error)
{
  gboolean titled = style->title && *style->title;
  gboolean decorated = titled || style->colorbar;

  memset (layout, 0, sizeof *layout);
  if (w <= 0 || h <= 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, _("There is no image to export."));
      return FALSE;
    }
  if (style->scale < 1 || style->scale > REL_EXPORT_SCALE_MAX)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   _("The scale must be a whole number from 1 to %d, not %d."), REL_EXPORT_SCALE_MAX,
                   style->scale);
      return FALSE;
    }
  if ((gint64) w * style->scale > REL_EXPORT_SIDE_MAX - 2 * PAD
      || (gint64) h * style->scale > REL_EXPORT_SIDE_MAX / 2)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                   _("%d × %d at scale %d is larger than %d pixels a side."), w, h, style->scale,
                   REL_EXPORT_SIDE_MAX);
      return FALSE;
    }
  layout->image_width = w * style->scale;
  layout->image_height = h * style->scale;
  if (!decorated)
    {
      layout->width = layout->image_width;
      layout->height = layout->image_height;
      return TRUE;
    }
  int inner = MAX (layout->image_width, REL_EXPORT_DECORATED_MIN_WIDTH);
  int y = PAD;
  layout->width = inner + 2 * PAD;
  if (titled)
    y += text_height (TITLE_FONT, style->title, inner) + TITLE_GAP;
  layout->image_x = (layout->width - layout->image_width) / 2;
  layout->image_y = y;
  y += layout->image_height;
  if (style->colorbar)
    {
      layout->bar_x = PAD;
      layout->bar_y = y + BAR_GAP;
      layout->bar_width = inner;
      layout->bar_height = BAR_HEIGHT;
      y = layout->bar_y + BAR_HEIGHT + LABEL_GAP + text_height (LABEL_FONT, "0123456789−", 0);
    }
  layout->height = y + PAD;
  return TRUE;
}

static void
draw_colorbar (cairo_t *cr, const RelExportStyle *style, const RelExportLayout *l)
{
  /* Column by column in flat colours, the colour of its centre's fraction:
   * what a reader's pixel picker finds is the colour map's own value. */
  cairo_surface_t *bar = cairo_image_surface_create (CAIRO_FORMAT_RGB24, l->bar_width, 1);
  guint32 *row = (guint32 *) cairo_image_surface_get_data (bar);
  cairo_surface_flush (bar);
  for (int i = 0; i < l->bar_width; i++)
    {
      guint8 rgb[3];
      rel_colorbar_color (style->colormap, style->sign, (i + 0.5) / l->bar_width, rgb);
      row[i] = 0xff000000u | ((guint32) rgb[0] << 16) | ((guint32) rgb[1] << 8) | rgb[2];
    }
  cairo_surface_mark_dirty (bar);
  cairo_save (cr);
  cairo_translate (cr, l->bar_x, l->bar_y);
  cairo_scale (cr, 1, l->bar_height);
  cairo_set_source_surface (cr, bar, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_rectangle (cr, 0, 0, l->bar_width, 1);
  cairo_fill (cr);
  cairo_restore (cr);
  cairo_surface_destroy (bar);

  double lo, hi;
  rel_colorbar_range (style->sign, &lo, &hi);
  const double values[3] = { lo * style->max_abs, 0, hi * style->max_abs };
  const double where[3] = { 0, (0 - lo) / (hi - lo), 1 };
  cairo_set_source_rgb (cr, 0.15, 0.15, 0.15);
  for (int i = 0; i < 3; i++)
    {
      if (i == 1 && (where[1] <= 0 || where[1] >= 1))
        continue;   /* zero is already an end label */
      g_autofree char *text = format_value (values[i]);
      PangoLayout *layout = make_layout (cr, LABEL_FONT, text, 0);
      int tw, th;
      pango_layout_get_pixel_size (layout, &tw, &th);
      double x = l->bar_x + (i == 0 ? 0 : i == 2 ? l->bar_width - tw : where[1] * l->bar_width - tw / 2.0);
      cairo_move_to (cr, round (x), l->bar_y + l->bar_height + LABEL_GAP);
      pango_cairo_show_layout (cr, layout);
      g_object_unref (layout);
    }
}

cairo_surface_t *
rel_export_image_render (const guint8 *rgba, int w, int h, int stride, const RelExportStyle *style,
                         RelExportLayout *layout_out, GError **error)
{
  RelExportLayout l;

  if (!rel_export_image_layout (w, h, style, &l, error))
    return NULL;
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, l.width, l.height);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "%s",
                   cairo_status_to_string (cairo_surface_status (surface)));
      cairo_surface_destroy (surface);
      return NULL;
    }
  /* The image block by block: each source pixel becomes scale × scale equal
   * pixels (premultiplied ARGB32 in native order). */
  cairo_surface_flush (surface);
  guint8 *data = cairo_image_surface_get_data (surface);
  int dstride = cairo_image_surface_get_stride (surface);
  gboolean decorated = l.width != l.image_width || l.height != l.image_height;
  if (decorated)
    for (int y = 0; y < l.height; y++)
      memset (data + (gsize) y * dstride, 0xff, (gsize) l.width * 4);
  for (int y = 0; y < l.image_height; y++)
    {
      const guint8 *src = rgba + (gsize) (y / style->scale) * stride;
      guint32 *dst = (guint32 *) (data + (gsize) (l.image_y + y) * dstride) + l.image_x;
      for (int x = 0; x < l.image_width; x++)
        {
          const guint8 *p = src + 4 * (x / style->scale);
          guint a = p[3];
          guint r = (p[0] * a + 127) / 255, g = (p[1] * a + 127) / 255, b = (p[2] * a + 127) / 255;
          guint32 px = (guint32) a << 24 | r << 16 | g << 8 | b;
          if (decorated && a < 255)
            {
              /* over the white background */
              guint k = 255 - a;
              px = 0xff000000u | (r + k) << 16 | (g + k) << 8 | (b + k);
            }
          dst[x] = px;
        }
    }
  cairo_surface_mark_dirty (surface);
  if (decorated)
    {
      cairo_t *cr = cairo_create (surface);
      if (style->title && *style->title)
        {
          PangoLayout *layout = make_layout (cr, TITLE_FONT, style->title, l.width - 2 * PAD);
          cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
          cairo_move_to (cr, PAD, PAD);
          pango_cairo_show_layout (cr, layout);
          g_object_unref (layout);
        }
      if (style->colorbar)
        draw_colorbar (cr, style, &l);
      cairo_status_t status = cairo_status (cr);
      cairo_destroy (cr);
      if (status != CAIRO_STATUS_SUCCESS)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "%s", cairo_status_to_string (status));
          cairo_surface_destroy (surface);
          return NULL;
        }
    }
  if (layout_out)
    *layout_out = l;
  return surface;
}

/* cairo writes through this into the temporary; the first failure is kept
 * for the message. */
typedef struct {
  RelAtomicFile *file;
  GError        *error;
} Sink;

static cairo_status_t
sink_write (void *closure, const unsigned char *data, unsigned int length)
{
  Sink *sink = closure;
  if (sink->error == NULL)
    rel_atomic_file_write (sink->file, data, length, &sink->error);
  return sink->error ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* Finishes @surface (PNG: writes it) into @path's temporary and renames it over @path. */
static gboolean
finish (cairo_surface_t *surface, gboolean png, Sink *sink, RelAtomicFile *file, const char *path,
        GError **error)
{
  if (png)
    cairo_surface_write_to_png_stream (surface, sink_write, sink);
  cairo_surface_finish (surface);
  cairo_status_t status = cairo_surface_status (surface);
  if (sink->error)
    {
      rel_atomic_file_abort (file);
      g_propagate_error (error, sink->error);
      return FALSE;
    }
  if (status != CAIRO_STATUS_SUCCESS)
    {
      rel_atomic_file_abort (file);
      g_set_error (error, REL_ERROR, REL_ERROR_IO, "%s: %s", path, cairo_status_to_string (status));
      return FALSE;
    }
  return rel_atomic_file_commit (file, error);
}

gboolean
rel_export_image_save_png (const guint8 *rgba, int w, int h, int stride, const RelExportStyle *style,
                           const char *path, GError **error)
{
  cairo_surface_t *surface = rel_export_image_render (rgba, w, h, stride, style, NULL, error);
  if (surface == NULL)
    return FALSE;
  /* a temporary renamed over @path once complete: a failed export keeps the old file */
  RelAtomicFile *file = rel_atomic_file_open (path, error);
  if (file == NULL)
    {
      cairo_surface_destroy (surface);
      return FALSE;
    }
  Sink sink = { file, NULL };
  gboolean ok = finish (surface, TRUE, &sink, file, path, error);
  cairo_surface_destroy (surface);
  return ok;
}

static gboolean
draw_grid (cairo_t *cr, cairo_surface_t *const *cells, const char *const *titles, guint n, int columns,
           GError **error)
{
  const int cell = REL_EXPORT_GRID_CELL, pad = REL_EXPORT_GRID_PAD, label_h = REL_EXPORT_GRID_LABEL;
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  for (guint i = 0; i < n; i++)
    {
      double x = pad + (i % columns) * (cell + pad);
      double y = pad + (i / columns) * (cell + label_h + pad);
      if (cells[i])
        {
          int w = cairo_image_surface_get_width (cells[i]), h = cairo_image_surface_get_height (cells[i]);
          double s = MIN ((double) cell / w, (double) cell / h);
          cairo_save (cr);
          cairo_translate (cr, x + (cell - w * s) / 2, y + (cell - h * s) / 2);
          cairo_scale (cr, s, s);
          cairo_set_source_surface (cr, cells[i], 0, 0);
          /* Small inputs (28×28) stay crisp pixels instead of a blur. */
          cairo_pattern_set_filter (cairo_get_source (cr), s >= 2 ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
          cairo_paint (cr);
          cairo_restore (cr);
        }
      PangoLayout *layout = make_layout (cr, "Sans 11", titles[i] ? titles[i] : "", 0);
      pango_layout_set_width (layout, cell * PANGO_SCALE);
      pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_MIDDLE);
      cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
      cairo_move_to (cr, x, y + cell + 6);
      pango_cairo_show_layout (cr, layout);
      g_object_unref (layout);
    }
  cairo_status_t status = cairo_status (cr);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "%s", cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}

gboolean
rel_export_grid_save (cairo_surface_t *const *cells, const char *const *titles, guint n, const char *format,
                      const char *path, GError **error)
{
  if (n == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, _("The compare grid is empty."));
      return FALSE;
    }
  if (!g_str_equal (format, "png") && !g_str_equal (format, "svg") && !g_str_equal (format, "pdf"))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, _("Unknown export format “%s”."), format);
      return FALSE;
    }
  const int cell = REL_EXPORT_GRID_CELL, pad = REL_EXPORT_GRID_PAD, label_h = REL_EXPORT_GRID_LABEL;
  int columns = MIN ((int) n, 4);
  int rows = ((int) n + columns - 1) / columns;
  int width = pad + columns * (cell + pad), height = pad + rows * (cell + label_h + pad);

  RelAtomicFile *file = rel_atomic_file_open (path, error);
  if (file == NULL)
    return FALSE;
  Sink sink = { file, NULL };
  cairo_surface_t *surface;
  if (g_str_equal (format, "svg"))
    surface = cairo_svg_surface_create_for_stream (sink_write, &sink, width, height);
  else if (g_str_equal (format, "pdf"))
    surface = cairo_pdf_surface_create_for_stream (sink_write, &sink, width, height);
  else
    surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cairo_t *cr = cairo_create (surface);
  gboolean ok = draw_grid (cr, cells, titles, n, columns, error);
  cairo_destroy (cr);
  if (!ok)
    {
      cairo_surface_finish (surface);
      cairo_surface_destroy (surface);
      g_clear_error (&sink.error);
      rel_atomic_file_abort (file);
      return FALSE;
    }
  ok = finish (surface, g_str_equal (format, "png"), &sink, file, path, error);
  cairo_surface_destroy (surface);
  return ok;
}
