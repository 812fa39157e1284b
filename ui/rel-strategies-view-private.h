/* rel-strategies-view-private.h — what the Strategies page's files share:
 * rel-strategies-view.c (state, jobs, construction, API),
 * rel-strategies-view-plots.c (thumbnails' textures, the scatter plot and the
 * eigenvalue spectrum) and rel-strategies-view-gallery.c (the clusters'
 * thumbnails).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-strategies-view.h"

#include "rel-job.h"

G_BEGIN_DECLS

#define GALLERY_MAX 36      /* thumbnails shown per cluster */
#define THUMB_MIN 84        /* thumbnails are upscaled (nearest) to at least this side */
#define POINT_RADIUS 4.5
#define HOVER_RADIUS 9.0


typedef struct {
  int               n;
  int               cls;       /* the class analysed, among the model's outputs */
  char            **paths;     /* n, NULL-terminated */
  RelSprayHeatmaps *hm;
  int               iw, ih;    /* input thumbnail size (0: none) */
  guint8          **rgba;      /* n RGBA inputs, NULL where decoding failed */
} Heatmaps;

typedef struct {
  Heatmaps       *data;
  float          *x;
  int             dim;
  RelSprayResult *r;
} Analysis;

typedef struct {
  RelModel  *model;
  RelParams *method;
  int        cls;
  char      *cache_dir;
  char     **paths;        /* a full run: explain these */
  Heatmaps  *data;         /* a re-analysis: reuse these */
  RelParams *sp[5];
  RelJob    *job;
  double     lo, hi;       /* progress span of the current stage */
} Task;

struct _RelStrategiesView {
  AdwBin           parent;

  RelImageBrowser *browser;
  RelModel        *model;
  char            *cache_dir;
  RelJob          *job;
  gboolean         job_full;   /* the running job explains images */
  gboolean         redo;       /* parameters changed during a full run: re-analyse after it */
  Analysis        *an;
  char            *error;
  int              n_explained, n_heatmap_runs, marked_k;
  gboolean         updating;   /* setting widgets from code: no re-analysis */

  GtkDropDown     *class_dd;
  GtkLabel        *method_label;
  RelParams       *method;     /* the window's (Explore's) method and parameters */
  char            *analysed_with;  /* the method title of the shown analysis */
  GtkStringList   *class_list;
  GtkDropDown     *k_dd;        /* Auto, 2, 3, … */
  GtkSpinButton   *nb_spin, *pool_spin;
  GtkButton       *run_button;
  GtkProgressBar  *progress;
  GtkLabel        *status;
  GtkWidget       *status_box;
  GtkStack        *stack;
  AdwStatusPage   *empty_page;
  GtkToggleButton *tsne_toggle, *spectral_toggle;
  GtkToggleButton *mode_image, *mode_heatmap, *mode_overlay;
  GtkDrawingArea  *scatter, *spectrum;
  GtkLabel        *scatter_label, *spectrum_label;
  GtkBox          *gallery;
  GPtrArray       *thumb_buttons;   /* per cluster: GPtrArray of buttons */
  GPtrArray       *inspect_buttons; /* per cluster: its card's Inspect button (NULL: no card) */

  /* scatter view state */
  double           zoom, cx, cy;    /* data-space centre of the view */
  double           pointer_x, pointer_y;
  int              hover;
  gboolean         dragging;
  double           drag_x0, drag_y0, drag_x1, drag_y1;
  guint8          *selected;        /* n flags */
  int              n_selected;
  cairo_surface_t **hover_surfaces; /* n, made on first hover */
};

typedef enum { MODE_IMAGE, MODE_HEATMAP, MODE_OVERLAY } ThumbMode;

const char *rel_strategies_view_class_name (RelStrategiesView *self, int c);
void rel_strategies_view_clear_hover_surfaces (RelStrategiesView *self, int n);
void rel_strategies_view_cluster_color (int c, double *rgb);
void rel_strategies_view_drag_begin (GtkGestureDrag *g, double x, double y, RelStrategiesView *self);
void rel_strategies_view_drag_end (GtkGestureDrag *g, double dx, double dy, RelStrategiesView *self);
void rel_strategies_view_drag_update (GtkGestureDrag *g, double dx, double dy, RelStrategiesView *self);
GdkTexture *rel_strategies_view_image_texture (RelStrategiesView *self, int i, ThumbMode mode);
void rel_strategies_view_mode_toggled (GtkToggleButton *b, RelStrategiesView *self);
void rel_strategies_view_open_image (RelStrategiesView *self, int i);
GdkTexture *rel_strategies_view_prototype_texture (const float *proto, int side);
void rel_strategies_view_rebuild_gallery (RelStrategiesView *self);
void rel_strategies_view_rebuild_results (RelStrategiesView *self);
void rel_strategies_view_scatter_draw (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data);
void rel_strategies_view_scatter_leave (GtkEventControllerMotion *c, RelStrategiesView *self);
void rel_strategies_view_scatter_motion (GtkEventControllerMotion *c, double x, double y, RelStrategiesView *self);
gboolean rel_strategies_view_scatter_scroll (GtkEventControllerScroll *c, double dx, double dy, RelStrategiesView *self);
char *rel_strategies_view_shown_name (RelStrategiesView *self, const char *path);
void rel_strategies_view_spectrum_draw (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data);
void rel_strategies_view_update_selection_label (RelStrategiesView *self);
void rel_strategies_view_view_toggled (GtkToggleButton *b, RelStrategiesView *self);
void rel_strategies_view_widget_color (GtkWidget *w, GdkRGBA *rgba);

G_END_DECLS
