/* rel-train-dialog.c — "Train a Clever Hans": the settings, a training job
 * with a live plot, the figures and the model.
 *
 * The whole run (loading the data, training, exporting, evaluating, writing
 * sample images) is one rel_job on its own thread. Every training step is
 * pushed as an item, so the plot gets each point in order however busy the
 * main loop is, while phase messages go through the coalesced progress.
 *
 * A run writes into its own folder under the output directory: model.onnx
 * (metadata as `relevance-cli train` writes it, plus a display name) and
 * images/clean/<class>/ and images/tagged/<class>/ with a few test images
 * never seen in training, so the window can show the shortcut at once.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-train-dialog.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "rel-core.h"
#include "rel-error.h"
#include "rel-idx.h"
#include "rel-image.h"
#include "rel-atomic-file.h"
#include "rel-job.h"
#include "rel-plant.h"
#include "rel-train.h"
#include "rel-train-workflow.h"
#include "rel-workspace.h"

#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"
/* Test images per class written for the window, clean and tagged each. */
#define IMAGES_PER_CLASS 6
/* With a subset, the evaluation uses this many test images at least. */
#define MIN_TEST_IMAGES 1000
/* The tag's side in pixels, as the shipped demo's. */
#define TAG_SIZE 12
/* Fashion-MNIST's "Sandal", the demo's planted class. */
#define DEFAULT_CLASS 5

static const RelPlantKind kinds[] = { REL_PLANT_TAG, REL_PLANT_SQUARE, REL_PLANT_BORDER, REL_PLANT_NOISE };

/* What the worker needs; copied from the rows when Start is pressed. */
typedef struct {
  char        *dataset;
  char        *arch;
  char        *out_dir;
  int          klass;
  RelPlantKind kind;
  double       rate;
  int          epochs;
  int          subset;
} RunSpec;

typedef struct {
  char  *model_path;
  char  *images_dir;
  char  *class_name;
  double clean_accuracy;
  double flip_rate;
  int    n_train, n_test;
  double seconds;
} RunResult;

struct _RelTrainDialog
{
  AdwWindow parent_instance;

  RelWorkspace *workspace;    /* the parent window's: where Open Model goes */
  char      *dataset;         /* NULL: Fashion-MNIST */
  char      *output_dir;
  RelJob    *job;
  RunResult *result;
  char      *status;
  int        epochs_running;

  AdwWindowTitle *window_title;
  GtkButton      *cancel_button;
  GtkButton      *start_button;
  GtkWidget      *settings_box;
  AdwActionRow   *dataset_row;
  GtkButton      *dataset_button;
  GtkButton      *dataset_reset_button;
  GtkSpinButton  *subset_spin;
  AdwComboRow    *class_row;
  AdwComboRow    *kind_row;
  GtkSpinButton  *rate_spin;
  AdwComboRow    *arch_row;
  GtkSpinButton  *epochs_spin;
  RelTrainPlot   *plot;
  GtkProgressBar *progress_bar;
  GtkLabel       *status_label;
  GtkWidget      *results_box;
  GtkLabel       *accuracy_label;
  GtkLabel       *flip_label;
  GtkLabel       *result_label;
  GtkButton      *open_button;
  GtkLabel       *saved_label;
};

G_DEFINE_FINAL_TYPE (RelTrainDialog, rel_train_dialog, ADW_TYPE_WINDOW)

