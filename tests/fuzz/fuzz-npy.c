/* fuzz-npy.c — fuzz target for the .npy reader (core/rel-npy.c).
 *
 * The bytes go through the memory entry point; an accepted array must be
 * self-consistent, survive a save and reload unchanged, and, as a model input
 * (through a temporary file, the path the CLI and app take), either fit the
 * tiny CNN's 1×28×28 input or be refused.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz-util.h"
#include "rel-error.h"
#include "rel-image.h"
#include "rel-npy.h"

#include <string.h>

gboolean
rel_fuzz_run (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) t = rel_npy_load_data (data, size, &error);
  g_autoptr(RelTensor) back = NULL;
  g_autoptr(RelTensor) input = NULL;
  g_autofree char *path = NULL;
  int64_t numel = 1;

  rel_fuzz_check_outcome (t != NULL, error);
  if (t == NULL)
    return FALSE;

  rel_fuzz_check (t->dtype == REL_DTYPE_FLOAT32, "an array that is not float32");
  rel_fuzz_check (t->ndim >= 0 && t->ndim <= REL_MAX_DIMS, "rank out of range");
  for (int i = 0; i < t->ndim; i++)
    {
      rel_fuzz_check (t->shape[i] >= 0, "a negative dimension");
      numel *= t->shape[i];
      rel_fuzz_check (numel <= REL_TENSOR_MAX_ELEMENTS, "more elements than the limit");
    }
  rel_fuzz_check (numel == t->numel, "numel is not the product of the shape");
  rel_fuzz_check ((size_t) t->numel * sizeof (float) <= size, "more data than bytes in the file");

  path = g_build_filename (rel_fuzz_tmpdir (), "array.npy", NULL);
  if (!rel_npy_save (path, t, &error))
    rel_fuzz_fail (__FILE__, __LINE__, error->message);
  back = rel_npy_load (path, &error);
  if (back == NULL)
    rel_fuzz_fail (__FILE__, __LINE__, error->message);
  rel_fuzz_check (back->ndim == t->ndim && back->numel == t->numel
                  && memcmp (back->shape, t->shape, sizeof (int64_t) * t->ndim) == 0,
                  "the saved array reads back with another shape");
  rel_fuzz_check (t->numel == 0 || memcmp (back->data, t->data, sizeof (float) * t->numel) == 0,
                  "the saved array reads back with other values");

  input = rel_input_load (rel_fuzz_fixture_model ("tiny-cnn", "model.onnx"), path, &error);
  rel_fuzz_check_outcome (input != NULL, error);
  if (input)
    rel_fuzz_check (input->ndim == 4 && input->shape[1] == 1 && input->shape[2] == 28 && input->shape[3] == 28
                    && input->shape[0] >= 1,
                    "a model input of the wrong shape");
  g_clear_error (&error);
  rel_fuzz_remove ("array.npy");
  return TRUE;
}
