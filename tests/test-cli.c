/* test-cli.c — relevance-cli end to end: predictions against the fixtures'
 * logits, JSON output, bench, ops, and one-line errors for every bad input.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-error.h"
#include "rel-npy.h"
#include "fixture-util.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

static char *tmpdir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static char *
fixture (const char *net, const char *file)
{
  const char *f = g_getenv ("RELEVANCE_FIXTURES");
  return g_build_filename (f ? f : "tests/fixtures", net, file, NULL);
}

typedef struct {
  char *out, *err;
  int   status;
} Run;

static void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Runs relevance-cli with the NULL-terminated @args; the exit status in r->status. */
static void
run_cli (Run *r, const char *const *args)
{
  const char *cli = g_getenv ("RELEVANCE_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (gpointer) cli);
  for (int i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  memset (r, 0, sizeof *r);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &r->out, &r->err, &wait_status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));   /* no crash, no abort */
  r->status = WEXITSTATUS (wait_status);
}

/* Exactly one stderr line, "relevance-cli: …" mentioning @needle. */
static void
assert_one_error_line (const Run *r, int status, const char *needle)
{
  const char *nl;

  if (r->status != status)
    g_error ("exit status %d, expected %d; stderr: %s", r->status, status, r->err);
  g_assert_true (g_str_has_prefix (r->err, "relevance-cli: "));
  nl = strchr (r->err, '\n');
  g_assert_nonnull (nl);
  if (nl[1] != '\0')
    g_error ("more than one line on stderr: '%s'", r->err);
  g_assert_cmpuint (strlen (r->err), >, strlen ("relevance-cli: ") + 10);
  if (needle && strstr (r->err, needle) == NULL)
    g_error ("stderr '%s' does not mention '%s'", r->err, needle);
}

static RelTensor *
load_npy (const char *path)
{
  g_autoptr(GError) error = NULL;
  RelTensor *t = rel_npy_load (path, &error);
  g_assert_no_error (error);
  return t;
}

static int
argmax (const float *v, int n)
{
  int best = 0;
  for (int i = 1; i < n; i++)
    if (v[i] > v[best])
      best = i;
  return best;
}

static void
softmax_ref (const float *l, int n, double *p)
{
  double m = l[argmax (l, n)], s = 0;
  for (int i = 0; i < n; i++)
    s += (p[i] = exp (l[i] - m));
  for (int i = 0; i < n; i++)
    p[i] /= s;
}

/* Parses stdout as one JSON object per line. */
static GPtrArray *
parse_json_lines (const char *out)
{
  GPtrArray *objs = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

  for (int i = 0; lines[i]; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      if (lines[i][0] == '\0')
        continue;
      json_parser_load_from_data (parser, lines[i], -1, &error);
      g_assert_no_error (error);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
      g_ptr_array_add (objs, json_node_copy (json_parser_get_root (parser)));
    }
  return objs;
}

/* Checks one prediction object against reference logits. */
static void
check_prediction (JsonObject *o, const float *logits, int n, int k)
{
  JsonArray *top = json_object_get_array_member (o, "top");
  JsonArray *lg = json_object_get_array_member (o, "logits");
  g_autofree double *p = g_new (double, n);
  double scale = 0, prev = 2;

  g_assert_nonnull (top);
  g_assert_nonnull (lg);
  g_assert_cmpuint (json_array_get_length (lg), ==, n);
  for (int i = 0; i < n; i++)
    scale = MAX (scale, fabs (logits[i]));
  for (int i = 0; i < n; i++)
    {
      double v = json_array_get_double_element (lg, i);
      if (fabs (v - logits[i]) > 1e-4 * scale)
        g_error ("logit %d: %.8g, reference %.8g", i, v, logits[i]);
    }
  softmax_ref (logits, n, p);
  g_assert_cmpuint (json_array_get_length (top), ==, MIN (k, n));
  for (guint r = 0; r < json_array_get_length (top); r++)
    {
      JsonObject *e = json_array_get_object_element (top, r);
      int idx = (int) json_object_get_int_member (e, "index");
      double prob = json_object_get_double_member (e, "probability");
      g_assert_cmpint (idx, >=, 0);
      g_assert_cmpint (idx, <, n);
      g_assert_cmpfloat_with_epsilon (prob, p[idx], 1e-5);
      g_assert_cmpfloat (prob, <=, prev);
      prev = prob;
      if (r == 0)
        g_assert_cmpint (idx, ==, argmax (logits, n));
      g_assert_true (json_object_has_member (e, "label"));
    }
}

static void
test_predict_text (void)
{
  g_autofree char *model = fixture ("tiny-cnn", "model.onnx");
  g_autofree char *input = fixture ("tiny-cnn", "input.npy");
  g_autofree char *ref = fixture ("tiny-cnn", "logits.npy");
  g_autoptr(RelTensor) logits = load_npy (ref);
  const char *args[] = { "predict", model, input, NULL };
  g_auto(Run) r;
  double p[10];
  int cls = -1;
  double prob = -1;
  const char *line;

  run_cli (&r, args);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  softmax_ref (rel_tensor_f32 (logits), 10, p);
  line = strstr (r.out, " 1. class ");
  g_assert_nonnull (line);
  g_assert_cmpint (sscanf (line, " 1. class %d p = %lf", &cls, &prob), ==, 2);
  g_assert_cmpint (cls, ==, argmax (rel_tensor_f32 (logits), 10));
  g_assert_cmpint (cls, ==, 4);   /* meta.json's target */
  g_assert_cmpfloat_with_epsilon (prob, p[cls], 2e-6);
  /* five ranks by default */
  g_assert_nonnull (strstr (r.out, " 5. class "));
  g_assert_null (strstr (r.out, " 6. class "));
}

