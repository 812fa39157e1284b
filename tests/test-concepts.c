/* test-concepts.c — Concept Relevance Propagation (core/rel-concepts.c).
 *
 * Conservation: on the reference fixtures and torchvision's ResNet-18 (the
 * narrow committed one), for every LRP method and for
 * input × gradient, the conditional heatmaps of all channels of a layer
 * that every path goes through sum to the unconditional map (max error
 * ≤ 1e-4 × max|map|, float32), the unconditional map is rel_explain's, and
 * the concept relevances sum to the relevance rel_explain records at the
 * layer's output. On layers a residual path bypasses, the channels' maps sum
 * to the one pass with every channel kept (batching is linear).
 *
 * zennit-crp: tests/fixtures/concepts (tests/reference/make-concepts-fixture.py)
 * holds EpsilonPlusFlat conditioned on each single channel of two layers with
 * zennit-crp's semantics; every map is held to cosine ≥ 0.999 and max error
 * ≤ 1e-3 × max|reference|, the concept relevances to 1e-4 relative.
 *
 * The CLI: JSON layout, heatmap files, and the bad-input errors.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-concepts.h"
#include "rel-error.h"
#include "rel-npy.h"
#include "fixture-util.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static double worst_conservation = 0;

static RelRelevancePass *
make_pass (RelModel *model, RelTensor *x, const RelMethodDef *m, const char *const *sets)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelParams) params = rel_params_new (m);
  RelExplainRequest req = { 0 };
  RelRelevancePass *pass;

  for (int k = 0; sets && sets[k]; k++)
    {
      g_assert_true (rel_params_set_assignment (params, sets[k], &error));
      g_assert_no_error (error);
    }
  req.model = model;
  req.input = x;
  req.params = params;
  pass = rel_relevance_pass_new (NULL, &req, &error);
  g_assert_no_error (error);
  return pass;
}

/* max |a − b| / max |b| */
static double
rel_err (const float *a, const float *b, int64_t n)
{
  double e = 0, m = 0;
  for (int64_t i = 0; i < n; i++)
    {
      e = MAX (e, fabs ((double) a[i] - b[i]));
      m = MAX (m, fabs ((double) b[i]));
    }
  return m > 0 ? e / m : e;
}

