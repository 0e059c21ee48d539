/* Helpers shared by the subcommands: model loading, diagnostics (option
 * parsing is options.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "fileio.h"
#include "frontend.h"

void driver_report(const Diag *d) { diag_render(stderr, d); }

int driver_usage_error(const char *sub, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "qcc %s: error: ", sub);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  return 1;
}

bool driver_is_help(const char *arg) {
  return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

Graph *driver_load_model(const char *sub, const char *path) {
  if (driver_is_onnx(path))
    return driver_import_model(sub, path);
  Diag d;
  diag_clear(&d);
  Graph *g;
  if (ends_with(path, ".qir")) {
    char *text;
    size_t len;
    if (qcc_read_file(path, &text, &len, &d)) {
      driver_report(&d);
      return NULL;
    }
    g = ir_parse(text, len, path, &d);
    free(text);
  } else {
    g = frontend_load_yaml(path, &d);
  }
  if (!g)
    driver_report(&d);
  return g;
}
