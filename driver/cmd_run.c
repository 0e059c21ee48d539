/* qcc run MODEL --input NAME=FILE.npy ... --output-dir DIR: runs the float
 * reference interpreter and writes DIR/<output>.npy for every graph output.
 * Nothing is written unless the whole run succeeds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver.h"
#include "fileio.h"
#include "interp.h"
#include "image.h"
#include "npy.h"
#include "options.h"
#include "output_set.h"
#include "quant_cli.h"
#include "quant_report.h"

enum { ID_INPUT = 2, ID_OUTPUT_DIR, ID_REPEAT };

static const OptSpec run_options[] = {
    {"--input", "NAME=FILE.npy", "one graph input: a .npy, or a photo\n"
     "(with --preprocess)", ID_INPUT, 0, NULL},
    {"--output-dir", "DIR", "where the outputs are written (created if\n"
     "missing)", ID_OUTPUT_DIR, 0, NULL},
    {"--repeat", "N", "run N times and print the median time per run\n"
     "(benchmarks; outputs are those of the last run)", ID_REPEAT, 0, NULL},
    OPT_SPEC_HELP,
    {0},
};

static void run_help(FILE *out) {
  fprintf(out,
          "usage: qcc run MODEL.yaml|MODEL.onnx|FILE.qir --input NAME=FILE.npy ... "
          "--output-dir DIR\n\n"
          "Runs the model with the float reference interpreter. Every graph\n"
          "input needs one --input; the .npy must be f32 with exactly the\n"
          "input's shape. Writes DIR/<output name>.npy (f32) for every graph\n"
          "output; DIR is created if missing. Nothing is written on error.\n"
          "With --quant=static the model is calibrated, lowered to int8 and\n"
          "run by the int8 reference interpreter; outputs are dequantized to\n"
          "f32 so they compare directly with a float run.\n\n"
          "An --input may also be a photo (png, jpg, ...): it is decoded and\n"
          "preprocessed by the --preprocess recipe (see --calib-images).\n\n");
  opt_print_table(out, "options:", run_options);
  fprintf(out, "\n");
  opt_print_table(out, "quantization:", quant_cli_options);
  fprintf(out, "\n");
  opt_print_table(out, "ONNX models:", driver_import_options);
}

typedef struct RunInput {
  const char *name, *path;
} RunInput;

/* Reads and checks every input; fills arrays[] indexed like g->inputs. */
static int load_inputs(const Graph *g, const RunInput *given, int num_given,
                       NpyArray *arrays, const char *recipe) {
  Diag d;
  diag_clear(&d);
  for (int i = 0; i < num_given; i++) {
    int idx = -1;
    for (int k = 0; k < g->num_inputs; k++)
      if (strcmp(g->inputs[k]->name, given[i].name) == 0)
        idx = k;
    if (idx < 0)
      return driver_usage_error("run", "model '%s' has no input '%s'",
                                g->name, given[i].name);
    if (arrays[idx].data)
      return driver_usage_error("run", "input '%s' given twice", given[i].name);
    if (image_is_image_file(given[i].path) && !recipe)
      return driver_usage_error("run", "--input %s=%s is a photo: give "
                                "--preprocess=RECIPE, the model's own "
                                "preprocessing (raw 0-255 pixels are not what "
                                "it was trained on)", given[i].name,
                                given[i].path);
    if (image_is_image_file(given[i].path)
            ? image_load_input(given[i].path, recipe, g->inputs[idx]->name,
                               g->inputs[idx]->rank, g->inputs[idx]->dims, &arrays[idx], &d)
            : npy_read(given[i].path, &arrays[idx], &d)) {
      driver_report(&d);
      return 1;
    }
    const Tensor *t = g->inputs[idx];
    NpyArray *a = &arrays[idx];
    bool same = a->rank == t->rank;
    for (int k = 0; same && k < t->rank; k++)
      same = a->dims[k] == t->dims[k];
    char s1[128], s2[128];
    if (a->dtype != DT_F32)
      diag_error(&d, srcloc(given[i].path, 0, 0),
                 "input '%s' must be f32, the file holds %s", t->name,
                 dtype_name(a->dtype));
    else if (!same)
      diag_error(&d, srcloc(given[i].path, 0, 0),
                 "input '%s' has shape %s, the file holds %s", t->name,
                 ir_shape_str(t->rank, t->dims, s1, sizeof s1),
                 ir_shape_str(a->rank, a->dims, s2, sizeof s2));
    if (d.has_error) {
      driver_report(&d);
      return 1;
    }
  }
  for (int k = 0; k < g->num_inputs; k++)
    if (!arrays[k].data)
      return driver_usage_error("run", "missing --input %s=FILE.npy",
                                g->inputs[k]->name);
  return 0;
}

