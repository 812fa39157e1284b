/* test-clarc.c — the artifact's direction and the corrected models
 * (core/rel-clarc.c) on the bundled Clever-Hans demo: P-ClArC and A-ClArC
 * reach the README's figures on held-out images, the written P-ClArC graph
 * reproduces the in-core projection, LRP treats the projection as one affine
 * map, and bad input gives one clear error with nothing written.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-clarc.h"
#include "rel-dataset.h"
#include "rel-error.h"
#include "rel-onnx-export.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static char *
demo_path (const char *rel)
{
  return g_build_filename (g_getenv ("G_TEST_SRCDIR") ? g_getenv ("G_TEST_SRCDIR") : ".", "..", "data", "demo",
                           rel, NULL);
}

typedef struct {
  RelModel  *model;
  int        target;
  RelRegion *region;
  RelTensor *source;
  guint8    *mask;
  GPtrArray *paths;
  GArray    *labels;
} Demo;

/* The demo model, the tag's box pasted from a tagged Sandal, and the first
 * @per_class clean images of every class. */
static void
demo_setup (Demo *d, int per_class)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *model_path = demo_path ("model.onnx");
  g_autofree char *source = demo_path ("images/tagged/Sandal/00008.png");
  g_autofree char *clean = demo_path ("images/clean");
  g_autoptr(RelDataset) ds = NULL;
  g_autofree int *labels = NULL;
  int count[16] = { 0 }, box[4];

  d->model = rel_model_load (model_path, &error);
  g_assert_no_error (error);
  d->target = rel_inspect_find_class (d->model, "Sandal");
  g_assert_cmpint (sscanf (g_hash_table_lookup (d->model->metadata, "clever_hans.box"), "%d,%d,%d,%d",
                           &box[0], &box[1], &box[2], &box[3]), ==, 4);
  d->region = rel_region_new_rect (box[0], box[1], box[2], box[3], &error);
  g_assert_no_error (error);
  d->source = rel_inspect_load (d->model, source, d->region, &d->mask, &error);
  g_assert_no_error (error);
  ds = rel_dataset_scan (clean, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  labels = rel_inspect_dataset_labels (d->model, ds);
  d->paths = g_ptr_array_new_with_free_func (g_free);
  d->labels = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint i = 0; i < ds->paths->len; i++)
    if (labels[i] >= 0 && count[labels[i]]++ < per_class)
      {
        g_ptr_array_add (d->paths, g_strdup (g_ptr_array_index (ds->paths, i)));
        g_array_append_val (d->labels, labels[i]);
      }
}

static void
demo_clear (Demo *d)
{
  rel_model_unref (d->model);
  rel_region_free (d->region);
  rel_tensor_unref (d->source);
  g_free (d->mask);
  g_ptr_array_unref (d->paths);
  g_array_unref (d->labels);
}

static void
demo_request (Demo *d, RelClarcRequest *req)
{
  memset (req, 0, sizeof *req);
  req->model = d->model;
  req->paths = (const char *const *) d->paths->pdata;
  req->labels = (const int *) d->labels->data;
  req->n = (int) d->paths->len;
  req->target = d->target;
  req->region = d->region;
  req->source = d->source;
  req->source_mask = d->mask;
  req->holdout = 0.5;
}

/* Logits of every held-out-sized sample through a file written and read back. */
static double
file_vs_core (RelModel *corrected, RelModel *model, const RelCav *cav, Demo *d, int n)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-clarc-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "corrected.onnx", NULL);
  g_autoptr(RelModel) loaded = NULL;
  double worst = 0;

  g_assert_no_error (error);
  g_assert_true (rel_onnx_export (corrected, path, &error));
  g_assert_no_error (error);
  loaded = rel_model_load (path, &error);
  g_assert_no_error (error);
  for (int i = 0; i < n; i++)
    {
      g_autoptr(RelTensor) x = rel_inspect_load (model, g_ptr_array_index (d->paths, i), NULL, NULL, &error);
      g_autoptr(RelTensor) ref = NULL;
      g_autoptr(RelActivations) acts = NULL;
      g_assert_no_error (error);
      g_assert_true (rel_region_transplant (x, d->source, d->mask, &error));
      ref = rel_clarc_logits (model, cav, x, &error);
      g_assert_no_error (error);
      acts = rel_model_forward (loaded, x, NULL, &error);
      g_assert_no_error (error);
      for (int k = 0; k < ref->numel; k++)
        worst = MAX (worst, fabs (rel_tensor_f32 (rel_activations_output (acts))[k] - rel_tensor_f32 (ref)[k]));
    }
  g_unlink (path);
  g_rmdir (dir);
  return worst;
}

