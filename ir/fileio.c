/* File helpers shared by every layer: whole-file reads, atomic writes. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int qcc_read_file(const char *path, char **data, size_t *len, Diag *d) {
  *data = NULL;
  *len = 0;
  /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
   * writer forever; it is refused below like every non-regular file. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return diag_error(d, srcloc(path, 0, 0), "cannot open: %s",
                      strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return diag_error(d, srcloc(path, 0, 0), "cannot read: %s", strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return diag_error(d, srcloc(path, 0, 0), "not a regular file (%s)",
                      S_ISDIR(st.st_mode)    ? "a folder"
                      : S_ISFIFO(st.st_mode) ? "a FIFO"
                      : S_ISCHR(st.st_mode)  ? "a character device"
                      : S_ISBLK(st.st_mode)  ? "a block device"
                      : S_ISSOCK(st.st_mode) ? "a socket"
                                             : "not a file");
  }
  if ((uint64_t)st.st_size > QCC_MAX_FILE_BYTES) {
    close(fd);
    return diag_error(d, srcloc(path, 0, 0),
                      "file too large: %lld bytes, the limit is %llu",
                      (long long)st.st_size,
                      (unsigned long long)QCC_MAX_FILE_BYTES);
  }
  size_t size = (size_t)st.st_size, n = 0;
  char *buf = malloc(size + 1);
  if (!buf) {
    close(fd);
    return diag_error(d, srcloc(path, 0, 0), "out of memory (%zu bytes)",
                      size);
  }
  /* Exactly the size fstat gave: a file that grows meanwhile is read as
   * it was. */
  while (n < size) {
    ssize_t got = read(fd, buf + n, size - n);
    if (got < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (got <= 0) {
      int e = got < 0 ? errno : 0;
      free(buf);
      close(fd);
      return diag_error(d, srcloc(path, 0, 0), "read error%s%s",
                        e ? ": " : " (the file shrank while read)",
                        e ? strerror(e) : "");
    }
    n += (size_t)got;
  }
  close(fd);
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

int qcc_make_dirs_noting(const char *path, void (*made)(void *, const char *),
                         void *user, Diag *d) {
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
    if (mkdir(p, 0777) == 0) {
      if (made)
        made(user, p);
    } else if (errno != EEXIST) {
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

int qcc_make_dirs(const char *path, Diag *d) {
  return qcc_make_dirs_noting(path, NULL, NULL, d);
}
