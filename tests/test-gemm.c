/* test-gemm.c — rel_gemm_strided against a double-precision product.
 *
 * Shapes cover every path of the kernel: the 8 × 32 and 16 × 16 blocks and
 * the single rows left over, column tails of every width, K and N beyond one
 * cache panel (so later K panels add to C and wide B is packed), both
 * layouts of A, and accumulation into C. Elements outside C's m × n window
 * (C has a wider row stride) must stay untouched. On a CPU without AVX-512
 * the function must decline and leave C alone.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-gemm.h"

#include <math.h>

typedef struct {
  int64_t m, n, k;
} Shape;

static const Shape shapes[] = {
  { 8, 32, 1 }, { 16, 16, 7 }, { 16, 9, 33 }, { 24, 13, 5 }, { 3, 5, 4 }, { 17, 31, 19 },
  { 64, 196, 64 }, { 128, 49, 128 }, { 512, 16, 512 }, { 9, 1, 3 }, { 40, 47, 385 },
  { 64, 1030, 147 }, { 21, 600, 800 }, { 130, 33, 9 },
};

static void
check_shape (const Shape *s, gboolean transposed, gboolean accumulate, GRand *rng)
{
  const int64_t m = s->m, n = s->n, k = s->k, ldb = n + 3, ldc = n + 5;
  g_autofree float *a = g_new (float, m * k);
  g_autofree float *b = g_new (float, k * ldb);
  g_autofree float *c = g_new (float, m * ldc);
  g_autofree float *c0 = g_new (float, m * ldc);
  const int64_t a_rs = transposed ? 1 : k, a_cs = transposed ? m : 1;
  double worst = 0;

  for (int64_t i = 0; i < m * k; i++)
    a[i] = (float) g_rand_double_range (rng, -1, 1);
  for (int64_t i = 0; i < k * ldb; i++)
    b[i] = (float) g_rand_double_range (rng, -1, 1);
  for (int64_t i = 0; i < m * ldc; i++)
    c0[i] = c[i] = (float) g_rand_double_range (rng, -1, 1);

  g_assert_true (rel_gemm_strided (a, a_rs, a_cs, b, ldb, c, ldc, m, n, k, accumulate));
  for (int64_t i = 0; i < m; i++)
    {
      for (int64_t j = 0; j < n; j++)
        {
          double want = accumulate ? c0[i * ldc + j] : 0.0, scale = accumulate ? fabs (want) : 0.0;
          for (int64_t p = 0; p < k; p++)
            {
              double t = (double) a[i * a_rs + p * a_cs] * b[p * ldb + j];
              want += t;
              scale += fabs (t);
            }
          /* float32 sums of k terms: at most (k + 1) units of rounding of Σ|terms| */
          worst = MAX (worst, fabs (c[i * ldc + j] - want) / (scale + 1e-30));
          g_assert_cmpfloat (fabs (c[i * ldc + j] - want), <=, 1.2e-7 * (double) (k + 2) * scale + 1e-30);
        }
      for (int64_t j = n; j < ldc; j++)
        g_assert_cmpfloat (c[i * ldc + j], ==, c0[i * ldc + j]);
    }
  g_test_message ("m %3" G_GINT64_FORMAT " n %4" G_GINT64_FORMAT " k %3" G_GINT64_FORMAT " %s%s: "
                  "worst error %.2e of Σ|terms|", m, n, k, transposed ? "Aᵀ" : "A ",
                  accumulate ? " +C" : "   ", worst);
}

static void
test_products (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (7);

  if (!rel_gemm_available ())
    {
      float c = 42.f, one = 1.f;
      g_assert_false (rel_gemm_strided (&one, 1, 1, &one, 1, &c, 1, 1, 1, 1, FALSE));
      g_assert_cmpfloat (c, ==, 42.f);
      g_test_skip ("this CPU has no AVX-512: callers keep BLAS");
      return;
    }
  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (int t = 0; t < 2; t++)
      for (int acc = 0; acc < 2; acc++)
        check_shape (&shapes[s], t, acc, rng);
}

/* k = 0 is an empty sum: C becomes 0, or stays as it is when accumulating */
static void
test_empty_k (void)
{
  float a = 1.f, b[16] = { 0 }, c[16];

  if (!rel_gemm_available ())
    {
      g_test_skip ("this CPU has no AVX-512");
      return;
    }
  for (int i = 0; i < 16; i++)
    c[i] = 3.f;
  g_assert_true (rel_gemm_strided (&a, 0, 1, b, 16, c, 16, 1, 16, 0, TRUE));
  g_assert_cmpfloat (c[15], ==, 3.f);
  g_assert_true (rel_gemm_strided (&a, 0, 1, b, 16, c, 16, 1, 16, 0, FALSE));
  for (int i = 0; i < 16; i++)
    g_assert_cmpfloat (c[i], ==, 0.f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gemm/products", test_products);
  g_test_add_func ("/gemm/empty-k", test_empty_k);
  return g_test_run ();
}
