/* frontend: the YAML model format (shared/spec/model-format.md) -> IR.
 *
 * The loaded graph is complete: attributes checked and defaulted, nodes
 * sorted topologically (cycles rejected), shapes inferred, verified.
 * Every error is one Diag with file:line:col of the offending YAML node
 * (0-based libyaml marks + 1).
 */
#ifndef QCC_FRONTEND_H
#define QCC_FRONTEND_H

#include "ir.h"

/* Reads and parses `path`; constant `file:` paths resolve against the YAML
 * file's folder. Caller owns the graph. NULL on error (Diag filled). */
Graph *frontend_load_yaml(const char *path, Diag *d);

/* Same, from memory. `path` names the text in diagnostics and gives the
 * folder for relative `file:` paths. */
Graph *frontend_parse_yaml(const char *text, size_t len, const char *path,
                           Diag *d);

#endif
