/* lmctld's Prometheus endpoint (--metrics=ADDR): a minimal HTTP/1.1 server on the agent's
 * libev loop. One request per connection (answered with Connection: close): the request
 * head must arrive whole within --idle-timeout and in REQ_MAX bytes, a response be taken
 * within CONN_LIFE, and at most CONNS_MAX connections are served (more get 503). GET or HEAD
 * /metrics is served; other paths get 404, other methods 405. A scrape never blocks the
 * loop: the tree is read on it (a few ms for 1,000 containers), the kernel's figures and the
 * text on a worker (tools/agent/jobs.c); scrapes that arrive meanwhile share that body.
 *
 * Reading 1,000 containers' figures from cgroupfs is 13,000 files opened, read and closed
 * (the reading of `lmctl stats -r` less the kernel's limits): 130 to 190 ms of CPU on this
 * 2-CPU host, about what a scrape may take. So for regular scrapes the reading is done
 * ahead: each scrape times the next from the interval between the last two, and a worker
 * reads just before it is due; a scrape is answered at once from a body at most
 * --metrics-max-age old (1 s), else waits for a fresh reading (the first, an irregular one,
 * or every one with --metrics-max-age=0).
 *
 * The first reading of a new container's files costs the kernel more than any later one:
 * each file's dentry and inode are made at its first lookup (a fresh scrape of 1,000 new
 * containers: 125-145 ms; the same scrape after restarting the agent, the kernel's dentries
 * kept: 44 ms). So the containers created since the last reading are read once, on a
 * worker, when creates pause (PRIME_QUIET, at most PRIME_WAIT after the first): the next
 * scrape finds their files looked up and kept open. Only with --metrics (scrapes will
 * come), and never during a burst of creates, which it would slow. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "tools/agent/lmctld-metrics-int.h"
#include "tools/agent/lmctld.h"

#define CONNS_MAX 16
#define BUSY_MAX 16
#define REQ_MAX 8192
#define CONN_LIFE 30.0
#define ACCEPTS_MAX 16
#define PREFETCH_PERIOD_MAX 300.0 /* scrapes further apart are each read fresh */
#define LINGER 2.0 /* after the response, for the client to close first */
#define PRIME_QUIET 0.2
#define PRIME_WAIT 2.0
#define PRIME_MAX 16384 /* new containers remembered; the rest are read by the scrape */

struct mconn {
	struct lmc_metrics *mx;
	struct mconn *prev, *next;
	int fd;
	ev_io io;
	ev_timer timer;
	char req[REQ_MAX];
	size_t req_len;
	bool head_only, waiting, draining;
	char head[512];
	size_t head_len, off; /* off: bytes of head and body sent */
	const char *body;
	size_t body_len;
	struct mbody *shared; /* the body's owner, when it is a scrape's */
};

struct lmc_metrics {
	struct agent *a;
	struct lmc_metrics_addr addr;
	int lfd;
	ev_io lio;
	ev_timer accept_again;
	struct mconn *conns;
	unsigned n_conns;
	struct mbuild *building;
	struct mbody *latest; /* the newest body, read from latest_ns on */
	uint64_t latest_ns, last_scrape_ns;
	ev_timer prefetch;
	/* containers created since the last reading, and the reading of them under way */
	char **fresh;
	size_t n_fresh, cap_fresh;
	uint64_t fresh_ns; /* when the first of them was created */
	ev_timer prime;
	struct mprime *priming;
	bool stopping, failing;
	struct mhist hist[MHIST_OPS];
	uint64_t prev_build_ns;
};

uint64_t lmc_metrics_clock(void)
{
	return lmc_util_now_ns();
}

void lmc_metrics_observe(struct lmc_metrics *mx, int op, uint64_t t0)
{
	uint64_t ns = lmc_metrics_clock() - t0;
	struct mhist *h;

	if (!mx)
		return;
	h = &mx->hist[op >= 0 && op < MHIST_OPS ? op : 0];
	h->count++;
	h->sum_ns += ns;
	h->buckets[lmc_metrics_bucket_of(ns)]++;
}

static void body_unref(struct mbody *b)
{
	if (!b || --b->refs)
		return;
	lmc_mtext_done(&b->t);
	free(b);
}

/* ---------------- connections ---------------- */

