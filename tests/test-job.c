/* test-job.c — the live explainer and generic jobs: results identical to the
 * synchronous rel_explain, progressive and coalesced delivery on the main
 * context, latest-wins cancellation, errors, teardown while running.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-job.h"
#include "rel-npy.h"
#include "fixture-util.h"

#include <string.h>

#define TIMEOUT_S 15.0

static RelModel *
load_model (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("RELEVANCE_FIXTURES"), "tiny-cnn", "model.onnx", NULL);
  g_autoptr(GError) error = NULL;
  RelModel *m = rel_model_load (path, &error);
  g_assert_no_error (error);
  return m;
}

static RelTensor *
load_input (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("RELEVANCE_FIXTURES"), "tiny-cnn", "input.npy", NULL);
  g_autoptr(GError) error = NULL;
  RelTensor *t = rel_npy_load (path, &error);
  g_assert_no_error (error);
  return t;
}

static RelParams *
make_params (const char *method, const char *const *sets)
{
  const RelMethodDef *def = rel_method_lookup (method);
  RelParams *p;

  g_assert_nonnull (def);
  p = rel_params_new (def);
  for (int i = 0; sets && sets[i]; i++)
    {
      g_autoptr(GError) error = NULL;
      rel_params_set_assignment (p, sets[i], &error);
      g_assert_no_error (error);
    }
  return p;
}

static RelTarget
class_target (int a)
{
  RelTarget t = { REL_TARGET_CLASS, a, 0, FALSE };
  return t;
}

/* ---- the synchronous reference, with every progress estimate recorded ---- */

typedef struct {
  GPtrArray *estimates;  /* RelTensor* copies */
  GArray    *fractions;  /* double */
} SyncTrace;

static void
sync_progress (const RelTensor *estimate, double fraction, gpointer data)
{
  SyncTrace *t = data;
  g_ptr_array_add (t->estimates, rel_tensor_copy (estimate, NULL));
  g_array_append_val (t->fractions, fraction);
}

static RelExplanation *
explain_sync (RelModel *model, RelTensor *input, const RelParams *params, const RelTarget *target,
              guint64 seed, int batch_size, SyncTrace *trace)
{
  RelExplainRequest req = { 0 };
  g_autoptr(GError) error = NULL;
  RelExplanation *e;

  req.model = model;
  req.input = input;
  req.params = (RelParams *) params;
  req.target = *target;
  req.seed = seed;
  req.batch_size = batch_size;
  if (trace)
    {
      req.progress = sync_progress;
      req.progress_data = trace;
    }
  e = rel_explain (rel_params_method (params), &req, &error);
  g_assert_no_error (error);
  return e;
}

static void
assert_bitwise_equal (const RelTensor *a, const RelTensor *b)
{
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_true (rel_tensor_same_shape (a, b));
  g_assert_cmpint (memcmp (a->data, b->data, (gsize) a->numel * sizeof (float)), ==, 0);
}

/* ---- recording the deliveries ---- */

typedef struct {
  guint64   generation;
  RelTensor *estimate;
  double    fraction;
  gboolean  is_final;
  RelExplanation *explanation;
  GError   *error;
  double    elapsed_ms;
  gint64    when;          /* monotonic µs at delivery */
} Delivery;

typedef struct {
  GArray  *deliveries;     /* Delivery */
  gboolean block_first;    /* the first callback blocks until the worker is idle */
  int      finals;
  RelExplainer *free_me;   /* freed from inside the first callback */
} Recorder;

static void
delivery_clear (gpointer data)
{
  Delivery *d = data;
  g_clear_pointer (&d->estimate, rel_tensor_unref);
  g_clear_pointer (&d->explanation, rel_explanation_free);
  g_clear_error (&d->error);
}

static void
recorder_init (Recorder *r)
{
  memset (r, 0, sizeof *r);
  r->deliveries = g_array_new (FALSE, TRUE, sizeof (Delivery));
  g_array_set_clear_func (r->deliveries, delivery_clear);
}

static void
recorder_clear (Recorder *r)
{
  g_array_unref (r->deliveries);
}

static void wait_idle (RelExplainer *ex);

static void
record (RelExplainer *explainer, RelExplainUpdate *u, gpointer user_data)
{
  Recorder *r = user_data;
  Delivery d = { 0 };

