/* fuzz-preprocess.c — fuzz target for a model's preprocessing settings
 * (core/rel-image.c): the `.ini` sidecar, the `relevance.*` metadata_props
 * keys and the CLI's overrides, resolved together as the loader does.
 *
 * The input is the sidecar's text up to the first NUL byte (none: no sidecar
 * file), then NUL-separated key, value pairs: a key starting with "--" is an
 * override (`--mean` → rel_preprocess_set ("mean", …)), applied after the
 * file's settings resolved; any other key is a metadata_props entry. The
 * model is the tiny CNN (1×1×28×28 input, 10 classes) under a temporary path,
 * so a sidecar and a `labels_file` are read from the temporary folder, which
 * also holds labels.txt (ten labels).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz-util.h"
#include "rel-error.h"
#include "rel-image.h"

#include <math.h>
#include <string.h>

static void
check_settings (RelModel *model)
{
  const RelPreprocess *pp = &model->preprocess;

  rel_fuzz_check (pp->channels == 1 && pp->height == 28 && pp->width == 28, "the input shape changed");
  rel_fuzz_check (isfinite (pp->scale) && pp->scale > 0, "a scale that is not a positive number");
  rel_fuzz_check (pp->resize >= 0 && pp->resize <= REL_IMAGE_MAX_RESIZE, "a resize beyond the limit");
  for (int c = 0; c < 4; c++)
    rel_fuzz_check (isfinite (pp->mean[c]) && isfinite (pp->std[c]) && pp->std[c] > 0,
                    "a mean or std that is not finite, or a std that is not positive");
  rel_fuzz_check (isfinite (pp->range_low) && isfinite (pp->range_high) && pp->range_low < pp->range_high,
                  "an input range that is empty or not finite");
  rel_fuzz_check ((model->labels == NULL) == (model->n_labels == 0), "labels and their count disagree");
  if (model->labels)
    {
      rel_fuzz_check (model->n_labels == 10 && g_strv_length (model->labels) == 10,
                      "labels for another number of classes");
      for (int i = 0; i < model->n_labels; i++)
        rel_fuzz_check (g_utf8_validate (model->labels[i], -1, NULL), "a label that is not UTF-8");
    }
}

gboolean
rel_fuzz_run (const uint8_t *data, size_t size)
{
  RelModel *model = rel_fuzz_fixture_model ("tiny-cnn", "model.onnx");
  g_autofree char *saved_path = model->path;
  static const char ten[] = "0\n1\n2\n3\n4\nfive\n6\n7\n8\nnine\n";
  g_autoptr(GPtrArray) overrides = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *p = (const char *) data, *end = p + size, *nul = memchr (p, '\0', size);
  gboolean ok;

  model->path = g_build_filename (rel_fuzz_tmpdir (), "model.onnx", NULL);
  g_free (rel_fuzz_write ("labels.txt", ten, strlen (ten)));
  if (nul ? nul > p : size > 0)
    g_free (rel_fuzz_write ("model.onnx.ini", p, nul ? (size_t) (nul - p) : size));
  g_hash_table_remove_all (model->metadata);
  /* key NUL value NUL …; a key without its value gets "" */
  for (p = nul ? nul + 1 : end; p < end;)
    {
      const char *k_end = memchr (p, '\0', (size_t) (end - p));
      g_autofree char *key = g_strndup (p, (gsize) ((k_end ? k_end : end) - p));
      const char *v = k_end ? k_end + 1 : end;
      const char *v_end = v < end ? memchr (v, '\0', (size_t) (end - v)) : NULL;
      char *value = g_strndup (v, (gsize) ((v_end ? v_end : end) - v));

      p = v_end ? v_end + 1 : end;
      if (g_str_has_prefix (key, "--"))
        {
          g_ptr_array_add (overrides, g_strdup (key + 2));
          g_ptr_array_add (overrides, value);
        }
      else
        g_hash_table_replace (model->metadata, g_steal_pointer (&key), value);
    }
  g_ptr_array_set_free_func (overrides, g_free);

  ok = rel_model_resolve_preprocess (model, &error);
  rel_fuzz_check_outcome (ok, error);
  if (ok)
    {
      check_settings (model);
      for (guint i = 0; ok && i + 1 < overrides->len; i += 2)
        {
          RelPreprocess before = model->preprocess;
          ok = rel_preprocess_set (model, overrides->pdata[i], overrides->pdata[i + 1], &error);
          rel_fuzz_check_outcome (ok, error);
          if (!ok)
            rel_fuzz_check (memcmp (&before, &model->preprocess, sizeof before) == 0,
                            "a refused override changed the settings");
          else
            check_settings (model);
        }
    }

  /* back to the fixture's own state for the next input */
  g_free (model->path);
  model->path = g_steal_pointer (&saved_path);
  g_hash_table_remove_all (model->metadata);
  g_clear_pointer (&model->labels, g_strfreev);
  model->n_labels = 0;
  rel_fuzz_remove ("model.onnx.ini");
  rel_fuzz_remove ("labels.txt");
  return ok;
}
