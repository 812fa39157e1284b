/* test-npy-image.c — .npy reading/writing against hostile headers, image
 * decoding, the torchvision-style resize/crop/normalise, and where the
 * preprocessing settings come from (metadata, sidecar, defaults).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-image.h"
#include "rel-model.h"
#include "rel-npy.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <zlib.h>

static char *tmpdir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static const char *
fixtures (void)
{
  const char *f = g_getenv ("RELEVANCE_FIXTURES");
  return f ? f : "tests/fixtures";
}

/* ---- .npy ---- */

/* A .npy file with @header_dict padded as numpy pads it, then @data. */
static GBytes *
make_npy (int major, const char *header_dict, const void *data, gsize data_len)
{
  GByteArray *b = g_byte_array_new ();
  gsize prefix = major == 1 ? 10 : 12;
  gsize hl = strlen (header_dict) + 1;
  guint8 head[12] = { 0x93, 'N', 'U', 'M', 'P', 'Y', (guint8) major, 0 };
  g_autoptr(GString) h = g_string_new (header_dict);

  while ((prefix + hl) % 64 != 0)
    {
      g_string_append_c (h, ' ');
      hl++;
    }
  g_string_append_c (h, '\n');
  for (int k = 0; k < (major == 1 ? 2 : 4); k++)
    head[8 + k] = (guint8) ((hl >> (8 * k)) & 0xff);
  g_byte_array_append (b, head, (guint) prefix);
  g_byte_array_append (b, (const guint8 *) h->str, (guint) h->len);
  if (data_len)
    g_byte_array_append (b, data, (guint) data_len);
  return g_byte_array_free_to_bytes (b);
}

static RelTensor *
load_bytes (GBytes *bytes, GError **error)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (bytes, &len);
  return rel_npy_load_data (d, len, error);
}

static void
expect_npy_error (int major, const char *dict, const void *data, gsize len, int code, const char *needle)
{
  g_autoptr(GBytes) b = make_npy (major, dict, data, len);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) t = load_bytes (b, &error);

  g_assert_null (t);
  g_assert_error (error, REL_ERROR, code);
  if (needle && strstr (error->message, needle) == NULL)
    g_error ("error '%s' does not mention '%s'", error->message, needle);
}

static void
test_npy_round_trip (void)
{
  const int64_t shapes[][REL_MAX_DIMS] = {
    { 0 }, { 3 }, { 2, 3 }, { 1, 3, 4, 5 }, { 2, 1, 2, 1, 2, 1, 2, 3 }, { 4, 0, 2 },
  };
  const int ndims[] = { 0, 1, 2, 4, 8, 3 };

  for (gsize s = 0; s < G_N_ELEMENTS (ndims); s++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RelTensor) t = rel_tensor_new_f32 (ndims[s], shapes[s], &error);
      g_autoptr(RelTensor) back = NULL;
      g_autofree char *path = tmp_path ("round.npy");
      g_autofree char *contents = NULL;
      gsize len;

      g_assert_no_error (error);
      for (int64_t i = 0; i < t->numel; i++)
        rel_tensor_f32 (t)[i] = (float) (i * 0.37 - 5.5);
      g_assert_true (rel_npy_save (path, t, &error));
      g_assert_no_error (error);
      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      /* numpy's layout: version 1.0, header padded to a multiple of 64, data after it */
      g_assert_cmpmem (contents, 6, "\x93NUMPY", 6);
      g_assert_cmpint (contents[6], ==, 1);
      g_assert_cmpuint ((10 + ((guint8) contents[8] | (guint8) contents[9] << 8)) % 64, ==, 0);
      g_assert_cmpuint (len, ==, 10 + ((guint8) contents[8] | (guint8) contents[9] << 8) + t->numel * 4);

      back = rel_npy_load (path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (back->ndim, ==, t->ndim);
      for (int i = 0; i < t->ndim; i++)
        g_assert_cmpint (back->shape[i], ==, t->shape[i]);
      g_assert_cmpint (back->numel, ==, t->numel);
      if (t->numel)
        g_assert_cmpmem (back->data, back->numel * 4, t->data, t->numel * 4);
    }
}

