/* rel-job.h — background work for the app: a live explainer that runs one
 * explanation at a time on its own thread (latest request wins), and a
 * generic cancellable job for other long work (model loading, folder scans).
 *
 * Both follow one pattern: the worker writes its latest state into a slot
 * under a mutex and, if none is pending yet, attaches ONE idle source to the
 * GMainContext that was thread-default when the object was created. The idle
 * callback takes whatever the slot holds by then, so a burst of progress
 * reports costs the main loop one callback carrying the newest state, and the
 * main loop never waits for the worker.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rel-explain.h"

G_BEGIN_DECLS

/* ---- the live explainer ---- */

typedef struct _RelExplainer RelExplainer;

/* One delivery on the main context. Everything is owned by the update and
 * freed after the callback returns; a callback that wants to keep the
 * explanation or the error may steal them (set the field to NULL), and keeps
 * the estimate with rel_tensor_ref. */
typedef struct {
  guint64         generation;  /* the submission this belongs to (rel_explainer_submit's value) */
  RelTensor      *estimate;    /* the running estimate (input-shaped), or the final relevance when
                                * is_final succeeded; NULL only on failure */
  double          fraction;    /* in [0, 1]; 1.0 when is_final */
  gboolean        is_final;    /* the last delivery of this generation */
  RelExplanation *explanation; /* is_final and succeeded; NULL otherwise */
  GError         *error;       /* is_final and failed; never REL_ERROR_CANCELLED for a superseded job */
  double          elapsed_ms;  /* wall time since the worker started this job */
} RelExplainUpdate;

typedef void (*RelExplainerFunc) (RelExplainer *explainer, RelExplainUpdate *update, gpointer user_data);

/* Creates the explainer and its worker thread. Deliveries go to the calling
 * thread's thread-default GMainContext (the global default if none is pushed). */
RelExplainer *rel_explainer_new    (void);

/* Queues an explanation and returns its generation (1, 2, …). The newest
 * submission wins: a running job is cancelled (its method stops at the next
 * batch or node) and a queued one replaced, and neither is ever delivered.
 * @model is referenced (the caller may drop or replace its own reference at
 * once); @input is referenced and must not be written afterwards; @params
 * (which carry the method) are copied. @callback runs on the main context,
 * zero or more times with progress and once with is_final — unless a newer
 * submission, rel_explainer_cancel or rel_explainer_free comes first.
 * @user_data is not owned: cancel or free the explainer before it goes away.
 * @batch_size as RelExplainRequest.batch_size (0: the method's default). */
guint64       rel_explainer_submit (RelExplainer *explainer, RelModel *model, RelTensor *input,
                                    const RelParams *params, const RelTarget *target, guint64 seed,
                                    int batch_size, RelExplainerFunc callback, gpointer user_data);

/* Cancels the running and the queued job; nothing more is delivered for
 * generations up to now. Returns at once (the worker stops at its next check). */
void          rel_explainer_cancel (RelExplainer *explainer);

/* The generation of the newest submission (0 before the first). */
guint64       rel_explainer_get_generation (RelExplainer *explainer);

/* TRUE while a job is queued or running on the worker. */
gboolean      rel_explainer_is_busy (RelExplainer *explainer);

/* Cancels everything, waits for the worker to notice (at most one node's
 * compute) and frees the explainer and the references it held. No callback
 * runs afterwards. Safe to call from inside a callback. Call it on the thread
 * that owns the main context. */
void          rel_explainer_free   (RelExplainer *explainer);

/* ---- generic jobs ---- */

typedef struct _RelJob RelJob;

/* Runs on the worker thread: returns a result (transfer full; freed with the
 * job's result_free if nobody takes it), or NULL with @error set. NULL
 * without an error is an empty result. */
typedef gpointer (*RelJobFunc)         (RelJob *job, gpointer data, GError **error);
/* On the main context: the latest progress (coalesced). @message may be NULL. */
typedef void     (*RelJobProgressFunc) (RelJob *job, double fraction, const char *message, gpointer user_data);
/* On the main context: the items pushed since the last call, in order, none
 * dropped (a folder scan's files, decoded thumbnails). The array frees what
 * is left in it afterwards; steal the items to keep them. */
typedef void     (*RelJobItemsFunc)    (RelJob *job, GPtrArray *items, gpointer user_data);
/* On the main context, exactly once unless the job was cancelled first, after
 * every item: the result (transfer full: the callback owns it) or the error
 * (borrowed). */
typedef void     (*RelJobDoneFunc)     (RelJob *job, gpointer result, const GError *error, gpointer user_data);

/* A job that runs @func (@data) on its own thread once started; @data_free
 * runs on the worker after @func returned. Deliveries go to the
 * thread-default main context of the thread calling rel_job_new. */
RelJob       *rel_job_new          (RelJobFunc func, gpointer data, GDestroyNotify data_free);
/* Before rel_job_start. @result_free / @item_free free what nobody received. */
void          rel_job_set_progress_func (RelJob *job, RelJobProgressFunc progress);
void          rel_job_set_items_func    (RelJob *job, RelJobItemsFunc items, GDestroyNotify item_free);
void          rel_job_set_done_func     (RelJob *job, RelJobDoneFunc done, GDestroyNotify result_free);
/* Starts the worker; callbacks get @user_data, which is not owned: cancel the
 * job before it goes away. The caller keeps its reference (rel_job_unref when
 * done with it; the job keeps running without it). */
void          rel_job_start        (RelJob *job, gpointer user_data);

/* rel_job_new + the setters + rel_job_start in one call. */
RelJob       *rel_job_run          (RelJobFunc func, gpointer data, GDestroyNotify data_free,
                                    GDestroyNotify result_free,
                                    RelJobProgressFunc progress, RelJobDoneFunc done,
                                    gpointer user_data);

/* Worker side. */
/* Reports progress; @message is copied. Cheap enough to call per item. */
void          rel_job_progress     (RelJob *job, double fraction, const char *message);
/* Queues @item (transfer full) for the items callback. */
void          rel_job_push         (RelJob *job, gpointer item);
gboolean      rel_job_is_cancelled (RelJob *job);
/* The flag to hand to RelExplainRequest.cancel or RelContext.cancel. */
volatile gint *rel_job_cancel_flag (RelJob *job);

/* Main side. Raises the cancel flag; from this call on no callback of the job
 * runs (when called on the main context's thread). Returns at once. */
void          rel_job_cancel       (RelJob *job);
/* Blocks until @func has returned and @data was freed (for shutdown and tests). */
void          rel_job_wait         (RelJob *job);

RelJob       *rel_job_ref          (RelJob *job);
void          rel_job_unref        (RelJob *job);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelExplainer, rel_explainer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelJob, rel_job_unref)

G_END_DECLS
