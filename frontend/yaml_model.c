/* The YAML model format (shared/spec/model-format.md) -> IR.
 *
 * One function per top-level section, called in a fixed order (format,
 * name, inputs, constants, nodes, outputs), then the IR's own sort (cycle
 * detection), shape inference, the `quant` section (which needs inferred
 * shapes to check per-channel list lengths), and the verifier. Nodes are
 * read in two passes because the format lets them come in any order: the
 * first defines every node output, the second resolves inputs.
 *
 * Every error is reported once, at the YAML node that caused it, worded
 * "<op> '<node>': ..." where a node is involved; the first error stops the
 * load. Nothing the file says is trusted: every size, name and number is
 * checked before it reaches the IR.
 */
#include "frontend.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "npy.h"
#include "yaml_doc.h"

typedef struct Loader {
  YDoc *y;
  Graph *g;
  Diag *d;
  const char *dir; /* folder of the YAML file ("" = current), for `file:` */
} Loader;

/* What the first pass learns about a node. */
typedef struct NodeDraft {
  yaml_node_t *map;
  const char *name;
  OpKind op;
  Tensor **outputs;
  int num_outputs;
} NodeDraft;

#define LOC(L, n) ydoc_loc((L)->y, (n))

/* ---- small checks -------------------------------------------------------------- */

static bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
         c == '/' || c == '-';
}

/* A tensor or node name: a non-empty string of [A-Za-z0-9_.:/-]. */
static int load_name(Loader *L, yaml_node_t *n, const char *kind,
                     const char **out) {
  char what[32];
  snprintf(what, sizeof what, "%s name", kind);
  if (ydoc_string(L->y, n, what, out) != 0)
    return -1;
  for (const char *c = *out; *c; c++)
    if (!is_name_char(*c))
      return diag_error(L->d, LOC(L, n),
                        "invalid %s name '%s': use only letters, digits and "
                        "_ . : / -",
                        kind, *out);
  return 0;
}

static void int_range(DType t, int64_t *lo, int64_t *hi) {
  switch (t) {
  case DT_U8: *lo = 0, *hi = 255; break;
  case DT_I8: *lo = -128, *hi = 127; break;
  default: *lo = INT32_MIN, *hi = INT32_MAX; break;
  }
}

/* A shape: a list of at most QCC_MAX_RANK positive integers whose product
 * stays within QCC_MAX_ELEMENTS. */
static int load_shape(Loader *L, yaml_node_t *n, const char *what, int *rank,
                      int64_t *dims) {
  if (ydoc_expect_seq(L->y, n, what) != 0)
    return -1;
  int len = ydoc_seq_len(n);
  if (len > QCC_MAX_RANK)
    return diag_error(L->d, LOC(L, n), "%s: rank %d exceeds the maximum of %d",
                      what, len, QCC_MAX_RANK);
  for (int i = 0; i < len; i++) {
    yaml_node_t *item = ydoc_seq_item(L->y, n, i);
    if (ydoc_int(L->y, item, what, &dims[i]) != 0)
      return -1;
    if (dims[i] < 1)
      return diag_error(L->d, LOC(L, item),
                        "%s: dimension %lld is not positive", what,
                        (long long)dims[i]);
  }
  int64_t numel;
  if (ir_shape_numel(len, dims, &numel) != 0)
    return diag_error(L->d, LOC(L, n), "%s: too many elements", what);
  *rank = len;
  return 0;
}

/* ---- format, name ------------------------------------------------------------------ */

static int load_format(Loader *L, yaml_node_t *root) {
  yaml_node_t *v = ydoc_require(L->y, root, "format", "model");
  if (!v)
    return -1;
  int64_t f;
  if (ydoc_parse_int(v, &f) != 0 || f != 1) {
    char buf[80];
    return diag_error(L->d, LOC(L, v), "format must be 1, found %s",
                      ydoc_describe(v, buf, sizeof buf));
  }
  return 0;
}

