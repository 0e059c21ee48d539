/* Size and cost figures of a graph (see stats.c). */
#ifndef QCC_STATS_H
#define QCC_STATS_H

#include "ir.h"

typedef struct GraphStats {
  int ops[OP_COUNT];        /* nodes per op */
  int64_t params;           /* constant elements */
  int64_t param_bytes;
  int64_t macs;             /* multiply-accumulates of conv2d and linear */
  int64_t activation_bytes; /* all non-constant tensors together */
  int64_t peak_live_bytes;  /* most bytes of values alive at one time */
} GraphStats;

void ir_graph_stats(const Graph *g, GraphStats *s);

#endif
