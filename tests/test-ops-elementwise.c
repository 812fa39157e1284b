/* test-ops-elementwise.c — arithmetic with broadcasting, activations, Softmax.
 *
 * Forward values are compared with double-precision references computed here
 * from the definitions (broadcast indices by explicit multi-index arithmetic,
 * independent of the kernels' stride walk); backward passes are checked with
 * finite differences (grad-check.h).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "grad-check.h"
#include "rel-error.h"

#include <math.h>
#include <string.h>

static RelTensor *
new_f32 (int ndim, const int64_t *shape)
{
  g_autoptr(GError) error = NULL;
  RelTensor *t = rel_tensor_new_f32 (ndim, shape, &error);
  g_assert_no_error (error);
  return t;
}

static RelTensor *
random_f32 (GRand *rand, int ndim, const int64_t *shape, float lo, float hi)
{
  RelTensor *t = new_f32 (ndim, shape);
  grad_check_fill_uniform (t, rand, lo, hi);
  return t;
}

/* Offset in a tensor of shape @s (rank @n) of output multi-index @idx (rank @nout), numpy-broadcast. */
static int64_t
bcast_offset (int nout, const int64_t *idx, int n, const int64_t *s)
{
  int64_t off = 0;
  for (int i = 0; i < n; i++)
    {
      int64_t k = idx[nout - n + i];
      off = off * s[i] + (s[i] == 1 ? 0 : k);
    }
  return off;
}

static void
unravel (int64_t flat, int n, const int64_t *shape, int64_t *idx)
{
  for (int i = n - 1; i >= 0; i--)
    {
      idx[i] = flat % shape[i];
      flat /= shape[i];
    }
}

static double
apply_bin (const char *op, double a, double b)
{
  if (strcmp (op, "Add") == 0)
    return a + b;
  if (strcmp (op, "Sub") == 0)
    return a - b;
  if (strcmp (op, "Mul") == 0)
    return a * b;
  return a / b;
}

typedef struct {
  int na;
  int64_t a[4];
  int nb;
  int64_t b[4];
  int nout;
  int64_t out[4];
} BcastCase;

static const BcastCase bcast_cases[] = {
  { 3, { 2, 3, 4 }, 3, { 2, 3, 4 }, 3, { 2, 3, 4 } },   /* same shape */
  { 3, { 2, 3, 4 }, 2, { 3, 1 }, 3, { 2, 3, 4 } },      /* trailing alignment, stretched 1 */
  { 3, { 1, 3, 1 }, 3, { 2, 1, 4 }, 3, { 2, 3, 4 } },   /* both operands stretched */
  { 4, { 2, 3, 2, 2 }, 0, { 0 }, 4, { 2, 3, 2, 2 } },   /* 0-D scalar */
  { 1, { 5 }, 4, { 2, 1, 3, 1 }, 4, { 2, 1, 3, 5 } },   /* rank extension on the left */
  { 4, { 1, 3, 1, 1 }, 4, { 2, 3, 4, 5 }, 4, { 2, 3, 4, 5 } },  /* per-channel bias */
};

static void
test_binary_broadcast_forward (void)
{
  const char *ops[] = { "Add", "Sub", "Mul", "Div" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);

  for (gsize o = 0; o < G_N_ELEMENTS (ops); o++)
    for (gsize c = 0; c < G_N_ELEMENTS (bcast_cases); c++)
      {
        const BcastCase *bc = &bcast_cases[c];
        RelNode *node = grad_check_node_new (ops[o], 2, 1);
        g_autoptr(RelTensor) a = random_f32 (rand, bc->na, bc->a, -2, 2);
        g_autoptr(RelTensor) b = random_f32 (rand, bc->nb, bc->b, 0.5f, 2);
        g_autoptr(RelTensor) y = NULL;
        g_autoptr(GError) error = NULL;
        RelTensor *in[2] = { a, b };
        int64_t idx[4];

        y = grad_check_forward (node, in, &error);
        g_assert_no_error (error);
        g_assert_cmpint (y->ndim, ==, bc->nout);
        for (int i = 0; i < bc->nout; i++)
          g_assert_cmpint (y->shape[i], ==, bc->out[i]);
        for (int64_t i = 0; i < y->numel; i++)
          {
            double va, vb, want;
            unravel (i, bc->nout, bc->out, idx);
            va = rel_tensor_f32 (a)[bcast_offset (bc->nout, idx, bc->na, bc->a)];
            vb = rel_tensor_f32 (b)[bcast_offset (bc->nout, idx, bc->nb, bc->b)];
            want = apply_bin (ops[o], va, vb);
            g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[i], want, 1e-5 * (1 + fabs (want)));
          }
        grad_check_node_free (node);
      }
}

