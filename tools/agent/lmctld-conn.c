/* lmctld's connections: accepting them within bounds (per uid, a reserve for root, a spare
 * descriptor so running out of them never spins the loop) and timing them out (a frame
 * must be complete in time, however slowly its bytes trickle; an idle connection goes). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nsutil/ns.h"
#include "tools/agent/lmctld.h"

/* Descriptors per connection beyond its socket (a run's pidfd, subscription sources) and
 * for the agent itself: what is left of RLIMIT_NOFILE bounds the connections. */
#define FDS_PER_CLIENT 2
#define FDS_OWN 256
#define NOFILE_WANT 65536

static void on_accept_again(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *a = container_of(w, struct agent, accept_again);

	(void)revents;
	if (a->spare_fd < 0)
		a->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ev_io_start(loop, &a->lio);
}

/* As many descriptors as the hard limit allows (up to NOFILE_WANT; the commands it starts
 * keep the soft limit it was given), and a client bound that leaves room for the rest. */
void lmc_agent_conn_init(struct agent *a)
{
	struct rlimit rl;
	rlim_t n = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < NOFILE_WANT && rl.rlim_cur < rl.rlim_max) {
			lmc_ns_set_child_nofile(rl.rlim_cur); /* what runs keep */
			rl.rlim_cur = rl.rlim_max < NOFILE_WANT ? rl.rlim_max : NOFILE_WANT;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		n = rl.rlim_cur;
	}
	n = n > FDS_OWN + 2 * ROOT_RESERVE ? (n - FDS_OWN) / FDS_PER_CLIENT : 2 * ROOT_RESERVE;
	a->max_clients = n < MAX_CLIENTS ? (unsigned)n : MAX_CLIENTS;
	a->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ev_init(&a->accept_again, on_accept_again);
}

void lmc_agent_conn_stop(struct agent *a)
{
	ev_timer_stop(a->loop, &a->accept_again);
	if (a->spare_fd >= 0)
		close(a->spare_fd);
	a->spare_fd = -1;
}

static unsigned clients_of_uid(const struct agent *a, uid_t uid)
{
	unsigned n = 0;

	for (const struct client *c = a->clients; c; c = c->next)
		n += c->peer.uid == uid && !c->dead;
	return n;
}

/* Tell a refused peer why (best effort: one non-blocking send), and log it once a second. */
static void refuse(struct agent *a, int fd, uid_t uid, int status, const char *why)
{
	uint8_t *buf, hdr[LMC_FRAME_HDR];
	size_t len;

	if (lmc_api_reply_error(0, status, why, &buf, &len) >= 0) {
		struct iovec iov[2] = {{hdr, sizeof(hdr)}, {buf, len}};
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};

		lmc_frame_header((uint32_t)len, hdr);
		(void)!sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(buf);
	}
	close(fd);
	if (ev_now(a->loop) - a->refused_logged >= 1.0) {
		a->refused_logged = ev_now(a->loop);
		lmc_agent_log("refusing a connection of uid %u: %s", (unsigned)uid, why);
	}
}

/* Out of descriptors: the spare one makes room to take the waiting connection off the
 * queue. Root's is kept, a non-root client giving its place; anyone else's is refused.
 * Without a spare the listening watcher rests a moment instead of spinning. */
static int accept_short(struct agent *a)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int fd, freed = lmc_ns_vspawn_release();

	/* First the low numbers kept for runs (nsutil/fdslots.c), the spare moved down among
	 * them: under a limit lowered below them, a spare above it frees nothing usable. */
	if (freed > 0) {
		lmc_agent_log("out of descriptors: the %d kept for runs given back", freed);
		if (a->spare_fd >= 0)
			close(a->spare_fd);
		a->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		return -EAGAIN;
	}
	if (a->spare_fd < 0) {
		ev_io_stop(a->loop, &a->lio);
		ev_timer_set(&a->accept_again, 0.1, 0);
		ev_timer_start(a->loop, &a->accept_again);
		return -EMFILE;
	}
	close(a->spare_fd);
	a->spare_fd = -1;
	fd = accept4(a->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 &&
	    cred.uid == 0) {
		for (struct client *c = a->clients; c; c = c->next)
			if (c->peer.uid != 0 && !c->busy && !c->dead) {
				lmc_agent_log("out of descriptors: uid %u's connection gives way "
					      "to root's",
					      (unsigned)c->peer.uid);
				lmc_agent_client_close(c);
				break;
			}
		a->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		return fd;
	}
	if (fd >= 0)
		refuse(a, fd, clen == sizeof(cred) ? cred.uid : (uid_t)-1, -EMFILE,
		       "the agent is out of file descriptors");
	a->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? -EAGAIN : lmc_negerrno();
}

