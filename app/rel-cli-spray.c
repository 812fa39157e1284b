/* rel-cli-spray.c — `relevance-cli spray`: spectral relevance analysis of a
 * data set's classes, written in ViRelAy's HDF5 layout and/or as JSON.
 *
 *   relevance-cli spray MODEL DATASET [--class C | --all] [--method NAME]
 *       [--set key=value]... [--k K] [--neighbors N] [--knn MODE] [--pool S] [--target T]
 *       [--cache-dir DIR] [--no-tsne] [--json] [--out FILE [--attribution FILE]]
 *
 * DATASET is an image folder whose class folders (at any depth) are named
 * after the model's labels (core/rel-dataset.h: images/tagged/Sandal/1.png is
 * a Sandal of group "tagged"); --class-level N takes the N-th folder level as
 * the classes instead. Every image of the chosen class(es) is explained (for the class itself unless --target says
 * otherwise; the heatmaps are cached, see core/rel-spray.h), then analysed.
 * --set keys belong to the method or to one of SpRAy's stages (pool, abs,
 * norm, neighbors, kernel, bandwidth, knn, pca, sketch, knn-seed, eigenvalues, solver, tol, max-iter,
 * algorithm, k, n-init, eps, min-samples, max-k, nearest, perplexity,
 * iterations, theta, seed); the method's own keys win.
 *
 * --out FILE is the analysis file: one group per class (its folder name) with
 * `index` (dataset indices), `embedding/spectral` (N × eigenvalues, attribute
 * `eigenvalue`), `embedding/tsne` (N × 2, attributes `embedding` = "spectral"
 * and `index`, the spectral columns it used), `cluster/kmeans-NN` for every k
 * up to max-k (attributes `embedding`, `k`) and, for another algorithm, the
 * chosen clustering. The attribution file (--attribution, by default FILE with
 * ".analysis.h5" → ".attribution.h5", else FILE-stem + ".attribution.h5") has
 * `attribution` (N × 1 × H × W, the channel sum), `prediction` (N × classes,
 * softmax), `label` (the class's index among the model's outputs) and `index`
 * (the image's position in the dataset scan). --json prints one object to stdout.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-cli.h"
#include "rel-atomic-file.h"
#include "rel-core.h"
#include "rel-dataset.h"
#include "rel-error.h"
#include "rel-spray.h"
#include "rel-shard.h"
#include "rel-file.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#ifdef REL_HAVE_HDF5
#include <hdf5.h>
#endif


typedef struct {
  char           *name;
  char           *h5_name;        /* name as an HDF5 group: no '/' */
  int             class_index;    /* in the dataset layout */
  int             model_class;    /* the same class among the model's outputs */
  int             n;
  int            *dataset_index;  /* n */
  RelSprayHeatmaps *heatmaps;
  float          *x;              /* preprocessed */
  int             dim;
  RelSprayResult *result;
} ClassRun;

static void
class_run_clear (ClassRun *c)
{
  g_free (c->name);
  g_free (c->h5_name);
  g_free (c->dataset_index);
  rel_spray_heatmaps_free (c->heatmaps);
  g_free (c->x);
  rel_spray_result_free (c->result);
}

static void
on_progress (const char *stage, double fraction, gpointer data)
{
  /* a live percentage for people; logs and tests only get the summary line */
  if (!isatty (STDERR_FILENO))
    return;
  fprintf (stderr, "\r%s: %-8s %3d%%\033[K", (const char *) data, stage, (int) (fraction * 100));
}

#ifdef REL_HAVE_HDF5

static gboolean
h5_check (herr_t status, const char *what, GError **error)
{
  if (status < 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_IO, "HDF5: cannot write %s", what);
      return FALSE;
    }
  return TRUE;
}

/* Creates dataset @path (intermediate groups included) and writes @data;
 * every failure sets @error and leaves no handle open. */
static hid_t
h5_dataset (hid_t file, const char *path, hid_t filetype, hid_t memtype, int rank, const hsize_t *dims,
            const void *data, GError **error)
{
  hid_t lcpl = H5Pcreate (H5P_LINK_CREATE);
  hid_t space = H5Screate_simple (rank, dims, NULL);
  /* no creation times: the same analysis gives the same bytes (a merged
   * sharded run, an MPI run, a single run) */
  hid_t dcpl = H5Pcreate (H5P_DATASET_CREATE);
  hid_t ds = -1;
  if (lcpl >= 0 && space >= 0 && dcpl >= 0 && H5Pset_create_intermediate_group (lcpl, 1) >= 0
      && H5Pset_obj_track_times (dcpl, 0) >= 0)
    ds = H5Dcreate2 (file, path, filetype, space, lcpl, dcpl, H5P_DEFAULT);
  if (dcpl >= 0)
    H5Pclose (dcpl);
  if (space >= 0)
    H5Sclose (space);
  if (lcpl >= 0)
    H5Pclose (lcpl);
  if (ds < 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_IO, "HDF5: cannot create %s", path);
      return -1;
    }
  if (!h5_check (H5Dwrite (ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), path, error))
    {
      H5Dclose (ds);
      return -1;
    }
  return ds;
}

