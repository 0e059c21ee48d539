/* tiny_face_detector (Tiny-YOLOv2 faces): decoding as its README in
 * ../shared/models/tiny_face_detector describes. Output [1, 25, 13, 13]:
 * 13x13 cells x 5 anchors x (tx, ty, tw, th, objectness), channel a*5 + k.
 * Built against `qcc compile ... --name tiny_face`. */
#include <math.h>

#include "app.h"
#include "tiny_face.h"

#ifndef RECIPE
#error "build with -DRECIPE=\"$(cat tiny_face.recipe)\" (see Makefile)"
#endif

static const float anchors[5][2] = {{1.603f, 2.094f}, {6.041f, 7.080f},
                                    {2.882f, 3.518f}, {4.267f, 5.179f},
                                    {9.042f, 10.663f}};

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

static int decode(const float *const *outputs, float threshold, Detection *d,
                  int max) {
  const float *y = outputs[0];
  const int grid = 13, size = 416, plane = grid * grid;
  int n = 0;
  for (int a = 0; a < 5; a++)
    for (int cy = 0; cy < grid; cy++)
      for (int cx = 0; cx < grid; cx++) {
        const float *t = y + (a * 5) * plane + cy * grid + cx;
        float score = sigmoid(t[4 * plane]);
        if (score <= threshold || n == max)
          continue;
        float x = (cx + sigmoid(t[0])) / grid, yc = (cy + sigmoid(t[plane])) / grid;
        float w = expf(t[2 * plane]) * anchors[a][0] / grid;
        float h = expf(t[3 * plane]) * anchors[a][1] / grid;
        d[n++] = (Detection){0, score, (x - w / 2) * size, (yc - h / 2) * size,
                             (x + w / 2) * size, (yc + h / 2) * size};
      }
  return n;
}

static int run(void *ws, const qcc_parallel *par, const float *input,
               float **outputs) {
  return par ? tiny_face_run_parallel(ws, par, input, outputs[0])
             : tiny_face_run(ws, input, outputs[0]);
}

static const char *label(int cls) {
  (void)cls;
  return "face";
}

int main(int argc, char **argv) {
  App app = {"tiny_face_app", &tiny_face_info, tiny_face_target, RECIPE,
             0.5f, 0.4f, run, decode, label};
  return app_main(&app, argc, argv);
}
