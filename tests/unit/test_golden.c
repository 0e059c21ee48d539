/* Golden tests of the float reference interpreter: every folder under
 * tests/golden/ (written by tests/golden/gen_goldens.py, expected values
 * computed with NumPy) is one cmocka test named after the folder. Each loads
 * model.yaml through the frontend, feeds input_<i>.npy, runs the interpreter
 * and compares every graph output with expected_<name>.npy:
 *
 *     |got - expected| <= 1e-5 + 1e-5 * |expected|   elementwise
 *
 * (docs/ops.md explains why the interpreter is that close). A failure names
 * the case, the output, the element (flat and multi-index) and both values.
 * Resources are released before asserting, so a failing case does not also
 * show up as a leak.
 */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "frontend.h"
#include "interp.h"
#include "ir.h"
#include "npy.h"

#define GOLDEN_DIR QCC_SOURCE_DIR "/tests/golden"
#define GOLDEN_ATOL 1e-5
#define GOLDEN_RTOL 1e-5
#define GOLDEN_MAX_REPORTED 8 /* mismatching elements printed per output */

typedef struct GoldenCase {
  char name[256];
  char dir[1024];
} GoldenCase;

/* Why a case failed, filled by the first failing step. */
typedef struct Failure {
  char msg[2048];
  bool failed;
} Failure;

static void failf(Failure *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void failf(Failure *f, const char *fmt, ...) {
  if (f->failed)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->msg, sizeof f->msg, fmt, ap);
  va_end(ap);
  f->failed = true;
}

static void fail_diag(Failure *f, const char *what, const Diag *d) {
  char buf[QCC_DIAG_MSG_MAX + 300];
  failf(f, "%s: %s", what, diag_format(d, buf, sizeof buf));
}

static bool same_shape(int rank, const int64_t *dims, const NpyArray *a) {
  if (rank != a->rank)
    return false;
  for (int i = 0; i < rank; i++)
    if (dims[i] != a->dims[i])
      return false;
  return true;
}

/* "[i, j, k]" of flat index `flat` in a row-major array of shape dims. */
static const char *multi_index(int rank, const int64_t *dims, int64_t flat,
                               char *buf, size_t n) {
  int64_t idx[QCC_MAX_RANK];
  for (int i = rank - 1; i >= 0; i--) {
    idx[i] = dims[i] > 0 ? flat % dims[i] : 0;
    flat = dims[i] > 0 ? flat / dims[i] : 0;
  }
  size_t len = (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < rank && len < n; i++)
    len += (size_t)snprintf(buf + len, n - len, "%s%lld", i ? ", " : "",
                            (long long)idx[i]);
  if (len < n)
    snprintf(buf + len, n - len, "]");
  return buf;
}

/* Compares one output; prints each mismatch (up to a limit) and returns the
 * number of mismatching elements. */
static int64_t compare_output(const GoldenCase *gc, const Tensor *t,
                              const float *got, const float *want) {
  int64_t n = ir_tensor_numel(t), bad = 0;
  for (int64_t i = 0; i < n; i++) {
    double g = got[i], w = want[i];
    bool ok = isnan(w) ? isnan(g)
                       : fabs(g - w) <= GOLDEN_ATOL + GOLDEN_RTOL * fabs(w);
    if (ok)
      continue;
    if (bad++ < GOLDEN_MAX_REPORTED) {
      char mi[128];
      print_error("golden %s: output '%s' element %lld %s: got %.9g, "
                  "expected %.9g (diff %.3g)\n",
                  gc->name, t->name, (long long)i,
                  multi_index(t->rank, t->dims, i, mi, sizeof mi), g, w,
                  fabs(g - w));
    }
  }
  return bad;
}

/* Counts the files named expected_*.npy in dir. */
static int count_expected_files(const char *dir) {
  DIR *dp = opendir(dir);
  if (!dp)
    return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dp)) != NULL) {
    size_t len = strlen(e->d_name);
    if (strncmp(e->d_name, "expected_", 9) == 0 && len > 13 &&
        strcmp(e->d_name + len - 4, ".npy") == 0)
      n++;
  }
  closedir(dp);
  return n;
}

static bool file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* Loads, runs and compares one case; everything it allocates is freed
 * before it returns. */
