/* test-heatmap-view.c — the heatmap canvas and its colour bar, rendered
 * headless (GSK_RENDERER=cairo) and checked pixel by pixel.
 *
 * The view is 200×160 showing a 50×40 image, so each image pixel is a 4×4
 * block (drawn as a crisp square) whose centre is at (4·x + 2, 4·y + 2).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include "ui-test-util.h"

#include "rel-colorbar.h"
#include "rel-heatmap-view.h"
#include "rel-render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define IW 50
#define IH 40
#define PX 4
#define HOT_X 35
#define HOT_Y 10
#define COLD_X 10
#define COLD_Y 30

typedef struct {
  GtkWidget *window;
  RelHeatmapView *view;
  RelColorbar *bar;
  guint8 image[IW * IH * 3];
} Fixture;

/* The widget as drawn now: B8G8R8A8 premultiplied bytes (GDK's default). */
typedef struct {
  int width, height;
  gsize stride;
  guint8 *data;
} Pixels;

static Pixels
render (GtkWidget *widget)
{
  g_autoptr (GError) error = NULL;
  Pixels p;

  ui_test_wait_for_frame (widget);
  g_autoptr (GdkTexture) texture = rel_widget_render_texture (widget, &error);
  g_assert_no_error (error);
  p.width = gdk_texture_get_width (texture);
  p.height = gdk_texture_get_height (texture);
  p.stride = (gsize) p.width * 4;
  p.data = g_malloc (p.stride * p.height);
  gdk_texture_download (texture, p.data, p.stride);
  return p;
}

/* RGB at a widget pixel (the widget is opaque where we look). */
static void
pixel (const Pixels *p, int x, int y, guint8 *rgb)
{
  const guint8 *px = p->data + (gsize) y * p->stride + 4 * x;

  g_assert_cmpint (x, <, p->width);
  g_assert_cmpint (y, <, p->height);
  if (px[3] != 255)
    g_error ("pixel (%d, %d) is not opaque (alpha %d)", x, y, px[3]);
  rgb[0] = px[2];
  rgb[1] = px[1];
  rgb[2] = px[0];
}

/* The view rounds its corners (when not zoomed in): those pixels are blended
 * with the background. */
static gboolean
corner (int ix, int iy)
{
  return (ix == 0 || ix == IW - 1) && (iy == 0 || iy == IH - 1);
}

static void
image_pixel (const Pixels *p, int ix, int iy, guint8 *rgb)
{
  pixel (p, PX * ix + PX / 2, PX * iy + PX / 2, rgb);
}

static void
assert_rgb (const guint8 *rgb, int r, int g, int b, int tol)
{
  if (abs (rgb[0] - r) > tol || abs (rgb[1] - g) > tol || abs (rgb[2] - b) > tol)
    g_error ("colour (%d, %d, %d), expected (%d, %d, %d) ± %d", rgb[0], rgb[1], rgb[2], r, g, b, tol);
}

/* A positive blob at (cx, cy) and, unless @positive_only, a negative one at the
 * cold spot; the relevance is split over three channels as an input-shaped
 * explanation is. The hot spot's own value is the map's unique maximum. */
static RelTensor *
make_relevance (int cx, int cy, gboolean positive_only)
{
  const int64_t shape[] = { 1, 3, IH, IW };
  g_autoptr (GError) error = NULL;
  RelTensor *t = rel_tensor_new_f32 (4, shape, &error);
  float *d;

  g_assert_no_error (error);
  d = rel_tensor_f32 (t);
  for (int y = 0; y < IH; y++)
    for (int x = 0; x < IW; x++)
      {
        double pos = exp (-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / 18.0);
        double neg = positive_only ? 0 : -0.8 * exp (-((x - COLD_X) * (x - COLD_X) + (y - COLD_Y) * (y - COLD_Y)) / 12.0);
        double r = 0.02 * (pos + neg);
        /* Channels 0.5, 0.3, 0.2 of the total. */
        d[0 * IH * IW + y * IW + x] = (float) (0.5 * r);
        d[1 * IH * IW + y * IW + x] = (float) (0.3 * r);
        d[2 * IH * IW + y * IW + x] = (float) (0.2 * r);
      }
  return t;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  GtkWidget *box;

  for (int y = 0; y < IH; y++)
    for (int x = 0; x < IW; x++)
      {
        guint8 *p = f->image + 3 * (y * IW + x);
        p[0] = (guint8) (40 + 4 * x);
        p[1] = (guint8) (60 + 3 * y);
        p[2] = (guint8) (200 - 2 * x);
      }
  g_autoptr (GBytes) bytes = g_bytes_new (f->image, sizeof f->image);
  g_autoptr (GdkTexture) texture = gdk_memory_texture_new (IW, IH, GDK_MEMORY_R8G8B8, bytes, IW * 3);

  f->window = gtk_window_new ();
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  f->view = REL_HEATMAP_VIEW (rel_heatmap_view_new ());
  gtk_widget_set_size_request (GTK_WIDGET (f->view), IW * PX, IH * PX);
  gtk_widget_set_halign (GTK_WIDGET (f->view), GTK_ALIGN_CENTER);
  gtk_widget_set_valign (GTK_WIDGET (f->view), GTK_ALIGN_CENTER);
  f->bar = REL_COLORBAR (rel_colorbar_new (f->view));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (f->view));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (f->bar));
  gtk_window_set_child (GTK_WINDOW (f->window), box);
  gtk_window_set_resizable (GTK_WINDOW (f->window), FALSE);

  rel_heatmap_view_set_image (f->view, texture);
  g_autoptr (RelTensor) relevance = make_relevance (HOT_X, HOT_Y, FALSE);
  g_autoptr (GError) error = NULL;
  g_assert_true (rel_heatmap_view_set_relevance (f->view, relevance, &error));
  g_assert_no_error (error);
  rel_heatmap_view_set_opacity (f->view, 1.0);
  gtk_window_present (GTK_WINDOW (f->window));
  ui_test_wait_for_frame (GTK_WIDGET (f->view));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (f->view)), ==, IW * PX);
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (f->view)), ==, IH * PX);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
}

