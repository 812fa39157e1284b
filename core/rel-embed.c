/* rel-embed.c — the Laplacian's smallest eigenpairs (dense LAPACK or block
 * Lanczos), the eigengap heuristic, and Barnes–Hut t-SNE.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-spray.h"
#include "rel-blas.h"
#include "rel-error.h"
#include "rel-core.h"

#include <math.h>
#include <string.h>

static const char *const solver_choices[] = { "auto", "dense", "lanczos", NULL };

static const RelParamSpec eigen_specs[] = {
  { "eigenvalues", REL_PARAM_INT, "Eigenpairs of the Laplacian to compute", 16, 2, 256, "" },
  { "solver", REL_PARAM_CHOICE, "Dense LAPACK for small classes, block Lanczos for large ones", 0, 0, 0, "",
    solver_choices, "auto" },
  { "tol", REL_PARAM_FLOAT, "Lanczos: residual norm at which an eigenpair has converged", 1e-4, 1e-9, 1e-1, "",
    NULL, NULL, TRUE },
  { "max-iter", REL_PARAM_INT, "Lanczos: restarts before giving up", 200, 1, 10000, "" },
  { "seed", REL_PARAM_INT, "Lanczos: seed of the start block", 0, 0, G_MAXINT, "" },
};

static const RelMethodDef eigen_def = {
  "spray-eigen", "Eigensolver", "Smallest eigenpairs of the normalised Laplacian", "spray",
  eigen_specs, G_N_ELEMENTS (eigen_specs), FALSE, NULL,
};

const RelMethodDef *
rel_spray_stage_eigen (void)
{
  return &eigen_def;
}

static gboolean
check_cancel (volatile gint *cancel, GError **error)
{
  if (cancel && g_atomic_int_get (cancel))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
      return FALSE;
    }
  return TRUE;
}

gboolean
rel_spray_eigen_dense (const RelSparse *l, int m, float *w, float *z, GError **error)
{
  int n = l->n;
  if (m < 1 || m > n || (gint64) n * n > REL_TENSOR_MAX_ELEMENTS)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                   "dense eigensolver: %d eigenpairs of a %d×%d matrix", m, n, n);
      return FALSE;
    }
  g_autofree float *a = g_try_new0 (float, (gsize) n * n);
  g_autofree float *all_w = g_new (float, n);
  if (a == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for a %d×%d matrix", n, n);
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    for (int p = l->rowptr[i]; p < l->rowptr[i + 1]; p++)
      a[(gsize) i * n + l->col[p]] = l->val[p];
  if (!rel_lapack_syevr (n, a, 1, m, all_w, z, error))
    return FALSE;
  memcpy (w, all_w, sizeof (float) * m);
  return TRUE;
}

/* Orthonormalises the @b rows of @blk among themselves by Cholesky QR: the
 * Gram matrix through GEMM, its Cholesky factor L in double, rows ← L⁻¹ rows
 * through GEMM (no row-by-row Gram–Schmidt over n). FALSE, leaving @blk as it
 * was, when a row has (nearly) vanished or the rows are close to dependent:
 * modified Gram–Schmidt handles those. Sets *again when a row lost more than
 * 30 % of its norm against @pre (before the projection) or within the block. */
