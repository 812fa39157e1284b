/* rel-tensor.h — the core's n-dimensional array.
 *
 * A RelTensor is a dense, C-ordered (row-major) array of float32 or int64 with
 * up to REL_MAX_DIMS dimensions. Activations are NCHW float32; int64 tensors
 * only appear in shape arithmetic (Shape/Gather/Concat feeding Reshape) and
 * indices. Tensors are reference counted so a graph constant can be shared by
 * the model and every forward pass without copying.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define REL_MAX_DIMS 8

/* Refuse any tensor with more elements than this before allocating: 2^28
 * float32 elements are 1 GiB. Real CNN activations are far below it (VGG-16's
 * largest at batch 64 is 2×10^8); a model or file asking for more is treated as
 * hostile. */
#define REL_TENSOR_MAX_ELEMENTS (G_GINT64_CONSTANT (1) << 28)

typedef enum {
  REL_DTYPE_FLOAT32,
  REL_DTYPE_INT64,
} RelDType;

typedef struct _RelTensor RelTensor;

struct _RelTensor {
  RelDType  dtype;
  int       ndim;
  int64_t   shape[REL_MAX_DIMS];
  int64_t   numel;
  void     *data;      /* float * or int64_t *, 64-byte aligned, numel elements */
  /* private */
  gint       ref_count;
  RelTensor *base;     /* for a view: the tensor that owns the data; NULL if this one does */
};

/* Checks dims (each >= 0, ndim <= REL_MAX_DIMS) and computes the element count
 * without overflow; fails with REL_ERROR_TOO_LARGE over REL_TENSOR_MAX_ELEMENTS. */
gboolean   rel_shape_numel     (int ndim, const int64_t *shape, int64_t *numel, GError **error);

/* A new zero-filled tensor. */
RelTensor *rel_tensor_new      (RelDType dtype, int ndim, const int64_t *shape, GError **error);
RelTensor *rel_tensor_new_f32  (int ndim, const int64_t *shape, GError **error);
/* Convenience for code paths whose shape was already validated (an op's output
 * of a validated input, say); still fails cleanly on the element limit. */
RelTensor *rel_tensor_new_4d   (int64_t n, int64_t c, int64_t h, int64_t w, GError **error);
/* A new tensor with the same dtype and shape as @like, zero-filled. */
RelTensor *rel_tensor_new_like (const RelTensor *like, GError **error);
/* The same without zeroing the data, for outputs a kernel writes in full
 * (zeroing is a pass over memory of its own: ~3 % of a gradient pass). */
RelTensor *rel_tensor_new_uninit      (RelDType dtype, int ndim, const int64_t *shape, GError **error);
RelTensor *rel_tensor_new_like_uninit (const RelTensor *like, GError **error);
/* A deep copy. */
RelTensor *rel_tensor_copy     (const RelTensor *t, GError **error);
/* Wraps a copy of @data (numel float32 values). */
RelTensor *rel_tensor_new_from_f32 (int ndim, const int64_t *shape, const float *data, GError **error);

RelTensor *rel_tensor_ref      (RelTensor *t);
void       rel_tensor_unref    (RelTensor *t);

/* A tensor sharing @t's data with another shape of the same element count
 * (Reshape/Flatten/Squeeze are free). Holds a reference on @t's storage. */
RelTensor *rel_tensor_view     (RelTensor *t, int ndim, const int64_t *shape, GError **error);

static inline float   *rel_tensor_f32 (const RelTensor *t) { return (float *) t->data; }
static inline int64_t *rel_tensor_i64 (const RelTensor *t) { return (int64_t *) t->data; }

gboolean   rel_tensor_same_shape (const RelTensor *a, const RelTensor *b);
/* "1×3×224×224"; free with g_free. */
char      *rel_shape_to_string   (int ndim, const int64_t *shape);
char      *rel_tensor_shape_string (const RelTensor *t);
const char *rel_dtype_name (RelDType dtype);

/* Fills, reductions used everywhere (float32 only). */
void       rel_tensor_fill      (RelTensor *t, float value);
double     rel_tensor_sum       (const RelTensor *t);
float      rel_tensor_max_abs   (const RelTensor *t);
/* Index of the first NaN or ±Inf in @values (n of them), or -1. */
int64_t    rel_find_nonfinite   (const float *values, int64_t n);
/* REL_ERROR_INVALID_ARGUMENT naming @what, the value (NaN, inf, -inf) and
 * its position as an index per dimension when a float32 @t is not finite
 * everywhere: NaN/Inf from a file, a cache or an overflowing model must
 * stop at the boundary, not flow into a heatmap or a clustering. */
gboolean   rel_tensor_check_finite (const RelTensor *t, const char *what, GError **error);

/* The 16-bit float formats of ONNX files. The core computes them in float32
 * (as it does double): the loader widens their bits exactly, and a Cast to
 * them rounds a float32 to the nearest representable value (ties to even,
 * overflow to ±inf, NaN kept), still stored as float32. */
float      rel_half_to_float       (guint16 bits);   /* IEEE 754 binary16 */
float      rel_bfloat16_to_float   (guint16 bits);   /* the top half of a float32 */
float      rel_float_round_half    (float x);
float      rel_float_round_bfloat16 (float x);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelTensor, rel_tensor_unref)

G_END_DECLS
