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

#include "rel-image-browser.h"
#include "rel-dataset.h"
#include "rel-image.h"
#include "rel-error.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#define SCAN_SLICE      2000
#define SCAN_RAMP_ITEMS 600
#define SCAN_RAMP_SLICE 20
#define THUMB_SIZE      160     /* the cell's thumbnail height in logical pixels */
#define THUMB_DECODE    200     /* decoded shorter side: cells grow wider than tall to fill a row */
#define THUMB_CACHE     500
#define THUMB_THREADS   2
#define DEFAULT_BATCH   32
#define DELIVERY_PRIORITY G_PRIORITY_DEFAULT_IDLE

/* ====================================================================== */
/* A confidence bar                                                       */
/* ====================================================================== */

/* Drawn in one snapshot: a GtkLevelBar per cell (trough and block widgets,
 * offsets) tripled the cost of laying out the grid's few hundred cells. */
#define REL_TYPE_CONFIDENCE_BAR (rel_confidence_bar_get_type ())
G_DECLARE_FINAL_TYPE (RelConfidenceBar, rel_confidence_bar, REL, CONFIDENCE_BAR, GtkWidget)

struct _RelConfidenceBar {
  GtkWidget parent_instance;
  double    value;   /* in [0, 1]; < 0 hides the bar */
  gboolean  wrong;
};

G_DEFINE_FINAL_TYPE (RelConfidenceBar, rel_confidence_bar, GTK_TYPE_WIDGET)

static void
rel_confidence_bar_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                            int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  (void) widget;
  (void) for_size;
  *minimum = *natural = orientation == GTK_ORIENTATION_VERTICAL ? 4 : 16;
  *minimum_baseline = *natural_baseline = -1;
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
static void
rel_confidence_bar_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  RelConfidenceBar *self = REL_CONFIDENCE_BAR (widget);
  GtkStyleContext *style = gtk_widget_get_style_context (widget);
  float w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  GdkRGBA fg, fill;
  GskRoundedRect rect;

  if (self->value < 0 || w <= 0 || h <= 0)
    return;
  gtk_style_context_get_color (style, &fg);
  if (!gtk_style_context_lookup_color (style, self->wrong ? "error_color" : "accent_color", &fill))
    fill = fg;
  fg.alpha *= 0.12f;
  gsk_rounded_rect_init_from_rect (&rect, &GRAPHENE_RECT_INIT (0, 0, w, h), h / 2);
  gtk_snapshot_push_rounded_clip (snapshot, &rect);
  gtk_snapshot_append_color (snapshot, &fg, &GRAPHENE_RECT_INIT (0, 0, w, h));
  gtk_snapshot_append_color (snapshot, &fill, &GRAPHENE_RECT_INIT (0, 0, (float) (w * self->value), h));
  gtk_snapshot_pop (snapshot);
}
G_GNUC_END_IGNORE_DEPRECATIONS