static gboolean
cholesky_qr (float *blk, int n, int b, const double *pre, float *gram, double *l, float *linv,
             float *tmp, gboolean *again)
{
  rel_sgemm (FALSE, TRUE, b, b, n, 1.0f, blk, n, blk, n, 0.0f, gram, b);
  for (int i = 0; i < b; i++)
    {
      double gii = gram[(gsize) i * b + i];
      if (!(gii > 1e-12 * pre[i] * pre[i]) || gii < 1e-30)
        return FALSE;
      if (sqrt (gii) < 0.7 * pre[i])
        *again = TRUE;
    }
  memset (l, 0, sizeof (double) * b * b);
  for (int j = 0; j < b; j++)
    {
      double d = gram[(gsize) j * b + j];
      for (int q = 0; q < j; q++)
        d -= l[(gsize) j * b + q] * l[(gsize) j * b + q];
      /* the row keeps less than half its length against the earlier ones */
      if (!(d > 0.25 * gram[(gsize) j * b + j]))
        return FALSE;
      if (d < 0.49 * gram[(gsize) j * b + j])
        *again = TRUE;
      double ljj = sqrt (d);
      l[(gsize) j * b + j] = ljj;
      for (int i = j + 1; i < b; i++)
        {
          double s = gram[(gsize) i * b + j];
          for (int q = 0; q < j; q++)
            s -= l[(gsize) i * b + q] * l[(gsize) j * b + q];
          l[(gsize) i * b + j] = s / ljj;
        }
    }
  /* L⁻¹ by forward substitution, column by column */
  for (int c = 0; c < b; c++)
    for (int i = 0; i < b; i++)
      {
        double s = i == c ? 1.0 : 0.0;
        for (int q = c; q < i; q++)
          s -= l[(gsize) i * b + q] * linv[(gsize) q * b + c];
        linv[(gsize) i * b + c] = i < c ? 0.0f : (float) (s / l[(gsize) i * b + i]);
      }
  rel_sgemm (FALSE, FALSE, b, n, b, 1.0f, linv, b, blk, n, 0.0f, tmp, n);
  memcpy (blk, tmp, sizeof (float) * (gsize) b * n);
  return TRUE;
}

/* Orthonormalises rows [c0, c1) of @v (rows are vectors of length n) against
 * rows [0, c0) and among themselves: block classical Gram–Schmidt through
 * GEMM, then modified Gram–Schmidt within the block, repeated while a row
 * loses more than 30 % of its norm ("twice is enough" criterion): a block
 * that nearly lies in the span already (converged directions) keeps float
 * rounding noise after one projection. A row that vanishes is replaced by a
 * random vector. */
static void
orthonormalise (float *v, int n, int c0, int c1, GRand *rng)
{
  int b = c1 - c0;
  g_autofree float *coef = g_new (float, (gsize) MAX (c0, 1) * b);
  g_autofree double *pre = g_new (double, b);
  g_autofree float *gram = g_new (float, (gsize) b * b);
  g_autofree double *lower = g_new (double, (gsize) b * b);
  g_autofree float *linv = g_new (float, (gsize) b * b);
  g_autofree float *tmp = g_new (float, (gsize) b * n);
  for (int round = 0; round < 8; round++)
    {
      gboolean again = FALSE;
      for (int r = c0; r < c1; r++)
        {
          const float *vr = v + (gsize) r * n;
          double nn = 0;
          for (int i = 0; i < n; i++)
            nn += (double) vr[i] * vr[i];
          pre[r - c0] = sqrt (nn);
        }
      if (c0 > 0)
        {
          rel_sgemm (FALSE, TRUE, b, c0, n, 1.0f, v + (gsize) c0 * n, n, v, n, 0.0f, coef, c0);
          rel_sgemm (FALSE, FALSE, b, n, c0, -1.0f, coef, c0, v, n, 1.0f, v + (gsize) c0 * n, n);
        }
      if (b > 1 && cholesky_qr (v + (gsize) c0 * n, n, b, pre, gram, lower, linv, tmp, &again))
        {
          /* twice: the Gram matrix is float, one pass leaves ~1e-6 of overlap */
          if (round == 0)
            again = TRUE;
          if (!again)
            break;
          continue;
        }
      for (int r = c0; r < c1; r++)
        {
          float *vr = v + (gsize) r * n;
          for (int q = c0; q < r; q++)
            {
              const float *vq = v + (gsize) q * n;
              double dot = 0;
              for (int i = 0; i < n; i++)
                dot += (double) vr[i] * vq[i];
              for (int i = 0; i < n; i++)
                vr[i] -= (float) dot * vq[i];
            }
          double nn = 0;
          for (int i = 0; i < n; i++)
            nn += (double) vr[i] * vr[i];
          double norm = sqrt (nn);
          if (!(norm > 1e-6 * pre[r - c0]) || norm < 1e-30)
            {
              for (int i = 0; i < n; i++)
                vr[i] = (float) g_rand_double_range (rng, -1, 1);
              again = TRUE;
              /* keep it unit-ish so the rows after it project against a sane vector */
              double rn = 0;
              for (int i = 0; i < n; i++)
                rn += (double) vr[i] * vr[i];
              for (int i = 0; i < n; i++)
                vr[i] = (float) (vr[i] / sqrt (rn));
              continue;
            }
          if (norm < 0.7 * pre[r - c0])
            again = TRUE;
          float s = (float) (1.0 / norm);
          for (int i = 0; i < n; i++)
            vr[i] *= s;
        }
      if (!again)
        break;
    }
}

