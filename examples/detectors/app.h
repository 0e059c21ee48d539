/* One detector app: its compiled model, preprocessing and box decoding. */
#ifndef QCC_EXAMPLES_APP_H
#define QCC_EXAMPLES_APP_H

#include "detect.h"

enum { APP_MAX_DETECTIONS = 4096 };

typedef struct App {
  const char *name;
  const qcc_model_info *info;
  const char *(*target)(void); /* the code path the model runs */
  const char *recipe;          /* as given to qcc --preprocess */
  float threshold, nms_iou;    /* default score threshold; NMS IoU */
  /* par NULL: the single-threaded entry point. */
  int (*run)(void *ws, const qcc_parallel *par, const float *input,
             float **outputs);
  /* Up to max detections above threshold, on the model's input. */
  int (*decode)(const float *const *outputs, float threshold, Detection *d,
                int max);
  const char *(*label)(int cls);
} App;

int app_main(const App *app, int argc, char **argv);

#endif
