/* rel-window-preferences.c — the heatmap's look: the view toolbar (colour
 * map, sign, normalisation, opacity, zoom), the GSettings that keep it, and
 * the Preferences window.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "rel-window-private.h"
#include "rel-colormap.h"

static const char *const sign_ids[] = { "both", "positive", "negative", "absolute", NULL };
static const char *const norm_ids[] = { "max-abs", "percentile", NULL };

/* The core's colour-map table is the one list of names: its order is the
 * order of the drop-down's and the preferences' entries. Unknown: the first. */
static guint
colormap_index (const char *name)
{
  RelColormap map;
  return rel_colormap_from_name (name, &map) ? (guint) map : 0;
}

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
  guint idx = colormap_index (name);
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
  if (idx < REL_COLORMAP_N)
    apply_colormap (REL_WINDOW (user_data), rel_colormap_name ((RelColormap) idx));
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

void
rel_window_look_init (RelWindow *self)
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

void
rel_window_look_load (RelWindow *self)
{
  if (self->settings == NULL)
    {
      apply_opacity (self, gtk_adjustment_get_value (self->opacity_adjustment));
      return;
    }
  g_autofree char *nick = g_settings_get_string (self->settings, "colormap");
  apply_colormap (self, colormap_from_setting (nick));
  g_autofree char *sign = g_settings_get_string (self->settings, "sign-mode");
  apply_sign (self, sign);
  apply_opacity (self, g_settings_get_double (self->settings, "opacity"));
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (settings_changed_cb), self, 0);
}


static void
pref_colormap_cb (AdwComboRow *row, GParamSpec *pspec, gpointer user_data)
{
  guint idx = adw_combo_row_get_selected (row);
  if (idx < REL_COLORMAP_N)
    apply_colormap (REL_WINDOW (user_data), rel_colormap_name ((RelColormap) idx));
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
  adw_combo_row_set_selected (ADW_COMBO_ROW (crow), colormap_index (current));
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
