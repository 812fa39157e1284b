/* bench-spray.c — SpRAy's analysis at scale: N synthetic heatmaps pooled to
 * 32×32 (seeded "strategies": a prototype pattern per cluster, scaled and
 * noisy) through the kNN affinity, the Laplacian's eigenpairs and k-means,
 * with the time of each stage and the peak memory (VmHWM).
 *
 *   bench-spray [--n 20000] [--clusters 6] [--neighbors 10] [--eigenvalues 16]
 *               [--knn auto|exact|approximate] [--pca 48] [--sketch 16] [--compare-exact 1]
 *               [--recall-queries 1000] [--min-recall R] [--min-ari A]
 *               [--save FILE.npy] [--max-seconds S] [--max-mib M] [--tsne 1]
 *
 * --knn picks the neighbour search as `spray --set knn=…` does (auto: the
 * approximate one from 100,000 points, in --pca principal components plus
 * --sketch random projections of the rest: 64 dimensions).
 * With the approximate search, recall@k is measured on --recall-queries
 * evenly spaced points against their exact neighbours in the full 1024
 * dimensions (brute force, not timed), and --compare-exact 1 also runs the
 * exact pipeline on the same points for the ARI of the two clusterings.
 *
 * --save writes the data (N×1024 float32) for tests/reference/bench-spray-sklearn.py,
 * which times scikit-learn's equivalent pipeline on the same points.
 * --max-seconds / --max-mib make it fail when the total or the peak is over.
 * --tsne 1 also times Barnes–Hut t-SNE of the embedding (not in the total:
 * scikit-learn's pipeline has no 2-D view).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-spray.h"
#include "rel-npy.h"
#include "rel-blas.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static double
peak_mib (void)
{
  g_autofree char *status = NULL;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  const char *p = strstr (status, "VmHWM:");
  return p ? g_ascii_strtod (p + 6, NULL) / 1024.0 : -1;
}

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* CPU seconds of all threads: on a shared machine the wall clock also
 * counts the other users' load */
