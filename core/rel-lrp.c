/* rel-lrp.c — Layer-wise Relevance Propagation as a modified backward pass.
 *
 * LRP runs the graph's backward engine with a hook that replaces each node's
 * vector–Jacobian product by a relevance rule. Rules never know the operator:
 * they re-run the node's own forward/backward with modified inputs and
 * weights (a Conv run with W⁺, a Gemm run on x⁺), so one implementation serves
 * Conv, Gemm and MatMul. The semantics follow Zennit 0.5.1, quirks included:
 *
 *   linear layers   the rule chosen for the node (ε, γ, αβ, z⁺, z^B, flat, w², pass);
 *   activations     relevance passes unchanged;
 *   routes          MaxPool, reshapes, Pad…: the gradient (relevance follows the winner);
 *   mixes           Add, AveragePool, GlobalAveragePool: each input gets its share
 *                   of the sum, R_i = x_i ⊙ VJP_i(R / stab(z)), stabiliser 1e-6;
 *   BatchNorm       folded into the preceding Conv/Gemm for this run (the model
 *                   itself is not modified), then passes relevance unchanged; a BN
 *                   with no linear layer in front gets the z-rule of a mix;
 *                   bn-merge=zennit keeps Zennit 0.5.1's quirk instead: its
 *                   MergeBatchNorm leaves the BN in place as y = x/√(1 + ε), so
 *                   the forward pass is scaled by k = 1/√(1 + ε) there and the
 *                   BN passes k·R (its gradient, as Zennit has no rule for it);
 *                   also on the Convs torch.onnx fused a BN into (see
 *                   mark_torch_folded_bn);
 *   bias Add        an Add of a per-channel constant right after a Conv, Gemm or
 *                   MatMul (tf2onnx's Dense = MatMul + Add) is folded the same way,
 *                   so the rules see it as the layer's bias.
 *
 * The stabiliser is stab(z) = z + ε·sign(z) with sign(0) = +1.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-explain.h"
#include "rel-lrp.h"
#include "rel-blas.h"
#include "rel-error.h"
#include "rel-file.h"
#include "rel-ops-window-private.h"

#include <glib/gi18n-lib.h>   /* N_(): the method table is translated where it is shown */
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* Zennit's default stabiliser of every rule but ε, and of the mix z-rule. */
#define LRP_STAB 1e-6f

/* A rule file bigger than this is not a rule file. */
#define LRP_RULES_MAX_BYTES (1 << 20)

typedef enum {
  LRP_NONE,       /* not a linear layer */
  LRP_EPSILON,
  LRP_GAMMA,
  LRP_ALPHA_BETA,
  LRP_ZPLUS,
  LRP_ZBOX,
  LRP_FLAT,
  LRP_WSQUARE,
  LRP_PASS,
} LrpKind;

typedef struct {
  LrpKind kind;
  double  epsilon, gamma, alpha, beta, low, high;
} LrpRule;

static const char *const rule_names[] = {
  [LRP_NONE] = "none",
  [LRP_EPSILON] = "epsilon",
  [LRP_GAMMA] = "gamma",
  [LRP_ALPHA_BETA] = "alpha-beta",
  [LRP_ZPLUS] = "zplus",
  [LRP_ZBOX] = "zbox",
  [LRP_FLAT] = "flat",
  [LRP_WSQUARE] = "wsquare",
  [LRP_PASS] = "pass",
};

static LrpRule
rule_make (LrpKind kind)
{
  LrpRule r = { kind, 1e-6, 0.25, 2.0, 1.0, 0.0, 1.0 };
  return r;
}

/* ---- small tensor helpers (float32; the weights are shared with the model,
 * so every helper returns a new tensor) ---- */

static RelTensor *
t_clamp (const RelTensor *t, int sign, GError **error)
{
  RelTensor *o = rel_tensor_new_like_uninit (t, error);
  const float *a;
  float *d;

  if (o == NULL)
    return NULL;
  a = rel_tensor_f32 (t);
  d = rel_tensor_f32 (o);
  if (sign > 0)
    for (int64_t i = 0; i < t->numel; i++)
      d[i] = a[i] > 0.f ? a[i] : 0.f;
  else
    for (int64_t i = 0; i < t->numel; i++)
      d[i] = a[i] < 0.f ? a[i] : 0.f;
  return o;
}

/* t + γ·clamp(t): Zennit's GammaMod */
static RelTensor *
t_gamma (const RelTensor *t, float gamma, int sign, GError **error)
{
  RelTensor *o = rel_tensor_new_like_uninit (t, error);
  const float *a;
  float *d;

  if (o == NULL)
    return NULL;
  a = rel_tensor_f32 (t);
  d = rel_tensor_f32 (o);
  for (int64_t i = 0; i < t->numel; i++)
    {
      float c = sign > 0 ? (a[i] > 0.f ? a[i] : 0.f) : (a[i] < 0.f ? a[i] : 0.f);
      d[i] = a[i] + gamma * c;
    }
  return o;
}

static RelTensor *
t_square (const RelTensor *t, GError **error)
{
  RelTensor *o = rel_tensor_new_like_uninit (t, error);
  const float *a;
  float *d;

  if (o == NULL)
    return NULL;
  a = rel_tensor_f32 (t);
  d = rel_tensor_f32 (o);
  for (int64_t i = 0; i < t->numel; i++)
    d[i] = a[i] * a[i];
  return o;
}

/* k·t as a new tensor */
static RelTensor *
t_scaled (const RelTensor *t, double k, GError **error)
{
  RelTensor *o = rel_tensor_copy (t, error);

  if (o)
    for (int64_t i = 0; i < o->numel; i++)
      rel_tensor_f32 (o)[i] = (float) (rel_tensor_f32 (o)[i] * k);
  return o;
}

static RelTensor *
t_ones_like (const RelTensor *t, GError **error)
{
  RelTensor *o = rel_tensor_new_like_uninit (t, error);
  if (o)
    rel_tensor_fill (o, 1.f);
  return o;
}

static gboolean
t_any_negative (const RelTensor *t)
{
  const float *a = rel_tensor_f32 (t);
  int64_t i = 0;

  /* blocks the compiler can vectorise, with an exit between them */
  for (; i + 256 <= t->numel; i += 256)
    {
      int neg = 0;
      for (int k = 0; k < 256; k++)
        neg |= a[i + k] < 0.f;
      if (neg)
        return TRUE;
    }
  for (; i < t->numel; i++)
    if (a[i] < 0.f)
      return TRUE;
  return FALSE;
}

/* a += alpha·b */
static void
t_axpy (RelTensor *a, float alpha, const RelTensor *b)
{
  float *d = rel_tensor_f32 (a);
  const float *s = rel_tensor_f32 (b);
  for (int64_t i = 0; i < a->numel; i++)
    d[i] += alpha * s[i];
}

/* Element-wise loops over activations run on the context's threads when
 * they are big (rel_parallel_run keeps small ones on this thread). */
typedef struct {
  float       *d;
  const float *a, *b, *c;
  float        eps;
  int          mask;
  int64_t      n;
} EwJob;

static void
mul_part (int part, int n_parts, gpointer data)
{
  EwJob *j = data;
  int64_t begin, end;

  rel_part_range (j->n, part, n_parts, &begin, &end);
  for (int64_t i = begin; i < end; i++)
    j->d[i] *= j->a[i];
}

/* a *= b */
static void
t_mul (RelTensor *a, const RelTensor *b, int threads)
{
  EwJob j = { rel_tensor_f32 (a), rel_tensor_f32 (b), NULL, NULL, 0.f, 0, a->numel };
  rel_parallel_run (threads, a->numel, mul_part, &j);
}

static inline float
stabilize (float z, float eps)
{
  /* Zennit: z + ε·sign(z) with sign(0) = +1 */
  return z + (z >= 0.f ? eps : -eps);
}

static void
div_stab_part (int part, int n_parts, gpointer data)
{
  EwJob *j = data;
  const float *rr = j->a, *zz = j->b, *ss = j->c;
  int64_t begin, end;

  rel_part_range (j->n, part, n_parts, &begin, &end);
  for (int64_t i = begin; i < end; i++)
    {
      if (j->mask > 0 && !(ss[i] > 0.f))
        j->d[i] = 0.f;
      else if (j->mask < 0 && !(ss[i] < 0.f))
        j->d[i] = 0.f;
      else
        {
          /* ε = 0 (LRP-0 from a rule file) on an exact zero: nothing to pass on */
          float den = stabilize (zz[i], j->eps);
          j->d[i] = den != 0.f ? rr[i] / den : 0.f;
        }
    }
}

/* R / stab(z); with @mask > 0 only where z > 0, with @mask < 0 only where
 * @zsign < 0 (the generalised γ rule splits by the sign of the plain output). */
static RelTensor *
t_div_stab (const RelTensor *r, const RelTensor *z, float eps, const RelTensor *zsign, int mask,
            int threads, GError **error)
{
  RelTensor *o;
  EwJob j;

  if (r->numel != z->numel || (zsign && zsign->numel != z->numel) || (mask != 0 && zsign == NULL))
    {
      g_autofree char *a = rel_tensor_shape_string (r);
      g_autofree char *b = rel_tensor_shape_string (z);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "relevance of shape %s does not match the layer output %s", a, b);
      return NULL;
    }
  o = rel_tensor_new_like_uninit (z, error);
  if (o == NULL)
    return NULL;
  j = (EwJob) { rel_tensor_f32 (o), rel_tensor_f32 (r), rel_tensor_f32 (z),
                zsign ? rel_tensor_f32 (zsign) : NULL, eps, mask, z->numel };
  rel_parallel_run (threads, z->numel, div_stab_part, &j);
  return o;
}

/* ---- one linear layer, run with modified operands ---- */

typedef struct {
  const RelNode     *node;
  RelTensor *const  *inputs;     /* the forward's inputs of the node */
  int                xi, wi, bi; /* activation, weight and bias input indices (bi −1: none) */
  RelTensor         *x;          /* the activation */
  RelTensor         *w, *b;      /* effective weight and bias (BN folded), b may be NULL */
  RelTensor         *z;          /* effective output: the node's or the folded BN's */
  float              gemm_beta;  /* Gemm's beta (the bias is added here, not by the kernel) */
  gboolean           conv;
  const RelContext  *ctx;
  RelTensor        **zslot;     /* this node's 2 cached rule denominators (batch 1), or NULL */
} Lin;

/* A rule's denominator z depends on the forward pass only, not on the
 * relevance: the batch-1 pass keeps it, and a conditional pass over a batch
 * of copies of the same input (rel-lrp.h) tiles it instead of running the
 * modified layer again. NULL when there is nothing to reuse. */
static RelTensor *
lin_z_cached (const Lin *L, int slot, GError **error)
{
  const RelTensor *z;
  int64_t shape[REL_MAX_DIMS], n;
  RelTensor *o;

  if (L->zslot == NULL || (z = L->zslot[slot]) == NULL || L->x->ndim < 1 || (n = L->x->shape[0]) <= 1
      || z->ndim < 1 || z->shape[0] != 1)
    return NULL;
  memcpy (shape, z->shape, sizeof shape);
  shape[0] = n;
  if (!(o = rel_tensor_new_uninit (REL_DTYPE_FLOAT32, z->ndim, shape, error)))
    return NULL;
  for (int64_t k = 0; k < n; k++)
    memcpy (rel_tensor_f32 (o) + k * z->numel, rel_tensor_f32 (z), (size_t) z->numel * sizeof (float));
  return o;
}

static void
lin_z_store (const Lin *L, int slot, RelTensor *z)
{
  if (L->zslot && L->x->ndim >= 1 && L->x->shape[0] == 1 && L->zslot[slot] == NULL)
    L->zslot[slot] = rel_tensor_ref (z);
}

/* Adds a (modified) bias to a layer output the kernel computed without one. */
static gboolean
lin_add_bias (const Lin *L, RelTensor *z, const RelTensor *b, GError **error)
{
  float *d = rel_tensor_f32 (z);
  const float *bb = rel_tensor_f32 (b);

  if (L->conv)
    {
      int64_t m = z->ndim >= 2 ? z->shape[1] : 0;
      int64_t inner = 1;

      if (b->numel != m || m == 0)
        goto mismatch;
      for (int k = 2; k < z->ndim; k++)
        inner *= z->shape[k];
      for (int64_t n = 0; n < z->shape[0]; n++)
        for (int64_t c = 0; c < m; c++)
          {
            float *p = d + (n * m + c) * inner;
            for (int64_t i = 0; i < inner; i++)
              p[i] += bb[c];
          }
      return TRUE;
    }
  else
    {
      /* Gemm's C broadcasts unidirectionally to M×N */
      int64_t cols = z->ndim >= 1 ? z->shape[z->ndim - 1] : 1;
      int64_t rows = cols ? z->numel / cols : 0;
      float beta = L->gemm_beta;

      if (b->numel == z->numel)
        for (int64_t i = 0; i < z->numel; i++)
          d[i] += beta * bb[i];
      else if (b->numel == cols)
        for (int64_t r = 0; r < rows; r++)
          for (int64_t c = 0; c < cols; c++)
            d[r * cols + c] += beta * bb[c];
      else if (b->numel == 1)
        for (int64_t i = 0; i < z->numel; i++)
          d[i] += beta * bb[0];
      else if (b->numel == rows)
        for (int64_t r = 0; r < rows; r++)
          for (int64_t c = 0; c < cols; c++)
            d[r * cols + c] += beta * bb[r];
      else
        goto mismatch;
      return TRUE;
    }

mismatch:
  {
    g_autofree char *a = rel_tensor_shape_string (b);
    g_autofree char *o = rel_tensor_shape_string (z);
    g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                 "node '%s': bias of shape %s does not fit the output %s", L->node->name, a, o);
    return FALSE;
  }
}

