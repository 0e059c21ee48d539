/* A growable, NUL-terminated output buffer for the printers (textual IR,
 * the quantization report, generated C headers). `oom` makes every later
 * write a no-op, so a printer can carry on and check once at the end;
 * strbuf_take() dies on it. Start from a zeroed StrBuf; p is malloc'd. */
#ifndef QCC_STRBUF_H
#define QCC_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct StrBuf {
  char *p;
  size_t len, cap;
  bool oom;
} StrBuf;

void strbuf_reserve(StrBuf *b, size_t extra);
void strbuf_putn(StrBuf *b, const char *s, size_t n);
void strbuf_puts(StrBuf *b, const char *s);
void strbuf_putc(StrBuf *b, char c);
void strbuf_printf(StrBuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The text (caller frees); out of memory is fatal. */
char *strbuf_take(StrBuf *b);

#endif
