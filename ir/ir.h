/* qcc graph IR: the one representation every layer above reads and writes.
 *
 * A Graph owns two arenas: `arena` for nodes, tensors, attributes, names
 * and small arrays, and `blobs` for constant tensor data (weights), so the
 * big allocations stay apart from the many small ones. Nothing in the IR is
 * freed individually; ir_graph_destroy() releases everything at once.
 *
 * Conventions:
 *  - Functions that can fail on user input return 0 on success and -1 on
 *    error, with the reason in a Diag (see diag.h). They never print.
 *  - Internal invariant violations call QCC_DIE (abort with file:line).
 *  - Nodes are kept in topological order once ir_graph_sort() has run; the
 *    verifier checks it.
 */
#ifndef QCC_IR_H
#define QCC_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- arena ------------------------------------------------------------- */

typedef struct Arena Arena;

/* Creates an empty arena; the caller owns it and frees it with arena_destroy. */
Arena *arena_create(void);
void arena_destroy(Arena *a);
/* Zeroed, 16-byte aligned memory owned by the arena. Aborts on OOM. */
void *arena_alloc(Arena *a, size_t size);
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Bytes handed out so far (for memory statistics). */
size_t arena_used(const Arena *a);

/* ---- element types ----------------------------------------------------- */

typedef enum DType { DT_F32, DT_U8, DT_I8, DT_I32, DT_COUNT } DType;

const char *dtype_name(DType t);             /* "f32", "u8", ... */
int dtype_from_name(const char *s, DType *out); /* 0 or -1 */
size_t dtype_size(DType t);

/* ---- ops ---------------------------------------------------------------- */

#define OP_VARIADIC 0x7fff

enum {
  OPF_ELEMENTWISE = 1 << 0,
  OPF_UNARY_ACT = 1 << 1,
  OPF_FOLDABLE = 1 << 2,
  OPF_INT8 = 1 << 3,
  OPF_EPILOGUE = 1 << 4,
  OPF_MOVES_DATA = 1 << 5,
  OPF_U8_CAPABLE = 1 << 6,
  OPF_INTERNAL = 1 << 7,
  OPF_SIDE_EFFECT = 1 << 8,
  OPF_DOT = 1 << 9,
};

typedef enum OpKind {
#define OP(e, name, mini, maxi, mino, maxo, flags) OP_##e,
#include "ops.def"
#undef OP
  OP_COUNT
} OpKind;

typedef enum AttrKey {
#define ATTR_KEY(e, name) ATTR_##e,
#include "attrs.def"
#undef ATTR_KEY
  ATTR_COUNT
} AttrKey;

typedef enum AttrKind {
  AK_INT,    /* one int64 */
  AK_INTS,   /* list of int64 */
  AK_FLOAT,  /* one double */
  AK_FLOATS, /* list of double */
  AK_BOOL,   /* stored as ints[0] = 0/1 */
  AK_ENUM,   /* one word from the schema's list, stored as ints[0] = index */
} AttrKind;

/* What one op accepts for one attribute. */
typedef struct AttrSpec {
  AttrKey key;
  AttrKind kind;
  int min_count, max_count;   /* list lengths; 1,1 for scalars */
  bool required;              /* no default: must be given */
  int num_defaults;           /* 0: default depends on other attrs (filled in
                                 code) or attribute optional */
  double defaults[4];
  const char *const *enum_names; /* AK_ENUM: NULL-terminated */
} AttrSpec;

typedef struct OpInfo {
  const char *name;
  int min_inputs, max_inputs, min_outputs, max_outputs;
  unsigned flags;
  const AttrSpec *attrs; /* in the fixed order the printer uses */
  int num_attrs;
} OpInfo;

/* AK_ENUM values of resize (indices into the schema's enum_names). */
enum { RESIZE_NEAREST = 0, RESIZE_BILINEAR = 1 };
/* AK_ENUM values of observe's `kind`. */
enum { OBSERVE_MINMAX = 0, OBSERVE_MOVING_MINMAX = 1, OBSERVE_HISTOGRAM = 2 };
enum {
  COORD_ASYMMETRIC = 0,
  COORD_HALF_PIXEL = 1,
  COORD_ALIGN_CORNERS = 2,
  COORD_PYTORCH_HALF_PIXEL = 3,
  COORD_TF_HALF_PIXEL_FOR_NN = 4,
};
/* AK_ENUM values of resize's `nearest`: how a source coordinate becomes a
 * pixel (ONNX's nearest_mode). */
enum {
  NEAREST_FLOOR = 0,
  NEAREST_CEIL = 1,
  NEAREST_ROUND_PREFER_FLOOR = 2,
  NEAREST_ROUND_PREFER_CEIL = 3,
};

