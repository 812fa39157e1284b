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

/* ---- Layout ---- */

char *
rel_dataset_normalize_name (const char *name)
{
  g_autofree char *valid = g_utf8_make_valid (name ? name : "", -1);
  g_autofree char *lower = g_utf8_strdown (valid, -1);

  g_strdelimit (lower, "/-_", ' ');
  return g_strdup (g_strstrip (lower));
}

void
rel_dataset_layout_free (RelDatasetLayout *layout)
{
  if (layout == NULL)
    return;
  for (int l = 0; l < layout->n_levels; l++)
    g_strfreev (layout->level_names[l]);
  g_free (layout->level_names);
  g_strfreev (layout->class_names);
  g_free (layout->class_labels);
  g_strfreev (layout->group_names);
  g_free (layout->image_class);
  g_free (layout->image_group);
  g_free (layout);
}

typedef struct {
  GHashTable        *by_name;   /* normalised label → index + 1 */
  const char *const *labels;
  int                n_labels;
  int                n_outputs;
} LabelMatch;

static int
match_label (const LabelMatch *m, const char *folder)
{
  g_autofree char *key = rel_dataset_normalize_name (folder);
  int j = GPOINTER_TO_INT (g_hash_table_lookup (m->by_name, key)) - 1;

  if (j >= 0)
    return j;
  /* a folder named by the output index */
  if (key[0] >= '0' && key[0] <= '9')
    {
      char *end = NULL;
      guint64 v = g_ascii_strtoull (key, &end, 10);
      if (end && *end == '\0' && v < (guint64) MAX (m->n_outputs, 0))
        return (int) v;
    }
  return -1;
}

static char **
sorted_keys (GHashTable *set)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  GHashTableIter it;
  gpointer key;

  g_hash_table_iter_init (&it, set);
  while (g_hash_table_iter_next (&it, &key, NULL))
    g_ptr_array_add (keys, g_strdup (key));
  g_ptr_array_sort (keys, compare_names);
  g_ptr_array_add (keys, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&keys), FALSE);
}

static int
index_of (char **names, const char *name)
{
  for (int i = 0; names[i]; i++)
    if (strcmp (names[i], name) == 0)
      return i;
  return -1;
}

/* What the steps of rel_dataset_layout_new share: each image's folders
 * below the root and which labels they match. */
typedef struct {
  guint      n_images;
  GPtrArray *comps;      /* per image: its folder names, UTF-8 (GStrv, owned) */
  int       *depth;      /* per image: how many */
  int        max_depth;
  int       *matches;    /* per image and level: label or -1 */
  guint     *per_level;  /* per level: images whose folder there matches */
  int       *class_at;   /* per image: the level of its class folder, or -1 */
} Folders;

