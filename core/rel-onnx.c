/* rel-onnx.c — ONNX protobuf → RelModel.
 *
 * The only file that sees protobuf-c. The file is mapped, its wire format is
 * walked once with a nesting limit (protobuf-c recurses without one), then
 * unpacked under a memory budget; the graph is copied into the core's own
 * structures (Constant nodes become constant values right away) and the
 * protobuf freed before rel_model_finish() and a validation forward pass on
 * zeros. Every size read from the file is checked before anything is
 * allocated from it, and every error names the tensor, node or file.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-onnx.h"
#include "rel-error.h"
#include "rel-file.h"
#include "rel-image.h"

#include "onnx.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Limits that refuse absurd files long before memory runs out; real image
 * classifiers have a few thousand nodes at most. */
#define MAX_NODES        100000
#define MAX_INITIALIZERS 100000
#define MAX_VALUES       1000000
#define MAX_NODE_IO      REL_OP_MAX_INPUTS
#define MAX_ATTRS        1024
#define MAX_NESTING      64
#define MIN_OPSET        1
#define MAX_OPSET        20
#define MIN_IR_VERSION   3
#define MAX_IR_VERSION   11

/* ---- reading files ---- */

/* Maps a regular file after checking its size; the caller unrefs. */
static GMappedFile *
map_file (const char *path, const char *what, GError **error)
{
  GMappedFile *mf;
  g_autofree char *shown = rel_quote_path (path);

  mf = rel_file_map (path, what, REL_ONNX_MAX_FILE_SIZE, error);
  if (mf == NULL)
    return NULL;
  if (g_mapped_file_get_length (mf) == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s '%s' is empty", what, shown);
      g_mapped_file_unref (mf);
      return NULL;
    }
  return mf;
}

/* ---- unpacking with a memory budget ---- */

/* protobuf-c's unpacked structs can be far larger than the bytes they came
 * from (a 2-byte empty message becomes a 100-byte struct, a 1-byte varint an
 * int64), so a small hostile file could ask for gigabytes. Unpacking gets a
 * budget proportional to the input instead. */
typedef struct {
  ProtobufCAllocator allocator;
  gsize used, limit;
  gboolean exhausted;
} UnpackBudget;

#define BUDGET_HEADER 16  /* keeps the blocks 16-byte aligned */

static void *
budget_alloc (void *data, size_t size)
{
  UnpackBudget *b = data;
  guint8 *p;

  if (size > b->limit - b->used)
    {
      b->exhausted = TRUE;
      return NULL;
    }
  p = malloc (size + BUDGET_HEADER);
  if (p == NULL)
    {
      b->exhausted = TRUE;
      return NULL;
    }
  b->used += size;
  memcpy (p, &size, sizeof size);
  return p + BUDGET_HEADER;
}

static void
budget_free (void *data, void *ptr)
{
  UnpackBudget *b = data;
  guint8 *p;
  size_t size;

  if (ptr == NULL)
    return;
  p = (guint8 *) ptr - BUDGET_HEADER;
  memcpy (&size, p, sizeof size);
  b->used -= size;
  free (p);
}

static void
budget_init (UnpackBudget *b, gsize input_len)
{
  b->allocator.alloc = budget_alloc;
  b->allocator.free = budget_free;
  b->allocator.allocator_data = b;
  b->used = 0;
  b->limit = (gsize) 64 * 1024 * 1024 + 8 * input_len;
  b->exhausted = FALSE;
}

static void
set_unpack_error (const UnpackBudget *b, const char *what, GError **error)
{
  if (b->exhausted)
    g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                 "the %s's structure needs more than %" G_GSIZE_FORMAT " MiB of memory to read; refused",
                 what, b->limit >> 20);
  else
    g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "not an ONNX %s or truncated", what);
}

/* ---- wire-format pre-check ---- */

static gboolean
read_varint (const guint8 *p, gsize len, gsize *pos, guint64 *out)
{
  guint64 v = 0;

  for (int shift = 0; shift < 64; shift += 7)
    {
      guint8 b;
      if (*pos >= len)
        return FALSE;
      b = p[(*pos)++];
      v |= (guint64) (b & 0x7f) << shift;
      if (!(b & 0x80))
        {
          *out = v;
          return TRUE;
        }
    }
  return FALSE;
}

/* Walks the message structure using the generated descriptors, so that a file
 * nesting messages (graph → node → attribute → graph …) deeper than
 * MAX_NESTING is refused before protobuf-c's recursive unpacker sees it. */
