/* See qcc_runtime.h. Parsing trusts nothing in the recipe: every number is
 * range-checked, every unknown word is an error. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcc_runtime.h"

/* "A" or "A:B:C" up to the next ',' or the end; returns the characters
 * consumed, or -1. */
static int parse_triple(const char *v, float out[3]) {
  const char *start = v;
  char *end;
  for (int i = 0; i < 3; i++) {
    double x = strtod(v, &end);
    /* Within float range: 1e39 is finite as a double but infinite as the
     * float the preprocessing computes with. */
    if (end == v || !(fabs(x) <= FLT_MAX))
      return -1;
    out[i] = (float)x;
    if (*end != ':') {
      if (i == 0) { /* one value for all three */
        out[1] = out[2] = out[0];
        return (int)(end - start);
      }
      return i == 2 ? (int)(end - start) : -1;
    }
    v = end + 1;
  }
  return -1;
}

static int fail(char *err, size_t err_size, const char *fmt, const char *tok,
                int tok_len) {
  if (err && err_size) {
    snprintf(err, err_size, fmt, tok_len, tok);
    /* The step is quoted as written; a control character in it (a line
     * break) would split the one-line error the header promises. */
    for (char *c = err; *c; c++)
      if ((unsigned char)*c < 0x20 || *c == 0x7f)
        *c = '?';
  }
  return -1;
}

int qcc_preprocess_parse(const char *recipe, qcc_preprocess *p, char *err,
                         size_t err_size) {
  memset(p, 0, sizeof *p);
  p->std[0] = p->std[1] = p->std[2] = 1.0f;
  const char *tok = recipe;
  while (*tok) {
    const char *comma = strchr(tok, ',');
    int len = (int)(comma ? comma - tok : (ptrdiff_t)strlen(tok));
    char *end;
    if (len > 5 && strncmp(tok, "size=", 5) == 0) {
      long w = strtol(tok + 5, &end, 10), h = 0;
      if (*end == 'x')
        h = strtol(end + 1, &end, 10);
      if (end != tok + len || w < 1 || h < 1 || w > 16384 || h > 16384)
        return fail(err, err_size, "bad size '%.*s' (want size=WxH)", tok, len);
      p->width = (int32_t)w;
      p->height = (int32_t)h;
    } else if ((len > 5 && strncmp(tok, "mean=", 5) == 0) ||
               (len > 4 && strncmp(tok, "std=", 4) == 0)) {
      int is_mean = tok[0] == 'm';
      const char *v = tok + (is_mean ? 5 : 4);
      float *dst = is_mean ? p->mean : p->std;
      int n = parse_triple(v, dst);
      if (n < 0 || v + n != tok + len)
        return fail(err, err_size, "bad value '%.*s' (want A or A:B:C)", tok, len);
      if (!is_mean && (dst[0] == 0 || dst[1] == 0 || dst[2] == 0))
        return fail(err, err_size, "std may not be 0 ('%.*s')", tok, len);
    } else if (len == 3 && (strncmp(tok, "rgb", 3) == 0 || strncmp(tok, "bgr", 3) == 0)) {
      p->bgr = tok[0] == 'b';
    } else if ((len == 7 && strncmp(tok, "stretch", 7) == 0) ||
               (len == 3 && strncmp(tok, "pad", 3) == 0)) {
      p->pad_square = tok[0] == 'p';
    } else if (len > 0) {
      return fail(err, err_size, "unknown preprocessing step '%.*s' (size=WxH, "
                  "mean=, std=, rgb, bgr, stretch, pad)", tok, len);
    }
    tok += len + (comma ? 1 : 0);
  }
  return 0;
}

/* The side of the (padded) photo that the tensor covers. */
static void covered(const qcc_preprocess *p, int32_t w, int32_t h,
                    int32_t *side_w, int32_t *side_h) {
  *side_w = w;
  *side_h = h;
  if (p->pad_square)
    *side_w = *side_h = w > h ? w : h;
}

void qcc_preprocess_scale(const qcc_preprocess *p, int32_t w, int32_t h,
                          float *scale_x, float *scale_y) {
  int32_t side_w, side_h;
  covered(p, w, h, &side_w, &side_h);
  *scale_x = (float)side_w / (float)p->width;
  *scale_y = (float)side_h / (float)p->height;
}

/* Channel c of the padded photo at real coordinates, bilinear; pixels in
 * the padding are 0. */
static float sample(const unsigned char *px, int32_t w, int32_t h,
                    int32_t side_w, int32_t side_h, float sx, float sy, int c) {
  sx = sx < 0 ? 0 : sx > (float)(side_w - 1) ? (float)(side_w - 1) : sx;
  sy = sy < 0 ? 0 : sy > (float)(side_h - 1) ? (float)(side_h - 1) : sy;
  int32_t x0 = (int32_t)sx, y0 = (int32_t)sy;
  int32_t x1 = x0 + 1 < side_w ? x0 + 1 : x0;
  int32_t y1 = y0 + 1 < side_h ? y0 + 1 : y0;
  float fx = sx - (float)x0, fy = sy - (float)y0;
#define P(x, y) ((x) < w && (y) < h ? (float)px[((size_t)(y) * (size_t)w + (size_t)(x)) * 3 + (size_t)c] : 0.0f)
  float top = P(x0, y0) * (1 - fx) + P(x1, y0) * fx;
  float bot = P(x0, y1) * (1 - fx) + P(x1, y1) * fx;
#undef P
  return top * (1 - fy) + bot * fy;
}

void qcc_preprocess_image(const qcc_preprocess *p, const unsigned char *rgb,
                          int32_t w, int32_t h, float *out) {
  int32_t side_w, side_h;
  covered(p, w, h, &side_w, &side_h);
  float scale_x, scale_y;
  qcc_preprocess_scale(p, w, h, &scale_x, &scale_y);
  size_t plane = (size_t)p->width * (size_t)p->height;
  for (int c = 0; c < 3; c++) {
    int src_c = p->bgr ? 2 - c : c;
    for (int32_t y = 0; y < p->height; y++) {
      float sy = ((float)y + 0.5f) * scale_y - 0.5f;
      for (int32_t x = 0; x < p->width; x++) {
        float sx = ((float)x + 0.5f) * scale_x - 0.5f;
        float v = sample(rgb, w, h, side_w, side_h, sx, sy, src_c);
        out[(size_t)c * plane + (size_t)y * (size_t)p->width + (size_t)x] =
            (v - p->mean[c]) / p->std[c];
      }
    }
  }
}
