/* bench-spray.c — SpRAy's analysis at scale: N synthetic heatmaps pooled to
 * 32×32 (seeded "strategies": a prototype pattern per cluster, scaled and
 * noisy) through the kNN affinity, the Laplacian's eigenpairs and k-means,
 * with the time of each stage and the peak memory (VmHWM).
 *
 *   bench-spray [--n 20000] [--clusters 6] [--neighbors 10] [--eigenvalues 16]
 *               [--save FILE.npy] [--max-seconds S] [--max-mib M] [--tsne 1]
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

static int
fail (const GError *error)
{
  fprintf (stderr, "bench-spray: %s\n", error ? error->message : "failed");
  return 1;
}

int
main (int argc, char **argv)
{
  int n = 20000, clusters = 6, neighbors = 10, n_eig = 16, tsne = 0;
  double max_seconds = 0, max_mib = 0;
  const char *save = NULL;
  for (int i = 1; i + 1 < argc; i += 2)
    {
      if (!strcmp (argv[i], "--n")) n = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--clusters")) clusters = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--neighbors")) neighbors = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--eigenvalues")) n_eig = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--save")) save = argv[i + 1];
      else if (!strcmp (argv[i], "--tsne")) tsne = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--max-seconds")) max_seconds = g_ascii_strtod (argv[i + 1], NULL);
      else if (!strcmp (argv[i], "--max-mib")) max_mib = g_ascii_strtod (argv[i + 1], NULL);
      else
        {
          fprintf (stderr, "unknown option %s\n", argv[i]);
          return 2;
        }
    }
  if (n < 100 || clusters < 2 || clusters > 64)
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

  double t0 = now ();
  g_autofree int *idx = g_new (int, (gsize) n * neighbors);
  g_autofree float *d2 = g_new (float, (gsize) n * neighbors);
  if (!rel_spray_knn (x, n, d, neighbors, idx, d2, NULL, NULL, NULL, &error))
    return fail (error);
  g_autoptr(RelSparse) w = rel_spray_affinity (idx, d2, n, neighbors, NULL, &error);
  if (!w)
    return fail (error);
  g_autoptr(RelSparse) l = rel_spray_laplacian (w, NULL, &error);
  if (!l)
    return fail (error);
  double t1 = now ();
  g_autofree float *ev = g_new (float, n_eig);
  g_autofree float *z = g_new (float, (gsize) n * n_eig);
  g_autoptr(RelParams) ep = rel_params_new (rel_spray_stage_eigen ());
  if (!rel_spray_eigen (l, n_eig, ep, ev, z, NULL, NULL, NULL, &error))
    return fail (error);
  int k = rel_spray_eigengap (ev, n_eig, 10);
  double t2 = now ();
  /* k-means on the row-normalised first k eigenvectors, 10 restarts */
  g_autofree float *emb = g_new (float, (gsize) n * k);
  for (int i = 0; i < n; i++)
    {
      double s = 0;
      for (int c = 0; c < k; c++)
        s += (double) z[(gsize) i * n_eig + c] * z[(gsize) i * n_eig + c];
      s = s > 0 ? 1 / sqrt (s) : 0;
      for (int c = 0; c < k; c++)
        emb[(gsize) i * k + c] = (float) (z[(gsize) i * n_eig + c] * s);
    }
  g_autofree int *labels = g_new (int, n);
  if (rel_kmeans (emb, n, k, k, 10, 300, 0, labels, NULL, NULL, &error) < 0)
    return fail (error);
  double t3 = now ();
  double total = t3 - t0, peak = peak_mib ();
  double ari = rel_adjusted_rand_index (labels, truth, n);
  printf ("spray n=%d d=%d neighbors=%d eigenvalues=%d blas_threads=%d: knn+affinity+laplacian %.2f s, "
          "eigen %.2f s, kmeans %.2f s, total %.2f s; peak %.0f MiB (data alone %.0f MiB); "
          "suggested k %d (planted %d), ARI %.4f; lambda_2..4 %.5f %.5f %.5f\n",
          n, d, neighbors, n_eig, rel_blas_get_threads (), t1 - t0, t2 - t1, t3 - t2, total, peak, base_mib,
          k, clusters, ari, ev[1], ev[2], ev[3]);
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
  return 0;
}
