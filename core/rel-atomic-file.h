/* rel-atomic-file.h — every file Relevance writes goes through here: a
 * temporary beside the target, renamed over it only after a complete,
 * flushed write, so a full disk or a crash never leaves a partial file where
 * a good one was.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RelAtomicFile RelAtomicFile;

/* Opens a temporary in the folder of @path's final target (a symlink is
 * followed: the file it points to is replaced, the link stays). Fails when the
 * folder is missing or unwritable, or the target is a folder or not a regular
 * file (a device such as /dev/full is never replaced). */
RelAtomicFile *rel_atomic_file_open           (const char *path, GError **error);

gboolean       rel_atomic_file_write          (RelAtomicFile *file, const void *data, gsize len, GError **error);

/* Flushes (fsync) and renames the temporary over the target; consumes @file.
 * On failure the target is untouched and the temporary removed. */
gboolean       rel_atomic_file_commit         (RelAtomicFile *file, GError **error);

/* Removes the temporary and frees @file; the target is untouched. NULL is fine. */
void           rel_atomic_file_abort          (RelAtomicFile *file);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelAtomicFile, rel_atomic_file_abort)

/* The whole file at once, through a temporary as above. */
gboolean       rel_file_set_contents          (const char *path, const void *data, gsize len, GError **error);

/* Whether @path could be written now: its folder exists and takes a new file
 * (tried, so it holds for root and read-only mounts too) and the target is
 * not a folder or a device. For checks before long work. */
gboolean       rel_file_check_writable        (const char *path, GError **error);

/* Whether files can be created in @dir; with @create it is made first
 * (with parents). */
gboolean       rel_folder_check_writable      (const char *dir, gboolean create, GError **error);

G_END_DECLS
