/* Quantization options of the driver (see quant_cli.h): parsing, loading
 * calibration sets (one [S, *shape] .npy, or a folder of .npy files of the
 * input's shape), the progress bar, and the summary that says which nodes
 * stayed in f32 and why — never a silent fallback. */
#include "quant_cli.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"
#include "fileio.h"
#include "image.h"
#include "jit_calib.h"
#include "npy.h"
#include "output_set.h"
#include "profile.h"
#include "quant_report.h"

enum {
  Q_QUANT = QUANT_CLI_FIRST_ID, Q_CALIB, Q_CALIB_IMAGES, Q_PREPROCESS,
  Q_CALIB_ENGINE, Q_CALIB_METHOD, Q_OBSERVER, Q_BINS, Q_KEEP_FLOAT,
  Q_MAX_DROP, Q_EQUALIZE, Q_NO_EQUALIZE, Q_NO_BIAS_CORRECTION, Q_WEIGHTS,
  Q_REPORT, Q_SAVE_PROFILE, Q_LOAD_PROFILE,
};

const OptSpec quant_cli_options[] = {
    {"--quant", "MODE", "none (default), static (post-training int8:\n"
     "calibrated, every op that can be int8 is), or\n"
     "dynamic (linear only, as PyTorch's\n"
     "quantize_dynamic; conv2d stays f32)", Q_QUANT, 0, NULL},
    {"--calib", "NAME=PATH", "calibration data for input NAME: a .npy of shape\n"
     "[S, *input shape], or a folder of .npy files of\n"
     "the input's shape (one per sample)", Q_CALIB, 0, NULL},
    {"--calib-images", "[NAME=]DIR", "photos (png, jpg, ...) as calibration set,\n"
     "preprocessed by --preprocess", Q_CALIB_IMAGES, 0, NULL},
    {"--preprocess", "RECIPE", "e.g. size=416x416,mean=103.53:116.28:123.675,\n"
     "std=57.375:57.12:58.395,bgr (also rgb, stretch,\n"
     "pad: pad to a square at the bottom/right first)", Q_PREPROCESS, 0, NULL},
    {"--calib-engine", "E", "jit (default: the observed model compiled for\n"
     "this host, samples run natively) or interp (the\n"
     "reference interpreter)", Q_CALIB_ENGINE, 0, NULL},
    {"--calib-method", "M", "minmax (default), percentile:P (e.g. 99.99),\n"
     "entropy, mse", Q_CALIB_METHOD, 0, NULL},
    {"--observer", "K", "histogram (default), minmax, moving-minmax",
     Q_OBSERVER, 0, NULL},
    {"--bins", "N", "histogram bins (default 2048; entropy likes 8192+)",
     Q_BINS, 0, NULL},
    {"--keep-float", "GLOB,...", "keep matching nodes in f32", Q_KEEP_FLOAT, 0,
     NULL},
    {"--max-drop", "DB", "keep the fewest conv/linear layers in f32 that\n"
     "bring the output SQNR (int8 vs f32, calibration\n"
     "set) to at least DB dB; layers ranked by what\n"
     "keeping each alone gains", Q_MAX_DROP, 0, NULL},
    {"--equalize", NULL, NULL, Q_EQUALIZE, 0, NULL},
    {"--no-equalize", NULL, "cross-layer equalization of conv ->\n"
     "relu-like -> conv chains; default: only with\n"
     "--weights=per-tensor (per-channel scales already\n"
     "absorb what it evens out)", Q_NO_EQUALIZE, 0, NULL},
    {"--no-bias-correction", NULL, "skip the correction of the output shift that\n"
     "i8 weight rounding causes", Q_NO_BIAS_CORRECTION, 0, NULL},
    {"--weights", "G", "per-channel (default) or per-tensor", Q_WEIGHTS, 0,
     NULL},
    {"--report", "FILE", "write the quantization report: FILE.json as JSON,\n"
     "anything else as Markdown", Q_REPORT, 0, NULL},
    {"--save-profile", "FILE", "save the calibrated ranges (YAML)",
     Q_SAVE_PROFILE, 0, NULL},
    {"--load-profile", "FILE", "use saved ranges instead of calibrating; refused\n"
     "when the model changed since it was saved", Q_LOAD_PROFILE, 0, NULL},
    {0},
};

