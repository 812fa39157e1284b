/* test-hostile.c — every reader against hostile files, through the CLI.
 *
 * Generates hostile inputs at run time from the committed fixtures
 * (tests/fixtures/tiny-cnn, data/demo): truncations, bit flips, lying
 * headers, huge declared shapes, decompression bombs, FIFOs, directories,
 * sockets, devices, non-UTF-8 names, NaN/Inf tensors, oversized sidecar
 * values. Each case runs `relevance-cli predict|explain|spray|train` with a
 * 4 GiB address-space limit and a timeout (20 s: longer is a hang) and must
 * end as the CLI promises: no signal, exit 0 or (for a case that must fail)
 * 1 or 2 with exactly one stderr line "relevance-cli: …", valid UTF-8 and at
 * most MAX_LINE bytes. Cases run four at a time; the counts and the slowest
 * case go to the test log.
 *
 * RELEVANCE_HOSTILE_TIMEOUT (seconds) shortens the timeout, e.g. to run the
 * suite against an older CLI that hangs on FIFOs.
 *
 * Copyright 2026 The Relevance authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE   /* pipe2 */
#include "config.h"

#include "rel-error.h"
#include "rel-file.h"
#include "rel-image.h"
#include "rel-onnx.h"
#include "rel-tensor.h"

#include <errno.h>
#include <fcntl.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#define ADDRESS_LIMIT (G_GUINT64_CONSTANT (4) << 30)
#define PARALLEL 4
#define MAX_LINE 2048   /* an error line's bytes: long paths fit, echoed file contents do not */

typedef enum {
  EXPECT_FAIL,   /* exit 1 or 2, one error line */
  EXPECT_ANY,    /* a mutation that may still be valid: exit 0, or a clean failure */
  EXPECT_OK,     /* exit 0 */
} Expect;

typedef struct {
  char    *name;
  GPtrArray *argv;       /* NULL-terminated */
  Expect   expect;
  char    *must_say;     /* a substring of the error (or warning) line, or NULL */
  gboolean want_warning; /* EXPECT_OK with a "relevance-cli: warning:" line */
  /* results */
  gboolean hang, signaled;
  int      status, signal;
  double   seconds;
  GString *err;
} Case;

static char *tmp_dir;
static const char *cli;
static const char *fixtures;
static char *demo_dir;
static GPtrArray *cases;

static void
case_free (Case *c)
{
  g_free (c->name);
  g_ptr_array_unref (c->argv);
  g_free (c->must_say);
  if (c->err)
    g_string_free (c->err, TRUE);
  g_free (c);
}

/* Adds a case: a command and its arguments after the CLI's name, NULL-terminated. */
static Case *
add_case (Expect expect, const char *must_say, const char *name, ...)
{
  Case *c = g_new0 (Case, 1);
  va_list ap;
  const char *arg;

  c->name = g_strdup (name);
  c->expect = expect;
  c->must_say = g_strdup (must_say);
  c->argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (c->argv, g_strdup (cli));
  va_start (ap, name);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (c->argv, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (c->argv, NULL);
  g_ptr_array_add (cases, c);
  return c;
}

/* ---- files ---- */

static char *
tmp_path (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static char *
tmp_path (const char *fmt, ...)
{
  va_list ap;
  g_autofree char *name = NULL;

  va_start (ap, fmt);
  name = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  return g_build_filename (tmp_dir, name, NULL);
}

static void
write_file (const char *path, const void *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);
}

static GBytes *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

static char *
make_fifo (const char *name)
{
  char *p = tmp_path ("%s", name);
  g_autofree char *dir = g_path_get_dirname (p);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_cmpint (mkfifo (p, 0644), ==, 0);
  return p;
}

static char *
make_socket (const char *name)
{
  char *p = tmp_path ("%s", name);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpuint (strlen (p), <, sizeof addr.sun_path);
  strcpy (addr.sun_path, p);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  close (fd);
  return p;
}

/* ---- image encoders: the bombs and lying headers are built, not committed ---- */

static void
png_chunk (GByteArray *b, const char *type, const guint8 *data, guint32 len)
{
  guint8 be[4] = { len >> 24, len >> 16, len >> 8, len };
  uLong crc = crc32 (0, (const Bytef *) type, 4);

  g_byte_array_append (b, be, 4);
  g_byte_array_append (b, (const guint8 *) type, 4);
  if (len)
    g_byte_array_append (b, data, len);
  if (len)
    crc = crc32 (crc, data, len);   /* crc32 (crc, NULL, 0) would restart it */
  be[0] = crc >> 24, be[1] = crc >> 16, be[2] = crc >> 8, be[3] = crc;
  g_byte_array_append (b, be, 4);
}

/* An RGB PNG whose header says @w×@h over @idat (already compressed). */
static GByteArray *
png_with (guint32 w, guint32 h, const guint8 *idat, gsize idat_len)
{
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  guint8 ihdr[13] = { w >> 24, w >> 16, w >> 8, w, h >> 24, h >> 16, h >> 8, h, 8, 2, 0, 0, 0 };
  GByteArray *b = g_byte_array_new ();

  g_byte_array_append (b, sig, 8);
  png_chunk (b, "IHDR", ihdr, sizeof ihdr);
  png_chunk (b, "IDAT", idat, (guint32) idat_len);
  png_chunk (b, "IEND", NULL, 0);
  return b;
}

/* The PNG bomb: 8192² black RGB pixels, ~200 KB compressed, 201 MB raw. */
static GByteArray *
png_bomb (void)
{
  const gsize row = 8192 * 3 + 1, raw = row * 8192;
  g_autofree guint8 *out = g_malloc (compressBound (row) * 8192 / 64 + 1024 * 1024);
  z_stream z = { 0 };
  g_autofree guint8 *zeros = g_malloc0 (row * 64);
  gsize done = 0;

  g_assert_cmpint (deflateInit (&z, 9), ==, Z_OK);
  z.next_out = out;
  z.avail_out = (uInt) (compressBound (row) * 8192 / 64 + 1024 * 1024);
  while (done < raw)
    {
      gsize n = MIN (row * 64, raw - done);
      z.next_in = zeros;
      z.avail_in = (uInt) n;
      done += n;
      g_assert_cmpint (deflate (&z, done == raw ? Z_FINISH : Z_NO_FLUSH), !=, Z_STREAM_ERROR);
    }
  g_assert_cmpuint (z.avail_in, ==, 0);
  GByteArray *b = png_with (8192, 8192, out, z.total_out);
  deflateEnd (&z);
  return b;
}

/* A BMP with 8-bit RLE data whose header says @w×@h: the data is one
 * end-of-bitmap marker, so the file is ~1 KB of palette and 2 bytes. */
static GByteArray *
bmp_rle_bomb (gint32 w, gint32 h)
{
  GByteArray *b = g_byte_array_new ();
  guint8 head[54] = { 'B', 'M' };
  guint32 palette = 256 * 4, offset = 54 + palette, size = offset + 4;
  guint8 pal[1024] = { 0 };
  static const guint8 data[4] = { 0, 0, 0, 1 };   /* end of line, end of bitmap */

#define PUT32(o, v) (head[o] = (v) & 0xff, head[(o) + 1] = ((v) >> 8) & 0xff, \
                     head[(o) + 2] = ((v) >> 16) & 0xff, head[(o) + 3] = ((guint32) (v) >> 24) & 0xff)
  PUT32 (2, size);
  PUT32 (10, offset);
  PUT32 (14, 40);
  PUT32 (18, (guint32) w);
  PUT32 (22, (guint32) h);
  head[26] = 1;         /* planes */
  head[28] = 8;         /* bits per pixel */
  PUT32 (30, 1);        /* BI_RLE8 */
  PUT32 (34, 4);
  PUT32 (46, 256);
#undef PUT32
  for (int i = 0; i < 256; i++)
    pal[4 * i] = pal[4 * i + 1] = pal[4 * i + 2] = (guint8) i;
  g_byte_array_append (b, head, sizeof head);
  g_byte_array_append (b, pal, sizeof pal);
  g_byte_array_append (b, data, sizeof data);
  return b;
}