static gboolean
h5_attr (hid_t obj, const char *name, hid_t filetype, hid_t memtype, int n, const void *data, GError **error)
{
  hsize_t dims[1] = { (hsize_t) n };
  hid_t space = n < 0 ? H5Screate (H5S_SCALAR) : H5Screate_simple (1, dims, NULL);
  hid_t a = space < 0 ? -1 : H5Acreate2 (obj, name, filetype, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t st = a < 0 ? -1 : H5Awrite (a, memtype, data);
  if (a >= 0 && H5Aclose (a) < 0)
    st = -1;
  if (space >= 0)
    H5Sclose (space);
  return h5_check (st, name, error);
}

static gboolean
h5_attr_string (hid_t obj, const char *name, const char *value, GError **error)
{
  hid_t t = H5Tcopy (H5T_C_S1);
  if (t < 0 || H5Tset_size (t, MAX (strlen (value), 1)) < 0)
    {
      if (t >= 0)
        H5Tclose (t);
      return h5_check (-1, name, error);
    }
  gboolean ok = h5_attr (obj, name, t, t, -1, value, error);
  H5Tclose (t);
  return ok;
}

/* Closes a dataset from h5_dataset (a negative one already set @error). */
static gboolean
h5_close_dataset (hid_t ds, const char *path, GError **error)
{
  if (ds < 0)
    return FALSE;
  return h5_check (H5Dclose (ds), path, error);
}

/* A dataset with attributes: @ok is the attributes' result; the close's
 * failure counts too, and sets @error only when nothing else did. */
static gboolean
h5_finish_dataset (hid_t ds, gboolean ok, const char *path, GError **error)
{
  if (ds < 0)
    return FALSE;
  if (H5Dclose (ds) < 0 && ok)
    return h5_check (-1, path, error);
  return ok;
}

/* A new HDF5 file built in memory (the core driver without a backing store):
 * HDF5 never writes to disk itself, so a full disk cannot leave it with a
 * half-flushed file, which HDF5 1.10's exit-time cleanup then crashes on;
 * the finished image goes to disk atomically instead. Closing the file also
 * closes anything still open in it. */
static hid_t
h5_create (const char *path, GError **error)
{
  H5Eset_auto2 (H5E_DEFAULT, NULL, NULL);
  hid_t fapl = H5Pcreate (H5P_FILE_ACCESS);
  hid_t file = -1;
  if (fapl >= 0 && H5Pset_fapl_core (fapl, 1 << 20, 0) >= 0 && H5Pset_fclose_degree (fapl, H5F_CLOSE_STRONG) >= 0)
    file = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  if (fapl >= 0)
    H5Pclose (fapl);
  if (file < 0)
    g_set_error (error, REL_ERROR, REL_ERROR_IO, "cannot write '%s': HDF5 cannot create the file", path);
  return file;
}

/* Takes the finished file's bytes (when @ok) and closes @file in any case. */
static GBytes *
h5_finish (hid_t file, gboolean ok, const char *path, GError **error)
{
  g_autofree void *image = NULL;
  ssize_t size = -1;
  if (ok && H5Fflush (file, H5F_SCOPE_GLOBAL) >= 0 && (size = H5Fget_file_image (file, NULL, 0)) > 0)
    {
      image = g_try_malloc ((gsize) size);
      if (image == NULL || H5Fget_file_image (file, image, (size_t) size) != size)
        size = -1;
    }
  if (H5Fclose (file) < 0)
    size = -1;
  if (!ok)
    {
      g_prefix_error (error, "cannot write '%s': ", path);
      return NULL;
    }
  if (size <= 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_IO, "cannot write '%s': HDF5 cannot finish the file", path);
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&image), (gsize) size);
}

/* The analysis file's bytes. */
static GBytes *
build_analysis (const char *path, ClassRun *runs, int n_runs, const RelParams *cluster_params, GError **error)
{
  hid_t file = h5_create (path, error);
  if (file < 0)
    return NULL;
  gboolean ok = TRUE;
  for (int c = 0; c < n_runs && ok; c++)
    {
      ClassRun *cr = &runs[c];
      RelSprayResult *r = cr->result;
      g_autofree guint32 *index = g_new (guint32, cr->n);
      for (int i = 0; i < cr->n; i++)
        index[i] = (guint32) cr->dataset_index[i];
      hsize_t d1[1] = { (hsize_t) cr->n };
      g_autofree char *p_index = g_strdup_printf ("/%s/index", cr->h5_name);
      ok = h5_close_dataset (h5_dataset (file, p_index, H5T_STD_U32LE, H5T_NATIVE_UINT32, 1, d1, index, error),
                             p_index, error);
      if (!ok)
        break;
      hsize_t d2[2] = { (hsize_t) cr->n, (hsize_t) r->n_eig };
      g_autofree char *p_spec = g_strdup_printf ("/%s/embedding/spectral", cr->h5_name);
      hid_t ds = h5_dataset (file, p_spec, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, d2, r->spectral, error);
      ok = ds >= 0 && h5_attr (ds, "eigenvalue", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, r->n_eig, r->eigenvalues, error);
      ok = h5_finish_dataset (ds, ok, p_spec, error);
      if (!ok)
        break;
      if (r->tsne)
        {
          hsize_t dt[2] = { (hsize_t) cr->n, 2 };
          g_autofree char *p_tsne = g_strdup_printf ("/%s/embedding/tsne", cr->h5_name);
          ds = h5_dataset (file, p_tsne, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dt, r->tsne, error);
          int te = MIN (r->n_eig, r->max_k);
          g_autofree guint32 *cols = g_new (guint32, te);
          for (int q = 0; q < te; q++)
            cols[q] = q;
          ok = ds >= 0 && h5_attr_string (ds, "embedding", "spectral", error)
               && h5_attr (ds, "index", H5T_STD_U32LE, H5T_NATIVE_UINT32, te, cols, error);
          ok = h5_finish_dataset (ds, ok, p_tsne, error);
          if (!ok)
            break;
        }
      for (int k = 2; k <= r->max_k && ok; k++)
        {
          g_autofree char *p_k = g_strdup_printf ("/%s/cluster/kmeans-%02d", cr->h5_name, k);
          ds = h5_dataset (file, p_k, H5T_STD_I32LE, H5T_NATIVE_INT, 1, d1, r->kmeans_by_k[k], error);
          guint32 kk = k;
          ok = ds >= 0 && h5_attr_string (ds, "embedding", "spectral", error)
               && h5_attr (ds, "k", H5T_STD_U32LE, H5T_NATIVE_UINT32, -1, &kk, error);
          ok = h5_finish_dataset (ds, ok, p_k, error);
        }
      const char *algo = rel_params_get_string (cluster_params, "algorithm");
      if (ok && g_strcmp0 (algo, "kmeans") != 0)
        {
          g_autofree char *p_a = g_strdup_printf ("/%s/cluster/%s-%02d", cr->h5_name, algo, r->n_clusters);
          ds = h5_dataset (file, p_a, H5T_STD_I32LE, H5T_NATIVE_INT, 1, d1, r->labels, error);
          ok = ds >= 0 && h5_attr_string (ds, "embedding", "spectral", error);
          ok = h5_finish_dataset (ds, ok, p_a, error);
        }
    }
  return h5_finish (file, ok, path, error);
}

