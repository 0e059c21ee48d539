/* Typed, located access to a libyaml document: loading (with libyaml's own
 * syntax errors turned into file:line:col Diags), structure walking, and
 * strict scalar conversions. Numbers and booleans must be plain scalars,
 * because a quoted "1" is a string in YAML and silently reading it as a
 * number would hide a mistake in the model. Integers are decimal only
 * (no YAML 1.1 octal/hex/sexagesimal forms) and floats must be finite.
 */
#include "yaml_doc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* libyaml marks are 0-based; ours are 1-based. */
static SrcLoc mark_loc(const char *path, yaml_mark_t m) {
  return srcloc(path, (int)m.line + 1, (int)m.column + 1);
}

SrcLoc ydoc_loc(const YDoc *y, const yaml_node_t *n) {
  return mark_loc(y->path, n->start_mark);
}

/* Reader errors (bad UTF-8, control characters) only carry a byte offset:
 * turn it into a line and column by counting. */
static SrcLoc offset_loc(const char *path, const char *text, size_t len,
                         size_t off) {
  int line = 1, col = 1;
  for (size_t i = 0; i < off && i < len; i++) {
    if (text[i] == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  return srcloc(path, line, col);
}

static int syntax_error(const yaml_parser_t *p, const char *text, size_t len,
                        const char *path, Diag *d) {
  if (p->error == YAML_MEMORY_ERROR)
    return diag_error(d, srcloc(path, 0, 0), "out of memory reading YAML");
  SrcLoc loc = p->error == YAML_READER_ERROR
                   ? offset_loc(path, text, len, p->problem_offset)
                   : mark_loc(path, p->problem_mark);
  const char *problem = p->problem ? p->problem : "malformed input";
  if (p->context)
    return diag_error(d, loc, "YAML syntax error: %s %s", problem, p->context);
  return diag_error(d, loc, "YAML syntax error: %s", problem);
}

/* The model format nests at most a few levels (a node's attribute list
 * inside the node list inside the root); libyaml's scanner is quadratic in
 * nesting depth (100k levels took over a minute), so the text is first
 * walked as events and refused at the first collection deeper than this,
 * before libyaml has done more than linear work. */
enum { YDOC_MAX_DEPTH = 32 };

static int check_depth(const char *text, size_t len, const char *path,
                       Diag *d) {
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p))
    return diag_error(d, srcloc(path, 0, 0), "out of memory reading YAML");
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  int depth = 0, rc = 0;
  for (;;) {
    yaml_event_t e;
    if (!yaml_parser_parse(&p, &e)) {
      rc = syntax_error(&p, text, len, path, d);
      break;
    }
    yaml_event_type_t type = e.type;
    if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT) {
      if (++depth > YDOC_MAX_DEPTH)
        rc = diag_error(d, mark_loc(path, e.start_mark),
                        "YAML nested more than %d levels deep; the model "
                        "format never needs that", YDOC_MAX_DEPTH);
    } else if (type == YAML_SEQUENCE_END_EVENT ||
               type == YAML_MAPPING_END_EVENT) {
      depth--;
    }
    yaml_event_delete(&e);
    if (rc || type == YAML_STREAM_END_EVENT)
      break;
  }
  yaml_parser_delete(&p);
  return rc;
}

int ydoc_load(YDoc *y, const char *text, size_t len, const char *path,
              Diag *d) {
  memset(y, 0, sizeof *y);
  y->path = path;
  y->d = d;
  if (check_depth(text, len, path, d))
    return -1;
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p))
    return diag_error(d, srcloc(path, 0, 0), "out of memory reading YAML");
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  int rc = 0;
  if (!yaml_parser_load(&p, &y->doc)) {
    rc = syntax_error(&p, text, len, path, d);
    yaml_parser_delete(&p);
    return rc;
  }
  if (!yaml_document_get_root_node(&y->doc)) {
    rc = diag_error(d, srcloc(path, 1, 1), "empty document: expected a model");
  } else {
    /* The format is one document; a second one would be ignored silently
     * by a plain load, so look for it. */
    yaml_document_t extra;
    if (!yaml_parser_load(&p, &extra)) {
      rc = syntax_error(&p, text, len, path, d);
    } else {
      yaml_node_t *r = yaml_document_get_root_node(&extra);
      if (r)
        rc = diag_error(d, mark_loc(path, r->start_mark),
                        "expected one YAML document, found a second one");
      yaml_document_delete(&extra);
    }
  }
  yaml_parser_delete(&p);
  if (rc != 0)
    yaml_document_delete(&y->doc);
  return rc;
}

