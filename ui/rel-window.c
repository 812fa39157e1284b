/* rel-window.c — the main window: image browser, heatmap canvas, prediction
 * and explainer panels ("Explore"), a grid of heatmaps ("Compare"), export.
 *
 * Everything slow runs off the main loop: models load through rel_job_run (a
 * VGG-16 is half a gigabyte of protobuf), the selected image is decoded and
 * predicted on another job, and explanations go through the window's single
 * RelExplainer, whose newest submission wins. The Explore view and the
 * Compare grid share that explainer: the grid's cells are submitted one after
 * another, and whichever view is shown owns the worker.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-window.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rel-atomic-file.h"
#include "rel-colorbar.h"
#include "rel-core.h"
#include "rel-explainer-panel.h"
#include "rel-heatmap-view.h"
#include "rel-image-browser.h"
#include "rel-strategies-view.h"
#include "rel-image.h"
#include "rel-job.h"
#include "rel-npy.h"
#include "rel-prediction-panel.h"
#include "rel-train-dialog.h"

/* How many models the Recent Models menu offers. */
#define RECENT_MAX 8
/* Images in the "images × one method" grid when fewer are selected. */
#define COMPARE_MAX_IMAGES 12
/* Side of a grid cell's canvas, and of a cell in exported grids. */
/* The compare grid's cells: at least this side, growing with the window
 * so that the columns fill its width. */
#define COMPARE_CELL_SIZE 200
#define COMPARE_SPACING 12      /* the grid's column spacing (rel-window.ui) */
#define COMPARE_MARGIN 18       /* the grid's margins (rel-window.ui) */
#define COMPARE_CELL_CHROME 20  /* a grid child's padding, the card's border and the view's margins */
#define EXPORT_CELL_SIZE 224

static const char *const default_compare_methods[] = {
  "gradient", "smoothgrad", "integrated-gradients", "lrp-epsilon-plus-flat", "gradcam", "occlusion", NULL
};

typedef struct {
  RelWindow      *window;   /* not owned */
  GtkWidget      *widget;   /* the cell's box, owned by the grid */
  RelHeatmapView *view;
  GtkLabel       *title;
  GtkLabel       *subtitle;
  char           *method;
  RelImageItem   *item;     /* images × one method; NULL for methods × image */
  gboolean        done;
  gboolean        failed;
  double          reference; /* what the map adds up to when fixed by the params (1 for
                              * LRP from 1.0); NAN: the explained output */
} CompareCell;

struct _RelWindow
{
  AdwApplicationWindow parent_instance;

  GSettings    *settings;
  RelModel     *model;
  char         *model_name;
  RelJob       *load_job;
  char         *load_path;
  gboolean      loading;
  char         *error_message;   /* the last error shown, for tests */
  char         *pending_images;  /* a folder or image to open once a model is there */

  /* The selected image: decoded and predicted on a job. */
  RelJob       *input_job;
  RelTensor    *input;
  RelTensor    *logits;
  char         *input_path;
  char         *explained_path;   /* the image the target was last chosen for */

  RelExplainer *explainer;
  guint64       main_generation;
  gboolean      main_final;      /* the Explore view's explanation is complete */
  RelTensor    *relevance;       /* the map on the canvas (latest estimate) */
  double        forward_ms;      /* one forward pass of the current input, measured */
  guint         n_updates;
  double        conservation_sum, conservation_out;

  /* Compare grid. */
  GPtrArray    *cells;           /* CompareCell*, grid order */
  GPtrArray    *compare_methods; /* method names (char*) */
  gboolean      compare_dirty;
  guint64       compare_generation;
  CompareCell  *compare_running;

  /* Template children. */
  AdwToastOverlay    *toast_overlay;
  AdwViewSwitcherTitle *switcher_title;
  GtkStack           *stack;
  AdwViewStack       *view_stack;
  GtkSpinner         *spinner;
  GtkLabel           *model_label;
  GtkMenuButton      *export_button;
  RelImageBrowser    *browser;
  AdwFlap            *browser_flap;
  AdwFlap            *side_flap;
  GtkWidget          *browser_toggle;
  GtkWidget          *side_toggle;
  RelStrategiesView  *strategies;
  GtkStack           *view_page_stack;
  RelHeatmapView     *heatmap_view;
  RelColorbar        *colorbar;
  RelPredictionPanel *prediction_panel;
  GtkLabel           *target_chip;
  RelExplainerPanel  *explainer_panel;
  GtkToggleButton    *mode_image;
  GtkToggleButton    *mode_heatmap;
  GtkToggleButton    *mode_overlay;
  GtkAdjustment      *opacity_adjustment;
  GtkWidget          *opacity_scale;
  GtkDropDown        *colormap_dropdown;
  GtkDropDown        *sign_dropdown;
  GtkDropDown        *norm_dropdown;
  GtkButton          *zoom_in_button;
  GtkButton          *zoom_out_button;
  GtkButton          *zoom_fit_button;
  GtkToggleButton    *compare_methods_toggle;
  GtkToggleButton    *compare_images_toggle;
  GtkMenuButton      *compare_methods_button;
  GtkToggleButton    *shared_toggle;
  GtkLabel           *compare_status;
  GtkFlowBox         *compare_grid;
  GtkScrolledWindow  *compare_scroller;
  int                 compare_cell;    /* the cells' heatmap side now */
  int                 compare_columns;
  guint               compare_fit_id;  /* idle that applies compare_cell */
  GMenu              *recent_section;
};

G_DEFINE_FINAL_TYPE (RelWindow, rel_window, ADW_TYPE_APPLICATION_WINDOW)

enum { PROP_0, PROP_SETTINGS, PROP_LOADING, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_MODEL_CHANGED, SIGNAL_LOAD_FAILED, SIGNAL_RELEVANCE_UPDATED, SIGNAL_COMPARE_DONE, N_SIGNALS };
static guint signals[N_SIGNALS];

static void submit_main (RelWindow *self);
static void compare_invalidate (RelWindow *self);
static void compare_continue (RelWindow *self);

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
static void
show_error_heading (RelWindow *self, const char *heading, const char *message)
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
static void
show_error (RelWindow *self, const char *path, const char *message)
{
  g_autofree char *name = path ? g_filename_display_basename (path) : g_strdup ("?");
  g_autofree char *heading = g_strdup_printf (_("Could not open “%s”"), name);
  show_error_heading (self, heading, message);
}

/* A failed export: the toast names the file and the reason ("No space left
 * on device"), without the path the core's message starts with; Details
 * has the whole message. */