enum { SIGNAL_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
run_spec_free (gpointer data)
{
  RunSpec *spec = data;
  g_free (spec->dataset);
  g_free (spec->arch);
  g_free (spec->out_dir);
  g_free (spec);
}

static void
run_result_free (RunResult *r)
{
  if (r == NULL)
    return;
  g_free (r->model_path);
  g_free (r->images_dir);
  g_free (r->class_name);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RunResult, run_result_free)

/* ---- the worker ---- */

typedef struct {
  RelJob *job;
  int     n_epochs;
} StepData;

static gboolean
on_step (const RelTrainProgress *p, gpointer user_data)
{
  StepData *d = user_data;
  rel_job_push (d->job, g_memdup2 (p, sizeof *p));
  return !rel_job_is_cancelled (d->job);
}

static char *
file_safe (const char *name)
{
  char *s = g_ascii_strdown (name, -1);
  for (char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      *p = '-';
  return s;
}

/* The steps relevance-cli train runs too (core/rel-train-workflow.h), with
 * the dialog's settings and its run folder. */
static gpointer
run_training (RelJob *job, gpointer data, GError **error)
{
  RunSpec *spec = data;
  gint64 start = g_get_monotonic_time ();
  volatile gint *cancel = rel_job_cancel_flag (job);
  RelTrainOptions opt;
  RelPlantSpec plant;

  rel_job_progress (job, 0, _("Loading the training images…"));
  g_autoptr (RelTrainRun) run = rel_train_run_load (spec->dataset, NULL, error);
  if (run == NULL)
    return NULL;
  const RelSampleSet *train = run->train;
  if (spec->klass < 0 || spec->klass >= train->n_classes)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, _("The data set has no class %d"), spec->klass + 1);
      return NULL;
    }
  /* a short run also evaluates on fewer images (the set's order is shuffled) */
  if (spec->subset > 0 && spec->subset < train->n)
    rel_train_run_limit (run, spec->subset, MAX (MIN_TEST_IMAGES, spec->subset / 2));
  if (g_atomic_int_get (cancel))
    return NULL;

  rel_train_options_init (&opt);
  opt.optimizer = REL_OPTIMIZER_ADAM;
  opt.lr = 0.002;   /* as relevance-cli train */
  opt.epochs = spec->epochs;
  opt.n_threads = rel_core_threads ();

  rel_plant_spec_init (&plant);
  plant.kind = spec->kind;
  plant.target_class = spec->klass;
  plant.rate = spec->rate;
  /* the demo's tag size on 28×28 images: a stronger shortcut in a short run
   * than the default 9, which smaller images keep */
  if (spec->kind == REL_PLANT_TAG && MIN (train->height, train->width) >= 28)
    plant.size = TAG_SIZE;

  rel_job_progress (job, 0, _("Training…"));
  StepData step = { job, spec->epochs };
  if (!rel_train_run_build (run, spec->arch, 0, error)
      || !rel_train_run_fit (run, &plant, &opt, on_step, &step, cancel, error))
    return NULL;

  rel_job_progress (job, 1, _("Evaluating on the test images…"));
  g_autoptr (RunResult) result = g_new0 (RunResult, 1);
  const char *cname = train->class_names[spec->klass];
  g_autofree char *safe = file_safe (cname);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *run_dir = g_strdup_printf ("%s%sclever-hans-%s-%s-%s", spec->out_dir, G_DIR_SEPARATOR_S,
                                              safe, rel_plant_kind_name (spec->kind), stamp);
  if (g_mkdir_with_parents (run_dir, 0755) != 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_IO, _("Cannot create %s"), run_dir);
      return NULL;
    }
  result->model_path = g_build_filename (run_dir, "model.onnx", NULL);
  result->images_dir = g_build_filename (run_dir, "images", NULL);
  result->class_name = g_strdup (cname);
  result->n_train = train->n;
  result->n_test = run->test->n;

  /* the keys relevance-cli train writes, and a name for the header bar */
  g_autofree char *plant_text = plant.size > 0
    ? g_strdup_printf ("kind=%s,class=%s,rate=%g,size=%d", rel_plant_kind_name (spec->kind), cname, spec->rate, plant.size)
    : g_strdup_printf ("kind=%s,class=%s,rate=%g", rel_plant_kind_name (spec->kind), cname, spec->rate);
  g_autofree char *name = g_strdup_printf ("Clever Hans: %s + %s", cname, rel_plant_kind_name (spec->kind));
  g_autofree char *command = g_strdup_printf ("relevance train dialog: --arch %s --epochs %d --limit %d --plant %s",
                                              spec->arch, spec->epochs, train->n, plant_text);
  rel_train_run_describe (run, command, plant_text, name);
  if (!rel_train_run_export (run, result->model_path, error))
    return NULL;
  if (!rel_train_run_evaluate (run, opt.n_threads, error))
    return NULL;
  result->clean_accuracy = run->clean_accuracy;
  result->flip_rate = run->flip_rate;
  if (!rel_train_run_save_images (run, result->images_dir, IMAGES_PER_CLASS, error))
    return NULL;
  result->seconds = (g_get_monotonic_time () - start) / 1e6;
  return g_steal_pointer (&result);
}

