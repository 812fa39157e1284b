/* rel-region.c — regions, relevance mass, fills, transplants, suggestions.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-region.h"
#include "rel-error.h"
#include "rel-image.h"
#include "rel-atomic-file.h"
#include "rel-file.h"

#include <json-glib/json-glib.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

RelRegion *
rel_region_new_rect (int x, int y, int width, int height, GError **error)
{
  RelRegion *r;

  if (x < 0 || y < 0 || width < 1 || height < 1 || width > REL_REGION_MAX_SIDE || height > REL_REGION_MAX_SIDE
      || x > REL_REGION_MAX_SIDE || y > REL_REGION_MAX_SIDE)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "the region %d,%d,%d,%d is empty or negative (x,y ≥ 0, width and height ≥ 1)",
                   x, y, width, height);
      return NULL;
    }
  r = g_new0 (RelRegion, 1);
  r->x = x;
  r->y = y;
  r->width = width;
  r->height = height;
  return r;
}

RelRegion *
rel_region_parse (const char *text, GError **error)
{
  g_auto(GStrv) parts = NULL;
  gint64 v[4];

  parts = g_strsplit (text ? text : "", ",", -1);
  if (g_strv_length (parts) != 4)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "a region is x,y,width,height in image pixels, not “%s”", text ? text : "");
      return NULL;
    }
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *s = g_strstrip (g_strdup (parts[i]));
      if (!g_ascii_string_to_signed (s, 10, -REL_REGION_MAX_SIDE, REL_REGION_MAX_SIDE, &v[i], NULL))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "a region is x,y,width,height in image pixels (integers up to %d), not “%s”",
                       REL_REGION_MAX_SIDE, text);
          return NULL;
        }
    }
  return rel_region_new_rect ((int) v[0], (int) v[1], (int) v[2], (int) v[3], error);
}

RelRegion *
rel_region_new_mask (const guint8 *mask, int width, int height, GError **error)
{
  RelRegion *r;
  int x0 = width, y0 = height, x1 = -1, y1 = -1;

  if (width < 1 || height < 1 || width > REL_REGION_MAX_SIDE || height > REL_REGION_MAX_SIDE)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "a mask of %d×%d pixels is not usable", width, height);
      return NULL;
    }
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      if (mask[(gsize) y * width + x])
        {
          x0 = MIN (x0, x);
          x1 = MAX (x1, x);
          y0 = MIN (y0, y);
          y1 = MAX (y1, y);
        }
  if (x1 < 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "the mask is empty: no pixel is inside the region");
      return NULL;
    }
  r = g_new0 (RelRegion, 1);
  r->is_mask = TRUE;
  r->mask_width = width;
  r->mask_height = height;
  r->mask = g_new (guint8, (gsize) width * height);
  for (gsize i = 0; i < (gsize) width * height; i++)
    r->mask[i] = mask[i] ? 1 : 0;
  r->x = x0;
  r->y = y0;
  r->width = x1 - x0 + 1;
  r->height = y1 - y0 + 1;
  return r;
}

RelRegion *
rel_region_load_mask (const char *path, GError **error)
{
  g_autoptr(RelImage) image = NULL;
  g_autofree guint8 *mask = NULL;
  gsize plane;
  RelRegion *r;
  g_autoptr(GError) local = NULL;

  if ((image = rel_image_load (path, error)) == NULL)
    return NULL;
  plane = (gsize) image->width * image->height;
  mask = g_new (guint8, plane);
  for (gsize i = 0; i < plane; i++)
    {
      float v = image->channels == 3
        ? 0.299f * image->data[i] + 0.587f * image->data[plane + i] + 0.114f * image->data[2 * plane + i]
        : image->data[i];
      mask[i] = v >= 128.f;
    }
  r = rel_region_new_mask (mask, image->width, image->height, &local);
  if (r == NULL)
    g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "mask %s: %s", path, local->message);
  return r;
}

RelRegion *
rel_region_copy (const RelRegion *region)
{
  RelRegion *r = g_memdup2 (region, sizeof *region);
  if (region->mask)
    r->mask = g_memdup2 (region->mask, (gsize) region->mask_width * region->mask_height);
  return r;
}

void
rel_region_free (RelRegion *region)
{
  if (region == NULL)
    return;
  g_free (region->mask);
  g_free (region);
}

char *
rel_region_describe (const RelRegion *region)
{
  if (region->is_mask)
    return g_strdup_printf ("mask %d×%d, bounding box %d,%d,%d,%d", region->mask_width, region->mask_height,
                            region->x, region->y, region->width, region->height);
  return g_strdup_printf ("%d,%d,%d,%d", region->x, region->y, region->width, region->height);
}

/* ---- JSON ---- */