static void
rel_confidence_bar_class_init (RelConfidenceBarClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->measure = rel_confidence_bar_measure;
  widget_class->snapshot = rel_confidence_bar_snapshot;
  gtk_widget_class_set_css_name (widget_class, "confidencebar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_PROGRESS_BAR);
}

static void
rel_confidence_bar_init (RelConfidenceBar *self)
{
  self->value = -1;
}

static void
rel_confidence_bar_set (RelConfidenceBar *self, double value, gboolean wrong)
{
  if (value == self->value && wrong == self->wrong)
    return;
  self->value = value;
  self->wrong = wrong;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ====================================================================== */
/* A cell                                                                 */
/* ====================================================================== */

#define REL_TYPE_IMAGE_CELL (rel_image_cell_get_type ())
G_DECLARE_FINAL_TYPE (RelImageCell, rel_image_cell, REL, IMAGE_CELL, GtkWidget)

struct _RelImageCell {
  GtkWidget     parent_instance;
  GtkWidget    *overlay;
  GtkWidget    *picture;
  GtkWidget    *placeholder;
  GtkWidget    *predicted;
  GtkWidget    *confidence;
  GtkWidget    *bar;
  GtkWidget    *truth;
  GtkWidget    *marker;
  RelImageItem *item;
  gulong        notify_id;
};

G_DEFINE_FINAL_TYPE (RelImageCell, rel_image_cell, GTK_TYPE_WIDGET)

static void
rel_image_cell_update (RelImageCell *self)
{
  RelImageItem *item = self->item;
  GdkTexture *thumb = item ? rel_image_item_get_thumbnail (item) : NULL;
  RelThumbnailState state = item ? rel_image_item_get_thumbnail_state (item) : REL_THUMBNAIL_NONE;
  const char *truth = item ? rel_image_item_get_true_label_name (item) : NULL;
  const char *error = item ? rel_image_item_get_error (item) : NULL;
  gboolean wrong = item && rel_image_item_get_wrong (item);
  g_autofree char *tooltip = NULL;

  gtk_picture_set_paintable (GTK_PICTURE (self->picture), GDK_PAINTABLE (thumb));
  gtk_widget_set_visible (self->placeholder, thumb == NULL);
  const char *icon = state == REL_THUMBNAIL_FAILED ? "image-missing-symbolic" : "image-x-generic-symbolic";
  if (g_strcmp0 (gtk_image_get_icon_name (GTK_IMAGE (self->placeholder)), icon) != 0)
    gtk_image_set_from_icon_name (GTK_IMAGE (self->placeholder), icon);

  if (item && rel_image_item_has_prediction (item))
    {
      g_autofree char *percent = g_strdup_printf ("%.0f %%", 100.0 * rel_image_item_get_confidence (item));
      gtk_label_set_text (GTK_LABEL (self->predicted), rel_image_item_get_predicted_label_name (item));
      gtk_label_set_text (GTK_LABEL (self->confidence), percent);
      rel_confidence_bar_set (REL_CONFIDENCE_BAR (self->bar), rel_image_item_get_confidence (item), wrong);
    }
  else
    {
      /* The file name until a prediction arrives, so the cell is never blank. */
      gtk_label_set_text (GTK_LABEL (self->predicted), item ? rel_image_item_get_basename (item) : "");
      gtk_label_set_text (GTK_LABEL (self->confidence), error ? _("Error") : "");
      rel_confidence_bar_set (REL_CONFIDENCE_BAR (self->bar), -1.0, FALSE);
    }
  gtk_widget_set_visible (self->truth, truth != NULL);
  if (truth)
    {
      g_autofree char *text = g_strdup_printf (_("True: %s"), truth);
      gtk_label_set_text (GTK_LABEL (self->truth), text);
    }
  gtk_widget_set_visible (self->marker, wrong);
  if (wrong)
    gtk_widget_add_css_class (GTK_WIDGET (self), "wrong");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "wrong");

  if (item)
    {
      g_autofree char *shown = g_filename_display_name (rel_image_item_get_path (item));

      if (error)
        tooltip = g_strdup_printf ("%s\n%s", shown, error);
      else if (wrong)
        tooltip = g_strdup_printf (_("%s\nWrong prediction: %s, true class %s"), shown,
                                   rel_image_item_get_predicted_label_name (item), truth);
      else
        tooltip = g_steal_pointer (&shown);
    }
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), tooltip);
}

static void
on_item_notify (RelImageCell *self)
{
  rel_image_cell_update (self);
}

static void
rel_image_cell_set_item (RelImageCell *self, RelImageItem *item)
{
  if (self->item == item)
    return;
  if (self->item)
    {
      g_clear_signal_handler (&self->notify_id, self->item);
      g_clear_object (&self->item);
    }
  if (item)
    {
      self->item = g_object_ref (item);
      self->notify_id = g_signal_connect_swapped (item, "notify", G_CALLBACK (on_item_notify), self);
    }
  rel_image_cell_update (self);
}

static void
rel_image_cell_dispose (GObject *object)
{
  RelImageCell *self = REL_IMAGE_CELL (object);

  rel_image_cell_set_item (self, NULL);
  g_clear_pointer (&self->overlay, gtk_widget_unparent);
  G_OBJECT_CLASS (rel_image_cell_parent_class)->dispose (object);
}

static void
rel_image_cell_class_init (RelImageCellClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = rel_image_cell_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "relimagecell");
}