/* forward(x, w) + b */
static RelTensor *
lin_forward (const Lin *L, RelTensor *x, RelTensor *w, const RelTensor *b, GError **error)
{
  const RelNode *node = L->node;
  g_autofree RelTensor **in = g_new0 (RelTensor *, MAX (node->n_inputs, 1));
  RelTensor *out[8] = { NULL };

  gboolean fused = FALSE;

  for (int k = 0; k < node->n_inputs; k++)
    in[k] = L->inputs[k];
  in[L->xi] = x;
  in[L->wi] = w;
  if (L->bi >= 0 && L->bi < node->n_inputs)
    {
      /* the kernel adds a bias of the node's own shape itself, fused */
      const RelTensor *orig = L->inputs[L->bi];
      fused = b && orig && rel_tensor_same_shape (orig, b);
      in[L->bi] = fused ? (RelTensor *) b : NULL;
    }
  if (!node->op->forward (node, in, out, L->ctx, error))
    {
      for (int o = 0; o < 8; o++)
        if (out[o])
          rel_tensor_unref (out[o]);
      return NULL;
    }
  for (int o = 1; o < 8; o++)
    if (out[o])
      rel_tensor_unref (out[o]);
  if (out[0] == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "node '%s' produced no output", node->name);
      return NULL;
    }
  if (b && !fused && !lin_add_bias (L, out[0], b, error))
    {
      rel_tensor_unref (out[0]);
      return NULL;
    }
  return out[0];
}

/* VJP w.r.t. the activation of the layer run with weight @w, cotangent @s. */
static RelTensor *
lin_vjp (const Lin *L, RelTensor *w, const RelTensor *s, GError **error)
{
  const RelNode *node = L->node;
  int n_in = MAX (node->n_inputs, 1);
  g_autofree RelTensor **in = g_new0 (RelTensor *, n_in);
  RelTensor *out[8] = { NULL };
  g_autofree RelTensor **grad = g_new0 (RelTensor *, n_in);
  g_autofree gboolean *need = g_new0 (gboolean, n_in);

  for (int k = 0; k < node->n_inputs; k++)
    in[k] = L->inputs[k];
  in[L->xi] = L->x;
  in[L->wi] = w;
  if (L->bi >= 0 && L->bi < node->n_inputs)
    in[L->bi] = NULL;
  out[0] = (RelTensor *) s;   /* only its shape matters to a linear op */
  need[L->xi] = TRUE;
  if (!node->op->backward (node, in, out, s, grad, need, L->ctx, error))
    {
      for (int k = 0; k < node->n_inputs; k++)
        if (grad[k])
          rel_tensor_unref (grad[k]);
      return NULL;
    }
  for (int k = 0; k < node->n_inputs; k++)
    if (k != L->xi && grad[k])
      rel_tensor_unref (grad[k]);
  if (grad[L->xi] == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "node '%s' gave no input gradient", node->name);
      return NULL;
    }
  return grad[L->xi];
}

/* Σ_k sign_k · a_k ⊙ VJP(w_k, s_k) accumulated into *acc (created on first use). */
static gboolean
lin_accumulate (const Lin *L, RelTensor **acc, float scale, const RelTensor *a,
                RelTensor *w, const RelTensor *s, GError **error)
{
  g_autoptr(RelTensor) c = lin_vjp (L, w, s, error);

  if (c == NULL)
    return FALSE;
  if (a)
    t_mul (c, a, L->ctx->n_threads);
  if (*acc == NULL && scale == 1.f)
    {
      *acc = g_steal_pointer (&c);
      return TRUE;
    }
  if (*acc == NULL)
    {
      *acc = rel_tensor_new_like (c, error);
      if (*acc == NULL)
        return FALSE;
    }
  t_axpy (*acc, scale, c);
  return TRUE;
}

static RelTensor *
rule_epsilon (const Lin *L, const RelTensor *R, float eps, GError **error)
{
  g_autoptr(RelTensor) s = t_div_stab (R, L->z, eps, NULL, 0, L->ctx->n_threads, error);
  RelTensor *c;

  if (s == NULL)
    return NULL;
  c = lin_vjp (L, L->w, s, error);
  if (c)
    t_mul (c, L->x, L->ctx->n_threads);
  return c;
}

/* αβ (z⁺ is α = 1, β = 0): positive and negative parts of the contributions,
 * x⁺W⁺ + x⁻W⁻ (+ b⁺) and x⁺W⁻ + x⁻W⁺ (+ b⁻), each normalised by its own sum. */
static RelTensor *
rule_alpha_beta (const Lin *L, const RelTensor *R, float alpha, float beta, GError **error)
{
  g_autoptr(RelTensor) xp = NULL, xn = NULL, wp = NULL, wn = NULL, bp = NULL, bn = NULL;
  g_autoptr(RelTensor) zp = NULL, zn = NULL, sp = NULL, sn = NULL;
  RelTensor *acc = NULL;
  gboolean has_neg = t_any_negative (L->x);

  /* after a ReLU x = x⁺ and the x⁻ terms vanish; z⁺ (β = 0) needs no W⁻ then */
  xp = has_neg ? t_clamp (L->x, +1, error) : rel_tensor_ref (L->x);
  if (xp == NULL || !(wp = t_clamp (L->w, +1, error)))
    return NULL;
  if ((has_neg || beta != 0.f) && !(wn = t_clamp (L->w, -1, error)))
    return NULL;
  if (has_neg && !(xn = t_clamp (L->x, -1, error)))
    return NULL;
  if (L->b && (!(bp = t_clamp (L->b, +1, error)) || (beta != 0.f && !(bn = t_clamp (L->b, -1, error)))))
    return NULL;

  /* positive contributions */
  if (!(zp = lin_z_cached (L, 0, NULL)))
    {
      if (!(zp = lin_forward (L, xp, wp, bp, error)))
        return NULL;
      if (has_neg)
        {
          g_autoptr(RelTensor) t = lin_forward (L, xn, wn, NULL, error);
          if (t == NULL)
            return NULL;
          t_axpy (zp, 1.f, t);
        }
      lin_z_store (L, 0, zp);
    }
  if (!(sp = t_div_stab (R, zp, LRP_STAB, NULL, 0, L->ctx->n_threads, error)))
    return NULL;
  if (!lin_accumulate (L, &acc, alpha, xp, wp, sp, error)
      || (has_neg && !lin_accumulate (L, &acc, alpha, xn, wn, sp, error)))
    goto fail;

  if (beta != 0.f)
    {
      if (!(zn = lin_z_cached (L, 1, NULL)))
        {
          if (!(zn = lin_forward (L, xp, wn, bn, error)))
            goto fail;
          if (has_neg)
            {
              g_autoptr(RelTensor) t = lin_forward (L, xn, wp, NULL, error);
              if (t == NULL)
                goto fail;
              t_axpy (zn, 1.f, t);
            }
          lin_z_store (L, 1, zn);
        }
      if (!(sn = t_div_stab (R, zn, LRP_STAB, NULL, 0, L->ctx->n_threads, error)))
        goto fail;
      if (!lin_accumulate (L, &acc, -beta, xp, wn, sn, error)
          || (has_neg && !lin_accumulate (L, &acc, -beta, xn, wp, sn, error)))
        goto fail;
    }
  return acc;

fail:
  rel_tensor_unref (acc);
  return NULL;
}

/* Zennit's generalised γ rule: for outputs z > 0, the contributions
 * x⁺(W+γW⁺) + x⁻(W+γW⁻) (+ b+γb⁺); for z < 0, x⁺(W+γW⁻) + x⁻(W+γW⁺) (+ b+γb⁻).
 * With non-negative inputs and positive outputs this is the classic W + γW⁺. */
static RelTensor *
rule_gamma (const Lin *L, const RelTensor *R, float gamma, GError **error)
{
  g_autoptr(RelTensor) xp = NULL, xn = NULL, wp = NULL, wn = NULL, bp = NULL, bn = NULL;
  g_autoptr(RelTensor) zp = NULL, zn = NULL, gp = NULL, gn = NULL;
  RelTensor *acc = NULL;
  gboolean has_neg = t_any_negative (L->x);

  xp = has_neg ? t_clamp (L->x, +1, error) : rel_tensor_ref (L->x);
  if (xp == NULL || !(wp = t_gamma (L->w, gamma, +1, error))
      || !(wn = t_gamma (L->w, gamma, -1, error)))
    return NULL;
  if (has_neg && !(xn = t_clamp (L->x, -1, error)))
    return NULL;
  if (L->b && (!(bp = t_gamma (L->b, gamma, +1, error)) || !(bn = t_gamma (L->b, gamma, -1, error))))
    return NULL;

  zp = lin_z_cached (L, 0, NULL);
  zn = zp ? lin_z_cached (L, 1, NULL) : NULL;
  if (zn == NULL)
    {
      g_clear_pointer (&zp, rel_tensor_unref);
      if (!(zp = lin_forward (L, xp, wp, bp, error)) || !(zn = lin_forward (L, xp, wn, bn, error)))
        return NULL;
      if (has_neg)
        {
          g_autoptr(RelTensor) t1 = lin_forward (L, xn, wn, NULL, error);
          g_autoptr(RelTensor) t2 = t1 ? lin_forward (L, xn, wp, NULL, error) : NULL;
          if (t2 == NULL)
            return NULL;
          t_axpy (zp, 1.f, t1);
          t_axpy (zn, 1.f, t2);
        }
      lin_z_store (L, 0, zp);
      lin_z_store (L, 1, zn);
    }
  if (!(gp = t_div_stab (R, zp, LRP_STAB, L->z, +1, L->ctx->n_threads, error))
      || !(gn = t_div_stab (R, zn, LRP_STAB, L->z, -1, L->ctx->n_threads, error)))
    return NULL;
  if (!lin_accumulate (L, &acc, 1.f, xp, wp, gp, error)
      || !lin_accumulate (L, &acc, 1.f, xp, wn, gn, error))
    goto fail;
  if (has_neg
      && (!lin_accumulate (L, &acc, 1.f, xn, wn, gp, error)
          || !lin_accumulate (L, &acc, 1.f, xn, wp, gn, error)))
    goto fail;
  return acc;

fail:
  rel_tensor_unref (acc);
  return NULL;
}

/* z^B: z = xW + b − (lW⁺ + b⁺) − (hW⁻ + b⁻), R = x·c − l·c⁺ − h·c⁻. */
static RelTensor *
rule_zbox (const Lin *L, const RelTensor *R, RelTensor *low, RelTensor *high, GError **error)
{
  g_autoptr(RelTensor) wp = NULL, wn = NULL, bp = NULL, bn = NULL;
  g_autoptr(RelTensor) z = NULL, zl = NULL, zh = NULL, s = NULL;
  RelTensor *acc = NULL;

  if (!(wp = t_clamp (L->w, +1, error)) || !(wn = t_clamp (L->w, -1, error)))
    return NULL;
  if (L->b && (!(bp = t_clamp (L->b, +1, error)) || !(bn = t_clamp (L->b, -1, error))))
    return NULL;
  if (!(z = lin_z_cached (L, 0, NULL)))
    {
      if (!(z = rel_tensor_copy (L->z, error))
          || !(zl = lin_forward (L, low, wp, bp, error))
          || !(zh = lin_forward (L, high, wn, bn, error)))
        return NULL;
      t_axpy (z, -1.f, zl);
      t_axpy (z, -1.f, zh);
      lin_z_store (L, 0, z);
    }
  if (!(s = t_div_stab (R, z, LRP_STAB, NULL, 0, L->ctx->n_threads, error)))
    return NULL;
  if (!lin_accumulate (L, &acc, 1.f, L->x, L->w, s, error)
      || !lin_accumulate (L, &acc, -1.f, low, wp, s, error)
      || !lin_accumulate (L, &acc, -1.f, high, wn, s, error))
    {
      rel_tensor_unref (acc);
      return NULL;
    }
  return acc;
}

