/* ONNX models as input to every command: finding the importer script and a
 * Python that can run it, running it in a child, and the import options
 * (--keep-import, --import-shape, --import-name) that check, print, run,
 * opt and compile share (docs/onnx.md, "ONNX straight into qcc").
 *
 * Python: $QCC_PYTHON when set (and only it), else every python3 on PATH
 * in order, then /usr/bin/python3 (Debian's, where apt installs
 * python3-onnx). A candidate that lacks onnx or numpy makes the script exit
 * with IMPORT_MISSING_MODULES (it is told so through the environment, and
 * then says nothing), and the next one is tried; when none has them, one
 * error lists what was tried and the install command. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver.h"
#include "frontend.h"

enum { IMPORT_MISSING_MODULES = 3, MAX_PYTHONS = 16, MAX_SHAPES = 64 };

static const char script_name[] = "onnx_import.py";
static const char debian_python[] = "/usr/bin/python3";

const OptSpec driver_import_options[] = {
    {"--keep-import", "OUT.yaml", "for an .onnx model: keep the imported YAML\n"
     "(and OUT.weights/) instead of a temporary copy", IMPORT_KEEP, 0, NULL},
    {"--import-shape", "NAME=DIMS", "for an .onnx model: the static shape of an\n"
     "input with dynamic dims, as NAME=1,3,640,640\n"
     "(repeatable)", IMPORT_SHAPE, 0, NULL},
    {"--import-name", "NAME", "for an .onnx model: the model name (default:\n"
     "the ONNX graph name or the file name)", IMPORT_NAME, 0, NULL},
    {0},
};

static struct {
  const char *keep;
  const char *name;
  const char *shapes[MAX_SHAPES];
  int num_shapes;
  char temp_dir[PATH_MAX]; /* a temporary import, removed at exit */
} import_opts;

int driver_import_option(const char *sub, int id, const char *value) {
  switch (id) {
  case IMPORT_KEEP:
    import_opts.keep = value;
    return 1;
  case IMPORT_NAME:
    import_opts.name = value;
    return 1;
  case IMPORT_SHAPE:
    if (import_opts.num_shapes == MAX_SHAPES) {
      driver_usage_error(sub, "more than %d --import-shape options",
                         MAX_SHAPES);
      return -1;
    }
    import_opts.shapes[import_opts.num_shapes++] = value;
    return 1;
  default:
    return 0;
  }
}

bool driver_is_onnx(const char *path) {
  size_t n = strlen(path);
  return n >= 5 && strcmp(path + n - 5, ".onnx") == 0;
}

/* The folder of the running executable, or "" when unknown. */
static void exe_dir(char *out, size_t cap) {
  out[0] = 0;
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return;
  buf[n] = 0;
  char *slash = strrchr(buf, '/');
  if (!slash)
    return;
  *slash = 0;
  snprintf(out, cap, "%s", buf);
}

/* The source tree root: QCC_SOURCE_DIR when the build defines it, else
 * derived from this file's path (CMake compiles with absolute paths). */
static void source_dir(char *out, size_t cap) {
  out[0] = 0;
#ifdef QCC_SOURCE_DIR
  snprintf(out, cap, "%s", QCC_SOURCE_DIR);
#else
  const char *f = __FILE__;
  const char *tail = strstr(f, "/driver/onnx_input.c");
  if (f[0] == '/' && tail && tail[strlen("/driver/onnx_input.c")] == 0)
    snprintf(out, cap, "%.*s", (int)(tail - f), f);
#endif
}

/* The importer (frontend/onnx/): next to an installed qcc
 * (BINDIR/../share/qcc/onnx/), else in the source tree this qcc was built
 * from. Lists the places in looked. */
