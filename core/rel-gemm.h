/* rel-gemm.h — the core's own small GEMM, for products that stay in cache.
 *
 * The Winograd convolutions multiply many independent, small matrices whose
 * operands fit in L2 (a 64–512-channel layer's transformed weights for one
 * transform point against a few dozen to a few hundred tiles). A register-
 * blocked kernel that reads them in place beats a general BLAS there, which
 * repacks both operands on every call. The kernel is AVX-512 only: where the
 * CPU lacks it, rel_gemm_strided returns FALSE and the caller keeps its own
 * path, so results never depend on this file being usable.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when this CPU runs rel_gemm_strided's kernel (AVX-512F). */
gboolean rel_gemm_available (void);

/* C (m × n, row stride @ldc) = A · B, where A (m × k) is read as
 * A(i, p) = a[i·a_rs + p·a_cs] (row-major: a_rs = k, a_cs = 1; transposed:
 * a_rs = 1, a_cs = m) and B (k × n) is row-major with row stride @ldb.
 * Overwrites C, or adds to it with @accumulate. Returns FALSE, leaving C
 * alone, if !rel_gemm_available (). */
gboolean rel_gemm_strided (const float *a, int64_t a_rs, int64_t a_cs,
                           const float *b, int64_t ldb,
                           float *c, int64_t ldc,
                           int64_t m, int64_t n, int64_t k, gboolean accumulate);

G_END_DECLS
