/* rel-train-workflow.h — "train a Clever Hans" from start to finish: load a
 * data set and its test split, train a small network with an artifact planted
 * in one class, write the model with metadata that says how it was made,
 * measure the clean test accuracy and how often the artifact flips other
 * classes, save clean and tagged test images. `relevance-cli train` and the
 * app's Train dialog both run these steps; the caller only chooses the
 * settings and shows the progress.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "rel-idx.h"
#include "rel-model.h"
#include "rel-plant.h"
#include "rel-train.h"

G_BEGIN_DECLS

typedef struct {
  RelSampleSet *train;
  RelSampleSet *test;
  RelModel     *model;            /* after rel_train_run_build */
  gboolean      have_plant;
  RelPlantSpec  plant;            /* the training set's artifact (when have_plant) */
  double        train_seconds;
  /* after rel_train_run_evaluate */
  double        clean_accuracy;
  double        flip_rate;        /* test images of other classes predicted as the planted
                                   * class once they carry the artifact; NAN without one */
  double       *flip_by_class;    /* the same per class (n_classes); NAN for the planted
                                   * class and classes without test images */
} RelTrainRun;

/* Loads the training set @dataset and the test set (@test_path, or
 * @dataset's own test split: t10k files or test/ folder). NULL with an error
 * when either cannot be read or their images or classes do not match. */
RelTrainRun *rel_train_run_load     (const char *dataset, const char *test_path, GError **error);
void         rel_train_run_free     (RelTrainRun *run);
/* Keeps the first @n_train training and @n_test test samples (0: all). */
void         rel_train_run_limit    (RelTrainRun *run, int n_train, int n_test);
/* The untrained @arch (NULL: "tiny") for the training set, with its statistics. */
gboolean     rel_train_run_build    (RelTrainRun *run, const char *arch, guint64 seed, GError **error);
/* Trains the built model with @plant's artifact (NULL: none) until done or *@cancel. */
gboolean     rel_train_run_fit      (RelTrainRun *run, const RelPlantSpec *plant, const RelTrainOptions *opt,
                                     RelTrainProgressFunc progress, gpointer data, volatile gint *cancel,
                                     GError **error);
/* Metadata for the app and for tests of the shortcut, outside the
 * "relevance." namespace the preprocessing owns: training.command =
 * @command, and with a plant clever_hans.class, .plant = @plant_text and
 * .box (a fixed position's box). @name (may be NULL) is the display name. */
void         rel_train_run_describe (RelTrainRun *run, const char *command, const char *plant_text,
                                     const char *name);
gboolean     rel_train_run_export   (RelTrainRun *run, const char *path, GError **error);
/* Clean accuracy and, with a plant, the flip rates. */
gboolean     rel_train_run_evaluate (RelTrainRun *run, int n_threads, GError **error);
/* The first @per_class test images of each class as PNGs in
 * @dir/clean/<class>/ and, with a plant, with the artifact in @dir/tagged/<class>/. */
gboolean     rel_train_run_save_images (RelTrainRun *run, const char *dir, int per_class, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelTrainRun, rel_train_run_free)

G_END_DECLS