/* flat (W = 1, no bias) and w² (W², b²): the input is replaced by ones and the
 * relevance is the normalised VJP itself. */
static RelTensor *
rule_flat_wsquare (const Lin *L, const RelTensor *R, gboolean flat, GError **error)
{
  g_autoptr(RelTensor) ones = NULL, w = NULL, b = NULL, z = NULL, s = NULL;

  if (!(ones = t_ones_like (L->x, error)))
    return NULL;
  w = flat ? t_ones_like (L->w, error) : t_square (L->w, error);
  if (w == NULL)
    return NULL;
  if (!flat && L->b && !(b = t_square (L->b, error)))
    return NULL;
  if (!(z = lin_z_cached (L, 0, NULL)))
    {
      if (!(z = lin_forward (L, ones, w, b, error)))
        return NULL;
      lin_z_store (L, 0, z);
    }
  if (!(s = t_div_stab (R, z, LRP_STAB, NULL, 0, L->ctx->n_threads, error)))
    return NULL;
  return lin_vjp (L, w, s, error);
}

/* ---- the run: per-node plan, BN folding, the hook ---- */

typedef struct {
  RelModel         *model;
  RelActivations   *acts;
  const RelContext *ctx;
  LrpRule          *rules;      /* per node; kind LRP_NONE for non-linear nodes */
  RelTensor       **fold_w;     /* per node: weight / bias with a BN or bias Add folded in, or NULL */
  RelTensor       **fold_b;
  int              *fold_out;   /* per node: value id of the folded node's output, or −1 */
  gboolean         *absorbed;   /* per node: a BN or bias Add folded into its producer */
  gboolean          zennit_bn;  /* bn-merge=zennit: a folded BN still scales by 1/√(1 + ε) */
  double           *bn_k;       /* per node: that factor on a folded BN and on its producer, else 1 */
  double           *out_k;      /* per node: the factor Zennit's network applies to its output, else 1 */
  int               first;      /* the first linear layer, −1 if none */
  double           *norm_mean;  /* per input channel: image value u ↦ (u·unit − mean) / std */
  double           *norm_std;
  double            norm_unit;
  int               n_channels;
  GArray           *conservation;
  RelTensor       **zcache;     /* 2 per node (see lin_z_cached), or NULL: not kept */
} LrpRun;

static void
lrp_run_clear (LrpRun *run)
{
  if (run->fold_w)
    for (int i = 0; i < run->model->n_nodes; i++)
      {
        if (run->fold_w[i])
          rel_tensor_unref (run->fold_w[i]);
        if (run->fold_b[i])
          rel_tensor_unref (run->fold_b[i]);
      }
  if (run->zcache)
    for (int i = 0; i < 2 * run->model->n_nodes; i++)
      if (run->zcache[i])
        rel_tensor_unref (run->zcache[i]);
  g_free (run->zcache);
  g_free (run->fold_w);
  g_free (run->fold_b);
  g_free (run->fold_out);
  g_free (run->absorbed);
  g_free (run->bn_k);
  g_free (run->out_k);
  g_free (run->rules);
  g_free (run->norm_mean);
  g_free (run->norm_std);
  if (run->conservation)
    {
      for (guint i = 0; i < run->conservation->len; i++)
        g_free (g_array_index (run->conservation, RelLayerConservation, i).layer);
      g_array_unref (run->conservation);
    }
}

/* An Einsum of one operand (a transpose, a sum over an axis) has no weight:
 * it is a mix, each input's share by its contribution */
static gboolean
is_weightless_einsum (const RelNode *node)
{
  return rel_node_is (node, REL_OP_EINSUM) && node->n_inputs == 1;
}

static gboolean
is_linear (const RelNode *node)
{
  return node->op && node->op->klass == REL_OP_CLASS_LINEAR && !is_weightless_einsum (node);
}

static gboolean
is_conv (const RelNode *node)
{
  return rel_node_has (node, REL_OP_CONVOLUTION);
}

static RelTensor *
value_constant (RelModel *model, int id)
{
  RelValue *v = rel_model_value (model, id);
  return v ? v->constant : NULL;
}

/* Weight and bias input indices of a linear node given its activation input. */
static void
linear_operands (const RelNode *node, int xi, int *wi, int *bi)
{
  const RelOpDef *op = node->op;

  *wi = (op->flags & REL_OP_OPERANDS_SWAP) && xi == op->weight_input ? 0 : op->weight_input;
  *bi = op->bias_input > 0 && node->n_inputs > op->bias_input ? op->bias_input : -1;
}

/* Folds BatchNormalization node @j into its producer if that is a Conv or
 * Gemm whose output nobody else reads; Zennit's MergeBatchNorm canonizer:
 * W' = W·s, b' = (b − μ)·s + β with s = γ/√(σ² + ε), per output channel. */
static gboolean
try_fold_bn (LrpRun *run, int j, const int *n_consumers, GError **error)
{
  RelModel *model = run->model;
  const RelNode *bn = &model->nodes[j];
  RelValue *in;
  const RelNode *lin;
  int p, wi, bi;
  RelTensor *w, *b, *scale, *shift, *mean, *var;
  int64_t m;
  double eps;
  gboolean conv, trans_b = FALSE;
  g_autoptr(RelTensor) fw = NULL;
  g_autoptr(RelTensor) fb = NULL;

  if (bn->n_inputs < 5 || bn->n_outputs < 1 || bn->inputs[0] < 0)
    return TRUE;
  in = rel_model_value (model, bn->inputs[0]);
  p = in->producer;
  if (p < 0 || !is_linear (&model->nodes[p]) || n_consumers[bn->inputs[0]] != 1
      || bn->inputs[0] == model->output)
    return TRUE;
  lin = &model->nodes[p];
  conv = is_conv (lin);   /* W[out, in, k…]: a ConvTranspose would keep its outputs on axis 1 */
  if (!conv && !rel_node_is (lin, REL_OP_GEMM))
    return TRUE;
  if (lin->n_inputs < 2 || lin->inputs[0] < 0 || value_constant (model, lin->inputs[0]))
    return TRUE;
  linear_operands (lin, 0, &wi, &bi);
  w = value_constant (model, lin->inputs[wi]);
  b = bi >= 0 && lin->inputs[bi] >= 0 ? value_constant (model, lin->inputs[bi]) : NULL;
  if (w == NULL || w->dtype != REL_DTYPE_FLOAT32 || (bi >= 0 && lin->inputs[bi] >= 0 && b == NULL))
    return TRUE;
  scale = value_constant (model, bn->inputs[1]);
  shift = value_constant (model, bn->inputs[2]);
  mean = value_constant (model, bn->inputs[3]);
  var = value_constant (model, bn->inputs[4]);
  if (!scale || !shift || !mean || !var)
    return TRUE;
  if (conv)
    m = w->ndim >= 1 ? w->shape[0] : 0;
  else
    {
      if (w->ndim != 2 || rel_node_attr_float (lin, "alpha", 1.f) == 0.f)
        return TRUE;
      trans_b = rel_node_attr_int (lin, "transB", 0) != 0;
      m = trans_b ? w->shape[0] : w->shape[1];
    }
  if (m <= 0 || scale->numel != m || shift->numel != m || mean->numel != m || var->numel != m)
    return TRUE;
  if (b && b->numel != m && b->numel != 1)
    return TRUE;   /* a per-row Gemm bias cannot take a per-channel shift */
  if (!conv && rel_node_attr_float (lin, "beta", 1.f) == 0.f)
    return TRUE;   /* the folded shift would have nowhere to go */
  eps = rel_node_attr_float (bn, "epsilon", 1e-5f);

  if (!(fw = rel_tensor_copy (w, error)))
    return FALSE;
  {
    int64_t shape[1] = { m };
    if (!(fb = rel_tensor_new_f32 (1, shape, error)))
      return FALSE;
  }
  {
    const float *g = rel_tensor_f32 (scale), *be = rel_tensor_f32 (shift);
    const float *mu = rel_tensor_f32 (mean), *va = rel_tensor_f32 (var);
    float *dw = rel_tensor_f32 (fw), *db = rel_tensor_f32 (fb);
    float beta = conv ? 1.f : rel_node_attr_float (lin, "beta", 1.f);
    int64_t per = w->numel / m;

    for (int64_t c = 0; c < m; c++)
      {
        float s = (float) (g[c] / sqrt ((double) va[c] + eps));
        float bias = b ? rel_tensor_f32 (b)[b->numel == 1 ? 0 : c] * beta : 0.f;

        if (conv || trans_b)
          for (int64_t i = 0; i < per; i++)
            dw[c * per + i] *= s;
        else
          for (int64_t r = 0; r < w->shape[0]; r++)
            dw[r * m + c] *= s;
        /* lin_add_bias multiplies a Gemm bias by beta again */
        db[c] = ((bias - mu[c]) * s + be[c]) / beta;
      }
  }
  run->fold_w[p] = g_steal_pointer (&fw);
  run->fold_b[p] = g_steal_pointer (&fb);
  run->fold_out[p] = bn->outputs[0];
  run->absorbed[j] = TRUE;
  if (run->zennit_bn)
    run->bn_k[j] = run->bn_k[p] = run->out_k[j] = 1.0 / sqrt (1.0 + eps);
  return TRUE;
}

/* bn-merge=zennit on a file PyTorch's exporter folded: the exporter fuses
 * Conv + BatchNormalization in eval mode and names the new weight and bias
 * "onnx::Conv_<n>", while a Conv it left alone keeps its module's parameter
 * names ("layer1.0.conv1.weight"). Such a Conv had a BatchNorm whose ε the
 * file no longer records; PyTorch's default is 1e-5. Zennit's network then
 * scales the Conv's output by k = 1/√(1 + ε) and passes k·R back to it. */
static void
mark_torch_folded_bn (LrpRun *run, int i)
{
  RelModel *model = run->model;
  const RelNode *node = &model->nodes[i];
  const double torch_bn_eps = 1e-5;

  if (!run->zennit_bn || !rel_node_is (node, REL_OP_CONV)
      || run->fold_w[i] || node->n_inputs < 3 || node->inputs[1] < 0 || node->inputs[2] < 0
      || g_strcmp0 (model->producer_name, "pytorch") != 0)
    return;
  if (!g_str_has_prefix (rel_model_value (model, node->inputs[1])->name, "onnx::Conv_")
      || !g_str_has_prefix (rel_model_value (model, node->inputs[2])->name, "onnx::Conv_"))
    return;
  run->bn_k[i] = run->out_k[i] = 1.0 / sqrt (1.0 + torch_bn_eps);
}

/* Folds Add node @j into its producer when it adds a per-channel constant
 * to a Conv, Gemm or MatMul output nobody else reads: a Dense layer exported
 * as MatMul + Add, a Conv with its bias outside. The rules then see the bias
 * as Zennit does (b⁺ in z⁺, γb⁺ in γ…) instead of the Add absorbing it. */
static gboolean
try_fold_bias_add (LrpRun *run, int j, const int *n_consumers, GError **error)
{
  RelModel *model = run->model;
  const RelNode *add = &model->nodes[j];
  const RelNode *lin;
  RelTensor *w, *b = NULL, *c, *z;
  g_autoptr(RelTensor) fb = NULL;
  int li = -1, ci = -1, p, xi = -1, wi, bi, axis;
  int64_t m;
  float beta = 1.f;
  gboolean conv;

  if (!rel_node_is (add, REL_OP_ADD) || add->n_inputs != 2 || add->inputs[0] < 0 || add->inputs[1] < 0)
    return TRUE;
  for (int k = 0; k < 2; k++)
    {
      RelValue *v = rel_model_value (model, add->inputs[k]);
      if (v->constant)
        ci = k;
      else if (v->producer >= 0 && is_linear (&model->nodes[v->producer]))
        li = k;
    }
  if (ci < 0 || li < 0 || n_consumers[add->inputs[li]] != 1 || add->inputs[li] == model->output)
    return TRUE;
  p = rel_model_value (model, add->inputs[li])->producer;
  lin = &model->nodes[p];
  if (run->fold_w[p] || lin->n_inputs < 2)
    return TRUE;
  conv = is_conv (lin);
  for (int k = 0; k < (conv ? 1 : 2); k++)
    if (lin->inputs[k] >= 0 && value_constant (model, lin->inputs[k]) == NULL)
      xi = xi < 0 ? k : 99;
  if (xi < 0 || xi > 1)
    return TRUE;
  linear_operands (lin, xi, &wi, &bi);
  w = value_constant (model, lin->inputs[wi]);
  if (bi >= 0 && lin->inputs[bi] >= 0 && !(b = value_constant (model, lin->inputs[bi])))
    return TRUE;
  c = value_constant (model, add->inputs[ci]);
  z = run->acts->values[add->inputs[li]];
  if (w == NULL || w->dtype != REL_DTYPE_FLOAT32 || c->dtype != REL_DTYPE_FLOAT32 || z == NULL
      || (b && b->dtype != REL_DTYPE_FLOAT32))
    return TRUE;
  axis = conv ? 1 : z->ndim - 1;
  if (axis < 0 || axis >= z->ndim || c->ndim > z->ndim)
    return TRUE;
  m = z->shape[axis];
  /* the constant must vary along the channel axis only; before opset 7 a
   * [C] bias could say so itself (broadcast = 1, axis = the channel axis) */
  if (model->opset > 0 && model->opset < 7 && ci == 1 && rel_node_attr_int (add, "broadcast", 0) == 1
      && rel_node_attr (add, "axis") != NULL && rel_node_attr_int (add, "axis", 0) == axis)
    {
      if (c->ndim != 1 || c->shape[0] != m)
        return TRUE;
    }
  else
    for (int d = 0; d < c->ndim; d++)
      if (c->shape[d] != 1 && !(z->ndim - c->ndim + d == axis && c->shape[d] == m))
        return TRUE;
  if (m <= 0 || (b && b->numel != m && b->numel != 1))
    return TRUE;
  if (rel_node_is (lin, REL_OP_GEMM))
    {
      beta = rel_node_attr_float (lin, "beta", 1.f);
      if (beta == 0.f)
        return TRUE;
    }
  {
    int64_t shape[1] = { m };
    if (!(fb = rel_tensor_new_f32 (1, shape, error)))
      return FALSE;
  }
  for (int64_t k = 0; k < m; k++)
    {
      /* lin_forward adds beta·b for a Gemm */
      float bk = b ? rel_tensor_f32 (b)[b->numel == 1 ? 0 : k] : 0.f;
      rel_tensor_f32 (fb)[k] = bk + rel_tensor_f32 (c)[c->numel == 1 ? 0 : k] / beta;
    }
  run->fold_w[p] = rel_tensor_ref (w);
  run->fold_b[p] = g_steal_pointer (&fb);
  run->fold_out[p] = add->outputs[0];
  run->absorbed[j] = TRUE;
  return TRUE;
}