static int bad_value(const char *sub, const char *opt, const char *v) {
  return driver_usage_error(sub, "bad value '%s' for %s", v, opt), -1;
}

int quant_cli_apply(QuantCli *q, int id, const char *v, const char *sub) {
  switch (id) {
  case Q_EQUALIZE:
  case Q_NO_EQUALIZE:
    q->equalize = id == Q_EQUALIZE ? EQUALIZE_ON : EQUALIZE_OFF;
    break;
  case Q_NO_BIAS_CORRECTION:
    q->no_bias_correction = true;
    break;
  case Q_MAX_DROP: {
    char *end;
    double db = strtod(v, &end);
    if (*end || !(db > 0) || db > 200)
      return bad_value(sub, "--max-drop (dB, > 0)", v);
    q->max_drop = db;
    break;
  }
  case Q_QUANT:
    if (strcmp(v, "none") && strcmp(v, "static") && strcmp(v, "dynamic"))
      return bad_value(sub, "--quant", v);
    q->mode = v;
    break;
  case Q_CALIB:
    if (!strchr(v, '=') || q->num_calib == QUANT_CLI_MAX)
      return bad_value(sub, "--calib (NAME=PATH)", v);
    q->calib[q->num_calib++] = v;
    break;
  case Q_CALIB_IMAGES:
    if (q->num_calib_images == QUANT_CLI_MAX)
      return bad_value(sub, "--calib-images", v);
    q->calib_images[q->num_calib_images++] = v;
    break;
  case Q_PREPROCESS:
    q->preprocess = v;
    break;
  case Q_CALIB_ENGINE:
    if (strcmp(v, "jit") && strcmp(v, "interp"))
      return bad_value(sub, "--calib-engine (jit or interp)", v);
    q->calib_engine = v;
    break;
  case Q_CALIB_METHOD:
    q->calib_method = v;
    break;
  case Q_OBSERVER:
    if (strcmp(v, "histogram") && strcmp(v, "minmax") &&
        strcmp(v, "moving-minmax"))
      return bad_value(sub, "--observer", v);
    q->observer = v;
    break;
  case Q_BINS: {
    char *end;
    long b = strtol(v, &end, 10);
    if (*end || b < CALIB_MIN_BINS || b > CALIB_MAX_BINS)
      return bad_value(sub, "--bins", v);
    q->bins = (int)b;
    break;
  }
  case Q_KEEP_FLOAT: {
    /* Comma-separated globs; argv outlives the options, so split a copy
     * that is deliberately kept for the run. */
    char *copy = strdup(v);
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ","))
      if (q->num_keep_float < QUANT_CLI_MAX)
        q->keep_float[q->num_keep_float++] = tok;
    break;
  }
  case Q_WEIGHTS:
    if (strcmp(v, "per-channel") && strcmp(v, "per-tensor"))
      return bad_value(sub, "--weights", v);
    q->per_tensor_weights = strcmp(v, "per-tensor") == 0;
    break;
  case Q_REPORT:
    q->report = v;
    break;
  case Q_SAVE_PROFILE:
    q->save_profile = v;
    break;
  case Q_LOAD_PROFILE:
    q->load_profile = v;
    break;
  default:
    return 0;
  }
  return 1;
}

/* ---- calibration data -------------------------------------------------- */

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads one sample file (or the [S, ...] stack) into data, checking its
 * shape against the input. Returns the number of samples, -1 on error. */
