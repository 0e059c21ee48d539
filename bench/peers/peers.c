/* bench/peers/peers.c: the timing harness of bench/peers.sh. One process
 * runs one round: it dlopens qcc's compiled models (.so) and builds
 * oneDNN convolution primitives (C API) for the same layers, then, per
 * case, times every contender once per repetition, in a rotating order, so
 * that drift of the machine (a shared 2-core box) hits all of them alike.
 * Every call is timed with CLOCK_THREAD_CPUTIME_ID and CLOCK_MONOTONIC.
 * oneDNN can be capped at one ISA per process only (ONEDNN_MAX_CPU_ISA is
 * read once), so the driver (bench/peers/peers.py) runs one process per cap
 * and alternates rounds across them; --no-qcc leaves qcc out of the capped
 * ones. The peak microbenchmark (--peak) lives here too, so that it runs
 * on the same machine in the same session as the contenders.
 *
 * What is timed:
 *   qcc     <name>_run (1 thread) or <name>_run_parallel on a 2-thread
 *           qcc_threadpool: f32 NCHW in, f32 NCHW out, so the int8 code's
 *           input quantize and output stage are inside the time, as a
 *           user calls it;
 *   oneDNN  dnnl_primitive_execute + dnnl_stream_wait of the convolution
 *           primitive alone, on the layouts it prefers (format_tag any),
 *           no reorders: int8 is u8 src, s8 weights, f32 bias, per-channel
 *           output scales, f32 dst (like qcc's f32 result of a graph
 *           output); threads are OpenMP's (Debian builds oneDNN with
 *           DNNL_CPU_RUNTIME OMP), set with omp_set_num_threads before the
 *           primitive is created, one primitive per thread count.
 *
 * usage: peers CASES --round R --runs N --warmup W [--threads 1,2]
 *              [--label CAP] [--no-qcc] [--no-dnnl] [--probe] [--peak]
 * CASES: one contender per line, tab-separated:
 *   qcc  CASE LABEL LIB.so PREFIX INPUT.bin   (raw f32 input, C order)
 *   dnnl CASE N C H W O KH KW SH SW PH PW     (int8 and f32 both)
 * Output, one record per line, tab-separated:
 *   T round case contender threads cpu_ns wall_ns  (a timed call; 2 threads:
 *                                              the second after the pause)
 *   C round case contender threads cpu_ns wall_ns  (2 threads: the first call
 *                                              after the 2 ms pause)
 *   I key value...                             (information)
 *   P round peak-name threads MACs-per-s       or  P round name threads n/a reason
 *
 * Build: cc -O2 -fopenmp peers.c -I runtime build/libqcc_runtime.a -ldnnl -ldl -lpthread
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <omp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <oneapi/dnnl/dnnl.h>

#include "qcc_runtime.h"

#define MAX_CONTENDERS 256 /* 9 cases x 4 qcc builds + oneDNN, x 2 thread counts */
#define MAX_TENSORS 16

static void die(const char *fmt, const char *a) {
  fprintf(stderr, "peers: ");
  fprintf(stderr, fmt, a);
  fprintf(stderr, "\n");
  exit(1);
}

static int64_t ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void *xalloc(size_t n) {
  void *p = aligned_alloc(64, (n + 63) / 64 * 64);
  if (!p) die("out of memory%s", "");
  memset(p, 0, (n + 63) / 64 * 64);
  return p;
}

/* ---- contenders ------------------------------------------------------- */

typedef struct Contender {
  char case_name[64], name[96];
  int threads;
  /* qcc */
  void *fn;              /* <prefix>_run or <prefix>_run_parallel */
  void *ws;
  void *args[MAX_TENSORS];
  int nargs;
  /* oneDNN */
  dnnl_primitive_t prim;
  dnnl_exec_arg_t dargs[4];
} Contender;

static Contender cont[MAX_CONTENDERS];
static int ncont;
static qcc_threadpool *pool;
static qcc_parallel par;
static dnnl_engine_t eng;
static dnnl_stream_t strm;

