/* rel-gradient.c — being written.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-explain.h"

const RelMethodDef rel_methods_gradient[] = {
  { NULL },
};
