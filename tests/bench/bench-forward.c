/* bench-forward.c — wall-clock latency of one model's forward pass.
 *
 *     bench-forward MODEL [--batch B] [--repeat N] [--warmup W] [--threads T] [--method forward]
 *
 * Loads MODEL, feeds a seeded uniform [0,1) input of the model's declared
 * shape with batch B, runs W untimed passes (page faults, BLAS buffers), then
 * times N passes and prints one line ending in
 *     median_ms=… min_ms=… max_ms=…
 * Only the forward pass itself is timed; freeing the activations is not.
 * --method is there for the explainers later; only "forward" exists today.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-core.h"
#include "rel-error.h"
#include "rel-model.h"
#include "rel-tensor.h"

#include <stdio.h>
#include <stdlib.h>

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static RelTensor *
make_input (RelModel *model, int64_t batch, GError **error)
{
  int ndim;
  int64_t shape[REL_MAX_DIMS];
  g_autoptr(GRand) rng = g_rand_new_with_seed (1234);
  RelTensor *t;

  if (!rel_model_input_shape (model, batch, &ndim, shape, error))
    return NULL;
  t = rel_tensor_new_f32 (ndim, shape, error);
  if (t == NULL)
    return NULL;
  for (int64_t i = 0; i < t->numel; i++)
    rel_tensor_f32 (t)[i] = (float) g_rand_double (rng);
  return t;
}

/* One forward pass; returns its duration in milliseconds or a negative value on error. */
static double
time_forward (RelModel *model, RelTensor *input, const RelContext *ctx, GError **error)
{
  RelActivations *acts;
  gint64 t0, t1;

  t0 = g_get_monotonic_time ();
  acts = rel_model_forward (model, input, ctx, error);
  t1 = g_get_monotonic_time ();
  if (acts == NULL)
    return -1;
  rel_activations_free (acts);
  return (t1 - t0) / 1000.0;
}

int
main (int argc, char **argv)
{
  gint batch = 1, repeat = 10, warmup = 2, threads = 2;
  g_autofree char *method = NULL;
  g_autoptr(GOptionContext) octx = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) model = NULL;
  g_autoptr(RelTensor) input = NULL;
  g_autofree double *ms = NULL;
  g_autofree char *base = NULL;
  RelContext ctx;
  GOptionEntry entries[] = {
    { "batch",   'b', 0, G_OPTION_ARG_INT,    &batch,   "Batch size (default 1)", "B" },
    { "repeat",  'n', 0, G_OPTION_ARG_INT,    &repeat,  "Timed passes (default 10)", "N" },
    { "warmup",  'w', 0, G_OPTION_ARG_INT,    &warmup,  "Untimed passes first (default 2)", "W" },
    { "threads", 't', 0, G_OPTION_ARG_INT,    &threads, "Core and BLAS threads (default 2)", "T" },
    { "method",  'm', 0, G_OPTION_ARG_STRING, &method,  "What to time: forward (default)", "NAME" },
    { NULL },
  };

  octx = g_option_context_new ("MODEL - time a model's forward pass");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      g_printerr ("bench-forward: %s\n", error->message);
      return 2;
    }
  if (argc != 2)
    {
      g_printerr ("bench-forward: expected exactly one MODEL argument (see --help)\n");
      return 2;
    }
  if (batch < 1 || batch > 4096 || repeat < 1 || repeat > 100000
      || warmup < 0 || warmup > 1000 || threads < 1 || threads > 256)
    {
      g_printerr ("bench-forward: need 1 <= batch <= 4096, 1 <= repeat <= 100000, "
                  "0 <= warmup <= 1000, 1 <= threads <= 256\n");
      return 2;
    }
  if (method != NULL && g_strcmp0 (method, "forward") != 0)
    {
      g_printerr ("bench-forward: unknown method '%s': only 'forward' is implemented\n", method);
      return 2;
    }

  rel_core_init (threads);
  rel_context_init (&ctx);

  model = rel_model_load (argv[1], &error);
  if (model == NULL)
    {
      g_printerr ("bench-forward: %s: %s\n", argv[1], error->message);
      return 1;
    }
  input = make_input (model, batch, &error);
  if (input == NULL)
    {
      g_printerr ("bench-forward: %s: %s\n", argv[1], error->message);
      return 1;
    }

  ms = g_new (double, repeat);
  for (int i = 0; i < warmup + repeat; i++)
    {
      double t = time_forward (model, input, &ctx, &error);

      if (t < 0)
        {
          g_printerr ("bench-forward: %s: %s\n", argv[1], error->message);
          return 1;
        }
      if (i >= warmup)
        ms[i - warmup] = t;
    }
  qsort (ms, repeat, sizeof *ms, cmp_double);

  /* the folder names the fixture (tests/fixtures/NAME/model.onnx) */
  {
    g_autofree char *dir = g_path_get_dirname (argv[1]);
    g_autofree char *file = g_path_get_basename (argv[1]);
    g_autofree char *parent = g_path_get_basename (dir);
    base = g_strdup_printf ("%s/%s", parent, file);
  }
  printf ("model=%s method=forward batch=%d threads=%d repeat=%d "
          "median_ms=%.3f min_ms=%.3f max_ms=%.3f\n",
          base, batch, threads, repeat,
          repeat % 2 ? ms[repeat / 2] : 0.5 * (ms[repeat / 2 - 1] + ms[repeat / 2]),
          ms[0], ms[repeat - 1]);
  return 0;
}
