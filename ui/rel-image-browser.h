/* rel-image-browser.h — a grid of thumbnails for a folder of images, with the
 * model's prediction on each, filters by class and by correct/wrong, and
 * keyboard navigation.
 *
 * Nothing here blocks the main loop: the folder is scanned on a worker thread
 * and the grid fills in chunks; thumbnails are decoded on a small thread pool
 * only for the cells on screen; predictions run in batches on a worker thread,
 * cells on screen first.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "rel-image-item.h"
#include "rel-model.h"

G_BEGIN_DECLS

#define REL_TYPE_IMAGE_BROWSER (rel_image_browser_get_type ())
G_DECLARE_FINAL_TYPE (RelImageBrowser, rel_image_browser, REL, IMAGE_BROWSER, GtkWidget)

typedef enum {
  REL_CORRECTNESS_ALL,
  REL_CORRECTNESS_CORRECT,  /* predicted, true label known, and they agree */
  REL_CORRECTNESS_WRONG,    /* predicted, true label known, and they differ */
} RelCorrectness;

GtkWidget    *rel_image_browser_new            (void);

/* Replaces the content with the images below @path (see rel-dataset.h for the
 * layout). Returns at once; "loading" is TRUE until the scan ends, items
 * appear as they are found, and "folder-loaded" (with NULL or the error) is
 * emitted at the end. A scan still running is cancelled. */
void          rel_image_browser_open_folder    (RelImageBrowser *self, const char *path);
/* Appends single images without a true label (already on the main thread:
 * meant for a handful of dropped files). */
void          rel_image_browser_add_files      (RelImageBrowser *self, const char *const *paths);
void          rel_image_browser_clear          (RelImageBrowser *self);
gboolean      rel_image_browser_is_loading     (RelImageBrowser *self);

/* All items (a GListStore of RelImageItem, in scan order), and the filtered
 * model the grid shows. Borrowed. */
GListModel   *rel_image_browser_get_items      (RelImageBrowser *self);
GListModel   *rel_image_browser_get_filtered   (RelImageBrowser *self);
/* The classes (NULL-terminated, borrowed): the model's labels that folder
 * names match, the folders at the chosen level, or, without a model, the
 * open folder's subfolders; empty when none. Known once the scan ended. */
const char *const *rel_image_browser_get_class_names (RelImageBrowser *self);

/* The open folder (borrowed; NULL when none). */
const char   *rel_image_browser_get_folder     (RelImageBrowser *self);
/* The groups: the folders around the class folders ("clean", "tagged"; see
 * rel_dataset_layout_new), NULL-terminated, borrowed. -1 shows every group. */
const char *const *rel_image_browser_get_group_names (RelImageBrowser *self);
void          rel_image_browser_set_group_filter (RelImageBrowser *self, int group_index);
int           rel_image_browser_get_group_filter (RelImageBrowser *self);
/* The folder level (1 = the open folder's subfolders) whose folders are the
 * classes; 0 (the default, and after opening another folder) finds it by
 * matching folder names to the model's labels. When nothing matches, a
 * banner says so and offers the levels; its text is the layout prompt (NULL
 * while hidden). */
void          rel_image_browser_set_class_level (RelImageBrowser *self, int level);
int           rel_image_browser_get_class_level (RelImageBrowser *self);
const char   *rel_image_browser_get_layout_prompt (RelImageBrowser *self);

/* -1 shows every class. With class subfolders the filter is on the true
 * label; without, on the predicted label (the drop-down then lists the
 * model's classes). */
void          rel_image_browser_set_class_filter       (RelImageBrowser *self, int class_index);
int           rel_image_browser_get_class_filter       (RelImageBrowser *self);
void          rel_image_browser_set_correctness_filter (RelImageBrowser *self, RelCorrectness which);
RelCorrectness rel_image_browser_get_correctness_filter (RelImageBrowser *self);

/* The selected item (borrowed, NULL when none); "selected-item" notifies. */
RelImageItem *rel_image_browser_get_selected_item (RelImageBrowser *self);
/* Selects @item if the filtered grid shows it; FALSE otherwise. */
gboolean      rel_image_browser_set_selected_item (RelImageBrowser *self, RelImageItem *item);

/* Predicts every item with @model (referenced; NULL stops predicting and
 * clears the predictions): batches of @batch_size images (<= 0: 32) on a
 * worker thread, the cells on screen first, results on the main loop. A
 * model change cancels the running work. Also matches the folder names to
 * the model's labels (rel_dataset_layout_new) to decide which predictions
 * are wrong; an image without a matched class is never called wrong. "predicting" is TRUE while work remains. */
void          rel_image_browser_set_predictor  (RelImageBrowser *self, RelModel *model, int batch_size);
gboolean      rel_image_browser_is_predicting  (RelImageBrowser *self);

/* For tests and benchmarks: how many thumbnail decodes finished, and how many
 * predictions were delivered, since the browser was created. */
guint         rel_image_browser_get_n_thumbnails_loaded (RelImageBrowser *self);
guint         rel_image_browser_get_n_predicted (RelImageBrowser *self);

/* Signals:
 *   image-activated (RelImageItem *item)  — Enter or double click on a cell
 *   folder-loaded   (GError *error)       — the scan ended (error NULL) or failed (not on cancel)
 * Properties: selected-item, loading, predicting, n-items, n-visible. */

G_END_DECLS
