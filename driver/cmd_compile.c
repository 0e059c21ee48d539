/* qcc compile MODEL -o DIR: quantizes (optionally) and compiles a model to
 *   DIR/<name>.o        relocatable object (-fPIC), for static linking
 *   DIR/lib<name>.so    shared library (linked by the system's cc)
 *   DIR/<name>.h        the C API
 *   DIR/<name>.report.md  the quantization report (when quantizing)
 * and, with --emit, DIR/<name>.ll and DIR/<name>.s. Every file is written
 * to a temporary name and renamed into place; on error nothing is left. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "driver.h"
#include "fileio.h"
#include "header.h"
#include "quant_cli.h"
#include "quant_report.h"

static void compile_help(FILE *out) {
  fprintf(out,
          "usage: qcc compile MODEL.yaml|FILE.qir -o DIR [options]\n\n"
          "Compiles the model to DIR/<name>.o, DIR/lib<name>.so and\n"
          "DIR/<name>.h (see the header for the API). With --quant=static the\n"
          "model is calibrated and lowered to int8 first.\n\n"
          "options:\n"
          "  -o DIR               output folder (created if missing)\n"
          "  --target=T           avx2 (default), avx512vnni, generic, native,\n"
          "                       avx512vnni-emulated (the VNNI schedule with its\n"
          "                       dot-product step in plain IR: runs anywhere)\n"
          "  --name=NAME          symbol prefix and file name (default: the\n"
          "                       model's name as a C identifier)\n"
          "  --emit=LIST          also write llvm (<name>.ll) and/or asm (<name>.s)\n"
          "  -O0 .. -O3           LLVM optimization level (default -O3)\n\n%s",
          quant_cli_help);
}

static char *path_in(const char *dir, const char *prefix, const char *name,
                     const char *ext) {
  size_t n = strlen(dir) + strlen(prefix) + strlen(name) + strlen(ext) + 4;
  char *p = malloc(n);
  if (!p)
    QCC_DIE("out of memory");
  snprintf(p, n, "%s/%s%s%s", dir, prefix, name, ext);
  return p;
}

/* Links obj into a shared library at so_path through a temporary file. */
static int link_shared(const char *obj_path, const char *so_path, Diag *d) {
  size_t n = strlen(so_path) + 32;
  char *tmp = malloc(n);
  if (!tmp)
    QCC_DIE("out of memory");
  snprintf(tmp, n, "%s.tmp%ld", so_path, (long)getpid());
  pid_t pid = fork();
  if (pid == 0) {
    const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
    execlp(cc, cc, "-shared", "-o", tmp, obj_path, "-lm", (char *)NULL);
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    unlink(tmp);
    free(tmp);
    return diag_error(d, srcloc(so_path, 0, 0),
                      "linking the shared library failed (is a C compiler "
                      "installed as 'cc' or $CC?)");
  }
  if (rename(tmp, so_path) != 0) {
    int err = errno;
    unlink(tmp);
    free(tmp);
    return diag_error(d, srcloc(so_path, 0, 0), "cannot write: %s",
                      strerror(err));
  }
  free(tmp);
  return 0;
}