static void conn_close(struct mconn *c)
{
	struct lmc_metrics *mx = c->mx;

	ev_io_stop(mx->a->loop, &c->io);
	ev_timer_stop(mx->a->loop, &c->timer);
	close(c->fd);
	body_unref(c->shared);
	if (c->prev)
		c->prev->next = c->next;
	else
		mx->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	mx->n_conns--;
	free(c);
}

/* The response is sent: end our side, and read what the client may still send (a request
 * cut short as too large) until it closes, so that closing with unread input does not reset
 * the connection before the response is read. */
static void conn_linger(struct mconn *c)
{
	struct ev_loop *loop = c->mx->a->loop;

	shutdown(c->fd, SHUT_WR);
	c->draining = true;
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, EV_READ);
	ev_io_start(loop, &c->io);
	ev_timer_stop(loop, &c->timer);
	ev_timer_set(&c->timer, LINGER, 0);
	ev_timer_start(loop, &c->timer);
}

static void conn_drain(struct mconn *c)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(c->fd, buf, sizeof(buf), 0)) > 0)
		;
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		conn_close(c);
}

static void conn_write(struct mconn *c)
{
	for (;;) {
		struct iovec iov[2];
		int n = 0;
		ssize_t w;

		if (c->off < c->head_len)
			iov[n++] = (struct iovec){c->head + c->off, c->head_len - c->off};
		if (!c->head_only && c->off < c->head_len + c->body_len) {
			size_t bo = c->off > c->head_len ? c->off - c->head_len : 0;

			iov[n++] = (struct iovec){(void *)(c->body + bo), c->body_len - bo};
		}
		if (!n) {
			conn_linger(c); /* all sent: Connection: close */
			return;
		}
		w = writev(c->fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w <= 0) {
			conn_close(c);
			return;
		}
		c->off += (size_t)w;
	}
}

/* Queue a response and start writing it; body stays valid while the connection lives. */
static void respond(struct mconn *c, const char *status, const char *type, const char *extra,
		    const char *body, size_t len)
{
	struct ev_loop *loop = c->mx->a->loop;

	c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
				       "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
				       "%sConnection: close\r\n\r\n",
				       status, type, len, extra);
	c->body = body;
	c->body_len = len;
	c->off = 0;
	c->waiting = false;
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, EV_WRITE);
	ev_io_start(loop, &c->io);
	ev_timer_stop(loop, &c->timer);
	ev_timer_set(&c->timer, CONN_LIFE, 0);
	ev_timer_start(loop, &c->timer);
	conn_write(c);
}

static void respond_text(struct mconn *c, const char *status, const char *extra, const char *msg)
{
	respond(c, status, "text/plain; charset=utf-8", extra, msg, strlen(msg));
}

/* ---------------- scrapes ---------------- */

static void build_free(struct mbuild *b)
{
	body_unref(b->body);
	lmc_mtext_done(&b->pool);
	free(b->rows);
	free(b->e);
	free(b);
}

static void serve(struct mconn *c, struct mbody *body)
{
	c->shared = body;
	body->refs++;
	respond(c, "200 OK", LMC_MTEXT_CONTENT_TYPE, "", body->t.buf, body->t.len);
}

static void build_done(void *arg)
{
	struct mbuild *b = arg;
	struct lmc_metrics *mx = b->mx;
	struct mconn *c, *next;

	mx->building = NULL;
	if (mx->stopping) { /* completed while the agent stops: nobody waits */
		build_free(b);
		return;
	}
	if (b->r >= 0) {
		mx->prev_build_ns = b->build_ns;
		body_unref(mx->latest);
		mx->latest = b->body;
		mx->latest->refs++;
		mx->latest_ns = b->start_ns;
	}
	if ((b->r < 0) != mx->failing) /* a failure is logged once, until a scrape succeeds */
		lmc_agent_log("metrics: %s%s", b->r < 0 ? "cannot read: " : "reading again",
			      b->r < 0 ? b->why : "");
	mx->failing = b->r < 0;
	for (c = mx->conns; c; c = next) {
		next = c->next;
		if (!c->waiting)
			continue;
		if (b->r < 0) {
			respond_text(c, "500 Internal Server Error", "",
				     "cannot read the figures\n");
			continue;
		}
		serve(c, b->body);
	}
	build_free(b);
}

