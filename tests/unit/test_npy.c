/* Unit tests of the .npy reader/writer (frontend/npy.c): round trips for
 * every dtype and ranks 0..4, headers of versions 1.0/2.0/3.0 built by hand,
 * files written by NumPy itself (tests/bad/npy_*.npy, from gen_bad_npy.py),
 * the exact bytes np.save writes, and every error path with its message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "npy.h"

#define FIXTURES QCC_SOURCE_DIR "/tests/bad/"

/* A .npy image: magic, version, header length (2 bytes for v1, 4 else),
 * the dict text as given, then the data. Caller frees. */
static unsigned char *build_npy(int major, const char *dict, const void *data,
                                size_t data_len, size_t *len) {
  size_t prefix = major == 1 ? 10 : 12, hlen = strlen(dict);
  *len = prefix + hlen + data_len;
  unsigned char *b = malloc(*len);
  assert_non_null(b);
  memcpy(b, "\x93NUMPY", 6);
  b[6] = (unsigned char)major;
  b[7] = 0;
  b[8] = (unsigned char)(hlen & 0xff);
  b[9] = (unsigned char)(hlen >> 8);
  if (major != 1) {
    b[10] = (unsigned char)(hlen >> 16);
    b[11] = (unsigned char)(hlen >> 24);
  }
  memcpy(b + prefix, dict, hlen);
  if (data_len)
    memcpy(b + prefix + hlen, data, data_len);
  return b;
}

/* npy_parse must fail with exactly `msg`, located at the file (line 0). */
static void expect_error(const unsigned char *buf, size_t len,
                         const char *msg) {
  NpyArray a;
  Diag d;
  diag_clear(&d);
  assert_int_equal(npy_parse(buf, len, "t.npy", &a, &d), -1);
  assert_true(d.has_error);
  assert_string_equal(d.msg, msg);
  assert_string_equal(d.file, "t.npy");
  assert_int_equal(d.loc.line, 0);
  assert_null(a.data);
  npy_free(&a); /* harmless on a failed parse */
}

static void expect_dict_error(const char *dict, size_t data_len,
                              const char *msg) {
  static const unsigned char zeros[64];
  size_t len;
  unsigned char *b = build_npy(1, dict, zeros, data_len, &len);
  expect_error(b, len, msg);
  free(b);
}

/* ---- temporary folder ---------------------------------------------------- */

static char tmpdir[64];

static int make_tmpdir(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/qcc_test_npy_XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state) {
  (void)state;
  DIR *dir = opendir(tmpdir);
  if (!dir)
    return -1;
  struct dirent *e;
  char path[512];
  while ((e = readdir(dir)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
      unlink(path);
    }
  closedir(dir);
  return rmdir(tmpdir);
}

static int count_files(const char *path) {
  DIR *dir = opendir(path);
  assert_non_null(dir);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dir)))
    n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
  closedir(dir);
  return n;
}

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  unsigned char *buf = malloc(1 << 16);
  assert_non_null(buf);
  *len = fread(buf, 1, 1 << 16, f);
  fclose(f);
  return buf;
}

/* ---- round trips ------------------------------------------------------------ */

static void test_round_trip_all_dtypes_and_ranks(void **state) {
  (void)state;
  static const int64_t shapes[5][4] = {{0}, {5}, {2, 3}, {2, 1, 3}, {1, 2, 3, 2}};
  const DType types[] = {DT_F32, DT_I8, DT_U8, DT_I32};
  for (int ti = 0; ti < 4; ti++)
    for (int rank = 0; rank <= 4; rank++) {
      DType t = types[ti];
      int64_t numel = 1;
      for (int i = 0; i < rank; i++)
        numel *= shapes[rank][i];
      size_t nbytes = (size_t)numel * dtype_size(t);
      unsigned char *data = malloc(nbytes);
      assert_non_null(data);
      for (size_t i = 0; i < nbytes; i++)
        data[i] = (unsigned char)(i * 37 + 11 + ti);
      if (t == DT_F32) /* keep the floats ordinary values */
        for (int64_t i = 0; i < numel; i++)
          ((float *)data)[i] = (float)i * -1.25f + 0.5f;
      char path[128];
      snprintf(path, sizeof path, "%s/rt_%d_%d.npy", tmpdir, ti, rank);
      Diag d;
      diag_clear(&d);
      assert_int_equal(npy_write(path, t, rank, shapes[rank], data, &d), 0);
      assert_false(d.has_error);

      /* Data starts on a 64-byte boundary, as with np.save. */
      size_t len;
      unsigned char *file = slurp(path, &len);
      size_t hlen = (size_t)file[8] | (size_t)file[9] << 8;
      assert_int_equal((10 + hlen) % 64, 0);
      assert_int_equal(len, 10 + hlen + nbytes);
      assert_int_equal(file[10 + hlen - 1], '\n');
      free(file);

      NpyArray a;
      assert_int_equal(npy_read(path, &a, &d), 0);
      assert_int_equal(a.dtype, t);
      assert_int_equal(a.rank, rank);
      assert_int_equal(a.numel, numel);
      for (int i = 0; i < rank; i++)
        assert_int_equal(a.dims[i], shapes[rank][i]);
      assert_memory_equal(a.data, data, nbytes);
      npy_free(&a);
      assert_null(a.data);
      free(data);
    }
  /* No temporary file is left behind. */
  assert_int_equal(count_files(tmpdir), 20);
}