gboolean
rel_spray_eigen_lanczos (const RelSparse *l, int m, double tol, int max_iter, guint64 seed,
                         float *w, float *z, volatile gint *cancel, GError **error)
{
  int n = l->n;
  if (m < 1 || m >= n)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "Lanczos: %d eigenpairs of n = %d", m, n);
      return FALSE;
    }
  /* Works on A = I − L/2 (spectrum in [0, 1]): the smallest of L are the
   * largest of A, the only extreme end, which Krylov spaces find first. The
   * block (≥ m + 2) resolves repeated eigenvalues such as the zero eigenvalue
   * of a graph with several components. */
  int b = MIN (n, m + MAX (2, m / 2));
  int k_dim = MIN (n, MAX (10 * b, 4 * m + 40));
  k_dim = MAX (b, (k_dim / b) * b);
  g_autoptr(GRand) rng = g_rand_new_with_seed ((guint32) (seed ^ (seed >> 32)));
  g_autofree float *v = g_try_new (float, (gsize) k_dim * n);
  g_autofree float *av = g_try_new (float, (gsize) k_dim * n);
  g_autofree float *h = g_new (float, (gsize) k_dim * k_dim);
  g_autofree float *hw = g_new (float, k_dim);
  g_autofree float *s = g_new (float, (gsize) k_dim * k_dim);
  g_autofree float *stop = g_new (float, (gsize) k_dim * b);
  g_autofree float *u = g_try_new (float, (gsize) b * n);
  g_autofree float *au = g_try_new (float, (gsize) b * n);
  if (!v || !av || !u || !au)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for the Lanczos basis");
      return FALSE;
    }
  for (gsize i = 0; i < (gsize) b * n; i++)
    v[i] = (float) g_rand_double_range (rng, -1, 1);

  double worst = INFINITY;
  for (int cycle = 0; cycle < max_iter; cycle++)
    {
      orthonormalise (v, n, 0, b, rng);
      int cols = 0;
      for (;;)
        {
          if (!check_cancel (cancel, error))
            return FALSE;
          for (int r = cols; r < cols + b; r++)
            {
              float *y = av + (gsize) r * n;
              rel_sparse_mv (l, v + (gsize) r * n, y);
              const float *x = v + (gsize) r * n;
              for (int i = 0; i < n; i++)
                y[i] = x[i] - 0.5f * y[i];
            }
          cols += b;
          if (cols + b > k_dim)
            break;
          memcpy (v + (gsize) cols * n, av + (gsize) (cols - b) * n, sizeof (float) * (gsize) b * n);
          orthonormalise (v, n, cols, cols + b, rng);
        }
      /* Rayleigh–Ritz on the basis */
      rel_sgemm (FALSE, TRUE, cols, cols, n, 1.0f, v, n, av, n, 0.0f, h, cols);
      for (int i = 0; i < cols; i++)
        for (int j = 0; j < i; j++)
          h[(gsize) i * cols + j] = h[(gsize) j * cols + i] =
            0.5f * (h[(gsize) i * cols + j] + h[(gsize) j * cols + i]);
      if (!rel_lapack_syevr (cols, h, 1, cols, hw, s, error))
        return FALSE;
      /* the b largest Ritz values, descending */
      for (int q = 0; q < cols; q++)
        for (int j = 0; j < b; j++)
          stop[(gsize) q * b + j] = s[(gsize) q * cols + (cols - 1 - j)];
      rel_sgemm (TRUE, FALSE, b, n, cols, 1.0f, stop, b, v, n, 0.0f, u, n);
      rel_sgemm (TRUE, FALSE, b, n, cols, 1.0f, stop, b, av, n, 0.0f, au, n);
      worst = 0;
      for (int j = 0; j < m; j++)
        {
          double theta = hw[cols - 1 - j], r2 = 0;
          const float *uj = u + (gsize) j * n, *auj = au + (gsize) j * n;
          for (int i = 0; i < n; i++)
            {
              double d = auj[i] - theta * uj[i];
              r2 += d * d;
            }
          worst = MAX (worst, 2 * sqrt (r2));  /* residual on L's scale */
        }
      if (worst <= tol || cols >= n)
        {
          for (int j = 0; j < m; j++)
            {
              w[j] = (float) (2.0 * (1.0 - hw[cols - 1 - j]));
              for (int i = 0; i < n; i++)
                z[(gsize) i * m + j] = u[(gsize) j * n + i];
            }
          return TRUE;
        }
      /* restart from the Ritz block */
      memcpy (v, u, sizeof (float) * (gsize) b * n);
    }
  g_set_error (error, REL_ERROR, REL_ERROR_FAILED,
               "Lanczos did not converge in %d restarts (residual %.2g > %.2g)", max_iter, worst, tol);
  return FALSE;
}

