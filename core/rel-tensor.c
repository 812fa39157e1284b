/* rel-tensor.c
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-tensor.h"
#include "rel-error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REL_TENSOR_ALIGN 64

gboolean
rel_shape_numel (int ndim, const int64_t *shape, int64_t *numel, GError **error)
{
  int64_t n = 1;

  if (ndim < 0 || ndim > REL_MAX_DIMS)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "tensor rank %d is not supported (at most %d dimensions)", ndim, REL_MAX_DIMS);
      return FALSE;
    }
  for (int i = 0; i < ndim; i++)
    {
      if (shape[i] < 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "dimension %d is negative (%" G_GINT64_FORMAT ")", i, shape[i]);
          return FALSE;
        }
      if (shape[i] > 0 && n > REL_TENSOR_MAX_ELEMENTS / shape[i])
        {
          g_autofree char *s = rel_shape_to_string (ndim, shape);
          g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                       "tensor of shape %s exceeds the limit of %" G_GINT64_FORMAT " elements",
                       s, (gint64) REL_TENSOR_MAX_ELEMENTS);
          return FALSE;
        }
      n *= shape[i];
    }
  if (n > REL_TENSOR_MAX_ELEMENTS)
    {
      g_autofree char *s = rel_shape_to_string (ndim, shape);
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                   "tensor of shape %s exceeds the limit of %" G_GINT64_FORMAT " elements",
                   s, (gint64) REL_TENSOR_MAX_ELEMENTS);
      return FALSE;
    }
  if (numel)
    *numel = n;
  return TRUE;
}

static size_t
dtype_size (RelDType dtype)
{
  return dtype == REL_DTYPE_INT64 ? sizeof (int64_t) : sizeof (float);
}

static RelTensor *tensor_alloc (RelDType dtype, int ndim, const int64_t *shape, gboolean zero,
                                GError **error);

RelTensor *
rel_tensor_new (RelDType dtype, int ndim, const int64_t *shape, GError **error)
{
  return tensor_alloc (dtype, ndim, shape, TRUE, error);
}

RelTensor *
rel_tensor_new_uninit (RelDType dtype, int ndim, const int64_t *shape, GError **error)
{
  return tensor_alloc (dtype, ndim, shape, FALSE, error);
}

RelTensor *
rel_tensor_new_like_uninit (const RelTensor *like, GError **error)
{
  return tensor_alloc (like->dtype, like->ndim, like->shape, FALSE, error);
}

static RelTensor *
tensor_alloc (RelDType dtype, int ndim, const int64_t *shape, gboolean zero, GError **error)
{
  int64_t numel;
  RelTensor *t;
  size_t bytes;

  if (!rel_shape_numel (ndim, shape, &numel, error))
    return NULL;

  bytes = (size_t) numel * dtype_size (dtype);
  /* aligned_alloc needs a size that is a multiple of the alignment */
  bytes = (bytes + REL_TENSOR_ALIGN - 1) / REL_TENSOR_ALIGN * REL_TENSOR_ALIGN;
  if (bytes == 0)
    bytes = REL_TENSOR_ALIGN;

  t = g_new0 (RelTensor, 1);
  t->data = aligned_alloc (REL_TENSOR_ALIGN, bytes);
  if (t->data == NULL)
    {
      g_free (t);
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                   "out of memory allocating %" G_GSIZE_FORMAT " bytes", bytes);
      return NULL;
    }
  if (zero)
    memset (t->data, 0, bytes);
  t->dtype = dtype;
  t->ndim = ndim;
  for (int i = 0; i < ndim; i++)
    t->shape[i] = shape[i];
  t->numel = numel;
  t->ref_count = 1;
  return t;
}

RelTensor *
rel_tensor_new_f32 (int ndim, const int64_t *shape, GError **error)
{
  return rel_tensor_new (REL_DTYPE_FLOAT32, ndim, shape, error);
}

RelTensor *
rel_tensor_new_4d (int64_t n, int64_t c, int64_t h, int64_t w, GError **error)
{
  int64_t shape[4] = { n, c, h, w };
  return rel_tensor_new (REL_DTYPE_FLOAT32, 4, shape, error);
}

RelTensor *
rel_tensor_new_like (const RelTensor *like, GError **error)
{
  return rel_tensor_new (like->dtype, like->ndim, like->shape, error);
}

RelTensor *
rel_tensor_copy (const RelTensor *t, GError **error)
{
  RelTensor *c = rel_tensor_new_like_uninit (t, error);
  if (c)
    memcpy (c->data, t->data, (size_t) t->numel * dtype_size (t->dtype));
  return c;
}

RelTensor *
rel_tensor_new_from_f32 (int ndim, const int64_t *shape, const float *data, GError **error)
{
  RelTensor *t = rel_tensor_new_f32 (ndim, shape, error);
  if (t && t->numel > 0)
    memcpy (t->data, data, (size_t) t->numel * sizeof (float));
  return t;
}

RelTensor *
rel_tensor_ref (RelTensor *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  g_atomic_int_inc (&t->ref_count);
  return t;
}

void
rel_tensor_unref (RelTensor *t)
{
  if (t == NULL)
    return;
  if (!g_atomic_int_dec_and_test (&t->ref_count))
    return;
  if (t->base)
    rel_tensor_unref (t->base);
  else
    free (t->data);
  g_free (t);
}