static void
test_overlay_follows_relevance (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint8 before[3], after[3], moved[3];

  Pixels a = render (GTK_WIDGET (f->view));
  image_pixel (&a, HOT_X, HOT_Y, before);
  assert_rgb (before, 255, 0, 0, 0);   /* the maximum at opacity 1: pure red */

  /* A progressive update moves the blob: the old spot fades to the image,
   * the new one turns red, and the widget keeps its size. */
  g_autoptr (RelTensor) moved_relevance = make_relevance (HOT_X - 20, HOT_Y + 5, FALSE);
  g_assert_true (rel_heatmap_view_set_relevance (f->view, moved_relevance, &error));
  g_assert_no_error (error);
  Pixels b = render (GTK_WIDGET (f->view));
  image_pixel (&b, HOT_X, HOT_Y, after);
  image_pixel (&b, HOT_X - 20, HOT_Y + 5, moved);
  g_assert_false (after[0] == before[0] && after[1] == before[1] && after[2] == before[2]);
  const guint8 *img = f->image + 3 * (HOT_Y * IW + HOT_X);
  assert_rgb (after, img[0], img[1], img[2], 2);   /* exp(−400/18) ≈ 0: the image */
  assert_rgb (moved, 255, 0, 0, 0);
  g_assert_cmpint (b.width, ==, a.width);
  g_assert_cmpint (b.height, ==, a.height);
  g_free (a.data);
  g_free (b.data);
}

static void
test_opacity_zero_shows_image (Fixture *f, gconstpointer data)
{
  rel_heatmap_view_set_opacity (f->view, 0.0);
  Pixels p = render (GTK_WIDGET (f->view));

  for (int y = 0; y < IH; y++)
    for (int x = 0; x < IW; x++)
      {
        guint8 rgb[3];
        const guint8 *img = f->image + 3 * (y * IW + x);
        if (corner (x, y))
          continue;
        image_pixel (&p, x, y, rgb);
        assert_rgb (rgb, img[0], img[1], img[2], 0);
      }
  /* The same as showing the image alone. */
  rel_heatmap_view_set_display_mode (f->view, REL_DISPLAY_IMAGE);
  Pixels q = render (GTK_WIDGET (f->view));
  g_assert_cmpmem (p.data, p.stride * p.height, q.data, q.stride * q.height);
  g_free (p.data);
  g_free (q.data);
}

static void
test_negative_mode_hides_positive (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RelTensor) positive = make_relevance (HOT_X, HOT_Y, TRUE);
  int red = 0;

  g_assert_true (rel_heatmap_view_set_relevance (f->view, positive, &error));
  rel_heatmap_view_set_sign_mode (f->view, REL_SIGN_NEGATIVE);
  Pixels p = render (GTK_WIDGET (f->view));
  for (int y = 0; y < IH; y++)
    for (int x = 0; x < IW; x++)
      {
        guint8 rgb[3];
        const guint8 *img = f->image + 3 * (y * IW + x);
        if (corner (x, y))
          continue;
        image_pixel (&p, x, y, rgb);
        red += rgb[0] > 200 && rgb[1] < 100 && rgb[2] < 100;
        assert_rgb (rgb, img[0], img[1], img[2], 0);
      }
  g_assert_cmpint (red, ==, 0);
  g_free (p.data);

  /* The heatmap alone is all white (zero) then; with "positive" the hot spot is red. */
  rel_heatmap_view_set_display_mode (f->view, REL_DISPLAY_HEATMAP);
  Pixels q = render (GTK_WIDGET (f->view));
  for (int y = 0; y < IH; y++)
    for (int x = 0; x < IW; x++)
      {
        guint8 rgb[3];
        if (corner (x, y))
          continue;
        image_pixel (&q, x, y, rgb);
        assert_rgb (rgb, 255, 255, 255, 0);
      }
  g_free (q.data);
  rel_heatmap_view_set_sign_mode (f->view, REL_SIGN_POSITIVE);
  Pixels r = render (GTK_WIDGET (f->view));
  guint8 rgb[3];
  image_pixel (&r, HOT_X, HOT_Y, rgb);
  assert_rgb (rgb, 255, 0, 0, 0);
  g_free (r.data);
}

