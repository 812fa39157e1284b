/* rel-ops-elementwise.c — arithmetic with numpy broadcasting (Add, Sub, Mul,
 * Div, Pow, Mod, variadic Sum/Mean/Max/Min), activations and other unary
 * maths, Softmax/LogSoftmax/Hardmax, the normalisations that are not
 * BatchNorm (LayerNormalization, InstanceNormalization, LRN), comparisons,
 * logic and Where (bool is int64 0/1), and the identity-like routes
 * (Identity, Dropout at inference).
 *
 * Every forward allocates its output (Identity/Dropout share their input:
 * tensors are immutable once produced); every backward is the exact VJP,
 * with broadcast gradients summed back to the operand's shape. Outputs that
 * are piecewise constant in the input have a zero VJP.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-model.h"
#include "rel-error.h"
#include "rel-broadcast-private.h"
#include "rel-ops-window-private.h"

#include <math.h>
#include <string.h>

/* ---- broadcasting (shared through rel-broadcast-private.h) ---- */

gboolean
rel_broadcast_shape (int na, const int64_t *a, int nb, const int64_t *b,
                     int *nout, int64_t *out, GError **error)
{
  int n = MAX (na, nb);

  for (int i = 0; i < n; i++)
    {
      /* right-aligned: dimension i of the output is a's (i - (n - na)) */
      int ia = i - (n - na), ib = i - (n - nb);
      int64_t da = ia >= 0 ? a[ia] : 1;
      int64_t db = ib >= 0 ? b[ib] : 1;

      if (da == db || db == 1)
        out[i] = da;
      else if (da == 1)
        out[i] = db;
      else
        {
          g_autofree char *sa = rel_shape_to_string (na, a);
          g_autofree char *sb = rel_shape_to_string (nb, b);
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "cannot broadcast %s with %s", sa, sb);
          return FALSE;
        }
    }
  *nout = n;
  return TRUE;
}

void
rel_broadcast_strides (int nd, const int64_t *shape, int nout, const int64_t *out_shape,
                       int64_t *strides)
{
  int64_t s = 1;

  for (int i = nout - 1; i >= 0; i--)
    {
      int k = i - (nout - nd);
      if (k < 0 || (shape[k] == 1 && out_shape[i] != 1))
        strides[i] = 0;
      else
        strides[i] = s;
      if (k >= 0)
        s *= shape[k];
    }
}

/* Rows of the last dimension: the offset of row @row in an operand with
 * @strides over index space @shape (nd >= 1). */
static inline int64_t
row_offset (int nd, const int64_t *shape, int64_t row, const int64_t *strides)
{
  int64_t off = 0;

  for (int d = nd - 2; d >= 0; d--)
    {
      int64_t i = row % shape[d];
      row /= shape[d];
      off += i * strides[d];
    }
  return off;
}

/* A scalar index space is walked as one row of one element. */
static void
normalize_space (int *nd, int64_t *shape, int64_t *s0, int64_t *s1)
{
  if (*nd == 0)
    {
      *nd = 1;
      shape[0] = 1;
      if (s0)
        s0[0] = 0;
      if (s1)
        s1[0] = 0;
    }
}

static gboolean
check_broadcastable_to (const RelTensor *t, int nout, const int64_t *out_shape, GError **error)
{
  gboolean ok = t->ndim <= nout;

  for (int i = 0; ok && i < t->ndim; i++)
    {
      int64_t d = t->shape[t->ndim - 1 - i], o = out_shape[nout - 1 - i];
      if (d != o && d != 1)
        ok = FALSE;
    }
  if (!ok)
    {
      g_autofree char *a = rel_tensor_shape_string (t);
      g_autofree char *b = rel_shape_to_string (nout, out_shape);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "cannot broadcast %s to %s", a, b);
    }
  return ok;
}

RelTensor *
rel_broadcast_to (const RelTensor *src, int nout, const int64_t *out_shape, GError **error)
{
  int64_t shape[REL_MAX_DIMS], st[REL_MAX_DIMS];
  RelTensor *dst;
  int nd = nout;
  int64_t inner, rows;

  if (!check_broadcastable_to (src, nout, out_shape, error))
    return NULL;
  dst = rel_tensor_new (src->dtype, nout, out_shape, error);
  if (dst == NULL || dst->numel == 0)
    return dst;
  if (src->numel == dst->numel)
    {
      /* nothing to stretch: the same elements in the same order */
      memcpy (dst->data, src->data, (size_t) dst->numel * (src->dtype == REL_DTYPE_INT64 ? 8 : 4));
      return dst;
    }
  memcpy (shape, out_shape, sizeof (int64_t) * nout);
  rel_broadcast_strides (src->ndim, src->shape, nout, out_shape, st);
  normalize_space (&nd, shape, st, NULL);
  inner = shape[nd - 1];
  rows = dst->numel / inner;
  for (int64_t r = 0; r < rows; r++)
    {
      int64_t off = row_offset (nd, shape, r, st), s = st[nd - 1];
      if (src->dtype == REL_DTYPE_FLOAT32)
        {
          const float *x = rel_tensor_f32 (src) + off;
          float *y = rel_tensor_f32 (dst) + r * inner;
          for (int64_t j = 0; j < inner; j++)
            y[j] = x[j * s];
        }
      else
        {
          const int64_t *x = rel_tensor_i64 (src) + off;
          int64_t *y = rel_tensor_i64 (dst) + r * inner;
          for (int64_t j = 0; j < inner; j++)
            y[j] = x[j * s];
        }
    }
  return dst;
}

RelTensor *
rel_broadcast_reduce (const float *grad, int nout, const int64_t *out_shape,
                      const RelTensor *like, GError **error)
{
  int64_t shape[REL_MAX_DIMS], st[REL_MAX_DIMS], numel = 1;
  RelTensor *dst;
  float *d;
  int nd = nout;
  int64_t inner, rows;

  if (!check_broadcastable_to (like, nout, out_shape, error))
    return NULL;
  dst = rel_tensor_new (REL_DTYPE_FLOAT32, like->ndim, like->shape, error);
  if (dst == NULL)
    return NULL;
  for (int i = 0; i < nout; i++)
    numel *= out_shape[i];
  if (numel == 0)
    return dst;
  if (numel == dst->numel)
    {
      /* no broadcast dimension to sum over */
      memcpy (dst->data, grad, (size_t) numel * sizeof (float));
      return dst;
    }
  memcpy (shape, out_shape, sizeof (int64_t) * nout);
  rel_broadcast_strides (like->ndim, like->shape, nout, out_shape, st);
  normalize_space (&nd, shape, st, NULL);
  inner = shape[nd - 1];
  rows = numel / inner;
  d = rel_tensor_f32 (dst);
  for (int64_t r = 0; r < rows; r++)
    {
      int64_t off = row_offset (nd, shape, r, st), s = st[nd - 1];
      const float *g = grad + r * inner;
      if (s == 0)
        {
          /* the broadcast innermost dimension: accumulate in double for long rows */
          double acc = 0;
          for (int64_t j = 0; j < inner; j++)
            acc += g[j];
          d[off] += (float) acc;
        }
      else
        for (int64_t j = 0; j < inner; j++)
          d[off + j * s] += g[j];
    }
  return dst;
}

/* ---- helpers ---- */

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

static gboolean
require_same_shape (const RelTensor *g, const RelTensor *x, GError **error)
{
  if (!rel_tensor_same_shape (g, x) || g->dtype != REL_DTYPE_FLOAT32)
    {
      g_autofree char *a = rel_tensor_shape_string (g);
      g_autofree char *b = rel_tensor_shape_string (x);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "the output gradient %s does not match the output %s", a, b);
      return FALSE;
    }
  return TRUE;
}

/* Reads a one-element tensor input (Clip's min/max) as float. */
static gboolean
scalar_input (const RelTensor *t, const char *what, float *out, GError **error)
{
  if (t->numel != 1)
    {
      g_autofree char *s = rel_tensor_shape_string (t);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s must be a scalar, got shape %s", what, s);
      return FALSE;
    }
  *out = t->dtype == REL_DTYPE_FLOAT32 ? rel_tensor_f32 (t)[0] : (float) rel_tensor_i64 (t)[0];
  return TRUE;
}

/* ---- binary arithmetic: Add, Sub, Mul, Div ---- */

/* ReLU and same-shape Add/Sub/Mul, the elementwise work of a CNN pass, run
 * split over the threads into an unzeroed output: they are pure memory
 * streams, and a second core's bandwidth nearly halves them. */
typedef enum { STREAM_RELU, STREAM_RELU_GRAD, STREAM_ADD, STREAM_SUB, STREAM_MUL } StreamKind;

typedef struct {
  StreamKind   kind;
  const float *a, *b;
  float       *y;
  int64_t      n;
} StreamJob;

REL_HOT_CLONES static void
stream_part (int part, int n_parts, gpointer data)
{
  const StreamJob *j = data;
  const float *restrict a = j->a, *restrict b = j->b;
  float *restrict y = j->y;
  int64_t i0, i1;

  rel_part_range (j->n, part, n_parts, &i0, &i1);
  switch (j->kind)
    {
    case STREAM_RELU:
      for (int64_t i = i0; i < i1; i++)
        y[i] = a[i] > 0 ? a[i] : 0;
      break;
    case STREAM_RELU_GRAD:  /* a = x, b = dy; dy read unconditionally: a blend */
      for (int64_t i = i0; i < i1; i++)
        {
          float g = b[i];
          y[i] = a[i] > 0 ? g : 0.0f;
        }
      break;
    case STREAM_ADD:
      for (int64_t i = i0; i < i1; i++)
        y[i] = a[i] + b[i];
      break;
    case STREAM_SUB:
      for (int64_t i = i0; i < i1; i++)
        y[i] = a[i] - b[i];
      break;
    case STREAM_MUL:
      for (int64_t i = i0; i < i1; i++)
        y[i] = a[i] * b[i];
      break;
    }
}

/* A new tensor shaped like @like holding kind (a, b); NULL with @error. */
static RelTensor *
stream_run (StreamKind kind, const RelTensor *like, const float *a, const float *b, const RelContext *ctx,
            GError **error)
{
  RelTensor *y = rel_tensor_new_like_uninit (like, error);
  StreamJob job = { kind, a, b, NULL, like->numel };

  if (y == NULL)
    return NULL;
  job.y = rel_tensor_f32 (y);
  /* a dispatch costs microseconds; split from 256 K elements on */
  rel_parallel_run (ctx ? ctx->n_threads : 1, like->numel * 4, stream_part, &job);
  return y;
}

typedef enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV } BinKind;

typedef struct {
  BinKind kind;
  gboolean legacy;      /* opset < 7 with broadcast = 1 and an axis: B is aligned at legacy_axis */
  int64_t  legacy_axis;
} BinParams;

static gboolean
bin_prepare (RelModel *model, RelNode *node, BinKind kind)
{
  BinParams *p = g_new0 (BinParams, 1);
  p->kind = kind;
  /* Before opset 7, B broadcast to A only with broadcast = 1, and 'axis'
   * put B's first dimension at A's axis (a Caffe2 bias of shape [C] on NCHW
   * data has axis = 1); numpy's rules align it at the end instead. */
  p->legacy = model != NULL && model->opset > 0 && model->opset < 7
              && rel_node_attr_int (node, "broadcast", 0) == 1 && rel_node_attr (node, "axis") != NULL;
  p->legacy_axis = rel_node_attr_int (node, "axis", 0);
  node->params = p;
  return TRUE;
}

/* A legacy-broadcast B as a view whose trailing ones align it at the axis
 * (*view NULL when B needs none); FALSE with @error if it cannot align. */
static gboolean
legacy_b (const RelNode *node, const RelTensor *a, const RelTensor *b, RelTensor **view, GError **error)
{
  const BinParams *p = node->params;
  int64_t axis, shape[REL_MAX_DIMS];
  int ndim;

  *view = NULL;
  if (p == NULL || !p->legacy)
    return TRUE;
  axis = p->legacy_axis < 0 ? p->legacy_axis + a->ndim : p->legacy_axis;
  if (axis < 0 || axis + b->ndim > a->ndim)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "legacy broadcast: a %d-D second operand does not fit at axis %" G_GINT64_FORMAT " of a %d-D first",
                   b->ndim, p->legacy_axis, a->ndim);
      return FALSE;
    }
  ndim = (int) (a->ndim - axis);
  if (ndim == b->ndim)
    return TRUE;
  for (int i = 0; i < ndim; i++)
    shape[i] = i < b->ndim ? b->shape[i] : 1;
  *view = rel_tensor_view ((RelTensor *) b, ndim, shape, error);
  return *view != NULL;
}

static gboolean add_prepare (RelModel *m, RelNode *n, GError **e) { return bin_prepare (m, n, BIN_ADD); }
static gboolean sub_prepare (RelModel *m, RelNode *n, GError **e) { return bin_prepare (m, n, BIN_SUB); }
static gboolean mul_prepare (RelModel *m, RelNode *n, GError **e) { return bin_prepare (m, n, BIN_MUL); }
static gboolean div_prepare (RelModel *m, RelNode *n, GError **e) { return bin_prepare (m, n, BIN_DIV); }

static BinKind
bin_kind (const RelNode *node)
{
  if (node->params)
    return ((const BinParams *) node->params)->kind;
  /* a node built by hand without prepare */
  if (strcmp (node->op_type, "Sub") == 0)
    return BIN_SUB;
  if (strcmp (node->op_type, "Mul") == 0)
    return BIN_MUL;
  if (strcmp (node->op_type, "Div") == 0)
    return BIN_DIV;
  return BIN_ADD;
}

/* U is the type the arithmetic runs in: unsigned for int64 so overflow wraps
 * instead of being undefined (a hostile model can ask for any product). */
