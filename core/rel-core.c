/* rel-core.c
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-core.h"
#include "rel-blas.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

static gint core_threads = 2;

void
rel_core_init (int threads)
{
  if (threads <= 0)
    threads = 2;
  g_atomic_int_set (&core_threads, threads);
  rel_blas_set_threads (threads);
#ifdef __GLIBC__
  /* Activations are megabytes each and are freed after every pass; above
   * glibc's default threshold each one is a fresh mmap whose pages fault in
   * again on every forward pass (VGG-16: 712 → 458 ms single-threaded once
   * kept on the heap). Keep them in the heap and don't trim it eagerly. */
  mallopt (M_MMAP_THRESHOLD, 256 * 1024 * 1024);
  /* … nor at 512 MiB: VGG-16's sampling batches free more than that between
   * passes and faulted it in again (SmoothGrad 1.30 → 1.60 s for 8 samples
   * with one arena). Idle callers hand it back: rel_core_release_memory. */
  mallopt (M_TRIM_THRESHOLD, 1536 * 1024 * 1024);
  /* Worker threads would get arenas of their own, whose extra 64 MiB heaps
   * glibc unmaps as soon as they are empty, whatever the trim threshold: the
   * half of a sampling batch on the second core then faulted its pages in
   * again every pass (~190 K faults per SmoothGrad-50 on ResNet-18) and ran
   * 11 % slower than the main thread's half. One arena keeps them mapped
   * (SmoothGrad-50: 1.34 → 1.21 s); tensors are few and large, so its lock
   * is not contended. */
  mallopt (M_ARENA_MAX, 1);
#endif
}

int
rel_core_threads (void)
{
  return g_atomic_int_get (&core_threads);
}

void
rel_core_release_memory (void)
{
#ifdef __GLIBC__
  malloc_trim (0);
#endif
}