gboolean
rel_spray_eigen (const RelSparse *l, int m, const RelParams *params, float *w, float *z,
                 volatile gint *cancel, RelSprayProgress progress, gpointer progress_data,
                 GError **error)
{
  g_autoptr(RelParams) defaults = NULL;
  if (params == NULL)
    params = defaults = rel_params_new (&eigen_def);
  const char *solver = rel_params_get_string (params, "solver");
  gboolean dense = g_strcmp0 (solver, "dense") == 0
                   || (g_strcmp0 (solver, "auto") == 0 && l->n <= REL_SPRAY_DENSE_MAX)
                   || m >= l->n;
  gboolean ok;
  if (progress)
    progress ("eigen", 0, progress_data);
  if (dense)
    ok = rel_spray_eigen_dense (l, MIN (m, l->n), w, z, error);
  else
    ok = rel_spray_eigen_lanczos (l, m, rel_params_get_float (params, "tol"),
                                  rel_params_get_int (params, "max-iter"),
                                  (guint64) rel_params_get_int (params, "seed"), w, z, cancel, error);
  if (ok && progress)
    progress ("eigen", 1, progress_data);
  return ok;
}

int
rel_spray_eigengap (const float *w, int m, int max_k)
{
  int best = 2;
  double gap = -INFINITY;
  max_k = MIN (max_k, m - 1);
  for (int k = 2; k <= max_k; k++)
    {
      double g = (double) w[k] - w[k - 1];
      if (g > gap)
        {
          gap = g;
          best = k;
        }
    }
  return best;
}

/* ---- Barnes–Hut t-SNE ---- */

static const RelParamSpec tsne_specs[] = {
  { "perplexity", REL_PARAM_FLOAT, "Effective number of neighbours", 30, 2, 100, "" },
  { "iterations", REL_PARAM_INT, "Gradient steps", 1000, 250, 10000, "" },
  { "theta", REL_PARAM_FLOAT, "Barnes–Hut opening angle (0.5 is the usual trade-off)", 0.5, 0.05, 1.0, "" },
  { "seed", REL_PARAM_INT, "Seed of the initial layout", 0, 0, G_MAXINT, "" },
};