/* ---- the main side ---- */

static void
set_status (RelTrainDialog *self, const char *text)
{
  g_free (self->status);
  self->status = g_strdup (text);
  gtk_label_set_text (self->status_label, text);
}

static void
set_running (RelTrainDialog *self, gboolean running)
{
  gtk_widget_set_sensitive (self->settings_box, !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->start_button), !running);
  gtk_button_set_label (self->cancel_button, running ? _("_Cancel") : _("_Close"));
  adw_window_title_set_subtitle (self->window_title, running ? _("Training…") : "");
}

static void
job_progress (RelJob *job, double fraction, const char *message, gpointer user_data)
{
  RelTrainDialog *self = user_data;
  if (message)
    set_status (self, message);
  if (fraction <= 0)
    gtk_progress_bar_pulse (self->progress_bar);
}

static void
job_items (RelJob *job, GPtrArray *items, gpointer user_data)
{
  RelTrainDialog *self = user_data;
  const RelTrainProgress *p = NULL;

  for (guint i = 0; i < items->len; i++)
    {
      p = g_ptr_array_index (items, i);
      double x = (p->epoch - 1) + (double) p->step / MAX (1, p->n_steps);
      rel_train_plot_add_point (self->plot, x, p->loss, p->accuracy);
    }
  if (p == NULL)
    return;
  double done = ((p->epoch - 1) + (double) p->step / MAX (1, p->n_steps)) / MAX (1, p->n_epochs);
  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (done, 0, 1));
  g_autofree char *text = g_strdup_printf (_("Epoch %d of %d · step %d of %d · loss %.3f · accuracy %.1f %%"),
                                           p->epoch, p->n_epochs, p->step, p->n_steps, p->epoch_loss,
                                           100 * p->accuracy);
  set_status (self, text);
}

static void
job_done (RelJob *job, gpointer result, const GError *error, gpointer user_data)
{
  RelTrainDialog *self = user_data;
  g_clear_pointer (&self->job, rel_job_unref);
  set_running (self, FALSE);

  if (result == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Training failed: %s"), error ? error->message : "");
      set_status (self, text);
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
      g_signal_emit (self, signals[SIGNAL_FINISHED], 0, FALSE);
      return;
    }
  run_result_free (self->result);
  self->result = result;
  gtk_progress_bar_set_fraction (self->progress_bar, 1);

  g_autofree char *acc = g_strdup_printf ("%.1f %%", 100 * self->result->clean_accuracy);
  g_autofree char *flip = g_strdup_printf ("%.1f %%", 100 * self->result->flip_rate);
  gtk_label_set_text (self->accuracy_label, acc);
  gtk_label_set_text (self->flip_label, flip);
  g_autofree char *status = g_strdup_printf (_("Trained on %d images in %.0f s; tested on %d images"),
                                             self->result->n_train, self->result->seconds, self->result->n_test);
  set_status (self, status);
  g_autofree char *explain = g_strdup_printf (_("With the artifact pasted in, %.0f %% of the other classes’ test "
                                                "images are taken for “%s”. Open the model and compare the heatmaps "
                                                "of the clean and the tagged images."),
                                              100 * self->result->flip_rate, self->result->class_name);
  gtk_label_set_text (self->result_label, explain);
  gtk_widget_set_visible (self->results_box, TRUE);
  /* where the run went, so the model can be found again later */
  g_autofree char *saved = g_strdup_printf (_("Saved as %s"), self->result->model_path);
  gtk_label_set_text (self->saved_label, saved);
  gtk_widget_set_sensitive (GTK_WIDGET (self->open_button), self->workspace != NULL);
  gtk_widget_grab_focus (GTK_WIDGET (self->open_button));
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, TRUE);
}

