/* rel-atomic-file.c — atomic replacement of files: write a temporary in the
 * target's folder, fsync it, rename it over the target.
 *
 * The temporary lives beside the *resolved* target so that the rename stays
 * on one file system and a symlink keeps pointing where it did. Targets that
 * are not regular files are refused rather than replaced: renaming over
 * /dev/full (as root, in /dev) would destroy the device node.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-atomic-file.h"
#include "rel-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 40
/* room for ".", ".XXXXXX" and a NAME_MAX of 255 */
#define MAX_TEMP_STEM 200

struct _RelAtomicFile {
  char *path;         /* as given, for messages */
  char *target;       /* symlinks resolved */
  char *temp;
  int   fd;
  int   write_errno;  /* the first failed write's */
};

static void
io_error (GError **error, const char *path, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static void
io_error (GError **error, const char *path, const char *fmt, ...)
{
  g_autofree char *why = NULL;
  va_list ap;
  va_start (ap, fmt);
  why = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, REL_ERROR, REL_ERROR_IO, "cannot write '%s': %s", path, why);
}

/* Follows symlinks in the last component; a dangling link gives the path it
 * points to, which is then created. */
static char *
resolve_target (const char *path, GError **error)
{
  g_autofree char *p = g_strdup (path);

  for (int depth = 0; depth < MAX_LINKS; depth++)
    {
      GStatBuf st;
      g_autoptr(GError) local = NULL;
      g_autofree char *link = NULL;

      if (g_lstat (p, &st) != 0 || !S_ISLNK (st.st_mode))
        return g_steal_pointer (&p);
      link = g_file_read_link (p, &local);
      if (link == NULL)
        {
          io_error (error, path, "%s", local->message);
          return NULL;
        }
      if (g_path_is_absolute (link))
        {
          g_free (p);
          p = g_steal_pointer (&link);
        }
      else
        {
          g_autofree char *dir = g_path_get_dirname (p);
          g_free (p);
          p = g_build_filename (dir, link, NULL);
        }
    }
  io_error (error, path, "%s", g_strerror (ELOOP));
  return NULL;
}

/* The target must be absent or a regular file; @st is filled when it exists. */
static gboolean
check_target (const char *path, const char *target, GStatBuf *st, gboolean *exists, GError **error)
{
  *exists = FALSE;
  if (*path == '\0')
    {
      g_set_error (error, REL_ERROR, REL_ERROR_IO, "cannot write a file with an empty name");
      return FALSE;
    }
  if (g_str_has_suffix (target, G_DIR_SEPARATOR_S))
    {
      io_error (error, path, "it names a folder, not a file");
      return FALSE;
    }
  if (g_stat (target, st) != 0)
    {
      int e = errno;
      if (e == ENOENT)
        return TRUE;
      if (e == ENOTDIR)
        {
          g_autofree char *dir = g_path_get_dirname (target);
          io_error (error, path, "'%s' is not a folder", dir);
        }
      else
        io_error (error, path, "%s", g_strerror (e));
      return FALSE;
    }
  *exists = TRUE;
  if (S_ISDIR (st->st_mode))
    {
      io_error (error, path, "it is a folder");
      return FALSE;
    }
  if (!S_ISREG (st->st_mode))
    {
      if (strcmp (path, target) != 0)
        io_error (error, path, "it points to '%s', which is not a regular file", target);
      else
        io_error (error, path, "it is not a regular file");
      return FALSE;
    }
  return TRUE;
}

/* Creates an empty temporary "DIR/.STEM.XXXXXX"; its path in *@temp, or why
 * not in *@why. */
static int
open_temp (const char *dir, const char *stem, char **temp, char **why)
{
  GStatBuf st;
  g_autofree char *short_stem = g_strndup (stem, MAX_TEMP_STEM);
  g_autofree char *name = g_strdup_printf (".%s.XXXXXX", short_stem);
  g_autofree char *tmpl = g_build_filename (dir, name, NULL);
  int fd;

  if (g_stat (dir, &st) != 0)
    {
      int e = errno;
      if (e == ENOENT)
        *why = g_strdup_printf ("the folder '%s' does not exist", dir);
      else if (e == ENOTDIR)
        *why = g_strdup_printf ("'%s' is not a folder", dir);
      else
        *why = g_strdup_printf ("'%s': %s", dir, g_strerror (e));
      return -1;
    }
  if (!S_ISDIR (st.st_mode))
    {
      *why = g_strdup_printf ("'%s' is not a folder", dir);
      return -1;
    }
  fd = g_mkstemp_full (tmpl, O_RDWR | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      int e = errno;
      *why = g_strdup_printf ("cannot create a file in '%s': %s", dir, g_strerror (e));
      return -1;
    }
  *temp = g_steal_pointer (&tmpl);
  return fd;
}

