/* rel-strategies-view.c — the Strategies page (see the header).
 *
 * State: one Heatmaps block (the class's paths, channel-summed maps, the
 * predictions and small RGB copies of the inputs), shared by reference with
 * the worker of each analysis job so a re-analysis never copies or recomputes
 * it; and the current Analysis (preprocessed rows + RelSprayResult). Both
 * plots are GtkDrawingAreas drawn with cairo from that state.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-strategies-view-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "rel-colormap.h"
#include "rel-core.h"
#include "rel-error.h"
#include "rel-image.h"
#include "rel-inspect-page.h"
#include "rel-job.h"

/* Tableau 10: distinct and readable on light and dark backgrounds. */
static const double palette[][3] = {
  { 0.122, 0.467, 0.706 }, { 1.000, 0.498, 0.055 }, { 0.173, 0.627, 0.173 }, { 0.839, 0.153, 0.157 },
  { 0.580, 0.404, 0.741 }, { 0.549, 0.337, 0.294 }, { 0.890, 0.467, 0.761 }, { 0.498, 0.498, 0.498 },
  { 0.737, 0.741, 0.133 }, { 0.090, 0.745, 0.812 },
};

void
rel_strategies_view_cluster_color (int c, double *rgb)
{
  if (c < 0)
    {
      rgb[0] = rgb[1] = rgb[2] = 0.6;
      return;
    }
  memcpy (rgb, palette[c % G_N_ELEMENTS (palette)], sizeof (double) * 3);
}

void
rel_strategies_view_widget_color (GtkWidget *w, GdkRGBA *rgba)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (w), rgba);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

/* ---- shared data ---- */


static void
heatmaps_clear (Heatmaps *h)
{
  g_strfreev (h->paths);
  rel_spray_heatmaps_free (h->hm);
  for (int i = 0; h->rgba && i < h->n; i++)
    g_free (h->rgba[i]);
  g_free (h->rgba);
}

static Heatmaps *
heatmaps_ref (Heatmaps *h)
{
  return g_atomic_rc_box_acquire (h);
}

static void
heatmaps_unref (Heatmaps *h)
{
  if (h)
    g_atomic_rc_box_release_full (h, (GDestroyNotify) heatmaps_clear);
}


static void
analysis_free (Analysis *a)
{
  if (a == NULL)
    return;
  heatmaps_unref (a->data);
  g_free (a->x);
  rel_spray_result_free (a->r);
  g_free (a);
}


static void
task_free (Task *t)
{
  if (t->model)
    rel_model_unref (t->model);
  rel_params_free (t->method);
  g_free (t->cache_dir);
  g_strfreev (t->paths);
  heatmaps_unref (t->data);
  for (int s = 0; s < 5; s++)
    rel_params_free (t->sp[s]);
  g_free (t);
}

/* ---- the widget ---- */


G_DEFINE_FINAL_TYPE (RelStrategiesView, rel_strategies_view, ADW_TYPE_BIN)

enum { SIGNAL_INSPECT_CLUSTER, N_SIGNALS };
static guint signals[N_SIGNALS];

static void start_job (RelStrategiesView *self, gboolean full);

/* ---- the worker ---- */

static void
task_progress (const char *stage, double fraction, gpointer data)
{
  Task *t = data;
  const char *msg = g_strcmp0 (stage, "heatmaps") == 0 ? _("Explaining images…")
                    : g_strcmp0 (stage, "tsne") == 0   ? _("Embedding (t-SNE)…")
                                                       : _("Analysing…");
  rel_job_progress (t->job, t->lo + (t->hi - t->lo) * CLAMP (fraction, 0, 1), msg);
}

static gpointer
task_run (RelJob *job, gpointer data, GError **error)
{
  Task *t = data;
  t->job = job;
  volatile gint *cancel = rel_job_cancel_flag (job);
  Heatmaps *h = t->data ? heatmaps_ref (t->data) : NULL;
  gboolean full = h == NULL;

  if (h == NULL)
    {
      int n = (int) g_strv_length (t->paths);
      RelSprayHeatmapRequest req = {
        .model = t->model, .method_params = t->method,
        .target = { REL_TARGET_CLASS, t->cls, 0, FALSE },
        .cache_dir = t->cache_dir, .progress = task_progress, .progress_data = t, .cancel = cancel,
      };
      t->lo = 0, t->hi = 0.6;
      RelSprayHeatmaps *hm = rel_spray_heatmaps (&req, (const char *const *) t->paths, n, error);
      if (hm == NULL)
        return NULL;
      h = g_atomic_rc_box_new0 (Heatmaps);
      h->n = n;
      h->cls = t->cls;
      h->paths = g_steal_pointer (&t->paths);
      h->hm = hm;
      h->rgba = g_new0 (guint8 *, n);
      /* small copies of the inputs as the model sees them, for the gallery */
      for (int i = 0; i < n && !rel_job_is_cancelled (job); i++)
        {
          g_autoptr (RelTensor) input = rel_input_load (t->model, h->paths[i], NULL);
          int w = 0, hh = 0;
          g_autofree guint8 *rgb = input ? rel_input_to_rgb8 (input, &t->model->preprocess, &w, &hh, NULL) : NULL;
          if (rgb == NULL || (h->iw && (w != h->iw || hh != h->ih)))
            continue;
          h->iw = w, h->ih = hh;
          guint8 *o = g_new (guint8, (gsize) w * hh * 4);
          for (gsize p = 0; p < (gsize) w * hh; p++)
            {
              memcpy (o + 4 * p, rgb + 3 * p, 3);
              o[4 * p + 3] = 255;
            }
          h->rgba[i] = o;
        }
    }

  Analysis *a = g_new0 (Analysis, 1);
  a->data = h;
  a->x = rel_spray_preprocess (h->hm->maps, h->n, h->hm->height, h->hm->width, t->sp[0], &a->dim, error);
  if (a->x == NULL)
    {
      analysis_free (a);
      return NULL;
    }
  g_autofree int *truth = g_new (int, h->n);
  for (int i = 0; i < h->n; i++)
    truth[i] = t->cls;
  t->lo = full ? 0.6 : 0.0, t->hi = 1.0;
  a->r = rel_spray_analyse (a->x, h->n, a->dim, (int) lround (sqrt (a->dim)), h->hm->predicted,
                            h->hm->confidence, truth, t->sp, TRUE, task_progress, t, cancel, error);
  if (a->r == NULL)
    {
      analysis_free (a);
      return NULL;
    }
  return a;
}

