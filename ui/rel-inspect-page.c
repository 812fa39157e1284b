/* rel-inspect-page.c — the Inspect page (see rel-inspect-page.h).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-inspect-page.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "rel-colormap.h"
#include "rel-error.h"
#include "rel-image.h"
#include "rel-job.h"
#include "rel-onnx-export.h"

/* Removal and transplant run in chunks of this many images so that their
 * per-image results reach the page while the rest is still computed. */
#define CHUNK 8
/* Per-image rows shown per step; the figures always count every image. */
#define MAX_ROWS 200

typedef enum {
  JOB_NONE,
  JOB_SUGGEST,
  JOB_MASS,
  JOB_REMOVE,
  JOB_TRANSPLANT,
  JOB_CORRECT,
  JOB_EXPORT,
} JobKind;

struct _RelInspectPage
{
  AdwBin           parent_instance;

  /* template */
  GtkStack        *stack;
  GtkLabel        *title_label, *subtitle_label, *image_label, *status_label;
  GtkDrawingArea  *canvas;
  GtkButton       *prev_button, *next_button, *suggest_button, *cancel_button;
  GtkToggleButton *heatmap_toggle;
  GtkEntry        *region_entry;
  GtkMenuButton   *region_menu_button;
  GtkBox          *steps, *status_box;
  GtkProgressBar  *progress;

  /* the steps, built in code */
  GtkButton       *mass_button, *remove_button, *transplant_button, *correct_button;
  GtkButton       *save_model_button, *use_model_button;
  GtkDropDown     *fill_dd, *method_dd, *layer_dd;
  GtkStringList   *layer_list;
  GtkLabel        *region_label, *mass_label, *remove_label, *transplant_label, *correct_label;
  GtkDrawingArea  *mass_chart, *transplant_chart;
  GtkListBox      *remove_list, *transplant_list;
  GtkGrid         *correct_grid;

  RelModel        *model;
  char            *title;
  int              target;
  GPtrArray       *cluster_paths, *ref_paths;   /* char * */
  GArray          *cluster_labels, *ref_labels; /* int */
  RelRegion       *region;                      /* image pixels */

  /* the shown image, as the model sees it (input grid) */
  int              source;
  cairo_surface_t *source_surface;
  int              grid_w, grid_h, image_w, image_h;
  guint8          *grid_mask;                   /* the region on the input grid, or NULL */
  float           *mean_map;                    /* the cluster's mean heatmap (grid), or NULL */
  int              map_w, map_h, suggest_images;

  /* drawing a region */
  gboolean         dragging;
  double           drag_x0, drag_y0, drag_x1, drag_y1;

  RelJob          *job;
  JobKind          job_kind;
  char            *error;
  RelInspectResult *results[3];                 /* by RelInspectMode */
  RelInspectResult *ref_mass;                   /* mass on the class's reference images */
  int              rows[3];
  RelClarcResult  *correction;
  float           *heat_before, *heat_after;     /* the shown image, before and after the correction */
  int              heat_w, heat_h;
  GtkWidget       *heat_box;
  GtkDrawingArea  *heat_areas[2];
  gboolean         export_use;
};

G_DEFINE_FINAL_TYPE (RelInspectPage, rel_inspect_page, ADW_TYPE_BIN)

enum { SIGNAL_USE_MODEL, N_SIGNALS };
static guint signals[N_SIGNALS];

static void update_state (RelInspectPage *self);
static void load_source (RelInspectPage *self);
static int  classes_shown (const RelInspectResult *r);

static const char *
class_label (RelModel *model, int c, char *buf)
{
  const char *l = model && c >= 0 ? rel_model_label (model, c) : NULL;
  if (l)
    return l;
  g_snprintf (buf, 16, "%d", c);
  return buf;
}

static char *
short_name (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *parent = g_path_get_basename (dir);
  g_autofree char *joined = g_build_filename (parent, base, NULL);
  return g_filename_display_name (joined);
}

/* ---- geometry: image pixels ↔ the model's input grid ---- */

/* The box of input pixels x0 ≤ x < x1, y0 ≤ y < y1 in the pixels of an image
 * of the shown size, as relevance-cli inspect --mode suggest maps it. */
static RelRegion *
grid_box_to_region (const RelPreprocess *pp, int image_w, int image_h, int x0, int y0, int x1, int y1, GError **error)
{
  int rw, rh, ox, oy, ow, oh;
  rel_preprocess_geometry (pp, image_w, image_h, &rw, &rh, &ox, &oy, &ow, &oh);
  int ix0 = (int) floor ((double) (x0 + ox) * image_w / rw);
  int iy0 = (int) floor ((double) (y0 + oy) * image_h / rh);
  int ix1 = (int) ceil ((double) (x1 + ox) * image_w / rw);
  int iy1 = (int) ceil ((double) (y1 + oy) * image_h / rh);
  ix0 = CLAMP (ix0, 0, image_w - 1);
  iy0 = CLAMP (iy0, 0, image_h - 1);
  return rel_region_new_rect (ix0, iy0, CLAMP (ix1, ix0 + 1, image_w) - ix0, CLAMP (iy1, iy0 + 1, image_h) - iy0, error);
}

static gboolean
image_size (RelModel *model, const char *path, int *w, int *h)
{
  if (g_str_has_suffix (path, ".npy"))
    {
      int64_t shape[4];
      int nd = 0;
      if (!rel_model_input_shape (model, 1, &nd, shape, NULL) || nd != 4)
        return FALSE;
      *w = (int) shape[3], *h = (int) shape[2];
      return TRUE;
    }
  g_autoptr (RelImage) im = rel_image_load (path, NULL);
  if (im == NULL)
    return FALSE;
  *w = im->width, *h = im->height;
  return TRUE;
}

/* ---- jobs ---- */

typedef struct {
  JobKind         kind;
  RelModel       *model;
  char          **paths;
  int            *labels;
  int             n;
  int             target;
  RelRegion      *region;
  RelFill         fill;
  char           *source_path;
  RelClarcMethod  method;
  char           *layer;
  RelJob         *job;
  int             done, total;
  char          **ref_paths;      /* JOB_MASS: the reference, for the class's own images */
  int            *ref_labels;
  int             n_ref;
  char           *out_path;       /* JOB_EXPORT */
  gboolean        use;            /* JOB_EXPORT: load it into the window afterwards */
} Task;

static void
task_free (Task *t)
{
  g_clear_pointer (&t->model, rel_model_unref);
  g_strfreev (t->paths);
  g_free (t->labels);
  g_clear_pointer (&t->region, rel_region_free);
  g_free (t->source_path);
  g_free (t->layer);
  g_free (t->out_path);
  g_strfreev (t->ref_paths);
  g_free (t->ref_labels);
  g_free (t);
}

typedef struct {
  RelRegion *region;    /* image pixels */
  float     *mean;
  int        h, w, used, source;
} Suggestion;

static void
suggestion_free (Suggestion *s)
{
  g_clear_pointer (&s->region, rel_region_free);
  g_free (s->mean);
  g_free (s);
}

typedef struct {
  RelInspectImage *images;
  int              n;
  int              set;          /* 0: the step's images, 1: mass on the class's reference images */
} Chunk;

static void
chunk_free (Chunk *c)
{
  g_free (c->images);
  g_free (c);
}

static void
on_core_progress (double fraction, gpointer data)
{
  Task *t = data;
  const char *msg = t->kind == JOB_SUGGEST ? _("Explaining the cluster’s images…")
                    : t->kind == JOB_MASS  ? _("Measuring relevance in the region…")
                    : t->kind == JOB_REMOVE ? _("Predicting with the region removed…")
                                            : _("Predicting with the region transplanted…");
  double f = t->total > 0 ? (t->done + fraction * MIN (CHUNK, t->total - t->done)) / t->total : fraction;
  rel_job_progress (t->job, CLAMP (f, 0, 1), msg);
}

static gpointer
suggest_run (RelJob *job, gpointer data, GError **error)
{
  Task *t = data;
  t->job = job;
  RelInspectRequest req = {
    .model = t->model, .paths = (const char *const *) t->paths, .labels = t->labels, .n = t->n,
    .target = t->target, .progress = on_core_progress, .progress_data = t, .cancel = rel_job_cancel_flag (job),
  };
  g_autofree float *mean = NULL;
  int h = 0, w = 0, used = 0, iw, ih;
  g_autoptr (RelRegion) grid = rel_inspect_suggest_map (&req, 0.5, &used, &mean, &h, &w, error);
  if (grid == NULL)
    return NULL;
  if (!image_size (t->model, t->paths[0], &iw, &ih))
    iw = w, ih = h;
  Suggestion *s = g_new0 (Suggestion, 1);
  s->region = grid_box_to_region (&t->model->preprocess, iw, ih, grid->x, grid->y, grid->x + grid->width,
                                  grid->y + grid->height, error);
  if (s->region == NULL)
    {
      suggestion_free (s);
      return NULL;
    }
  s->mean = g_steal_pointer (&mean);
  s->h = h, s->w = w, s->used = used;
  rel_job_progress (job, 1.0, _("Choosing the image that most needs the region…"));
  /* the image whose prediction leans on the region most shows it best */
  s->source = rel_inspect_pick_source (t->model, (const char *const *) t->paths, t->labels, t->n, t->target,
                                       s->region, REL_FILL_INPAINT, rel_job_cancel_flag (job), NULL);
  if (rel_job_is_cancelled (job))
    {
      suggestion_free (s);
      g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
      return NULL;
    }
  return s;
}

static gboolean
takes_part (RelInspectMode mode, int label, int target)
{
  return mode == REL_INSPECT_MASS || (mode == REL_INSPECT_REMOVE && label == target)
         || (mode == REL_INSPECT_TRANSPLANT && label >= 0 && label != target);
}

/* Runs @mode on the images @sel picks from @paths/@labels in chunks, pushing
 * each chunk's per-image results (tagged with @set) as it finishes. */
