/* rel-idx.c — labelled image sets: IDX (MNIST layout), .npy stacks, image folders.
 *
 * IDX: a big-endian header, magic 0x0000TTDD (TT = 0x08 unsigned bytes, DD =
 * number of dimensions), DD u32 sizes, then the data. Only u8 images (3 dims)
 * and u8 labels (1 dim) are accepted. zlib's gzread reads gzip and plain files
 * alike; the payload size is computed from the validated header and read in
 * full, so a short or lying file is an error, never a partial set.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-idx.h"
#include "rel-dataset.h"
#include "rel-error.h"
#include "rel-file.h"
#include "rel-image.h"
#include "rel-npy.h"

#include <math.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

const char *const rel_fashion_mnist_classes[10] = {
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

void
rel_sample_set_free (RelSampleSet *set)
{
  if (set == NULL)
    return;
  g_free (set->pixels);
  g_free (set->labels);
  g_strfreev (set->class_names);
  g_free (set);
}

static gboolean
read_exact (gzFile f, void *buf, gsize len, const char *path, GError **error)
{
  guint8 *p = buf;
  while (len > 0)
    {
      unsigned chunk = len > (1u << 30) ? (1u << 30) : (unsigned) len;
      int got = gzread (f, p, chunk);
      if (got <= 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: the file is truncated or corrupt", path);
          return FALSE;
        }
      p += got;
      len -= (gsize) got;
    }
  return TRUE;
}

/* Reads @len bytes into a buffer that grows with what actually arrives: a
 * header may declare 100,000 images over 20 images' bytes, and allocating
 * (and, under MALLOC_PERTURB_, touching) the declared size first made such a
 * file cost seconds before it was refused. NULL with @error set if the data
 * ends early or memory runs out. */
static guint8 *
read_grown (gzFile f, gsize len, const char *path, GError **error)
{
  gsize cap = MIN (len, (gsize) 1 << 20), done = 0;
  g_autofree guint8 *buf = g_try_malloc (MAX (cap, 1));

  while (buf != NULL && done < len)
    {
      if (done == cap)
        {
          guint8 *grown;
          cap = len - cap < cap ? len : 2 * cap;
          grown = g_try_realloc (buf, cap);
          if (grown == NULL)
            break;
          buf = grown;
        }
      if (!read_exact (f, buf + done, cap - done, path, error))
        return NULL;
      done = cap;
    }
  if (buf == NULL || done < len)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "%s: out of memory", path);
      return NULL;
    }
  return g_steal_pointer (&buf);
}

/* Opens an IDX file and reads its header; dims[] gets @want_dims sizes. */
static gzFile
idx_open (const char *path, int want_dims, guint32 *dims, GError **error)
{
  guint8 head[4], sz[4];
  gzFile f;
  /* gzip can expand a small file a thousandfold: the sizes the header
   * declares are checked against the limits before anything is read */
  int fd = rel_file_open (path, "IDX file", G_MAXINT64, NULL, error);

  if (fd < 0)
    return NULL;
  f = gzdopen (fd, "rb");
  if (f == NULL)
    {
      close (fd);
      g_set_error (error, REL_ERROR, REL_ERROR_IO, "%s: cannot open", path);
      return NULL;
    }
  if (!read_exact (f, head, 4, path, error))
    goto fail;
  if (head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] != want_dims)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "%s: not an IDX file of unsigned bytes with %d dimensions (magic %02x%02x%02x%02x)",
                   path, want_dims, head[0], head[1], head[2], head[3]);
      goto fail;
    }
  for (int d = 0; d < want_dims; d++)
    {
      if (!read_exact (f, sz, 4, path, error))
        goto fail;
      dims[d] = (guint32) sz[0] << 24 | (guint32) sz[1] << 16 | (guint32) sz[2] << 8 | sz[3];
    }
  return f;

fail:
  gzclose (f);
  return NULL;
}

static char **
default_class_names (int n_classes)
{
  char **names = g_new0 (char *, n_classes + 1);
  for (int c = 0; c < n_classes; c++)
    names[c] = n_classes == 10 ? g_strdup (rel_fashion_mnist_classes[c]) : g_strdup_printf ("%d", c);
  return names;
}

