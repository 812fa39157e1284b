/* rel-colormap.h — how relevance becomes colour: one diverging map shared by
 * the CLI's PNG output and the app's views.
 *
 * A map is the channel sum of a relevance tensor, normalised symmetrically by
 * its largest magnitude so zero is always white: blue negative, red positive
 * (matplotlib's "bwr").
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-model.h"

G_BEGIN_DECLS

/* @t in [−1, 1] (clamped) → rgb[3]: −1 blue, 0 white, +1 red. */
void    rel_colormap_diverging (double t, guint8 *rgb);

/* The relevance of one input (1×C×H×W, 1×H×W or H×W) summed over channels and
 * divided by its max |value|: a new H×W array in [−1, 1] (all zeros stays zero). */
float  *rel_heatmap_normalized (const RelTensor *relevance, int *width, int *height, GError **error);

/* RGB8 pixels (rowstride 3·width) of the colour-mapped heatmap; g_free. */
guint8 *rel_heatmap_render     (const RelTensor *relevance, int *width, int *height, GError **error);

/* The heatmap blended over @image (RGB8, @width×@height, rowstride 3·width),
 * shown in grey: each pixel's opacity is |normalised relevance| × @opacity, so
 * irrelevant areas show the image. A heatmap of another size is sampled at the
 * nearest position. Returns new RGB8 pixels; g_free. */
guint8 *rel_heatmap_overlay    (const RelTensor *relevance, const guint8 *image, int width, int height,
                                double opacity, GError **error);

/* A model input (1×C×H×W, C = 1 or 3) back to RGB8 by undoing @pp's mean/std
 * and scale (or mapping its value range when those are unset); g_free. */
guint8 *rel_input_to_rgb8      (const RelTensor *input, const RelPreprocess *pp,
                                int *width, int *height, GError **error);

/* ---- Colour maps, sign modes and normalisation shared by the CLI and the app ----
 *
 * A relevance map is shown in three steps: the channel sum (batch 0) is divided
 * by a scale (normalisation) into t ∈ [−1, 1], the sign mode keeps the part of
 * t the user asked for, and the colour map turns it into a colour. Blended over
 * the image, each pixel's opacity is |t| after the sign mode (× the caller's
 * opacity), so irrelevant areas show the image. */

typedef enum {
  REL_COLORMAP_BWR,       /* blue–white–red, zero white (Zennit's and matplotlib's "bwr") */
  REL_COLORMAP_COLDNHOT,  /* Zennit's coldnhot: cyan–blue–black–red–yellow–white */
  REL_COLORMAP_HOT,       /* black–fire–red: black–red–yellow–white (Zennit's "hot") */
  REL_COLORMAP_VIRIDIS,   /* matplotlib's viridis */
  REL_COLORMAP_GRAY,      /* black to white */
  REL_COLORMAP_N
} RelColormap;

typedef enum {
  REL_SIGN_BOTH,       /* t as is */
  REL_SIGN_POSITIVE,   /* max(t, 0) */
  REL_SIGN_NEGATIVE,   /* min(t, 0) */
  REL_SIGN_ABSOLUTE,   /* |t| */
  REL_SIGN_N
} RelSignMode;

typedef enum {
  REL_NORM_MAX_ABS,     /* divide by the largest |R| of this map */
  REL_NORM_PERCENTILE,  /* divide by a percentile of |R| (e.g. 99.5), clipping outliers */
  REL_NORM_SHARED,      /* divide by a scale the caller gives (one scale for a grid) */
  REL_NORM_N
} RelNormMode;

/* Stable names for settings and the command line: "bwr", "coldnhot", "hot",
 * "viridis", "gray"; "both", "positive", "negative", "absolute"; "max-abs",
 * "percentile", "shared". from_name returns FALSE (leaving *out) for unknown
 * names or NULL. */
const char *rel_colormap_name       (RelColormap map);
gboolean    rel_colormap_from_name  (const char *name, RelColormap *out);
/* "bwr, coldnhot, hot, viridis, gray": every map's name, for help and error
 * text; free with g_free. */
char       *rel_colormap_names_joined (void);
const char *rel_sign_mode_name      (RelSignMode mode);
gboolean    rel_sign_mode_from_name (const char *name, RelSignMode *out);
const char *rel_norm_mode_name      (RelNormMode mode);
gboolean    rel_norm_mode_from_name (const char *name, RelNormMode *out);

