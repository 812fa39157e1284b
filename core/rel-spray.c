/* rel-spray.c — SpRAy's heatmaps (with the on-disk cache), preprocessing,
 * stage parameters and the whole analysis.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-spray.h"
#include "rel-atomic-file.h"
#include "rel-error.h"
#include "rel-file.h"
#include "rel-image.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* ---- parameters ---- */

static const char *const norm_choices[] = { "sum", "max", "none", NULL };

static const RelParamSpec preprocess_specs[] = {
  { "pool", REL_PARAM_INT, "Side of the sum-pooled heatmap", 32, 1, 512, "px" },
  /* |·| by default: a strategy is where the model looks; the sign of LRP-ε or
   * gradient relevance flips with local evidence inside one object and would
   * split a strategy (on the demo's tagged Sandals, signed maps need about
   * twice the neighbours for the eigengap to find the two strategies) */
  { "abs", REL_PARAM_BOOL, "Cluster |relevance| instead of signed relevance", 1, 0, 1, "" },
  { "norm", REL_PARAM_CHOICE, "Scale each heatmap to unit sum of |·|, unit max |·|, or not", 0, 0, 0, "",
    norm_choices, "sum" },
};

static const RelMethodDef preprocess_def = {
  "spray-preprocess", "Preprocessing", "Channel sum, sum-pooling, normalisation", "spray",
  preprocess_specs, G_N_ELEMENTS (preprocess_specs), FALSE, NULL,
};

const RelMethodDef *
rel_spray_stage_preprocess (void)
{
  return &preprocess_def;
}

gboolean
rel_spray_params_set (RelParams **params, const char *assignment, GError **error)
{
  const char *eq = strchr (assignment, '=');
  if (eq == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "expected key=value, got “%s”", assignment);
      return FALSE;
    }
  g_autofree char *key = g_strndup (assignment, eq - assignment);
  for (int s = 0; s < 5; s++)
    if (params[s] && rel_method_param (rel_params_method (params[s]), key))
      return rel_params_set (params[s], key, eq + 1, error);
  g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "unknown SpRAy parameter “%s”", key);
  return FALSE;
}

/* ---- heatmaps and their cache ---- */

void
rel_spray_heatmaps_free (RelSprayHeatmaps *h)
{
  if (h == NULL)
    return;
  g_free (h->maps);
  g_free (h->predicted);
  g_free (h->confidence);
  g_free (h->probs);
  g_free (h);
}

#define CACHE_MAGIC "RSPRAY02"
/* the largest entry worth reading: a map of REL_TENSOR_MAX_ELEMENTS values and 10⁶ outputs */
#define CACHE_MAX_BYTES (G_GINT64_CONSTANT (64) + (REL_TENSOR_MAX_ELEMENTS + 1000000) * 4)

typedef struct {
  char   magic[8];
  guint8 key[32];
  gint32 height, width, predicted, n_outputs;
  float  confidence;
} CacheHeader;

static void
params_to_checksum (GChecksum *cs, const RelParams *params)
{
  const RelMethodDef *m = rel_params_method (params);
  g_checksum_update (cs, (const guchar *) m->name, -1);
  for (int i = 0; i < m->n_params; i++)
    {
      const RelParamSpec *s = &m->params[i];
      g_autofree char *v = NULL;
      switch (s->type)
        {
        case REL_PARAM_FLOAT: v = g_strdup_printf ("%.17g", rel_params_get_float (params, s->name)); break;
        case REL_PARAM_INT: v = g_strdup_printf ("%d", rel_params_get_int (params, s->name)); break;
        case REL_PARAM_BOOL: v = g_strdup_printf ("%d", rel_params_get_bool (params, s->name)); break;
        default: v = g_strdup (rel_params_get_string (params, s->name)); break;
        }
      g_autofree char *kv = g_strdup_printf ("\n%s=%s", s->name, v);
      g_checksum_update (cs, (const guchar *) kv, -1);
    }
}

