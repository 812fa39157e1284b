/* rel-image.c — the input pipeline: image decoding, preprocessing into the
 * model's input tensor, and where the preprocessing settings come from.
 *
 * ## Preprocessing settings
 *
 * A model's preprocessing and class labels are resolved per key, the first
 * source that has a key wins:
 *   1. the ONNX file's metadata_props, keys with the prefix "relevance.";
 *   2. a sidecar file next to the model, named after it plus ".ini"
 *      (model.onnx → model.onnx.ini), a GKeyFile with a [relevance] group whose
 *      keys are written without the prefix (the prefixed form is accepted too;
 *      other groups are ignored);
 *   3. defaults.
 * The CLI's options (--mean, --std, --scale, --resize, --labels) then override
 * single keys through rel_preprocess_set(), which takes the same key names.
 * Unknown keys under the prefix or in [relevance] are errors (typos must not
 * pass silently); every error names the key and where it came from.
 *
 *   key            value                                   default
 *   labels         class names, one per line if the value   none
 *                  contains a newline, else comma-separated
 *                  (labels containing commas need the
 *                  newline form; in the sidecar write \n)
 *   labels_file    a text file, one label per line (UTF-8),  none
 *                  relative to the model's folder (for the
 *                  CLI's --labels: to the working directory)
 *   mean           1 or C comma-separated numbers            0
 *   std            1 or C comma-separated numbers, > 0       1
 *   scale          pixel multiplier before mean/std, > 0     0.00392157 (1/255)
 *   resize         shorter side before a center crop to      0 (resize straight
 *                  H×W, 0..8192                              to H×W, no crop)
 *   channel_order  rgb | bgr                                 rgb
 *   input_range    "low,high": the input's value range       computed: the
 *                  after normalisation (LRP z^B bounds,      pixel range
 *                  noise scales), low < high                 [0, 255·scale]
 *                                                            through mean/std
 * mean and std are in the model's channel order. labels and labels_file share
 * one slot (a source giving both is an error); the label count must equal the
 * model's class count when the output shape declares it. Channels, height and
 * width come from the declared input shape N×C×H×W (C must be 1 or 3 to feed
 * an image). Changing mean, std or scale later recomputes input_range unless
 * it was set explicitly.
 *
 * Example sidecar (model.onnx.ini):
 *   [relevance]
 *   mean=0.485,0.456,0.406
 *   std=0.229,0.224,0.225
 *   resize=256
 *   labels_file=imagenet-classes.txt
 *
 * ## Image → tensor, matching torchvision's
 *   Resize(resize) → CenterCrop(H, W) → ToTensor → Normalize(mean, std)
 * - Decoding: gdk-pixbuf, formats PNG, JPEG, BMP, TIFF, GIF (first frame),
 *   PNM and WebP where a loader is installed; other loaders (SVG, ICO, …) are
 *   refused. Dimensions are read from the file header first and refused over
 *   REL_IMAGE_MAX_SIDE per side or rel_image_max_pixels() in total (a
 *   loader's size-prepared handler stops it before pixels are allocated;
 *   only the loaders for these formats run, picked by the magic bytes). A truncated
 *   JPEG or uncompressed BMP is an error rather than a half-grey picture. EXIF
 *   orientation is not applied (PIL's Image.open does not either).
 * - Alpha is dropped, not composited, as PIL's convert("RGB") does, so the
 *   model sees the pixels a PyTorch pipeline would give it.
 * - Channels: a 1-channel model gets ITU-R BT.601 luma 0.299 R + 0.587 G +
 *   0.114 B (PIL's "L"); a grey image feeding a 3-channel model is replicated.
 *   channel_order=bgr swaps R and B.
 * - Resize: the shorter side becomes `resize`, the longer int(resize·long/short)
 *   (torchvision's rounding); then a center crop of H×W with offsets
 *   round((size − crop)/2) rounding half to even, zero padding where the crop is
 *   larger. With resize = 0 the image is resized straight to H×W. Resampling
 *   is PIL's bilinear: a triangle filter whose support widens by the downscale
 *   factor (antialiasing), separable, computed in float without PIL's 8-bit
 *   rounding between passes; only the cropped region is computed.
 * - Values: v·scale, then (v − mean[c]) / std[c].
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-image.h"
#include "rel-atomic-file.h"
#include "rel-error.h"
#include "rel-file.h"
#include "rel-npy.h"

#include <errno.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <float.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIDECAR_GROUP "relevance"
#define KEY_PREFIX "relevance."
/* a labels file or sidecar larger than this is not a labels file */
#define MAX_TEXT_FILE (16 << 20)
#define MAX_LABELS (1 << 20)

/* ---- decoding ---- */

void
rel_image_free (RelImage *image)
{
  if (image == NULL)
    return;
  g_free (image->data);
  g_free (image);
}

gint64
rel_image_max_pixels (void)
{
  const char *env = g_getenv ("RELEVANCE_MAX_MEGAPIXELS");
  guint64 mp;

  if (env == NULL || !g_ascii_string_to_unsigned (env, 10, 1, REL_IMAGE_MAX_MEGAPIXELS, &mp, NULL))
    mp = REL_IMAGE_DEFAULT_MEGAPIXELS;
  return (gint64) mp * 1000000;
}

static gboolean
save_chunk (const gchar *buf, gsize count, GError **error, gpointer data)
{
  return rel_atomic_file_write (data, buf, count, error);
}

gboolean
rel_image_save_png_rgb8 (const guint8 *pixels, int width, int height, int rowstride, int n_channels,
                         const char *path, GError **error)
{
  g_return_val_if_fail (n_channels == 3 || n_channels == 4, FALSE);
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new_from_data (pixels, GDK_COLORSPACE_RGB, n_channels == 4, 8,
                                                      width, height, rowstride, NULL, NULL);
  g_autoptr(RelAtomicFile) file = rel_atomic_file_open (path, error);
  if (file == NULL)
    return FALSE;
  if (!gdk_pixbuf_save_to_callback (pb, save_chunk, file, "png", error, NULL))
    {
      if (error && *error && (*error)->domain != REL_ERROR)
        g_prefix_error (error, "cannot write '%s': ", path);
      return FALSE;
    }
  return rel_atomic_file_commit (g_steal_pointer (&file), error);
}