/* The z^B bounds are given in image units (0 = black, 1 = white); the model's
 * normalisation maps them per channel, so the defaults fit any model. A model
 * whose input_range was set explicitly (metadata, sidecar, CLI) maps [0, 1]
 * onto that range instead, the same for every channel. */
static void
prepare_normalisation (LrpRun *run, const RelTensor *input)
{
  const RelPreprocess *pp = &run->model->preprocess;
  int n_pp = pp->channels >= 1 && pp->channels <= 4 ? pp->channels : 4;
  double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;
  gboolean valid = TRUE;

  run->n_channels = MAX (input->ndim >= 2 ? (int) input->shape[1] : 1, 1);
  run->norm_mean = g_new0 (double, run->n_channels);
  run->norm_std = g_new (double, run->n_channels);
  /* an image value u is the pixel 255·u: the model sees (255·u·scale − mean) / std */
  run->norm_unit = pp->scale > 0.f && isfinite (pp->scale) ? 255.0 * pp->scale : 1.0;
  for (int k = 0; k < run->n_channels; k++)
    {
      run->norm_std[k] = 1;
      if (k < 4 && pp->std[k] > 0.f && isfinite (pp->std[k]) && isfinite (pp->mean[k]))
        {
          run->norm_mean[k] = pp->mean[k];
          run->norm_std[k] = pp->std[k];
        }
    }
  /* the range the loader derives from mean/std; anything else was set by hand */
  for (int k = 0; k < n_pp; k++)
    {
      double a, b;
      if (!(pp->std[k] > 0.f))
        {
          valid = FALSE;
          break;
        }
      a = (0.0 - pp->mean[k]) / pp->std[k];
      b = (255.0 * pp->scale - pp->mean[k]) / pp->std[k];
      lo = MIN (lo, MIN (a, b));
      hi = MAX (hi, MAX (a, b));
    }
  if (valid && isfinite (pp->range_low) && isfinite (pp->range_high) && pp->range_low < pp->range_high
      && (fabs (pp->range_low - lo) > 1e-5 * (1 + fabs (lo)) || fabs (pp->range_high - hi) > 1e-5 * (1 + fabs (hi))))
    {
      run->norm_unit = pp->range_high - pp->range_low;
      for (int k = 0; k < run->n_channels; k++)
        {
          run->norm_mean[k] = -pp->range_low;
          run->norm_std[k] = 1;
        }
    }
}

/* A tensor shaped like @x filled with the image value @u in model units, per
 * channel when @x is the model input (or a flattening of it), else with
 * channel 0's mapping. */
static RelTensor *
bounds_like (const LrpRun *run, const RelTensor *x, const RelTensor *input, double u, GError **error)
{
  RelTensor *t = rel_tensor_new_like (x, error);
  float *d;

  if (t == NULL)
    return NULL;
  d = rel_tensor_f32 (t);
  if (x->numel == input->numel && input->ndim >= 2 && input->shape[1] == run->n_channels
      && input->shape[0] >= 1)
    {
      /* a batch of copies of the input (conditional LRP) maps each copy alike */
      int64_t inner = input->numel / (input->shape[0] * run->n_channels);
      for (int64_t n = 0; n < input->shape[0]; n++)
        for (int c = 0; c < run->n_channels; c++)
          {
            float v = (float) ((u * run->norm_unit - run->norm_mean[c]) / run->norm_std[c]);
            float *p = d + (n * run->n_channels + c) * inner;
            for (int64_t i = 0; i < inner; i++)
              p[i] = v;
          }
    }
  else
    rel_tensor_fill (t, (float) ((u * run->norm_unit - run->norm_mean[0]) / run->norm_std[0]));
  return t;
}

/* Σ t in double with independent partial sums: a single running sum is
 * bound by the add latency, which shows on VGG-sized activations. */
static double
t_sum (const RelTensor *t)
{
  const float *d = rel_tensor_f32 (t);
  double acc[8] = { 0 };
  int64_t i = 0;

  for (; i + 8 <= t->numel; i += 8)
    for (int k = 0; k < 8; k++)
      acc[k] += d[i + k];
  for (; i < t->numel; i++)
    acc[0] += d[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static void
record_conservation (LrpRun *run, int node_index, const RelTensor *r_in, const RelTensor *r_out)
{
  RelLayerConservation c;

  c.layer = g_strdup (run->model->nodes[node_index].name);
  c.relevance_in = r_in ? t_sum (r_in) : 0.0;
  c.relevance_out = t_sum (r_out);
  g_array_append_val (run->conservation, c);
}

static gboolean
hook_linear (LrpRun *run, int i, RelTensor *const *inputs, RelTensor *const *outputs,
             const RelTensor *R, RelTensor **grad_inputs, const gboolean *need,
             GError **error)
{
  const RelNode *node = &run->model->nodes[i];
  const LrpRule *rule = &run->rules[i];
  g_autoptr(RelTensor) z_merged = NULL;
  g_autoptr(RelTensor) r_scaled = NULL;
  Lin L = { 0 };
  RelTensor *rx = NULL;
  int xi = -1;

  for (int k = 0; k < node->n_inputs; k++)
    if (need[k])
      {
        if (xi >= 0 || k > 1)
          {
            g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                         "LRP needs constant weights, but node '%s' (%s) multiplies two computed tensors",
                         node->name, node->op_type);
            return FALSE;
          }
        xi = k;
      }
  if (xi < 0 || (is_conv (node) && xi != 0))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "LRP needs constant weights on node '%s' (%s)", node->name, node->op_type);
      return FALSE;
    }
  L.node = node;
  L.inputs = inputs;
  L.xi = xi;
  linear_operands (node, xi, &L.wi, &L.bi);
  L.x = inputs[xi];
  L.w = run->fold_w[i] ? run->fold_w[i] : inputs[L.wi];
  L.b = run->fold_w[i] ? run->fold_b[i] : (L.bi >= 0 ? inputs[L.bi] : NULL);
  L.z = run->fold_out[i] >= 0 ? run->acts->values[run->fold_out[i]] : outputs[0];
  if (run->bn_k[i] != 1.0 && L.z)
    {
      /* Zennit's layer output is the merged layer's own, before its BN's leftover k */
      if (!(z_merged = t_scaled (L.z, 1.0 / run->bn_k[i], error)))
        return FALSE;
      L.z = z_merged;
    }
  if (run->out_k[i] != 1.0)
    {
      /* a BN the exporter fused in: its leftover k passes k·R, as the BN node would */
      if (!(r_scaled = t_scaled (R, run->out_k[i], error)))
        return FALSE;
      R = r_scaled;
    }
  L.gemm_beta = rel_node_is (node, REL_OP_GEMM) ? rel_node_attr_float (node, "beta", 1.f) : 1.f;
  L.conv = is_conv (node);
  L.ctx = run->ctx;
  L.zslot = run->zcache ? run->zcache + 2 * i : NULL;
  if (L.w == NULL || L.z == NULL || L.x->dtype != REL_DTYPE_FLOAT32 || L.w->dtype != REL_DTYPE_FLOAT32)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "node '%s' (%s) has no float32 weight LRP can modify", node->name, node->op_type);
      return FALSE;
    }

  switch (rule->kind)
    {
    case LRP_EPSILON:
      rx = rule_epsilon (&L, R, (float) rule->epsilon, error);
      break;
    case LRP_GAMMA:
      rx = rule_gamma (&L, R, (float) rule->gamma, error);
      break;
    case LRP_ALPHA_BETA:
      rx = rule_alpha_beta (&L, R, (float) rule->alpha, (float) rule->beta, error);
      break;
    case LRP_ZPLUS:
      rx = rule_alpha_beta (&L, R, 1.f, 0.f, error);
      break;
    case LRP_ZBOX:
      {
        RelTensor *input = run->acts->values[run->model->input];
        g_autoptr(RelTensor) lo = bounds_like (run, L.x, input, rule->low, error);
        g_autoptr(RelTensor) hi = lo ? bounds_like (run, L.x, input, rule->high, error) : NULL;
        if (hi)
          rx = rule_zbox (&L, R, lo, hi, error);
      }
      break;
    case LRP_FLAT:
    case LRP_WSQUARE:
      rx = rule_flat_wsquare (&L, R, rule->kind == LRP_FLAT, error);
      break;
    case LRP_PASS:
      if (!rel_tensor_same_shape (R, L.x))
        {
          g_autofree char *a = rel_tensor_shape_string (L.x);
          g_autofree char *b = rel_tensor_shape_string (R);
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                       "the pass rule needs equal input and output shapes; node '%s' maps %s to %s",
                       node->name, a, b);
          return FALSE;
        }
      rx = rel_tensor_copy (R, error);
      break;
    case LRP_NONE:
    default:
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "node '%s' has no LRP rule", node->name);
      return FALSE;
    }
  if (rx == NULL)
    return FALSE;
  if (run->conservation)
    record_conservation (run, i, rx, R);
  grad_inputs[xi] = rx;
  return TRUE;
}

/* Add, AveragePool, GlobalAveragePool, unfolded BN: each input's share of the
 * output by its contribution, R_i = x_i ⊙ VJP_i(R / stab(z)) (Zennit's Norm rule). */
static gboolean
hook_mix (LrpRun *run, int i, RelTensor *const *inputs, RelTensor *const *outputs,
          const RelTensor *R, RelTensor **grad_inputs, const gboolean *need, GError **error)
{
  const RelNode *node = &run->model->nodes[i];
  g_autoptr(RelTensor) s = NULL;

  if (outputs[0] == NULL || outputs[0]->dtype != REL_DTYPE_FLOAT32)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "node '%s' has no float output", node->name);
      return FALSE;
    }
  if (!(s = t_div_stab (R, outputs[0], LRP_STAB, NULL, 0, run->ctx->n_threads, error)))
    return FALSE;
  if (!node->op->backward (node, inputs, outputs, s, grad_inputs, need, run->ctx, error))
    return FALSE;
  for (int k = 0; k < node->n_inputs; k++)
    {
      if (grad_inputs[k] == NULL)
        continue;
      if (!need[k] || inputs[k] == NULL || grad_inputs[k]->numel != inputs[k]->numel)
        {
          g_clear_pointer (&grad_inputs[k], rel_tensor_unref);
          continue;
        }
      t_mul (grad_inputs[k], inputs[k], run->ctx->n_threads);
    }
  return TRUE;
}

/* The projection P-ClArC inserts (rel-clarc.c) is written as five ordinary
 * nodes, h' = h − v·Σ(v ⊙ (h − z̄)): Sub, Mul, ReduceSum, Mul, Sub. Node by
 * node, LRP would pass relevance through the Muls by their gradient and split
 * it at the last Sub between h and the removed component. It is one affine map
 * h' = A h + b with A = I − v vᵀ, so it gets the ε-rule of one:
 * R_h = h ⊙ Aᵀ (R / stab(h')), and nothing flows through the branch.
 * Returns the direction v when node @i is the last Sub of such a chain. */
