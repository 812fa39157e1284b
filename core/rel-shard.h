/* rel-shard.h — one data set split between shards (batch-array jobs with
 * `--shard K/N`, or MPI ranks), and the partial files they write.
 *
 * A part is: "RELPART1", a header (a GKeyFile group [part]: command, shard K of N,
 * the item count, digests of the item list and of the settings), then
 * entries (the item's index in the whole list and its bytes), then the
 * SHA-256 of everything before it. rel_part_parse checks all of it, so a
 * truncated or altered part is refused before anything is written.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define REL_SHARD_MAX 100000

/* "K/N" with 1 ≤ K ≤ N ≤ REL_SHARD_MAX; *k is 1-based. */
gboolean rel_shard_parse (const char *text, int *k, int *n, GError **error);

/* The shard (0-based) of each of @n_items items of byte sizes @sizes:
 * largest first to the shard with the least bytes so far (ties: the lower
 * shard, the lower item index), which is deterministic and keeps the shards
 * within one item's size of each other. g_free the result. */
int *rel_shard_assign (const gint64 *sizes, int n_items, int n_shards);

typedef struct {
  GKeyFile  *header;     /* group "part": command, shard, shards, items, list, settings, … */
  guint      n_entries;
  guint32   *index;      /* n_entries item indices */
  GBytes   **data;       /* n_entries payloads (slices of the part's bytes) */
} RelPart;

typedef struct _RelPartWriter RelPartWriter;

RelPartWriter *rel_part_writer_new    (GKeyFile *header);
void           rel_part_writer_add    (RelPartWriter *w, guint32 index, const void *data, gsize len);
/* The finished part (consumes @w). */
GBytes        *rel_part_writer_finish (RelPartWriter *w);

/* Checks magic, structure and checksum; @what names it in errors. */
RelPart *rel_part_parse (GBytes *bytes, const char *what, GError **error);
RelPart *rel_part_load  (const char *path, GError **error);
void     rel_part_free  (RelPart *part);

/* The SHA-256 (hex) of the strings of @items, each followed by a NUL. */
char *rel_shard_digest (const char *const *items, int n);

/* Checks that @parts (in any order) are the N parts of one run: the same
 * command, N, item count and digests, every shard 1…N exactly once, and
 * every item index once. Returns, per item, the part (index into @parts) and
 * entry that hold it, or NULL with an error naming the problem (the first
 * missing shard, a duplicate, the header member that differs). */
typedef struct { int part; guint entry; } RelShardSlot;
RelShardSlot *rel_shard_check_parts (RelPart *const *parts, int n_parts, const char *const *names,
                                     int *n_items, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelPart, rel_part_free)

G_END_DECLS
