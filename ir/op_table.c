/* The op table (from ops.def), the attribute schemas of every op, and
 * attribute completion: checking what a node was given against its schema
 * and filling every default, so that passes, printers and interpreters see
 * one fully explicit form (e.g. padding always [top, left, bottom, right]). */
#include "ir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define NO_DEFAULT 0, {0}
#define DEF1(a) 1, {a}
#define DEF2(a, b) 2, {a, b}
#define DEF4(a, b, c, d) 4, {a, b, c, d}

static const char *const resize_modes[] = {"nearest", "bilinear", NULL};
static const char *const pad_modes[] = {"constant", "reflect", "edge", NULL};
static const char *const observer_kinds[] = {"minmax", "moving_minmax",
                                            "histogram", NULL};
static const char *const resize_coords[] = {
    "asymmetric", "half_pixel", "align_corners", "pytorch_half_pixel",
    "tf_half_pixel_for_nn", NULL};
static const char *const nearest_modes[] = {
    "floor", "ceil", "round_prefer_floor", "round_prefer_ceil", NULL};

/* {key, kind, min_count, max_count, required, defaults, enum_names} */
static const AttrSpec conv2d_attrs[] = {
    {ATTR_STRIDE, AK_INTS, 2, 2, false, DEF2(1, 1), NULL},
    {ATTR_PADDING, AK_INTS, 2, 4, false, DEF4(0, 0, 0, 0), NULL},
    {ATTR_DILATION, AK_INTS, 2, 2, false, DEF2(1, 1), NULL},
    {ATTR_GROUPS, AK_INT, 1, 1, false, DEF1(1), NULL},
};
/* ONNX ConvTranspose without dilation: weight [C, O/groups, KH, KW]. */
static const AttrSpec conv_transpose_attrs[] = {
    {ATTR_STRIDE, AK_INTS, 2, 2, false, DEF2(1, 1), NULL},
    {ATTR_PADDING, AK_INTS, 2, 4, false, DEF4(0, 0, 0, 0), NULL},
    {ATTR_OUTPUT_PADDING, AK_INTS, 2, 2, false, DEF2(0, 0), NULL},
    {ATTR_GROUPS, AK_INT, 1, 1, false, DEF1(1), NULL},
};
static const AttrSpec batch_norm_attrs[] = {
    {ATTR_EPS, AK_FLOAT, 1, 1, false, DEF1(1e-5), NULL},
};
static const AttrSpec clip_attrs[] = {
    {ATTR_MIN, AK_FLOAT, 1, 1, true, NO_DEFAULT, NULL},
    {ATTR_MAX, AK_FLOAT, 1, 1, true, NO_DEFAULT, NULL},
};
static const AttrSpec leaky_relu_attrs[] = {
    {ATTR_ALPHA, AK_FLOAT, 1, 1, false, DEF1(0.01), NULL},
};
static const AttrSpec hardsigmoid_attrs[] = {
    {ATTR_ALPHA, AK_FLOAT, 1, 1, false, DEF1(1.0 / 6.0), NULL},
    {ATTR_BETA, AK_FLOAT, 1, 1, false, DEF1(0.5), NULL},
};
static const AttrSpec axis1_attrs[] = {
    {ATTR_AXIS, AK_INT, 1, 1, false, DEF1(1), NULL},
};
static const AttrSpec split_attrs[] = {
    {ATTR_AXIS, AK_INT, 1, 1, false, DEF1(1), NULL},
    /* Absent: equal parts, one per output (filled by shape inference). */
    {ATTR_SIZES, AK_INTS, 1, OP_VARIADIC, false, NO_DEFAULT, NULL},
};
static const AttrSpec maxpool_attrs[] = {
    {ATTR_KERNEL, AK_INTS, 2, 2, true, NO_DEFAULT, NULL},
    {ATTR_STRIDE, AK_INTS, 2, 2, false, NO_DEFAULT, NULL}, /* = kernel */
    {ATTR_PADDING, AK_INTS, 2, 4, false, DEF4(0, 0, 0, 0), NULL},
    {ATTR_CEIL_MODE, AK_BOOL, 1, 1, false, DEF1(0), NULL},
};
static const AttrSpec avgpool_attrs[] = {
    {ATTR_KERNEL, AK_INTS, 2, 2, true, NO_DEFAULT, NULL},
    {ATTR_STRIDE, AK_INTS, 2, 2, false, NO_DEFAULT, NULL}, /* = kernel */
    {ATTR_PADDING, AK_INTS, 2, 4, false, DEF4(0, 0, 0, 0), NULL},
    {ATTR_CEIL_MODE, AK_BOOL, 1, 1, false, DEF1(0), NULL},
    {ATTR_COUNT_INCLUDE_PAD, AK_BOOL, 1, 1, false, DEF1(0), NULL},
};
static const AttrSpec resize_attrs[] = {
    {ATTR_SCALE, AK_FLOATS, 2, 2, false, NO_DEFAULT, NULL},
    {ATTR_SIZE, AK_INTS, 2, 2, false, NO_DEFAULT, NULL},
    {ATTR_MODE, AK_ENUM, 1, 1, false, DEF1(RESIZE_NEAREST), resize_modes},
    {ATTR_COORD, AK_ENUM, 1, 1, false, NO_DEFAULT, resize_coords},
    /* Absent: floor (the format's rule); nearest mode only. */
    {ATTR_NEAREST, AK_ENUM, 1, 1, false, NO_DEFAULT, nearest_modes},
};
static const AttrSpec reshape_attrs[] = {
    {ATTR_SHAPE, AK_INTS, 1, QCC_MAX_RANK, true, NO_DEFAULT, NULL},
};
static const AttrSpec transpose_attrs[] = {
    {ATTR_PERM, AK_INTS, 1, QCC_MAX_RANK, true, NO_DEFAULT, NULL},
};
/* ONNX Slice: starts/ends per sliced axis (negative from the end, then
 * clamped), axes [0, 1, ...], steps [1, ...] (negative walks back). */