static gboolean
wire_check (const guint8 *p, gsize len, const ProtobufCMessageDescriptor *desc, int depth)
{
  gsize pos = 0;

  if (depth > MAX_NESTING)
    return FALSE;
  while (pos < len)
    {
      guint64 key, v;
      const ProtobufCFieldDescriptor *field;

      if (!read_varint (p, len, &pos, &key))
        return FALSE;
      switch (key & 7)
        {
        case 0:
          if (!read_varint (p, len, &pos, &v))
            return FALSE;
          break;
        case 1:
          if (len - pos < 8)
            return FALSE;
          pos += 8;
          break;
        case 5:
          if (len - pos < 4)
            return FALSE;
          pos += 4;
          break;
        case 2:
          if (!read_varint (p, len, &pos, &v) || v > len - pos)
            return FALSE;
          field = (key >> 3) <= G_MAXUINT32
                  ? protobuf_c_message_descriptor_get_field (desc, (unsigned) (key >> 3)) : NULL;
          if (field && field->type == PROTOBUF_C_TYPE_MESSAGE
              && !wire_check (p + pos, (gsize) v, field->descriptor, depth + 1))
            return FALSE;
          pos += (gsize) v;
          break;
        default:
          /* groups are not used by ONNX */
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- tensors ---- */

static const char *
data_type_name (int32_t t)
{
  static const char *const names[] = {
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
    "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
  };
  if (t >= 0 && t < (int32_t) G_N_ELEMENTS (names))
    return names[t];
  return "unknown";
}

/* Bytes per element in raw_data, or 0 for a type the core does not take. */
static gsize
raw_element_size (int32_t t)
{
  switch (t)
    {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
      return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
      return 8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
      return 2;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
      return 1;
    default:
      return 0;
    }
}

/* Decodes @numel little-endian elements of ONNX type @t into @out. */
static void
convert_raw (RelTensor *out, int32_t t, const guint8 *raw, int64_t numel)
{
  float *f = out->dtype == REL_DTYPE_FLOAT32 ? rel_tensor_f32 (out) : NULL;
  int64_t *q = out->dtype == REL_DTYPE_INT64 ? rel_tensor_i64 (out) : NULL;

  switch (t)
    {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
      memcpy (f, raw, (gsize) numel * 4);
#if G_BYTE_ORDER == G_BIG_ENDIAN
      for (int64_t i = 0; i < numel; i++)
        {
          guint32 u;
          memcpy (&u, &f[i], 4);
          u = GUINT32_FROM_LE (u);
          memcpy (&f[i], &u, 4);
        }
#endif
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
      for (int64_t i = 0; i < numel; i++)
        {
          guint64 u;
          double d;
          memcpy (&u, raw + 8 * i, 8);
          u = GUINT64_FROM_LE (u);
          memcpy (&d, &u, 8);
          f[i] = (float) d;
        }
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:  /* range-checked by the caller */
      for (int64_t i = 0; i < numel; i++)
        {
          guint64 u;
          memcpy (&u, raw + 8 * i, 8);
          q[i] = (int64_t) GUINT64_FROM_LE (u);
        }
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
      for (int64_t i = 0; i < numel; i++)
        {
          guint32 u;
          memcpy (&u, raw + 4 * i, 4);
          u = GUINT32_FROM_LE (u);
          q[i] = t == ONNX__TENSOR_PROTO__DATA_TYPE__INT32 ? (int64_t) (gint32) u : (int64_t) u;
        }
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
      for (int64_t i = 0; i < numel; i++)
        {
          guint16 u;
          memcpy (&u, raw + 2 * i, 2);
          u = GUINT16_FROM_LE (u);
          q[i] = t == ONNX__TENSOR_PROTO__DATA_TYPE__INT16 ? (int64_t) (gint16) u : (int64_t) u;
        }
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
      for (int64_t i = 0; i < numel; i++)
        {
          guint16 u;
          memcpy (&u, raw + 2 * i, 2);
          u = GUINT16_FROM_LE (u);
          f[i] = t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 ? rel_half_to_float (u) : rel_bfloat16_to_float (u);
        }
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
      for (int64_t i = 0; i < numel; i++)
        q[i] = (gint8) raw[i];
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
      for (int64_t i = 0; i < numel; i++)
        q[i] = raw[i];
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
      for (int64_t i = 0; i < numel; i++)
        q[i] = raw[i] != 0;
      break;
    default:
      g_assert_not_reached ();
    }
}

static const char *
external_entry (const Onnx__TensorProto *tp, const char *key)
{
  for (gsize i = 0; i < tp->n_external_data; i++)
    {
      const Onnx__StringStringEntryProto *e = tp->external_data[i];
      if (e->key && strcmp (e->key, key) == 0)
        return e->value ? e->value : "";
    }
  return NULL;
}

/* Reads exactly @nbytes of a tensor's external data. Only files inside the
 * model's folder are allowed: the location is relative, has no "..", and its
 * resolved path (symlinks followed) stays below the resolved folder. */
static guint8 *
read_external (const Onnx__TensorProto *tp, const char *name, const char *base_dir,
               gsize nbytes, GError **error)
{
  const char *location = external_entry (tp, "location");
  const char *offset_s = external_entry (tp, "offset");
  const char *length_s = external_entry (tp, "length");
  guint64 offset = 0, length = nbytes;
  g_autofree char *joined = NULL;
  g_autofree char *real_base = NULL;
  g_autofree char *real_file = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree guint8 *buf = NULL;
  g_autoptr(GError) local = NULL;
  struct stat st;
  gsize done = 0;
  int fd;

  if (location == NULL || location[0] == '\0')
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "tensor '%s' has external data without a location", name);
      return NULL;
    }
  if (base_dir == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "tensor '%s' keeps its data in the external file '%s', but the model was "
                   "loaded from memory; load it from its file instead", name, location);
      return NULL;
    }
  if (g_path_is_absolute (location))
    goto outside;
  parts = g_strsplit (location, "/", -1);
  for (int i = 0; parts[i]; i++)
    if (strcmp (parts[i], "..") == 0)
      goto outside;
  if (offset_s && !g_ascii_string_to_unsigned (offset_s, 10, 0, G_MAXINT64, &offset, &local))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "tensor '%s' has a bad external data offset '%s'", name, offset_s);
      return NULL;
    }
  if (length_s && !g_ascii_string_to_unsigned (length_s, 10, 0, G_MAXINT64, &length, &local))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "tensor '%s' has a bad external data length '%s'", name, length_s);
      return NULL;
    }
  if (length != nbytes)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "tensor '%s' declares %" G_GUINT64_FORMAT " bytes of external data; its shape needs %"
                   G_GSIZE_FORMAT, name, length, nbytes);
      return NULL;
    }

  joined = g_build_filename (base_dir, location, NULL);
  real_base = realpath (base_dir, NULL);
  real_file = realpath (joined, NULL);
  if (real_base == NULL || real_file == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING,
                   "external data file '%s' of tensor '%s' not found", location, name);
      return NULL;
    }
  if (!(g_str_has_prefix (real_file, real_base)
        && (real_file[strlen (real_base)] == '/' || strcmp (real_base, "/") == 0)))
    goto outside;

  {
    g_autoptr(GError) local = NULL;
    gint64 size = 0;
    fd = rel_file_open (real_file, "external data file", G_MAXINT64, &size, &local);
    if (fd < 0)
      {
        g_set_error (error, REL_ERROR, REL_ERROR_IO, "external data of tensor '%s': %s", name, local->message);
        return NULL;
      }
    st.st_size = (off_t) size;
  }
  if (offset > (guint64) st.st_size || length > (guint64) st.st_size - offset)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "external data file '%s' is too short for tensor '%s' (needs %" G_GUINT64_FORMAT
                   " bytes at offset %" G_GUINT64_FORMAT ")", location, name, length, offset);
      close (fd);
      return NULL;
    }
  buf = g_malloc (MAX (nbytes, 1));
  while (done < nbytes)
    {
      ssize_t r = pread (fd, buf + done, nbytes - done, (off_t) (offset + done));
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_IO, "cannot read external data file '%s' of tensor '%s'",
                       location, name);
          close (fd);
          return NULL;
        }
      done += (gsize) r;
    }
  close (fd);
  return g_steal_pointer (&buf);

