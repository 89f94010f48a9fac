/* The Prometheus text format for lmctld's metrics: appends without printf on the hot path (a
 * scrape of 1,000 containers is ~40,000 lines), escaping, exact fixed-point values; and the
 * endpoint's address, refused unless it is a unix socket or loopback. */
#include "tools/agent/metrics-text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool grow(struct lmc_mtext *t, size_t more)
{
	size_t cap;
	char *p;

	if (t->err)
		return false;
	if (t->len + more <= t->cap)
		return true;
	cap = t->cap ? t->cap : 64 * 1024;
	while (cap < t->len + more)
		cap *= 2;
	p = realloc(t->buf, cap);
	if (!p) {
		t->err = -ENOMEM;
		return false;
	}
	t->buf = p;
	t->cap = cap;
	return true;
}

void lmc_mtext_append(struct lmc_mtext *t, const char *s, size_t n)
{
	if (!grow(t, n))
		return;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
}

static void puts_(struct lmc_mtext *t, const char *s)
{
	lmc_mtext_append(t, s, strlen(s));
}

/* quote: also escape '"' (label values); HELP text escapes only backslash and newline. */
static void put_escaped(struct lmc_mtext *t, const char *s, bool quote)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\\')
			lmc_mtext_append(t, "\\\\", 2);
		else if (*p == '\n')
			lmc_mtext_append(t, "\\n", 2);
		else if (*p == '"' && quote)
			lmc_mtext_append(t, "\\\"", 2);
		else
			lmc_mtext_append(t, p, 1);
	}
}

void lmc_mtext_done(struct lmc_mtext *t)
{
	free(t->buf);
	*t = (struct lmc_mtext){0};
}

void lmc_mtext_family(struct lmc_mtext *t, const char *name, const char *type, const char *help)
{
	puts_(t, "# HELP ");
	puts_(t, name);
	lmc_mtext_append(t, " ", 1);
	put_escaped(t, help, false);
	puts_(t, "\n# TYPE ");
	puts_(t, name);
	lmc_mtext_append(t, " ", 1);
	puts_(t, type);
	lmc_mtext_append(t, "\n", 1);
}

void lmc_mtext_sample(struct lmc_mtext *t, const char *name, const char *const *labels,
		      size_t n_labels, const char *value)
{
	puts_(t, name);
	for (size_t i = 0; i < n_labels; i++) {
		lmc_mtext_append(t, i ? "," : "{", 1);
		puts_(t, labels[2 * i]);
		lmc_mtext_append(t, "=\"", 2);
		put_escaped(t, labels[2 * i + 1], true);
		lmc_mtext_append(t, "\"", 1);
	}
	if (n_labels)
		lmc_mtext_append(t, "}", 1);
	lmc_mtext_append(t, " ", 1);
	puts_(t, value);
	lmc_mtext_append(t, "\n", 1);
}

void lmc_mtext_fixed(uint64_t v, unsigned decimals, char *buf, size_t size)
{
	char digits[24];
	int n = 0;
	size_t o = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v || n <= (int)decimals);
	/* digits holds the number backwards, at least one digit before the point. */
	while (n > 0 && o + 2 < size) {
		if (decimals && n == (int)decimals)
			buf[o++] = '.';
		buf[o++] = digits[--n];
	}
	buf[o] = '\0';
}

/* ---------------- the address ---------------- */

static int refuse(char *why, size_t size, const char *s, const char *reason)
{
	snprintf(why, size, "--metrics=%s: %s", s, reason);
	return -EINVAL;
}

static int parse_port(const char *p, in_port_t *ret)
{
	char *end;
	unsigned long v;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*ret = htons((in_port_t)v);
	return 0;
}

static int parse_unix(const char *s, struct lmc_metrics_addr *ret, char *why, size_t size)
{
	if (strlen(s) >= sizeof(ret->u.un.sun_path))
		return refuse(why, size, s, "socket path too long");
	ret->u.un.sun_family = AF_UNIX;
	strcpy(ret->u.un.sun_path, s);
	ret->len = sizeof(ret->u.un);
	return 0;
}

int lmc_metrics_addr_parse(const char *s, struct lmc_metrics_addr *ret, char *why, size_t size)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	in_port_t port;

	memset(ret, 0, sizeof(*ret));
	if (strchr(s, '/'))
		return parse_unix(s, ret, why, size);
	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
		return refuse(why, size, s,
			      "expected a unix socket path, 127.0.0.1:PORT or [::1]:PORT");
	if (parse_port(colon + 1, &port) < 0)
		return refuse(why, size, s, "invalid port (0..65535)");
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &ret->u.in6.sin6_addr) != 1)
			return refuse(why, size, s, "invalid IPv6 address");
		if (!IN6_IS_ADDR_LOOPBACK(&ret->u.in6.sin6_addr))
			return refuse(why, size, s,
				      "not a loopback address: the endpoint has no authentication; "
				      "use [::1], 127.0.0.1 or a unix socket");
		ret->u.in6.sin6_family = AF_INET6;
		ret->u.in6.sin6_port = port;
		ret->len = sizeof(ret->u.in6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &ret->u.in.sin_addr) != 1)
		return refuse(why, size, s,
			      "not an IP address (names are not resolved): use 127.0.0.1 or [::1]");
	if ((ntohl(ret->u.in.sin_addr.s_addr) >> 24) != 127)
		return refuse(why, size, s,
			      "not a loopback address: the endpoint has no authentication; use "
			      "127.0.0.1, [::1] or a unix socket");
	ret->u.in.sin_family = AF_INET;
	ret->u.in.sin_port = port;
	ret->len = sizeof(ret->u.in);
	return 0;
}
