/* rel-window.c — the main window: header bar, empty state, model summary.
 *
 * Models load on a worker thread (a VGG-16 is half a gigabyte of protobuf), so
 * the window never blocks; a generation counter drops the result of a load that
 * a newer one has overtaken.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-window.h"

#include <glib/gi18n.h>
#include <string.h>

struct _RelWindow
{
  AdwApplicationWindow parent_instance;

  GSettings *settings;
  RelModel  *model;
  char      *model_name;
  guint      generation;
  gboolean   loading;

  AdwWindowTitle *window_title;
  GtkStack       *stack;
  GtkSpinner     *spinner;
  GtkLabel       *model_name_label;
  GtkLabel       *model_path_label;
  AdwActionRow   *input_row;
  AdwActionRow   *classes_row;
  AdwActionRow   *layers_row;
  GtkLabel       *input_label;
  GtkLabel       *classes_label;
  GtkLabel       *layers_label;
  GtkLabel       *format_label;
  GMenu          *recent_section;
};

/* How many models the Recent Models menu offers. */
#define RECENT_MAX 8

G_DEFINE_FINAL_TYPE (RelWindow, rel_window, ADW_TYPE_APPLICATION_WINDOW)

enum { PROP_0, PROP_SETTINGS, PROP_LOADING, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_MODEL_CHANGED, SIGNAL_LOAD_FAILED, N_SIGNALS };
static guint signals[N_SIGNALS];

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

/* "2 Conv, 1 Gemm, 2 Relu" in graph order of first appearance. */
static char *
describe_layers (RelModel *model)
{
  g_autoptr (GPtrArray) kinds = g_ptr_array_new ();
  g_autoptr (GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);

  for (int i = 0; i < model->n_nodes; i++)
    {
      const char *op = model->nodes[i].op_type ? model->nodes[i].op_type : "?";
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, op));
      if (n == 0)
        g_ptr_array_add (kinds, (gpointer) op);
      g_hash_table_insert (counts, (gpointer) op, GUINT_TO_POINTER (n + 1));
    }

  g_autoptr (GString) s = g_string_new (NULL);
  for (guint k = 0; k < kinds->len; k++)
    {
      const char *op = kinds->pdata[k];
      g_string_append_printf (s, "%s%u %s", k == 0 ? "" : ", ",
                              GPOINTER_TO_UINT (g_hash_table_lookup (counts, op)), op);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
show_model (RelWindow *self)
{
  RelModel *model = self->model;

  if (model == NULL)
    {
      adw_window_title_set_subtitle (self->window_title, NULL);
      gtk_window_set_title (GTK_WINDOW (self), _("Relevance"));
      gtk_stack_set_visible_child_name (self->stack, self->loading ? "loading" : "empty");
      return;
    }

  adw_window_title_set_subtitle (self->window_title, self->model_name);
  g_autofree char *title = g_strdup_printf (_("%s — Relevance"), self->model_name);
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_label_set_text (self->model_name_label, self->model_name);
  gtk_label_set_text (self->model_path_label, model->path ? model->path : "");

  int ndim = 0;
  int64_t shape[REL_MAX_DIMS];
  g_autoptr (GError) error = NULL;
  RelValue *input = rel_model_value (model, model->input);
  if (rel_model_input_shape (model, 1, &ndim, shape, &error))
    {
      g_autofree char *dims = rel_shape_to_string (ndim, shape);
      gtk_label_set_text (self->input_label, dims);
    }
  else
    gtk_label_set_text (self->input_label, _("not declared"));
  /* Translators: the subtitle of the input row: the input's name in the file. */
  g_autofree char *input_sub = g_strdup_printf (_("“%s”, batch × channels × height × width"),
                                                input && input->name ? input->name : "?");
  adw_action_row_set_subtitle (self->input_row, ndim == 4 ? input_sub : (input ? input->name : NULL));

  int n_classes = rel_model_num_classes (model);
  g_autofree char *n_classes_text = g_strdup_printf ("%d", n_classes);
  gtk_label_set_text (self->classes_label, n_classes_text);
  if (model->labels != NULL && model->n_labels > 0)
    {
      g_autoptr (GString) names = g_string_new (NULL);
      for (int i = 0; i < model->n_labels && i < 12; i++)
        g_string_append_printf (names, "%s%s", i == 0 ? "" : ", ", model->labels[i]);
      if (model->n_labels > 12)
        g_string_append (names, ", …");
      adw_action_row_set_subtitle (self->classes_row, names->str);
    }
  else
    adw_action_row_set_subtitle (self->classes_row, _("No class names: predictions show indices"));

  g_autofree char *n_nodes_text =
    g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d node", "%d nodes", model->n_nodes), model->n_nodes);
  gtk_label_set_text (self->layers_label, n_nodes_text);
  g_autofree char *layers = describe_layers (model);
  adw_action_row_set_subtitle (self->layers_row, layers);

  g_autofree char *format = NULL;
  if (model->producer_name && *model->producer_name)
    format = g_strdup_printf (_("ONNX opset %d, from %s"), (int) model->opset, model->producer_name);
  else
    format = g_strdup_printf (_("ONNX opset %d"), (int) model->opset);
  gtk_label_set_text (self->format_label, format);

  gtk_stack_set_visible_child_name (self->stack, "model");
}

static void
set_loading (RelWindow *self, gboolean loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  gtk_spinner_set_spinning (self->spinner, loading);
  if (self->model == NULL)
    gtk_stack_set_visible_child_name (self->stack, loading ? "loading" : "empty");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
show_error (RelWindow *self, GFile *file, const GError *error)
{
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *heading = g_strdup_printf (_("Could Not Open “%s”"), name);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The Recent Models menu, from the settings; files that are gone are left out. */
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

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  RelModel *model = rel_model_load (task_data, &error);
  if (model == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, model, (GDestroyNotify) rel_model_free);
}

static void
load_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (source);
  g_autoptr (GFile) file = user_data;
  GTask *task = G_TASK (result);
  g_autoptr (GError) error = NULL;
  RelModel *model = g_task_propagate_pointer (task, &error);

  if (GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "generation")) != self->generation)
    {
      /* A newer load has started since; its result will be shown instead. */
      g_clear_pointer (&model, rel_model_free);
      return;
    }
  set_loading (self, FALSE);

  if (model == NULL)
    {
      show_error (self, file, error);
      show_model (self);
      g_signal_emit (self, signals[SIGNAL_LOAD_FAILED], 0, error->message);
      return;
    }

  g_clear_pointer (&self->model, rel_model_free);
  g_free (self->model_name);
  g_autofree char *path = g_file_get_path (file);
  self->model = model;
  self->model_name = rel_model_display_name (model, path);
  remember_model (self, path);
  show_model (self);
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
      g_autoptr (GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                              _("Only local files can be opened."));
      show_error (self, file, error);
      g_signal_emit (self, signals[SIGNAL_LOAD_FAILED], 0, error->message);
      return;
    }

  self->generation++;
  g_autoptr (GTask) task = g_task_new (self, NULL, load_done, g_object_ref (file));
  g_task_set_source_tag (task, rel_window_open);
  g_task_set_task_data (task, g_steal_pointer (&path), g_free);
  g_object_set_data (G_OBJECT (task), "generation", GUINT_TO_POINTER (self->generation));
  set_loading (self, TRUE);
  g_task_run_in_thread (task, load_thread);
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

