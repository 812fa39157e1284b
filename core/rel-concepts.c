/* rel-concepts.c — Concept Relevance Propagation (see rel-concepts.h).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-concepts.h"
#include "rel-error.h"
#include "rel-file.h"
#include "rel-image.h"

#include <math.h>
#include <string.h>

/* ---- layers ---- */

static gboolean
is_layer_node (const RelNode *node)
{
  return node->op != NULL && node->op->klass == REL_OP_CLASS_LINEAR;
}

char **
rel_concept_layers (RelModel *model)
{
  GPtrArray *names = g_ptr_array_new ();

  for (int i = 0; i < model->n_nodes; i++)
    if (is_layer_node (&model->nodes[i]))
      g_ptr_array_add (names, g_strdup (model->nodes[i].name));
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

gboolean
rel_concept_value_is_cut (RelModel *model, int value)
{
  int n_values = (int) model->values->len;
  g_autofree gboolean *reached = NULL;

  if (value == model->input || value == model->output)
    return TRUE;
  if (value < 0 || value >= n_values)
    return FALSE;
  /* nodes are in topological order: one sweep finds what the input reaches
   * without passing through @value */
  reached = g_new0 (gboolean, n_values);
  reached[model->input] = TRUE;
  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      gboolean r = FALSE;
      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] >= 0 && node->inputs[k] != value && reached[node->inputs[k]])
          r = TRUE;
      for (int o = 0; o < node->n_outputs; o++)
        if (node->outputs[o] != value)
          reached[node->outputs[o]] |= r;
    }
  return !reached[model->output];
}

/* The spatial size of a node's first output from the declared shapes is not
 * always known, so the default layer asks a shape-only forward pass. */
static int64_t
spatial_size (RelModel *model, RelActivations *acts, int value)
{
  RelTensor *t = acts ? rel_activations_get (acts, value) : NULL;
  int64_t s = 1;

  if (t == NULL || t->ndim < 3)
    return t ? 1 : -1;
  for (int d = 2; d < t->ndim; d++)
    s *= t->shape[d];
  (void) model;
  return s;
}

int
rel_concept_default_layer (RelModel *model)
{
  g_autoptr(RelActivations) acts = NULL;
  int last_conv = -1, last_cut_conv = -1, last_cut_map = -1;

  for (int i = 0; i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      if (!rel_node_has (node, REL_OP_CONVOLUTION) || node->n_outputs < 1)
        continue;
      last_conv = i;
      if (rel_concept_value_is_cut (model, node->outputs[0]))
        last_cut_conv = i;
    }
  if (last_conv < 0)
    return -1;
  /* a cut conv after which no bypassed conv follows is the answer */
  {
    gboolean later_conv = FALSE;
    for (int i = last_cut_conv + 1; last_cut_conv >= 0 && i <= last_conv; i++)
      if (rel_node_has (&model->nodes[i], REL_OP_CONVOLUTION))
        later_conv = TRUE;
    if (last_cut_conv >= 0 && !later_conv)
      return last_cut_conv;
  }
  /* residual networks: the last cut with a spatial map after the last conv */
  {
    int64_t shape[REL_MAX_DIMS];
    int ndim;
    g_autoptr(RelTensor) x = NULL;
    RelContext ctx;

    rel_context_init (&ctx);
    if (rel_model_input_shape (model, 1, &ndim, shape, NULL) && (x = rel_tensor_new_f32 (ndim, shape, NULL)))
      acts = rel_model_forward (model, x, &ctx, NULL);
  }
  for (int i = last_conv + 1; acts && i < model->n_nodes; i++)
    {
      const RelNode *node = &model->nodes[i];
      RelTensor *t;
      if (node->n_outputs < 1 || !(t = rel_activations_get (acts, node->outputs[0])) || t->ndim != 4)
        continue;
      if (spatial_size (model, acts, node->outputs[0]) > 1 && rel_concept_value_is_cut (model, node->outputs[0]))
        last_cut_map = i;
    }
  if (last_cut_map >= 0)
    return last_cut_map;
  return last_cut_conv >= 0 ? last_cut_conv : last_conv;
}

