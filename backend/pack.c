/* See pack.h. */
#include "pack.h"

void pack_nhwc_emit(KernelCtx *k, const PackGeom *g, LLVMTypeRef src_elt,
                    LLVMTypeRef dst_elt, LLVMValueRef fill) {
  Emit *e = k->e;
  LLVMValueRef x = kc_tensor(k, k->n->inputs[0]);
  Loop l, lw, lc;
  LLVMValueRef r = kernel_range(k, &l); /* b * PH + ph */
  LLVMValueRef b = LLVMBuildUDiv(e->b, r, em_i64(e, g->PH), "");
  LLVMValueRef ih = em_addc(e, LLVMBuildURem(e->b, r, em_i64(e, g->PH), ""), -g->pt);
  LLVMValueRef row_in = LLVMBuildAnd(e->b, LLVMBuildICmp(e->b, LLVMIntSGE, ih, em_i64(e, 0), ""),
                                     LLVMBuildICmp(e->b, LLVMIntSLT, ih, em_i64(e, g->H), ""), "");
  LLVMValueRef dst = em_elem(e, dst_elt, k->scratch, em_mulc(e, r, g->PW * g->Cp));
  LLVMValueRef pw = em_loop_n(e, &lw, g->PW, "pw");
  LLVMValueRef iw = em_addc(e, pw, -g->pl);
  LLVMValueRef in = LLVMBuildAnd(e->b, row_in,
                                 LLVMBuildAnd(e->b, LLVMBuildICmp(e->b, LLVMIntSGE, iw, em_i64(e, 0), ""),
                                              LLVMBuildICmp(e->b, LLVMIntSLT, iw, em_i64(e, g->W), ""), ""), "");
  LLVMValueRef c = em_loop_n(e, &lc, g->Cp, "c");
  LLVMValueRef ok = LLVMBuildAnd(e->b, in, LLVMBuildICmp(e->b, LLVMIntSLT, c, em_i64(e, g->C), ""), "");
  /* Clamp the address so the load is always in bounds, then select. */
  LLVMValueRef ihc = LLVMBuildSelect(e->b, ok, ih, em_i64(e, 0), "");
  LLVMValueRef iwc = LLVMBuildSelect(e->b, ok, iw, em_i64(e, 0), "");
  LLVMValueRef cc = LLVMBuildSelect(e->b, ok, c, em_i64(e, 0), "");
  LLVMValueRef src =
      g->channels_last
          ? em_madc(e, em_madc(e, em_madc(e, b, g->H, ihc), g->W, iwc), g->C, cc)
          : em_add(e, em_mulc(e, em_madc(e, b, g->C, cc), g->H * g->W),
                   em_madc(e, ihc, g->W, iwc));
  LLVMValueRef v = em_load_at(e, src_elt, x, src);
  if (dst_elt != src_elt)
    v = LLVMBuildZExt(e->b, v, dst_elt, "");
  v = LLVMBuildSelect(e->b, ok, v, fill, "");
  em_store_at(e, v, dst_elt, dst, em_madc(e, pw, g->Cp, c));
  em_loop_end(e, &lc);
  em_loop_end(e, &lw);
  em_loop_end(e, &l);
}
