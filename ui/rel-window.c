/* rel-window.c — the main window: image browser, heatmap canvas, prediction
 * and explainer panels ("Explore"), a grid of heatmaps ("Compare"); exports
 * are rel-window-export.c.
 *
 * Everything slow runs off the main loop: models load through rel_job_run (a
 * VGG-16 is half a gigabyte of protobuf), the selected image is decoded and
 * predicted on another job, and explanations go through the window's single
 * RelExplainer, whose newest submission wins. The Explore view and the
 * Compare grid share that explainer: the grid's cells are submitted one after
 * another, and whichever view is shown owns the worker.
 *
 * The Compare page, the actions and the heatmap's look live in
 * rel-window-compare.c, rel-window-actions.c and rel-window-preferences.c
 * (rel-window-private.h is what they share). A page of its own is added with
 * one rel_window_add_page() line in rel_window_init().
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-window-private.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rel-atomic-file.h"
#include "rel-colorbar.h"
#include "rel-core.h"
#include "rel-concepts-panel.h"
#include "rel-explainer-panel.h"
#include "rel-heatmap-view.h"
#include "rel-image-browser.h"
#include "rel-strategies-view.h"
#include "rel-inspect-page.h"
#include "rel-evaluate-page.h"
#include "rel-image.h"
#include "rel-job.h"
#include "rel-npy.h"
#include "rel-prediction-panel.h"

/* How many models the Recent Models menu offers. */
#define RECENT_MAX 8
#define EXPORT_CELL_SIZE 224

G_DEFINE_FINAL_TYPE (RelWindow, rel_window, ADW_TYPE_APPLICATION_WINDOW)

enum { PROP_0, PROP_SETTINGS, PROP_LOADING, PROP_WORKSPACE, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_MODEL_CHANGED, SIGNAL_LOAD_FAILED, SIGNAL_RELEVANCE_UPDATED, SIGNAL_COMPARE_DONE, N_SIGNALS };
static guint signals[N_SIGNALS];

static void submit_main (RelWindow *self);

char *
rel_model_display_name (RelModel *model, const char *path)
{
  const char *meta = model && model->metadata ? g_hash_table_lookup (model->metadata, "name") : NULL;
  if (meta != NULL && *meta != '\0')
    return g_strdup (meta);

  g_autofree char *base = g_path_get_basename (path);
  if (g_str_has_suffix (base, ".onnx"))
    base[strlen (base) - strlen (".onnx")] = '\0';
  /* Exporters and model zoos love "model.onnx"; the folder says more. */
  if (g_ascii_strcasecmp (base, "model") == 0)
    {
      g_autofree char *dir = g_path_get_dirname (path);
      g_autofree char *dir_base = g_path_get_basename (dir);
      if (strcmp (dir_base, ".") != 0 && strcmp (dir_base, G_DIR_SEPARATOR_S) != 0)
        return g_steal_pointer (&dir_base);
    }
  return g_steal_pointer (&base);
}

char *
rel_window_find_demo (void)
{
  const char *dirs[] = { PKGDATADIR, SOURCE_DATADIR };
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (dirs[i], "demo", "model.onnx", NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_build_filename (dirs[i], "demo", NULL);
    }
  return NULL;
}

/* ---- errors ---- */