#define BIN_ROWS(T, U, GET)                                                     \
  for (int64_t r = 0; r < rows; r++)                                            \
    {                                                                           \
      const T *pa = GET (a) + row_offset (nd, shape, r, sa);                    \
      const T *pb = GET (b) + row_offset (nd, shape, r, sb);                    \
      T *py = GET (y) + r * inner;                                              \
      int64_t ka = sa[nd - 1], kb = sb[nd - 1];                                 \
      switch (kind)                                                             \
        {                                                                       \
        case BIN_ADD: for (int64_t j = 0; j < inner; j++) py[j] = (T) ((U) pa[j * ka] + (U) pb[j * kb]); break; \
        case BIN_SUB: for (int64_t j = 0; j < inner; j++) py[j] = (T) ((U) pa[j * ka] - (U) pb[j * kb]); break; \
        case BIN_MUL: for (int64_t j = 0; j < inner; j++) py[j] = (T) ((U) pa[j * ka] * (U) pb[j * kb]); break; \
        case BIN_DIV: DIV_ROW; break;                                           \
        }                                                                       \
    }

static gboolean
bin_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
             const RelContext *ctx, GError **error)
{
  const RelTensor *a = inputs[0], *b = inputs[1];
  BinKind kind = bin_kind (node);
  int64_t shape[REL_MAX_DIMS], sa[REL_MAX_DIMS], sb[REL_MAX_DIMS];
  int nd;
  int64_t inner, rows;
  RelTensor *y;
  g_autoptr(RelTensor) b_view = NULL;

  if (a->dtype != b->dtype)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "operands have different types (%s and %s)",
                   rel_dtype_name (a->dtype), rel_dtype_name (b->dtype));
      return FALSE;
    }
  if (!legacy_b (node, a, b, &b_view, error))
    return FALSE;
  if (b_view)
    b = b_view;
  if (a->dtype == REL_DTYPE_FLOAT32 && kind != BIN_DIV && rel_tensor_same_shape (a, b) && a->numel > 0)
    {
      StreamKind sk = kind == BIN_ADD ? STREAM_ADD : kind == BIN_SUB ? STREAM_SUB : STREAM_MUL;
      return (outputs[0] = stream_run (sk, a, rel_tensor_f32 (a), rel_tensor_f32 (b), ctx, error)) != NULL;
    }
  if (!rel_broadcast_shape (a->ndim, a->shape, b->ndim, b->shape, &nd, shape, error))
    return FALSE;
  y = rel_tensor_new (a->dtype, nd, shape, error);
  if (y == NULL)
    return FALSE;
  if (y->numel == 0)
    {
      outputs[0] = y;
      return TRUE;
    }
  rel_broadcast_strides (a->ndim, a->shape, nd, shape, sa);
  rel_broadcast_strides (b->ndim, b->shape, nd, shape, sb);
  normalize_space (&nd, shape, sa, sb);
  inner = shape[nd - 1];
  rows = y->numel / inner;
  if (a->dtype == REL_DTYPE_FLOAT32)
    {
#define DIV_ROW for (int64_t j = 0; j < inner; j++) py[j] = pa[j * ka] / pb[j * kb]
      BIN_ROWS (float, float, rel_tensor_f32)
#undef DIV_ROW
    }
  else
    {
      gboolean div_zero = FALSE;
      /* integer division truncates like C (shape arithmetic only divides exactly) */
#define DIV_ROW                                                         \
      for (int64_t j = 0; j < inner; j++)                               \
        {                                                               \
          int64_t d = pb[j * kb];                                       \
          if (d == 0 || (d == -1 && pa[j * ka] == INT64_MIN))           \
            {                                                           \
              div_zero = TRUE;                                          \
              py[j] = 0;                                                \
            }                                                           \
          else                                                          \
            py[j] = pa[j * ka] / d;                                     \
        }
      BIN_ROWS (int64_t, uint64_t, rel_tensor_i64)
#undef DIV_ROW
      if (div_zero)
        {
          rel_tensor_unref (y);
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "integer division by zero");
          return FALSE;
        }
    }
  outputs[0] = y;
  return TRUE;
}

static gboolean bin_backward_aligned (const RelNode *node, const RelTensor *a, const RelTensor *b,
                                      const RelTensor *y, const RelTensor *grad_output,
                                      RelTensor **grad_inputs, const gboolean *need, GError **error);

static gboolean
bin_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
              const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
              const RelContext *ctx, GError **error)
{
  const RelTensor *a = inputs[0], *b = inputs[1], *y = outputs[0];
  g_autoptr(RelTensor) b_view = NULL;

  if (!require_f32 (a, "the first operand", error) || !require_f32 (b, "the second operand", error)
      || !require_same_shape (grad_output, y, error))
    return FALSE;
  if (!legacy_b (node, a, b, &b_view, error))
    return FALSE;
  if (b_view)
    {
      /* B's cotangent comes out in the aligned shape: hand it back in B's own */
      gboolean ok = bin_backward_aligned (node, a, b_view, y, grad_output, grad_inputs, need, error);
      if (ok && grad_inputs[1])
        {
          RelTensor *g1 = rel_tensor_view (grad_inputs[1], b->ndim, b->shape, error);
          rel_tensor_unref (grad_inputs[1]);
          grad_inputs[1] = g1;
          ok = g1 != NULL;
        }
      return ok;
    }
  return bin_backward_aligned (node, a, b, y, grad_output, grad_inputs, need, error);
}

/* bin_backward once B is aligned with A */
static gboolean
bin_backward_aligned (const RelNode *node, const RelTensor *a, const RelTensor *b, const RelTensor *y,
                      const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                      GError **error)
{
  BinKind kind = bin_kind (node);
  const float *g = rel_tensor_f32 (grad_output);
  int nd = y->ndim;

  if (kind == BIN_ADD || kind == BIN_SUB)
    {
      if (need[0] && !(grad_inputs[0] = rel_broadcast_reduce (g, nd, y->shape, a, error)))
        return FALSE;
      if (need[1])
        {
          if (!(grad_inputs[1] = rel_broadcast_reduce (g, nd, y->shape, b, error)))
            return FALSE;
          if (kind == BIN_SUB)
            {
              float *d = rel_tensor_f32 (grad_inputs[1]);
              for (int64_t i = 0; i < grad_inputs[1]->numel; i++)
                d[i] = -d[i];
            }
        }
      return TRUE;
    }

  /* Mul and Div: form the full-size product, then sum it back */
  {
    /* an operand already of the output's size is used as it is */
    g_autoptr(RelTensor) ab = a->numel == y->numel ? rel_tensor_ref ((RelTensor *) a)
                                                   : rel_broadcast_to (a, nd, y->shape, error);
    g_autoptr(RelTensor) bb = ab == NULL ? NULL : b->numel == y->numel ? rel_tensor_ref ((RelTensor *) b)
                                                                       : rel_broadcast_to (b, nd, y->shape, error);
    const float *restrict pa, *restrict pb;

    if (bb == NULL)
      return FALSE;
    pa = rel_tensor_f32 (ab);
    pb = rel_tensor_f32 (bb);
    for (int k = 0; k < 2; k++)
      {
        g_autoptr(RelTensor) tmp = NULL;
        float *restrict t;

        if (!need[k])
          continue;
        tmp = rel_tensor_new_like (y, error);
        if (tmp == NULL)
          return FALSE;
        t = rel_tensor_f32 (tmp);
        if (kind == BIN_MUL)
          {
            const float *restrict o = k == 0 ? pb : pa;
            for (int64_t i = 0; i < tmp->numel; i++)
              t[i] = g[i] * o[i];
          }
        else if (k == 0)
          for (int64_t i = 0; i < tmp->numel; i++)
            t[i] = g[i] / pb[i];
        else
          for (int64_t i = 0; i < tmp->numel; i++)
            t[i] = -g[i] * pa[i] / (pb[i] * pb[i]);
        /* an operand of the output's size takes the product as it is */
        if ((k == 0 ? a : b)->numel == tmp->numel && (k == 0 ? a : b)->ndim == tmp->ndim)
          grad_inputs[k] = g_steal_pointer (&tmp);
        else
          grad_inputs[k] = rel_broadcast_reduce (t, nd, y->shape, k == 0 ? a : b, error);
        if (grad_inputs[k] == NULL)
          return FALSE;
      }
  }
  return TRUE;
}

/* ---- unary activations ---- */

typedef enum {
  UN_RELU, UN_LEAKY_RELU, UN_ELU, UN_SIGMOID, UN_HARD_SIGMOID, UN_HARD_SWISH, UN_TANH,
  UN_EXP, UN_LOG, UN_SQRT, UN_NEG, UN_ABS, UN_CLIP, UN_SOFTPLUS, UN_RECIPROCAL,
  UN_SELU, UN_CELU, UN_THRESHOLDED_RELU, UN_SOFTSIGN, UN_ERF, UN_FLOOR, UN_CEIL, UN_ROUND, UN_SIGN,
  UN_SIN, UN_COS, UN_TAN, UN_ASIN, UN_ACOS, UN_ATAN, UN_SINH, UN_COSH, UN_ASINH, UN_ACOSH, UN_ATANH,
  UN_GELU,
  UN_COUNT
} UnKind;

typedef struct {
  UnKind kind;
  float  alpha, beta;
  float  min, max;      /* Clip bounds from attributes (opset < 11) */
} UnParams;

static gboolean
un_prepare (RelNode *node, UnKind kind, float alpha, float beta, GError **error)
{
  UnParams *p = g_new0 (UnParams, 1);

  p->kind = kind;
  p->alpha = rel_node_attr_float (node, "alpha", alpha);
  /* Selu calls its second parameter gamma */
  p->beta = rel_node_attr_float (node, kind == UN_SELU ? "gamma" : "beta", beta);
  p->min = rel_node_attr_float (node, "min", -INFINITY);
  p->max = rel_node_attr_float (node, "max", INFINITY);
  if (!isfinite (p->alpha) || !isfinite (p->beta) || isnan (p->min) || isnan (p->max))
    {
      g_free (p);
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "non-finite attribute value");
      return FALSE;
    }
  node->params = p;
  return TRUE;
}

#define UN_PREPARE(fn, kind, alpha, beta)                                 \
  static gboolean fn (RelModel *m, RelNode *n, GError **e)                \
  { return un_prepare (n, kind, alpha, beta, e); }

UN_PREPARE (relu_prepare, UN_RELU, 0, 0)
UN_PREPARE (leaky_relu_prepare, UN_LEAKY_RELU, 0.01f, 0)
UN_PREPARE (elu_prepare, UN_ELU, 1.0f, 0)
UN_PREPARE (sigmoid_prepare, UN_SIGMOID, 0, 0)
UN_PREPARE (hard_sigmoid_prepare, UN_HARD_SIGMOID, 0.2f, 0.5f)
UN_PREPARE (hard_swish_prepare, UN_HARD_SWISH, 0, 0)
UN_PREPARE (tanh_prepare, UN_TANH, 0, 0)
UN_PREPARE (exp_prepare, UN_EXP, 0, 0)
UN_PREPARE (log_prepare, UN_LOG, 0, 0)
UN_PREPARE (sqrt_prepare, UN_SQRT, 0, 0)
UN_PREPARE (neg_prepare, UN_NEG, 0, 0)
UN_PREPARE (abs_prepare, UN_ABS, 0, 0)
UN_PREPARE (clip_prepare, UN_CLIP, 0, 0)
UN_PREPARE (softplus_prepare, UN_SOFTPLUS, 0, 0)
UN_PREPARE (reciprocal_prepare, UN_RECIPROCAL, 0, 0)
UN_PREPARE (selu_prepare, UN_SELU, 1.67326319217681884765625f, 1.05070102214813232421875f)
UN_PREPARE (celu_prepare, UN_CELU, 1.0f, 0)
UN_PREPARE (thresholded_relu_prepare, UN_THRESHOLDED_RELU, 1.0f, 0)
UN_PREPARE (softsign_prepare, UN_SOFTSIGN, 0, 0)
UN_PREPARE (erf_prepare, UN_ERF, 0, 0)
UN_PREPARE (floor_prepare, UN_FLOOR, 0, 0)
UN_PREPARE (ceil_prepare, UN_CEIL, 0, 0)
UN_PREPARE (round_prepare, UN_ROUND, 0, 0)
UN_PREPARE (sign_prepare, UN_SIGN, 0, 0)
UN_PREPARE (sin_prepare, UN_SIN, 0, 0)
UN_PREPARE (cos_prepare, UN_COS, 0, 0)
UN_PREPARE (tan_prepare, UN_TAN, 0, 0)
UN_PREPARE (asin_prepare, UN_ASIN, 0, 0)
UN_PREPARE (acos_prepare, UN_ACOS, 0, 0)
UN_PREPARE (atan_prepare, UN_ATAN, 0, 0)
UN_PREPARE (sinh_prepare, UN_SINH, 0, 0)
UN_PREPARE (cosh_prepare, UN_COSH, 0, 0)
UN_PREPARE (asinh_prepare, UN_ASINH, 0, 0)
UN_PREPARE (acosh_prepare, UN_ACOSH, 0, 0)
UN_PREPARE (atanh_prepare, UN_ATANH, 0, 0)

/* Gelu (opset 20): x·Φ(x), or its tanh approximation; alpha = 1 marks "tanh" */
static gboolean
gelu_prepare (RelModel *m, RelNode *n, GError **e)
{
  const char *approx = rel_node_attr_string (n, "approximate", "none");

  if (strcmp (approx, "none") != 0 && strcmp (approx, "tanh") != 0)
    {
      g_set_error (e, REL_ERROR, REL_ERROR_UNSUPPORTED, "Gelu approximation '%s' is not supported", approx);
      return FALSE;
    }
  if (!un_prepare (n, UN_GELU, 0, 0, e))
    return FALSE;
  ((UnParams *) n->params)->alpha = strcmp (approx, "tanh") == 0;
  return TRUE;
}

