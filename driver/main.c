/* qcc: entry point and subcommand dispatch. */
#include <stdio.h>
#include <string.h>

#include <llvm-c/Core.h>

#include "driver.h"

static const struct {
  const char *name;
  int (*run)(int, char **);
  const char *summary;
} commands[] = {
    {"check", cmd_check, "parse and verify a model, print a summary"},
    {"print", cmd_print, "print a model as textual IR"},
    {"run", cmd_run, "run a model on .npy inputs with the reference interpreter"},
    {"opt", cmd_opt, "run passes over textual IR (or a model) and print the result"},
    {"compile", cmd_compile, "compile a model to an object file, a shared library and a C header"},
    {"kernels", cmd_kernels, "list the backend's kernels per target (names, tiles, what each computes)"},
    {"import", cmd_import, "convert an ONNX model to the YAML model format (needs python3-onnx)"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: qcc <command> [options]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-7s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n'qcc <command> --help' describes one command.\n"
               "'qcc --version' prints the versions of qcc and its LLVM.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 1;
  }
  if (driver_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    unsigned major, minor, patch;
    LLVMGetVersion(&major, &minor, &patch);
    printf("qcc %s (LLVM %u.%u.%u)\n", QCC_VERSION, major, minor, patch);
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "qcc: error: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 1;
}
