/* rel-plant.c — artifact planting; see rel-plant.h.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-plant.h"
#include "rel-error.h"

#include <math.h>
#include <string.h>

/* "©" as a 7×7 bitmap: a ring around a C. */
static const char *const copyright_glyph[7] = {
  ".#####.",
  "#.....#",
  "#.###.#",
  "#.#...#",
  "#.###.#",
  "#.....#",
  ".#####.",
};

/* splitmix64: a stateless hash of (seed, stream, index) */
static guint64
mix (guint64 seed, guint64 stream, guint64 index)
{
  guint64 z = seed + 0x9E3779B97F4A7C15ull * (index + 1) + 0xD1B54A32D192ED03ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static double
uniform (guint64 h)
{
  return (double) (h >> 11) * (1.0 / 9007199254740992.0);
}

void
rel_plant_spec_init (RelPlantSpec *spec)
{
  memset (spec, 0, sizeof *spec);
  spec->kind = REL_PLANT_TAG;
  spec->position = REL_PLANT_BOTTOM_RIGHT;
  spec->target_class = -1;
  spec->rate = 1.0;
  spec->color[0] = spec->color[1] = spec->color[2] = 255.f;
  spec->margin = 1;
}

const char *
rel_plant_kind_name (RelPlantKind kind)
{
  static const char *const names[] = { "tag", "square", "border", "noise" };
  return (unsigned) kind < G_N_ELEMENTS (names) ? names[kind] : "?";
}

gboolean
rel_plant_spec_parse (RelPlantSpec *spec, const char *text, const RelSampleSet *set, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);

  for (int i = 0; parts[i]; i++)
    {
      char *eq = strchr (parts[i], '=');
      const char *key = parts[i], *val;
      guint64 u;

      if (parts[i][0] == '\0')
        continue;
      if (eq == NULL)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "plant: '%s' is not key=value", parts[i]);
          return FALSE;
        }
      *eq = '\0';
      val = eq + 1;
      if (strcmp (key, "kind") == 0)
        {
          int k;
          for (k = 0; k < 4; k++)
            if (strcmp (val, rel_plant_kind_name (k)) == 0)
              break;
          if (k == 4)
            goto bad;
          spec->kind = k;
        }
      else if (strcmp (key, "class") == 0)
        {
          if (strcmp (val, "all") == 0)
            spec->target_class = -1;
          else if (set)
            {
              if ((spec->target_class = rel_sample_set_find_class (set, val)) < 0)
                {
                  g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "plant: no class '%s'", val);
                  return FALSE;
                }
            }
          else if (g_ascii_string_to_unsigned (val, 10, 0, REL_SAMPLE_SET_MAX_CLASSES - 1, &u, NULL))
            spec->target_class = (int) u;
          else
            goto bad;
        }
      else if (strcmp (key, "rate") == 0)
        {
          char *end;
          double r = g_ascii_strtod (val, &end);
          if (*val == '\0' || *end != '\0' || !(r >= 0 && r <= 1))
            goto bad;
          spec->rate = r;
        }
      else if (strcmp (key, "position") == 0)
        {
          static const char *const names[] = { "top-left", "top-right", "bottom-left", "bottom-right", "random" };
          int k;
          for (k = 0; k < 5; k++)
            if (strcmp (val, names[k]) == 0)
              break;
          if (k == 5)
            goto bad;
          spec->position = k;
        }
      else if (strcmp (key, "size") == 0)
        {
          if (!g_ascii_string_to_unsigned (val, 10, 1, 256, &u, NULL))
            goto bad;
          spec->size = (int) u;
        }
      else if (strcmp (key, "margin") == 0)
        {
          if (!g_ascii_string_to_unsigned (val, 10, 0, 256, &u, NULL))
            goto bad;
          spec->margin = (int) u;
        }
      else if (strcmp (key, "seed") == 0)
        {
          if (!g_ascii_string_to_unsigned (val, 10, 0, G_MAXUINT64, &u, NULL))
            goto bad;
          spec->seed = u;
        }
      else if (strcmp (key, "color") == 0)
        {
          g_auto(GStrv) c = g_strsplit (val, ":", -1);
          guint n = g_strv_length (c);
          if (n != 1 && n != 3)
            goto bad;
          for (int k = 0; k < 3; k++)
            {
              if (!g_ascii_string_to_unsigned (c[n == 1 ? 0 : k], 10, 0, 255, &u, NULL))
                goto bad;
              spec->color[k] = (float) u;
            }
        }
      else
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "plant: unknown key '%s' (kind, class, rate, position, size, margin, color, seed)", key);
          return FALSE;
        }
      continue;
    bad:
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "plant: invalid %s '%s'", key, val);
      return FALSE;
    }
  return TRUE;
}

