/* rel-image-browser.c — the thumbnail grid (see rel-image-browser.h).
 *
 * Three kinds of background work, each with one rule for the main loop: the
 * worker fills a slot under a mutex and, if no delivery is pending yet,
 * attaches ONE idle source; the idle takes whatever the slot holds by then.
 * Every worker object is reference counted and holds a `browser` pointer that
 * only the main thread reads or clears, so a browser that goes away (or a
 * model that changes) just detaches the worker, which drops its work and
 * frees itself; the main loop never waits for a worker.
 *
 *  - Scanner: one thread running rel_dataset_scan; its chunks become items
 *    in slices of at most SCAN_SLICE per idle, so even 10,000 found at once
 *    cost the loop a few short callbacks.
 *  - Thumbnails: a GThreadPool (2 threads) sorted newest request first; a
 *    cell's bind requests its item, unbind marks the request unwanted so the
 *    pool skips it. At most THUMB_CACHE textures stay loaded; the oldest of
 *    the cells not on screen are dropped first.
 *  - Predictor: one thread per model; takes batches from the items on
 *    screen first, then the rest in order; softmax on the logits.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-image-browser-private.h"
#include "rel-image-cell.h"
#include "rel-dataset.h"
#include "rel-image.h"
#include "rel-error.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>



/* ====================================================================== */
/* The browser's state                                                    */
/* ====================================================================== */


G_DEFINE_FINAL_TYPE (RelImageBrowser, rel_image_browser, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SELECTED_ITEM,
  PROP_LOADING,
  PROP_PREDICTING,
  PROP_N_ITEMS,
  PROP_N_VISIBLE,
  N_PROPS
};

enum {
  SIGNAL_IMAGE_ACTIVATED,
  SIGNAL_FOLDER_LOADED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static void schedule_refresh (RelImageBrowser *self, gboolean refilter);

/* ====================================================================== */
/* Browser: items, filters, status                                        */
/* ====================================================================== */

static void
set_predicting (RelImageBrowser *self, gboolean predicting)
{
  if (self->predicting == predicting)
    return;
  self->predicting = predicting;
  gtk_widget_set_visible (GTK_WIDGET (self->spinner),
                          predicting || rel_image_browser_is_loading (self));
  gtk_spinner_set_spinning (self->spinner, gtk_widget_get_visible (GTK_WIDGET (self->spinner)));
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PREDICTING]);
}

void
rel_image_browser_take_predictions (RelImageBrowser *self, Predictor *p)
{
  g_autoptr(GPtrArray) results = NULL;

  g_mutex_lock (&p->lock);
  results = g_steal_pointer (&p->results);
  p->results = g_ptr_array_new_with_free_func ((GDestroyNotify) rel_image_browser_predict_result_free);
  p->idle_pending = FALSE;
  g_mutex_unlock (&p->lock);

  for (guint i = 0; i < results->len; i++)
    {
      PredictResult *r = results->pdata[i];

      if (r->label >= 0)
        {
          const char *name = rel_model_label (p->model, r->label);
          g_autofree char *fallback = name ? NULL : g_strdup_printf (_("Class %d"), r->label);
          rel_image_item_set_prediction (r->item, r->label, name ? name : fallback, r->confidence);
        }
      else
        {
          rel_image_item_clear_prediction (r->item);
          rel_image_item_set_error (r->item, r->error);
        }
      self->n_predicted++;
    }
  set_predicting (self, rel_image_browser_predictor_busy (p));
  if (results->len > 0)
    schedule_refresh (self, self->correctness != REL_CORRECTNESS_ALL || self->filter_by_prediction);
}

static gboolean
filter_func (gpointer object, gpointer user_data)
{
  RelImageBrowser *self = user_data;
  RelImageItem *item = object;

  if (self->class_filter >= 0)
    {
      int label = self->filter_by_prediction ? rel_image_item_get_predicted_label (item)
                                             : rel_image_item_get_true_label (item);
      if (label != self->class_filter)
        return FALSE;
    }
  if (self->group_filter >= 0)
    {
      const char *group = rel_image_item_get_group (item);
      if (group == NULL || self->group_names == NULL
          || g_strcmp0 (group, self->group_names[self->group_filter]) != 0)
        return FALSE;
    }
  switch (self->correctness)
    {
    case REL_CORRECTNESS_CORRECT:
      return rel_image_item_has_prediction (item) && rel_image_item_get_expected_label (item) >= 0
             && !rel_image_item_get_wrong (item);
    case REL_CORRECTNESS_WRONG:
      return rel_image_item_get_wrong (item);
    case REL_CORRECTNESS_ALL:
    default:
      return TRUE;
    }
}

