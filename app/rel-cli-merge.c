/* rel-cli-merge.c — `relevance-cli merge PART...`: joins the parts that
 * `explain --dataset … --shard K/N` or `spray … --shard K/N` wrote into the
 * outputs one whole run writes. Every part is read and checked (checksum,
 * same run, every shard once, every item once) before anything is written;
 * spray's merge runs the analysis again on the parts' heatmaps with the
 * command line the parts recorded, and refuses when the model or data set
 * changed since.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-cli.h"
#include "rel-error.h"
#include "rel-shard.h"

#include <stdio.h>
#include <string.h>

int
rel_cli_merge_parts (RelPart *const *parts, int n_parts, const char *const *names)
{
  g_autoptr(GError) error = NULL;
  int n_items = 0;
  g_autofree RelShardSlot *slots = rel_shard_check_parts (parts, n_parts, names, &n_items, &error);
  if (slots == NULL)
    return rel_cli_fail (1, "merge: %s", error->message);
  g_autofree char *command = g_key_file_get_string (parts[0]->header, "part", "command", NULL);
  if (g_strcmp0 (command, "explain") == 0)
    return rel_cli_explain_merge (parts, slots, n_items, &error);
  if (g_strcmp0 (command, "spray") == 0)
    {
      gsize n_args = 0;
      g_auto(GStrv) args = g_key_file_get_string_list (parts[0]->header, "part", "args", &n_args, NULL);
      if (args == NULL || n_args < 3 || g_strcmp0 (args[0], "spray") != 0)
        return rel_cli_fail (1, "merge: %s does not record its spray command line", names[0]);
      RelCliSprayParts merge = { parts, n_parts, slots, n_items };
      /* option parsing drops what it consumes from argv without freeing it:
       * it gets a shallow copy, and args keeps every string */
      g_autofree char **argv = g_memdup2 (args, sizeof (char *) * (n_args + 1));
      return rel_cli_spray_run ((int) n_args, argv, &merge, NULL);
    }
  return rel_cli_fail (1, "merge: %s: unknown command “%s”", names[0], command ? command : "");
}

int
rel_cli_merge (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) octx = g_option_context_new ("PART… — join the parts of a sharded explain --dataset or spray run");
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    return rel_cli_fail (2, "merge: %s", error->message);
  if (argc < 2)
    return rel_cli_fail (2, "usage: relevance-cli merge PART… (the files --shard K/N wrote)");
  int n = argc - 1;
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify) rel_part_free);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < n; i++)
    {
      RelPart *p = rel_part_load (argv[i + 1], &error);
      if (p == NULL)
        return rel_cli_fail (1, "merge: %s", error->message);
      g_ptr_array_add (parts, p);
      g_ptr_array_add (names, g_filename_display_name (argv[i + 1]));
    }
  return rel_cli_merge_parts ((RelPart *const *) parts->pdata, n, (const char *const *) names->pdata);
}
