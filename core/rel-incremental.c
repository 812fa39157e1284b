/* rel-incremental.c — exact incremental evaluation for perturbation methods.
 *
 * Plan (rel_incremental_new): every value computed from the input is either
 * LOCAL — it differs from its clean activation only inside a rectangle of
 * its H×W plane, the same for all channels — or FULL. The input is LOCAL. A
 * node is LOCAL when its op is local (Conv, MaxPool, AveragePool, element-wise
 * ops, BatchNormalization), its input-dependent inputs are LOCAL and its
 * changed rectangle stays under the fraction of the plane; anything else runs
 * in full. For each perturbation, a LOCAL value's changed rectangle is the
 * "tight" one (the window mapped through every layer's halo and stride); it
 * is stored as a patch of a fixed size per value (the largest tight size,
 * shifted inside the plane), so the patches of a batch stack into one tensor
 * and an op runs once for all of them.
 *
 * A LOCAL window op runs on a crop of its input (clean activation with the
 * input's patch laid over it) with its own padding semantics: a copy of the
 * node whose pads say how far the crop's windows leave the tensor, prepared
 * once per distinct padding (so Conv's Winograd weight cache is built once).
 * The crops of perturbations sharing a padding run as one batch.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-incremental.h"
#include "rel-blas.h"
#include "rel-error.h"
#include "rel-ops-window-private.h"

#include <math.h>
#include <string.h>

typedef enum { VAL_CONST, VAL_LOCAL, VAL_FULL } ValKind;
typedef enum { NODE_CONST, NODE_WINDOW, NODE_POINTWISE, NODE_FULL } NodeKind;

/* A window op prepared for crops that leave the tensor by @pads. */
typedef struct {
  int64_t  pads[4];   /* top, left, bottom, right (ONNX order) */
  int64_t  crop[2];   /* crop height, width */
  RelNode  node;
  RelAttr *attrs;
  int64_t  pad_ints[4];
} Variant;

typedef struct {
  NodeKind       kind;
  RelWindowGeom  g;         /* window ops: geometry on the clean input */
  int64_t        ek[2];     /* dilated kernel extents */
  gboolean       explicit_pad; /* Conv, MaxPool: crops carry the padding, one unpadded variant */
  float          pad_value;
  GPtrArray     *variants;  /* Variant* */
} NodePlan;

struct _RelIncremental {
  RelModel       *model;
  RelActivations *clean;
  int             n_values;
  ValKind        *kind;
  int            *size;      /* 2 per value: patch height, width of a LOCAL value */
  int            *last_use;  /* per value: last node reading it; n_nodes for the output */
  NodePlan       *plan;
  int             n_rects;
  int            *rects;     /* 4 per perturbation, clipped to the input plane */
  int             n_local;
  int64_t         full_row;
  int             chain_done; /* rel_incremental_forward_chain: rectangles applied to the clean input */
  gboolean        chain_owned; /* the LOCAL clean activations are private copies */  /* largest per-row element count a full-size node reads or writes */
};

static gboolean
is_plane (const RelTensor *t)
{
  return t && t->dtype == REL_DTYPE_FLOAT32 && t->ndim == 4 && t->shape[0] == 1
         && t->shape[2] >= 1 && t->shape[3] >= 1 && t->shape[2] <= G_MAXINT && t->shape[3] <= G_MAXINT;
}

static void
variant_free (gpointer data)
{
  Variant *v = data;
  if (v->node.params)
    {
      if (v->node.op->free_params)
        v->node.op->free_params (v->node.params);
      else
        g_free (v->node.params);
    }
  g_free (v->attrs);
  g_free (v);
}

/* A copy of @node with explicit @pads in place of pads/auto_pad. The other
 * attributes are shared with @node (the copy never frees them). */
static Variant *
variant_new (RelModel *model, const RelNode *node, const int64_t pads[4], const int64_t crop[2],
             GError **error)
{
  Variant *v = g_new0 (Variant, 1);
  int n = 0;

  memcpy (v->pads, pads, sizeof v->pads);
  memcpy (v->crop, crop, sizeof v->crop);
  memcpy (v->pad_ints, pads, sizeof v->pad_ints);
  v->attrs = g_new0 (RelAttr, node->n_attrs + 1);
  for (int k = 0; k < node->n_attrs; k++)
    if (strcmp (node->attrs[k].name, "pads") != 0 && strcmp (node->attrs[k].name, "auto_pad") != 0)
      v->attrs[n++] = node->attrs[k];
  v->attrs[n].name = (char *) "pads";
  v->attrs[n].type = REL_ATTR_INTS;
  v->attrs[n].n = 4;
  v->attrs[n].ints = v->pad_ints;
  n++;
  v->node = *node;
  v->node.attrs = v->attrs;
  v->node.n_attrs = n;
  v->node.params = NULL;
  if (node->op->prepare && !node->op->prepare (model, &v->node, error))
    {
      g_prefix_error (error, "node '%s' (%s): ", node->name, node->op_type);
      v->node.params = NULL;
      variant_free (v);
      return NULL;
    }
  return v;
}

void
rel_incremental_free (RelIncremental *inc)
{
  if (inc == NULL)
    return;
  if (inc->plan)
    for (int i = 0; i < inc->model->n_nodes; i++)
      if (inc->plan[i].variants)
        g_ptr_array_unref (inc->plan[i].variants);
  g_free (inc->plan);
  rel_activations_free (inc->clean);
  g_free (inc->kind);
  g_free (inc->size);
  g_free (inc->last_use);
  g_free (inc->rects);
  if (inc->model)
    rel_model_unref (inc->model);
  g_free (inc);
}

/* ---- rectangles ---- */

/* Outputs of a window op whose windows touch input rows [a, b) along @d. */
static void
window_span (const NodePlan *np, int d, int a, int b, int *oa, int *ob)
{
  const int64_t s = np->g.stride[d], pb = np->g.pad_begin[d], out = np->g.out[d];
  int64_t lo = (int64_t) a - np->ek[d] + 1 + pb;   /* o·s ≥ lo */
  int64_t hi = (int64_t) b - 1 + pb;               /* o·s ≤ hi */

  lo = lo <= 0 ? 0 : (lo + s - 1) / s;
  hi = hi < 0 ? 0 : hi / s + 1;
  lo = MIN (lo, out);
  hi = CLAMP (hi, lo, out);
  if (b <= a)
    hi = lo;
  *oa = (int) lo;
  *ob = (int) hi;
}

