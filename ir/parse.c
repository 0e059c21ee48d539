/* Textual IR parser (format: docs/ir.md): the inverse of print.c, and the
 * way FileCheck tests feed hand-written graphs to passes.
 *
 * Two phases. The first reads the whole text into statement records (a
 * hand-written lexer with one token of lookahead feeding a descent parser
 * that never recurses, so no input can exhaust the stack); this lets a value
 * be used above its definition, as in the YAML format, and lets
 * dense_resource references be checked against the trailing `resources`
 * section. The second builds
 * the Graph from the records: tensors in textual order, then nodes, then the
 * usual completion (ir_node_complete_attrs, ir_graph_sort, shape inference,
 * ir_verify), comparing every declared result type with the inferred one.
 *
 * The input is untrusted (a fuzzing campaign targets this file): every read
 * is bounds-checked against `len` (the text need not be NUL-terminated),
 * numbers are range-checked before conversion, and no allocation is sized
 * by a number from the text before the data that fills it has been counted,
 * so a short file cannot ask for gigabytes. Every error is a Diag with the
 * 1-based line and column of the offending token. */
#include "ir.h"
#include "text.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokens -------------------------------------------------------------- */

typedef enum TokKind {
  TOK_EOF,
  TOK_IDENT,  /* [A-Za-z_][A-Za-z0-9_.]*: keywords, ops, dtypes, attrs */
  TOK_VALUE,  /* %name or %"quoted" */
  TOK_GLOBAL, /* @name or @"quoted" */
  TOK_NAME,   /* a bare name, lexed only where the parser asks for one */
  TOK_NUMBER, /* a run of [A-Za-z0-9_.+-] starting like a number */
  TOK_STRING, /* "..." (text holds the raw bytes between the quotes) */
  TOK_PUNCT,  /* one of { } ( ) [ ] < > , : = ! */
} TokKind;

typedef struct Token {
  TokKind kind;
  const char *start; /* the token as written, for messages */
  size_t len;
  const char *text; /* body: name without sigil, string without quotes */
  size_t text_len;
  bool quoted; /* TOK_VALUE/TOK_GLOBAL written as a quoted string */
  char punct;
  SrcLoc loc;
} Token;

/* Lexer modes: where the grammar expects a resource key, a bare name such
 * as "conv1.w" or "0" must not be split into identifier and number. */
typedef enum LexMode { LEX_NORMAL, LEX_NAME } LexMode;

/* ---- statement records (phase one) --------------------------------------- */

typedef struct Ref {
  const char *name;
  SrcLoc loc;
} Ref;

typedef struct TypeDecl {
  DType dtype;
  int rank;
  int64_t dims[QCC_MAX_RANK];
  int64_t numel;
  QuantParams *quant;
  Layout layout;
  SrcLoc loc;
} TypeDecl;

typedef enum StmtKind { ST_INPUT, ST_CONST, ST_NODE, ST_OUTPUT } StmtKind;

typedef struct Stmt {
  StmtKind kind;
  struct Stmt *next;
  /* input, const, output */
  Ref value;
  TypeDecl type;
  /* const: either inline elements or a resource reference */
  const void *dense;
  int64_t dense_count;
  SrcLoc data_loc;
  bool is_resource;
  Ref resource;
  /* node */
  Ref *results;
  TypeDecl *types;
  int num_results, num_types;
  OpKind op;
  SrcLoc op_loc;
  const char *node_name;
  Ref *operands;
  int num_operands;
  Attr *attrs;
  int num_attrs;
} Stmt;

typedef struct Resource {
  struct Resource *next;
  const char *key;
  SrcLoc key_loc;
  const char *hex; /* the digits after "0x", validated */
  size_t nbytes;
  SrcLoc loc; /* of the string */
  bool used;
} Resource;

/* A growable scratch array (malloc'd, reused between statements). One Vec
 * may hold elements of different sizes in turn (v_bytes holds 1-byte and
 * 4-byte constants), so the capacity is counted in bytes, never in
 * elements: a buffer grown for 16 one-byte elements has room for 4 floats. */
typedef struct Vec {
  void *p;
  size_t len;       /* in elements of the size last pushed */
  size_t cap_bytes; /* allocated bytes */
} Vec;

typedef struct Parser {
  const char *src;
  size_t len, pos;
  int line, col;
  const char *path;
  Diag *d;
  Arena *scratch; /* records, freed at the end of ir_parse */
  Graph *g;
  Token tok;
  SrcLoc graph_end; /* the graph's closing brace */
  Stmt *first, *last;
  Resource *resources;
  Vec v_refs, v_types, v_attrs, v_ints, v_floats, v_bytes, v_qscale, v_qzp;
} Parser;

static void *vec_push(Vec *v, size_t elem) {
  if ((v->len + 1) * elem > v->cap_bytes) {
    size_t cap = v->cap_bytes ? v->cap_bytes * 2 : 16 * elem;
    while (cap < (v->len + 1) * elem)
      cap *= 2;
    void *p = realloc(v->p, cap);
    if (!p)
      QCC_DIE("out of memory");
    v->p = p;
    v->cap_bytes = cap;
  }
  return (char *)v->p + elem * v->len++;
}

/* Copies the vector into the arena (so records can keep it) and empties it. */
static void *vec_take(Vec *v, Arena *a, size_t elem) {
  void *p = arena_alloc(a, elem * v->len + 1);
  if (v->len)
    memcpy(p, v->p, elem * v->len);
  v->len = 0;
  return p;
}

/* ---- lexer --------------------------------------------------------------- */

static int peekc(const Parser *p, size_t ahead) {
  return p->pos + ahead < p->len ? (unsigned char)p->src[p->pos + ahead] : -1;
}

static void advance_char(Parser *p) {
  if (p->pos >= p->len)
    return;
  if (p->src[p->pos] == '\n') {
    p->line++;
    p->col = 1;
  } else {
    p->col++;
  }
  p->pos++;
}

static SrcLoc here(const Parser *p) { return srcloc(p->path, p->line, p->col); }

