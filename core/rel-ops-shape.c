/* rel-ops-shape.c — operators that move, select or describe elements:
 * Reshape/Flatten/Squeeze/Unsqueeze (free views), Transpose, Concat, Split,
 * Slice, Gather, GatherElements, ScatterND, Pad, Expand, Tile, Trilu, CumSum,
 * DepthToSpace/SpaceToDepth, the Reduce* family, and the int64 shape
 * arithmetic exporters emit (Shape, Size, Constant, ConstantOfShape, Cast,
 * Range, ArgMax/ArgMin).
 *
 * Attributes that moved to inputs across opsets (Squeeze/Unsqueeze/Reduce axes,
 * Pad pads, Slice starts/ends) are accepted both ways: an input, when present,
 * wins over the attribute.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-model.h"
#include "rel-error.h"
#include "rel-broadcast-private.h"

#include <math.h>
#include <string.h>

typedef enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } PadMode;

/* One parameter block for every op of this file; each reads its own fields. */
typedef struct {
  int64_t    axis;
  int        n_axes;                      /* -1: attribute absent */
  int64_t    axes[REL_MAX_DIMS];
  int        n_perm;                      /* -1: reverse */
  int64_t    perm[REL_MAX_DIMS];
  gboolean   keepdims;
  gboolean   noop_with_empty_axes;
  gboolean   allowzero;
  PadMode    mode;
  float      value;                       /* Pad's constant (attribute form) */
  int        n_pads;                      /* -1: attribute absent */
  int64_t    pads[2 * REL_MAX_DIMS];
  int64_t    start, end;
  gboolean   has_end;
  RelDType   to;                          /* Cast */
  int        n_starts, n_ends;            /* Slice, opset < 10 */
  int64_t    starts[REL_MAX_DIMS], ends[REL_MAX_DIMS];
  int        n_shape_attr;                /* Reshape before opset 5: the 'shape' attribute, -1 if unused */
  int64_t    shape_attr[REL_MAX_DIMS];
  RelTensor *tensor;                      /* Constant's value, ConstantOfShape's fill */
} ShapeParams;

static void
shape_params_free (gpointer data)
{
  ShapeParams *p = data;
  if (p == NULL)
    return;
  if (p->tensor)
    rel_tensor_unref (p->tensor);
  g_free (p);
}

static const ShapeParams *
params_of (const RelNode *node, GError **error)
{
  if (node->params == NULL)
    g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "node '%s' was not prepared", node->name);
  return node->params;
}

/* Reads an ints attribute of at most @max entries; -1 when absent. */
static gboolean
attr_ints (const RelNode *node, const char *name, int64_t *out, int max, int *n, GError **error)
{
  int k = rel_node_attr_ints (node, name, out, max);
  if (k > max)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "attribute '%s' has %d entries; at most %d are supported", name, k, max);
      return FALSE;
    }
  *n = k;
  return TRUE;
}

static ShapeParams *
params_new (const RelNode *node, GError **error)
{
  ShapeParams *p = g_new0 (ShapeParams, 1);
  p->n_axes = p->n_perm = p->n_pads = p->n_starts = p->n_ends = p->n_shape_attr = -1;
  if (!attr_ints (node, "axes", p->axes, REL_MAX_DIMS, &p->n_axes, error)
      || !attr_ints (node, "perm", p->perm, REL_MAX_DIMS, &p->n_perm, error)
      || !attr_ints (node, "pads", p->pads, 2 * REL_MAX_DIMS, &p->n_pads, error)
      || !attr_ints (node, "starts", p->starts, REL_MAX_DIMS, &p->n_starts, error)
      || !attr_ints (node, "ends", p->ends, REL_MAX_DIMS, &p->n_ends, error))
    {
      g_free (p);
      return NULL;
    }
  p->keepdims = rel_node_attr_int (node, "keepdims", 1) != 0;
  p->noop_with_empty_axes = rel_node_attr_int (node, "noop_with_empty_axes", 0) != 0;
  p->allowzero = rel_node_attr_int (node, "allowzero", 0) != 0;
  p->start = rel_node_attr_int (node, "start", 0);
  p->has_end = rel_node_attr (node, "end") != NULL;
  p->end = rel_node_attr_int (node, "end", 0);
  p->value = rel_node_attr_float (node, "value", 0.0f);
  return p;
}

static gboolean
generic_prepare (RelModel *model, RelNode *node, GError **error)
{
  ShapeParams *p = params_new (node, error);
  if (p == NULL)
    return FALSE;
  p->axis = rel_node_attr_int (node, "axis", 0);
  node->params = p;
  return TRUE;
}

static gboolean
flatten_prepare (RelModel *model, RelNode *node, GError **error)
{
  ShapeParams *p = params_new (node, error);
  if (p == NULL)
    return FALSE;
  p->axis = rel_node_attr_int (node, "axis", 1);
  node->params = p;
  return TRUE;
}

static gboolean
concat_prepare (RelModel *model, RelNode *node, GError **error)
{
  ShapeParams *p;

  /* before opset 4 the axis was optional, defaulting to 1 */
  if (rel_node_attr (node, "axis") == NULL && !(model && model->opset > 0 && model->opset < 4))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "Concat needs an 'axis' attribute");
      return FALSE;
    }
  if (!generic_prepare (model, node, error))
    return FALSE;
  p = node->params;
  p->axis = rel_node_attr_int (node, "axis", 1);
  return TRUE;
}

/* Reshape before opset 5 took its target shape as an attribute */
static gboolean
reshape_prepare (RelModel *model, RelNode *node, GError **error)
{
  ShapeParams *p;
  int n = -1;

  if (!generic_prepare (model, node, error))
    return FALSE;
  p = node->params;
  p->n_shape_attr = -1;
  if (node->n_inputs < 2 || node->inputs[1] < 0)
    {
      if (!attr_ints (node, "shape", p->shape_attr, REL_MAX_DIMS, &n, error) || n < 0)
        {
          if (n < 0)
            g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "Reshape needs a target shape (an input or, "
                         "before opset 5, a 'shape' attribute)");
          g_clear_pointer (&node->params, shape_params_free);
          return FALSE;
        }
      p->n_shape_attr = n;
    }
  return TRUE;
}

/* ---- helpers ---- */

static size_t
elem_size (RelDType dtype)
{
  return dtype == REL_DTYPE_INT64 ? sizeof (int64_t) : sizeof (float);
}

static gboolean
require_f32 (const RelTensor *t, const char *what, GError **error)
{
  if (t->dtype != REL_DTYPE_FLOAT32)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "%s must be float32, not %s", what, rel_dtype_name (t->dtype));
      return FALSE;
    }
  return TRUE;
}

/* A gradient must match the forward output it belongs to. */
static gboolean
check_grad (const RelTensor *g, const RelTensor *y, GError **error)
{
  if (g->dtype != REL_DTYPE_FLOAT32 || !rel_tensor_same_shape (g, y))
    {
      g_autofree char *a = rel_tensor_shape_string (g);
      g_autofree char *b = rel_tensor_shape_string (y);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "the output gradient %s does not match the output %s", a, b);
      return FALSE;
    }
  return TRUE;
}

static gboolean
normalize_axis (int64_t axis, int rank, int64_t *out, GError **error)
{
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "axis %" G_GINT64_FORMAT " is out of range for rank %d", axis, rank);
      return FALSE;
    }
  *out = a;
  return TRUE;
}

/* A 1-D (or scalar) int64 tensor of at most @max entries into @out. */
static gboolean
read_ints (const RelTensor *t, const char *what, int64_t *out, int max, int *n, GError **error)
{
  if (t->dtype != REL_DTYPE_INT64)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "%s must be int64, not %s",
                   what, rel_dtype_name (t->dtype));
      return FALSE;
    }
  if (t->ndim > 1 || t->numel > max)
    {
      g_autofree char *s = rel_tensor_shape_string (t);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "%s must be a list of at most %d integers, got shape %s", what, max, s);
      return FALSE;
    }
  for (int64_t i = 0; i < t->numel; i++)
    out[i] = rel_tensor_i64 (t)[i];
  *n = (int) t->numel;
  return TRUE;
}

/* Axes from the optional input @k or the attribute; normalised, no duplicates.
 * *n = -1 when neither is given. */
static gboolean
resolve_axes (const RelNode *node, const ShapeParams *p, RelTensor *const *inputs, int k,
              int rank, int64_t *axes, int *n, GError **error)
{
  gboolean seen[REL_MAX_DIMS] = { FALSE };

  if (node->n_inputs > k && inputs[k])
    {
      if (!read_ints (inputs[k], "axes", axes, REL_MAX_DIMS, n, error))
        return FALSE;
    }
  else
    {
      *n = p->n_axes;
      for (int i = 0; i < p->n_axes; i++)
        axes[i] = p->axes[i];
    }
  for (int i = 0; i < *n; i++)
    {
      if (!normalize_axis (axes[i], rank, &axes[i], error))
        return FALSE;
      if (seen[axes[i]])
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "axis %" G_GINT64_FORMAT " is listed twice", axes[i]);
          return FALSE;
        }
      seen[axes[i]] = TRUE;
    }
  return TRUE;
}

static void
contiguous_strides (int nd, const int64_t *shape, int64_t *strides)
{
  int64_t s = 1;
  for (int i = nd - 1; i >= 0; i--)
    {
      strides[i] = s;
      s *= shape[i];
    }
}

/* dst[i] = src[base + Σ idx_d·strides_d] over dst's index space, or with
 * @scatter the adjoint: src[...] += dst[i] (float32 only). Transpose and Slice
 * are both this walk. */
static void
strided_walk (RelTensor *src, RelTensor *dst, int64_t base, const int64_t *strides, gboolean scatter)
{
  int nd = dst->ndim;
  int64_t idx[REL_MAX_DIMS] = { 0 };
  int64_t off = base;
  size_t es = elem_size (src->dtype);

  if (dst->numel == 0)
    return;
  for (int64_t i = 0; i < dst->numel; i++)
    {
      if (scatter)
        rel_tensor_f32 (src)[off] += rel_tensor_f32 (dst)[i];
      else if (es == sizeof (float))
        rel_tensor_f32 (dst)[i] = rel_tensor_f32 (src)[off];
      else
        rel_tensor_i64 (dst)[i] = rel_tensor_i64 (src)[off];
      /* odometer: advance the last dimension, carry leftwards */
      for (int d = nd - 1; d >= 0; d--)
        {
          if (++idx[d] < dst->shape[d])
            {
              off += strides[d];
              break;
            }
          off -= strides[d] * (dst->shape[d] - 1);
          idx[d] = 0;
        }
    }
}

/* A gradient routed back unchanged to an input of another shape (views). */
static gboolean
reshape_grad_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                       const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                       const RelContext *ctx, GError **error)
{
  if (!need[0])
    return TRUE;
  if (!check_grad (grad_output, outputs[0], error) || !require_f32 (inputs[0], "the input", error))
    return FALSE;
  grad_inputs[0] = rel_tensor_new_like (inputs[0], error);
  if (grad_inputs[0] == NULL)
    return FALSE;
  if (grad_output->numel != inputs[0]->numel)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "gradient and input sizes differ");
      return FALSE;
    }
  memcpy (grad_inputs[0]->data, grad_output->data, (size_t) grad_output->numel * sizeof (float));
  return TRUE;
}

/* ---- Flatten, Reshape, Squeeze, Unsqueeze: views ---- */

static gboolean
flatten_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                 const RelContext *ctx, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  RelTensor *x = inputs[0];
  int64_t axis, shape[2] = { 1, 1 };

  if (p == NULL)
    return FALSE;
  axis = p->axis < 0 ? p->axis + x->ndim : p->axis;
  if (axis < 0 || axis > x->ndim)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "axis %" G_GINT64_FORMAT " is out of range for rank %d", p->axis, x->ndim);
      return FALSE;
    }
  for (int i = 0; i < x->ndim; i++)
    shape[i < axis ? 0 : 1] *= x->shape[i];
  outputs[0] = rel_tensor_view (x, 2, shape, error);
  return outputs[0] != NULL;
}