static gboolean
read_cache (const char *file, const guint8 *key, int *h, int *w, int *pred, float *conf,
            float **map, int *n_out, float **probs)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!rel_file_get_contents (file, "cache entry", CACHE_MAX_BYTES, &data, &len, NULL) || len < sizeof (CacheHeader))
    return FALSE;
  CacheHeader hd;
  memcpy (&hd, data, sizeof hd);
  if (memcmp (hd.magic, CACHE_MAGIC, 8) != 0 || memcmp (hd.key, key, 32) != 0
      || hd.height < 1 || hd.width < 1 || hd.height > 65536 || hd.width > 65536
      || hd.n_outputs < 1 || hd.n_outputs > 1000000
      || len != sizeof hd + ((gsize) hd.height * hd.width + hd.n_outputs) * sizeof (float))
    return FALSE;
  /* a damaged entry (NaN/Inf where a finite map was stored) is a miss: the
   * map is computed again, and that result is checked in rel_explain */
  {
    gsize values = (gsize) hd.height * hd.width + hd.n_outputs;
    g_autofree float *check = g_new (float, values);
    memcpy (check, data + sizeof hd, values * sizeof (float));
    if (!isfinite (hd.confidence) || rel_find_nonfinite (check, (int64_t) values) >= 0)
      return FALSE;
  }
  *h = hd.height;
  *w = hd.width;
  *pred = hd.predicted;
  *conf = hd.confidence;
  *map = g_memdup2 (data + sizeof hd, (gsize) hd.height * hd.width * sizeof (float));
  *n_out = hd.n_outputs;
  *probs = g_memdup2 (data + sizeof hd + (gsize) hd.height * hd.width * sizeof (float),
                      (gsize) hd.n_outputs * sizeof (float));
  return TRUE;
}

static void
write_cache (const char *file, const guint8 *key, int h, int w, int pred, float conf, const float *map,
             int n_out, const float *probs)
{
  CacheHeader hd = { .height = h, .width = w, .predicted = pred, .n_outputs = n_out, .confidence = conf };
  memcpy (hd.magic, CACHE_MAGIC, 8);
  memcpy (hd.key, key, 32);
  gsize len = sizeof hd + ((gsize) h * w + n_out) * sizeof (float);
  g_autofree char *buf = g_malloc (len);
  memcpy (buf, &hd, sizeof hd);
  memcpy (buf + sizeof hd, map, (gsize) h * w * sizeof (float));
  memcpy (buf + sizeof hd + (gsize) h * w * sizeof (float), probs, (gsize) n_out * sizeof (float));
  /* a cache that cannot be written only costs time; atomic so that a full
   * disk never leaves a truncated entry (read_cache rejects those anyway) */
  rel_file_set_contents (file, buf, len, NULL);
}

/* Predicted class and its softmax probability. */
static gboolean
predict (RelModel *model, RelTensor *input, volatile gint *cancel, int *pred, float *conf,
         int *n_out, float **probs, GError **error)
{
  RelContext ctx = { 1, cancel };
  RelActivations *acts = rel_model_forward (model, input, &ctx, error);
  if (acts == NULL)
    return FALSE;
  RelTensor *out = rel_activations_output (acts);
  int nc = out ? (int) out->numel : 0;
  if (nc < 1 || out->dtype != REL_DTYPE_FLOAT32)
    {
      rel_activations_free (acts);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "the model has no float output");
      return FALSE;
    }
  if (!rel_tensor_check_finite (out, "the model's output", error))
    {
      rel_activations_free (acts);
      return FALSE;
    }
  const float *o = rel_tensor_f32 (out);
  int best = 0;
  for (int c = 1; c < nc; c++)
    if (o[c] > o[best])
      best = c;
  double z = 0;
  for (int c = 0; c < nc; c++)
    z += exp ((double) o[c] - o[best]);
  *pred = best;
  *conf = (float) (1.0 / z);
  *n_out = nc;
  *probs = g_new (float, nc);
  for (int c = 0; c < nc; c++)
    (*probs)[c] = (float) (exp ((double) o[c] - o[best]) / z);
  rel_activations_free (acts);
  return TRUE;
}

