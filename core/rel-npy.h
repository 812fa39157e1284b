/* rel-npy.h — NumPy .npy files (float32, C order).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-tensor.h"

G_BEGIN_DECLS

/* Reads a little-endian float32 ('<f4') C-order array of any rank ≤ REL_MAX_DIMS.
 * float64 ('<f8') is converted to float32. Anything else (Fortran order, other
 * dtypes, a header that lies about the data size) is a clear error. */
/* Files over REL_NPY_MAX_FILE_SIZE are refused unread (the largest tensor in
 * float64 plus a header). */
#define REL_NPY_MAX_FILE_SIZE (REL_TENSOR_MAX_ELEMENTS * 8 + (G_GINT64_CONSTANT (1) << 20))
RelTensor *rel_npy_load  (const char *path, GError **error);
RelTensor *rel_npy_load_data (const guint8 *data, gsize len, GError **error);
/* Writes float32 '<f4' C order, the tensor's full shape. */
gboolean   rel_npy_save  (const char *path, const RelTensor *t, GError **error);

G_END_DECLS