gboolean
rel_concept_resolve_layer (RelModel *model, const char *name, int *node, int *value, GError **error)
{
  int n = -1;

  if (name == NULL || *name == '\0')
    {
      n = rel_concept_default_layer (model);
      if (n < 0)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "the model has no convolution to take concepts from: name a layer");
          return FALSE;
        }
    }
  else
    {
      for (int i = 0; i < model->n_nodes && n < 0; i++)
        if (strcmp (model->nodes[i].name, name) == 0)
          n = i;
      for (int i = 0; i < model->n_nodes && n < 0; i++)
        for (int o = 0; o < model->nodes[i].n_outputs; o++)
          if (strcmp (rel_model_value (model, model->nodes[i].outputs[o])->name, name) == 0)
            n = i;
    }
  if (n < 0 || model->nodes[n].n_outputs < 1)
    {
      g_auto(GStrv) layers = rel_concept_layers (model);
      g_autofree char *list = g_strjoinv (", ", layers);
      g_autofree char *shown = rel_quote (name, -1);
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "the model has no layer '%s' (layers: %s)", shown, *list ? list : "none");
      return FALSE;
    }
  if (node)
    *node = n;
  if (value)
    *value = model->nodes[n].outputs[0];
  return TRUE;
}

/* ---- concept relevance ---- */

GArray *
rel_concepts_compute (RelRelevancePass *pass, int value, double *total, GError **error)
{
  g_autoptr(RelTensor) r = rel_relevance_pass_relevance_at (pass, value, error);
  GArray *out;
  int64_t c_count, inner;
  double sum = 0, sum_abs = 0;
  const float *d;

  if (r == NULL)
    return NULL;
  c_count = r->shape[1];
  inner = r->numel / c_count;
  d = rel_tensor_f32 (r);
  out = g_array_sized_new (FALSE, TRUE, sizeof (RelConcept), (guint) c_count);
  for (int64_t c = 0; c < c_count; c++)
    {
      RelConcept k = { (int) c, 0, 0 };
      for (int64_t i = 0; i < inner; i++)
        k.relevance += d[c * inner + i];
      sum += k.relevance;
      sum_abs += fabs (k.relevance);
      g_array_append_val (out, k);
    }
  /* shares of Σ|R|: a layer's relevance may nearly cancel (ε layers pass
   * negative relevance), and a share of a near-zero sum says nothing */
  for (guint c = 0; c < out->len; c++)
    g_array_index (out, RelConcept, c).share = sum_abs > 0 ? g_array_index (out, RelConcept, c).relevance / sum_abs : 0;
  if (total)
    *total = sum;
  return out;
}

static int
cmp_abs (gconstpointer a, gconstpointer b)
{
  const RelConcept *x = a, *y = b;
  double u = fabs (x->relevance), v = fabs (y->relevance);
  return u > v ? -1 : u < v ? 1 : x->channel - y->channel;
}

static int
cmp_pos (gconstpointer a, gconstpointer b)
{
  const RelConcept *x = a, *y = b;
  return x->relevance > y->relevance ? -1 : x->relevance < y->relevance ? 1 : x->channel - y->channel;
}

GArray *
rel_concepts_top (const GArray *concepts, int k, RelConceptRank rank)
{
  GArray *out = g_array_sized_new (FALSE, TRUE, sizeof (RelConcept), concepts->len);

  g_array_append_vals (out, concepts->data, concepts->len);
  g_array_sort (out, rank == REL_CONCEPT_RANK_ABS ? cmp_abs : cmp_pos);
  if (k >= 0 && (guint) k < out->len)
    g_array_set_size (out, (guint) k);
  return out;
}

