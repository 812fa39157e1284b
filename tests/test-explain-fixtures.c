/* test-explain-fixtures.c — `relevance-cli explain` against the Zennit and
 * Captum references in tests/fixtures: every model × every method file.
 *
 * Each case runs the CLI ($RELEVANCE_CLI) on the fixture's input.npy with the
 * fixture's target and compares the written .npy with the reference: cosine
 * similarity ≥ 0.999 and max abs error ≤ 1e-3 × max|reference| (see
 * tests/fixtures/README.md for what each file means).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-npy.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

/* fixture file → CLI arguments; @per_model picks the CAM layer / occlusion window */
typedef struct {
  const char *fixture;
  const char *args;
} MethodCase;

static const MethodCase cases[] = {
  { "gradient", "--method gradient" },
  { "input_x_gradient", "--method input-x-gradient" },
  { "guided_backprop", "--method guided-backprop" },
  { "deconvnet", "--method deconvnet" },
  { "ig64_right_riemann_zennit", "--method integrated-gradients --set steps=64 --set rule=riemann-right --set baseline=zeros" },
  { "ig64_gausslegendre", "--method integrated-gradients --set steps=64 --set rule=gauss-legendre --set baseline=zeros" },
  { "gradcam", "--method gradcam --set upsample=false" },   /* + layer */
  { "occlusion", "--method occlusion --set fill=zero" },    /* + window, stride */
  { "lrp_epsilon_1e-6", "--method lrp-epsilon --set epsilon=1e-6 --set initial=one" },
  { "lrp_epsilon_0.25", "--method lrp-epsilon --set epsilon=0.25 --set initial=one" },
  { "lrp_gamma_0.25", "--method lrp-gamma --set gamma=0.25 --set initial=one" },
  { "lrp_zplus", "--method lrp-zplus --set initial=one" },
  { "lrp_alpha2_beta1", "--method lrp-alpha-beta --set alpha=2 --set beta=1 --set initial=one" },
  { "lrp_wsquare", "--method lrp-wsquare --set initial=one" },
  { "composite_epsilon_plus", "--method lrp-epsilon-plus --set epsilon=1e-6 --set initial=one" },
  { "composite_epsilon_plus_flat", "--method lrp-epsilon-plus-flat --set epsilon=1e-6 --set initial=one" },
  { "composite_epsilon_gamma_box",
    "--method lrp-epsilon-gamma-box --set epsilon=1e-6 --set gamma=0.25 --set low=0 --set high=1 --set initial=one" },
  { "composite_epsilon_alpha2_beta1", "--method lrp-epsilon-alpha2-beta1 --set epsilon=1e-6 --set initial=one" },
  { "composite_epsilon_alpha2_beta1_flat", "--method lrp-epsilon-alpha2-beta1-flat --set epsilon=1e-6 --set initial=one" },
};

typedef struct {
  const char *dir;
  const char *onnx;
  const char *cam_layer;   /* the fixture's Grad-CAM layer (see README) */
  const char *occlusion;   /* the fixture's occlusion window */
} ModelCase;

static const ModelCase models[] = {
  /* the second Conv's output, pre-ReLU, 14×14 */
  { "tiny-cnn", "model.onnx", "/features/features.3/Conv_output_0", "--set window=4 --set stride=2" },
  /* the last residual block's output (after its final ReLU), 8×8 */
  { "tiny-resnet", "model.onnx", "/blocks/blocks.1/relu_1/Relu_output_0", "--set window=8 --set stride=4" },
  /* BatchNorm kept: the same function, so the same maps */
  { "tiny-resnet", "model-bn.onnx", "/blocks/blocks.1/relu_1/Relu_output_0", "--set window=8 --set stride=4" },
  { "tiny-mobilenet", "model.onnx", NULL, "--set window=8 --set stride=4" },
};

typedef struct {
  const ModelCase  *model;
  const MethodCase *method;
} Case;

static char *tmp_dir;

static int
read_target (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "meta.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  return (int) json_object_get_int_member (root, "target");
}

