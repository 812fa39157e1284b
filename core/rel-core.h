/* rel-core.h — process-wide setup of the compute core.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sets the BLAS thread count (2 when @threads <= 0, the size of the target
 * machines). Call once at start-up from main(); the core's own workers and
 * BLAS never both run at full width. */
void rel_core_init (int threads);
int  rel_core_threads (void);
/* Returns the heap's free memory to the system. The core keeps freed
 * activations mapped between passes (rel_core_init), so long-lived callers
 * call this once they have been idle for a while. */
void rel_core_release_memory (void);

G_END_DECLS