static gboolean
un_params (const RelNode *node, const UnParams **p, GError **error)
{
  *p = node->params;
  if (*p == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "node '%s' was not prepared", node->name);
      return FALSE;
    }
  return TRUE;
}

/* Clip's effective bounds: inputs (opset >= 11) win over attributes. */
static gboolean
clip_bounds (const UnParams *p, RelTensor *const *inputs, int n_inputs, float *lo, float *hi,
             GError **error)
{
  *lo = p->min;
  *hi = p->max;
  if (n_inputs > 1 && inputs[1] && !scalar_input (inputs[1], "Clip's min", lo, error))
    return FALSE;
  if (n_inputs > 2 && inputs[2] && !scalar_input (inputs[2], "Clip's max", hi, error))
    return FALSE;
  return TRUE;
}

/* Per-kind loops: y = f(x) and d = g·f'(x) (which may read y = f(x)). a and b
 * are the op's alpha and beta (Selu's gamma), lo and hi Clip's bounds. Each
 * loop is its own function so it vectorises on its own. */
typedef struct {
  float a, b, lo, hi;
} UnArgs;

typedef void (*UnMapFunc)  (const UnArgs *u, const float *restrict x, float *restrict y, int64_t n);
typedef void (*UnGradFunc) (const UnArgs *u, const float *restrict x, const float *restrict y,
                            const float *restrict g, float *restrict d, int64_t n);

/* y[i] = EXPR, reading x[i] (and a, b, lo, hi) */
#define UN_MAP(fn, EXPR)                                                              \
  static void fn (const UnArgs *u, const float *restrict x, float *restrict y, int64_t n) \
  {                                                                                   \
    const float a = u->a, b = u->b, lo = u->lo, hi = u->hi;                           \
    (void) a; (void) b; (void) lo; (void) hi;                                         \
    for (int64_t i = 0; i < n; i++)                                                   \
      y[i] = (EXPR);                                                                  \
  }
/* d[i] = EXPR, reading x[i], y[i] and g[i]; g[i] is read into gi first so the
 * selects compile to blends, not branches */
#define UN_GRAD(fn, EXPR)                                                             \
  static void fn (const UnArgs *u, const float *restrict x, const float *restrict y,  \
                  const float *restrict g, float *restrict d, int64_t n)              \
  {                                                                                   \
    const float a = u->a, b = u->b, lo = u->lo, hi = u->hi;                           \
    (void) a; (void) b; (void) lo; (void) hi; (void) y;                               \
    for (int64_t i = 0; i < n; i++)                                                   \
      {                                                                               \
        float gi = g[i];                                                              \
        d[i] = (EXPR);                                                                \
      }                                                                               \
  }

/* ternaries rather than fminf/fmaxf, which are library calls without -ffast-math */
static inline float
un_clamp01 (float z)
{
  return z < 0.0f ? 0.0f : z > 1.0f ? 1.0f : z;
}

static inline float
un_gelu (float xf, float a)
{
  double v = xf;
  return (float) (a != 0 ? 0.5 * v * (1.0 + tanh (0.7978845608028654 * (v + 0.044715 * v * v * v)))
                         : 0.5 * v * (1.0 + erf (v * 0.7071067811865476)));
}

static inline float
un_gelu_grad (float xf, float gi, float a)
{
  double v = xf, dy;
  if (a != 0)
    {
      double t = tanh (0.7978845608028654 * (v + 0.044715 * v * v * v));
      dy = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * 0.7978845608028654 * (1.0 + 3 * 0.044715 * v * v);
    }
  else
    dy = 0.5 * (1.0 + erf (v * 0.7071067811865476)) + v * 0.3989422804014327 * exp (-0.5 * v * v);
  return (float) (gi * dy);
}

static inline float
un_softsign_grad (float xi, float gi)
{
  float t = 1.0f + fabsf (xi);
  return gi / (t * t);
}

UN_MAP (relu_f, x[i] > 0 ? x[i] : 0)
UN_GRAD (relu_g, x[i] > 0 ? gi : 0.0f)
UN_MAP (leaky_relu_f, x[i] >= 0 ? x[i] : a * x[i])
UN_GRAD (leaky_relu_g, x[i] >= 0 ? gi : a * gi)
UN_MAP (elu_f, x[i] > 0 ? x[i] : a * expm1f (x[i]))
UN_GRAD (elu_g, x[i] > 0 ? gi : gi * (y[i] + a))
UN_MAP (sigmoid_f, 1.0f / (1.0f + expf (-x[i])))
UN_GRAD (sigmoid_g, gi * y[i] * (1.0f - y[i]))
UN_MAP (hard_sigmoid_f, un_clamp01 (a * x[i] + b))
UN_GRAD (hard_sigmoid_g, a * x[i] + b > 0 && a * x[i] + b < 1 ? a * gi : 0.0f)
UN_MAP (hard_swish_f, x[i] * un_clamp01 (x[i] / 6.0f + 0.5f))
UN_GRAD (hard_swish_g, x[i] <= -3.0f ? 0.0f : x[i] >= 3.0f ? gi : gi * (x[i] / 3.0f + 0.5f))
UN_MAP (tanh_f, tanhf (x[i]))
UN_GRAD (tanh_g, gi * (1.0f - y[i] * y[i]))
UN_MAP (exp_f, expf (x[i]))
UN_GRAD (exp_g, gi * y[i])
UN_MAP (log_f, logf (x[i]))
UN_GRAD (log_g, gi / x[i])
UN_MAP (sqrt_f, sqrtf (x[i]))
UN_GRAD (sqrt_g, gi * 0.5f / y[i])
UN_MAP (neg_f, -x[i])
UN_GRAD (neg_g, -gi)
UN_MAP (abs_f, fabsf (x[i]))
UN_GRAD (abs_g, x[i] > 0 ? gi : x[i] < 0 ? -gi : 0)
UN_MAP (clip_f, x[i] < lo ? lo : x[i] > hi ? hi : x[i])
/* like torch.clamp: the gradient passes where the bounds are not exceeded */
UN_GRAD (clip_g, x[i] >= lo && x[i] <= hi ? gi : 0.0f)
UN_MAP (softplus_f, x[i] > 20.0f ? x[i] : log1pf (expf (x[i])))
UN_GRAD (softplus_g, gi / (1.0f + expf (-x[i])))
UN_MAP (reciprocal_f, 1.0f / x[i])
UN_GRAD (reciprocal_g, -gi * y[i] * y[i])
UN_MAP (selu_f, b * (x[i] > 0 ? x[i] : a * expm1f (x[i])))
UN_GRAD (selu_g, x[i] > 0 ? b * gi : gi * (y[i] + a * b))
UN_MAP (celu_f, x[i] > 0 ? x[i] : a * expm1f (x[i] / a))
UN_GRAD (celu_g, x[i] > 0 ? gi : gi * (y[i] / a + 1.0f))
UN_MAP (thresholded_relu_f, x[i] > a ? x[i] : 0)
UN_GRAD (thresholded_relu_g, x[i] > a ? gi : 0)
UN_MAP (softsign_f, x[i] / (1.0f + fabsf (x[i])))
UN_GRAD (softsign_g, un_softsign_grad (x[i], gi))
UN_MAP (erf_f, erff (x[i]))
UN_GRAD (erf_g, gi * 1.1283791670955126f * expf (-x[i] * x[i]))
UN_MAP (gelu_f, un_gelu (x[i], a))
UN_GRAD (gelu_g, un_gelu_grad (x[i], gi, a))
UN_MAP (floor_f, floorf (x[i]))
UN_MAP (ceil_f, ceilf (x[i]))
/* halves to even, as ONNX specifies (the default rounding mode) */
UN_MAP (round_f, nearbyintf (x[i]))
UN_MAP (sign_f, x[i] > 0 ? 1.0f : x[i] < 0 ? -1.0f : x[i])
UN_MAP (sin_f, sinf (x[i]))
UN_GRAD (sin_g, gi * cosf (x[i]))
UN_MAP (cos_f, cosf (x[i]))
UN_GRAD (cos_g, -gi * sinf (x[i]))
UN_MAP (tan_f, tanf (x[i]))
UN_GRAD (tan_g, gi * (1.0f + y[i] * y[i]))
UN_MAP (asin_f, asinf (x[i]))
UN_GRAD (asin_g, gi / sqrtf (1.0f - x[i] * x[i]))
UN_MAP (acos_f, acosf (x[i]))
UN_GRAD (acos_g, -gi / sqrtf (1.0f - x[i] * x[i]))
UN_MAP (atan_f, atanf (x[i]))
UN_GRAD (atan_g, gi / (1.0f + x[i] * x[i]))
UN_MAP (sinh_f, sinhf (x[i]))
UN_GRAD (sinh_g, gi * coshf (x[i]))
UN_MAP (cosh_f, coshf (x[i]))
UN_GRAD (cosh_g, gi * sinhf (x[i]))
UN_MAP (asinh_f, asinhf (x[i]))
UN_GRAD (asinh_g, gi / sqrtf (x[i] * x[i] + 1.0f))
UN_MAP (acosh_f, acoshf (x[i]))
UN_GRAD (acosh_g, gi / sqrtf (x[i] * x[i] - 1.0f))
UN_MAP (atanh_f, atanhf (x[i]))
UN_GRAD (atanh_g, gi / (1.0f - x[i] * x[i]))

/* One row per UnKind, in its order; a NULL gradient is zero almost everywhere
 * (piecewise constant). */
static const struct {
  UnMapFunc  map;
  UnGradFunc grad;
} un_kernels[] = {
  [UN_RELU] = { relu_f, relu_g },
  [UN_LEAKY_RELU] = { leaky_relu_f, leaky_relu_g },
  [UN_ELU] = { elu_f, elu_g },
  [UN_SIGMOID] = { sigmoid_f, sigmoid_g },
  [UN_HARD_SIGMOID] = { hard_sigmoid_f, hard_sigmoid_g },
  [UN_HARD_SWISH] = { hard_swish_f, hard_swish_g },
  [UN_TANH] = { tanh_f, tanh_g },
  [UN_EXP] = { exp_f, exp_g },
  [UN_LOG] = { log_f, log_g },
  [UN_SQRT] = { sqrt_f, sqrt_g },
  [UN_NEG] = { neg_f, neg_g },
  [UN_ABS] = { abs_f, abs_g },
  [UN_CLIP] = { clip_f, clip_g },
  [UN_SOFTPLUS] = { softplus_f, softplus_g },
  [UN_RECIPROCAL] = { reciprocal_f, reciprocal_g },
  [UN_SELU] = { selu_f, selu_g },
  [UN_CELU] = { celu_f, celu_g },
  [UN_THRESHOLDED_RELU] = { thresholded_relu_f, thresholded_relu_g },
  [UN_SOFTSIGN] = { softsign_f, softsign_g },
  [UN_ERF] = { erf_f, erf_g },
  [UN_FLOOR] = { floor_f, NULL },
  [UN_CEIL] = { ceil_f, NULL },
  [UN_ROUND] = { round_f, NULL },
  [UN_SIGN] = { sign_f, NULL },
  [UN_SIN] = { sin_f, sin_g },
  [UN_COS] = { cos_f, cos_g },
  [UN_TAN] = { tan_f, tan_g },
  [UN_ASIN] = { asin_f, asin_g },
  [UN_ACOS] = { acos_f, acos_g },
  [UN_ATAN] = { atan_f, atan_g },
  [UN_SINH] = { sinh_f, sinh_g },
  [UN_COSH] = { cosh_f, cosh_g },
  [UN_ASINH] = { asinh_f, asinh_g },
  [UN_ACOSH] = { acosh_f, acosh_g },
  [UN_ATANH] = { atanh_f, atanh_g },
  [UN_GELU] = { gelu_f, gelu_g },
};
G_STATIC_ASSERT (G_N_ELEMENTS (un_kernels) == UN_COUNT);

/* Neg and Clip on int64 data: shape arithmetic, and int8/uint8 files that load as int64. */
static gboolean
un_forward_int64 (const UnParams *p, const RelTensor *xt, float lo, float hi, RelTensor **out, GError **error)
{
  RelTensor *yt = rel_tensor_new_like (xt, error);

  if (yt == NULL)
    return FALSE;
  if (p->kind == UN_NEG)
    for (int64_t i = 0; i < xt->numel; i++)
      rel_tensor_i64 (yt)[i] = (int64_t) (0 - (uint64_t) rel_tensor_i64 (xt)[i]);
  else
    {
      /* integer data: bounds compare exactly; NaN or out-of-range bounds do
       * not bound (and must not reach an int cast) */
      int64_t ilo = !(lo > -9.2e18f) ? G_MININT64 : lo > 9.2e18f ? G_MAXINT64 : (int64_t) ceilf (lo);
      int64_t ihi = !(hi < 9.2e18f) ? G_MAXINT64 : hi < -9.2e18f ? G_MININT64 : (int64_t) floorf (hi);
      for (int64_t i = 0; i < xt->numel; i++)
        {
          int64_t v = rel_tensor_i64 (xt)[i];
          rel_tensor_i64 (yt)[i] = v < ilo ? ilo : v > ihi ? ihi : v;
        }
    }
  *out = yt;
  return TRUE;
}

static gboolean
un_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
            const RelContext *ctx, GError **error)
{
  const UnParams *p;
  const RelTensor *xt = inputs[0];
  RelTensor *yt;
  UnArgs u = { 0 };

  if (!un_params (node, &p, error))
    return FALSE;
  if (p->kind == UN_CLIP && !clip_bounds (p, inputs, node->n_inputs, &u.lo, &u.hi, error))
    return FALSE;
  if ((p->kind == UN_NEG || p->kind == UN_CLIP) && xt->dtype == REL_DTYPE_INT64)
    return un_forward_int64 (p, xt, u.lo, u.hi, &outputs[0], error);
  if (!require_f32 (xt, "the input", error))
    return FALSE;
  if (p->kind == UN_RELU)
    return (outputs[0] = stream_run (STREAM_RELU, xt, rel_tensor_f32 (xt), NULL, ctx, error)) != NULL;
  yt = rel_tensor_new_like (xt, error);
  if (yt == NULL)
    return FALSE;
  u.a = p->alpha;
  u.b = p->beta;
  un_kernels[p->kind].map (&u, rel_tensor_f32 (xt), rel_tensor_f32 (yt), xt->numel);
  outputs[0] = yt;
  return TRUE;
}