static const AttrSpec slice_attrs[] = {
    {ATTR_STARTS, AK_INTS, 1, QCC_MAX_RANK, true, NO_DEFAULT, NULL},
    {ATTR_ENDS, AK_INTS, 1, QCC_MAX_RANK, true, NO_DEFAULT, NULL},
    {ATTR_AXES, AK_INTS, 1, QCC_MAX_RANK, false, NO_DEFAULT, NULL},
    {ATTR_STEPS, AK_INTS, 1, QCC_MAX_RANK, false, NO_DEFAULT, NULL},
};
/* ONNX Pad: pads [begin per axis..., end per axis...] (negative crops),
 * mode (PAD_CONSTANT... in pad.h), the constant's value. */
static const AttrSpec pad_attrs[] = {
    {ATTR_PADS, AK_INTS, 2, 2 * QCC_MAX_RANK, true, NO_DEFAULT, NULL},
    {ATTR_MODE, AK_ENUM, 1, 1, false, DEF1(0), pad_modes},
    {ATTR_VALUE, AK_FLOAT, 1, 1, false, DEF1(0), NULL},
};
static const AttrSpec pow_attrs[] = {
    {ATTR_EXPONENT, AK_FLOAT, 1, 1, true, NO_DEFAULT, NULL},
};
static const AttrSpec softmax_attrs[] = {
    {ATTR_AXIS, AK_INT, 1, 1, false, DEF1(-1), NULL},
};

/* The int8 dialect. `clamp` is the u8 output range [lo, hi] into which
 * relu/relu6/clip fuse; `range` is what calibration chose for a tensor.
 * qconv2d/qlinear with a fused activation table (4th input) requantize to
 * a table index with `index_scale`/`index_zero_point` instead of to u8. */
