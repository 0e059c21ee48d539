/* Window geometry (window.h): the checks and output sizes of shape
 * inference, and the geometry every later stage reads. */
#include "window.h"

static bool is_pool(const Node *n) {
  return n->op == OP_MAXPOOL2D || n->op == OP_AVGPOOL2D;
}

/* One spatial axis: checks its attributes and computes its output size. */
static int axis_out(const Node *n, const char *dim, int64_t in, int64_t kernel,
                    int64_t stride, int64_t dil, int64_t pad_lo, int64_t pad_hi,
                    bool ceil_mode, int64_t *out, Diag *d) {
  if (kernel <= 0)
    return ir_node_error(d, n, "kernel %s is %lld, must be positive", dim,
                         (long long)kernel);
  if (stride <= 0)
    return ir_node_error(d, n, "stride %s is %lld, must be positive", dim,
                         (long long)stride);
  if (dil <= 0)
    return ir_node_error(d, n, "dilation %s is %lld, must be positive", dim,
                         (long long)dil);
  if (pad_lo < 0 || pad_hi < 0)
    return ir_node_error(d, n, "padding must not be negative");
  if (kernel > (1 << 20) || stride > (1 << 20) || dil > (1 << 20) ||
      pad_lo > (1 << 20) || pad_hi > (1 << 20))
    return ir_node_error(d, n, "window attributes are too large");
  int64_t eff = dil * (kernel - 1) + 1;
  int64_t padded = in + pad_lo + pad_hi;
  if (eff > padded)
    return ir_node_error(d, n,
                         "kernel %s %lld is larger than the padded input (%lld)",
                         dim, (long long)eff, (long long)padded);
  int64_t span = padded - eff;
  int64_t o = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceil_mode && (o - 1) * stride >= in + pad_lo)
    o--;
  *out = o;
  return 0;
}

int ir_window_infer(const Node *n, int64_t *oh, int64_t *ow, Diag *d) {
  const Tensor *x = n->inputs[0];
  const int64_t *st = ir_attr_ints(n, ATTR_STRIDE, NULL);
  const int64_t *pad = ir_attr_ints(n, ATTR_PADDING, NULL);
  if (is_pool(n)) {
    const int64_t *k = ir_attr_ints(n, ATTR_KERNEL, NULL);
    bool ceil_mode = ir_attr_int(n, ATTR_CEIL_MODE) != 0;
    if (axis_out(n, "height", x->dims[2], k[0], st[0], 1, pad[0], pad[2],
                 ceil_mode, oh, d) ||
        axis_out(n, "width", x->dims[3], k[1], st[1], 1, pad[1], pad[3],
                 ceil_mode, ow, d))
      return -1;
    /* A window that sees only padding has no defined max or average. */
    if (pad[0] >= k[0] || pad[1] >= k[1] || pad[2] >= k[0] || pad[3] >= k[1])
      return ir_node_error(d, n, "padding must be smaller than the kernel");
    return 0;
  }
  const Tensor *w = n->inputs[1];
  const int64_t *dil = ir_attr_ints(n, ATTR_DILATION, NULL);
  return axis_out(n, "height", x->dims[2], w->dims[2], st[0], dil[0], pad[0],
                  pad[2], false, oh, d) ||
                 axis_out(n, "width", x->dims[3], w->dims[3], st[1], dil[1],
                          pad[1], pad[3], false, ow, d)
             ? -1
             : 0;
}

void ir_window_geom(const Node *n, WindowGeom *g) {
  const Tensor *x = n->inputs[0], *y = n->outputs[0];
  int cnt;
  const int64_t *s = ir_attr_ints(n, ATTR_STRIDE, NULL);
  const int64_t *p = ir_attr_ints(n, ATTR_PADDING, &cnt);
  if (cnt != 4)
    QCC_DIE("%s '%s': padding has %d values after completion",
            op_info(n->op)->name, n->name, cnt);
  *g = (WindowGeom){
      .N = x->dims[0], .C = x->dims[1], .H = x->dims[2], .W = x->dims[3],
      .OH = y->dims[2], .OW = y->dims[3],
      .sh = s[0], .sw = s[1], .dh = 1, .dw = 1,
      .pt = p[0], .pl = p[1], .pb = p[2], .pr = p[3],
  };
  if (is_pool(n)) {
    const int64_t *k = ir_attr_ints(n, ATTR_KERNEL, NULL);
    g->O = g->groups = g->C;
    g->CG = g->OG = 1;
    g->kh = k[0];
    g->kw = k[1];
  } else {
    const Tensor *w = n->inputs[1];
    const int64_t *dl = ir_attr_ints(n, ATTR_DILATION, NULL);
    g->O = w->dims[0];
    g->groups = ir_attr_int(n, ATTR_GROUPS);
    g->CG = w->dims[1];
    g->OG = g->O / g->groups;
    g->kh = w->dims[2];
    g->kw = w->dims[3];
    g->dh = dl[0];
    g->dw = dl[1];
  }
  g->PH = g->H + g->pt + g->pb;
  g->PW = g->W + g->pl + g->pr;
}

void ir_window_taps(int64_t out, int64_t in, int64_t stride, int64_t off,
                    int64_t *lo, int64_t *hi) {
  int64_t a = off >= 0 ? 0 : (-off + stride - 1) / stride;
  int64_t b = in - off <= 0 ? 0 : (in - off - 1) / stride + 1;
  *hi = b < out ? b : out;
  *lo = a < *hi ? a : *hi;
}
