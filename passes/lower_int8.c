/* lower-int8: rewrites the quantized float graph into the int8 dialect.
 *
 *  1. Decide, per node, int8 or f32 (and why): conv2d/linear need u8
 *     parameters on input and result, i8 weights, an i32-safe reduction
 *     (K·255·127 < 2³¹) and a bias that fits i32; activations, add/sub/mul
 *     need parameters on every operand; pass-through ops need one shared set.
 *     Nodes matching ctx->keep_float globs stay f32.
 *  2. Fuse relu/relu6/clip that alone consume a conv2d/linear result into
 *     its output clamp, and any other unary activation into an activation
 *     table the accumulator indexes: the pre-activation value is then
 *     requantized once, to QCC_FUSED_TABLE levels rather than to u8, which
 *     removes the coarsest rounding of a conv→silu pair.
 *  3. Tensors crossing between int8 and f32 nodes get an explicit
 *     `quantize` or `dequantize`; graph inputs and outputs stay f32, so
 *     the interface does not change. A conv2d/linear (without a fused
 *     activation) whose result is a graph output and nothing else's input
 *     keeps an f32 result: its accumulator is dequantized, not rounded to
 *     u8 first, so a detector's box regressions and logits lose nothing
 *     to the output's per-tensor scale. Not when the model pins the
 *     result's parameters (a QDQ pair on the output is the model's own
 *     rounding).
 *  4. Rewrite: conv2d → qconv2d (i8 weights, i32 bias), linear → qlinear,
 *     unary activations → lut (a 256-entry table computed in double),
 *     add/sub/mul → qadd/qsub/qmul; pass-through ops simply run on u8.
 * Every decision goes to ctx->log. Requires: fold-scales. Preserves: the
 * graph's interface; values up to quantization error. */
#include "pass.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quant_math.h"
#include "unary.h"

typedef struct Lower {
  Graph *g;
  PassContext *ctx;
  bool *int8;        /* per node id (ids fixed during decisions) */
  int64_t (*clamp)[2];
  Node **fused;      /* per node id: the activation fused into it */
  Tensor **pre;      /* per node id: its result before the fusion */
  bool *f32_result;  /* per node id: int8 conv/linear with an f32 result */
} Lower;

/* Entries of a table fused into qconv2d/qlinear: 10 bits of index, so the
 * pre-activation rounding is 12 dB below that of a u8 intermediate, and the
 * table (1 KiB) stays in L1. */
enum { QCC_FUSED_TABLE = 1024 };

static bool is_fusable_act(const Node *n);

static bool act_u8(const Tensor *t) {
  return t->quant && t->quant->dtype == DT_U8 && t->quant->axis == -1;
}

static bool same_params(const QuantParams *a, const QuantParams *b) {
  return a && b && a->dtype == b->dtype && a->axis == b->axis &&
         a->count == 1 && b->count == 1 && a->scale[0] == b->scale[0] &&
         a->zero_point[0] == b->zero_point[0];
}

/* Why conv2d/linear n cannot be int8 (NULL when it can), with y its result
 * after fusion. */
static const char *conv_blocker(Graph *g, const Node *n, const Tensor *y) {
  const Tensor *x = n->inputs[0], *w = n->inputs[1];
  const Tensor *b = n->num_inputs > 2 ? n->inputs[2] : NULL;
  if (!act_u8(x))
    return arena_printf(g->arena, "no quantization parameters for input '%s'",
                        x->name);
  if (!act_u8(y))
    return arena_printf(g->arena, "no quantization parameters for result '%s'",
                        y->name);
  if (w->kind != TK_CONST || !w->quant || w->quant->dtype != DT_I8)
    return "weight is not a constant with i8 parameters";
  if (b && b->kind != TK_CONST)
    return "bias is not a constant";
  int64_t K = ir_tensor_numel(w) / w->dims[0];
  if (K * 255 * 127 >= ((int64_t)1 << 31))
    return arena_printf(g->arena,
                        "reduction of %lld products could overflow the i32 "
                        "accumulator", (long long)K);
  if (b) {
    const float *bd = b->data;
    for (int64_t o = 0; o < b->dims[0]; o++) {
      double sw = w->quant->scale[w->quant->axis < 0 ? 0 : o];
      if (!isfinite(bd[o]))
        return "bias is not finite";
      double q = nearbyint((double)bd[o] / ((double)x->quant->scale[0] * sw));
      /* Written so that a NaN quotient (a zero or NaN scale) fails too:
       * nothing non-finite may reach quantize_bias's int32 conversion. */
      if (!(fabs(q) <= 2147483647.0 - 255.0 * 127.0 * (double)K))
        return "bias does not fit the i32 accumulator at these scales";
    }
  }
  return NULL;
}

