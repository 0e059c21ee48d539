/* Diagnostic records and their rendering (message, source line, caret). */
#include "diag.h"
#include "ir.h"

#include <stdlib.h>
#include <string.h>

int diag_verror(Diag *d, SrcLoc loc, const char *fmt, va_list ap) {
  if (!d || d->has_error)
    return -1;
  d->has_error = 1;
  d->loc = loc;
  d->file[0] = 0;
  if (loc.file)
    snprintf(d->file, sizeof d->file, "%s", loc.file);
  d->loc.file = d->file;
  vsnprintf(d->msg, sizeof d->msg, fmt, ap);
  return -1;
}

int diag_error(Diag *d, SrcLoc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = diag_verror(d, loc, fmt, ap);
  va_end(ap);
  return r;
}

void diag_clear(Diag *d) { memset(d, 0, sizeof *d); }

const char *diag_format(const Diag *d, char *buf, size_t n) {
  const char *file = d->file[0] ? d->file : "<unknown>";
  if (d->loc.line > 0)
    snprintf(buf, n, "%s:%d:%d: error: %s", file, d->loc.line, d->loc.col,
             d->msg);
  else
    snprintf(buf, n, "%s: error: %s", file, d->msg);
  return buf;
}

/* Reads line `line` (1-based) of `path` into buf; 0 on success. */
static int read_source_line(const char *path, int line, char *buf, size_t n) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  int cur = 1, c;
  size_t len = 0;
  while ((c = fgetc(f)) != EOF) {
    if (cur == line) {
      if (c == '\n' || c == '\r')
        break;
      if (len + 1 < n)
        buf[len++] = (char)c;
    } else if (c == '\n' && ++cur > line) {
      break;
    }
  }
  fclose(f);
  buf[len] = 0;
  return cur == line ? 0 : -1;
}

void diag_render(FILE *out, const Diag *d) {
  char msg[QCC_DIAG_MSG_MAX + 300];
  fprintf(out, "%s\n", diag_format(d, msg, sizeof msg));
  char src[512];
  if (d->loc.line <= 0 || !d->file[0] ||
      read_source_line(d->file, d->loc.line, src, sizeof src) != 0)
    return;
  fprintf(out, "  %s\n  ", src);
  /* Keep tabs so the caret lines up under tab-indented sources. */
  for (int i = 1; i < d->loc.col && src[i - 1]; i++)
    fputc(src[i - 1] == '\t' ? '\t' : ' ', out);
  fputs("^\n", out);
}

_Noreturn void qcc_die(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "qcc: internal error at %s:%d: ", file, line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  abort();
}

int ir_node_error(Diag *d, const Node *n, const char *fmt, ...) {
  char msg[QCC_DIAG_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return diag_error(d, n->loc, "%s '%s': %s", op_info(n->op)->name, n->name,
                    msg);
}
