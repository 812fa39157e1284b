/* fuzz-idx.c — fuzz target for IDX datasets, plain and gzip (core/rel-idx.c).
 *
 * The reader takes an images file and a labels file by name, so one input
 * holds both, behind a 3-byte prefix:
 *   byte 0     bit 0: gzip the images part, bit 1: gzip the labels part
 *              (the harness compresses, so mutations act on the IDX bytes and
 *              still reach the gzip path; a seed can also hold gzip bytes)
 *   bytes 1–2  the images part's length, big-endian (clamped to what is there)
 *   then       the images part, then the labels part.
 * An accepted set must be consistent: labels in range, pixels in [0, 255],
 * as many images as the headers say.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz-util.h"
#include "rel-error.h"
#include "rel-idx.h"

#include <zlib.h>

static char *
write_part (const char *name, const uint8_t *data, size_t size, gboolean compress)
{
  char *path;
  gzFile f;

  if (!compress)
    return rel_fuzz_write (name, data, size);
  path = g_build_filename (rel_fuzz_tmpdir (), name, NULL);
  f = gzopen (path, "wb");
  rel_fuzz_check (f != NULL, "cannot write a temporary gzip file");
  rel_fuzz_check (size == 0 || gzwrite (f, data, (unsigned) size) == (int) size, "cannot compress");
  rel_fuzz_check (gzclose (f) == Z_OK, "cannot close a temporary gzip file");
  return path;
}

gboolean
rel_fuzz_run (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelSampleSet) set = NULL;
  g_autofree char *images = NULL;
  g_autofree char *labels = NULL;
  size_t split;
  guint8 flags;

  if (size < 3)
    return FALSE;
  flags = data[0];
  split = MIN ((size_t) (data[1] << 8 | data[2]), size - 3);
  images = write_part ("images-idx3-ubyte", data + 3, split, flags & 1);
  labels = write_part ("labels-idx1-ubyte", data + 3 + split, size - 3 - split, flags & 2);
  set = rel_sample_set_load_idx (images, labels, &error);
  rel_fuzz_remove ("images-idx3-ubyte");
  rel_fuzz_remove ("labels-idx1-ubyte");

  rel_fuzz_check_outcome (set != NULL, error);
  if (set == NULL)
    return FALSE;
  rel_fuzz_check (set->n >= 1 && set->channels == 1 && set->height >= 1 && set->width >= 1,
                  "an empty or malformed set");
  rel_fuzz_check ((gint64) set->n * set->height * set->width <= REL_SAMPLE_SET_MAX_VALUES,
                  "a set over the size limit");
  rel_fuzz_check (set->n_classes >= 1 && set->n_classes <= REL_SAMPLE_SET_MAX_CLASSES
                  && set->class_names != NULL
                  && g_strv_length (set->class_names) == (guint) set->n_classes,
                  "class names do not match the class count");
  for (int i = 0; i < set->n; i++)
    rel_fuzz_check (set->labels[i] >= 0 && set->labels[i] < set->n_classes, "a label out of range");
  for (gsize i = 0; i < (gsize) set->n * set->height * set->width; i++)
    rel_fuzz_check (set->pixels[i] >= 0 && set->pixels[i] <= 255, "a pixel outside [0, 255]");
  return TRUE;
}
