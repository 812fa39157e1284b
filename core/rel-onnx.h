/* rel-onnx.h — ONNX protobuf → RelModel (the only file that sees protobuf-c).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-model.h"

G_BEGIN_DECLS

/* rel_model_load() and rel_model_load_from_data() are declared in rel-model.h
 * and implemented in rel-onnx.c. */

/* Reads a serialized TensorProto (.pb, as in the ONNX backend test data) into a
 * tensor. float32 and int64 are supported; int32/int8/uint8/bool/double are
 * converted where the value is exact, anything else is REL_ERROR_UNSUPPORTED. */
RelTensor *rel_onnx_load_tensor_file (const char *path, GError **error);
RelTensor *rel_onnx_load_tensor_data (const guint8 *data, gsize len, GError **error);

/* The ONNX element limit for a whole file: larger files are refused before
 * reading (2 GiB is protobuf's own limit). */
#define REL_ONNX_MAX_FILE_SIZE (G_GINT64_CONSTANT (2) << 30)

G_END_DECLS