gboolean
rel_plant_selects (const RelPlantSpec *spec, int index, int label)
{
  if (spec->target_class >= 0 && label != spec->target_class)
    return FALSE;
  if (spec->rate >= 1.0)
    return TRUE;
  return uniform (mix (spec->seed, 1, (guint64) index)) < spec->rate;
}

static int
default_size (RelPlantKind kind)
{
  switch (kind)
    {
    case REL_PLANT_TAG: return 9;
    case REL_PLANT_SQUARE: return 4;
    case REL_PLANT_BORDER: return 2;
    case REL_PLANT_NOISE: default: return 6;
    }
}

static RelPlantPosition
corner_of (const RelPlantSpec *spec, int index)
{
  if (spec->position != REL_PLANT_RANDOM_CORNER)
    return spec->position;
  return (RelPlantPosition) (mix (spec->seed, 2, (guint64) index) >> 62);
}

RelBox
rel_plant_box (const RelPlantSpec *spec, int index, int height, int width)
{
  int size = spec->size > 0 ? spec->size : default_size (spec->kind);
  RelPlantPosition pos = corner_of (spec, index);
  gboolean right = pos == REL_PLANT_TOP_RIGHT || pos == REL_PLANT_BOTTOM_RIGHT;
  gboolean bottom = pos == REL_PLANT_BOTTOM_LEFT || pos == REL_PLANT_BOTTOM_RIGHT;
  RelBox b;
  int x0, y0, x1, y1;

  if (spec->kind == REL_PLANT_BORDER)
    {
      b.x = 0;
      b.width = width;
      b.height = size;
      b.y = bottom ? height - size - spec->margin : spec->margin;
    }
  else
    {
      b.width = b.height = size;
      b.x = right ? width - size - spec->margin : spec->margin;
      b.y = bottom ? height - size - spec->margin : spec->margin;
    }
  /* clip to the image */
  x0 = CLAMP (b.x, 0, width);
  y0 = CLAMP (b.y, 0, height);
  x1 = CLAMP (b.x + b.width, 0, width);
  y1 = CLAMP (b.y + b.height, 0, height);
  return (RelBox) { x0, y0, x1 - x0, y1 - y0 };
}

RelBox
rel_plant_paint (const RelPlantSpec *spec, int index, float *image, int channels, int height, int width)
{
  RelBox full, b = rel_plant_box (spec, index, height, width);
  int size = spec->size > 0 ? spec->size : default_size (spec->kind);
  RelPlantPosition pos = corner_of (spec, index);
  gboolean right = pos == REL_PLANT_TOP_RIGHT || pos == REL_PLANT_BOTTOM_RIGHT;
  gboolean bottom = pos == REL_PLANT_BOTTOM_LEFT || pos == REL_PLANT_BOTTOM_RIGHT;
  float col[3];
  gsize plane = (gsize) height * width;

  if (channels == 1)
    col[0] = roundf (0.299f * spec->color[0] + 0.587f * spec->color[1] + 0.114f * spec->color[2]);
  else
    memcpy (col, spec->color, sizeof col);
  /* the unclipped origin, so a clipped artifact keeps its pattern in place */
  full.x = spec->kind == REL_PLANT_BORDER ? 0 : right ? width - size - spec->margin : spec->margin;
  full.y = bottom ? height - size - spec->margin : spec->margin;

  for (int y = b.y; y < b.y + b.height; y++)
    for (int x = b.x; x < b.x + b.width; x++)
      {
        int u = x - full.x, v = y - full.y;
        gboolean on;
        switch (spec->kind)
          {
          case REL_PLANT_TAG:
            {
              /* the glyph scaled to size − 2 (1 px dark margin inside the box) */
              int inner = MAX (size - 2, 1);
              int gu = u - 1, gv = v - 1;
              on = gu >= 0 && gv >= 0 && gu < inner && gv < inner
                   && copyright_glyph[gv * 7 / inner][gu * 7 / inner] == '#';
              break;
            }
          case REL_PLANT_NOISE:
            on = (mix (spec->seed, 3, (guint64) (v * size + u)) >> 63) != 0;
            break;
          default:
            on = TRUE;
          }
        for (int c = 0; c < channels; c++)
          image[c * plane + (gsize) y * width + x] = on ? col[MIN (c, 2)] : 0.f;
      }
  return b;
}

int
rel_plant_set (const RelPlantSpec *spec, RelSampleSet *set, RelBox *boxes)
{
  int count = 0;
  for (int i = 0; i < set->n; i++)
    {
      RelBox b = { 0, 0, 0, 0 };
      if (rel_plant_selects (spec, i, set->labels[i]))
        {
          b = rel_plant_paint (spec, i, rel_sample_set_image (set, i), set->channels, set->height, set->width);
          count++;
        }
      if (boxes)
        boxes[i] = b;
    }
  return count;
}
