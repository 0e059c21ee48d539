/* Diagnostics: user errors travel up as a Diag value, never printed from
 * deep inside. The driver renders them chibicc-style:
 *
 *   model.yaml:14:9: error: conv2d 'conv1': weight has 3 dims, expected 4
 *     - {name: conv1, op: conv2d, inputs: [...]}
 *           ^
 *
 * Locations are 1-based. line == 0 means "the whole file" (e.g. a .npy
 * file), rendered as `file: error: msg`.
 */
#ifndef QCC_DIAG_H
#define QCC_DIAG_H

#include <stdarg.h>
#include <stdio.h>

typedef struct SrcLoc {
  const char *file; /* not owned; must outlive the Diag */
  int line;         /* 1-based; 0 = no position */
  int col;          /* 1-based */
} SrcLoc;

#define QCC_DIAG_MSG_MAX 512

typedef struct Diag {
  int has_error;
  SrcLoc loc;
  char file[256]; /* copy of loc.file, so the Diag outlives its source */
  char msg[QCC_DIAG_MSG_MAX];
} Diag;

static inline SrcLoc srcloc(const char *file, int line, int col) {
  SrcLoc l = {file, line, col};
  return l;
}

/* Records the error (the first one wins) and returns -1, so callers can
 * write `return diag_error(d, loc, "...")`. d may be NULL. */
int diag_error(Diag *d, SrcLoc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int diag_verror(Diag *d, SrcLoc loc, const char *fmt, va_list ap);
void diag_clear(Diag *d);
/* "file:line:col: error: msg" (or "file: error: msg") into buf. */
const char *diag_format(const Diag *d, char *buf, size_t n);
/* Writes the formatted line, then, when the file can be read and the
 * location has a line, the source line and a caret under the column. */
void diag_render(FILE *out, const Diag *d);

#endif
