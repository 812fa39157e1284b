/* test-rng.c — the core's random numbers: the ziggurat's normals
 * (rel_rng_fill_normal, SmoothGrad's noise) against N(0, 1), tails included,
 * and the seed streams.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rel-gradient.h"
#include "rel-rng.h"

static int
compare_floats (gconstpointer a, gconstpointer b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return x < y ? -1 : x > y;
}

static void
test_fill_normal_distribution (void)
{
  const int64_t n = 2000000;
  g_autofree float *z = g_new (float, n);
  double m1 = 0, m2 = 0, m4 = 0, ks = 0;
  int64_t beyond3 = 0, beyond_r = 0;
  RelRng rng;

  rel_rng_init (&rng, 11);
  rel_rng_fill_normal (&rng, z, n);
  for (int64_t i = 0; i < n; i++)
    {
      double v = z[i];
      g_assert_true (isfinite (v));
      m1 += v;
      m2 += v * v;
      m4 += v * v * v * v;
      beyond3 += fabs (v) > 3.0;
      beyond_r += fabs (v) > 3.442619855899;  /* the ziggurat's tail branch */
    }
  m1 /= n;
  m2 /= n;
  m4 /= n;
  /* standard errors: mean 7e-4, variance 1e-3, fourth moment 7e-3 */
  g_assert_cmpfloat (fabs (m1), <, 0.004);
  g_assert_cmpfloat (fabs (m2 - 1.0), <, 0.006);
  g_assert_cmpfloat (fabs (m4 - 3.0), <, 0.05);
  /* P(|z| > 3) = 0.0026998, P(|z| > r) = 0.000576 */
  g_assert_cmpfloat (fabs (beyond3 / (double) n - 0.0026998), <, 0.0003);
  g_assert_cmpfloat (fabs (beyond_r / (double) n - 0.000576), <, 0.0001);
  /* Kolmogorov distance to Φ (critical value at 1 %: 1.63/√n = 0.0012) */
  qsort (z, (size_t) n, sizeof (float), compare_floats);
  for (int64_t i = 0; i < n; i += 97)
    {
      double cdf = 0.5 * erfc (-z[i] / sqrt (2.0));
      ks = MAX (ks, fabs (cdf - (i + 0.5) / n));
    }
  g_assert_cmpfloat (ks, <, 0.0012);
}

static void
test_streams (void)
{
  float a[64], b[64], c[64];
  RelRng r1, r2, r3;

  rel_rng_init_stream (&r1, 5, 3);
  rel_rng_init_stream (&r2, 5, 3);
  rel_rng_init_stream (&r3, 5, 4);
  rel_rng_fill_normal (&r1, a, 64);
  rel_rng_fill_normal (&r2, b, 64);
  rel_rng_fill_normal (&r3, c, 64);
  /* a stream repeats; another stream of the same seed does not */
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  g_assert_true (memcmp (a, c, sizeof a) != 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rng/fill-normal", test_fill_normal_distribution);
  g_test_add_func ("/rng/streams", test_streams);
  return g_test_run ();
}