/* @jpeg with its frame header (SOF0..SOF2) rewritten to @w×@h. */
static GByteArray *
jpeg_resized (GBytes *jpeg, guint16 w, guint16 h)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (jpeg, &len);
  GByteArray *b = g_byte_array_new ();

  g_byte_array_append (b, d, (guint) len);
  for (gsize i = 2; i + 9 < len; i++)
    if (b->data[i] == 0xff && b->data[i + 1] >= 0xc0 && b->data[i + 1] <= 0xc2)
      {
        b->data[i + 5] = h >> 8, b->data[i + 6] = h & 0xff;
        b->data[i + 7] = w >> 8, b->data[i + 8] = w & 0xff;
        return b;
      }
  g_assert_not_reached ();
}

/* ---- .npy ---- */

static gsize
npy_data_offset (GBytes *npy)
{
  const guint8 *d = g_bytes_get_data (npy, NULL);
  return 10 + (gsize) (d[8] | d[9] << 8);
}

/* @npy (a v1 float32 file) with a new header dict, padded to 64 bytes. */
static GByteArray *
npy_with_header (GBytes *npy, const char *dict, gboolean keep_data)
{
  gsize len, off = npy_data_offset (npy);
  const guint8 *d = g_bytes_get_data (npy, &len);
  GString *h = g_string_new (dict);
  GByteArray *b = g_byte_array_new ();

  while ((10 + h->len + 1) % 64)
    g_string_append_c (h, ' ');
  g_string_append_c (h, '\n');
  g_byte_array_append (b, (const guint8 *) "\x93NUMPY\x01\x00", 8);
  {
    guint8 hl[2] = { h->len & 0xff, h->len >> 8 };
    g_byte_array_append (b, hl, 2);
  }
  g_byte_array_append (b, (const guint8 *) h->str, (guint) h->len);
  if (keep_data)
    g_byte_array_append (b, d + off, (guint) (len - off));
  g_string_free (h, TRUE);
  return b;
}

/* ---- running ---- */

static double
timeout_seconds (void)
{
  const char *env = g_getenv ("RELEVANCE_HOSTILE_TIMEOUT");
  double t = env ? g_ascii_strtod (env, NULL) : 0;
  return t > 0 ? t : 20.0;
}

typedef struct {
  Case  *c;
  pid_t  pid;
  int    err_fd;
  gint64 start;
} Running;

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

static void
child_limits (void)
{
  struct rlimit core = { 0, 0 };

#ifndef SANITIZED
  /* AddressSanitizer reserves terabytes of address space for its shadow */
  struct rlimit as = { ADDRESS_LIMIT, ADDRESS_LIMIT };
  setrlimit (RLIMIT_AS, &as);
#endif
  setrlimit (RLIMIT_CORE, &core);
}

static void
start_case (Running *r, Case *c)
{
  int errp[2];
  pid_t pid;

  g_assert_cmpint (pipe2 (errp, O_CLOEXEC), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDWR);
      dup2 (null, 0);
      dup2 (null, 1);
      dup2 (errp[1], 2);
      child_limits ();
      setpgid (0, 0);
      execv (cli, (char **) c->argv->pdata);
      _exit (127);
    }
  close (errp[1]);
  fcntl (errp[0], F_SETFL, O_NONBLOCK);
  r->c = c;
  r->pid = pid;
  r->err_fd = errp[0];
  r->start = g_get_monotonic_time ();
  c->err = g_string_new (NULL);
}

/* Reads what is there; TRUE at end of file. */
static gboolean
drain (Running *r)
{
  char buf[65536];

  for (;;)
    {
      ssize_t n = read (r->err_fd, buf, sizeof buf);
      if (n > 0)
        {
          /* keep the start; a flood only needs to be seen as one */
          if (r->c->err->len < (1 << 20))
            g_string_append_len (r->c->err, buf, n);
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      return n == 0;
    }
}

static void
finish_case (Running *r, gboolean killed)
{
  int status = 0;

  if (killed)
    kill (-r->pid, SIGKILL), kill (r->pid, SIGKILL);
  while (waitpid (r->pid, &status, 0) < 0 && errno == EINTR)
    ;
  drain (r);
  close (r->err_fd);
  r->c->seconds = (g_get_monotonic_time () - r->start) / 1e6;
  r->c->hang = killed;
  if (WIFSIGNALED (status) && !killed)
    {
      r->c->signaled = TRUE;
      r->c->signal = WTERMSIG (status);
    }
  r->c->status = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
  r->c = NULL;
}

static void
run_all (void)
{
  Running run[PARALLEL] = { { 0 } };
  guint next = 0, active = 0;
  gint64 limit = (gint64) (timeout_seconds () * G_USEC_PER_SEC);

  while (next < cases->len || active > 0)
    {
      struct pollfd pfd[PARALLEL];
      int map[PARALLEL], n = 0;

      for (int i = 0; i < PARALLEL && next < cases->len; i++)
        if (run[i].c == NULL)
          {
            start_case (&run[i], cases->pdata[next++]);
            active++;
          }
      for (int i = 0; i < PARALLEL; i++)
        if (run[i].c)
          {
            pfd[n] = (struct pollfd) { run[i].err_fd, POLLIN, 0 };
            map[n++] = i;
          }
      poll (pfd, n, 100);
      for (int k = 0; k < n; k++)
        {
          Running *r = &run[map[k]];
          if (drain (r))
            {
              finish_case (r, FALSE);
              active--;
            }
          else if (g_get_monotonic_time () - r->start > limit)
            {
              finish_case (r, TRUE);
              active--;
            }
        }
    }
}

/* "" when the case kept the CLI's promises, else what went wrong. */
static char *
judge (const Case *c)
{
  g_auto(GStrv) lines = g_strsplit (c->err->str, "\n", -1);
  int n_lines = 0, n_errors = 0, n_warnings = 0, n_glib = 0;
  const char *error_line = NULL;

  if (c->hang)
    return g_strdup_printf ("hang (killed after %.0f s)", timeout_seconds ());
  if (c->signaled)
    return g_strdup_printf ("killed by signal %d (%s)", c->signal, g_strsignal (c->signal));
  for (int i = 0; lines[i]; i++)
    {
      if (lines[i][0] == '\0' && lines[i + 1] == NULL)
        break;
      n_lines++;
      if (g_str_has_prefix (lines[i], "relevance-cli: warning: "))
        n_warnings++;
      else if (g_str_has_prefix (lines[i], "relevance-cli: "))
        n_errors++, error_line = lines[i];
      else if (lines[i][0] == '(' || g_str_has_prefix (lines[i], "**"))
        n_glib++;   /* "(relevance-cli:123): GLib-CRITICAL **: …" */
      if (!g_utf8_validate (lines[i], -1, NULL))
        return g_strdup ("a stderr line is not valid UTF-8");
      if (strlen (lines[i]) > MAX_LINE)
        return g_strdup_printf ("a stderr line of %zu bytes", strlen (lines[i]));
    }
  if (c->status != 0 && c->status != 1 && c->status != 2)
    return g_strdup_printf ("exit status %d", c->status);
  if (c->status == 0 && c->expect == EXPECT_FAIL)
    return g_strdup ("accepted (exit 0)");
  if (c->status != 0 && c->expect == EXPECT_OK)
    return g_strdup_printf ("failed: %s", c->err->str);
  if (n_glib > 0)
    return g_strdup_printf ("%d GLib warnings on stderr", n_glib);
  if (c->status != 0 && n_errors != 1)
    return g_strdup_printf ("%d error lines for one failure", n_errors);
  if (c->status == 0 && n_errors != 0)
    return g_strdup_printf ("exit 0 with %d error lines", n_errors);
  if (c->want_warning && n_warnings == 0)
    return g_strdup ("no warning line");
  if (c->must_say && !strstr (c->err->str, c->must_say))
    return g_strdup_printf ("the message does not say '%s'", c->must_say);
  (void) error_line;
  return g_strdup ("");
}

/* ---- the cases ---- */

/* Bit flips and truncations of @orig written to NAME-k files; each runs as
 * the argument list with "@" replaced by the file. */
static void
add_mutations (GBytes *orig, const char *stem, const char *ext, int n_cuts, int n_flips, int n_lies,
               Expect cut_expect, GRand *rng, const char *const *args)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (orig, &len);

  for (int k = 0; k < n_cuts + n_flips + n_lies; k++)
    {
      g_autofree char *path = tmp_path ("mut/%s-%03d%s", stem, k, ext);
      g_autofree guint8 *buf = g_memdup2 (d, len);
      gsize n = len;
      Expect expect = EXPECT_ANY;
      g_autofree char *what = NULL;

      if (k < n_cuts)
        {
          /* cut points spread over the file, the first and last bytes included */
          n = k == 0 ? 0 : (gsize) ((double) k / n_cuts * len);
          if (k == n_cuts - 1)
            n = len - 1;
          expect = cut_expect;
          what = g_strdup_printf ("%s cut to %zu of %zu bytes", stem, n, len);
        }
      else if (k < n_cuts + n_flips)
        {
          /* headers are where parsers decide: half the flips land in the first 256 bytes */
          gsize at = g_rand_boolean (rng) ? g_rand_int_range (rng, 0, (gint32) MIN (len, 256))
                                          : g_rand_int_range (rng, 0, (gint32) len);
          buf[at] ^= (guint8) (1u << g_rand_int_range (rng, 0, 8));
          what = g_strdup_printf ("%s with bit flipped at byte %zu", stem, at);
        }
      else
        {
          /* a lying length or count: 0xff bytes over what was there */
          gsize at = g_rand_int_range (rng, 0, (gint32) MIN (len - 4, 512));
          memset (buf + at, 0xff, 4);
          what = g_strdup_printf ("%s with 0xffffffff at byte %zu", stem, at);
        }
      write_file (path, buf, n);
      Case *c = add_case (expect, NULL, what, NULL);
      g_ptr_array_remove_index (c->argv, c->argv->len - 1);
      for (int i = 0; args[i]; i++)
        g_ptr_array_add (c->argv, g_strdup (strcmp (args[i], "@") == 0 ? path : args[i]));
      g_ptr_array_add (c->argv, NULL);
    }
}