static const AttrSpec observe_attrs[] = {
    {ATTR_KIND, AK_ENUM, 1, 1, false, DEF1(OBSERVE_HISTOGRAM), observer_kinds},
    {ATTR_BINS, AK_INT, 1, 1, false, DEF1(2048), NULL},
    {ATTR_RANGE, AK_FLOATS, 2, 2, false, NO_DEFAULT, NULL},
};
static const AttrSpec qconv2d_attrs[] = {
    {ATTR_STRIDE, AK_INTS, 2, 2, false, DEF2(1, 1), NULL},
    {ATTR_PADDING, AK_INTS, 2, 4, false, DEF4(0, 0, 0, 0), NULL},
    {ATTR_DILATION, AK_INTS, 2, 2, false, DEF2(1, 1), NULL},
    {ATTR_GROUPS, AK_INT, 1, 1, false, DEF1(1), NULL},
    {ATTR_CLAMP, AK_INTS, 2, 2, false, DEF2(0, 255), NULL},
    {ATTR_INDEX_SCALE, AK_FLOAT, 1, 1, false, NO_DEFAULT, NULL},
    {ATTR_INDEX_ZERO_POINT, AK_INT, 1, 1, false, NO_DEFAULT, NULL},
};
static const AttrSpec qlinear_attrs[] = {
    {ATTR_CLAMP, AK_INTS, 2, 2, false, DEF2(0, 255), NULL},
    {ATTR_INDEX_SCALE, AK_FLOAT, 1, 1, false, NO_DEFAULT, NULL},
    {ATTR_INDEX_ZERO_POINT, AK_INT, 1, 1, false, NO_DEFAULT, NULL},
};
static const AttrSpec clamp_attrs[] = {
    {ATTR_CLAMP, AK_INTS, 2, 2, false, DEF2(0, 255), NULL},
};

#define NO_ATTRS NULL, 0
#define ATTRS(a) a, ARRAY_LEN(a)
static const struct {
  const AttrSpec *attrs;
  int n;
} op_attrs[OP_COUNT] = {
    [OP_CONV2D] = {ATTRS(conv2d_attrs)},
    [OP_BATCH_NORM] = {ATTRS(batch_norm_attrs)},
    [OP_CONV_TRANSPOSE] = {ATTRS(conv_transpose_attrs)},
    [OP_CLIP] = {ATTRS(clip_attrs)},
    [OP_LEAKY_RELU] = {ATTRS(leaky_relu_attrs)},
    [OP_HARDSIGMOID] = {ATTRS(hardsigmoid_attrs)},
    [OP_CONCAT] = {ATTRS(axis1_attrs)},
    [OP_FLATTEN] = {ATTRS(axis1_attrs)},
    [OP_SPLIT] = {ATTRS(split_attrs)},
    [OP_MAXPOOL2D] = {ATTRS(maxpool_attrs)},
    [OP_AVGPOOL2D] = {ATTRS(avgpool_attrs)},
    [OP_RESIZE] = {ATTRS(resize_attrs)},
    [OP_RESHAPE] = {ATTRS(reshape_attrs)},
    [OP_TRANSPOSE] = {ATTRS(transpose_attrs)},
    [OP_SLICE] = {ATTRS(slice_attrs)},
    [OP_POW] = {ATTRS(pow_attrs)},
    [OP_PAD] = {ATTRS(pad_attrs)},
    [OP_SOFTMAX] = {ATTRS(softmax_attrs)},
    [OP_OBSERVE] = {ATTRS(observe_attrs)},
    [OP_QCONV2D] = {ATTRS(qconv2d_attrs)},
    [OP_QLINEAR] = {ATTRS(qlinear_attrs)},
    [OP_QADD] = {ATTRS(clamp_attrs)},
    [OP_QSUB] = {ATTRS(clamp_attrs)},
    [OP_QMUL] = {ATTRS(clamp_attrs)},
};

static OpInfo op_table[OP_COUNT] = {
#define OP(e, nm, mini, maxi, mino, maxo, fl) [OP_##e] = {nm, mini, maxi, mino, maxo, fl, NULL, 0},
#include "ops.def"
#undef OP
};

static const char *const attr_names[ATTR_COUNT] = {
#define ATTR_KEY(e, nm) [ATTR_##e] = nm,
#include "attrs.def"
#undef ATTR_KEY
};

bool op_has(OpKind op, unsigned flags) {
  return (op_info(op)->flags & flags) == flags;
}

