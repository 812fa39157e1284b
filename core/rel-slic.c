/* rel-slic.c — SLIC superpixels (Achanta et al. 2012) for LIME.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-slic.h"
#include "rel-error.h"

#include <math.h>
#include <string.h>

/* LIME checks its input first; the same message if SLIC is called alone */
static gboolean
dims_4d (const RelTensor *input, int *c, int *h, int *w, GError **error)
{
  if (input->ndim != 4)
    {
      g_autofree char *shape = rel_tensor_shape_string (input);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "perturbation methods need a 1×C×H×W input, got %s", shape);
      return FALSE;
    }
  *c = (int) input->shape[1];
  *h = (int) input->shape[2];
  *w = (int) input->shape[3];
  return TRUE;
}

static double
srgb_to_linear (double v)
{
  return v <= 0.04045 ? v / 12.92 : pow ((v + 0.055) / 1.055, 2.4);
}

static double
lab_f (double t)
{
  return t > 216.0 / 24389.0 ? cbrt (t) : (24389.0 / 27.0 * t + 16.0) / 116.0;
}

static void
rgb_to_lab (double r, double g, double b, double *L, double *A, double *B)
{
  double x, y, z;

  r = srgb_to_linear (r);
  g = srgb_to_linear (g);
  b = srgb_to_linear (b);
  /* sRGB → XYZ (D65), normalised by the white point */
  x = (0.412453 * r + 0.357580 * g + 0.180423 * b) / 0.950456;
  y = 0.212671 * r + 0.715160 * g + 0.072169 * b;
  z = (0.019334 * r + 0.119193 * g + 0.950227 * b) / 1.088754;
  x = lab_f (x);
  y = lab_f (y);
  z = lab_f (z);
  *L = 116.0 * y - 16.0;
  *A = 500.0 * (x - y);
  *B = 200.0 * (y - z);
}

/* The input's pixels back in [0, 1]: undo mean/std and the scale when the
 * preprocessing is known, else map the declared input range. */
static double
pixel01 (const RelPreprocess *pp, int c, float x)
{
  double v;

  if (pp && c < 4 && pp->std[c] > 0 && pp->scale > 0)
    v = ((double) x * pp->std[c] + pp->mean[c]) / (pp->scale * 255.0);
  else if (pp && pp->range_high > pp->range_low)
    v = ((double) x - pp->range_low) / ((double) pp->range_high - pp->range_low);
  else
    v = x;
  return CLAMP (v, 0.0, 1.0);
}

/* Ten rounds of SLIC's local k-means: each centre claims the pixels within
 * 2S of it by colour and scaled distance, then moves to their mean. */
static void
slic_cluster (const double *feat, int nf, int H, int W, int S, double compactness,
              double *centers, int K, int *labels)
{
  gsize N = (gsize) H * W;
  g_autofree double *dist = g_new (double, N);
  g_autofree double *sums = g_new (double, (gsize) K * (nf + 3));
  double m2 = compactness * compactness;
  double inv_s2 = 1.0 / ((double) S * S);

  for (int iter = 0; iter < 10; iter++)
    {
      for (gsize p = 0; p < N; p++)
        {
          dist[p] = G_MAXDOUBLE;
          labels[p] = 0;
        }
      for (int k = 0; k < K; k++)
        {
          const double *ck = centers + (gsize) k * (nf + 2);
          int cy = (int) ck[nf], cx = (int) ck[nf + 1];
          int ylo = MAX (0, cy - 2 * S), yhi = MIN (H - 1, cy + 2 * S);
          int xlo = MAX (0, cx - 2 * S), xhi = MIN (W - 1, cx + 2 * S);
          for (int y = ylo; y <= yhi; y++)
            for (int x = xlo; x <= xhi; x++)
              {
                gsize p = (gsize) y * W + x;
                double dc = 0, dy = y - ck[nf], dx = x - ck[nf + 1], d;
                for (int f = 0; f < nf; f++)
                  {
                    double t = feat[p * nf + f] - ck[f];
                    dc += t * t;
                  }
                d = dc + (dy * dy + dx * dx) * inv_s2 * m2;
                if (d < dist[p])
                  {
                    dist[p] = d;
                    labels[p] = k;
                  }
              }
        }
      memset (sums, 0, sizeof (double) * (gsize) K * (nf + 3));
      for (gsize p = 0; p < N; p++)
        {
          double *sk = sums + (gsize) labels[p] * (nf + 3);
          for (int f = 0; f < nf; f++)
            sk[f] += feat[p * nf + f];
          sk[nf] += (double) (p / W);
          sk[nf + 1] += (double) (p % W);
          sk[nf + 2] += 1;
        }
      for (int k = 0; k < K; k++)
        {
          double *sk = sums + (gsize) k * (nf + 3);
          double *ck = centers + (gsize) k * (nf + 2);
          if (sk[nf + 2] > 0)
            for (int f = 0; f < nf + 2; f++)
              ck[f] = sk[f] / sk[nf + 2];
        }
    }
}

