/* rel-core.c
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-core.h"
#include "rel-blas.h"

static gint core_threads = 2;

void
rel_core_init (int threads)
{
  if (threads <= 0)
    threads = 2;
  g_atomic_int_set (&core_threads, threads);
  rel_blas_set_threads (threads);
}

int
rel_core_threads (void)
{
  return g_atomic_int_get (&core_threads);
}