static bool is_ident_start(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(int c) {
  return is_ident_start(c) || (c >= '0' && c <= '9') || c == '.';
}

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

static bool is_number_char(int c) {
  return is_ident_char(c) || c == '+' || c == '-';
}

static int hex_value(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static void skip_space(Parser *p) {
  for (;;) {
    int c = peekc(p, 0);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      advance_char(p);
    } else if (c == '/' && peekc(p, 1) == '/') {
      while (p->pos < p->len && p->src[p->pos] != '\n')
        advance_char(p);
    } else {
      return;
    }
  }
}

/* A character for a message: printable as itself, else as \xHH. */
static const char *char_desc(int c, char buf[8]) {
  if (c >= 0x21 && c < 0x7f && c != '\'')
    snprintf(buf, 8, "%c", c);
  else
    snprintf(buf, 8, "\\x%02X", (unsigned)c & 0xff);
  return buf;
}

/* Scans a quoted string starting at the opening quote; checks escapes. The
 * body (between the quotes) is left raw in the token; decode_string() turns
 * it into bytes when the parser needs them. */
static int lex_string(Parser *p, Token *t) {
  SrcLoc open = here(p);
  advance_char(p);
  size_t body = p->pos;
  for (;;) {
    int c = peekc(p, 0);
    if (c < 0 || c == '\n')
      return diag_error(p->d, open, "unterminated string");
    if (c == '"')
      break;
    if (c == '\\') {
      SrcLoc at = here(p);
      int e = peekc(p, 1);
      if (e == '"' || e == '\\' || e == 'n' || e == 't') {
        advance_char(p);
        advance_char(p);
        continue;
      }
      if (e == 'x') {
        int hi = hex_value(peekc(p, 2)), lo = hex_value(peekc(p, 3));
        if (hi < 0 || lo < 0)
          return diag_error(p->d, at,
                            "'\\x' must be followed by two hex digits");
        /* Names are C strings: a NUL would cut them short silently. */
        if (hi == 0 && lo == 0)
          return diag_error(p->d, at, "'\\x00' is not allowed in a string");
        for (int i = 0; i < 4; i++)
          advance_char(p);
        continue;
      }
      if (e < 0 || e == '\n')
        return diag_error(p->d, open, "unterminated string");
      char buf[8];
      return diag_error(p->d, at, "bad escape '\\%s' in string",
                        char_desc(e, buf));
    }
    if (c < 0x20 && c != '\t') {
      char buf[8];
      return diag_error(p->d, here(p), "control character '%s' in string",
                        char_desc(c, buf));
    }
    advance_char(p);
  }
  t->text = p->src + body;
  t->text_len = p->pos - body;
  advance_char(p); /* closing quote */
  return 0;
}

/* A bare name run: name characters, stopping before "//". */
static size_t name_run(const Parser *p) {
  size_t n = 0;
  while (text_is_name_char(peekc(p, n)) &&
         !(peekc(p, n) == '/' && peekc(p, n + 1) == '/'))
    n++;
  return n;
}

static int lex(Parser *p, Token *t, LexMode mode) {
  skip_space(p);
  memset(t, 0, sizeof *t);
  t->loc = here(p);
  t->start = p->src + p->pos;
  size_t begin = p->pos;
  int c = peekc(p, 0);
  if (c < 0) {
    t->kind = TOK_EOF;
    return 0;
  }
  if (mode == LEX_NAME && text_is_name_char(c) && name_run(p) > 0) {
    size_t n = name_run(p);
    t->kind = TOK_NAME;
    t->text = t->start;
    t->text_len = n;
    for (size_t i = 0; i < n; i++)
      advance_char(p);
  } else if (c == '%' || c == '@') {
    t->kind = c == '%' ? TOK_VALUE : TOK_GLOBAL;
    advance_char(p);
    if (peekc(p, 0) == '"') {
      if (lex_string(p, t) < 0)
        return -1;
      t->quoted = true;
    } else {
      size_t n = name_run(p);
      if (n == 0)
        return diag_error(p->d, t->loc, "expected a name after '%c'", c);
      t->text = p->src + p->pos;
      t->text_len = n;
      for (size_t i = 0; i < n; i++)
        advance_char(p);
    }
  } else if (c == '"') {
    t->kind = TOK_STRING;
    if (lex_string(p, t) < 0)
      return -1;
  } else if (is_digit(c) || c == '.' || c == '-' || c == '+') {
    t->kind = TOK_NUMBER;
    while (is_number_char(peekc(p, 0)))
      advance_char(p);
  } else if (is_ident_start(c)) {
    t->kind = TOK_IDENT;
    while (is_ident_char(peekc(p, 0)))
      advance_char(p);
  } else if (c != 0 && strchr("{}()[]<>,:=!", c)) {
    t->kind = TOK_PUNCT;
    t->punct = (char)c;
    advance_char(p);
  } else {
    char buf[8];
    return diag_error(p->d, t->loc, "unexpected character '%s'",
                      char_desc(c, buf));
  }
  t->len = p->pos - begin;
  if (t->kind != TOK_STRING && t->kind != TOK_VALUE && t->kind != TOK_GLOBAL &&
      t->kind != TOK_NAME) {
    t->text = t->start;
    t->text_len = t->len;
  }
  return 0;
}

static int next(Parser *p) { return lex(p, &p->tok, LEX_NORMAL); }
static int next_name(Parser *p) { return lex(p, &p->tok, LEX_NAME); }

/* ---- token helpers ------------------------------------------------------- */

/* The token as it appears in the text, shortened for messages. */
static const char *tok_desc(const Token *t, char *buf, size_t n) {
  if (t->kind == TOK_EOF)
    return "end of file";
  size_t len = t->len;
  const size_t max = 40;
  size_t show = len > max ? max : len;
  size_t k = 0;
  buf[k++] = '\'';
  for (size_t i = 0; i < show && k + 8 < n; i++) {
    unsigned char c = (unsigned char)t->start[i];
    if (c >= 0x20 && c < 0x7f) {
      buf[k++] = (char)c;
    } else {
      char hb[8];
      const char *s = char_desc(c, hb);
      while (*s && k + 8 < n)
        buf[k++] = *s++;
    }
  }
  if (show < len && k + 4 < n) {
    memcpy(buf + k, "...", 3);
    k += 3;
  }
  buf[k++] = '\'';
  buf[k] = 0;
  return buf;
}

#define DESC(p) tok_desc(&(p)->tok, desc_buf, sizeof desc_buf)

static bool is_punct(const Token *t, char c) {
  return t->kind == TOK_PUNCT && t->punct == c;
}

static bool is_word(const Token *t, const char *w) {
  return t->kind == TOK_IDENT && strlen(w) == t->text_len &&
         memcmp(t->text, w, t->text_len) == 0;
}

/* "expected ':' after value name, got 'foo'" and advances past the token. */
static int expect_punct(Parser *p, char c, const char *context, LexMode after) {
  char desc_buf[96];
  if (!is_punct(&p->tok, c))
    return diag_error(p->d, p->tok.loc, "expected '%c' %s, got %s", c, context,
                      DESC(p));
  return lex(p, &p->tok, after);
}

/* Decodes a string token body (escapes checked by the lexer) into an
 * arena-owned C string. */
static char *decode_string(Arena *a, const char *s, size_t n) {
  char *out = arena_alloc(a, n + 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '\\') {
      out[k++] = s[i];
      continue;
    }
    char e = s[++i];
    if (e == 'n')
      out[k++] = '\n';
    else if (e == 't')
      out[k++] = '\t';
    else if (e == 'x') {
      out[k++] = (char)(hex_value((unsigned char)s[i + 1]) * 16 +
                        hex_value((unsigned char)s[i + 2]));
      i += 2;
    } else
      out[k++] = e;
  }
  out[k] = 0;
  return out;
}

