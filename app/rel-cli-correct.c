/* rel-cli-correct.c — `relevance-cli correct`: remove a Clever Hans from a
 * model (P-ClArC or A-ClArC) and measure it before and after.
 *
 *   relevance-cli correct MODEL DATASET --class C
 *       (--region x,y,w,h | --mask M.png) [--source IMAGE] | --artifact-folder DIR
 *       --layer L|auto --method p-clarc|a-clarc [--direction full|channel] [--cav pattern|logistic]
 *       [--epochs N] [--holdout 0.5] [--seed S] -o CORRECTED.onnx [--json]
 *
 * DATASET holds artifact-free images, one subfolder per class. The artifact is
 * the region of --source pasted into copies of them (without --source: the
 * DATASET image of class C that most needs the region), or the images of
 * --artifact-folder (a class folder layout, or flat). Every figure is
 * measured on the held-out share of the images; nothing is written when
 * anything fails.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-atomic-file.h"
#include "rel-cli.h"
#include "rel-clarc.h"
#include "rel-error.h"
#include "rel-onnx-export.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>


static void
on_progress (const char *stage, double fraction, gpointer data)
{
  if (isatty (STDERR_FILENO))
    fprintf (stderr, "\rcorrect: %-24s %3d%%\033[K", stage, (int) (fraction * 100));
}

static void
json_figures (JsonBuilder *b, const char *name, const RelClarcFigures *f)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  rel_cli_json_number (b, "clean_accuracy", f->clean_accuracy);
  rel_cli_json_number (b, "flip_rate", f->flip_rate);
  rel_cli_json_number (b, "relevance_mass", f->relevance_mass);
  json_builder_set_member_name (b, "clean_images");
  json_builder_add_int_value (b, f->clean_images);
  json_builder_set_member_name (b, "flip_candidates");
  json_builder_add_int_value (b, f->flip_candidates);
  json_builder_end_object (b);
}

static void
print_json (RelModel *model, const RelClarcResult *res, const char *method_text, RelClarcMethod method,
            RelCavKind kind, RelCavFit fit, int target, const char *class_name, const char *source_path,
            const char *out)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "method");
  json_builder_add_string_value (b, method_text);
  json_builder_set_member_name (b, "class");
  json_builder_add_string_value (b, rel_model_label (model, target) ? rel_model_label (model, target) : class_name);
  json_builder_set_member_name (b, "layer");
  json_builder_add_string_value (b, res->layer);
  json_builder_set_member_name (b, "direction");
  json_builder_add_string_value (b, kind == REL_CAV_FULL ? "full" : "channel");
  json_builder_set_member_name (b, "cav");
  json_builder_add_string_value (b, rel_cav_fit_name (fit));
  rel_cli_json_number (b, "cav_accuracy", res->cav_accuracy);
  rel_cli_json_number (b, "cav_auc", res->cav_auc);
  json_figures (b, "before", &res->before);
  json_figures (b, "after", &res->after);
  json_builder_set_member_name (b, "fit_images");
  json_builder_add_int_value (b, res->n_fit);
  json_builder_set_member_name (b, "holdout_images");
  json_builder_add_int_value (b, res->n_holdout);
  if (source_path)
    {
      g_autofree char *s = g_filename_display_name (source_path);
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, s);
    }
  if (method == REL_CLARC_P)
    rel_cli_json_number (b, "max_logit_difference", res->max_logit_difference);
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (int l = 0; l < res->n_layers; l++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "layer");
      json_builder_add_string_value (b, res->layers[l].layer);
      rel_cli_json_number (b, "cav_accuracy", res->layers[l].cav_accuracy);
      rel_cli_json_number (b, "cav_auc", res->layers[l].cav_auc);
      rel_cli_json_number (b, "clean_accuracy", res->layers[l].clean_accuracy);
      rel_cli_json_number (b, "flip_rate", res->layers[l].flip_rate);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "output");
  {
    g_autofree char *o = g_filename_display_name (out);
    json_builder_add_string_value (b, o);
  }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

/* --artifact-folder / --artifact-group: the images that carry the artifact
 * (and with a region, its mask). 0, or the exit status after the error line. */