RelTensor *
rel_concept_heatmaps (RelRelevancePass *pass, int value, const int *channels, int n, GError **error)
{
  RelTensor *a = rel_relevance_pass_activation (pass, value);
  g_autofree float *masks = NULL;
  int64_t c_count;

  if (a == NULL || a->ndim < 2)
    return rel_relevance_pass_conditional (pass, value, NULL, 0, 0, 0, error);   /* names the problem */
  c_count = a->shape[1];
  if (n < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "no channels to condition on");
      return NULL;
    }
  masks = g_new0 (float, (gsize) n * (gsize) c_count);
  for (int k = 0; k < n; k++)
    {
      if (channels[k] < 0 || channels[k] >= c_count)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "channel %d is out of range: layer '%s' has channels 0–%" G_GINT64_FORMAT,
                       channels[k], rel_model_value (rel_relevance_pass_model (pass), value)->name, c_count - 1);
          return NULL;
        }
      masks[(int64_t) k * c_count + channels[k]] = 1.f;
    }
  return rel_relevance_pass_conditional (pass, value, masks, c_count, n, 8, error);
}

/* ---- hierarchy ---- */

int
rel_concept_layer_below (RelModel *model, int node)
{
  for (int i = MIN (node, model->n_nodes) - 1; i >= 0; i--)
    if (is_layer_node (&model->nodes[i]) && model->nodes[i].n_outputs >= 1)
      return i;
  return -1;
}

GArray *
rel_concept_subconcepts (RelRelevancePass *pass, int value, int channel, int lower, GError **error)
{
  RelTensor *a = rel_relevance_pass_activation (pass, value);
  g_autofree float *mask = NULL;
  g_autoptr(RelTensor) r = NULL;
  GArray *out;
  int64_t c_count, inner;
  double sum_abs = 0;

  if (a == NULL || a->ndim < 2)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "the layer has no channels");
      return NULL;
    }
  if (channel < 0 || channel >= a->shape[1])
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "channel %d is out of range: layer '%s' has channels 0–%" G_GINT64_FORMAT,
                   channel, rel_model_value (rel_relevance_pass_model (pass), value)->name, a->shape[1] - 1);
      return NULL;
    }
  mask = g_new0 (float, a->shape[1]);
  mask[channel] = 1.f;
  if (!(r = rel_relevance_pass_conditional_at (pass, value, mask, a->shape[1], 1, lower, 1, error)))
    return NULL;
  if (r->ndim < 2)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "the layer below has no channels");
      return NULL;
    }
  c_count = r->shape[1];
  inner = r->numel / c_count;
  out = g_array_sized_new (FALSE, TRUE, sizeof (RelConcept), (guint) c_count);
  for (int64_t c = 0; c < c_count; c++)
    {
      RelConcept k = { (int) c, 0, 0 };
      for (int64_t i = 0; i < inner; i++)
        k.relevance += rel_tensor_f32 (r)[c * inner + i];
      sum_abs += fabs (k.relevance);
      g_array_append_val (out, k);
    }
  for (guint c = 0; c < out->len; c++)
    g_array_index (out, RelConcept, c).share = sum_abs > 0 ? g_array_index (out, RelConcept, c).relevance / sum_abs : 0;
  return out;
}

/* ---- reference images ---- */

void
rel_concept_references_free (RelConceptReferences *refs)
{
  if (refs == NULL)
    return;
  for (int c = 0; c < refs->n_channels; c++)
    if (refs->refs[c])
      g_array_unref (refs->refs[c]);
  g_free (refs->refs);
  g_free (refs);
}

/* Keeps @list sorted best first and at most @max long. */
static void
refs_offer (GArray *list, int max, const RelConceptReference *r)
{
  guint pos = list->len;

  while (pos > 0 && g_array_index (list, RelConceptReference, pos - 1).value < r->value)
    pos--;
  if ((int) pos >= max)
    return;
  g_array_insert_val (list, pos, *r);
  if ((int) list->len > max)
    g_array_set_size (list, (guint) max);
}

