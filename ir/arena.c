/* Bump-pointer arena: the IR allocates many small objects that all die
 * together with their graph, so one free per graph beats per-node frees.
 * Requests larger than a chunk get a chunk of their own (weights). */
#include "ir.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK (64 * 1024)

typedef struct Chunk {
  struct Chunk *next;
  size_t size, used;
  _Alignas(16) unsigned char mem[];
} Chunk;

struct Arena {
  Chunk *head;
  size_t total;
};

Arena *arena_create(void) {
  Arena *a = calloc(1, sizeof *a);
  if (!a)
    QCC_DIE("out of memory");
  return a;
}

void arena_destroy(Arena *a) {
  if (!a)
    return;
  for (Chunk *c = a->head, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  free(a);
}

void *arena_alloc(Arena *a, size_t size) {
  size = (size + 15) & ~(size_t)15;
  if (size == 0)
    size = 16;
  Chunk *c = a->head;
  if (!c || c->size - c->used < size) {
    size_t cap = size > ARENA_CHUNK / 4 ? size : ARENA_CHUNK;
    if (cap > SIZE_MAX - sizeof(Chunk))
      QCC_DIE("arena request too large (%zu bytes)", size);
    c = malloc(sizeof(Chunk) + cap);
    if (!c)
      QCC_DIE("out of memory (%zu bytes)", size);
    c->size = cap;
    c->used = 0;
    if (cap == size && a->head) {
      /* A dedicated big chunk goes behind the head so the head keeps
       * serving small requests. */
      c->next = a->head->next;
      a->head->next = c;
    } else {
      c->next = a->head;
      a->head = c;
    }
  }
  void *p = c->mem + c->used;
  c->used += size;
  a->total += size;
  memset(p, 0, size);
  return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *arena_strdup(Arena *a, const char *s) {
  return arena_strndup(a, s, strlen(s));
}

char *arena_printf(Arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    QCC_DIE("bad format");
  char *p = arena_alloc(a, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

size_t arena_used(const Arena *a) { return a->total; }