static void
test_binary_broadcast_error (void)
{
  int64_t sa[2] = { 3, 4 }, sb[1] = { 5 };
  g_autoptr(RelTensor) a = new_f32 (2, sa);
  g_autoptr(RelTensor) b = new_f32 (1, sb);
  g_autoptr(RelTensor) y = NULL;
  g_autoptr(GError) error = NULL;
  RelNode *node = grad_check_node_new ("Add", 2, 1);
  RelTensor *in[2] = { a, b };

  y = grad_check_forward (node, in, &error);
  g_assert_null (y);
  g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "3×4"));
  g_assert_nonnull (strstr (error->message, "5"));
  grad_check_node_free (node);
}

static void
test_binary_int64 (void)
{
  const char *ops[] = { "Add", "Sub", "Mul", "Div" };
  const int64_t av[3] = { 7, -9, 12 }, bv = 2;
  const int64_t want[4][3] = { { 9, -7, 14 }, { 5, -11, 10 }, { 14, -18, 24 }, { 3, -4, 6 } };
  int64_t three = 3;

  for (gsize o = 0; o < G_N_ELEMENTS (ops); o++)
    {
      g_autoptr(RelTensor) a = rel_tensor_new (REL_DTYPE_INT64, 1, &three, NULL);
      g_autoptr(RelTensor) b = rel_tensor_new (REL_DTYPE_INT64, 0, NULL, NULL);
      g_autoptr(RelTensor) y = NULL;
      g_autoptr(GError) error = NULL;
      RelNode *node = grad_check_node_new (ops[o], 2, 1);
      RelTensor *in[2] = { a, b };

      memcpy (a->data, av, sizeof av);
      rel_tensor_i64 (b)[0] = bv;
      y = grad_check_forward (node, in, &error);
      g_assert_no_error (error);
      g_assert_cmpint (y->dtype, ==, REL_DTYPE_INT64);
      for (int i = 0; i < 3; i++)
        g_assert_cmpint (rel_tensor_i64 (y)[i], ==, want[o][i]);
      if (strcmp (ops[o], "Div") == 0)
        {
          g_autoptr(RelTensor) y2 = NULL;
          rel_tensor_i64 (b)[0] = 0;
          y2 = grad_check_forward (node, in, &error);
          g_assert_null (y2);
          g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
        }
      grad_check_node_free (node);
    }

  /* mixed types are refused, not reinterpreted */
  {
    g_autoptr(RelTensor) a = rel_tensor_new (REL_DTYPE_INT64, 1, &three, NULL);
    g_autoptr(RelTensor) b = new_f32 (1, &three);
    g_autoptr(RelTensor) y = NULL;
    g_autoptr(GError) error = NULL;
    RelNode *node = grad_check_node_new ("Mul", 2, 1);
    RelTensor *in[2] = { a, b };
    y = grad_check_forward (node, in, &error);
    g_assert_null (y);
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    grad_check_node_free (node);
  }
}

