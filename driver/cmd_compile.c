/* qcc compile MODEL -o DIR: quantizes (optionally) and compiles a model to
 *   DIR/<name>.o        relocatable object (-fPIC), for static linking
 *   DIR/lib<name>.so    shared library (linked by the system's cc)
 *   DIR/<name>.h        the C API
 *   DIR/<name>.report.md  the quantization report (when quantizing)
 * and, with --emit, DIR/<name>.ll and DIR/<name>.s. The files are written
 * as one set (ir/output_set.h): under temporary names, renamed into place
 * together at the end; on error or interruption none is left. */
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
#include "options.h"
#include "output_set.h"
#include "quant_cli.h"
#include "quant_report.h"

enum { ID_OUTPUT = 2, ID_TARGET, ID_NAME, ID_EMIT, ID_OPT_LEVEL, ID_LAYOUT };

static const OptSpec compile_options[] = {
    {"-o", "DIR", "output folder (created if missing)", ID_OUTPUT, 0, NULL},
    {"--target", "T", "avx512amx, avx512vnni, avx2, generic (default:\n"
     "the best of these that this CPU runs), native,\n"
     "avx512vnni-emulated (the VNNI schedule with its\n"
     "dot-product step in plain IR: runs anywhere),\n"
     "avx512amx-emulated (the AMX tile schedule in\n"
     "plain IR), multi (avx512amx + avx512vnni + avx2\n"
     "+ generic in one library, chosen per call by\n"
     "cpuid); avx512amx falls back to its VNNI variant\n"
     "where the OS refuses the tiles (or QCC_NO_AMX=1)", ID_TARGET, 0, NULL},
    {"--name", "NAME", "symbol prefix and file name (default: the\n"
     "model's name as a C identifier)", ID_NAME, 0, NULL},
    {"--emit", "LIST", "also write llvm (<name>.ll) and/or asm (<name>.s)",
     ID_EMIT, 0, NULL},
    {"-O", "N", "LLVM optimization level (default -O3)", ID_OPT_LEVEL,
     OPT_JOINED, "-O0 .. -O3"},
    {"--layout", "L", "nhwc (default: the `layout` pass stores u8\n"
     "activations channels innermost between the\n"
     "kernels that have that form) or nchw (the pass does not run:\n"
     "layouts as the input gives them, NCHW unless\n"
     "a .qir says nhwc)", ID_LAYOUT, 0, NULL},
    OPT_SPEC_HELP,
    {0},
};

static void compile_help(FILE *out) {
  fprintf(out,
          "usage: qcc compile MODEL.yaml|MODEL.onnx|FILE.qir -o DIR [options]\n\n"
          "Compiles the model to DIR/<name>.o, DIR/lib<name>.so and\n"
          "DIR/<name>.h (see the header for the API). With --quant=static the\n"
          "model is calibrated and lowered to int8 first.\n\n");
  opt_print_table(out, "options:", compile_options);
  fprintf(out, "\n");
  opt_print_table(out, "quantization:", quant_cli_options);
  fprintf(out, "\n");
  opt_print_table(out, "ONNX models:", driver_import_options);
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

/* Links the staged object obj_path into a shared library staged as
 * so_path in the same set. */
static int link_shared(OutputSet *outputs, const char *obj_path,
                       const char *so_path, Diag *d) {
  const char *obj = output_set_stage(outputs, obj_path, d); /* its staged name */
  const char *tmp = obj ? output_set_stage(outputs, so_path, d) : NULL;
  if (!tmp)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
    execlp(cc, cc, "-shared", "-o", tmp, obj, "-lm", (char *)NULL);
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0)
    return diag_error(d, srcloc(so_path, 0, 0),
                      "linking the shared library failed (is a C compiler "
                      "installed as 'cc' or $CC?)");
  return 0;
}

/* Names whose lib<name>.so would shadow a library every C program or qcc's
 * own users link (-lm would find the model instead of libm). */
static const char *const system_libraries[] = {
    "c", "m", "dl", "rt", "pthread", "util", "crypt", "resolv", "anl",
    "gcc", "gcc_s", "stdc++", "atomic", "z", "yaml", "stb", "qcc_runtime",
};