outside:
  g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
               "tensor '%s' refers to external data '%s' outside the model's folder; "
               "only relative paths inside it are allowed", name, location);
  return NULL;
}

/* What tensor_from_proto's steps share about one TensorProto. */
typedef struct {
  const Onnx__TensorProto *tp;
  const char *name;                /* quoted, for messages */
  int32_t     t;                   /* the ONNX data type */
  int64_t     shape[REL_MAX_DIMS];
  int64_t     numel;
  gsize       nbytes;              /* of the raw (little-endian) data */
} ProtoTensor;

/* Checks the type and dims and sets shape, numel and nbytes; nothing is
 * allocated from the file's numbers before rel_shape_numel has bounded them. */
static gboolean
proto_tensor_shape (ProtoTensor *pt, GError **error)
{
  const Onnx__TensorProto *tp = pt->tp;
  const char *name = pt->name;
  gsize esize = raw_element_size (pt->t);

  if (esize == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "tensor '%s' has data type %s; only float (16, 32 or 64-bit) and integer tensors are supported",
                   name, data_type_name (pt->t));
      return FALSE;
    }
  if (tp->segment)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "tensor '%s' is segmented, which is not supported", name);
      return FALSE;
    }
  if (tp->n_dims > REL_MAX_DIMS)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "tensor '%s' has %" G_GSIZE_FORMAT " dimensions; at most %d are supported",
                   name, tp->n_dims, REL_MAX_DIMS);
      return FALSE;
    }
  for (gsize i = 0; i < tp->n_dims; i++)
    pt->shape[i] = tp->dims[i];
  /* validates the dims and the element limit before anything is allocated */
  if (!rel_shape_numel ((int) tp->n_dims, pt->shape, &pt->numel, error))
    {
      g_prefix_error (error, "tensor '%s': ", name);
      return FALSE;
    }
  pt->nbytes = (gsize) pt->numel * esize;
  return TRUE;
}

/* How many values the type's repeated field holds (the field ONNX assigns
 * to each data type). */
static gsize
proto_tensor_n_typed (const ProtoTensor *pt)
{
  const Onnx__TensorProto *tp = pt->tp;
  switch (pt->t)
    {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:  return tp->n_float_data;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return tp->n_double_data;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:  return tp->n_int64_data;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: return tp->n_uint64_data;
    default:                                    return tp->n_int32_data;
    }
}

/* The data must be exactly what the shape needs: raw (or external) bytes if
 * there are any, else as many typed values as elements. */
static gboolean
proto_tensor_check_size (const ProtoTensor *pt, const guint8 *raw, gsize raw_len, gsize n_typed, GError **error)
{
  const Onnx__TensorProto *tp = pt->tp;
  if (raw != NULL || tp->has_raw_data || (pt->numel > 0 && n_typed == 0))
    {
      if (raw == NULL && !tp->has_raw_data)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "tensor '%s' has no data", pt->name);
          return FALSE;
        }
      if (raw_len != pt->nbytes)
        {
          g_autofree char *s = rel_shape_to_string ((int) tp->n_dims, pt->shape);
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                       "tensor '%s' (%s, shape %s) has %" G_GSIZE_FORMAT " bytes of data; expected %" G_GSIZE_FORMAT,
                       pt->name, data_type_name (pt->t), s, raw_len, pt->nbytes);
          return FALSE;
        }
    }
  else if (n_typed != (gsize) pt->numel)
    {
      g_autofree char *s = rel_shape_to_string ((int) tp->n_dims, pt->shape);
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "tensor '%s' (%s, shape %s) has %" G_GSIZE_FORMAT " values; expected %" G_GINT64_FORMAT,
                   pt->name, data_type_name (pt->t), s, n_typed, pt->numel);
      return FALSE;
    }
  return TRUE;
}

/* Copies the typed repeated field into out (float32 or int64); its length was
 * checked against numel. */