/* The attribution file's bytes. */
static GBytes *
build_attribution (const char *path, ClassRun *runs, int n_runs, GError **error)
{
  int total = 0, h = runs[0].heatmaps->height, w = runs[0].heatmaps->width;
  int n_out = runs[0].heatmaps->n_outputs;
  for (int c = 0; c < n_runs; c++)
    {
      total += runs[c].n;
      if (runs[c].heatmaps->height != h || runs[c].heatmaps->width != w || runs[c].heatmaps->n_outputs != n_out)
        {
          g_set_error (error, REL_ERROR, REL_ERROR_SHAPE, "classes have heatmaps of different sizes");
          return NULL;
        }
    }
  g_autofree float *attr = g_try_new (float, (gsize) total * h * w);
  g_autofree float *pred = g_new (float, (gsize) total * n_out);
  g_autofree gint64 *label = g_new (gint64, total);
  g_autofree guint32 *index = g_new (guint32, total);
  if (attr == NULL)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory for the attribution file");
      return NULL;
    }
  int o = 0;
  for (int c = 0; c < n_runs; c++)
    {
      memcpy (attr + (gsize) o * h * w, runs[c].heatmaps->maps, sizeof (float) * runs[c].n * h * w);
      memcpy (pred + (gsize) o * n_out, runs[c].heatmaps->probs, sizeof (float) * runs[c].n * n_out);
      for (int i = 0; i < runs[c].n; i++)
        {
          label[o + i] = runs[c].model_class;
          index[o + i] = (guint32) runs[c].dataset_index[i];
        }
      o += runs[c].n;
    }
  hid_t file = h5_create (path, error);
  if (file < 0)
    return NULL;
  hsize_t da[4] = { (hsize_t) total, 1, (hsize_t) h, (hsize_t) w };
  hsize_t dp[2] = { (hsize_t) total, (hsize_t) n_out };
  hsize_t d1[1] = { (hsize_t) total };
  gboolean ok =
    h5_close_dataset (h5_dataset (file, "/attribution", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 4, da, attr, error),
                      "/attribution", error)
    && h5_close_dataset (h5_dataset (file, "/prediction", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dp, pred, error),
                         "/prediction", error)
    && h5_close_dataset (h5_dataset (file, "/label", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, d1, label, error),
                         "/label", error)
    && h5_close_dataset (h5_dataset (file, "/index", H5T_STD_U32LE, H5T_NATIVE_UINT32, 1, d1, index, error),
                         "/index", error);
  return h5_finish (file, ok, path, error);
}

#endif /* REL_HAVE_HDF5 */