/* The name carried by a value/global/name/string token. */
static const char *tok_name(Parser *p, const Token *t) {
  if (t->kind == TOK_STRING || t->quoted)
    return decode_string(p->scratch, t->text, t->text_len);
  return arena_strndup(p->scratch, t->text, t->text_len);
}

/* ---- numbers ------------------------------------------------------------- */

typedef enum NumSyntax { NUM_BAD, NUM_INT, NUM_FLOAT } NumSyntax;

/* Classifies a number token by the grammar of docs/ir.md: integers
 * [+-]?digits, floats with a '.' or exponent, and [+-]?inf / nan. strtod
 * alone would also take hex floats and "infinity", which the format does not
 * allow. */
static NumSyntax number_syntax(const char *s, size_t n) {
  size_t i = 0;
  if (i < n && (s[i] == '+' || s[i] == '-'))
    i++;
  if (n - i == 3 &&
      (memcmp(s + i, "inf", 3) == 0 || memcmp(s + i, "nan", 3) == 0))
    return NUM_FLOAT;
  size_t int_digits = 0, frac_digits = 0;
  while (i < n && is_digit((unsigned char)s[i]))
    i++, int_digits++;
  bool is_float = false;
  if (i < n && s[i] == '.') {
    is_float = true;
    i++;
    while (i < n && is_digit((unsigned char)s[i]))
      i++, frac_digits++;
  }
  if (int_digits + frac_digits == 0)
    return NUM_BAD;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    is_float = true;
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-'))
      i++;
    size_t exp_digits = 0;
    while (i < n && is_digit((unsigned char)s[i]))
      i++, exp_digits++;
    if (exp_digits == 0)
      return NUM_BAD;
  }
  if (i != n)
    return NUM_BAD;
  return is_float ? NUM_FLOAT : NUM_INT;
}

/* Reads an integer token into [lo, hi]; `what` names the thing for the
 * range message ("dimension", "i8 element", ...). Advances on success. */
static int parse_int(Parser *p, int64_t lo, int64_t hi, const char *what,
                     int64_t *out) {
  char desc_buf[96];
  const Token *t = &p->tok;
  if (t->kind != TOK_NUMBER)
    return diag_error(p->d, t->loc, "expected %s, got %s", what, DESC(p));
  NumSyntax syn = number_syntax(t->text, t->text_len);
  if (syn == NUM_BAD)
    return diag_error(p->d, t->loc, "bad number %s", DESC(p));
  if (syn != NUM_INT)
    return diag_error(p->d, t->loc, "expected %s, got %s", what, DESC(p));
  size_t i = 0;
  bool neg = false;
  if (t->text[0] == '+' || t->text[0] == '-')
    neg = t->text[i++] == '-';
  /* Accumulate negatively so INT64_MIN is reachable. */
  int64_t v = 0;
  bool overflow = false;
  for (; i < t->text_len; i++) {
    int dgt = t->text[i] - '0';
    if (v < (INT64_MIN + dgt) / 10)
      overflow = true;
    else
      v = v * 10 - dgt;
  }
  if (!neg) {
    if (v == INT64_MIN)
      overflow = true;
    else
      v = -v;
  }
  if (overflow || v < lo || v > hi)
    return diag_error(p->d, t->loc,
                      "%s %s out of range [%" PRId64 ", %" PRId64 "]", what,
                      DESC(p), lo, hi);
  *out = v;
  return next(p);
}

/* Copies a number token into a NUL-terminated buffer for strtof/strtod;
 * inf and nan may also come as identifiers. */
static int number_text(Parser *p, const char *what, char *buf, size_t n) {
  char desc_buf[96];
  const Token *t = &p->tok;
  bool special =
      t->kind == TOK_IDENT && (is_word(t, "inf") || is_word(t, "nan"));
  if (t->kind != TOK_NUMBER && !special)
    return diag_error(p->d, t->loc, "expected %s, got %s", what, DESC(p));
  if (!special && number_syntax(t->text, t->text_len) == NUM_BAD)
    return diag_error(p->d, t->loc, "bad number %s", DESC(p));
  if (t->text_len >= n)
    return diag_error(p->d, t->loc, "number %s is too long", DESC(p));
  memcpy(buf, t->text, t->text_len);
  buf[t->text_len] = 0;
  return 0;
}

/* A finite literal that overflows the type is an error, not an infinity:
 * only the words inf/-inf mean infinity. Underflow to a denormal or zero is
 * fine (denormals are printed and must come back). */
static bool is_inf_word(const char *s) { return strstr(s, "inf") != NULL; }

static int parse_f32(Parser *p, const char *what, float *out) {
  char buf[512];
  char desc_buf[96];
  if (number_text(p, what, buf, sizeof buf) < 0)
    return -1;
  float v = strtof(buf, NULL);
  if (isinf(v) && !is_inf_word(buf))
    return diag_error(p->d, p->tok.loc, "number %s out of range for f32",
                      DESC(p));
  *out = v;
  return next(p);
}

static int parse_f64(Parser *p, const char *what, double *out) {
  char buf[512];
  char desc_buf[96];
  if (number_text(p, what, buf, sizeof buf) < 0)
    return -1;
  double v = strtod(buf, NULL);
  if (isinf(v) && !is_inf_word(buf))
    return diag_error(p->d, p->tok.loc, "number %s out of range", DESC(p));
  *out = v;
  return next(p);
}

/* ---- types --------------------------------------------------------------- */

static int parse_dtype(Parser *p, const char *what, DType *out) {
  char desc_buf[96];
  if (p->tok.kind != TOK_IDENT)
    return diag_error(p->d, p->tok.loc, "expected %s, got %s", what, DESC(p));
  char name[16];
  if (p->tok.text_len >= sizeof name)
    return diag_error(p->d, p->tok.loc, "unknown dtype %s", DESC(p));
  memcpy(name, p->tok.text, p->tok.text_len);
  name[p->tok.text_len] = 0;
  if (dtype_from_name(name, out) < 0)
    return diag_error(p->d, p->tok.loc, "unknown dtype %s", DESC(p));
  return next(p);
}

/* `!q.uniform<u8:f32, 0.02:128>` or `!q.uniform<i8:f32:0, {s:z, ...}>`,
 * then an optional `pinned`. The current token is '!'. */