/* The model name prefixes generated C symbols, so it is a C identifier. */
static int load_model_name(Loader *L, yaml_node_t *root) {
  yaml_node_t *v = ydoc_require(L->y, root, "name", "model");
  const char *name;
  if (!v || ydoc_string(L->y, v, "name", &name) != 0)
    return -1;
  bool ok = !(name[0] >= '0' && name[0] <= '9');
  for (const char *c = name; *c && ok; c++)
    ok = is_name_char(*c) && !strchr(".:/-", *c);
  if (!ok)
    return diag_error(L->d, LOC(L, v),
                      "model name '%s' is not a C identifier", name);
  L->g->name = arena_strdup(L->g->arena, name);
  return 0;
}

/* ---- inputs ------------------------------------------------------------------------ */

static int load_inputs(Loader *L, yaml_node_t *root) {
  static const char *const keys[] = {"name", "shape", NULL};
  yaml_node_t *v = ydoc_require(L->y, root, "inputs", "model");
  if (!v || ydoc_expect_seq(L->y, v, "inputs") != 0)
    return -1;
  if (ydoc_seq_len(v) == 0)
    return diag_error(L->d, LOC(L, v), "inputs: expected at least one input");
  for (int i = 0; i < ydoc_seq_len(v); i++) {
    yaml_node_t *item = ydoc_seq_item(L->y, v, i);
    if (ydoc_check_keys(L->y, item, keys, "input") != 0)
      return -1;
    yaml_node_t *name_node = ydoc_require(L->y, item, "name", "input");
    const char *name;
    if (!name_node || load_name(L, name_node, "tensor", &name) != 0)
      return -1;
    char what[300];
    snprintf(what, sizeof what, "input '%s' shape", name);
    yaml_node_t *shape_node = ydoc_require(L->y, item, "shape", "input");
    int rank;
    int64_t dims[QCC_MAX_RANK];
    if (!shape_node || load_shape(L, shape_node, what, &rank, dims) != 0)
      return -1;
    /* Inputs are always f32 at the interface (the spec). */
    Tensor *t = ir_graph_add_tensor(L->g, name, TK_INPUT, DT_F32, rank, dims,
                                    LOC(L, name_node), L->d);
    if (!t)
      return -1;
    ir_graph_add_input(L->g, t);
  }
  return 0;
}

/* ---- constants ---------------------------------------------------------------------- */

static int load_const_data(Loader *L, Tensor *t, yaml_node_t *v) {
  char what[300];
  snprintf(what, sizeof what, "constant '%s' data", t->name);
  if (ydoc_expect_seq(L->y, v, what) != 0)
    return -1;
  char shape[128];
  int64_t numel = ir_tensor_numel(t);
  if (ydoc_seq_len(v) != numel)
    return diag_error(L->d, LOC(L, v),
                      "constant '%s': data has %d values, shape %s needs %lld",
                      t->name, ydoc_seq_len(v),
                      ir_shape_str(t->rank, t->dims, shape, sizeof shape),
                      (long long)numel);
  ir_tensor_alloc_data(L->g, t); /* only now that the values are counted */
  int64_t lo, hi;
  int_range(t->dtype, &lo, &hi);
  for (int i = 0; i < ydoc_seq_len(v); i++) {
    yaml_node_t *item = ydoc_seq_item(L->y, v, i);
    if (t->dtype == DT_F32) {
      double x;
      if (ydoc_float(L->y, item, what, &x) != 0)
        return -1;
      if (fabs(x) > FLT_MAX)
        return diag_error(L->d, LOC(L, item),
                          "constant '%s': value %s is out of range for f32",
                          t->name, ydoc_scalar(item));
      ((float *)t->data)[i] = (float)x;
      continue;
    }
    int64_t x;
    if (ydoc_int(L->y, item, what, &x) != 0)
      return -1;
    if (x < lo || x > hi)
      return diag_error(L->d, LOC(L, item),
                        "constant '%s': value %lld is out of range for %s",
                        t->name, (long long)x, dtype_name(t->dtype));
    if (t->dtype == DT_U8)
      ((uint8_t *)t->data)[i] = (uint8_t)x;
    else if (t->dtype == DT_I8)
      ((int8_t *)t->data)[i] = (int8_t)x;
    else
      ((int32_t *)t->data)[i] = (int32_t)x;
  }
  return 0;
}

