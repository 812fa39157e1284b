/* relevance-cli.c — the command-line front end: a subcommand dispatcher.
 *
 *   relevance-cli [--threads N] <command> [options]
 *     predict MODEL INPUT...   top-K classes with softmax probabilities
 *     bench MODEL              latency of the forward pass (or of a method)
 *     ops                      the supported ONNX operators
 *     explain / methods        explanations (app/rel-cli-explain.c)
 *
 * Every failure is exactly one line on stderr, "relevance-cli: <message>",
 * with exit status 1, or 2 for a usage error (bad option, missing argument,
 * invalid option value); scripts can rely on both.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-cli.h"
#include "rel-core.h"
#include "rel-error.h"
#include "rel-file.h"
#include "rel-image.h"
#include "rel-model.h"
#include "rel-npy.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DEFAULT_THREADS 2
#define MAX_THREADS 256
/* samples per forward pass when predict batches inputs of one shape */
#define PREDICT_MAX_BATCH 16

static char *
one_line (const char *fmt, va_list ap)
{
  char *msg = g_strdup_vprintf (fmt, ap);
  g_strdelimit (msg, "\n\r", ' ');
  return msg;
}

/* "relevance-cli: …", or under MPI "relevance-cli: rank R: …" (rel_cli_name). */
void
rel_cli_error (const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  msg = one_line (fmt, ap);
  va_end (ap);
  fprintf (stderr, "%s: %s\n", rel_cli_name (), msg);
  fflush (stderr);
}

int
rel_cli_fail (int status, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  msg = one_line (fmt, ap);
  va_end (ap);
  rel_cli_error ("%s", msg);
  return status;
}

int
rel_cli_fail_error (int status, const GError *error)
{
  return rel_cli_fail (status, "%s", error ? error->message : "unknown error");
}

/* The image size limit lives in the environment, where the core reads it
 * (rel_image_max_pixels), so it holds for every reader; set before any thread. */
static gboolean
parse_max_megapixels (const char *text)
{
  guint64 v;
  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, REL_IMAGE_MAX_MEGAPIXELS, &v, NULL))
    {
      rel_cli_error ("--max-megapixels must be an integer from 1 to %d", REL_IMAGE_MAX_MEGAPIXELS);
      return FALSE;
    }
  g_setenv ("RELEVANCE_MAX_MEGAPIXELS", text, TRUE);
  return TRUE;
}

static gboolean
parse_threads (const char *text, int *threads)
{
  guint64 v;
  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, MAX_THREADS, &v, NULL))
    {
      rel_cli_error ("--threads must be an integer from 1 to %d", MAX_THREADS);
      return FALSE;
    }
  *threads = (int) v;
  return TRUE;
}

/* ---- options shared by several commands ---- */

typedef struct {
  int   threads;
  char *mean, *std, *scale, *resize, *labels;
} CommonOptions;

static void
common_options_clear (CommonOptions *o)
{
  g_free (o->mean);
  g_free (o->std);
  g_free (o->scale);
  g_free (o->resize);
  g_free (o->labels);
}

static void
add_threads_option (GOptionContext *ctx, CommonOptions *o)
{
  GOptionEntry entries[] = {
    { "threads", 0, 0, G_OPTION_ARG_INT, &o->threads, "Worker threads (default 2)", "N" },
    { NULL },
  };
  g_option_context_add_main_entries (ctx, entries, NULL);
}

static void
add_preprocess_options (GOptionContext *ctx, CommonOptions *o)
{
  GOptionEntry entries[] = {
    { "mean", 0, 0, G_OPTION_ARG_STRING, &o->mean, "Per-channel mean subtracted after scaling", "M[,M,M]" },
    { "std", 0, 0, G_OPTION_ARG_STRING, &o->std, "Per-channel standard deviation", "S[,S,S]" },
    { "scale", 0, 0, G_OPTION_ARG_STRING, &o->scale, "Pixel multiplier before mean/std (default 1/255)", "F" },
    { "resize", 0, 0, G_OPTION_ARG_STRING, &o->resize,
      "Resize the shorter side to PX, then center-crop (0: resize to the input size)", "PX" },
    { "labels", 0, 0, G_OPTION_ARG_FILENAME, &o->labels, "Class labels, one per line", "FILE" },
    { NULL },
  };
  /* in the main group so that --help shows them */
  g_option_context_add_main_entries (ctx, entries, NULL);
}