/* Relabels @labels into connected segments in @newlab; returns their count. */
static int
slic_connect (const int *labels, int H, int W, int K, int *newlab)
{
  gsize N = (gsize) H * W;
  g_autofree int *queue = g_new (int, N);
  g_autofree int *sizes = g_new0 (int, N);
  int min_size, max_size, n_labels = 0;

  /* connectivity: every connected piece becomes its own segment; pieces below
   * a quarter of the mean size join the neighbour found before them, unless
   * that one already has three times the mean size (on noise, chains of
   * merges would otherwise swallow the image) */
  for (gsize p = 0; p < N; p++)
    newlab[p] = -1;
  min_size = MAX (1, (int) (N / (gsize) K / 4));
  max_size = MAX (min_size, (int) (3 * N / (gsize) K));
  for (gsize start = 0; start < N; start++)
    {
      static const int dy4[] = { -1, 1, 0, 0 }, dx4[] = { 0, 0, -1, 1 };
      int adjacent = -1, head = 0, tail = 0;

      if (newlab[start] >= 0)
        continue;
      for (int d = 0; d < 4; d++)
        {
          int y = (int) (start / W) + dy4[d], x = (int) (start % W) + dx4[d];
          if (y >= 0 && y < H && x >= 0 && x < W && newlab[(gsize) y * W + x] >= 0)
            adjacent = newlab[(gsize) y * W + x];
        }
      newlab[start] = n_labels;
      queue[tail++] = (int) start;
      while (head < tail)
        {
          int p = queue[head++];
          for (int d = 0; d < 4; d++)
            {
              int y = p / W + dy4[d], x = p % W + dx4[d];
              gsize q;
              if (y < 0 || y >= H || x < 0 || x >= W)
                continue;
              q = (gsize) y * W + x;
              if (newlab[q] < 0 && labels[q] == labels[p])
                {
                  newlab[q] = n_labels;
                  queue[tail++] = (int) q;
                }
            }
        }
      if (tail < min_size && adjacent >= 0 && sizes[adjacent] + tail <= max_size)
        {
          for (int i = 0; i < tail; i++)
            newlab[queue[i]] = adjacent;
          sizes[adjacent] += tail;
        }
      else
        sizes[n_labels++] = tail;
    }
  return n_labels;
}

int
rel_slic (const RelTensor *input, const RelPreprocess *pp, int n_segments,
          double compactness, int *labels, GError **error)
{
  int C, H, W, nf;
  gsize N;
  g_autofree double *feat = NULL;    /* nf per pixel */
  g_autofree double *centers = NULL; /* nf + 2 per center: features, y, x */
  g_autofree int *newlab = NULL;
  int gy, gx, K, S, n_labels;

  if (!dims_4d (input, &C, &H, &W, error))
    return -1;
  if (n_segments < 1 || H < 1 || W < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "SLIC needs at least one segment");
      return -1;
    }
  N = (gsize) H * W;
  nf = C == 3 ? 3 : C;
  feat = g_new (double, N * nf);
  for (gsize p = 0; p < N; p++)
    {
      const float *x = rel_tensor_f32 (input);
      if (C == 3)
        rgb_to_lab (pixel01 (pp, 0, x[p]), pixel01 (pp, 1, x[N + p]), pixel01 (pp, 2, x[2 * N + p]),
                    &feat[p * 3], &feat[p * 3 + 1], &feat[p * 3 + 2]);
      else
        for (int c = 0; c < C; c++)
          feat[p * nf + c] = 100.0 * pixel01 (pp, c, x[c * N + p]);
    }

  /* a regular grid of about n_segments centres, step S */
  S = MAX (1, (int) floor (sqrt ((double) N / n_segments) + 0.5));
  gy = MAX (1, (H + S / 2) / S);
  gx = MAX (1, (W + S / 2) / S);
  while ((gsize) gy * gx > (gsize) MAX (n_segments, 1) * 4 && S < MAX (H, W))
    {
      S++;
      gy = MAX (1, (H + S / 2) / S);
      gx = MAX (1, (W + S / 2) / S);
    }
  K = gy * gx;
  centers = g_new (double, (gsize) K * (nf + 2));
  for (int i = 0; i < gy; i++)
    for (int j = 0; j < gx; j++)
      {
        double *ck = centers + (gsize) (i * gx + j) * (nf + 2);
        int y = MIN (H - 1, (int) ((i + 0.5) * H / gy));
        int x = MIN (W - 1, (int) ((j + 0.5) * W / gx));
        for (int f = 0; f < nf; f++)
          ck[f] = feat[((gsize) y * W + x) * nf + f];
        ck[nf] = y;
        ck[nf + 1] = x;
      }

  slic_cluster (feat, nf, H, W, S, compactness, centers, K, labels);
  newlab = g_new (int, N);
  n_labels = slic_connect (labels, H, W, K, newlab);
  memcpy (labels, newlab, N * sizeof (int));
  return n_labels;
}