static gboolean
reshape_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                 const RelContext *ctx, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  RelTensor *x = inputs[0];
  int64_t shape[REL_MAX_DIMS], known = 1;
  int n, infer = -1;

  if (p == NULL)
    return FALSE;
  if (p->n_shape_attr >= 0 && (node->n_inputs < 2 || inputs[1] == NULL))
    {
      n = p->n_shape_attr;
      memcpy (shape, p->shape_attr, sizeof shape);
    }
  else if (node->n_inputs < 2 || inputs[1] == NULL
           || !read_ints (inputs[1], "the target shape", shape, REL_MAX_DIMS, &n, error))
    {
      if (error && *error == NULL)
        g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "Reshape needs a target shape");
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    {
      if (shape[i] == 0 && !p->allowzero)
        {
          if (i >= x->ndim)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                           "target dimension %d is 0 (copy) but the input has rank %d", i, x->ndim);
              return FALSE;
            }
          shape[i] = x->shape[i];
        }
      if (shape[i] == -1)
        {
          if (infer >= 0)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "the target shape has several -1 entries");
              return FALSE;
            }
          infer = i;
        }
      else if (shape[i] < 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "target dimension %d is negative (%" G_GINT64_FORMAT ")", i, shape[i]);
          return FALSE;
        }
      else
        {
          guint64 k;
          if (!g_uint64_checked_mul (&k, (guint64) known, (guint64) shape[i]) || k > REL_TENSOR_MAX_ELEMENTS)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "the target shape is too large");
              return FALSE;
            }
          known = (int64_t) k;
        }
    }
  if (infer >= 0)
    {
      if (known == 0 || x->numel % known != 0)
        {
          g_autofree char *from = rel_tensor_shape_string (x);
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "cannot infer the -1 dimension reshaping %s", from);
          return FALSE;
        }
      shape[infer] = x->numel / known;
    }
  outputs[0] = rel_tensor_view (x, n, shape, error);
  return outputs[0] != NULL;
}

static gboolean
squeeze_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                 const RelContext *ctx, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  RelTensor *x = inputs[0];
  int64_t axes[REL_MAX_DIMS], shape[REL_MAX_DIMS];
  gboolean drop[REL_MAX_DIMS] = { FALSE };
  int n, nd = 0;

  if (p == NULL || !resolve_axes (node, p, inputs, 1, x->ndim, axes, &n, error))
    return FALSE;
  if (n < 0)
    {
      for (int i = 0; i < x->ndim; i++)
        drop[i] = x->shape[i] == 1;
    }
  for (int i = 0; i < n; i++)
    {
      if (x->shape[axes[i]] != 1)
        {
          g_autofree char *s = rel_tensor_shape_string (x);
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "cannot squeeze axis %" G_GINT64_FORMAT " of shape %s: its size is not 1", axes[i], s);
          return FALSE;
        }
      drop[axes[i]] = TRUE;
    }
  for (int i = 0; i < x->ndim; i++)
    if (!drop[i])
      shape[nd++] = x->shape[i];
  outputs[0] = rel_tensor_view (x, nd, shape, error);
  return outputs[0] != NULL;
}

static gboolean
unsqueeze_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                   const RelContext *ctx, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  RelTensor *x = inputs[0];
  int64_t axes[REL_MAX_DIMS], shape[REL_MAX_DIMS];
  gboolean add[REL_MAX_DIMS] = { FALSE };
  int n, rank, k = 0;

  if (p == NULL)
    return FALSE;
  /* the count first: axes index the output, whose rank depends on it */
  if (node->n_inputs > 1 && inputs[1])
    n = (int) inputs[1]->numel;
  else
    n = p->n_axes;
  if (n < 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "Unsqueeze needs axes");
      return FALSE;
    }
  rank = x->ndim + n;
  if (rank > REL_MAX_DIMS)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "the result would have %d dimensions; at most %d are supported",
                   rank, REL_MAX_DIMS);
      return FALSE;
    }
  if (!resolve_axes (node, p, inputs, 1, rank, axes, &n, error))
    return FALSE;
  for (int i = 0; i < n; i++)
    add[axes[i]] = TRUE;
  for (int i = 0; i < rank; i++)
    shape[i] = add[i] ? 1 : x->shape[k++];
  outputs[0] = rel_tensor_view (x, rank, shape, error);
  return outputs[0] != NULL;
}

/* ---- Transpose ---- */

static gboolean
transpose_perm (const ShapeParams *p, const RelTensor *x, int64_t *perm, GError **error)
{
  gboolean seen[REL_MAX_DIMS] = { FALSE };

  if (p->n_perm < 0)
    {
      for (int i = 0; i < x->ndim; i++)
        perm[i] = x->ndim - 1 - i;
      return TRUE;
    }
  if (p->n_perm != x->ndim)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "perm has %d entries for a %d-D input",
                   p->n_perm, x->ndim);
      return FALSE;
    }
  for (int i = 0; i < x->ndim; i++)
    {
      if (!normalize_axis (p->perm[i], x->ndim, &perm[i], error))
        return FALSE;
      if (seen[perm[i]])
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "perm is not a permutation");
          return FALSE;
        }
      seen[perm[i]] = TRUE;
    }
  return TRUE;
}

static gboolean
transpose_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                   const RelContext *ctx, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  RelTensor *x = inputs[0], *y;
  int64_t perm[REL_MAX_DIMS], shape[REL_MAX_DIMS], xs[REL_MAX_DIMS], st[REL_MAX_DIMS];

  if (p == NULL || !transpose_perm (p, x, perm, error))
    return FALSE;
  contiguous_strides (x->ndim, x->shape, xs);
  for (int i = 0; i < x->ndim; i++)
    {
      shape[i] = x->shape[perm[i]];
      st[i] = xs[perm[i]];
    }
  y = rel_tensor_new (x->dtype, x->ndim, shape, error);
  if (y == NULL)
    return FALSE;
  strided_walk (x, y, 0, st, FALSE);
  outputs[0] = y;
  return TRUE;
}

static gboolean
transpose_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                    const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                    const RelContext *ctx, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  RelTensor *x = inputs[0];
  int64_t perm[REL_MAX_DIMS], xs[REL_MAX_DIMS], st[REL_MAX_DIMS];

  if (!need[0])
    return TRUE;
  if (p == NULL || !transpose_perm (p, x, perm, error) || !check_grad (grad_output, outputs[0], error)
      || !require_f32 (x, "the input", error))
    return FALSE;
  grad_inputs[0] = rel_tensor_new_like (x, error);
  if (grad_inputs[0] == NULL)
    return FALSE;
  contiguous_strides (x->ndim, x->shape, xs);
  for (int i = 0; i < x->ndim; i++)
    st[i] = xs[perm[i]];
  strided_walk (grad_inputs[0], (RelTensor *) grad_output, 0, st, TRUE);
  return TRUE;
}

/* ---- Concat ---- */

static gboolean
concat_layout (const RelNode *node, RelTensor *const *inputs, int64_t *axis_out,
               int64_t *outer_out, int64_t *inner_out, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  const RelTensor *first = NULL;
  int64_t axis, outer = 1, inner = 1;

  if (p == NULL)
    return FALSE;
  for (int k = 0; k < node->n_inputs; k++)
    if (inputs[k])
      {
        first = inputs[k];
        break;
      }
  if (first == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "Concat has no inputs");
      return FALSE;
    }
  if (!normalize_axis (p->axis, first->ndim, &axis, error))
    return FALSE;
  for (int k = 0; k < node->n_inputs; k++)
    {
      const RelTensor *t = inputs[k];
      gboolean ok;
      if (t == NULL)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "Concat input %d is missing", k);
          return FALSE;
        }
      ok = t->dtype == first->dtype && t->ndim == first->ndim;
      for (int i = 0; ok && i < t->ndim; i++)
        if (i != axis && t->shape[i] != first->shape[i])
          ok = FALSE;
      if (!ok)
        {
          g_autofree char *a = rel_tensor_shape_string (first);
          g_autofree char *b = rel_tensor_shape_string (t);
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "cannot concatenate %s %s with %s %s along axis %" G_GINT64_FORMAT,
                       rel_dtype_name (first->dtype), a, rel_dtype_name (t->dtype), b, axis);
          return FALSE;
        }
    }
  for (int i = 0; i < first->ndim; i++)
    {
      if (i < axis)
        outer *= first->shape[i];
      else if (i > axis)
        inner *= first->shape[i];
    }
  *axis_out = axis;
  *outer_out = outer;
  *inner_out = inner;
  return TRUE;
}

static gboolean
concat_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                const RelContext *ctx, GError **error)
{
  int64_t axis, outer, inner, shape[REL_MAX_DIMS], total = 0, at = 0;
  RelTensor *y;
  size_t es;

  if (!concat_layout (node, inputs, &axis, &outer, &inner, error))
    return FALSE;
  for (int k = 0; k < node->n_inputs; k++)
    {
      total += inputs[k]->shape[axis];
      if (total > REL_TENSOR_MAX_ELEMENTS)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "the concatenation is too large");
          return FALSE;
        }
    }
  memcpy (shape, inputs[0]->shape, sizeof shape);
  shape[axis] = total;
  y = rel_tensor_new (inputs[0]->dtype, inputs[0]->ndim, shape, error);
  if (y == NULL)
    return FALSE;
  es = elem_size (y->dtype);
  for (int k = 0; k < node->n_inputs; k++)
    {
      int64_t chunk = inputs[k]->shape[axis] * inner;
      for (int64_t o = 0; o < outer && chunk > 0; o++)
        memcpy ((char *) y->data + ((o * total * inner) + at) * es,
                (const char *) inputs[k]->data + o * chunk * es, (size_t) chunk * es);
      at += chunk;
    }
  outputs[0] = y;
  return TRUE;
}

static gboolean
concat_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                 const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                 const RelContext *ctx, GError **error)
{
  int64_t axis, outer, inner, at = 0, row;

  if (!concat_layout (node, inputs, &axis, &outer, &inner, error)
      || !check_grad (grad_output, outputs[0], error))
    return FALSE;
  row = outputs[0]->shape[axis] * inner;
  for (int k = 0; k < node->n_inputs; k++)
    {
      int64_t chunk = inputs[k]->shape[axis] * inner;
      if (need[k])
        {
          if (!require_f32 (inputs[k], "the input", error))
            return FALSE;
          grad_inputs[k] = rel_tensor_new_like (inputs[k], error);
          if (grad_inputs[k] == NULL)
            return FALSE;
          for (int64_t o = 0; o < outer && chunk > 0; o++)
            memcpy (rel_tensor_f32 (grad_inputs[k]) + o * chunk,
                    rel_tensor_f32 (grad_output) + o * row + at, (size_t) chunk * sizeof (float));
        }
      at += chunk;
    }
  return TRUE;
}

/* ---- Slice ---- */

/* Output shape, base offset and per-dimension strides of a Slice. */
static gboolean
slice_layout (const RelNode *node, RelTensor *const *inputs, int64_t *shape, int64_t *base,
              int64_t *strides, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  const RelTensor *x = inputs[0];
  int64_t starts[REL_MAX_DIMS], ends[REL_MAX_DIMS], axes[REL_MAX_DIMS], steps[REL_MAX_DIMS];
  int64_t xs[REL_MAX_DIMS], first[REL_MAX_DIMS], step[REL_MAX_DIMS];
  gboolean seen[REL_MAX_DIMS] = { FALSE };
  int ns, ne, na, nst;

  if (p == NULL)
    return FALSE;
  if (node->n_inputs >= 3 && inputs[1] && inputs[2])
    {
      if (!read_ints (inputs[1], "starts", starts, REL_MAX_DIMS, &ns, error)
          || !read_ints (inputs[2], "ends", ends, REL_MAX_DIMS, &ne, error))
        return FALSE;
    }
  else if (p->n_starts >= 0 && p->n_ends >= 0)
    {
      ns = p->n_starts;
      ne = p->n_ends;
      memcpy (starts, p->starts, sizeof starts);
      memcpy (ends, p->ends, sizeof ends);
    }
  else
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "Slice needs starts and ends");
      return FALSE;
    }
  if (node->n_inputs >= 4 && inputs[3])
    {
      if (!read_ints (inputs[3], "axes", axes, REL_MAX_DIMS, &na, error))
        return FALSE;
    }
  else if (p->n_axes >= 0)
    {
      na = p->n_axes;
      memcpy (axes, p->axes, sizeof axes);
    }
  else
    {
      na = ns;
      for (int i = 0; i < na; i++)
        axes[i] = i;
    }
  if (node->n_inputs >= 5 && inputs[4])
    {
      if (!read_ints (inputs[4], "steps", steps, REL_MAX_DIMS, &nst, error))
        return FALSE;
    }
  else
    {
      nst = ns;
      for (int i = 0; i < nst; i++)
        steps[i] = 1;
    }
  if (ns != ne || ns != na || ns != nst)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "starts, ends, axes and steps have different lengths (%d, %d, %d, %d)", ns, ne, na, nst);
      return FALSE;
    }
  for (int i = 0; i < x->ndim; i++)
    {
      first[i] = 0;
      step[i] = 1;
      shape[i] = x->shape[i];
    }
  for (int i = 0; i < ns; i++)
    {
      int64_t a, d, s, e, st = steps[i];
      if (!normalize_axis (axes[i], x->ndim, &a, error))
        return FALSE;
      if (seen[a])
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "Slice lists axis %" G_GINT64_FORMAT " twice", a);
          return FALSE;
        }
      seen[a] = TRUE;
      if (st == 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "Slice step is 0");
          return FALSE;
        }
      d = x->shape[a];
      /* a step longer than the axis takes one element either way; clamping it
       * keeps the arithmetic below from overflowing */
      st = CLAMP (st, -MAX (d, 1), MAX (d, 1));
      s = starts[i] < 0 ? starts[i] + d : starts[i];
      e = ends[i] < 0 ? ends[i] + d : ends[i];
      if (st > 0)
        {
          s = CLAMP (s, 0, d);
          e = CLAMP (e, 0, d);
          shape[a] = e > s ? (e - s - 1) / st + 1 : 0;
        }
      else
        {
          s = CLAMP (s, 0, d - 1);
          e = CLAMP (e, -1, d - 1);
          shape[a] = s > e ? (s - e - 1) / (-st) + 1 : 0;
        }
      first[a] = shape[a] > 0 ? s : 0;
      step[a] = st;
    }
  contiguous_strides (x->ndim, x->shape, xs);
  *base = 0;
  for (int i = 0; i < x->ndim; i++)
    {
      *base += first[i] * xs[i];
      strides[i] = step[i] * xs[i];
    }
  return TRUE;
}

