/* rel-workspace.c — what the app is looking at, as properties (see
 * rel-workspace.h).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-workspace.h"

#include <string.h>

G_DEFINE_BOXED_TYPE (RelModel, rel_model, rel_model_ref, rel_model_unref)
G_DEFINE_BOXED_TYPE (RelTensor, rel_tensor, rel_tensor_ref, rel_tensor_unref)
G_DEFINE_BOXED_TYPE (RelParams, rel_params, rel_params_copy, rel_params_free)

static RelTarget *
rel_target_copy (const RelTarget *target)
{
  return g_memdup2 (target, sizeof *target);
}

G_DEFINE_BOXED_TYPE (RelTarget, rel_target, rel_target_copy, g_free)

struct _RelWorkspace
{
  GObject     parent_instance;

  RelModel   *model;
  char       *model_name;
  char       *dataset;
  char       *image;
  RelTensor  *input;
  RelTarget   target;
  gboolean    has_target;
  RelParams  *params;
  RelTensor  *relevance;
  RelImageItem *selection;
};

G_DEFINE_FINAL_TYPE (RelWorkspace, rel_workspace, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MODEL,
  PROP_MODEL_NAME,
  PROP_DATASET,
  PROP_IMAGE,
  PROP_INPUT,
  PROP_TARGET,
  PROP_METHOD,
  PROP_PARAMS,
  PROP_RELEVANCE,
  PROP_SELECTION,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum { SIGNAL_OPEN_FILES, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
rel_workspace_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  RelWorkspace *self = REL_WORKSPACE (object);
  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_boxed (value, self->model);
      break;
    case PROP_MODEL_NAME:
      g_value_set_string (value, self->model_name);
      break;
    case PROP_DATASET:
      g_value_set_string (value, self->dataset);
      break;
    case PROP_IMAGE:
      g_value_set_string (value, self->image);
      break;
    case PROP_INPUT:
      g_value_set_boxed (value, self->input);
      break;
    case PROP_TARGET:
      g_value_set_boxed (value, self->has_target ? &self->target : NULL);
      break;
    case PROP_METHOD:
      g_value_set_string (value, rel_workspace_get_method (self));
      break;
    case PROP_PARAMS:
      g_value_set_boxed (value, self->params);
      break;
    case PROP_RELEVANCE:
      g_value_set_boxed (value, self->relevance);
      break;
    case PROP_SELECTION:
      g_value_set_object (value, self->selection);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rel_workspace_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  RelWorkspace *self = REL_WORKSPACE (object);
  switch (prop_id)
    {
    case PROP_DATASET:
      rel_workspace_set_dataset (self, g_value_get_string (value));
      break;
    case PROP_TARGET:
      rel_workspace_set_target (self, g_value_get_boxed (value));
      break;
    case PROP_PARAMS:
      rel_workspace_set_params (self, g_value_get_boxed (value));
      break;
    case PROP_RELEVANCE:
      rel_workspace_set_relevance (self, g_value_get_boxed (value));
      break;
    case PROP_SELECTION:
      rel_workspace_set_selection (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rel_workspace_finalize (GObject *object)
{
  RelWorkspace *self = REL_WORKSPACE (object);
  g_clear_pointer (&self->model, rel_model_unref);
  g_clear_pointer (&self->input, rel_tensor_unref);
  g_clear_pointer (&self->relevance, rel_tensor_unref);
  g_clear_pointer (&self->params, rel_params_free);
  g_clear_object (&self->selection);
  g_free (self->model_name);
  g_free (self->dataset);
  g_free (self->image);
  G_OBJECT_CLASS (rel_workspace_parent_class)->finalize (object);
}

static void
rel_workspace_class_init (RelWorkspaceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = rel_workspace_get_property;
  object_class->set_property = rel_workspace_set_property;
  object_class->finalize = rel_workspace_finalize;

  /* the model and the image change together with their names: set through the API */
  props[PROP_MODEL] = g_param_spec_boxed ("model", NULL, NULL, REL_TYPE_MODEL, ro);
  props[PROP_MODEL_NAME] = g_param_spec_string ("model-name", NULL, NULL, NULL, ro);
  props[PROP_DATASET] = g_param_spec_string ("dataset", NULL, NULL, NULL, rw);
  props[PROP_IMAGE] = g_param_spec_string ("image", NULL, NULL, NULL, ro);
  props[PROP_INPUT] = g_param_spec_boxed ("input", NULL, NULL, REL_TYPE_TENSOR, ro);
  props[PROP_TARGET] = g_param_spec_boxed ("target", NULL, NULL, REL_TYPE_TARGET, rw);
  props[PROP_METHOD] = g_param_spec_string ("method", NULL, NULL, NULL, ro);
  props[PROP_PARAMS] = g_param_spec_boxed ("params", NULL, NULL, REL_TYPE_PARAMS, rw);
  props[PROP_RELEVANCE] = g_param_spec_boxed ("relevance", NULL, NULL, REL_TYPE_TENSOR, rw);
  props[PROP_SELECTION] = g_param_spec_object ("selection", NULL, NULL, REL_TYPE_IMAGE_ITEM, rw);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_OPEN_FILES] =
    g_signal_new ("open-files", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  g_signal_accumulator_true_handled, NULL, NULL, G_TYPE_BOOLEAN, 1, G_TYPE_PTR_ARRAY);
}

static void
rel_workspace_init (RelWorkspace *self)
{
}

RelWorkspace *
rel_workspace_new (void)
{
  return g_object_new (REL_TYPE_WORKSPACE, NULL);
}

