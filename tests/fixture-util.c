/* fixture-util.c — loading tests/fixtures in tests.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "fixture-util.h"
#include "rel-npy.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

gboolean
fixture_in_ci (void)
{
  return g_strcmp0 (g_getenv ("CI"), "true") == 0;
}

void
fixture_missing (const char *format, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  if (fixture_in_ci ())
    g_test_fail_printf ("%s (CI=true: a missing fixture fails)", msg);
  else
    g_test_skip (msg);
}

int
fixture_missing_plan (const char *reason)
{
  if (fixture_in_ci ())
    {
      g_print ("Bail out! %s (CI=true: a missing fixture fails)\n", reason);
      return 1;
    }
  g_print ("1..0 # SKIP %s\n", reason);
  return 0;
}

static char *
fixture_path (const char *dir, const char *file)
{
  return g_build_filename (g_getenv ("RELEVANCE_FIXTURES"), dir, file, NULL);
}

RelModel *
fixture_model (const char *dir, const char *file)
{
  g_autofree char *path = fixture_path (dir, file);
  g_autoptr(GError) error = NULL;
  RelModel *m = rel_model_load (path, &error);

  g_assert_no_error (error);
  return m;
}

RelTensor *
fixture_npy (const char *dir, const char *file)
{
  g_autofree char *path = fixture_path (dir, file);
  g_autoptr(GError) error = NULL;
  RelTensor *t = rel_npy_load (path, &error);

  g_assert_no_error (error);
  return t;
}

int
fixture_target (const char *dir)
{
  /* read without a JSON parser: the tests need this one number */
  g_autofree char *path = fixture_path (dir, "meta.json");
  g_autofree char *text = NULL;
  const char *p;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  p = strstr (text, "\"target\":");
  g_assert_nonnull (p);
  return atoi (p + strlen ("\"target\":"));
}

int
fixture_zero_biases (RelModel *model)
{
  int zeroed = 0;

  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      RelValue *v;

      if (node->op->klass != REL_OP_CLASS_LINEAR || node->n_inputs < 3 || node->inputs[2] < 0)
        continue;
      v = rel_model_value (model, node->inputs[2]);
      g_assert_nonnull (v->constant);
      rel_tensor_fill (v->constant, 0.f);
      zeroed++;
    }
  return zeroed;
}
