/* A fixed pthread pool behind qcc_parallel. parallel_for(fn, ctx, n) cuts
 * [0, n) into up to CHUNKS_PER_THREAD chunks per thread, which the caller
 * and the workers claim from an atomic counter until none is left, and
 * returns when every chunk is done. On a shared machine a worker may be
 * descheduled for milliseconds: with fixed per-thread chunks every layer
 * waited for it (yolo_style once took 1.44 ms median on 2 threads against
 * 0.29 ms on 1); with claiming, a late worker finds the chunks taken and
 * the caller has done them. Chunks never split an index, and the generated
 * kernels compute whole output elements per index, so the results do not
 * depend on the number of threads or on who ran which chunk. One job at a
 * time: a pool serves one model run at a time.
 *
 * A model calls parallel_for once per layer, often for tens of
 * microseconds of work, so waking sleeping threads through a condition
 * variable for every layer would cost more than the layer. Workers and the
 * caller therefore spin on the job counter for a short while before they
 * sleep.
 *
 * Workers are pinned, one per CPU other than the creating thread's,
 * when the process may run on at least as many CPUs as the pool has
 * threads (QCC_THREADPOOL_PIN=0 turns it off). In a virtual machine an
 * idle vCPU is halted and looks preempted to the guest's scheduler, so a
 * worker woken by the caller was placed on the caller's own vCPU: measured
 * on a 2-vCPU KVM guest (Zen 5), a 128-channel 3x3 layer called after a
 * 2 ms pause ran its worker's chunks on the caller's CPU, one thread after
 * the other (0.77 ms on 2 threads against 0.55 ms on 1; pinned: 0.41).
 *
 * Jobs alternate between two slots by generation parity, so a worker that
 * wakes late and reads the previous job's slot never races with the
 * caller writing the next one; the caller waits for a slot's readers
 * (active[slot]) to leave before it reuses the slot, two jobs later. */
#define _GNU_SOURCE /* pthread_setaffinity_np, sched_getcpu */
#include "qcc_runtime.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { SPIN = 2000 };             /* pause iterations, about 40 us on Zen3 */
/* After a wake-up hint (parallel_for with n = 0, which a model's entry
 * point sends before the phases it runs alone, its input quantize): long
 * enough to cover those phases, so the first parallel one finds the
 * worker awake instead of starting it 30-80 us late. */
enum { HINT_SPIN = 8 * SPIN };
/* Enough to rebalance when a worker starts 30-80 us late (a halted vCPU
 * waking), few enough to be cheap: a claim is one atomic add. */
enum { CHUNKS_PER_THREAD = 16 };

typedef struct Job {
  qcc_task_fn fn;
  void *ctx;
  int64_t n, chunks;
  atomic_llong next; /* the next chunk to claim */
  atomic_llong done; /* chunks finished */
} Job;

typedef struct Worker {
  struct qcc_threadpool *pool;
  int cpu; /* the CPU it is pinned to, or -1 */
} Worker;

struct qcc_threadpool {
  int num_threads;
  pthread_t *threads;
  Worker *workers;
  pthread_mutex_t lock;
  pthread_cond_t work;
  Job slot[2];            /* job g lives in slot[g & 1] */
  atomic_int active[2];   /* workers reading slot[i] */
  atomic_ulong generation; /* the latest job; bumped after its slot is filled */
  atomic_ulong hints;      /* wake-ups asked for by parallel_for(n = 0) */
  atomic_int quit;
};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* Runs chunks of j until none is left to claim. */
static void run_claims(Job *j) {
  for (;;) {
    int64_t c = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
    if (c >= j->chunks)
      return;
    int64_t begin = j->n * c / j->chunks, end = j->n * (c + 1) / j->chunks;
    if (begin < end)
      j->fn(j->ctx, begin, end);
    atomic_fetch_add_explicit(&j->done, 1, memory_order_release);
  }
}

