/* rel-inspect.c — relevance mass, removal and transplant over a data set.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-inspect.h"
#include "rel-error.h"
#include "rel-image.h"

#include <math.h>
#include <string.h>

static const char *const mode_names[] = { "mass", "remove", "transplant", NULL };

gboolean
rel_inspect_mode_parse (const char *text, RelInspectMode *mode, GError **error)
{
  for (int i = 0; mode_names[i]; i++)
    if (g_strcmp0 (text, mode_names[i]) == 0)
      {
        *mode = (RelInspectMode) i;
        return TRUE;
      }
  g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
               "unknown mode “%s” (mass, remove or transplant)", text ? text : "");
  return FALSE;
}

const char *
rel_inspect_mode_name (RelInspectMode mode)
{
  return (unsigned) mode < 3 ? mode_names[mode] : "?";
}

/* "T-shirt/top" is stored as the folder "T-shirt-top" */
static gboolean
label_matches (const char *label, const char *name)
{
  g_autofree char *a = g_utf8_casefold (label, -1);
  g_autofree char *b = g_utf8_casefold (name, -1);
  for (char *p = a; *p; p++)
    if (*p == '/' || *p == '\\')
      *p = '-';
  for (char *p = b; *p; p++)
    if (*p == '/' || *p == '\\')
      *p = '-';
  return strcmp (a, b) == 0;
}

int
rel_inspect_find_class (RelModel *model, const char *name)
{
  gint64 v;

  if (name == NULL || *name == '\0')
    return -1;
  for (int c = 0; model->labels && c < model->n_labels; c++)
    if (strcmp (model->labels[c], name) == 0)
      return c;
  for (int c = 0; model->labels && c < model->n_labels; c++)
    if (label_matches (model->labels[c], name))
      return c;
  if (g_ascii_string_to_signed (name, 10, 0, G_MAXINT, &v, NULL) && v < rel_model_num_classes (model))
    return (int) v;
  return -1;
}

int *
rel_inspect_dataset_labels (RelModel *model, const RelDataset *ds)
{
  int *labels = g_new (int, MAX (ds->paths->len, 1));
  /* one reading of a folder for the whole program: class folders at any depth (core/rel-dataset.h) */
  g_autoptr(RelDatasetLayout) layout =
    rel_dataset_layout_new (ds->root, (const char *const *) ds->paths->pdata, ds->paths->len,
                            (const char *const *) model->labels, model->labels ? model->n_labels : 0,
                            rel_model_num_classes (model), 0, NULL);

  for (guint i = 0; i < ds->paths->len; i++)
    {
      int c = layout ? layout->image_class[i] : -1;
      labels[i] = c >= 0 ? layout->class_labels[c] : -1;
    }
  return labels;
}

RelTensor *
rel_inspect_load (RelModel *model, const char *path, const RelRegion *region, guint8 **mask, GError **error)
{
  g_autoptr(RelTensor) x = NULL;
  int iw, ih;

  if (g_str_has_suffix (path, ".npy") || g_str_has_suffix (path, ".NPY"))
    {
      if ((x = rel_input_load (model, path, error)) == NULL)
        return NULL;
      if (x->ndim != 4 || x->shape[0] != 1)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s: one input (1×C×H×W) expected", path);
          return NULL;
        }
      iw = (int) x->shape[3];
      ih = (int) x->shape[2];
    }
  else
    {
      g_autoptr(RelImage) image = rel_image_load (path, error);
      if (image == NULL || (x = rel_image_to_tensor (image, &model->preprocess, error)) == NULL)
        return NULL;
      iw = image->width;
      ih = image->height;
    }
  if (region && mask)
    {
      RelPreprocess pp = model->preprocess;
      g_autoptr(GError) local = NULL;
      if (g_str_has_suffix (path, ".npy"))
        {
          /* a tensor is the input grid itself */
          pp.resize = 0;
          pp.width = iw;
          pp.height = ih;
        }
      *mask = rel_region_input_mask (region, iw, ih, &pp, NULL, &local);
      if (*mask == NULL)
        {
          g_set_error (error, REL_ERROR, local->code, "%s: %s", path, local->message);
          return NULL;
        }
    }
  return g_steal_pointer (&x);
}

