/* Textual IR printer (format: docs/ir.md). The text is the IR's debugging
 * view and the input of FileCheck tests, so it is deterministic and
 * canonical: inputs in graph order, constants in tensor order, nodes in node
 * order, outputs in order, attributes in their stored (schema) order, floats
 * in the shortest form that parses back to the same bits, and big constants
 * moved out of the way into a trailing `resources` section. parse.c reads it
 * back, and print(parse(print(g))) == print(g) byte for byte.
 *
 * The printer must also work on graphs that are half-way through a pass and
 * do not verify (`--print-after-all` on a broken pass), so it never assumes
 * well-formedness beyond valid pointers: odd values are printed as they are
 * and left for the parser to reject. */
#include "ir.h"
#include "text.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Constants with at most this many elements are printed inline. */
#define PRINT_INLINE_MAX 16

/* A growable output buffer; `oom` makes every later write a no-op so the
 * printer can carry on and report the failure once at the end. */
typedef struct SBuf {
  char *p;
  size_t len, cap;
  bool oom;
} SBuf;

static void sb_reserve(SBuf *b, size_t extra) {
  if (b->oom)
    return;
  if (b->len + extra + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra + 1) {
    if (cap > SIZE_MAX / 2) {
      b->oom = true;
      return;
    }
    cap *= 2;
  }
  char *p = realloc(b->p, cap);
  if (!p) {
    b->oom = true;
    return;
  }
  b->p = p;
  b->cap = cap;
}