static void
test_predict_json (void)
{
  const char *nets[] = { "tiny-cnn", "tiny-resnet", "tiny-mobilenet" };

  for (gsize i = 0; i < G_N_ELEMENTS (nets); i++)
    {
      g_autofree char *model = fixture (nets[i], "model.onnx");
      g_autofree char *input = fixture (nets[i], "input.npy");
      g_autofree char *ref = fixture (nets[i], "logits.npy");
      g_autoptr(RelTensor) logits = load_npy (ref);
      const char *args[] = { "predict", "--json", "--top", "3", model, input, NULL };
      g_autoptr(GPtrArray) objs = NULL;
      g_auto(Run) r;

      run_cli (&r, args);
      g_assert_cmpint (r.status, ==, 0);
      g_assert_cmpstr (r.err, ==, "");
      objs = parse_json_lines (r.out);
      g_assert_cmpuint (objs->len, ==, 1);
      {
        JsonObject *o = json_node_get_object (g_ptr_array_index (objs, 0));
        g_assert_cmpstr (json_object_get_string_member (o, "input"), ==, input);
        check_prediction (o, rel_tensor_f32 (logits), (int) logits->numel, 3);
      }
    }
}

/* Several inputs in one call: the same sample as 1×C×H×W, C×H×W and N×C×H×W
 * (batched into one pass) gives the same logits each time. */
static void
test_predict_batch (void)
{
  g_autofree char *model = fixture ("tiny-resnet", "model.onnx");
  g_autofree char *input = fixture ("tiny-resnet", "input.npy");
  g_autofree char *ref = fixture ("tiny-resnet", "logits.npy");
  g_autofree char *chw = tmp_path ("chw.npy");
  g_autofree char *n2 = tmp_path ("n2.npy");
  g_autoptr(RelTensor) logits = load_npy (ref);
  g_autoptr(RelTensor) x = load_npy (input);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) objs = NULL;
  g_auto(Run) r;

  {
    int64_t s3[3] = { 3, 32, 32 }, s4[4] = { 2, 3, 32, 32 };
    g_autoptr(RelTensor) a = rel_tensor_view (x, 3, s3, &error);
    g_autoptr(RelTensor) b = rel_tensor_new_f32 (4, s4, &error);
    g_assert_no_error (error);
    memcpy (rel_tensor_f32 (b), x->data, x->numel * 4);
    memcpy (rel_tensor_f32 (b) + x->numel, x->data, x->numel * 4);
    g_assert_true (rel_npy_save (chw, a, &error));
    g_assert_true (rel_npy_save (n2, b, &error));
  }
  {
    const char *args[] = { "predict", "--json", "-k", "10", model, input, chw, n2, input, NULL };
    run_cli (&r, args);
  }
  g_assert_cmpint (r.status, ==, 0);
  objs = parse_json_lines (r.out);
  g_assert_cmpuint (objs->len, ==, 5);
  for (guint i = 0; i < objs->len; i++)
    {
      JsonObject *o = json_node_get_object (g_ptr_array_index (objs, i));
      check_prediction (o, rel_tensor_f32 (logits), (int) logits->numel, 10);
      /* the probabilities of all classes sum to 1 */
      {
        JsonArray *top = json_object_get_array_member (o, "top");
        double s = 0;
        for (guint k = 0; k < json_array_get_length (top); k++)
          s += json_object_get_double_member (json_array_get_object_element (top, k), "probability");
        g_assert_cmpfloat_with_epsilon (s, 1.0, 1e-9);
      }
    }
  /* the two rows of the N=2 file are numbered */
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (g_ptr_array_index (objs, 2)), "input"), ==, n2);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (g_ptr_array_index (objs, 3)), "sample"), ==, 1);
}

/* An image goes through the preprocessing: a grey PNG of the input with
 * --mean/--std must give the logits of the .npy of (v/255 − 0.5)/0.5; labels
 * come from --labels. */
