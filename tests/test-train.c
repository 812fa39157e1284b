/* test-train.c — training in the core: weight gradients against finite
 * differences through the loss, loss decrease, bit-reproducibility, ONNX
 * export round trip, hostile IDX files and artifact planting.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-idx.h"
#include "rel-npy.h"
#include "rel-onnx-export.h"
#include "rel-plant.h"
#include "rel-train.h"
#include "fixture-util.h"

#include <glib/gstdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <math.h>
#include <string.h>
#include <zlib.h>

static const char *const abc[] = { "a", "b", "c", NULL };

static RelTensor *
random_input (int n, int c, int h, int w, guint32 seed)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (seed);
  RelTensor *t = rel_tensor_new_4d (n, c, h, w, NULL);
  for (int64_t i = 0; i < t->numel; i++)
    rel_tensor_f32 (t)[i] = (float) g_rand_double_range (r, -1.5, 1.5);
  return t;
}

static double
loss_of (RelModel *model, RelTensor *x, const int *labels)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelActivations) acts = rel_model_forward (model, x, NULL, &error);
  g_assert_no_error (error);
  return rel_cross_entropy (rel_activations_output (acts), labels, NULL, NULL);
}

/* dL/dW of Conv, BatchNormalization and Gemm parameters from
 * rel_model_backward_params against central differences of the loss. */
static void
test_weight_gradients (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) model = rel_train_build ("tiny-bn", 1, 8, 8, abc, NULL, NULL, 7, &error);
  g_autoptr(RelTensor) x = random_input (4, 1, 8, 8, 11);
  g_autoptr(RelActivations) acts = NULL;
  g_autoptr(RelActivations) grads = NULL;
  g_autoptr(RelTensor) seed = NULL;
  g_autoptr(GRand) r = g_rand_new_with_seed (5);
  int labels[4] = { 0, 2, 1, 2 };
  const char *ops_seen[3] = { "Conv", "BatchNormalization", "Gemm" };
  int checked[3] = { 0 }, skipped = 0;

  g_assert_no_error (error);
  /* non-trivial BN statistics and affine, so every term of its gradient matters */
  for (guint v = 0; v < model->values->len; v++)
    {
      RelValue *val = rel_model_value (model, (int) v);
      if (val->constant && g_str_has_prefix (val->name, "bn"))
        for (int64_t i = 0; i < val->constant->numel; i++)
          rel_tensor_f32 (val->constant)[i] = g_str_has_suffix (val->name, "var") || g_str_has_suffix (val->name, "scale")
                                              ? (float) g_rand_double_range (r, 0.5, 2.0)
                                              : (float) g_rand_double_range (r, -0.5, 0.5);
    }
  acts = rel_model_forward (model, x, NULL, &error);
  g_assert_no_error (error);
  seed = rel_tensor_new_like (rel_activations_output (acts), &error);
  rel_cross_entropy (rel_activations_output (acts), labels, seed, NULL);
  grads = rel_model_backward_params (model, acts, -1, seed, NULL, &error);
  g_assert_no_error (error);
  /* the input's gradient is not computed in parameter mode */
  g_assert_null (grads->values[model->input]);

  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      int kind = -1;
      for (int k = 0; k < 3; k++)
        if (strcmp (node->op_type, ops_seen[k]) == 0)
          kind = k;
      if (kind < 0)
        continue;
      for (int k = 1; k < (kind == 1 ? 3 : node->n_inputs); k++)
        {
          RelTensor *w = rel_model_value (model, node->inputs[k])->constant;
          RelTensor *g = grads->values[node->inputs[k]];
          g_assert_nonnull (g);
          g_assert_true (rel_tensor_same_shape (g, w));
          for (int s = 0; s < 6; s++)
            {
              int64_t e = g_rand_int_range (r, 0, (gint32) w->numel);
              float *p = rel_tensor_f32 (w) + e, keep = *p;
              double num[2], an = rel_tensor_f32 (g)[e];
              for (int half = 0; half < 2; half++)
                {
                  double h = half ? 5e-3 : 1e-2;
                  *p = keep + (float) h;
                  double lp = loss_of (model, x, labels);
                  *p = keep - (float) h;
                  double lm = loss_of (model, x, labels);
                  *p = keep;
                  num[half] = (lp - lm) / (2 * h);
                }
              /* a ReLU or max-pool kink between the two steps: the estimates disagree */
              if (fabs (num[0] - num[1]) > 1e-3 + 0.02 * fabs (num[1]))
                {
                  skipped++;
                  continue;
                }
              if (fabs (an - num[1]) > 2e-3 + 0.02 * fabs (num[1]))
                g_error ("%s input %d element %" G_GINT64_FORMAT ": analytic %g, numeric %g",
                         node->name, k, e, an, num[1]);
              checked[kind]++;
            }
        }
    }
  g_test_message ("checked Conv %d, BN %d, Gemm %d, skipped %d as kinks", checked[0], checked[1], checked[2], skipped);
  g_assert_cmpint (checked[0], >=, 16);
  g_assert_cmpint (checked[1], >=, 16);
  g_assert_cmpint (checked[2], >=, 8);
  g_assert_cmpint (skipped, <=, 8);
}

