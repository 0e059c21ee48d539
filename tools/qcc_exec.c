/* qcc-exec: runs a compiled model's shared library on .npy inputs, the way
 * an app would, and writes the outputs as .npy, so tests compare compiled
 * code with `qcc run` (the interpreters) file by file. Everything it needs
 * comes from the library's descriptor (<prefix>_info).
 *
 *   qcc-exec LIB.so --input NAME=FILE.npy ... --output-dir DIR
 *            [--prefix P] [--threads N] [--repeat N]
 *            [--preprocess RECIPE] [--save-inputs]
 *
 * An input may be a photo (png, jpg, ...), prepared by --preprocess the
 * way `qcc --calib-images` prepares calibration photos (the same runtime
 * code); --save-inputs also writes each input as <NAME>.input.npy.
 * --threads N > 1 runs <prefix>_run_parallel on a qcc_threadpool of N
 * threads; --repeat N runs N times and prints the median time per run. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fileio.h"
#include "image.h"
#include "npy.h"
#include "qcc_runtime.h"

typedef int (*RunFn)(void *, ...);

/* DIR/NAME + suffix, with '/' in the tensor name made '_'. */
static void npy_path(const char *dir, const char *name, const char *suffix,
                     char *path, size_t size) {
  snprintf(path, size, "%s/", dir);
  size_t at = strlen(path);
  for (const char *c = name; *c && at + strlen(suffix) + 1 < size; c++)
    path[at++] = *c == '/' ? '_' : *c;
  snprintf(path + at, size - at, "%s", suffix);
}