typedef int (*R2)(void *, void *, void *);
typedef int (*R3)(void *, void *, void *, void *);
typedef int (*R4)(void *, void *, void *, void *, void *);
typedef int (*R5)(void *, void *, void *, void *, void *, void *);
typedef int (*R6)(void *, void *, void *, void *, void *, void *, void *);
typedef int (*R7)(void *, void *, void *, void *, void *, void *, void *, void *);
typedef int (*R8)(void *, void *, void *, void *, void *, void *, void *, void *, void *);
typedef int (*P2)(void *, const qcc_parallel *, void *, void *);
typedef int (*P3)(void *, const qcc_parallel *, void *, void *, void *);
typedef int (*P4)(void *, const qcc_parallel *, void *, void *, void *, void *);
typedef int (*P5)(void *, const qcc_parallel *, void *, void *, void *, void *, void *);
typedef int (*P6)(void *, const qcc_parallel *, void *, void *, void *, void *, void *, void *);
typedef int (*P7)(void *, const qcc_parallel *, void *, void *, void *, void *, void *, void *, void *);
typedef int (*P8)(void *, const qcc_parallel *, void *, void *, void *, void *, void *, void *, void *, void *);

/* The generated entry points take one pointer per tensor (inputs, then
 * outputs): call them with exactly that many. */