static int parse_quant(Parser *p, TypeDecl *ty) {
  char desc_buf[96];
  if (next(p) < 0)
    return -1;
  if (!is_word(&p->tok, "q.uniform"))
    return diag_error(p->d, p->tok.loc,
                      "expected 'q.uniform' after '!', got %s", DESC(p));
  if (next(p) < 0 || expect_punct(p, '<', "after 'q.uniform'", LEX_NORMAL) < 0)
    return -1;
  SrcLoc st_loc = p->tok.loc;
  DType storage;
  if (parse_dtype(p, "quantized storage type", &storage) < 0)
    return -1;
  if (storage == DT_F32)
    return diag_error(
        p->d, st_loc,
        "quantized storage type must be u8, i8 or i32, got 'f32'");
  if (expect_punct(p, ':', "after the storage type", LEX_NORMAL) < 0)
    return -1;
  if (!is_word(&p->tok, "f32"))
    return diag_error(p->d, p->tok.loc, "expected expressed type 'f32', got %s",
                      DESC(p));
  if (next(p) < 0)
    return -1;
  int64_t axis = -1;
  if (is_punct(&p->tok, ':')) {
    if (next(p) < 0)
      return -1;
    SrcLoc axis_loc = p->tok.loc;
    if (parse_int(p, 0, QCC_MAX_RANK - 1, "quantization axis", &axis) < 0)
      return -1;
    if (axis >= ty->rank)
      return diag_error(p->d, axis_loc,
                        "quantization axis %" PRId64
                        " out of range for rank %d",
                        axis, ty->rank);
  }
  if (expect_punct(p, ',', "after the quantized type", LEX_NORMAL) < 0)
    return -1;
  bool braces = is_punct(&p->tok, '{');
  if (braces && next(p) < 0)
    return -1;
  p->v_qscale.len = p->v_qzp.len = 0;
  for (;;) {
    float scale;
    int64_t zp;
    if (parse_f32(p, "scale", &scale) < 0 ||
        expect_punct(p, ':', "after the scale", LEX_NORMAL) < 0 ||
        parse_int(p, INT32_MIN, INT32_MAX, "zero point", &zp) < 0)
      return -1;
    *(float *)vec_push(&p->v_qscale, sizeof(float)) = scale;
    *(int32_t *)vec_push(&p->v_qzp, sizeof(int32_t)) = (int32_t)zp;
    if (!braces || !is_punct(&p->tok, ','))
      break;
    if (next(p) < 0)
      return -1;
  }
  if (braces &&
      expect_punct(p, '}', "after the scale:zero_point list", LEX_NORMAL) < 0)
    return -1;
  if (p->v_qscale.len > INT32_MAX)
    return diag_error(p->d, st_loc, "too many quantization parameters");
  if (expect_punct(p, '>', "to close the quantized type", LEX_NORMAL) < 0)
    return -1;
  int count = (int)p->v_qscale.len;
  QuantParams *q = ir_quant_create(p->g, storage, (int)axis, count);
  memcpy(q->scale, p->v_qscale.p, sizeof(float) * (size_t)count);
  memcpy(q->zero_point, p->v_qzp.p, sizeof(int32_t) * (size_t)count);
  if (is_word(&p->tok, "pinned")) {
    q->pinned = true;
    if (next(p) < 0)
      return -1;
  }
  ty->quant = q;
  return 0;
}

/* dtype '[' dims ']' [quant] ['nhwc'] */
static int parse_type(Parser *p, TypeDecl *ty) {
  char desc_buf[96];
  memset(ty, 0, sizeof *ty);
  ty->loc = p->tok.loc;
  if (parse_dtype(p, "a type", &ty->dtype) < 0 ||
      expect_punct(p, '[', "after the dtype", LEX_NORMAL) < 0)
    return -1;
  if (!is_punct(&p->tok, ']')) {
    for (;;) {
      if (ty->rank == QCC_MAX_RANK)
        return diag_error(p->d, p->tok.loc, "too many dimensions (at most %d)",
                          QCC_MAX_RANK);
      if (parse_int(p, 0, QCC_MAX_ELEMENTS, "dimension", &ty->dims[ty->rank]) <
          0)
        return -1;
      ty->rank++;
      if (!is_punct(&p->tok, ','))
        break;
      if (next(p) < 0)
        return -1;
    }
  }
  if (!is_punct(&p->tok, ']'))
    return diag_error(p->d, p->tok.loc,
                      "expected ',' or ']' in the shape, got %s", DESC(p));
  if (ir_shape_numel(ty->rank, ty->dims, &ty->numel) < 0)
    return diag_error(p->d, ty->loc, "shape has too many elements");
  if (next(p) < 0)
    return -1;
  if (is_punct(&p->tok, '!') && parse_quant(p, ty) < 0)
    return -1;
  if (is_word(&p->tok, "nhwc")) {
    ty->layout = LAYOUT_NHWC;
    return next(p);
  }
  return 0;
}

/* ---- statements ---------------------------------------------------------- */

static Stmt *new_stmt(Parser *p, StmtKind kind, SrcLoc loc) {
  Stmt *s = arena_alloc(p->scratch, sizeof *s);
  s->kind = kind;
  s->value.loc = loc;
  if (p->last)
    p->last->next = s;
  else
    p->first = s;
  p->last = s;
  return s;
}

/* A value reference; `context` completes "expected value name ...". */
static int parse_ref(Parser *p, const char *context, Ref *out) {
  char desc_buf[96];
  if (p->tok.kind != TOK_VALUE)
    return diag_error(p->d, p->tok.loc, "expected value name %s, got %s",
                      context, DESC(p));
  out->name = tok_name(p, &p->tok);
  out->loc = p->tok.loc;
  return next(p);
}

/* input %x : type */
static int parse_input(Parser *p) {
  Stmt *s = new_stmt(p, ST_INPUT, p->tok.loc);
  if (next(p) < 0 || parse_ref(p, "after 'input'", &s->value) < 0 ||
      expect_punct(p, ':', "after value name", LEX_NORMAL) < 0)
    return -1;
  return parse_type(p, &s->type);
}

/* output %x */
static int parse_output(Parser *p) {
  Stmt *s = new_stmt(p, ST_OUTPUT, p->tok.loc);
  if (next(p) < 0)
    return -1;
  return parse_ref(p, "after 'output'", &s->value);
}

/* One element of a dense list, stored in the constant's dtype. */
static int parse_element(Parser *p, DType dt) {
  int64_t v;
  switch (dt) {
  case DT_F32: {
    float f;
    if (parse_f32(p, "number", &f) < 0)
      return -1;
    memcpy(vec_push(&p->v_bytes, 4), &f, 4);
    return 0;
  }
  case DT_U8:
    if (parse_int(p, 0, 255, "u8 element", &v) < 0)
      return -1;
    *(uint8_t *)vec_push(&p->v_bytes, 1) = (uint8_t)v;
    return 0;
  case DT_I8:
    if (parse_int(p, -128, 127, "i8 element", &v) < 0)
      return -1;
    *(int8_t *)vec_push(&p->v_bytes, 1) = (int8_t)v;
    return 0;
  case DT_I32: {
    if (parse_int(p, INT32_MIN, INT32_MAX, "i32 element", &v) < 0)
      return -1;
    int32_t i = (int32_t)v;
    memcpy(vec_push(&p->v_bytes, 4), &i, 4);
    return 0;
  }
  default:
    QCC_DIE("bad dtype %d", (int)dt);
  }
}