static void sb_putn(SBuf *b, const char *s, size_t n) {
  sb_reserve(b, n);
  if (b->oom)
    return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

static void sb_puts(SBuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

static void sb_putc(SBuf *b, char c) { sb_putn(b, &c, 1); }

static void sb_printf(SBuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_printf(SBuf *b, const char *fmt, ...) {
  char small[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->oom = true;
    return;
  }
  if ((size_t)n < sizeof small) {
    sb_putn(b, small, (size_t)n);
    return;
  }
  sb_reserve(b, (size_t)n);
  if (b->oom)
    return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* A quoted string; escapes exactly what the lexer cannot take raw. */
static void print_string(SBuf *b, const char *s) {
  sb_putc(b, '"');
  for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
    if (*c == '"' || *c == '\\') {
      sb_putc(b, '\\');
      sb_putc(b, (char)*c);
    } else if (*c == '\n') {
      sb_puts(b, "\\n");
    } else if (*c == '\t') {
      sb_puts(b, "\\t");
    } else if (*c < 0x20 || *c == 0x7f) {
      sb_printf(b, "\\x%02X", *c);
    } else {
      sb_putc(b, (char)*c);
    }
  }
  sb_putc(b, '"');
}

/* A name after a sigil ('%', '@') or as a resource key: bare when the lexer
 * reads it back as one name token, else quoted. */
static void print_name(SBuf *b, const char *sigil, const char *name) {
  sb_puts(b, sigil);
  if (text_is_bare_name(name))
    sb_puts(b, name);
  else
    print_string(b, name);
}

static void print_f32(SBuf *b, float v) {
  char buf[TEXT_FLOAT_BUF];
  sb_puts(b, text_format_f32(v, buf));
}

static void print_f64(SBuf *b, double v) {
  char buf[TEXT_FLOAT_BUF];
  sb_puts(b, text_format_f64(v, buf));
}

static void print_quant(SBuf *b, const QuantParams *q) {
  sb_puts(b, " !q.uniform<");
  sb_puts(b, dtype_name(q->dtype));
  sb_puts(b, ":f32");
  if (q->axis >= 0)
    sb_printf(b, ":%d", q->axis);
  sb_puts(b, ", ");
  /* Braces whenever the pair count is not the per-tensor one, so that even
   * a malformed per-tensor record prints every pair it has. */
  bool braces = q->axis >= 0 || q->count != 1;
  if (braces)
    sb_putc(b, '{');
  for (int i = 0; i < q->count; i++) {
    if (i)
      sb_puts(b, ", ");
    print_f32(b, q->scale[i]);
    sb_printf(b, ":%" PRId32, q->zero_point[i]);
  }
  if (braces)
    sb_putc(b, '}');
  sb_putc(b, '>');
  if (q->pinned)
    sb_puts(b, " pinned");
}

static void print_type(SBuf *b, const Tensor *t) {
  sb_puts(b, dtype_name(t->dtype));
  sb_putc(b, '[');
  for (int i = 0; i < t->rank; i++)
    sb_printf(b, "%s%" PRId64, i ? ", " : "", t->dims[i]);
  sb_putc(b, ']');
  if (t->quant)
    print_quant(b, t->quant);
}

/* One element of constant data, read little-endian-agnostically through
 * memcpy (the data pointer carries no alignment promise). */
static void print_element(SBuf *b, DType dt, const unsigned char *p) {
  switch (dt) {
  case DT_F32: {
    float v;
    memcpy(&v, p, sizeof v);
    print_f32(b, v);
    break;
  }
  case DT_U8:
    sb_printf(b, "%u", (unsigned)p[0]);
    break;
  case DT_I8:
    sb_printf(b, "%d", (int)(int8_t)p[0]);
    break;
  case DT_I32: {
    int32_t v;
    memcpy(&v, p, sizeof v);
    sb_printf(b, "%" PRId32, v);
    break;
  }
  default:
    QCC_DIE("bad dtype %d", (int)dt);
  }
}

/* Whether t's data goes to the resources section. */
static bool uses_resource(const Tensor *t) {
  int64_t n = ir_tensor_numel(t);
  return t->data && n > PRINT_INLINE_MAX;
}

static void print_const(SBuf *b, const Tensor *t) {
  sb_puts(b, "  const ");
  print_name(b, "%", t->name);
  sb_puts(b, " : ");
  print_type(b, t);
  int64_t n = ir_tensor_numel(t);
  if (!t->data || n < 0) {
    /* Not valid syntax on purpose: a constant without data must not
     * parse back as if it had some. */
    sb_puts(b, " = <no data>\n");
    return;
  }
  if (uses_resource(t)) {
    sb_puts(b, " = dense_resource<");
    print_name(b, "", t->name);
    sb_puts(b, ">\n");
    return;
  }
  sb_puts(b, " = dense<[");
  size_t es = dtype_size(t->dtype);
  for (int64_t i = 0; i < n; i++) {
    if (i)
      sb_puts(b, ", ");
    print_element(b, t->dtype, (const unsigned char *)t->data + (size_t)i * es);
  }
  sb_puts(b, "]>\n");
}

static const char *enum_word(const Node *n, const Attr *a) {
  const AttrSpec *spec = op_attr_spec(n->op, a->key);
  if (!spec || !spec->enum_names || a->count < 1)
    return NULL;
  for (int64_t i = 0; spec->enum_names[i]; i++)
    if (i == a->ints[0])
      return spec->enum_names[i];
  return NULL;
}

static void print_attr(SBuf *b, const Node *n, const Attr *a) {
  sb_puts(b, attr_key_name(a->key));
  sb_puts(b, " = ");
  switch (a->kind) {
  case AK_INT:
    if (a->count >= 1)
      sb_printf(b, "%" PRId64, a->ints[0]);
    break;
  case AK_FLOAT:
    if (a->count >= 1)
      print_f64(b, a->floats[0]);
    break;
  case AK_BOOL:
    if (a->count >= 1 && (a->ints[0] == 0 || a->ints[0] == 1))
      sb_puts(b, a->ints[0] ? "true" : "false");
    else if (a->count >= 1)
      sb_printf(b, "%" PRId64, a->ints[0]);
    break;
  case AK_ENUM: {
    const char *w = enum_word(n, a);
    if (w)
      sb_puts(b, w);
    else if (a->count >= 1)
      sb_printf(b, "%" PRId64, a->ints[0]);
    break;
  }
  case AK_INTS:
  case AK_FLOATS:
    sb_putc(b, '[');
    for (int i = 0; i < a->count; i++) {
      if (i)
        sb_puts(b, ", ");
      if (a->kind == AK_INTS)
        sb_printf(b, "%" PRId64, a->ints[i]);
      else
        print_f64(b, a->floats[i]);
    }
    sb_putc(b, ']');
    break;
  }
}

static void print_node(SBuf *b, const Node *n) {
  sb_puts(b, "  ");
  for (int i = 0; i < n->num_outputs; i++) {
    if (i)
      sb_puts(b, ", ");
    print_name(b, "%", n->outputs[i]->name);
  }
  if (n->num_outputs > 0)
    sb_puts(b, " = ");
  sb_puts(b, op_info(n->op)->name);
  sb_putc(b, ' ');
  print_string(b, n->name);
  sb_puts(b, " (");
  for (int i = 0; i < n->num_inputs; i++) {
    if (i)
      sb_puts(b, ", ");
    print_name(b, "%", n->inputs[i]->name);
  }
  sb_putc(b, ')');
  if (n->num_attrs > 0) {
    sb_puts(b, " {");
    for (int i = 0; i < n->num_attrs; i++) {
      if (i)
        sb_puts(b, ", ");
      print_attr(b, n, &n->attrs[i]);
    }
    sb_putc(b, '}');
  }
  if (n->num_outputs > 0)
    sb_puts(b, " : ");
  for (int i = 0; i < n->num_outputs; i++) {
    if (i)
      sb_puts(b, ", ");
    print_type(b, n->outputs[i]);
  }
  sb_putc(b, '\n');
}

/* Raw bytes as "0x" + uppercase hex, little-endian element order whatever
 * the host, so a .qir file means the same on every machine. */
static void print_resource(SBuf *b, const Tensor *t) {
  static const char hex[] = "0123456789ABCDEF";
  int64_t nbytes = ir_tensor_nbytes(t);
  size_t es = dtype_size(t->dtype);
  sb_puts(b, "  ");
  print_name(b, "", t->name);
  sb_puts(b, " = \"0x");
  sb_reserve(b, (size_t)nbytes * 2 + 2);
  if (b->oom)
    return;
  const unsigned char *p = t->data;
  for (int64_t i = 0; i < nbytes; i += (int64_t)es) {
    unsigned char le[4];
    if (es == 4) {
      uint32_t v;
      memcpy(&v, p + i, 4);
      for (int k = 0; k < 4; k++)
        le[k] = (unsigned char)(v >> (8 * k));
    } else {
      le[0] = p[i];
    }
    for (size_t k = 0; k < es; k++) {
      b->p[b->len++] = hex[le[k] >> 4];
      b->p[b->len++] = hex[le[k] & 15];
    }
  }
  b->p[b->len] = 0;
  sb_puts(b, "\"\n");
}

char *ir_print(const Graph *g) {
  SBuf b = {0};
  sb_puts(&b, "graph ");
  print_name(&b, "@", g->name);
  sb_puts(&b, " {\n");
  for (int i = 0; i < g->num_inputs; i++) {
    const Tensor *t = g->inputs[i];
    sb_puts(&b, "  input ");
    print_name(&b, "%", t->name);
    sb_puts(&b, " : ");
    print_type(&b, t);
    sb_putc(&b, '\n');
  }
  bool any_resource = false;
  for (int i = 0; i < g->num_tensors; i++) {
    const Tensor *t = g->tensors[i];
    if (t->kind != TK_CONST)
      continue;
    print_const(&b, t);
    any_resource |= uses_resource(t);
  }
  for (int i = 0; i < g->num_nodes; i++)
    print_node(&b, g->nodes[i]);
  for (int i = 0; i < g->num_outputs; i++) {
    sb_puts(&b, "  output ");
    print_name(&b, "%", g->outputs[i]->name);
    sb_putc(&b, '\n');
  }
  sb_puts(&b, "}\n");
  if (any_resource) {
    sb_puts(&b, "resources {\n");
    for (int i = 0; i < g->num_tensors; i++) {
      const Tensor *t = g->tensors[i];
      if (t->kind == TK_CONST && uses_resource(t))
        print_resource(&b, t);
    }
    sb_puts(&b, "}\n");
  }
  if (b.oom) {
    free(b.p);
    return NULL;
  }
  return b.p;
}