static void
apply_filter (RelImageBrowser *self)
{
  gboolean active = self->class_filter >= 0 || self->group_filter >= 0 || self->correctness != REL_CORRECTNESS_ALL;

  /* No filter at all when showing everything: the filter model then passes
   * items through without calling anything per item. */
  if (!active)
    gtk_filter_list_model_set_filter (self->filtered, NULL);
  else if (gtk_filter_list_model_get_filter (self->filtered) == NULL)
    gtk_filter_list_model_set_filter (self->filtered, GTK_FILTER (self->filter));
  else
    gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
update_status (RelImageBrowser *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  guint judged = 0, wrong = 0;
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(RelImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      if (rel_image_item_has_prediction (item) && rel_image_item_get_expected_label (item) >= 0)
        {
          judged++;
          wrong += rel_image_item_get_wrong (item);
        }
    }
  if (shown == n)
    g_string_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u image", "%u images", n), n);
  else
    g_string_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u of %u image", "%u of %u images", n), shown, n);
  if (judged > 0)
    {
      g_string_append (text, " · ");
      g_string_append_printf (text, _("%.1f %% correct"), 100.0 * (judged - wrong) / judged);
    }
  gtk_label_set_text (self->status_label, text->str);

  /* Filters and counts mean nothing before the first image. */
  gtk_widget_set_visible (self->toolbar, n > 0);
  gtk_widget_set_visible (self->toolbar_separator, n > 0);
  if (n == 0)
    gtk_stack_set_visible_child_name (self->stack, "empty");
  else if (shown == 0 && !rel_image_browser_is_loading (self))
    gtk_stack_set_visible_child_name (self->stack, "no-match");
  else
    gtk_stack_set_visible_child_name (self->stack, "grid");
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_ITEMS]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_VISIBLE]);
}

static gboolean
refresh_idle (gpointer data)
{
  RelImageBrowser *self = data;

  self->refresh_id = 0;
  if (self->refilter_pending)
    {
      self->refilter_pending = FALSE;
      apply_filter (self);
    }
  update_status (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (RelImageBrowser *self, gboolean refilter)
{
  self->refilter_pending |= refilter;
  if (self->refresh_id == 0)
    self->refresh_id = g_idle_add_full (DELIVERY_PRIORITY, refresh_idle, self, NULL);
}

static void
on_item_judgement (RelImageItem *item, GParamSpec *pspec, RelImageBrowser *self)
{
  (void) item;
  (void) pspec;
  schedule_refresh (self, self->correctness != REL_CORRECTNESS_ALL
                          || (self->filter_by_prediction && self->class_filter >= 0));
}

static void
rebuild_class_dropdown (RelImageBrowser *self)
{
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);
  gboolean have_classes = self->class_names && self->class_names[0];

  gtk_string_list_append (list, _("All Classes"));
  self->filter_by_prediction = !have_classes && self->model && self->model->labels;
  if (have_classes)
    for (int i = 0; self->class_names[i]; i++)
      gtk_string_list_append (list, self->class_names[i]);
  else if (self->filter_by_prediction)
    for (int i = 0; i < self->model->n_labels; i++)
      gtk_string_list_append (list, self->model->labels[i]);

  self->updating_dropdown = TRUE;
  gtk_drop_down_set_model (self->class_dropdown, G_LIST_MODEL (list));
  gtk_drop_down_set_selected (self->class_dropdown, 0);
  self->updating_dropdown = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->class_dropdown),
                            g_list_model_get_n_items (G_LIST_MODEL (list)) > 1);
  gtk_widget_set_sensitive (GTK_WIDGET (self->correctness_dropdown), have_classes);
  self->class_filter = -1;
  if (!have_classes && self->correctness != REL_CORRECTNESS_ALL)
    {
      self->correctness = REL_CORRECTNESS_ALL;
      self->updating_dropdown = TRUE;
      gtk_drop_down_set_selected (self->correctness_dropdown, 0);
      self->updating_dropdown = FALSE;
    }
  apply_filter (self);
}

static void
rebuild_group_dropdown (RelImageBrowser *self)
{
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);
  guint n = self->group_names ? g_strv_length (self->group_names) : 0;

  gtk_string_list_append (list, _("All Groups"));
  for (guint i = 0; i < n; i++)
    gtk_string_list_append (list, self->group_names[i]);
  self->updating_dropdown = TRUE;
  gtk_drop_down_set_model (self->group_dropdown, G_LIST_MODEL (list));
  gtk_drop_down_set_selected (self->group_dropdown, 0);
  self->updating_dropdown = FALSE;
  /* one group is no choice */
  gtk_widget_set_visible (GTK_WIDGET (self->group_dropdown), n >= 2);
  self->group_filter = -1;
}

/* The banner that asks for the class folders' level when no name matched,
 * and stays (saying so) while a level the user chose is in force. */