static gboolean
check_dimensions (int width, int height, const char *what, GError **error)
{
  gint64 limit = rel_image_max_pixels ();

  if (width <= 0 || height <= 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s has no pixels (%d×%d)", what, width, height);
      return FALSE;
    }
  if (width > REL_IMAGE_MAX_SIDE || height > REL_IMAGE_MAX_SIDE || (gint64) width * height >= limit)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                   "%s is %d×%d pixels; images must be under %" G_GINT64_FORMAT
                   " megapixels and %d pixels per side (RELEVANCE_MAX_MEGAPIXELS)",
                   what, width, height, limit / 1000000, REL_IMAGE_MAX_SIDE);
      return FALSE;
    }
  return TRUE;
}

RelImage *
rel_image_new_from_rgb8 (const guint8 *pixels, int width, int height, int rowstride,
                         int n_channels, GError **error)
{
  g_autoptr(RelImage) image = NULL;
  int out_c;
  gsize plane;

  if (!check_dimensions (width, height, "the image", error))
    return NULL;
  if (n_channels < 1 || n_channels > 4)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "an image has 1 to 4 channels, not %d", n_channels);
      return NULL;
    }
  if (rowstride < width * n_channels)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "row stride %d is shorter than a row (%d×%d bytes)", rowstride, width, n_channels);
      return NULL;
    }
  /* grey(+alpha) stays one channel, RGB(A) three; alpha is dropped like PIL's convert("RGB") */
  out_c = n_channels <= 2 ? 1 : 3;
  plane = (gsize) width * (gsize) height;
  image = g_new0 (RelImage, 1);
  image->channels = out_c;
  image->width = width;
  image->height = height;
  image->data = g_try_new (float, plane * (gsize) out_c);
  if (image->data == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for a %d×%d image", width, height);
      return NULL;
    }
  for (int y = 0; y < height; y++)
    {
      const guint8 *row = pixels + (gsize) y * (gsize) rowstride;
      for (int x = 0; x < width; x++)
        for (int c = 0; c < out_c; c++)
          image->data[(gsize) c * plane + (gsize) y * width + x] = row[x * n_channels + c];
    }
  return g_steal_pointer (&image);
}

/* The loader for the file's magic bytes; only these formats ever reach a
 * gdk-pixbuf loader (SVG, ICO, XPM, … are not inputs). */
static const char *
sniff_format (const guint8 *d, gsize len)
{
  if (len >= 8 && memcmp (d, "\x89PNG\r\n\x1a\n", 8) == 0)
    return "png";
  if (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
    return "jpeg";
  if (len >= 2 && d[0] == 'B' && d[1] == 'M')
    return "bmp";
  if (len >= 4 && (memcmp (d, "II*\0", 4) == 0 || memcmp (d, "MM\0*", 4) == 0))
    return "tiff";
  if (len >= 6 && (memcmp (d, "GIF87a", 6) == 0 || memcmp (d, "GIF89a", 6) == 0))
    return "gif";
  if (len >= 2 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6')
    return "pnm";
  if (len >= 12 && memcmp (d, "RIFF", 4) == 0 && memcmp (d + 8, "WEBP", 4) == 0)
    return "webp";
  return NULL;
}

/* gdk-pixbuf decodes a JPEG cut short and an uncompressed BMP cut short without
 * an error, filling the rest with grey or zeros; refuse them. */
/* One number of a PNM header, after whitespace and '#' comments; FALSE if
 * there is none (the decoder then refuses the file itself). */
static gboolean
pnm_number (const guint8 *d, gsize len, gsize *pos, guint64 *value)
{
  gsize i = *pos;

  for (;;)
    {
      while (i < len && g_ascii_isspace (d[i]))
        i++;
      if (i < len && d[i] == '#')
        {
          while (i < len && d[i] != '\n' && d[i] != '\r')
            i++;
          continue;
        }
      break;
    }
  if (i >= len || !g_ascii_isdigit (d[i]))
    return FALSE;
  *value = 0;
  for (; i < len && g_ascii_isdigit (d[i]); i++)
    *value = MIN (*value * 10 + (guint64) (d[i] - '0'), G_GUINT64_CONSTANT (1) << 30);
  *pos = i;
  return TRUE;
}

/* PNM: gdk-pixbuf fills what a file leaves out, so a header declaring 45
 * megapixels over four bytes of data decoded (slowly) into a picture. The
 * binary forms need exactly their pixel bytes; the ASCII forms at least one
 * character per sample. */
static gboolean
check_pnm (const char *path, const guint8 *d, gsize len, GError **error)
{
  int kind = d[1] - '0';
  gboolean has_maxval = kind != 1 && kind != 4;
  guint64 w, h, maxval = 1;
  gsize pos = 2;

  if (!pnm_number (d, len, &pos, &w) || !pnm_number (d, len, &pos, &h)
      || (has_maxval && !pnm_number (d, len, &pos, &maxval)))
    return TRUE;
  pos++;   /* the one whitespace character before the data */
  guint64 samples = w * h * (kind == 3 || kind == 6 ? 3 : 1);
  guint64 need;
  if (kind == 4)
    need = (w + 7) / 8 * h;
  else if (kind >= 5)
    need = samples * (maxval > 255 ? 2 : 1);
  else
    need = samples;
  guint64 have = pos <= len ? len - pos : 0;
  if (have < need)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "'%s' is a truncated PNM image (%" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT
                   " pixels need %s%" G_GUINT64_FORMAT " bytes of data; the file has %" G_GUINT64_FORMAT ")",
                   path, w, h, kind <= 3 ? "at least " : "", need, have);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_complete (const char *path, const char *format, const guint8 *d, gsize len, GError **error)
{
  if (strcmp (format, "png") == 0)
    {
      /* the loader stops at the last row it got; the IEND chunk (with its
       * fixed CRC) says nothing was cut off */
      static const guint8 iend[8] = { 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };
      gboolean found = FALSE;
      for (gsize i = len >= 8 ? len - 8 + 1 : 0; i-- > 0 && !found;)
        found = memcmp (d + i, iend, sizeof iend) == 0;
      if (!found)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "'%s' is a truncated PNG image (no IEND chunk)", path);
          return FALSE;
        }
      return TRUE;
    }
  if (strcmp (format, "pnm") == 0)
    return check_pnm (path, d, len, error);
  if (strcmp (format, "jpeg") != 0 && strcmp (format, "bmp") != 0)
    return TRUE;

  if (strcmp (format, "jpeg") == 0)
    {
      /* entropy-coded data never holds FF D9 (an FF there is followed by 00 or
       * a restart marker), so after the last start of scan an EOI must follow */
      gssize last_sos = -1;
      gboolean eoi = FALSE;
      for (gsize i = 0; i + 1 < len; i++)
        if (d[i] == 0xff && d[i + 1] == 0xda)
          last_sos = (gssize) i;
      for (gsize i = last_sos < 0 ? 0 : (gsize) last_sos; i + 1 < len && !eoi; i++)
        eoi = d[i] == 0xff && d[i + 1] == 0xd9;
      if (!eoi)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                       "'%s' is a truncated JPEG image (no end-of-image marker)", path);
          return FALSE;
        }
      return TRUE;
    }

  /* BMP: gdk-pixbuf's loader allocates the info header's declared size before
   * reading it (a 76-byte file asked for 3.5 GB), so the headers and the pixel
   * data must start inside the file */
  if (len >= 18)
    {
      guint32 offset = d[10] | d[11] << 8 | d[12] << 16 | (guint32) d[13] << 24;
      guint32 header = d[14] | d[15] << 8 | d[16] << 16 | (guint32) d[17] << 24;
      if ((guint64) header + 14 > len || offset > len)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                       "'%s' is a broken BMP image (its header declares %u and %u bytes; the file has %" G_GSIZE_FORMAT ")",
                       path, header, offset, len);
          return FALSE;
        }
    }

  /* BMP: for BI_RGB data the pixel array's size is known from the header */
  if (len >= 54)
    {
      guint32 offset = d[10] | d[11] << 8 | d[12] << 16 | (guint32) d[13] << 24;
      guint32 header = d[14] | d[15] << 8 | d[16] << 16 | (guint32) d[17] << 24;
      if (header >= 40)
        {
          gint32 w = (gint32) (d[18] | d[19] << 8 | d[20] << 16 | (guint32) d[21] << 24);
          gint32 h = (gint32) (d[22] | d[23] << 8 | d[24] << 16 | (guint32) d[25] << 24);
          guint bits = d[28] | d[29] << 8;
          guint32 compression = d[30] | d[31] << 8 | d[32] << 16 | (guint32) d[33] << 24;
          if (compression == 0 && w > 0 && h != 0 && bits > 0 && bits <= 32)
            {
              guint64 row = ((guint64) bits * (guint64) w + 31) / 32 * 4;
              guint64 need = (guint64) offset + row * (guint64) ABS ((gint64) h);
              if (need > len)
                {
                  g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                               "'%s' is a truncated BMP image (%" G_GSIZE_FORMAT " of %" G_GUINT64_FORMAT " bytes)",
                               path, len, need);
                  return FALSE;
                }
            }
        }
    }
  return TRUE;
}

