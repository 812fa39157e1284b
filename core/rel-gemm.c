/* rel-gemm.c — a register-blocked AVX-512 GEMM for cache-resident products.
 *
 * Blocks of 8 rows × 32 columns (16 × 16 where n ≤ 16) are summed in
 * registers over all of k: per step of k, two (one) 16-float rows of B are
 * loaded and each row's A element is broadcast from where it lies, so
 * neither operand is packed. Column tails use masked loads and stores.
 * See rel-gemm.h for when this pays and what happens without AVX-512.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-gemm.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define REL_GEMM_X86 1
#endif

gboolean
rel_gemm_available (void)
{
#ifdef REL_GEMM_X86
  static gsize state;   /* 0 unknown, 1 no, 2 yes: the answer never changes */
  if (g_once_init_enter (&state))
    g_once_init_leave (&state, __builtin_cpu_supports ("avx512f") ? 2 : 1);
  return state == 2;
#else
  return FALSE;
#endif
}

#ifdef REL_GEMM_X86

#define AVX512 __attribute__ ((target ("avx512f,fma")))

static inline __mmask16
col_mask (int64_t cols)
{
  return cols >= 16 ? (__mmask16) 0xffff : cols <= 0 ? (__mmask16) 0 : (__mmask16) ((1u << cols) - 1);
}

/* One step of k for row r of a 2-vector block. */
#define ROW2(r) do { \
    __m512 s = _mm512_set1_ps (ap[(r) * a_rs]); \
    c##r##a = _mm512_fmadd_ps (s, b0, c##r##a); \
    c##r##b = _mm512_fmadd_ps (s, b1, c##r##b); \
  } while (0)