static int fail(const char *fmt, const char *arg) {
  fprintf(stderr, "qcc-exec: error: ");
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  return 1;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Calls fn with ws, [par], then the n data pointers (up to 16). */
static int call(void *fn, bool parallel, void *ws, const qcc_parallel *par,
                void **p, int n) {
  typedef int (*F)(void *, ...);
  F f = (F)fn;
  void *a[16] = {0};
  for (int i = 0; i < n && i < 16; i++)
    a[i] = p[i];
#define ARGS a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], \
             a[11], a[12], a[13], a[14], a[15]
  return parallel ? f(ws, par, ARGS) : f(ws, ARGS);
#undef ARGS
}

int main(int argc, char **argv) {
  const char *lib = NULL, *out_dir = NULL, *prefix = NULL;
  const char *inputs[16][2];
  const char *recipe = "";
  int num_inputs = 0, threads = 1, repeat = 1, save_inputs = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--input") == 0 && i + 1 < argc) {
      char *v = argv[++i], *eq = strchr(v, '=');
      if (!eq || num_inputs == 16)
        return fail("--input needs NAME=FILE.npy, got '%s'", v);
      *eq = 0;
      inputs[num_inputs][0] = v;
      inputs[num_inputs++][1] = eq + 1;
    } else if (strcmp(argv[i], "--output-dir") == 0 && i + 1 < argc) {
      out_dir = argv[++i];
    } else if (strcmp(argv[i], "--prefix") == 0 && i + 1 < argc) {
      prefix = argv[++i];
    } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--preprocess") == 0 && i + 1 < argc) {
      recipe = argv[++i];
    } else if (strcmp(argv[i], "--save-inputs") == 0) {
      save_inputs = 1;
    } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
      repeat = atoi(argv[++i]);
    } else if (argv[i][0] == '-') {
      return fail("unknown option '%s'", argv[i]);
    } else {
      lib = argv[i];
    }
  }
  if (!lib || !out_dir || threads < 1 || repeat < 1)
    return fail("%s", "usage: qcc-exec LIB.so --input NAME=FILE.npy ... "
                      "--output-dir DIR [--prefix P] [--threads N] [--repeat N]");
  char pfx[256];
  if (!prefix) { /* lib<prefix>.so */
    const char *base = strrchr(lib, '/') ? strrchr(lib, '/') + 1 : lib;
    if (strncmp(base, "lib", 3) == 0)
      base += 3;
    snprintf(pfx, sizeof pfx, "%s", base);
    char *dot = strstr(pfx, ".so");
    if (dot)
      *dot = 0;
    prefix = pfx;
  }
  void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (!h)
    return fail("%s", dlerror());
  char sym[300];
  snprintf(sym, sizeof sym, "%s_info", prefix);
  const qcc_model_info *info = dlsym(h, sym);
  snprintf(sym, sizeof sym, "%s_run%s", prefix, threads > 1 ? "_parallel" : "");
  void *run = dlsym(h, sym);
  if (!info || !run)
    return fail("no %s in the library", sym);
  int n = info->num_inputs + info->num_outputs;
  if (n > 16)
    return fail("%s: more than 16 inputs and outputs", info->name);
  void *ptrs[16] = {0};
  NpyArray arrays[16];
  memset(arrays, 0, sizeof arrays);
  Diag d;
  diag_clear(&d);
  for (int k = 0; k < info->num_inputs; k++) {
    const qcc_tensor_info *t = &info->inputs[k];
    const char *path = NULL;
    for (int i = 0; i < num_inputs; i++)
      if (strcmp(inputs[i][0], t->name) == 0)
        path = inputs[i][1];
    if (!path)
      return fail("missing --input %s=FILE.npy", t->name);
    if (image_is_image_file(path) ? image_load_input(path, recipe, t->name, t->rank,
                                                     t->dims, &arrays[k], &d)
                                  : npy_read(path, &arrays[k], &d)) {
      char buf[600];
      return fail("%s", diag_format(&d, buf, sizeof buf));
    }
    int64_t numel = 1;
    for (int r = 0; r < arrays[k].rank; r++)
      numel *= arrays[k].dims[r];
    if (arrays[k].dtype != DT_F32 || numel * 4 != t->bytes)
      return fail("input '%s' must be f32 of the model's shape", t->name);
    ptrs[k] = arrays[k].data;
  }
  for (int k = 0; k < info->num_outputs; k++)
    if (!(ptrs[info->num_inputs + k] = calloc(1, (size_t)info->outputs[k].bytes)))
      return fail("%s", "out of memory");
  void *ws = aligned_alloc(64, (size_t)((info->workspace_size + 63) / 64 * 64 + 64));
  qcc_threadpool *pool = threads > 1 ? qcc_threadpool_create(threads) : NULL;
  qcc_parallel par = pool ? qcc_threadpool_parallel(pool) : (qcc_parallel){0};
  if (!ws || (threads > 1 && !pool))
    return fail("%s", "out of memory");
  double *times = calloc((size_t)repeat, sizeof(double));
  for (int r = 0; r < repeat; r++) {
    double t0 = now();
    int rc = call(run, threads > 1, ws, &par, ptrs, n);
    times[r] = now() - t0;
    if (rc != 0)
      return fail("%s returned an error", sym);
  }
  qsort(times, (size_t)repeat, sizeof(double), cmp_double);
  snprintf(sym, sizeof sym, "%s_target", prefix);
  const char *(*target)(void) = (const char *(*)(void))dlsym(h, sym);
  if (repeat > 1)
    printf("%s: median %.3f ms over %d runs (%d thread%s, %s code)\n", info->name,
           times[repeat / 2] * 1e3, repeat, threads, threads == 1 ? "" : "s",
           target ? target() : "?");
  if (qcc_make_dirs(out_dir, &d))
    return fail("cannot create %s", out_dir);
  for (int k = 0; k < n; k++) {
    bool is_input = k < info->num_inputs;
    if (is_input && !save_inputs)
      continue;
    const qcc_tensor_info *t =
        is_input ? &info->inputs[k] : &info->outputs[k - info->num_inputs];
    char path[1024];
    npy_path(out_dir, t->name, is_input ? ".input.npy" : ".npy", path, sizeof path);
    if (npy_write(path, DT_F32, t->rank, t->dims, ptrs[k], &d)) {
      char buf[600];
      return fail("%s", diag_format(&d, buf, sizeof buf));
    }
  }
  for (int k = 0; k < info->num_inputs; k++)
    npy_free(&arrays[k]);
  for (int k = 0; k < info->num_outputs; k++)
    free(ptrs[info->num_inputs + k]);
  free(ws);
  free(times);
  qcc_threadpool_destroy(pool);
  dlclose(h);
  return 0;
}