static void
folders_clear (Folders *f)
{
  g_clear_pointer (&f->comps, g_ptr_array_unref);
  g_clear_pointer (&f->depth, g_free);
  g_clear_pointer (&f->matches, g_free);
  g_clear_pointer (&f->per_level, g_free);
  g_clear_pointer (&f->class_at, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Folders, folders_clear)

#define FOLDER(f, i, l) (((char **) (f)->comps->pdata[i])[l])

/* Each image's folders below the root, as UTF-8; an image outside the root
 * has none. */
static void
split_folders (Folders *f, const char *canon, const char *const *paths, guint n_images)
{
  gsize root_len = strlen (canon);

  if (g_str_has_suffix (canon, "/"))
    root_len--;
  f->n_images = n_images;
  f->comps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  f->depth = g_new0 (int, MAX (n_images, 1));
  for (guint i = 0; i < n_images; i++)
    {
      const char *p = paths[i];
      const char *rel = g_str_has_prefix (p, canon) && p[root_len] == '/' ? p + root_len + 1 : NULL;
      g_autofree char *dir = rel ? g_path_get_dirname (rel) : NULL;
      char **parts = dir && strcmp (dir, ".") != 0 ? g_strsplit (dir, "/", -1) : g_new0 (char *, 1);

      for (int l = 0; parts[l]; l++)
        {
          char *shown = g_filename_display_name (parts[l]);
          g_free (parts[l]);
          parts[l] = shown;
        }
      f->depth[i] = (int) g_strv_length (parts);
      f->max_depth = MAX (f->max_depth, f->depth[i]);
      g_ptr_array_add (f->comps, parts);
    }
}

/* Each level's folder names, sorted. */
static void
collect_level_names (RelDatasetLayout *layout, const Folders *f)
{
  g_autoptr(GPtrArray) level_sets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);

  layout->n_levels = f->max_depth;
  layout->level_names = g_new0 (char **, MAX (f->max_depth, 1));
  for (int l = 0; l < f->max_depth; l++)
    g_ptr_array_add (level_sets, g_hash_table_new (g_str_hash, g_str_equal));
  for (guint i = 0; i < f->n_images; i++)
    for (int l = 0; l < f->depth[i]; l++)
      g_hash_table_add (level_sets->pdata[l], FOLDER (f, i, l));
  for (int l = 0; l < f->max_depth; l++)
    layout->level_names[l] = sorted_keys (level_sets->pdata[l]);
}

/* The normalised labels (and their first synonyms) → index + 1; the first
 * label of a name wins. */
static void
index_labels (GHashTable *by_name, const char *const *labels, int n_labels)
{
  for (int j = 0; labels && j < n_labels; j++)
    {
      g_auto(GStrv) synonyms = g_strsplit (labels[j] ? labels[j] : "", ",", 2);
      char *key = rel_dataset_normalize_name (labels[j]);
      if (!g_hash_table_contains (by_name, key))
        g_hash_table_insert (by_name, key, GINT_TO_POINTER (j + 1));
      else
        g_free (key);
      if (synonyms[0] && synonyms[1])
        {
          key = rel_dataset_normalize_name (synonyms[0]);
          if (!g_hash_table_contains (by_name, key))
            g_hash_table_insert (by_name, key, GINT_TO_POINTER (j + 1));
          else
            g_free (key);
        }
    }
}

/* Per image and level, the label its folder there matches (each distinct
 * name is matched once). */
static void
match_levels (Folders *f, const LabelMatch *m)
{
  g_autoptr(GHashTable) cache = g_hash_table_new (g_str_hash, g_str_equal);

  f->matches = g_new (int, (gsize) MAX (f->n_images, 1) * MAX (f->max_depth, 1));
  f->per_level = g_new0 (guint, MAX (f->max_depth, 1));
  for (guint i = 0; i < f->n_images; i++)
    for (int l = 0; l < f->max_depth; l++)
      {
        int label = -1;
        if (l < f->depth[i])
          {
            char *name = FOLDER (f, i, l);
            gpointer hit;
            if (g_hash_table_lookup_extended (cache, name, NULL, &hit))
              label = GPOINTER_TO_INT (hit);
            else
              {
                label = match_label (m, name);
                g_hash_table_insert (cache, name, GINT_TO_POINTER (label));
              }
          }
        f->matches[(gsize) i * f->max_depth + l] = label;
        f->per_level[l] += label >= 0;
      }
}

/* Classes from folder names that match labels: an image's class folder is
 * the one at the level where most images match, else its deepest matching
 * one; the classes come in the model's output order. FALSE when no folder
 * matches. */
