/* rel-image-item.h — one image of the browser: its file, its true label, the
 * model's prediction and a lazily loaded thumbnail. Every field is a property
 * with notify, so list cells showing it update on their own.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define REL_TYPE_IMAGE_ITEM (rel_image_item_get_type ())
G_DECLARE_FINAL_TYPE (RelImageItem, rel_image_item, REL, IMAGE_ITEM, GObject)

typedef enum {
  REL_THUMBNAIL_NONE,     /* not requested, or dropped from the cache */
  REL_THUMBNAIL_LOADING,
  REL_THUMBNAIL_READY,
  REL_THUMBNAIL_FAILED,   /* the file could not be decoded */
} RelThumbnailState;

/* @true_label is the folder class index (-1: unknown) and @true_name its name. */
RelImageItem *rel_image_item_new (const char *path, int true_label, const char *true_name);

/* Immutable after construction, so worker threads may read them. */
const char   *rel_image_item_get_path            (RelImageItem *self);
const char   *rel_image_item_get_basename        (RelImageItem *self);  /* for display: valid UTF-8 */

/* The dataset layout's answer (core/rel-dataset.h), main thread only: the
 * class index among the browser's classes (-1: unknown) and its name, and
 * the group (the other folders on the path, "clean"; NULL: none). */
int           rel_image_item_get_true_label      (RelImageItem *self);
const char   *rel_image_item_get_true_label_name (RelImageItem *self);  /* NULL when unknown */
const char   *rel_image_item_get_group           (RelImageItem *self);
/* Sets all of it at once; @expected_label is the class in the model's label
 * space (-1: no known mapping, so never judged wrong). */
void          rel_image_item_set_truth           (RelImageItem *self, int true_label, const char *true_name,
                                                  int expected_label, const char *group);
/* The same without notifications, for thousands of items at once: the
 * caller redraws and re-filters what shows them (notify::wrong does not fire). */
void          rel_image_item_set_truth_quietly   (RelImageItem *self, int true_label, const char *true_name,
                                                  int expected_label, const char *group);

/* The true class in the model's label space (-1: unknown). The browser sets it
 * when a model arrives, by matching folder names to the model's labels. */
int           rel_image_item_get_expected_label  (RelImageItem *self);
void          rel_image_item_set_expected_label  (RelImageItem *self, int label);

/* The prediction: a model class index (-1: none yet), its name and its
 * probability in [0, 1]. */
void          rel_image_item_set_prediction      (RelImageItem *self, int label, const char *name,
                                                  double confidence);
void          rel_image_item_clear_prediction    (RelImageItem *self);
gboolean      rel_image_item_has_prediction      (RelImageItem *self);
int           rel_image_item_get_predicted_label (RelImageItem *self);
const char   *rel_image_item_get_predicted_label_name (RelImageItem *self);
double        rel_image_item_get_confidence      (RelImageItem *self);
/* A prediction that is known to be wrong: both the prediction and the
 * expected label are known and differ. */
gboolean      rel_image_item_get_wrong           (RelImageItem *self);
/* The prediction failed (the file did not load): the message, else NULL. */
const char   *rel_image_item_get_error           (RelImageItem *self);
void          rel_image_item_set_error           (RelImageItem *self, const char *message);

GdkTexture   *rel_image_item_get_thumbnail       (RelImageItem *self);  /* borrowed, may be NULL */
void          rel_image_item_set_thumbnail       (RelImageItem *self, GdkTexture *texture);
RelThumbnailState rel_image_item_get_thumbnail_state (RelImageItem *self);
void          rel_image_item_set_thumbnail_state (RelImageItem *self, RelThumbnailState state);

G_END_DECLS