typedef struct {
  const char *what;
  int         fit;          /* > 0: scale the shorter side down to this */
  gboolean    probe;        /* stop after the header */
  int         width, height;
  GError     *error;        /* the size was refused */
} SizeCheck;

/* Called once the loader knows the declared size, before it allocates any
 * pixels: a refused size (or a probe) sets 0×0, which makes every loader stop. */
static void
on_size_prepared (GdkPixbufLoader *loader, int width, int height, gpointer data)
{
  SizeCheck *c = data;

  c->width = width;
  c->height = height;
  if (!check_dimensions (width, height, c->what, &c->error) || c->probe)
    {
      gdk_pixbuf_loader_set_size (loader, 0, 0);
      return;
    }
  if (c->fit > 0 && MIN (width, height) > c->fit)
    {
      double s = (double) c->fit / MIN (width, height);
      gdk_pixbuf_loader_set_size (loader, MAX (1, (int) (width * s + 0.5)), MAX (1, (int) (height * s + 0.5)));
    }
}

/* Decodes @path through the core's checks: a regular file under the size cap,
 * a supported format by its magic bytes, complete (JPEG, BMP), and a declared
 * size within the limits before any pixel is allocated. */
static GdkPixbuf *
decode_file (const char *path, int fit, gboolean probe, int *width, int *height, GError **error)
{
  g_autoptr(GMappedFile) map = NULL;
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *shown = rel_quote_path (path);
  g_autofree char *what = g_strdup_printf ("'%s'", shown);
  SizeCheck check = { what, fit, probe, 0, 0, NULL };
  const guint8 *d;
  const char *format;
  gsize len, done = 0;
  gboolean ok = TRUE;
  GdkPixbuf *pixbuf;

  map = rel_file_map (path, "image", REL_IMAGE_MAX_FILE_SIZE, error);
  if (map == NULL)
    return NULL;
  d = (const guint8 *) g_mapped_file_get_contents (map);
  len = g_mapped_file_get_length (map);
  format = sniff_format (d, len);
  if (format == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "'%s' is not an image in a supported format (PNG, JPEG, BMP, TIFF, GIF, PNM, WebP)", shown);
      return NULL;
    }
  if (!probe && !check_complete (shown, format, d, len, error))
    return NULL;
  loader = gdk_pixbuf_loader_new_with_type (format, &local);
  if (loader == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "'%s' is a %s image, which this system cannot decode",
                   shown, format);
      return NULL;
    }
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &check);
  /* in pieces, so a refused header stops the decoder before the rest is read */
  while (ok && done < len && check.error == NULL && !(probe && check.width > 0))
    {
      gsize n = MIN (len - done, (gsize) 65536);
      ok = gdk_pixbuf_loader_write (loader, d + done, n, &local);
      done += n;
    }
  if (ok)
    ok = gdk_pixbuf_loader_close (loader, local ? NULL : &local);
  else
    gdk_pixbuf_loader_close (loader, NULL);
  if (width)
    *width = check.width;
  if (height)
    *height = check.height;
  if (check.error)
    {
      g_propagate_error (error, check.error);
      return NULL;
    }
  if (probe)
    {
      if (check.width > 0)
        return NULL;   /* the size is known: that is all a probe wanted */
      ok = FALSE;
    }
  pixbuf = ok ? gdk_pixbuf_loader_get_pixbuf (loader) : NULL;
  if (pixbuf == NULL)
    {
      g_autofree char *why = rel_quote (local ? local->message : "no picture in it", -1);
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "'%s' is a broken %s image: %s", shown, format, why);
      return NULL;
    }
  if (!check_dimensions (gdk_pixbuf_get_width (pixbuf), gdk_pixbuf_get_height (pixbuf), what, error))
    return NULL;
  return g_object_ref (pixbuf);
}

