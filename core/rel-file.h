/* rel-file.h — reading hostile files: one way in for every reader, and one
 * way to quote what a file said in an error message.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Opens @path for reading. The open itself is non-blocking, so a FIFO without
 * a writer cannot hang it; the opened descriptor (not the path, which may have
 * been swapped meanwhile) must be a regular file of at most @max_size bytes.
 * Directories, FIFOs, sockets and devices are REL_ERROR_IO, a missing file
 * REL_ERROR_MISSING, a larger one REL_ERROR_TOO_LARGE; messages name @what and
 * the path. The descriptor is blocking and close-on-exec; @size gets the
 * file's size. Returns -1 on error. */
int          rel_file_open         (const char *path, const char *what, gint64 max_size,
                                    gint64 *size, GError **error);
/* rel_file_open, then the whole file, NUL-terminated (@length excludes it). */
gboolean     rel_file_get_contents (const char *path, const char *what, gint64 max_size,
                                    char **contents, gsize *length, GError **error);
/* rel_file_open, then mapped read-only (an empty file maps to NULL contents). */
GMappedFile *rel_file_map          (const char *path, const char *what, gint64 max_size,
                                    GError **error);

/* Text taken from a file or a user, fit for an error message: bytes that are
 * not valid UTF-8 and control characters become \xNN, and anything past
 * REL_QUOTE_MAX characters is cut and marked "…". @length -1: NUL-terminated.
 * The quotes themselves are the caller's. */
#define REL_QUOTE_MAX 80
char        *rel_quote             (const char *text, gssize length);
/* The same with a longer limit for file paths (they name the file to fix). */
char        *rel_quote_path        (const char *path);

/* Rewrites @error's message the same way, cut at REL_ERROR_MESSAGE_MAX
 * characters: for the boundaries (model loading) where a message may hold a
 * file's text that was not quoted piece by piece. */
#define REL_ERROR_MESSAGE_MAX 2000
void         rel_error_make_printable (GError *error);

G_END_DECLS