static gboolean
classes_by_match (RelDatasetLayout *layout, Folders *f, const LabelMatch *m,
                  GPtrArray *class_names, GArray *class_labels)
{
  const char *const *labels = m->labels;
  int n_labels = m->n_labels, n_outputs = m->n_outputs, best = -1;
  int n_out = MAX (n_outputs, n_labels);
  g_autofree int *used = NULL, *renumber = NULL;

  for (int l = 0; l < f->max_depth; l++)
    if (f->per_level[l] > 0 && (best < 0 || f->per_level[l] > f->per_level[best]))
      best = l;
  if (best < 0)
    return FALSE;
  layout->class_level = best + 1;
  layout->matched = TRUE;
  used = g_new0 (int, MAX (n_outputs, MAX (n_labels, 1)) + 1);
  for (guint i = 0; i < f->n_images; i++)
    {
      const int *mi = f->matches + (gsize) i * f->max_depth;
      int label = -1, at = -1;
      if (best < f->depth[i] && mi[best] >= 0)
        at = best;
      else
        for (int l = f->depth[i] - 1; l >= 0 && at < 0; l--)
          if (mi[l] >= 0)
            at = l;
      if (at >= 0)
        label = mi[at];
      f->class_at[i] = at;
      layout->image_class[i] = label;   /* a label for now; renumbered below */
      if (label >= 0 && label < n_out)
        used[label] = 1;
    }
  renumber = g_new (int, MAX (n_out, 1));
  for (int j = 0; j < n_out; j++)
    {
      renumber[j] = -1;
      if (!used[j])
        continue;
      renumber[j] = (int) class_labels->len;
      g_array_append_val (class_labels, j);
      if (labels && j < n_labels && labels[j])
        g_ptr_array_add (class_names, g_strdup (labels[j]));
      else
        g_ptr_array_add (class_names, g_strdup_printf ("%d", j));
    }
  for (guint i = 0; i < f->n_images; i++)
    if (layout->image_class[i] >= 0)
      layout->image_class[i] = renumber[layout->image_class[i]];
  return TRUE;
}

/* Classes at a named level: every folder there is one, carrying the label
 * its name matches, if any. */
static void
classes_at_level (RelDatasetLayout *layout, Folders *f, const LabelMatch *m, int class_level,
                  GPtrArray *class_names, GArray *class_labels)
{
  int l = class_level - 1;
  char **names = layout->level_names[l];

  layout->class_level = class_level;
  for (int c = 0; names[c]; c++)
    {
      int label = match_label (m, names[c]);
      g_ptr_array_add (class_names, g_strdup (names[c]));
      g_array_append_val (class_labels, label);
      layout->matched |= label >= 0;
    }
  for (guint i = 0; i < f->n_images; i++)
    {
      f->class_at[i] = l < f->depth[i] ? l : -1;
      layout->image_class[i] = f->class_at[i] >= 0 ? index_of (names, FOLDER (f, i, l)) : -1;
    }
}

/* Groups: the folders on an image's path other than its class's, joined
 * with '/'. */
static void
assign_groups (RelDatasetLayout *layout, const Folders *f)
{
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) group_of = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) gi = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < f->n_images; i++)
    {
      g_autoptr(GString) g = g_string_new (NULL);
      for (int l = 0; l < f->depth[i]; l++)
        if (l != f->class_at[i])
          {
            if (g->len)
              g_string_append_c (g, '/');
            g_string_append (g, FOLDER (f, i, l));
          }
      if (g->len && !g_hash_table_contains (groups, g->str))
        g_hash_table_add (groups, g_strdup (g->str));
      g_ptr_array_add (group_of, g->len ? g_string_free (g_steal_pointer (&g), FALSE) : NULL);
    }
  layout->group_names = sorted_keys (groups);
  layout->n_groups = (int) g_strv_length (layout->group_names);
  for (int gidx = 0; gidx < layout->n_groups; gidx++)
    g_hash_table_insert (gi, layout->group_names[gidx], GINT_TO_POINTER (gidx + 1));
  for (guint i = 0; i < f->n_images; i++)
    if (group_of->pdata[i])
      layout->image_group[i] = GPOINTER_TO_INT (g_hash_table_lookup (gi, group_of->pdata[i])) - 1;
}