static void
details_cb (AdwToast *toast, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  const char *heading = g_object_get_data (G_OBJECT (toast), "rel-heading");
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, self->error_message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

/* A toast with @heading; its Details button shows the whole message. */
void
rel_window_show_error_heading (RelWindow *self, const char *heading, const char *message)
{
  g_free (self->error_message);
  self->error_message = g_strdup (message);

  AdwToast *toast = adw_toast_new (heading);
  adw_toast_set_timeout (toast, 10);
  adw_toast_set_button_label (toast, _("Details"));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_object_set_data_full (G_OBJECT (toast), "rel-heading", g_strdup (heading), g_free);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (details_cb), self, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* A file that could not be opened. */
void
rel_window_show_error (RelWindow *self, const char *path, const char *message)
{
  g_autofree char *name = path ? g_filename_display_basename (path) : g_strdup ("?");
  g_autofree char *heading = g_strdup_printf (_("Could not open “%s”"), name);
  rel_window_show_error_heading (self, heading, message);
}

const char *
rel_window_get_error_message (RelWindow *self)
{
  g_return_val_if_fail (REL_IS_WINDOW (self), NULL);
  return self->error_message;
}

/* ---- recent models ---- */

static void
update_recent_menu (RelWindow *self)
{
  g_menu_remove_all (self->recent_section);
  if (self->settings == NULL)
    return;
  g_auto (GStrv) recent = g_settings_get_strv (self->settings, "recent-models");
  for (int i = 0; recent[i] && i < RECENT_MAX; i++)
    {
      if (!g_file_test (recent[i], G_FILE_TEST_IS_REGULAR))
        continue;
      g_autofree char *name = rel_model_display_name (NULL, recent[i]);
      g_autoptr (GMenuItem) item = g_menu_item_new (name, NULL);
      g_menu_item_set_action_and_target_value (item, "win.open-recent", g_variant_new_string (recent[i]));
      g_menu_append_item (self->recent_section, item);
    }
}

/* @path first, then the others, at most RECENT_MAX. */
static void
remember_model (RelWindow *self, const char *path)
{
  if (self->settings == NULL)
    return;
  g_auto (GStrv) old = g_settings_get_strv (self->settings, "recent-models");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_strv_builder_add (builder, path);
  for (int i = 0, n = 1; old[i] && n < RECENT_MAX; i++)
    if (strcmp (old[i], path) != 0)
      {
        g_strv_builder_add (builder, old[i]);
        n++;
      }
  g_auto (GStrv) recent = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-models", (const char *const *) recent);
  g_settings_set_string (self->settings, "last-model", path);
  update_recent_menu (self);
}

/* ---- pages ---- */

/* The column toggles belong to the Explore page, once there is one to show. */
static void
update_column_toggles (RelWindow *self)
{
  gboolean explore = self->model != NULL
                     && g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "explore") == 0;

  gtk_widget_set_visible (self->browser_toggle, explore);
  gtk_widget_set_visible (self->side_toggle, explore);
}

static void update_target_chip (RelWindow *self);

static void
update_pages (RelWindow *self)
{
  update_column_toggles (self);
  if (self->model == NULL)
    {
      adw_view_switcher_title_set_subtitle (self->switcher_title, NULL);
      gtk_label_set_text (self->model_label, "");
      gtk_window_set_title (GTK_WINDOW (self), _("Relevance"));
      gtk_stack_set_visible_child_name (self->stack, self->loading ? "loading" : "empty");
    }
  else
    {
      adw_view_switcher_title_set_subtitle (self->switcher_title, self->model_name);
      /* The switcher hides the subtitle when wide: the model's name stays in view here. */
      gtk_label_set_text (self->model_label, self->model_name);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->model_label), self->model->path);
      g_autofree char *title = g_strdup_printf (_("%s — Relevance"), self->model_name);
      gtk_window_set_title (GTK_WINDOW (self), title);
      gtk_stack_set_visible_child_name (self->stack, "main");
    }
  gtk_stack_set_visible_child_name (self->view_page_stack, self->input || self->input_job ? "view" : "none");
  rel_window_update_export_menu (self);
  update_target_chip (self);
}

/* The canvas says what it explains. */
static void
update_target_chip (RelWindow *self)
{
  g_autofree char *text = self->input ? rel_prediction_panel_describe_target (self->prediction_panel) : NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->target_chip), text != NULL);
  gtk_label_set_text (self->target_chip, text ? text : "");
}

/* ---- the selected image ---- */

typedef struct {
  RelModel *model;
  char     *path;
} InputTask;

typedef struct {
  RelTensor *input;
  RelTensor *logits;
  double     forward_ms;
} InputResult;

static void
input_task_free (gpointer data)
{
  InputTask *t = data;
  rel_model_unref (t->model);
  g_free (t->path);
  g_free (t);
}

static void
input_result_free (gpointer data)
{
  InputResult *r = data;
  g_clear_pointer (&r->input, rel_tensor_unref);
  g_clear_pointer (&r->logits, rel_tensor_unref);
  g_free (r);
}

static gpointer
input_thread (RelJob *job, gpointer data, GError **error)
{
  InputTask *t = data;
  g_autoptr (RelTensor) input = rel_input_load (t->model, t->path, error);
  if (input == NULL)
    return NULL;
  /* The image goes on the canvas now; a large model's forward pass follows. */
  rel_job_push (job, rel_tensor_ref (input));
  RelContext ctx;
  rel_context_init (&ctx);
  gint64 start = g_get_monotonic_time ();
  RelActivations *acts = rel_model_forward (t->model, input, &ctx, error);
  if (acts == NULL)
    return NULL;
  /* an overflowing model: say so instead of ranking classes by NaN */
  if (!rel_tensor_check_finite (rel_activations_output (acts), "the model's output for this image", error))
    {
      rel_activations_free (acts);
      return NULL;
    }
  InputResult *r = g_new0 (InputResult, 1);
  r->forward_ms = (g_get_monotonic_time () - start) / 1000.0;
  r->logits = rel_tensor_ref (rel_activations_output (acts));
  r->input = g_steal_pointer (&input);
  rel_activations_free (acts);
  return r;
}

/* The decoded image, before its prediction: shown with a spinner, so the
 * canvas never claims that nothing is selected while a slow model runs. */
static void
input_items (RelJob *job, GPtrArray *items, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  RelTensor *input = items->len ? g_ptr_array_index (items, items->len - 1) : NULL;
  g_autoptr (GError) error = NULL;

  if (input == NULL || self->model == NULL)
    return;
  if (!rel_heatmap_view_set_input (self->heatmap_view, input, &self->model->preprocess, &error))
    {
      g_warning ("%s", error->message);
      return;
    }
  rel_heatmap_view_set_relevance (self->heatmap_view, NULL, NULL);
  rel_heatmap_view_set_busy (self->heatmap_view, TRUE);
  update_pages (self);
}