/* Parses a subcommand's options; on a usage error prints it and returns FALSE. */
static gboolean
parse_options (GOptionContext *ctx, const char *command, int *argc, char ***argv, CommonOptions *o)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      rel_cli_error ("%s: %s (try 'relevance-cli %s --help')", command, error->message, command);
      return FALSE;
    }
  if (o && (o->threads < 1 || o->threads > MAX_THREADS))
    {
      rel_cli_error ("%s: --threads must be from 1 to %d", command, MAX_THREADS);
      return FALSE;
    }
  return TRUE;
}

/* Loads the model and applies preprocessing overrides. */
static RelModel *
load_model (const char *path, const CommonOptions *o, int *status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) model = NULL;
  const struct { const char *key, *value; } overrides[] = {
    { "mean", o->mean }, { "std", o->std }, { "scale", o->scale },
    { "resize", o->resize }, { "labels_file", o->labels },
  };

  model = rel_model_load (path, &error);
  if (model == NULL)
    {
      *status = rel_cli_fail_error (1, error);
      return NULL;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (overrides); i++)
    {
      if (overrides[i].value == NULL)
        continue;
      if (!rel_preprocess_set (model, overrides[i].key, overrides[i].value, &error))
        {
          /* a bad option value is a usage error; an unreadable labels file is not */
          gboolean usage = g_error_matches (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT)
                           && strcmp (overrides[i].key, "labels_file") != 0;
          /* the core says "<key>: why"; name the option instead */
          g_autofree char *prefix = g_strdup_printf ("%s: ", overrides[i].key);
          const char *why = g_str_has_prefix (error->message, prefix) ? error->message + strlen (prefix)
                                                                      : error->message;
          rel_cli_error ("--%s: %s", strcmp (overrides[i].key, "labels_file") == 0 ? "labels" : overrides[i].key, why);
          *status = usage ? EXIT_USAGE : 1;
          return NULL;
        }
    }
  return g_steal_pointer (&model);
}

/* ---- predict ---- */

typedef struct {
  const char *path;
  RelTensor  *tensor;   /* N×… */
} PendingInput;

static int
compare_desc (gconstpointer a, gconstpointer b, gpointer data)
{
  const float *logits = data;
  float x = logits[*(const int *) a], y = logits[*(const int *) b];
  /* NaN sorts last */
  if (isnan (x) || isnan (y))
    return isnan (x) - isnan (y);
  if (x != y)
    return x > y ? -1 : 1;
  return *(const int *) a - *(const int *) b;
}

static void
softmax (const float *logits, int n, double *p)
{
  double max = -INFINITY, sum = 0;

  for (int i = 0; i < n; i++)
    if (logits[i] > max)
      max = logits[i];
  for (int i = 0; i < n; i++)
    {
      p[i] = exp ((double) logits[i] - max);
      sum += p[i];
    }
  for (int i = 0; i < n; i++)
    p[i] /= sum;
}

