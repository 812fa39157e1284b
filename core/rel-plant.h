/* rel-plant.h — planting an artifact ("Clever Hans" shortcut) into images on
 * the fly: a "©" tag, a coloured square, a band along an edge, or a fixed
 * noise pattern, at a fixed or a random corner, into a chosen class's images
 * at a chosen rate.
 *
 * Every decision is a pure function of (spec, sample index): whether sample i
 * is planted and in which corner comes from a hash of the seed and i, so the
 * same images get the same artifact in every epoch and every run, and a
 * sample's box can be recomputed later (relevance mass inside the tag).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-idx.h"

G_BEGIN_DECLS

typedef enum {
  REL_PLANT_TAG,      /* a "©" glyph in a dark box: size 9 (7×7 glyph + 1 px margin) */
  REL_PLANT_SQUARE,   /* a solid square of the colour, default 4×4 */
  REL_PLANT_BORDER,   /* a band of the colour across the top or bottom edge, default 2 rows */
  REL_PLANT_NOISE,    /* a fixed 0/colour noise pattern from the seed, default 6×6 */
} RelPlantKind;

typedef enum {
  REL_PLANT_TOP_LEFT,
  REL_PLANT_TOP_RIGHT,
  REL_PLANT_BOTTOM_LEFT,
  REL_PLANT_BOTTOM_RIGHT,
  REL_PLANT_RANDOM_CORNER,  /* one of the four per sample, from the seed */
} RelPlantPosition;

typedef struct {
  RelPlantKind     kind;
  RelPlantPosition position;
  int              target_class;  /* only this class's samples are planted; -1: all classes */
  double           rate;          /* share of those samples, 0–1 */
  guint64          seed;
  int              size;          /* artifact side (band height) in pixels; 0: the kind's default */
  float            color[3];      /* pixel units 0–255, RGB; grey images get BT.601 luma */
  int              margin;        /* distance from the image edge in pixels (default 1) */
} RelPlantSpec;

typedef struct {
  int x, y, width, height;        /* width 0: nothing planted */
} RelBox;

/* Defaults: tag, bottom-right, all classes, rate 1, seed 0, white. */
void     rel_plant_spec_init  (RelPlantSpec *spec);

/* Parses "kind=tag,class=Sandal,rate=0.8,position=random,size=9,color=255:0:0,seed=3"
 * (keys in any order; kind: tag|square|border|noise; position: top-left|
 * top-right|bottom-left|bottom-right|random). Class names are looked up in
 * @set (may be NULL: numbers only). Unspecified keys keep @spec's values. */
gboolean rel_plant_spec_parse (RelPlantSpec *spec, const char *text, const RelSampleSet *set, GError **error);

/* Whether sample @index with class @label gets the artifact. */
gboolean rel_plant_selects    (const RelPlantSpec *spec, int index, int label);

/* The box the artifact of sample @index would occupy in a @height×@width image
 * (clipped to the image). */
RelBox   rel_plant_box        (const RelPlantSpec *spec, int index, int height, int width);

/* Paints the artifact into @image (C×H×W, pixel units) as sample @index would
 * get it, regardless of rel_plant_selects; returns its box. */
RelBox   rel_plant_paint      (const RelPlantSpec *spec, int index, float *image,
                               int channels, int height, int width);

/* Plants into every selected sample of @set in place. @boxes (may be NULL)
 * gets set->n boxes, width 0 for unplanted samples. Returns the count planted. */
int      rel_plant_set        (const RelPlantSpec *spec, RelSampleSet *set, RelBox *boxes);

const char *rel_plant_kind_name (RelPlantKind kind);

G_END_DECLS