  d.generation = u->generation;
  d.estimate = u->estimate ? rel_tensor_ref (u->estimate) : NULL;
  d.fraction = u->fraction;
  d.is_final = u->is_final;
  d.explanation = g_steal_pointer (&u->explanation);
  d.error = g_steal_pointer (&u->error);
  d.elapsed_ms = u->elapsed_ms;
  d.when = g_get_monotonic_time ();
  g_array_append_val (r->deliveries, d);
  if (u->is_final)
    r->finals++;
  if (r->block_first && r->deliveries->len == 1)
    wait_idle (explainer);
  if (r->free_me)
    g_clear_pointer (&r->free_me, rel_explainer_free);
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the default main context until *@done becomes non-zero. */
static void
spin_until (const int *done)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add ((guint) (TIMEOUT_S * 1000), timeout_cb, &timed_out);

  while (!*done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (id);
}

/* Dispatches whatever is ready now without blocking. */
static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
wait_idle (RelExplainer *ex)
{
  gint64 end = g_get_monotonic_time () + (gint64) (TIMEOUT_S * G_USEC_PER_SEC);
  while (rel_explainer_is_busy (ex))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (1000);
    }
}

static Delivery *
last_delivery (Recorder *r)
{
  g_assert_cmpuint (r->deliveries->len, >, 0);
  return &g_array_index (r->deliveries, Delivery, r->deliveries->len - 1);
}

/* ---- tests ---- */

/* Each method's asynchronous result is the synchronous one, bit for bit. */
static void
test_matches_sync (void)
{
  g_autoptr(RelModel) model = load_model ();
  g_autoptr(RelTensor) input = load_input ();
  g_autoptr(RelExplainer) ex = rel_explainer_new ();
  const char *const sg_sets[] = { "samples=48", "sigma=0.2", NULL };
  const char *const eps_sets[] = { "epsilon=0.25", NULL };
  struct { const char *method; const char *const *sets; guint64 seed; } cases[] = {
    { "smoothgrad", sg_sets, 1234 },
    { "gradient", NULL, 0 },
    { "lrp-epsilon", eps_sets, 0 },
    { "integrated-gradients", NULL, 7 },
  };
  RelTarget target = class_target (4);

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(RelParams) params = NULL;
      g_autoptr(RelExplanation) ref = NULL;
      Recorder r;
      guint64 gen;
      Delivery *d;

      if (rel_method_lookup (cases[c].method) == NULL)
        {
          fixture_missing ("method %s is not in the method table", cases[c].method);
          return;
        }
      params = make_params (cases[c].method, cases[c].sets);
      ref = explain_sync (model, input, params, &target, cases[c].seed, 0, NULL);
      recorder_init (&r);
      gen = rel_explainer_submit (ex, model, input, params, &target, cases[c].seed, 0, record, &r);
      g_assert_cmpuint (gen, ==, rel_explainer_get_generation (ex));
      spin_until (&r.finals);
      d = last_delivery (&r);
      g_assert_true (d->is_final);
      g_assert_cmpuint (d->generation, ==, gen);
      g_assert_cmpfloat (d->fraction, ==, 1.0);
      g_assert_no_error (d->error);
      g_assert_nonnull (d->explanation);
      assert_bitwise_equal (d->explanation->relevance, ref->relevance);
      /* the final estimate is the relevance itself */
      g_assert_true (d->estimate == d->explanation->relevance);
      g_assert_cmpint (d->explanation->target_class, ==, ref->target_class);
      g_assert_cmpfloat (d->explanation->explained_output, ==, ref->explained_output);
      g_assert_cmpfloat (d->explanation->relevance_sum, ==, ref->relevance_sum);
      g_assert_cmpfloat (d->elapsed_ms, >=, d->explanation->elapsed_ms);
      g_test_message ("%s: %u deliveries, %.2f ms", cases[c].method, r.deliveries->len, d->elapsed_ms);
      recorder_clear (&r);
    }
}

/* SmoothGrad's previews arrive in increasing fraction order, each one equal to
 * the synchronous run's estimate at that fraction, ending with one final 1.0. */
