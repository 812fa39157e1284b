/* rel-cli.h — relevance-cli subcommands living in their own files.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Each returns the process exit status; errors are one line on stderr. argv[0] is the subcommand. */
int rel_cli_explain (int argc, char **argv);  /* app/rel-cli-explain.c */
int rel_cli_methods (int argc, char **argv);  /* app/rel-cli-explain.c */

G_END_DECLS
