/* test-translations.c — the method table is fully translated.
 *
 * The explainer panel shows every method's title and description and every
 * parameter's description and unit through gettext. A method or parameter
 * added to the core without its German string (or whose msgid drifted from
 * the code) would show English in a German session: each of those strings
 * must be a msgid of po/de.po with a non-empty, non-fuzzy translation.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-explain.h"

#include <string.h>

/* msgid → msgstr of the non-fuzzy, non-obsolete entries of a .po file */
static GHashTable *
load_po (const char *path)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) blocks = NULL;
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  blocks = g_strsplit (text, "\n\n", -1);
  for (int b = 0; blocks[b]; b++)
    {
      g_auto(GStrv) lines = g_strsplit (blocks[b], "\n", -1);
      g_autoptr(GString) id = NULL, str = NULL;
      GString *cur = NULL;
      gboolean fuzzy = FALSE;

      for (int l = 0; lines[l]; l++)
        {
          const char *line = lines[l], *q;
          if (g_str_has_prefix (line, "#,") && strstr (line, "fuzzy"))
            fuzzy = TRUE;
          if (g_str_has_prefix (line, "msgid "))
            cur = id = g_string_new (NULL);
          else if (g_str_has_prefix (line, "msgstr "))
            cur = str = g_string_new (NULL);
          else if (line[0] != '"')
            {
              cur = NULL;
              continue;
            }
          q = strchr (line, '"');
          if (cur && q)
            {
              g_autofree char *body = g_strndup (q + 1, strlen (q + 1) - 1);
              g_autofree char *plain = g_strcompress (body);
              g_string_append (cur, plain);
            }
        }
      if (id && str && id->len > 0 && !fuzzy)
        g_hash_table_insert (table, g_strdup (id->str), g_strdup (str->str));
    }
  return table;
}

static void
expect (GHashTable *po, const char *what, const char *msgid, GString *missing)
{
  const char *msgstr;

  if (msgid == NULL || msgid[0] == '\0')
    return;
  msgstr = g_hash_table_lookup (po, msgid);
  if (msgstr == NULL || msgstr[0] == '\0')
    g_string_append_printf (missing, "\n  %s: \"%s\"", what, msgid);
}

static void
test_method_table_german (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "po", "de.po", NULL);
  g_autoptr(GHashTable) po = load_po (path);
  g_autoptr(GString) missing = g_string_new (NULL);
  int n_strings = 0;

  g_assert_cmpuint (g_hash_table_size (po), >, 100);
  for (const RelMethodDef *const *m = rel_methods (); *m; m++)
    {
      expect (po, (*m)->name, (*m)->title, missing);
      expect (po, (*m)->name, (*m)->description, missing);
      n_strings += 2;
      for (int i = 0; i < (*m)->n_params; i++)
        {
          const RelParamSpec *s = &(*m)->params[i];
          g_autofree char *what = g_strdup_printf ("%s %s", (*m)->name, s->name);
          expect (po, what, s->description, missing);
          expect (po, what, s->unit, missing);
          n_strings += 2;
          /* every choice has a written title (not one made from its id) */
          if (s->type == REL_PARAM_CHOICE)
            {
              if (s->choice_titles == NULL)
                g_string_append_printf (missing, "\n  %s: choices without titles", what);
              for (int c = 0; s->choices && s->choices[c]; c++)
                {
                  g_autofree char *cw = g_strdup_printf ("%s = %s", what, s->choices[c]);
                  if (s->choice_titles && s->choice_titles[c] == NULL)
                    g_string_append_printf (missing, "\n  %s: no title", cw);
                  expect (po, cw, rel_param_choice_title (s, c), missing);
                  n_strings++;
                }
            }
        }
    }
  g_test_message ("%d method-table strings looked up in de.po", n_strings);
  if (missing->len)
    g_test_fail_printf ("untranslated in po/de.po:%s", missing->str);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/translations/method-table-de", test_method_table_german);
  return g_test_run ();
}