RelTensor *
rel_tensor_view (RelTensor *t, int ndim, const int64_t *shape, GError **error)
{
  int64_t numel;
  RelTensor *v;

  if (!rel_shape_numel (ndim, shape, &numel, error))
    return NULL;
  if (numel != t->numel)
    {
      g_autofree char *from = rel_tensor_shape_string (t);
      g_autofree char *to = rel_shape_to_string (ndim, shape);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "cannot view a tensor of shape %s as %s: element counts differ", from, to);
      return NULL;
    }
  v = g_new0 (RelTensor, 1);
  v->dtype = t->dtype;
  v->ndim = ndim;
  for (int i = 0; i < ndim; i++)
    v->shape[i] = shape[i];
  v->numel = numel;
  v->data = t->data;
  v->ref_count = 1;
  v->base = rel_tensor_ref (t->base ? t->base : t);
  return v;
}

gboolean
rel_tensor_same_shape (const RelTensor *a, const RelTensor *b)
{
  if (a->ndim != b->ndim)
    return FALSE;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i])
      return FALSE;
  return TRUE;
}

char *
rel_shape_to_string (int ndim, const int64_t *shape)
{
  GString *s = g_string_new (NULL);

  if (ndim == 0)
    g_string_append (s, "scalar");
  for (int i = 0; i < ndim && i < REL_MAX_DIMS; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? "×" : "", shape[i]);
  return g_string_free (s, FALSE);
}

char *
rel_tensor_shape_string (const RelTensor *t)
{
  return rel_shape_to_string (t->ndim, t->shape);
}

const char *
rel_dtype_name (RelDType dtype)
{
  return dtype == REL_DTYPE_INT64 ? "int64" : "float32";
}

void
rel_tensor_fill (RelTensor *t, float value)
{
  float *d = rel_tensor_f32 (t);
  for (int64_t i = 0; i < t->numel; i++)
    d[i] = value;
}

double
rel_tensor_sum (const RelTensor *t)
{
  const float *d = rel_tensor_f32 (t);
  double s = 0;
  for (int64_t i = 0; i < t->numel; i++)
    s += d[i];
  return s;
}

float
rel_tensor_max_abs (const RelTensor *t)
{
  const float *d = rel_tensor_f32 (t);
  float m = 0;
  for (int64_t i = 0; i < t->numel; i++)
    m = MAX (m, fabsf (d[i]));
  return m;
}

int64_t
rel_find_nonfinite (const float *values, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    if (!isfinite (values[i]))
      return i;
  return -1;
}

gboolean
rel_tensor_check_finite (const RelTensor *t, const char *what, GError **error)
{
  int64_t at, rest;
  GString *pos;
  float v;

  if (t == NULL || t->dtype != REL_DTYPE_FLOAT32)
    return TRUE;
  at = rel_find_nonfinite (rel_tensor_f32 (t), t->numel);
  if (at < 0)
    return TRUE;
  v = rel_tensor_f32 (t)[at];
  pos = g_string_new ("[");
  rest = at;
  {
    int64_t idx[REL_MAX_DIMS];
    for (int d = t->ndim - 1; d >= 0; d--)
      {
        idx[d] = t->shape[d] > 0 ? rest % t->shape[d] : 0;
        rest = t->shape[d] > 0 ? rest / t->shape[d] : 0;
      }
    for (int d = 0; d < t->ndim; d++)
      g_string_append_printf (pos, "%s%" G_GINT64_FORMAT, d ? ", " : "", (gint64) idx[d]);
  }
  g_string_append_c (pos, ']');
  g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "%s holds %s at %s", what,
               isnan (v) ? "NaN" : v > 0 ? "+Inf" : "-Inf", pos->str);
  g_string_free (pos, TRUE);
  return FALSE;
}

float
rel_half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, u;
  float f;

  if (exp == 0)
    {
      /* zero or subnormal: mant · 2⁻²⁴, exact in float32 */
      f = ldexpf ((float) mant, -24);
      return sign ? -f : f;
    }
  if (exp == 31)
    u = sign | 0x7f800000u | (mant << 13);   /* inf, or NaN with its payload */
  else
    u = sign | ((exp + 112) << 23) | (mant << 13);
  memcpy (&f, &u, sizeof f);
  return f;
}

float
rel_bfloat16_to_float (guint16 b)
{
  guint32 u = (guint32) b << 16;
  float f;

  memcpy (&f, &u, sizeof f);
  return f;
}

float
rel_float_round_half (float x)
{
  guint32 u, a, sign;
  float f;

  memcpy (&u, &x, sizeof u);
  sign = u & 0x80000000u;
  a = u & 0x7fffffffu;
  if (a >= 0x7f800000u)
    return x;                             /* inf, NaN */
  if (a >= 0x477ff000u)                   /* ≥ 65520: past the halfway point above 65504 */
    u = sign | 0x7f800000u;
  else if (a >= 0x38800000u)
    {
      /* normal in binary16: keep 10 mantissa bits, ties to even */
      a += 0xfffu + ((a >> 13) & 1u);
      u = sign | (a & ~0x1fffu);
    }
  else
    {
      /* binary16's subnormal range: multiples of 2⁻²⁴ (rintf rounds ties to even) */
      f = ldexpf (rintf (ldexpf (fabsf (x), 24)), -24);
      return sign ? -f : f;
    }
  memcpy (&f, &u, sizeof f);
  return f;
}

float
rel_float_round_bfloat16 (float x)
{
  guint32 u;
  float f;

  memcpy (&u, &x, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return x;                             /* NaN */
  u += 0x7fffu + ((u >> 16) & 1u);        /* ties to even; overflow carries into inf */
  u &= 0xffff0000u;
  memcpy (&f, &u, sizeof f);
  return f;
}