static void
test_colormap_switch (Fixture *f, gconstpointer data)
{
  static const struct { const char *name; guint8 hot[3]; guint8 cold[3]; } expected[] = {
    { "bwr", { 255, 0, 0 }, { 51, 51, 255 } },            /* cold spot t = −0.8 */
    { "coldnhot", { 255, 255, 255 }, { 0, 153, 255 } },   /* u = 0.1: 0.4 from cyan to blue */
    { "hot", { 255, 255, 255 }, { 76, 0, 0 } },           /* u = 0.1: 0.3 of the way to red */
    { "viridis", { 253, 231, 37 }, { 0, 0, 0 } },         /* cold checked through the core below */
    { "gray", { 255, 255, 255 }, { 25, 25, 25 } },
  };

  rel_heatmap_view_set_display_mode (f->view, REL_DISPLAY_HEATMAP);
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      guint8 hot[3], cold[3], want[3];
      g_object_set (f->view, "colormap", expected[i].name, NULL);
      Pixels p = render (GTK_WIDGET (f->view));
      image_pixel (&p, HOT_X, HOT_Y, hot);
      image_pixel (&p, COLD_X, COLD_Y, cold);
      assert_rgb (hot, expected[i].hot[0], expected[i].hot[1], expected[i].hot[2], 0);
      /* The cold spot's value relative to the max: −0.8 plus the positive
       * blob's tail there; the core gives its colour. */
      const float *map = rel_heatmap_view_get_map (f->view, NULL, NULL);
      double t = map[COLD_Y * IW + COLD_X] / rel_heatmap_view_get_scale (f->view);
      g_assert_cmpfloat_with_epsilon (t, -0.8, 1e-3);
      RelColormap m;
      g_assert_true (rel_colormap_from_name (expected[i].name, &m));
      rel_colormap_color (m, REL_SIGN_BOTH, t, want);
      assert_rgb (cold, want[0], want[1], want[2], 1);
      if (!g_str_equal (expected[i].name, "viridis"))
        assert_rgb (cold, expected[i].cold[0], expected[i].cold[1], expected[i].cold[2], 1);
      g_free (p.data);
    }
}

typedef struct {
  int x, y, calls;
  double value;
  guint rank;
} Hover;

static void
hover_cb (RelHeatmapView *view, int x, int y, double value, guint rank, Hover *h)
{
  h->x = x;
  h->y = y;
  h->value = value;
  h->rank = rank;
  h->calls++;
}

/* 1 + how many cells are strictly larger, by brute force. */
static guint
brute_rank (const float *map, int n, float v)
{
  guint r = 1;
  for (int i = 0; i < n; i++)
    r += map[i] > v;
  return r;
}

static void
test_hover_pick (Fixture *f, gconstpointer data)
{
  int mx, my, w, h;
  double value;
  guint rank, total;
  const float *map = rel_heatmap_view_get_map (f->view, &w, &h);
  Hover hv = { 0 };

  g_assert_cmpint (w, ==, IW);
  g_assert_cmpint (h, ==, IH);
  /* The hot spot: the channel sum, the maximum, rank 1. */
  g_assert_true (rel_heatmap_view_pick (f->view, PX * HOT_X + 1, PX * HOT_Y + 3, &mx, &my, &value, &rank, &total));
  g_assert_cmpint (mx, ==, HOT_X);
  g_assert_cmpint (my, ==, HOT_Y);
  g_assert_cmpfloat_with_epsilon (value, 0.02, 1e-6);
  g_assert_cmpuint (rank, ==, 1);
  g_assert_cmpuint (total, ==, IW * IH);
  /* Some other pixel: the value stored there and its rank among all. */
  g_assert_true (rel_heatmap_view_pick (f->view, PX * 31 + 2, PX * 12 + 2, &mx, &my, &value, &rank, NULL));
  g_assert_cmpint (mx, ==, 31);
  g_assert_cmpint (my, ==, 12);
  g_assert_cmpfloat (value, ==, map[12 * IW + 31]);
  g_assert_cmpuint (rank, ==, brute_rank (map, IW * IH, map[12 * IW + 31]));
  g_assert_cmpuint (rank, >, 1);
  /* The cold spot is the least relevant (ranked last) and the most relevant
   * in "negative" mode. */
  g_assert_true (rel_heatmap_view_pick (f->view, PX * COLD_X + 2, PX * COLD_Y + 2, NULL, NULL, NULL, &rank, NULL));
  g_assert_cmpuint (rank, ==, IW * IH);
  rel_heatmap_view_set_sign_mode (f->view, REL_SIGN_NEGATIVE);
  g_assert_true (rel_heatmap_view_pick (f->view, PX * COLD_X + 2, PX * COLD_Y + 2, NULL, NULL, NULL, &rank, NULL));
  g_assert_cmpuint (rank, ==, 1);
  rel_heatmap_view_set_sign_mode (f->view, REL_SIGN_BOTH);
  /* Outside the image: nothing. */
  g_assert_false (rel_heatmap_view_pick (f->view, -3, 10, NULL, NULL, NULL, NULL, NULL));

  /* Hovering emits the same through "hover-changed", and leaving resets it. */
  g_signal_connect (f->view, "hover-changed", G_CALLBACK (hover_cb), &hv);
  rel_heatmap_view_hover (f->view, PX * HOT_X + 2, PX * HOT_Y + 2);
  g_assert_cmpint (hv.calls, ==, 1);
  g_assert_cmpint (hv.x, ==, HOT_X);
  g_assert_cmpint (hv.y, ==, HOT_Y);
  g_assert_cmpfloat_with_epsilon (hv.value, 0.02, 1e-6);
  g_assert_cmpuint (hv.rank, ==, 1);
  /* A progressive update under a still pointer refreshes the readout. */
  g_autoptr (RelTensor) moved = make_relevance (HOT_X - 20, HOT_Y, FALSE);
  g_assert_true (rel_heatmap_view_set_relevance (f->view, moved, NULL));
  g_assert_cmpint (hv.calls, ==, 2);
  g_assert_cmpuint (hv.rank, >, 1);
  rel_heatmap_view_hover (f->view, -1, -1);
  g_assert_cmpint (hv.x, ==, -1);
  g_assert_cmpuint (hv.rank, ==, 0);
}

