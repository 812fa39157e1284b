/* rel-npy.c — NumPy .npy reader and writer.
 *
 * Format (numpy.lib.format): the magic "\x93NUMPY", a major and minor version
 * byte, the header length (uint16 LE for v1, uint32 LE for v2/v3), then the
 * header, a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 28, 28), }
 * padded with spaces to a multiple of 64 bytes and ended by '\n', then the raw
 * data. The header is parsed by a small tokenizer for exactly that literal
 * grammar (strings, True/False, tuples of integers) rather than by pattern
 * matching, so reordered keys and double quotes work and anything else is
 * refused. Every length is checked against the bytes actually present.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-npy.h"
#include "rel-atomic-file.h"
#include "rel-error.h"
#include "rel-file.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* NumPy itself refuses headers over 10000 bytes unless told otherwise; a
 * little more room costs nothing and a hostile length is capped either way. */
#define NPY_MAX_HEADER 65536

typedef struct {
  const char *p, *end;
} Cursor;

static void
skip_space (Cursor *c)
{
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

static gboolean
accept (Cursor *c, char ch)
{
  skip_space (c);
  if (c->p < c->end && *c->p == ch)
    {
      c->p++;
      return TRUE;
    }
  return FALSE;
}

static gboolean
parse_error (GError **error, const char *what)
{
  g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "bad .npy header: %s", what);
  return FALSE;
}

/* A Python string literal without escapes (dtype strings and keys never need them). */
static gboolean
parse_string (Cursor *c, char **out, GError **error)
{
  char quote;
  const char *start;

  skip_space (c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
    return parse_error (error, "expected a quoted string");
  quote = *c->p++;
  start = c->p;
  while (c->p < c->end && *c->p != quote)
    {
      if (*c->p == '\\' || *c->p == '\n')
        return parse_error (error, "unsupported character in a string");
      c->p++;
    }
  if (c->p >= c->end)
    return parse_error (error, "unterminated string");
  *out = g_strndup (start, (gsize) (c->p - start));
  c->p++;
  return TRUE;
}

static gboolean
parse_bool (Cursor *c, gboolean *out, GError **error)
{
  skip_space (c);
  if ((gsize) (c->end - c->p) >= 4 && memcmp (c->p, "True", 4) == 0)
    {
      c->p += 4;
      *out = TRUE;
      return TRUE;
    }
  if ((gsize) (c->end - c->p) >= 5 && memcmp (c->p, "False", 5) == 0)
    {
      c->p += 5;
      *out = FALSE;
      return TRUE;
    }
  return parse_error (error, "'fortran_order' must be True or False");
}

/* "(3, 4)", "(3,)", "()"; every dimension a non-negative decimal integer. */
static gboolean
parse_shape (Cursor *c, int *ndim, int64_t *shape, GError **error)
{
  int n = 0;

  if (!accept (c, '('))
    return parse_error (error, "'shape' must be a tuple");
  if (accept (c, ')'))
    {
      *ndim = 0;
      return TRUE;
    }
  for (;;)
    {
      int64_t v = 0;
      const char *digits;

      skip_space (c);
      digits = c->p;
      while (c->p < c->end && g_ascii_isdigit (*c->p))
        {
          int d = *c->p - '0';
          if (v > (G_MAXINT64 - d) / 10)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                           "bad .npy header: a dimension of 'shape' overflows");
              return FALSE;
            }
          v = v * 10 + d;
          c->p++;
        }
      if (c->p == digits)
        return parse_error (error, "'shape' must hold non-negative integers");
      /* Python 2 era writers appended L to long integers */
      if (c->p < c->end && *c->p == 'L')
        c->p++;
      if (n >= REL_MAX_DIMS)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                       ".npy arrays of more than %d dimensions are not supported", REL_MAX_DIMS);
          return FALSE;
        }
      shape[n++] = v;
      if (accept (c, ')'))
        break;
      if (!accept (c, ','))
        return parse_error (error, "expected ',' or ')' in 'shape'");
      if (accept (c, ')'))
        break;
    }
  /* "(3)" is an integer in Python, not a tuple */
  *ndim = n;
  return TRUE;
}

typedef struct {
  char    *descr;
  gboolean fortran_order;
  int      ndim;
  int64_t  shape[REL_MAX_DIMS];
} NpyHeader;