/* ---- parameters ---- */

static int
current_class (RelStrategiesView *self)
{
  guint i = gtk_drop_down_get_selected (self->class_dd);
  if (self->model == NULL || i == GTK_INVALID_LIST_POSITION)
    return -1;
  return (int) i;
}

const char *
rel_strategies_view_class_name (RelStrategiesView *self, int c)
{
  if (c < 0)
    return NULL;
  return gtk_string_list_get_string (self->class_list, c);
}

/* The window's method and parameters, so a heatmap is the same on every page. */
static RelParams *
current_method (RelStrategiesView *self)
{
  return self->method ? rel_params_copy (self->method) : rel_params_new (rel_method_lookup ("lrp-epsilon"));
}

static const char *
method_title (const RelParams *params)
{
  const RelMethodDef *m = params ? rel_params_method (params) : NULL;
  return m ? g_dgettext (GETTEXT_PACKAGE, m->title) : "";
}

#define K_MAX 10

static int
k_from_dd (RelStrategiesView *self)
{
  guint i = gtk_drop_down_get_selected (self->k_dd);
  return i == GTK_INVALID_LIST_POSITION || i == 0 ? 0 : (int) i + 1;
}

static void
stage_params (RelStrategiesView *self, RelParams **sp)
{
  sp[0] = rel_params_new (rel_spray_stage_preprocess ());
  sp[1] = rel_params_new (rel_spray_stage_affinity ());
  sp[2] = rel_params_new (rel_spray_stage_eigen ());
  sp[3] = rel_params_new (rel_spray_stage_cluster ());
  sp[4] = rel_params_new (rel_spray_stage_tsne ());
  g_autofree char *pool = g_strdup_printf ("%d", gtk_spin_button_get_value_as_int (self->pool_spin));
  g_autofree char *nb = g_strdup_printf ("%d", gtk_spin_button_get_value_as_int (self->nb_spin));
  g_autofree char *k = g_strdup_printf ("%d", k_from_dd (self));
  rel_params_set (sp[0], "pool", pool, NULL);
  rel_params_set (sp[1], "neighbors", nb, NULL);
  rel_params_set (sp[3], "k", k, NULL);
}

/* The browser's images of class @c: their true class in the model's label
 * space, else the folder's class name; in a folder without classes, the
 * images predicted as @c. */
static char **
class_paths (RelStrategiesView *self, int c)
{
  GListModel *items = rel_image_browser_get_items (self->browser);
  const char *name = rel_strategies_view_class_name (self, c);
  g_autoptr (GPtrArray) out = g_ptr_array_new ();
  guint n = g_list_model_get_n_items (items);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RelImageItem) item = g_list_model_get_item (items, i);
      int e = rel_image_item_get_expected_label (item);
      const char *true_name = rel_image_item_get_true_label_name (item);
      if (e == c || (e < 0 && true_name && g_strcmp0 (true_name, name) == 0)
          || (e < 0 && true_name == NULL && rel_image_item_get_predicted_label (item) == c))
        g_ptr_array_add (out, g_strdup (rel_image_item_get_path (item)));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

/* An image's name below the open folder ("tagged/Sandal/00008.png"): the
 * groups often repeat file names, the folders tell them apart. */
char *
rel_strategies_view_shown_name (RelStrategiesView *self, const char *path)
{
  const char *root = rel_image_browser_get_folder (self->browser);
  g_autofree char *canon = root ? g_canonicalize_filename (root, NULL) : NULL;
  gsize n = canon ? strlen (canon) : 0;

  if (canon && g_str_has_prefix (path, canon) && path[n] == '/')
    return g_filename_display_name (path + n + 1);
  return g_filename_display_basename (path);
}

/* ---- jobs ---- */

/* The status row shows while busy or saying something. */
static void
update_status_row (RelStrategiesView *self)
{
  if (self->status_box == NULL)
    return;
  const char *text = gtk_label_get_text (self->status);
  gtk_widget_set_visible (self->status_box, self->job != NULL || (text && *text));
}

static void
set_busy (RelStrategiesView *self, gboolean busy)
{
  gtk_button_set_label (self->run_button, busy ? _("Cancel") : _("Run"));
  if (busy)
    gtk_widget_remove_css_class (GTK_WIDGET (self->run_button), "suggested-action");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->run_button), "suggested-action");
  gtk_widget_set_visible (GTK_WIDGET (self->progress), busy);
  if (self->status_box)
    gtk_widget_set_visible (self->status_box, busy || *gtk_label_get_text (self->status));
  gtk_widget_set_sensitive (GTK_WIDGET (self->class_dd), !busy);
}