void ydoc_free(YDoc *y) { yaml_document_delete(&y->doc); }

yaml_node_t *ydoc_root(YDoc *y) { return yaml_document_get_root_node(&y->doc); }

/* ---- structure ---------------------------------------------------------------- */

int ydoc_seq_len(const yaml_node_t *n) {
  if (!n || n->type != YAML_SEQUENCE_NODE)
    return 0;
  return (int)(n->data.sequence.items.top - n->data.sequence.items.start);
}

yaml_node_t *ydoc_seq_item(YDoc *y, const yaml_node_t *n, int i) {
  return yaml_document_get_node(&y->doc, n->data.sequence.items.start[i]);
}

int ydoc_map_len(const yaml_node_t *n) {
  if (!n || n->type != YAML_MAPPING_NODE)
    return 0;
  return (int)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

yaml_node_t *ydoc_map_key(YDoc *y, const yaml_node_t *n, int i) {
  return yaml_document_get_node(&y->doc, n->data.mapping.pairs.start[i].key);
}

yaml_node_t *ydoc_map_value(YDoc *y, const yaml_node_t *n, int i) {
  return yaml_document_get_node(&y->doc, n->data.mapping.pairs.start[i].value);
}

static bool scalar_is(const yaml_node_t *n, const char *s) {
  return n && n->type == YAML_SCALAR_NODE &&
         n->data.scalar.length == strlen(s) &&
         memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

yaml_node_t *ydoc_map_get(YDoc *y, const yaml_node_t *n, const char *key) {
  for (int i = 0; i < ydoc_map_len(n); i++)
    if (scalar_is(ydoc_map_key(y, n, i), key))
      return ydoc_map_value(y, n, i);
  return NULL;
}

/* ---- scalars ------------------------------------------------------------------ */

const char *ydoc_scalar(const yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                          : NULL;
}

bool ydoc_scalar_is_clean(const yaml_node_t *n) {
  return ydoc_scalar(n) &&
         strlen(ydoc_scalar(n)) == n->data.scalar.length;
}

static bool is_plain(const yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE &&
         n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

bool ydoc_is_null(const yaml_node_t *n) {
  return is_plain(n) &&
         (n->data.scalar.length == 0 || scalar_is(n, "~") ||
          scalar_is(n, "null") || scalar_is(n, "Null") || scalar_is(n, "NULL"));
}

const char *ydoc_describe(const yaml_node_t *n, char *buf, size_t size) {
  if (!n || ydoc_is_null(n))
    return "nothing";
  if (n->type == YAML_SEQUENCE_NODE)
    return "a list";
  if (n->type == YAML_MAPPING_NODE)
    return "a mapping";
  /* Keep messages one short line whatever the scalar holds. */
  char text[48];
  size_t len = n->data.scalar.length, k = 0;
  for (; k < len && k < 40; k++) {
    unsigned char c = n->data.scalar.value[k];
    text[k] = c < 0x20 || c == 0x7f ? '?' : (char)c;
  }
  text[k] = 0;
  snprintf(buf, size, "%s'%s%s'", is_plain(n) ? "" : "the string ", text,
           len > 40 ? "..." : "");
  return buf;
}

int ydoc_parse_int(const yaml_node_t *n, int64_t *out) {
  if (!is_plain(n))
    return -1;
  const char *s = ydoc_scalar(n);
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (s[i] == 0)
    return -1;
  for (size_t k = i; s[k]; k++)
    if (s[k] < '0' || s[k] > '9')
      return -1;
  if (strlen(s) != n->data.scalar.length)
    return -1;
  errno = 0;
  long long v = strtoll(s, NULL, 10);
  if (errno == ERANGE)
    return -2;
  *out = (int64_t)v;
  return 0;
}

int ydoc_parse_float(const yaml_node_t *n, double *out) {
  if (!is_plain(n))
    return -1;
  const char *s = ydoc_scalar(n);
  /* strtod also takes hex floats, "inf" and "nan"; the model format does
   * not, so allow only the characters of a decimal number. */
  bool digit = false;
  for (size_t k = 0; s[k]; k++) {
    if (s[k] >= '0' && s[k] <= '9')
      digit = true;
    else if (!strchr("+-.eE", s[k]))
      return -1;
  }
  if (!digit || strlen(s) != n->data.scalar.length)
    return -1;
  errno = 0;
  char *end;
  double v = strtod(s, &end);
  if (*end != 0)
    return -1;
  if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0))
    return -2; /* underflow to (sub)normal or 0 is fine */
  *out = v;
  return 0;
}

int ydoc_parse_bool(const yaml_node_t *n, bool *out) {
  if (!is_plain(n))
    return -1;
  if (scalar_is(n, "true") || scalar_is(n, "false")) {
    *out = scalar_is(n, "true");
    return 0;
  }
  return -1;
}

/* ---- checked access ------------------------------------------------------------ */

static int expect_error(YDoc *y, const yaml_node_t *n, const char *what,
                        const char *kind) {
  char buf[80];
  return diag_error(y->d, ydoc_loc(y, n), "%s: expected %s, found %s", what,
                    kind, ydoc_describe(n, buf, sizeof buf));
}

int ydoc_expect_map(YDoc *y, const yaml_node_t *n, const char *what) {
  if (n->type == YAML_MAPPING_NODE)
    return 0;
  return expect_error(y, n, what, "a mapping");
}

int ydoc_expect_seq(YDoc *y, const yaml_node_t *n, const char *what) {
  if (n->type == YAML_SEQUENCE_NODE)
    return 0;
  return expect_error(y, n, what, "a list");
}

int ydoc_string(YDoc *y, const yaml_node_t *n, const char *what,
                const char **out) {
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.length == 0 ||
      !ydoc_scalar_is_clean(n))
    return expect_error(y, n, what, "a name");
  *out = ydoc_scalar(n);
  return 0;
}