static void
update_layout_banner (RelImageBrowser *self, const RelDatasetLayout *layout)
{
  gboolean show = self->model && layout && layout->n_levels > 0
                  && (self->class_level > 0 || !layout->matched);
  g_autoptr(GtkStringList) levels = gtk_string_list_new (NULL);

  gtk_widget_set_visible (self->layout_banner, show);
  if (!show)
    return;
  if (self->class_level == 0)
    gtk_label_set_text (self->layout_label,
                        _("No folder name matches the model’s classes, so no image has a true class. "
                          "Which folders hold the classes?"));
  else if (!layout->matched)
    gtk_label_set_text (self->layout_label,
                        _("The class folders’ names do not match the model’s classes: no prediction is marked wrong."));
  else
    gtk_label_set_text (self->layout_label, _("Classes from the folders you chose."));
  gtk_string_list_append (levels, _("Not Chosen"));
  for (int l = 1; l <= layout->n_levels; l++)
    {
      g_autofree char *names = rel_dataset_layout_describe_level (layout, l, 3);
      /* Translators: a folder level below the opened folder, and its folders' names */
      g_autofree char *item = g_strdup_printf (_("Level %d: %s"), l, names);
      gtk_string_list_append (levels, item);
    }
  self->updating_dropdown = TRUE;
  gtk_drop_down_set_model (self->level_dropdown, G_LIST_MODEL (levels));
  gtk_drop_down_set_selected (self->level_dropdown, (guint) self->class_level);
  self->updating_dropdown = FALSE;
}

static gboolean
update_cells_idle (gpointer data)
{
  RelImageBrowser *self = data;

  for (int i = 0; i < 8 && self->cells_to_update->len > 0; i++)
    {
      RelImageItem *item = g_ptr_array_steal_index (self->cells_to_update, self->cells_to_update->len - 1);
      g_object_notify (G_OBJECT (item), "expected-label");
      g_object_unref (item);
    }
  if (self->cells_to_update->len > 0)
    return G_SOURCE_CONTINUE;
  self->update_cells_id = 0;
  return G_SOURCE_REMOVE;
}

/* True classes and groups of every item from the folder layout, matched
 * against the model's labels (core/rel-dataset.h): nothing is guessed, an
 * image without a known class in the model's outputs is never judged. */
static void
apply_layout (RelImageBrowser *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(RelDatasetLayout) layout = NULL;
  int level = self->class_level;

  for (guint i = 0; i < n; i++)
    {
      RelImageItem *item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      g_ptr_array_add (paths, item);
      g_ptr_array_add (names, (gpointer) rel_image_item_get_path (item));
    }
  /* Without a model there is nothing to match: ImageFolder's top level. */
  if (self->model == NULL && level == 0)
    level = 1;
  if (self->root)
    {
      const char *const *labels = self->model ? (const char *const *) self->model->labels : NULL;
      int n_labels = self->model ? self->model->n_labels : 0;
      int n_out = self->model ? rel_model_num_classes (self->model) : 0;

      layout = rel_dataset_layout_new (self->root, (const char *const *) names->pdata, n, labels, n_labels,
                                       n_out, level, NULL);
      if (layout == NULL && level > 0)
        {
          /* the chosen level no longer exists (another folder) */
          if (self->model)
            self->class_level = 0;
          layout = rel_dataset_layout_new (self->root, (const char *const *) names->pdata, n, labels, n_labels,
                                           n_out, self->class_level, NULL);
        }
    }
  g_strfreev (self->class_names);
  g_strfreev (self->group_names);
  self->class_names = layout ? g_strdupv (layout->class_names) : NULL;
  self->group_names = layout ? g_strdupv (layout->group_names) : NULL;
  self->layout_unresolved = self->model && layout && layout->n_levels > 0 && !layout->matched;
  for (guint i = 0; i < n; i++)
    {
      RelImageItem *item = paths->pdata[i];
      int c = layout && i < layout->n_images ? layout->image_class[i] : -1;
      int g = layout && i < layout->n_images ? layout->image_group[i] : -1;
      /* Quietly: notifications per item and field stall the loop for a
       * second on 10,000 images. */
      rel_image_item_set_truth_quietly (item, c, c >= 0 ? layout->class_names[c] : NULL,
                                        c >= 0 ? layout->class_labels[c] : -1,
                                        g >= 0 ? layout->group_names[g] : NULL);
    }
  /* The cells on screen redraw a few per main-loop turn: a cell takes
   * about a millisecond, and a grid holds hundreds. Ahead of drawing (at
   * the idle priority a busy frame clock would hold them back for long). */
  {
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init (&it, self->bound);
    while (g_hash_table_iter_next (&it, &key, NULL))
      g_ptr_array_add (self->cells_to_update, g_object_ref (key));
    if (self->update_cells_id == 0 && self->cells_to_update->len > 0)
      self->update_cells_id = g_idle_add_full (G_PRIORITY_DEFAULT, update_cells_idle, self, NULL);
  }
  update_layout_banner (self, layout);
  rebuild_class_dropdown (self);
  rebuild_group_dropdown (self);
  schedule_refresh (self, TRUE);
}

