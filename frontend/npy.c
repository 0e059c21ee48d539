/* NumPy .npy reading and writing (the format of numpy.lib.format).
 *
 * Reading never trusts the file: the magic, the version, every byte of the
 * header dict (a Python literal, parsed here by a small strict scanner
 * rather than evaluated), the dtype, the shape and the data length are all
 * checked, and each failure becomes one Diag naming the file (line 0).
 * A file with bytes after the array data is rejected: np.save never writes
 * them, so they mean a damaged file or a writer that disagrees with the
 * header, and silently ignoring them could hide a dtype/shape mix-up.
 *
 * Writing produces version 1.0 with the header padded so the data starts on
 * a 64-byte boundary (as np.save does), through qcc_write_file_atomic
 * (temporary file + rename()), so a reader never sees a half-written array.
 */
#include "npy.h"

#include "fileio.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Element bytes are copied as they are: the format stores them
 * little-endian, which must be the host order too. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c assumes a little-endian host"
#endif

static const unsigned char NPY_MAGIC[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

#define NPY_SUPPORTED "<f4, |i1, |u1, <i4"

/* The descr strings we accept, each with its IR type. '<' and '|' are both
 * fine for one-byte types ('|' is what numpy writes). */
static const struct {
  const char *descr;
  DType dtype;
} NPY_DTYPES[] = {
    {"<f4", DT_F32}, {"|i1", DT_I8}, {"<i1", DT_I8},
    {"|u1", DT_U8},  {"<u1", DT_U8}, {"<i4", DT_I32},
};

static const char *npy_descr_of(DType t) {
  switch (t) {
  case DT_F32: return "<f4";
  case DT_I8: return "|i1";
  case DT_U8: return "|u1";
  case DT_I32: return "<i4";
  default: return NULL;
  }
}

static int npy_dtype_from_descr(const char *descr, DType *out) {
  for (size_t i = 0; i < sizeof NPY_DTYPES / sizeof NPY_DTYPES[0]; i++)
    if (strcmp(descr, NPY_DTYPES[i].descr) == 0) {
      *out = NPY_DTYPES[i].dtype;
      return 0;
    }
  return -1;
}

/* "(2, 3)" / "(3,)" / "()" -- the Python spelling, used in messages and in
 * the header we write. */
static void npy_shape_str(int rank, const int64_t *dims, char *buf, size_t n) {
  size_t len = (size_t)snprintf(buf, n, "(");
  for (int i = 0; i < rank && len < n; i++)
    len += (size_t)snprintf(buf + len, n - len, i ? ", %" PRId64 : "%" PRId64,
                            dims[i]);
  if (len < n)
    snprintf(buf + len, n - len, rank == 1 ? ",)" : ")");
}

/* ---- header dict scanner --------------------------------------------------- */

typedef struct NpyHdr {
  const char *p, *end;
  const char *path;
  Diag *d;
} NpyHdr;

static int hdr_fail(NpyHdr *h, const char *why) {
  return diag_error(h->d, srcloc(h->path, 0, 0), "malformed header: %s", why);
}

static void hdr_skip_ws(NpyHdr *h) {
  while (h->p < h->end &&
         (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
    h->p++;
}

/* Consumes `c` (after whitespace) if it is next. */
static bool hdr_accept(NpyHdr *h, char c) {
  hdr_skip_ws(h);
  if (h->p < h->end && *h->p == c) {
    h->p++;
    return true;
  }
  return false;
}

/* A quoted Python string without escapes, copied into buf. */
static int hdr_string(NpyHdr *h, char *buf, size_t n, const char *what) {
  hdr_skip_ws(h);
  if (h->p >= h->end || (*h->p != '\'' && *h->p != '"')) {
    char why[64];
    snprintf(why, sizeof why, "expected a quoted string for %s", what);
    return hdr_fail(h, why);
  }
  char q = *h->p++;
  size_t len = 0;
  while (h->p < h->end && *h->p != q) {
    unsigned char c = (unsigned char)*h->p;
    if (c == '\\' || c < 0x20 || c >= 0x7f)
      return hdr_fail(h, "unexpected character in a string");
    if (len + 1 >= n)
      return hdr_fail(h, "string too long");
    buf[len++] = *h->p++;
  }
  if (h->p >= h->end)
    return hdr_fail(h, "unterminated string");
  h->p++;
  buf[len] = 0;
  return 0;
}

/* True or False. */
static int hdr_bool(NpyHdr *h, bool *out) {
  hdr_skip_ws(h);
  size_t left = (size_t)(h->end - h->p);
  if (left >= 4 && memcmp(h->p, "True", 4) == 0) {
    h->p += 4;
    *out = true;
  } else if (left >= 5 && memcmp(h->p, "False", 5) == 0) {
    h->p += 5;
    *out = false;
  } else {
    return hdr_fail(h, "'fortran_order' must be True or False");
  }
  return 0;
}

/* A decimal integer; negative values are returned so the caller can name
 * them. Overflow is an error here. */
static int hdr_int(NpyHdr *h, int64_t *out) {
  hdr_skip_ws(h);
  bool neg = h->p < h->end && *h->p == '-';
  if (neg)
    h->p++;
  if (h->p >= h->end || *h->p < '0' || *h->p > '9')
    return hdr_fail(h, "expected an integer in 'shape'");
  uint64_t v = 0;
  while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
    v = v * 10 + (uint64_t)(*h->p++ - '0');
    if (v > (uint64_t)INT64_MAX)
      return diag_error(h->d, srcloc(h->path, 0, 0),
                        "dimension in 'shape' is too large");
  }
  *out = neg ? -(int64_t)v : (int64_t)v;
  return 0;
}

/* A tuple of dimensions: (), (n,), (a, b), (a, b,). */
static int hdr_shape(NpyHdr *h, int *rank, int64_t *dims) {
  if (!hdr_accept(h, '('))
    return hdr_fail(h, "'shape' must be a tuple");
  *rank = 0;
  if (hdr_accept(h, ')'))
    return 0;
  for (;;) {
    int64_t v = 0;
    if (hdr_int(h, &v) != 0)
      return -1;
    if (*rank == QCC_MAX_RANK)
      return diag_error(h->d, srcloc(h->path, 0, 0),
                        "rank exceeds the maximum of %d", QCC_MAX_RANK);
    if (v < 0)
      return diag_error(h->d, srcloc(h->path, 0, 0),
                        "negative dimension %" PRId64 " in 'shape'", v);
    dims[(*rank)++] = v;
    bool comma = hdr_accept(h, ',');
    if (hdr_accept(h, ')')) {
      /* Python's (3) is an int, not a tuple. */
      if (*rank == 1 && !comma)
        return hdr_fail(h, "'shape' must be a tuple");
      return 0;
    }
    if (!comma)
      return hdr_fail(h, "expected ',' or ')' in 'shape'");
  }
}

/* Parses the dict into descr / fortran_order / shape; each key exactly
 * once, in any order, nothing else. */
static int hdr_parse(NpyHdr *h, char *descr, size_t descr_n, bool *fortran,
                     int *rank, int64_t *dims) {
  bool seen_descr = false, seen_fortran = false, seen_shape = false;
  if (!hdr_accept(h, '{'))
    return hdr_fail(h, "expected '{'");
  while (!hdr_accept(h, '}')) {
    char key[32];
    if (hdr_string(h, key, sizeof key, "a key") != 0)
      return -1;
    if (!hdr_accept(h, ':'))
      return hdr_fail(h, "expected ':' after a key");
    bool *seen;
    int r;
    if (strcmp(key, "descr") == 0) {
      seen = &seen_descr;
      r = hdr_string(h, descr, descr_n, "'descr'");
    } else if (strcmp(key, "fortran_order") == 0) {
      seen = &seen_fortran;
      r = hdr_bool(h, fortran);
    } else if (strcmp(key, "shape") == 0) {
      seen = &seen_shape;
      r = hdr_shape(h, rank, dims);
    } else {
      char why[64];
      snprintf(why, sizeof why, "unknown key '%s'", key);
      return hdr_fail(h, why);
    }
    if (r != 0)
      return -1;
    if (*seen) {
      char why[64];
      snprintf(why, sizeof why, "duplicate key '%s'", key);
      return hdr_fail(h, why);
    }
    *seen = true;
    if (!hdr_accept(h, ',')) {
      if (!hdr_accept(h, '}'))
        return hdr_fail(h, "expected ',' or '}'");
      break;
    }
  }
  hdr_skip_ws(h);
  if (h->p != h->end)
    return hdr_fail(h, "unexpected text after the dict");
  if (!seen_descr)
    return hdr_fail(h, "missing key 'descr'");
  if (!seen_fortran)
    return hdr_fail(h, "missing key 'fortran_order'");
  if (!seen_shape)
    return hdr_fail(h, "missing key 'shape'");
  return 0;
}

/* ---- reading ------------------------------------------------------------------ */

int npy_parse(const unsigned char *buf, size_t len, const char *path,
              NpyArray *out, Diag *d) {
  memset(out, 0, sizeof *out);
  SrcLoc loc = srcloc(path, 0, 0);
  if (len < 8 || memcmp(buf, NPY_MAGIC, sizeof NPY_MAGIC) != 0)
    return diag_error(d, loc, "not a .npy file (bad magic)");
  unsigned major = buf[6], minor = buf[7];
  if (major < 1 || major > 3 || minor != 0)
    return diag_error(d, loc,
                      "unsupported .npy version %u.%u (supported: 1.0, 2.0, "
                      "3.0)",
                      major, minor);
  size_t prefix = major == 1 ? 10 : 12;
  if (len < prefix)
    return diag_error(d, loc, "truncated: header needs %zu bytes, found %zu",
                      prefix, len);
  size_t hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
  if (major > 1)
    hlen |= (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
  if (hlen > len - prefix)
    return diag_error(d, loc, "truncated: header needs %zu bytes, found %zu",
                      prefix + hlen, len);

  NpyHdr h = {(const char *)buf + prefix, (const char *)buf + prefix + hlen,
              path, d};
  char descr[32];
  bool fortran = false;
  int rank = 0;
  int64_t dims[QCC_MAX_RANK];
  if (hdr_parse(&h, descr, sizeof descr, &fortran, &rank, dims) != 0)
    return -1;

  DType dtype;
  if (npy_dtype_from_descr(descr, &dtype) != 0) {
    char little[32];
    snprintf(little, sizeof little, "<%s", descr[0] ? descr + 1 : "");
    if (descr[0] == '>' && npy_dtype_from_descr(little, &dtype) == 0)
      return diag_error(d, loc,
                        "big-endian data ('%s') is not supported; save with "
                        "dtype '%s'",
                        descr, npy_descr_of(dtype));
    return diag_error(d, loc, "unsupported dtype '%s' (supported: %s)", descr,
                      NPY_SUPPORTED);
  }
  if (fortran)
    return diag_error(d, loc,
                      "fortran_order True is not supported; save a C-ordered "
                      "array (np.ascontiguousarray)");
  int64_t numel;
  if (ir_shape_numel(rank, dims, &numel) != 0) {
    char s[256];
    npy_shape_str(rank, dims, s, sizeof s);
    return diag_error(d, loc, "shape %s has too many elements", s);
  }
  /* numel <= QCC_MAX_ELEMENTS, so this cannot overflow. */
  size_t nbytes = (size_t)numel * dtype_size(dtype);
  size_t have = len - prefix - hlen;
  if (have < nbytes)
    return diag_error(d, loc, "truncated: expected %zu bytes of data, found %zu",
                      nbytes, have);
  if (have > nbytes)
    return diag_error(d, loc, "%zu unexpected bytes after the data",
                      have - nbytes);

  void *data = malloc(nbytes ? nbytes : 1);
  if (!data)
    return diag_error(d, loc, "out of memory (%zu bytes)", nbytes);
  if (nbytes)
    memcpy(data, buf + prefix + hlen, nbytes);
  out->dtype = dtype;
  out->rank = rank;
  memcpy(out->dims, dims, sizeof(int64_t) * (size_t)rank);
  out->numel = numel;
  out->data = data;
  return 0;
}

int npy_read(const char *path, NpyArray *out, Diag *d) {
  memset(out, 0, sizeof *out);
  char *buf;
  size_t len;
  if (qcc_read_file(path, &buf, &len, d) != 0)
    return -1;
  int rc = npy_parse((const unsigned char *)buf, len, path, out, d);
  free(buf);
  return rc;
}

void npy_free(NpyArray *a) {
  if (!a)
    return;
  free(a->data);
  a->data = NULL;
}

/* ---- writing ------------------------------------------------------------------ */

int npy_write(const char *path, DType dtype, int rank, const int64_t *dims,
              const void *data, Diag *d) {
  SrcLoc loc = srcloc(path, 0, 0);
  const char *descr = npy_descr_of(dtype);
  if (!descr)
    return diag_error(d, loc, "cannot write dtype %d to .npy", (int)dtype);
  if (rank < 0 || rank > QCC_MAX_RANK)
    return diag_error(d, loc, "cannot write rank %d (maximum %d)", rank,
                      QCC_MAX_RANK);
  for (int i = 0; i < rank; i++)
    if (dims[i] < 0)
      return diag_error(d, loc, "cannot write negative dimension %" PRId64,
                        dims[i]);
  int64_t numel;
  if (ir_shape_numel(rank, dims, &numel) != 0)
    return diag_error(d, loc, "cannot write: too many elements");
  size_t nbytes = (size_t)numel * dtype_size(dtype);

  /* The header as np.save writes it: dict, spaces, '\n', with the 10-byte
   * prefix + header a multiple of 64 so the data is aligned. */
  char shape[256], header[512];
  npy_shape_str(rank, dims, shape, sizeof shape);
  int dict_len = snprintf(header + 10, sizeof header - 10,
                          "{'descr': '%s', 'fortran_order': False, "
                          "'shape': %s, }",
                          descr, shape);
  size_t total = ((size_t)10 + (size_t)dict_len + 1 + 63) / 64 * 64;
  if (total > sizeof header)
    QCC_DIE("npy header of %zu bytes", total);
  memset(header + 10 + dict_len, ' ', total - 10 - (size_t)dict_len - 1);
  header[total - 1] = '\n';
  memcpy(header, NPY_MAGIC, sizeof NPY_MAGIC);
  header[6] = 1;
  header[7] = 0;
  header[8] = (char)((total - 10) & 0xff);
  header[9] = (char)((total - 10) >> 8);

  /* One buffer, so the shared atomic writer (temp file + rename) does the
   * file handling; outputs written this way are small. */
  unsigned char *file = malloc(total + nbytes);
  if (!file)
    return diag_error(d, loc, "out of memory (%zu bytes)", total + nbytes);
  memcpy(file, header, total);
  if (nbytes)
    memcpy(file + total, data, nbytes);
  int rc = qcc_write_file_atomic(path, file, total + nbytes, d);
  free(file);
  return rc;
}