static void
show_save_error (RelWindow *self, const char *path, const char *message)
{
  g_autofree char *name = g_filename_display_basename (path);
  g_autofree char *prefix = g_strdup_printf ("cannot write '%s': ", path);
  const char *reason = g_str_has_prefix (message, prefix) ? message + strlen (prefix) : message;
  g_autofree char *heading = g_strdup_printf (_("Could not save “%s”: %s"), name, reason);
  show_error_heading (self, heading, message);
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
  gboolean have_map = self->relevance != NULL;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export", have_map);
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), have_map);
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
      show_error (self, self->input_path, error ? error->message : _("The image could not be read."));
      return;
    }
  g_clear_pointer (&self->input, rel_tensor_unref);
  g_clear_pointer (&self->logits, rel_tensor_unref);
  self->input = g_steal_pointer (&r->input);
  self->logits = g_steal_pointer (&r->logits);
  self->forward_ms = r->forward_ms;
  input_result_free (r);

  g_autoptr (GError) view_error = NULL;
  if (!rel_heatmap_view_set_input (self->heatmap_view, self->input, &self->model->preprocess, &view_error))
    g_warning ("%s", view_error->message);
  rel_heatmap_view_set_relevance (self->heatmap_view, NULL, NULL);
  g_clear_pointer (&self->relevance, rel_tensor_unref);
  /* Another image explains its own prediction unless the target is pinned. */
  if (g_strcmp0 (self->input_path, self->explained_path) != 0)
    {
      rel_prediction_panel_new_image (self->prediction_panel);
      g_free (self->explained_path);
      self->explained_path = g_strdup (self->input_path);
    }
  rel_prediction_panel_set_logits (self->prediction_panel, self->logits, self->model);
  update_pages (self);
  compare_invalidate (self);
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
  /* one method per window: Strategies explains with the same */
  rel_strategies_view_set_method (self->strategies, params);
  compare_invalidate (self);
  submit_main (self);
}

static void
target_changed_cb (RelPredictionPanel *panel, gpointer target, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  compare_invalidate (self);
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
      show_error (self, path, message);
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
  /* the old model's map is not this one's; the image stays until it reloads */
  rel_heatmap_view_set_relevance (self->heatmap_view, NULL, NULL);
  rel_explainer_panel_set_model (self->explainer_panel, model);
  rel_explainer_panel_clear_status (self->explainer_panel);
  rel_prediction_panel_set_logits (self->prediction_panel, NULL, model);
  rel_image_browser_set_predictor (self->browser, model, 0);
  rel_strategies_view_set_model (self->strategies, model);
  compare_invalidate (self);

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
      show_error (self, uri, message);
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

static gboolean
is_image_name (const char *path)
{
  static const char *const exts[] = { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".npy" };
  g_autofree char *lower = g_ascii_strdown (path, -1);
  for (guint i = 0; i < G_N_ELEMENTS (exts); i++)
    if (g_str_has_suffix (lower, exts[i]))
      return TRUE;
  return FALSE;
}

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
      else if (is_image_name (path))
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

/* ---- file choosers ---- */

typedef enum { CHOOSE_MODEL, CHOOSE_FOLDER, CHOOSE_IMAGES } ChooseKind;

static void
chooser_response (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  ChooseKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "rel-kind"));
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));
      g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        g_ptr_array_add (list, g_list_model_get_item (files, i));
      if (kind == CHOOSE_MODEL && list->len > 0)
        rel_window_open (self, list->pdata[0]);
      else if (list->len > 0)
        rel_window_open_files (self, (GFile *const *) list->pdata, list->len);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
add_filter (GtkFileChooser *chooser, const char *name, const char *const *patterns)
{
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, name);
  for (int i = 0; patterns[i]; i++)
    gtk_file_filter_add_pattern (filter, patterns[i]);
  gtk_file_chooser_add_filter (chooser, filter);
  g_object_unref (filter);
}

static void
choose (RelWindow *self, ChooseKind kind)
{
  static const char *const onnx[] = { "*.onnx", NULL };
  static const char *const pictures[] = { "*.png", "*.jpg", "*.jpeg", "*.bmp", "*.webp", "*.npy",
                                          "*.PNG", "*.JPG", "*.JPEG", NULL };
  static const char *const all[] = { "*", NULL };
  const char *title = kind == CHOOSE_MODEL ? _("Open Model")
                    : kind == CHOOSE_FOLDER ? _("Open Folder") : _("Open Images");
  /* GtkFileDialog is GTK 4.10; Debian 12 has 4.8. */
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (title, GTK_WINDOW (self),
                                 kind == CHOOSE_FOLDER ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                                       : GTK_FILE_CHOOSER_ACTION_OPEN,
                                 _("_Open"), _("_Cancel"));
  g_object_set_data (G_OBJECT (chooser), "rel-kind", GINT_TO_POINTER (kind));
  if (kind == CHOOSE_MODEL)
    {
      add_filter (GTK_FILE_CHOOSER (chooser), _("ONNX Models"), onnx);
      add_filter (GTK_FILE_CHOOSER (chooser), _("All Files"), all);
      if (self->model && self->model->path)
        {
          g_autoptr (GFile) current = g_file_new_for_path (self->model->path);
          g_autoptr (GFile) folder = g_file_get_parent (current);
          if (folder)
            gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, NULL);
        }
    }
  else if (kind == CHOOSE_IMAGES)
    {
      gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (chooser), TRUE);
      add_filter (GTK_FILE_CHOOSER (chooser), _("Images"), pictures);
      add_filter (GTK_FILE_CHOOSER (chooser), _("All Files"), all);
    }
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
open_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  choose (REL_WINDOW (widget), CHOOSE_MODEL);
}

/* Alt+1/2/3: the pages, as the view switcher orders them. */
static void
show_page_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  RelWindow *self = REL_WINDOW (widget);
  const char *page = g_variant_get_string (parameter, NULL);

  if (self->model == NULL || adw_view_stack_get_child_by_name (self->view_stack, page) == NULL)
    return;
  adw_view_stack_set_visible_child_name (self->view_stack, page);
}

static void
open_folder_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  choose (REL_WINDOW (widget), CHOOSE_FOLDER);
}

static void
open_images_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  choose (REL_WINDOW (widget), CHOOSE_IMAGES);
}

static void
open_demo_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  RelWindow *self = REL_WINDOW (widget);
  if (!rel_window_open_demo (self))
    show_error (self, "demo", _("The demo model is not installed."));
}

static void
open_recent_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  g_autoptr (GFile) file = g_file_new_for_path (g_variant_get_string (parameter, NULL));
  rel_window_open (REL_WINDOW (widget), file);
}

/* ---- view toolbar ---- */

static const char *const colormap_ids[] = { "bwr", "coldnhot", "hot", "viridis", "gray", NULL };
static const char *const sign_ids[] = { "both", "positive", "negative", "absolute", NULL };
static const char *const norm_ids[] = { "max-abs", "percentile", NULL };

static guint
index_of (const char *const *ids, const char *id)
{
  for (guint i = 0; ids[i]; i++)
    if (g_strcmp0 (ids[i], id) == 0)
      return i;
  return 0;
}

/* The schema's enum calls Zennit's "hot" map "fire". */
static const char *
colormap_from_setting (const char *nick)
{
  return g_strcmp0 (nick, "fire") == 0 ? "hot" : nick;
}

static const char *
colormap_to_setting (const char *name)
{
  return g_strcmp0 (name, "hot") == 0 ? "fire" : name;
}

static void
apply_colormap (RelWindow *self, const char *name)
{
  g_autofree char *current = NULL;
  g_object_get (self->heatmap_view, "colormap", &current, NULL);
  if (g_strcmp0 (current, name) != 0)
    g_object_set (self->heatmap_view, "colormap", name, NULL);
  guint idx = index_of (colormap_ids, name);
  if (gtk_drop_down_get_selected (self->colormap_dropdown) != idx)
    gtk_drop_down_set_selected (self->colormap_dropdown, idx);
  if (self->settings)
    {
      g_autofree char *stored = g_settings_get_string (self->settings, "colormap");
      if (g_strcmp0 (colormap_from_setting (stored), name) != 0)
        g_settings_set_string (self->settings, "colormap", colormap_to_setting (name));
    }
}