static const RelTensor *
projection_direction (RelModel *model, int i)
{
  const RelNode *sub = &model->nodes[i], *mul2, *red, *mul1, *sub1;
  int p, h;
  const RelTensor *v = NULL;

  if (!rel_node_is (sub, REL_OP_SUB) || sub->n_inputs != 2 || sub->inputs[0] < 0 || sub->inputs[1] < 0)
    return NULL;
  h = sub->inputs[0];
  if ((p = rel_model_value (model, sub->inputs[1])->producer) < 0)
    return NULL;
  mul2 = &model->nodes[p];
  if (!rel_node_is (mul2, REL_OP_MUL) || mul2->n_inputs != 2 || mul2->inputs[0] < 0 || mul2->inputs[1] < 0
      || (v = rel_model_value (model, mul2->inputs[1])->constant) == NULL
      || (p = rel_model_value (model, mul2->inputs[0])->producer) < 0)
    return NULL;
  red = &model->nodes[p];
  if (!rel_node_is (red, REL_OP_REDUCE_SUM) || red->inputs[0] < 0
      || (p = rel_model_value (model, red->inputs[0])->producer) < 0)
    return NULL;
  mul1 = &model->nodes[p];
  if (!rel_node_is (mul1, REL_OP_MUL) || mul1->n_inputs != 2 || mul1->inputs[0] < 0
      || mul1->inputs[1] != mul2->inputs[1] || (p = rel_model_value (model, mul1->inputs[0])->producer) < 0)
    return NULL;
  sub1 = &model->nodes[p];
  if (!rel_node_is (sub1, REL_OP_SUB) || sub1->n_inputs != 2 || sub1->inputs[0] != h || sub1->inputs[1] < 0
      || rel_model_value (model, sub1->inputs[1])->constant == NULL)
    return NULL;
  return v->dtype == REL_DTYPE_FLOAT32 ? v : NULL;
}

static gboolean
hook_projection (LrpRun *run, const RelTensor *v, RelTensor *const *inputs, RelTensor *const *outputs,
                 const RelTensor *R, RelTensor **grad_inputs, const gboolean *need, GError **error)
{
  const RelTensor *h = inputs[0];
  int64_t n, d;

  if (h == NULL || outputs[0] == NULL || !rel_tensor_same_shape (h, R) || h->ndim < 1
      || (d = h->numel / MAX (h->shape[0], 1)) != v->numel)
    return TRUE;   /* not the shapes the pattern promises: leave it to the mix rule */
  n = h->shape[0];
  if ((grad_inputs[0] = rel_tensor_new_like (h, error)) == NULL)
    return FALSE;
  if (need[1] && inputs[1] && (grad_inputs[1] = rel_tensor_new_like (inputs[1], error)) == NULL)
    return FALSE;
  for (int64_t b = 0; b < n; b++)
    {
      const float *hp = rel_tensor_f32 (h) + b * d, *zp = rel_tensor_f32 (outputs[0]) + b * d;
      const float *rp = rel_tensor_f32 (R) + b * d, *vp = rel_tensor_f32 (v);
      float *out = rel_tensor_f32 (grad_inputs[0]) + b * d;
      double vs = 0;
      for (int64_t k = 0; k < d; k++)
        {
          float z = zp[k], st = z + (z >= 0 ? LRP_STAB : -LRP_STAB);
          out[k] = rp[k] / st;
          vs += (double) vp[k] * out[k];
        }
      for (int64_t k = 0; k < d; k++)
        out[k] = hp[k] * (float) (out[k] - vp[k] * vs);
    }
  (void) run;
  return TRUE;
}

static gboolean
lrp_hook (RelModel *model, int i, RelTensor *const *inputs, RelTensor *const *outputs,
          const RelTensor *grad_output, RelTensor **grad_inputs, const gboolean *need,
          gboolean *handled, gpointer user_data, GError **error)
{
  LrpRun *run = user_data;
  const RelNode *node = &model->nodes[i];

  *handled = FALSE;
  if (run->absorbed[i])
    {
      /* a BN or bias folded into the layer below: the layer's rule sees this
       * node's output, so relevance passes to the layer unchanged (a BN left
       * as y = k·x by Zennit's merge passes its gradient, k·R) */
      for (int k = 0; k < node->n_inputs; k++)
        if (need[k] && inputs[k] && rel_tensor_same_shape (inputs[k], grad_output))
          {
            *handled = TRUE;
            if (run->bn_k[i] != 1.0)
              grad_inputs[k] = t_scaled (grad_output, run->bn_k[i], error);
            else
              grad_inputs[k] = rel_tensor_ref ((RelTensor *) grad_output);
            return grad_inputs[k] != NULL;
          }
      return TRUE;
    }
  if (rel_node_is (node, REL_OP_SUB))
    {
      const RelTensor *v = projection_direction (model, i);
      if (v && need[0])
        {
          gboolean ok = hook_projection (run, v, inputs, outputs, grad_output, grad_inputs, need, error);
          *handled = grad_inputs[0] != NULL;
          return ok;
        }
    }
  if (is_weightless_einsum (node))
    {
      *handled = TRUE;
      return hook_mix (run, i, inputs, outputs, grad_output, grad_inputs, need, error);
    }
  switch (node->op->klass)
    {
    case REL_OP_CLASS_LINEAR:
      *handled = TRUE;
      return hook_linear (run, i, inputs, outputs, grad_output, grad_inputs, need, error);
    case REL_OP_CLASS_NORM:
      /* a BN with no linear layer in front: its z-rule, like a mix */
      *handled = TRUE;
      return hook_mix (run, i, inputs, outputs, grad_output, grad_inputs, need, error);
    case REL_OP_CLASS_ACTIVATION:
      /* relevance passes unchanged */
      if (need[0] && inputs[0] && rel_tensor_same_shape (inputs[0], grad_output))
        {
          *handled = TRUE;
          grad_inputs[0] = rel_tensor_ref ((RelTensor *) grad_output);
        }
      return TRUE;
    case REL_OP_CLASS_MIX:
      *handled = TRUE;
      return hook_mix (run, i, inputs, outputs, grad_output, grad_inputs, need, error);
    default:
      /* routes (MaxPool, Pad, reshapes) and the rest: the gradient */
      return TRUE;
    }
}

/* ---- composites ---- */

typedef struct {
  LrpRule conv;       /* Conv layers */
  LrpRule dense;      /* Gemm / MatMul */
  LrpRule first;      /* the first linear layer, when kind != LRP_NONE */
} LrpComposite;

/* ---- the rule file of lrp-custom ----
 *
 * One rule per line, '#' starts a comment, blank lines are ignored:
 *
 *     <selector> <rule> [key=value ...]
 *
 * selector  a node name (or the name of its output tensor), an operator type
 *           (Conv, Gemm, MatMul), "first" (the first linear layer from the
 *           input) or "default" (every other linear layer).
 *           Precedence: name > first > operator type > default; a linear layer
 *           that no line selects gets ε with the method's `epsilon`.
 * rule      epsilon [epsilon=1e-6] | gamma [gamma=0.25] | alpha-beta [alpha=2 beta=1]
 *           (alpha − beta must be 1) | zplus | zbox [low=0 high=1] | flat | wsquare | pass
 *
 * Example:
 *     first    zbox low=0 high=1
 *     Conv     gamma gamma=0.25
 *     Gemm     epsilon epsilon=1e-6
 *     /fc/Gemm epsilon epsilon=0.25   # one layer differs
 */

typedef struct {
  char   *selector;
  LrpRule rule;
  int     line;
} RuleLine;

static void
rule_line_clear (gpointer p)
{
  g_free (((RuleLine *) p)->selector);
}

static gboolean
parse_rule_value (const char *path, int line, const char *key, const char *text, double lo, double hi,
                  double *out, GError **error)
{
  char *end = NULL;
  double d = g_ascii_strtod (text, &end);

  if (end == text || *end != '\0' || !isfinite (d) || d < lo || d > hi)
    {
      g_autofree char *shown = rel_quote (text, -1);
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "%s:%d: '%s' needs a number in [%g, %g], not '%s'", path, line, key, lo, hi, shown);
      return FALSE;
    }
  *out = d;
  return TRUE;
}

static gboolean
parse_rule_line (const char *path, int line, char **tok, int n, LrpRule default_rule, RuleLine *out,
                 GError **error)
{
  LrpKind kind = LRP_NONE;
  LrpRule r;

  for (int k = LRP_EPSILON; k <= LRP_PASS; k++)
    if (g_ascii_strcasecmp (tok[1], rule_names[k]) == 0)
      kind = k;
  if (g_ascii_strcasecmp (tok[1], "alphabeta") == 0 || g_ascii_strcasecmp (tok[1], "alpha_beta") == 0)
    kind = LRP_ALPHA_BETA;
  if (kind == LRP_NONE)
    {
      g_autofree char *shown = rel_quote (tok[1], -1);
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "%s:%d: unknown rule '%s' (rules: epsilon, gamma, alpha-beta, zplus, zbox, flat, wsquare, pass)",
                   path, line, shown);
      return FALSE;
    }
  r = default_rule;
  r.kind = kind;
  for (int k = 2; k < n; k++)
    {
      const char *eq = strchr (tok[k], '=');
      g_autofree char *key = NULL;
      gboolean ok = FALSE;

      if (eq == NULL || eq == tok[k])
        {
          g_autofree char *shown = rel_quote (tok[k], -1);
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                       "%s:%d: expected key=value after the rule, got '%s'", path, line, shown);
          return FALSE;
        }
      key = g_strndup (tok[k], (gsize) (eq - tok[k]));
      if (kind == LRP_EPSILON && strcmp (key, "epsilon") == 0)
        ok = parse_rule_value (path, line, key, eq + 1, 0, 1e6, &r.epsilon, error);
      else if (kind == LRP_GAMMA && strcmp (key, "gamma") == 0)
        ok = parse_rule_value (path, line, key, eq + 1, 0, 1e6, &r.gamma, error);
      else if (kind == LRP_ALPHA_BETA && strcmp (key, "alpha") == 0)
        ok = parse_rule_value (path, line, key, eq + 1, 0, 1e6, &r.alpha, error);
      else if (kind == LRP_ALPHA_BETA && strcmp (key, "beta") == 0)
        ok = parse_rule_value (path, line, key, eq + 1, 0, 1e6, &r.beta, error);
      else if (kind == LRP_ZBOX && strcmp (key, "low") == 0)
        ok = parse_rule_value (path, line, key, eq + 1, -1e6, 1e6, &r.low, error);
      else if (kind == LRP_ZBOX && strcmp (key, "high") == 0)
        ok = parse_rule_value (path, line, key, eq + 1, -1e6, 1e6, &r.high, error);
      else
        {
          g_autofree char *shown = rel_quote (key, -1);
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                       "%s:%d: rule %s has no parameter '%s'", path, line, rule_names[kind], shown);
          return FALSE;
        }
      if (!ok)
        return FALSE;
    }
  if (kind == LRP_ALPHA_BETA && fabs (r.alpha - r.beta - 1.0) > 1e-9)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "%s:%d: alpha − beta must equal 1 (alpha=%g, beta=%g)", path, line, r.alpha, r.beta);
      return FALSE;
    }
  if (kind == LRP_ZBOX && r.low > r.high)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "%s:%d: low %g is above high %g", path, line, r.low, r.high);
      return FALSE;
    }
  out->selector = g_strdup (tok[0]);
  out->rule = r;
  out->line = line;
  return TRUE;
}

static GArray *
parse_rule_file (const char *path, LrpRule default_rule, GError **error)
{
  g_autoptr(GArray) lines = g_array_new (FALSE, TRUE, sizeof (RuleLine));
  g_autofree char *text = NULL;
  g_auto(GStrv) rows = NULL;
  gsize len = 0;

  g_array_set_clear_func (lines, rule_line_clear);
  if (path == NULL || *path == '\0')
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "lrp-custom needs a rule file: --set rules=FILE");
      return NULL;
    }
  if (!rel_file_get_contents (path, "rule file", LRP_RULES_MAX_BYTES, &text, &len, error))
    return NULL;
  if (len > LRP_RULES_MAX_BYTES || memchr (text, '\0', len) != NULL || !g_utf8_validate (text, (gssize) len, NULL))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s is not a UTF-8 text file", path);
      return NULL;
    }
  rows = g_strsplit (text, "\n", -1);
  for (int l = 0; rows[l]; l++)
    {
      char *hash = strchr (rows[l], '#');
      g_auto(GStrv) tok = NULL;
      g_autoptr(GPtrArray) words = g_ptr_array_new ();
      RuleLine rl = { 0 };

      if (hash)
        *hash = '\0';
      g_strdelimit (rows[l], "\t\r", ' ');
      tok = g_strsplit (rows[l], " ", -1);
      for (int k = 0; tok[k]; k++)
        if (*tok[k])
          g_ptr_array_add (words, tok[k]);
      if (words->len == 0)
        continue;
      if (words->len < 2)
        {
          g_autofree char *shown = rel_quote (words->pdata[0], -1);
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                       "%s:%d: expected '<layer|op type|first|default> <rule> [key=value ...]', got '%s'",
                       path, l + 1, shown);
          return NULL;
        }
      if (!parse_rule_line (path, l + 1, (char **) words->pdata, (int) words->len, default_rule, &rl, error))
        return NULL;
      for (guint k = 0; k < lines->len; k++)
        if (strcmp (g_array_index (lines, RuleLine, k).selector, rl.selector) == 0)
          {
            g_autofree char *shown = rel_quote (rl.selector, -1);
            g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                         "%s:%d: '%s' already has a rule on line %d", path, l + 1, shown,
                         g_array_index (lines, RuleLine, k).line);
            g_free (rl.selector);
            return NULL;
          }
      g_array_append_val (lines, rl);
    }
  return g_steal_pointer (&lines);
}

