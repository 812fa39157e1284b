/* main.c — starts the Relevance desktop app.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "rel-application.h"
#include "rel-core.h"

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  /* An uninstalled build reads its catalogues from <build>/po (./run sets this). */
  const char *localedir = g_getenv ("RELEVANCE_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* BLAS threads: 2 by default, the size of the target machines. */
  rel_core_init (0);

  g_autoptr (RelApplication) app = rel_application_new ();
  int status = g_application_run (G_APPLICATION (app), argc, argv);
  return status != 0 ? status : rel_application_get_exit_status (app);
}