/* The tight changed rectangle (y0, x0, y1, x1) of node @i's output from its
 * inputs' rectangles: in[k] is input k's, or NULL if it is not LOCAL. */
static void
node_rect (const RelIncremental *inc, int i, const int *const *in, int *out)
{
  const NodePlan *np = &inc->plan[i];
  const RelNode *node = &inc->model->nodes[i];

  if (np->kind == NODE_WINDOW)
    {
      window_span (np, 0, in[0][0], in[0][2], &out[0], &out[2]);
      window_span (np, 1, in[0][1], in[0][3], &out[1], &out[3]);
      return;
    }
  out[0] = out[1] = G_MAXINT;
  out[2] = out[3] = G_MININT;
  for (int k = 0; k < node->n_inputs; k++)
    {
      const int *r = in[k];
      if (r == NULL || r[2] <= r[0] || r[3] <= r[1])
        continue;
      out[0] = MIN (out[0], r[0]);
      out[1] = MIN (out[1], r[1]);
      out[2] = MAX (out[2], r[2]);
      out[3] = MAX (out[3], r[3]);
    }
  if (out[0] == G_MAXINT)
    {
      /* nothing changed: an empty rectangle where the first input's is */
      for (int k = 0; k < node->n_inputs; k++)
        if (in[k])
          {
            out[0] = out[2] = in[k][0];
            out[1] = out[3] = in[k][1];
            return;
          }
      out[0] = out[1] = out[2] = out[3] = 0;
    }
}

/* Where a value's fixed-size patch sits for tight rectangle @r. */
static inline void
patch_pos (const int *r, const int *size, const RelTensor *clean, int *pos)
{
  pos[0] = CLAMP (r[0], 0, (int) clean->shape[2] - size[0]);
  pos[1] = CLAMP (r[1], 0, (int) clean->shape[3] - size[1]);
}

/* The input crop a window op needs for the output patch at @pos of @size:
 * its start @c0, extent @crop and the pads telling the op how far its windows
 * leave the tensor (the op's own padding semantics apply there). */
static void
window_crop (const NodePlan *np, const int *pos, const int *size, int64_t c0[2], int64_t crop[2],
             int64_t pads[4])
{
  if (np->explicit_pad)
    {
      /* the crop reaches into the padding, which crop_stack fills with
       * the op's padding value: one geometry for every window */
      for (int d = 0; d < 2; d++)
        {
          c0[d] = (int64_t) pos[d] * np->g.stride[d] - np->g.pad_begin[d];
          crop[d] = (int64_t) (size[d] - 1) * np->g.stride[d] + np->ek[d];
          pads[d] = pads[d + 2] = 0;
        }
      return;
    }
  for (int d = 0; d < 2; d++)
    {
      const RelWindowGeom *g = &np->g;
      int64_t o0 = pos[d], o1 = pos[d] + size[d];
      int64_t start = o0 * g->stride[d] - g->pad_begin[d];
      int64_t end = (o1 - 1) * g->stride[d] - g->pad_begin[d] + np->ek[d];
      int64_t c1;

      c0[d] = MAX (0, start);
      pads[d] = c0[d] - start;
      if (o1 >= g->out[d])
        {
          /* the last outputs: same end geometry as the whole tensor (ceil mode) */
          c1 = g->in[d];
          pads[d + 2] = g->pad_end[d];
        }
      else
        {
          c1 = MIN (end, g->in[d]);
          pads[d + 2] = end - c1;
        }
      crop[d] = c1 - c0[d];
    }
}

static int
variant_find (const NodePlan *np, const int64_t pads[4], const int64_t crop[2])
{
  for (guint k = 0; k < np->variants->len; k++)
    {
      const Variant *v = g_ptr_array_index (np->variants, k);
      if (memcmp (v->pads, pads, sizeof v->pads) == 0 && memcmp (v->crop, crop, sizeof v->crop) == 0)
        return (int) k;
    }
  return -1;
}

/* ---- plan ---- */

/* Whether node @i can run on rectangles (given its inputs' kinds); fills
 * the window geometry of a window op. */