static void
proto_tensor_convert_typed (const ProtoTensor *pt, RelTensor *out)
{
  const Onnx__TensorProto *tp = pt->tp;
  int64_t numel = pt->numel;
  switch (pt->t)
    {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
      memcpy (rel_tensor_f32 (out), tp->float_data, (gsize) numel * sizeof (float));
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
      for (int64_t i = 0; i < numel; i++)
        rel_tensor_f32 (out)[i] = (float) tp->double_data[i];
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
      memcpy (rel_tensor_i64 (out), tp->int64_data, (gsize) numel * sizeof (int64_t));
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
      for (int64_t i = 0; i < numel; i++)
        rel_tensor_i64 (out)[i] = tp->int32_data[i] != 0;
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
      for (int64_t i = 0; i < numel; i++)
        rel_tensor_i64 (out)[i] = (guint8) tp->int32_data[i];
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:   /* the bits, one value per int32 */
      for (int64_t i = 0; i < numel; i++)
        rel_tensor_f32 (out)[i] = rel_half_to_float ((guint16) tp->int32_data[i]);
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
      for (int64_t i = 0; i < numel; i++)
        rel_tensor_f32 (out)[i] = rel_bfloat16_to_float ((guint16) tp->int32_data[i]);
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
      for (int64_t i = 0; i < numel; i++)
        rel_tensor_i64 (out)[i] = (guint16) tp->int32_data[i];
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
      for (int64_t i = 0; i < numel; i++)
        rel_tensor_i64 (out)[i] = (guint32) tp->uint64_data[i];
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
      for (int64_t i = 0; i < numel; i++)
        rel_tensor_i64 (out)[i] = (int64_t) tp->uint64_data[i];
      break;
    default:
      for (int64_t i = 0; i < numel; i++)
        rel_tensor_i64 (out)[i] = tp->int32_data[i];
      break;
    }
}

/* Converts a TensorProto; @fallback_name names it in messages when the file
 * gives no name (Constant values usually have none). @base_dir is the model's
 * folder for external data, NULL when loading from memory. */
static RelTensor *
tensor_from_proto (const Onnx__TensorProto *tp, const char *fallback_name, const char *base_dir,
                   GError **error)
{
  /* only for messages: a file's name may be long or not UTF-8 */
  g_autofree char *name = rel_quote (tp->name && tp->name[0] ? tp->name : fallback_name, -1);
  ProtoTensor pt = {
    .tp = tp, .name = name,
    .t = tp->has_data_type ? tp->data_type : ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED,
  };
  int32_t t = pt.t;
  g_autoptr(RelTensor) out = NULL;
  g_autofree guint8 *external = NULL;
  const guint8 *raw = NULL;
  gsize raw_len = 0;
  RelDType dtype;

  if (!proto_tensor_shape (&pt, error))
    return NULL;
  /* every float type is computed in float32 */
  dtype = t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || t == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE
          || t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 || t == ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16
          ? REL_DTYPE_FLOAT32 : REL_DTYPE_INT64;

  if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    {
      external = read_external (tp, name, base_dir, pt.nbytes, error);
      if (external == NULL)
        return NULL;
      raw = external;
      raw_len = pt.nbytes;
    }
  else if (tp->has_raw_data)
    {
      raw = tp->raw_data.data;
      raw_len = tp->raw_data.len;
    }
  if (!proto_tensor_check_size (&pt, raw, raw_len, proto_tensor_n_typed (&pt), error))
    return NULL;

  out = rel_tensor_new (dtype, (int) tp->n_dims, pt.shape, error);
  if (out == NULL)
    return NULL;
  if (pt.numel == 0)
    return g_steal_pointer (&out);
  if (raw != NULL)
    convert_raw (out, t, raw, pt.numel);
  else
    proto_tensor_convert_typed (&pt, out);
  /* uint64 is stored as int64: only exact while below 2^63 */
  if (t == ONNX__TENSOR_PROTO__DATA_TYPE__UINT64)
    for (int64_t i = 0; i < pt.numel; i++)
      if (rel_tensor_i64 (out)[i] < 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                       "tensor '%s' (UINT64) holds a value above 2^63 - 1, which int64 cannot represent", name);
          return NULL;
        }
  return g_steal_pointer (&out);
}

/* ---- graph ---- */

static RelDType
dtype_from_elem_type (int32_t t, gboolean *known)
{
  *known = TRUE;
  switch (t)
    {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
      return REL_DTYPE_FLOAT32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
      return REL_DTYPE_INT64;
    default:
      *known = FALSE;
      return REL_DTYPE_FLOAT32;
    }
}

/* Records a declared type and shape (dim_value > 0; dim_param or unknown → -1).
 * Returns the declared ONNX element type, 0 if none. */
static int32_t
record_value_info (RelValue *v, const Onnx__ValueInfoProto *vi)
{
  const Onnx__TypeProto *type = vi->type;
  const Onnx__TypeProto__Tensor *tt;
  gboolean known;

  if (type == NULL || type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || type->tensor_type == NULL)
    return 0;
  tt = type->tensor_type;
  if (tt->has_elem_type)
    v->dtype = dtype_from_elem_type (tt->elem_type, &known);
  if (tt->shape && tt->shape->n_dim <= REL_MAX_DIMS)
    {
      v->ndim = (int) tt->shape->n_dim;
      for (int i = 0; i < v->ndim; i++)
        {
          const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
          v->shape[i] = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                        && d->dim_value > 0 ? d->dim_value : -1;
        }
    }
  return tt->has_elem_type ? tt->elem_type : 0;
}

static gboolean
is_default_domain (const char *domain)
{
  return domain == NULL || domain[0] == '\0' || strcmp (domain, "ai.onnx") == 0;
}