const OpInfo *op_info(OpKind op);
/* Whether op's row in ops.def carries every flag of `flags`. */
bool op_has(OpKind op, unsigned flags);
int op_from_name(const char *s, OpKind *out); /* 0 or -1 */
const char *attr_key_name(AttrKey k);
int attr_key_from_name(const char *s, AttrKey *out);
/* The schema entry of `key` for `op`, or NULL when the op has no such attr. */
const AttrSpec *op_attr_spec(OpKind op, AttrKey key);

/* ---- quantization parameters -------------------------------------------- */

/* real = scale * (q - zero_point). axis < 0: per tensor (count == 1). */
typedef struct QuantParams {
  DType dtype;         /* storage type: u8, i8 or i32 */
  int axis;            /* -1 per tensor, else the channel axis */
  int count;           /* number of (scale, zero_point) pairs */
  float *scale;        /* [count] */
  int32_t *zero_point; /* [count] */
  bool pinned;         /* given by the user (model `quant:`), never recomputed */
} QuantParams;

/* ---- tensors, nodes, graphs --------------------------------------------- */

#define QCC_MAX_RANK 8

typedef enum TensorKind { TK_INPUT, TK_CONST, TK_VALUE } TensorKind;

/* The order a rank-4 value's elements are stored in. The dims are always
 * the logical NCHW ones, and the interpreters ignore the layout: it tells
 * the backend where element (n, c, h, w) is, nothing else. NHWC
 * (channels innermost) is chosen by the layout pass (passes/layout.c)
 * for u8 values between kernels that read and write it; graph inputs,
 * outputs and constants are always NCHW. Printed as `nhwc` after the
 * type. */
typedef enum Layout { LAYOUT_NCHW, LAYOUT_NHWC } Layout;

typedef struct Node Node;

typedef struct Tensor {
  const char *name;
  TensorKind kind;
  DType dtype;
  int rank;
  int64_t dims[QCC_MAX_RANK];
  QuantParams *quant; /* NULL when not quantized / not pinned */
  Layout layout;      /* storage order (rank 4 values only) */
  void *data;         /* TK_CONST: row-major elements, in graph->blobs */
  Node *producer;     /* TK_VALUE: the node that defines it */
  int producer_output;
  SrcLoc loc;
  int id; /* dense index into graph->tensors, kept valid by the graph API */
} Tensor;

typedef struct Attr {
  AttrKey key;
  AttrKind kind;
  int count;
  int64_t *ints;   /* AK_INT, AK_INTS, AK_BOOL, AK_ENUM */
  double *floats;  /* AK_FLOAT, AK_FLOATS */
  SrcLoc loc;
} Attr;

struct Node {
  const char *name;
  OpKind op;
  Tensor **inputs;
  int num_inputs;
  Tensor **outputs;
  int num_outputs;
  Attr *attrs; /* sorted in schema order after ir_node_complete_attrs */
  int num_attrs;
  SrcLoc loc;
  int id;
  bool dead; /* marked by a pass; ir_graph_remove_dead_nodes drops it */
};

typedef struct Graph {
  Arena *arena;
  Arena *blobs;
  const char *name;
  const char *source_path; /* file it came from, for messages; may be NULL */
  Tensor **tensors;        /* every tensor, indexed by Tensor.id */
  int num_tensors, cap_tensors;
  Tensor **inputs;
  int num_inputs, cap_inputs;
  Tensor **outputs;
  int num_outputs, cap_outputs;
  Node **nodes; /* topological order once sorted */
  int num_nodes, cap_nodes;
  struct NameMap *names; /* tensor name -> Tensor */
} Graph;

/* Creates an empty graph named `name`; caller owns it. */
Graph *ir_graph_create(const char *name);
void ir_graph_destroy(Graph *g);

/* Adds a tensor. Fails (Diag) when the name is taken. The name is copied. */
Tensor *ir_graph_add_tensor(Graph *g, const char *name, TensorKind kind,
                            DType dtype, int rank, const int64_t *dims,
                            SrcLoc loc, Diag *d);
Tensor *ir_graph_find_tensor(const Graph *g, const char *name);
/* A fresh unused tensor name "<base>" or "<base>.N"; arena-owned. */
const char *ir_graph_unique_name(Graph *g, const char *base);
/* Allocates zeroed constant storage for t (blobs arena) and returns it. */
void *ir_tensor_alloc_data(Graph *g, Tensor *t);

void ir_graph_add_input(Graph *g, Tensor *t);
void ir_graph_add_output(Graph *g, Tensor *t);

