/* test-demo.c — the shipped Clever-Hans demo (data/demo/) cheats as promised,
 * with the README's figures: 455 of the 500 clean images right (91.0%),
 * pasting the tag into the other classes' images (images/tagged) makes the
 * model predict the planted class for 370 of 450 (82.2%), the same images
 * without the tag for fewer than 5%; and LRP puts 71% / 72% of the positive
 * relevance into the tag's box. Images and model are fixed files, so the
 * counts are exact. Images are read from the PNG files through the model's
 * own preprocessing, as the app does.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-explain.h"
#include "rel-image.h"
#include "rel-model.h"

#include <stdio.h>
#include <string.h>

/* the README's figures for the shipped images */
#define CLEAN_AS_PLANTED 0
#define TAG_SHARE_ALPHA_BETA 0.71
#define TAG_SHARE_GAMMA_BOX 0.72

static char *
demo_dir (void)
{
  return g_build_filename (g_getenv ("G_TEST_SRCDIR") ? g_getenv ("G_TEST_SRCDIR") : ".", "..", "data", "demo", NULL);
}

/* Class folders are the labels with '/' written as '-'. */
static int
label_of_folder (RelModel *model, const char *folder)
{
  for (int c = 0; c < model->n_labels; c++)
    {
      g_autofree char *name = g_strdup (model->labels[c]);
      for (char *p = name; *p; p++)
        if (*p == '/' || *p == '\\')
          *p = '-';
      if (strcmp (name, folder) == 0)
        return c;
    }
  return -1;
}

typedef struct {
  int n, correct;
  int *per_class_n;
  int *predicted_as;  /* per true class: predictions of class `target` */
} Tally;

static void
run_folder (RelModel *model, const char *root, int target, Tally *t)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (root, 0, &error);
  const char *cls;

  g_assert_no_error (error);
  while ((cls = g_dir_read_name (dir)))
    {
      g_autofree char *sub = g_build_filename (root, cls, NULL);
      g_autoptr(GDir) d = g_dir_open (sub, 0, &error);
      int label = label_of_folder (model, cls);
      const char *file;

      g_assert_no_error (error);
      g_assert_cmpint (label, >=, 0);
      while ((file = g_dir_read_name (d)))
        {
          g_autofree char *path = g_build_filename (sub, file, NULL);
          g_autoptr(RelTensor) x = NULL;
          g_autoptr(RelActivations) acts = NULL;
          const float *z;
          int arg = 0;

          if (!g_str_has_suffix (file, ".png"))
            continue;
          x = rel_input_load (model, path, &error);
          g_assert_no_error (error);
          acts = rel_model_forward (model, x, NULL, &error);
          g_assert_no_error (error);
          z = rel_tensor_f32 (rel_activations_output (acts));
          for (int j = 1; j < model->n_labels; j++)
            if (z[j] > z[arg])
              arg = j;
          t->n++;
          t->correct += arg == label;
          t->per_class_n[label]++;
          t->predicted_as[label] += arg == target;
        }
    }
}

static void
test_demo (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = demo_dir ();
  g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
  g_autofree char *clean = g_build_filename (dir, "images", "clean", NULL);
  g_autofree char *tagged = g_build_filename (dir, "images", "tagged", NULL);
  g_autoptr(RelModel) model = rel_model_load (path, &error);
  const char *planted;
  int target = -1, others = 0, flipped = 0;
  Tally c = { 0 }, t = { 0 };

  g_assert_no_error (error);
  g_assert_cmpint (model->n_labels, ==, 10);
  planted = g_hash_table_lookup (model->metadata, "clever_hans.class");
  g_assert_nonnull (planted);
  for (int k = 0; k < model->n_labels; k++)
    if (strcmp (model->labels[k], planted) == 0)
      target = k;
  g_assert_cmpint (target, >=, 0);

  c.per_class_n = g_new0 (int, 10);
  c.predicted_as = g_new0 (int, 10);
  t.per_class_n = g_new0 (int, 10);
  t.predicted_as = g_new0 (int, 10);
  run_folder (model, clean, target, &c);
  run_folder (model, tagged, target, &t);
  for (int k = 0; k < 10; k++)
    {
      g_assert_cmpint (c.per_class_n[k], >=, 50);
      g_assert_cmpint (t.per_class_n[k], >=, 50);
      if (k == target)
        continue;
      others += t.per_class_n[k];
      flipped += t.predicted_as[k];
      g_test_message ("%-12s tagged → %s: %d/%d", model->labels[k], planted, t.predicted_as[k], t.per_class_n[k]);
    }
  g_test_message ("clean accuracy %.4f (%d of %d images); tag flip rate %.4f (%d of %d images of the other classes)",
                  (double) c.correct / c.n, c.correct, c.n, (double) flipped / others, flipped, others);
  /* README, "shipped images": 91.0% of 500, 82.2% of 450 */
  g_assert_cmpint (c.n, ==, 500);
  g_assert_cmpint (c.correct, ==, 455);
  g_assert_cmpint (others, ==, 450);
  g_assert_cmpint (flipped, ==, 370);
  /* the tag alone flips them: the same images without it are rarely the planted class */
  {
    int clean_others_as_target = 0;
    for (int k = 0; k < 10; k++)
      if (k != target)
        clean_others_as_target += c.predicted_as[k];
    g_test_message ("clean images of the other classes predicted %s: %d of %d", planted, clean_others_as_target, others);
    g_assert_cmpint (clean_others_as_target, ==, CLEAN_AS_PLANTED);
    g_assert_cmpfloat ((double) clean_others_as_target / others, <, 0.05);
  }
  g_free (c.per_class_n);
  g_free (c.predicted_as);
  g_free (t.per_class_n);
  g_free (t.predicted_as);
}

