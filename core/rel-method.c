/* rel-method.c — the one method table, parameter values, targets, and the
 * entry point that runs any explainer.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-explain.h"
#include "rel-error.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const RelMethodDef *const method_arrays[] = {
  rel_methods_gradient,
  rel_methods_lrp,
  rel_methods_cam,
  rel_methods_perturb,
};

static gpointer
build_table (gpointer data)
{
  GPtrArray *all = g_ptr_array_new ();
  for (gsize a = 0; a < G_N_ELEMENTS (method_arrays); a++)
    for (const RelMethodDef *m = method_arrays[a]; m->name; m++)
      g_ptr_array_add (all, (gpointer) m);
  g_ptr_array_add (all, NULL);
  /* static for the process lifetime, like the table it indexes */
  return g_ptr_array_free (all, FALSE);
}

const RelMethodDef *const *
rel_methods (void)
{
  static GOnce once = G_ONCE_INIT;
  return g_once (&once, build_table, NULL);
}

const RelMethodDef *
rel_method_lookup (const char *name)
{
  if (name == NULL)
    return NULL;
  for (const RelMethodDef *const *m = rel_methods (); *m; m++)
    if (strcmp ((*m)->name, name) == 0)
      return *m;
  return NULL;
}

const RelParamSpec *
rel_method_param (const RelMethodDef *method, const char *name)
{
  for (int i = 0; i < method->n_params; i++)
    if (strcmp (method->params[i].name, name) == 0)
      return &method->params[i];
  return NULL;
}

/* ---- parameter values ---- */

typedef struct {
  double  num;
  char   *str;
} ParamValue;

struct _RelParams {
  const RelMethodDef *method;
  ParamValue         *values;   /* one per spec */
};

RelParams *
rel_params_new (const RelMethodDef *method)
{
  RelParams *p;

  g_return_val_if_fail (method != NULL, NULL);
  p = g_new0 (RelParams, 1);
  p->method = method;
  p->values = g_new0 (ParamValue, MAX (method->n_params, 1));
  for (int i = 0; i < method->n_params; i++)
    {
      const RelParamSpec *s = &method->params[i];
      p->values[i].num = s->def;
      if (s->type == REL_PARAM_CHOICE || s->type == REL_PARAM_STRING)
        p->values[i].str = g_strdup (s->def_string ? s->def_string
                                     : (s->choices ? s->choices[0] : ""));
    }
  return p;
}

RelParams *
rel_params_copy (const RelParams *params)
{
  RelParams *p = rel_params_new (params->method);
  for (int i = 0; i < params->method->n_params; i++)
    {
      p->values[i].num = params->values[i].num;
      g_free (p->values[i].str);
      p->values[i].str = g_strdup (params->values[i].str);
    }
  return p;
}

void
rel_params_free (RelParams *params)
{
  if (params == NULL)
    return;
  for (int i = 0; i < params->method->n_params; i++)
    g_free (params->values[i].str);
  g_free (params->values);
  g_free (params);
}

const RelMethodDef *
rel_params_method (const RelParams *params)
{
  return params->method;
}

static int param_index (const RelParams *params, const char *key);

const char *
rel_param_choice_title (const RelParamSpec *spec, int i)
{
  if (spec == NULL || spec->choices == NULL || i < 0)
    return NULL;
  for (int k = 0; k < i; k++)
    if (spec->choices[k] == NULL)
      return NULL;
  if (spec->choices[i] == NULL)
    return NULL;
  if (spec->choice_titles)
    return spec->choice_titles[i];
  return spec->choices[i];
}

double
rel_params_reference_output (const RelParams *params, double explained_output)
{
  if (params && param_index (params, "initial") >= 0
      && g_strcmp0 (rel_params_get_string (params, "initial"), "one") == 0)
    return 1.0;
  return explained_output;
}

static int
param_index (const RelParams *params, const char *key)
{
  for (int i = 0; i < params->method->n_params; i++)
    if (strcmp (params->method->params[i].name, key) == 0)
      return i;
  return -1;
}

