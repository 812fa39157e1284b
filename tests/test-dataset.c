/* test-dataset.c — the recursive image folder scan: labels from the layout,
 * hostile trees (symlink loops, unreadable folders, non-images), chunked
 * progress, cancellation and speed on 10,000 files.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-dataset.h"
#include "rel-error.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static void
touch (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);
}

static void
remove_tree (const char *path)
{
  GDir *dir;
  const char *name;

  /* Links are removed, never followed (the loop must not make this recurse). */
  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK) || !g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_unlink (path);
      return;
    }
  g_chmod (path, 0755);
  dir = g_dir_open (path, 0, NULL);
  if (dir)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

static int
count_label (const RelDataset *ds, int label)
{
  int n = 0;
  for (guint i = 0; i < ds->labels->len; i++)
    n += g_array_index (ds->labels, int, i) == label;
  return n;
}

static gboolean
has_path_suffix (const RelDataset *ds, const char *suffix, int label)
{
  for (guint i = 0; i < ds->paths->len; i++)
    if (g_str_has_suffix (ds->paths->pdata[i], suffix))
      return g_array_index (ds->labels, int, i) == label;
  return FALSE;
}

static void
test_layout (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("rel-dataset-XXXXXX", &error);
  g_autofree char *loop = NULL, *locked = NULL;

  g_assert_no_error (error);
  touch (root, "loose.png");
  touch (root, "notes.txt");
  touch (root, "cat/a.png");
  touch (root, "cat/b.JPG");
  touch (root, "cat/\xff\xfe.png");   /* not UTF-8: file names are bytes */
  touch (root, "cat/nested/deeper/c.jpeg");
  touch (root, "cat/.hidden.png");
  touch (root, "cat/readme.md");
  touch (root, "dog/x.png");
  touch (root, "dog/y.webp");
  touch (root, "dog/z.npy");
  touch (root, "zebra/locked/hidden.png");
  touch (root, "zebra/ok.png");
  g_autofree char *empty = g_build_filename (root, "empty", NULL);
  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);
  /* A loop back to the root and a link to a class seen elsewhere. */
  loop = g_build_filename (root, "dog", "loop", NULL);
  g_assert_cmpint (symlink (root, loop), ==, 0);
  g_autofree char *dangling = g_build_filename (root, "cat", "gone.png", NULL);
  g_assert_cmpint (symlink ("/nonexistent/file.png", dangling), ==, 0);
  locked = g_build_filename (root, "zebra", "locked", NULL);
  g_assert_cmpint (g_chmod (locked, 0), ==, 0);

  g_autoptr(RelDataset) ds = rel_dataset_scan (root, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->n_classes, ==, 4);
  g_assert_cmpstr (ds->class_names[0], ==, "cat");
  g_assert_cmpstr (ds->class_names[1], ==, "dog");
  g_assert_cmpstr (ds->class_names[2], ==, "empty");
  g_assert_cmpstr (ds->class_names[3], ==, "zebra");
  g_assert_null (ds->class_names[4]);
  g_assert_cmpuint (ds->paths->len, ==, ds->labels->len);
  g_assert_cmpint (count_label (ds, -1), ==, 1);
  g_assert_cmpint (count_label (ds, 0), ==, 4);
  g_assert_cmpint (count_label (ds, 1), ==, 2);
  g_assert_cmpint (count_label (ds, 2), ==, 0);
  /* Root runs tests as a user who can read a mode-0 folder. */
  g_assert_cmpint (count_label (ds, 3), ==, geteuid () == 0 ? 2 : 1);
  g_assert_cmpuint (ds->paths->len, ==, geteuid () == 0 ? 9 : 8);
  g_assert_true (has_path_suffix (ds, "/cat/nested/deeper/c.jpeg", 0));
  g_assert_true (has_path_suffix (ds, "/loose.png", -1));
  g_assert_true (has_path_suffix (ds, "/cat/\xff\xfe.png", 0));
  g_assert_true (has_path_suffix (ds, "/dog/y.webp", 1));
  g_assert_false (has_path_suffix (ds, ".npy", 1));
  g_assert_false (has_path_suffix (ds, ".hidden.png", 0));
  g_assert_cmpuint (ds->n_skipped, >=, 4);   /* txt, md, npy, dangling link */
  g_assert_false (ds->truncated);
  for (guint i = 0; i < ds->paths->len; i++)
    g_assert_true (g_path_is_absolute (ds->paths->pdata[i]));

  remove_tree (root);
}

static void
test_not_a_folder (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelDataset) ds = rel_dataset_scan ("/nonexistent/folder", NULL, NULL, NULL, &error);

  g_assert_null (ds);
  g_assert_error (error, REL_ERROR, REL_ERROR_IO);
}