static void
rel_image_cell_init (RelImageCell *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *thumb = gtk_overlay_new ();
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  gtk_widget_add_css_class (GTK_WIDGET (self), "rel-image-cell");
  self->overlay = gtk_overlay_new ();
  gtk_widget_set_parent (self->overlay, GTK_WIDGET (self));
  gtk_overlay_set_child (GTK_OVERLAY (self->overlay), box);

  gtk_widget_add_css_class (thumb, "rel-image-thumb");
  gtk_widget_set_size_request (thumb, THUMB_SIZE, THUMB_SIZE);
  gtk_widget_set_overflow (thumb, GTK_OVERFLOW_HIDDEN);
  self->placeholder = gtk_image_new_from_icon_name ("image-x-generic-symbolic");
  gtk_image_set_pixel_size (GTK_IMAGE (self->placeholder), 48);
  gtk_widget_add_css_class (self->placeholder, "rel-image-placeholder");
  gtk_overlay_set_child (GTK_OVERLAY (thumb), self->placeholder);
  self->picture = gtk_picture_new ();
  gtk_picture_set_content_fit (GTK_PICTURE (self->picture), GTK_CONTENT_FIT_COVER);
  gtk_picture_set_can_shrink (GTK_PICTURE (self->picture), TRUE);
  gtk_overlay_add_overlay (GTK_OVERLAY (thumb), self->picture);
  gtk_box_append (GTK_BOX (box), thumb);

  self->bar = g_object_new (REL_TYPE_CONFIDENCE_BAR, NULL);
  gtk_box_append (GTK_BOX (box), self->bar);

  self->predicted = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->predicted), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (self->predicted), PANGO_ELLIPSIZE_END);
  gtk_label_set_width_chars (GTK_LABEL (self->predicted), 8);
  gtk_label_set_max_width_chars (GTK_LABEL (self->predicted), 14);
  gtk_widget_set_hexpand (self->predicted, TRUE);
  gtk_widget_add_css_class (self->predicted, "rel-image-predicted");
  gtk_box_append (GTK_BOX (row), self->predicted);
  self->confidence = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->confidence, "numeric");
  gtk_widget_add_css_class (self->confidence, "dim-label");
  gtk_box_append (GTK_BOX (row), self->confidence);
  gtk_box_append (GTK_BOX (box), row);

  self->truth = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->truth), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (self->truth), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (self->truth), 14);
  gtk_widget_add_css_class (self->truth, "caption");
  gtk_widget_add_css_class (self->truth, "dim-label");
  gtk_box_append (GTK_BOX (box), self->truth);

  self->marker = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
  gtk_widget_set_halign (self->marker, GTK_ALIGN_END);
  gtk_widget_set_valign (self->marker, GTK_ALIGN_START);
  gtk_widget_add_css_class (self->marker, "rel-wrong-marker");
  gtk_widget_set_tooltip_text (self->marker, _("Wrong prediction"));
  gtk_overlay_add_overlay (GTK_OVERLAY (self->overlay), self->marker);

  rel_image_cell_update (self);
}

/* ====================================================================== */
/* The browser's state                                                    */
/* ====================================================================== */

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
static void predictor_add_items (Predictor *p, RelImageItem **items, guint n);
static void predictor_prioritize (Predictor *p, RelImageItem *item);
static void predictor_detach (Predictor *p);
static Predictor *predictor_start (RelImageBrowser *self, RelModel *model, int batch_size);

/* Attaches one idle for @func on @context holding a reference released by @unref. */
static void
attach_idle (GMainContext *context, GSourceFunc func, gpointer data, GDestroyNotify unref)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, DELIVERY_PRIORITY);
  g_source_set_callback (source, func, data, unref);
  g_source_set_static_name (source, "rel-image-browser");
  g_source_attach (source, context);
  g_source_unref (source);
}

/* ====================================================================== */
/* Thumbnails                                                             */
/* ====================================================================== */

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

static void
loader_free (Loader *loader)
{
  g_mutex_clear (&loader->lock);
  g_ptr_array_unref (loader->done);
  g_main_context_unref (loader->context);
}

static Loader *
loader_ref (Loader *loader)
{
  return g_atomic_rc_box_acquire (loader);
}

static void
loader_unref (Loader *loader)
{
  g_atomic_rc_box_release_full (loader, (GDestroyNotify) loader_free);
}

static void
thumb_task_free (ThumbTask *task)
{
  g_clear_object (&task->pixbuf);
  g_object_unref (task->item);
  loader_unref (task->loader);
}

static ThumbTask *
thumb_task_ref (ThumbTask *task)
{
  return g_atomic_rc_box_acquire (task);
}

static void
thumb_task_unref (ThumbTask *task)
{
  g_atomic_rc_box_release_full (task, (GDestroyNotify) thumb_task_free);
}

static void browser_thumbnail_done (RelImageBrowser *self, ThumbTask *task);

static gboolean
loader_deliver (gpointer data)
{
  Loader *loader = data;
  g_autoptr(GPtrArray) done = NULL;

  g_mutex_lock (&loader->lock);
  done = g_steal_pointer (&loader->done);
  loader->done = g_ptr_array_new_with_free_func ((GDestroyNotify) thumb_task_unref);
  loader->idle_pending = FALSE;
  g_mutex_unlock (&loader->lock);

  if (loader->browser)
    for (guint i = 0; i < done->len; i++)
      browser_thumbnail_done (loader->browser, done->pdata[i]);
  return G_SOURCE_REMOVE;
}

/* Decodes straight to thumbnail size through the core's checks: a FIFO or
 * a decompression bomb is refused from its header before any pixel is
 * allocated, and the cell shows it as failed (its prediction says why). */
static GdkPixbuf *
decode_thumbnail (const char *path, int size)
{
  g_autoptr(GdkPixbuf) scaled = rel_image_load_pixbuf (path, size, NULL);

  if (scaled == NULL)
    return NULL;
  return gdk_pixbuf_apply_embedded_orientation (scaled);
}

