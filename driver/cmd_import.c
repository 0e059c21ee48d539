/* qcc import MODEL.onnx -o OUT.yaml [...]: converts an ONNX model to the
 * YAML model format (plus .npy weights in OUT.weights/) by running
 * tools/onnx_import.py with Debian's /usr/bin/python3, which needs the
 * python3-onnx and python3-numpy packages (docs/onnx.md).
 *
 * The script is looked up next to an installed qcc
 * (BINDIR/../share/qcc/onnx_import.py), then in the source tree this qcc was
 * built from. It is told to check its result with this very qcc
 * (`--check-with`), so an import that qcc could not load writes nothing.
 * The script does all the work and prints its own one-line errors; this
 * file only finds it and execs Python, with a one-line error naming the
 * Debian package when something is missing. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"

static const char python[] = "/usr/bin/python3";
static const char script_name[] = "onnx_import.py";

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
  const char *tail = strstr(f, "/driver/cmd_import.c");
  if (f[0] == '/' && tail && tail[strlen("/driver/cmd_import.c")] == 0)
    snprintf(out, cap, "%.*s", (int)(tail - f), f);
#endif
}

/* Copies the first readable candidate into out; lists them in looked. */
static bool find_script(char *out, size_t cap, char *looked, size_t lcap) {
  char dir[PATH_MAX], src[PATH_MAX];
  exe_dir(dir, sizeof dir);
  source_dir(src, sizeof src);
  const char *fmt[2] = {"%s/../share/qcc/%s", "%s/tools/%s"};
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

int cmd_import(int argc, char **argv) {
  if (access(python, X_OK) != 0)
    return driver_usage_error(
        "import",
        "%s is missing: install Debian's python3-onnx and python3-numpy "
        "(apt-get install python3-onnx python3-numpy)",
        python);
  char script[PATH_MAX + 64], looked[2 * PATH_MAX + 200];
  if (!find_script(script, sizeof script, looked, sizeof looked))
    return driver_usage_error("import", "cannot find %s (looked for %s)",
                              script_name, looked[0] ? looked : "nothing");
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  bool have_self = n > 0;
  if (have_self)
    self[n] = 0;
  /* python3 SCRIPT --prog "qcc import" [--check-with QCC] ARGS... */
  char **args = calloc((size_t)argc + 8, sizeof(char *));
  if (!args)
    return driver_usage_error("import", "out of memory");
  int k = 0;
  args[k++] = (char *)"python3";
  args[k++] = script;
  args[k++] = (char *)"--prog";
  args[k++] = (char *)"qcc import";
  if (have_self) {
    args[k++] = (char *)"--check-with";
    args[k++] = self;
  }
  for (int i = 1; i < argc; i++)
    args[k++] = argv[i];
  args[k] = NULL;
  fflush(stdout);
  fflush(stderr);
  execv(python, args);
  int err = errno;
  free(args);
  return driver_usage_error("import", "cannot run %s: %s", python,
                            strerror(err));
}