static NodeKind
classify (RelIncremental *inc, int i, const RelContext *ctx)
{
  const RelNode *node = &inc->model->nodes[i];
  RelTensor **cv = inc->clean->values;
  NodePlan *np = &inc->plan[i];
  gboolean window = rel_node_has (node, REL_OP_WINDOW);
  const RelTensor *y;

  if (node->n_outputs != 1 || node->n_inputs < 1 || !is_plane (cv[node->outputs[0]]))
    return NODE_FULL;
  y = cv[node->outputs[0]];
  if (window)
    {
      g_autoptr(GError) ignored = NULL;
      const RelTensor *x = node->inputs[0] >= 0 ? cv[node->inputs[0]] : NULL;
      RelWindow w;
      int64_t in[2], kernel[2];

      if (x == NULL || inc->kind[node->inputs[0]] != VAL_LOCAL || !is_plane (x))
        return NODE_FULL;
      for (int k = 1; k < node->n_inputs; k++)
        if (node->inputs[k] >= 0 && inc->kind[node->inputs[k]] != VAL_CONST)
          return NODE_FULL;
      /* a weighted window (Conv) takes its kernel from the weight's shape */
      if (!rel_window_parse (node, node->op->klass != REL_OP_CLASS_LINEAR, &w, &ignored))
        return NODE_FULL;
      if (node->op->klass == REL_OP_CLASS_LINEAR)
        {
          int wi = node->op->weight_input;
          const RelTensor *wt = node->n_inputs > wi && node->inputs[wi] >= 0 ? cv[node->inputs[wi]] : NULL;
          if (wt == NULL || wt->ndim != 4)
            return NODE_FULL;
          kernel[0] = wt->shape[2];
          kernel[1] = wt->shape[3];
        }
      else
        {
          kernel[0] = w.kernel[0];
          kernel[1] = w.kernel[1];
        }
      in[0] = x->shape[2];
      in[1] = x->shape[3];
      if (!rel_window_resolve (&w, 2, in, kernel, &np->g, &ignored)
          || np->g.out[0] != y->shape[2] || np->g.out[1] != y->shape[3])
        return NODE_FULL;
      for (int d = 0; d < 2; d++)
        np->ek[d] = (np->g.kernel[d] - 1) * np->g.dilation[d] + 1;
      /* zeros are Conv's padding and −inf MaxPool's; AveragePool's divisor
       * depends on where the padding is, so it keeps the op's own pads */
      if (node->op->window_pad == REL_OP_PAD_ZERO)
        {
          np->explicit_pad = TRUE;
          return NODE_WINDOW;
        }
      /* a pool window entirely in the padding has no crop to run on */
      if (np->g.pad_begin[0] >= np->ek[0] || np->g.pad_begin[1] >= np->ek[1]
          || np->g.pad_end[0] >= np->ek[0] || np->g.pad_end[1] >= np->ek[1])
        return NODE_FULL;
      if (node->op->window_pad == REL_OP_PAD_NEG_INF)
        {
          np->explicit_pad = TRUE;
          np->pad_value = -INFINITY;
        }
      return NODE_WINDOW;
    }
  if (!rel_node_has (node, REL_OP_POINTWISE) && !rel_node_has (node, REL_OP_CHANNEL_AFFINE))
    return NODE_FULL;
  if (rel_node_has (node, REL_OP_CHANNEL_AFFINE) && ctx && ctx->training)
    return NODE_FULL;
  for (int k = 0; k < node->n_inputs; k++)
    {
      int v = node->inputs[k];
      const RelTensor *t = v >= 0 ? cv[v] : NULL;

      if (v < 0)
        continue;
      if (inc->kind[v] == VAL_LOCAL)
        {
          if (!rel_tensor_same_shape (t, y))
            return NODE_FULL;
        }
      else if (inc->kind[v] != VAL_CONST || t == NULL)
        return NODE_FULL;
      else if (rel_node_has (node, REL_OP_CHANNEL_AFFINE))
        {
          if (k == 0)
            return NODE_FULL;
        }
      else
        {
          /* a constant operand must not vary over the batch or the plane */
          if (t->ndim > 4 || (t->ndim >= 1 && t->shape[t->ndim - 1] != 1)
              || (t->ndim >= 2 && t->shape[t->ndim - 2] != 1) || (t->ndim == 4 && t->shape[0] != 1))
            return NODE_FULL;
        }
    }
  return NODE_POINTWISE;
}

RelIncremental *
rel_incremental_new (RelModel *model, RelTensor *input, const int *rects, int n_rects,
                     double max_fraction, const RelContext *ctx, GError **error)
{
  g_autoptr(RelIncremental) inc = NULL;
  g_autofree int **tight = NULL;
  int H, W, nv;
  gboolean ok = TRUE;

  if (!is_plane (input) || n_rects < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "incremental evaluation needs a 1×C×H×W float32 input and at least one rectangle");
      return NULL;
    }
  H = (int) input->shape[2];
  W = (int) input->shape[3];
  inc = g_new0 (RelIncremental, 1);
  inc->model = rel_model_ref (model);
  inc->clean = rel_model_forward (model, input, ctx, error);
  if (inc->clean == NULL)
    return NULL;
  nv = inc->n_values = inc->clean->n_values;
  inc->kind = g_new0 (ValKind, nv);
  inc->size = g_new0 (int, (gsize) nv * 2);
  inc->last_use = g_new (int, nv);
  inc->plan = g_new0 (NodePlan, MAX (model->n_nodes, 1));
  inc->n_rects = n_rects;
  inc->rects = g_new (int, (gsize) n_rects * 4);
  tight = g_new0 (int *, nv);

  for (int v = 0; v < nv; v++)
    inc->last_use[v] = -1;
  for (int i = 0; i < model->n_nodes; i++)
    for (int k = 0; k < model->nodes[i].n_inputs; k++)
      if (model->nodes[i].inputs[k] >= 0)
        inc->last_use[model->nodes[i].inputs[k]] = i;
  inc->last_use[model->output] = model->n_nodes;

  /* the input: LOCAL, its rectangles clipped to the plane */
  inc->kind[model->input] = VAL_LOCAL;
  inc->size[model->input * 2] = inc->size[model->input * 2 + 1] = 1;
  tight[model->input] = inc->rects;
  for (int r = 0; r < n_rects; r++)
    {
      int *t = inc->rects + r * 4;
      t[0] = CLAMP (rects[r * 4], 0, H);
      t[1] = CLAMP (rects[r * 4 + 1], 0, W);
      t[2] = CLAMP (rects[r * 4 + 2], t[0], H);
      t[3] = CLAMP (rects[r * 4 + 3], t[1], W);
      inc->size[model->input * 2] = MAX (inc->size[model->input * 2], t[2] - t[0]);
      inc->size[model->input * 2 + 1] = MAX (inc->size[model->input * 2 + 1], t[3] - t[1]);
    }

  for (int i = 0; i < model->n_nodes && ok; i++)
    {
      const RelNode *node = &model->nodes[i];
      NodePlan *np = &inc->plan[i];
      gboolean dep = FALSE;

      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] >= 0 && inc->kind[node->inputs[k]] != VAL_CONST)
          dep = TRUE;
      if (!dep)
        {
          np->kind = NODE_CONST;
          continue;
        }
      np->kind = max_fraction > 0 ? classify (inc, i, ctx) : NODE_FULL;
      if (np->kind != NODE_FULL)
        {
          int out = node->outputs[0];
          const RelTensor *y = inc->clean->values[out];
          int *size = inc->size + out * 2;
          int *rr = g_new (int, (gsize) n_rects * 4);
          g_autofree const int **in = g_new0 (const int *, MAX (node->n_inputs, 1));

          size[0] = size[1] = 1;
          for (int r = 0; r < n_rects; r++)
            {
              for (int k = 0; k < node->n_inputs; k++)
                in[k] = node->inputs[k] >= 0 && inc->kind[node->inputs[k]] == VAL_LOCAL
                        ? tight[node->inputs[k]] + r * 4 : NULL;
              node_rect (inc, i, in, rr + r * 4);
              size[0] = MAX (size[0], rr[r * 4 + 2] - rr[r * 4]);
              size[1] = MAX (size[1], rr[r * 4 + 3] - rr[r * 4 + 1]);
            }
          size[0] = MIN (size[0], (int) y->shape[2]);
          size[1] = MIN (size[1], (int) y->shape[3]);
          if ((double) size[0] * size[1] > max_fraction * (double) y->shape[2] * (double) y->shape[3])
            {
              g_free (rr);
              np->kind = NODE_FULL;
            }
          else
            {
              inc->kind[out] = VAL_LOCAL;
              tight[out] = rr;
              inc->n_local++;
              if (np->kind == NODE_WINDOW)
                {
                  np->variants = g_ptr_array_new_with_free_func (variant_free);
                  for (int r = 0; r < n_rects && ok; r++)
                    {
                      int pos[2];
                      int64_t c0[2], crop[2], pads[4];
                      Variant *var;

                      patch_pos (rr + r * 4, size, y, pos);
                      window_crop (np, pos, size, c0, crop, pads);
                      if (variant_find (np, pads, crop) >= 0)
                        continue;
                      var = variant_new (model, node, pads, crop, error);
                      if (var == NULL)
                        ok = FALSE;
                      else
                        g_ptr_array_add (np->variants, var);
                    }
                }
            }
        }
      if (np->kind == NODE_FULL)
        {
          for (int o = 0; o < node->n_outputs; o++)
            {
              const RelTensor *t = inc->clean->values[node->outputs[o]];
              inc->kind[node->outputs[o]] = VAL_FULL;
              if (t)
                inc->full_row = MAX (inc->full_row, t->numel / MAX (t->ndim > 0 ? t->shape[0] : 1, 1));
            }
          for (int k = 0; k < node->n_inputs; k++)
            if (node->inputs[k] >= 0 && inc->kind[node->inputs[k]] == VAL_LOCAL)
              inc->full_row = MAX (inc->full_row, inc->clean->values[node->inputs[k]]->numel);
        }
      /* rectangles are only needed while a later node reads them */
      for (int k = 0; k < node->n_inputs; k++)
        {
          int v = node->inputs[k];
          if (v >= 0 && tight[v] && inc->last_use[v] <= i && tight[v] != inc->rects)
            g_clear_pointer (&tight[v], g_free);
        }
    }
  for (int v = 0; v < nv; v++)
    if (tight[v] != inc->rects)
      g_free (tight[v]);
  if (!ok)
    return NULL;
  return g_steal_pointer (&inc);
}

