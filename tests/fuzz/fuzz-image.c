/* fuzz-image.c — fuzz target for image input (core/rel-image.c): the path a
 * user's image takes in the CLI and the app, through a temporary file because
 * that path starts from a file name: the format sniffed from the content, the
 * header's size checked against the limits before decoding, the truncation
 * checks, gdk-pixbuf's decoder, then the resize, crop and normalisation into
 * a model input. The last byte picks the preprocessing (a straight resize or
 * a resize of the shorter side and a centre crop; grey or RGB) so both paths
 * of the resampler see every image.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz-util.h"
#include "rel-error.h"
#include "rel-image.h"

#include <math.h>

gboolean
rel_fuzz_run (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = rel_fuzz_write ("image", data, size);
  g_autoptr(RelImage) image = rel_image_load (path, &error);
  g_autoptr(RelTensor) t = NULL;
  guint8 pick = size > 0 ? data[size - 1] : 0;
  RelPreprocess pp = {
    .channels = pick & 1 ? 3 : 1,
    .height = 12, .width = 10,
    .resize = pick & 2 ? 14 : 0,
    .scale = 1.0f / 255.0f,
    .mean = { 0.5f, 0.4f, 0.3f, 0 }, .std = { 0.2f, 0.25f, 0.3f, 1 },
    .range_low = -2.5f, .range_high = 2.5f,
    .bgr = (pick & 4) != 0,
  };
  gsize n;

  rel_fuzz_remove ("image");
  rel_fuzz_check_outcome (image != NULL, error);
  if (image == NULL)
    return FALSE;
  rel_fuzz_check (image->channels == 1 || image->channels == 3, "an image of 1 or 3 channels");
  /* 2^26 pixels is above the default limit (64 megapixels) */
  rel_fuzz_check (image->width >= 1 && image->height >= 1 && image->width <= REL_IMAGE_MAX_SIDE
                  && image->height <= REL_IMAGE_MAX_SIDE
                  && (gint64) image->width * image->height <= G_GINT64_CONSTANT (1) << 26,
                  "an image beyond the size limits");
  n = (gsize) image->channels * image->height * image->width;
  for (gsize i = 0; i < n; i++)
    rel_fuzz_check (image->data[i] >= 0 && image->data[i] <= 255, "a pixel outside [0, 255]");

  t = rel_image_to_tensor (image, &pp, &error);
  rel_fuzz_check_outcome (t != NULL, error);
  rel_fuzz_check (t != NULL, "a decoded image that cannot become an input");
  rel_fuzz_check (t->ndim == 4 && t->shape[0] == 1 && t->shape[1] == pp.channels
                  && t->shape[2] == pp.height && t->shape[3] == pp.width,
                  "an input of the wrong shape");
  /* pixels in [0, 255] through scale, mean and std stay within [−2.5, 2.5] */
  for (int64_t i = 0; i < t->numel; i++)
    {
      float v = rel_tensor_f32 (t)[i];
      rel_fuzz_check (isfinite (v) && v >= -2.5f - 1e-3f && v <= 2.5f + 1e-3f, "an input value out of range");
    }
  return TRUE;
}