static void
json_number_or_null (JsonBuilder *b, double v)
{
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
json_class (JsonBuilder *b, const ClassRun *cr, const RelDataset *ds, const RelDatasetLayout *layout,
            RelModel *model)
{
  const RelSprayResult *r = cr->result;
  g_autofree int *groups = g_new (int, MAX (cr->n, 1));
  g_autoptr(GHashTable) distinct = g_hash_table_new (NULL, NULL);
  json_builder_set_member_name (b, "class");
  json_builder_add_string_value (b, cr->name);
  json_builder_set_member_name (b, "eigenvalues");
  json_builder_begin_array (b);
  for (int j = 0; j < r->n_eig; j++)
    json_builder_add_double_value (b, r->eigenvalues[j]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "suggested_k");
  json_builder_add_int_value (b, r->suggested_k);
  json_builder_set_member_name (b, "k");
  json_builder_add_int_value (b, r->k);
  json_builder_set_member_name (b, "view");
  json_builder_add_string_value (b, r->tsne ? "tsne" : "spectral");
  json_builder_set_member_name (b, "images");
  json_builder_begin_array (b);
  const float *xy = r->tsne ? r->tsne : r->spectral2d;
  for (int i = 0; i < cr->n; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "path");
      g_autofree char *utf8 = g_filename_display_name (g_ptr_array_index (ds->paths, cr->dataset_index[i]));
      json_builder_add_string_value (b, utf8);
      json_builder_set_member_name (b, "index");
      json_builder_add_int_value (b, cr->dataset_index[i]);
      json_builder_set_member_name (b, "cluster");
      json_builder_add_int_value (b, r->labels[i]);
      groups[i] = layout->image_group[cr->dataset_index[i]];
      g_hash_table_add (distinct, GINT_TO_POINTER (groups[i] + 1));
      if (groups[i] >= 0)
        {
          json_builder_set_member_name (b, "group");
          json_builder_add_string_value (b, layout->group_names[groups[i]]);
        }
      json_builder_set_member_name (b, "x");
      json_builder_add_double_value (b, xy[2 * i]);
      json_builder_set_member_name (b, "y");
      json_builder_add_double_value (b, xy[2 * i + 1]);
      json_builder_set_member_name (b, "predicted");
      json_builder_add_int_value (b, cr->heatmaps->predicted[i]);
      int p = cr->heatmaps->predicted[i];
      if (model->labels && p >= 0 && p < model->n_labels)
        {
          json_builder_set_member_name (b, "predicted_label");
          json_builder_add_string_value (b, model->labels[p]);
        }
      json_builder_set_member_name (b, "confidence");
      json_builder_add_double_value (b, cr->heatmaps->confidence[i]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  /* How well the clusters separate the groups (clean vs tagged): 1 exactly. */
  if (g_hash_table_size (distinct) >= 2)
    {
      json_builder_set_member_name (b, "group_ari");
      json_builder_add_double_value (b, rel_adjusted_rand_index (r->labels, groups, cr->n));
    }
  json_builder_set_member_name (b, "clusters");
  json_builder_begin_array (b);
  for (int c = 0; c < r->n_clusters; c++)
    {
      const RelSprayCluster *cl = &r->clusters[c];
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_int_value (b, cl->id);
      json_builder_set_member_name (b, "size");
      json_builder_add_int_value (b, cl->size);
      json_builder_set_member_name (b, "accuracy");
      json_number_or_null (b, cl->accuracy);
      json_builder_set_member_name (b, "mean_confidence");
      json_number_or_null (b, cl->mean_confidence);
      json_builder_set_member_name (b, "nearest");
      json_builder_begin_array (b);
      for (int q = 0; q < cl->n_nearest; q++)
        json_builder_add_int_value (b, cr->dataset_index[cl->nearest[q]]);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

/* ---- shards: a part holds each explained image's heatmap record ---- */

typedef struct {
  gint32 height, width, n_outputs, predicted;
  float  confidence;
} MapRecord;

static void
add_map_record (RelPartWriter *w, guint32 index, const RelSprayHeatmaps *h, int i)
{
  MapRecord rec = { h->height, h->width, h->n_outputs, h->predicted[i], h->confidence[i] };
  gsize hw = (gsize) h->height * h->width, len = sizeof rec + sizeof (float) * (hw + h->n_outputs);
  g_autofree guint8 *buf = g_malloc (len);
  memcpy (buf, &rec, sizeof rec);
  memcpy (buf + sizeof rec, h->maps + (gsize) i * hw, sizeof (float) * hw);
  memcpy (buf + sizeof rec + sizeof (float) * hw, h->probs + (gsize) i * h->n_outputs, sizeof (float) * h->n_outputs);
  rel_part_writer_add (w, index, buf, len);
}

/* The heatmaps of @n items (@slots into @parts) as one RelSprayHeatmaps. */
static RelSprayHeatmaps *
heatmaps_from_parts (RelPart *const *parts, const RelShardSlot *slots, const int *items, int n, GError **error)
{
  g_autoptr(RelSprayHeatmaps) h = g_new0 (RelSprayHeatmaps, 1);
  h->n = n;
  h->predicted = g_new (int, MAX (n, 1));
  h->confidence = g_new (float, MAX (n, 1));
  for (int i = 0; i < n; i++)
    {
      const RelShardSlot *sl = &slots[items[i]];
      gsize len = 0;
      const guint8 *p = g_bytes_get_data (parts[sl->part]->data[sl->entry], &len);
      MapRecord rec;
      if (len < sizeof rec)
        goto bad;
      memcpy (&rec, p, sizeof rec);
      if (rec.height < 1 || rec.width < 1 || rec.height > 65536 || rec.width > 65536 || rec.n_outputs < 1
          || rec.n_outputs > 1000000
          || len != sizeof rec + sizeof (float) * ((gsize) rec.height * rec.width + rec.n_outputs))
        goto bad;
      if (i == 0)
        {
          h->height = rec.height;
          h->width = rec.width;
          h->n_outputs = rec.n_outputs;
          h->maps = g_try_new (float, (gsize) n * rec.height * rec.width);
          h->probs = g_try_new (float, (gsize) n * rec.n_outputs);
          if (h->maps == NULL || h->probs == NULL)
            {
              g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "%d heatmaps do not fit in memory", n);
              return NULL;
            }
        }
      else if (rec.height != h->height || rec.width != h->width || rec.n_outputs != h->n_outputs)
        goto bad;
      gsize hw = (gsize) h->height * h->width;
      memcpy (h->maps + (gsize) i * hw, p + sizeof rec, sizeof (float) * hw);
      memcpy (h->probs + (gsize) i * h->n_outputs, p + sizeof rec + sizeof (float) * hw, sizeof (float) * h->n_outputs);
      h->predicted[i] = rec.predicted;
      h->confidence[i] = rec.confidence;
    }
  return g_steal_pointer (&h);
bad:
  g_set_error (error, REL_ERROR, REL_ERROR_PARSE, "a part holds a malformed heatmap record");
  return NULL;
}

/* What must match between the parts and the run that merges them: the
 * model's bytes and every option but --shard and --cache-dir (a node-local
 * cache is fine). */
static char *
settings_digest (const char *model_path, int argc, char **argv, GError **error)
{
  g_autoptr(GChecksum) cs = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!rel_file_get_contents (model_path, "model", G_GINT64_CONSTANT (1) << 34, &data, &len, error))
    return NULL;
  g_checksum_update (cs, (const guchar *) data, len);
  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--shard") || g_str_equal (argv[i], "--cache-dir"))
        {
          i++;
          continue;
        }
      if (g_str_has_prefix (argv[i], "--shard=") || g_str_has_prefix (argv[i], "--cache-dir="))
        continue;
      g_checksum_update (cs, (const guchar *) argv[i], strlen (argv[i]) + 1);
    }
  return g_strdup (g_checksum_get_string (cs));
}


/* One spray run: its options, what it loaded, its class runs and the shard
 * bookkeeping, so each step below is a function of its own. */
typedef struct {
  /* options */
  char *class_name, *method_name, *out, *attribution, *cache_dir, *target_text, *knn, *shard_text;
  char **sets;
  gboolean all, json, no_tsne;
  int k, neighbors, pool, class_level;
  /* the command line before parsing (which removes the options) */
  char **original;
  int original_argc;
  const char *model_path, *dataset_path;
  int shard_k, shard_n;
  char *settings, *attr_path;
  const RelMethodDef *method;
  RelParams *mp;
  RelParams *sp[5];  /* SpRAy's stages: preprocess, affinity, eigen, cluster, tsne */
  RelModel *model;
  RelDataset *ds;
  RelDatasetLayout *layout;
  GArray *runs;      /* ClassRun */
  /* every image of every class run, in run order: what shards split and
   * what a part's entries index */
  int n_items;
  const char **item_path;
  char *list_digest;
  int *owner;        /* each item's shard, when sharded */
  GKeyFile *part_header;
  RelPartWriter *part_writer;
} SprayRun;

static void
spray_run_clear (SprayRun *s)
{
  g_free (s->class_name);
  g_free (s->method_name);
  g_free (s->out);
  g_free (s->attribution);
  g_free (s->cache_dir);
  g_free (s->target_text);
  g_free (s->knn);
  g_free (s->shard_text);
  g_strfreev (s->sets);
  g_strfreev (s->original);
  g_free (s->settings);
  g_free (s->attr_path);
  if (s->mp)
    rel_params_free (s->mp);
  for (int i = 0; i < 5; i++)
    if (s->sp[i])
      rel_params_free (s->sp[i]);
  if (s->model)
    rel_model_unref (s->model);
  g_clear_pointer (&s->layout, rel_dataset_layout_free);
  g_clear_pointer (&s->ds, rel_dataset_free);
  if (s->runs)
    g_array_unref (s->runs);
  g_free (s->item_path);
  g_free (s->list_digest);
  g_free (s->owner);
  if (s->part_header)
    g_key_file_unref (s->part_header);
  if (s->part_writer)
    g_bytes_unref (rel_part_writer_finish (s->part_writer));
}

/* The attribution file next to @out: FILE.analysis.h5 → FILE.attribution.h5,
 * else FILE-stem + ".attribution.h5". */
static char *
attribution_path_for (const char *out)
{
  if (g_str_has_suffix (out, ".analysis.h5"))
    {
      g_autofree char *s = g_strndup (out, strlen (out) - strlen (".analysis.h5"));
      return g_strconcat (s, ".attribution.h5", NULL);
    }
  const char *dot = strrchr (out, '.');
  const char *slash = strrchr (out, '/');
  gsize stem = dot && (!slash || dot > slash) ? (gsize) (dot - out) : strlen (out);
  g_autofree char *s = g_strndup (out, stem);
  return g_strconcat (s, ".attribution.h5", NULL);
}

/* Parses the options into @s and checks them against each other; 0 or the
 * exit status after the message. */
static int
spray_parse (SprayRun *s, int argc, char **argv, RelCliShard *shard_out)
{
  g_autoptr(GError) error = NULL;
  s->k = s->neighbors = s->pool = -1;
  s->original = g_strdupv (argv);
  s->original_argc = argc;
  GOptionEntry entries[] = {
    { "class", 0, 0, G_OPTION_ARG_STRING, &s->class_name, "Analyse this class (label, folder name or index)", "C" },
    { "class-level", 0, 0, G_OPTION_ARG_INT, &s->class_level, "The folders N levels down are the classes (default: those named after the model's labels)", "N" },
    { "all", 0, 0, G_OPTION_ARG_NONE, &s->all, "Analyse every class (the default)", NULL },
    { "method", 'm', 0, G_OPTION_ARG_STRING, &s->method_name, "Explanation method (default lrp-epsilon)", "NAME" },
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &s->sets, "A method or SpRAy parameter", "KEY=VALUE" },
    { "k", 'k', 0, G_OPTION_ARG_INT, &s->k, "Clusters (default: the eigengap's suggestion)", "K" },
    { "neighbors", 0, 0, G_OPTION_ARG_INT, &s->neighbors, "Neighbours in the kNN graph (default 10)", "N" },
    { "knn", 0, 0, G_OPTION_ARG_STRING, &s->knn, "Neighbour search: auto (approximate from 100,000 images), exact or approximate", "MODE" },
    { "pool", 0, 0, G_OPTION_ARG_INT, &s->pool, "Pooled heatmap side (default 32)", "S" },
    { "target", 't', 0, G_OPTION_ARG_STRING, &s->target_text, "Explained output: pred, a class or a-b (default: the class analysed)", "T" },
    { "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &s->cache_dir, "Heatmap cache (default ~/.cache/relevance/spray; empty: off)", "DIR" },
    { "no-tsne", 0, 0, G_OPTION_ARG_NONE, &s->no_tsne, "Skip t-SNE (the 2-D view is the spectral one)", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &s->json, "Print the analysis as one JSON object", NULL },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &s->out, "Analysis file (HDF5, ViRelAy layout)", "FILE" },
    { "attribution", 0, 0, G_OPTION_ARG_FILENAME, &s->attribution, "Attribution file (HDF5; default next to --out)", "FILE" },
    { "shard", 0, 0, G_OPTION_ARG_STRING, &s->shard_text, "Explain only shard K of N and write OUT.part-K-of-N (join with relevance-cli merge)", "K/N" },
    { NULL }
  };
  g_autoptr(GOptionContext) octx = g_option_context_new ("MODEL DATASET — cluster a class's explanations (SpRAy)");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    return rel_cli_fail (EXIT_USAGE, "%s", error->message);
  if (argc != 3)
    return rel_cli_fail (EXIT_USAGE, "usage: relevance-cli spray MODEL DATASET [--class C|--all] [--json] [--out FILE]");
  s->model_path = argv[1];
  s->dataset_path = argv[2];
  if (s->out == NULL && !s->json)
    return rel_cli_fail (EXIT_USAGE, "nothing to write: give --out FILE and/or --json");
  if (s->shard_text && !rel_shard_parse (s->shard_text, &s->shard_k, &s->shard_n, &error))
    return rel_cli_fail (EXIT_USAGE, "%s", error->message);
  if (shard_out && s->shard_text == NULL)
    {
      s->shard_k = shard_out->k;
      s->shard_n = shard_out->n;
    }
  if (s->shard_n > 0 && s->out == NULL && shard_out == NULL)
    return rel_cli_fail (EXIT_USAGE, "--shard needs --out FILE: the part is written to FILE.part-K-of-N");
  s->settings = settings_digest (s->original_argc > 1 ? s->original[1] : "", s->original_argc, s->original, &error);
  if (s->settings == NULL)
    return rel_cli_fail (1, "%s: %s", argv[1], error->message);
  if (s->class_name && s->all)
    return rel_cli_fail (EXIT_USAGE, "--class and --all exclude each other");
  if (s->class_level < 0)
    return rel_cli_fail (EXIT_USAGE, "--class-level: %d is not a folder level (1 is the dataset's subfolders)", s->class_level);
  return 0;
}