static gboolean
run_chunks (Task *t, RelInspectMode mode, char **paths_all, const int *labels_all, GArray *sel, int set,
            const RelTensor *source, const guint8 *source_mask, int *delivered, GError **last, GError **error)
{
  for (guint start = 0; start < sel->len; start += CHUNK, t->done += CHUNK)
    {
      int m = MIN (CHUNK, (int) (sel->len - start));
      g_autofree const char **paths = g_new (const char *, m);
      g_autofree int *labels = g_new (int, m);
      g_autoptr (GError) local = NULL;
      for (int k = 0; k < m; k++)
        {
          int i = g_array_index (sel, int, start + k);
          paths[k] = paths_all[i];
          labels[k] = labels_all[i];
        }
      RelInspectRequest req = {
        .model = t->model, .paths = paths, .labels = labels, .n = m, .target = t->target, .region = t->region,
        .mode = mode, .fill = t->fill, .source = source, .source_mask = source_mask,
        .progress = on_core_progress, .progress_data = t, .cancel = rel_job_cancel_flag (t->job),
      };
      g_autoptr (RelInspectResult) r = rel_inspect_run (&req, &local);
      if (r == NULL)
        {
          /* mass: a chunk none of whose images is predicted as the class
           * has nothing to measure; every other failure ends the step */
          if (mode == REL_INSPECT_MASS && g_error_matches (local, REL_ERROR, REL_ERROR_MISSING))
            {
              g_clear_error (last);
              *last = g_steal_pointer (&local);
              continue;
            }
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      Chunk *c = g_new0 (Chunk, 1);
      c->set = set;
      c->n = r->n_images;
      c->images = g_new (RelInspectImage, MAX (c->n, 1));
      for (int k = 0; k < c->n; k++)
        {
          c->images[k] = r->images[k];
          c->images[k].index = g_array_index (sel, int, start + r->images[k].index);
        }
      *delivered += c->n;
      rel_job_push (t->job, c);
    }
  return TRUE;
}

static gpointer
inspect_run (RelJob *job, gpointer data, GError **error)
{
  Task *t = data;
  t->job = job;
  RelInspectMode mode = t->kind == JOB_MASS ? REL_INSPECT_MASS : t->kind == JOB_REMOVE ? REL_INSPECT_REMOVE
                                                                                        : REL_INSPECT_TRANSPLANT;
  g_autoptr (RelTensor) source = NULL;
  g_autofree guint8 *source_mask = NULL;
  g_autoptr (GArray) sel = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GArray) ref_sel = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GError) last = NULL;
  int delivered = 0, ref_delivered = 0;

  for (int i = 0; i < t->n; i++)
    if (takes_part (mode, t->labels[i], t->target))
      g_array_append_val (sel, i);
  if (sel->len == 0)
    {
      char buf[16];
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING,
                   mode == REL_INSPECT_REMOVE ? _("None of the images is of class %s.")
                                              : _("The reference images hold no class other than %s."),
                   class_label (t->model, t->target, buf));
      return NULL;
    }
  /* mass: the class's reference images too, the strategy's contrast */
  for (int i = 0; mode == REL_INSPECT_MASS && i < t->n_ref; i++)
    if (t->ref_labels[i] == t->target)
      g_array_append_val (ref_sel, i);
  if (mode == REL_INSPECT_TRANSPLANT
      && (source = rel_inspect_load (t->model, t->source_path, t->region, &source_mask, error)) == NULL)
    return NULL;
  t->total = (int) (sel->len + ref_sel->len);
  t->done = 0;
  if (!run_chunks (t, mode, t->paths, t->labels, sel, 0, source, source_mask, &delivered, &last, error))
    return NULL;
  if (delivered == 0)
    {
      g_propagate_error (error, g_steal_pointer (&last));
      return NULL;
    }
  g_clear_error (&last);
  if (!run_chunks (t, mode, t->ref_paths, t->ref_labels, ref_sel, 1, NULL, NULL, &ref_delivered, &last, error))
    return NULL;
  return NULL;
}

static void
on_clarc_progress (const char *stage, double fraction, gpointer data)
{
  Task *t = data;
  g_autofree char *msg = NULL;
  if (g_str_equal (stage, "loading"))
    msg = g_strdup (_("Reading the reference images…"));
  else if (g_str_equal (stage, "before"))
    msg = g_strdup (_("Measuring the model before the correction…"));
  else if (g_str_equal (stage, "writing"))
    msg = g_strdup (_("Writing the corrected model…"));
  else if (g_str_equal (stage, "training"))
    msg = g_strdup (_("Fine-tuning on images with the artifact…"));
  else if (g_str_equal (stage, "after"))
    msg = g_strdup (_("Measuring the corrected model…"));
  else
    msg = g_strdup_printf (_("Fitting the direction at layer %s…"), stage);
  rel_job_progress (t->job, CLAMP (fraction, 0, 1), msg);
}

typedef struct {
  RelClarcResult *res;
  float          *before, *after;   /* the shown image's class heatmap, channels summed */
  int             h, w;
} CorrectOut;

static void
correct_out_free (CorrectOut *o)
{
  g_clear_pointer (&o->res, rel_clarc_result_free);
  g_free (o->before);
  g_free (o->after);
  g_free (o);
}

static gpointer
correct_run (RelJob *job, gpointer data, GError **error)
{
  Task *t = data;
  t->job = job;
  g_autofree guint8 *mask = NULL;
  g_autoptr (RelTensor) source = rel_inspect_load (t->model, t->source_path, t->region, &mask, error);
  if (source == NULL)
    return NULL;
  RelClarcRequest req = {
    .model = t->model, .paths = (const char *const *) t->paths, .labels = t->labels, .n = t->n,
    .target = t->target, .region = t->region, .source = source, .source_mask = mask,
    .layer = t->layer, .method = t->method, .kind = REL_CAV_FULL, .holdout = 0.5,
    .progress = on_clarc_progress, .progress_data = t, .cancel = rel_job_cancel_flag (job),
  };
  g_autoptr (RelClarcResult) res = rel_clarc_run (&req, error);
  if (res == NULL)
    return NULL;
  /* the shown image's heatmap of the class before and after: where the
   * corrected model looks instead */
  rel_job_progress (job, 1.0, _("Explaining the shown image with both models…"));
  const RelMethodDef *method = rel_method_lookup (REL_INSPECT_DEFAULT_METHOD);
  g_autoptr (RelParams) params = rel_params_new (method);
  g_autoptr (RelTensor) x = rel_inspect_load (t->model, t->source_path, NULL, NULL, error);
  if (x == NULL)
    return NULL;
  CorrectOut *out = g_new0 (CorrectOut, 1);
  for (int k = 0; k < 2; k++)
    {
      RelExplainRequest er = { 0 };
      er.model = k ? res->corrected : t->model;
      er.input = x;
      er.target.kind = REL_TARGET_CLASS;
      er.target.a = t->target;
      er.params = params;
      er.cancel = rel_job_cancel_flag (job);
      g_autoptr (RelExplanation) e = rel_explain (method, &er, error);
      if (e == NULL)
        {
          correct_out_free (out);
          return NULL;
        }
      int c = (int) e->relevance->shape[1], h = (int) e->relevance->shape[2], w = (int) e->relevance->shape[3];
      float *map = g_new0 (float, (gsize) h * w);
      for (int ch = 0; ch < c; ch++)
        for (gsize p = 0; p < (gsize) h * w; p++)
          map[p] += rel_tensor_f32 (e->relevance)[ch * (gsize) h * w + p];
      if (k)
        out->after = map;
      else
        out->before = map;
      out->h = h, out->w = w;
    }
  out->res = g_steal_pointer (&res);
  return out;
}

static gpointer
export_run (RelJob *job, gpointer data, GError **error)
{
  Task *t = data;
  g_autofree char *dir = g_path_get_dirname (t->out_path);
  rel_job_progress (job, 0, _("Writing the corrected model…"));
  if (t->use && g_mkdir_with_parents (dir, 0700) != 0)
    {
      int e = errno;
      g_set_error (error, REL_ERROR, REL_ERROR_IO, "%s: %s", dir, g_strerror (e));
      return NULL;
    }
  if (!rel_onnx_export (t->model, t->out_path, error))
    return NULL;
  return g_strdup (t->out_path);
}

/* ---- results ---- */

/* The summaries of @r from its images, as rel_inspect_run makes them: the
 * page grows a result chunk by chunk and recomputes them each time. */
static void
summarise (RelInspectResult *r)
{
  double mass = 0, rank = 0, delta = 0;
  int nm = 0, ab = 0, aa = 0, cand = 0, flips = 0;

  for (int i = 0; i < r->n_images; i++)
    {
      const RelInspectImage *im = &r->images[i];
      if (isfinite (im->mass))
        mass += im->mass, rank += im->rank, nm++;
      delta += im->probability_after - im->probability_before;
      ab += im->predicted_before == im->label;
      aa += im->predicted_after == im->label;
      if (im->predicted_before != r->target)
        cand++, flips += im->predicted_after == r->target;
    }
  r->relevance_mass = r->rank_accuracy = r->accuracy_before = r->accuracy_after = NAN;
  r->mean_delta_probability = r->flip_rate = NAN;
  r->flip_candidates = cand;
  if (r->mode == REL_INSPECT_MASS)
    {
      if (nm)
        r->relevance_mass = mass / nm, r->rank_accuracy = rank / nm;
    }
  else if (r->n_images > 0)
    {
      r->mean_delta_probability = delta / r->n_images;
      if (r->mode == REL_INSPECT_REMOVE)
        r->accuracy_before = (double) ab / r->n_images, r->accuracy_after = (double) aa / r->n_images;
      else
        r->flip_rate = cand ? (double) flips / cand : NAN;
    }
  for (int c = 0; c < r->n_classes; c++)
    {
      RelInspectClass *pc = &r->per_class[c];
      double m = 0, k = 0, d = 0;
      int n = 0, nmc = 0, b = 0, a = 0, ca = 0, fl = 0;
      for (int i = 0; i < r->n_images; i++)
        {
          const RelInspectImage *im = &r->images[i];
          if (im->label != c)
            continue;
          n++;
          if (isfinite (im->mass))
            m += im->mass, k += im->rank, nmc++;
          d += im->probability_after - im->probability_before;
          b += im->predicted_before == c;
          a += im->predicted_after == c;
          if (im->predicted_before != r->target)
            ca++, fl += im->predicted_after == r->target;
        }
      pc->images = n;
      pc->mass = nmc ? m / nmc : NAN;
      pc->rank = nmc ? k / nmc : NAN;
      pc->mean_delta_probability = n && r->mode != REL_INSPECT_MASS ? d / n : NAN;
      pc->accuracy_before = n && r->mode != REL_INSPECT_MASS ? (double) b / n : NAN;
      pc->accuracy_after = n && r->mode != REL_INSPECT_MASS ? (double) a / n : NAN;
      pc->flip_candidates = ca;
      pc->flip_rate = r->mode == REL_INSPECT_TRANSPLANT && ca ? (double) fl / ca : NAN;
    }
}