static void
append_items (RelImageBrowser *self, RelImageItem **items, guint n)
{
  guint position = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; i < n; i++)
    {
      g_signal_connect (items[i], "notify::wrong", G_CALLBACK (on_item_judgement), self);
      g_signal_connect (items[i], "notify::predicted-label", G_CALLBACK (on_item_judgement), self);
    }
  g_list_store_splice (self->store, position, 0, (gpointer *) items, n);
  rel_image_browser_predictor_add_items (self->predictor, items, n);
  schedule_refresh (self, FALSE);
}

void
rel_image_browser_take_scan (RelImageBrowser *self, Scanner *s)
{
  g_autoptr(GPtrArray) paths = NULL;
  g_autoptr(GArray) labels = NULL;
  gboolean finished;
  GError *error = NULL;
  double fraction;
  guint n;

  g_mutex_lock (&s->lock);
  /* GtkGridView keeps cells for ~30 rows of the grid and creates the missing
   * ones inside items-changed: while the grid is filling, small slices spread
   * that cost over several main-loop iterations (frames draw in between). */
  n = MIN (s->paths->len, g_list_model_get_n_items (G_LIST_MODEL (self->store)) < SCAN_RAMP_ITEMS
                          ? SCAN_RAMP_SLICE : SCAN_SLICE);
  paths = g_ptr_array_new_full (n, g_free);
  labels = g_array_sized_new (FALSE, FALSE, sizeof (int), n);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (paths, g_steal_pointer (&s->paths->pdata[i]));
  g_array_append_vals (labels, s->labels->data, n);
  g_ptr_array_remove_range (s->paths, 0, n);
  g_array_remove_range (s->labels, 0, n);
  finished = s->finished && s->paths->len == 0;
  if (finished)
    error = g_steal_pointer (&s->error);
  fraction = s->fraction;
  g_mutex_unlock (&s->lock);

  /* The true classes need the whole tree (which level holds them): they
   * arrive with the scan's end, in apply_layout. */
  if (n > 0)
    {
      g_autofree RelImageItem **items = g_new (RelImageItem *, n);
      for (guint i = 0; i < n; i++)
        items[i] = rel_image_item_new (paths->pdata[i], -1, NULL);
      append_items (self, items, n);
      for (guint i = 0; i < n; i++)
        g_object_unref (items[i]);
    }
  gtk_progress_bar_set_fraction (self->progress_bar, fraction);

  if (finished)
    {
      /* Detach first: the source that called us must not run again. */
      s->browser = NULL;
      g_clear_pointer (&self->scanner, rel_image_browser_scanner_unref);
      gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->spinner), self->predicting);
      gtk_spinner_set_spinning (self->spinner, self->predicting);
      apply_layout (self);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LOADING]);
      schedule_refresh (self, FALSE);
      if (error && g_error_matches (error, REL_ERROR, REL_ERROR_CANCELLED))
        g_clear_error (&error);
      else
        g_signal_emit (self, signals[SIGNAL_FOLDER_LOADED], 0, error);
      g_clear_error (&error);
    }
}

/* ====================================================================== */
/* Grid cells                                                             */
/* ====================================================================== */

static void
factory_setup (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  (void) factory;
  (void) user_data;
  gtk_list_item_set_child (list_item, rel_image_cell_new ());
}

static void
factory_bind (GtkSignalListItemFactory *factory, GtkListItem *list_item, RelImageBrowser *self)
{
  RelImageItem *item = gtk_list_item_get_item (list_item);
  RelImageCell *cell = REL_IMAGE_CELL (gtk_list_item_get_child (list_item));

  (void) factory;
  rel_image_cell_set_item (cell, item);
  g_hash_table_insert (self->bound, item, cell);
  rel_image_browser_request_thumbnail (self, item, gtk_list_item_get_position (list_item));
  if (!rel_image_item_has_prediction (item))
    rel_image_browser_predictor_prioritize (self->predictor, item);
}

static void
factory_unbind (GtkSignalListItemFactory *factory, GtkListItem *list_item, RelImageBrowser *self)
{
  RelImageItem *item = gtk_list_item_get_item (list_item);
  RelImageCell *cell = REL_IMAGE_CELL (gtk_list_item_get_child (list_item));

  (void) factory;
  if (item && g_hash_table_lookup (self->bound, item) == cell)
    {
      g_hash_table_remove (self->bound, item);
      rel_image_browser_release_thumbnail (self, item);
    }
  rel_image_cell_set_item (cell, NULL);
}

static void
on_activate (GtkGridView *grid, guint position, RelImageBrowser *self)
{
  g_autoptr(RelImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  (void) grid;
  if (item)
    g_signal_emit (self, signals[SIGNAL_IMAGE_ACTIVATED], 0, item);
}

static void
dropdown_setup (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer max_chars)
{
  GtkWidget *label = gtk_label_new (NULL);

  (void) factory;
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), GPOINTER_TO_INT (max_chars));
  gtk_list_item_set_child (list_item, label);
}

static void
dropdown_bind (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  GtkStringObject *string = gtk_list_item_get_item (list_item);
  GtkWidget *label = gtk_list_item_get_child (list_item);

  (void) factory;
  (void) user_data;
  gtk_label_set_text (GTK_LABEL (label), gtk_string_object_get_string (string));
  gtk_widget_set_tooltip_text (label, gtk_string_object_get_string (string));
}