/* JSON has no NaN or infinity: write null. */
static void
add_number (JsonBuilder *b, double v)
{
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
print_prediction (RelModel *model, const char *path, int sample, int n_samples,
                  const float *logits, int n, int top, gboolean json)
{
  g_autofree double *p = g_new (double, n);
  g_autofree int *order = g_new (int, n);
  int k = MIN (top, n);

  softmax (logits, n, p);
  for (int i = 0; i < n; i++)
    order[i] = i;
  g_qsort_with_data (order, n, sizeof (int), compare_desc, (gpointer) logits);

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "input");
      json_builder_add_string_value (b, path);
      if (n_samples > 1)
        {
          json_builder_set_member_name (b, "sample");
          json_builder_add_int_value (b, sample);
        }
      json_builder_set_member_name (b, "top");
      json_builder_begin_array (b);
      for (int r = 0; r < k; r++)
        {
          const char *label = rel_model_label (model, order[r]);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "index");
          json_builder_add_int_value (b, order[r]);
          json_builder_set_member_name (b, "label");
          if (label)
            json_builder_add_string_value (b, label);
          else
            json_builder_add_null_value (b);
          json_builder_set_member_name (b, "probability");
          add_number (b, p[order[r]]);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "logits");
      json_builder_begin_array (b);
      for (int i = 0; i < n; i++)
        add_number (b, logits[i]);
      json_builder_end_array (b);
      json_builder_end_object (b);

      root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      text = json_generator_to_data (gen, NULL);
      printf ("%s\n", text);
    }
  else
    {
      if (n_samples > 1)
        printf ("%s [%d]\n", path, sample);
      else
        printf ("%s\n", path);
      for (int r = 0; r < k; r++)
        {
          const char *label = rel_model_label (model, order[r]);
          printf ("  %2d. class %-5d  p = %.6f  logit = %.6g%s%s\n", r + 1, order[r], p[order[r]],
                  (double) logits[order[r]], label ? "  " : "", label ? label : "");
        }
    }
  fflush (stdout);
}

/* Runs one forward pass over the pending inputs (same sample shape) and prints each sample. */
static gboolean
flush_batch (RelModel *model, GArray *pending, int top, gboolean json, GError **error)
{
  g_autoptr(RelTensor) batch = NULL;
  g_autoptr(RelActivations) acts = NULL;
  RelTensor *first, *out;
  int64_t total = 0, per_in, per_out, row = 0;
  RelContext ctx;

  if (pending->len == 0)
    return TRUE;
  first = g_array_index (pending, PendingInput, 0).tensor;
  for (guint i = 0; i < pending->len; i++)
    total += g_array_index (pending, PendingInput, i).tensor->shape[0];
  if (pending->len == 1)
    batch = rel_tensor_ref (first);
  else
    {
      int64_t shape[REL_MAX_DIMS];
      memcpy (shape, first->shape, sizeof shape);
      shape[0] = total;
      batch = rel_tensor_new_f32 (first->ndim, shape, error);
      if (batch == NULL)
        return FALSE;
      per_in = first->numel / first->shape[0];
      for (guint i = 0; i < pending->len; i++)
        {
          RelTensor *t = g_array_index (pending, PendingInput, i).tensor;
          memcpy (rel_tensor_f32 (batch) + row * per_in, t->data, (size_t) t->numel * sizeof (float));
          row += t->shape[0];
        }
    }

  rel_context_init (&ctx);
  acts = rel_model_forward (model, batch, &ctx, error);
  if (acts == NULL)
    return FALSE;
  out = rel_activations_output (acts);
  if (out == NULL || out->dtype != REL_DTYPE_FLOAT32 || out->numel == 0
      || (total > 1 && (out->ndim < 1 || out->shape[0] != total)) || out->numel % total != 0)
    {
      g_autofree char *s = out ? rel_tensor_shape_string (out) : g_strdup ("nothing");
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "the model's output has shape %s, which is not one row of class scores per sample", s);
      return FALSE;
    }
  per_out = out->numel / total;
  /* an overflowing model: name the input instead of ranking classes by NaN */
  row = 0;
  for (guint i = 0; i < pending->len; i++)
    {
      const PendingInput *p = &g_array_index (pending, PendingInput, i);
      int64_t n = p->tensor->shape[0] * per_out;
      int64_t bad = rel_find_nonfinite (rel_tensor_f32 (out) + row * per_out, n);
      if (bad >= 0)
        {
          float v = rel_tensor_f32 (out)[row * per_out + bad];
          g_autofree char *shown = rel_quote_path (p->path);
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "%s: the model's output holds %s at sample %" G_GINT64_FORMAT ", class %" G_GINT64_FORMAT,
                       shown, isnan (v) ? "NaN" : v > 0 ? "+Inf" : "-Inf", bad / per_out, bad % per_out);
          return FALSE;
        }
      row += p->tensor->shape[0];
    }
  row = 0;
  if (per_out > G_MAXINT)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "the model's output has too many classes");
      return FALSE;
    }
  row = 0;
  for (guint i = 0; i < pending->len; i++)
    {
      PendingInput *in = &g_array_index (pending, PendingInput, i);
      int n = (int) in->tensor->shape[0];
      for (int s = 0; s < n; s++, row++)
        print_prediction (model, in->path, s, n, rel_tensor_f32 (out) + row * per_out, (int) per_out, top, json);
    }
  return TRUE;
}