static gboolean
copy_attr (RelAttr *a, const Onnx__AttributeProto *ap, const char *node_name, const char *op_type,
           const char *base_dir, GError **error)
{
  Onnx__AttributeProto__AttributeType type = ap->type;

  a->name = g_strdup (ap->name);
  /* IR version 1 files set no type: infer it from the field present */
  if (!ap->has_type || type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
    {
      if (ap->t)
        type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
      else if (ap->n_floats)
        type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
      else if (ap->n_ints)
        type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
      else if (ap->n_strings)
        type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
      else if (ap->has_f)
        type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
      else if (ap->has_i)
        type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
      else if (ap->has_s)
        type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    }
  switch (type)
    {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
      a->type = REL_ATTR_FLOAT;
      a->f = ap->f;
      return TRUE;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
      a->type = REL_ATTR_INT;
      a->i = ap->i;
      return TRUE;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
      a->type = REL_ATTR_STRING;
      a->s = g_strndup ((const char *) ap->s.data, ap->s.len);
      return TRUE;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
      {
        g_autofree char *fallback = g_strdup_printf ("%s.%s", node_name, ap->name);
        a->type = REL_ATTR_TENSOR;
        if (ap->t == NULL)
          break;
        a->t = tensor_from_proto (ap->t, fallback, base_dir, error);
        return a->t != NULL;
      }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
      if (ap->n_floats > G_MAXINT)
        break;
      a->type = REL_ATTR_FLOATS;
      a->n = (int) ap->n_floats;
      a->floats = g_memdup2 (ap->floats, ap->n_floats * sizeof (float));
      return TRUE;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
      if (ap->n_ints > G_MAXINT)
        break;
      a->type = REL_ATTR_INTS;
      a->n = (int) ap->n_ints;
      a->ints = g_memdup2 (ap->ints, ap->n_ints * sizeof (int64_t));
      return TRUE;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
      if (ap->n_strings > G_MAXINT)
        break;
      a->type = REL_ATTR_STRINGS;
      a->n = (int) ap->n_strings;
      a->strings = g_new0 (char *, ap->n_strings + 1);
      for (gsize i = 0; i < ap->n_strings; i++)
        a->strings[i] = g_strndup ((const char *) ap->strings[i].data, ap->strings[i].len);
      return TRUE;
    default:
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "attribute '%s' of node '%s' (%s) is a graph, sparse tensor or type; not supported",
                   ap->name, node_name, op_type);
      return FALSE;
    }
  g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
               "attribute '%s' of node '%s' (%s) has no value", ap->name, node_name, op_type);
  return FALSE;
}

/* A Constant node becomes a constant value directly; its op would only copy
 * the attribute at fold time. */
static RelTensor *
constant_value (const Onnx__NodeProto *np, const char *node_name, const char *base_dir, GError **error)
{
  const Onnx__AttributeProto *ap;
  int64_t n;

  if (np->n_attribute != 1 || np->attribute[0]->name == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                   "Constant node '%s' must have exactly one value attribute", node_name);
      return NULL;
    }
  ap = np->attribute[0];
  if (strcmp (ap->name, "value") == 0 && ap->t)
    {
      g_autofree char *fallback = g_strdup_printf ("%s.value", node_name);
      return tensor_from_proto (ap->t, fallback, base_dir, error);
    }
  if (strcmp (ap->name, "value_float") == 0 && ap->has_f)
    return rel_tensor_new_from_f32 (0, NULL, &ap->f, error);
  if (strcmp (ap->name, "value_floats") == 0)
    {
      n = (int64_t) ap->n_floats;
      return rel_tensor_new_from_f32 (1, &n, ap->floats, error);
    }
  if ((strcmp (ap->name, "value_int") == 0 && ap->has_i) || strcmp (ap->name, "value_ints") == 0)
    {
      gboolean scalar = strcmp (ap->name, "value_int") == 0;
      RelTensor *t;
      n = scalar ? 1 : (int64_t) ap->n_ints;
      t = rel_tensor_new (REL_DTYPE_INT64, scalar ? 0 : 1, &n, error);
      if (t && n > 0)
        memcpy (rel_tensor_i64 (t), scalar ? &ap->i : ap->ints, (gsize) n * sizeof (int64_t));
      return t;
    }
  g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
               "Constant node '%s' has a '%s' attribute; only value, value_float(s) and value_int(s) are supported",
               node_name, ap->name);
  return NULL;
}

static gboolean
check_model_header (const Onnx__ModelProto *mp, int64_t *opset, GError **error)
{
  gboolean found = FALSE;

  if (mp->graph == NULL || !mp->has_ir_version)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "not an ONNX model (no %s)",
                   mp->graph == NULL ? "graph" : "IR version");
      return FALSE;
    }
  if (mp->ir_version < MIN_IR_VERSION || mp->ir_version > MAX_IR_VERSION)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "ONNX IR version %" G_GINT64_FORMAT " is not supported (%d to %d are)",
                   (gint64) mp->ir_version, MIN_IR_VERSION, MAX_IR_VERSION);
      return FALSE;
    }
  for (gsize i = 0; i < mp->n_opset_import; i++)
    {
      const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
      if (is_default_domain (o->domain) && o->has_version)
        {
          *opset = o->version;
          found = TRUE;
        }
    }
  if (!found)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "the model imports no opset of the default ONNX domain");
      return FALSE;
    }
  if (*opset < MIN_OPSET || *opset > MAX_OPSET)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "ONNX opset %" G_GINT64_FORMAT " is not supported (opsets %d to %d are)",
                   (gint64) *opset, MIN_OPSET, MAX_OPSET);
      return FALSE;
    }
  return TRUE;
}

/* @alloc is the unpacking allocator: each weight's protobuf copy is released
 * as soon as it is converted, so loading peaks near one copy of the weights
 * instead of two. */
static gboolean
add_initializers (RelModel *model, const Onnx__GraphProto *g, const char *base_dir,
                  ProtobufCAllocator *alloc, GError **error)
{
  for (gsize i = 0; i < g->n_initializer; i++)
    {
      Onnx__TensorProto *tp = g->initializer[i];
      RelValue *v;
      int id;

      if (tp->name == NULL || tp->name[0] == '\0')
        {
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "initializer %" G_GSIZE_FORMAT " has no name", i);
          return FALSE;
        }
      if (rel_model_find_value (model, tp->name) >= 0)
        {
          g_autofree char *shown = rel_quote (tp->name, -1);
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "initializer '%s' appears twice", shown);
          return FALSE;
        }
      id = rel_model_intern_value (model, tp->name);
      v = rel_model_value (model, id);
      v->constant = tensor_from_proto (tp, tp->name, base_dir, error);
      if (v->constant == NULL)
        return FALSE;
      if (tp->has_raw_data && tp->raw_data.data)
        {
          alloc->free (alloc->allocator_data, tp->raw_data.data);
          tp->raw_data.data = NULL;
          tp->raw_data.len = 0;
        }
      v->dtype = v->constant->dtype;
      v->ndim = v->constant->ndim;
      memcpy (v->shape, v->constant->shape, sizeof v->shape);
    }
  return TRUE;
}