static void
on_selected_item (RelImageBrowser *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SELECTED_ITEM]);
}

static void
on_class_selected (RelImageBrowser *self)
{
  guint selected = gtk_drop_down_get_selected (self->class_dropdown);

  if (self->updating_dropdown)
    return;
  rel_image_browser_set_class_filter (self, selected == GTK_INVALID_LIST_POSITION || selected == 0
                                            ? -1 : (int) selected - 1);
}

static void
on_group_selected (RelImageBrowser *self)
{
  guint selected = gtk_drop_down_get_selected (self->group_dropdown);

  if (self->updating_dropdown)
    return;
  rel_image_browser_set_group_filter (self, selected == GTK_INVALID_LIST_POSITION || selected == 0
                                            ? -1 : (int) selected - 1);
}

static void
on_level_selected (RelImageBrowser *self)
{
  guint selected = gtk_drop_down_get_selected (self->level_dropdown);

  if (self->updating_dropdown || selected == GTK_INVALID_LIST_POSITION)
    return;
  rel_image_browser_set_class_level (self, (int) selected);
}

static void
on_correctness_selected (RelImageBrowser *self)
{
  guint selected = gtk_drop_down_get_selected (self->correctness_dropdown);

  if (self->updating_dropdown)
    return;
  rel_image_browser_set_correctness_filter (self, selected <= REL_CORRECTNESS_WRONG ? selected
                                                                                     : REL_CORRECTNESS_ALL);
}

static void
on_filtered_changed (RelImageBrowser *self)
{
  schedule_refresh (self, FALSE);
}

/* ====================================================================== */
/* GObject                                                                */
/* ====================================================================== */

static void
load_css (GtkWidget *widget)
{
  GdkDisplay *display = gtk_widget_get_display (widget);
  GtkCssProvider *provider;

  if (g_object_get_data (G_OBJECT (display), "rel-image-browser-css"))
    return;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/io/github/relevance/Relevance/rel-image-browser.css");
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_set_data_full (G_OBJECT (display), "rel-image-browser-css", provider, g_object_unref);
}

static void
rel_image_browser_dispose (GObject *object)
{
  RelImageBrowser *self = REL_IMAGE_BROWSER (object);

  g_clear_pointer (&self->predictor, rel_image_browser_predictor_detach);
  if (self->store)
    rel_image_browser_clear (self);
  g_clear_pointer (&self->loader, rel_image_browser_loader_detach);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_handle_id (&self->update_cells_id, g_source_remove);
  if (self->cells_to_update)
    g_ptr_array_set_size (self->cells_to_update, 0);
  if (self->grid_view)
    gtk_grid_view_set_model (self->grid_view, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), REL_TYPE_IMAGE_BROWSER);
  self->grid_view = NULL;
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->selection);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->store);
  g_clear_pointer (&self->model, rel_model_unref);
  G_OBJECT_CLASS (rel_image_browser_parent_class)->dispose (object);
}

static void
rel_image_browser_finalize (GObject *object)
{
  RelImageBrowser *self = REL_IMAGE_BROWSER (object);

  g_strfreev (self->class_names);
  g_free (self->root);
  g_strfreev (self->group_names);
  g_ptr_array_unref (self->cells_to_update);
  g_hash_table_unref (self->thumb_tasks);
  g_hash_table_unref (self->bound);
  g_hash_table_unref (self->thumb_links);
  g_queue_clear (&self->thumb_lru);
  G_OBJECT_CLASS (rel_image_browser_parent_class)->finalize (object);
}