/* Clip's bounds receive the gradient of the elements they clipped. */
static gboolean
clip_bounds_backward (const RelNode *node, RelTensor *const *inputs, const float *x, const float *g,
                      int64_t n, float lo, float hi, RelTensor **grad_inputs, const gboolean *need,
                      GError **error)
{
  for (int k = 1; k <= 2 && k < node->n_inputs; k++)
    if (need[k] && inputs[k])
      {
        double acc = 0;
        for (int64_t i = 0; i < n; i++)
          if (k == 1 ? x[i] < lo : x[i] > hi)
            acc += g[i];
        grad_inputs[k] = rel_tensor_new_like (inputs[k], error);
        if (grad_inputs[k] == NULL)
          return FALSE;
        rel_tensor_f32 (grad_inputs[k])[0] = (float) acc;
      }
  return TRUE;
}

static gboolean
un_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
             const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
             const RelContext *ctx, GError **error)
{
  const UnParams *p;
  const RelTensor *xt = inputs[0];
  RelTensor *gt;
  const float *x, *g;
  UnArgs u = { 0 };

  if (!un_params (node, &p, error))
    return FALSE;
  if (!require_f32 (xt, "the input", error) || !require_same_shape (grad_output, outputs[0], error)
      || !require_same_shape (grad_output, xt, error))
    return FALSE;
  if (p->kind == UN_CLIP && !clip_bounds (p, inputs, node->n_inputs, &u.lo, &u.hi, error))
    return FALSE;
  x = rel_tensor_f32 (xt);
  g = rel_tensor_f32 (grad_output);
  if (p->kind == UN_CLIP
      && !clip_bounds_backward (node, inputs, x, g, xt->numel, u.lo, u.hi, grad_inputs, need, error))
    return FALSE;
  if (!need[0])
    return TRUE;
  if (p->kind == UN_RELU)
    return (grad_inputs[0] = stream_run (STREAM_RELU_GRAD, xt, x, g, ctx, error)) != NULL;
  gt = rel_tensor_new_like (xt, error);
  if (gt == NULL)
    return FALSE;
  u.a = p->alpha;
  u.b = p->beta;
  if (un_kernels[p->kind].grad)
    un_kernels[p->kind].grad (&u, x, rel_tensor_f32 (outputs[0]), g, rel_tensor_f32 (gt), xt->numel);
  grad_inputs[0] = gt;
  return TRUE;
}

/* ---- PRelu: y = x for x >= 0, slope·x otherwise; slope broadcasts to x ---- */

static gboolean
prelu_slope (const RelTensor *x, const RelTensor *slope, RelTensor **out, GError **error)
{
  if (!require_f32 (x, "the input", error) || !require_f32 (slope, "the slope", error))
    return FALSE;
  /* opset < 7 files store a per-channel slope [C] for NCHW input */
  if (slope->ndim == 1 && x->ndim >= 3 && slope->shape[0] == x->shape[1] && slope->shape[0] != x->shape[x->ndim - 1])
    {
      int64_t shape[REL_MAX_DIMS];
      g_autoptr(RelTensor) v = NULL;
      shape[0] = slope->shape[0];
      for (int i = 1; i < x->ndim - 1; i++)
        shape[i] = 1;
      v = rel_tensor_view ((RelTensor *) slope, x->ndim - 1, shape, error);
      if (v == NULL)
        return FALSE;
      *out = rel_broadcast_to (v, x->ndim, x->shape, error);
    }
  else
    *out = rel_broadcast_to (slope, x->ndim, x->shape, error);
  return *out != NULL;
}

static gboolean
prelu_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
               const RelContext *ctx, GError **error)
{
  g_autoptr(RelTensor) s = NULL;
  RelTensor *y;
  const float *x, *ps;
  float *py;

  if (!prelu_slope (inputs[0], inputs[1], &s, error))
    return FALSE;
  y = rel_tensor_new_like (inputs[0], error);
  if (y == NULL)
    return FALSE;
  x = rel_tensor_f32 (inputs[0]);
  ps = rel_tensor_f32 (s);
  py = rel_tensor_f32 (y);
  for (int64_t i = 0; i < y->numel; i++)
    py[i] = x[i] >= 0 ? x[i] : ps[i] * x[i];
  outputs[0] = y;
  return TRUE;
}

static gboolean
prelu_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                const RelContext *ctx, GError **error)
{
  const RelTensor *xt = inputs[0];
  g_autoptr(RelTensor) s = NULL;
  const float *x, *ps, *g;

  if (!prelu_slope (xt, inputs[1], &s, error) || !require_same_shape (grad_output, xt, error))
    return FALSE;
  x = rel_tensor_f32 (xt);
  ps = rel_tensor_f32 (s);
  g = rel_tensor_f32 (grad_output);
  if (need[0])
    {
      float *d;
      grad_inputs[0] = rel_tensor_new_like (xt, error);
      if (grad_inputs[0] == NULL)
        return FALSE;
      d = rel_tensor_f32 (grad_inputs[0]);
      for (int64_t i = 0; i < xt->numel; i++)
        d[i] = x[i] >= 0 ? g[i] : ps[i] * g[i];
    }
  if (need[1])
    {
      g_autoptr(RelTensor) tmp = rel_tensor_new_like (xt, error);
      g_autoptr(RelTensor) red = NULL;
      float *t;
      if (tmp == NULL)
        return FALSE;
      t = rel_tensor_f32 (tmp);
      for (int64_t i = 0; i < xt->numel; i++)
        t[i] = x[i] >= 0 ? 0 : g[i] * x[i];
      if (inputs[1]->ndim == 1 && xt->ndim >= 3 && inputs[1]->shape[0] == xt->shape[1]
          && inputs[1]->shape[0] != xt->shape[xt->ndim - 1])
        {
          /* the legacy per-channel slope: sum over everything but dim 1 */
          int64_t inner = 1, c = xt->shape[1];
          float *d;
          for (int i = 2; i < xt->ndim; i++)
            inner *= xt->shape[i];
          grad_inputs[1] = rel_tensor_new_like (inputs[1], error);
          if (grad_inputs[1] == NULL)
            return FALSE;
          d = rel_tensor_f32 (grad_inputs[1]);
          for (int64_t i = 0; i < xt->numel; i++)
            d[(i / inner) % c] += t[i];
        }
      else if (!(grad_inputs[1] = rel_broadcast_reduce (t, xt->ndim, xt->shape, inputs[1], error)))
        return FALSE;
    }
  return TRUE;
}

/* ---- Softmax, LogSoftmax ---- */

typedef struct {
  int64_t  axis;
  gboolean legacy;   /* opset < 13: coerce to 2-D at axis, normalise over the flattened tail */
  gboolean log;
} SoftmaxParams;

static gboolean
softmax_prepare_common (RelModel *model, RelNode *node, gboolean log, GError **error)
{
  SoftmaxParams *p = g_new0 (SoftmaxParams, 1);
  /* without a model (a node built by hand) the current semantics apply */
  p->legacy = model != NULL && model->opset > 0 && model->opset < 13;
  p->axis = rel_node_attr_int (node, "axis", p->legacy ? 1 : -1);
  p->log = log;
  node->params = p;
  return TRUE;
}

static gboolean softmax_prepare (RelModel *m, RelNode *n, GError **e) { return softmax_prepare_common (m, n, FALSE, e); }
static gboolean log_softmax_prepare (RelModel *m, RelNode *n, GError **e) { return softmax_prepare_common (m, n, TRUE, e); }

/* The input seen as [outer, len, inner] with the normalisation over len. */
static gboolean
softmax_layout (const RelNode *node, const RelTensor *x, int64_t *outer, int64_t *len,
                int64_t *inner, const SoftmaxParams **pp, GError **error)
{
  const SoftmaxParams *p = node->params;
  int64_t axis;

  if (p == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "node '%s' was not prepared", node->name);
      return FALSE;
    }
  if (!require_f32 (x, "the input", error))
    return FALSE;
  axis = p->axis < 0 ? p->axis + x->ndim : p->axis;
  if (axis < 0 || axis >= MAX (x->ndim, 1))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "axis %" G_GINT64_FORMAT " is out of range for a %d-D input", p->axis, x->ndim);
      return FALSE;
    }
  *outer = *len = *inner = 1;
  for (int i = 0; i < x->ndim; i++)
    {
      if (i < axis)
        *outer *= x->shape[i];
      else if (i == axis || p->legacy)
        *len *= x->shape[i];
      else
        *inner *= x->shape[i];
    }
  *pp = p;
  return TRUE;
}

static gboolean
softmax_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                 const RelContext *ctx, GError **error)
{
  const SoftmaxParams *p;
  int64_t outer, len, inner;
  RelTensor *yt;
  const float *x;
  float *y;

  if (!softmax_layout (node, inputs[0], &outer, &len, &inner, &p, error))
    return FALSE;
  yt = rel_tensor_new_like (inputs[0], error);
  if (yt == NULL)
    return FALSE;
  x = rel_tensor_f32 (inputs[0]);
  y = rel_tensor_f32 (yt);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t in = 0; in < inner; in++)
      {
        const float *px = x + o * len * inner + in;
        float *py = y + o * len * inner + in;
        float m = -INFINITY;
        double sum = 0;
        for (int64_t k = 0; k < len; k++)
          m = fmaxf (m, px[k * inner]);
        for (int64_t k = 0; k < len; k++)
          sum += exp ((double) px[k * inner] - m);
        if (p->log)
          {
            float ls = (float) log (sum);
            for (int64_t k = 0; k < len; k++)
              py[k * inner] = px[k * inner] - m - ls;
          }
        else
          for (int64_t k = 0; k < len; k++)
            py[k * inner] = (float) (exp ((double) px[k * inner] - m) / sum);
      }
  outputs[0] = yt;
  return TRUE;
}

static gboolean
softmax_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                  const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                  const RelContext *ctx, GError **error)
{
  const SoftmaxParams *p;
  int64_t outer, len, inner;
  const float *y, *g;
  float *d;

  if (!need[0])
    return TRUE;
  if (!softmax_layout (node, inputs[0], &outer, &len, &inner, &p, error)
      || !require_same_shape (grad_output, outputs[0], error))
    return FALSE;
  grad_inputs[0] = rel_tensor_new_like (inputs[0], error);
  if (grad_inputs[0] == NULL)
    return FALSE;
  y = rel_tensor_f32 (outputs[0]);
  g = rel_tensor_f32 (grad_output);
  d = rel_tensor_f32 (grad_inputs[0]);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t in = 0; in < inner; in++)
      {
        int64_t base = o * len * inner + in;
        double s = 0;
        if (p->log)
          {
            /* d = g − softmax · Σg */
            for (int64_t k = 0; k < len; k++)
              s += g[base + k * inner];
            for (int64_t k = 0; k < len; k++)
              d[base + k * inner] = g[base + k * inner] - expf (y[base + k * inner]) * (float) s;
          }
        else
          {
            /* d = y ⊙ (g − ⟨g, y⟩) */
            for (int64_t k = 0; k < len; k++)
              s += (double) g[base + k * inner] * y[base + k * inner];
            for (int64_t k = 0; k < len; k++)
              d[base + k * inner] = y[base + k * inner] * (g[base + k * inner] - (float) s);
          }
      }
  return TRUE;
}

/* ---- Identity, Dropout (inference) ---- */

static gboolean
dropout_prepare (RelModel *model, RelNode *node, GError **error)
{
  /* opset < 7 had is_test; opset < 12 had a ratio attribute: both irrelevant at inference */
  if (rel_node_attr_int (node, "is_test", 1) == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "Dropout in training mode is not supported");
      return FALSE;
    }
  return TRUE;
}

static gboolean
identity_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                  const RelContext *ctx, GError **error)
{
  /* tensors are immutable once produced: sharing the input is safe */
  outputs[0] = rel_tensor_ref (inputs[0]);
  return TRUE;
}

static gboolean
dropout_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                 const RelContext *ctx, GError **error)
{
  if (node->n_inputs > 2 && inputs[2])
    {
      const RelTensor *t = inputs[2];
      gboolean training = t->numel > 0 && (t->dtype == REL_DTYPE_FLOAT32 ? rel_tensor_f32 (t)[0] != 0
                                                                          : rel_tensor_i64 (t)[0] != 0);
      /* ratio 0 keeps every element unscaled: training mode is the identity
       * then. torchvision's Swin calls F.dropout(p=0.0) without passing
       * training=False, so its exports carry such nodes. */
      const RelTensor *r = node->n_inputs > 1 ? inputs[1] : NULL;
      gboolean zero_ratio = r && r->numel == 1 && r->dtype == REL_DTYPE_FLOAT32 && rel_tensor_f32 (r)[0] == 0.0f;
      if (training && !zero_ratio)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "Dropout in training mode is not supported");
          return FALSE;
        }
    }
  outputs[0] = rel_tensor_ref (inputs[0]);
  if (node->n_outputs > 1)
    {
      /* the mask (bool in ONNX, int64 here): everything kept */
      outputs[1] = rel_tensor_new (REL_DTYPE_INT64, inputs[0]->ndim, inputs[0]->shape, error);
      if (outputs[1] == NULL)
        return FALSE;
      for (int64_t i = 0; i < outputs[1]->numel; i++)
        rel_tensor_i64 (outputs[1])[i] = 1;
    }
  return TRUE;
}