static RelInspectResult *
result_new (RelInspectPage *self, RelInspectMode mode, int capacity)
{
  RelInspectResult *r = g_new0 (RelInspectResult, 1);
  r->mode = mode;
  r->target = self->target;
  r->n_classes = rel_model_num_classes (self->model);
  r->per_class = g_new0 (RelInspectClass, MAX (r->n_classes, 1));
  r->images = g_new0 (RelInspectImage, MAX (capacity, 1));
  r->area_fraction = NAN;
  summarise (r);
  return r;
}

static void
set_status (RelInspectPage *self, const char *text, gboolean is_error)
{
  gtk_label_set_text (self->status_label, text);
  if (is_error)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
}

static void
set_busy (RelInspectPage *self, gboolean busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->progress), busy);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), busy);
  if (busy)
    gtk_progress_bar_set_fraction (self->progress, 0);
  update_state (self);
}

static void
job_progress (RelJob *job, double fraction, const char *message, gpointer user_data)
{
  RelInspectPage *self = user_data;
  gtk_progress_bar_set_fraction (self->progress, fraction);
  if (message)
    set_status (self, message, FALSE);
}

static GtkWidget *
image_row (RelInspectPage *self, RelInspectMode mode, const RelInspectImage *im, const char *path)
{
  char b1[16], b2[16], b3[16];
  const char *target = class_label (self->model, self->target, b3);
  g_autofree char *name = short_name (path);
  gboolean changed = im->predicted_after != im->predicted_before;
  g_autofree char *text = g_strdup_printf ("%s → %s", class_label (self->model, im->predicted_before, b1),
                                           class_label (self->model, im->predicted_after, b2));
  g_autofree char *prob = g_strdup_printf (_("p(%s) %.2f → %.2f"), target, im->probability_before, im->probability_after);
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  gtk_widget_set_margin_start (row, 8);
  gtk_widget_set_margin_end (row, 8);
  gtk_widget_set_margin_top (row, 3);
  gtk_widget_set_margin_bottom (row, 3);
  GtkWidget *l = gtk_label_new (name);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_label_set_ellipsize (GTK_LABEL (l), PANGO_ELLIPSIZE_START);
  gtk_widget_set_hexpand (l, TRUE);
  gtk_box_append (GTK_BOX (row), l);
  GtkWidget *p = gtk_label_new (text);
  if (changed)
    gtk_widget_add_css_class (p, mode == REL_INSPECT_TRANSPLANT ? "error" : "warning");
  gtk_box_append (GTK_BOX (row), p);
  GtkWidget *q = gtk_label_new (prob);
  gtk_widget_add_css_class (q, "numeric");
  gtk_widget_add_css_class (q, "dim-label");
  gtk_box_append (GTK_BOX (row), q);
  return row;
}

static void
job_items (RelJob *job, GPtrArray *items, gpointer user_data)
{
  RelInspectPage *self = user_data;
  RelInspectMode mode = self->job_kind == JOB_MASS ? REL_INSPECT_MASS
                        : self->job_kind == JOB_REMOVE ? REL_INSPECT_REMOVE : REL_INSPECT_TRANSPLANT;
  RelInspectResult *r = self->results[mode];
  GPtrArray *paths = mode == REL_INSPECT_TRANSPLANT ? self->ref_paths : self->cluster_paths;
  GtkListBox *list = mode == REL_INSPECT_REMOVE ? self->remove_list : mode == REL_INSPECT_TRANSPLANT ? self->transplant_list : NULL;

  for (guint k = 0; k < items->len; k++)
    {
      Chunk *c = g_ptr_array_index (items, k);
      if (c->set == 1)
        {
          for (int i = 0; self->ref_mass && i < c->n; i++)
            self->ref_mass->images[self->ref_mass->n_images++] = c->images[i];
          continue;
        }
      for (int i = 0; i < c->n; i++)
        {
          r->images[r->n_images++] = c->images[i];
          /* transplant: the flips first catch the eye, so only they get rows */
          gboolean show = mode == REL_INSPECT_REMOVE
                          || (mode == REL_INSPECT_TRANSPLANT && c->images[i].predicted_after != c->images[i].predicted_before);
          if (list && show && self->rows[mode] < MAX_ROWS)
            {
              gtk_list_box_append (list, image_row (self, mode, &c->images[i],
                                                    g_ptr_array_index (paths, c->images[i].index)));
              self->rows[mode]++;
            }
        }
    }
  summarise (r);
  if (self->ref_mass)
    summarise (self->ref_mass);
  update_state (self);
}

static void
job_done (RelJob *job, gpointer result, const GError *error, gpointer user_data)
{
  RelInspectPage *self = user_data;
  JobKind kind = self->job_kind;
  g_clear_pointer (&self->job, rel_job_unref);
  self->job_kind = JOB_NONE;
  g_clear_pointer (&self->error, g_free);
  if (error)
    {
      self->error = g_strdup (error->message);
      set_status (self, error->message, TRUE);
    }
  else if (kind == JOB_SUGGEST)
    {
      Suggestion *s = result;
      g_free (self->mean_map);
      self->mean_map = g_steal_pointer (&s->mean);
      self->map_w = s->w, self->map_h = s->h;
      self->suggest_images = s->used;
      if (s->source >= 0)
        self->source = s->source;
      load_source (self);
      rel_inspect_page_set_region (self, s->region);
      g_autofree char *msg = g_strdup_printf (ngettext ("Suggested from the mean heatmap of %d image: it holds half of its positive relevance.",
                                                        "Suggested from the mean heatmap of %d images: it holds half of its positive relevance.",
                                                        s->used), s->used);
      set_status (self, msg, FALSE);
      suggestion_free (s);
    }
  else if (kind == JOB_EXPORT)
    {
      g_autofree char *path = result;
      gboolean use = self->export_use;
      g_autofree char *msg = g_strdup_printf (use ? _("Wrote the corrected model to %s; loading it.")
                                                  : _("Saved the corrected model to %s."), path);
      set_status (self, msg, FALSE);
      set_busy (self, FALSE);
      if (use)
        g_signal_emit (self, signals[SIGNAL_USE_MODEL], 0, path);
      return;
    }
  else if (kind == JOB_CORRECT)
    {
      CorrectOut *o = result;
      g_clear_pointer (&self->correction, rel_clarc_result_free);
      self->correction = g_steal_pointer (&o->res);
      g_free (self->heat_before);
      g_free (self->heat_after);
      self->heat_before = g_steal_pointer (&o->before);
      self->heat_after = g_steal_pointer (&o->after);
      self->heat_w = o->w, self->heat_h = o->h;
      correct_out_free (o);
      set_status (self, _("Corrected. Save the model or use it in the window."), FALSE);
    }
  else
    set_status (self, _("Done."), FALSE);
  set_busy (self, FALSE);
}

static Task *
task_new (RelInspectPage *self, JobKind kind, gboolean reference)
{
  GPtrArray *paths = reference ? self->ref_paths : self->cluster_paths;
  GArray *labels = reference ? self->ref_labels : self->cluster_labels;
  Task *t = g_new0 (Task, 1);
  t->kind = kind;
  t->model = rel_model_ref (self->model);
  t->n = (int) paths->len;
  t->paths = g_new0 (char *, t->n + 1);
  for (int i = 0; i < t->n; i++)
    t->paths[i] = g_strdup (g_ptr_array_index (paths, i));
  t->labels = g_memdup2 (labels->data, sizeof (int) * MAX (t->n, 1));
  t->target = self->target;
  t->region = self->region ? rel_region_copy (self->region) : NULL;
  if (self->source >= 0 && self->source < (int) self->cluster_paths->len)
    t->source_path = g_strdup (g_ptr_array_index (self->cluster_paths, self->source));
  return t;
}

static gboolean
can_start (RelInspectPage *self, gboolean need_region, gboolean need_reference)
{
  const char *why = NULL;
  if (self->model == NULL || self->cluster_paths->len == 0)
    why = _("Choose a cluster to inspect first (Strategies page).");
  else if (need_region && self->region == NULL)
    why = _("Mark a region on the image first, or let the cluster suggest one.");
  else if (need_reference && self->ref_paths->len == 0)
    why = _("There are no reference images of other classes to paste the region into.");
  if (why)
    {
      set_status (self, why, TRUE);
      return FALSE;
    }
  rel_inspect_page_cancel (self);
  return TRUE;
}

static void
start (RelInspectPage *self, JobKind kind, Task *t, RelJobFunc func, GDestroyNotify result_free)
{
  self->job_kind = kind;
  t->kind = kind;
  self->job = rel_job_new (func, t, (GDestroyNotify) task_free);
  rel_job_set_progress_func (self->job, job_progress);
  rel_job_set_items_func (self->job, job_items, (GDestroyNotify) chunk_free);
  rel_job_set_done_func (self->job, job_done, result_free);
  rel_job_start (self->job, self);
  set_busy (self, TRUE);
}

gboolean
rel_inspect_page_suggest (RelInspectPage *self)
{
  g_return_val_if_fail (REL_IS_INSPECT_PAGE (self), FALSE);
  if (!can_start (self, FALSE, FALSE))
    return FALSE;
  start (self, JOB_SUGGEST, task_new (self, JOB_SUGGEST, FALSE), suggest_run, (GDestroyNotify) suggestion_free);
  return TRUE;
}

