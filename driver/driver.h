/* The qcc driver: subcommands and the helpers they share. The driver is
 * the only place that prints diagnostics or decides exit codes:
 * 0 success, 1 user error (bad input, bad usage). */
#ifndef QCC_DRIVER_H
#define QCC_DRIVER_H

#include <stdbool.h>

#include "ir.h"
#include "options.h"

int cmd_check(int argc, char **argv);
int cmd_print(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_opt(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_kernels(int argc, char **argv);

/* Loads a model: `.qir` files as textual IR, `.onnx` files through the
 * importer (onnx_input.c), anything else as YAML. On error prints the
 * diagnostic (naming subcommand `sub` where it is the driver's) and returns
 * NULL. */
Graph *driver_load_model(const char *sub, const char *path);

/* ONNX input (onnx_input.c). The import options every command that loads a
 * model takes; ids from IMPORT_FIRST_ID on. */
#define IMPORT_FIRST_ID 200
enum { IMPORT_KEEP = IMPORT_FIRST_ID, IMPORT_SHAPE, IMPORT_NAME };
extern const OptSpec driver_import_options[];
/* Takes option `id` if it is an import option: 1 taken, 0 not one, -1 a
 * usage error (printed). */
int driver_import_option(const char *sub, int id, const char *value);
bool driver_is_onnx(const char *path);
/* Imports `onnx` (to --keep-import's path or a temporary folder removed at
 * exit) and loads the result; NULL after printing the error. */
Graph *driver_import_model(const char *sub, const char *onnx);
/* Runs the importer script with ARGS (model, -o OUT, ...) under the first
 * Python that has onnx and numpy: 0 on success, 1 after an error (the
 * script's own, or one naming what was tried and the install command). */
int driver_run_importer(const char *sub, int nargs, char **args);
/* Prints a diagnostic (message, source line, caret) to stderr. */
void driver_report(const Diag *d);
/* Prints "qcc SUB: error: msg" for usage errors; returns 1. */
int driver_usage_error(const char *sub, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool driver_is_help(const char *arg);

#endif