static void
test_predict_image (void)
{
  g_autofree char *model = fixture ("tiny-cnn", "model.onnx");
  g_autofree char *input = fixture ("tiny-cnn", "input.npy");
  g_autofree char *png = tmp_path ("digit.png");
  g_autofree char *npy = tmp_path ("digit.npy");
  g_autofree char *labels = tmp_path ("labels.txt");
  g_autoptr(RelTensor) x = load_npy (input);
  g_autoptr(RelTensor) expect = NULL;
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 28, 28);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) objs = NULL;
  g_auto(Run) a;
  g_auto(Run) b;
  guint8 *px = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);

  expect = rel_tensor_new_like (x, &error);
  for (int y = 0; y < 28; y++)
    for (int i = 0; i < 28; i++)
      {
        guint8 v = (guint8) lrintf (rel_tensor_f32 (x)[y * 28 + i] * 255);
        px[y * stride + i * 3] = px[y * stride + i * 3 + 1] = px[y * stride + i * 3 + 2] = v;
        rel_tensor_f32 (expect)[y * 28 + i] = (v / 255.0f - 0.5f) / 0.5f;
      }
  gdk_pixbuf_save (pb, png, "png", &error, NULL);
  g_assert_no_error (error);
  g_assert_true (rel_npy_save (npy, expect, &error));
  g_assert_true (g_file_set_contents (labels, "zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n", -1, NULL));

  {
    const char *args[] = { "predict", "--json", "--mean", "0.5", "--std", "0.5", "--labels", labels, model, png, NULL };
    run_cli (&a, args);
  }
  {
    const char *args[] = { "predict", "--json", model, npy, NULL };
    run_cli (&b, args);
  }
  g_assert_cmpint (a.status, ==, 0);
  g_assert_cmpint (b.status, ==, 0);
  objs = parse_json_lines (b.out);
  {
    g_autoptr(GPtrArray) objs_a = parse_json_lines (a.out);
    JsonObject *oa = json_node_get_object (g_ptr_array_index (objs_a, 0));
    JsonObject *ob = json_node_get_object (g_ptr_array_index (objs, 0));
    JsonArray *la = json_object_get_array_member (oa, "logits");
    g_autofree float *ref = g_new (float, 10);
    JsonObject *top0;
    for (int i = 0; i < 10; i++)
      ref[i] = (float) json_array_get_double_element (json_object_get_array_member (ob, "logits"), i);
    check_prediction (oa, ref, 10, 5);
    top0 = json_array_get_object_element (json_object_get_array_member (oa, "top"), 0);
    {
      static const char *names[] = { "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine" };
      g_assert_cmpstr (json_object_get_string_member (top0, "label"), ==,
                       names[json_object_get_int_member (top0, "index")]);
    }
    /* without labels the label is null */
    g_assert_true (json_object_get_null_member (json_array_get_object_element (json_object_get_array_member (ob, "top"), 0),
                                                "label"));
    g_assert_cmpuint (json_array_get_length (la), ==, 10);
  }
}

static void
test_ops (void)
{
  const char *args[] = { "ops", NULL };
  g_auto(Run) r;
  g_auto(GStrv) lines = NULL;
  gboolean conv = FALSE, gemm = FALSE;
  int n;

  run_cli (&r, args);
  g_assert_cmpint (r.status, ==, 0);
  lines = g_strsplit (r.out, "\n", -1);
  n = (int) g_strv_length (lines);
  g_assert_cmpint (n, >, 10);
  g_assert_cmpstr (lines[n - 1], ==, "");   /* ends with a newline */
  for (int i = 0; i + 1 < n; i++)
    {
      g_assert_cmpstr (lines[i], !=, "");
      g_assert_null (strchr (lines[i], ' '));
      if (i > 0)
        g_assert_cmpint (strcmp (lines[i - 1], lines[i]), <, 0);   /* sorted, unique */
      conv |= strcmp (lines[i], "Conv") == 0;
      gemm |= strcmp (lines[i], "Gemm") == 0;
    }
  g_assert_true (conv);
  g_assert_true (gemm);
}

