/* See quant_log.h. */
#include "quant_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

static char *dup_or_die(const char *s) {
  char *p = strdup(s ? s : "");
  if (!p)
    QCC_DIE("out of memory");
  return p;
}

void quant_log_add(QuantLog *log, const char *node, const char *op, bool int8,
                   const char *fmt, ...) {
  if (!log)
    return;
  if (log->count == log->cap) {
    int cap = log->cap ? log->cap * 2 : 32;
    QuantLogEntry *e = realloc(log->entries, sizeof *e * (size_t)cap);
    if (!e)
      QCC_DIE("out of memory");
    log->entries = e;
    log->cap = cap;
  }
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  QuantLogEntry *e = &log->entries[log->count++];
  e->node = dup_or_die(node);
  e->op = dup_or_die(op);
  e->int8 = int8;
  e->detail = dup_or_die(buf);
}

const QuantLogEntry *quant_log_find(const QuantLog *log, const char *node) {
  for (int i = log ? log->count - 1 : -1; i >= 0; i--)
    if (strcmp(log->entries[i].node, node) == 0)
      return &log->entries[i];
  return NULL;
}

void quant_log_append(QuantLog *log, const char *node, const char *fmt, ...) {
  QuantLogEntry *e = (QuantLogEntry *)quant_log_find(log, node);
  if (!e)
    return;
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  size_t n = strlen(e->detail), m = strlen(buf);
  char *d = realloc(e->detail, n + m + 1);
  if (!d)
    QCC_DIE("out of memory");
  memcpy(d + n, buf, m + 1);
  e->detail = d;
}

void quant_log_free(QuantLog *log) {
  for (int i = 0; i < log->count; i++) {
    free(log->entries[i].node);
    free(log->entries[i].op);
    free(log->entries[i].detail);
  }
  free(log->entries);
  memset(log, 0, sizeof *log);
}