static void
input_done (RelJob *job, gpointer result, const GError *error, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  InputResult *r = result;
  g_clear_pointer (&self->input_job, rel_job_unref);

  if (r == NULL)
    {
      rel_heatmap_view_set_busy (self->heatmap_view, FALSE);
      update_pages (self);
      rel_window_show_error (self, self->input_path, error ? error->message : _("The image could not be read."));
      return;
    }
  g_clear_pointer (&self->input, rel_tensor_unref);
  g_clear_pointer (&self->logits, rel_tensor_unref);
  self->input = g_steal_pointer (&r->input);
  rel_workspace_set_image (self->workspace, self->input_path, self->input);
  self->logits = g_steal_pointer (&r->logits);
  self->forward_ms = r->forward_ms;
  input_result_free (r);

  g_autoptr (GError) view_error = NULL;
  if (!rel_heatmap_view_set_input (self->heatmap_view, self->input, &self->model->preprocess, &view_error))
    g_warning ("%s", view_error->message);
  rel_heatmap_view_set_relevance (self->heatmap_view, NULL, NULL);
  g_clear_pointer (&self->relevance, rel_tensor_unref);
  rel_workspace_set_relevance (self->workspace, NULL);
  /* Another image explains its own prediction unless the target is pinned. */
  if (g_strcmp0 (self->input_path, self->explained_path) != 0)
    {
      rel_prediction_panel_new_image (self->prediction_panel);
      g_free (self->explained_path);
      self->explained_path = g_strdup (self->input_path);
    }
  rel_prediction_panel_set_logits (self->prediction_panel, self->logits, self->model);
  update_pages (self);
  rel_window_compare_invalidate (self);
  submit_main (self);
}

/* Decodes and predicts @path with the current model. */
static void
load_input (RelWindow *self, const char *path)
{
  if (self->input_job)
    {
      rel_job_cancel (self->input_job);
      g_clear_pointer (&self->input_job, rel_job_unref);
    }
  if (path != self->input_path)
    {
      g_free (self->input_path);
      self->input_path = g_strdup (path);
    }
  if (self->model == NULL || path == NULL)
    return;
  /* The canvas is out of date until the new image is explained. */
  self->main_final = FALSE;
  rel_heatmap_view_set_busy (self->heatmap_view, TRUE);
  InputTask *t = g_new0 (InputTask, 1);
  t->model = rel_model_ref (self->model);
  t->path = g_strdup (path);
  self->input_job = rel_job_new (input_thread, t, input_task_free);
  rel_job_set_items_func (self->input_job, input_items, (GDestroyNotify) rel_tensor_unref);
  rel_job_set_done_func (self->input_job, input_done, input_result_free);
  rel_job_start (self->input_job, self);
  /* The canvas, not "No Image Selected", while the image loads. */
  update_pages (self);
}

static void
selected_item_cb (RelImageBrowser *browser, GParamSpec *pspec, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  RelImageItem *item = rel_image_browser_get_selected_item (browser);
  if (item == NULL)
    return;
  rel_workspace_set_selection (self->workspace, item);
  const char *path = rel_image_item_get_path (item);
  if (g_strcmp0 (path, self->input_path) == 0 && self->input)
    return;
  load_input (self, path);
}

/* Enter or a double click: the image even when the grid's selection did not follow the focus. */
static void
image_activated_cb (RelImageBrowser *browser, RelImageItem *item, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  rel_image_browser_set_selected_item (browser, item);
  if (g_strcmp0 (rel_image_item_get_path (item), self->input_path) != 0 || self->input == NULL)
    load_input (self, rel_image_item_get_path (item));
  adw_view_stack_set_visible_child_name (self->view_stack, "explore");
}

/* ---- live explanation ---- */

static void
main_update_cb (RelExplainer *explainer, RelExplainUpdate *update, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  if (update->generation != self->main_generation)
    return;

  if (update->estimate)
    {
      g_autoptr (GError) error = NULL;
      if (rel_heatmap_view_set_relevance (self->heatmap_view, update->estimate, &error))
        {
          g_clear_pointer (&self->relevance, rel_tensor_unref);
          self->relevance = rel_tensor_ref (update->estimate);
          rel_workspace_set_relevance (self->workspace, self->relevance);
          self->n_updates++;
        }
      else
        g_warning ("%s", error->message);
    }

  if (update->is_final)
    {
      self->main_final = TRUE;
      rel_heatmap_view_set_busy (self->heatmap_view, FALSE);
      if (update->error)
        {
          g_autofree char *text = g_strdup_printf (_("Failed: %s"), update->error->message);
          rel_explainer_panel_set_status (self->explainer_panel, update->elapsed_ms, 1.0, text);
        }
      else
        {
          g_autofree char *conservation = NULL;
          RelExplanation *e = update->explanation;
          if (e)
            {
              const RelMethodDef *m = rel_explainer_panel_get_method (self->explainer_panel);
              if (m && g_strcmp0 (m->family, "lrp") == 0)
                conservation = rel_explainer_format_conservation (e->relevance_sum, e->explained_output);
              self->conservation_sum = e->relevance_sum;
              self->conservation_out = e->explained_output;
              rel_heatmap_view_set_stability (self->heatmap_view, e->stability);
            }
          rel_explainer_panel_set_status (self->explainer_panel, update->elapsed_ms, 1.0, conservation);
        }
    }
  else
    rel_explainer_panel_set_status (self->explainer_panel, update->elapsed_ms, update->fraction, NULL);

  update_pages (self);
  g_signal_emit (self, signals[SIGNAL_RELEVANCE_UPDATED], 0, update->is_final);
}

