/* rel-cli-explain.c — `relevance-cli explain`, `methods` and `bench --method`.
 *
 *   relevance-cli explain MODEL INPUT --method NAME [--set key=value]...
 *                 [--target N|pred|A-B] [--log-prob] [--seed S] --out FILE
 *                 [--overlay] [--colormap NAME] [--sign MODE] [--percentile P]
 *                 [--upscale N] [--colorbar] [--title]
 *   relevance-cli explain MODEL --dataset DIR --out-dir DIR --method NAME [--format npy|png] ...
 *
 * A PNG is written at the model's input size; --upscale N makes each pixel
 * an N × N block (nearest neighbour, as the app's Export dialog's scale),
 * --colorbar adds the colour bar with its values and --title the method,
 * the explained target and the prediction above (ui/rel-export-image.h).
 * One --method per run; a second is a usage error, not a silent override.
 *
 * Usage errors (bad or missing options) exit with status 2, other failures
 * with 1; either prints one line on stderr.
 *
 * --dataset explains the images one after another (each sampling method
 * batches its own perturbed inputs) and mirrors DIR's sub-folders in the
 * output names, so class folders survive. --target true explains each
 * image's true class, the folder on its path named after a model label
 * (core/rel-dataset.h; --class-level N names the level instead).
 *   relevance-cli methods [--json]
 *   relevance-cli bench MODEL --method NAME [--set key=value]... (timed by relevance-cli.c;
 *                                  NAME:key=value,... is the short form)
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-cli.h"
#include "rel-atomic-file.h"
#include "rel-colormap.h"
#include "rel-core.h"
#include "rel-dataset.h"
#include "rel-error.h"
#include "rel-file.h"
#include "rel-explain.h"
#include "rel-export-image.h"
#include "rel-fragility.h"
#include "rel-image.h"
#include "rel-npy.h"
#include "rel-shard.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

/* A bad or missing option: the status relevance-cli gives every usage error. */
#define EXIT_USAGE 2
#define usage(...) rel_cli_fail (EXIT_USAGE, __VA_ARGS__)

static char *
method_names (void)
{
  GString *s = g_string_new (NULL);
  for (const RelMethodDef *const *m = rel_methods (); *m; m++)
    g_string_append_printf (s, "%s%s", s->len ? ", " : "", (*m)->name);
  return g_string_free (s, FALSE);
}

static const RelMethodDef *
lookup_method (const char *name, GError **error)
{
  const RelMethodDef *m;

  if (name == NULL)
    {
      g_autofree char *names = method_names ();
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "no --method given (methods: %s)", names);
      return NULL;
    }
  m = rel_method_lookup (name);
  if (m == NULL)
    {
      g_autofree char *names = method_names ();
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "unknown method '%s' (methods: %s)", name, names);
    }
  return m;
}

static RelParams *
build_params (const RelMethodDef *method, char **sets, GError **error)
{
  g_autoptr(RelParams) params = rel_params_new (method);

  for (int i = 0; sets && sets[i]; i++)
    if (!rel_params_set_assignment (params, sets[i], error))
      return NULL;
  return g_steal_pointer (&params);
}

/* ---- output ---- */

static gboolean
save_rgb_png (const char *path, guint8 *rgb, int width, int height, GError **error)
{
  return rel_image_save_png_rgb8 (rgb, width, height, width * 3, 3, path, error);
}

/* How a PNG is drawn: the colour map, the sign shown, and the normalisation
 * (the max |R| by default, or a percentile that clips outliers). */
typedef struct {
  RelColormap map;
  RelSignMode sign;
  double      percentile;   /* 0: max-abs */
  gboolean    overlay;
  int         upscale;      /* each pixel becomes upscale × upscale */
  gboolean    colorbar;
  gboolean    title;        /* method, target and prediction above the picture */
  const RelMethodDef *method;
  const RelTarget    *target;
} PngStyle;

/* "LRP ε · Explaining: Sandal · Predicted: Sandal 99.8 %": the app's title
 * of an exported heatmap. The prediction needs a forward pass of its own. */
static char *
export_title (RelModel *model, RelTensor *input, const PngStyle *style, const RelExplanation *e,
              GError **error)
{
  RelContext ctx;
  rel_context_init (&ctx);
  g_autoptr(RelActivations) acts = rel_model_forward (model, input, &ctx, error);
  if (acts == NULL)
    return NULL;
  RelTensor *out = rel_activations_output (acts);
  if (out == NULL || out->dtype != REL_DTYPE_FLOAT32 || out->numel < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "the model's output holds no class scores");
      return NULL;
    }
  const float *z = rel_tensor_f32 (out);
  int n = (int) MIN (out->numel, G_MAXINT), top = 0;
  for (int i = 1; i < n; i++)
    if (z[i] > z[top])
      top = i;
  double sum = 0;
  for (int i = 0; i < n; i++)
    sum += exp ((double) z[i] - z[top]);
  const char *lt = rel_model_label (model, top);
  const char *la = rel_model_label (model, e->target_class);
  g_autofree char *top_name = lt ? g_strdup (lt) : g_strdup_printf ("%d", top);
  g_autofree char *a = la ? g_strdup (la) : g_strdup_printf ("%d", e->target_class);
  g_autofree char *target = NULL;
  if (style->target->kind == REL_TARGET_CONTRAST)
    {
      const char *lb = rel_model_label (model, style->target->b);
      g_autofree char *b = lb ? g_strdup (lb) : g_strdup_printf ("%d", style->target->b);
      target = g_strdup_printf ("%s vs %s", a, b);
    }
  else
    target = g_strdup_printf ("%s%s", a, style->target->kind == REL_TARGET_PREDICTED ? " (predicted)" : "");
  return g_strdup_printf ("%s · Explaining: %s · Predicted: %s (%.1f %%)",
                          style->method->title ? style->method->title : style->method->name,
                          target, top_name, 100.0 / sum);
}