static void
test_bench (void)
{
  g_autofree char *model = fixture ("tiny-cnn", "model.onnx");
  const char *args[] = { "--threads", "1", "bench", model, "--json", "--repeat", "5", "--warmup", "1", "--batch", "2", NULL };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_auto(Run) r;
  JsonObject *o;
  double median, min, max;

  run_cli (&r, args);
  g_assert_cmpint (r.status, ==, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  o = json_node_get_object (json_parser_get_root (parser));
  median = json_object_get_double_member (o, "median_ms");
  min = json_object_get_double_member (o, "min_ms");
  max = json_object_get_double_member (o, "max_ms");
  g_assert_cmpfloat (median, >, 0);
  g_assert_cmpfloat (min, <=, median);
  g_assert_cmpfloat (median, <=, max);
  g_assert_cmpfloat (max, <, 60000);
  g_assert_cmpint (json_object_get_int_member (o, "repeat"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (o, "batch"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "threads"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (o, "method"), ==, "forward");

  /* a method with --set parameters, as explain takes them: they reach the
   * method (a bad one fails naming it), and need a method to set */
  {
    const char *good[] = { "--threads", "1", "bench", model, "--method", "smoothgrad", "--set", "samples=3",
                           "--set", "sigma=0.1", "--repeat", "2", "--warmup", "0", "--json", NULL };
    const char *bad[] = { "--threads", "1", "bench", model, "--method", "smoothgrad", "--set", "samples=0",
                          "--repeat", "1", "--warmup", "0", NULL };
    const char *no_method[] = { "bench", model, "--set", "samples=3", NULL };
    g_auto(Run) rg;
    g_auto(Run) rb;
    g_auto(Run) rn;

    run_cli (&rg, good);
    g_assert_cmpint (rg.status, ==, 0);
    g_assert_nonnull (strstr (rg.out, "\"smoothgrad\""));
    run_cli (&rb, bad);
    g_assert_cmpint (rb.status, ==, 1);
    g_assert_nonnull (strstr (rb.err, "samples"));
    run_cli (&rn, no_method);
    g_assert_cmpint (rn.status, ==, 2);
    g_assert_nonnull (strstr (rn.err, "--set"));
  }
}

static void
test_help (void)
{
  {
    const char *args[] = { "--help", NULL };
    g_auto(Run) r;
    run_cli (&r, args);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_nonnull (strstr (r.out, "predict"));
    g_assert_nonnull (strstr (r.out, "bench"));
  }
  {
    const char *args[] = { "predict", "--help", NULL };
    g_auto(Run) r;
    run_cli (&r, args);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_nonnull (strstr (r.out, "--top"));
    g_assert_nonnull (strstr (r.out, "--mean"));
  }
  /* Issue 13: one command table drives the help, the dispatch and the
   * unknown-command error, so each command the help lists is in the error's
   * list and answers its own --help. */
  {
    const char *args[] = { "--help", NULL };
    const char *bad[] = { "frobnicate", NULL };
    g_auto(Run) r;
    g_auto(Run) e;
    run_cli (&r, args);
    run_cli (&e, bad);
    assert_one_error_line (&e, 2, "unknown command 'frobnicate'");
    const char *list = strstr (r.out, "Commands:\n");
    const char *end = list ? strstr (list, "\n\n") : NULL;
    g_assert_nonnull (end);
    g_auto(GStrv) lines = g_strsplit (list, "\n", -1);
    int n = 0;
    for (int i = 1; lines[i] && lines[i][0] == ' '; i++, n++)
      {
        g_auto(GStrv) words = g_strsplit_set (g_strstrip (lines[i]), " ", 2);
        g_autofree char *listed = g_strdup_printf (" %s,", words[0]);
        g_autofree char *error_list = g_strdup_printf (" %s", strstr (e.err, "commands: ") + strlen ("commands:"));
        /* ", " between names and ")" after the last: compare as " name," */
        g_strdelimit (error_list, ")", ',');
        if (strstr (error_list, listed) == NULL)
          g_error ("'%s' is in --help but not in the error: %s", words[0], e.err);
        const char *help[] = { words[0], "--help", NULL };
        g_auto(Run) h;
        run_cli (&h, help);
        if (h.status != 0)
          g_error ("'%s --help' exits %d: %s", words[0], h.status, h.err);
      }
    g_assert_cmpint (n, >=, 10);
  }
}

/* Writes a copy of tiny-cnn whose Relu nodes are "Relx" (same length, so the protobuf stays valid). */
static char *
unsupported_op_model (void)
{
  g_autofree char *src = fixture ("tiny-cnn", "model.onnx");
  g_autofree char *contents = NULL;
  char *dst = tmp_path ("relx.onnx");
  gsize len;
  int replaced = 0;

  g_assert_true (g_file_get_contents (src, &contents, &len, NULL));
  /* op_type is NodeProto field 4: tag 0x22, length 4, "Relu" */
  for (gsize i = 0; i + 6 <= len; i++)
    if (contents[i] == 0x22 && contents[i + 1] == 4 && memcmp (contents + i + 2, "Relu", 4) == 0)
      {
        contents[i + 5] = 'x';
        replaced++;
      }
  g_assert_cmpint (replaced, >, 0);
  g_assert_true (g_file_set_contents (dst, contents, (gssize) len, NULL));
  return dst;
}

/* The smallest green of a PNG heatmap: 255 where it is white, 0 where fully red or blue. */
static int
min_green (const char *png)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new_from_file (png, &error);
  int lowest = 255;

  g_assert_no_error (error);
  for (int y = 0; y < gdk_pixbuf_get_height (pb); y++)
    for (int x = 0; x < gdk_pixbuf_get_width (pb); x++)
      {
        const guint8 *px = gdk_pixbuf_read_pixels (pb) + y * gdk_pixbuf_get_rowstride (pb)
                           + x * gdk_pixbuf_get_n_channels (pb);
        lowest = MIN (lowest, px[1]);
      }
  return lowest;
}

/* Issue 12, defect 5: Grad-CAM on the demo's tagged ankle boot is a 0.01 cell
 * for a logit of 18.3; its PNG must not be drawn as a saturated red spot, and
 * the CLI says why. The gradient of the same image still reaches full colour. */
static void
test_explain_near_zero (void)
{
  g_autofree char *model = g_test_build_filename (G_TEST_DIST, "..", "data", "demo", "model.onnx", NULL);
  g_autofree char *image = g_test_build_filename (G_TEST_DIST, "..", "data", "demo", "images", "tagged",
                                                  "Ankle boot", "00000.png", NULL);
  g_autofree char *cam = tmp_path ("near-zero-gradcam.png");
  g_autofree char *grad = tmp_path ("near-zero-gradient.png");
  g_auto(Run) r = { 0 }, g = { 0 };

  if (!g_file_test (image, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the demo's images are not in this tree");
      return;
    }
  const char *args[] = { "explain", model, image, "--method", "gradcam", "-o", cam, NULL };
  run_cli (&r, args);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "(nearly) zero"));
  g_assert_nonnull (strstr (r.err, "max |R| ="));
  g_test_message ("gradcam: min green %d", min_green (cam));
  g_assert_cmpint (min_green (cam), >=, 230);

  const char *gargs[] = { "explain", model, image, "--method", "gradient", "-o", grad, NULL };
  run_cli (&g, gargs);
  g_assert_cmpint (g.status, ==, 0);
  g_assert_null (strstr (g.err, "nearly"));
  g_assert_cmpint (min_green (grad), ==, 0);
}


static GdkPixbuf *
load_png (const char *path)
{
  g_autoptr(GError) error = NULL;
  GdkPixbuf *pb = gdk_pixbuf_new_from_file (path, &error);
  g_assert_no_error (error);
  return pb;
}

static const guint8 *
pixel (GdkPixbuf *pb, int x, int y)
{
  return gdk_pixbuf_read_pixels (pb) + (gsize) y * gdk_pixbuf_get_rowstride (pb) + x * gdk_pixbuf_get_n_channels (pb);
}

/* Whether @big holds @small scaled by @f (nearest neighbour) with its top
 * left corner at (@ox, @oy). */
static gboolean
holds_upscaled (GdkPixbuf *big, GdkPixbuf *small, int f, int ox, int oy)
{
  int w = gdk_pixbuf_get_width (small), h = gdk_pixbuf_get_height (small);
  if (ox + w * f > gdk_pixbuf_get_width (big) || oy + h * f > gdk_pixbuf_get_height (big))
    return FALSE;
  for (int y = 0; y < h * f; y++)
    for (int x = 0; x < w * f; x++)
      if (memcmp (pixel (big, ox + x, oy + y), pixel (small, x / f, y / f), 3) != 0)
        return FALSE;
  return TRUE;
}

/* Issue 12, defect 8, the CLI side of the Export dialog: --upscale N writes
 * N × the model's size, each pixel an N × N block of the plain PNG's colour;
 * --colorbar adds a blue–white–red bar under the image; --title a band of
 * text above; bad values are usage errors (status 2, one line). */
static void
test_explain_export (void)
{
  g_autofree char *model = fixture ("tiny-cnn", "model.onnx");
  g_autofree char *input = fixture ("tiny-cnn", "input.npy");
  g_autofree char *plain = tmp_path ("export-plain.png");
  g_autofree char *big = tmp_path ("export-x5.png");
  g_autofree char *deco = tmp_path ("export-deco.png");
  g_autofree char *titled = tmp_path ("export-titled.png");
  g_auto(Run) a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };

  const char *pa[] = { "explain", model, input, "--method", "gradient", "-o", plain, NULL };
  run_cli (&a, pa);
  g_assert_cmpint (a.status, ==, 0);
  const char *pb_args[] = { "explain", model, input, "--method", "gradient", "-o", big, "--upscale", "5", NULL };
  run_cli (&b, pb_args);
  g_assert_cmpint (b.status, ==, 0);
  g_autoptr(GdkPixbuf) p1 = load_png (plain);
  g_autoptr(GdkPixbuf) p5 = load_png (big);
  int w = gdk_pixbuf_get_width (p1), h = gdk_pixbuf_get_height (p1);
  g_assert_cmpint (gdk_pixbuf_get_width (p5), ==, 5 * w);
  g_assert_cmpint (gdk_pixbuf_get_height (p5), ==, 5 * h);
  g_assert_true (holds_upscaled (p5, p1, 5, 0, 0));

  const char *pc[] = { "explain", model, input, "--method", "gradient", "-o", deco, "--upscale", "4", "--colorbar", NULL };
  run_cli (&c, pc);
  g_assert_cmpint (c.status, ==, 0);
  g_autoptr(GdkPixbuf) pd = load_png (deco);
  int W = gdk_pixbuf_get_width (pd), H = gdk_pixbuf_get_height (pd);
  g_assert_cmpint (W, >, 4 * w);
  g_assert_cmpint (H, >, 4 * h);
  /* the image, upscaled, somewhere in the picture */
  int found_x = -1, found_y = -1;
  for (int oy = 0; oy + 4 * h <= H && found_x < 0; oy++)
    for (int ox = 0; ox + 4 * w <= W && found_x < 0; ox++)
      if (memcmp (pixel (pd, ox, oy), pixel (p1, 0, 0), 3) == 0 && holds_upscaled (pd, p1, 4, ox, oy))
        found_x = ox, found_y = oy;
  g_assert_cmpint (found_x, >=, 0);
  /* a bar below it: a row whose longest run of non-white pixels starts
   * blue, passes white in the middle and ends red, red rising and blue
   * falling along it */
  gboolean bar = FALSE;
  for (int y = found_y + 4 * h; y < H && !bar; y++)
    {
      int x0 = -1, x1 = -1;
      for (int x = 0; x < W; x++)
        {
          const guint8 *p = pixel (pd, x, y);
          if (!(p[0] > 250 && p[1] > 250 && p[2] > 250))
            {
              if (x0 < 0)
                x0 = x;
              x1 = x;
            }
        }
      if (x0 < 0 || x1 - x0 < 200)
        continue;
      const guint8 *l = pixel (pd, x0, y), *m = pixel (pd, (x0 + x1) / 2, y), *r = pixel (pd, x1, y);
      if (!(l[2] > 200 && l[0] < 40 && r[0] > 200 && r[2] < 40 && m[0] > 230 && m[1] > 230 && m[2] > 230))
        continue;
      gboolean monotone = TRUE;
      for (int x = x0 + 1; x <= x1; x++)
        {
          const guint8 *p = pixel (pd, x - 1, y), *q = pixel (pd, x, y);
          if (x <= (x0 + x1) / 2 ? q[0] < p[0] : q[2] > p[2])
            monotone = FALSE;
        }
      bar = monotone;
    }
  g_assert_true (bar);

  /* a title: the picture grows upwards, with dark text above the image */
  const char *pt[] = { "explain", model, input, "--method", "gradient", "-o", titled, "--upscale", "4", "--colorbar",
                       "--title", NULL };
  run_cli (&d, pt);
  g_assert_cmpint (d.status, ==, 0);
  g_autoptr(GdkPixbuf) ptt = load_png (titled);
  g_assert_cmpint (gdk_pixbuf_get_width (ptt), ==, W);
  g_assert_cmpint (gdk_pixbuf_get_height (ptt), >, H + 10);
  int shift = gdk_pixbuf_get_height (ptt) - H;
  g_assert_true (holds_upscaled (ptt, p1, 4, found_x, found_y + shift));
  int dark = 0;
  for (int y = 0; y < found_y + shift - 4; y++)
    for (int x = 0; x < W; x++)
      dark += pixel (ptt, x, y)[0] < 100;
  g_assert_cmpint (dark, >, 50);

  const struct { const char *args[12]; const char *needle; } usage[] = {
    { { "explain", model, input, "--method", "gradient", "-o", big, "--upscale", "0" }, "--upscale must be from 1 to 64" },
    { { "explain", model, input, "--method", "gradient", "-o", big, "--upscale", "65" }, "--upscale must be from 1 to 64" },
    { { "explain", model, input, "--method", "gradient", "-o", "x.npy", "--colorbar" }, "need a .png output" },
    { { "explain", model, input, "--method", "nonsense", "-o", big }, "unknown method" },
    { { "explain", model, input, "--method", "gradient", "-o", big, "--sign", "sideways" }, "unknown --sign" },
    { { "explain", model, input, "--method", "gradient" }, "no --out FILE" },
    { { "explain", model, input, "--method", "gradient", "--set", "bogus=1", "-o", big }, "bogus" },
    { { "methods", "extra" }, "unexpected argument" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (usage); i++)
    {
      g_auto(Run) r = { 0 };
      run_cli (&r, usage[i].args);
      assert_one_error_line (&r, 2, usage[i].needle);
    }
}

/* Issue 12, defect 8: a second --method used to replace the first silently;
 * now it is a usage error and nothing is written. */
static void
test_explain_one_method (void)
{
  g_autofree char *model = fixture ("tiny-cnn", "model.onnx");
  g_autofree char *input = fixture ("tiny-cnn", "input.npy");
  g_autofree char *out = tmp_path ("two-methods.png");
  g_auto(Run) r = { 0 };
  const char *args[] = { "explain", model, input, "--method", "gradient", "--method", "lrp-epsilon", "-o", out, NULL };

  run_cli (&r, args);
  assert_one_error_line (&r, 2, "--method given 2 times (gradient, lrp-epsilon)");
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

static void
test_errors (void)
{
  g_autofree char *model = fixture ("tiny-cnn", "model.onnx");
  g_autofree char *input = fixture ("tiny-cnn", "input.npy");
  g_autofree char *other = fixture ("tiny-resnet", "input.npy");
  g_autofree char *missing_model = tmp_path ("missing-model.onnx");
  g_autofree char *garbage = tmp_path ("garbage.onnx");
  g_autofree char *relx = unsupported_op_model ();
  g_autofree char *broken_png = tmp_path ("broken.png");
  g_autofree char *text_png = tmp_path ("text.png");
  g_autofree char *bad_npy = tmp_path ("badheader.npy");
  g_autofree char *missing_npy = tmp_path ("missing-input.npy");
  g_autofree char *missing_labels = tmp_path ("missing-labels.txt");
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  char junk[4096];

  for (gsize i = 0; i < sizeof junk; i++)
    junk[i] = (char) g_rand_int_range (rand, 0, 256);
  g_assert_true (g_file_set_contents (garbage, junk, sizeof junk, NULL));
  g_assert_true (g_file_set_contents (text_png, "not an image at all\n", -1, NULL));
  g_assert_true (g_file_set_contents (bad_npy, "\x93NUMPY\x01\x00\x20\x00{'descr': '<f4', 'fortran_order': False, 'sh", 42, NULL));
  {
    g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 64, 64);
    g_autoptr(GError) error = NULL;
    g_autofree char *full = tmp_path ("full.png");
    g_autofree char *data = NULL;
    gsize len;
    gdk_pixbuf_fill (pb, 0x336699ff);
    gdk_pixbuf_save (pb, full, "png", &error, NULL);
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (full, &data, &len, NULL));
    g_assert_true (g_file_set_contents (broken_png, data, (gssize) (len / 2), NULL));
  }

  {
    const struct {
      const char *args[10];
      int status;
      const char *needle;
    } cases[] = {
      { { "predict", missing_model, input }, 1, "missing-model.onnx" },
      { { "predict", garbage, input }, 1, "garbage.onnx" },
      { { "predict", relx, input }, 1, "Relx" },
      { { "predict", model, broken_png }, 1, "broken.png" },
      { { "predict", model, text_png }, 1, "text.png" },
      { { "predict", model, other }, 1, "1×3×32×32" },
      { { "predict", model, bad_npy }, 1, "badheader.npy" },
      { { "predict", model, missing_npy }, 1, "missing-input.npy" },
      { { "predict", model, input, broken_png }, 1, "broken.png" },
      { { "predict", "--labels", missing_labels, model, input }, 1, "missing-labels.txt" },
      { { "bench", garbage }, 1, "garbage.onnx" },
      { { "bench", relx }, 1, "Relx" },
      { { "predict", model }, 2, "INPUT" },
      { { "predict", "--top", "0", model, input }, 2, "--top" },
      { { "predict", "--top", "many", model, input }, 2, "many" },
      { { "predict", "--mean", "abc", model, input }, 2, "mean" },
      { { "predict", "--resize", "-3", model, input }, 2, "resize" },
      { { "predict", "--bogus", model, input }, 2, "--bogus" },
      { { "bench", "--batch", "0", model }, 2, "--batch" },
      { { "bench" }, 2, "MODEL" },
      { { "ops", "extra" }, 2, "ops" },
      { { "frobnicate" }, 2, "frobnicate" },
      { { "--threads", "0", "ops" }, 2, "threads" },
      { { "--threads" }, 2, "threads" },
      { { NULL } }, /* no command */
    };
    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_auto(Run) r;
        run_cli (&r, cases[i].args);
        if (cases[i].args[0] == NULL)
          assert_one_error_line (&r, 2, "command");
        else
          assert_one_error_line (&r, cases[i].status, cases[i].needle);
      }
  }
}