static void
test_progressive (void)
{
  g_autoptr(RelModel) model = load_model ();
  g_autoptr(RelTensor) input = load_input ();
  g_autoptr(RelExplainer) ex = rel_explainer_new ();
  const char *const sets[] = { "samples=120", NULL };
  g_autoptr(RelParams) params = make_params ("smoothgrad", sets);
  g_autoptr(RelExplanation) ref = NULL;
  RelTarget target = class_target (4);
  SyncTrace trace = { g_ptr_array_new_with_free_func ((GDestroyNotify) rel_tensor_unref),
                      g_array_new (FALSE, FALSE, sizeof (double)) };
  Recorder r;
  double last = -1;
  guint previews = 0;

  ref = explain_sync (model, input, params, &target, 99, 4, &trace);
  g_assert_cmpuint (trace.fractions->len, ==, 30);   /* 120 samples in batches of 4 */
  recorder_init (&r);
  rel_explainer_submit (ex, model, input, params, &target, 99, 4, record, &r);
  spin_until (&r.finals);
  g_assert_cmpint (r.finals, ==, 1);
  for (guint i = 0; i < r.deliveries->len; i++)
    {
      Delivery *d = &g_array_index (r.deliveries, Delivery, i);
      gboolean matched = FALSE;

      g_assert_cmpfloat (d->fraction, >, last);
      last = d->fraction;
      g_assert_nonnull (d->estimate);
      if (i + 1 < r.deliveries->len)
        {
          g_assert_false (d->is_final);
          g_assert_null (d->explanation);
          g_assert_cmpfloat (d->fraction, <, 1.0);
          previews++;
        }
      for (guint k = 0; k < trace.fractions->len; k++)
        if (g_array_index (trace.fractions, double, k) == d->fraction)
          {
            assert_bitwise_equal (d->estimate, g_ptr_array_index (trace.estimates, k));
            matched = TRUE;
          }
      g_assert_true (matched);
    }
  g_assert_true (last_delivery (&r)->is_final);
  g_assert_cmpfloat (last_delivery (&r)->fraction, ==, 1.0);
  assert_bitwise_equal (last_delivery (&r)->explanation->relevance, ref->relevance);
  g_test_message ("%u previews of 29 batches", previews);
  g_ptr_array_unref (trace.estimates);
  g_array_unref (trace.fractions);
  recorder_clear (&r);
}

/* A second submission cancels the running first: only the second's results
 * are delivered, and the long first job does not delay it. */
static void
test_supersede (void)
{
  g_autoptr(RelModel) model = load_model ();
  g_autoptr(RelTensor) input = load_input ();
  g_autoptr(RelExplainer) ex = rel_explainer_new ();
  const char *const long_sets[] = { "samples=100000", NULL };
  const char *const short_sets[] = { "samples=16", NULL };
  g_autoptr(RelParams) long_params = make_params ("smoothgrad", long_sets);
  g_autoptr(RelParams) short_params = make_params ("smoothgrad", short_sets);
  g_autoptr(RelExplanation) ref = NULL;
  RelTarget target = class_target (4);
  Recorder r;
  guint64 g1, g2;
  guint before;
  gint64 t0;

  ref = explain_sync (model, input, short_params, &target, 5, 0, NULL);
  recorder_init (&r);
  g1 = rel_explainer_submit (ex, model, input, long_params, &target, 1, 1, record, &r);
  /* wait until the first job is running and has delivered a preview */
  while (r.deliveries->len == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (last_delivery (&r)->generation, ==, g1);
  g_assert_false (last_delivery (&r)->is_final);
  before = r.deliveries->len;

  t0 = g_get_monotonic_time ();
  g2 = rel_explainer_submit (ex, model, input, short_params, &target, 5, 0, record, &r);
  g_assert_cmpuint (g2, ==, g1 + 1);
  spin_until (&r.finals);
  /* 100000 single-sample batches would take minutes */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);
  for (guint i = before; i < r.deliveries->len; i++)
    g_assert_cmpuint (g_array_index (r.deliveries, Delivery, i).generation, ==, g2);
  g_assert_cmpint (r.finals, ==, 1);
  assert_bitwise_equal (last_delivery (&r)->explanation->relevance, ref->relevance);
  wait_idle (ex);
  drain ();
  g_assert_cmpint (r.finals, ==, 1);
  recorder_clear (&r);

  /* three submissions before the loop runs: the middle one is replaced in the
   * queue and never delivers anything; only the last one finishes */
  {
    g_autoptr(RelParams) grad = make_params ("gradient", NULL);
    g_autoptr(RelExplanation) gref = explain_sync (model, input, grad, &target, 0, 0, NULL);
    guint64 a, b, c;

    recorder_init (&r);
    a = rel_explainer_submit (ex, model, input, long_params, &target, 1, 1, record, &r);
    b = rel_explainer_submit (ex, model, input, short_params, &target, 2, 0, record, &r);
    c = rel_explainer_submit (ex, model, input, grad, &target, 0, 0, record, &r);
    g_assert_cmpuint (b, ==, a + 1);
    g_assert_cmpuint (c, ==, b + 1);
    spin_until (&r.finals);
    wait_idle (ex);
    drain ();
    for (guint i = 0; i < r.deliveries->len; i++)
      g_assert_cmpuint (g_array_index (r.deliveries, Delivery, i).generation, ==, c);
    g_assert_cmpint (r.finals, ==, 1);
    assert_bitwise_equal (last_delivery (&r)->explanation->relevance, gref->relevance);
    recorder_clear (&r);
  }

  /* cancel: nothing at all is delivered afterwards */
  recorder_init (&r);
  rel_explainer_submit (ex, model, input, long_params, &target, 1, 1, record, &r);
  while (r.deliveries->len == 0)
    g_main_context_iteration (NULL, TRUE);
  before = r.deliveries->len;
  rel_explainer_cancel (ex);
  wait_idle (ex);
  drain ();
  g_assert_cmpuint (r.deliveries->len, ==, before);
  g_assert_cmpint (r.finals, ==, 0);
  recorder_clear (&r);
}