static char *
param_names (const RelMethodDef *method)
{
  GString *s = g_string_new (NULL);
  for (int i = 0; i < method->n_params; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", method->params[i].name);
  if (method->n_params == 0)
    g_string_append (s, "none");
  return g_string_free (s, FALSE);
}

gboolean
rel_params_set (RelParams *params, const char *key, const char *value, GError **error)
{
  int i = param_index (params, key);
  const RelParamSpec *s;
  ParamValue *v;

  if (i < 0)
    {
      g_autofree char *names = param_names (params->method);
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "method %s has no parameter '%s' (parameters: %s)",
                   params->method->name, key, names);
      return FALSE;
    }
  s = &params->method->params[i];
  v = &params->values[i];
  switch (s->type)
    {
    case REL_PARAM_FLOAT:
    case REL_PARAM_INT:
      {
        char *end = NULL;
        double d;

        errno = 0;
        d = g_ascii_strtod (value, &end);
        if (errno != 0 || end == value || *end != '\0' || !isfinite (d))
          {
            g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                         "parameter '%s' of %s expects a number, not '%s'", key, params->method->name, value);
            return FALSE;
          }
        if (s->type == REL_PARAM_INT && d != floor (d))
          {
            g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                         "parameter '%s' of %s expects a whole number, not '%s'", key, params->method->name, value);
            return FALSE;
          }
        if (d < s->min || d > s->max)
          {
            g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                         "parameter '%s' of %s must lie in [%g, %g], got %g", key, params->method->name,
                         s->min, s->max, d);
            return FALSE;
          }
        v->num = d;
        return TRUE;
      }
    case REL_PARAM_BOOL:
      if (g_ascii_strcasecmp (value, "true") == 0 || strcmp (value, "1") == 0 || g_ascii_strcasecmp (value, "yes") == 0)
        v->num = 1;
      else if (g_ascii_strcasecmp (value, "false") == 0 || strcmp (value, "0") == 0 || g_ascii_strcasecmp (value, "no") == 0)
        v->num = 0;
      else
        {
          g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                       "parameter '%s' of %s expects true or false, not '%s'", key, params->method->name, value);
          return FALSE;
        }
      return TRUE;
    case REL_PARAM_CHOICE:
      for (const char *const *c = s->choices; c && *c; c++)
        if (strcmp (*c, value) == 0)
          {
            g_free (v->str);
            v->str = g_strdup (value);
            return TRUE;
          }
      {
        g_autofree char *list = g_strjoinv (", ", (char **) s->choices);
        g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                     "parameter '%s' of %s must be one of %s, not '%s'", key, params->method->name, list, value);
      }
      return FALSE;
    case REL_PARAM_STRING:
      g_free (v->str);
      v->str = g_strdup (value);
      return TRUE;
    }
  return FALSE;
}

gboolean
rel_params_set_assignment (RelParams *params, const char *assignment, GError **error)
{
  const char *eq = strchr (assignment, '=');
  g_autofree char *key = NULL;

  if (eq == NULL || eq == assignment)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "expected key=value, got '%s'", assignment);
      return FALSE;
    }
  key = g_strndup (assignment, (gsize) (eq - assignment));
  return rel_params_set (params, key, eq + 1, error);
}

double
rel_params_get_float (const RelParams *params, const char *key)
{
  int i = param_index (params, key);
  g_return_val_if_fail (i >= 0, 0.0);
  return params->values[i].num;
}

int
rel_params_get_int (const RelParams *params, const char *key)
{
  return (int) rel_params_get_float (params, key);
}

gboolean
rel_params_get_bool (const RelParams *params, const char *key)
{
  return rel_params_get_float (params, key) != 0.0;
}

const char *
rel_params_get_string (const RelParams *params, const char *key)
{
  int i = param_index (params, key);
  g_return_val_if_fail (i >= 0, "");
  return params->values[i].str ? params->values[i].str : "";
}

/* ---- targets ---- */

static gboolean
parse_class (const char *text, int *out)
{
  char *end = NULL;
  gint64 v;

  errno = 0;
  v = g_ascii_strtoll (text, &end, 10);
  if (errno || end == text || *end != '\0' || v < 0 || v > G_MAXINT)
    return FALSE;
  *out = (int) v;
  return TRUE;
}

gboolean
rel_target_parse (const char *text, RelTarget *target, GError **error)
{
  const char *dash;

  memset (target, 0, sizeof *target);
  if (text == NULL || g_ascii_strcasecmp (text, "pred") == 0 || g_ascii_strcasecmp (text, "predicted") == 0)
    {
      target->kind = REL_TARGET_PREDICTED;
      return TRUE;
    }
  dash = strchr (text, '-');
  if (dash && dash != text)
    {
      g_autofree char *a = g_strndup (text, (gsize) (dash - text));
      if (parse_class (a, &target->a) && parse_class (dash + 1, &target->b))
        {
          target->kind = REL_TARGET_CONTRAST;
          return TRUE;
        }
    }
  else if (parse_class (text, &target->a))
    {
      target->kind = REL_TARGET_CLASS;
      return TRUE;
    }
  g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
               "target '%s' is not 'pred', a class index or a contrast 'A-B'", text);
  return FALSE;
}

