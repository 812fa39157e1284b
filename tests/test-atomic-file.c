/* test-atomic-file.c — the core's writers on failing disks: every writer
 * (rel_file_set_contents, rel_npy_save, rel_onnx_export,
 * rel_image_save_png_rgb8) keeps the previous file byte for byte and leaves no
 * temporary when the disk is full (RLIMIT_FSIZE in a forked child, SIGXFSZ
 * ignored), the folder is missing or read-only, or the target is a symlink to
 * /dev/full; a successful write replaces the file a symlink points to and
 * keeps the link.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-atomic-file.h"
#include "rel-error.h"
#include "rel-image.h"
#include "rel-model.h"
#include "rel-npy.h"
#include "rel-onnx-export.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* far below every output here, so each write hits the limit */
#define FSIZE_LIMIT 2048

static char *tmpdir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static const char *
fixtures (void)
{
  const char *f = g_getenv ("RELEVANCE_FIXTURES");
  return f ? f : "tests/fixtures";
}

/* A fresh empty folder under the test's temporary folder. */
static char *
fresh_dir (const char *name)
{
  g_autofree char *sub = tmp_path (name);
  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  return g_steal_pointer (&sub);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The sorted names in @dir, joined by spaces (hidden ones included). */
static char *
listing (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *n;

  g_assert_nonnull (d);
  while ((n = g_dir_read_name (d)))
    g_ptr_array_add (names, g_strdup (n));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static GBytes *
read_bytes (const char *path)
{
  char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

/* ---- the writers under test: each writes a different content per @variant ---- */

typedef gboolean (*WriteFunc) (const char *path, int variant, GError **error);

static gboolean
write_contents (const char *path, int variant, GError **error)
{
  g_autofree char *text = g_strnfill (8192, variant ? 'b' : 'a');
  return rel_file_set_contents (path, text, 8192, error);
}

static gboolean
write_npy (const char *path, int variant, GError **error)
{
  int64_t shape[2] = { 64, 64 };
  g_autoptr(RelTensor) t = rel_tensor_new (REL_DTYPE_FLOAT32, 2, shape, error);
  if (t == NULL)
    return FALSE;
  float *d = rel_tensor_f32 (t);
  for (int64_t i = 0; i < t->numel; i++)
    d[i] = (float) (i * (variant + 1));
  return rel_npy_save (path, t, error);
}

static gboolean
write_onnx (const char *path, int variant, GError **error)
{
  g_autofree char *fixture = g_build_filename (fixtures (), "tiny-cnn", "model.onnx", NULL);
  g_autoptr(RelModel) model = rel_model_load (fixture, error);
  if (model == NULL)
    return FALSE;
  g_hash_table_replace (model->metadata, g_strdup ("test.variant"), g_strdup_printf ("%d", variant));
  return rel_onnx_export (model, path, error);
}

static gboolean
write_png (const char *path, int variant, GError **error)
{
  int w = 96, h = 64;
  g_autofree guint8 *rgb = g_new (guint8, w * h * 3);
  /* noise does not compress below the size limit */
  GRand *rand = g_rand_new_with_seed (7 + variant);
  for (int i = 0; i < w * h * 3; i++)
    rgb[i] = (guint8) g_rand_int_range (rand, 0, 256);
  g_rand_free (rand);
  return rel_image_save_png_rgb8 (rgb, w, h, w * 3, 3, path, error);
}

typedef struct {
  const char *name, *ext;
  WriteFunc   write;
} Writer;

static const Writer writers[] = {
  { "contents", "bin", write_contents },
  { "npy", "npy", write_npy },
  { "onnx", "onnx", write_onnx },
  { "png", "png", write_png },
};

/* ---- the cases ---- */

/* Writes @path in a forked child whose file size limit is FSIZE_LIMIT (SIGXFSZ
 * ignored, as after `trap '' XFSZ`), so this process keeps its own limits.
 * The child's exit status: 0 the write failed with a REL_ERROR_IO naming the
 * system's reason, 1 it succeeded, 2 another error. */
static int
write_limited (const Writer *w, const char *path)
{
  pid_t pid = fork ();
  int status = 0;

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      struct rlimit rl = { FSIZE_LIMIT, FSIZE_LIMIT };
      GError *error = NULL;
      signal (SIGXFSZ, SIG_IGN);
      if (setrlimit (RLIMIT_FSIZE, &rl) != 0)
        _exit (3);
      if (w->write (path, 1, &error))
        _exit (1);
      _exit (g_error_matches (error, REL_ERROR, REL_ERROR_IO) && strstr (error->message, g_strerror (EFBIG)) ? 0 : 2);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
test_full_disk (gconstpointer data)
{
  const Writer *w = data;
  g_autofree char *dir_name = g_strdup_printf ("full-%s", w->name);
  g_autofree char *dir = fresh_dir (dir_name);
  g_autofree char *name = g_strdup_printf ("out.%s", w->ext);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (w->write (path, 0, &error));
  g_assert_no_error (error);
  g_autoptr(GBytes) before = read_bytes (path);
  g_assert_cmpuint (g_bytes_get_size (before), >, FSIZE_LIMIT);
  g_autofree char *list_before = listing (dir);

  g_assert_cmpint (write_limited (w, path), ==, 0);
  g_autoptr(GBytes) after = read_bytes (path);
  g_assert_true (g_bytes_equal (before, after));
  g_autofree char *list_after = listing (dir);
  g_assert_cmpstr (list_after, ==, list_before);   /* no temporary left */

  /* without the limit the same write replaces the file */
  g_assert_true (w->write (path, 1, &error));
  g_assert_no_error (error);
  g_autoptr(GBytes) replaced = read_bytes (path);
  g_assert_false (g_bytes_equal (before, replaced));
  g_autofree char *list_end = listing (dir);
  g_assert_cmpstr (list_end, ==, list_before);
}

/* A symlink to /dev/full: a clean error, the link and the device untouched. */
static void
test_dev_full (gconstpointer data)
{
  const Writer *w = data;
  g_autofree char *dir_name = g_strdup_printf ("devfull-%s", w->name);
  g_autofree char *dir = fresh_dir (dir_name);
  g_autofree char *name = g_strdup_printf ("out.%s", w->ext);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  if (g_stat ("/dev/full", &st) != 0 || !S_ISCHR (st.st_mode))
    {
      g_test_skip ("no /dev/full");
      return;
    }
  g_assert_cmpint (symlink ("/dev/full", path), ==, 0);
  g_assert_false (w->write (path, 0, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/dev/full"));
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_autofree char *link = g_file_read_link (path, NULL);
  g_assert_cmpstr (link, ==, "/dev/full");
  g_assert_cmpint (g_stat ("/dev/full", &st), ==, 0);
  g_assert_true (S_ISCHR (st.st_mode));
  g_autofree char *list = listing (dir);
  g_assert_cmpstr (list, ==, name);
}

/* Folders that cannot take the file: missing, a regular file in the way,
 * read-only (not as root, whom the mode bits do not stop). */
static void
test_bad_folder (gconstpointer data)
{
  const Writer *w = data;
  g_autofree char *dir_name = g_strdup_printf ("folder-%s", w->name);
  g_autofree char *dir = fresh_dir (dir_name);
  g_autofree char *missing = g_build_filename (dir, "no-such-folder", "out", NULL);
  g_autofree char *blocker = g_build_filename (dir, "a-file", NULL);
  g_autofree char *under_file = g_build_filename (blocker, "out", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (w->write (missing, 0, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "does not exist"));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));
  g_assert_false (w->write (under_file, 0, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "is not a folder"));
  g_clear_error (&error);

  /* the target is a folder */
  g_assert_false (w->write (dir, 0, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_IO);
  g_clear_error (&error);
  g_autofree char *list = listing (dir);
  g_assert_cmpstr (list, ==, "a-file");

  if (geteuid () == 0)
    {
      g_test_message ("read-only folder case skipped: running as root, the mode bits do not stop writes");
      return;
    }
  g_autofree char *ro = g_build_filename (dir, "read-only", NULL);
  g_autofree char *name = g_strdup_printf ("out.%s", w->ext);
  g_autofree char *path = g_build_filename (ro, name, NULL);
  g_assert_cmpint (g_mkdir (ro, 0755), ==, 0);
  g_assert_true (w->write (path, 0, &error));
  g_autoptr(GBytes) before = read_bytes (path);
  g_assert_cmpint (g_chmod (ro, 0555), ==, 0);
  g_assert_false (w->write (path, 1, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, g_strerror (EACCES)));
  g_assert_cmpint (g_chmod (ro, 0755), ==, 0);
  g_autoptr(GBytes) after = read_bytes (path);
  g_assert_true (g_bytes_equal (before, after));
  g_autofree char *ro_list = listing (ro);
  g_assert_cmpstr (ro_list, ==, name);
}

/* A symlink (relative, to another folder) is followed: the file it points to
 * is replaced, the link stays a link; a dangling one creates its target. */
static void
test_symlink (gconstpointer data)
{
  const Writer *w = data;
  g_autofree char *dir_name = g_strdup_printf ("link-%s", w->name);
  g_autofree char *dir = fresh_dir (dir_name);
  g_autofree char *real_dir = g_build_filename (dir, "real", NULL);
  g_autofree char *real = g_build_filename (real_dir, "target", NULL);
  g_autofree char *link = g_build_filename (dir, "link", NULL);
  g_autofree char *dangling = g_build_filename (dir, "dangling", NULL);
  g_autofree char *dangling_target = g_build_filename (real_dir, "new", NULL);
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  g_assert_cmpint (g_mkdir (real_dir, 0755), ==, 0);
  g_assert_true (w->write (real, 0, &error));
  g_assert_cmpint (g_chmod (real, 0640), ==, 0);
  g_autoptr(GBytes) before = read_bytes (real);
  g_assert_cmpint (symlink ("real/target", link), ==, 0);
  g_assert_true (w->write (link, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_lstat (link, &st), ==, 0);
  g_assert_true (S_ISLNK (st.st_mode));
  g_autoptr(GBytes) after = read_bytes (real);
  g_assert_false (g_bytes_equal (before, after));
  /* the replacement keeps the old file's permissions */
  g_assert_cmpint (g_stat (real, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);

  g_assert_cmpint (symlink ("real/new", dangling), ==, 0);
  g_assert_true (w->write (dangling, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_lstat (dangling, &st), ==, 0);
  g_assert_true (S_ISLNK (st.st_mode));
  g_assert_true (g_file_test (dangling_target, G_FILE_TEST_IS_REGULAR));

  g_autofree char *list = listing (dir);
  g_assert_cmpstr (list, ==, "dangling link real");
  g_autofree char *real_list = listing (real_dir);
  g_assert_cmpstr (real_list, ==, "new target");
}

/* The streaming interface: an aborted file leaves the target as it was; a
 * failed write makes the commit fail too. */
static void
test_abort_and_sticky (void)
{
  g_autofree char *dir = fresh_dir ("abort");
  g_autofree char *path = g_build_filename (dir, "f", NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_assert_true (rel_file_set_contents (path, "old", 3, &error));
  RelAtomicFile *f = rel_atomic_file_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (rel_atomic_file_write (f, "new", 3, &error));
  rel_atomic_file_abort (f);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "old");
  g_free (text);
  g_autofree char *list = listing (dir);
  g_assert_cmpstr (list, ==, "f");

  /* the commit refuses after a failed write, even if later writes are tried */
  pid_t pid = fork ();
  int status = 0;
  if (pid == 0)
    {
      struct rlimit rl = { FSIZE_LIMIT, FSIZE_LIMIT };
      g_autofree char *big = g_strnfill (FSIZE_LIMIT * 2, 'x');
      GError *e = NULL;
      signal (SIGXFSZ, SIG_IGN);
      setrlimit (RLIMIT_FSIZE, &rl);
      RelAtomicFile *g = rel_atomic_file_open (path, NULL);
      gboolean w1 = rel_atomic_file_write (g, big, FSIZE_LIMIT * 2, NULL);
      gboolean w2 = rel_atomic_file_write (g, "y", 1, NULL);
      gboolean c = rel_atomic_file_commit (g, &e);
      _exit (!w1 && !w2 && !c && g_error_matches (e, REL_ERROR, REL_ERROR_IO) ? 0 : 1);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "old");
  g_free (text);
  g_autofree char *list2 = listing (dir);
  g_assert_cmpstr (list2, ==, "f");
}

/* The checks before long work: the same verdicts as a write, nothing left behind. */
static void
test_check_writable (void)
{
  g_autofree char *dir = fresh_dir ("check");
  g_autofree char *ok = g_build_filename (dir, "model.onnx", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing", "model.onnx", NULL);
  g_autofree char *blocker = g_build_filename (dir, "file", NULL);
  g_autofree char *under_file = g_build_filename (blocker, "model.onnx", NULL);
  g_autofree char *full = g_build_filename (dir, "full", NULL);
  g_autofree char *made = g_build_filename (dir, "made", "deeper", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (rel_file_check_writable (ok, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (ok, G_FILE_TEST_EXISTS));
  g_assert_false (rel_file_check_writable (missing, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_IO);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));
  g_assert_false (rel_file_check_writable (under_file, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_IO);
  g_clear_error (&error);
  g_assert_false (rel_file_check_writable (dir, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_IO);
  g_clear_error (&error);
  g_assert_cmpint (symlink ("/dev/full", full), ==, 0);
  g_assert_false (rel_file_check_writable (full, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_IO);
  g_clear_error (&error);

  g_assert_true (rel_folder_check_writable (dir, FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (rel_folder_check_writable (missing, FALSE, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_IO);
  g_clear_error (&error);
  g_assert_false (rel_folder_check_writable (blocker, TRUE, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_IO);
  g_clear_error (&error);
  g_assert_true (rel_folder_check_writable (made, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (made, G_FILE_TEST_IS_DIR));
  g_autofree char *made_list = listing (made);
  g_assert_cmpstr (made_list, ==, "");
  g_autofree char *list = listing (dir);
  g_assert_cmpstr (list, ==, "file full made");
}

static void
remove_tree (const char *path)
{
  GStatBuf st;
  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_chmod (path, 0755);
      GDir *d = g_dir_open (path, 0, NULL);
      const char *n;
      while (d && (n = g_dir_read_name (d)))
        {
          g_autofree char *child = g_build_filename (path, n, NULL);
          remove_tree (child);
        }
      if (d)
        g_dir_close (d);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("test-atomic-file-XXXXXX", &error);
  g_assert_no_error (error);

  for (gsize i = 0; i < G_N_ELEMENTS (writers); i++)
    {
      g_autofree char *full = g_strdup_printf ("/atomic-file/%s/full-disk", writers[i].name);
      g_autofree char *dev = g_strdup_printf ("/atomic-file/%s/dev-full", writers[i].name);
      g_autofree char *folder = g_strdup_printf ("/atomic-file/%s/bad-folder", writers[i].name);
      g_autofree char *link = g_strdup_printf ("/atomic-file/%s/symlink", writers[i].name);
      g_test_add_data_func (full, &writers[i], test_full_disk);
      g_test_add_data_func (dev, &writers[i], test_dev_full);
      g_test_add_data_func (folder, &writers[i], test_bad_folder);
      g_test_add_data_func (link, &writers[i], test_symlink);
    }
  g_test_add_func ("/atomic-file/abort-and-sticky", test_abort_and_sticky);
  g_test_add_func ("/atomic-file/check-writable", test_check_writable);
  status = g_test_run ();
  remove_tree (tmpdir);
  g_free (tmpdir);
  return status;
}