static bool is_fusable_act(const Node *n) {
  return n->op == OP_RELU || n->op == OP_RELU6 || n->op == OP_CLIP;
}

/* The u8 clamp that applies activation `act` on a result quantized with q. */
static void act_clamp(const Node *act, const QuantParams *q, int64_t *lo,
                      int64_t *hi) {
  float s = q->scale[0];
  int32_t z = q->zero_point[0];
  double a = 0, b = INFINITY;
  if (act->op == OP_RELU6)
    b = 6;
  if (act->op == OP_CLIP) {
    a = ir_attr_float(act, ATTR_MIN);
    b = ir_attr_float(act, ATTR_MAX);
  }
  *lo = qm_quantize((float)a, s, z, 0, 255);
  *hi = isinf(b) ? 255 : qm_quantize((float)b, s, z, 0, 255);
}

static const char *decide(Lower *L, Node *n) {
  Graph *g = L->g;
  const OpInfo *info = op_info(n->op);
  for (int i = 0; i < L->ctx->num_auto_keep; i++)
    if (strcmp(L->ctx->auto_keep[i], n->name) == 0)
      return L->ctx->auto_keep_reason ? L->ctx->auto_keep_reason
                                      : "kept in f32 by the accuracy search";
  if (pass_kept_float(L->ctx, n))
    return "kept in f32 by --keep-float";
  switch (n->op) {
  case OP_CONV2D:
  case OP_LINEAR: {
    Tensor *y = n->outputs[0];
    const char *why = conv_blocker(g, n, y);
    /* Fuse a lone relu/relu6/clip consumer into the clamp. */
    Node *act = NULL;
    for (int i = 0; i < g->num_nodes && !ir_is_graph_output(g, y); i++)
      for (int j = 0; j < g->nodes[i]->num_inputs; j++)
        if (g->nodes[i]->inputs[j] == y)
          act = act ? (Node *)-1 : g->nodes[i];
    if (why || !act || act == (Node *)-1 || pass_kept_float(L->ctx, act) ||
        conv_blocker(g, n, act->outputs[0]))
      return why;
    if (is_fusable_act(act)) {
      L->fused[n->id] = act;
      act_clamp(act, act->outputs[0]->quant, &L->clamp[n->id][0],
                &L->clamp[n->id][1]);
    } else if (op_info(act->op)->flags & OPF_UNARY_ACT) {
      L->fused[n->id] = act; /* through a table (rewrite_node) */
    }
    return NULL;
  }
  case OP_ADD:
  case OP_SUB:
  case OP_MUL:
    for (int i = 0; i < 2; i++)
      if (n->inputs[i]->kind != TK_CONST && !act_u8(n->inputs[i]))
        return arena_printf(g->arena, "no quantization parameters for '%s'",
                            n->inputs[i]->name);
    if (n->inputs[0]->kind == TK_CONST && n->inputs[1]->kind == TK_CONST)
      return "both operands are constants";
    return act_u8(n->outputs[0]) ? NULL
                                 : arena_printf(g->arena,
                                                "no quantization parameters "
                                                "for result '%s'",
                                                n->outputs[0]->name);
  case OP_BATCH_NORM:
    return "batch_norm that does not follow a conv2d/linear has no int8 "
           "kernel (it could not be folded)";
  case OP_SOFTMAX:
    return "softmax has no int8 kernel";
  default:
    break;
  }
  if (info->flags & OPF_UNARY_ACT || is_fusable_act(n)) {
    if (!act_u8(n->inputs[0]))
      return arena_printf(g->arena, "no quantization parameters for '%s'",
                          n->inputs[0]->name);
    return act_u8(n->outputs[0]) ? NULL
                                 : arena_printf(g->arena,
                                                "no quantization parameters "
                                                "for result '%s'",
                                                n->outputs[0]->name);
  }
  if (info->flags & OPF_U8_CAPABLE) {
    for (int i = 0; i < n->num_inputs + n->num_outputs; i++) {
      const Tensor *t = i < n->num_inputs ? n->inputs[i]
                                          : n->outputs[i - n->num_inputs];
      if (t->kind == TK_CONST)
        return "constant operand";
      if (!act_u8(t))
        return arena_printf(g->arena, "no quantization parameters for '%s'",
                            t->name);
      if (!same_params(t->quant, n->inputs[0]->quant))
        return arena_printf(g->arena,
                            "'%s' and '%s' have different parameters "
                            "(pinned?), so this op would need arithmetic",
                            t->name, n->inputs[0]->name);
    }
    return NULL;
  }
  return "no int8 kernel";
}

