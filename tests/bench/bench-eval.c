/* bench-eval.c — evaluation metrics (core/rel-eval.c): the speed of a
 * pixel-flipping curve, and the README's figures on the Clever-Hans demo.
 *
 *   bench-eval MODEL.onnx INPUT.npy [--repeat N] [--patch P] [--batch B] [--plain]
 *       one MoRF curve over every P×P patch (16 by default at 224²) of a
 *       gradient map: median_ms=… min_ms=… max_ms=… steps=…; the steps
 *       run as a chain of incremental passes, or with --plain a full
 *       forward pass each (incremental=false)
 *   bench-eval --demo DATA_DEMO_DIR [--images N]
 *       on the tagged Sandal images: methods ranked by AOPC (MoRF), relevance
 *       mass accuracy in the tag's box per method, and the cascading
 *       randomisation check (Spearman after all layers) per method
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-core.h"
#include "rel-dataset.h"
#include "rel-eval.h"
#include "rel-image.h"
#include "rel-inspect.h"
#include "rel-npy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static int
die (GError *error)
{
  fprintf (stderr, "bench-eval: %s\n", error ? error->message : "failed");
  return 1;
}

static RelExplanation *
explain (RelModel *model, RelTensor *x, const char *method, GError **error)
{
  RelExplainRequest req = { 0 };
  req.model = model;
  req.input = x;
  req.target = (RelTarget) { REL_TARGET_PREDICTED, 0, 0, FALSE };
  return rel_explain (rel_method_lookup (method), &req, error);
}

static int
bench_flip (const char *model_path, const char *input_path, int repeat, int patch, int batch, gboolean plain)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) model = rel_model_load (model_path, &error);
  g_autoptr(RelTensor) x = NULL;
  g_autoptr(RelExplanation) e = NULL;
  g_autoptr(RelParams) p = NULL;
  g_autofree double *ms = g_new (double, repeat);
  int steps = 0;

  if (model == NULL || (x = rel_npy_load (input_path, &error)) == NULL)
    return die (error);
  if ((e = explain (model, x, "gradient", &error)) == NULL)
    return die (error);
  p = rel_metric_params_new (rel_metric_lookup ("aopc-morf"));
  if (patch > 0)
    {
      g_autofree char *v = g_strdup_printf ("%d", patch);
      rel_params_set (p, "patch", v, NULL);
    }
  if (batch > 0)
    {
      g_autofree char *v = g_strdup_printf ("%d", batch);
      rel_params_set (p, "batch", v, NULL);
    }
  if (plain)
    rel_params_set (p, "incremental", "false", NULL);
  for (int i = -1; i < repeat; i++)
    {
      RelMetricRequest req = { 0 };
      g_autoptr(RelMetricResult) r = NULL;
      gint64 t0;
      req.model = model;
      req.input = x;
      req.target = (RelTarget) { REL_TARGET_CLASS, e->target_class, 0, FALSE };
      req.relevance = e->relevance;
      req.params = p;
      t0 = g_get_monotonic_time ();
      if ((r = rel_metric_run (rel_metric_lookup ("aopc-morf"), &req, &error)) == NULL)
        return die (error);
      if (i >= 0)
        ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
      steps = r->n_steps - 1;
    }
  qsort (ms, repeat, sizeof (double), cmp_double);
  printf ("aopc-morf%s %s: median_ms=%.1f min_ms=%.1f max_ms=%.1f steps=%d threads=%d\n", plain ? " (plain)" : "",
          model_path, ms[repeat / 2], ms[0], ms[repeat - 1], steps, rel_core_threads ());
  return 0;
}

typedef struct { const char *method; double mean, ci; int n; } Row;

static int
cmp_row_desc (const void *a, const void *b)
{
  const Row *x = a, *y = b;
  return (x->mean < y->mean) - (x->mean > y->mean);
}

static int
bench_demo (const char *demo, int n_images)
{
  static const char *const methods[] = {
    "gradient", "input-x-gradient", "smoothgrad", "integrated-gradients", "guided-backprop", "deconvnet",
    "gradcam", "lrp-epsilon-plus-flat", "lrp-epsilon-alpha2-beta1", "occlusion",
  };
  static const char *const sanity[] = { "gradient", "lrp-epsilon-plus-flat", "gradcam", "guided-backprop" };
  g_autoptr(GError) error = NULL;
  g_autofree char *model_path = g_build_filename (demo, "model.onnx", NULL);
  g_autofree char *folder = g_build_filename (demo, "images", "tagged", "Sandal", NULL);
  g_autoptr(RelModel) model = rel_model_load (model_path, &error);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(RelRegion) box = NULL;
  Row aopc_rows[G_N_ELEMENTS (methods)], mass_rows[G_N_ELEMENTS (methods)];
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (model == NULL || (dir = g_dir_open (folder, 0, &error)) == NULL)
    return die (error);
  while ((name = g_dir_read_name (dir)))
    if (g_str_has_suffix (name, ".png"))
      g_ptr_array_add (paths, g_build_filename (folder, name, NULL));
  {
    /* in name order, so the first N are the same on every machine */
    for (guint i = 0; i + 1 < paths->len; i++)
      for (guint j = i + 1; j < paths->len; j++)
        if (strcmp (g_ptr_array_index (paths, j), g_ptr_array_index (paths, i)) < 0)
          {
            gpointer t = paths->pdata[i];
            paths->pdata[i] = paths->pdata[j];
            paths->pdata[j] = t;
          }
  }
  if (n_images > 0 && (int) paths->len > n_images)
    g_ptr_array_set_size (paths, n_images);
  /* the tag's box, as the model's clever_hans.box metadata gives it */
  if ((box = rel_region_parse ("15,15,12,12", &error)) == NULL)
    return die (error);

  for (gsize m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      g_autofree double *aopc = g_new (double, paths->len), *mass = g_new (double, paths->len);
      for (guint i = 0; i < paths->len; i++)
        {
          g_autofree guint8 *mask = NULL;
          g_autoptr(RelTensor) x = rel_inspect_load (model, g_ptr_array_index (paths, i), box, &mask, &error);
          g_autoptr(RelExplanation) e = NULL;
          RelMetricRequest req = { 0 };
          g_autoptr(RelMetricResult) a = NULL, ms = NULL;

          if (x == NULL || (e = explain (model, x, methods[m], &error)) == NULL)
            return die (error);
          req.model = model;
          req.input = x;
          req.target = (RelTarget) { REL_TARGET_CLASS, e->target_class, 0, FALSE };
          req.relevance = e->relevance;
          req.mask = mask;
          if ((a = rel_metric_run (rel_metric_lookup ("aopc-morf"), &req, &error)) == NULL
              || (ms = rel_metric_run (rel_metric_lookup ("mass-accuracy"), &req, &error)) == NULL)
            return die (error);
          aopc[i] = a->value;
          mass[i] = ms->value;
        }
      aopc_rows[m].method = mass_rows[m].method = methods[m];
      rel_eval_mean_ci (aopc, (int) paths->len, &aopc_rows[m].mean, &aopc_rows[m].ci, &aopc_rows[m].n);
      rel_eval_mean_ci (mass, (int) paths->len, &mass_rows[m].mean, &mass_rows[m].ci, &mass_rows[m].n);
    }
  qsort (aopc_rows, G_N_ELEMENTS (methods), sizeof (Row), cmp_row_desc);
  qsort (mass_rows, G_N_ELEMENTS (methods), sizeof (Row), cmp_row_desc);
  printf ("AOPC (MoRF, 4×4 patches, fill 0, logit of the predicted class), %u tagged Sandal images:\n", paths->len);
  for (gsize m = 0; m < G_N_ELEMENTS (methods); m++)
    printf ("  %-26s %.3f ± %.3f (n = %d)\n", aopc_rows[m].method, aopc_rows[m].mean, aopc_rows[m].ci, aopc_rows[m].n);
  printf ("relevance mass accuracy in the tag box 15,15,12,12 (area 0.184), same images:\n");
  for (gsize m = 0; m < G_N_ELEMENTS (methods); m++)
    printf ("  %-26s %.3f ± %.3f (n = %d)\n", mass_rows[m].method, mass_rows[m].mean, mass_rows[m].ci, mass_rows[m].n);

  printf ("cascading randomisation, Spearman of |R| with the original after each layer (top first), first %d images:\n",
          MIN ((int) paths->len, 10));
  for (gsize m = 0; m < G_N_ELEMENTS (sanity); m++)
    {
      int n = MIN ((int) paths->len, 10);
      double sums[16] = { 0 }, last[10];
      int steps = 0;
      double mean, ci;
      int used;
      g_autoptr(RelParams) mp = rel_params_new (rel_method_lookup (sanity[m]));
      for (int i = 0; i < n; i++)
        {
          g_autoptr(RelTensor) x = rel_inspect_load (model, g_ptr_array_index (paths, i), NULL, NULL, &error);
          g_autoptr(RelExplanation) e = NULL;
          RelMetricRequest req = { 0 };
          g_autoptr(RelMetricResult) r = NULL;
          if (x == NULL || (e = explain (model, x, sanity[m], &error)) == NULL)
            return die (error);
          req.model = model;
          req.input = x;
          req.target = (RelTarget) { REL_TARGET_CLASS, e->target_class, 0, FALSE };
          req.relevance = e->relevance;
          req.method_params = mp;
          req.seed = (guint64) i;
          if ((r = rel_metric_run (rel_metric_lookup ("randomisation"), &req, &error)) == NULL)
            return die (error);
          if (r->not_applicable)
            {
              last[i] = NAN;
              continue;
            }
          steps = MIN (r->n_steps, 16);
          for (int k = 0; k < steps; k++)
            sums[k] += r->scores[k] / n;
          last[i] = r->value;
        }
      rel_eval_mean_ci (last, n, &mean, &ci, &used);
      printf ("  %-26s after all layers %.3f ± %.3f (n = %d); per step:", sanity[m], mean, ci, used);
      for (int k = 0; k < steps; k++)
        printf (" %.3f", sums[k]);
      printf ("\n");
    }
  return 0;
}