/* Diverging maps put zero in their middle; sequential maps (hot, viridis,
 * gray) start at zero when the sign mode leaves one sign, and put −1…1 along
 * their whole range for REL_SIGN_BOTH. */
gboolean    rel_colormap_is_diverging (RelColormap map);

/* The colour at position @u ∈ [0, 1] (clamped; NaN counts as 0.5) along the
 * map's whole range, as doubles in [0, 1]. */
void        rel_colormap_eval       (RelColormap map, double u, double *rgb);

/* @t after the sign mode: [−1, 1] for BOTH, [0, 1] for POSITIVE and ABSOLUTE,
 * [−1, 0] for NEGATIVE. NaN becomes 0. */
double      rel_sign_apply          (RelSignMode mode, double t);

/* The colour of a normalised value @t ∈ [−1, 1] (clamped) under @mode: RGB8. */
void        rel_colormap_color      (RelColormap map, RelSignMode mode, double t, guint8 *rgb);

/* The range a colour bar spans for @mode, in units of the scale: [−1, 1] for
 * BOTH, [0, 1] for POSITIVE and ABSOLUTE, [−1, 0] for NEGATIVE; and the colour
 * at fraction @f ∈ [0, 1] from the bar's low end (RGB8). */
void        rel_colorbar_range      (RelSignMode mode, double *low, double *high);
void        rel_colorbar_color      (RelColormap map, RelSignMode mode, double f, guint8 *rgb);

/* The channel sum of batch 0 of @relevance (N×C×H×W, C×H×W or H×W, float32)
 * as a new H×W array; non-finite values become 0. */
float      *rel_relevance_map       (const RelTensor *relevance, int *width, int *height, GError **error);

/* The @p-th percentile (0…100, clamped) of |map| with linear interpolation
 * between order statistics (numpy's default); 0 for n = 0. */
double      rel_abs_percentile      (const float *map, gsize n, double p);

/* The value that maps to ±1: the max |map| (MAX_ABS), the @percentile-th
 * percentile of |map| (PERCENTILE) or @shared (SHARED). Always ≥ 0; 0 means the
 * map is all zeros (everything then shows as zero). */
double      rel_heatmap_scale       (const float *map, gsize n, RelNormMode norm,
                                     double percentile, double shared);

/* The floor that keeps a near-zero map from being blown up to full colour.
 * Normalising by max |R| alone draws a map whose largest cell is 0.01 exactly
 * as red as one whose largest cell carries the whole prediction. So the scale
 * is never below
 *     REL_HEATMAP_FLOOR · |reference| · max|R| / Σ|R|,
 * where @reference is the output the map explains (the target's logit,
 * contrast or log-probability; 1 for LRP started from 1.0): a map whose total
 * |R| is at least 5 % of |reference| is drawn as before, a smaller one
 * proportionally fainter (its strongest cell at Σ|R| / (5 % · |reference|)).
 * Returns 0 (no floor) when @reference is 0 or not finite, or the map is all
 * zeros. */
#define REL_HEATMAP_FLOOR 0.05
double      rel_heatmap_floor       (const float *map, gsize n, double reference);
/* TRUE when the map is all zeros or below the floor: the views then say
 * "map is (nearly) zero". */
gboolean    rel_heatmap_nearly_zero (const float *map, gsize n, double reference);

/* Colours a map (@width×@height values, divided by @scale, clamped to ±1) into
 * RGBA8 (@out, rowstride 4·width, straight alpha). With @opaque, alpha is 255
 * (the heatmap on its own); otherwise alpha is 255·|t| after the sign mode,
 * for blending over an image. */
void        rel_heatmap_colorize    (const float *map, int width, int height, double scale,
                                     RelColormap cmap, RelSignMode mode, gboolean opaque,
                                     guint8 *out);

/* The map blended over @image (RGBA8 @width×@height, rowstride @stride): the
 * heatmap is sampled bilinearly when its size differs (a CAM of 7×7 over a
 * 224×224 input), each pixel's alpha is @opacity·|t|. Writes RGBA8 (rowstride
 * 4·width, alpha from the image) to @out. */
void        rel_heatmap_blend       (const float *map, int map_width, int map_height, double scale,
                                     RelColormap cmap, RelSignMode mode, double opacity,
                                     const guint8 *image, int width, int height, int stride,
                                     guint8 *out);

G_END_DECLS
