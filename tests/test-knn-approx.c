/* test-knn-approx.c — SpRAy's large-N path: the approximate kNN (RP forest
 * + NN-descent) against the exact blocked-GEMM search, its determinism, and
 * the randomised PCA against LAPACK's full SVD in double precision.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-spray.h"
#include "rel-core.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

/* @n points in @d dimensions around @clusters random centres (Gaussian
 * noise of σ = 0.35 around centres of spread 1): clusters that touch, so the
 * neighbours of a point near a border lie in two of them. */
static float *
blobs (int n, int d, int clusters, guint32 seed)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (seed);
  g_autofree float *centre = g_new (float, (gsize) clusters * d);
  for (int i = 0; i < clusters * d; i++)
    centre[i] = (float) g_rand_double_range (rng, -1, 1);
  float *x = g_new (float, (gsize) n * d);
  for (int i = 0; i < n; i++)
    {
      int c = g_rand_int_range (rng, 0, clusters);
      for (int q = 0; q < d; q++)
        {
          double u1 = g_rand_double_range (rng, 1e-12, 1), u2 = g_rand_double (rng);
          x[(gsize) i * d + q] = centre[c * d + q] + (float) (0.35 * sqrt (-2 * log (u1)) * cos (2 * G_PI * u2));
        }
    }
  return x;
}

static double
recall (const int *approx, const int *exact, int n, int k)
{
  gint64 hits = 0;
  for (int i = 0; i < n; i++)
    for (int a = 0; a < k; a++)
      for (int b = 0; b < k; b++)
        hits += approx[(gsize) i * k + a] == exact[(gsize) i * k + b];
  return (double) hits / ((double) n * k);
}

