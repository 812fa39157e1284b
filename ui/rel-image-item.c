/* rel-image-item.c — one image of the browser (see rel-image-item.h).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-image-item.h"

#include <math.h>

struct _RelImageItem {
  GObject     parent_instance;
  char       *path;
  char       *basename;
  int         true_label;
  char       *true_name;
  char       *group;
  int         expected_label;
  int         predicted_label;
  char       *predicted_name;
  double      confidence;
  gboolean    wrong;
  char       *error;
  GdkTexture *thumbnail;
  RelThumbnailState thumbnail_state;
};

G_DEFINE_FINAL_TYPE (RelImageItem, rel_image_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  PROP_TRUE_LABEL,
  PROP_TRUE_LABEL_NAME,
  PROP_EXPECTED_LABEL,
  PROP_PREDICTED_LABEL,
  PROP_PREDICTED_LABEL_NAME,
  PROP_CONFIDENCE,
  PROP_WRONG,
  PROP_ERROR,
  PROP_THUMBNAIL,
  PROP_THUMBNAIL_STATE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
rel_image_item_finalize (GObject *object)
{
  RelImageItem *self = REL_IMAGE_ITEM (object);

  g_free (self->path);
  g_free (self->basename);
  g_free (self->true_name);
  g_free (self->group);
  g_free (self->predicted_name);
  g_free (self->error);
  g_clear_object (&self->thumbnail);
  G_OBJECT_CLASS (rel_image_item_parent_class)->finalize (object);
}

static void
rel_image_item_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  RelImageItem *self = REL_IMAGE_ITEM (object);

  switch (id)
    {
    case PROP_PATH: g_value_set_string (value, self->path); break;
    case PROP_TRUE_LABEL: g_value_set_int (value, self->true_label); break;
    case PROP_TRUE_LABEL_NAME: g_value_set_string (value, self->true_name); break;
    case PROP_EXPECTED_LABEL: g_value_set_int (value, self->expected_label); break;
    case PROP_PREDICTED_LABEL: g_value_set_int (value, self->predicted_label); break;
    case PROP_PREDICTED_LABEL_NAME: g_value_set_string (value, self->predicted_name); break;
    case PROP_CONFIDENCE: g_value_set_double (value, self->confidence); break;
    case PROP_WRONG: g_value_set_boolean (value, self->wrong); break;
    case PROP_ERROR: g_value_set_string (value, self->error); break;
    case PROP_THUMBNAIL: g_value_set_object (value, self->thumbnail); break;
    case PROP_THUMBNAIL_STATE: g_value_set_int (value, self->thumbnail_state); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
rel_image_item_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  RelImageItem *self = REL_IMAGE_ITEM (object);

  switch (id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      /* File names are bytes; what is shown must be UTF-8. */
      self->basename = self->path ? g_filename_display_basename (self->path) : g_strdup ("");
      break;
    case PROP_TRUE_LABEL:
      self->true_label = g_value_get_int (value);
      self->expected_label = self->true_label;   /* ImageFolder order until a model says otherwise */
      break;
    case PROP_TRUE_LABEL_NAME: self->true_name = g_value_dup_string (value); break;
    case PROP_EXPECTED_LABEL: rel_image_item_set_expected_label (self, g_value_get_int (value)); break;
    case PROP_THUMBNAIL: rel_image_item_set_thumbnail (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
rel_image_item_class_init (RelImageItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = rel_image_item_finalize;
  object_class->get_property = rel_image_item_get_property;
  object_class->set_property = rel_image_item_set_property;

  props[PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, co);
  props[PROP_TRUE_LABEL] = g_param_spec_int ("true-label", NULL, NULL, -1, G_MAXINT, -1, co);
  props[PROP_TRUE_LABEL_NAME] = g_param_spec_string ("true-label-name", NULL, NULL, NULL, co);
  props[PROP_EXPECTED_LABEL] = g_param_spec_int ("expected-label", NULL, NULL, -1, G_MAXINT, -1, rw);
  props[PROP_PREDICTED_LABEL] = g_param_spec_int ("predicted-label", NULL, NULL, -1, G_MAXINT, -1, ro);
  props[PROP_PREDICTED_LABEL_NAME] = g_param_spec_string ("predicted-label-name", NULL, NULL, NULL, ro);
  props[PROP_CONFIDENCE] = g_param_spec_double ("confidence", NULL, NULL, 0.0, 1.0, 0.0, ro);
  props[PROP_WRONG] = g_param_spec_boolean ("wrong", NULL, NULL, FALSE, ro);
  props[PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL, ro);
  props[PROP_THUMBNAIL] = g_param_spec_object ("thumbnail", NULL, NULL, GDK_TYPE_TEXTURE, rw);
  props[PROP_THUMBNAIL_STATE] = g_param_spec_int ("thumbnail-state", NULL, NULL,
                                                  REL_THUMBNAIL_NONE, REL_THUMBNAIL_FAILED,
                                                  REL_THUMBNAIL_NONE, ro);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
rel_image_item_init (RelImageItem *self)
{
  self->true_label = -1;
  self->expected_label = -1;
  self->predicted_label = -1;
}

RelImageItem *
rel_image_item_new (const char *path, int true_label, const char *true_name)
{
  g_return_val_if_fail (path != NULL, NULL);
  return g_object_new (REL_TYPE_IMAGE_ITEM, "path", path, "true-label", MAX (true_label, -1),
                       "true-label-name", true_label >= 0 ? true_name : NULL, NULL);
}

const char *rel_image_item_get_path (RelImageItem *self) { return self->path; }
const char *rel_image_item_get_basename (RelImageItem *self) { return self->basename; }
int rel_image_item_get_true_label (RelImageItem *self) { return self->true_label; }
const char *rel_image_item_get_true_label_name (RelImageItem *self) { return self->true_name; }
const char *rel_image_item_get_group (RelImageItem *self) { return self->group; }
int rel_image_item_get_expected_label (RelImageItem *self) { return self->expected_label; }
gboolean rel_image_item_has_prediction (RelImageItem *self) { return self->predicted_label >= 0; }
int rel_image_item_get_predicted_label (RelImageItem *self) { return self->predicted_label; }
const char *rel_image_item_get_predicted_label_name (RelImageItem *self) { return self->predicted_name; }
double rel_image_item_get_confidence (RelImageItem *self) { return self->confidence; }
gboolean rel_image_item_get_wrong (RelImageItem *self) { return self->wrong; }
const char *rel_image_item_get_error (RelImageItem *self) { return self->error; }
GdkTexture *rel_image_item_get_thumbnail (RelImageItem *self) { return self->thumbnail; }
RelThumbnailState rel_image_item_get_thumbnail_state (RelImageItem *self) { return self->thumbnail_state; }

static void
update_wrong (RelImageItem *self)
{
  gboolean wrong = self->predicted_label >= 0 && self->expected_label >= 0
                   && self->predicted_label != self->expected_label;

  if (wrong != self->wrong)
    {
      self->wrong = wrong;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_WRONG]);
    }
}