static void
job_progress (RelJob *job, double fraction, const char *message, gpointer user_data)
{
  RelStrategiesView *self = user_data;
  gtk_progress_bar_set_fraction (self->progress, fraction);
  gtk_progress_bar_set_text (self->progress, message);
}

static void
job_done (RelJob *job, gpointer result, const GError *error, gpointer user_data)
{
  RelStrategiesView *self = user_data;
  g_clear_pointer (&self->job, rel_job_unref);
  set_busy (self, FALSE);
  gboolean redo = self->redo && result != NULL;
  self->redo = FALSE;
  g_clear_pointer (&self->error, g_free);
  if (result == NULL)
    {
      self->error = g_strdup (error ? error->message : _("The analysis failed."));
      gtk_label_set_text (self->status, self->error);
      return;
    }
  Analysis *a = result;
  gboolean fresh = self->an == NULL || self->an->data != a->data;
  if (fresh)
    {
      self->n_explained += a->data->hm->n_explained;
      self->n_heatmap_runs++;
      if (self->an)
        rel_strategies_view_clear_hover_surfaces (self, self->an->data->n);
      g_clear_pointer (&self->selected, g_free);
      self->n_selected = 0;
    }
  analysis_free (self->an);
  self->an = a;
  self->zoom = 1, self->cx = self->cy = NAN;
  if (redo)
    start_job (self, FALSE);
  rel_strategies_view_rebuild_results (self);
}

static void
start_job (RelStrategiesView *self, gboolean full)
{
  if (self->job)
    {
      rel_job_cancel (self->job);
      g_clear_pointer (&self->job, rel_job_unref);
    }
  Task *t = g_new0 (Task, 1);
  stage_params (self, t->sp);
  self->job_full = full;
  self->redo = FALSE;
  if (full)
    {
      int c = current_class (self);
      t->model = rel_model_ref (self->model);
      t->method = current_method (self);
      g_free (self->analysed_with);
      self->analysed_with = g_strdup (method_title (t->method));
      t->cls = c;
      t->cache_dir = g_strdup (self->cache_dir);
      t->paths = class_paths (self, c);
    }
  else
    {
      t->data = heatmaps_ref (self->an->data);
      t->cls = self->an->data->cls;
    }
  gtk_progress_bar_set_fraction (self->progress, 0);
  gtk_progress_bar_set_text (self->progress, full ? _("Explaining images…") : _("Analysing…"));
  set_busy (self, TRUE);
  self->job = rel_job_run (task_run, t, (GDestroyNotify) task_free, (GDestroyNotify) analysis_free,
                           job_progress, job_done, self);
}

gboolean
rel_strategies_view_run (RelStrategiesView *self)
{
  g_return_val_if_fail (REL_IS_STRATEGIES_VIEW (self), FALSE);
  int c = current_class (self);
  if (c < 0)
    return FALSE;
  g_auto (GStrv) paths = class_paths (self, c);
  int n = (int) g_strv_length (paths);
  if (n < 3)
    {
      g_autofree char *msg = g_strdup_printf (ngettext ("The folder has %d image of %s; the analysis needs at least 3.",
                                                        "The folder has %d images of %s; the analysis needs at least 3.", n),
                                              n, rel_strategies_view_class_name (self, c));
      gtk_label_set_text (self->status, msg);
      return FALSE;
    }
  start_job (self, TRUE);
  return TRUE;
}

void
rel_strategies_view_cancel (RelStrategiesView *self)
{
  if (self->job == NULL)
    return;
  rel_job_cancel (self->job);
  g_clear_pointer (&self->job, rel_job_unref);
  set_busy (self, FALSE);
  gtk_label_set_text (self->status, _("Cancelled."));
}

static void
run_clicked (GtkButton *button, RelStrategiesView *self)
{
  if (self->job)
    rel_strategies_view_cancel (self);
  else
    rel_strategies_view_run (self);
}

/* k only re-clusters the embedding: synchronous, it costs milliseconds. */
static void
k_changed (GtkDropDown *dd, GParamSpec *pspec, RelStrategiesView *self)
{
  if (self->updating)
    return;
  if (self->job && self->job_full)
    {
      self->redo = TRUE;  /* the new heatmaps are analysed with the old k: redo then */
      return;
    }
  if (self->an == NULL)
    return;
  if (self->job)
    {
      start_job (self, FALSE);  /* a re-analysis is running: redo it with this k */
      return;
    }
  RelParams *sp[5];
  stage_params (self, sp);
  Heatmaps *h = self->an->data;
  g_autofree int *truth = g_new (int, h->n);
  for (int i = 0; i < h->n; i++)
    truth[i] = h->cls;
  g_autoptr (GError) error = NULL;
  if (!rel_spray_recluster (self->an->r, self->an->x, h->hm->predicted, h->hm->confidence, truth, sp[3], NULL, &error))
    gtk_label_set_text (self->status, error->message);
  for (int s = 0; s < 5; s++)
    rel_params_free (sp[s]);
  rel_strategies_view_rebuild_results (self);
}

/* Neighbours and pooling change the graph: re-analyse the kept heatmaps. */
static void
graph_changed (GtkSpinButton *spin, RelStrategiesView *self)
{
  if (self->updating)
    return;
  if (self->job && self->job_full)
    {
      self->redo = TRUE;
      return;
    }
  if (self->an == NULL)
    return;
  start_job (self, FALSE);
}

