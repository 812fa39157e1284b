/* rel-ops-elementwise.c
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-model.h"

const RelOpDef rel_ops_elementwise[] = {
  { NULL },
};
