/* rel-onnx.c — being written (see rel-onnx.h).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-onnx.h"
