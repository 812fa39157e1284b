/* rel-op.h — the operator table.
 *
 * One RelOpDef per ONNX op_type (ggml-style op table): a load-time `prepare`
 * that validates and parses attributes into node->params, a `forward` that
 * allocates and fills the node's outputs, and a `backward` that computes
 * vector–Jacobian products for the inputs asked for. Explainers never branch on
 * a model: LRP rules reuse forward/backward with modified input tensors (e.g. a
 * Conv run with W⁺), so every op only needs these three functions.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-tensor.h"

G_BEGIN_DECLS

typedef struct _RelModel   RelModel;
typedef struct _RelNode    RelNode;
typedef struct _RelOpDef   RelOpDef;
typedef struct _RelContext RelContext;

/* How an op behaves for relevance propagation; LRP chooses its rule by this. */
typedef enum {
  REL_OP_CLASS_OTHER,      /* no LRP meaning; relevance passes through the gradient */
  REL_OP_CLASS_LINEAR,     /* Conv, Gemm, MatMul: the layers LRP rules are applied to */
  REL_OP_CLASS_ACTIVATION, /* element-wise nonlinearity: relevance passes unchanged */
  REL_OP_CLASS_ROUTE,      /* MaxPool, reshapes, transposes, slices: relevance follows the gradient */
  REL_OP_CLASS_MIX,        /* Add, AveragePool, GlobalAveragePool, Concat of sums: z-rule share by contribution */
  REL_OP_CLASS_NORM,       /* BatchNormalization: folded into a neighbouring linear layer before LRP */
  REL_OP_CLASS_SHAPE,      /* int64 shape arithmetic; never on the relevance path */
} RelOpClass;

/* Per-run settings every kernel may read. */
struct _RelContext {
  int n_threads;           /* worker threads for the core's own loops (BLAS threads are set separately) */
  volatile gint *cancel;   /* optional: non-zero asks a long op to stop between chunks */
  gboolean training;       /* training step: BatchNormalization normalises with the batch's
                            * statistics (and differentiates through them); 0 = inference */
  gboolean blas_only;      /* products through BLAS alone, never the core's own AVX-512 GEMM
                            * (rel-gemm.h): results then depend on the BLAS, not on the CPU's
                            * vector extensions. Training sets it: its weights amplify the
                            * last bit of rounding, and the demo model must be reproducible */
};

typedef gboolean (*RelOpPrepareFunc)  (RelModel *model, RelNode *node, GError **error);
/* inputs[i] is NULL for an omitted optional input. Must set every outputs[i]
 * (a new tensor, owned by the caller) or fail. */
typedef gboolean (*RelOpForwardFunc)  (const RelNode *node, RelTensor *const *inputs,
                                       RelTensor **outputs, const RelContext *ctx, GError **error);
/* Given dL/d outputs[0] in @grad_output, sets grad_inputs[i] (new tensor, same
 * shape as inputs[i]) for every i with need[i] TRUE. @outputs are the forward
 * outputs (MaxPool reads them to find the winners). */
typedef gboolean (*RelOpBackwardFunc) (const RelNode *node, RelTensor *const *inputs,
                                       RelTensor *const *outputs, const RelTensor *grad_output,
                                       RelTensor **grad_inputs, const gboolean *need,
                                       const RelContext *ctx, GError **error);
/* The same for an op with several differentiable outputs (Split): one
 * cotangent per output, NULL for an output nothing downstream reads (zero). */
typedef gboolean (*RelOpBackwardOutputsFunc) (const RelNode *node, RelTensor *const *inputs,
                                              RelTensor *const *outputs,
                                              const RelTensor *const *grad_outputs,
                                              RelTensor **grad_inputs, const gboolean *need,
                                              const RelContext *ctx, GError **error);

/* The most inputs (and outputs) a node may have: the ONNX loader's bound on a
 * hostile file. Variadic operators (Concat, Sum, Mean, Max, Min) accept this
 * many, so DenseNet's Concats of every earlier layer load, however deep the
 * block; the engines allocate their per-node arrays to the node's count. */
#define REL_OP_MAX_INPUTS 4096

struct _RelOpDef {
  const char       *name;         /* ONNX op_type */
  int               min_inputs;
  int               max_inputs;
  int               max_outputs;  /* extra outputs beyond this are refused at load */
  RelOpClass        klass;
  RelOpPrepareFunc  prepare;      /* may be NULL */
  RelOpForwardFunc  forward;
  RelOpBackwardFunc backward;     /* NULL: not differentiable (shape ops) */
  GDestroyNotify    free_params;  /* for node->params; NULL means g_free */
  /* instead of @backward when every output carries a cotangent; backward
   * hooks (LRP) do not see such nodes: they route as the gradient does */
  RelOpBackwardOutputsFunc backward_outputs;
};

/* The table, looked up by op_type. NULL if unsupported. */
const RelOpDef *rel_op_lookup (const char *op_type);
/* All supported op_types, sorted, NULL-terminated; owned by the core. */
const char *const *rel_op_names (void);
/* "Abs, Add, …" — for the unsupported-operator message; free with g_free. */
char *rel_op_names_joined (void);

/* Every ops file exports its defs through one of these; rel-op.c concatenates them. */
extern const RelOpDef rel_ops_linear[];      /* rel-ops-linear.c: Conv, Gemm, MatMul */
extern const RelOpDef rel_ops_pool[];        /* rel-ops-pool.c: pools, BatchNormalization */
extern const RelOpDef rel_ops_elementwise[]; /* rel-ops-elementwise.c: arithmetic, activations, Softmax */
extern const RelOpDef rel_ops_shape[];       /* rel-ops-shape.c: Reshape, Transpose, Concat, Pad, Shape, … */
/* each array ends with an entry whose name is NULL */

G_END_DECLS