RelActivations *
rel_incremental_clean (RelIncremental *inc)
{
  return inc->clean;
}

int
rel_incremental_n_local (const RelIncremental *inc)
{
  return inc->n_local;
}

int
rel_incremental_batch_hint (const RelIncremental *inc, int64_t budget)
{
  int64_t n = budget / MAX (inc->full_row, 1);
  n = CLAMP (n, 2, 64);
  return (int) (n - n % 2);
}

/* ---- running ---- */

/* Rows [y0, y0 + ch) × [x0, x0 + cw) of one C×H×W activation: the clean one
 * with @patch (C×ph×pw at py, px; NULL for none) laid over it, into @dst. */
static void
assemble (const float *clean, int64_t C, int64_t H, int64_t W,
          const float *patch, int64_t ph, int64_t pw, int64_t py, int64_t px,
          int64_t y0, int64_t x0, int64_t ch, int64_t cw, float *dst, int64_t drow, int64_t dplane)
{
  int64_t iy0 = MAX (y0, py), iy1 = MIN (y0 + ch, py + ph);
  int64_t ix0 = MAX (x0, px), ix1 = MIN (x0 + cw, px + pw);

  if (patch == NULL || ix1 <= ix0)
    iy1 = iy0;
  for (int64_t c = 0; c < C; c++)
    for (int64_t y = y0; y < y0 + ch; y++)
      {
        const float *src = clean + (c * H + y) * W + x0;
        float *d = dst + c * dplane + (y - y0) * drow;
        if (y >= iy0 && y < iy1)
          {
            memcpy (d, src, sizeof (float) * (size_t) (ix0 - x0));
            memcpy (d + (ix0 - x0), patch + (c * ph + y - py) * pw + (ix0 - px),
                    sizeof (float) * (size_t) (ix1 - ix0));
            memcpy (d + (ix1 - x0), src + (ix1 - x0), sizeof (float) * (size_t) (x0 + cw - ix1));
          }
        else
          memcpy (d, src, sizeof (float) * (size_t) cw);
      }
}

typedef struct {
  RelIncremental *inc;
  int             n;
  int            *tight;   /* n × n_values × 4 */
  int            *pos;     /* n × n_values × 2 */
  RelTensor     **vals;    /* LOCAL: n stacked patches; FULL: the batch tensor */
  RelTensor     **mat;     /* LOCAL values stacked in full for FULL nodes */
} Pass;

static inline const int *
pass_pos (const Pass *p, int b, int v)
{
  return p->pos + ((gsize) b * p->inc->n_values + v) * 2;
}

/* Crops of LOCAL value @v for rows @rows (n_rows of them) at regions
 * starting at c0[row] of @ch × @cw, stacked; parts outside the plane are
 * @pad. */
static RelTensor *
crop_stack (const Pass *p, int v, const int *rows, int n_rows, const int64_t *c0, int64_t ch, int64_t cw,
            float pad, GError **error)
{
  const RelTensor *clean = p->inc->clean->values[v];
  const RelTensor *patch = p->vals[v];
  const int *size = p->inc->size + v * 2;
  int64_t C = clean->shape[1], H = clean->shape[2], W = clean->shape[3];
  int64_t pplane = C * size[0] * size[1];
  RelTensor *t = rel_tensor_new_4d (n_rows, C, ch, cw, error);

  if (t == NULL)
    return NULL;
  for (int j = 0; j < n_rows; j++)
    {
      int b = rows ? rows[j] : j;
      const int *pp = pass_pos (p, b, v);
      int64_t y0 = c0[j * 2], x0 = c0[j * 2 + 1];
      int64_t iy0 = MAX (y0, 0), iy1 = MIN (y0 + ch, H), ix0 = MAX (x0, 0), ix1 = MIN (x0 + cw, W);
      float *d = rel_tensor_f32 (t) + j * C * ch * cw;

      if (iy0 != y0 || ix0 != x0 || iy1 != y0 + ch || ix1 != x0 + cw)
        for (int64_t i = 0; i < C * ch * cw; i++)
          d[i] = pad;
      if (iy1 > iy0 && ix1 > ix0)
        assemble (rel_tensor_f32 (clean), C, H, W, patch ? rel_tensor_f32 (patch) + b * pplane : NULL,
                  size[0], size[1], pp[0], pp[1], iy0, ix0, iy1 - iy0, ix1 - ix0,
                  d + (iy0 - y0) * cw + (ix0 - x0), cw, ch * cw);
    }
  return t;
}