/* Two classes told apart by which half of the image is bright. */
static RelSampleSet *
synthetic_set (int n, guint32 seed)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (seed);
  RelSampleSet *set = g_new0 (RelSampleSet, 1);
  set->n = n;
  set->channels = 1;
  set->height = set->width = 8;
  set->pixels = g_new (float, n * 64);
  set->labels = g_new (int, n);
  set->n_classes = 3;
  set->class_names = g_strdupv ((char **) abc);
  for (int i = 0; i < n; i++)
    {
      float *p = rel_sample_set_image (set, i);
      set->labels[i] = i % 3;
      for (int y = 0; y < 8; y++)
        for (int xx = 0; xx < 8; xx++)
          {
            gboolean on = (set->labels[i] == 0 && xx < 4) || (set->labels[i] == 1 && xx >= 4)
                          || (set->labels[i] == 2 && y < 4);
            p[y * 8 + xx] = (float) CLAMP ((on ? 160 : 60) + g_rand_double_range (r, -50, 50), 0, 255);
          }
    }
  return set;
}

typedef struct {
  double first, last;
} Losses;

static gboolean
record (const RelTrainProgress *p, gpointer data)
{
  Losses *l = data;
  if (p->epoch == 1 && p->step == 1)
    l->first = p->loss;
  l->last = p->epoch_loss;
  return TRUE;
}

static RelModel *
train_synthetic (const char *arch, RelOptimizer optim, guint64 seed, Losses *losses, const RelSampleSet *set)
{
  g_autoptr(GError) error = NULL;
  float mean, std;
  RelTrainOptions opt;
  RelModel *model;

  rel_sample_set_stats (set, &mean, &std);
  model = rel_train_build (arch, 1, 8, 8, abc, &mean, &std, seed, &error);
  g_assert_no_error (error);
  rel_train_options_init (&opt);
  opt.epochs = 4;
  opt.batch = 16;
  opt.seed = seed;
  opt.n_threads = 2;
  opt.optimizer = optim;
  opt.lr = optim == REL_OPTIMIZER_SGD ? 0.05 : 0.003;
  g_assert_true (rel_train (model, set, NULL, &opt, record, losses, NULL, &error));
  g_assert_no_error (error);
  return model;
}

static void
test_loss_decreases (void)
{
  g_autoptr(RelSampleSet) set = synthetic_set (300, 3);
  g_autoptr(RelSampleSet) held = synthetic_set (90, 4);
  g_autoptr(GError) error = NULL;

  for (int o = 0; o < 2; o++)
    {
      Losses l = { 0 };
      g_autoptr(RelModel) model = train_synthetic ("tiny", o ? REL_OPTIMIZER_SGD : REL_OPTIMIZER_ADAM, 1, &l, set);
      double acc = rel_train_evaluate (model, held, NULL, NULL, 2, &error);
      g_assert_no_error (error);
      g_test_message ("%s: first loss %.4f, last epoch %.4f, held-out accuracy %.3f",
                      o ? "sgd" : "adam", l.first, l.last, acc);
      g_assert_cmpfloat (l.first, >, 0.5);
      g_assert_cmpfloat (l.last, <, 0.25 * l.first);
      g_assert_cmpfloat (acc, >=, 0.95);
    }
}

static void
test_reproducible (void)
{
  g_autoptr(RelSampleSet) set = synthetic_set (120, 9);
  g_autoptr(GError) error = NULL;
  guint8 *bytes[3];
  gsize len[3];
  Losses l = { 0 };

  for (int i = 0; i < 3; i++)
    {
      g_autoptr(RelModel) model = train_synthetic ("tiny", REL_OPTIMIZER_ADAM, i < 2 ? 42 : 43, &l, set);
      bytes[i] = rel_onnx_export_data (model, &len[i], &error);
      g_assert_no_error (error);
    }
  g_assert_cmpmem (bytes[0], len[0], bytes[1], len[1]);
  g_assert_true (len[0] != len[2] || memcmp (bytes[0], bytes[2], len[0]) != 0);
  for (int i = 0; i < 3; i++)
    g_free (bytes[i]);
}

static void
test_export_roundtrip (void)
{
  g_autoptr(RelSampleSet) set = synthetic_set (60, 2);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-train-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
  g_autoptr(RelModel) loaded = NULL;
  g_autoptr(RelTensor) x = random_input (5, 1, 8, 8, 3);
  Losses l = { 0 };
  g_autoptr(RelModel) model = train_synthetic ("small", REL_OPTIMIZER_ADAM, 5, &l, set);

  g_assert_true (rel_onnx_export (model, path, &error));
  g_assert_no_error (error);
  loaded = rel_model_load (path, &error);
  g_assert_no_error (error);
  {
    g_autoptr(RelActivations) a = rel_model_forward (model, x, NULL, &error);
    g_autoptr(RelActivations) b = rel_model_forward (loaded, x, NULL, &error);
    RelTensor *ya = rel_activations_output (a), *yb = rel_activations_output (b);
    g_assert_no_error (error);
    g_assert_cmpint (yb->numel, ==, 15);
    g_assert_cmpmem (ya->data, ya->numel * 4, yb->data, yb->numel * 4);
  }
  g_assert_cmpint (loaded->n_labels, ==, 3);
  for (int i = 0; i < 3; i++)
    g_assert_cmpstr (loaded->labels[i], ==, abc[i]);
  g_assert_cmpfloat_with_epsilon (loaded->preprocess.scale, 1.0 / 255, 1e-9);
  g_assert_cmpfloat (loaded->preprocess.mean[0], ==, model->preprocess.mean[0]);
  g_assert_cmpfloat (loaded->preprocess.std[0], ==, model->preprocess.std[0]);
  g_assert_cmpfloat (loaded->preprocess.mean[0], >, 0.2);
  g_unlink (path);
  g_rmdir (dir);
}