/* ---- opening an image in the explore view ---- */

void
rel_strategies_view_open_image (RelStrategiesView *self, int i)
{
  if (self->an == NULL || i < 0 || i >= self->an->data->n)
    return;
  const char *path = self->an->data->paths[i];
  GListModel *items = rel_image_browser_get_items (self->browser);
  guint n = g_list_model_get_n_items (items);
  for (guint j = 0; j < n; j++)
    {
      g_autoptr (RelImageItem) item = g_list_model_get_item (items, j);
      if (g_strcmp0 (rel_image_item_get_path (item), path) != 0)
        continue;
      if (!rel_image_browser_set_selected_item (self->browser, item))
        {
          /* filtered out: show everything, then select */
          rel_image_browser_set_class_filter (self->browser, -1);
          rel_image_browser_set_correctness_filter (self->browser, REL_CORRECTNESS_ALL);
          rel_image_browser_set_selected_item (self->browser, item);
        }
      break;
    }
  GtkWidget *stack = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_VIEW_STACK);
  if (stack)
    adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (stack), "explore");
}

/* ---- construction ---- */

static GtkWidget *
labelled (const char *text, GtkWidget *w)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *l = gtk_label_new (text);
  gtk_widget_add_css_class (l, "dim-label");
  gtk_box_append (GTK_BOX (box), l);
  gtk_box_append (GTK_BOX (box), w);
  return box;
}

static GtkSpinButton *
spin (const RelParamSpec *spec, double lo, double hi, const char *tip)
{
  GtkWidget *s = gtk_spin_button_new_with_range (lo, hi, 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (s), spec ? spec->def : lo);
  gtk_widget_set_tooltip_text (s, tip);
  gtk_widget_set_valign (s, GTK_ALIGN_CENTER);
  return GTK_SPIN_BUTTON (s);
}

static GtkWidget *
toggle (const char *label, GtkToggleButton *group)
{
  GtkWidget *b = gtk_toggle_button_new_with_label (label);
  if (group)
    gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (b), group);
  return b;
}

static GtkWidget *
linked (GtkWidget *a, GtkWidget *b, GtkWidget *c)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (box, "linked");
  gtk_box_append (GTK_BOX (box), a);
  gtk_box_append (GTK_BOX (box), b);
  if (c)
    gtk_box_append (GTK_BOX (box), c);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  return box;
}

static GtkWidget *
section_title (const char *text)
{
  GtkWidget *l = gtk_label_new (text);
  gtk_widget_add_css_class (l, "heading");
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  return l;
}

/* The class, method, clusters, neighbours and pooling, Run; status and progress below. */
static GtkWidget *
build_toolbar (RelStrategiesView *self)
{
  /* toolbar: the controls scroll sideways in a narrow window; status and progress below */
  GtkWidget *toolbar = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_margin_start (toolbar, 12);
  gtk_widget_set_margin_end (toolbar, 12);
  gtk_widget_set_margin_top (toolbar, 6);
  gtk_widget_set_margin_bottom (toolbar, 6);
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *bar_scroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (bar_scroll), GTK_POLICY_AUTOMATIC, GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (bar_scroll), TRUE);
  gtk_scrolled_window_set_propagate_natural_width (GTK_SCROLLED_WINDOW (bar_scroll), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (bar_scroll), bar);
  GtkWidget *status_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  /* Run stays outside the scrolling part: in a narrow window it would
   * otherwise be the control scrolled out of sight */
  GtkWidget *bar_row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_hexpand (bar_scroll, TRUE);
  gtk_box_append (GTK_BOX (bar_row), bar_scroll);
  self->status_box = status_box;
  gtk_box_append (GTK_BOX (toolbar), bar_row);
  gtk_box_append (GTK_BOX (toolbar), status_box);
  self->class_list = gtk_string_list_new (NULL);
  self->class_dd = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (self->class_list)), NULL));
  gtk_drop_down_set_enable_search (self->class_dd, TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->class_dd), _("The class whose explanations are clustered"));
  gtk_box_append (GTK_BOX (bar), labelled (_("Class"), GTK_WIDGET (self->class_dd)));

  /* No method choice of its own: Explore's method and parameters make the
   * heatmaps, so a thumbnail opens in Explore with the same map. */
  self->method_label = GTK_LABEL (gtk_label_new (method_title (NULL)));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->method_label),
                               _("The heatmaps use the method and parameters chosen in Explore"));
  gtk_box_append (GTK_BOX (bar), labelled (_("Method"), GTK_WIDGET (self->method_label)));

  GtkStringList *ks = gtk_string_list_new (NULL);
  gtk_string_list_append (ks, C_("clusters", "Auto"));
  for (int k = 2; k <= K_MAX; k++)
    {
      g_autofree char *t = g_strdup_printf ("%d", k);
      gtk_string_list_append (ks, t);
    }
  self->k_dd = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (ks), NULL));
  gtk_widget_set_valign (GTK_WIDGET (self->k_dd), GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->k_dd), _("Number of clusters; Auto takes the eigengap's suggestion"));
  gtk_box_append (GTK_BOX (bar), labelled (_("Clusters"), GTK_WIDGET (self->k_dd)));
  self->nb_spin = spin (rel_method_param (rel_spray_stage_affinity (), "neighbors"), 2, 100,
                        _("Neighbours per image in the kNN graph"));
  gtk_box_append (GTK_BOX (bar), labelled (_("Neighbours"), GTK_WIDGET (self->nb_spin)));
  self->pool_spin = spin (rel_method_param (rel_spray_stage_preprocess (), "pool"), 2, 128,
                          _("Side of the sum-pooled heatmap that is clustered"));
  gtk_box_append (GTK_BOX (bar), labelled (_("Pooling"), GTK_WIDGET (self->pool_spin)));
  g_signal_connect (self->k_dd, "notify::selected", G_CALLBACK (k_changed), self);
  g_signal_connect (self->nb_spin, "value-changed", G_CALLBACK (graph_changed), self);
  g_signal_connect (self->pool_spin, "value-changed", G_CALLBACK (graph_changed), self);

  self->run_button = GTK_BUTTON (gtk_button_new_with_label (_("Run")));
  gtk_widget_add_css_class (GTK_WIDGET (self->run_button), "suggested-action");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->run_button), _("Explain every image of the class, then cluster the heatmaps"));
  g_signal_connect (self->run_button, "clicked", G_CALLBACK (run_clicked), self);
  gtk_widget_set_valign (GTK_WIDGET (self->run_button), GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (bar_row), GTK_WIDGET (self->run_button));

  self->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_progress_bar_set_show_text (self->progress, TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self->progress), 280, -1);
  gtk_widget_set_valign (GTK_WIDGET (self->progress), GTK_ALIGN_CENTER);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), FALSE);
  gtk_box_append (GTK_BOX (status_box), GTK_WIDGET (self->progress));
  self->status = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_ellipsize (self->status, PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (self->status, 0);
  g_signal_connect_swapped (self->status, "notify::label", G_CALLBACK (update_status_row), self);
  gtk_widget_set_hexpand (GTK_WIDGET (self->status), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->status), "dim-label");
  gtk_box_append (GTK_BOX (status_box), GTK_WIDGET (self->status));
  return toolbar;
}