#define STORE2(r) do { \
    if (acc) \
      { \
        c##r##a = _mm512_add_ps (c##r##a, _mm512_maskz_loadu_ps (m0, c + (r) * ldc)); \
        c##r##b = _mm512_add_ps (c##r##b, _mm512_maskz_loadu_ps (m1, c + (r) * ldc + 16)); \
      } \
    _mm512_mask_storeu_ps (c + (r) * ldc, m0, c##r##a); \
    _mm512_mask_storeu_ps (c + (r) * ldc + 16, m1, c##r##b); \
  } while (0)

/* C[0..8) × [0..cols) (+)= for cols ≤ 32; @acc adds to C instead of overwriting */
AVX512 static void
block_8x32 (const float *a, int64_t a_rs, int64_t a_cs, const float *b, int64_t ldb,
            float *c, int64_t ldc, int64_t k, int64_t cols, gboolean acc)
{
  const __mmask16 m0 = col_mask (cols), m1 = col_mask (cols - 16);
  __m512 c0a = _mm512_setzero_ps (), c0b = c0a, c1a = c0a, c1b = c0a, c2a = c0a, c2b = c0a;
  __m512 c3a = c0a, c3b = c0a, c4a = c0a, c4b = c0a, c5a = c0a, c5b = c0a, c6a = c0a, c6b = c0a;
  __m512 c7a = c0a, c7b = c0a;

  for (int64_t p = 0; p < k; p++)
    {
      const float *ap = a + p * a_cs;
      const __m512 b0 = _mm512_maskz_loadu_ps (m0, b + p * ldb);
      const __m512 b1 = _mm512_maskz_loadu_ps (m1, b + p * ldb + 16);
      ROW2 (0); ROW2 (1); ROW2 (2); ROW2 (3); ROW2 (4); ROW2 (5); ROW2 (6); ROW2 (7);
    }
  STORE2 (0); STORE2 (1); STORE2 (2); STORE2 (3); STORE2 (4); STORE2 (5); STORE2 (6); STORE2 (7);
}

#define ROW1(r) c##r = _mm512_fmadd_ps (_mm512_set1_ps (ap[(r) * a_rs]), b0, c##r)
#define STORE1(r) do { \
    if (acc) \
      c##r = _mm512_add_ps (c##r, _mm512_maskz_loadu_ps (m0, c + (r) * ldc)); \
    _mm512_mask_storeu_ps (c + (r) * ldc, m0, c##r); \
  } while (0)

/* C[0..16) × [0..cols) for cols ≤ 16: a narrow B (a single image's 16 tiles)
 * fills one vector, so twice the rows keep as many sums in flight */
AVX512 static void
block_16x16 (const float *a, int64_t a_rs, int64_t a_cs, const float *b, int64_t ldb,
             float *c, int64_t ldc, int64_t k, int64_t cols, gboolean acc)
{
  const __mmask16 m0 = col_mask (cols);
  __m512 c0 = _mm512_setzero_ps (), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  __m512 c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;

  for (int64_t p = 0; p < k; p++)
    {
      const float *ap = a + p * a_cs;
      const __m512 b0 = _mm512_maskz_loadu_ps (m0, b + p * ldb);
      ROW1 (0); ROW1 (1); ROW1 (2); ROW1 (3); ROW1 (4); ROW1 (5); ROW1 (6); ROW1 (7);
      ROW1 (8); ROW1 (9); ROW1 (10); ROW1 (11); ROW1 (12); ROW1 (13); ROW1 (14); ROW1 (15);
    }
  STORE1 (0); STORE1 (1); STORE1 (2); STORE1 (3); STORE1 (4); STORE1 (5); STORE1 (6); STORE1 (7);
  STORE1 (8); STORE1 (9); STORE1 (10); STORE1 (11); STORE1 (12); STORE1 (13); STORE1 (14); STORE1 (15);
}

/* one row of C, for the rows left over by the blocks */
AVX512 static void
block_1 (const float *a, int64_t a_cs, const float *b, int64_t ldb, float *c, int64_t k, int64_t n,
         gboolean acc)
{
  for (int64_t j = 0; j < n; j += 16)
    {
      const __mmask16 m0 = col_mask (n - j);
      __m512 sum = _mm512_setzero_ps ();
      for (int64_t p = 0; p < k; p++)
        sum = _mm512_fmadd_ps (_mm512_set1_ps (a[p * a_cs]), _mm512_maskz_loadu_ps (m0, b + p * ldb + j), sum);
      if (acc)
        sum = _mm512_add_ps (sum, _mm512_maskz_loadu_ps (m0, c + j));
      _mm512_mask_storeu_ps (c + j, m0, sum);
    }
}

/* Cache blocking for the larger products (an im2col convolution's K of
 * cin·kh·kw up to a few thousand, N of a whole feature map): a panel of
 * GEMM_KC rows × GEMM_NC columns of B stays in L2 while every block of A's
 * rows passes over it; sums over later K panels are added to C. */
#define GEMM_KC 384
#define GEMM_NC 512

AVX512 static void
gemm_avx512 (const float *a, int64_t a_rs, int64_t a_cs, const float *b, int64_t ldb,
             float *c, int64_t ldc, int64_t m, int64_t n, int64_t k, gboolean acc0)
{
  /* a panel of a wide B (a feature map's columns) is copied together first:
   * its rows lie a whole map apart, and L1 can hold few lines that far apart */
  const gboolean pack = n > GEMM_NC && m >= 16;
  g_autofree float *panel = pack ? g_new (float, GEMM_KC * GEMM_NC) : NULL;

  for (int64_t j0 = 0; j0 < n; j0 += GEMM_NC)
    for (int64_t p0 = 0; p0 < k; p0 += GEMM_KC)
      {
        const int64_t nc = MIN (GEMM_NC, n - j0), kc = MIN (GEMM_KC, k - p0);
        const float *ap = a + p0 * a_cs, *bp = b + p0 * ldb + j0;
        int64_t ldp = ldb;
        float *cp = c + j0;
        const gboolean acc = acc0 || p0 > 0;
        int64_t i = 0;

        if (pack)
          {
            for (int64_t p = 0; p < kc; p++)
              memcpy (panel + p * nc, bp + p * ldb, sizeof (float) * (size_t) nc);
            bp = panel;
            ldp = nc;
          }

        if (nc <= 16)
          for (; i + 16 <= m; i += 16)
            block_16x16 (ap + i * a_rs, a_rs, a_cs, bp, ldp, cp + i * ldc, ldc, kc, nc, acc);
        /* rows outer: a block of A's rows is read from cache once per 32 columns */
        for (; i + 8 <= m; i += 8)
          for (int64_t j = 0; j < nc; j += 32)
            block_8x32 (ap + i * a_rs, a_rs, a_cs, bp + j, ldp, cp + i * ldc + j, ldc, kc, nc - j, acc);
        for (; i < m; i++)
          block_1 (ap + i * a_rs, a_cs, bp, ldp, cp + i * ldc, kc, nc, acc);
      }
}

#endif /* REL_GEMM_X86 */

gboolean
rel_gemm_strided (const float *a, int64_t a_rs, int64_t a_cs, const float *b, int64_t ldb,
                  float *c, int64_t ldc, int64_t m, int64_t n, int64_t k, gboolean accumulate)
{
#ifdef REL_GEMM_X86
  if (!rel_gemm_available ())
    return FALSE;
  if (m <= 0 || n <= 0)
    return TRUE;
  if (k <= 0)
    {
      if (!accumulate)
        for (int64_t i = 0; i < m; i++)
          memset (c + i * ldc, 0, sizeof (float) * (size_t) n);
      return TRUE;
    }
  gemm_avx512 (a, a_rs, a_cs, b, ldb, c, ldc, m, n, k, accumulate);
  return TRUE;
#else
  (void) a; (void) a_rs; (void) a_cs; (void) b; (void) ldb; (void) c; (void) ldc;
  (void) m; (void) n; (void) k; (void) accumulate;
  return FALSE;
#endif
}