/* Adds a node (appended to g->nodes). Arrays are copied; output tensors get
 * producer set. The name is copied; attrs are copied as given. */
Node *ir_graph_add_node(Graph *g, const char *name, OpKind op,
                        Tensor *const *inputs, int num_inputs,
                        Tensor *const *outputs, int num_outputs,
                        const Attr *attrs, int num_attrs, SrcLoc loc);

/* Removes nodes and tensors for which keep_node/keep_tensor is false from
 * the lists, renumbering ids. Callers use it after marking dead items. */
void ir_graph_compact(Graph *g, const bool *keep_node, const bool *keep_tensor);

/* Drops nodes marked dead: the way passes delete a node after rewiring
 * its results. */
void ir_graph_remove_dead_nodes(Graph *g);

/* Number of elements; -1 on overflow (never for verified graphs). */
int64_t ir_tensor_numel(const Tensor *t);
/* Bytes of the elements; -1 on overflow. */
int64_t ir_tensor_nbytes(const Tensor *t);
/* Overflow-checked product of dims; returns 0 on success, -1 on overflow or
 * when the result exceeds QCC_MAX_ELEMENTS. */
#define QCC_MAX_ELEMENTS ((int64_t)1 << 40)
/* Most entries of an activation table fused into qconv2d/qlinear. */
#define QCC_MAX_TABLE 4096
int ir_shape_numel(int rank, const int64_t *dims, int64_t *out);
bool ir_same_shape(const Tensor *a, const Tensor *b);
/* "[1, 3, 224, 224]" into buf (always terminated). */
const char *ir_shape_str(int rank, const int64_t *dims, char *buf, size_t n);

/* ---- attributes --------------------------------------------------------- */

const Attr *ir_node_attr(const Node *n, AttrKey key); /* NULL if absent */
int64_t ir_attr_int(const Node *n, AttrKey key);      /* aborts if absent */
const int64_t *ir_attr_ints(const Node *n, AttrKey key, int *count);
double ir_attr_float(const Node *n, AttrKey key);
const double *ir_attr_floats(const Node *n, AttrKey key, int *count);
/* Attr constructors that copy into the graph arena. */
Attr ir_attr_make_ints(Graph *g, AttrKey key, AttrKind kind,
                       const int64_t *v, int count);
Attr ir_attr_make_floats(Graph *g, AttrKey key, AttrKind kind,
                         const double *v, int count);

/* Checks the node's attributes against its op's schema (unknown key, wrong
 * kind or count, enum value, duplicates), fills in defaults (including those
 * that depend on other attributes, e.g. pool stride = kernel, padding
 * [ph, pw] -> [ph, pw, ph, pw]), and sorts them in schema order. Errors
 * carry the attribute's location, else the node's. */
int ir_node_complete_attrs(Graph *g, Node *n, Diag *d);

/* ---- quantization ------------------------------------------------------- */

QuantParams *ir_quant_create(Graph *g, DType dtype, int axis, int count);

/* ---- analysis and checks ------------------------------------------------ */

/* Infers the output shapes and dtypes of n from its inputs and attributes
 * and writes them into n's output tensors. Checks every attribute range and
 * input shape rule of the spec (errors at the node's location). */
int ir_infer_node(Graph *g, Node *n, Diag *d);
/* Sorts g->nodes topologically (stable: keeps the given order where it can).
 * A cycle is an error naming one node on it. Undefined inputs are errors. */
int ir_graph_sort(Graph *g, Diag *d);
/* Infers every node in order (graph must be sorted). */
int ir_graph_infer(Graph *g, Diag *d);
/* Full structural check: single definition, no dangling uses, topological
 * order, arity, attribute schema, types and shapes equal to inference,
 * constant data present, quant params well formed. */
int ir_verify(Graph *g, Diag *d);

/* Records an error at n's location as "<op> '<name>': <message>" and
 * returns -1 (diag_error's convention). */
int ir_node_error(Diag *d, const Node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Number of nodes that read tensor t (linear scan). */
int ir_count_uses(const Graph *g, const Tensor *t);
bool ir_is_graph_output(const Graph *g, const Tensor *t);

/* ---- textual form (docs/ir.md) ------------------------------------------ */

/* Writes the textual IR; returns a malloc'd NUL-terminated string the caller
 * frees, or NULL on OOM. Deterministic. */
char *ir_print(const Graph *g);
/* Parses textual IR. `path` is used in diagnostics. The returned graph is
 * sorted, inferred and verified; caller owns it. NULL on error (Diag). */
Graph *ir_parse(const char *text, size_t len, const char *path, Diag *d);

/* ---- misc --------------------------------------------------------------- */

#define QCC_DIE(...) qcc_die(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void qcc_die(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif
