/* test-explain-fixtures.c — `relevance-cli explain` against the Zennit and
 * Captum references in tests/fixtures: every model × every method file.
 *
 * Each case runs the CLI ($RELEVANCE_CLI) on the fixture's input.npy with the
 * fixture's target and compares the written .npy with the reference: cosine
 * similarity ≥ 0.999 and max abs error ≤ 1e-3 × max|reference| (see
 * tests/fixtures/README.md for what each file means). The Zennit LRP maps run
 * with --set bn-merge=zennit, Zennit's BatchNorm merge (see fixture_lrp), and
 * again with the default exact merge, held to cosine ≥ 0.999.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-explain.h"
#include "rel-npy.h"
#include "fixture-util.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <stdlib.h>

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
  /* fixtures the reference scripts do not make for this model (README):
   * not registered; any other missing file fails under CI=true */
  const char *absent[4];
} ModelCase;

static const ModelCase models[] = {
  /* the second Conv's output, pre-ReLU, 14×14 */
  { "tiny-cnn", "model.onnx", "/features/features.3/Conv_output_0", "--set window=4 --set stride=2" },
  /* the last residual block's output (after its final ReLU), 8×8 */
  { "tiny-resnet", "model.onnx", "/blocks/blocks.1/relu_1/Relu_output_0", "--set window=8 --set stride=4" },
  /* BatchNorm kept: the same function, so the same maps */
  { "tiny-resnet", "model-bn.onnx", "/blocks/blocks.1/relu_1/Relu_output_0", "--set window=8 --set stride=4" },
  /* ReLU6 has no guided/deconv rule in Zennit, and Captum's Grad-CAM layer was not picked */
  { "tiny-mobilenet", "model.onnx", NULL, "--set window=8 --set stride=4",
    { "guided_backprop", "deconvnet", "gradcam", NULL } },
};

typedef struct {
  const ModelCase  *model;
  const MethodCase *method;
} Case;

static char *tmp_dir;

/* Zennit 0.5.1's MergeBatchNorm folds BN into the Conv but leaves the BN
 * with its ε, a 5·10⁻⁶ change of the function that bn-merge=zennit
 * reproduces: from the BatchNormalization nodes of model-bn.onnx, and from
 * the Convs torch.onnx fused a BN into in model.onnx (their weights are named
 * "onnx::Conv_<n>", ε is torch's default). tiny-resnet's w² map amplifies
 * the difference to 4.5·10⁻³ × max|ref| with the exact merge, so that map
 * checks both readings of the quirk. */
static gboolean
is_lrp (const MethodCase *method)
{
  return g_str_has_prefix (method->fixture, "lrp_") || g_str_has_prefix (method->fixture, "composite_");
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (path, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR) && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
        remove_tree (p);
      else
        g_unlink (p);
    }
  g_rmdir (path);
}

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

/* Runs the CLI for @c with @extra arguments into @out; NULL (the test failed) if it fails. */
static RelTensor *
run_case (const Case *c, const char *extra, const char *out)
{
  const char *fixtures = g_getenv ("RELEVANCE_FIXTURES");
  const char *cli = g_getenv ("RELEVANCE_CLI");
  g_autofree char *dir = g_build_filename (fixtures, c->model->dir, NULL);
  g_autofree char *model = g_build_filename (dir, c->model->onnx, NULL);
  g_autofree char *input = g_build_filename (dir, "input.npy", NULL);
  g_autoptr(GString) cmd = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *std_out = NULL, *std_err = NULL;
  g_auto(GStrv) argv = NULL;
  int status = 0;
  RelTensor *got;

  g_string_append_printf (cmd, "'%s' explain '%s' '%s' --target %d --out '%s' %s %s", cli, model, input,
                          read_target (dir), out, c->method->args, extra ? extra : "");
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
      return NULL;
    }
  got = rel_npy_load (out, &error);
  g_assert_no_error (error);
  return got;
}

