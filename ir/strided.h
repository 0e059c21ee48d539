/* Data movement as a strided view: transpose and slice read output element
 * (i0, i1, ...) at input offset base + i0*stride[0] + i1*stride[1] + ...,
 * so their output shape and that map have one definition here, which shape
 * inference, the float and int8 interpreters and the backend's kernel all
 * read. */
#ifndef QCC_STRIDED_H
#define QCC_STRIDED_H

#include <stddef.h>

#include "ir.h"

/* Slice's per-axis geometry (ONNX Slice): for every input axis the first
 * input index, the step (1 on axes not sliced) and the output length.
 * Negative starts and ends count from the end, then are clamped as ONNX
 * clamps them; an error at the node for a step of 0, an axis out of range
 * or given twice, or lists of different lengths. */
int ir_slice_infer(const Node *n, int64_t *start, int64_t *step,
                   int64_t *len, Diag *d);

/* The view of an inferred transpose or slice: the input offset of output
 * element 0 and, per output axis, the input offset between neighbours
 * (negative for a negative step). */
void ir_strided_view(const Node *n, int64_t *base, int64_t *stride);

/* Copies a transpose's or slice's result out of its input, elements of
 * elem_size bytes (the interpreters' kernel). */
void ir_strided_copy(const Node *n, const void *in, void *out,
                     size_t elem_size);

/* An op that ir_strided_view describes. */
bool ir_is_strided_view(OpKind op);

#endif
