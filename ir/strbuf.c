/* See strbuf.h. */
#include "strbuf.h"

#include "ir.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_reserve(StrBuf *b, size_t extra) {
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

void strbuf_putn(StrBuf *b, const char *s, size_t n) {
  strbuf_reserve(b, n);
  if (b->oom)
    return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

void strbuf_puts(StrBuf *b, const char *s) { strbuf_putn(b, s, strlen(s)); }

void strbuf_putc(StrBuf *b, char c) { strbuf_putn(b, &c, 1); }

void strbuf_printf(StrBuf *b, const char *fmt, ...) {
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
    strbuf_putn(b, small, (size_t)n);
    return;
  }
  strbuf_reserve(b, (size_t)n);
  if (b->oom)
    return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}


char *strbuf_take(StrBuf *b) {
  if (b->oom || !b->p) {
    strbuf_putn(b, "", 0);
    if (b->oom || !b->p)
      QCC_DIE("out of memory");
  }
  return b->p;
}