static void
test_extensions (void)
{
  g_assert_true (rel_dataset_is_image_name ("a.PNG"));
  g_assert_true (rel_dataset_is_image_name ("dir/b.tiff"));
  g_assert_false (rel_dataset_is_image_name ("png"));
  g_assert_false (rel_dataset_is_image_name (".png"));
  g_assert_false (rel_dataset_is_image_name ("a.png.txt"));
  g_assert_false (rel_dataset_is_image_name (NULL));
}

/* ---- 10,000 files ---- */

#define N_CLASSES 10
#define PER_CLASS 1000

static char *
make_large_tree (void)
{
  g_autoptr(GError) error = NULL;
  char *root = g_dir_make_tmp ("rel-dataset-large-XXXXXX", &error);

  g_assert_no_error (error);
  for (int c = 0; c < N_CLASSES; c++)
    {
      g_autofree char *dir = g_strdup_printf ("%s/class%02d/sub", root, c);
      g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
      for (int i = 0; i < PER_CLASS; i++)
        {
          /* Half directly in the class folder, half one level down. */
          g_autofree char *path = g_strdup_printf ("%s/class%02d/%s%04d.png", root, c,
                                                   i % 2 ? "sub/" : "", i);
          g_file_set_contents (path, "", 0, &error);
          g_assert_no_error (error);
        }
    }
  return root;
}

typedef struct {
  guint   calls;
  guint   next_first;
  guint   max_chunk;
  double  last_fraction;
  gboolean monotonic;
  volatile gint *cancel;
  guint   cancel_after;
} ChunkLog;

static void
log_chunk (const RelDataset *ds, guint first, guint n, double fraction, gpointer user_data)
{
  ChunkLog *log = user_data;

  g_assert_cmpuint (first, ==, log->next_first);
  g_assert_cmpuint (first + n, ==, ds->paths->len);
  g_assert_cmpint (ds->n_classes, ==, N_CLASSES);   /* classes known from the first chunk */
  log->next_first = first + n;
  log->max_chunk = MAX (log->max_chunk, n);
  if (fraction < log->last_fraction || fraction < 0 || fraction > 1)
    log->monotonic = FALSE;
  log->last_fraction = fraction;
  log->calls++;
  if (log->cancel && log->calls == log->cancel_after)
    g_atomic_int_set (log->cancel, 1);
}

static void
test_large (void)
{
  g_autofree char *root = make_large_tree ();
  g_autoptr(GError) error = NULL;
  ChunkLog log = { .monotonic = TRUE };
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(RelDataset) ds = rel_dataset_scan (root, NULL, log_chunk, &log, &error);
  double ms = (g_get_monotonic_time () - t0) / 1000.0;

  g_assert_no_error (error);
  g_test_message ("scanned %u files in %.1f ms", ds->paths->len, ms);
  g_assert_cmpuint (ds->paths->len, ==, N_CLASSES * PER_CLASS);
  for (int c = 0; c < N_CLASSES; c++)
    g_assert_cmpint (count_label (ds, c), ==, PER_CLASS);
  /* Chunks cover everything, in order, none larger than the chunk size. */
  g_assert_cmpuint (log.next_first, ==, ds->paths->len);
  g_assert_cmpuint (log.max_chunk, <=, 256);
  g_assert_cmpuint (log.calls, >=, ds->paths->len / 256);
  g_assert_true (log.monotonic);
  g_assert_cmpfloat (log.last_fraction, ==, 1.0);
  /* Speed targets belong in benchmarks; this only catches a pathological scan. */
  g_assert_cmpfloat (ms, <, 2000.0);

  /* Cancelled from the callback after 3 chunks: stops promptly with an error. */
  volatile gint cancel = 0;
  ChunkLog clog = { .monotonic = TRUE, .cancel = &cancel, .cancel_after = 3 };
  g_autoptr(GError) cerror = NULL;
  RelDataset *cds = rel_dataset_scan (root, &cancel, log_chunk, &clog, &cerror);
  g_assert_null (cds);
  g_assert_error (cerror, REL_ERROR, REL_ERROR_CANCELLED);
  g_assert_cmpuint (clog.calls, ==, 3);
  g_assert_cmpuint (clog.next_first, ==, 3 * 256);

  /* A flag already raised: nothing is reported. */
  ChunkLog none = { .monotonic = TRUE };
  g_autoptr(GError) nerror = NULL;
  cds = rel_dataset_scan (root, &cancel, log_chunk, &none, &nerror);
  g_assert_null (cds);
  g_assert_error (nerror, REL_ERROR, REL_ERROR_CANCELLED);
  g_assert_cmpuint (none.calls, ==, 0);

  remove_tree (root);
}