/* Where entries live, or NULL for no cache; base gets what every key shares.
 * The model's bytes, not its path: retraining into the same file must miss. */
static char *
cache_open (const RelSprayHeatmapRequest *req, GChecksum *base)
{
  const char *model_path = req->model_path ? req->model_path : req->model->path;
  g_autofree char *cache_dir = NULL;
  if (req->cache_dir == NULL)
    cache_dir = g_build_filename (g_get_user_cache_dir (), "relevance", "spray", NULL);
  else if (req->cache_dir[0] != '\0')
    cache_dir = g_strdup (req->cache_dir);
  if (cache_dir && g_mkdir_with_parents (cache_dir, 0700) != 0)
    g_clear_pointer (&cache_dir, g_free);

  if (cache_dir)
    {
      g_autoptr(GMappedFile) mf = model_path ? rel_file_map (model_path, "model", G_MAXINT64, NULL) : NULL;
      if (mf == NULL)
        g_clear_pointer (&cache_dir, g_free);
      else
        g_checksum_update (base, (const guchar *) g_mapped_file_get_contents (mf), g_mapped_file_get_length (mf));
      params_to_checksum (base, req->method_params);
      g_autofree char *t = g_strdup_printf ("\ntarget=%d:%d:%d:%d seed=%" G_GUINT64_FORMAT,
                                            req->target.kind, req->target.a, req->target.b,
                                            req->target.log_prob, req->seed);
      g_checksum_update (base, (const guchar *) t, -1);
    }
  return g_steal_pointer (&cache_dir);
}

/* One image's key and entry file: the shared base plus the image's path,
 * mtime and size, so that an edited image misses. */
static gboolean
cache_entry_key (GChecksum *base, const char *cache_dir, const char *path, const char *shown,
                 guint8 key[32], char **file, GError **error)
{
  g_autoptr(GChecksum) cs = g_checksum_copy (base);
  GStatBuf st;
  if (g_stat (path, &st) != 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_IO, "cannot read %s", shown);
      return FALSE;
    }
  g_autofree char *t = g_strdup_printf ("\nimage=%s\nmtime=%" G_GINT64_FORMAT "\nsize=%" G_GINT64_FORMAT,
                                        path, (gint64) st.st_mtime, (gint64) st.st_size);
  g_checksum_update (cs, (const guchar *) t, -1);
  gsize key_len = 32;
  g_checksum_get_digest (cs, key, &key_len);
  *file = g_build_filename (cache_dir, g_checksum_get_string (cs), NULL);
  return TRUE;
}

/* One image's result, read from the cache or computed. */
typedef struct {
  int    height, width, predicted, n_outputs;
  float  confidence;
  float *map;    /* height × width, relevance summed over channels */
  float *probs;  /* n_outputs */
} SprayEntry;