static int load_npy_samples(const char *path, const Tensor *in, bool stacked,
                            float **out) {
  Diag d;
  diag_clear(&d);
  NpyArray a;
  if (npy_read(path, &a, &d)) {
    driver_report(&d);
    return -1;
  }
  int off = stacked ? 1 : 0;
  bool ok = a.dtype == DT_F32 && a.rank == in->rank + off && (!stacked || a.dims[0] > 0);
  for (int k = 0; ok && k < in->rank; k++)
    ok = a.dims[k + off] == in->dims[k];
  if (!ok) {
    char want[128], got[128];
    ir_shape_str(in->rank, in->dims, want, sizeof want);
    ir_shape_str(a.rank, a.dims, got, sizeof got);
    diag_error(&d, srcloc(path, 0, 0),
               "calibration data for '%s' must be f32 %s%s, the file holds "
               "%s%s",
               in->name, stacked ? "[S, ...] with [...] = " : "", want,
               dtype_name(a.dtype), got);
    driver_report(&d);
    npy_free(&a);
    return -1;
  }
  int64_t numel = ir_tensor_numel(in), total = numel * (stacked ? a.dims[0] : 1);
  const float *x = a.data;
  for (int64_t i = 0; i < total; i++)
    if (!isfinite(x[i])) {
      diag_error(&d, srcloc(path, 0, 0),
                 "calibration sample %lld of input '%s' holds %s at element "
                 "%lld: calibration data must be finite",
                 (long long)(i / numel), in->name,
                 isnan(x[i]) ? "NaN" : "an infinity", (long long)(i % numel));
      driver_report(&d);
      npy_free(&a);
      return -1;
    }
  *out = a.data;
  return stacked ? (int)a.dims[0] : 1;
}

static int load_calib_input(const char *path, const Tensor *in, float **out) {
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
    return load_npy_samples(path, in, true, out);
  DIR *dir = opendir(path);
  if (!dir) {
    fprintf(stderr, "%s: error: cannot open folder\n", path);
    return -1;
  }
  char **names = NULL;
  int n = 0, cap = 0;
  for (struct dirent *e; (e = readdir(dir));) {
    size_t l = strlen(e->d_name);
    if (l < 5 || strcmp(e->d_name + l - 4, ".npy") != 0)
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      names = realloc(names, sizeof(char *) * (size_t)cap);
      if (!names)
        QCC_DIE("out of memory");
    }
    names[n++] = strdup(e->d_name);
  }
  closedir(dir);
  if (n == 0) {
    fprintf(stderr, "%s: error: no .npy files in the folder\n", path);
    free(names);
    return -1;
  }
  qsort(names, (size_t)n, sizeof(char *), by_name);
  int64_t numel = ir_tensor_numel(in);
  float *all = malloc(sizeof(float) * (size_t)(numel * n));
  int rc = all ? n : -1;
  for (int i = 0; i < n && rc > 0; i++) {
    char *file = malloc(strlen(path) + strlen(names[i]) + 2);
    sprintf(file, "%s/%s", path, names[i]);
    float *one;
    if (load_npy_samples(file, in, false, &one) < 0) {
      rc = -1;
    } else {
      memcpy(all + (size_t)(numel * i), one, sizeof(float) * (size_t)numel);
      free(one);
    }
    free(file);
  }
  for (int i = 0; i < n; i++)
    free(names[i]);
  free(names);
  if (rc < 0)
    free(all);
  else
    *out = all;
  return rc;
}

void calib_data_free(CalibData *data) {
  jit_calib_runner_destroy(data->runner);
  for (int i = 0; i < data->set.num_inputs; i++)
    free(data->arrays[i]);
  free(data->arrays);
  memset(data, 0, sizeof *data);
}

/* [NAME=]DIR: every photo in DIR (sorted by name), preprocessed to input
 * NAME's shape [1, 3, H, W]. Returns the sample count or -1 (printed). */