static gboolean
identity_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                   const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                   const RelContext *ctx, GError **error)
{
  if (!need[0])
    return TRUE;
  if (!require_same_shape (grad_output, inputs[0], error))
    return FALSE;
  grad_inputs[0] = rel_tensor_copy (grad_output, error);
  return grad_inputs[0] != NULL;
}

/* ---- Pow ---- */

static inline double
elem_as_double (const RelTensor *t, int64_t i)
{
  return t->dtype == REL_DTYPE_FLOAT32 ? rel_tensor_f32 (t)[i] : (double) rel_tensor_i64 (t)[i];
}

/* Both operands broadcast to the output shape. */
static gboolean
broadcast_pair (const RelTensor *a, const RelTensor *b, RelTensor **ab, RelTensor **bb,
                int *nd, int64_t *shape, GError **error)
{
  if (!rel_broadcast_shape (a->ndim, a->shape, b->ndim, b->shape, nd, shape, error))
    return FALSE;
  *ab = rel_broadcast_to (a, *nd, shape, error);
  if (*ab == NULL)
    return FALSE;
  *bb = rel_broadcast_to (b, *nd, shape, error);
  if (*bb == NULL)
    {
      g_clear_pointer (ab, rel_tensor_unref);
      return FALSE;
    }
  return TRUE;
}

static gboolean
pow_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
             const RelContext *ctx, GError **error)
{
  g_autoptr(RelTensor) ab = NULL, bb = NULL;
  int64_t shape[REL_MAX_DIMS];
  RelTensor *y;
  int nd;

  if (!broadcast_pair (inputs[0], inputs[1], &ab, &bb, &nd, shape, error))
    return FALSE;
  /* the result has the base's type; an integer exponent is exact in double */
  y = rel_tensor_new (inputs[0]->dtype, nd, shape, error);
  if (y == NULL)
    return FALSE;
  for (int64_t i = 0; i < y->numel; i++)
    {
      double v = pow (elem_as_double (ab, i), elem_as_double (bb, i));
      if (y->dtype == REL_DTYPE_FLOAT32)
        rel_tensor_f32 (y)[i] = (float) v;
      else
        rel_tensor_i64 (y)[i] = isfinite (v) && fabs (v) < 9.2e18 ? (int64_t) llround (v) : 0;
    }
  outputs[0] = y;
  return TRUE;
}

/* ∂y/∂a (k = 0) or ∂y/∂b (k = 1) at one element of a pointwise binary op */
typedef double (*PartialFunc) (int k, double a, double b);

/* The backward of a broadcasting pointwise binary op from its partials:
 * each needed input gets g·∂y/∂input summed back to its shape. Only a float
 * second operand gets a cotangent (an integer exponent is a constant). */
static gboolean
pointwise_backward (RelTensor *const *inputs, const RelTensor *y, const RelTensor *grad_output,
                    RelTensor **grad_inputs, const gboolean *need, PartialFunc partial, GError **error)
{
  g_autoptr(RelTensor) ab = NULL, bb = NULL, tmp = NULL;
  const float *g = rel_tensor_f32 (grad_output);
  int64_t shape[REL_MAX_DIMS];
  int nd;

  if (!require_same_shape (grad_output, y, error)
      || !broadcast_pair (inputs[0], inputs[1], &ab, &bb, &nd, shape, error))
    return FALSE;
  tmp = rel_tensor_new_like (y, error);
  if (tmp == NULL)
    return FALSE;
  for (int k = 0; k < 2; k++)
    {
      float *t = rel_tensor_f32 (tmp);
      if (!need[k] || inputs[k]->dtype != REL_DTYPE_FLOAT32)
        continue;
      for (int64_t i = 0; i < y->numel; i++)
        t[i] = (float) (g[i] * partial (k, elem_as_double (ab, i), elem_as_double (bb, i)));
      grad_inputs[k] = rel_broadcast_reduce (t, nd, shape, inputs[k], error);
      if (grad_inputs[k] == NULL)
        return FALSE;
    }
  return TRUE;
}

/* d/dx x^e = e·x^(e−1); d/de x^e = x^e ln x, defined for x > 0 */
static double
pow_partial (int k, double x, double e)
{
  if (k == 0)
    return e * pow (x, e - 1);
  return x > 0 ? pow (x, e) * log (x) : 0.0;
}

static gboolean
pow_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
              const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
              const RelContext *ctx, GError **error)
{
  return require_f32 (inputs[0], "the base", error)
         && pointwise_backward (inputs, outputs[0], grad_output, grad_inputs, need, pow_partial, error);
}

/* ---- variadic Sum, Mean, Max, Min ---- */

typedef enum { VAR_SUM, VAR_MEAN, VAR_MAX, VAR_MIN } VarKind;

static VarKind
var_kind (const RelNode *node)
{
  if (strcmp (node->op_type, "Mean") == 0)
    return VAR_MEAN;
  if (strcmp (node->op_type, "Max") == 0)
    return VAR_MAX;
  if (strcmp (node->op_type, "Min") == 0)
    return VAR_MIN;
  return VAR_SUM;
}

/* Every operand broadcast to the common shape (new tensors in @full). */
static gboolean
var_broadcast (const RelNode *node, RelTensor *const *inputs, RelTensor **full, int *nd,
               int64_t *shape, GError **error)
{
  int n = node->n_inputs;

  *nd = 0;
  for (int k = 0; k < n; k++)
    {
      int64_t s[REL_MAX_DIMS];
      int ns;
      if (inputs[k] == NULL)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "input %d is missing", k);
          return FALSE;
        }
      if (inputs[k]->dtype != inputs[0]->dtype)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "operands have different types");
          return FALSE;
        }
      if (!rel_broadcast_shape (*nd, shape, inputs[k]->ndim, inputs[k]->shape, &ns, s, error))
        return FALSE;
      *nd = ns;
      memcpy (shape, s, sizeof s);
    }
  for (int k = 0; k < n; k++)
    {
      full[k] = rel_broadcast_to (inputs[k], *nd, shape, error);
      if (full[k] == NULL)
        return FALSE;
    }
  return TRUE;
}

static void
unref_all (RelTensor **t, int n)
{
  for (int k = 0; k < n; k++)
    g_clear_pointer (&t[k], rel_tensor_unref);
}

static gboolean
var_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
             const RelContext *ctx, GError **error)
{
  int64_t shape[REL_MAX_DIMS];
  VarKind kind = var_kind (node);
  int n = node->n_inputs, nd;
  g_autofree RelTensor **full = g_new0 (RelTensor *, MAX (n, 1));
  RelTensor *y;

  if (n < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "no operands");
      return FALSE;
    }
  if (!var_broadcast (node, inputs, full, &nd, shape, error)
      || !(y = rel_tensor_new (inputs[0]->dtype, nd, shape, error)))
    {
      unref_all (full, n);
      return FALSE;
    }
  for (int64_t i = 0; i < y->numel; i++)
    {
      double acc = elem_as_double (full[0], i);
      for (int k = 1; k < n; k++)
        {
          double v = elem_as_double (full[k], i);
          if (kind == VAR_MAX)
            acc = v > acc || isnan (v) ? v : acc;
          else if (kind == VAR_MIN)
            acc = v < acc || isnan (v) ? v : acc;
          else
            acc += v;
        }
      if (kind == VAR_MEAN)
        acc /= n;
      if (y->dtype == REL_DTYPE_FLOAT32)
        rel_tensor_f32 (y)[i] = (float) acc;
      else
        /* int64 Sum/Max/Min of exact int64 values; doubles are exact to 2^53 */
        rel_tensor_i64 (y)[i] = isfinite (acc) && fabs (acc) < 9.2e18 ? (int64_t) acc : 0;
    }
  unref_all (full, n);
  outputs[0] = y;
  return TRUE;
}

static gboolean
var_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
              const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
              const RelContext *ctx, GError **error)
{
  int n = node->n_inputs, nd;
  g_autofree RelTensor **full = g_new0 (RelTensor *, MAX (n, 1));
  const RelTensor *y = outputs[0];
  const float *g = rel_tensor_f32 (grad_output), *py;
  g_autoptr(RelTensor) tmp = NULL;
  g_autofree float *ties = NULL;
  int64_t shape[REL_MAX_DIMS];
  VarKind kind = var_kind (node);
  gboolean ok = FALSE;

  if (n < 1 || !require_f32 (inputs[0], "the input", error)
      || !require_same_shape (grad_output, y, error))
    return FALSE;
  if (!var_broadcast (node, inputs, full, &nd, shape, error)
      || !(tmp = rel_tensor_new_like (y, error)))
    goto out;
  py = rel_tensor_f32 (y);
  if (kind == VAR_MAX || kind == VAR_MIN)
    {
      /* the winner takes the gradient; tied winners share it */
      ties = g_new0 (float, MAX (y->numel, 1));
      for (int k = 0; k < n; k++)
        for (int64_t i = 0; i < y->numel; i++)
          ties[i] += rel_tensor_f32 (full[k])[i] == py[i];
    }
  for (int k = 0; k < n; k++)
    {
      float *t = rel_tensor_f32 (tmp);
      if (!need[k])
        continue;
      for (int64_t i = 0; i < y->numel; i++)
        {
          if (kind == VAR_SUM)
            t[i] = g[i];
          else if (kind == VAR_MEAN)
            t[i] = g[i] / (float) n;
          else
            t[i] = rel_tensor_f32 (full[k])[i] == py[i] ? g[i] / ties[i] : 0.0f;
        }
      grad_inputs[k] = rel_broadcast_reduce (t, nd, shape, inputs[k], error);
      if (grad_inputs[k] == NULL)
        goto out;
    }
  ok = TRUE;

out:
  unref_all (full, n);
  return ok;
}

/* ---- LayerNormalization (opset 17): normalise over the dimensions from axis on ---- */

typedef struct {
  int64_t axis;
  float   epsilon;
} LayerNormParams;

static gboolean
layer_norm_prepare (RelModel *model, RelNode *node, GError **error)
{
  LayerNormParams *p = g_new0 (LayerNormParams, 1);
  p->axis = rel_node_attr_int (node, "axis", -1);
  p->epsilon = rel_node_attr_float (node, "epsilon", 1e-5f);
  if (!(p->epsilon >= 0) || !isfinite (p->epsilon))
    {
      g_free (p);
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "epsilon must be a finite value ≥ 0");
      return FALSE;
    }
  node->params = p;
  return TRUE;
}

/* rows × cols view of X, and Scale/B broadcast to the normalised shape (cols values). */
static gboolean
layer_norm_layout (const RelNode *node, RelTensor *const *inputs, int64_t *axis, int64_t *rows,
                   int64_t *cols, RelTensor **scale, RelTensor **bias, GError **error)
{
  const LayerNormParams *p = node->params;
  const RelTensor *x = inputs[0];

  if (p == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "node '%s' was not prepared", node->name);
      return FALSE;
    }
  if (!require_f32 (x, "the input", error) || !require_f32 (inputs[1], "the scale", error)
      || (node->n_inputs > 2 && inputs[2] && !require_f32 (inputs[2], "the bias", error)))
    return FALSE;
  *axis = p->axis < 0 ? p->axis + x->ndim : p->axis;
  if (*axis < 0 || *axis >= MAX (x->ndim, 1))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "axis %" G_GINT64_FORMAT " is out of range for a %d-D input", p->axis, x->ndim);
      return FALSE;
    }
  *rows = *cols = 1;
  for (int i = 0; i < x->ndim; i++)
    {
      if (i < *axis)
        *rows *= x->shape[i];
      else
        *cols *= x->shape[i];
    }
  *scale = rel_broadcast_to (inputs[1], x->ndim - (int) *axis, x->shape + *axis, error);
  if (*scale == NULL)
    return FALSE;
  *bias = NULL;
  if (node->n_inputs > 2 && inputs[2])
    {
      *bias = rel_broadcast_to (inputs[2], x->ndim - (int) *axis, x->shape + *axis, error);
      if (*bias == NULL)
        {
          g_clear_pointer (scale, rel_tensor_unref);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
layer_norm_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                    const RelContext *ctx, GError **error)
{
  const LayerNormParams *p = node->params;
  g_autoptr(RelTensor) scale = NULL, bias = NULL;
  const RelTensor *xt = inputs[0];
  int64_t axis, rows, cols, stat_shape[REL_MAX_DIMS];
  const float *x, *sc, *b;
  float *y, *mean_out = NULL, *inv_out = NULL;

  if (!layer_norm_layout (node, inputs, &axis, &rows, &cols, &scale, &bias, error))
    return FALSE;
  outputs[0] = rel_tensor_new_like (xt, error);
  if (outputs[0] == NULL)
    return FALSE;
  /* the optional Mean and InvStdDev outputs keep X's rank with 1 from axis on */
  for (int i = 0; i < xt->ndim; i++)
    stat_shape[i] = i < axis ? xt->shape[i] : 1;
  for (int o = 1; o < node->n_outputs && o < 3; o++)
    {
      outputs[o] = rel_tensor_new_f32 (xt->ndim, stat_shape, error);
      if (outputs[o] == NULL)
        return FALSE;
    }
  if (node->n_outputs > 1)
    mean_out = rel_tensor_f32 (outputs[1]);
  if (node->n_outputs > 2)
    inv_out = rel_tensor_f32 (outputs[2]);
  x = rel_tensor_f32 (xt);
  y = rel_tensor_f32 (outputs[0]);
  sc = rel_tensor_f32 (scale);
  b = bias ? rel_tensor_f32 (bias) : NULL;
  for (int64_t r = 0; r < rows; r++)
    {
      const float *px = x + r * cols;
      float *py = y + r * cols;
      double m = 0, v = 0, inv;
      for (int64_t c = 0; c < cols; c++)
        m += px[c];
      m /= (double) cols;
      for (int64_t c = 0; c < cols; c++)
        v += (px[c] - m) * (px[c] - m);
      v /= (double) cols;
      inv = 1.0 / sqrt (v + p->epsilon);
      for (int64_t c = 0; c < cols; c++)
        py[c] = (float) ((px[c] - m) * inv) * sc[c] + (b ? b[c] : 0.0f);
      if (mean_out)
        mean_out[r] = (float) m;
      if (inv_out)
        inv_out[r] = (float) inv;
    }
  return TRUE;
}

static gboolean
layer_norm_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                     const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                     const RelContext *ctx, GError **error)
{
  const LayerNormParams *p = node->params;
  g_autoptr(RelTensor) scale = NULL, bias = NULL;
  g_autofree double *gscale = NULL, *gbias = NULL;
  const RelTensor *xt = inputs[0];
  int64_t axis, rows, cols;
  const float *x, *sc, *g;
  float *dx = NULL;

  if (!layer_norm_layout (node, inputs, &axis, &rows, &cols, &scale, &bias, error)
      || !require_same_shape (grad_output, xt, error))
    return FALSE;
  if (need[0])
    {
      grad_inputs[0] = rel_tensor_new_like (xt, error);
      if (grad_inputs[0] == NULL)
        return FALSE;
      dx = rel_tensor_f32 (grad_inputs[0]);
    }
  gscale = g_new0 (double, MAX (cols, 1));
  gbias = g_new0 (double, MAX (cols, 1));
  x = rel_tensor_f32 (xt);
  sc = rel_tensor_f32 (scale);
  g = rel_tensor_f32 (grad_output);
  for (int64_t r = 0; r < rows; r++)
    {
      const float *px = x + r * cols, *pg = g + r * cols;
      double m = 0, v = 0, inv, mg = 0, mgx = 0;
      for (int64_t c = 0; c < cols; c++)
        m += px[c];
      m /= (double) cols;
      for (int64_t c = 0; c < cols; c++)
        v += (px[c] - m) * (px[c] - m);
      v /= (double) cols;
      inv = 1.0 / sqrt (v + p->epsilon);
      /* dx = inv·(ĝ − mean ĝ − x̂·mean(ĝ x̂)) with ĝ = g·scale */
      for (int64_t c = 0; c < cols; c++)
        {
          double xh = (px[c] - m) * inv, gh = (double) pg[c] * sc[c];
          mg += gh;
          mgx += gh * xh;
          gscale[c] += pg[c] * xh;
          gbias[c] += pg[c];
        }
      mg /= (double) cols;
      mgx /= (double) cols;
      if (dx)
        for (int64_t c = 0; c < cols; c++)
          {
            double xh = (px[c] - m) * inv, gh = (double) pg[c] * sc[c];
            dx[r * cols + c] = (float) (inv * (gh - mg - xh * mgx));
          }
    }
  for (int k = 1; k <= 2 && k < node->n_inputs; k++)
    {
      g_autofree float *t = NULL;
      if (!need[k] || inputs[k] == NULL)
        continue;
      t = g_new (float, MAX (cols, 1));
      for (int64_t c = 0; c < cols; c++)
        t[c] = (float) (k == 1 ? gscale[c] : gbias[c]);
      grad_inputs[k] = rel_broadcast_reduce (t, xt->ndim - (int) axis, xt->shape + axis, inputs[k], error);
      if (grad_inputs[k] == NULL)
        return FALSE;
    }
  return TRUE;
}