static gboolean
write_output (const char *path, RelModel *model, RelTensor *input, const RelExplanation *e,
              const PngStyle *style, double reference, gboolean *nearly_zero, GError **error)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);

  if (g_str_has_suffix (lower, ".npy"))
    return rel_npy_save (path, e->relevance, error);
  if (g_str_has_suffix (lower, ".png"))
    {
      g_autofree float *map = NULL;
      g_autofree guint8 *rgba = NULL;
      g_autofree guint8 *rgb = NULL;
      int mw, mh, w, h;
      double scale;

      map = rel_relevance_map (e->relevance, &mw, &mh, error);
      if (map == NULL)
        return FALSE;
      scale = rel_heatmap_scale (map, (gsize) mw * mh,
                                 style->percentile > 0 ? REL_NORM_PERCENTILE : REL_NORM_MAX_ABS,
                                 style->percentile, 0);
      /* the app's rule: a near-zero map is not blown up to full colour */
      scale = MAX (scale, rel_heatmap_floor (map, (gsize) mw * mh, reference));
      if (nearly_zero)
        *nearly_zero = rel_heatmap_nearly_zero (map, (gsize) mw * mh, reference);
      if (style->overlay)
        {
          g_autofree guint8 *image = rel_input_to_rgb8 (input, &model->preprocess, &w, &h, error);
          g_autofree guint8 *image_rgba = NULL;

          if (image == NULL)
            return FALSE;
          image_rgba = g_new (guint8, (gsize) w * h * 4);
          for (gsize i = 0; i < (gsize) w * h; i++)
            {
              memcpy (image_rgba + 4 * i, image + 3 * i, 3);
              image_rgba[4 * i + 3] = 255;
            }
          rgba = g_new (guint8, (gsize) w * h * 4);
          rel_heatmap_blend (map, mw, mh, scale, style->map, style->sign, 1.0,
                             image_rgba, w, h, w * 4, rgba);
        }
      else
        {
          w = mw;
          h = mh;
          rgba = g_new (guint8, (gsize) w * h * 4);
          rel_heatmap_colorize (map, w, h, scale, style->map, style->sign, TRUE, rgba);
        }
      if (style->upscale > 1 || style->colorbar || style->title)
        {
          g_autofree char *title = style->title ? export_title (model, input, style, e, error) : NULL;
          if (style->title && title == NULL)
            return FALSE;
          RelExportStyle es = { style->upscale, style->colorbar, title, style->map, style->sign, scale };
          return rel_export_image_save_png (rgba, w, h, w * 4, &es, path, error);
        }
      rgb = g_new (guint8, (gsize) w * h * 3);
      for (gsize i = 0; i < (gsize) w * h; i++)
        memcpy (rgb + 3 * i, rgba + 4 * i, 3);
      return save_rgb_png (path, rgb, w, h, error);
    }
  g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
               "cannot tell the format of '%s': use a .npy or .png file name", path);
  return FALSE;
}

/* ---- progress ---- */

typedef struct {
  gboolean enabled;
  int      index, total;  /* dataset position; total 0 for a single image */
  double   last;
} Progress;

/* Ends the bar's line, if one was drawn. */
static void
end_bar (const Progress *p)
{
  if (p->enabled && isatty (STDERR_FILENO))
    fputc ('\n', stderr);
}

static void
draw_bar (Progress *p, double fraction)
{
  const int width = 30;
  double overall = p->total > 0 ? (p->index + fraction) / p->total : fraction;
  int fill = (int) (overall * width + 0.5);
  char bar[64];

  /* a live bar for people; a log or a test gets no carriage returns */
  if (!p->enabled || !isatty (STDERR_FILENO))
    return;
  for (int i = 0; i < width; i++)
    bar[i] = i < fill ? '#' : '.';
  bar[width] = '\0';
  if (p->total > 0)
    fprintf (stderr, "\r[%s] %3.0f%% %d/%d", bar, 100.0 * overall, p->index + (fraction >= 1.0), p->total);
  else
    fprintf (stderr, "\r[%s] %3.0f%%", bar, 100.0 * overall);
  fflush (stderr);
}

static void
on_progress (const RelTensor *estimate, double fraction, gpointer user_data)
{
  Progress *p = user_data;
  if (fraction - p->last < 0.01 && fraction < 1.0)
    return;
  p->last = fraction;
  draw_bar (p, fraction);
}

/* ---- explain ---- */

gboolean
rel_cli_skip_oversized (const char *path)
{
  g_autoptr(GError) error = NULL;

  if (rel_image_probe (path, NULL, NULL, &error) || !g_error_matches (error, REL_ERROR, REL_ERROR_TOO_LARGE))
    return FALSE;
  fprintf (stderr, "relevance-cli: warning: %s; skipped\n", error->message);
  fflush (stderr);
  return TRUE;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Relative paths of every input file under @root (depth-limited, symlinked
 * directories not followed, so a loop cannot hang us). */
static gboolean
collect_files (const char *root, const char *rel, int depth, GPtrArray *out, GError **error)
{
  g_autofree char *dir_path = rel ? g_build_filename (root, rel, NULL) : g_strdup (root);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (depth > 32)
    return TRUE;
  dir = g_dir_open (dir_path, 0, error);
  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child_rel = rel ? g_build_filename (rel, name, NULL) : g_strdup (name);
      g_autofree char *child = g_build_filename (root, child_rel, NULL);

      if (name[0] == '.')
        continue;
      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        {
          if (!collect_files (root, child_rel, depth + 1, out, error))
            return FALSE;
        }
      else if (g_file_test (child, G_FILE_TEST_IS_REGULAR) && rel_input_is_file_name (name))
        g_ptr_array_add (out, g_steal_pointer (&child_rel));
    }
  return TRUE;
}