gboolean
rel_inspect_page_run (RelInspectPage *self, RelInspectMode mode)
{
  g_return_val_if_fail (REL_IS_INSPECT_PAGE (self), FALSE);
  gboolean transplant = mode == REL_INSPECT_TRANSPLANT;
  if (!can_start (self, TRUE, transplant))
    return FALSE;
  if (transplant && (self->source < 0 || self->source >= (int) self->cluster_paths->len))
    {
      set_status (self, _("Choose the image whose region is transplanted."), TRUE);
      return FALSE;
    }
  JobKind kind = mode == REL_INSPECT_MASS ? JOB_MASS : mode == REL_INSPECT_REMOVE ? JOB_REMOVE : JOB_TRANSPLANT;
  Task *t = task_new (self, kind, transplant);
  t->fill = (RelFill) gtk_drop_down_get_selected (self->fill_dd);
  g_clear_pointer (&self->results[mode], rel_inspect_result_free);
  self->results[mode] = result_new (self, mode, t->n);
  if (mode == REL_INSPECT_MASS)
    {
      t->n_ref = (int) self->ref_paths->len;
      t->ref_paths = g_new0 (char *, t->n_ref + 1);
      for (int i = 0; i < t->n_ref; i++)
        t->ref_paths[i] = g_strdup (g_ptr_array_index (self->ref_paths, i));
      t->ref_labels = g_memdup2 (self->ref_labels->data, sizeof (int) * MAX (t->n_ref, 1));
      g_clear_pointer (&self->ref_mass, rel_inspect_result_free);
      self->ref_mass = result_new (self, mode, t->n_ref);
    }
  self->rows[mode] = 0;
  GtkListBox *list = mode == REL_INSPECT_REMOVE ? self->remove_list : mode == REL_INSPECT_TRANSPLANT ? self->transplant_list : NULL;
  if (list)
    {
      GtkWidget *child;
      while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))))
        gtk_list_box_remove (list, child);
    }
  start (self, kind, t, inspect_run, NULL);
  return TRUE;
}

gboolean
rel_inspect_page_correct (RelInspectPage *self)
{
  g_return_val_if_fail (REL_IS_INSPECT_PAGE (self), FALSE);
  if (!can_start (self, TRUE, TRUE))
    return FALSE;
  Task *t = task_new (self, JOB_CORRECT, TRUE);
  t->method = gtk_drop_down_get_selected (self->method_dd) == 1 ? REL_CLARC_A : REL_CLARC_P;
  guint li = gtk_drop_down_get_selected (self->layer_dd);
  t->layer = li == 0 || li == GTK_INVALID_LIST_POSITION ? NULL
                                                         : g_strdup (gtk_string_list_get_string (self->layer_list, li));
  g_clear_pointer (&self->correction, rel_clarc_result_free);
  start (self, JOB_CORRECT, t, correct_run, (GDestroyNotify) correct_out_free);
  return TRUE;
}

void
rel_inspect_page_cancel (RelInspectPage *self)
{
  g_return_if_fail (REL_IS_INSPECT_PAGE (self));
  if (self->job == NULL)
    return;
  rel_job_cancel (self->job);
  g_clear_pointer (&self->job, rel_job_unref);
  self->job_kind = JOB_NONE;
  set_status (self, _("Cancelled."), FALSE);
  set_busy (self, FALSE);
}

gboolean
rel_inspect_page_is_busy (RelInspectPage *self)
{
  return self->job != NULL;
}

const char *
rel_inspect_page_get_error (RelInspectPage *self)
{
  return self->error;
}

const char *
rel_inspect_page_get_status (RelInspectPage *self)
{
  return gtk_label_get_text (self->status_label);
}

const RelInspectResult *
rel_inspect_page_get_result (RelInspectPage *self, RelInspectMode mode)
{
  g_return_val_if_fail (mode <= REL_INSPECT_TRANSPLANT, NULL);
  return self->results[mode];
}

const RelInspectResult *
rel_inspect_page_get_reference_mass (RelInspectPage *self)
{
  return self->ref_mass;
}

int
rel_inspect_page_get_suggest_images (RelInspectPage *self)
{
  return self->suggest_images;
}

const RelClarcResult *
rel_inspect_page_get_correction (RelInspectPage *self)
{
  return self->correction;
}

gboolean
rel_inspect_page_get_heatmaps (RelInspectPage *self, const float **before, const float **after, int *width,
                               int *height)
{
  if (self->heat_before == NULL || self->heat_after == NULL)
    return FALSE;
  *before = self->heat_before;
  *after = self->heat_after;
  *width = self->heat_w;
  *height = self->heat_h;
  return TRUE;
}

/* ---- the figures on screen ---- */

static char *
fmt (double v, const char *format)
{
  return isfinite (v) ? g_strdup_printf (format, v) : g_strdup ("—");
}

static void
update_correction_grid (RelInspectPage *self)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->correct_grid))))
    gtk_grid_remove (self->correct_grid, child);
  const RelClarcResult *c = self->correction;
  gtk_widget_set_visible (GTK_WIDGET (self->correct_grid), c != NULL);
  if (c == NULL)
    return;
  const char *heads[] = { "", _("before"), _("after") };
  for (int j = 0; j < 3; j++)
    {
      GtkWidget *h = gtk_label_new (heads[j]);
      gtk_widget_add_css_class (h, "dim-label");
      gtk_widget_add_css_class (h, "caption-heading");
      gtk_label_set_xalign (GTK_LABEL (h), j ? 1 : 0);
      gtk_grid_attach (self->correct_grid, h, j, 0, 1, 1);
    }
  struct { const char *name; double b, a; const char *f; } rows[] = {
    { _("Clean accuracy"), c->before.clean_accuracy, c->after.clean_accuracy, "%.3f" },
    { _("Transplant flip rate"), c->before.flip_rate, c->after.flip_rate, "%.3f" },
    { _("Relevance mass in the region"), c->before.relevance_mass, c->after.relevance_mass, "%.3f" },
  };
  for (int i = 0; i < (int) G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *b = fmt (rows[i].b, rows[i].f);
      g_autofree char *a = fmt (rows[i].a, rows[i].f);
      GtkWidget *n = gtk_label_new (rows[i].name);
      gtk_label_set_xalign (GTK_LABEL (n), 0);
      gtk_widget_set_hexpand (n, TRUE);
      GtkWidget *lb = gtk_label_new (b), *la = gtk_label_new (a);
      gtk_widget_add_css_class (lb, "numeric");
      gtk_widget_add_css_class (la, "numeric");
      gtk_widget_add_css_class (la, "heading");
      gtk_label_set_xalign (GTK_LABEL (lb), 1);
      gtk_label_set_xalign (GTK_LABEL (la), 1);
      gtk_grid_attach (self->correct_grid, n, 0, i + 1, 1, 1);
      gtk_grid_attach (self->correct_grid, lb, 1, i + 1, 1, 1);
      gtk_grid_attach (self->correct_grid, la, 2, i + 1, 1, 1);
    }
}