/* ---- comparisons, logic and Where: bool is int64 0/1 in the engine ---- */

typedef enum { CMP_EQUAL, CMP_LESS, CMP_LESS_EQUAL, CMP_GREATER, CMP_GREATER_EQUAL,
               LOGIC_AND, LOGIC_OR, LOGIC_XOR } CmpKind;

static CmpKind
cmp_kind (const char *op)
{
  static const struct { const char *name; CmpKind kind; } names[] = {
    { "Equal", CMP_EQUAL }, { "Less", CMP_LESS }, { "LessOrEqual", CMP_LESS_EQUAL },
    { "Greater", CMP_GREATER }, { "GreaterOrEqual", CMP_GREATER_EQUAL },
    { "And", LOGIC_AND }, { "Or", LOGIC_OR }, { "Xor", LOGIC_XOR },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (op, names[i].name) == 0)
      return names[i].kind;
  return CMP_EQUAL;
}

/* Three-way ordering of element i of two same-shaped tensors of one dtype,
 * exact for int64 beyond 2^53; NaN compares unordered (2). */
static inline int
compare_elems (const RelTensor *a, const RelTensor *b, int64_t i)
{
  if (a->dtype == REL_DTYPE_INT64)
    {
      int64_t x = rel_tensor_i64 (a)[i], y = rel_tensor_i64 (b)[i];
      return x < y ? -1 : x > y ? 1 : 0;
    }
  else
    {
      float x = rel_tensor_f32 (a)[i], y = rel_tensor_f32 (b)[i];
      return x < y ? -1 : x > y ? 1 : x == y ? 0 : 2;
    }
}

static gboolean
cmp_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
             const RelContext *ctx, GError **error)
{
  g_autoptr(RelTensor) ab = NULL, bb = NULL;
  CmpKind kind = cmp_kind (node->op_type);
  int64_t shape[REL_MAX_DIMS];
  RelTensor *y;
  int nd;

  if (inputs[0]->dtype != inputs[1]->dtype)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "operands have different types (%s and %s)",
                   rel_dtype_name (inputs[0]->dtype), rel_dtype_name (inputs[1]->dtype));
      return FALSE;
    }
  if (!broadcast_pair (inputs[0], inputs[1], &ab, &bb, &nd, shape, error))
    return FALSE;
  y = rel_tensor_new (REL_DTYPE_INT64, nd, shape, error);
  if (y == NULL)
    return FALSE;
  for (int64_t i = 0; i < y->numel; i++)
    {
      int c = compare_elems (ab, bb, i);
      gboolean ta = elem_as_double (ab, i) != 0, tb = elem_as_double (bb, i) != 0, r = FALSE;
      switch (kind)
        {
        case CMP_EQUAL: r = c == 0; break;
        case CMP_LESS: r = c == -1; break;
        case CMP_LESS_EQUAL: r = c == -1 || c == 0; break;
        case CMP_GREATER: r = c == 1; break;
        case CMP_GREATER_EQUAL: r = c == 1 || c == 0; break;
        case LOGIC_AND: r = ta && tb; break;
        case LOGIC_OR: r = ta || tb; break;
        case LOGIC_XOR: r = ta != tb; break;
        }
      rel_tensor_i64 (y)[i] = r;
    }
  outputs[0] = y;
  return TRUE;
}

static gboolean
not_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
             const RelContext *ctx, GError **error)
{
  const RelTensor *x = inputs[0];
  RelTensor *y = rel_tensor_new (REL_DTYPE_INT64, x->ndim, x->shape, error);
  if (y == NULL)
    return FALSE;
  for (int64_t i = 0; i < x->numel; i++)
    rel_tensor_i64 (y)[i] = elem_as_double (x, i) == 0;
  outputs[0] = y;
  return TRUE;
}

/* Where's three operands broadcast to their common shape. */
static gboolean
where_broadcast (RelTensor *const *inputs, RelTensor **full, int *nd, int64_t *shape, GError **error)
{
  int64_t s1[REL_MAX_DIMS];
  int n1;

  if (inputs[1]->dtype != inputs[2]->dtype)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "Where's branches have different types (%s and %s)",
                   rel_dtype_name (inputs[1]->dtype), rel_dtype_name (inputs[2]->dtype));
      return FALSE;
    }
  if (!rel_broadcast_shape (inputs[0]->ndim, inputs[0]->shape, inputs[1]->ndim, inputs[1]->shape, &n1, s1, error)
      || !rel_broadcast_shape (n1, s1, inputs[2]->ndim, inputs[2]->shape, nd, shape, error))
    return FALSE;
  for (int k = 0; k < 3; k++)
    {
      full[k] = rel_broadcast_to (inputs[k], *nd, shape, error);
      if (full[k] == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
where_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
               const RelContext *ctx, GError **error)
{
  RelTensor *full[3] = { NULL };
  int64_t shape[REL_MAX_DIMS];
  RelTensor *y = NULL;
  int nd;

  if (where_broadcast (inputs, full, &nd, shape, error)
      && (y = rel_tensor_new (inputs[1]->dtype, nd, shape, error)))
    {
      size_t es = y->dtype == REL_DTYPE_INT64 ? sizeof (int64_t) : sizeof (float);
      for (int64_t i = 0; i < y->numel; i++)
        {
          const RelTensor *src = elem_as_double (full[0], i) != 0 ? full[1] : full[2];
          memcpy ((char *) y->data + i * es, (const char *) src->data + i * es, es);
        }
    }
  unref_all (full, 3);
  outputs[0] = y;
  return y != NULL;
}

static gboolean
where_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                const RelContext *ctx, GError **error)
{
  RelTensor *full[3] = { NULL };
  g_autoptr(RelTensor) tmp = NULL;
  const float *g = rel_tensor_f32 (grad_output);
  int64_t shape[REL_MAX_DIMS];
  gboolean ok = FALSE;
  int nd;

  if (!require_same_shape (grad_output, outputs[0], error)
      || !where_broadcast (inputs, full, &nd, shape, error)
      || !(tmp = rel_tensor_new_like (outputs[0], error)))
    goto out;
  /* the condition selects which branch each element's gradient flows to */
  for (int k = 1; k <= 2; k++)
    {
      float *t = rel_tensor_f32 (tmp);
      if (!need[k] || inputs[k]->dtype != REL_DTYPE_FLOAT32)
        continue;
      for (int64_t i = 0; i < tmp->numel; i++)
        t[i] = (elem_as_double (full[0], i) != 0) == (k == 1) ? g[i] : 0.0f;
      grad_inputs[k] = rel_broadcast_reduce (t, nd, shape, inputs[k], error);
      if (grad_inputs[k] == NULL)
        goto out;
    }
  ok = TRUE;

out:
  unref_all (full, 3);
  return ok;
}

static gboolean
is_special_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                    const RelContext *ctx, GError **error)
{
  const RelTensor *x = inputs[0];
  gboolean nan_op = strcmp (node->op_type, "IsNaN") == 0;
  gboolean pos = rel_node_attr_int (node, "detect_positive", 1) != 0;
  gboolean neg = rel_node_attr_int (node, "detect_negative", 1) != 0;
  RelTensor *y;

  if (!require_f32 (x, "the input", error))
    return FALSE;
  y = rel_tensor_new (REL_DTYPE_INT64, x->ndim, x->shape, error);
  if (y == NULL)
    return FALSE;
  for (int64_t i = 0; i < x->numel; i++)
    {
      float v = rel_tensor_f32 (x)[i];
      rel_tensor_i64 (y)[i] = nan_op ? isnan (v) : isinf (v) && ((v > 0 && pos) || (v < 0 && neg));
    }
  outputs[0] = y;
  return TRUE;
}

/* ---- LRN: local response normalisation across channels (AlexNet, GoogLeNet) ---- */

typedef struct {
  float   alpha, beta, bias;
  int64_t size;
} LrnParams;

static gboolean
lrn_prepare (RelModel *model, RelNode *node, GError **error)
{
  LrnParams *p;
  int64_t size = rel_node_attr_int (node, "size", 0);

  if (size < 1 || size > 4096)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "LRN needs a size between 1 and 4096");
      return FALSE;
    }
  p = g_new0 (LrnParams, 1);
  p->size = size;
  p->alpha = rel_node_attr_float (node, "alpha", 1e-4f);
  p->beta = rel_node_attr_float (node, "beta", 0.75f);
  p->bias = rel_node_attr_float (node, "bias", 1.0f);
  node->params = p;
  return TRUE;
}

/* d = bias + α/size · Σ_{window} x², per element; the window spans
 * [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] along dimension 1. */
static gboolean
lrn_denominator (const RelNode *node, const RelTensor *xt, double **d_out, int64_t *n_out,
                 int64_t *c_out, int64_t *inner_out, GError **error)
{
  const LrnParams *p = node->params;
  int64_t n, c, inner = 1, lo, hi;
  const float *x;
  double *d;

  if (p == NULL || !require_f32 (xt, "the input", error))
    return FALSE;
  if (xt->ndim < 2)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "LRN needs an N×C×… input");
      return FALSE;
    }
  n = xt->shape[0];
  c = xt->shape[1];
  for (int i = 2; i < xt->ndim; i++)
    inner *= xt->shape[i];
  lo = (p->size - 1) / 2;
  hi = p->size - 1 - lo;
  d = g_try_new (double, MAX (xt->numel, 1));
  if (d == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory");
      return FALSE;
    }
  x = rel_tensor_f32 (xt);
  for (int64_t b = 0; b < n; b++)
    for (int64_t ch = 0; ch < c; ch++)
      for (int64_t s = 0; s < inner; s++)
        {
          double acc = 0;
          for (int64_t k = MAX (0, ch - lo); k <= MIN (c - 1, ch + hi); k++)
            {
              double v = x[(b * c + k) * inner + s];
              acc += v * v;
            }
          d[(b * c + ch) * inner + s] = p->bias + p->alpha / (double) p->size * acc;
        }
  *d_out = d;
  *n_out = n;
  *c_out = c;
  *inner_out = inner;
  return TRUE;
}

static gboolean
lrn_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
             const RelContext *ctx, GError **error)
{
  const LrnParams *p = node->params;
  g_autofree double *d = NULL;
  int64_t n, c, inner;
  RelTensor *y;

  if (!lrn_denominator (node, inputs[0], &d, &n, &c, &inner, error))
    return FALSE;
  y = rel_tensor_new_like (inputs[0], error);
  if (y == NULL)
    return FALSE;
  for (int64_t i = 0; i < y->numel; i++)
    rel_tensor_f32 (y)[i] = (float) (rel_tensor_f32 (inputs[0])[i] * pow (d[i], -p->beta));
  outputs[0] = y;
  return TRUE;
}