static int client_new(struct agent *a, int fd, const struct ucred *cred)
{
	struct client *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->a = a;
	c->fd = fd;
	c->peer = (struct lmc_api_peer){.uid = cred->uid, .gid = cred->gid, .pid = cred->pid};
	c->last_active = ev_now(a->loop);
	lmc_frame_reader_init(&c->rd);
	ev_io_init(&c->rio, lmc_agent_on_client_read, fd, EV_READ);
	ev_io_init(&c->wio, lmc_agent_on_client_write, fd, EV_WRITE);
	ev_init(&c->idle, lmc_agent_client_timer);
	lmc_agent_client_arm(c);
	ev_io_start(a->loop, &c->rio);
	c->next = a->clients;
	if (a->clients)
		a->clients->prev = c;
	a->clients = c;
	a->n_clients++;
	return 0;
}

/* Admit one accepted connection, or refuse it with a reason. */
static void admit(struct agent *a, int fd)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char why[128];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		close(fd);
		return;
	}
	if (cred.uid != 0 && a->n_clients + ROOT_RESERVE >= a->max_clients)
		snprintf(why, sizeof(why), "too many connections (%u)", a->n_clients);
	else if (cred.uid == 0 && a->n_clients >= a->max_clients)
		snprintf(why, sizeof(why), "too many connections (%u)", a->n_clients);
	else if (cred.uid != 0 && clients_of_uid(a, cred.uid) >= CLIENTS_PER_UID)
		snprintf(why, sizeof(why), "uid %u has %u connections open, the most one uid may",
			 (unsigned)cred.uid, CLIENTS_PER_UID);
	else if (client_new(a, fd, &cred) < 0)
		snprintf(why, sizeof(why), "out of memory");
	else
		return;
	refuse(a, fd, cred.uid, -EUSERS, why);
}

void lmc_agent_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct agent *a = container_of(w, struct agent, lio);

	(void)loop;
	(void)revents;
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int fd = accept4(a->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && (errno == EMFILE || errno == ENFILE))
			fd = accept_short(a);
		if (fd == -EAGAIN)
			continue; /* one refused for want of descriptors; look again */
		if (fd < 0)
			return;
		admit(a, fd);
	}
}

/* ---------------- timers ---------------- */

void lmc_agent_client_arm(struct client *c)
{
	struct agent *a = c->a;
	ev_tstamp at = c->frame_start ? c->frame_start + a->idle_timeout
				      : c->last_active + a->conn_timeout;
	ev_tstamp left = at - ev_now(a->loop);

	ev_timer_stop(a->loop, &c->idle);
	ev_timer_set(&c->idle, left > 0.001 ? left : 0.001, 0);
	ev_timer_start(a->loop, &c->idle);
}

/* A frame's time is counted from its first byte (trickling does not extend it); a
 * connection with no frame under way and nothing waiting on it is closed once silent. */
void lmc_agent_client_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client *c = container_of(w, struct client, idle);
	ev_tstamp now = ev_now(loop);

	(void)revents;
	if (c->frame_start && !c->held && now >= c->frame_start + c->a->idle_timeout) {
		lmc_agent_log("client pid %d: a frame not complete %.1f s after it began, closing",
			      (int)c->peer.pid, c->a->idle_timeout);
		lmc_agent_client_close(c);
		return;
	}
	if ((!c->frame_start || c->held) && now >= c->last_active + c->a->conn_timeout) {
		if (!lmc_agent_client_waiting(c)) {
			lmc_agent_log("client pid %d: idle for %.0f s, closing", (int)c->peer.pid,
				      c->a->conn_timeout);
			lmc_agent_client_close(c);
			return;
		}
		c->last_active = now; /* waiting on something: look again later */
	}
	lmc_agent_client_arm(c);
}
