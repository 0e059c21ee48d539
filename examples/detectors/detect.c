/* See detect.h. Photos go through Debian's stb_image / stb_image_write,
 * labels through stb_easy_font (a vector font of quads). */
#include "detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stb/stb_easy_font.h>
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

float detection_iou(const Detection *a, const Detection *b) {
  float x0 = a->x0 > b->x0 ? a->x0 : b->x0, y0 = a->y0 > b->y0 ? a->y0 : b->y0;
  float x1 = a->x1 < b->x1 ? a->x1 : b->x1, y1 = a->y1 < b->y1 ? a->y1 : b->y1;
  float inter = (x1 > x0 ? x1 - x0 : 0) * (y1 > y0 ? y1 - y0 : 0);
  float area_a = (a->x1 - a->x0) * (a->y1 - a->y0);
  float area_b = (b->x1 - b->x0) * (b->y1 - b->y0);
  float uni = area_a + area_b - inter;
  return uni > 0 ? inter / uni : 0;
}

static int by_score(const void *pa, const void *pb) {
  const Detection *a = pa, *b = pb;
  return a->score > b->score ? -1 : a->score < b->score;
}

int detections_nms(Detection *d, int n, float iou_max) {
  qsort(d, (size_t)n, sizeof *d, by_score);
  int kept = 0;
  for (int i = 0; i < n; i++) {
    int keep = 1;
    for (int j = 0; j < kept && keep; j++)
      keep = d[j].cls != d[i].cls || detection_iou(&d[j], &d[i]) <= iou_max;
    if (keep)
      d[kept++] = d[i];
  }
  return kept;
}

int photo_load(const char *path, Photo *p) {
  int n = 0;
  if (!stbi_info(path, &p->w, &p->h, &n) || p->w < 1 || p->h < 1 ||
      (long long)p->w * p->h > (1ll << 28)) {
    fprintf(stderr, "%s: error: cannot read this photo (%s)\n", path,
            stbi_failure_reason() ? stbi_failure_reason() : "size out of range");
    return -1;
  }
  p->rgb = stbi_load(path, &p->w, &p->h, &n, 3);
  if (!p->rgb) {
    fprintf(stderr, "%s: error: cannot decode this photo (%s)\n", path,
            stbi_failure_reason());
    return -1;
  }
  return 0;
}

void photo_free(Photo *p) {
  stbi_image_free(p->rgb);
  p->rgb = NULL;
}

void detection_to_photo(Detection *d, const Photo *p, const qcc_preprocess *recipe) {
  float sx, sy;
  qcc_preprocess_scale(recipe, p->w, p->h, &sx, &sy);
  d->x0 *= sx;
  d->x1 *= sx;
  d->y0 *= sy;
  d->y1 *= sy;
}

static void fill(Photo *p, int x0, int y0, int x1, int y1, const unsigned char c[3]) {
  x0 = x0 < 0 ? 0 : x0;
  y0 = y0 < 0 ? 0 : y0;
  x1 = x1 > p->w ? p->w : x1;
  y1 = y1 > p->h ? p->h : y1;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      memcpy(p->rgb + ((size_t)y * (size_t)p->w + (size_t)x) * 3, c, 3);
}

void photo_draw(Photo *p, const Detection *d, const char *label) {
  static const unsigned char palette[6][3] = {
      {255, 64, 64}, {64, 220, 64}, {64, 128, 255},
      {255, 200, 0}, {255, 0, 255}, {0, 220, 220}};
  const unsigned char *c = palette[d->cls % 6];
  int t = p->w > 800 ? 3 : 2; /* line width */
  int x0 = (int)d->x0, y0 = (int)d->y0, x1 = (int)d->x1, y1 = (int)d->y1;
  fill(p, x0, y0, x1, y0 + t, c);
  fill(p, x0, y1 - t, x1, y1, c);
  fill(p, x0, y0, x0 + t, y1, c);
  fill(p, x1 - t, y0, x1, y1, c);
  /* The label on a filled bar above the box (inside it at the top edge),
   * drawn 2x from stb_easy_font's quads. */
  char text[96];
  snprintf(text, sizeof text, "%s %.2f", label, (double)d->score);
  int scale = 2, tw = stb_easy_font_width(text) * scale;
  int ty = y0 - 12 * scale < 0 ? y0 : y0 - 12 * scale;
  fill(p, x0, ty, x0 + tw + 4, ty + 12 * scale, c);
  static float quads[4 * 4 * 600];
  unsigned char black[4] = {0, 0, 0, 255};
  int nq = stb_easy_font_print(0, 0, text, black, quads, (int)sizeof quads);
  for (int q = 0; q < nq; q++) {
    const float *v = quads + q * 16; /* 4 vertices of x, y, z, color */
    int qx0 = (int)v[0], qy0 = (int)v[1], qx1 = (int)v[8], qy1 = (int)v[9];
    fill(p, x0 + 2 + qx0 * scale, ty + 2 + qy0 * scale, x0 + 2 + qx1 * scale,
         ty + 2 + qy1 * scale, black);
  }
}

int photo_save_png(const Photo *p, const char *path) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
  if (!stbi_write_png(tmp, p->w, p->h, 3, p->rgb, p->w * 3) ||
      rename(tmp, path) != 0) {
    unlink(tmp);
    fprintf(stderr, "%s: error: cannot write the PNG\n", path);
    return -1;
  }
  return 0;
}

void *workspace_alloc(long long size) {
  void *ws = aligned_alloc(64, (size_t)((size + 63) / 64 * 64));
  if (!ws) {
    fprintf(stderr, "error: out of memory for the workspace\n");
    exit(1);
  }
  return ws;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

double time_ms(void (*fn)(void *), void *ctx, int repeat) {
  double *t = calloc((size_t)repeat, sizeof(double));
  if (!t)
    return 0;
  for (int r = 0; r < repeat; r++) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    fn(ctx);
    clock_gettime(CLOCK_MONOTONIC, &b);
    t[r] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) * 1e-6;
  }
  qsort(t, (size_t)repeat, sizeof(double), cmp_double);
  double median = t[repeat / 2];
  free(t);
  return median;
}
