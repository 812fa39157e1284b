/* test-ops-shape.c — Reshape/Flatten/Squeeze/Unsqueeze views, Transpose, Concat,
 * Slice, Gather, Pad, Expand, ReduceMean/ReduceSum and the int64 shape ops.
 *
 * Forward values against hand-computed results or references computed here
 * by explicit index arithmetic; backward passes by finite differences.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "grad-check.h"
#include "rel-error.h"

#include <math.h>
#include <string.h>

static RelTensor *
f32 (int ndim, const int64_t *shape, const float *data)
{
  g_autoptr(GError) error = NULL;
  RelTensor *t = data ? rel_tensor_new_from_f32 (ndim, shape, data, &error)
                      : rel_tensor_new_f32 (ndim, shape, &error);
  g_assert_no_error (error);
  return t;
}

static RelTensor *
i64 (int n, const int64_t *values)
{
  int64_t shape[1] = { n };
  RelTensor *t = rel_tensor_new (REL_DTYPE_INT64, 1, shape, NULL);
  if (n > 0)
    memcpy (t->data, values, sizeof (int64_t) * n);
  return t;
}

static RelTensor *
iota (int ndim, const int64_t *shape)
{
  RelTensor *t = f32 (ndim, shape, NULL);
  for (int64_t i = 0; i < t->numel; i++)
    rel_tensor_f32 (t)[i] = (float) i;
  return t;
}

static RelTensor *
random_f32 (GRand *rand, int ndim, const int64_t *shape)
{
  RelTensor *t = f32 (ndim, shape, NULL);
  grad_check_fill_uniform (t, rand, -1, 1);
  return t;
}

static void
assert_shape (const RelTensor *t, int ndim, const int64_t *shape)
{
  g_assert_cmpint (t->ndim, ==, ndim);
  for (int i = 0; i < ndim; i++)
    g_assert_cmpint (t->shape[i], ==, shape[i]);
}

static void
assert_values (const RelTensor *t, const float *want, int64_t n)
{
  g_assert_cmpint (t->numel, ==, n);
  for (int64_t i = 0; i < n; i++)
    {
      float v = t->dtype == REL_DTYPE_FLOAT32 ? rel_tensor_f32 (t)[i] : (float) rel_tensor_i64 (t)[i];
      if (fabsf (v - want[i]) > 1e-5f * (1 + fabsf (want[i])))
        g_error ("element %" G_GINT64_FORMAT ": %g, expected %g", i, v, want[i]);
    }
}

/* Runs the op and returns output 0, asserting success. */
static RelTensor *
run (RelNode *node, RelTensor **in)
{
  g_autoptr(GError) error = NULL;
  RelTensor *y = grad_check_forward (node, in, &error);
  g_assert_no_error (error);
  g_assert_nonnull (y);
  return y;
}

static void
check_grad (RelNode *node, RelTensor **in, const gboolean *check)
{
  g_autoptr(GError) error = NULL;
  GradCheckResult res;
  if (!grad_check_run (node, in, check, NULL, &res, &error))
    g_error ("%s backward: %s", node->op_type, error->message);
  g_assert_cmpint (res.n_checked, >, 0);
}

/* ---- views ---- */

static void
test_reshape (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  int64_t xs[3] = { 2, 3, 4 };
  g_autoptr(RelTensor) x = random_f32 (rand, 3, xs);
  struct { int n; int64_t target[4]; int64_t allowzero; int nout; int64_t out[4]; } cases[] = {
    { 2, { 0, -1 }, 0, 2, { 2, 12 } },          /* 0 copies, -1 infers */
    { 3, { 4, 0, 2 }, 0, 3, { 4, 3, 2 } },
    { 1, { -1 }, 0, 1, { 24 } },
    { 4, { 2, 1, 3, 4 }, 1, 4, { 2, 1, 3, 4 } },
  };

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      RelNode *node = grad_check_node_new ("Reshape", 2, 1);
      g_autoptr(RelTensor) shape = i64 (cases[c].n, cases[c].target);
      g_autoptr(RelTensor) y = NULL;
      RelTensor *in[2] = { x, shape };
      gboolean check[2] = { TRUE, FALSE };

      grad_check_node_set_int (node, "allowzero", cases[c].allowzero);
      y = run (node, in);
      assert_shape (y, cases[c].nout, cases[c].out);
      /* a view: no copy */
      g_assert_true (y->data == x->data);
      check_grad (node, in, check);
      grad_check_node_free (node);
    }

  /* refused targets */
  {
    const int64_t bad[3][3] = { { -1, -1, 2 }, { 5, -1, 0 }, { 2, 3, 5 } };
    for (int c = 0; c < 3; c++)
      {
        RelNode *node = grad_check_node_new ("Reshape", 2, 1);
        g_autoptr(RelTensor) shape = i64 (3, bad[c]);
        g_autoptr(RelTensor) y = NULL;
        g_autoptr(GError) error = NULL;
        RelTensor *in[2] = { x, shape };
        y = grad_check_forward (node, in, &error);
        g_assert_null (y);
        g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
        grad_check_node_free (node);
      }
  }
}

static void
test_flatten (void)
{
  int64_t xs[4] = { 2, 3, 4, 5 };
  g_autoptr(RelTensor) x = iota (4, xs);
  struct { int64_t axis; int64_t out[2]; } cases[] = {
    { 0, { 1, 120 } }, { 1, { 2, 60 } }, { 2, { 6, 20 } }, { 4, { 120, 1 } }, { -1, { 24, 5 } }, { -3, { 2, 60 } },
  };

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      RelNode *node = grad_check_node_new ("Flatten", 1, 1);
      g_autoptr(RelTensor) y = NULL;
      RelTensor *in[1] = { x };
      gboolean check[1] = { TRUE };

      grad_check_node_set_int (node, "axis", cases[c].axis);
      y = run (node, in);
      assert_shape (y, 2, cases[c].out);
      g_assert_true (y->data == x->data);
      if (c == 2)
        check_grad (node, in, check);
      grad_check_node_free (node);
    }
}

static void
test_squeeze_unsqueeze (void)
{
  int64_t xs[4] = { 1, 3, 1, 2 };
  g_autoptr(RelTensor) x = iota (4, xs);

  /* Squeeze: all size-1 dims, attribute axes (opset < 13), input axes (opset 13) */
  {
    RelNode *node = grad_check_node_new ("Squeeze", 1, 1);
    g_autoptr(RelTensor) y = NULL;
    RelTensor *in[1] = { x };
    gboolean check[1] = { TRUE };
    int64_t want[2] = { 3, 2 };
    y = run (node, in);
    assert_shape (y, 2, want);
    check_grad (node, in, check);
    grad_check_node_free (node);
  }
  {
    RelNode *node = grad_check_node_new ("Squeeze", 1, 1);
    g_autoptr(RelTensor) y = NULL;
    RelTensor *in[1] = { x };
    int64_t axes[1] = { -2 }, want[3] = { 1, 3, 2 };
    grad_check_node_set_ints (node, "axes", axes, 1);
    y = run (node, in);
    assert_shape (y, 3, want);
    grad_check_node_free (node);
  }
  {
    RelNode *node = grad_check_node_new ("Squeeze", 2, 1);
    int64_t axes_v[1] = { 0 }, want[3] = { 3, 1, 2 };
    g_autoptr(RelTensor) axes = i64 (1, axes_v);
    g_autoptr(RelTensor) y = NULL;
    RelTensor *in[2] = { x, axes };
    y = run (node, in);
    assert_shape (y, 3, want);
    g_assert_true (y->data == x->data);
    grad_check_node_free (node);
  }
  {
    /* squeezing a dimension that is not 1 is an error */
    RelNode *node = grad_check_node_new ("Squeeze", 1, 1);
    g_autoptr(RelTensor) y = NULL;
    g_autoptr(GError) error = NULL;
    RelTensor *in[1] = { x };
    int64_t axes[1] = { 1 };
    grad_check_node_set_ints (node, "axes", axes, 1);
    y = grad_check_forward (node, in, &error);
    g_assert_null (y);
    g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
    grad_check_node_free (node);
  }
  /* Unsqueeze: axes index the output, negative from its end, any order */
  {
    RelNode *node = grad_check_node_new ("Unsqueeze", 1, 1);
    g_autoptr(RelTensor) y = NULL;
    RelTensor *in[1] = { x };
    gboolean check[1] = { TRUE };
    int64_t axes[2] = { -1, 0 }, want[6] = { 1, 1, 3, 1, 2, 1 };
    grad_check_node_set_ints (node, "axes", axes, 2);
    y = run (node, in);
    assert_shape (y, 6, want);
    check_grad (node, in, check);
    grad_check_node_free (node);
  }
  {
    RelNode *node = grad_check_node_new ("Unsqueeze", 2, 1);
    int64_t axes_v[2] = { 2, 1 }, want[6] = { 1, 1, 1, 3, 1, 2 };
    g_autoptr(RelTensor) axes = i64 (2, axes_v);
    g_autoptr(RelTensor) y = NULL;
    RelTensor *in[2] = { x, axes };
    y = run (node, in);
    assert_shape (y, 6, want);
    grad_check_node_free (node);
  }
}