int
rel_inspect_softmax (const RelTensor *logits, int row, double *probs)
{
  int k = (int) (logits->numel / MAX (logits->shape[0], 1)), arg = 0;
  const float *z = rel_tensor_f32 (logits) + (gsize) row * k;
  double m = -INFINITY, s = 0;

  for (int j = 0; j < k; j++)
    {
      if (z[j] > z[arg])
        arg = j;
      m = MAX (m, z[j]);
    }
  for (int j = 0; j < k; j++)
    s += probs[j] = exp (z[j] - m);
  for (int j = 0; j < k; j++)
    probs[j] /= s;
  return arg;
}

/* Forward pass of one input: arg-max and the target's probability. */
static gboolean
predict (RelModel *model, RelTensor *x, int target, int *pred, double *prob, GError **error)
{
  g_autoptr(RelActivations) acts = rel_model_forward (model, x, NULL, error);
  g_autofree double *p = NULL;
  RelTensor *logits;

  if (acts == NULL)
    return FALSE;
  logits = rel_activations_output (acts);
  p = g_new (double, MAX (logits->numel, 1));
  *pred = rel_inspect_softmax (logits, 0, p);
  *prob = target >= 0 && target < logits->numel ? p[target] : NAN;
  return TRUE;
}

static gboolean
cancelled (volatile gint *cancel, GError **error)
{
  if (cancel && g_atomic_int_get (cancel))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_CANCELLED, "cancelled");
      return TRUE;
    }
  return FALSE;
}

int
rel_inspect_pick_source (RelModel *model, const char *const *paths, const int *labels, int n,
                         int target, const RelRegion *region, RelFill fill,
                         volatile gint *cancel, GError **error)
{
  int best = -1;
  double best_drop = -INFINITY;

  for (int i = 0; i < n; i++)
    {
      g_autoptr(RelTensor) x = NULL;
      g_autofree guint8 *mask = NULL;
      int pb, pa;
      double before, after;

      if (labels[i] != target)
        continue;
      if (cancelled (cancel, error))
        return -1;
      if ((x = rel_inspect_load (model, paths[i], region, &mask, error)) == NULL
          || !predict (model, x, target, &pb, &before, error)
          || !rel_region_fill (x, mask, fill, &model->preprocess, error)
          || !predict (model, x, target, &pa, &after, error))
        return -1;
      if (before - after > best_drop)
        {
          best_drop = before - after;
          best = i;
        }
    }
  if (best < 0)
    g_set_error (error, REL_ERROR, REL_ERROR_MISSING,
                 "no image of class %s to take the region's pixels from", rel_model_label (model, target)
                 ? rel_model_label (model, target) : "?");
  return best;
}

void
rel_inspect_result_free (RelInspectResult *result)
{
  if (result == NULL)
    return;
  g_free (result->images);
  g_free (result->per_class);
  g_free (result);
}

static const char *
class_name (RelModel *model, int c, char buf[16])
{
  const char *l = rel_model_label (model, c);
  if (l)
    return l;
  g_snprintf (buf, 16, "%d", c);
  return buf;
}

/* The running sums over the images, for the overall figures. */
typedef struct {
  double area, mass, rank, delta;
  int mass_n, acc_before, acc_after, flips, cand;
} InspectSums;

static gboolean
check_request (const RelInspectRequest *req, int n_classes, GError **error)
{
  if (n_classes < 1 || req->target < 0 || req->target >= n_classes)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "class %d is not one of the model's %d outputs", req->target, n_classes);
      return FALSE;
    }
  if (req->region == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "no region given");
      return FALSE;
    }
  if (req->mode == REL_INSPECT_TRANSPLANT && (req->source == NULL || req->source_mask == NULL))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "a transplant needs a source image");
      return FALSE;
    }
  return TRUE;
}

/* Which images take part: remove works on the class, transplant on the
 * others (with a known class), mass on all (those not predicted as the
 * class are dropped after the forward pass). */
static gboolean
takes_part (const RelInspectRequest *req, int label)
{
  return req->mode == REL_INSPECT_MASS
    || (req->mode == REL_INSPECT_REMOVE && label == req->target)
    || (req->mode == REL_INSPECT_TRANSPLANT && label >= 0 && label != req->target);
}

