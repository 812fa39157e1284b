/* rel-blas.c
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-blas.h"
#include "rel-error.h"

#include <cblas.h>
#include <lapacke.h>

void
rel_sgemm (gboolean trans_a, gboolean trans_b, int m, int n, int k,
           float alpha, const float *a, int lda, const float *b, int ldb,
           float beta, float *c, int ldc)
{
  if (m == 0 || n == 0)
    return;
  cblas_sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
               trans_b ? CblasTrans : CblasNoTrans,
               m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void
rel_blas_set_threads (int n)
{
  openblas_set_num_threads (MAX (1, n));
}

int
rel_blas_get_threads (void)
{
  return openblas_get_num_threads ();
}

static GMutex blas_single_lock;
static int    blas_single_users;
static int    blas_single_saved;

void
rel_blas_single_begin (void)
{
  g_mutex_lock (&blas_single_lock);
  if (blas_single_users++ == 0)
    {
      blas_single_saved = openblas_get_num_threads ();
      openblas_set_num_threads (1);
    }
  g_mutex_unlock (&blas_single_lock);
}

void
rel_blas_single_end (void)
{
  g_mutex_lock (&blas_single_lock);
  if (blas_single_users > 0 && --blas_single_users == 0)
    openblas_set_num_threads (MAX (1, blas_single_saved));
  g_mutex_unlock (&blas_single_lock);
}

gboolean
rel_blas_is_single (void)
{
  gboolean single;
  g_mutex_lock (&blas_single_lock);
  single = blas_single_users > 0;
  g_mutex_unlock (&blas_single_lock);
  return single;
}

gboolean
rel_lapack_posv (int n, float *a, float *b, GError **error)
{
  lapack_int info = LAPACKE_sposv (LAPACK_ROW_MAJOR, 'U', n, 1, a, n, b, 1);
  if (info != 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED,
                   "linear solve failed (LAPACK sposv info %d): the system is singular or not positive definite",
                   (int) info);
      return FALSE;
    }
  return TRUE;
}

gboolean
rel_lapack_syevr (int n, float *a, int il, int iu, float *w, float *z, GError **error)
{
  lapack_int m = 0;
  g_autofree lapack_int *isuppz = g_new0 (lapack_int, 2 * (gsize) MAX (1, n));
  lapack_int info = LAPACKE_ssyevr (LAPACK_ROW_MAJOR, z ? 'V' : 'N', 'I', 'U', n, a, n,
                                    0.f, 0.f, il, iu, 0.f, &m, w, z, z ? (iu - il + 1) : 1, isuppz);
  if (info != 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED,
                   "eigen decomposition failed (LAPACK ssyevr info %d)", (int) info);
      return FALSE;
    }
  return TRUE;
}

gboolean
rel_lapack_orthonormalise (int m, int n, float *a, GError **error)
{
  g_autofree float *tau = g_new (float, MAX (1, n));
  lapack_int info = LAPACKE_sgeqrf (LAPACK_ROW_MAJOR, m, n, a, n, tau);
  if (info == 0)
    info = LAPACKE_sorgqr (LAPACK_ROW_MAJOR, m, n, n, a, n, tau);
  if (info != 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "QR factorisation failed (LAPACK info %d)", (int) info);
      return FALSE;
    }
  return TRUE;
}

gboolean
rel_lapack_gesvd (int m, int n, float *a, float *s, float *vt, GError **error)
{
  int r = MIN (m, n);
  g_autofree float *superb = g_new (float, MAX (1, r));
  lapack_int info = LAPACKE_sgesvd (LAPACK_ROW_MAJOR, 'N', 'S', m, n, a, n, s, NULL, 1, vt, n, superb);
  if (info != 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "singular value decomposition failed (LAPACK sgesvd info %d)",
                   (int) info);
      return FALSE;
    }
  return TRUE;
}
