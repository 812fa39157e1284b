/* rel-spray.h — spectral relevance analysis (SpRAy, Lapuschkin et al. 2019):
 * cluster the heatmaps of one class to reveal the strategies a model uses.
 *
 * Stages, each its own function so the app can re-run the cheap ones live:
 *   heatmaps (rel-spray.c, cached on disk) → preprocess (pool, abs, normalise)
 *   → kNN affinity (rel-knn.c, exact by blocked GEMM, sparse) → normalised
 *   Laplacian → smallest eigenpairs (rel-embed.c: dense LAPACK or block
 *   Lanczos) → eigengap → clustering (rel-cluster.c: k-means, Ward, DBSCAN)
 *   → 2-D view (Barnes–Hut t-SNE, spectral coordinates) → per-cluster stats.
 *
 * Every stage's settings are RelParams of a RelMethodDef whose run is NULL
 * (rel_spray_stage_*): the same specs, parsing and ranges as the explainers'
 * parameters, so the CLI's --set and the app's panels read them the same way.
 * Matrices are row-major float arrays; nothing N×N is ever allocated except
 * the dense eigensolver's Laplacian for N ≤ REL_SPRAY_DENSE_MAX.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-explain.h"

G_BEGIN_DECLS

#define REL_SPRAY_DENSE_MAX 2000     /* "auto" solver: dense ssyevr up to this N */
#define REL_SPRAY_MAX_POINTS 1000000 /* refuse larger analyses before allocating */
#define REL_SPRAY_APPROX_MIN 100000  /* knn "auto": the approximate search from this N */

/* Progress of a long stage: @fraction in [0,1]; @stage names it ("heatmaps", "knn", …). */
typedef void (*RelSprayProgress) (const char *stage, double fraction, gpointer user_data);

/* ---- stage parameter tables (RelMethodDef with run == NULL) ---- */
const RelMethodDef *rel_spray_stage_preprocess (void); /* pool, abs, norm */
const RelMethodDef *rel_spray_stage_affinity   (void); /* neighbors, kernel, bandwidth, knn, pca, knn-seed */
const RelMethodDef *rel_spray_stage_eigen      (void); /* eigenvalues, solver, tol, max-iter, seed */
const RelMethodDef *rel_spray_stage_cluster    (void); /* algorithm, k, n-init, seed, eps, min-samples, max-k */
const RelMethodDef *rel_spray_stage_tsne       (void); /* perplexity, iterations, theta, seed */
/* Looks @key up in the stage tables in that order and sets it there:
 * params[0..4] are the five stages' RelParams. */
gboolean rel_spray_params_set (RelParams **params, const char *assignment, GError **error);

/* ---- heatmaps ---- */
typedef struct {
  int     n, height, width;  /* n channel-summed maps of height × width */
  float  *maps;              /* n × height × width */
  int    *predicted;         /* arg-max class per image */
  float  *confidence;        /* softmax probability of the predicted class */
  int     n_outputs;         /* model outputs (classes) */
  float  *probs;             /* n × n_outputs softmax probabilities */
  int     n_explained;       /* images for which rel_explain actually ran */
  int     n_cached;          /* images read back from the cache */
} RelSprayHeatmaps;

typedef struct {
  RelModel         *model;
  const char       *model_path;   /* hashed (contents) for the cache key; NULL: model->path */
  RelParams        *method_params;/* the explainer and its parameters */
  RelTarget         target;       /* usually REL_TARGET_PREDICTED or the class */
  const char       *cache_dir;    /* NULL: g_get_user_cache_dir()/relevance/spray; "" disables */
  int               batch_size;   /* images per progress report / cancel check (0: 16) */
  guint64           seed;
  RelSprayProgress  progress;
  gpointer          progress_data;
  volatile gint    *cancel;
} RelSprayHeatmapRequest;

/* Explains every path (images or .npy) and keeps the channel sum. All maps
 * must have the same size (the model's input); a map read from the cache is
 * checked against its key and size and recomputed if it does not match. */
RelSprayHeatmaps *rel_spray_heatmaps (const RelSprayHeatmapRequest *req, const char *const *paths,
                                      int n, GError **error);
void              rel_spray_heatmaps_free (RelSprayHeatmaps *h);

/* ---- preprocessing ---- */
/* Sum-pools each map to pool × pool (bins cover the map exactly; a pool larger
 * than the map's sides becomes the smaller side), optional |·|, then normalises each row to unit sum of
 * absolute values ("sum"), unit max |·| ("max") or not ("none").
 * Returns n × (pool·pool), *dim set to the pool² actually used. */