static void
check_layer (RelModel *model, RelRelevancePass *pass, int node, const RelExplanation *ex, const char *what)
{
  g_autoptr(GError) error = NULL;
  int value = model->nodes[node].outputs[0];
  RelTensor *a = rel_relevance_pass_activation (pass, value);
  RelTensor *map = rel_relevance_pass_input_map (pass);
  int C = (int) a->shape[1];
  g_autofree int *cs = g_new (int, C);
  g_autofree float *ones = g_new (float, C);
  g_autoptr(RelTensor) maps = NULL;
  g_autoptr(RelTensor) through = NULL;
  g_autoptr(GArray) concepts = NULL;
  g_autofree float *sum = g_new0 (float, map->numel);
  gboolean cut = rel_concept_value_is_cut (model, value);
  double total = 0, e;

  for (int c = 0; c < C; c++)
    {
      cs[c] = c;
      ones[c] = 1.f;
    }
  maps = rel_concept_heatmaps (pass, value, cs, C, &error);
  g_assert_no_error (error);
  g_assert_cmpint (maps->shape[0], ==, C);
  for (int c = 0; c < C; c++)
    for (int64_t i = 0; i < map->numel; i++)
      sum[i] += rel_tensor_f32 (maps)[c * map->numel + i];
  if (cut)
    {
      e = rel_err (sum, rel_tensor_f32 (map), map->numel);
      worst_conservation = MAX (worst_conservation, e);
      if (g_test_verbose ())
        g_test_message ("%s, %s (%d channels): Σ conditional vs unconditional %.2e", what,
                        model->nodes[node].name, C, e);
      g_assert_cmpfloat (e, <=, 1e-4);
    }
  /* one pass with every channel kept */
  through = rel_relevance_pass_conditional (pass, value, ones, C, 1, 0, &error);
  g_assert_no_error (error);
  e = rel_err (sum, rel_tensor_f32 (through), map->numel);
  g_assert_cmpfloat (e, <=, 1e-4);
  if (cut)
    g_assert_cmpfloat (rel_err (rel_tensor_f32 (through), rel_tensor_f32 (map), map->numel), <=, 1e-5);

  /* concept relevances: against rel_explain's own record at the layer */
  concepts = rel_concepts_compute (pass, value, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (concepts->len, ==, C);
  {
    double s = 0, abs_share = 0;
    for (int c = 0; c < C; c++)
      {
        s += g_array_index (concepts, RelConcept, c).relevance;
        abs_share += fabs (g_array_index (concepts, RelConcept, c).share);
      }
    g_assert_cmpfloat (fabs (s - total), <=, 1e-9 * (1 + fabs (total)));
    if (total != 0)
      g_assert_cmpfloat (fabs (abs_share - 1), <=, 1e-9);
  }
  if (ex && ex->conservation && g_str_has_prefix (model->nodes[node].op_type, "Conv"))
    {
      gboolean found = FALSE;
      for (guint k = 0; k < ex->conservation->len; k++)
        {
          const RelLayerConservation *lc = &g_array_index (ex->conservation, RelLayerConservation, k);
          if (strcmp (lc->layer, model->nodes[node].name) != 0)
            continue;
          found = TRUE;
          g_assert_cmpfloat (fabs (total - lc->relevance_out), <=, 1e-5 * (1e-3 + fabs (lc->relevance_out)) + 1e-7);
        }
      g_assert_true (found);
    }
}

typedef struct {
  const char *dir;
  gboolean    all_layers;   /* the default and the first layer (and the middle one for three
                             * methods); else the default only */
} ConservationCase;

static const ConservationCase conservation_cases[] = {
  { "tiny-cnn", TRUE },
  { "tiny-resnet", TRUE },
  { "tiny-mobilenet", TRUE },
  /* torchvision's ResNet-18 (narrow, 64×64): the last block's output, 64 channels */
  { "torchvision-small/resnet18", FALSE },
};

static void
test_conservation (gconstpointer data)
{
  const ConservationCase *cc = data;
  const char *dir = cc->dir;
  g_autoptr(RelModel) model = fixture_model (dir, "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy (dir, "input.npy");
  g_autofree char *rules = NULL;
  int n_methods = 0, n_cut = 0;

  /* a rule file for lrp-custom: z^B first, γ on convolutions, ε elsewhere */
  {
    g_autoptr(GError) error = NULL;
    int fd = g_file_open_tmp ("concepts-rules-XXXXXX.txt", &rules, &error);
    g_assert_no_error (error);
    close (fd);
    g_assert_true (g_file_set_contents (rules, "first zbox\nConv gamma gamma=0.1\ndefault epsilon epsilon=0.01\n", -1, NULL));
  }
  for (const RelMethodDef *const *m = rel_methods (); *m; m++)
    {
      g_autoptr(RelRelevancePass) pass = NULL;
      g_autoptr(RelExplanation) ex = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *rule_set = g_strdup_printf ("rules=%s", rules);
      const char *sets[] = { strcmp ((*m)->name, "lrp-custom") == 0 ? rule_set : NULL, NULL };
      int default_node = rel_concept_default_layer (model);

      if (!rel_relevance_pass_supports (*m))
        continue;
      n_methods++;
      pass = make_pass (model, x, *m, sets);
      {
        g_autoptr(RelParams) params = rel_params_new (*m);
        RelExplainRequest req = { 0 };
        if (sets[0])
          g_assert_true (rel_params_set_assignment (params, sets[0], NULL));
        req.model = model;
        req.input = x;
        req.params = params;
        ex = rel_explain (NULL, &req, &error);
        g_assert_no_error (error);
        /* the kept pass is rel_explain's pass */
        g_assert_cmpfloat (rel_err (rel_tensor_f32 (rel_relevance_pass_input_map (pass)),
                                    rel_tensor_f32 (ex->relevance), ex->relevance->numel), <=, 1e-6);
      }
      /* three layers keep the test short: the first Conv, the middle one, the default */
      {
        int convs[64], n_convs = 0, pick[3];
        for (int i = 0; i < model->n_nodes && n_convs < 64; i++)
          if (g_str_has_prefix (model->nodes[i].op_type, "Conv"))
            convs[n_convs++] = i;
        g_assert_cmpint (n_convs, >=, 2);
        pick[0] = default_node;
        pick[1] = convs[0];
        pick[2] = convs[n_convs / 2];
        /* the middle layer (bypassed in tiny-resnet) costs a whole pass per
         * batch: three methods of different kinds stand for the rest there */
        gboolean middle = strcmp ((*m)->name, "lrp-epsilon-plus-flat") == 0
                          || strcmp ((*m)->name, "lrp-epsilon-gamma-box") == 0
                          || strcmp ((*m)->name, "input-x-gradient") == 0;
        for (int k = 0; k < (cc->all_layers ? (middle ? 3 : 2) : 1); k++)
          {
            check_layer (model, pass, pick[k], ex, (*m)->name);
            n_cut += rel_concept_value_is_cut (model, model->nodes[pick[k]].outputs[0]);
          }
      }
    }
  g_assert_cmpint (n_methods, ==, 13);   /* 12 LRP methods and input × gradient */
  g_assert_cmpint (n_cut, >=, n_methods);  /* every method saw a cut layer */
  g_test_message ("%s: worst Σ-of-channels error so far %.2e", dir, worst_conservation);
  g_unlink (rules);
}

/* ---- zennit-crp ---- */

static double
cosine (const float *a, const float *b, int64_t n)
{
  double ab = 0, aa = 0, bb = 0;
  for (int64_t i = 0; i < n; i++)
    {
      ab += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
  return ab / sqrt (aa * bb);
}

static void
test_zennit_crp (void)
{
  g_autoptr(RelModel) model = fixture_model ("concepts", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("concepts", "input.npy");
  g_autoptr(RelTensor) heat = fixture_npy ("concepts", "heatmap.npy");
  g_auto(GStrv) layers = rel_concept_layers (model);
  g_autoptr(RelRelevancePass) pass = make_pass (model, x, rel_method_lookup ("lrp-epsilon-plus-flat"), NULL);
  const char *names[] = { "conv2", "conv3" };
  double worst_cos = 1, worst_err = 0, worst_rel = 0;

  g_assert_cmpint (rel_relevance_pass_target_class (pass), ==, fixture_target ("concepts"));
  g_assert_cmpuint (g_strv_length (layers), ==, 4);   /* three Convs and the Gemm */
  g_assert_cmpfloat (rel_err (rel_tensor_f32 (rel_relevance_pass_input_map (pass)), rel_tensor_f32 (heat),
                              heat->numel), <=, 1e-3);
  for (int l = 0; l < 2; l++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *crp_name = g_strdup_printf ("crp_%s.npy", names[l]);
      g_autofree char *rel_name = g_strdup_printf ("relevance_%s.npy", names[l]);
      g_autoptr(RelTensor) ref = fixture_npy ("concepts", crp_name);
      g_autoptr(RelTensor) ref_rel = fixture_npy ("concepts", rel_name);
      g_autoptr(RelTensor) maps = NULL;
      g_autoptr(GArray) concepts = NULL;
      int node, value, C;
      g_autofree int *cs = NULL;
      int64_t n = x->numel;

      g_assert_true (rel_concept_resolve_layer (model, layers[l + 1], &node, &value, &error));
      g_assert_no_error (error);
      C = (int) ref->shape[0];
      cs = g_new (int, C);
      for (int c = 0; c < C; c++)
        cs[c] = c;
      maps = rel_concept_heatmaps (pass, value, cs, C, &error);
      g_assert_no_error (error);
      concepts = rel_concepts_compute (pass, value, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (concepts->len, ==, C);
      for (int c = 0; c < C; c++)
        {
          const float *a = rel_tensor_f32 (maps) + c * n, *b = rel_tensor_f32 (ref) + c * n;
          double r_ref = rel_tensor_f32 (ref_rel)[c];
          double r = g_array_index (concepts, RelConcept, c).relevance;
          double cs_ = cosine (a, b, n), e = rel_err (a, b, n);
          double er = fabs (r - r_ref) / MAX (fabs (r_ref), 1e-6 * rel_tensor_max_abs (ref_rel));

          {
            /* a channel no relevance reaches has an all-zero map: no cosine */
            double m = 0;
            for (int64_t i = 0; i < n; i++)
              m = MAX (m, fabs (b[i]));
            if (m > 0)
              {
                worst_cos = MIN (worst_cos, cs_);
                g_assert_cmpfloat (cs_, >=, 0.999);
              }
            else
              for (int64_t i = 0; i < n; i++)
                g_assert_cmpfloat (fabs (a[i]), <=, 1e-6 * rel_tensor_max_abs (heat));
          }
          worst_err = MAX (worst_err, e);
          worst_rel = MAX (worst_rel, er);
          g_assert_cmpfloat (e, <=, 1e-3);
          g_assert_cmpfloat (er, <=, 1e-4);
        }
    }
  g_test_message ("zennit-crp: worst cosine %.7f, worst max error %.2e × max|ref|, worst concept relevance %.2e",
                  worst_cos, worst_err, worst_rel);
}

/* ---- hierarchy ---- */

/* What each channel of the default layer sends to the layer below adds up,
 * over the channels, to the relevance at that layer (both layers are cuts
 * in tiny-cnn); each channel's parts are its own conditional pass. */
static void
test_subconcepts (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) model = fixture_model ("tiny-cnn", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("tiny-cnn", "input.npy");
  g_autoptr(RelRelevancePass) pass = make_pass (model, x, rel_method_lookup ("lrp-epsilon-gamma-box"), NULL);
  int node = rel_concept_default_layer (model);
  int below = rel_concept_layer_below (model, node);
  int value = model->nodes[node].outputs[0], lower = model->nodes[below].outputs[0];
  g_autoptr(GArray) at_lower = rel_concepts_compute (pass, lower, NULL, &error);
  g_autoptr(GArray) top = rel_concepts_compute (pass, value, NULL, &error);
  g_autofree double *sum = g_new0 (double, at_lower->len);
  double worst = 0, scale = 0;

  g_assert_no_error (error);
  g_assert_cmpint (below, >=, 0);
  g_assert_cmpint (below, <, node);
  g_assert_cmpint (rel_concept_layer_below (model, below), ==, -1);   /* the first Conv */
  for (guint c = 0; c < top->len; c++)
    {
      g_autoptr(GArray) parts = rel_concept_subconcepts (pass, value, (int) c, lower, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (parts->len, ==, at_lower->len);
      for (guint k = 0; k < parts->len; k++)
        sum[k] += g_array_index (parts, RelConcept, k).relevance;
    }
  for (guint k = 0; k < at_lower->len; k++)
    {
      double r = g_array_index (at_lower, RelConcept, k).relevance;
      worst = MAX (worst, fabs (sum[k] - r));
      scale = MAX (scale, fabs (r));
    }
  g_test_message ("sub-concepts: Σ over %u channels vs the relevance at the layer below: %.2e × max", top->len,
                  worst / scale);
  g_assert_cmpfloat (scale, >, 0);
  g_assert_cmpfloat (worst, <=, 1e-5 * scale);
  /* a channel out of range is named */
  g_assert_null (rel_concept_subconcepts (pass, value, (int) top->len, lower, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "out of range"));
}

/* ---- reference images ---- */

typedef struct {
  RelConceptReferences *refs;
  GError               *error;
  double                last_fraction;
  gboolean              done, backwards;
} JobResult;

static void
on_refs_progress (RelJob *job, double fraction, const char *message, gpointer data)
{
  JobResult *r = data;
  r->backwards |= fraction < r->last_fraction;
  r->last_fraction = fraction;
}

static void
on_refs_done (RelJob *job, gpointer result, const GError *error, gpointer data)
{
  JobResult *r = data;
  r->refs = result;
  r->error = error ? g_error_copy (error) : NULL;
  r->done = TRUE;
}

/* RelMax and ActMax over a few perturbed copies of the concepts fixture's
 * input (and one file that is not an image, which is skipped): each value is
 * what a pass on that image gives the channel, lists are best first, the
 * crops lie inside the receptive field the architecture allows, and the job
 * runner's result is the direct call's. */
static void
test_references (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) model = fixture_model ("concepts", "model.onnx");
  g_autoptr(RelTensor) x = fixture_npy ("concepts", "input.npy");
  g_autoptr(RelParams) params = rel_params_new (rel_method_lookup ("lrp-epsilon-plus-flat"));
  g_autofree char *tmp = g_dir_make_tmp ("concepts-refs-XXXXXX", NULL);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) layers = rel_concept_layers (model);
  GRand *rng = g_rand_new_with_seed (3);
  int node, value, box_channels[] = { 0, 5, 9 };
  const int n_images = 7;

  g_assert_true (rel_concept_resolve_layer (model, layers[2], &node, &value, &error));
  for (int i = 0; i < n_images; i++)
    {
      g_autoptr(RelTensor) y = rel_tensor_copy (x, NULL);
      char *p = g_strdup_printf ("%s/%d.npy", tmp, i);
      for (int64_t k = 0; k < y->numel; k++)
        rel_tensor_f32 (y)[k] = CLAMP (rel_tensor_f32 (y)[k] + (float) (g_rand_double (rng) - 0.5), 0.f, 1.f);
      g_assert_true (rel_npy_save (p, y, NULL));
      g_ptr_array_add (paths, p);
    }
  g_rand_free (rng);
  {
    char *junk = g_strdup_printf ("%s/junk.png", tmp);
    g_assert_true (g_file_set_contents (junk, "not a PNG", -1, NULL));
    g_ptr_array_add (paths, junk);
  }

  for (int mode = 0; mode < 2; mode++)
    {
      g_autoptr(RelConceptReferences) refs = NULL;
      JobResult jr = { 0 };
      g_autoptr(RelJob) job = NULL;

      refs = rel_concept_references_compute (model, params, value, (const char *const *) paths->pdata,
                                             (int) paths->len, mode, 3, box_channels, 3, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (refs->n_images, ==, n_images);   /* the junk file is skipped */
      g_assert_cmpint (refs->n_channels, ==, 10);
      for (int c = 0; c < refs->n_channels; c++)
        {
          GArray *list = refs->refs[c];
          g_assert_cmpuint (list->len, ==, 3);
          for (guint k = 0; k < list->len; k++)
            {
              const RelConceptReference *r = &g_array_index (list, RelConceptReference, k);
              g_autoptr(RelTensor) y = rel_npy_load (g_ptr_array_index (paths, r->image), NULL);
              g_autoptr(RelRelevancePass) pass = make_pass (model, y, rel_method_lookup ("lrp-epsilon-plus-flat"), NULL);
              double expect;

              if (mode == REL_CONCEPT_RELMAX)
                {
                  g_autoptr(GArray) cr = rel_concepts_compute (pass, value, NULL, NULL);
                  expect = g_array_index (cr, RelConcept, c).relevance;
                }
              else
                {
                  RelTensor *a = rel_relevance_pass_activation (pass, value);
                  int64_t inner = a->numel / a->shape[1];
                  expect = -G_MAXDOUBLE;
                  for (int64_t i = 0; i < inner; i++)
                    expect = MAX (expect, rel_tensor_f32 (a)[c * inner + i]);
                  /* the position is the maximum's */
                  g_assert_cmpfloat (rel_tensor_f32 (a)[c * inner + r->y * a->shape[3] + r->x], ==, expect);
                }
              g_assert_cmpfloat (fabs (r->value - expect), <=, 1e-6 * (1 + fabs (expect)));
              if (k > 0)
                g_assert_cmpfloat (r->value, <=, g_array_index (list, RelConceptReference, k - 1).value);
              if (c == 0 || c == 5 || c == 9)
                {
                  /* conv3 sees 2y−4 … 2y+5 of the input (3×3, MaxPool 2, 3×3, 3×3) */
                  int lo_y = MAX (0, 2 * r->y - 4), hi_y = MIN (15, 2 * r->y + 5);
                  int lo_x = MAX (0, 2 * r->x - 4), hi_x = MIN (15, 2 * r->x + 5);
                  g_assert_cmpint (r->box[2], >, 0);
                  g_assert_cmpint (r->box[3], >, 0);
                  g_assert_cmpint (r->box[0], >=, lo_x);
                  g_assert_cmpint (r->box[1], >=, lo_y);
                  g_assert_cmpint (r->box[0] + r->box[2] - 1, <=, hi_x);
                  g_assert_cmpint (r->box[1] + r->box[3] - 1, <=, hi_y);
                }
            }
        }

      job = rel_concept_references_job (model, params, value, (const char *const *) paths->pdata, (int) paths->len,
                                        mode, 3, box_channels, 3, on_refs_progress, on_refs_done, &jr);
      while (!jr.done)
        g_main_context_iteration (NULL, TRUE);
      g_assert_no_error (jr.error);
      g_assert_false (jr.backwards);
      g_assert_nonnull (jr.refs);
      for (int c = 0; c < refs->n_channels; c++)
        for (guint k = 0; k < 3; k++)
          g_assert_cmpmem (&g_array_index (refs->refs[c], RelConceptReference, k), sizeof (RelConceptReference),
                           &g_array_index (jr.refs->refs[c], RelConceptReference, k), sizeof (RelConceptReference));
      rel_concept_references_free (jr.refs);
    }

  /* a list of files none of which is an image: one error naming why */
  {
    const char *only_junk[] = { g_ptr_array_index (paths, paths->len - 1) };
    g_autoptr(RelConceptReferences) none = rel_concept_references_compute (model, params, value, only_junk, 1,
                                                                           REL_CONCEPT_RELMAX, 3, NULL, 0,
                                                                           NULL, NULL, NULL, &error);
    g_assert_null (none);
    g_assert_nonnull (strstr (error->message, "none of the 1 images could be read"));
  }
  for (guint i = 0; i < paths->len; i++)
    g_unlink (g_ptr_array_index (paths, i));
  g_rmdir (tmp);
}

/* ---- the CLI ---- */

static int
run_cli (const char *const *args, char **out, char **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer) g_getenv ("RELEVANCE_CLI"));
  g_ptr_array_add (argv, "concepts");
  for (int k = 0; args[k]; k++)
    g_ptr_array_add (argv, (gpointer) args[k]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               out, err, &status, &error));
  g_assert_no_error (error);
  return g_spawn_check_wait_status (status, NULL) ? 0 : (WIFEXITED (status) ? WEXITSTATUS (status) : -1);
}

static char *
fixture_file (const char *dir, const char *file)
{
  return g_build_filename (g_getenv ("RELEVANCE_FIXTURES"), dir, file, NULL);
}

static void
test_cli (void)
{
  g_autofree char *model = fixture_file ("concepts", "model.onnx");
  g_autofree char *input = fixture_file ("concepts", "input.npy");
  g_autofree char *tmp = g_dir_make_tmp ("concepts-XXXXXX", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) ref = fixture_npy ("concepts", "crp_conv3.npy");
  JsonObject *root;
  JsonArray *concepts;
  double prev = G_MAXDOUBLE;

  {
    const char *args[] = { model, input, "--top", "3", "--json", "--out-dir", tmp, NULL };
    g_assert_cmpint (run_cli (args, &out, &err), ==, 0);
  }
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  /* the default layer: the last Conv, which every path goes through here */
  {
    g_autoptr(RelModel) m = fixture_model ("concepts", "model.onnx");
    g_auto(GStrv) layers = rel_concept_layers (m);
    g_assert_cmpstr (json_object_get_string_member (root, "layer"), ==, layers[2]);
  }
  g_assert_cmpint (json_object_get_int_member (root, "target_class"), ==, fixture_target ("concepts"));
  g_assert_true (json_object_has_member (root, "explained_output"));
  concepts = json_object_get_array_member (root, "concepts");
  g_assert_cmpuint (json_array_get_length (concepts), ==, 3);
  for (guint k = 0; k < 3; k++)
    {
      JsonObject *c = json_array_get_object_element (concepts, k);
      int ch = (int) json_object_get_int_member (c, "channel");
      double r = json_object_get_double_member (c, "relevance");
      const char *path = json_object_get_string_member (c, "heatmap");
      g_autoptr(RelTensor) map = rel_npy_load (path, &error);

      g_assert_no_error (error);
      g_assert_cmpfloat (fabs (r), <=, prev);   /* ranked by |relevance| */
      prev = fabs (r);
      g_assert_true (json_object_has_member (c, "share"));
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (c, "reference")), ==, 0);
      /* the written map is the zennit-crp reference of that channel */
      g_assert_cmpfloat (rel_err (rel_tensor_f32 (map), rel_tensor_f32 (ref) + ch * map->numel, map->numel), <=, 1e-3);
      g_unlink (path);
    }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* --sub: each concept's parts in the layer below */
  {
    const char *args[] = { model, input, "--top", "2", "--sub", "3", "--json", NULL };
    g_autoptr(JsonParser) p2 = json_parser_new ();
    g_autoptr(RelModel) m = fixture_model ("concepts", "model.onnx");
    g_auto(GStrv) layers = rel_concept_layers (m);
    JsonArray *cs;

    g_assert_cmpint (run_cli (args, &out, &err), ==, 0);
    g_assert_true (json_parser_load_from_data (p2, out, -1, &error));
    root = json_node_get_object (json_parser_get_root (p2));
    g_assert_cmpstr (json_object_get_string_member (root, "sub_layer"), ==, layers[1]);
    cs = json_object_get_array_member (root, "concepts");
    for (guint k = 0; k < json_array_get_length (cs); k++)
      {
        JsonArray *parts = json_object_get_array_member (json_array_get_object_element (cs, k), "sub_concepts");
        g_assert_cmpuint (json_array_get_length (parts), ==, 3);
      }
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* bad input: one line naming the problem, non-zero exit */
  {
    const char *args[] = { model, input, "--layer", "no-such-layer", NULL };
    g_assert_cmpint (run_cli (args, &out, &err), !=, 0);
    g_assert_nonnull (strstr (err, "no layer 'no-such-layer'"));
    g_assert_nonnull (strstr (err, "layers: "));
    g_assert_cmpint (strchr (err, '\n') - err + 1, ==, (int) strlen (err));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  {
    const char *args[] = { model, input, "--channels", "3,99", NULL };
    g_assert_cmpint (run_cli (args, &out, &err), !=, 0);
    g_assert_nonnull (strstr (err, "channel 99 is out of range"));
    g_assert_cmpint (strchr (err, '\n') - err + 1, ==, (int) strlen (err));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  {
    const char *args[] = { model, input, "--reference", tmp, NULL };
    g_assert_cmpint (run_cli (args, &out, &err), !=, 0);
    g_assert_nonnull (strstr (err, "holds no images"));
    g_assert_cmpint (strchr (err, '\n') - err + 1, ==, (int) strlen (err));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  {
    const char *args[] = { model, input, "--method", "gradcam", NULL };
    g_assert_cmpint (run_cli (args, &out, &err), !=, 0);
    g_assert_nonnull (strstr (err, "cannot be conditioned"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  g_rmdir (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize k = 0; k < G_N_ELEMENTS (conservation_cases); k++)
    {
      g_autofree char *name = g_strdup_printf ("/concepts/conservation/%s", conservation_cases[k].dir);
      g_test_add_data_func (name, &conservation_cases[k], test_conservation);
    }
  g_test_add_func ("/concepts/zennit-crp", test_zennit_crp);
  g_test_add_func ("/concepts/references", test_references);
  g_test_add_func ("/concepts/subconcepts", test_subconcepts);
  if (g_getenv ("RELEVANCE_CLI"))
    g_test_add_func ("/concepts/cli", test_cli);
  return g_test_run ();
}
