/* rel-cli-inspect.c — `relevance-cli inspect`: is a suspected Clever Hans
 * real? Relevance mass in a region, removal and transplant over a data set.
 *
 *   relevance-cli inspect MODEL DATASET --class C (--region x,y,w,h|FILE.json | --mask M.png)
 *       [--source IMAGE [--place same|random [--seed S]]] --mode mass|remove|transplant
 *       [--method M] [--set K=V]...
 *       [--fill zero|mean|blur|inpaint] [--json]
 *   relevance-cli inspect MODEL DATASET --class C --mode suggest [--share 0.5] [--mask-out M.png]
 *
 * DATASET is an image folder with one subfolder per class (matched against
 * the model's labels; "T-shirt-top" is the label "T-shirt/top"). The region is
 * in the original images' pixels. Without --source, a transplant takes the
 * region from the image of class C whose probability drops most when the
 * region is removed. --mode suggest averages class C's heatmaps over the images
 * predicted as C and prints the region that holds half of its positive
 * relevance (rel_inspect_suggest), in the first image's pixels.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-atomic-file.h"
#include "rel-cli.h"
#include "rel-image.h"
#include "rel-dataset.h"
#include "rel-error.h"
#include "rel-inspect.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>


char *
rel_cli_pick_source (RelModel *model, const char *root, const char *group, const RelDataset *ds, const int *labels,
                     int target, const RelRegion *region, RelFill fill, const char *source, GError **error)
{
  g_autofree int *all_labels = NULL;
  g_autoptr(RelDataset) all = NULL;
  g_autoptr(GError) local = NULL;
  const RelDataset *from = ds;
  int pick;

  if (source)
    return g_strdup (source);
  /* from every group of DATASET: the artifact is in the tagged ones */
  if (group)
    {
      if ((all = rel_cli_load_dataset (model, root, &all_labels, error)) == NULL)
        return NULL;
      from = all;
      labels = all_labels;
    }
  pick = rel_inspect_pick_source (model, (const char *const *) from->paths->pdata, labels, (int) from->paths->len,
                                  target, region, fill, NULL, &local);
  if (pick < 0)
    {
      g_set_error (error, local->domain, local->code, "%s (give --source IMAGE)", local->message);
      return NULL;
    }
  return g_strdup (g_ptr_array_index (from->paths, pick));
}

void
rel_cli_json_number (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
on_progress (double fraction, gpointer data)
{
  if (isatty (STDERR_FILENO))
    fprintf (stderr, "\r%s %3d%%\033[K", (const char *) data, (int) (fraction * 100));
}

char *
rel_cli_class_list (RelModel *model)
{
  GString *s = g_string_new (NULL);
  for (int c = 0; c < rel_model_num_classes (model); c++)
    g_string_append_printf (s, "%s%s", c ? ", " : "", rel_model_label (model, c) ? rel_model_label (model, c) : "?");
  return g_string_free (s, FALSE);
}

RelRegion *
rel_cli_region (const char *text, GError **error)
{
  if (g_str_has_suffix (text, ".json") || g_str_has_suffix (text, ".JSON"))
    return rel_region_load_json (text, NULL, error);
  return rel_region_parse (text, error);
}

RelDataset *
rel_cli_load_dataset (RelModel *model, const char *root, int **labels, GError **error)
{
  return rel_cli_load_dataset_group (model, root, NULL, FALSE, labels, error);
}

RelDataset *
rel_cli_load_dataset_group (RelModel *model, const char *root, const char *group, gboolean need_group,
                            int **labels, GError **error)
{
  g_autoptr(RelDataset) ds = rel_dataset_scan (root, NULL, NULL, NULL, error);
  g_autoptr(RelDatasetLayout) layout = NULL;
  g_autofree int *lab = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  g_autoptr(GArray) kept = NULL;
  int gi = -1;

  if (ds == NULL)
    return NULL;
  if (ds->paths->len == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "%s holds no images", root);
      return NULL;
    }
  lab = rel_inspect_dataset_labels (model, ds);
  layout = rel_dataset_layout_new (ds->root, (const char *const *) ds->paths->pdata, ds->paths->len,
                                   (const char *const *) model->labels, model->labels ? model->n_labels : 0,
                                   rel_model_num_classes (model), 0, NULL);
  if (layout == NULL || layout->n_groups == 0)
    {
      if (group)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "%s has no groups above its class folders, so no group “%s”", root, group);
          return NULL;
        }
      *labels = g_steal_pointer (&lab);
      return g_steal_pointer (&ds);
    }
  for (int g = 0; group && g < layout->n_groups; g++)
    if (strcmp (layout->group_names[g], group) == 0)
      gi = g;
  if (gi < 0 && (group || need_group))
    {
      g_autofree char *list = g_strjoinv (", ", layout->group_names);
      if (group)
        g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "%s has no group “%s” (its groups: %s)",
                     root, group, list);
      else
        g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                     "%s mixes the groups %s: name the artifact-free one with --group", root, list);
      return NULL;
    }
  if (gi < 0)
    {
      *labels = g_steal_pointer (&lab);
      return g_steal_pointer (&ds);
    }
  /* keep the group's images only */
  paths = g_ptr_array_new_with_free_func (g_free);
  kept = g_array_new (FALSE, FALSE, sizeof (int));
  {
    int *out = g_new (int, MAX (ds->paths->len, 1)), n = 0;
    for (guint i = 0; i < ds->paths->len; i++)
      if (layout->image_group[i] == gi)
        {
          g_ptr_array_add (paths, g_strdup (g_ptr_array_index (ds->paths, i)));
          g_array_append_val (kept, g_array_index (ds->labels, int, i));
          out[n++] = lab[i];
        }
    g_ptr_array_unref (ds->paths);
    g_array_unref (ds->labels);
    ds->paths = g_steal_pointer (&paths);
    ds->labels = g_steal_pointer (&kept);
    *labels = out;
  }
  return g_steal_pointer (&ds);
}

