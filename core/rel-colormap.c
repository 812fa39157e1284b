/* rel-colormap.c — relevance to colour (see rel-colormap.h).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-colormap.h"
#include "rel-error.h"

#include <math.h>

void
rel_colormap_diverging (double t, guint8 *rgb)
{
  double r, g, b;

  if (!(t == t))
    t = 0;
  t = CLAMP (t, -1.0, 1.0);
  if (t >= 0)
    {
      r = 1.0;
      g = b = 1.0 - t;
    }
  else
    {
      r = g = 1.0 + t;
      b = 1.0;
    }
  rgb[0] = (guint8) lround (r * 255.0);
  rgb[1] = (guint8) lround (g * 255.0);
  rgb[2] = (guint8) lround (b * 255.0);
}

static gboolean
map_dims (const RelTensor *t, int *c, int *h, int *w, GError **error)
{
  if (t->dtype != REL_DTYPE_FLOAT32 || t->ndim < 2 || t->ndim > 4 || (t->ndim == 4 && t->shape[0] != 1))
    {
      g_autofree char *shape = rel_tensor_shape_string (t);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "cannot draw a heatmap of shape %s (need 1×C×H×W, C×H×W or H×W)", shape);
      return FALSE;
    }
  *h = (int) t->shape[t->ndim - 2];
  *w = (int) t->shape[t->ndim - 1];
  *c = t->ndim >= 3 ? (int) t->shape[t->ndim - 3] : 1;
  if (*h < 1 || *w < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "cannot draw an empty heatmap");
      return FALSE;
    }
  return TRUE;
}

float *
rel_heatmap_normalized (const RelTensor *relevance, int *width, int *height, GError **error)
{
  int c, h, w;
  gsize plane;
  float *out;
  double mx = 0;

  if (!map_dims (relevance, &c, &h, &w, error))
    return NULL;
  plane = (gsize) h * w;
  out = g_new0 (float, plane);
  for (int ch = 0; ch < c; ch++)
    for (gsize i = 0; i < plane; i++)
      out[i] += rel_tensor_f32 (relevance)[ch * plane + i];
  for (gsize i = 0; i < plane; i++)
    if (isfinite (out[i]))
      mx = MAX (mx, fabs (out[i]));
  for (gsize i = 0; i < plane; i++)
    out[i] = mx > 0 && isfinite (out[i]) ? (float) (out[i] / mx) : 0.f;
  *width = w;
  *height = h;
  return out;
}

guint8 *
rel_heatmap_render (const RelTensor *relevance, int *width, int *height, GError **error)
{
  g_autofree float *n = rel_heatmap_normalized (relevance, width, height, error);
  guint8 *rgb;
  gsize plane;

  if (n == NULL)
    return NULL;
  plane = (gsize) *width * *height;
  rgb = g_new (guint8, plane * 3);
  for (gsize i = 0; i < plane; i++)
    rel_colormap_diverging (n[i], rgb + 3 * i);
  return rgb;
}

guint8 *
rel_heatmap_overlay (const RelTensor *relevance, const guint8 *image, int width, int height,
                     double opacity, GError **error)
{
  int hw, hh;
  g_autofree float *n = rel_heatmap_normalized (relevance, &hw, &hh, error);
  guint8 *out;

  if (n == NULL)
    return NULL;
  out = g_new (guint8, (gsize) width * height * 3);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guint8 *px = image + ((gsize) y * width + x) * 3;
        guint8 *o = out + ((gsize) y * width + x) * 3;
        int sy = (int) ((y + 0.5) * hh / height), sx = (int) ((x + 0.5) * hw / width);
        double t = n[(gsize) MIN (sy, hh - 1) * hw + MIN (sx, hw - 1)];
        double a = CLAMP (fabs (t) * opacity, 0.0, 1.0);
        double grey = 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2];
        guint8 heat[3];

        rel_colormap_diverging (t, heat);
        for (int k = 0; k < 3; k++)
          o[k] = (guint8) lround ((1 - a) * grey + a * heat[k]);
      }
  return out;
}

guint8 *
rel_input_to_rgb8 (const RelTensor *input, const RelPreprocess *pp, int *width, int *height, GError **error)
{
  int c, h, w;
  gsize plane;
  guint8 *rgb;

  if (!map_dims (input, &c, &h, &w, error))
    return NULL;
  plane = (gsize) h * w;
  rgb = g_new (guint8, plane * 3);
  for (gsize i = 0; i < plane; i++)
    for (int k = 0; k < 3; k++)
      {
        int ch = c >= 3 ? (pp && pp->bgr ? 2 - k : k) : 0;
        double x = rel_tensor_f32 (input)[ch * plane + i], v;

        if (pp && ch < 4 && pp->std[ch] > 0 && pp->scale > 0)
          v = (x * pp->std[ch] + pp->mean[ch]) / pp->scale;
        else if (pp && pp->range_high > pp->range_low)
          v = 255.0 * (x - pp->range_low) / ((double) pp->range_high - pp->range_low);
        else
          v = 255.0 * x;
        rgb[3 * i + k] = (guint8) CLAMP (lround (v), 0, 255);
      }
  *width = w;
  *height = h;
  return rgb;
}
