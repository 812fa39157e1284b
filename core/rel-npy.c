/* rel-npy.c — being written (see rel-npy.h).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-npy.h"