/* `file:` is relative to the YAML file's folder; the .npy must match the
 * declared dtype and shape exactly (no silent conversion). */
static int load_const_file(Loader *L, Tensor *t, yaml_node_t *v) {
  char what[300];
  snprintf(what, sizeof what, "constant '%s' file", t->name);
  const char *file;
  if (ydoc_string(L->y, v, what, &file) != 0)
    return -1;
  const char *full = file;
  if (L->dir[0] && file[0] != '/')
    full = arena_printf(L->g->arena, "%s/%s", L->dir, file);
  NpyArray a;
  Diag nd = {0};
  if (npy_read(full, &a, &nd) != 0)
    return diag_error(L->d, LOC(L, v), "constant '%s': '%s': %s", t->name,
                      file, nd.msg);
  int rc = 0;
  char have[128], want[128];
  if (a.dtype != t->dtype) {
    rc = diag_error(L->d, LOC(L, v),
                    "constant '%s': '%s' has dtype %s, declared %s", t->name,
                    file, dtype_name(a.dtype), dtype_name(t->dtype));
  } else if (a.rank != t->rank ||
             memcmp(a.dims, t->dims, sizeof(int64_t) * (size_t)a.rank) != 0) {
    rc = diag_error(L->d, LOC(L, v),
                    "constant '%s': '%s' has shape %s, declared %s", t->name,
                    file, ir_shape_str(a.rank, a.dims, have, sizeof have),
                    ir_shape_str(t->rank, t->dims, want, sizeof want));
  } else {
    /* Allocated only now: the file's data has been read and matched. */
    memcpy(ir_tensor_alloc_data(L->g, t), a.data, (size_t)ir_tensor_nbytes(t));
  }
  npy_free(&a);
  return rc;
}

static int load_constant(Loader *L, yaml_node_t *key, yaml_node_t *v) {
  static const char *const keys[] = {"dtype", "shape", "data", "file", NULL};
  const char *name;
  if (load_name(L, key, "tensor", &name) != 0)
    return -1;
  char what[300];
  snprintf(what, sizeof what, "constant '%s'", name);
  if (ydoc_check_keys(L->y, v, keys, what) != 0)
    return -1;
  yaml_node_t *dtype_node = ydoc_require(L->y, v, "dtype", what);
  const char *dtype_str;
  DType dtype;
  if (!dtype_node || ydoc_string(L->y, dtype_node, "dtype", &dtype_str) != 0)
    return -1;
  if (dtype_from_name(dtype_str, &dtype) != 0)
    return diag_error(L->d, LOC(L, dtype_node),
                      "constant '%s': unknown dtype '%s' (expected f32, i8, "
                      "u8 or i32)",
                      name, dtype_str);
  yaml_node_t *shape_node = ydoc_require(L->y, v, "shape", what);
  char shape_what[320];
  snprintf(shape_what, sizeof shape_what, "%s shape", what);
  int rank;
  int64_t dims[QCC_MAX_RANK];
  if (!shape_node || load_shape(L, shape_node, shape_what, &rank, dims) != 0)
    return -1;
  yaml_node_t *data = ydoc_map_get(L->y, v, "data");
  yaml_node_t *file = ydoc_map_get(L->y, v, "file");
  if (data && file)
    return diag_error(L->d, LOC(L, file),
                      "constant '%s': give either 'data' or 'file', not both",
                      name);
  if (!data && !file)
    return diag_error(L->d, LOC(L, v), "constant '%s': needs 'data' or 'file'",
                      name);
  Tensor *t = ir_graph_add_tensor(L->g, name, TK_CONST, dtype, rank, dims,
                                  LOC(L, key), L->d);
  if (!t)
    return -1;
  /* No allocation yet: the size is only a number from the file until the
   * data that fills it has been counted (a 216-byte model once declared
   * [2000000000, 2, 1, 1] and allocated 16 GB). */
  return data ? load_const_data(L, t, data) : load_const_file(L, t, file);
}