gboolean
rel_image_probe (const char *path, int *width, int *height, GError **error)
{
  g_autoptr(GError) local = NULL;
  int w = 0, h = 0;

  decode_file (path, 0, TRUE, &w, &h, &local);
  if (local)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (width)
    *width = w;
  if (height)
    *height = h;
  return TRUE;
}

GdkPixbuf *
rel_image_load_pixbuf (const char *path, int fit, GError **error)
{
  return decode_file (path, fit, FALSE, NULL, NULL, error);
}

RelImage *
rel_image_load (const char *path, GError **error)
{
  g_autoptr(GdkPixbuf) pixbuf = decode_file (path, 0, FALSE, NULL, NULL, error);

  if (pixbuf == NULL)
    return NULL;
  if (gdk_pixbuf_get_bits_per_sample (pixbuf) != 8 || gdk_pixbuf_get_colorspace (pixbuf) != GDK_COLORSPACE_RGB)
    {
      g_autofree char *shown = rel_quote_path (path);
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "'%s' decodes to an unsupported pixel layout", shown);
      return NULL;
    }
  return rel_image_new_from_rgb8 (gdk_pixbuf_read_pixels (pixbuf),
                                  gdk_pixbuf_get_width (pixbuf), gdk_pixbuf_get_height (pixbuf),
                                  gdk_pixbuf_get_rowstride (pixbuf), gdk_pixbuf_get_n_channels (pixbuf),
                                  error);
}

/* ---- resampling ---- */

/* Filter taps for output positions first..first+count-1 of an axis resized
 * from in_size to out_size (PIL's precompute_coeffs with the bilinear
 * filter). Positions outside [0, out_size) get no taps: the crop's padding. */
typedef struct {
  int    ksize;
  int   *start;   /* count */
  int   *n;       /* count */
  float *k;       /* count × ksize */
} Taps;

static void
taps_clear (Taps *t)
{
  g_free (t->start);
  g_free (t->n);
  g_free (t->k);
}

static void
taps_init (Taps *t, int in_size, int out_size, int first, int count)
{
  double scale = (double) in_size / out_size;
  double filterscale = MAX (scale, 1.0);
  double support = filterscale;   /* the triangle's support is 1 */
  double ss = 1.0 / filterscale;

  t->ksize = (int) ceil (support) * 2 + 1;
  t->start = g_new0 (int, count);
  t->n = g_new0 (int, count);
  t->k = g_new0 (float, (gsize) count * (gsize) t->ksize);
  for (int i = 0; i < count; i++)
    {
      int xx = first + i;
      double center, ww = 0;
      int xmin, xmax;
      float *k = t->k + (gsize) i * t->ksize;

      if (xx < 0 || xx >= out_size)
        continue;
      center = (xx + 0.5) * scale;
      xmin = MAX ((int) (center - support + 0.5), 0);
      xmax = MIN ((int) (center + support + 0.5), in_size) - xmin;
      xmax = CLAMP (xmax, 0, t->ksize);
      for (int x = 0; x < xmax; x++)
        {
          double u = fabs ((x + xmin - center + 0.5) * ss);
          double w = u < 1.0 ? 1.0 - u : 0.0;
          k[x] = (float) w;
          ww += w;
        }
      if (ww != 0)
        for (int x = 0; x < xmax; x++)
          k[x] = (float) (k[x] / ww);
      t->start[i] = xmin;
      t->n[i] = xmax;
    }
}

/* Python's round() on a half-integer: to even (torchvision's crop offsets use it). */
static int
round_half_even (double v)
{
  double r = nearbyint (v);   /* default rounding mode: to nearest, ties to even */
  return (int) r;
}

/* The crop's first pixel in the resized image: centred, zero-padded when the
 * crop is larger (torchvision's CenterCrop). */
static int
crop_offset (int size, int crop)
{
  if (crop > size)
    return -((crop - size) / 2);
  return round_half_even ((size - crop) / 2.0);
}