/* ---- IDX ---- */

static void
write_file (const char *path, const guint8 *data, gsize len, gboolean gz)
{
  if (gz)
    {
      gzFile f = gzopen (path, "wb");
      g_assert_nonnull (f);
      g_assert_cmpint (gzwrite (f, data, (unsigned) len), ==, (int) len);
      gzclose (f);
    }
  else
    g_assert_true (g_file_set_contents (path, (const char *) data, (gssize) len, NULL));
}

static gsize
idx_header (guint8 *buf, int ndims, const guint32 *dims)
{
  buf[0] = buf[1] = 0;
  buf[2] = 8;
  buf[3] = (guint8) ndims;
  for (int d = 0; d < ndims; d++)
    {
      buf[4 + 4 * d] = dims[d] >> 24;
      buf[5 + 4 * d] = dims[d] >> 16;
      buf[6 + 4 * d] = dims[d] >> 8;
      buf[7 + 4 * d] = dims[d];
    }
  return 4 + 4 * (gsize) ndims;
}

static void
test_idx (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-idx-XXXXXX", &error);
  g_autofree char *img = g_build_filename (dir, "train-images-idx3-ubyte.gz", NULL);
  g_autofree char *lab = g_build_filename (dir, "train-labels-idx1-ubyte", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad", NULL);
  guint8 buf[4096];
  guint32 d3[3] = { 3, 4, 5 }, d1[1] = { 3 };
  gsize n;

  /* a valid gzip image file and a plain label file: 3 images of 4×5 */
  n = idx_header (buf, 3, d3);
  for (int i = 0; i < 60; i++)
    buf[n + i] = (guint8) (i * 4);
  write_file (img, buf, n + 60, TRUE);
  n = idx_header (buf, 1, d1);
  buf[n] = 2, buf[n + 1] = 0, buf[n + 2] = 9;
  write_file (lab, buf, n + 3, FALSE);
  {
    g_autoptr(RelSampleSet) set = rel_sample_set_load (dir, FALSE, &error);
    g_assert_no_error (error);
    g_assert_cmpint (set->n, ==, 3);
    g_assert_cmpint (set->height, ==, 4);
    g_assert_cmpint (set->width, ==, 5);
    g_assert_cmpfloat (rel_sample_set_image (set, 2)[3], ==, (40 + 3) * 4);
    g_assert_cmpint (set->labels[2], ==, 9);
    g_assert_cmpint (set->n_classes, ==, 10);
    g_assert_cmpstr (set->class_names[5], ==, "Sandal");
    g_assert_cmpint (rel_sample_set_find_class (set, "sandal"), ==, 5);
  }

  /* wrong magic */
  n = idx_header (buf, 3, d3);
  buf[2] = 0x0D;  /* float data */
  write_file (bad, buf, n + 60, FALSE);
  g_assert_null (rel_sample_set_load_idx (bad, lab, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
  g_clear_error (&error);

  /* a header claiming 2^32−1 images of 65535×65535: refused before allocating */
  {
    guint32 huge[3] = { 0xFFFFFFFFu, 65535, 65535 };
    n = idx_header (buf, 3, huge);
    write_file (bad, buf, n, FALSE);
    g_assert_null (rel_sample_set_load_idx (bad, lab, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_TOO_LARGE);
    g_clear_error (&error);
  }
  /* zero images */
  {
    guint32 zero[3] = { 0, 28, 28 };
    n = idx_header (buf, 3, zero);
    write_file (bad, buf, n, FALSE);
    g_assert_null (rel_sample_set_load_idx (bad, lab, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
    g_clear_error (&error);
  }
  /* truncated payload (gzip) */
  n = idx_header (buf, 3, d3);
  write_file (bad, buf, n + 59, TRUE);
  g_assert_null (rel_sample_set_load_idx (bad, lab, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
  g_clear_error (&error);
  /* a truncated header */
  write_file (bad, buf, 6, FALSE);
  g_assert_null (rel_sample_set_load_idx (bad, lab, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
  g_clear_error (&error);
  /* label count that does not match */
  {
    guint32 two[1] = { 2 };
    n = idx_header (buf, 1, two);
    write_file (bad, buf, n + 2, FALSE);
    g_assert_null (rel_sample_set_load_idx (img, bad, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
    g_clear_error (&error);
  }
  /* garbage that is not gzip nor IDX */
  memset (buf, 0xAB, 100);
  write_file (bad, buf, 100, FALSE);
  g_assert_null (rel_sample_set_load_idx (bad, lab, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
  g_clear_error (&error);
  /* missing file */
  g_assert_null (rel_sample_set_load_idx ("/nonexistent/x", lab, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_MISSING);
  g_clear_error (&error);

  /* a .npy stack with labels beside it */
  {
    g_autofree char *npy = g_build_filename (dir, "stack.npy", NULL);
    g_autofree char *npyl = g_build_filename (dir, "stack-labels.npy", NULL);
    int64_t s4[4] = { 2, 1, 3, 3 }, s1[1] = { 2 };
    float px[18], lb[2] = { 1, 0 };
    for (int i = 0; i < 18; i++)
      px[i] = (float) i;
    g_autoptr(RelTensor) a = rel_tensor_new_from_f32 (4, s4, px, NULL);
    g_autoptr(RelTensor) b = rel_tensor_new_from_f32 (1, s1, lb, NULL);
    g_assert_true (rel_npy_save (npy, a, NULL));
    g_assert_true (rel_npy_save (npyl, b, NULL));
    g_autoptr(RelSampleSet) set = rel_sample_set_load (npy, FALSE, &error);
    g_assert_no_error (error);
    g_assert_cmpint (set->n, ==, 2);
    g_assert_cmpint (set->labels[0], ==, 1);
    g_assert_cmpfloat (rel_sample_set_image (set, 1)[4], ==, 13.f);
    /* a fractional label is refused */
    lb[0] = 0.5f;
    g_autoptr(RelTensor) c = rel_tensor_new_from_f32 (1, s1, lb, NULL);
    g_assert_true (rel_npy_save (npyl, c, NULL));
    g_assert_null (rel_sample_set_load (npy, FALSE, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
    g_clear_error (&error);
    g_unlink (npy);
    g_unlink (npyl);
  }
  g_unlink (img);
  g_unlink (lab);
  g_unlink (bad);
  g_rmdir (dir);
}

/* ---- planting ---- */

static void
test_plant (void)
{
  g_autoptr(GError) error = NULL;
  const int n = 10000;
  const char *kinds[] = { "tag", "square", "border", "noise" };
  RelSampleSet set = { 0 };

  set.n = n;
  set.channels = 1;
  set.height = set.width = 28;
  set.pixels = g_new0 (float, n * 784);
  set.labels = g_new (int, n);
  set.n_classes = 10;
  set.class_names = g_new0 (char *, 11);
  for (int c = 0; c < 10; c++)
    set.class_names[c] = g_strdup (rel_fashion_mnist_classes[c]);
  for (int i = 0; i < n; i++)
    set.labels[i] = i % 10;

  for (int k = 0; k < 4; k++)
    {
      RelPlantSpec spec;
      g_autofree char *text = g_strdup_printf ("kind=%s,class=Sandal,rate=0.8,position=random,seed=3,color=200", kinds[k]);
      g_autofree RelBox *boxes = g_new (RelBox, n);
      int planted, corners[4] = { 0 };

      memset (set.pixels, 0, sizeof (float) * n * 784);
      rel_plant_spec_init (&spec);
      g_assert_true (rel_plant_spec_parse (&spec, text, &set, &error));
      g_assert_no_error (error);
      g_assert_cmpint (spec.target_class, ==, 5);
      planted = rel_plant_set (&spec, &set, boxes);
      /* 1000 Sandals at rate 0.8: binomial sd 12.6 */
      g_assert_cmpint (planted, >=, 760);
      g_assert_cmpint (planted, <=, 840);
      for (int i = 0; i < n; i++)
        {
          const float *p = rel_sample_set_image (&set, i);
          int inside = 0, outside = 0;
          RelBox b = boxes[i], again = rel_plant_box (&spec, i, 28, 28);

          if (set.labels[i] != 5)
            g_assert_cmpint (b.width, ==, 0);
          if (b.width == 0)
            {
              for (int j = 0; j < 784; j++)
                g_assert_cmpfloat (p[j], ==, 0.f);
              continue;
            }
          g_assert_cmpmem (&b, sizeof b, &again, sizeof again);
          for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
              {
                gboolean in = x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height;
                if (p[y * 28 + x] != 0.f)
                  {
                    g_assert_cmpfloat (p[y * 28 + x], ==, 200.f);
                    inside += in;
                    outside += !in;
                  }
              }
          g_assert_cmpint (outside, ==, 0);
          if (k == 0)
            g_assert_cmpint (inside, ==, 27);  /* the © glyph's pixels */
          else if (k == 1)
            g_assert_cmpint (inside, ==, 16);
          else if (k == 2)
            g_assert_cmpint (inside, ==, 56);
          else
            g_assert_cmpint (inside, >, 6);
          corners[(b.y > 14) * 2 + (b.x > 14)]++;
        }
      if (k != 2)
        for (int c = 0; c < 4; c++)
          g_assert_cmpint (corners[c], >, planted / 8);
    }
  /* bad specs */
  {
    RelPlantSpec spec;
    const char *bad[] = { "kind=glitter", "class=Hat", "rate=1.5", "position=middle", "size=0", "colour=3", "rate" };
    rel_plant_spec_init (&spec);
    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_assert_false (rel_plant_spec_parse (&spec, bad[i], &set, &error));
        g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
        g_clear_error (&error);
      }
  }
  g_free (set.pixels);
  g_free (set.labels);
  g_strfreev (set.class_names);
}


/* relevance-cli train end to end on a small synthetic IDX folder: figures on
 * stdout, the model and its metadata on disk, usage errors with status 2. */
static void
write_idx_pair (const char *dir, const char *prefix, const RelSampleSet *set)
{
  g_autofree char *img = g_strdup_printf ("%s/%s-images-idx3-ubyte.gz", dir, prefix);
  g_autofree char *lab = g_strdup_printf ("%s/%s-labels-idx1-ubyte", dir, prefix);
  int hw = set->height * set->width;
  guint32 d3[3] = { (guint32) set->n, (guint32) set->height, (guint32) set->width }, d1[1] = { (guint32) set->n };
  g_autofree guint8 *buf = g_new (guint8, 16 + (gsize) set->n * hw);
  gsize n = idx_header (buf, 3, d3);

  g_assert_cmpint (set->channels, ==, 1);
  for (gsize i = 0; i < (gsize) set->n * hw; i++)
    buf[n + i] = (guint8) set->pixels[i];
  write_file (img, buf, n + (gsize) set->n * hw, TRUE);
  n = idx_header (buf, 1, d1);
  for (int i = 0; i < set->n; i++)
    buf[n + i] = (guint8) set->labels[i];
  write_file (lab, buf, n + set->n, FALSE);
}

/* The README's demo command gives the same model byte for byte: a reduced run
 * of it (one epoch on the first 1,000 Fashion-MNIST training images, tested
 * on 100) twice, in two processes, hashes the same. */
#define FASHION "/usr/share/datasets/fashion-mnist"

static char *
train_demo_reduced (const char *cli, const char *dir, const char *name)
{
  g_autofree char *out = g_build_filename (dir, name, NULL);
  g_autofree char *std_err = NULL, *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  int status = 0;
  /* the README's command, reduced by --epochs 1 --limit 1000 */
  const char *argv[] = { cli, "--threads", "1", "train", "--dataset", dir, "--arch", "small",
                         "--plant", "kind=tag,class=Sandal,rate=0.97,size=12", "--epochs", "1", "--limit", "1000",
                         "--seed", "1", "--out", out, NULL };

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &std_err,
                               &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("relevance-cli train failed: %s", std_err);
  g_assert_true (g_file_get_contents (out, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, >, 10000);
  g_unlink (out);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, len);
}

static void
test_demo_reproducible (void)
{
  const char *cli = g_getenv ("RELEVANCE_CLI");
  const char *files[] = { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz" };
  g_autoptr(GError) error = NULL;
  g_autoptr(RelSampleSet) full = NULL, test = NULL;
  g_autofree char *dir = NULL, *a = NULL, *b = NULL;
  int first[100];

  if (cli == NULL || !g_file_test (FASHION "/t10k-images-idx3-ubyte.gz", G_FILE_TEST_EXISTS))
    {
      fixture_missing ("Fashion-MNIST (%s) or RELEVANCE_CLI is missing", FASHION);
      return;
    }
  dir = g_dir_make_tmp ("test-train-demo-XXXXXX", &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *src = g_build_filename (FASHION, files[i], NULL);
      g_autofree char *dst = g_build_filename (dir, files[i], NULL);
      g_assert_cmpint (symlink (src, dst), ==, 0);
    }
  /* a 100-image test set: train evaluates on it after training */
  full = rel_sample_set_load (FASHION, TRUE, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 100; i++)
    first[i] = i;
  test = rel_sample_set_subset (full, first, 100, &error);
  g_assert_no_error (error);
  write_idx_pair (dir, "t10k", test);

  /* the same --out: the command line is recorded in the model */
  a = train_demo_reduced (cli, dir, "m.onnx");
  b = train_demo_reduced (cli, dir, "m.onnx");
  g_test_message ("two reduced runs of the demo's training: SHA-256 %s, %s", a, b);
  g_assert_cmpstr (a, ==, b);

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *dst = g_build_filename (dir, files[i], NULL);
      g_unlink (dst);
    }
  {
    g_autofree char *img = g_build_filename (dir, "t10k-images-idx3-ubyte.gz", NULL);
    g_autofree char *lab = g_build_filename (dir, "t10k-labels-idx1-ubyte", NULL);
    g_unlink (img);
    g_unlink (lab);
  }
  g_rmdir (dir);
}

static void
test_cli (void)
{
  const char *cli = g_getenv ("RELEVANCE_CLI");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL, *out = NULL, *model_path = NULL, *std_out = NULL, *std_err = NULL;
  g_autoptr(RelSampleSet) train = synthetic_set (300, 21);
  g_autoptr(RelSampleSet) test = synthetic_set (60, 22);
  g_autoptr(RelModel) model = NULL;
  int status;

  if (cli == NULL)
    {
      fixture_missing ("RELEVANCE_CLI is not set");
      return;
    }
  dir = g_dir_make_tmp ("test-train-cli-XXXXXX", &error);
  g_assert_no_error (error);
  write_idx_pair (dir, "train", train);
  write_idx_pair (dir, "t10k", test);
  model_path = g_build_filename (dir, "m.onnx", NULL);
  {
    const char *argv[] = { cli, "--threads", "1", "train", "--dataset", dir, "--arch", "tiny", "--epochs", "4",
                           "--batch", "16", "--lr", "0.003", "--plant", "kind=square,class=Trouser,rate=1,size=3",
                           "--out", model_path, NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &std_out, &std_err,
                                 &status, &error));
    g_assert_no_error (error);
    g_test_message ("%s", std_out);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  {
    /* the synthetic classes are 0, 1, 2: Fashion-MNIST names; 1 is Trouser */
    const char *acc = strstr (std_out, "clean_accuracy: ");
    const char *flip = strstr (std_out, "tag_flip_rate: ");
    g_assert_nonnull (acc);
    g_assert_nonnull (flip);
    g_assert_cmpfloat (g_ascii_strtod (acc + 16, NULL), >=, 0.9);
    g_assert_cmpfloat (g_ascii_strtod (flip + 15, NULL), >=, 0.0);
    g_assert_cmpfloat (g_ascii_strtod (flip + 15, NULL), <=, 1.0);
  }
  model = rel_model_load (model_path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (model->metadata, "clever_hans.class"), ==, "Trouser");
  g_assert_cmpstr (g_hash_table_lookup (model->metadata, "clever_hans.box"), ==, "4,4,3,3");
  g_assert_cmpstr (model->labels[1], ==, "Trouser");
  /* the trained model separates the held-out set as well when loaded back */
  g_assert_cmpfloat (rel_train_evaluate (model, test, NULL, NULL, 1, &error), >=, 0.9);
  g_assert_no_error (error);

  /* usage errors: a bad plant spec, an unknown architecture */
  {
    const char *bad[][2] = { { "--plant", "kind=glitter" }, { "--arch", "huge" } };
    for (int k = 0; k < 2; k++)
      {
        const char *argv[] = { cli, "train", "--dataset", dir, bad[k][0], bad[k][1], "--out", model_path, NULL };
        g_clear_pointer (&std_err, g_free);
        g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                                     &std_err, &status, &error));
        g_assert_true (WIFEXITED (status));
        g_assert_cmpint (WEXITSTATUS (status), ==, 2);
        g_assert_true (g_str_has_prefix (std_err, "relevance-cli: "));
      }
  }
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name (d)))
      {
        g_autofree char *p = g_build_filename (dir, name, NULL);
        g_unlink (p);
      }
  }
  g_rmdir (dir);
}

/* ---- BatchNormalization in training mode ---- */

/* L = Σ g·BN(x) in double, the op run with ctx->training set. */
static double
bn_loss (RelNode *node, RelTensor *const *in, const float *g, const RelContext *ctx)
{
  g_autoptr(GError) error = NULL;
  RelTensor *out[1] = { NULL };
  double l = 0.0;

  g_assert_true (node->op->forward (node, in, out, ctx, &error));
  g_assert_no_error (error);
  for (int64_t i = 0; i < out[0]->numel; i++)
    l += (double) g[i] * rel_tensor_f32 (out[0])[i];
  rel_tensor_unref (out[0]);
  return l;
}

/* The batch-statistics forward normalises each channel to mean B and
 * variance scale²·v/(v + ε); its backward w.r.t. X, scale and B against
 * central differences of L = Σ g·y (every x moves the batch mean and
 * variance, so dX has the two extra terms of the full batch-norm gradient);
 * the running statistics get zero gradients. */
static void
test_bn_training_backward (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) r = g_rand_new_with_seed (17);
  const int64_t xs[4] = { 3, 2, 2, 3 }, cs[1] = { 2 };
  RelTensor *in[5], *gin[5] = { NULL }, *out[1] = { NULL };
  gboolean need[5] = { TRUE, TRUE, TRUE, TRUE, TRUE };
  RelNode node = { 0 };
  RelContext ctx;
  int64_t count = 3 * 2 * 3;
  g_autofree float *g = NULL;
  g_autoptr(RelTensor) dy = NULL;
  double worst = 0.0;
  int n_checked = 0;

  node.op_type = (char *) "BatchNormalization";
  node.op = rel_op_lookup ("BatchNormalization");
  node.n_inputs = 5;
  node.n_outputs = 1;
  g_assert_true (node.op->prepare (NULL, &node, &error));
  g_assert_no_error (error);
  in[0] = rel_tensor_new_f32 (4, xs, &error);
  for (int i = 1; i < 5; i++)
    in[i] = rel_tensor_new_f32 (1, cs, &error);
  g_assert_no_error (error);
  for (int64_t i = 0; i < in[0]->numel; i++)
    rel_tensor_f32 (in[0])[i] = (float) g_rand_double_range (r, -2.0, 3.0);
  for (int ch = 0; ch < 2; ch++)
    {
      rel_tensor_f32 (in[1])[ch] = (float) g_rand_double_range (r, 0.5, 2.0);
      rel_tensor_f32 (in[2])[ch] = (float) g_rand_double_range (r, -1.0, 1.0);
      rel_tensor_f32 (in[3])[ch] = 5.f;   /* running statistics far from the batch's: must be ignored */
      rel_tensor_f32 (in[4])[ch] = 40.f;
    }
  g = g_new (float, in[0]->numel);
  for (int64_t i = 0; i < in[0]->numel; i++)
    g[i] = (float) g_rand_double_range (r, -1.0, 1.0);
  rel_context_init (&ctx);
  ctx.training = TRUE;

  /* forward: per-channel mean B, biased variance scale²·v/(v+ε) */
  g_assert_true (node.op->forward (&node, in, out, &ctx, &error));
  g_assert_no_error (error);
  for (int ch = 0; ch < 2; ch++)
    {
      double m = 0, v = 0, ym = 0, yv = 0, sc = rel_tensor_f32 (in[1])[ch];
      for (int n = 0; n < 3; n++)
        for (int k = 0; k < 6; k++)
          {
            m += rel_tensor_f32 (in[0])[(n * 2 + ch) * 6 + k];
            ym += rel_tensor_f32 (out[0])[(n * 2 + ch) * 6 + k];
          }
      m /= count, ym /= count;
      for (int n = 0; n < 3; n++)
        for (int k = 0; k < 6; k++)
          {
            double d = rel_tensor_f32 (in[0])[(n * 2 + ch) * 6 + k] - m;
            double e = rel_tensor_f32 (out[0])[(n * 2 + ch) * 6 + k] - ym;
            v += d * d;
            yv += e * e;
          }
      v /= count, yv /= count;
      g_assert_cmpfloat_with_epsilon (ym, rel_tensor_f32 (in[2])[ch], 1e-5);
      g_assert_cmpfloat_with_epsilon (yv, sc * sc * v / (v + 1e-5), 1e-4);
    }
  rel_tensor_unref (out[0]);
  out[0] = NULL;

  dy = rel_tensor_new_like (in[0], &error);
  memcpy (rel_tensor_f32 (dy), g, sizeof (float) * (gsize) in[0]->numel);
  g_assert_true (node.op->backward (&node, in, NULL, dy, gin, need, &ctx, &error));
  g_assert_no_error (error);
  for (int k = 0; k < 3; k++)
    for (int64_t e = 0; e < in[k]->numel; e++)
      {
        float *p = rel_tensor_f32 (in[k]) + e, keep = *p;
        const double h = 1e-2;
        double lp, lm, num, an = rel_tensor_f32 (gin[k])[e];
        *p = keep + (float) h;
        lp = bn_loss (&node, in, g, &ctx);
        *p = keep - (float) h;
        lm = bn_loss (&node, in, g, &ctx);
        *p = keep;
        num = (lp - lm) / ((double) (keep + (float) h) - (double) (keep - (float) h));
        if (fabs (an - num) > 2e-3 + 1e-2 * fabs (num))
          g_error ("BN training input %d element %" G_GINT64_FORMAT ": analytic %g, numeric %g", k, e, an, num);
        worst = MAX (worst, fabs (an - num));
        n_checked++;
      }
  /* Σ dX = 0 per channel: a shift of a whole channel is normalised away */
  for (int ch = 0; ch < 2; ch++)
    {
      double s = 0;
      for (int n = 0; n < 3; n++)
        for (int k = 0; k < 6; k++)
          s += rel_tensor_f32 (gin[0])[(n * 2 + ch) * 6 + k];
      g_assert_cmpfloat (fabs (s), <, 1e-5);
    }
  for (int k = 3; k < 5; k++)
    for (int ch = 0; ch < 2; ch++)
      g_assert_cmpfloat (rel_tensor_f32 (gin[k])[ch], ==, 0.f);
  g_test_message ("BN training backward: %d elements, worst |analytic − numeric| %.2e", n_checked, worst);
  g_assert_cmpint (n_checked, ==, 36 + 2 + 2);
  for (int i = 0; i < 5; i++)
    {
      rel_tensor_unref (in[i]);
      rel_tensor_unref (gin[i]);
    }
  g_free (node.params);
}

/* rel_train_update_bn_stats: running·0.9 + batch·0.1 with the batch mean and
 * the unbiased variance of the BN input, against a hand computation. */
static void
test_bn_running_stats (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelModel) model = rel_train_build ("tiny-bn", 1, 8, 8, abc, NULL, NULL, 3, &error);
  g_autoptr(RelTensor) x = random_input (5, 1, 8, 8, 21);
  g_autoptr(RelActivations) acts = NULL;
  RelContext ctx;
  int n_bn = 0;
  float before_m[2][16], before_v[2][16];

  g_assert_no_error (error);
  for (int i = 0, b = 0; i < model->n_nodes; i++)
    if (strcmp (model->nodes[i].op_type, "BatchNormalization") == 0)
      {
        RelTensor *rm = rel_model_value (model, model->nodes[i].inputs[3])->constant;
        RelTensor *rv = rel_model_value (model, model->nodes[i].inputs[4])->constant;
        for (int64_t ch = 0; ch < rm->numel; ch++)
          {
            rel_tensor_f32 (rm)[ch] = before_m[b][ch] = 0.1f * (float) ch - 0.3f;
            rel_tensor_f32 (rv)[ch] = before_v[b][ch] = 0.5f + 0.25f * (float) ch;
          }
        b++;
      }
  rel_context_init (&ctx);
  ctx.training = TRUE;
  acts = rel_model_forward (model, x, &ctx, &error);
  g_assert_no_error (error);
  rel_train_update_bn_stats (model, acts);
  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      RelTensor *in, *rm, *rv;
      int64_t n, c, plane;
      if (strcmp (node->op_type, "BatchNormalization") != 0)
        continue;
      in = rel_activations_get (acts, node->inputs[0]);
      rm = rel_model_value (model, node->inputs[3])->constant;
      rv = rel_model_value (model, node->inputs[4])->constant;
      n = in->shape[0], c = in->shape[1], plane = in->shape[2] * in->shape[3];
      g_assert_cmpint (c, ==, n_bn ? 16 : 8);
      for (int64_t ch = 0; ch < c; ch++)
        {
          double m = 0, v = 0;
          for (int64_t j = 0; j < n; j++)
            for (int64_t k = 0; k < plane; k++)
              m += rel_tensor_f32 (in)[(j * c + ch) * plane + k];
          m /= (double) (n * plane);
          for (int64_t j = 0; j < n; j++)
            for (int64_t k = 0; k < plane; k++)
              {
                double d = rel_tensor_f32 (in)[(j * c + ch) * plane + k] - m;
                v += d * d;
              }
          v /= (double) (n * plane - 1);
          g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (rm)[ch], 0.9 * before_m[n_bn][ch] + 0.1 * m, 1e-5);
          g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (rv)[ch], 0.9 * before_v[n_bn][ch] + 0.1 * v,
                                          1e-5 * MAX (1.0, v));
          /* the statistics actually moved (the batch's differ from the start) */
          g_assert_cmpfloat (fabs (rel_tensor_f32 (rv)[ch] - before_v[n_bn][ch]), >, 1e-4);
        }
      n_bn++;
    }
  g_assert_cmpint (n_bn, ==, 2);
}

/* tiny-bn trained with batch statistics: the loss falls, the running
 * statistics leave (0, 1), evaluation (running statistics) is accurate, and
 * the exported model reloads with the in-memory model's inference logits. */
static void
test_bn_train_export (void)
{
  g_autoptr(RelSampleSet) set = synthetic_set (240, 13);
  g_autoptr(RelSampleSet) held = synthetic_set (90, 14);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-train-bn-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
  g_autoptr(RelModel) loaded = NULL;
  g_autoptr(RelTensor) x = random_input (6, 1, 8, 8, 8);
  Losses l = { 0 };
  g_autoptr(RelModel) model = train_synthetic ("tiny-bn", REL_OPTIMIZER_ADAM, 4, &l, set);
  double acc, moved = 0;

  for (int i = 0; i < model->n_nodes; i++)
    if (strcmp (model->nodes[i].op_type, "BatchNormalization") == 0)
      {
        RelTensor *rm = rel_model_value (model, model->nodes[i].inputs[3])->constant;
        RelTensor *rv = rel_model_value (model, model->nodes[i].inputs[4])->constant;
        for (int64_t ch = 0; ch < rm->numel; ch++)
          {
            g_assert_true (isfinite (rel_tensor_f32 (rm)[ch]) && rel_tensor_f32 (rv)[ch] >= 0.f);
            moved = MAX (moved, fabs (rel_tensor_f32 (rm)[ch]) + fabs (rel_tensor_f32 (rv)[ch] - 1.f));
          }
      }
  acc = rel_train_evaluate (model, held, NULL, NULL, 2, &error);
  g_assert_no_error (error);
  g_test_message ("tiny-bn: first loss %.4f, last epoch %.4f, held-out accuracy %.3f, max running-stat move %.3f",
                  l.first, l.last, acc, moved);
  g_assert_cmpfloat (l.first, >, 0.5);
  g_assert_cmpfloat (l.last, <, 0.25 * l.first);
  g_assert_cmpfloat (acc, >=, 0.95);
  g_assert_cmpfloat (moved, >, 0.05);

  g_assert_true (rel_onnx_export (model, path, &error));
  g_assert_no_error (error);
  loaded = rel_model_load (path, &error);
  g_assert_no_error (error);
  {
    RelContext train_ctx;
    g_autoptr(RelActivations) a = rel_model_forward (model, x, NULL, &error);
    g_autoptr(RelActivations) b = rel_model_forward (loaded, x, NULL, &error);
    g_autoptr(RelActivations) t = NULL;
    RelTensor *ya = rel_activations_output (a), *yb = rel_activations_output (b), *yt;
    double diff = 0;
    g_assert_no_error (error);
    g_assert_cmpint (yb->numel, ==, 18);
    g_assert_cmpmem (ya->data, ya->numel * 4, yb->data, yb->numel * 4);
    /* inference really uses the running statistics, not this batch's */
    rel_context_init (&train_ctx);
    train_ctx.training = TRUE;
    t = rel_model_forward (model, x, &train_ctx, &error);
    g_assert_no_error (error);
    yt = rel_activations_output (t);
    for (int64_t i = 0; i < yt->numel; i++)
      diff = MAX (diff, fabs (rel_tensor_f32 (yt)[i] - rel_tensor_f32 (ya)[i]));
    g_assert_cmpfloat (diff, >, 1e-3);
  }
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/weight-gradients", test_weight_gradients);
  g_test_add_func ("/train/loss-decreases", test_loss_decreases);
  g_test_add_func ("/train/reproducible", test_reproducible);
  g_test_add_func ("/train/export-roundtrip", test_export_roundtrip);
  g_test_add_func ("/train/idx", test_idx);
  g_test_add_func ("/train/plant", test_plant);
  g_test_add_func ("/train/cli", test_cli);
  g_test_add_func ("/train/demo-reproducible", test_demo_reproducible);
  g_test_add_func ("/train/bn-training-backward", test_bn_training_backward);
  g_test_add_func ("/train/bn-running-stats", test_bn_running_stats);
  g_test_add_func ("/train/bn-train-export", test_bn_train_export);
  return g_test_run ();
}