static void
apply_sign (RelWindow *self, const char *name)
{
  g_object_set (self->heatmap_view, "sign-mode", name, NULL);
  guint idx = index_of (sign_ids, name);
  if (gtk_drop_down_get_selected (self->sign_dropdown) != idx)
    gtk_drop_down_set_selected (self->sign_dropdown, idx);
  if (self->settings)
    {
      g_autofree char *stored = g_settings_get_string (self->settings, "sign-mode");
      if (g_strcmp0 (stored, name) != 0)
        g_settings_set_string (self->settings, "sign-mode", name);
    }
}

static void
apply_opacity (RelWindow *self, double opacity)
{
  if (rel_heatmap_view_get_opacity (self->heatmap_view) != opacity)
    rel_heatmap_view_set_opacity (self->heatmap_view, opacity);
  if (gtk_adjustment_get_value (self->opacity_adjustment) != opacity)
    gtk_adjustment_set_value (self->opacity_adjustment, opacity);
  if (self->settings && g_settings_get_double (self->settings, "opacity") != opacity)
    g_settings_set_double (self->settings, "opacity", opacity);
}

static void
colormap_selected_cb (GtkDropDown *dropdown, GParamSpec *pspec, gpointer user_data)
{
  guint idx = gtk_drop_down_get_selected (dropdown);
  if (idx < g_strv_length ((char **) colormap_ids))
    apply_colormap (REL_WINDOW (user_data), colormap_ids[idx]);
}

static void
sign_selected_cb (GtkDropDown *dropdown, GParamSpec *pspec, gpointer user_data)
{
  guint idx = gtk_drop_down_get_selected (dropdown);
  if (idx < g_strv_length ((char **) sign_ids))
    apply_sign (REL_WINDOW (user_data), sign_ids[idx]);
}

static void
norm_selected_cb (GtkDropDown *dropdown, GParamSpec *pspec, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  guint idx = gtk_drop_down_get_selected (dropdown);
  if (idx < g_strv_length ((char **) norm_ids))
    g_object_set (self->heatmap_view, "normalization", norm_ids[idx], NULL);
}

static void
opacity_changed_cb (GtkAdjustment *adjustment, gpointer user_data)
{
  apply_opacity (REL_WINDOW (user_data), gtk_adjustment_get_value (adjustment));
}

static void
settings_changed_cb (GSettings *settings, const char *key, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  if (g_strcmp0 (key, "colormap") == 0)
    {
      g_autofree char *nick = g_settings_get_string (settings, key);
      apply_colormap (self, colormap_from_setting (nick));
    }
  else if (g_strcmp0 (key, "opacity") == 0)
    apply_opacity (self, g_settings_get_double (settings, key));
  else if (g_strcmp0 (key, "sign-mode") == 0)
    {
      g_autofree char *name = g_settings_get_string (settings, key);
      apply_sign (self, name);
    }
  else if (g_strcmp0 (key, "threads") == 0)
    rel_core_init (g_settings_get_int (settings, key));
}

static void
display_mode_cb (GtkToggleButton *button, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  if (!gtk_toggle_button_get_active (button))
    return;
  const char *mode = button == self->mode_image ? "image"
                   : button == self->mode_heatmap ? "heatmap" : "overlay";
  g_object_set (self->heatmap_view, "display-mode", mode, NULL);
  /* Opacity only means something while blending. */
  gtk_widget_set_sensitive (self->opacity_scale, button == self->mode_overlay);
}

static void
zoom_clicked_cb (GtkButton *button, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  double zoom = rel_heatmap_view_get_zoom (self->heatmap_view);
  if (button == self->zoom_in_button)
    rel_heatmap_view_set_zoom (self->heatmap_view, MIN (zoom * 1.25, 64.0));
  else if (button == self->zoom_out_button)
    rel_heatmap_view_set_zoom (self->heatmap_view, MAX (zoom / 1.25, 1.0));
  else
    rel_heatmap_view_zoom_fit (self->heatmap_view);
}

static GtkStringList *
string_list (const char *const *labels)
{
  GtkStringList *list = gtk_string_list_new (NULL);
  for (int i = 0; labels[i]; i++)
    gtk_string_list_append (list, labels[i]);
  return list;
}

static void
setup_toolbar (RelWindow *self)
{
  const char *colormaps[] = { _("Blue–White–Red"), _("Cold and Hot"), _("Fire"), _("Viridis"), _("Gray"), NULL };
  const char *signs[] = { _("Both Signs"), _("Positive"), _("Negative"), _("Absolute"), NULL };
  const char *norms[] = { _("Largest Value"), _("99.5th Percentile"), NULL };
  g_autoptr (GtkStringList) c = string_list (colormaps);
  g_autoptr (GtkStringList) s = string_list (signs);
  g_autoptr (GtkStringList) n = string_list (norms);
  gtk_drop_down_set_model (self->colormap_dropdown, G_LIST_MODEL (c));
  gtk_drop_down_set_model (self->sign_dropdown, G_LIST_MODEL (s));
  gtk_drop_down_set_model (self->norm_dropdown, G_LIST_MODEL (n));

  g_signal_connect (self->colormap_dropdown, "notify::selected", G_CALLBACK (colormap_selected_cb), self);
  g_signal_connect (self->sign_dropdown, "notify::selected", G_CALLBACK (sign_selected_cb), self);
  g_signal_connect (self->norm_dropdown, "notify::selected", G_CALLBACK (norm_selected_cb), self);
  g_signal_connect (self->opacity_adjustment, "value-changed", G_CALLBACK (opacity_changed_cb), self);
  g_signal_connect (self->mode_image, "toggled", G_CALLBACK (display_mode_cb), self);
  g_signal_connect (self->mode_heatmap, "toggled", G_CALLBACK (display_mode_cb), self);
  g_signal_connect (self->mode_overlay, "toggled", G_CALLBACK (display_mode_cb), self);
  g_signal_connect (self->zoom_in_button, "clicked", G_CALLBACK (zoom_clicked_cb), self);
  g_signal_connect (self->zoom_out_button, "clicked", G_CALLBACK (zoom_clicked_cb), self);
  g_signal_connect (self->zoom_fit_button, "clicked", G_CALLBACK (zoom_clicked_cb), self);
}

/* ---- compare grid ---- */

static void
compare_cell_free (gpointer data)
{
  CompareCell *cell = data;
  g_free (cell->method);
  g_clear_object (&cell->item);
  g_free (cell);
}

static gboolean compare_images_mode (RelWindow *self);

static void
compare_update_status (RelWindow *self)
{
  guint done = 0;
  for (guint i = 0; i < self->cells->len; i++)
    done += ((CompareCell *) self->cells->pdata[i])->done;
  g_autofree char *text = NULL;
  if (self->cells->len == 0)
    text = g_strdup (self->input ? _("Choose methods to compare") : _("Select an image first"));
  else if (done < self->cells->len)
    text = g_strdup_printf (_("Computing %u of %u…"), done + 1, self->cells->len);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u heatmap", "%u heatmaps", self->cells->len),
                            self->cells->len);
  /* Which image the methods look at. */
  if (self->cells->len > 0 && !compare_images_mode (self) && self->input_path)
    {
      g_autofree char *name = g_filename_display_basename (self->input_path);
      g_autofree char *full = g_strdup_printf ("%s · %s", name, text);
      gtk_label_set_text (self->compare_status, full);
      return;
    }
  gtk_label_set_text (self->compare_status, text);
}

