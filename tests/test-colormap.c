/* test-colormap.c — colour maps, sign modes and normalisation (rel-colormap.h).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-colormap.h"
#include "rel-error.h"

#include <math.h>
#include <stdlib.h>

static void
assert_rgb (const guint8 *rgb, int r, int g, int b, int tol)
{
  if (abs (rgb[0] - r) > tol || abs (rgb[1] - g) > tol || abs (rgb[2] - b) > tol)
    g_error ("colour (%d, %d, %d), expected (%d, %d, %d) ± %d", rgb[0], rgb[1], rgb[2], r, g, b, tol);
}

static void
eval8 (RelColormap map, double u, guint8 *rgb)
{
  double c[3];

  rel_colormap_eval (map, u, c);
  for (int k = 0; k < 3; k++)
    rgb[k] = (guint8) lround (c[k] * 255);
}

/* Palette entries of Zennit's colour-map sources ('0ff,00f,80:000,f00,ff0,fff'
 * and friends), computed with Zennit's ColorMap rules at index i = u·255. */
static const struct { RelColormap map; int index; guint8 rgb[3]; } zennit_palette[] = {
  { REL_COLORMAP_COLDNHOT, 0, { 0, 255, 255 } },   { REL_COLORMAP_COLDNHOT, 32, { 0, 127, 255 } },
  { REL_COLORMAP_COLDNHOT, 64, { 0, 0, 255 } },    { REL_COLORMAP_COLDNHOT, 96, { 0, 0, 127 } },
  { REL_COLORMAP_COLDNHOT, 128, { 0, 0, 0 } },     { REL_COLORMAP_COLDNHOT, 149, { 127, 0, 0 } },
  { REL_COLORMAP_COLDNHOT, 170, { 255, 0, 0 } },   { REL_COLORMAP_COLDNHOT, 191, { 255, 127, 0 } },
  { REL_COLORMAP_COLDNHOT, 212, { 255, 255, 0 } }, { REL_COLORMAP_COLDNHOT, 233, { 255, 255, 124 } },
  { REL_COLORMAP_COLDNHOT, 255, { 255, 255, 255 } },
  { REL_COLORMAP_BWR, 0, { 0, 0, 255 } },          { REL_COLORMAP_BWR, 32, { 63, 63, 255 } },
  { REL_COLORMAP_BWR, 64, { 127, 127, 255 } },     { REL_COLORMAP_BWR, 96, { 191, 191, 255 } },
  { REL_COLORMAP_BWR, 128, { 255, 255, 255 } },    { REL_COLORMAP_BWR, 170, { 255, 170, 170 } },
  { REL_COLORMAP_BWR, 212, { 255, 86, 86 } },      { REL_COLORMAP_BWR, 255, { 255, 0, 0 } },
  { REL_COLORMAP_HOT, 0, { 0, 0, 0 } },            { REL_COLORMAP_HOT, 32, { 96, 0, 0 } },
  { REL_COLORMAP_HOT, 96, { 255, 33, 0 } },        { REL_COLORMAP_HOT, 128, { 255, 129, 0 } },
  { REL_COLORMAP_HOT, 170, { 255, 255, 0 } },      { REL_COLORMAP_HOT, 212, { 255, 255, 126 } },
  { REL_COLORMAP_HOT, 255, { 255, 255, 255 } },
};

