/* bench-demo.c — the demo's figures on the whole Fashion-MNIST test set.
 *
 *   bench-demo MODEL DATASET [--accuracy A] [--flip F]
 *
 * Prints the clean accuracy of MODEL (data/demo/model.onnx) on the 10,000
 * test images of DATASET, and the tag flip rate: the share of the other
 * classes' test images predicted as the planted class once the artifact the
 * model was trained with (its "clever_hans.plant" metadata) is pasted into
 * every image, as `relevance-cli train` computes it. With --accuracy/--flip
 * (the README's figures, as fractions) it exits 1 when a figure, rounded to
 * the README's 0.1%, is another.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-core.h"
#include "rel-idx.h"
#include "rel-model.h"
#include "rel-plant.h"
#include "rel-train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The figure as the README writes it: a percentage with one decimal. */
static gboolean
same_figure (double measured, double written)
{
  return fabs (round (measured * 1000.0) - round (written * 1000.0)) < 0.5;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) model = NULL;
  g_autoptr(RelSampleSet) test = NULL;
  g_autofree int *pred = NULL;
  const char *plant, *command, *seed_arg;
  double expect_acc = -1, expect_flip = -1, acc;
  RelPlantSpec spec;
  int others = 0, flipped = 0, correct = 0, status = 0;

  if (argc < 3)
    {
      fprintf (stderr, "usage: bench-demo MODEL DATASET [--accuracy A] [--flip F]\n");
      return 2;
    }
  for (int i = 3; i + 1 < argc; i += 2)
    if (strcmp (argv[i], "--accuracy") == 0)
      expect_acc = g_ascii_strtod (argv[i + 1], NULL);
    else if (strcmp (argv[i], "--flip") == 0)
      expect_flip = g_ascii_strtod (argv[i + 1], NULL);
    else
      {
        fprintf (stderr, "bench-demo: unknown option %s\n", argv[i]);
        return 2;
      }
  rel_core_init (2);
  if ((model = rel_model_load (argv[1], &error)) == NULL
      || (test = rel_sample_set_load (argv[2], TRUE, &error)) == NULL)
    {
      fprintf (stderr, "bench-demo: %s\n", error->message);
      return 1;
    }
  plant = model->metadata ? g_hash_table_lookup (model->metadata, "clever_hans.plant") : NULL;
  command = model->metadata ? g_hash_table_lookup (model->metadata, "training.command") : NULL;
  if (plant == NULL)
    {
      fprintf (stderr, "bench-demo: %s has no clever_hans.plant metadata\n", argv[1]);
      return 1;
    }
  /* the training's seed, as `train` gives it to the spec */
  rel_plant_spec_init (&spec);
  seed_arg = command ? strstr (command, "--seed ") : NULL;
  spec.seed = seed_arg ? g_ascii_strtoull (seed_arg + strlen ("--seed "), NULL, 10) : 0;
  if (!rel_plant_spec_parse (&spec, plant, test, &error))
    {
      fprintf (stderr, "bench-demo: %s\n", error->message);
      return 1;
    }

  pred = g_new (int, test->n);
  acc = rel_train_evaluate (model, test, NULL, pred, 2, &error);
  if (acc < 0)
    {
      fprintf (stderr, "bench-demo: %s\n", error->message);
      return 1;
    }
  for (int i = 0; i < test->n; i++)
    correct += pred[i] == test->labels[i];
  {
    /* every test image gets the artifact, as train's test copy */
    RelPlantSpec paste = spec;
    paste.target_class = -1;
    paste.rate = 1.0;
    if (rel_train_evaluate (model, test, &paste, pred, 2, &error) < 0)
      {
        fprintf (stderr, "bench-demo: %s\n", error->message);
        return 1;
      }
  }
  for (int i = 0; i < test->n; i++)
    if (test->labels[i] != spec.target_class)
      {
        others++;
        flipped += pred[i] == spec.target_class;
      }
  printf ("test_images: %d\nclean_accuracy: %.4f (%d of %d)\n", test->n, acc, correct, test->n);
  printf ("planted_class: %s\ntag_flip_rate: %.4f (%d of %d)\n", test->class_names[spec.target_class],
          (double) flipped / others, flipped, others);
  if (expect_acc >= 0 && !same_figure (acc, expect_acc))
    {
      fprintf (stderr, "bench-demo: clean accuracy %.1f%%, the README says %.1f%%\n", 100 * acc, 100 * expect_acc);
      status = 1;
    }
  if (expect_flip >= 0 && !same_figure ((double) flipped / others, expect_flip))
    {
      fprintf (stderr, "bench-demo: tag flip rate %.1f%%, the README says %.1f%%\n",
               100.0 * flipped / others, 100 * expect_flip);
      status = 1;
    }
  return status;
}