static gboolean
slice_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
               const RelContext *ctx, GError **error)
{
  int64_t shape[REL_MAX_DIMS], strides[REL_MAX_DIMS], base;
  RelTensor *y;

  if (!slice_layout (node, inputs, shape, &base, strides, error))
    return FALSE;
  y = rel_tensor_new (inputs[0]->dtype, inputs[0]->ndim, shape, error);
  if (y == NULL)
    return FALSE;
  strided_walk (inputs[0], y, base, strides, FALSE);
  outputs[0] = y;
  return TRUE;
}

static gboolean
slice_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                const RelContext *ctx, GError **error)
{
  int64_t shape[REL_MAX_DIMS], strides[REL_MAX_DIMS], base;

  if (!need[0])
    return TRUE;
  if (!slice_layout (node, inputs, shape, &base, strides, error) || !check_grad (grad_output, outputs[0], error)
      || !require_f32 (inputs[0], "the input", error))
    return FALSE;
  grad_inputs[0] = rel_tensor_new_like (inputs[0], error);
  if (grad_inputs[0] == NULL)
    return FALSE;
  strided_walk (grad_inputs[0], (RelTensor *) grad_output, base, strides, TRUE);
  return TRUE;
}

/* ---- Gather ---- */

static gboolean
gather_layout (const RelNode *node, RelTensor *const *inputs, int64_t *axis, int64_t *outer,
               int64_t *inner, int *nd, int64_t *shape, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  const RelTensor *x = inputs[0], *idx = inputs[1];
  int64_t a;

  if (p == NULL)
    return FALSE;
  if (idx->dtype != REL_DTYPE_INT64)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "Gather indices must be integers");
      return FALSE;
    }
  if (!normalize_axis (p->axis, x->ndim, &a, error))
    return FALSE;
  if (x->ndim - 1 + idx->ndim > REL_MAX_DIMS)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "Gather result has too many dimensions");
      return FALSE;
    }
  *nd = 0;
  *outer = *inner = 1;
  for (int i = 0; i < x->ndim; i++)
    {
      if (i < a)
        {
          *outer *= x->shape[i];
          shape[(*nd)++] = x->shape[i];
        }
      else if (i == a)
        for (int j = 0; j < idx->ndim; j++)
          shape[(*nd)++] = idx->shape[j];
      else
        {
          *inner *= x->shape[i];
          shape[(*nd)++] = x->shape[i];
        }
    }
  /* every index must address the axis */
  for (int64_t j = 0; j < idx->numel; j++)
    {
      int64_t v = rel_tensor_i64 (idx)[j];
      if (v < -x->shape[a] || v >= x->shape[a])
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "Gather index %" G_GINT64_FORMAT " is out of range for a dimension of %" G_GINT64_FORMAT,
                       v, x->shape[a]);
          return FALSE;
        }
    }
  *axis = a;
  return TRUE;
}

static gboolean
gather_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                const RelContext *ctx, GError **error)
{
  const RelTensor *x = inputs[0], *idx = inputs[1];
  int64_t axis, outer, inner, shape[REL_MAX_DIMS], d;
  int nd;
  RelTensor *y;
  size_t es;

  if (!gather_layout (node, inputs, &axis, &outer, &inner, &nd, shape, error))
    return FALSE;
  y = rel_tensor_new (x->dtype, nd, shape, error);
  if (y == NULL)
    return FALSE;
  es = elem_size (x->dtype);
  d = x->shape[axis];
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < idx->numel; j++)
      {
        int64_t v = rel_tensor_i64 (idx)[j];
        if (v < 0)
          v += d;
        memcpy ((char *) y->data + ((o * idx->numel + j) * inner) * es,
                (const char *) x->data + ((o * d + v) * inner) * es, (size_t) inner * es);
      }
  outputs[0] = y;
  return TRUE;
}

static gboolean
gather_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                 const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                 const RelContext *ctx, GError **error)
{
  const RelTensor *x = inputs[0], *idx = inputs[1];
  int64_t axis, outer, inner, shape[REL_MAX_DIMS], d;
  int nd;
  float *gx;
  const float *g;

  if (!need[0])
    return TRUE;
  if (!gather_layout (node, inputs, &axis, &outer, &inner, &nd, shape, error)
      || !check_grad (grad_output, outputs[0], error) || !require_f32 (x, "the data", error))
    return FALSE;
  grad_inputs[0] = rel_tensor_new_like (x, error);
  if (grad_inputs[0] == NULL)
    return FALSE;
  gx = rel_tensor_f32 (grad_inputs[0]);
  g = rel_tensor_f32 (grad_output);
  d = x->shape[axis];
  /* repeated indices accumulate */
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < idx->numel; j++)
      {
        int64_t v = rel_tensor_i64 (idx)[j];
        if (v < 0)
          v += d;
        for (int64_t k = 0; k < inner; k++)
          gx[(o * d + v) * inner + k] += g[(o * idx->numel + j) * inner + k];
      }
  return TRUE;
}

/* ---- Pad ---- */

static gboolean
pad_prepare (RelModel *model, RelNode *node, GError **error)
{
  ShapeParams *p = params_new (node, error);
  const char *mode = rel_node_attr_string (node, "mode", "constant");

  if (p == NULL)
    return FALSE;
  /* opset 1 called the pads 'paddings' */
  if (p->n_pads < 0 && !attr_ints (node, "paddings", p->pads, 2 * REL_MAX_DIMS, &p->n_pads, error))
    {
      g_free (p);
      return FALSE;
    }
  if (strcmp (mode, "constant") == 0)
    p->mode = PAD_CONSTANT;
  else if (strcmp (mode, "reflect") == 0)
    p->mode = PAD_REFLECT;
  else if (strcmp (mode, "edge") == 0)
    p->mode = PAD_EDGE;
  else if (strcmp (mode, "wrap") == 0)
    p->mode = PAD_WRAP;
  else
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "Pad mode '%s' is not supported", mode);
      g_free (p);
      return FALSE;
    }
  node->params = p;
  return TRUE;
}

/* begins[i], ends[i] per input dimension, and the fill value. */
static gboolean
pad_layout (const RelNode *node, RelTensor *const *inputs, int64_t *begins, int64_t *ends,
            int64_t *shape, double *value, PadMode *mode, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  const RelTensor *x = inputs[0];
  int64_t pads[2 * REL_MAX_DIMS], axes[REL_MAX_DIMS];
  int np, na;

  if (p == NULL)
    return FALSE;
  *mode = p->mode;
  *value = p->value;
  if (node->n_inputs > 1 && inputs[1])
    {
      if (!read_ints (inputs[1], "pads", pads, 2 * REL_MAX_DIMS, &np, error))
        return FALSE;
    }
  else if (p->n_pads >= 0)
    {
      np = p->n_pads;
      memcpy (pads, p->pads, sizeof pads);
    }
  else
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "Pad needs pads");
      return FALSE;
    }
  if (node->n_inputs > 2 && inputs[2] && inputs[2]->numel > 0)
    {
      const RelTensor *v = inputs[2];
      *value = v->dtype == REL_DTYPE_FLOAT32 ? rel_tensor_f32 (v)[0] : (double) rel_tensor_i64 (v)[0];
    }
  if (node->n_inputs > 3 && inputs[3])
    {
      if (!read_ints (inputs[3], "axes", axes, REL_MAX_DIMS, &na, error))
        return FALSE;
    }
  else
    {
      na = x->ndim;
      for (int i = 0; i < na; i++)
        axes[i] = i;
    }
  if (np != 2 * na)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "Pad has %d pads for %d axes", np, na);
      return FALSE;
    }
  for (int i = 0; i < x->ndim; i++)
    begins[i] = ends[i] = 0;
  for (int i = 0; i < na; i++)
    {
      int64_t a;
      if (!normalize_axis (axes[i], x->ndim, &a, error))
        return FALSE;
      if (pads[i] < -REL_TENSOR_MAX_ELEMENTS || pads[i] > REL_TENSOR_MAX_ELEMENTS
          || pads[i + na] < -REL_TENSOR_MAX_ELEMENTS || pads[i + na] > REL_TENSOR_MAX_ELEMENTS)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "Pad amount out of range");
          return FALSE;
        }
      begins[a] = pads[i];
      ends[a] = pads[i + na];
    }
  for (int i = 0; i < x->ndim; i++)
    {
      shape[i] = x->shape[i] + begins[i] + ends[i];
      if (shape[i] < 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "negative pads remove more than dimension %d holds", i);
          return FALSE;
        }
      if (*mode != PAD_CONSTANT && x->shape[i] == 0 && shape[i] > 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "cannot pad an empty dimension in this mode");
          return FALSE;
        }
    }
  return TRUE;
}

/* The input index an output index reads from along a dimension of size n, or -1. */
static inline int64_t
pad_source (int64_t i, int64_t n, PadMode mode)
{
  if (i >= 0 && i < n)
    return i;
  switch (mode)
    {
    case PAD_CONSTANT:
      return -1;
    case PAD_EDGE:
      return i < 0 ? 0 : n - 1;
    case PAD_WRAP:
      return ((i % n) + n) % n;
    case PAD_REFLECT:
      if (n == 1)
        return 0;
      {
        /* reflection without repeating the edge has period 2(n−1) */
        int64_t period = 2 * (n - 1), j = ((i % period) + period) % period;
        return j < n ? j : period - j;
      }
    }
  return -1;
}

/* Walks the output row by row (rows of the last dimension): the outer
 * indices give one source row (or none, in constant mode), and a column map
 * computed once gives each output column's source column. With @scatter it
 * is the adjoint: gradients accumulate into @gx. */
static void
pad_walk (const RelTensor *x, RelTensor *y, const int64_t *begins, PadMode mode, double value,
          gboolean scatter, float *gx, const float *gy)
{
  int nd = x->ndim;
  int64_t idx[REL_MAX_DIMS] = { 0 }, xs[REL_MAX_DIMS];
  int64_t w_out, w_in, rows;
  /* a NaN or huge fill must not reach an int cast */
  int64_t ivalue = isfinite (value) && fabs (value) < 9.2e18 ? (int64_t) value : 0;
  g_autofree int64_t *cols = NULL;

  if (y->numel == 0)
    return;
  if (nd == 0)
    {
      /* a scalar pads nothing */
      if (scatter)
        gx[0] += gy[0];
      else
        memcpy (y->data, x->data, x->dtype == REL_DTYPE_INT64 ? sizeof (int64_t) : sizeof (float));
      return;
    }
  contiguous_strides (nd, x->shape, xs);
  w_out = y->shape[nd - 1];
  w_in = x->shape[nd - 1];
  rows = y->numel / w_out;
  cols = g_new (int64_t, (gsize) w_out);
  for (int64_t j = 0; j < w_out; j++)
    cols[j] = pad_source (j - begins[nd - 1], w_in, mode);
  for (int64_t r = 0; r < rows; r++)
    {
      int64_t off = 0;
      gboolean inside = TRUE;
      for (int d = 0; d < nd - 1; d++)
        {
          int64_t src = pad_source (idx[d] - begins[d], x->shape[d], mode);
          if (src < 0)
            {
              inside = FALSE;
              break;
            }
          off += src * xs[d];
        }
      if (scatter)
        {
          if (inside)
            for (int64_t j = 0; j < w_out; j++)
              if (cols[j] >= 0)
                gx[off + cols[j]] += gy[r * w_out + j];
        }
      else if (x->dtype == REL_DTYPE_FLOAT32)
        {
          const float *px = rel_tensor_f32 (x) + off;
          float *py = rel_tensor_f32 (y) + r * w_out;
          for (int64_t j = 0; j < w_out; j++)
            py[j] = inside && cols[j] >= 0 ? px[cols[j]] : (float) value;
        }
      else
        {
          const int64_t *px = rel_tensor_i64 (x) + off;
          int64_t *py = rel_tensor_i64 (y) + r * w_out;
          for (int64_t j = 0; j < w_out; j++)
            py[j] = inside && cols[j] >= 0 ? px[cols[j]] : ivalue;
        }
      for (int d = nd - 2; d >= 0; d--)
        {
          if (++idx[d] < y->shape[d])
            break;
          idx[d] = 0;
        }
    }
}