static gboolean
add_io (RelModel *model, const Onnx__GraphProto *g, GError **error)
{
  g_autoptr(GPtrArray) runtime = g_ptr_array_new ();
  const Onnx__ValueInfoProto *in = NULL;
  RelValue *v;
  int32_t elem;

  for (gsize i = 0; i < g->n_input; i++)
    {
      const Onnx__ValueInfoProto *vi = g->input[i];
      /* before IR 4, initializers were also listed as inputs */
      if (vi->name == NULL || vi->name[0] == '\0' || rel_model_find_value (model, vi->name) >= 0)
        continue;
      g_ptr_array_add (runtime, vi->name);
      if (in == NULL)
        in = vi;
    }
  if (in == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "the model has no runtime input");
      return FALSE;
    }
  if (runtime->len > 1)
    {
      g_autofree char *names = NULL;
      g_ptr_array_add (runtime, NULL);
      names = g_strjoinv ("', '", (char **) runtime->pdata);
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "the model has %u runtime inputs ('%s'); only models with a single input are supported",
                   runtime->len - 1, names);
      return FALSE;
    }
  model->input = rel_model_intern_value (model, in->name);
  v = rel_model_value (model, model->input);
  elem = record_value_info (v, in);
  if (elem != 0 && elem != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "the model's input '%.80s' has data type %s; only float32 inputs are supported",
                   in->name, data_type_name (elem));
      return FALSE;
    }

  if (g->n_output == 0 || g->output[0]->name == NULL || g->output[0]->name[0] == '\0')
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "the model has no output");
      return FALSE;
    }
  model->output = rel_model_intern_value (model, g->output[0]->name);
  /* an initializer's own shape wins over what the output declares */
  v = rel_model_value (model, model->output);
  if (v->constant == NULL)
    record_value_info (v, g->output[0]);
  return TRUE;
}

static gboolean
check_value_count (RelModel *model, GError **error)
{
  if (model->values->len > MAX_VALUES)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                   "the graph has more than %d tensors", MAX_VALUES);
      return FALSE;
    }
  return TRUE;
}

/* Opsets before 7 spelled a few things differently. The ops read their old
 * attributes themselves (Reshape's 'shape', Pad's 'paddings', Cast's type
 * name, Concat's default axis, legacy broadcasting in Add/Sub/Mul/Div);
 * what none of them computes is refused here by name instead of being
 * computed with today's meaning. */