/* The embedding's scatter plot and the eigenvalue spectrum. */
static GtkWidget *
build_embedding_column (RelStrategiesView *self)
{
  GtkWidget *left = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  gtk_widget_set_margin_start (left, 12);
  gtk_widget_set_margin_end (left, 12);
  gtk_widget_set_margin_top (left, 12);
  gtk_widget_set_margin_bottom (left, 12);
  gtk_widget_set_size_request (left, 300, -1);

  GtkWidget *shead = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *st = section_title (_("Embedding"));
  gtk_widget_set_hexpand (st, TRUE);
  gtk_box_append (GTK_BOX (shead), st);
  self->tsne_toggle = GTK_TOGGLE_BUTTON (toggle (_("t-SNE"), NULL));
  self->spectral_toggle = GTK_TOGGLE_BUTTON (toggle (_("Spectral"), self->tsne_toggle));
  gtk_toggle_button_set_active (self->tsne_toggle, TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->tsne_toggle), _("Barnes–Hut t-SNE of the spectral embedding"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->spectral_toggle), _("The second and third eigenvectors of the Laplacian"));
  g_signal_connect (self->tsne_toggle, "toggled", G_CALLBACK (rel_strategies_view_view_toggled), self);
  gtk_box_append (GTK_BOX (shead), linked (GTK_WIDGET (self->tsne_toggle), GTK_WIDGET (self->spectral_toggle), NULL));
  gtk_box_append (GTK_BOX (left), shead);

  self->scatter = GTK_DRAWING_AREA (gtk_drawing_area_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->scatter), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self->scatter), 260, 240);
  gtk_drawing_area_set_draw_func (self->scatter, rel_strategies_view_scatter_draw, self, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->scatter), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Embedding scatter plot, coloured by cluster"), -1);
  GtkEventController *motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "motion", G_CALLBACK (rel_strategies_view_scatter_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (rel_strategies_view_scatter_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self->scatter), motion);
  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect (scroll, "scroll", G_CALLBACK (rel_strategies_view_scatter_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self->scatter), scroll);
  GtkGesture *drag = gtk_gesture_drag_new ();
  g_signal_connect (drag, "drag-begin", G_CALLBACK (rel_strategies_view_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (rel_strategies_view_drag_update), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (rel_strategies_view_drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self->scatter), GTK_EVENT_CONTROLLER (drag));
  gtk_box_append (GTK_BOX (left), GTK_WIDGET (self->scatter));
  self->scatter_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->scatter_label), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->scatter_label), "caption");
  gtk_label_set_wrap (self->scatter_label, TRUE);
  gtk_label_set_xalign (self->scatter_label, 0);
  gtk_box_append (GTK_BOX (left), GTK_WIDGET (self->scatter_label));

  GtkWidget *sp_head = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_margin_top (sp_head, 6);
  GtkWidget *spt = section_title (_("Eigenvalue Spectrum"));
  gtk_widget_set_hexpand (spt, TRUE);
  gtk_box_append (GTK_BOX (sp_head), spt);
  self->spectrum_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->spectrum_label), "dim-label");
  gtk_box_append (GTK_BOX (sp_head), GTK_WIDGET (self->spectrum_label));
  gtk_box_append (GTK_BOX (left), sp_head);
  self->spectrum = GTK_DRAWING_AREA (gtk_drawing_area_new ());
  gtk_widget_set_size_request (GTK_WIDGET (self->spectrum), 260, 150);
  gtk_drawing_area_set_draw_func (self->spectrum, rel_strategies_view_spectrum_draw, self, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->spectrum), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Smallest eigenvalues of the graph Laplacian with the eigengap marked"), -1);
  gtk_box_append (GTK_BOX (left), GTK_WIDGET (self->spectrum));
  return left;
}