/* cosine similarity and max |a − ref| / max |ref| */
static void
compare (const RelTensor *got, const RelTensor *ref, double *cosine, double *rel_err)
{
  double dot = 0, na = 0, nb = 0, max_err = 0, max_ref = 0;

  for (int64_t i = 0; i < ref->numel; i++)
    {
      double a = rel_tensor_f32 (got)[i], b = rel_tensor_f32 (ref)[i];
      dot += a * b;
      na += a * a;
      nb += b * b;
      max_err = MAX (max_err, fabs (a - b));
      max_ref = MAX (max_ref, fabs (b));
    }
  *cosine = na > 0 && nb > 0 ? dot / sqrt (na * nb) : (na == nb ? 1.0 : 0.0);
  *rel_err = max_ref > 0 ? max_err / max_ref : max_err;
}

static void
test_fixture (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *dir = g_build_filename (g_getenv ("RELEVANCE_FIXTURES"), c->model->dir, NULL);
  g_autofree char *ref_path = g_strdup_printf ("%s/%s.npy", dir, c->method->fixture);
  g_autofree char *out_name = g_strdup_printf ("%s-%s-%s.npy", c->model->dir, c->model->onnx, c->method->fixture);
  g_autofree char *out = g_build_filename (tmp_dir, out_name, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) ref = NULL;
  g_autoptr(RelTensor) got = NULL;
  gboolean lrp = is_lrp (c->method);
  double cosine, err;

  if (!g_file_test (ref_path, G_FILE_TEST_EXISTS))
    {
      fixture_missing ("%s is missing", ref_path);
      return;
    }
  ref = rel_npy_load (ref_path, &error);
  g_assert_no_error (error);
  /* the setting a user comparing with Zennit picks */
  if (!(got = run_case (c, lrp ? "--set bn-merge=zennit" : NULL, out)))
    return;
  if (!rel_tensor_same_shape (got, ref))
    {
      g_test_fail_printf ("%s/%s %s: the output does not have the reference's shape",
                          c->model->dir, c->model->onnx, c->method->fixture);
      return;
    }
  compare (got, ref, &cosine, &err);
  g_test_message ("%s/%s %s%s: cosine %.7f, max abs err %.3g x max|ref|",
                  c->model->dir, c->model->onnx, c->method->fixture, lrp ? " (bn-merge=zennit)" : "",
                  cosine, err);
  g_assert_cmpfloat (cosine, >=, 0.999);
  g_assert_cmpfloat (err, <=, 1e-3);

  if (lrp)
    {
      /* the default, exact merge: the model's own function, close to Zennit's */
      g_autoptr(RelTensor) exact = run_case (c, NULL, out);
      if (exact == NULL)
        return;
      compare (exact, ref, &cosine, &err);
      g_test_message ("%s/%s %s (bn-merge=exact): cosine %.7f, max abs err %.3g x max|ref|",
                      c->model->dir, c->model->onnx, c->method->fixture, cosine, err);
      g_assert_cmpfloat (cosine, >=, 0.999);
    }
  g_unlink (out);
}

/* The exact merge is a canonizer: tiny-resnet exported with its BatchNorm
 * nodes and with them folded by torch give the same LRP maps (up to the
 * rounding of torch's fold, which w² amplifies 800-fold at the near-zero
 * residual Add). bn-merge=zennit must change the maps and keep them equal:
 * model-bn.onnx takes the quirk from its BN nodes, model.onnx from the Convs
 * torch fused a BN into. */