static void
compare_apply_scale (RelWindow *self)
{
  gboolean shared = gtk_toggle_button_get_active (self->shared_toggle);
  double scale = 0;
  for (guint i = 0; i < self->cells->len && shared; i++)
    {
      CompareCell *cell = self->cells->pdata[i];
      if (cell->done && !cell->failed)
        scale = MAX (scale, rel_heatmap_view_get_map_scale (cell->view, REL_NORM_MAX_ABS, 99.5));
    }
  for (guint i = 0; i < self->cells->len; i++)
    {
      CompareCell *cell = self->cells->pdata[i];
      if (shared && scale > 0)
        {
          rel_heatmap_view_set_shared_scale (cell->view, scale);
          rel_heatmap_view_set_normalization (cell->view, REL_NORM_SHARED);
        }
      else
        rel_heatmap_view_set_normalization (cell->view, REL_NORM_MAX_ABS);
    }
}

static void
shared_toggled_cb (GtkToggleButton *button, gpointer user_data)
{
  compare_apply_scale (REL_WINDOW (user_data));
}

static gboolean
compare_is_shown (RelWindow *self)
{
  return g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "compare") == 0;
}

static void
activate_cell (RelWindow *self, CompareCell *cell)
{
  /* Leave the grid first: the change below invalidates it, and it must not
   * rebuild (freeing @cell) while shown. */
  g_autoptr (RelImageItem) item = cell->item ? g_object_ref (cell->item) : NULL;
  g_autofree char *method = g_strdup (cell->method);
  adw_view_stack_set_visible_child_name (self->view_stack, "explore");
  if (item)
    rel_image_browser_set_selected_item (self->browser, item);
  else
    rel_explainer_panel_set_method (self->explainer_panel, method);
}

static void
cell_pressed_cb (GtkGestureClick *gesture, int n_press, double x, double y, gpointer user_data)
{
  CompareCell *cell = user_data;
  activate_cell (cell->window, cell);
}

static CompareCell *
compare_add_cell (RelWindow *self, const char *method, RelImageItem *item)
{
  const RelMethodDef *def = rel_method_lookup (method);
  CompareCell *cell = g_new0 (CompareCell, 1);
  cell->window = self;
  cell->method = g_strdup (method);
  cell->item = item ? g_object_ref (item) : NULL;

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "compare-cell");
  GtkWidget *view = rel_heatmap_view_new ();
  gtk_widget_set_size_request (view, self->compare_cell, self->compare_cell);
  gtk_widget_set_margin_top (view, 6);
  gtk_widget_set_margin_start (view, 6);
  gtk_widget_set_margin_end (view, 6);
  gtk_widget_set_can_target (view, FALSE);
  g_object_bind_property (self->heatmap_view, "colormap", view, "colormap", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->heatmap_view, "sign-mode", view, "sign-mode", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->heatmap_view, "opacity", view, "opacity", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->heatmap_view, "display-mode", view, "display-mode", G_BINDING_SYNC_CREATE);
  gtk_box_append (GTK_BOX (box), view);

  const char *title = item ? rel_image_item_get_basename (item) : (def ? _(def->title) : method);
  GtkWidget *label = gtk_label_new (title);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 20);
  gtk_widget_add_css_class (label, "heading");
  gtk_box_append (GTK_BOX (box), label);
  GtkWidget *sub = gtk_label_new (_("Waiting…"));
  gtk_label_set_ellipsize (GTK_LABEL (sub), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (sub), 24);
  gtk_widget_add_css_class (sub, "dim-label");
  gtk_widget_add_css_class (sub, "caption");
  gtk_widget_set_margin_bottom (sub, 8);
  gtk_box_append (GTK_BOX (box), sub);

  g_autofree char *tooltip = item ? g_strdup (rel_image_item_get_basename (item))
                                  : g_strdup (def ? _(def->description) : method);
  gtk_widget_set_tooltip_text (box, tooltip);
  GtkGesture *click = gtk_gesture_click_new ();
  g_signal_connect (click, "pressed", G_CALLBACK (cell_pressed_cb), cell);
  gtk_widget_add_controller (box, GTK_EVENT_CONTROLLER (click));
  gtk_widget_set_cursor_from_name (box, "pointer");

  cell->widget = box;
  cell->view = REL_HEATMAP_VIEW (view);
  cell->title = GTK_LABEL (label);
  cell->subtitle = GTK_LABEL (sub);
  gtk_flow_box_append (self->compare_grid, box);
  g_ptr_array_add (self->cells, cell);
  return cell;
}

/* Issue 12, defect 10: fixed 200 px cells left most of a wide window empty.
 * From the viewport's width: as many columns of at least COMPARE_CELL_SIZE
 * as fit (2…8, as the grid allows), each cell as wide as its share. */
static gboolean
compare_apply_cells (gpointer data)
{
  RelWindow *self = data;

  self->compare_fit_id = 0;
  gtk_flow_box_set_max_children_per_line (self->compare_grid, (guint) self->compare_columns);
  for (guint i = 0; self->cells && i < self->cells->len; i++)
    {
      CompareCell *c = g_ptr_array_index (self->cells, i);
      gtk_widget_set_size_request (GTK_WIDGET (c->view), self->compare_cell, self->compare_cell);
    }
  return G_SOURCE_REMOVE;
}

static void
compare_fit_cells (GtkAdjustment *hadj, RelWindow *self)
{
  int width = (int) gtk_adjustment_get_page_size (hadj) - 2 * COMPARE_MARGIN;
  int chrome = COMPARE_CELL_CHROME, min_cell, columns, cell;

  if (width <= 0)
    return;
  /* what a grid child adds around its heatmap, as the theme draws it */
  if (self->cells && self->cells->len > 0)
    {
      CompareCell *c = g_ptr_array_index (self->cells, 0);
      GtkWidget *child = gtk_widget_get_parent (c->widget);
      int m, view_w;
      gtk_widget_get_size_request (GTK_WIDGET (c->view), &view_w, NULL);
      gtk_widget_measure (child ? child : c->widget, GTK_ORIENTATION_HORIZONTAL, -1, &m, NULL, NULL, NULL);
      if (view_w > 0 && m > view_w)
        chrome = m - view_w;
    }
  min_cell = COMPARE_CELL_SIZE + chrome;
  columns = CLAMP ((width + COMPARE_SPACING) / (min_cell + COMPARE_SPACING), 2, 8);
  cell = (width - (columns - 1) * COMPARE_SPACING) / columns - chrome;
  /* never smaller than the minimum: a narrow window scrolls instead */
  cell = MAX (cell, COMPARE_CELL_SIZE);
  if (cell == self->compare_cell && columns == self->compare_columns)
    return;
  self->compare_cell = cell;
  self->compare_columns = columns;
  /* this runs while the page is allocated: resize the cells after it */
  if (self->compare_fit_id == 0)
    self->compare_fit_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, compare_apply_cells, self, NULL);
}

