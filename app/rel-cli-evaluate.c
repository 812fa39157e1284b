/* rel-cli-evaluate.c — `relevance-cli evaluate`: how far to trust a heatmap.
 *
 *   relevance-cli evaluate MODEL INPUT|DATASET --method A [--method B]...
 *       --metric NAME[,NAME...] [--set KEY=VALUE]... [--target T]
 *       [--region X,Y,W,H | --mask M.png] [--limit N] [--seed S] [--json]
 *
 * Every method explains the input (or each image of the folder), and every
 * metric of core/rel-eval.c scores each map. `--set key=value` goes to every
 * chosen metric and method that has the parameter, `NAME.key=value` to the
 * metric or method NAME only. A metric that does not apply to a map says why
 * and the others still run. For a folder, the figures are means with 95 %
 * confidence half-widths over the images where the metric applied, curves
 * the mean score per step.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-cli.h"
#include "rel-error.h"
#include "rel-eval.h"
#include "rel-inspect.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>


/* One (method, metric) cell over all images. */
typedef struct {
  GArray *values;      /* double per image, NaN where not applicable */
  char   *reason;      /* the first not_applicable message */
  double *curve;       /* summed scores per step (curves) */
  double *curve2;      /* abpc: the LeRF curve */
  double *steps;
  int     n_steps, n_curves;
  char  **labels;
  RelMetricResult *single;  /* single input: the result itself */
} Cell;

static void
cell_add (Cell *cell, RelMetricResult *r)
{
  double v = r->not_applicable ? NAN : r->value;
  g_array_append_val (cell->values, v);
  if (r->not_applicable && cell->reason == NULL)
    cell->reason = g_strdup (r->not_applicable);
  if (!r->not_applicable && r->n_steps > 0)
    {
      if (cell->n_curves == 0)
        {
          cell->n_steps = r->n_steps;
          cell->curve = g_new0 (double, r->n_steps);
          cell->curve2 = r->scores2 ? g_new0 (double, r->n_steps) : NULL;
          cell->steps = g_memdup2 (r->steps, sizeof (double) * r->n_steps);
          cell->labels = r->labels ? g_strdupv (r->labels) : NULL;
        }
      if (r->n_steps == cell->n_steps)
        {
          for (int k = 0; k < r->n_steps; k++)
            {
              cell->curve[k] += r->scores[k];
              if (cell->curve2 && r->scores2)
                cell->curve2[k] += r->scores2[k];
            }
          cell->n_curves++;
        }
    }
}

static void
json_doubles (JsonBuilder *b, const char *name, const double *v, int n, double scale)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (int k = 0; k < n; k++)
    {
      double x = v[k] * scale;
      if (isfinite (x))
        json_builder_add_double_value (b, x);
      else
        json_builder_add_null_value (b);
    }
  json_builder_end_array (b);
}

/* Applies "key=value" or "NAME.key=value" to the metrics' and methods' params. */
static gboolean
apply_set (const char *assignment, GPtrArray *metrics, GPtrArray *metric_params, GPtrArray *methods,
           GPtrArray *method_params, GError **error)
{
  g_autofree char *copy = g_strdup (assignment);
  char *eq = strchr (copy, '='), *dot, *key = copy, *scope = NULL;
  gboolean used = FALSE;

  if (eq == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "expected KEY=VALUE");
      return FALSE;
    }
  *eq = '\0';
  dot = strchr (copy, '.');
  if (dot)
    {
      *dot = '\0';
      scope = copy;
      key = dot + 1;
    }
  for (guint i = 0; i < metrics->len; i++)
    {
      const RelMetricDef *m = g_ptr_array_index (metrics, i);
      if (scope && strcmp (scope, m->name) != 0)
        continue;
      if (rel_method_param (&m->params_def, key) == NULL)
        continue;
      if (!rel_params_set (g_ptr_array_index (metric_params, i), key, eq + 1, error))
        return FALSE;
      used = TRUE;
    }
  for (guint i = 0; i < methods->len; i++)
    {
      const RelMethodDef *m = g_ptr_array_index (methods, i);
      if (scope && strcmp (scope, m->name) != 0)
        continue;
      if (rel_method_param (m, key) == NULL)
        continue;
      if (!rel_params_set (g_ptr_array_index (method_params, i), key, eq + 1, error))
        return FALSE;
      used = TRUE;
    }
  if (!used)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "no chosen %s has a parameter “%s”",
                   scope ? scope : "metric or method", key);
      return FALSE;
    }
  return TRUE;
}

static void
on_progress (const RelMetricResult *partial, double fraction, gpointer data)
{
  if (isatty (STDERR_FILENO))
    fprintf (stderr, "\r%s %3d%%\033[K", (const char *) data, (int) (fraction * 100));
}