/* While the main loop is blocked the worker keeps overwriting one slot: the
 * loop then sees a single delivery, the final one. A consumer stuck in a
 * callback sees, after it, only the newest state, still ending with the final. */
static void
test_coalescing (void)
{
  g_autoptr(RelModel) model = load_model ();
  g_autoptr(RelTensor) input = load_input ();
  g_autoptr(RelExplainer) ex = rel_explainer_new ();
  const char *const sets[] = { "samples=200", NULL };
  g_autoptr(RelParams) params = make_params ("smoothgrad", sets);
  g_autoptr(RelExplanation) ref = NULL;
  RelTarget target = class_target (4);
  Recorder r;
  double last = -1;

  ref = explain_sync (model, input, params, &target, 3, 2, NULL);

  recorder_init (&r);
  rel_explainer_submit (ex, model, input, params, &target, 3, 2, record, &r);
  wait_idle (ex);           /* 100 batches reported while nobody listens */
  spin_until (&r.finals);
  drain ();
  g_assert_cmpuint (r.deliveries->len, ==, 1);
  g_assert_true (last_delivery (&r)->is_final);
  assert_bitwise_equal (last_delivery (&r)->explanation->relevance, ref->relevance);
  recorder_clear (&r);

  /* the first preview's handler outlasts the rest of the job: the 99 batches
   * reported meanwhile collapse into the one final delivery */
  recorder_init (&r);
  r.block_first = TRUE;
  rel_explainer_submit (ex, model, input, params, &target, 3, 2, record, &r);
  spin_until (&r.finals);
  drain ();
  g_assert_cmpuint (r.deliveries->len, <=, 2);
  g_assert_cmpint (r.finals, ==, 1);
  g_assert_true (last_delivery (&r)->is_final);
  for (guint i = 0; i < r.deliveries->len; i++)
    {
      Delivery *d = &g_array_index (r.deliveries, Delivery, i);
      g_assert_cmpfloat (d->fraction, >, last);
      last = d->fraction;
    }
  assert_bitwise_equal (last_delivery (&r)->explanation->relevance, ref->relevance);
  recorder_clear (&r);
}