static gboolean
selector_is_op_type (const char *s)
{
  const RelOpDef *op = rel_op_lookup (s);
  return op != NULL && op->klass == REL_OP_CLASS_LINEAR;
}

/* Assigns every linear node its rule from the file's lines. */
static gboolean
assign_custom (LrpRun *run, GArray *lines, const char *path, LrpRule fallback, GError **error)
{
  RelModel *model = run->model;

  /* a name that matches nothing is a typo, not a rule for another model */
  for (guint k = 0; k < lines->len; k++)
    {
      const RuleLine *rl = &g_array_index (lines, RuleLine, k);
      if (strcmp (rl->selector, "first") == 0 || strcmp (rl->selector, "default") == 0
          || selector_is_op_type (rl->selector))
        continue;
      {
        int n = rel_model_find_node (model, rl->selector);
        if (n < 0)
          {
            g_autofree char *shown = rel_quote (rl->selector, -1);
            g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                         "%s:%d: the model has no layer, tensor or linear operator type named '%s'",
                         path, rl->line, shown);
            return FALSE;
          }
        if (!is_linear (&model->nodes[n]))
          {
            g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                         "%s:%d: '%s' is a %s; rules apply to Conv, Gemm and MatMul layers",
                         path, rl->line, rl->selector, model->nodes[n].op_type);
            return FALSE;
          }
      }
    }
  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      const RuleLine *by_name = NULL, *by_first = NULL, *by_type = NULL, *by_default = NULL;

      if (!is_linear (node))
        continue;
      for (guint k = 0; k < lines->len; k++)
        {
          const RuleLine *rl = &g_array_index (lines, RuleLine, k);
          if (strcmp (rl->selector, node->name) == 0
              || (node->n_outputs > 0
                  && strcmp (rl->selector, rel_model_value (model, node->outputs[0])->name) == 0))
            by_name = rl;
          else if (strcmp (rl->selector, "first") == 0 && i == run->first)
            by_first = rl;
          else if (strcmp (rl->selector, node->op_type) == 0)
            by_type = rl;
          else if (strcmp (rl->selector, "default") == 0)
            by_default = rl;
        }
      if (by_name)
        run->rules[i] = by_name->rule;
      else if (by_first)
        run->rules[i] = by_first->rule;
      else if (by_type)
        run->rules[i] = by_type->rule;
      else if (by_default)
        run->rules[i] = by_default->rule;
      else
        run->rules[i] = fallback;
    }
  return TRUE;
}

/* bn-merge=zennit: the forward pass of Zennit's canonized network. @acts
 * holds the exact pass; from the first folded BN on, the nodes run again with
 * each folded BN's output scaled by its k. */
static gboolean
zennit_forward (LrpRun *run, RelActivations *acts, GError **error)
{
  RelModel *model = run->model;
  const RelContext *ctx = run->ctx;
  gboolean ok = TRUE;
  int from = 0;

  while (from < model->n_nodes && run->out_k[from] == 1.0)
    from++;
  if (from == model->n_nodes)
    return TRUE;
  if (ctx->n_threads >= 2)
    rel_blas_single_begin ();   /* as rel_model_forward: the kernels split their own GEMMs */
  for (int i = from; i < model->n_nodes && ok; i++)
    {
      const RelNode *node = &model->nodes[i];
      g_autofree RelTensor **inputs = g_new0 (RelTensor *, MAX (node->n_inputs, 1));
      RelTensor *outputs[8] = { NULL };

      if (ctx->cancel && g_atomic_int_get (ctx->cancel))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
          ok = FALSE;
          break;
        }
      if (node->n_outputs > 8 || node->n_outputs < 1)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                       "node '%s' has too many inputs or outputs", node->name);
          ok = FALSE;
          break;
        }
      for (int k = 0; k < node->n_inputs; k++)
        inputs[k] = node->inputs[k] >= 0 ? acts->values[node->inputs[k]] : NULL;
      ok = node->op->forward (node, inputs, outputs, ctx, error);
      if (!ok)
        g_prefix_error (error, "node '%s' (%s): ", node->name, node->op_type);
      for (int o = 0; ok && o < node->n_outputs; o++)
        if (outputs[o] == NULL || (o == 0 && outputs[o]->dtype != REL_DTYPE_FLOAT32))
          {
            g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "node '%s' (%s) did not produce float output %d",
                         node->name, node->op_type, o);
            ok = FALSE;
          }
      if (ok && run->out_k[i] != 1.0)
        {
          float *d = rel_tensor_f32 (outputs[0]);
          for (int64_t e = 0; e < outputs[0]->numel; e++)
            d[e] = (float) (d[e] * run->out_k[i]);
        }
      for (int o = 0; o < node->n_outputs; o++)
        {
          if (!ok)
            {
              if (outputs[o])
                rel_tensor_unref (outputs[o]);
              continue;
            }
          if (acts->values[node->outputs[o]])
            rel_tensor_unref (acts->values[node->outputs[o]]);
          acts->values[node->outputs[o]] = outputs[o];
        }
    }
  if (ctx->n_threads >= 2)
    rel_blas_single_end ();
  return ok;
}

/* ---- running a method ---- */

typedef enum {
  M_EPSILON, M_GAMMA, M_ALPHA_BETA, M_ZPLUS, M_WSQUARE, M_FLAT,
  M_EPSILON_PLUS, M_EPSILON_PLUS_FLAT, M_EPSILON_GAMMA_BOX,
  M_EPSILON_ALPHA2_BETA1, M_EPSILON_ALPHA2_BETA1_FLAT, M_CUSTOM,
} LrpMethod;

static gboolean
param_present (const RelParams *params, const char *name)
{
  return rel_method_param (rel_params_method (params), name) != NULL;
}

static double
param_float (const RelParams *params, const char *name, double fallback)
{
  return param_present (params, name) ? rel_params_get_float (params, name) : fallback;
}

static gboolean
build_composite (LrpMethod m, const RelParams *params, LrpComposite *c, GError **error)
{
  LrpRule eps = rule_make (LRP_EPSILON);

  eps.epsilon = param_float (params, "epsilon", 1e-6);
  memset (c, 0, sizeof *c);
  c->first.kind = LRP_NONE;
  switch (m)
    {
    case M_EPSILON:
      c->conv = c->dense = eps;
      break;
    case M_GAMMA:
      c->conv = rule_make (LRP_GAMMA);
      c->conv.gamma = param_float (params, "gamma", 0.25);
      c->dense = c->conv;
      break;
    case M_ALPHA_BETA:
      c->conv = rule_make (LRP_ALPHA_BETA);
      c->conv.alpha = param_float (params, "alpha", 2);
      c->conv.beta = param_float (params, "beta", 1);
      if (fabs (c->conv.alpha - c->conv.beta - 1.0) > 1e-9)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "lrp-alpha-beta needs alpha − beta = 1 so relevance is conserved (alpha=%g, beta=%g)",
                       c->conv.alpha, c->conv.beta);
          return FALSE;
        }
      c->dense = c->conv;
      break;
    case M_ZPLUS:
      c->conv = c->dense = rule_make (LRP_ZPLUS);
      break;
    case M_WSQUARE:
      c->conv = c->dense = rule_make (LRP_WSQUARE);
      break;
    case M_FLAT:
      c->conv = c->dense = rule_make (LRP_FLAT);
      break;
    case M_EPSILON_PLUS_FLAT:
      c->first = rule_make (LRP_FLAT);
      G_GNUC_FALLTHROUGH;
    case M_EPSILON_PLUS:
      c->conv = rule_make (LRP_ZPLUS);
      c->dense = eps;
      break;
    case M_EPSILON_GAMMA_BOX:
      c->conv = rule_make (LRP_GAMMA);
      c->conv.gamma = param_float (params, "gamma", 0.25);
      c->dense = eps;
      c->first = rule_make (LRP_ZBOX);
      c->first.low = param_float (params, "low", 0);
      c->first.high = param_float (params, "high", 1);
      if (c->first.low > c->first.high)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "the z^B bounds are reversed: low %g > high %g", c->first.low, c->first.high);
          return FALSE;
        }
      break;
    case M_EPSILON_ALPHA2_BETA1_FLAT:
      c->first = rule_make (LRP_FLAT);
      G_GNUC_FALLTHROUGH;
    case M_EPSILON_ALPHA2_BETA1:
      c->conv = rule_make (LRP_ALPHA_BETA);
      c->dense = eps;
      break;
    case M_CUSTOM:
      c->conv = c->dense = eps;
      break;
    }
  return TRUE;
}

/* What one LRP run keeps: the plan, both passes, the resolved target. A
 * RelRelevancePass (rel-lrp.h) holds one so that conditional passes can
 * start from any value below the output. */
typedef struct {
  LrpRun          run;
  RelContext      ctx;
  RelActivations *acts;
  RelActivations *grads;
  int             cls;
  double          explained;
} LrpState;

static void
lrp_state_clear (LrpState *st)
{
  lrp_run_clear (&st->run);
  g_clear_pointer (&st->acts, rel_activations_free);
  g_clear_pointer (&st->grads, rel_activations_free);
}

/* @keep_z: keep each rule's denominators for conditional passes (rel-lrp.h). */
static gboolean
lrp_state_run (LrpMethod m, const RelMethodDef *method, const RelExplainRequest *req, gboolean keep_z,
               LrpState *st, GError **error)
{
  g_autoptr(RelParams) defaults = NULL;
  const RelParams *params = req->params;
  g_autoptr(RelTensor) seed = NULL;
  g_autofree int *n_consumers = NULL;
  LrpRun *run = &st->run;
  LrpComposite comp;
  RelTensor *logits;
  int n_values;
  RelModel *model = req->model;
  g_autoptr(GArray) lines = NULL;
  const char *rules_path = NULL;

  memset (st, 0, sizeof *st);
  st->cls = -1;
  if (params == NULL)
    params = defaults = rel_params_new (method);
  rel_context_init (&st->ctx);
  st->ctx.cancel = req->cancel;
  if (!build_composite (m, params, &comp, error))
    return FALSE;
  if (m == M_CUSTOM)
    {
      /* a broken rule file fails before any work */
      rules_path = rel_params_get_string (params, "rules");
      if (!(lines = parse_rule_file (rules_path, comp.dense, error)))
        return FALSE;
    }

  st->acts = rel_model_forward (model, req->input, &st->ctx, error);
  if (st->acts == NULL)
    return FALSE;

  run->model = model;
  run->acts = st->acts;
  run->ctx = &st->ctx;
  run->zennit_bn = param_present (params, "bn-merge")
                   && strcmp (rel_params_get_string (params, "bn-merge"), "zennit") == 0;
  run->rules = g_new0 (LrpRule, MAX (model->n_nodes, 1));
  run->fold_w = g_new0 (RelTensor *, MAX (model->n_nodes, 1));
  run->fold_b = g_new0 (RelTensor *, MAX (model->n_nodes, 1));
  run->fold_out = g_new (int, MAX (model->n_nodes, 1));
  run->absorbed = g_new0 (gboolean, MAX (model->n_nodes, 1));
  run->bn_k = g_new (double, MAX (model->n_nodes, 1));
  run->out_k = g_new (double, MAX (model->n_nodes, 1));
  run->conservation = g_array_new (FALSE, TRUE, sizeof (RelLayerConservation));
  run->first = -1;
  if (keep_z)
    run->zcache = g_new0 (RelTensor *, 2 * MAX (model->n_nodes, 1));

  /* plan: consumers, BN folding, the first linear layer, rules */
  n_values = st->acts->n_values;
  n_consumers = g_new0 (int, MAX (n_values, 1));
  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      run->fold_out[i] = -1;
      run->bn_k[i] = run->out_k[i] = 1.0;
      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] >= 0 && node->inputs[k] < n_values)
          n_consumers[node->inputs[k]]++;
    }
  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      if (node->op->klass == REL_OP_CLASS_NORM && rel_node_has (node, REL_OP_CHANNEL_AFFINE)
          && !try_fold_bn (run, i, n_consumers, error))
        return FALSE;
      if (!try_fold_bias_add (run, i, n_consumers, error))
        return FALSE;
      if (run->first < 0 && is_linear (node))
        run->first = i;
    }
  for (int i = 0; i < model->n_nodes; i++)
    mark_torch_folded_bn (run, i);
  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      if (!is_linear (node))
        continue;
      run->rules[i] = is_conv (node) ? comp.conv : comp.dense;
      if (i == run->first && comp.first.kind != LRP_NONE)
        run->rules[i] = comp.first;
    }
  if (lines && !assign_custom (run, lines, rules_path, comp.dense, error))
    return FALSE;
  prepare_normalisation (run, req->input);

  /* the folds are known now, so Zennit's network can run (the bias-Add folds
   * above read the exact pass's shapes only) */
  if (run->zennit_bn && !zennit_forward (run, st->acts, error))
    return FALSE;
  logits = rel_activations_output (st->acts);
  seed = rel_target_seed (&req->target, logits, 1.0, &st->cls, &st->explained, error);
  if (seed == NULL)
    return FALSE;
  if (!param_present (params, "initial") || strcmp (rel_params_get_string (params, "initial"), "one") != 0)
    {
      /* start from the explained scores themselves, so the map sums to the
       * logit (or the contrast z_a − z_b); with log-probabilities the start
       * is g ⊙ z for the log-softmax gradient g */
      t_mul (seed, logits, 1);
    }

  st->grads = rel_model_backward_values (model, st->acts, -1, seed, lrp_hook, run, &st->ctx, error);
  return st->grads != NULL;
}

