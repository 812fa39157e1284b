/* rel-job.c — the live explainer's worker and generic background jobs.
 *
 * Threading rules, in short: every field shared between a worker and the main
 * context is guarded by the object's mutex; the worker copies what it reports
 * (estimates, messages) before taking the lock; nothing is ever freed or
 * called back while the mutex is held; the main side never waits for a worker
 * except in rel_explainer_free / rel_job_wait, and the worker never waits for
 * the main side, so the two cannot deadlock.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-job.h"
#include "rel-fragility.h"
#include "rel-error.h"
#include "rel-core.h"

#include <string.h>

/* Results land before GTK's redraw (G_PRIORITY_HIGH_IDLE + 20), so a heatmap
 * that arrives between frames is in the next one; only one source is ever
 * pending per object, so this cannot starve the loop. */
#define EXPLAINER_PRIORITY (G_PRIORITY_HIGH_IDLE + 10)
#define JOB_PRIORITY       G_PRIORITY_DEFAULT_IDLE

/* ---- the live explainer ---- */

typedef struct {
  guint64           generation;
  RelModel         *model;
  RelTensor        *input;
  RelParams        *params;
  RelTarget         target;
  guint64           seed;
  int               batch_size;
  RelExplainerFunc  callback;
  gpointer          user_data;
  volatile gint     cancel;
  gint64            start;      /* monotonic µs when the worker took the job */
  RelExplainer     *explainer;  /* borrowed: the worker is joined before the explainer goes */
} ExplainJob;

struct _RelExplainer {
  gint              ref_count;  /* the owner, plus the pending idle source */
  GMutex            mutex;
  GCond             cond;
  GMainContext     *context;
  GThread          *thread;

  /* guarded by mutex */
  guint64           generation; /* newest submission */
  guint64           live;       /* the generation that may still deliver; 0: none */
  ExplainJob       *queued;
  ExplainJob       *running;
  gboolean          shutdown;
  GSource          *idle;       /* the one pending delivery, or NULL */
  gboolean          have_update;
  RelExplainUpdate  update;
  RelExplainerFunc  update_callback;
  gpointer          update_user_data;
};

static void
explain_job_free (ExplainJob *job)
{
  if (job == NULL)
    return;
  rel_model_unref (job->model);
  rel_tensor_unref (job->input);
  rel_params_free (job->params);
  g_free (job);
}

static void
update_clear (RelExplainUpdate *u)
{
  g_clear_pointer (&u->estimate, rel_tensor_unref);
  g_clear_pointer (&u->explanation, rel_explanation_free);
  g_clear_error (&u->error);
  memset (u, 0, sizeof *u);
}

