/* rel-broadcast-private.h — numpy-style broadcasting shared by the element-wise and
 * shape operators (private to the core; implemented in rel-ops-elementwise.c).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-tensor.h"

G_BEGIN_DECLS

/* The numpy broadcast of two shapes (right-aligned; a dimension of 1 stretches).
 * Fails with REL_ERROR_SHAPE naming both shapes. */
gboolean rel_broadcast_shape   (int na, const int64_t *a, int nb, const int64_t *b,
                                int *nout, int64_t *out, GError **error);

/* Element strides of a tensor of shape @shape (ndim @nd <= @nout) when read in
 * the index space of @out_shape: 0 on broadcast (size-1 or missing) dimensions. */
void     rel_broadcast_strides (int nd, const int64_t *shape, int nout, const int64_t *out_shape,
                                int64_t *strides);

/* A new tensor of shape @out_shape holding @src broadcast to it (float32 or
 * int64); @src's shape must broadcast to @out_shape. */
RelTensor *rel_broadcast_to    (const RelTensor *src, int nout, const int64_t *out_shape, GError **error);

/* The adjoint of broadcasting: sums float32 @grad (shape @nout/@out_shape)
 * over the broadcast dimensions into a new tensor shaped like @like. */
RelTensor *rel_broadcast_reduce (const float *grad, int nout, const int64_t *out_shape,
                                 const RelTensor *like, GError **error);

G_END_DECLS