static bool find_script(char *out, size_t cap, char *looked, size_t lcap) {
  char dir[PATH_MAX], src[PATH_MAX];
  exe_dir(dir, sizeof dir);
  source_dir(src, sizeof src);
  const char *fmt[2] = {"%s/../share/qcc/onnx/%s", "%s/frontend/onnx/%s"};
  const char *base[2] = {dir, src};
  looked[0] = 0;
  for (int i = 0; i < 2; i++) {
    if (!base[i][0])
      continue;
    int len = snprintf(out, cap, fmt[i], base[i], script_name);
    if (len < 0 || (size_t)len >= cap)
      continue;
    if (access(out, R_OK) == 0)
      return true;
    size_t at = strlen(looked);
    if (at < lcap)
      snprintf(looked + at, lcap - at, "%s%s", at ? ", " : "", out);
  }
  out[0] = 0;
  return false;
}

static bool is_executable_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
         access(path, X_OK) == 0;
}

/* The candidates, as absolute paths, without repeats (a symlinked
 * /usr/bin/python3 on PATH is tried once). Returns how many. */
static int python_candidates(char out[][PATH_MAX], int cap) {
  int n = 0;
  const char *forced = getenv("QCC_PYTHON");
  bool bare = forced && forced[0] && !strchr(forced, '/');
  if (forced && forced[0] && !bare) {
    snprintf(out[n++], PATH_MAX, "%s", forced);
    return n;
  }
  char resolved[MAX_PYTHONS][PATH_MAX];
  const char *path = getenv("PATH");
  char *copy = strdup(path ? path : "");
  for (char *save = NULL, *dir = copy ? strtok_r(copy, ":", &save) : NULL;
       dir && n < cap - 1; dir = strtok_r(NULL, ":", &save)) {
    char cand[PATH_MAX];
    int len = snprintf(cand, sizeof cand, "%s/%s", dir[0] ? dir : ".",
                       bare ? forced : "python3");
    if (len < 0 || (size_t)len >= sizeof cand || !is_executable_file(cand))
      continue;
    char real[PATH_MAX];
    if (!realpath(cand, real))
      continue;
    bool seen = false;
    for (int i = 0; i < n; i++)
      seen |= strcmp(resolved[i], real) == 0;
    if (seen)
      continue;
    snprintf(resolved[n], PATH_MAX, "%s", real);
    snprintf(out[n++], PATH_MAX, "%s", cand);
  }
  free(copy);
  if (bare) { /* QCC_PYTHON=python3.11: that name on PATH, nothing else */
    if (n == 0)
      snprintf(out[n++], PATH_MAX, "%s", forced);
    return 1;
  }
  char real[PATH_MAX];
  if (is_executable_file(debian_python) && realpath(debian_python, real)) {
    bool seen = false;
    for (int i = 0; i < n; i++)
      seen |= strcmp(resolved[i], real) == 0;
    if (!seen && n < cap)
      snprintf(out[n++], PATH_MAX, "%s", debian_python);
  }
  return n;
}

/* Runs PYTHON SCRIPT ARGS... in a child and waits: its exit status, or
 * -1 when it could not be started, 128 + signal when it died of one. */