static void
test_p_clarc (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelClarcResult) res = NULL;
  g_autoptr(RelCav) cav = NULL;
  RelClarcRequest req;
  Demo d;

  demo_setup (&d, 30);
  demo_request (&d, &req);
  req.method = REL_CLARC_P;
  req.layer = "auto";
  res = rel_clarc_run (&req, &error);
  g_assert_no_error (error);
  for (int l = 0; l < res->n_layers; l++)
    g_test_message ("layer %-10s CAV accuracy %.3f AUC %.3f, clean %.3f, flip %.3f", res->layers[l].layer,
                    res->layers[l].cav_accuracy, res->layers[l].cav_auc, res->layers[l].clean_accuracy,
                    res->layers[l].flip_rate);
  g_test_message ("P-ClArC at %s: clean %.3f → %.3f, flip %.3f → %.3f, mass %.3f → %.3f, logits within %.2g",
                  res->layer, res->before.clean_accuracy, res->after.clean_accuracy, res->before.flip_rate,
                  res->after.flip_rate, res->before.relevance_mass, res->after.relevance_mass,
                  res->max_logit_difference);
  g_assert_cmpint (res->n_layers, ==, 6);
  g_assert_cmpint (res->n_holdout, ==, 150);
  g_assert_cmpfloat (res->before.flip_rate, >=, 0.75);
  g_assert_cmpfloat (res->before.relevance_mass, >=, 0.6);
  g_assert_cmpfloat (res->after.flip_rate, <=, 0.05);
  g_assert_cmpfloat (res->before.clean_accuracy - res->after.clean_accuracy, <=, 0.01 + 1e-9);
  g_assert_cmpfloat (res->after.relevance_mass, <=, 0.3);
  g_assert_cmpfloat (res->cav_accuracy, >=, 0.95);
  g_assert_cmpfloat (res->max_logit_difference, <=, 1e-5);
  g_assert_cmpstr (g_hash_table_lookup (res->corrected->metadata, "clarc.layer"), ==, res->layer);

  /* the chosen layer's direction again, against a file written to disk */
  {
    int value = rel_clarc_find_layer (d.model, res->layer, &error), shape[3];
    g_autoptr(GPtrArray) clean = g_ptr_array_new_with_free_func ((GDestroyNotify) rel_tensor_unref);
    g_autoptr(GPtrArray) tagged = g_ptr_array_new_with_free_func ((GDestroyNotify) rel_tensor_unref);
    g_autofree float *a0 = NULL, *a1 = NULL;
    g_assert_no_error (error);
    for (guint i = 0; i < d.paths->len; i += 2)
      {
        RelTensor *x = rel_inspect_load (d.model, g_ptr_array_index (d.paths, i), NULL, NULL, &error);
        RelTensor *t = rel_tensor_copy (x, &error);
        g_assert_true (rel_region_transplant (t, d.source, d.mask, &error));
        g_ptr_array_add (clean, x);
        g_ptr_array_add (tagged, t);
      }
    a0 = rel_clarc_activations (d.model, value, (RelTensor *const *) clean->pdata, clean->len, shape, NULL, &error);
    a1 = rel_clarc_activations (d.model, value, (RelTensor *const *) tagged->pdata, tagged->len, shape, NULL, &error);
    g_assert_no_error (error);
    cav = rel_cav_fit (d.model, value, REL_CAV_FULL, shape, a1, tagged->len, a0, clean->len, &error);
    g_assert_no_error (error);
    /* projecting twice changes nothing more: a projection */
    {
      g_autofree float *p = g_memdup2 (a1, sizeof (float) * cav->dim);
      g_autofree float *q = NULL;
      rel_cav_project (cav, p, 1);
      q = g_memdup2 (p, sizeof (float) * cav->dim);
      rel_cav_project (cav, q, 1);
      for (int k = 0; k < cav->dim; k++)
        g_assert_cmpfloat_with_epsilon (p[k], q[k], 1e-4);
    }
    {
      g_autoptr(RelModel) m = rel_clarc_project_model (d.model, cav, &error);
      double diff;
      g_assert_no_error (error);
      diff = file_vs_core (m, d.model, cav, &d, 40);
      g_test_message ("written P-ClArC file vs the in-core projection: max |Δlogit| %.3g", diff);
      g_assert_cmpfloat (diff, <=, 1e-5);
    }
  }
  demo_clear (&d);
}