static int load_constants(Loader *L, yaml_node_t *root) {
  yaml_node_t *v = ydoc_map_get(L->y, root, "constants");
  if (!v || ydoc_is_null(v))
    return 0;
  if (ydoc_expect_map(L->y, v, "constants") != 0)
    return -1;
  for (int i = 0; i < ydoc_map_len(v); i++)
    if (load_constant(L, ydoc_map_key(L->y, v, i), ydoc_map_value(L->y, v, i)))
      return -1;
  return 0;
}

/* ---- nodes ------------------------------------------------------------------------ */

/* Input/output counts against the op table, reported at the list (the IR
 * checks them too, but only knows the node's location). Worded like the
 * IR's check: "takes 2 to 3 inputs, got 1". */
static int check_arity(Loader *L, const NodeDraft *dr, yaml_node_t *list,
                       const char *verb, const char *kind, int min, int max) {
  int got = ydoc_seq_len(list);
  if (got >= min && (max == OP_VARIADIC || got <= max))
    return 0;
  char want[48];
  if (max == OP_VARIADIC)
    snprintf(want, sizeof want, "at least %d", min);
  else if (min == max)
    snprintf(want, sizeof want, "%d", min);
  else
    snprintf(want, sizeof want, "%d to %d", min, max);
  return diag_error(L->d, LOC(L, list), "%s '%s': %s %s %s%s, got %d",
                    op_info(dr->op)->name, dr->name, verb, want, kind,
                    min == 1 && max == 1 ? "" : "s", got);
}

/* Simple string set for node names (open addressing; names are unique per
 * model and the table is sized for all of them up front). */
typedef struct NameSet {
  const char **slots;
  size_t cap;
} NameSet;

static bool name_set_add(NameSet *s, const char *name) {
  uint64_t h = 1469598103934665603ull;
  for (const char *c = name; *c; c++)
    h = (h ^ (unsigned char)*c) * 1099511628211ull;
  for (size_t i = (size_t)h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
    if (!s->slots[i]) {
      s->slots[i] = name;
      return true;
    }
    if (strcmp(s->slots[i], name) == 0)
      return false;
  }
}

/* First pass over one node: op, name, outputs (defined here, so the second
 * pass can resolve inputs whatever the order of the list). */
static int draft_node(Loader *L, yaml_node_t *m, int index, NameSet *names,
                      NodeDraft *dr) {
  static const char *const keys[] = {"name", "op",     "inputs",
                                     "outputs", "attrs", NULL};
  if (ydoc_check_keys(L->y, m, keys, "node") != 0)
    return -1;
  dr->map = m;
  yaml_node_t *op_node = ydoc_require(L->y, m, "op", "node");
  const char *op;
  if (!op_node || ydoc_string(L->y, op_node, "op", &op) != 0)
    return -1;
  /* The int8 dialect is the compiler's own, not part of the format. */
  if (op_from_name(op, &dr->op) != 0 ||
      (op_info(dr->op)->flags & OPF_INTERNAL))
    return diag_error(L->d, LOC(L, op_node), "unknown op '%s'", op);
  yaml_node_t *name_node = ydoc_map_get(L->y, m, "name");
  if (name_node) {
    if (load_name(L, name_node, "node", &dr->name) != 0)
      return -1;
  } else {
    dr->name = arena_printf(L->g->arena, "%s_%d", op, index);
  }
  if (!name_set_add(names, dr->name))
    return diag_error(L->d, LOC(L, name_node ? name_node : m),
                      "duplicate node name '%s'", dr->name);

  char where[300];
  snprintf(where, sizeof where, "%s '%s'", op, dr->name);
  yaml_node_t *outs = ydoc_require(L->y, m, "outputs", where);
  char what[320];
  snprintf(what, sizeof what, "%s outputs", where);
  const OpInfo *info = op_info(dr->op);
  if (!outs || ydoc_expect_seq(L->y, outs, what) != 0 ||
      check_arity(L, dr, outs, "produces", "output", info->min_outputs,
                  info->max_outputs) != 0)
    return -1;
  dr->num_outputs = ydoc_seq_len(outs);
  dr->outputs = arena_alloc(L->g->arena,
                            sizeof(Tensor *) * (size_t)(dr->num_outputs + 1));
  for (int i = 0; i < dr->num_outputs; i++) {
    yaml_node_t *item = ydoc_seq_item(L->y, outs, i);
    const char *name;
    if (load_name(L, item, "tensor", &name) != 0)
      return -1;
    /* Shapes and types come from inference once the graph is sorted. */
    dr->outputs[i] = ir_graph_add_tensor(L->g, name, TK_VALUE, DT_F32, 0,
                                         NULL, LOC(L, item), L->d);
    if (!dr->outputs[i])
      return -1;
  }
  return 0;
}