gboolean
rel_region_save_json (const RelRegion *region, const char *name, const char *path, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  RelAtomicFile *file;

  g_return_val_if_fail (region != NULL && path != NULL, FALSE);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "relevance-region");
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  if (name)
    {
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, name);
    }
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, region->is_mask ? "mask" : "rect");
  if (region->is_mask)
    {
      g_autofree char *row = g_new (char, region->mask_width + 1);
      json_builder_set_member_name (b, "mask_width");
      json_builder_add_int_value (b, region->mask_width);
      json_builder_set_member_name (b, "mask_height");
      json_builder_add_int_value (b, region->mask_height);
      json_builder_set_member_name (b, "rows");
      json_builder_begin_array (b);
      for (int y = 0; y < region->mask_height; y++)
        {
          for (int x = 0; x < region->mask_width; x++)
            row[x] = region->mask[(gsize) y * region->mask_width + x] ? '1' : '0';
          row[region->mask_width] = '\0';
          json_builder_add_string_value (b, row);
        }
      json_builder_end_array (b);
    }
  else
    {
      const char *keys[] = { "x", "y", "width", "height" };
      const int vals[] = { region->x, region->y, region->width, region->height };
      for (int i = 0; i < 4; i++)
        {
          json_builder_set_member_name (b, keys[i]);
          json_builder_add_int_value (b, vals[i]);
        }
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, !region->is_mask);
  text = json_generator_to_data (gen, &len);
  if ((file = rel_atomic_file_open (path, error)) == NULL)
    return FALSE;
  if (!rel_atomic_file_write (file, text, len, error) || !rel_atomic_file_write (file, "\n", 1, error))
    {
      rel_atomic_file_abort (file);
      return FALSE;
    }
  return rel_atomic_file_commit (file, error);
}

/* An integer member in [lo, hi]; FALSE with an error naming it otherwise. */
static gboolean
json_int_member (JsonObject *o, const char *key, gint64 lo, gint64 hi, const char *path, int *out, GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  double d;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n)
      || (json_node_get_value_type (n) != G_TYPE_INT64 && json_node_get_value_type (n) != G_TYPE_DOUBLE))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: “%s” must be a number", path, key);
      return FALSE;
    }
  d = json_node_get_value_type (n) == G_TYPE_INT64 ? (double) json_node_get_int (n) : json_node_get_double (n);
  if (!(d >= (double) lo && d <= (double) hi) || d != floor (d))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "%s: “%s” must be an integer from %" G_GINT64_FORMAT
                   " to %" G_GINT64_FORMAT, path, key, lo, hi);
      return FALSE;
    }
  *out = (int) d;
  return TRUE;
}

static const char *
json_string_member (JsonObject *o, const char *key)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