static void
rel_image_browser_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  RelImageBrowser *self = REL_IMAGE_BROWSER (object);

  switch (id)
    {
    case PROP_SELECTED_ITEM: g_value_set_object (value, rel_image_browser_get_selected_item (self)); break;
    case PROP_LOADING: g_value_set_boolean (value, rel_image_browser_is_loading (self)); break;
    case PROP_PREDICTING: g_value_set_boolean (value, self->predicting); break;
    case PROP_N_ITEMS: g_value_set_uint (value, g_list_model_get_n_items (G_LIST_MODEL (self->store))); break;
    case PROP_N_VISIBLE: g_value_set_uint (value, g_list_model_get_n_items (G_LIST_MODEL (self->filtered))); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
rel_image_browser_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  RelImageBrowser *self = REL_IMAGE_BROWSER (object);

  switch (id)
    {
    case PROP_SELECTED_ITEM: rel_image_browser_set_selected_item (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
rel_image_browser_class_init (RelImageBrowserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = rel_image_browser_dispose;
  object_class->finalize = rel_image_browser_finalize;
  object_class->get_property = rel_image_browser_get_property;
  object_class->set_property = rel_image_browser_set_property;

  props[PROP_SELECTED_ITEM] = g_param_spec_object ("selected-item", NULL, NULL, REL_TYPE_IMAGE_ITEM,
                                                   G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_LOADING] = g_param_spec_boolean ("loading", NULL, NULL, FALSE, ro);
  props[PROP_PREDICTING] = g_param_spec_boolean ("predicting", NULL, NULL, FALSE, ro);
  props[PROP_N_ITEMS] = g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0, ro);
  props[PROP_N_VISIBLE] = g_param_spec_uint ("n-visible", NULL, NULL, 0, G_MAXUINT, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_IMAGE_ACTIVATED] =
    g_signal_new ("image-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, REL_TYPE_IMAGE_ITEM);
  signals[SIGNAL_FOLDER_LOADED] =
    g_signal_new ("folder-loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/relevance/Relevance/rel-image-browser.ui");
  gtk_widget_class_bind_template_child (widget_class, RelImageBrowser, toolbar);
  gtk_widget_class_bind_template_child (widget_class, RelImageBrowser, toolbar_separator);
  gtk_widget_class_bind_template_child (widget_class, RelImageBrowser, class_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelImageBrowser, correctness_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelImageBrowser, group_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelImageBrowser, layout_banner);
  gtk_widget_class_bind_template_child (widget_class, RelImageBrowser, layout_label);
  gtk_widget_class_bind_template_child (widget_class, RelImageBrowser, level_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelImageBrowser, status_label);
  gtk_widget_class_bind_template_child (widget_class, RelImageBrowser, spinner);
  gtk_widget_class_bind_template_child (widget_class, RelImageBrowser, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, RelImageBrowser, stack);
  gtk_widget_class_bind_template_child (widget_class, RelImageBrowser, empty_page);
  gtk_widget_class_bind_template_child (widget_class, RelImageBrowser, grid_view);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "relimagebrowser");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
rel_image_browser_init (RelImageBrowser *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  g_type_ensure (REL_TYPE_IMAGE_ITEM);
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);
  load_css (GTK_WIDGET (self));

  self->class_filter = -1;
  self->group_filter = -1;
  self->cells_to_update = g_ptr_array_new_with_free_func (g_object_unref);
  self->thumb_tasks = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) rel_image_browser_thumb_task_unref);
  self->bound = g_hash_table_new (NULL, NULL);
  self->thumb_links = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->thumb_lru);
  self->loader = rel_image_browser_loader_new (self);

  self->store = g_list_store_new (REL_TYPE_IMAGE_ITEM);
  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->store)), NULL);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_swapped (self->selection, "notify::selected-item", G_CALLBACK (on_selected_item), self);
  g_signal_connect_swapped (self->filtered, "items-changed", G_CALLBACK (on_filtered_changed), self);

  g_signal_connect (factory, "setup", G_CALLBACK (factory_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (factory_bind), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (factory_unbind), self);
  gtk_grid_view_set_factory (self->grid_view, factory);
  gtk_grid_view_set_model (self->grid_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect (self->grid_view, "activate", G_CALLBACK (on_activate), self);

  /* Class names can be long (ImageNet's run to 90 characters): the button
   * ellipsizes, the popup shows them whole up to a sane width. */
  g_autoptr(GtkListItemFactory) button_factory = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkListItemFactory) list_factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (button_factory, "setup", G_CALLBACK (dropdown_setup), GINT_TO_POINTER (20));
  g_signal_connect (button_factory, "bind", G_CALLBACK (dropdown_bind), NULL);
  g_signal_connect (list_factory, "setup", G_CALLBACK (dropdown_setup), GINT_TO_POINTER (40));
  g_signal_connect (list_factory, "bind", G_CALLBACK (dropdown_bind), NULL);
  gtk_drop_down_set_factory (self->class_dropdown, button_factory);
  gtk_drop_down_set_list_factory (self->class_dropdown, list_factory);
  gtk_drop_down_set_expression (self->class_dropdown,
                                gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string"));
  /* the filter's labels ellipsize too: translated ("Alle Vorhersagen"), they
   * widened the homogeneous pair and with it the browser's column */
  gtk_drop_down_set_factory (self->correctness_dropdown, button_factory);
  gtk_drop_down_set_list_factory (self->correctness_dropdown, list_factory);
  gtk_drop_down_set_factory (self->group_dropdown, button_factory);
  gtk_drop_down_set_list_factory (self->group_dropdown, list_factory);
  gtk_drop_down_set_factory (self->level_dropdown, button_factory);
  gtk_drop_down_set_list_factory (self->level_dropdown, list_factory);
  g_signal_connect_swapped (self->class_dropdown, "notify::selected", G_CALLBACK (on_class_selected), self);
  g_signal_connect_swapped (self->group_dropdown, "notify::selected", G_CALLBACK (on_group_selected), self);
  g_signal_connect_swapped (self->level_dropdown, "notify::selected", G_CALLBACK (on_level_selected), self);
  g_signal_connect_swapped (self->correctness_dropdown, "notify::selected",
                            G_CALLBACK (on_correctness_selected), self);
  rebuild_class_dropdown (self);
  update_status (self);
}

/* ====================================================================== */
/* Public API                                                             */
/* ====================================================================== */

GtkWidget *
rel_image_browser_new (void)
{
  return g_object_new (REL_TYPE_IMAGE_BROWSER, NULL);
}

void
rel_image_browser_clear (RelImageBrowser *self)
{
  guint n;

  g_return_if_fail (REL_IS_IMAGE_BROWSER (self));
  if (self->scanner)
    {
      g_clear_pointer (&self->scanner, rel_image_browser_scanner_detach);
      gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LOADING]);
    }
  n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(RelImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      g_signal_handlers_disconnect_by_data (item, self);
    }
  /* Pending thumbnails are dropped: their results find no task and are ignored. */
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, self->thumb_tasks);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_atomic_int_set (&((ThumbTask *) value)->wanted, 0);
  g_hash_table_remove_all (self->thumb_tasks);
  g_queue_clear (&self->thumb_lru);
  g_hash_table_remove_all (self->thumb_links);
  g_list_store_remove_all (self->store);
  g_hash_table_remove_all (self->bound);
  g_strfreev (self->class_names);
  self->class_names = NULL;
  g_clear_pointer (&self->group_names, g_strfreev);
  g_clear_pointer (&self->root, g_free);
  self->layout_unresolved = FALSE;
  gtk_widget_set_visible (self->layout_banner, FALSE);
  rebuild_group_dropdown (self);
  /* The predictor's list refers to the old items: start over with the model. */
  if (self->predictor)
    {
      g_clear_pointer (&self->predictor, rel_image_browser_predictor_detach);
      self->predictor = rel_image_browser_predictor_start (self, self->model, self->batch_size);
    }
  rebuild_class_dropdown (self);
  set_predicting (self, FALSE);
  schedule_refresh (self, FALSE);
}