static void
test_endpoints (void)
{
  guint8 rgb[3];

  /* Signed maps: −1, 0, +1. */
  rel_colormap_color (REL_COLORMAP_BWR, REL_SIGN_BOTH, -1, rgb);
  assert_rgb (rgb, 0, 0, 255, 0);
  rel_colormap_color (REL_COLORMAP_BWR, REL_SIGN_BOTH, 0, rgb);
  assert_rgb (rgb, 255, 255, 255, 0);
  rel_colormap_color (REL_COLORMAP_BWR, REL_SIGN_BOTH, 1, rgb);
  assert_rgb (rgb, 255, 0, 0, 0);
  rel_colormap_color (REL_COLORMAP_COLDNHOT, REL_SIGN_BOTH, -1, rgb);
  assert_rgb (rgb, 0, 255, 255, 0);
  rel_colormap_color (REL_COLORMAP_COLDNHOT, REL_SIGN_BOTH, 0, rgb);
  assert_rgb (rgb, 0, 0, 0, 0);
  rel_colormap_color (REL_COLORMAP_COLDNHOT, REL_SIGN_BOTH, 1, rgb);
  assert_rgb (rgb, 255, 255, 255, 0);
  /* Sequential maps with one sign start at their low end. */
  rel_colormap_color (REL_COLORMAP_HOT, REL_SIGN_POSITIVE, 0, rgb);
  assert_rgb (rgb, 0, 0, 0, 0);
  rel_colormap_color (REL_COLORMAP_HOT, REL_SIGN_POSITIVE, 1, rgb);
  assert_rgb (rgb, 255, 255, 255, 0);
  rel_colormap_color (REL_COLORMAP_VIRIDIS, REL_SIGN_ABSOLUTE, 0, rgb);
  assert_rgb (rgb, 68, 1, 84, 0);          /* matplotlib's first entry (0.267004, 0.004874, 0.329415) */
  rel_colormap_color (REL_COLORMAP_VIRIDIS, REL_SIGN_ABSOLUTE, -1, rgb);
  assert_rgb (rgb, 253, 231, 37, 0);       /* |−1| = 1: the last entry (0.993248, 0.906157, 0.143936) */
  eval8 (REL_COLORMAP_VIRIDIS, 128 / 255.0, rgb);
  assert_rgb (rgb, 33, 145, 140, 0);       /* entry 128 (0.128729, 0.563265, 0.551229) */
  rel_colormap_color (REL_COLORMAP_GRAY, REL_SIGN_BOTH, 0, rgb);
  assert_rgb (rgb, 128, 128, 128, 0);
  rel_colormap_color (REL_COLORMAP_GRAY, REL_SIGN_POSITIVE, 0.25, rgb);
  assert_rgb (rgb, 64, 64, 64, 0);

  /* The CLI's diverging map and the app's bwr agree everywhere. */
  for (int i = 0; i <= 100; i++)
    {
      double t = -1 + i / 50.0;
      guint8 a[3];
      rel_colormap_diverging (t, a);
      rel_colormap_color (REL_COLORMAP_BWR, REL_SIGN_BOTH, t, rgb);
      g_assert_cmpmem (a, 3, rgb, 3);
    }
}

static void
test_zennit (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (zennit_palette); i++)
    {
      guint8 rgb[3];
      const guint8 *e = zennit_palette[i].rgb;
      eval8 (zennit_palette[i].map, zennit_palette[i].index / 255.0, rgb);
      /* Our middle node sits at exactly 0.5 instead of Zennit's 128/255. */
      assert_rgb (rgb, e[0], e[1], e[2], 4);
    }
}

static double
luminance (RelColormap map, double u)
{
  double c[3], l = 0;
  const double w[3] = { 0.2126, 0.7152, 0.0722 };

  rel_colormap_eval (map, u, c);
  for (int k = 0; k < 3; k++)
    l += w[k] * (c[k] <= 0.04045 ? c[k] / 12.92 : pow ((c[k] + 0.055) / 1.055, 2.4));
  return l;
}

static void
test_monotone_luminance (void)
{
  const RelColormap maps[] = { REL_COLORMAP_VIRIDIS, REL_COLORMAP_GRAY, REL_COLORMAP_HOT };

  for (gsize m = 0; m < G_N_ELEMENTS (maps); m++)
    {
      double prev = luminance (maps[m], 0);
      for (int i = 1; i <= 1000; i++)
        {
          double l = luminance (maps[m], i / 1000.0);
          if (!(l > prev))
            g_error ("%s: luminance falls at u = %g (%g → %g)", rel_colormap_name (maps[m]), i / 1000.0, prev, l);
          prev = l;
        }
    }
}

static void
test_names (void)
{
  for (int i = 0; i < REL_COLORMAP_N; i++)
    {
      RelColormap m = REL_COLORMAP_N;
      g_assert_true (rel_colormap_from_name (rel_colormap_name (i), &m));
      g_assert_cmpint (m, ==, i);
    }
  for (int i = 0; i < REL_SIGN_N; i++)
    {
      RelSignMode m = REL_SIGN_N;
      g_assert_true (rel_sign_mode_from_name (rel_sign_mode_name (i), &m));
      g_assert_cmpint (m, ==, i);
    }
  for (int i = 0; i < REL_NORM_N; i++)
    {
      RelNormMode m = REL_NORM_N;
      g_assert_true (rel_norm_mode_from_name (rel_norm_mode_name (i), &m));
      g_assert_cmpint (m, ==, i);
    }
  RelColormap m = REL_COLORMAP_GRAY;
  g_assert_false (rel_colormap_from_name ("jet", &m));
  g_assert_false (rel_colormap_from_name (NULL, &m));
  g_assert_cmpint (m, ==, REL_COLORMAP_GRAY);
  g_assert_null (rel_colormap_name (REL_COLORMAP_N));
}

