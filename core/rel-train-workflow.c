/* rel-train-workflow.c — load, plant, train, export, evaluate, save images
 * (see rel-train-workflow.h).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-train-workflow.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "rel-error.h"
#include "rel-image.h"
#include "rel-onnx-export.h"

RelTrainRun *
rel_train_run_load (const char *dataset, const char *test_path, GError **error)
{
  g_autoptr (RelTrainRun) run = g_new0 (RelTrainRun, 1);
  g_autoptr (GError) local = NULL;

  run->flip_rate = NAN;
  if ((run->train = rel_sample_set_load (dataset, FALSE, error)) == NULL)
    return NULL;
  run->test = rel_sample_set_load (test_path ? test_path : dataset, TRUE, &local);
  if (run->test == NULL)
    {
      g_set_error (error, local->domain, local->code, "test set: %s", local->message);
      return NULL;
    }
  if (run->test->channels != run->train->channels || run->test->height != run->train->height
      || run->test->width != run->train->width || run->test->n_classes != run->train->n_classes)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "the test set's images or classes do not match the training set's");
      return NULL;
    }
  return g_steal_pointer (&run);
}

void
rel_train_run_free (RelTrainRun *run)
{
  if (run == NULL)
    return;
  g_clear_pointer (&run->train, rel_sample_set_free);
  g_clear_pointer (&run->test, rel_sample_set_free);
  g_clear_pointer (&run->model, rel_model_unref);
  g_free (run->flip_by_class);
  g_free (run);
}

void
rel_train_run_limit (RelTrainRun *run, int n_train, int n_test)
{
  if (n_train > 0 && n_train < run->train->n)
    run->train->n = n_train;
  if (n_test > 0 && n_test < run->test->n)
    run->test->n = n_test;
}

gboolean
rel_train_run_build (RelTrainRun *run, const char *arch, guint64 seed, GError **error)
{
  float mean[3], std[3];

  rel_sample_set_stats (run->train, mean, std);
  g_clear_pointer (&run->model, rel_model_unref);
  run->model = rel_train_build (arch ? arch : "tiny", run->train->channels, run->train->height, run->train->width,
                                (const char *const *) run->train->class_names, mean, std, seed, error);
  return run->model != NULL;
}

gboolean
rel_train_run_fit (RelTrainRun *run, const RelPlantSpec *plant, const RelTrainOptions *opt,
                   RelTrainProgressFunc progress, gpointer data, volatile gint *cancel, GError **error)
{
  gint64 start = g_get_monotonic_time ();

  g_return_val_if_fail (run->model != NULL, FALSE);
  run->have_plant = plant != NULL;
  if (plant)
    run->plant = *plant;
  if (!rel_train (run->model, run->train, plant, opt, progress, data, cancel, error))
    return FALSE;
  run->train_seconds = (g_get_monotonic_time () - start) / 1e6;
  return TRUE;
}

void
rel_train_run_describe (RelTrainRun *run, const char *command, const char *plant_text, const char *name)
{
  GHashTable *meta = run->model->metadata;

  if (name)
    g_hash_table_replace (meta, g_strdup ("name"), g_strdup (name));
  if (command)
    g_hash_table_replace (meta, g_strdup ("training.command"), g_strdup (command));
  if (!run->have_plant || run->plant.target_class < 0)
    return;
  g_hash_table_replace (meta, g_strdup ("clever_hans.class"),
                        g_strdup (run->train->class_names[run->plant.target_class]));
  g_hash_table_replace (meta, g_strdup ("clever_hans.plant"), g_strdup (plant_text));
  if (run->plant.position != REL_PLANT_RANDOM_CORNER)
    {
      RelBox b = rel_plant_box (&run->plant, 0, run->train->height, run->train->width);
      g_hash_table_replace (meta, g_strdup ("clever_hans.box"),
                            g_strdup_printf ("%d,%d,%d,%d", b.x, b.y, b.width, b.height));
    }
}

gboolean
rel_train_run_export (RelTrainRun *run, const char *path, GError **error)
{
  return rel_onnx_export (run->model, path, error);
}

/* Every test image with the artifact pasted (the test copy of the plant). */
static RelPlantSpec
paste_spec (const RelTrainRun *run)
{
  RelPlantSpec paste = run->plant;
  paste.target_class = -1;
  paste.rate = 1.0;
  return paste;
}