static gboolean
check_legacy_node (const RelModel *model, const RelNode *node, GError **error)
{
  /* node->op is set when the model is prepared, after loading */
  const RelOpDef *op = rel_op_lookup (node->op_type);

  if (model->opset >= 7)
    return TRUE;
  if (rel_node_attr_int (node, "broadcast", 0) == 1 && rel_node_attr (node, "axis") != NULL
      && !(op->flags & REL_OP_LEGACY_BROADCAST))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "node '%s' (%s) broadcasts at an axis (opset %" G_GINT64_FORMAT "), which only Add, Sub, Mul "
                   "and Div support", node->name, node->op_type, model->opset);
      return FALSE;
    }
  if (op->id == REL_OP_BATCH_NORMALIZATION && rel_node_attr_int (node, "spatial", 1) == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                   "node '%s': BatchNormalization with spatial = 0 (statistics per activation) is not supported",
                   node->name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
add_nodes (RelModel *model, const Onnx__GraphProto *g, const char *base_dir, GError **error)
{
  model->nodes = g_new0 (RelNode, MAX (g->n_node, 1));
  for (gsize i = 0; i < g->n_node; i++)
    {
      const Onnx__NodeProto *np = g->node[i];
      g_autofree char *name = NULL;
      const char *op_type = np->op_type;
      const RelOpDef *op;
      RelNode *node;
      int n_out;

      if (op_type == NULL || op_type[0] == '\0')
        {
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "node %" G_GSIZE_FORMAT " has no operator type", i);
          return FALSE;
        }
      name = np->name && np->name[0] ? g_strdup (np->name)
                                     : g_strdup_printf ("%s_%" G_GSIZE_FORMAT, op_type, i);
      /* names and types from the file, fit for messages */
      g_autofree char *name_q = rel_quote (name, -1);
      g_autofree char *op_q = rel_quote (op_type, -1);
      g_autofree char *domain_q = rel_quote (np->domain, -1);
      if (!is_default_domain (np->domain))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                       "node '%s' uses operator '%s' of domain '%s'; only the default ONNX domain (ai.onnx) is supported",
                       name_q, op_q, domain_q);
          return FALSE;
        }
      if (np->n_input > MAX_NODE_IO || np->n_output > MAX_NODE_IO || np->n_attribute > MAX_ATTRS)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                       "node '%s' (%s) has too many inputs, outputs or attributes", name_q, op_q);
          return FALSE;
        }
      /* trailing omitted optional outputs (""), e.g. Dropout's mask, are dropped */
      n_out = (int) np->n_output;
      while (n_out > 0 && (np->output[n_out - 1] == NULL || np->output[n_out - 1][0] == '\0'))
        n_out--;
      if (n_out == 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "node '%s' (%s) has no output", name_q, op_q);
          return FALSE;
        }

      /* a Constant becomes the value itself, not a node */
      if (strcmp (op_type, rel_op_name (REL_OP_CONSTANT)) == 0)
        {
          RelValue *v;
          RelTensor *t;
          int id;

          if (n_out != 1)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "Constant node '%s' must have one output", name_q);
              return FALSE;
            }
          t = constant_value (np, name_q, base_dir, error);
          if (t == NULL)
            return FALSE;
          id = rel_model_intern_value (model, np->output[0]);
          v = rel_model_value (model, id);
          if (v->constant || id == model->input)
            {
              g_autofree char *vname_q = rel_quote (v->name, -1);
              rel_tensor_unref (t);
              g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                           "tensor '%s' is produced more than once (node '%s')", vname_q, name_q);
              return FALSE;
            }
          v->constant = t;
          v->dtype = t->dtype;
          v->ndim = t->ndim;
          memcpy (v->shape, t->shape, sizeof v->shape);
          continue;
        }

      op = rel_op_lookup (op_type);
      if (op == NULL)
        {
          g_autofree char *supported = rel_op_names_joined ();
          g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED,
                       "unsupported operator '%s' (node '%s'); supported operators: %s",
                       op_q, name_q, supported);
          return FALSE;
        }
      /* kernels may rely on their required inputs being present */
      for (gsize k = 0; k < np->n_input && (int) k < op->min_inputs; k++)
        if (np->input[k] == NULL || np->input[k][0] == '\0')
          {
            g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                         "node '%s' (%s) omits its required input %" G_GSIZE_FORMAT, name_q, op_q, k);
            return FALSE;
          }

      node = &model->nodes[model->n_nodes++];
      node->name = g_steal_pointer (&name);
      node->op_type = g_strdup (op_type);
      node->n_inputs = (int) np->n_input;
      node->inputs = g_new (int, MAX (np->n_input, 1));
      for (gsize k = 0; k < np->n_input; k++)
        node->inputs[k] = np->input[k] && np->input[k][0]
                          ? rel_model_intern_value (model, np->input[k]) : -1;
      node->n_outputs = n_out;
      node->outputs = g_new (int, n_out);
      for (int k = 0; k < n_out; k++)
        {
          if (np->output[k] && np->output[k][0])
            node->outputs[k] = rel_model_intern_value (model, np->output[k]);
          else
            {
              /* an omitted output before a used one still needs a slot */
              g_autofree char *synth = g_strdup_printf ("%s:output%d", node->name, k);
              node->outputs[k] = rel_model_intern_value (model, synth);
            }
        }
      node->attrs = g_new0 (RelAttr, MAX (np->n_attribute, 1));
      for (gsize k = 0; k < np->n_attribute; k++)
        {
          const Onnx__AttributeProto *ap = np->attribute[k];
          if (ap->name == NULL || ap->name[0] == '\0')
            {
              g_set_error (error, REL_ERROR, REL_ERROR_PARSE,
                           "node '%s' (%s) has an attribute without a name", name_q, op_q);
              return FALSE;
            }
          node->n_attrs++;
          if (!copy_attr (&node->attrs[k], ap, node->name, op_type, base_dir, error))
            return FALSE;
        }
      if (!check_legacy_node (model, node, error))
        return FALSE;
      if (!check_value_count (model, error))
        return FALSE;
    }
  return TRUE;
}

static RelModel *
model_from_proto (const Onnx__ModelProto *mp, const char *base_dir, ProtobufCAllocator *alloc,
                  GError **error)
{
  g_autoptr(RelModel) model = NULL;
  const Onnx__GraphProto *g;
  int64_t opset = 0;

  if (!check_model_header (mp, &opset, error))
    return NULL;
  g = mp->graph;
  if (g->n_node > MAX_NODES || g->n_initializer > MAX_INITIALIZERS)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                   "the graph has %" G_GSIZE_FORMAT " nodes and %" G_GSIZE_FORMAT
                   " initializers; the limits are %d and %d",
                   g->n_node, g->n_initializer, MAX_NODES, MAX_INITIALIZERS);
      return NULL;
    }
  if (g->n_sparse_initializer > 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED, "sparse initializers are not supported");
      return NULL;
    }

  model = rel_model_new ();
  model->opset = opset;
  model->producer_name = g_strdup (mp->producer_name ? mp->producer_name : "");
  for (gsize i = 0; i < mp->n_metadata_props; i++)
    {
      const Onnx__StringStringEntryProto *e = mp->metadata_props[i];
      if (e->key)
        g_hash_table_replace (model->metadata, g_strdup (e->key), g_strdup (e->value ? e->value : ""));
    }

  if (!add_initializers (model, g, base_dir, alloc, error)
      || !add_io (model, g, error)
      || !add_nodes (model, g, base_dir, error))
    return NULL;

  /* declared shapes of intermediate values, for views; never overrides a constant */
  for (gsize i = 0; i < g->n_value_info; i++)
    {
      int id = rel_model_find_value (model, g->value_info[i]->name);
      RelValue *v = rel_model_value (model, id);
      if (v && v->constant == NULL && v->ndim < 0)
        record_value_info (v, g->value_info[i]);
    }
  return g_steal_pointer (&model);
}

/* One forward pass on zeros: a weight whose shape does not fit its layer
 * becomes a load-time error naming the node instead of a failure later. */
