/* rel-idx.h — labelled image sets for training: IDX files (the MNIST and
 * Fashion-MNIST layout, gzip or plain), .npy stacks and image folders.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "rel-tensor.h"

G_BEGIN_DECLS

/* Refuse sets larger than this many pixel values before allocating (1 GiB of
 * float32); Fashion-MNIST's training set is 4.7×10^7. */
#define REL_SAMPLE_SET_MAX_VALUES (G_GINT64_CONSTANT (1) << 28)
#define REL_SAMPLE_SET_MAX_CLASSES 1000

/* Images in pixel units (0–255 for 8-bit sources; never normalised here, so
 * planting can paint exact 8-bit colours and a saved PNG reproduces them),
 * N×C×H×W, with a class index per image. */
typedef struct {
  int      n, channels, height, width;
  float   *pixels;         /* n·C·H·W values */
  int     *labels;         /* n class indices in [0, n_classes) */
  int      n_classes;
  int      n_skipped;      /* image folders: files over the image size limit, left out */
  char   **class_names;    /* NULL-terminated, n_classes names */
} RelSampleSet;

/* The ten Fashion-MNIST class names in label order. */
extern const char *const rel_fashion_mnist_classes[10];

/* Reads an IDX pair: @images (magic 0x00000803, u8, N×H×W) and @labels (magic
 * 0x00000801, u8, N). Either may be gzip-compressed (detected by content).
 * Headers, dimensions and sizes are checked before anything is allocated. With
 * 10 classes the Fashion-MNIST names are used, else "0", "1", …. */
RelSampleSet *rel_sample_set_load_idx (const char *images, const char *labels, GError **error);

/* Reads a .npy stack (N×C×H×W or N×H×W, float32/float64 pixel values) and a
 * .npy of N labels (integral float values). @class_names may be NULL. */
RelSampleSet *rel_sample_set_load_npy (const char *images, const char *labels,
                                       const char *const *class_names, GError **error);

/* @path is one of:
 *   - a folder holding the four MNIST files (train-images-idx3-ubyte[.gz],
 *     train-labels-idx1-ubyte[.gz], t10k-…): @test picks the t10k pair;
 *   - an IDX images file (its labels file is found by replacing
 *     "images-idx3" with "labels-idx1" in the name);
 *   - a .npy images file with "<name>-labels.npy" or "labels.npy" beside it;
 *   - an image folder with one subfolder per class (rel-dataset.h); every
 *     image is converted to grey (BT.601 luma) at the first image's size;
 *     an image over the size limit (rel-image.h) is left out and counted in
 *     n_skipped, as a decompression bomb in a folder must not stop the rest. For
 *     such a folder, @test selects its "test" subfolder when there is one
 *     alongside "train". */
RelSampleSet *rel_sample_set_load     (const char *path, gboolean test, GError **error);

/* A new set with the images at @indices (n of them), sharing nothing. */
RelSampleSet *rel_sample_set_subset   (const RelSampleSet *set, const int *indices, int n, GError **error);
RelSampleSet *rel_sample_set_copy     (const RelSampleSet *set, GError **error);
/* The index of the class named @name (case-insensitive) or given as a number; -1. */
int           rel_sample_set_find_class (const RelSampleSet *set, const char *name);
static inline float *
rel_sample_set_image (const RelSampleSet *set, int i)
{
  return set->pixels + (gsize) i * set->channels * set->height * set->width;
}
void          rel_sample_set_free     (RelSampleSet *set);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelSampleSet, rel_sample_set_free)

G_END_DECLS