/* ---- rewriting -------------------------------------------------------- */

static Tensor *new_const(Graph *g, const char *base, DType dt, int rank,
                         const int64_t *dims, SrcLoc loc) {
  Tensor *t = ir_graph_add_tensor(g, ir_graph_unique_name(g, base), TK_CONST,
                                  dt, rank, dims, loc, NULL);
  if (!t)
    QCC_DIE("unique name collided");
  ir_tensor_alloc_data(g, t);
  return t;
}

static Tensor *quantize_weight(Graph *g, const Tensor *w) {
  const QuantParams *q = w->quant;
  Tensor *t = new_const(g, arena_printf(g->arena, "%s.q", w->name), DT_I8,
                        w->rank, w->dims, w->loc);
  t->quant = (QuantParams *)q;
  int64_t O = w->dims[0], per = ir_tensor_numel(w) / O;
  const float *src = w->data;
  int8_t *dst = t->data;
  for (int64_t o = 0; o < O; o++) {
    float s = q->scale[q->axis < 0 ? 0 : o];
    for (int64_t k = 0; k < per; k++)
      dst[o * per + k] = (int8_t)qm_quantize(src[o * per + k], s, 0, -127, 127);
  }
  return t;
}

static Tensor *quantize_bias(Graph *g, const Tensor *b, const Tensor *x,
                             const Tensor *w) {
  int64_t O = b->dims[0];
  Tensor *t = new_const(g, arena_printf(g->arena, "%s.q", b->name), DT_I32, 1,
                        b->dims, b->loc);
  QuantParams *q = ir_quant_create(g, DT_I32, 0, (int)O);
  const float *src = b->data;
  int32_t *dst = t->data;
  for (int64_t o = 0; o < O; o++) {
    double s = (double)x->quant->scale[0] *
               (double)w->quant->scale[w->quant->axis < 0 ? 0 : o];
    q->scale[o] = (float)s;
    dst[o] = (int32_t)nearbyint((double)src[o] / s);
  }
  t->quant = q;
  return t;
}

/* A u8 constant holding `c` quantized with parameters from its own range. */
static Tensor *quantize_const_operand(Graph *g, const Tensor *c) {
  const float *src = c->data;
  int64_t n = ir_tensor_numel(c);
  float lo = 0, hi = 0;
  for (int64_t i = 0; i < n; i++) {
    lo = fminf(lo, src[i]);
    hi = fmaxf(hi, src[i]);
  }
  Tensor *t = new_const(g, arena_printf(g->arena, "%s.q", c->name), DT_U8,
                        c->rank, c->dims, c->loc);
  t->quant = ir_quant_create(g, DT_U8, -1, 1);
  calib_quant_params_u8(lo, hi, &t->quant->scale[0], &t->quant->zero_point[0]);
  uint8_t *dst = t->data;
  for (int64_t i = 0; i < n; i++)
    dst[i] = (uint8_t)qm_quantize(src[i], t->quant->scale[0],
                                  t->quant->zero_point[0], 0, 255);
  return t;
}

/* The u8 table of activation n over `entries` input levels: entry k stands
 * for the real value (k - z_in) * s_in and holds f of it, quantized with the
 * parameters of n's result. */