static void
test_binary_backward (void)
{
  const char *ops[] = { "Add", "Sub", "Mul", "Div" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (12);

  for (gsize o = 0; o < G_N_ELEMENTS (ops); o++)
    for (gsize c = 0; c < G_N_ELEMENTS (bcast_cases); c++)
      {
        const BcastCase *bc = &bcast_cases[c];
        RelNode *node = grad_check_node_new (ops[o], 2, 1);
        g_autoptr(RelTensor) a = random_f32 (rand, bc->na, bc->a, -2, 2);
        /* divisors away from 0 */
        g_autoptr(RelTensor) b = random_f32 (rand, bc->nb, bc->b, 0.8f, 2);
        g_autoptr(GError) error = NULL;
        RelTensor *in[2] = { a, b };
        gboolean check[2] = { TRUE, TRUE };
        GradCheckOptions opts = { .h = 1e-2, .rel_tol = 1e-2, .abs_tol = 1e-3 };
        GradCheckResult res;

        if (!grad_check_run (node, in, check, &opts, &res, &error))
          g_error ("%s case %" G_GSIZE_FORMAT ": %s", ops[o], c, error->message);
        g_assert_cmpint (res.n_checked, ==, a->numel + b->numel);
        grad_check_node_free (node);
      }
}

/* ---- unary ---- */

typedef struct {
  const char *op;
  float lo, hi;          /* input range */
  const char *attr1;     /* optional float attributes */
  float v1;
  const char *attr2;
  float v2;
} UnaryCase;

static double
unary_ref (const UnaryCase *u, double x)
{
  const char *op = u->op;
  if (strcmp (op, "Relu") == 0)
    return x > 0 ? x : 0;
  if (strcmp (op, "LeakyRelu") == 0)
    return x >= 0 ? x : u->v1 * x;
  if (strcmp (op, "Elu") == 0)
    return x > 0 ? x : u->v1 * (exp (x) - 1);
  if (strcmp (op, "Sigmoid") == 0)
    return 1 / (1 + exp (-x));
  if (strcmp (op, "HardSigmoid") == 0)
    return fmax (0, fmin (1, u->v1 * x + u->v2));
  if (strcmp (op, "HardSwish") == 0)
    return x * fmax (0, fmin (1, x / 6 + 0.5));
  if (strcmp (op, "Tanh") == 0)
    return tanh (x);
  if (strcmp (op, "Exp") == 0)
    return exp (x);
  if (strcmp (op, "Log") == 0)
    return log (x);
  if (strcmp (op, "Sqrt") == 0)
    return sqrt (x);
  if (strcmp (op, "Neg") == 0)
    return -x;
  if (strcmp (op, "Abs") == 0)
    return fabs (x);
  if (strcmp (op, "Softplus") == 0)
    return log1p (exp (x));
  if (strcmp (op, "Reciprocal") == 0)
    return 1 / x;
  if (strcmp (op, "Clip") == 0)
    return fmin (fmax (x, u->v1), u->v2);
  if (strcmp (op, "Selu") == 0)
    return u->v2 * (x > 0 ? x : u->v1 * (exp (x) - 1));
  if (strcmp (op, "Celu") == 0)
    return fmax (0, x) + fmin (0, u->v1 * (exp (x / u->v1) - 1));
  if (strcmp (op, "ThresholdedRelu") == 0)
    return x > u->v1 ? x : 0;
  if (strcmp (op, "Softsign") == 0)
    return x / (1 + fabs (x));
  if (strcmp (op, "Erf") == 0)
    return erf (x);
  if (strcmp (op, "Gelu") == 0)   /* x·Φ(x), the standard normal's CDF */
    return 0.5 * x * erfc (-x / sqrt (2.0));
  {
    static const struct { const char *name; double (*f) (double); } trig[] = {
      { "Sin", sin }, { "Cos", cos }, { "Tan", tan }, { "Asin", asin }, { "Acos", acos },
      { "Atan", atan }, { "Sinh", sinh }, { "Cosh", cosh }, { "Asinh", asinh },
      { "Acosh", acosh }, { "Atanh", atanh },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (trig); i++)
      if (strcmp (op, trig[i].name) == 0)
        return trig[i].f (x);
  }
  g_assert_not_reached ();
}

static const UnaryCase unary_cases[] = {
  { "Relu", -3, 3 },
  { "LeakyRelu", -3, 3 },                      /* default alpha 0.01 */
  { "LeakyRelu", -3, 3, "alpha", 0.2f },
  { "Elu", -3, 3, "alpha", 0.7f },
  { "Sigmoid", -6, 6 },
  { "HardSigmoid", -5, 5, "alpha", 0.25f, "beta", 0.4f },
  { "HardSwish", -5, 5 },
  { "Tanh", -3, 3 },
  { "Exp", -2, 2 },
  { "Log", 0.5f, 4 },
  { "Sqrt", 0.5f, 4 },
  { "Neg", -3, 3 },
  { "Abs", -3, 3 },
  { "Softplus", -4, 4 },
  { "Reciprocal", 0.5f, 3 },
  { "Clip", -8, 8, "min", 0.0f, "max", 6.0f },  /* ReLU6, opset < 11 attributes */
  { "Selu", -3, 3, "alpha", 1.5f, "gamma", 1.1f },
  { "Celu", -3, 3, "alpha", 0.8f },
  { "ThresholdedRelu", -3, 3, "alpha", 0.5f },
  { "Softsign", -3, 3 },
  { "Erf", -2, 2 },
  { "Gelu", -4, 4 },
  { "Sin", -3, 3 },
  { "Cos", -3, 3 },
  { "Tan", -1.2f, 1.2f },
  { "Asin", -0.9f, 0.9f },
  { "Acos", -0.9f, 0.9f },
  { "Atan", -3, 3 },
  { "Sinh", -2, 2 },
  { "Cosh", -2, 2 },
  { "Asinh", -3, 3 },
  { "Acosh", 1.2f, 3 },
  { "Atanh", -0.9f, 0.9f },
};

static void
test_unary (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (13);
  int64_t shape[3] = { 2, 3, 7 };

  for (gsize c = 0; c < G_N_ELEMENTS (unary_cases); c++)
    {
      const UnaryCase *u = &unary_cases[c];
      UnaryCase eff = *u;
      RelNode *node = grad_check_node_new (u->op, 1, 1);
      g_autoptr(RelTensor) x = random_f32 (rand, 3, shape, u->lo, u->hi);
      g_autoptr(RelTensor) y = NULL;
      g_autoptr(GError) error = NULL;
      RelTensor *in[1] = { x };
      gboolean check[1] = { TRUE };
      GradCheckOptions opts = { .h = 1e-3, .rel_tol = 1e-2, .abs_tol = 1e-3 };

      if (u->attr1)
        grad_check_node_set_float (node, u->attr1, u->v1);
      if (u->attr2)
        grad_check_node_set_float (node, u->attr2, u->v2);
      if (strcmp (u->op, "LeakyRelu") == 0 && u->attr1 == NULL)
        eff.v1 = 0.01f;
      y = grad_check_forward (node, in, &error);
      g_assert_no_error (error);
      g_assert_true (rel_tensor_same_shape (x, y));
      for (int64_t i = 0; i < x->numel; i++)
        {
          double want = unary_ref (&eff, rel_tensor_f32 (x)[i]);
          if (fabs (rel_tensor_f32 (y)[i] - want) > 1e-5 * (1 + fabs (want)))
            g_error ("%s(%g) = %g, expected %g", u->op, rel_tensor_f32 (x)[i], rel_tensor_f32 (y)[i], want);
        }
      if (!grad_check_run (node, in, check, &opts, NULL, &error))
        g_error ("%s backward: %s", u->op, error->message);
      grad_check_node_free (node);
    }
}

/* Gelu's tanh approximation (opset 20, approximate="tanh"), against the
 * formula in the ONNX definition and finite differences; an unknown
 * approximation is refused. */
static void
test_gelu_tanh (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (31);
  int64_t shape[2] = { 3, 9 };
  g_autoptr(RelTensor) x = random_f32 (rand, 2, shape, -4, 4);
  g_autoptr(RelTensor) y = NULL;
  g_autoptr(GError) error = NULL;
  RelNode *node = grad_check_node_new ("Gelu", 1, 1);
  RelTensor *in[1] = { x };
  gboolean check[1] = { TRUE };
  GradCheckOptions opts = { .h = 1e-3, .rel_tol = 1e-2, .abs_tol = 1e-3 };

  grad_check_node_set_string (node, "approximate", "tanh");
  y = grad_check_forward (node, in, &error);
  g_assert_no_error (error);
  for (int64_t i = 0; i < x->numel; i++)
    {
      double v = rel_tensor_f32 (x)[i];
      double want = 0.5 * v * (1 + tanh (sqrt (2 / G_PI) * (v + 0.044715 * v * v * v)));
      double exact = 0.5 * v * erfc (-v / sqrt (2.0));
      g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[i], want, 1e-5 * (1 + fabs (want)));
      /* the approximation is close to, but not, the exact Gelu */
      g_assert_cmpfloat_with_epsilon (want, exact, 1e-3);
    }
  if (!grad_check_run (node, in, check, &opts, NULL, &error))
    g_error ("Gelu tanh backward: %s", error->message);
  g_clear_pointer (&y, rel_tensor_unref);
  grad_check_node_set_string (node, "approximate", "sigmoid");
  y = grad_check_forward (node, in, &error);
  g_assert_null (y);
  g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
  grad_check_node_free (node);
}

