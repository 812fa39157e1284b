/* rel-ops-norm.c — BatchNormalization: inference with the running statistics,
 * and the training step's batch statistics.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-model.h"

#include <math.h>

static gboolean
check_grad (const RelTensor *grad, int64_t numel, const char *op, GError **error)
{
  if (grad->dtype == REL_DTYPE_FLOAT32 && grad->numel == numel)
    return TRUE;
  g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s backward: the output gradient has the wrong shape", op);
  return FALSE;
}

/* ---- BatchNormalization ----
 *
 * Inference form: y = scale·(x − mean)/√(var + ε) + B with the running
 * statistics (inputs 3 and 4). With ctx->training the core's training step
 * normalises with the batch statistics instead (mean and biased variance over
 * N and the spatial axes, per channel, as PyTorch does) and the backward goes
 * through them; the running statistics are then not read, and rel-train.c
 * updates them. Nothing is cached between forward and backward: the backward
 * recomputes the statistics from X, so the op stays a pure function. */

typedef struct {
  float epsilon;
} BatchNormParams;

static gboolean
batchnorm_prepare (RelModel *model, RelNode *node, GError **error)
{
  BatchNormParams *p;

  if (rel_node_attr_int (node, "training_mode", 0) != 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "BatchNormalization with training_mode = 1 is not supported (export the model in eval mode)");
      return FALSE;
    }
  if (rel_node_attr_int (node, "spatial", 1) != 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "BatchNormalization with spatial = 0 is not supported");
      return FALSE;
    }
  p = g_new0 (BatchNormParams, 1);
  p->epsilon = rel_node_attr_float (node, "epsilon", 1e-5f);
  if (!(p->epsilon >= 0.f) || !isfinite (p->epsilon))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "BatchNormalization epsilon must be a finite number ≥ 0");
      g_free (p);
      return FALSE;
    }
  node->params = p;
  return TRUE;
}

static gboolean
batchnorm_shape (RelTensor *const *inputs, int64_t *n, int64_t *c, int64_t *plane, GError **error)
{
  static const char *const names[] = { "X", "scale", "B", "mean", "var" };
  const RelTensor *x = inputs[0];

  if (x->dtype != REL_DTYPE_FLOAT32 || x->ndim < 2)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "BatchNormalization needs a float32 N×C×… input");
      return FALSE;
    }
  *n = x->shape[0];
  *c = x->shape[1];
  *plane = 1;
  for (int d = 2; d < x->ndim; d++)
    *plane *= x->shape[d];
  for (int i = 1; i < 5; i++)
    if (inputs[i]->dtype != REL_DTYPE_FLOAT32 || inputs[i]->numel != *c || inputs[i]->ndim != 1)
      {
        g_autofree char *s = rel_tensor_shape_string (inputs[i]);
        g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                     "BatchNormalization %s has shape %s but the input has %" G_GINT64_FORMAT " channels",
                     names[i], s, *c);
        return FALSE;
      }
  return TRUE;
}

/* Mean and biased variance of channel @ch over N and the plane, in double
 * (two passes: the variance of a shifted sum does not cancel). */
static void
batchnorm_batch_stats (const float *x, int64_t n, int64_t c, int64_t plane, int64_t ch,
                       double *mean, double *var)
{
  double s = 0.0, s2 = 0.0, m;
  int64_t count = n * plane;

  for (int64_t i = 0; i < n; i++)
    {
      const float *xp = x + (i * c + ch) * plane;
      for (int64_t k = 0; k < plane; k++)
        s += xp[k];
    }
  m = count > 0 ? s / (double) count : 0.0;
  for (int64_t i = 0; i < n; i++)
    {
      const float *xp = x + (i * c + ch) * plane;
      for (int64_t k = 0; k < plane; k++)
        s2 += (xp[k] - m) * (xp[k] - m);
    }
  *mean = m;
  *var = count > 0 ? s2 / (double) count : 0.0;
}

static gboolean
batchnorm_forward (const RelNode *node, RelTensor *const *inputs, RelTensor **outputs,
                   const RelContext *ctx, GError **error)
{
  const BatchNormParams *p = node->params;
  int64_t n, c, plane;
  RelTensor *y;
  const float *x, *scale, *bias, *mean, *var;
  float *yd;

  if (!batchnorm_shape (inputs, &n, &c, &plane, error))
    return FALSE;
  if ((y = rel_tensor_new_like (inputs[0], error)) == NULL)
    return FALSE;
  x = rel_tensor_f32 (inputs[0]);
  scale = rel_tensor_f32 (inputs[1]);
  bias = rel_tensor_f32 (inputs[2]);
  mean = rel_tensor_f32 (inputs[3]);
  var = rel_tensor_f32 (inputs[4]);
  yd = rel_tensor_f32 (y);
  for (int64_t ch = 0; ch < c; ch++)
    {
      float a, b;
      if (ctx && ctx->training)
        {
          double m, v;
          batchnorm_batch_stats (x, n, c, plane, ch, &m, &v);
          a = (float) (scale[ch] / sqrt (v + p->epsilon));
          b = (float) (bias[ch] - m * a);
        }
      else
        {
          a = scale[ch] / sqrtf (var[ch] + p->epsilon);
          b = bias[ch] - mean[ch] * a;
        }
      for (int64_t i = 0; i < n; i++)
        {
          const float *xp = x + (i * c + ch) * plane;
          float *yp = yd + (i * c + ch) * plane;
          for (int64_t k = 0; k < plane; k++)
            yp[k] = a * xp[k] + b;
        }
    }
  outputs[0] = y;
  return TRUE;
}