static void
test_bn_invariance (void)
{
  const ModelCase *plain = NULL, *bn = NULL;

  for (gsize m = 0; m < G_N_ELEMENTS (models); m++)
    if (strcmp (models[m].dir, "tiny-resnet") == 0)
      *(strcmp (models[m].onnx, "model.onnx") == 0 ? &plain : &bn) = &models[m];
  g_assert_nonnull (plain);
  g_assert_nonnull (bn);
  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      Case cp = { plain, &cases[k] }, cb = { bn, &cases[k] };
      g_autofree char *op = g_build_filename (tmp_dir, "inv-plain.npy", NULL);
      g_autofree char *ob = g_build_filename (tmp_dir, "inv-bn.npy", NULL);
      g_autofree char *oz = g_build_filename (tmp_dir, "inv-bn-zennit.npy", NULL);
      g_autofree char *opz = g_build_filename (tmp_dir, "inv-plain-zennit.npy", NULL);
      g_autoptr(RelTensor) a = NULL, b = NULL, z = NULL, pz = NULL;
      double cosine, err, z_cos, z_err, zz_cos, zz_err, tol;

      if (!is_lrp (&cases[k]))
        continue;
      a = run_case (&cp, NULL, op);
      b = run_case (&cb, NULL, ob);
      z = run_case (&cb, "--set bn-merge=zennit", oz);
      pz = run_case (&cp, "--set bn-merge=zennit", opz);
      if (!a || !b || !z || !pz)
        return;
      compare (b, a, &cosine, &err);
      compare (z, b, &z_cos, &z_err);
      compare (pz, z, &zz_cos, &zz_err);
      g_test_message ("tiny-resnet model-bn vs model %-36s exact: cosine %.9f, max err %.2e x max; "
                      "zennit: cosine %.9f, max err %.2e x max (zennit moves model-bn by %.2e x max)",
                      cases[k].fixture, cosine, err, zz_cos, zz_err, z_err);
      /* w²: float32 rounding amplified 800-fold at the residual Add, see
       * test-explain-lrp's test_canonization */
      tol = strcmp (cases[k].fixture, "lrp_wsquare") == 0 ? 1e-3 : 1e-4;
      g_assert_cmpfloat (cosine, >=, 0.99999);
      g_assert_cmpfloat (err, <=, tol);
      g_assert_cmpfloat (zz_cos, >=, 0.99999);
      g_assert_cmpfloat (zz_err, <=, tol);
      /* every path crosses the stem's BN, which Zennit leaves scaling by
       * k = 1/sqrt(1 + 1e-5): the maps move by at least about 1 − k of their
       * maximum (half of it allowed for the ε rules' stabiliser); the move's
       * exact size is checked in test-explain-lrp's bn-merge-amount/-factor */
      g_assert_cmpfloat (z_err, >=, 0.5 * (1.0 - 1.0 / sqrt (1.0 + 1e-5)));
      compare (pz, a, &z_cos, &z_err);
      g_assert_cmpfloat (z_err, >=, 0.5 * (1.0 - 1.0 / sqrt (1.0 + 1e-5)));
    }
}

/* ---- the CLI's other outputs ---- */

static gboolean
run_cli (const char *args, char **std_out, char **std_err)
{
  g_autofree char *cmd = g_strdup_printf ("'%s' %s", g_getenv ("RELEVANCE_CLI"), args);
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;

  g_shell_parse_argv (cmd, NULL, &argv, &error);
  g_assert_no_error (error);
  /* always captured: the child's lines on our stdout would be unknown TAP */
  g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (std_out)
    *std_out = g_steal_pointer (&out);
  else if (out && *out)
    g_test_message ("%s: %s", args, g_strchomp (out));
  if (std_err)
    *std_err = g_steal_pointer (&err);
  else if (err && *err)
    g_test_message ("%s (stderr): %s", args, g_strchomp (err));
  return g_spawn_check_wait_status (status, NULL);
}