RelRegion *
rel_region_load_json (const char *path, char **name, GError **error)
{
  g_autofree char *text = NULL;
  g_autofree char *shown = rel_quote_path (path);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  JsonNode *root;
  JsonObject *o;
  const char *format, *kind;
  gsize len = 0;
  int version;

  if (name)
    *name = NULL;
  if (!rel_file_get_contents (path, "region file", REL_REGION_JSON_MAX_BYTES, &text, &len, error))
    return NULL;
  if (!json_parser_load_from_data (parser, text, (gssize) len, &local))
    {
      g_autofree char *why = rel_quote (local->message, -1);
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s is not a JSON file (%s)", shown, why);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: a region file holds one JSON object", shown);
      return NULL;
    }
  o = json_node_get_object (root);
  format = json_string_member (o, "format");
  if (g_strcmp0 (format, "relevance-region") != 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s is not a region file (no \"format\": \"relevance-region\")", shown);
      return NULL;
    }
  if (!json_int_member (o, "version", 1, G_MAXINT, shown, &version, error))
    return NULL;
  if (version != 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "%s: region file version %d is newer than this program reads (1)",
                   shown, version);
      return NULL;
    }
  if (json_object_has_member (o, "name") && json_string_member (o, "name") == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: “name” must be a string", shown);
      return NULL;
    }
  kind = json_string_member (o, "kind");
  if (g_strcmp0 (kind, "rect") == 0)
    {
      int x, y, w, h;
      RelRegion *r;
      if (!json_int_member (o, "x", 0, REL_REGION_MAX_SIDE, shown, &x, error)
          || !json_int_member (o, "y", 0, REL_REGION_MAX_SIDE, shown, &y, error)
          || !json_int_member (o, "width", 1, REL_REGION_MAX_SIDE, shown, &w, error)
          || !json_int_member (o, "height", 1, REL_REGION_MAX_SIDE, shown, &h, error))
        return NULL;
      if ((r = rel_region_new_rect (x, y, w, h, error)) != NULL && name)
        *name = g_strdup (json_string_member (o, "name"));
      return r;
    }
  if (g_strcmp0 (kind, "mask") == 0)
    {
      int w, h;
      JsonNode *rows_node = json_object_get_member (o, "rows");
      JsonArray *rows;
      g_autofree guint8 *mask = NULL;
      RelRegion *r;

      if (!json_int_member (o, "mask_width", 1, REL_REGION_MAX_SIDE, shown, &w, error)
          || !json_int_member (o, "mask_height", 1, REL_REGION_MAX_SIDE, shown, &h, error))
        return NULL;
      if (rows_node == NULL || !JSON_NODE_HOLDS_ARRAY (rows_node)
          || json_array_get_length (rows = json_node_get_array (rows_node)) != (guint) h)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: “rows” must be an array of %d strings (mask_height)",
                       shown, h);
          return NULL;
        }
      /* every row's length first, so the mask's allocation is bounded by
       * what the file really holds, not by the sizes it claims */
      for (int y = 0; y < h; y++)
        {
          JsonNode *rn = json_array_get_element (rows, y);
          const char *row = rn && JSON_NODE_HOLDS_VALUE (rn) && json_node_get_value_type (rn) == G_TYPE_STRING
                            ? json_node_get_string (rn) : NULL;
          if (row == NULL || strlen (row) != (size_t) w)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: row %d of the mask is not a string of %d characters",
                           shown, y, w);
              return NULL;
            }
        }
      mask = g_new (guint8, (gsize) w * h);
      for (int y = 0; y < h; y++)
        {
          const char *row = json_node_get_string (json_array_get_element (rows, y));
          for (int x = 0; x < w; x++)
            {
              if (row[x] != '0' && row[x] != '1')
                {
                  g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: row %d of the mask holds a character other than 0 and 1",
                               shown, y);
                  return NULL;
                }
              mask[(gsize) y * w + x] = row[x] == '1';
            }
        }
      if ((r = rel_region_new_mask (mask, w, h, error)) != NULL && name)
        *name = g_strdup (json_string_member (o, "name"));
      return r;
    }
  g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: “kind” must be \"rect\" or \"mask\"", shown);
  return NULL;
}

static gboolean
region_contains (const RelRegion *r, int x, int y)
{
  if (x < r->x || y < r->y || x >= r->x + r->width || y >= r->y + r->height)
    return FALSE;
  return !r->is_mask || r->mask[(gsize) y * r->mask_width + x];
}