/* One attribute, converted by the kind the op's schema expects; counts,
 * defaults and cross-attribute rules are ir_node_complete_attrs's job. */
static int load_attr(Loader *L, const NodeDraft *dr, yaml_node_t *key,
                     yaml_node_t *v, Attr *out) {
  static const char *const kind_words[] = {
      "an integer", "a list of integers", "a number", "a list of numbers",
      "true or false", "a name"};
  const char *op = op_info(dr->op)->name, *name;
  if (ydoc_string(L->y, key, "attribute", &name) != 0)
    return -1;
  AttrKey k;
  const AttrSpec *spec = NULL;
  if (attr_key_from_name(name, &k) == 0)
    spec = op_attr_spec(dr->op, k);
  if (!spec)
    return diag_error(L->d, LOC(L, key), "%s '%s': unknown attribute '%s'",
                      op, dr->name, name);
  bool list = spec->kind == AK_INTS || spec->kind == AK_FLOATS;
  bool floats = spec->kind == AK_FLOAT || spec->kind == AK_FLOATS;
  int count = list ? ydoc_seq_len(v) : 1;
  int64_t *iv = arena_alloc(L->g->arena, sizeof(int64_t) * (size_t)(count + 1));
  double *fv = arena_alloc(L->g->arena, sizeof(double) * (size_t)(count + 1));
  yaml_node_t *bad = NULL;
  if (list ? v->type != YAML_SEQUENCE_NODE : v->type != YAML_SCALAR_NODE)
    bad = v;
  for (int i = 0; i < count && !bad; i++) {
    yaml_node_t *item = list ? ydoc_seq_item(L->y, v, i) : v;
    int r = -1;
    bool b = false;
    switch (spec->kind) {
    case AK_INT:
    case AK_INTS: r = ydoc_parse_int(item, &iv[i]); break;
    case AK_FLOAT:
    case AK_FLOATS: r = ydoc_parse_float(item, &fv[i]); break;
    case AK_BOOL:
      r = ydoc_parse_bool(item, &b);
      iv[i] = b;
      break;
    case AK_ENUM:
      for (int e = 0; spec->enum_names[e] && r != 0; e++)
        if (ydoc_scalar_is_clean(item) &&
            strcmp(spec->enum_names[e], ydoc_scalar(item)) == 0) {
          iv[i] = e;
          r = 0;
        }
      break;
    }
    if (r == -2)
      return diag_error(L->d, LOC(L, item),
                        "%s '%s': attribute '%s': %s is out of range", op,
                        dr->name, name, ydoc_scalar(item));
    if (r != 0)
      bad = item;
  }
  if (bad && spec->kind == AK_ENUM) {
    char choices[128] = "", buf[80];
    for (int e = 0; spec->enum_names[e]; e++)
      snprintf(choices + strlen(choices), sizeof choices - strlen(choices),
               "%s%s", e ? ", " : "", spec->enum_names[e]);
    return diag_error(L->d, LOC(L, bad),
                      "%s '%s': attribute '%s' must be one of %s; found %s",
                      op, dr->name, name, choices,
                      ydoc_describe(bad, buf, sizeof buf));
  }
  if (bad)
    return diag_error(L->d, LOC(L, bad), "%s '%s': attribute '%s' must be %s",
                      op, dr->name, name, kind_words[spec->kind]);
  *out = floats ? ir_attr_make_floats(L->g, k, spec->kind, fv, count)
                : ir_attr_make_ints(L->g, k, spec->kind, iv, count);
  out->loc = LOC(L, v);
  return 0;
}