static void
test_fixture (gconstpointer data)
{
  const Case *c = data;
  const char *fixtures = g_getenv ("RELEVANCE_FIXTURES");
  const char *cli = g_getenv ("RELEVANCE_CLI");
  g_autofree char *dir = g_build_filename (fixtures, c->model->dir, NULL);
  g_autofree char *model = g_build_filename (dir, c->model->onnx, NULL);
  g_autofree char *input = g_build_filename (dir, "input.npy", NULL);
  g_autofree char *ref_path = g_strdup_printf ("%s/%s.npy", dir, c->method->fixture);
  g_autofree char *out_name = g_strdup_printf ("%s-%s-%s.npy", c->model->dir, c->model->onnx, c->method->fixture);
  g_autofree char *out = g_build_filename (tmp_dir, out_name, NULL);
  g_autoptr(GString) cmd = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) ref = NULL;
  g_autoptr(RelTensor) got = NULL;
  g_autofree char *std_out = NULL, *std_err = NULL;
  g_auto(GStrv) argv = NULL;
  int status = 0;
  double dot = 0, na = 0, nb = 0, max_err = 0, max_ref = 0, cosine;

  if (!g_file_test (ref_path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no reference for this model");
      return;
    }
  g_string_append_printf (cmd, "'%s' explain '%s' '%s' --target %d --out '%s' %s", cli, model, input,
                          read_target (dir), out, c->method->args);
  if (strcmp (c->method->fixture, "gradcam") == 0 && c->model->cam_layer)
    g_string_append_printf (cmd, " --set layer=%s", c->model->cam_layer);
  if (strcmp (c->method->fixture, "occlusion") == 0)
    g_string_append_printf (cmd, " %s", c->model->occlusion);

  g_shell_parse_argv (cmd->str, NULL, &argv, &error);
  g_assert_no_error (error);
  g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &std_out, &std_err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_test_fail_printf ("%s failed: %s", cmd->str, std_err);
      return;
    }

  ref = rel_npy_load (ref_path, &error);
  g_assert_no_error (error);
  got = rel_npy_load (out, &error);
  g_assert_no_error (error);
  if (error || !rel_tensor_same_shape (got, ref))
    {
      g_test_fail_printf ("%s: the output does not have the reference's shape", cmd->str);
      return;
    }

  for (int64_t i = 0; i < ref->numel; i++)
    {
      double a = rel_tensor_f32 (got)[i], b = rel_tensor_f32 (ref)[i];
      dot += a * b;
      na += a * a;
      nb += b * b;
      max_err = MAX (max_err, fabs (a - b));
      max_ref = MAX (max_ref, fabs (b));
    }
  cosine = na > 0 && nb > 0 ? dot / sqrt (na * nb) : (na == nb ? 1.0 : 0.0);
  g_test_message ("%s/%s %s: cosine %.7f, max abs err %.3g = %.3g x max|ref|",
                  c->model->dir, c->model->onnx, c->method->fixture, cosine, max_err,
                  max_ref > 0 ? max_err / max_ref : 0.0);
  g_assert_cmpfloat (cosine, >=, 0.999);
  g_assert_cmpfloat (max_err, <=, 1e-3 * max_ref);
}

int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  int ret;

  g_test_init (&argc, &argv, NULL);
  /* report every model × method, not just the first mismatch */
  g_test_set_nonfatal_assertions ();
  if (g_getenv ("RELEVANCE_FIXTURES") == NULL || g_getenv ("RELEVANCE_CLI") == NULL)
    {
      g_printerr ("RELEVANCE_FIXTURES and RELEVANCE_CLI must be set (meson test does)\n");
      return 1;
    }
  tmp_dir = g_dir_make_tmp ("relevance-fixtures-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  for (gsize m = 0; m < G_N_ELEMENTS (models); m++)
    for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
      {
        Case *c = g_new0 (Case, 1);
        g_autofree char *path = NULL;
        c->model = &models[m];
        c->method = &cases[k];
        path = g_strdup_printf ("/explain-fixtures/%s/%s/%s", models[m].dir, models[m].onnx, cases[k].fixture);
        g_ptr_array_add (all, c);
        g_test_add_data_func (path, c, test_fixture);
      }
  ret = g_test_run ();

  /* clean up the CLI's outputs */
  {
    g_autoptr(GDir) d = g_dir_open (tmp_dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *p = g_build_filename (tmp_dir, name, NULL);
        g_unlink (p);
      }
    g_rmdir (tmp_dir);
    g_free (tmp_dir);
  }
  return ret;
}