guint8 *
rel_region_input_mask (const RelRegion *region, int image_width, int image_height,
                       const RelPreprocess *pp, int *n_inside, GError **error)
{
  g_autofree guint8 *out = NULL;
  int rw, rh, ox, oy, ow, oh, count = 0;

  if (region->is_mask && (region->mask_width != image_width || region->mask_height != image_height))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "the mask is %d×%d pixels but the image is %d×%d: a mask must have the image's size",
                   region->mask_width, region->mask_height, image_width, image_height);
      return NULL;
    }
  if (!region->is_mask && ((gint64) region->x + region->width > image_width
                           || (gint64) region->y + region->height > image_height))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "the region %d,%d,%d,%d reaches outside the %d×%d image",
                   region->x, region->y, region->width, region->height, image_width, image_height);
      return NULL;
    }
  rel_preprocess_geometry (pp, image_width, image_height, &rw, &rh, &ox, &oy, &ow, &oh);
  if (ow < 1 || oh < 1 || rw < 1 || rh < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "the model's input size is unknown");
      return NULL;
    }
  out = g_new0 (guint8, (gsize) ow * oh);
  for (int iy = 0; iy < oh; iy++)
    {
      int ry = iy + oy, sy;
      if (ry < 0 || ry >= rh)
        continue;   /* the crop's padding shows no image */
      sy = (int) floor ((ry + 0.5) * image_height / rh);
      sy = CLAMP (sy, 0, image_height - 1);
      for (int ix = 0; ix < ow; ix++)
        {
          int rx = ix + ox, sx;
          if (rx < 0 || rx >= rw)
            continue;
          sx = (int) floor ((rx + 0.5) * image_width / rw);
          sx = CLAMP (sx, 0, image_width - 1);
          if (region_contains (region, sx, sy))
            {
              out[(gsize) iy * ow + ix] = 1;
              count++;
            }
        }
    }
  if (count == 0)
    {
      g_autofree char *d = rel_region_describe (region);
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "the region %s covers no pixel of the model's %d×%d input (cropped away or too small)",
                   d, ow, oh);
      return NULL;
    }
  if (n_inside)
    *n_inside = count;
  return g_steal_pointer (&out);
}

/* ---- measures ---- */

static int
cmp_desc (const void *a, const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x < y) - (x > y);
}

RelRegionScore
rel_region_score (const float *relevance, int channels, int height, int width, const guint8 *mask)
{
  RelRegionScore s = { NAN, NAN, 0 };
  gsize n = (gsize) height * width;
  g_autofree float *map = g_new0 (float, n);
  g_autofree float *sorted = NULL;
  double pos = 0, pos_in = 0;
  int inside = 0, top_in = 0;
  float cut;

  for (int c = 0; c < channels; c++)
    for (gsize i = 0; i < n; i++)
      map[i] += relevance[(gsize) c * n + i];
  for (gsize i = 0; i < n; i++)
    {
      inside += mask[i] != 0;
      if (map[i] > 0)
        {
          pos += map[i];
          if (mask[i])
            pos_in += map[i];
        }
    }
  s.area = n ? (double) inside / n : 0;
  if (pos > 0)
    s.mass = pos_in / pos;
  if (inside == 0 || n == 0)
    return s;
  /* the |region| most relevant pixels: everything above the |region|-th
   * value, and of the pixels equal to it only as many as fit (ties are
   * counted as inside in proportion, so a flat map scores the area share) */
  sorted = g_memdup2 (map, sizeof (float) * n);
  qsort (sorted, n, sizeof (float), cmp_desc);
  cut = sorted[inside - 1];
  {
    int above = 0, above_in = 0, tie = 0, tie_in = 0;
    for (gsize i = 0; i < n; i++)
      {
        if (map[i] > cut)
          {
            above++;
            above_in += mask[i] != 0;
          }
        else if (map[i] == cut)
          {
            tie++;
            tie_in += mask[i] != 0;
          }
      }
    top_in = above_in;
    s.rank = (top_in + (tie ? (double) (inside - above) * tie_in / tie : 0)) / inside;
  }
  return s;
}

