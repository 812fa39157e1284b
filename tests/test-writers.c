/* test-writers.c — relevance-cli's outputs on failing disks and bad paths.
 *
 * For every file the CLI writes (explain's .npy and PNG, explain --dataset's
 * maps, train's .onnx and --save-images, spray's HDF5 analysis and attribution
 * files): a full disk (RLIMIT_FSIZE in the child, SIGXFSZ ignored as after
 * `trap '' XFSZ`), a symlink to /dev/full, a folder that does not exist or is
 * a regular file, and a read-only folder (skipped as root, whom mode bits do
 * not stop). Each must end in one stderr line "relevance-cli: …" and exit 1,
 * with no crash, the previous output byte-identical and no temporary left.
 * An unwritable output must be refused before the work starts (the
 * progress and summary lines of the work never appear). Standard output on
 * /dev/full is an error too.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *tmpdir;
static char *spray_data;   /* a two-class image folder */
static char *train_data;   /* an IDX folder */

static char *
fixture (const char *net, const char *file)
{
  const char *f = g_getenv ("RELEVANCE_FIXTURES");
  return g_build_filename (f ? f : "tests/fixtures", net, file, NULL);
}

typedef struct {
  char *out, *err;
  int   status;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
limit_file_size (gpointer data)
{
  struct rlimit rl = { GPOINTER_TO_UINT (data), GPOINTER_TO_UINT (data) };
  signal (SIGXFSZ, SIG_IGN);
  if (setrlimit (RLIMIT_FSIZE, &rl) != 0)
    _exit (99);
}

static void
stdout_to_dev_full (gpointer data)
{
  int fd = open ("/dev/full", O_WRONLY);
  if (fd < 0 || dup2 (fd, STDOUT_FILENO) < 0)
    _exit (99);
  close (fd);
}

static void run_cli_setup (Run *r, GSpawnChildSetupFunc setup, gpointer data, const char *const *args);

/* Runs relevance-cli with @args; with @fsize > 0 every file it writes is
 * limited to that many bytes. A crash fails the test. */
static void
run_cli (Run *r, guint fsize, const char *const *args)
{
  run_cli_setup (r, fsize ? limit_file_size : NULL, GUINT_TO_POINTER (fsize), args);
}

static void
run_cli_setup (Run *r, GSpawnChildSetupFunc setup, gpointer data, const char *const *args)
{
  const char *cli = g_getenv ("RELEVANCE_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (gpointer) cli);
  g_ptr_array_add (argv, (gpointer) "--threads");
  g_ptr_array_add (argv, (gpointer) "1");
  for (int i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  memset (r, 0, sizeof *r);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, setup, data,
                               &r->out, &r->err, &wait_status, &error));
  g_assert_no_error (error);
  if (!WIFEXITED (wait_status))
    g_error ("relevance-cli %s died with signal %d; stderr: %s", args[0], WTERMSIG (wait_status), r->err);
  r->status = WEXITSTATUS (wait_status);
}

/* Exit 1 and one error line "relevance-cli: …" mentioning @needle, the last
 * on stderr; with @only, no other line before it (the work never started). */
static void
assert_failed (const Run *r, gboolean only, const char *needle)
{
  if (r->status != 1)
    g_error ("exit status %d, expected 1; stderr: %s", r->status, r->err);
  g_auto(GStrv) lines = g_strsplit (r->err, "\n", -1);
  guint n = g_strv_length (lines);
  g_assert_cmpuint (n, >=, 2);
  g_assert_cmpstr (lines[n - 1], ==, "");   /* ends with a newline */
  const char *last = lines[n - 2];
  if (!g_str_has_prefix (last, "relevance-cli: "))
    g_error ("the last stderr line is not an error: '%s'", r->err);
  for (guint i = 0; i + 2 < n; i++)
    {
      if (g_str_has_prefix (lines[i], "relevance-cli: "))
        g_error ("more than one error line: '%s'", r->err);
      if (only)
        g_error ("output before the error (the work started): '%s'", r->err);
    }
  if (needle && strstr (last, needle) == NULL)
    g_error ("stderr '%s' does not mention '%s'", r->err, needle);
}

static void
assert_ok (const Run *r)
{
  if (r->status != 0)
    g_error ("exit status %d; stderr: %s", r->status, r->err);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Every path under @dir (relative, sorted, hidden ones included), with a
 * digest of each file's bytes: equal snapshots mean nothing was added,
 * removed or changed. */
static void
snapshot_into (const char *root, const char *rel, GPtrArray *out)
{
  g_autofree char *dir = rel ? g_build_filename (root, rel, NULL) : g_strdup (root);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *n;
  if (d == NULL)
    return;
  while ((n = g_dir_read_name (d)))
    {
      g_autofree char *sub = rel ? g_build_filename (rel, n, NULL) : g_strdup (n);
      g_autofree char *full = g_build_filename (root, sub, NULL);
      GStatBuf st;
      g_assert_cmpint (g_lstat (full, &st), ==, 0);
      if (S_ISDIR (st.st_mode))
        {
          g_ptr_array_add (out, g_strconcat (sub, "/", NULL));
          snapshot_into (root, sub, out);
        }
      else if (S_ISLNK (st.st_mode))
        {
          g_autofree char *to = g_file_read_link (full, NULL);
          g_ptr_array_add (out, g_strdup_printf ("%s -> %s", sub, to));
        }
      else
        {
          g_autofree char *data = NULL;
          gsize len = 0;
          g_assert_true (g_file_get_contents (full, &data, &len, NULL));
          g_autofree char *sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
          g_ptr_array_add (out, g_strdup_printf ("%s %" G_GSIZE_FORMAT " %s", sub, len, sum));
        }
    }
}

static char *
snapshot (const char *dir)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_free);
  snapshot_into (dir, NULL, entries);
  g_ptr_array_sort (entries, compare_names);
  g_ptr_array_add (entries, NULL);
  return g_strjoinv ("\n", (char **) entries->pdata);
}