RelTensor *
rel_target_seed (const RelTarget *target, const RelTensor *logits, double initial_scale,
                 int *resolved_class, double *explained, GError **error)
{
  g_autoptr(RelTensor) seed = NULL;
  int64_t rows, k;
  const float *z;
  int a = target->a, b = target->b;
  double value0 = 0;

  if (logits->dtype != REL_DTYPE_FLOAT32 || logits->ndim < 1 || logits->numel == 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "the model output is not a float tensor of scores");
      return NULL;
    }
  k = logits->shape[logits->ndim - 1];
  rows = logits->numel / k;
  z = rel_tensor_f32 (logits);

  if (target->kind == REL_TARGET_PREDICTED)
    {
      /* row 0 decides: batched callers explain perturbed copies of one input */
      a = 0;
      for (int64_t j = 1; j < k; j++)
        if (z[j] > z[a])
          a = (int) j;
    }
  if (a < 0 || a >= k || (target->kind == REL_TARGET_CONTRAST && (b < 0 || b >= k)))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT,
                   "target class %d is out of range: the model has %" G_GINT64_FORMAT " outputs",
                   (a < 0 || a >= k) ? a : b, k);
      return NULL;
    }
  seed = rel_tensor_new_like (logits, error);
  if (seed == NULL)
    return NULL;
  for (int64_t r = 0; r < rows; r++)
    {
      const float *zr = z + r * k;
      float *s = rel_tensor_f32 (seed) + r * k;
      double value;

      if (target->log_prob)
        {
          /* d log softmax(z)_a / dz = onehot(a) − softmax(z) */
          double mx = zr[0], sum = 0;
          for (int64_t j = 1; j < k; j++)
            mx = MAX (mx, zr[j]);
          for (int64_t j = 0; j < k; j++)
            sum += exp (zr[j] - mx);
          for (int64_t j = 0; j < k; j++)
            s[j] = (float) (-exp (zr[j] - mx) / sum);
          s[a] += 1.f;
          value = zr[a] - mx - log (sum);
          if (target->kind == REL_TARGET_CONTRAST)
            {
              /* log p_a − log p_b = z_a − z_b: the softmax terms cancel */
              for (int64_t j = 0; j < k; j++)
                s[j] = 0.f;
              s[a] = 1.f;
              s[b] -= 1.f;
              value = zr[a] - zr[b];
            }
        }
      else
        {
          s[a] = 1.f;
          value = zr[a];
          if (target->kind == REL_TARGET_CONTRAST)
            {
              s[b] -= 1.f;
              value = zr[a] - zr[b];
            }
        }
      if (initial_scale != 1.0)
        for (int64_t j = 0; j < k; j++)
          s[j] = (float) (s[j] * initial_scale);
      if (r == 0)
        value0 = value;
    }
  if (resolved_class)
    *resolved_class = a;
  if (explained)
    *explained = value0;
  return g_steal_pointer (&seed);
}

/* ---- running ---- */

void
rel_explanation_free (RelExplanation *e)
{
  if (e == NULL)
    return;
  if (e->relevance)
    rel_tensor_unref (e->relevance);
  if (e->conservation)
    {
      for (guint i = 0; i < e->conservation->len; i++)
        g_free (g_array_index (e->conservation, RelLayerConservation, i).layer);
      g_array_unref (e->conservation);
    }
  g_free (e);
}

RelExplanation *
rel_explain (const RelMethodDef *method, const RelExplainRequest *req, GError **error)
{
  g_autoptr(RelExplanation) out = NULL;
  g_autoptr(RelParams) defaults = NULL;
  RelExplainRequest local;
  gint64 start;

  if (req->params)
    method = rel_params_method (req->params);
  if (method == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "no explanation method given");
      return NULL;
    }
  if (req->model == NULL || req->input == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_INVALID_ARGUMENT, "no model or input to explain");
      return NULL;
    }
  if (req->input->ndim < 1 || req->input->shape[0] != 1)
    {
      g_autofree char *shape = rel_tensor_shape_string (req->input);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "explainers take one input at a time (batch 1), got shape %s", shape);
      return NULL;
    }
  local = *req;
  if (local.params == NULL)
    local.params = defaults = rel_params_new (method);

  out = g_new0 (RelExplanation, 1);
  out->target_class = -1;
  out->stability = NAN;
  start = g_get_monotonic_time ();
  if (!method->run (method, &local, out, error))
    return NULL;
  out->elapsed_ms = (double) (g_get_monotonic_time () - start) / 1000.0;
  if (out->relevance == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_FAILED, "method %s produced no relevance", method->name);
      return NULL;
    }
  /* an overflowing model gives NaN/Inf maps: stop them here, where the
   * position can still be named, not in a heatmap or a clustering */
  if (!rel_tensor_check_finite (out->relevance, "the relevance map", error))
    return NULL;
  out->relevance_sum = rel_tensor_sum (out->relevance);
  return g_steal_pointer (&out);
}