/* Clip's opset-11 form: min and max as (optional) inputs. */
static void
test_clip_inputs (void)
{
  const float xv[6] = { -2, -0.5f, 0.25f, 3, 6.5f, 9 };
  int64_t six = 6;
  g_autoptr(RelTensor) x = rel_tensor_new_from_f32 (1, &six, xv, NULL);
  g_autoptr(RelTensor) lo = rel_tensor_new_f32 (0, NULL, NULL);
  g_autoptr(RelTensor) hi = rel_tensor_new_f32 (0, NULL, NULL);
  g_autoptr(GError) error = NULL;
  RelNode *node = grad_check_node_new ("Clip", 3, 1);

  rel_tensor_f32 (lo)[0] = 0;
  rel_tensor_f32 (hi)[0] = 6;
  {
    RelTensor *in[3] = { x, lo, hi };
    g_autoptr(RelTensor) y = grad_check_forward (node, in, &error);
    const float want[6] = { 0, 0, 0.25f, 3, 6, 6 };
    g_assert_no_error (error);
    for (int i = 0; i < 6; i++)
      g_assert_cmpfloat (rel_tensor_f32 (y)[i], ==, want[i]);
  }
  {
    /* max omitted: only the lower bound applies */
    RelTensor *in[3] = { x, lo, NULL };
    g_autoptr(RelTensor) y = grad_check_forward (node, in, &error);
    const float want[6] = { 0, 0, 0.25f, 3, 6.5f, 9 };
    g_assert_no_error (error);
    for (int i = 0; i < 6; i++)
      g_assert_cmpfloat (rel_tensor_f32 (y)[i], ==, want[i]);
  }
  {
    RelTensor *in[3] = { x, lo, hi };
    gboolean check[3] = { TRUE, FALSE, FALSE };
    if (!grad_check_run (node, in, check, NULL, NULL, &error))
      g_error ("Clip backward: %s", error->message);
  }
  grad_check_node_free (node);
}