/* The clusters' thumbnails, with the image / heatmap / overlay toggle. */
static GtkWidget *
build_gallery_column (RelStrategiesView *self)
{
  GtkWidget *right = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *ghead = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_margin_start (ghead, 12);
  gtk_widget_set_margin_end (ghead, 12);
  gtk_widget_set_margin_top (ghead, 12);
  gtk_widget_set_margin_bottom (ghead, 6);
  GtkWidget *gt = section_title (_("Clusters"));
  gtk_widget_set_hexpand (gt, TRUE);
  gtk_box_append (GTK_BOX (ghead), gt);
  self->mode_image = GTK_TOGGLE_BUTTON (toggle (_("Image"), NULL));
  self->mode_heatmap = GTK_TOGGLE_BUTTON (toggle (_("Heatmap"), self->mode_image));
  self->mode_overlay = GTK_TOGGLE_BUTTON (toggle (_("Overlay"), self->mode_image));
  gtk_toggle_button_set_active (self->mode_overlay, TRUE);
  g_signal_connect (self->mode_image, "toggled", G_CALLBACK (rel_strategies_view_mode_toggled), self);
  g_signal_connect (self->mode_heatmap, "toggled", G_CALLBACK (rel_strategies_view_mode_toggled), self);
  g_signal_connect (self->mode_overlay, "toggled", G_CALLBACK (rel_strategies_view_mode_toggled), self);
  gtk_box_append (GTK_BOX (ghead), linked (GTK_WIDGET (self->mode_image), GTK_WIDGET (self->mode_heatmap),
                                           GTK_WIDGET (self->mode_overlay)));
  gtk_box_append (GTK_BOX (right), ghead);
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scrolled, TRUE);
  self->gallery = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 0));
  gtk_widget_set_margin_start (GTK_WIDGET (self->gallery), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->gallery), 12);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->gallery), 12);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->gallery));
  gtk_box_append (GTK_BOX (right), scrolled);
  return right;
}

static void
rel_strategies_view_init (RelStrategiesView *self)
{
  self->zoom = 1, self->cx = self->cy = NAN;
  self->hover = -1;
  self->thumb_buttons = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  self->inspect_buttons = g_ptr_array_new ();

  GtkWidget *root = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  GtkWidget *toolbar = build_toolbar (self);
  gtk_box_append (GTK_BOX (root), toolbar);
  gtk_box_append (GTK_BOX (root), gtk_separator_new (GTK_ORIENTATION_HORIZONTAL));

  /* empty state and results */
  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  self->empty_page = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_icon_name (self->empty_page, "view-dual-symbolic");
  adw_status_page_set_title (self->empty_page, _("Find the Model's Strategies"));
  adw_status_page_set_description (self->empty_page,
    _("Pick a class and press Run: every image of the class in the folder is explained, and the heatmaps are "
      "clustered (spectral relevance analysis). Each cluster is one way the model decides — a cluster whose "
      "heatmaps all light up the same spot is a shortcut worth a look."));
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->empty_page), "empty");

  GtkWidget *paned = gtk_paned_new (GTK_ORIENTATION_HORIZONTAL);
  gtk_paned_set_position (GTK_PANED (paned), 520);
  gtk_paned_set_shrink_start_child (GTK_PANED (paned), FALSE);
  gtk_paned_set_shrink_end_child (GTK_PANED (paned), FALSE);
  GtkWidget *left = build_embedding_column (self);
  gtk_paned_set_start_child (GTK_PANED (paned), left);

  GtkWidget *right = build_gallery_column (self);
  gtk_paned_set_end_child (GTK_PANED (paned), right);
  gtk_stack_add_named (self->stack, paned, "results");
  gtk_stack_set_visible_child_name (self->stack, "empty");
  gtk_box_append (GTK_BOX (root), GTK_WIDGET (self->stack));

  adw_bin_set_child (ADW_BIN (self), root);
  set_busy (self, FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->run_button), FALSE);  /* until a model is set */
  update_status_row (self);
}

static void
rel_strategies_view_dispose (GObject *object)
{
  RelStrategiesView *self = REL_STRATEGIES_VIEW (object);
  if (self->job)
    {
      rel_job_cancel (self->job);
      g_clear_pointer (&self->job, rel_job_unref);
    }
  if (self->an)
    rel_strategies_view_clear_hover_surfaces (self, self->an->data->n);
  g_clear_pointer (&self->an, analysis_free);
  g_clear_pointer (&self->thumb_buttons, g_ptr_array_unref);
  g_clear_pointer (&self->inspect_buttons, g_ptr_array_unref);
  g_clear_object (&self->class_list);
  G_OBJECT_CLASS (rel_strategies_view_parent_class)->dispose (object);
}

static void
rel_strategies_view_finalize (GObject *object)
{
  RelStrategiesView *self = REL_STRATEGIES_VIEW (object);
  if (self->model)
    rel_model_unref (self->model);
  g_free (self->cache_dir);
  g_free (self->error);
  g_free (self->selected);
  rel_params_free (self->method);
  g_free (self->analysed_with);
  G_OBJECT_CLASS (rel_strategies_view_parent_class)->finalize (object);
}