static void
test_zoom_pick (Fixture *f, gconstpointer data)
{
  double ix, iy;
  int mx, my;

  /* 2× about the centre (100, 80) = image point (25, 20): 8 screen pixels per
   * image pixel, so widget (100 + 8·(x − 25) + 4, …) is image pixel x. */
  rel_heatmap_view_set_zoom (f->view, 2.0);
  g_assert_cmpfloat (rel_heatmap_view_get_zoom (f->view), ==, 2.0);
  for (int k = -12; k < 12; k += 5)
    {
      int x = 25 + k, y = 20 + k / 2;
      g_assert_true (rel_heatmap_view_pick (f->view, 100 + 8 * (x - 25) + 4, 80 + 8 * (y - 20) + 4,
                                            &mx, &my, NULL, NULL, NULL));
      g_assert_cmpint (mx, ==, x);
      g_assert_cmpint (my, ==, y);
    }
  /* The image's corner is outside the view now. */
  g_assert_true (rel_heatmap_view_widget_to_image (f->view, 0, 0, &ix, &iy));
  g_assert_cmpfloat_with_epsilon (ix, 12.5, 1e-9);
  g_assert_cmpfloat_with_epsilon (iy, 10.0, 1e-9);

  /* The drawing agrees: at opacity 0 widget (100 + 8·k + 4, 84) shows image pixel (25 + k, 20). */
  rel_heatmap_view_set_opacity (f->view, 0.0);
  Pixels p = render (GTK_WIDGET (f->view));
  for (int k = -12; k < 12; k += 3)
    {
      guint8 rgb[3];
      const guint8 *img = f->image + 3 * (20 * IW + 25 + k);
      pixel (&p, 100 + 8 * k + 4, 84, rgb);
      assert_rgb (rgb, img[0], img[1], img[2], 0);
    }
  g_free (p.data);

  /* Zooming at a point keeps that point on the same image pixel. */
  rel_heatmap_view_zoom_at (f->view, 4.0, 30, 50);
  g_assert_true (rel_heatmap_view_widget_to_image (f->view, 30, 50, &ix, &iy));
  g_assert_cmpfloat_with_epsilon (ix, 12.5 + 30 / 8.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (iy, 10.0 + 50 / 8.0, 1e-9);
  rel_heatmap_view_zoom_fit (f->view);
  g_assert_cmpfloat (rel_heatmap_view_get_zoom (f->view), ==, 1.0);
  g_assert_true (rel_heatmap_view_pick (f->view, PX * 7 + 2, PX * 9 + 2, &mx, &my, NULL, NULL, NULL));
  g_assert_cmpint (mx, ==, 7);
  g_assert_cmpint (my, ==, 9);
}

static void
test_cam_upsampled (Fixture *f, gconstpointer data)
{
  /* A 5×4 map (one cell per 10×10 image pixels), as Grad-CAM gives. */
  const int64_t shape[] = { 1, 1, 4, 5 };
  float cells[20] = { 0 };
  int mx, my;
  double value;
  guint total, rank;
  guint8 rgb[3];

  cells[1 * 5 + 3] = 2.0f;   /* covers image x 30…39, y 10…19 */
  cells[3 * 5 + 0] = -1.0f;
  g_autoptr (RelTensor) cam = rel_tensor_new_from_f32 (4, shape, cells, NULL);
  g_assert_true (rel_heatmap_view_set_relevance (f->view, cam, NULL));
  g_assert_true (rel_heatmap_view_pick (f->view, PX * HOT_X + 2, PX * HOT_Y + 2, &mx, &my, &value, &rank, &total));
  g_assert_cmpint (mx, ==, 3);
  g_assert_cmpint (my, ==, 1);
  g_assert_cmpfloat (value, ==, 2.0);
  g_assert_cmpuint (rank, ==, 1);
  g_assert_cmpuint (total, ==, 20);
  /* Upsampled smoothly: full red at the cell's centre (image 35, 15 — a
   * half-pixel off the cell centre 34.5, 14.5 the interpolation weight is 0.95),
   * the image far from it. */
  rel_heatmap_view_set_display_mode (f->view, REL_DISPLAY_HEATMAP);
  Pixels p = render (GTK_WIDGET (f->view));
  image_pixel (&p, 34, 14, rgb);
  g_assert_cmpint (rgb[0], ==, 255);
  g_assert_cmpint (rgb[1], <, 40);
  image_pixel (&p, 30, 14, rgb);   /* between the cell and its zero neighbour */
  g_assert_cmpint (rgb[1], >, 60);
  g_assert_cmpint (rgb[1], <, 230);
  image_pixel (&p, 15, 5, rgb);
  assert_rgb (rgb, 255, 255, 255, 0);
  g_free (p.data);

  /* Export at the image's resolution agrees with the core's blend. */
  g_autoptr (GdkTexture) exported = rel_heatmap_view_render_texture (f->view, REL_DISPLAY_OVERLAY);
  g_assert_cmpint (gdk_texture_get_width (exported), ==, IW);
  g_assert_cmpint (gdk_texture_get_height (exported), ==, IH);
  guint8 *ex = g_malloc (IW * IH * 4);
  gdk_texture_download (exported, ex, IW * 4);
  const guint8 *img = f->image + 3 * (5 * IW + 15);
  assert_rgb ((guint8[]) { ex[4 * (5 * IW + 15) + 2], ex[4 * (5 * IW + 15) + 1], ex[4 * (5 * IW + 15)] },
              img[0], img[1], img[2], 0);
  /* 0.95 of full red over the image pixel (176, 102, 132). */
  g_assert_cmpint (ex[4 * (14 * IW + 34) + 2], >=, 245);
  g_assert_cmpint (ex[4 * (14 * IW + 34) + 1], <, 20);
  g_free (ex);
}

static void
test_colorbar (Fixture *f, gconstpointer data)
{
  GtkWidget *bar = GTK_WIDGET (f->bar);
  guint8 left[3], right[3], mid[3];
  int w;

  Pixels p = render (bar);
  w = p.width;
  g_assert_cmpint (w, >=, 120);
  pixel (&p, 3, 5, left);
  pixel (&p, w - 4, 5, right);
  pixel (&p, w / 2, 5, mid);
  assert_rgb (left, 0, 0, 255, 12);
  assert_rgb (right, 255, 0, 0, 12);
  assert_rgb (mid, 255, 255, 255, 4);
  g_free (p.data);

  /* It follows the view's colour map and sign mode. */
  rel_heatmap_view_set_colormap (f->view, REL_COLORMAP_COLDNHOT);
  rel_heatmap_view_set_sign_mode (f->view, REL_SIGN_POSITIVE);
  Pixels q = render (bar);
  pixel (&q, 3, 5, left);
  pixel (&q, q.width - 4, 5, right);
  assert_rgb (left, 0, 0, 0, 12);       /* positive coldnhot starts at black */
  assert_rgb (right, 255, 255, 255, 12);
  g_free (q.data);

  g_autofree char *lo = rel_colorbar_format_value (-0.0123456);
  g_autofree char *zero = rel_colorbar_format_value (0);
  g_autofree char *hi = rel_colorbar_format_value (2.5e-5);
  g_assert_cmpstr (lo, ==, "−0.0123");
  g_assert_cmpstr (zero, ==, "0");
  g_assert_cmpstr (hi, ==, "2.5e-05");
}

static void
test_normalization (Fixture *f, gconstpointer data)
{
  const float *map = rel_heatmap_view_get_map (f->view, NULL, NULL);

  /* Max-abs: the peak 0.02; shared: the caller's value; percentile: ≤ the max. */
  g_assert_cmpfloat_with_epsilon (rel_heatmap_view_get_scale (f->view), 0.02, 1e-6);
  g_object_set (f->view, "normalization", "shared", "shared-scale", 0.04, NULL);
  g_assert_cmpfloat (rel_heatmap_view_get_scale (f->view), ==, 0.04);
  rel_heatmap_view_set_display_mode (f->view, REL_DISPLAY_HEATMAP);
  Pixels p = render (GTK_WIDGET (f->view));
  guint8 rgb[3];
  image_pixel (&p, HOT_X, HOT_Y, rgb);
  assert_rgb (rgb, 255, 128, 128, 1);   /* half the shared scale: halfway to red */
  g_free (p.data);
  g_object_set (f->view, "normalization", "percentile", "percentile", 99.5, NULL);
  double s = rel_heatmap_view_get_scale (f->view);
  g_assert_cmpfloat (s, ==, rel_abs_percentile (map, IW * IH, 99.5));
  g_assert_cmpfloat (s, <, 0.02);
  g_assert_cmpfloat (s, >, 0.01);
  g_assert_cmpfloat_with_epsilon (rel_heatmap_view_get_map_scale (f->view, REL_NORM_MAX_ABS, 0), 0.02, 1e-6);
}

/* The widget pixel nearest to the centre of image pixel (@ix, @iy). */
static void
widget_point (RelHeatmapView *view, int ix, int iy, int *wx, int *wy)
{
  int w = gtk_widget_get_width (GTK_WIDGET (view)), h = gtk_widget_get_height (GTK_WIDGET (view));
  double best = 1e9;

  *wx = *wy = -1;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        double fx, fy, d;
        /* the widget pixel's centre */
        if (!rel_heatmap_view_widget_to_image (view, x + 0.5, y + 0.5, &fx, &fy))
          continue;
        d = hypot (fx - (ix + 0.5), fy - (iy + 0.5));
        if (d < best)
          best = d, *wx = x, *wy = y;
      }
  g_assert_cmpfloat (best, <, 0.5);
}