static void
test_prelu (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (14);
  int64_t xs[4] = { 2, 3, 4, 5 }, ss[3] = { 3, 1, 1 }, s1[1] = { 5 };
  const int64_t *slope_shapes[2] = { ss, s1 };
  int slope_ndims[2] = { 3, 1 };

  for (int c = 0; c < 2; c++)
    {
      g_autoptr(RelTensor) x = random_f32 (rand, 4, xs, -2, 2);
      g_autoptr(RelTensor) s = random_f32 (rand, slope_ndims[c], slope_shapes[c], 0.05f, 0.5f);
      g_autoptr(RelTensor) y = NULL;
      g_autoptr(GError) error = NULL;
      RelNode *node = grad_check_node_new ("PRelu", 2, 1);
      RelTensor *in[2] = { x, s };
      gboolean check[2] = { TRUE, TRUE };
      int64_t idx[4];

      y = grad_check_forward (node, in, &error);
      g_assert_no_error (error);
      for (int64_t i = 0; i < x->numel; i++)
        {
          float xv = rel_tensor_f32 (x)[i];
          float sv;
          unravel (i, 4, xs, idx);
          sv = rel_tensor_f32 (s)[bcast_offset (4, idx, slope_ndims[c], slope_shapes[c])];
          g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[i], xv >= 0 ? xv : sv * xv, 1e-6);
        }
      if (!grad_check_run (node, in, check, NULL, NULL, &error))
        g_error ("PRelu backward: %s", error->message);
      grad_check_node_free (node);
    }
}

/* ---- Softmax ---- */

static void
softmax_ref (const float *x, double *y, int64_t outer, int64_t len, int64_t inner, gboolean log_)
{
  for (int64_t o = 0; o < outer; o++)
    for (int64_t in = 0; in < inner; in++)
      {
        double m = -INFINITY, s = 0;
        for (int64_t k = 0; k < len; k++)
          m = fmax (m, x[(o * len + k) * inner + in]);
        for (int64_t k = 0; k < len; k++)
          s += exp (x[(o * len + k) * inner + in] - m);
        for (int64_t k = 0; k < len; k++)
          {
            double v = x[(o * len + k) * inner + in] - m;
            y[(o * len + k) * inner + in] = log_ ? v - log (s) : exp (v) / s;
          }
      }
}

static void
test_softmax (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (15);
  int64_t shape[3] = { 2, 3, 4 };
  struct { int64_t axis; int64_t outer, len, inner; } cases[] = {
    { -1, 6, 4, 1 }, { 2, 6, 4, 1 }, { 1, 2, 3, 4 }, { 0, 1, 2, 12 }, { -3, 1, 2, 12 },
  };

  for (int log_ = 0; log_ < 2; log_++)
    for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
      {
        RelNode *node = grad_check_node_new (log_ ? "LogSoftmax" : "Softmax", 1, 1);
        g_autoptr(RelTensor) x = random_f32 (rand, 3, shape, -4, 4);
        g_autoptr(RelTensor) y = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree double *want = g_new (double, 24);
        RelTensor *in[1] = { x };
        gboolean check[1] = { TRUE };
        GradCheckOptions opts = { .h = 1e-3 };

        grad_check_node_set_int (node, "axis", cases[c].axis);
        y = grad_check_forward (node, in, &error);
        g_assert_no_error (error);
        softmax_ref (rel_tensor_f32 (x), want, cases[c].outer, cases[c].len, cases[c].inner, log_);
        for (int i = 0; i < 24; i++)
          g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[i], want[i], 1e-5);
        if (!grad_check_run (node, in, check, &opts, NULL, &error))
          g_error ("%s axis %" G_GINT64_FORMAT " backward: %s", node->op_type, cases[c].axis, error->message);
        grad_check_node_free (node);
      }
}

/* Before opset 13 Softmax flattens the input to 2-D at axis (default 1). */
static void
test_softmax_legacy (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (16);
  g_autoptr(RelModel) model = rel_model_new ();
  int64_t shape[3] = { 2, 3, 4 };
  g_autoptr(RelTensor) x = random_f32 (rand, 3, shape, -4, 4);
  g_autoptr(GError) error = NULL;
  RelNode *node = grad_check_node_new ("Softmax", 1, 1);
  RelTensor *out[1] = { NULL };
  RelTensor *in[1] = { x };
  RelTensor *grad_in[1] = { NULL };
  gboolean need[1] = { TRUE };
  g_autoptr(RelTensor) g = new_f32 (3, shape);
  double want[24];

  model->opset = 11;
  g_assert_true (node->op->prepare (model, node, &error));
  g_assert_no_error (error);
  g_assert_true (node->op->forward (node, in, out, NULL, &error));
  g_assert_no_error (error);
  softmax_ref (rel_tensor_f32 (x), want, 2, 12, 1, FALSE);
  for (int i = 0; i < 24; i++)
    g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (out[0])[i], want[i], 1e-5);

  /* the VJP of a one-hot cotangent e_j is y ⊙ (e_j − y_j) within the 12-element row */
  rel_tensor_f32 (g)[5] = 1;
  g_assert_true (node->op->backward (node, in, out, g, grad_in, need, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 24; i++)
    {
      double yi = want[i], expect = i < 12 ? yi * ((i == 5) - want[5]) : 0;
      g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (grad_in[0])[i], expect, 1e-6);
    }
  rel_tensor_unref (out[0]);
  rel_tensor_unref (grad_in[0]);
  grad_check_node_free (node);
}