int
main (int argc, char **argv)
{
  int repeat = 5, patch = 0, batch = 0, images = 0;
  gboolean plain = FALSE;
  const char *demo = NULL;
  const char *pos[2] = { NULL, NULL };
  int npos = 0;

  rel_core_init (2);
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--repeat") == 0 && i + 1 < argc)
        {
          repeat = atoi (argv[++i]);
          repeat = MAX (repeat, 1);
        }
      else if (strcmp (argv[i], "--patch") == 0 && i + 1 < argc)
        patch = atoi (argv[++i]);
      else if (strcmp (argv[i], "--batch") == 0 && i + 1 < argc)
        batch = atoi (argv[++i]);
      else if (strcmp (argv[i], "--images") == 0 && i + 1 < argc)
        images = atoi (argv[++i]);
      else if (strcmp (argv[i], "--plain") == 0)
        plain = TRUE;
      else if (strcmp (argv[i], "--demo") == 0 && i + 1 < argc)
        demo = argv[++i];
      else if (npos < 2)
        pos[npos++] = argv[i];
    }
  if (demo)
    return bench_demo (demo, images);
  if (npos != 2)
    {
      fprintf (stderr, "usage: bench-eval MODEL.onnx INPUT.npy [--repeat N] [--patch P] [--batch B] [--plain] | --demo DIR [--images N]\n");
      return 2;
    }
  return bench_flip (pos[0], pos[1], repeat, patch, batch, plain);
}