/* ---- counterfactuals ---- */

static const char *const fill_names[] = { "zero", "mean", "blur", "inpaint", NULL };

gboolean
rel_fill_parse (const char *text, RelFill *fill, GError **error)
{
  for (int i = 0; fill_names[i]; i++)
    if (g_strcmp0 (text, fill_names[i]) == 0)
      {
        *fill = (RelFill) i;
        return TRUE;
      }
  g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
               "unknown fill “%s” (zero, mean, blur or inpaint)", text ? text : "");
  return FALSE;
}

const char *
rel_fill_name (RelFill fill)
{
  return (unsigned) fill < 4 ? fill_names[fill] : "?";
}

/* Separable Gaussian blur of one plane into @out. */
static void
blur_plane (const float *in, float *out, int h, int w, double sigma)
{
  int radius = (int) ceil (3 * sigma);
  g_autofree float *k = g_new (float, 2 * radius + 1);
  g_autofree float *tmp = g_new (float, (gsize) h * w);
  double sum = 0;

  for (int i = -radius; i <= radius; i++)
    sum += k[i + radius] = (float) exp (-0.5 * i * i / (sigma * sigma));
  for (int i = 0; i <= 2 * radius; i++)
    k[i] /= (float) sum;
  /* edges replicate the border pixel */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        float s = 0;
        for (int i = -radius; i <= radius; i++)
          s += k[i + radius] * in[(gsize) y * w + CLAMP (x + i, 0, w - 1)];
        tmp[(gsize) y * w + x] = s;
      }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        float s = 0;
        for (int i = -radius; i <= radius; i++)
          s += k[i + radius] * tmp[(gsize) CLAMP (y + i, 0, h - 1) * w + x];
        out[(gsize) y * w + x] = s;
      }
}

/* Diffusion inpainting: the region's pixels relax to the mean of their four
 * neighbours (Gauss–Seidel with over-relaxation) until they change by less
 * than 1e-5 of the plane's range, from the mean of the region's border. */
static void
inpaint_plane (float *p, const guint8 *mask, int h, int w)
{
  double border = 0, lo = INFINITY, hi = -INFINITY;
  int nb = 0, iters = 20 * (h + w) + 100;
  const double omega = 1.8;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        gsize i = (gsize) y * w + x;
        if (mask[i])
          continue;
        lo = MIN (lo, p[i]);
        hi = MAX (hi, p[i]);
        if ((x > 0 && mask[i - 1]) || (x + 1 < w && mask[i + 1]) || (y > 0 && mask[i - w]) || (y + 1 < h && mask[i + w]))
          {
            border += p[i];
            nb++;
          }
      }
  if (nb == 0)
    return;   /* the mask covers everything: nothing to diffuse from (the caller filled it already) */
  for (gsize i = 0; i < (gsize) h * w; i++)
    if (mask[i])
      p[i] = (float) (border / nb);
  for (int it = 0; it < iters; it++)
    {
      double change = 0;
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            gsize i = (gsize) y * w + x;
            double s = 0;
            int m = 0;
            if (!mask[i])
              continue;
            if (x > 0) { s += p[i - 1]; m++; }
            if (x + 1 < w) { s += p[i + 1]; m++; }
            if (y > 0) { s += p[i - w]; m++; }
            if (y + 1 < h) { s += p[i + w]; m++; }
            double nv = p[i] + omega * (s / m - p[i]);
            change = MAX (change, fabs (nv - p[i]));
            p[i] = (float) nv;
          }
      if (change <= 1e-5 * MAX (hi - lo, 1e-6))
        break;
    }
}