/* The colour the canvas must show at image pixel (@ix, @iy) of a W×H map
 * @rel with max |rel| @scale, from the core's colour map (bwr, both signs):
 * heatmap alone (@opacity < 0) or blended over @img as the overlay, where the
 * colour's weight is opacity·|t|. The canvas interpolates when it scales,
 * so the pixel is held to the range of its 3×3 neighbourhood's colours. */
static void
assert_canvas_colour (const Pixels *p, int wx, int wy, const float *rel, const guint8 *img, int W, int H,
                      double scale, double opacity, int ix, int iy)
{
  int lo[3] = { 255, 255, 255 }, hi[3] = { 0, 0, 0 };
  guint8 got[3];

  for (int y = MAX (iy - 1, 0); y <= MIN (iy + 1, H - 1); y++)
    for (int x = MAX (ix - 1, 0); x <= MIN (ix + 1, W - 1); x++)
      {
        double t = rel[y * W + x] / scale;
        guint8 c[3];
        rel_colormap_color (REL_COLORMAP_BWR, REL_SIGN_BOTH, t, c);
        for (int k = 0; k < 3; k++)
          {
            double a = opacity * fabs (t);
            int v = opacity < 0 ? c[k] : (int) lround ((1 - a) * img[3 * (y * W + x) + k] + a * c[k]);
            lo[k] = MIN (lo[k], v);
            hi[k] = MAX (hi[k], v);
          }
      }
  pixel (p, wx, wy, got);
  for (int k = 0; k < 3; k++)
    if (got[k] + 2 < lo[k] || got[k] > hi[k] + 2)
      g_error ("image pixel (%d, %d) at widget (%d, %d) drawn (%d, %d, %d), expected within (%d–%d, %d–%d, %d–%d)",
               ix, iy, wx, wy, got[0], got[1], got[2], lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]);
}