static void
rel_strategies_view_class_init (RelStrategiesViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = rel_strategies_view_dispose;
  object_class->finalize = rel_strategies_view_finalize;

  signals[SIGNAL_INSPECT_CLUSTER] = g_signal_new ("inspect-cluster", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
workspace_model_cb (RelWorkspace *workspace, GParamSpec *pspec, RelStrategiesView *self)
{
  rel_strategies_view_set_model (self, rel_workspace_get_model (workspace));
}

/* one method per window: Strategies explains with the Explore page's */
static void
workspace_params_cb (RelWorkspace *workspace, GParamSpec *pspec, RelStrategiesView *self)
{
  rel_strategies_view_set_method (self, rel_workspace_get_params (workspace));
}

GtkWidget *
rel_strategies_view_new (RelWorkspace *workspace, RelImageBrowser *browser)
{
  RelStrategiesView *self = g_object_new (REL_TYPE_STRATEGIES_VIEW, NULL);
  self->browser = browser;
  if (workspace)
    {
      g_signal_connect_object (workspace, "notify::model", G_CALLBACK (workspace_model_cb), self, 0);
      g_signal_connect_object (workspace, "notify::params", G_CALLBACK (workspace_params_cb), self, 0);
      if (rel_workspace_get_model (workspace))
        rel_strategies_view_set_model (self, rel_workspace_get_model (workspace));
      if (rel_workspace_get_params (workspace))
        rel_strategies_view_set_method (self, rel_workspace_get_params (workspace));
    }
  return GTK_WIDGET (self);
}

/* ---- public API ---- */

static void
forget_analysis (RelStrategiesView *self)
{
  if (self->job)
    rel_strategies_view_cancel (self);
  if (self->an)
    rel_strategies_view_clear_hover_surfaces (self, self->an->data->n);
  g_clear_pointer (&self->an, analysis_free);
  g_clear_pointer (&self->selected, g_free);
  self->n_selected = 0;
  self->marked_k = 0;
  rel_strategies_view_rebuild_gallery (self);
  gtk_stack_set_visible_child_name (self->stack, "empty");
  gtk_label_set_text (self->status, "");
}

void
rel_strategies_view_set_model (RelStrategiesView *self, RelModel *model)
{
  g_return_if_fail (REL_IS_STRATEGIES_VIEW (self));
  forget_analysis (self);
  if (self->model)
    rel_model_unref (self->model);
  self->model = model ? rel_model_ref (model) : NULL;
  guint old = g_list_model_get_n_items (G_LIST_MODEL (self->class_list));
  int n = model && model->labels ? model->n_labels : 0;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < n; i++)
    g_ptr_array_add (names, g_strdup (model->labels[i]));
  if (model && n == 0)
    {
      /* unnamed outputs: numbered classes */
      const RelValue *out = g_ptr_array_index (model->values, model->output);
      int outputs = out->ndim > 0 ? (int) CLAMP (out->shape[out->ndim - 1], 0, 10000) : 0;
      for (int i = 0; i < outputs; i++)
        g_ptr_array_add (names, g_strdup_printf (_("Class %d"), i));
    }
  g_ptr_array_add (names, NULL);
  gtk_string_list_splice (self->class_list, 0, old, (const char *const *) names->pdata);
  /* the class the demo's training planted a shortcut in, else the first */
  const char *planted = model && model->metadata ? g_hash_table_lookup (model->metadata, "clever_hans.class") : NULL;
  if (planted == NULL || !rel_strategies_view_set_class (self, planted))
    gtk_drop_down_set_selected (self->class_dd, names->len > 1 ? 0 : GTK_INVALID_LIST_POSITION);
  gtk_widget_set_sensitive (GTK_WIDGET (self->run_button), model != NULL);
}

void
rel_strategies_view_set_cache_dir (RelStrategiesView *self, const char *dir)
{
  g_free (self->cache_dir);
  self->cache_dir = g_strdup (dir);
}

gboolean
rel_strategies_view_set_class (RelStrategiesView *self, const char *label)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->class_list));
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (self->class_list, i), label) == 0)
      {
        gtk_drop_down_set_selected (self->class_dd, i);
        return TRUE;
      }
  return FALSE;
}

void
rel_strategies_view_set_k (RelStrategiesView *self, int k)
{
  gtk_drop_down_set_selected (self->k_dd, k >= 2 && k <= K_MAX ? (guint) k - 1 : 0);
}

void
rel_strategies_view_set_neighbors (RelStrategiesView *self, int neighbors)
{
  gtk_spin_button_set_value (self->nb_spin, neighbors);
}

void
rel_strategies_view_set_pool (RelStrategiesView *self, int pool)
{
  gtk_spin_button_set_value (self->pool_spin, pool);
}

gboolean
rel_strategies_view_is_busy (RelStrategiesView *self)
{
  return self->job != NULL;
}

const char *
rel_strategies_view_get_error (RelStrategiesView *self)
{
  return self->error;
}

const RelSprayResult *
rel_strategies_view_get_result (RelStrategiesView *self)
{
  return self->an ? self->an->r : NULL;
}

const char *
rel_strategies_view_get_path (RelStrategiesView *self, int index)
{
  if (self->an == NULL || index < 0 || index >= self->an->data->n)
    return NULL;
  return self->an->data->paths[index];
}

int
rel_strategies_view_get_n_explained (RelStrategiesView *self)
{
  return self->n_explained;
}

int
rel_strategies_view_get_n_heatmap_runs (RelStrategiesView *self)
{
  return self->n_heatmap_runs;
}

int
rel_strategies_view_get_marked_k (RelStrategiesView *self)
{
  return self->marked_k;
}