int
rel_window_get_compare_cell_size (RelWindow *self)
{
  g_return_val_if_fail (REL_IS_WINDOW (self), 0);
  return self->compare_cell;
}

static void
compare_clear (RelWindow *self)
{
  self->compare_generation = 0;
  self->compare_running = NULL;
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->compare_grid))))
    gtk_flow_box_remove (self->compare_grid, child);
  g_ptr_array_set_size (self->cells, 0);
}

static gboolean
compare_images_mode (RelWindow *self)
{
  return gtk_toggle_button_get_active (self->compare_images_toggle);
}

static void
compare_rebuild (RelWindow *self)
{
  compare_clear (self);
  self->compare_dirty = FALSE;
  if (self->model == NULL)
    {
      compare_update_status (self);
      return;
    }
  if (compare_images_mode (self))
    {
      const RelMethodDef *m = rel_explainer_panel_get_method (self->explainer_panel);
      GListModel *filtered = rel_image_browser_get_filtered (self->browser);
      guint n = MIN (g_list_model_get_n_items (filtered), COMPARE_MAX_IMAGES);
      RelImageItem *selected = rel_image_browser_get_selected_item (self->browser);
      if (selected)
        compare_add_cell (self, m ? m->name : "gradient", selected);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr (RelImageItem) item = g_list_model_get_item (filtered, i);
          if (item != selected && self->cells->len < COMPARE_MAX_IMAGES)
            compare_add_cell (self, m ? m->name : "gradient", item);
        }
    }
  else if (self->input)
    {
      for (guint i = 0; i < self->compare_methods->len; i++)
        compare_add_cell (self, self->compare_methods->pdata[i], NULL);
    }
  compare_update_status (self);
  compare_continue (self);
}

static void
compare_invalidate (RelWindow *self)
{
  self->compare_dirty = TRUE;
  if (compare_is_shown (self))
    compare_rebuild (self);
}

static void
compare_update_cb (RelExplainer *explainer, RelExplainUpdate *update, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  CompareCell *cell = self->compare_running;
  if (cell == NULL || update->generation != self->compare_generation)
    return;
  if (update->estimate)
    rel_heatmap_view_set_relevance (cell->view, update->estimate, NULL);
  if (!update->is_final)
    {
      g_autofree char *text = g_strdup_printf (_("%.0f %%"), 100 * update->fraction);
      gtk_label_set_text (cell->subtitle, text);
      return;
    }
  cell->done = TRUE;
  self->compare_running = NULL;
  /* the floor that keeps a near-zero map faint, as on the Explore canvas */
  if (update->explanation)
    rel_heatmap_view_set_reference (cell->view, isnan (cell->reference) ? update->explanation->explained_output
                                                                         : cell->reference);
  if (update->error)
    {
      cell->failed = TRUE;
      gtk_label_set_text (cell->subtitle, update->error->message);
      gtk_widget_set_tooltip_text (cell->widget, update->error->message);
    }
  else
    {
      g_autofree char *text = g_strdup_printf (_("%.0f ms"), update->elapsed_ms);
      if (cell->item)
        {
          const RelMethodDef *def = rel_method_lookup (cell->method);
          g_free (text);
          text = g_strdup_printf (_("%s · %.0f ms"), def ? _(def->title) : cell->method, update->elapsed_ms);
        }
      gtk_label_set_text (cell->subtitle, text);
    }
  compare_apply_scale (self);
  compare_update_status (self);
  compare_continue (self);
}

/* Submits the next cell that has no map yet; the grid is done when none is left. */
static void
compare_continue (RelWindow *self)
{
  if (!compare_is_shown (self) || self->compare_running || self->model == NULL)
    return;
  for (guint i = 0; i < self->cells->len; i++)
    {
      CompareCell *cell = self->cells->pdata[i];
      if (cell->done)
        continue;

      g_autoptr (RelTensor) input = NULL;
      g_autoptr (GError) error = NULL;
      RelTarget target = { REL_TARGET_PREDICTED, 0, 0, FALSE };
      g_autoptr (RelParams) params = NULL;
      const RelMethodDef *def = rel_method_lookup (cell->method);
      const RelMethodDef *current = rel_explainer_panel_get_method (self->explainer_panel);

      if (cell->item)
        input = rel_input_load (self->model, rel_image_item_get_path (cell->item), &error);
      else
        {
          input = self->input ? rel_tensor_ref (self->input) : NULL;
          rel_prediction_panel_get_target (self->prediction_panel, &target);
        }
      if (def == NULL || input == NULL)
        {
          cell->done = cell->failed = TRUE;
          gtk_label_set_text (cell->subtitle, error ? error->message : _("Unknown method"));
          continue;
        }
      /* The panel's values for its own method, the table's defaults otherwise. */
      params = current == def ? rel_explainer_panel_get_params (self->explainer_panel) : rel_params_new (def);
      rel_heatmap_view_set_input (cell->view, input, &self->model->preprocess, NULL);
      cell->reference = rel_params_reference_output (params, NAN);
      gtk_label_set_text (cell->subtitle, _("Computing…"));
      self->compare_running = cell;
      self->main_final = FALSE;
      self->compare_generation = rel_explainer_submit (self->explainer, self->model, input, params,
                                                       &target, 1, 0, compare_update_cb, self);
      return;
    }
  compare_update_status (self);
  g_signal_emit (self, signals[SIGNAL_COMPARE_DONE], 0);
}

static void
visible_page_cb (AdwViewStack *stack, GParamSpec *pspec, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  update_column_toggles (self);
  if (compare_is_shown (self))
    {
      if (self->compare_dirty)
        compare_rebuild (self);
      else
        compare_continue (self);
    }
  else
    {
      /* The grid may have taken the worker over; give it back. */
      if (self->compare_running)
        {
          self->compare_running = NULL;
          rel_explainer_cancel (self->explainer);
        }
      if (!self->main_final)
        submit_main (self);
    }
}

static void
compare_mode_cb (GtkToggleButton *button, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  if (!gtk_toggle_button_get_active (button))
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->compare_methods_button), !compare_images_mode (self));
  compare_invalidate (self);
}

static void
method_check_cb (GtkCheckButton *check, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  const char *name = g_object_get_data (G_OBJECT (check), "rel-method");
  gboolean active = gtk_check_button_get_active (check);
  guint index;
  gboolean present = g_ptr_array_find_with_equal_func (self->compare_methods, name, g_str_equal, &index);
  if (active && !present)
    {
      /* Keep the table's order, so the grid does not depend on click order. */
      g_ptr_array_add (self->compare_methods, g_strdup (name));
      const RelMethodDef *const *all = rel_methods ();
      g_autoptr (GPtrArray) sorted = g_ptr_array_new_with_free_func (g_free);
      for (int i = 0; all[i]; i++)
        if (g_ptr_array_find_with_equal_func (self->compare_methods, all[i]->name, g_str_equal, NULL))
          g_ptr_array_add (sorted, g_strdup (all[i]->name));
      g_ptr_array_set_size (self->compare_methods, 0);
      for (guint i = 0; i < sorted->len; i++)
        g_ptr_array_add (self->compare_methods, g_strdup (sorted->pdata[i]));
    }
  else if (!active && present)
    g_ptr_array_remove_index (self->compare_methods, index);
  else
    return;
  compare_invalidate (self);
}