const OpInfo *op_info(OpKind op) {
  if ((unsigned)op >= OP_COUNT)
    QCC_DIE("bad op %d", (int)op);
  OpInfo *info = &op_table[op];
  /* The schema pointers cannot go in the X-macro initializer, so they are
   * attached on first use (idempotent, so harmless if two threads race). */
  info->attrs = op_attrs[op].attrs;
  info->num_attrs = op_attrs[op].n;
  return info;
}

int op_from_name(const char *s, OpKind *out) {
  for (int i = 0; i < OP_COUNT; i++)
    if (strcmp(op_table[i].name, s) == 0) {
      *out = (OpKind)i;
      return 0;
    }
  return -1;
}

const char *attr_key_name(AttrKey k) {
  if ((unsigned)k >= ATTR_COUNT)
    QCC_DIE("bad attribute key %d", (int)k);
  return attr_names[k];
}

int attr_key_from_name(const char *s, AttrKey *out) {
  for (int i = 0; i < ATTR_COUNT; i++)
    if (strcmp(attr_names[i], s) == 0) {
      *out = (AttrKey)i;
      return 0;
    }
  return -1;
}

const AttrSpec *op_attr_spec(OpKind op, AttrKey key) {
  const OpInfo *info = op_info(op);
  for (int i = 0; i < info->num_attrs; i++)
    if (info->attrs[i].key == key)
      return &info->attrs[i];
  return NULL;
}

/* ---- dtypes ---------------------------------------------------------- */

static const char *const dtype_names[DT_COUNT] = {"f32", "u8", "i8", "i32"};
static const size_t dtype_sizes[DT_COUNT] = {4, 1, 1, 4};

const char *dtype_name(DType t) {
  if ((unsigned)t >= DT_COUNT)
    QCC_DIE("bad dtype %d", (int)t);
  return dtype_names[t];
}

int dtype_from_name(const char *s, DType *out) {
  for (int i = 0; i < DT_COUNT; i++)
    if (strcmp(dtype_names[i], s) == 0) {
      *out = (DType)i;
      return 0;
    }
  return -1;
}

size_t dtype_size(DType t) {
  if ((unsigned)t >= DT_COUNT)
    QCC_DIE("bad dtype %d", (int)t);
  return dtype_sizes[t];
}

/* ---- attribute access ------------------------------------------------ */

const Attr *ir_node_attr(const Node *n, AttrKey key) {
  for (int i = 0; i < n->num_attrs; i++)
    if (n->attrs[i].key == key)
      return &n->attrs[i];
  return NULL;
}

static const Attr *must_attr(const Node *n, AttrKey key) {
  const Attr *a = ir_node_attr(n, key);
  if (!a)
    QCC_DIE("node '%s' has no attribute '%s'", n->name, attr_key_name(key));
  return a;
}

int64_t ir_attr_int(const Node *n, AttrKey key) {
  const Attr *a = must_attr(n, key);
  if (!a->ints)
    QCC_DIE("attribute '%s' is not integer", attr_key_name(key));
  return a->ints[0];
}

const int64_t *ir_attr_ints(const Node *n, AttrKey key, int *count) {
  const Attr *a = must_attr(n, key);
  if (!a->ints)
    QCC_DIE("attribute '%s' is not integer", attr_key_name(key));
  if (count)
    *count = a->count;
  return a->ints;
}

double ir_attr_float(const Node *n, AttrKey key) {
  const Attr *a = must_attr(n, key);
  if (!a->floats)
    QCC_DIE("attribute '%s' is not float", attr_key_name(key));
  return a->floats[0];
}

const double *ir_attr_floats(const Node *n, AttrKey key, int *count) {
  const Attr *a = must_attr(n, key);
  if (!a->floats)
    QCC_DIE("attribute '%s' is not float", attr_key_name(key));
  if (count)
    *count = a->count;
  return a->floats;
}

Attr ir_attr_make_ints(Graph *g, AttrKey key, AttrKind kind, const int64_t *v,
                       int count) {
  Attr a = {.key = key, .kind = kind, .count = count};
  a.ints = arena_alloc(g->arena, sizeof(int64_t) * (size_t)(count ? count : 1));
  if (count)
    memcpy(a.ints, v, sizeof(int64_t) * (size_t)count);
  return a;
}