/* A bad target arrives as a GError in the final delivery. */
static void
test_error (void)
{
  g_autoptr(RelModel) model = load_model ();
  g_autoptr(RelTensor) input = load_input ();
  g_autoptr(RelExplainer) ex = rel_explainer_new ();
  g_autoptr(RelParams) params = make_params ("gradient", NULL);
  RelTarget target = class_target (99);
  Recorder r;
  Delivery *d;

  recorder_init (&r);
  rel_explainer_submit (ex, model, input, params, &target, 0, 0, record, &r);
  spin_until (&r.finals);
  g_assert_cmpuint (r.deliveries->len, ==, 1);
  d = last_delivery (&r);
  g_assert_true (d->is_final);
  g_assert_error (d->error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT);
  g_assert_null (d->explanation);
  g_assert_null (d->estimate);
  recorder_clear (&r);

  /* the explainer keeps working after an error */
  recorder_init (&r);
  target = class_target (4);
  rel_explainer_submit (ex, model, input, params, &target, 0, 0, record, &r);
  spin_until (&r.finals);
  g_assert_no_error (last_delivery (&r)->error);
  g_assert_nonnull (last_delivery (&r)->explanation);
  recorder_clear (&r);
}

/* The caller drops its model right after submitting (the UI replaced it): the
 * job keeps its own reference, and the result is still right. Freeing the
 * explainer mid-job returns within about one batch and delivers nothing. */
static void
test_lifetimes (void)
{
  g_autoptr(RelTensor) input = load_input ();
  const char *const long_sets[] = { "samples=100000", NULL };
  g_autoptr(RelParams) long_params = make_params ("smoothgrad", long_sets);
  g_autoptr(RelParams) grad = make_params ("gradient", NULL);
  RelTarget target = class_target (4);
  RelExplainer *ex = rel_explainer_new ();
  Recorder r;
  gint64 t0, took;

  {
    g_autoptr(RelModel) keep = load_model ();
    g_autoptr(RelExplanation) ref = explain_sync (keep, input, grad, &target, 0, 0, NULL);
    RelModel *m = load_model ();

    recorder_init (&r);
    rel_explainer_submit (ex, m, input, grad, &target, 0, 0, record, &r);
    rel_model_unref (m);
    spin_until (&r.finals);
    assert_bitwise_equal (last_delivery (&r)->explanation->relevance, ref->relevance);
    recorder_clear (&r);
  }

  recorder_init (&r);
  {
    RelModel *m = load_model ();
    rel_explainer_submit (ex, m, input, long_params, &target, 1, 1, record, &r);
    rel_model_unref (m);
  }
  while (r.deliveries->len == 0)
    g_main_context_iteration (NULL, TRUE);
  t0 = g_get_monotonic_time ();
  rel_explainer_free (ex);
  took = g_get_monotonic_time () - t0;
  g_test_message ("free while running took %.2f ms", took / 1000.0);
  g_assert_cmpint (took, <, G_USEC_PER_SEC / 2);
  {
    guint before = r.deliveries->len;
    g_usleep (20000);
    drain ();
    g_assert_cmpuint (r.deliveries->len, ==, before);
  }
  recorder_clear (&r);

  /* freeing from inside a callback, with a job still running */
  ex = rel_explainer_new ();
  recorder_init (&r);
  {
    g_autoptr(RelModel) m = load_model ();
    r.free_me = ex;
    rel_explainer_submit (ex, m, input, long_params, &target, 1, 1, record, &r);
  }
  while (r.free_me)
    g_main_context_iteration (NULL, TRUE);
  g_usleep (20000);
  drain ();
  g_assert_cmpuint (r.deliveries->len, ==, 1);
  recorder_clear (&r);
}

/* ---- generic jobs ---- */

typedef struct {
  int     steps;
  gboolean until_cancelled;
  gboolean fail;
  gint   *data_freed;
  gint   *steps_done;   /* optional: published after each step */
} CountArgs;

typedef struct {
  int      progress_calls;
  double   last_fraction;
  char    *last_message;
  gboolean monotonic;
  int      done_calls;
  int     *result;
  GError  *error;
  const gint *steps_done;  /* set: each callback blocks until 50 more steps are done */
  int      steps;
} JobLog;

static gint results_freed;

static void
count_args_free (gpointer data)
{
  CountArgs *a = data;
  g_atomic_int_inc (a->data_freed);
  g_free (a);
}

static void
result_free (gpointer data)
{
  g_atomic_int_inc (&results_freed);
  g_free (data);
}