static void
test_pow (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (18);
  int64_t xs[2] = { 3, 4 }, es[1] = { 4 };
  g_autoptr(RelTensor) x = random_f32 (rand, 2, xs, 0.5f, 2);
  g_autoptr(RelTensor) e = random_f32 (rand, 1, es, -2, 3);
  g_autoptr(RelTensor) y = NULL;
  g_autoptr(GError) error = NULL;
  RelNode *node = grad_check_node_new ("Pow", 2, 1);
  RelTensor *in[2] = { x, e };
  gboolean check[2] = { TRUE, TRUE };
  GradCheckOptions opts = { .h = 1e-3 };

  y = grad_check_forward (node, in, &error);
  g_assert_no_error (error);
  for (int64_t i = 0; i < 12; i++)
    {
      double want = pow (rel_tensor_f32 (x)[i], rel_tensor_f32 (e)[i % 4]);
      g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[i], want, 1e-5 * (1 + want));
    }
  if (!grad_check_run (node, in, check, &opts, NULL, &error))
    g_error ("Pow backward: %s", error->message);
  grad_check_node_free (node);
}

/* float Mod (fmod = 1): the sign of the dividend, values and both gradients
 * (d/db = −trunc(a/b) jumps where a/b crosses an integer: kinks are skipped) */
static void
test_mod (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (23);
  int64_t as[2] = { 3, 4 }, bs[1] = { 4 };
  g_autoptr(RelTensor) a = random_f32 (rand, 2, as, -5, 5);
  g_autoptr(RelTensor) b = random_f32 (rand, 1, bs, 0.7f, 2);
  g_autoptr(RelTensor) y = NULL;
  g_autoptr(GError) error = NULL;
  RelNode *node = grad_check_node_new ("Mod", 2, 1);
  RelTensor *in[2] = { a, b };
  gboolean check[2] = { TRUE, TRUE };
  GradCheckOptions opts = { .h = 1e-3 };
  GradCheckResult res = { 0 };

  rel_tensor_f32 (b)[1] = -1.5f;   /* a negative divisor too */
  grad_check_node_set_int (node, "fmod", 1);
  y = grad_check_forward (node, in, &error);
  g_assert_no_error (error);
  for (int64_t i = 0; i < 12; i++)
    g_assert_cmpfloat (rel_tensor_f32 (y)[i], ==, fmodf (rel_tensor_f32 (a)[i], rel_tensor_f32 (b)[i % 4]));
  if (!grad_check_run (node, in, check, &opts, &res, &error))
    g_error ("Mod backward: %s", error->message);
  g_assert_cmpint (res.n_checked, >=, 12);
  grad_check_node_free (node);
}

/* Sum, Mean, Max, Min over three broadcast operands */
static void
test_variadic (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (19);
  int64_t as[2] = { 3, 4 }, bs[1] = { 4 }, cs[2] = { 3, 1 };
  g_autoptr(RelTensor) a = random_f32 (rand, 2, as, -1, 1);
  g_autoptr(RelTensor) b = random_f32 (rand, 1, bs, -1, 1);
  g_autoptr(RelTensor) c = random_f32 (rand, 2, cs, -1, 1);
  const char *ops[4] = { "Sum", "Mean", "Max", "Min" };

  for (int o = 0; o < 4; o++)
    {
      g_autoptr(RelTensor) y = NULL;
      g_autoptr(GError) error = NULL;
      RelNode *node = grad_check_node_new (ops[o], 3, 1);
      RelTensor *in[3] = { a, b, c };
      gboolean check[3] = { TRUE, TRUE, TRUE };

      y = grad_check_forward (node, in, &error);
      g_assert_no_error (error);
      g_assert_cmpint (y->numel, ==, 12);
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++)
          {
            double va = rel_tensor_f32 (a)[i * 4 + j], vb = rel_tensor_f32 (b)[j], vc = rel_tensor_f32 (c)[i];
            double want = o == 0 ? va + vb + vc : o == 1 ? (va + vb + vc) / 3
                        : o == 2 ? fmax (va, fmax (vb, vc)) : fmin (va, fmin (vb, vc));
            g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[i * 4 + j], want, 1e-6);
          }
      if (!grad_check_run (node, in, check, NULL, NULL, &error))
        g_error ("%s backward: %s", ops[o], error->message);
      grad_check_node_free (node);
    }
}