static void
test_relevance_map (void)
{
  /* 2×2×1×3: the map is the channel sum of batch 0 only. */
  const float data[] = { 1, 2, 3, 10, 20, -30, /* batch 1: */ 100, 100, 100, 100, 100, 100 };
  const int64_t shape[] = { 2, 2, 1, 3 };
  g_autoptr (GError) error = NULL;
  g_autoptr (RelTensor) t = rel_tensor_new_from_f32 (4, shape, data, &error);
  int w, h;

  g_assert_no_error (error);
  g_autofree float *map = rel_relevance_map (t, &w, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpint (w, ==, 3);
  g_assert_cmpint (h, ==, 1);
  g_assert_cmpfloat (map[0], ==, 11);
  g_assert_cmpfloat (map[1], ==, 22);
  g_assert_cmpfloat (map[2], ==, -27);

  const int64_t bad_shape[] = { 5 };
  g_autoptr (RelTensor) bad = rel_tensor_new_f32 (1, bad_shape, &error);
  g_assert_null (rel_relevance_map (bad, &w, &h, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
}

static void
test_symmetric (void)
{
  const float map[] = { -4, -2, 0, 1, 2 };
  guint8 out[5 * 4];
  double scale = rel_heatmap_scale (map, 5, REL_NORM_MAX_ABS, 0, 0);

  g_assert_cmpfloat (scale, ==, 4);
  rel_heatmap_colorize (map, 5, 1, scale, REL_COLORMAP_BWR, REL_SIGN_BOTH, TRUE, out);
  assert_rgb (out + 0, 0, 0, 255, 0);        /* −max → blue end */
  assert_rgb (out + 8, 255, 255, 255, 0);    /* 0 → white centre */
  assert_rgb (out + 16, 255, 128, 128, 1);   /* +max/2 → halfway to red */
  g_assert_cmpint (out[3], ==, 255);
  /* +max is the red end even though the map's max is smaller than its |min|. */
  const float pos[] = { -1, 4 };
  rel_heatmap_colorize (pos, 2, 1, 4, REL_COLORMAP_BWR, REL_SIGN_BOTH, FALSE, out);
  assert_rgb (out + 4, 255, 0, 0, 0);
  g_assert_cmpint (out[7], ==, 255);          /* alpha |t| = 1 */
  g_assert_cmpint (out[3], ==, 64);           /* alpha |−1/4| */

  /* Shared scale: the caller's value, so two maps share one colour per value. */
  g_assert_cmpfloat (rel_heatmap_scale (map, 5, REL_NORM_SHARED, 0, 8), ==, 8);
  rel_heatmap_colorize (map, 5, 1, 8, REL_COLORMAP_BWR, REL_SIGN_BOTH, TRUE, out);
  assert_rgb (out + 0, 128, 128, 255, 1);
  /* All zeros stays zero (white), no division by zero. */
  const float zeros[] = { 0, 0 };
  g_assert_cmpfloat (rel_heatmap_scale (zeros, 2, REL_NORM_MAX_ABS, 0, 0), ==, 0);
  rel_heatmap_colorize (zeros, 2, 1, 0, REL_COLORMAP_BWR, REL_SIGN_BOTH, TRUE, out);
  assert_rgb (out, 255, 255, 255, 0);
}

static void
test_percentile (void)
{
  /* |values| are 0…999 in a shuffled order, plus one huge outlier: numpy's
   * np.percentile(np.abs(a), 99.5) = 995.0 for 0…999 ∪ {1e6} (n = 1001,
   * position 0.995·1000 = 995). */
  enum { N = 1001 };
  float *a = g_new (float, N);
  for (int i = 0; i < 1000; i++)
    a[i] = (float) ((i * 7919) % 1000) * (i % 2 ? -1.f : 1.f);
  a[1000] = 1e6f;
  g_assert_cmpfloat_with_epsilon (rel_abs_percentile (a, N, 99.5), 995.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (rel_heatmap_scale (a, N, REL_NORM_PERCENTILE, 99.5, 0), 995.0, 1e-9);
  g_assert_cmpfloat (rel_heatmap_scale (a, N, REL_NORM_MAX_ABS, 0, 0), ==, 1e6);
  /* Interpolated: position 0.25·1000 = 250 exactly, 0.9995·1000 = 999.5 → (999 + 1e6)/2. */
  g_assert_cmpfloat_with_epsilon (rel_abs_percentile (a, N, 25), 250.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (rel_abs_percentile (a, N, 99.95), (999.0 + 1e6) / 2, 1e-6);
  g_assert_cmpfloat (rel_abs_percentile (a, N, 100), ==, 1e6);
  g_assert_cmpfloat (rel_abs_percentile (a, N, 0), ==, 0);
  /* Many ties (mostly zeros, as in sparse LRP maps). */
  float *z = g_new0 (float, N);
  z[17] = -3;
  z[500] = 5;
  g_assert_cmpfloat (rel_abs_percentile (z, N, 99.5), ==, 0);
  g_assert_cmpfloat_with_epsilon (rel_abs_percentile (z, N, 99.95), 4.0, 1e-9);  /* between 3 and 5 */
  g_assert_cmpfloat_with_epsilon (rel_abs_percentile (z, N, 99.85), 1.5, 1e-9);  /* between 0 and 3 */
  g_free (z);

  /* The clipped outlier saturates, values at the percentile hit the end. */
  guint8 out[4];
  const float v[] = { 995 };
  rel_heatmap_colorize (v, 1, 1, 995, REL_COLORMAP_BWR, REL_SIGN_BOTH, TRUE, out);
  assert_rgb (out, 255, 0, 0, 0);
  g_free (a);
}

/* Issue 12, defect 5: Grad-CAM on the demo is one 0.01 cell of a 14×14 map
 * for a logit of 18.3; max-abs alone draws it as red as a map that carries
 * the whole prediction. */
static void
test_floor (void)
{
  float cam[196] = { 0 };
  guint8 out[4];

  cam[13] = 0.01f;
  /* Σ|R| = 0.01 < 5 % of 18.3: the floor is 0.05·18.3·0.01/0.01 = 0.915. */
  g_assert_cmpfloat_with_epsilon (rel_heatmap_floor (cam, 196, 18.3), 0.05 * 18.3, 1e-9);
  g_assert_true (rel_heatmap_nearly_zero (cam, 196, 18.3));
  /* Its cell then shows at t = 0.01/0.915: almost white, not red. */
  double scale = MAX (rel_heatmap_scale (cam, 196, REL_NORM_MAX_ABS, 0, 0), rel_heatmap_floor (cam, 196, 18.3));
  rel_heatmap_colorize (cam + 13, 1, 1, scale, REL_COLORMAP_BWR, REL_SIGN_BOTH, TRUE, out);
  g_assert_cmpint (out[0], ==, 255);
  g_assert_cmpint (out[1], >=, 250);
  /* The sign of the output does not matter. */
  g_assert_cmpfloat_with_epsilon (rel_heatmap_floor (cam, 196, -18.3), 0.05 * 18.3, 1e-9);

  /* A map that carries its output (LRP: Σ R = logit) keeps its own scale. */
  float lrp[4] = { 9.0f, 6.0f, 2.0f, 1.3f };
  g_assert_cmpfloat (rel_heatmap_floor (lrp, 4, 18.3), <, 9.0);
  g_assert_false (rel_heatmap_nearly_zero (lrp, 4, 18.3));
  /* Exactly at 5 % of the output: still the map's own scale. */
  float edge[2] = { 0.5f, 0.5f };
  g_assert_cmpfloat_with_epsilon (rel_heatmap_floor (edge, 2, 20), 0.5, 1e-9);
  g_assert_false (rel_heatmap_nearly_zero (edge, 2, 20));

  /* No reference (0, NaN) or an all-zero map: no floor; zeros are "zero". */
  g_assert_cmpfloat (rel_heatmap_floor (cam, 196, 0), ==, 0);
  g_assert_cmpfloat (rel_heatmap_floor (cam, 196, NAN), ==, 0);
  g_assert_false (rel_heatmap_nearly_zero (cam, 196, 0));
  const float zeros[3] = { 0 };
  g_assert_cmpfloat (rel_heatmap_floor (zeros, 3, 18.3), ==, 0);
  g_assert_true (rel_heatmap_nearly_zero (zeros, 3, 18.3));
}

static void
test_sign_modes (void)
{
  const float map[] = { -1, -0.5f, 0.5f, 1 };
  guint8 out[4 * 4];

  /* Positive: the negative half becomes zero (white, transparent). */
  rel_heatmap_colorize (map, 4, 1, 1, REL_COLORMAP_BWR, REL_SIGN_POSITIVE, FALSE, out);
  assert_rgb (out + 0, 255, 255, 255, 0);
  assert_rgb (out + 4, 255, 255, 255, 0);
  g_assert_cmpint (out[3], ==, 0);
  g_assert_cmpint (out[7], ==, 0);
  assert_rgb (out + 12, 255, 0, 0, 0);
  g_assert_cmpint (out[15], ==, 255);
  g_assert_cmpint (out[11], ==, 128);
  /* Negative: the positive half becomes zero. */
  rel_heatmap_colorize (map, 4, 1, 1, REL_COLORMAP_BWR, REL_SIGN_NEGATIVE, FALSE, out);
  assert_rgb (out + 0, 0, 0, 255, 0);
  g_assert_cmpint (out[3], ==, 255);
  assert_rgb (out + 8, 255, 255, 255, 0);
  assert_rgb (out + 12, 255, 255, 255, 0);
  g_assert_cmpint (out[11], ==, 0);
  g_assert_cmpint (out[15], ==, 0);
  /* Absolute: both signs on the positive side. */
  rel_heatmap_colorize (map, 4, 1, 1, REL_COLORMAP_HOT, REL_SIGN_ABSOLUTE, TRUE, out);
  g_assert_cmpmem (out + 0, 4, out + 12, 4);
  g_assert_cmpmem (out + 4, 4, out + 8, 4);
  assert_rgb (out, 255, 255, 255, 0);
  /* Sequential map, negative mode: magnitude along the map, zero at black. */
  rel_heatmap_colorize (map, 4, 1, 1, REL_COLORMAP_HOT, REL_SIGN_NEGATIVE, TRUE, out);
  assert_rgb (out + 0, 255, 255, 255, 0);
  assert_rgb (out + 12, 0, 0, 0, 0);

  double lo, hi;
  rel_colorbar_range (REL_SIGN_NEGATIVE, &lo, &hi);
  g_assert_cmpfloat (lo, ==, -1);
  g_assert_cmpfloat (hi, ==, 0);
  guint8 rgb[3];
  rel_colorbar_color (REL_COLORMAP_BWR, REL_SIGN_NEGATIVE, 0, rgb);
  assert_rgb (rgb, 0, 0, 255, 0);
  rel_colorbar_color (REL_COLORMAP_BWR, REL_SIGN_NEGATIVE, 1, rgb);
  assert_rgb (rgb, 255, 255, 255, 0);
  rel_colorbar_color (REL_COLORMAP_BWR, REL_SIGN_BOTH, 0.75, rgb);
  assert_rgb (rgb, 255, 128, 128, 1);
}

static void
test_blend (void)
{
  /* A 2×1 map over a 4×2 image: bilinear upsampling, alpha = opacity·|t|. */
  const float map[] = { 1, -1 };
  guint8 image[4 * 2 * 4], out[4 * 2 * 4];

  for (int i = 0; i < 8; i++)
    {
      image[4 * i] = 10;
      image[4 * i + 1] = 20;
      image[4 * i + 2] = 30;
      image[4 * i + 3] = 255;
    }
  rel_heatmap_blend (map, 2, 1, 1, REL_COLORMAP_BWR, REL_SIGN_BOTH, 0, image, 4, 2, 16, out);
  g_assert_cmpmem (out, sizeof out, image, sizeof image);
  rel_heatmap_blend (map, 2, 1, 1, REL_COLORMAP_BWR, REL_SIGN_BOTH, 1, image, 4, 2, 16, out);
  assert_rgb (out + 0, 255, 0, 0, 0);            /* x = 0 samples the first cell */
  assert_rgb (out + 12, 0, 0, 255, 0);           /* x = 3 the second */
  /* x = 1: source x = 1.5·2/4 − 0.5 = 0.25 → t = 0.5: half red over the image. */
  assert_rgb (out + 4, (int) lround (0.5 * 10 + 0.5 * 255), (int) lround (0.5 * 20 + 0.5 * 128),
              (int) lround (0.5 * 30 + 0.5 * 128), 1);
  g_assert_cmpmem (out, 16, out + 16, 16);      /* both rows alike */
  /* Half opacity at a full-strength pixel. */
  rel_heatmap_blend (map, 2, 1, 1, REL_COLORMAP_BWR, REL_SIGN_POSITIVE, 0.5, image, 4, 2, 16, out);
  assert_rgb (out + 0, 133, 10, 15, 1);
  assert_rgb (out + 12, 10, 20, 30, 0);          /* negative hidden in positive mode */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/colormap/endpoints", test_endpoints);
  g_test_add_func ("/colormap/zennit", test_zennit);
  g_test_add_func ("/colormap/monotone-luminance", test_monotone_luminance);
  g_test_add_func ("/colormap/names", test_names);
  g_test_add_func ("/colormap/relevance-map", test_relevance_map);
  g_test_add_func ("/colormap/symmetric", test_symmetric);
  g_test_add_func ("/colormap/percentile", test_percentile);
  g_test_add_func ("/colormap/sign-modes", test_sign_modes);
  g_test_add_func ("/colormap/floor", test_floor);
  g_test_add_func ("/colormap/blend", test_blend);
  return g_test_run ();
}
