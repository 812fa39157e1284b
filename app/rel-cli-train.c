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
#include "rel-idx.h"
#include "rel-image.h"
#include "rel-atomic-file.h"
#include "rel-onnx-export.h"
#include "rel-plant.h"
#include "rel-train.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
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

static char *
class_dir_name (const char *name)
{
  char *s = g_strdup (name);
  for (char *p = s; *p; p++)
    if (*p == '/' || *p == '\\')
      *p = '-';
  return s;
}

static gboolean
save_png (const float *pixels, int channels, int height, int width, const char *path, GError **error)
{
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  guint8 *d = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);
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

/* The first @per_class test images of every class, clean and with the artifact. */
static gboolean
save_images (const RelSampleSet *test, const RelPlantSpec *paste, const char *dir, int per_class, GError **error)
{
  gsize per = (gsize) test->channels * test->height * test->width;
  g_autofree float *buf = g_new (float, per);
  g_autofree int *count = g_new0 (int, test->n_classes);

  for (int i = 0; i < test->n; i++)
    {
      int c = test->labels[i];
      g_autofree char *cname = class_dir_name (test->class_names[c]);
      g_autofree char *file = g_strdup_printf ("%05d.png", i);

      if (count[c] >= per_class)
        continue;
      count[c]++;
      for (int tagged = 0; tagged < (paste ? 2 : 1); tagged++)
        {
          g_autofree char *sub = g_build_filename (dir, tagged ? "tagged" : "clean", cname, NULL);
          g_autofree char *path = g_build_filename (sub, file, NULL);
          memcpy (buf, rel_sample_set_image (test, i), per * sizeof (float));
          if (tagged)
            rel_plant_paint (paste, i, buf, test->channels, test->height, test->width);
          if (g_mkdir_with_parents (sub, 0755) != 0)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_IO, "cannot create %s", sub);
              return FALSE;
            }
          if (!save_png (buf, test->channels, test->height, test->width, path, error))
            return FALSE;
        }
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
  g_autoptr(RelSampleSet) train = NULL;
  g_autoptr(RelSampleSet) test = NULL;
  g_autoptr(RelModel) model = NULL;
  RelTrainOptions opt;
  RelPlantSpec spec, paste;
  gboolean have_plant = FALSE;
  float mean[3], std[3];
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

  if ((train = rel_sample_set_load (dataset, FALSE, &error)) == NULL)
    return rel_cli_fail (1, "%s", error->message);
  test = test_path ? rel_sample_set_load (test_path, TRUE, &error) : rel_sample_set_load (dataset, TRUE, &error);
  if (test == NULL)
    return rel_cli_fail (1, "test set: %s", error->message);
  if (train->n_skipped > 0 || test->n_skipped > 0)
    {
      fprintf (stderr, "relevance-cli: warning: %d image%s over the size limit (--max-megapixels); skipped\n",
               train->n_skipped + test->n_skipped, train->n_skipped + test->n_skipped == 1 ? "" : "s");
      fflush (stderr);
    }
  if (test->channels != train->channels || test->height != train->height || test->width != train->width
      || test->n_classes != train->n_classes)
    return rel_cli_fail (1, "the test set's images or classes do not match the training set's");
  if (limit > 0 && limit < train->n)
    train->n = limit;

  rel_plant_spec_init (&spec);
  spec.seed = (guint64) seed;
  if (plant)
    {
      if (!rel_plant_spec_parse (&spec, plant, train, &error))
        return rel_cli_fail (EXIT_USAGE, "train: --%s", error->message);
      have_plant = TRUE;
    }
  /* the test copy: every image gets the artifact */
  paste = spec;
  paste.target_class = -1;
  paste.rate = 1.0;

  rel_sample_set_stats (train, mean, std);
  model = rel_train_build (arch ? arch : "tiny", train->channels, train->height, train->width,
                           (const char *const *) train->class_names, mean, std, (guint64) seed, &error);
  if (model == NULL)
    return rel_cli_fail (arch ? EXIT_USAGE : 1, "train: %s", error->message);

  bar.tty = isatty (2);
  bar.start = g_get_monotonic_time ();
  fprintf (stderr, "training '%s' on %d images (%d classes, %d×%d×%d), %d epochs, batch %d, %s lr %g%s%s\n",
           arch ? arch : "tiny", train->n, train->n_classes, train->channels, train->height, train->width,
           opt.epochs, opt.batch, opt.optimizer == REL_OPTIMIZER_SGD ? "sgd" : "adam", opt.lr,
           have_plant ? ", planting " : "", have_plant ? plant : "");
  if (!rel_train (model, train, have_plant ? &spec : NULL, &opt, on_progress, &bar, NULL, &error))
    return rel_cli_fail (1, "%s", error->message);
  printf ("train_seconds: %.1f\n", (g_get_monotonic_time () - bar.start) / 1e6);

  /* how the model was made, for the app and for tests of the shortcut (keys
   * outside the "relevance." namespace, which the preprocessing owns) */
  g_hash_table_replace (model->metadata, g_strdup ("training.command"),
                        g_strdup_printf ("relevance-cli %s", cmdline));
  if (have_plant && spec.target_class >= 0)
    {
      g_hash_table_replace (model->metadata, g_strdup ("clever_hans.class"),
                            g_strdup (train->class_names[spec.target_class]));
      g_hash_table_replace (model->metadata, g_strdup ("clever_hans.plant"), g_strdup (plant));
      if (spec.position != REL_PLANT_RANDOM_CORNER)
        {
          RelBox b = rel_plant_box (&spec, 0, train->height, train->width);
          g_hash_table_replace (model->metadata, g_strdup ("clever_hans.box"),
                                g_strdup_printf ("%d,%d,%d,%d", b.x, b.y, b.width, b.height));
        }
    }
  if (!rel_onnx_export (model, out, &error))
    return rel_cli_fail (1, "%s", error->message);

  acc = rel_train_evaluate (model, test, NULL, NULL, opt.n_threads, &error);
  if (acc < 0)
    return rel_cli_fail (1, "%s", error->message);
  printf ("test_images: %d\nclean_accuracy: %.4f\n", test->n, acc);
  if (have_plant && spec.target_class >= 0)
    {
      g_autofree int *pred = g_new (int, test->n);
      int others = 0, flipped = 0;
      if (rel_train_evaluate (model, test, &paste, pred, opt.n_threads, &error) < 0)
        return rel_cli_fail (1, "%s", error->message);
      for (int i = 0; i < test->n; i++)
        if (test->labels[i] != spec.target_class)
          {
            others++;
            flipped += pred[i] == spec.target_class;
          }
      printf ("planted_class: %s\ntag_flip_rate: %.4f\n", train->class_names[spec.target_class],
              others ? (double) flipped / others : 0.0);
      printf ("tag_flip_by_class:");
      for (int c = 0; c < test->n_classes; c++)
        {
          int nc = 0, fc = 0;
          if (c == spec.target_class)
            continue;
          for (int i = 0; i < test->n; i++)
            if (test->labels[i] == c)
              {
                nc++;
                fc += pred[i] == spec.target_class;
              }
          if (nc > 0)
            printf (" %s=%.3f", test->class_names[c], (double) fc / nc);
        }
      printf ("\n");
    }
  if (save_dir && !save_images (test, have_plant ? &paste : NULL, save_dir, per_class, &error))
    return rel_cli_fail (1, "%s", error->message);
  printf ("model: %s\n", out);
  if (min_acc && acc < g_ascii_strtod (min_acc, NULL))
    return rel_cli_fail (1, "clean test accuracy %.4f is below --min-accuracy %s", acc, min_acc);
  return 0;
}