static int build_start(struct lmc_metrics *mx)
{
	struct agent *a = mx->a;
	struct mbuild *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->mx = mx;
	b->m = a->m;
	b->body = calloc(1, sizeof(*b->body));
	if (!b->body) {
		free(b);
		return -ENOMEM;
	}
	b->body->refs = 1;
	memcpy(b->hist, mx->hist, sizeof(b->hist));
	b->evictions = lmc_agent_evict_count(a);
	b->watched = lmc_agent_evict_watched(a);
	b->clients = a->n_clients;
	b->prev_build_ns = mx->prev_build_ns;
	b->start_ns = lmc_metrics_clock();
	r = lmc_metrics_build_plan(b, a->m);
	if (r >= 0)
		r = lmc_jobs_start(&a->jobs, lmc_metrics_build_work, build_done, b);
	if (r < 0) {
		build_free(b);
		return r;
	}
	mx->building = b;
	return 0;
}

/* Read again shortly before the next scrape is due: the interval between the last two, less
 * the last reading's time and a margin. Nothing when scrapes do not come regularly. */
static void prefetch_plan(struct lmc_metrics *mx, uint64_t now)
{
	double period = (double)(now - mx->last_scrape_ns) / 1e9, lead, delay;

	ev_timer_stop(mx->a->loop, &mx->prefetch);
	if (!mx->last_scrape_ns || period > PREFETCH_PERIOD_MAX || mx->a->metrics_max_age <= 0)
		return;
	lead = (double)mx->prev_build_ns / 1e9 + mx->a->metrics_max_age / 4;
	delay = period - lead; /* below 0: reading takes longer than the interval, start now */
	ev_timer_set(&mx->prefetch, delay > 0 ? delay : 0, 0);
	ev_timer_start(mx->a->loop, &mx->prefetch);
}

static void on_prefetch(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lmc_metrics *mx = container_of(w, struct lmc_metrics, prefetch);

	(void)loop;
	(void)revents;
	if (!mx->building && !mx->stopping)
		(void)build_start(mx); /* failing, the next scrape reads itself */
}

static void scrape(struct mconn *c)
{
	struct lmc_metrics *mx = c->mx;
	uint64_t now = lmc_metrics_clock();

	prefetch_plan(mx, now);
	mx->last_scrape_ns = now;
	if (mx->latest && (double)(now - mx->latest_ns) / 1e9 <= mx->a->metrics_max_age) {
		serve(c, mx->latest);
		return;
	}
	c->waiting = true;
	ev_io_stop(mx->a->loop, &c->io); /* nothing more is read from it */
	ev_timer_stop(mx->a->loop, &c->timer);
	ev_timer_set(&c->timer, CONN_LIFE, 0);
	ev_timer_start(mx->a->loop, &c->timer);
	if (!mx->building && build_start(mx) < 0)
		respond_text(c, "503 Service Unavailable", "", "the agent is short of resources\n");
}

/* ---------------- new containers, read ahead ---------------- */

static void fresh_clear(struct lmc_metrics *mx)
{
	for (size_t i = 0; i < mx->n_fresh; i++)
		free(mx->fresh[i]);
	free(mx->fresh);
	mx->fresh = NULL;
	mx->n_fresh = mx->cap_fresh = 0;
}

static void prime_done(void *arg)
{
	struct mprime *p = arg;

	p->mx->priming = NULL;
	free(p->e);
	free(p);
}

