/* test-concepts-demo.c — Concept Relevance Propagation finds the shipped
 * demo's Clever Hans (data/demo/): over the tagged images of the other
 * classes that the model predicts as the planted class, the top 3 channels
 * of the default layer (by mean relevance, EpsilonPlusFlat) include one whose
 * 20 RelMax reference images over the whole demo set (clean and tagged) are
 * ≥ 80 % tagged, and whose conditional heatmaps put ≥ 70 % of their positive
 * relevance inside the tag's box (mean over those images). The first-ranked
 * channel is not required to be it: it mixes tag and shape.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-concepts.h"
#include "rel-dataset.h"
#include "rel-error.h"
#include "rel-image.h"
#include "fixture-util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define METHOD "lrp-epsilon-plus-flat"

static char *
demo_dir (void)
{
  return g_build_filename (g_getenv ("G_TEST_SRCDIR") ? g_getenv ("G_TEST_SRCDIR") : ".", "..", "data", "demo", NULL);
}

static gboolean
is_tagged (const char *path)
{
  return strstr (path, G_DIR_SEPARATOR_S "tagged" G_DIR_SEPARATOR_S) != NULL;
}

static RelRelevancePass *
pass_for (RelModel *model, const char *path, const RelParams *params)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) x = rel_input_load (model, path, &error);
  RelExplainRequest req = { 0 };
  RelRelevancePass *pass;

  g_assert_no_error (error);
  req.model = model;
  req.input = x;
  req.params = (RelParams *) params;
  pass = rel_relevance_pass_new (NULL, &req, &error);
  g_assert_no_error (error);
  return pass;
}

static void
test_demo_concepts (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = demo_dir ();
  g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
  g_autofree char *images = g_build_filename (dir, "images", NULL);
  g_autoptr(RelModel) model = NULL;
  g_autoptr(RelDataset) ds = NULL;
  g_autoptr(RelParams) params = rel_params_new (rel_method_lookup (METHOD));
  g_autoptr(GArray) mean = NULL;
  g_autoptr(GArray) top = NULL;
  g_autoptr(GPtrArray) suspects = g_ptr_array_new ();
  g_autoptr(RelConceptReferences) refs = NULL;
  const char *planted, *box_text;
  int target = -1, node, value, bx, by, bw, bh, C = 0, found = -1;
  double inside[3] = { 0 }, total[3] = { 0 }, share_in[3] = { 0 };
  int cs[3];

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      fixture_missing ("%s is absent", path);
      return;
    }
  model = rel_model_load (path, &error);
  g_assert_no_error (error);
  planted = g_hash_table_lookup (model->metadata, "clever_hans.class");
  box_text = g_hash_table_lookup (model->metadata, "clever_hans.box");
  g_assert_nonnull (planted);
  g_assert_nonnull (box_text);
  g_assert_cmpint (sscanf (box_text, "%d,%d,%d,%d", &bx, &by, &bw, &bh), ==, 4);
  for (int k = 0; k < model->n_labels; k++)
    if (strcmp (model->labels[k], planted) == 0)
      target = k;
  g_assert_cmpint (target, >=, 0);
  g_assert_true (rel_concept_resolve_layer (model, NULL, &node, &value, &error));
  g_assert_no_error (error);
  ds = rel_dataset_scan (images, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ds->paths->len, ==, 1000);

  /* the tagged images of the other classes predicted as the planted class */
  for (guint i = 0; i < ds->paths->len; i++)
    {
      const char *p = g_ptr_array_index (ds->paths, i);
      g_autofree char *cls = NULL;
      g_autoptr(RelRelevancePass) pass = NULL;
      g_autoptr(GArray) cr = NULL;

      if (!is_tagged (p))
        continue;
      {
        g_autofree char *d = g_path_get_dirname (p);
        cls = g_path_get_basename (d);
      }
      if (strcmp (cls, planted) == 0)
        continue;
      pass = pass_for (model, p, params);
      if (rel_relevance_pass_target_class (pass) != target)
        continue;
      cr = rel_concepts_compute (pass, value, NULL, &error);
      g_assert_no_error (error);
      if (mean == NULL)
        {
          C = (int) cr->len;
          mean = g_array_copy (cr);
          for (int c = 0; c < C; c++)
            g_array_index (mean, RelConcept, c).relevance = 0;
        }
      for (int c = 0; c < C; c++)
        g_array_index (mean, RelConcept, c).relevance += g_array_index (cr, RelConcept, c).relevance;
      g_ptr_array_add (suspects, (gpointer) p);
    }
  g_assert_cmpuint (suspects->len, ==, 370);   /* test-demo.c: 370 of the 450 flip */
  for (int c = 0; c < C; c++)
    g_array_index (mean, RelConcept, c).relevance /= suspects->len;
  top = rel_concepts_top (mean, 3, REL_CONCEPT_RANK_POSITIVE);
  for (int k = 0; k < 3; k++)
    cs[k] = g_array_index (top, RelConcept, k).channel;

  /* conditional heatmaps of the three on those images: positive relevance inside the box */
  for (guint i = 0; i < suspects->len; i++)
    {
      g_autoptr(RelRelevancePass) pass = pass_for (model, g_ptr_array_index (suspects, i), params);
      g_autoptr(RelTensor) maps = rel_concept_heatmaps (pass, value, cs, 3, &error);
      int64_t ch, h, w;

      g_assert_no_error (error);
      ch = maps->shape[1];
      h = maps->shape[2];
      w = maps->shape[3];
      for (int k = 0; k < 3; k++)
        {
          double in = 0, all = 0;
          for (int64_t c = 0; c < ch; c++)
            for (int64_t y = 0; y < h; y++)
              for (int64_t x = 0; x < w; x++)
                {
                  float v = rel_tensor_f32 (maps)[((k * ch + c) * h + y) * w + x];
                  if (v <= 0)
                    continue;
                  all += v;
                  if (x >= bx && x < bx + bw && y >= by && y < by + bh)
                    in += v;
                }
          inside[k] += in;
          total[k] += all;
          share_in[k] += all > 0 ? in / all : 0;
        }
    }

  /* RelMax references over the whole demo set, 20 per concept */
  refs = rel_concept_references_compute (model, params, value, (const char *const *) ds->paths->pdata,
                                         (int) ds->paths->len, REL_CONCEPT_RELMAX, 20, cs, 3,
                                         NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (refs->n_images, ==, 1000);
  for (int k = 0; k < 3; k++)
    {
      GArray *list = refs->refs[cs[k]];
      int tagged = 0;
      double box_share = share_in[k] / suspects->len;

      g_assert_cmpuint (list->len, ==, 20);
      for (guint r = 0; r < list->len; r++)
        {
          const RelConceptReference *ref = &g_array_index (list, RelConceptReference, r);
          tagged += is_tagged (g_ptr_array_index (ds->paths, ref->image));
          /* the crop lies in the image and holds the position it was found at */
          g_assert_cmpint (ref->box[0], >=, 0);
          g_assert_cmpint (ref->box[1], >=, 0);
          g_assert_cmpint (ref->box[2], >, 0);
          g_assert_cmpint (ref->box[0] + ref->box[2], <=, model->preprocess.width);
          g_assert_cmpint (ref->box[1] + ref->box[3], <=, model->preprocess.height);
          if (r > 0)
            g_assert_cmpfloat (ref->value, <=, g_array_index (list, RelConceptReference, r - 1).value);
        }
      g_test_message ("concept %d: channel %d, mean relevance %.4f over %u images; RelMax references %d/20 tagged; "
                      "positive conditional relevance inside the tag box %.3f (mean per image; pooled %.3f)",
                      k + 1, cs[k], g_array_index (top, RelConcept, k).relevance, suspects->len, tagged,
                      box_share, total[k] > 0 ? inside[k] / total[k] : 0);
      if (found < 0 && tagged >= 16 && box_share >= 0.7)
        found = k;
    }
  g_assert_cmpint (found, >=, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/concepts/demo", test_demo_concepts);
  return g_test_run ();
}