static int load_calib_images(const QuantCli *q, const char *spec,
                             const Graph *g, CalibData *data, const char *sub) {
  const char *eq = strchr(spec, '=');
  const char *dir = eq ? eq + 1 : spec;
  int idx = -1;
  for (int k = 0; k < g->num_inputs; k++)
    if (eq ? (strlen(g->inputs[k]->name) == (size_t)(eq - spec) &&
              strncmp(g->inputs[k]->name, spec, (size_t)(eq - spec)) == 0)
           : g->num_inputs == 1)
      idx = k;
  if (idx < 0)
    return driver_usage_error(sub, "--calib-images: name the input (NAME=DIR); "
                              "model '%s' has no such single input", g->name), -1;
  const Tensor *t = g->inputs[idx];
  if (data->arrays[idx])
    return driver_usage_error(sub, "--calib-images: input '%s' given twice",
                              t->name), -1;
  if (t->rank != 4 || t->dims[0] != 1 || t->dims[1] != 3)
    return driver_usage_error(sub, "--calib-images: input '%s' is not one RGB "
                              "image [1, 3, H, W]", t->name), -1;
  Diag d;
  diag_clear(&d);
  ImagePrep prep;
  if (image_prep_parse(q->preprocess ? q->preprocess : "", &prep, "--preprocess", &d)) {
    driver_report(&d);
    return -1;
  }
  if (prep.width == 0) {
    prep.width = (int)t->dims[3];
    prep.height = (int)t->dims[2];
  }
  if (prep.width != t->dims[3] || prep.height != t->dims[2])
    return driver_usage_error(sub, "--preprocess size=%dx%d does not match input "
                              "'%s' (%lldx%lld)", prep.width, prep.height,
                              t->name, (long long)t->dims[3],
                              (long long)t->dims[2]), -1;
  struct dirent **list = NULL;
  int n = scandir(dir, &list, NULL, alphasort);
  if (n < 0)
    return driver_usage_error(sub, "--calib-images: cannot read folder '%s'", dir), -1;
  int64_t numel = ir_tensor_numel(t);
  int count = 0;
  for (int i = 0; i < n; i++)
    count += image_is_image_file(list[i]->d_name);
  float *arr = count ? malloc(sizeof(float) * (size_t)(numel * count)) : NULL;
  int s = 0, rc = count ? 0 : -1;
  if (!count)
    driver_usage_error(sub, "--calib-images: no photos (png, jpg, ...) in '%s'", dir);
  for (int i = 0; i < n; i++) {
    if (!rc && image_is_image_file(list[i]->d_name)) {
      size_t len = strlen(dir) + strlen(list[i]->d_name) + 2;
      char *path = malloc(len);
      snprintf(path, len, "%s/%s", dir, list[i]->d_name);
      if (image_load(path, &prep, arr + (size_t)s * (size_t)numel, &d)) {
        driver_report(&d);
        rc = -1;
      }
      s++;
      free(path);
    }
    free(list[i]);
  }
  free(list);
  if (rc) {
    free(arr);
    return -1;
  }
  data->arrays[idx] = arr;
  return s;
}

int quant_cli_resolve(QuantCli *q, const char *sub) {
  const char *calib_opt = q->num_calib          ? "--calib"
                          : q->num_calib_images ? "--calib-images"
                          : q->load_profile     ? "--load-profile"
                          : q->save_profile     ? "--save-profile"
                          : q->calib_method     ? "--calib-method"
                          : q->max_drop > 0     ? "--max-drop"
                                                : NULL;
  if (calib_opt && !q->mode) {
    /* Calibration data means static quantization: building f32 with no
     * word, as qcc once did, is the very confusion users come from. */
    q->mode = "static";
    fprintf(stderr, "qcc %s: %s given: quantizing to int8 (--quant=static)\n",
            sub, calib_opt);
  } else if (calib_opt && strcmp(q->mode, "static") != 0) {
    return driver_usage_error(sub, "%s is for --quant=static; --quant=%s does "
                              "not calibrate: drop %s or use --quant=static",
                              calib_opt, q->mode, calib_opt);
  }
  if (q->num_calib_images && !q->preprocess)
    return driver_usage_error(
        sub, "--calib-images needs --preprocess=RECIPE, the model's own "
        "preprocessing (e.g. size=416x416,mean=...,std=...,rgb): raw 0-255 "
        "pixels calibrate ranges the model never sees");
  if (q->load_profile && !q->num_calib && !q->num_calib_images &&
      !q->no_bias_correction)
    return driver_usage_error(
        sub, "--load-profile without calibration data: bias correction "
        "measures on the calibration set, which a profile does not hold; "
        "give the --calib the profile was saved with (for the same build), "
        "or --no-bias-correction");
  return 0;
}

