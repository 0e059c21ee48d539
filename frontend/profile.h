/* Calibration profiles: the ranges calibration chose, saved so that
 * calibration runs once and compilation many times. A profile records the
 * hash of the (canonicalized, float) graph it was made for; loading it for
 * another graph is an error, so a stale profile is never applied.
 *
 *   format: qcc-profile-1
 *   model: yolo_style
 *   graph_hash: 0123456789abcdef
 *   method: minmax
 *   samples: 32
 *   ranges:
 *     images: [-2.1179, 2.64]
 *     ...
 */
#ifndef QCC_PROFILE_H
#define QCC_PROFILE_H

#include "ir.h"

typedef struct ProfileRange {
  char *tensor;
  float lo, hi;
} ProfileRange;

typedef struct Profile {
  char model[128];
  char graph_hash[17];
  char method[64];
  int samples;
  ProfileRange *ranges;
  int num_ranges;
} Profile;

/* Reads a profile; errors carry file:line:col. Caller frees. */
int profile_load(const char *path, Profile *p, Diag *d);
/* The YAML text of p (malloc'd; floats round-trip exactly). */
char *profile_format(const Profile *p);
void profile_free(Profile *p);

#endif