static void
test_npy_header_variants (void)
{
  const float v[3] = { 1.5f, -2.0f, 3.25f };
  const double d[3] = { 1.5, -2.0, 1e-3 };
  /* v2 and v3 headers, double quotes, keys in another order, no trailing comma, (3,) */
  const char *dicts[] = {
    "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
    "{\"shape\": (3,), \"fortran_order\": False, \"descr\": \"<f4\"}",
    "{'descr':'<f4','fortran_order':False,'shape':(1, 3)}",
  };
  for (int major = 1; major <= 3; major++)
    for (gsize k = 0; k < G_N_ELEMENTS (dicts); k++)
      {
        g_autoptr(GBytes) b = make_npy (major, dicts[k], v, sizeof v);
        g_autoptr(GError) error = NULL;
        g_autoptr(RelTensor) t = load_bytes (b, &error);

        g_assert_no_error (error);
        g_assert_cmpint (t->numel, ==, 3);
        g_assert_cmpint (t->shape[t->ndim - 1], ==, 3);
        g_assert_cmpfloat (rel_tensor_f32 (t)[2], ==, 3.25f);
      }
  /* a scalar, () */
  {
    g_autoptr(GBytes) b = make_npy (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", v, 4);
    g_autoptr(GError) error = NULL;
    g_autoptr(RelTensor) t = load_bytes (b, &error);
    g_assert_no_error (error);
    g_assert_cmpint (t->ndim, ==, 0);
    g_assert_cmpint (t->numel, ==, 1);
    g_assert_cmpfloat (rel_tensor_f32 (t)[0], ==, 1.5f);
  }
  /* float64 is converted */
  {
    g_autoptr(GBytes) b = make_npy (1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", d, sizeof d);
    g_autoptr(GError) error = NULL;
    g_autoptr(RelTensor) t = load_bytes (b, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (rel_tensor_f32 (t)[1], ==, -2.0f);
    g_assert_cmpfloat (rel_tensor_f32 (t)[2], ==, (float) 1e-3);
  }
}

/* numpy's own files: float32 and float64 of the same logits agree to float32 rounding */
static void
test_npy_numpy_files (void)
{
  g_autofree char *p32 = g_build_filename (fixtures (), "tiny-cnn", "logits.npy", NULL);
  g_autofree char *p64 = g_build_filename (fixtures (), "tiny-cnn", "logits_f64.npy", NULL);
  g_autofree char *pin = g_build_filename (fixtures (), "tiny-cnn", "input.npy", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) a = rel_npy_load (p32, &error);
  g_autoptr(RelTensor) b = NULL;
  g_autoptr(RelTensor) in = NULL;

  g_assert_no_error (error);
  b = rel_npy_load (p64, &error);
  g_assert_no_error (error);
  g_assert_cmpint (a->ndim, ==, 2);
  g_assert_cmpint (a->shape[0], ==, 1);
  g_assert_cmpint (a->shape[1], ==, 10);
  g_assert_true (rel_tensor_same_shape (a, b));
  for (int i = 0; i < 10; i++)
    g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (a)[i], rel_tensor_f32 (b)[i], 1e-5);
  /* meta.json: the logits sum to -0.2505328 */
  g_assert_cmpfloat_with_epsilon (rel_tensor_sum (b), -0.2505328415246924, 1e-6);

  in = rel_npy_load (pin, &error);
  g_assert_no_error (error);
  g_assert_cmpint (in->ndim, ==, 4);
  g_assert_cmpint (in->shape[1], ==, 1);
  g_assert_cmpint (in->shape[2], ==, 28);
  for (int64_t i = 0; i < in->numel; i++)
    g_assert_true (rel_tensor_f32 (in)[i] >= 0 && rel_tensor_f32 (in)[i] <= 1);
}

static void
test_npy_hostile (void)
{
  const float v[6] = { 0 };
  g_autoptr(GError) error = NULL;

  /* every truncation of a valid file is a parse error */
  {
    g_autoptr(GBytes) b = make_npy (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", v, sizeof v);
    gsize len;
    const guint8 *d = g_bytes_get_data (b, &len);
    for (gsize cut = 0; cut < len; cut++)
      {
        g_autoptr(RelTensor) t = rel_npy_load_data (d, cut, &error);
        g_assert_null (t);
        g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
        g_clear_error (&error);
      }
    {
      g_autoptr(RelTensor) t = rel_npy_load_data (d, len, &error);
      g_assert_no_error (error);
      g_assert_cmpint (t->numel, ==, 6);
    }
    /* wrong magic */
    {
      g_autofree guint8 *copy = g_memdup2 (d, len);
      g_autoptr(RelTensor) t = NULL;
      copy[1] = 'X';
      t = rel_npy_load_data (copy, len, &error);
      g_assert_null (t);
      g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
      g_assert_nonnull (strstr (error->message, "magic"));
      g_clear_error (&error);
      /* a header length beyond the file */
      copy[1] = 'N';
      copy[8] = 0xff;
      copy[9] = 0x7f;
      g_clear_pointer (&t, rel_tensor_unref);
      t = rel_npy_load_data (copy, len, &error);
      g_assert_null (t);
      g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
      g_clear_error (&error);
      /* an unknown format version */
      copy[6] = 4;
      t = rel_npy_load_data (copy, len, &error);
      g_assert_null (t);
      g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
      g_clear_error (&error);
    }
  }
  /* v2 header length of 4 GiB − 1: refused before anything is read */
  {
    guint8 d[16] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0xff, 0xff, 0xff, 0xff, '{' };
    g_autoptr(RelTensor) t = rel_npy_load_data (d, sizeof d, &error);
    g_assert_null (t);
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
    g_clear_error (&error);
  }

  expect_npy_error (1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", v, sizeof v,
                    REL_ERROR_UNSUPPORTED, "Fortran");
  expect_npy_error (1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", v, sizeof v,
                    REL_ERROR_UNSUPPORTED, "<i4");
  expect_npy_error (1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", v, sizeof v,
                    REL_ERROR_UNSUPPORTED, ">f4");
  expect_npy_error (1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", v, 8,
                    REL_ERROR_UNSUPPORTED, "structured");
  /* the data size must match exactly: one float short, one too many */
  expect_npy_error (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", v, sizeof v - 4,
                    REL_ERROR_PARSE, "bytes");
  expect_npy_error (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", v, sizeof v,
                    REL_ERROR_PARSE, "bytes");
  /* absurd shapes are refused before allocating */
  expect_npy_error (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", v, sizeof v,
                    REL_ERROR_TOO_LARGE, NULL);
  expect_npy_error (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }", v, sizeof v,
                    REL_ERROR_TOO_LARGE, NULL);
  expect_npy_error (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", v, 4,
                    REL_ERROR_UNSUPPORTED, NULL);
  /* malformed dicts */
  expect_npy_error (1, "{'descr': '<f4', 'shape': (2, 3), }", v, sizeof v, REL_ERROR_PARSE, "fortran_order");
  expect_npy_error (1, "{'descr': '<f4', 'fortran_order': False}", v, sizeof v, REL_ERROR_PARSE, "shape");
  expect_npy_error (1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", v, sizeof v,
                    REL_ERROR_PARSE, "descr");
  expect_npy_error (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-6,), }", v, sizeof v, REL_ERROR_PARSE, NULL);
  expect_npy_error (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", v, sizeof v, REL_ERROR_PARSE, NULL);
  expect_npy_error (1, "{'descr': '<f4', 'fortran_order': False, 'shape': 6, }", v, sizeof v, REL_ERROR_PARSE, NULL);
  expect_npy_error (1, "{'descr': '<f4', 'fortran_order': maybe, 'shape': (6,), }", v, sizeof v, REL_ERROR_PARSE, NULL);
  expect_npy_error (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", v, sizeof v,
                    REL_ERROR_PARSE, "'x'");
  expect_npy_error (1, "{'descr': '<f4, 'fortran_order': False, 'shape': (6,)}", v, sizeof v, REL_ERROR_PARSE, NULL);
  expect_npy_error (1, "['descr', '<f4']", v, sizeof v, REL_ERROR_PARSE, NULL);
  expect_npy_error (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,)} trailing", v, sizeof v,
                    REL_ERROR_PARSE, NULL);

  /* a missing file */
  {
    g_autofree char *p = tmp_path ("absent.npy");
    g_autoptr(RelTensor) t = rel_npy_load (p, &error);
    g_assert_null (t);
    g_assert_error (error, REL_ERROR, REL_ERROR_MISSING);
    g_assert_nonnull (strstr (error->message, "absent.npy"));
    g_clear_error (&error);
  }
}

