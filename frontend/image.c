/* See image.h. The decoder is Debian's stb_image (libstb); nothing of the
 * file is trusted beyond what it reports, and the decoded size is checked
 * before anything is allocated for it. */
#include "image.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <stb/stb_image.h>

#include "fileio.h"

int image_prep_parse(const char *recipe, ImagePrep *p, const char *what,
                     Diag *d) {
  char err[160];
  if (qcc_preprocess_parse(recipe, p, err, sizeof err))
    return diag_error(d, srcloc(what, 0, 0), "%s", err);
  return 0;
}

bool image_is_image_file(const char *path) {
  const char *dot = strrchr(path, '.');
  if (!dot)
    return false;
  static const char *const exts[] = {".png", ".jpg", ".jpeg", ".bmp", ".ppm",
                                     ".pgm", ".tga", ".gif"};
  for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
    if (strcasecmp(dot, exts[i]) == 0)
      return true;
  return false;
}

int image_load(const char *path, const ImagePrep *p, float *out, Diag *d) {
  /* Through qcc_read_file, which refuses FIFOs, devices and oversize files
   * before stb sees a byte. */
  char *bytes;
  size_t len;
  if (qcc_read_file(path, &bytes, &len, d))
    return -1;
  if (len > INT_MAX) {
    free(bytes);
    return diag_error(d, srcloc(path, 0, 0), "image file too large");
  }
  const stbi_uc *buf = (const stbi_uc *)bytes;
  int w = 0, h = 0, n = 0, rc = 0;
  unsigned char *px = NULL;
  if (!stbi_info_from_memory(buf, (int)len, &w, &h, &n))
    rc = diag_error(d, srcloc(path, 0, 0), "cannot read this image: %s",
                    stbi_failure_reason() ? stbi_failure_reason() : "unknown format");
  else if (w < 1 || h < 1 || (int64_t)w * h > ((int64_t)1 << 28))
    rc = diag_error(d, srcloc(path, 0, 0), "image of %dx%d pixels is out of "
                    "range", (int)w, (int)h);
  else if (!(px = stbi_load_from_memory(buf, (int)len, &w, &h, &n, 3)))
    rc = diag_error(d, srcloc(path, 0, 0), "cannot decode this image: %s",
                    stbi_failure_reason() ? stbi_failure_reason() : "unknown");
  free(bytes);
  if (rc)
    return rc;
  qcc_preprocess_image(p, px, w, h, out);
  stbi_image_free(px);
  return 0;
}

int image_load_input(const char *path, const char *recipe, const char *name,
                     int rank, const int64_t *dims, NpyArray *a, Diag *d) {
  if (rank != 4 || dims[0] != 1 || dims[1] != 3)
    return diag_error(d, srcloc(path, 0, 0), "input '%s' is not one RGB image "
                      "[1, 3, H, W]", name);
  ImagePrep prep;
  if (image_prep_parse(recipe ? recipe : "", &prep, "--preprocess", d))
    return -1;
  if (prep.width == 0) {
    prep.width = (int32_t)dims[3];
    prep.height = (int32_t)dims[2];
  }
  if (prep.width != dims[3] || prep.height != dims[2])
    return diag_error(d, srcloc("--preprocess", 0, 0), "size=%dx%d does not "
                      "match input '%s'", prep.width, prep.height, name);
  memset(a, 0, sizeof *a);
  a->dtype = DT_F32;
  a->rank = 4;
  memcpy(a->dims, dims, sizeof(int64_t) * 4);
  a->numel = dims[0] * dims[1] * dims[2] * dims[3];
  a->data = malloc(sizeof(float) * (size_t)a->numel);
  if (!a->data)
    QCC_DIE("out of memory");
  return image_load(path, &prep, a->data, d);
}