static gboolean
lrn_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
              const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
              const RelContext *ctx, GError **error)
{
  const LrnParams *p = node->params;
  g_autofree double *d = NULL, *t = NULL;
  int64_t n, c, inner, lo, hi;
  const float *x, *g;
  float *dx;

  if (!need[0])
    return TRUE;
  if (!lrn_denominator (node, inputs[0], &d, &n, &c, &inner, error)
      || !require_same_shape (grad_output, inputs[0], error))
    return FALSE;
  grad_inputs[0] = rel_tensor_new_like (inputs[0], error);
  if (grad_inputs[0] == NULL)
    return FALSE;
  x = rel_tensor_f32 (inputs[0]);
  g = rel_tensor_f32 (grad_output);
  dx = rel_tensor_f32 (grad_inputs[0]);
  lo = (p->size - 1) / 2;
  hi = p->size - 1 - lo;
  /* t_c = g_c x_c d_c^(−β−1); x_k appears in the windows of c ∈ [k − hi, k + lo] */
  t = g_new (double, MAX (grad_output->numel, 1));
  for (int64_t i = 0; i < grad_output->numel; i++)
    t[i] = g[i] * x[i] * pow (d[i], -p->beta - 1);
  for (int64_t b = 0; b < n; b++)
    for (int64_t k = 0; k < c; k++)
      for (int64_t s = 0; s < inner; s++)
        {
          int64_t i = (b * c + k) * inner + s;
          double acc = 0;
          for (int64_t ch = MAX (0, k - hi); ch <= MIN (c - 1, k + lo); ch++)
            acc += t[(b * c + ch) * inner + s];
          dx[i] = (float) (g[i] * pow (d[i], -p->beta) - 2.0 * p->alpha * p->beta / (double) p->size * x[i] * acc);
        }
  return TRUE;
}

/* ---- InstanceNormalization: per sample and channel over the spatial dims ---- */

static gboolean
instance_norm_layout (RelTensor *const *inputs, int64_t *n, int64_t *c, int64_t *inner, GError **error)
{
  const RelTensor *x = inputs[0];

  if (!require_f32 (x, "the input", error) || !require_f32 (inputs[1], "the scale", error)
      || !require_f32 (inputs[2], "the bias", error))
    return FALSE;
  if (x->ndim < 2 || inputs[1]->numel != x->shape[1] || inputs[2]->numel != x->shape[1])
    {
      g_autofree char *s = rel_tensor_shape_string (x);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "InstanceNormalization needs an N×C×… input and C scales and biases (input %s)", s);
      return FALSE;
    }
  *n = x->shape[0];
  *c = x->shape[1];
  *inner = 1;
  for (int i = 2; i < x->ndim; i++)
    *inner *= x->shape[i];
  return TRUE;
}

static gboolean
instance_norm_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                       const RelContext *ctx, GError **error)
{
  double eps = rel_node_attr_float (node, "epsilon", 1e-5f);
  int64_t n, c, inner;
  const float *x, *sc, *bi;
  RelTensor *y;

  if (!instance_norm_layout (inputs, &n, &c, &inner, error))
    return FALSE;
  y = rel_tensor_new_like (inputs[0], error);
  if (y == NULL)
    return FALSE;
  x = rel_tensor_f32 (inputs[0]);
  sc = rel_tensor_f32 (inputs[1]);
  bi = rel_tensor_f32 (inputs[2]);
  for (int64_t r = 0; r < n * c; r++)
    {
      const float *px = x + r * inner;
      double m = 0, v = 0, inv;
      for (int64_t k = 0; k < inner; k++)
        m += px[k];
      m /= (double) MAX (inner, 1);
      for (int64_t k = 0; k < inner; k++)
        v += (px[k] - m) * (px[k] - m);
      v /= (double) MAX (inner, 1);
      inv = 1.0 / sqrt (v + eps);
      for (int64_t k = 0; k < inner; k++)
        rel_tensor_f32 (y)[r * inner + k] = (float) ((px[k] - m) * inv * sc[r % c] + bi[r % c]);
    }
  outputs[0] = y;
  return TRUE;
}

static gboolean
instance_norm_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                        const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                        const RelContext *ctx, GError **error)
{
  double eps = rel_node_attr_float (node, "epsilon", 1e-5f);
  int64_t n, c, inner;
  const float *x, *sc, *g;
  g_autofree double *gs = NULL, *gb = NULL;

  if (!instance_norm_layout (inputs, &n, &c, &inner, error) || !require_same_shape (grad_output, inputs[0], error))
    return FALSE;
  for (int k = 0; k < 3; k++)
    if (need[k] && !(grad_inputs[k] = rel_tensor_new_like (inputs[k], error)))
      return FALSE;
  x = rel_tensor_f32 (inputs[0]);
  sc = rel_tensor_f32 (inputs[1]);
  g = rel_tensor_f32 (grad_output);
  gs = g_new0 (double, MAX (c, 1));
  gb = g_new0 (double, MAX (c, 1));
  for (int64_t r = 0; r < n * c; r++)
    {
      const float *px = x + r * inner, *pg = g + r * inner;
      double m = 0, v = 0, inv, mg = 0, mgx = 0, cnt = (double) MAX (inner, 1);
      for (int64_t k = 0; k < inner; k++)
        m += px[k];
      m /= cnt;
      for (int64_t k = 0; k < inner; k++)
        v += (px[k] - m) * (px[k] - m);
      v /= cnt;
      inv = 1.0 / sqrt (v + eps);
      for (int64_t k = 0; k < inner; k++)
        {
          double xh = (px[k] - m) * inv;
          mg += pg[k] * sc[r % c];
          mgx += pg[k] * sc[r % c] * xh;
          gs[r % c] += pg[k] * xh;
          gb[r % c] += pg[k];
        }
      mg /= cnt;
      mgx /= cnt;
      if (need[0])
        for (int64_t k = 0; k < inner; k++)
          {
            double xh = (px[k] - m) * inv;
            rel_tensor_f32 (grad_inputs[0])[r * inner + k] = (float) (inv * (pg[k] * sc[r % c] - mg - xh * mgx));
          }
    }
  for (int64_t ch = 0; ch < c; ch++)
    {
      if (need[1])
        rel_tensor_f32 (grad_inputs[1])[ch] = (float) gs[ch];
      if (need[2])
        rel_tensor_f32 (grad_inputs[2])[ch] = (float) gb[ch];
    }
  return TRUE;
}

/* ---- GroupNormalization (opset 18, 21): InstanceNorm over groups of channels ---- */

typedef struct {
  int64_t num_groups;
  float   epsilon;
  int64_t opset;       /* the model's; 0 (a node built without a model): told by the scale's length */
} GroupNormParams;

static gboolean
group_norm_prepare (RelModel *model, RelNode *node, GError **error)
{
  GroupNormParams *p;
  int64_t stash = rel_node_attr_int (node, "stash_type", 1);

  if (rel_node_attr (node, "num_groups") == NULL || rel_node_attr_int (node, "num_groups", 0) < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "GroupNormalization needs num_groups ≥ 1");
      return FALSE;
    }
  /* stash_type (opset 21) is the precision of the statistics: 1 = float32;
   * the kernel computes them in double either way, at least as precise */
  if (stash != 1 && stash != 11)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "GroupNormalization stash_type %" G_GINT64_FORMAT
                   " is not supported", stash);
      return FALSE;
    }
  p = g_new0 (GroupNormParams, 1);
  p->num_groups = rel_node_attr_int (node, "num_groups", 1);
  p->epsilon = rel_node_attr_float (node, "epsilon", 1e-5f);
  p->opset = model != NULL ? model->opset : 0;
  if (!(p->epsilon >= 0) || !isfinite (p->epsilon))
    {
      g_free (p);
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "epsilon must be a finite value ≥ 0");
      return FALSE;
    }
  node->params = p;
  return TRUE;
}

/* N×C×… as n·G groups of (C/G)·inner values. Opset 18 scales and shifts each
 * group (scale and bias of G values), opset 21 each channel (C values);
 * *per_channel tells which. */
static gboolean
group_norm_layout (const RelNode *node, RelTensor *const *inputs, int64_t *n, int64_t *c, int64_t *inner,
                   gboolean *per_channel, GError **error)
{
  const GroupNormParams *p = node->params;
  const RelTensor *x = inputs[0];
  int64_t g;

  if (p == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "node '%s' was not prepared", node->name);
      return FALSE;
    }
  if (!require_f32 (x, "the input", error) || !require_f32 (inputs[1], "the scale", error)
      || !require_f32 (inputs[2], "the bias", error))
    return FALSE;
  g = p->num_groups;
  if (x->ndim < 2 || x->shape[1] % g != 0)
    {
      g_autofree char *s = rel_tensor_shape_string (x);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "GroupNormalization needs an N×C×… input with C a multiple of num_groups = %"
                   G_GINT64_FORMAT " (input %s)", g, s);
      return FALSE;
    }
  *n = x->shape[0];
  *c = x->shape[1];
  *inner = 1;
  for (int i = 2; i < x->ndim; i++)
    *inner *= x->shape[i];
  /* where C = G the two readings agree */
  *per_channel = p->opset >= 21 || (p->opset == 0 && inputs[1]->numel == *c);
  if (inputs[1]->numel != (*per_channel ? *c : g) || inputs[2]->numel != inputs[1]->numel)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "GroupNormalization needs %" G_GINT64_FORMAT " scales and biases (one per %s), not %"
                   G_GINT64_FORMAT " and %" G_GINT64_FORMAT, *per_channel ? *c : g,
                   *per_channel ? "channel" : "group", inputs[1]->numel, inputs[2]->numel);
      return FALSE;
    }
  return TRUE;
}

/* mean and 1/σ of group @r's @len values */
static void
group_stats (const float *px, int64_t len, double eps, double *mean, double *inv)
{
  double m = 0, v = 0;

  for (int64_t k = 0; k < len; k++)
    m += px[k];
  m /= (double) MAX (len, 1);
  for (int64_t k = 0; k < len; k++)
    v += (px[k] - m) * (px[k] - m);
  v /= (double) MAX (len, 1);
  *mean = m;
  *inv = 1.0 / sqrt (v + eps);
}

static gboolean
group_norm_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                    const RelContext *ctx, GError **error)
{
  const GroupNormParams *p = node->params;
  int64_t n, c, inner, cg, len;
  gboolean per_channel;
  const float *x, *sc, *bi;
  float *y;

  if (!group_norm_layout (node, inputs, &n, &c, &inner, &per_channel, error))
    return FALSE;
  if ((outputs[0] = rel_tensor_new_like (inputs[0], error)) == NULL)
    return FALSE;
  x = rel_tensor_f32 (inputs[0]);
  y = rel_tensor_f32 (outputs[0]);
  sc = rel_tensor_f32 (inputs[1]);
  bi = rel_tensor_f32 (inputs[2]);
  cg = c / p->num_groups;
  len = cg * inner;
  for (int64_t r = 0; r < n * p->num_groups; r++)
    {
      double m, inv;
      group_stats (x + r * len, len, p->epsilon, &m, &inv);
      for (int64_t k = 0; k < len; k++)
        {
          int64_t a = per_channel ? (r % p->num_groups) * cg + k / MAX (inner, 1) : r % p->num_groups;
          y[r * len + k] = (float) ((x[r * len + k] - m) * inv * sc[a] + bi[a]);
        }
    }
  return TRUE;
}

static gboolean
group_norm_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                     const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                     const RelContext *ctx, GError **error)
{
  const GroupNormParams *p = node->params;
  int64_t n, c, inner, cg, len, na;
  gboolean per_channel;
  const float *x, *sc, *g;
  g_autofree double *gs = NULL, *gb = NULL;

  if (!group_norm_layout (node, inputs, &n, &c, &inner, &per_channel, error)
      || !require_same_shape (grad_output, inputs[0], error))
    return FALSE;
  for (int k = 0; k < 3; k++)
    if (need[k] && !(grad_inputs[k] = rel_tensor_new_like (inputs[k], error)))
      return FALSE;
  x = rel_tensor_f32 (inputs[0]);
  sc = rel_tensor_f32 (inputs[1]);
  g = rel_tensor_f32 (grad_output);
  cg = c / p->num_groups;
  len = cg * inner;
  na = inputs[1]->numel;
  gs = g_new0 (double, MAX (na, 1));
  gb = g_new0 (double, MAX (na, 1));
  for (int64_t r = 0; r < n * p->num_groups; r++)
    {
      const float *px = x + r * len, *pg = g + r * len;
      double m, inv, mg = 0, mgx = 0;
      group_stats (px, len, p->epsilon, &m, &inv);
      /* dx = inv·(ĝ − mean ĝ − x̂·mean(ĝ x̂)) over the group, ĝ = g·scale */
      for (int64_t k = 0; k < len; k++)
        {
          int64_t a = per_channel ? (r % p->num_groups) * cg + k / MAX (inner, 1) : r % p->num_groups;
          double xh = (px[k] - m) * inv;
          mg += pg[k] * (double) sc[a];
          mgx += pg[k] * (double) sc[a] * xh;
          gs[a] += pg[k] * xh;
          gb[a] += pg[k];
        }
      mg /= (double) MAX (len, 1);
      mgx /= (double) MAX (len, 1);
      if (need[0])
        for (int64_t k = 0; k < len; k++)
          {
            int64_t a = per_channel ? (r % p->num_groups) * cg + k / MAX (inner, 1) : r % p->num_groups;
            double xh = (px[k] - m) * inv;
            rel_tensor_f32 (grad_inputs[0])[r * len + k] = (float) (inv * (pg[k] * (double) sc[a] - mg - xh * mgx));
          }
    }
  for (int64_t a = 0; a < na; a++)
    {
      if (need[1])
        rel_tensor_f32 (grad_inputs[1])[a] = (float) gs[a];
      if (need[2])
        rel_tensor_f32 (grad_inputs[2])[a] = (float) gb[a];
    }
  return TRUE;
}

