/* The quantization report: one row per node of the float model — its
 * precision (int8, or f32 and why), input/output parameters, weight
 * granularity, and the SQNR of its result against the float model over the
 * calibration set — plus the whole model's output SQNR, the calibration
 * method and sample count, and a hash of the float graph. Rendered as
 * Markdown (for people) and JSON (for tools). */
#ifndef QCC_QUANT_REPORT_H
#define QCC_QUANT_REPORT_H

#include "pass.h"

/* The parameters of a node's input or output, as the report shows them. */
typedef struct ReportParams {
  enum { RP_NONE, RP_F32, RP_QUANT } kind; /* NONE: the node has none */
  DType dtype;
  float scale;        /* per tensor (channels == 1) */
  int32_t zero_point;
  int channels;
} ReportParams;

typedef struct QuantReportRow {
  char *node, *op, *detail;
  bool int8;
  ReportParams in, out;
  char weights[48];
  double sqnr_db; /* of the node's first result; INFINITY when exact, NAN
                     when the result is not comparable */
} QuantReportRow;

typedef struct QuantReport {
  char model[128];
  bool dynamic; /* set by the caller: --quant=dynamic */
  char method[64];
  char hash[17];
  int samples;
  int num_int8, num_f32; /* rows: nodes after canonicalize + inserted ones */
  int source_nodes;       /* set by the caller: nodes of the model as loaded */
  double output_sqnr_db;
  QuantReportRow *rows;
  int num_rows;
} QuantReport;

/* Hash (FNV-1a 64 over the printed IR) identifying a graph, as 16 hex
 * digits; a calibration profile records it so a stale one is refused. */
void quant_graph_hash(const Graph *g, char out[17]);

/* Runs float_g and q_g on up to max_samples calibration samples and fills
 * the report from both and the decision log. 0, or -1 with a Diag. */
int quant_report_build(QuantReport *r, const Graph *float_g, const Graph *q_g,
                       const QuantLog *log, const PassContext *ctx,
                       int max_samples, Diag *d);
/* malloc'd text; the caller frees. */
char *quant_report_markdown(const QuantReport *r);
char *quant_report_json(const QuantReport *r);
void quant_report_free(QuantReport *r);

#endif