static void
loader_work (gpointer data, gpointer user_data)
{
  ThumbTask *task = data;
  Loader *loader = task->loader;

  (void) user_data;
  if (g_atomic_int_get (&loader->shutdown) || !g_atomic_int_get (&task->wanted))
    task->skipped = TRUE;
  else
    task->pixbuf = decode_thumbnail (rel_image_item_get_path (task->item), task->size);

  g_mutex_lock (&loader->lock);
  g_ptr_array_add (loader->done, task);   /* the pool's reference moves to the result list */
  if (!loader->idle_pending)
    {
      loader->idle_pending = TRUE;
      attach_idle (loader->context, loader_deliver, loader_ref (loader), (GDestroyNotify) loader_unref);
    }
  g_mutex_unlock (&loader->lock);
}

/* GtkGridView binds cells for ~30 rows around the view, so the ones on screen
 * go first: nearest to the first visible row, then the newest request. */
static gint
compare_tasks (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const ThumbTask *ta = a, *tb = b;

  (void) user_data;
  if (ta->distance != tb->distance)
    return ta->distance < tb->distance ? -1 : 1;
  return ta->seq < tb->seq ? 1 : ta->seq > tb->seq ? -1 : 0;
}

static Loader *
loader_new (RelImageBrowser *self)
{
  Loader *loader = g_atomic_rc_box_new0 (Loader);

  g_mutex_init (&loader->lock);
  loader->done = g_ptr_array_new_with_free_func ((GDestroyNotify) thumb_task_unref);
  loader->context = g_main_context_ref_thread_default ();
  loader->browser = self;
  loader->pool = g_thread_pool_new (loader_work, NULL, THUMB_THREADS, FALSE, NULL);
  g_thread_pool_set_sort_function (loader->pool, compare_tasks, NULL);
  return loader;
}

/* Detached: queued tasks are skipped, the pool frees itself once drained and
 * the last task drops the loader. */
static void
loader_detach (Loader *loader)
{
  loader->browser = NULL;
  g_atomic_int_set (&loader->shutdown, 1);
  g_thread_pool_free (loader->pool, FALSE, FALSE);
  loader->pool = NULL;
  loader_unref (loader);
}

static void
thumb_lru_remove (RelImageBrowser *self, RelImageItem *item)
{
  GList *link = g_hash_table_lookup (self->thumb_links, item);

  if (link)
    {
      g_queue_delete_link (&self->thumb_lru, link);
      g_hash_table_remove (self->thumb_links, item);
    }
}

static void
thumb_lru_touch (RelImageBrowser *self, RelImageItem *item)
{
  thumb_lru_remove (self, item);
  g_queue_push_tail (&self->thumb_lru, item);
  g_hash_table_insert (self->thumb_links, item, self->thumb_lru.tail);
}

/* Keeps memory bounded (10,000 thumbnails would be ~1 GB): drop the oldest
 * thumbnails that are not on screen. */
static void
thumb_evict (RelImageBrowser *self)
{
  GList *link = self->thumb_lru.head;

  while (self->thumb_lru.length > THUMB_CACHE && link)
    {
      GList *next = link->next;
      RelImageItem *item = link->data;

      if (!g_hash_table_contains (self->bound, item))
        {
          g_hash_table_remove (self->thumb_links, item);
          g_queue_delete_link (&self->thumb_lru, link);
          rel_image_item_set_thumbnail (item, NULL);
        }
      link = next;
    }
}

/* How far @position is from the first row on screen, estimated from the
 * scroll position; rows above the view count double (scrolling goes on down). */
static guint
distance_from_view (RelImageBrowser *self, guint position)
{
  GtkAdjustment *vadj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->grid_view));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  double upper = vadj ? gtk_adjustment_get_upper (vadj) : 0.0;
  guint first = upper > 0 ? (guint) (n * gtk_adjustment_get_value (vadj) / upper) : 0;

  if (position == GTK_INVALID_LIST_POSITION)
    return G_MAXUINT / 2;
  return position >= first ? position - first : 2 * (first - position);
}

static void
request_thumbnail (RelImageBrowser *self, RelImageItem *item, guint position)
{
  ThumbTask *task;

  switch (rel_image_item_get_thumbnail_state (item))
    {
    case REL_THUMBNAIL_READY:
      thumb_lru_touch (self, item);
      return;
    case REL_THUMBNAIL_FAILED:
      return;
    case REL_THUMBNAIL_LOADING:
      task = g_hash_table_lookup (self->thumb_tasks, item);
      if (task)
        {
          g_atomic_int_set (&task->wanted, 1);
          return;
        }
      break;
    case REL_THUMBNAIL_NONE:
    default:
      break;
    }

  task = g_atomic_rc_box_new0 (ThumbTask);
  task->loader = loader_ref (self->loader);
  task->item = g_object_ref (item);
  task->seq = ++self->loader->seq;
  task->distance = distance_from_view (self, position);
  task->size = THUMB_DECODE * MAX (1, gtk_widget_get_scale_factor (GTK_WIDGET (self)));
  task->wanted = 1;
  g_hash_table_insert (self->thumb_tasks, item, thumb_task_ref (task));
  rel_image_item_set_thumbnail_state (item, REL_THUMBNAIL_LOADING);
  g_thread_pool_push (self->loader->pool, task, NULL);
}

