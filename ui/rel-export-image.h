/* rel-export-image.h — exported pictures of heatmaps, shared by the app and
 * `relevance-cli explain`: a map at a chosen integer scale (nearest
 * neighbour, so a 28×28 input stays crisp pixels), optionally with a title
 * (method, target, prediction) above and a colour bar below; and the compare
 * grid as PNG, SVG or PDF.
 *
 * cairo and pango only (no GTK): the CLI links it without the UI. Files are
 * written through a temporary renamed over the target (core/rel-atomic-file.h),
 * so a failed export keeps the previous file.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "rel-colormap.h"

G_BEGIN_DECLS

#define REL_EXPORT_SCALE_MAX 64     /* the largest scale factor */
#define REL_EXPORT_SIDE_MAX 16384   /* no exported side beyond this many pixels */
#define REL_EXPORT_DECORATED_MIN_WIDTH 320 /* room for a title and the bar's labels */

typedef struct {
  int          scale;      /* ≥ 1: each map pixel becomes scale × scale pixels */
  gboolean     colorbar;   /* a bar of @colormap under @sign from −max to +max, labelled */
  const char  *title;      /* NULL or "": none */
  RelColormap  colormap;
  RelSignMode  sign;
  double       max_abs;    /* the value at the bar's ends (the view's scale) */
} RelExportStyle;

/* Where the parts of an exported picture are, in its pixels. Without a title
 * or bar the picture is exactly the image: scale·w × scale·h at (0, 0). */
typedef struct {
  int width, height;
  int image_x, image_y, image_width, image_height;
  int bar_x, bar_y, bar_width, bar_height;   /* bar_width 0: no bar */
} RelExportLayout;

/* The size of the picture for a @w × @h image under @style; FALSE (and
 * @error) when the scale is out of range or a side would exceed
 * REL_EXPORT_SIDE_MAX. */
gboolean         rel_export_image_layout (int w, int h, const RelExportStyle *style,
                                          RelExportLayout *layout, GError **error);
/* Draws @rgba (@w × @h, RGBA8 unpremultiplied, @stride bytes a row) under
 * @style into a new ARGB32 surface; NULL and @error when it cannot. */
cairo_surface_t *rel_export_image_render (const guint8 *rgba, int w, int h, int stride,
                                          const RelExportStyle *style, RelExportLayout *layout,
                                          GError **error);
/* rel_export_image_render written to @path as PNG. */
gboolean         rel_export_image_save_png (const guint8 *rgba, int w, int h, int stride,
                                            const RelExportStyle *style, const char *path,
                                            GError **error);

/* The compare grid: @n cells (ARGB32 image surfaces, any size, each fitted
 * into a REL_EXPORT_GRID_CELL square; NULL leaves a cell blank) with @titles
 * under them, up to four a row, written to @path as @format "png", "svg" or
 * "pdf". */
#define REL_EXPORT_GRID_CELL 224
#define REL_EXPORT_GRID_PAD 16
#define REL_EXPORT_GRID_LABEL 40
gboolean         rel_export_grid_save (cairo_surface_t *const *cells, const char *const *titles, guint n,
                                       const char *format, const char *path, GError **error);

G_END_DECLS
