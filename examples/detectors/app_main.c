/* The command line both detector apps share:
 *
 *   APP PHOTO... [-o DIR] [--threads N] [--threshold T] [--repeat N]
 *
 * For each photo: prepare it with the model's preprocessing recipe (the
 * one it was calibrated with), run the compiled model, decode and NMS the
 * boxes, print them in photo pixels, and with -o draw them onto
 * DIR/<photo name without extension>_<code>.png, <code> being int8, f32 or
 * int8_f32 (a model with f32 layers left), so the f32 and int8 builds of
 * one app can share DIR (created if missing). --repeat N times the model
 * call (median). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"

typedef struct Call {
  const App *app;
  void *ws;
  const qcc_parallel *par;
  float *input; /* the model's input, 1 x 3 x H x W */
  float **outputs;
  int rc;
} Call;

static void call_model(void *ctx) {
  Call *c = ctx;
  c->rc = c->app->run(c->ws, c->par, c->input, c->outputs);
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* What the model computes in: "int8", "f32" or, with f32 layers left,
 * "int8 + f32"; file_tag is the same as a file name part. */
static const char *code_kind(const qcc_model_info *info, bool file_tag) {
  if (info->int8_nodes == 0)
    return "f32";
  if (info->f32_nodes == 0)
    return "int8";
  return file_tag ? "int8_f32" : "int8 + f32";
}

static int usage(const App *app) {
  fprintf(stderr, "usage: %s PHOTO... [-o DIR] [--threads N] [--threshold T] "
          "[--repeat N]\n", app->name);
  return 2;
}

static int run_photo(const App *app, const qcc_preprocess *recipe,
                     const char *path, const char *out_dir, float threshold,
                     int repeat, Call *call) {
  Photo photo;
  if (photo_load(path, &photo))
    return 1;
  qcc_preprocess_image(recipe, photo.rgb, photo.w, photo.h, call->input);
  double ms = time_ms(call_model, call, repeat);
  if (call->rc) {
    fprintf(stderr, "%s: error: the model returned %d\n", path, call->rc);
    photo_free(&photo);
    return 1;
  }
  Detection dets[APP_MAX_DETECTIONS];
  int n = app->decode((const float *const *)call->outputs, threshold, dets,
                      APP_MAX_DETECTIONS);
  n = detections_nms(dets, n, app->nms_iou);
  const qcc_model_info *info = app->info;
  printf("%s: %dx%d, %s (%s, %s): %d detection%s in %.1f ms\n", base_name(path),
         photo.w, photo.h, info->name, code_kind(info, false), app->target(), n,
         n == 1 ? "" : "s", ms);
  for (int i = 0; i < n; i++) {
    detection_to_photo(&dets[i], &photo, recipe);
    printf("  %-14s %.3f  box %.1f %.1f %.1f %.1f\n", app->label(dets[i].cls),
           (double)dets[i].score, (double)dets[i].x0, (double)dets[i].y0,
           (double)dets[i].x1, (double)dets[i].y1);
    photo_draw(&photo, &dets[i], app->label(dets[i].cls));
  }
  int rc = 0;
  if (out_dir) {
    char png[4096];
    const char *name = base_name(path), *dot = strrchr(name, '.');
    snprintf(png, sizeof png, "%s/%.*s_%s.png", out_dir,
             (int)(dot ? dot - name : (long)strlen(name)), name,
             code_kind(app->info, true));
    rc = photo_save_png(&photo, png) ? 1 : 0;
  }
  photo_free(&photo);
  return rc;
}

int app_main(const App *app, int argc, char **argv) {
  const char *out_dir = NULL;
  float threshold = app->threshold;
  int threads = 1, repeat = 1, num_photos = 0;
  char **photos = calloc((size_t)argc, sizeof(char *));
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "-o") == 0 && v)
      out_dir = argv[++i];
    else if (strcmp(argv[i], "--threads") == 0 && v)
      threads = atoi(argv[++i]);
    else if (strcmp(argv[i], "--threshold") == 0 && v)
      threshold = strtof(argv[++i], NULL);
    else if (strcmp(argv[i], "--repeat") == 0 && v)
      repeat = atoi(argv[++i]);
    else if (argv[i][0] == '-')
      return usage(app);
    else
      photos[num_photos++] = argv[i];
  }
  if (num_photos == 0 || threads < 1 || repeat < 1 || !(threshold > 0 && threshold < 1))
    return usage(app);
  const qcc_model_info *info = app->info;
  const qcc_tensor_info *in = &info->inputs[0];
  qcc_preprocess recipe;
  char err[160];
  if (qcc_preprocess_parse(app->recipe, &recipe, err, sizeof err)) {
    fprintf(stderr, "%s: error: built-in recipe: %s\n", app->name, err);
    return 1;
  }
  recipe.width = (int32_t)in->dims[3];
  recipe.height = (int32_t)in->dims[2];
  float *outputs[8] = {0};
  float *input = malloc((size_t)in->bytes);
  if (!photos || !input || info->num_outputs > 8)
    return 1;
  for (int k = 0; k < info->num_outputs; k++)
    if (!(outputs[k] = malloc((size_t)info->outputs[k].bytes)))
      return 1;
  qcc_threadpool *pool = threads > 1 ? qcc_threadpool_create(threads) : NULL;
  qcc_parallel par = pool ? qcc_threadpool_parallel(pool) : (qcc_parallel){0};
  Call call = {app, workspace_alloc(info->workspace_size), pool ? &par : NULL,
               input, outputs, 0};
  int rc = 0;
  if (out_dir && mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "%s: error: cannot create %s\n", app->name, out_dir);
    rc = 1;
  }
  for (int i = 0; i < num_photos && !rc; i++)
    rc = run_photo(app, &recipe, photos[i], out_dir, threshold, repeat, &call);
  for (int k = 0; k < info->num_outputs; k++)
    free(outputs[k]);
  free(input);
  free(call.ws);
  free(photos);
  qcc_threadpool_destroy(pool);
  return rc;
}