static char *
fresh_dir (const char *name)
{
  g_autofree char *d = g_build_filename (tmpdir, name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (d, 0755), ==, 0);
  return g_steal_pointer (&d);
}

static gsize
file_size (const char *path)
{
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return (gsize) st.st_size;
}

static gboolean
have_dev_full (void)
{
  GStatBuf st;
  return g_stat ("/dev/full", &st) == 0 && S_ISCHR (st.st_mode);
}

/* ---- explain ---- */

/* explain -o FILE for .npy, .png and an overlay PNG: full disk, /dev/full,
 * bad folders, read-only folder. */
static void
test_explain (void)
{
  g_autofree char *model = fixture ("tiny-cnn", "model.onnx");
  g_autofree char *input = fixture ("tiny-cnn", "input.npy");
  const char *exts[] = { "npy", "png", "overlay.png" };

  for (gsize e = 0; e < G_N_ELEMENTS (exts); e++)
    {
      g_autofree char *dir_name = g_strdup_printf ("explain-%s", exts[e]);
      g_autofree char *dir = fresh_dir (dir_name);
      g_autofree char *name = g_strdup_printf ("out.%s", exts[e]);
      g_autofree char *out = g_build_filename (dir, name, NULL);
      const char *overlay = g_str_has_prefix (exts[e], "overlay") ? "--overlay" : NULL;
      g_auto(Run) r = { 0 };

      /* the previous output, from another method */
      {
        const char *args[] = { "explain", model, input, "--method", "gradient", "-o", out, overlay, NULL };
        run_cli (&r, 0, args);
        assert_ok (&r);
        run_clear (&r);
      }
      g_assert_cmpuint (file_size (out), >, 600);
      g_autofree char *before = snapshot (dir);
      {
        const char *args[] = { "explain", model, input, "--method", "lrp-epsilon", "-o", out, overlay, NULL };
        run_cli (&r, 512, args);
        assert_failed (&r, FALSE, g_strerror (EFBIG));
        run_clear (&r);
      }
      g_autofree char *after = snapshot (dir);
      g_assert_cmpstr (after, ==, before);

      /* a symlink to /dev/full: refused before the work, the link stays */
      if (have_dev_full ())
        {
          g_autofree char *full_name = g_strdup_printf ("full.%s", exts[e]);
          g_autofree char *full = g_build_filename (dir, full_name, NULL);
          g_assert_cmpint (symlink ("/dev/full", full), ==, 0);
          g_autofree char *snap = snapshot (dir);
          const char *args[] = { "explain", model, input, "--method", "gradient", "-o", full, overlay, NULL };
          run_cli (&r, 0, args);
          assert_failed (&r, TRUE, "/dev/full");
          run_clear (&r);
          g_autofree char *snap_after = snapshot (dir);
          g_assert_cmpstr (snap_after, ==, snap);
        }

      /* a folder that does not exist, a regular file as the folder */
      {
        g_autofree char *missing = g_build_filename (dir, "missing", name, NULL);
        g_autofree char *under_file = g_build_filename (out, name, NULL);
        g_autofree char *snap = snapshot (dir);
        const char *a1[] = { "explain", model, input, "--method", "gradient", "-o", missing, overlay, NULL };
        run_cli (&r, 0, a1);
        assert_failed (&r, TRUE, "does not exist");
        run_clear (&r);
        const char *a2[] = { "explain", model, input, "--method", "gradient", "-o", under_file, overlay, NULL };
        run_cli (&r, 0, a2);
        assert_failed (&r, TRUE, "is not a folder");
        run_clear (&r);
        g_autofree char *snap_after = snapshot (dir);
        g_assert_cmpstr (snap_after, ==, snap);
      }

      if (geteuid () == 0)
        g_test_message ("explain: read-only folder skipped as root (mode bits do not stop root)");
      else
        {
          g_autofree char *snap = snapshot (dir);
          g_assert_cmpint (g_chmod (dir, 0555), ==, 0);
          const char *args[] = { "explain", model, input, "--method", "lrp-epsilon", "-o", out, overlay, NULL };
          run_cli (&r, 0, args);
          g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
          assert_failed (&r, TRUE, g_strerror (EACCES));
          run_clear (&r);
          g_autofree char *snap_after = snapshot (dir);
          g_assert_cmpstr (snap_after, ==, snap);
        }
    }
}

