/* See output_set.h. Live sets are kept in one process-wide list so that a
 * signal handler can remove their staged files: the handler only walks
 * the list and calls unlink/rmdir (async-signal-safe), and the list is
 * changed with the signals blocked. */
#include "output_set.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "ir.h"

struct OutputSet {
  OutputSet *next;
  char **tmp, **final; /* staged files */
  int num_files, cap_files;
  char **dirs; /* folders this set created, parents first */
  int num_dirs, cap_dirs;
};

static OutputSet *live;
static const int caught[] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction previous[3];
static bool handlers_installed;

static void remove_staged(OutputSet *s) {
  for (int i = 0; i < s->num_files; i++)
    unlink(s->tmp[i]);
  for (int i = s->num_dirs - 1; i >= 0; i--)
    rmdir(s->dirs[i]); /* only if empty: never a folder the user filled */
}

static void on_signal(int sig) {
  for (OutputSet *s = live; s; s = s->next)
    remove_staged(s);
  for (int k = 0; k < 3; k++)
    if (caught[k] == sig)
      sigaction(sig, &previous[k], NULL);
  raise(sig);
}

static void block_signals(sigset_t *old) {
  sigset_t set;
  sigemptyset(&set);
  for (int k = 0; k < 3; k++)
    sigaddset(&set, caught[k]);
  sigprocmask(SIG_BLOCK, &set, old);
}

static void *grow(void *p, int *cap, int need, size_t elem) {
  if (need <= *cap)
    return p;
  int c = *cap ? *cap * 2 : 8;
  void *q = realloc(p, (size_t)c * elem);
  if (!q)
    QCC_DIE("out of memory");
  *cap = c;
  return q;
}

OutputSet *output_set_create(void) {
  OutputSet *s = calloc(1, sizeof *s);
  if (!s)
    QCC_DIE("out of memory");
  sigset_t old;
  block_signals(&old);
  if (!handlers_installed) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int k = 0; k < 3; k++)
      sigaction(caught[k], &sa, &previous[k]);
    handlers_installed = true;
  }
  s->next = live;
  live = s;
  sigprocmask(SIG_SETMASK, &old, NULL);
  return s;
}

static void unlink_live(OutputSet *s) {
  sigset_t old;
  block_signals(&old);
  for (OutputSet **p = &live; *p; p = &(*p)->next)
    if (*p == s) {
      *p = s->next;
      break;
    }
  sigprocmask(SIG_SETMASK, &old, NULL);
}

static void set_free(OutputSet *s) {
  for (int i = 0; i < s->num_files; i++) {
    free(s->tmp[i]);
    free(s->final[i]);
  }
  for (int i = 0; i < s->num_dirs; i++)
    free(s->dirs[i]);
  free(s->tmp);
  free(s->final);
  free(s->dirs);
  free(s);
}

static void note_dir(void *user, const char *dir) {
  OutputSet *s = user;
  s->dirs = grow(s->dirs, &s->cap_dirs, s->num_dirs + 1, sizeof(char *));
  s->dirs[s->num_dirs++] = strdup(dir);
}

/* mkdir -p that records each folder it made, with the signals blocked so
 * that a folder is never made without being recorded for removal. */
static int make_dirs(OutputSet *s, const char *path, Diag *d) {
  sigset_t old;
  block_signals(&old);
  int rc = qcc_make_dirs_noting(path, note_dir, s, d);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return rc;
}

int output_set_make_dir(OutputSet *s, const char *dir, Diag *d) {
  return make_dirs(s, dir, d);
}

const char *output_set_stage(OutputSet *s, const char *path, Diag *d) {
  const char *slash = strrchr(path, '/');
  if (slash && slash != path) {
    char *dir = strndup(path, (size_t)(slash - path));
    if (!dir)
      QCC_DIE("out of memory");
    int rc = make_dirs(s, dir, d);
    free(dir);
    if (rc)
      return NULL;
  }
  for (int i = 0; i < s->num_files; i++)
    if (strcmp(s->final[i], path) == 0)
      return s->tmp[i]; /* staged twice: the later write wins */
  size_t len = strlen(path) + 40;
  char *tmp = malloc(len);
  char *final = strdup(path);
  if (!tmp || !final)
    QCC_DIE("out of memory");
  snprintf(tmp, len, "%s.qcc-tmp.%ld", path, (long)getpid());
  sigset_t old;
  block_signals(&old);
  s->tmp = grow(s->tmp, &s->cap_files, s->num_files + 1, sizeof(char *));
  s->final = realloc(s->final, sizeof(char *) * (size_t)s->cap_files);
  if (!s->final)
    QCC_DIE("out of memory");
  s->tmp[s->num_files] = tmp;
  s->final[s->num_files++] = final;
  sigprocmask(SIG_SETMASK, &old, NULL);
  return tmp;
}

int output_set_write(OutputSet *s, const char *path, const void *data,
                     size_t len, Diag *d) {
  const char *tmp = output_set_stage(s, path, d);
  if (!tmp)
    return -1;
  FILE *f = fopen(tmp, "wb");
  if (!f)
    return diag_error(d, srcloc(path, 0, 0), "cannot write: %s",
                      strerror(errno));
  int ok = len == 0 || fwrite(data, 1, len, f) == len;
  int e = errno;
  ok = fclose(f) == 0 && ok;
  if (!ok)
    return diag_error(d, srcloc(path, 0, 0), "cannot write: %s",
                      strerror(e ? e : EIO));
  return 0;
}

int output_set_commit(OutputSet *s, Diag *d) {
  int rc = 0;
  sigset_t old;
  block_signals(&old);
  for (int i = 0; i < s->num_files && !rc; i++) {
    struct stat st;
    if (stat(s->tmp[i], &st) != 0)
      rc = diag_error(d, srcloc(s->final[i], 0, 0),
                      "internal error: the file was never written");
    else if (rename(s->tmp[i], s->final[i]) != 0)
      rc = diag_error(d, srcloc(s->final[i], 0, 0), "cannot write: %s",
                      strerror(errno));
    if (rc) /* undo the renames made so far: all or nothing */
      for (int k = 0; k < i; k++)
        unlink(s->final[k]);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  unlink_live(s);
  if (rc)
    remove_staged(s);
  set_free(s);
  return rc;
}

void output_set_abort(OutputSet *s) {
  if (!s)
    return;
  unlink_live(s);
  remove_staged(s);
  set_free(s);
}