gboolean
rel_region_fill (RelTensor *input, const guint8 *mask, RelFill fill, const RelPreprocess *pp, GError **error)
{
  int64_t n, c, h, w;
  gsize plane;
  int x0 = INT_MAX, x1 = -1, y0 = INT_MAX, y1 = -1;

  if (input->ndim != 4 || input->dtype != REL_DTYPE_FLOAT32)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "a region can be filled in an N×C×H×W image tensor only");
      return FALSE;
    }
  n = input->shape[0];
  c = input->shape[1];
  h = input->shape[2];
  w = input->shape[3];
  plane = (gsize) h * w;
  for (int64_t y = 0; y < h; y++)
    for (int64_t x = 0; x < w; x++)
      if (mask[y * w + x])
        {
          x0 = MIN (x0, (int) x);
          x1 = MAX (x1, (int) x);
          y0 = MIN (y0, (int) y);
          y1 = MAX (y1, (int) y);
        }
  if (x1 < 0)
    return TRUE;
  for (int64_t i = 0; i < n; i++)
    for (int64_t ch = 0; ch < c; ch++)
      {
        float *p = rel_tensor_f32 (input) + (i * c + ch) * plane;
        switch (fill)
          {
          case REL_FILL_ZERO:
            {
              float black = (0.f - pp->mean[MIN (ch, 3)]) / pp->std[MIN (ch, 3)];
              for (gsize k = 0; k < plane; k++)
                if (mask[k])
                  p[k] = black;
              break;
            }
          case REL_FILL_MEAN:
          case REL_FILL_INPAINT:
            {
              double s = 0;
              gsize m = 0;
              for (gsize k = 0; k < plane; k++)
                if (!mask[k])
                  {
                    s += p[k];
                    m++;
                  }
              for (gsize k = 0; k < plane; k++)
                if (mask[k])
                  p[k] = m ? (float) (s / m) : 0.f;
              if (fill == REL_FILL_INPAINT)
                inpaint_plane (p, mask, (int) h, (int) w);
              break;
            }
          case REL_FILL_BLUR:
            {
              g_autofree float *b = g_new (float, plane);
              double sigma = MAX (1.0, MIN (x1 - x0 + 1, y1 - y0 + 1) / 4.0);
              blur_plane (p, b, (int) h, (int) w, sigma);
              for (gsize k = 0; k < plane; k++)
                if (mask[k])
                  p[k] = b[k];
              break;
            }
          default:
            g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "unknown fill %d", (int) fill);
            return FALSE;
          }
      }
  return TRUE;
}

gboolean
rel_region_transplant (RelTensor *input, const RelTensor *source, const guint8 *mask, GError **error)
{
  return rel_region_transplant_at (input, source, mask, 0, 0, error);
}

static guint64
mix64 (guint64 z)
{
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void
rel_region_random_shift (const guint8 *mask, int height, int width, guint64 seed, int *dx, int *dy)
{
  int x0 = width, y0 = height, x1 = -1, y1 = -1;
  guint64 r = mix64 (seed + 0x9e3779b97f4a7c15ull);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      if (mask[(gsize) y * width + x])
        {
          x0 = MIN (x0, x);
          x1 = MAX (x1, x);
          y0 = MIN (y0, y);
          y1 = MAX (y1, y);
        }
  if (x1 < 0)
    {
      *dx = *dy = 0;
      return;
    }
  /* the box's left edge anywhere in [0, width − box width] */
  *dx = (int) (r % (guint64) (width - (x1 - x0))) - x0;
  *dy = (int) (mix64 (r) % (guint64) (height - (y1 - y0))) - y0;
}

gboolean
rel_region_transplant_at (RelTensor *input, const RelTensor *source, const guint8 *mask, int dx, int dy,
                          GError **error)
{
  gsize img;

  if (input->ndim != 4 || source->ndim != 4 || source->shape[0] != 1 || input->shape[1] != source->shape[1]
      || input->shape[2] != source->shape[2] || input->shape[3] != source->shape[3])
    {
      g_autofree char *a = rel_tensor_shape_string (input);
      g_autofree char *b = rel_tensor_shape_string (source);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "cannot paste a %s source into %s images", b, a);
      return FALSE;
    }
  img = (gsize) (source->numel);
  {
    int64_t h = input->shape[2], w = input->shape[3];
    gsize plane = (gsize) h * w;
    for (int64_t y = 0; y < h; y++)
      for (int64_t x = 0; x < w; x++)
        if (mask[y * w + x] && (y + dy < 0 || y + dy >= h || x + dx < 0 || x + dx >= w))
          {
            g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                         "the region moved by %d,%d leaves the %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT " image",
                         dx, dy, w, h);
            return FALSE;
          }
    for (int64_t i = 0; i < input->shape[0]; i++)
      {
        float *d = rel_tensor_f32 (input) + i * img;
        const float *s = rel_tensor_f32 (source);
        for (int64_t ch = 0; ch < input->shape[1]; ch++)
          for (int64_t y = 0; y < h; y++)
            for (int64_t x = 0; x < w; x++)
              if (mask[y * w + x])
                d[ch * plane + (y + dy) * w + x + dx] = s[ch * plane + y * w + x];
      }
  }
  return TRUE;
}

