/* rel-cli-explain.c — placeholder until the explainers' CLI lands; the
 * explainers' helper replaces this file (keep rel_cli_bench_method).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-cli.h"
#include "rel-error.h"

#include <stdio.h>

int
rel_cli_explain (int argc, char **argv)
{
  fprintf (stderr, "relevance-cli: explain: not built yet\n");
  return 2;
}

int
rel_cli_methods (int argc, char **argv)
{
  fprintf (stderr, "relevance-cli: methods: not built yet\n");
  return 2;
}

gboolean
rel_cli_bench_method (RelModel *model, const char *method, RelTensor *input, GError **error)
{
  g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
               "unknown method '%s' (only 'forward' can be benchmarked so far)", method);
  return FALSE;
}