static gboolean
lrp_explain (LrpMethod m, const RelMethodDef *method, const RelExplainRequest *req,
             RelExplanation *out, GError **error)
{
  LrpState st;
  gboolean ok = FALSE;
  RelModel *model = req->model;

  if (!lrp_state_run (m, method, req, FALSE, &st, error))
    goto done;
  out->relevance = st.grads->values[model->input];
  st.grads->values[model->input] = NULL;
  if (out->relevance == NULL && !(out->relevance = rel_tensor_new_like (req->input, error)))
    goto done;
  out->target_class = st.cls;
  out->explained_output = st.explained;
  out->relevance_sum = t_sum (out->relevance);
  /* the hook saw layers from the output down; report them input first */
  {
    GArray *c = st.run.conservation;
    for (guint a = 0, b = c->len ? c->len - 1 : 0; a < b; a++, b--)
      {
        RelLayerConservation t = g_array_index (c, RelLayerConservation, a);
        g_array_index (c, RelLayerConservation, a) = g_array_index (c, RelLayerConservation, b);
        g_array_index (c, RelLayerConservation, b) = t;
      }
    out->conservation = g_steal_pointer (&st.run.conservation);
  }
  ok = TRUE;

done:
  lrp_state_clear (&st);
  return ok;
}

#define LRP_RUN(fn, m) \
  static gboolean fn (const RelMethodDef *method, const RelExplainRequest *req, \
                      RelExplanation *out, GError **error) \
  { return lrp_explain (m, method, req, out, error); }

LRP_RUN (run_epsilon, M_EPSILON)
LRP_RUN (run_gamma, M_GAMMA)
LRP_RUN (run_alpha_beta, M_ALPHA_BETA)
LRP_RUN (run_zplus, M_ZPLUS)
LRP_RUN (run_wsquare, M_WSQUARE)
LRP_RUN (run_flat, M_FLAT)
LRP_RUN (run_epsilon_plus, M_EPSILON_PLUS)
LRP_RUN (run_epsilon_plus_flat, M_EPSILON_PLUS_FLAT)
LRP_RUN (run_epsilon_gamma_box, M_EPSILON_GAMMA_BOX)
LRP_RUN (run_epsilon_alpha2_beta1, M_EPSILON_ALPHA2_BETA1)
LRP_RUN (run_epsilon_alpha2_beta1_flat, M_EPSILON_ALPHA2_BETA1_FLAT)
LRP_RUN (run_custom, M_CUSTOM)

/* ---- the method table ---- */

static const char *const initial_choices[] = { "logit", "one", NULL };
static const char *const bn_merge_choices[] = { "exact", "zennit", NULL };
static const char *const initial_titles[] = { N_("Target's logit"), N_("One (as Zennit)"), NULL };
static const char *const bn_merge_titles[] = { N_("Exact"), N_("As Zennit 0.5"), NULL };

#define P_INITIAL \
  { "initial", REL_PARAM_CHOICE, \
    N_("Starting relevance: the target's logit (the map sums to the explained output) or 1.0 as Zennit does"), \
    0, 0, 0, "", initial_choices, "logit", FALSE, initial_titles }
#define P_BN_MERGE \
  { "bn-merge", REL_PARAM_CHOICE, \
    N_("Fold BatchNorm exactly, or as Zennit 0.5 (keeping its ε)"), \
    0, 0, 0, "", bn_merge_choices, "exact", FALSE, bn_merge_titles }
#define P_EPSILON(desc) \
  { "epsilon", REL_PARAM_FLOAT, desc, 1e-6, 1e-12, 100, "", NULL, NULL, TRUE }
#define P_GAMMA \
  { "gamma", REL_PARAM_FLOAT, N_("Weight of the positive parameters added to the layer (γ rule)"), \
    0.25, 0, 100, "", NULL, NULL, FALSE }
#define P_LOW \
  { "low", REL_PARAM_FLOAT, N_("Lowest input value for the z^B rule, in image units before the model's normalisation"), \
    0, -1000, 1000, N_("image value (0–1)"), NULL, NULL, FALSE }
#define P_HIGH \
  { "high", REL_PARAM_FLOAT, N_("Highest input value for the z^B rule, in image units before the model's normalisation"), \
    1, -1000, 1000, N_("image value (0–1)"), NULL, NULL, FALSE }

static const RelParamSpec params_epsilon[] = {
  P_EPSILON (N_("Stabiliser ε: larger values absorb weak and contradictory relevance")),
  P_INITIAL, P_BN_MERGE,
};
static const RelParamSpec params_gamma[] = { P_GAMMA, P_INITIAL, P_BN_MERGE };
static const RelParamSpec params_alpha_beta[] = {
  { "alpha", REL_PARAM_FLOAT, N_("Weight of the positive contributions (α − β must be 1)"), 2, 1, 100, "", NULL, NULL, FALSE },
  { "beta", REL_PARAM_FLOAT, N_("Weight of the negative contributions (α − β must be 1)"), 1, 0, 99, "", NULL, NULL, FALSE },
  P_INITIAL, P_BN_MERGE,
};
static const RelParamSpec params_initial[] = { P_INITIAL, P_BN_MERGE };
static const RelParamSpec params_composite[] = {
  P_EPSILON (N_("Stabiliser ε of the fully connected layers")),
  P_INITIAL, P_BN_MERGE,
};
static const RelParamSpec params_gamma_box[] = {
  P_EPSILON (N_("Stabiliser ε of the fully connected layers")),
  P_GAMMA, P_LOW, P_HIGH, P_INITIAL, P_BN_MERGE,
};
static const RelParamSpec params_custom[] = {
  { "rules", REL_PARAM_STRING,
    N_("Rule file: one line per layer, '<layer name|op type|first|default> <rule> [key=value ...]'"),
    0, 0, 0, "", NULL, "", FALSE },
  P_EPSILON (N_("Stabiliser ε of the linear layers no rule line selects")),
  P_INITIAL, P_BN_MERGE,
};

#define LRP_METHOD(name, title, desc, params, fn) \
  { name, title, desc, "lrp", params, G_N_ELEMENTS (params), FALSE, fn }

const RelMethodDef rel_methods_lrp[] = {
  LRP_METHOD ("lrp-epsilon", N_("LRP ε"),
              N_("Layer-wise relevance propagation with the ε rule on every Conv and Gemm"),
              params_epsilon, run_epsilon),
  LRP_METHOD ("lrp-gamma", N_("LRP γ"),
              N_("LRP with the γ rule (positive weights favoured) on every Conv and Gemm"),
              params_gamma, run_gamma),
  LRP_METHOD ("lrp-alpha-beta", N_("LRP αβ"),
              N_("LRP weighting positive contributions by α and negative ones by β"),
              params_alpha_beta, run_alpha_beta),
  LRP_METHOD ("lrp-zplus", N_("LRP z⁺"),
              N_("LRP with only the positive contributions (z⁺ rule) on every layer"),
              params_initial, run_zplus),
  LRP_METHOD ("lrp-wsquare", N_("LRP w²"),
              N_("LRP spreading relevance by squared weights, ignoring the input"),
              params_initial, run_wsquare),
  LRP_METHOD ("lrp-flat", N_("LRP flat"),
              N_("LRP spreading relevance uniformly over each receptive field"),
              params_initial, run_flat),
  LRP_METHOD ("lrp-epsilon-plus", N_("LRP ε + z⁺"),
              N_("Zennit's EpsilonPlus: z⁺ on convolutions, ε on fully connected layers"),
              params_composite, run_epsilon_plus),
  LRP_METHOD ("lrp-epsilon-plus-flat", N_("LRP ε + z⁺ + flat"),
              N_("Zennit's EpsilonPlusFlat: flat first layer, z⁺ on convolutions, ε on fully connected layers"),
              params_composite, run_epsilon_plus_flat),
  LRP_METHOD ("lrp-epsilon-gamma-box", N_("LRP ε + γ + z^B"),
              N_("Zennit's EpsilonGammaBox: z^B first layer, γ on convolutions, ε on fully connected layers"),
              params_gamma_box, run_epsilon_gamma_box),
  LRP_METHOD ("lrp-epsilon-alpha2-beta1", N_("LRP ε + α2β1"),
              N_("Zennit's EpsilonAlpha2Beta1: α=2 β=1 on convolutions, ε on fully connected layers"),
              params_composite, run_epsilon_alpha2_beta1),
  LRP_METHOD ("lrp-epsilon-alpha2-beta1-flat", N_("LRP ε + α2β1 + flat"),
              N_("Zennit's EpsilonAlpha2Beta1Flat: flat first layer, α=2 β=1 on convolutions, ε on fully connected layers"),
              params_composite, run_epsilon_alpha2_beta1_flat),
  LRP_METHOD ("lrp-custom", N_("LRP custom rules"),
              N_("LRP with a rule per layer or operator type read from a rule file"),
              params_custom, run_custom),
  { NULL },
};

/* ---- passes kept for conditional relevance (rel-lrp.h) ---- */

typedef gboolean (*LrpRunFn) (const RelMethodDef *, const RelExplainRequest *, RelExplanation *, GError **);

static gboolean
lrp_method_of (const RelMethodDef *method, LrpMethod *m)
{
  static const struct { LrpRunFn fn; LrpMethod m; } map[] = {
    { run_epsilon, M_EPSILON }, { run_gamma, M_GAMMA }, { run_alpha_beta, M_ALPHA_BETA },
    { run_zplus, M_ZPLUS }, { run_wsquare, M_WSQUARE }, { run_flat, M_FLAT },
    { run_epsilon_plus, M_EPSILON_PLUS }, { run_epsilon_plus_flat, M_EPSILON_PLUS_FLAT },
    { run_epsilon_gamma_box, M_EPSILON_GAMMA_BOX },
    { run_epsilon_alpha2_beta1, M_EPSILON_ALPHA2_BETA1 },
    { run_epsilon_alpha2_beta1_flat, M_EPSILON_ALPHA2_BETA1_FLAT }, { run_custom, M_CUSTOM },
  };

  for (gsize k = 0; k < G_N_ELEMENTS (map); k++)
    if (method->run == map[k].fn)
      {
        *m = map[k].m;
        return TRUE;
      }
  return FALSE;
}

static gboolean
is_input_x_gradient (const RelMethodDef *method)
{
  return strcmp (method->name, "input-x-gradient") == 0;
}

struct _RelRelevancePass {
  RelModel  *model;   /* a reference */
  RelTensor *input;   /* a reference */
  RelTensor *map;     /* the unconditional map */
  gboolean   lrp;     /* else input × gradient, whose grads are plain gradients */
  LrpState   st;
};

gboolean
rel_relevance_pass_supports (const RelMethodDef *method)
{
  LrpMethod m;
  return method && (lrp_method_of (method, &m) || is_input_x_gradient (method));
}

void
rel_relevance_pass_free (RelRelevancePass *pass)
{
  if (pass == NULL)
    return;
  lrp_state_clear (&pass->st);
  g_clear_pointer (&pass->map, rel_tensor_unref);
  g_clear_pointer (&pass->input, rel_tensor_unref);
  g_clear_pointer (&pass->model, rel_model_unref);
  g_free (pass);
}