static gpointer
count_func (RelJob *job, gpointer data, GError **error)
{
  CountArgs *a = data;
  int *result;
  int i;

  for (i = 0; a->until_cancelled || i < a->steps; i++)
    {
      g_autofree char *msg = NULL;

      if (rel_job_is_cancelled (job))
        break;
      if (a->until_cancelled && i > 1000000)
        break;   /* never hang the suite */
      msg = g_strdup_printf ("step %d", i + 1);
      rel_job_progress (job, a->steps > 0 ? (double) (i + 1) / a->steps : 0.5, msg);
      if (a->steps_done)
        g_atomic_int_set (a->steps_done, i + 1);
      g_usleep (100);
    }
  if (a->fail)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "failed after %d steps", i);
      return NULL;
    }
  result = g_new (int, 1);
  *result = i;
  return result;
}

static void
job_progress (RelJob *job, double fraction, const char *message, gpointer user_data)
{
  JobLog *log = user_data;
  if (fraction < log->last_fraction)
    log->monotonic = FALSE;
  log->last_fraction = fraction;
  g_free (log->last_message);
  log->last_message = g_strdup (message);
  log->progress_calls++;
  if (log->steps_done)
    {
      /* a slow handler: the worker runs 50 steps (or to the end) meanwhile */
      int until = MIN ((int) (fraction * log->steps + 0.5) + 50, log->steps);
      gint64 end = g_get_monotonic_time () + (gint64) (TIMEOUT_S * G_USEC_PER_SEC);
      while (g_atomic_int_get (log->steps_done) < until)
        {
          g_assert_cmpint (g_get_monotonic_time (), <, end);
          g_usleep (500);
        }
    }
}

static void
job_done (RelJob *job, gpointer result, const GError *error, gpointer user_data)
{
  JobLog *log = user_data;
  log->done_calls++;
  log->result = result;
  log->error = error ? g_error_copy (error) : NULL;
}

static void
job_log_clear (JobLog *log)
{
  g_free (log->result);
  g_free (log->last_message);
  g_clear_error (&log->error);
}

static void
test_job_progress (void)
{
  gint freed = 0, steps_done = 0;
  JobLog log = { .monotonic = TRUE };
  CountArgs *a = g_new0 (CountArgs, 1);
  g_autoptr(RelJob) job = NULL;
  g_autofree char *want = NULL;

  a->steps = 300;
  a->data_freed = &freed;
  a->steps_done = &steps_done;
  log.steps_done = &steps_done;
  log.steps = 300;
  job = rel_job_run (count_func, a, count_args_free, result_free, job_progress, job_done, &log);
  spin_until (&log.done_calls);
  drain ();
  g_test_message ("%d progress callbacks for 300 steps", log.progress_calls);
  g_assert_cmpint (log.done_calls, ==, 1);
  g_assert_cmpint (g_atomic_int_get (&freed), ==, 1);
  g_assert_no_error (log.error);
  g_assert_nonnull (log.result);
  g_assert_cmpint (*log.result, ==, 300);
  g_assert_true (log.monotonic);
  /* each delivery skips the ≥ 49 reports made while the previous one ran */
  g_assert_cmpint (log.progress_calls, >=, 1);
  g_assert_cmpint (log.progress_calls, <=, 300 / 50 + 1);
  /* every message delivered belongs to the fraction it came with */
  want = g_strdup_printf ("step %d", (int) (log.last_fraction * 300 + 0.5));
  g_assert_cmpstr (log.last_message, ==, want);
  job_log_clear (&log);

  /* blocked main loop: the result alone is delivered */
  {
    JobLog log2 = { .monotonic = TRUE };
    g_autoptr(RelJob) job2 = NULL;

    a = g_new0 (CountArgs, 1);
    a->steps = 200;
    a->data_freed = &freed;
    job2 = rel_job_run (count_func, a, count_args_free, result_free, job_progress, job_done, &log2);
    rel_job_wait (job2);
    g_assert_cmpint (g_atomic_int_get (&freed), ==, 2);
    drain ();
    g_assert_cmpint (log2.progress_calls, ==, 0);
    g_assert_cmpint (log2.done_calls, ==, 1);
    g_assert_cmpint (*log2.result, ==, 200);
    job_log_clear (&log2);
  }
}