/* The bytes np.save writes for np.arange(6, dtype='<f4').reshape(2, 3) * 0.5
 * (the same array is tests/bad/npy_f32_2x3.npy, written by NumPy). */
static void test_write_matches_numpy_bytes(void **state) {
  (void)state;
  const float v[6] = {0, 0.5f, 1, 1.5f, 2, 2.5f};
  const int64_t dims[2] = {2, 3};
  char path[128];
  snprintf(path, sizeof path, "%s/exact.npy", tmpdir);
  Diag d;
  diag_clear(&d);
  assert_int_equal(npy_write(path, DT_F32, 2, dims, v, &d), 0);
  size_t len, ref_len;
  unsigned char *mine = slurp(path, &len);
  unsigned char *ref = slurp(FIXTURES "npy_f32_2x3.npy", &ref_len);
  assert_int_equal(len, 152);
  assert_int_equal(len, ref_len);
  assert_memory_equal(mine, ref, len);
  const char *dict = "{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (2, 3), }";
  assert_memory_equal(mine + 10, dict, strlen(dict));
  free(mine);
  free(ref);
  unlink(path);
}

static void test_read_numpy_files(void **state) {
  (void)state;
  NpyArray a;
  Diag d;
  diag_clear(&d);
  assert_int_equal(npy_read(FIXTURES "npy_f32_2x3.npy", &a, &d), 0);
  assert_int_equal(a.dtype, DT_F32);
  assert_int_equal(a.rank, 2);
  assert_int_equal(a.dims[0], 2);
  assert_int_equal(a.dims[1], 3);
  const float want[6] = {0, 0.5f, 1, 1.5f, 2, 2.5f};
  assert_memory_equal(a.data, want, sizeof want);
  npy_free(&a);

  assert_int_equal(npy_read(FIXTURES "npy_i8_2x3.npy", &a, &d), 0);
  assert_int_equal(a.dtype, DT_I8);
  const int8_t want8[6] = {0, 1, 2, 3, 4, 5};
  assert_memory_equal(a.data, want8, sizeof want8);
  npy_free(&a);
}

/* ---- header forms -------------------------------------------------------------- */

static void test_versions_2_and_3(void **state) {
  (void)state;
  const int32_t v[3] = {-7, 0, 123456};
  for (int major = 2; major <= 3; major++) {
    size_t len;
    unsigned char *b = build_npy(
        major, "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }\n",
        v, sizeof v, &len);
    NpyArray a;
    Diag d;
    diag_clear(&d);
    assert_int_equal(npy_parse(b, len, "t.npy", &a, &d), 0);
    assert_int_equal(a.dtype, DT_I32);
    assert_int_equal(a.rank, 1);
    assert_int_equal(a.dims[0], 3);
    assert_memory_equal(a.data, v, sizeof v);
    npy_free(&a);
    free(b);
  }
}

