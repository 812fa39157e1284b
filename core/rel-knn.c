/* rel-knn.c — exact k nearest neighbours by blocked GEMM, the sparse kNN
 * affinity and the symmetric normalised Laplacian.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-spray.h"
#include "rel-blas.h"
#include "rel-error.h"

#include <math.h>
#include <string.h>

void
rel_sparse_free (RelSparse *s)
{
  if (s == NULL)
    return;
  g_free (s->rowptr);
  g_free (s->col);
  g_free (s->val);
  g_free (s);
}

void
rel_sparse_mv (const RelSparse *s, const float *x, float *y)
{
  for (int i = 0; i < s->n; i++)
    {
      double acc = 0;
      for (int p = s->rowptr[i]; p < s->rowptr[i + 1]; p++)
        acc += (double) s->val[p] * x[s->col[p]];
      y[i] = (float) acc;
    }
}

void
rel_sparse_mm (const RelSparse *s, const float *x, int m, float *y)
{
  for (int i = 0; i < s->n; i++)
    {
      float *yi = y + (gsize) i * m;
      memset (yi, 0, sizeof (float) * m);
      for (int p = s->rowptr[i]; p < s->rowptr[i + 1]; p++)
        {
          const float v = s->val[p];
          const float *xj = x + (gsize) s->col[p] * m;
          for (int c = 0; c < m; c++)
            yi[c] += v * xj[c];
        }
    }
}

/* Max-heap of the k best (smallest) candidates for one row. */
static inline void
heap_push (float *hd, int *hi, int *size, int k, float d, int j)
{
  int s = *size;
  if (s == k)
    {
      if (d >= hd[0])
        return;
      /* replace the root and sift down */
      int pos = 0;
      for (;;)
        {
          int c = 2 * pos + 1;
          if (c >= k)
            break;
          if (c + 1 < k && hd[c + 1] > hd[c])
            c++;
          if (hd[c] <= d)
            break;
          hd[pos] = hd[c];
          hi[pos] = hi[c];
          pos = c;
        }
      hd[pos] = d;
      hi[pos] = j;
      return;
    }
  int pos = s++;
  while (pos > 0)
    {
      int parent = (pos - 1) / 2;
      if (hd[parent] >= d)
        break;
      hd[pos] = hd[parent];
      hi[pos] = hi[parent];
      pos = parent;
    }
  hd[pos] = d;
  hi[pos] = j;
  *size = s;
}

gboolean
rel_spray_knn (const float *x, int n, int d, int k, int *idx, float *dist2,
               volatile gint *cancel, RelSprayProgress progress, gpointer progress_data,
               GError **error)
{
  enum { BLOCK = 256 };
  if (n < 2 || d < 1 || k < 1 || k >= n || n > REL_SPRAY_MAX_POINTS)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "kNN needs 1 ≤ k < n (k = %d, n = %d, d = %d)", k, n, d);
      return FALSE;
    }
  g_autofree float *norms = g_new (float, n);
  g_autofree float *block = g_try_new (float, (gsize) BLOCK * n);
  if (block == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for the kNN distance block");
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    {
      double s = 0;
      const float *xi = x + (gsize) i * d;
      for (int c = 0; c < d; c++)
        s += (double) xi[c] * xi[c];
      norms[i] = (float) s;
    }
  /* Distances are symmetric: block row b0 only meets columns ≥ b0, and each
   * entry feeds both rows' heaps, which halves the GEMM work. The heaps live
   * in @idx/@dist2 themselves until the final sort. */
  g_autofree int *size = g_new0 (int, n);
  for (int b0 = 0; b0 < n; b0 += BLOCK)
    {
      int bn = MIN (BLOCK, n - b0);
      int width = n - b0;
      if (cancel && g_atomic_int_get (cancel))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
          return FALSE;
        }
      /* block = −2 X_b X_{b0..}ᵀ; the norms are added per entry below */
      rel_sgemm (FALSE, TRUE, bn, width, d, -2.0f, x + (gsize) b0 * d, d, x + (gsize) b0 * d, d,
                 0.0f, block, width);
      for (int r = 0; r < bn; r++)
        {
          const int i = b0 + r;
          const float *row = block + (gsize) r * width - b0;
          float *hd = dist2 + (gsize) i * k;
          int *hi = idx + (gsize) i * k;
          const float ni = norms[i];
          for (int j = i + 1; j < n; j++)
            {
              float dd = MAX (row[j] + ni + norms[j], 0.0f);
              if (size[i] < k || dd < hd[0])
                heap_push (hd, hi, &size[i], k, dd, j);
              if (size[j] < k || dd < dist2[(gsize) j * k])
                heap_push (dist2 + (gsize) j * k, idx + (gsize) j * k, &size[j], k, dd, i);
            }
        }
      if (progress)
        {
          double done = (double) (b0 + bn) / n;
          progress ("knn", 1 - (1 - done) * (1 - done), progress_data);
        }
    }
  for (int i = 0; i < n; i++)
    {
      float *hd = dist2 + (gsize) i * k;
      int *hi = idx + (gsize) i * k;
      /* heap → ascending order (heap sort in place) */
      for (int s = k - 1; s > 0; s--)
        {
          float ld = hd[s]; int li = hi[s];
          hd[s] = hd[0]; hi[s] = hi[0];
          int pos = 0;
          for (;;)
            {
              int c = 2 * pos + 1;
              if (c >= s)
                break;
              if (c + 1 < s && hd[c + 1] > hd[c])
                c++;
              if (hd[c] <= ld)
                break;
              hd[pos] = hd[c]; hi[pos] = hi[c];
              pos = c;
            }
          hd[pos] = ld; hi[pos] = li;
        }
    }
  return TRUE;
}

