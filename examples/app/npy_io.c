/* See npy_io.h. The format: "\x93NUMPY", a version byte pair (1.0: a
 * 2-byte header length; 2.0 and 3.0: 4 bytes), the header (a Python dict
 * literal padded with spaces and ended by '\n'), then the raw data. */
#define _POSIX_C_SOURCE 200809L
#include "npy_io.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPY_MAX_HEADER 65536 /* bytes; numpy writes well under 1 KiB */

static int fail(char *err, size_t errlen, const char *path, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, const char *path, const char *fmt,
                ...) {
  if (err && errlen) {
    int n = snprintf(err, errlen, "%s: ", path);
    if (n >= 0 && (size_t)n < errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return -1;
}

static int host_is_little_endian(void) {
  const uint16_t one = 1;
  unsigned char first;
  memcpy(&first, &one, 1);
  return first == 1;
}

/* ---- the header dict --------------------------------------------------- */

typedef struct Scan {
  const char *p, *end;
} Scan;

static void skip_ws(Scan *s) {
  while (s->p < s->end &&
         (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static int eat(Scan *s, char c) {
  skip_ws(s);
  if (s->p < s->end && *s->p == c) {
    s->p++;
    return 1;
  }
  return 0;
}

/* 'text' or "text", printable ASCII, no escapes. */
static int string_lit(Scan *s, char *buf, size_t n) {
  skip_ws(s);
  if (s->p >= s->end || (*s->p != '\'' && *s->p != '"'))
    return -1;
  char quote = *s->p++;
  size_t len = 0;
  while (s->p < s->end && *s->p != quote) {
    unsigned char c = (unsigned char)*s->p++;
    if (c < 0x20 || c > 0x7e || c == '\\' || len + 1 >= n)
      return -1;
    buf[len++] = (char)c;
  }
  if (s->p >= s->end)
    return -1;
  s->p++;
  buf[len] = 0;
  return 0;
}

/* True or False, as a whole word. */
static int bool_lit(Scan *s, int *v) {
  skip_ws(s);
  static const char *const words[2] = {"False", "True"};
  for (int i = 0; i < 2; i++) {
    size_t n = strlen(words[i]);
    if ((size_t)(s->end - s->p) >= n && memcmp(s->p, words[i], n) == 0 &&
        ((size_t)(s->end - s->p) == n ||
         !(isalnum((unsigned char)s->p[n]) || s->p[n] == '_'))) {
      s->p += n;
      *v = i;
      return 0;
    }
  }
  return -1;
}

/* A non-negative decimal integer that fits int64_t. */
static int int_lit(Scan *s, int64_t *v) {
  skip_ws(s);
  if (s->p >= s->end || *s->p < '0' || *s->p > '9')
    return -1;
  int64_t x = 0;
  while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
    int d = *s->p++ - '0';
    if (x > (INT64_MAX - d) / 10)
      return -1;
    x = x * 10 + d;
  }
  *v = x;
  return 0;
}

typedef struct Header {
  char descr[32];
  int fortran;
  int rank;
  int64_t dims[APP_NPY_MAX_DIMS];
} Header;

static int parse_shape(Scan *s, Header *h, const char *path, char *err,
                       size_t errlen) {
  if (!eat(s, '('))
    return fail(err, errlen, path, "malformed header: 'shape' is not a tuple");
  h->rank = 0;
  if (eat(s, ')'))
    return 0;
  for (;;) {
    if (h->rank == APP_NPY_MAX_DIMS)
      return fail(err, errlen, path, "more than %d dimensions",
                  APP_NPY_MAX_DIMS);
    skip_ws(s);
    if (s->p < s->end && *s->p == '-')
      return fail(err, errlen, path, "malformed header: negative dimension");
    if (int_lit(s, &h->dims[h->rank]))
      return fail(err, errlen, path,
                  "malformed header: a dimension of 'shape' is not an "
                  "integer (or is too large)");
    h->rank++;
    if (eat(s, ')')) {
      if (h->rank == 1) /* (3) is not a tuple in Python */
        return fail(err, errlen, path,
                    "malformed header: 'shape' is not a tuple");
      return 0;
    }
    if (!eat(s, ','))
      return fail(err, errlen, path,
                  "malformed header: expected ',' or ')' in 'shape'");
    if (eat(s, ')'))
      return 0;
  }
}

static int parse_header(const char *text, size_t len, Header *h,
                        const char *path, char *err, size_t errlen) {
  Scan s = {text, text + len};
  int have_descr = 0, have_fortran = 0, have_shape = 0;
  if (!eat(&s, '{'))
    return fail(err, errlen, path, "malformed header: not a dict");
  if (!eat(&s, '}'))
    for (;;) {
      char key[32];
      if (string_lit(&s, key, sizeof key))
        return fail(err, errlen, path, "malformed header: expected a quoted key");
      if (!eat(&s, ':'))
        return fail(err, errlen, path, "malformed header: expected ':' after '%s'",
                    key);
      if (strcmp(key, "descr") == 0 && !have_descr) {
        have_descr = 1;
        if (string_lit(&s, h->descr, sizeof h->descr))
          return fail(err, errlen, path,
                      "malformed header: 'descr' is not a simple dtype string "
                      "(structured arrays are not supported)");
      } else if (strcmp(key, "fortran_order") == 0 && !have_fortran) {
        have_fortran = 1;
        if (bool_lit(&s, &h->fortran))
          return fail(err, errlen, path,
                      "malformed header: 'fortran_order' is not True or False");
      } else if (strcmp(key, "shape") == 0 && !have_shape) {
        have_shape = 1;
        if (parse_shape(&s, h, path, err, errlen))
          return -1;
      } else if (strcmp(key, "descr") == 0 || strcmp(key, "fortran_order") == 0 ||
                 strcmp(key, "shape") == 0) {
        return fail(err, errlen, path, "malformed header: key '%s' given twice",
                    key);
      } else {
        return fail(err, errlen, path, "malformed header: unexpected key '%s'",
                    key);
      }
      if (eat(&s, '}'))
        break;
      if (!eat(&s, ','))
        return fail(err, errlen, path, "malformed header: expected ',' or '}'");
      if (eat(&s, '}'))
        break;
    }
  skip_ws(&s);
  if (s.p != s.end)
    return fail(err, errlen, path, "malformed header: text after the dict");
  if (!have_descr || !have_fortran || !have_shape)
    return fail(err, errlen, path, "malformed header: missing '%s'",
                !have_descr ? "descr" : !have_fortran ? "fortran_order" : "shape");
  return 0;
}

/* ---- reading ------------------------------------------------------------ */

void app_npy_free(app_npy *a) {
  if (!a)
    return;
  free(a->data);
  memset(a, 0, sizeof *a);
}

static int read_file(FILE *f, const char *path, app_npy *out, char *err,
                     size_t errlen) {
  unsigned char pre[12];
  if (fread(pre, 1, 10, f) != 10)
    return fail(err, errlen, path, "%s",
                ferror(f) ? strerror(errno) : "too short to be a .npy file");
  if (memcmp(pre, "\x93NUMPY", 6) != 0)
    return fail(err, errlen, path, "not a .npy file (bad magic)");
  uint32_t hlen;
  if (pre[6] == 1 && pre[7] == 0) {
    hlen = (uint32_t)pre[8] | (uint32_t)pre[9] << 8;
  } else if ((pre[6] == 2 || pre[6] == 3) && pre[7] == 0) {
    if (fread(pre + 10, 1, 2, f) != 2)
      return fail(err, errlen, path, "truncated header");
    hlen = (uint32_t)pre[8] | (uint32_t)pre[9] << 8 | (uint32_t)pre[10] << 16 |
           (uint32_t)pre[11] << 24;
  } else {
    return fail(err, errlen, path, "unsupported .npy format version %d.%d",
                pre[6], pre[7]);
  }
  if (hlen > NPY_MAX_HEADER)
    return fail(err, errlen, path, "header of %" PRIu32 " bytes (at most %d)",
                hlen, NPY_MAX_HEADER);
  char *text = malloc(hlen + 1);
  if (!text)
    return fail(err, errlen, path, "out of memory");
  if (fread(text, 1, hlen, f) != hlen) {
    free(text);
    return fail(err, errlen, path, "truncated header");
  }
  Header h;
  memset(&h, 0, sizeof h);
  int rc = parse_header(text, hlen, &h, path, err, errlen);
  free(text);
  if (rc)
    return -1;
  if (strcmp(h.descr, "<f4") != 0)
    return fail(err, errlen, path,
                "dtype '%s' is not supported: this app reads little-endian "
                "float32 ('<f4'); convert with a.astype('<f4')",
                h.descr);
  if (h.fortran)
    return fail(err, errlen, path,
                "fortran_order True is not supported; save a C-ordered array "
                "(np.ascontiguousarray)");
  int64_t numel = 1;
  for (int i = 0; i < h.rank; i++) {
    if (h.dims[i] != 0 && numel > INT64_MAX / 4 / h.dims[i])
      return fail(err, errlen, path, "the shape has too many elements");
    numel *= h.dims[i];
  }
  int64_t nbytes = numel * 4;
  /* The file must hold exactly the data the header announces. */
  long start = ftell(f);
  if (start < 0 || fseek(f, 0, SEEK_END) != 0)
    return fail(err, errlen, path, "cannot determine the file's size");
  long size = ftell(f);
  if (size < start || fseek(f, start, SEEK_SET) != 0)
    return fail(err, errlen, path, "cannot determine the file's size");
  int64_t have = (int64_t)size - (int64_t)start;
  if (have < nbytes)
    return fail(err, errlen, path,
                "truncated: the header announces %" PRId64 " bytes of data, "
                "the file holds %" PRId64,
                nbytes, have);
  if (have > nbytes)
    return fail(err, errlen, path,
                "%" PRId64 " bytes after the %" PRId64 " bytes of data the "
                "header announces",
                have - nbytes, nbytes);
  if ((uint64_t)nbytes > (uint64_t)SIZE_MAX)
    return fail(err, errlen, path, "too large for this machine");
  float *data = malloc(nbytes ? (size_t)nbytes : 1);
  if (!data)
    return fail(err, errlen, path, "out of memory (%" PRId64 " bytes)", nbytes);
  if (fread(data, 1, (size_t)nbytes, f) != (size_t)nbytes) {
    free(data);
    return fail(err, errlen, path, "read error");
  }
  out->rank = h.rank;
  memcpy(out->dims, h.dims, sizeof h.dims);
  out->numel = numel;
  out->data = data;
  return 0;
}

int app_npy_read_f32(const char *path, app_npy *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (!host_is_little_endian())
    return fail(err, errlen, path, "this reader needs a little-endian host");
  FILE *f = fopen(path, "rb");
  if (!f)
    return fail(err, errlen, path, "%s", strerror(errno));
  int rc = read_file(f, path, out, err, errlen);
  fclose(f);
  return rc;
}

/* ---- writing ------------------------------------------------------------ */

int app_npy_write_f32(const char *path, int rank, const int64_t *dims,
                      const float *data, char *err, size_t errlen) {
  if (!host_is_little_endian())
    return fail(err, errlen, path, "this writer needs a little-endian host");
  if (rank < 0 || rank > APP_NPY_MAX_DIMS)
    return fail(err, errlen, path, "cannot write rank %d", rank);
  /* The header np.save writes: the dict, spaces, '\n', with the 10-byte
   * prefix + header a multiple of 64 bytes. */
  char shape[APP_NPY_MAX_DIMS * 24 + 8];
  size_t sl = 0;
  int64_t numel = 1;
  shape[sl++] = '(';
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0 || (dims[i] != 0 && numel > INT64_MAX / 4 / dims[i]))
      return fail(err, errlen, path, "invalid shape");
    numel *= dims[i];
    sl += (size_t)snprintf(shape + sl, sizeof shape - sl,
                           i ? ", %" PRId64 : "%" PRId64, dims[i]);
  }
  snprintf(shape + sl, sizeof shape - sl, rank == 1 ? ",)" : ")");
  char header[512];
  int dict = snprintf(header + 10, sizeof header - 10,
                      "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }",
                      shape);
  size_t total = ((size_t)10 + (size_t)dict + 1 + 63) / 64 * 64;
  if (dict < 0 || total > sizeof header)
    return fail(err, errlen, path, "header too long");
  memset(header + 10 + dict, ' ', total - 10 - (size_t)dict - 1);
  header[total - 1] = '\n';
  memcpy(header, "\x93NUMPY", 6);
  header[6] = 1;
  header[7] = 0;
  header[8] = (char)((total - 10) & 0xff);
  header[9] = (char)((total - 10) >> 8);
  if (numel > 0 && !data)
    return fail(err, errlen, path, "no data");

  size_t plen = strlen(path);
  char *tmp = malloc(plen + 5);
  if (!tmp)
    return fail(err, errlen, path, "out of memory");
  memcpy(tmp, path, plen);
  memcpy(tmp + plen, ".tmp", 5);
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    int e = errno;
    free(tmp);
    return fail(err, errlen, path, "cannot write: %s", strerror(e));
  }
  size_t nbytes = (size_t)numel * 4;
  int ok = fwrite(header, 1, total, f) == total &&
           (nbytes == 0 || fwrite(data, 1, nbytes, f) == nbytes);
  int e = errno;
  if (fclose(f) != 0 && ok) {
    ok = 0;
    e = errno;
  }
  if (ok && rename(tmp, path) != 0) {
    ok = 0;
    e = errno;
  }
  if (!ok)
    remove(tmp);
  free(tmp);
  if (!ok)
    return fail(err, errlen, path, "cannot write: %s", strerror(e));
  return 0;
}