/* The output paths: refused now, not after explaining the whole data set. */
static int
spray_check_outputs (SprayRun *s, RelCliShard *shard_out)
{
  g_autoptr(GError) error = NULL;
#ifndef REL_HAVE_HDF5
  if (s->out)
    return rel_cli_fail (1, "HDF5 output is unavailable: relevance-cli was built without libhdf5 (use --json)");
#endif
  if (s->out == NULL)
    return 0;
  s->attr_path = s->attribution ? g_strdup (s->attribution) : attribution_path_for (s->out);
  if (strcmp (s->attr_path, s->out) == 0)
    return rel_cli_fail (EXIT_USAGE, "--attribution must differ from --out");
  g_autofree char *part_path = s->shard_n > 0 ? g_strdup_printf ("%s.part-%d-of-%d", s->out, s->shard_k, s->shard_n) : NULL;
  if (shard_out == NULL && part_path && !rel_file_check_writable (part_path, &error))
    return rel_cli_fail (1, "%s", error->message);
  if (s->shard_n == 0 && (!rel_file_check_writable (s->out, &error) || !rel_file_check_writable (s->attr_path, &error)))
    return rel_cli_fail (1, "%s", error->message);
  return 0;
}

/* Sets an integer SpRAy option given on the command line (-1: not given). */
static int
spray_set_int (RelParams *p, const char *key, int value, const char *option)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *kv = g_strdup_printf ("%d", value);
  if (value >= 0 && !rel_params_set (p, key, kv, &error))
    return rel_cli_fail (EXIT_USAGE, "%s: %s", option, error->message);
  return 0;
}