/* Batches for a sampling method. The core's default favours throughput (4
 * ResNet-18 images per pass), which delays the first estimate by a whole
 * batch; on a slow model smaller batches put something on screen sooner
 * while the rest streams in. Fast models keep the default. */
static int
live_batch_size (RelWindow *self, const RelParams *params)
{
  const RelMethodDef *method = rel_params_method (params);
  const char *env = g_getenv ("RELEVANCE_LIVE_BATCH");
  if (env && *env)
    return atoi (env);
  if (method == NULL || !method->sampling || self->forward_ms < 20)
    return 0;
  /* ResNet-18 at 224² on 2 cores: first estimate 330 ms with 1, 520 ms with 2, 830 ms with 4. */
  return 1;
}

static void
submit_main (RelWindow *self)
{
  if (self->model == NULL || self->input == NULL)
    return;
  /* The grid owns the worker while it is shown. */
  if (g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "compare") == 0)
    {
      self->main_final = FALSE;
      return;
    }
  g_autoptr (RelParams) params = rel_explainer_panel_get_params (self->explainer_panel);
  if (params == NULL)
    return;
  RelTarget target;
  rel_prediction_panel_get_target (self->prediction_panel, &target);
  rel_workspace_set_target (self->workspace, &target);
  update_target_chip (self);
  self->compare_running = NULL;
  self->main_final = FALSE;
  /* The explained output is known before the map: progressive estimates
   * already keep the floor of a near-zero map (rel-colormap.h). */
  {
    double explained = 0;
    g_autoptr (RelTensor) seed = self->logits ? rel_target_seed (&target, self->logits, 1.0, NULL, &explained, NULL)
                                              : NULL;
    rel_heatmap_view_set_reference (self->heatmap_view,
                                    seed ? rel_params_reference_output (params, explained) : 0);
  }
  rel_heatmap_view_set_stability (self->heatmap_view, NAN);
  rel_heatmap_view_set_busy (self->heatmap_view, TRUE);
  self->main_generation = rel_explainer_submit (self->explainer, self->model, self->input, params,
                                                &target, 1, live_batch_size (self, params),
                                                main_update_cb, self);
  rel_explainer_panel_set_status (self->explainer_panel, -1, 0, NULL);
}

static void
params_changed_cb (RelExplainerPanel *panel, gpointer params, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  const RelMethodDef *method = rel_explainer_panel_get_method (panel);
  if (self->settings && method)
    g_settings_set_string (self->settings, "last-method", method->name);
  rel_workspace_set_params (self->workspace, params);
  rel_window_compare_invalidate (self);
  submit_main (self);
}

static void
target_changed_cb (RelPredictionPanel *panel, gpointer target, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  rel_window_compare_invalidate (self);
  submit_main (self);
}

void
rel_window_refresh (RelWindow *self)
{
  g_return_if_fail (REL_IS_WINDOW (self));
  submit_main (self);
}

/* ---- the model ---- */