void
rel_image_item_set_expected_label (RelImageItem *self, int label)
{
  g_return_if_fail (REL_IS_IMAGE_ITEM (self));
  label = MAX (label, -1);
  if (label == self->expected_label)
    return;
  self->expected_label = label;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_EXPECTED_LABEL]);
  update_wrong (self);
}

void
rel_image_item_set_truth_quietly (RelImageItem *self, int true_label, const char *true_name,
                                  int expected_label, const char *group)
{
  g_return_if_fail (REL_IS_IMAGE_ITEM (self));
  true_label = MAX (true_label, -1);
  self->true_label = true_label;
  if (g_strcmp0 (true_name, self->true_name) != 0)
    {
      g_free (self->true_name);
      self->true_name = true_label >= 0 ? g_strdup (true_name) : NULL;
    }
  if (g_strcmp0 (group, self->group) != 0)
    {
      g_free (self->group);
      self->group = g_strdup (group);
    }
  self->expected_label = true_label >= 0 ? MAX (expected_label, -1) : -1;
  self->wrong = self->predicted_label >= 0 && self->expected_label >= 0
                && self->predicted_label != self->expected_label;
}

void
rel_image_item_set_truth (RelImageItem *self, int true_label, const char *true_name, int expected_label,
                          const char *group)
{
  GObject *object = G_OBJECT (self);

  g_return_if_fail (REL_IS_IMAGE_ITEM (self));
  g_object_freeze_notify (object);
  true_label = MAX (true_label, -1);
  if (true_label < 0)
    true_name = NULL;
  if (true_label != self->true_label)
    {
      self->true_label = true_label;
      g_object_notify_by_pspec (object, props[PROP_TRUE_LABEL]);
    }
  if (g_strcmp0 (true_name, self->true_name) != 0)
    {
      g_free (self->true_name);
      self->true_name = g_strdup (true_name);
      g_object_notify_by_pspec (object, props[PROP_TRUE_LABEL_NAME]);
    }
  if (g_strcmp0 (group, self->group) != 0)
    {
      g_free (self->group);
      self->group = g_strdup (group);
    }
  rel_image_item_set_expected_label (self, true_label >= 0 ? expected_label : -1);
  g_object_thaw_notify (object);
}