static void
test_job_error_and_cancel (void)
{
  gint freed = 0;
  int freed_before;

  /* an error reaches done() */
  {
    JobLog log = { .monotonic = TRUE };
    CountArgs *a = g_new0 (CountArgs, 1);
    g_autoptr(RelJob) job = NULL;

    a->steps = 3;
    a->fail = TRUE;
    a->data_freed = &freed;
    job = rel_job_run (count_func, a, count_args_free, result_free, NULL, job_done, &log);
    spin_until (&log.done_calls);
    g_assert_error (log.error, REL_ERROR, REL_ERROR_PARSE);
    g_assert_null (log.result);
    job_log_clear (&log);
  }

  /* cancelling stops the worker and silences every callback; the result
   * nobody received is freed */
  {
    JobLog log = { .monotonic = TRUE };
    CountArgs *a = g_new0 (CountArgs, 1);
    g_autoptr(RelJob) job = NULL;

    a->until_cancelled = TRUE;
    a->data_freed = &freed;
    freed_before = g_atomic_int_get (&results_freed);
    job = rel_job_run (count_func, a, count_args_free, result_free, job_progress, job_done, &log);
    while (log.progress_calls == 0)
      g_main_context_iteration (NULL, TRUE);
    rel_job_cancel (job);
    g_assert_true (rel_job_is_cancelled (job));
    g_assert_cmpint (*rel_job_cancel_flag (job), !=, 0);
    rel_job_wait (job);
    g_usleep (10000);
    drain ();
    g_assert_cmpint (log.progress_calls, ==, 1);
    g_assert_cmpint (log.done_calls, ==, 0);
    g_assert_cmpint (g_atomic_int_get (&results_freed), ==, freed_before + 1);
    job_log_clear (&log);
  }
  g_assert_cmpint (g_atomic_int_get (&freed), ==, 2);
}

/* ---- ordered item streams ---- */

typedef struct {
  int   n;
  int   cancel_after;   /* > 0: wait for cancellation after pushing this many */
} PushArgs;

typedef struct {
  GArray *seen;          /* int, in delivery order */
  int     batches;
  int     seen_at_done;
  int     done_calls;
  int    *result;
  RelJob *cancel_me;     /* cancelled from inside the first items callback */
} ItemLog;

static gint items_freed;

static void
item_free (gpointer item)
{
  g_atomic_int_inc (&items_freed);
  g_free (item);
}

static gpointer
push_func (RelJob *job, gpointer data, GError **error)
{
  PushArgs *a = data;
  int *count = g_new (int, 1);

  for (*count = 0; *count < a->n; (*count)++)
    {
      int *item = g_new (int, 1);
      *item = *count;
      rel_job_push (job, item);
      if (a->cancel_after > 0 && *count + 1 == a->cancel_after)
        {
          gint64 end = g_get_monotonic_time () + (gint64) (TIMEOUT_S * G_USEC_PER_SEC);
          while (!rel_job_is_cancelled (job) && g_get_monotonic_time () < end)
            g_usleep (1000);
        }
      if ((*count & 63) == 0)
        g_usleep (200);
    }
  return count;
}

static void
items_cb (RelJob *job, GPtrArray *items, gpointer user_data)
{
  ItemLog *log = user_data;

  log->batches++;
  /* steal half of them, leave the rest for the array to free */
  for (guint i = 0; i < items->len; i++)
    g_array_append_val (log->seen, *(int *) g_ptr_array_index (items, i));
  if (items->len > 0)
    g_free (g_ptr_array_steal_index (items, 0));
  if (log->cancel_me)
    {
      rel_job_cancel (log->cancel_me);
      log->cancel_me = NULL;
    }
}

static void
items_done (RelJob *job, gpointer result, const GError *error, gpointer user_data)
{
  ItemLog *log = user_data;
  g_assert_no_error (error);
  log->done_calls++;
  log->seen_at_done = (int) log->seen->len;
  log->result = result;
}

static RelJob *
start_push_job (int n, int cancel_after, ItemLog *log)
{
  PushArgs *a = g_new0 (PushArgs, 1);
  RelJob *job;

  a->n = n;
  a->cancel_after = cancel_after;
  memset (log, 0, sizeof *log);
  log->seen = g_array_new (FALSE, FALSE, sizeof (int));
  job = rel_job_new (push_func, a, g_free);
  rel_job_set_items_func (job, items_cb, item_free);
  rel_job_set_done_func (job, items_done, g_free);
  rel_job_start (job, log);
  return job;
}