/* The training-mode VJP. With x̂ = (x − μ)·σ⁻¹ over the M = N·plane values
 * of a channel: dB = Σdy, dscale = Σdy·x̂ and
 * dx = scale·σ⁻¹/M · (M·dy − Σdy − x̂·Σdy·x̂) (μ and σ depend on every x).
 * The running statistics do not reach the output: their gradients are 0. */
static void
batchnorm_backward_batch (const BatchNormParams *p, const float *x, const float *scale,
                          const float *dy, int64_t n, int64_t c, int64_t plane, RelTensor **g)
{
  double count = (double) (n * plane);

  for (int i = 3; i < 5; i++)
    if (g[i])
      rel_tensor_fill (g[i], 0.f);
  for (int64_t ch = 0; ch < c; ch++)
    {
      double m, v, inv_std, sum_dy = 0.0, sum_dy_xhat = 0.0;

      batchnorm_batch_stats (x, n, c, plane, ch, &m, &v);
      inv_std = 1.0 / sqrt (v + p->epsilon);
      for (int64_t i = 0; i < n; i++)
        {
          const float *xp = x + (i * c + ch) * plane;
          const float *dyp = dy + (i * c + ch) * plane;
          for (int64_t k = 0; k < plane; k++)
            {
              sum_dy += dyp[k];
              sum_dy_xhat += dyp[k] * ((xp[k] - m) * inv_std);
            }
        }
      if (g[0])
        {
          double a = scale[ch] * inv_std / count;
          for (int64_t i = 0; i < n; i++)
            {
              const float *xp = x + (i * c + ch) * plane;
              const float *dyp = dy + (i * c + ch) * plane;
              float *dxp = rel_tensor_f32 (g[0]) + (i * c + ch) * plane;
              for (int64_t k = 0; k < plane; k++)
                dxp[k] = (float) (a * (count * dyp[k] - sum_dy - (xp[k] - m) * inv_std * sum_dy_xhat));
            }
        }
      if (g[1])
        rel_tensor_f32 (g[1])[ch] = (float) sum_dy_xhat;
      if (g[2])
        rel_tensor_f32 (g[2])[ch] = (float) sum_dy;
    }
}

static gboolean
batchnorm_backward (const RelNode *node, RelTensor *const *inputs, RelTensor *const *outputs,
                    const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
                    const RelContext *ctx, GError **error)
{
  const BatchNormParams *p = node->params;
  int64_t n, c, plane;
  const float *x, *scale, *mean, *var, *dy;
  RelTensor *g[5] = { NULL };

  if (!batchnorm_shape (inputs, &n, &c, &plane, error)
      || !check_grad (grad_output, inputs[0]->numel, "BatchNormalization", error))
    return FALSE;
  for (int i = 0; i < 5; i++)
    if (need[i] && (g[i] = rel_tensor_new_like (inputs[i], error)) == NULL)
      {
        for (int k = 0; k < i; k++)
          if (g[k])
            rel_tensor_unref (g[k]);
        return FALSE;
      }
  x = rel_tensor_f32 (inputs[0]);
  scale = rel_tensor_f32 (inputs[1]);
  mean = rel_tensor_f32 (inputs[3]);
  var = rel_tensor_f32 (inputs[4]);
  dy = rel_tensor_f32 (grad_output);
  if (ctx && ctx->training)
    {
      batchnorm_backward_batch (p, x, scale, dy, n, c, plane, g);
      for (int i = 0; i < 5; i++)
        if (need[i])
          grad_inputs[i] = g[i];
      return TRUE;
    }
  for (int64_t ch = 0; ch < c; ch++)
    {
      float inv_std = 1.f / sqrtf (var[ch] + p->epsilon);
      float a = scale[ch] * inv_std;
      double sum_dy = 0.0, sum_dy_xc = 0.0;

      for (int64_t i = 0; i < n; i++)
        {
          const float *xp = x + (i * c + ch) * plane;
          const float *dyp = dy + (i * c + ch) * plane;
          float s0 = 0.f, s1 = 0.f;
          if (g[0])
            {
              float *dxp = rel_tensor_f32 (g[0]) + (i * c + ch) * plane;
              for (int64_t k = 0; k < plane; k++)
                dxp[k] = a * dyp[k];
            }
          if (need[1] || need[2] || need[3] || need[4])
            for (int64_t k = 0; k < plane; k++)
              {
                s0 += dyp[k];
                s1 += dyp[k] * (xp[k] - mean[ch]);
              }
          sum_dy += s0;
          sum_dy_xc += s1;
        }
      if (g[1])
        rel_tensor_f32 (g[1])[ch] = (float) (sum_dy_xc * inv_std);
      if (g[2])
        rel_tensor_f32 (g[2])[ch] = (float) sum_dy;
      if (g[3])
        rel_tensor_f32 (g[3])[ch] = (float) (-a * sum_dy);
      if (g[4])  /* d/dvar of scale·(x − mean)·(var + ε)^−½ */
        rel_tensor_f32 (g[4])[ch] = (float) (-0.5 * scale[ch] * sum_dy_xc * inv_std * inv_std * inv_std);
    }
  for (int i = 0; i < 5; i++)
    if (need[i])
      grad_inputs[i] = g[i];
  return TRUE;
}

const RelOpDef rel_ops_norm[] = {
  { REL_OP_BATCH_NORMALIZATION, "BatchNormalization", 5, 5, 1, REL_OP_CLASS_NORM,  batchnorm_prepare, batchnorm_forward, batchnorm_backward, NULL,
    .flags = REL_OP_CHANNEL_AFFINE | REL_OP_AFFINE_FIRST },
  { REL_OP_COUNT, NULL },
};
REL_OP_TABLE_CHECK (rel_ops_norm, REL_OPS_POOL_END, REL_OPS_NORM_END);
