/* rel-blas.h — the one boundary to OpenBLAS and LAPACKE.
 *
 * Nothing else in the core includes cblas.h or lapacke.h, so swapping the BLAS
 * or adding a fallback touches this file pair only.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* C = alpha · op(A) · op(B) + beta · C, row-major. */
void rel_sgemm (gboolean trans_a, gboolean trans_b, int m, int n, int k,
                float alpha, const float *a, int lda, const float *b, int ldb,
                float beta, float *c, int ldc);

/* OpenBLAS's own thread count. The core sets it once (2 by default) so BLAS
 * threads never fight the core's own workers. */
void rel_blas_set_threads (int n);
int  rel_blas_get_threads (void);

/* Solve the symmetric positive definite system A x = b in place (b becomes x);
 * A is n×n row-major and is overwritten. FALSE with an error if A is singular. */
gboolean rel_lapack_posv (int n, float *a, float *b, GError **error);

/* Eigenvalues (ascending) and optionally eigenvectors (columns of @z, n×m
 * row-major) of the symmetric n×n matrix @a, indices il..iu (1-based). */
gboolean rel_lapack_syevr (int n, float *a, int il, int iu, float *w, float *z, GError **error);

G_END_DECLS
