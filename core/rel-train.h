/* rel-train.h — training small CNNs in the core: architectures described in
 * code, cross-entropy, SGD with momentum and Adam, seeded mini-batches with
 * artifact planting on the fly.
 *
 * A model under training is an ordinary RelModel: the architecture is built as
 * an ONNX graph (rel-onnx-export.h) and loaded, so training, explaining and
 * exporting all see one graph. Training updates the float32 initializers of
 * its Conv and Gemm nodes in place; rel_onnx_export writes the result.
 *
 * Reproducibility: with the same data, options, seed and thread count, the
 * weights are bit-identical (the kernels' thread partitions are static).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-idx.h"
#include "rel-model.h"
#include "rel-plant.h"

G_BEGIN_DECLS

typedef enum {
  REL_OPTIMIZER_SGD,   /* with momentum */
  REL_OPTIMIZER_ADAM,
} RelOptimizer;

typedef struct {
  int          epochs;        /* default 3 */
  int          batch;         /* default 64 */
  double       lr;            /* default 1e-3 (Adam) — use ~0.05 for SGD */
  double       momentum;      /* SGD, default 0.9 */
  double       weight_decay;  /* L2 on weights (not biases), default 0 */
  double       beta1, beta2, eps;  /* Adam, defaults 0.9, 0.999, 1e-8 */
  gboolean     cosine;        /* cosine decay of lr to 0 over all steps (default TRUE) */
  RelOptimizer optimizer;     /* default Adam */
  guint64      seed;          /* shuffle order; default 0 */
  int          n_threads;     /* 0: rel_core_threads () */
  const char *const *trainable; /* names of the nodes whose weights train (fine-tuning a
                                 * head); NULL: every Conv, Gemm and BatchNormalization */
} RelTrainOptions;

void rel_train_options_init (RelTrainOptions *opt);

typedef struct {
  int    epoch, n_epochs;     /* 1-based epoch */
  int    step, n_steps;       /* 1-based step within the epoch */
  double loss;                /* mean loss of this step's batch */
  double epoch_loss;          /* running mean over the epoch so far */
  double accuracy;            /* running training accuracy over the epoch so far */
} RelTrainProgress;

/* Called after every step; return FALSE to stop (as the cancel flag does). */
typedef gboolean (*RelTrainProgressFunc) (const RelTrainProgress *progress, gpointer user_data);

/* Built-in architectures, NULL-terminated:
 *   "tiny"  Conv5×5(8)-ReLU-MaxPool2-Conv5×5(16)-ReLU-MaxPool2-Gemm
 *   "tiny-bn" tiny with BatchNormalization after each Conv (batch statistics
 *           while training, running statistics from mean 0, var 1 for inference)
 *   "tiny-fc" tiny with the head of small: Gemm(64)-ReLU-Gemm
 *   "small" Conv5×5(16)-ReLU-MaxPool2-Conv5×5(32)-ReLU-MaxPool2-Gemm(64)-ReLU-Gemm
 *   "mlp"   Gemm(128)-ReLU-Gemm (for tests: fast)
 * Convs keep the size ("same" padding); H and W must be divisible by 4. */
const char *const *rel_train_arch_names (void);

/* The untrained network: He-normal weights from @seed, zero biases; input
 * "input" N×C×H×W (N dynamic), output "logits" N×classes. Metadata gets the
 * preprocessing (relevance.scale = 1/255, relevance.mean/std from @mean/@std,
 * one value per channel in [0,1]-scaled units) and relevance.labels. */
RelModel *rel_train_build (const char *arch, int channels, int height, int width,
                           const char *const *labels, const float *mean, const float *std,
                           guint64 seed, GError **error);

/* The per-channel mean and standard deviation of @set's pixels scaled to [0,1]. */
void      rel_sample_set_stats (const RelSampleSet *set, float *mean, float *std);

/* Mean cross-entropy of @logits (N×K) against @labels through a stable
 * log-softmax. @grad (may be NULL) gets dL/dlogits = (softmax − onehot)/N;
 * @correct (may be NULL) the count of argmax hits. */
double    rel_cross_entropy (const RelTensor *logits, const int *labels, RelTensor *grad, int *correct);

/* The model's input tensor for samples @indices of @set: pixels (with the
 * artifact painted where @plant selects a sample, by its index in @set; NULL:
 * none) through model->preprocess (scale, mean, std). */
RelTensor *rel_train_make_batch (RelModel *model, const RelSampleSet *set, const int *indices, int n,
                                 const RelPlantSpec *plant, GError **error);

/* Trains @model on @train. @plant (may be NULL) is applied per sample as
 * rel_plant_selects decides. @cancel (may be NULL) is read every step. */
gboolean  rel_train (RelModel *model, const RelSampleSet *train, const RelPlantSpec *plant,
                     const RelTrainOptions *opt, RelTrainProgressFunc progress, gpointer user_data,
                     volatile gint *cancel, GError **error);

/* After a training step's forward @acts: moves every BatchNormalization's
 * running mean and variance (its constants inputs 3 and 4) towards the batch
 * statistics of its input, running·momentum + batch·(1 − momentum) with the
 * node's momentum (default 0.9) and the unbiased batch variance. rel_train
 * calls it every step. */
void      rel_train_update_bn_stats (RelModel *model, RelActivations *acts);

/* Predictions for every sample of @set (artifacts painted where @plant
 * selects; NULL: clean) into @predictions (set->n ints, may be NULL); returns
 * the accuracy in [0,1], or a negative value with @error set. */
double    rel_train_evaluate (RelModel *model, const RelSampleSet *set, const RelPlantSpec *plant,
                              int *predictions, int n_threads, GError **error);

G_END_DECLS
