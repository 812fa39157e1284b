/* grad-check.c — see grad-check.h.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "grad-check.h"
#include "rel-error.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* The RelNode comes first so a RelNode * is also a GradCheckNode *. */
typedef struct {
  RelNode  node;
  gboolean prepared;
} GradCheckNode;

RelNode *
grad_check_node_new (const char *op_type, int n_inputs, int n_outputs)
{
  GradCheckNode *gn = g_new0 (GradCheckNode, 1);
  RelNode *node = &gn->node;

  node->op = rel_op_lookup (op_type);
  if (node->op == NULL)
    g_error ("grad_check_node_new: no operator '%s' in the op table", op_type);
  node->op_type = g_strdup (op_type);
  node->name = g_strdup_printf ("test_%s", op_type);
  node->n_inputs = n_inputs;
  node->inputs = g_new (int, (gsize) MAX (n_inputs, 1));
  for (int i = 0; i < n_inputs; i++)
    node->inputs[i] = i;
  node->n_outputs = n_outputs;
  node->outputs = g_new (int, (gsize) MAX (n_outputs, 1));
  for (int i = 0; i < n_outputs; i++)
    node->outputs[i] = n_inputs + i;
  return node;
}

static void
free_params (RelNode *node)
{
  if (node->params)
    {
      if (node->op->free_params)
        node->op->free_params (node->params);
      else
        g_free (node->params);
      node->params = NULL;
    }
  ((GradCheckNode *) node)->prepared = FALSE;
}

static void
attr_clear (RelAttr *a)
{
  g_free (a->name);
  g_free (a->s);
  if (a->t)
    rel_tensor_unref (a->t);
  g_free (a->floats);
  g_free (a->ints);
  g_strfreev (a->strings);
  memset (a, 0, sizeof *a);
}

void
grad_check_node_free (RelNode *node)
{
  if (node == NULL)
    return;
  free_params (node);
  for (int i = 0; i < node->n_attrs; i++)
    attr_clear (&node->attrs[i]);
  g_free (node->attrs);
  g_free (node->inputs);
  g_free (node->outputs);
  g_free (node->name);
  g_free (node->op_type);
  g_free ((GradCheckNode *) node);
}

/* The slot for @name, cleared, with its name set. */
static RelAttr *
attr_slot (RelNode *node, const char *name)
{
  RelAttr *a = NULL;

  free_params (node);
  for (int i = 0; i < node->n_attrs; i++)
    if (strcmp (node->attrs[i].name, name) == 0)
      {
        a = &node->attrs[i];
        attr_clear (a);
        break;
      }
  if (a == NULL)
    {
      node->attrs = g_renew (RelAttr, node->attrs, node->n_attrs + 1);
      a = &node->attrs[node->n_attrs++];
      memset (a, 0, sizeof *a);
    }
  a->name = g_strdup (name);
  return a;
}

void
grad_check_node_set_int (RelNode *node, const char *name, int64_t value)
{
  RelAttr *a = attr_slot (node, name);
  a->type = REL_ATTR_INT;
  a->i = value;
}

void
grad_check_node_set_ints (RelNode *node, const char *name, const int64_t *values, int n)
{
  RelAttr *a = attr_slot (node, name);
  a->type = REL_ATTR_INTS;
  a->n = n;
  a->ints = g_new (int64_t, (gsize) MAX (n, 1));
  if (n > 0)
    memcpy (a->ints, values, sizeof (int64_t) * (gsize) n);
}

void
grad_check_node_set_float (RelNode *node, const char *name, float value)
{
  RelAttr *a = attr_slot (node, name);
  a->type = REL_ATTR_FLOAT;
  a->f = value;
}

void
grad_check_node_set_floats (RelNode *node, const char *name, const float *values, int n)
{
  RelAttr *a = attr_slot (node, name);
  a->type = REL_ATTR_FLOATS;
  a->n = n;
  a->floats = g_new (float, (gsize) MAX (n, 1));
  if (n > 0)
    memcpy (a->floats, values, sizeof (float) * (gsize) n);
}

