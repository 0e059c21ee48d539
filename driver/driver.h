/* The qcc driver: subcommands and the helpers they share. The driver is
 * the only place that prints diagnostics or decides exit codes:
 * 0 success, 1 user error (bad input, bad usage). */
#ifndef QCC_DRIVER_H
#define QCC_DRIVER_H

#include <stdbool.h>

#include "ir.h"

int cmd_check(int argc, char **argv);
int cmd_print(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_opt(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_kernels(int argc, char **argv);

/* Loads a model: `.qir` files as textual IR, anything else as YAML.
 * On error prints the diagnostic and returns NULL. */
Graph *driver_load_model(const char *path);
/* Prints a diagnostic (message, source line, caret) to stderr. */
void driver_report(const Diag *d);
/* Prints "qcc SUB: error: msg" for usage errors; returns 1. */
int driver_usage_error(const char *sub, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool driver_is_help(const char *arg);

#endif