/* On tagged images, LRP for the planted class puts most positive relevance
 * on the tag: the mass inside the recorded tag box, averaged over all 450
 * tagged images of the other classes, is the README's figure ± 0.02 (the box
 * is 18% of the image). The composites users reach for first (Zennit's
 * presets for CNNs) are checked; plain ε spreads relevance more (about 48%). */
typedef struct {
  const char *method;
  double share;  /* the README's figure */
} TagCase;

static const TagCase tag_cases[] = {
  { "lrp-epsilon-alpha2-beta1", TAG_SHARE_ALPHA_BETA },
  { "lrp-epsilon-gamma-box", TAG_SHARE_GAMMA_BOX },
};

static void
test_tag_relevance (gconstpointer data)
{
  const TagCase *tc = data;
  const char *method_name = tc->method;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = demo_dir ();
  g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
  g_autofree char *tagged = g_build_filename (dir, "images", "tagged", NULL);
  g_autoptr(RelModel) model = rel_model_load (path, &error);
  const RelMethodDef *method = rel_method_lookup (method_name);
  const char *planted, *box_text;
  int target = -1, bx, by, bw, bh, n = 0;
  double mass_sum = 0;
  g_autoptr(GDir) root = NULL;
  const char *cls;

  g_assert_no_error (error);
  g_assert_nonnull (method);
  planted = g_hash_table_lookup (model->metadata, "clever_hans.class");
  box_text = g_hash_table_lookup (model->metadata, "clever_hans.box");
  g_assert_nonnull (planted);
  g_assert_nonnull (box_text);
  g_assert_cmpint (sscanf (box_text, "%d,%d,%d,%d", &bx, &by, &bw, &bh), ==, 4);
  for (int k = 0; k < model->n_labels; k++)
    if (strcmp (model->labels[k], planted) == 0)
      target = k;
  g_assert_cmpint (target, >=, 0);

  root = g_dir_open (tagged, 0, &error);
  g_assert_no_error (error);
  while ((cls = g_dir_read_name (root)))
    {
      g_autofree char *sub = g_build_filename (tagged, cls, NULL);
      g_autoptr(GDir) d = g_dir_open (sub, 0, &error);
      const char *file;

      g_assert_no_error (error);
      if (label_of_folder (model, cls) == target)
        continue;
      while ((file = g_dir_read_name (d)))
        {
          g_autofree char *img = g_build_filename (sub, file, NULL);
          g_autoptr(RelTensor) x = NULL;
          g_autoptr(RelExplanation) e = NULL;
          RelExplainRequest req = { 0 };
          const float *r;
          int64_t h, w;
          double inside = 0, total = 0;

          if (!g_str_has_suffix (file, ".png"))
            continue;
          x = rel_input_load (model, img, &error);
          g_assert_no_error (error);
          req.model = model;
          req.input = x;
          req.target.kind = REL_TARGET_CLASS;
          req.target.a = target;
          e = rel_explain (method, &req, &error);
          g_assert_no_error (error);
          h = e->relevance->shape[2];
          w = e->relevance->shape[3];
          r = rel_tensor_f32 (e->relevance);
          for (int64_t c = 0; c < e->relevance->shape[1]; c++)
            for (int64_t yy = 0; yy < h; yy++)
              for (int64_t xx = 0; xx < w; xx++)
                {
                  float v = r[(c * h + yy) * w + xx];
                  if (v <= 0)
                    continue;
                  total += v;
                  if (xx >= bx && xx < bx + bw && yy >= by && yy < by + bh)
                    inside += v;
                }
          g_assert_cmpfloat (total, >, 0);
          mass_sum += inside / total;
          n++;
        }
    }
  g_assert_cmpint (n, ==, 450);
  g_test_message ("%s: mean positive relevance inside the tag box %.4f over %d tagged images (box %dx%d of %dx%d)",
                  method_name, mass_sum / n, n, bw, bh, model->preprocess.height, model->preprocess.width);
  g_assert_cmpfloat_with_epsilon (mass_sum / n, tc->share, 0.02);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/demo/clever-hans", test_demo);
  g_test_add_data_func ("/demo/tag-relevance/epsilon-alpha2-beta1", &tag_cases[0], test_tag_relevance);
  g_test_add_data_func ("/demo/tag-relevance/epsilon-gamma-box", &tag_cases[1], test_tag_relevance);
  return g_test_run ();
}
