/* test-clarc-square.c — the inspector and P-ClArC on a second artifact,
 * trained here: not the demo's tag, class or corner.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fixture-util.h"
#include "rel-clarc.h"
#include "rel-error.h"
#include "rel-npy.h"
#include "rel-plant.h"
#include "rel-train.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* Another artifact, class and place than the demo's: a white 4×4 square in
 * the top-left corner of 90 % of the Bags, learnt by a tiny CNN trained here
 * on 3,000 Fashion-MNIST images. The inspector finds the shortcut by
 * transplant and P-ClArC removes it on held-out test images (.npy inputs). */
#define FASHION "/usr/share/datasets/fashion-mnist"

static void
test_second_artifact (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelSampleSet) train_full = NULL, train = NULL, test_full = NULL, test = NULL;
  g_autoptr(RelModel) model = NULL;
  g_autoptr(RelClarcResult) res = NULL;
  g_autoptr(RelInspectResult) tr = NULL;
  g_autoptr(RelRegion) region = NULL;
  g_autoptr(RelTensor) source = NULL;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = NULL;
  g_autofree guint8 *mask = g_new0 (guint8, 28 * 28);
  g_autofree int *labels = NULL;
  RelPlantSpec plant;
  RelTrainOptions opt;
  RelClarcRequest req;
  RelInspectRequest ir = { 0 };
  RelBox box;
  int idx[3000], bag, n_test = 300;

  if (!g_file_test (FASHION "/train-images-idx3-ubyte.gz", G_FILE_TEST_EXISTS))
    {
      fixture_missing ("Fashion-MNIST (%s) is not installed", FASHION);
      return;
    }
  train_full = rel_sample_set_load (FASHION, FALSE, &error);
  g_assert_no_error (error);
  test_full = rel_sample_set_load (FASHION, TRUE, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 3000; i++)
    idx[i] = i;
  train = rel_sample_set_subset (train_full, idx, 3000, &error);
  test = rel_sample_set_subset (test_full, idx, n_test, &error);
  g_assert_no_error (error);
  g_clear_pointer (&train_full, rel_sample_set_free);
  g_clear_pointer (&test_full, rel_sample_set_free);
  bag = rel_sample_set_find_class (train, "Bag");
  g_assert_cmpint (bag, ==, 8);

  rel_plant_spec_init (&plant);
  g_assert_true (rel_plant_spec_parse (&plant, "kind=square,class=Bag,rate=0.9,position=top-left,size=4", train, &error));
  {
    float mean[1], std[1];
    rel_sample_set_stats (train, mean, std);
    model = rel_train_build ("tiny", 1, 28, 28, (const char *const *) train->class_names, mean, std, 3, &error);
    g_assert_no_error (error);
  }
  rel_train_options_init (&opt);
  opt.epochs = 2;
  opt.batch = 32;
  opt.lr = 3e-3;
  g_assert_true (rel_train (model, train, &plant, &opt, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  /* the test images as the model's inputs, .npy files in a folder */
  dir = g_dir_make_tmp ("test-clarc-square-XXXXXX", &error);
  g_assert_no_error (error);
  labels = g_new (int, n_test);
  for (int i = 0; i < n_test; i++)
    {
      g_autoptr(RelTensor) x = rel_train_make_batch (model, test, &i, 1, NULL, &error);
      char *path = g_strdup_printf ("%s/%04d.npy", dir, i);
      g_assert_no_error (error);
      g_assert_true (rel_npy_save (path, x, &error));
      g_ptr_array_add (paths, path);
      labels[i] = test->labels[i];
    }
  /* the source: the first test Bag with the square painted in */
  {
    int first_bag = 0;
    while (test->labels[first_bag] != bag)
      first_bag++;
    plant.rate = 1;
    source = rel_train_make_batch (model, test, &first_bag, 1, &plant, &error);
    g_assert_no_error (error);
    box = rel_plant_box (&plant, first_bag, 28, 28);
  }
  g_assert_cmpint (box.x, ==, 1);
  g_assert_cmpint (box.width, ==, 4);
  region = rel_region_new_rect (box.x, box.y, box.width, box.height, &error);
  for (int y = box.y; y < box.y + box.height; y++)
    for (int x = box.x; x < box.x + box.width; x++)
      mask[y * 28 + x] = 1;

  ir.model = model;
  ir.paths = (const char *const *) paths->pdata;
  ir.labels = labels;
  ir.n = n_test;
  ir.target = bag;
  ir.region = region;
  ir.mode = REL_INSPECT_TRANSPLANT;
  ir.source = source;
  ir.source_mask = mask;
  tr = rel_inspect_run (&ir, &error);
  g_assert_no_error (error);
  g_test_message ("square on Bag: transplant flip rate %.3f over %d images", tr->flip_rate, tr->flip_candidates);
  g_assert_cmpfloat (tr->flip_rate, >=, 0.5);

  memset (&req, 0, sizeof req);
  req.model = model;
  req.paths = (const char *const *) paths->pdata;
  req.labels = labels;
  req.n = n_test;
  req.target = bag;
  req.region = region;
  req.source = source;
  req.source_mask = mask;
  req.method = REL_CLARC_P;
  req.layer = "auto";
  req.holdout = 0.5;
  res = rel_clarc_run (&req, &error);
  g_assert_no_error (error);
  g_test_message ("square on Bag, P-ClArC at %s: clean %.3f → %.3f, flip %.3f → %.3f, mass %.3f → %.3f", res->layer,
                  res->before.clean_accuracy, res->after.clean_accuracy, res->before.flip_rate, res->after.flip_rate,
                  res->before.relevance_mass, res->after.relevance_mass);
  g_assert_cmpfloat (res->after.flip_rate, <=, 0.05);
  g_assert_cmpfloat (res->before.clean_accuracy - res->after.clean_accuracy, <=, 0.01 + 1e-9);
  g_assert_cmpfloat (res->after.relevance_mass, <, res->before.relevance_mass);
  g_assert_cmpfloat (res->max_logit_difference, <=, 1e-5);

  for (guint i = 0; i < paths->len; i++)
    g_unlink (g_ptr_array_index (paths, i));
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/clarc/second-artifact", test_second_artifact);
  return g_test_run ();
}
