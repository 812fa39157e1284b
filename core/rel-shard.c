/* rel-shard.c — shard assignment and partial files (see rel-shard.h).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-shard.h"
#include "rel-error.h"
#include "rel-file.h"

#include <stdlib.h>
#include <string.h>

#define PART_MAGIC "RELPART1"
#define PART_MAX_BYTES (G_GINT64_CONSTANT (1) << 40)

gboolean
rel_shard_parse (const char *text, int *k, int *n, GError **error)
{
  const char *slash = text ? strchr (text, '/') : NULL;
  guint64 a = 0, b = 0;
  g_autofree char *ka = slash ? g_strndup (text, slash - text) : NULL;
  if (slash == NULL || !g_ascii_string_to_unsigned (ka, 10, 1, REL_SHARD_MAX, &a, NULL)
      || !g_ascii_string_to_unsigned (slash + 1, 10, 1, REL_SHARD_MAX, &b, NULL) || a > b)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "--shard takes K/N with 1 ≤ K ≤ N ≤ %d, not “%s”", REL_SHARD_MAX, text ? text : "");
      return FALSE;
    }
  *k = (int) a;
  *n = (int) b;
  return TRUE;
}

typedef struct { gint64 size; int index; } Item;

static int
item_cmp (const void *pa, const void *pb)
{
  const Item *a = pa, *b = pb;
  if (a->size != b->size)
    return a->size > b->size ? -1 : 1;
  return a->index - b->index;
}

int *
rel_shard_assign (const gint64 *sizes, int n_items, int n_shards)
{
  int *owner = g_new (int, MAX (n_items, 1));
  g_autofree Item *items = g_new (Item, MAX (n_items, 1));
  g_autofree gint64 *load = g_new0 (gint64, MAX (n_shards, 1));
  for (int i = 0; i < n_items; i++)
    items[i] = (Item) { MAX (sizes[i], 0), i };
  qsort (items, n_items, sizeof (Item), item_cmp);
  /* a linear scan for the lightest shard: N is small next to the items */
  for (int i = 0; i < n_items; i++)
    {
      int best = 0;
      for (int s = 1; s < n_shards; s++)
        if (load[s] < load[best])
          best = s;
      owner[items[i].index] = best;
      load[best] += items[i].size + 1;  /* +1: empty files still spread */
    }
  return owner;
}

struct _RelPartWriter {
  GByteArray *bytes;
  guint32     n;
  gsize       count_at;
};

static void
put_u32 (GByteArray *b, guint32 v)
{
  guint32 le = GUINT32_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &le, 4);
}

static void
put_u64 (GByteArray *b, guint64 v)
{
  guint64 le = GUINT64_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &le, 8);
}

RelPartWriter *
rel_part_writer_new (GKeyFile *header)
{
  RelPartWriter *w = g_new0 (RelPartWriter, 1);
  gsize len = 0;
  g_autofree char *text = g_key_file_to_data (header, &len, NULL);
  w->bytes = g_byte_array_new ();
  g_byte_array_append (w->bytes, (const guint8 *) PART_MAGIC, 8);
  put_u32 (w->bytes, (guint32) len);
  g_byte_array_append (w->bytes, (const guint8 *) text, len);
  w->count_at = w->bytes->len;
  put_u32 (w->bytes, 0);
  return w;
}

void
rel_part_writer_add (RelPartWriter *w, guint32 index, const void *data, gsize len)
{
  put_u32 (w->bytes, index);
  put_u64 (w->bytes, len);
  g_byte_array_append (w->bytes, data, len);
  w->n++;
}

GBytes *
rel_part_writer_finish (RelPartWriter *w)
{
  guint32 le = GUINT32_TO_LE (w->n);
  memcpy (w->bytes->data + w->count_at, &le, 4);
  guint8 digest[32];
  gsize dl = sizeof digest;
  g_autoptr(GChecksum) cs = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (cs, w->bytes->data, w->bytes->len);
  g_checksum_get_digest (cs, digest, &dl);
  g_byte_array_append (w->bytes, digest, 32);
  GBytes *out = g_byte_array_free_to_bytes (w->bytes);
  g_free (w);
  return out;
}

void
rel_part_free (RelPart *part)
{
  if (part == NULL)
    return;
  if (part->header)
    g_key_file_unref (part->header);
  g_free (part->index);
  for (guint i = 0; part->data && i < part->n_entries; i++)
    g_bytes_unref (part->data[i]);
  g_free (part->data);
  g_free (part);
}

static gboolean
get_u32 (const guint8 *p, gsize len, gsize *pos, guint32 *v)
{
  if (len - *pos < 4)
    return FALSE;
  memcpy (v, p + *pos, 4);
  *v = GUINT32_FROM_LE (*v);
  *pos += 4;
  return TRUE;
}

