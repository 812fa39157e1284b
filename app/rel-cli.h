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
#include "rel-shard.h"

G_BEGIN_DECLS

/* Each returns the process exit status; errors are one line on stderr. argv[0] is the subcommand. */
int rel_cli_explain (int argc, char **argv);  /* app/rel-cli-explain.c */
int rel_cli_methods (int argc, char **argv);  /* app/rel-cli-explain.c */
int rel_cli_train   (int argc, char **argv);  /* app/rel-cli-train.c */
int rel_cli_spray   (int argc, char **argv);  /* app/rel-cli-spray.c */
int rel_cli_merge   (int argc, char **argv);  /* app/rel-cli-merge.c */

/* A merge's input to spray: the parts (checked by rel_shard_check_parts)
 * and where each item is in them. */
typedef struct {
  RelPart *const     *parts;
  int                 n_parts;
  const RelShardSlot *slots;
  int                 n_items;
} RelCliSprayParts;

/* An in-process shard (an MPI rank): k of n; on return @part holds the part
 * (NULL on failure, with @failed_item the message). */
typedef struct {
  int     k, n;
  GBytes *part;
  char   *failed_item;
} RelCliShard;

/* The merge of @parts (loaded, named @names in messages): explain's or spray's. */
int rel_cli_merge_parts (RelPart *const *parts, int n_parts, const char *const *names);

/* The name error lines start with: "relevance-cli", or under MPI
 * "relevance-cli: rank R" (app/rel-cli-mpi.c). */
const char *rel_cli_name (void);
/* Whether mpirun started this process as one of several ranks. */
gboolean rel_cli_mpi_wanted (void);
/* explain --dataset or spray as one rank of an MPI job; rank 0 writes. */
int rel_cli_mpi_run (const char *command, int argc, char **argv);

/* explain with shard_out: only that shard's share, into a part in memory. */
int rel_cli_explain_run (int argc, char **argv, RelCliShard *shard_out);
/* Writes the outputs held by explain parts (checked) into their --out-dir. */
int rel_cli_explain_merge (RelPart *const *parts, const RelShardSlot *slots, int n_items, GError **error);

/* spray with the heatmaps from @merge's parts instead of explaining, or only
 * shard @shard_out's share into a part in memory; both NULL: rel_cli_spray. */
int rel_cli_spray_run (int argc, char **argv, const RelCliSprayParts *merge, RelCliShard *shard_out);

int rel_cli_inspect (int argc, char **argv);  /* app/rel-cli-inspect.c */
int rel_cli_correct (int argc, char **argv);  /* app/rel-cli-correct.c */
int rel_cli_evaluate (int argc, char **argv); /* app/rel-cli-evaluate.c */
int rel_cli_concepts (int argc, char **argv); /* app/rel-cli-concepts.c */

/* Errors, for every command (app/relevance-cli.c): one line on stderr,
 * "relevance-cli: MESSAGE" (newlines inside become spaces); the exit status
 * is 1, or EXIT_USAGE for a bad option, a missing argument or an invalid value. */
#define EXIT_USAGE 2
void  rel_cli_error (const char *fmt, ...) G_GNUC_PRINTF (1, 2);
/* rel_cli_error(), then returns @status. */
int   rel_cli_fail (int status, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* @error's message (or "unknown error"), then returns @status. */
int   rel_cli_fail_error (int status, const GError *error);

/* Shared by inspect and correct (app/rel-cli-inspect.c). */
/* "T-shirt/top, Trouser, …": the model's classes, for error messages; g_free. */
char *rel_cli_class_list (RelModel *model);
/* --region's value: "x,y,w,h", or a region file (FILE.json, rel_region_load_json). */
RelRegion *rel_cli_region (const char *text, GError **error);
/* The image whose @region holds the artifact: @source when given, else the
 * image of class @target that rel_inspect_pick_source prefers, from every
 * group of the folder @root when @group narrowed @ds to one (the artifact is
 * in the tagged ones). NULL with an error ending "(give --source IMAGE)". */
char *rel_cli_pick_source (RelModel *model, const char *root, const char *group, const RelDataset *ds,
                           const int *labels, int target, const RelRegion *region, RelFill fill,
                           const char *source, GError **error);
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