/* Mass mode: the share of the target's relevance inside the region, for an
 * image the model predicts as the target. */
static gboolean
score_mass (const RelInspectRequest *req, const RelMethodDef *method, const RelParams *params, RelTensor *x,
            const guint8 *mask, RelInspectImage *im, RelInspectResult *res, InspectSums *sums, GError **error)
{
  g_autoptr(RelExplanation) e = NULL;
  RelExplainRequest er = { 0 };
  RelRegionScore s;

  if (im->predicted_before != req->target)
    return TRUE;
  er.model = req->model;
  er.input = x;
  er.target.kind = REL_TARGET_CLASS;
  er.target.a = req->target;
  er.params = (RelParams *) params;
  er.cancel = req->cancel;
  if ((e = rel_explain (method, &er, error)) == NULL)
    return FALSE;
  s = rel_region_score (rel_tensor_f32 (e->relevance), (int) e->relevance->shape[1],
                        (int) e->relevance->shape[2], (int) e->relevance->shape[3], mask);
  im->mass = s.mass;
  im->rank = s.rank;
  sums->area += s.area;
  if (isfinite (s.mass))
    {
      sums->mass += s.mass;
      sums->rank += s.rank;
      sums->mass_n++;
    }
  res->images[res->n_images++] = *im;
  return TRUE;
}

/* Remove mode: the prediction once the region is filled. */
static gboolean
score_remove (const RelInspectRequest *req, RelTensor *x, const guint8 *mask, RelInspectImage *im,
              RelInspectResult *res, InspectSums *sums, GError **error)
{
  RelModel *model = req->model;

  if (!rel_region_fill (x, mask, req->fill, &model->preprocess, error)
      || !predict (model, x, req->target, &im->predicted_after, &im->probability_after, error))
    return FALSE;
  sums->acc_before += im->predicted_before == im->label;
  sums->acc_after += im->predicted_after == im->label;
  sums->delta += im->probability_after - im->probability_before;
  res->images[res->n_images++] = *im;
  return TRUE;
}

/* Transplant mode: the prediction once the source's region is pasted in
 * (at a random place when asked), and whether that flips it to the target. */
static gboolean
score_transplant (const RelInspectRequest *req, int i, RelTensor *x, RelInspectImage *im,
                  RelInspectResult *res, InspectSums *sums, GError **error)
{
  int dx = 0, dy = 0;

  if (x->shape[2] != req->source->shape[2] || x->shape[3] != req->source->shape[3])
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s: its input size differs from the source's",
                   req->paths[i]);
      return FALSE;
    }
  if (req->random_place)
    rel_region_random_shift (req->source_mask, (int) x->shape[2], (int) x->shape[3],
                             req->seed * 0x100000001b3ull + (guint64) i, &dx, &dy);
  if (!rel_region_transplant_at (x, req->source, req->source_mask, dx, dy, error)
      || !predict (req->model, x, req->target, &im->predicted_after, &im->probability_after, error))
    return FALSE;
  sums->delta += im->probability_after - im->probability_before;
  if (im->predicted_before != req->target)
    {
      sums->cand++;
      sums->flips += im->predicted_after == req->target;
    }
  res->images[res->n_images++] = *im;
  return TRUE;
}

/* Loads image @i (with the region's mask unless transplanting), predicts it
 * and measures it in the request's mode. */
static gboolean
inspect_image (const RelInspectRequest *req, const RelMethodDef *method, const RelParams *params, int i,
               RelInspectResult *res, InspectSums *sums, GError **error)
{
  RelModel *model = req->model;
  g_autoptr(RelTensor) x = NULL;
  g_autofree guint8 *mask = NULL;
  RelInspectImage im = { i, req->labels[i], -1, -1, NAN, NAN, NAN, NAN };

  if (cancelled (req->cancel, error))
    return FALSE;
  x = rel_inspect_load (model, req->paths[i], req->mode == REL_INSPECT_TRANSPLANT ? NULL : req->region,
                        req->mode == REL_INSPECT_TRANSPLANT ? NULL : &mask, error);
  if (x == NULL || !predict (model, x, req->target, &im.predicted_before, &im.probability_before, error))
    return FALSE;
  switch (req->mode)
    {
    case REL_INSPECT_MASS:
      return score_mass (req, method, params, x, mask, &im, res, sums, error);
    case REL_INSPECT_REMOVE:
      return score_remove (req, x, mask, &im, res, sums, error);
    case REL_INSPECT_TRANSPLANT:
      return score_transplant (req, i, x, &im, res, sums, error);
    }
  return TRUE;
}