static RelTensor *
materialize (Pass *p, int v, GError **error)
{
  const RelTensor *clean = p->inc->clean->values[v];
  g_autofree int64_t *c0 = g_new0 (int64_t, (gsize) p->n * 2);

  if (p->mat[v] == NULL)
    p->mat[v] = crop_stack (p, v, NULL, p->n, c0, clean->shape[2], clean->shape[3], 0, error);
  return p->mat[v];
}

static gboolean
check_out (const RelNode *node, const RelTensor *t, int64_t n, int64_t c, int64_t h, int64_t w, GError **error)
{
  if (t->ndim == 4 && t->shape[0] == n && t->shape[1] == c && t->shape[2] == h && t->shape[3] == w)
    return TRUE;
  g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
               "node '%s' (%s) gave an unexpected shape on a rectangle", node->name, node->op_type);
  return FALSE;
}

static gboolean
run_window (Pass *p, int i, const RelContext *ctx, GError **error)
{
  RelIncremental *inc = p->inc;
  const RelNode *node = &inc->model->nodes[i];
  const NodePlan *np = &inc->plan[i];
  int x = node->inputs[0], out = node->outputs[0];
  const int *size = inc->size + out * 2;
  const RelTensor *yc = inc->clean->values[out];
  int64_t M = yc->shape[1], oplane = M * size[0] * size[1];
  g_autofree int *var = g_new (int, p->n);
  g_autofree int *rows = g_new (int, p->n);
  g_autofree int64_t *c0 = g_new (int64_t, (gsize) p->n * 2);
  g_autoptr(RelTensor) y = NULL;

  for (int b = 0; b < p->n; b++)
    {
      int64_t crop[2], pads[4];
      window_crop (np, pass_pos (p, b, out), size, c0 + b * 2, crop, pads);
      var[b] = variant_find (np, pads, crop);
      if (var[b] < 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "node '%s': no prepared crop geometry", node->name);
          return FALSE;
        }
    }
  for (guint k = 0; k < np->variants->len; k++)
    {
      const Variant *v = g_ptr_array_index (np->variants, k);
      g_autoptr(RelTensor) xs = NULL;
      g_autofree int64_t *starts = NULL;
      g_autofree RelTensor **inputs = g_new0 (RelTensor *, MAX (node->n_inputs, 1));
      RelTensor *outputs[1] = { NULL };
      int g = 0;

      for (int b = 0; b < p->n; b++)
        if (var[b] == (int) k)
          rows[g++] = b;
      if (g == 0)
        continue;
      starts = g_new (int64_t, (gsize) g * 2);
      for (int j = 0; j < g; j++)
        {
          starts[j * 2] = c0[rows[j] * 2];
          starts[j * 2 + 1] = c0[rows[j] * 2 + 1];
        }
      xs = crop_stack (p, x, rows, g, starts, v->crop[0], v->crop[1], np->pad_value, error);
      if (xs == NULL)
        return FALSE;
      inputs[0] = xs;
      for (int q = 1; q < node->n_inputs; q++)
        inputs[q] = node->inputs[q] >= 0 ? inc->clean->values[node->inputs[q]] : NULL;
      if (!rel_node_forward (&v->node, inputs, outputs, ctx, error))
        return FALSE;
      if (!check_out (node, outputs[0], g, M, size[0], size[1], error))
        {
          rel_tensor_unref (outputs[0]);
          return FALSE;
        }
      if (g == p->n)
        {
          y = outputs[0];
          break;
        }
      if (y == NULL && (y = rel_tensor_new_4d (p->n, M, size[0], size[1], error)) == NULL)
        {
          rel_tensor_unref (outputs[0]);
          return FALSE;
        }
      for (int j = 0; j < g; j++)
        memcpy (rel_tensor_f32 (y) + rows[j] * oplane, rel_tensor_f32 (outputs[0]) + j * oplane,
                sizeof (float) * (size_t) oplane);
      rel_tensor_unref (outputs[0]);
    }
  p->vals[out] = g_steal_pointer (&y);
  return TRUE;
}

static gboolean
run_pointwise (Pass *p, int i, const RelContext *ctx, GError **error)
{
  RelIncremental *inc = p->inc;
  const RelNode *node = &inc->model->nodes[i];
  int out = node->outputs[0];
  const int *size = inc->size + out * 2;
  const RelTensor *yc = inc->clean->values[out];
  g_autofree RelTensor **inputs = g_new0 (RelTensor *, MAX (node->n_inputs, 1));
  g_autofree RelTensor **owned = g_new0 (RelTensor *, MAX (node->n_inputs, 1));
  RelTensor *outputs[1] = { NULL };
  gboolean ok = TRUE;

  for (int k = 0; k < node->n_inputs && ok; k++)
    {
      int v = node->inputs[k];
      gboolean same = TRUE;

      if (v < 0)
        continue;
      if (inc->kind[v] != VAL_LOCAL)
        {
          inputs[k] = inc->clean->values[v];
          continue;
        }
      /* an input patched where the output is (a chain of pointwise ops) is used as is */
      same = inc->size[v * 2] == size[0] && inc->size[v * 2 + 1] == size[1];
      for (int b = 0; b < p->n && same; b++)
        same = memcmp (pass_pos (p, b, v), pass_pos (p, b, out), 2 * sizeof (int)) == 0;
      if (same)
        inputs[k] = p->vals[v];
      else
        {
          g_autofree int64_t *c0 = g_new (int64_t, (gsize) p->n * 2);
          for (int b = 0; b < p->n; b++)
            {
              c0[b * 2] = pass_pos (p, b, out)[0];
              c0[b * 2 + 1] = pass_pos (p, b, out)[1];
            }
          inputs[k] = owned[k] = crop_stack (p, v, NULL, p->n, c0, size[0], size[1], 0, error);
          ok = inputs[k] != NULL;
        }
    }
  if (ok)
    ok = rel_node_forward (node, inputs, outputs, ctx, error);
  for (int k = 0; k < node->n_inputs; k++)
    if (owned[k])
      rel_tensor_unref (owned[k]);
  if (!ok)
    return FALSE;
  if (!check_out (node, outputs[0], p->n, yc->shape[1], size[0], size[1], error))
    {
      rel_tensor_unref (outputs[0]);
      return FALSE;
    }
  p->vals[out] = outputs[0];
  return TRUE;
}