static void
spray_entry_clear (SprayEntry *e)
{
  g_clear_pointer (&e->map, g_free);
  g_clear_pointer (&e->probs, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SprayEntry, spray_entry_clear)

/* Predicts and explains one image; errors name the image (shown). */
static gboolean
explain_entry (const RelSprayHeatmapRequest *req, const char *path, const char *shown, SprayEntry *e,
               GError **error)
{
  g_autoptr(RelTensor) input = rel_input_load (req->model, path, error);
  if (input == NULL)
    {
      g_prefix_error (error, "%s: ", shown);
      return FALSE;
    }
  if (!predict (req->model, input, req->cancel, &e->predicted, &e->confidence, &e->n_outputs, &e->probs, error))
    {
      g_prefix_error (error, "%s: ", shown);
      return FALSE;
    }
  RelExplainRequest er = {
    .model = req->model, .input = input, .target = req->target, .params = req->method_params,
    .seed = req->seed, .cancel = req->cancel,
  };
  g_autoptr(RelExplanation) ex = rel_explain (NULL, &er, error);
  if (ex == NULL)
    {
      g_prefix_error (error, "%s: ", shown);
      return FALSE;
    }
  RelTensor *r = ex->relevance;
  if (r->ndim != 4 || r->shape[0] != 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s: relevance is not 1×C×H×W", shown);
      return FALSE;
    }
  int c = (int) r->shape[1];
  int mh = e->height = (int) r->shape[2];
  int mw = e->width = (int) r->shape[3];
  float *map = e->map = g_new0 (float, (gsize) mh * mw);
  const float *rv = rel_tensor_f32 (r);
  for (int ch = 0; ch < c; ch++)
    for (gsize p = 0; p < (gsize) mh * mw; p++)
      map[p] += rv[(gsize) ch * mh * mw + p];
  return TRUE;
}

/* Sizes the result by the first image's entry. */
static gboolean
heatmaps_alloc (RelSprayHeatmaps *h, int n, const SprayEntry *e, GError **error)
{
  int mh = e->height, mw = e->width;
  h->height = mh;
  h->width = mw;
  h->n_outputs = e->n_outputs;
  h->maps = g_try_new (float, (gsize) n * mh * mw);
  h->probs = g_try_new (float, (gsize) n * e->n_outputs);
  if (h->maps == NULL || h->probs == NULL || (gint64) n * mh * mw > REL_TENSOR_MAX_ELEMENTS)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "%d heatmaps of %d×%d do not fit in memory", n, mh, mw);
      return FALSE;
    }
  return TRUE;
}

RelSprayHeatmaps *
rel_spray_heatmaps (const RelSprayHeatmapRequest *req, const char *const *paths, int n, GError **error)
{
  if (req->model == NULL || req->method_params == NULL || n < 1 || n > REL_SPRAY_MAX_POINTS)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "SpRAy heatmaps: no model, method or images");
      return NULL;
    }
  g_autoptr(GChecksum) base = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *cache_dir = cache_open (req, base);

  g_autoptr(RelSprayHeatmaps) h = g_new0 (RelSprayHeatmaps, 1);
  h->n = n;
  h->predicted = g_new (int, n);
  h->confidence = g_new (float, n);
  int batch = req->batch_size > 0 ? req->batch_size : 16;
  /* the output size the model declares (0: dynamic), which an entry must match */
  RelValue *out_value = rel_model_value (req->model, req->model->output);
  int classes = out_value && out_value->ndim >= 1 && out_value->shape[out_value->ndim - 1] > 0
                && out_value->shape[out_value->ndim - 1] <= G_MAXINT
                ? (int) out_value->shape[out_value->ndim - 1] : 0;
  gboolean read_cache_ok = TRUE, sized_by_cache = FALSE;
  for (int i = 0; i < n; i++)
    {
      if (req->cancel && g_atomic_int_get (req->cancel))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
          return NULL;
        }
      /* file names are quoted for messages (they may not be UTF-8) */
      g_autofree char *shown = rel_quote_path (paths[i]);
      guint8 key[32];
      g_autofree char *cache_file = NULL;
      if (cache_dir && !cache_entry_key (base, cache_dir, paths[i], shown, key, &cache_file, error))
        return NULL;
      g_auto(SprayEntry) e = { .predicted = -1 };
      /* an entry is used only if it could have come from this model: a
       * damaged one costs its recomputation, never a wrong prediction */
      gboolean hit = cache_file && read_cache_ok
                     && read_cache (cache_file, key, &e.height, &e.width, &e.predicted, &e.confidence, &e.map,
                                    &e.n_outputs, &e.probs)
                     && (classes == 0 || e.n_outputs == classes) && e.predicted >= 0 && e.predicted < e.n_outputs
                     && e.confidence >= 0 && e.confidence <= 1
                     && (i == 0 || (e.height == h->height && e.width == h->width && e.n_outputs == h->n_outputs));
      if (hit)
        {
          h->n_cached++;
          sized_by_cache |= i == 0;
        }
      else
        {
          spray_entry_clear (&e);
          if (!explain_entry (req, paths[i], shown, &e, error))
            return NULL;
          h->n_explained++;
          if (cache_file)
            write_cache (cache_file, key, e.height, e.width, e.predicted, e.confidence, e.map, e.n_outputs, e.probs);
        }
      int mh = e.height, mw = e.width, n_out = e.n_outputs;
      if (i == 0)
        {
          if (!heatmaps_alloc (h, n, &e, error))
            return NULL;
        }
      else if ((mh != h->height || mw != h->width || n_out != h->n_outputs) && sized_by_cache)
        {
          /* the first map came from an entry that does not fit the rest (a
           * map size no other image gives): start again, reading no entry */
          g_clear_pointer (&h->maps, g_free);
          g_clear_pointer (&h->probs, g_free);
          h->n_cached = h->n_explained = 0;
          read_cache_ok = sized_by_cache = FALSE;
          i = -1;
          continue;
        }
      else if (mh != h->height || mw != h->width || n_out != h->n_outputs)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s: heatmap %d×%d, the others are %d×%d",
                       shown, mh, mw, h->height, h->width);
          return NULL;
        }
      memcpy (h->maps + (gsize) i * mh * mw, e.map, sizeof (float) * mh * mw);
      memcpy (h->probs + (gsize) i * n_out, e.probs, sizeof (float) * n_out);
      h->predicted[i] = e.predicted;
      h->confidence[i] = e.confidence;
      if (req->progress && ((i + 1) % batch == 0 || i == n - 1))
        req->progress ("heatmaps", (double) (i + 1) / n, req->progress_data);
    }
  return g_steal_pointer (&h);
}

