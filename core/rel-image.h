/* rel-image.h — the input pipeline: images and raw tensors into model inputs,
 * and where a model's preprocessing and labels come from.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-model.h"

G_BEGIN_DECLS

/* Limits checked from the file's header before an image is decoded: a side
 * over REL_IMAGE_MAX_SIDE, or rel_image_max_pixels() pixels or more, is
 * REL_ERROR_TOO_LARGE. That limit is RELEVANCE_MAX_MEGAPIXELS million pixels
 * (the environment, 1..REL_IMAGE_MAX_MEGAPIXELS; the CLI's --max-megapixels
 * sets it), default 64: decoding an image costs ~16 bytes a pixel, so a
 * 300-byte JPEG whose header says 16000×4000 is refused before it takes 1 GB.
 * Files over REL_IMAGE_MAX_FILE_SIZE bytes are not read. The `resize`
 * setting is at most REL_IMAGE_MAX_RESIZE. */
#define REL_IMAGE_MAX_SIDE   16384
#define REL_IMAGE_DEFAULT_MEGAPIXELS 64
#define REL_IMAGE_MAX_MEGAPIXELS     268   /* 16384² */
#define REL_IMAGE_MAX_FILE_SIZE (G_GINT64_CONSTANT (1) << 30)
#define REL_IMAGE_MAX_RESIZE 8192

gint64     rel_image_max_pixels  (void);

/* An image decoded to float RGB(A) planes in [0,255]: CHW, channels 1 or 3. */
typedef struct {
  int    channels, height, width;
  float *data;  /* channels × height × width */
} RelImage;

RelImage  *rel_image_load        (const char *path, GError **error);
/* Reads only the header: the declared size, checked against the limits
 * (REL_ERROR_TOO_LARGE), and the same file checks as rel_image_load. */
gboolean   rel_image_probe       (const char *path, int *width, int *height, GError **error);
/* Decoded through the same checks, the shorter side scaled down to @fit
 * while decoding when @fit > 0 (thumbnails). */
typedef struct _GdkPixbuf GdkPixbuf;
GdkPixbuf *rel_image_load_pixbuf (const char *path, int fit, GError **error);
RelImage  *rel_image_new_from_rgb8 (const guint8 *pixels, int width, int height, int rowstride,
                                    int n_channels, GError **error);
void       rel_image_free        (RelImage *image);
/* Writes 8-bit RGB (@n_channels 3) or RGBA (4) pixels as a PNG, atomically
 * (see rel-atomic-file.h): a failed write keeps the previous file. */
gboolean   rel_image_save_png_rgb8 (const guint8 *pixels, int width, int height, int rowstride,
                                    int n_channels, const char *path, GError **error);

/* The image as the model's input (1×C×H×W): channel conversion, resize of the
 * shorter side then center crop (or a straight resize), scale, mean/std. */
RelTensor *rel_image_to_tensor   (const RelImage *image, const RelPreprocess *pp, GError **error);
/* Where rel_image_to_tensor takes an image of @image_width × @image_height
 * from: the size it is resized to, the crop's first pixel in the resized
 * image (negative where the crop pads), and the output size. Regions drawn on
 * the original image map to the input grid through it. */
void       rel_preprocess_geometry (const RelPreprocess *pp, int image_width, int image_height,
                                    int *resized_width, int *resized_height, int *crop_x, int *crop_y,
                                    int *out_width, int *out_height);
/* Loads INPUT for a model: a .npy is used as is (shape C×H×W gets a batch
 * dimension), anything else is decoded as an image and preprocessed. */
RelTensor *rel_input_load        (RelModel *model, const char *path, GError **error);
/* Whether @name has the extension of a file rel_input_load reads (an image
 * format or .npy, any case): what a folder of inputs is listed by. */
gboolean   rel_input_is_file_name (const char *name);

/* Fills model->preprocess and model->labels from, in this order: the model's
 * metadata_props, a sidecar file next to the model (see README), defaults
 * derived from the input shape. Called by the loader. */
gboolean   rel_model_resolve_preprocess (RelModel *model, GError **error);
/* Applies "key=value" overrides (the CLI's options), same keys as the metadata. */
gboolean   rel_preprocess_set    (RelModel *model, const char *key, const char *value, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelImage, rel_image_free)

G_END_DECLS
