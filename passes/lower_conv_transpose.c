/* lower-conv-transpose: conv_transpose as ops the kernels have, so it runs
 * as a real conv (f32, or int8 on the VNNI/AMX schedule), not a float
 * island. Per axis of stride s and kernel K, output row t = q*s + r of the
 * unpadded result z is
 *   z[q*s + r] = sum over m of x[q - m] * w[m*s + r]   (m*s + r < K),
 * a correlation of x with the phase-r sub-kernel flipped, of M = ceil(K/s)
 * taps. So with groups g and Cg = O/g outputs per group:
 *   conv2d(x, w', b', padding M-1 each side (more at the end when
 *          output_padding needs it), groups g)
 *     -> [N, g*sh*sw*Cg, H', W'], channels ordered (group, rh, rw, o)
 *   reshape [N, g, sh, sw, Cg, H', W'], transpose to [N, g, Cg, H', sh,
 *   W', sw], reshape [N, O, H'*sh, W'*sw]      (the phases interleaved)
 *   slice rows [pt, pt + OH) and columns [pl, pl + OW)   (the padding)
 * with w'[((grp*sh + rh)*sw + rw)*Cg + o, c, mh, mw] =
 *   w[grp*CG + c, o, (Mh-1-mh)*sh + rh, (Mw-1-mw)*sw + rw] (0 past K) and
 * b' the bias repeated per phase. Rows of z past (H-1)*sh + KH hold the
 * bias alone, as ONNX's output_padding rows do.
 * Requires: an inferred graph; conv_transpose weights (and bias) constant.
 * Preserves: values up to the summation order of the conv. */
#include "pass.h"

#include <string.h>

static Tensor *new_tensor(Graph *g, const Node *n, const char *role,
                          TensorKind kind, int rank, const int64_t *dims) {
  Tensor *t = ir_graph_add_tensor(
      g, ir_graph_unique_name(g, arena_printf(g->arena, "%s.%s", n->name, role)),
      kind, DT_F32, rank, dims, n->loc, NULL);
  if (!t)
    QCC_DIE("unique name collided");
  if (kind == TK_CONST)
    ir_tensor_alloc_data(g, t);
  return t;
}

static Node *add_node(Graph *g, const Node *n, const char *role, OpKind op,
                      Tensor *const *ins, int num_ins, Tensor *out,
                      const Attr *attrs, int num_attrs) {
  const char *name =
      ir_graph_unique_name(g, arena_printf(g->arena, "%s/%s", n->name, role));
  return ir_graph_add_node(g, name, op, ins, num_ins, &out, 1, attrs,
                           num_attrs, n->loc);
}