static void
update_state (RelInspectPage *self)
{
  gboolean busy = self->job != NULL;
  gboolean ready = self->model && self->cluster_paths->len > 0;
  gboolean region = ready && self->region;
  gboolean ref = self->ref_paths->len > 0;
  char buf[16];
  const char *cls = class_label (self->model, self->target, buf);

  gtk_stack_set_visible_child_name (self->stack, ready ? "inspect" : "empty");
  gtk_widget_set_sensitive (GTK_WIDGET (self->suggest_button), ready && !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->mass_button), region && !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->remove_button), region && !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->transplant_button), region && ref && !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->correct_button), region && ref && !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->prev_button), ready && self->source > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->next_button), ready && self->source + 1 < (int) self->cluster_paths->len);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_model_button), self->correction && !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->use_model_button), self->correction && !busy);

  if (!ready)
    return;
  {
    g_autofree char *sub = g_strdup_printf (ngettext ("%d image; %d reference images for transplant and correction",
                                                      "%d images; %d reference images for transplant and correction",
                                                      (int) self->cluster_paths->len),
                                            (int) self->cluster_paths->len, (int) self->ref_paths->len);
    gtk_label_set_text (self->title_label, self->title ? self->title : cls);
    gtk_label_set_text (self->subtitle_label, sub);
  }
  if (self->source >= 0 && self->source < (int) self->cluster_paths->len)
    {
      g_autofree char *name = short_name (g_ptr_array_index (self->cluster_paths, self->source));
      g_autofree char *text = g_strdup_printf ("%d / %d  %s", self->source + 1, (int) self->cluster_paths->len, name);
      gtk_label_set_text (self->image_label, text);
    }
  if (self->region)
    {
      int n = 0;
      for (int k = 0; self->grid_mask && k < self->grid_w * self->grid_h; k++)
        n += self->grid_mask[k];
      g_autofree char *d = rel_region_describe (self->region);
      g_autofree char *t = self->grid_mask
        ? g_strdup_printf (_("Region %s: %d of the model’s %d×%d input pixels (%.1f %%)"), d, n, self->grid_w,
                           self->grid_h, 100.0 * n / MAX (1, self->grid_w * self->grid_h))
        : g_strdup_printf (_("Region %s"), d);
      gtk_label_set_text (self->region_label, t);
    }
  else
    gtk_label_set_text (self->region_label, _("No region yet: drag on the image, type x, y, width, height, or press Suggest."));

  const RelInspectResult *m = self->results[REL_INSPECT_MASS];
  if (m && m->n_images > 0)
    {
      g_autofree char *v = fmt (m->relevance_mass, "%.3f"), *k = fmt (m->rank_accuracy, "%.3f");
      g_autofree char *t = g_strdup_printf (_("Relevance mass <b>%s</b> · rank accuracy %s over %d images predicted %s"),
                                            v, k, m->n_images, cls);
      const RelInspectResult *rm = self->ref_mass;
      int nm = 0;
      for (int i = 0; rm && i < rm->n_images; i++)
        nm += isfinite (rm->images[i].mass);
      if (nm > 0)
        {
          g_autofree char *rv = fmt (rm->relevance_mass, "%.3f");
          g_autofree char *more = g_strdup_printf (ngettext ("; %s on %d reference image of %s outside the cluster",
                                                             "; %s on %d reference images of %s outside the cluster", nm),
                                                   rv, nm, cls);
          g_autofree char *both = g_strconcat (t, more, NULL);
          gtk_label_set_markup (self->mass_label, both);
        }
      else
        gtk_label_set_markup (self->mass_label, t);
    }
  else
    gtk_label_set_text (self->mass_label, _("The share of the class’s positive relevance inside the region, "
                                            "on the cluster’s images predicted as it (LRP ε-plus-flat)."));
  const RelInspectResult *r = self->results[REL_INSPECT_REMOVE];
  if (r && r->n_images > 0)
    {
      g_autofree char *ab = fmt (100 * r->accuracy_before, "%.0f %%"), *aa = fmt (100 * r->accuracy_after, "%.0f %%");
      g_autofree char *dp = fmt (r->mean_delta_probability, "%+.3f");
      g_autofree char *t = g_strdup_printf (_("Accuracy <b>%s → %s</b> · mean Δp(%s) %s · %d images"), ab, aa, cls, dp,
                                            r->n_images);
      gtk_label_set_markup (self->remove_label, t);
    }
  else
    gtk_label_set_text (self->remove_label, _("The region filled in every image of the cluster’s class: does the prediction survive?"));
  const RelInspectResult *tr = self->results[REL_INSPECT_TRANSPLANT];
  if (tr && tr->n_images > 0)
    {
      g_autofree char *fr = fmt (100 * tr->flip_rate, "%.1f %%"), *dp = fmt (tr->mean_delta_probability, "%+.3f");
      g_autofree char *t = g_strdup_printf (_("Flip rate to %s <b>%s</b> (%d candidates) · mean Δp %s · %d images"),
                                            cls, fr, tr->flip_candidates, dp, tr->n_images);
      gtk_label_set_markup (self->transplant_label, t);
    }
  else
    gtk_label_set_text (self->transplant_label, _("The shown image’s region pasted into the reference images of every other class: "
                                                  "how many now become the class?"));
  if (self->correction)
    {
      const RelClarcResult *c = self->correction;
      g_autofree char *acc = fmt (c->cav_accuracy, "%.2f"), *auc = fmt (c->cav_auc, "%.2f");
      g_autofree char *t = g_strdup_printf (_("%s at <b>%s</b>; the direction separates held-out images with accuracy %s, AUC %s. "
                                              "Fitted on %d clean images, measured on %d others."),
                                            c->method == REL_CLARC_P ? "P-ClArC" : "A-ClArC", c->layer, acc, auc,
                                            c->n_fit, c->n_holdout);
      gtk_label_set_markup (self->correct_label, t);
    }
  else
    gtk_label_set_text (self->correct_label, _("Fit the artifact’s direction in a layer and project it out (P-ClArC) "
                                               "or fine-tune the head on images carrying it (A-ClArC)."));
  update_correction_grid (self);
  gtk_widget_set_visible (self->heat_box, self->correction && self->heat_before && self->heat_after);
  gtk_widget_queue_draw (GTK_WIDGET (self->heat_areas[0]));
  gtk_widget_queue_draw (GTK_WIDGET (self->heat_areas[1]));
  gtk_drawing_area_set_content_height (self->mass_chart, 20 * MAX (1, classes_shown (m)));
  gtk_drawing_area_set_content_height (self->transplant_chart, 20 * MAX (1, classes_shown (tr)));
  gtk_widget_queue_draw (GTK_WIDGET (self->mass_chart));
  gtk_widget_queue_draw (GTK_WIDGET (self->transplant_chart));
  gtk_widget_set_visible (GTK_WIDGET (self->mass_chart), m && m->n_images > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->transplant_chart), tr && tr->n_images > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->remove_list), self->rows[REL_INSPECT_REMOVE] > 0);
  gtk_widget_set_visible (gtk_widget_get_parent (gtk_widget_get_parent (GTK_WIDGET (self->remove_list))),
                          self->rows[REL_INSPECT_REMOVE] > 0);
  gtk_widget_set_visible (gtk_widget_get_parent (gtk_widget_get_parent (GTK_WIDGET (self->transplant_list))),
                          self->rows[REL_INSPECT_TRANSPLANT] > 0);
}

/* A bar per true class: mass (mass chart) or flip rate (transplant chart). */
static void
draw_chart (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  RelInspectPage *self = g_object_get_data (G_OBJECT (area), "page");
  RelInspectMode mode = GPOINTER_TO_INT (data);
  const RelInspectResult *r = self->results[mode];
  if (r == NULL || self->model == NULL)
    return;
  GtkWidget *w = GTK_WIDGET (area);
  GdkRGBA fg;
  gtk_style_context_get_color (gtk_widget_get_style_context (w), &fg);
  PangoLayout *layout = gtk_widget_create_pango_layout (w, NULL);
  int label_w = 110, row = 20, y = 0;
  for (int c = 0; c < r->n_classes; c++)
    {
      const RelInspectClass *pc = &r->per_class[c];
      double v = mode == REL_INSPECT_MASS ? pc->mass : pc->flip_rate;
      char buf[16];
      if (pc->images == 0)
        continue;
      pango_layout_set_text (layout, class_label (self->model, c, buf), -1);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.8);
      cairo_move_to (cr, 0, y + 2);
      pango_cairo_show_layout (cr, layout);
      double bw = width - label_w - 60;
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.1);
      cairo_rectangle (cr, label_w, y + 4, bw, row - 8);
      cairo_fill (cr);
      if (isfinite (v))
        {
          if (mode == REL_INSPECT_TRANSPLANT)
            cairo_set_source_rgb (cr, 0.88, 0.11, 0.14);
          else
            cairo_set_source_rgb (cr, 0.21, 0.52, 0.89);
          cairo_rectangle (cr, label_w, y + 4, bw * CLAMP (v, 0, 1), row - 8);
          cairo_fill (cr);
        }
      g_autofree char *num = fmt (v, "%.2f");
      pango_layout_set_text (layout, num, -1);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.8);
      cairo_move_to (cr, label_w + bw + 8, y + 2);
      pango_cairo_show_layout (cr, layout);
      y += row;
    }
  g_object_unref (layout);
}

static int
classes_shown (const RelInspectResult *r)
{
  int n = 0;
  for (int c = 0; r && c < r->n_classes; c++)
    n += r->per_class[c].images > 0;
  return n;
}

/* ---- the canvas ---- */

static gboolean
canvas_geometry (RelInspectPage *self, double *scale, double *ox, double *oy)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self->canvas)), h = gtk_widget_get_height (GTK_WIDGET (self->canvas));
  if (self->grid_w <= 0 || self->grid_h <= 0 || w <= 0 || h <= 0)
    return FALSE;
  *scale = MIN ((double) w / self->grid_w, (double) h / self->grid_h);
  *ox = (w - *scale * self->grid_w) / 2;
  *oy = (h - *scale * self->grid_h) / 2;
  return TRUE;
}

/* @map (w × h) over the image: positive relevance red, negative blue,
 * scaled by the largest |value| of @map and @other (so two maps compare). */
static void
paint_map (cairo_t *cr, const float *map, const float *other, int w, int h)
{
  double mx = 0;
  for (int k = 0; k < w * h; k++)
    mx = MAX (mx, MAX (fabs (map[k]), other ? fabs (other[k]) : 0));
  for (int y = 0; mx > 0 && y < h; y++)
    for (int x = 0; x < w; x++)
      {
        double v = map[y * w + x] / mx;
        if (fabs (v) < 0.02)
          continue;
        if (v > 0)
          cairo_set_source_rgba (cr, 0.9, 0.1, 0.1, 0.75 * v);
        else
          cairo_set_source_rgba (cr, 0.1, 0.3, 0.95, -0.75 * v);
        cairo_rectangle (cr, x, y, 1, 1);
        cairo_fill (cr);
      }
}

/* The pixels of @mask (w × h) tinted and outlined; @s is the drawing scale. */
static void
paint_outline (cairo_t *cr, const guint8 *mask, int w, int h, double s)
{
  cairo_set_source_rgba (cr, 1, 0.85, 0.1, 0.18);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (mask[y * w + x])
        cairo_rectangle (cr, x, y, 1, 1);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 1, 0.85, 0.1);
  cairo_set_line_width (cr, 2.0 / s);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        if (!mask[y * w + x])
          continue;
        if (x == 0 || !mask[y * w + x - 1])
          cairo_move_to (cr, x, y), cairo_line_to (cr, x, y + 1);
        if (x == w - 1 || !mask[y * w + x + 1])
          cairo_move_to (cr, x + 1, y), cairo_line_to (cr, x + 1, y + 1);
        if (y == 0 || !mask[(y - 1) * w + x])
          cairo_move_to (cr, x, y), cairo_line_to (cr, x + 1, y);
        if (y == h - 1 || !mask[(y + 1) * w + x])
          cairo_move_to (cr, x, y + 1), cairo_line_to (cr, x + 1, y + 1);
      }
  cairo_stroke (cr);
}