RelTensor *
rel_image_to_tensor (const RelImage *image, const RelPreprocess *pp, GError **error)
{
  g_autoptr(RelTensor) t = NULL;
  g_autofree float *gray = NULL;
  g_autofree float *tmp = NULL;
  Taps tx = { 0 }, ty = { 0 };
  int C, src_c, out_h, out_w, rh, rw, oy, ox;
  const float *src;
  gsize plane;
  float *dst;

  C = pp->channels > 0 ? pp->channels : image->channels;
  if (C != 1 && C != 3)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "an image can feed a model with 1 or 3 input channels, not %d; give a .npy instead", C);
      return NULL;
    }
  if (!check_dimensions (image->width, image->height, "the image", error))
    return NULL;
  for (int c = 0; c < C; c++)
    if (!(pp->std[MIN (c, 3)] > 0) || !isfinite (pp->mean[MIN (c, 3)]))
      {
        g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                     "invalid preprocessing: channel %d has std %g and mean %g", c,
                     pp->std[MIN (c, 3)], pp->mean[MIN (c, 3)]);
        return NULL;
      }
  if (!(pp->scale > 0) || pp->resize < 0 || pp->resize > REL_IMAGE_MAX_RESIZE || pp->height < 0 || pp->width < 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "invalid preprocessing settings");
      return NULL;
    }

  /* the resized image (virtual: only the crop is computed) and the crop */
  if (pp->resize > 0)
    {
      int s = image->width <= image->height ? image->width : image->height;
      int l = image->width <= image->height ? image->height : image->width;
      /* torchvision: int(size * long / short); an image already at size stays */
      int new_l = s == pp->resize ? l : (int) ((double) pp->resize * l / s);
      int new_s = pp->resize;
      if (new_l < 1)
        new_l = 1;
      rw = image->width <= image->height ? new_s : new_l;
      rh = image->width <= image->height ? new_l : new_s;
    }
  else if (pp->height > 0 && pp->width > 0)
    {
      rh = pp->height;
      rw = pp->width;
    }
  else
    {
      rh = image->height;
      rw = image->width;
    }
  out_h = pp->height > 0 ? pp->height : rh;
  out_w = pp->width > 0 ? pp->width : rw;
  oy = crop_offset (rh, out_h);
  ox = crop_offset (rw, out_w);

  t = rel_tensor_new_4d (1, C, out_h, out_w, error);
  if (t == NULL)
    return NULL;

  /* channel conversion first where it shrinks the work (RGB → grey) */
  plane = (gsize) image->width * (gsize) image->height;
  src = image->data;
  src_c = image->channels;
  if (C == 1 && src_c == 3)
    {
      gray = g_try_new (float, plane);
      if (gray == NULL)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory converting the image to grey");
          return NULL;
        }
      for (gsize i = 0; i < plane; i++)
        gray[i] = 0.299f * src[i] + 0.587f * src[plane + i] + 0.114f * src[2 * plane + i];
      src = gray;
      src_c = 1;
    }

  taps_init (&tx, image->width, rw, ox, out_w);
  taps_init (&ty, image->height, rh, oy, out_h);
  tmp = g_try_new (float, (gsize) image->height * (gsize) out_w);
  if (tmp == NULL)
    {
      taps_clear (&tx);
      taps_clear (&ty);
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory resizing the image");
      return NULL;
    }
  dst = rel_tensor_f32 (t);
  for (int c = 0; c < C; c++)
    {
      /* the model's channel c reads source channel sc */
      int sc = src_c == 1 ? 0 : (pp->bgr ? 2 - c : c);
      const float *in = src + (gsize) sc * plane;
      float *out = dst + (gsize) c * out_h * out_w;
      float mean = pp->mean[MIN (c, 3)], std = pp->std[MIN (c, 3)];

      /* horizontal pass: every source row, the crop's columns */
      for (int y = 0; y < image->height; y++)
        {
          const float *row = in + (gsize) y * image->width;
          for (int x = 0; x < out_w; x++)
            {
              const float *k = tx.k + (gsize) x * tx.ksize;
              const float *p = row + tx.start[x];
              float s = 0;
              for (int j = 0; j < tx.n[x]; j++)
                s += k[j] * p[j];
              tmp[(gsize) y * out_w + x] = s;
            }
        }
      /* vertical pass, then scale and normalise */
      for (int y = 0; y < out_h; y++)
        {
          const float *k = ty.k + (gsize) y * ty.ksize;
          for (int x = 0; x < out_w; x++)
            {
              float s = 0;
              for (int j = 0; j < ty.n[y]; j++)
                s += k[j] * tmp[(gsize) (ty.start[y] + j) * out_w + x];
              out[(gsize) y * out_w + x] = (s * pp->scale - mean) / std;
            }
        }
    }
  taps_clear (&tx);
  taps_clear (&ty);
  return g_steal_pointer (&t);
}

void
rel_preprocess_geometry (const RelPreprocess *pp, int image_width, int image_height,
                         int *resized_width, int *resized_height, int *crop_x, int *crop_y,
                         int *out_width, int *out_height)
{
  int rh, rw, out_h, out_w;

  /* the same sizes and offsets as rel_image_to_tensor */
  if (pp->resize > 0)
    {
      int s = MIN (image_width, image_height), l = MAX (image_width, image_height);
      int new_l = s == pp->resize ? l : (int) ((double) pp->resize * l / MAX (s, 1));
      if (new_l < 1)
        new_l = 1;
      rw = image_width <= image_height ? pp->resize : new_l;
      rh = image_width <= image_height ? new_l : pp->resize;
    }
  else if (pp->height > 0 && pp->width > 0)
    {
      rh = pp->height;
      rw = pp->width;
    }
  else
    {
      rh = image_height;
      rw = image_width;
    }
  out_h = pp->height > 0 ? pp->height : rh;
  out_w = pp->width > 0 ? pp->width : rw;
  *resized_width = rw;
  *resized_height = rh;
  *crop_x = crop_offset (rw, out_w);
  *crop_y = crop_offset (rh, out_h);
  *out_width = out_w;
  *out_height = out_h;
}

/* ---- inputs ---- */

static gboolean
looks_like_npy (const char *path)
{
  char magic[6] = { 0 };
  gboolean npy;
  int fd;

  if (g_str_has_suffix (path, ".npy") || g_str_has_suffix (path, ".NPY"))
    return TRUE;
  /* errors (a FIFO, a missing file) are reported by the image decoder */
  fd = rel_file_open (path, "input", G_MAXINT64, NULL, NULL);
  if (fd < 0)
    return FALSE;
  npy = read (fd, magic, sizeof magic) == sizeof magic && memcmp (magic, "\x93NUMPY", 6) == 0;
  close (fd);
  return npy;
}

static RelTensor *
npy_input (RelModel *model, const char *path, GError **error)
{
  g_autoptr(RelTensor) t = rel_npy_load (path, error);
  RelValue *in = rel_model_value (model, model->input);
  int want = in && in->ndim > 0 ? in->ndim : 4;

  if (t == NULL)
    return NULL;
  if (t->ndim == want - 1)
    {
      int64_t shape[REL_MAX_DIMS];
      shape[0] = 1;
      for (int i = 0; i < t->ndim; i++)
        shape[i + 1] = t->shape[i];
      {
        RelTensor *v = rel_tensor_view (t, t->ndim + 1, shape, error);
        if (v == NULL)
          return NULL;
        rel_tensor_unref (t);
        t = v;
      }
    }
  if (t->ndim != want)
    goto mismatch;
  if (in && in->ndim > 0)
    for (int i = 1; i < in->ndim; i++)
      if (in->shape[i] > 0 && t->shape[i] != in->shape[i])
        goto mismatch;
  if (t->shape[0] < 1)
    goto mismatch;
  {
    g_autofree char *shown = rel_quote_path (path);
    g_autofree char *what = g_strdup_printf ("input '%s'", shown);
    if (!rel_tensor_check_finite (t, what, error))
      return NULL;
  }
  return g_steal_pointer (&t);

mismatch:
  {
    g_autofree char *got = rel_tensor_shape_string (t);
    g_autofree char *expect = in && in->ndim > 0 ? rel_shape_to_string (in->ndim, in->shape) : g_strdup ("N×C×H×W");
    g_autofree char *shown = rel_quote_path (path);
    g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                 "%s: an array of shape %s does not fit the model's input %s (a dimension ≤ 0 is free; "
                 "the batch dimension may be omitted)", shown, got, expect);
    return NULL;
  }
}

gboolean
rel_input_is_file_name (const char *name)
{
  static const char *const exts[] = { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff",
                                      ".webp", ".ppm", ".pgm", ".npy", NULL };
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (int i = 0; exts[i]; i++)
    if (g_str_has_suffix (lower, exts[i]))
      return TRUE;
  return FALSE;
}