/* explain --dataset: an unwritable --out-dir fails before the first
 * explanation; a full disk keeps the previous run's maps. */
static void
test_explain_dataset (void)
{
  g_autofree char *model = fixture ("tiny-cnn", "model.onnx");
  g_autofree char *dir = fresh_dir ("explain-dataset");
  g_autofree char *out_dir = g_build_filename (dir, "maps", NULL);
  g_autofree char *blocker = g_build_filename (dir, "a-file", NULL);
  g_autofree char *under_file = g_build_filename (blocker, "maps", NULL);
  g_auto(Run) r = { 0 };

  for (int f = 0; f < 2; f++)
    {
      const char *format = f ? "png" : "npy";
      const char *args[] = { "explain", model, "--dataset", spray_data, "--method", "gradient",
                             "--out-dir", out_dir, "--format", format, NULL };
      run_cli (&r, 0, args);
      assert_ok (&r);
      run_clear (&r);
      g_autofree char *before = snapshot (dir);
      const char *again[] = { "explain", model, "--dataset", spray_data, "--method", "lrp-epsilon",
                              "--out-dir", out_dir, "--format", format, NULL };
      run_cli (&r, 256, again);
      assert_failed (&r, FALSE, g_strerror (EFBIG));
      run_clear (&r);
      g_autofree char *after = snapshot (dir);
      g_assert_cmpstr (after, ==, before);
    }

  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));
  g_autofree char *before = snapshot (dir);
  const char *args[] = { "explain", model, "--dataset", spray_data, "--method", "gradient",
                         "--out-dir", under_file, NULL };
  run_cli (&r, 0, args);
  assert_failed (&r, TRUE, "a-file");
  run_clear (&r);
  g_autofree char *after = snapshot (dir);
  g_assert_cmpstr (after, ==, before);
}

/* ---- train ---- */

