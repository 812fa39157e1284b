/* rel-op.c — the operator table: one lookup over the per-file op arrays.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-op.h"

#include <string.h>

/* in RelOpId order: each family's ids start where the previous one's end */
static const struct {
  const RelOpDef *table;
  RelOpId         end;
} families[] = {
  { rel_ops_linear,      REL_OPS_LINEAR_END },
  { rel_ops_pool,        REL_OPS_POOL_END },
  { rel_ops_norm,        REL_OPS_NORM_END },
  { rel_ops_elementwise, REL_OPS_ELEMENTWISE_END },
  { rel_ops_shape,       REL_OPS_SHAPE_END },
};

const RelOpDef *
rel_op_lookup (const char *op_type)
{
  if (op_type == NULL)
    return NULL;
  for (gsize a = 0; a < G_N_ELEMENTS (families); a++)
    for (const RelOpDef *d = families[a].table; d->name; d++)
      if (strcmp (d->name, op_type) == 0)
        return d;
  return NULL;
}

const RelOpDef *
rel_op_get (RelOpId id)
{
  RelOpId begin = 0;

  g_return_val_if_fail (id < REL_OP_COUNT, NULL);
  for (gsize a = 0; a < G_N_ELEMENTS (families); a++)
    {
      if (id < families[a].end)
        return &families[a].table[id - begin];
      begin = families[a].end;
    }
  g_assert_not_reached ();
}

const char *
rel_op_name (RelOpId id)
{
  return rel_op_get (id)->name;
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
  for (gsize a = 0; a < G_N_ELEMENTS (families); a++)
    for (const RelOpDef *d = families[a].table; d->name; d++)
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