static const RelMethodDef tsne_def = {
  "spray-tsne", "t-SNE", "Two-dimensional view of the embedding", "spray",
  tsne_specs, G_N_ELEMENTS (tsne_specs), FALSE, NULL,
};

const RelMethodDef *
rel_spray_stage_tsne (void)
{
  return &tsne_def;
}

typedef struct {
  double cx, cy, hw;      /* cell centre and half width */
  double mx, my;          /* sum of the points' positions (centre of mass · count) */
  int    count;
  int    point;           /* a leaf's point (the first, if several coincide) */
  int    child[4];        /* -1: none; all -1 for a leaf */
} QNode;

typedef struct {
  GArray      *nodes;
  const float *y;
} QTree;

static int
qtree_new_node (QTree *t, double cx, double cy, double hw)
{
  QNode node = { cx, cy, hw, 0, 0, 0, -1, { -1, -1, -1, -1 } };
  g_array_append_val (t->nodes, node);
  return (int) t->nodes->len - 1;
}

static void
qtree_insert (QTree *t, int ni, int i, int depth)
{
  double px = t->y[2 * i], py = t->y[2 * i + 1];
  for (;;)
    {
      QNode *node = &g_array_index (t->nodes, QNode, ni);
      node->mx += px;
      node->my += py;
      node->count++;
      if (node->count == 1)
        {
          node->point = i;
          return;
        }
      gboolean leaf = node->child[0] < 0 && node->child[1] < 0 && node->child[2] < 0 && node->child[3] < 0;
      if (leaf && (depth > 40 || node->hw < 1e-9))
        return;  /* coincident points stay together in one leaf */
      if (leaf && node->point >= 0)
        {
          /* push the resident point down */
          int old = node->point;
          double ox = t->y[2 * old], oy = t->y[2 * old + 1];
          int q = (ox >= node->cx) + 2 * (oy >= node->cy);
          double hw = node->hw / 2, cx = node->cx + (q & 1 ? hw : -hw), cy = node->cy + (q & 2 ? hw : -hw);
          int c = qtree_new_node (t, cx, cy, hw);
          node = &g_array_index (t->nodes, QNode, ni);
          node->child[q] = c;
          node->point = -1;
          QNode *cn = &g_array_index (t->nodes, QNode, c);
          cn->mx = ox; cn->my = oy; cn->count = 1; cn->point = old;
        }
      int q = (px >= node->cx) + 2 * (py >= node->cy);
      if (node->child[q] < 0)
        {
          double hw = node->hw / 2, cx = node->cx + (q & 1 ? hw : -hw), cy = node->cy + (q & 2 ? hw : -hw);
          int c = qtree_new_node (t, cx, cy, hw);
          node = &g_array_index (t->nodes, QNode, ni);
          node->child[q] = c;
        }
      ni = node->child[q];
      depth++;
    }
}

/* Repulsive force on point i: Σ q² (y_i − y_j) and Σ q over the cells. */
static void
qtree_repulse (const QTree *t, int ni, int i, double theta2, double *fx, double *fy, double *zsum)
{
  const QNode *node = &g_array_index (t->nodes, QNode, ni);
  if (node->count == 0)
    return;
  double px = t->y[2 * i], py = t->y[2 * i + 1];
  double cmx = node->mx / node->count, cmy = node->my / node->count;
  double dx = px - cmx, dy = py - cmy, d2 = dx * dx + dy * dy;
  gboolean leaf = node->child[0] < 0 && node->child[1] < 0 && node->child[2] < 0 && node->child[3] < 0;
  if (leaf || (4 * node->hw * node->hw) < theta2 * d2)
    {
      int count = node->count;
      if (leaf && d2 == 0)
        count--;  /* the point itself (and it alone, unless points coincide) */
      if (count <= 0)
        return;
      double q = 1.0 / (1.0 + d2);
      *zsum += count * q;
      *fx += count * q * q * dx;
      *fy += count * q * q * dy;
      return;
    }
  for (int c = 0; c < 4; c++)
    if (node->child[c] >= 0)
      qtree_repulse (t, node->child[c], i, theta2, fx, fy, zsum);
}