void
rel_image_browser_open_folder (RelImageBrowser *self, const char *path)
{
  Scanner *s;
  GThread *thread;

  g_return_if_fail (REL_IS_IMAGE_BROWSER (self));
  g_return_if_fail (path != NULL);
  rel_image_browser_clear (self);

  s = g_atomic_rc_box_new0 (Scanner);
  g_mutex_init (&s->lock);
  s->root = g_strdup (path);
  if (g_strcmp0 (self->root, path) != 0)
    self->class_level = 0;   /* another folder: find its classes by name again */
  g_free (self->root);
  self->root = g_strdup (path);
  s->paths = g_ptr_array_new_with_free_func (g_free);
  s->labels = g_array_new (FALSE, FALSE, sizeof (int));
  s->context = g_main_context_ref_thread_default ();
  s->browser = self;
  self->scanner = s;
  thread = g_thread_new ("rel-scan", rel_image_browser_scanner_thread, rel_image_browser_scanner_ref (s));
  g_thread_unref (thread);

  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), TRUE);
  gtk_spinner_set_spinning (self->spinner, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LOADING]);
}

void
rel_image_browser_add_files (RelImageBrowser *self, const char *const *paths)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_if_fail (REL_IS_IMAGE_BROWSER (self));
  for (guint i = 0; paths && paths[i]; i++)
    g_ptr_array_add (items, rel_image_item_new (paths[i], -1, NULL));
  append_items (self, (RelImageItem **) items->pdata, items->len);
}

gboolean
rel_image_browser_is_loading (RelImageBrowser *self)
{
  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), FALSE);
  return self->scanner != NULL;
}

GListModel *
rel_image_browser_get_items (RelImageBrowser *self)
{
  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), NULL);
  return G_LIST_MODEL (self->store);
}

GListModel *
rel_image_browser_get_filtered (RelImageBrowser *self)
{
  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), NULL);
  return G_LIST_MODEL (self->filtered);
}

const char *const *
rel_image_browser_get_class_names (RelImageBrowser *self)
{
  static const char *const none[] = { NULL };

  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), none);
  return self->class_names ? (const char *const *) self->class_names : none;
}

void
rel_image_browser_set_class_filter (RelImageBrowser *self, int class_index)
{
  g_return_if_fail (REL_IS_IMAGE_BROWSER (self));
  class_index = MAX (class_index, -1);
  if (class_index == self->class_filter)
    return;
  self->class_filter = class_index;
  self->updating_dropdown = TRUE;
  gtk_drop_down_set_selected (self->class_dropdown, (guint) (class_index + 1));
  self->updating_dropdown = FALSE;
  apply_filter (self);
  update_status (self);
}

int
rel_image_browser_get_class_filter (RelImageBrowser *self)
{
  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), -1);
  return self->class_filter;
}

void
rel_image_browser_set_correctness_filter (RelImageBrowser *self, RelCorrectness which)
{
  g_return_if_fail (REL_IS_IMAGE_BROWSER (self));
  if (which > REL_CORRECTNESS_WRONG)
    which = REL_CORRECTNESS_ALL;
  if (which == self->correctness)
    return;
  self->correctness = which;
  self->updating_dropdown = TRUE;
  gtk_drop_down_set_selected (self->correctness_dropdown, which);
  self->updating_dropdown = FALSE;
  apply_filter (self);
  update_status (self);
}