static const char *const kernel_choices[] = { "binary", "gaussian", NULL };
static const char *const knn_choices[] = { "auto", "exact", "approximate", NULL };

static const RelParamSpec affinity_specs[] = {
  { "neighbors", REL_PARAM_INT, "Neighbours per image in the kNN graph", 10, 1, 1000, "" },
  { "kernel", REL_PARAM_CHOICE, "Edge weight: 1 per neighbour, or a Gaussian of the distance", 0, 0, 0, "",
    kernel_choices, "binary" },
  { "bandwidth", REL_PARAM_FLOAT, "Gaussian σ; 0 picks the mean distance to the k-th neighbour", 0, 0, 1e6, "",
    NULL, NULL, FALSE },
  { "knn", REL_PARAM_CHOICE, "Neighbour search: exact, approximate (RP forest + NN-descent), or auto "
    "(approximate from 100,000 images)", 0, 0, 0, "", knn_choices, "auto" },
  { "pca", REL_PARAM_INT, "Principal components the approximate search works in (0: the pooled maps as they are)",
    48, 0, 4096, "" },
  { "sketch", REL_PARAM_INT, "Random-projection dimensions of what the principal components leave (with pca > 0)",
    16, 0, 4096, "" },
  { "knn-seed", REL_PARAM_INT, "Seed of the approximate search's forest and of the PCA sketch", 0, 0, G_MAXINT, "" },
};

static const RelMethodDef affinity_def = {
  "spray-affinity", "Affinity", "Sparse symmetric kNN affinity", "spray",
  affinity_specs, G_N_ELEMENTS (affinity_specs), FALSE, NULL,
};

const RelMethodDef *
rel_spray_stage_affinity (void)
{
  return &affinity_def;
}

gboolean
rel_spray_knn_auto (const float *x, int n, int d, int k, const RelParams *affinity, int *idx, float *dist2,
                    gboolean *approximate, volatile gint *cancel, RelSprayProgress progress,
                    gpointer progress_data, GError **error)
{
  g_autoptr(RelParams) defaults = NULL;
  if (affinity == NULL)
    affinity = defaults = rel_params_new (&affinity_def);
  const char *mode = rel_params_get_string (affinity, "knn");
  gboolean approx = g_strcmp0 (mode, "approximate") == 0
                    || (g_strcmp0 (mode, "auto") == 0 && n >= REL_SPRAY_APPROX_MIN);
  if (approximate)
    *approximate = approx;
  if (!approx)
    return rel_spray_knn (x, n, d, k, idx, dist2, cancel, progress, progress_data, error);
  int dp = rel_params_get_int (affinity, "pca");
  guint64 seed = (guint64) rel_params_get_int (affinity, "knn-seed");
  if (dp <= 0 || dp >= d || dp >= n)
    return rel_spray_knn_approx (x, n, d, k, seed, idx, dist2, cancel, progress, progress_data, error);
  int ds = rel_params_get_int (affinity, "sketch");
  g_autofree float *y = g_try_new (float, (gsize) n * (dp + ds));
  if (y == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for the PCA of %d points", n);
      return FALSE;
    }
  if (!rel_spray_project (x, n, d, dp, ds, seed, y, NULL, NULL, error))
    return FALSE;
  return rel_spray_knn_approx (y, n, dp + ds, k, seed, idx, dist2, cancel, progress, progress_data, error);
}