static int lower_one(Graph *g, Node *n, Diag *d) {
  const Tensor *x = n->inputs[0], *w = n->inputs[1];
  const Tensor *b = n->num_inputs > 2 ? n->inputs[2] : NULL;
  if (w->kind != TK_CONST || (b && b->kind != TK_CONST))
    return ir_node_error(d, n, "weight and bias must be constants to compile "
                         "(it becomes a conv2d)");
  Tensor *y = n->outputs[0];
  int cnt;
  const int64_t *st = ir_attr_ints(n, ATTR_STRIDE, &cnt);
  const int64_t *pad = ir_attr_ints(n, ATTR_PADDING, &cnt);
  int64_t groups = ir_attr_int(n, ATTR_GROUPS);
  int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
  int64_t Cg = w->dims[1], KH = w->dims[2], KW = w->dims[3], CG = C / groups;
  int64_t O = y->dims[1], OH = y->dims[2], OW = y->dims[3];
  int64_t sh = st[0], sw = st[1], pt = pad[0], pl = pad[1];
  int64_t Mh = (KH + sh - 1) / sh, Mw = (KW + sw - 1) / sw;
  /* The interleaved result covers rows [0, (H + Mh - 1 + eh) * sh); the
   * slice needs [pt, pt + OH). */
  int64_t eh = 0, ew = 0;
  while ((H + Mh - 1 + eh) * sh < pt + OH)
    eh++;
  while ((W + Mw - 1 + ew) * sw < pl + OW)
    ew++;
  int64_t Hc = H + Mh - 1 + eh, Wc = W + Mw - 1 + ew;
  /* The phases' conv has groups * sh * sw * Cg output channels: a stride
   * far beyond the kernel would make it huge (and mostly zero). */
  if (sh * sw > (1 << 12) || groups * sh * sw * Cg > (1 << 24))
    return ir_node_error(d, n, "stride %lldx%lld is too large to compile "
                         "(%lld phases of %lld channels)", (long long)sh,
                         (long long)sw, (long long)(sh * sw), (long long)O);
  int64_t Oc = groups * sh * sw * Cg;

  int64_t wd[4] = {Oc, CG, Mh, Mw}, bd[1] = {Oc};
  Tensor *nw = new_tensor(g, n, "phases.w", TK_CONST, 4, wd);
  Tensor *nb = new_tensor(g, n, "phases.b", TK_CONST, 1, bd);
  float *wv = nw->data, *bv = nb->data;
  const float *ws = w->data, *bs = b ? b->data : NULL;
  for (int64_t grp = 0; grp < groups; grp++)
    for (int64_t rh = 0; rh < sh; rh++)
      for (int64_t rw = 0; rw < sw; rw++)
        for (int64_t o = 0; o < Cg; o++) {
          int64_t oc = ((grp * sh + rh) * sw + rw) * Cg + o;
          bv[oc] = bs ? bs[grp * Cg + o] : 0.0f;
          for (int64_t c = 0; c < CG; c++)
            for (int64_t mh = 0; mh < Mh; mh++)
              for (int64_t mw = 0; mw < Mw; mw++) {
                int64_t kh = (Mh - 1 - mh) * sh + rh, kw = (Mw - 1 - mw) * sw + rw;
                float v = 0.0f;
                if (kh < KH && kw < KW)
                  v = ws[(((grp * CG + c) * Cg + o) * KH + kh) * KW + kw];
                wv[((oc * CG + c) * Mh + mh) * Mw + mw] = v;
              }
        }

  int64_t cd[4] = {N, Oc, Hc, Wc};
  Tensor *conv = new_tensor(g, n, "phases", TK_VALUE, 4, cd);
  int64_t conv_pad[4] = {Mh - 1, Mw - 1, Mh - 1 + eh, Mw - 1 + ew};
  Attr ca[2] = {ir_attr_make_ints(g, ATTR_PADDING, AK_INTS, conv_pad, 4),
                ir_attr_make_ints(g, ATTR_GROUPS, AK_INT, &groups, 1)};
  Tensor *cin[3] = {n->inputs[0], nw, nb};
  Node *nodes[5];
  nodes[0] = add_node(g, n, "phases", OP_CONV2D, cin, 3, conv, ca, 2);

  int64_t s7[7] = {N, groups, sh, sw, Cg, Hc, Wc};
  Tensor *split = new_tensor(g, n, "split", TK_VALUE, 7, s7);
  Attr sa = ir_attr_make_ints(g, ATTR_SHAPE, AK_INTS, s7, 7);
  nodes[1] = add_node(g, n, "split", OP_RESHAPE, &conv, 1, split, &sa, 1);

  int64_t perm[7] = {0, 1, 4, 5, 2, 6, 3};
  int64_t m7[7] = {N, groups, Cg, Hc, sh, Wc, sw};
  Tensor *moved = new_tensor(g, n, "interleaved", TK_VALUE, 7, m7);
  Attr pa = ir_attr_make_ints(g, ATTR_PERM, AK_INTS, perm, 7);
  nodes[2] = add_node(g, n, "interleave", OP_TRANSPOSE, &split, 1, moved, &pa, 1);

  int64_t f4[4] = {N, O, Hc * sh, Wc * sw};
  Tensor *full = new_tensor(g, n, "full", TK_VALUE, 4, f4);
  Attr fa = ir_attr_make_ints(g, ATTR_SHAPE, AK_INTS, f4, 4);
  nodes[3] = add_node(g, n, "merge", OP_RESHAPE, &moved, 1, full, &fa, 1);

  /* The last node takes over n's result (its readers and graph outputs). */
  int64_t starts[2] = {pt, pl}, ends[2] = {pt + OH, pl + OW}, axes[2] = {2, 3};
  Attr la[3] = {ir_attr_make_ints(g, ATTR_STARTS, AK_INTS, starts, 2),
                ir_attr_make_ints(g, ATTR_ENDS, AK_INTS, ends, 2),
                ir_attr_make_ints(g, ATTR_AXES, AK_INTS, axes, 2)};
  n->num_outputs = 0;
  n->dead = true;
  nodes[4] = add_node(g, n, "crop", OP_SLICE, &full, 1, y, la, 3);
  for (int i = 0; i < 5; i++)
    if (ir_node_complete_attrs(g, nodes[i], d))
      return -1;
  return 0;
}

int pass_lower_conv_transpose(Graph *g, PassContext *ctx, bool *changed,
                              Diag *d) {
  (void)ctx;
  bool any = false;
  int num = g->num_nodes; /* not the nodes this adds */
  for (int i = 0; i < num; i++) {
    Node *n = g->nodes[i];
    if (n->op != OP_CONV_TRANSPOSE || n->dead)
      continue;
    if (lower_one(g, n, d))
      return -1;
    any = true;
  }
  if (changed)
    *changed = any;
  if (!any)
    return 0;
  ir_graph_remove_dead_nodes(g);
  if (ir_graph_sort(g, d) || ir_graph_infer(g, d))
    return -1;
  return pass_dce(g, ctx, NULL, d);
}