static gboolean
pad_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
             const RelContext *ctx, GError **error)
{
  int64_t begins[REL_MAX_DIMS], ends[REL_MAX_DIMS], shape[REL_MAX_DIMS];
  double value;
  PadMode mode;
  RelTensor *y;

  if (!pad_layout (node, inputs, begins, ends, shape, &value, &mode, error))
    return FALSE;
  y = rel_tensor_new (inputs[0]->dtype, inputs[0]->ndim, shape, error);
  if (y == NULL)
    return FALSE;
  pad_walk (inputs[0], y, begins, mode, value, FALSE, NULL, NULL);
  outputs[0] = y;
  return TRUE;
}

static gboolean
pad_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
              const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
              const RelContext *ctx, GError **error)
{
  int64_t begins[REL_MAX_DIMS], ends[REL_MAX_DIMS], shape[REL_MAX_DIMS];
  double value;
  PadMode mode;

  if (!need[0])
    return TRUE;
  if (!pad_layout (node, inputs, begins, ends, shape, &value, &mode, error)
      || !check_grad (grad_output, outputs[0], error) || !require_f32 (inputs[0], "the input", error))
    return FALSE;
  grad_inputs[0] = rel_tensor_new_like (inputs[0], error);
  if (grad_inputs[0] == NULL)
    return FALSE;
  pad_walk (inputs[0], outputs[0], begins, mode, value, TRUE,
            rel_tensor_f32 (grad_inputs[0]), rel_tensor_f32 (grad_output));
  return TRUE;
}

/* ---- Reduce*: Mean, Sum, Max, Min, Prod, L1, L2, SumSquare, LogSum, LogSumExp ---- */

/* The reduced shape with kept size-1 dimensions (@keep), the output shape and
 * the number of elements each output sums. *noop: the input passes unchanged. */
static gboolean
reduce_layout (const RelNode *node, RelTensor *const *inputs, int64_t *keep, int *nd_out,
               int64_t *out_shape, int64_t *count, gboolean *noop, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  const RelTensor *x = inputs[0];
  int64_t axes[REL_MAX_DIMS];
  gboolean reduce[REL_MAX_DIMS] = { FALSE };
  int n;

  if (p == NULL || !require_f32 (x, "the input", error)
      || !resolve_axes (node, p, inputs, 1, x->ndim, axes, &n, error))
    return FALSE;
  *noop = n <= 0 && p->noop_with_empty_axes;
  for (int i = 0; i < x->ndim; i++)
    reduce[i] = n <= 0;
  for (int i = 0; i < n; i++)
    reduce[axes[i]] = TRUE;
  *nd_out = 0;
  *count = 1;
  for (int i = 0; i < x->ndim; i++)
    {
      keep[i] = reduce[i] ? 1 : x->shape[i];
      if (reduce[i])
        *count *= x->shape[i];
      if (!reduce[i] || p->keepdims)
        out_shape[(*nd_out)++] = keep[i];
    }
  return TRUE;
}

typedef enum {
  RED_SUM, RED_MEAN, RED_MAX, RED_MIN, RED_PROD, RED_L1, RED_L2, RED_SUMSQ, RED_LOGSUM, RED_LOGSUMEXP,
} RedKind;

static RedKind
red_kind (const char *op_type)
{
  static const struct { const char *name; RedKind kind; } names[] = {
    { "ReduceMean", RED_MEAN }, { "ReduceMax", RED_MAX }, { "ReduceMin", RED_MIN },
    { "ReduceProd", RED_PROD }, { "ReduceL1", RED_L1 }, { "ReduceL2", RED_L2 },
    { "ReduceSumSquare", RED_SUMSQ }, { "ReduceLogSum", RED_LOGSUM },
    { "ReduceLogSumExp", RED_LOGSUMEXP },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (op_type, names[i].name) == 0)
      return names[i].kind;
  return RED_SUM;
}

/* Walks the input in order, tracking the offset of the output element each
 * input element reduces into (strides of the kept shape, 0 on reduced axes). */
typedef struct {
  int            nd;
  const int64_t *shape;
  int64_t        st[REL_MAX_DIMS];
  int64_t        idx[REL_MAX_DIMS];
  int64_t        off;
} RedIter;

static void
red_iter_init (RedIter *it, const RelTensor *x, const int64_t *keep)
{
  it->nd = x->ndim;
  it->shape = x->shape;
  rel_broadcast_strides (x->ndim, keep, x->ndim, x->shape, it->st);
  memset (it->idx, 0, sizeof it->idx);
  it->off = 0;
}

static inline void
red_iter_next (RedIter *it)
{
  for (int d = it->nd - 1; d >= 0; d--)
    {
      if (++it->idx[d] < it->shape[d])
        {
          it->off += it->st[d];
          return;
        }
      it->off -= it->st[d] * (it->shape[d] - 1);
      it->idx[d] = 0;
    }
}

static gboolean
reduce_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                const RelContext *ctx, GError **error)
{
  RelTensor *x = inputs[0];
  int64_t keep[REL_MAX_DIMS], out_shape[REL_MAX_DIMS], count, n_out;
  RedIter it;
  g_autofree double *acc = NULL, *mx = NULL;
  g_autoptr(RelTensor) red = NULL;
  RedKind kind = red_kind (node->op_type);
  const float *px;
  gboolean noop;
  int nd;

  if (!reduce_layout (node, inputs, keep, &nd, out_shape, &count, &noop, error))
    return FALSE;
  if (noop)
    {
      outputs[0] = rel_tensor_ref (x);
      return TRUE;
    }
  red = rel_tensor_new_f32 (x->ndim, keep, error);
  if (red == NULL)
    return FALSE;
  n_out = red->numel;
  px = rel_tensor_f32 (x);
  if ((kind == RED_SUM || kind == RED_MEAN) && n_out > 0 && x->numel % n_out == 0)
    {
      /* reduced axes all trailing (global average pooling over H, W): row sums */
      int64_t inner = x->numel / n_out, prod = 1;
      int k = x->ndim;
      while (k > 0 && keep[k - 1] == 1)
        prod *= x->shape[--k];
      if (prod == inner)
        {
          for (int64_t o = 0; o < n_out; o++)
            {
              double sum = 0;
              for (int64_t j = 0; j < inner; j++)
                sum += px[o * inner + j];
              rel_tensor_f32 (red)[o] = (float) (kind == RED_MEAN ? (count > 0 ? sum / (double) count : NAN) : sum);
            }
          outputs[0] = rel_tensor_view (red, nd, out_shape, error);
          return outputs[0] != NULL;
        }
    }
  acc = g_new (double, MAX (n_out, 1));
  for (int64_t o = 0; o < n_out; o++)
    acc[o] = kind == RED_MAX || kind == RED_LOGSUMEXP ? -INFINITY
           : kind == RED_MIN ? INFINITY : kind == RED_PROD ? 1.0 : 0.0;
  if (kind == RED_LOGSUMEXP)
    {
      /* shift by the maximum so exp cannot overflow */
      mx = acc;
      acc = g_new0 (double, MAX (n_out, 1));
      red_iter_init (&it, x, keep);
      for (int64_t i = 0; i < x->numel; i++, red_iter_next (&it))
        mx[it.off] = fmax (mx[it.off], px[i]);
    }
  red_iter_init (&it, x, keep);
  for (int64_t i = 0; i < x->numel; i++, red_iter_next (&it))
    {
      double v = px[i], *a = &acc[it.off];
      switch (kind)
        {
        case RED_SUM: case RED_MEAN: case RED_LOGSUM: *a += v; break;
        case RED_MAX: *a = v > *a || isnan (v) ? v : *a; break;
        case RED_MIN: *a = v < *a || isnan (v) ? v : *a; break;
        case RED_PROD: *a *= v; break;
        case RED_L1: *a += fabs (v); break;
        case RED_L2: case RED_SUMSQ: *a += v * v; break;
        case RED_LOGSUMEXP: *a += isinf (mx[it.off]) ? 0 : exp (v - mx[it.off]); break;
        }
    }
  for (int64_t o = 0; o < n_out; o++)
    {
      double v = acc[o];
      switch (kind)
        {
        case RED_MEAN: v = count > 0 ? v / (double) count : NAN; break;
        case RED_L2: v = sqrt (v); break;
        case RED_LOGSUM: v = log (v); break;
        case RED_LOGSUMEXP: v = isinf (mx[o]) ? mx[o] : mx[o] + log (v); break;
        default: break;
        }
      rel_tensor_f32 (red)[o] = (float) v;
    }
  outputs[0] = rel_tensor_view (red, nd, out_shape, error);
  return outputs[0] != NULL;
}

static gboolean
reduce_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                 const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                 const RelContext *ctx, GError **error)
{
  RelTensor *x = inputs[0];
  int64_t keep[REL_MAX_DIMS], out_shape[REL_MAX_DIMS], count, n_out;
  RedIter it;
  g_autofree double *aux = NULL;
  g_autofree int64_t *zeros = NULL;
  RedKind kind = red_kind (node->op_type);
  const float *px, *py, *g;
  float *d;
  gboolean noop;
  int nd;

  if (!need[0])
    return TRUE;
  if (!reduce_layout (node, inputs, keep, &nd, out_shape, &count, &noop, error)
      || !check_grad (grad_output, outputs[0], error))
    return FALSE;
  if (noop)
    {
      grad_inputs[0] = rel_tensor_copy (grad_output, error);
      return grad_inputs[0] != NULL;
    }
  grad_inputs[0] = rel_tensor_new_like (x, error);
  if (grad_inputs[0] == NULL)
    return FALSE;
  n_out = grad_output->numel;
  px = rel_tensor_f32 (x);
  py = rel_tensor_f32 (outputs[0]);
  g = rel_tensor_f32 (grad_output);
  d = rel_tensor_f32 (grad_inputs[0]);
  aux = g_new0 (double, MAX (n_out, 1));
  if (kind == RED_MAX || kind == RED_MIN)
    {
      /* tied extremes share the gradient */
      red_iter_init (&it, x, keep);
      for (int64_t i = 0; i < x->numel; i++, red_iter_next (&it))
        aux[it.off] += px[i] == py[it.off];
    }
  else if (kind == RED_PROD)
    {
      /* ∂Πx/∂x_i = Π_{j≠i} x_j, computed without dividing by a zero x_i */
      zeros = g_new0 (int64_t, MAX (n_out, 1));
      for (int64_t o = 0; o < n_out; o++)
        aux[o] = 1.0;
      red_iter_init (&it, x, keep);
      for (int64_t i = 0; i < x->numel; i++, red_iter_next (&it))
        {
          if (px[i] == 0)
            zeros[it.off]++;
          else
            aux[it.off] *= px[i];
        }
    }
  red_iter_init (&it, x, keep);
  for (int64_t i = 0; i < x->numel; i++, red_iter_next (&it))
    {
      int64_t o = it.off;
      double gi = g[o], xi = px[i], yi = py[o], v = 0;
      switch (kind)
        {
        case RED_SUM: v = gi; break;
        case RED_MEAN: v = gi / (double) count; break;
        case RED_MAX: case RED_MIN: v = xi == yi ? gi / aux[o] : 0; break;
        case RED_PROD:
          v = zeros[o] == 0 ? gi * aux[o] / xi : zeros[o] == 1 && xi == 0 ? gi * aux[o] : 0;
          break;
        case RED_L1: v = xi > 0 ? gi : xi < 0 ? -gi : 0; break;
        case RED_L2: v = yi > 0 ? gi * xi / yi : 0; break;
        case RED_SUMSQ: v = 2 * gi * xi; break;
        case RED_LOGSUM: v = gi / exp (yi); break;
        case RED_LOGSUMEXP: v = gi * exp (xi - yi); break;
        }
      d[i] = (float) v;
    }
  return TRUE;
}

/* ---- Expand ---- */

static gboolean
expand_shape (RelTensor *const *inputs, int *nd, int64_t *shape, GError **error)
{
  int64_t target[REL_MAX_DIMS];
  int n;

  if (!read_ints (inputs[1], "the target shape", target, REL_MAX_DIMS, &n, error))
    return FALSE;
  for (int i = 0; i < n; i++)
    if (target[i] < 0)
      {
        g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "Expand target dimension %d is negative", i);
        return FALSE;
      }
  /* Expand broadcasts both ways: a target dimension of 1 keeps the input's */
  return rel_broadcast_shape (inputs[0]->ndim, inputs[0]->shape, n, target, nd, shape, error);
}

static gboolean
expand_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                const RelContext *ctx, GError **error)
{
  int64_t shape[REL_MAX_DIMS];
  int nd;

  if (!expand_shape (inputs, &nd, shape, error))
    return FALSE;
  outputs[0] = rel_broadcast_to (inputs[0], nd, shape, error);
  return outputs[0] != NULL;
}