/* ---- images ---- */

/* Writes a W×H image whose pixel (x, y), channel c is f(x, y, c). */
static char *
write_image (const char *name, const char *type, int w, int h, gboolean alpha,
             guint8 (*f) (int x, int y, int c))
{
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, alpha, 8, w, h);
  g_autoptr(GError) error = NULL;
  char *path = tmp_path (name);
  int n = alpha ? 4 : 3, stride = gdk_pixbuf_get_rowstride (pb);
  guint8 *px = gdk_pixbuf_get_pixels (pb);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < n; c++)
        px[y * stride + x * n + c] = f (x, y, c);
  gdk_pixbuf_save (pb, path, type, &error, NULL);
  g_assert_no_error (error);
  return path;
}

static guint8 pattern (int x, int y, int c) { return (guint8) (x * 20 + y * 3 + c * 70); }
static guint8 flat_color (int x, int y, int c) { return c == 0 ? 200 : c == 1 ? 100 : 30; }
static guint8 half_transparent (int x, int y, int c) { return c == 3 ? (x % 2 ? 0 : 128) : (guint8) (x * 50 + c); }

static void
test_image_decode (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *png = write_image ("p.png", "png", 5, 4, FALSE, pattern);
  g_autofree char *bmp = write_image ("p.bmp", "bmp", 5, 4, FALSE, pattern);
  g_autofree char *jpg = write_image ("p.jpg", "jpeg", 16, 16, FALSE, flat_color);
  g_autofree char *rgba = write_image ("a.png", "png", 4, 2, TRUE, half_transparent);

  /* lossless formats: exact values, CHW planes */
  for (int k = 0; k < 2; k++)
    {
      g_autoptr(RelImage) im = rel_image_load (k ? bmp : png, &error);
      g_assert_no_error (error);
      g_assert_cmpint (im->channels, ==, 3);
      g_assert_cmpint (im->width, ==, 5);
      g_assert_cmpint (im->height, ==, 4);
      for (int c = 0; c < 3; c++)
        for (int y = 0; y < 4; y++)
          for (int x = 0; x < 5; x++)
            g_assert_cmpfloat (im->data[(c * 4 + y) * 5 + x], ==, pattern (x, y, c));
    }
  /* JPEG: a flat colour survives within a few levels */
  {
    g_autoptr(RelImage) im = rel_image_load (jpg, &error);
    g_assert_no_error (error);
    g_assert_cmpint (im->channels, ==, 3);
    for (int c = 0; c < 3; c++)
      for (int i = 0; i < 256; i++)
        g_assert_cmpfloat (fabsf (im->data[c * 256 + i] - flat_color (0, 0, c)), <=, 4);
  }
  /* alpha is dropped, not composited (PIL's convert("RGB")) */
  {
    g_autoptr(RelImage) im = rel_image_load (rgba, &error);
    g_assert_no_error (error);
    g_assert_cmpint (im->channels, ==, 3);
    for (int c = 0; c < 3; c++)
      for (int x = 0; x < 4; x++)
        g_assert_cmpfloat (im->data[(c * 2 + 1) * 4 + x], ==, half_transparent (x, 1, c));
  }
}

static void
png_chunk (GByteArray *b, const char *type, const guint8 *data, guint len)
{
  guint8 be[4] = { (guint8) (len >> 24), (guint8) (len >> 16), (guint8) (len >> 8), (guint8) len };
  uLong crc = crc32 (0, (const Bytef *) type, 4);

  if (len)
    crc = crc32 (crc, data, len);
  g_byte_array_append (b, be, 4);
  g_byte_array_append (b, (const guint8 *) type, 4);
  if (len)
    g_byte_array_append (b, data, len);
  be[0] = (guint8) (crc >> 24);
  be[1] = (guint8) (crc >> 16);
  be[2] = (guint8) (crc >> 8);
  be[3] = (guint8) crc;
  g_byte_array_append (b, be, 4);
}