Attr ir_attr_make_floats(Graph *g, AttrKey key, AttrKind kind, const double *v,
                         int count) {
  Attr a = {.key = key, .kind = kind, .count = count};
  a.floats = arena_alloc(g->arena, sizeof(double) * (size_t)(count ? count : 1));
  if (count)
    memcpy(a.floats, v, sizeof(double) * (size_t)count);
  return a;
}

/* ---- completion ------------------------------------------------------ */

static SrcLoc attr_loc(const Node *n, const Attr *a) {
  return a && a->loc.line > 0 ? a->loc : n->loc;
}

static bool is_int_kind(AttrKind k) {
  return k == AK_INT || k == AK_INTS || k == AK_BOOL || k == AK_ENUM;
}

/* Brings a given attribute to the schema's kind: integers are accepted where
 * floats are expected (YAML `scale: [2, 2]`). */
static int coerce_attr(Graph *g, const Node *n, const AttrSpec *spec, Attr *a,
                       Diag *d) {
  const char *op = op_info(n->op)->name, *key = attr_key_name(a->key);
  bool want_float = spec->kind == AK_FLOAT || spec->kind == AK_FLOATS;
  if (want_float && is_int_kind(a->kind) && a->kind != AK_ENUM &&
      a->kind != AK_BOOL) {
    double *f = arena_alloc(g->arena, sizeof(double) * (size_t)(a->count + 1));
    for (int i = 0; i < a->count; i++)
      f[i] = (double)a->ints[i];
    a->floats = f;
    a->ints = NULL;
    a->kind = a->kind == AK_INT ? AK_FLOAT : AK_FLOATS;
  }
  if (a->kind != spec->kind) {
    static const char *const what[] = {"an integer", "a list of integers",
                                       "a number", "a list of numbers",
                                       "true or false", "a name"};
    return diag_error(d, attr_loc(n, a), "%s '%s': attribute '%s' must be %s",
                      op, n->name, key, what[spec->kind]);
  }
  a->kind = spec->kind;
  if (a->count < spec->min_count || a->count > spec->max_count) {
    if (spec->min_count == spec->max_count)
      return diag_error(d, attr_loc(n, a),
                        "%s '%s': attribute '%s' needs %d values, got %d", op,
                        n->name, key, spec->min_count, a->count);
    if (a->count > spec->max_count || spec->max_count != OP_VARIADIC)
      return diag_error(d, attr_loc(n, a),
                        "%s '%s': attribute '%s' needs %d to %d values, got %d",
                        op, n->name, key, spec->min_count, spec->max_count,
                        a->count);
    return diag_error(d, attr_loc(n, a),
                      "%s '%s': attribute '%s' needs at least %d values", op,
                      n->name, key, spec->min_count);
  }
  if (spec->kind == AK_ENUM) {
    int k = 0;
    while (spec->enum_names[k])
      k++;
    if (a->ints[0] < 0 || a->ints[0] >= k)
      return diag_error(d, attr_loc(n, a), "%s '%s': bad value for '%s'", op,
                        n->name, key);
  }
  if (spec->kind == AK_BOOL && a->ints[0] != 0 && a->ints[0] != 1)
    return diag_error(d, attr_loc(n, a),
                      "%s '%s': attribute '%s' must be true or false", op,
                      n->name, key);
  if (want_float)
    for (int i = 0; i < a->count; i++)
      if (!isfinite(a->floats[i]))
        return diag_error(d, attr_loc(n, a),
                          "%s '%s': attribute '%s' must be finite", op,
                          n->name, key);
  return 0;
}

static Attr default_attr(Graph *g, const AttrSpec *spec) {
  int64_t iv[4];
  for (int i = 0; i < spec->num_defaults; i++)
    iv[i] = (int64_t)spec->defaults[i];
  if (spec->kind == AK_FLOAT || spec->kind == AK_FLOATS)
    return ir_attr_make_floats(g, spec->key, spec->kind, spec->defaults,
                               spec->num_defaults);
  return ir_attr_make_ints(g, spec->key, spec->kind, iv, spec->num_defaults);
}