/* ---- preprocessing ---- */

float *
rel_spray_preprocess (const float *maps, int n, int height, int width, const RelParams *params,
                      int *dim, GError **error)
{
  g_autoptr(RelParams) defaults = NULL;
  if (params == NULL)
    params = defaults = rel_params_new (&preprocess_def);
  int pool = rel_params_get_int (params, "pool");
  gboolean take_abs = rel_params_get_bool (params, "abs");
  const char *norm = rel_params_get_string (params, "norm");
  /* maps smaller than the pooled size are kept at their own resolution */
  pool = MIN (pool, MIN (height, width));
  if (n < 1 || height < 1 || width < 1 || pool < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "cannot pool %d×%d heatmaps to %d×%d", height, width, pool, pool);
      return NULL;
    }
  int d = pool * pool;
  float *out = g_try_new0 (float, (gsize) n * d);
  if (out == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for %d pooled heatmaps", n);
      return NULL;
    }
  for (int i = 0; i < n; i++)
    {
      const float *m = maps + (gsize) i * height * width;
      float *o = out + (gsize) i * d;
      /* bin b covers rows [b·H/pool, (b+1)·H/pool): every pixel in exactly one bin */
      for (int y = 0; y < height; y++)
        {
          int by = (int) ((gint64) y * pool / height);
          for (int x = 0; x < width; x++)
            o[by * pool + (int) ((gint64) x * pool / width)] += m[(gsize) y * width + x];
        }
      if (take_abs)
        for (int c = 0; c < d; c++)
          o[c] = fabsf (o[c]);
      double s = 0;
      if (g_strcmp0 (norm, "sum") == 0)
        for (int c = 0; c < d; c++)
          s += fabsf (o[c]);
      else if (g_strcmp0 (norm, "max") == 0)
        for (int c = 0; c < d; c++)
          s = MAX (s, fabsf (o[c]));
      if (s > 0)
        for (int c = 0; c < d; c++)
          o[c] = (float) (o[c] / s);
    }
  *dim = d;
  return out;
}

/* ---- the analysis ---- */