void
grad_check_node_set_string (RelNode *node, const char *name, const char *value)
{
  RelAttr *a = attr_slot (node, name);
  a->type = REL_ATTR_STRING;
  a->s = g_strdup (value);
}

void
grad_check_node_set_tensor (RelNode *node, const char *name, RelTensor *value)
{
  RelAttr *a = attr_slot (node, name);
  a->type = REL_ATTR_TENSOR;
  a->t = rel_tensor_ref (value);
}

gboolean
grad_check_node_prepare (RelNode *node, GError **error)
{
  free_params (node);
  if (node->op->prepare && !node->op->prepare (NULL, node, error))
    return FALSE;
  ((GradCheckNode *) node)->prepared = TRUE;
  return TRUE;
}

static gboolean
ensure_prepared (RelNode *node, GError **error)
{
  if (((GradCheckNode *) node)->prepared)
    return TRUE;
  return grad_check_node_prepare (node, error);
}

static RelContext
test_context (void)
{
  RelContext ctx = { .n_threads = 2, .cancel = NULL };
  return ctx;
}

/* All outputs of one forward pass; caller frees each and the array. */
static RelTensor **
run_forward (RelNode *node, RelTensor *const *inputs, GError **error)
{
  RelContext ctx = test_context ();
  RelTensor **outputs = g_new0 (RelTensor *, (gsize) MAX (node->n_outputs, 1));

  if (!ensure_prepared (node, error)
      || !node->op->forward (node, inputs, outputs, &ctx, error))
    goto fail;
  for (int o = 0; o < node->n_outputs; o++)
    if (outputs[o] == NULL)
      {
        g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "%s forward left output %d unset",
                     node->op_type, o);
        goto fail;
      }
  return outputs;

fail:
  for (int o = 0; o < node->n_outputs; o++)
    if (outputs[o])
      rel_tensor_unref (outputs[o]);
  g_free (outputs);
  return NULL;
}

static void
free_outputs (RelNode *node, RelTensor **outputs)
{
  if (outputs == NULL)
    return;
  for (int o = 0; o < node->n_outputs; o++)
    if (outputs[o])
      rel_tensor_unref (outputs[o]);
  g_free (outputs);
}

RelTensor *
grad_check_forward (RelNode *node, RelTensor *const *inputs, GError **error)
{
  RelTensor **outputs = run_forward (node, inputs, error);
  RelTensor *y;

  if (outputs == NULL)
    return NULL;
  y = g_steal_pointer (&outputs[0]);
  free_outputs (node, outputs);
  return y;
}

void
grad_check_fill_uniform (RelTensor *t, GRand *rand, float lo, float hi)
{
  float *d = rel_tensor_f32 (t);
  for (int64_t i = 0; i < t->numel; i++)
    d[i] = (float) g_rand_double_range (rand, lo, hi);
}

/* How many outputs carry a cotangent: all of them for an op with
 * backward_outputs (Split), else output 0. */
static int
n_cotangents (const RelNode *node)
{
  return node->op->backward_outputs ? MIN (node->n_outputs, 8) : 1;
}

/* L = Σ_o Σ g_o·y_o for the current inputs, and Σ|g_o·y_o| (its rounding scale). */
static gboolean
eval_loss (RelNode *node, RelTensor *const *inputs, RelTensor *const *g,
           double *loss, double *scale, GError **error)
{
  RelTensor **outputs = run_forward (node, inputs, error);
  double s = 0.0, a = 0.0;

  if (outputs == NULL)
    return FALSE;
  for (int o = 0; o < n_cotangents (node); o++)
    {
      const RelTensor *y = outputs[o];
      const float *yd, *gd;

      if (!rel_tensor_same_shape (y, g[o]))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "%s output shape changed between forward passes", node->op_type);
          free_outputs (node, outputs);
          return FALSE;
        }
      yd = rel_tensor_f32 (y);
      gd = rel_tensor_f32 (g[o]);
      for (int64_t k = 0; k < y->numel; k++)
        {
          s += (double) gd[k] * (double) yd[k];
          a += fabs ((double) gd[k] * (double) yd[k]);
        }
    }
  free_outputs (node, outputs);
  *loss = s;
  if (scale)
    *scale = a;
  return TRUE;
}

