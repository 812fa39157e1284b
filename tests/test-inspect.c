/* test-inspect.c — regions, relevance mass, fills and the counterfactual tests
 * (core/rel-region.c, core/rel-inspect.c): exact values on small synthetic
 * cases, and the README's figures on the bundled Clever-Hans demo.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-dataset.h"
#include "rel-error.h"
#include "rel-explain.h"
#include "rel-image.h"
#include "rel-inspect.h"
#include "rel-region.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static char *
demo_path (const char *rel)
{
  return g_build_filename (g_getenv ("G_TEST_SRCDIR") ? g_getenv ("G_TEST_SRCDIR") : ".", "..", "data", "demo",
                           rel, NULL);
}

/* The demo's images of @folder, at most @per_class per class. */
typedef struct {
  GPtrArray *paths;
  GArray    *labels;
} Images;

static void
images_load (RelModel *model, const char *folder, int per_class, Images *out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = demo_path (folder);
  g_autoptr(RelDataset) ds = rel_dataset_scan (root, NULL, NULL, NULL, &error);
  g_autofree int *labels = NULL;
  int count[64] = { 0 };

  g_assert_no_error (error);
  labels = rel_inspect_dataset_labels (model, ds);
  out->paths = g_ptr_array_new_with_free_func (g_free);
  out->labels = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint i = 0; i < ds->paths->len; i++)
    {
      g_assert_cmpint (labels[i], >=, 0);   /* every demo folder names a label ("T-shirt-top" too) */
      if (count[labels[i]]++ >= per_class)
        continue;
      g_ptr_array_add (out->paths, g_strdup (g_ptr_array_index (ds->paths, i)));
      g_array_append_val (out->labels, labels[i]);
    }
}

static void
images_clear (Images *im)
{
  g_ptr_array_unref (im->paths);
  g_array_unref (im->labels);
}

static RelModel *
demo_model (int *target, int box[4])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = demo_path ("model.onnx");
  RelModel *model = rel_model_load (path, &error);
  const char *b;

  g_assert_no_error (error);
  *target = rel_inspect_find_class (model, g_hash_table_lookup (model->metadata, "clever_hans.class"));
  g_assert_cmpint (*target, ==, 5);
  b = g_hash_table_lookup (model->metadata, "clever_hans.box");
  g_assert_nonnull (b);
  g_assert_cmpint (sscanf (b, "%d,%d,%d,%d", &box[0], &box[1], &box[2], &box[3]), ==, 4);
  return model;
}

/* ---- regions ---- */

static void
test_region_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelRegion) r = rel_region_parse ("15, 15,12,12", &error);
  RelRegion *bad;

  g_assert_no_error (error);
  g_assert_cmpint (r->x, ==, 15);
  g_assert_cmpint (r->height, ==, 12);
  const char *invalid[] = { "15,15,0,12", "1,2,3", "a,b,c,d", "-1,0,4,4", "0,0,4,4,4", "", NULL };
  for (int i = 0; invalid[i]; i++)
    {
      bad = rel_region_parse (invalid[i], &error);
      g_assert_null (bad);
      g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
}

/* Regions as JSON: a rectangle and a mask come back as they were written;
 * every malformed file is refused with a message naming what is wrong. */
static void
write_text (const char *path, const char *text)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
}