int cmd_compile(int argc, char **argv) {
  const char *model = NULL, *out_dir = NULL, *name = NULL, *emit_list = NULL;
  TargetKind target = TARGET_AVX2;
  int opt_level = 3, rc = 1;
  QuantCli qc = {0};
  PassContext ctx;
  pass_context_init(&ctx);
  QuantLog log = {0};
  CalibData calib = {0};
  Graph *g = NULL;
  BackendOutput out = {0};
  char *paths[5] = {0};
  char *default_report = NULL;
  for (int i = 1; i < argc; i++) {
    bool missing = false;
    const char *v;
    int q = quant_cli_option(&qc, argc, argv, &i, "compile");
    if (q < 0)
      goto done;
    if (q > 0)
      continue;
    if (driver_is_help(argv[i])) {
      compile_help(stdout);
      rc = 0;
      goto done;
    } else if ((v = driver_option(argc, argv, &i, "-o", &missing))) {
      out_dir = v;
    } else if ((v = driver_option(argc, argv, &i, "--target", &missing))) {
      if (backend_target_parse(v, &target)) {
        rc = driver_usage_error("compile", "unknown target '%s' (avx2, "
                                "avx512vnni, avx512vnni-emulated, generic, "
                                "native)", v);
        goto done;
      }
    } else if ((v = driver_option(argc, argv, &i, "--name", &missing))) {
      name = v;
    } else if ((v = driver_option(argc, argv, &i, "--emit", &missing))) {
      emit_list = v;
    } else if (strlen(argv[i]) == 3 && strncmp(argv[i], "-O", 2) == 0 &&
               argv[i][2] >= '0' && argv[i][2] <= '3') {
      opt_level = argv[i][2] - '0';
    } else if (missing) {
      rc = driver_usage_error("compile", "option '%s' needs a value", argv[i]);
      goto done;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      rc = driver_usage_error("compile", "unknown option '%s'", argv[i]);
      goto done;
    } else if (model) {
      rc = driver_usage_error("compile", "more than one model");
      goto done;
    } else {
      model = argv[i];
    }
  }
  if (!model || !out_dir) {
    compile_help(stderr);
    goto done;
  }
  int emit = 0;
  if (emit_list) {
    char *copy = strdup(emit_list);
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
      if (strcmp(tok, "llvm") == 0)
        emit |= BACKEND_EMIT_LLVM;
      else if (strcmp(tok, "asm") == 0)
        emit |= BACKEND_EMIT_ASM;
      else {
        rc = driver_usage_error("compile", "--emit takes llvm and/or asm, "
                                "got '%s'", tok);
        free(copy);
        goto done;
      }
    }
    free(copy);
  }
  if (!(g = driver_load_model(model)))
    goto done;
  char hash[17];
  quant_graph_hash(g, hash);
  char prefix[128];
  backend_c_identifier(name ? name : g->name, prefix, sizeof prefix);
  if (qc.mode && strcmp(qc.mode, "none") != 0) {
    bool need_calib = strcmp(qc.mode, "static") == 0 && !qc.load_profile;
    /* The quantization report is one of the artifacts; --report may name
     * a file inside the output folder. */
    Diag dd;
    diag_clear(&dd);
    if (qcc_make_dirs(out_dir, &dd) == 0 && !qc.report)
      qc.report = default_report = path_in(out_dir, "", prefix, ".report.md");
    if (quant_cli_setup(&qc, g, &ctx, &calib, need_calib, "compile"))
      goto done;
    ctx.log = &log;
    if (quant_cli_quantize(&qc, g, &ctx, "compile"))
      goto done;
  } else {
    Diag d;
    diag_clear(&d);
    if (pass_pipeline_run(g, "canonicalize", &ctx, NULL, &d)) {
      driver_report(&d);
      goto done;
    }
  }
  BackendOptions bo = {.target = target, .symbol_prefix = prefix, .source = model,
                       .source_hash = hash, .opt_level = opt_level};
  Diag d;
  diag_clear(&d);
  if (backend_compile(g, &bo, emit, &out, &d) || qcc_make_dirs(out_dir, &d)) {
    driver_report(&d);
    if (default_report)
      unlink(default_report);
    goto done;
  }
  paths[0] = path_in(out_dir, "", prefix, ".o");
  paths[1] = path_in(out_dir, "", prefix, ".h");
  paths[2] = path_in(out_dir, "lib", prefix, ".so");
  paths[3] = path_in(out_dir, "", prefix, ".ll");
  paths[4] = path_in(out_dir, "", prefix, ".s");
  if (qcc_write_file_atomic(paths[0], out.object, out.object_size, &d) ||
      qcc_write_file_atomic(paths[1], out.header, strlen(out.header), &d) ||
      link_shared(paths[0], paths[2], &d) ||
      (out.llvm_text &&
       qcc_write_file_atomic(paths[3], out.llvm_text, strlen(out.llvm_text), &d)) ||
      (out.asm_text &&
       qcc_write_file_atomic(paths[4], out.asm_text, strlen(out.asm_text), &d))) {
    driver_report(&d);
    for (int i = 0; i < 5; i++)
      unlink(paths[i]);
    if (default_report)
      unlink(default_report);
    goto done;
  }
  fprintf(stderr, "qcc compile: %s: %d kernels for %s; workspace %lld bytes "
          "(%lld without reuse, %d results in place); wrote %s, %s, %s\n",
          g->name, out.num_kernels, backend_target_name(target),
          (long long)out.workspace_size, (long long)out.workspace_naive,
          out.num_in_place, paths[0], paths[2], paths[1]);
  rc = 0;
done:
  for (int i = 0; i < 5; i++)
    free(paths[i]);
  free(default_report);
  backend_output_free(&out);
  ir_graph_destroy(g);
  calib_data_free(&calib);
  quant_log_free(&log);
  return rc;
}
