/* Photos as model inputs: decoding (PNG, JPEG, BMP, ... through Debian's
 * stb_image) and the preprocessing recipes detectors document:
 *
 *   size=WxH              output size (default: the input tensor's)
 *   mean=R:G:B  std=R:G:B (x - mean) / std per channel, on 0..255 values,
 *                         given in the model's channel order; one value
 *                         applies to all three channels
 *   rgb | bgr             channel order of the tensor (default rgb)
 *   stretch | pad         resize the whole image to WxH (default), or first
 *                         pad it to a square at the bottom/right with 0
 *
 * e.g. "size=416x416,mean=103.53:116.28:123.675,std=57.375:57.12:58.395,bgr".
 * Resizing is bilinear with half-pixel centres, edges clamped. Output is
 * f32 CHW (3 x H x W). */
#ifndef QCC_FRONTEND_IMAGE_H
#define QCC_FRONTEND_IMAGE_H

#include <stdbool.h>

#include "ir.h"

typedef struct ImagePrep {
  int width, height; /* 0: take from the tensor */
  float mean[3], std[3];
  bool bgr, pad_square;
} ImagePrep;

/* Parses a recipe; errors name the recipe (`what`, e.g. "--preprocess"). */
int image_prep_parse(const char *recipe, ImagePrep *p, const char *what,
                     Diag *d);

/* Whether the file name looks like an image this module reads. */
bool image_is_image_file(const char *path);

/* Decodes path and writes 3 * p->height * p->width floats to out. */
int image_load(const char *path, const ImagePrep *p, float *out, Diag *d);

#endif