/* Second pass over one node: inputs, attributes, then the IR node. */
static int build_node(Loader *L, const NodeDraft *dr) {
  const OpInfo *info = op_info(dr->op);
  char where[300], what[320];
  snprintf(where, sizeof where, "%s '%s'", info->name, dr->name);
  snprintf(what, sizeof what, "%s inputs", where);
  yaml_node_t *ins = ydoc_require(L->y, dr->map, "inputs", where);
  if (!ins || ydoc_expect_seq(L->y, ins, what) != 0 ||
      check_arity(L, dr, ins, "takes", "input", info->min_inputs,
                  info->max_inputs))
    return -1;
  int num_inputs = ydoc_seq_len(ins);
  Tensor **inputs =
      arena_alloc(L->g->arena, sizeof(Tensor *) * (size_t)(num_inputs + 1));
  for (int i = 0; i < num_inputs; i++) {
    yaml_node_t *item = ydoc_seq_item(L->y, ins, i);
    const char *name;
    if (ydoc_string(L->y, item, what, &name) != 0)
      return -1;
    inputs[i] = ir_graph_find_tensor(L->g, name);
    if (!inputs[i])
      return diag_error(L->d, LOC(L, item), "%s: input '%s' is not defined",
                        where, name);
  }

  yaml_node_t *attrs = ydoc_map_get(L->y, dr->map, "attrs");
  int num_attrs = 0;
  Attr *av = NULL;
  if (attrs && !ydoc_is_null(attrs)) {
    snprintf(what, sizeof what, "%s attrs", where);
    if (ydoc_expect_map(L->y, attrs, what) != 0)
      return -1;
    num_attrs = ydoc_map_len(attrs);
    av = arena_alloc(L->g->arena, sizeof(Attr) * (size_t)(num_attrs + 1));
    for (int i = 0; i < num_attrs; i++)
      if (load_attr(L, dr, ydoc_map_key(L->y, attrs, i),
                    ydoc_map_value(L->y, attrs, i), &av[i]) != 0)
        return -1;
  }
  Node *n = ir_graph_add_node(L->g, dr->name, dr->op, inputs, num_inputs,
                              dr->outputs, dr->num_outputs, av, num_attrs,
                              LOC(L, dr->map));
  return ir_node_complete_attrs(L->g, n, L->d);
}

static int load_nodes(Loader *L, yaml_node_t *root) {
  yaml_node_t *v = ydoc_require(L->y, root, "nodes", "model");
  if (!v || ydoc_expect_seq(L->y, v, "nodes") != 0)
    return -1;
  int count = ydoc_seq_len(v);
  NodeDraft *drafts =
      arena_alloc(L->g->arena, sizeof(NodeDraft) * (size_t)(count + 1));
  NameSet names = {NULL, 16};
  while (names.cap < 2 * (size_t)count)
    names.cap *= 2;
  names.slots = calloc(names.cap, sizeof *names.slots);
  if (!names.slots)
    return diag_error(L->d, LOC(L, v), "out of memory");
  int rc = 0;
  for (int i = 0; i < count && rc == 0; i++)
    rc = draft_node(L, ydoc_seq_item(L->y, v, i), i, &names, &drafts[i]);
  free(names.slots);
  for (int i = 0; i < count && rc == 0; i++)
    rc = build_node(L, &drafts[i]);
  return rc;
}

/* ---- outputs ---------------------------------------------------------------------- */

static int load_outputs(Loader *L, yaml_node_t *root) {
  yaml_node_t *v = ydoc_require(L->y, root, "outputs", "model");
  if (!v || ydoc_expect_seq(L->y, v, "outputs") != 0)
    return -1;
  if (ydoc_seq_len(v) == 0)
    return diag_error(L->d, LOC(L, v), "outputs: expected at least one output");
  for (int i = 0; i < ydoc_seq_len(v); i++) {
    yaml_node_t *item = ydoc_seq_item(L->y, v, i);
    const char *name;
    if (ydoc_string(L->y, item, "outputs", &name) != 0)
      return -1;
    Tensor *t = ir_graph_find_tensor(L->g, name);
    if (!t || t->kind != TK_VALUE)
      return diag_error(L->d, LOC(L, item),
                        "output '%s' is not produced by any node", name);
    if (ir_is_graph_output(L->g, t))
      return diag_error(L->d, LOC(L, item), "output '%s' is listed twice",
                        name);
    ir_graph_add_output(L->g, t);
  }
  return 0;
}

