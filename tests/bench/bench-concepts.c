/* bench-concepts.c — Concept Relevance Propagation against plain explaining.
 *
 *   bench-concepts MODEL [--method M] [--repeat N] [--images N] [--top K]
 *                  [--max-ratio R] [--max-relmax-ratio R]
 *
 * 1. The top-K (default 8) conditional heatmaps of the default layer — one
 *    pass, the concept relevances, K conditional maps — against one
 *    unconditional explanation of the same method (median of N, default 5).
 * 2. RelMax reference sets (20 per channel, every channel of the layer) over
 *    --images seeded random inputs (default 20) against explaining the same
 *    inputs once each. The ratio is per image, so a few stand for 1,000.
 * The input is MODEL's folder's input.npy when there is one. With the
 * --max-… options it exits 1 when a ratio is above it. A MODEL that does not
 * exist exits 77 (skipped), so the full-size ResNet-18 of
 * tests/fixtures/large (make-torchvision.py) is optional.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-concepts.h"
#include "rel-core.h"
#include "rel-image.h"
#include "rel-npy.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) model = NULL;
  g_autoptr(RelTensor) input = NULL;
  g_autoptr(RelParams) params = NULL;
  g_autofree char *method_name = NULL;
  g_autofree double *t_one = NULL, *t_top = NULL;
  int repeat = 5, images = 20, top = 8, node, value;
  double max_ratio = 0, max_relmax = 0, ratio, relmax_ratio;
  GOptionEntry entries[] = {
    { "method", 0, 0, G_OPTION_ARG_STRING, &method_name, "LRP method (default lrp-epsilon-plus-flat)", "M" },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat, "Timed runs (median)", "N" },
    { "images", 0, 0, G_OPTION_ARG_INT, &images, "Images for the RelMax timing", "N" },
    { "top", 0, 0, G_OPTION_ARG_INT, &top, "Conditional heatmaps", "K" },
    { "max-ratio", 0, 0, G_OPTION_ARG_DOUBLE, &max_ratio, "Fail above this top-K ratio", "R" },
    { "max-relmax-ratio", 0, 0, G_OPTION_ARG_DOUBLE, &max_relmax, "Fail above this RelMax ratio", "R" },
    { NULL }
  };
  g_autoptr(GOptionContext) octx = g_option_context_new ("MODEL");

  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error) || argc != 2 || repeat < 1 || images < 1 || top < 1)
    {
      fprintf (stderr, "usage: bench-concepts MODEL [--method M] [--repeat N] [--images N] [--top K]\n");
      return 2;
    }
  if (!g_file_test (argv[1], G_FILE_TEST_EXISTS))
    {
      printf ("SKIP %s is absent (tests/reference/make-torchvision.py makes it)\n", argv[1]);
      return 77;
    }
  rel_core_init (0);
  if (!(model = rel_model_load (argv[1], &error)))
    {
      fprintf (stderr, "bench-concepts: %s: %s\n", argv[1], error->message);
      return 1;
    }
  params = rel_params_new (rel_method_lookup (method_name ? method_name : "lrp-epsilon-plus-flat"));
  if (!rel_concept_resolve_layer (model, NULL, &node, &value, &error))
    {
      fprintf (stderr, "bench-concepts: %s\n", error->message);
      return 1;
    }
  {
    g_autofree char *dir = g_path_get_dirname (argv[1]);
    g_autofree char *in = g_build_filename (dir, "input.npy", NULL);
    if (g_file_test (in, G_FILE_TEST_EXISTS))
      input = rel_npy_load (in, &error);
    else
      {
        int64_t shape[REL_MAX_DIMS];
        int ndim;
        GRand *r = g_rand_new_with_seed (1);
        if (rel_model_input_shape (model, 1, &ndim, shape, &error) && (input = rel_tensor_new_f32 (ndim, shape, &error)))
          for (int64_t i = 0; i < input->numel; i++)
            rel_tensor_f32 (input)[i] = (float) g_rand_double (r);
        g_rand_free (r);
      }
    if (input == NULL)
      {
        fprintf (stderr, "bench-concepts: %s\n", error->message);
        return 1;
      }
  }

  t_one = g_new (double, repeat + 1);
  t_top = g_new (double, repeat + 1);
  for (int k = 0; k <= repeat; k++)   /* run 0 warms up */
    {
      RelExplainRequest req = { 0 };
      g_autoptr(RelExplanation) e = NULL;
      g_autoptr(RelRelevancePass) pass = NULL;
      g_autoptr(GArray) all = NULL;
      g_autoptr(GArray) best = NULL;
      g_autoptr(RelTensor) maps = NULL;
      g_autofree int *cs = NULL;
      double t0;

      req.model = model;
      req.input = input;
      req.params = params;
      t0 = now_ms ();
      if (!(e = rel_explain (NULL, &req, &error)))
        goto fail;
      t_one[k] = now_ms () - t0;

      t0 = now_ms ();
      if (!(pass = rel_relevance_pass_new (NULL, &req, &error))
          || !(all = rel_concepts_compute (pass, value, NULL, &error)))
        goto fail;
      best = rel_concepts_top (all, top, REL_CONCEPT_RANK_ABS);
      cs = g_new (int, best->len);
      for (guint c = 0; c < best->len; c++)
        cs[c] = g_array_index (best, RelConcept, c).channel;
      if (!(maps = rel_concept_heatmaps (pass, value, cs, (int) best->len, &error)))
        goto fail;
      t_top[k] = now_ms () - t0;
    }
  {
    double one = median (t_one + 1, repeat), topk = median (t_top + 1, repeat);
    ratio = topk / one;
    printf ("%s: layer %s, %s, threads %d: one explanation %.1f ms; pass + concept relevances + top-%d "
            "conditional heatmaps %.1f ms: ratio %.2f\n", argv[1], model->nodes[node].name,
            rel_params_method (params)->name, rel_core_threads (), one, top, topk, ratio);
  }

  /* RelMax over seeded random images, as .npy files */
  {
    g_autofree char *tmp = g_dir_make_tmp ("bench-concepts-XXXXXX", &error);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(RelConceptReferences) refs = NULL;
    GRand *r = g_rand_new_with_seed (7);
    double t0, t_explain, t_relmax;

    if (tmp == NULL)
      goto fail;
    for (int i = 0; i < images; i++)
      {
        g_autoptr(RelTensor) x = rel_tensor_copy (input, &error);
        char *p = g_strdup_printf ("%s/%04d.npy", tmp, i);
        for (int64_t j = 0; x && j < x->numel; j++)
          rel_tensor_f32 (x)[j] += (float) (0.5 * (g_rand_double (r) - 0.5));
        if (x == NULL || !rel_npy_save (p, x, &error))
          {
            g_free (p);
            g_rand_free (r);
            goto fail;
          }
        g_ptr_array_add (paths, p);
      }
    g_rand_free (r);
    t0 = now_ms ();
    for (int i = 0; i < images; i++)
      {
        RelExplainRequest req = { 0 };
        g_autoptr(RelExplanation) e = NULL;
        g_autoptr(RelTensor) x = rel_input_load (model, g_ptr_array_index (paths, i), &error);
        req.model = model;
        req.input = x;
        req.params = params;
        if (x == NULL || !(e = rel_explain (NULL, &req, &error)))
          goto fail;
      }
    t_explain = now_ms () - t0;
    t0 = now_ms ();
    refs = rel_concept_references_compute (model, params, value, (const char *const *) paths->pdata, images,
                                           REL_CONCEPT_RELMAX, 20, NULL, 0, NULL, NULL, NULL, &error);
    if (refs == NULL)
      goto fail;
    t_relmax = now_ms () - t0;
    relmax_ratio = t_relmax / t_explain;
    printf ("%s: RelMax reference sets (20 per channel, %d channels) over %d images %.1f ms; explaining them "
            "once %.1f ms: ratio %.2f\n", argv[1], refs->n_channels, images, t_relmax, t_explain, relmax_ratio);
    for (guint i = 0; i < paths->len; i++)
      g_unlink (g_ptr_array_index (paths, i));
    g_rmdir (tmp);
  }
  if ((max_ratio > 0 && ratio > max_ratio) || (max_relmax > 0 && relmax_ratio > max_relmax))
    {
      printf ("FAIL: above the target (top-%d ≤ %.2f×, RelMax ≤ %.2f×)\n", top, max_ratio, max_relmax);
      return 1;
    }
  return 0;

fail:
  fprintf (stderr, "bench-concepts: %s\n", error ? error->message : "failed");
  return 1;
}