static void
test_p_clarc_channel (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelClarcResult) res = NULL;
  RelClarcRequest req;
  Demo d;
  int convs = 0;

  demo_setup (&d, 20);
  demo_request (&d, &req);
  req.method = REL_CLARC_P;
  req.kind = REL_CAV_CHANNEL;
  req.skip_mass = TRUE;
  req.layer = "Relu_4";
  res = rel_clarc_run (&req, &error);
  g_assert_no_error (error);
  g_test_message ("per-channel P-ClArC at %s: clean %.3f → %.3f, flip %.3f → %.3f, logits within %.2g", res->layer,
                  res->before.clean_accuracy, res->after.clean_accuracy, res->before.flip_rate, res->after.flip_rate,
                  res->max_logit_difference);
  /* one 1×1 Conv more than the original */
  for (int i = 0; i < res->corrected->n_nodes; i++)
    convs += strcmp (res->corrected->nodes[i].op_type, "Conv") == 0;
  g_assert_cmpint (convs, ==, 3);
  g_assert_cmpfloat (res->max_logit_difference, <=, 1e-5);
  /* pooled per channel it removes less (the README's 0.71–0.75) */
  g_assert_cmpfloat (res->after.flip_rate, <, res->before.flip_rate);
  demo_clear (&d);
}

static void
test_a_clarc (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelClarcResult) res = NULL;
  RelClarcRequest req;
  Demo d;

  demo_setup (&d, 50);
  demo_request (&d, &req);
  req.method = REL_CLARC_A;
  req.skip_mass = TRUE;   /* the README's mass figures come from the CLI */
  req.epochs = 5;
  res = rel_clarc_run (&req, &error);
  g_assert_no_error (error);
  g_test_message ("A-ClArC after %s: clean %.3f → %.3f, flip %.3f → %.3f", res->layer,
                  res->before.clean_accuracy, res->after.clean_accuracy, res->before.flip_rate, res->after.flip_rate);
  g_assert_true (isnan (res->after.relevance_mass));
  g_assert_cmpfloat (res->after.flip_rate, <=, 0.1);
  g_assert_cmpfloat (res->before.clean_accuracy - res->after.clean_accuracy, <=, 0.02 + 1e-9);
  g_assert_cmpstr (g_hash_table_lookup (res->corrected->metadata, "clarc.method"), ==, "a-clarc");
  /* the convolutions were not touched */
  {
    int v0 = rel_model_find_value (d.model, "conv0.weight"), v1 = rel_model_find_value (res->corrected, "conv0.weight");
    if (v0 >= 0 && v1 >= 0)
      {
        RelTensor *a = rel_model_value (d.model, v0)->constant, *b = rel_model_value (res->corrected, v1)->constant;
        g_assert_cmpmem (a->data, a->numel * 4, b->data, b->numel * 4);
      }
  }
  demo_clear (&d);
}

/* LRP-ε through the projection with z̄ = 0 (no bias): the relevance leaving
 * the last Conv equals the relevance entering the first Gemm, as only
 * ReLU, MaxPool, Flatten and the projection lie between them. */
