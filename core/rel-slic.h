/* rel-slic.h — SLIC superpixels, LIME's segments
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-image.h"

G_BEGIN_DECLS

/* SLIC superpixels (Achanta et al. 2012) on a 1×C×H×W input, in CIELAB for
 * three channels (after undoing @pp's normalisation) and lightness for one.
 * Fills labels[H·W] with 0..n-1 (connected segments); returns n, or -1. */
int rel_slic (const RelTensor *input, const RelPreprocess *pp, int n_segments,
              double compactness, int *labels, GError **error);

G_END_DECLS