static void run_case(const GoldenCase *gc, Failure *f) {
  char path[1400];
  Diag d = {0};
  snprintf(path, sizeof path, "%s/model.yaml", gc->dir);
  Graph *g = frontend_load_yaml(path, &d);
  if (!g) {
    fail_diag(f, "frontend_load_yaml", &d);
    return;
  }
  Interp *ip = interp_create(g, &d);
  if (!ip) {
    fail_diag(f, "interp_create", &d);
    ir_graph_destroy(g);
    return;
  }

  for (int i = 0; i < g->num_inputs && !f->failed; i++) {
    const Tensor *t = g->inputs[i];
    NpyArray a = {0};
    snprintf(path, sizeof path, "%s/input_%d.npy", gc->dir, i);
    if (npy_read(path, &a, &d)) {
      fail_diag(f, "npy_read", &d);
      break;
    }
    if (a.dtype != DT_F32 || !same_shape(t->rank, t->dims, &a)) {
      char s1[96], s2[96];
      failf(f, "%s: %s %s, but input '%s' is f32 %s", path,
            dtype_name(a.dtype), ir_shape_str(a.rank, a.dims, s1, sizeof s1),
            t->name, ir_shape_str(t->rank, t->dims, s2, sizeof s2));
    } else {
      interp_set_input(ip, i, a.data);
    }
    npy_free(&a);
  }
  snprintf(path, sizeof path, "%s/input_%d.npy", gc->dir, g->num_inputs);
  if (!f->failed && file_exists(path))
    failf(f, "%s exists but the model has %d inputs", path, g->num_inputs);
  int n_expected = count_expected_files(gc->dir);
  if (!f->failed && n_expected != g->num_outputs)
    failf(f, "%s: %d expected_*.npy files for %d outputs", gc->dir,
          n_expected, g->num_outputs);

  if (!f->failed && interp_run(ip, &d))
    fail_diag(f, "interp_run", &d);

  for (int j = 0; j < g->num_outputs && !f->failed; j++) {
    const Tensor *t = g->outputs[j];
    NpyArray a = {0};
    snprintf(path, sizeof path, "%s/expected_%s.npy", gc->dir, t->name);
    if (npy_read(path, &a, &d)) {
      fail_diag(f, "npy_read", &d);
      break;
    }
    char s1[96], s2[96];
    if (a.dtype != DT_F32 || !same_shape(t->rank, t->dims, &a)) {
      failf(f, "%s: %s %s, but output '%s' is f32 %s", path,
            dtype_name(a.dtype), ir_shape_str(a.rank, a.dims, s1, sizeof s1),
            t->name, ir_shape_str(t->rank, t->dims, s2, sizeof s2));
    } else {
      int64_t bad = compare_output(gc, t, interp_value(ip, t), a.data);
      if (bad)
        failf(f, "output '%s' %s: %lld of %lld elements outside "
              "%g + %g*|expected|", t->name,
              ir_shape_str(t->rank, t->dims, s1, sizeof s1), (long long)bad,
              (long long)ir_tensor_numel(t), GOLDEN_ATOL, GOLDEN_RTOL);
    }
    npy_free(&a);
  }
  interp_destroy(ip);
  ir_graph_destroy(g);
}

static void test_golden_case(void **state) {
  const GoldenCase *gc = *state;
  Failure f = {0};
  run_case(gc, &f);
  if (f.failed) {
    print_error("golden %s: %s\n", gc->name, f.msg);
    fail();
  }
}

static int compare_names(const void *a, const void *b) {
  return strcmp(((const GoldenCase *)a)->name, ((const GoldenCase *)b)->name);
}

/* Every sub-folder of tests/golden holding a model.yaml, sorted by name.
 * Returns the count (0 when the folder cannot be read). */
static int find_cases(GoldenCase **out) {
  *out = NULL;
  DIR *dp = opendir(GOLDEN_DIR);
  if (!dp)
    return 0;
  int n = 0, cap = 0;
  GoldenCase *cases = NULL;
  struct dirent *e;
  while ((e = readdir(dp)) != NULL) {
    if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof cases->name)
      continue;
    char model[1400];
    snprintf(model, sizeof model, GOLDEN_DIR "/%s/model.yaml", e->d_name);
    if (!file_exists(model))
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      GoldenCase *grown = realloc(cases, sizeof *cases * (size_t)cap);
      if (!grown) {
        free(cases);
        closedir(dp);
        return 0;
      }
      cases = grown;
    }
    snprintf(cases[n].name, sizeof cases[n].name, "%s", e->d_name);
    snprintf(cases[n].dir, sizeof cases[n].dir, GOLDEN_DIR "/%s", e->d_name);
    n++;
  }
  closedir(dp);
  if (n > 0)
    qsort(cases, (size_t)n, sizeof *cases, compare_names);
  *out = cases;
  return n;
}

/* The generator writes ~80 cases; far fewer means the folder was not found
 * or lost cases, which would otherwise pass silently as "nothing to do". */
static int golden_case_count;
static void test_golden_cases_present(void **state) {
  (void)state;
  if (golden_case_count < 50)
    print_error("only %d golden cases under %s\n", golden_case_count,
                GOLDEN_DIR);
  assert_true(golden_case_count >= 50);
}

int main(void) {
  GoldenCase *cases;
  int n = find_cases(&cases);
  golden_case_count = n;
  struct CMUnitTest *tests = calloc((size_t)n + 1, sizeof *tests);
  if (!tests) {
    free(cases);
    return 1;
  }
  tests[0] = (struct CMUnitTest)cmocka_unit_test(test_golden_cases_present);
  for (int i = 0; i < n; i++)
    tests[i + 1] = (struct CMUnitTest){
        .name = cases[i].name,
        .test_func = test_golden_case,
        .initial_state = &cases[i],
    };
  int rc = _cmocka_run_group_tests("golden", tests, (size_t)n + 1, NULL, NULL);
  free(tests);
  free(cases);
  return rc;
}
