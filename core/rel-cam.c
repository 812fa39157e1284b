/* rel-cam.c — class activation maps: Grad-CAM (Selvaraju et al.) as Captum's
 * LayerGradCam, and Grad-CAM++ (Chattopadhyay et al.).
 *
 * Both weight a layer's activation maps by its gradient and keep the positive
 * part; upsampled bilinearly (PyTorch's align_corners=False) to the input size
 * and repeated over the input's channels, or returned at the layer's own
 * resolution as 1×1×h×w.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-gradient.h"
#include "rel-error.h"

#include <glib/gi18n-lib.h>   /* N_(): the method table is translated where it is shown */
#include <math.h>
#include <string.h>

/* The value a "layer" parameter names: a tensor, or a node (its first output);
 * empty means the output of the last Conv. */
static int
find_layer (RelModel *model, const char *layer, GError **error)
{
  int v, node;

  if (layer == NULL || *layer == '\0')
    {
      int i = rel_model_default_cam_layer (model);
      if (i >= 0)
        return model->nodes[i].outputs[0];
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "the model has no Conv layer: name one with layer=…");
      return -1;
    }
  v = rel_model_find_value (model, layer);
  if (v >= 0 && rel_model_value (model, v)->producer >= 0)
    return v;
  for (int i = 0; i < model->n_nodes; i++)
    if (g_strcmp0 (model->nodes[i].name, layer) == 0)
      return model->nodes[i].outputs[0];
  node = rel_model_find_node (model, layer);
  if (node >= 0)
    return model->nodes[node].outputs[0];
  g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
               "layer '%s' is neither a node nor a computed tensor of the model", layer);
  return -1;
}

/* Nodes at or before the layer's producer cannot change its gradient: skip them. */
static gboolean
stop_hook (RelModel *model, int node_index, RelTensor *const *inputs, RelTensor *const *outputs,
           const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
           gboolean *handled, gpointer user_data, GError **error)
{
  if (node_index <= GPOINTER_TO_INT (user_data))
    *handled = TRUE;
  return TRUE;
}

/* out[oh×ow] from in[ih×iw], bilinear with half-pixel centres (PyTorch
 * interpolate, align_corners=False). */
static void
resize_bilinear (const float *in, int ih, int iw, float *out, int oh, int ow)
{
  double sy = (double) ih / oh, sx = (double) iw / ow;

  for (int y = 0; y < oh; y++)
    {
      double fy = MAX (0.0, (y + 0.5) * sy - 0.5);
      int y0 = MIN ((int) fy, ih - 1);
      int y1 = MIN (y0 + 1, ih - 1);
      double ly = fy - y0;
      for (int x = 0; x < ow; x++)
        {
          double fx = MAX (0.0, (x + 0.5) * sx - 0.5);
          int x0 = MIN ((int) fx, iw - 1);
          int x1 = MIN (x0 + 1, iw - 1);
          double lx = fx - x0;
          double top = in[y0 * iw + x0] * (1 - lx) + in[y0 * iw + x1] * lx;
          double bot = in[y1 * iw + x0] * (1 - lx) + in[y1 * iw + x1] * lx;
          out[y * ow + x] = (float) (top * (1 - ly) + bot * ly);
        }
    }
}

