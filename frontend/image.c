/* See image.h. The decoder is Debian's stb_image (libstb); nothing of the
 * file is trusted beyond what it reports, and the decoded size is checked
 * before anything is allocated for it. */
#include "image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <stb/stb_image.h>

static int bad(Diag *d, const char *what, const char *fmt, const char *arg) {
  return diag_error(d, srcloc(what, 0, 0), fmt, arg);
}

/* "A" or "A:B:C"; returns the characters consumed, or -1. */
static int parse_triple(const char *v, float out[3]) {
  const char *start = v;
  char *end;
  for (int i = 0; i < 3; i++) {
    double x = strtod(v, &end);
    if (end == v || !isfinite(x))
      return -1;
    out[i] = (float)x;
    if (*end != ':') {
      if (i == 0 && (*end == 0 || *end == ',')) { /* one value for all */
        out[1] = out[2] = out[0];
        return (int)(end - start);
      }
      return i == 2 ? (int)(end - start) : -1;
    }
    v = end + 1;
  }
  return -1;
}

int image_prep_parse(const char *recipe, ImagePrep *p, const char *what,
                     Diag *d) {
  memset(p, 0, sizeof *p);
  p->std[0] = p->std[1] = p->std[2] = 1.0f;
  char *copy = strdup(recipe);
  if (!copy)
    QCC_DIE("out of memory");
  int rc = 0;
  for (char *tok = strtok(copy, ","); tok && !rc; tok = strtok(NULL, ",")) {
    if (strncmp(tok, "size=", 5) == 0) {
      char *end;
      long w = strtol(tok + 5, &end, 10), h = 0;
      if (*end == 'x')
        h = strtol(end + 1, &end, 10);
      if (*end || w < 1 || h < 1 || w > 16384 || h > 16384)
        rc = bad(d, what, "bad size '%s' (want WxH)", tok + 5);
      p->width = (int)w;
      p->height = (int)h;
    } else if (strncmp(tok, "mean=", 5) == 0 || strncmp(tok, "std=", 4) == 0) {
      bool mean = tok[0] == 'm';
      const char *v = tok + (mean ? 5 : 4);
      int n = parse_triple(v, mean ? p->mean : p->std);
      if (n < 0 || v[n] != 0)
        rc = bad(d, what, "bad value '%s' (want A or A:B:C)", tok);
      else if (!mean && (p->std[0] == 0 || p->std[1] == 0 || p->std[2] == 0))
        rc = bad(d, what, "std may not be 0 ('%s')", tok);
    } else if (strcmp(tok, "rgb") == 0 || strcmp(tok, "bgr") == 0) {
      p->bgr = tok[0] == 'b';
    } else if (strcmp(tok, "stretch") == 0 || strcmp(tok, "pad") == 0) {
      p->pad_square = tok[0] == 'p';
    } else {
      rc = bad(d, what, "unknown preprocessing step '%s' (size=WxH, mean=, "
               "std=, rgb, bgr, stretch, pad)", tok);
    }
  }
  free(copy);
  return rc;
}

bool image_is_image_file(const char *path) {
  const char *dot = strrchr(path, '.');
  if (!dot)
    return false;
  static const char *const exts[] = {".png", ".jpg", ".jpeg", ".bmp", ".ppm",
                                     ".pgm", ".tga", ".gif"};
  for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
    if (strcasecmp(dot, exts[i]) == 0)
      return true;
  return false;
}

/* Sample of the (padded) source image at real coordinates, bilinear. */
static float sample(const unsigned char *px, int w, int h, int side_w,
                    int side_h, float sx, float sy, int c) {
  sx = sx < 0 ? 0 : sx > (float)(side_w - 1) ? (float)(side_w - 1) : sx;
  sy = sy < 0 ? 0 : sy > (float)(side_h - 1) ? (float)(side_h - 1) : sy;
  int x0 = (int)sx, y0 = (int)sy;
  int x1 = x0 + 1 < side_w ? x0 + 1 : x0, y1 = y0 + 1 < side_h ? y0 + 1 : y0;
  float fx = sx - (float)x0, fy = sy - (float)y0;
#define P(x, y) ((x) < w && (y) < h ? (float)px[((size_t)(y) * (size_t)w + (size_t)(x)) * 3 + (size_t)c] : 0.0f)
  float top = P(x0, y0) * (1 - fx) + P(x1, y0) * fx;
  float bot = P(x0, y1) * (1 - fx) + P(x1, y1) * fx;
#undef P
  return top * (1 - fy) + bot * fy;
}

int image_load(const char *path, const ImagePrep *p, float *out, Diag *d) {
  int w = 0, h = 0, n = 0;
  if (!stbi_info(path, &w, &h, &n))
    return diag_error(d, srcloc(path, 0, 0), "cannot read this image: %s",
                      stbi_failure_reason() ? stbi_failure_reason() : "unknown format");
  if (w < 1 || h < 1 || (int64_t)w * h > ((int64_t)1 << 28))
    return diag_error(d, srcloc(path, 0, 0), "image of %dx%d pixels is out of "
                      "range", (int)w, (int)h);
  unsigned char *px = stbi_load(path, &w, &h, &n, 3);
  if (!px)
    return diag_error(d, srcloc(path, 0, 0), "cannot decode this image: %s",
                      stbi_failure_reason() ? stbi_failure_reason() : "unknown");
  int side_w = w, side_h = h;
  if (p->pad_square)
    side_w = side_h = w > h ? w : h;
  float scale_x = (float)side_w / (float)p->width;
  float scale_y = (float)side_h / (float)p->height;
  size_t plane = (size_t)p->width * (size_t)p->height;
  for (int c = 0; c < 3; c++) {
    int src_c = p->bgr ? 2 - c : c;
    for (int y = 0; y < p->height; y++) {
      float sy = ((float)y + 0.5f) * scale_y - 0.5f;
      for (int x = 0; x < p->width; x++) {
        float sx = ((float)x + 0.5f) * scale_x - 0.5f;
        float v = sample(px, w, h, side_w, side_h, sx, sy, src_c);
        out[(size_t)c * plane + (size_t)y * (size_t)p->width + (size_t)x] =
            (v - p->mean[c]) / p->std[c];
      }
    }
  }
  stbi_image_free(px);
  return 0;
}
