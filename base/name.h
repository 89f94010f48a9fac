/* Container names: '/'-separated components of [A-Za-z0-9_.-], DESIGN section 2. */
#ifndef LMC_NAME_H
#define LMC_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define LMC_NAME_MAX 255 /* total length */
#define LMC_NAME_COMP_MAX 64 /* one component */
#define LMC_NAME_DEPTH_MAX 16 /* components */

/* Validate a container name and write its canonical form to ret (size >= LMC_NAME_MAX + 1).
 * "/" and "" are the root and give "". No leading '/', no "//", no trailing '/', no "." or
 * "..". Fills err: "invalid container name 'a//b': empty component". */
int lmc_name_parse(const char *s, char *ret, struct lmc_err *err);
bool lmc_name_is_valid(const char *s);
/* A path below a root that cannot leave it: "" (the root itself), or '/'-separated
 * components, none empty, "." or "..", and no leading '/'. Every valid name is one; so is
 * lmctl's root below a mount (which may hold any character). cgroupfs checks each name, and
 * the root, with it before it opens anything. */
bool lmc_name_is_relpath(const char *s);
bool lmc_name_is_root(const char *name);
/* Number of components; 0 for the root. */
int lmc_name_depth(const char *name);
/* Parent of name into ret ("" for a top-level name). -EINVAL for the root. */
int lmc_name_parent(const char *name, char *ret, size_t size);
/* Last component (points into name). */
const char *lmc_name_basename(const char *name);
/* parent + "/" + child into ret; -ENAMETOOLONG/-EINVAL if the result is not a valid name. */
int lmc_name_join(const char *parent, const char *child, char *ret, size_t size);
/* true if name == ancestor or name lies below it (component-wise; the root is everyone's). */
bool lmc_name_is_under(const char *name, const char *ancestor);
/* Display form: "/" for the root, else the name itself. */
const char *lmc_name_display(const char *name);

#endif
