/* rel-cli-mpi.c — `mpirun -n P relevance-cli explain --dataset …` and
 * `mpirun -n P relevance-cli spray …`.
 *
 * Every rank runs the command as shard rank+1 of P (the same deterministic
 * split by file size as --shard K/N), keeping its part in memory; the parts
 * go to rank 0, which joins them exactly as `relevance-cli merge` joins part
 * files and alone writes the outputs. So the output files are the ones a
 * single process writes, byte for byte. What is distributed is the
 * explaining, the expensive part; spray's analysis (kNN, eigenpairs,
 * clustering) runs on rank 0 over the gathered heatmaps.
 *
 * Failure: every rank finishes or fails its share, then all learn who
 * failed (MPI_Allgather). A failing rank's own message, which names its file,
 * is the one line printed ("relevance-cli: rank R: FILE: …"); the other
 * ranks' duplicate messages (a bad option fails everywhere) are dropped, and
 * nothing is written. A rank that dies makes mpirun end the job before rank 0
 * writes anything. spray's heatmap cache makes a second run resume.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rel-cli.h"
#include "rel-shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

static char cli_name[64] = "relevance-cli";

const char *
rel_cli_name (void)
{
  return cli_name;
}

gboolean
rel_cli_mpi_wanted (void)
{
  /* set by Open MPI's mpirun (and PMI launchers): a plain run never starts MPI */
  const char *size = g_getenv ("OMPI_COMM_WORLD_SIZE");
  if (size == NULL)
    size = g_getenv ("PMI_SIZE");
  return size != NULL && atoi (size) > 1;
}

#ifdef REL_HAVE_MPI
#include <mpi.h>

enum { CHUNK = 1 << 30 };

/* Rank 0 receives every other rank's part; returns them parsed, or NULL
 * after printing why. */
static int
gather_and_merge (GBytes *mine, int rank, int size)
{
  guint64 len = g_bytes_get_size (mine);
  g_autofree guint64 *lens = rank == 0 ? g_new (guint64, MAX (size, 1)) : NULL;
  MPI_Gather (&len, 1, MPI_UINT64_T, lens, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  if (rank != 0)
    {
      const guint8 *p = g_bytes_get_data (mine, NULL);
      for (guint64 off = 0; off < len; off += CHUNK)
        MPI_Send (p + off, (int) MIN ((guint64) CHUNK, len - off), MPI_BYTE, 0, 7, MPI_COMM_WORLD);
      return 0;
    }
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify) rel_part_free);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  int status = 0;
  for (int r = 0; r < size; r++)
    {
      g_autoptr(GBytes) bytes = NULL;
      if (r == 0)
        bytes = g_bytes_ref (mine);
      else
        {
          guint8 *buf = g_try_malloc (MAX (lens[r], 1));
          for (guint64 off = 0; off < lens[r]; off += CHUNK)
            {
              int n = (int) MIN ((guint64) CHUNK, lens[r] - off);
              if (buf)
                MPI_Recv (buf + off, n, MPI_BYTE, r, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
              else
                {
                  /* still drain the message so rank r can finish */
                  g_autofree guint8 *sink = g_malloc (n);
                  MPI_Recv (sink, n, MPI_BYTE, r, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                }
            }
          if (buf == NULL)
            {
              fprintf (stderr, "relevance-cli: rank 0: out of memory for rank %d's results\n", r);
              status = 1;
              continue;
            }
          bytes = g_bytes_new_take (buf, lens[r]);
        }
      g_autofree char *name = g_strdup_printf ("rank %d's results", r);
      g_autoptr(GError) error = NULL;
      RelPart *part = status == 0 ? rel_part_parse (bytes, name, &error) : NULL;
      if (status == 0 && part == NULL)
        {
          fprintf (stderr, "relevance-cli: %s\n", error->message);
          status = 1;
        }
      if (part)
        {
          g_ptr_array_add (parts, part);
          g_ptr_array_add (names, g_steal_pointer (&name));
        }
    }
  if (status != 0)
    return status;
  return rel_cli_merge_parts ((RelPart *const *) parts->pdata, (int) parts->len,
                              (const char *const *) names->pdata);
}

int
rel_cli_mpi_run (const char *command, int argc, char **argv)
{
  int rank = 0, size = 1;
  if (MPI_Init (NULL, NULL) != MPI_SUCCESS)
    {
      fprintf (stderr, "relevance-cli: MPI_Init failed\n");
      return 1;
    }
  MPI_Comm_rank (MPI_COMM_WORLD, &rank);
  MPI_Comm_size (MPI_COMM_WORLD, &size);
  g_snprintf (cli_name, sizeof cli_name, "relevance-cli: rank %d", rank);

  /* ranks > 0 hold their messages until it is known whether rank 0 has said
   * the same already */
  int saved_err = -1, held = -1;
  g_autofree char *held_path = NULL;
  if (rank > 0)
    {
      fflush (stderr);
      held = g_file_open_tmp ("relevance-rank-XXXXXX", &held_path, NULL);
      if (held >= 0)
        {
          saved_err = dup (STDERR_FILENO);
          dup2 (held, STDERR_FILENO);
        }
    }
  RelCliShard shard = { rank + 1, size, NULL, NULL };
  int status = strcmp (command, "spray") == 0 ? rel_cli_spray_run (argc, argv, NULL, &shard)
                                              : rel_cli_explain_run (argc, argv, &shard);
  int ok = status == 0 && shard.part != NULL;
  fflush (stderr);
  if (saved_err >= 0)
    {
      dup2 (saved_err, STDERR_FILENO);
      close (saved_err);
    }
  g_autofree int *all_ok = g_new (int, MAX (size, 1));
  MPI_Allgather (&ok, 1, MPI_INT, all_ok, 1, MPI_INT, MPI_COMM_WORLD);
  int first_failed = -1;
  for (int r = 0; r < size && first_failed < 0; r++)
    if (!all_ok[r])
      first_failed = r;
  if (held >= 0)
    {
      /* the one message: the lowest failing rank's (rank 0 printed its own) */
      if (rank == first_failed)
        {
          g_autofree char *text = NULL;
          if (g_file_get_contents (held_path, &text, NULL, NULL))
            fputs (text, stderr);
        }
      close (held);
      g_unlink (held_path);
    }
  if (first_failed >= 0)
    status = status ? status : 1;
  else
    status = gather_and_merge (shard.part, rank, size);
  if (shard.part)
    g_bytes_unref (shard.part);
  g_free (shard.failed_item);
  /* rank 0's status decides; the others end quietly */
  MPI_Bcast (&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize ();
  return status;
}

#else

int
rel_cli_mpi_run (const char *command, int argc, char **argv)
{
  fprintf (stderr, "relevance-cli: started by mpirun, but built without MPI (meson -Dmpi=enabled, "
           "with Debian's libopenmpi-dev)\n");
  return 1;
}

#endif
