/* rel-application.h — the GtkApplication: actions, command line, windows.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define REL_TYPE_APPLICATION (rel_application_get_type ())
G_DECLARE_FINAL_TYPE (RelApplication, rel_application, REL, APPLICATION, AdwApplication)

RelApplication *rel_application_new (void);
/* Non-zero when --screenshot could not write its file (g_application_run
 * cannot carry a status out of the main loop). */
int             rel_application_get_exit_status (RelApplication *self);

G_END_DECLS
