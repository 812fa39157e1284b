/* rel-dataset.c — recursive image folder scan (see rel-dataset.h).
 *
 * readdir's d_type avoids a stat per file, so 10,000 files cost a few
 * milliseconds; only symlinks and file systems without d_type are stat'ed.
 * Directories are identified by (device, inode) so a symlink loop, or two
 * links to one folder, are walked once.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-dataset.h"
#include "rel-error.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define CHUNK 256

typedef struct {
  RelDataset          *ds;
  volatile gint       *cancel;
  RelDatasetChunkFunc  chunk;
  gpointer             user_data;
  GHashTable          *visited;  /* "dev:ino" of every directory entered */
  guint                reported; /* paths handed to @chunk so far */
  double               fraction;
} Scan;

static const char *const image_extensions[] = {
  "png", "jpg", "jpeg", "jpe", "bmp", "gif", "tif", "tiff", "webp", "ppm", "pgm", "pnm", "tga", NULL,
};

gboolean
rel_dataset_is_image_name (const char *name)
{
  const char *dot = name ? strrchr (name, '.') : NULL;

  if (dot == NULL || dot == name)
    return FALSE;
  for (int i = 0; image_extensions[i]; i++)
    if (g_ascii_strcasecmp (dot + 1, image_extensions[i]) == 0)
      return TRUE;
  return FALSE;
}

void
rel_dataset_free (RelDataset *dataset)
{
  if (dataset == NULL)
    return;
  g_free (dataset->root);
  g_strfreev (dataset->class_names);
  g_ptr_array_unref (dataset->paths);
  g_array_unref (dataset->labels);
  g_free (dataset);
}

static gboolean
cancelled (Scan *scan, GError **error)
{
  if (scan->cancel && g_atomic_int_get (scan->cancel))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "Scan cancelled");
      return TRUE;
    }
  return FALSE;
}

static void
report (Scan *scan, gboolean force)
{
  guint n = scan->ds->paths->len - scan->reported;

  if (scan->chunk && n > 0 && (force || n >= CHUNK))
    {
      scan->chunk (scan->ds, scan->reported, n, scan->fraction, scan->user_data);
      scan->reported = scan->ds->paths->len;
    }
}

/* Marks a directory as entered; FALSE if it was already. */
static gboolean
first_visit (Scan *scan, const struct stat *st)
{
  char *key = g_strdup_printf ("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT,
                               (guint64) st->st_dev, (guint64) st->st_ino);

  if (g_hash_table_contains (scan->visited, key))
    {
      g_free (key);
      return FALSE;
    }
  g_hash_table_add (scan->visited, key);
  return TRUE;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The visible entries of @path, sorted (so scans are reproducible), each with
 * its type resolved: 'd' directory, 'f' regular file, 0 anything else.
 * NULL if the folder cannot be opened. */
static GPtrArray *
list_dir (const char *path, GArray **types, guint *n_skipped)
{
  DIR *dir = opendir (path);
  struct dirent *e;
  GPtrArray *names;
  g_autoptr(GHashTable) kinds = NULL;

  if (dir == NULL)
    return NULL;
  names = g_ptr_array_new_with_free_func (g_free);
  kinds = g_hash_table_new (g_str_hash, g_str_equal);
  while ((e = readdir (dir)) != NULL)
    {
      char kind = 0;

      if (e->d_name[0] == '.')   /* ".", "..", hidden files */
        continue;
      if (e->d_type == DT_DIR)
        kind = 'd';
      else if (e->d_type == DT_REG)
        kind = rel_dataset_is_image_name (e->d_name) ? 'f' : 0;
      else if (e->d_type == DT_LNK || e->d_type == DT_UNKNOWN)
        {
          struct stat st;

          /* stat follows the link; a dangling link or a loop fails here. */
          if (fstatat (dirfd (dir), e->d_name, &st, 0) == 0)
            {
              if (S_ISDIR (st.st_mode))
                kind = 'd';
              else if (S_ISREG (st.st_mode) && rel_dataset_is_image_name (e->d_name))
                kind = 'f';
            }
        }
      if (kind == 0)
        {
          (*n_skipped)++;
          continue;
        }
      char *name = g_strdup (e->d_name);
      g_ptr_array_add (names, name);
      g_hash_table_insert (kinds, name, GINT_TO_POINTER (kind));
    }
  closedir (dir);
  g_ptr_array_sort (names, compare_names);
  *types = g_array_sized_new (FALSE, FALSE, sizeof (char), names->len);
  for (guint i = 0; i < names->len; i++)
    {
      char kind = (char) GPOINTER_TO_INT (g_hash_table_lookup (kinds, names->pdata[i]));
      g_array_append_val (*types, kind);
    }
  return names;
}

static gboolean
scan_dir (Scan *scan, const char *path, int label, int depth, GError **error)
{
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GArray) types = NULL;
  struct stat st;

  if (cancelled (scan, error))
    return FALSE;
  if (depth > REL_DATASET_MAX_DEPTH || stat (path, &st) != 0 || !first_visit (scan, &st))
    return TRUE;
  names = list_dir (path, &types, &scan->ds->n_skipped);
  if (names == NULL)
    {
      scan->ds->n_skipped++;
      return TRUE;
    }
  for (guint i = 0; i < names->len; i++)
    {
      char kind = g_array_index (types, char, i);
      g_autofree char *child = g_build_filename (path, names->pdata[i], NULL);

      if (cancelled (scan, error))
        return FALSE;
      if (kind == 'f')
        {
          if (scan->ds->paths->len >= REL_DATASET_MAX_FILES)
            {
              scan->ds->truncated = TRUE;
              return TRUE;
            }
          g_ptr_array_add (scan->ds->paths, g_steal_pointer (&child));
          g_array_append_val (scan->ds->labels, label);
          report (scan, FALSE);
        }
      else if (!scan_dir (scan, child, label, depth + 1, error))
        return FALSE;
      if (scan->ds->truncated)
        return TRUE;
    }
  return TRUE;
}

