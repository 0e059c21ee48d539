/* Pass equivalence and round-trip tests on every bundled example:
 *  - print(parse(print(g))) == print(g), before and after canonicalize;
 *  - canonicalize keeps the outputs of the float interpreter on random
 *    inputs (within 1e-5 relative to the output's largest magnitude:
 *    folding batch_norm rounds the folded weights to f32 once);
 *  - canonicalize removes every batch_norm that follows a conv/linear. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frontend.h"
#include "interp.h"
#include "ir.h"
#include "pass.h"

static const char *const examples[] = {"simple_linear", "lenet", "yolo_style"};

static Graph *load_example(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/examples/%s/model.yaml", QCC_SOURCE_DIR, name);
  Diag d = {0};
  Graph *g = frontend_load_yaml(path, &d);
  if (!g) {
    char buf[800];
    fail_msg("%s", diag_format(&d, buf, sizeof buf));
  }
  return g;
}

static void assert_round_trip(const Graph *g) {
  char *a = ir_print(g);
  assert_non_null(a);
  Diag d = {0};
  Graph *h = ir_parse(a, strlen(a), "roundtrip.qir", &d);
  if (!h) {
    char buf[800];
    fail_msg("%s", diag_format(&d, buf, sizeof buf));
  }
  char *b = ir_print(h);
  assert_string_equal(a, b);
  free(a);
  free(b);
  ir_graph_destroy(h);
}

static void test_round_trip(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
    Graph *g = load_example(examples[i]);
    assert_round_trip(g);
    Diag d = {0};
    assert_int_equal(pass_pipeline_run(g, "canonicalize", NULL, NULL, &d), 0);
    assert_round_trip(g);
    ir_graph_destroy(g);
  }
}

/* Runs g on inputs seeded by `seed`; returns malloc'd copies of outputs. */
static float **run_outputs(const Graph *g, unsigned seed) {
  Diag d = {0};
  Interp *ip = interp_create(g, &d);
  assert_non_null(ip);
  srand(seed);
  for (int i = 0; i < g->num_inputs; i++) {
    int64_t n = ir_tensor_numel(g->inputs[i]);
    float *x = malloc(sizeof(float) * (size_t)n);
    for (int64_t k = 0; k < n; k++)
      x[k] = (float)rand() / (float)RAND_MAX * 2.0f - 1.0f;
    interp_set_input(ip, i, x);
    free(x);
  }
  assert_int_equal(interp_run(ip, &d), 0);
  float **outs = calloc((size_t)g->num_outputs, sizeof(float *));
  for (int i = 0; i < g->num_outputs; i++) {
    int64_t n = ir_tensor_numel(g->outputs[i]);
    outs[i] = malloc(sizeof(float) * (size_t)n);
    memcpy(outs[i], interp_value(ip, g->outputs[i]), sizeof(float) * (size_t)n);
  }
  interp_destroy(ip);
  return outs;
}

static void test_canonicalize_equivalence(void **state) {
  (void)state;
  for (size_t e = 0; e < sizeof examples / sizeof examples[0]; e++) {
    Graph *g = load_example(examples[e]);
    int nout = g->num_outputs;
    int64_t numel[16];
    for (int i = 0; i < nout; i++)
      numel[i] = ir_tensor_numel(g->outputs[i]);
    float **before[3], **after[3];
    for (unsigned s = 0; s < 3; s++)
      before[s] = run_outputs(g, 100 + s);
    Diag d = {0};
    assert_int_equal(pass_pipeline_run(g, "canonicalize", NULL, NULL, &d), 0);
    assert_int_equal(ir_verify(g, &d), 0);
    for (int i = 0; i < g->num_nodes; i++) {
      const Node *n = g->nodes[i];
      if (n->op == OP_BATCH_NORM) {
        const Node *p = n->inputs[0]->producer;
        assert_false(p && (p->op == OP_CONV2D || p->op == OP_LINEAR));
      }
    }
    for (unsigned s = 0; s < 3; s++) {
      after[s] = run_outputs(g, 100 + s);
      for (int i = 0; i < nout; i++) {
        double maxabs = 0, maxerr = 0;
        for (int64_t k = 0; k < numel[i]; k++) {
          maxabs = fmax(maxabs, fabs(before[s][i][k]));
          maxerr = fmax(maxerr, fabs(before[s][i][k] - after[s][i][k]));
        }
        if (maxerr > 1e-5 * fmax(maxabs, 1e-30))
          fail_msg("%s output %d: max error %g vs max %g", examples[e], i,
                   maxerr, maxabs);
        free(before[s][i]);
        free(after[s][i]);
      }
      free(before[s]);
      free(after[s]);
    }
    ir_graph_destroy(g);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_canonicalize_equivalence),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