/* const %w : type = dense<[...]> | dense_resource<key> */
static int parse_const(Parser *p) {
  char desc_buf[96];
  Stmt *s = new_stmt(p, ST_CONST, p->tok.loc);
  if (next(p) < 0 || parse_ref(p, "after 'const'", &s->value) < 0 ||
      expect_punct(p, ':', "after value name", LEX_NORMAL) < 0 ||
      parse_type(p, &s->type) < 0 ||
      expect_punct(p, '=', "after the type of a constant", LEX_NORMAL) < 0)
    return -1;
  s->data_loc = p->tok.loc;
  if (is_word(&p->tok, "dense_resource")) {
    s->is_resource = true;
    if (next(p) < 0 ||
        expect_punct(p, '<', "after 'dense_resource'", LEX_NAME) < 0)
      return -1;
    if (p->tok.kind != TOK_NAME && p->tok.kind != TOK_STRING)
      return diag_error(p->d, p->tok.loc, "expected resource name, got %s",
                        DESC(p));
    s->resource.name = tok_name(p, &p->tok);
    s->resource.loc = p->tok.loc;
    if (next(p) < 0)
      return -1;
    return expect_punct(p, '>', "after the resource name", LEX_NORMAL);
  }
  if (!is_word(&p->tok, "dense"))
    return diag_error(p->d, p->tok.loc,
                      "expected 'dense' or 'dense_resource', got %s", DESC(p));
  if (next(p) < 0 || expect_punct(p, '<', "after 'dense'", LEX_NORMAL) < 0 ||
      expect_punct(p, '[', "to open the element list", LEX_NORMAL) < 0)
    return -1;
  size_t es = dtype_size(s->type.dtype);
  p->v_bytes.len = 0;
  if (!is_punct(&p->tok, ']')) {
    for (;;) {
      if (parse_element(p, s->type.dtype) < 0)
        return -1;
      if (!is_punct(&p->tok, ','))
        break;
      if (next(p) < 0)
        return -1;
    }
  }
  if (!is_punct(&p->tok, ']'))
    return diag_error(p->d, p->tok.loc,
                      "expected ',' or ']' in the element list, got %s",
                      DESC(p));
  if (next(p) < 0 ||
      expect_punct(p, '>', "after the element list", LEX_NORMAL) < 0)
    return -1;
  /* v_bytes counts elements of the constant's dtype size; the count is
   * checked against the declared shape when the graph is built. */
  s->dense_count = (int64_t)p->v_bytes.len;
  s->dense = vec_take(&p->v_bytes, p->scratch, es);
  return 0;
}

/* An attribute value, read by the kind the op's schema gives the key. */
static int parse_attr_value(Parser *p, OpKind op, const char *node_name,
                            const AttrSpec *spec, Attr *a) {
  char desc_buf[96];
  const char *key = attr_key_name(spec->key);
  switch (spec->kind) {
  case AK_INT: {
    int64_t v;
    if (parse_int(p, INT64_MIN, INT64_MAX, "integer", &v) < 0)
      return -1;
    *a = ir_attr_make_ints(p->g, spec->key, AK_INT, &v, 1);
    return 0;
  }
  case AK_FLOAT: {
    double v;
    if (parse_f64(p, "number", &v) < 0)
      return -1;
    *a = ir_attr_make_floats(p->g, spec->key, AK_FLOAT, &v, 1);
    return 0;
  }
  case AK_BOOL: {
    if (!is_word(&p->tok, "true") && !is_word(&p->tok, "false"))
      return diag_error(p->d, p->tok.loc, "expected true or false, got %s",
                        DESC(p));
    int64_t v = is_word(&p->tok, "true");
    *a = ir_attr_make_ints(p->g, spec->key, AK_BOOL, &v, 1);
    return next(p);
  }
  case AK_ENUM: {
    if (p->tok.kind == TOK_IDENT)
      for (int64_t i = 0; spec->enum_names[i]; i++)
        if (is_word(&p->tok, spec->enum_names[i])) {
          *a = ir_attr_make_ints(p->g, spec->key, AK_ENUM, &i, 1);
          return next(p);
        }
    char words[160] = "";
    for (int i = 0; spec->enum_names[i]; i++) {
      size_t l = strlen(words);
      snprintf(words + l, sizeof words - l, "%s%s", i ? ", " : "",
               spec->enum_names[i]);
    }
    /* Worded like the YAML frontend's message for the same mistake. */
    return diag_error(p->d, p->tok.loc,
                      "%s '%s': attribute '%s' must be one of %s; found %s",
                      op_info(op)->name, node_name, key, words, DESC(p));
  }
  case AK_INTS:
  case AK_FLOATS: {
    if (!is_punct(&p->tok, '['))
      return diag_error(
          p->d, p->tok.loc,
          "expected '[' to open the list of attribute '%s', got %s", key,
          DESC(p));
    if (next(p) < 0)
      return -1;
    Vec *v = spec->kind == AK_INTS ? &p->v_ints : &p->v_floats;
    v->len = 0;
    if (!is_punct(&p->tok, ']')) {
      for (;;) {
        if (spec->kind == AK_INTS) {
          int64_t x;
          if (parse_int(p, INT64_MIN, INT64_MAX, "integer", &x) < 0)
            return -1;
          *(int64_t *)vec_push(v, sizeof x) = x;
        } else {
          double x;
          if (parse_f64(p, "number", &x) < 0)
            return -1;
          *(double *)vec_push(v, sizeof x) = x;
        }
        if (!is_punct(&p->tok, ','))
          break;
        if (next(p) < 0)
          return -1;
      }
    }
    if (!is_punct(&p->tok, ']'))
      return diag_error(p->d, p->tok.loc,
                        "expected ',' or ']' in attribute '%s', got %s", key,
                        DESC(p));
    if (v->len > 4096)
      return diag_error(p->d, a->loc, "attribute '%s' has too many values",
                        key);
    if (spec->kind == AK_INTS)
      *a = ir_attr_make_ints(p->g, spec->key, AK_INTS, v->p, (int)v->len);
    else
      *a = ir_attr_make_floats(p->g, spec->key, AK_FLOATS, v->p, (int)v->len);
    return next(p);
  }
  }
  QCC_DIE("bad attribute kind %d", (int)spec->kind);
}