static gboolean
expand_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                 const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                 const RelContext *ctx, GError **error)
{
  if (!need[0])
    return TRUE;
  if (!check_grad (grad_output, outputs[0], error) || !require_f32 (inputs[0], "the input", error))
    return FALSE;
  grad_inputs[0] = rel_broadcast_reduce (rel_tensor_f32 (grad_output), grad_output->ndim,
                                         grad_output->shape, inputs[0], error);
  return grad_inputs[0] != NULL;
}

/* ---- Constant, ConstantOfShape, Shape, Cast ---- */

static gboolean
constant_prepare (RelModel *model, RelNode *node, GError **error)
{
  g_autoptr(RelTensor) t = NULL;
  const RelAttr *a;
  ShapeParams *p;

  if ((a = rel_node_attr (node, "value")) && a->type == REL_ATTR_TENSOR && a->t)
    t = rel_tensor_ref (a->t);
  else if ((a = rel_node_attr (node, "value_float")) && a->type == REL_ATTR_FLOAT)
    {
      t = rel_tensor_new (REL_DTYPE_FLOAT32, 0, NULL, error);
      if (t)
        rel_tensor_f32 (t)[0] = a->f;
    }
  else if ((a = rel_node_attr (node, "value_floats")) && a->type == REL_ATTR_FLOATS)
    {
      int64_t n = a->n;
      t = rel_tensor_new_from_f32 (1, &n, a->floats, error);
    }
  else if ((a = rel_node_attr (node, "value_int")) && a->type == REL_ATTR_INT)
    {
      t = rel_tensor_new (REL_DTYPE_INT64, 0, NULL, error);
      if (t)
        rel_tensor_i64 (t)[0] = a->i;
    }
  else if ((a = rel_node_attr (node, "value_ints")) && a->type == REL_ATTR_INTS)
    {
      int64_t n = a->n;
      t = rel_tensor_new (REL_DTYPE_INT64, 1, &n, error);
      if (t && n > 0)
        memcpy (t->data, a->ints, (size_t) n * sizeof (int64_t));
    }
  else
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "Constant needs a value, value_float(s) or value_int(s) attribute");
      return FALSE;
    }
  if (t == NULL)
    return FALSE;
  p = g_new0 (ShapeParams, 1);
  p->tensor = g_steal_pointer (&t);
  node->params = p;
  return TRUE;
}

static gboolean
constant_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                  const RelContext *ctx, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  if (p == NULL || p->tensor == NULL)
    return FALSE;
  outputs[0] = rel_tensor_ref (p->tensor);
  return TRUE;
}

static gboolean
constant_of_shape_prepare (RelModel *model, RelNode *node, GError **error)
{
  const RelAttr *a = rel_node_attr (node, "value");
  ShapeParams *p;

  if (a && (a->type != REL_ATTR_TENSOR || a->t == NULL || a->t->numel != 1))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "ConstantOfShape's value must be a one-element tensor");
      return FALSE;
    }
  p = g_new0 (ShapeParams, 1);
  if (a)
    p->tensor = rel_tensor_ref (a->t);
  node->params = p;
  return TRUE;
}

static gboolean
constant_of_shape_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                           const RelContext *ctx, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  int64_t shape[REL_MAX_DIMS];
  RelTensor *y;
  int n;

  if (p == NULL || !read_ints (inputs[0], "the shape", shape, REL_MAX_DIMS, &n, error))
    return FALSE;
  y = rel_tensor_new (p->tensor ? p->tensor->dtype : REL_DTYPE_FLOAT32, n, shape, error);
  if (y == NULL)
    return FALSE;
  if (p->tensor)
    {
      size_t es = elem_size (y->dtype);
      for (int64_t i = 0; i < y->numel; i++)
        memcpy ((char *) y->data + i * es, p->tensor->data, es);
    }
  outputs[0] = y;
  return TRUE;
}

static gboolean
shape_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
               const RelContext *ctx, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  const RelTensor *x = inputs[0];
  int64_t start, end, n;
  RelTensor *y;

  if (p == NULL)
    return FALSE;
  start = p->start < 0 ? p->start + x->ndim : p->start;
  end = !p->has_end ? x->ndim : p->end < 0 ? p->end + x->ndim : p->end;
  start = CLAMP (start, 0, x->ndim);
  end = CLAMP (end, 0, x->ndim);
  n = MAX (end - start, 0);
  y = rel_tensor_new (REL_DTYPE_INT64, 1, &n, error);
  if (y == NULL)
    return FALSE;
  for (int64_t i = 0; i < n; i++)
    rel_tensor_i64 (y)[i] = x->shape[start + i];
  outputs[0] = y;
  return TRUE;
}

/* ONNX TensorProto.DataType codes Cast may target. */
enum { ONNX_FLOAT = 1, ONNX_INT32 = 6, ONNX_INT64 = 7, ONNX_BOOL = 9, ONNX_FLOAT16 = 10, ONNX_DOUBLE = 11,
       ONNX_BFLOAT16 = 16 };

static gboolean
cast_prepare (RelModel *model, RelNode *node, GError **error)
{
  int64_t to = rel_node_attr_int (node, "to", -1);
  ShapeParams *p;
  /* before opset 6 'to' named the type */
  static const struct { const char *name; int64_t code; } names[] = {
    { "FLOAT", 1 }, { "INT32", 6 }, { "INT64", 7 }, { "BOOL", 9 }, { "FLOAT16", 10 }, { "DOUBLE", 11 },
    { "BFLOAT16", 16 },
  };
  const char *to_name = rel_node_attr_string (node, "to", NULL);

  for (gsize i = 0; to_name && i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (to_name, names[i].name) == 0)
      to = names[i].code;

  /* double and the 16-bit floats are computed in float32 (a cast to the
   * latter rounds to their precision), int32 and bool in int64, as the
   * loader stores them */
  gboolean to_float = to == ONNX_FLOAT || to == ONNX_DOUBLE || to == ONNX_FLOAT16 || to == ONNX_BFLOAT16;

  if (!to_float && to != ONNX_INT32 && to != ONNX_INT64 && to != ONNX_BOOL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "Cast to ONNX type %" G_GINT64_FORMAT " is not supported (only float and integer)", to);
      return FALSE;
    }
  p = g_new0 (ShapeParams, 1);
  p->to = to_float ? REL_DTYPE_FLOAT32 : REL_DTYPE_INT64;
  p->axis = to;
  node->params = p;
  return TRUE;
}

static gboolean
cast_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
              const RelContext *ctx, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  const RelTensor *x = inputs[0];
  RelTensor *y;

  if (p == NULL)
    return FALSE;
  if (x->dtype == p->to && p->axis != ONNX_INT32 && p->axis != ONNX_BOOL
      && p->axis != ONNX_FLOAT16 && p->axis != ONNX_BFLOAT16)
    {
      outputs[0] = rel_tensor_ref (inputs[0]);
      return TRUE;
    }
  y = rel_tensor_new (p->to, x->ndim, x->shape, error);
  if (y == NULL)
    return FALSE;
  for (int64_t i = 0; i < x->numel; i++)
    {
      if (p->to == REL_DTYPE_FLOAT32)
        {
          float v = x->dtype == REL_DTYPE_FLOAT32 ? rel_tensor_f32 (x)[i] : (float) rel_tensor_i64 (x)[i];
          rel_tensor_f32 (y)[i] = p->axis == ONNX_FLOAT16 ? rel_float_round_half (v)
                                  : p->axis == ONNX_BFLOAT16 ? rel_float_round_bfloat16 (v) : v;
        }
      else if (p->axis == ONNX_BOOL)
        rel_tensor_i64 (y)[i] = x->dtype == REL_DTYPE_FLOAT32 ? rel_tensor_f32 (x)[i] != 0 : rel_tensor_i64 (x)[i] != 0;
      else
        {
          double v = x->dtype == REL_DTYPE_FLOAT32 ? rel_tensor_f32 (x)[i] : (double) rel_tensor_i64 (x)[i];
          double lo = p->axis == ONNX_INT32 ? (double) G_MININT32 : -9.2233720368547748e18;
          double hi = p->axis == ONNX_INT32 ? (double) G_MAXINT32 : 9.2233720368547748e18;
          /* truncation toward zero like C; out-of-range values saturate instead of being undefined */
          if (isnan (v))
            v = 0;
          v = CLAMP (v, lo, hi);
          rel_tensor_i64 (y)[i] = v >= hi && p->axis != ONNX_INT32 ? G_MAXINT64 : (int64_t) v;
        }
    }
  outputs[0] = y;
  return TRUE;
}

static gboolean
cast_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
               const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
               const RelContext *ctx, GError **error)
{
  /* only a float → float cast carries a gradient; integer results are constant */
  if (!need[0] || inputs[0]->dtype != REL_DTYPE_FLOAT32 || outputs[0]->dtype != REL_DTYPE_FLOAT32)
    return TRUE;
  if (!check_grad (grad_output, outputs[0], error))
    return FALSE;
  grad_inputs[0] = rel_tensor_copy (grad_output, error);
  return grad_inputs[0] != NULL;
}

/* ---- Split ---- */

static gboolean
split_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
               const RelContext *ctx, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  const RelTensor *x = inputs[0];
  int64_t sizes[8], axis, outer = 1, inner = 1, total = 0, at = 0;
  int n = node->n_outputs, ns = -1;
  size_t es;

  if (p == NULL || !normalize_axis (p->axis, x->ndim, &axis, error))
    return FALSE;
  if (n < 1 || n > (int) G_N_ELEMENTS (sizes))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "Split into %d outputs; 1 to 8 are supported", n);
      return FALSE;
    }
  if (node->n_inputs > 1 && inputs[1])
    {
      if (!read_ints (inputs[1], "split", sizes, G_N_ELEMENTS (sizes), &ns, error))
        return FALSE;
    }
  else if (p->n_pads >= 0)
    {
      /* the 'split' attribute (opset < 13), parked in the pads slot by split_prepare */
      ns = p->n_pads;
      memcpy (sizes, p->pads, sizeof sizes);
    }
  if (ns < 0)
    {
      /* equal parts; opset 18's num_outputs allows a smaller last part */
      int64_t d = x->shape[axis], part = (d + n - 1) / n;
      if (d % n != 0 && p->start == 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "cannot split a dimension of %" G_GINT64_FORMAT " into %d equal parts", d, n);
          return FALSE;
        }
      for (int k = 0; k < n; k++)
        sizes[k] = CLAMP (d - k * part, 0, part);
      ns = n;
    }
  if (ns != n)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "Split has %d sizes for %d outputs", ns, n);
      return FALSE;
    }
  for (int k = 0; k < n; k++)
    {
      if (sizes[k] < 0 || sizes[k] > x->shape[axis])
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "Split size %d (%" G_GINT64_FORMAT ") is out of range",
                       k, sizes[k]);
          return FALSE;
        }
      total += sizes[k];
    }
  if (total != x->shape[axis])
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "Split sizes add up to %" G_GINT64_FORMAT ", not the dimension %" G_GINT64_FORMAT,
                   total, x->shape[axis]);
      return FALSE;
    }
  for (int i = 0; i < x->ndim; i++)
    {
      if (i < axis)
        outer *= x->shape[i];
      else if (i > axis)
        inner *= x->shape[i];
    }
  es = elem_size (x->dtype);
  for (int k = 0; k < n; k++)
    {
      int64_t shape[REL_MAX_DIMS], chunk = sizes[k] * inner;
      memcpy (shape, x->shape, sizeof shape);
      shape[axis] = sizes[k];
      outputs[k] = rel_tensor_new (x->dtype, x->ndim, shape, error);
      if (outputs[k] == NULL)
        return FALSE;
      for (int64_t o = 0; o < outer && chunk > 0; o++)
        memcpy ((char *) outputs[k]->data + o * chunk * es,
                (const char *) x->data + (o * x->shape[axis] * inner + at) * es, (size_t) chunk * es);
      at += chunk;
    }
  return TRUE;
}

/* The input's cotangent is the outputs' put back side by side along the
 * axis (their forward shapes give the sizes); a part nothing read stays 0. */
static gboolean
split_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                const RelTensor *const *grad_outputs, RelTensor **grad_inputs, const gboolean *need,
                const RelContext *ctx, GError **error)
{
  const ShapeParams *p = params_of (node, error);
  const RelTensor *x = inputs[0];
  int64_t axis, outer = 1, inner = 1, at = 0, row;
  float *gx;

  if (p == NULL || !normalize_axis (p->axis, x->ndim, &axis, error))
    return FALSE;
  if (!need[0])
    return TRUE;
  if (!require_f32 (x, "the input", error))
    return FALSE;
  for (int i = 0; i < x->ndim; i++)
    {
      if (i < axis)
        outer *= x->shape[i];
      else if (i > axis)
        inner *= x->shape[i];
    }
  row = x->shape[axis] * inner;
  grad_inputs[0] = rel_tensor_new_like (x, error);   /* zeroed */
  if (grad_inputs[0] == NULL)
    return FALSE;
  gx = rel_tensor_f32 (grad_inputs[0]);
  for (int k = 0; k < node->n_outputs && k < 8; k++)
    {
      int64_t chunk = outputs[k]->shape[axis] * inner;
      if (grad_outputs[k])
        {
          if (!check_grad (grad_outputs[k], outputs[k], error))
            return FALSE;
          for (int64_t o = 0; o < outer && chunk > 0; o++)
            memcpy (gx + o * row + at, rel_tensor_f32 (grad_outputs[k]) + o * chunk, (size_t) chunk * sizeof (float));
        }
      at += chunk;
    }
  return TRUE;
}