static void
add_special_files (const char *model, const char *input)
{
  /* what is not a regular file, as every kind of input */
  g_autofree char *fifo_img = make_fifo ("special/fifo.png");
  g_autofree char *fifo_npy = make_fifo ("special/fifo.npy");
  g_autofree char *fifo_onnx = make_fifo ("special/fifo.onnx");
  g_autofree char *sock = make_socket ("special/sock.png");
  g_autofree char *dir_img = tmp_path ("special/dir.png");
  g_autofree char *dir_npy = tmp_path ("special/dir.npy");
  g_autofree char *missing = tmp_path ("special/missing.png");
  g_autofree char *through_file = g_build_filename (input, "x.npy", NULL);   /* ENOTDIR */
  g_autofree char *out = tmp_path ("special/out.npy");

  g_assert_cmpint (g_mkdir_with_parents (dir_img, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (dir_npy, 0755), ==, 0);

  const char *const not_regular[] = { fifo_img, fifo_npy, sock, dir_img, dir_npy, "/dev/null", "/dev/zero" };
  const char *const said[] = { "FIFO", "FIFO", "socket", "directory", "directory", "character device",
                               "character device" };
  for (gsize i = 0; i < G_N_ELEMENTS (not_regular); i++)
    {
      add_case (EXPECT_FAIL, said[i], "predict: input is not a regular file",
                "predict", model, not_regular[i], NULL);
      add_case (EXPECT_FAIL, said[i], "explain: input is not a regular file",
                "explain", model, not_regular[i], "--method", "gradient", "-o", out, NULL);
    }
  add_case (EXPECT_FAIL, "FIFO", "model is a FIFO", "predict", fifo_onnx, input, NULL);
  add_case (EXPECT_FAIL, "directory", "model is a directory", "predict", tmp_dir, input, NULL);
  add_case (EXPECT_FAIL, "character device", "model is /dev/zero", "predict", "/dev/zero", input, NULL);
  add_case (EXPECT_FAIL, "does not exist", "input is missing", "predict", model, missing, NULL);
  add_case (EXPECT_FAIL, NULL, "input path goes through a file", "predict", model, through_file, NULL);
  add_case (EXPECT_FAIL, "FIFO", "LRP rule file is a FIFO",
            "explain", model, input, "--method", "lrp-custom", "--set", "rules=", "-o", out, NULL);
  {
    Case *c = g_ptr_array_index (cases, cases->len - 1);
    g_free (c->argv->pdata[c->argv->len - 4]);
    c->argv->pdata[c->argv->len - 4] = g_strdup_printf ("rules=%s", fifo_img);
  }
  {
    g_autofree char *rules_dir = tmp_path ("special/rules-dir");
    g_autofree char *set = g_strdup_printf ("rules=%s", rules_dir);
    g_assert_cmpint (g_mkdir_with_parents (rules_dir, 0755), ==, 0);
    add_case (EXPECT_FAIL, "directory", "LRP rule file is a directory",
              "explain", model, input, "--method", "lrp-custom", "--set", set, "-o", out, NULL);
  }
}

/* A copy of the model with a sidecar of @ini (NULL: a FIFO) in its own folder. */
static char *
model_with_sidecar (const char *model, const char *tag, const char *ini, gssize ini_len)
{
  g_autoptr(GBytes) m = read_file (model);
  char *copy = tmp_path ("sidecar-%s/model.onnx", tag);
  g_autofree char *side = g_strconcat (copy, ".ini", NULL);

  write_file (copy, g_bytes_get_data (m, NULL), g_bytes_get_size (m));
  if (ini)
    write_file (side, ini, ini_len < 0 ? strlen (ini) : (gsize) ini_len);
  else
    g_assert_cmpint (mkfifo (side, 0644), ==, 0);
  return copy;
}

static void
add_sidecar_cases (const char *model, const char *input, GRand *rng)
{
  /* 200,000 values: the error must not echo them (an 800 KB line before) */
  {
    GString *ini = g_string_new ("[relevance]\nmean=");
    for (int i = 0; i < 200000; i++)
      g_string_append (ini, i ? ",0.5" : "0.5");
    g_string_append_c (ini, '\n');
    g_autofree char *m = model_with_sidecar (model, "long-mean", ini->str, (gssize) ini->len);
    add_case (EXPECT_FAIL, "mean", "sidecar mean with 200,000 values", "predict", m, input, NULL);
    g_string_free (ini, TRUE);
  }
  {
    g_autofree char *m = model_with_sidecar (model, "binary-key", "[relevance]\nme\xff\xfe\x01n=0.5\n", -1);
    add_case (EXPECT_FAIL, NULL, "sidecar key with non-UTF-8 bytes", "predict", m, input, NULL);
  }
  {
    g_autofree char *m = model_with_sidecar (model, "binary-value", "[relevance]\nchannel_order=\xff\xfe\x80rgb\n", -1);
    add_case (EXPECT_FAIL, NULL, "sidecar value with non-UTF-8 bytes", "predict", m, input, NULL);
  }
  {
    g_autofree char *m = model_with_sidecar (model, "fifo", NULL, 0);
    add_case (EXPECT_FAIL, "FIFO", "sidecar is a FIFO", "predict", m, input, NULL);
  }
  {
    g_autofree char *m = model_with_sidecar (model, "labels-fifo", "[relevance]\nlabels_file=labels.txt\n", -1);
    g_autofree char *dir = g_path_get_dirname (m);
    g_autofree char *labels = g_build_filename (dir, "labels.txt", NULL);
    g_assert_cmpint (mkfifo (labels, 0644), ==, 0);
    add_case (EXPECT_FAIL, "FIFO", "labels file is a FIFO", "predict", m, input, NULL);
  }
  {
    g_autofree char *m = model_with_sidecar (model, "labels-dir", "[relevance]\nlabels_file=.\n", -1);
    add_case (EXPECT_FAIL, "directory", "labels file is a directory", "predict", m, input, NULL);
  }
  {
    /* a sparse 17 MiB labels file: over the limit without writing 17 MiB */
    g_autofree char *m = model_with_sidecar (model, "labels-huge", "[relevance]\nlabels_file=labels.txt\n", -1);
    g_autofree char *dir = g_path_get_dirname (m);
    g_autofree char *labels = g_build_filename (dir, "labels.txt", NULL);
    int fd = open (labels, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (ftruncate (fd, 17 << 20), ==, 0);
    close (fd);
    add_case (EXPECT_FAIL, "limit", "labels file of 17 MiB", "predict", m, input, NULL);
  }
  {
    g_autofree char *m = model_with_sidecar (model, "binary", "\x00\x01\x02\xff[relevance\n", 16);
    add_case (EXPECT_FAIL, NULL, "sidecar is binary", "predict", m, input, NULL);
  }
  /* mutations of a valid sidecar */
  {
    static const char ini[] = "[relevance]\nmean=0.1\nstd=0.3\nscale=0.00392157\nresize=0\nchannel_order=rgb\n"
                              "labels=a,b,c,d,e,f,g,h,i,j\n";
    for (int k = 0; k < 30; k++)
      {
        g_autofree char *tag = g_strdup_printf ("mut-%02d", k);
        g_autofree char *buf = g_strdup (ini);
        gsize n = sizeof ini - 1;
        if (k < 10)
          n = (gsize) k * n / 10;
        else
          buf[g_rand_int_range (rng, 0, (gint32) n)] ^= (char) (1u << g_rand_int_range (rng, 0, 8));
        g_autofree char *m = model_with_sidecar (model, tag, buf, (gssize) n);
        add_case (EXPECT_ANY, NULL, "mutated sidecar", "predict", m, input, NULL);
      }
  }
}

static void
add_rule_cases (const char *model, const char *input)
{
  struct { const char *tag, *text; Expect expect; } rules[] = {
    { "binary", "\xff\xfe\x00\x01", EXPECT_FAIL },
    { "one-word", "Conv\n", EXPECT_FAIL },
    { "bad-rule", "default nosuchrule\n", EXPECT_FAIL },
    { "bad-value", "default epsilon epsilon=notanumber\n", EXPECT_FAIL },
    { "bad-key", "default epsilon gamma=1\n", EXPECT_FAIL },
    { "twice", "default epsilon\ndefault zplus\n", EXPECT_FAIL },
    { "ok", "default epsilon\n", EXPECT_OK },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (rules); i++)
    {
      g_autofree char *p = tmp_path ("rules/%s.txt", rules[i].tag);
      g_autofree char *set = g_strdup_printf ("rules=%s", p);
      g_autofree char *out = tmp_path ("rules/%s.npy", rules[i].tag);
      write_file (p, rules[i].text, strlen (rules[i].text));
      add_case (rules[i].expect, NULL, "LRP rule file", "explain", model, input, "--method", "lrp-custom",
                "--set", set, "-o", out, NULL);
    }
  /* a 10,000-character layer name is quoted short */
  {
    GString *t = g_string_new (NULL);
    for (int i = 0; i < 10000; i++)
      g_string_append_c (t, 'x');
    g_string_append (t, " epsilon\n");
    g_autofree char *p = tmp_path ("rules/long-name.txt");
    g_autofree char *long_out = tmp_path ("rules/long-name.npy");
    g_autofree char *set = g_strdup_printf ("rules=%s", p);
    write_file (p, t->str, t->len);
    add_case (EXPECT_FAIL, "…", "LRP rule with a 10,000-character layer name", "explain", model, input,
              "--method", "lrp-custom", "--set", set, "-o", long_out, NULL);
    g_string_free (t, TRUE);
  }
}

static void
add_npy_cases (const char *model, const char *input, GRand *rng)
{
  g_autoptr(GBytes) npy = read_file (input);
  gsize len, off = npy_data_offset (npy);
  const guint8 *d = g_bytes_get_data (npy, &len);
  const char *const predict_args[] = { "predict", model, "@", NULL };
  const char *const explain_args[] = { "explain", model, "@", "--method", "gradient", "-o", NULL, NULL };
  g_autofree char *out = tmp_path ("npy-out.npy");
  const char *ex[8];

  memcpy (ex, explain_args, sizeof explain_args);
  ex[6] = out;
  add_mutations (npy, "input", ".npy", 30, 60, 10, EXPECT_FAIL, rng, predict_args);
  add_mutations (npy, "input-x", ".npy", 10, 20, 0, EXPECT_FAIL, rng, ex);

  /* headers that lie */
  struct { const char *dict; gboolean data; const char *say; } lies[] = {
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", TRUE, NULL },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807,), }", TRUE, NULL },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 1, 28, 28), }", TRUE, NULL },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 28, 29), }", TRUE, NULL },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 28, 28), }", FALSE, NULL },
    { "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1, 28, 28), }", TRUE, "Fortran" },
    { "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1, 28, 28), }", TRUE, NULL },
    { "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 1, 28, 28), }", TRUE, NULL },
    { "{'descr': '<f4\xff\xfe', 'fortran_order': False, 'shape': (1, 1, 28, 28), }", TRUE, NULL },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 28, 28), 'x': 1}", TRUE, NULL },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 28, 28)", TRUE, NULL },
    { "", TRUE, NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (lies); i++)
    {
      g_autoptr(GByteArray) b = npy_with_header (npy, lies[i].dict, lies[i].data);
      g_autofree char *p = tmp_path ("npy/lie-%02zu.npy", i);
      write_file (p, b->data, b->len);
      add_case (EXPECT_FAIL, lies[i].say, "npy header that lies", "predict", model, p, NULL);
    }
  /* a header length beyond the file */
  {
    g_autofree guint8 *b = g_memdup2 (d, len);
    g_autofree char *p = tmp_path ("npy/header-length.npy");
    b[8] = b[9] = 0xff;
    write_file (p, b, len);
    add_case (EXPECT_FAIL, NULL, "npy header length beyond the file", "predict", model, p, NULL);
  }
  /* NaN and ±Inf at several positions: named with their index */
  {
    const float bad[3] = { NAN, INFINITY, -INFINITY };
    const char *say[3] = { "NaN", "+Inf", "-Inf" };
    gsize n = (len - off) / 4;
    for (int kind = 0; kind < 3; kind++)
      for (int j = 0; j < 8; j++)
        {
          gsize at = j == 0 ? 0 : j == 7 ? n - 1 : (gsize) g_rand_int_range (rng, 0, (gint32) n);
          g_autofree guint8 *b = g_memdup2 (d, len);
          g_autofree char *p = tmp_path ("npy/nonfinite-%d-%d.npy", kind, j);
          g_autofree char *where = g_strdup_printf ("%s at [0, 0, %zu, %zu]", say[kind], at / 28, at % 28);
          memcpy (b + off + 4 * at, &bad[kind], 4);
          write_file (p, b, len);
          add_case (EXPECT_FAIL, where, "npy input with a non-finite value", "predict", model, p, NULL);
          add_case (EXPECT_FAIL, where, "npy input with a non-finite value", "explain", model, p,
                    "--method", j % 2 ? "lrp-epsilon" : "gradient", "-o", out, NULL);
        }
  }
  /* finite inputs so large that LRP's sums overflow: the map is refused */
  {
    g_autofree guint8 *b = g_memdup2 (d, len);
    g_autofree char *p = tmp_path ("npy/overflow.npy");
    for (gsize i = off; i + 4 <= len; i += 4)
      {
        float v = (i / 4) % 2 ? 3e38f : -3e38f;
        memcpy (b + i, &v, 4);
      }
    write_file (p, b, len);
    add_case (EXPECT_FAIL, "relevance map holds", "an input that overflows the model (LRP)", "explain", model, p,
              "--method", "lrp-epsilon", "-o", out, NULL);
  }
}

