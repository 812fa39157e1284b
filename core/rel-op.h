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

/* Every supported op, grouped by the file that defines it, in that file's
 * table order. Each family file asserts at compile time that its table has
 * exactly its ids' count of entries (ggml does the same for its op enum), and
 * test-ops-table checks every entry's id, so the enum and the tables cannot
 * drift apart. Engines compare ids, never op_type strings. */
typedef enum {
  /* rel-ops-linear.c (4) */
  REL_OP_CONV,
  REL_OP_GEMM, REL_OP_MATMUL, REL_OP_EINSUM,
  REL_OPS_LINEAR_END,
  /* rel-ops-pool.c (4) */
  REL_OP_MAX_POOL = REL_OPS_LINEAR_END,
  REL_OP_AVERAGE_POOL, REL_OP_GLOBAL_MAX_POOL, REL_OP_GLOBAL_AVERAGE_POOL,
  REL_OPS_POOL_END,
  /* rel-ops-norm.c (1) */
  REL_OP_BATCH_NORMALIZATION = REL_OPS_POOL_END,
  REL_OPS_NORM_END,
  /* rel-ops-elementwise.c (68) */
  REL_OP_ADD = REL_OPS_NORM_END,
  REL_OP_SUB, REL_OP_MUL, REL_OP_DIV, REL_OP_POW, REL_OP_SUM, REL_OP_MEAN, REL_OP_MAX, REL_OP_MIN,
  REL_OP_RELU, REL_OP_LEAKY_RELU, REL_OP_ELU, REL_OP_PRELU, REL_OP_CLIP, REL_OP_SIGMOID,
  REL_OP_HARD_SIGMOID, REL_OP_HARD_SWISH, REL_OP_TANH, REL_OP_SOFTPLUS, REL_OP_EXP, REL_OP_LOG,
  REL_OP_SQRT, REL_OP_RECIPROCAL, REL_OP_SELU, REL_OP_CELU, REL_OP_THRESHOLDED_RELU,
  REL_OP_SOFTSIGN, REL_OP_ERF, REL_OP_GELU, REL_OP_FLOOR, REL_OP_CEIL, REL_OP_ROUND, REL_OP_SIGN,
  REL_OP_SIN, REL_OP_COS, REL_OP_TAN, REL_OP_ASIN, REL_OP_ACOS, REL_OP_ATAN, REL_OP_SINH,
  REL_OP_COSH, REL_OP_ASINH, REL_OP_ACOSH, REL_OP_ATANH, REL_OP_NEG, REL_OP_ABS, REL_OP_SOFTMAX,
  REL_OP_LOG_SOFTMAX, REL_OP_LAYER_NORMALIZATION, REL_OP_EQUAL, REL_OP_LESS, REL_OP_LESS_OR_EQUAL,
  REL_OP_GREATER, REL_OP_GREATER_OR_EQUAL, REL_OP_AND, REL_OP_OR, REL_OP_XOR, REL_OP_IS_NAN,
  REL_OP_IS_INF, REL_OP_NOT, REL_OP_WHERE, REL_OP_LRN, REL_OP_INSTANCE_NORMALIZATION,
  REL_OP_GROUP_NORMALIZATION,
  REL_OP_HARDMAX, REL_OP_MOD, REL_OP_IDENTITY, REL_OP_DROPOUT,
  REL_OPS_ELEMENTWISE_END,
  /* rel-ops-shape.c (36) */
  REL_OP_FLATTEN = REL_OPS_ELEMENTWISE_END,
  REL_OP_RESHAPE, REL_OP_SQUEEZE, REL_OP_UNSQUEEZE, REL_OP_TRANSPOSE, REL_OP_CONCAT, REL_OP_SLICE,
  REL_OP_GATHER, REL_OP_PAD, REL_OP_EXPAND, REL_OP_REDUCE_MEAN, REL_OP_REDUCE_SUM,
  REL_OP_REDUCE_MAX, REL_OP_REDUCE_MIN, REL_OP_REDUCE_PROD, REL_OP_REDUCE_L1, REL_OP_REDUCE_L2,
  REL_OP_REDUCE_SUM_SQUARE,
  REL_OP_REDUCE_LOG_SUM, REL_OP_REDUCE_LOG_SUM_EXP, REL_OP_CONSTANT, REL_OP_CONSTANT_OF_SHAPE,
  REL_OP_SHAPE, REL_OP_ARGMAX, REL_OP_ARGMIN, REL_OP_RANGE, REL_OP_TILE, REL_OP_CUMSUM,
  REL_OP_TRILU, REL_OP_GATHER_ELEMENTS, REL_OP_SCATTER_ND, REL_OP_DEPTH_TO_SPACE,
  REL_OP_SPACE_TO_DEPTH, REL_OP_SIZE, REL_OP_SPLIT, REL_OP_CAST,
  REL_OPS_SHAPE_END,
  REL_OP_COUNT = REL_OPS_SHAPE_END,
} RelOpId;

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

