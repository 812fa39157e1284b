/* rel-blur.h — Gaussian blur of image planes (blurred baselines and fills)
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Separable Gaussian blur of @channels planes of h×w with edge clamping. */
void rel_gaussian_blur (const float *src, float *dst, int channels, int height, int width,
                        double sigma);

G_END_DECLS
