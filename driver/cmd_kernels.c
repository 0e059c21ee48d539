/* qcc kernels: prints the backend's kernel list (backend/kernel_list.c)
 * per target: every kernel form in dispatch order, its symbol grammar
 * (what a node function of that kernel is called), its register tile or
 * vector parameters, and what it computes. The edge-case matrix
 * (tests/backend/kernel_matrix.py) and bench/peers read --format=tsv, so
 * the list is the one source of these facts. */
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "driver.h"
#include "options.h"

enum { ID_TARGET = 2, ID_FORMAT };

static const OptSpec kernels_options[] = {
    {"--target", "T", "one target (avx512vnni, avx2, generic,\n"
     "avx512vnni-emulated, avx512amx, avx512amx-emulated,\n"
     "native, multi: its VNNI, AVX2 and generic variants);\n"
     "default: the VNNI, AVX2, generic and emulated VNNI targets", ID_TARGET, 0, NULL},
    {"--format", "F", "text (default) or tsv: target, kernel, form,\n"
     "params, computes; one row per form", ID_FORMAT, 0, NULL},
    OPT_SPEC_HELP,
    {NULL, NULL, NULL, 0, 0, NULL},
};

typedef struct Printer {
  const char *target;
  bool tsv;
} Printer;

static void print_form(void *ctx, const char *kernel, const char *grammar, const char *computes,
                       const char *params) {
  const Printer *p = ctx;
  if (p->tsv)
    printf("%s\t%s\t%s\t%s\t%s\n", p->target, kernel, grammar, params, computes);
  else
    printf("  %-58s %-24s %s\n", grammar, params, computes);
}

int cmd_kernels(int argc, char **argv) {
  static const OptSpec *const tables[] = {kernels_options, NULL};
  TargetKind one = TARGET_COUNT;
  bool tsv = false;
  OptParser p;
  opt_init(&p, "kernels", argc, argv, tables);
  for (int id; (id = opt_next(&p)) != OPT_END;) {
    switch (id) {
    case OPT_ERROR: return 1;
    case OPT_HELP_ID:
      printf("usage: qcc kernels [options]\n\n"
             "Prints the backend's kernel list: for each target, every kernel\n"
             "form in the order dispatch asks them, the name its node functions\n"
             "get (<MR>, <NR>, <k> filled per layer), its parameters on the\n"
             "target and what it computes.\n\n");
      opt_print_table(stdout, "options:", kernels_options);
      return 0;
    case ID_TARGET:
      if (backend_target_parse(p.value, &one))
        return driver_usage_error("kernels", "unknown target '%s' (avx2, avx512vnni, "
                                  "avx512vnni-emulated, generic, native, multi)", p.value);
      break;
    case ID_FORMAT:
      if (strcmp(p.value, "tsv") && strcmp(p.value, "text"))
        return driver_usage_error("kernels", "unknown format '%s' (text, tsv)", p.value);
      tsv = strcmp(p.value, "tsv") == 0;
      break;
    case OPT_ARG: return driver_usage_error("kernels", "unexpected argument '%s'", p.value);
    default: return driver_usage_error("kernels", "unknown option '%s'", p.arg);
    }
  }
  TargetKind targets[4] = {TARGET_AVX512VNNI, TARGET_AVX2, TARGET_GENERIC,
                           TARGET_AVX512VNNI_EMULATED};
  int nt = 4;
  if (one == TARGET_MULTI) {
    nt = 3; /* multi's variants: the first three */
  } else if (one != TARGET_COUNT) {
    targets[0] = one == TARGET_NATIVE ? backend_target_host() : one;
    nt = 1;
  }
  if (tsv)
    printf("target\tkernel\tform\tparams\tcomputes\n");
  for (int i = 0; i < nt; i++) {
    Printer pr = {backend_target_name(targets[i]), tsv};
    if (!tsv)
      printf("%s%s:\n", i ? "\n" : "", pr.target);
    backend_kernel_list(targets[i], print_form, &pr);
  }
  return 0;
}