/* A grey 28×28 PNG with a bright square at (@x, @y). */
static void
write_digit_png (const char *path, int x, int y)
{
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 28, 28);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  guint8 *px = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);

  gdk_pixbuf_fill (pb, 0x202020ff);
  for (int j = y; j < y + 8 && j < 28; j++)
    for (int i = x; i < x + 8 && i < 28; i++)
      memset (px + j * stride + i * 3, 0xf0, 3);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  gdk_pixbuf_save (pb, path, "png", &error, NULL);
  g_assert_no_error (error);
}

/* spray reads a nested folder as the app does: the class folder is the one
 * named after a label at any depth ("T-shirt-top" is "T-shirt/top", a folder
 * cannot hold '/'), the levels above are groups; with no name matching it
 * asks for --class-level instead of guessing. */
static void
test_spray_layout (void)
{
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  g_autofree char *demo = g_build_filename (srcdir ? srcdir : "tests", "..", "data", "demo", "model.onnx", NULL);
  g_autofree char *unlabelled = fixture ("tiny-cnn", "model.onnx");
  g_autofree char *root = tmp_path ("nested");
  const char *groups[] = { "clean", "tagged" };

  if (!g_file_test (demo, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("data/demo is not there");
      return;
    }
  for (int g = 0; g < 2; g++)
    for (int i = 0; i < 3; i++)
      {
        g_autofree char *name = g_strdup_printf ("%s/%s/T-shirt-top/%d.png", root, groups[g], i);
        write_digit_png (name, 4 + 6 * i, g ? 18 : 4);
      }
  {
    const char *const args[] = { "spray", demo, root, "--class", "T-shirt/top", "--json", "--no-tsne",
                                 "--cache-dir", "", "--k", "2", NULL };
    g_auto(Run) r;
    g_autoptr(GError) error = NULL;
    run_cli (&r, args);
    g_assert_cmpint (r.status, ==, 0);
    g_autoptr(JsonNode) node = json_from_string (r.out, &error);
    g_assert_no_error (error);
    JsonObject *o = json_node_get_object (node);
    g_assert_cmpstr (json_object_get_string_member (o, "class"), ==, "T-shirt/top");
    JsonArray *images = json_object_get_array_member (o, "images");
    g_assert_cmpuint (json_array_get_length (images), ==, 6);
    for (guint i = 0; i < 6; i++)
      {
        JsonObject *im = json_array_get_object_element (images, i);
        const char *path = json_object_get_string_member (im, "path");
        const char *group = json_object_get_string_member (im, "group");
        g_assert_nonnull (strstr (path, group));
      }
    g_assert_true (json_object_has_member (o, "group_ari"));
  }
  {
    /* a chosen level: its folders are the classes, each image explained for its prediction */
    const char *const args[] = { "spray", unlabelled, root, "--class-level", "1", "--class", "tagged", "--json",
                                 "--no-tsne", "--cache-dir", "", "--k", "2", NULL };
    g_auto(Run) r;
    g_autoptr(GError) error = NULL;
    run_cli (&r, args);
    g_assert_cmpint (r.status, ==, 0);
    g_autoptr(JsonNode) node = json_from_string (r.out, &error);
    g_assert_no_error (error);
    JsonObject *o = json_node_get_object (node);
    g_assert_cmpstr (json_object_get_string_member (o, "class"), ==, "tagged");
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "images")), ==, 3);
  }
  {
    /* the folder's own spelling finds the class too */
    const char *const args[] = { "spray", demo, root, "--class", "t-shirt-top", "--json", "--no-tsne",
                                 "--cache-dir", "", "--k", "2", NULL };
    g_auto(Run) r;
    run_cli (&r, args);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_nonnull (strstr (r.out, "\"T-shirt/top\""));
  }
  {
    const struct {
      const char *args[10];
      int status;
      const char *needle;
    } cases[] = {
      /* no label to match: say so and ask, never a guessed class */
      { { "spray", unlabelled, root, "--json" }, 1, "--class-level N (1: clean, tagged; 2: T-shirt-top)" },
      { { "spray", demo, root, "--class-level", "3", "--json" }, 2, "no folder level 3" },
      { { "spray", demo, root, "--class", "Sandal", "--json" }, 2, "its classes: T-shirt/top" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_auto(Run) r;
        run_cli (&r, cases[i].args);
        assert_one_error_line (&r, cases[i].status, cases[i].needle);
      }
  }
}