static gboolean
validate_forward (RelModel *model, GError **error)
{
  RelValue *in = rel_model_value (model, model->input);
  RelValue *out;
  int64_t shape[REL_MAX_DIMS];
  int ndim;
  g_autoptr(RelTensor) zero = NULL;
  g_autoptr(RelActivations) acts = NULL;
  RelTensor *y;

  /* dynamic spatial dims: nothing to run on; a fixed batch > 1 would make the
   * check cost as much as a whole batch (the first real run still names the node) */
  if (in->ndim < 1 || in->dtype != REL_DTYPE_FLOAT32 || in->shape[0] > 1
      || !rel_model_input_shape (model, 1, &ndim, shape, NULL))
    return TRUE;
  zero = rel_tensor_new_f32 (ndim, shape, error);
  if (zero == NULL)
    {
      g_prefix_error (error, "input '%s': ", in->name);
      return FALSE;
    }
  acts = rel_model_forward (model, zero, NULL, error);
  if (acts == NULL)
    return FALSE;

  /* fill in an output shape the file left open (batch stays dynamic) */
  out = rel_model_value (model, model->output);
  y = rel_activations_output (acts);
  if (out->constant == NULL && y && (out->ndim < 0 || out->ndim == y->ndim))
    {
      gboolean batch_dynamic = in->shape[0] <= 0;
      if (out->ndim < 0)
        {
          out->ndim = y->ndim;
          for (int i = 0; i < y->ndim; i++)
            out->shape[i] = i == 0 && batch_dynamic ? -1 : y->shape[i];
          out->dtype = y->dtype;
        }
      else
        for (int i = 1; i < y->ndim; i++)
          if (out->shape[i] <= 0)
            out->shape[i] = y->shape[i];
    }
  return TRUE;
}

/* @mapped: @data is a private file mapping the loader may drop once unpacked. */
static RelModel *
load_model (const guint8 *data, gsize len, gboolean mapped, const char *base_dir, const char *path,
            GError **error)
{
  Onnx__ModelProto *mp;
  g_autoptr(RelModel) model = NULL;
  UnpackBudget budget;

  if (len == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "not an ONNX model: the data is empty");
      return NULL;
    }
  if ((guint64) len > (guint64) REL_ONNX_MAX_FILE_SIZE)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "the model is larger than %" G_GINT64_FORMAT " bytes",
                   (gint64) REL_ONNX_MAX_FILE_SIZE);
      return NULL;
    }
  budget_init (&budget, len);
  if (!wire_check (data, len, &onnx__model_proto__descriptor, 0)
      || (mp = onnx__model_proto__unpack (&budget.allocator, len, data)) == NULL)
    {
      set_unpack_error (&budget, "model", error);
      return NULL;
    }
#ifdef MADV_DONTNEED
  /* protobuf-c copied everything: the file's pages need not stay resident
   * while the weights are converted (a large model would be held three times) */
  if (mapped)
    madvise ((void *) data, len, MADV_DONTNEED);
#endif
  model = model_from_proto (mp, base_dir, &budget.allocator, error);
  /* the protobuf holds a second copy of every weight: drop it before running anything */
  onnx__model_proto__free_unpacked (mp, &budget.allocator);
  if (model == NULL)
    return NULL;
  /* set before finishing: preprocessing looks for a sidecar file next to the model */
  model->path = g_strdup (path);

  if (!check_value_count (model, error)
      || !rel_model_finish (model, error)
      || !rel_model_resolve_preprocess (model, error)
      || !validate_forward (model, error))
    return NULL;
  return g_steal_pointer (&model);
}

RelModel *
rel_model_load_from_data (const guint8 *data, gsize len, const char *base_dir, GError **error)
{
  RelModel *model;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  model = load_model (data, len, FALSE, base_dir, NULL, error);
  if (model == NULL && error && *error)
    rel_error_make_printable (*error);
  return model;
}

RelModel *
rel_model_load (const char *path, GError **error)
{
  g_autoptr(GMappedFile) mf = NULL;
  g_autofree char *dir = NULL;
  RelModel *model;

  g_return_val_if_fail (path != NULL, NULL);

  mf = map_file (path, "model", error);
  if (mf == NULL)
    return NULL;
  dir = g_path_get_dirname (path);
  model = load_model ((const guint8 *) g_mapped_file_get_contents (mf),
                      g_mapped_file_get_length (mf), TRUE, dir, path, error);
  if (model == NULL && error && *error)
    {
      g_autofree char *shown = rel_quote_path (path);
      /* whatever file-derived text a message still holds: printable, bounded */
      rel_error_make_printable (*error);
      g_prefix_error (error, "%s: ", shown);
    }
  return model;
}

static RelTensor *
load_tensor (const guint8 *data, gsize len, const char *base_dir, GError **error)
{
  Onnx__TensorProto *tp;
  RelTensor *t;
  UnpackBudget budget;

  budget_init (&budget, len);
  if (len == 0 || (guint64) len > (guint64) REL_ONNX_MAX_FILE_SIZE
      || !wire_check (data, len, &onnx__tensor_proto__descriptor, 0)
      || (tp = onnx__tensor_proto__unpack (&budget.allocator, len, data)) == NULL)
    {
      set_unpack_error (&budget, "tensor", error);
      return NULL;
    }
  t = tensor_from_proto (tp, "(unnamed)", base_dir, error);
  onnx__tensor_proto__free_unpacked (tp, &budget.allocator);
  return t;
}

RelTensor *
rel_onnx_load_tensor_data (const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  return load_tensor (data, len, NULL, error);
}

RelTensor *
rel_onnx_load_tensor_file (const char *path, GError **error)
{
  g_autoptr(GMappedFile) mf = NULL;
  g_autofree char *dir = NULL;
  RelTensor *t;

  g_return_val_if_fail (path != NULL, NULL);

  mf = map_file (path, "tensor file", error);
  if (mf == NULL)
    return NULL;
  dir = g_path_get_dirname (path);
  t = load_tensor ((const guint8 *) g_mapped_file_get_contents (mf), g_mapped_file_get_length (mf), dir, error);
  if (t == NULL && error && *error)
    {
      g_autofree char *shown = rel_quote_path (path);
      rel_error_make_printable (*error);
      g_prefix_error (error, "%s: ", shown);
    }
  return t;
}
