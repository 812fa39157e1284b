/* rel-error.c
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"

G_DEFINE_QUARK (rel-error-quark, rel_error)