static void
setup_compare (RelWindow *self)
{
  self->cells = g_ptr_array_new_with_free_func (compare_cell_free);
  self->compare_methods = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; default_compare_methods[i]; i++)
    if (rel_method_lookup (default_compare_methods[i]))
      g_ptr_array_add (self->compare_methods, g_strdup (default_compare_methods[i]));

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  const RelMethodDef *const *all = rel_methods ();
  for (int i = 0; all[i]; i++)
    {
      GtkWidget *check = gtk_check_button_new_with_label (_(all[i]->title));
      gtk_widget_set_tooltip_text (check, _(all[i]->description));
      g_object_set_data (G_OBJECT (check), "rel-method", (gpointer) all[i]->name);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check),
                                   g_ptr_array_find_with_equal_func (self->compare_methods, all[i]->name,
                                                                     g_str_equal, NULL));
      g_signal_connect (check, "toggled", G_CALLBACK (method_check_cb), self);
      gtk_box_append (GTK_BOX (box), check);
    }
  GtkWidget *scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroller), 420);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), box);
  GtkWidget *popover = gtk_popover_new ();
  gtk_popover_set_child (GTK_POPOVER (popover), scroller);
  gtk_menu_button_set_popover (self->compare_methods_button, popover);

  g_signal_connect (self->compare_methods_toggle, "toggled", G_CALLBACK (compare_mode_cb), self);
  g_signal_connect (self->compare_images_toggle, "toggled", G_CALLBACK (compare_mode_cb), self);
  g_signal_connect (self->shared_toggle, "toggled", G_CALLBACK (shared_toggled_cb), self);
  g_signal_connect (self->view_stack, "notify::visible-child-name", G_CALLBACK (visible_page_cb), self);
}

void
rel_window_show_compare (RelWindow *self, gboolean images)
{
  g_return_if_fail (REL_IS_WINDOW (self));
  gtk_toggle_button_set_active (images ? self->compare_images_toggle : self->compare_methods_toggle, TRUE);
  adw_view_stack_set_visible_child_name (self->view_stack, "compare");
}

void
rel_window_show_strategies (RelWindow *self)
{
  g_return_if_fail (REL_IS_WINDOW (self));
  adw_view_stack_set_visible_child_name (self->view_stack, "strategies");
}

void
rel_window_set_compare_methods (RelWindow *self, const char *const *methods)
{
  g_return_if_fail (REL_IS_WINDOW (self));
  g_ptr_array_set_size (self->compare_methods, 0);
  for (int i = 0; methods && methods[i]; i++)
    if (rel_method_lookup (methods[i]))
      g_ptr_array_add (self->compare_methods, g_strdup (methods[i]));
  compare_invalidate (self);
}

gboolean
rel_window_compare_is_done (RelWindow *self, guint *n_cells)
{
  g_return_val_if_fail (REL_IS_WINDOW (self), FALSE);
  if (n_cells)
    *n_cells = self->cells->len;
  if (self->compare_dirty)
    return FALSE;
  for (guint i = 0; i < self->cells->len; i++)
    if (!((CompareCell *) self->cells->pdata[i])->done)
      return FALSE;
  return TRUE;
}

void
rel_window_activate_compare_cell (RelWindow *self, guint index)
{
  g_return_if_fail (REL_IS_WINDOW (self));
  if (index < self->cells->len)
    activate_cell (self, self->cells->pdata[index]);
}

GtkWidget *
rel_window_get_compare_cell (RelWindow *self, guint index)
{
  g_return_val_if_fail (REL_IS_WINDOW (self), NULL);
  if (index >= self->cells->len)
    return NULL;
  return GTK_WIDGET (((CompareCell *) self->cells->pdata[index])->view);
}

/* ---- export ---- */

static cairo_surface_t *
texture_to_surface (GdkTexture *texture)
{
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cairo_surface_flush (surface);
  /* GDK's default download format is cairo's ARGB32 in memory order. */
  gdk_texture_download (texture, cairo_image_surface_get_data (surface),
                        cairo_image_surface_get_stride (surface));
  cairo_surface_mark_dirty (surface);
  return surface;
}

static gboolean
draw_grid (RelWindow *self, cairo_t *cr, int columns, GError **error)
{
  const int cell = EXPORT_CELL_SIZE, pad = 16, label_h = 40;
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  for (guint i = 0; i < self->cells->len; i++)
    {
      CompareCell *c = self->cells->pdata[i];
      double x = pad + (i % columns) * (cell + pad);
      double y = pad + (i / columns) * (cell + label_h + pad);
      g_autoptr (GdkTexture) texture =
        rel_heatmap_view_render_texture (c->view, rel_heatmap_view_get_display_mode (c->view));
      if (texture)
        {
          cairo_surface_t *surface = texture_to_surface (texture);
          int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
          double s = MIN ((double) cell / w, (double) cell / h);
          cairo_save (cr);
          cairo_translate (cr, x + (cell - w * s) / 2, y + (cell - h * s) / 2);
          cairo_scale (cr, s, s);
          cairo_set_source_surface (cr, surface, 0, 0);
          /* Small inputs (28×28) stay crisp pixels instead of a blur. */
          cairo_pattern_set_filter (cairo_get_source (cr), s >= 2 ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
          cairo_paint (cr);
          cairo_restore (cr);
          cairo_surface_destroy (surface);
        }
      PangoLayout *layout = pango_cairo_create_layout (cr);
      PangoFontDescription *font = pango_font_description_from_string ("Sans 11");
      pango_layout_set_font_description (layout, font);
      pango_font_description_free (font);
      pango_layout_set_width (layout, cell * PANGO_SCALE);
      pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_MIDDLE);
      pango_layout_set_text (layout, gtk_label_get_text (c->title), -1);
      cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
      cairo_move_to (cr, x, y + cell + 6);
      pango_cairo_show_layout (cr, layout);
      g_object_unref (layout);
    }
  cairo_status_t status = cairo_status (cr);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}

/* cairo writes the grid through this into the temporary; the first failure
 * is kept for the message. */
typedef struct {
  RelAtomicFile *file;
  GError        *error;
} CairoSink;

static cairo_status_t
sink_write (void *closure, const unsigned char *data, unsigned int length)
{
  CairoSink *sink = closure;
  if (sink->error == NULL)
    rel_atomic_file_write (sink->file, data, length, &sink->error);
  return sink->error ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

static gboolean
export_grid (RelWindow *self, const char *format, const char *path, GError **error)
{
  if (self->cells->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The compare grid is empty."));
      return FALSE;
    }
  const int cell = EXPORT_CELL_SIZE, pad = 16, label_h = 40;
  int columns = MIN ((int) self->cells->len, 4);
  int rows = ((int) self->cells->len + columns - 1) / columns;
  int width = pad + columns * (cell + pad), height = pad + rows * (cell + label_h + pad);

  /* a temporary renamed over @path once complete: a failed export keeps the old file */
  g_autoptr (RelAtomicFile) file = rel_atomic_file_open (path, error);
  if (file == NULL)
    return FALSE;
  CairoSink sink = { file, NULL };
  cairo_surface_t *surface;
  if (g_str_equal (format, "svg"))
    surface = cairo_svg_surface_create_for_stream (sink_write, &sink, width, height);
  else if (g_str_equal (format, "pdf"))
    surface = cairo_pdf_surface_create_for_stream (sink_write, &sink, width, height);
  else
    surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cairo_t *cr = cairo_create (surface);
  gboolean ok = draw_grid (self, cr, columns, error);
  cairo_destroy (cr);
  if (ok && g_str_equal (format, "png"))
    cairo_surface_write_to_png_stream (surface, sink_write, &sink);
  cairo_surface_finish (surface);
  cairo_status_t status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (!ok)
    {
      g_clear_error (&sink.error);
      return FALSE;
    }
  if (sink.error)
    {
      g_propagate_error (error, sink.error);
      return FALSE;
    }
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", path, cairo_status_to_string (status));
      return FALSE;
    }
  return rel_atomic_file_commit (g_steal_pointer (&file), error);
}

