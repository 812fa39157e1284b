/* rel-blur.c — separable Gaussian blur with edge clamping.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-blur.h"

#include <math.h>
#include <string.h>

static void
blur_line (const float *src, float *dst, int n, int stride, const double *k, int r)
{
  for (int i = 0; i < n; i++)
    {
      double acc = 0;
      for (int j = -r; j <= r; j++)
        {
          int p = CLAMP (i + j, 0, n - 1);
          acc += k[j + r] * src[(gsize) p * stride];
        }
      dst[(gsize) i * stride] = (float) acc;
    }
}

void
rel_gaussian_blur (const float *src, float *dst, int channels, int height, int width, double sigma)
{
  gsize plane = (gsize) height * width;
  int r;
  g_autofree double *k = NULL;
  g_autofree float *tmp = NULL;
  double sum = 0;

  if (!(sigma > 0) || height <= 0 || width <= 0)
    {
      memmove (dst, src, plane * channels * sizeof (float));
      return;
    }
  r = (int) ceil (3.0 * sigma);
  r = MIN (r, MAX (height, width));
  k = g_new (double, 2 * r + 1);
  for (int j = -r; j <= r; j++)
    sum += k[j + r] = exp (-0.5 * j * j / (sigma * sigma));
  for (int j = 0; j < 2 * r + 1; j++)
    k[j] /= sum;
  tmp = g_new (float, plane);
  for (int c = 0; c < channels; c++)
    {
      const float *s = src + c * plane;
      float *d = dst + c * plane;
      for (int y = 0; y < height; y++)
        blur_line (s + (gsize) y * width, tmp + (gsize) y * width, width, 1, k, r);
      for (int x = 0; x < width; x++)
        blur_line (tmp + x, d + x, height, width, k, r);
    }
}
