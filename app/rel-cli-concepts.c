/* rel-cli-concepts.c — `relevance-cli concepts`: which channels of a layer
 * carry a prediction (Concept Relevance Propagation), their conditional
 * heatmaps, and the images of a dataset that show each one best.
 *
 *   relevance-cli concepts MODEL INPUT [--layer L] [--top K | --channels C,…]
 *       [--method M] [--set key=value]… [--target T] [--rank abs|positive]
 *       [--reference DATASET [--per-concept N] [--mode relmax|actmax]]
 *       [--sub K] [--json] [--out-dir DIR]
 *
 * The layer defaults to the last convolution every path goes through (see
 * rel_concept_default_layer). With --out-dir each concept's conditional
 * heatmap is written as DIR/concept-<channel>.npy (the input's shape).
 * Reference boxes are x, y, width, height in the model's input pixels.
 * --sub K lists each concept's K largest parts in the Conv/Gemm/MatMul layer
 * below (the relevance its conditional pass leaves on each channel there).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-cli.h"
#include "rel-concepts.h"
#include "rel-error.h"
#include "rel-image.h"
#include "rel-npy.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>


#define DEFAULT_METHOD "lrp-epsilon-plus-flat"

static void
on_progress (int done, int total, gpointer data)
{
  if (isatty (STDERR_FILENO))
    fprintf (stderr, "\rconcepts: reference images %d/%d\033[K%s", done, total, done == total ? "\n" : "");
}

/* "3,17,41" → channels; FALSE on anything else. */
static gboolean
parse_channels (const char *text, GArray *out)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);

  for (int k = 0; parts[k]; k++)
    {
      char *end = NULL;
      gint64 v;
      g_strstrip (parts[k]);
      errno = 0;
      v = g_ascii_strtoll (parts[k], &end, 10);
      if (errno || end == parts[k] || *end != '\0' || v < 0 || v > G_MAXINT)
        return FALSE;
      g_array_append_vals (out, &(int) { (int) v }, 1);
    }
  return out->len > 0;
}

/* --channels: the layer's concepts of those channels, or NULL after the error line. */
static GArray *
pick_channels (GArray *all, GArray *channels, const char *layer_name)
{
  g_autoptr(GArray) chosen = g_array_new (FALSE, TRUE, sizeof (RelConcept));

  for (guint k = 0; k < channels->len; k++)
    {
      int c = g_array_index (channels, int, k);
      if (c >= (int) all->len)
        {
          rel_cli_fail (1, "--channels: channel %d is out of range: layer %s has channels 0–%u",
                        c, layer_name, all->len - 1);
          return NULL;
        }
      g_array_append_val (chosen, g_array_index (all, RelConcept, c));
    }
  return g_steal_pointer (&chosen);
}

/* --sub: the layer below and, per chosen concept, its largest parts there */
typedef struct {
  const char *layer;
  GPtrArray  *parts;   /* GArray of RelConcept per chosen concept */
} SubParts;

