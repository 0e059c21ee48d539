/* What the harnesses share: a private scratch folder for the parsers that
 * only read from a path, and the "fails only with a Diag" check. A harness
 * bug (cannot write its own scratch file) aborts like a finding would, so it
 * is never mistaken for a clean run. */
#ifndef QCC_FUZZ_HARNESS_H
#define QCC_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "ir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A folder of this process's own under $TMPDIR (else /dev/shm or /tmp),
 * made on first use and removed, with the files fuzz_scratch_path named, at
 * exit. */
const char *fuzz_scratch_dir(void);
/* "<scratch>/<name>"; the string lives until exit. */
const char *fuzz_scratch_path(const char *name);
/* Replaces the file at path with exactly size bytes of data. */
void fuzz_write_file(const char *path, const void *data, size_t size);
/* Aborts unless d holds an error with a message: every rejected input must
 * say why. */
void fuzz_require_diag(const Diag *d);
/* Aborts unless g's textual IR parses back and prints identically:
 * print(parse(print(g))) == print(g). */
void fuzz_require_ir_round_trip(const Graph *g);

#endif
