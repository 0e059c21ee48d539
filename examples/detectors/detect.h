/* What the two detector apps share: detections, NMS, and photos (load,
 * prepare for the model with the runtime's preprocessing, draw boxes and
 * labels, save as PNG). */
#ifndef QCC_EXAMPLES_DETECT_H
#define QCC_EXAMPLES_DETECT_H

#include <qcc_runtime.h>

typedef struct Detection {
  int cls;
  float score;
  float x0, y0, x1, y1; /* on the model's input, in pixels */
} Detection;

float detection_iou(const Detection *a, const Detection *b);
/* Greedy NMS per class: sorts d by score (best first) and keeps, in place,
 * those that overlap no better box of their class by more than iou_max.
 * Returns how many were kept. */
int detections_nms(Detection *d, int n, float iou_max);

typedef struct Photo {
  unsigned char *rgb; /* w * h * 3 */
  int w, h;
} Photo;

/* Returns 0, or -1 with a message on stderr. */
int photo_load(const char *path, Photo *p);
void photo_free(Photo *p);
/* Moves d from the model's input to the photo's pixels. */
void detection_to_photo(Detection *d, const Photo *p, const qcc_preprocess *recipe);
/* Draws d's box and "label score" onto the photo. */
void photo_draw(Photo *p, const Detection *d, const char *label);
/* Writes a PNG through a temporary file renamed into place. */
int photo_save_png(const Photo *p, const char *path);

/* A 64-byte aligned workspace of `size` bytes; exits on failure. */
void *workspace_alloc(long long size);
/* Median milliseconds over `repeat` calls of fn(ctx). */
double time_ms(void (*fn)(void *), void *ctx, int repeat);

#endif