int quant_cli_setup(const QuantCli *q, const Graph *g, PassContext *ctx,
                    CalibData *data, bool need_calib, const char *sub) {
  pass_context_init(ctx);
  Diag d;
  diag_clear(&d);
  if (q->calib_method && calib_range_parse(q->calib_method, &ctx->range, &d)) {
    driver_report(&d);
    return 1;
  }
  if (q->observer)
    ctx->observer = strcmp(q->observer, "minmax") == 0 ? OBS_MINMAX
                    : strcmp(q->observer, "moving-minmax") == 0
                        ? OBS_MOVING_MINMAX
                        : OBS_HISTOGRAM;
  if (q->bins)
    ctx->bins = q->bins;
  ctx->per_tensor_weights = q->per_tensor_weights;
  ctx->keep_float = q->keep_float;
  ctx->num_keep_float = q->num_keep_float;

  memset(data, 0, sizeof *data);
  data->arrays = calloc((size_t)g->num_inputs + 1, sizeof(float *));
  if (!data->arrays)
    QCC_DIE("out of memory");
  data->set.num_inputs = g->num_inputs;
  data->set.inputs = (const float *const *)data->arrays;
  for (int i = 0; i < q->num_calib; i++) {
    const char *eq = strchr(q->calib[i], '=');
    int idx = -1;
    for (int k = 0; k < g->num_inputs; k++)
      if (strlen(g->inputs[k]->name) == (size_t)(eq - q->calib[i]) &&
          strncmp(g->inputs[k]->name, q->calib[i], (size_t)(eq - q->calib[i])) == 0)
        idx = k;
    if (idx < 0)
      return driver_usage_error(sub, "--calib: model '%s' has no input '%.*s'",
                                g->name, (int)(eq - q->calib[i]), q->calib[i]);
    if (data->arrays[idx])
      return driver_usage_error(sub, "--calib: input '%s' given twice",
                                g->inputs[idx]->name);
    int s = load_calib_input(eq + 1, g->inputs[idx], &data->arrays[idx]);
    if (s < 0)
      return 1;
    if (data->set.num_samples && s != data->set.num_samples)
      return driver_usage_error(sub, "--calib: %d samples for '%s', %d for "
                                "another input", s, g->inputs[idx]->name,
                                data->set.num_samples);
    data->set.num_samples = s;
  }
  for (int i = 0; i < q->num_calib_images; i++) {
    int s = load_calib_images(q, q->calib_images[i], g, data, sub);
    if (s < 0)
      return 1;
    if (data->set.num_samples && s != data->set.num_samples)
      return driver_usage_error(sub, "--calib-images: %d samples, %d for "
                                "another input", s, data->set.num_samples);
    data->set.num_samples = s;
  }
  if (q->num_calib == 0 && q->num_calib_images == 0 && !need_calib)
    return 0;
  for (int k = 0; k < g->num_inputs; k++)
    if (!data->arrays[k])
      return driver_usage_error(sub, "calibration needs --calib %s=PATH",
                                g->inputs[k]->name);
  ctx->calib = &data->set;
  if (!q->calib_engine || strcmp(q->calib_engine, "jit") == 0) {
    data->runner = jit_calib_runner_create();
    ctx->runner = data->runner;
  }
  return 0;
}

/* ---- progress and summary ---------------------------------------------- */

typedef struct Progress {
  struct timespec start;
} Progress;

static double seconds_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static void show_progress(void *user, int done, int total) {
  Progress *p = user;
  double el = seconds_since(&p->start), rate = done / (el > 0 ? el : 1e-9);
  fprintf(stderr, "\rcalibrating: %d/%d samples, %.1f samples/s, ETA %.0fs   ",
          done, total, rate, (total - done) / rate);
  if (done == total)
    fputc('\n', stderr);
}