/* Receptive fields as zennit-crp finds them: an all-flat LRP pass (every
 * linear layer spreads relevance evenly over its window) on an input of
 * ones, sent down from one position of the layer; the field is the bounding
 * box of the input pixels that get any relevance. Per position, not per
 * channel: flat weights connect every channel alike. */
typedef struct {
  RelRelevancePass *pass;
  int               value;
  int64_t           c_count, h, w;
  int              *boxes;   /* 4 per position; width −1: not computed */
} ReceptiveFields;

static gboolean
fields_init (ReceptiveFields *rf, RelModel *model, int value, GError **error)
{
  const RelMethodDef *flat = rel_method_lookup ("lrp-flat");
  g_autoptr(RelTensor) ones = NULL;
  int64_t shape[REL_MAX_DIMS];
  int ndim;
  RelExplainRequest req = { 0 };
  RelTensor *a;

  memset (rf, 0, sizeof *rf);
  if (flat == NULL || !rel_model_input_shape (model, 1, &ndim, shape, error)
      || !(ones = rel_tensor_new_f32 (ndim, shape, error)))
    return FALSE;
  rel_tensor_fill (ones, 1.f);
  req.model = model;
  req.input = ones;
  if (!(rf->pass = rel_relevance_pass_new (flat, &req, error)))
    return FALSE;
  a = rel_relevance_pass_activation (rf->pass, value);
  if (a == NULL || a->ndim < 2)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "layer value has no channels");
      return FALSE;
    }
  rf->value = value;
  rf->c_count = a->shape[1];
  rf->h = a->ndim >= 3 ? a->shape[2] : 1;
  rf->w = a->ndim >= 4 ? a->shape[3] : 1;
  rf->boxes = g_new (int, rf->h * rf->w * 4);
  for (int64_t p = 0; p < rf->h * rf->w; p++)
    rf->boxes[p * 4 + 2] = -1;
  return TRUE;
}

static void
fields_clear (ReceptiveFields *rf)
{
  g_clear_pointer (&rf->pass, rel_relevance_pass_free);
  g_clear_pointer (&rf->boxes, g_free);
}

static gboolean
fields_box (ReceptiveFields *rf, int y, int x, int box[4], GError **error)
{
  int64_t p = (int64_t) y * rf->w + x;
  RelTensor *in = rel_relevance_pass_input_map (rf->pass);
  int64_t H, W, C;
  g_autoptr(RelTensor) map = NULL;
  int x0, y0, x1 = -1, y1 = -1;

  if (y < 0 || x < 0 || y >= rf->h || x >= rf->w)
    p = 0;
  if (rf->boxes[p * 4 + 2] >= 0)
    {
      memcpy (box, rf->boxes + p * 4, 4 * sizeof (int));
      return TRUE;
    }
  {
    /* relevance 1 at every channel of the position, whatever the flat pass
     * brought there (a MaxPool above routes none to its losers) */
    RelTensor *a = rel_relevance_pass_activation (rf->pass, rf->value);
    g_autoptr(RelTensor) seed = rel_tensor_new_like (a, error);

    if (seed == NULL)
      return FALSE;
    for (int64_t c = 0; c < rf->c_count; c++)
      rel_tensor_f32 (seed)[c * rf->h * rf->w + p] = 1.f;
    if (!(map = rel_relevance_pass_from_seeds (rf->pass, rf->value, seed, 1, error)))
      return FALSE;
  }
  C = in->ndim >= 2 ? in->shape[1] : 1;
  H = in->ndim >= 3 ? in->shape[2] : 1;
  W = in->ndim >= 4 ? in->shape[3] : 1;
  x0 = (int) W;
  y0 = (int) H;
  for (int64_t i = 0; i < H; i++)
    for (int64_t j = 0; j < W; j++)
      {
        gboolean any = FALSE;
        for (int64_t c = 0; c < C; c++)
          any |= rel_tensor_f32 (map)[(c * H + i) * W + j] != 0.f;
        if (any)
          {
            x0 = MIN (x0, (int) j);
            y0 = MIN (y0, (int) i);
            x1 = MAX (x1, (int) j);
            y1 = MAX (y1, (int) i);
          }
      }
  if (x1 < 0)
    {
      /* nothing reached the input (a dead path): the whole image */
      x0 = y0 = 0;
      x1 = (int) W - 1;
      y1 = (int) H - 1;
    }
  rf->boxes[p * 4 + 0] = x0;
  rf->boxes[p * 4 + 1] = y0;
  rf->boxes[p * 4 + 2] = x1 - x0 + 1;
  rf->boxes[p * 4 + 3] = y1 - y0 + 1;
  memcpy (box, rf->boxes + p * 4, 4 * sizeof (int));
  return TRUE;
}