/* The layout of a scanned tree against @labels (NULL-terminated or NULL). */
static RelDatasetLayout *
layout_of (const char *root, const char *const *labels, int n_outputs, int level, GError **error)
{
  g_autoptr(RelDataset) ds = rel_dataset_scan (root, NULL, NULL, NULL, error);
  if (ds == NULL)
    return NULL;
  return rel_dataset_layout_new (root, (const char *const *) ds->paths->pdata, ds->paths->len, labels,
                                 labels ? (int) g_strv_length ((char **) labels) : 0, n_outputs, level, error);
}

static int
image_class_of (const char *root, const RelDatasetLayout *l, const char *suffix)
{
  g_autoptr(RelDataset) ds = rel_dataset_scan (root, NULL, NULL, NULL, NULL);
  for (guint i = 0; i < ds->paths->len; i++)
    if (g_str_has_suffix (ds->paths->pdata[i], suffix))
      return l->image_class[i];
  g_assert_not_reached ();
}

static const char *
image_group_of (const char *root, const RelDatasetLayout *l, const char *suffix)
{
  g_autoptr(RelDataset) ds = rel_dataset_scan (root, NULL, NULL, NULL, NULL);
  for (guint i = 0; i < ds->paths->len; i++)
    if (g_str_has_suffix (ds->paths->pdata[i], suffix))
      return l->image_group[i] >= 0 ? l->group_names[l->image_group[i]] : NULL;
  g_assert_not_reached ();
}

/* The demo's nesting: groups above the class folders, which match the
 * model's labels; 'T-shirt-top' is "T-shirt/top" (a folder cannot hold '/'). */
static void
test_layout_nested (void)
{
  static const char *const labels[] = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("rel-layout-XXXXXX", &error);

  touch (root, "clean/Sandal/0.png");
  touch (root, "clean/T-shirt-top/1.png");
  touch (root, "tagged/Sandal/2.png");
  touch (root, "tagged/ankle_BOOT/3.png");
  touch (root, "tagged/misc/4.png");
  touch (root, "loose.png");

  g_autoptr(RelDatasetLayout) l = layout_of (root, labels, 10, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (l->class_level, ==, 2);
  g_assert_true (l->matched);
  g_assert_cmpint (l->n_levels, ==, 2);
  /* classes in the model's output order, named by its labels */
  g_assert_cmpint (l->n_classes, ==, 3);
  g_assert_cmpstr (l->class_names[0], ==, "T-shirt/top");
  g_assert_cmpstr (l->class_names[1], ==, "Sandal");
  g_assert_cmpstr (l->class_names[2], ==, "Ankle boot");
  g_assert_cmpint (l->class_labels[0], ==, 0);
  g_assert_cmpint (l->class_labels[1], ==, 5);
  g_assert_cmpint (l->class_labels[2], ==, 9);
  g_assert_cmpint (l->n_groups, ==, 3);
  g_assert_cmpstr (l->group_names[0], ==, "clean");
  g_assert_cmpstr (l->group_names[1], ==, "tagged");
  g_assert_cmpstr (l->group_names[2], ==, "tagged/misc");
  g_assert_cmpint (image_class_of (root, l, "clean/Sandal/0.png"), ==, 1);
  g_assert_cmpint (image_class_of (root, l, "tagged/Sandal/2.png"), ==, 1);
  g_assert_cmpint (image_class_of (root, l, "clean/T-shirt-top/1.png"), ==, 0);
  g_assert_cmpint (image_class_of (root, l, "tagged/ankle_BOOT/3.png"), ==, 2);
  g_assert_cmpint (image_class_of (root, l, "tagged/misc/4.png"), ==, -1);
  g_assert_cmpint (image_class_of (root, l, "loose.png"), ==, -1);
  g_assert_cmpstr (image_group_of (root, l, "clean/Sandal/0.png"), ==, "clean");
  g_assert_cmpstr (image_group_of (root, l, "tagged/Sandal/2.png"), ==, "tagged");
  g_assert_null (image_group_of (root, l, "loose.png"));
  g_assert_cmpint (rel_dataset_layout_find_class (l, "sandal"), ==, 1);
  g_assert_cmpint (rel_dataset_layout_find_class (l, "T-shirt-top"), ==, 0);
  g_assert_cmpint (rel_dataset_layout_find_class (l, "9"), ==, 2);   /* the model's output index */
  g_assert_cmpint (rel_dataset_layout_find_class (l, "Bag"), ==, -1);

  /* A class level deeper than any image is refused, naming the depth. */
  g_autoptr(RelDatasetLayout) deep = layout_of (root, labels, 10, 3, &error);
  g_assert_null (deep);
  g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "at most 2 folders"));
  remove_tree (root);
}