static void
test_image_broken (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *png = write_image ("b.png", "png", 32, 32, FALSE, pattern);
  g_autofree char *jpg = write_image ("b.jpg", "jpeg", 32, 32, FALSE, pattern);
  g_autofree char *bmp = write_image ("b.bmp", "bmp", 32, 32, FALSE, pattern);
  const char *files[] = { png, jpg, bmp };

  /* cut at two thirds, and by the last two bytes only (JPEG's end marker,
   * BMP's last row, PNG's IEND): gdk-pixbuf alone would accept some of these */
  for (gsize k = 0; k < 2 * G_N_ELEMENTS (files); k++)
    {
      const char *file = files[k / 2];
      g_autofree char *contents = NULL;
      g_autofree char *cut = g_strdup_printf ("%s.cut%s", file, strrchr (file, '.'));
      gsize len;
      g_autoptr(RelImage) im = NULL;

      g_assert_true (g_file_get_contents (file, &contents, &len, NULL));
      g_assert_true (g_file_set_contents (cut, contents, (gssize) (k % 2 ? len - 2 : len * 2 / 3), NULL));
      im = rel_image_load (cut, &error);
      if (im != NULL)
        g_error ("a truncated file '%s' decoded", cut);
      g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
      g_assert_nonnull (strstr (error->message, cut));
      g_clear_error (&error);
    }
  /* text named .png */
  {
    g_autofree char *p = tmp_path ("text.png");
    g_autoptr(RelImage) im = NULL;
    g_assert_true (g_file_set_contents (p, "this is not an image\n", -1, NULL));
    im = rel_image_load (p, &error);
    g_assert_null (im);
    g_assert_error (error, REL_ERROR, REL_ERROR_PARSE);
    g_clear_error (&error);
  }
  /* missing */
  {
    g_autofree char *p = tmp_path ("nothing.png");
    g_autoptr(RelImage) im = rel_image_load (p, &error);
    g_assert_null (im);
    g_assert_error (error, REL_ERROR, REL_ERROR_MISSING);
    g_clear_error (&error);
  }
  /* a PNG whose header claims 100000×100000: refused before decoding */
  {
    static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    const guint8 ihdr[13] = { 0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 2, 0, 0, 0 };
    const guint8 idat[] = { 0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01 };
    g_autofree char *p = tmp_path ("huge.png");
    g_autoptr(GByteArray) b = g_byte_array_new ();
    g_autoptr(RelImage) im = NULL;

    g_byte_array_append (b, sig, 8);
    png_chunk (b, "IHDR", ihdr, sizeof ihdr);
    png_chunk (b, "IDAT", idat, sizeof idat);
    png_chunk (b, "IEND", NULL, 0);
    g_assert_true (g_file_set_contents (p, (const char *) b->data, b->len, NULL));
    im = rel_image_load (p, &error);
    g_assert_null (im);
    g_assert_error (error, REL_ERROR, REL_ERROR_TOO_LARGE);
    g_assert_nonnull (strstr (error->message, "100000"));
    g_clear_error (&error);
  }
}

static RelImage *
image_from (const float *values, int channels, int w, int h)
{
  RelImage *im = g_new0 (RelImage, 1);
  im->channels = channels;
  im->width = w;
  im->height = h;
  im->data = g_memdup2 (values, sizeof (float) * channels * w * h);
  return im;
}

static RelPreprocess
plain_pp (int channels, int h, int w, int resize)
{
  RelPreprocess pp = { 0 };
  pp.channels = channels;
  pp.height = h;
  pp.width = w;
  pp.resize = resize;
  pp.scale = 1;
  for (int c = 0; c < 4; c++)
    pp.std[c] = 1;
  return pp;
}

static void
assert_tensor (const RelTensor *t, int c, int h, int w, const float *expect, double tol)
{
  g_assert_cmpint (t->ndim, ==, 4);
  g_assert_cmpint (t->shape[0], ==, 1);
  g_assert_cmpint (t->shape[1], ==, c);
  g_assert_cmpint (t->shape[2], ==, h);
  g_assert_cmpint (t->shape[3], ==, w);
  for (int i = 0; i < c * h * w; i++)
    if (fabs (rel_tensor_f32 (t)[i] - expect[i]) > tol)
      g_error ("element %d: %g, expected %g", i, rel_tensor_f32 (t)[i], expect[i]);
}

/* Hand-computed cases of PIL's bilinear filter (support widened by the
 * downscale factor) and torchvision's Resize/CenterCrop geometry. */