static gboolean
run_full (Pass *p, int i, const RelContext *ctx, GError **error)
{
  RelIncremental *inc = p->inc;
  const RelNode *node = &inc->model->nodes[i];
  g_autofree RelTensor **inputs = g_new0 (RelTensor *, MAX (node->n_inputs, 1));
  RelTensor *outputs[8] = { NULL };

  if (node->n_outputs > 8)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "node '%s' has too many inputs or outputs",
                   node->name);
      return FALSE;
    }
  for (int k = 0; k < node->n_inputs; k++)
    {
      int v = node->inputs[k];
      if (v < 0)
        continue;
      if (inc->kind[v] == VAL_CONST)
        inputs[k] = inc->clean->values[v];
      else if (inc->kind[v] == VAL_FULL)
        inputs[k] = p->vals[v];
      else if ((inputs[k] = materialize (p, v, error)) == NULL)
        return FALSE;
    }
  if (!rel_node_forward (node, inputs, outputs, ctx, error))
    return FALSE;
  for (int o = 0; o < node->n_outputs; o++)
    {
      int v = node->outputs[o];
      if (p->vals[v])
        rel_tensor_unref (p->vals[v]);
      p->vals[v] = outputs[o];
    }
  return TRUE;
}

/* The input's patches: clean pixels with the perturbation's rectangle from
 * @replacement. */
static RelTensor *
input_patches (Pass *p, int first, const RelTensor *replacement, GError **error)
{
  RelIncremental *inc = p->inc;
  int v = inc->model->input;
  const RelTensor *clean = inc->clean->values[v];
  const int *size = inc->size + v * 2;
  int64_t C = clean->shape[1], H = clean->shape[2], W = clean->shape[3];
  g_autofree int64_t *c0 = g_new (int64_t, (gsize) p->n * 2);
  RelTensor *t;

  for (int b = 0; b < p->n; b++)
    {
      c0[b * 2] = pass_pos (p, b, v)[0];
      c0[b * 2 + 1] = pass_pos (p, b, v)[1];
    }
  /* no patch yet: a crop of the clean input */
  t = crop_stack (p, v, NULL, p->n, c0, size[0], size[1], 0, error);
  if (t == NULL)
    return NULL;
  for (int b = 0; b < p->n; b++)
    {
      const int *r = inc->rects + (first + b) * 4;
      float *dst = rel_tensor_f32 (t) + b * C * size[0] * size[1];
      for (int64_t c = 0; c < C; c++)
        for (int64_t y = r[0]; y < r[2]; y++)
          memcpy (dst + (c * size[0] + y - c0[b * 2]) * size[1] + (r[1] - c0[b * 2 + 1]),
                  rel_tensor_f32 (replacement) + (c * H + y) * W + r[1],
                  sizeof (float) * (size_t) (r[3] - r[1]));
    }
  return t;
}

/* Every perturbation's rectangles (first … first + n − 1) through the LOCAL
 * nodes: the tight ones and where each value's patch sits. */
static void
pass_rects (RelIncremental *inc, int first, int n, int *tight, int *pos)
{
  RelModel *model = inc->model;
  const int nv = inc->n_values, in = model->input;

  for (int b = 0; b < n; b++)
    {
      int *tb = tight + (gsize) b * nv * 4;
      int *pb = pos + (gsize) b * nv * 2;
      memcpy (tb + in * 4, inc->rects + (first + b) * 4, 4 * sizeof (int));
      patch_pos (tb + in * 4, inc->size + in * 2, inc->clean->values[in], pb + in * 2);
      for (int i = 0; i < model->n_nodes; i++)
        {
          const RelNode *node = &model->nodes[i];
          const int *ins[16];
          g_autofree const int **many = NULL;
          const int **use = ins;
          int out = node->outputs[0];

          if (inc->plan[i].kind != NODE_WINDOW && inc->plan[i].kind != NODE_POINTWISE)
            continue;
          if (node->n_inputs > 16)
            use = many = g_new0 (const int *, node->n_inputs);
          for (int k = 0; k < node->n_inputs; k++)
            use[k] = node->inputs[k] >= 0 && inc->kind[node->inputs[k]] == VAL_LOCAL
                     ? tb + node->inputs[k] * 4 : NULL;
          node_rect (inc, i, use, tb + out * 4);
          patch_pos (tb + out * 4, inc->size + out * 2, inc->clean->values[out], pb + out * 2);
        }
    }
}

/* A pass over perturbations first … first + n − 1, or, with @boundary (a
 * chain, see rel_incremental_forward_chain), only the FULL nodes of n inputs
 * whose LOCAL values read by them are given in full in boundary[v]. */