void
rel_image_item_set_prediction (RelImageItem *self, int label, const char *name, double confidence)
{
  GObject *object = G_OBJECT (self);

  g_return_if_fail (REL_IS_IMAGE_ITEM (self));
  g_object_freeze_notify (object);
  label = MAX (label, -1);
  confidence = isfinite (confidence) ? CLAMP (confidence, 0.0, 1.0) : 0.0;
  if (label != self->predicted_label)
    {
      self->predicted_label = label;
      g_object_notify_by_pspec (object, props[PROP_PREDICTED_LABEL]);
    }
  if (g_strcmp0 (name, self->predicted_name) != 0)
    {
      g_free (self->predicted_name);
      self->predicted_name = g_strdup (name);
      g_object_notify_by_pspec (object, props[PROP_PREDICTED_LABEL_NAME]);
    }
  if (confidence != self->confidence)
    {
      self->confidence = confidence;
      g_object_notify_by_pspec (object, props[PROP_CONFIDENCE]);
    }
  if (label >= 0)
    rel_image_item_set_error (self, NULL);
  update_wrong (self);
  g_object_thaw_notify (object);
}

void
rel_image_item_clear_prediction (RelImageItem *self)
{
  rel_image_item_set_prediction (self, -1, NULL, 0.0);
  rel_image_item_set_error (self, NULL);
}

void
rel_image_item_set_error (RelImageItem *self, const char *message)
{
  g_return_if_fail (REL_IS_IMAGE_ITEM (self));
  if (g_strcmp0 (message, self->error) == 0)
    return;
  g_free (self->error);
  self->error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ERROR]);
}

void
rel_image_item_set_thumbnail (RelImageItem *self, GdkTexture *texture)
{
  g_return_if_fail (REL_IS_IMAGE_ITEM (self));
  if (g_set_object (&self->thumbnail, texture))
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_THUMBNAIL]);
  rel_image_item_set_thumbnail_state (self, texture ? REL_THUMBNAIL_READY
                                      : self->thumbnail_state == REL_THUMBNAIL_READY ? REL_THUMBNAIL_NONE
                                      : self->thumbnail_state);
}

void
rel_image_item_set_thumbnail_state (RelImageItem *self, RelThumbnailState state)
{
  g_return_if_fail (REL_IS_IMAGE_ITEM (self));
  if (state == self->thumbnail_state)
    return;
  self->thumbnail_state = state;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_THUMBNAIL_STATE]);
}