static void
release_thumbnail (RelImageBrowser *self, RelImageItem *item)
{
  ThumbTask *task = g_hash_table_lookup (self->thumb_tasks, item);

  if (task)
    g_atomic_int_set (&task->wanted, 0);
}

static void
browser_thumbnail_done (RelImageBrowser *self, ThumbTask *task)
{
  RelImageItem *item = task->item;

  if (g_hash_table_lookup (self->thumb_tasks, item) != task)
    return;   /* the item was cleared meanwhile */
  g_hash_table_remove (self->thumb_tasks, item);
  if (task->skipped)
    {
      rel_image_item_set_thumbnail_state (item, REL_THUMBNAIL_NONE);
      /* Scrolled away and back before the pool got to it: ask again. */
      if (g_hash_table_contains (self->bound, item))
        request_thumbnail (self, item, GTK_INVALID_LIST_POSITION);
      return;
    }
  self->n_thumbnails++;
  if (task->pixbuf == NULL)
    {
      rel_image_item_set_thumbnail_state (item, REL_THUMBNAIL_FAILED);
      return;
    }
  g_autoptr(GdkTexture) texture = gdk_texture_new_for_pixbuf (task->pixbuf);
  rel_image_item_set_thumbnail (item, texture);
  thumb_lru_touch (self, item);
  thumb_evict (self);
}

/* ====================================================================== */
/* Folder scan                                                            */
/* ====================================================================== */

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

static void
scanner_free (Scanner *s)
{
  g_mutex_clear (&s->lock);
  g_free (s->root);
  g_ptr_array_unref (s->paths);
  g_array_unref (s->labels);
  g_clear_error (&s->error);
  g_main_context_unref (s->context);
}

static Scanner *scanner_ref (Scanner *s) { return g_atomic_rc_box_acquire (s); }
static void scanner_unref (Scanner *s) { g_atomic_rc_box_release_full (s, (GDestroyNotify) scanner_free); }

static void browser_take_scan (RelImageBrowser *self, Scanner *s);

static gboolean
scanner_deliver (gpointer data)
{
  Scanner *s = data;

  if (s->browser == NULL)
    {
      g_mutex_lock (&s->lock);
      s->idle_pending = FALSE;
      g_mutex_unlock (&s->lock);
      return G_SOURCE_REMOVE;
    }
  browser_take_scan (s->browser, s);
  g_mutex_lock (&s->lock);
  /* Leftovers beyond one slice keep this source alive; otherwise the
   * worker attaches a new one with its next chunk. */
  gboolean more = s->paths->len > 0 || (s->finished && s->browser);
  if (!more)
    s->idle_pending = FALSE;
  g_mutex_unlock (&s->lock);
  return more ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
scanner_wake (Scanner *s)
{
  if (!s->idle_pending)
    {
      s->idle_pending = TRUE;
      attach_idle (s->context, scanner_deliver, scanner_ref (s), (GDestroyNotify) scanner_unref);
    }
}

static void
scanner_chunk (const RelDataset *ds, guint first, guint n, double fraction, gpointer user_data)
{
  Scanner *s = user_data;

  g_mutex_lock (&s->lock);
  for (guint i = first; i < first + n; i++)
    g_ptr_array_add (s->paths, g_strdup (ds->paths->pdata[i]));
  g_array_append_vals (s->labels, &g_array_index (ds->labels, int, first), n);
  s->fraction = fraction;
  scanner_wake (s);
  g_mutex_unlock (&s->lock);
}

static gpointer
scanner_thread (gpointer data)
{
  Scanner *s = data;
  GError *error = NULL;
  RelDataset *ds = rel_dataset_scan (s->root, &s->cancel, scanner_chunk, s, &error);

  g_mutex_lock (&s->lock);
  s->finished = TRUE;
  s->fraction = 1.0;
  s->error = error;
  scanner_wake (s);
  g_mutex_unlock (&s->lock);
  rel_dataset_free (ds);
  scanner_unref (s);
  return NULL;
}

static void
scanner_detach (Scanner *s)
{
  s->browser = NULL;
  g_atomic_int_set (&s->cancel, 1);
  scanner_unref (s);
}

/* ====================================================================== */
/* Predictions                                                            */
/* ====================================================================== */

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

static void
predict_result_free (PredictResult *r)
{
  g_object_unref (r->item);
  g_free (r->error);
  g_free (r);
}

static void
predictor_free (Predictor *p)
{
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->cond);
  rel_model_unref (p->model);
  g_queue_clear_full (&p->urgent, g_object_unref);
  g_ptr_array_unref (p->all);
  g_hash_table_unref (p->taken);
  g_ptr_array_unref (p->results);
  g_main_context_unref (p->context);
}