/* The shown image's class heatmap before (data 0) or after (1) the correction. */
static void
draw_heat (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  RelInspectPage *self = g_object_get_data (G_OBJECT (area), "page");
  gboolean after = GPOINTER_TO_INT (data);
  const float *map = after ? self->heat_after : self->heat_before;
  const float *other = after ? self->heat_before : self->heat_after;
  if (map == NULL || self->source_surface == NULL || self->heat_w != self->grid_w || self->heat_h != self->grid_h)
    return;
  double s = MIN ((double) width / self->grid_w, (double) height / self->grid_h);
  cairo_translate (cr, (width - s * self->grid_w) / 2, (height - s * self->grid_h) / 2);
  cairo_scale (cr, s, s);
  /* the image dimmed on black, so the relevance stands out */
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_rectangle (cr, 0, 0, self->grid_w, self->grid_h);
  cairo_fill (cr);
  cairo_set_source_surface (cr, self->source_surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint_with_alpha (cr, 0.5);
  paint_map (cr, map, other, self->heat_w, self->heat_h);
  if (self->grid_mask)
    paint_outline (cr, self->grid_mask, self->grid_w, self->grid_h, s);
}

static void
draw_canvas (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  RelInspectPage *self = data;
  double s, ox, oy;
  if (self->source_surface == NULL || !canvas_geometry (self, &s, &ox, &oy))
    return;
  cairo_save (cr);
  cairo_translate (cr, ox, oy);
  cairo_scale (cr, s, s);
  /* the image, pixels as squares: the model's 28×28 input must not blur */
  cairo_set_source_surface (cr, self->source_surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  /* the cluster's mean heatmap: positive relevance in red, negative in blue */
  if (self->mean_map && gtk_toggle_button_get_active (self->heatmap_toggle) && self->map_w == self->grid_w
      && self->map_h == self->grid_h)
    paint_map (cr, self->mean_map, NULL, self->map_w, self->map_h);
  /* the region as the model sees it: its input pixels outlined */
  if (self->grid_mask)
    paint_outline (cr, self->grid_mask, self->grid_w, self->grid_h, s);
  cairo_restore (cr);
  if (self->dragging)
    {
      double x0 = MIN (self->drag_x0, self->drag_x1), y0 = MIN (self->drag_y0, self->drag_y1);
      cairo_set_source_rgba (cr, 1, 1, 1, 0.9);
      cairo_set_line_width (cr, 1.5);
      double dash[] = { 4, 3 };
      cairo_set_dash (cr, dash, 2, 0);
      cairo_rectangle (cr, x0, y0, fabs (self->drag_x1 - self->drag_x0), fabs (self->drag_y1 - self->drag_y0));
      cairo_stroke (cr);
    }
}

static void
update_grid_mask (RelInspectPage *self)
{
  g_clear_pointer (&self->grid_mask, g_free);
  if (self->region && self->model && self->image_w > 0)
    {
      int n = 0;
      g_autoptr (GError) error = NULL;
      self->grid_mask = rel_region_input_mask (self->region, self->image_w, self->image_h, &self->model->preprocess,
                                               &n, &error);
      if (self->grid_mask == NULL)
        set_status (self, error->message, TRUE);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self->canvas));
}

static void
read_source (RelInspectPage *self)
{
  if (self->model == NULL || self->source < 0 || self->source >= (int) self->cluster_paths->len)
    return;
  const char *path = g_ptr_array_index (self->cluster_paths, self->source);
  g_autoptr (GError) error = NULL;
  g_autoptr (RelTensor) input = rel_input_load (self->model, path, &error);
  int w = 0, h = 0;
  g_autofree guint8 *rgb = input ? rel_input_to_rgb8 (input, &self->model->preprocess, &w, &h, &error) : NULL;
  if (rgb == NULL)
    {
      set_status (self, error->message, TRUE);
      return;
    }
  self->source_surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  guint8 *dst = cairo_image_surface_get_data (self->source_surface);
  int stride = cairo_image_surface_get_stride (self->source_surface);
  cairo_surface_flush (self->source_surface);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        const guint8 *p = rgb + 3 * ((gsize) y * w + x);
        *(guint32 *) (dst + (gsize) y * stride + 4 * x) = 0xff000000u | (guint32) p[0] << 16 | (guint32) p[1] << 8 | p[2];
      }
  cairo_surface_mark_dirty (self->source_surface);
  self->grid_w = w, self->grid_h = h;
  if (!image_size (self->model, path, &self->image_w, &self->image_h))
    self->image_w = w, self->image_h = h;
}

/* Shows cluster image self->source as the model sees it. One image, read on
 * the main thread: small next to the explanations the steps run. */
static void
load_source (RelInspectPage *self)
{
  g_clear_pointer (&self->source_surface, cairo_surface_destroy);
  self->grid_w = self->grid_h = self->image_w = self->image_h = 0;
  read_source (self);
  update_grid_mask (self);
  update_state (self);
}

static void
drag_begin (GtkGestureDrag *g, double x, double y, RelInspectPage *self)
{
  if (self->source_surface == NULL)
    return;
  self->dragging = TRUE;
  self->drag_x0 = self->drag_x1 = x;
  self->drag_y0 = self->drag_y1 = y;
}

static void
drag_update (GtkGestureDrag *g, double dx, double dy, RelInspectPage *self)
{
  if (!self->dragging)
    return;
  self->drag_x1 = self->drag_x0 + dx;
  self->drag_y1 = self->drag_y0 + dy;
  gtk_widget_queue_draw (GTK_WIDGET (self->canvas));
}

static void
drag_end (GtkGestureDrag *g, double dx, double dy, RelInspectPage *self)
{
  double s, ox, oy;
  if (!self->dragging)
    return;
  self->dragging = FALSE;
  self->drag_x1 = self->drag_x0 + dx;
  self->drag_y1 = self->drag_y0 + dy;
  if (!canvas_geometry (self, &s, &ox, &oy))
    return;
  int x0 = (int) floor ((MIN (self->drag_x0, self->drag_x1) - ox) / s);
  int y0 = (int) floor ((MIN (self->drag_y0, self->drag_y1) - oy) / s);
  int x1 = (int) ceil ((MAX (self->drag_x0, self->drag_x1) - ox) / s);
  int y1 = (int) ceil ((MAX (self->drag_y0, self->drag_y1) - oy) / s);
  x0 = CLAMP (x0, 0, self->grid_w - 1), y0 = CLAMP (y0, 0, self->grid_h - 1);
  x1 = CLAMP (x1, x0 + 1, self->grid_w), y1 = CLAMP (y1, y0 + 1, self->grid_h);
  g_autoptr (GError) error = NULL;
  g_autoptr (RelRegion) r = grid_box_to_region (&self->model->preprocess, self->image_w, self->image_h, x0, y0, x1, y1, &error);
  if (r == NULL)
    {
      set_status (self, error->message, TRUE);
      gtk_widget_queue_draw (GTK_WIDGET (self->canvas));
      return;
    }
  rel_inspect_page_set_region (self, r);
}

/* ---- controls ---- */

static void
region_entry_activate (GtkEntry *entry, RelInspectPage *self)
{
  g_autoptr (GError) error = NULL;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_autoptr (RelRegion) r = rel_region_parse (text, &error);
  if (r == NULL)
    {
      set_status (self, error->message, TRUE);
      gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  rel_inspect_page_set_region (self, r);
}

static void
prev_clicked (GtkButton *b, RelInspectPage *self)
{
  rel_inspect_page_set_source (self, self->source - 1);
}

static void
next_clicked (GtkButton *b, RelInspectPage *self)
{
  rel_inspect_page_set_source (self, self->source + 1);
}

static void
suggest_clicked (GtkButton *b, RelInspectPage *self)
{
  rel_inspect_page_suggest (self);
}

static void
mass_clicked (GtkButton *b, RelInspectPage *self)
{
  rel_inspect_page_run (self, REL_INSPECT_MASS);
}

static void
remove_clicked (GtkButton *b, RelInspectPage *self)
{
  rel_inspect_page_run (self, REL_INSPECT_REMOVE);
}

static void
transplant_clicked (GtkButton *b, RelInspectPage *self)
{
  rel_inspect_page_run (self, REL_INSPECT_TRANSPLANT);
}

static void
correct_clicked (GtkButton *b, RelInspectPage *self)
{
  rel_inspect_page_correct (self);
}

static void
cancel_clicked (GtkButton *b, RelInspectPage *self)
{
  rel_inspect_page_cancel (self);
}

/* Writes the corrected model on the job runner (a large model takes a while). */
static gboolean
export_model (RelInspectPage *self, const char *path, gboolean use)
{
  if (self->correction == NULL || self->correction->corrected == NULL)
    {
      set_status (self, _("Correct the model first."), TRUE);
      return FALSE;
    }
  g_autoptr (RelModel) corrected = rel_model_ref (self->correction->corrected);
  rel_inspect_page_cancel (self);
  Task *t = g_new0 (Task, 1);
  t->model = g_steal_pointer (&corrected);
  t->out_path = g_strdup (path);
  t->use = use;
  self->export_use = use;
  start (self, JOB_EXPORT, t, export_run, g_free);
  return TRUE;
}

/* Where "Use Corrected Model" writes the file the window then opens. */
static char *
use_path (RelInspectPage *self)
{
  const RelClarcResult *c = self->correction;
  g_autofree char *name = g_strdup_printf ("corrected-%s-%s.onnx", c->method == REL_CLARC_P ? "pclarc" : "aclarc",
                                           c->layer ? c->layer : "layer");
  for (char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '_')
      *p = '_';
  return g_build_filename (g_get_user_cache_dir (), "relevance", "corrected", name, NULL);
}

gboolean
rel_inspect_page_use_corrected (RelInspectPage *self)
{
  g_return_val_if_fail (REL_IS_INSPECT_PAGE (self), FALSE);
  if (self->correction == NULL)
    return export_model (self, NULL, TRUE);
  g_autofree char *path = use_path (self);
  return export_model (self, path, TRUE);
}

gboolean
rel_inspect_page_save_corrected (RelInspectPage *self, const char *path)
{
  g_return_val_if_fail (REL_IS_INSPECT_PAGE (self), FALSE);
  return export_model (self, path, FALSE);
}

static void
use_model_clicked (GtkButton *b, RelInspectPage *self)
{
  rel_inspect_page_use_corrected (self);
}

static void
save_model_response (GtkNativeDialog *dialog, int response, RelInspectPage *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path)
        rel_inspect_page_save_corrected (self, path);
    }
  g_object_unref (dialog);
}

static void
save_model_clicked (GtkButton *b, RelInspectPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *d = gtk_file_chooser_native_new (_("Save Corrected Model"),
                                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (d), "corrected.onnx");
  g_signal_connect (d, "response", G_CALLBACK (save_model_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (d));
}

static void
region_file_response (GtkNativeDialog *dialog, int response, RelInspectPage *self)
{
  gboolean save = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "save"));
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      g_autoptr (GError) error = NULL;
      if (path && !(save ? rel_inspect_page_save_region (self, path, &error)
                         : rel_inspect_page_load_region (self, path, &error)))
        set_status (self, error->message, TRUE);
    }
  g_object_unref (dialog);
}