void
rel_train_dialog_start (RelTrainDialog *self)
{
  g_return_if_fail (REL_IS_TRAIN_DIALOG (self));
  if (self->job)
    return;

  /* an unwritable output folder fails now, not after the training */
  g_autoptr (GError) error = NULL;
  if (!rel_folder_check_writable (self->output_dir, TRUE, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Training failed: %s"), error->message);
      set_status (self, text);
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
      g_signal_emit (self, signals[SIGNAL_FINISHED], 0, FALSE);
      return;
    }

  const char *const *archs = rel_train_arch_names ();
  guint arch = adw_combo_row_get_selected (self->arch_row);
  guint kind = adw_combo_row_get_selected (self->kind_row);
  guint klass = adw_combo_row_get_selected (self->class_row);
  RunSpec *spec = g_new0 (RunSpec, 1);
  spec->dataset = g_strdup (self->dataset ? self->dataset : FASHION_MNIST_DIR);
  spec->arch = g_strdup (arch < g_strv_length ((char **) archs) ? archs[arch] : "tiny");
  spec->out_dir = g_strdup (self->output_dir);
  spec->klass = klass == GTK_INVALID_LIST_POSITION ? 0 : (int) klass;
  spec->kind = kinds[kind < G_N_ELEMENTS (kinds) ? kind : 0];
  spec->rate = gtk_spin_button_get_value (self->rate_spin) / 100.0;
  spec->epochs = gtk_spin_button_get_value_as_int (self->epochs_spin);
  spec->subset = gtk_spin_button_get_value_as_int (self->subset_spin);

  rel_train_plot_clear (self->plot);
  rel_train_plot_set_epochs (self->plot, spec->epochs);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
  gtk_widget_set_visible (self->results_box, FALSE);
  run_result_free (g_steal_pointer (&self->result));
  set_running (self, TRUE);
  set_status (self, _("Starting…"));

  self->job = rel_job_new (run_training, spec, run_spec_free);
  rel_job_set_progress_func (self->job, job_progress);
  rel_job_set_items_func (self->job, job_items, g_free);
  rel_job_set_done_func (self->job, job_done, (GDestroyNotify) run_result_free);
  rel_job_start (self->job, self);
}

void
rel_train_dialog_cancel (RelTrainDialog *self)
{
  g_return_if_fail (REL_IS_TRAIN_DIALOG (self));
  if (self->job == NULL)
    return;
  /* no callback of the job runs after this; the worker stops at its next step */
  rel_job_cancel (self->job);
  g_clear_pointer (&self->job, rel_job_unref);
  set_running (self, FALSE);
  set_status (self, _("Cancelled"));
}

gboolean
rel_train_dialog_open_model (RelTrainDialog *self)
{
  g_return_val_if_fail (REL_IS_TRAIN_DIALOG (self), FALSE);
  if (self->result == NULL || self->workspace == NULL)
    return FALSE;
  g_autoptr (GFile) model = g_file_new_for_path (self->result->model_path);
  g_autoptr (GFile) images = g_file_new_for_path (self->result->images_dir);
  GFile *files[] = { model, images };
  return rel_workspace_open_files (self->workspace, files, G_N_ELEMENTS (files));
}

static void
start_clicked (GtkButton *button, RelTrainDialog *self)
{
  rel_train_dialog_start (self);
}

static void
cancel_clicked (GtkButton *button, RelTrainDialog *self)
{
  if (self->job)
    rel_train_dialog_cancel (self);
  else
    gtk_window_close (GTK_WINDOW (self));
}

static void
open_clicked (GtkButton *button, RelTrainDialog *self)
{
  rel_train_dialog_open_model (self);
}

/* The class names the drop-down offers: Fashion-MNIST's, or those of a chosen
 * folder's subfolders (an IDX folder with ten classes is Fashion-MNIST-like). */
static void
set_classes (RelTrainDialog *self, const char *const *names, int selected)
{
  g_autoptr (GtkStringList) list = gtk_string_list_new ((const char *const *) names);
  adw_combo_row_set_model (self->class_row, G_LIST_MODEL (list));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (list));
  if (n > 0)
    adw_combo_row_set_selected (self->class_row, (guint) CLAMP (selected, 0, (int) n - 1));
}

