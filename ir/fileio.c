/* File helpers shared by every layer: whole-file reads, atomic writes. */
#include "fileio.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int qcc_read_file(const char *path, char **data, size_t *len, Diag *d) {
  *data = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return diag_error(d, srcloc(path, 0, 0), "cannot open: %s",
                      strerror(errno));
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  if (!buf) {
    fclose(f);
    return diag_error(d, srcloc(path, 0, 0), "out of memory");
  }
  for (;;) {
    if (cap - n < 2) {
      char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        fclose(f);
        return diag_error(d, srcloc(path, 0, 0), "file too large");
      }
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0)
      break;
  }
  int err = ferror(f);
  fclose(f);
  if (err) {
    free(buf);
    return diag_error(d, srcloc(path, 0, 0), "read error");
  }
  buf[n] = 0;
  *data = buf;
  *len = n;
  return 0;
}

int qcc_write_file_atomic(const char *path, const void *data, size_t len,
                          Diag *d) {
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 32);
  if (!tmp)
    return diag_error(d, srcloc(path, 0, 0), "out of memory");
  snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    int e = errno;
    free(tmp);
    return diag_error(d, srcloc(path, 0, 0), "cannot write: %s", strerror(e));
  }
  int ok = len == 0 || fwrite(data, 1, len, f) == len;
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    int e = errno;
    remove(tmp);
    free(tmp);
    return diag_error(d, srcloc(path, 0, 0), "cannot write: %s", strerror(e));
  }
  free(tmp);
  return 0;
}

int qcc_make_dirs(const char *path, Diag *d) {
  size_t n = strlen(path);
  char *p = malloc(n + 1);
  if (!p)
    return diag_error(d, srcloc(path, 0, 0), "out of memory");
  memcpy(p, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (p[i] != '/' && p[i] != 0)
      continue;
    char c = p[i];
    p[i] = 0;
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
      int e = errno;
      free(p);
      return diag_error(d, srcloc(path, 0, 0), "cannot create folder: %s",
                        strerror(e));
    }
    p[i] = c;
  }
  struct stat st;
  int isdir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
  free(p);
  if (!isdir)
    return diag_error(d, srcloc(path, 0, 0), "not a folder");
  return 0;
}