static RelExplainer *
explainer_ref (RelExplainer *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

static void
explainer_unref (gpointer data)
{
  RelExplainer *self = data;

  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;
  /* the thread was joined by rel_explainer_free; the slot was emptied there */
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  g_main_context_unref (self->context);
  g_free (self);
}

static gboolean
explainer_deliver (gpointer data)
{
  RelExplainer *self = data;
  RelExplainUpdate update = { 0 };
  RelExplainerFunc callback = NULL;
  gpointer user_data = NULL;
  gboolean deliver;

  g_mutex_lock (&self->mutex);
  if (self->idle == g_main_current_source ())
    g_clear_pointer (&self->idle, g_source_unref);
  deliver = self->have_update && !self->shutdown
            && self->update.generation == self->live;
  if (self->have_update)
    {
      update = self->update;
      memset (&self->update, 0, sizeof self->update);
      callback = self->update_callback;
      user_data = self->update_user_data;
      self->have_update = FALSE;
    }
  g_mutex_unlock (&self->mutex);

  /* the callback may submit, cancel or even free the explainer: touch
   * nothing of @self after it (the source's reference keeps it alive) */
  if (deliver && callback)
    callback (self, &update, user_data);
  update_clear (&update);
  return G_SOURCE_REMOVE;
}

/* With the mutex held: replaces the slot's content by @u (taking it) and makes
 * sure one delivery is pending. Returns the old content for freeing after
 * the unlock. */
static RelExplainUpdate
post_locked (RelExplainer *self, ExplainJob *job, RelExplainUpdate *u)
{
  RelExplainUpdate old = self->update;

  self->update = *u;
  memset (u, 0, sizeof *u);
  self->update_callback = job->callback;
  self->update_user_data = job->user_data;
  self->have_update = TRUE;
  if (self->idle == NULL)
    {
      GSource *src = g_idle_source_new ();
      g_source_set_priority (src, EXPLAINER_PRIORITY);
      g_source_set_static_name (src, "[relevance] explainer delivery");
      g_source_set_callback (src, explainer_deliver, explainer_ref (self), explainer_unref);
      g_source_attach (src, self->context);
      self->idle = src;   /* our reference, dropped when it dispatches or on free */
    }
  return old;
}

/* Worker: the method's progress callback. The borrowed estimate is copied
 * before the lock; a superseded job reports nothing. */
static void
explainer_progress (const RelTensor *estimate, double fraction, gpointer data)
{
  ExplainJob *job = data;
  RelExplainer *self = job->explainer;
  RelExplainUpdate u = { 0 }, old = { 0 };

  /* the final delivery carries the finished map; a 1.0 preview would only
   * duplicate it */
  if (g_atomic_int_get (&job->cancel) || fraction >= 1.0 || estimate == NULL)
    return;
  u.estimate = rel_tensor_copy (estimate, NULL);
  if (u.estimate == NULL)
    return;
  u.generation = job->generation;
  u.fraction = CLAMP (fraction, 0.0, 1.0);
  u.elapsed_ms = (double) (g_get_monotonic_time () - job->start) / 1000.0;

  g_mutex_lock (&self->mutex);
  if (!self->shutdown && job->generation == self->live)
    old = post_locked (self, job, &u);
  g_mutex_unlock (&self->mutex);
  update_clear (&old);
  update_clear (&u);
}

static void
explainer_run_job (RelExplainer *self, ExplainJob *job)
{
  RelExplainRequest req = { 0 };
  g_autoptr(GError) error = NULL;
  RelExplanation *e;
  RelExplainUpdate u = { 0 }, old = { 0 };

  job->start = g_get_monotonic_time ();
  req.model = job->model;
  req.input = job->input;
  req.target = job->target;
  req.params = job->params;
  req.seed = job->seed;
  req.progress = explainer_progress;
  req.progress_data = job;
  req.cancel = &job->cancel;
  req.batch_size = job->batch_size;
  e = rel_explain (rel_params_method (job->params), &req, &error);
  /* one more pass: does rounding change the map? (rel-fragility.h); a
   * failed or cancelled check leaves it unknown, the map stands */
  if (e && !g_atomic_int_get (&job->cancel))
    rel_explanation_check_fragility (&req, e, NULL);

  u.generation = job->generation;
  u.is_final = TRUE;
  u.fraction = 1.0;
  u.elapsed_ms = (double) (g_get_monotonic_time () - job->start) / 1000.0;
  if (e)
    {
      u.explanation = e;
      u.estimate = rel_tensor_ref (e->relevance);
    }
  else
    u.error = g_steal_pointer (&error);

  g_mutex_lock (&self->mutex);
  /* a superseded job is dropped silently, whatever it returned */
  if (!self->shutdown && job->generation == self->live && !g_atomic_int_get (&job->cancel))
    old = post_locked (self, job, &u);
  g_mutex_unlock (&self->mutex);
  update_clear (&old);
  update_clear (&u);
}

static gpointer
explainer_thread (gpointer data)
{
  RelExplainer *self = data;

  for (;;)
    {
      ExplainJob *job;

      gboolean released = FALSE;

      g_mutex_lock (&self->mutex);
      while (self->queued == NULL && !self->shutdown)
        {
          /* idle for 2 s (not between a slider's jobs): give the freed
           * activations back to the system */
          gint64 until = g_get_monotonic_time () + 2 * G_TIME_SPAN_SECOND;
          if (released)
            g_cond_wait (&self->cond, &self->mutex);
          else if (!g_cond_wait_until (&self->cond, &self->mutex, until) && self->queued == NULL
                   && !self->shutdown)
            {
              rel_core_release_memory ();
              released = TRUE;
            }
        }
      if (self->shutdown)
        {
          g_mutex_unlock (&self->mutex);
          break;
        }
      job = self->running = g_steal_pointer (&self->queued);
      g_mutex_unlock (&self->mutex);

      explainer_run_job (self, job);

      g_mutex_lock (&self->mutex);
      self->running = NULL;
      g_mutex_unlock (&self->mutex);
      /* may drop the last reference to a model the UI already replaced */
      explain_job_free (job);
    }
  return NULL;
}

RelExplainer *
rel_explainer_new (void)
{
  RelExplainer *self = g_new0 (RelExplainer, 1);

  self->ref_count = 1;
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->context = g_main_context_ref_thread_default ();
  /* BLAS and the core's kernels read their width from rel_core_threads();
   * this one thread only serialises the explanations */
  self->thread = g_thread_new ("rel-explainer", explainer_thread, self);
  return self;
}

guint64
rel_explainer_submit (RelExplainer *self, RelModel *model, RelTensor *input,
                      const RelParams *params, const RelTarget *target, guint64 seed,
                      int batch_size, RelExplainerFunc callback, gpointer user_data)
{
  ExplainJob *job, *replaced;
  RelExplainUpdate stale;
  guint64 generation;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (model != NULL && input != NULL && params != NULL, 0);

  job = g_new0 (ExplainJob, 1);
  job->model = rel_model_ref (model);
  job->input = rel_tensor_ref (input);
  job->params = rel_params_copy (params);
  if (target)
    job->target = *target;
  job->seed = seed;
  job->batch_size = batch_size;
  job->callback = callback;
  job->user_data = user_data;
  job->explainer = self;

  g_mutex_lock (&self->mutex);
  generation = job->generation = ++self->generation;
  self->live = generation;
  if (self->running)
    g_atomic_int_set (&self->running->cancel, 1);
  replaced = g_steal_pointer (&self->queued);
  self->queued = job;
  /* whatever waits in the slot is older than this submission */
  stale = self->update;
  memset (&self->update, 0, sizeof self->update);
  self->have_update = FALSE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->mutex);

  update_clear (&stale);
  explain_job_free (replaced);
  return generation;
}