RelDataset *
rel_dataset_scan (const char *root, volatile gint *cancel,
                  RelDatasetChunkFunc chunk, gpointer user_data, GError **error)
{
  g_autoptr(RelDataset) ds = g_new0 (RelDataset, 1);
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GArray) types = NULL;
  g_autoptr(GHashTable) visited = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) classes = g_ptr_array_new ();
  struct stat st;
  Scan scan = { ds, cancel, chunk, user_data, visited, 0, 0.0 };
  guint n_classes_done = 0;

  g_return_val_if_fail (root != NULL, NULL);
  ds->root = g_canonicalize_filename (root, NULL);
  ds->paths = g_ptr_array_new_with_free_func (g_free);
  ds->labels = g_array_new (FALSE, FALSE, sizeof (int));

  if (stat (ds->root, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_IO, "%s: not a readable folder", root);
      return NULL;
    }
  names = list_dir (ds->root, &types, &ds->n_skipped);
  if (names == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_IO, "%s: %s", root, g_strerror (errno));
      return NULL;
    }
  first_visit (&scan, &st);

  /* Class names first, so the first chunk can already be shown per class. */
  for (guint i = 0; i < names->len; i++)
    if (g_array_index (types, char, i) == 'd')
      g_ptr_array_add (classes, g_strdup (names->pdata[i]));
  ds->n_classes = (int) classes->len;
  g_ptr_array_add (classes, NULL);
  ds->class_names = (char **) g_ptr_array_steal (classes, NULL);

  /* Loose images in the root first, then one class after the other. */
  for (guint i = 0; i < names->len && !ds->truncated; i++)
    if (g_array_index (types, char, i) == 'f')
      {
        if (cancelled (&scan, error))
          return NULL;
        if (ds->paths->len >= REL_DATASET_MAX_FILES)
          ds->truncated = TRUE;
        else
          {
            int none = -1;
            g_ptr_array_add (ds->paths, g_build_filename (ds->root, names->pdata[i], NULL));
            g_array_append_val (ds->labels, none);
            report (&scan, FALSE);
          }
      }
  for (guint i = 0; i < names->len && !ds->truncated; i++)
    if (g_array_index (types, char, i) == 'd')
      {
        g_autofree char *child = g_build_filename (ds->root, names->pdata[i], NULL);

        if (!scan_dir (&scan, child, (int) n_classes_done, 1, error))
          return NULL;
        n_classes_done++;
        scan.fraction = (double) n_classes_done / MAX (ds->n_classes, 1);
      }
  scan.fraction = 1.0;
  report (&scan, TRUE);
  return g_steal_pointer (&ds);
}