/* The method and its parameters, SpRAy's stage parameters: --set, then the
 * dedicated options. */
static int
spray_set_params (SprayRun *s)
{
  g_autoptr(GError) error = NULL;
  s->method = rel_method_lookup (s->method_name ? s->method_name : "lrp-epsilon");
  if (s->method == NULL && s->method_name == NULL)
    s->method = rel_methods ()[0];
  if (s->method == NULL)
    return rel_cli_fail (EXIT_USAGE, "unknown method “%s” (see relevance-cli methods)", s->method_name);
  s->mp = rel_params_new (s->method);
  s->sp[0] = rel_params_new (rel_spray_stage_preprocess ());
  s->sp[1] = rel_params_new (rel_spray_stage_affinity ());
  s->sp[2] = rel_params_new (rel_spray_stage_eigen ());
  s->sp[3] = rel_params_new (rel_spray_stage_cluster ());
  s->sp[4] = rel_params_new (rel_spray_stage_tsne ());
  for (int i = 0; s->sets && s->sets[i]; i++)
    {
      const char *eq = strchr (s->sets[i], '=');
      g_autofree char *key = eq ? g_strndup (s->sets[i], eq - s->sets[i]) : g_strdup (s->sets[i]);
      gboolean ok = rel_method_param (s->method, key) ? rel_params_set_assignment (s->mp, s->sets[i], &error)
                                                      : rel_spray_params_set (s->sp, s->sets[i], &error);
      if (!ok)
        return rel_cli_fail (EXIT_USAGE, "--set %s: %s", s->sets[i], error->message);
    }
  int status;
  if ((status = spray_set_int (s->sp[3], "k", s->k, "--k"))
      || (status = spray_set_int (s->sp[1], "neighbors", s->neighbors, "--neighbors")))
    return status;
  if (s->knn && !rel_params_set (s->sp[1], "knn", s->knn, &error))
    return rel_cli_fail (EXIT_USAGE, "--knn: %s", error->message);
  return spray_set_int (s->sp[0], "pool", s->pool, "--pool");
}

/* The model, the data set and its class folders. */
static int
spray_load (SprayRun *s)
{
  g_autoptr(GError) error = NULL;
  s->model = rel_model_load (s->model_path, &error);
  if (s->model == NULL)
    return rel_cli_fail (1, "%s: %s", s->model_path, error->message);
  s->ds = rel_dataset_scan (s->dataset_path, NULL, NULL, NULL, &error);
  if (s->ds == NULL)
    return rel_cli_fail (1, "%s: %s", s->dataset_path, error->message);
  RelModel *model = s->model;
  s->layout = rel_dataset_layout_new (s->dataset_path, (const char *const *) s->ds->paths->pdata, s->ds->paths->len,
                                      (const char *const *) model->labels, model->labels ? model->n_labels : 0,
                                      rel_model_num_classes (model), s->class_level, &error);
  if (s->layout == NULL)
    return rel_cli_fail (EXIT_USAGE, "--class-level: %s", error->message);
  if (s->layout->n_classes > 0)
    return 0;
  if (s->layout->n_levels == 0)
    return rel_cli_fail (1, "%s has no class subfolders", s->dataset_path);
  /* Say so and ask: a guessed mapping would explain the wrong classes. */
  g_autoptr(GString) levels = g_string_new (NULL);
  for (int l = 1; l <= s->layout->n_levels; l++)
    {
      g_autofree char *names = rel_dataset_layout_describe_level (s->layout, l, 3);
      g_string_append_printf (levels, "%s%d: %s", l > 1 ? "; " : "", l, names);
    }
  return rel_cli_fail (1, "no folder in %s is named after one of the model's classes; "
                       "choose the class folders with --class-level N (%s)", s->dataset_path, levels->str);
}

/* One ClassRun per analysed class (--class or all), with its images. */
static int
spray_class_runs (SprayRun *s)
{
  const RelDatasetLayout *layout = s->layout;
  int wanted = -1;
  if (s->class_name && (wanted = rel_dataset_layout_find_class (layout, s->class_name)) < 0)
    {
      g_autofree char *known = g_strjoinv (", ", layout->class_names);
      return rel_cli_fail (EXIT_USAGE, "no class “%s” in %s (its classes: %s)", s->class_name, s->dataset_path, known);
    }
  for (int c = 0; c < layout->n_classes; c++)
    {
      if (wanted >= 0 && c != wanted)
        continue;
      ClassRun cr = { 0 };
      cr.name = g_strdup (layout->class_names[c]);
      cr.h5_name = g_strdup (cr.name);
      g_strdelimit (cr.h5_name, "/", '-');
      cr.class_index = c;
      GArray *idx = g_array_new (FALSE, FALSE, sizeof (int));
      for (guint i = 0; i < s->ds->paths->len; i++)
        if (layout->image_class[i] == c && !rel_cli_skip_oversized (g_ptr_array_index (s->ds->paths, i)))
          {
            int ii = (int) i;
            g_array_append_val (idx, ii);
          }
      cr.n = (int) idx->len;
      cr.dataset_index = (int *) g_array_free (idx, FALSE);
      g_array_append_val (s->runs, cr);
    }
  if (s->runs->len == 0)
    return rel_cli_fail (EXIT_USAGE, "no class “%s” in %s", s->class_name, s->dataset_path);
  return 0;
}