/* One thread's share of a t-SNE gradient: points [i0, i1). */
typedef struct {
  const QTree *tree;
  const int   *rowptr, *col;
  const float *val, *yf;
  double      *grad;
  double       theta2, zsum;
  int          i0, i1;
} TsneChunk;

static gpointer
tsne_chunk_repulse (gpointer data)
{
  TsneChunk *c = data;
  c->zsum = 0;
  for (int i = c->i0; i < c->i1; i++)
    {
      double fx = 0, fy = 0;
      qtree_repulse (c->tree, 0, i, c->theta2, &fx, &fy, &c->zsum);
      c->grad[2 * i] = -fx;
      c->grad[2 * i + 1] = -fy;
    }
  return NULL;
}

/* P_j|i over each point's k nearest: per point, a bisection on the Gaussian's
 * precision until the entropy matches log(perplexity). */
static void
tsne_conditional_p (const float *dist2, int n, int k, double perplexity, float *pc)
{
  double target = log (perplexity);
  for (int i = 0; i < n; i++)
    {
      const float *di = dist2 + (gsize) i * k;
      float *pi = pc + (gsize) i * k;
      double beta = 1, lo = -INFINITY, hi = INFINITY;
      for (int it = 0; it < 100; it++)
        {
          double sum = 0, hsum = 0;
          for (int q = 0; q < k; q++)
            {
              /* distances relative to the nearest keep exp() in range */
              double e = exp (-beta * (di[q] - di[0]));
              pi[q] = (float) e;
              sum += e;
              hsum += beta * (di[q] - di[0]) * e;
            }
          double h = log (sum) + hsum / sum;
          for (int q = 0; q < k; q++)
            pi[q] = (float) (pi[q] / sum);
          if (fabs (h - target) < 1e-5)
            break;
          if (h > target)
            {
              lo = beta;
              beta = isinf (hi) ? beta * 2 : (beta + hi) / 2;
            }
          else
            {
              hi = beta;
              beta = isinf (lo) ? beta / 2 : (beta + lo) / 2;
            }
        }
    }
}

/* The symmetric affinities P = (P_j|i + P_i|j) / 2n as CSR rows: row i holds
 * p_ij at col[rowptr[i] .. rowptr[i + 1]). */
typedef struct {
  int   *rowptr, *col;
  float *val;
} TsneAffinity;