gboolean
grad_check_run (RelNode *node, RelTensor *const *inputs, const gboolean *check,
                const GradCheckOptions *opts, GradCheckResult *result, GError **error)
{
  GradCheckOptions o = { 0 };
  GradCheckResult r = { 0 };
  RelContext ctx = test_context ();
  g_autoptr(GRand) rand = NULL;
  RelTensor *g[8] = { NULL };
  RelTensor **outputs = NULL;
  g_autofree RelTensor **grads = g_new0 (RelTensor *, (gsize) MAX (node->n_inputs, 1));
  g_autofree RelTensor **work = g_new0 (RelTensor *, (gsize) MAX (node->n_inputs, 1));
  g_autofree gboolean *need = g_new0 (gboolean, (gsize) MAX (node->n_inputs, 1));
  gboolean ok = FALSE;
  double loss0 = 0.0, scale0 = 0.0;

  if (opts)
    o = *opts;
  if (o.h <= 0)
    o.h = 1e-2;
  if (o.rel_tol <= 0)
    o.rel_tol = 1e-2;
  if (o.abs_tol <= 0)
    o.abs_tol = 1e-3;
  if (o.max_skipped <= 0)
    o.max_skipped = 0.5;
  if (o.seed == 0)
    o.seed = 1;
  rand = g_rand_new_with_seed (o.seed);

  if (node->op->backward == NULL && node->op->backward_outputs == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "%s has no backward", node->op_type);
      return FALSE;
    }
  outputs = run_forward (node, inputs, error);
  if (outputs == NULL)
    return FALSE;
  for (int c = 0; c < n_cotangents (node); c++)
    {
      g[c] = rel_tensor_new_like (outputs[c], error);
      if (g[c] == NULL)
        goto out;
      grad_check_fill_uniform (g[c], rand, -1.f, 1.f);
    }

  for (int i = 0; i < node->n_inputs; i++)
    {
      need[i] = check[i];
      work[i] = inputs[i];
      if (check[i] && (inputs[i] == NULL || inputs[i]->dtype != REL_DTYPE_FLOAT32))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "grad_check_run: input %d is absent or not float32", i);
          goto out;
        }
    }
  if (node->op->backward_outputs
      ? !node->op->backward_outputs (node, inputs, outputs, (const RelTensor *const *) g, grads, need, &ctx, error)
      : !node->op->backward (node, inputs, outputs, g[0], grads, need, &ctx, error))
    goto out;
  for (int i = 0; i < node->n_inputs; i++)
    if (need[i] && (grads[i] == NULL || !rel_tensor_same_shape (grads[i], inputs[i])))
      {
        g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                     "%s backward: gradient %d is %s", node->op_type, i,
                     grads[i] ? "shaped unlike its input" : "missing");
        goto out;
      }

  if (!eval_loss (node, work, g, &loss0, &scale0, error))
    goto out;

  for (int i = 0; i < node->n_inputs; i++)
    {
      g_autoptr(RelTensor) x = NULL;
      g_autofree int64_t *idx = NULL;
      int64_t n_idx;
      int64_t skipped = 0, checked = 0;

      if (!check[i])
        continue;
      x = rel_tensor_copy (inputs[i], error);
      if (x == NULL)
        goto out;
      work[i] = x;

      /* which elements: all, or a random sample without replacement */
      n_idx = x->numel;
      idx = g_new (int64_t, (gsize) MAX (n_idx, 1));
      for (int64_t k = 0; k < n_idx; k++)
        idx[k] = k;
      if (o.max_elements > 0 && n_idx > o.max_elements)
        {
          for (int64_t k = 0; k < o.max_elements; k++)
            {
              int64_t j = k + (int64_t) (g_rand_double (rand) * (double) (n_idx - k));
              int64_t t = idx[k];
              j = MIN (j, n_idx - 1);
              idx[k] = idx[j];
              idx[j] = t;
            }
          n_idx = o.max_elements;
        }

      for (int64_t k = 0; k < n_idx; k++)
        {
          int64_t e = idx[k];
          float *xd = rel_tensor_f32 (x);
          float x0 = xd[e];
          double h = o.h * MAX (1.0, fabs ((double) x0));
          double f[5], sc, fmax_scale = scale0;
          double d1, d2, d3, d4, kink, central, analytic, err, tol, noise;
          const int steps[4] = { -2, -1, 1, 2 };
          float hs[4];

          if (o.skip && o.skip (i, e, x0, o.skip_data))
            {
              skipped++;
              continue;
            }
          f[2] = loss0;
          for (int s = 0; s < 4; s++)
            {
              int slot = steps[s] + 2;
              xd[e] = (float) ((double) x0 + steps[s] * h);
              hs[s] = xd[e];
              if (!eval_loss (node, work, g, &f[slot], &sc, error))
                goto out;
              fmax_scale = MAX (fmax_scale, sc);
            }
          xd[e] = x0;
          /* use the steps actually representable in float32 */
          h = ((double) hs[2] - (double) hs[1]) / 2.0;
          if (h <= 0)
            {
              skipped++;
              continue;
            }
          d1 = (f[1] - f[0]) / h;
          d2 = (f[2] - f[1]) / h;
          d3 = (f[3] - f[2]) / h;
          d4 = (f[4] - f[3]) / h;
          central = (f[3] - f[1]) / (2.0 * h);
          analytic = rel_tensor_f32 (grads[i])[e];
          /* float32 rounding of the outputs, seen through a division by h */
          noise = 8.0 * FLT_EPSILON * fmax_scale / h;
          tol = o.rel_tol * MAX (fabs (analytic), fabs (central)) + o.abs_tol + noise;
          /* a kink makes consecutive second differences jump; a smooth
           * function changes them by O(h²) only */
          kink = MAX (fabs ((d3 - d2) - (d2 - d1)), fabs ((d4 - d3) - (d3 - d2)));
          if (kink > tol)
            {
              skipped++;
              continue;
            }
          err = fabs (analytic - central);
          checked++;
          r.max_abs_err = MAX (r.max_abs_err, err);
          r.max_rel_err = MAX (r.max_rel_err,
                               err / MAX (MAX (fabs (analytic), fabs (central)), o.abs_tol));
          if (err > tol)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_FAILED,
                           "%s: d/d input %d element %" G_GINT64_FORMAT " (x = %g): backward gives %.6g, "
                           "finite differences %.6g (tolerance %.3g)",
                           node->op_type, i, e, (double) x0, analytic, central, tol);
              goto out;
            }
        }
      work[i] = inputs[i];
      r.n_checked += checked;
      r.n_skipped += skipped;
      if (n_idx > 0 && (double) skipped > o.max_skipped * (double) n_idx)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_FAILED,
                       "%s: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                       " elements of input %d were skipped as kinks", node->op_type,
                       skipped, n_idx, i);
          goto out;
        }
    }
  ok = TRUE;

out:
  if (result)
    *result = r;
  free_outputs (node, outputs);
  for (int c = 0; c < 8; c++)
    if (g[c])
      rel_tensor_unref (g[c]);
  for (int i = 0; i < node->n_inputs; i++)
    if (grads[i])
      rel_tensor_unref (grads[i]);
  return ok;
}