int ir_node_complete_attrs(Graph *g, Node *n, Diag *d) {
  const OpInfo *info = op_info(n->op);
  const char *op = info->name;
  Attr *slot[ATTR_COUNT] = {0};
  for (int i = 0; i < n->num_attrs; i++) {
    Attr *a = &n->attrs[i];
    const AttrSpec *spec = op_attr_spec(n->op, a->key);
    if (!spec)
      return diag_error(d, attr_loc(n, a), "%s '%s': unknown attribute '%s'",
                        op, n->name, attr_key_name(a->key));
    if (slot[a->key])
      return diag_error(d, attr_loc(n, a), "%s '%s': duplicate attribute '%s'",
                        op, n->name, attr_key_name(a->key));
    if (coerce_attr(g, n, spec, a, d))
      return -1;
    slot[a->key] = a;
  }

  Attr *out = arena_alloc(g->arena, sizeof(Attr) * (size_t)(info->num_attrs + 1));
  int num = 0;
  for (int i = 0; i < info->num_attrs; i++) {
    const AttrSpec *spec = &info->attrs[i];
    Attr a;
    if (slot[spec->key]) {
      a = *slot[spec->key];
    } else if (spec->required) {
      return diag_error(d, n->loc, "%s '%s': missing attribute '%s'", op,
                        n->name, attr_key_name(spec->key));
    } else if (spec->num_defaults > 0) {
      a = default_attr(g, spec);
    } else {
      continue; /* filled below or optional */
    }
    /* [ph, pw] is shorthand for [ph, pw, ph, pw]. */
    if (spec->key == ATTR_PADDING && a.count == 2) {
      int64_t p[4] = {a.ints[0], a.ints[1], a.ints[0], a.ints[1]};
      SrcLoc l = a.loc;
      a = ir_attr_make_ints(g, ATTR_PADDING, AK_INTS, p, 4);
      a.loc = l;
    } else if (spec->key == ATTR_PADDING && a.count != 4) {
      return diag_error(d, attr_loc(n, &a),
                        "%s '%s': padding needs 2 or 4 values, got %d", op,
                        n->name, a.count);
    }
    out[num++] = a;
  }
  n->attrs = out;
  n->num_attrs = num;

  /* Defaults that depend on other attributes. */
  if (n->op == OP_MAXPOOL2D || n->op == OP_AVGPOOL2D) {
    if (!ir_node_attr(n, ATTR_STRIDE)) {
      Attr s = *ir_node_attr(n, ATTR_KERNEL);
      s.key = ATTR_STRIDE;
      s.loc = (SrcLoc){0};
      n->attrs[n->num_attrs++] = s;
    }
  }
  if (n->op == OP_RESIZE) {
    const Attr *sc = ir_node_attr(n, ATTR_SCALE), *sz = ir_node_attr(n, ATTR_SIZE);
    if (!sc == !sz)
      return diag_error(d, sc ? attr_loc(n, sc) : n->loc,
                        "resize '%s': give exactly one of 'scale' and 'size'",
                        n->name);
    if (!ir_node_attr(n, ATTR_COORD)) {
      int64_t c = ir_attr_int(n, ATTR_MODE) == RESIZE_NEAREST ? COORD_ASYMMETRIC
                                                              : COORD_HALF_PIXEL;
      n->attrs[n->num_attrs++] = ir_attr_make_ints(g, ATTR_COORD, AK_ENUM, &c, 1);
    }
  }
  /* Keep schema order after the appends above. */
  for (int i = 1; i < n->num_attrs; i++)
    for (int j = i; j > 0; j--) {
      int pa = (int)(op_attr_spec(n->op, n->attrs[j - 1].key) - info->attrs);
      int pb = (int)(op_attr_spec(n->op, n->attrs[j].key) - info->attrs);
      if (pa <= pb)
        break;
      Attr t = n->attrs[j];
      n->attrs[j] = n->attrs[j - 1];
      n->attrs[j - 1] = t;
    }
  return 0;
}