static int call_qcc(Contender *c) {
  void **a = c->args, *w = c->ws;
  if (c->threads == 1) {
    switch (c->nargs) {
    case 2: return ((R2)c->fn)(w, a[0], a[1]);
    case 3: return ((R3)c->fn)(w, a[0], a[1], a[2]);
    case 4: return ((R4)c->fn)(w, a[0], a[1], a[2], a[3]);
    case 5: return ((R5)c->fn)(w, a[0], a[1], a[2], a[3], a[4]);
    case 6: return ((R6)c->fn)(w, a[0], a[1], a[2], a[3], a[4], a[5]);
    case 7: return ((R7)c->fn)(w, a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    case 8: return ((R8)c->fn)(w, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    }
  } else {
    switch (c->nargs) {
    case 2: return ((P2)c->fn)(w, &par, a[0], a[1]);
    case 3: return ((P3)c->fn)(w, &par, a[0], a[1], a[2]);
    case 4: return ((P4)c->fn)(w, &par, a[0], a[1], a[2], a[3]);
    case 5: return ((P5)c->fn)(w, &par, a[0], a[1], a[2], a[3], a[4]);
    case 6: return ((P6)c->fn)(w, &par, a[0], a[1], a[2], a[3], a[4], a[5]);
    case 7: return ((P7)c->fn)(w, &par, a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    case 8: return ((P8)c->fn)(w, &par, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    }
  }
  return -100;
}

static void run_one(Contender *c) {
  if (c->fn) {
    int rc = call_qcc(c);
    if (rc != QCC_STATUS_OK) {
      fprintf(stderr, "peers: %s %s returned %d\n", c->case_name, c->name, rc);
      exit(1);
    }
  } else {
    if (dnnl_primitive_execute(c->prim, strm, 4, c->dargs) != dnnl_success ||
        dnnl_stream_wait(strm) != dnnl_success)
      die("oneDNN execute failed (%s)", c->case_name);
  }
}

static void add_qcc(const char *cs, const char *label, const char *lib,
                    const char *prefix, const char *input, int threads) {
  void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (!h) die("%s", dlerror());
  char sym[256];
  snprintf(sym, sizeof sym, "%s_info", prefix);
  const qcc_model_info *info = dlsym(h, sym);
  snprintf(sym, sizeof sym, threads == 1 ? "%s_run" : "%s_run_parallel", prefix);
  void *fn = dlsym(h, sym);
  if (!info || !fn) die("%s: symbols missing", lib);
  if (info->num_inputs != 1 || info->num_outputs + 1 > 8) die("%s: want 1 input, <= 7 outputs", lib);
  Contender *c = &cont[ncont++];
  snprintf(c->case_name, sizeof c->case_name, "%s", cs);
  snprintf(c->name, sizeof c->name, "%s", label);
  c->threads = threads;
  c->fn = fn;
  c->ws = xalloc((size_t)info->workspace_size);
  c->nargs = 1 + info->num_outputs;
  c->args[0] = xalloc((size_t)info->inputs[0].bytes);
  FILE *f = fopen(input, "rb");
  if (!f || fread(c->args[0], 1, (size_t)info->inputs[0].bytes, f) != (size_t)info->inputs[0].bytes)
    die("cannot read %s (or too short)", input);
  fclose(f);
  for (int i = 0; i < info->num_outputs; i++) c->args[1 + i] = xalloc((size_t)info->outputs[i].bytes);
}

static void check(dnnl_status_t s, const char *what) {
  if (s != dnnl_success) die("oneDNN: %s failed", what);
}

/* Fills a buffer with small values of its type, so no NaN/denormal slows
 * anything; the contents of padded or compensation areas do not matter
 * for the time. */
static void fill(dnnl_memory_t m, int is_f32, unsigned seed) {
  const dnnl_memory_desc_t *md;
  void *p;
  check(dnnl_memory_get_memory_desc(m, &md), "get md");
  check(dnnl_memory_get_data_handle(m, &p), "get handle");
  size_t n = dnnl_memory_desc_get_size(md);
  if (is_f32) {
    float *f = p;
    for (size_t i = 0; i < n / 4; i++) f[i] = (float)((int)((seed = seed * 1103515245u + 12345u) >> 24) - 128) / 256.0f;
  } else {
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++) b[i] = (unsigned char)(((seed = seed * 1103515245u + 12345u) >> 24) & 0x3f);
  }
}

static void add_dnnl(const char *cs, const char *label, const int64_t *g, int is_int8, int threads) {
  int64_t N = g[0], C = g[1], H = g[2], W = g[3], O = g[4], KH = g[5], KW = g[6], SH = g[7],
          SW = g[8], PH = g[9], PW = g[10];
  int64_t OH = (H + 2 * PH - KH) / SH + 1, OW = (W + 2 * PW - KW) / SW + 1;
  dnnl_dims_t sd = {N, C, H, W}, wd = {O, C, KH, KW}, bd = {O}, dd = {N, O, OH, OW};
  dnnl_dims_t st = {SH, SW}, pl = {PH, PW}, pr = {PH, PW};
  dnnl_memory_desc_t smd, wmd, bmd, dmd;
  dnnl_data_type_t in_t = is_int8 ? dnnl_u8 : dnnl_f32, w_t = is_int8 ? dnnl_s8 : dnnl_f32;
  check(dnnl_memory_desc_init_by_tag(&smd, 4, sd, in_t, dnnl_format_tag_any), "src md");
  check(dnnl_memory_desc_init_by_tag(&wmd, 4, wd, w_t, dnnl_format_tag_any), "weights md");
  check(dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_format_tag_any), "bias md");
  check(dnnl_memory_desc_init_by_tag(&dmd, 4, dd, dnnl_f32, dnnl_format_tag_any), "dst md");
  dnnl_convolution_desc_t cd;
  check(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_auto,
                                           &smd, &wmd, &bmd, &dmd, st, pl, pr), "conv desc");
  dnnl_primitive_attr_t attr;
  check(dnnl_primitive_attr_create(&attr), "attr");
  float *scales = NULL;
  if (is_int8) {
    scales = malloc(sizeof(float) * (size_t)O);
    for (int64_t o = 0; o < O; o++) scales[o] = 0.001f * (float)(1 + o % 7);
    check(dnnl_primitive_attr_set_output_scales(attr, O, 1 << 1, scales), "output scales");
  }
  omp_set_num_threads(threads);   /* read when the primitive is made */
  dnnl_primitive_desc_t pd;
  check(dnnl_primitive_desc_create(&pd, &cd, attr, eng, NULL), "primitive desc");
  const char *impl = "?";
  dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
  printf("I\timpl\t%s\t%s\t%d\t%s\n", cs, label, threads, impl);
  Contender *c = &cont[ncont++];
  snprintf(c->case_name, sizeof c->case_name, "%s", cs);
  snprintf(c->name, sizeof c->name, "%s", label);
  c->threads = threads;
  const dnnl_query_t q[4] = {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_weights_md, dnnl_query_dst_md};
  const int idx[4] = {0, 0, 1, 0}, arg[4] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST};
  for (int i = 0; i < 4; i++) {
    dnnl_memory_t m;
    check(dnnl_memory_create(&m, dnnl_primitive_desc_query_md(pd, q[i], idx[i]), eng, DNNL_MEMORY_ALLOCATE), "memory");
    fill(m, !is_int8 || i >= 2, 17u + (unsigned)i);
    c->dargs[i].arg = arg[i];
    c->dargs[i].memory = m;
  }
  check(dnnl_primitive_create(&c->prim, pd), "primitive");
  dnnl_primitive_desc_destroy(pd);
  dnnl_primitive_attr_destroy(attr);
  free(scales);
}