/* ---- suggestion ---- */

static int
uf_find (int *parent, int i)
{
  while (parent[i] != i)
    {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
  return i;
}

typedef struct {
  float v;
  int   i;
} Ranked;

static int
cmp_ranked (const void *a, const void *b)
{
  const Ranked *x = a, *y = b;
  if (x->v != y->v)
    return (x->v < y->v) - (x->v > y->v);
  return (x->i > y->i) - (x->i < y->i);
}

RelRegion *
rel_region_suggest (const float *map, int height, int width, double share, GError **error)
{
  gsize n = (gsize) height * width;
  g_autofree int *parent = NULL;
  g_autofree double *sum = NULL;
  g_autofree guint8 *added = NULL;
  g_autofree guint8 *mask = NULL;
  g_autofree Ranked *order = NULL;
  double total = 0;
  int m = 0, root = -1;

  if (height < 1 || width < 1 || !(share > 0 && share <= 1))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "cannot suggest a region: bad map size or share");
      return NULL;
    }
  order = g_new (Ranked, n);
  for (gsize i = 0; i < n; i++)
    if (map[i] > 0 && isfinite (map[i]))
      {
        total += map[i];
        order[m].v = map[i];
        order[m].i = (int) i;
        m++;
      }
  if (!(total > 0))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "cannot suggest a region: the heatmap has no positive relevance");
      return NULL;
    }
  qsort (order, m, sizeof (Ranked), cmp_ranked);
  parent = g_new (int, n);
  sum = g_new0 (double, n);
  added = g_new0 (guint8, n);
  for (int k = 0; k < m && root < 0; k++)
    {
      int i = order[k].i, y = i / width, x = i % width, r;
      parent[i] = i;
      sum[i] = order[k].v;
      added[i] = 1;
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
          {
            int yy = y + dy, xx = x + dx, j, a, b;
            if ((dx == 0 && dy == 0) || yy < 0 || xx < 0 || yy >= height || xx >= width)
              continue;
            j = yy * width + xx;
            if (!added[j])
              continue;
            a = uf_find (parent, i);
            b = uf_find (parent, j);
            if (a != b)
              {
                parent[b] = a;
                sum[a] += sum[b];
              }
          }
      r = uf_find (parent, i);
      if (sum[r] >= share * total * (1 - 1e-9))
        root = r;
    }
  g_assert (root >= 0);  /* all positive pixels together hold everything */
  mask = g_new0 (guint8, n);
  for (gsize i = 0; i < n; i++)
    if (added[i] && uf_find (parent, (int) i) == root)
      mask[i] = 1;
  return rel_region_new_mask (mask, width, height, error);
}

double
rel_mask_iou (const guint8 *a, const guint8 *b, int n)
{
  int inter = 0, uni = 0;
  for (int i = 0; i < n; i++)
    {
      inter += a[i] && b[i];
      uni += a[i] || b[i];
    }
  return uni ? (double) inter / uni : 0.0;
}