gboolean
rel_window_export (RelWindow *self, const char *kind, const char *path, GError **error)
{
  g_return_val_if_fail (REL_IS_WINDOW (self), FALSE);
  if (g_str_has_prefix (kind, "grid-"))
    return export_grid (self, kind + strlen ("grid-"), path, error);

  if (self->relevance == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("There is no heatmap to export yet."));
      return FALSE;
    }
  if (g_str_equal (kind, "npy"))
    return rel_npy_save (path, self->relevance, error);

  RelDisplayMode mode = g_str_equal (kind, "overlay-png") ? REL_DISPLAY_OVERLAY : REL_DISPLAY_HEATMAP;
  g_autoptr (GdkTexture) texture = rel_heatmap_view_render_texture (self->heatmap_view, mode);
  if (texture == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("There is no heatmap to export yet."));
      return FALSE;
    }
  g_autoptr (GBytes) png = gdk_texture_save_to_png_bytes (texture);
  return rel_file_set_contents (path, g_bytes_get_data (png, NULL), g_bytes_get_size (png), error);
}

gboolean
rel_window_save_export (RelWindow *self, const char *kind, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_return_val_if_fail (REL_IS_WINDOW (self), FALSE);
  if (!rel_window_export (self, kind, path, &error))
    {
      show_save_error (self, path, error->message);
      return FALSE;
    }
  g_autofree char *name = g_filename_display_basename (path);
  g_autofree char *text = g_strdup_printf (_("Saved “%s”"), name);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
  return TRUE;
}

/* GTK 4's file chooser itself asks before replacing an existing file. */
static void
export_response (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  const char *kind = g_object_get_data (G_OBJECT (chooser), "rel-kind");
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path)
        rel_window_save_export (self, kind, path);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
export_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  RelWindow *self = REL_WINDOW (widget);
  const char *kind = g_variant_get_string (parameter, NULL);
  const char *ext = g_str_has_suffix (kind, "svg") ? "svg" : g_str_has_suffix (kind, "pdf") ? "pdf"
                  : g_str_equal (kind, "npy") ? "npy" : "png";
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Export"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                 _("_Save"), _("_Cancel"));
  g_autofree char *stem = NULL;
  if (self->input_path)
    {
      g_autofree char *base = g_path_get_basename (self->input_path);
      char *dot = strrchr (base, '.');
      if (dot)
        *dot = '\0';
      stem = g_steal_pointer (&base);
    }
  const RelMethodDef *m = rel_explainer_panel_get_method (self->explainer_panel);
  /* the explained target in the name: a file cannot be mistaken for another class's map */
  RelTarget t;
  rel_prediction_panel_get_target (self->prediction_panel, &t);
  const char *la = self->model ? rel_model_label (self->model, t.a) : NULL;
  const char *lb = self->model && t.kind == REL_TARGET_CONTRAST ? rel_model_label (self->model, t.b) : NULL;
  g_autofree char *a = la ? g_strdup (la) : g_strdup_printf ("%d", t.a);
  g_autofree char *b = lb ? g_strdup (lb) : g_strdup_printf ("%d", t.b);
  g_autofree char *target = t.kind == REL_TARGET_CONTRAST ? g_strdup_printf ("%s-vs-%s", a, b) : g_strdup (a);
  g_strdelimit (target, "/\\:", '-');
  g_autofree char *name = g_str_has_prefix (kind, "grid-")
    ? g_strdup_printf ("compare.%s", ext)
    : g_strdup_printf ("%s-%s-%s%s.%s", stem ? stem : "image", m ? m->name : "relevance", target,
                       g_str_equal (kind, "overlay-png") ? "-overlay" : "", ext);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_object_set_data_full (G_OBJECT (chooser), "rel-kind", g_strdup (kind), g_free);
  g_signal_connect (chooser, "response", G_CALLBACK (export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- preferences ---- */

static void
pref_colormap_cb (AdwComboRow *row, GParamSpec *pspec, gpointer user_data)
{
  guint idx = adw_combo_row_get_selected (row);
  if (idx < g_strv_length ((char **) colormap_ids))
    apply_colormap (REL_WINDOW (user_data), colormap_ids[idx]);
}

static void
pref_method_cb (AdwComboRow *row, GParamSpec *pspec, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  const RelMethodDef *const *all = rel_methods ();
  guint idx = adw_combo_row_get_selected (row);
  if (self->settings && idx != GTK_INVALID_LIST_POSITION && all[idx])
    g_settings_set_string (self->settings, "default-method", all[idx]->name);
}

static void
pref_threads_cb (GtkSpinButton *spin, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  int threads = gtk_spin_button_get_value_as_int (spin);
  if (self->settings)
    g_settings_set_int (self->settings, "threads", threads);
  else
    rel_core_init (threads);
}

static char *
format_percent (GtkScale *scale, double value, gpointer data)
{
  /* Translators: an opacity as a percentage */
  return g_strdup_printf (_("%.0f %%"), value * 100);
}

GtkWindow *
rel_window_show_preferences (RelWindow *self)
{
  GtkWidget *prefs = adw_preferences_window_new ();
  gtk_window_set_transient_for (GTK_WINDOW (prefs), GTK_WINDOW (self));
  gtk_window_set_modal (GTK_WINDOW (prefs), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (prefs), 560, 520);

  /* four rows need no search */
  adw_preferences_window_set_search_enabled (ADW_PREFERENCES_WINDOW (prefs), FALSE);

  AdwPreferencesPage *page = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());
  AdwPreferencesGroup *look = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (look, _("Heatmap"));

  const char *colormaps[] = { _("Blue–White–Red"), _("Cold and Hot"), _("Fire"), _("Viridis"), _("Gray"), NULL };
  g_autoptr (GtkStringList) cmodel = string_list (colormaps);
  GtkWidget *crow = adw_combo_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (crow), _("Colour Map"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (crow), _("Diverging maps show positive and negative relevance"));
  adw_combo_row_set_model (ADW_COMBO_ROW (crow), G_LIST_MODEL (cmodel));
  g_autofree char *current = NULL;
  g_object_get (self->heatmap_view, "colormap", &current, NULL);
  adw_combo_row_set_selected (ADW_COMBO_ROW (crow), index_of (colormap_ids, current));
  g_signal_connect_object (crow, "notify::selected", G_CALLBACK (pref_colormap_cb), self, 0);
  adw_preferences_group_add (look, crow);

  GtkWidget *orow = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (orow), _("Overlay Opacity"));
  GtkWidget *scale = gtk_scale_new (GTK_ORIENTATION_HORIZONTAL, self->opacity_adjustment);
  gtk_widget_set_size_request (scale, 200, -1);
  gtk_widget_set_valign (scale, GTK_ALIGN_CENTER);
  gtk_scale_set_draw_value (GTK_SCALE (scale), TRUE);
  gtk_scale_set_digits (GTK_SCALE (scale), 2);
  /* a share of the heatmap's colour: read as a percentage, not 0.70 */
  gtk_scale_set_format_value_func (GTK_SCALE (scale), format_percent, NULL, NULL);
  gtk_scale_set_value_pos (GTK_SCALE (scale), GTK_POS_LEFT);
  gtk_widget_set_name (scale, "opacity-scale");
  gtk_accessible_update_property (GTK_ACCESSIBLE (scale), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Overlay Opacity"), -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (orow), scale);
  adw_preferences_group_add (look, orow);
  adw_preferences_page_add (page, look);

  AdwPreferencesGroup *explain = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (explain, _("Explanations"));
  g_autoptr (GtkStringList) mmodel = gtk_string_list_new (NULL);
  const RelMethodDef *const *all = rel_methods ();
  g_autofree char *def = self->settings ? g_settings_get_string (self->settings, "default-method") : NULL;
  guint def_idx = 0;
  for (int i = 0; all[i]; i++)
    {
      gtk_string_list_append (mmodel, _(all[i]->title));
      if (g_strcmp0 (def, all[i]->name) == 0)
        def_idx = i;
    }
  GtkWidget *mrow = adw_combo_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (mrow), _("Default Method"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (mrow), _("Used when a model is opened for the first time"));
  adw_combo_row_set_model (ADW_COMBO_ROW (mrow), G_LIST_MODEL (mmodel));
  adw_combo_row_set_selected (ADW_COMBO_ROW (mrow), def_idx);
  g_signal_connect_object (mrow, "notify::selected", G_CALLBACK (pref_method_cb), self, 0);
  adw_preferences_group_add (explain, mrow);

  GtkWidget *trow = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (trow), _("Compute Threads"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (trow), _("Threads for matrix products; 0 chooses automatically"));
  GtkWidget *spin = gtk_spin_button_new_with_range (0, 64, 1);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), self->settings ? g_settings_get_int (self->settings, "threads") : 0);
  g_signal_connect_object (spin, "value-changed", G_CALLBACK (pref_threads_cb), self, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (trow), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (trow), spin);
  adw_preferences_group_add (explain, trow);
  adw_preferences_page_add (page, explain);

  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (prefs), page);
  gtk_window_present (GTK_WINDOW (prefs));
  return GTK_WINDOW (prefs);
}