/* ---- peak microbenchmark ---------------------------------------------- */

/* Each kernel runs `iters` loop trips of twice 16 independent
 * multiply-add chains (15 where AVX2's 16 ymm registers must also hold
 * the product's temporary), all in registers: each chain multiplies its
 * accumulator by itself, which keeps the float chains at 0 (no
 * denormals); integer timing does not depend on values. */

#define R16(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
#define R15(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14)
#define YMM_CLOBBER "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", \
    "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"
/* Zeroes accumulator i (ymm or zmm) before the loop. */
#define ZY(i) "vpxor %%ymm" #i ", %%ymm" #i ", %%ymm" #i "\n\t"
#define ZZ(i) "vpxord %%zmm" #i ", %%zmm" #i ", %%zmm" #i "\n\t"

__attribute__((target("avx2,fma"))) static void peak_fma_ymm(int64_t iters) {
#define F(i) "vfmadd231ps %%ymm" #i ", %%ymm" #i ", %%ymm" #i "\n\t"
  __asm__ volatile(R16(ZY) "1:\n\t" R16(F) R16(F) "dec %[n]\n\tjnz 1b\n\tvzeroupper"
                   : [n] "+r"(iters) : : YMM_CLOBBER, "cc");
#undef F
}

/* qcc's AVX2 step: vpmaddwd (u8 widened to i16, times i16: 16 MACs) + vpaddd */
__attribute__((target("avx2"))) static void peak_maddwd_ymm(int64_t iters) {
#define M(i) "vpmaddwd %%ymm" #i ", %%ymm" #i ", %%ymm15\n\tvpaddd %%ymm15, %%ymm" #i ", %%ymm" #i "\n\t"
  __asm__ volatile(R16(ZY) "1:\n\t" R15(M) R15(M) "dec %[n]\n\tjnz 1b\n\tvzeroupper"
                   : [n] "+r"(iters) : : YMM_CLOBBER, "cc");
#undef M
}

/* oneDNN's AVX2 int8 step: vpmaddubsw (u8 x s8 pairs to s16, saturating:
 * 32 MACs) + vpmaddwd by ones + vpaddd */
__attribute__((target("avx2"))) static void peak_maddubsw_ymm(int64_t iters) {
#define M(i) "vpmaddubsw %%ymm" #i ", %%ymm" #i ", %%ymm15\n\tvpmaddwd %%ymm15, %%ymm15, %%ymm15\n\t" \
             "vpaddd %%ymm15, %%ymm" #i ", %%ymm" #i "\n\t"
  __asm__ volatile(R16(ZY) "1:\n\t" R15(M) R15(M) "dec %[n]\n\tjnz 1b\n\tvzeroupper"
                   : [n] "+r"(iters) : : YMM_CLOBBER, "cc");
#undef M
}