GtkWidget *
rel_strategies_view_get_thumbnail (RelStrategiesView *self, int cluster, int index)
{
  if (cluster < 0 || cluster >= (int) self->thumb_buttons->len)
    return NULL;
  GPtrArray *b = g_ptr_array_index (self->thumb_buttons, cluster);
  return index >= 0 && index < (int) b->len ? g_ptr_array_index (b, index) : NULL;
}

gboolean
rel_strategies_view_hover (RelStrategiesView *self, int index)
{
  g_return_val_if_fail (REL_IS_STRATEGIES_VIEW (self), FALSE);
  if (self->an == NULL || index >= self->an->data->n)
    return FALSE;
  self->hover = MAX (index, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self->scatter));
  return TRUE;
}

void
rel_strategies_view_set_method (RelStrategiesView *self, const RelParams *params)
{
  g_return_if_fail (REL_IS_STRATEGIES_VIEW (self));
  rel_params_free (self->method);
  self->method = params ? rel_params_copy (params) : NULL;
  gtk_label_set_text (self->method_label, method_title (self->method));
  /* the shown clusters stay, saying they came from another method */
  if (self->an && self->job == NULL && g_strcmp0 (self->analysed_with, method_title (self->method)) != 0)
    {
      g_autofree char *msg = g_strdup_printf (_("These clusters come from %s; Run explains the images again with %s."),
                                              self->analysed_with, method_title (self->method));
      gtk_label_set_text (self->status, msg);
      update_status_row (self);
    }
}

const char *
rel_strategies_view_get_method_title (RelStrategiesView *self)
{
  g_return_val_if_fail (REL_IS_STRATEGIES_VIEW (self), NULL);
  return gtk_label_get_text (self->method_label);
}

GtkWidget *
rel_strategies_view_get_inspect_button (RelStrategiesView *self, int cluster)
{
  g_return_val_if_fail (REL_IS_STRATEGIES_VIEW (self), NULL);
  if (cluster < 0 || cluster >= (int) self->inspect_buttons->len)
    return NULL;
  return g_ptr_array_index (self->inspect_buttons, cluster);
}

/* The true class of @item as a model output: its folder's, or −1. */
static int
item_label (RelImageItem *item)
{
  return rel_image_item_get_expected_label (item);
}

gboolean
rel_strategies_view_fill_inspect_page (RelStrategiesView *self, int cluster, RelInspectPage *page)
{
  g_return_val_if_fail (REL_IS_STRATEGIES_VIEW (self), FALSE);
  if (self->an == NULL || self->model == NULL || cluster < 0 || cluster >= self->an->r->n_clusters)
    return FALSE;
  const RelSprayResult *r = self->an->r;
  Heatmaps *h = self->an->data;
  int id = r->clusters[cluster].id;
  g_autoptr (GHashTable) in_cluster = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();
  g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (int));
  for (int i = 0; i < h->n; i++)
    if (r->labels[i] == id)
      {
        g_ptr_array_add (paths, h->paths[i]);
        g_hash_table_add (in_cluster, h->paths[i]);
      }

  /* the reference: the browser's images outside the cluster; with groups
   * (clean/tagged), only the group holding the fewest of the cluster's
   * images, the likeliest to be free of its artifact */
  GListModel *items = rel_image_browser_get_items (self->browser);
  guint n = g_list_model_get_n_items (items);
  const char *const *groups = rel_image_browser_get_group_names (self->browser);
  const char *group = NULL;
  if (groups && groups[0])
    {
      int best = G_MAXINT;
      for (int g = 0; groups[g]; g++)
        {
          int count = 0;
          for (guint i = 0; i < n; i++)
            {
              g_autoptr (RelImageItem) item = g_list_model_get_item (items, i);
              count += g_strcmp0 (rel_image_item_get_group (item), groups[g]) == 0
                       && g_hash_table_contains (in_cluster, rel_image_item_get_path (item));
            }
          if (count < best)
            best = count, group = groups[g];
        }
    }
  g_autoptr (GPtrArray) ref = g_ptr_array_new ();
  g_autoptr (GArray) ref_labels = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RelImageItem) item = g_list_model_get_item (items, i);
      const char *path = rel_image_item_get_path (item);
      int label = item_label (item);
      if (g_hash_table_contains (in_cluster, path) || (group && g_strcmp0 (rel_image_item_get_group (item), group) != 0))
        continue;
      g_ptr_array_add (ref, (gpointer) path);
      g_array_append_val (ref_labels, label);
    }
  /* the cluster's own labels: the browser's, by path */
  for (guint k = 0; k < paths->len; k++)
    {
      int label = -1;
      for (guint i = 0; i < n && label < 0; i++)
        {
          g_autoptr (RelImageItem) item = g_list_model_get_item (items, i);
          if (g_strcmp0 (rel_image_item_get_path (item), g_ptr_array_index (paths, k)) == 0)
            label = item_label (item);
        }
      g_array_append_val (labels, label);
    }
  g_autofree char *title = g_strdup_printf (_("Cluster %d of %s"), cluster + 1, rel_strategies_view_class_name (self, h->cls));
  if (rel_inspect_page_get_model (page) != self->model)
    rel_inspect_page_set_model (page, self->model);
  rel_inspect_page_set_cluster (page, title, h->cls, (const char *const *) paths->pdata, (const int *) labels->data,
                                (int) paths->len);
  rel_inspect_page_set_reference (page, (const char *const *) ref->pdata, (const int *) ref_labels->data, (int) ref->len);
  return TRUE;
}
