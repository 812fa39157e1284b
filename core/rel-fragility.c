/* rel-fragility.c — the numerical-fragility check of rel-fragility.h.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-fragility.h"
#include "rel-error.h"
#include "rel-rng.h"
#include "rel-op.h"

#include <math.h>
#include <string.h>

/* every float32 value times 1 + δ·u, u uniform in [−1, 1] */
static void
perturb (RelTensor *t, double delta, RelRng *rng)
{
  float *x = rel_tensor_f32 (t);

  for (int64_t i = 0; i < t->numel; i++)
    x[i] = (float) (x[i] * (1.0 + delta * (2.0 * rel_rng_uniform (rng) - 1.0)));
}

/* A forward pass whose every computed float32 value is perturbed, each node
 * reading its inputs' perturbed values: rounding differences as they
 * compound through the network. */
static RelActivations *
perturbed_forward (RelModel *model, RelTensor *input, double delta, guint64 seed, const RelContext *ctx,
                   GError **error)
{
  g_autoptr(RelActivations) acts = rel_model_forward (model, input, ctx, error);
  RelRng rng;

  if (acts == NULL)
    return NULL;
  /* the same allocation, the computed values replaced node by node */
  rel_rng_init (&rng, seed);
  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      g_autofree RelTensor **inputs = g_new0 (RelTensor *, MAX (node->n_inputs, 1));
      RelTensor *outputs[8] = { NULL };

      if (node->n_outputs > (int) G_N_ELEMENTS (outputs))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "node '%s' has too many outputs", node->name);
          return NULL;
        }
      if (ctx && ctx->cancel && g_atomic_int_get (ctx->cancel))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
          return NULL;
        }
      for (int k = 0; k < node->n_inputs; k++)
        inputs[k] = node->inputs[k] >= 0 ? acts->values[node->inputs[k]] : NULL;
      if (!rel_node_forward (node, inputs, outputs, ctx, error))
        return NULL;
      for (int o = 0; o < node->n_outputs; o++)
        {
          int v = node->outputs[o];
          RelTensor *t = outputs[o];
          /* a view of its input (Reshape, Identity) must not perturb that */
          if (t && t->dtype == REL_DTYPE_FLOAT32)
            {
              RelTensor *c = rel_tensor_copy (t, error);
              rel_tensor_unref (t);
              if (c == NULL)
                {
                  for (int r = o + 1; r < node->n_outputs; r++)
                    if (outputs[r])
                      rel_tensor_unref (outputs[r]);
                  return NULL;
                }
              perturb (c, delta, &rng);
              t = c;
            }
          if (acts->values[v])
            rel_tensor_unref (acts->values[v]);
          acts->values[v] = t;
        }
    }
  return g_steal_pointer (&acts);
}

static RelTensor *
input_gradient (RelModel *model, RelActivations *acts, const RelTarget *target, const RelContext *ctx,
                GError **error)
{
  g_autoptr(RelTensor) seed = NULL;
  g_autoptr(RelActivations) grads = NULL;
  RelTensor *g;
  int cls;
  double explained;

  seed = rel_target_seed (target, rel_activations_output (acts), 1.0, &cls, &explained, error);
  if (seed == NULL)
    return NULL;
  grads = rel_model_backward_values (model, acts, -1, seed, NULL, NULL, ctx, error);
  if (grads == NULL)
    return NULL;
  g = grads->values[model->input];
  if (g == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "the output does not depend on the input");
      return NULL;
    }
  return rel_tensor_ref (g);
}

gboolean
rel_gradient_stability (RelModel *model, RelTensor *input, const RelTarget *target, double delta,
                        guint64 seed, const RelContext *ctx, double *cosine, GError **error)
{
  g_autoptr(RelActivations) plain = NULL, shaken = NULL;
  g_autoptr(RelTensor) a = NULL, b = NULL;
  double dot = 0, na = 0, nb = 0;

  if (!(plain = rel_model_forward (model, input, ctx, error))
      || !(a = input_gradient (model, plain, target, ctx, error)))
    return FALSE;
  g_clear_pointer (&plain, rel_activations_free);
  if (!(shaken = perturbed_forward (model, input, delta, seed, ctx, error))
      || !(b = input_gradient (model, shaken, target, ctx, error)))
    return FALSE;
  for (int64_t i = 0; i < a->numel; i++)
    {
      double x = rel_tensor_f32 (a)[i], y = rel_tensor_f32 (b)[i];
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
  if (na == 0 && nb == 0)
    *cosine = 1.0;
  else if (na == 0 || nb == 0)
    *cosine = 0.0;
  else
    *cosine = dot / sqrt (na * nb);
  return TRUE;
}

gboolean
rel_explanation_check_fragility (const RelExplainRequest *req, RelExplanation *e, GError **error)
{
  const RelMethodDef *method = req->params ? rel_params_method (req->params) : NULL;
  RelContext ctx;
  double cosine;

  e->stability = NAN;
  if (method == NULL || method->family == NULL
      || (strcmp (method->family, "gradient") != 0 && strcmp (method->family, "lrp") != 0
          && strcmp (method->family, "cam") != 0))
    return TRUE;
  rel_context_init (&ctx);
  ctx.cancel = req->cancel;
  if (!rel_gradient_stability (req->model, req->input, &req->target, REL_FRAGILE_DELTA, 15, &ctx, &cosine, error))
    return FALSE;
  e->stability = cosine;
  return TRUE;
}

gboolean
rel_explanation_is_fragile (const RelExplanation *e)
{
  return e != NULL && !isnan (e->stability) && e->stability < REL_FRAGILE_COSINE;
}
