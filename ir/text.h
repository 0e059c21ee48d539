/* Private helpers shared by the textual IR printer (print.c) and parser
 * (parse.c): the lexical rules both sides must agree on (which names may be
 * written bare) and the shortest round-trip float formatting. Not part of
 * the IR API; unit tests include it to pin the float rule directly.
 * The format itself is specified in docs/ir.md. */
#ifndef QCC_TEXT_H
#define QCC_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* [A-Za-z0-9_.:/-]: the characters of a bare value, graph or resource name. */
bool text_is_name_char(int c);

/* True when `s` can be written without quotes after '%' or '@' or as a
 * resource key: non-empty, only name characters, and no "//" (which would
 * start a comment). Anything else is printed as a quoted string. */
bool text_is_bare_name(const char *s);

/* Writes the shortest "%.{1..9}g" form of v that strtof() reads back to the
 * same bits ("nan", "inf", "-inf" for the specials). buf needs at least
 * TEXT_FLOAT_BUF bytes. Returns buf. */
#define TEXT_FLOAT_BUF 32
const char *text_format_f32(float v, char *buf);

/* The same for doubles with "%.{1..17}g" and strtod(). */
const char *text_format_f64(double v, char *buf);

#endif
