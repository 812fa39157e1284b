/* test-tensor.c — RelTensor basics: limits, views, reference counting.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-tensor.h"

#include <string.h>

static void
test_new_zeroed (void)
{
  int64_t shape[] = { 2, 3, 4 };
  g_autoptr(GError) error = NULL;
  g_autoptr(RelTensor) t = rel_tensor_new_f32 (3, shape, &error);

  g_assert_no_error (error);
  g_assert_cmpint (t->numel, ==, 24);
  for (int64_t i = 0; i < t->numel; i++)
    g_assert_cmpfloat (rel_tensor_f32 (t)[i], ==, 0.f);
  rel_tensor_fill (t, 0.5f);
  g_assert_cmpfloat_with_epsilon (rel_tensor_sum (t), 12.0, 1e-9);
}

static void
test_limits (void)
{
  int64_t huge[] = { 1, 3, 100000, 100000 };
  int64_t overflow[] = { G_MAXINT64 / 2, 4 };
  int64_t negative[] = { 2, -3 };
  g_autoptr(GError) error = NULL;
  RelTensor *t;

  t = rel_tensor_new_f32 (4, huge, &error);
  g_assert_null (t);
  g_assert_error (error, REL_ERROR, REL_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "1×3×100000×100000"));
  g_clear_error (&error);

  t = rel_tensor_new_f32 (2, overflow, &error);
  g_assert_null (t);
  g_assert_error (error, REL_ERROR, REL_ERROR_TOO_LARGE);
  g_clear_error (&error);

  t = rel_tensor_new_f32 (2, negative, &error);
  g_assert_null (t);
  g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
  g_clear_error (&error);

  t = rel_tensor_new_f32 (REL_MAX_DIMS + 1, huge, &error);
  g_assert_null (t);
  g_assert_error (error, REL_ERROR, REL_ERROR_UNSUPPORTED);
}

static void
test_view_shares_data (void)
{
  int64_t shape[] = { 2, 6 };
  int64_t other[] = { 3, 4 };
  int64_t wrong[] = { 5, 5 };
  g_autoptr(GError) error = NULL;
  RelTensor *t = rel_tensor_new_f32 (2, shape, &error);
  g_autoptr(RelTensor) v = rel_tensor_view (t, 2, other, &error);
  RelTensor *bad;

  g_assert_no_error (error);
  rel_tensor_f32 (t)[7] = 3.f;
  /* the view outlives the original reference and still sees its data */
  rel_tensor_unref (t);
  g_assert_cmpfloat (rel_tensor_f32 (v)[7], ==, 3.f);
  g_assert_cmpint (v->shape[0], ==, 3);
  bad = rel_tensor_view (v, 2, wrong, &error);
  g_assert_null (bad);
  g_assert_error (error, REL_ERROR, REL_ERROR_SHAPE);
}

static void
test_shape_string (void)
{
  int64_t shape[] = { 1, 3, 224, 224 };
  g_autofree char *s = rel_shape_to_string (4, shape);
  g_autofree char *z = rel_shape_to_string (0, shape);
  g_assert_cmpstr (s, ==, "1×3×224×224");
  g_assert_cmpstr (z, ==, "scalar");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tensor/new-zeroed", test_new_zeroed);
  g_test_add_func ("/tensor/limits", test_limits);
  g_test_add_func ("/tensor/view-shares-data", test_view_shares_data);
  g_test_add_func ("/tensor/shape-string", test_shape_string);
  return g_test_run ();
}
