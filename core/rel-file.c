/* rel-file.c — reading hostile files and quoting them in messages.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rel-file.h"
#include "rel-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define QUOTE_PATH_MAX 1024

static const char *
kind_of (mode_t mode)
{
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISSOCK (mode))
    return "a socket";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  return "not a regular file";
}

int
rel_file_open (const char *path, const char *what, gint64 max_size, gint64 *size, GError **error)
{
  g_autofree char *shown = rel_quote_path (path);
  struct stat st = { 0 };
  int fd, flags;

  /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer */
  do
    fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    {
      int e = errno;
      struct stat pst;
      /* a socket cannot be opened at all (ENXIO): say what it is */
      if (e != ENOENT && stat (path, &pst) == 0 && !S_ISREG (pst.st_mode))
        g_set_error (error, REL_ERROR, REL_ERROR_IO, "%s '%s' is %s, not a regular file", what, shown,
                     kind_of (pst.st_mode));
      else if (e == ENOENT)
        g_set_error (error, REL_ERROR, REL_ERROR_MISSING, "%s '%s' does not exist", what, shown);
      else
        g_set_error (error, REL_ERROR, REL_ERROR_IO, "cannot read %s '%s': %s", what, shown, g_strerror (e));
      return -1;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, REL_ERROR, REL_ERROR_IO, "%s '%s' is %s, not a regular file", what, shown,
                   kind_of (st.st_mode));
      close (fd);
      return -1;
    }
  if ((gint64) st.st_size > max_size)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE,
                   "%s '%s' is %" G_GINT64_FORMAT " bytes; the limit is %" G_GINT64_FORMAT,
                   what, shown, (gint64) st.st_size, max_size);
      close (fd);
      return -1;
    }
  /* a regular file: reads may block as usual (NFS, slow disks) */
  flags = fcntl (fd, F_GETFL);
  if (flags < 0 || fcntl (fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
    {
      int e = errno;
      g_set_error (error, REL_ERROR, REL_ERROR_IO, "cannot read %s '%s': %s", what, shown, g_strerror (e));
      close (fd);
      return -1;
    }
  if (size)
    *size = (gint64) st.st_size;
  return fd;
}

gboolean
rel_file_get_contents (const char *path, const char *what, gint64 max_size,
                       char **contents, gsize *length, GError **error)
{
  gint64 size = 0;
  g_autofree char *buf = NULL;
  gsize done = 0;
  int fd = rel_file_open (path, what, max_size, &size, error);

  if (fd < 0)
    return FALSE;
  buf = g_try_malloc ((gsize) size + 1);
  if (buf == NULL)
    {
      g_autofree char *shown = rel_quote_path (path);
      g_set_error (error, REL_ERROR, REL_ERROR_TOO_LARGE, "out of memory reading %s '%s'", what, shown);
      close (fd);
      return FALSE;
    }
  /* the size from fstat: a file growing meanwhile is read up to it, one
   * shrinking ends the read early */
  while (done < (gsize) size)
    {
      ssize_t r = read (fd, buf + done, (gsize) size - done);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;
          g_autofree char *shown = rel_quote_path (path);
          g_set_error (error, REL_ERROR, REL_ERROR_IO, "cannot read %s '%s': %s", what, shown, g_strerror (e));
          close (fd);
          return FALSE;
        }
      if (r == 0)
        break;
      done += (gsize) r;
    }
  close (fd);
  buf[done] = '\0';
  *contents = g_steal_pointer (&buf);
  if (length)
    *length = done;
  return TRUE;
}

GMappedFile *
rel_file_map (const char *path, const char *what, gint64 max_size, GError **error)
{
  g_autoptr(GError) local = NULL;
  GMappedFile *mf;
  int fd = rel_file_open (path, what, max_size, NULL, error);

  if (fd < 0)
    return NULL;
  mf = g_mapped_file_new_from_fd (fd, FALSE, &local);
  close (fd);
  if (mf == NULL)
    {
      g_autofree char *shown = rel_quote_path (path);
      g_set_error (error, REL_ERROR, REL_ERROR_IO, "cannot read %s '%s': %s", what, shown, local->message);
      return NULL;
    }
  return mf;
}

static char *
quote (const char *text, gssize length, gsize max_chars)
{
  GString *out;
  const char *p, *end;
  gsize chars = 0;

  if (text == NULL)
    return g_strdup ("(null)");
  if (length < 0)
    length = (gssize) strlen (text);
  out = g_string_sized_new (MIN ((gsize) length, max_chars * 4) + 8);
  p = text;
  end = text + length;
  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);
      if (chars >= max_chars)
        {
          g_string_append (out, "…");
          break;
        }
      if (c == (gunichar) -1 || c == (gunichar) -2 || c < 0x20 || c == 0x7f)
        {
          /* a byte that is not UTF-8 (or a control character): visible, not raw */
          g_string_append_printf (out, "\\x%02x", (guint8) *p);
          p++;
        }
      else
        {
          const char *next = g_utf8_next_char (p);
          g_string_append_len (out, p, next - p);
          p = next;
        }
      chars++;
    }
  return g_string_free (out, FALSE);
}

char *
rel_quote (const char *text, gssize length)
{
  return quote (text, length, REL_QUOTE_MAX);
}

char *
rel_quote_path (const char *path)
{
  return quote (path, -1, QUOTE_PATH_MAX);
}

void
rel_error_make_printable (GError *error)
{
  char *clean;

  if (error == NULL || error->message == NULL)
    return;
  clean = quote (error->message, -1, REL_ERROR_MESSAGE_MAX);
  g_free (error->message);
  error->message = clean;
}