void
rel_explainer_cancel (RelExplainer *self)
{
  ExplainJob *replaced;
  RelExplainUpdate stale;

  g_return_if_fail (self != NULL);
  g_mutex_lock (&self->mutex);
  self->live = 0;
  if (self->running)
    g_atomic_int_set (&self->running->cancel, 1);
  replaced = g_steal_pointer (&self->queued);
  stale = self->update;
  memset (&self->update, 0, sizeof self->update);
  self->have_update = FALSE;
  g_mutex_unlock (&self->mutex);

  update_clear (&stale);
  explain_job_free (replaced);
}

guint64
rel_explainer_get_generation (RelExplainer *self)
{
  guint64 g;

  g_return_val_if_fail (self != NULL, 0);
  g_mutex_lock (&self->mutex);
  g = self->generation;
  g_mutex_unlock (&self->mutex);
  return g;
}

gboolean
rel_explainer_is_busy (RelExplainer *self)
{
  gboolean busy;

  g_return_val_if_fail (self != NULL, FALSE);
  g_mutex_lock (&self->mutex);
  busy = self->queued != NULL || self->running != NULL;
  g_mutex_unlock (&self->mutex);
  return busy;
}

void
rel_explainer_free (RelExplainer *self)
{
  ExplainJob *replaced;
  RelExplainUpdate stale;
  GSource *idle;

  if (self == NULL)
    return;
  g_mutex_lock (&self->mutex);
  self->shutdown = TRUE;
  self->live = 0;
  if (self->running)
    g_atomic_int_set (&self->running->cancel, 1);
  replaced = g_steal_pointer (&self->queued);
  stale = self->update;
  memset (&self->update, 0, sizeof self->update);
  self->have_update = FALSE;
  idle = g_steal_pointer (&self->idle);
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->mutex);

  /* outside the lock: destroying the source drops its reference on us */
  if (idle)
    {
      g_source_destroy (idle);
      g_source_unref (idle);
    }
  update_clear (&stale);
  explain_job_free (replaced);
  /* the running job stops at its next batch or node; the worker then exits */
  g_thread_join (self->thread);
  self->thread = NULL;
  explainer_unref (self);
}

/* ---- generic jobs ---- */

struct _RelJob {
  gint                ref_count;
  GMutex              mutex;
  GCond               cond;
  GMainContext       *context;
  RelJobFunc          func;
  gpointer            data;
  GDestroyNotify      data_free;
  GDestroyNotify      result_free;
  GDestroyNotify      item_free;
  RelJobProgressFunc  progress;
  RelJobItemsFunc     items_func;
  RelJobDoneFunc      done;
  gpointer            user_data;
  gboolean            started;
  volatile gint       cancel;

