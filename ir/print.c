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

#include "strbuf.h"

/* Constants with at most this many elements are printed inline. */
#define PRINT_INLINE_MAX 16

/* A quoted string; escapes exactly what the lexer cannot take raw. */
static void print_string(StrBuf *b, const char *s) {
  strbuf_putc(b, '"');
  for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
    if (*c == '"' || *c == '\\') {
      strbuf_putc(b, '\\');
      strbuf_putc(b, (char)*c);
    } else if (*c == '\n') {
      strbuf_puts(b, "\\n");
    } else if (*c == '\t') {
      strbuf_puts(b, "\\t");
    } else if (*c < 0x20 || *c == 0x7f) {
      strbuf_printf(b, "\\x%02X", *c);
    } else {
      strbuf_putc(b, (char)*c);
    }
  }
  strbuf_putc(b, '"');
}

/* A name after a sigil ('%', '@') or as a resource key: bare when the lexer
 * reads it back as one name token, else quoted. */
static void print_name(StrBuf *b, const char *sigil, const char *name) {
  strbuf_puts(b, sigil);
  if (text_is_bare_name(name))
    strbuf_puts(b, name);
  else
    print_string(b, name);
}

static void print_f32(StrBuf *b, float v) {
  char buf[TEXT_FLOAT_BUF];
  strbuf_puts(b, text_format_f32(v, buf));
}

static void print_f64(StrBuf *b, double v) {
  char buf[TEXT_FLOAT_BUF];
  strbuf_puts(b, text_format_f64(v, buf));
}

static void print_quant(StrBuf *b, const QuantParams *q) {
  strbuf_puts(b, " !q.uniform<");
  strbuf_puts(b, dtype_name(q->dtype));
  strbuf_puts(b, ":f32");
  if (q->axis >= 0)
    strbuf_printf(b, ":%d", q->axis);
  strbuf_puts(b, ", ");
  /* Braces whenever the pair count is not the per-tensor one, so that even
   * a malformed per-tensor record prints every pair it has. */
  bool braces = q->axis >= 0 || q->count != 1;
  if (braces)
    strbuf_putc(b, '{');
  for (int i = 0; i < q->count; i++) {
    if (i)
      strbuf_puts(b, ", ");
    print_f32(b, q->scale[i]);
    strbuf_printf(b, ":%" PRId32, q->zero_point[i]);
  }
  if (braces)
    strbuf_putc(b, '}');
  strbuf_putc(b, '>');
  if (q->pinned)
    strbuf_puts(b, " pinned");
}

static void print_type(StrBuf *b, const Tensor *t) {
  strbuf_puts(b, dtype_name(t->dtype));
  strbuf_putc(b, '[');
  for (int i = 0; i < t->rank; i++)
    strbuf_printf(b, "%s%" PRId64, i ? ", " : "", t->dims[i]);
  strbuf_putc(b, ']');
  if (t->quant)
    print_quant(b, t->quant);
  if (t->layout == LAYOUT_NHWC)
    strbuf_puts(b, " nhwc");
}

/* One element of constant data, read little-endian-agnostically through
 * memcpy (the data pointer carries no alignment promise). */
