/* rel-ops-window-private.h — sliding-window geometry shared by Conv and the pools
 * (private to rel-ops-linear.c and rel-ops-pool.c).
 *
 * Everything is handled as 2-D: a 1-D op is an H = 1 image, so index 0 is H
 * and index 1 is W; a 1-D attribute lands in index 1.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-error.h"
#include "rel-model.h"
#include "rel-parallel.h"

#include <string.h>

/* The build targets x86-64-v2 (SSE4.2) for portability; the direct loops
 * (depthwise conv, pools, im2col) get an AVX2/FMA clone picked at load time,
 * which doubles their vector width on the machines we run on. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define REL_HOT_CLONES __attribute__ ((target_clones ("arch=x86-64-v3", "default")))
#else
#define REL_HOT_CLONES
#endif

typedef enum {
  REL_AUTO_PAD_NOTSET,
  REL_AUTO_PAD_SAME_UPPER,
  REL_AUTO_PAD_SAME_LOWER,
  REL_AUTO_PAD_VALID,
} RelAutoPad;

/* A hostile file must not make the size arithmetic overflow: every window
 * parameter stays far below 2^31 so products stay inside int64. */
#define REL_WINDOW_MAX_PARAM (G_GINT64_CONSTANT (1) << 24)

typedef struct {
  int        nd;           /* spatial rank given by the attributes (1 or 2); 0: from the input */
  gboolean   has_kernel;   /* kernel_shape was given */
  int64_t    kernel[2];
  int64_t    stride[2];
  int64_t    dilation[2];
  int64_t    pad_begin[2];
  int64_t    pad_end[2];
  RelAutoPad auto_pad;
  gboolean   ceil_mode;
} RelWindow;

/* The geometry of one run: input, kernel, output sizes and the actual pads. */
typedef struct {
  int64_t in[2], kernel[2], out[2];
  int64_t stride[2], dilation[2], pad_begin[2], pad_end[2];
} RelWindowGeom;

/* Reads an ints attribute of 1 or 2 spatial entries (or 2·nd for pads) into
 * the 2-D layout; *nd is set from it or checked against it. */
static inline gboolean
rel_window_ints (const RelNode *node, const char *name, int per_dim, int64_t *out,
                 int64_t lo, int *nd, GError **error)
{
  int64_t v[4];
  int n = rel_node_attr_ints (node, name, v, 4);
  int d;

  if (n < 0)
    return TRUE;
  if (n % per_dim != 0 || n / per_dim < 1 || n / per_dim > 2)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "attribute '%s' has %d values; only 1-D and 2-D windows are supported", name, n);
      return FALSE;
    }
  d = n / per_dim;
  if (*nd != 0 && *nd != d)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "attribute '%s' is for %d spatial dimensions but other attributes say %d",
                   name, d, *nd);
      return FALSE;
    }
  *nd = d;
  for (int i = 0; i < n; i++)
    if (v[i] < lo || v[i] > REL_WINDOW_MAX_PARAM)
      {
        g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                     "attribute '%s' has the out-of-range value %" G_GINT64_FORMAT, name, v[i]);
        return FALSE;
      }
  /* right-align into the 2-D slots */
  for (int p = 0; p < per_dim; p++)
    for (int i = 0; i < d; i++)
      out[p * 2 + (2 - d) + i] = v[p * d + i];
  return TRUE;
}

static inline gboolean
rel_window_parse (const RelNode *node, gboolean need_kernel, RelWindow *w, GError **error)
{
  int64_t pads[4] = { 0, 0, 0, 0 };
  const char *auto_pad = rel_node_attr_string (node, "auto_pad", "NOTSET");
  int64_t ceil_mode = rel_node_attr_int (node, "ceil_mode", 0);

  memset (w, 0, sizeof *w);
  for (int i = 0; i < 2; i++)
    w->kernel[i] = w->stride[i] = w->dilation[i] = 1;
  w->has_kernel = rel_node_attr (node, "kernel_shape") != NULL;
  if (need_kernel && !w->has_kernel)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "the kernel_shape attribute is missing");
      return FALSE;
    }
  if (!rel_window_ints (node, "kernel_shape", 1, w->kernel, 1, &w->nd, error)
      || !rel_window_ints (node, "strides", 1, w->stride, 1, &w->nd, error)
      || !rel_window_ints (node, "dilations", 1, w->dilation, 1, &w->nd, error)
      || !rel_window_ints (node, "pads", 2, pads, 0, &w->nd, error))
    return FALSE;
  w->pad_begin[0] = pads[0];
  w->pad_begin[1] = pads[1];
  w->pad_end[0] = pads[2];
  w->pad_end[1] = pads[3];
  if (strcmp (auto_pad, "NOTSET") == 0 || auto_pad[0] == '\0')
    w->auto_pad = REL_AUTO_PAD_NOTSET;
  else if (strcmp (auto_pad, "SAME_UPPER") == 0)
    w->auto_pad = REL_AUTO_PAD_SAME_UPPER;
  else if (strcmp (auto_pad, "SAME_LOWER") == 0)
    w->auto_pad = REL_AUTO_PAD_SAME_LOWER;
  else if (strcmp (auto_pad, "VALID") == 0)
    w->auto_pad = REL_AUTO_PAD_VALID;
  else
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "unknown auto_pad value '%s'", auto_pad);
      return FALSE;
    }
  if (ceil_mode != 0 && ceil_mode != 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "ceil_mode must be 0 or 1");
      return FALSE;
    }
  w->ceil_mode = ceil_mode == 1;
  return TRUE;
}