static void test_key_order_quotes_and_scalar(void **state) {
  (void)state;
  const uint8_t v = 200;
  size_t len;
  unsigned char *b = build_npy(
      1, "{\"shape\": (), 'fortran_order': False, 'descr': '|u1'}   \n", &v, 1,
      &len);
  NpyArray a;
  Diag d;
  diag_clear(&d);
  assert_int_equal(npy_parse(b, len, "t.npy", &a, &d), 0);
  assert_int_equal(a.dtype, DT_U8);
  assert_int_equal(a.rank, 0);
  assert_int_equal(a.numel, 1);
  assert_int_equal(((uint8_t *)a.data)[0], 200);
  npy_free(&a);
  free(b);

  /* Trailing comma inside the shape tuple, '<i1' spelling of int8. */
  const int8_t w[4] = {-1, 2, -3, 4};
  b = build_npy(1, "{'descr':'<i1','fortran_order':False,'shape':(2,2,),}", w,
                4, &len);
  assert_int_equal(npy_parse(b, len, "t.npy", &a, &d), 0);
  assert_int_equal(a.dtype, DT_I8);
  assert_int_equal(a.rank, 2);
  assert_memory_equal(a.data, w, 4);
  npy_free(&a);
  free(b);
}

/* ---- errors ---------------------------------------------------------------------- */

static void test_bad_magic_and_version(void **state) {
  (void)state;
  expect_error((const unsigned char *)"PK\3\4abcdefgh", 12,
               "not a .npy file (bad magic)");
  expect_error((const unsigned char *)"\x93NUM", 4,
               "not a .npy file (bad magic)");
  expect_error((const unsigned char *)"\x93NUMPY\x04\x00\x10\x00", 10,
               "unsupported .npy version 4.0 (supported: 1.0, 2.0, 3.0)");
  expect_error((const unsigned char *)"\x93NUMPY\x01\x01\x10\x00", 10,
               "unsupported .npy version 1.1 (supported: 1.0, 2.0, 3.0)");
  expect_error((const unsigned char *)"\x93NUMPY\x02\x00\x10\x00", 10,
               "truncated: header needs 12 bytes, found 10");
  expect_error((const unsigned char *)"\x93NUMPY\x01\x00\x50\x00{}", 12,
               "truncated: header needs 90 bytes, found 12");
}

static void test_unsupported_dtypes(void **state) {
  (void)state;
  expect_dict_error("{'descr': '>f4', 'fortran_order': False, 'shape': (1,)}",
                    4,
                    "big-endian data ('>f4') is not supported; save with "
                    "dtype '<f4'");
  expect_dict_error("{'descr': '>i4', 'fortran_order': False, 'shape': (1,)}",
                    4,
                    "big-endian data ('>i4') is not supported; save with "
                    "dtype '<i4'");
  expect_dict_error("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)}",
                    8,
                    "unsupported dtype '<f8' (supported: <f4, |i1, |u1, <i4)");
  expect_dict_error("{'descr': '', 'fortran_order': False, 'shape': (1,)}", 8,
                    "unsupported dtype '' (supported: <f4, |i1, |u1, <i4)");
  expect_dict_error("{'descr': '<f4', 'fortran_order': True, 'shape': (1,)}", 4,
                    "fortran_order True is not supported; save a C-ordered "
                    "array (np.ascontiguousarray)");
}

static void test_bad_shapes(void **state) {
  (void)state;
  expect_dict_error("{'descr': '<f4', 'fortran_order': False, "
                    "'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1)}",
                    4, "rank exceeds the maximum of 8");
  expect_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}",
                    4, "negative dimension -3 in 'shape'");
  expect_dict_error("{'descr': '<f4', 'fortran_order': False, "
                    "'shape': (4294967296, 4294967296)}",
                    4, "shape (4294967296, 4294967296) has too many elements");
  expect_dict_error("{'descr': '<f4', 'fortran_order': False, "
                    "'shape': (99999999999999999999,)}",
                    4, "dimension in 'shape' is too large");
  expect_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (3)}",
                    12, "malformed header: 'shape' must be a tuple");
  expect_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': [3]}",
                    12, "malformed header: 'shape' must be a tuple");
  expect_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (3 4)}",
                    12, "malformed header: expected ',' or ')' in 'shape'");
}