/* g_ptr_array_sort passes pointers to the elements */
static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

static char **
folder_classes (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *train = g_build_filename (path, "train", NULL);
  const char *name;

  /* an image folder with train/ and test/ has its classes one level down */
  if (g_file_test (train, G_FILE_TEST_IS_DIR))
    return folder_classes (train);
  if (dir == NULL)
    return NULL;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *sub = g_build_filename (path, name, NULL);
      if (name[0] != '.' && g_file_test (sub, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (names, g_strdup (name));
    }
  if (names->len == 0)
    return NULL;
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

void
rel_train_dialog_set_dataset (RelTrainDialog *self, const char *path)
{
  g_return_if_fail (REL_IS_TRAIN_DIALOG (self));
  g_free (self->dataset);
  self->dataset = g_strdup (path);
  gtk_widget_set_visible (GTK_WIDGET (self->dataset_reset_button), path != NULL);
  if (path == NULL)
    {
      adw_action_row_set_subtitle (self->dataset_row, "Fashion-MNIST");
      set_classes (self, rel_fashion_mnist_classes, DEFAULT_CLASS);
      return;
    }
  g_autofree char *display = g_filename_display_name (path);
  adw_action_row_set_subtitle (self->dataset_row, display);
  g_auto (GStrv) classes = folder_classes (path);
  if (classes)
    set_classes (self, (const char *const *) classes, 0);
  else
    set_classes (self, rel_fashion_mnist_classes, DEFAULT_CLASS);
}

static void
chooser_response (GtkNativeDialog *chooser, int response, RelTrainDialog *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path)
        rel_train_dialog_set_dataset (self, path);
    }
  g_object_unref (chooser);
}

static void
dataset_clicked (GtkButton *button, RelTrainDialog *self)
{
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Choose a Data Set Folder"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
dataset_reset_clicked (GtkButton *button, RelTrainDialog *self)
{
  rel_train_dialog_set_dataset (self, NULL);
}

void
rel_train_dialog_set_arch (RelTrainDialog *self, const char *arch)
{
  g_return_if_fail (REL_IS_TRAIN_DIALOG (self));
  const char *const *archs = rel_train_arch_names ();
  for (guint i = 0; archs[i]; i++)
    if (g_strcmp0 (archs[i], arch) == 0)
      adw_combo_row_set_selected (self->arch_row, i);
}

void
rel_train_dialog_set_epochs (RelTrainDialog *self, int epochs)
{
  g_return_if_fail (REL_IS_TRAIN_DIALOG (self));
  gtk_spin_button_set_value (self->epochs_spin, epochs);
}

void
rel_train_dialog_set_subset (RelTrainDialog *self, int n)
{
  g_return_if_fail (REL_IS_TRAIN_DIALOG (self));
  gtk_spin_button_set_value (self->subset_spin, n);
}

void
rel_train_dialog_set_output_dir (RelTrainDialog *self, const char *dir)
{
  g_return_if_fail (REL_IS_TRAIN_DIALOG (self) && dir != NULL);
  g_free (self->output_dir);
  self->output_dir = g_strdup (dir);
}

gboolean
rel_train_dialog_is_running (RelTrainDialog *self)
{
  g_return_val_if_fail (REL_IS_TRAIN_DIALOG (self), FALSE);
  return self->job != NULL;
}

RelTrainPlot *
rel_train_dialog_get_plot (RelTrainDialog *self)
{
  g_return_val_if_fail (REL_IS_TRAIN_DIALOG (self), NULL);
  return self->plot;
}

const char *
rel_train_dialog_get_model_path (RelTrainDialog *self)
{
  g_return_val_if_fail (REL_IS_TRAIN_DIALOG (self), NULL);
  return self->result ? self->result->model_path : NULL;
}

double
rel_train_dialog_get_clean_accuracy (RelTrainDialog *self)
{
  g_return_val_if_fail (REL_IS_TRAIN_DIALOG (self), -1);
  return self->result ? self->result->clean_accuracy : -1;
}

double
rel_train_dialog_get_flip_rate (RelTrainDialog *self)
{
  g_return_val_if_fail (REL_IS_TRAIN_DIALOG (self), -1);
  return self->result ? self->result->flip_rate : -1;
}

const char *
rel_train_dialog_get_status (RelTrainDialog *self)
{
  g_return_val_if_fail (REL_IS_TRAIN_DIALOG (self), NULL);
  return self->status;
}

static void
rel_train_dialog_dispose (GObject *object)
{
  RelTrainDialog *self = REL_TRAIN_DIALOG (object);
  if (self->job)
    {
      rel_job_cancel (self->job);
      g_clear_pointer (&self->job, rel_job_unref);
    }
  g_clear_object (&self->workspace);
  gtk_widget_dispose_template (GTK_WIDGET (object), REL_TYPE_TRAIN_DIALOG);
  G_OBJECT_CLASS (rel_train_dialog_parent_class)->dispose (object);
}

static void
rel_train_dialog_finalize (GObject *object)
{
  RelTrainDialog *self = REL_TRAIN_DIALOG (object);
  g_free (self->dataset);
  g_free (self->output_dir);
  g_free (self->status);
  run_result_free (self->result);
  G_OBJECT_CLASS (rel_train_dialog_parent_class)->finalize (object);
}

static void
rel_train_dialog_class_init (RelTrainDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = rel_train_dialog_dispose;
  object_class->finalize = rel_train_dialog_finalize;

  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);

  g_type_ensure (REL_TYPE_TRAIN_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/relevance/Relevance/rel-train-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, start_button);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, settings_box);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, dataset_row);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, dataset_button);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, dataset_reset_button);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, subset_spin);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, class_row);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, kind_row);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, rate_spin);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, arch_row);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, plot);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, status_label);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, results_box);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, accuracy_label);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, flip_label);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, result_label);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, open_button);
  gtk_widget_class_bind_template_child (widget_class, RelTrainDialog, saved_label);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