/* ---- Transpose ---- */

static void
test_transpose (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (2);
  int64_t xs[4] = { 2, 3, 4, 5 };
  g_autoptr(RelTensor) x = random_f32 (rand, 4, xs);
  const int64_t perms[3][4] = { { 0, 2, 3, 1 }, { 3, 2, 1, 0 }, { 1, 0, 3, 2 } };

  for (int c = 0; c < 4; c++)
    {
      RelNode *node = grad_check_node_new ("Transpose", 1, 1);
      g_autoptr(RelTensor) y = NULL;
      RelTensor *in[1] = { x };
      gboolean check[1] = { TRUE };
      /* c == 3: no perm attribute, which reverses */
      const int64_t *perm = c < 3 ? perms[c] : perms[1];
      int64_t ys[4], idx[4];

      if (c < 3)
        grad_check_node_set_ints (node, "perm", perm, 4);
      y = run (node, in);
      for (int i = 0; i < 4; i++)
        ys[i] = xs[perm[i]];
      assert_shape (y, 4, ys);
      for (int64_t o = 0; o < y->numel; o++)
        {
          int64_t r = o, src = 0, xidx[4];
          for (int i = 3; i >= 0; i--)
            {
              idx[i] = r % ys[i];
              r /= ys[i];
            }
          for (int i = 0; i < 4; i++)
            xidx[perm[i]] = idx[i];
          for (int i = 0; i < 4; i++)
            src = src * xs[i] + xidx[i];
          g_assert_cmpfloat (rel_tensor_f32 (y)[o], ==, rel_tensor_f32 (x)[src]);
        }
      check_grad (node, in, check);
      grad_check_node_free (node);
    }

  /* int64 data (shape arithmetic) and a bad permutation */
  {
    RelNode *node = grad_check_node_new ("Transpose", 1, 1);
    int64_t s2[2] = { 2, 3 }, v[6] = { 1, 2, 3, 4, 5, 6 };
    g_autoptr(RelTensor) t = rel_tensor_new (REL_DTYPE_INT64, 2, s2, NULL);
    g_autoptr(RelTensor) y = NULL;
    g_autoptr(GError) error = NULL;
    RelTensor *in[1] = { t };
    const float want[6] = { 1, 4, 2, 5, 3, 6 };
    int64_t bad[2] = { 0, 0 };
    memcpy (t->data, v, sizeof v);
    y = run (node, in);
    g_assert_cmpint (y->dtype, ==, REL_DTYPE_INT64);
    assert_values (y, want, 6);
    g_clear_pointer (&y, rel_tensor_unref);
    grad_check_node_set_ints (node, "perm", bad, 2);
    y = grad_check_forward (node, in, &error);
    g_assert_null (y);
    g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
    grad_check_node_free (node);
  }
}

/* ---- Concat ---- */

static void
test_concat (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  int64_t as[3] = { 2, 1, 3 }, bs[3] = { 2, 2, 3 }, cs[3] = { 2, 3, 3 };
  g_autoptr(RelTensor) a = random_f32 (rand, 3, as);
  g_autoptr(RelTensor) b = random_f32 (rand, 3, bs);
  g_autoptr(RelTensor) c = random_f32 (rand, 3, cs);
  RelNode *node = grad_check_node_new ("Concat", 3, 1);
  g_autoptr(RelTensor) y = NULL;
  RelTensor *in[3] = { a, b, c };
  gboolean check[3] = { TRUE, TRUE, TRUE };
  int64_t ys[3] = { 2, 6, 3 };

  grad_check_node_set_int (node, "axis", -2);
  y = run (node, in);
  assert_shape (y, 3, ys);
  for (int n = 0; n < 2; n++)
    for (int k = 0; k < 6; k++)
      for (int j = 0; j < 3; j++)
        {
          float want = k < 1 ? rel_tensor_f32 (a)[(n * 1 + k) * 3 + j]
                     : k < 3 ? rel_tensor_f32 (b)[(n * 2 + k - 1) * 3 + j]
                             : rel_tensor_f32 (c)[(n * 3 + k - 3) * 3 + j];
          g_assert_cmpfloat (rel_tensor_f32 (y)[(n * 6 + k) * 3 + j], ==, want);
        }
  check_grad (node, in, check);

  /* shapes that differ off the axis are refused */
  {
    g_autoptr(RelTensor) y2 = NULL;
    g_autoptr(GError) error = NULL;
    grad_check_node_set_int (node, "axis", 0);
    y2 = grad_check_forward (node, in, &error);
    g_assert_null (y2);
    g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
  }
  grad_check_node_free (node);

  /* int64: the Shape → Concat → Reshape idiom */
  {
    RelNode *n2 = grad_check_node_new ("Concat", 2, 1);
    int64_t v1[2] = { 1, -1 }, v2[1] = { 7 };
    g_autoptr(RelTensor) t1 = i64 (2, v1);
    g_autoptr(RelTensor) t2 = i64 (1, v2);
    g_autoptr(RelTensor) y2 = NULL;
    RelTensor *in2[2] = { t1, t2 };
    const float want[3] = { 1, -1, 7 };
    grad_check_node_set_int (n2, "axis", 0);
    y2 = run (n2, in2);
    g_assert_cmpint (y2->dtype, ==, REL_DTYPE_INT64);
    assert_values (y2, want, 3);
    grad_check_node_free (n2);
  }
}

/* ---- Slice ---- */