static void test_malformed_headers(void **state) {
  (void)state;
  expect_dict_error("{'descr': '<f4', 'shape': (1,)}", 4,
                    "malformed header: missing key 'fortran_order'");
  expect_dict_error("{'fortran_order': False, 'shape': (1,)}", 4,
                    "malformed header: missing key 'descr'");
  expect_dict_error("{'descr': '<f4', 'fortran_order': False}", 4,
                    "malformed header: missing key 'shape'");
  expect_dict_error("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
                    "'shape': (1,)}",
                    4, "malformed header: duplicate key 'descr'");
  expect_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), "
                    "'extra': 1}",
                    4, "malformed header: unknown key 'extra'");
  expect_dict_error("{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}", 4,
                    "malformed header: expected ',' or '}'");
  expect_dict_error("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", 4,
                    "malformed header: 'fortran_order' must be True or False");
  expect_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x",
                    4, "malformed header: unexpected text after the dict");
  expect_dict_error("'descr': '<f4'", 4, "malformed header: expected '{'");
  expect_dict_error("{'descr': '<f4", 4,
                    "malformed header: unterminated string");
  expect_dict_error("{'descr': '<\\f4', 'fortran_order': False, 'shape': (1,)}",
                    4, "malformed header: unexpected character in a string");
  expect_dict_error("{'descr' '<f4', 'fortran_order': False, 'shape': (1,)}", 4,
                    "malformed header: expected ':' after a key");
  expect_dict_error("{'descr': <f4, 'fortran_order': False, 'shape': (1,)}", 4,
                    "malformed header: expected a quoted string for 'descr'");
}

static void test_data_length(void **state) {
  (void)state;
  expect_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}",
                    10, "truncated: expected 24 bytes of data, found 10");
  expect_dict_error("{'descr': '<i4', 'fortran_order': False, 'shape': (2,)}",
                    12, "4 unexpected bytes after the data");
}

/* The committed fixtures (written by NumPy, then damaged) give the same
 * messages through npy_read, with the path as the location. */
static void test_numpy_written_bad_files(void **state) {
  (void)state;
  static const struct {
    const char *file, *msg;
  } cases[] = {
      {"npy_truncated.npy", "truncated: expected 24 bytes of data, found 10"},
      {"npy_big_endian.npy",
       "big-endian data ('>f4') is not supported; save with dtype '<f4'"},
      {"npy_fortran.npy", "fortran_order True is not supported; save a "
                          "C-ordered array (np.ascontiguousarray)"},
      {"npy_f64.npy", "unsupported dtype '<f8' (supported: <f4, |i1, |u1, <i4)"},
      {"npy_bad_magic.npy", "not a .npy file (bad magic)"},
      {"npy_trailing.npy", "4 unexpected bytes after the data"},
      {"npy_version4.npy",
       "unsupported .npy version 4.0 (supported: 1.0, 2.0, 3.0)"},
      {"does_not_exist.npy", "cannot open: No such file or directory"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s%s", FIXTURES, cases[i].file);
    NpyArray a;
    Diag d;
    diag_clear(&d);
    assert_int_equal(npy_read(path, &a, &d), -1);
    assert_string_equal(d.msg, cases[i].msg);
    assert_string_equal(d.file, path);
    assert_int_equal(d.loc.line, 0);
    assert_null(a.data);
  }
}

static void test_write_errors_leave_nothing(void **state) {
  (void)state;
  const float v[2] = {1, 2};
  const int64_t dims[1] = {2};
  char path[128];
  snprintf(path, sizeof path, "%s/no_such_dir/out.npy", tmpdir);
  Diag d;
  diag_clear(&d);
  int before = count_files(tmpdir);
  assert_int_equal(npy_write(path, DT_F32, 1, dims, v, &d), -1);
  assert_string_equal(d.file, path);
  assert_string_equal(d.msg, "cannot write: No such file or directory");
  assert_int_equal(count_files(tmpdir), before);

  const int64_t bad[1] = {-1};
  snprintf(path, sizeof path, "%s/neg.npy", tmpdir);
  diag_clear(&d);
  assert_int_equal(npy_write(path, DT_F32, 1, bad, v, &d), -1);
  assert_string_equal(d.msg, "cannot write negative dimension -1");
  diag_clear(&d);
  assert_int_equal(npy_write(path, DT_F32, QCC_MAX_RANK + 1, dims, v, &d), -1);
  assert_string_equal(d.msg, "cannot write rank 9 (maximum 8)");
  assert_int_equal(count_files(tmpdir), before);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_all_dtypes_and_ranks),
      cmocka_unit_test(test_write_matches_numpy_bytes),
      cmocka_unit_test(test_read_numpy_files),
      cmocka_unit_test(test_versions_2_and_3),
      cmocka_unit_test(test_key_order_quotes_and_scalar),
      cmocka_unit_test(test_bad_magic_and_version),
      cmocka_unit_test(test_unsupported_dtypes),
      cmocka_unit_test(test_bad_shapes),
      cmocka_unit_test(test_malformed_headers),
      cmocka_unit_test(test_data_length),
      cmocka_unit_test(test_numpy_written_bad_files),
      cmocka_unit_test(test_write_errors_leave_nothing),
  };
  return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