gboolean
rel_train_run_evaluate (RelTrainRun *run, int n_threads, GError **error)
{
  const RelSampleSet *test = run->test;

  run->clean_accuracy = rel_train_evaluate (run->model, test, NULL, NULL, n_threads, error);
  if (run->clean_accuracy < 0)
    return FALSE;
  if (!run->have_plant || run->plant.target_class < 0)
    return TRUE;

  int target = run->plant.target_class;
  RelPlantSpec paste = paste_spec (run);
  g_autofree int *pred = g_new (int, test->n);
  g_autofree int *n_class = g_new0 (int, test->n_classes);
  g_autofree int *flipped_class = g_new0 (int, test->n_classes);
  int others = 0, flipped = 0;

  if (rel_train_evaluate (run->model, test, &paste, pred, n_threads, error) < 0)
    return FALSE;
  for (int i = 0; i < test->n; i++)
    {
      n_class[test->labels[i]]++;
      flipped_class[test->labels[i]] += pred[i] == target;
      if (test->labels[i] != target)
        {
          others++;
          flipped += pred[i] == target;
        }
    }
  run->flip_rate = others ? (double) flipped / others : 0.0;
  g_free (run->flip_by_class);
  run->flip_by_class = g_new (double, test->n_classes);
  for (int c = 0; c < test->n_classes; c++)
    run->flip_by_class[c] = c != target && n_class[c] > 0 ? (double) flipped_class[c] / n_class[c] : NAN;
  return TRUE;
}

static gboolean
save_png (const float *pixels, int channels, int height, int width, const char *path, GError **error)
{
  int stride = width * 3;
  g_autofree guint8 *d = g_new (guint8, (gsize) stride * height);
  gsize plane = (gsize) height * width;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      for (int c = 0; c < 3; c++)
        {
          float v = pixels[(channels == 1 ? 0 : c) * plane + (gsize) y * width + x];
          d[y * stride + x * 3 + c] = (guint8) CLAMP (lrintf (v), 0, 255);
        }
  return rel_image_save_png_rgb8 (d, width, height, stride, 3, path, error);
}

gboolean
rel_train_run_save_images (RelTrainRun *run, const char *dir, int per_class, GError **error)
{
  const RelSampleSet *test = run->test;
  gsize per = (gsize) test->channels * test->height * test->width;
  g_autofree float *buf = g_new (float, per);
  g_autofree int *count = g_new0 (int, test->n_classes);
  RelPlantSpec paste = paste_spec (run);

  for (int i = 0; i < test->n; i++)
    {
      int c = test->labels[i];
      if (count[c] >= per_class)
        continue;
      count[c]++;
      g_autofree char *cname = g_strdup (test->class_names[c]);
      g_strdelimit (cname, "/\\", '-');
      g_autofree char *file = g_strdup_printf ("%05d.png", i);
      for (int tagged = 0; tagged < (run->have_plant ? 2 : 1); tagged++)
        {
          g_autofree char *sub = g_build_filename (dir, tagged ? "tagged" : "clean", cname, NULL);
          g_autofree char *path = g_build_filename (sub, file, NULL);
          memcpy (buf, rel_sample_set_image (test, i), per * sizeof (float));
          if (tagged)
            rel_plant_paint (&paste, i, buf, test->channels, test->height, test->width);
          if (g_mkdir_with_parents (sub, 0755) != 0)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_IO, "cannot create %s: %s", sub, g_strerror (errno));
              return FALSE;
            }
          if (!save_png (buf, test->channels, test->height, test->width, path, error))
            return FALSE;
        }
    }
  return TRUE;
}
