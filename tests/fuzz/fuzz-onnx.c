/* fuzz-onnx.c — libFuzzer harness for the ONNX loader.
 *
 * Built with clang's -fsanitize=fuzzer it is a fuzzer; built with
 * -DREL_FUZZ_STANDALONE it gets a small main() that runs the harness over the
 * files (or the files in the folders) named on the command line, so crashes
 * found elsewhere can be replayed with any compiler and under valgrind.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-model.h"
#include "rel-onnx.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Returns whether the model loaded; any failure must be a REL_ERROR. */
static gboolean
run_one (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  RelModel *model = rel_model_load_from_data (data, size, NULL, &error);
  RelTensor *t;
  gboolean ok = model != NULL;

  /* exactly one of a model and an error */
  if ((model == NULL) == (error == NULL) || (error && error->domain != REL_ERROR))
    abort ();
  rel_model_free (model);
  g_clear_error (&error);

  /* the same bytes as a backend-test TensorProto */
  t = rel_onnx_load_tensor_data (data, size, &error);
  if ((t == NULL) == (error == NULL))
    abort ();
  if (t)
    rel_tensor_unref (t);
  g_clear_error (&error);
  return ok;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  run_one (data, size);
  return 0;
}

#ifdef REL_FUZZ_STANDALONE

static int
run_file (const char *path, gboolean expect_ok)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  gboolean ok;

  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      fprintf (stderr, "%s: %s\n", path, error->message);
      return 1;
    }
  ok = run_one ((const uint8_t *) contents, len);
  printf ("%s: %s\n", path, ok ? "loaded" : "refused");
  return expect_ok && !ok;
}

int
main (int argc, char **argv)
{
  gboolean expect_ok = FALSE;
  int failures = 0;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--expect-ok") == 0)
        {
          expect_ok = TRUE;
          continue;
        }
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          g_autoptr(GDir) dir = g_dir_open (argv[i], 0, NULL);
          const char *name;
          while (dir && (name = g_dir_read_name (dir)))
            {
              g_autofree char *path = g_build_filename (argv[i], name, NULL);
              if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
                failures += run_file (path, expect_ok);
            }
        }
      else
        failures += run_file (argv[i], expect_ok);
    }
  if (argc < 2)
    fprintf (stderr, "usage: %s [--expect-ok] FILE|DIR…\n", argv[0]);
  return failures > 0 || argc < 2;
}

#endif
