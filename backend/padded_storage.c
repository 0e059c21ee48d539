/* See kernel_stored_padded in kernel.h: which conv results are stored
 * the way their readers would pack them, so that the readers' packing
 * phases have nothing to do. A decision of the module (the memory plan
 * sizes those buffers by it) that the producer's and the readers' kernels
 * follow; it depends on the graph alone, so every target's variant of a
 * multi build agrees. */
#include <string.h>

#include "kernel.h"
#include "kernel_list.h"
#include "window.h"

/* The kernels whose packed input is [N][PH][PW][C] u8 with z_x around:
 * the blocked conv's (C a multiple of its step's k: the AVX2 step widens
 * it to i16 in a pack of its own) and the NHWC depthwise conv's. */
static bool reads_packed_nhwc(const Node *r) {
  const KernelSpec *s = kernel_for(r);
  return r->op == OP_QCONV2D && (s == &kernel_conv_blocked || s == &kernel_qu8_dwconv_nhwc);
}

bool kernel_stored_padded(const Graph *g, const Tensor *t, StoredPads *pads) {
  const Node *p = t->producer;
  if (!p || p->outputs[0] != t || !reads_packed_nhwc(p) || t->dtype != DT_U8 || t->rank != 4 ||
      t->layout != LAYOUT_NHWC || t->dims[1] % 4 != 0 || ir_is_graph_output(g, t))
    return false;
  bool any = false;
  for (int i = 0; i < g->num_nodes; i++) {
    const Node *r = g->nodes[i];
    for (int j = 0; j < r->num_inputs; j++) {
      if (r->inputs[j] != t)
        continue;
      if (j != 0 || !reads_packed_nhwc(r))
        return false; /* a concat's operand, a pool's input, ... */
      WindowGeom wg;
      ir_window_geom(r, &wg);
      StoredPads rp = {wg.pt, wg.pl, wg.pb, wg.pr};
      if (any && memcmp(&rp, pads, sizeof rp) != 0)
        return false; /* readers with different padding pack their own */
      *pads = rp;
      any = true;
    }
  }
  /* The depthwise kernel stores only unpadded rows. */
  if (any && kernel_for(p) != &kernel_conv_blocked && pads->pt + pads->pl + pads->pb + pads->pr)
    return false;
  return any;
}