static gboolean
parse_header (const char *text, gsize len, NpyHeader *h, GError **error)
{
  Cursor c = { text, text + len };
  gboolean have_descr = FALSE, have_order = FALSE, have_shape = FALSE;

  if (!accept (&c, '{'))
    return parse_error (error, "the header is not a dict");
  for (;;)
    {
      g_autofree char *key = NULL;

      if (accept (&c, '}'))
        break;
      if (!parse_string (&c, &key, error))
        return FALSE;
      if (!accept (&c, ':'))
        return parse_error (error, "expected ':' after a key");
      if (strcmp (key, "descr") == 0 && !have_descr)
        {
          skip_space (&c);
          if (c.p < c.end && (*c.p == '[' || *c.p == '{'))
            {
              g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                           "structured .npy arrays are not supported (float32 or float64 only)");
              return FALSE;
            }
          if (!parse_string (&c, &h->descr, error))
            return FALSE;
          have_descr = TRUE;
        }
      else if (strcmp (key, "fortran_order") == 0 && !have_order)
        {
          if (!parse_bool (&c, &h->fortran_order, error))
            return FALSE;
          have_order = TRUE;
        }
      else if (strcmp (key, "shape") == 0 && !have_shape)
        {
          if (!parse_shape (&c, &h->ndim, h->shape, error))
            return FALSE;
          have_shape = TRUE;
        }
      else
        {
          g_autofree char *shown = rel_quote (key, -1);
          g_autofree char *msg = g_strdup_printf ("unexpected or repeated key '%s'", shown);
          return parse_error (error, msg);
        }
      if (accept (&c, '}'))
        break;
      if (!accept (&c, ','))
        return parse_error (error, "expected ',' or '}' in the dict");
    }
  skip_space (&c);
  if (c.p != c.end)
    return parse_error (error, "trailing characters after the dict");
  if (!have_descr || !have_order || !have_shape)
    {
      g_autofree char *msg = g_strdup_printf ("the key '%s' is missing",
                                              !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
      return parse_error (error, msg);
    }
  return TRUE;
}

RelTensor *
rel_npy_load_data (const guint8 *data, gsize len, GError **error)
{
  NpyHeader h = { 0 };
  g_autoptr(RelTensor) t = NULL;
  guint major, minor;
  gsize header_len, offset, itemsize;
  int64_t numel;
  gboolean f64;

  if (len < NPY_MAGIC_LEN + 2 || memcmp (data, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "not a .npy file (bad magic)");
      return NULL;
    }
  major = data[6];
  minor = data[7];
  if (major == 1)
    {
      if (len < 10)
        goto truncated;
      header_len = (gsize) data[8] | (gsize) data[9] << 8;
      offset = 10;
    }
  else if (major == 2 || major == 3)
    {
      if (len < 12)
        goto truncated;
      header_len = (gsize) data[8] | (gsize) data[9] << 8 | (gsize) data[10] << 16 | (gsize) data[11] << 24;
      offset = 12;
    }
  else
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   ".npy format version %u.%u is not supported (1.0, 2.0, 3.0 are)", major, minor);
      return NULL;
    }
  if (header_len > NPY_MAX_HEADER)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "bad .npy header: its length %" G_GSIZE_FORMAT " exceeds %d bytes", header_len, NPY_MAX_HEADER);
      return NULL;
    }
  if (len - offset < header_len)
    goto truncated;

  {
    const char *text = (const char *) data + offset;
    /* v1/v2 headers are latin-1, v3 UTF-8; the grammar is ASCII either way */
    if (memchr (text, '\0', header_len) != NULL)
      {
        g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "bad .npy header: it contains a NUL byte");
        return NULL;
      }
    if (!parse_header (text, header_len, &h, error))
      {
        g_free (h.descr);
        return NULL;
      }
  }
  offset += header_len;

  if (strcmp (h.descr, "<f4") == 0)
    f64 = FALSE;
  else if (strcmp (h.descr, "<f8") == 0)
    f64 = TRUE;
  else
    {
      g_autofree char *shown = rel_quote (h.descr, -1);
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   ".npy data type '%s' is not supported (only '<f4' float32 and '<f8' float64)", shown);
      g_free (h.descr);
      return NULL;
    }
  g_clear_pointer (&h.descr, g_free);
  if (h.fortran_order)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   ".npy arrays in Fortran order are not supported; save a C-ordered array "
                   "(numpy.ascontiguousarray)");
      return NULL;
    }
  /* refuse an absurd shape before comparing sizes or allocating */
  if (!rel_shape_numel (h.ndim, h.shape, &numel, error))
    {
      g_prefix_error (error, ".npy: ");
      return NULL;
    }
  itemsize = f64 ? 8 : 4;
  if (len - offset != (gsize) numel * itemsize)
    {
      g_autofree char *s = rel_shape_to_string (h.ndim, h.shape);
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   ".npy data is %" G_GSIZE_FORMAT " bytes but the header's shape %s needs %" G_GSIZE_FORMAT,
                   len - offset, s, (gsize) numel * itemsize);
      return NULL;
    }

  t = rel_tensor_new_f32 (h.ndim, h.shape, error);
  if (t == NULL)
    return NULL;
  {
    float *dst = rel_tensor_f32 (t);
    const guint8 *src = data + offset;
    for (int64_t i = 0; i < numel; i++)
      {
        if (f64)
          {
            union { guint64 u; double d; } v;
            memcpy (&v.u, src + i * 8, 8);
            v.u = GUINT64_FROM_LE (v.u);
            dst[i] = (float) v.d;
          }
        else
          {
            union { guint32 u; float f; } v;
            memcpy (&v.u, src + i * 4, 4);
            v.u = GUINT32_FROM_LE (v.u);
            dst[i] = v.f;
          }
      }
  }
  return g_steal_pointer (&t);