static void
test_lrp_projection (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) m = NULL;
  g_autoptr(RelCav) cav = NULL;
  g_autoptr(RelExplanation) e = NULL;
  g_autoptr(RelTensor) x = NULL;
  RelExplainRequest er = { 0 };
  int value, shape[3];
  double conv_out = NAN, gemm_in = NAN;
  Demo d;

  demo_setup (&d, 3);
  value = rel_clarc_find_layer (d.model, "MaxPool_5", &error);
  g_assert_no_error (error);
  x = rel_inspect_load (d.model, g_ptr_array_index (d.paths, 0), NULL, NULL, &error);
  g_assert_true (rel_region_transplant (x, d.source, d.mask, &error));
  {
    g_autofree float *a1 = rel_clarc_activations (d.model, value, &x, 1, shape, NULL, &error);
    g_autofree float *a0 = g_new0 (float, shape[0] * shape[1] * shape[2]);
    cav = rel_cav_fit (d.model, value, REL_CAV_FULL, shape, a1, 1, a0, 1, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpfloat (cav->mean[0], ==, 0);
  m = rel_clarc_project_model (d.model, cav, &error);
  /* explain another image: the direction is not all of its activation */
  g_clear_pointer (&x, rel_tensor_unref);
  x = rel_inspect_load (d.model, g_ptr_array_index (d.paths, 7), NULL, NULL, &error);
  g_assert_true (rel_region_transplant (x, d.source, d.mask, &error));
  g_assert_no_error (error);
  er.model = m;
  er.input = x;
  er.target.kind = REL_TARGET_CLASS;
  er.target.a = d.target;
  e = rel_explain (rel_method_lookup ("lrp-epsilon"), &er, &error);
  g_assert_no_error (error);
  g_assert_nonnull (e->conservation);
  for (guint i = 0; i < e->conservation->len; i++)
    {
      RelLayerConservation *c = &g_array_index (e->conservation, RelLayerConservation, i);
      if (strcmp (c->layer, "Conv_3") == 0)
        conv_out = c->relevance_out;
      if (g_str_has_prefix (c->layer, "Gemm") && isnan (gemm_in))
        gemm_in = c->relevance_in;
    }
  g_test_message ("relevance out of Conv_3 %.6f, into the first Gemm %.6f", conv_out, gemm_in);
  g_assert_true (isfinite (conv_out) && isfinite (gemm_in));
  g_assert_cmpfloat (fabs (gemm_in), >, 0.1);
  g_assert_cmpfloat (fabs (conv_out - gemm_in), <=, 1e-4 * MAX (1.0, fabs (gemm_in)));
  /* the projection removed something: the tag's direction carried relevance */
  {
    g_autoptr(RelExplanation) plain = NULL;
    er.model = d.model;
    plain = rel_explain (rel_method_lookup ("lrp-epsilon"), &er, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (fabs (plain->relevance_sum - e->relevance_sum), >, 1e-3);
  }
  /* and the composite the inspector uses runs through it */
  {
    g_autoptr(RelExplanation) pf = NULL;
    er.model = m;
    pf = rel_explain (rel_method_lookup (REL_INSPECT_DEFAULT_METHOD), &er, &error);
    g_assert_no_error (error);
    g_assert_true (isfinite (pf->relevance_sum));
  }
  demo_clear (&d);
}

/* Two Gaussian sets with one shared, strongly correlated covariance
 * Σ = [[1, 0.9], [0.9, 1]] and means 0 and (1, 0): the mean difference
 * (pattern) points along (1, 0), the Bayes-optimal linear separator (which a
 * logistic regression approaches with many samples) along Σ⁻¹ (1, 0) ∝
 * (1, −0.9). Held out, the logistic direction separates the sets at the
 * optimum Φ(‖Σ^−½ Δm‖ / 2) = Φ(1.147) ≈ 0.874, the pattern at Φ(0.5) ≈ 0.69. */
static void
gaussian_set (GRand *rng, int n, double shift, float *out)
{
  for (int i = 0; i < n; i++)
    {
      double u1 = g_rand_double_range (rng, 1e-12, 1), u2 = g_rand_double (rng);
      double z1 = sqrt (-2 * log (u1)) * cos (2 * G_PI * u2), z2 = sqrt (-2 * log (u1)) * sin (2 * G_PI * u2);
      /* Cholesky of Σ: [[1, 0], [0.9, √0.19]] */
      out[2 * i] = (float) (z1 + shift);
      out[2 * i + 1] = (float) (0.9 * z1 + sqrt (0.19) * z2);
    }
}

static void
test_cav_logistic (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = demo_path ("model.onnx");
  g_autoptr(RelModel) model = rel_model_load (path, &error);
  g_autoptr(GRand) rng = g_rand_new_with_seed (7);
  const int n = 3000, shape[3] = { 2, 1, 1 };
  g_autofree float *w1 = g_new (float, 2 * n), *w0 = g_new (float, 2 * n);
  g_autofree float *h1 = g_new (float, 2 * n), *h0 = g_new (float, 2 * n);
  g_autoptr(RelCav) pattern = NULL, logistic = NULL;
  const double lda[2] = { 1 / sqrt (1.81), -0.9 / sqrt (1.81) };
  RelCavFit fit;
  int value;

  g_assert_no_error (error);
  value = rel_clarc_find_layer (model, "MaxPool_5", &error);
  g_assert_no_error (error);
  gaussian_set (rng, n, 1, w1);
  gaussian_set (rng, n, 0, w0);
  gaussian_set (rng, n, 1, h1);
  gaussian_set (rng, n, 0, h0);

  pattern = rel_cav_fit_with (model, value, REL_CAV_FULL, REL_CAV_PATTERN, shape, w1, n, w0, n, &error);
  g_assert_no_error (error);
  logistic = rel_cav_fit_with (model, value, REL_CAV_FULL, REL_CAV_LOGISTIC, shape, w1, n, w0, n, &error);
  g_assert_no_error (error);
  rel_cav_evaluate (pattern, h1, n, h0, n);
  rel_cav_evaluate (logistic, h1, n, h0, n);
  g_test_message ("pattern (%.3f, %.3f): held-out accuracy %.3f AUC %.3f; logistic (%.3f, %.3f): %.3f / %.3f",
                  pattern->direction[0], pattern->direction[1], pattern->accuracy, pattern->auc,
                  logistic->direction[0], logistic->direction[1], logistic->accuracy, logistic->auc);
  /* unit length, and each where its theory puts it */
  g_assert_cmpfloat_with_epsilon (hypot (logistic->direction[0], logistic->direction[1]), 1, 1e-6);
  g_assert_cmpfloat (pattern->direction[0], >=, 0.99);
  g_assert_cmpfloat (logistic->direction[0] * lda[0] + logistic->direction[1] * lda[1], >=, 0.99);
  g_assert_cmpfloat (logistic->accuracy, >=, 0.85);
  g_assert_cmpfloat (pattern->accuracy, <=, 0.73);
  g_assert_cmpfloat (logistic->auc, >, pattern->auc + 0.1);
  /* z̄ is the artifact-free mean either way */
  g_assert_cmpfloat (logistic->mean[0], ==, pattern->mean[0]);
  g_assert_cmpfloat (logistic->mean[1], ==, pattern->mean[1]);

  g_assert_true (rel_cav_fit_parse ("logistic", &fit, &error) && fit == REL_CAV_LOGISTIC);
  g_assert_false (rel_cav_fit_parse ("svm", &fit, &error));
  g_assert_nonnull (strstr (error->message, "“svm”"));
}

static void
test_bad_input (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelClarcResult) res = NULL;
  RelClarcRequest req;
  Demo d;

  demo_setup (&d, 3);
  /* a layer that does not exist: the error lists the valid ones */
  g_assert_cmpint (rel_clarc_find_layer (d.model, "conv9", &error), ==, -1);
  g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "conv9"));
  g_assert_nonnull (strstr (error->message, "Conv_0, Relu_1, MaxPool_2, Conv_3, Relu_4, MaxPool_5"));
  g_clear_error (&error);
  /* too few images with the artifact: says how many are needed */
  demo_request (&d, &req);
  req.method = REL_CLARC_P;
  req.region = NULL;
  req.source = NULL;
  req.source_mask = NULL;
  req.artifact_paths = (const char *const *) d.paths->pdata;
  req.artifact_labels = (const int *) d.labels->data;
  req.n_artifact = 4;
  res = rel_clarc_run (&req, &error);
  g_assert_null (res);
  g_assert_error (error, REL_ERROR, REL_ERROR_MISSING);
  g_assert_nonnull (strstr (error->message, "at least 10 images with the artifact"));
  g_assert_nonnull (strstr (error->message, "there are 4"));
  g_clear_error (&error);
  /* a raised cancel flag stops it */
  {
    volatile gint cancel = 1;
    demo_request (&d, &req);
    req.method = REL_CLARC_P;
    req.cancel = &cancel;
    g_assert_null (rel_clarc_run (&req, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_CANCELLED);
  }
  demo_clear (&d);
}