/* ---- quant ------------------------------------------------------------------------ */

/* One scale (positive, finite as f32) and one zero point (in the storage
 * type's range) into slot i of q. */
static int load_quant_pair(Loader *L, const Tensor *t, QuantParams *q, int i,
                           yaml_node_t *s, yaml_node_t *z) {
  char what[300];
  snprintf(what, sizeof what, "quant '%s' scale", t->name);
  double scale;
  if (ydoc_float(L->y, s, what, &scale) != 0)
    return -1;
  float f = (float)scale;
  if (!(scale > 0) || !(f > 0) || !isfinite(f))
    return diag_error(L->d, LOC(L, s),
                      "quant '%s': scale %s is not a positive f32", t->name,
                      ydoc_scalar(s));
  snprintf(what, sizeof what, "quant '%s' zero_point", t->name);
  int64_t zp, lo, hi;
  if (ydoc_int(L->y, z, what, &zp) != 0)
    return -1;
  int_range(q->dtype, &lo, &hi);
  if (zp < lo || zp > hi)
    return diag_error(L->d, LOC(L, z),
                      "quant '%s': zero_point %lld is out of range for %s "
                      "[%lld, %lld]",
                      t->name, (long long)zp, dtype_name(q->dtype),
                      (long long)lo, (long long)hi);
  q->scale[i] = f;
  q->zero_point[i] = (int32_t)zp;
  return 0;
}

static int load_quant_entry(Loader *L, Tensor *t, yaml_node_t *v) {
  static const char *const keys[] = {"dtype", "scale", "zero_point", "axis",
                                     NULL};
  char where[300], what[320];
  snprintf(where, sizeof where, "quant '%s'", t->name);
  if (ydoc_check_keys(L->y, v, keys, where) != 0)
    return -1;
  yaml_node_t *dtype_node = ydoc_require(L->y, v, "dtype", where);
  yaml_node_t *scale = ydoc_require(L->y, v, "scale", where);
  yaml_node_t *zp = ydoc_require(L->y, v, "zero_point", where);
  yaml_node_t *axis_node = ydoc_map_get(L->y, v, "axis");
  const char *dtype_str;
  DType dtype;
  if (!dtype_node || !scale || !zp ||
      ydoc_string(L->y, dtype_node, "dtype", &dtype_str) != 0)
    return -1;
  if (dtype_from_name(dtype_str, &dtype) != 0 || dtype == DT_F32)
    return diag_error(L->d, LOC(L, dtype_node),
                      "%s: dtype must be u8, i8 or i32, found '%s'", where,
                      dtype_str);
  int axis = -1;
  int64_t count = 1;
  if (axis_node) {
    int64_t a;
    snprintf(what, sizeof what, "%s axis", where);
    if (ydoc_int(L->y, axis_node, what, &a) != 0)
      return -1;
    if (a < -t->rank || a >= t->rank)
      return diag_error(L->d, LOC(L, axis_node),
                        "%s: axis %lld is out of range for rank %d", where,
                        (long long)a, t->rank);
    axis = (int)(a < 0 ? a + t->rank : a);
    count = t->dims[axis];
    /* zero_point may be one value for every channel. */
    yaml_node_t *lists[2] = {scale, zp};
    const char *names[2] = {"scale", "zero_point"};
    for (int k = 0; k < 2; k++) {
      if (k == 0 && ydoc_expect_seq(L->y, scale, "scale") != 0)
        return -1;
      if (lists[k]->type == YAML_SEQUENCE_NODE &&
          ydoc_seq_len(lists[k]) != count)
        return diag_error(L->d, LOC(L, lists[k]),
                          "%s: %s has %d values, axis %d has size %lld", where,
                          names[k], ydoc_seq_len(lists[k]), axis,
                          (long long)count);
    }
  } else if (scale->type == YAML_SEQUENCE_NODE ||
             zp->type == YAML_SEQUENCE_NODE) {
    return diag_error(L->d, LOC(L, scale->type == YAML_SEQUENCE_NODE ? scale
                                                                     : zp),
                      "%s: per-channel lists need 'axis'", where);
  }
  QuantParams *q = ir_quant_create(L->g, dtype, axis, (int)count);
  for (int i = 0; i < (int)count; i++) {
    yaml_node_t *s = axis >= 0 ? ydoc_seq_item(L->y, scale, i) : scale;
    yaml_node_t *z =
        zp->type == YAML_SEQUENCE_NODE ? ydoc_seq_item(L->y, zp, i) : zp;
    if (load_quant_pair(L, t, q, i, s, z) != 0)
      return -1;
  }
  q->pinned = true;
  t->quant = q;
  return 0;
}