static void
test_png (void)
{
  const char *fixtures = g_getenv ("RELEVANCE_FIXTURES");
  g_autofree char *png = g_build_filename (tmp_dir, "map.png", NULL);
  g_autofree char *npy = g_build_filename (tmp_dir, "map.npy", NULL);
  g_autofree char *args_png = g_strdup_printf ("explain '%s/tiny-cnn/model.onnx' '%s/tiny-cnn/input.npy' "
                                               "--method gradient --target 4 --out '%s'", fixtures, fixtures, png);
  g_autofree char *args_npy = g_strdup_printf ("explain '%s/tiny-cnn/model.onnx' '%s/tiny-cnn/input.npy' "
                                               "--method gradient --target 4 --out '%s'", fixtures, fixtures, npy);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pb = NULL;
  g_autoptr(RelTensor) r = NULL;
  const guint8 *px;
  int stride, arg = 0;
  float mx = 0;

  g_assert_true (run_cli (args_png, NULL, NULL));
  g_assert_true (run_cli (args_npy, NULL, NULL));
  pb = gdk_pixbuf_new_from_file (png, &error);
  g_assert_no_error (error);
  r = rel_npy_load (npy, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (pb), ==, 28);
  g_assert_cmpint (gdk_pixbuf_get_height (pb), ==, 28);
  px = gdk_pixbuf_read_pixels (pb);
  stride = gdk_pixbuf_get_rowstride (pb);
  for (int i = 0; i < 28 * 28; i++)
    if (fabsf (rel_tensor_f32 (r)[i]) > mx)
      {
        mx = fabsf (rel_tensor_f32 (r)[i]);
        arg = i;
      }
  /* symmetric normalisation: the largest |relevance| is saturated red or blue */
  {
    const guint8 *p = px + (arg / 28) * stride + (arg % 28) * gdk_pixbuf_get_n_channels (pb);
    if (rel_tensor_f32 (r)[arg] > 0)
      g_assert_true (p[0] == 255 && p[1] == 0 && p[2] == 0);
    else
      g_assert_true (p[0] == 0 && p[1] == 0 && p[2] == 255);
  }
  /* every pixel: white minus |t|, on the green channel */
  for (int i = 0; i < 28 * 28; i++)
    {
      const guint8 *p = px + (i / 28) * stride + (i % 28) * gdk_pixbuf_get_n_channels (pb);
      double t = rel_tensor_f32 (r)[i] / mx;
      g_assert_cmpint (abs ((int) p[1] - (int) lround (255 * (1 - fabs (t)))), <=, 1);
      g_assert_cmpint (t >= 0 ? p[0] : p[2], ==, 255);
    }
  g_unlink (png);
  g_unlink (npy);
}

static void
test_dataset (void)
{
  const char *fixtures = g_getenv ("RELEVANCE_FIXTURES");
  g_autofree char *ds = g_build_filename (tmp_dir, "ds", NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "out", NULL);
  g_autofree char *in_path = g_build_filename (fixtures, "tiny-resnet", "input.npy", NULL);
  g_autofree char *data = NULL;
  g_autofree char *args = g_strdup_printf ("explain '%s/tiny-resnet/model.onnx' --dataset '%s' --out-dir '%s' "
                                           "--method integrated-gradients --set steps=16 --target 1", fixtures, ds, out);
  g_autofree char *single = g_build_filename (tmp_dir, "single.npy", NULL);
  g_autofree char *args1 = g_strdup_printf ("explain '%s/tiny-resnet/model.onnx' '%s' --out '%s' "
                                            "--method integrated-gradients --set steps=16 --target 1", fixtures, in_path, single);
  static const char *const rel[] = { "cat/a", "cat/b", "dog/deep/c" };
  gsize len;
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) ref = NULL;

  g_assert_true (g_file_get_contents (in_path, &data, &len, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (rel); i++)
    {
      g_autofree char *p = g_strdup_printf ("%s/%s.npy", ds, rel[i]);
      g_autofree char *d = g_path_get_dirname (p);
      g_assert_cmpint (g_mkdir_with_parents (d, 0755), ==, 0);
      g_assert_true (g_file_set_contents (p, data, (gssize) len, NULL));
    }
  g_assert_true (run_cli (args, NULL, NULL));
  g_assert_true (run_cli (args1, NULL, NULL));
  ref = rel_npy_load (single, &error);
  g_assert_no_error (error);
  /* class sub-folders kept; each map is the single-image one */
  for (gsize i = 0; i < G_N_ELEMENTS (rel); i++)
    {
      g_autofree char *p = g_strdup_printf ("%s/%s.npy", out, rel[i]);
      g_autoptr(RelTensor) t = rel_npy_load (p, &error);
      g_assert_no_error (error);
      g_assert_true (rel_tensor_same_shape (t, ref));
      g_assert_cmpmem (t->data, t->numel * 4, ref->data, ref->numel * 4);
    }
}