static void
print_conservation (const RelMethodDef *method, const RelExplanation *e, gboolean verbose)
{
  if (g_strcmp0 (method->family, "lrp") != 0)
    return;
  printf ("relevance sum %.6g, explained output %.6g\n", e->relevance_sum, e->explained_output);
  if (verbose && e->conservation)
    for (guint i = 0; i < e->conservation->len; i++)
      {
        const RelLayerConservation *c = &g_array_index (e->conservation, RelLayerConservation, i);
        printf ("  %-48s in %12.6g  out %12.6g\n", c->layer, c->relevance_in, c->relevance_out);
      }
}

/* The model's bytes and the options but --shard: what a merge checks. */
static char *
explain_settings_digest (const char *model_path, int argc, char **argv, GError **error)
{
  g_autoptr(GChecksum) cs = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!rel_file_get_contents (model_path, "model", G_GINT64_CONSTANT (1) << 34, &data, &len, error))
    return NULL;
  g_checksum_update (cs, (const guchar *) data, len);
  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--shard"))
        {
          i++;
          continue;
        }
      if (!g_str_has_prefix (argv[i], "--shard="))
        g_checksum_update (cs, (const guchar *) argv[i], strlen (argv[i]) + 1);
    }
  return g_strdup (g_checksum_get_string (cs));
}

/* An entry of an explain part: the output's name under --out-dir and its bytes. */
static void
add_output_entry (RelPartWriter *w, guint32 index, const char *name, const void *data, gsize len)
{
  gsize nl = strlen (name);
  g_autofree guint8 *buf = g_malloc (4 + nl + len);
  guint32 le = GUINT32_TO_LE ((guint32) nl);
  memcpy (buf, &le, 4);
  memcpy (buf + 4, name, nl);
  memcpy (buf + 4 + nl, data, len);
  rel_part_writer_add (w, index, buf, 4 + nl + len);
}

int
rel_cli_explain_merge (RelPart *const *parts, const RelShardSlot *slots, int n_items, GError **error)
{
  g_autofree char *out_dir = g_key_file_get_string (parts[0]->header, "part", "out-dir", NULL);
  int skipped = g_key_file_get_integer (parts[0]->header, "part", "skipped", NULL);
  if (out_dir == NULL)
    return rel_cli_fail (1, "the parts name no output folder");
  /* every entry is checked before the first file is written */
  for (int i = 0; i < n_items; i++)
    {
      gsize len = 0;
      const guint8 *p = g_bytes_get_data (parts[slots[i].part]->data[slots[i].entry], &len);
      guint32 nl = 0;
      if (len >= 4)
        memcpy (&nl, p, 4);
      nl = GUINT32_FROM_LE (nl);
      g_autofree char *name = len >= 4 && nl <= len - 4 ? g_strndup ((const char *) p + 4, nl) : NULL;
      if (name == NULL || strlen (name) != nl || nl == 0 || g_path_is_absolute (name) || strstr (name, "..") != NULL)
        return rel_cli_fail (1, "a part holds a malformed or unsafe output name");
    }
  if (!rel_folder_check_writable (out_dir, TRUE, error))
    return rel_cli_fail (1, "%s", (*error)->message);
  for (int i = 0; i < n_items; i++)
    {
      gsize len = 0;
      const guint8 *p = g_bytes_get_data (parts[slots[i].part]->data[slots[i].entry], &len);
      guint32 nl;
      memcpy (&nl, p, 4);
      nl = GUINT32_FROM_LE (nl);
      g_autofree char *name = g_strndup ((const char *) p + 4, nl);
      g_autofree char *dst = g_build_filename (out_dir, name, NULL);
      g_autofree char *dst_dir = g_path_get_dirname (dst);
      if (g_mkdir_with_parents (dst_dir, 0755) != 0)
        return rel_cli_fail (1, "cannot create '%s'", dst_dir);
      if (!rel_file_set_contents (dst, p + 4 + nl, len - 4 - nl, error))
        return rel_cli_fail (1, "%s", (*error)->message);
    }
  if (skipped > 0)
    printf ("explained %d inputs into %s (%d skipped)\n", n_items, out_dir, skipped);
  else
    printf ("explained %d inputs into %s\n", n_items, out_dir);
  return 0;
}

int
rel_cli_explain (int argc, char **argv)
{
  return rel_cli_explain_run (argc, argv, NULL);
}