RelRelevancePass *
rel_relevance_pass_new (const RelMethodDef *method, const RelExplainRequest *req, GError **error)
{
  g_autoptr(RelRelevancePass) pass = NULL;
  LrpMethod m = M_EPSILON;
  RelTensor *g;

  if (req->params)
    method = rel_params_method (req->params);
  if (method == NULL || req->model == NULL || req->input == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "no method, model or input for a relevance pass");
      return NULL;
    }
  if (!rel_relevance_pass_supports (method))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "method %s cannot be conditioned on channels: use an LRP method or input-x-gradient",
                   method->name);
      return NULL;
    }
  if (req->input->ndim < 1 || req->input->shape[0] != 1 || req->input->dtype != REL_DTYPE_FLOAT32)
    {
      g_autofree char *shape = rel_tensor_shape_string (req->input);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "a relevance pass takes one float input (batch 1), got shape %s", shape);
      return NULL;
    }
  pass = g_new0 (RelRelevancePass, 1);
  pass->model = rel_model_ref (req->model);
  pass->input = rel_tensor_ref (req->input);
  pass->lrp = lrp_method_of (method, &m);
  if (pass->lrp)
    {
      if (!lrp_state_run (m, method, req, TRUE, &pass->st, error))
        return NULL;
      /* conditional passes record no per-layer sums */
      for (guint i = 0; i < pass->st.run.conservation->len; i++)
        g_free (g_array_index (pass->st.run.conservation, RelLayerConservation, i).layer);
      g_clear_pointer (&pass->st.run.conservation, g_array_unref);
      g = pass->st.grads->values[req->model->input];
      pass->map = g ? rel_tensor_copy (g, error) : rel_tensor_new_like (req->input, error);
    }
  else
    {
      g_autoptr(RelTensor) seed = NULL;
      LrpState *st = &pass->st;

      memset (st, 0, sizeof *st);
      rel_context_init (&st->ctx);
      st->ctx.cancel = req->cancel;
      if (!(st->acts = rel_model_forward (req->model, req->input, &st->ctx, error)))
        return NULL;
      seed = rel_target_seed (&req->target, rel_activations_output (st->acts), 1.0, &st->cls, &st->explained, error);
      if (seed == NULL)
        return NULL;
      st->grads = rel_model_backward_values (req->model, st->acts, -1, seed, NULL, NULL, &st->ctx, error);
      if (st->grads == NULL)
        return NULL;
      g = st->grads->values[req->model->input];
      pass->map = g ? rel_tensor_copy (g, error) : rel_tensor_new_like (req->input, error);
      if (pass->map)
        t_mul (pass->map, req->input, 1);
    }
  if (pass->map == NULL || !rel_tensor_check_finite (pass->map, "the relevance map", error))
    return NULL;
  return g_steal_pointer (&pass);
}

RelModel *
rel_relevance_pass_model (RelRelevancePass *pass)
{
  return pass->model;
}

int
rel_relevance_pass_target_class (RelRelevancePass *pass)
{
  return pass->st.cls;
}

double
rel_relevance_pass_explained_output (RelRelevancePass *pass)
{
  return pass->st.explained;
}

RelTensor *
rel_relevance_pass_input_map (RelRelevancePass *pass)
{
  return pass->map;
}

RelTensor *
rel_relevance_pass_activation (RelRelevancePass *pass, int value)
{
  if (value < 0 || value >= pass->st.acts->n_values)
    return NULL;
  return pass->st.acts->values[value];
}

static gboolean
check_layer_value (RelRelevancePass *pass, int value, GError **error)
{
  RelTensor *a = rel_relevance_pass_activation (pass, value);

  if (a == NULL || a->dtype != REL_DTYPE_FLOAT32 || a->ndim < 2 || a->shape[0] != 1 || a->shape[1] < 1
      || rel_model_value (pass->model, value)->constant != NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "value '%s' is not a layer output with channels (a float tensor of batch 1 computed from the input)",
                   value >= 0 && value < pass->st.acts->n_values ? rel_model_value (pass->model, value)->name : "?");
      return FALSE;
    }
  return TRUE;
}

RelTensor *
rel_relevance_pass_relevance_at (RelRelevancePass *pass, int value, GError **error)
{
  RelTensor *a, *g, *r;

  if (!check_layer_value (pass, value, error))
    return NULL;
  a = pass->st.acts->values[value];
  g = pass->st.grads->values[value];
  if (g == NULL)
    return rel_tensor_new_like (a, error);
  if ((r = rel_tensor_copy (g, error)) && !pass->lrp)
    t_mul (r, a, 1);
  return r;
}

/* @t (batch 1) as a batch of @n copies. */
static RelTensor *
t_tile (const RelTensor *t, int64_t n, GError **error)
{
  int64_t shape[REL_MAX_DIMS];
  RelTensor *o;

  memcpy (shape, t->shape, sizeof shape);
  shape[0] = n;
  if (!(o = rel_tensor_new_uninit (t->dtype, t->ndim, shape, error)))
    return NULL;
  for (int64_t k = 0; k < n; k++)
    memcpy ((char *) o->data + k * t->numel * 4, t->data, (size_t) t->numel * 4);
  return o;
}

/* The forward pass's values as a batch of @n: every computed float value of
 * batch 1 is repeated, constants and the rest are shared. */
static RelActivations *
acts_tile (RelRelevancePass *pass, int from, int64_t n, GError **error)
{
  RelActivations *src = pass->st.acts;
  g_autoptr(RelActivations) t = g_new0 (RelActivations, 1);
  g_autofree gboolean *needed = g_new0 (gboolean, MAX (src->n_values, 1));
  int limit = rel_model_value (pass->model, from)->producer;

  /* a pass from @from reads the values of the nodes up to its producer,
   * and the outputs of what the LRP plan folded into them */
  for (int v = 0; v < src->n_values; v++)
    {
      int p = rel_model_value (pass->model, v)->producer;
      needed[v] = p <= limit;
    }
  for (int i = 0; pass->lrp && i <= limit; i++)
    if (pass->st.run.fold_out[i] >= 0)
      needed[pass->st.run.fold_out[i]] = TRUE;
  t->model = src->model;
  t->n_values = src->n_values;
  t->values = g_new0 (RelTensor *, MAX (src->n_values, 1));
  for (int v = 0; v < src->n_values; v++)
    {
      RelTensor *a = src->values[v];
      if (a == NULL || !needed[v])
        continue;
      if (rel_model_value (pass->model, v)->constant == NULL && a->dtype == REL_DTYPE_FLOAT32
          && a->ndim >= 1 && a->shape[0] == 1)
        {
          if (!(t->values[v] = t_tile (a, n, error)))
            return NULL;
        }
      else
        t->values[v] = rel_tensor_ref (a);
    }
  return g_steal_pointer (&t);
}

/* One batched backward pass from value @value with @seeds (b × the value's
 * shape without batch) as its relevance; the input maps go to @out. */
static gboolean
pass_from_seeds (RelRelevancePass *pass, int value, RelTensor *seeds, int to, float *out, GError **error)
{
  RelModel *model = pass->model;
  int64_t b = seeds->shape[0];
  g_autoptr(RelActivations) tiled = NULL;
  g_autoptr(RelActivations) grads = NULL;
  RelTensor *rin;

  if (!(tiled = acts_tile (pass, value, b, error)))
    return FALSE;
  if (pass->lrp)
    {
      RelActivations *keep = pass->st.run.acts;
      pass->st.run.acts = tiled;
      grads = rel_model_backward_values (model, tiled, value, seeds, lrp_hook, &pass->st.run,
                                         &pass->st.ctx, error);
      pass->st.run.acts = keep;
    }
  else
    grads = rel_model_backward_values (model, tiled, value, seeds, NULL, NULL, &pass->st.ctx, error);
  if (grads == NULL)
    return FALSE;
  rin = grads->values[to];
  if (rin == NULL)
    {
      memset (out, 0, (size_t) (b * pass->st.acts->values[to]->numel) * sizeof (float));
      return TRUE;
    }
  if (!pass->lrp)
    t_mul (rin, tiled->values[to], 1);
  memcpy (out, rel_tensor_f32 (rin), (size_t) rin->numel * sizeof (float));
  return TRUE;
}

RelTensor *
rel_relevance_pass_from_seeds (RelRelevancePass *pass, int value, const RelTensor *seeds, int max_batch,
                               GError **error)
{
  g_autoptr(RelTensor) out = NULL;
  RelTensor *a;
  int64_t shape[REL_MAX_DIMS], n;

  if (!check_layer_value (pass, value, error))
    return NULL;
  a = pass->st.acts->values[value];
  if (seeds == NULL || seeds->dtype != REL_DTYPE_FLOAT32 || seeds->ndim != a->ndim || seeds->shape[0] < 1
      || seeds->numel != seeds->shape[0] * a->numel)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "the seeds do not have the shape of '%s' (a batch of them)",
                   rel_model_value (pass->model, value)->name);
      return NULL;
    }
  if (max_batch <= 0)
    max_batch = 8;
  n = seeds->shape[0];
  memcpy (shape, pass->input->shape, sizeof shape);
  shape[0] = n;
  if (!(out = rel_tensor_new (REL_DTYPE_FLOAT32, pass->input->ndim, shape, error)))
    return NULL;
  for (int64_t first = 0; first < n; first += max_batch)
    {
      int64_t b = MIN (max_batch, n - first);
      int64_t sh[REL_MAX_DIMS];
      g_autoptr(RelTensor) part = NULL;

      memcpy (sh, a->shape, sizeof sh);
      sh[0] = b;
      if (!(part = rel_tensor_new_from_f32 (a->ndim, sh, rel_tensor_f32 (seeds) + first * a->numel, error))
          || !pass_from_seeds (pass, value, part, pass->model->input, rel_tensor_f32 (out) + first * pass->input->numel, error))
        return NULL;
    }
  if (!rel_tensor_check_finite (out, "the conditional relevance maps", error))
    return NULL;
  return g_steal_pointer (&out);
}

RelTensor *
rel_relevance_pass_conditional (RelRelevancePass *pass, int value, const float *masks, int64_t mask_len,
                                int n_masks, int max_batch, GError **error)
{
  return rel_relevance_pass_conditional_at (pass, value, masks, mask_len, n_masks, pass->model->input,
                                            max_batch, error);
}

RelTensor *
rel_relevance_pass_conditional_at (RelRelevancePass *pass, int value, const float *masks, int64_t mask_len,
                                   int n_masks, int to, int max_batch, GError **error)
{
  g_autoptr(RelTensor) out = NULL;
  RelTensor *a, *g, *at;
  RelModel *model = pass->model;
  int64_t shape[REL_MAX_DIMS], c_count, inner, in_numel;

  if (!check_layer_value (pass, value, error))
    return NULL;
  if (to != model->input && !check_layer_value (pass, to, error))
    return NULL;
  if (to != model->input && rel_model_value (model, to)->producer >= rel_model_value (model, value)->producer)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "'%s' is not below '%s'",
                   rel_model_value (model, to)->name, rel_model_value (model, value)->name);
      return NULL;
    }
  at = pass->st.acts->values[to];
  if (n_masks < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "no channel masks to condition on");
      return NULL;
    }
  if (max_batch <= 0)
    max_batch = 8;
  a = pass->st.acts->values[value];
  g = pass->st.grads->values[value];
  c_count = a->shape[1];
  inner = a->numel / c_count;
  if (masks == NULL || (mask_len != c_count && mask_len != a->numel))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "a mask on '%s' needs %" G_GINT64_FORMAT " (per channel) or %" G_GINT64_FORMAT " (per element) weights",
                   rel_model_value (model, value)->name, c_count, a->numel);
      return NULL;
    }
  in_numel = at->numel;
  memcpy (shape, at->shape, sizeof shape);
  shape[0] = n_masks;
  if (!(out = rel_tensor_new (REL_DTYPE_FLOAT32, at->ndim, shape, error)))
    return NULL;
  if (g == NULL)
    return g_steal_pointer (&out);   /* no relevance reaches the value: every map is zero */

  for (int first = 0; first < n_masks; first += max_batch)
    {
      int b = MIN (max_batch, n_masks - first);
      g_autoptr(RelTensor) seed = NULL;

      if (!(seed = t_tile (g, b, error)))
        return NULL;
      for (int k = 0; k < b; k++)
        {
          const float *mk = masks + (int64_t) (first + k) * mask_len;
          float *s = rel_tensor_f32 (seed) + (int64_t) k * g->numel;
          if (mask_len == c_count)
            for (int64_t c = 0; c < c_count; c++)
              for (int64_t i = 0; i < inner; i++)
                s[c * inner + i] *= mk[c];
          else
            for (int64_t i = 0; i < g->numel; i++)
              s[i] *= mk[i];
        }
      if (!pass_from_seeds (pass, value, seed, to, rel_tensor_f32 (out) + (int64_t) first * in_numel, error))
        return NULL;
    }
  if (!rel_tensor_check_finite (out, "the conditional relevance maps", error))
    return NULL;
  return g_steal_pointer (&out);
}
