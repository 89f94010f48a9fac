/* libFuzzer target: the reader the agent runs on every connection, lmc_frame_reader_recv,
 * over a real non-blocking unix socket. The input is what a client writes: chopped into
 * send()s (a descriptor attached to some of them), then the client may hang up; every
 * complete frame goes through lmc_api_handle (every request type, dry run, as root or a
 * tenant) exactly as the agent would, and the reader's end state is checked: no descriptor
 * may leak, and a buffer never holds more than twice what arrived (the frame's, and what
 * was read past it). */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/api.h"
#include "proto/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int devnull = -1, pair[2] = {-1, -1};

/* Empty the socket of what a failed reader left (bytes and descriptors), so the pair can
 * serve the next input: a new pair per input would cost more than the reading. */
static void drain(int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 64)];
	} ctl;
	char b[8192];

	for (;;) {
		struct iovec iov = {b, sizeof(b)};
		struct msghdr msg = {.msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl.buf,
				     .msg_controllen = sizeof(ctl.buf)};

		if (recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int x;

				memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(x));
				close(x);
			}
	}
}

static void dispatch(const uint8_t *buf, size_t len, int *fds, size_t nfds, uid_t uid)
{
	struct lmc_api_peer peer = {.uid = uid, .gid = uid, .pid = 1};
	struct lmc_api_result res;
	struct lmc_api_resp resp;

	if (lmc_api_handle(NULL, &peer, buf, len, fds, nfds, LMC_API_DRY_RUN, &res) >= 0) {
		if (res.reply && lmc_api_resp_decode(res.reply, res.reply_len, &resp) >= 0)
			lmc_api_resp_done(&resp);
		else if (!(res.action == LMC_API_RUN && !res.detached))
			abort(); /* the agent's answer must decode */
		lmc_api_result_done(&res);
	}
}

/* Send one chunk, a descriptor beside it when asked. */
static void put(int fd, const uint8_t *p, size_t n, bool with_fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {(void *)p, n};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (with_fd) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &devnull, sizeof(int));
	}
	if (sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n)
		abort(); /* inputs are far below the socket's buffer */
}

static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) > 0;
}

/* Drain what the reader can take now, as the agent's read callback does, and again while
 * the socket is readable or frames wait in the reader (the agent's level-triggered watcher
 * and its fed events). */
static int pull(struct lmc_frame_reader *rd, int fd, uid_t uid)
{
	for (int idle = 0;;) {
		int fds[LMC_FRAME_FDS_MAX];
		size_t nfds = 0, len = 0;
		uint8_t *buf = NULL;
		int r = lmc_frame_reader_recv(rd, fd, &buf, &len, fds, LMC_FRAME_FDS_MAX, &nfds);

		if (r < 0)
			return r;
		if (r == 0) {
			if (lmc_frame_reader_pending(rd) || (readable(fd) && idle++ < 2))
				continue;
			return 0;
		}
		idle = 0;
		dispatch(buf, len, fds, nfds, uid);
		free(buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lmc_frame_reader rd;
	size_t off = 2, step, sent = 0;
	uid_t uid;
	int sv[2], r = 0, probe, fd_mark;

	if (size < 2)
		return 0;
	if (devnull < 0 &&
	    ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	     socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) < 0))
		abort();
	/* The lowest free descriptor now must be the lowest free one at the end. */
	fd_mark = dup(devnull);
	close(fd_mark);
	/* Byte 0: the peer and the chunk size; byte 1: which chunks carry a descriptor (bit
	 * i%7) and whether the client hangs up at the end (0x80). */
	uid = data[0] & 0x80 ? 12345 : 0;
	step = (size_t)(data[0] & 0x7f) * 8 + 1;
	/* At most 64 sends an input: byte-sized pieces for short inputs, and speed. */
	if (step < size / 64)
		step = size / 64;
	/* A hang-up ends a pair: that input gets its own. */
	if (data[1] & 0x80) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
			abort();
	} else {
		sv[0] = pair[0];
		sv[1] = pair[1];
	}
	lmc_frame_reader_init(&rd);
	for (unsigned i = 0; off < size && r >= 0; i++) {
		size_t n = size - off < step ? size - off : step;

		put(sv[0], data + off, n, data[1] & (1u << (i % 7)));
		off += n;
		sent += n;
		r = pull(&rd, sv[1], uid);
		if ((rd.buf && rd.cap > 2 * sent + LMC_FRAME_CHUNK) || rd.rest_len > sent)
			abort(); /* memory must follow what arrived */
	}
	if (r >= 0 && (data[1] & 0x80)) {
		shutdown(sv[0], SHUT_WR);
		r = pull(&rd, sv[1], uid);
		if (r == 0)
			abort(); /* a hang-up must be seen */
	}
	lmc_frame_reader_done(&rd);
	if (data[1] & 0x80) {
		close(sv[0]);
		close(sv[1]);
	} else {
		drain(sv[1]);
	}
	/* Every descriptor that arrived was closed or handed on and closed: none leaks. */
	probe = dup(devnull);
	if (probe != fd_mark)
		abort();
	close(probe);
	return 0;
}
