/* The Prometheus text exposition format (version 0.0.4) as lmctld's metrics endpoint writes
 * it, and the endpoint's address: what can be checked without an agent (tests link it). */
#ifndef LMC_METRICS_TEXT_H
#define LMC_METRICS_TEXT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#define LMC_MTEXT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A growing text; an allocation failure is remembered (err) and later appends do nothing. */
struct lmc_mtext {
	char *buf;
	size_t len, cap;
	int err;
};

void lmc_mtext_done(struct lmc_mtext *t);
void lmc_mtext_append(struct lmc_mtext *t, const char *s, size_t n);
/* "# HELP name help" and "# TYPE name type" (help escaped: backslash, newline). */
void lmc_mtext_family(struct lmc_mtext *t, const char *name, const char *type, const char *help);
/* One series: name{k1="v1",...} value, label values escaped (backslash, quote, newline).
 * labels holds n_labels (key, value) pairs; value is the sample's text. */
void lmc_mtext_sample(struct lmc_mtext *t, const char *name, const char *const *labels,
		      size_t n_labels, const char *value);
/* v / 10^decimals in plain decimal ("1.500000000" for 1500000000 ns as seconds), exact where a
 * double would round: counters of nanoseconds stay whole. buf: at least 32 bytes. */
void lmc_mtext_fixed(uint64_t v, unsigned decimals, char *buf, size_t size);

/* Where the endpoint listens: a unix socket path (anything with a '/'), or a loopback TCP
 * address, 127.x.y.z:PORT or [::1]:PORT (port 0: any free one). Anything else is refused,
 * why (one line) saying so: the endpoint has no authentication. */
struct lmc_metrics_addr {
	union {
		struct sockaddr sa;
		struct sockaddr_un un;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len;
};
int lmc_metrics_addr_parse(const char *s, struct lmc_metrics_addr *ret, char *why, size_t size);

#endif