static void on_prime(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lmc_metrics *mx = container_of(w, struct lmc_metrics, prime);
	struct mprime *p;

	(void)revents;
	if (mx->stopping || !mx->n_fresh)
		return;
	if (mx->priming || mx->building) { /* one reading at a time */
		ev_timer_set(w, PRIME_QUIET, 0);
		ev_timer_start(loop, w);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (p)
		p->e = calloc(mx->n_fresh, sizeof(*p->e));
	if (!p || !p->e) {
		free(p);
		fresh_clear(mx); /* the scrape reads them */
		return;
	}
	p->mx = mx;
	p->m = mx->a->m;
	for (size_t i = 0; i < mx->n_fresh; i++)
		snprintf(p->e[i].name, sizeof(p->e[i].name), "%s", mx->fresh[i]);
	p->n = mx->n_fresh;
	fresh_clear(mx);
	if (lmc_jobs_start(&mx->a->jobs, lmc_metrics_prime_work, prime_done, p) < 0) {
		free(p->e);
		free(p);
		return;
	}
	mx->priming = p;
}

void lmc_metrics_created(struct lmc_metrics *mx, const char *name)
{
	uint64_t now = lmc_metrics_clock();
	double wait;
	char **v;

	if (!mx || mx->stopping || mx->n_fresh >= PRIME_MAX || !name[0])
		return;
	if (mx->n_fresh == mx->cap_fresh) {
		size_t cap = mx->cap_fresh ? 2 * mx->cap_fresh : 64;

		v = realloc(mx->fresh, cap * sizeof(*v));
		if (!v)
			return;
		mx->fresh = v;
		mx->cap_fresh = cap;
	}
	mx->fresh[mx->n_fresh] = strdup(name);
	if (!mx->fresh[mx->n_fresh])
		return;
	if (!mx->n_fresh++)
		mx->fresh_ns = now;
	wait = PRIME_WAIT - (double)(now - mx->fresh_ns) / 1e9;
	ev_timer_stop(mx->a->loop, &mx->prime);
	ev_timer_set(&mx->prime, wait < PRIME_QUIET ? (wait > 0 ? wait : 0) : PRIME_QUIET, 0);
	ev_timer_start(mx->a->loop, &mx->prime);
}

/* ---------------- requests ---------------- */

/* The request line of a complete head: 0, or an error response already queued. */
static void request(struct mconn *c)
{
	char *sp1, *sp2, *eol, *q;

	eol = strstr(c->req, "\r\n");
	sp1 = memchr(c->req, ' ', (size_t)(eol - c->req));
	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (!sp1 || !sp2 || (size_t)(eol - sp2 - 1) != 8 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
		respond_text(c, "400 Bad Request", "", "bad request line\n");
		return;
	}
	*sp1 = *sp2 = '\0';
	q = strchr(sp1 + 1, '?');
	if (q)
		*q = '\0'; /* parameters are not used */
	if (strcmp(sp1 + 1, "/metrics") != 0) {
		respond_text(c, "404 Not Found", "", "not found: this endpoint serves /metrics\n");
		return;
	}
	if (strcmp(c->req, "GET") != 0 && strcmp(c->req, "HEAD") != 0) {
		respond_text(c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n",
			     "method not allowed: GET or HEAD\n");
		return;
	}
	c->head_only = strcmp(c->req, "HEAD") == 0;
	scrape(c);
}

static void conn_read(struct mconn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->req + c->req_len, REQ_MAX - 1 - c->req_len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->req_len += (size_t)n;
		c->req[c->req_len] = '\0';
		if (strstr(c->req, "\r\n\r\n")) {
			request(c);
			return;
		}
		if (c->req_len == REQ_MAX - 1) {
			respond_text(c, "431 Request Header Fields Too Large", "",
				     "request head too large\n");
			return;
		}
	}
}

static void on_conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mconn *c = container_of(w, struct mconn, io);

	(void)loop;
	if (revents & EV_WRITE)
		conn_write(c);
	else if (c->draining)
		conn_drain(c);
	else
		conn_read(c);
}

/* The head did not arrive in time, or the response was not taken: the connection goes. */
static void on_conn_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	conn_close(container_of(w, struct mconn, timer));
}

/* Past CONNS_MAX a connection is told 503 (and lingers like any other, so that the answer is
 * not lost to a reset); past BUSY_MAX more it is closed at once. */
