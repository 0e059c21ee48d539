/* The C header of a compiled model (<prefix>.h). */
#ifndef QCC_BACKEND_HEADER_H
#define QCC_BACKEND_HEADER_H

#include "backend.h"

/* Returns the header text (malloc'd). */
char *backend_header_text(const Graph *g, const BackendOptions *opts,
                          int64_t workspace_size);
/* Writes into out (size n) the C identifier for `name`: letters, digits
 * and '_' kept, everything else '_', a leading digit prefixed with '_'. */
void backend_c_identifier(const char *name, char *out, size_t n);

#endif