/* Stages DIR/<output>.npy for every graph output into the run's set. */
static int write_outputs(const Graph *g, const Interp *ip, const char *dir,
                         OutputSet *outputs) {
  Diag d;
  diag_clear(&d);
  if (output_set_make_dir(outputs, dir, &d)) {
    driver_report(&d);
    return 1;
  }
  for (int i = 0; i < g->num_outputs; i++) {
    const Tensor *t = g->outputs[i];
    size_t n = strlen(dir) + strlen(t->name) + 8;
    char *path = malloc(n);
    if (!path)
      return driver_usage_error("run", "out of memory");
    /* Tensor names may hold '/', which must not escape the folder. */
    snprintf(path, n, "%s/", dir);
    size_t at = strlen(path);
    for (const char *c = t->name; *c; c++)
      path[at++] = *c == '/' ? '_' : *c;
    snprintf(path + at, n - at, ".npy");
    const char *tmp = output_set_stage(outputs, path, &d);
    int rc = !tmp || npy_write(tmp, DT_F32, t->rank, t->dims,
                               interp_value(ip, t), &d);
    free(path);
    if (rc) {
      driver_report(&d);
      return 1;
    }
  }
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int cmd_run(int argc, char **argv) {
  const char *model = NULL, *out_dir = NULL;
  int repeat = 1;
  RunInput *given = calloc((size_t)argc, sizeof(RunInput));
  int num_given = 0, rc = 1;
  Graph *g = NULL;
  Interp *ip = NULL;
  NpyArray *arrays = NULL;
  if (!given)
    return driver_usage_error("run", "out of memory");
  QuantCli qc = {0};
  PassContext ctx;
  QuantLog log = {0};
  CalibData calib = {0};
  OutputSet *outputs = NULL;
  static const OptSpec *const tables[] = {run_options, quant_cli_options,
                                          driver_import_options, NULL};
  OptParser p;
  opt_init(&p, "run", argc, argv, tables);
  for (int id; (id = opt_next(&p)) != OPT_END;) {
    const char *v = p.value;
    switch (id) {
    case OPT_ERROR:
      goto done;
    case OPT_HELP_ID:
      run_help(stdout);
      rc = 0;
      goto done;
    case ID_INPUT: {
      const char *eq = strchr(v, '=');
      if (!eq || eq == v || !eq[1]) {
        rc = driver_usage_error("run", "--input needs NAME=FILE.npy, got '%s'", v);
        goto done;
      }
      given[num_given].name = strndup(v, (size_t)(eq - v));
      given[num_given++].path = eq + 1;
      break;
    }
    case ID_OUTPUT_DIR:
      out_dir = v;
      break;
    case ID_REPEAT: {
      char *end;
      long r = strtol(v, &end, 10);
      if (*end || r < 1 || r > 1000000) {
        rc = driver_usage_error("run", "--repeat needs a count >= 1, got '%s'", v);
        goto done;
      }
      repeat = (int)r;
      break;
    }
    case OPT_ARG:
      if (model) {
        rc = driver_usage_error("run", "more than one model");
        goto done;
      }
      model = v;
      break;
    default: {
      int taken = driver_import_option("run", id, v);
      if (taken < 0 || (!taken && quant_cli_apply(&qc, id, v, "run") < 0))
        goto done;
    }
    }
  }
  if (!model || !out_dir) {
    run_help(stderr);
    goto done;
  }
  if (quant_cli_resolve(&qc, "run"))
    goto done;
  if (!(g = driver_load_model("run", model)))
    goto done;
  quant_graph_hash(g, qc.source_hash);
  qc.source_nodes = g->num_nodes;
  qc.outputs = outputs = output_set_create();
  arrays = calloc((size_t)g->num_inputs + 1, sizeof(NpyArray));
  if (!arrays || load_inputs(g, given, num_given, arrays, qc.preprocess))
    goto done;
  if (qc.mode && strcmp(qc.mode, "none") != 0) {
    bool need_calib = strcmp(qc.mode, "static") == 0 && !qc.load_profile;
    if (quant_cli_setup(&qc, g, &ctx, &calib, need_calib, "run"))
      goto done;
    ctx.log = &log;
    if (quant_cli_quantize(&qc, g, &ctx, "run"))
      goto done;
  }
  Diag d;
  diag_clear(&d);
  if (!(ip = interp_create(g, &d))) {
    driver_report(&d);
    goto done;
  }
  for (int k = 0; k < g->num_inputs; k++)
    interp_set_input(ip, k, arrays[k].data);
  double *times = calloc((size_t)repeat, sizeof(double));
  if (!times)
    goto done;
  for (int r = 0; r < repeat; r++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int failed = interp_run(ip, &d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    times[r] = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    if (failed) {
      driver_report(&d);
      free(times);
      goto done;
    }
  }
  if (repeat > 1) {
    qsort(times, (size_t)repeat, sizeof(double), cmp_double);
    printf("%s: median %.3f ms over %d runs (reference interpreter)\n", g->name,
           times[repeat / 2] * 1e3, repeat);
  }
  free(times);
  rc = write_outputs(g, ip, out_dir, outputs);
  if (!rc) {
    rc = output_set_commit(outputs, &d) ? 1 : 0;
    outputs = NULL;
    if (rc)
      driver_report(&d);
  }
  if (!rc)
    fprintf(stderr, "qcc run: %s: wrote %d output%s to %s\n", g->name,
            g->num_outputs, g->num_outputs == 1 ? "" : "s", out_dir);
done:
  output_set_abort(outputs);
  if (arrays)
    for (int k = 0; g && k < g->num_inputs; k++)
      npy_free(&arrays[k]);
  free(arrays);
  for (int i = 0; i < num_given; i++)
    free((char *)given[i].name);
  free(given);
  interp_destroy(ip);
  ir_graph_destroy(g);
  calib_data_free(&calib);
  quant_log_free(&log);
  return rc;
}