static void
chooser_response (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      if (file)
        rel_window_open (self, file);
    }
  g_object_unref (chooser);
}

static void
open_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  RelWindow *self = REL_WINDOW (widget);
  /* GtkFileDialog is GTK 4.10; Debian 12 has 4.8. */
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Open Model"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                 _("_Open"), _("_Cancel"));
  GtkFileFilter *onnx = gtk_file_filter_new ();
  gtk_file_filter_set_name (onnx, _("ONNX Models"));
  gtk_file_filter_add_pattern (onnx, "*.onnx");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), onnx);
  g_object_unref (onnx);
  GtkFileFilter *all = gtk_file_filter_new ();
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all);
  g_object_unref (all);

  if (self->model && self->model->path)
    {
      g_autoptr (GFile) current = g_file_new_for_path (self->model->path);
      g_autoptr (GFile) folder = g_file_get_parent (current);
      if (folder)
        gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, NULL);
    }
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
open_recent_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  g_autoptr (GFile) file = g_file_new_for_path (g_variant_get_string (parameter, NULL));
  rel_window_open (REL_WINDOW (widget), file);
}

static gboolean
drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, gpointer user_data)
{
  GSList *files = g_value_get_boxed (value);
  if (files == NULL)
    return FALSE;
  rel_window_open (REL_WINDOW (user_data), files->data);
  return TRUE;
}

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

  if (self->settings)
    {
      gtk_window_set_default_size (GTK_WINDOW (self),
                                   g_settings_get_int (self->settings, "window-width"),
                                   g_settings_get_int (self->settings, "window-height"));
      if (g_settings_get_boolean (self->settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
    }
  update_recent_menu (self);
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
  /* A load still running finds a stale generation and frees its own result. */
  self->generation++;
  g_clear_object (&self->settings);
  g_clear_pointer (&self->model, rel_model_free);
  g_clear_pointer (&self->model_name, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), REL_TYPE_WINDOW);
  G_OBJECT_CLASS (rel_window_parent_class)->dispose (object);
}

static void
rel_window_class_init (RelWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = rel_window_constructed;
  object_class->dispose = rel_window_dispose;
  object_class->set_property = rel_window_set_property;
  object_class->get_property = rel_window_get_property;
  window_class->close_request = rel_window_close_request;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_WRITABLE | G_PARAM_READABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_MODEL_CHANGED] =
    g_signal_new ("model-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_LOAD_FAILED] =
    g_signal_new ("load-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/relevance/Relevance/rel-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RelWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, model_name_label);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, model_path_label);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, input_row);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, classes_row);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, layers_row);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, input_label);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, classes_label);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, layers_label);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, format_label);
  gtk_widget_class_bind_template_child (widget_class, RelWindow, recent_section);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open", NULL);
}

static void
rel_window_init (RelWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  show_model (self);
}

RelWindow *
rel_window_new (GtkApplication *application, GSettings *settings)
{
  return g_object_new (REL_TYPE_WINDOW, "application", application, "settings", settings, NULL);
}
