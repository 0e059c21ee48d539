/* The workspace plan: every intermediate tensor and every kernel's scratch
 * gets a byte offset in one workspace the caller allocates, so generated
 * code never allocates. Two buffers share bytes only when their lifetimes
 * (first definition to last use, in the graph's topological order) do not
 * overlap. Offsets are multiples of 64. A node whose kernel may write its
 * result over its first input (in_place[i]: elementwise, same element
 * size) does so when that input dies there and has the same size: the two
 * tensors become one buffer. */
#ifndef QCC_BACKEND_MEMPLAN_H
#define QCC_BACKEND_MEMPLAN_H

#include <stdint.h>

#include "ir.h"

/* A tensor stored inside another one's buffer (a conv's result in its
 * slice of a concat's output): into is that tensor's id, or -1 for none;
 * offset in bytes from its start. */
typedef struct MemSlice {
  int into;
  int64_t offset;
} MemSlice;

typedef struct MemPlan {
  int64_t *tensor_offset;  /* per tensor id; -1: not in the workspace */
  int64_t *scratch_offset; /* per node index; -1: no scratch */
  int *slice_into;         /* per tensor id: the tensor whose buffer holds it
                              (its slice of a concat's output), or -1 */
  int64_t size;            /* bytes */
  int64_t naive_size;      /* bytes without reuse, for the report */
  int num_in_place;        /* results written over their input */
  int num_sliced;          /* results stored in a slice of another */
} MemPlan;

/* Plans g (sorted). scratch[i] is node i's scratch need in bytes (0 for
 * none). Graph inputs and constants are not in the workspace, and neither
 * are the tensors in keep (the entry point's outputs, which kernels write
 * straight into the caller's buffers): those count as live to the end and
 * keep tensor_offset -1. Nodes with not_run[i] (may be NULL) get no
 * kernel (a quantize its reader's pack does): their results are never
 * stored and get no buffer. slices (per tensor id, may be NULL) places a
 * tensor inside another, whose buffer then lives from the first of them
 * to be written; neither may be in keep. stored_bytes (per tensor id, may
 * be NULL; 0: its elements' bytes) sizes a buffer that holds more than
 * the tensor's elements (a conv result stored with its readers' padding);
 * such a tensor may not be in keep. Returns 0, or -1 if the total
 * overflows. */
int memplan_build(const Graph *g, const int64_t *scratch,
                  const Tensor *const *keep, int num_keep,
                  const bool *in_place, const bool *not_run,
                  const MemSlice *slices, const int64_t *stored_bytes, MemPlan *p);
void memplan_free(MemPlan *p);

#endif
