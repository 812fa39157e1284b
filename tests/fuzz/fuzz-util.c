/* fuzz-util.c — the fuzz targets' shared entry points (see fuzz-util.h).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz-util.h"
#include "rel-core.h"
#include "rel-error.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Process-wide by necessity: libFuzzer calls the target once per input and
 * the folder and the fixture models must outlive the calls. */
static char *tmpdir;
static GHashTable *models;
/* the last refusal's message, for the corpus runner's report */
static char *last_error;

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;
      while (dir && (name = g_dir_read_name (dir)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
cleanup (void)
{
  if (tmpdir)
    remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
  g_clear_pointer (&models, g_hash_table_unref);
  g_clear_pointer (&last_error, g_free);
}

const char *
rel_fuzz_tmpdir (void)
{
  if (tmpdir == NULL)
    {
      g_autoptr(GError) error = NULL;
      tmpdir = g_dir_make_tmp ("relevance-fuzz-XXXXXX", &error);
      if (tmpdir == NULL)
        rel_fuzz_fail (__FILE__, __LINE__, error->message);
      atexit (cleanup);
    }
  return tmpdir;
}

void
rel_fuzz_write_path (const char *path, const void *data, size_t size)
{
  /* stdio rather than g_file_set_contents: no fsync for a temporary written
   * hundreds of times a second (and GLib 2.74's non-atomic mode does not
   * truncate) */
  FILE *f = fopen (path, "wb");

  if (f == NULL || (size > 0 && fwrite (data, 1, size, f) != size) || fclose (f) != 0)
    rel_fuzz_fail (__FILE__, __LINE__, "cannot write a temporary file");
}

char *
rel_fuzz_write (const char *name, const void *data, size_t size)
{
  char *path = g_build_filename (rel_fuzz_tmpdir (), name, NULL);

  rel_fuzz_write_path (path, data, size);
  return path;
}

void
rel_fuzz_remove (const char *name)
{
  g_autofree char *path = g_build_filename (rel_fuzz_tmpdir (), name, NULL);
  remove_tree (path);
}

char *
rel_fuzz_fixture_path (const char *dir, const char *file)
{
  const char *root = g_getenv ("RELEVANCE_FIXTURES");
  return g_build_filename (root && *root ? root : REL_FUZZ_FIXTURES, dir, file, NULL);
}

RelModel *
rel_fuzz_fixture_model (const char *dir, const char *file)
{
  g_autofree char *path = rel_fuzz_fixture_path (dir, file);
  g_autoptr(GError) error = NULL;
  RelModel *model;

  if (models == NULL)
    {
      models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) rel_model_unref);
      rel_core_init (1);
    }
  model = g_hash_table_lookup (models, path);
  if (model)
    return model;
  model = rel_model_load (path, &error);
  if (model == NULL)
    rel_fuzz_fail (__FILE__, __LINE__, error->message);
  g_hash_table_insert (models, g_strdup (path), model);
  return model;
}

RelModel *
rel_fuzz_model (void)
{
  return rel_fuzz_fixture_model (REL_FUZZ_MODEL_DIR, REL_FUZZ_MODEL_FILE);
}

RelTensor *
rel_fuzz_model_input (void)
{
  const int64_t shape[4] = { 1, 3, 8, 8 };
  RelTensor *t = rel_tensor_new_f32 (4, shape, NULL);
  float *x = rel_tensor_f32 (t);

  /* a smooth pattern with both signs, so every class has some relevance */
  for (int64_t i = 0; i < t->numel; i++)
    x[i] = (float) sin (0.37 * (double) i) * 0.8f + 0.1f;
  return t;
}

void
rel_fuzz_fail (const char *file, int line, const char *what)
{
  fprintf (stderr, "%s:%d: fuzz invariant broken: %s\n", file, line, what);
  fflush (stderr);
  abort ();
}

void
rel_fuzz_check_outcome (gboolean ok, const GError *error)
{
  if (ok && error != NULL)
    rel_fuzz_fail (__FILE__, __LINE__, "a result and an error");
  if (!ok && error == NULL)
    rel_fuzz_fail (__FILE__, __LINE__, "no result and no error");
  if (error && error->domain != REL_ERROR)
    rel_fuzz_fail (__FILE__, __LINE__, "an error outside the REL_ERROR domain");
  if (error && (error->message == NULL || !g_utf8_validate (error->message, -1, NULL)))
    rel_fuzz_fail (__FILE__, __LINE__, "an error message that is not UTF-8");
  if (error)
    {
      g_free (last_error);
      last_error = g_strdup (error->message);
    }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  rel_fuzz_run (data, size);
  return 0;
}

#ifdef REL_FUZZ_STANDALONE

static void
collect (const char *path, GPtrArray *files)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;
      while (dir && (name = g_dir_read_name (dir)))
        if (name[0] != '.')
          {
            g_autofree char *child = g_build_filename (path, name, NULL);
            collect (child, files);
          }
    }
  else
    g_ptr_array_add (files, g_strdup (path));
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Runs the target over every file named (folders: every file in them) and
 * prints TAP, one result per file. */
int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  int failures = 0;

  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--tap") != 0)
      collect (argv[i], files);
  g_ptr_array_sort (files, compare_paths);
  if (files->len == 0)
    {
      fprintf (stderr, "usage: %s FILE|DIR…  (ok-* must be accepted, bad-* refused)\n", argv[0]);
      printf ("1..0\nBail out! no inputs\n");
      return 1;
    }
  printf ("1..%u\n", files->len);
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = files->pdata[i];
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;
      gsize len;
      gboolean ok, good = TRUE;
      const char *verdict;

      if (!g_file_get_contents (path, &contents, &len, &error))
        {
          printf ("not ok %u - %s: %s\n", i + 1, path, error->message);
          failures++;
          continue;
        }
      g_clear_pointer (&last_error, g_free);
      ok = rel_fuzz_run ((const uint8_t *) contents, len);
      verdict = ok ? "accepted" : "refused";
      if (g_str_has_prefix (base, "ok-") && !ok)
        good = FALSE, verdict = "refused, but must be accepted";
      else if (g_str_has_prefix (base, "bad-") && ok)
        good = FALSE, verdict = "accepted, but must be refused";
      if (last_error)
        {
          /* one line, and short: the message may quote the input */
          g_autofree char *why = g_utf8_substring (last_error, 0, MIN (g_utf8_strlen (last_error, -1), 160));
          g_strdelimit (why, "\n\r#", ' ');
          printf ("%s %u - %s: %s (%s)\n", good ? "ok" : "not ok", i + 1, path, verdict, why);
        }
      else
        printf ("%s %u - %s: %s\n", good ? "ok" : "not ok", i + 1, path, verdict);
      fflush (stdout);
      failures += !good;
    }
  return failures > 0;
}

#endif