static void
tsne_affinity_clear (TsneAffinity *p)
{
  g_clear_pointer (&p->rowptr, g_free);
  g_clear_pointer (&p->col, g_free);
  g_clear_pointer (&p->val, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TsneAffinity, tsne_affinity_clear)

static void
tsne_affinity_init (TsneAffinity *p, const int *idx, const float *pc, int n, int k)
{
  int *rowptr = p->rowptr = g_new0 (int, n + 1);
  g_autofree int *cnt = g_new0 (int, n);
  for (int i = 0; i < n; i++)
    for (int q = 0; q < k; q++)
      {
        rowptr[i + 1]++;
        rowptr[idx[(gsize) i * k + q] + 1]++;
      }
  for (int i = 0; i < n; i++)
    rowptr[i + 1] += rowptr[i];
  int *col = p->col = g_new (int, rowptr[n]);
  float *val = p->val = g_new (float, rowptr[n]);
  for (int i = 0; i < n; i++)
    for (int q = 0; q < k; q++)
      {
        int j = idx[(gsize) i * k + q];
        float p_ij = pc[(gsize) i * k + q] / (2.0f * n);
        col[rowptr[i] + cnt[i]] = j; val[rowptr[i] + cnt[i]++] = p_ij;
        col[rowptr[j] + cnt[j]] = i; val[rowptr[j] + cnt[j]++] = p_ij;
      }
  /* (duplicates of mutual pairs simply add up: the same sum as merging them) */
}

/* Rebuilds the Barnes–Hut tree over the current positions; the tree reads
 * them as floats (yf), which the gradient then uses as well. */
static void
tsne_build_tree (QTree *tree, const double *yy, float *yf, int n)
{
  double minx = INFINITY, maxx = -INFINITY, miny = INFINITY, maxy = -INFINITY;
  for (int i = 0; i < n; i++)
    {
      yf[2 * i] = (float) yy[2 * i];
      yf[2 * i + 1] = (float) yy[2 * i + 1];
      minx = MIN (minx, yf[2 * i]); maxx = MAX (maxx, yf[2 * i]);
      miny = MIN (miny, yf[2 * i + 1]); maxy = MAX (maxy, yf[2 * i + 1]);
    }
  g_array_set_size (tree->nodes, 0);
  double hw = MAX (maxx - minx, maxy - miny) / 2 * 1.0001 + 1e-9;
  qtree_new_node (tree, (minx + maxx) / 2, (miny + maxy) / 2, hw);
  for (int i = 0; i < n; i++)
    qtree_insert (tree, 0, i, 0);
}

/* The gradient of KL(P‖Q), P exaggerated by exag: the repulsion from the
 * tree, then the attraction along P's sparse rows. */
static void
tsne_gradient (const QTree *tree, const TsneAffinity *p, const float *yf, int n, double theta,
               double exag, int n_threads, double *grad)
{
  const int *rowptr = p->rowptr, *col = p->col;
  const float *val = p->val;
  /* the repulsion dominates (~70 %); the tree is read-only here, so the
   * points are split between the core's threads */
  double zsum = 0;
  TsneChunk chunks[8];
  GThread *threads[8] = { NULL };
  for (int t = 0; t < n_threads; t++)
    {
      chunks[t] = (TsneChunk) { tree, rowptr, col, val, yf, grad, theta * theta, 0,
                                (int) ((gint64) n * t / n_threads), (int) ((gint64) n * (t + 1) / n_threads) };
      if (t > 0)
        threads[t] = g_thread_try_new ("tsne", tsne_chunk_repulse, &chunks[t], NULL);
      if (threads[t] == NULL)
        tsne_chunk_repulse (&chunks[t]);
    }
  for (int t = 0; t < n_threads; t++)
    {
      if (threads[t])
        g_thread_join (threads[t]);
      zsum += chunks[t].zsum;
    }
  for (int i = 0; i < n; i++)
    {
      double ax = 0, ay = 0;
      for (int q = rowptr[i]; q < rowptr[i + 1]; q++)
        {
          int j = col[q];
          double dx = yf[2 * i] - yf[2 * j], dy = yf[2 * i + 1] - yf[2 * j + 1];
          double qij = 1.0 / (1.0 + dx * dx + dy * dy);
          ax += val[q] * qij * dx;
          ay += val[q] * qij * dy;
        }
      grad[2 * i] = 4 * (exag * ax + grad[2 * i] / zsum);
      grad[2 * i + 1] = 4 * (exag * ay + grad[2 * i + 1] / zsum);
    }
}

/* One descent step with momentum and per-coordinate gains (grown while the
 * gradient keeps its sign against the last update, shrunk otherwise). */
static void
tsne_step (double *yy, double *upd, double *gains, const double *grad, gsize len,
           double momentum, double lr)
{
  for (gsize i = 0; i < len; i++)
    {
      gains[i] = (grad[i] > 0) != (upd[i] > 0) ? gains[i] + 0.2 : gains[i] * 0.8;
      gains[i] = MAX (gains[i], 0.01);
      upd[i] = momentum * upd[i] - lr * gains[i] * grad[i];
      yy[i] += upd[i];
    }
}

gboolean
rel_spray_tsne (const float *x, int n, int d, const RelParams *params, float *y,
                volatile gint *cancel, RelSprayProgress progress, gpointer progress_data,
                GError **error)
{
  g_autoptr(RelParams) defaults = NULL;
  if (params == NULL)
    params = defaults = rel_params_new (&tsne_def);
  double perplexity = rel_params_get_float (params, "perplexity");
  int iterations = rel_params_get_int (params, "iterations");
  double theta = rel_params_get_float (params, "theta");
  guint64 seed = (guint64) rel_params_get_int (params, "seed");
  if (n < 4)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "t-SNE needs at least 4 points");
      return FALSE;
    }
  perplexity = MIN (perplexity, (n - 1) / 3.0);
  int k = MIN (n - 1, (int) (3 * perplexity + 1));
  g_autofree int *idx = g_new (int, (gsize) n * k);
  g_autofree float *dist2 = g_new (float, (gsize) n * k);
  if (!rel_spray_knn (x, n, d, k, idx, dist2, cancel, NULL, NULL, error))
    return FALSE;

  g_autofree float *pc = g_new (float, (gsize) n * k);
  tsne_conditional_p (dist2, n, k, perplexity, pc);
  g_auto(TsneAffinity) p = { NULL, NULL, NULL };
  tsne_affinity_init (&p, idx, pc, n, k);

  g_autoptr(GRand) rng = g_rand_new_with_seed ((guint32) (seed ^ (seed >> 32)));
  g_autofree double *yy = g_new (double, 2 * (gsize) n);
  g_autofree double *upd = g_new0 (double, 2 * (gsize) n);
  g_autofree double *gains = g_new (double, 2 * (gsize) n);
  g_autofree double *grad = g_new (double, 2 * (gsize) n);
  g_autofree float *yf = g_new (float, 2 * (gsize) n);
  for (gsize i = 0; i < 2 * (gsize) n; i++)
    {
      /* Box–Muller: N(0, 1e-4²) */
      double u1 = g_rand_double_range (rng, 1e-12, 1), u2 = g_rand_double (rng);
      yy[i] = 1e-4 * sqrt (-2 * log (u1)) * cos (2 * G_PI * u2);
      gains[i] = 1;
    }
  double lr = MAX (n / 12.0 / 4.0, 50.0);
  int n_threads = CLAMP (rel_core_threads (), 1, 8);
  if (n < 256)
    n_threads = 1;  /* thread start-up (~50 µs per iteration) would cost more than it saves */
  int exag_iters = MIN (250, iterations / 4);
  QTree tree = { g_array_new (FALSE, FALSE, sizeof (QNode)), yf };
  for (int it = 0; it < iterations; it++)
    {
      if ((it & 15) == 0 && !check_cancel (cancel, error))
        {
          g_array_unref (tree.nodes);
          return FALSE;
        }
      double exag = it < exag_iters ? 12.0 : 1.0;
      double momentum = it < exag_iters ? 0.5 : 0.8;
      tsne_build_tree (&tree, yy, yf, n);
      tsne_gradient (&tree, &p, yf, n, theta, exag, n_threads, grad);
      tsne_step (yy, upd, gains, grad, 2 * (gsize) n, momentum, lr);
      if (progress && (it % 50 == 49 || it == iterations - 1))
        progress ("tsne", (double) (it + 1) / iterations, progress_data);
    }
  g_array_unref (tree.nodes);
  double mx = 0, my = 0;
  for (int i = 0; i < n; i++)
    {
      mx += yy[2 * i];
      my += yy[2 * i + 1];
    }
  for (int i = 0; i < n; i++)
    {
      y[2 * i] = (float) (yy[2 * i] - mx / n);
      y[2 * i + 1] = (float) (yy[2 * i + 1] - my / n);
    }
  return TRUE;
}