static gboolean
run_cam (const RelMethodDef *method, const RelExplainRequest *req, RelExplanation *out, GError **error)
{
  RelModel *model = req->model;
  gboolean plus = strcmp (method->name, "gradcam-plus-plus") == 0;
  gboolean upsample = rel_params_get_bool (req->params, "upsample");
  g_autoptr(RelActivations) acts = NULL;
  g_autoptr(RelActivations) grads = NULL;
  g_autoptr(RelTensor) seed = NULL;
  g_autoptr(RelTensor) cam = NULL;
  g_autofree double *map = NULL;
  RelTensor *act, *grad;
  int layer, k, h, w;
  RelContext ctx;

  rel_context_init (&ctx);
  ctx.cancel = req->cancel;
  layer = find_layer (model, rel_params_get_string (req->params, "layer"), error);
  if (layer < 0)
    return FALSE;
  acts = rel_model_forward (model, req->input, &ctx, error);
  if (acts == NULL)
    return FALSE;
  act = rel_activations_get (acts, layer);
  if (act == NULL || act->dtype != REL_DTYPE_FLOAT32 || act->ndim != 4 || act->shape[0] != 1)
    {
      g_autofree char *shape = act ? rel_tensor_shape_string (act) : g_strdup ("none");
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "layer '%s' has shape %s; a CAM needs a 1×C×H×W feature map",
                   rel_model_value (model, layer)->name, shape);
      return FALSE;
    }
  seed = rel_target_seed (&req->target, rel_activations_output (acts), 1.0,
                          &out->target_class, &out->explained_output, error);
  if (seed == NULL)
    return FALSE;
  grads = rel_model_backward_values (model, acts, -1, seed, stop_hook,
                                     GINT_TO_POINTER (rel_model_value (model, layer)->producer),
                                     &ctx, error);
  if (grads == NULL)
    return FALSE;
  grad = rel_activations_get (grads, layer);

  k = (int) act->shape[1];
  h = (int) act->shape[2];
  w = (int) act->shape[3];
  map = g_new0 (double, (gsize) h * w);
  if (grad != NULL)
    {
      const float *A = rel_tensor_f32 (act), *G = rel_tensor_f32 (grad);
      gsize plane = (gsize) h * w;

      for (int c = 0; c < k; c++)
        {
          const float *a = A + c * plane, *g = G + c * plane;
          double weight = 0;

          if (!plus)
            {
              for (gsize i = 0; i < plane; i++)
                weight += g[i];
              weight /= (double) plane;
            }
          else
            {
              /* α = g² / (2g² + Σ A · g³ + 10⁻⁷), weight = Σ α·ReLU(g): the
               * closed form for an exponential of the score (Chattopadhyay et
               * al. eq. 19), stabilised as pytorch-grad-cam does */
              double sum_a = 0;
              for (gsize i = 0; i < plane; i++)
                sum_a += a[i];
              for (gsize i = 0; i < plane; i++)
                {
                  double g1 = g[i], g2 = g1 * g1, g3 = g2 * g1;
                  double alpha;
                  if (g1 == 0.0)
                    continue;
                  alpha = g2 / (2.0 * g2 + sum_a * g3 + 1e-7);
                  weight += alpha * MAX (g1, 0.0);
                }
            }
          for (gsize i = 0; i < plane; i++)
            map[i] += weight * a[i];
        }
    }
  for (gsize i = 0; i < (gsize) h * w; i++)
    map[i] = MAX (map[i], 0.0);

  if (!upsample)
    {
      cam = rel_tensor_new_4d (1, 1, h, w, error);
      if (cam == NULL)
        return FALSE;
      for (gsize i = 0; i < (gsize) h * w; i++)
        rel_tensor_f32 (cam)[i] = (float) map[i];
    }
  else
    {
      int C, H, W;
      g_autofree float *small = g_new (float, (gsize) h * w);

      if (req->input->ndim != 4)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "upsampling a CAM needs a 1×C×H×W input");
          return FALSE;
        }
      C = (int) req->input->shape[1];
      H = (int) req->input->shape[2];
      W = (int) req->input->shape[3];
      for (gsize i = 0; i < (gsize) h * w; i++)
        small[i] = (float) map[i];
      cam = rel_tensor_new_like (req->input, error);
      if (cam == NULL)
        return FALSE;
      resize_bilinear (small, h, w, rel_tensor_f32 (cam), H, W);
      for (int c = 1; c < C; c++)
        memcpy (rel_tensor_f32 (cam) + (gsize) c * H * W, rel_tensor_f32 (cam), (gsize) H * W * sizeof (float));
    }
  out->relevance = g_steal_pointer (&cam);
  return TRUE;
}

static const RelParamSpec cam_params[] = {
  { "layer", REL_PARAM_STRING, N_("Node or tensor whose feature maps are weighted (empty: the last Conv's output)"),
    0, 0, 0, "", NULL, "" },
  { "upsample", REL_PARAM_BOOL, N_("Resize the map bilinearly to the input size (false: the layer's 1×1×h×w)"),
    1, 0, 1, "" },
};

const RelMethodDef rel_methods_cam[] = {
  { "gradcam", N_("Grad-CAM"), N_("A layer's activations weighted by their mean gradient, positive part"),
    "cam", cam_params, G_N_ELEMENTS (cam_params), FALSE, run_cam },
  { "gradcam-plus-plus", N_("Grad-CAM++"), N_("Grad-CAM with pixel-wise weights from higher-order gradient terms"),
    "cam", cam_params, G_N_ELEMENTS (cam_params), FALSE, run_cam },
  { NULL },
};
