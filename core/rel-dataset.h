/* rel-dataset.h — a folder of images, scanned recursively, with the true
 * labels its layout gives.
 *
 * The scan's own labels follow torchvision's ImageFolder: every subfolder of
 * the root is a class, named after the folder, and every image below it (at
 * any depth) has that class. Classes are sorted by name, so a class index
 * matches ImageFolder's. Images directly in the root have no class (label -1).
 * That is what training from a folder uses; against a model's labels, use
 * rel_dataset_layout_new() below, which finds the class level by name.
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

/* ---- Layout: which folder level holds the true classes ----
 *
 * A dataset may nest its class folders below other levels
 * (images/clean/Sandal/1.png, images/tagged/Sandal/1.png). An image's true
 * class is the folder on its path whose name matches one of the model's
 * labels, at any depth; the other folders on its path are its group
 * ("clean", "tagged"; several levels joined with '/'). The level where most
 * images match is preferred when a path matches at several.
 *
 * Names match after rel_dataset_normalize_name(): case is ignored, '/', '-',
 * '_' and spaces are one and the same character (a folder cannot hold '/':
 * "T-shirt-top" is the label "T-shirt/top"), surrounding ones are ignored; a label "tench, Tinca
 * tinca" is also matched by its first synonym ("tench"), and a folder named
 * by an output index ("0", "7") is that output.
 *
 * When no folder matches, nothing is guessed: there are no classes (and so no
 * truth) until the caller names the level (@class_level ≥ 1). At a named
 * level every folder is a class; those whose names match a label carry it,
 * the others have no label (their images have a class but no truth in the
 * model's outputs). */

typedef struct {
  guint      n_images;
  int        class_level;   /* 1-based folder level of the classes; 0: none */
  gboolean   matched;       /* classes come from names matching the model's labels */
  int        n_levels;      /* the deepest folder level that holds images */
  char    ***level_names;   /* n_levels lists (NULL-terminated, sorted): each level's folder names */
  int        n_classes;
  char     **class_names;   /* NULL-terminated: the model's label when matched, else the folder name */
  int       *class_labels;  /* n_classes: the model output the class is, or -1 */
  int        n_groups;
  char     **group_names;   /* NULL-terminated, sorted */
  int       *image_class;   /* n_images: class index, or -1 */
  int       *image_group;   /* n_images: group index, or -1 */
} RelDatasetLayout;

/* The layout of @n_images files below @root (@paths as rel_dataset_scan gives
 * them: @root followed by the relative path). @labels (may be NULL) are the
 * model's @n_labels class names, @n_outputs its number of classes (for folders
 * named by index). @class_level 0 finds the classes by name; N ≥ 1 takes the
 * N-th folder level below the root (REL_ERROR_INVALID if no image lies that
 * deep). */
RelDatasetLayout *rel_dataset_layout_new (const char *root, const char *const *paths, guint n_images,
                                          const char *const *labels, int n_labels, int n_outputs,
                                          int class_level, GError **error);
void              rel_dataset_layout_free (RelDatasetLayout *layout);
/* The class whose name (or label) matches @name after normalisation, or whose
 * index @name is; -1 if none. */
int               rel_dataset_layout_find_class (const RelDatasetLayout *layout, const char *name);
/* "clean, tagged" — a level's folder names for a prompt, at most @max of them then "…" (g_free). */
char             *rel_dataset_layout_describe_level (const RelDatasetLayout *layout, int level, int max);

/* The matching key of a folder or label name (g_free); see above. */
char             *rel_dataset_normalize_name (const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelDataset, rel_dataset_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelDatasetLayout, rel_dataset_layout_free)

G_END_DECLS