static void
set_loading (RelWindow *self, gboolean loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  gtk_spinner_set_spinning (self->spinner, loading);
  update_pages (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static gpointer
load_thread (RelJob *job, gpointer data, GError **error)
{
  return rel_model_load (data, error);
}

static void
load_done (RelJob *job, gpointer result, const GError *error, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  RelModel *model = result;
  g_autofree char *path = g_steal_pointer (&self->load_path);
  g_clear_pointer (&self->load_job, rel_job_unref);
  set_loading (self, FALSE);

  if (model == NULL)
    {
      const char *message = error ? error->message : _("The file is not a model.");
      rel_window_show_error (self, path, message);
      update_pages (self);
      g_signal_emit (self, signals[SIGNAL_LOAD_FAILED], 0, message);
      return;
    }

  g_clear_pointer (&self->model, rel_model_unref);
  g_free (self->model_name);
  self->model = model;
  self->model_name = rel_model_display_name (model, path);
  remember_model (self, path);

  rel_explainer_cancel (self->explainer);
  g_clear_pointer (&self->input, rel_tensor_unref);
  g_clear_pointer (&self->logits, rel_tensor_unref);
  g_clear_pointer (&self->relevance, rel_tensor_unref);
  rel_workspace_set_image (self->workspace, self->input_path, NULL);
  rel_workspace_set_relevance (self->workspace, NULL);
  rel_workspace_set_model (self->workspace, model, self->model_name);
  /* the old model's map is not this one's; the image stays until it reloads */
  rel_heatmap_view_set_relevance (self->heatmap_view, NULL, NULL);
  rel_explainer_panel_set_model (self->explainer_panel, model);
  rel_explainer_panel_clear_status (self->explainer_panel);
  rel_prediction_panel_set_logits (self->prediction_panel, NULL, model);
  rel_image_browser_set_predictor (self->browser, model, 0);
  rel_inspect_page_set_model (self->inspect, model);
  rel_evaluate_page_set_model (self->evaluate, model);
  rel_window_compare_invalidate (self);

  if (self->pending_images)
    {
      g_autofree char *images = g_steal_pointer (&self->pending_images);
      rel_window_open_images (self, images);
    }
  else
    {
      RelImageItem *item = rel_image_browser_get_selected_item (self->browser);
      if (item)
        load_input (self, rel_image_item_get_path (item));
    }
  update_pages (self);
  g_signal_emit (self, signals[SIGNAL_MODEL_CHANGED], 0);
}

void
rel_window_open (RelWindow *self, GFile *file)
{
  g_return_if_fail (REL_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  g_autofree char *path = g_file_get_path (file);
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);
      const char *message = _("Only local files can be opened.");
      rel_window_show_error (self, uri, message);
      g_signal_emit (self, signals[SIGNAL_LOAD_FAILED], 0, message);
      return;
    }

  /* A newer load overtakes an older one, which is never delivered. */
  if (self->load_job)
    {
      rel_job_cancel (self->load_job);
      g_clear_pointer (&self->load_job, rel_job_unref);
    }
  g_free (self->load_path);
  self->load_path = g_strdup (path);
  set_loading (self, TRUE);
  self->load_job = rel_job_run (load_thread, g_steal_pointer (&path), g_free,
                                (GDestroyNotify) rel_model_unref, NULL, load_done, self);
}

gboolean
rel_window_is_loading (RelWindow *self)
{
  g_return_val_if_fail (REL_IS_WINDOW (self), FALSE);
  return self->loading;
}

RelModel *
rel_window_get_model (RelWindow *self)
{
  g_return_val_if_fail (REL_IS_WINDOW (self), NULL);
  return self->model;
}

const char *
rel_window_get_model_name (RelWindow *self)
{
  g_return_val_if_fail (REL_IS_WINDOW (self), NULL);
  return self->model_name;
}

/* ---- images ---- */

static void
folder_loaded_cb (RelImageBrowser *browser, GError *error, gpointer user_data)
{
  if (error)
    return;
  /* Something to look at right away. */
  if (rel_image_browser_get_selected_item (browser) == NULL)
    {
      GListModel *filtered = rel_image_browser_get_filtered (browser);
      if (g_list_model_get_n_items (filtered) > 0)
        {
          g_autoptr (RelImageItem) first = g_list_model_get_item (filtered, 0);
          rel_image_browser_set_selected_item (browser, first);
        }
    }
}

void
rel_window_open_images (RelWindow *self, const char *path)
{
  g_return_if_fail (REL_IS_WINDOW (self));
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      rel_image_browser_open_folder (self->browser, path);
      rel_explainer_panel_set_image_folder (self->explainer_panel, path);
      rel_workspace_set_dataset (self->workspace, path);
      if (self->settings)
        g_settings_set_string (self->settings, "last-folder", path);
    }
  else
    {
      const char *paths[] = { path, NULL };
      rel_image_browser_add_files (self->browser, paths);
      GListModel *items = rel_image_browser_get_items (self->browser);
      guint n = g_list_model_get_n_items (items);
      if (n > 0)
        {
          g_autoptr (RelImageItem) last = g_list_model_get_item (items, n - 1);
          rel_image_browser_set_selected_item (self->browser, last);
        }
    }
}

gboolean
rel_window_open_files (RelWindow *self, GFile *const *files, int n_files)
{
  g_return_val_if_fail (REL_IS_WINDOW (self), FALSE);
  GFile *model_file = NULL;
  g_autoptr (GPtrArray) images = g_ptr_array_new_with_free_func (g_free);
  char *folder = NULL;

  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *path = g_file_get_path (files[i]);
      if (path == NULL)
        continue;
      g_autofree char *lower = g_ascii_strdown (path, -1);
      if (g_str_has_suffix (lower, ".onnx"))
        model_file = model_file ? model_file : files[i];
      else if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          g_free (folder);
          folder = g_steal_pointer (&path);
        }
      else if (rel_input_is_file_name (path))
        g_ptr_array_add (images, g_steal_pointer (&path));
    }
  g_autofree char *folder_owned = folder;
  if (model_file == NULL && folder == NULL && images->len == 0)
    {
      if (n_files > 0)
        {
          /* Not recognised by name: try it as a model, which says what is wrong. */
          rel_window_open (self, files[0]);
          return TRUE;
        }
      return FALSE;
    }

  if (folder)
    {
      if (model_file || self->model == NULL)
        {
          g_free (self->pending_images);
          self->pending_images = g_strdup (folder);
        }
      else
        rel_window_open_images (self, folder);
    }
  if (images->len > 0)
    {
      g_ptr_array_add (images, NULL);
      rel_image_browser_add_files (self->browser, (const char *const *) images->pdata);
      GListModel *items = rel_image_browser_get_items (self->browser);
      guint n = g_list_model_get_n_items (items);
      g_autoptr (RelImageItem) last = g_list_model_get_item (items, n - 1);
      rel_image_browser_set_selected_item (self->browser, last);
    }
  if (model_file)
    rel_window_open (self, model_file);
  /* Images without a model wait for one; the status page says so. */
  else if (self->pending_images && self->model)
    {
      g_autofree char *p = g_steal_pointer (&self->pending_images);
      rel_window_open_images (self, p);
    }
  return TRUE;
}