static void
pending_clear (GArray *pending)
{
  for (guint i = 0; i < pending->len; i++)
    rel_tensor_unref (g_array_index (pending, PendingInput, i).tensor);
  g_array_set_size (pending, 0);
}

static gboolean
same_sample_shape (const RelTensor *a, const RelTensor *b)
{
  if (a->ndim != b->ndim)
    return FALSE;
  for (int i = 1; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i])
      return FALSE;
  return TRUE;
}

static int
cmd_predict (int argc, char **argv)
{
  CommonOptions o = { .threads = rel_core_threads () };
  int top = 5;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "top", 'k', 0, G_OPTION_ARG_INT, &top, "Show the K most probable classes (default 5)", "K" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per input and line: input, top, logits", NULL },
    { NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("MODEL INPUT… — classify images or .npy arrays");
  g_autoptr(RelModel) model = NULL;
  g_autoptr(GArray) pending = g_array_new (FALSE, FALSE, sizeof (PendingInput));
  g_autoptr(GError) error = NULL;
  RelValue *in;
  gboolean can_batch;
  int status = 0;
  int64_t pending_n = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  add_threads_option (ctx, &o);
  add_preprocess_options (ctx, &o);
  g_option_context_set_description (ctx,
    "INPUT is an image (PNG, JPEG, BMP, TIFF, GIF, PNM, WebP) preprocessed as the model's\n"
    "metadata or sidecar <MODEL>.ini says, or a .npy array (C×H×W or N×C×H×W) used as is.\n"
    "Inputs of one shape are batched into one forward pass.\n");
  if (!parse_options (ctx, "predict", &argc, &argv, &o))
    {
      common_options_clear (&o);
      return EXIT_USAGE;
    }
  if (argc < 3)
    {
      common_options_clear (&o);
      rel_cli_error ("predict: give a MODEL and at least one INPUT (try 'relevance-cli predict --help')");
      return EXIT_USAGE;
    }
  if (top < 1)
    {
      common_options_clear (&o);
      rel_cli_error ("predict: --top must be at least 1");
      return EXIT_USAGE;
    }
  rel_core_init (o.threads);
  model = load_model (argv[1], &o, &status);
  common_options_clear (&o);
  if (model == NULL)
    return status;

  /* batching needs a free batch dimension */
  in = rel_model_value (model, model->input);
  can_batch = in && in->ndim >= 1 && in->shape[0] <= 0;
  for (int i = 2; i < argc; i++)
    {
      PendingInput p = { argv[i], rel_input_load (model, argv[i], &error) };
      if (p.tensor == NULL)
        {
          status = rel_cli_fail_error (1, error);
          goto out;
        }
      if (pending->len > 0
          && (!can_batch || pending_n + p.tensor->shape[0] > PREDICT_MAX_BATCH
              || !same_sample_shape (g_array_index (pending, PendingInput, 0).tensor, p.tensor)))
        {
          if (!flush_batch (model, pending, top, json, &error))
            {
              rel_tensor_unref (p.tensor);
              status = rel_cli_fail_error (1, error);
              goto out;
            }
          pending_clear (pending);
          pending_n = 0;
        }
      g_array_append_val (pending, p);
      pending_n += p.tensor->shape[0];
    }
  if (!flush_batch (model, pending, top, json, &error))
    status = rel_cli_fail_error (1, error);

out:
  pending_clear (pending);
  return status;
}

/* ---- bench ---- */

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static gboolean
bench_run (RelModel *model, const char *method, const char *const *sets, RelTensor *input, GError **error)
{
  if (g_strcmp0 (method, "forward") == 0)
    {
      RelContext ctx;
      RelActivations *acts;

      rel_context_init (&ctx);
      acts = rel_model_forward (model, input, &ctx, error);
      if (acts == NULL)
        return FALSE;
      rel_activations_free (acts);
      return TRUE;
    }
  /* every other method: the explainers' hook (app/rel-cli-explain.c) */
  return rel_cli_bench_method (model, method, sets, input, error);
}

static int
cmd_bench (int argc, char **argv)
{
  CommonOptions o = { .threads = rel_core_threads () };
  g_autofree char *method = NULL;
  g_auto(GStrv) sets = NULL;
  int batch = 1, repeat = 20, warmup = 3;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method,
      "What to time: forward (default) or an explanation method, NAME or NAME:key=value,… (see 'methods')",
      "NAME" },
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "A method parameter, as for explain (repeatable)",
      "KEY=VALUE" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "Samples per input (default 1)", "B" },
    { "repeat", 'n', 0, G_OPTION_ARG_INT, &repeat, "Timed runs (default 20)", "N" },
    { "warmup", 'w', 0, G_OPTION_ARG_INT, &warmup, "Untimed runs first (default 3)", "W" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL },
    { NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("MODEL — time a forward pass or an explanation");
  g_autoptr(RelModel) model = NULL;
  g_autoptr(RelTensor) input = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = NULL;
  g_autofree double *times = NULL;
  int64_t shape[REL_MAX_DIMS];
  int ndim, status = 0;
  float low, high;

  g_option_context_add_main_entries (ctx, entries, NULL);
  add_threads_option (ctx, &o);
  add_preprocess_options (ctx, &o);
  g_option_context_set_description (ctx,
    "The input is uniform random noise over the model's input range (fixed seed).\n"
    "Prints the median, minimum and maximum time of the timed runs in milliseconds.\n");
  if (!parse_options (ctx, "bench", &argc, &argv, &o))
    {
      common_options_clear (&o);
      return EXIT_USAGE;
    }
  if (method == NULL)
    method = g_strdup ("forward");
  if (sets && strcmp (method, "forward") == 0)
    {
      common_options_clear (&o);
      rel_cli_error ("bench: --set needs a --method to set it on");
      return EXIT_USAGE;
    }
  if (argc != 2 || batch < 1 || batch > 4096 || repeat < 1 || repeat > 1000000 || warmup < 0 || warmup > 1000000)
    {
      common_options_clear (&o);
      if (argc != 2)
        rel_cli_error ("bench: give exactly one MODEL (try 'relevance-cli bench --help')");
      else
        rel_cli_error ("bench: --batch must be 1 to 4096, --repeat 1 to 1000000, --warmup 0 to 1000000");
      return EXIT_USAGE;
    }
  rel_core_init (o.threads);
  model = load_model (argv[1], &o, &status);
  common_options_clear (&o);
  if (model == NULL)
    return status;

  if (!rel_model_input_shape (model, batch, &ndim, shape, &error)
      || (input = rel_tensor_new_f32 (ndim, shape, &error)) == NULL)
    return rel_cli_fail_error (1, error);
  low = model->preprocess.range_low;
  high = model->preprocess.range_high;
  if (!(low < high) || !isfinite (low) || !isfinite (high))
    {
      low = 0;
      high = 1;
    }
  rand = g_rand_new_with_seed (0x5eed);
  for (int64_t i = 0; i < input->numel; i++)
    rel_tensor_f32 (input)[i] = (float) g_rand_double_range (rand, low, high);

  for (int i = 0; i < warmup; i++)
    if (!bench_run (model, method, (const char *const *) sets, input, &error))
      return rel_cli_fail_error (1, error);
  times = g_new (double, repeat);
  for (int i = 0; i < repeat; i++)
    {
      double t0 = now_ms ();
      if (!bench_run (model, method, (const char *const *) sets, input, &error))
        return rel_cli_fail_error (1, error);
      times[i] = now_ms () - t0;
    }
  qsort (times, (size_t) repeat, sizeof (double), compare_double);
  {
    double median = repeat % 2 ? times[repeat / 2] : 0.5 * (times[repeat / 2 - 1] + times[repeat / 2]);
    double min = times[0], max = times[repeat - 1];

    if (json)
      {
        g_autoptr(JsonBuilder) b = json_builder_new ();
        g_autoptr(JsonGenerator) gen = json_generator_new ();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;

        json_builder_begin_object (b);
        json_builder_set_member_name (b, "model");
        json_builder_add_string_value (b, argv[1]);
        json_builder_set_member_name (b, "method");
        json_builder_add_string_value (b, method);
        json_builder_set_member_name (b, "batch");
        json_builder_add_int_value (b, batch);
        json_builder_set_member_name (b, "repeat");
        json_builder_add_int_value (b, repeat);
        json_builder_set_member_name (b, "warmup");
        json_builder_add_int_value (b, warmup);
        json_builder_set_member_name (b, "threads");
        json_builder_add_int_value (b, rel_core_threads ());
        json_builder_set_member_name (b, "median_ms");
        json_builder_add_double_value (b, median);
        json_builder_set_member_name (b, "min_ms");
        json_builder_add_double_value (b, min);
        json_builder_set_member_name (b, "max_ms");
        json_builder_add_double_value (b, max);
        json_builder_end_object (b);
        root = json_builder_get_root (b);
        json_generator_set_root (gen, root);
        text = json_generator_to_data (gen, NULL);
        printf ("%s\n", text);
      }
    else
      printf ("%s: %s, batch %d, %d runs after %d warm-up, %d threads: median %.3f ms, min %.3f ms, max %.3f ms\n",
              argv[1], method, batch, repeat, warmup, rel_core_threads (), median, min, max);
  }
  return 0;
}

