/* rel-colormap.c — relevance to colour (see rel-colormap.h).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-colormap.h"
#include "rel-error.h"

#include <math.h>
#include <string.h>

void
rel_colormap_diverging (double t, guint8 *rgb)
{
  double r, g, b;

  if (!(t == t))
    t = 0;
  t = CLAMP (t, -1.0, 1.0);
  if (t >= 0)
    {
      r = 1.0;
      g = b = 1.0 - t;
    }
  else
    {
      r = g = 1.0 + t;
      b = 1.0;
    }
  rgb[0] = (guint8) lround (r * 255.0);
  rgb[1] = (guint8) lround (g * 255.0);
  rgb[2] = (guint8) lround (b * 255.0);
}

static gboolean
map_dims (const RelTensor *t, int *c, int *h, int *w, GError **error)
{
  if (t->dtype != REL_DTYPE_FLOAT32 || t->ndim < 2 || t->ndim > 4 || (t->ndim == 4 && t->shape[0] != 1))
    {
      g_autofree char *shape = rel_tensor_shape_string (t);
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "cannot draw a heatmap of shape %s (need 1×C×H×W, C×H×W or H×W)", shape);
      return FALSE;
    }
  *h = (int) t->shape[t->ndim - 2];
  *w = (int) t->shape[t->ndim - 1];
  *c = t->ndim >= 3 ? (int) t->shape[t->ndim - 3] : 1;
  if (*h < 1 || *w < 1)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "cannot draw an empty heatmap");
      return FALSE;
    }
  return TRUE;
}

float *
rel_heatmap_normalized (const RelTensor *relevance, int *width, int *height, GError **error)
{
  int c, h, w;
  gsize plane;
  float *out;
  double mx = 0;

  if (!map_dims (relevance, &c, &h, &w, error))
    return NULL;
  plane = (gsize) h * w;
  out = g_new0 (float, plane);
  for (int ch = 0; ch < c; ch++)
    for (gsize i = 0; i < plane; i++)
      out[i] += rel_tensor_f32 (relevance)[ch * plane + i];
  for (gsize i = 0; i < plane; i++)
    if (isfinite (out[i]))
      mx = MAX (mx, fabs (out[i]));
  for (gsize i = 0; i < plane; i++)
    out[i] = mx > 0 && isfinite (out[i]) ? (float) (out[i] / mx) : 0.f;
  *width = w;
  *height = h;
  return out;
}

guint8 *
rel_heatmap_render (const RelTensor *relevance, int *width, int *height, GError **error)
{
  g_autofree float *n = rel_heatmap_normalized (relevance, width, height, error);
  guint8 *rgb;
  gsize plane;

  if (n == NULL)
    return NULL;
  plane = (gsize) *width * *height;
  rgb = g_new (guint8, plane * 3);
  for (gsize i = 0; i < plane; i++)
    rel_colormap_diverging (n[i], rgb + 3 * i);
  return rgb;
}

guint8 *
rel_heatmap_overlay (const RelTensor *relevance, const guint8 *image, int width, int height,
                     double opacity, GError **error)
{
  int hw, hh;
  g_autofree float *n = rel_heatmap_normalized (relevance, &hw, &hh, error);
  guint8 *out;

  if (n == NULL)
    return NULL;
  out = g_new (guint8, (gsize) width * height * 3);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guint8 *px = image + ((gsize) y * width + x) * 3;
        guint8 *o = out + ((gsize) y * width + x) * 3;
        int sy = (int) ((y + 0.5) * hh / height), sx = (int) ((x + 0.5) * hw / width);
        double t = n[(gsize) MIN (sy, hh - 1) * hw + MIN (sx, hw - 1)];
        double a = CLAMP (fabs (t) * opacity, 0.0, 1.0);
        double grey = 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2];
        guint8 heat[3];

        rel_colormap_diverging (t, heat);
        for (int k = 0; k < 3; k++)
          o[k] = (guint8) lround ((1 - a) * grey + a * heat[k]);
      }
  return out;
}

guint8 *
rel_input_to_rgb8 (const RelTensor *input, const RelPreprocess *pp, int *width, int *height, GError **error)
{
  int c, h, w;
  gsize plane;
  guint8 *rgb;

  if (!map_dims (input, &c, &h, &w, error))
    return NULL;
  plane = (gsize) h * w;
  rgb = g_new (guint8, plane * 3);
  for (gsize i = 0; i < plane; i++)
    for (int k = 0; k < 3; k++)
      {
        int ch = c >= 3 ? (pp && pp->bgr ? 2 - k : k) : 0;
        double x = rel_tensor_f32 (input)[ch * plane + i], v;

        if (pp && ch < 4 && pp->std[ch] > 0 && pp->scale > 0)
          v = (x * pp->std[ch] + pp->mean[ch]) / pp->scale;
        else if (pp && pp->range_high > pp->range_low)
          v = 255.0 * (x - pp->range_low) / ((double) pp->range_high - pp->range_low);
        else
          v = 255.0 * x;
        rgb[3 * i + k] = (guint8) CLAMP (lround (v), 0, 255);
      }
  *width = w;
  *height = h;
  return rgb;
}

/* ---- Colour maps ---- */