RelCorrectness
rel_image_browser_get_correctness_filter (RelImageBrowser *self)
{
  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), REL_CORRECTNESS_ALL);
  return self->correctness;
}

RelImageItem *
rel_image_browser_get_selected_item (RelImageBrowser *self)
{
  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), NULL);
  return gtk_single_selection_get_selected_item (self->selection);
}

gboolean
rel_image_browser_set_selected_item (RelImageBrowser *self, RelImageItem *item)
{
  GListModel *model;
  guint n;

  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), FALSE);
  if (item == NULL)
    {
      gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
      return TRUE;
    }
  model = G_LIST_MODEL (self->filtered);
  n = g_list_model_get_n_items (model);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(RelImageItem) candidate = g_list_model_get_item (model, i);
      if (candidate == item)
        {
          gtk_single_selection_set_selected (self->selection, i);
          return TRUE;
        }
    }
  return FALSE;
}

void
rel_image_browser_set_predictor (RelImageBrowser *self, RelModel *model, int batch_size)
{
  guint n;

  g_return_if_fail (REL_IS_IMAGE_BROWSER (self));
  batch_size = batch_size > 0 ? batch_size : DEFAULT_BATCH;
  if (model == self->model && batch_size == self->batch_size)
    return;
  g_clear_pointer (&self->predictor, rel_image_browser_predictor_detach);
  g_clear_pointer (&self->model, rel_model_unref);
  self->batch_size = batch_size;
  if (model)
    self->model = rel_model_ref (model);

  /* Old predictions belong to the old model. */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(RelImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      rel_image_item_clear_prediction (item);
    }
  if (self->scanner == NULL)
    apply_layout (self);   /* else at the scan's end; without folders, the classes come from the model */

  if (model)
    {
      g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
      GHashTableIter iter;
      gpointer key;

      self->predictor = rel_image_browser_predictor_start (self, model, batch_size);
      /* Cells on screen first, then everything in order. */
      g_hash_table_iter_init (&iter, self->bound);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        rel_image_browser_predictor_prioritize (self->predictor, key);
      for (guint i = 0; i < n; i++)
        g_ptr_array_add (items, g_list_model_get_item (G_LIST_MODEL (self->store), i));
      rel_image_browser_predictor_add_items (self->predictor, (RelImageItem **) items->pdata, items->len);
    }
  set_predicting (self, model != NULL && n > 0);
  schedule_refresh (self, TRUE);
}

gboolean
rel_image_browser_is_predicting (RelImageBrowser *self)
{
  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), FALSE);
  return self->predicting;
}

guint
rel_image_browser_get_n_thumbnails_loaded (RelImageBrowser *self)
{
  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), 0);
  return self->n_thumbnails;
}

guint
rel_image_browser_get_n_predicted (RelImageBrowser *self)
{
  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), 0);
  return self->n_predicted;
}

const char *const *
rel_image_browser_get_group_names (RelImageBrowser *self)
{
  static const char *const none[] = { NULL };

  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), none);
  return self->group_names ? (const char *const *) self->group_names : none;
}

void
rel_image_browser_set_group_filter (RelImageBrowser *self, int group_index)
{
  int n;

  g_return_if_fail (REL_IS_IMAGE_BROWSER (self));
  n = self->group_names ? (int) g_strv_length (self->group_names) : 0;
  group_index = group_index < n ? MAX (group_index, -1) : -1;
  if (group_index == self->group_filter)
    return;
  self->group_filter = group_index;
  self->updating_dropdown = TRUE;
  gtk_drop_down_set_selected (self->group_dropdown, (guint) (group_index + 1));
  self->updating_dropdown = FALSE;
  apply_filter (self);
  schedule_refresh (self, FALSE);
}

int
rel_image_browser_get_group_filter (RelImageBrowser *self)
{
  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), -1);
  return self->group_filter;
}

void
rel_image_browser_set_class_level (RelImageBrowser *self, int level)
{
  g_return_if_fail (REL_IS_IMAGE_BROWSER (self));
  level = MAX (level, 0);
  if (level == self->class_level)
    return;
  self->class_level = level;
  if (self->scanner == NULL)
    apply_layout (self);
}

int
rel_image_browser_get_class_level (RelImageBrowser *self)
{
  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), 0);
  return self->class_level;
}

const char *
rel_image_browser_get_layout_prompt (RelImageBrowser *self)
{
  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), NULL);
  return gtk_widget_get_visible (self->layout_banner) ? gtk_label_get_text (self->layout_label) : NULL;
}

const char *
rel_image_browser_get_folder (RelImageBrowser *self)
{
  g_return_val_if_fail (REL_IS_IMAGE_BROWSER (self), NULL);
  return self->root;
}