/* LayerNormalization over the last two axes, with per-element scale and a broadcast bias */
static void
test_layer_norm (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20);
  int64_t xs[3] = { 2, 3, 4 }, ss[2] = { 3, 4 }, bs[1] = { 4 };
  g_autoptr(RelTensor) x = random_f32 (rand, 3, xs, -2, 2);
  g_autoptr(RelTensor) sc = random_f32 (rand, 2, ss, 0.5f, 1.5f);
  g_autoptr(RelTensor) b = random_f32 (rand, 1, bs, -1, 1);
  g_autoptr(RelTensor) y = NULL;
  g_autoptr(GError) error = NULL;
  RelNode *node = grad_check_node_new ("LayerNormalization", 3, 1);
  RelTensor *in[3] = { x, sc, b };
  gboolean check[3] = { TRUE, TRUE, TRUE };
  GradCheckOptions opts = { .h = 1e-3 };

  grad_check_node_set_int (node, "axis", -2);
  grad_check_node_set_float (node, "epsilon", 1e-3f);
  y = grad_check_forward (node, in, &error);
  g_assert_no_error (error);
  for (int r = 0; r < 2; r++)
    {
      const float *px = rel_tensor_f32 (x) + r * 12;
      double m = 0, v = 0;
      for (int c = 0; c < 12; c++)
        m += px[c] / 12.0;
      for (int c = 0; c < 12; c++)
        v += (px[c] - m) * (px[c] - m) / 12.0;
      for (int c = 0; c < 12; c++)
        {
          double want = (px[c] - m) / sqrt (v + 1e-3) * rel_tensor_f32 (sc)[c] + rel_tensor_f32 (b)[c % 4];
          g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[r * 12 + c], want, 1e-5);
        }
    }
  if (!grad_check_run (node, in, check, &opts, NULL, &error))
    g_error ("LayerNormalization backward: %s", error->message);
  grad_check_node_free (node);
}

/* Comparisons give int64 0/1; Where routes each element's gradient to the chosen branch. */
static void
test_compare_where (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (21);
  int64_t xs[2] = { 3, 4 }, ts[1] = { 4 }, cs[2] = { 3, 1 };
  g_autoptr(RelTensor) x = random_f32 (rand, 2, xs, -1, 1);
  g_autoptr(RelTensor) t = random_f32 (rand, 1, ts, -1, 1);
  g_autoptr(RelTensor) other = random_f32 (rand, 2, cs, -1, 1);
  g_autoptr(RelTensor) cond = NULL, y = NULL;
  g_autoptr(GError) error = NULL;
  RelNode *less = grad_check_node_new ("Less", 2, 1);
  RelNode *where = grad_check_node_new ("Where", 3, 1);
  RelTensor *in[2] = { x, t };
  RelTensor *win[3] = { NULL, x, other };
  gboolean check[3] = { FALSE, TRUE, TRUE };

  cond = grad_check_forward (less, in, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cond->dtype, ==, REL_DTYPE_INT64);
  for (int i = 0; i < 12; i++)
    g_assert_cmpint (rel_tensor_i64 (cond)[i], ==, rel_tensor_f32 (x)[i] < rel_tensor_f32 (t)[i % 4]);
  win[0] = cond;
  y = grad_check_forward (where, win, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 12; i++)
    g_assert_cmpfloat (rel_tensor_f32 (y)[i], ==,
                       rel_tensor_i64 (cond)[i] ? rel_tensor_f32 (x)[i] : rel_tensor_f32 (other)[i / 4]);
  if (!grad_check_run (where, win, check, NULL, NULL, &error))
    g_error ("Where backward: %s", error->message);
  grad_check_node_free (less);
  grad_check_node_free (where);
}