static double
cpu_now (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int
fail (const GError *error)
{
  fprintf (stderr, "bench-spray: %s\n", error ? error->message : "failed");
  return 1;
}

/* One run of the timed pipeline: kNN (as --knn asks) + affinity + Laplacian,
 * eigenpairs, k-means on the row-normalised embedding (10 restarts). */
typedef struct {
  int      *idx, *labels, k;
  float    *ev, *emb;
  gboolean  approximate;
  double    t_knn, t_eigen, t_kmeans, total;
  double    cpu_knn, cpu_eigen, cpu_kmeans;
} Run;

static void
run_clear (Run *r)
{
  g_free (r->idx);
  g_free (r->labels);
  g_free (r->ev);
  g_free (r->emb);
}

static gboolean
pipeline (const float *x, int n, int d, int neighbors, int n_eig, const char *knn, int pca, int sketch,
          Run *run, GError **error)
{
  g_autoptr(RelParams) ap = rel_params_new (rel_spray_stage_affinity ());
  g_autofree char *pca_text = g_strdup_printf ("%d", pca), *sketch_text = g_strdup_printf ("%d", sketch);
  if (!rel_params_set (ap, "knn", knn, error) || !rel_params_set (ap, "pca", pca_text, error)
      || !rel_params_set (ap, "sketch", sketch_text, error))
    return FALSE;
  double t0 = now (), c0 = cpu_now ();
  run->idx = g_new (int, (gsize) n * neighbors);
  g_autofree float *d2 = g_new (float, (gsize) n * neighbors);
  if (!rel_spray_knn_auto (x, n, d, neighbors, ap, run->idx, d2, &run->approximate, NULL, NULL, NULL, error))
    return FALSE;
  g_autoptr(RelSparse) w = rel_spray_affinity (run->idx, d2, n, neighbors, NULL, error);
  if (!w)
    return FALSE;
  g_autoptr(RelSparse) l = rel_spray_laplacian (w, NULL, error);
  if (!l)
    return FALSE;
  double t1 = now (), c1 = cpu_now ();
  run->ev = g_new (float, n_eig);
  g_autofree float *z = g_new (float, (gsize) n * n_eig);
  g_autoptr(RelParams) ep = rel_params_new (rel_spray_stage_eigen ());
  if (!rel_spray_eigen (l, n_eig, ep, run->ev, z, NULL, NULL, NULL, error))
    return FALSE;
  int k = run->k = rel_spray_eigengap (run->ev, n_eig, 10);
  double t2 = now (), c2 = cpu_now ();
  run->emb = g_new (float, (gsize) n * k);
  for (int i = 0; i < n; i++)
    {
      double s = 0;
      for (int c = 0; c < k; c++)
        s += (double) z[(gsize) i * n_eig + c] * z[(gsize) i * n_eig + c];
      s = s > 0 ? 1 / sqrt (s) : 0;
      for (int c = 0; c < k; c++)
        run->emb[(gsize) i * k + c] = (float) (z[(gsize) i * n_eig + c] * s);
    }
  run->labels = g_new (int, n);
  if (rel_kmeans (run->emb, n, k, k, 10, 300, 0, run->labels, NULL, NULL, error) < 0)
    return FALSE;
  double t3 = now (), c3 = cpu_now ();
  run->cpu_knn = c1 - c0;
  run->cpu_eigen = c2 - c1;
  run->cpu_kmeans = c3 - c2;
  run->t_knn = t1 - t0;
  run->t_eigen = t2 - t1;
  run->t_kmeans = t3 - t2;
  run->total = t3 - t0;
  return TRUE;
}

/* Mean share of the exact k nearest neighbours (brute force through GEMM)
 * that @idx found, over @queries evenly spaced points. */
static double
recall_at_k (const float *x, int n, int d, int k, const int *idx, int queries)
{
  enum { QB = 64 };
  queries = MIN (queries, n);
  g_autofree float *norms = g_new (float, n);
  for (int i = 0; i < n; i++)
    {
      double s = 0;
      for (int c = 0; c < d; c++)
        s += (double) x[(gsize) i * d + c] * x[(gsize) i * d + c];
      norms[i] = (float) s;
    }
  g_autofree float *q = g_new (float, (gsize) QB * d);
  g_autofree float *g = g_new (float, (gsize) QB * n);
  g_autofree int *qi = g_new (int, QB);
  g_autofree float *best = g_new (float, k + 1);
  g_autofree int *best_i = g_new (int, k + 1);
  gint64 hits = 0;
  for (int q0 = 0; q0 < queries; q0 += QB)
    {
      int qn = MIN (QB, queries - q0);
      for (int r = 0; r < qn; r++)
        {
          qi[r] = (int) ((gint64) (q0 + r) * n / queries);
          memcpy (q + (gsize) r * d, x + (gsize) qi[r] * d, sizeof (float) * d);
        }
      rel_sgemm (FALSE, TRUE, qn, n, d, -2.0f, q, d, x, d, 0.0f, g, n);
      for (int r = 0; r < qn; r++)
        {
          int m = 0;
          for (int j = 0; j < n; j++)
            {
              if (j == qi[r])
                continue;
              float dd = g[(gsize) r * n + j] + norms[j];
              if (m == k && dd >= best[k - 1])
                continue;
              int pos = m < k ? m++ : k - 1;
              while (pos > 0 && best[pos - 1] > dd)
                {
                  best[pos] = best[pos - 1];
                  best_i[pos] = best_i[pos - 1];
                  pos--;
                }
              best[pos] = dd;
              best_i[pos] = j;
            }
          for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
              hits += idx[(gsize) qi[r] * k + a] == best_i[b];
        }
    }
  return (double) hits / ((double) queries * k);
}

int
main (int argc, char **argv)
{
  int n = 20000, clusters = 6, neighbors = 10, n_eig = 16, tsne = 0, pca = 48, compare_exact = 0;
  int recall_queries = 1000, sketch = 16;
  double max_seconds = 0, max_mib = 0, min_recall = 0, min_ari = 0;
  const char *save = NULL, *knn = "auto";
  for (int i = 1; i + 1 < argc; i += 2)
    {
      if (!strcmp (argv[i], "--n")) n = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--clusters")) clusters = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--neighbors")) neighbors = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--eigenvalues")) n_eig = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--save")) save = argv[i + 1];
      else if (!strcmp (argv[i], "--tsne")) tsne = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--knn")) knn = argv[i + 1];
      else if (!strcmp (argv[i], "--pca")) pca = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--sketch")) sketch = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--compare-exact")) compare_exact = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--recall-queries")) recall_queries = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--min-recall")) min_recall = g_ascii_strtod (argv[i + 1], NULL);
      else if (!strcmp (argv[i], "--min-ari")) min_ari = g_ascii_strtod (argv[i + 1], NULL);
      else if (!strcmp (argv[i], "--max-seconds")) max_seconds = g_ascii_strtod (argv[i + 1], NULL);
      else if (!strcmp (argv[i], "--max-mib")) max_mib = g_ascii_strtod (argv[i + 1], NULL);
      else
        {
          fprintf (stderr, "unknown option %s\n", argv[i]);
          return 2;
        }
    }
  if (n < 100 || clusters < 2 || clusters > 64 || pca < 0 || recall_queries < 1)
    return 2;
  const int side = 32, d = side * side;
  g_autoptr(GError) error = NULL;

  /* prototypes: a few Gaussian bumps each; samples: prototype × scale + noise, unit sum */
  g_autoptr(GRand) rng = g_rand_new_with_seed (20000);
  g_autofree float *proto = g_new0 (float, (gsize) clusters * d);
  for (int c = 0; c < clusters; c++)
    for (int b = 0; b < 3; b++)
      {
        double cx = g_rand_double_range (rng, 4, 28), cy = g_rand_double_range (rng, 4, 28);
        double s = g_rand_double_range (rng, 1.5, 4), a = g_rand_double_range (rng, 0.5, 1);
        for (int y = 0; y < side; y++)
          for (int x = 0; x < side; x++)
            proto[(gsize) c * d + y * side + x] += (float) (a * exp (-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * s * s)));
      }
  g_autofree float *x = g_new (float, (gsize) n * d);
  g_autofree int *truth = g_new (int, n);
  for (int i = 0; i < n; i++)
    {
      int c = g_rand_int_range (rng, 0, clusters);
      double scale = g_rand_double_range (rng, 0.7, 1.3), sum = 0;
      truth[i] = c;
      float *xi = x + (gsize) i * d;
      for (int q = 0; q < d; q++)
        {
          xi[q] = (float) (scale * proto[(gsize) c * d + q] + 0.15 * g_rand_double_range (rng, -1, 1));
          sum += fabsf (xi[q]);
        }
      for (int q = 0; q < d; q++)
        xi[q] = (float) (xi[q] / sum);
    }
  if (save)
    {
      int64_t shape[2] = { n, d };
      g_autoptr(RelTensor) t = rel_tensor_new_from_f32 (2, shape, x, &error);
      if (!t || !rel_npy_save (save, t, &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      g_autofree char *labels = g_strconcat (save, ".labels", NULL);
      GString *s = g_string_new (NULL);
      for (int i = 0; i < n; i++)
        g_string_append_printf (s, "%d\n", truth[i]);
      g_file_set_contents (labels, s->str, s->len, NULL);
      g_string_free (s, TRUE);
    }
  double base_mib = peak_mib ();

  Run run = { 0 };
  if (!pipeline (x, n, d, neighbors, n_eig, knn, pca, sketch, &run, &error))
    return fail (error);
  double peak = peak_mib ();
  double ari = rel_adjusted_rand_index (run.labels, truth, n);
  g_autofree char *pca_note = run.approximate && pca > 0 ? g_strdup_printf (" (PCA to %d + %d sketched)", pca, sketch) : g_strdup ("");
  printf ("spray n=%d d=%d neighbors=%d eigenvalues=%d blas_threads=%d knn=%s%s: knn+affinity+laplacian %.2f s, "
          "eigen %.2f s, kmeans %.2f s, total %.2f s; peak %.0f MiB (data alone %.0f MiB); "
          "suggested k %d (planted %d), ARI %.4f; lambda_2..4 %.5f %.5f %.5f; "
          "CPU seconds (all threads) knn %.2f, eigen %.2f, kmeans %.2f\n",
          n, d, neighbors, n_eig, rel_blas_get_threads (), run.approximate ? "approximate" : "exact",
          pca_note,
          run.t_knn, run.t_eigen, run.t_kmeans, run.total, peak, base_mib,
          run.k, clusters, ari, run.ev[1], run.ev[2], run.ev[3], run.cpu_knn, run.cpu_eigen, run.cpu_kmeans);
  double recall = -1, ari_exact = -1;
  if (run.approximate)
    {
      recall = recall_at_k (x, n, d, neighbors, run.idx, recall_queries);
      printf ("spray approximate kNN: recall@%d %.4f over %d queries (exact neighbours in %d dimensions)\n",
              neighbors, recall, MIN (recall_queries, n), d);
      if (pca > 0 && pca < d)
        {
          /* the search's own error, apart from the projection's: the same
           * (deterministic) PCA, exact neighbours in it */
          g_autoptr(RelParams) ap = rel_params_new (rel_spray_stage_affinity ());
          g_autofree float *y = g_new (float, (gsize) n * (pca + sketch));
          if (!rel_spray_project (x, n, d, pca, sketch, (guint64) rel_params_get_int (ap, "knn-seed"), y, NULL, NULL,
                                  &error))
            return fail (error);
          printf ("spray approximate kNN: recall@%d %.4f against the exact neighbours in the %d projected dimensions\n",
                  neighbors, recall_at_k (y, n, pca + sketch, neighbors, run.idx, recall_queries), pca + sketch);
        }
      if (compare_exact)
        {
          Run exact = { 0 };
          if (!pipeline (x, n, d, neighbors, n_eig, "exact", 0, 0, &exact, &error))
            return fail (error);
          ari_exact = rel_adjusted_rand_index (run.labels, exact.labels, n);
          printf ("spray exact pipeline on the same points: total %.2f s (knn %.2f s), ARI vs truth %.4f; "
                  "approximate vs exact ARI %.4f, speed-up %.1f×\n",
                  exact.total, exact.t_knn, rel_adjusted_rand_index (exact.labels, truth, n), ari_exact,
                  exact.total / run.total);
          run_clear (&exact);
        }
    }
  double total = run.total;
  const float *emb = run.emb;
  int k = run.k;
  if (tsne)
    {
      g_autofree float *y = g_new (float, 2 * (gsize) n);
      double t4 = now ();
      if (!rel_spray_tsne (emb, n, k, NULL, y, NULL, NULL, NULL, &error))
        return fail (error);
      printf ("spray t-SNE (Barnes–Hut, 1000 iterations) of the %d-D embedding: %.2f s; peak %.0f MiB\n",
              k, now () - t4, peak_mib ());
    }
  if (max_seconds > 0 && total > max_seconds)
    {
      fprintf (stderr, "too slow: %.2f s > %.2f s\n", total, max_seconds);
      return 1;
    }
  if (max_mib > 0 && peak > max_mib)
    {
      fprintf (stderr, "too much memory: %.0f MiB > %.0f MiB\n", peak, max_mib);
      return 1;
    }
  if (min_recall > 0 && recall >= 0 && recall < min_recall)
    {
      fprintf (stderr, "recall too low: %.4f < %.4f\n", recall, min_recall);
      return 1;
    }
  if (min_ari > 0 && ari_exact >= 0 && ari_exact < min_ari)
    {
      fprintf (stderr, "ARI against the exact pipeline too low: %.4f < %.4f\n", ari_exact, min_ari);
      return 1;
    }
  run_clear (&run);
  return 0;
}
