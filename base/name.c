/* Container names: validation and path arithmetic on '/'-separated names (DESIGN section 2). */
#include "base/name.h"

#include <stdio.h>
#include <string.h>

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* Why s is not a path of plain components below a root (no leading '/', no empty, "." or
 * ".." component), or with strict not a container name (length, depth, characters); NULL
 * if it is one. */
static const char *path_problem(const char *s, bool strict)
{
	const char *p = s, *end;
	int depth = 0;

	if (strict && strlen(s) > LMC_NAME_MAX)
		return "longer than 255 characters";
	if (s[0] == '/')
		return "must not start with '/'";
	for (;;) {
		size_t len;

		end = strchrnul(p, '/');
		len = (size_t)(end - p);
		if (len == 0)
			return *end == '\0' ? "trailing '/'" : "empty component";
		if (strict && len > LMC_NAME_COMP_MAX)
			return "component longer than 64 characters";
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return "'.' and '..' are not allowed";
		for (const char *c = p; strict && c < end; c++)
			if (!name_char_ok(*c))
				return "characters allowed are A-Z a-z 0-9 _ . -";
		if (strict && ++depth > LMC_NAME_DEPTH_MAX)
			return "deeper than 16 levels";
		if (*end == '\0')
			return NULL;
		p = end + 1;
	}
}

static const char *name_problem(const char *s)
{
	return path_problem(s, true);
}

int lmc_name_parse(const char *s, char *ret, struct lmc_err *err)
{
	const char *why;

	if (!s)
		return lmc_err_set(err, -EINVAL, "invalid container name: none given");
	if (lmc_name_is_root(s)) {
		ret[0] = '\0';
		return 0;
	}
	why = name_problem(s);
	if (why) {
		/* A 300-character name would swamp the line: show its start only. */
		if (strlen(s) > 64)
			return lmc_err_set(err, -EINVAL, "invalid container name '%.40s...': %s", s,
					   why);
		return lmc_err_set(err, -EINVAL, "invalid container name '%s': %s", s, why);
	}
	memcpy(ret, s, strlen(s) + 1);
	return 0;
}

bool lmc_name_is_valid(const char *s)
{
	return s && (lmc_name_is_root(s) || !name_problem(s));
}

bool lmc_name_is_relpath(const char *s)
{
	return s && (!s[0] || !path_problem(s, false));
}

bool lmc_name_is_root(const char *name)
{
	return name && (name[0] == '\0' || strcmp(name, "/") == 0);
}

int lmc_name_depth(const char *name)
{
	int depth = 1;

	if (lmc_name_is_root(name))
		return 0;
	for (const char *p = name; *p; p++)
		if (*p == '/')
			depth++;
	return depth;
}

int lmc_name_parent(const char *name, char *ret, size_t size)
{
	const char *slash;
	size_t len;

	if (!name || lmc_name_is_root(name))
		return -EINVAL;
	slash = strrchr(name, '/');
	len = slash ? (size_t)(slash - name) : 0;
	if (len + 1 > size)
		return -ENAMETOOLONG;
	memcpy(ret, name, len);
	ret[len] = '\0';
	return 0;
}

const char *lmc_name_basename(const char *name)
{
	const char *slash;

	if (lmc_name_is_root(name))
		return "";
	slash = strrchr(name, '/');
	return slash ? slash + 1 : name;
}

int lmc_name_join(const char *parent, const char *child, char *ret, size_t size)
{
	char buf[LMC_NAME_MAX + 2];
	int n;

	if (!parent || !child || lmc_name_is_root(child))
		return -EINVAL;
	if (lmc_name_is_root(parent))
		n = snprintf(buf, sizeof(buf), "%s", child);
	else
		n = snprintf(buf, sizeof(buf), "%s/%s", parent, child);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n > LMC_NAME_MAX)
		return -ENAMETOOLONG;
	if (!lmc_name_is_valid(buf))
		return -EINVAL;
	if ((size_t)n + 1 > size)
		return -ENAMETOOLONG;
	memcpy(ret, buf, (size_t)n + 1);
	return 0;
}

bool lmc_name_is_under(const char *name, const char *ancestor)
{
	size_t len;

	if (!name || !ancestor)
		return false;
	if (lmc_name_is_root(ancestor))
		return true;
	if (lmc_name_is_root(name))
		return false;
	len = strlen(ancestor);
	if (strncmp(name, ancestor, len) != 0)
		return false;
	return name[len] == '\0' || name[len] == '/';
}

const char *lmc_name_display(const char *name)
{
	return lmc_name_is_root(name) ? "/" : name;
}
