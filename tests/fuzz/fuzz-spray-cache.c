/* fuzz-spray-cache.c — fuzz target for SpRAy's heatmap cache entries
 * (core/rel-spray.c): the files rel_spray_heatmaps reads back from the cache
 * folder instead of explaining an image again.
 *
 * An entry is only read when its key (a SHA-256 of the model, the method and
 * the image's path and state) matches, which a fuzzer would never guess, so
 * the harness finds the entry's real key once and writes each input as that
 * entry with the key patched in at bytes 8–39 (a shorter input is written as
 * is). The heatmaps of two images (the same input to rel_fuzz_model's small
 * CNN under two names, one with the fuzzed entry) are computed in both orders, and of the fuzzed
 * image alone: whatever the entry holds, it is either read or recomputed,
 * never an error, consistently across the runs, and the result has
 * predictions among the model's 5 classes (and 8×8 maps unless the entry is
 * alone). Accepted means read beside the other image's entry.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz-util.h"
#include "rel-error.h"
#include "rel-npy.h"
#include "rel-spray.h"

#include <math.h>
#include <string.h>

#define KEY_OFFSET 8
#define KEY_LEN 32

/* Set up once: the images, the cache folder and the fuzzed entry's name and key. */
static char *image_a, *image_b, *cache_dir, *entry;
static guint8 key[KEY_LEN];
static RelParams *method;

static RelSprayHeatmaps *
heatmaps (const char *const *paths, int n, GError **error)
{
  g_autofree char *model_path = rel_fuzz_fixture_path (REL_FUZZ_MODEL_DIR, REL_FUZZ_MODEL_FILE);
  RelSprayHeatmapRequest req = {
    .model = rel_fuzz_model (),
    .model_path = model_path,
    .method_params = method,
    .target = { REL_TARGET_PREDICTED, 0, 0, FALSE },
    .cache_dir = cache_dir,
    .seed = 1,
  };
  return rel_spray_heatmaps (&req, paths, n, error);
}

/* The one entry in the cache folder: its path and (from its name) its key. */
static char *
only_entry (guint8 *digest)
{
  g_autoptr(GDir) dir = g_dir_open (cache_dir, 0, NULL);
  const char *name = dir ? g_dir_read_name (dir) : NULL;

  rel_fuzz_check (name != NULL && g_dir_read_name (dir) == NULL && strlen (name) == 2 * KEY_LEN,
                  "the cache folder does not hold exactly one entry");
  for (int i = 0; i < KEY_LEN; i++)
    digest[i] = (guint8) (g_ascii_xdigit_value (name[2 * i]) << 4 | g_ascii_xdigit_value (name[2 * i + 1]));
  return g_build_filename (cache_dir, name, NULL);
}

static void
setup (void)
{
  g_autoptr(RelTensor) input = rel_fuzz_model_input ();
  g_autoptr(GError) error = NULL;

  image_a = g_build_filename (rel_fuzz_tmpdir (), "a.npy", NULL);
  image_b = g_build_filename (rel_fuzz_tmpdir (), "b.npy", NULL);
  if (!rel_npy_save (image_a, input, &error) || !rel_npy_save (image_b, input, &error))
    rel_fuzz_fail (__FILE__, __LINE__, error->message);
  cache_dir = g_build_filename (rel_fuzz_tmpdir (), "cache", NULL);
  method = rel_params_new (rel_method_lookup ("gradient"));

  /* b's entry first, alone in the folder, then a's beside it */
  for (int i = 0; i < 2; i++)
    {
      const char *paths[] = { i == 0 ? image_b : image_a };
      g_autoptr(RelSprayHeatmaps) h = heatmaps (paths, 1, &error);
      if (h == NULL)
        rel_fuzz_fail (__FILE__, __LINE__, error->message);
      rel_fuzz_check (h->n_explained == 1, "the cache was not empty");
      if (i == 0)
        entry = only_entry (key);
    }
}

static void
write_entry (const uint8_t *data, size_t size)
{
  g_autofree guint8 *copy = g_memdup2 (data, size);

  if (size >= KEY_OFFSET + KEY_LEN)
    memcpy (copy + KEY_OFFSET, key, KEY_LEN);
  rel_fuzz_write_path (entry, copy, size);
}

/* A broken entry only costs time: it is recomputed, never an error. Returns
 * how many maps came from the cache. */
static int
run (const char *const *paths, int n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelSprayHeatmaps) h = heatmaps (paths, n, &error);

  rel_fuzz_check_outcome (h != NULL, error);
  if (h == NULL)
    rel_fuzz_fail (__FILE__, __LINE__, error->message);
  rel_fuzz_check (h->n == n && h->n_cached + h->n_explained == n, "images lost or counted twice");
  /* one image alone may have a forged map size (nothing contradicts it); with
   * the other image the maps must be the input's */
  rel_fuzz_check (h->height >= 1 && h->width >= 1 && (n == 1 || (h->height == 8 && h->width == 8)),
                  "heatmaps of another size than the input");
  rel_fuzz_check (h->n_outputs == 5, "a class count other than the model's");
  for (int i = 0; i < n; i++)
    {
      rel_fuzz_check (h->predicted[i] >= 0 && h->predicted[i] < h->n_outputs, "a prediction out of range");
      rel_fuzz_check (h->confidence[i] >= 0 && h->confidence[i] <= 1, "a confidence outside [0, 1]");
    }
  return h->n_cached;
}

gboolean
rel_fuzz_run (const uint8_t *data, size_t size)
{
  const char *ba[2], *ab[2];
  int hits[3];
  gboolean read;

  if (entry == NULL)
    setup ();
  ba[0] = ab[1] = image_b;
  ba[1] = ab[0] = image_a;
  write_entry (data, size);
  hits[0] = run (ba, 2);
  write_entry (data, size);
  hits[1] = run (ab, 2);
  write_entry (data, size);
  hits[2] = run (ba, 1);
  /* a's entry is always good. b's, read after a's, is read first too and
   * alone; refused there, it is refused first too, or read first and then
   * dropped when a's map contradicts it (a fresh start: no hits), and then it
   * is the one b alone reads */
  read = hits[1] == 2;
  rel_fuzz_check (read ? hits[0] == 2 && hits[2] == 1
                       : hits[1] == 1 && ((hits[0] == 1 && hits[2] == 0) || (hits[0] == 0 && hits[2] == 1)),
                  "an entry read in one run and refused in another");
  /* accepted: the entry was read beside another image instead of explaining b again */
  return read;
}