RelAtomicFile *
rel_atomic_file_open (const char *path, GError **error)
{
  g_autofree char *target = NULL, *dir = NULL, *base = NULL, *temp = NULL, *why = NULL;
  GStatBuf st;
  gboolean exists;
  RelAtomicFile *file;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  if ((target = resolve_target (path, error)) == NULL)
    return NULL;
  if (!check_target (path, target, &st, &exists, error))
    return NULL;
  dir = g_path_get_dirname (target);
  base = g_path_get_basename (target);
  if ((fd = open_temp (dir, base, &temp, &why)) < 0)
    {
      io_error (error, path, "%s", why);
      return NULL;
    }
  if (exists)
    {
      /* the replacement keeps the old file's permissions and, where allowed,
       * its owner (root saving over a user's file) */
      if (fchmod (fd, st.st_mode & 07777) != 0)
        { /* best effort: the data matter more than the mode */ }
      if (geteuid () == 0 && fchown (fd, st.st_uid, st.st_gid) != 0)
        { /* idem */ }
    }
  file = g_new0 (RelAtomicFile, 1);
  file->path = g_strdup (path);
  file->target = g_steal_pointer (&target);
  file->temp = g_steal_pointer (&temp);
  file->fd = fd;
  return file;
}

static int
write_all (int fd, const void *data, gsize len)
{
  const char *p = data;
  while (len > 0)
    {
      gssize n = write (fd, p, MIN (len, (gsize) 1 << 30));
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return errno;
        }
      if (n == 0)
        return EIO;
      p += n;
      len -= (gsize) n;
    }
  return 0;
}

gboolean
rel_atomic_file_write (RelAtomicFile *file, const void *data, gsize len, GError **error)
{
  g_return_val_if_fail (file != NULL, FALSE);
  /* after a failure nothing more is written, and the commit refuses */
  if (file->write_errno == 0)
    file->write_errno = write_all (file->fd, data, len);
  if (file->write_errno == 0)
    return TRUE;
  io_error (error, file->path, "%s", g_strerror (file->write_errno));
  return FALSE;
}

static void
file_free (RelAtomicFile *file)
{
  g_free (file->path);
  g_free (file->target);
  g_free (file->temp);
  g_free (file);
}

void
rel_atomic_file_abort (RelAtomicFile *file)
{
  if (file == NULL)
    return;
  if (file->fd >= 0)
    close (file->fd);
  g_unlink (file->temp);
  file_free (file);
}

gboolean
rel_atomic_file_commit (RelAtomicFile *file, GError **error)
{
  int e = 0;

  g_return_val_if_fail (file != NULL, FALSE);
  if (file->write_errno)
    e = file->write_errno;
  else if (fsync (file->fd) != 0)
    e = errno;
  /* close reports delayed write errors on some file systems (NFS) */
  if (close (file->fd) != 0 && e == 0)
    e = errno;
  file->fd = -1;
  if (e == 0 && g_rename (file->temp, file->target) != 0)
    e = errno;
  if (e != 0)
    {
      io_error (error, file->path, "%s", g_strerror (e));
      rel_atomic_file_abort (file);
      return FALSE;
    }
  {
    /* the rename itself survives a power cut only once the folder is synced */
    g_autofree char *dir = g_path_get_dirname (file->target);
    int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0)
      {
        (void) fsync (dfd);
        close (dfd);
      }
  }
  file_free (file);
  return TRUE;
}

gboolean
rel_file_set_contents (const char *path, const void *data, gsize len, GError **error)
{
  g_autoptr(RelAtomicFile) file = rel_atomic_file_open (path, error);

  if (file == NULL || !rel_atomic_file_write (file, data, len, error))
    return FALSE;
  return rel_atomic_file_commit (g_steal_pointer (&file), error);
}

gboolean
rel_file_check_writable (const char *path, GError **error)
{
  /* opening the temporary is the whole check: it resolves links, looks at
   * the target and creates (then removes) a file in the right folder */
  RelAtomicFile *file = rel_atomic_file_open (path, error);

  if (file == NULL)
    return FALSE;
  rel_atomic_file_abort (file);
  return TRUE;
}

gboolean
rel_folder_check_writable (const char *dir, gboolean create, GError **error)
{
  g_autofree char *temp = NULL, *why = NULL;
  int fd;

  g_return_val_if_fail (dir != NULL, FALSE);
  if (create && g_mkdir_with_parents (dir, 0755) != 0)
    {
      int e = errno;
      g_set_error (error, REL_ERROR, REL_ERROR_IO, "cannot create the folder '%s': %s", dir, g_strerror (e));
      return FALSE;
    }
  fd = open_temp (dir, "relevance-probe", &temp, &why);
  if (fd < 0)
    {
      g_set_error (error, REL_ERROR, REL_ERROR_IO, "cannot write into the folder '%s': %s", dir, why);
      return FALSE;
    }
  close (fd);
  g_unlink (temp);
  return TRUE;
}
