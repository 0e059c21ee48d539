/* Photos as model inputs: decoding (PNG, JPEG, BMP, ... through Debian's
 * stb_image), then the runtime's preprocessing (qcc_runtime.h describes
 * the recipes), so calibration and apps built on the runtime prepare a
 * photo the same way, e.g.
 * "size=416x416,mean=103.53:116.28:123.675,std=57.375:57.12:58.395,bgr".
 * Output is f32 CHW (3 x H x W). */
#ifndef QCC_FRONTEND_IMAGE_H
#define QCC_FRONTEND_IMAGE_H

#include <stdbool.h>

#include "ir.h"
#include "npy.h"
#include "qcc_runtime.h"

typedef qcc_preprocess ImagePrep;

/* Parses a recipe; errors name the recipe (`what`, e.g. "--preprocess"). */
int image_prep_parse(const char *recipe, ImagePrep *p, const char *what,
                     Diag *d);

/* Whether the file name looks like an image this module reads. */
bool image_is_image_file(const char *path);

/* Decodes path and writes 3 * p->height * p->width floats to out. */
int image_load(const char *path, const ImagePrep *p, float *out, Diag *d);

/* A photo as the model input `name` of shape dims (rank 4, [1, 3, H, W]),
 * prepared by recipe (its size, if given, must be W x H): a malloc'd f32
 * array in *a (free with npy_free). */
int image_load_input(const char *path, const char *recipe, const char *name,
                     int rank, const int64_t *dims, NpyArray *a, Diag *d);

#endif
