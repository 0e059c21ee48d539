/* A fixed pthread pool behind qcc_parallel. parallel_for(fn, ctx, n) cuts
 * [0, n) into one contiguous chunk per thread (the caller runs chunk 0)
 * and returns when every chunk is done. Chunks never split an index, and
 * the generated kernels compute whole output elements per index, so the
 * results do not depend on the number of threads. One job at a time: a
 * pool serves one model run at a time.
 *
 * A model calls parallel_for once per layer, often for tens of
 * microseconds of work, so waking sleeping threads through a condition
 * variable for every layer would cost more than the layer. Workers and the
 * caller therefore spin on an atomic job counter for a short while before
 * they sleep. */
#include "qcc_runtime.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

enum { SPIN = 2000 }; /* pause iterations, about 40 us on Zen3 */

struct qcc_threadpool {
  int num_threads;
  pthread_t *threads;
  pthread_mutex_t lock;
  pthread_cond_t work;
  /* the current job, published before `generation` is bumped */
  qcc_task_fn fn;
  void *ctx;
  int64_t n;
  atomic_ulong generation;
  atomic_int pending;
  atomic_int quit;
};

static void chunk(int64_t n, int parts, int i, int64_t *begin, int64_t *end) {
  *begin = n * i / parts;
  *end = n * (i + 1) / parts;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

typedef struct Worker {
  qcc_threadpool *pool;
  int index;
} Worker;

static void *worker_main(void *arg) {
  Worker *w = arg;
  qcc_threadpool *p = w->pool;
  int index = w->index;
  free(w);
  unsigned long seen = 0;
  for (;;) {
    for (int i = 0; i < SPIN && atomic_load_explicit(&p->generation, memory_order_acquire) == seen &&
                    !atomic_load(&p->quit);
         i++)
      cpu_relax();
    if (atomic_load_explicit(&p->generation, memory_order_acquire) == seen) {
      pthread_mutex_lock(&p->lock);
      while (atomic_load(&p->generation) == seen && !atomic_load(&p->quit))
        pthread_cond_wait(&p->work, &p->lock);
      pthread_mutex_unlock(&p->lock);
    }
    if (atomic_load(&p->quit))
      break;
    seen = atomic_load_explicit(&p->generation, memory_order_acquire);
    int64_t begin, end;
    chunk(p->n, p->num_threads, index, &begin, &end);
    if (begin < end)
      p->fn(p->ctx, begin, end);
    atomic_fetch_sub_explicit(&p->pending, 1, memory_order_release);
  }
  return NULL;
}

qcc_threadpool *qcc_threadpool_create(int num_threads) {
  if (num_threads < 1)
    num_threads = 1;
  qcc_threadpool *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->num_threads = num_threads;
  p->threads = calloc((size_t)num_threads, sizeof(pthread_t));
  if (!p->threads) {
    free(p);
    return NULL;
  }
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->work, NULL);
  atomic_init(&p->generation, 0);
  atomic_init(&p->pending, 0);
  atomic_init(&p->quit, 0);
  for (int i = 1; i < num_threads; i++) {
    Worker *w = malloc(sizeof *w);
    if (!w || (w->pool = p, w->index = i,
               pthread_create(&p->threads[i], NULL, worker_main, w) != 0)) {
      free(w);
      p->num_threads = i; /* the threads started so far */
      qcc_threadpool_destroy(p);
      return NULL;
    }
  }
  return p;
}

void qcc_threadpool_destroy(qcc_threadpool *p) {
  if (!p)
    return;
  pthread_mutex_lock(&p->lock);
  atomic_store(&p->quit, 1);
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->lock);
  for (int i = 1; i < p->num_threads; i++)
    pthread_join(p->threads[i], NULL);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->work);
  free(p->threads);
  free(p);
}

static void pool_parallel_for(void *pool, qcc_task_fn fn, void *ctx,
                              int64_t n) {
  qcc_threadpool *p = pool;
  if (p->num_threads == 1 || n <= 1) {
    if (n > 0)
      fn(ctx, 0, n);
    return;
  }
  p->fn = fn;
  p->ctx = ctx;
  p->n = n;
  atomic_store_explicit(&p->pending, p->num_threads - 1, memory_order_relaxed);
  pthread_mutex_lock(&p->lock);
  atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->lock);
  int64_t begin, end;
  chunk(n, p->num_threads, 0, &begin, &end);
  if (begin < end)
    fn(ctx, begin, end);
  for (int i = 0; atomic_load_explicit(&p->pending, memory_order_acquire) > 0; i++) {
    if (i < SPIN)
      cpu_relax();
    else
      sched_yield();
  }
}

qcc_parallel qcc_threadpool_parallel(qcc_threadpool *pool) {
  qcc_parallel par = {pool_parallel_for, pool};
  return par;
}
