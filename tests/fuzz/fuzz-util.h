/* fuzz-util.h — what the fuzz targets share: the libFuzzer entry point, the
 * standalone corpus runner, a private temporary folder and the fixtures.
 *
 * Each fuzz-NAME.c defines rel_fuzz_run(). fuzz-util.c turns it into
 * LLVMFuzzerTestOneInput, or (built with -DREL_FUZZ_STANDALONE) into a TAP
 * program that runs it over files and folders: one result per file, where a
 * file named ok-* must be accepted and bad-* must be refused (anything else
 * only must not crash), so the corpus run in the suite checks the parser's
 * verdicts too.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-model.h"

#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

/* The target: TRUE if the parser accepted the input, FALSE if it refused it
 * with a REL_ERROR. Anything else (a crash, a broken invariant) aborts. */
gboolean rel_fuzz_run (const uint8_t *data, size_t size);

/* A folder of its own under the system's temporary folder, made on first use
 * and removed with everything in it when the process exits. */
const char *rel_fuzz_tmpdir (void);
/* Writes @data to @name in that folder; returns the path (free it). */
char *rel_fuzz_write (const char *name, const void *data, size_t size);
/* Writes @data to @path (in that folder), replacing what was there. */
void rel_fuzz_write_path (const char *path, const void *data, size_t size);
/* Removes @name from that folder, if there. */
void rel_fuzz_remove (const char *name);

/* A fixture model (tests/fixtures/DIR/FILE), loaded once per process: the
 * harnesses that need a model share it across inputs. Not thread-safe. */
RelModel *rel_fuzz_fixture_model (const char *dir, const char *file);
/* The small model the harnesses explain with (a 3×8×8 CNN, 5 classes:
 * float16/model-f16-ref.onnx), cheap enough for hundreds of runs a second. */
#define REL_FUZZ_MODEL_DIR "float16"
#define REL_FUZZ_MODEL_FILE "model-f16-ref.onnx"
RelModel *rel_fuzz_model (void);
/* A fixed 1×3×8×8 input for it (a new reference). */
RelTensor *rel_fuzz_model_input (void);
/* The path of a fixture file (free it). */
char *rel_fuzz_fixture_path (const char *dir, const char *file);

/* Aborts with @what on stderr unless @cond: a broken invariant is a finding. */
#define rel_fuzz_check(cond, what) \
  ((cond) ? (void) 0 : rel_fuzz_fail (__FILE__, __LINE__, (what)))
G_NORETURN void rel_fuzz_fail (const char *file, int line, const char *what);

/* Checks the outcome of a call: exactly one of a result and a REL_ERROR. */
void rel_fuzz_check_outcome (gboolean ok, const GError *error);

G_END_DECLS