static int run_child(const char *python, char **argv) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    setenv("QCC_IMPORT_MISSING_STATUS", "3", 1);
    execv(python, argv);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int driver_run_importer(const char *sub, int nargs, char **args) {
  char script[PATH_MAX + 64], looked[2 * PATH_MAX + 200];
  if (!find_script(script, sizeof script, looked, sizeof looked))
    return driver_usage_error(sub, "cannot find the ONNX importer %s (looked "
                              "for %s)", script_name,
                              looked[0] ? looked : "nothing");
  char self[PATH_MAX];
  ssize_t sn = readlink("/proc/self/exe", self, sizeof self - 1);
  bool have_self = sn > 0;
  if (have_self)
    self[sn] = 0;
  char pythons[MAX_PYTHONS][PATH_MAX];
  int np = python_candidates(pythons, MAX_PYTHONS);
  char **argv = calloc((size_t)nargs + 8, sizeof(char *));
  if (!argv)
    return driver_usage_error(sub, "out of memory");
  char prog[64];
  snprintf(prog, sizeof prog, "qcc %s", sub);
  int k = 0;
  argv[k++] = (char *)"python3";
  argv[k++] = script;
  argv[k++] = (char *)"--prog";
  argv[k++] = prog;
  if (have_self) {
    argv[k++] = (char *)"--check-with";
    argv[k++] = self;
  }
  for (int i = 0; i < nargs; i++)
    argv[k++] = args[i];
  argv[k] = NULL;
  char tried[4096] = "";
  int rc = -1;
  for (int i = 0; i < np; i++) {
    rc = run_child(pythons[i], argv);
    if (rc != IMPORT_MISSING_MODULES && rc != 127 && rc != -1)
      break;
    size_t at = strlen(tried);
    if (at + 300 < sizeof tried)
      snprintf(tried + at, sizeof tried - at, "%s%.200s (%s)", at ? ", " : "",
             pythons[i],
             rc == IMPORT_MISSING_MODULES ? "no onnx or numpy module"
                                          : "does not start");
    rc = -1;
  }
  free(argv);
  if (rc < 0)
    return driver_usage_error(
        sub, "ONNX import needs a Python 3 with the modules onnx and numpy; "
        "tried %s: install Debian's python3-onnx and python3-numpy "
        "(apt-get install python3-onnx python3-numpy) or set QCC_PYTHON to "
        "a python3 that has them", tried[0] ? tried : "none on PATH");
  if (rc >= 128)
    return driver_usage_error(sub, "the ONNX importer died of signal %d",
                              rc - 128);
  return rc ? 1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int type,
                        struct FTW *ftw) {
  (void)st, (void)type, (void)ftw;
  remove(path);
  return 0;
}

static void remove_temp_import(void) {
  if (!import_opts.temp_dir[0])
    return;
  /* Depth first: OUT.weights/'s files, then the folders. */
  nftw(import_opts.temp_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
  import_opts.temp_dir[0] = 0;
}

/* The YAML path an import of `onnx` writes: --keep-import's, else
 * MODEL.yaml in a fresh temporary folder that is removed at exit (kept
 * until then so diagnostics can quote its lines). */
static int import_target(const char *onnx, char *out, size_t cap) {
  if (import_opts.keep) {
    snprintf(out, cap, "%s", import_opts.keep);
    return 0;
  }
  const char *tmp = getenv("TMPDIR");
  snprintf(import_opts.temp_dir, sizeof import_opts.temp_dir,
           "%s/qcc-import.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
  if (!mkdtemp(import_opts.temp_dir)) {
    import_opts.temp_dir[0] = 0;
    return -1;
  }
  atexit(remove_temp_import);
  const char *base = strrchr(onnx, '/');
  base = base ? base + 1 : onnx;
  size_t stem = strlen(base) - 5; /* without ".onnx" */
  snprintf(out, cap, "%s/%.*s.yaml", import_opts.temp_dir,
           stem ? (int)stem : 5, stem ? base : "model");
  return 0;
}

Graph *driver_import_model(const char *sub, const char *onnx) {
  char yaml[PATH_MAX + 64];
  if (import_target(onnx, yaml, sizeof yaml)) {
    driver_usage_error(sub, "cannot create a temporary folder for the ONNX "
                       "import: %s", strerror(errno));
    return NULL;
  }
  char *args[5 + 2 * MAX_SHAPES]; /* model, -o, yaml, --name, name, shapes */
  int k = 0;
  args[k++] = (char *)onnx;
  args[k++] = (char *)"-o";
  args[k++] = yaml;
  if (import_opts.name) {
    args[k++] = (char *)"--name";
    args[k++] = (char *)import_opts.name;
  }
  for (int i = 0; i < import_opts.num_shapes; i++) {
    args[k++] = (char *)"--shape";
    args[k++] = (char *)import_opts.shapes[i];
  }
  if (driver_run_importer(sub, k, args))
    return NULL;
  Diag d;
  diag_clear(&d);
  Graph *g = frontend_load_yaml(yaml, &d);
  if (!g)
    driver_report(&d);
  return g;
}