static Predictor *predictor_ref (Predictor *p) { return g_atomic_rc_box_acquire (p); }
static void predictor_unref (Predictor *p) { g_atomic_rc_box_release_full (p, (GDestroyNotify) predictor_free); }

static void browser_take_predictions (RelImageBrowser *self, Predictor *p);

static gboolean
predictor_deliver (gpointer data)
{
  Predictor *p = data;

  if (p->browser)
    browser_take_predictions (p->browser, p);
  else
    {
      g_mutex_lock (&p->lock);
      p->idle_pending = FALSE;
      g_mutex_unlock (&p->lock);
    }
  return G_SOURCE_REMOVE;
}

/* Under lock. */
static void
predictor_wake_main (Predictor *p)
{
  if (!p->idle_pending)
    {
      p->idle_pending = TRUE;
      attach_idle (p->context, predictor_deliver, predictor_ref (p), (GDestroyNotify) predictor_unref);
    }
}

/* Probabilities from one output row: softmax of logits, unless the row
 * already is a distribution (a model ending in Softmax). */
static void
row_argmax_probability (const float *row, int64_t k, int *label, double *confidence)
{
  double sum = 0.0, max = -INFINITY, denom = 0.0;
  gboolean is_distribution = TRUE;
  int64_t best = 0;

  for (int64_t j = 0; j < k; j++)
    {
      if (!(row[j] >= 0.0f && row[j] <= 1.0f))
        is_distribution = FALSE;
      sum += row[j];
      if (row[j] > max)
        {
          max = row[j];
          best = j;
        }
    }
  if (!isfinite (max))
    {
      *label = -1;
      *confidence = 0.0;
      return;
    }
  *label = (int) best;
  if (is_distribution && fabs (sum - 1.0) < 1e-3)
    {
      *confidence = row[best];
      return;
    }
  for (int64_t j = 0; j < k; j++)
    denom += exp ((double) row[j] - max);
  *confidence = 1.0 / denom;   /* exp(max - max) / Σ */
}

/* One forward pass over @inputs (all of one shape); a result per item. */
static void
run_forward (Predictor *p, GPtrArray *inputs, GPtrArray *items, const RelContext *ctx, GPtrArray *results)
{
  g_autoptr(GError) error = NULL;
  RelTensor *first = inputs->pdata[0];
  int64_t shape[REL_MAX_DIMS];
  g_autoptr(RelTensor) batch = NULL;
  g_autoptr(RelActivations) acts = NULL;
  RelTensor *out = NULL;

  memcpy (shape, first->shape, sizeof shape);
  shape[0] = inputs->len;
  batch = rel_tensor_new_f32 (first->ndim, shape, &error);
  if (batch)
    {
      for (guint i = 0; i < inputs->len; i++)
        memcpy (rel_tensor_f32 (batch) + i * first->numel, rel_tensor_f32 (inputs->pdata[i]),
                first->numel * sizeof (float));
      acts = rel_model_forward (p->model, batch, ctx, &error);
    }
  if (acts)
    {
      out = rel_activations_output (acts);
      if (out == NULL || out->dtype != REL_DTYPE_FLOAT32 || out->ndim < 1
          || out->shape[0] != (int64_t) inputs->len || out->numel < out->shape[0])
        {
          g_clear_error (&error);
          g_set_error (&error, REL_ERROR, REL_ERROR_SHAPE, "%s", _("Unexpected output shape"));
          out = NULL;
        }
    }
  if (g_atomic_int_get (&p->cancel))
    return;
  for (guint i = 0; i < items->len; i++)
    {
      PredictResult *r = g_new0 (PredictResult, 1);

      r->item = g_object_ref (items->pdata[i]);
      if (out)
        {
          int64_t k = out->numel / out->shape[0];
          const float *row = rel_tensor_f32 (out) + i * k;
          int64_t bad = rel_find_nonfinite (row, k);
          if (bad >= 0)
            {
              /* an overflowing model: marked, not ranked by a NaN */
              r->label = -1;
              r->error = g_strdup_printf (_("The model's output is not finite (%s at class %d)"),
                                          isnan (row[bad]) ? "NaN" : "Inf", (int) bad);
            }
          else
            row_argmax_probability (row, k, &r->label, &r->confidence);
        }
      else
        {
          r->label = -1;
          r->error = g_strdup (error ? error->message : _("Prediction failed"));
        }
      g_ptr_array_add (results, r);
    }
}