static void
cells_free (Cell *cells, int n_cells)
{
  for (int i = 0; i < n_cells; i++)
    {
      g_array_unref (cells[i].values);
      g_free (cells[i].reason);
      g_free (cells[i].curve);
      g_free (cells[i].curve2);
      g_free (cells[i].steps);
      g_strfreev (cells[i].labels);
      rel_metric_result_free (cells[i].single);
    }
  g_free (cells);
}

/* Every method on every image, every metric on every map, into @cells
 * (method-major). FALSE with the error naming the image, method and metric. */
static gboolean
evaluate_images (RelModel *model, GPtrArray *paths, const RelRegion *region, RelTarget target, gint64 seed,
                 GPtrArray *methods, GPtrArray *method_params, GPtrArray *metrics, GPtrArray *metric_params,
                 gboolean dataset, Cell *cells, GError **error)
{
  int n_images = (int) paths->len;

  for (int im = 0; im < n_images; im++)
    {
      const char *path = g_ptr_array_index (paths, im);
      g_autofree guint8 *mask = NULL;
      g_autoptr(RelTensor) input = rel_inspect_load (model, path, region, region ? &mask : NULL, error);

      if (input == NULL)
        return FALSE;
      for (guint mi = 0; mi < methods->len; mi++)
        {
          const RelMethodDef *method = g_ptr_array_index (methods, mi);
          RelExplainRequest er = { 0 };
          g_autoptr(RelExplanation) e = NULL;

          er.model = model;
          er.input = input;
          er.target = target;
          er.params = g_ptr_array_index (method_params, mi);
          er.seed = (guint64) seed;
          if ((e = rel_explain (method, &er, error)) == NULL)
            {
              g_prefix_error (error, "%s: %s: ", path, method->name);
              return FALSE;
            }
          for (guint ki = 0; ki < metrics->len; ki++)
            {
              const RelMetricDef *metric = g_ptr_array_index (metrics, ki);
              RelMetricRequest mr = { 0 };
              g_autoptr(RelMetricResult) r = NULL;
              g_autofree char *label = g_strdup_printf ("%s %s", method->name, metric->name);
              Cell *cell = &cells[mi * metrics->len + ki];

              mr.model = model;
              mr.input = input;
              mr.target.kind = REL_TARGET_CLASS;
              mr.target = target.kind == REL_TARGET_CONTRAST ? target : (RelTarget) { REL_TARGET_CLASS, e->target_class, 0, target.log_prob };
              mr.relevance = e->relevance;
              mr.method_params = g_ptr_array_index (method_params, mi);
              mr.mask = mask;
              mr.params = g_ptr_array_index (metric_params, ki);
              mr.seed = (guint64) seed;
              mr.progress = on_progress;
              mr.progress_data = label;
              r = rel_metric_run (metric, &mr, error);
              if (isatty (STDERR_FILENO))
                fprintf (stderr, "\r\033[K");
              if (r == NULL)
                {
                  g_prefix_error (error, "%s: %s, %s: ", path, method->name, metric->name);
                  return FALSE;
                }
              cell_add (cell, r);
              if (!dataset)
                cell->single = g_steal_pointer (&r);
            }
        }
    }
  return TRUE;
}

/* The table as one JSON object: per method, per metric the value (or the
 * data set's mean, CI and n), the curves and why a metric did not apply. */
