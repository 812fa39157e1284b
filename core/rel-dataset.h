/* rel-dataset.h — a folder of images, scanned recursively, with the true
 * labels its layout gives.
 *
 * Layout (torchvision's ImageFolder): every subfolder of the root is a class,
 * named after the folder, and every image below it (at any depth) has that
 * class. Classes are sorted by name, so a class index matches ImageFolder's.
 * Images directly in the root have no class (label -1).
 *
 * The scan never follows a directory twice (symlink loops), skips what it
 * cannot read, hidden entries and non-images (by extension; nothing is
 * decoded), and stops at REL_DATASET_MAX_FILES. It is meant to run on a worker
 * thread: it checks a cancel flag per entry and hands out what it found in
 * chunks as it goes.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A scan stops (setting `truncated`) after this many images, and never
 * descends deeper than REL_DATASET_MAX_DEPTH folders below the root. */
#define REL_DATASET_MAX_FILES 1000000
#define REL_DATASET_MAX_DEPTH 32

typedef struct {
  char      *root;
  char     **class_names;   /* NULL-terminated, sorted; empty when the root has no subfolders */
  int        n_classes;
  GPtrArray *paths;         /* char *, absolute file names, in scan order */
  GArray    *labels;        /* int per path: class index, or -1 */
  guint      n_skipped;     /* files that are not images, and entries that could not be read */
  gboolean   truncated;     /* REL_DATASET_MAX_FILES was reached */
} RelDataset;

/* Called on the scanning thread with entries [first, first + n) of @dataset,
 * the files found since the previous call (at most every 256 files, and once
 * at the end). class_names are complete by the first call. @fraction estimates
 * the part of the scan done (classes finished over all classes). The arrays
 * grow after the callback returns: copy what you keep. */
typedef void (*RelDatasetChunkFunc) (const RelDataset *dataset, guint first, guint n,
                                     double fraction, gpointer user_data);

/* Scans @root. @cancel (may be NULL) is read per entry: when it becomes
 * non-zero the scan fails with REL_ERROR_CANCELLED. A root that is not a
 * readable folder is REL_ERROR_IO. @chunk may be NULL. */
RelDataset *rel_dataset_scan   (const char *root, volatile gint *cancel,
                                RelDatasetChunkFunc chunk, gpointer user_data,
                                GError **error);
void        rel_dataset_free   (RelDataset *dataset);

/* TRUE if @name ends in an image extension the app decodes (case-insensitive). */
gboolean    rel_dataset_is_image_name (const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelDataset, rel_dataset_free)

G_END_DECLS