/* Loads and runs one batch; appends a result per item (none when cancelled).
 * A model with a dynamic image size gets inputs of several shapes: those
 * that differ from the first run one by one. */
static void
predict_batch (Predictor *p, GPtrArray *items, const RelContext *ctx, GPtrArray *results)
{
  g_autoptr(GPtrArray) inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) rel_tensor_unref);
  g_autoptr(GPtrArray) ok_items = g_ptr_array_new ();
  g_autoptr(GPtrArray) odd_inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) rel_tensor_unref);
  g_autoptr(GPtrArray) odd_items = g_ptr_array_new ();

  for (guint i = 0; i < items->len; i++)
    {
      RelImageItem *item = items->pdata[i];
      g_autoptr(GError) local = NULL;
      RelTensor *t;

      if (g_atomic_int_get (&p->cancel))
        return;
      t = rel_input_load (p->model, rel_image_item_get_path (item), &local);
      if (t && (t->ndim < 1 || t->shape[0] != 1 || t->dtype != REL_DTYPE_FLOAT32))
        {
          rel_tensor_unref (t);
          t = NULL;
          g_set_error (&local, REL_ERROR, REL_ERROR_SHAPE, "%s", _("Not a single input"));
        }
      if (t == NULL)
        {
          PredictResult *r = g_new0 (PredictResult, 1);
          r->item = g_object_ref (item);
          r->label = -1;
          r->error = g_strdup (local ? local->message : _("Could not load the image"));
          g_ptr_array_add (results, r);
          continue;
        }
      if (inputs->len > 0 && !rel_tensor_same_shape (t, inputs->pdata[0]))
        {
          g_ptr_array_add (odd_inputs, t);
          g_ptr_array_add (odd_items, item);
          continue;
        }
      g_ptr_array_add (inputs, t);
      g_ptr_array_add (ok_items, item);
    }
  if (inputs->len > 0)
    run_forward (p, inputs, ok_items, ctx, results);
  for (guint i = 0; i < odd_inputs->len && !g_atomic_int_get (&p->cancel); i++)
    {
      g_autoptr(GPtrArray) one = g_ptr_array_new ();
      g_autoptr(GPtrArray) one_item = g_ptr_array_new ();
      g_ptr_array_add (one, odd_inputs->pdata[i]);
      g_ptr_array_add (one_item, odd_items->pdata[i]);
      run_forward (p, one, one_item, ctx, results);
    }
}

static gpointer
predictor_thread (gpointer data)
{
  Predictor *p = data;
  RelContext ctx;
  int max_batch = p->batch_size;
  RelValue *input = rel_model_value (p->model, p->model->input);

  rel_context_init (&ctx);
  ctx.n_threads = 1;   /* leave the other core to the live explainer and the UI */
  ctx.cancel = &p->cancel;
  /* A model declaring a fixed batch size gets batches of exactly that or less. */
  if (input && input->ndim > 0 && input->shape[0] > 0)
    max_batch = MIN (max_batch, (int) input->shape[0]);
  max_batch = MAX (max_batch, 1);

  for (;;)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr(GPtrArray) results = g_ptr_array_new ();
      RelImageItem *item;

      g_mutex_lock (&p->lock);
      while (!p->quit && g_queue_is_empty (&p->urgent) && p->cursor >= p->all->len)
        g_cond_wait (&p->cond, &p->lock);
      if (p->quit)
        {
          g_mutex_unlock (&p->lock);
          break;
        }
      while ((int) batch->len < max_batch && (item = g_queue_pop_head (&p->urgent)) != NULL)
        {
          if (g_hash_table_add (p->taken, item))
            g_ptr_array_add (batch, item);
          else
            g_object_unref (item);
        }
      while ((int) batch->len < max_batch && p->cursor < p->all->len)
        {
          item = p->all->pdata[p->cursor++];
          if (g_hash_table_add (p->taken, item))
            g_ptr_array_add (batch, g_object_ref (item));
        }
      p->in_flight = batch->len;
      g_mutex_unlock (&p->lock);

      if (batch->len > 0)
        predict_batch (p, batch, &ctx, results);

      g_mutex_lock (&p->lock);
      p->in_flight = 0;
      g_ptr_array_extend_and_steal (p->results, g_steal_pointer (&results));
      predictor_wake_main (p);
      g_mutex_unlock (&p->lock);
    }
  predictor_unref (p);
  return NULL;
}

