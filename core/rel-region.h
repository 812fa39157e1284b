/* rel-region.h — a region of an image (a rectangle or a mask) and what can be
 * measured or done with it: where it lies on the model's input grid, how much
 * of a heatmap's relevance falls inside (relevance mass and rank accuracy), the
 * image with the region filled (zero, channel mean, blur, diffusion
 * inpainting) or with another image's pixels pasted in, and a region suggested
 * from a mean heatmap.
 *
 * Regions are given in the coordinates of the original image, as a user sees
 * it, and mapped through the model's preprocessing (resize, centre crop) to
 * the input grid: an input pixel is inside when the original pixel its centre
 * falls on is inside.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-model.h"

G_BEGIN_DECLS

/* A mask PNG larger than this per side is refused before decoding. */
#define REL_REGION_MAX_SIDE 16384

typedef struct {
  gboolean is_mask;
  int      x, y, width, height;   /* the rectangle, or the mask's bounding box */
  int      mask_width, mask_height; /* is_mask: the image size the mask belongs to */
  guint8  *mask;                  /* is_mask: mask_width × mask_height, non-zero inside */
} RelRegion;

/* The rectangle x, y, width × height (width, height ≥ 1, x, y ≥ 0). */
RelRegion *rel_region_new_rect  (int x, int y, int width, int height, GError **error);
/* "x,y,w,h" */
RelRegion *rel_region_parse     (const char *text, GError **error);
/* A mask image: a pixel is inside when its grey value (BT.601 luma) is at
 * least 128 (white on black). An all-outside mask is an error. */
RelRegion *rel_region_load_mask (const char *path, GError **error);
/* A mask region from @mask (width × height, copied). */
RelRegion *rel_region_new_mask  (const guint8 *mask, int width, int height, GError **error);
RelRegion *rel_region_copy      (const RelRegion *region);
void       rel_region_free      (RelRegion *region);
/* A region as a small JSON file (what the app saves per data set and the
 * CLI's --region FILE.json reads):
 *   {"format": "relevance-region", "version": 1, "name": "tag",
 *    "kind": "rect", "x": 15, "y": 15, "width": 12, "height": 12}
 * or "kind": "mask" with "mask_width", "mask_height" and "rows", one string
 * of '0'/'1' per row. @name may be NULL. Written atomically. */
#define REL_REGION_JSON_MAX_BYTES (64 * 1024 * 1024)
gboolean   rel_region_save_json (const RelRegion *region, const char *name, const char *path, GError **error);
/* Every field is checked (types, ranges, the mask's size against its rows);
 * *name (may be NULL) gets the name or NULL. */
RelRegion *rel_region_load_json (const char *path, char **name, GError **error);
/* "x,y,w,h" for a rectangle, "mask w×h, bounding box x,y,w,h" for a mask; g_free. */
char      *rel_region_describe  (const RelRegion *region);

/* The region on the input grid (pp->height × pp->width) of an image of
 * @image_width × @image_height: a new pp->height × pp->width array of 0/1.
 * Errors: a mask of another size than the image, a rectangle not inside the
 * image, or a region that covers no input pixel. *n_inside gets the count. */
guint8    *rel_region_input_mask (const RelRegion *region, int image_width, int image_height,
                                  const RelPreprocess *pp, int *n_inside, GError **error);

/* ---- measures ---- */

typedef struct {
  double mass;      /* positive relevance inside / all positive relevance (NaN if none is positive) */
  double rank;      /* share of the |region| most relevant pixels that are inside */
  double area;      /* |region| / pixels */
} RelRegionScore;

/* @relevance: C × H × W (a 1×C×H×W tensor's data); channels are summed per
 * pixel first, as the heatmap shows them. @mask: H × W. */
RelRegionScore rel_region_score (const float *relevance, int channels, int height, int width,
                                 const guint8 *mask);

/* ---- counterfactuals ---- */

typedef enum {
  REL_FILL_ZERO,     /* black: pixel value 0, through the model's scale, mean and std */
  REL_FILL_MEAN,     /* each channel's mean over the pixels outside the region */
  REL_FILL_BLUR,     /* a Gaussian blur of the image, σ a quarter of the region's shorter side (≥ 1) */
  REL_FILL_INPAINT,  /* diffusion: the harmonic function with the surrounding pixels as boundary */
} RelFill;

gboolean    rel_fill_parse (const char *text, RelFill *fill, GError **error);
const char *rel_fill_name  (RelFill fill);

/* Fills the region in every image of @input (N×C×H×W, model input units) in
 * place. @pp gives the input units of black for REL_FILL_ZERO. */
gboolean rel_region_fill       (RelTensor *input, const guint8 *mask, RelFill fill,
                                const RelPreprocess *pp, GError **error);
/* Copies @source's pixels (1×C×H×W) inside @mask into every image of @input. */
gboolean rel_region_transplant (RelTensor *input, const RelTensor *source, const guint8 *mask,
                                GError **error);
/* The same, with the region's pixels landing @dx, @dy pixels away from where
 * they are in the source; the shifted region must lie inside the image. */
gboolean rel_region_transplant_at (RelTensor *input, const RelTensor *source, const guint8 *mask,
                                   int dx, int dy, GError **error);
/* A shift that keeps @mask's bounding box inside its H × W grid, drawn
 * uniformly from the allowed range by @seed (a pure function of it). */
void     rel_region_random_shift (const guint8 *mask, int height, int width, guint64 seed, int *dx, int *dy);

/* ---- suggestion ---- */

/* The smallest 8-connected set of pixels of @map (H × W, e.g. a cluster's mean
 * heatmap) holding at least @share of its positive relevance: pixels are
 * added from the most relevant down, and the first connected component whose
 * sum reaches the share is the region. Returns it as a mask region (H × W)
 * with its bounding box, or NULL with an error when the map has no positive
 * relevance. */
RelRegion *rel_region_suggest (const float *map, int height, int width, double share, GError **error);

/* Intersection over union of two masks of the same size. */
double     rel_mask_iou (const guint8 *a, const guint8 *b, int n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelRegion, rel_region_free)

G_END_DECLS
