/* rel-cluster.c — k-means (k-means++ seeding), Ward agglomerative clustering
 * and DBSCAN on a (small-dimensional) embedding, and the adjusted Rand index.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-spray.h"
#include "rel-error.h"

#include <math.h>
#include <string.h>

static const char *const algorithm_choices[] = { "kmeans", "agglomerative", "dbscan", NULL };

static const RelParamSpec cluster_specs[] = {
  { "algorithm", REL_PARAM_CHOICE, "Clustering of the spectral embedding", 0, 0, 0, "",
    algorithm_choices, "kmeans" },
  { "k", REL_PARAM_INT, "Number of clusters; 0 takes the eigengap's suggestion", 0, 0, 100, "" },
  { "n-init", REL_PARAM_INT, "k-means: seeded restarts, the best inertia wins", 10, 1, 1000, "" },
  { "max-iter", REL_PARAM_INT, "k-means: Lloyd iterations per restart", 300, 1, 100000, "" },
  { "seed", REL_PARAM_INT, "k-means: seed of the k-means++ draws", 0, 0, G_MAXINT, "" },
  { "eps", REL_PARAM_FLOAT, "DBSCAN: neighbourhood radius in the row-normalised embedding", 0.2, 1e-6, 10, "",
    NULL, NULL, TRUE },
  { "min-samples", REL_PARAM_INT, "DBSCAN: points within eps that make a core point", 5, 1, 10000, "" },
  { "max-k", REL_PARAM_INT, "Largest k considered by the eigengap and stored as kmeans-NN", 10, 2, 64, "" },
  { "nearest", REL_PARAM_INT, "Images listed as closest to each cluster's centre", 8, 0, 1000, "" },
};

static const RelMethodDef cluster_def = {
  "spray-cluster", "Clustering", "Clusters of the spectral embedding", "spray",
  cluster_specs, G_N_ELEMENTS (cluster_specs), FALSE, NULL,
};

const RelMethodDef *
rel_spray_stage_cluster (void)
{
  return &cluster_def;
}

static inline double
sqdist (const float *a, const float *b, int d)
{
  double s = 0;
  for (int c = 0; c < d; c++)
    {
      double t = (double) a[c] - b[c];
      s += t * t;
    }
  return s;
}

static gboolean
cancelled (volatile gint *cancel, GError **error)
{
  if (cancel && g_atomic_int_get (cancel))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
      return TRUE;
    }
  return FALSE;
}

/* One k-means run; returns the inertia. */
static double
kmeans_once (const float *x, int n, int d, int k, int max_iter, GRand *rng, int *labels, float *centers,
             double *mind)
{
  /* k-means++: first centre uniform, then proportional to D² (with sklearn's
   * 2 + log k local trials, the best by the resulting potential). */
  int trials = 2 + (int) log (k);
  int first = g_rand_int_range (rng, 0, n);
  memcpy (centers, x + (gsize) first * d, sizeof (float) * d);
  double pot = 0;
  for (int i = 0; i < n; i++)
    pot += mind[i] = sqdist (x + (gsize) i * d, centers, d);
  g_autofree double *cand_d = g_new (double, n);
  g_autofree double *best_d = g_new (double, n);
  for (int c = 1; c < k; c++)
    {
      double best_pot = INFINITY;
      int best = 0;
      for (int t = 0; t < trials; t++)
        {
          double r = g_rand_double (rng) * pot, acc = 0;
          int pick = n - 1;
          for (int i = 0; i < n; i++)
            {
              acc += mind[i];
              if (acc > r)
                {
                  pick = i;
                  break;
                }
            }
          double p = 0;
          for (int i = 0; i < n; i++)
            {
              cand_d[i] = MIN (mind[i], sqdist (x + (gsize) i * d, x + (gsize) pick * d, d));
              p += cand_d[i];
            }
          if (p < best_pot)
            {
              best_pot = p;
              best = pick;
              memcpy (best_d, cand_d, sizeof (double) * n);
            }
        }
      memcpy (centers + (gsize) c * d, x + (gsize) best * d, sizeof (float) * d);
      memcpy (mind, best_d, sizeof (double) * n);
      pot = best_pot;
    }
  /* Lloyd */
  g_autofree double *sum = g_new (double, (gsize) k * d);
  g_autofree int *count = g_new (int, k);
  double inertia = INFINITY;
  for (int it = 0; it < max_iter; it++)
    {
      gboolean changed = FALSE;
      inertia = 0;
      for (int i = 0; i < n; i++)
        {
          double bd = INFINITY;
          int bl = 0;
          for (int c = 0; c < k; c++)
            {
              double dd = sqdist (x + (gsize) i * d, centers + (gsize) c * d, d);
              if (dd < bd)
                {
                  bd = dd;
                  bl = c;
                }
            }
          if (it == 0 || labels[i] != bl)
            changed = TRUE;
          labels[i] = bl;
          mind[i] = bd;
          inertia += bd;
        }
      if (!changed)
        break;
      memset (sum, 0, sizeof (double) * k * d);
      memset (count, 0, sizeof (int) * k);
      for (int i = 0; i < n; i++)
        {
          count[labels[i]]++;
          for (int c = 0; c < d; c++)
            sum[(gsize) labels[i] * d + c] += x[(gsize) i * d + c];
        }
      for (int c = 0; c < k; c++)
        {
          if (count[c] == 0)
            {
              /* an empty cluster takes the point farthest from its centre */
              int far = 0;
              for (int i = 1; i < n; i++)
                if (mind[i] > mind[far])
                  far = i;
              memcpy (centers + (gsize) c * d, x + (gsize) far * d, sizeof (float) * d);
              mind[far] = 0;
              continue;
            }
          for (int q = 0; q < d; q++)
            centers[(gsize) c * d + q] = (float) (sum[(gsize) c * d + q] / count[c]);
        }
    }
  return inertia;
}