static void
test_image_geometry (void)
{
  g_autoptr(GError) error = NULL;

  /* 4 → 2 downscale, scale 2: taps 3/7, 3/7, 1/7 and 1/7, 3/7, 3/7 */
  {
    const float row[] = { 0, 10, 20, 30 };
    float src[16];
    const float expect[] = { 50.f / 7, 160.f / 7, 50.f / 7, 160.f / 7 };
    for (int i = 0; i < 16; i++)
      src[i] = row[i % 4];
    g_autoptr(RelImage) im = image_from (src, 1, 4, 4);
    RelPreprocess pp = plain_pp (1, 2, 2, 0);
    g_autoptr(RelTensor) t = rel_image_to_tensor (im, &pp, &error);
    g_assert_no_error (error);
    assert_tensor (t, 1, 2, 2, expect, 1e-4);
  }
  /* 2 → 4 upscale: triangle of support 1: 0, 25, 75, 100 */
  {
    const float src[] = { 0, 100, 0, 100 };
    const float expect[] = { 0, 25, 75, 100, 0, 25, 75, 100, 0, 25, 75, 100, 0, 25, 75, 100 };
    g_autoptr(RelImage) im = image_from (src, 1, 2, 2);
    RelPreprocess pp = plain_pp (1, 4, 4, 0);
    g_autoptr(RelTensor) t = rel_image_to_tensor (im, &pp, &error);
    g_assert_no_error (error);
    assert_tensor (t, 1, 4, 4, expect, 1e-5);
  }
  /* shorter side already at `resize`: no resampling, crop offsets round half
   * to even: width 5 → 2 starts at round(1.5) = 2, width 4 → 2 at 1 */
  {
    float src[10];
    const float expect5[] = { 2, 3, 12, 13 };
    const float expect4[] = { 1, 2, 11, 12 };
    for (int y = 0; y < 2; y++)
      for (int x = 0; x < 5; x++)
        src[y * 5 + x] = (float) (10 * y + x);
    {
      g_autoptr(RelImage) im = image_from (src, 1, 5, 2);
      RelPreprocess pp = plain_pp (1, 2, 2, 2);
      g_autoptr(RelTensor) t = rel_image_to_tensor (im, &pp, &error);
      g_assert_no_error (error);
      assert_tensor (t, 1, 2, 2, expect5, 1e-6);
    }
    {
      float src4[8];
      for (int y = 0; y < 2; y++)
        for (int x = 0; x < 4; x++)
          src4[y * 4 + x] = (float) (10 * y + x);
      g_autoptr(RelImage) im = image_from (src4, 1, 4, 2);
      RelPreprocess pp = plain_pp (1, 2, 2, 2);
      g_autoptr(RelTensor) t = rel_image_to_tensor (im, &pp, &error);
      g_assert_no_error (error);
      assert_tensor (t, 1, 2, 2, expect4, 1e-6);
    }
  }
  /* 3×5 (w×h), resize 2: 2×int(2·5/3) = 2×3, then crop 2×2 at row round(0.5) = 0.
   * Values from PIL's float resize (mode "F", BILINEAR) of 10y + 7x. */
  {
    float src[15];
    const float expect[] = { 6.910714f, 15.660714f, 22.625f, 31.375f };
    for (int y = 0; y < 5; y++)
      for (int x = 0; x < 3; x++)
        src[y * 3 + x] = (float) (10 * y + 7 * x);
    g_autoptr(RelImage) im = image_from (src, 1, 3, 5);
    RelPreprocess pp = plain_pp (1, 2, 2, 2);
    g_autoptr(RelTensor) t = rel_image_to_tensor (im, &pp, &error);
    g_assert_no_error (error);
    assert_tensor (t, 1, 2, 2, expect, 1e-4);
  }
  /* a crop larger than the resized image pads with zeros (before normalisation) */
  {
    const float src[] = { 5, 6, 7, 8 };
    const float expect[] = { -1, -1, -1, -1,  -1, 4, 5, -1,  -1, 6, 7, -1,  -1, -1, -1, -1 };
    g_autoptr(RelImage) im = image_from (src, 1, 2, 2);
    RelPreprocess pp = plain_pp (1, 4, 4, 2);
    g_autoptr(RelTensor) t = NULL;
    pp.mean[0] = 1;
    t = rel_image_to_tensor (im, &pp, &error);
    g_assert_no_error (error);
    assert_tensor (t, 1, 4, 4, expect, 1e-6);
  }
}

static void
test_image_channels (void)
{
  g_autoptr(GError) error = NULL;
  /* one pixel per channel plane: R=200, G=100, B=50 at (0,0); R=0,G=255,B=0 at (1,0) */
  const float rgb[] = { 200, 0,  100, 255,  50, 0 };

  /* RGB → grey with BT.601 weights, then scale 1/255, mean 0.5, std 0.25 */
  {
    g_autoptr(RelImage) im = image_from (rgb, 3, 2, 1);
    RelPreprocess pp = plain_pp (1, 1, 2, 0);
    g_autoptr(RelTensor) t = NULL;
    float l0 = 0.299f * 200 + 0.587f * 100 + 0.114f * 50, l1 = 0.587f * 255;
    float expect[2] = { (l0 / 255 - 0.5f) / 0.25f, (l1 / 255 - 0.5f) / 0.25f };
    pp.scale = 1.0f / 255;
    pp.mean[0] = 0.5f;
    pp.std[0] = 0.25f;
    t = rel_image_to_tensor (im, &pp, &error);
    g_assert_no_error (error);
    assert_tensor (t, 1, 1, 2, expect, 1e-5);
  }
  /* RGB kept, per-channel mean/std, then BGR order */
  {
    g_autoptr(RelImage) im = image_from (rgb, 3, 2, 1);
    RelPreprocess pp = plain_pp (3, 1, 2, 0);
    g_autoptr(RelTensor) t = NULL;
    g_autoptr(RelTensor) tb = NULL;
    const float mean[3] = { 0.485f, 0.456f, 0.406f }, std[3] = { 0.229f, 0.224f, 0.225f };
    float expect[6], expect_bgr[6];
    pp.scale = 1.0f / 255;
    for (int c = 0; c < 3; c++)
      {
        pp.mean[c] = mean[c];
        pp.std[c] = std[c];
        for (int x = 0; x < 2; x++)
          {
            expect[c * 2 + x] = (rgb[c * 2 + x] / 255 - mean[c]) / std[c];
            expect_bgr[c * 2 + x] = (rgb[(2 - c) * 2 + x] / 255 - mean[c]) / std[c];
          }
      }
    t = rel_image_to_tensor (im, &pp, &error);
    g_assert_no_error (error);
    assert_tensor (t, 3, 1, 2, expect, 1e-5);
    pp.bgr = TRUE;
    tb = rel_image_to_tensor (im, &pp, &error);
    g_assert_no_error (error);
    assert_tensor (tb, 3, 1, 2, expect_bgr, 1e-5);
  }
  /* grey → RGB replicates; from 8-bit grey+alpha pixels */
  {
    const guint8 la[] = { 10, 255, 20, 0, 0, 0,   30, 9, 40, 9, 0, 0 };   /* rowstride 6 */
    g_autoptr(RelImage) im = rel_image_new_from_rgb8 (la, 2, 2, 6, 2, &error);
    RelPreprocess pp = plain_pp (3, 2, 2, 0);
    g_autoptr(RelTensor) t = NULL;
    const float expect[] = { 10, 20, 30, 40,  10, 20, 30, 40,  10, 20, 30, 40 };
    g_assert_no_error (error);
    g_assert_cmpint (im->channels, ==, 1);
    t = rel_image_to_tensor (im, &pp, &error);
    g_assert_no_error (error);
    assert_tensor (t, 3, 2, 2, expect, 0);
  }
  /* a 4-channel model cannot take an image */
  {
    g_autoptr(RelImage) im = image_from (rgb, 3, 2, 1);
    RelPreprocess pp = plain_pp (4, 1, 2, 0);
    g_autoptr(RelTensor) t = rel_image_to_tensor (im, &pp, &error);
    g_assert_null (t);
    g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
    g_clear_error (&error);
  }
  /* bad strides and sizes */
  {
    const guint8 px[12] = { 0 };
    g_autoptr(RelImage) a = rel_image_new_from_rgb8 (px, 2, 2, 5, 3, &error);
    g_assert_null (a);
    g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    {
      g_autoptr(RelImage) b = rel_image_new_from_rgb8 (px, REL_IMAGE_MAX_SIDE + 1, 1, (REL_IMAGE_MAX_SIDE + 1) * 3, 3, &error);
      g_assert_null (b);
      g_assert_error (error, REL_ERROR, REL_ERROR_TOO_LARGE);
      g_clear_error (&error);
    }
  }
}

