/* rel-error.h — the core's error domain.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The core links only glib-2.0, so it cannot use G_IO_ERROR: it has its own quark. */
#define REL_ERROR (rel_error_quark ())

typedef enum {
  REL_ERROR_FAILED,          /* anything not covered below */
  REL_ERROR_IO,              /* a file could not be read or written */
  REL_ERROR_PARSE,           /* malformed file: truncated or garbage protobuf, bad .npy header, broken image */
  REL_ERROR_UNSUPPORTED,     /* valid input the core does not handle: an operator, a data type, an opset */
  REL_ERROR_SHAPE,           /* shapes that do not fit together */
  REL_ERROR_TOO_LARGE,       /* a tensor over REL_TENSOR_MAX_ELEMENTS, or a dimension that overflows */
  REL_ERROR_INVALID_ARGUMENT,/* a bad parameter value from the caller or the user */
  REL_ERROR_MISSING,         /* a referenced initializer, input or file is absent */
  REL_ERROR_CANCELLED,       /* the caller's cancel flag was raised */
} RelError;

GQuark rel_error_quark (void);

G_END_DECLS