float *rel_spray_preprocess (const float *maps, int n, int height, int width,
                             const RelParams *params, int *dim, GError **error);

/* ---- sparse matrices ---- */
typedef struct {
  int    n;
  int   *rowptr;  /* n + 1 */
  int   *col;     /* sorted within a row */
  float *val;
} RelSparse;
void rel_sparse_free (RelSparse *s);
/* y = S x */
void rel_sparse_mv (const RelSparse *s, const float *x, float *y);
/* Y = S X for X n × m row-major */
void rel_sparse_mm (const RelSparse *s, const float *x, int m, float *y);

/* ---- kNN and affinity (rel-knn.c) ---- */
/* Exact k nearest neighbours (self excluded) of every row of @x (n × d) by
 * squared Euclidean distance: @idx and @dist2 are n × k, nearest first.
 * Computed in row blocks with rel_sgemm, so memory is O(block · n). */
gboolean rel_spray_knn (const float *x, int n, int d, int k, int *idx, float *dist2,
                        volatile gint *cancel, RelSprayProgress progress, gpointer progress_data,
                        GError **error);
/* Approximate k nearest neighbours, same contract as rel_spray_knn: a
 * random-projection forest seeds the lists, synchronous NN-descent passes
 * refine them. Deterministic for a @seed, whatever the thread count. */
gboolean rel_spray_knn_approx (const float *x, int n, int d, int k, guint64 seed, int *idx, float *dist2,
                               volatile gint *cancel, RelSprayProgress progress, gpointer progress_data,
                               GError **error);
/* Randomised PCA (rel-pca.c): the coordinates @y (n × dp) of the mean-centred
 * rows of @x (n × d) on their @dp leading principal components; @components
 * (dp × d, unit rows, largest-magnitude entry positive) and @singular (dp,
 * the centred matrix's singular values, descending) may be NULL. Seeded,
 * deterministic. */
gboolean rel_spray_pca (const float *x, int n, int d, int dp, guint64 seed, float *y, float *components,
                        float *singular, GError **error);
/* The same @dp coordinates followed by @ds more: a Gaussian sketch (scaled
 * by 1/√ds, Johnson–Lindenstrauss) of each row's residual off the principal
 * subspace. @y is n × (dp + ds). Distances in @y approximate the full ones:
 * the leading components carry the structure exactly, the sketch keeps the
 * residual's energy, which PCA alone drops (where isotropic noise makes most
 * of the distance, dropping it turns the kNN graph inside a cluster into a
 * chain along its largest direction, and the eigengap then splits it). */
gboolean rel_spray_project (const float *x, int n, int d, int dp, int ds, guint64 seed, float *y,
                            float *components, float *singular, GError **error);
/* The kNN the affinity parameters ask for: "knn" exact, approximate or auto
 * (approximate from REL_SPRAY_APPROX_MIN points); the approximate search
 * works on the "pca" leading components when that is > 0 and < d, so
 * @dist2 are then distances in that projection. *approximate (may be NULL)
 * says which ran. */
gboolean rel_spray_knn_auto (const float *x, int n, int d, int k, const RelParams *affinity,
                             int *idx, float *dist2, gboolean *approximate, volatile gint *cancel,
                             RelSprayProgress progress, gpointer progress_data, GError **error);
/* The symmetric affinity W = (A + Aᵀ)/2 of the kNN graph A: binary (1 per
 * neighbour) or Gaussian exp(−d²/(2σ²)), σ from the "bandwidth" parameter or,
 * when it is 0, the mean distance to the k-th neighbour. */
RelSparse *rel_spray_affinity (const int *idx, const float *dist2, int n, int k,
                               const RelParams *params, GError **error);
/* L = I − D^{-1/2} W D^{-1/2} (isolated points get L_ii = 1). If @dinv_sqrt
 * is not NULL it receives D^{-1/2} (n). */
RelSparse *rel_spray_laplacian (const RelSparse *w, float *dinv_sqrt, GError **error);

/* ---- eigenpairs, eigengap, embeddings (rel-embed.c) ---- */
/* The @m smallest eigenvalues (ascending, @w) and eigenvectors (@z, n × m,
 * column j for w[j]) of the symmetric @l. solver "auto", "dense", "lanczos". */
gboolean rel_spray_eigen (const RelSparse *l, int m, const RelParams *params, float *w, float *z,
                          volatile gint *cancel, RelSprayProgress progress, gpointer progress_data,
                          GError **error);