/* LRN across channels (size 3 window) and InstanceNormalization: forward reference and FD */
static void
test_lrn_instance_norm (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (22);
  int64_t xs[4] = { 2, 5, 2, 3 }, cs[1] = { 5 };
  g_autoptr(RelTensor) x = random_f32 (rand, 4, xs, -2, 2);
  g_autoptr(GError) error = NULL;

  {
    RelNode *node = grad_check_node_new ("LRN", 1, 1);
    g_autoptr(RelTensor) y = NULL;
    RelTensor *in[1] = { x };
    gboolean check[1] = { TRUE };
    GradCheckOptions opts = { .h = 1e-3 };
    grad_check_node_set_int (node, "size", 3);
    grad_check_node_set_float (node, "alpha", 0.5f);
    grad_check_node_set_float (node, "beta", 0.75f);
    grad_check_node_set_float (node, "bias", 2.0f);
    y = grad_check_forward (node, in, &error);
    g_assert_no_error (error);
    for (int n = 0; n < 2; n++)
      for (int c = 0; c < 5; c++)
        for (int s = 0; s < 6; s++)
          {
            double sq = 0, v = rel_tensor_f32 (x)[(n * 5 + c) * 6 + s];
            for (int k = MAX (0, c - 1); k <= MIN (4, c + 1); k++)
              {
                double u = rel_tensor_f32 (x)[(n * 5 + k) * 6 + s];
                sq += u * u;
              }
            g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[(n * 5 + c) * 6 + s],
                                            v / pow (2.0 + 0.5 / 3 * sq, 0.75), 1e-5);
          }
    if (!grad_check_run (node, in, check, &opts, NULL, &error))
      g_error ("LRN backward: %s", error->message);
    grad_check_node_free (node);
  }
  {
    RelNode *node = grad_check_node_new ("InstanceNormalization", 3, 1);
    g_autoptr(RelTensor) sc = random_f32 (rand, 1, cs, 0.5f, 1.5f);
    g_autoptr(RelTensor) b = random_f32 (rand, 1, cs, -1, 1);
    g_autoptr(RelTensor) y = NULL;
    RelTensor *in[3] = { x, sc, b };
    gboolean check[3] = { TRUE, TRUE, TRUE };
    GradCheckOptions opts = { .h = 1e-3 };
    y = grad_check_forward (node, in, &error);
    g_assert_no_error (error);
    for (int r = 0; r < 10; r++)
      {
        const float *px = rel_tensor_f32 (x) + r * 6;
        double m = 0, v = 0;
        for (int k = 0; k < 6; k++)
          m += px[k] / 6.0;
        for (int k = 0; k < 6; k++)
          v += (px[k] - m) * (px[k] - m) / 6.0;
        for (int k = 0; k < 6; k++)
          g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (y)[r * 6 + k],
                                          (px[k] - m) / sqrt (v + 1e-5) * rel_tensor_f32 (sc)[r % 5]
                                          + rel_tensor_f32 (b)[r % 5], 1e-4);
      }
    if (!grad_check_run (node, in, check, &opts, NULL, &error))
      g_error ("InstanceNormalization backward: %s", error->message);
    grad_check_node_free (node);
  }
}

static void
test_identity_dropout (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (17);
  int64_t shape[2] = { 3, 5 };
  g_autoptr(RelTensor) x = random_f32 (rand, 2, shape, -1, 1);
  const char *ops[] = { "Identity", "Dropout" };

  for (int o = 0; o < 2; o++)
    {
      RelNode *node = grad_check_node_new (ops[o], 1, 1);
      g_autoptr(RelTensor) y = NULL;
      g_autoptr(GError) error = NULL;
      RelTensor *in[1] = { x };
      gboolean check[1] = { TRUE };

      y = grad_check_forward (node, in, &error);
      g_assert_no_error (error);
      g_assert_true (rel_tensor_same_shape (x, y));
      g_assert_cmpmem (x->data, x->numel * 4, y->data, y->numel * 4);
      if (!grad_check_run (node, in, check, NULL, NULL, &error))
        g_error ("%s backward: %s", ops[o], error->message);
      grad_check_node_free (node);
    }

  /* training_mode = true is refused rather than silently ignored */
  {
    RelNode *node = grad_check_node_new ("Dropout", 3, 1);
    g_autoptr(RelTensor) training = rel_tensor_new (REL_DTYPE_INT64, 0, NULL, NULL);
    g_autoptr(RelTensor) y = NULL;
    g_autoptr(GError) error = NULL;
    RelTensor *in[3] = { x, NULL, training };
    rel_tensor_i64 (training)[0] = 1;
    y = grad_check_forward (node, in, &error);
    g_assert_null (y);
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    grad_check_node_free (node);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ops-elementwise/binary-broadcast-forward", test_binary_broadcast_forward);
  g_test_add_func ("/ops-elementwise/binary-broadcast-error", test_binary_broadcast_error);
  g_test_add_func ("/ops-elementwise/binary-int64", test_binary_int64);
  g_test_add_func ("/ops-elementwise/binary-backward", test_binary_backward);
  g_test_add_func ("/ops-elementwise/unary", test_unary);
  g_test_add_func ("/ops-elementwise/clip-inputs", test_clip_inputs);
  g_test_add_func ("/ops-elementwise/prelu", test_prelu);
  g_test_add_func ("/ops-elementwise/softmax", test_softmax);
  g_test_add_func ("/ops-elementwise/softmax-legacy", test_softmax_legacy);
  g_test_add_func ("/ops-elementwise/pow", test_pow);
  g_test_add_func ("/ops-elementwise/mod", test_mod);
  g_test_add_func ("/ops-elementwise/variadic", test_variadic);
  g_test_add_func ("/ops-elementwise/layer-norm", test_layer_norm);
  g_test_add_func ("/ops-elementwise/compare-where", test_compare_where);
  g_test_add_func ("/ops-elementwise/lrn-instance-norm", test_lrn_instance_norm);
  g_test_add_func ("/ops-elementwise/identity-dropout", test_identity_dropout);
  g_test_add_func ("/ops-elementwise/gelu-tanh", test_gelu_tanh);
  return g_test_run ();
}
