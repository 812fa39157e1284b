/* rel-model.h — a loaded network: the core's own graph, free of protobuf.
 *
 * Values (tensors flowing between nodes) and nodes are indexed by integers;
 * nodes are stored in topological order so a forward pass is one loop and a
 * backward pass the same loop reversed. Every intermediate value keeps its
 * ONNX name, so explainers and views can address any activation.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-op.h"
#include "rel-tensor.h"

G_BEGIN_DECLS

typedef enum {
  REL_ATTR_FLOAT,
  REL_ATTR_INT,
  REL_ATTR_STRING,
  REL_ATTR_TENSOR,
  REL_ATTR_FLOATS,
  REL_ATTR_INTS,
  REL_ATTR_STRINGS,
} RelAttrType;

typedef struct {
  char        *name;
  RelAttrType  type;
  float        f;
  int64_t      i;
  char        *s;
  RelTensor   *t;
  int          n;       /* element count of floats / ints / strings */
  float       *floats;
  int64_t     *ints;
  char       **strings;
} RelAttr;

struct _RelNode {
  char           *name;      /* ONNX node name, or "<op_type>_<index>" when the file has none */
  char           *op_type;
  const RelOpDef *op;
  int             n_inputs;
  int            *inputs;    /* value ids; -1 for an omitted optional input */
  int             n_outputs;
  int            *outputs;   /* value ids */
  int             n_attrs;
  RelAttr        *attrs;
  gpointer        params;    /* parsed by op->prepare; freed with op->free_params */
};

typedef struct {
  char      *name;
  RelTensor *constant;   /* initializer, Constant output or folded value; NULL if computed at run time */
  int        producer;   /* index of the producing node, -1 for graph inputs and constants */
  /* declared type and shape (graph inputs/outputs, value_info); dims < 0 are dynamic */
  RelDType   dtype;
  int        ndim;       /* -1 when unknown */
  int64_t    shape[REL_MAX_DIMS];
} RelValue;

/* How an image becomes the model's input tensor: resize, crop, scale, normalise.
 * Filled from metadata_props, a sidecar file, or the caller (see README). */
typedef struct {
  int     channels;        /* 1 or 3 (from the input's declared shape) */
  int     height, width;   /* from the declared input shape; 0 if dynamic */
  int     resize;          /* shorter side is resized to this before a center crop; 0: resize straight to height×width */
  float   scale;           /* pixel value multiplier before normalisation: 1/255 maps 8-bit to [0,1] */
  float   mean[4];
  float   std[4];
  float   range_low, range_high;  /* the input's value range after normalisation (z^B bounds, noise σ scale) */
  gboolean bgr;            /* channel order BGR instead of RGB */
} RelPreprocess;

struct _RelModel {
  char       *path;
  GPtrArray  *values;       /* RelValue* */
  RelNode    *nodes;        /* topologically sorted */
  int         n_nodes;
  int         input;        /* value id of the (single) runtime graph input */
  int         output;       /* value id of the (first) graph output */
  int64_t     opset;
  char       *producer_name;
  GHashTable *metadata;     /* metadata_props, string → string */
  char      **labels;       /* NULL-terminated class names, or NULL */
  int         n_labels;
  RelPreprocess preprocess;
  /* private */
  GHashTable *value_index;  /* value name → id + 1 */
  gint        ref_count;    /* atomic; background jobs hold a reference while they run */
  GMutex      cache_lock;   /* guards input_cache: explainers on several threads share a model */
  GHashTable *input_cache;  /* key → RelTensor: inputs derived from files for this model (a
                             * folder's mean image), so a slider's reruns read them once */
};

/* The model's cache of file-derived inputs (see input_cache): a new reference,
 * or NULL. @key names what was computed and from which file state. */
RelTensor *rel_model_cache_lookup (RelModel *model, const char *key);
void       rel_model_cache_store  (RelModel *model, const char *key, RelTensor *value);

/* Loading (rel-onnx.c). Reads the file, parses the protobuf, builds the graph,
 * folds constants, validates the graph with a forward pass of shape-only
 * inference, and frees the protobuf. Errors name the problem (op, node, tensor). */
RelModel *rel_model_load        (const char *path, GError **error);
RelModel *rel_model_load_from_data (const guint8 *data, gsize len, const char *base_dir, GError **error);
/* A model is reference counted so a worker thread can keep the one it explains
 * alive while the UI replaces it; rel_model_free is rel_model_unref. Both are
 * thread-safe; the model itself is read-only once loaded. */
void      rel_model_free        (RelModel *model);
RelModel *rel_model_ref         (RelModel *model);
void      rel_model_unref       (RelModel *model);

/* Lookups. */
RelValue *rel_model_value       (RelModel *model, int id);
int       rel_model_find_value  (RelModel *model, const char *name);   /* -1 if absent */
int       rel_model_find_node   (RelModel *model, const char *name);   /* node or output-value name; -1 */
const RelAttr *rel_node_attr    (const RelNode *node, const char *name);
int64_t   rel_node_attr_int     (const RelNode *node, const char *name, int64_t fallback);
float     rel_node_attr_float   (const RelNode *node, const char *name, float fallback);
const char *rel_node_attr_string (const RelNode *node, const char *name, const char *fallback);
/* Whether @node runs op @id; whether its op has every flag in @flags. */
static inline gboolean
rel_node_is (const RelNode *node, RelOpId id)
{
  return node->op != NULL && node->op->id == id;
}
static inline gboolean
rel_node_has (const RelNode *node, RelOpFlags flags)
{
  return node->op != NULL && (node->op->flags & flags) == flags;
}
/* The layer Grad-CAM explains when none is named: the output of the last
 * node whose op allows it (REL_OP_CAM_LAYER), -1 if none. */