/* Issue 12, defect 5: a map that is one 0.01 cell for an explained output of
 * 18.3 (Grad-CAM on the demo) was drawn as a confident red spot. With the
 * output known, the floor keeps it faint and a notice says so; a map that
 * carries its output keeps its own scale and no notice. */
static void
test_nearly_zero (Fixture *f, gconstpointer data)
{
  const int64_t shape[] = { 1, 1, IH, IW };
  g_autoptr (RelTensor) spot = rel_tensor_new_f32 (4, shape, NULL);
  g_autoptr (GError) error = NULL;
  guint8 rgb[3];
  const int sx = HOT_X, sy = 30;

  rel_tensor_f32 (spot)[sy * IW + sx] = 0.01f;
  g_assert_true (rel_heatmap_view_set_relevance (f->view, spot, &error));
  rel_heatmap_view_set_display_mode (f->view, REL_DISPLAY_HEATMAP);
  /* Unknown output: max-abs as before, the cell is the red end. */
  Pixels a = render (GTK_WIDGET (f->view));
  image_pixel (&a, sx, sy, rgb);
  assert_rgb (rgb, 255, 0, 0, 0);
  g_assert_null (rel_heatmap_view_get_notice (f->view));
  g_free (a.data);

  rel_heatmap_view_set_reference (f->view, 18.3);
  g_assert_true (rel_heatmap_view_is_nearly_zero (f->view));
  g_assert_cmpfloat_with_epsilon (rel_heatmap_view_get_scale (f->view), REL_HEATMAP_FLOOR * 18.3, 1e-6);
  const char *notice = rel_heatmap_view_get_notice (f->view);
  g_test_message ("notice: %s", notice);
  g_assert_nonnull (notice);
  g_assert_nonnull (strstr (notice, "nearly) zero"));
  g_assert_nonnull (strstr (notice, "max |R| = 0.01"));
  g_assert_nonnull (strstr (notice, "18.3"));
  Pixels b = render (GTK_WIDGET (f->view));
  image_pixel (&b, sx, sy, rgb);
  /* t = 0.01 / 0.915: one percent of the way from white to red */
  assert_rgb (rgb, 255, 252, 252, 2);
  g_free (b.data);

  /* A map whose |R| adds up to its output (LRP's conservation): no notice,
   * and its own max-abs scale. */
  g_autoptr (RelTensor) full = make_relevance (HOT_X, HOT_Y, FALSE);
  g_assert_true (rel_heatmap_view_set_relevance (f->view, full, &error));
  int w, h;
  const float *map = rel_heatmap_view_get_map (f->view, &w, &h);
  double sum = 0;
  for (int i = 0; i < w * h; i++)
    sum += fabs (map[i]);
  rel_heatmap_view_set_reference (f->view, sum);
  g_assert_false (rel_heatmap_view_is_nearly_zero (f->view));
  g_assert_null (rel_heatmap_view_get_notice (f->view));
  g_assert_cmpfloat_with_epsilon (rel_heatmap_view_get_scale (f->view), 0.02, 1e-6);
}

/* Issue 15: a map that rounding changes (rel-fragility.h) says so over the
 * canvas, beside the near-zero notice when both apply; an unchecked (NaN)
 * or sound map says nothing. */
