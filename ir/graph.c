/* Graph construction and bookkeeping: tensors with a name index, nodes,
 * inputs/outputs, and compaction after passes mark things dead. Growable
 * arrays live in the arena too: a grown array abandons its old copy, which
 * costs little next to the weights and keeps ownership trivial. */
#include "ir.h"

#include <stdio.h>
#include <string.h>

/* Open-addressing map from tensor name to Tensor*. */
typedef struct NameMap {
  Tensor **slots;
  int cap, count;
} NameMap;

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static void map_insert(Graph *g, Tensor *t);

static void map_grow(Graph *g) {
  NameMap *m = g->names;
  Tensor **old = m->slots;
  int oldcap = m->cap;
  m->cap = oldcap ? oldcap * 2 : 64;
  m->slots = arena_alloc(g->arena, sizeof(Tensor *) * (size_t)m->cap);
  m->count = 0;
  for (int i = 0; i < oldcap; i++)
    if (old[i])
      map_insert(g, old[i]);
}

static void map_insert(Graph *g, Tensor *t) {
  NameMap *m = g->names;
  if ((m->count + 1) * 2 > m->cap)
    map_grow(g);
  uint64_t i = hash_str(t->name) & (uint64_t)(m->cap - 1);
  while (m->slots[i])
    i = (i + 1) & (uint64_t)(m->cap - 1);
  m->slots[i] = t;
  m->count++;
}

Tensor *ir_graph_find_tensor(const Graph *g, const char *name) {
  const NameMap *m = g->names;
  if (!m->cap)
    return NULL;
  uint64_t i = hash_str(name) & (uint64_t)(m->cap - 1);
  for (; m->slots[i]; i = (i + 1) & (uint64_t)(m->cap - 1))
    if (strcmp(m->slots[i]->name, name) == 0)
      return m->slots[i];
  return NULL;
}

static void rebuild_map(Graph *g) {
  g->names->slots = NULL;
  g->names->cap = g->names->count = 0;
  for (int i = 0; i < g->num_tensors; i++)
    map_insert(g, g->tensors[i]);
}

/* Appends to an arena-backed pointer array, doubling when full. */
#define PUSH(g, arr, num, cap, item)                                          \
  do {                                                                        \
    if ((num) == (cap)) {                                                     \
      int nc_ = (cap) ? (cap) * 2 : 16;                                       \
      void *na_ = arena_alloc((g)->arena, sizeof(*(arr)) * (size_t)nc_);      \
      if (num)                                                                \
        memcpy(na_, (arr), sizeof(*(arr)) * (size_t)(num));                   \
      (arr) = na_;                                                            \
      (cap) = nc_;                                                            \
    }                                                                         \
    (arr)[(num)++] = (item);                                                  \
  } while (0)

Graph *ir_graph_create(const char *name) {
  Arena *a = arena_create();
  Graph *g = arena_alloc(a, sizeof *g);
  g->arena = a;
  g->blobs = arena_create();
  g->name = arena_strdup(a, name ? name : "model");
  g->names = arena_alloc(a, sizeof(NameMap));
  return g;
}

void ir_graph_destroy(Graph *g) {
  if (!g)
    return;
  Arena *blobs = g->blobs;
  arena_destroy(g->arena);
  arena_destroy(blobs);
}

Tensor *ir_graph_add_tensor(Graph *g, const char *name, TensorKind kind,
                            DType dtype, int rank, const int64_t *dims,
                            SrcLoc loc, Diag *d) {
  if (ir_graph_find_tensor(g, name)) {
    diag_error(d, loc, "tensor '%s' is defined more than once", name);
    return NULL;
  }
  if (rank < 0 || rank > QCC_MAX_RANK) {
    diag_error(d, loc, "tensor '%s' has rank %d, at most %d is supported",
               name, rank, QCC_MAX_RANK);
    return NULL;
  }
  Tensor *t = arena_alloc(g->arena, sizeof *t);
  t->name = arena_strdup(g->arena, name);
  t->kind = kind;
  t->dtype = dtype;
  t->rank = rank;
  for (int i = 0; i < rank; i++)
    t->dims[i] = dims ? dims[i] : 0;
  t->loc = loc;
  t->id = g->num_tensors;
  t->producer_output = -1;
  PUSH(g, g->tensors, g->num_tensors, g->cap_tensors, t);
  map_insert(g, t);
  return t;
}

const char *ir_graph_unique_name(Graph *g, const char *base) {
  if (!ir_graph_find_tensor(g, base))
    return arena_strdup(g->arena, base);
  for (int i = 1;; i++) {
    char *s = arena_printf(g->arena, "%s.%d", base, i);
    if (!ir_graph_find_tensor(g, s))
      return s;
  }
}

void *ir_tensor_alloc_data(Graph *g, Tensor *t) {
  int64_t nb = ir_tensor_nbytes(t);
  if (nb < 0)
    QCC_DIE("tensor '%s' too large", t->name);
  t->data = arena_alloc(g->blobs, (size_t)nb);
  return t->data;
}