RelPart *
rel_part_parse (GBytes *bytes, const char *what, GError **error)
{
  gsize len = 0;
  const guint8 *p = g_bytes_get_data (bytes, &len);
  if (len < 8 + 4 + 4 + 32 || memcmp (p, PART_MAGIC, 8) != 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: not a relevance-cli part file", what);
      return NULL;
    }
  guint8 digest[32];
  gsize dl = sizeof digest;
  g_autoptr(GChecksum) cs = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (cs, p, len - 32);
  g_checksum_get_digest (cs, digest, &dl);
  if (memcmp (digest, p + len - 32, 32) != 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: damaged or incomplete part file (checksum mismatch)", what);
      return NULL;
    }
  len -= 32;
  gsize pos = 8;
  guint32 hl = 0, n = 0;
  g_autofree char *text = NULL;
  g_autoptr(RelPart) part = g_new0 (RelPart, 1);
  if (!get_u32 (p, len, &pos, &hl) || len - pos < hl)
    goto bad;
  text = g_strndup ((const char *) p + pos, hl);
  pos += hl;
  part->header = g_key_file_new ();
  if (!g_key_file_load_from_data (part->header, text, hl, G_KEY_FILE_NONE, NULL)
      || !g_key_file_has_group (part->header, "part"))
    goto bad;
  if (!get_u32 (p, len, &pos, &n) || n > (len - pos) / 12)
    goto bad;
  part->index = g_new (guint32, MAX (n, 1));
  part->data = g_new0 (GBytes *, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      guint32 idx = 0;
      guint64 dlen = 0;
      if (!get_u32 (p, len, &pos, &idx) || len - pos < 8)
        goto bad;
      memcpy (&dlen, p + pos, 8);
      dlen = GUINT64_FROM_LE (dlen);
      pos += 8;
      if (dlen > len - pos)
        goto bad;
      part->index[i] = idx;
      part->data[i] = g_bytes_new_from_bytes (bytes, pos, dlen);
      part->n_entries = i + 1;
      pos += dlen;
    }
  if (pos != len)
    goto bad;
  return g_steal_pointer (&part);
bad:
  g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: malformed part file", what);
  return NULL;
}

RelPart *
rel_part_load (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autofree char *shown = g_filename_display_name (path);
  if (!rel_file_get_contents (path, "part file", PART_MAX_BYTES, &data, &len, error))
    return NULL;
  g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&data), len);
  return rel_part_parse (bytes, shown, error);
}

char *
rel_shard_digest (const char *const *items, int n)
{
  g_autoptr(GChecksum) cs = g_checksum_new (G_CHECKSUM_SHA256);
  for (int i = 0; i < n; i++)
    g_checksum_update (cs, (const guchar *) items[i], strlen (items[i]) + 1);
  return g_strdup (g_checksum_get_string (cs));
}

RelShardSlot *
rel_shard_check_parts (RelPart *const *parts, int n_parts, const char *const *names, int *n_items,
                       GError **error)
{
  static const char *const same[] = { "command", "shards", "items", "list", "settings" };
  if (n_parts < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "no part files given");
      return NULL;
    }
  GKeyFile *h0 = parts[0]->header;
  for (int p = 1; p < n_parts; p++)
    for (guint m = 0; m < G_N_ELEMENTS (same); m++)
      {
        g_autofree char *a = g_key_file_get_string (h0, "part", same[m], NULL);
        g_autofree char *b = g_key_file_get_string (parts[p]->header, "part", same[m], NULL);
        if (g_strcmp0 (a, b) != 0)
          {
            g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                         "%s and %s are not parts of the same run: their %s values differ (%s, %s)%s",
                         names[0], names[p], same[m], a ? a : "none", b ? b : "none",
                         g_str_equal (same[m], "settings") ? "; the model, method or options changed" :
                         g_str_equal (same[m], "list") ? "; the data set changed" : "");
            return NULL;
          }
      }
  int shards = g_key_file_get_integer (h0, "part", "shards", NULL);
  gint64 items = g_key_file_get_int64 (h0, "part", "items", NULL);
  if (shards < 1 || shards > REL_SHARD_MAX || items < 0 || items > G_MAXINT32)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: bad part header", names[0]);
      return NULL;
    }
  g_autofree int *owner = g_new (int, shards);
  for (int s = 0; s < shards; s++)
    owner[s] = -1;
  for (int p = 0; p < n_parts; p++)
    {
      int k = g_key_file_get_integer (parts[p]->header, "part", "shard", NULL);
      if (k < 1 || k > shards)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: bad shard number %d of %d", names[p], k, shards);
          return NULL;
        }
      if (owner[k - 1] >= 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "%s and %s are both shard %d/%d",
                       names[owner[k - 1]], names[p], k, shards);
          return NULL;
        }
      owner[k - 1] = p;
    }
  for (int s = 0; s < shards; s++)
    if (owner[s] < 0)
      {
        g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "part %d/%d is missing (%d of %d parts given)",
                     s + 1, shards, n_parts, shards);
        return NULL;
      }
  RelShardSlot *slot = g_new (RelShardSlot, MAX (items, 1));
  for (gint64 i = 0; i < items; i++)
    slot[i].part = -1;
  for (int p = 0; p < n_parts; p++)
    for (guint e = 0; e < parts[p]->n_entries; e++)
      {
        guint32 i = parts[p]->index[e];
        if (i >= items || slot[i].part >= 0)
          {
            g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "%s: item %u is out of range or also in another part",
                         names[p], i);
            g_free (slot);
            return NULL;
          }
        slot[i] = (RelShardSlot) { p, e };
      }
  for (gint64 i = 0; i < items; i++)
    if (slot[i].part < 0)
      {
        g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "item %" G_GINT64_FORMAT " is in none of the parts", i);
        g_free (slot);
        return NULL;
      }
  *n_items = (int) items;
  return slot;
}