static void
test_fragile (Fixture *f, gconstpointer data)
{
  g_autoptr (RelTensor) full = make_relevance (HOT_X, HOT_Y, FALSE);
  g_autoptr (RelTensor) spot = NULL;
  g_autoptr (GError) error = NULL;
  const int64_t shape[] = { 1, 1, IH, IW };
  const char *notice;

  g_assert_true (rel_heatmap_view_set_relevance (f->view, full, &error));
  g_assert_null (rel_heatmap_view_get_notice (f->view));
  rel_heatmap_view_set_stability (f->view, 0.632);
  g_assert_true (rel_heatmap_view_is_fragile (f->view));
  g_assert_false (rel_heatmap_view_is_nearly_zero (f->view));
  notice = rel_heatmap_view_get_notice (f->view);
  g_test_message ("notice: %s", notice);
  g_assert_nonnull (notice);
  g_assert_nonnull (strstr (notice, "Numerically fragile"));
  g_assert_nonnull (strstr (notice, "0.63"));
  g_assert_null (strstr (notice, "zero"));
  /* sound, then unchecked: no notice */
  rel_heatmap_view_set_stability (f->view, 0.99999);
  g_assert_false (rel_heatmap_view_is_fragile (f->view));
  g_assert_null (rel_heatmap_view_get_notice (f->view));
  rel_heatmap_view_set_stability (f->view, NAN);
  g_assert_null (rel_heatmap_view_get_notice (f->view));
  /* both: near zero and fragile, one line each */
  spot = rel_tensor_new_f32 (4, shape, NULL);
  rel_tensor_f32 (spot)[30 * IW + HOT_X] = 0.01f;
  g_assert_true (rel_heatmap_view_set_relevance (f->view, spot, &error));
  rel_heatmap_view_set_reference (f->view, 18.3);
  rel_heatmap_view_set_stability (f->view, 0.5);
  notice = rel_heatmap_view_get_notice (f->view);
  g_test_message ("notice: %s", notice);
  g_assert_true (rel_heatmap_view_is_nearly_zero (f->view));
  g_assert_nonnull (strstr (notice, "nearly) zero"));
  g_assert_nonnull (strstr (notice, "\nNumerically fragile"));
}

/* A map with NaN and ±Inf (an overflowing model; rel_explain refuses such
 * maps, the canvas must not trust that): the non-finite cells draw as no
 * relevance (the image shows through), the scale stays the finite maximum,
 * and the rest of the map draws as before. */
static void
test_nonfinite_map (Fixture *f, gconstpointer data)
{
  g_autoptr (RelTensor) r = make_relevance (HOT_X, HOT_Y, FALSE);
  g_autoptr (GError) error = NULL;
  float *d = rel_tensor_f32 (r);
  const int nx = 5, ny = 5;
  guint8 rgb[3], hot[3];

  for (int c = 0; c < 3; c++)
    {
      d[c * IH * IW + ny * IW + nx] = NAN;
      d[c * IH * IW + ny * IW + nx + 2] = c ? 0.f : INFINITY;
      d[c * IH * IW + (ny + 2) * IW + nx] = c ? 0.f : -INFINITY;
    }
  g_assert_true (rel_heatmap_view_set_relevance (f->view, r, &error));
  g_assert_no_error (error);
  double scale = rel_heatmap_view_get_scale (f->view);
  g_assert_true (isfinite (scale));
  g_assert_cmpfloat_with_epsilon (scale, 0.02, 1e-6);
  Pixels a = render (GTK_WIDGET (f->view));
  const int cells[3][2] = { { nx, ny }, { nx + 2, ny }, { nx, ny + 2 } };
  for (int k = 0; k < 3; k++)
    {
      const guint8 *img = f->image + 3 * (cells[k][1] * IW + cells[k][0]);
      image_pixel (&a, cells[k][0], cells[k][1], rgb);
      assert_rgb (rgb, img[0], img[1], img[2], 2);
    }
  image_pixel (&a, HOT_X, HOT_Y, hot);
  assert_rgb (hot, 255, 0, 0, 0);
  g_free (a.data);
}

/* A picture worth looking at: a sky, a ground and a sun-like object, with
 * relevance on the object and some negative evidence in the sky. Its pixels
 * are checked at known points against the core's colour map: the sun's
 * centre (red), the negative blob's (blue), sky and ground far from any
 * relevance (the image itself; the ground point is right of the hover
 * readout, which sits in the lower left corner), as the overlay and as the
 * heatmap alone. */