void
rel_spray_result_free (RelSprayResult *r)
{
  if (r == NULL)
    return;
  g_free (r->eigenvalues);
  g_free (r->spectral);
  g_free (r->labels);
  g_free (r->tsne);
  g_free (r->spectral2d);
  for (int c = 0; c < r->n_clusters; c++)
    {
      g_free (r->clusters[c].prototype);
      g_free (r->clusters[c].nearest);
    }
  g_free (r->clusters);
  if (r->kmeans_by_k)
    for (int k = 0; k <= r->max_k; k++)
      g_free (r->kmeans_by_k[k]);
  g_free (r->kmeans_by_k);
  g_free (r);
}

/* The first @k eigenvectors with each row scaled to unit length (Ng, Jordan &
 * Weiss): the clusters become points on the sphere, whatever basis the solver
 * chose for a repeated eigenvalue. */
static float *
row_normalised (const RelSprayResult *r, int k)
{
  float *e = g_new (float, (gsize) r->n * k);
  for (int i = 0; i < r->n; i++)
    {
      double s = 0;
      for (int c = 0; c < k; c++)
        {
          float v = r->spectral[(gsize) i * r->n_eig + c];
          e[(gsize) i * k + c] = v;
          s += (double) v * v;
        }
      s = s > 0 ? 1 / sqrt (s) : 0;
      for (int c = 0; c < k; c++)
        e[(gsize) i * k + c] *= (float) s;
    }
  return e;
}

typedef struct { double d; int i; } DistIndex;

static int
dist_index_cmp (const void *a, const void *b)
{
  const DistIndex *x = a, *y = b;
  return x->d < y->d ? -1 : x->d > y->d ? 1 : (x->i - y->i);
}

gboolean
rel_spray_recluster (RelSprayResult *r, const float *x, const int *predicted, const float *confidence,
                     const int *truth, const RelParams *cluster_params, volatile gint *cancel, GError **error)
{
  g_autoptr(RelParams) defaults = NULL;
  if (cluster_params == NULL)
    cluster_params = defaults = rel_params_new (rel_spray_stage_cluster ());
  const char *algo = rel_params_get_string (cluster_params, "algorithm");
  int k = rel_params_get_int (cluster_params, "k");
  int n_init = rel_params_get_int (cluster_params, "n-init");
  int max_iter = rel_params_get_int (cluster_params, "max-iter");
  guint64 seed = (guint64) rel_params_get_int (cluster_params, "seed");
  int n_nearest = rel_params_get_int (cluster_params, "nearest");
  int n = r->n;
  if (k == 0)
    k = r->suggested_k;
  k = CLAMP (k, 1, MIN (n, r->n_eig));
  g_autofree float *emb = row_normalised (r, k);
  g_autofree int *labels = g_new (int, n);
  int n_clusters = k;
  if (g_strcmp0 (algo, "agglomerative") == 0)
    {
      if (!rel_ward (emb, n, k, k, labels, cancel, error))
        return FALSE;
    }
  else if (g_strcmp0 (algo, "dbscan") == 0)
    {
      n_clusters = rel_dbscan (emb, n, k, rel_params_get_float (cluster_params, "eps"),
                               rel_params_get_int (cluster_params, "min-samples"), labels, cancel, error);
      if (n_clusters < 0)
        return FALSE;
    }
  else if (rel_kmeans (emb, n, k, k, n_init, max_iter, seed, labels, NULL, cancel, error) < 0)
    return FALSE;

  for (int c = 0; c < r->n_clusters; c++)
    {
      g_free (r->clusters[c].prototype);
      g_free (r->clusters[c].nearest);
    }
  g_free (r->clusters);
  g_free (r->labels);
  r->k = k;
  r->labels = g_steal_pointer (&labels);
  r->n_clusters = n_clusters;
  r->clusters = g_new0 (RelSprayCluster, MAX (n_clusters, 1));
  g_autofree double *centre = g_new (double, k);
  g_autofree DistIndex *di = g_new (DistIndex, n);
  for (int c = 0; c < n_clusters; c++)
    {
      RelSprayCluster *cl = &r->clusters[c];
      int correct = 0, with_truth = 0;
      double conf = 0;
      cl->id = c;
      cl->prototype = g_new0 (float, r->dim);
      memset (centre, 0, sizeof (double) * k);
      for (int i = 0; i < n; i++)
        {
          if (r->labels[i] != c)
            continue;
          cl->size++;
          for (int q = 0; q < r->dim; q++)
            cl->prototype[q] += x[(gsize) i * r->dim + q];
          for (int q = 0; q < k; q++)
            centre[q] += emb[(gsize) i * k + q];
          if (confidence)
            conf += confidence[i];
          if (truth && predicted && truth[i] >= 0)
            {
              with_truth++;
              correct += predicted[i] == truth[i];
            }
        }
      if (cl->size > 0)
        {
          for (int q = 0; q < r->dim; q++)
            cl->prototype[q] /= cl->size;
          for (int q = 0; q < k; q++)
            centre[q] /= cl->size;
        }
      cl->accuracy = with_truth > 0 ? (double) correct / with_truth : NAN;
      cl->mean_confidence = confidence && cl->size > 0 ? conf / cl->size : NAN;
      int m = 0;
      for (int i = 0; i < n; i++)
        if (r->labels[i] == c)
          {
            double s = 0;
            for (int q = 0; q < k; q++)
              {
                double t = emb[(gsize) i * k + q] - centre[q];
                s += t * t;
              }
            di[m++] = (DistIndex) { s, i };
          }
      qsort (di, m, sizeof (DistIndex), dist_index_cmp);
      cl->n_nearest = MIN (m, n_nearest);
      cl->nearest = g_new (int, MAX (cl->n_nearest, 1));
      for (int q = 0; q < cl->n_nearest; q++)
        cl->nearest[q] = di[q].i;
    }
  return TRUE;
}

