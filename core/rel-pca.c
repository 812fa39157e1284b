/* rel-pca.c — randomised PCA (Halko, Martinsson & Tropp 2011, algorithm 4.4)
 * of the pooled heatmaps before an approximate kNN: at N = 100,000 the
 * neighbour search in 1024 dimensions is all distance arithmetic, and the
 * leading 64 components keep the cluster structure.
 *
 * The rows are centred block by block (a copy of one block at a time): the
 * centred matrix is never held whole, and subtracting the mean before the
 * product, not after it, keeps float's digits for the variation rather than
 * the mean, which dominates non-negative normalised maps.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-spray.h"
#include "rel-blas.h"
#include "rel-error.h"

#include <math.h>
#include <string.h>

enum { BLOCK = 4096, OVERSAMPLE = 10, POWER_ITERATIONS = 2 };

/* Rows [r0, r0 + rn) of @x minus @mean into @out. */
static void
centred_block (const float *x, int d, const float *mean, int r0, int rn, float *out)
{
  for (int r = 0; r < rn; r++)
    {
      const float *xr = x + (gsize) (r0 + r) * d;
      float *o = out + (gsize) r * d;
      for (int c = 0; c < d; c++)
        o[c] = xr[c] - mean[c];
    }
}

/* Y (n × l) = X_c W for W d × l. */
static void
times_right (const float *x, int n, int d, const float *mean, const float *w, int l, float *y, float *buf)
{
  for (int r0 = 0; r0 < n; r0 += BLOCK)
    {
      int rn = MIN (BLOCK, n - r0);
      centred_block (x, d, mean, r0, rn, buf);
      rel_sgemm (FALSE, FALSE, rn, l, d, 1.0f, buf, d, w, l, 0.0f, y + (gsize) r0 * l, l);
    }
}

/* Z (d × l) = X_cᵀ Q for Q n × l. */
static void
times_left (const float *x, int n, int d, const float *mean, const float *q, int l, float *z, float *buf)
{
  memset (z, 0, sizeof (float) * (gsize) d * l);
  for (int r0 = 0; r0 < n; r0 += BLOCK)
    {
      int rn = MIN (BLOCK, n - r0);
      centred_block (x, d, mean, r0, rn, buf);
      rel_sgemm (TRUE, FALSE, d, l, rn, 1.0f, buf, d, q + (gsize) r0 * l, l, 1.0f, z, l);
    }
}

static void
gaussian_fill (GRand *rng, float *z, gsize count, double scale)
{
  for (gsize p = 0; p < count; p += 2)
    {
      double u1 = g_rand_double_range (rng, 1e-300, 1), u2 = g_rand_double (rng);
      double r = scale * sqrt (-2 * log (u1));
      z[p] = (float) (r * cos (2 * G_PI * u2));
      if (p + 1 < count)
        z[p + 1] = (float) (r * sin (2 * G_PI * u2));
    }
}

gboolean
rel_spray_pca (const float *x, int n, int d, int dp, guint64 seed, float *y, float *components,
               float *singular, GError **error)
{
  return rel_spray_project (x, n, d, dp, 0, seed, y, components, singular, error);
}

