/* test-parallel.c — rel_parallel_run's worker threads.
 *
 * Every part of every dispatch runs exactly once and is finished when
 * rel_parallel_run returns, whatever the part counts in a row and with
 * several callers at once (the second finds the workers busy and starts
 * threads of its own).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-parallel.h"

enum { MAX_PARTS = 8 };

typedef struct {
  gint runs[MAX_PARTS];
  gint n_parts_seen;
  gint sum;  /* Σ of the item indices the parts covered: each item once */
} Dispatch;

static void
count_part (int part, int n_parts, gpointer data)
{
  Dispatch *d = data;
  int64_t b, e;
  int s = 0;

  g_atomic_int_inc (&d->runs[part]);
  g_atomic_int_set (&d->n_parts_seen, n_parts);
  rel_part_range (1000, part, n_parts, &b, &e);
  for (int64_t i = b; i < e; i++)
    s += (int) i;
  g_atomic_int_add (&d->sum, s);
}

static void
check_dispatch (int n_threads, int64_t work)
{
  Dispatch d = { { 0 } };
  int want = work < (1 << 20) ? 1 : CLAMP (n_threads, 1, MAX_PARTS);

  rel_parallel_run (n_threads, work, count_part, &d);
  /* everything is done on return */
  g_assert_cmpint (g_atomic_int_get (&d.n_parts_seen), ==, want);
  for (int p = 0; p < MAX_PARTS; p++)
    g_assert_cmpint (g_atomic_int_get (&d.runs[p]), ==, p < want ? 1 : 0);
  g_assert_cmpint (g_atomic_int_get (&d.sum), ==, 999 * 1000 / 2);
}

static void
test_sequence (void)
{
  /* part counts up and down, so workers without a part skip dispatches */
  static const int counts[] = { 2, 4, 2, 1, 8, 3, 2, 2, 5, 1, 2, 8, 2 };

  for (int round = 0; round < 2000; round++)
    check_dispatch (counts[round % G_N_ELEMENTS (counts)], 1 << 21);
  /* small loops run on the caller alone */
  check_dispatch (4, 1000);
}

static gpointer
caller_thread (gpointer data)
{
  for (int round = 0; round < 3000; round++)
    check_dispatch (2 + round % 3, 1 << 21);
  return NULL;
}

static void
test_concurrent_callers (void)
{
  GThread *a = g_thread_new ("caller-a", caller_thread, NULL);
  GThread *b = g_thread_new ("caller-b", caller_thread, NULL);

  caller_thread (NULL);
  g_thread_join (a);
  g_thread_join (b);
}

/* A dispatch from inside a part (a kernel calling another split loop):
 * the workers are taken, so the inner one runs on threads of its own. */
static void
nested_part (int part, int n_parts, gpointer data)
{
  gint *done = data;
  check_dispatch (2, 1 << 21);
  g_atomic_int_inc (done);
}

static void
test_nested (void)
{
  gint done = 0;

  rel_parallel_run (2, 1 << 21, nested_part, &done);
  g_assert_cmpint (done, ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/parallel/sequence", test_sequence);
  g_test_add_func ("/parallel/concurrent-callers", test_concurrent_callers);
  g_test_add_func ("/parallel/nested", test_nested);
  return g_test_run ();
}