/* --mode suggest: the region the class's mean heatmap points at. */
static int
inspect_suggest (const char *model_path, const char *root, const char *group, const char *class_name,
                 const char *method_name,
                 char **sets, double share, const char *mask_out, gboolean json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) model = NULL;
  g_autoptr(RelDataset) ds = NULL;
  g_autoptr(RelParams) params = NULL;
  g_autoptr(RelRegion) region = NULL;
  g_autofree int *labels = NULL;
  const RelMethodDef *method = rel_method_lookup (method_name ? method_name : REL_INSPECT_DEFAULT_METHOD);
  RelInspectRequest req = { 0 };
  int target, used = 0, pixels = 0;
  int ix, iy, iw, ih;   /* the box in the first image's pixels */

  if (method == NULL)
    return rel_cli_fail (EXIT_USAGE, "unknown method “%s” (see relevance-cli methods)", method_name);
  if (!(share > 0 && share <= 1))
    return rel_cli_fail (EXIT_USAGE, "--share must lie in (0, 1]");
  params = rel_params_new (method);
  for (int i = 0; sets && sets[i]; i++)
    if (!rel_params_set_assignment (params, sets[i], &error))
      return rel_cli_fail (EXIT_USAGE, "--set %s: %s", sets[i], error->message);
  if (mask_out)
    {
      RelAtomicFile *probe = rel_atomic_file_open (mask_out, &error);
      if (probe == NULL)
        return rel_cli_fail (1, "%s: %s", mask_out, error->message);
      rel_atomic_file_abort (probe);
    }
  if ((model = rel_model_load (model_path, &error)) == NULL)
    return rel_cli_fail (1, "%s: %s", model_path, error->message);
  if ((target = rel_inspect_find_class (model, class_name)) < 0)
    {
      g_autofree char *list = rel_cli_class_list (model);
      return rel_cli_fail (1, "the model has no class “%s” (its classes: %s)", class_name, list);
    }
  if ((ds = rel_cli_load_dataset_group (model, root, group, FALSE, &labels, &error)) == NULL)
    return rel_cli_fail (1, "%s", error->message);
  req.model = model;
  req.paths = (const char *const *) ds->paths->pdata;
  req.labels = labels;
  req.n = (int) ds->paths->len;
  req.target = target;
  req.method_params = params;
  req.progress = on_progress;
  req.progress_data = (gpointer) "suggest";
  region = rel_inspect_suggest (&req, share, &used, &error);
  if (isatty (STDERR_FILENO))
    fprintf (stderr, "\r\033[K");
  if (region == NULL)
    return rel_cli_fail (1, "%s", error->message);
  for (int k = 0; k < region->mask_width * region->mask_height; k++)
    pixels += region->mask[k] != 0;
  /* back through the preprocessing onto the first image's pixels */
  ix = region->x, iy = region->y, iw = region->width, ih = region->height;
  if (!g_str_has_suffix (g_ptr_array_index (ds->paths, 0), ".npy"))
    {
      g_autoptr(RelImage) first = rel_image_load (g_ptr_array_index (ds->paths, 0), NULL);
      int rw, rh, ox, oy, ow, oh;
      if (first)
        {
          rel_preprocess_geometry (&model->preprocess, first->width, first->height, &rw, &rh, &ox, &oy, &ow, &oh);
          int x0 = (int) floor ((double) (region->x + ox) * first->width / rw);
          int y0 = (int) floor ((double) (region->y + oy) * first->height / rh);
          int x1 = (int) ceil ((double) (region->x + region->width + ox) * first->width / rw);
          int y1 = (int) ceil ((double) (region->y + region->height + oy) * first->height / rh);
          ix = CLAMP (x0, 0, first->width - 1);
          iy = CLAMP (y0, 0, first->height - 1);
          iw = CLAMP (x1, ix + 1, first->width) - ix;
          ih = CLAMP (y1, iy + 1, first->height) - iy;
        }
    }
  if (mask_out)
    {
      gsize n = (gsize) region->mask_width * region->mask_height;
      g_autofree guint8 *rgb = g_new (guint8, 3 * n);
      for (gsize k = 0; k < n; k++)
        rgb[3 * k] = rgb[3 * k + 1] = rgb[3 * k + 2] = region->mask[k] ? 255 : 0;
      if (!rel_image_save_png_rgb8 (rgb, region->mask_width, region->mask_height, 3 * region->mask_width, 3,
                                    mask_out, &error))
        return rel_cli_fail (1, "%s: %s", mask_out, error->message);
    }
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autoptr(JsonNode) root_node = NULL;
      g_autofree char *text = NULL;
      g_autofree char *in_box = g_strdup_printf ("%d,%d,%d,%d", region->x, region->y, region->width, region->height);
      g_autofree char *im_box = g_strdup_printf ("%d,%d,%d,%d", ix, iy, iw, ih);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "mode");
      json_builder_add_string_value (b, "suggest");
      json_builder_set_member_name (b, "class");
      json_builder_add_string_value (b, rel_model_label (model, target) ? rel_model_label (model, target) : class_name);
      json_builder_set_member_name (b, "method");
      json_builder_add_string_value (b, method->name);
      json_builder_set_member_name (b, "images");
      json_builder_add_int_value (b, used);
      rel_cli_json_number (b, "share", share);
      json_builder_set_member_name (b, "region");
      json_builder_add_string_value (b, im_box);
      json_builder_set_member_name (b, "input_region");
      json_builder_add_string_value (b, in_box);
      json_builder_set_member_name (b, "mask_pixels");
      json_builder_add_int_value (b, pixels);
      json_builder_end_object (b);
      root_node = json_builder_get_root (b);
      json_generator_set_root (gen, root_node);
      text = json_generator_to_data (gen, NULL);
      printf ("%s\n", text);
      return 0;
    }
  printf ("suggested region %d,%d,%d,%d (%d of %d×%d input pixels hold %.0f%% of the mean positive relevance of %d heatmaps)\n",
          ix, iy, iw, ih, pixels, region->mask_width, region->mask_height, share * 100, used);
  return 0;
}