static void
test_region_json (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("region-json-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "r.json", NULL);
  g_autofree char *name = NULL;
  g_assert_no_error (error);

  g_autoptr(RelRegion) rect = rel_region_new_rect (15, 15, 12, 12, &error);
  g_assert_true (rel_region_save_json (rect, "tag “©”", path, &error));
  g_assert_no_error (error);
  g_autoptr(RelRegion) back = rel_region_load_json (path, &name, &error);
  g_assert_no_error (error);
  g_assert_false (back->is_mask);
  g_assert_cmpint (back->x, ==, 15);
  g_assert_cmpint (back->y, ==, 15);
  g_assert_cmpint (back->width, ==, 12);
  g_assert_cmpint (back->height, ==, 12);
  g_assert_cmpstr (name, ==, "tag “©”");

  /* a mask: an L shape, whose bounding box is not the mask */
  guint8 mk[5 * 3] = { 0 };
  mk[1 * 5 + 1] = mk[2 * 5 + 1] = mk[2 * 5 + 2] = mk[2 * 5 + 3] = 1;
  g_autoptr(RelRegion) mr = rel_region_new_mask (mk, 5, 3, &error);
  g_assert_true (rel_region_save_json (mr, NULL, path, &error));
  g_clear_pointer (&name, g_free);
  g_autoptr(RelRegion) mback = rel_region_load_json (path, &name, &error);
  g_assert_no_error (error);
  g_assert_null (name);
  g_assert_true (mback->is_mask);
  g_assert_cmpint (mback->mask_width, ==, 5);
  g_assert_cmpint (mback->mask_height, ==, 3);
  g_assert_cmpmem (mback->mask, 15, mk, 15);
  g_assert_cmpint (mback->x, ==, 1);
  g_assert_cmpint (mback->y, ==, 1);
  g_assert_cmpint (mback->width, ==, 3);
  g_assert_cmpint (mback->height, ==, 2);

  struct { const char *text; const char *says; } bad[] = {
    { "", "one JSON object" },
    { "{\"format\": \"relevance-region\", ", "not a JSON file" },
    { "[1,2]", "one JSON object" },
    { "{\"kind\":\"rect\",\"x\":1,\"y\":1,\"width\":2,\"height\":2}", "not a region file" },
    { "{\"format\":\"relevance-region\",\"version\":2,\"kind\":\"rect\"}", "newer" },
    { "{\"format\":\"relevance-region\",\"version\":1,\"kind\":\"circle\"}", "“kind”" },
    { "{\"format\":\"relevance-region\",\"version\":1,\"kind\":\"rect\",\"x\":-1,\"y\":1,\"width\":2,\"height\":2}", "“x”" },
    { "{\"format\":\"relevance-region\",\"version\":1,\"kind\":\"rect\",\"x\":1.5,\"y\":1,\"width\":2,\"height\":2}", "“x”" },
    { "{\"format\":\"relevance-region\",\"version\":1,\"kind\":\"rect\",\"x\":1,\"y\":1,\"width\":0,\"height\":2}", "“width”" },
    { "{\"format\":\"relevance-region\",\"version\":1,\"kind\":\"rect\",\"x\":1,\"y\":1,\"width\":2,\"height\":1e300}", "“height”" },
    { "{\"format\":\"relevance-region\",\"version\":1,\"kind\":\"rect\",\"x\":\"1\",\"y\":1,\"width\":2,\"height\":2}", "“x”" },
    { "{\"format\":\"relevance-region\",\"version\":1,\"name\":3,\"kind\":\"rect\",\"x\":1,\"y\":1,\"width\":2,\"height\":2}", "“name”" },
    /* a mask that claims a huge size but holds two short rows */
    { "{\"format\":\"relevance-region\",\"version\":1,\"kind\":\"mask\",\"mask_width\":16384,\"mask_height\":2,\"rows\":[\"01\",\"10\"]}", "row 0" },
    { "{\"format\":\"relevance-region\",\"version\":1,\"kind\":\"mask\",\"mask_width\":2,\"mask_height\":3,\"rows\":[\"01\",\"10\"]}", "“rows”" },
    { "{\"format\":\"relevance-region\",\"version\":1,\"kind\":\"mask\",\"mask_width\":2,\"mask_height\":2,\"rows\":[\"01\",\"1x\"]}", "row 1" },
    { "{\"format\":\"relevance-region\",\"version\":1,\"kind\":\"mask\",\"mask_width\":2,\"mask_height\":2,\"rows\":[\"00\",\"00\"]}", "empty" },
    { "{\"format\":\"relevance-region\",\"version\":1,\"kind\":\"mask\",\"mask_width\":2,\"mask_height\":1,\"rows\":[7]}", "row 0" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      write_text (path, bad[i].text);
      g_autoptr(RelRegion) r = rel_region_load_json (path, NULL, &e);
      g_assert_null (r);
      g_assert_nonnull (e);
      if (strstr (e->message, bad[i].says) == NULL)
        g_error ("file %" G_GSIZE_FORMAT " (%s): “%s” does not say “%s”", i, bad[i].text, e->message, bad[i].says);
    }
  /* a folder and a missing file */
  {
    g_autoptr(GError) e = NULL;
    g_assert_null (rel_region_load_json (dir, NULL, &e));
    g_assert_nonnull (e);
    g_clear_error (&e);
    g_autofree char *missing = g_build_filename (dir, "none.json", NULL);
    g_assert_null (rel_region_load_json (missing, NULL, &e));
    g_assert_error (e, REL_ERROR, REL_ERROR_MISSING);
  }
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_region_map (void)
{
  g_autoptr(GError) error = NULL;
  RelPreprocess pp = { 0 };
  g_autoptr(RelRegion) r = rel_region_new_rect (30, 30, 20, 20, &error);
  g_autofree guint8 *m = NULL;
  int n = 0;

  pp.channels = 1;
  pp.height = pp.width = 28;
  /* straight resize 56 → 28: the box halves */
  m = rel_region_input_mask (r, 56, 56, &pp, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 100);
  for (int y = 0; y < 28; y++)
    for (int x = 0; x < 28; x++)
      g_assert_cmpint (m[y * 28 + x], ==, x >= 15 && x < 25 && y >= 15 && y < 25);
  g_clear_pointer (&m, g_free);

  /* resize the shorter side to 28, centre crop 28×28 of a 112×56 image
   * (56 wide, 112 high → 28×56, crop rows 14..41): rows 60..79 of the image
   * are rows 30..39 resized, 16..25 cropped */
  pp.resize = 28;
  {
    g_autoptr(RelRegion) r2 = rel_region_new_rect (10, 60, 8, 20, &error);
    m = rel_region_input_mask (r2, 56, 112, &pp, &n, &error);
    g_assert_no_error (error);
    g_assert_cmpint (n, ==, 4 * 10);
    g_assert_true (m[16 * 28 + 5] && m[25 * 28 + 8] && !m[15 * 28 + 5] && !m[26 * 28 + 5] && !m[16 * 28 + 9]);
    g_clear_pointer (&m, g_free);
    /* a region entirely in the cropped-away rows covers nothing */
    g_autoptr(RelRegion) r3 = rel_region_new_rect (0, 0, 56, 20, &error);
    m = rel_region_input_mask (r3, 56, 112, &pp, &n, &error);
    g_assert_null (m);
    g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }
  pp.resize = 0;
  /* outside the image */
  m = rel_region_input_mask (r, 40, 40, &pp, &n, &error);
  g_assert_null (m);
  g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* a mask of another size than the image */
  {
    guint8 mk[16] = { 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0 };
    g_autoptr(RelRegion) mr = rel_region_new_mask (mk, 4, 4, &error);
    g_assert_no_error (error);
    g_assert_cmpint (mr->x, ==, 1);
    g_assert_cmpint (mr->width, ==, 2);
    m = rel_region_input_mask (mr, 28, 28, &pp, &n, &error);
    g_assert_null (m);
    g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
    g_clear_error (&error);
    memset (mk, 0, sizeof mk);
    g_assert_null (rel_region_new_mask (mk, 4, 4, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
  }
}

static void
test_region_score (void)
{
  /* 4×4 map, region the top-left 2×2 */
  const float map[16] = { 4, 3, 0, -5,
                          2, -1, 1, 0,
                          0, 0, 5, 0,
                          0, 0, 0, 0 };
  guint8 mask[16] = { 0 };
  RelRegionScore s;

  mask[0] = mask[1] = mask[4] = mask[5] = 1;
  s = rel_region_score (map, 1, 4, 4, mask);
  g_assert_cmpfloat_with_epsilon (s.mass, 9.0 / 15.0, 1e-12);   /* 4+3+2 of 4+3+2+1+5 */
  g_assert_cmpfloat_with_epsilon (s.area, 0.25, 1e-12);
  /* the 4 most relevant pixels: 5, 4, 3, 2 → three inside */
  g_assert_cmpfloat_with_epsilon (s.rank, 0.75, 1e-12);
  /* channels are summed per pixel first: +3 and −3 cancel */
  {
    float two[32];
    memcpy (two, map, sizeof map);
    memset (two + 16, 0, sizeof map);
    two[16 + 10] = -5;   /* the 5 outside vanishes */
    s = rel_region_score (two, 2, 4, 4, mask);
    g_assert_cmpfloat_with_epsilon (s.mass, 9.0 / 10.0, 1e-12);
  }
}

static void
test_region_fill (void)
{
  g_autoptr(GError) error = NULL;
  int64_t shape[4] = { 1, 1, 12, 12 };
  g_autoptr(RelTensor) t = rel_tensor_new_f32 (4, shape, &error);
  RelPreprocess pp = { 0 };
  guint8 mask[144] = { 0 };
  float *d = rel_tensor_f32 (t);

  pp.scale = 1.f / 255;
  pp.mean[0] = 0.5f;
  pp.std[0] = 0.25f;
  for (int y = 4; y < 8; y++)
    for (int x = 3; x < 9; x++)
      mask[y * 12 + x] = 1;
  /* a linear ramp: diffusion inpainting restores it exactly (it is harmonic) */
  for (int y = 0; y < 12; y++)
    for (int x = 0; x < 12; x++)
      d[y * 12 + x] = 0.3f * x - 0.2f * y + 1;
  {
    g_autoptr(RelTensor) u = rel_tensor_copy (t, &error);
    for (int i = 0; i < 144; i++)
      if (mask[i])
        rel_tensor_f32 (u)[i] = 100;
    g_assert_true (rel_region_fill (u, mask, REL_FILL_INPAINT, &pp, &error));
    for (int i = 0; i < 144; i++)
      g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (u)[i], d[i], 1e-3);
  }
  {
    g_autoptr(RelTensor) u = rel_tensor_copy (t, &error);
    double outside = 0;
    for (int i = 0; i < 144; i++)
      if (!mask[i])
        outside += d[i];
    outside /= 144 - 24;
    g_assert_true (rel_region_fill (u, mask, REL_FILL_MEAN, &pp, &error));
    for (int i = 0; i < 144; i++)
      g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (u)[i], mask[i] ? outside : d[i], 1e-5);
    g_assert_true (rel_region_fill (u, mask, REL_FILL_ZERO, &pp, &error));
    for (int i = 0; i < 144; i++)
      if (mask[i])
        g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (u)[i], -2.0, 1e-6);   /* (0 − 0.5)/0.25 */
  }
  {
    /* blurring a linear ramp away from the edges leaves it unchanged */
    g_autoptr(RelTensor) u = rel_tensor_copy (t, &error);
    g_assert_true (rel_region_fill (u, mask, REL_FILL_BLUR, &pp, &error));
    for (int i = 0; i < 144; i++)
      if (!mask[i])
        g_assert_cmpfloat (rel_tensor_f32 (u)[i], ==, d[i]);
    g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (u)[5 * 12 + 5], d[5 * 12 + 5], 1e-4);
  }
  {
    int64_t s2[4] = { 1, 1, 12, 12 };
    g_autoptr(RelTensor) src = rel_tensor_new_f32 (4, s2, &error);
    g_autoptr(RelTensor) u = rel_tensor_copy (t, &error);
    rel_tensor_fill (src, 7);
    g_assert_true (rel_region_transplant (u, src, mask, &error));
    for (int i = 0; i < 144; i++)
      g_assert_cmpfloat (rel_tensor_f32 (u)[i], ==, mask[i] ? 7 : d[i]);
    /* moved by (−3, +4): rows 8–11, columns 0–5 */
    g_clear_pointer (&u, rel_tensor_unref);
    u = rel_tensor_copy (t, &error);
    rel_tensor_f32 (src)[4 * 12 + 3] = 9;
    g_assert_true (rel_region_transplant_at (u, src, mask, -3, 4, &error));
    for (int y = 0; y < 12; y++)
      for (int x = 0; x < 12; x++)
        g_assert_cmpfloat (rel_tensor_f32 (u)[y * 12 + x], ==,
                           y == 8 && x == 0 ? 9 : (y >= 8 && x < 6) ? 7 : d[y * 12 + x]);
    g_assert_false (rel_region_transplant_at (u, src, mask, -4, 0, &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    /* random shifts keep the box inside and cover the range */
    {
      gboolean seen_lo = FALSE, seen_hi = FALSE;
      for (guint64 seed = 0; seed < 400; seed++)
        {
          int dx, dy;
          rel_region_random_shift (mask, 12, 12, seed, &dx, &dy);
          g_assert_cmpint (3 + dx, >=, 0);
          g_assert_cmpint (8 + dx, <=, 11);
          g_assert_cmpint (4 + dy, >=, 0);
          g_assert_cmpint (7 + dy, <=, 11);
          seen_lo |= dx == -3;
          seen_hi |= dx == 3;
        }
      g_assert_true (seen_lo && seen_hi);
    }
  }
}

static void
test_region_suggest (void)
{
  g_autoptr(GError) error = NULL;
  float map[100] = { 0 };
  g_autoptr(RelRegion) r = NULL;

  /* a 3×3 blob of 10s holds 90 of 100: the smallest connected set reaching
   * half is 5 of its pixels; a lone 10 elsewhere is not connected to it */
  for (int y = 2; y < 5; y++)
    for (int x = 2; x < 5; x++)
      map[y * 10 + x] = 10;
  map[88] = 10;
  map[0] = -50;
  r = rel_region_suggest (map, 10, 10, 0.5, &error);
  g_assert_no_error (error);
  {
    int n = 0;
    for (int i = 0; i < 100; i++)
      n += r->mask[i];
    g_assert_cmpint (n, ==, 5);
    g_assert_false (r->mask[88]);
    g_assert_true (r->x >= 2 && r->x + r->width <= 5 && r->y >= 2 && r->y + r->height <= 5);
  }
  memset (map, 0, sizeof map);
  g_assert_null (rel_region_suggest (map, 10, 10, 0.5, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
}

/* ---- the demo ---- */

/* Tagged images predicted Sandal: most of the Sandal relevance lies on the
 * tag (README: the inspector's figures). */
static void
test_demo_mass (void)
{
  g_autoptr(GError) error = NULL;
  int target, box[4];
  g_autoptr(RelModel) model = demo_model (&target, box);
  g_autoptr(RelRegion) region = rel_region_new_rect (box[0], box[1], box[2], box[3], &error);
  g_autoptr(RelInspectResult) res = NULL;
  RelInspectRequest req = { 0 };
  Images im;
  double others = 0;
  int n_others = 0;

  images_load (model, "images/tagged", 20, &im);
  req.model = model;
  req.paths = (const char *const *) im.paths->pdata;
  req.labels = (const int *) im.labels->data;
  req.n = (int) im.paths->len;
  req.target = target;
  req.region = region;
  req.mode = REL_INSPECT_MASS;
  res = rel_inspect_run (&req, &error);
  g_assert_no_error (error);
  for (int i = 0; i < res->n_images; i++)
    if (res->images[i].label != target)
      {
        others += res->images[i].mass;
        n_others++;
      }
  others /= n_others;
  g_test_message ("mass %.3f over %d images (other classes %.3f, Sandals %.3f), rank %.3f, area %.3f",
                  res->relevance_mass, res->n_images, others, res->per_class[target].mass, res->rank_accuracy,
                  res->area_fraction);
  g_assert_cmpint (res->n_images, >=, 150);
  g_assert_cmpfloat (res->relevance_mass, >=, 0.6);
  g_assert_cmpfloat (others, >=, 0.62);
  /* the tagged Sandals' relevance is split between sandal and tag */
  g_assert_cmpfloat (res->per_class[target].mass, >=, 0.35);
  g_assert_cmpfloat (res->per_class[target].mass, <=, 0.55);
  g_assert_cmpfloat_with_epsilon (res->area_fraction, 144.0 / 784.0, 1e-9);
  g_assert_cmpfloat (res->rank_accuracy, >=, 0.7);
  images_clear (&im);
}

/* The mean Sandal heatmap of tagged images of other classes, thresholded to
 * half its positive relevance, finds the tag. */
static void
test_demo_suggest (void)
{
  g_autoptr(GError) error = NULL;
  int target, box[4], n = 0;
  g_autoptr(RelModel) model = demo_model (&target, box);
  const RelMethodDef *method = rel_method_lookup (REL_INSPECT_DEFAULT_METHOD);
  g_autoptr(RelRegion) r = NULL;
  g_autofree guint8 *boxmask = g_new0 (guint8, 784);
  float mean[784] = { 0 };
  Images im;

  images_load (model, "images/tagged", 8, &im);
  for (guint i = 0; i < im.paths->len; i++)
    {
      g_autoptr(RelTensor) x = NULL;
      g_autoptr(RelExplanation) e = NULL;
      RelExplainRequest er = { 0 };
      if (g_array_index (im.labels, int, i) == target)
        continue;
      x = rel_inspect_load (model, g_ptr_array_index (im.paths, i), NULL, NULL, &error);
      g_assert_no_error (error);
      er.model = model;
      er.input = x;
      er.target.kind = REL_TARGET_CLASS;
      er.target.a = target;
      e = rel_explain (method, &er, &error);
      g_assert_no_error (error);
      for (int k = 0; k < 784; k++)
        mean[k] += rel_tensor_f32 (e->relevance)[k];
      n++;
    }
  r = rel_region_suggest (mean, 28, 28, 0.5, &error);
  g_assert_no_error (error);
  for (int y = box[1]; y < box[1] + box[3]; y++)
    for (int x = box[0]; x < box[0] + box[2]; x++)
      boxmask[y * 28 + x] = 1;
  {
    /* the suggestion's bounding box against the tag's */
    g_autofree guint8 *bb = g_new0 (guint8, 784);
    for (int y = r->y; y < r->y + r->height; y++)
      for (int x = r->x; x < r->x + r->width; x++)
        bb[y * 28 + x] = 1;
    g_test_message ("suggested box %d,%d,%d,%d from %d heatmaps: IoU with the tag %.3f (mask %.3f)", r->x, r->y,
                    r->width, r->height, n, rel_mask_iou (bb, boxmask, 784), rel_mask_iou (r->mask, boxmask, 784));
    g_assert_cmpfloat (rel_mask_iou (bb, boxmask, 784), >=, 0.5);
  }
  images_clear (&im);
}

static void
test_demo_counterfactuals (void)
{
  g_autoptr(GError) error = NULL;
  int target, box[4];
  g_autoptr(RelModel) model = demo_model (&target, box);
  g_autoptr(RelRegion) region = rel_region_new_rect (box[0], box[1], box[2], box[3], &error);
  g_autofree char *source_path = demo_path ("images/tagged/Sandal/00008.png");
  g_autofree guint8 *mask = NULL;
  g_autoptr(RelTensor) source = rel_inspect_load (model, source_path, region, &mask, &error);
  g_autoptr(RelInspectResult) tr = NULL;
  g_autoptr(RelInspectResult) rm = NULL;
  RelInspectRequest req = { 0 };
  Images clean, tagged;

  g_assert_no_error (error);
  images_load (model, "images/clean", 50, &clean);
  images_load (model, "images/tagged", 50, &tagged);

  /* transplant the tag into every clean image of the other classes */
  req.model = model;
  req.paths = (const char *const *) clean.paths->pdata;
  req.labels = (const int *) clean.labels->data;
  req.n = (int) clean.paths->len;
  req.target = target;
  req.region = region;
  req.mode = REL_INSPECT_TRANSPLANT;
  req.source = source;
  req.source_mask = mask;
  tr = rel_inspect_run (&req, &error);
  g_assert_no_error (error);
  g_test_message ("transplant: flip rate %.3f over %d candidates, mean Δp %+.3f", tr->flip_rate,
                  tr->flip_candidates, tr->mean_delta_probability);
  g_assert_cmpint (tr->n_images, ==, 450);
  g_assert_cmpfloat (tr->flip_rate, >=, 0.8);
  g_assert_cmpfloat (tr->mean_delta_probability, >, 0.5);
  g_assert_cmpint (tr->per_class[target].images, ==, 0);
  /* at random places the tag hardly works: the model learnt its corner */
  {
    g_autoptr(RelInspectResult) rnd = NULL;
    req.random_place = TRUE;
    rnd = rel_inspect_run (&req, &error);
    g_assert_no_error (error);
    g_test_message ("transplant at random places: flip rate %.3f", rnd->flip_rate);
    g_assert_cmpfloat (rnd->flip_rate, <, 0.2);
    req.random_place = FALSE;
  }

  /* remove it from the tagged Sandals: diffusion inpainting of the box */
  req.paths = (const char *const *) tagged.paths->pdata;
  req.labels = (const int *) tagged.labels->data;
  req.n = (int) tagged.paths->len;
  req.mode = REL_INSPECT_REMOVE;
  req.fill = REL_FILL_INPAINT;
  rm = rel_inspect_run (&req, &error);
  g_assert_no_error (error);
  g_test_message ("removal: accuracy %.3f → %.3f, mean Δp %+.3f over %d tagged Sandals", rm->accuracy_before,
                  rm->accuracy_after, rm->mean_delta_probability, rm->n_images);
  g_assert_cmpint (rm->n_images, ==, 50);
  g_assert_cmpfloat (rm->accuracy_before, ==, 1.0);
  /* clean Sandals are 86 % right, so removing only the tag could cost at most
   * 14 points; the box also covers the sandals' heels */
  g_assert_cmpfloat (rm->accuracy_before - rm->accuracy_after, >=, 0.2);
  g_assert_cmpfloat (rm->mean_delta_probability, <=, -0.2);

  /* a class without images */
  {
    g_autoptr(RelInspectResult) none = NULL;
    g_autofree int *no_sandals = g_new (int, req.n);
    for (int i = 0; i < req.n; i++)
      no_sandals[i] = req.labels[i] == target ? 0 : req.labels[i];
    req.labels = no_sandals;
    none = rel_inspect_run (&req, &error);
    g_assert_null (none);
    g_assert_error (error, REL_ERROR, REL_ERROR_MISSING);
    g_assert_nonnull (strstr (error->message, "Sandal"));
  }
  images_clear (&clean);
  images_clear (&tagged);
}

typedef struct {
  int            calls;
  double         last;
  volatile gint *cancel;
} Progress;

static void
on_progress (double fraction, gpointer data)
{
  Progress *p = data;
  g_assert_cmpfloat (fraction, >, p->last);
  g_assert_cmpfloat (fraction, <=, 1.0);
  p->last = fraction;
  if (++p->calls == 10)
    g_atomic_int_set (p->cancel, 1);
}

/* Progress rises per image; a raised cancel flag stops the run at the next
 * image with REL_ERROR_CANCELLED, as the app's job runner needs. */
static void
test_cancel (void)
{
  g_autoptr(GError) error = NULL;
  int target, box[4];
  g_autoptr(RelModel) model = demo_model (&target, box);
  g_autoptr(RelRegion) region = rel_region_new_rect (box[0], box[1], box[2], box[3], &error);
  RelInspectRequest req = { 0 };
  volatile gint cancel = 0;
  Progress p = { 0, 0, &cancel };
  Images im;

  images_load (model, "images/tagged", 5, &im);
  req.model = model;
  req.paths = (const char *const *) im.paths->pdata;
  req.labels = (const int *) im.labels->data;
  req.n = (int) im.paths->len;
  req.target = target;
  req.region = region;
  req.mode = REL_INSPECT_REMOVE;
  req.progress = on_progress;
  req.progress_data = &p;
  req.cancel = &cancel;
  {
    /* the 5 Sandals run to the end */
    g_autoptr(RelInspectResult) res = rel_inspect_run (&req, &error);
    g_assert_no_error (error);
    g_assert_cmpint (p.calls, ==, 5);
    g_assert_cmpfloat (p.last, ==, 1.0);
  }
  p.calls = 0;
  p.last = 0;
  req.mode = REL_INSPECT_MASS;
  g_assert_null (rel_inspect_run (&req, &error));
  g_assert_error (error, REL_ERROR, REL_ERROR_CANCELLED);
  g_assert_cmpint (p.calls, ==, 10);
  images_clear (&im);
}

/* relevance-cli inspect --mode suggest: the JSON's region and the mask it
 * writes, read back as a --mask region. */
static void
test_cli_suggest (void)
{
  const char *cli = g_getenv ("RELEVANCE_CLI");
  g_autofree char *model = demo_path ("model.onnx");
  g_autofree char *tagged = demo_path ("images/tagged");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL, *mask = NULL, *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(RelRegion) back = NULL;
  JsonObject *o;
  int status = 0, x, y, w, h, pixels = 0;

  if (cli == NULL)
    {
      g_test_skip ("RELEVANCE_CLI is not set");
      return;
    }
  dir = g_dir_make_tmp ("test-inspect-XXXXXX", &error);
  g_assert_no_error (error);
  mask = g_build_filename (dir, "suggested.png", NULL);
  {
    const char *argv[] = { cli, "inspect", model, tagged, "--class", "Sandal", "--mode", "suggest", "--json",
                           "--mask-out", mask, NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  }
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (o, "mode"), ==, "suggest");
  g_assert_cmpint (json_object_get_int_member (o, "images"), ==, 420);
  g_assert_cmpint (sscanf (json_object_get_string_member (o, "region"), "%d,%d,%d,%d", &x, &y, &w, &h), ==, 4);
  {
    /* IoU of the suggested box with the tag's 15,15,12,12 */
    int ix = MAX (0, MIN (x + w, 27) - MAX (x, 15)), iy = MAX (0, MIN (y + h, 27) - MAX (y, 15));
    double iou = (double) ix * iy / (w * h + 144 - ix * iy);
    g_test_message ("suggested %d,%d,%d,%d: IoU %.3f", x, y, w, h, iou);
    g_assert_cmpfloat (iou, >=, 0.5);
  }
  back = rel_region_load_mask (mask, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->mask_width, ==, 28);
  for (int k = 0; k < 784; k++)
    pixels += back->mask[k];
  g_assert_cmpint (pixels, ==, json_object_get_int_member (o, "mask_pixels"));
  g_assert_cmpint (back->x, ==, x);
  g_assert_cmpint (back->width, ==, w);
  g_unlink (mask);
  g_rmdir (dir);
}

/* --region FILE.json reads a saved region: the same figures as the same
 * rectangle given as x,y,w,h; a broken file is one line on stderr. */
static void
test_cli_region_json (void)
{
  const char *cli = g_getenv ("RELEVANCE_CLI");
  g_autofree char *model = demo_path ("model.onnx");
  g_autofree char *sandals = demo_path ("images/tagged");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL, *file = NULL, *bad = NULL;
  double after[2];

  if (cli == NULL)
    {
      g_test_skip ("RELEVANCE_CLI is not set");
      return;
    }
  dir = g_dir_make_tmp ("test-inspect-XXXXXX", &error);
  g_assert_no_error (error);
  file = g_build_filename (dir, "tag.json", NULL);
  {
    g_autoptr(RelRegion) r = rel_region_new_rect (15, 15, 12, 12, &error);
    g_assert_true (rel_region_save_json (r, "tag", file, &error));
    g_assert_no_error (error);
  }
  for (int k = 0; k < 2; k++)
    {
      const char *argv[] = { cli, "inspect", model, sandals, "--class", "Sandal", "--mode", "remove",
                             "--fill", "zero", "--json", "--region", k ? file : "15,15,12,12", NULL };
      g_autofree char *out = NULL, *err = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      int status = 0;
      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
      JsonObject *o = json_node_get_object (json_parser_get_root (parser));
      g_assert_cmpint (json_object_get_int_member (o, "images"), ==, 50);
      g_assert_cmpstr (json_object_get_string_member (o, "region"), ==, "15,15,12,12");
      after[k] = json_object_get_double_member (o, "accuracy_after");
    }
  g_test_message ("zero fill on the tagged Sandals: accuracy after %.3f (x,y,w,h) / %.3f (JSON)", after[0], after[1]);
  g_assert_cmpfloat (after[0], ==, after[1]);
  g_assert_cmpfloat (after[0], <, 0.9);
  bad = g_build_filename (dir, "bad.json", NULL);
  g_assert_true (g_file_set_contents (bad, "{\"format\":\"relevance-region\",\"version\":1,\"kind\":\"rect\",\"x\":-3}", -1, &error));
  {
    const char *argv[] = { cli, "inspect", model, sandals, "--class", "Sandal", "--mode", "remove", "--region", bad, NULL };
    g_autofree char *out = NULL, *err = NULL;
    int status = 0;
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
    g_assert_false (g_spawn_check_wait_status (status, NULL));
    g_assert_cmpstr (out, ==, "");
    g_assert_nonnull (strstr (err, "“x” must be an integer"));
    g_assert_cmpint (strchr (err, '\n') - err, ==, (int) strlen (err) - 1);
  }
  g_unlink (file);
  g_unlink (bad);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/inspect/region/parse", test_region_parse);
  g_test_add_func ("/inspect/region/json", test_region_json);
  g_test_add_func ("/inspect/region/map", test_region_map);
  g_test_add_func ("/inspect/region/score", test_region_score);
  g_test_add_func ("/inspect/region/fill", test_region_fill);
  g_test_add_func ("/inspect/region/suggest", test_region_suggest);
  g_test_add_func ("/inspect/demo/mass", test_demo_mass);
  g_test_add_func ("/inspect/demo/suggest", test_demo_suggest);
  g_test_add_func ("/inspect/demo/counterfactuals", test_demo_counterfactuals);
  g_test_add_func ("/inspect/demo/cancel", test_cancel);
  g_test_add_func ("/inspect/cli/suggest", test_cli_suggest);
  g_test_add_func ("/inspect/cli/region-json", test_cli_region_json);
  return g_test_run ();
}