static RelSprayResult *
analyse (const float *x, int n, int dim, int pool,
         const int *predicted, const float *confidence, const int *truth,
         RelParams *const *p, gboolean with_tsne,
         RelSprayProgress progress, gpointer progress_data,
         volatile gint *cancel, GError **error)
{
  int k_nn = rel_params_get_int (p[1], "neighbors");
  int m = rel_params_get_int (p[2], "eigenvalues");
  int max_k = rel_params_get_int (p[3], "max-k");
  if (n < 3)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "SpRAy needs at least 3 images, got %d", n);
      return NULL;
    }
  k_nn = MIN (k_nn, n - 1);
  m = MIN (m, n);
  max_k = MIN (max_k, m - 1);
  if (max_k < 2)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "too few images (%d) for a clustering", n);
      return NULL;
    }
  g_autoptr(RelSprayResult) r = g_new0 (RelSprayResult, 1);
  r->n = n;
  r->dim = dim;
  r->pool = pool;
  r->n_eig = m;
  r->max_k = max_k;

  gint64 t0 = g_get_monotonic_time ();
  g_autofree int *idx = g_try_new (int, (gsize) n * k_nn);
  g_autofree float *dist2 = g_try_new (float, (gsize) n * k_nn);
  if (!idx || !dist2)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for the kNN graph");
      return NULL;
    }
  if (!rel_spray_knn_auto (x, n, dim, k_nn, p[1], idx, dist2, &r->knn_approximate, cancel, progress,
                           progress_data, error))
    return NULL;
  g_autoptr(RelSparse) w = rel_spray_affinity (idx, dist2, n, k_nn, p[1], error);
  if (w == NULL)
    return NULL;
  g_clear_pointer (&idx, g_free);
  g_clear_pointer (&dist2, g_free);
  g_autofree float *dis = g_new (float, n);
  g_autoptr(RelSparse) l = rel_spray_laplacian (w, dis, error);
  if (l == NULL)
    return NULL;
  gint64 t1 = g_get_monotonic_time ();
  r->eigenvalues = g_new (float, m);
  r->spectral = g_new (float, (gsize) n * m);
  if (!rel_spray_eigen (l, m, p[2], r->eigenvalues, r->spectral, cancel, progress, progress_data, error))
    return NULL;
  /* a deterministic sign per eigenvector: its largest-magnitude entry positive */
  for (int c = 0; c < m; c++)
    {
      int best = 0;
      for (int i = 1; i < n; i++)
        if (fabsf (r->spectral[(gsize) i * m + c]) > fabsf (r->spectral[(gsize) best * m + c]))
          best = i;
      if (r->spectral[(gsize) best * m + c] < 0)
        for (int i = 0; i < n; i++)
          r->spectral[(gsize) i * m + c] = -r->spectral[(gsize) i * m + c];
    }
  r->suggested_k = rel_spray_eigengap (r->eigenvalues, m, max_k);
  r->spectral2d = g_new0 (float, 2 * (gsize) n);
  for (int i = 0; i < n; i++)
    for (int c = 0; c < 2 && c + 1 < m; c++)
      r->spectral2d[2 * i + c] = r->spectral[(gsize) i * m + c + 1] * dis[i];
  gint64 t2 = g_get_monotonic_time ();

  /* k-means for every k (ViRelAy's kmeans-NN), then the chosen clustering */
  r->kmeans_by_k = g_new0 (int *, max_k + 1);
  g_autoptr(RelParams) kp = rel_params_copy (p[3]);
  for (int k = 2; k <= max_k; k++)
    {
      g_autofree float *emb = row_normalised (r, k);
      r->kmeans_by_k[k] = g_new (int, n);
      if (rel_kmeans (emb, n, k, k, rel_params_get_int (kp, "n-init"), rel_params_get_int (kp, "max-iter"),
                      (guint64) rel_params_get_int (kp, "seed"), r->kmeans_by_k[k], NULL, cancel, error) < 0)
        return NULL;
    }
  if (!rel_spray_recluster (r, x, predicted, confidence, truth, p[3], cancel, error))
    return NULL;
  if (progress)
    progress ("cluster", 1, progress_data);
  gint64 t3 = g_get_monotonic_time ();
  if (with_tsne && n >= 4)  /* fewer points have no neighbourhoods to preserve */
    {
      int te = MIN (m, max_k);
      g_autofree float *emb = row_normalised (r, te);
      r->tsne = g_new (float, 2 * (gsize) n);
      if (!rel_spray_tsne (emb, n, te, p[4], r->tsne, cancel, progress, progress_data, error))
        return NULL;
    }
  gint64 t4 = g_get_monotonic_time ();
  r->seconds_knn = (t1 - t0) / 1e6;
  r->seconds_eigen = (t2 - t1) / 1e6;
  r->seconds_cluster = (t3 - t2) / 1e6;
  r->seconds_tsne = (t4 - t3) / 1e6;
  return g_steal_pointer (&r);
}

RelSprayResult *
rel_spray_analyse (const float *x, int n, int dim, int pool,
                   const int *predicted, const float *confidence, const int *truth,
                   RelParams *const *params, gboolean with_tsne,
                   RelSprayProgress progress, gpointer progress_data,
                   volatile gint *cancel, GError **error)
{
  const RelMethodDef *defs[5] = {
    rel_spray_stage_preprocess (), rel_spray_stage_affinity (), rel_spray_stage_eigen (),
    rel_spray_stage_cluster (), rel_spray_stage_tsne (),
  };
  RelParams *own[5] = { NULL }, *p[5];
  for (int s = 0; s < 5; s++)
    p[s] = params && params[s] ? params[s] : (own[s] = rel_params_new (defs[s]));
  RelSprayResult *r = analyse (x, n, dim, pool, predicted, confidence, truth, p, with_tsne,
                               progress, progress_data, cancel, error);
  for (int s = 0; s < 5; s++)
    rel_params_free (own[s]);
  return r;
}