static void
json_per_image (JsonBuilder *b, const RelInspectResult *res, RelInspectMode mode, const RelDataset *ds)
{
  json_builder_set_member_name (b, "per_image");
  json_builder_begin_array (b);
  for (int i = 0; i < res->n_images; i++)
    {
      const RelInspectImage *im = &res->images[i];
      g_autofree char *p = g_filename_display_name (g_ptr_array_index (ds->paths, im->index));
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, p);
      json_builder_set_member_name (b, "label");
      json_builder_add_int_value (b, im->label);
      json_builder_set_member_name (b, "predicted_before");
      json_builder_add_int_value (b, im->predicted_before);
      rel_cli_json_number (b, "probability_before", im->probability_before);
      if (mode == REL_INSPECT_MASS)
        {
          rel_cli_json_number (b, "relevance_mass", im->mass);
          rel_cli_json_number (b, "rank_accuracy", im->rank);
        }
      else
        {
          json_builder_set_member_name (b, "predicted_after");
          json_builder_add_int_value (b, im->predicted_after);
          rel_cli_json_number (b, "probability_after", im->probability_after);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
print_json (RelModel *model, RelInspectMode mode, const RelMethodDef *method, const char *class_name, int target,
            const RelRegion *region, const RelInspectResult *res, const char *source_path, gboolean random_place,
            RelFill fill, const RelDataset *ds)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "mode");
  json_builder_add_string_value (b, rel_inspect_mode_name (mode));
  json_builder_set_member_name (b, "class");
  json_builder_add_string_value (b, rel_model_label (model, target) ? rel_model_label (model, target) : class_name);
  json_builder_set_member_name (b, "region");
  {
    g_autofree char *d = rel_region_describe (region);
    json_builder_add_string_value (b, d);
  }
  json_builder_set_member_name (b, "images");
  json_builder_add_int_value (b, res->n_images);
  if (mode == REL_INSPECT_MASS)
    {
      json_builder_set_member_name (b, "method");
      json_builder_add_string_value (b, method->name);
      rel_cli_json_number (b, "relevance_mass", res->relevance_mass);
      rel_cli_json_number (b, "rank_accuracy", res->rank_accuracy);
      rel_cli_json_number (b, "area_fraction", res->area_fraction);
    }
  else if (mode == REL_INSPECT_REMOVE)
    {
      json_builder_set_member_name (b, "fill");
      json_builder_add_string_value (b, rel_fill_name (fill));
      rel_cli_json_number (b, "accuracy_before", res->accuracy_before);
      rel_cli_json_number (b, "accuracy_after", res->accuracy_after);
      rel_cli_json_number (b, "mean_delta_probability", res->mean_delta_probability);
    }
  else
    {
      g_autofree char *s = g_filename_display_name (source_path);
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, s);
      json_builder_set_member_name (b, "place");
      json_builder_add_string_value (b, random_place ? "random" : "same");
      rel_cli_json_number (b, "flip_rate", res->flip_rate);
      json_builder_set_member_name (b, "flip_candidates");
      json_builder_add_int_value (b, res->flip_candidates);
      rel_cli_json_number (b, "mean_delta_probability", res->mean_delta_probability);
    }
  json_builder_set_member_name (b, "per_class");
  json_builder_begin_array (b);
  for (int c = 0; c < res->n_classes; c++)
    {
      const RelInspectClass *pc = &res->per_class[c];
      if (pc->images == 0)
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "class");
      json_builder_add_string_value (b, rel_model_label (model, c) ? rel_model_label (model, c) : "?");
      json_builder_set_member_name (b, "images");
      json_builder_add_int_value (b, pc->images);
      if (mode == REL_INSPECT_MASS)
        {
          rel_cli_json_number (b, "relevance_mass", pc->mass);
          rel_cli_json_number (b, "rank_accuracy", pc->rank);
        }
      else if (mode == REL_INSPECT_REMOVE)
        {
          rel_cli_json_number (b, "accuracy_before", pc->accuracy_before);
          rel_cli_json_number (b, "accuracy_after", pc->accuracy_after);
          rel_cli_json_number (b, "mean_delta_probability", pc->mean_delta_probability);
        }
      else
        {
          rel_cli_json_number (b, "flip_rate", pc->flip_rate);
          rel_cli_json_number (b, "mean_delta_probability", pc->mean_delta_probability);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_per_image (b, res, mode, ds);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

static void
print_text (RelModel *model, RelInspectMode mode, const RelMethodDef *method, const char *class_name, int target,
            const RelInspectResult *res, RelFill fill)
{
  const char *cl = rel_model_label (model, target) ? rel_model_label (model, target) : class_name;
  if (mode == REL_INSPECT_MASS)
    printf ("%s, %d images predicted %s: relevance mass %.3f, rank accuracy %.3f, area %.3f (%s)\n",
            cl, res->n_images, cl, res->relevance_mass, res->rank_accuracy, res->area_fraction, method->name);
  else if (mode == REL_INSPECT_REMOVE)
    printf ("%s, %d images, region filled with %s: accuracy %.3f → %.3f, mean Δp(%s) %+.3f\n",
            cl, res->n_images, rel_fill_name (fill), res->accuracy_before, res->accuracy_after, cl,
            res->mean_delta_probability);
  else
    printf ("transplant into %d images of other classes: flip rate to %s %.3f (%d candidates), mean Δp %+.3f\n",
            res->n_images, cl, res->flip_rate, res->flip_candidates, res->mean_delta_probability);
  for (int c = 0; c < res->n_classes; c++)
    {
      const RelInspectClass *pc = &res->per_class[c];
      if (pc->images == 0)
        continue;
      if (mode == REL_INSPECT_MASS)
        printf ("  %-14s %4d  mass %.3f  rank %.3f\n", rel_model_label (model, c), pc->images, pc->mass, pc->rank);
      else if (mode == REL_INSPECT_REMOVE)
        printf ("  %-14s %4d  accuracy %.3f → %.3f\n", rel_model_label (model, c), pc->images,
                pc->accuracy_before, pc->accuracy_after);
      else
        printf ("  %-14s %4d  flip %.3f  Δp %+.3f\n", rel_model_label (model, c), pc->images, pc->flip_rate,
                pc->mean_delta_probability);
    }
}

int
rel_cli_inspect (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *class_name = NULL, *region_text = NULL, *mask_path = NULL, *source = NULL;
  g_autofree char *mode_text = NULL, *method_name = NULL, *fill_text = NULL;
  g_auto(GStrv) sets = NULL;
  gboolean json = FALSE;
  double share = 0.5;
  g_autofree char *mask_out = NULL, *place = NULL, *group = NULL;
  gint64 seed = 0;
  GOptionEntry entries[] = {
    { "class", 'c', 0, G_OPTION_ARG_STRING, &class_name, "The suspected class (label, folder name or index)", "C" },
    { "region", 'r', 0, G_OPTION_ARG_STRING, &region_text, "The region in image pixels, or a region file", "X,Y,W,H|FILE.json" },
    { "mask", 0, 0, G_OPTION_ARG_FILENAME, &mask_path, "The region as a mask image (white inside, the images' size)", "MASK.png" },
    { "group", 'g', 0, G_OPTION_ARG_STRING, &group, "Only the images of this group (a folder above the classes, e.g. clean)", "G" },
    { "source", 0, 0, G_OPTION_ARG_FILENAME, &source, "Transplant: the image whose region is pasted", "IMAGE" },
    { "place", 0, 0, G_OPTION_ARG_STRING, &place, "Transplant: same (the source's place, default) or random", "P" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Transplant at random places: the seed (default 0)", "S" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode_text, "mass, remove, transplant, or suggest (a region from the mean heatmap)", "MODE" },
    { "share", 0, 0, G_OPTION_ARG_DOUBLE, &share, "Suggest: share of the positive relevance the region holds (default 0.5)", "F" },
    { "mask-out", 0, 0, G_OPTION_ARG_FILENAME, &mask_out, "Suggest: write the region as a mask PNG (input grid)", "MASK.png" },
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method_name, "Mass: the explainer (default " REL_INSPECT_DEFAULT_METHOD ")", "NAME" },
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "A parameter of the method", "KEY=VALUE" },
    { "fill", 0, 0, G_OPTION_ARG_STRING, &fill_text, "Remove: zero, mean, blur or inpaint (default inpaint)", "FILL" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the result as one JSON object", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) octx = g_option_context_new ("MODEL DATASET — test a suspected Clever Hans");
  g_autoptr(RelModel) model = NULL;
  g_autoptr(RelDataset) ds = NULL;
  g_autoptr(RelRegion) region = NULL;
  g_autoptr(RelParams) params = NULL;
  g_autoptr(RelInspectResult) res = NULL;
  g_autoptr(RelTensor) src = NULL;
  g_autofree guint8 *src_mask = NULL;
  g_autofree int *labels = NULL;
  g_autofree char *source_path = NULL;
  RelInspectMode mode;
  RelFill fill = REL_FILL_INPAINT;
  const RelMethodDef *method = NULL;
  RelInspectRequest req = { 0 };
  int target;

  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    return rel_cli_fail (EXIT_USAGE, "%s", error->message);
  if (argc != 3)
    return rel_cli_fail (EXIT_USAGE, "usage: relevance-cli inspect MODEL DATASET --class C (--region X,Y,W,H | --mask M.png) --mode mass|remove|transplant");
  if (class_name == NULL)
    return rel_cli_fail (EXIT_USAGE, "--class is required");
  if (g_strcmp0 (mode_text, "suggest") == 0)
    return inspect_suggest (argv[1], argv[2], group, class_name, method_name, sets, share, mask_out, json);
  if ((region_text == NULL) == (mask_path == NULL))
    return rel_cli_fail (EXIT_USAGE, "give the region as either --region X,Y,W,H or --mask MASK.png");
  if (mode_text == NULL)
    return rel_cli_fail (EXIT_USAGE, "--mode is required (mass, remove or transplant)");
  if (!rel_inspect_mode_parse (mode_text, &mode, &error))
    return rel_cli_fail (EXIT_USAGE, "--mode: %s", error->message);
  if (place && strcmp (place, "same") != 0 && strcmp (place, "random") != 0)
    return rel_cli_fail (EXIT_USAGE, "--place must be same or random");
  if (fill_text && !rel_fill_parse (fill_text, &fill, &error))
    return rel_cli_fail (EXIT_USAGE, "--fill: %s", error->message);
  method = rel_method_lookup (method_name ? method_name : REL_INSPECT_DEFAULT_METHOD);
  if (method == NULL)
    return rel_cli_fail (EXIT_USAGE, "unknown method “%s” (see relevance-cli methods)", method_name);
  params = rel_params_new (method);
  for (int i = 0; sets && sets[i]; i++)
    if (!rel_params_set_assignment (params, sets[i], &error))
      return rel_cli_fail (EXIT_USAGE, "--set %s: %s", sets[i], error->message);
  region = region_text ? rel_cli_region (region_text, &error) : rel_region_load_mask (mask_path, &error);
  if (region == NULL)
    return rel_cli_fail (1, "%s", error->message);

  if ((model = rel_model_load (argv[1], &error)) == NULL)
    return rel_cli_fail (1, "%s: %s", argv[1], error->message);
  target = rel_inspect_find_class (model, class_name);
  if (target < 0)
    {
      g_autofree char *list = rel_cli_class_list (model);
      return rel_cli_fail (1, "the model has no class “%s” (its classes: %s)", class_name, list);
    }
  if ((ds = rel_cli_load_dataset_group (model, argv[2], group, FALSE, &labels, &error)) == NULL)
    return rel_cli_fail (1, "%s", error->message);

  if (mode == REL_INSPECT_TRANSPLANT)
    {
      source_path = rel_cli_pick_source (model, argv[2], group, ds, labels, target, region, fill, source, &error);
      if (source_path == NULL)
        return rel_cli_fail (1, "%s", error->message);
      if ((src = rel_inspect_load (model, source_path, region, &src_mask, &error)) == NULL)
        return rel_cli_fail (1, "%s", error->message);
    }

  req.model = model;
  req.paths = (const char *const *) ds->paths->pdata;
  req.labels = labels;
  req.n = (int) ds->paths->len;
  req.target = target;
  req.region = region;
  req.mode = mode;
  req.method_params = params;
  req.fill = fill;
  req.source = src;
  req.source_mask = src_mask;
  req.random_place = place && strcmp (place, "random") == 0;
  req.seed = (guint64) seed;
  req.progress = on_progress;
  req.progress_data = (gpointer) rel_inspect_mode_name (mode);
  res = rel_inspect_run (&req, &error);
  if (isatty (STDERR_FILENO))
    fprintf (stderr, "\r\033[K");
  if (res == NULL)
    return rel_cli_fail (1, "%s", error->message);

  if (json)
    {
      print_json (model, mode, method, class_name, target, region, res, source_path, req.random_place, fill, ds);
      return 0;
    }

  print_text (model, mode, method, class_name, target, res, fill);
  return 0;
}