RelTensor *
rel_input_load (RelModel *model, const char *path, GError **error)
{
  g_autoptr(RelImage) image = NULL;
  RelTensor *t;

  if (looks_like_npy (path))
    return npy_input (model, path, error);
  if (!(model->preprocess.scale > 0) && !rel_model_resolve_preprocess (model, error))
    return NULL;
  image = rel_image_load (path, error);
  if (image == NULL)
    return NULL;
  t = rel_image_to_tensor (image, &model->preprocess, error);
  if (t == NULL)
    {
      g_autofree char *shown = rel_quote_path (path);
      g_prefix_error (error, "%s: ", shown);
    }
  return t;
}

/* ---- preprocessing settings ---- */

enum {
  KEY_LABELS,
  KEY_LABELS_FILE,
  KEY_MEAN,
  KEY_STD,
  KEY_SCALE,
  KEY_RESIZE,
  KEY_CHANNEL_ORDER,
  KEY_INPUT_RANGE,
  N_KEYS
};

static const char *const key_names[N_KEYS + 1] = {
  "labels", "labels_file", "mean", "std", "scale", "resize", "channel_order", "input_range", NULL,
};

static int
key_index (const char *key)
{
  if (g_str_has_prefix (key, KEY_PREFIX))
    key += strlen (KEY_PREFIX);
  for (int i = 0; i < N_KEYS; i++)
    if (strcmp (key, key_names[i]) == 0)
      return i;
  return -1;
}

/* Where a value came from, for error messages: "relevance.mean (model metadata)". */
typedef struct {
  char *value;
  char *source;   /* e.g. "sidecar 'model.onnx.ini'" */
  char *base_dir; /* labels_file is relative to it; NULL: the working directory */
} Setting;

static void
setting_clear (Setting *s)
{
  g_clear_pointer (&s->value, g_free);
  g_clear_pointer (&s->source, g_free);
  g_clear_pointer (&s->base_dir, g_free);
}

static void
setting_set (Setting *s, const char *value, const char *source, const char *base_dir)
{
  setting_clear (s);
  s->value = g_strdup (value);
  s->source = g_strdup (source);
  s->base_dir = g_strdup (base_dir);
}

static gboolean
bad_value (GError **error, int key, const char *source, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static gboolean
bad_value (GError **error, int key, const char *source, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  /* an override names its key as the caller spelled it: "mean: …" */
  if (strcmp (source, "override") == 0)
    g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "%s: %s", key_names[key], msg);
  else
    g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "relevance.%s (%s): %s", key_names[key], source, msg);
  return FALSE;
}

static gboolean
parse_number (const char *text, double *out)
{
  char *end;
  double v;

  while (g_ascii_isspace (*text))
    text++;
  if (*text == '\0')
    return FALSE;
  v = g_ascii_strtod (text, &end);
  if (end == text)
    return FALSE;
  while (g_ascii_isspace (*end))
    end++;
  /* Settings are kept as float: 1e96 is a finite double but an infinite float. */
  if (*end != '\0' || !isfinite (v) || fabs (v) > FLT_MAX)
    return FALSE;
  *out = v;
  return TRUE;
}

/* Up to 4 comma-separated finite numbers; returns the count or -1. */
static int
parse_numbers (const char *text, double *out, int max)
{
  int commas = 0;

  /* Count first: a hostile value can hold 10^5 numbers, and splitting it all
   * only to refuse it is wasted work (quadratic under ASan's strstr). */
  for (const char *p = text; *p != '\0'; p++)
    if (*p == ',' && ++commas >= max)
      return -1;

  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  int n = (int) g_strv_length (parts);

  if (n < 1 || n > max)
    return -1;
  for (int i = 0; i < n; i++)
    if (!parse_number (parts[i], &out[i]))
      return -1;
  return n;
}

static void
compute_range (const RelPreprocess *pp, float *low, float *high)
{
  int n = pp->channels >= 1 && pp->channels <= 4 ? pp->channels : 4;
  double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;

  for (int c = 0; c < n; c++)
    {
      double a = (0.0 - pp->mean[c]) / pp->std[c];
      double b = (255.0 * pp->scale - pp->mean[c]) / pp->std[c];
      lo = MIN (lo, MIN (a, b));
      hi = MAX (hi, MAX (a, b));
    }
  *low = (float) lo;
  *high = (float) hi;
}

/* The derived input range, refused when the settings leave none: a mean of
 * 1e33 maps every pixel to one float, and LRP's bounds and the noise scale
 * need low < high. */
static gboolean
derive_range (RelPreprocess *pp, GError **error)
{
  float low, high;

  compute_range (pp, &low, &high);
  if (!(isfinite (low) && isfinite (high) && low < high))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "mean, std and scale map every pixel value to the same number (%g to %g); "
                   "give smaller values or an input_range", low, high);
      return FALSE;
    }
  pp->range_low = low;
  pp->range_high = high;
  return TRUE;
}

static gboolean
apply_channels (RelPreprocess *pp, int key, const char *value, const char *source, float *dst, gboolean positive,
                GError **error)
{
  double v[4];
  int n = parse_numbers (value, v, 4);
  int want = pp->channels;
  g_autofree char *shown = rel_quote (value, -1);

  if (n < 0)
    return bad_value (error, key, source, "'%s' is not a comma-separated list of 1 to 4 numbers", shown);
  if (want >= 1 && want <= 4 && n != 1 && n != want)
    {
      if (want == 1)
        return bad_value (error, key, source, "%d values given; the model has 1 input channel", n);
      return bad_value (error, key, source, "%d values given; the model has %d input channels (give 1 or %d)",
                        n, want, want);
    }
  for (int i = 0; i < n; i++)
    if (positive && !(v[i] > 0))
      return bad_value (error, key, source, "every value must be greater than 0 (got %g)", v[i]);
  /* one value applies to every channel; missing trailing ones repeat the last */
  for (int c = 0; c < 4; c++)
    dst[c] = (float) v[MIN (c, n - 1)];
  return TRUE;
}

/* Splits a labels value or file: by newlines when there is one, else by commas. */
static char **
split_labels (const char *text, gboolean lines_only, int *n_out)
{
  const char *sep = lines_only || strchr (text, '\n') ? "\n" : ",";
  char **parts = g_strsplit (text, sep, MAX_LABELS + 2);
  int n = (int) g_strv_length (parts);

  for (int i = 0; i < n; i++)
    g_strstrip (parts[i]);
  /* a trailing newline or comma does not add a class */
  while (n > 0 && parts[n - 1][0] == '\0')
    {
      g_free (parts[n - 1]);
      parts[--n] = NULL;
    }
  *n_out = n;
  return parts;
}

