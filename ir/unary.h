/* The unary elementwise ops' one definition (ir/unary.def), evaluated in
 * double: what the float interpreter, the int8 table builder and constant
 * folding compute, and what the backend's generic f32 form emits. */
#ifndef QCC_UNARY_H
#define QCC_UNARY_H

#include <stdbool.h>

#include "ir.h"

/* A row of unary.def (the int8 dialect's requantize, an identity on real
 * values, counts too). */
bool ir_op_is_unary(OpKind op);
/* The row's A and B for node n: its attributes, 0 for NONE or absent. */
void ir_unary_params(const Node *n, double *a, double *b);
/* op(x) with parameters a, b, in double as unary.def writes it. */
double ir_unary_apply(OpKind op, double a, double b, double x);
/* ir_unary_apply with n's op and parameters. */
double ir_unary_eval(const Node *n, double x);
/* The row's RANGE(lo, hi): true and the bounds, or false (NO_RANGE). */
bool ir_unary_range(OpKind op, double *lo, double *hi);

#endif