/* Checks the labels and fills n_classes/class_names (from @names if given). */
static gboolean
finish_labels (RelSampleSet *set, const char *const *names, const char *what, GError **error)
{
  int max = -1;
  for (int i = 0; i < set->n; i++)
    {
      if (set->labels[i] < 0 || set->labels[i] >= REL_SAMPLE_SET_MAX_CLASSES)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: label %d of sample %d is out of range",
                       what, set->labels[i], i);
          return FALSE;
        }
      max = MAX (max, set->labels[i]);
    }
  if (names)
    {
      int n = (int) g_strv_length ((char **) names);
      if (n <= max)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "%s: %d class names for labels up to %d", what, n, max);
          return FALSE;
        }
      set->n_classes = n;
      set->class_names = g_strdupv ((char **) names);
    }
  else
    {
      /* Fashion-MNIST's names when the labels are 0–9, even if a small test set lacks class 9 */
      set->n_classes = max < 10 ? 10 : max + 1;
      set->class_names = default_class_names (set->n_classes);
    }
  return TRUE;
}

static gboolean
check_values (int64_t n, int64_t per_sample, const char *what, GError **error)
{
  if (n <= 0 || per_sample <= 0 || n > G_MAXINT || per_sample > REL_SAMPLE_SET_MAX_VALUES
      || n > REL_SAMPLE_SET_MAX_VALUES / per_sample)
    {
      g_set_error (error, REL_ERROR, n <= 0 || per_sample <= 0 ? REL_ERROR_PARSE : REL_ERROR_TOO_LARGE,
                   "%s: %" G_GINT64_FORMAT " samples of %" G_GINT64_FORMAT " values is empty or too large",
                   what, n, per_sample);
      return FALSE;
    }
  return TRUE;
}

RelSampleSet *
rel_sample_set_load_idx (const char *images, const char *labels, GError **error)
{
  g_autoptr(RelSampleSet) set = g_new0 (RelSampleSet, 1);
  g_autofree guint8 *buf = NULL;
  guint32 idim[3], ldim[1];
  gzFile f;
  int64_t per;

  if ((f = idx_open (images, 3, idim, error)) == NULL)
    return NULL;
  /* the sides before their product, which two u32 sides would overflow */
  if (idim[1] > 65535 || idim[2] > 65535)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "%s: images of %u×%u are too large",
                   images, idim[1], idim[2]);
      gzclose (f);
      return NULL;
    }
  per = (int64_t) idim[1] * idim[2];
  if (!check_values (idim[0], per, images, error))
    {
      gzclose (f);
      return NULL;
    }
  set->n = (int) idim[0];
  set->channels = 1;
  set->height = (int) idim[1];
  set->width = (int) idim[2];
  buf = read_grown (f, (gsize) (set->n * per), images, error);
  gzclose (f);
  if (buf == NULL)
    return NULL;
  set->pixels = g_try_new (float, (gsize) (set->n * per));
  if (set->pixels == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "%s: out of memory", images);
      return NULL;
    }
  for (int64_t i = 0; i < set->n * per; i++)
    set->pixels[i] = buf[i];

  if ((f = idx_open (labels, 1, ldim, error)) == NULL)
    return NULL;
  if (ldim[0] != idim[0])
    {
      gzclose (f);
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s has %u labels for %u images", labels, ldim[0], idim[0]);
      return NULL;
    }
  if (!read_exact (f, buf, (gsize) set->n, labels, error))
    {
      gzclose (f);
      return NULL;
    }
  gzclose (f);
  set->labels = g_new (int, set->n);
  for (int i = 0; i < set->n; i++)
    set->labels[i] = buf[i];
  if (!finish_labels (set, NULL, labels, error))
    return NULL;
  return g_steal_pointer (&set);
}