static void
add_model_cases (const char *model, const char *input, GRand *rng)
{
  g_autoptr(GBytes) onnx = read_file (model);
  const char *const args[] = { "predict", "@", input, NULL };

  add_mutations (onnx, "model", ".onnx", 50, 110, 30, EXPECT_ANY, rng, args);
}

/* An encoded copy of @png in another format through gdk-pixbuf's savers. */
static GBytes *
reencode (const char *png, const char *type)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new_from_file (png, &error);
  char *buf = NULL;
  gsize len = 0;

  g_assert_no_error (error);
  gdk_pixbuf_save_to_buffer (pb, &buf, &len, type, &error, NULL);
  g_assert_no_error (error);
  return g_bytes_new_take (buf, len);
}

static void
add_image_cases (const char *model, const char *image, GRand *rng)
{
  g_autoptr(GBytes) png = read_file (image);
  g_autoptr(GBytes) jpeg = reencode (image, "jpeg");
  g_autoptr(GBytes) bmp = reencode (image, "bmp");
  g_autoptr(GBytes) tiff = reencode (image, "tiff");
  const char *const args[] = { "predict", model, "@", NULL };
  g_autofree char *out = tmp_path ("image-out.npy");

  /* PNG, JPEG and BMP cut short are refused (gdk-pixbuf alone fills the rest) */
  add_mutations (png, "image", ".png", 20, 40, 10, EXPECT_FAIL, rng, args);
  add_mutations (jpeg, "image", ".jpg", 15, 25, 5, EXPECT_FAIL, rng, args);
  add_mutations (bmp, "image", ".bmp", 15, 15, 5, EXPECT_FAIL, rng, args);
  add_mutations (tiff, "image", ".tiff", 10, 10, 5, EXPECT_ANY, rng, args);

  /* decompression bombs: refused from the header, in well under a second */
  {
    g_autoptr(GByteArray) b = png_bomb ();
    g_autofree char *p = tmp_path ("bombs/8192x8192.png");
    write_file (p, b->data, b->len);
    g_test_message ("PNG bomb: %u bytes, 8192×8192", b->len);
    add_case (EXPECT_FAIL, "megapixels", "PNG bomb 8192²", "predict", model, p, NULL);
    add_case (EXPECT_FAIL, "megapixels", "PNG bomb 8192²", "explain", model, p, "--method", "gradient",
              "-o", out, NULL);
    /* a limit raised on purpose lets it through to the size check of a smaller decode */
    add_case (EXPECT_FAIL, "megapixels", "PNG bomb 8192² with --max-megapixels 10",
              "--max-megapixels", "10", "predict", model, p, NULL);
  }
  {
    g_autoptr(GByteArray) b = jpeg_resized (jpeg, 16000, 4000);
    g_autofree char *p = tmp_path ("bombs/16000x4000.jpg");
    write_file (p, b->data, b->len);
    g_test_message ("JPEG bomb: %u bytes, 16000×4000", b->len);
    add_case (EXPECT_FAIL, "megapixels", "JPEG bomb 16000×4000", "predict", model, p, NULL);
  }
  {
    g_autoptr(GByteArray) b = jpeg_resized (jpeg, 65535, 65535);
    g_autofree char *p = tmp_path ("bombs/65535x65535.jpg");
    write_file (p, b->data, b->len);
    add_case (EXPECT_FAIL, NULL, "JPEG header 65535²", "predict", model, p, NULL);
  }
  {
    g_autoptr(GByteArray) b = bmp_rle_bomb (8192, 8192);
    g_autofree char *p = tmp_path ("bombs/rle-8192x8192.bmp");
    write_file (p, b->data, b->len);
    g_test_message ("RLE BMP bomb: %u bytes, 8192×8192", b->len);
    add_case (EXPECT_FAIL, "megapixels", "RLE BMP bomb 8192²", "predict", model, p, NULL);
  }
  {
    g_autoptr(GByteArray) b = bmp_rle_bomb (100000, -3);
    g_autofree char *p = tmp_path ("bombs/rle-wide.bmp");
    write_file (p, b->data, b->len);
    add_case (EXPECT_FAIL, NULL, "RLE BMP 100000 wide, top-down", "predict", model, p, NULL);
  }
  /* PNG headers that lie about the size of the data that follows */
  {
    const guint32 sizes[][2] = { { 0, 0 }, { 0, 28 }, { 1, 1 }, { 28, 280 }, { 16385, 1 }, { 1, 16385 },
                                 { 0x7fffffff, 0x7fffffff }, { 0xffffffff, 1 }, { 9000, 9000 } };
    gsize len;
    const guint8 *d = g_bytes_get_data (png, &len);
    for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
      {
        g_autofree guint8 *b = g_memdup2 (d, len);
        g_autofree char *p = tmp_path ("lie/png-%zu.png", i);
        guint32 w = sizes[i][0], h = sizes[i][1];
        guint8 be[8] = { w >> 24, w >> 16, w >> 8, w, h >> 24, h >> 16, h >> 8, h };
        uLong crc;
        /* IHDR starts at 8: length, type, then width and height at 16 */
        memcpy (b + 16, be, 8);
        crc = crc32 (0, b + 12, 17);
        b[29] = crc >> 24, b[30] = crc >> 16, b[31] = crc >> 8, b[32] = crc;
        write_file (p, b, len);
        /* within the limits a lie about the size is a broken image or, with
         * data to spare, a small one */
        add_case (w > 0 && h > 0 && (guint64) w * h < 1000000 ? EXPECT_ANY : EXPECT_FAIL, NULL,
                  "PNG header that lies about the size", "predict", model, p, NULL);
      }
  }
  /* formats that are not inputs, under an image's name */
  {
    static const char svg[] = "<svg xmlns='http://www.w3.org/2000/svg' width='100000' height='100000'/>";
    static const char ico[] = "\0\0\1\0\1\0\0\0\0\0\1\0\x20\0";
    g_autofree char *p1 = tmp_path ("formats/image.svg.png");
    g_autofree char *p2 = tmp_path ("formats/image.ico.png");
    g_autofree char *p3 = tmp_path ("formats/empty.png");
    write_file (p1, svg, sizeof svg - 1);
    write_file (p2, ico, sizeof ico - 1);
    write_file (p3, "", 0);
    add_case (EXPECT_FAIL, "not an image", "SVG named .png", "predict", model, p1, NULL);
    add_case (EXPECT_FAIL, "not an image", "ICO named .png", "predict", model, p2, NULL);
    add_case (EXPECT_FAIL, NULL, "empty .png", "predict", model, p3, NULL);
  }
  /* non-UTF-8 names: read fine, and quoted in messages */
  {
    g_autofree char *good = tmp_path ("names/\xff\xfe-good.png");
    g_autofree char *bad = tmp_path ("names/\xff\xfe-cut.png");
    gsize len;
    const guint8 *d = g_bytes_get_data (png, &len);
    write_file (good, d, len);
    write_file (bad, d, len / 2);
    add_case (EXPECT_OK, NULL, "image with a non-UTF-8 name", "predict", model, good, NULL);
    add_case (EXPECT_FAIL, "\\xff\\xfe", "broken image with a non-UTF-8 name", "predict", model, bad, NULL);
  }
  add_case (EXPECT_FAIL, NULL, "--max-megapixels 0", "--max-megapixels", "0", "predict", model, image, NULL);
  add_case (EXPECT_OK, NULL, "--max-megapixels 1 on a 28×28 image", "--max-megapixels", "1", "predict", model,
            image, NULL);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* A class folder tree of demo images, @per_class per class of 2 classes. */
static char *
small_dataset (const char *tag, int per_class)
{
  static const char *const classes[] = { "Sandal", "Bag" };
  char *root = tmp_path ("datasets/%s", tag);

  for (gsize c = 0; c < G_N_ELEMENTS (classes); c++)
    {
      g_autofree char *src_dir = g_build_filename (demo_dir, "images", "clean", classes[c], NULL);
      g_autoptr(GDir) dir = g_dir_open (src_dir, 0, NULL);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;
      g_assert_nonnull (dir);
      while ((name = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (names, g_strdup (name));
      g_ptr_array_sort (names, compare_names);
      for (int i = 0; i < per_class && i < (int) names->len; i++)
        {
          g_autofree char *src = g_build_filename (src_dir, (char *) names->pdata[i], NULL);
          g_autofree char *dst = g_build_filename (root, classes[c], (char *) names->pdata[i], NULL);
          g_autoptr(GBytes) b = read_file (src);
          write_file (dst, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
        }
    }
  return root;
}

static void
add_dataset_cases (const char *demo_model, GRand *rng)
{
  g_autoptr(GByteArray) bomb = png_bomb ();
  g_autofree char *cache = tmp_path ("spray-cache");

  /* a bomb in a folder is skipped with a warning; the rest goes on */
  {
    g_autofree char *ds = small_dataset ("with-bomb", 4);
    g_autofree char *p = g_build_filename (ds, "Sandal", "zz-bomb.png", NULL);
    g_autofree char *out = tmp_path ("dataset-out/with-bomb");
    write_file (p, bomb->data, bomb->len);
    Case *c = add_case (EXPECT_OK, "skipped", "spray over a folder holding a bomb", "spray", demo_model, ds,
                        "--all", "--json", "--method", "gradient", "--cache-dir", "", NULL);
    c->want_warning = TRUE;
    c = add_case (EXPECT_OK, "skipped", "explain --dataset over a folder holding a bomb", "explain", demo_model,
                  "--dataset", ds, "--out-dir", out, "--method", "gradient", NULL);
    c->want_warning = TRUE;
  }
  /* the same for training on an image folder */
  {
    g_autofree char *ds = small_dataset ("train-with-bomb", 4);
    g_autofree char *p = g_build_filename (ds, "Bag", "zz-bomb.png", NULL);
    g_autofree char *out = tmp_path ("dataset-out/train-with-bomb.onnx");
    g_autofree char *out_dir = g_path_get_dirname (out);
    write_file (p, bomb->data, bomb->len);
    g_assert_cmpint (g_mkdir_with_parents (out_dir, 0755), ==, 0);
    Case *c = add_case (EXPECT_OK, "skipped", "train on an image folder holding a bomb", "train", "--dataset", ds,
                        "--epochs", "1", "-o", out, NULL);
    c->want_warning = TRUE;
  }
  /* a broken image in a folder: one clean error */
  {
    g_autofree char *ds = small_dataset ("with-cut", 4);
    g_autofree char *src = g_build_filename (ds, "Bag", "zz-cut.png", NULL);
    g_autofree char *out = tmp_path ("dataset-out/with-cut");
    g_autofree char *bag = g_build_filename (ds, "Bag", NULL);
    g_autoptr(GDir) d = g_dir_open (bag, 0, NULL);
    g_autofree char *png = g_build_filename (bag, g_dir_read_name (d), NULL);
    g_autoptr(GBytes) b = read_file (png);
    write_file (src, g_bytes_get_data (b, NULL), g_bytes_get_size (b) / 2);
    add_case (EXPECT_FAIL, "truncated", "spray over a folder with a truncated image", "spray", demo_model, ds,
              "--all", "--json", "--method", "gradient", "--cache-dir", "", NULL);
    add_case (EXPECT_FAIL, "truncated", "explain --dataset over a folder with a truncated image", "explain",
              demo_model, "--dataset", ds, "--out-dir", out, "--method", "gradient", NULL);
  }
  /* a FIFO, a socket and a directory named like images inside a class folder */
  {
    g_autofree char *ds = small_dataset ("with-special", 4);
    g_autofree char *fifo = g_build_filename (ds, "Sandal", "fifo.png", NULL);
    g_autofree char *dir = g_build_filename (ds, "Bag", "dir.png", NULL);
    g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
    g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
    add_case (EXPECT_ANY, NULL, "spray over a folder with a FIFO and a directory named .png", "spray", demo_model,
              ds, "--all", "--json", "--method", "gradient", "--cache-dir", "", NULL);
  }
  (void) cache;
  (void) rng;
}

/* IDX files for train, from the demo's images: 20 images of 28×28. */
static void
add_train_cases (GRand *rng)
{
  const int n = 20;
  GByteArray *img = g_byte_array_new (), *lab = g_byte_array_new ();
  static const guint8 ihead[16] = { 0, 0, 8, 3, 0, 0, 0, 20, 0, 0, 0, 28, 0, 0, 0, 28 };
  static const guint8 lhead[8] = { 0, 0, 8, 1, 0, 0, 0, 20 };
  g_autofree char *out = tmp_path ("train-out/model.onnx");
  g_autofree char *out_dir = g_path_get_dirname (out);

  /* the output is checked before anything is read: it must be writable */
  g_assert_cmpint (g_mkdir_with_parents (out_dir, 0755), ==, 0);
  g_byte_array_append (img, ihead, 16);
  g_byte_array_append (lab, lhead, 8);
  for (int i = 0; i < n; i++)
    {
      guint8 px[28 * 28], l = (guint8) (i % 10);
      for (int k = 0; k < 28 * 28; k++)
        px[k] = (guint8) g_rand_int_range (rng, 0, 256);
      g_byte_array_append (img, px, sizeof px);
      g_byte_array_append (lab, &l, 1);
    }
  g_autoptr(GBytes) images = g_byte_array_free_to_bytes (img);
  g_autoptr(GBytes) labels = g_byte_array_free_to_bytes (lab);

  /* mutations of the images file, with its labels beside every copy */
  gsize len;
  const guint8 *d = g_bytes_get_data (images, &len);
  for (int k = 0; k < 40; k++)
    {
      g_autofree char *dir = tmp_path ("idx/%02d", k);
      g_autofree char *ip = g_build_filename (dir, "x-images-idx3-ubyte", NULL);
      g_autofree char *lp = g_build_filename (dir, "x-labels-idx1-ubyte", NULL);
      g_autofree guint8 *b = g_memdup2 (d, len);
      gsize cut = len;
      Expect expect = EXPECT_FAIL;
      if (k < 12)
        cut = (gsize) k * len / 12 + (k % 3);   /* truncated */
      else if (k < 24)
        {
          /* a declared count or side that lies */
          static const guint32 lie[] = { 0, 21, 0x7fffffff, 0xffffffff, 100000, 60000 };
          guint32 v = lie[(k - 12) % 6];
          int at = (k - 12) < 6 ? 4 : 8 + 4 * ((k - 12) % 2);
          b[at] = v >> 24, b[at + 1] = v >> 16, b[at + 2] = v >> 8, b[at + 3] = v;
          if (v == 21 && at > 4)
            expect = EXPECT_ANY;   /* 21 rows or columns: fewer bytes than there are */
        }
      else
        {
          b[g_rand_int_range (rng, 0, 16)] ^= (guint8) (1u << g_rand_int_range (rng, 0, 8));
          expect = EXPECT_ANY;
        }
      write_file (ip, b, cut);
      write_file (lp, g_bytes_get_data (labels, NULL), g_bytes_get_size (labels));
      add_case (expect, NULL, "train on a mutated IDX file", "train", "--dataset", ip, "--epochs", "1",
                "--test", ip, "-o", out, NULL);
    }
  /* a gzip bomb: a header declaring 2^31 images of 28×28 over 10 MB of zeros */
  {
    g_autofree char *dir = tmp_path ("idx/gzbomb");
    g_autofree char *ip = g_build_filename (dir, "x-images-idx3-ubyte.gz", NULL);
    g_autofree char *lp = g_build_filename (dir, "x-labels-idx1-ubyte", NULL);
    g_autofree guint8 *zeros = g_malloc0 (10 << 20);
    static const guint8 head[16] = { 0, 0, 8, 3, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28 };
    memcpy (zeros, head, 16);
    /* gzip framing through gzopen so zlib reads it as a .gz */
    write_file (lp, g_bytes_get_data (labels, NULL), g_bytes_get_size (labels));
    gzFile f = gzopen (ip, "wb9");
    g_assert_nonnull (f);
    g_assert_cmpint (gzwrite (f, zeros, 10 << 20), ==, 10 << 20);
    gzclose (f);
    add_case (EXPECT_FAIL, NULL, "train on a gzip IDX declaring 2^31 images", "train", "--dataset", ip,
              "--epochs", "1", "-o", out, NULL);
  }
  /* FIFOs and directories as the dataset */
  {
    g_autofree char *dir = tmp_path ("idx/fifo");
    g_autofree char *ip = g_build_filename (dir, "x-images-idx3-ubyte", NULL);
    g_autofree char *lp = g_build_filename (dir, "x-labels-idx1-ubyte", NULL);
    g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
    g_assert_cmpint (mkfifo (ip, 0644), ==, 0);
    write_file (lp, g_bytes_get_data (labels, NULL), g_bytes_get_size (labels));
    add_case (EXPECT_FAIL, "FIFO", "train on an IDX FIFO", "train", "--dataset", ip, "--epochs", "1", "-o", out,
              NULL);
  }
  {
    g_autofree char *dir = tmp_path ("idx/fifo-labels");
    g_autofree char *ip = g_build_filename (dir, "x-images-idx3-ubyte", NULL);
    g_autofree char *lp = g_build_filename (dir, "x-labels-idx1-ubyte", NULL);
    write_file (ip, d, len);
    g_assert_cmpint (mkfifo (lp, 0644), ==, 0);
    add_case (EXPECT_FAIL, "FIFO", "train with an IDX labels FIFO", "train", "--dataset", ip, "--epochs", "1",
              "-o", out, NULL);
  }
  {
    /* a .npy stack with a FIFO as its labels, and one with a NaN pixel */
    g_autofree char *dir = tmp_path ("npy-set");
    g_autofree char *xp = g_build_filename (dir, "x.npy", NULL);
    g_autofree char *yp = g_build_filename (dir, "x-labels.npy", NULL);
    g_autofree char *dir2 = tmp_path ("npy-set-nan");
    g_autofree char *xp2 = g_build_filename (dir2, "x.npy", NULL);
    g_autofree char *yp2 = g_build_filename (dir2, "x-labels.npy", NULL);
    g_autofree char *hx = g_strdup ("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 28, 28), }");
    g_autofree char *hy = g_strdup ("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }");
    GBytes *dummy = g_bytes_new_static ("\x93NUMPY\x01\x00\x00\x00", 10);
    g_autoptr(GByteArray) bx = npy_with_header (dummy, hx, FALSE);
    g_autoptr(GByteArray) by = npy_with_header (dummy, hy, FALSE);
    float px[4 * 28 * 28], ly[4] = { 0, 1, 0, 1 };
    for (int i = 0; i < 4 * 28 * 28; i++)
      px[i] = (float) (i % 255);
    g_byte_array_append (bx, (const guint8 *) px, sizeof px);
    g_byte_array_append (by, (const guint8 *) ly, sizeof ly);
    write_file (xp, bx->data, bx->len);
    g_assert_cmpint (mkfifo (yp, 0644), ==, 0);
    add_case (EXPECT_FAIL, NULL, "train on a .npy stack whose labels are a FIFO", "train", "--dataset", xp,
              "--epochs", "1", "-o", out, NULL);
    px[1000] = NAN;
    g_byte_array_set_size (bx, bx->len - sizeof px);
    g_byte_array_append (bx, (const guint8 *) px, sizeof px);
    write_file (xp2, bx->data, bx->len);
    write_file (yp2, by->data, by->len);
    add_case (EXPECT_FAIL, "NaN at [1, 7, 20]", "train on a .npy stack with a NaN pixel", "train", "--dataset", xp2,
              "--epochs", "1", "-o", out, NULL);
    g_bytes_unref (dummy);
  }
}

/* The families of cases, one test each so no test runs for long; every test
 * builds all of them in order (the same random mutations as one run would)
 * and runs its own. */
static const struct {
  const char *name;
  int         parts;   /* the larger families run in parts, each a slice of its cases */
} families[] = {
  { "special", 1 }, { "sidecar", 1 }, { "rules", 1 }, { "npy", 2 }, { "model", 2 }, { "image", 3 },
  { "dataset", 1 }, { "train", 1 },
};

/* @data: "FAMILY" or "FAMILY/PART" (1-based) */
static void
test_cli (gconstpointer data)
{
  g_auto(GStrv) spec = g_strsplit (data, "/", 2);
  const char *family = spec[0];
  guint bounds[G_N_ELEMENTS (families) + 1] = { 0 };
  guint f = 0, n_all, begin, end;
  int part = spec[1] ? (int) g_ascii_strtoll (spec[1], NULL, 10) : 1;
  g_autofree char *model = g_build_filename (fixtures, "tiny-cnn", "model.onnx", NULL);
  g_autofree char *input = g_build_filename (fixtures, "tiny-cnn", "input.npy", NULL);
  g_autofree char *demo_model = g_build_filename (demo_dir, "model.onnx", NULL);
  g_autofree char *image = NULL;
  g_autoptr(GRand) rng = g_rand_new_with_seed (11);
  g_autoptr(GHashTable) outcomes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  int n_bad = 0, n_fail = 0, n_ok = 0;
  double slowest = 0, total = 0;
  const Case *slow = NULL;
  gint64 t0;

  {
    g_autofree char *dir = g_build_filename (demo_dir, "images", "clean", "Sandal", NULL);
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    g_assert_nonnull (d);
    image = g_build_filename (dir, g_dir_read_name (d), NULL);
  }
  cases = g_ptr_array_new_with_free_func ((GDestroyNotify) case_free);
  add_special_files (model, input);
  bounds[1] = cases->len;
  add_sidecar_cases (model, input, rng);
  bounds[2] = cases->len;
  add_rule_cases (model, input);
  bounds[3] = cases->len;
  add_npy_cases (model, input, rng);
  bounds[4] = cases->len;
  add_model_cases (model, input, rng);
  bounds[5] = cases->len;
  add_image_cases (demo_model, image, rng);
  bounds[6] = cases->len;
  add_dataset_cases (demo_model, rng);
  bounds[7] = cases->len;
  add_train_cases (rng);
  bounds[8] = cases->len;
  n_all = cases->len;
  g_assert_cmpuint (n_all, >=, 600);
  while (f < G_N_ELEMENTS (families) && strcmp (families[f].name, family) != 0)
    f++;
  g_assert_cmpuint (f, <, G_N_ELEMENTS (families));
  g_assert_cmpint (part, >=, 1);
  g_assert_cmpint (part, <=, families[f].parts);
  begin = bounds[f] + (bounds[f + 1] - bounds[f]) * (guint) (part - 1) / (guint) families[f].parts;
  end = bounds[f] + (bounds[f + 1] - bounds[f]) * (guint) part / (guint) families[f].parts;
  g_assert_cmpuint (end, >, begin);
  g_ptr_array_remove_range (cases, end, n_all - end);
  g_ptr_array_remove_range (cases, 0, begin);

  t0 = g_get_monotonic_time ();
  run_all ();
  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = cases->pdata[i];
      g_autofree char *verdict = judge (c);
      total += c->seconds;
      if (c->seconds > slowest)
        slowest = c->seconds, slow = c;
      if (c->status == 0 && !c->hang && !c->signaled)
        n_ok++;
      else
        n_fail++;
      if (*verdict)
        {
          g_autoptr(GString) cmd = g_string_new (NULL);
          for (guint k = 1; k + 1 < c->argv->len; k++)
            {
              g_autofree char *q = rel_quote (c->argv->pdata[k], -1);
              g_string_append_printf (cmd, " %s", q);
            }
          g_autofree char *said = rel_quote (c->err->str, -1);
          g_test_message ("FAILED %s: %s\n#   relevance-cli%s\n#   stderr: %s", c->name, verdict, cmd->str, said);
          n_bad++;
        }
    }
  g_test_message ("%u hostile %s cases (of %u) in %.1f s (%d at a time): %d refused cleanly, %d accepted, %d broke a "
                  "promise; slowest %.2f s (%s)", cases->len, family, n_all, (g_get_monotonic_time () - t0) / 1e6, PARALLEL,
                  n_fail, n_ok, n_bad, slowest, slow ? slow->name : "-");
  if (n_bad > 0)
    g_test_fail_printf ("%d of %u hostile cases broke the CLI's promises (see the messages)", n_bad, cases->len);
  g_clear_pointer (&cases, g_ptr_array_unref);
}

/* The SpRAy cache: an entry with NaN where its map was is computed again,
 * and the analysis equals the one from a clean cache. */
static void
test_spray_cache (void)
{
  g_autofree char *demo_model = g_build_filename (demo_dir, "model.onnx", NULL);
  g_autofree char *ds = small_dataset ("cache", 6);
  g_autofree char *cache = tmp_path ("cache-nan");
  g_autofree char *out1 = NULL, *out2 = NULL, *err1 = NULL, *err2 = NULL;
  const char *argv[] = { cli, "spray", demo_model, ds, "--all", "--json", "--method", "gradient",
                         "--cache-dir", cache, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0, corrupted = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out1, &err1, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  {
    g_autoptr(GDir) d = g_dir_open (cache, 0, &error);
    const char *name;
    g_assert_no_error (error);
    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *p = g_build_filename (cache, name, NULL);
        g_autoptr(GBytes) b = read_file (p);
        gsize len;
        const guint8 *data = g_bytes_get_data (b, &len);
        g_autofree guint8 *buf = g_memdup2 (data, len);
        const float nan = NAN;
        /* past the 60-byte header (magic, key, four sizes, confidence): the first map value */
        g_assert_cmpuint (len, >, 64);
        memcpy (buf + 60, &nan, 4);
        write_file (p, buf, len);
        corrupted++;
      }
  }
  g_assert_cmpint (corrupted, ==, 12);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out2, &err2, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_test_message ("first run: %s; after the cache was damaged: %s", g_strchomp (err1), g_strchomp (err2));
  /* every damaged entry was computed again, none served */
  g_assert_nonnull (strstr (err2, "(6 explained, 0 cached)"));
  g_assert_cmpstr (out1, ==, out2);
}

/* Readers the CLI cannot reach alone: an ONNX tensor's external data in a
 * FIFO (a subprocess, so a hang is a timeout rather than a stuck suite). */
static void
test_external_data_fifo (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *dir = g_build_filename (g_getenv ("HOSTILE_DIR"), "external", NULL);
      g_autofree char *path = g_build_filename (dir, "tensor.pb", NULL);
      g_autoptr(RelTensor) t = rel_onnx_load_tensor_file (path, &error);
      g_assert_null (t);
      g_assert_error (error, REL_ERROR, REL_ERROR_IO);
      g_assert_nonnull (strstr (error->message, "FIFO"));
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return;
    }
  {
    /* TensorProto: dims 4, FLOAT, name "t\xff", external data location=data.bin, data_location EXTERNAL */
    static const guint8 pb[] = {
      0x08, 0x04, 0x10, 0x01, 0x42, 0x02, 't', 0xff,
      0x6a, 0x14, 0x0a, 0x08, 'l', 'o', 'c', 'a', 't', 'i', 'o', 'n', 0x12, 0x08, 'd', 'a', 't', 'a', '.', 'b', 'i', 'n',
      0x70, 0x01,
    };
    g_autofree char *dir = tmp_path ("external");
    g_autofree char *path = g_build_filename (dir, "tensor.pb", NULL);
    g_autofree char *data = g_build_filename (dir, "data.bin", NULL);
    write_file (path, pb, sizeof pb);
    g_assert_cmpint (mkfifo (data, 0644), ==, 0);
    g_setenv ("HOSTILE_DIR", tmp_dir, TRUE);
    g_test_trap_subprocess (NULL, (guint64) (timeout_seconds () * G_USEC_PER_SEC), G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed ();
  }
}

static void
remove_tree (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
      const char *name;
      while (d && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  signal (SIGPIPE, SIG_IGN);
  cli = g_getenv ("RELEVANCE_CLI");
  fixtures = g_getenv ("RELEVANCE_FIXTURES");
  if (g_test_subprocess ())
    {
      g_test_add_func ("/hostile/external-data-fifo", test_external_data_fifo);
      return g_test_run ();
    }
  if (cli == NULL || fixtures == NULL)
    {
      g_test_skip ("RELEVANCE_CLI or RELEVANCE_FIXTURES is not set");
      return g_test_run ();
    }
  demo_dir = g_build_filename (fixtures, "..", "..", "data", "demo", NULL);
  tmp_dir = g_dir_make_tmp ("relevance-hostile-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);
  /* The specs are freed after the run, not by GLib: it frees a test's data
   * only when the test runs, and -p (each meson part) runs one of them. */
  g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func (g_free);
  for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
    for (int k = 1; k <= families[f].parts; k++)
      {
        char *spec = families[f].parts == 1 ? g_strdup (families[f].name)
                                            : g_strdup_printf ("%s/%d", families[f].name, k);
        g_autofree char *path = g_strdup_printf ("/hostile/cli/%s", spec);
        g_ptr_array_add (specs, spec);
        g_test_add_data_func (path, spec, test_cli);
      }
  g_test_add_func ("/hostile/spray-cache-nan", test_spray_cache);
  g_test_add_func ("/hostile/external-data-fifo", test_external_data_fifo);
  status = g_test_run ();
  remove_tree (tmp_dir);
  g_free (tmp_dir);
  g_free (demo_dir);
  return status;
}
