/* qcc_threadpool: every index of [0, n) run exactly once, by whichever
 * thread claims it, for several thread counts and sizes; the wake-up hint
 * (parallel_for with n = 0, sent by generated entry points before phases
 * the caller runs alone) calls nothing and leaves the pool working. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "qcc_runtime.h"

typedef struct Counts {
  atomic_int *hits; /* per index */
  atomic_int calls;
} Counts;

static void count(void *ctx, int64_t begin, int64_t end) {
  Counts *c = ctx;
  atomic_fetch_add(&c->calls, 1);
  for (int64_t i = begin; i < end; i++)
    atomic_fetch_add(&c->hits[i], 1);
}

static void run_and_check(qcc_parallel par, int64_t n) {
  Counts c = {calloc((size_t)n + 1, sizeof(atomic_int)), 0};
  assert_non_null(c.hits);
  par.parallel_for(par.pool, count, &c, n);
  for (int64_t i = 0; i < n; i++)
    assert_int_equal(atomic_load(&c.hits[i]), 1);
  assert_true(atomic_load(&c.calls) >= 1);
  free(c.hits);
}

static void test_every_index_once(void **state) {
  (void)state;
  static const int64_t sizes[] = {1, 2, 3, 17, 31, 32, 33, 1000, 100003};
  for (int threads = 1; threads <= 3; threads++) {
    qcc_threadpool *p = qcc_threadpool_create(threads);
    assert_non_null(p);
    qcc_parallel par = qcc_threadpool_parallel(p);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
      for (int rep = 0; rep < 3; rep++)
        run_and_check(par, sizes[k]);
    qcc_threadpool_destroy(p);
  }
}

static void test_wake_hint(void **state) {
  (void)state;
  qcc_threadpool *p = qcc_threadpool_create(2);
  assert_non_null(p);
  qcc_parallel par = qcc_threadpool_parallel(p);
  Counts none = {NULL, 0};
  for (int rep = 0; rep < 50; rep++) {
    par.parallel_for(par.pool, count, &none, 0); /* the hint: nothing runs */
    assert_int_equal(atomic_load(&none.calls), 0);
    if (rep % 10 == 9) { /* let the woken worker spin out and sleep again */
      struct timespec t = {0, 3000000};
      nanosleep(&t, NULL);
    }
    run_and_check(par, 1 + rep * 37);
  }
  /* Hints in a row, then jobs, then destroy with the worker spinning. */
  for (int rep = 0; rep < 5; rep++)
    par.parallel_for(par.pool, count, &none, 0);
  run_and_check(par, 4096);
  par.parallel_for(par.pool, count, &none, 0);
  assert_int_equal(atomic_load(&none.calls), 0);
  qcc_threadpool_destroy(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_index_once),
      cmocka_unit_test(test_wake_hint),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