static const char *const colormap_names[REL_COLORMAP_N] = { "bwr", "coldnhot", "hot", "viridis", "gray" };
static const char *const sign_names[REL_SIGN_N] = { "both", "positive", "negative", "absolute" };
static const char *const norm_names[REL_NORM_N] = { "max-abs", "percentile", "shared" };

static gboolean
lookup_name (const char *const *names, int n, const char *name, int *out)
{
  if (name == NULL)
    return FALSE;
  for (int i = 0; i < n; i++)
    if (g_str_equal (names[i], name))
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

const char *
rel_colormap_name (RelColormap map)
{
  return (unsigned) map < REL_COLORMAP_N ? colormap_names[map] : NULL;
}

char *
rel_colormap_names_joined (void)
{
  GString *s = g_string_new (NULL);

  for (int i = 0; i < REL_COLORMAP_N; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", colormap_names[i]);
  return g_string_free (s, FALSE);
}

gboolean
rel_colormap_from_name (const char *name, RelColormap *out)
{
  int i;

  if (!lookup_name (colormap_names, REL_COLORMAP_N, name, &i))
    return FALSE;
  *out = (RelColormap) i;
  return TRUE;
}

const char *
rel_sign_mode_name (RelSignMode mode)
{
  return (unsigned) mode < REL_SIGN_N ? sign_names[mode] : NULL;
}

gboolean
rel_sign_mode_from_name (const char *name, RelSignMode *out)
{
  int i;

  if (!lookup_name (sign_names, REL_SIGN_N, name, &i))
    return FALSE;
  *out = (RelSignMode) i;
  return TRUE;
}

const char *
rel_norm_mode_name (RelNormMode mode)
{
  return (unsigned) mode < REL_NORM_N ? norm_names[mode] : NULL;
}

gboolean
rel_norm_mode_from_name (const char *name, RelNormMode *out)
{
  int i;

  if (!lookup_name (norm_names, REL_NORM_N, name, &i))
    return FALSE;
  *out = (RelNormMode) i;
  return TRUE;
}

gboolean
rel_colormap_is_diverging (RelColormap map)
{
  return map == REL_COLORMAP_BWR || map == REL_COLORMAP_COLDNHOT;
}

/* Piecewise-linear maps as (position, r, g, b) nodes. The Zennit maps use the
 * node indices of Zennit's colour-map source ('0ff,00f,80:000,f00,ff0,fff' puts
 * its evenly spaced nodes at 0, 64, 128, 170, 212, 255 of 255) with the middle
 * node at exactly 0.5, so zero relevance is exactly the centre colour; that
 * moves colours by at most 4 levels from Zennit's palette (the steep segment
 * next to the middle). */
typedef struct { double pos, r, g, b; } Node;

static const Node coldnhot_nodes[] = {
  { 0.0, 0, 1, 1 }, { 0.25, 0, 0, 1 }, { 0.5, 0, 0, 0 },
  { 2.0 / 3, 1, 0, 0 }, { 5.0 / 6, 1, 1, 0 }, { 1.0, 1, 1, 1 },
};
static const Node hot_nodes[] = {
  { 0.0, 0, 0, 0 }, { 1.0 / 3, 1, 0, 0 }, { 2.0 / 3, 1, 1, 0 }, { 1.0, 1, 1, 1 },
};
static const Node gray_nodes[] = { { 0.0, 0, 0, 0 }, { 1.0, 1, 1, 1 } };

/* matplotlib's viridis (CC0, van der Walt & Smith), 256 entries. */
static const float viridis[256][3] = {
  {0.267004, 0.004874, 0.329415}, {0.268510, 0.009605, 0.335427}, {0.269944, 0.014625, 0.341379},
  {0.271305, 0.019942, 0.347269}, {0.272594, 0.025563, 0.353093}, {0.273809, 0.031497, 0.358853},
  {0.274952, 0.037752, 0.364543}, {0.276022, 0.044167, 0.370164}, {0.277018, 0.050344, 0.375715},
  {0.277941, 0.056324, 0.381191}, {0.278791, 0.062145, 0.386592}, {0.279566, 0.067836, 0.391917},
  {0.280267, 0.073417, 0.397163}, {0.280894, 0.078907, 0.402329}, {0.281446, 0.084320, 0.407414},
  {0.281924, 0.089666, 0.412415}, {0.282327, 0.094955, 0.417331}, {0.282656, 0.100196, 0.422160},
  {0.282910, 0.105393, 0.426902}, {0.283091, 0.110553, 0.431554}, {0.283197, 0.115680, 0.436115},
  {0.283229, 0.120777, 0.440584}, {0.283187, 0.125848, 0.444960}, {0.283072, 0.130895, 0.449241},
  {0.282884, 0.135920, 0.453427}, {0.282623, 0.140926, 0.457517}, {0.282290, 0.145912, 0.461510},
  {0.281887, 0.150881, 0.465405}, {0.281412, 0.155834, 0.469201}, {0.280868, 0.160771, 0.472899},
  {0.280255, 0.165693, 0.476498}, {0.279574, 0.170599, 0.479997}, {0.278826, 0.175490, 0.483397},
  {0.278012, 0.180367, 0.486697}, {0.277134, 0.185228, 0.489898}, {0.276194, 0.190074, 0.493001},
  {0.275191, 0.194905, 0.496005}, {0.274128, 0.199721, 0.498911}, {0.273006, 0.204520, 0.501721},
  {0.271828, 0.209303, 0.504434}, {0.270595, 0.214069, 0.507052}, {0.269308, 0.218818, 0.509577},
  {0.267968, 0.223549, 0.512008}, {0.266580, 0.228262, 0.514349}, {0.265145, 0.232956, 0.516599},
  {0.263663, 0.237631, 0.518762}, {0.262138, 0.242286, 0.520837}, {0.260571, 0.246922, 0.522828},
  {0.258965, 0.251537, 0.524736}, {0.257322, 0.256130, 0.526563}, {0.255645, 0.260703, 0.528312},
  {0.253935, 0.265254, 0.529983}, {0.252194, 0.269783, 0.531579}, {0.250425, 0.274290, 0.533103},
  {0.248629, 0.278775, 0.534556}, {0.246811, 0.283237, 0.535941}, {0.244972, 0.287675, 0.537260},
  {0.243113, 0.292092, 0.538516}, {0.241237, 0.296485, 0.539709}, {0.239346, 0.300855, 0.540844},
  {0.237441, 0.305202, 0.541921}, {0.235526, 0.309527, 0.542944}, {0.233603, 0.313828, 0.543914},
  {0.231674, 0.318106, 0.544834}, {0.229739, 0.322361, 0.545706}, {0.227802, 0.326594, 0.546532},
  {0.225863, 0.330805, 0.547314}, {0.223925, 0.334994, 0.548053}, {0.221989, 0.339161, 0.548752},
  {0.220057, 0.343307, 0.549413}, {0.218130, 0.347432, 0.550038}, {0.216210, 0.351535, 0.550627},
  {0.214298, 0.355619, 0.551184}, {0.212395, 0.359683, 0.551710}, {0.210503, 0.363727, 0.552206},
  {0.208623, 0.367752, 0.552675}, {0.206756, 0.371758, 0.553117}, {0.204903, 0.375746, 0.553533},
  {0.203063, 0.379716, 0.553925}, {0.201239, 0.383670, 0.554294}, {0.199430, 0.387607, 0.554642},
  {0.197636, 0.391528, 0.554969}, {0.195860, 0.395433, 0.555276}, {0.194100, 0.399323, 0.555565},
  {0.192357, 0.403199, 0.555836}, {0.190631, 0.407061, 0.556089}, {0.188923, 0.410910, 0.556326},
  {0.187231, 0.414746, 0.556547}, {0.185556, 0.418570, 0.556753}, {0.183898, 0.422383, 0.556944},
  {0.182256, 0.426184, 0.557120}, {0.180629, 0.429975, 0.557282}, {0.179019, 0.433756, 0.557430},
  {0.177423, 0.437527, 0.557565}, {0.175841, 0.441290, 0.557685}, {0.174274, 0.445044, 0.557792},
  {0.172719, 0.448791, 0.557885}, {0.171176, 0.452530, 0.557965}, {0.169646, 0.456262, 0.558030},
  {0.168126, 0.459988, 0.558082}, {0.166617, 0.463708, 0.558119}, {0.165117, 0.467423, 0.558141},
  {0.163625, 0.471133, 0.558148}, {0.162142, 0.474838, 0.558140}, {0.160665, 0.478540, 0.558115},
  {0.159194, 0.482237, 0.558073}, {0.157729, 0.485932, 0.558013}, {0.156270, 0.489624, 0.557936},
  {0.154815, 0.493313, 0.557840}, {0.153364, 0.497000, 0.557724}, {0.151918, 0.500685, 0.557587},
  {0.150476, 0.504369, 0.557430}, {0.149039, 0.508051, 0.557250}, {0.147607, 0.511733, 0.557049},
  {0.146180, 0.515413, 0.556823}, {0.144759, 0.519093, 0.556572}, {0.143343, 0.522773, 0.556295},
  {0.141935, 0.526453, 0.555991}, {0.140536, 0.530132, 0.555659}, {0.139147, 0.533812, 0.555298},
  {0.137770, 0.537492, 0.554906}, {0.136408, 0.541173, 0.554483}, {0.135066, 0.544853, 0.554029},
  {0.133743, 0.548535, 0.553541}, {0.132444, 0.552216, 0.553018}, {0.131172, 0.555899, 0.552459},
  {0.129933, 0.559582, 0.551864}, {0.128729, 0.563265, 0.551229}, {0.127568, 0.566949, 0.550556},
  {0.126453, 0.570633, 0.549841}, {0.125394, 0.574318, 0.549086}, {0.124395, 0.578002, 0.548287},
  {0.123463, 0.581687, 0.547445}, {0.122606, 0.585371, 0.546557}, {0.121831, 0.589055, 0.545623},
  {0.121148, 0.592739, 0.544641}, {0.120565, 0.596422, 0.543611}, {0.120092, 0.600104, 0.542530},
  {0.119738, 0.603785, 0.541400}, {0.119512, 0.607464, 0.540218}, {0.119423, 0.611141, 0.538982},
  {0.119483, 0.614817, 0.537692}, {0.119699, 0.618490, 0.536347}, {0.120081, 0.622161, 0.534946},
  {0.120638, 0.625828, 0.533488}, {0.121380, 0.629492, 0.531973}, {0.122312, 0.633153, 0.530398},
  {0.123444, 0.636809, 0.528763}, {0.124780, 0.640461, 0.527068}, {0.126326, 0.644107, 0.525311},
  {0.128087, 0.647749, 0.523491}, {0.130067, 0.651384, 0.521608}, {0.132268, 0.655014, 0.519661},
  {0.134692, 0.658636, 0.517649}, {0.137339, 0.662252, 0.515571}, {0.140210, 0.665859, 0.513427},
  {0.143303, 0.669459, 0.511215}, {0.146616, 0.673050, 0.508936}, {0.150148, 0.676631, 0.506589},
  {0.153894, 0.680203, 0.504172}, {0.157851, 0.683765, 0.501686}, {0.162016, 0.687316, 0.499129},
  {0.166383, 0.690856, 0.496502}, {0.170948, 0.694384, 0.493803}, {0.175707, 0.697900, 0.491033},
  {0.180653, 0.701402, 0.488189}, {0.185783, 0.704891, 0.485273}, {0.191090, 0.708366, 0.482284},
  {0.196571, 0.711827, 0.479221}, {0.202219, 0.715272, 0.476084}, {0.208030, 0.718701, 0.472873},
  {0.214000, 0.722114, 0.469588}, {0.220124, 0.725509, 0.466226}, {0.226397, 0.728888, 0.462789},
  {0.232815, 0.732247, 0.459277}, {0.239374, 0.735588, 0.455688}, {0.246070, 0.738910, 0.452024},
  {0.252899, 0.742211, 0.448284}, {0.259857, 0.745492, 0.444467}, {0.266941, 0.748751, 0.440573},
  {0.274149, 0.751988, 0.436601}, {0.281477, 0.755203, 0.432552}, {0.288921, 0.758394, 0.428426},
  {0.296479, 0.761561, 0.424223}, {0.304148, 0.764704, 0.419943}, {0.311925, 0.767822, 0.415586},
  {0.319809, 0.770914, 0.411152}, {0.327796, 0.773980, 0.406640}, {0.335885, 0.777018, 0.402049},
  {0.344074, 0.780029, 0.397381}, {0.352360, 0.783011, 0.392636}, {0.360741, 0.785964, 0.387814},
  {0.369214, 0.788888, 0.382914}, {0.377779, 0.791781, 0.377939}, {0.386433, 0.794644, 0.372886},
  {0.395174, 0.797475, 0.367757}, {0.404001, 0.800275, 0.362552}, {0.412913, 0.803041, 0.357269},
  {0.421908, 0.805774, 0.351910}, {0.430983, 0.808473, 0.346476}, {0.440137, 0.811138, 0.340967},
  {0.449368, 0.813768, 0.335384}, {0.458674, 0.816363, 0.329727}, {0.468053, 0.818921, 0.323998},
  {0.477504, 0.821444, 0.318195}, {0.487026, 0.823929, 0.312321}, {0.496615, 0.826376, 0.306377},
  {0.506271, 0.828786, 0.300362}, {0.515992, 0.831158, 0.294279}, {0.525776, 0.833491, 0.288127},
  {0.535621, 0.835785, 0.281908}, {0.545524, 0.838039, 0.275626}, {0.555484, 0.840254, 0.269281},
  {0.565498, 0.842430, 0.262877}, {0.575563, 0.844566, 0.256415}, {0.585678, 0.846661, 0.249897},
  {0.595839, 0.848717, 0.243329}, {0.606045, 0.850733, 0.236712}, {0.616293, 0.852709, 0.230052},
  {0.626579, 0.854645, 0.223353}, {0.636902, 0.856542, 0.216620}, {0.647257, 0.858400, 0.209861},
  {0.657642, 0.860219, 0.203082}, {0.668054, 0.861999, 0.196293}, {0.678489, 0.863742, 0.189503},
  {0.688944, 0.865448, 0.182725}, {0.699415, 0.867117, 0.175971}, {0.709898, 0.868751, 0.169257},
  {0.720391, 0.870350, 0.162603}, {0.730889, 0.871916, 0.156029}, {0.741388, 0.873449, 0.149561},
  {0.751884, 0.874951, 0.143228}, {0.762373, 0.876424, 0.137064}, {0.772852, 0.877868, 0.131109},
  {0.783315, 0.879285, 0.125405}, {0.793760, 0.880678, 0.120005}, {0.804182, 0.882046, 0.114965},
  {0.814576, 0.883393, 0.110347}, {0.824940, 0.884720, 0.106217}, {0.835270, 0.886029, 0.102646},
  {0.845561, 0.887322, 0.099702}, {0.855810, 0.888601, 0.097452}, {0.866013, 0.889868, 0.095953},
  {0.876168, 0.891125, 0.095250}, {0.886271, 0.892374, 0.095374}, {0.896320, 0.893616, 0.096335},
  {0.906311, 0.894855, 0.098125}, {0.916242, 0.896091, 0.100717}, {0.926106, 0.897330, 0.104071},
  {0.935904, 0.898570, 0.108131}, {0.945636, 0.899815, 0.112838}, {0.955300, 0.901065, 0.118128},
  {0.964894, 0.902323, 0.123941}, {0.974417, 0.903590, 0.130215}, {0.983868, 0.904867, 0.136897},
  {0.993248, 0.906157, 0.143936},
};

static void
eval_nodes (const Node *nodes, int n, double u, double *rgb)
{
  int i = 1;

  while (i < n - 1 && u > nodes[i].pos)
    i++;
  double a = (u - nodes[i - 1].pos) / (nodes[i].pos - nodes[i - 1].pos);
  a = CLAMP (a, 0.0, 1.0);
  rgb[0] = nodes[i - 1].r + a * (nodes[i].r - nodes[i - 1].r);
  rgb[1] = nodes[i - 1].g + a * (nodes[i].g - nodes[i - 1].g);
  rgb[2] = nodes[i - 1].b + a * (nodes[i].b - nodes[i - 1].b);
}

void
rel_colormap_eval (RelColormap map, double u, double *rgb)
{
  if (!(u == u))
    u = 0.5;
  u = CLAMP (u, 0.0, 1.0);
  switch (map)
    {
    case REL_COLORMAP_COLDNHOT:
      eval_nodes (coldnhot_nodes, G_N_ELEMENTS (coldnhot_nodes), u, rgb);
      break;
    case REL_COLORMAP_HOT:
      eval_nodes (hot_nodes, G_N_ELEMENTS (hot_nodes), u, rgb);
      break;
    case REL_COLORMAP_GRAY:
      eval_nodes (gray_nodes, G_N_ELEMENTS (gray_nodes), u, rgb);
      break;
    case REL_COLORMAP_VIRIDIS:
      {
        /* Interpolated between entries so the colour bar has no steps; the
         * entries themselves are matplotlib's exactly. */
        double x = u * 255.0;
        int i = MIN ((int) x, 254);
        double a = x - i;
        for (int k = 0; k < 3; k++)
          rgb[k] = viridis[i][k] + a * (viridis[i + 1][k] - viridis[i][k]);
      }
      break;
    case REL_COLORMAP_BWR:
    default:
      /* The CLI's rel_colormap_diverging, in doubles. */
      if (u >= 0.5)
        {
          rgb[0] = 1.0;
          rgb[1] = rgb[2] = 1.0 - (2 * u - 1);
        }
      else
        {
          rgb[0] = rgb[1] = 2 * u;
          rgb[2] = 1.0;
        }
      break;
    }
}

double
rel_sign_apply (RelSignMode mode, double t)
{
  if (!(t == t))
    return 0;
  t = CLAMP (t, -1.0, 1.0);
  switch (mode)
    {
    case REL_SIGN_POSITIVE:
      return MAX (t, 0.0);
    case REL_SIGN_NEGATIVE:
      return MIN (t, 0.0);
    case REL_SIGN_ABSOLUTE:
      return fabs (t);
    case REL_SIGN_BOTH:
    default:
      return t;
    }
}

/* Where a value after the sign mode sits along the map: diverging maps keep
 * zero in the middle; sequential maps spread one sign over the whole range
 * (negative relevance counted by magnitude) or −1…1 for BOTH. */
static double
map_position (RelColormap map, RelSignMode mode, double s)
{
  if (rel_colormap_is_diverging (map) || mode == REL_SIGN_BOTH)
    return (s + 1) / 2;
  return fabs (s);
}

static void
to_rgb8 (const double *c, guint8 *rgb)
{
  for (int k = 0; k < 3; k++)
    rgb[k] = (guint8) lround (CLAMP (c[k], 0.0, 1.0) * 255.0);
}

void
rel_colormap_color (RelColormap map, RelSignMode mode, double t, guint8 *rgb)
{
  double c[3];

  rel_colormap_eval (map, map_position (map, mode, rel_sign_apply (mode, t)), c);
  to_rgb8 (c, rgb);
}

void
rel_colorbar_range (RelSignMode mode, double *low, double *high)
{
  *low = mode == REL_SIGN_BOTH || mode == REL_SIGN_NEGATIVE ? -1 : 0;
  *high = mode == REL_SIGN_NEGATIVE ? 0 : 1;
}

void
rel_colorbar_color (RelColormap map, RelSignMode mode, double f, guint8 *rgb)
{
  double lo, hi;

  if (!(f == f))
    f = 0;
  f = CLAMP (f, 0.0, 1.0);
  rel_colorbar_range (mode, &lo, &hi);
  rel_colormap_color (map, mode, lo + f * (hi - lo), rgb);
}

/* ---- Maps and their normalisation ---- */

float *
rel_relevance_map (const RelTensor *relevance, int *width, int *height, GError **error)
{
  int c, h, w;
  gsize plane;
  float *out;

  if (relevance == NULL || relevance->dtype != REL_DTYPE_FLOAT32 || relevance->ndim < 2 || relevance->ndim > 4
      || relevance->numel < 1)
    {
      g_autofree char *shape = relevance ? rel_tensor_shape_string (relevance) : g_strdup ("none");
      g_set_error (error, REL_ERROR, REL_ERROR_SHAPE,
                   "cannot draw a heatmap of shape %s (need N×C×H×W, C×H×W or H×W)", shape);
      return NULL;
    }
  h = (int) relevance->shape[relevance->ndim - 2];
  w = (int) relevance->shape[relevance->ndim - 1];
  c = relevance->ndim >= 3 ? (int) relevance->shape[relevance->ndim - 3] : 1;
  plane = (gsize) h * w;
  out = g_new0 (float, plane);
  /* Batch 0 is the first C·H·W values. */
  for (int ch = 0; ch < c; ch++)
    {
      const float *src = rel_tensor_f32 (relevance) + ch * plane;
      for (gsize i = 0; i < plane; i++)
        out[i] += src[i];
    }
  for (gsize i = 0; i < plane; i++)
    if (!isfinite (out[i]))
      out[i] = 0.f;
  *width = w;
  *height = h;
  return out;
}

/* The k-th smallest of a[0..n) (0-based), reordering a so that everything
 * after index k is ≥ it: quickselect with a three-way partition, which stays
 * linear on the many equal values (zeros) a relevance map has. */
static float
select_kth (float *a, gsize n, gsize k)
{
  gsize lo = 0, hi = n;

  while (hi - lo > 1)
    {
      float x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1];
      float pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
      gsize lt = lo, i = lo, gt = hi;

      while (i < gt)
        {
          float v = a[i];
          if (v < pivot)
            {
              a[i++] = a[lt];
              a[lt++] = v;
            }
          else if (v > pivot)
            {
              a[i] = a[--gt];
              a[gt] = v;
            }
          else
            i++;
        }
      if (k < lt)
        hi = lt;
      else if (k >= gt)
        lo = gt;
      else
        return pivot;
    }
  return a[k];
}

double
rel_abs_percentile (const float *map, gsize n, double p)
{
  g_autofree float *a = NULL;
  double pos, frac, v0, v1;
  gsize k;

  if (n == 0)
    return 0;
  if (!(p == p))
    p = 100;
  p = CLAMP (p, 0.0, 100.0);
  a = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    a[i] = isfinite (map[i]) ? fabsf (map[i]) : 0.f;
  pos = p / 100.0 * (double) (n - 1);
  k = (gsize) floor (pos);
  frac = pos - (double) k;
  v0 = select_kth (a, n, k);
  if (frac <= 0 || k + 1 >= n)
    return v0;
  /* After selection everything above index k is ≥ a[k]; the next order
   * statistic is their minimum. */
  v1 = a[k + 1];
  for (gsize i = k + 2; i < n; i++)
    v1 = MIN (v1, a[i]);
  return v0 + frac * (v1 - v0);
}

double
rel_heatmap_scale (const float *map, gsize n, RelNormMode norm, double percentile, double shared)
{
  double mx = 0;

  switch (norm)
    {
    case REL_NORM_SHARED:
      return isfinite (shared) && shared > 0 ? shared : 0;
    case REL_NORM_PERCENTILE:
      return rel_abs_percentile (map, n, percentile);
    case REL_NORM_MAX_ABS:
    default:
      for (gsize i = 0; i < n; i++)
        if (isfinite (map[i]))
          mx = MAX (mx, fabs (map[i]));
      return mx;
    }
}

static void
abs_stats (const float *map, gsize n, double *max, double *sum)
{
  *max = 0;
  *sum = 0;
  for (gsize i = 0; i < n; i++)
    if (isfinite (map[i]))
      {
        double a = fabs (map[i]);
        *max = MAX (*max, a);
        *sum += a;
      }
}

double
rel_heatmap_floor (const float *map, gsize n, double reference)
{
  double mx, sum;

  if (!isfinite (reference) || reference == 0)
    return 0;
  abs_stats (map, n, &mx, &sum);
  if (sum <= 0)
    return 0;
  return REL_HEATMAP_FLOOR * fabs (reference) * mx / sum;
}

gboolean
rel_heatmap_nearly_zero (const float *map, gsize n, double reference)
{
  double mx, sum;

  abs_stats (map, n, &mx, &sum);
  if (mx <= 0)
    return TRUE;
  return rel_heatmap_floor (map, n, reference) > mx;
}

/* A 1024-entry table of colours (and alphas) along t ∈ [−1, 1], so colouring a
 * map costs one lookup per pixel. */
#define LUT_SIZE 1024

typedef struct {
  guint8 rgb[LUT_SIZE + 1][3];
  guint8 alpha[LUT_SIZE + 1];
} Lut;

static void
lut_init (Lut *lut, RelColormap cmap, RelSignMode mode)
{
  for (int i = 0; i <= LUT_SIZE; i++)
    {
      double t = 2.0 * i / LUT_SIZE - 1.0;
      rel_colormap_color (cmap, mode, t, lut->rgb[i]);
      lut->alpha[i] = (guint8) lround (fabs (rel_sign_apply (mode, t)) * 255.0);
    }
}

static inline int
lut_index (double v, double inv_scale)
{
  double t = v * inv_scale;

  if (!(t == t))
    t = 0;
  t = CLAMP (t, -1.0, 1.0);
  return (int) lround ((t + 1.0) * 0.5 * LUT_SIZE);
}

void
rel_heatmap_colorize (const float *map, int width, int height, double scale,
                      RelColormap cmap, RelSignMode mode, gboolean opaque, guint8 *out)
{
  g_autofree Lut *lut = g_new (Lut, 1);
  double inv = scale > 0 && isfinite (scale) ? 1.0 / scale : 0.0;

  lut_init (lut, cmap, mode);
  for (gsize i = 0; i < (gsize) width * height; i++)
    {
      int k = lut_index (map[i], inv);
      memcpy (out + 4 * i, lut->rgb[k], 3);
      out[4 * i + 3] = opaque ? 255 : lut->alpha[k];
    }
}

/* The map at output pixel (x, y) of a width×height image: bilinear with
 * half-pixel centres (PyTorch's align_corners=False), exact at equal sizes. */
static double
sample_map (const float *map, int mw, int mh, int x, int y, int width, int height)
{
  double sx, sy, ax, ay;
  int x0, y0, x1, y1;

  if (mw == width && mh == height)
    return map[(gsize) y * mw + x];
  sx = CLAMP ((x + 0.5) * mw / width - 0.5, 0.0, mw - 1.0);
  sy = CLAMP ((y + 0.5) * mh / height - 0.5, 0.0, mh - 1.0);
  x0 = (int) sx;
  y0 = (int) sy;
  x1 = MIN (x0 + 1, mw - 1);
  y1 = MIN (y0 + 1, mh - 1);
  ax = sx - x0;
  ay = sy - y0;
  return (1 - ay) * ((1 - ax) * map[(gsize) y0 * mw + x0] + ax * map[(gsize) y0 * mw + x1])
         + ay * ((1 - ax) * map[(gsize) y1 * mw + x0] + ax * map[(gsize) y1 * mw + x1]);
}

void
rel_heatmap_blend (const float *map, int map_width, int map_height, double scale,
                   RelColormap cmap, RelSignMode mode, double opacity,
                   const guint8 *image, int width, int height, int stride, guint8 *out)
{
  g_autofree Lut *lut = g_new (Lut, 1);
  double inv = scale > 0 && isfinite (scale) ? 1.0 / scale : 0.0;

  if (!(opacity == opacity))
    opacity = 0;
  opacity = CLAMP (opacity, 0.0, 1.0);
  lut_init (lut, cmap, mode);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guint8 *px = image + (gsize) y * stride + 4 * x;
        guint8 *o = out + ((gsize) y * width + x) * 4;
        int k = lut_index (sample_map (map, map_width, map_height, x, y, width, height), inv);
        double a = opacity * lut->alpha[k] / 255.0;

        for (int c = 0; c < 3; c++)
          o[c] = (guint8) lround ((1 - a) * px[c] + a * lut->rgb[k][c]);
        o[3] = px[3];
      }
}