  /* guarded by mutex */
  gboolean            cancelled;   /* by rel_job_cancel: nothing more is delivered */
  gboolean            finished;    /* func returned and data was freed */
  GSource            *idle;
  gboolean            have_progress;
  double              fraction;
  char               *message;
  GPtrArray          *items;       /* pushed, not yet delivered; NULL when empty */
  gboolean            have_result;
  gpointer            result;
  GError             *error;
};

RelJob *
rel_job_ref (RelJob *job)
{
  g_return_val_if_fail (job != NULL, NULL);
  g_atomic_int_inc (&job->ref_count);
  return job;
}

static void
job_free_result (RelJob *job, gpointer result)
{
  if (result && job->result_free)
    job->result_free (result);
}

static GPtrArray *
job_new_items (RelJob *job)
{
  return g_ptr_array_new_with_free_func (job->item_free);
}

void
rel_job_unref (RelJob *job)
{
  if (job == NULL || !g_atomic_int_dec_and_test (&job->ref_count))
    return;
  /* the last reference: the worker has finished (or never started) and no
   * source is pending */
  if (!job->started && job->data_free)
    job->data_free (job->data);
  job_free_result (job, job->result);
  g_clear_pointer (&job->items, g_ptr_array_unref);
  g_clear_error (&job->error);
  g_free (job->message);
  g_mutex_clear (&job->mutex);
  g_cond_clear (&job->cond);
  g_main_context_unref (job->context);
  g_free (job);
}

static void
job_unref_notify (gpointer data)
{
  rel_job_unref (data);
}

static gboolean
job_is_cancelled_locked (RelJob *job)
{
  gboolean c;

  g_mutex_lock (&job->mutex);
  c = job->cancelled;
  g_mutex_unlock (&job->mutex);
  return c;
}

static gboolean
job_deliver (gpointer data)
{
  RelJob *job = data;
  gboolean have_progress, have_result, cancelled;
  double fraction;
  g_autofree char *message = NULL;
  g_autoptr(GPtrArray) items = NULL;
  gpointer result;
  g_autoptr(GError) error = NULL;

  g_mutex_lock (&job->mutex);
  if (job->idle == g_main_current_source ())
    g_clear_pointer (&job->idle, g_source_unref);
  cancelled = job->cancelled;
  have_progress = job->have_progress;
  fraction = job->fraction;
  message = g_steal_pointer (&job->message);
  items = g_steal_pointer (&job->items);
  have_result = job->have_result;
  result = g_steal_pointer (&job->result);
  error = g_steal_pointer (&job->error);
  job->have_progress = FALSE;
  job->have_result = FALSE;
  g_mutex_unlock (&job->mutex);

  /* items first, so done() sees them all; any callback may cancel the job */
  if (!cancelled && items && job->items_func)
    job->items_func (job, items, job->user_data);
  if (have_progress && job->progress && !job_is_cancelled_locked (job))
    job->progress (job, fraction, message, job->user_data);
  if (have_result)
    {
      if (job->done && !job_is_cancelled_locked (job))
        job->done (job, g_steal_pointer (&result), error, job->user_data);
      job_free_result (job, result);
    }
  return G_SOURCE_REMOVE;
}

static void
job_schedule_locked (RelJob *job)
{
  GSource *src;

  if (job->idle || job->cancelled)
    return;
  src = g_idle_source_new ();
  g_source_set_priority (src, JOB_PRIORITY);
  g_source_set_static_name (src, "[relevance] job delivery");
  g_source_set_callback (src, job_deliver, rel_job_ref (job), job_unref_notify);
  g_source_attach (src, job->context);
  job->idle = src;
}

static gpointer
job_thread (gpointer data)
{
  RelJob *job = data;
  GError *error = NULL;
  gpointer result;

  result = job->func (job, job->data, &error);
  if (job->data_free)
    job->data_free (job->data);
  job->data = NULL;

  g_mutex_lock (&job->mutex);
  job->finished = TRUE;
  if (!job->cancelled)
    {
      job->result = g_steal_pointer (&result);
      job->error = g_steal_pointer (&error);
      job->have_result = TRUE;
      /* the last progress would arrive with the result anyway */
      job->have_progress = FALSE;
      job_schedule_locked (job);
    }
  g_cond_broadcast (&job->cond);
  g_mutex_unlock (&job->mutex);

  job_free_result (job, result);
  g_clear_error (&error);
  rel_job_unref (job);
  return NULL;
}

