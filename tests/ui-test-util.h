/* ui-test-util.h — helpers shared by the UI tests.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Binds the gettext domain to the catalogues built from po/ in the build tree
 * (templates translate with the default domain, as main() sets it). FALSE
 * when the German catalogue was not built; the caller then skips. */
gboolean ui_test_bind_build_catalogues (void);

/* Sets LANGUAGE (NULL unsets it) and makes gettext drop its cached
 * translations, so the next lookups use the new language. */
void     ui_test_set_language (const char *language);

G_END_DECLS