static void print_element(StrBuf *b, DType dt, const unsigned char *p) {
  switch (dt) {
  case DT_F32: {
    float v;
    memcpy(&v, p, sizeof v);
    print_f32(b, v);
    break;
  }
  case DT_U8:
    strbuf_printf(b, "%u", (unsigned)p[0]);
    break;
  case DT_I8:
    strbuf_printf(b, "%d", (int)(int8_t)p[0]);
    break;
  case DT_I32: {
    int32_t v;
    memcpy(&v, p, sizeof v);
    strbuf_printf(b, "%" PRId32, v);
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

static void print_const(StrBuf *b, const Tensor *t) {
  strbuf_puts(b, "  const ");
  print_name(b, "%", t->name);
  strbuf_puts(b, " : ");
  print_type(b, t);
  int64_t n = ir_tensor_numel(t);
  if (!t->data || n < 0) {
    /* Not valid syntax on purpose: a constant without data must not
     * parse back as if it had some. */
    strbuf_puts(b, " = <no data>\n");
    return;
  }
  if (uses_resource(t)) {
    strbuf_puts(b, " = dense_resource<");
    print_name(b, "", t->name);
    strbuf_puts(b, ">\n");
    return;
  }
  strbuf_puts(b, " = dense<[");
  size_t es = dtype_size(t->dtype);
  for (int64_t i = 0; i < n; i++) {
    if (i)
      strbuf_puts(b, ", ");
    print_element(b, t->dtype, (const unsigned char *)t->data + (size_t)i * es);
  }
  strbuf_puts(b, "]>\n");
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

static void print_attr(StrBuf *b, const Node *n, const Attr *a) {
  strbuf_puts(b, attr_key_name(a->key));
  strbuf_puts(b, " = ");
  switch (a->kind) {
  case AK_INT:
    if (a->count >= 1)
      strbuf_printf(b, "%" PRId64, a->ints[0]);
    break;
  case AK_FLOAT:
    if (a->count >= 1)
      print_f64(b, a->floats[0]);
    break;
  case AK_BOOL:
    if (a->count >= 1 && (a->ints[0] == 0 || a->ints[0] == 1))
      strbuf_puts(b, a->ints[0] ? "true" : "false");
    else if (a->count >= 1)
      strbuf_printf(b, "%" PRId64, a->ints[0]);
    break;
  case AK_ENUM: {
    const char *w = enum_word(n, a);
    if (w)
      strbuf_puts(b, w);
    else if (a->count >= 1)
      strbuf_printf(b, "%" PRId64, a->ints[0]);
    break;
  }
  case AK_INTS:
  case AK_FLOATS:
    strbuf_putc(b, '[');
    for (int i = 0; i < a->count; i++) {
      if (i)
        strbuf_puts(b, ", ");
      if (a->kind == AK_INTS)
        strbuf_printf(b, "%" PRId64, a->ints[i]);
      else
        print_f64(b, a->floats[i]);
    }
    strbuf_putc(b, ']');
    break;
  }
}

static void print_node(StrBuf *b, const Node *n) {
  strbuf_puts(b, "  ");
  for (int i = 0; i < n->num_outputs; i++) {
    if (i)
      strbuf_puts(b, ", ");
    print_name(b, "%", n->outputs[i]->name);
  }
  if (n->num_outputs > 0)
    strbuf_puts(b, " = ");
  strbuf_puts(b, op_info(n->op)->name);
  strbuf_putc(b, ' ');
  print_string(b, n->name);
  strbuf_puts(b, " (");
  for (int i = 0; i < n->num_inputs; i++) {
    if (i)
      strbuf_puts(b, ", ");
    print_name(b, "%", n->inputs[i]->name);
  }
  strbuf_putc(b, ')');
  if (n->num_attrs > 0) {
    strbuf_puts(b, " {");
    for (int i = 0; i < n->num_attrs; i++) {
      if (i)
        strbuf_puts(b, ", ");
      print_attr(b, n, &n->attrs[i]);
    }
    strbuf_putc(b, '}');
  }
  if (n->num_outputs > 0)
    strbuf_puts(b, " : ");
  for (int i = 0; i < n->num_outputs; i++) {
    if (i)
      strbuf_puts(b, ", ");
    print_type(b, n->outputs[i]);
  }
  strbuf_putc(b, '\n');
}

/* Raw bytes as "0x" + uppercase hex, little-endian element order whatever
 * the host, so a .qir file means the same on every machine. */
static void print_resource(StrBuf *b, const Tensor *t) {
  static const char hex[] = "0123456789ABCDEF";
  int64_t nbytes = ir_tensor_nbytes(t);
  size_t es = dtype_size(t->dtype);
  strbuf_puts(b, "  ");
  print_name(b, "", t->name);
  strbuf_puts(b, " = \"0x");
  strbuf_reserve(b, (size_t)nbytes * 2 + 2);
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
  strbuf_puts(b, "\"\n");
}

char *ir_print(const Graph *g) {
  StrBuf b = {0};
  strbuf_puts(&b, "graph ");
  print_name(&b, "@", g->name);
  strbuf_puts(&b, " {\n");
  for (int i = 0; i < g->num_inputs; i++) {
    const Tensor *t = g->inputs[i];
    strbuf_puts(&b, "  input ");
    print_name(&b, "%", t->name);
    strbuf_puts(&b, " : ");
    print_type(&b, t);
    strbuf_putc(&b, '\n');
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
    strbuf_puts(&b, "  output ");
    print_name(&b, "%", g->outputs[i]->name);
    strbuf_putc(&b, '\n');
  }
  strbuf_puts(&b, "}\n");
  if (any_resource) {
    strbuf_puts(&b, "resources {\n");
    for (int i = 0; i < g->num_tensors; i++) {
      const Tensor *t = g->tensors[i];
      if (t->kind == TK_CONST && uses_resource(t))
        print_resource(&b, t);
    }
    strbuf_puts(&b, "}\n");
  }
  if (b.oom) {
    free(b.p);
    return NULL;
  }
  return b.p;
}