/* The part's header: what the merge checks, and the command line, less
 * --shard, that it runs again. */
static GKeyFile *
spray_part_header (const SprayRun *s)
{
  GKeyFile *h = g_key_file_new ();
  g_key_file_set_string (h, "part", "command", "spray");
  g_key_file_set_integer (h, "part", "shard", s->shard_k);
  g_key_file_set_integer (h, "part", "shards", s->shard_n);
  g_key_file_set_int64 (h, "part", "items", s->n_items);
  g_key_file_set_string (h, "part", "list", s->list_digest);
  g_key_file_set_string (h, "part", "settings", s->settings);
  g_autoptr(GStrvBuilder) args = g_strv_builder_new ();
  for (int i = 0; i < s->original_argc; i++)
    {
      if (g_str_equal (s->original[i], "--shard"))
        {
          i++;
          continue;
        }
      if (!g_str_has_prefix (s->original[i], "--shard="))
        g_strv_builder_add (args, s->original[i]);
    }
  g_auto(GStrv) av = g_strv_builder_end (args);
  g_key_file_set_string_list (h, "part", "args", (const char *const *) av, g_strv_length (av));
  return h;
}

/* The item list, checked against @merge's parts; when sharded, each item's
 * shard and the part writer. */
static int
spray_shard_setup (SprayRun *s, const RelCliSprayParts *merge)
{
  for (guint c = 0; c < s->runs->len; c++)
    s->n_items += g_array_index (s->runs, ClassRun, c).n;
  s->item_path = (const char **) g_new (const char *, MAX (s->n_items, 1));
  int o = 0;
  for (guint c = 0; c < s->runs->len; c++)
    {
      ClassRun *cr = &g_array_index (s->runs, ClassRun, c);
      for (int i = 0; i < cr->n; i++)
        s->item_path[o++] = g_ptr_array_index (s->ds->paths, cr->dataset_index[i]);
    }
  s->list_digest = rel_shard_digest (s->item_path, s->n_items);
  if (merge)
    {
      g_autofree char *list = g_key_file_get_string (merge->parts[0]->header, "part", "list", NULL);
      g_autofree char *set = g_key_file_get_string (merge->parts[0]->header, "part", "settings", NULL);
      if (merge->n_items != s->n_items || g_strcmp0 (list, s->list_digest) != 0)
        return rel_cli_fail (1, "%s changed since the parts were made (its image list differs)", s->dataset_path);
      if (g_strcmp0 (set, s->settings) != 0)
        return rel_cli_fail (1, "%s changed since the parts were made", s->model_path);
    }
  if (s->shard_n == 0)
    return 0;
  g_autofree gint64 *sizes = g_new (gint64, MAX (s->n_items, 1));
  for (int i = 0; i < s->n_items; i++)
    {
      GStatBuf st;
      sizes[i] = g_stat (s->item_path[i], &st) == 0 ? (gint64) st.st_size : 0;
    }
  s->owner = rel_shard_assign (sizes, s->n_items, s->shard_n);
  s->part_header = spray_part_header (s);
  s->part_writer = rel_part_writer_new (s->part_header);
  return 0;
}

/* Clusters class run @cr's heatmaps (the unsharded run). */
static int
spray_analyse_class (SprayRun *s, ClassRun *cr)
{
  g_autoptr(GError) error = NULL;
  cr->x = rel_spray_preprocess (cr->heatmaps->maps, cr->n, cr->heatmaps->height, cr->heatmaps->width,
                                s->sp[0], &cr->dim, &error);
  if (cr->x == NULL)
    return rel_cli_fail (1, "%s: %s", cr->name, error->message);
  g_autofree int *truth = g_new (int, cr->n);
  for (int i = 0; i < cr->n; i++)
    truth[i] = cr->model_class;
  cr->result = rel_spray_analyse (cr->x, cr->n, cr->dim, (int) lround (sqrt (cr->dim)),
                                  cr->heatmaps->predicted, cr->heatmaps->confidence, truth, s->sp, !s->no_tsne,
                                  on_progress, cr->name, NULL, &error);
  if (cr->result == NULL)
    return rel_cli_fail (1, "%s: %s", cr->name, error->message);
  if (isatty (STDERR_FILENO))
    fprintf (stderr, "\r\033[K");
  fprintf (stderr, "%s: %d images (%d explained, %d cached), suggested k %d, %d clusters\n",
           cr->name, cr->n, cr->heatmaps->n_explained, cr->heatmaps->n_cached,
           cr->result->suggested_k, cr->result->n_clusters);
  return 0;
}

/* Class run @cr, whose items start at @item_base: its heatmaps (explained,
 * or from @merge's parts), then into the part or clustered. */
