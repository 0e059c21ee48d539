/* See memplan.h. Greedy best fit by size, largest first: each buffer goes
 * to the lowest offset where it overlaps no placed buffer that is alive at
 * the same time. O(n^2) in the number of buffers, which is the number of
 * nodes plus tensors: fine for graphs of thousands of nodes. */
#include "memplan.h"

#include <stdbool.h>
#include <stdlib.h>

enum { ALIGN = 64 };

typedef struct Buf {
  int64_t size, first, last, offset;
  int tensor; /* tensor id, or -1 - node index for scratch */
} Buf;

static int by_size(const void *a, const void *b) {
  const Buf *x = a, *y = b;
  if (x->size != y->size)
    return x->size < y->size ? 1 : -1;
  return x->first < y->first ? -1 : x->first > y->first;
}

static int by_offset(const void *a, const void *b) {
  const Buf *const *x = a, *const *y = b;
  return (*x)->offset < (*y)->offset ? -1 : (*x)->offset > (*y)->offset;
}

int memplan_build(const Graph *g, const int64_t *scratch,
                  const Tensor *const *keep, int num_keep,
                  const bool *in_place, const bool *not_run,
                  const MemSlice *slices, const int64_t *stored_bytes, MemPlan *p) {
  int nt = g->num_tensors, nn = g->num_nodes;
  p->tensor_offset = malloc(sizeof(int64_t) * ((size_t)nt + 1));
  p->scratch_offset = malloc(sizeof(int64_t) * ((size_t)nn + 1));
  p->slice_into = malloc(sizeof(int) * ((size_t)nt + 1));
  Buf *bufs = calloc((size_t)(nt + nn) + 1, sizeof(Buf));
  const Buf **live = calloc((size_t)(nt + nn) + 1, sizeof(Buf *));
  if (!p->tensor_offset || !p->scratch_offset || !p->slice_into || !bufs || !live)
    QCC_DIE("out of memory");
  int64_t *first = malloc(sizeof(int64_t) * ((size_t)nt + 1));
  int64_t *last = malloc(sizeof(int64_t) * ((size_t)nt + 1));
  if (!first || !last)
    QCC_DIE("out of memory");
  for (int i = 0; i < nt; i++) {
    p->tensor_offset[i] = -1;
    first[i] = -1;
    last[i] = -1;
  }
  for (int i = 0; i < nn; i++) {
    const Node *n = g->nodes[i];
    p->scratch_offset[i] = -1;
    for (int j = 0; j < n->num_outputs && !(not_run && not_run[i]); j++) {
      first[n->outputs[j]->id] = i;
      last[n->outputs[j]->id] = i;
    }
    for (int j = 0; j < n->num_inputs; j++)
      last[n->inputs[j]->id] = i;
  }
  /* The entry point's results live in the caller's buffers. */
  bool *external = calloc((size_t)nt + 1, sizeof(bool));
  if (!external)
    QCC_DIE("out of memory");
  for (int i = 0; i < num_keep; i++) {
    last[keep[i]->id] = nn;
    external[keep[i]->id] = true;
  }
  /* In place: the result joins its input's buffer (alias[result] = input,
   * followed to the root), which then lives until the result dies. */
  int *alias = malloc(sizeof(int) * ((size_t)nt + 1));
  if (!alias)
    QCC_DIE("out of memory");
  int64_t *alias_offset = calloc((size_t)nt + 1, sizeof(int64_t));
  if (!alias_offset)
    QCC_DIE("out of memory");
  for (int i = 0; i < nt; i++) {
    alias[i] = i;
    p->slice_into[i] = -1;
  }
  /* Slices first: the containing buffer lives from its first part's
   * producer on (its own producer, the concat, comes after them all). */
  p->num_sliced = 0;
  for (int i = 0; slices && i < nt; i++) {
    int into = slices[i].into;
    if (into < 0)
      continue;
    if (external[i] || external[into] || first[i] < 0 || first[into] < 0)
      QCC_DIE("slice of tensor %d into %d cannot be planned", i, into);
    alias[i] = into;
    alias_offset[i] = slices[i].offset;
    p->slice_into[i] = into;
    first[into] = first[i] < first[into] ? first[i] : first[into];
    last[into] = last[i] > last[into] ? last[i] : last[into];
    p->num_sliced++;
  }
  p->num_in_place = 0;
  for (int i = 0; in_place && i < nn; i++) {
    const Node *n = g->nodes[i];
    if (!in_place[i] || n->num_outputs != 1 || n->num_inputs < 1)
      continue;
    const Tensor *x = n->inputs[0], *y = n->outputs[0];
    if (x->kind != TK_VALUE || last[x->id] != i || external[y->id] ||
        ir_tensor_nbytes(x) != ir_tensor_nbytes(y) || x->dtype != y->dtype)
      continue;
    bool other_use = false; /* x also read as another operand of n */
    for (int j = 1; j < n->num_inputs; j++)
      other_use |= n->inputs[j] == x;
    if (other_use)
      continue;
    int root = alias[x->id];
    alias[y->id] = root;
    last[root] = last[y->id];
    p->num_in_place++;
  }
  int nb = 0;
  int64_t naive = 0;
  for (int i = 0; i < nt; i++) {
    const Tensor *t = g->tensors[i];
    int64_t stored = stored_bytes && stored_bytes[i] > 0 ? stored_bytes[i] : ir_tensor_nbytes(t);
    if (stored != ir_tensor_nbytes(t) && (external[i] || alias[i] != i))
      QCC_DIE("tensor %d stored in %lld bytes cannot be planned", i, (long long)stored);
    if (t->kind != TK_VALUE || first[i] < 0 || external[i])
      continue;
    int64_t bytes = (stored + ALIGN - 1) / ALIGN * ALIGN;
    naive += bytes;
    if (alias[i] != i)
      continue;
    bufs[nb++] = (Buf){bytes, first[i], last[i], 0, i};
  }
  for (int i = 0; i < nn; i++)
    if (scratch && scratch[i] > 0) {
      int64_t bytes = (scratch[i] + ALIGN - 1) / ALIGN * ALIGN;
      bufs[nb++] = (Buf){bytes, i, i, 0, -1 - i};
      naive += bytes;
    }
  qsort(bufs, (size_t)nb, sizeof(Buf), by_size);
  int64_t size = 0;
  int rc = 0;
  for (int i = 0; i < nb; i++) {
    Buf *b = &bufs[i];
    int nl = 0;
    for (int j = 0; j < i; j++)
      if (bufs[j].first <= b->last && b->first <= bufs[j].last)
        live[nl++] = &bufs[j];
    qsort(live, (size_t)nl, sizeof(Buf *), by_offset);
    int64_t at = 0;
    for (int j = 0; j < nl; j++) {
      if (live[j]->offset >= at + b->size)
        break; /* fits in the gap before it */
      int64_t end = live[j]->offset + live[j]->size;
      at = end > at ? end : at;
    }
    b->offset = at;
    if (at > INT64_MAX / 2 - b->size)
      rc = -1;
    size = at + b->size > size ? at + b->size : size;
    if (b->tensor >= 0)
      p->tensor_offset[b->tensor] = at;
    else
      p->scratch_offset[-1 - b->tensor] = at;
  }
  for (int i = 0; i < nt; i++) {
    int64_t off = 0;
    int r = i;
    for (; alias[r] != r; r = alias[r])
      off += alias_offset[r];
    if (r != i)
      p->tensor_offset[i] = p->tensor_offset[r] + off;
  }
  p->size = size;
  p->naive_size = naive;
  free(alias);
  free(alias_offset);
  free(external);
  free(bufs);
  free(live);
  free(first);
  free(last);
  return rc;
}

void memplan_free(MemPlan *p) {
  free(p->tensor_offset);
  free(p->scratch_offset);
  free(p->slice_into);
  p->tensor_offset = p->scratch_offset = NULL;
  p->slice_into = NULL;
}
