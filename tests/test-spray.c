/* test-spray.c — SpRAy: kNN, Laplacian eigenpairs against scikit-learn/SciPy,
 * Lanczos against LAPACK, k-means against scikit-learn, eigengap, t-SNE, the
 * heatmap cache and an end-to-end separation of two planted strategies.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-spray.h"
#include "rel-dataset.h"
#include "rel-error.h"
#include "rel-npy.h"
#include "fixture-util.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  int     n, d, k, m;
  float  *x;
  double *results;
} Fixture;

static void
fixture_free (Fixture *f)
{
  g_free (f->x);
  g_free (f->results);
  g_free (f);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fixture, fixture_free)

/* tests/fixtures/spray/NAME: "n d k m", n rows of d values, m results. */
static Fixture *
fixture_load (const char *name)
{
  const char *dir = g_getenv ("RELEVANCE_FIXTURES");
  g_autofree char *path = g_build_filename (dir ? dir : "tests/fixtures", "spray", name, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  g_auto(GStrv) tok = g_strsplit_set (text, " \n", -1);
  int t = 0;
#define NEXT() ({ while (tok[t] && tok[t][0] == '\0') t++; g_assert_nonnull (tok[t]); g_ascii_strtod (tok[t++], NULL); })
  Fixture *f = g_new0 (Fixture, 1);
  f->n = (int) NEXT ();
  f->d = (int) NEXT ();
  f->k = (int) NEXT ();
  f->m = (int) NEXT ();
  f->x = g_new (float, (gsize) f->n * f->d);
  f->results = g_new (double, f->m);
  for (int i = 0; i < f->n * f->d; i++)
    f->x[i] = (float) NEXT ();
  for (int i = 0; i < f->m; i++)
    f->results[i] = NEXT ();
#undef NEXT
  return f;
}

/* Gaussian blobs: @c centres spread @sep apart along random directions. */
static float *
make_blobs (int n, int d, int c, double sep, double sd, guint32 seed, int *truth)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (seed);
  g_autofree float *centres = g_new (float, (gsize) c * d);
  for (int i = 0; i < c * d; i++)
    centres[i] = (float) g_rand_double_range (rng, -sep, sep);
  float *x = g_new (float, (gsize) n * d);
  for (int i = 0; i < n; i++)
    {
      int b = i % c;
      truth[i] = b;
      for (int q = 0; q < d; q++)
        {
          double u1 = g_rand_double_range (rng, 1e-12, 1), u2 = g_rand_double (rng);
          x[(gsize) i * d + q] = centres[b * d + q] + (float) (sd * sqrt (-2 * log (u1)) * cos (2 * G_PI * u2));
        }
    }
  return x;
}

static RelSparse *
laplacian_of (const float *x, int n, int d, int k)
{
  g_autoptr(GError) error = NULL;
  g_autofree int *idx = g_new (int, (gsize) n * k);
  g_autofree float *d2 = g_new (float, (gsize) n * k);
  g_assert_true (rel_spray_knn (x, n, d, k, idx, d2, NULL, NULL, NULL, &error));
  g_autoptr(RelSparse) w = rel_spray_affinity (idx, d2, n, k, NULL, &error);
  g_assert_no_error (error);
  RelSparse *l = rel_spray_laplacian (w, NULL, &error);
  g_assert_no_error (error);
  return l;
}

static void
test_knn_brute (void)
{
  int n = 700, d = 13, k = 9;  /* n not a multiple of the GEMM block */
  g_autofree int *truth = g_new (int, n);
  g_autofree float *x = make_blobs (n, d, 4, 3.0, 1.0, 11, truth);
  g_autofree int *idx = g_new (int, (gsize) n * k);
  g_autofree float *d2 = g_new (float, (gsize) n * k);
  g_autoptr(GError) error = NULL;
  g_assert_true (rel_spray_knn (x, n, d, k, idx, d2, NULL, NULL, NULL, &error));
  g_autofree double *all = g_new (double, n);
  int mismatched = 0;
  for (int i = 0; i < n; i++)
    {
      for (int j = 0; j < n; j++)
        {
          double s = 0;
          for (int q = 0; q < d; q++)
            {
              double t = (double) x[(gsize) i * d + q] - x[(gsize) j * d + q];
              s += t * t;
            }
          all[j] = j == i ? INFINITY : s;
        }
      /* the k-th smallest brute-force distance, and that every returned
       * neighbour is within it (ties may swap indices, not distances) */
      for (int q = 0; q < k; q++)
        {
          int j = idx[(gsize) i * k + q];
          g_assert_cmpint (j, !=, i);
          g_assert_cmpfloat_with_epsilon (d2[(gsize) i * k + q], all[j], 1e-3 * (1 + all[j]));
          if (q > 0)
            g_assert_cmpfloat (d2[(gsize) i * k + q], >=, d2[(gsize) i * k + q - 1]);
        }
      for (int q = 0; q < k; q++)
        {
          int best = 0;
          for (int j = 1; j < n; j++)
            if (all[j] < all[best])
              best = j;
          if (best != idx[(gsize) i * k + q] && fabs (all[best] - all[idx[(gsize) i * k + q]]) > 1e-4)
            mismatched++;
          all[best] = INFINITY;
        }
    }
  g_assert_cmpint (mismatched, ==, 0);
}

