/* pad (ONNX Pad): per axis `pads` adds (or, negative, removes) elements
 * at the start and the end; mode constant fills them with `value`, reflect
 * mirrors the input without repeating its edge (ONNX's and NumPy's
 * "reflect"), edge repeats the edge. Every output element is either an
 * input element or the fill value: ir_pad_source says which, per axis, for
 * shape inference, both interpreters and the backend's kernel. */
#ifndef QCC_PAD_H
#define QCC_PAD_H

#include <stddef.h>

#include "ir.h"

enum { PAD_CONSTANT = 0, PAD_REFLECT = 1, PAD_EDGE = 2 };

/* Checks n's pads and mode against its input and gives the output dims;
 * an error at the node otherwise (a pads list of another length than
 * 2 * rank, an axis padded or cropped to nothing, reflect by as much as
 * the axis is long, reflect or edge on an empty axis). */
int ir_pad_infer(const Node *n, int64_t *dims, Diag *d);

/* The input index along `axis` that output index `i` reads, or -1 for the
 * fill value (mode constant only). */
int64_t ir_pad_source(const Node *n, int axis, int64_t i);

/* The interpreters' kernel: y = pad(x), elements of elem_size bytes, `fill`
 * the fill value's bytes (mode constant). */
void ir_pad_copy(const Node *n, const void *in, void *out, size_t elem_size,
                 const void *fill);

#endif
