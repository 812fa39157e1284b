/* rel-op.c — the operator table: one lookup over the per-file op arrays.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-op.h"

#include <string.h>

static const RelOpDef *const op_arrays[] = {
  rel_ops_linear,
  rel_ops_pool,
  rel_ops_elementwise,
  rel_ops_shape,
};

const RelOpDef *
rel_op_lookup (const char *op_type)
{
  if (op_type == NULL)
    return NULL;
  for (gsize a = 0; a < G_N_ELEMENTS (op_arrays); a++)
    for (const RelOpDef *d = op_arrays[a]; d->name; d++)
      if (strcmp (d->name, op_type) == 0)
        return d;
  return NULL;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gpointer
build_names (gpointer data)
{
  GPtrArray *names = g_ptr_array_new ();
  for (gsize a = 0; a < G_N_ELEMENTS (op_arrays); a++)
    for (const RelOpDef *d = op_arrays[a]; d->name; d++)
      g_ptr_array_add (names, (gpointer) d->name);
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  /* lives for the whole process: the table is static */
  return g_ptr_array_free (names, FALSE);
}

const char *const *
rel_op_names (void)
{
  static GOnce once = G_ONCE_INIT;
  return g_once (&once, build_names, NULL);
}

char *
rel_op_names_joined (void)
{
  return g_strjoinv (", ", (char **) rel_op_names ());
}