static int
load_artifact_images (RelModel *model, const char *artifact_dir, const char *artifact_group, const RelRegion *region,
                      RelDataset **art, int **art_labels, guint8 **src_mask)
{
  g_autoptr(GError) error = NULL;

  if ((*art = rel_cli_load_dataset_group (model, artifact_dir, artifact_group, FALSE, art_labels, &error)) == NULL)
    return rel_cli_fail (1, "%s", error->message);
  if ((*art)->paths->len == 0)
    return rel_cli_fail (1, "%s holds no images; a direction needs at least %d with the artifact",
                         artifact_dir, 2 * REL_CLARC_MIN_IMAGES);
  /* with a region too: the relevance mass is measured in it */
  if (region)
    {
      g_autoptr(RelTensor) first = rel_inspect_load (model, g_ptr_array_index ((*art)->paths, 0), region,
                                                     src_mask, &error);
      if (first == NULL)
        return rel_cli_fail (1, "%s", error->message);
    }
  return 0;
}

static void
print_text (const RelClarcResult *res, const char *method_text, const char *out)
{
  for (int l = 0; res->n_layers > 1 && l < res->n_layers; l++)
      if (isnan (res->layers[l].cav_accuracy))
        printf ("  layer %-16s skipped (too large to keep, or no trace of the artifact)\n", res->layers[l].layer);
      else
        printf ("  layer %-16s CAV accuracy %.3f AUC %.3f  clean %.3f  flip %.3f\n", res->layers[l].layer,
              res->layers[l].cav_accuracy, res->layers[l].cav_auc, res->layers[l].clean_accuracy,
              res->layers[l].flip_rate);
  printf ("%s at layer %s (CAV accuracy %.3f, AUC %.3f on %d held-out images)\n", method_text, res->layer,
          res->cav_accuracy, res->cav_auc, res->n_holdout);
  printf ("  before: clean accuracy %.3f, flip rate %.3f, relevance mass %.3f\n", res->before.clean_accuracy,
          res->before.flip_rate, res->before.relevance_mass);
  printf ("  after:  clean accuracy %.3f, flip rate %.3f, relevance mass %.3f\n", res->after.clean_accuracy,
          res->after.flip_rate, res->after.relevance_mass);
  printf ("wrote %s\n", out);
}

/* --method, --direction, --cav, --holdout, --epochs, --explain. 0, or the
 * exit status after the error line. */
static int
parse_choices (const char *method_text, const char *direction, const char *cav_text, double holdout, int epochs,
               const char *explain_method, RelClarcMethod *method, RelCavKind *kind, RelCavFit *fit,
               RelParams **mparams)
{
  g_autoptr(GError) error = NULL;

  if (method_text == NULL || (strcmp (method_text, "p-clarc") != 0 && strcmp (method_text, "a-clarc") != 0))
    return rel_cli_fail (EXIT_USAGE, "--method must be p-clarc or a-clarc");
  *method = strcmp (method_text, "p-clarc") == 0 ? REL_CLARC_P : REL_CLARC_A;
  if (direction && strcmp (direction, "full") != 0 && strcmp (direction, "channel") != 0)
    return rel_cli_fail (EXIT_USAGE, "--direction must be full or channel");
  if (direction && strcmp (direction, "channel") == 0)
    *kind = REL_CAV_CHANNEL;
  if (cav_text && !rel_cav_fit_parse (cav_text, fit, &error))
    return rel_cli_fail (EXIT_USAGE, "--cav: %s", error->message);
  if (!(holdout > 0 && holdout < 1))
    return rel_cli_fail (EXIT_USAGE, "--holdout must lie between 0 and 1");
  if (epochs < 0 || epochs > 1000)
    return rel_cli_fail (EXIT_USAGE, "--epochs must lie between 1 and 1000");
  {
    const RelMethodDef *m = rel_method_lookup (explain_method ? explain_method : REL_INSPECT_DEFAULT_METHOD);
    if (m == NULL)
      return rel_cli_fail (EXIT_USAGE, "unknown method “%s” (see relevance-cli methods)", explain_method);
    *mparams = rel_params_new (m);
  }
  return 0;
}