/* '{' key = value, ... '}' (the current token is '{'). */
static int parse_attrs(Parser *p, Stmt *s) {
  char desc_buf[96];
  if (next(p) < 0)
    return -1;
  p->v_attrs.len = 0;
  if (!is_punct(&p->tok, '}')) {
    for (;;) {
      if (p->tok.kind != TOK_IDENT)
        return diag_error(p->d, p->tok.loc, "expected attribute name, got %s",
                          DESC(p));
      SrcLoc key_loc = p->tok.loc;
      char name[32];
      AttrKey key = 0;
      const AttrSpec *spec = NULL;
      if (p->tok.text_len < sizeof name) {
        memcpy(name, p->tok.text, p->tok.text_len);
        name[p->tok.text_len] = 0;
        if (attr_key_from_name(name, &key) == 0)
          spec = op_attr_spec(s->op, key);
      }
      if (!spec)
        return diag_error(p->d, key_loc, "unknown attribute %s for op '%s'",
                          DESC(p), op_info(s->op)->name);
      const Attr *given = p->v_attrs.p;
      for (size_t i = 0; i < p->v_attrs.len; i++)
        if (given[i].key == key)
          return diag_error(p->d, key_loc, "duplicate attribute '%s'", name);
      if (next(p) < 0 ||
          expect_punct(p, '=', "after attribute name", LEX_NORMAL) < 0)
        return -1;
      Attr a = {.loc = key_loc};
      if (parse_attr_value(p, s->op, s->node_name, spec, &a) < 0)
        return -1;
      a.loc = key_loc;
      *(Attr *)vec_push(&p->v_attrs, sizeof a) = a;
      if (!is_punct(&p->tok, ','))
        break;
      if (next(p) < 0)
        return -1;
    }
  }
  if (!is_punct(&p->tok, '}'))
    return diag_error(p->d, p->tok.loc,
                      "expected ',' or '}' in the attribute list, got %s",
                      DESC(p));
  s->num_attrs = (int)p->v_attrs.len;
  s->attrs = vec_take(&p->v_attrs, p->scratch, sizeof(Attr));
  return next(p);
}

/* Comma-separated value names into v_refs; returns the count or -1. */
static int parse_ref_list(Parser *p, const char *context, const char *more,
                          char close) {
  char desc_buf[96];
  p->v_refs.len = 0;
  for (;;) {
    Ref r;
    if (parse_ref(p, context, &r) < 0)
      return -1;
    *(Ref *)vec_push(&p->v_refs, sizeof r) = r;
    if (p->v_refs.len > 65536)
      return diag_error(p->d, r.loc, "too many values in one list");
    if (!is_punct(&p->tok, ','))
      break;
    if (next(p) < 0)
      return -1;
  }
  if (!is_punct(&p->tok, close))
    return diag_error(p->d, p->tok.loc, "expected ',' or '%c' %s, got %s",
                      close, more, DESC(p));
  return (int)p->v_refs.len;
}

/* %r, ... = op "name" (%a, ...) {attrs} : type, ...
 * or, for a node without results (observe), op "name" (%a, ...) {attrs} */
static int parse_node(Parser *p) {
  char desc_buf[96];
  Stmt *s = new_stmt(p, ST_NODE, p->tok.loc);
  if (p->tok.kind == TOK_VALUE) {
    int nres =
        parse_ref_list(p, "in the result list", "after a result name", '=');
    if (nres < 0)
      return -1;
    s->num_results = nres;
    s->results = vec_take(&p->v_refs, p->scratch, sizeof(Ref));
    if (next(p) < 0)
      return -1;
  }
  if (p->tok.kind != TOK_IDENT)
    return diag_error(p->d, p->tok.loc, "expected op name after '=', got %s",
                      DESC(p));
  char name[32];
  bool known = false;
  if (p->tok.text_len < sizeof name) {
    memcpy(name, p->tok.text, p->tok.text_len);
    name[p->tok.text_len] = 0;
    known = op_from_name(name, &s->op) == 0;
  }
  if (!known)
    return diag_error(p->d, p->tok.loc, "unknown op %s", DESC(p));
  s->op_loc = p->tok.loc;
  if (next(p) < 0)
    return -1;
  if (p->tok.kind != TOK_STRING)
    return diag_error(p->d, p->tok.loc,
                      "expected node name (a quoted string) after op '%s', "
                      "got %s",
                      name, DESC(p));
  s->node_name = tok_name(p, &p->tok);
  if (next(p) < 0 ||
      expect_punct(p, '(', "after the node name", LEX_NORMAL) < 0)
    return -1;
  if (!is_punct(&p->tok, ')')) {
    int nops =
        parse_ref_list(p, "in the operand list", "in the operand list", ')');
    if (nops < 0)
      return -1;
    s->num_operands = nops;
    s->operands = vec_take(&p->v_refs, p->scratch, sizeof(Ref));
  }
  if (next(p) < 0)
    return -1;
  if (is_punct(&p->tok, '{') && parse_attrs(p, s) < 0)
    return -1;
  if (s->num_results == 0)
    return 0; /* no results, no types */
  if (expect_punct(p, ':', "before the result types", LEX_NORMAL) < 0)
    return -1;
  p->v_types.len = 0;
  SrcLoc first_type = p->tok.loc;
  for (;;) {
    TypeDecl ty;
    if (parse_type(p, &ty) < 0)
      return -1;
    *(TypeDecl *)vec_push(&p->v_types, sizeof ty) = ty;
    if (!is_punct(&p->tok, ','))
      break;
    if (next(p) < 0)
      return -1;
  }
  if ((int)p->v_types.len != s->num_results)
    return diag_error(p->d, first_type, "node has %d results but %d types",
                      s->num_results, (int)p->v_types.len);
  s->num_types = (int)p->v_types.len;
  s->types = vec_take(&p->v_types, p->scratch, sizeof(TypeDecl));
  return 0;
}

/* resources { key = "0x...", ... } (the current token is 'resources'). The
 * hex digits are checked here, where their columns are known, and decoded
 * straight into constant storage when the graph is built. */
