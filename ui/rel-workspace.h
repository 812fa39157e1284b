/* rel-workspace.h — what the app is looking at: the model, the image folder,
 * the selected image and its decoded input, the explained target, the method
 * and its parameters, the current relevance map. One per window; the window
 * creates it, keeps it up to date and hands it to its pages and dialogs,
 * which follow it through notify:: (g_object_bind_property or a handler)
 * instead of being called by the window, and ask for files to be opened
 * through "open-files" instead of calling the window.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "rel-explain.h"
#include "rel-image-item.h"
#include "rel-model.h"
#include "rel-tensor.h"

G_BEGIN_DECLS

/* Boxed types for the core's structs, for properties and signals. RelModel
 * and RelTensor are reference counted; RelParams and RelTarget are copied. */
#define REL_TYPE_MODEL  (rel_model_get_type ())
#define REL_TYPE_TENSOR (rel_tensor_get_type ())
#define REL_TYPE_PARAMS (rel_params_get_type ())
#define REL_TYPE_TARGET (rel_target_get_type ())
GType rel_model_get_type  (void) G_GNUC_CONST;
GType rel_tensor_get_type (void) G_GNUC_CONST;
GType rel_params_get_type (void) G_GNUC_CONST;
GType rel_target_get_type (void) G_GNUC_CONST;

#define REL_TYPE_WORKSPACE (rel_workspace_get_type ())
G_DECLARE_FINAL_TYPE (RelWorkspace, rel_workspace, REL, WORKSPACE, GObject)

RelWorkspace    *rel_workspace_new            (void);

/* Each setter notifies its property only when the value changes. Getters
 * return borrowed values (NULL when unset). */
void             rel_workspace_set_model      (RelWorkspace *self, RelModel *model, const char *name);
RelModel        *rel_workspace_get_model      (RelWorkspace *self);
const char      *rel_workspace_get_model_name (RelWorkspace *self);
/* The image folder the browser shows. */
void             rel_workspace_set_dataset    (RelWorkspace *self, const char *folder);
const char      *rel_workspace_get_dataset    (RelWorkspace *self);
/* The selected image's path, and its input once decoded (NULL before). */
void             rel_workspace_set_image      (RelWorkspace *self, const char *path, RelTensor *input);
const char      *rel_workspace_get_image      (RelWorkspace *self);
RelTensor       *rel_workspace_get_input      (RelWorkspace *self);
void             rel_workspace_set_target     (RelWorkspace *self, const RelTarget *target);
/* FALSE (and @target untouched) before one is set. */
gboolean         rel_workspace_get_target     (RelWorkspace *self, RelTarget *target);
/* The method's name is the "method" property; "params" carries its values. */
void             rel_workspace_set_params     (RelWorkspace *self, const RelParams *params);
const RelParams *rel_workspace_get_params     (RelWorkspace *self);
const char      *rel_workspace_get_method     (RelWorkspace *self);
/* The relevance map of the current image, target and params (latest estimate). */
void             rel_workspace_set_relevance  (RelWorkspace *self, RelTensor *relevance);
RelTensor       *rel_workspace_get_relevance  (RelWorkspace *self);
/* The image selected in the browser. */
void             rel_workspace_set_selection  (RelWorkspace *self, RelImageItem *selection);
RelImageItem    *rel_workspace_get_selection  (RelWorkspace *self);

/* Asks the window to open @files (a model, image folders, images) as dropping
 * them would: emits "open-files" (a GFile array). TRUE when a handler took them. */
gboolean         rel_workspace_open_files     (RelWorkspace *self, GFile *const *files, guint n_files);

G_END_DECLS
