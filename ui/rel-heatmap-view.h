/* rel-heatmap-view.h — the heatmap canvas: an image with its relevance on top.
 *
 * RelHeatmapView draws the input image, the colour-mapped relevance map or the
 * map blended over the image (display-mode "image", "heatmap", "overlay"),
 * fitted to its allocation. It zooms (Ctrl+scroll, pinch, +/−/0 keys and the
 * "heatmap.zoom-in/zoom-out/zoom-fit" actions) and pans (drag, scroll when
 * zoomed in); hovering shows the pixel's relevance and rank in an on-screen
 * label and emits "hover-changed".
 *
 * Colouring follows core/rel-colormap.h, so the canvas and the CLI's PNGs agree.
 * Setting a new relevance only re-colours the map (no relayout): progressive
 * results can be pushed many times a second.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "rel-colormap.h"

G_BEGIN_DECLS

#define REL_TYPE_HEATMAP_VIEW (rel_heatmap_view_get_type ())
G_DECLARE_FINAL_TYPE (RelHeatmapView, rel_heatmap_view, REL, HEATMAP_VIEW, GtkWidget)

GtkWidget  *rel_heatmap_view_new            (void);

/* The image under the heatmap ("image" property); NULL shows the heatmap on
 * its own, at the map's size. */
void        rel_heatmap_view_set_image      (RelHeatmapView *self, GdkTexture *image);
GdkTexture *rel_heatmap_view_get_image      (RelHeatmapView *self);
/* Convenience: the image from a model input (1×C×H×W), undoing @pp as the CLI
 * does (rel_input_to_rgb8). */
gboolean    rel_heatmap_view_set_input      (RelHeatmapView *self, const RelTensor *input,
                                             const RelPreprocess *pp, GError **error);

/* The relevance (N×C×H×W, C×H×W or H×W; batch 0, summed over channels). A map
 * smaller than the image (CAM) is upsampled bilinearly for display. NULL
 * clears it. The tensor is not kept. */
gboolean    rel_heatmap_view_set_relevance  (RelHeatmapView *self, const RelTensor *relevance,
                                             GError **error);
/* The output the map explains (rel_params_reference_output: the target's
 * logit, contrast or log-probability); 0 (the default) when unknown. With it
 * the map's own scale keeps rel_heatmap_floor, and a map below the floor
 * shows "Map is (nearly) zero: max |R| = …" over the canvas. */
void        rel_heatmap_view_set_reference  (RelHeatmapView *self, double reference);
gboolean    rel_heatmap_view_is_nearly_zero (RelHeatmapView *self);
/* The map's rel_explanation_check_fragility cosine (rel-fragility.h); NaN
 * (the default) when not checked. Below REL_FRAGILE_COSINE the canvas says
 * "Numerically fragile: …" (with the near-zero notice when both apply). */
void        rel_heatmap_view_set_stability  (RelHeatmapView *self, double cosine);
gboolean    rel_heatmap_view_is_fragile     (RelHeatmapView *self);
/* The notice shown over the canvas, or NULL. */
const char *rel_heatmap_view_get_notice     (RelHeatmapView *self);
/* A spinner over the canvas while its map is being computed: centred before
 * the first map arrives, in the corner while one is refined. */
void        rel_heatmap_view_set_busy       (RelHeatmapView *self, gboolean busy);
gboolean    rel_heatmap_view_get_busy       (RelHeatmapView *self);
/* The channel-summed map (NULL if none) and its size. */
const float *rel_heatmap_view_get_map       (RelHeatmapView *self, int *width, int *height);

/* Appearance, also as properties (strings use the names of rel-colormap.h). */
void        rel_heatmap_view_set_colormap       (RelHeatmapView *self, RelColormap map);
RelColormap rel_heatmap_view_get_colormap       (RelHeatmapView *self);
void        rel_heatmap_view_set_sign_mode      (RelHeatmapView *self, RelSignMode mode);
RelSignMode rel_heatmap_view_get_sign_mode      (RelHeatmapView *self);
void        rel_heatmap_view_set_normalization  (RelHeatmapView *self, RelNormMode norm);
RelNormMode rel_heatmap_view_get_normalization  (RelHeatmapView *self);
void        rel_heatmap_view_set_percentile     (RelHeatmapView *self, double percentile);
void        rel_heatmap_view_set_shared_scale   (RelHeatmapView *self, double scale);
void        rel_heatmap_view_set_opacity        (RelHeatmapView *self, double opacity);
double      rel_heatmap_view_get_opacity        (RelHeatmapView *self);

typedef enum {
  REL_DISPLAY_OVERLAY,
  REL_DISPLAY_IMAGE,
  REL_DISPLAY_HEATMAP,
} RelDisplayMode;

void        rel_heatmap_view_set_display_mode   (RelHeatmapView *self, RelDisplayMode mode);
RelDisplayMode rel_heatmap_view_get_display_mode (RelHeatmapView *self);

/* The value that maps to the ends of the colour map under the current
 * normalisation ("scale" property, read-only; 0 when there is no map). */
double      rel_heatmap_view_get_scale          (RelHeatmapView *self);
/* This map's own scale under @norm (for a grid's shared scale: the max of the
 * cells' REL_NORM_MAX_ABS scales). */
double      rel_heatmap_view_get_map_scale      (RelHeatmapView *self, RelNormMode norm, double percentile);

/* Zoom relative to fitting the whole image (1 = fit, up to 64), keeping the
 * widget point (@x, @y) where it is. */
void        rel_heatmap_view_zoom_at            (RelHeatmapView *self, double zoom, double x, double y);
void        rel_heatmap_view_set_zoom           (RelHeatmapView *self, double zoom);
double      rel_heatmap_view_get_zoom           (RelHeatmapView *self);
void        rel_heatmap_view_zoom_fit           (RelHeatmapView *self);

/* Widget coordinates to image pixel coordinates (fractional); FALSE outside
 * the image. */
gboolean    rel_heatmap_view_widget_to_image    (RelHeatmapView *self, double x, double y,
                                                 double *ix, double *iy);
/* What hovering (@x, @y) shows: the map cell under it (@mx, @my in map pixels),
 * its relevance and its rank (1 = most relevant under the sign mode: largest
 * value; most negative for "negative"; largest |R| for "absolute") among
 * @total cells. FALSE outside the image or without a map. Any out pointer may
 * be NULL. */
gboolean    rel_heatmap_view_pick               (RelHeatmapView *self, double x, double y,
                                                 int *mx, int *my, double *value,
                                                 guint *rank, guint *total);

/* What the pointer does on motion: shows the readout for widget point (@x, @y)
 * and emits "hover-changed"; a negative @x ends hovering (as leaving does). */
void        rel_heatmap_view_hover              (RelHeatmapView *self, double x, double y);

/* The current display (overlay, heatmap or image) at the image's resolution,
 * for export; NULL if there is nothing to show. */
GdkTexture *rel_heatmap_view_render_texture     (RelHeatmapView *self, RelDisplayMode mode);

G_END_DECLS