truncated:
  g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "truncated .npy file (the header is incomplete)");
  return NULL;
}

RelTensor *
rel_npy_load (const char *path, GError **error)
{
  g_autoptr(GMappedFile) map = NULL;
  RelTensor *t;

  map = rel_file_map (path, ".npy file", REL_NPY_MAX_FILE_SIZE, error);
  if (map == NULL)
    return NULL;
  t = rel_npy_load_data ((const guint8 *) g_mapped_file_get_contents (map),
                         g_mapped_file_get_length (map), error);
  if (t == NULL)
    {
      g_autofree char *shown = rel_quote_path (path);
      g_prefix_error (error, "%s: ", shown);
    }
  return t;
}

static char *
build_header (const RelTensor *t, gsize *total)
{
  GString *h = g_string_new ("{'descr': '<f4', 'fortran_order': False, 'shape': (");
  gsize prefix, len;

  for (int i = 0; i < t->ndim; i++)
    g_string_append_printf (h, "%" G_GINT64_FORMAT "%s", t->shape[i],
                            t->ndim == 1 ? "," : i + 1 < t->ndim ? ", " : "");
  g_string_append (h, "), }");
  /* version 1 if the padded header fits its 16-bit length, else version 2 */
  prefix = (10 + h->len + 1 + 63) / 64 * 64 - 10 <= 65535 ? 10 : 12;
  len = (prefix + h->len + 1 + 63) / 64 * 64;
  while (prefix + h->len + 1 < len)
    g_string_append_c (h, ' ');
  g_string_append_c (h, '\n');
  *total = prefix + h->len;
  {
    GString *out = g_string_sized_new (*total);
    gsize hl = h->len;
    g_string_append_len (out, NPY_MAGIC, NPY_MAGIC_LEN);
    if (prefix == 10)
      {
        g_string_append_c (out, 1);
        g_string_append_c (out, 0);
        g_string_append_c (out, (char) (hl & 0xff));
        g_string_append_c (out, (char) (hl >> 8));
      }
    else
      {
        g_string_append_c (out, 2);
        g_string_append_c (out, 0);
        for (int k = 0; k < 4; k++)
          g_string_append_c (out, (char) ((hl >> (8 * k)) & 0xff));
      }
    g_string_append_len (out, h->str, (gssize) h->len);
    g_string_free (h, TRUE);
    return g_string_free (out, FALSE);
  }
}

gboolean
rel_npy_save (const char *path, const RelTensor *t, GError **error)
{
  g_autofree char *header = NULL;
  g_autoptr(RelAtomicFile) file = NULL;
  gsize header_len;

  if (t->dtype != REL_DTYPE_FLOAT32)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "only float32 tensors can be saved as .npy (got %s)", rel_dtype_name (t->dtype));
      return FALSE;
    }
  header = build_header (t, &header_len);
  /* a temporary renamed over @path: a failed write keeps the old file */
  if ((file = rel_atomic_file_open (path, error)) == NULL)
    return FALSE;
  if (!rel_atomic_file_write (file, header, header_len, error))
    return FALSE;
  if (G_BYTE_ORDER == G_LITTLE_ENDIAN)
    {
      if (!rel_atomic_file_write (file, t->data, sizeof (float) * (gsize) t->numel, error))
        return FALSE;
    }
  else
    {
      const guint32 *d = t->data;
      guint32 chunk[1024];
      for (int64_t i = 0; i < t->numel;)
        {
          int n = 0;
          for (; n < 1024 && i < t->numel; n++, i++)
            chunk[n] = GUINT32_TO_LE (d[i]);
          if (!rel_atomic_file_write (file, chunk, 4 * (gsize) n, error))
            return FALSE;
        }
    }
  return rel_atomic_file_commit (g_steal_pointer (&file), error);
}