/* g_set_str is GLib 2.76 */
static gboolean
set_str (char **slot, const char *value)
{
  if (g_strcmp0 (*slot, value) == 0)
    return FALSE;
  g_free (*slot);
  *slot = g_strdup (value);
  return TRUE;
}

static gboolean
set_tensor (RelTensor **slot, RelTensor *tensor)
{
  if (*slot == tensor)
    return FALSE;
  g_clear_pointer (slot, rel_tensor_unref);
  *slot = tensor ? rel_tensor_ref (tensor) : NULL;
  return TRUE;
}

void
rel_workspace_set_model (RelWorkspace *self, RelModel *model, const char *name)
{
  g_return_if_fail (REL_IS_WORKSPACE (self));
  g_object_freeze_notify (G_OBJECT (self));
  if (self->model != model)
    {
      g_clear_pointer (&self->model, rel_model_unref);
      self->model = model ? rel_model_ref (model) : NULL;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MODEL]);
    }
  if (set_str (&self->model_name, name))
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MODEL_NAME]);
  g_object_thaw_notify (G_OBJECT (self));
}

RelModel *
rel_workspace_get_model (RelWorkspace *self)
{
  g_return_val_if_fail (REL_IS_WORKSPACE (self), NULL);
  return self->model;
}

const char *
rel_workspace_get_model_name (RelWorkspace *self)
{
  g_return_val_if_fail (REL_IS_WORKSPACE (self), NULL);
  return self->model_name;
}

void
rel_workspace_set_dataset (RelWorkspace *self, const char *folder)
{
  g_return_if_fail (REL_IS_WORKSPACE (self));
  if (set_str (&self->dataset, folder))
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_DATASET]);
}

const char *
rel_workspace_get_dataset (RelWorkspace *self)
{
  g_return_val_if_fail (REL_IS_WORKSPACE (self), NULL);
  return self->dataset;
}

void
rel_workspace_set_image (RelWorkspace *self, const char *path, RelTensor *input)
{
  g_return_if_fail (REL_IS_WORKSPACE (self));
  g_object_freeze_notify (G_OBJECT (self));
  if (set_str (&self->image, path))
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_IMAGE]);
  if (set_tensor (&self->input, input))
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_INPUT]);
  g_object_thaw_notify (G_OBJECT (self));
}

const char *
rel_workspace_get_image (RelWorkspace *self)
{
  g_return_val_if_fail (REL_IS_WORKSPACE (self), NULL);
  return self->image;
}

RelTensor *
rel_workspace_get_input (RelWorkspace *self)
{
  g_return_val_if_fail (REL_IS_WORKSPACE (self), NULL);
  return self->input;
}

void
rel_workspace_set_target (RelWorkspace *self, const RelTarget *target)
{
  g_return_if_fail (REL_IS_WORKSPACE (self));
  gboolean has = target != NULL;
  if (has == self->has_target && (!has || memcmp (target, &self->target, sizeof *target) == 0))
    return;
  self->has_target = has;
  if (has)
    self->target = *target;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TARGET]);
}

gboolean
rel_workspace_get_target (RelWorkspace *self, RelTarget *target)
{
  g_return_val_if_fail (REL_IS_WORKSPACE (self), FALSE);
  if (self->has_target && target)
    *target = self->target;
  return self->has_target;
}

/* Params are values, not identities: the panel hands a new copy on every
 * change, so "params" is notified on each set, "method" only when it changes. */
void
rel_workspace_set_params (RelWorkspace *self, const RelParams *params)
{
  g_return_if_fail (REL_IS_WORKSPACE (self));
  const char *old = rel_workspace_get_method (self);
  g_autofree char *old_method = g_strdup (old);
  g_clear_pointer (&self->params, rel_params_free);
  self->params = params ? rel_params_copy (params) : NULL;
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PARAMS]);
  if (g_strcmp0 (old_method, rel_workspace_get_method (self)) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_METHOD]);
  g_object_thaw_notify (G_OBJECT (self));
}

const RelParams *
rel_workspace_get_params (RelWorkspace *self)
{
  g_return_val_if_fail (REL_IS_WORKSPACE (self), NULL);
  return self->params;
}

const char *
rel_workspace_get_method (RelWorkspace *self)
{
  g_return_val_if_fail (REL_IS_WORKSPACE (self), NULL);
  const RelMethodDef *def = self->params ? rel_params_method (self->params) : NULL;
  return def ? def->name : NULL;
}

void
rel_workspace_set_relevance (RelWorkspace *self, RelTensor *relevance)
{
  g_return_if_fail (REL_IS_WORKSPACE (self));
  if (set_tensor (&self->relevance, relevance))
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RELEVANCE]);
}

RelTensor *
rel_workspace_get_relevance (RelWorkspace *self)
{
  g_return_val_if_fail (REL_IS_WORKSPACE (self), NULL);
  return self->relevance;
}

void
rel_workspace_set_selection (RelWorkspace *self, RelImageItem *selection)
{
  g_return_if_fail (REL_IS_WORKSPACE (self));
  if (g_set_object (&self->selection, selection))
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SELECTION]);
}

RelImageItem *
rel_workspace_get_selection (RelWorkspace *self)
{
  g_return_val_if_fail (REL_IS_WORKSPACE (self), NULL);
  return self->selection;
}

gboolean
rel_workspace_open_files (RelWorkspace *self, GFile *const *files, guint n_files)
{
  g_return_val_if_fail (REL_IS_WORKSPACE (self), FALSE);
  g_autoptr (GPtrArray) array = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean handled = FALSE;

  for (guint i = 0; i < n_files; i++)
    g_ptr_array_add (array, g_object_ref (files[i]));
  g_signal_emit (self, signals[SIGNAL_OPEN_FILES], 0, array, &handled);
  return handled;
}
