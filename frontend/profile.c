/* Reading and writing calibration profiles (see profile.h). */
#include "profile.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "strbuf.h"
#include "yaml_doc.h"

static int copy_string(YDoc *y, yaml_node_t *n, const char *what, char *out,
                       size_t cap) {
  const char *s;
  if (ydoc_string(y, n, what, &s))
    return -1;
  if (strlen(s) >= cap)
    return diag_error(y->d, ydoc_loc(y, n), "%s is too long", what);
  memcpy(out, s, strlen(s) + 1);
  return 0;
}

static int load_ranges(YDoc *y, yaml_node_t *m, Profile *p) {
  if (ydoc_expect_map(y, m, "ranges"))
    return -1;
  int n = ydoc_map_len(m);
  p->ranges = calloc((size_t)n + 1, sizeof(ProfileRange));
  if (!p->ranges)
    QCC_DIE("out of memory");
  for (int i = 0; i < n; i++) {
    const char *name;
    yaml_node_t *k = ydoc_map_key(y, m, i), *v = ydoc_map_value(y, m, i);
    if (ydoc_string(y, k, "tensor name", &name) || ydoc_expect_seq(y, v, name))
      return -1;
    if (ydoc_seq_len(v) != 2)
      return diag_error(y->d, ydoc_loc(y, v), "range of '%s' needs [lo, hi]",
                        name);
    double lo, hi;
    if (ydoc_float(y, ydoc_seq_item(y, v, 0), "lo", &lo) ||
        ydoc_float(y, ydoc_seq_item(y, v, 1), "hi", &hi))
      return -1;
    /* Checked as the floats the passes will use: 1e39 is a finite double
     * but an infinite float, and 1e-50 rounds to 0, so lo < hi fails. */
    float flo = (float)lo, fhi = (float)hi;
    if (!(fabs(lo) <= FLT_MAX && fabs(hi) <= FLT_MAX))
      return diag_error(y->d, ydoc_loc(y, v),
                        "range of '%s' is outside the f32 range", name);
    if (!(flo <= 0 && 0 <= fhi && flo < fhi))
      return diag_error(y->d, ydoc_loc(y, v),
                        "range of '%s' must satisfy lo <= 0 <= hi, lo < hi "
                        "(as f32)", name);
    ProfileRange *r = &p->ranges[p->num_ranges++];
    r->tensor = strdup(name);
    r->lo = flo;
    r->hi = fhi;
  }
  return 0;
}

int profile_load(const char *path, Profile *p, Diag *d) {
  memset(p, 0, sizeof *p);
  char *text;
  size_t len;
  if (qcc_read_file(path, &text, &len, d))
    return -1;
  YDoc y;
  int rc = ydoc_load(&y, text, len, path, d);
  free(text);
  if (rc)
    return -1;
  static const char *const keys[] = {"format", "model", "graph_hash", "method",
                                     "samples", "ranges", NULL};
  yaml_node_t *root = ydoc_root(&y), *n;
  const char *fmt;
  int64_t samples;
  rc = ydoc_check_keys(&y, root, keys, "profile");
  if (!rc && (!(n = ydoc_require(&y, root, "format", "profile")) ||
              ydoc_string(&y, n, "format", &fmt)))
    rc = -1;
  if (!rc && strcmp(fmt, "qcc-profile-1") != 0)
    rc = diag_error(d, ydoc_loc(&y, n), "unsupported profile format '%s'", fmt);
  if (!rc && (!(n = ydoc_require(&y, root, "model", "profile")) ||
              copy_string(&y, n, "model", p->model, sizeof p->model)))
    rc = -1;
  if (!rc && (!(n = ydoc_require(&y, root, "graph_hash", "profile")) ||
              copy_string(&y, n, "graph_hash", p->graph_hash,
                          sizeof p->graph_hash)))
    rc = -1;
  if (!rc && (!(n = ydoc_require(&y, root, "method", "profile")) ||
              copy_string(&y, n, "method", p->method, sizeof p->method)))
    rc = -1;
  if (!rc && (!(n = ydoc_require(&y, root, "samples", "profile")) ||
              ydoc_int(&y, n, "samples", &samples)))
    rc = -1;
  if (!rc && (samples < 0 || samples > 1 << 30))
    rc = diag_error(d, ydoc_loc(&y, n), "bad sample count");
  if (!rc)
    p->samples = (int)samples;
  if (!rc && (!(n = ydoc_require(&y, root, "ranges", "profile")) ||
              load_ranges(&y, n, p)))
    rc = -1;
  ydoc_free(&y);
  if (rc)
    profile_free(p);
  return rc;
}

/* A YAML double-quoted scalar: quotes, backslashes, line breaks and other
 * control characters are escaped, so any name or method a profile loaded
 * with reads back as the same string (single quotes, used before, cannot
 * hold a line break or a control character: both fuzz findings). */
static void put_quoted(StrBuf *b, const char *s) {
  strbuf_putc(b, '"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    /* YAML 1.1 also breaks lines at NEL, LS and PS (UTF-8 below). */
    if (c == 0xc2 && (unsigned char)s[1] == 0x85) {
      strbuf_puts(b, "\\N");
      s++;
    } else if (c == 0xe2 && (unsigned char)s[1] == 0x80 &&
               ((unsigned char)s[2] == 0xa8 || (unsigned char)s[2] == 0xa9)) {
      strbuf_puts(b, (unsigned char)s[2] == 0xa8 ? "\\L" : "\\P");
      s += 2;
    } else if (c == '"' || c == '\\')
      strbuf_printf(b, "\\%c", c);
    else if (c < 0x20 || c == 0x7f)
      strbuf_printf(b, "\\x%02x", c);
    else
      strbuf_putc(b, (char)c);
  }
  strbuf_putc(b, '"');
}

char *profile_format(const Profile *p) {
  StrBuf b = {0};
  strbuf_puts(&b, "format: qcc-profile-1\nmodel: ");
  put_quoted(&b, p->model);
  strbuf_puts(&b, "\ngraph_hash: ");
  put_quoted(&b, p->graph_hash);
  strbuf_puts(&b, "\nmethod: ");
  put_quoted(&b, p->method);
  /* An empty mapping must be written as one: a bare "ranges:" reads back
   * as null (a fuzz finding). */
  strbuf_printf(&b, "\nsamples: %d\nranges:%s\n", p->samples,
                p->num_ranges ? "" : " {}");
  for (int i = 0; i < p->num_ranges; i++) {
    /* %.9g round-trips every f32. */
    strbuf_puts(&b, "  ");
    put_quoted(&b, p->ranges[i].tensor);
    strbuf_printf(&b, ": [%.9g, %.9g]\n", (double)p->ranges[i].lo,
                  (double)p->ranges[i].hi);
  }
  return strbuf_take(&b);
}

void profile_free(Profile *p) {
  for (int i = 0; i < p->num_ranges; i++)
    free(p->ranges[i].tensor);
  free(p->ranges);
  memset(p, 0, sizeof *p);
}