static void
summarize (const RelInspectRequest *req, RelInspectResult *res, const InspectSums *sums)
{
  res->relevance_mass = res->rank_accuracy = res->area_fraction = NAN;
  res->accuracy_before = res->accuracy_after = res->mean_delta_probability = res->flip_rate = NAN;
  res->flip_candidates = sums->cand;
  if (req->mode == REL_INSPECT_MASS)
    {
      res->relevance_mass = sums->mass / sums->mass_n;
      res->rank_accuracy = sums->rank / sums->mass_n;
      res->area_fraction = sums->area / res->n_images;
    }
  else if (res->n_images > 0)
    {
      res->mean_delta_probability = sums->delta / res->n_images;
      if (req->mode == REL_INSPECT_REMOVE)
        {
          res->accuracy_before = (double) sums->acc_before / res->n_images;
          res->accuracy_after = (double) sums->acc_after / res->n_images;
        }
      else
        res->flip_rate = sums->cand ? (double) sums->flips / sums->cand : NAN;
    }
}

/* The same figures per true class; a class without images keeps NaN. */
static void
summarize_class (const RelInspectRequest *req, RelInspectResult *res, int c)
{
  RelInspectClass *pc = &res->per_class[c];
  double m = 0, r = 0, d = 0;
  int nm = 0, ab = 0, aa = 0, fl = 0, ca = 0;

  for (int i = 0; i < res->n_images; i++)
    {
      const RelInspectImage *im = &res->images[i];
      if (im->label != c)
        continue;
      pc->images++;
      if (isfinite (im->mass))
        {
          m += im->mass;
          r += im->rank;
          nm++;
        }
      d += im->probability_after - im->probability_before;
      ab += im->predicted_before == c;
      aa += im->predicted_after == c;
      if (im->predicted_before != req->target)
        {
          ca++;
          fl += im->predicted_after == req->target;
        }
    }
  if (pc->images == 0)
    return;
  if (nm)
    {
      pc->mass = m / nm;
      pc->rank = r / nm;
    }
  if (req->mode != REL_INSPECT_MASS)
    {
      pc->mean_delta_probability = d / pc->images;
      pc->accuracy_before = (double) ab / pc->images;
      pc->accuracy_after = (double) aa / pc->images;
    }
  if (req->mode == REL_INSPECT_TRANSPLANT)
    {
      pc->flip_candidates = ca;
      pc->flip_rate = ca ? (double) fl / ca : NAN;
    }
}

RelInspectResult *
rel_inspect_run (const RelInspectRequest *req, GError **error)
{
  g_autoptr(RelInspectResult) res = g_new0 (RelInspectResult, 1);
  RelModel *model = req->model;
  int K = rel_model_num_classes (model), n_sel = 0, done = 0;
  g_autoptr(RelParams) own_params = NULL;
  const RelMethodDef *method = NULL;
  InspectSums sums = { 0 };
  char buf[16];

  if (!check_request (req, K, error))
    return NULL;
  if (req->mode == REL_INSPECT_MASS)
    {
      if (req->method_params)
        method = rel_params_method (req->method_params);
      else
        {
          method = rel_method_lookup (REL_INSPECT_DEFAULT_METHOD);
          own_params = rel_params_new (method);
        }
    }
  res->mode = req->mode;
  res->target = req->target;
  res->n_classes = K;
  res->per_class = g_new0 (RelInspectClass, K);
  res->images = g_new0 (RelInspectImage, MAX (req->n, 1));
  for (int c = 0; c < K; c++)
    {
      RelInspectClass *pc = &res->per_class[c];
      pc->mass = pc->rank = pc->flip_rate = pc->accuracy_before = pc->accuracy_after = NAN;
      pc->mean_delta_probability = NAN;
    }

  for (int i = 0; i < req->n; i++)
    n_sel += takes_part (req, req->labels[i]);
  if (n_sel == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING,
                   req->mode == REL_INSPECT_REMOVE ? "the data set has no images of class %s"
                   : req->mode == REL_INSPECT_TRANSPLANT ? "the data set has no images of classes other than %s"
                   : "the data set has no images (class %s)",
                   class_name (model, req->target, buf));
      return NULL;
    }

  for (int i = 0; i < req->n; i++)
    {
      if (!takes_part (req, req->labels[i]))
        continue;
      if (!inspect_image (req, method, req->method_params ? req->method_params : own_params, i, res, &sums, error))
        return NULL;
      done++;
      if (req->progress)
        req->progress ((double) done / n_sel, req->progress_data);
    }

  if (req->mode == REL_INSPECT_MASS && sums.mass_n == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING,
                   "the model predicts class %s for none of the %d images (or its relevance there is never positive)",
                   class_name (model, req->target, buf), req->n);
      return NULL;
    }
  summarize (req, res, &sums);
  for (int c = 0; c < K; c++)
    summarize_class (req, res, c);
  return g_steal_pointer (&res);
}