static void
preferences_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  rel_window_show_preferences (REL_WINDOW (widget));
}

static void
train_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  gtk_window_present (GTK_WINDOW (rel_train_dialog_new (GTK_WINDOW (widget))));
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
      g_autofree char *nick = g_settings_get_string (self->settings, "colormap");
      apply_colormap (self, colormap_from_setting (nick));
      g_autofree char *sign = g_settings_get_string (self->settings, "sign-mode");
      apply_sign (self, sign);
      apply_opacity (self, g_settings_get_double (self->settings, "opacity"));
      last_method = g_settings_get_string (self->settings, "last-method");
      default_method = g_settings_get_string (self->settings, "default-method");
      method = *last_method ? last_method : default_method;
      g_signal_connect_object (self->settings, "changed", G_CALLBACK (settings_changed_cb), self, 0);
    }
  else
    apply_opacity (self, gtk_adjustment_get_value (self->opacity_adjustment));
  if (method == NULL || !rel_method_lookup (method))
    method = "lrp-epsilon-plus-flat";
  rel_explainer_panel_set_method (self->explainer_panel, method);
  {
    g_autoptr (RelParams) params = rel_explainer_panel_get_params (self->explainer_panel);
    rel_strategies_view_set_method (self->strategies, params);
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
  if (self->load_job)
    rel_job_cancel (self->load_job);
  g_clear_pointer (&self->load_job, rel_job_unref);
  if (self->input_job)
    rel_job_cancel (self->input_job);
  g_clear_pointer (&self->input_job, rel_job_unref);
  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  if (self->cells)
    compare_clear (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), REL_TYPE_WINDOW);
  G_OBJECT_CLASS (rel_window_parent_class)->dispose (object);
}

static void
rel_window_finalize (GObject *object)
{
  RelWindow *self = REL_WINDOW (object);
  g_clear_object (&self->settings);
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

/* F9 / Shift+F9: hide or show the image browser / the side panel. In a wide
 * window that gives the heatmap the room (a projector demo); in a narrow one
 * it slides the column in over the heatmap. */
static void
toggle_flap_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  RelWindow *self = REL_WINDOW (widget);
  AdwFlap *flap = g_str_equal (action_name, "win.toggle-browser") ? self->browser_flap : self->side_flap;

  adw_flap_set_reveal_flap (flap, !adw_flap_get_reveal_flap (flap));
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
  g_type_ensure (REL_TYPE_COLORBAR);
  g_type_ensure (REL_TYPE_PREDICTION_PANEL);
  g_type_ensure (REL_TYPE_EXPLAINER_PANEL);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/relevance/Relevance/rel-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RelWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, switcher_title);
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

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.open-folder", NULL, open_folder_action);
  gtk_widget_class_install_action (widget_class, "win.open-images", NULL, open_images_action);
  gtk_widget_class_install_action (widget_class, "win.open-demo", NULL, open_demo_action);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "win.export", "s", export_action);
  gtk_widget_class_install_action (widget_class, "win.preferences", NULL, preferences_action);
  gtk_widget_class_install_action (widget_class, "win.train", NULL, train_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-browser", NULL, toggle_flap_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-panel", NULL, toggle_flap_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, 0, "win.toggle-browser", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, GDK_SHIFT_MASK, "win.toggle-panel", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.open-folder", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_comma, GDK_CONTROL_MASK, "win.preferences", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.export", "s", "overlay-png");
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK, "win.show-page", "s", "explore");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK, "win.show-page", "s", "compare");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK, "win.show-page", "s", "strategies");
}

static void
rel_window_init (RelWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->explainer = rel_explainer_new ();
  rel_colorbar_set_view (self->colorbar, self->heatmap_view);
  setup_toolbar (self);
  self->compare_cell = COMPARE_CELL_SIZE;
  self->compare_columns = 8;
  setup_compare (self);
  g_signal_connect (gtk_scrolled_window_get_hadjustment (self->compare_scroller), "changed",
                    G_CALLBACK (compare_fit_cells), self);
  /* SpRAy on the browser's images: built here as it needs the browser */
  self->strategies = REL_STRATEGIES_VIEW (rel_strategies_view_new (self->browser));
  adw_view_stack_add_titled (self->view_stack, GTK_WIDGET (self->strategies), "strategies", _("Strategies"));
  adw_view_stack_page_set_icon_name (adw_view_stack_get_page (self->view_stack, GTK_WIDGET (self->strategies)),
                                     "view-dual-symbolic");

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