static void
write_idx (const char *dir, const char *prefix, int n, guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GByteArray) img = g_byte_array_new ();
  g_autoptr(GByteArray) lab = g_byte_array_new ();
  const guint8 ih[16] = { 0, 0, 8, 3, 0, 0, 0, (guint8) n, 0, 0, 0, 8, 0, 0, 0, 8 };
  const guint8 lh[8] = { 0, 0, 8, 1, 0, 0, 0, (guint8) n };

  g_byte_array_append (img, ih, sizeof ih);
  g_byte_array_append (lab, lh, sizeof lh);
  for (int i = 0; i < n; i++)
    {
      guint8 label = (guint8) (i % 3), px[64];
      for (int p = 0; p < 64; p++)
        px[p] = (guint8) ((p % 8 < 4) == (label == 0) ? 160 : 60) + (guint8) g_rand_int_range (rand, 0, 40);
      g_byte_array_append (img, px, 64);
      g_byte_array_append (lab, &label, 1);
    }
  g_autofree char *ip = g_strdup_printf ("%s/%s-images-idx3-ubyte", dir, prefix);
  g_autofree char *lp = g_strdup_printf ("%s/%s-labels-idx1-ubyte", dir, prefix);
  g_assert_true (g_file_set_contents (ip, (const char *) img->data, img->len, NULL));
  g_assert_true (g_file_set_contents (lp, (const char *) lab->data, lab->len, NULL));
}

/* train -o: an unwritable output or --save-images folder fails before the
 * training (no "training" line); a full disk keeps the previous model. */
static void
test_train (void)
{
  g_autofree char *dir = fresh_dir ("train");
  g_autofree char *out = g_build_filename (dir, "m.onnx", NULL);
  g_autofree char *images = g_build_filename (dir, "images", NULL);
  g_autofree char *blocker = g_build_filename (dir, "a-file", NULL);
  g_auto(Run) r = { 0 };

  {
    const char *args[] = { "train", "--dataset", train_data, "--epochs", "1", "--seed", "1", "--out", out,
                           "--save-images", images, "--images-per-class", "2", NULL };
    run_cli (&r, 0, args);
    assert_ok (&r);
    run_clear (&r);
  }
  g_autofree char *before = snapshot (dir);
  {
    /* another seed, other weights: only the full disk keeps the old ones */
    const char *args[] = { "train", "--dataset", train_data, "--epochs", "1", "--seed", "2", "--out", out, NULL };
    run_cli (&r, 1024, args);
    assert_failed (&r, FALSE, g_strerror (EFBIG));
    run_clear (&r);
  }
  g_autofree char *after = snapshot (dir);
  g_assert_cmpstr (after, ==, before);

  /* refused before training: missing folder, file as folder, /dev/full, a folder as target */
  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));
  g_autofree char *missing = g_build_filename (dir, "missing", "m.onnx", NULL);
  g_autofree char *under_file = g_build_filename (blocker, "m.onnx", NULL);
  g_autofree char *full = g_build_filename (dir, "full.onnx", NULL);
  g_assert_cmpint (symlink ("/dev/full", full), ==, 0);
  g_autofree char *snap = snapshot (dir);
  const char *bad_out[] = { missing, under_file, have_dev_full () ? full : missing, images };
  for (gsize i = 0; i < G_N_ELEMENTS (bad_out); i++)
    {
      const char *args[] = { "train", "--dataset", train_data, "--epochs", "1", "--out", bad_out[i], NULL };
      run_cli (&r, 0, args);
      assert_failed (&r, TRUE, NULL);
      g_assert_null (strstr (r.out, "train_seconds"));
      run_clear (&r);
    }
  {
    g_autofree char *bad_images = g_build_filename (blocker, "images", NULL);
    g_autofree char *ok_out = g_build_filename (dir, "m2.onnx", NULL);
    const char *args[] = { "train", "--dataset", train_data, "--epochs", "1", "--out", ok_out,
                           "--save-images", bad_images, NULL };
    run_cli (&r, 0, args);
    assert_failed (&r, TRUE, "a-file");
    g_assert_null (strstr (r.out, "train_seconds"));
    run_clear (&r);
  }
  g_autofree char *snap_after = snapshot (dir);
  g_assert_cmpstr (snap_after, ==, snap);

  /* a saved image that is a symlink to /dev/full: the run fails cleanly, the link stays */
  if (have_dev_full ())
    {
      g_autofree char *clean = g_build_filename (images, "clean", NULL);
      g_autoptr(GDir) d = g_dir_open (clean, 0, NULL);
      g_assert_nonnull (d);
      const char *cls = g_dir_read_name (d);
      g_assert_nonnull (cls);
      g_autofree char *cls_dir = g_build_filename (clean, cls, NULL);
      g_autoptr(GDir) d2 = g_dir_open (cls_dir, 0, NULL);
      const char *png = g_dir_read_name (d2);
      g_assert_nonnull (png);
      g_autofree char *victim = g_build_filename (cls_dir, png, NULL);
      g_assert_cmpint (g_unlink (victim), ==, 0);
      g_assert_cmpint (symlink ("/dev/full", victim), ==, 0);
      g_autofree char *out2 = g_build_filename (dir, "m3.onnx", NULL);
      const char *args[] = { "train", "--dataset", train_data, "--epochs", "1", "--out", out2,
                             "--save-images", images, "--images-per-class", "2", NULL };
      run_cli (&r, 0, args);
      assert_failed (&r, FALSE, "/dev/full");
      run_clear (&r);
      g_autofree char *link = g_file_read_link (victim, NULL);
      g_assert_cmpstr (link, ==, "/dev/full");
    }
}