int ydoc_int(YDoc *y, const yaml_node_t *n, const char *what, int64_t *out) {
  int r = ydoc_parse_int(n, out);
  if (r == -2)
    return diag_error(y->d, ydoc_loc(y, n), "%s: integer %s is out of range",
                      what, ydoc_scalar(n));
  return r ? expect_error(y, n, what, "an integer") : 0;
}

int ydoc_float(YDoc *y, const yaml_node_t *n, const char *what, double *out) {
  int r = ydoc_parse_float(n, out);
  if (r == -2)
    return diag_error(y->d, ydoc_loc(y, n), "%s: number %s is out of range",
                      what, ydoc_scalar(n));
  return r ? expect_error(y, n, what, "a number") : 0;
}

int ydoc_check_keys(YDoc *y, const yaml_node_t *n, const char *const *allowed,
                    const char *where) {
  if (ydoc_expect_map(y, n, where) != 0)
    return -1;
  int len = ydoc_map_len(n);
  for (int i = 0; i < len; i++) {
    yaml_node_t *k = ydoc_map_key(y, n, i);
    const char *name = NULL;
    if (ydoc_string(y, k, "key", &name) != 0)
      return -1;
    bool known = false;
    for (int a = 0; allowed[a] && !known; a++)
      known = strcmp(allowed[a], name) == 0;
    if (!known)
      return diag_error(y->d, ydoc_loc(y, k), "unknown key '%s' in %s", name,
                        where);
    for (int j = 0; j < i; j++)
      if (scalar_is(ydoc_map_key(y, n, j), name))
        return diag_error(y->d, ydoc_loc(y, k), "duplicate key '%s' in %s",
                          name, where);
  }
  return 0;
}

yaml_node_t *ydoc_require(YDoc *y, const yaml_node_t *n, const char *key,
                          const char *where) {
  yaml_node_t *v = ydoc_map_get(y, n, key);
  if (!v)
    diag_error(y->d, ydoc_loc(y, n), "missing required key '%s' in %s", key,
               where);
  return v;
}