RelDatasetLayout *
rel_dataset_layout_new (const char *root, const char *const *paths, guint n_images,
                        const char *const *labels, int n_labels, int n_outputs,
                        int class_level, GError **error)
{
  g_autoptr(RelDatasetLayout) layout = g_new0 (RelDatasetLayout, 1);
  g_autofree char *canon = NULL;
  g_autoptr(GHashTable) by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) class_names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) class_labels = g_array_new (FALSE, FALSE, sizeof (int));
  g_auto(Folders) f = { 0 };
  LabelMatch m = { by_name, labels, labels ? n_labels : 0, n_outputs };

  g_return_val_if_fail (root != NULL && (paths != NULL || n_images == 0), NULL);
  canon = g_canonicalize_filename (root, NULL);
  layout->n_images = n_images;
  split_folders (&f, canon, paths, n_images);
  collect_level_names (layout, &f);
  if (class_level < 0 || (class_level > 0 && class_level > f.max_depth))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "no folder level %d: the images lie at most %d folder%s below %s", class_level,
                   f.max_depth, f.max_depth == 1 ? "" : "s", root);
      return NULL;
    }
  index_labels (by_name, labels, n_labels);
  match_levels (&f, &m);

  layout->image_class = g_new (int, MAX (n_images, 1));
  layout->image_group = g_new (int, MAX (n_images, 1));
  for (guint i = 0; i < n_images; i++)
    layout->image_class[i] = layout->image_group[i] = -1;
  f.class_at = g_new (int, MAX (n_images, 1));
  if (class_level > 0)
    classes_at_level (layout, &f, &m, class_level, class_names, class_labels);
  else if (!classes_by_match (layout, &f, &m, class_names, class_labels))
    {
      /* Nothing matches: no classes, and so no truth. */
      layout->class_names = g_new0 (char *, 1);
      layout->class_labels = g_new0 (int, 1);
      layout->group_names = g_new0 (char *, 1);
      return g_steal_pointer (&layout);
    }
  layout->n_classes = (int) class_names->len;
  g_ptr_array_add (class_names, NULL);
  layout->class_names = (char **) g_ptr_array_free (g_steal_pointer (&class_names), FALSE);
  layout->class_labels = (int *) g_array_free (g_steal_pointer (&class_labels), FALSE);
  assign_groups (layout, &f);
  return g_steal_pointer (&layout);
}

int
rel_dataset_layout_find_class (const RelDatasetLayout *layout, const char *name)
{
  g_autofree char *key = rel_dataset_normalize_name (name);
  char *end = NULL;
  gint64 v;

  for (int c = 0; c < layout->n_classes; c++)
    {
      g_autofree char *k = rel_dataset_normalize_name (layout->class_names[c]);
      if (strcmp (k, key) == 0)
        return c;
    }
  /* a label's first synonym ("tench" for "tench, Tinca tinca") */
  for (int c = 0; c < layout->n_classes; c++)
    {
      g_auto(GStrv) syn = g_strsplit (layout->class_names[c], ",", 2);
      g_autofree char *k = rel_dataset_normalize_name (syn[0] ? syn[0] : "");
      if (syn[0] && syn[1] && strcmp (k, key) == 0)
        return c;
    }
  /* a number: the model's output index (a class matched to it), else the class index */
  v = g_ascii_strtoll (key, &end, 10);
  if (end && end != key && *end == '\0' && v >= 0)
    {
      for (int c = 0; c < layout->n_classes; c++)
        if (layout->class_labels[c] == v)
          return c;
      if (!layout->matched && v < layout->n_classes)
        return (int) v;
    }
  return -1;
}

char *
rel_dataset_layout_describe_level (const RelDatasetLayout *layout, int level, int max)
{
  g_autoptr(GString) s = g_string_new (NULL);
  char **names;

  if (level < 1 || level > layout->n_levels)
    return g_strdup ("");
  names = layout->level_names[level - 1];
  for (int i = 0; names[i]; i++)
    {
      if (i == max)
        {
          g_string_append (s, ", …");
          break;
        }
      if (i)
        g_string_append (s, ", ");
      g_string_append (s, names[i]);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}