RelSampleSet *
rel_sample_set_load_npy (const char *images, const char *labels,
                         const char *const *class_names, GError **error)
{
  g_autoptr(RelSampleSet) set = g_new0 (RelSampleSet, 1);
  g_autoptr(RelTensor) x = rel_npy_load (images, error);
  g_autoptr(RelTensor) y = NULL;
  const float *yd;

  if (x == NULL || (y = rel_npy_load (labels, error)) == NULL)
    return NULL;
  if (x->ndim == 3)
    set->channels = 1, set->height = (int) x->shape[1], set->width = (int) x->shape[2];
  else if (x->ndim == 4)
    set->channels = (int) x->shape[1], set->height = (int) x->shape[2], set->width = (int) x->shape[3];
  else
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s: an image stack must be N×H×W or N×C×H×W", images);
      return NULL;
    }
  if (x->shape[0] < 1 || (set->channels != 1 && set->channels != 3) || set->height < 1 || set->width < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s: empty stack or not 1 or 3 channels", images);
      return NULL;
    }
  if (y->numel != x->shape[0])
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s has %" G_GINT64_FORMAT " labels for %" G_GINT64_FORMAT " images",
                   labels, y->numel, x->shape[0]);
      return NULL;
    }
  set->n = (int) x->shape[0];
  set->labels = g_new (int, set->n);
  yd = rel_tensor_f32 (y);
  for (int i = 0; i < set->n; i++)
    {
      if (!isfinite (yd[i]) || yd[i] != floorf (yd[i]) || yd[i] < 0 || yd[i] >= REL_SAMPLE_SET_MAX_CLASSES)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: label %d is not a class index", labels, i);
          return NULL;
        }
      set->labels[i] = (int) yd[i];
    }
  {
    g_autofree char *what = g_strdup_printf ("the image stack %s", images);
    if (!rel_tensor_check_finite (x, what, error))
      return NULL;
  }
  set->pixels = g_memdup2 (x->data, sizeof (float) * (gsize) x->numel);
  if (!finish_labels (set, class_names, labels, error))
    return NULL;
  return g_steal_pointer (&set);
}

static RelSampleSet *
load_folder (const char *root, GError **error)
{
  g_autoptr(RelDataset) ds = rel_dataset_scan (root, NULL, NULL, NULL, error);
  g_autoptr(RelSampleSet) set = NULL;
  RelPreprocess pp = { 0 };
  int64_t per = 0;
  int n = 0;

  if (ds == NULL)
    return NULL;
  if (ds->n_classes == 0 || ds->paths->len == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "%s: no class subfolders with images", root);
      return NULL;
    }
  set = g_new0 (RelSampleSet, 1);
  set->labels = g_new (int, ds->paths->len);
  for (guint i = 0; i < ds->paths->len; i++)
    {
      const char *path = g_ptr_array_index (ds->paths, i);
      int label = g_array_index (ds->labels, int, i);
      g_autoptr(RelImage) img = NULL;
      g_autoptr(RelTensor) t = NULL;

      if (label < 0)
        continue;
      {
        g_autoptr(GError) local = NULL;
        if ((img = rel_image_load (path, &local)) == NULL)
          {
            if (g_error_matches (local, REL_ERROR, REL_ERROR_TOO_LARGE))
              {
                set->n_skipped++;
                continue;
              }
            g_propagate_error (error, g_steal_pointer (&local));
            return NULL;
          }
      }
      if (set->pixels == NULL)
        {
          /* the first image fixes the size; grey, pixel units */
          pp.channels = 1;
          pp.height = img->height;
          pp.width = img->width;
          pp.scale = 1.f;
          pp.std[0] = 1.f;
          per = (int64_t) img->height * img->width;
          if (!check_values (ds->paths->len, per, root, error))
            return NULL;
          set->channels = 1;
          set->height = img->height;
          set->width = img->width;
          set->pixels = g_try_new (float, (gsize) (per * ds->paths->len));
          if (set->pixels == NULL)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "%s: out of memory", root);
              return NULL;
            }
        }
      if ((t = rel_image_to_tensor (img, &pp, error)) == NULL)
        return NULL;
      memcpy (set->pixels + n * per, t->data, sizeof (float) * (gsize) per);
      set->labels[n++] = label;
    }
  set->n = n;
  if (n == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "%s: every image is over the size limit", root);
      return NULL;
    }
  if (!finish_labels (set, (const char *const *) ds->class_names, root, error))
    return NULL;
  return g_steal_pointer (&set);
}