static int
declared_classes (RelModel *model)
{
  RelValue *out = rel_model_value (model, model->output);
  if (out && out->ndim >= 1 && out->shape[out->ndim - 1] > 0)
    return (int) MIN (out->shape[out->ndim - 1], G_MAXINT);
  return 0;
}

/* Reads labels from a value or a file into *labels; validates count and UTF-8. */
static gboolean
load_labels (RelModel *model, int key, const Setting *s, char ***labels, int *n_labels, GError **error)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) parts = NULL;
  const char *text = s->value;
  int n, classes;

  if (key == KEY_LABELS_FILE)
    {
      g_autofree char *path = NULL;
      g_autoptr(GError) local = NULL;
      gsize len;

      if (s->value[0] == '\0')
        return bad_value (error, key, s->source, "the file name is empty");
      path = g_path_is_absolute (s->value) || s->base_dir == NULL
               ? g_strdup (s->value) : g_build_filename (s->base_dir, s->value, NULL);
      if (!rel_file_get_contents (path, "labels file", MAX_TEXT_FILE, &contents, &len, &local))
        return bad_value (error, key, s->source, "%s", local->message);
      if (memchr (contents, '\0', len) != NULL)
        {
          g_autofree char *shown = rel_quote_path (path);
          return bad_value (error, key, s->source, "'%s' is not a text file", shown);
        }
      text = contents;
    }
  if (!g_utf8_validate (text, -1, NULL))
    return bad_value (error, key, s->source, "the labels are not valid UTF-8");
  parts = split_labels (text, key == KEY_LABELS_FILE, &n);
  if (n == 0)
    return bad_value (error, key, s->source, "no labels given");
  if (n > MAX_LABELS)
    return bad_value (error, key, s->source, "more than %d labels", MAX_LABELS);
  classes = declared_classes (model);
  if (classes > 0 && n != classes)
    return bad_value (error, key, s->source, "%d label%s given but the model has %d classes",
                      n, n == 1 ? "" : "s", classes);
  *labels = g_steal_pointer (&parts);
  *n_labels = n;
  return TRUE;
}

/* Applies one numeric/enum key to @pp. labels keys are handled by the callers. */
static gboolean
apply_key (RelPreprocess *pp, int key, const char *value, const char *source, gboolean *range_set,
           GError **error)
{
  /* the value came from a file: quoted short and printable */
  g_autofree char *shown = rel_quote (value, -1);

  switch (key)
    {
    case KEY_MEAN:
      return apply_channels (pp, key, value, source, pp->mean, FALSE, error);
    case KEY_STD:
      return apply_channels (pp, key, value, source, pp->std, TRUE, error);
    case KEY_SCALE:
      {
        double v;
        if (!parse_number (value, &v) || !(v > 0))
          return bad_value (error, key, source, "'%s' is not a number greater than 0", shown);
        pp->scale = (float) v;
        return TRUE;
      }
    case KEY_RESIZE:
      {
        guint64 v;
        g_autofree char *trimmed = g_strstrip (g_strdup (value));
        if (!g_ascii_string_to_unsigned (trimmed, 10, 0, REL_IMAGE_MAX_RESIZE, &v, NULL))
          return bad_value (error, key, source, "'%s' is not an integer from 0 to %d", shown, REL_IMAGE_MAX_RESIZE);
        pp->resize = (int) v;
        return TRUE;
      }
    case KEY_CHANNEL_ORDER:
      {
        g_autofree char *trimmed = g_strstrip (g_strdup (value));
        if (g_ascii_strcasecmp (trimmed, "rgb") == 0)
          pp->bgr = FALSE;
        else if (g_ascii_strcasecmp (trimmed, "bgr") == 0)
          pp->bgr = TRUE;
        else
          return bad_value (error, key, source, "'%s' is neither rgb nor bgr", shown);
        return TRUE;
      }
    case KEY_INPUT_RANGE:
      {
        double v[2];
        if (parse_numbers (value, v, 2) != 2)
          return bad_value (error, key, source, "'%s' is not two comma-separated numbers \"low,high\"", shown);
        if (!(v[0] < v[1]))
          return bad_value (error, key, source, "low (%g) must be less than high (%g)", v[0], v[1]);
        pp->range_low = (float) v[0];
        pp->range_high = (float) v[1];
        if (range_set)
          *range_set = TRUE;
        return TRUE;
      }
    default:
      g_assert_not_reached ();
    }
  return FALSE;
}

static void
preprocess_defaults (RelModel *model, RelPreprocess *pp)
{
  RelValue *in = rel_model_value (model, model->input);

  memset (pp, 0, sizeof *pp);
  if (in && in->ndim == 4)
    {
      pp->channels = in->shape[1] > 0 && in->shape[1] <= G_MAXINT ? (int) in->shape[1] : 0;
      pp->height = in->shape[2] > 0 && in->shape[2] <= G_MAXINT ? (int) in->shape[2] : 0;
      pp->width = in->shape[3] > 0 && in->shape[3] <= G_MAXINT ? (int) in->shape[3] : 0;
    }
  pp->scale = 1.0f / 255.0f;
  for (int c = 0; c < 4; c++)
    {
      pp->mean[c] = 0;
      pp->std[c] = 1;
    }
  compute_range (pp, &pp->range_low, &pp->range_high);
}

