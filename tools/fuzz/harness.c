/* See harness.h. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch[4096];
static char *paths[16];
static int num_paths;

/* Empties and removes a scratch folder (it holds files only). */
static void remove_folder(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    char path[4096 + 256];
    for (struct dirent *e; (e = readdir(d));) {
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
      }
    }
    closedir(d);
  }
  rmdir(dir);
}

static void remove_scratch(void) {
  for (int i = 0; i < num_paths; i++)
    free(paths[i]);
  remove_folder(scratch);
}

/* A crash ends the process without atexit, and -minimize_crash crashes
 * thousands of them: remove the folders of processes that are gone. */
static void sweep_stale(const char *tmp) {
  DIR *d = opendir(tmp);
  if (!d)
    return;
  char path[4096 + 256];
  for (struct dirent *e; (e = readdir(d));) {
    char *end;
    if (strncmp(e->d_name, "qcc-fuzz.", 9) != 0)
      continue;
    long pid = strtol(e->d_name + 9, &end, 10);
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
    if (*end || pid <= 0)
      continue;
    int alive = kill((pid_t)pid, 0) == 0 || errno != ESRCH;
    if ((alive && pid != getpid()) || lstat(path, &st) != 0 ||
        !S_ISDIR(st.st_mode) ||
        st.st_uid != getuid())
      continue;
    remove_folder(path);
  }
  closedir(d);
}

const char *fuzz_scratch_dir(void) {
  if (!scratch[0]) {
    /* tmpfs when there is one: on disk, profile's two files per input
     * made it 16 times slower. */
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !tmp[0])
      tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    sweep_stale(tmp); /* ours too, should a dead process have had our pid */
    snprintf(scratch, sizeof scratch, "%s/qcc-fuzz.%ld", tmp, (long)getpid());
    if (mkdir(scratch, 0700) != 0) {
      perror(scratch);
      abort();
    }
    atexit(remove_scratch);
  }
  return scratch;
}

const char *fuzz_scratch_path(const char *name) {
  const char *dir = fuzz_scratch_dir();
  for (int i = 0; i < num_paths; i++)
    if (strcmp(strrchr(paths[i], '/') + 1, name) == 0)
      return paths[i];
  if (num_paths == (int)(sizeof paths / sizeof paths[0]))
    abort();
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (!p)
    abort();
  snprintf(p, n, "%s/%s", dir, name);
  paths[num_paths++] = p;
  return p;
}

void fuzz_write_file(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
    perror(path);
    abort();
  }
}

void fuzz_require_diag(const Diag *d) {
  if (!d->has_error || !d->msg[0]) {
    fprintf(stderr, "fuzz: rejected without a diagnostic\n");
    abort();
  }
}

void fuzz_require_ir_round_trip(const Graph *g) {
  char *a = ir_print(g);
  if (!a)
    abort();
  Diag d;
  diag_clear(&d);
  Graph *g2 = ir_parse(a, strlen(a), "printed.qir", &d);
  if (!g2) {
    char buf[QCC_DIAG_MSG_MAX + 300];
    fprintf(stderr, "fuzz: printed IR does not parse back: %s\n%s\n",
            diag_format(&d, buf, sizeof buf), a);
    abort();
  }
  char *b = ir_print(g2);
  if (!b || strcmp(a, b) != 0) {
    fprintf(stderr, "fuzz: print(parse(print(g))) != print(g):\n%s\n---\n%s\n", a,
            b ? b : "(null)");
    abort();
  }
  free(a);
  free(b);
  ir_graph_destroy(g2);
}
