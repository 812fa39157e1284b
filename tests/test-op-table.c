/* test-op-table.c — the operator table agrees with its enum and its facts
 * hold: every RelOpId names its own entry, and an op flagged pointwise gives
 * on a crop of its input exactly the crop of its output (what incremental
 * occlusion relies on).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "grad-check.h"
#include "rel-model.h"
#include "rel-op.h"

static void
test_ids (void)
{
  const char *const *names = rel_op_names ();

  g_assert_cmpuint (g_strv_length ((char **) names), ==, REL_OP_COUNT);
  for (int id = 0; id < REL_OP_COUNT; id++)
    {
      const RelOpDef *d = rel_op_get (id);
      g_assert_nonnull (d);
      g_assert_nonnull (d->name);
      g_assert_cmpint (d->id, ==, id);
      g_assert_true (rel_op_lookup (d->name) == d);
      g_assert_cmpstr (rel_op_name (id), ==, d->name);
      g_assert_nonnull (d->forward);
    }
  g_assert_null (rel_op_lookup ("NoSuchOp"));
}

/* Facts that depend on each other. */
static void
test_facts (void)
{
  for (int id = 0; id < REL_OP_COUNT; id++)
    {
      const RelOpDef *d = rel_op_get (id);
      g_test_message ("%s", d->name);
      if (d->klass == REL_OP_CLASS_LINEAR)
        {
          g_assert_cmpint (d->weight_input, >=, 1);
          g_assert_cmpint (d->weight_input, <, d->max_inputs);
          g_assert_true (d->bias_input == 0 || (d->bias_input > d->weight_input && d->bias_input < d->max_inputs));
        }
      else
        g_assert_true (d->weight_input == 0 && d->bias_input == 0 && !(d->flags & REL_OP_OPERANDS_SWAP));
      if (d->flags & REL_OP_CONVOLUTION)
        g_assert_true (d->klass == REL_OP_CLASS_LINEAR && (d->flags & REL_OP_WINDOW));
      if (d->flags & REL_OP_WINDOW)
        g_assert_true ((d->window_pad == REL_OP_PAD_ZERO) == (d->klass == REL_OP_CLASS_LINEAR));
      if (d->flags & REL_OP_CAM_LAYER)
        g_assert_true (d->flags & REL_OP_WINDOW);
      g_assert_true (!((d->flags & REL_OP_POINTWISE) && (d->flags & REL_OP_WINDOW)));
      if (d->flags & REL_OP_CHANNEL_AFFINE)
        g_assert_cmpint (d->klass, ==, REL_OP_CLASS_NORM);
    }
}

static gboolean
same_float (float a, float b)
{
  return a == b || (isnan (a) && isnan (b));
}

/* x[:, :, r0:r0+h, c0:c0+w] of a 1×C×H×W tensor */
static RelTensor *
crop (const RelTensor *x, int r0, int c0, int h, int w)
{
  int64_t shape[4] = { 1, x->shape[1], h, w };
  RelTensor *y = rel_tensor_new_f32 (4, shape, NULL);

  for (int64_t c = 0; c < x->shape[1]; c++)
    for (int r = 0; r < h; r++)
      for (int k = 0; k < w; k++)
        rel_tensor_f32 (y)[(c * h + r) * w + k]
          = rel_tensor_f32 ((RelTensor *) x)[(c * x->shape[2] + r0 + r) * x->shape[3] + c0 + k];
  return y;
}

/* A pointwise op recomputed on a crop equals the crop of the full result;
 * a second operand is a per-channel constant, as incremental occlusion allows. */
static void
test_pointwise (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (13);
  int64_t xs[4] = { 1, 2, 5, 6 }, cs[4] = { 1, 2, 1, 1 };
  int checked = 0;

  for (int id = 0; id < REL_OP_COUNT; id++)
    {
      const RelOpDef *d = rel_op_get (id);
      g_autoptr(GError) error = NULL;
      g_autoptr(RelTensor) x = NULL, k = NULL, y = NULL, xc = NULL, yc = NULL, want = NULL;
      RelNode *node;
      int n_in;

      if (!(d->flags & REL_OP_POINTWISE))
        continue;
      g_test_message ("%s", d->name);
      n_in = d->min_inputs == 2 ? 2 : 1;
      g_assert_cmpint (d->min_inputs, <=, 2);
      x = rel_tensor_new_f32 (4, xs, NULL);
      k = rel_tensor_new_f32 (4, cs, NULL);
      /* inside every unary op's domain but Acosh's, whose NaNs compare as equal */
      grad_check_fill_uniform (x, rand, 0.1f, 0.9f);
      grad_check_fill_uniform (k, rand, 0.5f, 1.5f);
      node = grad_check_node_new (d->name, n_in, 1);
      {
        RelTensor *in[2] = { x, k };
        y = grad_check_forward (node, in, &error);
        g_assert_no_error (error);
      }
      xc = crop (x, 1, 2, 3, 3);
      {
        RelTensor *in[2] = { xc, k };
        yc = grad_check_forward (node, in, &error);
        g_assert_no_error (error);
      }
      want = crop (y, 1, 2, 3, 3);
      g_assert_cmpint (yc->numel, ==, want->numel);
      for (int64_t i = 0; i < want->numel; i++)
        g_assert_true (same_float (rel_tensor_f32 (yc)[i], rel_tensor_f32 (want)[i]));
      grad_check_node_free (node);
      checked++;
    }
  g_assert_cmpint (checked, >=, 40);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/op-table/ids", test_ids);
  g_test_add_func ("/op-table/facts", test_facts);
  g_test_add_func ("/op-table/pointwise", test_pointwise);
  return g_test_run ();
}
