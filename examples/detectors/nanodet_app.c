/* nanodet_g (NanoDet-g, COCO): decoding as its README in
 * ../shared/models/nanodet_g describes (GFL). Outputs, at strides 8, 16
 * and 32: class scores [1, N, 80] after sigmoid, then box distributions
 * [1, N, 44] = 4 sides (left, top, right, bottom) x 11 bins; the distance
 * of a side is the softmax-weighted mean bin, times the stride, from the
 * cell centre. Built against `qcc compile ... --name nanodet`. */
#include <math.h>
#include <string.h>

#include "app.h"
#include "nanodet.h"

#ifndef RECIPE
#error "build with -DRECIPE=\"$(cat nanodet.recipe)\" (see Makefile)"
#endif

enum { CLASSES = 80, BINS = 11, SIZE = 416 };

/* COCO's 80 class names, in the model's order (labels.txt). */
static const char *const names[CLASSES] = {
  "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train",
  "truck", "boat", "traffic light", "fire hydrant", "stop sign",
  "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
  "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag",
  "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
  "baseball bat", "baseball glove", "skateboard", "surfboard",
  "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon",
  "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot",
  "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
  "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote",
  "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
  "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
  "hair drier", "toothbrush",
};

/* The expected bin of a softmax over BINS logits. */
static float side(const float *logits) {
  float top = logits[0], sum = 0, mean = 0;
  for (int i = 1; i < BINS; i++)
    top = logits[i] > top ? logits[i] : top;
  for (int i = 0; i < BINS; i++) {
    float e = expf(logits[i] - top);
    sum += e;
    mean += e * (float)i;
  }
  return mean / sum;
}

/* The output called name; outputs come in the model's order (as in
 * nanodet_info and the run functions' parameters). */
static const float *output(const float *const *outputs, const char *name) {
  for (int k = 0; k < nanodet_info.num_outputs; k++)
    if (strcmp(nanodet_info.outputs[k].name, name) == 0)
      return outputs[k];
  return NULL;
}

static int decode(const float *const *outputs, float threshold, Detection *d,
                  int max) {
  static const int strides[3] = {8, 16, 32};
  static const char *const scores[3] = {"Identity", "Identity_1", "Identity_2"};
  static const char *const boxes[3] = {"Identity_3", "Identity_4", "Identity_5"};
  int n = 0;
  for (int level = 0; level < 3; level++) {
    int stride = strides[level], grid = SIZE / stride;
    const float *cls = output(outputs, scores[level]);
    const float *dist = output(outputs, boxes[level]);
    if (!cls || !dist)
      return 0;
    for (int cell = 0; cell < grid * grid; cell++) {
      const float *s = cls + (size_t)cell * CLASSES;
      int best = 0;
      for (int c = 1; c < CLASSES; c++)
        best = s[c] > s[best] ? c : best;
      if (s[best] <= threshold || n == max)
        continue;
      const float *b = dist + (size_t)cell * 4 * BINS;
      float cx = ((float)(cell % grid) + 0.5f) * (float)stride;
      float cy = ((float)(cell / grid) + 0.5f) * (float)stride;
      float x0 = cx - side(b) * (float)stride, y0 = cy - side(b + BINS) * (float)stride;
      float x1 = cx + side(b + 2 * BINS) * (float)stride;
      float y1 = cy + side(b + 3 * BINS) * (float)stride;
      d[n++] = (Detection){best, s[best], fmaxf(x0, 0), fmaxf(y0, 0),
                           fminf(x1, SIZE), fminf(y1, SIZE)};
    }
  }
  return n;
}

static int run(void *ws, const qcc_parallel *par, const float *input,
               float **o) {
  return par ? nanodet_run_parallel(ws, par, input, o[0], o[1], o[2], o[3], o[4], o[5])
             : nanodet_run(ws, input, o[0], o[1], o[2], o[3], o[4], o[5]);
}

static const char *label(int cls) {
  return cls >= 0 && cls < CLASSES ? names[cls] : "?";
}

int main(int argc, char **argv) {
  App app = {"nanodet_app", &nanodet_info, nanodet_target, RECIPE,
             0.35f, 0.5f, run, decode, label};
  return app_main(&app, argc, argv);
}