static void
test_slice (void)
{
  int64_t xs[2] = { 3, 5 };
  g_autoptr(RelTensor) x = iota (2, xs);   /* x[i][j] = 5i + j */
  struct {
    int n; int64_t starts[2], ends[2], axes[2], steps[2];
    int64_t out[2]; float want[15];
  } cases[] = {
    /* rows 1.., columns 0..3 step 2 */
    { 2, { 1, 0 }, { 100, 4 }, { 0, 1 }, { 1, 2 }, { 2, 2 }, { 5, 7, 10, 12 } },
    /* negative step, negative start: columns 4,3,2 reversed, end clamps */
    { 1, { -1 }, { -4 }, { 1 }, { -1 }, { 3, 3 }, { 4, 3, 2, 9, 8, 7, 14, 13, 12 } },
    /* negative axis, everything from -2 */
    { 1, { -2 }, { G_MAXINT64 }, { -2 }, { 1 }, { 2, 5 }, { 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 } },
    /* reversed whole axis with the INT64_MIN end idiom */
    { 1, { -1 }, { G_MININT64 }, { 0 }, { -1 }, { 3, 5 }, { 10, 11, 12, 13, 14, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4 } },
    /* empty result */
    { 1, { 3 }, { 1 }, { 1 }, { 1 }, { 3, 0 }, { 0 } },
    /* extreme steps take one element without overflowing */
    { 1, { 0 }, { 5 }, { 1 }, { G_MAXINT64 }, { 3, 1 }, { 0, 5, 10 } },
    { 1, { -1 }, { G_MININT64 }, { 1 }, { G_MININT64 }, { 3, 1 }, { 4, 9, 14 } },
  };

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      RelNode *node = grad_check_node_new ("Slice", 5, 1);
      g_autoptr(RelTensor) st = i64 (cases[c].n, cases[c].starts);
      g_autoptr(RelTensor) en = i64 (cases[c].n, cases[c].ends);
      g_autoptr(RelTensor) ax = i64 (cases[c].n, cases[c].axes);
      g_autoptr(RelTensor) sp = i64 (cases[c].n, cases[c].steps);
      g_autoptr(RelTensor) y = NULL;
      RelTensor *in[5] = { x, st, en, ax, sp };
      gboolean check[5] = { TRUE, FALSE, FALSE, FALSE, FALSE };

      y = run (node, in);
      assert_shape (y, 2, cases[c].out);
      assert_values (y, cases[c].want, cases[c].out[0] * cases[c].out[1]);
      if (y->numel > 0)
        check_grad (node, in, check);
      grad_check_node_free (node);
    }

  /* opset < 10: starts/ends/axes attributes */
  {
    RelNode *node = grad_check_node_new ("Slice", 1, 1);
    int64_t starts[1] = { 1 }, ends[1] = { 3 }, axes[1] = { 1 }, out[2] = { 3, 2 };
    const float want[6] = { 1, 2, 6, 7, 11, 12 };
    g_autoptr(RelTensor) y = NULL;
    RelTensor *in[1] = { x };
    grad_check_node_set_ints (node, "starts", starts, 1);
    grad_check_node_set_ints (node, "ends", ends, 1);
    grad_check_node_set_ints (node, "axes", axes, 1);
    y = run (node, in);
    assert_shape (y, 2, out);
    assert_values (y, want, 6);
    grad_check_node_free (node);
  }
  /* step 0 is an error */
  {
    RelNode *node = grad_check_node_new ("Slice", 5, 1);
    int64_t z[1] = { 0 }, one[1] = { 1 };
    g_autoptr(RelTensor) st = i64 (1, z);
    g_autoptr(RelTensor) en = i64 (1, one);
    g_autoptr(RelTensor) ax = i64 (1, z);
    g_autoptr(RelTensor) sp = i64 (1, z);
    g_autoptr(RelTensor) y = NULL;
    g_autoptr(GError) error = NULL;
    RelTensor *in[5] = { x, st, en, ax, sp };
    y = grad_check_forward (node, in, &error);
    g_assert_null (y);
    g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
    grad_check_node_free (node);
  }
}

/* ---- Gather ---- */

static void
test_gather (void)
{
  int64_t xs[3] = { 3, 4, 2 };
  g_autoptr(RelTensor) x = iota (3, xs);   /* x[i][j][k] = 8i + 2j + k */
  int64_t is[2] = { 2, 2 };
  g_autoptr(RelTensor) idx = rel_tensor_new (REL_DTYPE_INT64, 2, is, NULL);
  const int64_t iv[4] = { 1, -1, 0, 1 };   /* repeated index 1, negative -1 */

  memcpy (idx->data, iv, sizeof iv);
  for (int axis = 0; axis < 2; axis++)
    {
      RelNode *node = grad_check_node_new ("Gather", 2, 1);
      g_autoptr(RelTensor) y = NULL;
      RelTensor *in[2] = { x, idx };
      gboolean check[2] = { TRUE, FALSE };

      grad_check_node_set_int (node, "axis", axis);
      y = run (node, in);
      if (axis == 0)
        {
          int64_t out[4] = { 2, 2, 4, 2 };
          assert_shape (y, 4, out);
          for (int a = 0; a < 4; a++)
            for (int r = 0; r < 8; r++)
              {
                int64_t i = iv[a] < 0 ? iv[a] + 3 : iv[a];
                g_assert_cmpfloat (rel_tensor_f32 (y)[a * 8 + r], ==, (float) (8 * i + r));
              }
        }
      else
        {
          int64_t out[4] = { 3, 2, 2, 2 };
          assert_shape (y, 4, out);
          for (int i = 0; i < 3; i++)
            for (int a = 0; a < 4; a++)
              for (int k = 0; k < 2; k++)
                {
                  int64_t j = iv[a] < 0 ? iv[a] + 4 : iv[a];
                  g_assert_cmpfloat (rel_tensor_f32 (y)[(i * 4 + a) * 2 + k], ==, (float) (8 * i + 2 * j + k));
                }
        }
      /* repeated indices must accumulate in the backward */
      check_grad (node, in, check);
      grad_check_node_free (node);
    }

  /* int64 data, scalar index: Shape → Gather(0-D) picks one dimension */
  {
    RelNode *node = grad_check_node_new ("Gather", 2, 1);
    int64_t dims[4] = { 1, 3, 224, 224 };
    g_autoptr(RelTensor) shape = i64 (4, dims);
    g_autoptr(RelTensor) k = rel_tensor_new (REL_DTYPE_INT64, 0, NULL, NULL);
    g_autoptr(RelTensor) y = NULL;
    RelTensor *in[2] = { shape, k };
    rel_tensor_i64 (k)[0] = -3;
    y = run (node, in);
    g_assert_cmpint (y->ndim, ==, 0);
    g_assert_cmpint (rel_tensor_i64 (y)[0], ==, 3);
    grad_check_node_free (node);
  }
  /* Size: the element count as an int64 scalar */
  {
    RelNode *node = grad_check_node_new ("Size", 1, 1);
    g_autoptr(RelTensor) y = NULL;
    RelTensor *in[1] = { x };
    y = run (node, in);
    g_assert_cmpint (y->dtype, ==, REL_DTYPE_INT64);
    g_assert_cmpint (y->ndim, ==, 0);
    g_assert_cmpint (rel_tensor_i64 (y)[0], ==, 24);
    grad_check_node_free (node);
  }
  /* out-of-range index */
  {
    RelNode *node = grad_check_node_new ("Gather", 2, 1);
    int64_t bad[1] = { 3 };
    g_autoptr(RelTensor) b = i64 (1, bad);
    g_autoptr(RelTensor) y = NULL;
    g_autoptr(GError) error = NULL;
    RelTensor *in[2] = { x, b };
    y = grad_check_forward (node, in, &error);
    g_assert_null (y);
    g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
    grad_check_node_free (node);
  }
}

/* ---- Pad ---- */