static Tensor *make_table(Graph *g, const Node *n, float s_in, int32_t z_in,
                          int64_t entries) {
  const QuantParams *qy = n->outputs[0]->quant;
  Tensor *t = new_const(g, arena_printf(g->arena, "%s.table", n->name), DT_U8,
                        1, &entries, n->loc);
  uint8_t *tab = t->data;
  for (int64_t k = 0; k < entries; k++) {
    double x = (double)(k - z_in) * (double)s_in;
    double y = nearbyint(ir_unary_eval(n, x) / (double)qy->scale[0]) +
               qy->zero_point[0];
    /* A level outside the op's domain (log or sqrt of a negative) is NaN:
     * code 0, so that the table is defined. */
    tab[k] = (uint8_t)(isnan(y) ? 0 : y < 0 ? 0 : y > 255 ? 255 : y);
  }
  return t;
}

static void set_inputs(Graph *g, Node *n, Tensor **ins, int num) {
  n->inputs = arena_alloc(g->arena, sizeof(Tensor *) * (size_t)(num + 1));
  memcpy(n->inputs, ins, sizeof(Tensor *) * (size_t)num);
  n->num_inputs = num;
}

/* A zero i32 bias, for a conv/linear that gets a fused table (the table is
 * always the 4th input). */
static Tensor *zero_bias(Graph *g, const Node *n) {
  return new_const(g, arena_printf(g->arena, "%s.zero_bias", n->name), DT_I32,
                   1, n->inputs[1]->dims, n->loc);
}

static void add_attr(Graph *g, Node *n, Attr a) {
  Attr *na = arena_alloc(g->arena, sizeof(Attr) * (size_t)(n->num_attrs + 1));
  memcpy(na, n->attrs, sizeof(Attr) * (size_t)n->num_attrs);
  na[n->num_attrs++] = a;
  n->attrs = na;
}

/* Fuses activation `act` into conv/linear n as a QCC_FUSED_TABLE-entry
 * table over the range calibrated for n's own (pre-activation) result. */
static void fuse_table(Graph *g, Node *n, const Node *act, const Tensor *pre) {
  const QuantParams *q = pre->quant;
  double s = (double)q->scale[0] * 255.0 / (QCC_FUSED_TABLE - 1);
  int32_t z = (int32_t)nearbyint((double)q->zero_point[0] *
                                 (QCC_FUSED_TABLE - 1) / 255.0);
  Tensor *ins[4] = {n->inputs[0], n->inputs[1],
                    n->num_inputs > 2 ? n->inputs[2] : zero_bias(g, n),
                    make_table(g, act, (float)s, z, QCC_FUSED_TABLE)};
  set_inputs(g, n, ins, 4);
  add_attr(g, n, ir_attr_make_floats(g, ATTR_INDEX_SCALE, AK_FLOAT,
                                     (double[]){(float)s}, 1));
  int64_t zi = z;
  add_attr(g, n, ir_attr_make_ints(g, ATTR_INDEX_ZERO_POINT, AK_INT, &zi, 1));
}

/* Says in the report when the kernels compute n's fused table instead of
 * looking it up: two slopes reproduce every entry (backend/requant.c). */
static void note_two_slopes(const Lower *L, const Node *n, const Node *act) {
  float an, ap;
  int32_t zy;
  if (qm_fit_two_slopes(n->inputs[3]->data, (int32_t)n->inputs[3]->dims[0],
                        (int32_t)ir_attr_int(n, ATTR_INDEX_ZERO_POINT), &an,
                        &ap, &zy))
    quant_log_append(L->ctx->log, act->name,
                     "; computed, not looked up: slopes %.9g and %.9g "
                     "reproduce all %lld entries",
                     an, ap, (long long)n->inputs[3]->dims[0]);
}

static void add_clamp_attr(Graph *g, Node *n, const int64_t clamp[2]) {
  add_attr(g, n, ir_attr_make_ints(g, ATTR_CLAMP, AK_INTS, clamp, 2));
}

/* Whether t is a graph output that no node reads. */
static bool only_graph_output(const Graph *g, const Tensor *t) {
  if (!ir_is_graph_output(g, t))
    return false;
  for (int i = 0; i < g->num_nodes; i++) {
    const Node *n = g->nodes[i];
    for (int j = 0; j < n->num_inputs && !n->dead; j++)
      if (n->inputs[j] == t)
        return false;
  }
  return true;
}