/* Dense reference: all of it through rel_lapack_syevr. */
gboolean rel_spray_eigen_dense (const RelSparse *l, int m, float *w, float *z, GError **error);
/* Block Lanczos with full reorthogonalisation and restarts. */
gboolean rel_spray_eigen_lanczos (const RelSparse *l, int m, double tol, int max_iter, guint64 seed,
                                  float *w, float *z, volatile gint *cancel, GError **error);
/* The k in [2, max_k] (max_k < m) with the largest gap w[k] − w[k−1]. */
int      rel_spray_eigengap (const float *w, int m, int max_k);

/* Barnes–Hut t-SNE of @x (n × d) into @y (n × 2). */
gboolean rel_spray_tsne (const float *x, int n, int d, const RelParams *params, float *y,
                         volatile gint *cancel, RelSprayProgress progress, gpointer progress_data,
                         GError **error);

/* ---- clustering (rel-cluster.c) ---- */
/* k-means (Lloyd) with k-means++ seeding, best of @n_init seeded restarts by
 * inertia. @labels n, @centers k × d (may be NULL). Returns the inertia, < 0 on error. */
double   rel_kmeans (const float *x, int n, int d, int k, int n_init, int max_iter, guint64 seed,
                     int *labels, float *centers, volatile gint *cancel, GError **error);
/* Ward agglomerative clustering cut at @k clusters (nearest-neighbour chain,
 * O(n) memory). */
gboolean rel_ward (const float *x, int n, int d, int k, int *labels, volatile gint *cancel, GError **error);
/* DBSCAN; noise gets −1. Returns the cluster count, < 0 on error. */
int      rel_dbscan (const float *x, int n, int d, double eps, int min_samples, int *labels,
                     volatile gint *cancel, GError **error);
/* Adjusted Rand index of two labelings (labels any ints). */
double   rel_adjusted_rand_index (const int *a, const int *b, int n);

/* ---- the whole analysis ---- */
typedef struct {
  int     id, size;
  double  accuracy;         /* share with predicted == label (NaN without labels) */
  double  mean_confidence;
  float  *prototype;        /* mean preprocessed map, dim values */
  int     n_nearest;
  int    *nearest;          /* indices of the images closest to the centre in the embedding */
} RelSprayCluster;

typedef struct {
  int     n, dim;           /* points and preprocessed map size (pool²) */
  int     pool;
  int     n_eig;            /* eigenpairs kept */
  float  *eigenvalues;      /* n_eig ascending */
  float  *spectral;         /* n × n_eig eigenvectors of L */
  int     suggested_k;
  int     k;                /* used for the clustering */
  int    *labels;           /* n cluster ids (−1: DBSCAN noise) */
  float  *tsne;             /* n × 2, NULL if not computed */
  float  *spectral2d;       /* n × 2: eigenvectors 2 and 3 scaled by D^{-1/2} */
  int     n_clusters;
  RelSprayCluster *clusters;
  /* per k in [2, max_k]: k-means labels on the embedding (for ViRelAy's kmeans-NN) */
  int     max_k;
  int   **kmeans_by_k;      /* index k (0 and 1 NULL) */
  double  seconds_knn, seconds_eigen, seconds_cluster, seconds_tsne;
  gboolean knn_approximate;  /* the approximate search made the kNN graph */
} RelSprayResult;

/* Runs everything after the heatmaps on preprocessed @x (n × dim); @predicted,
 * @confidence, @truth may be NULL. @params: the five stages' RelParams (NULL
 * entries use defaults). @with_tsne FALSE skips t-SNE. */
RelSprayResult *rel_spray_analyse (const float *x, int n, int dim, int pool,
                                   const int *predicted, const float *confidence, const int *truth,
                                   RelParams *const *params, gboolean with_tsne,
                                   RelSprayProgress progress, gpointer progress_data,
                                   volatile gint *cancel, GError **error);
/* Re-clusters an existing result with other clustering params (k, algorithm)
 * without recomputing heatmaps, kNN or eigenvectors. */
gboolean rel_spray_recluster (RelSprayResult *r, const float *x, const int *predicted,
                              const float *confidence, const int *truth, const RelParams *cluster_params,
                              volatile gint *cancel, GError **error);
void     rel_spray_result_free (RelSprayResult *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelSprayHeatmaps, rel_spray_heatmaps_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelSprayResult, rel_spray_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelSparse, rel_sparse_free)

G_END_DECLS