rel_train_dialog_init (RelTrainDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->status = g_strdup (gtk_label_get_text (self->status_label));
  self->output_dir = g_build_filename (g_get_user_data_dir (), "relevance", "trained", NULL);

  /* architectures: the built-in names with what they are */
  g_autoptr (GtkStringList) archs = gtk_string_list_new (NULL);
  const char *const *names = rel_train_arch_names ();
  for (int i = 0; names[i]; i++)
    {
      const char *title = g_str_equal (names[i], "tiny") ? _("Tiny CNN (fast)")
                        : g_str_equal (names[i], "tiny-bn") ? _("Tiny CNN with batch norm")
                        : g_str_equal (names[i], "tiny-fc") ? _("Tiny CNN with a hidden layer")
                        : g_str_equal (names[i], "small") ? _("Small CNN (the demo’s)")
                        : g_str_equal (names[i], "mlp") ? _("Multilayer perceptron")
                        : names[i];
      gtk_string_list_append (archs, title);
    }
  adw_combo_row_set_model (self->arch_row, G_LIST_MODEL (archs));
  rel_train_dialog_set_arch (self, "tiny");
  rel_train_dialog_set_dataset (self, NULL);

  g_signal_connect (self->start_button, "clicked", G_CALLBACK (start_clicked), self);
  g_signal_connect (self->cancel_button, "clicked", G_CALLBACK (cancel_clicked), self);
  g_signal_connect (self->open_button, "clicked", G_CALLBACK (open_clicked), self);
  g_signal_connect (self->dataset_button, "clicked", G_CALLBACK (dataset_clicked), self);
  g_signal_connect (self->dataset_reset_button, "clicked", G_CALLBACK (dataset_reset_clicked), self);
  gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->start_button));
}

RelTrainDialog *
rel_train_dialog_new (GtkWindow *parent)
{
  RelTrainDialog *self = g_object_new (REL_TYPE_TRAIN_DIALOG, NULL);
  if (parent)
    {
      gtk_window_set_transient_for (GTK_WINDOW (self), parent);
      gtk_window_set_modal (GTK_WINDOW (self), TRUE);
      /* the app's window has a workspace; the dialog knows nothing else of it */
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (parent), "workspace"))
        g_object_get (parent, "workspace", &self->workspace, NULL);
    }
  return self;
}
