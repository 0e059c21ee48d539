/* A fixed pthread pool behind qcc_parallel. parallel_for(fn, ctx, n) cuts
 * [0, n) into one contiguous chunk per thread (the caller runs chunk 0)
 * and returns when every chunk is done. Chunks never split an index, and
 * the generated kernels compute whole output elements per index, so the
 * results do not depend on the number of threads. One job at a time: a
 * pool is used by one model run at a time. */
#include "qcc_runtime.h"

#include <pthread.h>
#include <stdlib.h>

struct qcc_threadpool {
  int num_threads;
  pthread_t *threads;
  pthread_mutex_t lock;
  pthread_cond_t work, done;
  /* the current job */
  qcc_task_fn fn;
  void *ctx;
  int64_t n;
  unsigned long generation;
  int pending;
  int quit;
};

static void chunk(int64_t n, int parts, int i, int64_t *begin, int64_t *end) {
  *begin = n * i / parts;
  *end = n * (i + 1) / parts;
}

typedef struct Worker {
  qcc_threadpool *pool;
  int index;
} Worker;

static void *worker_main(void *arg) {
  Worker *w = arg;
  qcc_threadpool *p = w->pool;
  unsigned long seen = 0;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->quit && p->generation == seen)
      pthread_cond_wait(&p->work, &p->lock);
    if (p->quit)
      break;
    seen = p->generation;
    qcc_task_fn fn = p->fn;
    void *ctx = p->ctx;
    int64_t begin, end;
    chunk(p->n, p->num_threads, w->index, &begin, &end);
    pthread_mutex_unlock(&p->lock);
    if (begin < end)
      fn(ctx, begin, end);
    pthread_mutex_lock(&p->lock);
    if (--p->pending == 0)
      pthread_cond_signal(&p->done);
  }
  pthread_mutex_unlock(&p->lock);
  free(w);
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
  pthread_cond_init(&p->done, NULL);
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
  p->quit = 1;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->lock);
  for (int i = 1; i < p->num_threads; i++)
    pthread_join(p->threads[i], NULL);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->work);
  pthread_cond_destroy(&p->done);
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
  pthread_mutex_lock(&p->lock);
  p->fn = fn;
  p->ctx = ctx;
  p->n = n;
  p->pending = p->num_threads - 1;
  p->generation++;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->lock);
  int64_t begin, end;
  chunk(n, p->num_threads, 0, &begin, &end);
  if (begin < end)
    fn(ctx, begin, end);
  pthread_mutex_lock(&p->lock);
  while (p->pending > 0)
    pthread_cond_wait(&p->done, &p->lock);
  pthread_mutex_unlock(&p->lock);
}

qcc_parallel qcc_threadpool_parallel(qcc_threadpool *pool) {
  qcc_parallel par = {pool_parallel_for, pool};
  return par;
}