static int load_quant(Loader *L, yaml_node_t *root) {
  yaml_node_t *v = ydoc_map_get(L->y, root, "quant");
  if (!v || ydoc_is_null(v))
    return 0;
  if (ydoc_expect_map(L->y, v, "quant") != 0)
    return -1;
  for (int i = 0; i < ydoc_map_len(v); i++) {
    yaml_node_t *key = ydoc_map_key(L->y, v, i);
    const char *name;
    if (ydoc_string(L->y, key, "quant", &name) != 0)
      return -1;
    Tensor *t = ir_graph_find_tensor(L->g, name);
    if (!t)
      return diag_error(L->d, LOC(L, key), "quant: unknown tensor '%s'", name);
    if (t->quant)
      return diag_error(L->d, LOC(L, key), "quant: duplicate entry for '%s'",
                        name);
    if (load_quant_entry(L, t, ydoc_map_value(L->y, v, i)) != 0)
      return -1;
  }
  return 0;
}

/* ---- the whole model ------------------------------------------------------------------ */

static int load_model(Loader *L, yaml_node_t *root) {
  static const char *const keys[] = {"format", "name",  "inputs", "outputs",
                                     "constants", "nodes", "quant", NULL};
  if (ydoc_check_keys(L->y, root, keys, "model") != 0 ||
      load_format(L, root) != 0 || load_model_name(L, root) != 0 ||
      load_inputs(L, root) != 0 || load_constants(L, root) != 0 ||
      load_nodes(L, root) != 0 || load_outputs(L, root) != 0)
    return -1;
  if (ir_graph_sort(L->g, L->d) != 0 || ir_graph_infer(L->g, L->d) != 0 ||
      load_quant(L, root) != 0)
    return -1;
  return ir_verify(L->g, L->d);
}

Graph *frontend_parse_yaml(const char *text, size_t len, const char *path,
                           Diag *d) {
  Graph *g = ir_graph_create(NULL);
  g->source_path = arena_strdup(g->arena, path ? path : "<input>");
  /* `file:` paths resolve against the folder part of `path`. */
  const char *slash = strrchr(g->source_path, '/');
  const char *dir = "";
  if (slash)
    dir = slash == g->source_path
              ? "/"
              : arena_strndup(g->arena, g->source_path,
                              (size_t)(slash - g->source_path));
  YDoc y;
  if (ydoc_load(&y, text, len, g->source_path, d) != 0) {
    ir_graph_destroy(g);
    return NULL;
  }
  Loader L = {&y, g, d, dir};
  int rc = load_model(&L, ydoc_root(&y));
  ydoc_free(&y);
  if (rc != 0) {
    ir_graph_destroy(g);
    return NULL;
  }
  return g;
}

Graph *frontend_load_yaml(const char *path, Diag *d) {
  char *text;
  size_t len;
  if (qcc_read_file(path, &text, &len, d) != 0)
    return NULL;
  Graph *g = frontend_parse_yaml(text, len, path, d);
  free(text);
  return g;
}