static void
print_json_report (const char *input, gboolean dataset, int n_images, gint64 seed, GPtrArray *methods,
                   GPtrArray *metrics, const Cell *cells)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, dataset ? "dataset" : "input");
  {
    g_autofree char *s = g_filename_display_name (input);
    json_builder_add_string_value (b, s);
  }
  if (dataset)
    {
      json_builder_set_member_name (b, "images");
      json_builder_add_int_value (b, n_images);
    }
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, seed);
  json_builder_set_member_name (b, "methods");
  json_builder_begin_array (b);
  for (guint mi = 0; mi < methods->len; mi++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "method");
      json_builder_add_string_value (b, ((const RelMethodDef *) g_ptr_array_index (methods, mi))->name);
      json_builder_set_member_name (b, "metrics");
      json_builder_begin_object (b);
      for (guint ki = 0; ki < metrics->len; ki++)
        {
          const RelMetricDef *metric = g_ptr_array_index (metrics, ki);
          const Cell *cell = &cells[mi * metrics->len + ki];
          double mean, ci;
          int used;

          json_builder_set_member_name (b, metric->name);
          json_builder_begin_object (b);
          rel_eval_mean_ci ((double *) cell->values->data, (int) cell->values->len, &mean, &ci, &used);
          if (dataset)
            {
              rel_cli_json_number (b, "mean", mean);
              rel_cli_json_number (b, "ci95", ci);
              json_builder_set_member_name (b, "n");
              json_builder_add_int_value (b, used);
            }
          else
            rel_cli_json_number (b, "value", mean);
          if (cell->reason && (used == 0 || dataset))
            {
              json_builder_set_member_name (b, "not_applicable");
              json_builder_add_string_value (b, cell->reason);
            }
          if (cell->n_curves > 0)
            {
              double s = 1.0 / cell->n_curves;
              json_doubles (b, "steps", cell->steps, cell->n_steps, 1.0);
              json_doubles (b, "scores", cell->curve, cell->n_steps, s);
              if (cell->curve2)
                {
                  json_doubles (b, "scores_morf", cell->curve, cell->n_steps, s);
                  json_doubles (b, "scores_lerf", cell->curve2, cell->n_steps, s);
                }
              if (cell->labels)
                {
                  json_builder_set_member_name (b, "layers");
                  json_builder_begin_array (b);
                  for (int k = 0; cell->labels[k]; k++)
                    json_builder_add_string_value (b, cell->labels[k]);
                  json_builder_end_array (b);
                }
            }
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

static void
print_text_report (const char *input, gboolean dataset, int n_images, GPtrArray *methods, GPtrArray *metrics,
                   const Cell *cells)
{
  if (dataset)
    printf ("%d images of %s (mean ± 95%% CI, n)\n", n_images, input);
  for (guint mi = 0; mi < methods->len; mi++)
    {
      printf ("%s\n", ((const RelMethodDef *) g_ptr_array_index (methods, mi))->name);
      for (guint ki = 0; ki < metrics->len; ki++)
        {
          const RelMetricDef *metric = g_ptr_array_index (metrics, ki);
          const Cell *cell = &cells[mi * metrics->len + ki];
          double mean, ci;
          int used;
          rel_eval_mean_ci ((double *) cell->values->data, (int) cell->values->len, &mean, &ci, &used);
          if (used == 0)
            printf ("  %-16s n/a: %s\n", metric->name, cell->reason ? cell->reason : "no value");
          else if (dataset)
            printf ("  %-16s %.4g ± %.2g (n = %d)\n", metric->name, mean, ci, used);
          else
            printf ("  %-16s %.4g\n", metric->name, mean);
        }
    }
}

int
rel_cli_evaluate (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) method_names = NULL, metric_lists = NULL, sets = NULL;
  g_autofree char *target_text = NULL, *region_text = NULL, *mask_path = NULL;
  gboolean json = FALSE;
  gint64 seed = 0;
  int limit = 0;
  GOptionEntry entries[] = {
    { "method", 'm', 0, G_OPTION_ARG_STRING_ARRAY, &method_names, "An explainer to evaluate (repeatable)", "NAME" },
    { "metric", 'e', 0, G_OPTION_ARG_STRING_ARRAY, &metric_lists, "Metrics, comma-separated (repeatable)", "NAME[,NAME…]" },
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "A parameter of the metrics or methods that have it; NAME.KEY=VALUE for one", "KEY=VALUE" },
    { "target", 't', 0, G_OPTION_ARG_STRING, &target_text, "Class to explain: pred (default), an index, or A-B", "TARGET" },
    { "region", 'r', 0, G_OPTION_ARG_STRING, &region_text, "Ground truth for localisation, in image pixels", "X,Y,W,H|FILE.json" },
    { "mask", 0, 0, G_OPTION_ARG_FILENAME, &mask_path, "Ground truth as a mask image (white inside)", "MASK.png" },
    { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, "A folder: at most N images (the first N in order)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of random draws (default 0)", "S" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the result as one JSON object", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) octx = g_option_context_new ("MODEL INPUT|DATASET — score explanations by faithfulness, robustness, complexity, localisation, randomisation");
  g_autoptr(GPtrArray) metrics = g_ptr_array_new ();
  g_autoptr(GPtrArray) metric_params = g_ptr_array_new_with_free_func ((GDestroyNotify) rel_params_free);
  g_autoptr(GPtrArray) methods = g_ptr_array_new ();
  g_autoptr(GPtrArray) method_params = g_ptr_array_new_with_free_func ((GDestroyNotify) rel_params_free);
  g_autoptr(RelModel) model = NULL;
  g_autoptr(RelRegion) region = NULL;
  g_autoptr(RelDataset) ds = NULL;
  g_autofree int *labels = NULL;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  RelTarget target = { REL_TARGET_PREDICTED, 0, 0, FALSE };
  gboolean dataset;
  Cell *cells;
  int n_cells, n_images;

  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    return rel_cli_fail (EXIT_USAGE, "%s", error->message);
  if (argc != 3)
    return rel_cli_fail (EXIT_USAGE, "usage: relevance-cli evaluate MODEL INPUT|DATASET --method NAME... --metric NAME[,NAME...]");
  if (method_names == NULL)
    return rel_cli_fail (EXIT_USAGE, "--method is required (see relevance-cli methods)");
  if (metric_lists == NULL)
    {
      GString *s = g_string_new (NULL);
      for (const RelMetricDef *const *m = rel_metrics (); *m; m++)
        g_string_append_printf (s, "%s%s", s->len ? ", " : "", (*m)->name);
      rel_cli_fail (EXIT_USAGE, "--metric is required (metrics: %s)", s->str);
      g_string_free (s, TRUE);
      return EXIT_USAGE;
    }
  if (region_text && mask_path)
    return rel_cli_fail (EXIT_USAGE, "give the ground truth as either --region or --mask, not both");
  if (seed < 0 || limit < 0)
    return rel_cli_fail (EXIT_USAGE, "--seed and --limit must not be negative");
  for (int i = 0; method_names[i]; i++)
    {
      const RelMethodDef *m = rel_method_lookup (method_names[i]);
      if (m == NULL)
        return rel_cli_fail (EXIT_USAGE, "unknown method “%s” (see relevance-cli methods)", method_names[i]);
      g_ptr_array_add (methods, (gpointer) m);
      g_ptr_array_add (method_params, rel_params_new (m));
    }
  for (int i = 0; metric_lists[i]; i++)
    {
      g_auto(GStrv) names = g_strsplit (metric_lists[i], ",", -1);
      for (int j = 0; names[j]; j++)
        {
          const RelMetricDef *m = rel_metric_lookup (g_strstrip (names[j]));
          if (names[j][0] == '\0')
            continue;
          if (m == NULL)
            {
              GString *s = g_string_new (NULL);
              for (const RelMetricDef *const *d = rel_metrics (); *d; d++)
                g_string_append_printf (s, "%s%s", s->len ? ", " : "", (*d)->name);
              rel_cli_fail (EXIT_USAGE, "unknown metric “%s” (metrics: %s)", names[j], s->str);
              g_string_free (s, TRUE);
              return EXIT_USAGE;
            }
          g_ptr_array_add (metrics, (gpointer) m);
          g_ptr_array_add (metric_params, rel_metric_params_new (m));
        }
    }
  if (metrics->len == 0)
    return rel_cli_fail (EXIT_USAGE, "--metric names no metric");
  for (int i = 0; sets && sets[i]; i++)
    if (!apply_set (sets[i], metrics, metric_params, methods, method_params, &error))
      return rel_cli_fail (EXIT_USAGE, "--set %s: %s", sets[i], error->message);
  if (target_text && !rel_target_parse (target_text, &target, &error))
    return rel_cli_fail (EXIT_USAGE, "--target: %s", error->message);
  if (region_text || mask_path)
    {
      region = region_text ? rel_cli_region (region_text, &error) : rel_region_load_mask (mask_path, &error);
      if (region == NULL)
        return rel_cli_fail (1, "%s", error->message);
    }

  if ((model = rel_model_load (argv[1], &error)) == NULL)
    return rel_cli_fail (1, "%s: %s", argv[1], error->message);
  dataset = g_file_test (argv[2], G_FILE_TEST_IS_DIR);
  if (dataset)
    {
      if ((ds = rel_cli_load_dataset (model, argv[2], &labels, &error)) == NULL)
        return rel_cli_fail (1, "%s", error->message);
      for (guint i = 0; i < ds->paths->len && (limit == 0 || (int) i < limit); i++)
        g_ptr_array_add (paths, g_strdup (g_ptr_array_index (ds->paths, i)));
    }
  else
    g_ptr_array_add (paths, g_strdup (argv[2]));
  n_images = (int) paths->len;

  n_cells = (int) (methods->len * metrics->len);
  cells = g_new0 (Cell, n_cells);
  for (int i = 0; i < n_cells; i++)
    cells[i].values = g_array_new (FALSE, FALSE, sizeof (double));

  if (!evaluate_images (model, paths, region, target, seed, methods, method_params, metrics, metric_params, dataset,
                        cells, &error))
    goto failed;

  if (json)
    print_json_report (argv[2], dataset, n_images, seed, methods, metrics, cells);
  else
    print_text_report (argv[2], dataset, n_images, methods, metrics, cells);
  cells_free (cells, n_cells);
  return 0;

failed:
  cells_free (cells, n_cells);
  return rel_cli_fail (1, "%s", error->message);
}