static RelTensor *
run_part (RelIncremental *inc, const RelTensor *replacement, int first, int n, RelTensor **boundary,
          const RelContext *ctx, GError **error)
{
  RelModel *model = inc->model;
  const int nv = inc->n_values;
  g_autofree int *tight = boundary ? NULL : g_new (int, (gsize) n * nv * 4);
  g_autofree int *pos = boundary ? NULL : g_new0 (int, (gsize) n * nv * 2);
  g_autofree RelTensor **vals = g_new0 (RelTensor *, nv);
  g_autofree RelTensor **mat = g_new0 (RelTensor *, nv);
  Pass p = { inc, n, tight, pos, vals, mat };
  RelTensor *result = NULL;
  gboolean ok = TRUE;
  int in = model->input;

  if (boundary)
    {
      for (int v = 0; v < nv; v++)
        if (boundary[v])
          mat[v] = rel_tensor_ref (boundary[v]);
    }
  else
    {
      pass_rects (inc, first, n, tight, pos);
      vals[in] = input_patches (&p, first, replacement, error);
      ok = vals[in] != NULL;
    }
  for (int i = 0; i < model->n_nodes && ok; i++)
    {
      const RelNode *node = &model->nodes[i];

      if (ctx->cancel && g_atomic_int_get (ctx->cancel))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
          ok = FALSE;
          break;
        }
      if (boundary && inc->plan[i].kind != NODE_FULL)
        continue;
      switch (inc->plan[i].kind)
        {
        case NODE_CONST:
          continue;
        case NODE_WINDOW:
          ok = run_window (&p, i, ctx, error);
          break;
        case NODE_POINTWISE:
          ok = run_pointwise (&p, i, ctx, error);
          break;
        case NODE_FULL:
          ok = run_full (&p, i, ctx, error);
          break;
        }
      for (int k = 0; k < node->n_inputs && ok; k++)
        {
          int v = node->inputs[k];
          if (v >= 0 && inc->last_use[v] == i)
            {
              g_clear_pointer (&vals[v], rel_tensor_unref);
              g_clear_pointer (&mat[v], rel_tensor_unref);
            }
        }
    }

  if (ok)
    {
      int out = model->output;
      if (inc->kind[out] == VAL_FULL)
        result = vals[out] ? rel_tensor_ref (vals[out]) : NULL;
      else if (inc->kind[out] == VAL_LOCAL)
        result = materialize (&p, out, error) ? rel_tensor_ref (mat[out]) : NULL;
      else
        {
          /* the output does not depend on the input */
          const RelTensor *c = inc->clean->values[out];
          int64_t shape[REL_MAX_DIMS];
          memcpy (shape, c->shape, sizeof shape);
          if (c->dtype == REL_DTYPE_FLOAT32 && c->ndim >= 1 && c->shape[0] == 1)
            {
              shape[0] = n;
              result = rel_tensor_new_f32 (c->ndim, shape, error);
              for (int b = 0; result && b < n; b++)
                memcpy (rel_tensor_f32 (result) + b * c->numel, rel_tensor_f32 (c),
                        sizeof (float) * (size_t) c->numel);
            }
          else
            g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "the model output has no batch dimension");
        }
      if (result && (result->ndim < 1 || result->shape[0] != n || result->dtype != REL_DTYPE_FLOAT32))
        {
          g_clear_pointer (&result, rel_tensor_unref);
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "the model output's first dimension is not the batch");
        }
      else if (result == NULL && error && *error == NULL)
        g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "the forward pass did not reach the output");
    }
  for (int v = 0; v < nv; v++)
    {
      if (vals[v])
        rel_tensor_unref (vals[v]);
      if (mat[v])
        rel_tensor_unref (mat[v]);
    }
  return result;
}

typedef struct {
  RelIncremental  *inc;
  const RelTensor *replacement;
  int              first, n;
  RelTensor      **boundary;
  RelContext       ctx;
  RelTensor       *result;
  GError          *error;
} HalfJob;

static gpointer
half_thread (gpointer data)
{
  HalfJob *h = data;
  h->result = run_part (h->inc, h->replacement, h->first, h->n, h->boundary, &h->ctx, &h->error);
  return NULL;
}

/* How a batch of n splits over the threads: rows [0, n1) here, the rest on a
 * second thread. */
static int
first_half (const RelContext *ctx, int n)
{
  return ctx->n_threads >= 2 && n >= 2 ? (n + 1) / 2 : n;
}

/* run_part over a batch, its two halves side by side on two cores (as
 * rel_grad_batch) when the context has two threads; a chain's boundary
 * tensors come per half (@bnd1 for rows n1 … n − 1). */
static RelTensor *
run_batch (RelIncremental *inc, const RelTensor *replacement, int first, int n, RelTensor **bnd0,
           RelTensor **bnd1, const RelContext *ctx, GError **error)
{
  int n1 = first_half (ctx, n);
  RelTensor *result;

  if (n1 < n)
    {
      HalfJob h = { inc, replacement, first + n1, n - n1, bnd1, *ctx, NULL, NULL };
      g_autoptr(RelTensor) r1 = NULL;
      g_autoptr(RelTensor) r2 = NULL;
      RelContext one = *ctx;
      GThread *thread;

      one.n_threads = 1;
      h.ctx.n_threads = 1;
      rel_blas_single_begin ();
      thread = g_thread_try_new ("rel-incremental", half_thread, &h, NULL);
      if (thread == NULL)
        half_thread (&h);
      r1 = run_part (inc, replacement, first, n1, bnd0, &one, error);
      if (thread)
        g_thread_join (thread);
      rel_blas_single_end ();
      r2 = h.result;
      if (r1 == NULL || r2 == NULL)
        {
          if (r1 != NULL)
            g_propagate_error (error, g_steal_pointer (&h.error));
          g_clear_error (&h.error);
          return NULL;
        }
      if (r1->ndim != r2->ndim || r1->numel / n1 != r2->numel / (n - n1))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "the two halves of a batch gave different shapes");
          return NULL;
        }
      {
        int64_t shape[REL_MAX_DIMS];
        memcpy (shape, r1->shape, sizeof shape);
        shape[0] = n;
        result = rel_tensor_new_f32 (r1->ndim, shape, error);
        if (result == NULL)
          return NULL;
        memcpy (rel_tensor_f32 (result), rel_tensor_f32 (r1), sizeof (float) * (size_t) r1->numel);
        memcpy (rel_tensor_f32 (result) + r1->numel, rel_tensor_f32 (r2), sizeof (float) * (size_t) r2->numel);
      }
      return result;
    }
  if (ctx->n_threads >= 2)
    rel_blas_single_begin ();
  result = run_part (inc, replacement, first, n, bnd0, ctx, error);
  if (ctx->n_threads >= 2)
    rel_blas_single_end ();
  return result;
}

static gboolean
check_forward_args (RelIncremental *inc, const RelTensor *replacement, int first, int n, GError **error)
{
  const RelTensor *x = inc->clean->values[inc->model->input];

  if (replacement == NULL || !rel_tensor_same_shape (replacement, x) || replacement->dtype != REL_DTYPE_FLOAT32
      || first < 0 || n < 1 || first > inc->n_rects - n)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "incremental forward: bad replacement or perturbation range");
      return FALSE;
    }
  return TRUE;
}

RelTensor *
rel_incremental_forward (RelIncremental *inc, const RelTensor *replacement, int first, int n,
                         const RelContext *ctx, GError **error)
{
  RelContext local;

  if (ctx == NULL)
    {
      rel_context_init (&local);
      ctx = &local;
    }
  if (!check_forward_args (inc, replacement, first, n, error))
    return NULL;
  return run_batch (inc, replacement, first, n, NULL, NULL, ctx, error);
}