static void
test_pad (void)
{
  int64_t xs[2] = { 2, 3 }, out[2] = { 2, 6 };
  const float xv[6] = { 1, 2, 3, 4, 5, 6 };
  g_autoptr(RelTensor) x = f32 (2, xs, xv);
  /* begin axis 0, begin axis 1, end axis 0, end axis 1 */
  int64_t pads_v[4] = { 0, 2, 0, 1 };
  struct { const char *mode; float want[12]; } cases[] = {
    { "constant", { 9, 9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9 } },
    { "reflect", { 3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5 } },
    { "edge", { 1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6 } },
    { "wrap", { 2, 3, 1, 2, 3, 1, 5, 6, 4, 5, 6, 4 } },
  };

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      /* opset 11+: pads and constant_value as inputs */
      RelNode *node = grad_check_node_new ("Pad", 3, 1);
      g_autoptr(RelTensor) pads = i64 (4, pads_v);
      g_autoptr(RelTensor) value = rel_tensor_new_f32 (0, NULL, NULL);
      g_autoptr(RelTensor) y = NULL;
      RelTensor *in[3] = { x, pads, value };
      gboolean check[3] = { TRUE, FALSE, FALSE };

      rel_tensor_f32 (value)[0] = 9;
      grad_check_node_set_string (node, "mode", cases[c].mode);
      y = run (node, in);
      assert_shape (y, 2, out);
      assert_values (y, cases[c].want, 12);
      /* reflect/edge/wrap send several outputs' gradients to one input */
      check_grad (node, in, check);
      grad_check_node_free (node);
    }

  /* opset < 11: pads and value as attributes; negative pads crop */
  {
    RelNode *node = grad_check_node_new ("Pad", 1, 1);
    int64_t p[4] = { 1, -1, 0, 0 }, o[2] = { 3, 2 };
    const float want[6] = { -1, -1, 2, 3, 5, 6 };
    g_autoptr(RelTensor) y = NULL;
    RelTensor *in[1] = { x };
    gboolean check[1] = { TRUE };
    grad_check_node_set_ints (node, "pads", p, 4);
    grad_check_node_set_float (node, "value", -1);
    y = run (node, in);
    assert_shape (y, 2, o);
    assert_values (y, want, 6);
    check_grad (node, in, check);
    grad_check_node_free (node);
  }
  /* an unknown mode is refused at prepare */
  {
    RelNode *node = grad_check_node_new ("Pad", 1, 1);
    g_autoptr(GError) error = NULL;
    grad_check_node_set_string (node, "mode", "mirror");
    g_assert_false (grad_check_node_prepare (node, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    grad_check_node_free (node);
  }
}

/* ---- ReduceMean / ReduceSum ---- */

static void
test_reduce (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  int64_t xs[3] = { 2, 3, 4 };
  g_autoptr(RelTensor) x = random_f32 (rand, 3, xs);
  const char *ops[2] = { "ReduceMean", "ReduceSum" };
  struct { int n; int64_t axes[2]; int keepdims; int nout; int64_t out[3]; gboolean as_input; } cases[] = {
    { 2, { -1, 1 }, 1, 3, { 2, 1, 1 }, FALSE },     /* global average pooling's shape */
    { 1, { 0 }, 0, 2, { 3, 4 }, FALSE },
    { 0, { 0 }, 0, 0, { 0 }, FALSE },               /* no axes: everything */
    { 1, { 1 }, 1, 3, { 2, 1, 4 }, TRUE },          /* opset 13/18: axes input */
  };

  for (int o = 0; o < 2; o++)
    for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
      {
        RelNode *node = grad_check_node_new (ops[o], cases[c].as_input ? 2 : 1, 1);
        g_autoptr(RelTensor) axes = i64 (cases[c].n, cases[c].axes);
        g_autoptr(RelTensor) y = NULL;
        RelTensor *in[2] = { x, axes };
        gboolean check[2] = { TRUE, FALSE };
        gboolean red[3] = { cases[c].n == 0, cases[c].n == 0, cases[c].n == 0 };
        double want[24] = { 0 };
        int64_t count = 1;

        if (!cases[c].as_input && cases[c].n > 0)
          grad_check_node_set_ints (node, "axes", cases[c].axes, cases[c].n);
        grad_check_node_set_int (node, "keepdims", cases[c].keepdims);
        y = run (node, in);
        assert_shape (y, cases[c].nout, cases[c].out);
        for (int i = 0; i < cases[c].n; i++)
          red[(cases[c].axes[i] + 3) % 3] = TRUE;
        for (int d = 0; d < 3; d++)
          if (red[d])
            count *= xs[d];
        /* reference: the output offset of every input element from its kept indices */
        for (int a = 0; a < 2; a++)
          for (int b = 0; b < 3; b++)
            for (int k = 0; k < 4; k++)
              {
                int64_t off = 0;
                int64_t ii[3] = { a, b, k };
                for (int d = 0; d < 3; d++)
                  if (!red[d])
                    off = off * xs[d] + ii[d];
                want[off] += rel_tensor_f32 (x)[(a * 3 + b) * 4 + k] / (o == 0 ? count : 1);
              }
        for (int64_t i = 0; i < y->numel; i++)
          g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[i], want[i], 1e-5);
        check_grad (node, in, check);
        grad_check_node_free (node);
      }
}

static double
reduce_ref (const char *op, const double *v, int n)
{
  double acc = strcmp (op, "ReduceMax") == 0 ? -INFINITY : strcmp (op, "ReduceMin") == 0 ? INFINITY
             : strcmp (op, "ReduceProd") == 0 ? 1 : 0;
  for (int i = 0; i < n; i++)
    {
      if (strcmp (op, "ReduceMax") == 0)
        acc = fmax (acc, v[i]);
      else if (strcmp (op, "ReduceMin") == 0)
        acc = fmin (acc, v[i]);
      else if (strcmp (op, "ReduceProd") == 0)
        acc *= v[i];
      else if (strcmp (op, "ReduceL1") == 0)
        acc += fabs (v[i]);
      else if (strcmp (op, "ReduceL2") == 0 || strcmp (op, "ReduceSumSquare") == 0)
        acc += v[i] * v[i];
      else if (strcmp (op, "ReduceLogSumExp") == 0)
        acc += exp (v[i]);
      else
        acc += v[i];
    }
  if (strcmp (op, "ReduceL2") == 0)
    return sqrt (acc);
  if (strcmp (op, "ReduceLogSum") == 0 || strcmp (op, "ReduceLogSumExp") == 0)
    return log (acc);
  return acc;
}

