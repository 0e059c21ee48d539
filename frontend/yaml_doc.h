/* Typed, located access to a libyaml document (private to the frontend).
 *
 * libyaml gives an untyped node tree; the model loader needs "this node is
 * a list of integers" with a precise file:line:col when it is not. These
 * helpers do the strict conversions (plain scalars only for numbers and
 * booleans, full consumption, range checks) and word their errors as
 * "<what>: expected <kind>, found <description of the node>", where `what`
 * is the caller's context (e.g. "input 'image': shape").
 */
#ifndef QCC_YAML_DOC_H
#define QCC_YAML_DOC_H

#include <yaml.h>

#include "ir.h"

typedef struct YDoc {
  yaml_document_t doc;
  const char *path; /* names the text in SrcLocs; must outlive the YDoc */
  Diag *d;
} YDoc;

/* Parses exactly one YAML document from text. Syntax errors, an empty
 * stream and a second document are errors. On success the caller frees
 * with ydoc_free. */
int ydoc_load(YDoc *y, const char *text, size_t len, const char *path,
              Diag *d);
void ydoc_free(YDoc *y);

yaml_node_t *ydoc_root(YDoc *y);
SrcLoc ydoc_loc(const YDoc *y, const yaml_node_t *n);

/* Structure. Items and pairs are returned by position. */
int ydoc_seq_len(const yaml_node_t *n);
yaml_node_t *ydoc_seq_item(YDoc *y, const yaml_node_t *n, int i);
int ydoc_map_len(const yaml_node_t *n);
yaml_node_t *ydoc_map_key(YDoc *y, const yaml_node_t *n, int i);
yaml_node_t *ydoc_map_value(YDoc *y, const yaml_node_t *n, int i);
/* Value of the scalar key `key` in mapping n, or NULL. */
yaml_node_t *ydoc_map_get(YDoc *y, const yaml_node_t *n, const char *key);

/* The text of a scalar node (NUL-terminated; may hold an embedded NUL from
 * a "\0" escape, which ydoc_scalar_is_clean detects). NULL for others. */
const char *ydoc_scalar(const yaml_node_t *n);
bool ydoc_scalar_is_clean(const yaml_node_t *n);
/* An empty value, `~` or `null` (plain). */
bool ydoc_is_null(const yaml_node_t *n);
/* "a list", "a mapping", "'text'", "the string '1'", "nothing": what the
 * user wrote, for messages. */
const char *ydoc_describe(const yaml_node_t *n, char *buf, size_t size);

/* Checks that n is a mapping whose keys are distinct scalars taken from
 * `allowed` (NULL-terminated); errors name `where` ("unknown key 'foo' in
 * node"). */
int ydoc_check_keys(YDoc *y, const yaml_node_t *n,
                    const char *const *allowed, const char *where);
/* The value of `key`, or an error at n: "missing required key 'k' in
 * <where>". */
yaml_node_t *ydoc_require(YDoc *y, const yaml_node_t *n, const char *key,
                          const char *where);

/* Conversions without a Diag: 0 on success, -1 when the node is not of the
 * kind, -2 when it is but out of range (integers, finite doubles). */
int ydoc_parse_int(const yaml_node_t *n, int64_t *out);
int ydoc_parse_float(const yaml_node_t *n, double *out);
int ydoc_parse_bool(const yaml_node_t *n, bool *out);

/* The same with errors "<what>: expected ..., found ...". */
int ydoc_expect_map(YDoc *y, const yaml_node_t *n, const char *what);
int ydoc_expect_seq(YDoc *y, const yaml_node_t *n, const char *what);
int ydoc_string(YDoc *y, const yaml_node_t *n, const char *what,
                const char **out);
int ydoc_int(YDoc *y, const yaml_node_t *n, const char *what, int64_t *out);
int ydoc_float(YDoc *y, const yaml_node_t *n, const char *what, double *out);

#endif
