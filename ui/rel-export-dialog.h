/* rel-export-dialog.h — the Export dialog of a heatmap or overlay PNG: the
 * scale (by default the size shown on the canvas), a colour bar and a title,
 * with a preview of the picture as it will be written; "Export…" then asks
 * for the file.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "rel-export-image.h"

G_BEGIN_DECLS

#define REL_TYPE_EXPORT_DIALOG (rel_export_dialog_get_type ())
G_DECLARE_FINAL_TYPE (RelExportDialog, rel_export_dialog, REL, EXPORT_DIALOG, AdwWindow)

/* Told what became of a save: @error NULL when @path was written (the
 * caller reports it, e.g. in a toast). */
typedef void (*RelExportSavedFunc) (const char *path, const GError *error, gpointer user_data);

/* @rgba: the picture at model size (@w × @h RGBA8, copied); @style: the
 * colour map, sign, scale and title text to offer (copied; its scale is the
 * initial factor, its colorbar and title fields the switches' states);
 * @name: the file name the chooser suggests. @saved hears of every save;
 * @user_data must outlive the dialog (the parent window does). */
RelExportDialog *rel_export_dialog_new (GtkWindow *parent, const char *heading, const guint8 *rgba,
                                        int w, int h, const RelExportStyle *style, const char *name,
                                        RelExportSavedFunc saved, gpointer user_data);

void     rel_export_dialog_set_scale    (RelExportDialog *self, int scale);
void     rel_export_dialog_set_colorbar (RelExportDialog *self, gboolean colorbar);
void     rel_export_dialog_set_title_shown (RelExportDialog *self, gboolean shown);
/* The style the switches make now (borrowed strings; valid until the next change). */
void     rel_export_dialog_get_style    (RelExportDialog *self, RelExportStyle *style);
/* The size of the picture as it would be written now, as the dialog shows it. */
void     rel_export_dialog_get_size     (RelExportDialog *self, int *width, int *height);
/* Writes the picture in the current style to @path. */
gboolean rel_export_dialog_write        (RelExportDialog *self, const char *path, GError **error);
/* What "Export…" does once a file is chosen: write, tell @saved, and close on success. */
gboolean rel_export_dialog_save_to      (RelExportDialog *self, const char *path);

G_END_DECLS