/* ---- spray ---- */

static void
make_spray_data (const char *dir)
{
  const char *classes[] = { "alpha", "beta" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  for (int c = 0; c < 2; c++)
    {
      g_autofree char *sub = g_build_filename (dir, classes[c], NULL);
      g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
      for (int i = 0; i < 5; i++)
        {
          g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 28, 28);
          guint8 *px = gdk_pixbuf_get_pixels (pb);
          int stride = gdk_pixbuf_get_rowstride (pb);
          for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28 * 3; x++)
              px[y * stride + x] = (guint8) g_rand_int_range (rand, 0, 256);
          g_autofree char *name = g_strdup_printf ("%d.png", i);
          g_autofree char *path = g_build_filename (sub, name, NULL);
          g_autoptr(GError) error = NULL;
          g_assert_true (gdk_pixbuf_save (pb, path, "png", &error, NULL));
        }
    }
}

/* spray -o: a full disk while writing either file crashed (SIGSEGV) and
 * truncated the previous files; now both stay as they were, whichever write
 * fails (both are complete before either replaces anything). */
static void
test_spray (void)
{
  g_autofree char *model = fixture ("tiny-cnn", "model.onnx");
  g_autofree char *dir = fresh_dir ("spray");
  g_autofree char *out = g_build_filename (dir, "run.analysis.h5", NULL);
  g_autofree char *attr = g_build_filename (dir, "run.attribution.h5", NULL);
  g_auto(Run) r = { 0 };

  {
    const char *args[] = { "spray", model, spray_data, "--class-level", "1", "--cache-dir", "", "--no-tsne", "-o", out, NULL };
    run_cli (&r, 0, args);
    if (r.status == 1 && strstr (r.err, "HDF5 output is unavailable"))
      {
        g_test_skip ("relevance-cli was built without HDF5");
        return;
      }
    assert_ok (&r);
    run_clear (&r);
  }
  /* both are HDF5 files (built in memory, then written) */
  for (int f = 0; f < 2; f++)
    {
      g_autofree char *data = NULL;
      gsize len = 0;
      g_assert_true (g_file_get_contents (f ? attr : out, &data, &len, NULL));
      g_assert_cmpuint (len, >, 8);
      g_assert_cmpmem (data, 8, "\x89HDF\r\n\x1a\n", 8);
    }
  gsize sa = file_size (out), sb = file_size (attr);
  g_assert_cmpuint (sa, <, sb);
  g_autofree char *before = snapshot (dir);
  /* the analysis fails; the analysis fits and the attribution fails */
  guint limits[] = { 1024, (guint) ((sa + sb) / 2) };
  for (gsize l = 0; l < G_N_ELEMENTS (limits); l++)
    {
      const char *args[] = { "spray", model, spray_data, "--class-level", "1", "--cache-dir", "", "--no-tsne", "--k", "3",
                             "-o", out, NULL };
      run_cli (&r, limits[l], args);
      assert_failed (&r, FALSE, g_strerror (EFBIG));
      g_assert_nonnull (strstr (r.err, l == 0 ? "run.analysis.h5" : "run.attribution.h5"));
      run_clear (&r);
      g_autofree char *after = snapshot (dir);
      g_assert_cmpstr (after, ==, before);
    }

  /* refused before any explanation: /dev/full as either file, a missing folder */
  g_autofree char *full = g_build_filename (dir, "full.h5", NULL);
  g_assert_cmpint (symlink ("/dev/full", full), ==, 0);
  g_autofree char *missing = g_build_filename (dir, "missing", "a.h5", NULL);
  g_autofree char *snap = snapshot (dir);
  if (have_dev_full ())
    {
      const char *a1[] = { "spray", model, spray_data, "--class-level", "1", "--cache-dir", "", "-o", full, NULL };
      run_cli (&r, 0, a1);
      assert_failed (&r, TRUE, "/dev/full");
      run_clear (&r);
      const char *a2[] = { "spray", model, spray_data, "--class-level", "1", "--cache-dir", "", "-o", out, "--attribution", full, NULL };
      run_cli (&r, 0, a2);
      assert_failed (&r, TRUE, "/dev/full");
      run_clear (&r);
    }
  const char *a3[] = { "spray", model, spray_data, "--class-level", "1", "--cache-dir", "", "-o", missing, NULL };
  run_cli (&r, 0, a3);
  assert_failed (&r, TRUE, "does not exist");
  run_clear (&r);
  g_autofree char *snap_after = snapshot (dir);
  g_assert_cmpstr (snap_after, ==, snap);
}

