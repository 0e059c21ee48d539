/* A set of output files that appear together or not at all. A command
 * that writes several files (compile's .o, .so, .h and report; run's
 * outputs and report; a saved profile) stages each under a temporary name
 * next to its final one and renames the whole set into place only once
 * every file is written. On any error, and on SIGINT, SIGTERM or SIGHUP,
 * the staged files and the folders the set created are removed, so a
 * failed or interrupted run leaves nothing half-made: no lone report, no
 * empty output folder. (SIGKILL cannot be caught: it can leave staged
 * `*.qcc-tmp.PID` files, never a final name with partial contents.) */
#ifndef QCC_OUTPUT_SET_H
#define QCC_OUTPUT_SET_H

#include <stddef.h>

#include "diag.h"

typedef struct OutputSet OutputSet;

OutputSet *output_set_create(void);
/* Creates the folders above `path` that are missing (remembered, to be
 * removed on abort) and returns the temporary path to write `path`'s
 * contents to (owned by the set), or NULL with a Diag. */
const char *output_set_stage(OutputSet *s, const char *path, Diag *d);
/* output_set_stage, then writes data to the staged file. */
int output_set_write(OutputSet *s, const char *path, const void *data,
                     size_t len, Diag *d);
/* Creates a folder of the set itself (e.g. an output folder that is to
 * exist even when no file goes into it). */
int output_set_make_dir(OutputSet *s, const char *dir, Diag *d);
/* Renames every staged file to its final name; on failure removes what it
 * can and returns -1 with a Diag. Frees the set either way. */
int output_set_commit(OutputSet *s, Diag *d);
/* Removes every staged file and created folder, and frees the set (NULL is
 * a no-op). */
void output_set_abort(OutputSet *s);

#endif