static int
spray_class (SprayRun *s, ClassRun *cr, int item_base, const RelCliSprayParts *merge, RelCliShard *shard_out)
{
  g_autoptr(GError) error = NULL;
  if (cr->n < 3)
    return rel_cli_fail (1, "class %s has %d images; SpRAy needs at least 3", cr->name, cr->n);
  /* the class's index among the model's outputs, known only when its
   * folder's name matched a label (or the output index); a class of a
   * chosen level that matches none explains each image's prediction */
  int model_class = s->layout->class_labels[cr->class_index];
  cr->model_class = model_class;
  RelTarget target = { model_class >= 0 ? REL_TARGET_CLASS : REL_TARGET_PREDICTED, MAX (model_class, 0), 0, FALSE };
  if (s->target_text && !rel_target_parse (s->target_text, &target, &error))
    return rel_cli_fail (EXIT_USAGE, "--target: %s", error->message);
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  g_autoptr(GArray) mine = g_array_new (FALSE, FALSE, sizeof (int));
  for (int i = 0; i < cr->n; i++)
    if (s->owner == NULL || s->owner[item_base + i] == s->shard_k - 1)
      {
        int g = item_base + i;
        g_array_append_val (mine, g);
        g_ptr_array_add (paths, g_ptr_array_index (s->ds->paths, cr->dataset_index[i]));
      }
  RelSprayHeatmapRequest req = {
    .model = s->model, .model_path = s->model_path, .method_params = s->mp, .target = target,
    .cache_dir = s->cache_dir, .progress = on_progress, .progress_data = cr->name,
  };
  if (merge)
    {
      g_autofree int *items = g_new (int, MAX (cr->n, 1));
      for (int i = 0; i < cr->n; i++)
        items[i] = item_base + i;
      cr->heatmaps = heatmaps_from_parts (merge->parts, merge->slots, items, cr->n, &error);
    }
  else if (paths->len == 0)
    return 0;  /* this shard has none of the class's images */
  else
    cr->heatmaps = rel_spray_heatmaps (&req, (const char *const *) paths->pdata, (int) paths->len, &error);
  if (cr->heatmaps == NULL)
    {
      if (shard_out)
        shard_out->failed_item = error && error->message ? g_strdup (error->message) : NULL;
      return rel_cli_fail (1, "%s", error->message);
    }
  if (s->part_writer == NULL)
    return spray_analyse_class (s, cr);
  for (guint i = 0; i < mine->len; i++)
    add_map_record (s->part_writer, (guint32) g_array_index (mine, int, i), cr->heatmaps, (int) i);
  fprintf (stderr, "%s: %u of %d images explained for shard %d/%d (%d cached)\n", cr->name, mine->len,
           cr->n, s->shard_k, s->shard_n, cr->heatmaps->n_cached);
  return 0;
}

/* The finished part: to @shard_out (in memory), else to OUT.part-K-of-N. */
static int
spray_write_part (SprayRun *s, RelCliShard *shard_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = rel_part_writer_finish (g_steal_pointer (&s->part_writer));
  if (shard_out)
    {
      shard_out->part = g_bytes_ref (bytes);
      return 0;
    }
  g_autofree char *part_path = g_strdup_printf ("%s.part-%d-of-%d", s->out, s->shard_k, s->shard_n);
  if (!rel_file_set_contents (part_path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error))
    return rel_cli_fail (1, "%s", error->message);
  printf ("shard %d/%d written to %s\n", s->shard_k, s->shard_n, part_path);
  return 0;
}

/* The analysis and attribution files (--out). */
static int
spray_write_h5 (SprayRun *s)
{
#ifdef REL_HAVE_HDF5
  g_autoptr(GError) error = NULL;
  GArray *runs = s->runs;
  /* both files are complete in memory before either replaces anything,
   * so a full disk leaves the previous pair as it was */
  g_autoptr(GBytes) analysis = build_analysis (s->out, (ClassRun *) runs->data, runs->len, s->sp[3], &error);
  g_autoptr(GBytes) attr = analysis ? build_attribution (s->attr_path, (ClassRun *) runs->data, runs->len, &error)
                                    : NULL;
  g_autoptr(RelAtomicFile) fa = attr ? rel_atomic_file_open (s->out, &error) : NULL;
  g_autoptr(RelAtomicFile) fb = fa ? rel_atomic_file_open (s->attr_path, &error) : NULL;
  if (fb == NULL
      || !rel_atomic_file_write (fa, g_bytes_get_data (analysis, NULL), g_bytes_get_size (analysis), &error)
      || !rel_atomic_file_write (fb, g_bytes_get_data (attr, NULL), g_bytes_get_size (attr), &error)
      || !rel_atomic_file_commit (g_steal_pointer (&fa), &error)
      || !rel_atomic_file_commit (g_steal_pointer (&fb), &error))
    return rel_cli_fail (1, "%s", error->message);
#endif
  return 0;
}

/* --json: one object on stdout, the class's members or "classes". */
static void
spray_print_json (const SprayRun *s)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "method");
  json_builder_add_string_value (b, s->method->name);
  if (s->runs->len == 1)
    json_class (b, &g_array_index (s->runs, ClassRun, 0), s->ds, s->layout, s->model);
  else
    {
      json_builder_set_member_name (b, "classes");
      json_builder_begin_array (b);
      for (guint c = 0; c < s->runs->len; c++)
        {
          json_builder_begin_object (b);
          json_class (b, &g_array_index (s->runs, ClassRun, c), s->ds, s->layout, s->model);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

static int
spray_run_steps (SprayRun *s, int argc, char **argv, const RelCliSprayParts *merge, RelCliShard *shard_out)
{
  int status;
  if ((status = spray_parse (s, argc, argv, shard_out)) || (status = spray_check_outputs (s, shard_out))
      || (status = spray_set_params (s)) || (status = spray_load (s)) || (status = spray_class_runs (s))
      || (status = spray_shard_setup (s, merge)))
    return status;
  int item_base = 0;
  for (guint c = 0; c < s->runs->len; c++)
    {
      ClassRun *cr = &g_array_index (s->runs, ClassRun, c);
      if ((status = spray_class (s, cr, item_base, merge, shard_out)))
        return status;
      item_base += cr->n;
    }
  if (s->part_writer)
    return spray_write_part (s, shard_out);
  if (s->out && (status = spray_write_h5 (s)))
    return status;
  if (s->json)
    spray_print_json (s);
  return 0;
}

int
rel_cli_spray_run (int argc, char **argv, const RelCliSprayParts *merge, RelCliShard *shard_out)
{
  SprayRun s = { 0 };
  s.runs = g_array_new (FALSE, TRUE, sizeof (ClassRun));
  g_array_set_clear_func (s.runs, (GDestroyNotify) class_run_clear);
  int status = spray_run_steps (&s, argc, argv, merge, shard_out);
  spray_run_clear (&s);
  return status;
}

int
rel_cli_spray (int argc, char **argv)
{
  return rel_cli_spray_run (argc, argv, NULL, NULL);
}