gboolean
rel_window_open_demo (RelWindow *self)
{
  g_autofree char *demo = rel_window_find_demo ();
  if (demo == NULL)
    return FALSE;
  g_autofree char *model = g_build_filename (demo, "model.onnx", NULL);
  /* The demo's showpiece is the tagged set, where the model's shortcut shows. */
  g_autofree char *images = g_build_filename (demo, "images", "tagged", NULL);
  if (!g_file_test (images, G_FILE_TEST_IS_DIR))
    {
      g_free (images);
      images = g_build_filename (demo, "images", NULL);
    }
  g_autoptr (GFile) mfile = g_file_new_for_path (model);
  g_autoptr (GFile) ifile = g_file_new_for_path (images);
  GFile *files[] = { mfile, ifile };
  return rel_window_open_files (self, files, g_file_test (images, G_FILE_TEST_IS_DIR) ? 2 : 1);
}

/* A dialog or page asked through the workspace (the train dialog's Open Model). */
static gboolean
workspace_open_files_cb (RelWindow *self, GPtrArray *files)
{
  return rel_window_open_files (self, (GFile *const *) files->pdata, (int) files->len);
}

RelWorkspace *
rel_window_get_workspace (RelWindow *self)
{
  g_return_val_if_fail (REL_IS_WINDOW (self), NULL);
  return self->workspace;
}

static gboolean
drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  GSList *list = g_value_get_boxed (value);
  g_autoptr (GPtrArray) files = g_ptr_array_new ();
  for (GSList *l = list; l; l = l->next)
    g_ptr_array_add (files, l->data);
  return rel_window_open_files (self, (GFile *const *) files->pdata, files->len);
}

gboolean
rel_window_drop_value (RelWindow *self, const GValue *value)
{
  return drop_cb (NULL, value, 0, 0, self);
}

/* The Evaluate page works on what the window shows: the current image, the
 * browser's filtered images, and (on the first visit) Compare's methods. */
static void
evaluate_page_feed (RelWindow *self)
{
  GListModel *shown = rel_image_browser_get_filtered (self->browser);
  guint n = shown ? g_list_model_get_n_items (shown) : 0;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(RelImageItem) item = g_list_model_get_item (shown, i);
      g_ptr_array_add (paths, g_strdup (rel_image_item_get_path (item)));
    }
  g_ptr_array_add (paths, NULL);
  rel_evaluate_page_set_image (self->evaluate, self->input_path);
  rel_evaluate_page_set_dataset (self->evaluate, (const char *const *) paths->pdata);
  if (!self->evaluate_seeded && self->compare_methods && self->compare_methods->len > 0)
    {
      g_autoptr(GPtrArray) names = g_ptr_array_new ();
      for (guint i = 0; i < self->compare_methods->len; i++)
        g_ptr_array_add (names, g_ptr_array_index (self->compare_methods, i));
      g_ptr_array_add (names, NULL);
      rel_evaluate_page_select_methods (self->evaluate, (const char *const *) names->pdata);
      self->evaluate_seeded = TRUE;
    }
}

static void
visible_page_cb (AdwViewStack *stack, GParamSpec *pspec, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  update_column_toggles (self);
  rel_window_update_export_menu (self);
  if (g_strcmp0 (adw_view_stack_get_visible_child_name (stack), "evaluate") == 0)
    evaluate_page_feed (self);
  if (rel_window_compare_is_shown (self))
    rel_window_compare_shown (self);
  else
    {
      rel_window_compare_hidden (self);
      if (!self->main_final)
        submit_main (self);
    }
}

/* ---- pages of their own ---- */

/* The bottom switcher shows when the title has no room for the page
 * buttons. The title decides that while the window is being allocated; a
 * binding would reveal the bar in the middle of that allocation, and GTK
 * then gives its action bar a negative height (seen with five pages at
 * 890 px): the bar follows on the next idle instead. */
static gboolean
switcher_bar_sync (gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  self->switcher_bar_idle = 0;
  adw_view_switcher_bar_set_reveal (self->switcher_bar, adw_view_switcher_title_get_title_visible (self->switcher_title));
  return G_SOURCE_REMOVE;
}

static void
switcher_title_visible_cb (AdwViewSwitcherTitle *title, GParamSpec *pspec, RelWindow *self)
{
  if (self->switcher_bar_idle == 0)
    self->switcher_bar_idle = g_idle_add (switcher_bar_sync, self);
}

/* Adds @page (a widget of its own .c/.h/.ui) to the view switcher after the
 * pages already there; Alt+N shows the Nth. */
static void
rel_window_add_page (RelWindow *self, GtkWidget *page, const char *name, const char *title, const char *icon_name)
{
  AdwViewStackPage *stack_page = adw_view_stack_add_titled (self->view_stack, page, name, title);
  adw_view_stack_page_set_icon_name (stack_page, icon_name);
}