/* explain --dataset --target true explains each image's class folder (found
 * below a group, 'T-shirt-top' for "T-shirt/top"): the same map as naming
 * that output; without a matching label it refuses before any work. */
static void
test_explain_true_class (void)
{
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  g_autofree char *demo = g_build_filename (srcdir ? srcdir : "tests", "..", "data", "demo", "model.onnx", NULL);
  g_autofree char *unlabelled = fixture ("tiny-cnn", "model.onnx");
  g_autofree char *root = tmp_path ("true-class");
  g_autofree char *out = tmp_path ("true-class-out");
  g_autofree char *shirt = g_build_filename (root, "tagged", "T-shirt-top", "0.png", NULL);
  g_autofree char *bag = g_build_filename (root, "clean", "Bag", "1.png", NULL);

  if (!g_file_test (demo, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("data/demo is not there");
      return;
    }
  write_digit_png (shirt, 4, 18);
  write_digit_png (bag, 10, 6);
  {
    const char *const args[] = { "explain", demo, "--dataset", root, "--out-dir", out, "--method", "gradient",
                                 "--target", "true", NULL };
    g_auto(Run) r;
    run_cli (&r, args);
    g_assert_cmpint (r.status, ==, 0);
  }
  const struct { const char *image, *out, *index; } checks[] = {
    { shirt, "tagged/T-shirt-top/0.npy", "0" },   /* T-shirt/top */
    { bag, "clean/Bag/1.npy", "8" },              /* Bag */
  };
  for (gsize i = 0; i < G_N_ELEMENTS (checks); i++)
    {
      g_autofree char *ref = tmp_path ("true-class-ref.npy");
      const char *const args[] = { "explain", demo, checks[i].image, "--method", "gradient", "--target",
                                   checks[i].index, "-o", ref, NULL };
      g_auto(Run) r;
      run_cli (&r, args);
      g_assert_cmpint (r.status, ==, 0);
      g_autofree char *got_path = g_build_filename (out, checks[i].out, NULL);
      g_autoptr(RelTensor) got = load_npy (got_path);
      g_autoptr(RelTensor) want = load_npy (ref);
      g_assert_cmpint (got->numel, ==, want->numel);
      g_assert_cmpmem (got->data, sizeof (float) * got->numel, want->data, sizeof (float) * want->numel);
    }
  {
    const struct {
      const char *args[14];
      int status;
      const char *needle;
    } cases[] = {
      { { "explain", unlabelled, "--dataset", root, "--out-dir", out, "--method", "gradient", "--target", "true" },
        1, "--class-level N" },
      { { "explain", demo, shirt, "--method", "gradient", "--target", "true", "-o", "x.npy" }, 2, "needs --dataset" },
      { { "explain", demo, "--dataset", root, "--out-dir", out, "--method", "gradient", "--target", "true",
          "--class-level", "3" }, 2, "no folder level 3" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_auto(Run) r;
        run_cli (&r, cases[i].args);
        assert_one_error_line (&r, cases[i].status, cases[i].needle);
      }
  }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("RELEVANCE_CLI") == NULL)
    return fixture_missing_plan ("RELEVANCE_CLI is not set");
  tmpdir = g_dir_make_tmp ("relevance-cli-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);

  g_test_add_func ("/cli/predict/text", test_predict_text);
  g_test_add_func ("/cli/explain-export", test_explain_export);
  g_test_add_func ("/cli/predict/json", test_predict_json);
  g_test_add_func ("/cli/predict/batch", test_predict_batch);
  g_test_add_func ("/cli/predict/image", test_predict_image);
  g_test_add_func ("/cli/ops", test_ops);
  g_test_add_func ("/cli/bench", test_bench);
  g_test_add_func ("/cli/help", test_help);
  g_test_add_func ("/cli/errors", test_errors);
  g_test_add_func ("/cli/explain/near-zero", test_explain_near_zero);
  g_test_add_func ("/cli/explain/one-method", test_explain_one_method);
  g_test_add_func ("/cli/spray-layout", test_spray_layout);
  g_test_add_func ("/cli/explain-true-class", test_explain_true_class);
  status = g_test_run ();

  {
    GDir *dir = g_dir_open (tmpdir, 0, NULL);
    const char *name;
    while (dir && (name = g_dir_read_name (dir)))
      {
        g_autofree char *p = tmp_path (name);
        g_unlink (p);
      }
    if (dir)
      g_dir_close (dir);
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  return status;
}