typedef struct { int i, j; float v; } Triplet;

static int
triplet_cmp (const void *a, const void *b)
{
  const Triplet *x = a, *y = b;
  if (x->i != y->i)
    return x->i < y->i ? -1 : 1;
  if (x->j != y->j)
    return x->j < y->j ? -1 : 1;
  return 0;
}

RelSparse *
rel_spray_affinity (const int *idx, const float *dist2, int n, int k,
                    const RelParams *params, GError **error)
{
  g_autoptr(RelParams) defaults = NULL;
  if (params == NULL)
    params = defaults = rel_params_new (&affinity_def);
  gboolean gaussian = g_strcmp0 (rel_params_get_string (params, "kernel"), "gaussian") == 0;
  double sigma = rel_params_get_float (params, "bandwidth");
  if (n < 1 || k < 1 || (gint64) n * k > G_MAXINT / 2)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "bad kNN graph size");
      return NULL;
    }
  if (gaussian && sigma <= 0)
    {
      double s = 0;
      for (int i = 0; i < n; i++)
        s += sqrt (MAX (dist2[(gsize) i * k + k - 1], 0.0f));
      sigma = s / n;
      if (!(sigma > 0))
        sigma = 1;
    }
  gsize nt = (gsize) n * k * 2;
  g_autofree Triplet *t = g_new (Triplet, nt);
  gsize c = 0;
  for (int i = 0; i < n; i++)
    for (int q = 0; q < k; q++)
      {
        int j = idx[(gsize) i * k + q];
        if (j < 0 || j >= n || j == i)
          continue;
        float v = gaussian ? (float) exp (-dist2[(gsize) i * k + q] / (2 * sigma * sigma)) : 1.0f;
        t[c++] = (Triplet) { i, j, 0.5f * v };
        t[c++] = (Triplet) { j, i, 0.5f * v };
      }
  qsort (t, c, sizeof (Triplet), triplet_cmp);
  RelSparse *s = g_new0 (RelSparse, 1);
  s->n = n;
  s->rowptr = g_new0 (int, n + 1);
  s->col = g_new (int, MAX (c, 1));
  s->val = g_new (float, MAX (c, 1));
  int nnz = 0;
  for (gsize p = 0; p < c; p++)
    {
      if (nnz > 0 && p > 0 && t[p].i == t[p - 1].i && t[p].j == t[p - 1].j)
        {
          s->val[nnz - 1] += t[p].v;  /* mutual neighbours: (A + Aᵀ)/2 sums both halves */
          continue;
        }
      s->col[nnz] = t[p].j;
      s->val[nnz] = t[p].v;
      s->rowptr[t[p].i + 1]++;
      nnz++;
    }
  for (int i = 0; i < n; i++)
    s->rowptr[i + 1] += s->rowptr[i];
  return s;
}

RelSparse *
rel_spray_laplacian (const RelSparse *w, float *dinv_sqrt, GError **error)
{
  int n = w->n;
  g_autofree float *dis = g_new (float, n);
  for (int i = 0; i < n; i++)
    {
      double deg = 0;
      for (int p = w->rowptr[i]; p < w->rowptr[i + 1]; p++)
        if (w->col[p] != i)
          deg += w->val[p];
      dis[i] = deg > 0 ? (float) (1.0 / sqrt (deg)) : 0.0f;
    }
  RelSparse *l = g_new0 (RelSparse, 1);
  int nnz = w->rowptr[n] + n;
  l->n = n;
  l->rowptr = g_new (int, n + 1);
  l->col = g_new (int, nnz);
  l->val = g_new (float, nnz);
  int c = 0;
  l->rowptr[0] = 0;
  for (int i = 0; i < n; i++)
    {
      gboolean diag = FALSE;
      for (int p = w->rowptr[i]; p <= w->rowptr[i + 1]; p++)
        {
          int j = p < w->rowptr[i + 1] ? w->col[p] : G_MAXINT;
          if (!diag && j >= i)
            {
              l->col[c] = i;
              l->val[c++] = 1.0f;   /* sklearn's convention: isolated points also get 1 */
              diag = TRUE;
            }
          if (j == G_MAXINT)
            break;
          if (j == i)
            continue;
          l->col[c] = j;
          l->val[c++] = -w->val[p] * dis[i] * dis[j];
        }
      l->rowptr[i + 1] = c;
    }
  if (dinv_sqrt)
    memcpy (dinv_sqrt, dis, sizeof (float) * n);
  (void) error;
  return l;
}