static void
print_json (const char *layer_name, const RelMethodDef *method, RelRelevancePass *pass, double total, GArray *all,
            GArray *chosen, char **heat_paths, RelConceptReferences *refs, const RelDataset *ds,
            const SubParts *sub)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "layer");
  json_builder_add_string_value (b, layer_name);
  json_builder_set_member_name (b, "method");
  json_builder_add_string_value (b, method->name);
  json_builder_set_member_name (b, "target_class");
  json_builder_add_int_value (b, rel_relevance_pass_target_class (pass));
  rel_cli_json_number (b, "explained_output", rel_relevance_pass_explained_output (pass));
  rel_cli_json_number (b, "layer_relevance", total);
  json_builder_set_member_name (b, "channels");
  json_builder_add_int_value (b, all->len);
  if (sub)
    {
      json_builder_set_member_name (b, "sub_layer");
      json_builder_add_string_value (b, sub->layer);
    }
  json_builder_set_member_name (b, "concepts");
  json_builder_begin_array (b);
  for (guint k = 0; k < chosen->len; k++)
    {
      const RelConcept *c = &g_array_index (chosen, RelConcept, k);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "channel");
      json_builder_add_int_value (b, c->channel);
      rel_cli_json_number (b, "relevance", c->relevance);
      rel_cli_json_number (b, "share", c->share);
      json_builder_set_member_name (b, "heatmap");
      if (heat_paths)
        json_builder_add_string_value (b, heat_paths[k]);
      else
        json_builder_add_null_value (b);
      if (sub)
        {
          GArray *p = g_ptr_array_index (sub->parts, k);
          json_builder_set_member_name (b, "sub_concepts");
          json_builder_begin_array (b);
          for (guint q = 0; q < p->len; q++)
            {
              json_builder_begin_object (b);
              json_builder_set_member_name (b, "channel");
              json_builder_add_int_value (b, g_array_index (p, RelConcept, q).channel);
              rel_cli_json_number (b, "relevance", g_array_index (p, RelConcept, q).relevance);
              rel_cli_json_number (b, "share", g_array_index (p, RelConcept, q).share);
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
        }
      json_builder_set_member_name (b, "reference");
      json_builder_begin_array (b);
      for (guint r = 0; refs && r < refs->refs[c->channel]->len; r++)
        {
          const RelConceptReference *ref = &g_array_index (refs->refs[c->channel], RelConceptReference, r);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "path");
          json_builder_add_string_value (b, g_ptr_array_index (ds->paths, ref->image));
          rel_cli_json_number (b, "value", ref->value);
          json_builder_set_member_name (b, "box");
          json_builder_begin_array (b);
          for (int q = 0; q < 4; q++)
            json_builder_add_int_value (b, ref->box[q]);
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

static void
print_text (RelModel *model, const char *layer_name, RelRelevancePass *pass, double total, GArray *all,
            GArray *chosen, char **heat_paths, RelConceptReferences *refs, const RelDataset *ds,
            const SubParts *sub)
{
  const char *label = rel_model_label (model, rel_relevance_pass_target_class (pass));
  printf ("layer %s (%u channels), class %d%s%s%s, explained output %.6g, relevance at the layer %.6g\n",
          layer_name, all->len, rel_relevance_pass_target_class (pass), label ? " (" : "", label ? label : "",
          label ? ")" : "", rel_relevance_pass_explained_output (pass), total);
  printf ("%8s %14s %8s\n", "channel", "relevance", "share");
  for (guint k = 0; k < chosen->len; k++)
    {
      const RelConcept *c = &g_array_index (chosen, RelConcept, k);
      printf ("%8d %14.6g %7.1f%%", c->channel, c->relevance, 100 * c->share);
      if (heat_paths)
        printf ("  %s", heat_paths[k]);
      printf ("\n");
      for (guint q = 0; sub && q < ((GArray *) g_ptr_array_index (sub->parts, k))->len; q++)
        {
          const RelConcept *p = &g_array_index ((GArray *) g_ptr_array_index (sub->parts, k), RelConcept, q);
          printf ("%8s ↳ %s channel %d: %.6g (%.1f%%)\n", "", sub->layer, p->channel, p->relevance, 100 * p->share);
        }
      for (guint r = 0; refs && r < refs->refs[c->channel]->len; r++)
        {
          const RelConceptReference *ref = &g_array_index (refs->refs[c->channel], RelConceptReference, r);
          printf ("%8s %14.6g  %s  [%d,%d %d×%d]\n", "", ref->value,
                  (const char *) g_ptr_array_index (ds->paths, ref->image),
                  ref->box[0], ref->box[1], ref->box[2], ref->box[3]);
        }
    }
}

/* --sub: each concept's @sub largest parts one layer below @node, into @sub_parts. */
static int
compute_sub_parts (RelRelevancePass *pass, RelModel *model, int node, int value, GArray *chosen, int sub,
                   RelConceptRank rank, SubParts *sub_parts)
{
  g_autoptr(GError) error = NULL;
  int below = rel_concept_layer_below (model, node);
  if (below < 0)
    return rel_cli_fail (1, "--sub: layer %s has no Conv/Gemm/MatMul layer below it", model->nodes[node].name);
  sub_parts->layer = model->nodes[below].name;
  for (guint k = 0; k < chosen->len; k++)
    {
      g_autoptr(GArray) p = rel_concept_subconcepts (pass, value, g_array_index (chosen, RelConcept, k).channel,
                                                     model->nodes[below].outputs[0], &error);
      if (p == NULL)
        return rel_cli_fail (1, "--sub: %s", error->message);
      g_ptr_array_add (sub_parts->parts, rel_concepts_top (p, sub, rank));
    }
  return 0;
}

/* --out-dir: each chosen concept's conditional heatmap as DIR/concept-C.npy;
 * the paths (NULL-terminated), or NULL after the message. */
static char **
write_heatmaps (RelRelevancePass *pass, int value, const int *cs, int n, const RelTensor *input, const char *out_dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) maps = rel_concept_heatmaps (pass, value, cs, n, &error);
  if (maps == NULL)
    {
      rel_cli_fail (1, "%s", error->message);
      return NULL;
    }
  g_auto(GStrv) heat_paths = g_new0 (char *, n + 1);
  for (int k = 0; k < n; k++)
    {
      int64_t shape[REL_MAX_DIMS];
      g_autoptr(RelTensor) one = NULL;
      g_autofree char *name = g_strdup_printf ("concept-%d.npy", cs[k]);
      memcpy (shape, input->shape, sizeof shape);
      one = rel_tensor_new_from_f32 (input->ndim, shape, rel_tensor_f32 (maps) + k * input->numel, &error);
      heat_paths[k] = g_build_filename (out_dir, name, NULL);
      if (one == NULL || !rel_npy_save (heat_paths[k], one, &error))
        {
          rel_cli_fail (1, "%s: %s", heat_paths[k], error->message);
          return NULL;
        }
    }
  return g_steal_pointer (&heat_paths);
}