RelRegion *
rel_inspect_suggest (const RelInspectRequest *req, double share, int *n_used, GError **error)
{
  return rel_inspect_suggest_map (req, share, n_used, NULL, NULL, NULL, error);
}

RelRegion *
rel_inspect_suggest_map (const RelInspectRequest *req, double share, int *n_used,
                         float **mean_map, int *map_height, int *map_width, GError **error)
{
  RelModel *model = req->model;
  g_autoptr(RelParams) own = NULL;
  const RelParams *params = req->method_params;
  g_autofree double *sum = NULL;
  g_autofree float *mean = NULL;
  int h = 0, w = 0, used = 0;
  char buf[16];

  if (params == NULL)
    params = own = rel_params_new (rel_method_lookup (REL_INSPECT_DEFAULT_METHOD));
  for (int i = 0; i < req->n; i++)
    {
      g_autoptr(RelTensor) x = NULL;
      g_autoptr(RelExplanation) e = NULL;
      RelExplainRequest er = { 0 };
      int pred, c;
      double prob;
      gsize plane;

      if (cancelled (req->cancel, error))
        return NULL;
      if ((x = rel_inspect_load (model, req->paths[i], NULL, NULL, error)) == NULL
          || !predict (model, x, req->target, &pred, &prob, error))
        return NULL;
      if (req->progress)
        req->progress ((double) (i + 1) / req->n, req->progress_data);
      if (pred != req->target)
        continue;
      er.model = model;
      er.input = x;
      er.target.kind = REL_TARGET_CLASS;
      er.target.a = req->target;
      er.params = (RelParams *) params;
      er.cancel = req->cancel;
      if ((e = rel_explain (rel_params_method (params), &er, error)) == NULL)
        return NULL;
      if (sum == NULL)
        {
          h = (int) e->relevance->shape[2];
          w = (int) e->relevance->shape[3];
          sum = g_new0 (double, (gsize) h * w);
        }
      if (e->relevance->shape[2] != h || e->relevance->shape[3] != w)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "%s: its heatmap's size differs from the others'",
                       req->paths[i]);
          return NULL;
        }
      plane = (gsize) h * w;
      for (c = 0; c < e->relevance->shape[1]; c++)
        for (gsize k = 0; k < plane; k++)
          sum[k] += rel_tensor_f32 (e->relevance)[c * plane + k];
      used++;
    }
  if (used == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "the model predicts class %s for none of the %d images",
                   class_name (model, req->target, buf), req->n);
      return NULL;
    }
  mean = g_new (float, (gsize) h * w);
  for (gsize k = 0; k < (gsize) h * w; k++)
    mean[k] = (float) (sum[k] / used);
  if (n_used)
    *n_used = used;
  {
    RelRegion *r = rel_region_suggest (mean, h, w, share, error);
    if (r && mean_map)
      {
        *mean_map = g_steal_pointer (&mean);
        *map_height = h;
        *map_width = w;
      }
    return r;
  }
}
