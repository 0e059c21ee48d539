/* libFuzzer harness for calibration profiles (profile_load, which reads a
 * path: each input goes to one file in this process's scratch folder). Any
 * input must load or fail with a Diag; a loaded profile must format, load
 * back to the same fields and ranges (bit for bit) and format identically.
 * Build and run: tools/fuzz/run.sh profile */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "profile.h"

static void require_same(const Profile *a, const Profile *b) {
  int same = strcmp(a->model, b->model) == 0 &&
             strcmp(a->graph_hash, b->graph_hash) == 0 &&
             strcmp(a->method, b->method) == 0 && a->samples == b->samples &&
             a->num_ranges == b->num_ranges;
  for (int i = 0; same && i < a->num_ranges; i++)
    same = strcmp(a->ranges[i].tensor, b->ranges[i].tensor) == 0 &&
           memcmp(&a->ranges[i].lo, &b->ranges[i].lo, sizeof(float)) == 0 &&
           memcmp(&a->ranges[i].hi, &b->ranges[i].hi, sizeof(float)) == 0;
  if (!same) {
    fprintf(stderr, "fuzz: profile_format then profile_load changed the profile\n");
    abort();
  }
}

/* tests/fuzz/findings/profile_range_float_*.yaml: the file's range was
 * checked as doubles, then stored as floats. */
static void require_float_ranges(const Profile *p) {
  for (int i = 0; i < p->num_ranges; i++) {
    float lo = p->ranges[i].lo, hi = p->ranges[i].hi;
    if (!isfinite(lo) || !isfinite(hi) || !(lo <= 0 && 0 <= hi && lo < hi)) {
      fprintf(stderr, "fuzz: range %d is [%g, %g] as floats\n", i,
              (double)lo, (double)hi);
      abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_scratch_path("profile.yaml");
  fuzz_write_file(path, data, size);
  Diag d;
  diag_clear(&d);
  Profile p;
  if (profile_load(path, &p, &d) != 0) {
    fuzz_require_diag(&d);
    return 0;
  }
  require_float_ranges(&p);
  char *text = profile_format(&p);
  const char *path2 = fuzz_scratch_path("formatted.yaml");
  fuzz_write_file(path2, text, strlen(text));
  Profile p2;
  Diag d2;
  diag_clear(&d2);
  if (profile_load(path2, &p2, &d2) != 0) {
    char buf[QCC_DIAG_MSG_MAX + 300];
    fprintf(stderr, "fuzz: a formatted profile does not load: %s\n%s\n",
            diag_format(&d2, buf, sizeof buf), text);
    abort();
  }
  require_same(&p, &p2);
  char *text2 = profile_format(&p2);
  if (strcmp(text, text2) != 0) {
    fprintf(stderr, "fuzz: format(load(format(p))) != format(p)\n");
    abort();
  }
  free(text2);
  free(text);
  profile_free(&p2);
  profile_free(&p);
  return 0;
}
