/* The kernel list. See kernel_list.h. */
#include "kernel_list.h"

#include <stdio.h>
#include <string.h>

#include "target.h"

/* Dispatch order matters where two kernels take the same op: the blocked
 * conv before the depthwise ones before the direct ones. */
static const KernelSpec *const kernel_list[] = {
    &kernel_f32_vunary,      &kernel_f32_vbinary,     &kernel_qu8_vbinary,
    &kernel_f32_qu8_vcvt,    &kernel_qu8_f32_vcvt,    &kernel_x8_lut,
    &kernel_f32_batch_norm,  &kernel_f32_softmax,     &kernel_conv_blocked,
    &kernel_qu8_dwconv,      &kernel_qu8_dwconv_nhwc, &kernel_f32_conv_direct,
    &kernel_qu8_conv_direct, &kernel_f32_gemm_direct, &kernel_qd8_f32_gemm,
    &kernel_pool,            &kernel_u8_maxpool_rows, &kernel_u8_maxpool_nhwc,
    &kernel_global_avgpool,  &kernel_resize,          &kernel_u8_resize_nhwc,
    &kernel_concat,          &kernel_split,           &kernel_copy,
    &kernel_transpose,       &kernel_pad,
};
enum { NUM_KERNELS = sizeof kernel_list / sizeof kernel_list[0] };

const KernelSpec *kernel_for(const Node *n) {
  for (int i = 0; i < NUM_KERNELS; i++)
    if (kernel_list[i]->takes(n))
      return kernel_list[i];
  return NULL;
}

/* grammar with "<isa>" replaced by the target's ISA and "<f32_isa>" by
 * its f32 step's (the f32 conv needs AVX-512F, AVX2 or SSE2 only). */
static void fill_isa(const char *grammar, const TargetInfo *ti, char *buf, size_t len) {
  static const char *const keys[2] = {"<isa>", "<f32_isa>"};
  const char *vals[2] = {ti->isa, ti->f32.isa};
  size_t o = 0;
  for (const char *p = grammar; *p && o + 1 < len;) {
    int k = strncmp(p, keys[0], strlen(keys[0])) == 0   ? 0
            : strncmp(p, keys[1], strlen(keys[1])) == 0 ? 1
                                                        : -1;
    if (k < 0) {
      buf[o++] = *p++;
      continue;
    }
    o += (size_t)snprintf(buf + o, len - o, "%s", vals[k]);
    if (o >= len)
      o = len - 1;
    p += strlen(keys[k]);
  }
  buf[o] = 0;
}

void backend_kernel_list(TargetKind t, BackendKernelVisit visit, void *ctx) {
  const TargetInfo *ti = target_info(t);
  for (int i = 0; i < NUM_KERNELS; i++)
    for (int f = 0; f < 3; f++) {
      const KernelForm *form = &kernel_list[i]->forms[f];
      if (!form->grammar)
        continue;
      char params[128] = "", name[160];
      if (form->params && !form->params(ti->kind, params, sizeof params))
        continue;
      fill_isa(form->grammar, ti, name, sizeof name);
      visit(ctx, kernel_list[i]->name, name, form->computes, params);
    }
}

void kernel_symbol(const KernelSpec *s, const Node *n, TargetKind t, char *buf, size_t len) {
  if (s->describe)
    s->describe(n, t, buf, len);
  else
    snprintf(buf, len, "%s__%s", s->name, target_info(t)->isa);
}

int backend_tile_choice(const Node *n, TargetKind t) {
  TargetKind v[MAX_VARIANTS];
  target_variants(t, v);
  if (target_info(v[0])->tiles == TILES_NONE || kernel_for(n) != &kernel_conv_blocked ||
      (n->op != OP_QCONV2D && n->op != OP_QLINEAR))
    return -1;
  return kernel_on_tiles(n, v[0]);
}