/* ---- ops ---- */

static int
cmd_ops (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— list the supported ONNX operators, one per line");

  if (!parse_options (ctx, "ops", &argc, &argv, NULL))
    return EXIT_USAGE;
  if (argc != 1)
    {
      rel_cli_error ("ops: takes no arguments");
      return EXIT_USAGE;
    }
  for (const char *const *n = rel_op_names (); *n; n++)
    printf ("%s\n", *n);
  return 0;
}

/* ---- dispatch ---- */

/* Every command: adding one is a row here (and its file in meson.build).
 * The help and the unknown-command error list this table. */
static const struct {
  const char *name;
  const char *summary;
  int       (*run) (int argc, char **argv);  /* argv[0] is the command */
  gboolean    prgname;  /* its --help's usage line names the command (the others set their own) */
} commands[] = {
  { "predict", "MODEL INPUT…  top-K classes and probabilities", cmd_predict, TRUE },
  { "explain", "MODEL INPUT…  relevance heatmaps (see 'methods')", rel_cli_explain, FALSE },
  { "methods", "              the explanation methods and their parameters", rel_cli_methods, FALSE },
  { "bench",   "MODEL         time the forward pass or a method", cmd_bench, TRUE },
  { "ops",     "              the supported ONNX operators", cmd_ops, TRUE },
  { "train",   "--dataset PATH  train a small CNN, optionally with a planted artifact", rel_cli_train, FALSE },
  { "spray",   "MODEL DATASET  cluster a class's explanations (SpRAy)", rel_cli_spray, FALSE },
  { "merge",   "PART…  join the parts of a --shard K/N run of explain --dataset or spray", rel_cli_merge, FALSE },
  { "inspect", "MODEL DATASET  test a suspected Clever Hans: relevance mass, removal, transplant", rel_cli_inspect, FALSE },
  { "correct", "MODEL DATASET  remove an artifact from a model (P-ClArC, A-ClArC)", rel_cli_correct, FALSE },
  { "evaluate", "MODEL INPUT|DATASET  score explanations: pixel flipping, infidelity, sensitivity, sanity checks",
    rel_cli_evaluate, FALSE },
  { "concepts", "MODEL INPUT  the channels a prediction relies on, their heatmaps and reference images (CRP)",
    rel_cli_concepts, FALSE },
};

