/* rel-window-compare.c — the main window's Compare page: a grid of heatmaps,
 * methods × the current image or images × the current method. The cells are
 * submitted one after another to the window's explainer, which the grid owns
 * while the page is shown; clicking a cell makes its method (or image) the
 * Explore page's.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "rel-image.h"
#include "rel-window-private.h"

/* Images in the "images × one method" grid when fewer are selected. */
#define COMPARE_MAX_IMAGES 12
/* The compare grid's cells: at least this side, growing with the window
 * so that the columns fill its width. */
#define COMPARE_CELL_SIZE 200
#define COMPARE_SPACING 12      /* the grid's column spacing (rel-window.ui) */
#define COMPARE_MARGIN 18       /* the grid's margins (rel-window.ui) */
#define COMPARE_CELL_CHROME 20  /* a grid child's padding, the card's border and the view's margins */

static const char *const default_compare_methods[] = {
  "gradient", "smoothgrad", "integrated-gradients", "lrp-epsilon-plus-flat", "gradcam", "occlusion", NULL
};

static void compare_continue (RelWindow *self);

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
  rel_window_update_export_menu (self);
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

gboolean
rel_window_compare_is_shown (RelWindow *self)
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

void
rel_window_compare_clear (RelWindow *self)
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
  rel_window_compare_clear (self);
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

void
rel_window_compare_invalidate (RelWindow *self)
{
  self->compare_dirty = TRUE;
  if (rel_window_compare_is_shown (self))
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
    {
      rel_heatmap_view_set_reference (cell->view, isnan (cell->reference) ? update->explanation->explained_output
                                                                           : cell->reference);
      /* a fragile map says so in its cell too */
      rel_heatmap_view_set_stability (cell->view, update->explanation->stability);
    }
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
  if (!rel_window_compare_is_shown (self) || self->compare_running || self->model == NULL)
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
  g_signal_emit_by_name (self, "compare-done");
}

void
rel_window_compare_shown (RelWindow *self)
{
  if (self->compare_dirty)
    compare_rebuild (self);
  else
    compare_continue (self);
}

void
rel_window_compare_hidden (RelWindow *self)
{
  /* The grid may have taken the worker over; give it back. */
  if (self->compare_running)
    {
      self->compare_running = NULL;
      rel_explainer_cancel (self->explainer);
    }
}

static void
compare_mode_cb (GtkToggleButton *button, gpointer user_data)
{
  RelWindow *self = REL_WINDOW (user_data);
  if (!gtk_toggle_button_get_active (button))
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->compare_methods_button), !compare_images_mode (self));
  rel_window_compare_invalidate (self);
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
  rel_window_compare_invalidate (self);
}

void
rel_window_compare_init (RelWindow *self)
{
  self->compare_cell = COMPARE_CELL_SIZE;
  self->compare_columns = 8;
  g_signal_connect (gtk_scrolled_window_get_hadjustment (self->compare_scroller), "changed",
                    G_CALLBACK (compare_fit_cells), self);
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
}

void
rel_window_show_compare (RelWindow *self, gboolean images)
{
  g_return_if_fail (REL_IS_WINDOW (self));
  gtk_toggle_button_set_active (images ? self->compare_images_toggle : self->compare_methods_toggle, TRUE);
  adw_view_stack_set_visible_child_name (self->view_stack, "compare");
}

void
rel_window_set_compare_methods (RelWindow *self, const char *const *methods)
{
  g_return_if_fail (REL_IS_WINDOW (self));
  g_ptr_array_set_size (self->compare_methods, 0);
  for (int i = 0; methods && methods[i]; i++)
    if (rel_method_lookup (methods[i]))
      g_ptr_array_add (self->compare_methods, g_strdup (methods[i]));
  rel_window_compare_invalidate (self);
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
