/* libFuzzer harness for the photo preprocessing recipes (the runtime's
 * qcc_preprocess_parse, and image_prep_parse, its Diag wrapper that --preprocess
 * uses). The input, cut at its first NUL, is the recipe. It must parse or
 * fail with error text, whatever the error buffer's size (the text quotes
 * the bad step as it is, newlines included, so "one line" is not checked);
 * what parses must be in range (the runtime's header documents it) and must
 * prepare a small photo without a sanitizer report.
 * Build and run: tools/fuzz/run.sh recipe */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "image.h"
#include "qcc_runtime.h"

static void fail(const char *why, const char *recipe) {
  fprintf(stderr, "fuzz: recipe '%s': %s\n", recipe, why);
  abort();
}

static void check_parsed(const qcc_preprocess *p, const char *recipe) {
  if ((p->width == 0) != (p->height == 0) || p->width < 0 ||
      p->width > 16384 || p->height < 0 || p->height > 16384)
    fail("size out of range", recipe);
  for (int c = 0; c < 3; c++) {
    if (p->std[c] == 0)
      fail("std 0", recipe);
    /* tests/fuzz/findings/recipe_mean_overflows_float.txt: finite as a
     * double, infinite as a float. */
    if (!isfinite(p->mean[c]) || !isfinite(p->std[c]))
      fail("mean or std not finite", recipe);
  }
  if ((p->bgr != 0 && p->bgr != 1) ||
      (p->pad_square != 0 && p->pad_square != 1))
    fail("flag not 0 or 1", recipe);
}

/* Prepares a 5 x 3 photo when the tensor is small enough to be cheap. */
static void prepare_photo(qcc_preprocess p) {
  if (p.width == 0) {
    p.width = 4;
    p.height = 2;
  }
  if ((int64_t)p.width * p.height > 64 * 64)
    return;
  unsigned char rgb[5 * 3 * 3];
  for (size_t i = 0; i < sizeof rgb; i++)
    rgb[i] = (unsigned char)(i * 37);
  float *out = malloc(sizeof(float) * 3 * (size_t)p.width * (size_t)p.height);
  if (!out)
    abort();
  qcc_preprocess_image(&p, rgb, 5, 3, out);
  float sx, sy;
  qcc_preprocess_scale(&p, 5, 3, &sx, &sy);
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *recipe = malloc(size + 1);
  if (!recipe)
    abort();
  memcpy(recipe, data, size);
  recipe[size] = 0;

  qcc_preprocess p, q;
  char err[160];
  err[0] = 0;
  int rc = qcc_preprocess_parse(recipe, &p, err, sizeof err);
  /* A short buffer, and none at all, must not change the outcome. */
  char tiny[4] = "xyz";
  if (qcc_preprocess_parse(recipe, &q, tiny, 1) != rc ||
      qcc_preprocess_parse(recipe, &q, NULL, 0) != rc)
    fail("the outcome depends on the error buffer", recipe);
  if (rc != 0) {
    if (rc != -1 || !err[0] || tiny[0] != 0)
      fail("rejected without error text", recipe);
  } else {
    check_parsed(&p, recipe);
    if (memcmp(&p, &q, sizeof p) != 0)
      fail("two parses differ", recipe);
    prepare_photo(p);
  }

  ImagePrep ip;
  Diag d;
  diag_clear(&d);
  if (image_prep_parse(recipe, &ip, "--preprocess", &d) != 0) {
    fuzz_require_diag(&d);
    if (rc == 0)
      fail("image_prep_parse rejects what the runtime accepts", recipe);
  } else if (rc != 0) {
    fail("image_prep_parse accepts what the runtime rejects", recipe);
  }
  free(recipe);
  return 0;
}
