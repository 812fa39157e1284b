/* rel-image-cell.h — a cell of the image browser's grid (rel-image-browser.c
 * binds one per visible item).
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "rel-image-item.h"

G_BEGIN_DECLS

/* The thumbnail's height in logical pixels. */
#define REL_IMAGE_CELL_THUMB_SIZE 160

#define REL_TYPE_IMAGE_CELL (rel_image_cell_get_type ())
G_DECLARE_FINAL_TYPE (RelImageCell, rel_image_cell, REL, IMAGE_CELL, GtkWidget)

GtkWidget *rel_image_cell_new      (void);
/* Shows @item (NULL: nothing) and follows its changes. */
void       rel_image_cell_set_item (RelImageCell *self, RelImageItem *item);

G_END_DECLS
