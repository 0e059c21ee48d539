/* The quantization log: one record per decision a pass makes about a
 * node's precision (int8, or f32 and why). The driver prints its summary
 * and the report is built from it, so nothing stays in float silently. */
#ifndef QCC_QUANT_LOG_H
#define QCC_QUANT_LOG_H

#include <stdbool.h>

typedef struct QuantLogEntry {
  char *node;   /* node name (owned) */
  char *op;     /* op of the model format, e.g. "conv2d" (owned) */
  bool int8;
  char *detail; /* f32: why; int8: how (e.g. "fused relu", "lut") (owned) */
} QuantLogEntry;

typedef struct QuantLog {
  QuantLogEntry *entries;
  int count, cap;
} QuantLog;

void quant_log_add(QuantLog *log, const char *node, const char *op, bool int8,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The entry of `node`, or NULL. */
const QuantLogEntry *quant_log_find(const QuantLog *log, const char *node);
/* Appends to the detail of `node`'s latest entry (none: nothing). */
void quant_log_append(QuantLog *log, const char *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void quant_log_free(QuantLog *log);

#endif