/* No folder name matches: nothing is guessed until a level is named. */
static void
test_layout_unmatched (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("rel-layout-XXXXXX", &error);
  static const char *const labels[] = { "tench, Tinca tinca", "goldfish", NULL };

  touch (root, "clean/a/0.png");
  touch (root, "clean/b/1.png");
  touch (root, "tagged/a/2.png");

  /* a model without labels (ResNet-18 from torchvision) */
  g_autoptr(RelDatasetLayout) none = layout_of (root, NULL, 1000, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (none->class_level, ==, 0);
  g_assert_false (none->matched);
  g_assert_cmpint (none->n_classes, ==, 0);
  for (guint i = 0; i < none->n_images; i++)
    g_assert_cmpint (none->image_class[i], ==, -1);
  g_assert_cmpint (none->n_levels, ==, 2);
  g_autofree char *level1 = rel_dataset_layout_describe_level (none, 1, 5);
  g_autofree char *level2 = rel_dataset_layout_describe_level (none, 2, 1);
  g_assert_cmpstr (level1, ==, "clean, tagged");
  g_assert_cmpstr (level2, ==, "a, …");

  /* a named level: its folders are classes without a label, the rest groups */
  g_autoptr(RelDatasetLayout) named = layout_of (root, labels, 2, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (named->class_level, ==, 2);
  g_assert_false (named->matched);
  g_assert_cmpint (named->n_classes, ==, 2);
  g_assert_cmpstr (named->class_names[0], ==, "a");
  g_assert_cmpint (named->class_labels[0], ==, -1);
  g_assert_cmpint (named->class_labels[1], ==, -1);
  g_assert_cmpint (image_class_of (root, named, "tagged/a/2.png"), ==, 0);
  g_assert_cmpstr (image_group_of (root, named, "tagged/a/2.png"), ==, "tagged");
  g_assert_cmpint (rel_dataset_layout_find_class (named, "B"), ==, 1);
  remove_tree (root);
}

/* The documented normalisation, and names that only an index or a synonym match. */
static void
test_layout_names (void)
{
  static const struct { const char *a, *b; gboolean same; } pairs[] = {
    { "T-shirt-top", "T-shirt/top", TRUE },
    { "golden_retriever", "Golden Retriever", TRUE },
    { "  Sandal ", "sandal", TRUE },
    { "Ankle boot", "Ankleboot", FALSE },
    { "Äpfel", "äpfel", TRUE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      g_autofree char *a = rel_dataset_normalize_name (pairs[i].a);
      g_autofree char *b = rel_dataset_normalize_name (pairs[i].b);
      g_assert_cmpint (strcmp (a, b) == 0, ==, pairs[i].same);
    }

  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("rel-layout-XXXXXX", &error);
  static const char *const imagenet[] = { "tench, Tinca tinca", "goldfish, Carassius auratus", NULL };
  touch (root, "TENCH/0.png");
  touch (root, "goldfish/1.png");
  g_autoptr(RelDatasetLayout) l = layout_of (root, imagenet, 2, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (l->class_level, ==, 1);
  g_assert_cmpint (l->n_classes, ==, 2);
  g_assert_cmpint (image_class_of (root, l, "TENCH/0.png"), ==, 0);
  g_assert_cmpint (rel_dataset_layout_find_class (l, "goldfish"), ==, 1);
  remove_tree (root);

  /* without labels, folders named by the output index are a known mapping */
  g_autofree char *root2 = g_dir_make_tmp ("rel-layout-XXXXXX", &error);
  touch (root2, "3/0.png");
  touch (root2, "12/1.png");
  g_autoptr(RelDatasetLayout) idx = layout_of (root2, NULL, 10, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (idx->n_classes, ==, 1);
  g_assert_cmpint (idx->class_labels[0], ==, 3);
  g_assert_cmpint (image_class_of (root2, idx, "12/1.png"), ==, -1);
  remove_tree (root2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dataset/layout", test_layout);
  g_test_add_func ("/dataset/layout-nested", test_layout_nested);
  g_test_add_func ("/dataset/layout-unmatched", test_layout_unmatched);
  g_test_add_func ("/dataset/layout-names", test_layout_names);
  g_test_add_func ("/dataset/not-a-folder", test_not_a_folder);
  g_test_add_func ("/dataset/extensions", test_extensions);
  g_test_add_func ("/dataset/large", test_large);
  return g_test_run ();
}
