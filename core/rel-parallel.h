/* rel-parallel.h — splitting a loop over the core's threads.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef void (*RelPartFunc) (int part, int n_parts, gpointer data);

/* Runs fn (part, n, data) for part = 0 … n − 1, n = MIN (@n_threads, 8),
 * part 0 on the calling thread, and returns when all are done. Loops under
 * ~1 M elements of @work run in one part: a dispatch costs microseconds.
 * The other parts run on a few long-lived worker threads that spin briefly
 * between dispatches (a pass issues one per layer, ~100 on ResNet-18), so a
 * dispatch costs a few microseconds instead of a thread's start and join.
 * Thread-safe: a caller that finds the workers busy with another caller's
 * loop starts threads of its own, as before. */
void rel_parallel_run (int n_threads, int64_t work, RelPartFunc fn, gpointer data);

/* [begin, end) of part @part of @n items split into @n_parts. */
static inline void
rel_part_range (int64_t n, int part, int n_parts, int64_t *begin, int64_t *end)
{
  *begin = n * part / n_parts;
  *end = n * (part + 1) / n_parts;
}

G_END_DECLS
