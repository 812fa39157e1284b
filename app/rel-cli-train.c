/* rel-cli-train.c — `relevance-cli train`: trains a small CNN on an image
 * data set, optionally with a planted artifact (a "Clever Hans" shortcut),
 * and writes it as ONNX.
 *
 *   relevance-cli train --dataset PATH [--arch tiny|small|mlp]
 *       [--plant kind=tag,class=Sandal,rate=0.8[,position=…]] [--epochs N]
 *       [--batch B] [--lr F] [--optimizer sgd|adam] [--seed S] [--limit N]
 *       [--save-images DIR [--images-per-class N]] [--min-accuracy F]
 *       --out model.onnx
 *
 * Progress goes to stderr; the final figures go to stdout, one "key: value"
 * per line: clean test accuracy and, with --plant, the tag flip rate (share of
 * the other classes' test images predicted as the planted class once the
 * artifact is pasted into them). --save-images writes test images (never seen
 * in training) as DIR/clean/<class>/NNNNN.png and DIR/tagged/<class>/NNNNN.png, class
 * names with '/' written as '-'.
 *
 * The model's metadata_props record the command line ("training.command")
 * and, with --plant, the planted class ("clever_hans.class"), the spec
 * ("clever_hans.plant") and for a fixed corner the artifact's box
 * "x,y,width,height" in input pixels ("clever_hans.box").
 *
 * Same data, options, seed and --threads ⇒ the same weights, byte for byte.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-cli.h"
#include "rel-core.h"
#include "rel-error.h"
#include "rel-atomic-file.h"
#include "rel-idx.h"
#include "rel-image.h"
#include "rel-plant.h"
#include "rel-train.h"
#include "rel-train-workflow.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>


typedef struct {
  gboolean tty;
  gint64   last;
  gint64   start;
} Bar;

static gboolean
on_progress (const RelTrainProgress *p, gpointer data)
{
  Bar *bar = data;
  gint64 now = g_get_monotonic_time ();
  gboolean end = p->step == p->n_steps;

  if (!end && now - bar->last < 200000)
    return TRUE;
  bar->last = now;
  if (bar->tty || end)
    {
      int width = 30, done = (int) ((double) p->step / p->n_steps * width);
      char cells[64];
      for (int i = 0; i < width; i++)
        cells[i] = i < done ? '#' : '.';
      cells[width] = '\0';
      fprintf (stderr, "%sepoch %d/%d [%s] %3d%%  loss %.4f  train acc %.2f%%  %.0f s%s",
               bar->tty ? "\r" : "", p->epoch, p->n_epochs, cells, 100 * p->step / p->n_steps,
               p->epoch_loss, 100 * p->accuracy, (now - bar->start) / 1e6, end ? "\n" : "");
      fflush (stderr);
    }
  return TRUE;
}

int
rel_cli_train (int argc, char **argv)
{
  g_autofree char *dataset = NULL, *arch = NULL, *plant = NULL, *optimizer = NULL, *out = NULL;
  g_autofree char *lr_text = NULL, *save_dir = NULL, *test_path = NULL, *cmdline = NULL, *min_acc = NULL;
  int epochs = 3, batch = 64, limit = 0, per_class = 50, threads = 0;
  gint64 seed = 0;
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- train a small CNN, optionally with a planted artifact");
  g_autoptr(GError) error = NULL;
  const RelSampleSet *train, *test;
  RelTrainOptions opt;
  RelPlantSpec spec;
  gboolean have_plant = FALSE;
  Bar bar = { 0 };
  double acc;
  GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_FILENAME, &dataset, "IDX folder/file, .npy stack or image folder", "PATH" },
    { "test", 0, 0, G_OPTION_ARG_FILENAME, &test_path, "Test set (default: the dataset's t10k files or test/ folder)", "PATH" },
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, "Architecture: tiny, small, mlp (default tiny)", "NAME" },
    { "plant", 0, 0, G_OPTION_ARG_STRING, &plant, "Artifact: kind=tag|square|border|noise,class=C,rate=R[,position=…,size=…,color=…,seed=…]", "SPEC" },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &epochs, "Epochs (default 3)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Mini-batch size (default 64)", "B" },
    { "lr", 0, 0, G_OPTION_ARG_STRING, &lr_text, "Learning rate (default 0.002 for adam, 0.05 for sgd)", "F" },
    { "optimizer", 0, 0, G_OPTION_ARG_STRING, &optimizer, "sgd or adam (default adam)", "NAME" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the weights and the shuffle (default 0)", "S" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Train on the first N samples only", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Worker threads (default: the global --threads)", "N" },
    { "save-images", 0, 0, G_OPTION_ARG_FILENAME, &save_dir, "Write clean and tagged test images to DIR", "DIR" },
    { "images-per-class", 0, 0, G_OPTION_ARG_INT, &per_class, "Images per class for --save-images (default 50)", "N" },
    { "min-accuracy", 0, 0, G_OPTION_ARG_STRING, &min_acc, "Exit with status 1 if the clean test accuracy is below F (benchmarks)", "F" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "The trained model (.onnx)", "FILE" },
    { NULL },
  };

  /* kept before parsing removes the options */
  cmdline = g_strjoinv (" ", argv);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return rel_cli_fail (EXIT_USAGE, "train: %s (try 'relevance-cli train --help')", error->message);
  if (dataset == NULL || out == NULL)
    return rel_cli_fail (EXIT_USAGE, "train: --dataset and --out are required");
  /* an unwritable output must fail now, not after the training */
  if (!rel_file_check_writable (out, &error))
    return rel_cli_fail (1, "%s", error->message);
  if (save_dir && !rel_folder_check_writable (save_dir, TRUE, &error))
    return rel_cli_fail (1, "%s", error->message);
  rel_train_options_init (&opt);
  if (optimizer == NULL || strcmp (optimizer, "adam") == 0)
    opt.optimizer = REL_OPTIMIZER_ADAM, opt.lr = 0.002;
  else if (strcmp (optimizer, "sgd") == 0)
    opt.optimizer = REL_OPTIMIZER_SGD, opt.lr = 0.05;
  else
    return rel_cli_fail (EXIT_USAGE, "train: --optimizer must be sgd or adam");
  if (lr_text)
    {
      char *end;
      opt.lr = g_ascii_strtod (lr_text, &end);
      if (*lr_text == '\0' || *end != '\0' || !(opt.lr > 0 && opt.lr < 10))
        return rel_cli_fail (EXIT_USAGE, "train: --lr must be a number in (0, 10)");
    }
  if (epochs < 1 || epochs > 1000 || batch < 1 || batch > 65536 || limit < 0 || per_class < 1 || threads < 0
      || seed < 0)
    return rel_cli_fail (EXIT_USAGE, "train: --epochs 1–1000, --batch 1–65536, --limit, --images-per-class, "
                       "--threads and --seed must not be negative");
  opt.epochs = epochs;
  opt.batch = batch;
  opt.seed = (guint64) seed;
  opt.n_threads = threads > 0 ? threads : rel_core_threads ();

  /* the steps the Train dialog runs too (core/rel-train-workflow.h) */
  g_autoptr(RelTrainRun) run = rel_train_run_load (dataset, test_path, &error);
  if (run == NULL)
    return rel_cli_fail (1, "%s", error->message);
  train = run->train;
  test = run->test;
  if (train->n_skipped > 0 || test->n_skipped > 0)
    {
      fprintf (stderr, "relevance-cli: warning: %d image%s over the size limit (--max-megapixels); skipped\n",
               train->n_skipped + test->n_skipped, train->n_skipped + test->n_skipped == 1 ? "" : "s");
      fflush (stderr);
    }
  rel_train_run_limit (run, limit, 0);

  rel_plant_spec_init (&spec);
  spec.seed = (guint64) seed;
  if (plant)
    {
      if (!rel_plant_spec_parse (&spec, plant, train, &error))
        return rel_cli_fail (EXIT_USAGE, "train: --%s", error->message);
      have_plant = TRUE;
    }

  if (!rel_train_run_build (run, arch, (guint64) seed, &error))
    return rel_cli_fail (arch ? EXIT_USAGE : 1, "train: %s", error->message);

  bar.tty = isatty (2);
  bar.start = g_get_monotonic_time ();
  fprintf (stderr, "training '%s' on %d images (%d classes, %d×%d×%d), %d epochs, batch %d, %s lr %g%s%s\n",
           arch ? arch : "tiny", train->n, train->n_classes, train->channels, train->height, train->width,
           opt.epochs, opt.batch, opt.optimizer == REL_OPTIMIZER_SGD ? "sgd" : "adam", opt.lr,
           have_plant ? ", planting " : "", have_plant ? plant : "");
  if (!rel_train_run_fit (run, have_plant ? &spec : NULL, &opt, on_progress, &bar, NULL, &error))
    return rel_cli_fail (1, "%s", error->message);
  printf ("train_seconds: %.1f\n", run->train_seconds);

  g_autofree char *command = g_strdup_printf ("relevance-cli %s", cmdline);
  rel_train_run_describe (run, command, plant, NULL);
  if (!rel_train_run_export (run, out, &error))
    return rel_cli_fail (1, "%s", error->message);
  if (!rel_train_run_evaluate (run, opt.n_threads, &error))
    return rel_cli_fail (1, "%s", error->message);
  acc = run->clean_accuracy;
  printf ("test_images: %d\nclean_accuracy: %.4f\n", test->n, acc);
  if (have_plant && spec.target_class >= 0)
    {
      printf ("planted_class: %s\ntag_flip_rate: %.4f\n", train->class_names[spec.target_class], run->flip_rate);
      printf ("tag_flip_by_class:");
      for (int c = 0; c < test->n_classes; c++)
        if (!isnan (run->flip_by_class[c]))
          printf (" %s=%.3f", test->class_names[c], run->flip_by_class[c]);
      printf ("\n");
    }
  if (save_dir && !rel_train_run_save_images (run, save_dir, per_class, &error))
    return rel_cli_fail (1, "%s", error->message);
  printf ("model: %s\n", out);
  if (min_acc && acc < g_ascii_strtod (min_acc, NULL))
    return rel_cli_fail (1, "clean test accuracy %.4f is below --min-accuracy %s", acc, min_acc);
  return 0;
}