/* The CLI: one line on stderr, exit 1, and no output file. */
static void
test_cli_errors (void)
{
  const char *cli = g_getenv ("RELEVANCE_CLI");
  g_autofree char *model = demo_path ("model.onnx");
  g_autofree char *clean = demo_path ("images/clean");
  g_autofree char *tagged = demo_path ("images/tagged/Sandal");
  g_autofree char *images = demo_path ("images");
  g_autofree char *source = demo_path ("images/tagged/Sandal/00008.png");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-clarc-cli-XXXXXX", &error);
  g_autofree char *out = g_build_filename (dir, "out.onnx", NULL);
  g_autofree char *bigmask = g_build_filename (dir, "mask.png", NULL);
  struct {
    const char *expect;
    const char *args[16];
    gboolean    usage;      /* a usage error: exit status 2 */
  } cases[] = {
    { "no layer “conv9”", { "correct", model, clean, "--class", "Sandal", "--region", "15,15,12,12", "--source", source,
                           "--layer", "conv9", "--method", "p-clarc", "-o", out, NULL } },
    { "reaches outside", { "correct", model, clean, "--class", "Sandal", "--region", "20,20,12,12", "--source", source,
                          "--layer", "auto", "--method", "p-clarc", "-o", out, NULL } },
    { "empty or negative", { "inspect", model, clean, "--class", "Sandal", "--region", "15,15,0,12", "--mode", "mass", NULL } },
    { "no class “Sandals”", { "correct", model, clean, "--class", "Sandals", "--region", "15,15,12,12", "--source", source,
                             "--layer", "auto", "--method", "p-clarc", "-o", out, NULL } },
    { "at least 10 images with the artifact", { "correct", model, clean, "--class", "Sandal", "--artifact-folder",
                                                 dir, "--layer", "auto", "--method", "p-clarc", "-o", out, NULL } },
    { "has no images of class Trouser", { "correct", model, tagged, "--class", "Trouser", "--region", "15,15,12,12",
                                         "--layer", "auto", "--method", "p-clarc", "-o", out, NULL } },
    { "the image is 28×28", { "inspect", model, clean, "--class", "Sandal", "--mask", bigmask, "--mode", "remove", NULL } },
    { "mixes the groups clean, tagged: name the artifact-free one with --group",
      { "correct", model, images, "--class", "Sandal", "--region", "15,15,12,12", "--layer", "auto", "--method",
        "p-clarc", "-o", out, NULL } },
    { "pattern or logistic, not “svm”", { "correct", model, clean, "--class", "Sandal", "--region", "15,15,12,12",
                                           "--layer", "auto", "--method", "p-clarc", "--cav", "svm", "-o", out, NULL },
      TRUE },
    { "has no group “dirty” (its groups: clean, tagged)",
      { "inspect", model, images, "--group", "dirty", "--class", "Sandal", "--region", "15,15,12,12", "--mode", "mass", NULL } },
  };

  if (cli == NULL)
    {
      g_test_skip ("RELEVANCE_CLI is not set");
      return;
    }
  g_assert_no_error (error);
  {
    /* a PGM mask, 32×32, white square */
    GString *s = g_string_new ("P5\n32 32\n255\n");
    for (int i = 0; i < 32 * 32; i++)
      g_string_append_c (s, (i / 32 > 10 && i / 32 < 20 && i % 32 > 10 && i % 32 < 20) ? (char) 255 : 0);
    g_clear_pointer (&bigmask, g_free);
    bigmask = g_build_filename (dir, "mask.pgm", NULL);
    g_assert_true (g_file_set_contents (bigmask, s->str, (gssize) s->len, NULL));
    g_string_free (s, TRUE);
    cases[6].args[6] = bigmask;
  }
  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(GPtrArray) argv = g_ptr_array_new ();
      g_autofree char *out_text = NULL, *err_text = NULL;
      int status = 0;
      g_ptr_array_add (argv, (gpointer) cli);
      for (int a = 0; cases[c].args[a]; a++)
        g_ptr_array_add (argv, (gpointer) cases[c].args[a]);
      g_ptr_array_add (argv, NULL);
      g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out_text,
                                   &err_text, &status, &error));
      g_test_message ("%s → %s", cases[c].args[0], err_text);
      g_assert_false (g_spawn_check_wait_status (status, NULL));
      g_assert_cmpint (WEXITSTATUS (status), ==, cases[c].usage ? 2 : 1);
      g_assert_true (g_str_has_prefix (err_text, "relevance-cli: "));
      g_assert_cmpint (strchr (err_text, '\n') - err_text, ==, (int) strlen (err_text) - 1);
      g_assert_nonnull (strstr (err_text, cases[c].expect));
      g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
    }
  g_unlink (bigmask);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/clarc/demo/p-clarc", test_p_clarc);
  g_test_add_func ("/clarc/demo/p-clarc-channel", test_p_clarc_channel);
  g_test_add_func ("/clarc/demo/a-clarc", test_a_clarc);
  g_test_add_func ("/clarc/lrp-projection", test_lrp_projection);
  g_test_add_func ("/clarc/cav-logistic", test_cav_logistic);
  g_test_add_func ("/clarc/bad-input", test_bad_input);
  g_test_add_func ("/clarc/cli-errors", test_cli_errors);
  return g_test_run ();
}
