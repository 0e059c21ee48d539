/* See quant_report.h. The SQNR of a node compares the float model's value
 * of its result tensor with the quantized model's value of the same tensor
 * (dequantized when it is u8; the u8 twin `<name>.q` when the f32 name only
 * survives at a boundary). Errors accumulate through the network, so a
 * row shows what a user of that tensor would see, not one layer alone. */
#include "quant_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#include "interp.h"

void quant_graph_hash(const Graph *g, char out[17]) {
  char *text = ir_print(g);
  uint64_t h = 1469598103934665603ull;
  for (const char *p = text ? text : ""; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ull;
  free(text);
  snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static char *dup(const char *s) {
  char *p = strdup(s ? s : "");
  if (!p)
    QCC_DIE("out of memory");
  return p;
}

static ReportParams report_params(const QuantParams *q) {
  ReportParams r = {.kind = q ? RP_QUANT : RP_F32, .channels = 1};
  if (q) {
    r.dtype = q->dtype;
    r.channels = q->count;
    r.scale = q->scale[0];
    r.zero_point = q->zero_point[0];
  }
  return r;
}

/* "u8 0.0127:33", "i8 per-channel (16)", "f32" or "-". */
static const char *params_text(const ReportParams *r, char *buf, size_t n) {
  if (r->kind == RP_NONE)
    snprintf(buf, n, "-");
  else if (r->kind == RP_F32)
    snprintf(buf, n, "f32");
  else if (r->channels == 1)
    snprintf(buf, n, "%s %.6g:%d", dtype_name(r->dtype), (double)r->scale,
             (int)r->zero_point);
  else
    snprintf(buf, n, "%s per-channel (%d)", dtype_name(r->dtype), r->channels);
  return buf;
}

static const Node *find_node(const Graph *g, const char *name) {
  for (int i = 0; i < g->num_nodes; i++)
    if (strcmp(g->nodes[i]->name, name) == 0)
      return g->nodes[i];
  return NULL;
}

/* The quantized model's tensor that carries float tensor `name`. */
static const Tensor *counterpart(const Graph *q, const char *name) {
  const Tensor *t = ir_graph_find_tensor(q, name);
  if (t && t->kind != TK_CONST)
    return t;
  char twin[512];
  snprintf(twin, sizeof twin, "%s.q", name);
  t = ir_graph_find_tensor(q, twin);
  return t && t->kind != TK_CONST ? t : NULL;
}

/* Value i of t in the quantized run, as a real number. */
static double real_value(const Interp *ip, const Tensor *t, int64_t i) {
  if (t->dtype == DT_F32)
    return interp_value(ip, t)[i];
  const uint8_t *u = interp_value_raw(ip, t);
  return ((double)u[i] - t->quant->zero_point[0]) * (double)t->quant->scale[0];
}

typedef struct Acc {
  double signal, noise;
} Acc;

static double sqnr(Acc a) {
  if (a.noise == 0)
    return INFINITY;
  return 10.0 * log10(a.signal / a.noise);
}

int quant_report_build(QuantReport *r, const Graph *float_g, const Graph *q_g,
                       const QuantLog *log, const PassContext *ctx,
                       int max_samples, Diag *d) {
  memset(r, 0, sizeof *r);
  snprintf(r->model, sizeof r->model, "%s", float_g->name);
  quant_graph_hash(float_g, r->hash);
  const RangeOptions *ro = &ctx->range;
  static const char *const methods[] = {"minmax", "percentile", "entropy",
                                        "mse"};
  if (ro->method == RANGE_PERCENTILE)
    snprintf(r->method, sizeof r->method, "percentile:%g", ro->percentile);
  else
    snprintf(r->method, sizeof r->method, "%s", methods[ro->method]);
  const CalibSet *cs = ctx->calib;
  r->samples = cs ? (cs->num_samples < max_samples ? cs->num_samples
                                                    : max_samples)
                  : 0;

  int nn = float_g->num_nodes;
  r->rows = calloc((size_t)nn + (size_t)log->count + 1, sizeof(QuantReportRow));
  Acc *acc = calloc((size_t)nn + 1, sizeof(Acc));
  const Tensor **twin = calloc((size_t)nn + 1, sizeof(Tensor *));
  if (!r->rows || !acc || !twin)
    QCC_DIE("out of memory");
  for (int i = 0; i < nn; i++) {
    const Node *n = float_g->nodes[i];
    QuantReportRow *row = &r->rows[r->num_rows++];
    const QuantLogEntry *e = quant_log_find(log, n->name);
    row->node = dup(n->name);
    row->op = dup(op_info(n->op)->name);
    row->int8 = e && e->int8;
    row->detail = dup(e ? e->detail : "not lowered");
    row->int8 ? r->num_int8++ : r->num_f32++;
    const Node *qn = find_node(q_g, n->name);
    snprintf(row->weights, sizeof row->weights, "-");
    if (qn && qn->num_inputs > 0) {
      row->in = report_params(qn->inputs[0]->dtype == DT_F32 ? NULL
                                                             : qn->inputs[0]->quant);
      if (qn->num_outputs > 0)
        row->out = report_params(qn->outputs[0]->dtype == DT_F32
                                     ? NULL
                                     : qn->outputs[0]->quant);
      if ((qn->op == OP_QCONV2D || qn->op == OP_QLINEAR) && qn->inputs[1]->quant)
        snprintf(row->weights, sizeof row->weights, "%s",
                 qn->inputs[1]->quant->axis < 0 ? "i8 per-tensor"
                                                : "i8 per-channel");
    } else {
      row->in.kind = row->out.kind = RP_NONE;
    }
    twin[i] = n->num_outputs ? counterpart(q_g, n->outputs[0]->name) : NULL;
  }
  /* Nodes the passes inserted (requantize): listed too, without SQNR. */
  for (int i = 0; i < log->count; i++) {
    const QuantLogEntry *e = &log->entries[i];
    if (find_node(float_g, e->node))
      continue;
    QuantReportRow *row = &r->rows[r->num_rows++];
    row->node = dup(e->node);
    row->op = dup(e->op);
    row->int8 = e->int8;
    row->detail = dup(e->int8 ? "inserted by fold-scales" : e->detail);
    row->int8 ? r->num_int8++ : r->num_f32++;
    snprintf(row->weights, sizeof row->weights, "-");
    const Node *qn = find_node(q_g, e->node);
    row->in = report_params(qn && qn->inputs[0]->dtype != DT_F32
                                ? qn->inputs[0]->quant
                                : NULL);
    row->out = report_params(qn && qn->outputs[0]->dtype != DT_F32
                                 ? qn->outputs[0]->quant
                                 : NULL);
    row->sqnr_db = NAN;
  }

  Acc out_acc = {0, 0};
  Interp *fi = interp_create(float_g, d), *qi = fi ? interp_create(q_g, d) : NULL;
  int rc = fi && qi ? 0 : -1;
  for (int s = 0; s < r->samples && !rc; s++) {
    for (int k = 0; k < float_g->num_inputs; k++) {
      const float *x = cs->inputs[k] +
                       (size_t)s * (size_t)ir_tensor_numel(float_g->inputs[k]);
      interp_set_input(fi, k, x);
      interp_set_input(qi, k, x);
    }
    if ((rc = interp_run(fi, d)) || (rc = interp_run(qi, d)))
      break;
    for (int i = 0; i < nn; i++) {
      const Tensor *ft = float_g->nodes[i]->num_outputs
                             ? float_g->nodes[i]->outputs[0]
                             : NULL;
      if (!ft || !twin[i] || !ir_same_shape(ft, twin[i]))
        continue;
      const float *fv = interp_value(fi, ft);
      for (int64_t k = 0, n = ir_tensor_numel(ft); k < n; k++) {
        double e = (double)fv[k] - real_value(qi, twin[i], k);
        acc[i].signal += (double)fv[k] * fv[k];
        acc[i].noise += e * e;
      }
    }
    for (int o = 0; o < float_g->num_outputs; o++) {
      const Tensor *ft = float_g->outputs[o];
      const Tensor *qt = q_g->outputs[o];
      const float *fv = interp_value(fi, ft), *qv = interp_value(qi, qt);
      for (int64_t k = 0, n = ir_tensor_numel(ft); k < n; k++) {
        double e = (double)fv[k] - qv[k];
        out_acc.signal += (double)fv[k] * fv[k];
        out_acc.noise += e * e;
      }
    }
  }
  for (int i = 0; i < nn; i++)
    r->rows[i].sqnr_db = twin[i] && r->samples ? sqnr(acc[i]) : NAN;
  r->output_sqnr_db = r->samples ? sqnr(out_acc) : NAN;
  interp_destroy(fi);
  interp_destroy(qi);
  free(acc);
  free(twin);
  return rc;
}

/* ---- rendering ---------------------------------------------------------- */

static const char *db(double v, char *buf, size_t n) {
  if (isnan(v))
    snprintf(buf, n, "-");
  else if (isinf(v))
    snprintf(buf, n, "exact");
  else
    snprintf(buf, n, "%.1f", v);
  return buf;
}

char *quant_report_markdown(const QuantReport *r) {
  StrBuf t = {0};
  char b[32];
  strbuf_printf(&t, "# Quantization report: %s\n\n", r->model);
  if (r->dynamic)
    strbuf_printf(&t, "- mode: dynamic quantization (linear: i8 weights, activation "
            "scale computed at run time; everything else f32)\n");
  else
    strbuf_printf(&t, "- mode: static post-training quantization (u8 activations, i8 weights)\n");
  if (r->samples)
    strbuf_printf(&t, "- calibration: %s, %d samples\n", r->method, r->samples);
  else
    strbuf_printf(&t, "- SQNR: not measured (no calibration data given)\n");
  strbuf_printf(&t, "- graph hash: %s\n", r->hash);
  strbuf_printf(&t, "- nodes: %d int8, %d f32 (the graph after canonicalize, "
                "which folds batch_norm into conv, plus inserted requantize "
                "nodes; %d as written)\n", r->num_int8, r->num_f32, r->source_nodes);
  strbuf_printf(&t, "- model output SQNR: %s dB\n\n", db(r->output_sqnr_db, b, sizeof b));
  if (r->num_f32) {
    strbuf_printf(&t, "## Kept in f32\n\n");
    for (int i = 0; i < r->num_rows; i++)
      if (!r->rows[i].int8)
        strbuf_printf(&t, "- %s '%s': %s\n", r->rows[i].op, r->rows[i].node,
            r->rows[i].detail);
    strbuf_printf(&t, "\n");
  }
  strbuf_printf(&t, "## Nodes\n\n| node | op | precision | input | output | weights | "
          "SQNR dB | note |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (int i = 0; i < r->num_rows; i++) {
    const QuantReportRow *w = &r->rows[i];
    char in[64], out[64];
    strbuf_printf(&t, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", w->node, w->op,
        w->int8 ? "int8" : "f32", params_text(&w->in, in, sizeof in),
        params_text(&w->out, out, sizeof out), w->weights,
        db(w->sqnr_db, b, sizeof b), w->detail);
  }
  return strbuf_take(&t);
}

static void put_json_string(StrBuf *t, const char *s) {
  strbuf_printf(t, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      strbuf_printf(t, "\\%c", c);
    else if (c < 0x20)
      strbuf_printf(t, "\\u%04x", c);
    else
      strbuf_printf(t, "%c", c);
  }
  strbuf_printf(t, "\"");
}

/* JSON has no infinity: an exact result (no noise at all) is written as
 * 1e308, larger than any measurable SQNR, so the field stays a number. */
static void put_json_number(StrBuf *t, double v) {
  if (isnan(v))
    strbuf_printf(t, "null");
  else if (isinf(v))
    strbuf_printf(t, "1e308");
  else
    strbuf_printf(t, "%.4f", v);
}

/* A row's parameters as JSON: numbers as numbers, null where the node has
 * none. */
static void put_json_params(StrBuf *t, const ReportParams *r) {
  if (r->kind == RP_NONE)
    strbuf_printf(t, "null");
  else if (r->kind == RP_F32)
    strbuf_printf(t, "{\"dtype\": \"f32\"}");
  else if (r->channels == 1)
    strbuf_printf(t, "{\"dtype\": \"%s\", \"scale\": %.9g, \"zero_point\": %d}",
                  dtype_name(r->dtype), (double)r->scale, (int)r->zero_point);
  else
    strbuf_printf(t, "{\"dtype\": \"%s\", \"per_channel\": %d}",
                  dtype_name(r->dtype), r->channels);
}

char *quant_report_json(const QuantReport *r) {
  StrBuf t = {0};
  strbuf_printf(&t, "{\n  \"model\": ");
  put_json_string(&t, r->model);
  strbuf_printf(&t, ",\n  \"mode\": \"%s\",\n  \"calibration_method\": ", r->dynamic ? "dynamic" : "static");
  put_json_string(&t, r->method);
  strbuf_printf(&t, ",\n  \"calibration_samples\": %d,\n  \"graph_hash\": \"%s\",\n",
      r->samples, r->hash);
  strbuf_printf(&t, "  \"int8_nodes\": %d,\n  \"f32_nodes\": %d,\n  \"source_nodes\": %d,\n  \"output_sqnr_db\": ",
      r->num_int8, r->num_f32, r->source_nodes);
  put_json_number(&t, r->output_sqnr_db);
  strbuf_printf(&t, ",\n  \"nodes\": [\n");
  for (int i = 0; i < r->num_rows; i++) {
    const QuantReportRow *w = &r->rows[i];
    strbuf_printf(&t, "    {\"node\": ");
    put_json_string(&t, w->node);
    strbuf_printf(&t, ", \"op\": ");
    put_json_string(&t, w->op);
    strbuf_printf(&t, ", \"precision\": \"%s\", \"input\": ", w->int8 ? "int8" : "f32");
    put_json_params(&t, &w->in);
    strbuf_printf(&t, ", \"output\": ");
    put_json_params(&t, &w->out);
    strbuf_printf(&t, ", \"weights\": ");
    put_json_string(&t, w->weights);
    strbuf_printf(&t, ", \"sqnr_db\": ");
    put_json_number(&t, w->sqnr_db);
    strbuf_printf(&t, ", \"%s\": ", w->int8 ? "note" : "why");
    put_json_string(&t, w->detail);
    strbuf_printf(&t, "}%s\n", i + 1 < r->num_rows ? "," : "");
  }
  strbuf_printf(&t, "  ]\n}\n");
  return strbuf_take(&t);
}

void quant_report_free(QuantReport *r) {
  for (int i = 0; i < r->num_rows; i++) {
    free(r->rows[i].node);
    free(r->rows[i].op);
    free(r->rows[i].detail);
  }
  free(r->rows);
  memset(r, 0, sizeof *r);
}
