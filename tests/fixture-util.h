/* fixture-util.h — loading tests/fixtures (RELEVANCE_FIXTURES) in tests;
 * each asserts that the file loads.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-model.h"
#include "rel-tensor.h"

/* @dir/@file under the fixtures folder: an ONNX model, a .npy tensor. */
RelModel  *fixture_model  (const char *dir, const char *file);
RelTensor *fixture_npy    (const char *dir, const char *file);
/* The explained class of a reference folder: meta.json's "target". */
int        fixture_target (const char *dir);
/* Sets every bias of the model's Conv/Gemm/MatMul layers to zero (the model
 * was loaded for one test only, so its constants may change); returns how
 * many layers had one. */
int        fixture_zero_biases (RelModel *model);