static int parse_resources(Parser *p) {
  char desc_buf[96];
  if (next(p) < 0 || expect_punct(p, '{', "after 'resources'", LEX_NAME) < 0)
    return -1;
  while (!is_punct(&p->tok, '}')) {
    if (p->tok.kind != TOK_NAME && p->tok.kind != TOK_STRING)
      return diag_error(p->d, p->tok.loc,
                        "expected resource name or '}', got %s", DESC(p));
    Resource *r = arena_alloc(p->scratch, sizeof *r);
    r->key = tok_name(p, &p->tok);
    r->key_loc = p->tok.loc;
    for (Resource *o = p->resources; o; o = o->next)
      if (strcmp(o->key, r->key) == 0)
        return diag_error(p->d, r->key_loc, "duplicate resource '%s'", r->key);
    if (next(p) < 0 ||
        expect_punct(p, '=', "after resource name", LEX_NORMAL) < 0)
      return -1;
    if (p->tok.kind != TOK_STRING)
      return diag_error(
          p->d, p->tok.loc,
          "expected a quoted hex string for resource '%s', got %s", r->key,
          DESC(p));
    r->loc = p->tok.loc;
    const char *h = p->tok.text;
    size_t n = p->tok.text_len;
    if (n < 2 || h[0] != '0' || h[1] != 'x')
      return diag_error(p->d, r->loc, "resource '%s' must start with \"0x\"",
                        r->key);
    for (size_t i = 2; i < n; i++)
      if (hex_value((unsigned char)h[i]) < 0) {
        char buf[8];
        /* Strings hold no newline, so the column is the quote's plus the
         * offset (+1 for the quote itself). */
        SrcLoc at = srcloc(p->path, r->loc.line, r->loc.col + 1 + (int)i);
        return diag_error(p->d, at, "bad hex digit '%s' in resource '%s'",
                          char_desc((unsigned char)h[i], buf), r->key);
      }
    if ((n - 2) % 2 != 0)
      return diag_error(p->d, r->loc,
                        "odd number of hex digits in resource '%s'", r->key);
    r->hex = h + 2;
    r->nbytes = (n - 2) / 2;
    r->next = p->resources;
    p->resources = r;
    if (next_name(p) < 0)
      return -1;
  }
  return next(p);
}

/* graph @name { stmt* } [resources] EOF */
static int parse_file(Parser *p) {
  char desc_buf[96];
  if (next(p) < 0)
    return -1;
  if (!is_word(&p->tok, "graph"))
    return diag_error(p->d, p->tok.loc, "expected 'graph', got %s", DESC(p));
  if (next(p) < 0)
    return -1;
  if (p->tok.kind != TOK_GLOBAL)
    return diag_error(p->d, p->tok.loc,
                      "expected graph name (@name) after 'graph', got %s",
                      DESC(p));
  p->g->name = arena_strdup(p->g->arena, tok_name(p, &p->tok));
  if (next(p) < 0 ||
      expect_punct(p, '{', "after the graph name", LEX_NORMAL) < 0)
    return -1;
  while (!is_punct(&p->tok, '}')) {
    int rc;
    if (is_word(&p->tok, "input"))
      rc = parse_input(p);
    else if (is_word(&p->tok, "const"))
      rc = parse_const(p);
    else if (is_word(&p->tok, "output"))
      rc = parse_output(p);
    else if (p->tok.kind == TOK_VALUE || p->tok.kind == TOK_IDENT)
      rc = parse_node(p); /* an identifier starts a result-less node */
    else
      return diag_error(p->d, p->tok.loc,
                        "expected 'input', 'const', 'output', a node or '}', "
                        "got %s",
                        DESC(p));
    if (rc < 0)
      return -1;
  }
  p->graph_end = p->tok.loc;
  if (next(p) < 0)
    return -1;
  if (is_word(&p->tok, "resources") && parse_resources(p) < 0)
    return -1;
  if (p->tok.kind != TOK_EOF)
    return diag_error(p->d, p->tok.loc, "expected end of file, got %s",
                      DESC(p));
  return 0;
}

/* ---- building the graph (phase two) -------------------------------------- */

static void type_str(DType dt, int rank, const int64_t *dims, char *buf,
                     size_t n) {
  char shape[256];
  snprintf(buf, n, "%s%s", dtype_name(dt),
           ir_shape_str(rank, dims, shape, sizeof shape));
}

static Tensor *define(Parser *p, const Ref *r, TensorKind kind,
                      const TypeDecl *ty) {
  Tensor *old = ir_graph_find_tensor(p->g, r->name);
  if (old) {
    diag_error(p->d, r->loc,
               "redefinition of value '%%%s' (first defined at line %d)",
               r->name, old->loc.line);
    return NULL;
  }
  Tensor *t = ir_graph_add_tensor(p->g, r->name, kind, ty->dtype, ty->rank,
                                  ty->dims, r->loc, p->d);
  if (t) {
    t->quant = ty->quant;
    t->layout = ty->layout;
  }
  return t;
}

static Tensor *lookup(Parser *p, const Ref *r) {
  Tensor *t = ir_graph_find_tensor(p->g, r->name);
  if (!t)
    diag_error(p->d, r->loc, "undefined value '%%%s'", r->name);
  return t;
}

static Resource *find_resource(Parser *p, const char *key) {
  for (Resource *r = p->resources; r; r = r->next)
    if (strcmp(r->key, key) == 0)
      return r;
  return NULL;
}