void ir_graph_add_input(Graph *g, Tensor *t) {
  PUSH(g, g->inputs, g->num_inputs, g->cap_inputs, t);
}

void ir_graph_add_output(Graph *g, Tensor *t) {
  PUSH(g, g->outputs, g->num_outputs, g->cap_outputs, t);
}

Node *ir_graph_add_node(Graph *g, const char *name, OpKind op,
                        Tensor *const *inputs, int num_inputs,
                        Tensor *const *outputs, int num_outputs,
                        const Attr *attrs, int num_attrs, SrcLoc loc) {
  Node *n = arena_alloc(g->arena, sizeof *n);
  n->name = arena_strdup(g->arena, name);
  n->op = op;
  n->loc = loc;
  n->num_inputs = num_inputs;
  n->inputs = arena_alloc(g->arena, sizeof(Tensor *) * (size_t)(num_inputs + 1));
  if (num_inputs)
    memcpy(n->inputs, inputs, sizeof(Tensor *) * (size_t)num_inputs);
  n->num_outputs = num_outputs;
  n->outputs =
      arena_alloc(g->arena, sizeof(Tensor *) * (size_t)(num_outputs + 1));
  for (int i = 0; i < num_outputs; i++) {
    n->outputs[i] = outputs[i];
    outputs[i]->producer = n;
    outputs[i]->producer_output = i;
  }
  n->num_attrs = num_attrs;
  n->attrs = arena_alloc(g->arena, sizeof(Attr) * (size_t)(num_attrs + 1));
  if (num_attrs)
    memcpy(n->attrs, attrs, sizeof(Attr) * (size_t)num_attrs);
  n->id = g->num_nodes;
  PUSH(g, g->nodes, g->num_nodes, g->cap_nodes, n);
  return n;
}

void ir_graph_compact(Graph *g, const bool *keep_node,
                      const bool *keep_tensor) {
  int nn = 0;
  for (int i = 0; i < g->num_nodes; i++)
    if (!keep_node || keep_node[i]) {
      g->nodes[nn] = g->nodes[i];
      g->nodes[nn]->id = nn;
      nn++;
    }
  g->num_nodes = nn;
  int nt = 0;
  for (int i = 0; i < g->num_tensors; i++)
    if (!keep_tensor || keep_tensor[i]) {
      g->tensors[nt] = g->tensors[i];
      g->tensors[nt]->id = nt;
      nt++;
    }
  g->num_tensors = nt;
  rebuild_map(g);
}

void ir_graph_remove_dead_nodes(Graph *g) {
  int nn = 0;
  for (int i = 0; i < g->num_nodes; i++)
    if (!g->nodes[i]->dead) {
      g->nodes[nn] = g->nodes[i];
      g->nodes[nn]->id = nn;
      nn++;
    }
  g->num_nodes = nn;
}

int ir_shape_numel(int rank, const int64_t *dims, int64_t *out) {
  int64_t n = 1;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0 || __builtin_mul_overflow(n, dims[i], &n) ||
        n > QCC_MAX_ELEMENTS)
      return -1;
  }
  *out = n;
  return 0;
}

int64_t ir_tensor_numel(const Tensor *t) {
  int64_t n;
  return ir_shape_numel(t->rank, t->dims, &n) ? -1 : n;
}

int64_t ir_tensor_nbytes(const Tensor *t) {
  int64_t n = ir_tensor_numel(t);
  return n < 0 ? -1 : n * (int64_t)dtype_size(t->dtype);
}

bool ir_same_shape(const Tensor *a, const Tensor *b) {
  if (a->rank != b->rank)
    return false;
  for (int i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i])
      return false;
  return true;
}

const char *ir_shape_str(int rank, const int64_t *dims, char *buf, size_t n) {
  size_t len = 0;
  if (n == 0)
    return buf;
  buf[0] = 0;
  len += (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < rank && len < n; i++)
    len += (size_t)snprintf(buf + len, n - len, "%s%lld", i ? ", " : "",
                            (long long)dims[i]);
  if (len < n)
    snprintf(buf + len, n - len, "]");
  return buf;
}

QuantParams *ir_quant_create(Graph *g, DType dtype, int axis, int count) {
  QuantParams *q = arena_alloc(g->arena, sizeof *q);
  q->dtype = dtype;
  q->axis = axis;
  q->count = count;
  q->scale = arena_alloc(g->arena, sizeof(float) * (size_t)count);
  q->zero_point = arena_alloc(g->arena, sizeof(int32_t) * (size_t)count);
  return q;
}

int ir_count_uses(const Graph *g, const Tensor *t) {
  int uses = 0;
  for (int i = 0; i < g->num_nodes; i++)
    for (int j = 0; j < g->nodes[i]->num_inputs; j++)
      uses += g->nodes[i]->inputs[j] == t;
  return uses;
}

bool ir_is_graph_output(const Graph *g, const Tensor *t) {
  for (int i = 0; i < g->num_outputs; i++)
    if (g->outputs[i] == t)
      return true;
  return false;
}