static gboolean
has_class (const RelDataset *ds, const int *labels, int target)
{
  for (guint i = 0; i < ds->paths->len; i++)
    if (labels[i] == target)
      return TRUE;
  return FALSE;
}

int
rel_cli_correct (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *class_name = NULL, *region_text = NULL, *mask_path = NULL, *source = NULL;
  g_autofree char *artifact_dir = NULL, *layer = NULL, *method_text = NULL, *direction = NULL, *out = NULL;
  g_autofree char *cav_text = NULL;
  g_autofree char *explain_method = NULL, *group = NULL, *artifact_group = NULL;
  gboolean json = FALSE;
  int epochs = 0;
  double holdout = 0.5;
  gint64 seed = 0;
  GOptionEntry entries[] = {
    { "class", 'c', 0, G_OPTION_ARG_STRING, &class_name, "The class the artifact speaks for", "C" },
    { "region", 'r', 0, G_OPTION_ARG_STRING, &region_text, "The artifact's region in image pixels", "X,Y,W,H|FILE.json" },
    { "mask", 0, 0, G_OPTION_ARG_FILENAME, &mask_path, "The artifact's region as a mask image", "MASK.png" },
    { "source", 0, 0, G_OPTION_ARG_FILENAME, &source, "The image whose region holds the artifact", "IMAGE" },
    { "group", 'g', 0, G_OPTION_ARG_STRING, &group, "DATASET's artifact-free group (e.g. clean), when it has groups", "G" },
    { "artifact-folder", 0, 0, G_OPTION_ARG_FILENAME, &artifact_dir, "Images that carry the artifact", "DIR" },
    { "artifact-group", 0, 0, G_OPTION_ARG_STRING, &artifact_group, "The group of DATASET (or of --artifact-folder) that carries the artifact", "G" },
    { "layer", 'l', 0, G_OPTION_ARG_STRING, &layer, "The layer (node name), or auto", "L" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &method_text, "p-clarc or a-clarc", "M" },
    { "direction", 0, 0, G_OPTION_ARG_STRING, &direction, "full (C×H×W, default) or channel (max-pooled)", "D" },
    { "cav", 0, 0, G_OPTION_ARG_STRING, &cav_text, "How the direction is fitted: pattern (mean difference, default) or logistic", "FIT" },
    { "explain", 0, 0, G_OPTION_ARG_STRING, &explain_method, "Explainer for the relevance mass (default " REL_INSPECT_DEFAULT_METHOD ")", "NAME" },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &epochs, "A-ClArC: fine-tuning epochs (default 5)", "N" },
    { "holdout", 0, 0, G_OPTION_ARG_DOUBLE, &holdout, "Share of the images held out for the figures (default 0.5)", "F" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "A-ClArC: shuffle seed (default 0)", "S" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "The corrected model", "CORRECTED.onnx" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the result as one JSON object", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) octx = g_option_context_new ("MODEL DATASET — remove an artifact from a model");
  g_autoptr(RelModel) model = NULL;
  g_autoptr(RelDataset) ds = NULL;
  g_autoptr(RelDataset) art = NULL;
  g_autoptr(RelRegion) region = NULL;
  g_autoptr(RelTensor) src = NULL;
  g_autoptr(RelClarcResult) res = NULL;
  g_autoptr(RelParams) mparams = NULL;
  g_autofree guint8 *src_mask = NULL;
  g_autofree int *labels = NULL, *art_labels = NULL;
  g_autofree char *source_path = NULL;
  RelClarcRequest req = { 0 };
  RelClarcMethod method = REL_CLARC_P;
  RelCavKind kind = REL_CAV_FULL;
  RelCavFit fit = REL_CAV_PATTERN;
  int target;

  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    return rel_cli_fail (EXIT_USAGE, "%s", error->message);
  if (argc != 3)
    return rel_cli_fail (EXIT_USAGE, "usage: relevance-cli correct MODEL DATASET --class C (--region X,Y,W,H | --mask M.png | --artifact-folder DIR) --layer L|auto --method p-clarc|a-clarc -o CORRECTED.onnx");
  if (class_name == NULL)
    return rel_cli_fail (EXIT_USAGE, "--class is required");
  if ((region_text != NULL) + (mask_path != NULL) > 1
      || (region_text == NULL && mask_path == NULL && artifact_dir == NULL && artifact_group == NULL))
    return rel_cli_fail (EXIT_USAGE, "give the artifact as --region X,Y,W,H, --mask MASK.png or --artifact-folder DIR");
  if (out == NULL)
    return rel_cli_fail (EXIT_USAGE, "-o CORRECTED.onnx is required");
  int status = parse_choices (method_text, direction, cav_text, holdout, epochs, explain_method, &method, &kind, &fit,
                              &mparams);
  if (status != 0)
    return status;
  if ((region_text || mask_path)
      && (region = region_text ? rel_cli_region (region_text, &error) : rel_region_load_mask (mask_path, &error)) == NULL)
    return rel_cli_fail (1, "%s", error->message);

  {
    /* an unwritable output fails now, not after the work */
    RelAtomicFile *probe = rel_atomic_file_open (out, &error);
    if (probe == NULL)
      return rel_cli_fail (1, "%s: %s", out, error->message);
    rel_atomic_file_abort (probe);
  }
  if ((model = rel_model_load (argv[1], &error)) == NULL)
    return rel_cli_fail (1, "%s: %s", argv[1], error->message);
  target = rel_inspect_find_class (model, class_name);
  if (target < 0)
    {
      g_autofree char *list = rel_cli_class_list (model);
      return rel_cli_fail (1, "the model has no class “%s” (its classes: %s)", class_name, list);
    }
  if (layer && strcmp (layer, "auto") != 0 && rel_clarc_find_layer (model, layer, &error) < 0)
    return rel_cli_fail (1, "--layer: %s", error->message);
  if ((ds = rel_cli_load_dataset_group (model, argv[2], group, TRUE, &labels, &error)) == NULL)
    return rel_cli_fail (1, "%s", error->message);
  if (artifact_group && artifact_dir == NULL)
    artifact_dir = g_strdup (argv[2]);
  if (!has_class (ds, labels, target))
    return rel_cli_fail (1, "%s has no images of class %s", argv[2], rel_model_label (model, target));
  if (artifact_dir)
    status = load_artifact_images (model, artifact_dir, artifact_group, region, &art, &art_labels, &src_mask);
  else if ((source_path = rel_cli_pick_source (model, argv[2], group, ds, labels, target, region, REL_FILL_INPAINT,
                                               source, &error)) == NULL)
    status = rel_cli_fail (1, "%s", error->message);
  else if ((src = rel_inspect_load (model, source_path, region, &src_mask, &error)) == NULL)
    status = rel_cli_fail (1, "%s", error->message);
  if (status != 0)
    return status;

  req.model = model;
  req.paths = (const char *const *) ds->paths->pdata;
  req.labels = labels;
  req.n = (int) ds->paths->len;
  req.target = target;
  req.region = region;
  req.source = src;
  req.source_mask = src_mask;
  if (art)
    {
      req.artifact_paths = (const char *const *) art->paths->pdata;
      req.artifact_labels = art_labels;
      req.n_artifact = (int) art->paths->len;
    }
  req.layer = layer;
  req.method = method;
  req.kind = kind;
  req.fit = fit;
  req.holdout = holdout;
  req.epochs = epochs;
  req.seed = (guint64) seed;
  req.method_params = mparams;
  req.progress = on_progress;
  res = rel_clarc_run (&req, &error);
  if (isatty (STDERR_FILENO))
    fprintf (stderr, "\r\033[K");
  if (res == NULL)
    return rel_cli_fail (1, "%s", error->message);
  if (method == REL_CLARC_P && !(res->max_logit_difference <= 1e-4))
    return rel_cli_fail (1, "the written model does not reproduce the projection (logits differ by %g); nothing written",
                         res->max_logit_difference);
  /* through a temporary renamed over the target (rel-atomic-file.h) */
  if (!rel_onnx_export (res->corrected, out, &error))
    return rel_cli_fail (1, "%s: %s", out, error->message);

  if (json)
    {
      print_json (model, res, method_text, method, kind, fit, target, class_name, source_path, out);
      return 0;
    }

  print_text (res, method_text, out);
  return 0;
}