gboolean
rel_spray_project (const float *x, int n, int d, int dp, int ds, guint64 seed, float *y, float *components,
                   float *singular, GError **error)
{
  if (n < 2 || d < 1 || dp < 1 || dp > d || dp > n || ds < 0 || ds > 4096)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "PCA: cannot keep %d components of %d points in %d dimensions", dp, n, d);
      return FALSE;
    }
  int l = MIN (dp + OVERSAMPLE, MIN (d, n));
  g_autofree float *mean = g_new (float, d);
  {
    g_autofree double *acc = g_new0 (double, d);
    for (int i = 0; i < n; i++)
      for (int c = 0; c < d; c++)
        acc[c] += x[(gsize) i * d + c];
    for (int c = 0; c < d; c++)
      mean[c] = (float) (acc[c] / n);
  }
  g_autofree float *buf = g_try_new (float, (gsize) MIN (BLOCK, n) * d);
  g_autofree float *q = g_try_new (float, (gsize) n * l);
  g_autofree float *z = g_new (float, (gsize) d * l);
  if (buf == NULL || q == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for the PCA of %d points", n);
      return FALSE;
    }
  /* the sketch: a seeded Gaussian d × l (Box–Muller) */
  g_autoptr(GRand) rng = g_rand_new_with_seed_array ((const guint32[]) { (guint32) seed, (guint32) (seed >> 32), 0x9ca }, 3);
  gaussian_fill (rng, z, (gsize) d * l, 1);
  /* range finder with power iterations, re-orthonormalised after every
   * product so the small singular directions survive float rounding */
  times_right (x, n, d, mean, z, l, q, buf);
  if (!rel_lapack_orthonormalise (n, l, q, error))
    return FALSE;
  for (int it = 0; it < POWER_ITERATIONS; it++)
    {
      times_left (x, n, d, mean, q, l, z, buf);
      if (!rel_lapack_orthonormalise (d, l, z, error))
        return FALSE;
      times_right (x, n, d, mean, z, l, q, buf);
      if (!rel_lapack_orthonormalise (n, l, q, error))
        return FALSE;
    }
  /* B = Qᵀ X_c (l × d) = (X_cᵀ Q)ᵀ; its SVD gives the components */
  times_left (x, n, d, mean, q, l, z, buf);
  g_clear_pointer (&q, g_free);
  g_autofree float *b = g_new (float, (gsize) l * d);
  for (int c = 0; c < d; c++)
    for (int j = 0; j < l; j++)
      b[(gsize) j * d + c] = z[(gsize) c * l + j];
  g_autofree float *s = g_new (float, l);
  g_autofree float *vt = g_new (float, (gsize) l * d);
  if (!rel_lapack_gesvd (l, d, b, s, vt, error))
    return FALSE;
  /* a deterministic sign: each component's largest-magnitude entry positive */
  for (int j = 0; j < dp; j++)
    {
      float *v = vt + (gsize) j * d;
      int best = 0;
      for (int c = 1; c < d; c++)
        if (fabsf (v[c]) > fabsf (v[best]))
          best = c;
      if (v[best] < 0)
        for (int c = 0; c < d; c++)
          v[c] = -v[c];
    }
  /* coordinates: Y = X_c Vᵀ, the first dp rows of vt as columns, then the
   * sketch of the residual: X_c (I − VᵀV) G/√ds = X_c G/√ds − Y (V G/√ds) */
  int w = dp + ds;
  g_autofree float *v = g_new (float, (gsize) d * w);
  for (int c = 0; c < d; c++)
    for (int j = 0; j < dp; j++)
      v[(gsize) c * w + j] = vt[(gsize) j * d + c];
  g_autofree float *g = NULL, *vg = NULL;
  if (ds > 0)
    {
      g = g_new (float, (gsize) d * ds);
      gaussian_fill (rng, g, (gsize) d * ds, 1 / sqrt (ds));
      vg = g_new (float, (gsize) dp * ds);
      rel_sgemm (FALSE, FALSE, dp, ds, d, 1.0f, vt, d, g, ds, 0.0f, vg, ds);
      for (int c = 0; c < d; c++)
        memcpy (v + (gsize) c * w + dp, g + (gsize) c * ds, sizeof (float) * ds);
    }
  times_right (x, n, d, mean, v, w, y, buf);
  if (ds > 0)
    rel_sgemm (FALSE, FALSE, n, ds, dp, -1.0f, y, w, vg, ds, 1.0f, y + dp, w);
  if (components)
    memcpy (components, vt, sizeof (float) * (gsize) dp * d);
  if (singular)
    memcpy (singular, s, sizeof (float) * dp);
  return TRUE;
}
