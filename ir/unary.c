/* Evaluation of unary.def's expressions in double (see unary.h). Compiled
 * with -ffp-contract=off (CMakeLists.txt): the backend emits the same
 * operations without fusing them, and both must round alike. */
#include "unary.h"

#include <math.h>

#define ATTR_NONE (-1)

bool ir_op_is_unary(OpKind op) {
  switch (op) {
#define UNARY(E, name, flags, pa, pb, range, expr) case OP_##E:
#include "unary.def"
#undef UNARY
  case OP_REQUANTIZE:
    return true;
  default:
    return false;
  }
}

static double param(const Node *n, int key) {
  return key >= 0 && ir_node_attr(n, (AttrKey)key)
             ? ir_attr_float(n, (AttrKey)key)
             : 0.0;
}

void ir_unary_params(const Node *n, double *a, double *b) {
  *a = *b = 0;
  switch (n->op) {
#define UNARY(E, name, flags, pa, pb, range, expr)                            \
  case OP_##E:                                                                \
    *a = param(n, ATTR_##pa);                                                 \
    *b = param(n, ATTR_##pb);                                                 \
    break;
#include "unary.def"
#undef UNARY
  default:
    break;
  }
}

/* The expression language of unary.def, in C doubles. */
#define X x
#define A a
#define B b
#define C(k) ((double)(k))
#define ADD(p, q) ((p) + (q))
#define SUB(p, q) ((p) - (q))
#define MUL(p, q) ((p) * (q))
#define DIV(p, q) ((p) / (q))
#define NEG(p) (-(p))
#define EXP(p) exp(p)
#define TANH(p) tanh(p)
#define ERF(p) erf(p)
#define LOG(p) log(p)
#define SQRT(p) sqrt(p)
#define POW(p, q) pow(p, q)
#define LT(p, q, t, f) ((p) < (q) ? (t) : (f))
#define GT(p, q, t, f) ((p) > (q) ? (t) : (f))
#define GE(p, q, t, f) ((p) >= (q) ? (t) : (f))
#define CLAMP(v, lo, hi) LT(v, lo, lo, GT(v, hi, hi, v))

double ir_unary_apply(OpKind op, double a, double b, double x) {
  (void)a, (void)b;
  switch (op) {
#define UNARY(E, name, flags, pa, pb, range, expr)                            \
  case OP_##E:                                                                \
    return expr;
#include "unary.def"
#undef UNARY
  case OP_REQUANTIZE:
    return x;
  default:
    QCC_DIE("not a unary op: %s", op_info(op)->name);
  }
}

double ir_unary_eval(const Node *n, double x) {
  double a, b;
  ir_unary_params(n, &a, &b);
  return ir_unary_apply(n->op, a, b, x);
}

#define RANGE(lo, hi) (*plo = (lo), *phi = (hi), true)
#define NO_RANGE false

bool ir_unary_range(OpKind op, double *plo, double *phi) {
  switch (op) {
#define UNARY(E, name, flags, pa, pb, range, expr)                            \
  case OP_##E:                                                                \
    return range;
#include "unary.def"
#undef UNARY
  default:
    return false;
  }
}
