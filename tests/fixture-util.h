/* fixture-util.h — loading tests/fixtures (RELEVANCE_FIXTURES) in tests;
 * each asserts that the file loads.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-model.h"
#include "rel-tensor.h"

/* A missing fixture (a file of the repository, the demo, a package ./run
 * installs, an operator or method the test expects in its table) is a
 * failure under CI=true (CI sets it): the calling test fails with @format,
 * and on a developer's machine it is skipped with it. Either way the calling
 * test should return. */
gboolean   fixture_in_ci        (void);
void       fixture_missing      (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* The same for a program that stops before g_test_run: prints the TAP plan
 * "1..0 # SKIP" and returns 0 to exit with, or under CI=true "Bail out!" and
 * returns 1. */
int        fixture_missing_plan (const char *reason);

/* @dir/@file under the fixtures folder: an ONNX model, a .npy tensor. */
RelModel  *fixture_model  (const char *dir, const char *file);
RelTensor *fixture_npy    (const char *dir, const char *file);
/* The explained class of a reference folder: meta.json's "target". */
int        fixture_target (const char *dir);
/* Sets every bias of the model's Conv/Gemm/MatMul layers to zero (the model
 * was loaded for one test only, so its constants may change); returns how
 * many layers had one. */
int        fixture_zero_biases (RelModel *model);
