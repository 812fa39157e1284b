/* fuzz-rules.c — fuzz target for lrp-custom's rule files (core/rel-lrp.c).
 *
 * The rule file is read by name (`--set rules=FILE`), so the bytes go through
 * a temporary file, and the explainer runs on the small CNN of
 * rel_fuzz_model (/0/Conv, /2/Conv, /6/Gemm; 5 classes): parsing, the
 * check that every selector names a linear layer or operator type, and the
 * rules applied. An accepted file must give a relevance map of the input's
 * shape.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz-util.h"
#include "rel-error.h"
#include "rel-explain.h"

/* the model's input, made once */
static RelTensor *input;

gboolean
rel_fuzz_run (const uint8_t *data, size_t size)
{
  RelModel *model = rel_fuzz_model ();
  g_autofree char *path = rel_fuzz_write ("rules.txt", data, size);
  g_autofree char *assignment = g_strconcat ("rules=", path, NULL);
  g_autoptr(RelParams) params = rel_params_new (rel_method_lookup ("lrp-custom"));
  g_autoptr(RelExplanation) e = NULL;
  g_autoptr(GError) error = NULL;
  RelExplainRequest req = { 0 };

  if (input == NULL)
    input = rel_fuzz_model_input ();
  if (!rel_params_set_assignment (params, assignment, &error))
    rel_fuzz_fail (__FILE__, __LINE__, error->message);
  req.model = model;
  req.input = input;
  req.target.kind = REL_TARGET_CLASS;
  req.target.a = 3;
  req.params = params;
  e = rel_explain (NULL, &req, &error);
  rel_fuzz_remove ("rules.txt");
  rel_fuzz_check_outcome (e != NULL, error);
  if (e == NULL)
    return FALSE;
  rel_fuzz_check (rel_tensor_same_shape (e->relevance, input), "a relevance map of another shape");
  rel_fuzz_check (e->target_class == 3, "another class explained");
  return TRUE;
}