/* The other reductions over axis 1 of a 2×3×4 tensor, keepdims 0. */
static void
test_reduce_family (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  const char *ops[] = { "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                        "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp" };
  int64_t xs[3] = { 2, 3, 4 }, out[2] = { 2, 4 }, axis = 1;

  for (gsize o = 0; o < G_N_ELEMENTS (ops); o++)
    {
      RelNode *node = grad_check_node_new (ops[o], 1, 1);
      g_autoptr(RelTensor) x = f32 (3, xs, NULL);
      g_autoptr(RelTensor) y = NULL;
      RelTensor *in[1] = { x };
      gboolean check[1] = { TRUE };
      /* LogSum needs a positive sum */
      float lo = strcmp (ops[o], "ReduceLogSum") == 0 ? 0.2f : -2;

      grad_check_fill_uniform (x, rand, lo, 2);
      grad_check_node_set_ints (node, "axes", &axis, 1);
      grad_check_node_set_int (node, "keepdims", 0);
      y = run (node, in);
      assert_shape (y, 2, out);
      for (int a = 0; a < 2; a++)
        for (int k = 0; k < 4; k++)
          {
            double v[3];
            for (int b = 0; b < 3; b++)
              v[b] = rel_tensor_f32 (x)[(a * 3 + b) * 4 + k];
            g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[a * 4 + k], reduce_ref (ops[o], v, 3), 1e-5);
          }
      check_grad (node, in, check);
      grad_check_node_free (node);
    }

  /* ReduceProd's gradient at an exact zero is the product of the others */
  {
    RelNode *node = grad_check_node_new ("ReduceProd", 1, 1);
    int64_t s3[1] = { 3 };
    const float xv[3] = { 2, 0, 3 }, want[3] = { 0, 6, 0 };
    g_autoptr(RelTensor) x = f32 (1, s3, xv);
    g_autoptr(RelTensor) g = rel_tensor_new_f32 (1, (int64_t[]) { 1 }, NULL);
    g_autoptr(GError) error = NULL;
    RelTensor *in[1] = { x }, *outs[1] = { NULL }, *gin[1] = { NULL };
    gboolean need[1] = { TRUE };
    g_assert_true (grad_check_node_prepare (node, &error));
    g_assert_true (node->op->forward (node, in, outs, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpfloat (rel_tensor_f32 (outs[0])[0], ==, 0);
    rel_tensor_f32 (g)[0] = 1;
    g_assert_true (node->op->backward (node, in, outs, g, gin, need, NULL, &error));
    g_assert_no_error (error);
    assert_values (gin[0], want, 3);
    rel_tensor_unref (outs[0]);
    rel_tensor_unref (gin[0]);
    grad_check_node_free (node);
  }
}

static void
test_split (void)
{
  int64_t xs[2] = { 2, 5 };
  g_autoptr(RelTensor) x = iota (2, xs);   /* x[i][j] = 5i + j */
  g_autoptr(GError) error = NULL;
  RelNode *node = grad_check_node_new ("Split", 2, 3);
  int64_t sizes_v[3] = { 1, 3, 1 };
  g_autoptr(RelTensor) sizes = i64 (3, sizes_v);
  RelTensor *in[2] = { x, sizes };
  RelTensor *outs[3] = { NULL };
  const float w0[2] = { 0, 5 }, w1[6] = { 1, 2, 3, 6, 7, 8 }, w2[2] = { 4, 9 };

  grad_check_node_set_int (node, "axis", -1);
  g_assert_true (grad_check_node_prepare (node, &error));
  g_assert_true (node->op->forward (node, in, outs, NULL, &error));
  g_assert_no_error (error);
  assert_values (outs[0], w0, 2);
  assert_values (outs[1], w1, 6);
  assert_values (outs[2], w2, 2);
  for (int k = 0; k < 3; k++)
    g_clear_pointer (&outs[k], rel_tensor_unref);

  /* sizes that do not add up */
  rel_tensor_i64 (sizes)[1] = 2;
  g_assert_false (node->op->forward (node, in, outs, NULL, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
  g_clear_error (&error);
  for (int k = 0; k < 3; k++)
    g_clear_pointer (&outs[k], rel_tensor_unref);
  grad_check_node_free (node);

  /* no sizes: equal parts along axis 0 */
  node = grad_check_node_new ("Split", 1, 2);
  {
    RelTensor *in1[1] = { x };
    const float r0[5] = { 0, 1, 2, 3, 4 }, r1[5] = { 5, 6, 7, 8, 9 };
    g_assert_true (grad_check_node_prepare (node, &error));
    g_assert_true (node->op->forward (node, in1, outs, NULL, &error));
    g_assert_no_error (error);
    assert_values (outs[0], r0, 5);
    assert_values (outs[1], r1, 5);
    for (int k = 0; k < 2; k++)
      g_clear_pointer (&outs[k], rel_tensor_unref);
  }
  grad_check_node_free (node);

  /* backward: every output's cotangent against finite differences, and an
   * unread output (NULL cotangent) leaves zeros in its part */
  {
    int64_t shape[3] = { 2, 6, 3 }, sv[3] = { 2, 1, 3 };
    g_autoptr(GRand) rand = g_rand_new_with_seed (3);
    g_autoptr(RelTensor) x3 = rel_tensor_new_f32 (3, shape, &error);
    g_autoptr(RelTensor) s3 = i64 (3, sv);
    RelTensor *in3[2] = { x3, s3 };
    gboolean check[2] = { TRUE, FALSE }, need[2] = { TRUE, FALSE };
    GradCheckResult res = { 0 };
    RelTensor *grads[2] = { NULL };
    g_autoptr(RelTensor) g2 = NULL;
    const RelTensor *gouts[3] = { NULL };

    grad_check_fill_uniform (x3, rand, -1, 1);
    node = grad_check_node_new ("Split", 2, 3);
    grad_check_node_set_int (node, "axis", 1);
    g_assert_true (grad_check_run (node, in3, check, NULL, &res, &error));
    g_assert_no_error (error);
    g_assert_cmpint (res.n_checked, ==, x3->numel);
    g_assert_cmpfloat (res.max_rel_err, <=, 1e-3);

    g_assert_true (node->op->forward (node, in3, outs, NULL, &error));
    g2 = rel_tensor_new_like (outs[2], &error);
    rel_tensor_fill (g2, 1.f);
    gouts[2] = g2;
    g_assert_true (node->op->backward_outputs (node, in3, outs, gouts, grads, need, NULL, &error));
    g_assert_no_error (error);
    for (int64_t b = 0; b < 2; b++)
      for (int64_t c = 0; c < 6; c++)
        for (int64_t w = 0; w < 3; w++)
          g_assert_cmpfloat (rel_tensor_f32 (grads[0])[(b * 6 + c) * 3 + w], ==, c >= 3 ? 1.f : 0.f);
    rel_tensor_unref (grads[0]);
    for (int k = 0; k < 3; k++)
      g_clear_pointer (&outs[k], rel_tensor_unref);
    grad_check_node_free (node);
  }
}

/* ---- ScatterND ---- */

/* Every reduction against a loop written from the ONNX definition, on a 4×3
 * data tensor with row slices (k = 1) at a repeated and a negative index, and
 * its VJP against finite differences for the data and the updates. */
static void
test_scatter_nd (void)
{
  static const char *const reductions[] = { "none", "add", "mul", "max", "min" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (21);
  int64_t xs[2] = { 4, 3 }, is[2] = { 3, 1 }, us[2] = { 3, 3 };
  const int64_t rows[3] = { 2, -4, 2 };   /* row 2 twice, row 0 as -4 */
  g_autoptr(RelTensor) x = random_f32 (rand, 2, xs);
  g_autoptr(RelTensor) u = random_f32 (rand, 2, us);
  g_autoptr(RelTensor) idx = rel_tensor_new (REL_DTYPE_INT64, 2, is, NULL);

  memcpy (idx->data, rows, sizeof rows);
  for (gsize r = 0; r < G_N_ELEMENTS (reductions); r++)
    {
      RelNode *node = grad_check_node_new ("ScatterND", 3, 1);
      g_autoptr(RelTensor) y = NULL;
      RelTensor *in[3] = { x, idx, u };
      gboolean check[3] = { TRUE, FALSE, TRUE };
      float want[12];

      grad_check_node_set_string (node, "reduction", reductions[r]);
      memcpy (want, x->data, sizeof want);
      for (int t = 0; t < 3; t++)
        for (int e = 0; e < 3; e++)
          {
            float *w = &want[(rows[t] < 0 ? rows[t] + 4 : rows[t]) * 3 + e];
            float v = rel_tensor_f32 (u)[t * 3 + e];
            switch (r)
              {
              case 0: *w = v; break;
              case 1: *w += v; break;
              case 2: *w *= v; break;
              case 3: *w = MAX (*w, v); break;
              default: *w = MIN (*w, v); break;
              }
          }
      y = run (node, in);
      assert_shape (y, 2, xs);
      assert_values (y, want, 12);
      /* none: row 2's first update is overwritten, so its gradient is zero */
      check_grad (node, in, check);
      grad_check_node_free (node);
    }

  /* k = 2 addresses single elements of a 3-D tensor's rows; int64 data works
   * (the shape arithmetic exporters fold) */
  {
    RelNode *node = grad_check_node_new ("ScatterND", 3, 1);
    int64_t ds[3] = { 2, 2, 2 }, is2[2] = { 2, 2 }, us2[2] = { 2, 2 };
    const int64_t ii[4] = { 1, 0, 0, 1 };
    g_autoptr(RelTensor) d = rel_tensor_new (REL_DTYPE_INT64, 3, ds, NULL);
    g_autoptr(RelTensor) ix = rel_tensor_new (REL_DTYPE_INT64, 2, is2, NULL);
    g_autoptr(RelTensor) up = rel_tensor_new (REL_DTYPE_INT64, 2, us2, NULL);
    g_autoptr(RelTensor) y = NULL;
    RelTensor *in[3] = { d, ix, up };
    const float want[8] = { 0, 1, -3, -4, -1, -2, 6, 7 };   /* [1,0,:] ← -1,-2; [0,1,:] ← -3,-4 */

    for (int i = 0; i < 8; i++)
      rel_tensor_i64 (d)[i] = i;
    memcpy (ix->data, ii, sizeof ii);
    for (int i = 0; i < 4; i++)
      rel_tensor_i64 (up)[i] = -1 - i;
    y = run (node, in);
    g_assert_cmpint (y->dtype, ==, REL_DTYPE_INT64);
    assert_values (y, want, 8);
    grad_check_node_free (node);
  }

  /* bad indices and shapes are errors naming the problem */
  {
    RelNode *node = grad_check_node_new ("ScatterND", 3, 1);
    const int64_t bad[3] = { 2, 4, 0 };
    g_autoptr(RelTensor) ib = rel_tensor_new (REL_DTYPE_INT64, 2, is, NULL);
    g_autoptr(RelTensor) u2 = random_f32 (rand, 1, xs);
    g_autoptr(RelTensor) y = NULL;
    g_autoptr(GError) error = NULL;
    RelTensor *in[3] = { x, ib, u };

    memcpy (ib->data, bad, sizeof bad);
    y = grad_check_forward (node, in, &error);
    g_assert_null (y);
    g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "out of range"));
    g_clear_error (&error);
    in[1] = idx;
    in[2] = u2;   /* rank 1 where the updates need rank 2 */
    y = grad_check_forward (node, in, &error);
    g_assert_null (y);
    g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
    grad_check_node_free (node);
  }
}

/* Tile, CumSum, Trilu, GatherElements, DepthToSpace/SpaceToDepth: references and FD */
static void
test_misc (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (8);
  int64_t xs[2] = { 2, 3 };
  g_autoptr(RelTensor) x = random_f32 (rand, 2, xs);

  /* Tile [2,3] by [2,2] */
  {
    RelNode *node = grad_check_node_new ("Tile", 2, 1);
    int64_t r[2] = { 2, 2 }, out[2] = { 4, 6 };
    g_autoptr(RelTensor) reps = i64 (2, r);
    g_autoptr(RelTensor) y = NULL;
    RelTensor *in[2] = { x, reps };
    gboolean check[2] = { TRUE, FALSE };
    y = run (node, in);
    assert_shape (y, 2, out);
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 6; j++)
        g_assert_cmpfloat (rel_tensor_f32 (y)[i * 6 + j], ==, rel_tensor_f32 (x)[(i % 2) * 3 + j % 3]);
    check_grad (node, in, check);
    grad_check_node_free (node);
  }
  /* CumSum along axis 1, every exclusive/reverse combination */
  for (int mode = 0; mode < 4; mode++)
    {
      RelNode *node = grad_check_node_new ("CumSum", 2, 1);
      g_autoptr(RelTensor) axis = rel_tensor_new (REL_DTYPE_INT64, 0, NULL, NULL);
      g_autoptr(RelTensor) y = NULL;
      RelTensor *in[2] = { x, axis };
      gboolean check[2] = { TRUE, FALSE };
      gboolean exclusive = mode & 1, reverse = mode >> 1;
      rel_tensor_i64 (axis)[0] = -1;
      grad_check_node_set_int (node, "exclusive", exclusive);
      grad_check_node_set_int (node, "reverse", reverse);
      y = run (node, in);
      for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
          {
            double want = 0;
            for (int k = 0; k < 3; k++)
              if (reverse ? (exclusive ? k > j : k >= j) : (exclusive ? k < j : k <= j))
                want += rel_tensor_f32 (x)[i * 3 + k];
            g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[i * 3 + j], want, 1e-6);
          }
      check_grad (node, in, check);
      grad_check_node_free (node);
    }
  /* Trilu: lower triangle with k = 1 */
  {
    RelNode *node = grad_check_node_new ("Trilu", 2, 1);
    g_autoptr(RelTensor) k = rel_tensor_new (REL_DTYPE_INT64, 0, NULL, NULL);
    g_autoptr(RelTensor) y = NULL;
    RelTensor *in[2] = { x, k };
    gboolean check[2] = { TRUE, FALSE };
    rel_tensor_i64 (k)[0] = 1;
    grad_check_node_set_int (node, "upper", 0);
    y = run (node, in);
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 3; j++)
        g_assert_cmpfloat (rel_tensor_f32 (y)[i * 3 + j], ==, j - i <= 1 ? rel_tensor_f32 (x)[i * 3 + j] : 0);
    check_grad (node, in, check);
    grad_check_node_free (node);
  }
  /* GatherElements along axis 1 with a repeated and a negative index */
  {
    RelNode *node = grad_check_node_new ("GatherElements", 2, 1);
    int64_t is[2] = { 2, 2 };
    const int64_t iv[4] = { 2, 2, -3, 1 };
    g_autoptr(RelTensor) idx = rel_tensor_new (REL_DTYPE_INT64, 2, is, NULL);
    g_autoptr(RelTensor) y = NULL;
    RelTensor *in[2] = { x, idx };
    gboolean check[2] = { TRUE, FALSE };
    const float *px = rel_tensor_f32 (x);
    memcpy (idx->data, iv, sizeof iv);
    grad_check_node_set_int (node, "axis", 1);
    y = run (node, in);
    assert_shape (y, 2, is);
    g_assert_cmpfloat (rel_tensor_f32 (y)[0], ==, px[2]);
    g_assert_cmpfloat (rel_tensor_f32 (y)[1], ==, px[2]);
    g_assert_cmpfloat (rel_tensor_f32 (y)[2], ==, px[3]);
    g_assert_cmpfloat (rel_tensor_f32 (y)[3], ==, px[4]);
    check_grad (node, in, check);
    grad_check_node_free (node);
  }
  /* DepthToSpace (both modes) is undone by SpaceToDepth in DCR mode; FD for both */
  {
    int64_t s4[4] = { 1, 8, 2, 3 }, d2s_out[4] = { 1, 2, 4, 6 };
    g_autoptr(RelTensor) t = random_f32 (rand, 4, s4);
    for (int crd = 0; crd < 2; crd++)
      {
        RelNode *d2s = grad_check_node_new ("DepthToSpace", 1, 1);
        RelNode *s2d = grad_check_node_new ("SpaceToDepth", 1, 1);
        g_autoptr(RelTensor) y = NULL, back = NULL;
        RelTensor *in[1] = { t }, *in2[1] = { NULL };
        gboolean check[1] = { TRUE };
        grad_check_node_set_int (d2s, "blocksize", 2);
        grad_check_node_set_int (s2d, "blocksize", 2);
        grad_check_node_set_string (d2s, "mode", crd ? "CRD" : "DCR");
        y = run (d2s, in);
        assert_shape (y, 4, d2s_out);
        /* DCR: y[0, c, 2h + i, 2w + j] = x[0, (2i + j)·2 + c, h, w] */
        for (int c = 0; c < 2; c++)
          for (int h = 0; h < 4; h++)
            for (int w = 0; w < 6; w++)
              {
                int64_t ch = crd ? c * 4 + (h % 2) * 2 + w % 2 : ((h % 2) * 2 + w % 2) * 2 + c;
                g_assert_cmpfloat (rel_tensor_f32 (y)[(c * 4 + h) * 6 + w], ==,
                                   rel_tensor_f32 (t)[(ch * 2 + h / 2) * 3 + w / 2]);
              }
        if (!crd)
          {
            in2[0] = y;
            back = run (s2d, in2);
            assert_shape (back, 4, s4);
            g_assert_cmpmem (back->data, back->numel * 4, t->data, t->numel * 4);
            check_grad (s2d, in2, check);
          }
        check_grad (d2s, in, check);
        grad_check_node_free (d2s);
        grad_check_node_free (s2d);
      }
  }
}