/* "Inspect" on a Strategies cluster: the Inspect page takes it over. */
static void
inspect_cluster_cb (RelStrategiesView *view, int cluster, RelWindow *self)
{
  if (rel_strategies_view_fill_inspect_page (view, cluster, self->inspect))
    adw_view_stack_set_visible_child_name (self->view_stack, "inspect");
}

/* "Use Corrected Model": the page wrote it; it loads like any model, so a
 * failure keeps the current one and Explore and Strategies then show it. */
static void
use_corrected_model_cb (RelInspectPage *page, const char *path, RelWindow *self)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  rel_window_open (self, file);
}

RelInspectPage *
rel_window_get_inspect_page (RelWindow *self)
{
  return self->inspect;
}

RelEvaluatePage *
rel_window_get_evaluate_page (RelWindow *self)
{
  return self->evaluate;
}

void
rel_window_show_strategies (RelWindow *self)
{
  g_return_if_fail (REL_IS_WINDOW (self));
  adw_view_stack_set_visible_child_name (self->view_stack, "strategies");
}


/* ---- accessors for tests and the benchmark ---- */

RelHeatmapView *
rel_window_get_heatmap_view (RelWindow *self)
{
  return self->heatmap_view;
}

RelExplainerPanel *
rel_window_get_explainer_panel (RelWindow *self)
{
  return self->explainer_panel;
}

RelPredictionPanel *
rel_window_get_prediction_panel (RelWindow *self)
{
  return self->prediction_panel;
}

RelImageBrowser *
rel_window_get_browser (RelWindow *self)
{
  return self->browser;
}

RelStrategiesView *
rel_window_get_strategies_view (RelWindow *self)
{
  return self->strategies;
}

gboolean
rel_window_is_explained (RelWindow *self)
{
  return self->main_final && self->relevance != NULL;
}

guint
rel_window_get_n_updates (RelWindow *self)
{
  return self->n_updates;
}

const char *
rel_window_get_input_path (RelWindow *self)
{
  return self->input ? self->input_path : NULL;
}

/* ---- GObject ---- */

static gboolean
rel_window_close_request (GtkWindow *window)
{
  RelWindow *self = REL_WINDOW (window);
  if (self->settings)
    {
      int width = 0, height = 0;
      gtk_window_get_default_size (window, &width, &height);
      gboolean maximized = gtk_window_is_maximized (window);
      g_settings_set_boolean (self->settings, "window-maximized", maximized);
      if (!maximized && width > 0 && height > 0)
        {
          g_settings_set_int (self->settings, "window-width", width);
          g_settings_set_int (self->settings, "window-height", height);
        }
    }
  return GTK_WINDOW_CLASS (rel_window_parent_class)->close_request (window);
}

