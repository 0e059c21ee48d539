/* Table-driven command-line options for the subcommands: one OptSpec table
 * per subcommand (plus the shared quantization table, quant_cli.h) that
 * both the parser and --help read, so help lists exactly what is accepted.
 *
 * Accepted forms: "--name=value" and "--name value" for options with a
 * value (also "-o DIR" and "-o=DIR"), bare "--name" for flags, and joined
 * short forms ("-O3") for OPT_JOINED entries. Errors are printed as
 * driver_usage_error does: "qcc SUB: error: unknown option '-x'",
 * "qcc SUB: error: option '--passes' needs a value". */
#ifndef QCC_OPTIONS_H
#define QCC_OPTIONS_H

#include <stdio.h>

enum {
  OPT_JOINED = 1, /* value joined to the name: "-O3" (no '=', no space) */
};

typedef struct OptSpec {
  const char *name;  /* "--passes", "-o"; NULL ends a table */
  const char *value; /* the value's name in help ("LIST"); NULL: a flag */
  /* Description; '\n' starts a continuation line. NULL: this entry shares
   * the next entry's line in help ("-h, --help  print this help"). */
  const char *help;
  int id;    /* returned by opt_next; > 0, unique across a command's tables */
  int flags; /* OPT_JOINED */
  /* What help shows instead of the name and value ("-O0 .. -O3"); NULL:
   * "NAME=VALUE", or "NAME VALUE" for short options and values that hold
   * an '=' themselves ("--calib NAME=PATH"). */
  const char *usage;
} OptSpec;

/* The help entries every subcommand's table carries. */
#define OPT_HELP_ID 1
#define OPT_SPEC_HELP                                                     \
  {"-h", NULL, NULL, OPT_HELP_ID, 0, NULL},                               \
  {"--help", NULL, "print this help", OPT_HELP_ID, 0, NULL}

enum { OPT_END = 0, OPT_ARG = -1, OPT_ERROR = -2 };

typedef struct OptParser {
  const char *sub; /* subcommand, for error messages */
  int argc;
  char **argv;
  const OptSpec *const *tables; /* NULL-terminated */
  int i;                        /* the argument last returned */
  const char *arg;   /* that argument as written ("--passes=x", "-O3") */
  const char *value; /* its value, or the positional argument itself */
  const OptSpec *spec; /* the matched entry (NULL for OPT_ARG) */
} OptParser;

/* Starts parsing argv[1..argc-1] of subcommand `sub` against `tables`
 * (borrowed: they must outlive the parser). */
void opt_init(OptParser *p, const char *sub, int argc, char **argv,
              const OptSpec *const *tables);

/* The next argument: the matched option's id (value in p->value, NULL for
 * a flag), OPT_ARG for a positional argument (in p->value; "-" is one),
 * OPT_END after the last, or OPT_ERROR after printing the usage error
 * (unknown option, missing value). */
int opt_next(OptParser *p);

/* Prints "TITLE\n" and one line per entry (continuations indented); a
 * NULL title prints the entries only. */
void opt_print_table(FILE *out, const char *title, const OptSpec *table);

#endif
