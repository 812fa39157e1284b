/* rel-rng.h — the core's seeded random numbers (SmoothGrad's noise, LIME's samples, training)
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* xoshiro256** seeded through splitmix64: a local state per run, so a seed
 * reproduces a result whatever else the process does. */
typedef struct {
  guint64 s[4];
  gboolean have_spare;
  double   spare;
} RelRng;

void    rel_rng_init     (RelRng *rng, guint64 seed);
/* The @stream-th of independent generators from one seed (one per sample,
 * so samples can be drawn in any order or in parallel). */
void    rel_rng_init_stream (RelRng *rng, guint64 seed, guint64 stream);
guint64 rel_rng_next     (RelRng *rng);
double  rel_rng_uniform  (RelRng *rng);               /* [0, 1) */
double  rel_rng_normal   (RelRng *rng);               /* N(0, 1) */
/* @n draws of N(0, 1), faster than rel_rng_normal (ziggurat), another sequence */
void    rel_rng_fill_normal (RelRng *rng, float *dst, int64_t n);
int     rel_rng_int      (RelRng *rng, int n);        /* [0, n) */

G_END_DECLS