/* Reads the sidecar's [relevance] group into @settings (by key index). */
static gboolean
read_sidecar (const char *model_path, Setting *settings, GError **error)
{
  g_autofree char *path = g_strconcat (model_path, ".ini", NULL);
  g_autofree char *source = NULL;
  g_autofree char *base_dir = NULL;
  g_autoptr(GKeyFile) kf = NULL;
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) keys = NULL;
  g_autofree char *shown = rel_quote_path (path);
  g_autofree char *text = NULL;
  gsize len = 0;

  if (!g_file_test (path, G_FILE_TEST_EXISTS) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    return TRUE;   /* no sidecar */
  if (!rel_file_get_contents (path, "sidecar", MAX_TEXT_FILE, &text, &len, error))
    return FALSE;
  kf = g_key_file_new ();
  if (!g_key_file_load_from_data (kf, text, len, G_KEY_FILE_NONE, &local))
    {
      g_autofree char *why = rel_quote (local->message, -1);
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "sidecar '%s': %s", shown, why);
      return FALSE;
    }
  if (!g_key_file_has_group (kf, SIDECAR_GROUP))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "sidecar '%s' has no [%s] group", shown, SIDECAR_GROUP);
      return FALSE;
    }
  keys = g_key_file_get_keys (kf, SIDECAR_GROUP, NULL, NULL);
  source = g_strdup_printf ("sidecar '%s'", shown);
  base_dir = g_path_get_dirname (model_path);
  for (int i = 0; keys && keys[i]; i++)
    {
      int k = key_index (keys[i]);
      g_autofree char *value = NULL;
      g_autofree char *key_shown = rel_quote (keys[i], -1);

      if (k < 0)
        {
          g_autofree char *valid = g_strjoinv (", ", (char **) key_names);
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "%s: unknown key '%s' in [%s] (known: %s)", source, key_shown, SIDECAR_GROUP, valid);
          return FALSE;
        }
      /* g_key_file_get_string unescapes \n, so multi-line labels fit on one line */
      value = g_key_file_get_string (kf, SIDECAR_GROUP, keys[i], &local);
      if (value == NULL)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: key '%s': %s", source, key_shown, local->message);
          return FALSE;
        }
      if (settings[k].value != NULL)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "%s: the key '%s' is given twice (with and without the prefix)", source, key_names[k]);
          return FALSE;
        }
      setting_set (&settings[k], value, source, base_dir);
    }
  return TRUE;
}

/* Copies the model's "relevance.*" metadata into @settings. */
static gboolean
read_metadata (RelModel *model, Setting *settings, GError **error)
{
  g_autofree char *base_dir = model->path ? g_path_get_dirname (model->path) : NULL;
  GHashTableIter it;
  gpointer key, value;

  if (model->metadata == NULL)
    return TRUE;
  g_hash_table_iter_init (&it, model->metadata);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      int k;
      if (!g_str_has_prefix (key, KEY_PREFIX))
        continue;
      k = key_index (key);
      if (k < 0)
        {
          g_autofree char *valid = g_strjoinv (", ", (char **) key_names);
          g_autofree char *key_shown = rel_quote (key, -1);
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "unknown key '%s' in the model's metadata (known after '%s': %s)",
                       key_shown, KEY_PREFIX, valid);
          return FALSE;
        }
      setting_set (&settings[k], value ? value : "", "model metadata", base_dir);
    }
  return TRUE;
}

static void
set_labels (RelModel *model, char **labels, int n)
{
  g_strfreev (model->labels);
  model->labels = labels;
  model->n_labels = labels ? n : 0;
}

gboolean
rel_model_resolve_preprocess (RelModel *model, GError **error)
{
  Setting sidecar[N_KEYS] = { { 0 } }, meta[N_KEYS] = { { 0 } };
  Setting *chosen[N_KEYS] = { NULL };
  RelPreprocess pp;
  gboolean range_set = FALSE, ok = FALSE;
  char **labels = NULL;
  int n_labels = 0;

  preprocess_defaults (model, &pp);
  if (model->path && !read_sidecar (model->path, sidecar, error))
    goto out;
  if (!read_metadata (model, meta, error))
    goto out;

  /* per key, metadata before sidecar; labels and labels_file are one slot */
  for (int k = 0; k < N_KEYS; k++)
    chosen[k] = meta[k].value ? &meta[k] : sidecar[k].value ? &sidecar[k] : NULL;
  {
    Setting *src = meta[KEY_LABELS].value || meta[KEY_LABELS_FILE].value ? meta : sidecar;
    if (src[KEY_LABELS].value && src[KEY_LABELS_FILE].value)
      {
        g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                     "%s gives both relevance.labels and relevance.labels_file; keep one", src[KEY_LABELS].source);
        goto out;
      }
    chosen[KEY_LABELS] = src[KEY_LABELS].value ? &src[KEY_LABELS] : NULL;
    chosen[KEY_LABELS_FILE] = src[KEY_LABELS_FILE].value ? &src[KEY_LABELS_FILE] : NULL;
  }

  for (int k = KEY_MEAN; k < N_KEYS; k++)
    if (chosen[k] && !apply_key (&pp, k, chosen[k]->value, chosen[k]->source, &range_set, error))
      goto out;
  if (!range_set && !derive_range (&pp, error))
    goto out;
  for (int k = KEY_LABELS; k <= KEY_LABELS_FILE; k++)
    if (chosen[k] && !load_labels (model, k, chosen[k], &labels, &n_labels, error))
      goto out;

  /* commit only when everything was valid */
  model->preprocess = pp;
  set_labels (model, labels, n_labels);
  labels = NULL;
  ok = TRUE;

out:
  g_strfreev (labels);
  for (int k = 0; k < N_KEYS; k++)
    {
      setting_clear (&sidecar[k]);
      setting_clear (&meta[k]);
    }
  return ok;
}

gboolean
rel_preprocess_set (RelModel *model, const char *key, const char *value, GError **error)
{
  RelPreprocess pp = model->preprocess;
  int k = key ? key_index (key) : -1;
  float low, high;
  gboolean derived;
  g_autofree char *key_shown = rel_quote (key, -1);

  if (k < 0)
    {
      g_autofree char *valid = g_strjoinv (", ", (char **) key_names);
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "unknown preprocessing key '%s' (known: %s)", key_shown, valid);
      return FALSE;
    }
  if (value == NULL)
    value = "";
  if (k == KEY_LABELS || k == KEY_LABELS_FILE)
    {
      /* the user's own path: relative to the working directory */
      Setting s = { (char *) value, (char *) "override", NULL };
      char **labels = NULL;
      int n = 0;
      if (!load_labels (model, k, &s, &labels, &n, error))
        return FALSE;
      set_labels (model, labels, n);
      return TRUE;
    }
  /* an input range derived from mean/std/scale follows them; an explicit one stays */
  compute_range (&pp, &low, &high);
  derived = low == pp.range_low && high == pp.range_high;
  if (!apply_key (&pp, k, value, "override", NULL, error))
    return FALSE;
  if (derived && k != KEY_INPUT_RANGE && !derive_range (&pp, error))
    return FALSE;
  model->preprocess = pp;
  return TRUE;
}