static void
region_file (RelInspectPage *self, gboolean save)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *d = gtk_file_chooser_native_new (save ? _("Save Region") : _("Load Region"),
                                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                         save ? GTK_FILE_CHOOSER_ACTION_SAVE : GTK_FILE_CHOOSER_ACTION_OPEN,
                                                         save ? _("_Save") : _("_Open"), _("_Cancel"));
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Regions (JSON)"));
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (d), filter);
  if (save)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (d), "region.json");
  g_object_set_data (G_OBJECT (d), "save", GINT_TO_POINTER (save));
  g_signal_connect (d, "response", G_CALLBACK (region_file_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (d));
}

static void
action_save_region (GtkWidget *widget, const char *name, GVariant *param)
{
  RelInspectPage *self = REL_INSPECT_PAGE (widget);
  if (self->region == NULL)
    {
      set_status (self, _("There is no region to save yet."), TRUE);
      return;
    }
  region_file (self, TRUE);
}

static void
action_load_region (GtkWidget *widget, const char *name, GVariant *param)
{
  region_file (REL_INSPECT_PAGE (widget), FALSE);
}

static void
heatmap_toggled (GtkToggleButton *b, RelInspectPage *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self->canvas));
}

/* A card: a numbered heading, an explanation, then whatever the step adds. */
static GtkBox *
add_step (RelInspectPage *self, int number, const char *title, GtkLabel **description)
{
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_add_css_class (card, "card");
  GtkWidget *inner = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  gtk_widget_set_margin_start (inner, 14);
  gtk_widget_set_margin_end (inner, 14);
  gtk_widget_set_margin_top (inner, 12);
  gtk_widget_set_margin_bottom (inner, 12);
  gtk_box_append (GTK_BOX (card), inner);
  g_autofree char *head = g_strdup_printf ("%d  %s", number, title);
  GtkWidget *h = gtk_label_new (head);
  gtk_widget_add_css_class (h, "heading");
  gtk_label_set_xalign (GTK_LABEL (h), 0);
  gtk_box_append (GTK_BOX (inner), h);
  GtkWidget *d = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (d), TRUE);
  gtk_label_set_xalign (GTK_LABEL (d), 0);
  gtk_widget_set_size_request (d, 200, -1);
  gtk_box_append (GTK_BOX (inner), d);
  *description = GTK_LABEL (d);
  gtk_box_append (self->steps, card);
  return GTK_BOX (inner);
}

static GtkWidget *
action_row (GtkWidget *first, ...)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  va_list ap;
  va_start (ap, first);
  for (GtkWidget *w = first; w; w = va_arg (ap, GtkWidget *))
    gtk_box_append (GTK_BOX (row), w);
  va_end (ap);
  return row;
}

static GtkWidget *
pill (const char *label, gboolean suggested)
{
  GtkWidget *b = gtk_button_new_with_mnemonic (label);
  if (suggested)
    gtk_widget_add_css_class (b, "suggested-action");
  return b;
}

static GtkListBox *
image_list (GtkBox *inner)
{
  GtkWidget *sw = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (sw), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (sw), 140);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (sw), 180);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (sw), TRUE);
  GtkWidget *list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (sw), list);
  gtk_widget_set_visible (sw, FALSE);
  gtk_box_append (inner, sw);
  return GTK_LIST_BOX (list);
}

static GtkDrawingArea *
chart (RelInspectPage *self, GtkBox *inner, RelInspectMode mode)
{
  GtkWidget *a = gtk_drawing_area_new ();
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (a), 20);
  g_object_set_data (G_OBJECT (a), "page", self);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (a), draw_chart, GINT_TO_POINTER (mode), NULL);
  gtk_widget_set_visible (a, FALSE);
  gtk_box_append (inner, a);
  return GTK_DRAWING_AREA (a);
}

static void
build_steps (RelInspectPage *self)
{
  GtkLabel *region_desc;
  GtkBox *s0 = add_step (self, 1, _("The region"), &region_desc);
  self->region_label = region_desc;
  (void) s0;

  GtkBox *s1 = add_step (self, 2, _("Relevance in the region"), &self->mass_label);
  self->mass_button = GTK_BUTTON (pill (_("_Measure"), FALSE));
  gtk_box_append (s1, action_row (GTK_WIDGET (self->mass_button), NULL));
  self->mass_chart = chart (self, s1, REL_INSPECT_MASS);

  GtkBox *s2 = add_step (self, 3, _("Remove it"), &self->remove_label);
  const char *fills[] = { N_("Fill with black"), N_("Fill with the mean"), N_("Blur"), N_("Inpaint"), NULL };
  const char *shown[5];
  for (int i = 0; i < 4; i++)
    shown[i] = _(fills[i]);
  shown[4] = NULL;
  self->fill_dd = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (shown));
  gtk_drop_down_set_selected (self->fill_dd, REL_FILL_INPAINT);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->fill_dd), _("What replaces the region’s pixels"));
  self->remove_button = GTK_BUTTON (pill (_("_Remove"), FALSE));
  gtk_box_append (s2, action_row (GTK_WIDGET (self->fill_dd), GTK_WIDGET (self->remove_button), NULL));
  self->remove_list = image_list (s2);

  GtkBox *s3 = add_step (self, 4, _("Transplant it into other classes"), &self->transplant_label);
  self->transplant_button = GTK_BUTTON (pill (_("_Transplant"), FALSE));
  gtk_box_append (s3, action_row (GTK_WIDGET (self->transplant_button), NULL));
  self->transplant_chart = chart (self, s3, REL_INSPECT_TRANSPLANT);
  self->transplant_list = image_list (s3);

  GtkBox *s4 = add_step (self, 5, _("Correct the model"), &self->correct_label);
  const char *methods[] = { "P-ClArC", "A-ClArC", NULL };
  self->method_dd = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (methods));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->method_dd),
                               _("P-ClArC projects the direction out; A-ClArC fine-tunes the classifier head"));
  self->layer_list = gtk_string_list_new (NULL);
  self->layer_dd = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (self->layer_list)), NULL));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->layer_dd),
                               _("The layer whose activations carry the artifact; Automatic tries each"));
  self->correct_button = GTK_BUTTON (pill (_("C_orrect"), TRUE));
  gtk_box_append (s4, action_row (GTK_WIDGET (self->method_dd), GTK_WIDGET (self->layer_dd),
                                  GTK_WIDGET (self->correct_button), NULL));
  self->correct_grid = GTK_GRID (gtk_grid_new ());
  gtk_grid_set_column_spacing (self->correct_grid, 18);
  gtk_grid_set_row_spacing (self->correct_grid, 4);
  gtk_widget_set_visible (GTK_WIDGET (self->correct_grid), FALSE);
  gtk_box_append (s4, GTK_WIDGET (self->correct_grid));
  self->heat_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  for (int k = 0; k < 2; k++)
    {
      GtkWidget *col = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
      GtkWidget *a = gtk_drawing_area_new ();
      gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (a), 140);
      gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (a), 140);
      g_object_set_data (G_OBJECT (a), "page", self);
      gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (a), draw_heat, GINT_TO_POINTER (k), NULL);
      self->heat_areas[k] = GTK_DRAWING_AREA (a);
      GtkWidget *l = gtk_label_new (k ? _("after") : _("before"));
      gtk_widget_add_css_class (l, "dim-label");
      gtk_widget_add_css_class (l, "caption");
      gtk_box_append (GTK_BOX (col), a);
      gtk_box_append (GTK_BOX (col), l);
      gtk_box_append (GTK_BOX (self->heat_box), col);
    }
  {
    GtkWidget *l = gtk_label_new (_("The shown image’s heatmap of the class (LRP ε-plus-flat), before and after "
                                    "the correction, on one scale."));
    gtk_label_set_wrap (GTK_LABEL (l), TRUE);
    gtk_label_set_xalign (GTK_LABEL (l), 0);
    gtk_widget_set_valign (l, GTK_ALIGN_CENTER);
    gtk_widget_set_hexpand (l, TRUE);
    gtk_widget_set_size_request (l, 120, -1);
    gtk_widget_add_css_class (l, "dim-label");
    gtk_box_append (GTK_BOX (self->heat_box), l);
  }
  gtk_widget_set_visible (self->heat_box, FALSE);
  gtk_box_append (s4, self->heat_box);
  self->save_model_button = GTK_BUTTON (pill (_("_Save Corrected Model…"), FALSE));
  self->use_model_button = GTK_BUTTON (pill (_("_Use Corrected Model"), FALSE));
  gtk_box_append (s4, action_row (GTK_WIDGET (self->save_model_button), GTK_WIDGET (self->use_model_button), NULL));

  g_signal_connect (self->mass_button, "clicked", G_CALLBACK (mass_clicked), self);
  g_signal_connect (self->remove_button, "clicked", G_CALLBACK (remove_clicked), self);
  g_signal_connect (self->transplant_button, "clicked", G_CALLBACK (transplant_clicked), self);
  g_signal_connect (self->correct_button, "clicked", G_CALLBACK (correct_clicked), self);
  g_signal_connect (self->save_model_button, "clicked", G_CALLBACK (save_model_clicked), self);
  g_signal_connect (self->use_model_button, "clicked", G_CALLBACK (use_model_clicked), self);
}

/* ---- public ---- */

static void
forget_results (RelInspectPage *self)
{
  for (int m = 0; m < 3; m++)
    {
      g_clear_pointer (&self->results[m], rel_inspect_result_free);
      self->rows[m] = 0;
    }
  g_clear_pointer (&self->ref_mass, rel_inspect_result_free);
  GtkListBox *lists[] = { self->remove_list, self->transplant_list };
  for (int i = 0; i < 2; i++)
    {
      GtkWidget *child;
      while ((child = gtk_widget_get_first_child (GTK_WIDGET (lists[i]))))
        gtk_list_box_remove (lists[i], child);
    }
  g_clear_pointer (&self->correction, rel_clarc_result_free);
  g_clear_pointer (&self->heat_before, g_free);
  g_clear_pointer (&self->heat_after, g_free);
  g_clear_pointer (&self->error, g_free);
}