int
rel_cli_explain_run (int argc, char **argv, RelCliShard *shard_out)
{
  g_auto(GStrv) original = g_strdupv (argv);
  int original_argc = argc;
  g_autofree char *shard_text = NULL;
  g_auto(GStrv) method_names_given = NULL;
  const char *method_name = NULL;
  g_autofree char *target_text = NULL, *out_path = NULL;
  g_autofree char *dataset = NULL, *out_dir = NULL, *format = NULL;
  g_auto(GStrv) sets = NULL;
  gint64 seed = 0;
  g_autofree char *colormap = NULL, *sign = NULL;
  g_autofree char *pp_mean = NULL, *pp_std = NULL, *pp_scale = NULL, *pp_resize = NULL;
  gboolean log_prob = FALSE, overlay = FALSE, verbose = FALSE, colorbar = FALSE, title = FALSE, no_fragility = FALSE;
  gint batch = 0, class_level = 0, upscale = 1;
  gdouble percentile = 0;
  PngStyle style = { REL_COLORMAP_BWR, REL_SIGN_BOTH, 0, FALSE, 1, FALSE, FALSE, NULL, NULL };
  g_autofree char *colormaps = rel_colormap_names_joined ();
  /* "bwr (default), coldnhot, …": the first map is the default */
  g_autofree char *colormap_help = g_strdup_printf ("PNG colour map: %s (default)%s",
                                                    rel_colormap_name (REL_COLORMAP_BWR),
                                                    colormaps + strlen (rel_colormap_name (REL_COLORMAP_BWR)));
  GOptionEntry entries[] = {
    { "method", 'm', 0, G_OPTION_ARG_STRING_ARRAY, &method_names_given, "Explanation method (see 'relevance-cli methods')", "NAME" },
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Method parameter (repeatable)", "KEY=VALUE" },
    { "target", 't', 0, G_OPTION_ARG_STRING, &target_text, "Class to explain: pred (default), an index, A-B, or with --dataset true (the class folder's)", "TARGET" },
    { "class-level", 0, 0, G_OPTION_ARG_INT, &class_level, "With --target true: the folders N levels down are the classes", "N" },
    { "log-prob", 0, 0, G_OPTION_ARG_NONE, &log_prob, "Explain the log-probability instead of the logit", NULL },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the sampling methods (default 0)", "S" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_path, "Output: .npy (relevance) or .png (heatmap)", "FILE" },
    { "overlay", 0, 0, G_OPTION_ARG_NONE, &overlay, "Blend the PNG heatmap over the input image", NULL },
    { "colormap", 0, 0, G_OPTION_ARG_STRING, &colormap, colormap_help, "NAME" },
    { "sign", 0, 0, G_OPTION_ARG_STRING, &sign, "Relevance shown in the PNG: both (default), positive, negative, absolute", "MODE" },
    { "percentile", 0, 0, G_OPTION_ARG_DOUBLE, &percentile, "Scale the PNG by this percentile of |R| instead of its maximum", "P" },
    { "upscale", 0, 0, G_OPTION_ARG_INT, &upscale, "Each PNG pixel becomes an N × N block (nearest neighbour; default 1)", "N" },
    { "colorbar", 0, 0, G_OPTION_ARG_NONE, &colorbar, "Add the colour bar and its values under the PNG", NULL },
    { "title", 0, 0, G_OPTION_ARG_NONE, &title, "Add the method, the explained target and the prediction above the PNG", NULL },
    { "dataset", 0, 0, G_OPTION_ARG_FILENAME, &dataset, "Explain every image under this folder", "DIR" },
    { "out-dir", 0, 0, G_OPTION_ARG_FILENAME, &out_dir, "Where --dataset writes its maps (sub-folders kept)", "DIR" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, "File type --dataset writes: npy (default) or png", "npy|png" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Perturbed inputs per pass for sampling methods", "N" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print the per-layer conservation table of LRP", NULL },
    { "shard", 0, 0, G_OPTION_ARG_STRING, &shard_text, "With --dataset: explain only shard K of N into OUT-DIR.part-K-of-N (join with relevance-cli merge)", "K/N" },
    { "no-fragility-check", 0, 0, G_OPTION_ARG_NONE, &no_fragility,
      "Skip the check that a gradient, LRP or CAM map does not depend on rounding", NULL },
    /* the same preprocessing overrides as predict */
    { "mean", 0, 0, G_OPTION_ARG_STRING, &pp_mean, "Per-channel mean subtracted after scaling", "M[,M,M]" },
    { "std", 0, 0, G_OPTION_ARG_STRING, &pp_std, "Per-channel standard deviation", "S[,S,S]" },
    { "scale", 0, 0, G_OPTION_ARG_STRING, &pp_scale, "Pixel multiplier before mean/std (default 1/255)", "F" },
    { "resize", 0, 0, G_OPTION_ARG_STRING, &pp_resize,
      "Resize the shorter side to PX, then center-crop (0: resize to the input size)", "PX" },
    { NULL },
  };
  /* pointers: the values are only known after parsing */
  const struct { const char *key; char **value; } overrides[] = {
    { "mean", &pp_mean }, { "std", &pp_std }, { "scale", &pp_scale }, { "resize", &pp_resize },
  };
  g_autoptr(GOptionContext) octx = g_option_context_new ("MODEL INPUT — explain a prediction");
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) model = NULL;
  g_autoptr(RelParams) params = NULL;
  const RelMethodDef *method;
  RelExplainRequest req = { 0 };
  Progress progress = { 0 };

  g_option_context_add_main_entries (octx, entries, NULL);
  g_option_context_set_help_enabled (octx, TRUE);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    return usage ("explain: %s", error->message);
  if (dataset == NULL && argc != 3)
    return usage ("explain: expected MODEL INPUT (or MODEL --dataset DIR --out-dir DIR)");
  if (dataset != NULL && argc != 2)
    return usage ("explain: with --dataset give only MODEL");
  if (dataset == NULL && out_path == NULL)
    return usage ("explain: no --out FILE given");
  if (dataset != NULL && out_dir == NULL)
    return usage ("explain: --dataset needs --out-dir DIR");
  int shard_k = 0, shard_n = 0;
  if (shard_text && !rel_shard_parse (shard_text, &shard_k, &shard_n, &error))
    return usage ("explain: %s", error->message);
  if (shard_text && dataset == NULL)
    return usage ("explain: --shard goes with --dataset");
  if (shard_out)
    {
      shard_k = shard_out->k;
      shard_n = shard_out->n;
    }
  if (format && strcmp (format, "npy") != 0 && strcmp (format, "png") != 0)
    return usage ("explain: --format must be npy or png, not '%s'", format);
  if (batch < 0 || batch > 4096)
    return usage ("explain: --batch must lie in [1, 4096]");
  if (seed < 0)
    return usage ("explain: --seed must not be negative");
  if (colormap && !rel_colormap_from_name (colormap, &style.map))
    return usage ("explain: unknown --colormap '%s' (%s)", colormap, colormaps);
  if (sign && !rel_sign_mode_from_name (sign, &style.sign))
    return usage ("explain: unknown --sign '%s' (both, positive, negative, absolute)", sign);
  if (!(percentile >= 0 && percentile <= 100))
    return usage ("explain: --percentile must lie in [0, 100]");
  if (upscale < 1 || upscale > REL_EXPORT_SCALE_MAX)
    return usage ("explain: --upscale must be from 1 to %d", REL_EXPORT_SCALE_MAX);
  style.percentile = percentile;
  style.overlay = overlay;
  style.upscale = upscale;
  style.colorbar = colorbar;
  style.title = title;

  if (out_path)
    {
      g_autofree char *lower = g_ascii_strdown (out_path, -1);
      /* refuse before a long computation, not after */
      if (!g_str_has_suffix (lower, ".npy") && !g_str_has_suffix (lower, ".png"))
        return usage ("cannot tell the format of '%s': use a .npy or .png file name", out_path);
      if (overlay && !g_str_has_suffix (lower, ".png"))
        return usage ("explain: --overlay needs a .png output");
      if ((upscale > 1 || colorbar || title) && !g_str_has_suffix (lower, ".png"))
        return usage ("explain: --upscale, --colorbar and --title need a .png output");
      if (!rel_file_check_writable (out_path, &error))
        return rel_cli_fail (1, "%s", error->message);
    }
  if (dataset && (overlay || upscale > 1 || colorbar || title) && !(format && strcmp (format, "png") == 0))
    return usage ("explain: --overlay, --upscale, --colorbar and --title need --format png");

  /* One method per run: a second --method used to replace the first silently. */
  if (method_names_given && g_strv_length (method_names_given) > 1)
    {
      g_autofree char *list = g_strjoinv (", ", method_names_given);
      return usage ("explain: --method given %u times (%s): one run explains with one method",
                           g_strv_length (method_names_given), list);
    }
  method_name = method_names_given ? method_names_given[0] : NULL;
  method = lookup_method (method_name, &error);
  if (method == NULL)
    return usage ("%s", error->message);
  params = build_params (method, sets, &error);
  /* a bad value is a usage error; an unreadable rule file is not */
  if (params == NULL)
    return rel_cli_fail (g_error_matches (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT) ? EXIT_USAGE : 1,
                         "%s", error->message);
  gboolean target_true = g_strcmp0 (target_text, "true") == 0;
  if (target_true && dataset == NULL)
    return usage ("explain: --target true needs --dataset (its folders give the true class)");
  if (class_level < 0 || (class_level > 0 && !target_true))
    return usage ("explain: --class-level N (N ≥ 1) goes with --dataset and --target true");
  if (!rel_target_parse (target_true ? NULL : target_text, &req.target, &error))
    return usage ("%s", error->message);
  style.method = method;
  style.target = &req.target;
  req.target.log_prob = log_prob;

  model = rel_model_load (argv[1], &error);
  if (model == NULL)
    return rel_cli_fail (1, "%s: %s", argv[1], error->message);
  for (gsize i = 0; i < G_N_ELEMENTS (overrides); i++)
    if (*overrides[i].value && !rel_preprocess_set (model, overrides[i].key, *overrides[i].value, &error))
      return rel_cli_fail (g_error_matches (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT) ? EXIT_USAGE : 1,
                           "--%s", error->message);

  req.model = model;
  req.params = params;
  req.seed = (guint64) seed;
  req.batch_size = batch;
  req.progress = on_progress;
  req.progress_data = &progress;

  if (dataset == NULL)
    {
      g_autoptr(RelTensor) input = rel_input_load (model, argv[2], &error);
      g_autoptr(RelExplanation) e = NULL;

      if (input == NULL)
        return rel_cli_fail (1, "%s: %s", argv[2], error->message);
      req.input = input;
      progress.enabled = method->sampling && isatty (STDERR_FILENO);
      e = rel_explain (method, &req, &error);
      if (progress.enabled)
        fprintf (stderr, "\n");
      if (e == NULL)
        return rel_cli_fail (1, "%s: %s", method->name, error->message);
      gboolean nearly_zero = FALSE;
      if (!write_output (out_path, model, input, e, &style,
                         rel_params_reference_output (params, e->explained_output), &nearly_zero, &error))
        return rel_cli_fail (1, "%s", error->message);
      if (nearly_zero)
        {
          g_autofree float *map = NULL;
          int mw, mh;
          double mx = 0;
          if ((map = rel_relevance_map (e->relevance, &mw, &mh, NULL)))
            mx = rel_heatmap_scale (map, (gsize) mw * mh, REL_NORM_MAX_ABS, 0, 0);
          fprintf (stderr, "relevance-cli: note: the map is (nearly) zero: max |R| = %.3g for an output of %.4g;"
                   " drawn faintly\n", mx, rel_params_reference_output (params, e->explained_output));
        }
      /* one more forward and backward pass: is the map rounding rather than the model? */
      if (!no_fragility && !rel_explanation_check_fragility (&req, e, &error))
        return rel_cli_fail (1, "fragility check: %s", error->message);
      if (rel_explanation_is_fragile (e))
        fprintf (stderr, "relevance-cli: warning: the map is numerically fragile: with the network's values"
                 " perturbed by %.0e (float32 rounding), its gradient is at cosine %.3f to the unperturbed one;"
                 " the map may show rounding, not the model\n", REL_FRAGILE_DELTA, e->stability);
      else if (verbose && !isnan (e->stability))
        fprintf (stderr, "stability: gradient at cosine %.6f under %.0e perturbations (fragile below %.2f)\n",
                 e->stability, REL_FRAGILE_DELTA, REL_FRAGILE_COSINE);
      print_conservation (method, e, verbose);
      return 0;
    }

  {
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
    const char *ext = format && strcmp (format, "png") == 0 ? ".png" : ".npy";

    if (!g_file_test (dataset, G_FILE_TEST_IS_DIR))
      return rel_cli_fail (1, "%s: not a folder", dataset);
    if (!collect_files (dataset, NULL, 0, files, &error))
      return rel_cli_fail (1, "%s: %s", dataset, error->message);
    if (files->len == 0)
      return rel_cli_fail (1, "%s: no images or .npy files found", dataset);
    g_ptr_array_sort (files, compare_strings);
    /* --target true: each file's class from the folder layout, all known before any work */
    g_autofree int *true_class = NULL;
    if (target_true)
      {
        g_autofree char *root = g_canonicalize_filename (dataset, NULL);
        g_autoptr(GPtrArray) abs = g_ptr_array_new_with_free_func (g_free);
        for (guint i = 0; i < files->len; i++)
          g_ptr_array_add (abs, g_build_filename (root, g_ptr_array_index (files, i), NULL));
        g_autoptr(RelDatasetLayout) layout =
          rel_dataset_layout_new (root, (const char *const *) abs->pdata, abs->len,
                                  (const char *const *) model->labels, model->labels ? model->n_labels : 0,
                                  rel_model_num_classes (model), class_level, &error);
        /* a level the folder does not have is a usage error, as in spray */
        if (layout == NULL)
          return rel_cli_fail (g_error_matches (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT) ? EXIT_USAGE : 1,
                               "explain: --class-level: %s", error->message);
        true_class = g_new (int, files->len);
        guint unknown = 0;
        const char *example = NULL;
        for (guint i = 0; i < files->len; i++)
          {
            int c = layout->image_class[i];
            true_class[i] = c >= 0 ? layout->class_labels[c] : -1;
            if (true_class[i] < 0 && unknown++ == 0)
              example = g_ptr_array_index (files, i);
          }
        if (unknown > 0)
          return rel_cli_fail (1, "explain: %u of %u files have no true class among the model's outputs (%s, for one): "
                       "no folder on their path is named after one of its labels%s",
                       unknown, files->len, example,
                       layout->matched || class_level > 0 ? "" : "; choose the class folders with --class-level N");
      }
    /* an unwritable output folder fails before the first explanation (a
     * shard writes only its part, next to the folder) */
    g_autofree char *trimmed = g_strdup (out_dir);
    while (strlen (trimmed) > 1 && g_str_has_suffix (trimmed, G_DIR_SEPARATOR_S))
      trimmed[strlen (trimmed) - 1] = '\0';
    g_autofree char *part_path = shard_n > 0 ? g_strdup_printf ("%s.part-%d-of-%d", trimmed, shard_k, shard_n) : NULL;
    if (shard_n == 0 && !rel_folder_check_writable (out_dir, TRUE, &error))
      return rel_cli_fail (1, "%s", error->message);
    if (shard_n > 0 && shard_out == NULL && !rel_file_check_writable (part_path, &error))
      return rel_cli_fail (1, "%s", error->message);

    /* before the progress bar starts, so warnings get lines of their own */
    guint n_skipped = 0;
    for (guint i = 0; i < files->len;)
      {
        g_autofree char *in_path = g_build_filename (dataset, (const char *) g_ptr_array_index (files, i), NULL);
        if (rel_cli_skip_oversized (in_path))
          {
            g_ptr_array_remove_index (files, i);
            n_skipped++;
          }
        else
          i++;
      }
    g_autofree int *owner = NULL;
    RelPartWriter *part_writer = NULL;
    g_autofree char *tmp_dir = NULL;
    guint n_mine = files->len;
    if (shard_n > 0)
      {
        g_autofree gint64 *sizes = g_new (gint64, files->len);
        for (guint i = 0; i < files->len; i++)
          {
            g_autofree char *in_path = g_build_filename (dataset, (const char *) g_ptr_array_index (files, i), NULL);
            GStatBuf st;
            sizes[i] = g_stat (in_path, &st) == 0 ? (gint64) st.st_size : 0;
          }
        owner = rel_shard_assign (sizes, (int) files->len, shard_n);
        n_mine = 0;
        for (guint i = 0; i < files->len; i++)
          n_mine += owner[i] == shard_k - 1;
        g_autofree char *settings = explain_settings_digest (original[1], original_argc, original, &error);
        if (settings == NULL)
          return rel_cli_fail (1, "%s: %s", original[1], error->message);
        g_autofree char *list = rel_shard_digest ((const char *const *) files->pdata, (int) files->len);
        g_autoptr(GKeyFile) header = g_key_file_new ();
        g_key_file_set_string (header, "part", "command", "explain");
        g_key_file_set_integer (header, "part", "shard", shard_k);
        g_key_file_set_integer (header, "part", "shards", shard_n);
        g_key_file_set_int64 (header, "part", "items", files->len);
        g_key_file_set_string (header, "part", "list", list);
        g_key_file_set_string (header, "part", "settings", settings);
        g_key_file_set_string (header, "part", "out-dir", out_dir);
        g_key_file_set_integer (header, "part", "skipped", (int) n_skipped);
        part_writer = rel_part_writer_new (header);
        /* each output is made by the same writer as in a whole run, in a
         * private folder, and its bytes go into the part */
        tmp_dir = g_dir_make_tmp ("relevance-shard-XXXXXX", &error);
        if (tmp_dir == NULL)
          {
            g_bytes_unref (rel_part_writer_finish (part_writer));
            return rel_cli_fail (1, "cannot make a temporary folder: %s", error->message);
          }
      }
    progress.enabled = TRUE;
    progress.total = (int) n_mine;
    int done = 0;
    for (guint i = 0; i < files->len; i++)
      {
        if (owner && owner[i] != shard_k - 1)
          continue;
        const char *rel = g_ptr_array_index (files, i);
        g_autofree char *in_path = g_build_filename (dataset, rel, NULL);
        const char *dot = strrchr (rel, '.');
        g_autofree char *stem = g_strndup (rel, dot ? (gsize) (dot - rel) : strlen (rel));
        g_autofree char *name = g_strconcat (stem, ext, NULL);
        g_autofree char *dst = part_writer ? g_strconcat (tmp_dir, G_DIR_SEPARATOR_S "out", ext, NULL) : g_build_filename (out_dir, name, NULL);
        g_autofree char *dst_dir = g_path_get_dirname (dst);
        g_autoptr(RelTensor) input = NULL;
        g_autoptr(RelExplanation) e = NULL;

        progress.index = done++;
        progress.last = -1;
        draw_bar (&progress, 0.0);
        input = rel_input_load (model, in_path, &error);
        if (input == NULL)
          {
            end_bar (&progress);
            {
              g_autofree char *shown = rel_quote_path (in_path);
              return rel_cli_fail (1, "%s: %s", shown, error->message);
            }
          }
        req.input = input;
        if (true_class)
          {
            req.target.kind = REL_TARGET_CLASS;
            req.target.a = true_class[i];
          }
        e = rel_explain (method, &req, &error);
        if (e == NULL)
          {
            end_bar (&progress);
            {
              g_autofree char *shown = rel_quote_path (in_path);
              return rel_cli_fail (1, "%s: %s: %s", shown, method->name, error->message);
            }
          }
        if (g_mkdir_with_parents (dst_dir, 0755) != 0)
          {
            end_bar (&progress);
            return rel_cli_fail (1, "cannot create '%s'", dst_dir);
          }
        if (!write_output (dst, model, input, e, &style,
                           rel_params_reference_output (params, e->explained_output), NULL, &error))
          {
            end_bar (&progress);
            return rel_cli_fail (1, "%s", error->message);
          }
        if (part_writer)
          {
            g_autofree char *bytes = NULL;
            gsize len = 0;
            if (!g_file_get_contents (dst, &bytes, &len, &error))
              return rel_cli_fail (1, "%s", error->message);
            g_unlink (dst);
            add_output_entry (part_writer, i, name, bytes, len);
          }
        draw_bar (&progress, 1.0);
      }
    end_bar (&progress);
    if (part_writer)
      {
        g_rmdir (tmp_dir);
        g_autoptr(GBytes) bytes = rel_part_writer_finish (part_writer);
        if (shard_out)
          {
            shard_out->part = g_bytes_ref (bytes);
            return 0;
          }
        if (!rel_file_set_contents (part_path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error))
          return rel_cli_fail (1, "%s", error->message);
        printf ("shard %d/%d: explained %d of %u inputs into %s\n", shard_k, shard_n, done, files->len, part_path);
        return 0;
      }
    if (n_skipped > 0)
      printf ("explained %u inputs into %s (%u skipped)\n", files->len, out_dir, n_skipped);
    else
      printf ("explained %u inputs into %s\n", files->len, out_dir);
  }
  return 0;
}