int       rel_model_default_cam_layer (RelModel *model);
/* Whether Grad-CAM may take node @i's output as its layer (the layer list). */
gboolean  rel_model_is_cam_layer      (RelModel *model, int i);
/* Copies up to @max ints into @out; returns the count, or -1 if absent. */
int       rel_node_attr_ints    (const RelNode *node, const char *name, int64_t *out, int max);
/* The input shape with the batch dimension set to @batch (dynamic dims must be
 * only the batch); FALSE with an error if the model's input is not fully known. */
gboolean  rel_model_input_shape (RelModel *model, int64_t batch, int *ndim, int64_t *shape, GError **error);
int       rel_model_num_classes (RelModel *model);
const char *rel_model_label     (RelModel *model, int index);  /* label or NULL */

/* Building (used by the loader): an empty model, and a value by name — the
 * existing id if the name is known, else a new runtime value. */
RelModel *rel_model_new         (void);
int       rel_model_intern_value (RelModel *model, const char *name);

/* Topological sort and graph checks, used by the loader (rel-model.c). */
gboolean  rel_model_finish      (RelModel *model, GError **error);

/* ---- execution (rel-model.c) ---- */

/* All values of one forward pass, indexed by value id. Constants are shared
 * (referenced) with the model; computed values are owned. */
typedef struct {
  RelModel   *model;      /* not owned */
  RelTensor **values;     /* n = model->values->len; NULL where not computed */
  int         n_values;
} RelActivations;

RelActivations *rel_model_forward (RelModel *model, RelTensor *input, const RelContext *ctx, GError **error);
/* One node's op on given inputs: every output set, or none and an error
 * that names the node. */
gboolean        rel_node_forward  (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                                   const RelContext *ctx, GError **error);
/* A forward pass that computes only what @value needs (the output of a
 * stem, say); the other values stay NULL. */
RelActivations *rel_model_forward_until (RelModel *model, RelTensor *input, int value,
                                         const RelContext *ctx, GError **error);
/* A forward pass that starts at value @from, given as @t (which must have
 * the shape the graph would compute there): only the nodes computed from it
 * run, and every other value they read must be a constant. With the affine
 * stem's output (below), sampling methods skip the stem. */
RelActivations *rel_model_forward_from (RelModel *model, int from, RelTensor *t,
                                        const RelContext *ctx, GError **error);
/* The affine stem: the nodes from the graph input on that are affine in it
 * (Conv/Gemm/MatMul with constant weights, BatchNormalization, Add/Sub/Mul/Div
 * with constants, reshapes, average pools, constant Pad), when the rest of the
 * graph reads all of them through a single value s(x) = A·x + b: that value's
 * id, else -1 (also when the stem holds no weighted layer). Gradients of
 * many points can be summed at s and sent through Aᵀ once, and points on a
 * line through input space map to points on a line through s. */
int             rel_model_affine_stem (RelModel *model);
void            rel_activations_free (RelActivations *acts);
RelTensor      *rel_activations_output (RelActivations *acts);      /* borrowed */
RelTensor      *rel_activations_get (RelActivations *acts, int value_id); /* borrowed */

/* A backward pass through the graph. @seed is the cotangent of value
 * @seed_value (-1: the graph output) and must have its shape. For every node on
 * the path, in reverse order, @hook (if given) may compute the node's
 * grad_inputs itself — LRP rules, guided backprop — and sets *handled; otherwise
 * the op's own backward (the exact VJP) runs. Cotangents of values used by
 * several nodes are summed. Returns the cotangent of every value reached (a
 * RelActivations indexed by value id; constants are skipped). */
typedef gboolean (*RelBackwardHook) (RelModel *model, int node_index,
                                     RelTensor *const *inputs, RelTensor *const *outputs,
                                     const RelTensor *grad_output, RelTensor **grad_inputs,
                                     const gboolean *need, gboolean *handled,
                                     gpointer user_data, GError **error);

RelActivations *rel_model_backward_values (RelModel *model, RelActivations *acts,
                                           int seed_value, const RelTensor *seed,
                                           RelBackwardHook hook, gpointer user_data,
                                           const RelContext *ctx, GError **error);

/* The same pass, but for the values computed from value @wrt instead of the
 * graph input: it stops at @wrt (whose cotangent it returns, among others). */
RelActivations *rel_model_backward_values_to (RelModel *model, RelActivations *acts, int wrt,
                                              int seed_value, const RelTensor *seed,
                                              RelBackwardHook hook, gpointer user_data,
                                              const RelContext *ctx, GError **error);

/* The same backward pass for training: the cotangents of the model's float32
 * constants (initializers: weights, biases, BatchNormalization parameters)
 * instead of the input's. grads->values[v] for such a value v is dL/dv, NULL
 * when the seed does not depend on it; values computed only from the graph
 * input get none (the input's gradient is not computed). Ops compute weight
 * gradients whenever their backward is asked for them through need[]. */
RelActivations *rel_model_backward_params (RelModel *model, RelActivations *acts,
                                           int seed_value, const RelTensor *seed,
                                           const RelContext *ctx, GError **error);

/* Plain gradient of ⟨seed, output⟩ w.r.t. the graph input: a new tensor shaped
 * like the input. */
RelTensor *rel_model_backward (RelModel *model, RelActivations *acts, const RelTensor *seed,
                               const RelContext *ctx, GError **error);

/* A default context (threads from rel_core_threads()). */
void rel_context_init (RelContext *ctx);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelModel, rel_model_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelActivations, rel_activations_free)

G_END_DECLS