static gboolean
split_prepare (RelModel *model, RelNode *node, GError **error)
{
  ShapeParams *p = params_new (node, error);
  int n;

  if (p == NULL)
    return FALSE;
  p->axis = rel_node_attr_int (node, "axis", 0);
  if (!attr_ints (node, "split", p->pads, 8, &n, error))
    {
      g_free (p);
      return FALSE;
    }
  p->n_pads = n;
  /* num_outputs (opset 18) permits an uneven last part */
  p->start = rel_node_attr (node, "num_outputs") != NULL;
  node->params = p;
  return TRUE;
}

static gboolean
size_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
              const RelContext *ctx, GError **error)
{
  outputs[0] = rel_tensor_new (REL_DTYPE_INT64, 0, NULL, error);
  if (outputs[0] == NULL)
    return FALSE;
  rel_tensor_i64 (outputs[0])[0] = inputs[0]->numel;
  return TRUE;
}

/* ---- ArgMax, ArgMin ---- */

static gboolean
arg_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
             const RelContext *ctx, GError **error)
{
  const RelTensor *x = inputs[0];
  gboolean is_max = strcmp (node->op_type, "ArgMax") == 0;
  gboolean keepdims = rel_node_attr_int (node, "keepdims", 1) != 0;
  gboolean last = rel_node_attr_int (node, "select_last_index", 0) != 0;
  int64_t axis, outer = 1, len, inner = 1, shape[REL_MAX_DIMS];
  int nd = 0;
  RelTensor *y;

  if (!normalize_axis (rel_node_attr_int (node, "axis", 0), x->ndim, &axis, error))
    return FALSE;
  len = x->shape[axis];
  if (len == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s over an empty axis", node->op_type);
      return FALSE;
    }
  for (int i = 0; i < x->ndim; i++)
    {
      if (i < axis)
        outer *= x->shape[i];
      else if (i > axis)
        inner *= x->shape[i];
      if (i != axis)
        shape[nd++] = x->shape[i];
      else if (keepdims)
        shape[nd++] = 1;
    }
  y = rel_tensor_new (REL_DTYPE_INT64, nd, shape, error);
  if (y == NULL)
    return FALSE;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t in = 0; in < inner; in++)
      {
        int64_t best = 0;
        for (int64_t k = 1; k < len; k++)
          {
            int64_t a = (o * len + k) * inner + in, b = (o * len + best) * inner + in;
            double va = x->dtype == REL_DTYPE_FLOAT32 ? rel_tensor_f32 (x)[a] : (double) rel_tensor_i64 (x)[a];
            double vb = x->dtype == REL_DTYPE_FLOAT32 ? rel_tensor_f32 (x)[b] : (double) rel_tensor_i64 (x)[b];
            gboolean better = is_max ? va > vb : va < vb;
            if (better || (last && va == vb))
              best = k;
          }
        rel_tensor_i64 (y)[o * inner + in] = best;
      }
  outputs[0] = y;
  return TRUE;
}

/* ---- Tile ---- */

static gboolean
tile_layout (RelTensor *const *inputs, int64_t *shape, GError **error)
{
  const RelTensor *x = inputs[0];
  int64_t reps[REL_MAX_DIMS];
  int n;

  if (!read_ints (inputs[1], "repeats", reps, REL_MAX_DIMS, &n, error))
    return FALSE;
  if (n != x->ndim)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "Tile has %d repeats for a %d-D input", n, x->ndim);
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    {
      if (reps[i] < 0 || (x->shape[i] > 0 && reps[i] > REL_TENSOR_MAX_ELEMENTS / x->shape[i]))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "Tile repeat %" G_GINT64_FORMAT " is out of range",
                       reps[i]);
          return FALSE;
        }
      shape[i] = x->shape[i] * reps[i];
    }
  return TRUE;
}

/* Output element o reads input element src(o) = Σ (idx_d mod in_d)·stride_d. */
static void
tile_walk (const RelTensor *x, RelTensor *y, gboolean scatter, float *gx, const float *gy)
{
  int nd = x->ndim;
  int64_t idx[REL_MAX_DIMS] = { 0 }, xs[REL_MAX_DIMS];

  contiguous_strides (nd, x->shape, xs);
  for (int64_t o = 0; o < y->numel; o++)
    {
      int64_t off = 0;
      for (int d = 0; d < nd; d++)
        off += (idx[d] % x->shape[d]) * xs[d];
      if (scatter)
        gx[off] += gy[o];
      else if (x->dtype == REL_DTYPE_FLOAT32)
        rel_tensor_f32 (y)[o] = rel_tensor_f32 (x)[off];
      else
        rel_tensor_i64 (y)[o] = rel_tensor_i64 (x)[off];
      for (int d = nd - 1; d >= 0; d--)
        {
          if (++idx[d] < y->shape[d])
            break;
          idx[d] = 0;
        }
    }
}

static gboolean
tile_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
              const RelContext *ctx, GError **error)
{
  int64_t shape[REL_MAX_DIMS];
  RelTensor *y;

  if (!tile_layout (inputs, shape, error))
    return FALSE;
  y = rel_tensor_new (inputs[0]->dtype, inputs[0]->ndim, shape, error);
  if (y == NULL)
    return FALSE;
  tile_walk (inputs[0], y, FALSE, NULL, NULL);
  outputs[0] = y;
  return TRUE;
}

static gboolean
tile_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
               const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
               const RelContext *ctx, GError **error)
{
  if (!need[0])
    return TRUE;
  if (!check_grad (grad_output, outputs[0], error) || !require_f32 (inputs[0], "the input", error))
    return FALSE;
  grad_inputs[0] = rel_tensor_new_like (inputs[0], error);
  if (grad_inputs[0] == NULL)
    return FALSE;
  tile_walk (inputs[0], outputs[0], TRUE, rel_tensor_f32 (grad_inputs[0]), rel_tensor_f32 (grad_output));
  return TRUE;
}

/* ---- Range ---- */

static gboolean
range_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
               const RelContext *ctx, GError **error)
{
  double v[3];
  int64_t n;
  RelTensor *y;

  for (int k = 0; k < 3; k++)
    {
      const RelTensor *t = inputs[k];
      if (t->numel != 1 || t->dtype != inputs[0]->dtype)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "Range needs three scalars of one type");
          return FALSE;
        }
      v[k] = t->dtype == REL_DTYPE_FLOAT32 ? rel_tensor_f32 (t)[0] : (double) rel_tensor_i64 (t)[0];
    }
  if (v[2] == 0 || !isfinite (v[0]) || !isfinite (v[1]) || !isfinite (v[2]))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "Range needs a finite, non-zero delta");
      return FALSE;
    }
  {
    double count = ceil ((v[1] - v[0]) / v[2]);
    if (count > (double) REL_TENSOR_MAX_ELEMENTS)
      {
        g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "Range of %.0f elements is too large", count);
        return FALSE;
      }
    n = count > 0 ? (int64_t) count : 0;
  }
  y = rel_tensor_new (inputs[0]->dtype, 1, &n, error);
  if (y == NULL)
    return FALSE;
  for (int64_t i = 0; i < n; i++)
    {
      if (y->dtype == REL_DTYPE_FLOAT32)
        rel_tensor_f32 (y)[i] = (float) (v[0] + (double) i * v[2]);
      else
        rel_tensor_i64 (y)[i] = (int64_t) ((uint64_t) rel_tensor_i64 (inputs[0])[0]
                                           + (uint64_t) i * (uint64_t) rel_tensor_i64 (inputs[2])[0]);
    }
  outputs[0] = y;
  return TRUE;
}

/* ---- CumSum ---- */

static gboolean
cumsum_layout (const RelNode *node, RelTensor *const *inputs, int64_t *outer, int64_t *len,
               int64_t *inner, GError **error)
{
  const RelTensor *x = inputs[0], *a = inputs[1];
  int64_t axis;

  if (a->numel != 1 || a->dtype != REL_DTYPE_INT64)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "CumSum's axis must be an integer scalar");
      return FALSE;
    }
  if (!normalize_axis (rel_tensor_i64 (a)[0], x->ndim, &axis, error))
    return FALSE;
  *outer = *inner = 1;
  *len = x->shape[axis];
  for (int i = 0; i < x->ndim; i++)
    {
      if (i < axis)
        *outer *= x->shape[i];
      else if (i > axis)
        *inner *= x->shape[i];
    }
  return TRUE;
}

/* Running sums along the axis; reversed and/or exclusive as asked. */
static void
cumsum_run (const RelTensor *x, RelTensor *y, int64_t outer, int64_t len, int64_t inner,
            gboolean exclusive, gboolean reverse)
{
  for (int64_t o = 0; o < outer; o++)
    for (int64_t in = 0; in < inner; in++)
      {
        double acc = 0;
        int64_t iacc = 0;
        for (int64_t s = 0; s < len; s++)
          {
            int64_t k = reverse ? len - 1 - s : s;
            int64_t i = (o * len + k) * inner + in;
            if (x->dtype == REL_DTYPE_FLOAT32)
              {
                double v = rel_tensor_f32 (x)[i];
                if (!exclusive)
                  acc += v;
                rel_tensor_f32 (y)[i] = (float) acc;
                if (exclusive)
                  acc += v;
              }
            else
              {
                int64_t v = rel_tensor_i64 (x)[i];
                if (!exclusive)
                  iacc = (int64_t) ((uint64_t) iacc + (uint64_t) v);
                rel_tensor_i64 (y)[i] = iacc;
                if (exclusive)
                  iacc = (int64_t) ((uint64_t) iacc + (uint64_t) v);
              }
          }
      }
}

static gboolean
cumsum_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                const RelContext *ctx, GError **error)
{
  int64_t outer, len, inner;
  RelTensor *y;

  if (!cumsum_layout (node, inputs, &outer, &len, &inner, error))
    return FALSE;
  y = rel_tensor_new_like (inputs[0], error);
  if (y == NULL)
    return FALSE;
  cumsum_run (inputs[0], y, outer, len, inner, rel_node_attr_int (node, "exclusive", 0) != 0,
              rel_node_attr_int (node, "reverse", 0) != 0);
  outputs[0] = y;
  return TRUE;
}

static gboolean
cumsum_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                 const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                 const RelContext *ctx, GError **error)
{
  int64_t outer, len, inner;

  if (!need[0])
    return TRUE;
  if (!cumsum_layout (node, inputs, &outer, &len, &inner, error)
      || !check_grad (grad_output, outputs[0], error) || !require_f32 (inputs[0], "the input", error))
    return FALSE;
  grad_inputs[0] = rel_tensor_new_like (inputs[0], error);
  if (grad_inputs[0] == NULL)
    return FALSE;
  /* the adjoint of a running sum is the running sum the other way */
  cumsum_run (grad_output, grad_inputs[0], outer, len, inner, rel_node_attr_int (node, "exclusive", 0) != 0,
              rel_node_attr_int (node, "reverse", 0) == 0);
  return TRUE;
}

/* ---- Trilu ---- */

static gboolean
trilu_mask (const RelNode *node, RelTensor *const *inputs, int64_t *k, GError **error)
{
  *k = 0;
  if (inputs[0]->ndim < 2)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "Trilu needs at least 2 dimensions");
      return FALSE;
    }
  if (node->n_inputs > 1 && inputs[1])
    {
      if (inputs[1]->numel != 1 || inputs[1]->dtype != REL_DTYPE_INT64)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "Trilu's k must be an integer scalar");
          return FALSE;
        }
      *k = rel_tensor_i64 (inputs[1])[0];
    }
  return TRUE;
}

/* Keeps (upper) j − i ≥ k, or (lower) j − i ≤ k, of the last two dimensions. */
static void
trilu_apply (const RelNode *node, const RelTensor *x, RelTensor *y, int64_t k)
{
  gboolean upper = rel_node_attr_int (node, "upper", 1) != 0;
  int64_t rows = x->shape[x->ndim - 2], cols = x->shape[x->ndim - 1];
  size_t es = x->dtype == REL_DTYPE_INT64 ? sizeof (int64_t) : sizeof (float);

  for (int64_t i = 0; i < x->numel; i++)
    {
      int64_t c = i % cols, r = (i / cols) % rows;
      gboolean keep = upper ? c - r >= k : c - r <= k;
      if (keep)
        memcpy ((char *) y->data + i * es, (const char *) x->data + i * es, es);
    }
}

static gboolean
trilu_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
               const RelContext *ctx, GError **error)
{
  int64_t k;
  if (!trilu_mask (node, inputs, &k, error))
    return FALSE;
  outputs[0] = rel_tensor_new_like (inputs[0], error);
  if (outputs[0] == NULL)
    return FALSE;
  trilu_apply (node, inputs[0], outputs[0], k);
  return TRUE;
}