static void
test_screenshot (Fixture *f, gconstpointer data)
{
  enum { W = 224, H = 168 };
  static guint8 img[W * H * 3];
  const int64_t shape[] = { 1, 1, H, W };
  g_autoptr (RelTensor) r = rel_tensor_new_f32 (4, shape, NULL);
  float *d = rel_tensor_f32 (r);
  const char *path = g_getenv ("HEATMAP_SCREENSHOT");
  GtkWidget *window, *box, *view, *bar, *label;

  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        guint8 *p = img + 3 * (y * W + x);
        double sun = hypot (x - 140, y - 70), horizon = 110 + 6 * sin (x / 18.0);
        if (sun < 26)
          p[0] = 250, p[1] = 200, p[2] = 90;
        else if (y > horizon)
          p[0] = (guint8) (70 + (y - horizon) / 2), p[1] = (guint8) (120 + (x % 7)), p[2] = 60;
        else
          p[0] = (guint8) (110 + y / 2), p[1] = (guint8) (160 + y / 3), p[2] = 230;
        double rel = exp (-pow (sun / 22, 2)) * (0.8 + 0.2 * sin (x * 0.9) * cos (y * 0.7))
                     - 0.45 * exp (-(pow (x - 50, 2) + pow (y - 40, 2)) / 500.0)
                     + 0.12 * sin (x * 0.31 + y * 0.17) * exp (-pow ((y - horizon) / 6, 2));
        d[y * W + x] = (float) rel;
      }
  g_autoptr (GBytes) bytes = g_bytes_new_static (img, sizeof img);
  g_autoptr (GdkTexture) texture = gdk_memory_texture_new (W, H, GDK_MEMORY_R8G8B8, bytes, W * 3);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 560, 500);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  view = rel_heatmap_view_new ();
  gtk_widget_set_vexpand (view, TRUE);
  rel_heatmap_view_set_image (REL_HEATMAP_VIEW (view), texture);
  g_assert_true (rel_heatmap_view_set_relevance (REL_HEATMAP_VIEW (view), r, NULL));
  label = gtk_label_new ("Relevance");
  gtk_widget_add_css_class (label, "caption-heading");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  bar = rel_colorbar_new (REL_HEATMAP_VIEW (view));
  gtk_box_append (GTK_BOX (box), view);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), bar);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));
  ui_test_wait_for_frame (view);
  rel_heatmap_view_hover (REL_HEATMAP_VIEW (view),
                          gtk_widget_get_width (view) / 2.0 + 40, gtk_widget_get_height (view) / 2.0 - 30);
  ui_test_wait_for_frame (window);
  ui_test_wait_for_frame (view);
  g_assert_true (gtk_widget_get_visible (gtk_widget_get_first_child (view)));
  {
    static const int points[][2] = { { 140, 70 }, { 50, 40 }, { 200, 12 }, { 185, 150 }, { 100, 90 } };
    double scale = 0, opacity = rel_heatmap_view_get_opacity (REL_HEATMAP_VIEW (view));
    int wp[G_N_ELEMENTS (points)][2];

    for (int i = 0; i < W * H; i++)
      scale = MAX (scale, fabs (d[i]));
    g_assert_cmpfloat (opacity, >, 0);
    g_assert_cmpfloat_with_epsilon (rel_heatmap_view_get_scale (REL_HEATMAP_VIEW (view)), scale, 1e-6 * scale);
    for (gsize i = 0; i < G_N_ELEMENTS (points); i++)
      widget_point (REL_HEATMAP_VIEW (view), points[i][0], points[i][1], &wp[i][0], &wp[i][1]);
    Pixels o = render (view);
    for (gsize i = 0; i < G_N_ELEMENTS (points); i++)
      assert_canvas_colour (&o, wp[i][0], wp[i][1], d, img, W, H, scale, opacity, points[i][0], points[i][1]);
    {
      /* far from any relevance the overlay is the image */
      guint8 rgb[3];
      pixel (&o, wp[2][0], wp[2][1], rgb);
      assert_rgb (rgb, img[3 * (12 * W + 200)], img[3 * (12 * W + 200) + 1], img[3 * (12 * W + 200) + 2], 1);
    }
    g_free (o.data);
    rel_heatmap_view_set_display_mode (REL_HEATMAP_VIEW (view), REL_DISPLAY_HEATMAP);
    Pixels m = render (view);
    for (gsize i = 0; i < G_N_ELEMENTS (points); i++)
      assert_canvas_colour (&m, wp[i][0], wp[i][1], d, img, W, H, scale, -1, points[i][0], points[i][1]);
    {
      /* the sun's centre is near full red, the negative blob's centre blue */
      guint8 sun[3], neg[3];
      pixel (&m, wp[0][0], wp[0][1], sun);
      pixel (&m, wp[1][0], wp[1][1], neg);
      g_assert_cmpint (sun[0], ==, 255);
      g_assert_cmpint (sun[1], <, 80);
      g_assert_cmpint (neg[2], ==, 255);
      g_assert_cmpint (neg[0], <, 160);
    }
    g_free (m.data);
    rel_heatmap_view_set_display_mode (REL_HEATMAP_VIEW (view), REL_DISPLAY_OVERLAY);
    ui_test_wait_for_frame (view);
  }
  if (path)
    {
      g_autoptr (GError) error = NULL;
      ui_test_save_png (window, path);
      g_assert_no_error (error);

      /* And dark, zoomed in, another map: for looking at, not for asserting. */
      g_autofree char *dark = g_strconcat (path, "-dark.png", NULL);
      g_object_set (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", TRUE, NULL);
      rel_heatmap_view_set_colormap (REL_HEATMAP_VIEW (view), REL_COLORMAP_COLDNHOT);
      rel_heatmap_view_set_opacity (REL_HEATMAP_VIEW (view), 1.0);
      rel_heatmap_view_zoom_at (REL_HEATMAP_VIEW (view), 6.0,
                                gtk_widget_get_width (view) / 2.0 + 40, gtk_widget_get_height (view) / 2.0 - 30);
      ui_test_wait_for_frame (window);
      ui_test_wait_for_frame (view);
      ui_test_save_png (window, dark);
      g_assert_no_error (error);
      g_object_set (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", FALSE, NULL);
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  if (!ui_test_init (&argc, &argv))
    return 0;
#define ADD(path, fn) g_test_add ("/heatmap-view/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("overlay-follows-relevance", test_overlay_follows_relevance);
  ADD ("opacity-zero-shows-image", test_opacity_zero_shows_image);
  ADD ("negative-mode-hides-positive", test_negative_mode_hides_positive);
  ADD ("colormap-switch", test_colormap_switch);
  ADD ("hover-pick", test_hover_pick);
  ADD ("zoom-pick", test_zoom_pick);
  ADD ("cam-upsampled", test_cam_upsampled);
  ADD ("colorbar", test_colorbar);
  ADD ("normalization", test_normalization);
  ADD ("nearly-zero", test_nearly_zero);
  ADD ("fragile", test_fragile);
  ADD ("nonfinite-map", test_nonfinite_map);
  ADD ("screenshot", test_screenshot);
  return g_test_run ();
}