int
rel_cli_concepts (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *layer = NULL, *method_name = NULL, *target_text = NULL, *rank_text = NULL;
  g_autofree char *reference = NULL, *mode_text = NULL, *out_dir = NULL, *channels_text = NULL;
  g_auto(GStrv) sets = NULL;
  gboolean json = FALSE;
  int top = 5, per_concept = 8, sub = 0;
  GOptionEntry entries[] = {
    { "layer", 'l', 0, G_OPTION_ARG_STRING, &layer, "The layer (node name; default: the last convolution)", "L" },
    { "top", 'k', 0, G_OPTION_ARG_INT, &top, "How many concepts (default 5)", "K" },
    { "channels", 0, 0, G_OPTION_ARG_STRING, &channels_text, "These channels instead of the top K", "C,…" },
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method_name, "An LRP method or input-x-gradient (default " DEFAULT_METHOD ")", "M" },
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "A method parameter", "KEY=VALUE" },
    { "target", 't', 0, G_OPTION_ARG_STRING, &target_text, "pred (default), a class index or A-B", "T" },
    { "rank", 0, 0, G_OPTION_ARG_STRING, &rank_text, "abs (by |relevance|, default) or positive", "R" },
    { "reference", 'r', 0, G_OPTION_ARG_FILENAME, &reference, "A folder of images to find each concept's reference images in", "DATASET" },
    { "per-concept", 'n', 0, G_OPTION_ARG_INT, &per_concept, "Reference images per concept (default 8)", "N" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode_text, "relmax (default) or actmax", "MODE" },
    { "sub", 0, 0, G_OPTION_ARG_INT, &sub, "Per concept, its K largest parts in the layer below", "K" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the result as one JSON object", NULL },
    { "out-dir", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir, "Write each concept's conditional heatmap here (.npy)", "DIR" },
    { NULL }
  };
  g_autoptr(GOptionContext) octx = g_option_context_new ("MODEL INPUT — the concepts (channels) a prediction relies on");
  g_autoptr(RelModel) model = NULL;
  g_autoptr(RelTensor) input = NULL;
  g_autoptr(RelParams) params = NULL;
  g_autoptr(RelRelevancePass) pass = NULL;
  g_autoptr(GArray) all = NULL;
  g_autoptr(GArray) chosen = NULL;
  g_autoptr(GArray) channels = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(RelDataset) ds = NULL;
  g_autoptr(RelConceptReferences) refs = NULL;
  g_autofree char **heat_paths = NULL;
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  SubParts sub_parts = { NULL, parts };
  const RelMethodDef *method;
  RelExplainRequest req = { 0 };
  RelConceptRank rank = REL_CONCEPT_RANK_ABS;
  RelConceptMode mode = REL_CONCEPT_RELMAX;
  int node = -1, value = -1, status;
  double total = 0;
  const char *layer_name;

  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    return rel_cli_fail (EXIT_USAGE, "%s", error->message);
  if (argc != 3)
    return rel_cli_fail (EXIT_USAGE, "usage: relevance-cli concepts MODEL INPUT [--layer L] [--top K] [--method M] [--reference DATASET [--per-concept N] [--mode relmax|actmax]] [--json] [--out-dir DIR]");
  if (top < 1 || top > 100000)
    return rel_cli_fail (EXIT_USAGE, "--top must be at least 1");
  if (sub < 0 || sub > 100000)
    return rel_cli_fail (EXIT_USAGE, "--sub must be 0 or more");
  if (per_concept < 1 || per_concept > 1000)
    return rel_cli_fail (EXIT_USAGE, "--per-concept must lie between 1 and 1000");
  if (rank_text && strcmp (rank_text, "abs") != 0 && strcmp (rank_text, "positive") != 0)
    return rel_cli_fail (EXIT_USAGE, "--rank must be abs or positive, not “%s”", rank_text);
  if (rank_text && strcmp (rank_text, "positive") == 0)
    rank = REL_CONCEPT_RANK_POSITIVE;
  if (mode_text && strcmp (mode_text, "relmax") != 0 && strcmp (mode_text, "actmax") != 0)
    return rel_cli_fail (EXIT_USAGE, "--mode must be relmax or actmax, not “%s”", mode_text);
  if (mode_text && strcmp (mode_text, "actmax") == 0)
    mode = REL_CONCEPT_ACTMAX;
  if (channels_text && !parse_channels (channels_text, channels))
    return rel_cli_fail (EXIT_USAGE, "--channels expects channel numbers separated by commas, not “%s”", channels_text);
  method = rel_method_lookup (method_name ? method_name : DEFAULT_METHOD);
  if (method == NULL)
    return rel_cli_fail (EXIT_USAGE, "unknown method “%s” (see relevance-cli methods)", method_name);
  if (!rel_relevance_pass_supports (method))
    return rel_cli_fail (EXIT_USAGE, "method %s cannot be conditioned on channels: use an LRP method or input-x-gradient",
                         method->name);
  params = rel_params_new (method);
  for (int k = 0; sets && sets[k]; k++)
    if (!rel_params_set_assignment (params, sets[k], &error))
      return rel_cli_fail (EXIT_USAGE, "--set: %s", error->message);
  if (!rel_target_parse (target_text, &req.target, &error))
    return rel_cli_fail (EXIT_USAGE, "--target: %s", error->message);

  if ((model = rel_model_load (argv[1], &error)) == NULL)
    return rel_cli_fail (1, "%s: %s", argv[1], error->message);
  if (!rel_concept_resolve_layer (model, layer, &node, &value, &error))
    return rel_cli_fail (1, "--layer: %s", error->message);
  layer_name = model->nodes[node].name;
  if (reference)
    {
      /* a bad folder fails before the work */
      if ((ds = rel_dataset_scan (reference, NULL, NULL, NULL, &error)) == NULL)
        return rel_cli_fail (1, "--reference: %s", error->message);
      if (ds->paths->len == 0)
        return rel_cli_fail (1, "--reference: %s holds no images", reference);
    }
  if (out_dir && g_mkdir_with_parents (out_dir, 0755) != 0)
    return rel_cli_fail (1, "--out-dir: cannot create %s: %s", out_dir, g_strerror (errno));
  if ((input = rel_input_load (model, argv[2], &error)) == NULL)
    return rel_cli_fail (1, "%s: %s", argv[2], error->message);

  req.model = model;
  req.input = input;
  req.params = params;
  if ((pass = rel_relevance_pass_new (NULL, &req, &error)) == NULL)
    return rel_cli_fail (1, "%s", error->message);
  if ((all = rel_concepts_compute (pass, value, &total, &error)) == NULL)
    return rel_cli_fail (1, "--layer %s: %s", layer_name, error->message);
  if (channels->len == 0)
    chosen = rel_concepts_top (all, top, rank);
  else if ((chosen = pick_channels (all, channels, layer_name)) == NULL)
    return 1;
  if (sub > 0 && (status = compute_sub_parts (pass, model, node, value, chosen, sub, rank, &sub_parts)))
    return status;

  {
    g_autofree int *cs = g_new (int, MAX (chosen->len, 1));
    for (guint k = 0; k < chosen->len; k++)
      cs[k] = g_array_index (chosen, RelConcept, k).channel;
    if (out_dir && (heat_paths = write_heatmaps (pass, value, cs, (int) chosen->len, input, out_dir)) == NULL)
      return 1;
    if (ds)
      {
        refs = rel_concept_references_compute (model, params, value, (const char *const *) ds->paths->pdata,
                                               (int) ds->paths->len, mode, per_concept, cs, (int) chosen->len,
                                               NULL, on_progress, NULL, &error);
        if (refs == NULL)
          return rel_cli_fail (1, "--reference: %s", error->message);
      }
  }

  if (json)
    print_json (layer_name, method, pass, total, all, chosen, heat_paths, refs, ds, sub > 0 ? &sub_parts : NULL);
  else
    print_text (model, layer_name, pass, total, all, chosen, heat_paths, refs, ds, sub > 0 ? &sub_parts : NULL);
  if (heat_paths)
    for (guint k = 0; k < chosen->len; k++)
      g_free (heat_paths[k]);
  return 0;
}
