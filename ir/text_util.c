/* Lexical rules and float formatting shared by the textual IR printer and
 * parser (see text.h). Floats are printed in the shortest %g form that reads
 * back to the same bits, so weights and scales survive a print/parse cycle
 * exactly while staying readable ("0.1", not "0.100000001"). */
#include "text.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool text_is_name_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
         c == '/' || c == '-';
}

bool text_is_bare_name(const char *s) {
  if (!s || !*s)
    return false;
  for (const char *c = s; *c; c++) {
    if (!text_is_name_char((unsigned char)*c))
      return false;
    if (c[0] == '/' && c[1] == '/')
      return false;
  }
  return true;
}

/* Writes the specials in the spelling the parser accepts; returns true when
 * v was one of them. */
static bool format_special(double v, char *buf) {
  if (isnan(v)) {
    strcpy(buf, "nan");
    return true;
  }
  if (isinf(v)) {
    strcpy(buf, v < 0 ? "-inf" : "inf");
    return true;
  }
  return false;
}

const char *text_format_f32(float v, char *buf) {
  if (format_special(v, buf))
    return buf;
  uint32_t want, got;
  memcpy(&want, &v, sizeof want);
  /* 9 significant digits always round-trip a float, so the loop ends. */
  for (int prec = 1; prec <= 9; prec++) {
    snprintf(buf, TEXT_FLOAT_BUF, "%.*g", prec, (double)v);
    float back = strtof(buf, NULL);
    memcpy(&got, &back, sizeof got);
    if (got == want)
      return buf;
  }
  return buf;
}

const char *text_format_f64(double v, char *buf) {
  if (format_special(v, buf))
    return buf;
  uint64_t want, got;
  memcpy(&want, &v, sizeof want);
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, TEXT_FLOAT_BUF, "%.*g", prec, v);
    double back = strtod(buf, NULL);
    memcpy(&got, &back, sizeof got);
    if (got == want)
      return buf;
  }
  return buf;
}