/* AVX-VNNI (VEX vpdpbusd on ymm: 32 MACs) */
__attribute__((target("avx2,avxvnni"))) static void peak_avxvnni_ymm(int64_t iters) {
#define M(i) "%{vex%} vpdpbusd %%ymm" #i ", %%ymm" #i ", %%ymm" #i "\n\t"
  __asm__ volatile(R16(ZY) "1:\n\t" R16(M) R16(M) "dec %[n]\n\tjnz 1b\n\tvzeroupper"
                   : [n] "+r"(iters) : : YMM_CLOBBER, "cc");
#undef M
}

#define ZMM_CLOBBER YMM_CLOBBER, "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", \
    "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31"

__attribute__((target("avx512f"))) static void peak_fma_zmm(int64_t iters) {
#define F(i) "vfmadd231ps %%zmm31, %%zmm30, %%zmm" #i "\n\t"
  __asm__ volatile(R16(ZZ) "vpxord %%zmm30, %%zmm30, %%zmm30\n\tvpxord %%zmm31, %%zmm31, %%zmm31\n\t"
                   "1:\n\t" R16(F) R16(F) "dec %[n]\n\tjnz 1b\n\tvzeroupper"
                   : [n] "+r"(iters) : : ZMM_CLOBBER, "cc");
#undef F
}

__attribute__((target("avx512f,avx512vnni"))) static void peak_vnni_zmm(int64_t iters) {
#define M(i) "vpdpbusd %%zmm31, %%zmm30, %%zmm" #i "\n\t"
  __asm__ volatile(R16(ZZ) "vpxord %%zmm30, %%zmm30, %%zmm30\n\tvpxord %%zmm31, %%zmm31, %%zmm31\n\t"
                   "1:\n\t" R16(M) R16(M) "dec %[n]\n\tjnz 1b\n\tvzeroupper"
                   : [n] "+r"(iters) : : ZMM_CLOBBER, "cc");
#undef M
}

typedef struct Peak {
  const char *name;
  void (*fn)(int64_t);
  double macs_per_trip;
  const char *feature; /* __builtin_cpu_supports name */
  int have;
} Peak;

typedef struct PeakJob {
  Peak *p;
  int64_t iters;
} PeakJob;

static void *peak_thread(void *arg) {
  PeakJob *j = arg;
  j->p->fn(j->iters);
  return NULL;
}

/* MACs per second: one thread by its CPU time, two threads by wall time
 * (both running the loop at once). Best of 3 tries (7 of half the
 * length for two threads). */
static double peak_rate(Peak *p, int threads) {
  int64_t iters = 1000;
  for (;;) { /* calibrate: about 0.1 s of work per try */
    int64_t t0 = ns(CLOCK_THREAD_CPUTIME_ID);
    p->fn(iters);
    int64_t dt = ns(CLOCK_THREAD_CPUTIME_ID) - t0;
    if (dt > 20000000) { iters = iters * 100000000 / dt; break; }
    iters *= 4;
  }
  double best = 0;
  if (threads > 1) iters /= 2; /* more, shorter tries: wall time on a shared box */
  for (int t = 0; t < (threads > 1 ? 7 : 3); t++) {
    double r;
    if (threads == 1) {
      int64_t t0 = ns(CLOCK_THREAD_CPUTIME_ID);
      p->fn(iters);
      r = p->macs_per_trip * (double)iters / ((double)(ns(CLOCK_THREAD_CPUTIME_ID) - t0) * 1e-9);
    } else {
      pthread_t th[8];
      PeakJob j = {p, iters};
      int64_t t0 = ns(CLOCK_MONOTONIC);
      for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, peak_thread, &j);
      for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
      r = threads * p->macs_per_trip * (double)iters / ((double)(ns(CLOCK_MONOTONIC) - t0) * 1e-9);
    }
    if (r > best) best = r;
  }
  return best;
}

