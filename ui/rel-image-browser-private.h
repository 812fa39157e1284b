/* rel-image-browser-private.h — what the browser's widget (rel-image-browser.c)
 * and its background workers (rel-image-browser-workers.c: thumbnails, the
 * folder scan, predictions) share. Each worker is reference counted and holds
 * a `browser` pointer only the main thread reads or clears.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "rel-dataset.h"
#include "rel-image-browser.h"

G_BEGIN_DECLS

#define SCAN_SLICE      2000
#define SCAN_RAMP_ITEMS 600
#define SCAN_RAMP_SLICE 20
#define THUMB_DECODE    200     /* decoded shorter side: cells grow wider than tall to fill a row */
#define THUMB_CACHE     500
#define THUMB_THREADS   2
#define DEFAULT_BATCH   32
#define DELIVERY_PRIORITY G_PRIORITY_DEFAULT_IDLE

typedef struct _Scanner   Scanner;
typedef struct _Loader    Loader;
typedef struct _Predictor Predictor;

struct _RelImageBrowser {
  GtkWidget           parent_instance;

  /* template */
  GtkWidget          *toolbar;
  GtkWidget          *toolbar_separator;
  GtkDropDown        *class_dropdown;
  GtkDropDown        *correctness_dropdown;
  GtkDropDown        *group_dropdown;
  GtkWidget          *layout_banner;
  GtkLabel           *layout_label;
  GtkDropDown        *level_dropdown;
  GtkLabel           *status_label;
  GtkSpinner         *spinner;
  GtkProgressBar     *progress_bar;
  GtkStack           *stack;
  AdwStatusPage      *empty_page;
  GtkGridView        *grid_view;

  GListStore         *store;
  GtkCustomFilter    *filter;
  GtkFilterListModel *filtered;
  GtkSingleSelection *selection;

  char               *root;            /* the open folder, NULL for none */
  char              **class_names;     /* the layout's classes (core/rel-dataset.h) */
  char              **group_names;     /* the other folders around them */
  int                 class_level;     /* the user's choice of the class folders' level; 0: by name */
  gboolean            layout_unresolved;  /* a model, folders, and no name matched */
  GPtrArray          *cells_to_update;    /* items on screen whose truth changed quietly */
  guint               update_cells_id;
  int                 class_filter;
  int                 group_filter;
  gboolean            filter_by_prediction;  /* no folder classes: the drop-down lists the model's */
  RelCorrectness      correctness;
  gboolean            updating_dropdown;

  Scanner            *scanner;
  Loader             *loader;
  GHashTable         *thumb_tasks;     /* item → ThumbTask (pending) */
  GHashTable         *bound;           /* item → cell on screen */
  GQueue              thumb_lru;       /* items with a loaded thumbnail, oldest first */
  GHashTable         *thumb_links;     /* item → its GList link in thumb_lru */
  guint               n_thumbnails;

  Predictor          *predictor;
  RelModel           *model;
  int                 batch_size;
  guint               n_predicted;
  gboolean            predicting;

  guint               refresh_id;      /* coalesced refilter + status */
  gboolean            refilter_pending;
};

struct _Loader {
  GThreadPool     *pool;
  GMutex           lock;
  GPtrArray       *done;          /* ThumbTask*, under lock */
  gboolean         idle_pending;  /* under lock */
  GMainContext    *context;
  volatile gint    shutdown;
  guint64          seq;           /* main thread */
  RelImageBrowser *browser;       /* main thread; NULL once detached */
};

typedef struct {
  Loader       *loader;
  RelImageItem *item;
  guint64       seq;
  guint         distance;   /* from the first row on screen when requested, in items */
  int           size;
  volatile gint wanted;
  /* result, written by the worker before it hands the task back */
  GdkPixbuf    *pixbuf;
  gboolean      skipped;
} ThumbTask;

struct _Scanner {
  GMutex           lock;
  char            *root;
  volatile gint    cancel;
  /* under lock */
  GPtrArray       *paths;
  GArray          *labels;
  double           fraction;
  gboolean         finished;
  GError          *error;
  gboolean         idle_pending;
  /* main thread */
  GMainContext    *context;
  RelImageBrowser *browser;
};

struct _Predictor {
  GMutex           lock;
  GCond            cond;
  RelModel        *model;
  int              batch_size;
  volatile gint    cancel;
  /* under lock */
  gboolean         quit;
  GQueue           urgent;    /* RelImageItem refs: on screen */
  GPtrArray       *all;       /* RelImageItem refs, in order */
  guint            cursor;    /* next index of `all` to predict */
  GHashTable      *taken;     /* items handed to the worker */
  guint            in_flight;
  GPtrArray       *results;   /* PredictResult* */
  gboolean         idle_pending;
  /* main thread */
  GMainContext    *context;
  RelImageBrowser *browser;
};

typedef struct {
  RelImageItem *item;
  int           label;
  double        confidence;
  char         *error;
} PredictResult;

/* rel-image-browser.c: what the workers deliver, on the main loop. */
void rel_image_browser_take_predictions (RelImageBrowser *self, Predictor *p);
void rel_image_browser_take_scan (RelImageBrowser *self, Scanner *s);

/* rel-image-browser-workers.c */
void rel_image_browser_loader_detach (Loader *loader);
Loader *rel_image_browser_loader_new (RelImageBrowser *self);
void rel_image_browser_predict_result_free (PredictResult *r);
void rel_image_browser_predictor_add_items (Predictor *p, RelImageItem **items, guint n);
gboolean rel_image_browser_predictor_busy (Predictor *p);
void rel_image_browser_predictor_detach (Predictor *p);
void rel_image_browser_predictor_prioritize (Predictor *p, RelImageItem *item);
Predictor *rel_image_browser_predictor_start (RelImageBrowser *self, RelModel *model, int batch_size);
void rel_image_browser_release_thumbnail (RelImageBrowser *self, RelImageItem *item);
void rel_image_browser_request_thumbnail (RelImageBrowser *self, RelImageItem *item, guint position);
void rel_image_browser_scanner_detach (Scanner *s);
Scanner *rel_image_browser_scanner_ref (Scanner *s);
gpointer rel_image_browser_scanner_thread (gpointer data);
void rel_image_browser_scanner_unref (Scanner *s);
void rel_image_browser_thumb_task_unref (ThumbTask *task);

G_END_DECLS