static int rewrite_node(Lower *L, Node *n, Diag *d) {
  Graph *g = L->g;
  switch (n->op) {
  case OP_CONV2D:
  case OP_LINEAR: {
    Tensor *x = n->inputs[0], *w = n->inputs[1];
    Tensor *ins[3] = {x, quantize_weight(g, w), NULL};
    int num = 2;
    if (n->num_inputs > 2)
      ins[num++] = quantize_bias(g, n->inputs[2], x, w);
    set_inputs(g, n, ins, num);
    n->op = n->op == OP_CONV2D ? OP_QCONV2D : OP_QLINEAR;
    add_clamp_attr(g, n, L->clamp[n->id]);
    if (L->fused[n->id] && !is_fusable_act(L->fused[n->id])) {
      fuse_table(g, n, L->fused[n->id], L->pre[n->id]);
      note_two_slopes(L, n, L->fused[n->id]);
    }
    break;
  }
  case OP_ADD:
  case OP_SUB:
  case OP_MUL: {
    Tensor *ins[2];
    for (int i = 0; i < 2; i++)
      ins[i] = n->inputs[i]->kind == TK_CONST
                   ? quantize_const_operand(g, n->inputs[i])
                   : n->inputs[i];
    set_inputs(g, n, ins, 2);
    n->op = n->op == OP_ADD ? OP_QADD : n->op == OP_SUB ? OP_QSUB : OP_QMUL;
    int64_t full[2] = {0, 255};
    add_clamp_attr(g, n, full);
    break;
  }
  default:
    if ((op_info(n->op)->flags & OPF_UNARY_ACT) || is_fusable_act(n)) {
      const QuantParams *qx = n->inputs[0]->quant;
      Tensor *ins[2] = {n->inputs[0],
                        make_table(g, n, qx->scale[0], qx->zero_point[0], 256)};
      set_inputs(g, n, ins, 2);
      n->op = OP_LUT;
      n->num_attrs = 0;
    }
    break; /* pass-through ops run on u8 as they are */
  }
  return ir_node_complete_attrs(g, n, d);
}

/* ---- boundaries ------------------------------------------------------- */

static Node *boundary_node(Graph *g, OpKind op, const char *name, Tensor *in,
                           Tensor *out) {
  return ir_graph_add_node(g, ir_graph_unique_name(g, name), op, &in, 1, &out,
                           1, NULL, 0, in->loc);
}

/* Gives every tensor the representation its users need: int8 producers
 * write u8; f32 users of a u8 value read it through dequantize, int8 users
 * of an f32 value through quantize. The f32 tensor keeps the original name,
 * so graph outputs and float islands read as before. */
static void insert_boundaries(Lower *L, int num_nodes) {
  Graph *g = L->g;
  int nt = g->num_tensors;
  for (int ti = 0; ti < nt; ti++) {
    Tensor *t = g->tensors[ti];
    if (t->kind == TK_CONST)
      continue;
    bool prod8 = t->producer && t->producer->id < num_nodes &&
                 L->int8[t->producer->id];
    bool cons8 = false, cons32 = ir_is_graph_output(g, t);
    for (int i = 0; i < num_nodes; i++) {
      Node *n = g->nodes[i];
      if (n->dead)
        continue;
      for (int j = 0; j < n->num_inputs; j++)
        if (n->inputs[j] == t)
          *(L->int8[i] ? &cons8 : &cons32) = true;
    }
    if (prod8 && L->f32_result[t->producer->id]) {
      t->quant = NULL; /* stays f32: the accumulator is dequantized */
      continue;
    }
    if (prod8 && !cons32) {
      t->dtype = DT_U8; /* retyped in place */
      continue;
    }
    if (prod8 == cons8 && !(prod8 && cons32))
      continue; /* f32 only */
    Tensor *u = ir_graph_add_tensor(g, ir_graph_unique_name(
                                           g, arena_printf(g->arena, "%s.q",
                                                           t->name)),
                                    TK_VALUE, DT_U8, t->rank, t->dims, t->loc,
                                    NULL);
    u->quant = t->quant;
    for (int i = 0; i < num_nodes; i++) {
      Node *n = g->nodes[i];
      if (n->dead || !L->int8[i])
        continue;
      for (int j = 0; j < n->num_inputs; j++)
        if (n->inputs[j] == t)
          n->inputs[j] = u;
    }
    if (prod8) {
      Node *p = t->producer;
      p->outputs[t->producer_output] = u;
      u->producer = p;
      u->producer_output = t->producer_output;
      t->producer = NULL;
      boundary_node(g, OP_DEQUANTIZE, arena_printf(g->arena, "dequantize:%s",
                                                   t->name), u, t);
    } else {
      boundary_node(g, OP_QUANTIZE, arena_printf(g->arena, "quantize:%s",
                                                 t->name), t, u);
    }
  }
}