/* Standard output on a full device: results that cannot be written are an
 * error (exit 1, one line), not a silent success. */
static void
test_stdout (void)
{
  g_autofree char *model = fixture ("tiny-cnn", "model.onnx");
  g_autofree char *input = fixture ("tiny-cnn", "input.npy");
  g_auto(Run) r = { 0 };

  if (!have_dev_full ())
    {
      g_test_skip ("no /dev/full");
      return;
    }
  const char *predict[] = { "predict", model, input, "--json", NULL };
  run_cli_setup (&r, stdout_to_dev_full, NULL, predict);
  assert_failed (&r, TRUE, "standard output");
  run_clear (&r);
  const char *methods[] = { "methods", NULL };
  run_cli_setup (&r, stdout_to_dev_full, NULL, methods);
  assert_failed (&r, TRUE, "No space left on device");
  run_clear (&r);
  /* and the same commands succeed on a pipe */
  run_cli (&r, 0, predict);
  assert_ok (&r);
  g_assert_true (g_str_has_prefix (r.out, "{"));
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
  tmpdir = g_dir_make_tmp ("test-writers-XXXXXX", &error);
  g_assert_no_error (error);
  spray_data = g_build_filename (tmpdir, "spray-data", NULL);
  make_spray_data (spray_data);
  train_data = g_build_filename (tmpdir, "train-data", NULL);
  g_assert_cmpint (g_mkdir (train_data, 0755), ==, 0);
  write_idx (train_data, "train", 60, 1);
  write_idx (train_data, "t10k", 30, 2);

  g_test_add_func ("/writers/explain", test_explain);
  g_test_add_func ("/writers/explain-dataset", test_explain_dataset);
  g_test_add_func ("/writers/train", test_train);
  g_test_add_func ("/writers/spray", test_spray);
  g_test_add_func ("/writers/stdout", test_stdout);
  status = g_test_run ();
  remove_tree (tmpdir);
  g_free (spray_data);
  g_free (train_data);
  g_free (tmpdir);
  return status;
}