/* A deep copy through the textual IR, which round-trips exactly. */
static Graph *clone_graph(const Graph *g, Diag *d) {
  char *text = ir_print(g);
  if (!text)
    QCC_DIE("out of memory");
  Graph *c = ir_parse(text, strlen(text), "<float model>", d);
  free(text);
  return c;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int write_report(const QuantCli *q, const Graph *float_g, Graph *g,
                        PassContext *ctx, const char *sub) {
  Diag d;
  diag_clear(&d);
  QuantReport r;
  int rc = quant_report_build(&r, float_g, g, ctx->log, ctx, 1 << 30, &d);
  r.dynamic = q->mode && strcmp(q->mode, "dynamic") == 0;
  snprintf(r.hash, sizeof r.hash, "%s", q->source_hash);
  r.source_nodes = q->source_nodes;
  if (!rc) {
    char *text = ends_with(q->report, ".json") ? quant_report_json(&r)
                                                : quant_report_markdown(&r);
    rc = output_set_write(q->outputs, q->report, text, strlen(text), &d);
    free(text);
    if (!rc && r.samples && isnan(r.output_sqnr_db))
      fprintf(stderr, "qcc %s: model output SQNR undefined (the float "
              "outputs are not all finite) on %d calibration samples; report "
              "written to %s\n", sub, r.samples, q->report);
    else if (!rc && r.samples)
      fprintf(stderr, "qcc %s: model output SQNR %.1f dB on %d calibration "
              "samples; report written to %s\n", sub, r.output_sqnr_db,
              r.samples, q->report);
    else if (!rc)
      fprintf(stderr, "qcc %s: report written to %s (no SQNR: no calibration "
              "data given)\n", sub, q->report);
  }
  quant_report_free(&r);
  if (rc)
    driver_report(&d);
  return rc ? 1 : 0;
}

/* Observer ranges from a saved profile, after checking it was made for
 * this very graph. */
static int apply_profile(const char *path, const char *hash, Graph *g,
                         Diag *d) {
  Profile p;
  if (profile_load(path, &p, d))
    return -1;
  int rc = 0;
  if (strcmp(p.graph_hash, hash) != 0)
    rc = diag_error(d, srcloc(path, 0, 0),
                    "profile was made for another graph (hash %s, this "
                    "model's is %s); calibrate again with --save-profile",
                    p.graph_hash, hash);
  for (int i = 0; i < g->num_nodes && !rc; i++) {
    Node *n = g->nodes[i];
    if (n->op != OP_OBSERVE)
      continue;
    const ProfileRange *r = NULL;
    for (int k = 0; k < p.num_ranges && !r; k++)
      if (strcmp(p.ranges[k].tensor, n->inputs[0]->name) == 0)
        r = &p.ranges[k];
    if (!r) {
      rc = diag_error(d, srcloc(path, 0, 0), "profile has no range for '%s'",
                      n->inputs[0]->name);
      break;
    }
    double v[2] = {r->lo, r->hi};
    Attr *na = arena_alloc(g->arena, sizeof(Attr) * (size_t)(n->num_attrs + 1));
    memcpy(na, n->attrs, sizeof(Attr) * (size_t)n->num_attrs);
    na[n->num_attrs++] = ir_attr_make_floats(g, ATTR_RANGE, AK_FLOATS, v, 2);
    n->attrs = na;
  }
  profile_free(&p);
  return rc;
}

static int save_profile(OutputSet *outputs, const char *path, const char *hash,
                        const Graph *g,
                        const PassContext *ctx, const char *method, Diag *d) {
  Profile p = {0};
  snprintf(p.model, sizeof p.model, "%s", g->name);
  snprintf(p.graph_hash, sizeof p.graph_hash, "%s", hash);
  snprintf(p.method, sizeof p.method, "%s", method);
  p.samples = ctx->calib ? ctx->calib->num_samples : 0;
  ProfileRange *ranges = calloc((size_t)g->num_nodes + 1, sizeof *ranges);
  if (!ranges)
    QCC_DIE("out of memory");
  p.ranges = ranges;
  for (int i = 0; i < g->num_nodes; i++) {
    const Node *n = g->nodes[i];
    const Attr *a = n->op == OP_OBSERVE ? ir_node_attr(n, ATTR_RANGE) : NULL;
    if (!a)
      continue;
    ranges[p.num_ranges].tensor = (char *)n->inputs[0]->name;
    ranges[p.num_ranges].lo = (float)a->floats[0];
    ranges[p.num_ranges++].hi = (float)a->floats[1];
  }
  char *text = profile_format(&p);
  int rc = output_set_write(outputs, path, text, strlen(text), d);
  free(text);
  free(ranges); /* tensor names belong to the graph */
  return rc;
}

/* The passes that turn calibrated ranges into the int8 graph. */
static const char *lowering(const QuantCli *q, const PassContext *ctx) {
  return q->no_bias_correction || !ctx->calib
             ? "fold-scales,lower-int8"
             : "fold-scales,correct-bias,lower-int8";
}

/* Samples the --max-drop search ranks candidates on; its decisions are
 * measured on the whole calibration set, as the report is. */
enum { RANK_SAMPLES = 8, ALL_SAMPLES = 1 << 30 };

/* Output SQNR of the int8 graph lowered from a copy of `calibrated` with
 * the nodes `keep` in f32. */
static int try_lowering(const QuantCli *q, const Graph *calibrated,
                        const Graph *float_g, const PassContext *ctx,
                        const char *const *keep, int num_keep, int samples,
                        double *sqnr, Diag *d) {
  Graph *c = clone_graph(calibrated, d);
  if (!c)
    return -1;
  PassContext local = *ctx;
  QuantLog log = {0};
  local.log = &log;
  local.auto_keep = keep;
  local.num_auto_keep = num_keep;
  local.progress = NULL;
  PipelineOptions opts = {0};
  int rc = pass_pipeline_run(c, lowering(q, ctx), &local, &opts, d);
  if (!rc) {
    QuantReport r;
    rc = quant_report_build(&r, float_g, c, &log, &local, samples, d);
    *sqnr = r.output_sqnr_db;
    quant_report_free(&r);
  }
  quant_log_free(&log);
  ir_graph_destroy(c);
  return rc;
}

typedef struct Candidate {
  const char *names[2]; /* a conv2d/linear and its lone activation */
  double gain;
} Candidate;

static int by_gain(const void *a, const void *b) {
  double ga = ((const Candidate *)a)->gain, gb = ((const Candidate *)b)->gain;
  return ga < gb ? 1 : ga > gb ? -1 : 0;
}

/* --max-drop: rank the conv2d/linear layers (with a lone activation after
 * them) by the output SQNR that keeping each alone in f32 gains, then keep
 * them in that order until the output reaches q->max_drop dB. Fills
 * ctx->auto_keep (names owned by g, array by the caller). */
static int max_drop_search(const QuantCli *q, const Graph *g,
                           const Graph *float_g, PassContext *ctx,
                           const char **keep, const char *sub, Diag *d) {
  double base;
  if (try_lowering(q, g, float_g, ctx, NULL, 0, ALL_SAMPLES, &base, d))
    return -1;
  if (base >= q->max_drop) {
    fprintf(stderr, "qcc %s: --max-drop=%g: every layer int8 already gives "
            "%.1f dB\n", sub, q->max_drop, base);
    return 0;
  }
  Candidate *cand = calloc((size_t)g->num_nodes + 1, sizeof *cand);
  if (!cand)
    QCC_DIE("out of memory");
  int nc = 0, rc = 0;
  for (int i = 0; i < g->num_nodes && !rc; i++) {
    const Node *n = g->nodes[i];
    if (!op_has(n->op, OPF_INT8))
      continue;
    Candidate *c = &cand[nc];
    c->names[0] = n->name;
    const Node *act = NULL;
    int uses = 0;
    for (int j = 0; j < g->num_nodes; j++)
      for (int k = 0; k < g->nodes[j]->num_inputs; k++)
        if (g->nodes[j]->inputs[k] == n->outputs[0] &&
            g->nodes[j]->op != OP_OBSERVE) {
          act = g->nodes[j];
          uses++;
        }
    if (uses == 1 && (op_info(act->op)->flags & (OPF_UNARY_ACT | OPF_EPILOGUE)))
      c->names[1] = act->name;
    double v = 0;
    rc = try_lowering(q, g, float_g, ctx, c->names, c->names[1] ? 2 : 1,
                      RANK_SAMPLES, &v, d);
    c->gain = v; /* ranked by the SQNR reached, all on the same samples */
    nc++;
  }
  qsort(cand, (size_t)nc, sizeof *cand, by_gain);
  int nk = 0;
  double v = base;
  for (int i = 0; i < nc && !rc && v < q->max_drop; i++) {
    for (int k = 0; k < 2 && cand[i].names[k]; k++)
      keep[nk++] = cand[i].names[k];
    rc = try_lowering(q, g, float_g, ctx, keep, nk, ALL_SAMPLES, &v, d);
  }
  free(cand);
  if (rc)
    return -1;
  fprintf(stderr, "qcc %s: --max-drop=%g: %.1f dB with every layer int8; "
          "%d nodes kept in f32 give %.1f dB%s\n", sub, q->max_drop, base, nk,
          v, v < q->max_drop ? " (the most this search can reach)" : "");
  ctx->auto_keep = keep;
  ctx->num_auto_keep = nk;
  static char reason[128];
  snprintf(reason, sizeof reason, "kept in f32 by --max-drop=%g: among the "
           "layers whose rounding costs the output most", q->max_drop);
  ctx->auto_keep_reason = reason;
  return 0;
}

static int static_pipeline(const QuantCli *q, Graph *g, const Graph *float_g,
                           PassContext *ctx, const PipelineOptions *opts,
                           const char **keep, const char *sub, Diag *d) {
  const char *hash = q->source_hash;
  if (pass_pipeline_run(g, "insert-observers", ctx, opts, d))
    return -1;
  if (q->load_profile) {
    if (apply_profile(q->load_profile, hash, g, d))
      return -1;
  } else if (pass_pipeline_run(g, "calibrate", ctx, opts, d)) {
    return -1;
  }
  if (q->save_profile &&
      save_profile(q->outputs, q->save_profile, hash, g, ctx,
                   q->calib_method ? q->calib_method : "minmax", d))
    return -1;
  if (q->max_drop > 0 && max_drop_search(q, g, float_g, ctx, keep, sub, d))
    return -1;
  return pass_pipeline_run(g, lowering(q, ctx), ctx, opts, d);
}

int quant_cli_quantize(const QuantCli *q, Graph *g, PassContext *ctx,
                       const char *sub) {
  Progress prog;
  clock_gettime(CLOCK_MONOTONIC, &prog.start);
  if (isatty(2)) {
    ctx->progress = show_progress;
    ctx->progress_user = &prog;
  }
  Diag d;
  diag_clear(&d);
  PipelineOptions opts = {.verify_each = true};
  Graph *float_g = NULL;
  bool dynamic = strcmp(q->mode, "dynamic") == 0;
  int rc = pass_pipeline_run(g, "canonicalize", ctx, &opts, &d);
  bool equalize = q->equalize == EQUALIZE_AUTO ? q->per_tensor_weights
                                               : q->equalize == EQUALIZE_ON;
  if (!rc && !dynamic && equalize)
    rc = pass_pipeline_run(g, "equalize", ctx, &opts, &d);
  /* The float reference for the report and the search: the graph as
   * calibrated, equalized (which keeps its values) but not quantized. */
  if (!rc && (q->report || q->max_drop > 0) && !(float_g = clone_graph(g, &d)))
    rc = -1;
  const char **keep = calloc((size_t)g->num_nodes * 2 + 1, sizeof(char *));
  if (!keep)
    QCC_DIE("out of memory");
  if (!rc && dynamic)
    rc = pass_pipeline_run(g, "quantize-dynamic", ctx, &opts, &d);
  else if (!rc)
    rc = static_pipeline(q, g, float_g, ctx, &opts, keep, sub, &d);
  ctx->progress = NULL;
  if (rc) {
    driver_report(&d);
    ir_graph_destroy(float_g);
    free(keep);
    return 1;
  }
  const QuantLog *log = ctx->log;
  int n8 = 0, n32 = 0;
  for (int i = 0; i < log->count; i++)
    log->entries[i].int8 ? n8++ : n32++;
  if (dynamic)
    fprintf(stderr, "qcc %s: %s: %d of %d nodes int8 (dynamic)", sub, g->name,
            n8, n8 + n32);
  else
    fprintf(stderr, "qcc %s: %s: %d of %d nodes int8 (static, %s)", sub,
            g->name, n8, n8 + n32,
            q->load_profile ? "ranges from the profile"
            : q->calib_method ? q->calib_method : "minmax");
  if (n32 == 0) {
    fprintf(stderr, "; nothing stayed in f32\n");
  } else {
    fprintf(stderr, "; kept in f32:\n");
    for (int i = 0; i < log->count; i++)
      if (!log->entries[i].int8)
        fprintf(stderr, "  %s '%s': %s\n", log->entries[i].op,
                log->entries[i].node, log->entries[i].detail);
  }
  rc = float_g && q->report ? write_report(q, float_g, g, ctx, sub) : 0;
  ir_graph_destroy(float_g);
  free(keep);
  ctx->auto_keep = NULL;
  ctx->num_auto_keep = 0;
  return rc;
}