static void
test_recall (void)
{
  const int n = 4000, d = 24, k = 10;
  g_autofree float *x = blobs (n, d, 12, 3);
  g_autofree int *ie = g_new (int, n * k), *ia = g_new (int, n * k);
  g_autofree float *de = g_new (float, n * k), *da = g_new (float, n * k);
  g_autoptr(GError) error = NULL;
  g_assert_true (rel_spray_knn (x, n, d, k, ie, de, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (rel_spray_knn_approx (x, n, d, k, 1, ia, da, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  double r = recall (ia, ie, n, k);
  g_test_message ("recall@%d %.4f", k, r);
  g_assert_cmpfloat (r, >=, 0.95);
  /* every list: no self, no repeats, ascending, and the distances are the true ones */
  for (int i = 0; i < n; i++)
    for (int a = 0; a < k; a++)
      {
        int j = ia[i * k + a];
        g_assert_cmpint (j, >=, 0);
        g_assert_cmpint (j, <, n);
        g_assert_cmpint (j, !=, i);
        for (int b = 0; b < a; b++)
          g_assert_cmpint (ia[i * k + b], !=, j);
        if (a > 0)
          g_assert_cmpfloat (da[i * k + a], >=, da[i * k + a - 1]);
        double s = 0;
        for (int q = 0; q < d; q++)
          s += ((double) x[i * d + q] - x[j * d + q]) * ((double) x[i * d + q] - x[j * d + q]);
        g_assert_cmpfloat (fabs (da[i * k + a] - s), <=, 1e-4 * s + 1e-6);
        /* never closer than the exact k-th neighbour allows for a miss */
        g_assert_cmpfloat (da[i * k + a], >=, de[i * k + a] * (1 - 1e-4) - 1e-6);
      }
}

/* The same seed gives the same graph, with one thread or two. */
static void
test_deterministic (void)
{
  const int n = 3000, d = 16, k = 8;
  g_autofree float *x = blobs (n, d, 8, 11);
  g_autofree int *i1 = g_new (int, n * k), *i2 = g_new (int, n * k), *i3 = g_new (int, n * k);
  g_autofree float *d1 = g_new (float, n * k), *d2 = g_new (float, n * k), *d3 = g_new (float, n * k);
  g_autoptr(GError) error = NULL;
  int threads = rel_core_threads ();
  rel_core_init (2);
  g_assert_true (rel_spray_knn_approx (x, n, d, k, 42, i1, d1, NULL, NULL, NULL, &error));
  g_assert_true (rel_spray_knn_approx (x, n, d, k, 42, i2, d2, NULL, NULL, NULL, &error));
  rel_core_init (1);
  g_assert_true (rel_spray_knn_approx (x, n, d, k, 42, i3, d3, NULL, NULL, NULL, &error));
  rel_core_init (threads);
  g_assert_no_error (error);
  g_assert_cmpmem (i1, sizeof (int) * n * k, i2, sizeof (int) * n * k);
  g_assert_cmpmem (d1, sizeof (float) * n * k, d2, sizeof (float) * n * k);
  g_assert_cmpmem (i1, sizeof (int) * n * k, i3, sizeof (int) * n * k);
  g_assert_cmpmem (d1, sizeof (float) * n * k, d3, sizeof (float) * n * k);

  /* the PCA too, bit for bit */
  g_autofree float *y1 = g_new (float, n * 4), *y2 = g_new (float, n * 4);
  g_assert_true (rel_spray_pca (x, n, d, 4, 9, y1, NULL, NULL, &error));
  g_assert_true (rel_spray_pca (x, n, d, 4, 9, y2, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (y1, sizeof (float) * n * 4, y2, sizeof (float) * n * 4);
}

/* Randomised PCA against the full SVD of the centred matrix (LAPACK dgesvd
 * in double): singular values, directions up to sign, coordinates. */
static void
test_pca_svd (void)
{
  const int n = 400, d = 48, dp = 8;
  g_autoptr(GRand) rng = g_rand_new_with_seed (5);
  /* a decaying spectrum over a noise floor, plus an offset the PCA must remove */
  const double sv[8] = { 9, 7, 5.5, 4, 3, 2.2, 1.6, 1.2 };
  g_autofree double *u = g_new (double, n * 8), *v = g_new (double, 8 * d);
  for (int i = 0; i < n * 8; i++)
    u[i] = g_rand_double_range (rng, -1, 1);
  for (int i = 0; i < 8 * d; i++)
    v[i] = g_rand_double_range (rng, -1, 1);
  g_autofree float *x = g_new (float, n * d);
  g_autofree double *xc = g_new (double, n * d);
  for (int i = 0; i < n; i++)
    for (int c = 0; c < d; c++)
      {
        double s = 3 + 0.05 * g_rand_double_range (rng, -1, 1);
        for (int r = 0; r < 8; r++)
          s += u[i * 8 + r] * sv[r] * v[r * d + c] / sqrt (n);
        x[i * d + c] = (float) s;
      }
  for (int c = 0; c < d; c++)
    {
      double m = 0;
      for (int i = 0; i < n; i++)
        m += x[i * d + c];
      m /= n;
      for (int i = 0; i < n; i++)
        xc[i * d + c] = x[i * d + c] - m;
    }
  g_autofree double *xs = g_memdup2 (xc, sizeof (double) * n * d);
  g_autofree double *s = g_new (double, d), *uu = g_new (double, n * d), *vt = g_new (double, d * d);
  g_autofree double *superb = g_new (double, d);
  g_assert_cmpint (LAPACKE_dgesvd (LAPACK_ROW_MAJOR, 'S', 'S', n, d, xs, d, s, uu, d, vt, d, superb), ==, 0);

  g_autofree float *y = g_new (float, n * dp), *comp = g_new (float, dp * d), *sing = g_new (float, dp);
  g_autoptr(GError) error = NULL;
  g_assert_true (rel_spray_pca (x, n, d, dp, 1, y, comp, sing, &error));
  g_assert_no_error (error);
  for (int j = 0; j < dp; j++)
    {
      g_assert_cmpfloat (fabs (sing[j] - s[j]), <=, 1e-3 * s[j]);
      double dot = 0, norm = 0;
      for (int c = 0; c < d; c++)
        {
          dot += comp[j * d + c] * vt[j * d + c];
          norm += (double) comp[j * d + c] * comp[j * d + c];
        }
      g_assert_cmpfloat (fabs (norm - 1), <=, 1e-4);
      g_assert_cmpfloat (fabs (dot), >=, 0.9999);
      /* coordinates: column j of U·S, with the direction's sign */
      double sign = dot > 0 ? 1 : -1, err = 0;
      for (int i = 0; i < n; i++)
        err = MAX (err, fabs (y[i * dp + j] - sign * uu[i * d + j] * s[j]));
      g_assert_cmpfloat (err, <=, 2e-3 * s[0]);
    }
}

/* "auto" keeps the exact search below REL_SPRAY_APPROX_MIN; "approximate"
 * with a PCA still finds the neighbours of data that lives in fewer
 * dimensions than it is stored in. */
static void
test_auto (void)
{
  const int n = 2000, d = 12, k = 10;
  g_autofree float *low = blobs (n, d, 6, 21);
  /* embed the 12-D points in 40 dimensions by a random rotation-like map */
  g_autoptr(GRand) rng = g_rand_new_with_seed (2);
  g_autofree float *a = g_new (float, d * 40), *x = g_new0 (float, n * 40);
  for (int i = 0; i < d * 40; i++)
    a[i] = (float) g_rand_double_range (rng, -1, 1);
  for (int i = 0; i < n; i++)
    for (int c = 0; c < 40; c++)
      for (int q = 0; q < d; q++)
        x[i * 40 + c] += low[i * d + q] * a[q * 40 + c];
  g_autofree int *ie = g_new (int, n * k), *ia = g_new (int, n * k);
  g_autofree float *de = g_new (float, n * k), *da = g_new (float, n * k);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelParams) p = rel_params_new (rel_spray_stage_affinity ());
  gboolean approx = TRUE;
  g_assert_true (rel_spray_knn_auto (x, n, 40, k, p, ie, de, &approx, NULL, NULL, NULL, &error));
  g_assert_false (approx);
  g_autofree int *ref = g_new (int, n * k);
  g_autofree float *rd = g_new (float, n * k);
  g_assert_true (rel_spray_knn (x, n, 40, k, ref, rd, NULL, NULL, NULL, &error));
  g_assert_cmpmem (ie, sizeof (int) * n * k, ref, sizeof (int) * n * k);
  g_assert_true (rel_params_set (p, "knn", "approximate", &error));
  g_assert_true (rel_params_set (p, "pca", "12", &error));
  g_assert_true (rel_spray_knn_auto (x, n, 40, k, p, ia, da, &approx, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (approx);
  double r = recall (ia, ie, n, k);
  g_test_message ("recall@%d after PCA to 12 of 40 dimensions: %.4f", k, r);
  g_assert_cmpfloat (r, >=, 0.95);
  /* a bad setting is refused by the parameter table */
  g_assert_false (rel_params_set (p, "knn", "fast", &error));
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rel_core_init (2);
  g_test_add_func ("/knn-approx/recall", test_recall);
  g_test_add_func ("/knn-approx/deterministic", test_deterministic);
  g_test_add_func ("/knn-approx/pca-svd", test_pca_svd);
  g_test_add_func ("/knn-approx/auto", test_auto);
  return g_test_run ();
}