static void *worker_main(void *arg) {
  Worker *w = arg;
  qcc_threadpool *p = w->pool;
  if (w->cpu >= 0) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(w->cpu, &one);
    pthread_setaffinity_np(pthread_self(), sizeof one, &one); /* a hint: failure is harmless */
  }
  unsigned long seen = 0, hint = 0;
  int spin = SPIN;
  for (;;) {
    for (int i = 0; i < spin && atomic_load_explicit(&p->generation, memory_order_acquire) == seen &&
                    !atomic_load(&p->quit);
         i++)
      cpu_relax();
    spin = SPIN;
    if (atomic_load_explicit(&p->generation, memory_order_acquire) == seen) {
      pthread_mutex_lock(&p->lock);
      while (atomic_load(&p->generation) == seen && atomic_load(&p->hints) == hint &&
             !atomic_load(&p->quit))
        pthread_cond_wait(&p->work, &p->lock);
      pthread_mutex_unlock(&p->lock);
      if (atomic_load(&p->generation) == seen && !atomic_load(&p->quit)) {
        /* Woken ahead of a job: spin for it, longer than between jobs. */
        hint = atomic_load(&p->hints);
        spin = HINT_SPIN;
        continue;
      }
    }
    if (atomic_load(&p->quit))
      break;
    /* Enter the current job's slot, then make sure it is still current:
     * if the caller moved on meanwhile, leave and take the newer job. */
    unsigned long g = atomic_load(&p->generation);
    int s = (int)(g & 1);
    atomic_fetch_add(&p->active[s], 1);
    if (atomic_load(&p->generation) == g)
      run_claims(&p->slot[s]);
    atomic_fetch_sub(&p->active[s], 1);
    seen = g;
  }
  return NULL;
}

/* Worker i (1..n-1) gets the i-th allowed CPU after skipping the calling
 * thread's; every worker -1 when there are too few CPUs or pinning is off. */
static void assign_cpus(Worker *w, int n) {
  for (int i = 0; i < n; i++)
    w[i].cpu = -1;
  const char *env = getenv("QCC_THREADPOOL_PIN");
  if (env && strcmp(env, "0") == 0)
    return;
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < n)
    return;
  int self = sched_getcpu(), next = 1;
  for (int c = 0; c < CPU_SETSIZE && next < n; c++)
    if (CPU_ISSET(c, &allowed) && c != self)
      w[next++].cpu = c;
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
  p->workers = calloc((size_t)num_threads, sizeof(Worker));
  if (!p->workers) {
    free(p->threads);
    free(p);
    return NULL;
  }
  assign_cpus(p->workers, num_threads);
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->work, NULL);
  atomic_init(&p->generation, 0);
  atomic_init(&p->active[0], 0);
  atomic_init(&p->active[1], 0);
  atomic_init(&p->quit, 0);
  for (int i = 1; i < num_threads; i++) {
    p->workers[i].pool = p;
    if (pthread_create(&p->threads[i], NULL, worker_main, &p->workers[i]) != 0) {
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
  free(p->workers);
  free(p);
}

static void pool_parallel_for(void *pool, qcc_task_fn fn, void *ctx,
                              int64_t n) {
  qcc_threadpool *p = pool;
  if (n == 0 && p->num_threads > 1) { /* a wake-up hint: nothing to run */
    pthread_mutex_lock(&p->lock);
    atomic_fetch_add(&p->hints, 1);
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    return;
  }
  if (p->num_threads == 1 || n <= 1) {
    if (n > 0)
      fn(ctx, 0, n);
    return;
  }
  unsigned long g = atomic_load(&p->generation) + 1;
  int s = (int)(g & 1);
  /* A worker still reading this slot from two jobs ago leaves at once
   * (it finds the generation moved); wait for it before rewriting. */
  while (atomic_load(&p->active[s]) > 0)
    cpu_relax();
  Job *j = &p->slot[s];
  j->fn = fn;
  j->ctx = ctx;
  j->n = n;
  int64_t most = (int64_t)p->num_threads * CHUNKS_PER_THREAD;
  j->chunks = n < most ? n : most;
  atomic_store_explicit(&j->next, 0, memory_order_relaxed);
  atomic_store_explicit(&j->done, 0, memory_order_relaxed);
  pthread_mutex_lock(&p->lock);
  atomic_store(&p->generation, g);
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->lock);
  run_claims(j);
  /* Every chunk is claimed; wait for those other threads are running. */
  for (int i = 0; atomic_load_explicit(&j->done, memory_order_acquire) < j->chunks; i++) {
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