int pass_lower_int8(Graph *g, PassContext *ctx, bool *changed, Diag *d) {
  int nn = g->num_nodes;
  Lower L = {g, ctx, calloc((size_t)nn + 1, sizeof(bool)),
             calloc((size_t)nn + 1, sizeof(int64_t[2])),
             calloc((size_t)nn + 1, sizeof(Node *)),
             calloc((size_t)nn + 1, sizeof(Tensor *)),
             calloc((size_t)nn + 1, sizeof(bool))};
  if (!L.int8 || !L.clamp || !L.fused || !L.pre || !L.f32_result)
    QCC_DIE("out of memory");
  for (int i = 0; i < nn; i++) {
    L.clamp[i][0] = 0;
    L.clamp[i][1] = 255;
    g->nodes[i]->id = i;
  }
  /* 1-2. Decide (and fuse) in order; a fused activation is decided by its
   * producer. */
  int num8 = 0;
  for (int i = 0; i < nn; i++) {
    Node *n = g->nodes[i];
    if (n->dead)
      continue;
    const char *op = op_info(n->op)->name;
    const char *why = decide(&L, n);
    L.int8[i] = why == NULL;
    num8 += L.int8[i];
    Node *act = L.fused[i];
    if (why) {
      quant_log_add(ctx->log, n->name, op, false, "%s", why);
    } else if (act) {
      bool table = !is_fusable_act(act);
      quant_log_add(ctx->log, n->name, op, true, "fused %s '%s'%s",
                    op_info(act->op)->name, act->name,
                    table ? " as a table" : "");
      quant_log_add(ctx->log, act->name, op_info(act->op)->name, true,
                    "fused into %s '%s'%s", op, n->name,
                    table ? " (1024-entry table on the accumulator)" : "");
      L.pre[i] = n->outputs[0];
      Tensor *z = act->outputs[0];
      n->outputs[0]->producer = NULL; /* orphaned; dce drops it */
      n->outputs[0] = z;
      z->producer = n;
      z->producer_output = 0;
      act->num_outputs = 0;
      act->dead = true;
    } else if (op_has(n->op, OPF_INT8) &&
               only_graph_output(g, n->outputs[0]) &&
               !(n->outputs[0]->quant && n->outputs[0]->quant->pinned)) {
      L.f32_result[i] = true;
      quant_log_add(ctx->log, n->name, op, true, "f32 result: a graph output, "
                    "its accumulator dequantized (not rounded to u8)");
    } else {
      bool lut = (op_info(n->op)->flags & OPF_UNARY_ACT) || is_fusable_act(n);
      quant_log_add(ctx->log, n->name, op, true, "%s",
                    lut ? "256-entry table" : "");
    }
  }
  /* 3. Boundaries, then 4. the rewrite of every int8 node. */
  insert_boundaries(&L, nn);
  int rc = 0;
  for (int i = 0; i < nn && !rc; i++)
    if (L.int8[i] && !g->nodes[i]->dead)
      rc = rewrite_node(&L, g->nodes[i], d);
  free(L.int8);
  free(L.clamp);
  free(L.fused);
  free(L.pre);
  free(L.f32_result);
  if (rc)
    return -1;
  ir_graph_remove_dead_nodes(g);
  if (ir_graph_sort(g, d) || ir_graph_infer(g, d))
    return -1;
  bool c = false;
  if (pass_dce(g, ctx, &c, d))
    return -1;
  if (changed)
    *changed = num8 > 0;
  return 0;
}