static void
print_usage (FILE *f)
{
  fprintf (f, "Usage:\n  relevance-cli [--threads N] [--max-megapixels N] COMMAND [OPTION…]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (f, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf (f, "\nGlobal options:\n  --threads N   worker threads (default %d)\n"
              "  --max-megapixels N\n"
              "                images of N megapixels or more are refused unread (default %d;\n"
              "                also RELEVANCE_MAX_MEGAPIXELS)\n"
              "  --version     print the version\n"
              "\n'relevance-cli COMMAND --help' describes a command's options.\n",
           DEFAULT_THREADS, REL_IMAGE_DEFAULT_MEGAPIXELS);
}

static int
run (int argc, char **argv)
{
  int threads = DEFAULT_THREADS;
  int i = 1;
  const char *command;

  setlocale (LC_ALL, "");
  /* numbers on stdout are for scripts: always a decimal point */
  setlocale (LC_NUMERIC, "C");

  /* global options come before the command */
  for (; i < argc && argv[i][0] == '-'; i++)
    {
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          print_usage (stdout);
          return 0;
        }
      else if (strcmp (argv[i], "--version") == 0)
        {
          printf ("relevance-cli %s\n", PACKAGE_VERSION);
          return 0;
        }
      else if (strcmp (argv[i], "--threads") == 0)
        {
          if (!parse_threads (i + 1 < argc ? argv[++i] : NULL, &threads))
            return EXIT_USAGE;
        }
      else if (g_str_has_prefix (argv[i], "--threads="))
        {
          if (!parse_threads (argv[i] + strlen ("--threads="), &threads))
            return EXIT_USAGE;
        }
      else if (strcmp (argv[i], "--max-megapixels") == 0)
        {
          if (!parse_max_megapixels (i + 1 < argc ? argv[++i] : NULL))
            return EXIT_USAGE;
        }
      else if (g_str_has_prefix (argv[i], "--max-megapixels="))
        {
          if (!parse_max_megapixels (argv[i] + strlen ("--max-megapixels=")))
            return EXIT_USAGE;
        }
      else
        {
          rel_cli_error ("unknown option '%s' (try 'relevance-cli --help')", argv[i]);
          return EXIT_USAGE;
        }
    }
  if (i >= argc)
    {
      rel_cli_error ("no command given (try 'relevance-cli --help')");
      return EXIT_USAGE;
    }
  command = argv[i];
  argc -= i;
  argv += i;
  rel_core_init (threads);
  if (strcmp (command, "help") == 0)
    {
      print_usage (stdout);
      return 0;
    }
  /* under mpirun, explain --dataset and spray run as ranks of one job */
  g_set_prgname ("relevance-cli");
  if ((strcmp (command, "spray") == 0 || strcmp (command, "explain") == 0) && rel_cli_mpi_wanted ())
    {
      gboolean dataset = strcmp (command, "spray") == 0;
      for (int a = 1; a < argc && !dataset; a++)
        dataset = strcmp (argv[a], "--dataset") == 0 || g_str_has_prefix (argv[a], "--dataset=");
      if (dataset)
        return rel_cli_mpi_run (command, argc, argv);
    }
  for (gsize c = 0; c < G_N_ELEMENTS (commands); c++)
    if (strcmp (command, commands[c].name) == 0)
      {
        /* set once: the usage line of a command's --help names the command */
        g_autofree char *prgname = g_strdup_printf ("relevance-cli %s", command);
        g_set_prgname (commands[c].prgname ? prgname : "relevance-cli");
        return commands[c].run (argc, argv);
      }

  g_autoptr (GString) names = g_string_new (NULL);
  for (gsize c = 0; c < G_N_ELEMENTS (commands); c++)
    g_string_append_printf (names, "%s%s", c ? ", " : "", commands[c].name);
  rel_cli_error ("unknown command '%s' (commands: %s)", command, names->str);
  return EXIT_USAGE;
}

/* Standard output is an output file too: `predict --json > /dev/full` must
 * not exit 0 with the results lost in a full buffer. */
static int
finish_stdout (int status)
{
  errno = 0;
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      int e = errno ? errno : EIO;
      if (status == 0)
        {
          rel_cli_error ("cannot write to standard output: %s", g_strerror (e));
          return 1;
        }
    }
  return status;
}

int
main (int argc, char **argv)
{
  return finish_stdout (run (argc, argv));
}