static float
sparse_get (const RelSparse *s, int i, int j)
{
  for (int p = s->rowptr[i]; p < s->rowptr[i + 1]; p++)
    if (s->col[p] == j)
      return s->val[p];
  return 0;
}

static void
test_affinity_gaussian (void)
{
  int n = 200, d = 4, k = 6;
  g_autofree int *truth = g_new (int, n);
  g_autofree float *x = make_blobs (n, d, 2, 2.0, 1.0, 13, truth);
  g_autofree int *idx = g_new (int, n * k);
  g_autofree float *d2 = g_new (float, n * k);
  g_autoptr(GError) error = NULL;
  g_assert_true (rel_spray_knn (x, n, d, k, idx, d2, NULL, NULL, NULL, &error));
  g_autoptr(RelParams) ap = rel_params_new (rel_spray_stage_affinity ());
  g_assert_true (rel_params_set (ap, "kernel", "gaussian", &error));
  g_autoptr(RelSparse) w = rel_spray_affinity (idx, d2, n, k, ap, &error);
  g_assert_no_error (error);
  /* σ heuristic: the mean distance to the k-th neighbour */
  double sigma = 0;
  for (int i = 0; i < n; i++)
    sigma += sqrt (d2[i * k + k - 1]);
  sigma /= n;
  g_autofree double *dense = g_new0 (double, n * n);
  for (int i = 0; i < n; i++)
    for (int q = 0; q < k; q++)
      {
        double a = exp (-d2[i * k + q] / (2 * sigma * sigma));
        dense[i * n + idx[i * k + q]] += 0.5 * a;
        dense[idx[i * k + q] * n + i] += 0.5 * a;
      }
  int nnz = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      {
        g_assert_cmpfloat_with_epsilon (sparse_get (w, i, j), dense[i * n + j], 1e-6);
        nnz += dense[i * n + j] != 0;
      }
  g_assert_cmpint (w->rowptr[n], ==, nnz);
  /* L D^{1/2} 1 = 0: the trivial eigenvector, whatever the weights */
  g_autofree float *dis = g_new (float, n);
  g_autoptr(RelSparse) l = rel_spray_laplacian (w, dis, &error);
  g_autofree float *v = g_new (float, n);
  g_autofree float *lv = g_new (float, n);
  for (int i = 0; i < n; i++)
    v[i] = 1.0f / dis[i];
  rel_sparse_mv (l, v, lv);
  for (int i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (lv[i], 0, 1e-5 * v[i]);
  /* a fixed bandwidth is used as given */
  g_assert_true (rel_params_set (ap, "bandwidth", "0.5", &error));
  g_autoptr(RelSparse) w2 = rel_spray_affinity (idx, d2, n, k, ap, &error);
  int j0 = idx[0];
  double want = 0.5 * exp (-d2[0] / (2 * 0.25));
  for (int q = 0; q < k; q++)
    if (idx[j0 * k + q] == 0)
      want *= 2;  /* mutual neighbours: both halves */
  g_assert_cmpfloat_with_epsilon (sparse_get (w2, 0, j0), want, 1e-6);
}

static void
test_laplacian_sklearn (void)
{
  g_autoptr(Fixture) f = fixture_load ("laplacian.txt");
  g_autoptr(RelSparse) l = laplacian_of (f->x, f->n, f->d, f->k);
  g_autofree float *w = g_new (float, f->m);
  g_autofree float *z = g_new (float, (gsize) f->n * f->m);
  g_autoptr(GError) error = NULL;
  g_assert_true (rel_spray_eigen_dense (l, f->m, w, z, &error));
  for (int i = 0; i < f->m; i++)
    g_assert_cmpfloat_with_epsilon (w[i], f->results[i], 1e-4);
  /* the block Lanczos solver agrees on the same small problem */
  g_autofree float *wl = g_new (float, 8);
  g_autofree float *zl = g_new (float, (gsize) f->n * 8);
  g_assert_true (rel_spray_eigen_lanczos (l, 8, 1e-5, 200, 1, wl, zl, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 8; i++)
    g_assert_cmpfloat_with_epsilon (wl[i], f->results[i], 1e-4);
}

static void
test_lanczos_dense (void)
{
  int n = 1500, d = 6, k = 10, m = 10;
  g_autofree int *truth = g_new (int, n);
  /* overlapping blobs: one connected graph with distinct small eigenvalues */
  g_autofree float *x = make_blobs (n, d, 5, 1.5, 1.0, 5, truth);
  g_autoptr(RelSparse) l = laplacian_of (x, n, d, k);
  g_autofree float *wd = g_new (float, m);
  g_autofree float *zd = g_new (float, (gsize) n * m);
  g_autofree float *wl = g_new (float, m);
  g_autofree float *zl = g_new (float, (gsize) n * m);
  g_autoptr(GError) error = NULL;
  g_assert_true (rel_spray_eigen_dense (l, m, wd, zd, &error));
  g_assert_true (rel_spray_eigen_lanczos (l, m, 1e-5, 500, 7, wl, zl, NULL, &error));
  g_assert_no_error (error);
  for (int j = 0; j < m; j++)
    {
      g_assert_cmpfloat_with_epsilon (wl[j], wd[j], 1e-4);
      /* eigenvectors of well separated eigenvalues agree up to sign */
      double gap = MIN (j > 0 ? wd[j] - wd[j - 1] : INFINITY, j + 1 < m ? wd[j + 1] - wd[j] : INFINITY);
      if (gap < 1e-3)
        continue;
      double dot = 0;
      for (int i = 0; i < n; i++)
        dot += (double) zd[(gsize) i * m + j] * zl[(gsize) i * m + j];
      g_assert_cmpfloat (fabs (dot), >, 0.999);
    }
}

static void
test_kmeans_sklearn (void)
{
  g_autoptr(Fixture) f = fixture_load ("kmeans.txt");
  g_autofree int *labels = g_new (int, f->n);
  g_autofree int *want = g_new (int, f->n);
  g_autoptr(GError) error = NULL;
  for (int i = 0; i < f->n; i++)
    want[i] = (int) f->results[i];
  double inertia = rel_kmeans (f->x, f->n, f->d, f->k, 10, 300, 0, labels, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (inertia, >, 0);
  g_assert_cmpfloat_with_epsilon (rel_adjusted_rand_index (labels, want, f->n), 1.0, 1e-12);
  /* Ward gives the same partition on such blobs */
  g_assert_true (rel_ward (f->x, f->n, f->d, f->k, labels, NULL, &error));
  g_assert_cmpfloat_with_epsilon (rel_adjusted_rand_index (labels, want, f->n), 1.0, 1e-12);
  /* and DBSCAN finds exactly the blobs (σ = 0.6 in 5-D: neighbours within 2) */
  int nc = rel_dbscan (f->x, f->n, f->d, 2.0, 4, labels, NULL, &error);
  g_assert_cmpint (nc, ==, f->k);
  g_assert_cmpfloat_with_epsilon (rel_adjusted_rand_index (labels, want, f->n), 1.0, 1e-12);
}

static void
test_ari (void)
{
  /* sklearn.metrics.adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 0.5714285714285715 */
  int a[] = { 0, 0, 1, 1 }, b[] = { 0, 0, 1, 2 }, c[] = { 5, 5, 3, 3 };
  g_assert_cmpfloat_with_epsilon (rel_adjusted_rand_index (a, b, 4), 0.5714285714285715, 1e-12);
  g_assert_cmpfloat_with_epsilon (rel_adjusted_rand_index (a, c, 4), 1.0, 1e-12);
  int e[] = { 0, 1, 0, 1 };
  /* adjusted_rand_score([0,0,1,1],[0,1,0,1]) = -0.5 */
  g_assert_cmpfloat_with_epsilon (rel_adjusted_rand_index (a, e, 4), -0.5, 1e-12);
}

static void
test_eigengap_blobs (void)
{
  int n = 300, d = 10;
  g_autofree int *truth = g_new (int, n);
  g_autofree float *x = make_blobs (n, d, 3, 10.0, 0.5, 3, truth);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelSprayResult) r = rel_spray_analyse (x, n, d, 0, NULL, NULL, NULL, NULL, FALSE,
                                                   NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->suggested_k, ==, 3);
  g_assert_cmpint (r->k, ==, 3);
  /* three components: three (numerically) zero eigenvalues, then a gap */
  g_assert_cmpfloat (fabs (r->eigenvalues[2]), <, 1e-4);
  g_assert_cmpfloat (r->eigenvalues[3], >, 0.05);
  g_assert_cmpfloat_with_epsilon (rel_adjusted_rand_index (r->labels, truth, n), 1.0, 1e-12);
  int total = 0;
  for (int c = 0; c < r->n_clusters; c++)
    total += r->clusters[c].size;
  g_assert_cmpint (total, ==, n);
  /* the same through the Lanczos solver */
  g_autoptr(RelParams) ep = rel_params_new (rel_spray_stage_eigen ());
  g_assert_true (rel_params_set (ep, "solver", "lanczos", &error));
  RelParams *params[5] = { NULL, NULL, ep, NULL, NULL };
  g_autoptr(RelSprayResult) r2 = rel_spray_analyse (x, n, d, 0, NULL, NULL, NULL, params, FALSE,
                                                    NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r2->suggested_k, ==, 3);
  g_assert_cmpfloat_with_epsilon (rel_adjusted_rand_index (r2->labels, truth, n), 1.0, 1e-12);
  for (int j = 0; j < r->n_eig; j++)
    g_assert_cmpfloat_with_epsilon (r2->eigenvalues[j], r->eigenvalues[j], 1e-4);
}

static void
test_tsne_blobs (void)
{
  int n = 400, d = 20, c = 4;
  g_autofree int *truth = g_new (int, n);
  g_autofree float *x = make_blobs (n, d, c, 4.0, 1.0, 9, truth);
  g_autofree float *y = g_new (float, 2 * n);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelParams) p = rel_params_new (rel_spray_stage_tsne ());
  g_assert_true (rel_params_set (p, "iterations", "500", &error));
  g_assert_true (rel_spray_tsne (x, n, d, p, y, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  /* 5-NN vote in 2-D recovers the blob */
  int k = 5;
  g_autofree int *idx = g_new (int, n * k);
  g_autofree float *d2 = g_new (float, n * k);
  g_assert_true (rel_spray_knn (y, n, 2, k, idx, d2, NULL, NULL, NULL, &error));
  int correct = 0;
  for (int i = 0; i < n; i++)
    {
      int votes[4] = { 0 };
      for (int q = 0; q < k; q++)
        votes[truth[idx[i * k + q]]]++;
      int best = 0;
      for (int b = 1; b < c; b++)
        if (votes[b] > votes[best])
          best = b;
      correct += best == truth[i];
      g_assert_true (isfinite (y[2 * i]) && isfinite (y[2 * i + 1]));
    }
  g_assert_cmpfloat ((double) correct / n, >=, 0.95);
}

/* Synthetic heatmaps of one class: "shape" images put their relevance on a
 * jittered central blob, "tag" images mostly on a bottom-right corner patch. */
static float *
planted_heatmaps (int n, int side, guint32 seed, int *planted)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (seed);
  float *maps = g_new0 (float, (gsize) n * side * side);
  for (int i = 0; i < n; i++)
    {
      float *m = maps + (gsize) i * side * side;
      gboolean tag = g_rand_double (rng) < 0.3;
      planted[i] = tag;
      double cx = side / 2.0 + g_rand_double_range (rng, -6, 6);
      double cy = side / 2.0 + g_rand_double_range (rng, -6, 6);
      double s = g_rand_double_range (rng, 5, 9);
      double shape_w = tag ? 0.25 : 1.0;
      for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
          {
            double v = shape_w * exp (-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * s * s));
            v += 0.05 * g_rand_double_range (rng, -1, 1);
            if (tag && x >= side - 10 && y >= side - 10 && x < side - 2 && y < side - 2)
              v += 3.0 * (0.5 + g_rand_double (rng));
            m[(gsize) y * side + x] = (float) v;
          }
    }
  return maps;
}

static void
test_end_to_end_planted (void)
{
  int n = 400, side = 64;
  g_autofree int *planted = g_new (int, n);
  g_autofree float *maps = planted_heatmaps (n, side, 21, planted);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelParams) pp = rel_params_new (rel_spray_stage_preprocess ());
  int dim = 0;
  g_autofree float *x = rel_spray_preprocess (maps, n, side, side, pp, &dim, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dim, ==, 32 * 32);
  /* sum pooling keeps each map's total; the "sum" norm makes it 1 in |·| */
  double s = 0;
  for (int q = 0; q < dim; q++)
    s += fabsf (x[q]);
  g_assert_cmpfloat_with_epsilon (s, 1.0, 1e-5);

  g_autoptr(RelParams) cp = rel_params_new (rel_spray_stage_cluster ());
  g_assert_true (rel_params_set (cp, "k", "2", &error));
  RelParams *params[5] = { pp, NULL, NULL, cp, NULL };
  g_autofree int *pred = g_new (int, n);
  g_autofree float *conf = g_new (float, n);
  g_autofree int *truth = g_new (int, n);
  for (int i = 0; i < n; i++)
    {
      truth[i] = 0;
      pred[i] = planted[i] ? 0 : (i % 10 == 0 ? 1 : 0);  /* 10 % of shape images misclassified */
      conf[i] = planted[i] ? 0.99f : 0.7f;
    }
  g_autoptr(RelSprayResult) r = rel_spray_analyse (x, n, dim, 32, pred, conf, truth, params, TRUE,
                                                   NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  double ari = rel_adjusted_rand_index (r->labels, planted, n);
  g_test_message ("planted strategies: ARI %.4f, suggested k %d", ari, r->suggested_k);
  g_assert_cmpfloat (ari, >=, 0.9);
  g_assert_cmpint (r->n_clusters, ==, 2);
  /* the tag cluster's statistics: its prototype's mass sits in the corner */
  int tag_cluster = r->labels[0] == (planted[0] ? r->labels[0] : -1) ? r->labels[0] : -1;
  for (int i = 0; i < n && tag_cluster < 0; i++)
    if (planted[i])
      tag_cluster = r->labels[i];
  const RelSprayCluster *tc = &r->clusters[tag_cluster];
  double corner = 0, total = 0;
  for (int y = 0; y < 32; y++)
    for (int x2 = 0; x2 < 32; x2++)
      {
        double v = fabs (tc->prototype[y * 32 + x2]);
        total += v;
        if (x2 >= 27 && y >= 27)
          corner += v;
      }
  g_assert_cmpfloat (corner / total, >, 0.5);
  g_assert_cmpfloat_with_epsilon (tc->accuracy, 1.0, 0.02);
  g_assert_cmpfloat_with_epsilon (tc->mean_confidence, 0.99, 0.01);
  g_assert_cmpint (tc->n_nearest, ==, 8);
  for (int q = 0; q < tc->n_nearest; q++)
    g_assert_cmpint (r->labels[tc->nearest[q]], ==, tag_cluster);
  /* the suggested count's clustering keeps the tag images together */
  g_assert_cmpint (r->suggested_k, >=, 2);
  int *ks = r->kmeans_by_k[r->suggested_k];
  g_assert_nonnull (ks);
  g_autofree int *count = g_new0 (int, r->suggested_k);
  int tags = 0;
  for (int i = 0; i < n; i++)
    if (planted[i])
      {
        count[ks[i]]++;
        tags++;
      }
  int best = 0;
  for (int c = 1; c < r->suggested_k; c++)
    if (count[c] > count[best])
      best = c;
  g_assert_cmpfloat ((double) count[best] / tags, >=, 0.9);
  /* t-SNE keeps the strategies apart too */
  g_assert_nonnull (r->tsne);
  /* re-clustering with k = 3 needs no new eigenvectors */
  g_assert_true (rel_params_set (cp, "k", "3", &error));
  g_assert_true (rel_spray_recluster (r, x, pred, conf, truth, cp, NULL, &error));
  g_assert_cmpint (r->n_clusters, ==, 3);
}

static int n_progress;
static void
count_progress (const char *stage, double fraction, gpointer data)
{
  n_progress++;
}

static void
test_heatmap_cache (void)
{
  const char *fixtures = g_getenv ("RELEVANCE_FIXTURES");
  g_autofree char *model_path = g_build_filename (fixtures ? fixtures : "tests/fixtures", "tiny-cnn", "model.onnx", NULL);
  g_autofree char *input_path = g_build_filename (fixtures ? fixtures : "tests/fixtures", "tiny-cnn", "input.npy", NULL);
  g_autoptr(GError) error = NULL;
  RelModel *model = rel_model_load (model_path, &error);
  g_assert_no_error (error);
  g_autoptr(RelTensor) input = rel_npy_load (input_path, &error);
  g_assert_no_error (error);
  g_autofree char *dir = g_dir_make_tmp ("spray-cache-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *cache = g_build_filename (dir, "cache", NULL);
  enum { N = 6 };
  char *paths[N + 1] = { NULL };
  for (int i = 0; i < N; i++)
    {
      g_autoptr(RelTensor) t = rel_tensor_copy (input, &error);
      float *v = rel_tensor_f32 (t);
      for (int64_t p = 0; p < t->numel; p++)
        v[p] = v[p] * (1.0f - 0.1f * i);
      paths[i] = g_strdup_printf ("%s/img%d.npy", dir, i);
      g_assert_true (rel_npy_save (paths[i], t, &error));
    }
  const RelMethodDef *method = rel_method_lookup ("gradient");
  g_assert_nonnull (method);
  g_autoptr(RelParams) mp = rel_params_new (method);
  RelSprayHeatmapRequest req = {
    .model = model, .method_params = mp, .target = { REL_TARGET_PREDICTED }, .cache_dir = cache,
    .batch_size = 2, .progress = count_progress,
  };
  n_progress = 0;
  g_autoptr(RelSprayHeatmaps) h1 = rel_spray_heatmaps (&req, (const char *const *) paths, N, &error);
  g_assert_no_error (error);
  g_assert_cmpint (h1->n_explained, ==, N);
  g_assert_cmpint (h1->n_cached, ==, 0);
  g_assert_cmpint (n_progress, ==, N / 2);
  g_assert_cmpint (h1->height, ==, 28);
  /* the map is the channel sum of the gradient: compare with the fixture */
  g_autofree char *grad_path = g_build_filename (fixtures ? fixtures : "tests/fixtures", "tiny-cnn", "gradient.npy", NULL);
  g_autoptr(RelTensor) grad = rel_npy_load (grad_path, &error);
  g_assert_no_error (error);
  for (int p = 0; p < 28 * 28; p++)
    g_assert_cmpfloat_with_epsilon (h1->maps[p], rel_tensor_f32 (grad)[p], 1e-4 + 1e-3 * fabsf (rel_tensor_f32 (grad)[p]));
  for (int i = 0; i < N; i++)
    {
      g_assert_cmpfloat (h1->confidence[i], >, 0);
      g_assert_cmpfloat (h1->confidence[i], <=, 1);
    }

  g_autoptr(RelSprayHeatmaps) h2 = rel_spray_heatmaps (&req, (const char *const *) paths, N, &error);
  g_assert_no_error (error);
  g_assert_cmpint (h2->n_explained, ==, 0);
  g_assert_cmpint (h2->n_cached, ==, N);
  g_assert_cmpmem (h1->maps, sizeof (float) * N * 28 * 28, h2->maps, sizeof (float) * N * 28 * 28);
  g_assert_cmpmem (h1->predicted, sizeof (int) * N, h2->predicted, sizeof (int) * N);

  /* other parameters are another key: explained again */
  const RelMethodDef *ixg = rel_method_lookup ("input-x-gradient");
  if (ixg)
    {
      g_autoptr(RelParams) mp2 = rel_params_new (ixg);
      req.method_params = mp2;
      g_autoptr(RelSprayHeatmaps) h3 = rel_spray_heatmaps (&req, (const char *const *) paths, 2, &error);
      g_assert_no_error (error);
      g_assert_cmpint (h3->n_explained, ==, 2);
      req.method_params = mp;
    }
  /* a corrupt cache entry is recomputed, not trusted */
  {
    g_autoptr(GDir) d = g_dir_open (cache, 0, &error);
    const char *name;
    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *f = g_build_filename (cache, name, NULL);
        g_assert_true (g_file_set_contents (f, "RSPRAY02 garbage", -1, &error));
      }
  }
  g_autoptr(RelSprayHeatmaps) h4 = rel_spray_heatmaps (&req, (const char *const *) paths, N, &error);
  g_assert_no_error (error);
  g_assert_cmpint (h4->n_explained, ==, N);
  g_assert_cmpmem (h1->maps, sizeof (float) * N * 28 * 28, h4->maps, sizeof (float) * N * 28 * 28);

  for (int i = 0; i < N; i++)
    {
      g_unlink (paths[i]);
      g_free (paths[i]);
    }
  {
    g_autoptr(GDir) d = g_dir_open (cache, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *f = g_build_filename (cache, name, NULL);
        g_unlink (f);
      }
  }
  g_rmdir (cache);
  g_rmdir (dir);
  rel_model_unref (model);
}

static void
test_params_set (void)
{
  g_autoptr(GError) error = NULL;
  RelParams *p[5] = {
    rel_params_new (rel_spray_stage_preprocess ()), rel_params_new (rel_spray_stage_affinity ()),
    rel_params_new (rel_spray_stage_eigen ()), rel_params_new (rel_spray_stage_cluster ()),
    rel_params_new (rel_spray_stage_tsne ()),
  };
  g_assert_true (rel_spray_params_set (p, "pool=16", &error));
  g_assert_true (rel_spray_params_set (p, "kernel=gaussian", &error));
  g_assert_true (rel_spray_params_set (p, "perplexity=12", &error));
  g_assert_cmpint (rel_params_get_int (p[0], "pool"), ==, 16);
  g_assert_cmpstr (rel_params_get_string (p[1], "kernel"), ==, "gaussian");
  g_assert_cmpfloat (rel_params_get_float (p[4], "perplexity"), ==, 12);
  g_assert_false (rel_spray_params_set (p, "pool=0", &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (rel_spray_params_set (p, "nonsense=1", &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
  for (int s = 0; s < 5; s++)
    rel_params_free (p[s]);
}

static double last_knn_fraction;
static void
record_progress (const char *stage, double fraction, gpointer data)
{
  if (g_strcmp0 (stage, "knn") == 0)
    {
      g_assert_cmpfloat (fraction, >=, last_knn_fraction);  /* monotone */
      last_knn_fraction = fraction;
    }
  if (data)
    g_atomic_int_set ((volatile gint *) data, 1);  /* cancel at the first report */
}

static void
test_progress_cancel (void)
{
  int n = 600, d = 8;
  g_autofree int *truth = g_new (int, n);
  g_autofree float *x = make_blobs (n, d, 3, 5.0, 1.0, 17, truth);
  g_autoptr(GError) error = NULL;
  last_knn_fraction = 0;
  g_autoptr(RelSprayResult) r = rel_spray_analyse (x, n, d, 0, NULL, NULL, NULL, NULL, FALSE,
                                                   record_progress, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (last_knn_fraction, ==, 1.0);
  /* a cancel raised from the progress callback stops the analysis */
  volatile gint cancel = 0;
  last_knn_fraction = 0;
  RelSprayResult *r2 = rel_spray_analyse (x, n, d, 0, NULL, NULL, NULL, NULL, TRUE,
                                          record_progress, (gpointer) &cancel, &cancel, &error);
  g_assert_null (r2);
  g_assert_error (error, REL_ERROR, REL_ERROR_CANCELLED);
  g_clear_error (&error);
  /* and so does one raised before t-SNE, checked between its iterations */
  g_autoptr(RelParams) tp = rel_params_new (rel_spray_stage_tsne ());
  g_autofree float *y = g_new (float, 2 * n);
  cancel = 1;
  g_assert_false (rel_spray_tsne (x, n, d, tp, y, &cancel, NULL, NULL, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_CANCELLED);
}

/* The acceptance on the shipped demo (data/demo, a CNN trained with a © tag on
 * most Sandals), straight from its nested folders: images/clean/Sandal and
 * images/tagged/Sandal are one class in two groups, and `relevance-cli spray`
 * with its defaults must separate the tag-driven from the shape-driven
 * explanations. */
static JsonNode *
run_spray_json (const char *model, const char *dir, const char *cls, const char *cache, const char *k)
{
  const char *cli = g_getenv ("RELEVANCE_CLI");
  g_assert_nonnull (cli);
  /* without --k: the defaults, t-SNE included; with it, the 2-D view is skipped */
  const char *argv[] = { cli, "spray", model, dir, "--class", cls, "--json", "--cache-dir", cache,
                         k ? "--no-tsne" : NULL, "--k", k, NULL };
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("relevance-cli spray failed: %s", err);
  JsonNode *root = json_from_string (out, &error);
  g_assert_no_error (error);
  return root;
}

/* How well the 2-D view keeps clean and tagged apart: the fraction of each
 * image's 5 nearest neighbours in the embedding (x, y) with its own kind,
 * averaged over the images. */
static double
demo_view_agreement (JsonNode *root, const char **view)
{
  JsonObject *o = json_node_get_object (root);
  JsonArray *images = json_object_get_array_member (o, "images");
  int n = json_array_get_length (images), k = 5;
  g_autofree double *x = g_new (double, n), *y = g_new (double, n);
  g_autofree int *tagged = g_new (int, n);
  double agree = 0;

  *view = json_object_get_string_member (o, "view");
  for (int i = 0; i < n; i++)
    {
      JsonObject *im = json_array_get_object_element (images, i);
      tagged[i] = g_strcmp0 (json_object_get_string_member (im, "group"), "tagged") == 0;
      x[i] = json_object_get_double_member (im, "x");
      y[i] = json_object_get_double_member (im, "y");
    }
  for (int i = 0; i < n; i++)
    {
      /* the k smallest distances by repeated selection: n is 100 */
      g_autofree gboolean *used = g_new0 (gboolean, n);
      int same = 0;
      used[i] = TRUE;
      for (int q = 0; q < k; q++)
        {
          int best = -1;
          double bd = 0;
          for (int j = 0; j < n; j++)
            {
              double d = (x[i] - x[j]) * (x[i] - x[j]) + (y[i] - y[j]) * (y[i] - y[j]);
              if (!used[j] && (best < 0 || d < bd))
                best = j, bd = d;
            }
          used[best] = TRUE;
          same += tagged[best] == tagged[i];
        }
      agree += (double) same / k;
    }
  return agree / n;
}

/* ARI of the clustering against the groups (clean/tagged), and how the tagged images spread. */
static double
demo_ari (JsonNode *root, int *n_images, double *tag_purity, double *tag_recall, int *suggested)
{
  JsonObject *o = json_node_get_object (root);
  JsonArray *images = json_object_get_array_member (o, "images");
  int n = json_array_get_length (images);
  g_autofree int *cluster = g_new (int, n);
  g_autofree int *tagged = g_new (int, n);
  int n_tagged = 0, max_cluster = 0;
  for (int i = 0; i < n; i++)
    {
      JsonObject *im = json_array_get_object_element (images, i);
      const char *group = json_object_get_string_member (im, "group");
      g_autofree char *dir = g_path_get_dirname (json_object_get_string_member (im, "path"));
      g_autofree char *parent = g_path_get_dirname (dir);
      g_autofree char *folder = g_path_get_basename (parent);
      /* the group is the folder above the class folder */
      g_assert_cmpstr (group, ==, folder);
      tagged[i] = g_strcmp0 (group, "tagged") == 0;
      n_tagged += tagged[i];
      cluster[i] = (int) json_object_get_int_member (im, "cluster");
      max_cluster = MAX (max_cluster, cluster[i]);
    }
  /* the cluster holding most tagged images */
  g_autofree int *tag_count = g_new0 (int, max_cluster + 1);
  g_autofree int *size = g_new0 (int, max_cluster + 1);
  for (int i = 0; i < n; i++)
    {
      size[cluster[i]]++;
      tag_count[cluster[i]] += tagged[i];
    }
  int best = 0;
  for (int c = 1; c <= max_cluster; c++)
    if (tag_count[c] > tag_count[best])
      best = c;
  *tag_purity = (double) tag_count[best] / size[best];
  *tag_recall = (double) tag_count[best] / MAX (n_tagged, 1);
  *n_images = n;
  *suggested = (int) json_object_get_int_member (o, "suggested_k");
  double ari = rel_adjusted_rand_index (cluster, tagged, n);
  /* the CLI's own figure agrees */
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "group_ari"), ari, 1e-9);
  return ari;
}

static int
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  int n = 0;
  g_assert_nonnull (d);
  while (g_dir_read_name (d))
    n++;
  return n;
}

static void
test_demo_acceptance (void)
{
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  g_autofree char *demo = g_build_filename (srcdir ? srcdir : "tests", "..", "data", "demo", NULL);
  g_autofree char *model_path = g_build_filename (demo, "model.onnx", NULL);
  g_autofree char *images = g_build_filename (demo, "images", NULL);
  if (!g_file_test (model_path, G_FILE_TEST_EXISTS))
    {
      fixture_missing ("data/demo is not there (%s)", model_path);
      return;
    }
  g_autoptr(GError) error = NULL;
  /* the planted class, as the training recorded it */
  RelModel *model = rel_model_load (model_path, &error);
  g_assert_no_error (error);
  const char *planted = model->metadata ? g_hash_table_lookup (model->metadata, "clever_hans.class") : NULL;
  g_autofree char *cls = g_strdup (planted ? planted : "Sandal");
  rel_model_unref (model);

  g_autofree char *tmp = g_dir_make_tmp ("spray-demo-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *cache = g_build_filename (tmp, "cache", NULL);
  g_autofree char *clean = g_build_filename (images, "clean", cls, NULL);
  g_autofree char *tagged = g_build_filename (images, "tagged", cls, NULL);
  int expected_n = count_files (clean) + count_files (tagged);
  g_assert_cmpint (expected_n, >=, 20);

  /* defaults: the eigengap's k */
  int n = 0, suggested = 0;
  double purity = 0, recall = 0;
  g_autoptr(JsonNode) r1 = run_spray_json (model_path, images, cls, cache, NULL);
  double ari = demo_ari (r1, &n, &purity, &recall, &suggested);
  const char *view = NULL;
  double agreement = demo_view_agreement (r1, &view);
  g_test_message ("demo %s: %d images, suggested k %d, ARI %.4f, tag cluster purity %.3f recall %.3f; "
                  "%s view: 5-NN kind agreement %.3f",
                  cls, n, suggested, ari, purity, recall, view, agreement);
  /* both groups of the class, nothing else */
  g_assert_cmpint (n, ==, expected_n);
  /* the README's figures: the eigengap suggests k = 2, and that clustering
   * is exactly clean vs tagged (ARI 1.0) */
  g_assert_cmpint (suggested, ==, 2);
  g_assert_cmpfloat_with_epsilon (ari, 1.0, 1e-12);
  g_assert_cmpfloat (purity, ==, 1.0);
  g_assert_cmpfloat (recall, ==, 1.0);
  /* t-SNE's map keeps the two strategies apart: an image's neighbours there
   * are of its own kind */
  g_assert_cmpstr (view, ==, "tsne");
  g_assert_cmpfloat (agreement, >=, 0.95);
  /* --k 2 given explicitly gives the same clustering */
  g_autoptr(JsonNode) r2 = run_spray_json (model_path, images, cls, cache, "2");
  double ari2 = demo_ari (r2, &n, &purity, &recall, &suggested);
  g_test_message ("demo %s, k = 2: ARI %.4f", cls, ari2);
  g_assert_cmpfloat_with_epsilon (ari2, 1.0, 1e-12);

  g_autoptr(GDir) d = g_dir_open (cache, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *f = g_build_filename (cache, name, NULL);
      g_unlink (f);
    }
  g_rmdir (cache);
  g_rmdir (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/spray/params", test_params_set);
  g_test_add_func ("/spray/ari", test_ari);
  g_test_add_func ("/spray/knn-brute-force", test_knn_brute);
  g_test_add_func ("/spray/affinity-gaussian", test_affinity_gaussian);
  g_test_add_func ("/spray/laplacian-sklearn", test_laplacian_sklearn);
  g_test_add_func ("/spray/lanczos-dense", test_lanczos_dense);
  g_test_add_func ("/spray/kmeans-sklearn", test_kmeans_sklearn);
  g_test_add_func ("/spray/eigengap-blobs", test_eigengap_blobs);
  g_test_add_func ("/spray/tsne-blobs", test_tsne_blobs);
  g_test_add_func ("/spray/heatmap-cache", test_heatmap_cache);
  g_test_add_func ("/spray/end-to-end-planted", test_end_to_end_planted);
  g_test_add_func ("/spray/progress-cancel", test_progress_cancel);
  g_test_add_func ("/spray/demo-acceptance", test_demo_acceptance);
  return g_test_run ();
}
