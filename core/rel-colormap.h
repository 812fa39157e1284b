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

G_END_DECLS