static bool shadows_system_library(const char *name) {
  for (size_t i = 0; i < sizeof system_libraries / sizeof *system_libraries; i++)
    if (strcmp(name, system_libraries[i]) == 0)
      return true;
  return false;
}

int cmd_compile(int argc, char **argv) {
  const char *model = NULL, *out_dir = NULL, *name = NULL, *emit_list = NULL;
  TargetKind target = backend_target_host();
  bool target_given = false;
  int opt_level = 3, rc = 1;
  bool nhwc = true;
  QuantCli qc = {0};
  PassContext ctx;
  pass_context_init(&ctx);
  QuantLog log = {0};
  CalibData calib = {0};
  Graph *g = NULL;
  BackendOutput out = {0};
  char *paths[5] = {0};
  char *default_report = NULL;
  OutputSet *outputs = NULL;
  static const OptSpec *const tables[] = {compile_options, quant_cli_options,
                                          driver_import_options, NULL};
  OptParser p;
  opt_init(&p, "compile", argc, argv, tables);
  for (int id; (id = opt_next(&p)) != OPT_END;) {
    switch (id) {
    case OPT_ERROR:
      goto done;
    case OPT_HELP_ID:
      compile_help(stdout);
      rc = 0;
      goto done;
    case ID_OUTPUT:
      out_dir = p.value;
      break;
    case ID_TARGET:
      target_given = true;
      if (backend_target_parse(p.value, &target)) {
        rc = driver_usage_error("compile", "unknown target '%s' (avx2, "
                                "avx512vnni, avx512vnni-emulated, avx512amx, avx512amx-emulated, generic, "
                                "native, multi)", p.value);
        goto done;
      }
      break;
    case ID_NAME:
      name = p.value;
      break;
    case ID_EMIT:
      emit_list = p.value;
      break;
    case ID_OPT_LEVEL:
      if (p.value[0] < '0' || p.value[0] > '3' || p.value[1]) {
        rc = driver_usage_error("compile", "unknown option '%s'", p.arg);
        goto done;
      }
      opt_level = p.value[0] - '0';
      break;
    case ID_LAYOUT:
      if (strcmp(p.value, "nhwc") != 0 && strcmp(p.value, "nchw") != 0) {
        rc = driver_usage_error("compile", "--layout takes nhwc or nchw, got '%s'", p.value);
        goto done;
      }
      nhwc = strcmp(p.value, "nhwc") == 0;
      break;
    case OPT_ARG:
      if (model) {
        rc = driver_usage_error("compile", "more than one model");
        goto done;
      }
      model = p.value;
      break;
    default: {
      int taken = driver_import_option("compile", id, p.value);
      if (taken < 0 || (!taken && quant_cli_apply(&qc, id, p.value, "compile") < 0))
        goto done;
    }
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
  if (quant_cli_resolve(&qc, "compile"))
    goto done;
  if (!(g = driver_load_model("compile", model)))
    goto done;
  quant_graph_hash(g, qc.source_hash);
  qc.source_nodes = g->num_nodes;
  char prefix[128];
  backend_c_identifier(name ? name : g->name, prefix, sizeof prefix);
  if (shadows_system_library(prefix)) {
    rc = driver_usage_error("compile", "the library would be named lib%s.so, "
                            "which shadows the system's lib%s: choose "
                            "another name with --name=NAME", prefix, prefix);
    goto done;
  }
  /* Every artifact (object, library, header, report, profile, --emit
   * files) is staged into one set and renamed into place together at the
   * end: a failed or interrupted compile leaves none of them. */
  qc.outputs = outputs = output_set_create();
  if (qc.mode && strcmp(qc.mode, "none") != 0) {
    bool need_calib = strcmp(qc.mode, "static") == 0 && !qc.load_profile;
    if (!qc.report) /* the report is one of the artifacts */
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
  if (nhwc) {
    Diag d;
    diag_clear(&d);
    if (pass_pipeline_run(g, "layout", &ctx, NULL, &d)) {
      driver_report(&d);
      goto done;
    }
  }
  BackendOptions bo = {.target = target, .symbol_prefix = prefix, .source = model,
                       .source_hash = qc.source_hash, .opt_level = opt_level};
  Diag d;
  diag_clear(&d);
  if (backend_compile(g, &bo, emit, &out, &d) ||
      output_set_make_dir(outputs, out_dir, &d)) {
    driver_report(&d);
    goto done;
  }
  paths[0] = path_in(out_dir, "", prefix, ".o");
  paths[1] = path_in(out_dir, "", prefix, ".h");
  paths[2] = path_in(out_dir, "lib", prefix, ".so");
  paths[3] = path_in(out_dir, "", prefix, ".ll");
  paths[4] = path_in(out_dir, "", prefix, ".s");
  if (output_set_write(outputs, paths[0], out.object, out.object_size, &d) ||
      output_set_write(outputs, paths[1], out.header, strlen(out.header), &d) ||
      link_shared(outputs, paths[0], paths[2], &d) ||
      (out.llvm_text &&
       output_set_write(outputs, paths[3], out.llvm_text, strlen(out.llvm_text), &d)) ||
      (out.asm_text &&
       output_set_write(outputs, paths[4], out.asm_text, strlen(out.asm_text), &d))) {
    driver_report(&d);
    goto done;
  }
  int failed = output_set_commit(outputs, &d);
  outputs = NULL;
  if (failed) {
    driver_report(&d);
    goto done;
  }
  int num_nhwc = 0;
  for (int i = 0; i < g->num_tensors; i++)
    num_nhwc += g->tensors[i]->layout == LAYOUT_NHWC;
  char fused[512] = "";
  if (out.num_fused)
    snprintf(fused, sizeof fused, "; %d quantize%s done by a conv's pack", out.num_fused,
             out.num_fused > 1 ? "s" : "");
  if (out.num_sliced)
    snprintf(fused + strlen(fused), sizeof fused - strlen(fused),
             "; %d conv result%s stored in %s concat's output", out.num_sliced,
             out.num_sliced > 1 ? "s" : "", out.num_sliced > 1 ? "their" : "its");
  if (out.num_padded)
    snprintf(fused + strlen(fused), sizeof fused - strlen(fused),
             "; %d conv result%s stored as %s readers' padded input", out.num_padded,
             out.num_padded > 1 ? "s" : "", out.num_padded > 1 ? "their" : "its");
  if (out.num_on_tiles + out.num_off_tiles) {
    /* the per-layer choice: the layers that stay on VNNI, by name */
    size_t at = strlen(fused);
    at += (size_t)snprintf(fused + at, sizeof fused - at, "; %d int8 conv%s on AMX tiles, %d on VNNI",
                           out.num_on_tiles, out.num_on_tiles == 1 ? "" : "s", out.num_off_tiles);
    for (int i = 0, listed = 0; i < g->num_nodes && at < sizeof fused; i++) {
      const Node *n = g->nodes[i];
      if (backend_tile_choice(n, target) != 0)
        continue;
      if (listed == 6) {
        at += (size_t)snprintf(fused + at, sizeof fused - at, ", ...");
        break;
      }
      at += (size_t)snprintf(fused + at, sizeof fused - at, "%s%s", listed++ ? ", " : " (", n->name);
    }
    if (out.num_off_tiles && at < sizeof fused)
      snprintf(fused + at, sizeof fused - at, ": too few channels, pixels or K for a tile)");
  }
  fprintf(stderr, "qcc compile: %s: %d kernels for %s%s; %d activations NHWC%s; "
          "workspace %lld bytes (%lld without reuse, %d results in place); "
          "wrote %s, %s, %s\n",
          g->name, out.num_kernels, backend_target_name(target),
          target_given ? "" : " (this CPU's best; --target to choose)", num_nhwc, fused,
          (long long)out.workspace_size, (long long)out.workspace_naive,
          out.num_in_place, paths[0], paths[2], paths[1]);
  rc = 0;
done:
  output_set_abort(outputs);
  for (int i = 0; i < 5; i++)
    free(paths[i]);
  free(default_report);
  backend_output_free(&out);
  ir_graph_destroy(g);
  calib_data_free(&calib);
  quant_log_free(&log);
  return rc;
}