static void conn_new(struct lmc_metrics *mx, int fd)
{
	struct mconn *c = mx->n_conns < CONNS_MAX + BUSY_MAX ? calloc(1, sizeof(*c)) : NULL;
	bool busy = mx->n_conns >= CONNS_MAX;

	if (!c) {
		close(fd);
		return;
	}
	c->mx = mx;
	c->fd = fd;
	c->next = mx->conns;
	if (mx->conns)
		mx->conns->prev = c;
	mx->conns = c;
	mx->n_conns++;
	ev_io_init(&c->io, on_conn_io, fd, EV_READ);
	ev_io_start(mx->a->loop, &c->io);
	ev_timer_init(&c->timer, on_conn_timer, mx->a->idle_timeout, 0);
	ev_timer_start(mx->a->loop, &c->timer);
	if (busy)
		respond_text(c, "503 Service Unavailable", "", "too many connections\n");
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lmc_metrics *mx = container_of(w, struct lmc_metrics, lio);

	(void)revents;
	for (int i = 0; i < ACCEPTS_MAX; i++) {
		int fd = accept4(mx->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			conn_new(mx, fd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* Out of descriptors: rest instead of spinning on a readable socket. */
			ev_io_stop(loop, &mx->lio);
			ev_timer_set(&mx->accept_again, 0.5, 0);
			ev_timer_start(loop, &mx->accept_again);
		}
		return;
	}
}

static void on_accept_again(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lmc_metrics *mx = container_of(w, struct lmc_metrics, accept_again);

	(void)revents;
	ev_io_start(loop, &mx->lio);
}

/* ---------------- start and stop ---------------- */

static int listen_tcp(const struct lmc_metrics_addr *ad)
{
	int fd = socket(ad->u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return lmc_negerrno();
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (ad->u.sa.sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, &ad->u.sa, ad->len) < 0 || listen(fd, 64) < 0) {
		int r = lmc_negerrno();

		close(fd);
		return r;
	}
	return fd;
}

/* Where it listens, as a user writes it (the port the kernel chose for port 0). */
static void where(const struct lmc_metrics *mx, char *buf, size_t size)
{
	struct lmc_metrics_addr ad = {.len = sizeof(ad.u)};
	char host[INET6_ADDRSTRLEN] = "";

	if (mx->addr.u.sa.sa_family == AF_UNIX || getsockname(mx->lfd, &ad.u.sa, &ad.len) < 0) {
		snprintf(buf, size, "%s", mx->addr.u.un.sun_path);
		return;
	}
	if (ad.u.sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &ad.u.in6.sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, (unsigned)ntohs(ad.u.in6.sin6_port));
	} else {
		inet_ntop(AF_INET, &ad.u.in.sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, (unsigned)ntohs(ad.u.in.sin_port));
	}
}

int lmc_metrics_start(struct agent *a, const char *addr)
{
	struct lmc_metrics *mx = calloc(1, sizeof(*mx));
	char why[256], at[160];

	if (!mx)
		return -ENOMEM;
	mx->a = a;
	if (lmc_metrics_addr_parse(addr, &mx->addr, why, sizeof(why)) < 0) {
		lmc_agent_log("%s", why);
		free(mx);
		return -EINVAL;
	}
	mx->lfd = mx->addr.u.sa.sa_family == AF_UNIX ? lmc_agent_listen_unix(addr)
						     : listen_tcp(&mx->addr);
	if (mx->lfd < 0) {
		int r = mx->lfd;

		lmc_agent_log("metrics: cannot listen on %s: %s", addr, strerror(-r));
		free(mx);
		return r;
	}
	ev_io_init(&mx->lio, on_accept, mx->lfd, EV_READ);
	ev_io_start(a->loop, &mx->lio);
	ev_init(&mx->accept_again, on_accept_again);
	ev_init(&mx->prefetch, on_prefetch);
	ev_init(&mx->prime, on_prime);
	a->metrics = mx;
	where(mx, at, sizeof(at));
	lmc_agent_log("metrics: serving GET /metrics on %s", at);
	return 0;
}

void lmc_metrics_stop(struct agent *a)
{
	struct lmc_metrics *mx = a->metrics;

	if (!mx || mx->stopping)
		return;
	mx->stopping = true;
	while (mx->conns)
		conn_close(mx->conns);
	ev_io_stop(a->loop, &mx->lio);
	ev_timer_stop(a->loop, &mx->accept_again);
	ev_timer_stop(a->loop, &mx->prefetch);
	ev_timer_stop(a->loop, &mx->prime);
	fresh_clear(mx);
	body_unref(mx->latest);
	mx->latest = NULL;
	close(mx->lfd);
	if (mx->addr.u.sa.sa_family == AF_UNIX)
		unlink(mx->addr.u.un.sun_path);
}

void lmc_metrics_free(struct agent *a)
{
	lmc_metrics_stop(a);
	/* a build or reading under way was completed when the workers were joined */
	free(a->metrics);
	a->metrics = NULL;
}