/* ---- methods ---- */

static const char *
param_type_name (RelParamType t)
{
  switch (t)
    {
    case REL_PARAM_FLOAT: return "float";
    case REL_PARAM_INT: return "int";
    case REL_PARAM_BOOL: return "bool";
    case REL_PARAM_CHOICE: return "choice";
    case REL_PARAM_STRING: return "string";
    }
  return "?";
}

static void
add_default (JsonBuilder *b, const RelParamSpec *p)
{
  json_builder_set_member_name (b, "default");
  switch (p->type)
    {
    case REL_PARAM_FLOAT: json_builder_add_double_value (b, p->def); break;
    case REL_PARAM_INT: json_builder_add_int_value (b, (gint64) p->def); break;
    case REL_PARAM_BOOL: json_builder_add_boolean_value (b, p->def != 0); break;
    case REL_PARAM_CHOICE:
      json_builder_add_string_value (b, p->def_string ? p->def_string : (p->choices ? p->choices[0] : ""));
      break;
    case REL_PARAM_STRING: json_builder_add_string_value (b, p->def_string ? p->def_string : ""); break;
    }
}

static char *
default_text (const RelParamSpec *p)
{
  switch (p->type)
    {
    case REL_PARAM_FLOAT: return g_strdup_printf ("%g", p->def);
    case REL_PARAM_INT: return g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) p->def);
    case REL_PARAM_BOOL: return g_strdup (p->def != 0 ? "true" : "false");
    case REL_PARAM_CHOICE:
      return g_strdup (p->def_string ? p->def_string : (p->choices ? p->choices[0] : ""));
    case REL_PARAM_STRING: return g_strdup_printf ("\"%s\"", p->def_string ? p->def_string : "");
    }
  return g_strdup ("");
}