double
rel_kmeans (const float *x, int n, int d, int k, int n_init, int max_iter, guint64 seed,
            int *labels, float *centers, volatile gint *cancel, GError **error)
{
  if (n < 1 || d < 1 || k < 1 || k > n || n_init < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "k-means: k = %d for %d points", k, n);
      return -1;
    }
  g_autoptr(GRand) rng = g_rand_new_with_seed ((guint32) (seed ^ (seed >> 32)));
  g_autofree float *c = g_new (float, (gsize) k * d);
  g_autofree int *l = g_new (int, n);
  g_autofree double *mind = g_new (double, n);
  double best = INFINITY;
  for (int r = 0; r < n_init; r++)
    {
      if (cancelled (cancel, error))
        return -1;
      double inertia = kmeans_once (x, n, d, k, max_iter, rng, l, c, mind);
      if (inertia < best)
        {
          best = inertia;
          memcpy (labels, l, sizeof (int) * n);
          if (centers)
            memcpy (centers, c, sizeof (float) * k * d);
        }
    }
  return best;
}

static int
uf_find (int *parent, int i)
{
  while (parent[i] != i)
    {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
  return i;
}

typedef struct { double dist; int a, b; } Merge;

static int
merge_cmp (const void *p, const void *q)
{
  const Merge *x = p, *y = q;
  return x->dist < y->dist ? -1 : x->dist > y->dist ? 1 : 0;
}

gboolean
rel_ward (const float *x, int n, int d, int k, int *labels, volatile gint *cancel, GError **error)
{
  if (n < 1 || k < 1 || k > n)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "Ward: k = %d for %d points", k, n);
      return FALSE;
    }
  /* Nearest-neighbour chain on centroids: Ward's distance between clusters a
   * and b is |a||b|/(|a|+|b|)·‖c_a − c_b‖², reducible, so the chain finds the
   * same merges as the greedy algorithm; the merges sorted by distance then
   * give the dendrogram. */
  g_autofree double *cent = g_new (double, (gsize) n * d);
  g_autofree int *size = g_new (int, n);
  g_autofree gboolean *active = g_new (gboolean, n);
  g_autofree int *chain = g_new (int, n);
  g_autofree Merge *merges = g_new (Merge, MAX (n - 1, 1));
  g_autofree int *rep = g_new (int, n);   /* a point of each active cluster */
  for (int i = 0; i < n; i++)
    {
      for (int c = 0; c < d; c++)
        cent[(gsize) i * d + c] = x[(gsize) i * d + c];
      size[i] = 1;
      active[i] = TRUE;
      rep[i] = i;
    }
  int n_merges = 0, len = 0;
  while (n_merges < n - 1)
    {
      if ((n_merges & 63) == 0 && cancelled (cancel, error))
        return FALSE;
      if (len == 0)
        {
          for (int i = 0; i < n; i++)
            if (active[i])
              {
                chain[len++] = i;
                break;
              }
        }
      int a = chain[len - 1];
      int prev = len > 1 ? chain[len - 2] : -1;
      double best = INFINITY;
      int bn = -1;
      for (int j = 0; j < n; j++)
        {
          if (!active[j] || j == a)
            continue;
          double s = 0;
          for (int c = 0; c < d; c++)
            {
              double t = cent[(gsize) a * d + c] - cent[(gsize) j * d + c];
              s += t * t;
            }
          s *= (double) size[a] * size[j] / (size[a] + size[j]);
          if (s < best || (s == best && j == prev))
            {
              best = s;
              bn = j;
            }
        }
      if (bn == prev)
        {
          /* reciprocal nearest neighbours: merge b into a */
          len -= 2;
          for (int c = 0; c < d; c++)
            cent[(gsize) a * d + c] = (cent[(gsize) a * d + c] * size[a] + cent[(gsize) bn * d + c] * size[bn])
                                      / (size[a] + size[bn]);
          size[a] += size[bn];
          active[bn] = FALSE;
          merges[n_merges++] = (Merge) { best, rep[a], rep[bn] };
        }
      else
        chain[len++] = bn;
    }
  qsort (merges, n_merges, sizeof (Merge), merge_cmp);
  g_autofree int *parent = g_new (int, n);
  for (int i = 0; i < n; i++)
    parent[i] = i;
  for (int m = 0; m < n - k; m++)
    parent[uf_find (parent, merges[m].a)] = uf_find (parent, merges[m].b);
  g_autofree int *id = g_new (int, n);
  for (int i = 0; i < n; i++)
    id[i] = -1;
  int next = 0;
  for (int i = 0; i < n; i++)
    {
      int r = uf_find (parent, i);
      if (id[r] < 0)
        id[r] = next++;
      labels[i] = id[r];
    }
  return TRUE;
}