/* Facts the engines read instead of listing op types. */
typedef enum {
  /* element i of the output reads element i of each input (broadcasting
   * constant operands): occlusion can recompute it on a rectangle */
  REL_OP_POINTWISE      = 1 << 0,
  /* a sliding window over the last two axes (input 0 is the plane): occlusion
   * recomputes the window's reach; see window_pad */
  REL_OP_WINDOW         = 1 << 1,
  /* per-channel affine map of input 0 by constant inputs 1…: pointwise at
   * inference, not in a training step (batch statistics) */
  REL_OP_CHANNEL_AFFINE = 1 << 2,
  /* affine in any of its inputs when the others are constants */
  REL_OP_AFFINE_ANY     = 1 << 3,
  /* affine in input 0 when the others are constants */
  REL_OP_AFFINE_FIRST   = 1 << 4,
  /* bilinear: affine in whichever one input is not a constant */
  REL_OP_AFFINE_ONE     = 1 << 5,
  /* a convolution: weight W[out, in, k…], the composite's conv rules apply */
  REL_OP_CONVOLUTION    = 1 << 6,
  /* the activation may be either operand; the weight is then the other one */
  REL_OP_OPERANDS_SWAP  = 1 << 7,
  /* Grad-CAM may take this op's output as its layer (the last one by default) */
  REL_OP_CAM_LAYER      = 1 << 8,
  /* opsets 1–6: may broadcast at an axis (the broadcast and axis attributes) */
  REL_OP_LEGACY_BROADCAST = 1 << 9,
} RelOpFlags;

/* What a window op's padding means to a crop of its input. */
typedef enum {
  REL_OP_PAD_OWN,      /* the op handles its pads itself (AveragePool's divisor) */
  REL_OP_PAD_ZERO,     /* explicit zeros (Conv) */
  REL_OP_PAD_NEG_INF,  /* explicit −∞ (MaxPool) */
} RelOpPad;

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
  RelOpId           id;
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
  /* set by name in the tables (.flags = …): */
  RelOpFlags        flags;
  RelOpPad          window_pad;   /* REL_OP_WINDOW ops */
  /* REL_OP_CLASS_LINEAR ops: the weight's input (or, with
   * REL_OP_OPERANDS_SWAP and the activation there, input 0) and the
   * optional bias's input, 0 for none */
  int               weight_input;
  int               bias_input;
};

/* The table, looked up by op_type. NULL if unsupported. */
const RelOpDef *rel_op_lookup (const char *op_type);
/* The entry of @id (< REL_OP_COUNT); never NULL. */
const RelOpDef *rel_op_get (RelOpId id);
/* Its ONNX op_type, for code that builds nodes. */
const char *rel_op_name (RelOpId id);
/* All supported op_types, sorted, NULL-terminated; owned by the core. */
const char *const *rel_op_names (void);
/* "Abs, Add, …" — for the unsupported-operator message; free with g_free. */
char *rel_op_names_joined (void);

/* Every ops file exports its defs through one of these; rel-op.c concatenates them. */
extern const RelOpDef rel_ops_linear[];      /* rel-ops-linear.c: Conv, Gemm, MatMul, Einsum */
extern const RelOpDef rel_ops_pool[];        /* rel-ops-pool.c: MaxPool, AveragePool, global pools */
extern const RelOpDef rel_ops_norm[];        /* rel-ops-norm.c: BatchNormalization */
extern const RelOpDef rel_ops_elementwise[]; /* rel-ops-elementwise.c: arithmetic, activations, Softmax */
extern const RelOpDef rel_ops_shape[];       /* rel-ops-shape.c: Reshape, Transpose, Concat, Pad, Shape, … */
/* each array ends with an entry whose name is NULL, and asserts its size:
 * REL_OP_TABLE_CHECK (rel_ops_linear, 0, REL_OPS_LINEAR_END) */
#define REL_OP_TABLE_CHECK(table, begin, end) \
  G_STATIC_ASSERT (G_N_ELEMENTS (table) == (gsize) ((end) - (begin)) + 1)

G_END_DECLS