/* Output sizes and pads for an input of spatial rank @nd (1 or 2) and size
 * @in, with @kernel (from W for Conv, else w->kernel), following the ONNX
 * formulas; ceil mode drops a last window that would start in the end padding. */
static inline gboolean
rel_window_resolve (const RelWindow *w, int nd, const int64_t in[2], const int64_t kernel[2],
                    RelWindowGeom *g, GError **error)
{
  if (w->nd != 0 && w->nd != nd)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "the attributes describe a %d-D window but the input has %d spatial dimensions",
                   w->nd, nd);
      return FALSE;
    }
  for (int d = 0; d < 2; d++)
    {
      int64_t ek, s = w->stride[d];

      g->in[d] = in[d];
      g->kernel[d] = kernel[d];
      g->stride[d] = s;
      g->dilation[d] = w->dilation[d];
      if (kernel[d] < 1 || kernel[d] > REL_WINDOW_MAX_PARAM)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "kernel size %" G_GINT64_FORMAT " is out of range",
                       kernel[d]);
          return FALSE;
        }
      ek = (kernel[d] - 1) * w->dilation[d] + 1;
      switch (w->auto_pad)
        {
        case REL_AUTO_PAD_NOTSET:
        case REL_AUTO_PAD_VALID:
          {
            int64_t pb = w->auto_pad == REL_AUTO_PAD_VALID ? 0 : w->pad_begin[d];
            int64_t pe = w->auto_pad == REL_AUTO_PAD_VALID ? 0 : w->pad_end[d];
            int64_t span = in[d] + pb + pe - ek;
            if (span < 0)
              {
                g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                             "the window (%" G_GINT64_FORMAT " wide with dilation) is larger than the padded input (%"
                             G_GINT64_FORMAT ")", ek, in[d] + pb + pe);
                return FALSE;
              }
            g->out[d] = span / s + 1;
            /* ceil_mode only changes explicit padding: the spec's VALID size has no ceil variant */
            if (w->ceil_mode && w->auto_pad == REL_AUTO_PAD_NOTSET && span % s != 0)
              {
                g->out[d]++;
                if ((g->out[d] - 1) * s >= in[d] + pb)
                  g->out[d]--;
              }
            g->pad_begin[d] = pb;
            g->pad_end[d] = pe;
          }
          break;
        case REL_AUTO_PAD_SAME_UPPER:
        case REL_AUTO_PAD_SAME_LOWER:
          {
            int64_t total;
            g->out[d] = (in[d] + s - 1) / s;
            total = MAX (0, (g->out[d] - 1) * s + ek - in[d]);
            g->pad_begin[d] = w->auto_pad == REL_AUTO_PAD_SAME_UPPER ? total / 2 : total - total / 2;
            g->pad_end[d] = total - g->pad_begin[d];
          }
          break;
        }
      if (d == 0 && nd == 1)
        {
          /* the dummy H axis of a 1-D op */
          g->out[0] = in[0];
          g->pad_begin[0] = g->pad_end[0] = 0;
        }
    }
  return TRUE;
}

/* The first and one-past-last output index o whose tap o·s − pb + k·dil lies
 * inside [0, in): hot loops run unguarded over that range. */
static inline void
rel_window_valid_range (int64_t out, int64_t in, int64_t s, int64_t pb, int64_t offset,
                        int64_t *lo, int64_t *hi)
{
  /* need 0 <= o*s - pb + offset < in */
  int64_t a = pb - offset;            /* o*s >= a */
  int64_t b = in + pb - offset;       /* o*s < b */
  int64_t l = a <= 0 ? 0 : (a + s - 1) / s;
  int64_t h = b <= 0 ? 0 : (b + s - 1) / s;
  *lo = MIN (l, out);
  *hi = MAX (*lo, MIN (h, out));
}

/* Input spatial sizes of an NC(H)W tensor in the 2-D layout; FALSE unless rank 3 or 4. */
static inline gboolean
rel_window_input (const RelTensor *x, const char *what, int *nd, int64_t in[2], GError **error)
{
  if (x->dtype == REL_DTYPE_FLOAT32 && x->ndim == 5)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "%s over 3 spatial dimensions is not supported (only 1-D and 2-D)", what);
      return FALSE;
    }
  if (x->dtype != REL_DTYPE_FLOAT32 || (x->ndim != 3 && x->ndim != 4))
    {
      g_autofree char *s = rel_tensor_shape_string (x);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "%s needs a float32 N×C×W or N×C×H×W input, got %s%s", what, s,
                   x->dtype != REL_DTYPE_FLOAT32 ? " of int64" : "");
      return FALSE;
    }
  *nd = x->ndim - 2;
  in[0] = x->ndim == 4 ? x->shape[2] : 1;
  in[1] = x->shape[x->ndim - 1];
  return TRUE;
}