static void
rel_window_constructed (GObject *object)
{
  RelWindow *self = REL_WINDOW (object);
  G_OBJECT_CLASS (rel_window_parent_class)->constructed (object);

  const char *method = NULL;
  g_autofree char *last_method = NULL, *default_method = NULL;
  if (self->settings)
    {
      gtk_window_set_default_size (GTK_WINDOW (self),
                                   g_settings_get_int (self->settings, "window-width"),
                                   g_settings_get_int (self->settings, "window-height"));
      if (g_settings_get_boolean (self->settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
      last_method = g_settings_get_string (self->settings, "last-method");
      default_method = g_settings_get_string (self->settings, "default-method");
      method = *last_method ? last_method : default_method;
    }
  rel_window_look_load (self);
  if (method == NULL || !rel_method_lookup (method))
    method = "lrp-epsilon-plus-flat";
  rel_explainer_panel_set_method (self->explainer_panel, method);
  {
    g_autoptr (RelParams) params = rel_explainer_panel_get_params (self->explainer_panel);
    rel_workspace_set_params (self->workspace, params);
  }
  update_recent_menu (self);
  update_pages (self);
}

static void
rel_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  RelWindow *self = REL_WINDOW (object);
  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_set_object (&self->settings, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rel_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  RelWindow *self = REL_WINDOW (object);
  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_WORKSPACE:
      g_value_set_object (value, self->workspace);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rel_window_dispose (GObject *object)
{
  RelWindow *self = REL_WINDOW (object);
  /* No callback may reach a window that is going away. */
  g_clear_pointer (&self->explainer, rel_explainer_free);
  g_clear_handle_id (&self->compare_fit_id, g_source_remove);
  g_clear_handle_id (&self->switcher_bar_idle, g_source_remove);
  if (self->load_job)
    rel_job_cancel (self->load_job);
  g_clear_pointer (&self->load_job, rel_job_unref);
  if (self->input_job)
    rel_job_cancel (self->input_job);
  g_clear_pointer (&self->input_job, rel_job_unref);
  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  if (self->cells)
    rel_window_compare_clear (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), REL_TYPE_WINDOW);
  G_OBJECT_CLASS (rel_window_parent_class)->dispose (object);
}

static void
rel_window_finalize (GObject *object)
{
  RelWindow *self = REL_WINDOW (object);
  g_clear_object (&self->settings);
  g_clear_object (&self->workspace);
  g_clear_pointer (&self->model, rel_model_unref);
  g_clear_pointer (&self->input, rel_tensor_unref);
  g_clear_pointer (&self->logits, rel_tensor_unref);
  g_clear_pointer (&self->relevance, rel_tensor_unref);
  g_clear_pointer (&self->cells, g_ptr_array_unref);
  g_clear_pointer (&self->compare_methods, g_ptr_array_unref);
  g_free (self->model_name);
  g_free (self->load_path);
  g_free (self->input_path);
  g_free (self->explained_path);
  g_free (self->error_message);
  g_free (self->pending_images);
  G_OBJECT_CLASS (rel_window_parent_class)->finalize (object);
}

static void
rel_window_class_init (RelWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = rel_window_constructed;
  object_class->set_property = rel_window_set_property;
  object_class->get_property = rel_window_get_property;
  object_class->dispose = rel_window_dispose;
  object_class->finalize = rel_window_finalize;
  window_class->close_request = rel_window_close_request;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL, REL_TYPE_WORKSPACE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_MODEL_CHANGED] =
    g_signal_new ("model-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_LOAD_FAILED] =
    g_signal_new ("load-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_RELEVANCE_UPDATED] =
    g_signal_new ("relevance-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  signals[SIGNAL_COMPARE_DONE] =
    g_signal_new ("compare-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (REL_TYPE_IMAGE_BROWSER);
  g_type_ensure (REL_TYPE_HEATMAP_VIEW);
  g_type_ensure (REL_TYPE_CONCEPTS_PANEL);
  g_type_ensure (REL_TYPE_COLORBAR);
  g_type_ensure (REL_TYPE_PREDICTION_PANEL);
  g_type_ensure (REL_TYPE_EXPLAINER_PANEL);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/relevance/Relevance/rel-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RelWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, model_label);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, export_button);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, browser);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, browser_flap);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, side_flap);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, browser_toggle);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, side_toggle);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, view_page_stack);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, heatmap_view);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, target_chip);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, colorbar);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, prediction_panel);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, concepts_panel);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, explainer_panel);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, mode_image);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, mode_heatmap);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, mode_overlay);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, opacity_adjustment);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, opacity_scale);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, colormap_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, sign_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, norm_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, zoom_in_button);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, zoom_out_button);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, zoom_fit_button);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, compare_methods_toggle);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, compare_images_toggle);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, compare_methods_button);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, shared_toggle);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, compare_status);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, compare_grid);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, compare_scroller);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, recent_section);

  rel_window_actions_class_init (widget_class);
  rel_window_export_class_init (widget_class);
}

static void
rel_window_init (RelWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->explainer = rel_explainer_new ();
  self->workspace = rel_workspace_new ();
  g_signal_connect_swapped (self->workspace, "open-files", G_CALLBACK (workspace_open_files_cb), self);
  rel_colorbar_set_view (self->colorbar, self->heatmap_view);
  rel_concepts_panel_set_workspace (self->concepts_panel, self->workspace);
  rel_concepts_panel_set_view (self->concepts_panel, self->heatmap_view);
  rel_window_look_init (self);
  rel_window_compare_init (self);
  g_signal_connect (self->view_stack, "notify::visible-child-name", G_CALLBACK (visible_page_cb), self);
  g_signal_connect (self->switcher_title, "notify::title-visible", G_CALLBACK (switcher_title_visible_cb), self);
  switcher_bar_sync (self);

  /* Pages after Explore and Compare (rel-window.ui): one line each. */
  self->strategies = REL_STRATEGIES_VIEW (rel_strategies_view_new (self->workspace, self->browser));
  rel_window_add_page (self, GTK_WIDGET (self->strategies), "strategies", _("Strategies"), "view-dual-symbolic");
  self->inspect = REL_INSPECT_PAGE (rel_inspect_page_new ());
  rel_window_add_page (self, GTK_WIDGET (self->inspect), "inspect", _("Inspect"), "system-search-symbolic");
  self->evaluate = REL_EVALUATE_PAGE (rel_evaluate_page_new ());
  rel_window_add_page (self, GTK_WIDGET (self->evaluate), "evaluate", _("Evaluate"), "emblem-ok-symbolic");
  g_signal_connect (self->strategies, "inspect-cluster", G_CALLBACK (inspect_cluster_cb), self);
  g_signal_connect (self->inspect, "use-model", G_CALLBACK (use_corrected_model_cb), self);
  rel_window_export_init (self);

  g_signal_connect (self->browser, "notify::selected-item", G_CALLBACK (selected_item_cb), self);
  g_signal_connect (self->browser, "folder-loaded", G_CALLBACK (folder_loaded_cb), self);
  g_signal_connect (self->browser, "image-activated", G_CALLBACK (image_activated_cb), self);
  g_signal_connect (self->explainer_panel, "params-changed", G_CALLBACK (params_changed_cb), self);
  g_signal_connect (self->prediction_panel, "target-changed", G_CALLBACK (target_changed_cb), self);

  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
}

RelWindow *
rel_window_new (GtkApplication *application, GSettings *settings)
{
  return g_object_new (REL_TYPE_WINDOW, "application", application, "settings", settings, NULL);
}