static int build_const(Parser *p, Stmt *s) {
  Tensor *t = define(p, &s->value, TK_CONST, &s->type);
  if (!t)
    return -1;
  size_t es = dtype_size(t->dtype);
  if (!s->is_resource) {
    if (s->dense_count != s->type.numel)
      return diag_error(p->d, s->data_loc,
                        "dense<> has %" PRId64
                        " elements, the type needs %" PRId64,
                        s->dense_count, s->type.numel);
    void *data = ir_tensor_alloc_data(p->g, t);
    if (s->dense_count)
      memcpy(data, s->dense, (size_t)s->dense_count * es);
    return 0;
  }
  Resource *r = find_resource(p, s->resource.name);
  if (!r)
    return diag_error(p->d, s->resource.loc, "undefined resource '%s'",
                      s->resource.name);
  r->used = true;
  uint64_t want = (uint64_t)s->type.numel * es; /* numel <= 2^40 */
  if ((uint64_t)r->nbytes != want) {
    char ts[300];
    type_str(t->dtype, t->rank, t->dims, ts, sizeof ts);
    return diag_error(p->d, r->loc,
                      "resource '%s' has %zu bytes, %s needs %" PRIu64, r->key,
                      r->nbytes, ts, want);
  }
  unsigned char *data = ir_tensor_alloc_data(p->g, t);
  for (size_t i = 0; i < r->nbytes; i++)
    data[i] = (unsigned char)(hex_value((unsigned char)r->hex[2 * i]) * 16 +
                              hex_value((unsigned char)r->hex[2 * i + 1]));
  /* The text is little-endian; bring 4-byte elements to host order. */
  if (es == 4)
    for (size_t i = 0; i < r->nbytes; i += 4) {
      uint32_t v = (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 |
                   (uint32_t)data[i + 2] << 16 | (uint32_t)data[i + 3] << 24;
      memcpy(data + i, &v, 4);
    }
  return 0;
}

static int check_arity(Parser *p, const Stmt *s, int n, int lo, int hi,
                       const char *what) {
  if (n >= lo && (hi == OP_VARIADIC || n <= hi))
    return 0;
  const char *op = op_info(s->op)->name;
  const char *pl = lo == 1 && hi == 1 ? "" : "s";
  if (lo == hi)
    return diag_error(p->d, s->op_loc, "%s takes %d %s%s, got %d", op, lo, what,
                      pl, n);
  if (hi == OP_VARIADIC)
    return diag_error(p->d, s->op_loc, "%s takes at least %d %s%s, got %d", op,
                      lo, what, lo == 1 ? "" : "s", n);
  return diag_error(p->d, s->op_loc, "%s takes %d to %d %ss, got %d", op, lo,
                    hi, what, n);
}

static int build_node(Parser *p, Stmt *s) {
  const OpInfo *info = op_info(s->op);
  if (check_arity(p, s, s->num_operands, info->min_inputs, info->max_inputs,
                  "operand") < 0 ||
      check_arity(p, s, s->num_results, info->min_outputs, info->max_outputs,
                  "result") < 0)
    return -1;
  Tensor **ins =
      arena_alloc(p->scratch, sizeof(Tensor *) * (size_t)(s->num_operands + 1));
  for (int i = 0; i < s->num_operands; i++)
    if (!(ins[i] = lookup(p, &s->operands[i])))
      return -1;
  Tensor **outs =
      arena_alloc(p->scratch, sizeof(Tensor *) * (size_t)(s->num_results + 1));
  for (int i = 0; i < s->num_results; i++) {
    outs[i] = ir_graph_find_tensor(p->g, s->results[i].name);
    if (!outs[i] || outs[i]->producer)
      QCC_DIE("result '%s' not defined by its node", s->results[i].name);
  }
  Node *n =
      ir_graph_add_node(p->g, s->node_name, s->op, ins, s->num_operands, outs,
                        s->num_results, s->attrs, s->num_attrs, s->op_loc);
  return ir_node_complete_attrs(p->g, n, p->d);
}

/* Declared result types against the inferred ones, at the type's location. */
static int check_result_types(Parser *p, const Node *n,
                              const TypeDecl *const *decl) {
  for (int i = 0; i < n->num_outputs; i++) {
    const Tensor *t = n->outputs[i];
    if (t->id < 0 || t->id >= p->g->num_tensors || p->g->tensors[t->id] != t ||
        !decl[t->id])
      QCC_DIE("result '%s' of '%s' has no declared type", t->name, n->name);
    const TypeDecl *ty = decl[t->id];
    bool same = t->dtype == ty->dtype && t->rank == ty->rank;
    for (int k = 0; same && k < t->rank; k++)
      same = t->dims[k] == ty->dims[k];
    if (same)
      continue;
    char declared[300], inferred[300];
    type_str(ty->dtype, ty->rank, ty->dims, declared, sizeof declared);
    type_str(t->dtype, t->rank, t->dims, inferred, sizeof inferred);
    return diag_error(p->d, ty->loc,
                      "type mismatch for '%%%s': declared %s, inferred %s",
                      t->name, declared, inferred);
  }
  return 0;
}

static int build_graph(Parser *p) {
  Graph *g = p->g;
  g->source_path = p->path;
  /* Every tensor first, in textual order, so nodes may use values defined
   * further down (the text need not be sorted). */
  for (Stmt *s = p->first; s; s = s->next) {
    switch (s->kind) {
    case ST_INPUT: {
      Tensor *t = define(p, &s->value, TK_INPUT, &s->type);
      if (!t)
        return -1;
      ir_graph_add_input(g, t);
      break;
    }
    case ST_CONST:
      if (build_const(p, s) < 0)
        return -1;
      break;
    case ST_NODE:
      for (int i = 0; i < s->num_results; i++)
        if (!define(p, &s->results[i], TK_VALUE, &s->types[i]))
          return -1;
      break;
    case ST_OUTPUT:
      break;
    }
  }
  for (Resource *r = p->resources; r; r = r->next)
    if (!r->used)
      return diag_error(p->d, r->key_loc, "unused resource '%s'", r->key);
  /* Then nodes and outputs, which refer to tensors by name. */
  for (Stmt *s = p->first; s; s = s->next) {
    if (s->kind == ST_NODE) {
      if (build_node(p, s) < 0)
        return -1;
    } else if (s->kind == ST_OUTPUT) {
      Tensor *t = lookup(p, &s->value);
      if (!t)
        return -1;
      ir_graph_add_output(g, t);
    }
  }
  /* The declared type of every node result, by tensor id (sorting moves
   * nodes, not tensors), to compare with inference below. */
  const TypeDecl **decl = arena_alloc(
      p->scratch, sizeof(TypeDecl *) * (size_t)(g->num_tensors + 1));
  for (Stmt *s = p->first; s; s = s->next)
    for (int i = 0; s->kind == ST_NODE && i < s->num_results; i++)
      decl[ir_graph_find_tensor(g, s->results[i].name)->id] = &s->types[i];
  /* (A graph without nodes has nothing to sort; skipping the call also
   * keeps memcpy from seeing the NULL node array.) */
  if (g->num_nodes > 0 && ir_graph_sort(g, p->d) < 0)
    return -1;
  for (int i = 0; i < g->num_nodes; i++) {
    Node *n = g->nodes[i];
    if (ir_infer_node(g, n, p->d) < 0 || check_result_types(p, n, decl) < 0)
      return -1;
  }
  /* The verifier has the same rule, but cannot say where to add one. */
  if (g->num_outputs == 0)
    return diag_error(p->d, p->graph_end, "graph has no outputs");
  return ir_verify(g, p->d);
}

/* ---- entry point --------------------------------------------------------- */

Graph *ir_parse(const char *text, size_t len, const char *path, Diag *d) {
  Parser p = {0};
  p.src = text ? text : "";
  p.len = text ? len : 0;
  p.line = p.col = 1;
  p.d = d;
  p.scratch = arena_create();
  /* The graph exists from the start so that every SrcLoc recorded while
   * parsing can point at a path copy that lives as long as the graph. */
  p.g = ir_graph_create("");
  p.path = arena_strdup(p.g->arena, path ? path : "<text>");
  int rc = parse_file(&p);
  if (rc == 0)
    rc = build_graph(&p);
  Vec *vecs[] = {&p.v_refs,   &p.v_ints, &p.v_floats, &p.v_bytes,
                 &p.v_qscale, &p.v_qzp,  &p.v_types,  &p.v_attrs};
  for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++)
    free(vecs[i]->p);
  arena_destroy(p.scratch);
  if (rc < 0) {
    ir_graph_destroy(p.g);
    /* A failing callee that forgot its Diag must still yield an error. */
    if (d && !d->has_error)
      diag_error(d, srcloc(path, 0, 0), "invalid textual IR");
    return NULL;
  }
  return p.g;
}
