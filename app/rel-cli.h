/* rel-cli.h — relevance-cli subcommands living in their own files.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "rel-model.h"

G_BEGIN_DECLS

/* Each returns the process exit status; errors are one line on stderr. argv[0] is the subcommand. */
int rel_cli_explain (int argc, char **argv);  /* app/rel-cli-explain.c */
int rel_cli_methods (int argc, char **argv);  /* app/rel-cli-explain.c */
int rel_cli_train   (int argc, char **argv);  /* app/rel-cli-train.c */
int rel_cli_spray   (int argc, char **argv);  /* app/rel-cli-spray.c */

/* `relevance-cli bench --method NAME` for any NAME other than "forward": runs
 * one explanation of @method for the predicted class of every sample of
 * @input (N×C×H×W), with the parameters of NAME:key=value,… and of @sets
 * (--set key=value, NULL for none), the rest at their defaults. The bench
 * command times each call, so all setup belongs inside it. FALSE with an
 * error naming the method when it is unknown, a parameter is bad, or it
 * fails. Implemented in app/rel-cli-explain.c. */
gboolean rel_cli_bench_method (RelModel *model, const char *method, const char *const *sets,
                               RelTensor *input, GError **error);

G_END_DECLS
