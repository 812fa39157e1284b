/* bench-ui-latency.c — how long a parameter change takes to reach the screen.
 *
 *     bench-ui-latency [MODEL [IMAGES]] [--repeat N] [--method M --param KEY=A,B] [--max-ms T] [--first]
 *
 * Drives the real main window (RelWindow with its panels and canvas) under a
 * display: opens MODEL (default: the bundled demo, else the tiny-cnn fixture)
 * with a folder of images, then alternates a parameter between two values N
 * times. Each change goes out as the explainer panel emits it (flush: the
 * moment a slider is released) and is timed until the window has set the new
 * heatmap on the canvas and drawn the next frame. Prints
 *     ui-latency model=… method=… median_ms=… min_ms=… max_ms=…
 * and fails when the median exceeds --max-ms (default 50). With --first the
 * clock stops at the first map of the new parameters (a sampling method's
 * first progressive estimate) instead of the final one. IMAGES may also be a
 * single image or .npy input.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rel-render.h"
#include "rel-window.h"

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

typedef struct {
  gboolean first;
  gboolean any;
  gboolean final;
  gboolean drawn;
} State;

static void
updated_cb (RelWindow *window, gboolean is_final, gpointer data)
{
  State *s = data;
  s->any = TRUE;
  if (is_final)
    s->final = TRUE;
}

static gboolean
drawn_cb (gpointer data)
{
  ((State *) data)->drawn = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
wait_for (gboolean (*cond) (RelWindow *), RelWindow *window, double seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (!cond (window))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, TRUE);
    }
  return TRUE;
}

static gboolean
ready (RelWindow *window)
{
  return !rel_window_is_loading (window) && rel_window_get_model (window)
         && rel_window_get_input_path (window) && rel_window_is_explained (window);
}

static gboolean
explained (RelWindow *window)
{
  return rel_window_is_explained (window);
}

int
main (int argc, char **argv)
{
  int repeat = 30;
  double max_ms = 50;
  gboolean first = FALSE;
  const char *method = "lrp-epsilon";
  const char *param = "epsilon=0.01,0.25";
  GOptionEntry entries[] = {
    { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat, "Timed parameter changes", "N" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &method, "Explanation method", "M" },
    { "param", 0, 0, G_OPTION_ARG_STRING, &param, "Parameter and its two values", "KEY=A,B" },
    { "max-ms", 0, 0, G_OPTION_ARG_DOUBLE, &max_ms, "Fail above this median", "T" },
    { "first", 0, 0, G_OPTION_ARG_NONE, &first, "Stop at the first (progressive) map", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("[MODEL [IMAGES]]");
  g_option_context_add_main_entries (context, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-ui-latency: %s\n", error->message);
      return 2;
    }
  if (!gtk_init_check ())
    {
      printf ("ui-latency skipped: no display\n");
      return 0;
    }
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  g_autofree char *model_path = NULL, *images = NULL;
  if (argc > 1)
    model_path = g_strdup (argv[1]);
  if (argc > 2)
    images = g_strdup (argv[2]);
  if (model_path == NULL)
    {
      g_autofree char *demo = rel_window_find_demo ();
      if (demo)
        {
          model_path = g_build_filename (demo, "model.onnx", NULL);
          images = g_build_filename (demo, "images", "tagged", NULL);
          if (!g_file_test (images, G_FILE_TEST_IS_DIR))
            {
              g_free (images);
              images = g_build_filename (demo, "images", NULL);
            }
        }
      else
        {
          fprintf (stderr, "bench-ui-latency: no demo model; pass MODEL IMAGES\n");
          return 2;
        }
    }
  if (images == NULL)
    {
      fprintf (stderr, "bench-ui-latency: a folder of images is needed\n");
      return 2;
    }

  g_auto (GStrv) kv = g_strsplit (param, "=", 2);
  g_auto (GStrv) values = kv[1] ? g_strsplit (kv[1], ",", 2) : NULL;
  if (values == NULL || values[0] == NULL || values[1] == NULL)
    {
      fprintf (stderr, "bench-ui-latency: --param wants KEY=A,B\n");
      return 2;
    }

  RelWindow *window = rel_window_new (NULL, NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  g_autoptr (GFile) mfile = g_file_new_for_path (model_path);
  g_autoptr (GFile) ifile = g_file_new_for_path (images);
  GFile *files[] = { mfile, ifile };
  rel_window_open_files (window, files, 2);
  if (!wait_for (ready, window, 120))
    {
      fprintf (stderr, "bench-ui-latency: %s did not load and explain an image: %s\n", model_path,
               rel_window_get_error_message (window) ? rel_window_get_error_message (window) : "timeout");
      return 1;
    }

  RelExplainerPanel *panel = rel_window_get_explainer_panel (window);
  if (!rel_explainer_panel_set_method (panel, method))
    {
      fprintf (stderr, "bench-ui-latency: no method %s\n", method);
      return 2;
    }
  wait_for (explained, window, 120);

  State state = { 0 };
  g_signal_connect (window, "relevance-updated", G_CALLBACK (updated_cb), &state);
  g_autofree double *ms = g_new (double, MAX (repeat, 1));
  int warmup = 3;
  for (int i = -warmup; i < repeat; i++)
    {
      if (!rel_explainer_panel_set_param (panel, kv[0], values[(i + warmup) % 2], &error))
        {
          fprintf (stderr, "bench-ui-latency: %s\n", error->message);
          return 2;
        }
      state.final = state.drawn = state.any = FALSE;
      gint64 start = g_get_monotonic_time ();
      rel_explainer_panel_flush (panel);
      while (!(first ? state.any : state.final))
        g_main_context_iteration (NULL, TRUE);
      /* On screen: the frame after the map was set. */
      rel_widget_after_next_frame (GTK_WIDGET (rel_window_get_heatmap_view (window)), drawn_cb, &state, NULL);
      while (!state.drawn)
        g_main_context_iteration (NULL, TRUE);
      if (i >= 0)
        ms[i] = (g_get_monotonic_time () - start) / 1000.0;
      /* Let the rest stream in before the next change, as a user would. */
      while (!state.final)
        g_main_context_iteration (NULL, TRUE);
    }
  qsort (ms, repeat, sizeof *ms, cmp_double);
  double median = repeat % 2 ? ms[repeat / 2] : (ms[repeat / 2 - 1] + ms[repeat / 2]) / 2;
  g_autofree char *name = rel_model_display_name (rel_window_get_model (window), model_path);
  printf ("ui-latency%s model=%s method=%s param=%s repeat=%d median_ms=%.2f min_ms=%.2f max_ms=%.2f target_ms=%.0f\n",
          first ? "-first" : "", name, method, kv[0], repeat, median, ms[0], ms[repeat - 1], max_ms);
  gtk_window_destroy (GTK_WINDOW (window));
  return median <= max_ms ? 0 : 1;
}