RelJob *
rel_job_new (RelJobFunc func, gpointer data, GDestroyNotify data_free)
{
  RelJob *job;

  g_return_val_if_fail (func != NULL, NULL);
  job = g_new0 (RelJob, 1);
  job->ref_count = 1;
  g_mutex_init (&job->mutex);
  g_cond_init (&job->cond);
  job->context = g_main_context_ref_thread_default ();
  job->func = func;
  job->data = data;
  job->data_free = data_free;
  return job;
}

void
rel_job_set_progress_func (RelJob *job, RelJobProgressFunc progress)
{
  g_return_if_fail (job != NULL && !job->started);
  job->progress = progress;
}

void
rel_job_set_items_func (RelJob *job, RelJobItemsFunc items, GDestroyNotify item_free)
{
  g_return_if_fail (job != NULL && !job->started);
  job->items_func = items;
  job->item_free = item_free;
}

void
rel_job_set_done_func (RelJob *job, RelJobDoneFunc done, GDestroyNotify result_free)
{
  g_return_if_fail (job != NULL && !job->started);
  job->done = done;
  job->result_free = result_free;
}

void
rel_job_start (RelJob *job, gpointer user_data)
{
  g_return_if_fail (job != NULL && !job->started);
  job->user_data = user_data;
  job->started = TRUE;
  g_thread_unref (g_thread_new ("rel-job", job_thread, rel_job_ref (job)));
}

RelJob *
rel_job_run (RelJobFunc func, gpointer data, GDestroyNotify data_free,
             GDestroyNotify result_free,
             RelJobProgressFunc progress, RelJobDoneFunc done, gpointer user_data)
{
  RelJob *job = rel_job_new (func, data, data_free);

  if (job == NULL)
    return NULL;
  rel_job_set_progress_func (job, progress);
  rel_job_set_done_func (job, done, result_free);
  rel_job_start (job, user_data);
  return job;
}

void
rel_job_progress (RelJob *job, double fraction, const char *message)
{
  char *copy, *old;

  g_return_if_fail (job != NULL);
  if (g_atomic_int_get (&job->cancel))
    return;
  copy = g_strdup (message);
  g_mutex_lock (&job->mutex);
  old = job->message;
  job->message = copy;
  job->fraction = CLAMP (fraction, 0.0, 1.0);
  job->have_progress = TRUE;
  job_schedule_locked (job);
  g_mutex_unlock (&job->mutex);
  g_free (old);
}

void
rel_job_push (RelJob *job, gpointer item)
{
  gboolean taken = FALSE;

  g_return_if_fail (job != NULL);
  g_mutex_lock (&job->mutex);
  if (!job->cancelled)
    {
      if (job->items == NULL)
        job->items = job_new_items (job);
      g_ptr_array_add (job->items, item);
      job_schedule_locked (job);
      taken = TRUE;
    }
  g_mutex_unlock (&job->mutex);
  if (!taken && item && job->item_free)
    job->item_free (item);
}

gboolean
rel_job_is_cancelled (RelJob *job)
{
  g_return_val_if_fail (job != NULL, TRUE);
  return g_atomic_int_get (&job->cancel) != 0;
}

volatile gint *
rel_job_cancel_flag (RelJob *job)
{
  g_return_val_if_fail (job != NULL, NULL);
  return &job->cancel;
}

void
rel_job_cancel (RelJob *job)
{
  GSource *idle;
  gpointer result;
  GError *error;
  char *message;
  GPtrArray *items;

  g_return_if_fail (job != NULL);
  g_atomic_int_set (&job->cancel, 1);
  g_mutex_lock (&job->mutex);
  job->cancelled = TRUE;
  idle = g_steal_pointer (&job->idle);
  result = g_steal_pointer (&job->result);
  error = g_steal_pointer (&job->error);
  message = g_steal_pointer (&job->message);
  items = g_steal_pointer (&job->items);
  job->have_progress = FALSE;
  job->have_result = FALSE;
  g_mutex_unlock (&job->mutex);

  if (idle)
    {
      g_source_destroy (idle);
      g_source_unref (idle);
    }
  job_free_result (job, result);
  g_clear_error (&error);
  g_free (message);
  g_clear_pointer (&items, g_ptr_array_unref);
}

void
rel_job_wait (RelJob *job)
{
  g_return_if_fail (job != NULL);
  g_return_if_fail (job->started);
  g_mutex_lock (&job->mutex);
  while (!job->finished)
    g_cond_wait (&job->cond, &job->mutex);
  g_mutex_unlock (&job->mutex);
}