int
rel_cli_methods (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the table as JSON", NULL },
    { NULL },
  };
  g_autoptr(GOptionContext) octx = g_option_context_new ("— list the explanation methods and their parameters");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    return usage ("methods: %s", error->message);
  if (argc != 1)
    return usage ("methods: unexpected argument '%s'", argv[1]);

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_array (b);
      for (const RelMethodDef *const *mp = rel_methods (); *mp; mp++)
        {
          const RelMethodDef *m = *mp;
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, m->name);
          json_builder_set_member_name (b, "title");
          json_builder_add_string_value (b, m->title ? m->title : m->name);
          json_builder_set_member_name (b, "description");
          json_builder_add_string_value (b, m->description ? m->description : "");
          json_builder_set_member_name (b, "family");
          json_builder_add_string_value (b, m->family ? m->family : "");
          json_builder_set_member_name (b, "sampling");
          json_builder_add_boolean_value (b, m->sampling);
          json_builder_set_member_name (b, "params");
          json_builder_begin_array (b);
          for (int i = 0; i < m->n_params; i++)
            {
              const RelParamSpec *p = &m->params[i];
              json_builder_begin_object (b);
              json_builder_set_member_name (b, "name");
              json_builder_add_string_value (b, p->name);
              json_builder_set_member_name (b, "type");
              json_builder_add_string_value (b, param_type_name (p->type));
              json_builder_set_member_name (b, "description");
              json_builder_add_string_value (b, p->description ? p->description : "");
              add_default (b, p);
              if (p->type == REL_PARAM_FLOAT || p->type == REL_PARAM_INT)
                {
                  json_builder_set_member_name (b, "min");
                  json_builder_add_double_value (b, p->min);
                  json_builder_set_member_name (b, "max");
                  json_builder_add_double_value (b, p->max);
                  json_builder_set_member_name (b, "log_scale");
                  json_builder_add_boolean_value (b, p->log_scale);
                }
              json_builder_set_member_name (b, "unit");
              json_builder_add_string_value (b, p->unit ? p->unit : "");
              if (p->type == REL_PARAM_CHOICE && p->choices)
                {
                  json_builder_set_member_name (b, "choices");
                  json_builder_begin_array (b);
                  for (const char *const *c = p->choices; *c; c++)
                    json_builder_add_string_value (b, *c);
                  json_builder_end_array (b);
                }
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      json_generator_set_pretty (gen, TRUE);
      text = json_generator_to_data (gen, NULL);
      printf ("%s\n", text);
      return 0;
    }

  for (const RelMethodDef *const *mp = rel_methods (); *mp; mp++)
    {
      const RelMethodDef *m = *mp;
      printf ("%-30s %s%s\n", m->name, m->description ? m->description : "",
              m->sampling ? " [sampling]" : "");
      for (int i = 0; i < m->n_params; i++)
        {
          const RelParamSpec *p = &m->params[i];
          g_autofree char *def = default_text (p);
          g_autoptr(GString) extra = g_string_new (NULL);

          if (p->type == REL_PARAM_FLOAT || p->type == REL_PARAM_INT)
            g_string_append_printf (extra, ", range [%g, %g]", p->min, p->max);
          if (p->unit && *p->unit)
            g_string_append_printf (extra, ", %s", p->unit);
          if (p->type == REL_PARAM_CHOICE && p->choices)
            {
              g_autofree char *list = g_strjoinv ("|", (char **) p->choices);
              g_string_append_printf (extra, ", one of %s", list);
            }
          printf ("    %-18s %s, default %s%s — %s\n", p->name, param_type_name (p->type), def,
                  extra->str, p->description ? p->description : "");
        }
    }
  return 0;
}

