/* The geometry of a sliding-window node (conv2d, qconv2d, maxpool2d,
 * avgpool2d), derived from its shapes and attributes in one place: shape
 * inference checks the attributes and sizes the output with
 * ir_window_infer, and the float and int8 interpreters and the backend's
 * kernels read ir_window_geom, so a window's output size, padding and
 * valid taps have one definition. */
#ifndef QCC_WINDOW_H
#define QCC_WINDOW_H

#include "ir.h"

typedef struct WindowGeom {
  int64_t N, C, H, W;     /* the input, in NCHW terms whatever its layout */
  int64_t O, OH, OW;      /* output channels and spatial size */
  int64_t groups, CG, OG; /* groups and channels per group, in and out
                             (a pool: C groups of one channel) */
  int64_t kh, kw;         /* kernel */
  int64_t sh, sw;         /* stride */
  int64_t dh, dw;         /* dilation (1 for pools) */
  int64_t pt, pl, pb, pr; /* padding: top, left, bottom, right */
  int64_t PH, PW;         /* the padded input: H + pt + pb, W + pl + pr */
} WindowGeom;

/* Checks window node n's kernel, stride, dilation and padding against its
 * input (kernel from the weight for a conv, the attribute for a pool) and
 * gives its output's height and width; ceil_mode follows PyTorch/ONNX (the
 * last window must start inside the input or the top/left padding). An
 * error at the node otherwise. Group and channel rules are the caller's. */
int ir_window_infer(const Node *n, int64_t *oh, int64_t *ow, Diag *d);

/* The geometry of an inferred window node. */
void ir_window_geom(const Node *n, WindowGeom *g);

/* The output positions [*lo, *hi) of `out` whose tap at offset off
 * (k * dilation - pad_lo) lands inside an axis of length `in`:
 * 0 <= o * stride + off < in. Padding taps outside it read the pad value
 * (zero, z_x, or nothing for a max-pool). */
void ir_window_taps(int64_t out, int64_t in, int64_t stride, int64_t off,
                    int64_t *lo, int64_t *hi);

#endif