static void run_peaks(int round, const int *threads, int nthreads) {
  __builtin_cpu_init();
  Peak peaks[] = {
      {"fma_ymm_f32", peak_fma_ymm, 32 * 8, "fma", __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2")},
      {"fma_zmm_f32", peak_fma_zmm, 32 * 16, "avx512f", __builtin_cpu_supports("avx512f")},
      {"vpmaddwd_vpaddd_ymm_int8", peak_maddwd_ymm, 30 * 16, "avx2", __builtin_cpu_supports("avx2")},
      {"vpmaddubsw_vpmaddwd_vpaddd_ymm_int8", peak_maddubsw_ymm, 30 * 32, "avx2", __builtin_cpu_supports("avx2")},
      {"avxvnni_vpdpbusd_ymm_int8", peak_avxvnni_ymm, 32 * 32, "avxvnni", __builtin_cpu_supports("avxvnni")},
      {"avx512vnni_vpdpbusd_zmm_int8", peak_vnni_zmm, 32 * 64, "avx512vnni", __builtin_cpu_supports("avx512vnni")},
  };
  for (size_t i = 0; i < sizeof peaks / sizeof peaks[0]; i++)
    for (int t = 0; t < nthreads; t++) {
      if (!peaks[i].have)
        printf("P\t%d\t%s\t%d\tn/a\tCPU lacks %s\n", round, peaks[i].name, threads[t], peaks[i].feature);
      else
        printf("P\t%d\t%s\t%d\t%.6g\n", round, peaks[i].name, threads[t], peak_rate(&peaks[i], threads[t]));
      fflush(stdout);
    }
}

/* ---- main ------------------------------------------------------------- */

/* One call of c; with a record type, prints its CPU and wall time. */
static void time_call(Contender *c, const char *record, int round) {
  int64_t c0 = ns(CLOCK_THREAD_CPUTIME_ID), w0 = ns(CLOCK_MONOTONIC);
  run_one(c);
  int64_t w1 = ns(CLOCK_MONOTONIC), c1 = ns(CLOCK_THREAD_CPUTIME_ID);
  if (record)
    printf("%s\t%d\t%s\t%s\t%d\t%lld\t%lld\n", record, round, c->case_name, c->name, c->threads,
           (long long)(c1 - c0), (long long)(w1 - w0));
}

static void settle(int threads) {
  /* After a multithreaded call the previous contender's workers (OpenMP's
   * or qcc's pool) spin for a while; let them go to sleep first so they do
   * not steal the next contender's second core. */
  if (threads > 1) {
    struct timespec t = {0, 2000000};
    nanosleep(&t, NULL);
  }
}

int main(int argc, char **argv) {
  const char *cases = NULL, *label = "default";
  int round = 1, runs = 20, warmup = 5, no_qcc = 0, no_dnnl = 0, probe = 0, peak = 0;
  int threads[4] = {1, 2}, nthreads = 2;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--round") && i + 1 < argc) round = atoi(argv[++i]);
    else if (!strcmp(a, "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
    else if (!strcmp(a, "--warmup") && i + 1 < argc) warmup = atoi(argv[++i]);
    else if (!strcmp(a, "--label") && i + 1 < argc) label = argv[++i];
    else if (!strcmp(a, "--threads") && i + 1 < argc) {
      nthreads = 0;
      for (char *s = strtok(argv[++i], ","); s && nthreads < 4; s = strtok(NULL, ",")) threads[nthreads++] = atoi(s);
    } else if (!strcmp(a, "--no-qcc")) no_qcc = 1;
    else if (!strcmp(a, "--no-dnnl")) no_dnnl = 1;
    else if (!strcmp(a, "--probe")) probe = 1;
    else if (!strcmp(a, "--peak")) peak = 1;
    else if (a[0] != '-' && !cases) cases = a;
    else die("bad argument %s (see the comment at the top of peers.c)", a);
  }
  if (peak) run_peaks(round, threads, nthreads);
  if (!cases) return 0;
  check(dnnl_engine_create(&eng, dnnl_cpu, 0), "engine");
  check(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags), "stream");
  const dnnl_version_t *v = dnnl_version();
  printf("I\tdnnl_version\t%d.%d.%d\n", v->major, v->minor, v->patch);
  printf("I\tdnnl_isa\t%s\t0x%x\n", label, (unsigned)dnnl_get_effective_cpu_isa());
  pool = qcc_threadpool_create(2);
  if (!pool) die("cannot create the thread pool%s", "");
  par = qcc_threadpool_parallel(pool);

  FILE *f = fopen(cases, "r");
  if (!f) die("cannot open %s", cases);
  char line[2048];
  while (fgets(line, sizeof line, f)) {
    char *tok[16];
    int nt = 0;
    line[strcspn(line, "\n")] = 0;
    for (char *s = strtok(line, "\t"); s && nt < 16; s = strtok(NULL, "\t")) tok[nt++] = s;
    if (nt == 0) continue;
    for (int t = 0; t < nthreads; t++) {
      if (ncont + 2 > MAX_CONTENDERS) die("too many contenders%s", "");
      if (!strcmp(tok[0], "qcc") && nt == 6 && !no_qcc) {
        add_qcc(tok[1], tok[2], tok[3], tok[4], tok[5], threads[t]);
      } else if (!strcmp(tok[0], "dnnl") && nt == 13 && !no_dnnl) {
        int64_t g[11];
        for (int k = 0; k < 11; k++) g[k] = atoll(tok[2 + k]);
        char l8[96], l32[96];
        snprintf(l8, sizeof l8, "dnnl-int8@%s", label);
        snprintf(l32, sizeof l32, "dnnl-f32@%s", label);
        add_dnnl(tok[1], l8, g, 1, threads[t]);
        add_dnnl(tok[1], l32, g, 0, threads[t]);
      } else if (strcmp(tok[0], "qcc") && strcmp(tok[0], "dnnl")) {
        die("bad line in the cases file: %s", tok[0]);
      }
    }
  }
  fclose(f);

  if (probe) { /* one call each, for ONEDNN_VERBOSE=1 to name what ran */
    for (int i = 0; i < ncont; i++) {
      printf("I\tprobe\t%s\t%s\t%d\n", cont[i].case_name, cont[i].name, cont[i].threads);
      fflush(stdout);
      omp_set_num_threads(cont[i].threads);
      run_one(&cont[i]);
      fflush(stdout);
    }
    return 0;
  }

  /* Per thread count, per case: warm-up, then `runs` repetitions, each
   * calling every contender of the case once, starting one further along
   * each time. */
  for (int t = 0; t < nthreads; t++) {
    for (int i = 0; i < ncont;) {
      int j = i;
      while (j < ncont && !strcmp(cont[j].case_name, cont[i].case_name)) j++;
      int idx[MAX_CONTENDERS], n = 0;
      for (int k = i; k < j; k++)
        if (cont[k].threads == threads[t]) idx[n++] = k;
      omp_set_num_threads(threads[t]);
      for (int r = -warmup; r < runs; r++)
        for (int k = 0; k < n; k++) {
          Contender *c = &cont[idx[(k + (r + warmup)) % n]];
          if (c->threads > 1) {
            /* The pause, then one call timed apart (C: the first call
             * after 2 ms idle, when sleeping threads wake and a halted
             * vCPU restarts), then the timed call (T): steady state, as
             * the 1-thread contenders, which run back to back. */
            settle(c->threads);
            time_call(c, r >= 0 ? "C" : NULL, round);
          }
          time_call(c, r >= 0 ? "T" : NULL, round);
        }
      fflush(stdout);
      i = j;
    }
  }
  return 0;
}