int
rel_dbscan (const float *x, int n, int d, double eps, int min_samples, int *labels,
            volatile gint *cancel, GError **error)
{
  if (n < 1 || eps <= 0 || min_samples < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "DBSCAN: bad parameters");
      return -1;
    }
  double eps2 = eps * eps;
  g_autofree int *stack = g_new (int, n);
  g_autofree int *nbr = g_new (int, n);
  for (int i = 0; i < n; i++)
    labels[i] = -2;  /* unvisited */
  int n_clusters = 0;
  for (int i = 0; i < n; i++)
    {
      if (labels[i] != -2)
        continue;
      if (cancelled (cancel, error))
        return -1;
      int cnt = 0;
      for (int j = 0; j < n; j++)
        if (sqdist (x + (gsize) i * d, x + (gsize) j * d, d) <= eps2)
          cnt++;
      if (cnt < min_samples)
        {
          labels[i] = -1;
          continue;
        }
      int c = n_clusters++;
      int top = 0;
      labels[i] = c;
      stack[top++] = i;
      while (top > 0)
        {
          int p = stack[--top];
          int m = 0;
          for (int j = 0; j < n; j++)
            if (sqdist (x + (gsize) p * d, x + (gsize) j * d, d) <= eps2)
              nbr[m++] = j;
          if (m < min_samples)
            continue;  /* border point: part of the cluster, does not expand it */
          for (int q = 0; q < m; q++)
            {
              int j = nbr[q];
              if (labels[j] == -1)
                labels[j] = c;
              else if (labels[j] == -2)
                {
                  labels[j] = c;
                  stack[top++] = j;
                }
            }
        }
    }
  return n_clusters;
}

double
rel_adjusted_rand_index (const int *a, const int *b, int n)
{
  /* relabel both to 0..ka−1, 0..kb−1 */
  g_autoptr(GHashTable) ma = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr(GHashTable) mb = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autofree int *ra = g_new (int, n);
  g_autofree int *rb = g_new (int, n);
  for (int i = 0; i < n; i++)
    {
      gpointer v;
      if (!g_hash_table_lookup_extended (ma, GINT_TO_POINTER (a[i]), NULL, &v))
        {
          v = GINT_TO_POINTER (g_hash_table_size (ma));
          g_hash_table_insert (ma, GINT_TO_POINTER (a[i]), v);
        }
      ra[i] = GPOINTER_TO_INT (v);
      if (!g_hash_table_lookup_extended (mb, GINT_TO_POINTER (b[i]), NULL, &v))
        {
          v = GINT_TO_POINTER (g_hash_table_size (mb));
          g_hash_table_insert (mb, GINT_TO_POINTER (b[i]), v);
        }
      rb[i] = GPOINTER_TO_INT (v);
    }
  int ka = g_hash_table_size (ma), kb = g_hash_table_size (mb);
  g_autofree double *table = g_new0 (double, (gsize) ka * kb);
  g_autofree double *sa = g_new0 (double, ka);
  g_autofree double *sb = g_new0 (double, kb);
  for (int i = 0; i < n; i++)
    {
      table[(gsize) ra[i] * kb + rb[i]]++;
      sa[ra[i]]++;
      sb[rb[i]]++;
    }
#define C2(v) ((v) * ((v) - 1) / 2)
  double sum_ij = 0, sum_a = 0, sum_b = 0;
  for (gsize p = 0; p < (gsize) ka * kb; p++)
    sum_ij += C2 (table[p]);
  for (int i = 0; i < ka; i++)
    sum_a += C2 (sa[i]);
  for (int j = 0; j < kb; j++)
    sum_b += C2 (sb[j]);
  double total = C2 ((double) n);
#undef C2
  double expected = sum_a * sum_b / total;
  double max_index = (sum_a + sum_b) / 2;
  if (max_index == expected)
    return 1.0;  /* both trivial (sklearn's convention) */
  return (sum_ij - expected) / (max_index - expected);
}