static gboolean
trilu_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                const RelContext *ctx, GError **error)
{
  int64_t k;
  if (!need[0])
    return TRUE;
  if (!trilu_mask (node, inputs, &k, error) || !check_grad (grad_output, outputs[0], error)
      || !require_f32 (inputs[0], "the input", error))
    return FALSE;
  grad_inputs[0] = rel_tensor_new_like (inputs[0], error);
  if (grad_inputs[0] == NULL)
    return FALSE;
  trilu_apply (node, grad_output, grad_inputs[0], k);
  return TRUE;
}

/* ---- GatherElements ---- */

static gboolean
gather_elements_check (const RelNode *node, RelTensor *const *inputs, int64_t *axis, GError **error)
{
  const RelTensor *x = inputs[0], *idx = inputs[1];

  if (idx->dtype != REL_DTYPE_INT64 || idx->ndim != x->ndim)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "GatherElements needs integer indices of the data's rank");
      return FALSE;
    }
  if (!normalize_axis (rel_node_attr_int (node, "axis", 0), x->ndim, axis, error))
    return FALSE;
  for (int i = 0; i < x->ndim; i++)
    if (i != *axis && idx->shape[i] > x->shape[i])
      {
        g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "GatherElements indices exceed the data along axis %d", i);
        return FALSE;
      }
  for (int64_t j = 0; j < idx->numel; j++)
    {
      int64_t v = rel_tensor_i64 (idx)[j];
      if (v < -x->shape[*axis] || v >= x->shape[*axis])
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "GatherElements index %" G_GINT64_FORMAT " is out of range", v);
          return FALSE;
        }
    }
  return TRUE;
}

/* For every index element, the data offset it addresses. */
static void
gather_elements_walk (const RelTensor *x, const RelTensor *idx, int64_t axis, RelTensor *y,
                      gboolean scatter, float *gx, const float *gy)
{
  int64_t pos[REL_MAX_DIMS] = { 0 }, xs[REL_MAX_DIMS];
  int nd = x->ndim;

  contiguous_strides (nd, x->shape, xs);
  for (int64_t j = 0; j < idx->numel; j++)
    {
      int64_t off = 0, v = rel_tensor_i64 (idx)[j];
      if (v < 0)
        v += x->shape[axis];
      for (int d = 0; d < nd; d++)
        off += (d == axis ? v : pos[d]) * xs[d];
      if (scatter)
        gx[off] += gy[j];
      else if (x->dtype == REL_DTYPE_FLOAT32)
        rel_tensor_f32 (y)[j] = rel_tensor_f32 (x)[off];
      else
        rel_tensor_i64 (y)[j] = rel_tensor_i64 (x)[off];
      for (int d = nd - 1; d >= 0; d--)
        {
          if (++pos[d] < idx->shape[d])
            break;
          pos[d] = 0;
        }
    }
}

static gboolean
gather_elements_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                         const RelContext *ctx, GError **error)
{
  int64_t axis;
  RelTensor *y;

  if (!gather_elements_check (node, inputs, &axis, error))
    return FALSE;
  y = rel_tensor_new (inputs[0]->dtype, inputs[1]->ndim, inputs[1]->shape, error);
  if (y == NULL)
    return FALSE;
  gather_elements_walk (inputs[0], inputs[1], axis, y, FALSE, NULL, NULL);
  outputs[0] = y;
  return TRUE;
}

static gboolean
gather_elements_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                          const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                          const RelContext *ctx, GError **error)
{
  int64_t axis;

  if (!need[0])
    return TRUE;
  if (!gather_elements_check (node, inputs, &axis, error) || !check_grad (grad_output, outputs[0], error)
      || !require_f32 (inputs[0], "the data", error))
    return FALSE;
  grad_inputs[0] = rel_tensor_new_like (inputs[0], error);
  if (grad_inputs[0] == NULL)
    return FALSE;
  gather_elements_walk (inputs[0], inputs[1], axis, NULL, TRUE, rel_tensor_f32 (grad_inputs[0]),
                        rel_tensor_f32 (grad_output));
  return TRUE;
}

/* ---- ScatterND: copy of the data with slices at index tuples replaced (or
 * combined by reduction add/mul/max/min). Swin's attention mask is built by
 * index assignments the exporter writes as ScatterND. ---- */

typedef enum { SND_NONE, SND_ADD, SND_MUL, SND_MAX, SND_MIN } SndReduction;

/* Validates the shapes and indices; sets the number of index tuples, the
 * slice length, and offs[t], the data offset of tuple t's slice. */
static gboolean
scatter_nd_plan (const RelNode *node, RelTensor *const *inputs, SndReduction *red, int64_t *n_tuples,
                 int64_t *slice, int64_t **offs, GError **error)
{
  const RelTensor *x = inputs[0], *idx = inputs[1], *u = inputs[2];
  const char *r = rel_node_attr_string (node, "reduction", "none");
  int64_t k, xs[REL_MAX_DIMS];

  if (strcmp (r, "none") == 0)
    *red = SND_NONE;
  else if (strcmp (r, "add") == 0)
    *red = SND_ADD;
  else if (strcmp (r, "mul") == 0)
    *red = SND_MUL;
  else if (strcmp (r, "max") == 0)
    *red = SND_MAX;
  else if (strcmp (r, "min") == 0)
    *red = SND_MIN;
  else
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "ScatterND reduction '%s' is not supported", r);
      return FALSE;
    }
  if (x == NULL || idx == NULL || u == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "ScatterND needs data, indices and updates");
      return FALSE;
    }
  if (idx->dtype != REL_DTYPE_INT64 || idx->ndim < 1 || u->dtype != x->dtype)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "ScatterND needs integer indices of rank ≥ 1 and updates of the data's type");
      return FALSE;
    }
  k = idx->shape[idx->ndim - 1];
  if (k < 1 || k > x->ndim || u->ndim != idx->ndim - 1 + x->ndim - k)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "ScatterND indices address %" G_GINT64_FORMAT " of the data's %d axes, "
                   "and the updates must have rank %" G_GINT64_FORMAT, k, x->ndim,
                   (int64_t) idx->ndim - 1 + x->ndim - k);
      return FALSE;
    }
  for (int d = 0; d < u->ndim; d++)
    if (u->shape[d] != (d < idx->ndim - 1 ? idx->shape[d] : x->shape[d - (idx->ndim - 1) + k]))
      {
        g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "ScatterND updates have the wrong extent along axis %d", d);
        return FALSE;
      }
  contiguous_strides (x->ndim, x->shape, xs);
  *slice = k < x->ndim ? xs[k - 1] : 1;
  *n_tuples = idx->numel / k;
  *offs = g_new (int64_t, MAX (*n_tuples, 1));
  for (int64_t t = 0; t < *n_tuples; t++)
    {
      int64_t off = 0;
      for (int64_t d = 0; d < k; d++)
        {
          int64_t v = rel_tensor_i64 (idx)[t * k + d];
          if (v < -x->shape[d] || v >= x->shape[d])
            {
              g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                           "ScatterND index %" G_GINT64_FORMAT " is out of range for axis %" G_GINT64_FORMAT
                           " of extent %" G_GINT64_FORMAT, v, d, x->shape[d]);
              g_clear_pointer (offs, g_free);
              return FALSE;
            }
          off += (v < 0 ? v + x->shape[d] : v) * xs[d];
        }
      (*offs)[t] = off;
    }
  return TRUE;
}

static double
snd_combine (SndReduction red, double acc, double v)
{
  switch (red)
    {
    case SND_ADD: return acc + v;
    case SND_MUL: return acc * v;
    case SND_MAX: return v > acc || isnan (v) ? v : acc;
    case SND_MIN: return v < acc || isnan (v) ? v : acc;
    case SND_NONE:
    default:      return v;
    }
}

static gboolean
scatter_nd_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                    const RelContext *ctx, GError **error)
{
  g_autofree int64_t *offs = NULL;
  const RelTensor *u = inputs[2];
  int64_t n_tuples, slice;
  SndReduction red;
  RelTensor *y;

  if (!scatter_nd_plan (node, inputs, &red, &n_tuples, &slice, &offs, error)
      || !(y = rel_tensor_copy (inputs[0], error)))
    return FALSE;
  /* tuples in order: with reduction none a repeated index keeps the last write */
  for (int64_t t = 0; t < n_tuples; t++)
    for (int64_t e = 0; e < slice; e++)
      {
        int64_t o = offs[t] + e, j = t * slice + e;
        if (y->dtype == REL_DTYPE_FLOAT32)
          rel_tensor_f32 (y)[o] = (float) snd_combine (red, rel_tensor_f32 (y)[o], rel_tensor_f32 (u)[j]);
        else
          rel_tensor_i64 (y)[o] = red == SND_NONE ? rel_tensor_i64 (u)[j]
                                  : (int64_t) snd_combine (red, (double) rel_tensor_i64 (y)[o],
                                                           (double) rel_tensor_i64 (u)[j]);
      }
  outputs[0] = y;
  return TRUE;
}

/* The VJP for each reduction: none routes each output element's gradient to
 * whoever wrote it last (data where nothing was written); add copies it to the
 * data and to every update; mul multiplies by the other factors of the
 * element's product; max/min give it to the winners, shared among ties. */
static gboolean
scatter_nd_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                     const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                     const RelContext *ctx, GError **error)
{
  g_autofree int64_t *offs = NULL, *last = NULL;
  g_autofree double *prod = NULL, *ties = NULL;
  g_autofree int *zeros = NULL;
  const RelTensor *x = inputs[0], *u = inputs[2], *y = outputs[0];
  const float *g = rel_tensor_f32 (grad_output), *px, *pu, *py;
  int64_t n_tuples, slice;
  SndReduction red;
  float *gx = NULL, *gu = NULL;

  if (!need[0] && !need[2])
    return TRUE;
  if (!scatter_nd_plan (node, inputs, &red, &n_tuples, &slice, &offs, error)
      || !check_grad (grad_output, y, error) || !require_f32 (x, "the data", error))
    return FALSE;
  px = rel_tensor_f32 (x);
  pu = rel_tensor_f32 (u);
  py = rel_tensor_f32 (y);
  if (need[0])
    {
      if (!(grad_inputs[0] = rel_tensor_new_like (x, error)))
        return FALSE;
      gx = rel_tensor_f32 (grad_inputs[0]);
    }
  if (need[2])
    {
      if (!(grad_inputs[2] = rel_tensor_new_like (u, error)))
        return FALSE;
      gu = rel_tensor_f32 (grad_inputs[2]);
    }
  switch (red)
    {
    case SND_NONE:
      last = g_new (int64_t, MAX (x->numel, 1));
      for (int64_t i = 0; i < x->numel; i++)
        last[i] = -1;
      for (int64_t t = 0; t < n_tuples; t++)
        for (int64_t e = 0; e < slice; e++)
          last[offs[t] + e] = t * slice + e;
      for (int64_t i = 0; gx && i < x->numel; i++)
        gx[i] = last[i] < 0 ? g[i] : 0.0f;
      for (int64_t t = 0; gu && t < n_tuples; t++)
        for (int64_t e = 0; e < slice; e++)
          gu[t * slice + e] = last[offs[t] + e] == t * slice + e ? g[offs[t] + e] : 0.0f;
      break;
    case SND_ADD:
      if (gx)
        memcpy (gx, g, x->numel * sizeof (float));
      for (int64_t t = 0; gu && t < n_tuples; t++)
        for (int64_t e = 0; e < slice; e++)
          gu[t * slice + e] = g[offs[t] + e];
      break;
    case SND_MUL:
      /* per element: the product of its non-zero updates and how many are zero,
       * so each factor's "product of the others" needs no division by zero */
      prod = g_new (double, MAX (x->numel, 1));
      zeros = g_new0 (int, MAX (x->numel, 1));
      for (int64_t i = 0; i < x->numel; i++)
        prod[i] = 1.0;
      for (int64_t t = 0; t < n_tuples; t++)
        for (int64_t e = 0; e < slice; e++)
          {
            double v = pu[t * slice + e];
            if (v == 0)
              zeros[offs[t] + e]++;
            else
              prod[offs[t] + e] *= v;
          }
      for (int64_t i = 0; gx && i < x->numel; i++)
        gx[i] = zeros[i] ? 0.0f : (float) (g[i] * prod[i]);
      for (int64_t t = 0; gu && t < n_tuples; t++)
        for (int64_t e = 0; e < slice; e++)
          {
            int64_t o = offs[t] + e;
            double v = pu[t * slice + e];
            int others_zero = zeros[o] - (v == 0);
            gu[t * slice + e] = others_zero ? 0.0f
                                : (float) (g[o] * px[o] * (v == 0 ? prod[o] : prod[o] / v));
          }
      break;
    case SND_MAX:
    case SND_MIN:
      ties = g_new (double, MAX (x->numel, 1));
      for (int64_t i = 0; i < x->numel; i++)
        ties[i] = px[i] == py[i];
      for (int64_t t = 0; t < n_tuples; t++)
        for (int64_t e = 0; e < slice; e++)
          ties[offs[t] + e] += pu[t * slice + e] == py[offs[t] + e];
      for (int64_t i = 0; gx && i < x->numel; i++)
        gx[i] = px[i] == py[i] ? (float) (g[i] / ties[i]) : 0.0f;
      for (int64_t t = 0; gu && t < n_tuples; t++)
        for (int64_t e = 0; e < slice; e++)
          {
            int64_t o = offs[t] + e;
            gu[t * slice + e] = pu[t * slice + e] == py[o] ? (float) (g[o] / ties[o]) : 0.0f;
          }
      break;
    }
  return TRUE;
}