/* ---- chains (pixel flipping) ---- */

/* Writes value @v's recomputed patch into its clean activation. */
static void
commit (const Pass *p, int v)
{
  RelTensor *clean = p->inc->clean->values[v];
  const int *size = p->inc->size + v * 2, *pp = pass_pos (p, 0, v);
  int64_t C = clean->shape[1], H = clean->shape[2], W = clean->shape[3];
  const float *src = rel_tensor_f32 (p->vals[v]);
  float *dst = rel_tensor_f32 (clean);

  for (int64_t c = 0; c < C; c++)
    for (int y = 0; y < size[0]; y++)
      memcpy (dst + (c * H + pp[0] + y) * W + pp[1], src + (c * size[0] + y) * size[1],
              sizeof (float) * (size_t) size[1]);
}

/* One link: the clean input takes rectangle @r from @replacement, and every
 * LOCAL activation is recomputed on its patch and written back, so the clean
 * activations become those of the new input. */
static gboolean
chain_step (RelIncremental *inc, const RelTensor *replacement, int r, const RelContext *ctx, GError **error)
{
  RelModel *model = inc->model;
  const int nv = inc->n_values;
  g_autofree int *tight = g_new (int, (gsize) nv * 4);
  g_autofree int *pos = g_new0 (int, (gsize) nv * 2);
  g_autofree RelTensor **vals = g_new0 (RelTensor *, nv);
  g_autofree RelTensor **mat = g_new0 (RelTensor *, nv);
  Pass p = { inc, 1, tight, pos, vals, mat };
  gboolean ok;

  pass_rects (inc, r, 1, tight, pos);
  vals[model->input] = input_patches (&p, r, replacement, error);
  ok = vals[model->input] != NULL;
  if (ok)
    commit (&p, model->input);
  for (int i = 0; i < model->n_nodes && ok; i++)
    {
      if (inc->plan[i].kind == NODE_WINDOW)
        ok = run_window (&p, i, ctx, error);
      else if (inc->plan[i].kind == NODE_POINTWISE)
        ok = run_pointwise (&p, i, ctx, error);
      else
        continue;
      /* later nodes lay this patch over the clean value: already there, the same */
      if (ok)
        commit (&p, model->nodes[i].outputs[0]);
    }
  for (int v = 0; v < nv; v++)
    {
      if (vals[v])
        rel_tensor_unref (vals[v]);
      if (mat[v])
        rel_tensor_unref (mat[v]);
    }
  return ok;
}

RelTensor *
rel_incremental_forward_chain (RelIncremental *inc, const RelTensor *replacement, int first, int n,
                               const RelContext *ctx, GError **error)
{
  RelModel *model = inc->model;
  const int nv = inc->n_values;
  RelContext local;
  g_autofree gboolean *edge = NULL;
  g_autofree RelTensor **bnd = NULL;
  int n1;
  RelTensor *result = NULL;
  gboolean ok = TRUE;

  if (ctx == NULL)
    {
      rel_context_init (&local);
      ctx = &local;
    }
  if (!check_forward_args (inc, replacement, first, n, error))
    return NULL;
  if (first != inc->chain_done)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "incremental chain: step %d asked for after %d (steps run in order, once)", first,
                   inc->chain_done);
      return NULL;
    }
  if (!inc->chain_owned)
    {
      /* the clean activations may share tensors with the caller (the input)
       * or with each other (Identity): the chain writes into private copies */
      for (int v = 0; v < nv; v++)
        if (inc->kind[v] == VAL_LOCAL)
          {
            RelTensor *t = rel_tensor_copy (inc->clean->values[v], error);
            if (t == NULL)
              return NULL;
            rel_tensor_unref (inc->clean->values[v]);
            inc->clean->values[v] = t;
          }
      inc->chain_owned = TRUE;
    }

  /* the LOCAL values a FULL node reads (and a LOCAL output): each link's
   * copy of them in full feeds the batched FULL part */
  edge = g_new0 (gboolean, nv);
  for (int i = 0; i < model->n_nodes; i++)
    if (inc->plan[i].kind == NODE_FULL)
      for (int k = 0; k < model->nodes[i].n_inputs; k++)
        {
          int v = model->nodes[i].inputs[k];
          if (v >= 0 && inc->kind[v] == VAL_LOCAL)
            edge[v] = TRUE;
        }
  if (inc->kind[model->output] == VAL_LOCAL)
    edge[model->output] = TRUE;
  n1 = first_half (ctx, n);
  bnd = g_new0 (RelTensor *, (gsize) nv * 2);
  for (int v = 0; v < nv && ok; v++)
    if (edge[v])
      {
        const RelTensor *c = inc->clean->values[v];
        bnd[v] = rel_tensor_new_4d (n1, c->shape[1], c->shape[2], c->shape[3], error);
        if (n1 < n)
          bnd[nv + v] = rel_tensor_new_4d (n - n1, c->shape[1], c->shape[2], c->shape[3], error);
        ok = bnd[v] != NULL && (n1 == n || bnd[nv + v] != NULL);
      }

    /* the links one after the other (each reads the previous one's state) */
  for (int j = 0; j < n && ok; j++)
    {
      if (ctx->cancel && g_atomic_int_get (ctx->cancel))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
          ok = FALSE;
          break;
        }
      if (!chain_step (inc, replacement, first + j, ctx, error))
        {
          /* some activations hold the new input, some the old: no going on */
          inc->chain_done = G_MININT;
          ok = FALSE;
          break;
        }
      inc->chain_done++;
      for (int v = 0; v < nv; v++)
        if (edge[v])
          {
            const RelTensor *c = inc->clean->values[v];
            RelTensor *dst = j < n1 ? bnd[v] : bnd[nv + v];
            memcpy (rel_tensor_f32 (dst) + (j < n1 ? j : j - n1) * c->numel, rel_tensor_f32 (c),
                    sizeof (float) * (size_t) c->numel);
          }
    }
  /* … and the rest of the network on all of them at once */
  if (ok)
    result = run_batch (inc, replacement, first, n, bnd, bnd + nv, ctx, error);
  for (int v = 0; v < nv * 2; v++)
    if (bnd[v])
      rel_tensor_unref (bnd[v]);
  return result;
}