void
rel_inspect_page_set_model (RelInspectPage *self, RelModel *model)
{
  g_return_if_fail (REL_IS_INSPECT_PAGE (self));
  rel_inspect_page_cancel (self);
  forget_results (self);
  g_clear_pointer (&self->model, rel_model_unref);
  self->model = model ? rel_model_ref (model) : NULL;
  g_clear_pointer (&self->mean_map, g_free);
  self->suggest_images = 0;
  /* the layers a direction can be fitted at */
  guint old = g_list_model_get_n_items (G_LIST_MODEL (self->layer_list));
  g_auto (GStrv) layers = model ? rel_clarc_layers (model) : NULL;
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_strv_builder_add (b, _("Automatic layer"));
  for (int i = 0; layers && layers[i]; i++)
    g_strv_builder_add (b, layers[i]);
  g_auto (GStrv) items = g_strv_builder_end (b);
  gtk_string_list_splice (self->layer_list, 0, old, (const char *const *) items);
  gtk_drop_down_set_selected (self->layer_dd, 0);
  load_source (self);
}

RelModel *
rel_inspect_page_get_model (RelInspectPage *self)
{
  return self->model;
}

static void
fill_set (GPtrArray *paths, GArray *labels, const char *const *p, const int *l, int n)
{
  g_ptr_array_set_size (paths, 0);
  g_array_set_size (labels, 0);
  for (int i = 0; i < n; i++)
    {
      int lab = l ? l[i] : -1;
      g_ptr_array_add (paths, g_strdup (p[i]));
      g_array_append_val (labels, lab);
    }
}

void
rel_inspect_page_set_cluster (RelInspectPage *self, const char *title, int target, const char *const *paths,
                              const int *labels, int n)
{
  g_return_if_fail (REL_IS_INSPECT_PAGE (self));
  rel_inspect_page_cancel (self);
  forget_results (self);
  g_free (self->title);
  self->title = g_strdup (title);
  self->target = target;
  fill_set (self->cluster_paths, self->cluster_labels, paths, labels, n);
  g_clear_pointer (&self->region, rel_region_free);
  g_clear_pointer (&self->mean_map, g_free);
  self->suggest_images = 0;
  gtk_editable_set_text (GTK_EDITABLE (self->region_entry), "");
  self->source = n > 0 ? 0 : -1;
  set_status (self, _("Mark a region, or let the cluster suggest one."), FALSE);
  load_source (self);
}

void
rel_inspect_page_set_reference (RelInspectPage *self, const char *const *paths, const int *labels, int n)
{
  g_return_if_fail (REL_IS_INSPECT_PAGE (self));
  fill_set (self->ref_paths, self->ref_labels, paths, labels, n);
  update_state (self);
}

void
rel_inspect_page_set_region (RelInspectPage *self, const RelRegion *region)
{
  g_return_if_fail (REL_IS_INSPECT_PAGE (self));
  RelRegion *copy = region ? rel_region_copy (region) : NULL;
  g_clear_pointer (&self->region, rel_region_free);
  self->region = copy;
  if (copy && !copy->is_mask)
    {
      g_autofree char *t = g_strdup_printf ("%d, %d, %d, %d", copy->x, copy->y, copy->width, copy->height);
      gtk_editable_set_text (GTK_EDITABLE (self->region_entry), t);
    }
  else if (copy == NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->region_entry), "");
  update_grid_mask (self);
  update_state (self);
}

int
rel_inspect_page_get_n_cluster (RelInspectPage *self)
{
  return (int) self->cluster_paths->len;
}

int
rel_inspect_page_get_n_reference (RelInspectPage *self)
{
  return (int) self->ref_paths->len;
}

const RelRegion *
rel_inspect_page_get_region (RelInspectPage *self)
{
  return self->region;
}

gboolean
rel_inspect_page_save_region (RelInspectPage *self, const char *path, GError **error)
{
  if (self->region == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING, _("There is no region to save yet."));
      return FALSE;
    }
  if (!rel_region_save_json (self->region, self->title, path, error))
    return FALSE;
  g_autofree char *msg = g_strdup_printf (_("Saved the region to %s."), path);
  set_status (self, msg, FALSE);
  return TRUE;
}

gboolean
rel_inspect_page_load_region (RelInspectPage *self, const char *path, GError **error)
{
  g_autoptr (RelRegion) r = rel_region_load_json (path, NULL, error);
  if (r == NULL)
    return FALSE;
  rel_inspect_page_set_region (self, r);
  if (self->region && self->grid_mask == NULL)
    {
      /* it does not fit the shown image: say so rather than keep it silently */
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "%s", gtk_label_get_text (self->status_label));
      rel_inspect_page_set_region (self, NULL);
      return FALSE;
    }
  return TRUE;
}

void
rel_inspect_page_set_source (RelInspectPage *self, int index)
{
  g_return_if_fail (REL_IS_INSPECT_PAGE (self));
  if (index < 0 || index >= (int) self->cluster_paths->len || index == self->source)
    return;
  self->source = index;
  /* the heatmaps before/after were of the previous image */
  g_clear_pointer (&self->heat_before, g_free);
  g_clear_pointer (&self->heat_after, g_free);
  load_source (self);
}

int
rel_inspect_page_get_source (RelInspectPage *self)
{
  return self->source;
}

void
rel_inspect_page_set_fill (RelInspectPage *self, RelFill fill)
{
  gtk_drop_down_set_selected (self->fill_dd, fill);
}

void
rel_inspect_page_set_correction (RelInspectPage *self, RelClarcMethod method, const char *layer)
{
  gtk_drop_down_set_selected (self->method_dd, method == REL_CLARC_A ? 1 : 0);
  guint sel = 0, n = g_list_model_get_n_items (G_LIST_MODEL (self->layer_list));
  for (guint i = 1; layer && i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (self->layer_list, i), layer) == 0)
      sel = i;
  gtk_drop_down_set_selected (self->layer_dd, sel);
}

GtkWidget *
rel_inspect_page_new (void)
{
  return g_object_new (REL_TYPE_INSPECT_PAGE, NULL);
}

static void
rel_inspect_page_dispose (GObject *object)
{
  RelInspectPage *self = REL_INSPECT_PAGE (object);
  if (self->job)
    {
      rel_job_cancel (self->job);
      g_clear_pointer (&self->job, rel_job_unref);
    }
  /* AdwBin unparents its child, the template's stack, itself */
  G_OBJECT_CLASS (rel_inspect_page_parent_class)->dispose (object);
}

static void
rel_inspect_page_finalize (GObject *object)
{
  RelInspectPage *self = REL_INSPECT_PAGE (object);
  for (int m = 0; m < 3; m++)
    g_clear_pointer (&self->results[m], rel_inspect_result_free);
  g_clear_pointer (&self->ref_mass, rel_inspect_result_free);
  g_clear_pointer (&self->correction, rel_clarc_result_free);
  g_clear_pointer (&self->model, rel_model_unref);
  g_clear_pointer (&self->region, rel_region_free);
  g_clear_pointer (&self->source_surface, cairo_surface_destroy);
  g_clear_object (&self->layer_list);
  g_ptr_array_unref (self->cluster_paths);
  g_ptr_array_unref (self->ref_paths);
  g_array_unref (self->cluster_labels);
  g_array_unref (self->ref_labels);
  g_free (self->grid_mask);
  g_free (self->mean_map);
  g_free (self->heat_before);
  g_free (self->heat_after);
  g_free (self->title);
  g_free (self->error);
  G_OBJECT_CLASS (rel_inspect_page_parent_class)->finalize (object);
}

static void
rel_inspect_page_class_init (RelInspectPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = rel_inspect_page_dispose;
  object_class->finalize = rel_inspect_page_finalize;

  signals[SIGNAL_USE_MODEL] = g_signal_new ("use-model", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                            NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/relevance/Relevance/rel-inspect-page.ui");
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, stack);
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, image_label);
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, canvas);
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, prev_button);
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, next_button);
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, suggest_button);
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, heatmap_toggle);
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, region_entry);
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, region_menu_button);
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, steps);
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, status_box);
  gtk_widget_class_bind_template_child (widget_class, RelInspectPage, progress);

  gtk_widget_class_install_action (widget_class, "inspect.save-region", NULL, action_save_region);
  gtk_widget_class_install_action (widget_class, "inspect.load-region", NULL, action_load_region);
}

static void
rel_inspect_page_init (RelInspectPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cluster_paths = g_ptr_array_new_with_free_func (g_free);
  self->ref_paths = g_ptr_array_new_with_free_func (g_free);
  self->cluster_labels = g_array_new (FALSE, FALSE, sizeof (int));
  self->ref_labels = g_array_new (FALSE, FALSE, sizeof (int));
  self->source = -1;
  self->target = -1;

  build_steps (self);

  gtk_drawing_area_set_draw_func (self->canvas, draw_canvas, self, NULL);
  GtkGesture *drag = gtk_gesture_drag_new ();
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self->canvas), GTK_EVENT_CONTROLLER (drag));

  g_autoptr (GMenu) menu = g_menu_new ();
  g_menu_append (menu, _("Save Region…"), "inspect.save-region");
  g_menu_append (menu, _("Load Region…"), "inspect.load-region");
  gtk_menu_button_set_menu_model (self->region_menu_button, G_MENU_MODEL (menu));

  g_signal_connect (self->region_entry, "activate", G_CALLBACK (region_entry_activate), self);
  g_signal_connect (self->prev_button, "clicked", G_CALLBACK (prev_clicked), self);
  g_signal_connect (self->next_button, "clicked", G_CALLBACK (next_clicked), self);
  g_signal_connect (self->suggest_button, "clicked", G_CALLBACK (suggest_clicked), self);
  g_signal_connect (self->cancel_button, "clicked", G_CALLBACK (cancel_clicked), self);
  g_signal_connect (self->heatmap_toggle, "toggled", G_CALLBACK (heatmap_toggled), self);
  update_state (self);
}
