/* test-tensor.c — RelTensor basics: limits, views, reference counting.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-tensor.h"

#include <math.h>
#include <string.h>

static void
test_new_zeroed (void)
{
  int64_t shape[] = { 2, 3, 4 };
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) t = rel_tensor_new_f32 (3, shape, &error);

  g_assert_no_error (error);
  g_assert_cmpint (t->numel, ==, 24);
  for (int64_t i = 0; i < t->numel; i++)
    g_assert_cmpfloat (rel_tensor_f32 (t)[i], ==, 0.f);
  rel_tensor_fill (t, 0.5f);
  g_assert_cmpfloat_with_epsilon (rel_tensor_sum (t), 12.0, 1e-9);
}

static void
test_limits (void)
{
  int64_t huge[] = { 1, 3, 100000, 100000 };
  int64_t overflow[] = { G_MAXINT64 / 2, 4 };
  int64_t negative[] = { 2, -3 };
  g_autoptr(GError) error = NULL;
  RelTensor *t;

  t = rel_tensor_new_f32 (4, huge, &error);
  g_assert_null (t);
  g_assert_error (error, REL_ERROR, REL_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "1×3×100000×100000"));
  g_clear_error (&error);

  t = rel_tensor_new_f32 (2, overflow, &error);
  g_assert_null (t);
  g_assert_error (error, REL_ERROR, REL_ERROR_TOO_LARGE);
  g_clear_error (&error);

  t = rel_tensor_new_f32 (2, negative, &error);
  g_assert_null (t);
  g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
  g_clear_error (&error);

  t = rel_tensor_new_f32 (REL_MAX_DIMS + 1, huge, &error);
  g_assert_null (t);
  g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
}

static void
test_view_shares_data (void)
{
  int64_t shape[] = { 2, 6 };
  int64_t other[] = { 3, 4 };
  int64_t wrong[] = { 5, 5 };
  g_autoptr(GError) error = NULL;
  RelTensor *t = rel_tensor_new_f32 (2, shape, &error);
  g_autoptr(RelTensor) v = rel_tensor_view (t, 2, other, &error);
  RelTensor *bad;

  g_assert_no_error (error);
  rel_tensor_f32 (t)[7] = 3.f;
  /* the view outlives the original reference and still sees its data */
  rel_tensor_unref (t);
  g_assert_cmpfloat (rel_tensor_f32 (v)[7], ==, 3.f);
  g_assert_cmpint (v->shape[0], ==, 3);
  bad = rel_tensor_view (v, 2, wrong, &error);
  g_assert_null (bad);
  g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
}

static void
test_shape_string (void)
{
  int64_t shape[] = { 1, 3, 224, 224 };
  g_autofree char *s = rel_shape_to_string (4, shape);
  g_autofree char *z = rel_shape_to_string (0, shape);
  g_assert_cmpstr (s, ==, "1×3×224×224");
  g_assert_cmpstr (z, ==, "scalar");
}

/* float32 bits → the bits of the nearest binary16 value as float32, from
 * numpy's float16 (and PyTorch's bfloat16 below): ties to even (1.00048828125
 * → 1, 1.00146484375 → 1.001953125), 65520 → inf, the subnormal range and its
 * halfway point 2⁻²⁵ → 0. */
static const guint32 half_cases[][2] = {
  { 0x00000000u, 0x00000000u }, { 0x80000000u, 0x80000000u }, { 0x3f800000u, 0x3f800000u },
  { 0xbf800000u, 0xbf800000u }, { 0x477fe000u, 0x477fe000u }, { 0x477feffdu, 0x477fe000u },
  { 0x477ff000u, 0x7f800000u }, { 0xc77ff000u, 0xff800000u }, { 0x49742400u, 0x7f800000u },
  { 0x38800000u, 0x38800000u }, { 0x387fda40u, 0x387fc000u }, { 0x33800000u, 0x33800000u },
  { 0x33000000u, 0x00000000u }, { 0x33000001u, 0x33800000u }, { 0x322bcc77u, 0x00000000u },
  { 0x3f802000u, 0x3f802000u }, { 0x3f801000u, 0x3f800000u }, { 0x3f803000u, 0x3f804000u },
  { 0x3eaaaa9fu, 0x3eaaa000u }, { 0xc02df854u, 0xc02e0000u }, { 0x40490fdbu, 0x40490000u },
  { 0x3727c5acu, 0x37280000u }, { 0xb8000000u, 0xb8000000u }, { 0x7f800000u, 0x7f800000u },
  { 0xff800000u, 0xff800000u }, { 0xbb9ff5a7u, 0xbba00000u }, { 0xc5d73b04u, 0xc5d74000u },
  { 0xc33a02c4u, 0xc33a0000u }, { 0x42a2a8f8u, 0x42a2a000u }, { 0x3b1a494bu, 0x3b1a4000u },
  { 0x3b3e87e0u, 0x3b3e8000u }, { 0xbfc471e9u, 0xbfc48000u }, { 0xb4c489e1u, 0xb4c00000u },
  { 0x3dc640fcu, 0x3dc64000u }, { 0x3925f822u, 0x39260000u }, { 0x4301682du, 0x43016000u },
  { 0xb5285ffeu, 0xb5300000u },
};

