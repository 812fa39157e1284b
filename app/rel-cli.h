/* rel-cli.h — relevance-cli subcommands living in their own files.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include <json-glib/json-glib.h>

#include "rel-dataset.h"
#include "rel-model.h"
#include "rel-region.h"

G_BEGIN_DECLS

/* Each returns the process exit status; errors are one line on stderr. argv[0] is the subcommand. */
int rel_cli_explain (int argc, char **argv);  /* app/rel-cli-explain.c */
int rel_cli_methods (int argc, char **argv);  /* app/rel-cli-explain.c */
int rel_cli_train   (int argc, char **argv);  /* app/rel-cli-train.c */
int rel_cli_spray   (int argc, char **argv);  /* app/rel-cli-spray.c */
int rel_cli_inspect (int argc, char **argv);  /* app/rel-cli-inspect.c */
int rel_cli_correct (int argc, char **argv);  /* app/rel-cli-correct.c */
int rel_cli_evaluate (int argc, char **argv); /* app/rel-cli-evaluate.c */
int rel_cli_concepts (int argc, char **argv); /* app/rel-cli-concepts.c */

/* Shared by inspect and correct (app/rel-cli-inspect.c). */
/* Prints "relevance-cli: MESSAGE" (one line) on stderr and returns @status. */
int   rel_cli_fail (int status, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* "T-shirt/top, Trouser, …": the model's classes, for error messages; g_free. */
char *rel_cli_class_list (RelModel *model);
/* --region's value: "x,y,w,h", or a region file (FILE.json, rel_region_load_json). */
RelRegion *rel_cli_region (const char *text, GError **error);
/* A member @name with @v, or null when it is not finite. */
void  rel_cli_json_number (JsonBuilder *b, const char *name, double v);
/* Scans the image folder @root and gives every image's class as a model
 * output (rel_inspect_dataset_labels); an empty folder is an error. */
RelDataset *rel_cli_load_dataset (RelModel *model, const char *root, int **labels, GError **error);
/* The same, keeping only the images of @group (a folder level above the
 * classes, "clean" in data/demo/images; NULL: all). With @need_group a folder
 * that has groups but no @group named is an error listing them. */
RelDataset *rel_cli_load_dataset_group (RelModel *model, const char *root, const char *group,
                                        gboolean need_group, int **labels, GError **error);

/* `relevance-cli bench --method NAME` for any NAME other than "forward": runs
 * one explanation of @method for the predicted class of every sample of
 * @input (N×C×H×W), with the parameters of NAME:key=value,… and of @sets
 * (--set key=value, NULL for none), the rest at their defaults. The bench
 * command times each call, so all setup belongs inside it. FALSE with an
 * error naming the method when it is unknown, a parameter is bad, or it
 * fails. Implemented in app/rel-cli-explain.c. */
gboolean rel_cli_bench_method (RelModel *model, const char *method, const char *const *sets,
                               RelTensor *input, GError **error);

/* For the commands that read a whole folder: TRUE, after a warning line on
 * stderr ("relevance-cli: warning: …; skipped"), when @path is an image whose
 * header declares more pixels than the limit (a decompression bomb, or just
 * too large): such a file is skipped and the rest goes on. Other problems
 * are left for the reader to report. Implemented in app/rel-cli-explain.c. */
gboolean rel_cli_skip_oversized (const char *path);

G_END_DECLS