/* ---- Hardmax: one-hot of the first maximum (Softmax's layout) ---- */

static gboolean
hardmax_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                 const RelContext *ctx, GError **error)
{
  const SoftmaxParams *p;
  int64_t outer, len, inner;
  const float *x;
  RelTensor *y;

  if (!softmax_layout (node, inputs[0], &outer, &len, &inner, &p, error))
    return FALSE;
  y = rel_tensor_new_like (inputs[0], error);
  if (y == NULL)
    return FALSE;
  x = rel_tensor_f32 (inputs[0]);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t in = 0; in < inner; in++)
      {
        int64_t base = o * len * inner + in, best = 0;
        for (int64_t k = 1; k < len; k++)
          if (x[base + k * inner] > x[base + best * inner])
            best = k;
        if (len > 0)
          rel_tensor_f32 (y)[base + best * inner] = 1.0f;
      }
  outputs[0] = y;
  return TRUE;
}

/* ---- Mod ---- */

static gboolean
mod_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
             const RelContext *ctx, GError **error)
{
  g_autoptr(RelTensor) ab = NULL, bb = NULL;
  gboolean fmod_ = rel_node_attr_int (node, "fmod", 0) != 0;
  int64_t shape[REL_MAX_DIMS];
  RelTensor *y;
  int nd;

  if (inputs[0]->dtype != inputs[1]->dtype)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "operands have different types");
      return FALSE;
    }
  if (inputs[0]->dtype == REL_DTYPE_FLOAT32 && !fmod_)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "Mod of floats needs fmod = 1");
      return FALSE;
    }
  if (!broadcast_pair (inputs[0], inputs[1], &ab, &bb, &nd, shape, error))
    return FALSE;
  y = rel_tensor_new (inputs[0]->dtype, nd, shape, error);
  if (y == NULL)
    return FALSE;
  for (int64_t i = 0; i < y->numel; i++)
    {
      if (y->dtype == REL_DTYPE_FLOAT32)
        rel_tensor_f32 (y)[i] = fmodf (rel_tensor_f32 (ab)[i], rel_tensor_f32 (bb)[i]);
      else
        {
          int64_t a = rel_tensor_i64 (ab)[i], b = rel_tensor_i64 (bb)[i], r;
          if (b == 0 || (b == -1 && a == INT64_MIN))
            r = 0;
          else
            {
              r = a % b;
              /* integer Mod takes the divisor's sign unless fmod asks for C's */
              if (!fmod_ && r != 0 && ((r < 0) != (b < 0)))
                r += b;
            }
          rel_tensor_i64 (y)[i] = r;
        }
    }
  outputs[0] = y;
  return TRUE;
}

/* fmod(a, b) = a − b·trunc(a/b): ∂/∂a = 1 and ∂/∂b = −trunc(a/b) between
 * the jumps where a/b crosses an integer (a float Mod always has fmod = 1). */
static double
mod_partial (int k, double a, double b)
{
  if (k == 0)
    return 1.0;
  return b != 0 ? -trunc (a / b) : 0.0;
}

static gboolean
mod_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
              const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
              const RelContext *ctx, GError **error)
{
  return require_f32 (inputs[0], "the dividend", error) && require_f32 (inputs[1], "the divisor", error)
         && pointwise_backward (inputs, outputs[0], grad_output, grad_inputs, need, mod_partial, error);
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

const RelOpDef rel_ops_elementwise[] = {
  { REL_OP_ADD, "Add", 2, 2, 1, REL_OP_CLASS_MIX, add_prepare, bin_forward, bin_backward, NULL,
    .flags = REL_OP_POINTWISE | REL_OP_AFFINE_ANY | REL_OP_LEGACY_BROADCAST },
  { REL_OP_SUB, "Sub", 2, 2, 1, REL_OP_CLASS_MIX, sub_prepare, bin_forward, bin_backward, NULL,
    .flags = REL_OP_POINTWISE | REL_OP_AFFINE_ANY | REL_OP_LEGACY_BROADCAST },
  { REL_OP_MUL, "Mul", 2, 2, 1, REL_OP_CLASS_OTHER, mul_prepare, bin_forward, bin_backward, NULL,
    .flags = REL_OP_POINTWISE | REL_OP_AFFINE_ONE | REL_OP_LEGACY_BROADCAST },
  { REL_OP_DIV, "Div", 2, 2, 1, REL_OP_CLASS_OTHER, div_prepare, bin_forward, bin_backward, NULL,
    .flags = REL_OP_POINTWISE | REL_OP_AFFINE_FIRST | REL_OP_LEGACY_BROADCAST },
  { REL_OP_POW, "Pow", 2, 2, 1, REL_OP_CLASS_OTHER, NULL, pow_forward, pow_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_SUM, "Sum", 1, REL_OP_MAX_INPUTS, 1, REL_OP_CLASS_MIX, NULL, var_forward, var_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_MEAN, "Mean", 1, REL_OP_MAX_INPUTS, 1, REL_OP_CLASS_MIX, NULL, var_forward, var_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_MAX, "Max", 1, REL_OP_MAX_INPUTS, 1, REL_OP_CLASS_ROUTE, NULL, var_forward, var_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_MIN, "Min", 1, REL_OP_MAX_INPUTS, 1, REL_OP_CLASS_ROUTE, NULL, var_forward, var_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_RELU, "Relu", 1, 1, 1, REL_OP_CLASS_ACTIVATION, relu_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_LEAKY_RELU, "LeakyRelu", 1, 1, 1, REL_OP_CLASS_ACTIVATION, leaky_relu_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_ELU, "Elu", 1, 1, 1, REL_OP_CLASS_ACTIVATION, elu_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_PRELU, "PRelu", 2, 2, 1, REL_OP_CLASS_ACTIVATION, NULL, prelu_forward, prelu_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_CLIP, "Clip", 1, 3, 1, REL_OP_CLASS_ACTIVATION, clip_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_SIGMOID, "Sigmoid", 1, 1, 1, REL_OP_CLASS_ACTIVATION, sigmoid_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_HARD_SIGMOID, "HardSigmoid", 1, 1, 1, REL_OP_CLASS_ACTIVATION, hard_sigmoid_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_HARD_SWISH, "HardSwish", 1, 1, 1, REL_OP_CLASS_ACTIVATION, hard_swish_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_TANH, "Tanh", 1, 1, 1, REL_OP_CLASS_ACTIVATION, tanh_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_SOFTPLUS, "Softplus", 1, 1, 1, REL_OP_CLASS_ACTIVATION, softplus_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_EXP, "Exp", 1, 1, 1, REL_OP_CLASS_OTHER, exp_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_LOG, "Log", 1, 1, 1, REL_OP_CLASS_OTHER, log_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_SQRT, "Sqrt", 1, 1, 1, REL_OP_CLASS_OTHER, sqrt_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_RECIPROCAL, "Reciprocal", 1, 1, 1, REL_OP_CLASS_OTHER, reciprocal_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_SELU, "Selu", 1, 1, 1, REL_OP_CLASS_ACTIVATION, selu_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_CELU, "Celu", 1, 1, 1, REL_OP_CLASS_ACTIVATION, celu_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_THRESHOLDED_RELU, "ThresholdedRelu", 1, 1, 1, REL_OP_CLASS_ACTIVATION, thresholded_relu_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_SOFTSIGN, "Softsign", 1, 1, 1, REL_OP_CLASS_ACTIVATION, softsign_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_ERF, "Erf", 1, 1, 1, REL_OP_CLASS_OTHER, erf_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_GELU, "Gelu", 1, 1, 1, REL_OP_CLASS_ACTIVATION, gelu_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_FLOOR, "Floor", 1, 1, 1, REL_OP_CLASS_OTHER, floor_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_CEIL, "Ceil", 1, 1, 1, REL_OP_CLASS_OTHER, ceil_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_ROUND, "Round", 1, 1, 1, REL_OP_CLASS_OTHER, round_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_SIGN, "Sign", 1, 1, 1, REL_OP_CLASS_OTHER, sign_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_SIN, "Sin", 1, 1, 1, REL_OP_CLASS_OTHER, sin_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_COS, "Cos", 1, 1, 1, REL_OP_CLASS_OTHER, cos_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_TAN, "Tan", 1, 1, 1, REL_OP_CLASS_OTHER, tan_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_ASIN, "Asin", 1, 1, 1, REL_OP_CLASS_OTHER, asin_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_ACOS, "Acos", 1, 1, 1, REL_OP_CLASS_OTHER, acos_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_ATAN, "Atan", 1, 1, 1, REL_OP_CLASS_OTHER, atan_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_SINH, "Sinh", 1, 1, 1, REL_OP_CLASS_OTHER, sinh_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_COSH, "Cosh", 1, 1, 1, REL_OP_CLASS_OTHER, cosh_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_ASINH, "Asinh", 1, 1, 1, REL_OP_CLASS_OTHER, asinh_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_ACOSH, "Acosh", 1, 1, 1, REL_OP_CLASS_OTHER, acosh_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_ATANH, "Atanh", 1, 1, 1, REL_OP_CLASS_OTHER, atanh_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_NEG, "Neg", 1, 1, 1, REL_OP_CLASS_OTHER, neg_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE | REL_OP_AFFINE_ANY },
  { REL_OP_ABS, "Abs", 1, 1, 1, REL_OP_CLASS_OTHER, abs_prepare, un_forward, un_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_SOFTMAX, "Softmax", 1, 1, 1, REL_OP_CLASS_OTHER, softmax_prepare, softmax_forward, softmax_backward, NULL },
  { REL_OP_LOG_SOFTMAX, "LogSoftmax", 1, 1, 1, REL_OP_CLASS_OTHER, log_softmax_prepare, softmax_forward, softmax_backward, NULL },
  /* not NORM: LRP folds NORM ops into a neighbouring linear layer, which only BatchNorm allows */
  { REL_OP_LAYER_NORMALIZATION, "LayerNormalization", 2, 3, 3, REL_OP_CLASS_OTHER, layer_norm_prepare, layer_norm_forward, layer_norm_backward, NULL },
  { REL_OP_EQUAL, "Equal", 2, 2, 1, REL_OP_CLASS_SHAPE, NULL, cmp_forward, zero_backward, NULL },
  { REL_OP_LESS, "Less", 2, 2, 1, REL_OP_CLASS_SHAPE, NULL, cmp_forward, zero_backward, NULL },
  { REL_OP_LESS_OR_EQUAL, "LessOrEqual", 2, 2, 1, REL_OP_CLASS_SHAPE, NULL, cmp_forward, zero_backward, NULL },
  { REL_OP_GREATER, "Greater", 2, 2, 1, REL_OP_CLASS_SHAPE, NULL, cmp_forward, zero_backward, NULL },
  { REL_OP_GREATER_OR_EQUAL, "GreaterOrEqual", 2, 2, 1, REL_OP_CLASS_SHAPE, NULL, cmp_forward, zero_backward, NULL },
  { REL_OP_AND, "And", 2, 2, 1, REL_OP_CLASS_SHAPE, NULL, cmp_forward, zero_backward, NULL },
  { REL_OP_OR, "Or", 2, 2, 1, REL_OP_CLASS_SHAPE, NULL, cmp_forward, zero_backward, NULL },
  { REL_OP_XOR, "Xor", 2, 2, 1, REL_OP_CLASS_SHAPE, NULL, cmp_forward, zero_backward, NULL },
  { REL_OP_IS_NAN, "IsNaN", 1, 1, 1, REL_OP_CLASS_SHAPE, NULL, is_special_forward, zero_backward, NULL },
  { REL_OP_IS_INF, "IsInf", 1, 1, 1, REL_OP_CLASS_SHAPE, NULL, is_special_forward, zero_backward, NULL },
  { REL_OP_NOT, "Not", 1, 1, 1, REL_OP_CLASS_SHAPE, NULL, not_forward, zero_backward, NULL },
  { REL_OP_WHERE, "Where", 3, 3, 1, REL_OP_CLASS_ROUTE, NULL, where_forward, where_backward, NULL },
  { REL_OP_LRN, "LRN", 1, 1, 1, REL_OP_CLASS_OTHER, lrn_prepare, lrn_forward, lrn_backward, NULL },
  { REL_OP_INSTANCE_NORMALIZATION, "InstanceNormalization", 3, 3, 1, REL_OP_CLASS_OTHER, NULL, instance_norm_forward, instance_norm_backward, NULL },
  { REL_OP_GROUP_NORMALIZATION, "GroupNormalization", 3, 3, 1, REL_OP_CLASS_OTHER, group_norm_prepare, group_norm_forward,
    group_norm_backward, NULL },
  { REL_OP_HARDMAX, "Hardmax", 1, 1, 1, REL_OP_CLASS_OTHER, softmax_prepare, hardmax_forward, zero_backward, NULL },
  { REL_OP_MOD, "Mod", 2, 2, 1, REL_OP_CLASS_OTHER, NULL, mod_forward, mod_backward, NULL },
  { REL_OP_IDENTITY, "Identity", 1, 1, 1, REL_OP_CLASS_ROUTE, NULL, identity_forward, identity_backward, NULL,
    .flags = REL_OP_POINTWISE | REL_OP_AFFINE_ANY },
  { REL_OP_DROPOUT, "Dropout", 1, 3, 2, REL_OP_CLASS_ROUTE, dropout_prepare, dropout_forward, identity_backward, NULL,
    .flags = REL_OP_POINTWISE },
  { REL_OP_COUNT, NULL },
};
REL_OP_TABLE_CHECK (rel_ops_elementwise, REL_OPS_NORM_END, REL_OPS_ELEMENTWISE_END);