/* ---- DepthToSpace, SpaceToDepth: a 6-D transpose of a reshaped NCHW tensor ---- */

/* The output (6-D, permuted) shape and the input strides read in its order. */
static gboolean
d2s_layout (const RelNode *node, const RelTensor *x, int64_t *shape6, int64_t *strides6,
            int64_t *out4, GError **error)
{
  gboolean to_space = strcmp (node->op_type, "DepthToSpace") == 0;
  gboolean crd = g_strcmp0 (rel_node_attr_string (node, "mode", "DCR"), "CRD") == 0;
  int64_t b = rel_node_attr_int (node, "blocksize", 0), in6[6], xs[6], perm[6];
  int64_t n, c, h, w;

  if (x->ndim != 4 || b <= 0 || b > 4096)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s needs a 4-D input and a positive blocksize",
                   node->op_type);
      return FALSE;
    }
  n = x->shape[0], c = x->shape[1], h = x->shape[2], w = x->shape[3];
  if (to_space ? c % (b * b) != 0 : h % b != 0 || w % b != 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s: blocksize %" G_GINT64_FORMAT " does not divide the input",
                   node->op_type, b);
      return FALSE;
    }
  if (to_space && !crd)
    {
      const int64_t s[6] = { n, b, b, c / (b * b), h, w }, p[6] = { 0, 3, 4, 1, 5, 2 };
      memcpy (in6, s, sizeof s);
      memcpy (perm, p, sizeof p);
    }
  else if (to_space)
    {
      const int64_t s[6] = { n, c / (b * b), b, b, h, w }, p[6] = { 0, 1, 4, 2, 5, 3 };
      memcpy (in6, s, sizeof s);
      memcpy (perm, p, sizeof p);
    }
  else
    {
      const int64_t s[6] = { n, c, h / b, b, w / b, b }, p[6] = { 0, 3, 5, 1, 2, 4 };
      memcpy (in6, s, sizeof s);
      memcpy (perm, p, sizeof p);
    }
  contiguous_strides (6, in6, xs);
  for (int i = 0; i < 6; i++)
    {
      shape6[i] = in6[perm[i]];
      strides6[i] = xs[perm[i]];
    }
  if (to_space)
    {
      out4[0] = n, out4[1] = c / (b * b), out4[2] = h * b, out4[3] = w * b;
    }
  else
    {
      out4[0] = n, out4[1] = c * b * b, out4[2] = h / b, out4[3] = w / b;
    }
  return TRUE;
}

static gboolean
d2s_prepare (RelModel *model, RelNode *node, GError **error)
{
  const char *mode = rel_node_attr_string (node, "mode", "DCR");
  int64_t b = rel_node_attr_int (node, "blocksize", 0);

  if (b <= 0 || b > 4096)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "%s needs a blocksize between 1 and 4096",
                   node->op_type);
      return FALSE;
    }
  if (strcmp (mode, "DCR") != 0 && strcmp (mode, "CRD") != 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "%s mode '%s' is not supported", node->op_type, mode);
      return FALSE;
    }
  return TRUE;
}

static gboolean
d2s_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
             const RelContext *ctx, GError **error)
{
  int64_t shape6[6], strides6[6], out4[4];
  g_autoptr(RelTensor) y6 = NULL;

  if (!d2s_layout (node, inputs[0], shape6, strides6, out4, error))
    return FALSE;
  y6 = rel_tensor_new (inputs[0]->dtype, 6, shape6, error);
  if (y6 == NULL)
    return FALSE;
  strided_walk (inputs[0], y6, 0, strides6, FALSE);
  outputs[0] = rel_tensor_view (y6, 4, out4, error);
  return outputs[0] != NULL;
}

static gboolean
d2s_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
              const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
              const RelContext *ctx, GError **error)
{
  int64_t shape6[6], strides6[6], out4[4];
  g_autoptr(RelTensor) g6 = NULL;

  if (!need[0])
    return TRUE;
  if (!d2s_layout (node, inputs[0], shape6, strides6, out4, error)
      || !check_grad (grad_output, outputs[0], error) || !require_f32 (inputs[0], "the input", error))
    return FALSE;
  g6 = rel_tensor_view ((RelTensor *) grad_output, 6, shape6, error);
  if (g6 == NULL)
    return FALSE;
  grad_inputs[0] = rel_tensor_new_like (inputs[0], error);
  if (grad_inputs[0] == NULL)
    return FALSE;
  strided_walk (grad_inputs[0], g6, 0, strides6, TRUE);
  return TRUE;
}

/* Outputs that depend on the input only through its shape, or are piecewise
 * constant in it (Shape, ConstantOfShape, comparisons, ArgMax, …): the exact
 * VJP is zero. A NULL backward would make the graph engine fail on patterns
 * like Add (x, ConstantOfShape (Shape (x))). */
static gboolean
zero_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
               const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
               const RelContext *ctx, GError **error)
{
  return TRUE;
}

/* ---- the table ---- */

#define SP shape_params_free

const RelOpDef rel_ops_shape[] = {
  { REL_OP_FLATTEN, "Flatten", 1, 1, 1, REL_OP_CLASS_ROUTE, flatten_prepare, flatten_forward, reshape_grad_backward, SP,
    .flags = REL_OP_AFFINE_ANY },
  { REL_OP_RESHAPE, "Reshape", 1, 2, 1, REL_OP_CLASS_ROUTE, reshape_prepare, reshape_forward, reshape_grad_backward, SP,
    .flags = REL_OP_AFFINE_ANY },
  { REL_OP_SQUEEZE, "Squeeze", 1, 2, 1, REL_OP_CLASS_ROUTE, generic_prepare, squeeze_forward, reshape_grad_backward, SP,
    .flags = REL_OP_AFFINE_ANY },
  { REL_OP_UNSQUEEZE, "Unsqueeze", 1, 2, 1, REL_OP_CLASS_ROUTE, generic_prepare, unsqueeze_forward, reshape_grad_backward, SP,
    .flags = REL_OP_AFFINE_ANY },
  { REL_OP_TRANSPOSE, "Transpose", 1, 1, 1, REL_OP_CLASS_ROUTE, generic_prepare, transpose_forward, transpose_backward, SP,
    .flags = REL_OP_AFFINE_ANY },
  { REL_OP_CONCAT, "Concat", 1, REL_OP_MAX_INPUTS, 1, REL_OP_CLASS_ROUTE, concat_prepare, concat_forward, concat_backward, SP,
    .flags = REL_OP_AFFINE_ANY },
  { REL_OP_SLICE, "Slice", 1, 5, 1, REL_OP_CLASS_ROUTE, generic_prepare, slice_forward, slice_backward, SP },
  { REL_OP_GATHER, "Gather", 2, 2, 1, REL_OP_CLASS_ROUTE, generic_prepare, gather_forward, gather_backward, SP },
  { REL_OP_PAD, "Pad", 1, 4, 1, REL_OP_CLASS_ROUTE, pad_prepare, pad_forward, pad_backward, SP,
    .flags = REL_OP_AFFINE_FIRST },
  { REL_OP_EXPAND, "Expand", 2, 2, 1, REL_OP_CLASS_ROUTE, generic_prepare, expand_forward, expand_backward, SP },
  { REL_OP_REDUCE_MEAN, "ReduceMean", 1, 2, 1, REL_OP_CLASS_MIX, generic_prepare, reduce_forward, reduce_backward, SP },
  { REL_OP_REDUCE_SUM, "ReduceSum", 1, 2, 1, REL_OP_CLASS_MIX, generic_prepare, reduce_forward, reduce_backward, SP },
  { REL_OP_REDUCE_MAX, "ReduceMax", 1, 2, 1, REL_OP_CLASS_ROUTE, generic_prepare, reduce_forward, reduce_backward, SP },
  { REL_OP_REDUCE_MIN, "ReduceMin", 1, 2, 1, REL_OP_CLASS_ROUTE, generic_prepare, reduce_forward, reduce_backward, SP },
  { REL_OP_REDUCE_PROD, "ReduceProd", 1, 2, 1, REL_OP_CLASS_OTHER, generic_prepare, reduce_forward, reduce_backward, SP },
  { REL_OP_REDUCE_L1, "ReduceL1", 1, 2, 1, REL_OP_CLASS_OTHER, generic_prepare, reduce_forward, reduce_backward, SP },
  { REL_OP_REDUCE_L2, "ReduceL2", 1, 2, 1, REL_OP_CLASS_OTHER, generic_prepare, reduce_forward, reduce_backward, SP },
  { REL_OP_REDUCE_SUM_SQUARE, "ReduceSumSquare", 1, 2, 1, REL_OP_CLASS_OTHER, generic_prepare, reduce_forward, reduce_backward, SP },
  { REL_OP_REDUCE_LOG_SUM, "ReduceLogSum", 1, 2, 1, REL_OP_CLASS_OTHER, generic_prepare, reduce_forward, reduce_backward, SP },
  { REL_OP_REDUCE_LOG_SUM_EXP, "ReduceLogSumExp", 1, 2, 1, REL_OP_CLASS_OTHER, generic_prepare, reduce_forward, reduce_backward, SP },
  { REL_OP_CONSTANT, "Constant", 0, 0, 1, REL_OP_CLASS_SHAPE, constant_prepare, constant_forward, NULL, SP },
  { REL_OP_CONSTANT_OF_SHAPE, "ConstantOfShape", 1, 1, 1, REL_OP_CLASS_SHAPE, constant_of_shape_prepare, constant_of_shape_forward, zero_backward, SP },
  { REL_OP_SHAPE, "Shape", 1, 1, 1, REL_OP_CLASS_SHAPE, generic_prepare, shape_forward, zero_backward, SP },
  { REL_OP_ARGMAX, "ArgMax", 1, 1, 1, REL_OP_CLASS_SHAPE, NULL, arg_forward, zero_backward, NULL },
  { REL_OP_ARGMIN, "ArgMin", 1, 1, 1, REL_OP_CLASS_SHAPE, NULL, arg_forward, zero_backward, NULL },
  { REL_OP_RANGE, "Range", 3, 3, 1, REL_OP_CLASS_SHAPE, NULL, range_forward, zero_backward, NULL },
  { REL_OP_TILE, "Tile", 2, 2, 1, REL_OP_CLASS_ROUTE, NULL, tile_forward, tile_backward, NULL },
  { REL_OP_CUMSUM, "CumSum", 2, 2, 1, REL_OP_CLASS_OTHER, NULL, cumsum_forward, cumsum_backward, NULL },
  { REL_OP_TRILU, "Trilu", 1, 2, 1, REL_OP_CLASS_ROUTE, NULL, trilu_forward, trilu_backward, NULL },
  { REL_OP_GATHER_ELEMENTS, "GatherElements", 2, 2, 1, REL_OP_CLASS_ROUTE, NULL, gather_elements_forward, gather_elements_backward, NULL },
  { REL_OP_SCATTER_ND, "ScatterND", 3, 3, 1, REL_OP_CLASS_ROUTE, NULL, scatter_nd_forward, scatter_nd_backward, NULL },
  { REL_OP_DEPTH_TO_SPACE, "DepthToSpace", 1, 1, 1, REL_OP_CLASS_ROUTE, d2s_prepare, d2s_forward, d2s_backward, NULL },
  { REL_OP_SPACE_TO_DEPTH, "SpaceToDepth", 1, 1, 1, REL_OP_CLASS_ROUTE, d2s_prepare, d2s_forward, d2s_backward, NULL },
  { REL_OP_SIZE, "Size", 1, 1, 1, REL_OP_CLASS_SHAPE, NULL, size_forward, zero_backward, NULL },
  /* no backward: the graph engine hands a backward only output 0's gradient */
  { REL_OP_SPLIT, "Split", 1, 2, 8, REL_OP_CLASS_ROUTE, split_prepare, split_forward, NULL, SP, split_backward },
  { REL_OP_CAST, "Cast", 1, 1, 1, REL_OP_CLASS_SHAPE, cast_prepare, cast_forward, cast_backward, SP },
  { REL_OP_COUNT, NULL },
};
REL_OP_TABLE_CHECK (rel_ops_shape, REL_OPS_ELEMENTWISE_END, REL_OPS_SHAPE_END);