/* ---- models: inputs and preprocessing resolution ---- */

/* A copy of tiny-cnn (input 1×28×28, 10 classes) in the temp dir, with
 * optional metadata_props appended to the ModelProto (field 14: a protobuf
 * message may carry its fields in any order). */
static char *
copy_model (const char *name, const char *const *metadata)
{
  g_autofree char *src = g_build_filename (fixtures (), "tiny-cnn", "model.onnx", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GByteArray) b = g_byte_array_new ();
  char *dst = tmp_path (name);
  gsize len;

  g_assert_true (g_file_get_contents (src, &contents, &len, NULL));
  g_byte_array_append (b, (guint8 *) contents, (guint) len);
  for (int i = 0; metadata && metadata[i]; i += 2)
    {
      gsize kl = strlen (metadata[i]), vl = strlen (metadata[i + 1]);
      gsize entry = 2 + kl + 2 + vl;
      guint8 hdr[2];
      g_assert_cmpuint (kl, <, 128);
      g_assert_cmpuint (vl, <, 128);
      g_assert_cmpuint (entry, <, 128);
      hdr[0] = 0x72;   /* field 14, length-delimited */
      hdr[1] = (guint8) entry;
      g_byte_array_append (b, hdr, 2);
      hdr[0] = 0x0a;   /* key */
      hdr[1] = (guint8) kl;
      g_byte_array_append (b, hdr, 2);
      g_byte_array_append (b, (const guint8 *) metadata[i], (guint) kl);
      hdr[0] = 0x12;   /* value */
      hdr[1] = (guint8) vl;
      g_byte_array_append (b, hdr, 2);
      g_byte_array_append (b, (const guint8 *) metadata[i + 1], (guint) vl);
    }
  g_assert_true (g_file_set_contents (dst, (const char *) b->data, b->len, NULL));
  return dst;
}

static void
write_text (const char *path, const char *text)
{
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
test_preprocess_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = copy_model ("defaults.onnx", NULL);
  g_autoptr(RelModel) model = rel_model_load (path, &error);
  const RelPreprocess *pp;

  g_assert_no_error (error);
  pp = &model->preprocess;
  g_assert_cmpint (pp->channels, ==, 1);
  g_assert_cmpint (pp->height, ==, 28);
  g_assert_cmpint (pp->width, ==, 28);
  g_assert_cmpint (pp->resize, ==, 0);
  g_assert_cmpfloat_with_epsilon (pp->scale, 1.0 / 255, 1e-9);
  g_assert_cmpfloat (pp->mean[0], ==, 0);
  g_assert_cmpfloat (pp->std[0], ==, 1);
  g_assert_cmpfloat_with_epsilon (pp->range_low, 0, 1e-7);
  g_assert_cmpfloat_with_epsilon (pp->range_high, 1, 1e-6);
  g_assert_false (pp->bgr);
  g_assert_null (model->labels);
  g_assert_null (rel_model_label (model, 0));

  /* overrides: derived range follows mean/std, an explicit one stays */
  g_assert_true (rel_preprocess_set (model, "mean", "0.5", &error));
  g_assert_true (rel_preprocess_set (model, "relevance.std", "0.25", &error));
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (model->preprocess.range_low, -2, 1e-5);
  g_assert_cmpfloat_with_epsilon (model->preprocess.range_high, 2, 1e-5);
  g_assert_true (rel_preprocess_set (model, "input_range", "-1, 3", &error));
  g_assert_true (rel_preprocess_set (model, "std", "0.5", &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (model->preprocess.range_low, ==, -1);
  g_assert_cmpfloat (model->preprocess.range_high, ==, 3);
  g_assert_true (rel_preprocess_set (model, "resize", "32", &error));
  g_assert_cmpint (model->preprocess.resize, ==, 32);
  g_assert_true (rel_preprocess_set (model, "channel_order", "BGR", &error));
  g_assert_true (model->preprocess.bgr);
  g_assert_true (rel_preprocess_set (model, "labels", "zero,one,two,three,four,five,six,seven,eight,nine", &error));
  g_assert_no_error (error);
  g_assert_cmpint (model->n_labels, ==, 10);
  g_assert_cmpstr (rel_model_label (model, 7), ==, "seven");

  /* invalid values name the key and change nothing */
  {
    const char *bad[][2] = {
      { "mean", "abc" }, { "mean", "0.1,0.2,0.3" }, { "std", "0" }, { "std", "-1" }, { "scale", "nan" },
      { "resize", "-1" }, { "resize", "99999" }, { "resize", "3.5" }, { "channel_order", "rbg" },
      { "input_range", "1,0" }, { "input_range", "1" }, { "labels", "a,b,c" },
    };
    RelPreprocess before = model->preprocess;
    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_assert_false (rel_preprocess_set (model, bad[i][0], bad[i][1], &error));
        g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
        if (strstr (error->message, bad[i][0]) == NULL)
          g_error ("error '%s' does not name the key %s", error->message, bad[i][0]);
        g_clear_error (&error);
      }
    g_assert_cmpmem (&before, sizeof before, &model->preprocess, sizeof before);
    g_assert_cmpint (model->n_labels, ==, 10);
    g_assert_false (rel_preprocess_set (model, "colour", "red", &error));
    g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "colour"));
    g_clear_error (&error);
  }
}

