/* rel-image-browser-workers.c — the image browser's background work:
 * thumbnails (a thread pool), the folder scan and predictions (a thread
 * each). See rel-image-browser.c for the rule that ties them to the main loop.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "rel-error.h"
#include "rel-image.h"
#include "rel-image-browser-private.h"

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

void
rel_image_browser_thumb_task_unref (ThumbTask *task)
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
  loader->done = g_ptr_array_new_with_free_func ((GDestroyNotify) rel_image_browser_thumb_task_unref);
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

Loader *
rel_image_browser_loader_new (RelImageBrowser *self)
{
  Loader *loader = g_atomic_rc_box_new0 (Loader);

  g_mutex_init (&loader->lock);
  loader->done = g_ptr_array_new_with_free_func ((GDestroyNotify) rel_image_browser_thumb_task_unref);
  loader->context = g_main_context_ref_thread_default ();
  loader->browser = self;
  loader->pool = g_thread_pool_new (loader_work, NULL, THUMB_THREADS, FALSE, NULL);
  g_thread_pool_set_sort_function (loader->pool, compare_tasks, NULL);
  return loader;
}

/* Detached: queued tasks are skipped, the pool frees itself once drained and
 * the last task drops the loader. */
void
rel_image_browser_loader_detach (Loader *loader)
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

void
rel_image_browser_request_thumbnail (RelImageBrowser *self, RelImageItem *item, guint position)
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

void
rel_image_browser_release_thumbnail (RelImageBrowser *self, RelImageItem *item)
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
        rel_image_browser_request_thumbnail (self, item, GTK_INVALID_LIST_POSITION);
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

Scanner *rel_image_browser_scanner_ref (Scanner *s) { return g_atomic_rc_box_acquire (s); }
void rel_image_browser_scanner_unref (Scanner *s) { g_atomic_rc_box_release_full (s, (GDestroyNotify) scanner_free); }


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
  rel_image_browser_take_scan (s->browser, s);
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
      attach_idle (s->context, scanner_deliver, rel_image_browser_scanner_ref (s), (GDestroyNotify) rel_image_browser_scanner_unref);
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

gpointer
rel_image_browser_scanner_thread (gpointer data)
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
  rel_image_browser_scanner_unref (s);
  return NULL;
}

void
rel_image_browser_scanner_detach (Scanner *s)
{
  s->browser = NULL;
  g_atomic_int_set (&s->cancel, 1);
  rel_image_browser_scanner_unref (s);
}

/* ====================================================================== */
/* Predictions                                                            */
/* ====================================================================== */



void
rel_image_browser_predict_result_free (PredictResult *r)
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


static gboolean
predictor_deliver (gpointer data)
{
  Predictor *p = data;

  if (p->browser)
    rel_image_browser_take_predictions (p->browser, p);
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

Predictor *
rel_image_browser_predictor_start (RelImageBrowser *self, RelModel *model, int batch_size)
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
  p->results = g_ptr_array_new_with_free_func ((GDestroyNotify) rel_image_browser_predict_result_free);
  p->context = g_main_context_ref_thread_default ();
  p->browser = self;
  thread = g_thread_new ("rel-predict", predictor_thread, predictor_ref (p));
  g_thread_unref (thread);
  return p;
}

void
rel_image_browser_predictor_add_items (Predictor *p, RelImageItem **items, guint n)
{
  if (p == NULL || n == 0)
    return;
  g_mutex_lock (&p->lock);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (p->all, g_object_ref (items[i]));
  g_cond_signal (&p->cond);
  g_mutex_unlock (&p->lock);
}

void
rel_image_browser_predictor_prioritize (Predictor *p, RelImageItem *item)
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
gboolean
rel_image_browser_predictor_busy (Predictor *p)
{
  gboolean busy;

  g_mutex_lock (&p->lock);
  busy = p->cursor < p->all->len || p->in_flight > 0 || p->results->len > 0;
  for (GList *l = p->urgent.head; l && !busy; l = l->next)
    busy = !g_hash_table_contains (p->taken, l->data);
  g_mutex_unlock (&p->lock);
  return busy;
}

void
rel_image_browser_predictor_detach (Predictor *p)
{
  p->browser = NULL;
  g_atomic_int_set (&p->cancel, 1);
  g_mutex_lock (&p->lock);
  p->quit = TRUE;
  g_cond_signal (&p->cond);
  g_mutex_unlock (&p->lock);
  predictor_unref (p);
}