/* Items arrive in order, none lost, all before done(); a blocked loop gets
 * them in one batch; items left behind by a cancel are freed. */
static void
test_job_items (void)
{
  ItemLog log;
  int freed_before;

  {
    g_autoptr(RelJob) job = start_push_job (2000, 0, &log);
    spin_until (&log.done_calls);
    drain ();
    g_assert_cmpint (log.done_calls, ==, 1);
    g_assert_cmpuint (log.seen->len, ==, 2000);
    g_assert_cmpint (log.seen_at_done, ==, 2000);
    for (int i = 0; i < 2000; i++)
      g_assert_cmpint (g_array_index (log.seen, int, i), ==, i);
    g_assert_cmpint (*log.result, ==, 2000);
    g_test_message ("2000 items in %d batches", log.batches);
    g_free (log.result);
    g_array_unref (log.seen);
  }

  {
    g_autoptr(RelJob) job = start_push_job (500, 0, &log);
    rel_job_wait (job);
    drain ();
    g_assert_cmpint (log.batches, ==, 1);
    g_assert_cmpuint (log.seen->len, ==, 500);
    g_assert_cmpint (g_array_index (log.seen, int, 499), ==, 499);
    g_assert_cmpint (log.done_calls, ==, 1);
    g_free (log.result);
    g_array_unref (log.seen);
  }

  /* cancelled from the first batch's callback: no further batch or done();
   * every item pushed is freed exactly once (given ones by the test) */
  freed_before = g_atomic_int_get (&items_freed);
  {
    g_autoptr(RelJob) job = start_push_job (300, 100, &log);
    guint seen;

    log.cancel_me = job;
    while (log.batches == 0)
      g_main_context_iteration (NULL, TRUE);
    seen = log.seen->len;
    rel_job_wait (job);
    g_usleep (10000);
    drain ();
    g_assert_cmpint (log.batches, ==, 1);
    g_assert_cmpuint (log.seen->len, ==, seen);
    g_assert_cmpint (log.done_calls, ==, 0);
    /* one item per batch was stolen (g_free), the rest went through item_free */
    g_assert_cmpint (g_atomic_int_get (&items_freed) - freed_before, ==, 300 - 1);
    g_array_unref (log.seen);
  }
}

/* The pattern the app uses for loading: a model built on a worker. */
static gpointer
load_model_func (RelJob *job, gpointer data, GError **error)
{
  rel_job_progress (job, 0.0, "Loading");
  return rel_model_load (data, error);
}

static void
model_done (RelJob *job, gpointer result, const GError *error, gpointer user_data)
{
  RelModel **out = user_data;
  g_assert_no_error (error);
  *out = result;
}

static void
test_job_load_model (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("RELEVANCE_FIXTURES"), "tiny-cnn", "model.onnx", NULL);
  RelModel *model = NULL;
  g_autoptr(RelJob) job = rel_job_run (load_model_func, g_strdup (path), g_free,
                                       (GDestroyNotify) rel_model_unref, NULL, model_done, &model);
  gboolean timed_out = FALSE;
  guint id = g_timeout_add ((guint) (TIMEOUT_S * 1000), timeout_cb, &timed_out);

  while (model == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
  g_assert_nonnull (model);
  g_assert_cmpint (rel_model_num_classes (model), ==, 10);
  rel_model_unref (model);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/job/explainer/matches-sync", test_matches_sync);
  g_test_add_func ("/job/explainer/progressive", test_progressive);
  g_test_add_func ("/job/explainer/supersede", test_supersede);
  g_test_add_func ("/job/explainer/coalescing", test_coalescing);
  g_test_add_func ("/job/explainer/error", test_error);
  g_test_add_func ("/job/explainer/lifetimes", test_lifetimes);
  g_test_add_func ("/job/generic/progress", test_job_progress);
  g_test_add_func ("/job/generic/error-cancel", test_job_error_and_cancel);
  g_test_add_func ("/job/generic/items", test_job_items);
  g_test_add_func ("/job/generic/load-model", test_job_load_model);
  return g_test_run ();
}