static void
test_preprocess_sidecar_and_metadata (void)
{
  g_autoptr(GError) error = NULL;
  const char *meta[] = { "relevance.mean", "0.1", "relevance.labels", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n", NULL };
  g_autofree char *plain = copy_model ("side.onnx", NULL);
  g_autofree char *with_meta = copy_model ("meta.onnx", meta);
  g_autofree char *labels = tmp_path ("classes.txt");
  const char *sidecar_text =
    "# comment\n[other]\nx=1\n[relevance]\nmean=0.5\nstd=0.25\nresize=32\nchannel_order=bgr\n"
    "labels_file=classes.txt\n";

  write_text (labels, "zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine, with comma\n");
  {
    g_autofree char *side = g_strconcat (plain, ".ini", NULL);
    g_autoptr(RelModel) model = NULL;
    write_text (side, sidecar_text);
    model = rel_model_load (plain, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (model->preprocess.mean[0], ==, 0.5f);
    g_assert_cmpfloat (model->preprocess.std[0], ==, 0.25f);
    g_assert_cmpint (model->preprocess.resize, ==, 32);
    g_assert_true (model->preprocess.bgr);
    g_assert_cmpfloat_with_epsilon (model->preprocess.range_low, -2, 1e-5);
    g_assert_cmpfloat_with_epsilon (model->preprocess.range_high, 2, 1e-5);
    g_assert_cmpint (model->n_labels, ==, 10);
    g_assert_cmpstr (rel_model_label (model, 9), ==, "nine, with comma");
  }
  /* metadata wins per key; the sidecar fills the rest */
  {
    g_autofree char *side = g_strconcat (with_meta, ".ini", NULL);
    g_autoptr(RelModel) model = NULL;
    write_text (side, sidecar_text);
    model = rel_model_load (with_meta, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (g_hash_table_lookup (model->metadata, "relevance.mean"), ==, "0.1");
    g_assert_cmpfloat (model->preprocess.mean[0], ==, 0.1f);
    g_assert_cmpfloat (model->preprocess.std[0], ==, 0.25f);
    g_assert_cmpint (model->preprocess.resize, ==, 32);
    g_assert_cmpfloat_with_epsilon (model->preprocess.range_low, -0.4, 1e-5);
    g_assert_cmpfloat_with_epsilon (model->preprocess.range_high, 3.6, 1e-5);
    /* the metadata's labels (one slot with the sidecar's labels_file) */
    g_assert_cmpint (model->n_labels, ==, 10);
    g_assert_cmpstr (rel_model_label (model, 0), ==, "a");
    g_assert_cmpstr (rel_model_label (model, 9), ==, "j");

    /* without the sidecar only the metadata applies */
    g_assert_cmpint (g_unlink (side), ==, 0);
    g_assert_true (rel_model_resolve_preprocess (model, &error));
    g_assert_no_error (error);
    g_assert_cmpfloat (model->preprocess.mean[0], ==, 0.1f);
    g_assert_cmpfloat (model->preprocess.std[0], ==, 1);
    g_assert_cmpint (model->preprocess.resize, ==, 0);
    g_assert_false (model->preprocess.bgr);
  }
}

static void
test_preprocess_errors (void)
{
  g_autofree char *path = copy_model ("bad.onnx", NULL);
  g_autofree char *side = g_strconcat (path, ".ini", NULL);
  const struct { const char *text; const char *needle; } cases[] = {
    { "[relevance]\nmean=abc\n", "mean" },
    { "[relevance]\nstd=0.1,0.2\n", "std" },
    { "[relevance]\nscale=0\n", "scale" },
    { "[relevance]\nresize=big\n", "resize" },
    { "[relevance]\nchannel_order=grb\n", "channel_order" },
    { "[relevance]\ninput_range=2,1\n", "input_range" },
    { "[relevance]\nlabels=a,b,c\n", "labels" },
    { "[relevance]\nlabels_file=missing.txt\n", "missing.txt" },
    { "[relevance]\nlabels=a\nlabels_file=x.txt\n", "labels_file" },
    { "[relevance]\nmaen=0.5\n", "maen" },
    { "[other]\nmean=0.5\n", "[relevance]" },
    { "this is not a key file\n", "bad.onnx.ini" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RelModel) model = NULL;
      write_text (side, cases[i].text);
      model = rel_model_load (path, &error);
      g_assert_null (model);
      g_assert_nonnull (error);
      if (strstr (error->message, cases[i].needle) == NULL)
        g_error ("case %" G_GSIZE_FORMAT ": error '%s' does not mention '%s'", i, error->message, cases[i].needle);
    }
  g_unlink (side);
  /* an unknown key in the metadata */
  {
    const char *meta[] = { "relevance.colour", "red", NULL };
    g_autofree char *p = copy_model ("badmeta.onnx", meta);
    g_autoptr(GError) error = NULL;
    g_autoptr(RelModel) model = rel_model_load (p, &error);
    g_assert_null (model);
    g_assert_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "relevance.colour"));
  }
}

static void
test_input_load (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = copy_model ("inputs.onnx", NULL);
  g_autoptr(RelModel) model = rel_model_load (path, &error);
  g_autofree char *ref = g_build_filename (fixtures (), "tiny-cnn", "input.npy", NULL);
  g_autoptr(RelTensor) x = NULL;

  g_assert_no_error (error);
  x = rel_npy_load (ref, &error);
  g_assert_no_error (error);

  /* C×H×W gets a batch dimension; N×C×H×W is kept */
  {
    int64_t chw[3] = { 1, 28, 28 }, nchw[4] = { 3, 1, 28, 28 };
    g_autoptr(RelTensor) a = rel_tensor_view (x, 3, chw, &error);
    g_autoptr(RelTensor) b = rel_tensor_new_f32 (4, nchw, &error);
    g_autofree char *pa = tmp_path ("chw.npy");
    g_autofree char *pb = tmp_path ("nchw.npy");
    g_autoptr(RelTensor) la = NULL;
    g_autoptr(RelTensor) lb = NULL;

    g_assert_true (rel_npy_save (pa, a, &error));
    g_assert_true (rel_npy_save (pb, b, &error));
    la = rel_input_load (model, pa, &error);
    g_assert_no_error (error);
    g_assert_cmpint (la->ndim, ==, 4);
    g_assert_cmpint (la->shape[0], ==, 1);
    g_assert_cmpmem (la->data, 784 * 4, x->data, 784 * 4);
    lb = rel_input_load (model, pb, &error);
    g_assert_no_error (error);
    g_assert_cmpint (lb->shape[0], ==, 3);
  }
  /* a shape the model cannot take */
  {
    int64_t bad[4] = { 1, 3, 28, 28 };
    g_autoptr(RelTensor) b = rel_tensor_new_f32 (4, bad, &error);
    g_autofree char *p = tmp_path ("wrong.npy");
    g_autoptr(RelTensor) l = NULL;
    g_assert_true (rel_npy_save (p, b, &error));
    l = rel_input_load (model, p, &error);
    g_assert_null (l);
    g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
    g_assert_nonnull (strstr (error->message, "1×3×28×28"));
    g_clear_error (&error);
  }
  /* an 8-bit grey PNG of the same pixels gives the same tensor as the .npy (values k/255) */
  {
    g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 28, 28);
    g_autofree char *p = tmp_path ("digit.png");
    g_autoptr(RelTensor) t = NULL;
    guint8 *px = gdk_pixbuf_get_pixels (pb);
    int stride = gdk_pixbuf_get_rowstride (pb);
    for (int y = 0; y < 28; y++)
      for (int xx = 0; xx < 28; xx++)
        {
          guint8 v = (guint8) lrintf (rel_tensor_f32 (x)[y * 28 + xx] * 255);
          px[y * stride + xx * 3] = px[y * stride + xx * 3 + 1] = px[y * stride + xx * 3 + 2] = v;
        }
    gdk_pixbuf_save (pb, p, "png", &error, NULL);
    g_assert_no_error (error);
    t = rel_input_load (model, p, &error);
    g_assert_no_error (error);
    g_assert_cmpint (t->shape[1], ==, 1);
    g_assert_cmpint (t->shape[2], ==, 28);
    for (int i = 0; i < 784; i++)
      g_assert_cmpfloat_with_epsilon (rel_tensor_f32 (t)[i], rel_tensor_f32 (x)[i], 0.5 / 255 + 1e-5);
  }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("relevance-npy-image-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);

  g_test_add_func ("/npy/round-trip", test_npy_round_trip);
  g_test_add_func ("/npy/header-variants", test_npy_header_variants);
  g_test_add_func ("/npy/numpy-files", test_npy_numpy_files);
  g_test_add_func ("/npy/hostile", test_npy_hostile);
  g_test_add_func ("/image/decode", test_image_decode);
  g_test_add_func ("/image/broken", test_image_broken);
  g_test_add_func ("/image/geometry", test_image_geometry);
  g_test_add_func ("/image/channels", test_image_channels);
  g_test_add_func ("/preprocess/defaults-and-overrides", test_preprocess_defaults);
  g_test_add_func ("/preprocess/sidecar-and-metadata", test_preprocess_sidecar_and_metadata);
  g_test_add_func ("/preprocess/errors", test_preprocess_errors);
  g_test_add_func ("/input/load", test_input_load);
  status = g_test_run ();

  /* remove the temp dir and its files */
  {
    GDir *dir = g_dir_open (tmpdir, 0, NULL);
    const char *name;
    while (dir && (name = g_dir_read_name (dir)))
      {
        g_autofree char *p = tmp_path (name);
        g_unlink (p);
      }
    if (dir)
      g_dir_close (dir);
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  return status;
}