static const guint32 bfloat16_cases[][2] = {
  { 0x3f800000u, 0x3f800000u }, { 0x3f808000u, 0x3f800000u }, { 0x3f804000u, 0x3f800000u },
  { 0x3f80c000u, 0x3f810000u }, { 0x7f7fffffu, 0x7f800000u }, { 0xff7f8000u, 0xff800000u },
  { 0x000116c2u, 0x00010000u }, { 0xc0200000u, 0xc0200000u }, { 0x3dcccccdu, 0x3dcd0000u },
  { 0x3f26e887u, 0x3f270000u }, { 0x3909eb5fu, 0x390a0000u }, { 0xa23e047cu, 0xa23e0000u },
  { 0xad0db1fcu, 0xad0e0000u }, { 0xde007c86u, 0xde000000u }, { 0xabec9373u, 0xabed0000u },
  { 0x9caa9d96u, 0x9cab0000u }, { 0x507b051eu, 0x507b0000u },
};

/* binary16 bits → float32 bits, numpy's decoding: zeros, the smallest and
 * largest subnormals, 1, the largest finite, infinities */
static const guint32 half_decode[][2] = {
  { 0x0000, 0x00000000u }, { 0x8000, 0x80000000u }, { 0x0001, 0x33800000u }, { 0x03ff, 0x387fc000u },
  { 0x0400, 0x38800000u }, { 0x3c00, 0x3f800000u }, { 0x7bff, 0x477fe000u }, { 0x7c00, 0x7f800000u },
  { 0xfc00, 0xff800000u }, { 0xc000, 0xc0000000u }, { 0x3555, 0x3eaaa000u }, { 0x8001, 0xb3800000u },
};

static guint32
bits_of (float f)
{
  guint32 u;
  memcpy (&u, &f, sizeof u);
  return u;
}

static float
float_of (guint32 u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

static void
test_half_floats (void)
{
  float prev = -1;

  for (gsize i = 0; i < G_N_ELEMENTS (half_cases); i++)
    g_assert_cmphex (bits_of (rel_float_round_half (float_of (half_cases[i][0]))), ==, half_cases[i][1]);
  for (gsize i = 0; i < G_N_ELEMENTS (bfloat16_cases); i++)
    g_assert_cmphex (bits_of (rel_float_round_bfloat16 (float_of (bfloat16_cases[i][0]))), ==, bfloat16_cases[i][1]);
  for (gsize i = 0; i < G_N_ELEMENTS (half_decode); i++)
    g_assert_cmphex (bits_of (rel_half_to_float ((guint16) half_decode[i][0])), ==, half_decode[i][1]);
  g_assert_true (isnan (rel_half_to_float (0x7e00)));
  g_assert_true (isnan (rel_float_round_half (NAN)));
  g_assert_true (isnan (rel_float_round_bfloat16 (NAN)));
  g_assert_cmpfloat (rel_bfloat16_to_float (0x3f80), ==, 1.f);
  /* every binary16 value: decoding is strictly increasing over the positive
   * patterns, the negative ones mirror them, and rounding keeps each value */
  for (guint32 h = 0; h < 0x10000; h++)
    {
      float f = rel_half_to_float ((guint16) h);
      if (isnan (f))
        {
          g_assert_cmpuint (h & 0x7c00u, ==, 0x7c00u);
          continue;
        }
      g_assert_cmphex (bits_of (rel_float_round_half (f)), ==, bits_of (f));
      if (h < 0x8000)
        {
          g_assert_cmpfloat (f, >, prev);
          prev = f;
          g_assert_cmphex (bits_of (rel_half_to_float ((guint16) (h | 0x8000))), ==, bits_of (f) | 0x80000000u);
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tensor/new-zeroed", test_new_zeroed);
  g_test_add_func ("/tensor/limits", test_limits);
  g_test_add_func ("/tensor/view-shares-data", test_view_shares_data);
  g_test_add_func ("/tensor/shape-string", test_shape_string);
  g_test_add_func ("/tensor/half-floats", test_half_floats);
  return g_test_run ();
}