static char *
existing (const char *dir, const char *base)
{
  g_autofree char *plain = g_build_filename (dir, base, NULL);
  g_autofree char *gz = g_strconcat (plain, ".gz", NULL);
  if (g_file_test (plain, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&plain);
  if (g_file_test (gz, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&gz);
  return NULL;
}

RelSampleSet *
rel_sample_set_load (const char *path, gboolean test, GError **error)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      const char *prefix = test ? "t10k" : "train";
      g_autofree char *ib = g_strdup_printf ("%s-images-idx3-ubyte", prefix);
      g_autofree char *lb = g_strdup_printf ("%s-labels-idx1-ubyte", prefix);
      g_autofree char *images = existing (path, ib);
      g_autofree char *labels = existing (path, lb);
      g_autofree char *sub = g_build_filename (path, test ? "test" : "train", NULL);
      g_autofree char *other = g_build_filename (path, test ? "train" : "test", NULL);

      if (images && labels)
        return rel_sample_set_load_idx (images, labels, error);
      if (g_file_test (sub, G_FILE_TEST_IS_DIR) && g_file_test (other, G_FILE_TEST_IS_DIR))
        return load_folder (sub, error);
      return load_folder (path, error);
    }
  if (g_str_has_suffix (path, ".npy"))
    {
      g_autofree char *stem = g_strndup (path, strlen (path) - 4);
      g_autofree char *dir = g_path_get_dirname (path);
      g_autofree char *l1 = g_strconcat (stem, "-labels.npy", NULL);
      g_autofree char *l2 = g_build_filename (dir, "labels.npy", NULL);
      const char *labels = g_file_test (l1, G_FILE_TEST_IS_REGULAR) ? l1 : l2;
      return rel_sample_set_load_npy (path, labels, NULL, error);
    }
  {
    g_autofree char *base = g_path_get_basename (path);
    const char *at = strstr (base, "images-idx3");
    g_autofree char *dir = g_path_get_dirname (path);
    g_autofree char *lbase = NULL, *labels = NULL;

    if (at == NULL)
      {
        g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                     "%s: not a dataset (an IDX folder or images file, a .npy stack or an image folder)", path);
        return NULL;
      }
    lbase = g_strdup (base);
    memcpy (lbase + (at - base), "labels-idx1", strlen ("labels-idx1"));
    labels = g_build_filename (dir, lbase, NULL);
    return rel_sample_set_load_idx (path, labels, error);
  }
}

RelSampleSet *
rel_sample_set_subset (const RelSampleSet *set, const int *indices, int n, GError **error)
{
  g_autoptr(RelSampleSet) out = g_new0 (RelSampleSet, 1);
  gsize per = (gsize) set->channels * set->height * set->width;

  *out = *set;
  out->n = n;
  out->pixels = g_try_new (float, per * (gsize) MAX (n, 1));
  out->labels = g_new (int, MAX (n, 1));
  out->class_names = g_strdupv (set->class_names);
  if (out->pixels == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory");
      return NULL;
    }
  for (int i = 0; i < n; i++)
    {
      if (indices[i] < 0 || indices[i] >= set->n)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "sample index %d out of range", indices[i]);
          return NULL;
        }
      memcpy (out->pixels + per * i, rel_sample_set_image (set, indices[i]), per * sizeof (float));
      out->labels[i] = set->labels[indices[i]];
    }
  return g_steal_pointer (&out);
}

RelSampleSet *
rel_sample_set_copy (const RelSampleSet *set, GError **error)
{
  g_autofree int *all = g_new (int, MAX (set->n, 1));
  for (int i = 0; i < set->n; i++)
    all[i] = i;
  return rel_sample_set_subset (set, all, set->n, error);
}

int
rel_sample_set_find_class (const RelSampleSet *set, const char *name)
{
  guint64 v;
  for (int c = 0; c < set->n_classes; c++)
    if (g_ascii_strcasecmp (set->class_names[c], name) == 0)
      return c;
  if (g_ascii_string_to_unsigned (name, 10, 0, (guint64) set->n_classes - 1, &v, NULL))
    return (int) v;
  return -1;
}
