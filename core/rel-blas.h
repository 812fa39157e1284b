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

/* Single-threaded BLAS for a while: between begin and end, the core's
 * kernels split their GEMMs over their own threads (or run two passes side
 * by side) instead. OpenBLAS's idle workers spin on sched_yield between
 * calls, which on a busy machine costs several times the work itself.
 * Calls nest and may overlap from several threads; the thread count set
 * before the first begin returns after the last end. */
void rel_blas_single_begin (void);
void rel_blas_single_end   (void);
/* TRUE while BLAS runs single-threaded by rel_blas_single_begin. */
gboolean rel_blas_is_single (void);

/* Solve the symmetric positive definite system A x = b in place (b becomes x);
 * A is n×n row-major and is overwritten. FALSE with an error if A is singular. */
gboolean rel_lapack_posv (int n, float *a, float *b, GError **error);

/* Eigenvalues (ascending) and optionally eigenvectors (columns of @z, n×m
 * row-major) of the symmetric n×n matrix @a, indices il..iu (1-based). */
gboolean rel_lapack_syevr (int n, float *a, int il, int iu, float *w, float *z, GError **error);

/* Replaces the m × n (m ≥ n) row-major @a by the Q of its thin QR
 * factorisation (orthonormal columns spanning the same space). */
gboolean rel_lapack_orthonormalise (int m, int n, float *a, GError **error);

/* Thin SVD of the m × n row-major @a (overwritten): singular values @s
 * (min(m, n), descending) and the right singular vectors as the rows of @vt
 * (min(m, n) × n). */
gboolean rel_lapack_gesvd (int m, int n, float *a, float *s, float *vt, GError **error);

G_END_DECLS