RelConceptReferences *
rel_concept_references_compute (RelModel *model, const RelParams *params, int value,
                                const char *const *paths, int n_paths,
                                RelConceptMode mode, int per_concept,
                                const int *box_channels, int n_box,
                                volatile gint *cancel,
                                RelConceptProgress progress, gpointer user_data,
                                GError **error)
{
  g_autoptr(RelConceptReferences) refs = NULL;
  g_autoptr(GError) first_error = NULL;
  ReceptiveFields rf = { 0 };
  gboolean ok = FALSE;

  if (n_paths < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "no images to find reference images in");
      return NULL;
    }
  if (per_concept < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "reference images per concept must be at least 1");
      return NULL;
    }
  refs = g_new0 (RelConceptReferences, 1);
  refs->per_concept = per_concept;
  for (int i = 0; i < n_paths; i++)
    {
      g_autoptr(GError) local = NULL;
      g_autoptr(RelTensor) x = NULL;
      g_autoptr(RelRelevancePass) pass = NULL;
      g_autoptr(RelTensor) map = NULL;
      RelExplainRequest req = { 0 };
      int64_t c_count, inner, w;

      if (cancel && g_atomic_int_get (cancel))
        {
          g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
          goto done;
        }
      if (progress)
        progress (i, n_paths, user_data);
      if (!(x = rel_input_load (model, paths[i], &local)))
        {
          /* an unreadable file is skipped; if none can be read, say why */
          if (first_error == NULL)
            first_error = g_steal_pointer (&local);
          continue;
        }
      req.model = model;
      req.input = x;
      req.params = (RelParams *) params;
      req.cancel = cancel;
      if (!(pass = rel_relevance_pass_new (NULL, &req, error)))
        goto done;
      if (mode == REL_CONCEPT_RELMAX)
        map = rel_relevance_pass_relevance_at (pass, value, error);
      else
        {
          RelTensor *a = rel_relevance_pass_activation (pass, value);
          map = a ? rel_tensor_ref (a) : rel_relevance_pass_relevance_at (pass, value, error);
        }
      if (map == NULL)
        goto done;
      c_count = map->shape[1];
      inner = map->numel / c_count;
      w = map->ndim >= 4 ? map->shape[3] : 1;
      if (refs->refs == NULL)
        {
          refs->n_channels = (int) c_count;
          refs->refs = g_new0 (GArray *, c_count);
          for (int64_t c = 0; c < c_count; c++)
            refs->refs[c] = g_array_new (FALSE, TRUE, sizeof (RelConceptReference));
        }
      else if (c_count != refs->n_channels)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s gives the layer another channel count", paths[i]);
          goto done;
        }
      for (int64_t c = 0; c < c_count; c++)
        {
          const float *d = rel_tensor_f32 (map) + c * inner;
          RelConceptReference r = { i, 0, 0, 0, { 0, 0, 0, 0 } };
          int64_t best = 0;
          double sum = 0;

          for (int64_t k = 0; k < inner; k++)
            {
              sum += d[k];
              if (d[k] > d[best])
                best = k;
            }
          r.value = mode == REL_CONCEPT_RELMAX ? sum : d[best];
          r.y = (int) (best / w);
          r.x = (int) (best % w);
          refs_offer (refs->refs[c], per_concept, &r);
        }
      refs->n_images++;
    }
  if (refs->n_images == 0)
    {
      if (first_error)
        g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "none of the %d images could be read: %s",
                     n_paths, first_error->message);
      else
        g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "no images to find reference images in");
      goto done;
    }
  if (n_box > 0)
    {
      if (!fields_init (&rf, model, value, error))
        goto done;
      for (int b = 0; b < n_box; b++)
        {
          int c = box_channels[b];
          if (c < 0 || c >= refs->n_channels)
            continue;
          for (guint k = 0; k < refs->refs[c]->len; k++)
            {
              RelConceptReference *r = &g_array_index (refs->refs[c], RelConceptReference, k);
              if (!fields_box (&rf, r->y, r->x, r->box, error))
                goto done;
            }
        }
    }
  if (progress)
    progress (n_paths, n_paths, user_data);
  ok = TRUE;

