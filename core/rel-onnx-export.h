/* rel-onnx-export.h — writing a RelModel back as an ONNX file.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-model.h"

G_BEGIN_DECLS

/* Serialises @model's graph as an ONNX ModelProto (IR 8, opset 13, or the
 * model's own opset when higher): its nodes in order with their attributes
 * (int, ints, float, floats, string), every constant a node reads as an
 * initializer (raw little-endian data), the input and output with their
 * declared shapes (dims < 0 become the symbolic "N"), and model->metadata as
 * metadata_props (sorted by key, so the bytes are reproducible).
 * rel_model_load reads the result back to the same graph. */
guint8  *rel_onnx_export_data (RelModel *model, gsize *len, GError **error);
gboolean rel_onnx_export      (RelModel *model, const char *path, GError **error);

G_END_DECLS
