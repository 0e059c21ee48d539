/* Table-driven option parsing and help (see options.h). The help column
 * layout is the one the hand-written help texts used: two spaces, the
 * option, its description from column 25 (or two spaces after an option
 * too long for the column). */
#include "options.h"

#include <string.h>

#include "driver.h"

#define HELP_INDENT 2
#define HELP_COLUMN 25

void opt_init(OptParser *p, const char *sub, int argc, char **argv,
              const OptSpec *const *tables) {
  *p = (OptParser){.sub = sub, .argc = argc, .argv = argv, .tables = tables,
                   .i = 0};
}

/* The entry argument `a` names: "NAME", "NAME=..." (value options), or
 * "NAME..." for joined ones. Sets *eq to the '=' of "NAME=..." or NULL. */
static const OptSpec *lookup(const OptParser *p, const char *a,
                             const char **eq) {
  for (const OptSpec *const *t = p->tables; *t; t++)
    for (const OptSpec *s = *t; s->name; s++) {
      size_t n = strlen(s->name);
      if (strncmp(a, s->name, n) != 0)
        continue;
      if (s->flags & OPT_JOINED) {
        if (a[n]) {
          *eq = a + n - 1; /* the value starts right after the name */
          return s;
        }
        continue;
      }
      if (a[n] == 0) {
        *eq = NULL;
        return s;
      }
      if (a[n] == '=' && s->value) {
        *eq = a + n;
        return s;
      }
    }
  return NULL;
}

int opt_next(OptParser *p) {
  if (++p->i >= p->argc)
    return OPT_END;
  const char *a = p->arg = p->argv[p->i];
  p->spec = NULL;
  p->value = a;
  if (a[0] != '-' || a[1] == 0)
    return OPT_ARG;
  const char *eq = NULL;
  const OptSpec *s = lookup(p, a, &eq);
  if (!s) {
    driver_usage_error(p->sub, "unknown option '%s'", a);
    return OPT_ERROR;
  }
  p->spec = s;
  if (!s->value) {
    p->value = NULL;
  } else if (eq) {
    p->value = eq + 1;
  } else if (p->i + 1 < p->argc) {
    p->value = p->argv[++p->i];
  } else {
    driver_usage_error(p->sub, "option '%s' needs a value", a);
    return OPT_ERROR;
  }
  return s->id;
}

/* Appends the option's name column for s to buf (at *len). */
static void name_column(const OptSpec *s, char *buf, size_t cap, size_t *len) {
  int n;
  if (s->usage)
    n = snprintf(buf + *len, cap - *len, "%s", s->usage);
  else if (!s->value)
    n = snprintf(buf + *len, cap - *len, "%s", s->name);
  else
    n = snprintf(buf + *len, cap - *len, "%s%s%s", s->name,
                 s->name[1] != '-' || strchr(s->value, '=') ? " " : "=",
                 s->value);
  if (n > 0)
    *len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

void opt_print_table(FILE *out, const char *title, const OptSpec *table) {
  if (title)
    fprintf(out, "%s\n", title);
  char buf[256];
  size_t len = 0;
  for (const OptSpec *s = table; s->name; s++) {
    if (len)
      len += (size_t)snprintf(buf + len, sizeof buf - len, ", ");
    name_column(s, buf, sizeof buf, &len);
    if (!s->help)
      continue; /* shares the next entry's line */
    int pad = HELP_COLUMN - HELP_INDENT - (int)len;
    fprintf(out, "%*s%s%*s", HELP_INDENT, "", buf, pad >= 2 ? pad : 2, "");
    for (const char *h = s->help; *h;) {
      const char *nl = strchr(h, '\n');
      size_t n = nl ? (size_t)(nl - h) : strlen(h);
      fprintf(out, "%.*s\n", (int)n, h);
      h += n;
      if (*h == '\n' && *++h)
        fprintf(out, "%*s", HELP_COLUMN, "");
    }
    len = 0;
  }
}