static void
test_methods_json (void)
{
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *methods;
  gboolean seen_ig = FALSE;

  g_assert_true (run_cli ("methods --json", &out, NULL));
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  methods = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (methods), >=, 20);
  for (guint i = 0; i < json_array_get_length (methods); i++)
    {
      JsonObject *m = json_array_get_object_element (methods, i);
      JsonArray *params = json_object_get_array_member (m, "params");
      const char *name = json_object_get_string_member (m, "name");

      g_assert_nonnull (rel_method_lookup (name));
      g_assert_true (json_object_has_member (m, "description"));
      for (guint k = 0; k < json_array_get_length (params); k++)
        {
          JsonObject *p = json_array_get_object_element (params, k);
          g_assert_true (json_object_has_member (p, "type"));
          g_assert_true (json_object_has_member (p, "default"));
          g_assert_true (json_object_has_member (p, "unit"));
        }
      if (strcmp (name, "integrated-gradients") == 0)
        {
          JsonObject *rule = json_array_get_object_element (params, 1);
          g_assert_cmpstr (json_object_get_string_member (rule, "name"), ==, "rule");
          g_assert_cmpuint (json_array_get_length (json_object_get_array_member (rule, "choices")), ==, 5);
          g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (params, 0), "default"), ==, 64);
          seen_ig = TRUE;
        }
    }
  g_assert_true (seen_ig);
}

static void
test_errors (void)
{
  const char *fixtures = g_getenv ("RELEVANCE_FIXTURES");
  static const char *const bad[] = {
    "--method nope --out x.npy",
    "--method smoothgrad --set nope=1 --out x.npy",
    "--method smoothgrad --set samples=0 --out x.npy",
    "--method gradient --out x.txt",
    "--method gradient --target 99 --out x.npy",
    "--method integrated-gradients --set baseline=/no/such.npy --out x.npy",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *out = g_build_filename (tmp_dir, "x.npy", NULL);
      g_autofree char *args = g_strdup_printf ("explain '%s/tiny-cnn/model.onnx' '%s/tiny-cnn/input.npy' %s",
                                               fixtures, fixtures, bad[i]);
      g_autofree char *std_err = NULL;
      g_auto(GStrv) lines = NULL;

      g_assert_false (run_cli (args, NULL, &std_err));
      lines = g_strsplit (g_strchomp (std_err), "\n", -1);
      /* exactly one line, prefixed */
      g_assert_cmpuint (g_strv_length (lines), ==, 1);
      g_assert_true (g_str_has_prefix (lines[0], "relevance-cli: "));
    }
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
        Case *c;
        g_autofree char *path = NULL;
        gboolean absent = FALSE;

        for (int a = 0; models[m].absent[a]; a++)
          absent |= strcmp (models[m].absent[a], cases[k].fixture) == 0;
        if (absent)
          continue;
        c = g_new0 (Case, 1);
        c->model = &models[m];
        c->method = &cases[k];
        path = g_strdup_printf ("/explain-fixtures/%s/%s/%s", models[m].dir, models[m].onnx, cases[k].fixture);
        g_ptr_array_add (all, c);
        g_test_add_data_func (path, c, test_fixture);
      }
  g_test_add_func ("/explain-fixtures/tiny-resnet/bn-invariance", test_bn_invariance);
  g_test_add_func ("/explain-cli/png", test_png);
  g_test_add_func ("/explain-cli/dataset", test_dataset);
  g_test_add_func ("/explain-cli/methods-json", test_methods_json);
  g_test_add_func ("/explain-cli/errors", test_errors);
  ret = g_test_run ();

  /* clean up the CLI's outputs */
  remove_tree (tmp_dir);
  g_free (tmp_dir);
  return ret;
}