/* ---- Expand ---- */

static void
test_expand (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (6);
  int64_t xs[2] = { 3, 1 };
  g_autoptr(RelTensor) x = random_f32 (rand, 2, xs);
  /* bidirectional: a target 1 keeps the input's 3 */
  int64_t target_v[3] = { 2, 1, 4 }, out[3] = { 2, 3, 4 };
  g_autoptr(RelTensor) target = i64 (3, target_v);
  RelNode *node = grad_check_node_new ("Expand", 2, 1);
  g_autoptr(RelTensor) y = NULL;
  RelTensor *in[2] = { x, target };
  gboolean check[2] = { TRUE, FALSE };

  y = run (node, in);
  assert_shape (y, 3, out);
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 3; b++)
      for (int k = 0; k < 4; k++)
        g_assert_cmpfloat (rel_tensor_f32 (y)[(a * 3 + b) * 4 + k], ==, rel_tensor_f32 (x)[b]);
  check_grad (node, in, check);
  grad_check_node_free (node);
}

/* ---- Constant, Shape, Cast, ConstantOfShape ---- */

static void
test_constant (void)
{
  {
    RelNode *node = grad_check_node_new ("Constant", 0, 1);
    g_autoptr(RelTensor) y = NULL;
    grad_check_node_set_float (node, "value_float", 2.5f);
    y = run (node, NULL);
    g_assert_cmpint (y->ndim, ==, 0);
    g_assert_cmpfloat (rel_tensor_f32 (y)[0], ==, 2.5f);
    grad_check_node_free (node);
  }
  {
    RelNode *node = grad_check_node_new ("Constant", 0, 1);
    int64_t v[3] = { 1, -1, 7 };
    const float want[3] = { 1, -1, 7 };
    g_autoptr(RelTensor) y = NULL;
    grad_check_node_set_ints (node, "value_ints", v, 3);
    y = run (node, NULL);
    g_assert_cmpint (y->dtype, ==, REL_DTYPE_INT64);
    assert_values (y, want, 3);
    grad_check_node_free (node);
  }
  {
    RelNode *node = grad_check_node_new ("Constant", 0, 1);
    int64_t s[2] = { 2, 2 };
    const float v[4] = { 1, 2, 3, 4 };
    g_autoptr(RelTensor) t = f32 (2, s, v);
    g_autoptr(RelTensor) y = NULL;
    grad_check_node_set_tensor (node, "value", t);
    y = run (node, NULL);
    assert_shape (y, 2, s);
    assert_values (y, v, 4);
    grad_check_node_free (node);
  }
  {
    RelNode *node = grad_check_node_new ("Constant", 0, 1);
    g_autoptr(GError) error = NULL;
    grad_check_node_set_string (node, "value_string", "x");
    g_assert_false (grad_check_node_prepare (node, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    grad_check_node_free (node);
  }
}

static void
test_shape_cast (void)
{
  int64_t xs[4] = { 1, 3, 5, 7 };
  g_autoptr(RelTensor) x = f32 (4, xs, NULL);
  struct { gboolean has_start, has_end; int64_t start, end; int n; float want[4]; } cases[] = {
    { FALSE, FALSE, 0, 0, 4, { 1, 3, 5, 7 } },
    { TRUE, FALSE, -2, 0, 2, { 5, 7 } },
    { TRUE, TRUE, 1, -1, 2, { 3, 5 } },
    { TRUE, TRUE, 3, 1, 0, { 0 } },
    { TRUE, TRUE, -10, 10, 4, { 1, 3, 5, 7 } },
  };

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      RelNode *node = grad_check_node_new ("Shape", 1, 1);
      g_autoptr(RelTensor) y = NULL;
      RelTensor *in[1] = { x };
      if (cases[c].has_start)
        grad_check_node_set_int (node, "start", cases[c].start);
      if (cases[c].has_end)
        grad_check_node_set_int (node, "end", cases[c].end);
      y = run (node, in);
      g_assert_cmpint (y->dtype, ==, REL_DTYPE_INT64);
      g_assert_cmpint (y->ndim, ==, 1);
      assert_values (y, cases[c].want, cases[c].n);
      grad_check_node_free (node);
    }

  /* Cast float → int64 truncates toward zero; int64 → float is exact here */
  {
    int64_t s[1] = { 5 };
    const float v[5] = { -2.7f, -0.5f, 0, 1.9f, 3e9f };
    const float want[5] = { -2, 0, 0, 1, 3e9f };
    g_autoptr(RelTensor) t = f32 (1, s, v);
    g_autoptr(RelTensor) y = NULL, z = NULL;
    RelNode *to_int = grad_check_node_new ("Cast", 1, 1);
    RelNode *to_float = grad_check_node_new ("Cast", 1, 1);
    RelTensor *in[1] = { t };
    RelTensor *in2[1] = { NULL };
    grad_check_node_set_int (to_int, "to", 7);
    grad_check_node_set_int (to_float, "to", 1);
    y = run (to_int, in);
    g_assert_cmpint (y->dtype, ==, REL_DTYPE_INT64);
    assert_values (y, want, 5);
    in2[0] = y;
    z = run (to_float, in2);
    g_assert_cmpint (z->dtype, ==, REL_DTYPE_FLOAT32);
    assert_values (z, want, 5);
    grad_check_node_free (to_int);
    grad_check_node_free (to_float);
  }
  /* Cast to bool: non-zero (NaN included) is 1 */
  {
    int64_t s[1] = { 4 };
    const float v[4] = { 0, -0.0f, 0.25f, NAN }, want[4] = { 0, 0, 1, 1 };
    g_autoptr(RelTensor) t = f32 (1, s, v);
    g_autoptr(RelTensor) y = NULL;
    RelNode *node = grad_check_node_new ("Cast", 1, 1);
    RelTensor *in[1] = { t };
    grad_check_node_set_int (node, "to", 9);
    y = run (node, in);
    g_assert_cmpint (y->dtype, ==, REL_DTYPE_INT64);
    assert_values (y, want, 4);
    grad_check_node_free (node);
  }
  /* Cast to a type we do not have */
  {
    RelNode *node = grad_check_node_new ("Cast", 1, 1);
    g_autoptr(GError) error = NULL;
    grad_check_node_set_int (node, "to", 8);   /* STRING */
    g_assert_false (grad_check_node_prepare (node, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    grad_check_node_free (node);
  }
  /* Cast to FLOAT16 / BFLOAT16: float32 values rounded to their precision
   * (numpy: 0.1 → 0.0999755859375; PyTorch: 0.1 → 0.10009765625) */
  {
    int64_t s[1] = { 3 };
    const float v[3] = { 0.1f, 70000.f, -1.f };
    const float want16[3] = { 0.0999755859375f, INFINITY, -1.f }, want_bf[3] = { 0.10009765625f, 70144.f, -1.f };
    g_autoptr(RelTensor) t = f32 (1, s, v);
    for (int k = 0; k < 2; k++)
      {
        g_autoptr(RelTensor) y = NULL;
        RelNode *node = grad_check_node_new ("Cast", 1, 1);
        RelTensor *in[1] = { t };
        grad_check_node_set_int (node, "to", k == 0 ? 10 : 16);
        y = run (node, in);
        g_assert_cmpint (y->dtype, ==, REL_DTYPE_FLOAT32);
        for (int i = 0; i < 3; i++)
          g_assert_cmpfloat (rel_tensor_f32 (y)[i], ==, (k == 0 ? want16 : want_bf)[i]);
        grad_check_node_free (node);
      }
  }
  /* ConstantOfShape: default float 0, or the value tensor's type */
  {
    RelNode *node = grad_check_node_new ("ConstantOfShape", 1, 1);
    int64_t dims[2] = { 2, 3 };
    g_autoptr(RelTensor) shape = i64 (2, dims);
    g_autoptr(RelTensor) value = rel_tensor_new (REL_DTYPE_INT64, 1, (int64_t[]) { 1 }, NULL);
    g_autoptr(RelTensor) y = NULL, z = NULL;
    RelTensor *in[1] = { shape };
    const float zeros[6] = { 0 }, sevens[6] = { 7, 7, 7, 7, 7, 7 };
    y = run (node, in);
    g_assert_cmpint (y->dtype, ==, REL_DTYPE_FLOAT32);
    assert_shape (y, 2, dims);
    assert_values (y, zeros, 6);
    /* shape-derived: the VJP exists (the graph engine needs one) and is zero, i.e. no gradient */
    {
      RelTensor *outs[1] = { y }, *gin[1] = { NULL };
      gboolean need[1] = { TRUE };
      g_autoptr(GError) error = NULL;
      g_assert_nonnull (node->op->backward);
      g_assert_true (node->op->backward (node, in, outs, y, gin, need, NULL, &error));
      g_assert_null (gin[0]);
    }
    rel_tensor_i64 (value)[0] = 7;
    grad_check_node_set_tensor (node, "value", value);
    z = run (node, in);
    g_assert_cmpint (z->dtype, ==, REL_DTYPE_INT64);
    assert_values (z, sevens, 6);
    grad_check_node_free (node);
  }
}

/* A shape input asking for more than the element limit fails cleanly. */
static void
test_limits (void)
{
  RelNode *node = grad_check_node_new ("ConstantOfShape", 1, 1);
  int64_t dims[3] = { 1 << 20, 1 << 20, 1 << 20 };
  g_autoptr(RelTensor) shape = i64 (3, dims);
  g_autoptr(RelTensor) y = NULL;
  g_autoptr(GError) error = NULL;
  RelTensor *in[1] = { shape };

  y = grad_check_forward (node, in, &error);
  g_assert_null (y);
  g_assert_error (error, REL_ERROR, REL_ERROR_TOO_LARGE);
  grad_check_node_free (node);
}

/* Hostile inputs: every op of both tables, random ranks, sizes, dtypes and
 * extreme attribute values. Each call must either succeed with every output
 * set and sized consistently, or fail with a GError — never crash or leave
 * outputs half-made. Run under valgrind/ASan to catch memory errors. */
static void
test_hostile (void)
{
  extern const RelOpDef rel_ops_elementwise[], rel_ops_shape[];
  const RelOpDef *tables[2] = { rel_ops_elementwise, rel_ops_shape };
  static const int64_t extremes[] = { 0, 1, -1, 2, -2, 3, 7, G_MAXINT64, G_MININT64, 1 << 30 };
  const char *int_attrs[] = { "axis", "keepdims", "allowzero", "start", "end", "to", "blocksize", "size",
                              "upper", "exclusive", "reverse", "select_last_index", "fmod", "num_outputs" };
  const char *ints_attrs[] = { "axes", "perm", "pads", "starts", "ends", "split" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (99);
  int n_ok = 0, n_err = 0;

  for (int t = 0; t < 2; t++)
    for (const RelOpDef *d = tables[t]; d->name; d++)
      for (int iter = 0; iter < 60; iter++)
        {
          int n_in = d->min_inputs + g_rand_int_range (rand, 0, MIN (d->max_inputs, 5) - d->min_inputs + 1);
          int n_out = g_rand_int_range (rand, 1, MIN (d->max_outputs, 3) + 1);
          RelNode *node = grad_check_node_new (d->name, n_in, n_out);
          RelTensor *in[8] = { NULL }, *out[8] = { NULL };
          g_autoptr(GError) error = NULL;
          gboolean ok;

          for (int a = 0; a < 3; a++)
            {
              if (g_rand_boolean (rand))
                grad_check_node_set_int (node, int_attrs[g_rand_int_range (rand, 0, G_N_ELEMENTS (int_attrs))],
                                         extremes[g_rand_int_range (rand, 0, G_N_ELEMENTS (extremes))]);
              if (g_rand_boolean (rand))
                {
                  int64_t v[9];
                  int n = g_rand_int_range (rand, 0, 9);
                  for (int k = 0; k < n; k++)
                    v[k] = extremes[g_rand_int_range (rand, 0, G_N_ELEMENTS (extremes))];
                  grad_check_node_set_ints (node, ints_attrs[g_rand_int_range (rand, 0, G_N_ELEMENTS (ints_attrs))], v, n);
                }
            }
          for (int k = 0; k < n_in; k++)
            {
              int64_t shape[4];
              int nd = g_rand_int_range (rand, 0, 5);
              RelDType dt = g_rand_int_range (rand, 0, 3) == 0 ? REL_DTYPE_INT64 : REL_DTYPE_FLOAT32;
              /* an omitted optional input (the loader refuses omitted required ones) */
              if (k >= d->min_inputs && g_rand_int_range (rand, 0, 4) == 0)
                continue;
              for (int i = 0; i < nd; i++)
                shape[i] = g_rand_int_range (rand, 0, 4);
              in[k] = rel_tensor_new (dt, nd, shape, NULL);
              for (int64_t e = 0; e < in[k]->numel; e++)
                {
                  int64_t v = g_rand_int_range (rand, 0, 5) == 0
                              ? extremes[g_rand_int_range (rand, 0, G_N_ELEMENTS (extremes))]
                              : g_rand_int_range (rand, -4, 5);
                  if (dt == REL_DTYPE_INT64)
                    rel_tensor_i64 (in[k])[e] = v;
                  else
                    rel_tensor_f32 (in[k])[e] = (float) v;
                }
            }
          if (!grad_check_node_prepare (node, &error))
            {
              g_assert_nonnull (error);
              n_err++;
            }
          else
            {
              ok = d->forward (node, in, out, NULL, &error);
              if (ok)
                {
                  g_assert_no_error (error);
                  for (int o = 0; o < n_out; o++)
                    {
                      int64_t numel = 1;
                      g_assert_nonnull (out[o]);
                      for (int i = 0; i < out[o]->ndim; i++)
                        numel *= out[o]->shape[i];
                      g_assert_cmpint (numel, ==, out[o]->numel);
                    }
                  n_ok++;
                  /* and the backward, with every input asked for */
                  if (d->backward && out[0]->dtype == REL_DTYPE_FLOAT32)
                    {
                      g_autoptr(RelTensor) g = rel_tensor_new_like (out[0], NULL);
                      g_autoptr(GError) berr = NULL;
                      RelTensor *gin[8] = { NULL };
                      gboolean need[8];
                      for (int k = 0; k < 8; k++)
                        need[k] = k < n_in && in[k] != NULL;
                      rel_tensor_fill (g, 1.0f);
                      if (d->backward (node, in, out, g, gin, need, NULL, &berr))
                        {
                          g_assert_no_error (berr);
                          for (int k = 0; k < n_in; k++)
                            if (gin[k])
                              g_assert_cmpint (gin[k]->numel, ==, in[k]->numel);
                        }
                      else
                        g_assert_nonnull (berr);
                      for (int k = 0; k < 8; k++)
                        g_clear_pointer (&gin[k], rel_tensor_unref);
                    }
                }
              else
                {
                  g_assert_nonnull (error);
                  g_assert_cmpint (error->domain, ==, REL_ERROR);
                  n_err++;
                }
            }
          for (int k = 0; k < 8; k++)
            {
              g_clear_pointer (&in[k], rel_tensor_unref);
              g_clear_pointer (&out[k], rel_tensor_unref);
            }
          grad_check_node_free (node);
        }
  g_test_message ("hostile: %d succeeded, %d refused", n_ok, n_err);
  /* both outcomes must occur, or the generator is not exercising the checks */
  g_assert_cmpint (n_ok, >, 100);
  g_assert_cmpint (n_err, >, 100);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ops-shape/reshape", test_reshape);
  g_test_add_func ("/ops-shape/flatten", test_flatten);
  g_test_add_func ("/ops-shape/squeeze-unsqueeze", test_squeeze_unsqueeze);
  g_test_add_func ("/ops-shape/transpose", test_transpose);
  g_test_add_func ("/ops-shape/concat", test_concat);
  g_test_add_func ("/ops-shape/slice", test_slice);
  g_test_add_func ("/ops-shape/gather", test_gather);
  g_test_add_func ("/ops-shape/pad", test_pad);
  g_test_add_func ("/ops-shape/reduce", test_reduce);
  g_test_add_func ("/ops-shape/reduce-family", test_reduce_family);
  g_test_add_func ("/ops-shape/split", test_split);
  g_test_add_func ("/ops-shape/misc", test_misc);
  g_test_add_func ("/ops-shape/expand", test_expand);
  g_test_add_func ("/ops-shape/constant", test_constant);
  g_test_add_func ("/ops-shape/shape-cast", test_shape_cast);
  g_test_add_func ("/ops-shape/scatter-nd", test_scatter_nd);
  g_test_add_func ("/ops-shape/limits", test_limits);
  g_test_add_func ("/ops-shape/hostile", test_hostile);
  return g_test_run ();
}
