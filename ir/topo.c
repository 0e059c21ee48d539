/* Topological sort of the node list. Models may list nodes in any order;
 * everything downstream assumes producers come first. The sort is stable
 * (among ready nodes the earliest listed goes first), so a graph that is
 * already ordered keeps its order and printing stays deterministic. */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

/* The producer of node n's i-th input, when that producer is still unsorted. */
static Node *pending_producer(const Node *n, int i, const bool *done,
                              const Graph *g) {
  Node *p = n->inputs[i]->producer;
  if (!p || p->id < 0 || p->id >= g->num_nodes || g->nodes[p->id] != p)
    return NULL;
  return done[p->id] ? NULL : p;
}

/* Walks predecessors from `start` until a node repeats: that node is on a
 * cycle. Writes "a -> b -> a" into buf. */
static const Node *find_cycle(const Graph *g, const bool *done,
                              const Node *start, char *buf, size_t cap) {
  int *seen_at = malloc(sizeof(int) * (size_t)g->num_nodes);
  const Node **path = malloc(sizeof(Node *) * (size_t)(g->num_nodes + 1));
  if (!seen_at || !path)
    QCC_DIE("out of memory");
  for (int i = 0; i < g->num_nodes; i++)
    seen_at[i] = -1;
  const Node *n = start;
  int len = 0;
  while (seen_at[n->id] < 0) {
    seen_at[n->id] = len;
    path[len++] = n;
    const Node *next = NULL;
    for (int i = 0; i < n->num_inputs && !next; i++)
      next = pending_producer(n, i, done, g);
    if (!next)
      QCC_DIE("unsorted node without unsorted producer");
    n = next;
  }
  /* path[seen_at[n]..len) is the cycle, walked against the data flow.
   * Report it along the data flow, starting at its earliest-listed node. */
  int k = seen_at[n->id], cyc = len - k, first = 0;
  const Node **flow = path + k; /* reversed in place below */
  for (int i = 0; i < cyc / 2; i++) {
    const Node *t = flow[i];
    flow[i] = flow[cyc - 1 - i];
    flow[cyc - 1 - i] = t;
  }
  for (int i = 1; i < cyc; i++)
    if (flow[i]->id < flow[first]->id)
      first = i;
  size_t used = 0;
  buf[0] = 0;
  for (int i = 0; i <= cyc && used < cap; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%s'%s'", i ? " -> " : "",
                             flow[(first + i) % cyc]->name);
  const Node *on_cycle = flow[first];
  free(seen_at);
  free(path);
  return on_cycle;
}

int ir_graph_sort(Graph *g, Diag *d) {
  int n = g->num_nodes;
  for (int i = 0; i < n; i++)
    g->nodes[i]->id = i;
  for (int i = 0; i < n; i++) {
    Node *node = g->nodes[i];
    for (int j = 0; j < node->num_inputs; j++) {
      Tensor *t = node->inputs[j];
      if (t->kind == TK_VALUE && !t->producer)
        return diag_error(d, node->loc, "%s '%s': input '%s' is not defined",
                          op_info(node->op)->name, node->name, t->name);
    }
  }
  bool *done = calloc((size_t)n + 1, sizeof(bool));
  Node **order = malloc(sizeof(Node *) * ((size_t)n + 1));
  if (!done || !order)
    QCC_DIE("out of memory");
  int placed = 0;
  /* Quadratic in the worst case but linear for graphs listed in order,
   * which is what frontends and passes produce. */
  while (placed < n) {
    bool progress = false;
    for (int i = 0; i < n; i++) {
      if (done[i])
        continue;
      bool ready = true;
      for (int j = 0; j < g->nodes[i]->num_inputs && ready; j++)
        ready = !pending_producer(g->nodes[i], j, done, g);
      if (ready) {
        done[i] = true;
        order[placed++] = g->nodes[i];
        progress = true;
      }
    }
    if (!progress) {
      int first = 0;
      while (done[first])
        first++;
      char path[256];
      const Node *c = find_cycle(g, done, g->nodes[first], path, sizeof path);
      int r = diag_error(d, c->loc, "%s '%s' is on a cycle: %s",
                         op_info(c->op)->name, c->name, path);
      free(done);
      free(order);
      return r;
    }
  }
  if (n)
    memcpy(g->nodes, order, sizeof(Node *) * (size_t)n);
  for (int i = 0; i < n; i++)
    g->nodes[i]->id = i;
  free(done);
  free(order);
  return 0;
}