static Predictor *
predictor_start (RelImageBrowser *self, RelModel *model, int batch_size)
{
  Predictor *p = g_atomic_rc_box_new0 (Predictor);
  GThread *thread;

  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  p->model = rel_model_ref (model);
  p->batch_size = batch_size > 0 ? batch_size : DEFAULT_BATCH;
  g_queue_init (&p->urgent);
  p->all = g_ptr_array_new_with_free_func (g_object_unref);
  p->taken = g_hash_table_new (NULL, NULL);
  p->results = g_ptr_array_new_with_free_func ((GDestroyNotify) predict_result_free);
  p->context = g_main_context_ref_thread_default ();
  p->browser = self;
  thread = g_thread_new ("rel-predict", predictor_thread, predictor_ref (p));
  g_thread_unref (thread);
  return p;
}

static void
predictor_add_items (Predictor *p, RelImageItem **items, guint n)
{
  if (p == NULL || n == 0)
    return;
  g_mutex_lock (&p->lock);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (p->all, g_object_ref (items[i]));
  g_cond_signal (&p->cond);
  g_mutex_unlock (&p->lock);
}

static void
predictor_prioritize (Predictor *p, RelImageItem *item)
{
  if (p == NULL)
    return;
  g_mutex_lock (&p->lock);
  if (!g_hash_table_contains (p->taken, item))
    {
      g_queue_push_tail (&p->urgent, g_object_ref (item));
      g_cond_signal (&p->cond);
    }
  g_mutex_unlock (&p->lock);
}

/* TRUE while items remain to be predicted or delivered. */
static gboolean
predictor_busy (Predictor *p)
{
  gboolean busy;

  g_mutex_lock (&p->lock);
  busy = p->cursor < p->all->len || p->in_flight > 0 || p->results->len > 0;
  for (GList *l = p->urgent.head; l && !busy; l = l->next)
    busy = !g_hash_table_contains (p->taken, l->data);
  g_mutex_unlock (&p->lock);
  return busy;
}

static void
predictor_detach (Predictor *p)
{
  p->browser = NULL;
  g_atomic_int_set (&p->cancel, 1);
  g_mutex_lock (&p->lock);
  p->quit = TRUE;
  g_cond_signal (&p->cond);
  g_mutex_unlock (&p->lock);
  predictor_unref (p);
}

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

static void
browser_take_predictions (RelImageBrowser *self, Predictor *p)
{
  g_autoptr(GPtrArray) results = NULL;

  g_mutex_lock (&p->lock);
  results = g_steal_pointer (&p->results);
  p->results = g_ptr_array_new_with_free_func ((GDestroyNotify) predict_result_free);
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
  set_predicting (self, predictor_busy (p));
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
  predictor_add_items (self->predictor, items, n);
  schedule_refresh (self, FALSE);
}

static void
browser_take_scan (RelImageBrowser *self, Scanner *s)
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
      g_clear_pointer (&self->scanner, scanner_unref);
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
  gtk_list_item_set_child (list_item, g_object_new (REL_TYPE_IMAGE_CELL, NULL));
}

static void
factory_bind (GtkSignalListItemFactory *factory, GtkListItem *list_item, RelImageBrowser *self)
{
  RelImageItem *item = gtk_list_item_get_item (list_item);
  RelImageCell *cell = REL_IMAGE_CELL (gtk_list_item_get_child (list_item));

  (void) factory;
  rel_image_cell_set_item (cell, item);
  g_hash_table_insert (self->bound, item, cell);
  request_thumbnail (self, item, gtk_list_item_get_position (list_item));
  if (!rel_image_item_has_prediction (item))
    predictor_prioritize (self->predictor, item);
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
      release_thumbnail (self, item);
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

  g_clear_pointer (&self->predictor, predictor_detach);
  if (self->store)
    rel_image_browser_clear (self);
  g_clear_pointer (&self->loader, loader_detach);
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
  self->thumb_tasks = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) thumb_task_unref);
  self->bound = g_hash_table_new (NULL, NULL);
  self->thumb_links = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->thumb_lru);
  self->loader = loader_new (self);

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
      g_clear_pointer (&self->scanner, scanner_detach);
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
      g_clear_pointer (&self->predictor, predictor_detach);
      self->predictor = predictor_start (self, self->model, self->batch_size);
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
  thread = g_thread_new ("rel-scan", scanner_thread, scanner_ref (s));
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
  g_clear_pointer (&self->predictor, predictor_detach);
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

      self->predictor = predictor_start (self, model, batch_size);
      /* Cells on screen first, then everything in order. */
      g_hash_table_iter_init (&iter, self->bound);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        predictor_prioritize (self->predictor, key);
      for (guint i = 0; i < n; i++)
        g_ptr_array_add (items, g_list_model_get_item (G_LIST_MODEL (self->store), i));
      predictor_add_items (self->predictor, (RelImageItem **) items->pdata, items->len);
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