/* ---- bench ---- */

/* @spec is NAME or NAME:key=value,key=value (a short form for scripts);
 * @extra_sets are the --set key=value options, as explain takes them, which
 * also carry values with commas. */
gboolean
rel_cli_bench_method (RelModel *model, const char *spec, const char *const *extra_sets,
                      RelTensor *input, GError **error)
{
  const char *colon = strchr (spec, ':');
  g_autofree char *name = colon ? g_strndup (spec, (gsize) (colon - spec)) : g_strdup (spec);
  g_auto(GStrv) short_sets = colon ? g_strsplit (colon + 1, ",", -1) : NULL;
  g_autoptr(GStrvBuilder) all = g_strv_builder_new ();
  g_auto(GStrv) sets = NULL;
  g_autoptr(RelParams) params = NULL;
  const RelMethodDef *method;
  RelExplainRequest req = { 0 };
  int64_t shape[REL_MAX_DIMS];
  int64_t per;

  method = lookup_method (name, error);
  if (method == NULL)
    return FALSE;
  if (short_sets)
    g_strv_builder_addv (all, (const char **) short_sets);
  if (extra_sets)
    g_strv_builder_addv (all, (const char **) extra_sets);
  sets = g_strv_builder_end (all);
  params = build_params (method, sets, error);
  if (params == NULL)
    return FALSE;
  if (input->ndim < 1 || input->shape[0] < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "bench: empty input");
      return FALSE;
    }
  memcpy (shape, input->shape, sizeof shape);
  shape[0] = 1;
  per = input->numel / input->shape[0];
  req.model = model;
  req.params = params;
  req.target.kind = REL_TARGET_PREDICTED;
  /* explainers take one input at a time: loop over the rows */
  for (int64_t r = 0; r < input->shape[0]; r++)
    {
      g_autoptr(RelTensor) row = rel_tensor_new_from_f32 (input->ndim, shape,
                                                          rel_tensor_f32 (input) + r * per, error);
      g_autoptr(RelExplanation) e = NULL;

      if (row == NULL)
        return FALSE;
      req.input = row;
      e = rel_explain (method, &req, error);
      if (e == NULL)
        {
          g_prefix_error (error, "%s: ", method->name);
          return FALSE;
        }
    }
  return TRUE;
}