done:
  fields_clear (&rf);
  return ok ? g_steal_pointer (&refs) : NULL;
}

/* ---- on the job runner ---- */

typedef struct {
  RelModel      *model;
  RelParams     *params;
  int            value;
  char         **paths;
  int            n_paths;
  RelConceptMode mode;
  int            per_concept;
  int           *box_channels;
  int            n_box;
  RelJob        *job;   /* not owned: the job outlives its data */
} RefsJob;

static void
refs_job_free (gpointer data)
{
  RefsJob *j = data;

  rel_model_unref (j->model);
  rel_params_free (j->params);
  g_strfreev (j->paths);
  g_free (j->box_channels);
  g_free (j);
}

static void
refs_job_progress (int done, int total, gpointer data)
{
  RefsJob *j = data;
  g_autofree char *msg = g_strdup_printf ("%d / %d images", done, total);

  rel_job_progress (j->job, total > 0 ? (double) done / total : 1.0, msg);
}

static gpointer
refs_job_run (RelJob *job, gpointer data, GError **error)
{
  RefsJob *j = data;

  j->job = job;
  return rel_concept_references_compute (j->model, j->params, j->value, (const char *const *) j->paths,
                                         j->n_paths, j->mode, j->per_concept, j->box_channels, j->n_box,
                                         rel_job_cancel_flag (job), refs_job_progress, j, error);
}

RelJob *
rel_concept_references_job (RelModel *model, const RelParams *params, int value,
                            const char *const *paths, int n_paths, RelConceptMode mode,
                            int per_concept, const int *box_channels, int n_box,
                            RelJobProgressFunc progress, RelJobDoneFunc done, gpointer user_data)
{
  RefsJob *j = g_new0 (RefsJob, 1);

  j->model = rel_model_ref (model);
  j->params = params ? rel_params_copy (params) : rel_params_new (rel_method_lookup ("lrp-epsilon-plus-flat"));
  j->value = value;
  j->paths = g_new0 (char *, MAX (n_paths, 0) + 1);
  for (int i = 0; i < n_paths; i++)
    j->paths[i] = g_strdup (paths[i]);
  j->n_paths = MAX (n_paths, 0);
  j->mode = mode;
  j->per_concept = per_concept;
  j->box_channels = n_box > 0 ? g_memdup2 (box_channels, sizeof (int) * (gsize) n_box) : NULL;
  j->n_box = MAX (n_box, 0);
  return rel_job_run (refs_job_run, j, refs_job_free, (GDestroyNotify) rel_concept_references_free,
                      progress, done, user_data);
}
