/* qcc-exec: runs a compiled model's shared library on .npy inputs, the way
 * an app would, and writes the outputs as .npy, so tests compare compiled
 * code with `qcc run` (the interpreters) file by file. Everything it needs
 * comes from the library's descriptor (<prefix>_info); `qcc-exec --help`
 * prints the options (usage_text below).
 *
 * An input may be a photo (png, jpg, ...), prepared by --preprocess the
 * way `qcc --calib-images` prepares calibration photos (the same runtime
 * code); --save-inputs also writes each input as <NAME>.input.npy.
 * --threads N > 1 runs <prefix>_run_parallel on a qcc_threadpool of N
 * threads; --repeat N runs N times and prints the median time per run,
 * naming the code (int8 or f32, from the descriptor's node counts) so two
 * such lines can be told apart, in ms, or in µs below a millisecond. */
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

static const char usage_text[] =
    "usage: qcc-exec LIB.so --input NAME=FILE ... --output-dir DIR [options]\n"
    "\n"
    "Runs a library from `qcc compile` (any --target: avx2, avx512vnni,\n"
    "avx512amx, generic, native, multi, avx512vnni-emulated,\n"
    "avx512amx-emulated) on the given inputs and\n"
    "writes each output as DIR/<output name>.npy.\n"
    "\n"
    "options:\n"
    "  --input NAME=FILE    the model input NAME: an f32 .npy of its shape, or\n"
    "                       a photo (png, jpg, ...) prepared by --preprocess\n"
    "  --output-dir DIR     where the outputs go (created if missing)\n"
    "  --prefix P           the library's symbol prefix (default: LIB's name\n"
    "                       without lib and .so, as `qcc compile --name`)\n"
    "  --threads N          run <prefix>_run_parallel on N threads (default 1)\n"
    "  --repeat N           run N times and print the median time per run\n"
    "  --preprocess RECIPE  for photo inputs, as `qcc compile --preprocess`\n"
    "  --save-inputs        also write each input as DIR/<NAME>.input.npy\n"
    "  -h, --help           print this help\n";

static int fail(const char *fmt, const char *arg) {
  fprintf(stderr, "qcc-exec: error: ");
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  return 1;
}

/* A usage error: what was wrong, then where the help is. */
static int usage_error(const char *fmt, const char *arg) {
  fail(fmt, arg);
  fputs("usage: qcc-exec LIB.so --input NAME=FILE ... --output-dir DIR "
        "[options] (qcc-exec --help)\n", stderr);
  return 1;
}

/* The value of option NAME at argv[*i], given as "NAME VALUE" or
 * "NAME=VALUE" (as the qcc driver takes them); NULL if argv[*i] is not
 * NAME. *missing is set when NAME comes without a value. */
static const char *option(int argc, char **argv, int *i, const char *name,
                          bool *missing) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0)
    return NULL;
  if (argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (argv[*i][n] != 0)
    return NULL;
  if (*i + 1 >= argc) {
    *missing = true;
    return NULL;
  }
  return argv[++*i];
}

/* A time in seconds as "12.345 ms", or "12.34 µs" below a millisecond,
 * where "0.000 ms" would say nothing. */
static const char *format_time(double s, char *buf, size_t size) {
  if (s < 1e-3)
    snprintf(buf, size, "%.2f \xc2\xb5s", s * 1e6);
  else
    snprintf(buf, size, "%.3f ms", s * 1e3);
  return buf;
}

/* What the library computes in, from its descriptor's node counts. */
static const char *code_kind(const qcc_model_info *info) {
  if (info->int8_nodes == 0)
    return "f32";
  return info->f32_nodes == 0 ? "int8" : "int8 + f32";
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
    const char *v;
    bool missing = false;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage_text, stdout);
      return 0;
    } else if ((v = option(argc, argv, &i, "--input", &missing))) {
      char *eq = strchr(v, '=');
      if (!eq || eq == v)
        return usage_error("--input needs NAME=FILE, got '%s'", v);
      if (num_inputs == 16)
        return usage_error("more than 16 --input (at '%s')", v);
      *eq = 0; /* argv's own memory */
      inputs[num_inputs][0] = v;
      inputs[num_inputs++][1] = eq + 1;
    } else if ((v = option(argc, argv, &i, "--output-dir", &missing))) {
      out_dir = v;
    } else if ((v = option(argc, argv, &i, "--prefix", &missing))) {
      prefix = v;
    } else if ((v = option(argc, argv, &i, "--threads", &missing))) {
      threads = atoi(v);
      if (threads < 1)
        return usage_error("--threads needs a count >= 1, got '%s'", v);
    } else if ((v = option(argc, argv, &i, "--preprocess", &missing))) {
      recipe = v;
    } else if (strcmp(argv[i], "--save-inputs") == 0) {
      save_inputs = 1;
    } else if ((v = option(argc, argv, &i, "--repeat", &missing))) {
      repeat = atoi(v);
      if (repeat < 1)
        return usage_error("--repeat needs a count >= 1, got '%s'", v);
    } else if (missing) {
      return usage_error("%s needs a value", argv[i]);
    } else if (strncmp(argv[i], "--target", 8) == 0) {
      /* A library holds its target already; say where the choice is made. */
      return usage_error("%s: the target is chosen by `qcc compile --target=T` "
                         "(avx2, avx512vnni, avx512amx, generic, native, multi, "
                         "avx512vnni-emulated, avx512amx-emulated); qcc-exec runs the "
                         "library as built",
                         argv[i]);
    } else if (argv[i][0] == '-') {
      return usage_error("unknown option '%s'", argv[i]);
    } else if (lib) {
      return usage_error("one library at a time (also got '%s')", argv[i]);
    } else {
      lib = argv[i];
    }
  }
  if (!lib)
    return usage_error("%s", "no library (LIB.so) given");
  if (!out_dir)
    return usage_error("%s", "no --output-dir given");
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
    if (rc == QCC_STATUS_NONFINITE_INPUT)
      return fail("%s returned QCC_STATUS_NONFINITE_INPUT: an input holds NaN "
                  "or an infinity, which int8 code cannot represent; no output "
                  "written", sym);
    if (rc != 0)
      return fail("%s returned QCC_STATUS_BAD_ARGUMENT", sym);
  }
  qsort(times, (size_t)repeat, sizeof(double), cmp_double);
  snprintf(sym, sizeof sym, "%s_target", prefix);
  const char *(*target)(void) = (const char *(*)(void))dlsym(h, sym);
  if (repeat > 1) {
    char t[32];
    printf("%s (%s): median %s over %d runs (%d thread%s, %s code)\n", info->name,
           code_kind(info), format_time(times[repeat / 2], t, sizeof t), repeat,
           threads, threads == 1 ? "" : "s", target ? target() : "?");
  }
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
