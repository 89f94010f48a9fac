/* Length-prefixed framing over unix sockets: an incremental reader for the agent's
 * non-blocking connections, and blocking send/receive for the CLI. A reader never reads
 * past the frame it is filling, so descriptors passed beside a frame stay with it. */
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/macro.h"
#include "proto/frame.h"

void lmc_frame_header(uint32_t len, uint8_t out[LMC_FRAME_HDR])
{
	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
}

void lmc_frame_reader_init(struct lmc_frame_reader *r)
{
	memset(r, 0, sizeof(*r));
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

void lmc_frame_reader_done(struct lmc_frame_reader *r)
{
	free(r->buf);
	close_fds(r->fds, r->nfds);
	lmc_frame_reader_init(r);
}

static int fail(struct lmc_frame_reader *r, int code)
{
	r->error = code;
	return code;
}

/* The header is in: check the announced length. The buffer starts small and grows with
 * what arrives (room), so a peer that announces 4 MiB and sends a byte costs a byte. */
static int header_done(struct lmc_frame_reader *r)
{
	uint32_t len = (uint32_t)r->hdr[0] << 24 | (uint32_t)r->hdr[1] << 16 |
		       (uint32_t)r->hdr[2] << 8 | r->hdr[3];
	size_t cap = len < LMC_FRAME_CHUNK ? len : LMC_FRAME_CHUNK;

	if (len > LMC_FRAME_MAX)
		return fail(r, -EMSGSIZE);
	r->buf = malloc(cap ? cap : 1);
	if (!r->buf)
		return fail(r, -ENOMEM);
	r->len = len;
	r->cap = cap;
	r->got = 0;
	return 0;
}

/* Room for the next bytes of the frame: at least one byte (0 only when it is complete),
 * doubling the buffer once it is full, never past the announced length. */
static int room(struct lmc_frame_reader *r, size_t *ret)
{
	if (r->got == r->cap && r->cap < r->len) {
		size_t cap = r->cap * 2 < r->len ? r->cap * 2 : r->len;
		uint8_t *p = realloc(r->buf, cap);

		if (!p)
			return fail(r, -ENOMEM);
		r->buf = p;
		r->cap = cap;
	}
	*ret = r->cap - r->got;
	return 0;
}

/* Hand the completed frame to the caller and get ready for the next header. */
static int take(struct lmc_frame_reader *r, uint8_t **ret_buf, size_t *ret_len)
{
	*ret_buf = r->buf;
	*ret_len = r->len;
	r->buf = NULL;
	r->len = r->cap = r->got = r->hdr_got = 0;
	return 1;
}

int lmc_frame_reader_feed(struct lmc_frame_reader *r, const uint8_t *data, size_t n,
			  size_t *ret_used, uint8_t **ret_buf, size_t *ret_len)
{
	size_t used = 0, k;
	int ret;

	*ret_used = 0;
	if (r->error)
		return r->error;
	if (r->hdr_got < LMC_FRAME_HDR) {
		k = LMC_FRAME_HDR - r->hdr_got;
		k = k < n ? k : n;
		memcpy(r->hdr + r->hdr_got, data, k);
		r->hdr_got += k;
		used = *ret_used = k;
		if (r->hdr_got < LMC_FRAME_HDR)
			return 0;
		ret = header_done(r);
		if (ret < 0)
			return ret;
	}
	while (r->got < r->len && used < n) {
		ret = room(r, &k);
		if (ret < 0)
			return ret;
		k = k < n - used ? k : n - used;
		memcpy(r->buf + r->got, data + used, k);
		r->got += k;
		used += k;
	}
	*ret_used = used;
	if (r->got < r->len)
		return 0;
	return take(r, ret_buf, ret_len);
}

/* Keep the descriptors of one control message; more than the cap fails the reader. */
static int collect_fds(struct lmc_frame_reader *r, struct msghdr *msg)
{
	int ret = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (r->nfds < LMC_FRAME_FDS_MAX) {
				r->fds[r->nfds++] = fd;
			} else {
				close(fd);
				ret = -EBADMSG;
			}
		}
	}
	if (msg->msg_flags & MSG_CTRUNC)
		ret = -EBADMSG;
	return ret < 0 ? fail(r, ret) : 0;
}

/* One recvmsg of at most the rest of the current header or frame. >0 bytes, 0 EOF. */
static ssize_t recv_some(struct lmc_frame_reader *r, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * LMC_FRAME_FDS_MAX)];
	} ctl;
	struct iovec iov;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;
	int ret;

	if (r->hdr_got < LMC_FRAME_HDR) {
		iov.iov_base = r->hdr + r->hdr_got;
		iov.iov_len = LMC_FRAME_HDR - r->hdr_got;
	} else {
		ret = room(r, &iov.iov_len);
		if (ret < 0)
			return ret;
		iov.iov_base = r->buf + r->got;
	}
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	do {
		n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return lmc_negerrno();
	ret = collect_fds(r, &msg);
	return ret < 0 ? ret : n;
}

/* Move the frame's descriptors to the caller (up to cap), closing the rest. */
static void hand_fds(struct lmc_frame_reader *r, int *fds, size_t cap, size_t *ret_nfds)
{
	size_t n = r->nfds < cap ? r->nfds : cap;

	if (n)
		memcpy(fds, r->fds, n * sizeof(int));
	close_fds(r->fds + n, r->nfds - n);
	r->nfds = 0;
	if (ret_nfds)
		*ret_nfds = n;
}

int lmc_frame_reader_recv(struct lmc_frame_reader *r, int fd, uint8_t **ret_buf, size_t *ret_len,
			  int *fds, size_t fds_cap, size_t *ret_nfds)
{
	for (;;) {
		ssize_t n;
		int ret;

		if (r->error)
			return r->error;
		if (r->hdr_got == LMC_FRAME_HDR && r->got == r->len) {
			/* a zero-length frame needs no read */
			hand_fds(r, fds, fds ? fds_cap : 0, ret_nfds);
			return take(r, ret_buf, ret_len);
		}
		n = recv_some(r, fd);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return 0;
		if (n < 0)
			return n == -EBADMSG ? (int)n : fail(r, (int)n);
		if (n == 0)
			return fail(r, r->hdr_got == 0 ? -EPIPE : -ECONNRESET);
		if (r->hdr_got < LMC_FRAME_HDR) {
			r->hdr_got += (size_t)n;
			if (r->hdr_got == LMC_FRAME_HDR && (ret = header_done(r)) < 0)
				return ret;
		} else {
			r->got += (size_t)n;
		}
	}
}

static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n;

	n = poll(&p, 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : lmc_negerrno();
	return n == 0 ? -ETIMEDOUT : 0;
}

/* Point iov at what is left to send after `sent` bytes of header + payload. */
static int rest_iov(struct iovec iov[2], uint8_t *hdr, const uint8_t *buf, size_t len, size_t sent)
{
	if (sent < LMC_FRAME_HDR) {
		iov[0] = (struct iovec){hdr + sent, LMC_FRAME_HDR - sent};
		iov[1] = (struct iovec){(void *)buf, len};
		return len ? 2 : 1;
	}
	iov[0] = (struct iovec){(void *)(buf + sent - LMC_FRAME_HDR), len + LMC_FRAME_HDR - sent};
	return 1;
}

int lmc_frame_send(int fd, const uint8_t *buf, size_t len, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * LMC_FRAME_FDS_MAX)];
	} ctl;
	uint8_t hdr[LMC_FRAME_HDR];
	struct iovec iov[2];
	struct msghdr msg = {.msg_iov = iov};
	size_t sent = 0;

	if (len > LMC_FRAME_MAX)
		return -EMSGSIZE;
	if (nfds > LMC_FRAME_FDS_MAX || (nfds && !fds))
		return -EINVAL;
	lmc_frame_header((uint32_t)len, hdr);
	if (nfds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	while (sent < len + LMC_FRAME_HDR) {
		ssize_t n;
		int ret;

		msg.msg_iovlen = rest_iov(iov, hdr, buf, len, sent);
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ret = wait_fd(fd, POLLOUT, -1);
			if (ret < 0)
				return ret;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return lmc_negerrno();
		/* the descriptors went with the first bytes */
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
		sent += (size_t)n;
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lmc_frame_recv(int fd, uint8_t **ret_buf, size_t *ret_len, int *fds, size_t *nfds,
		   int timeout_ms)
{
	struct lmc_frame_reader r;
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	size_t cap = fds && nfds ? *nfds : 0;
	int ret;

	lmc_frame_reader_init(&r);
	for (;;) {
		size_t got = 0;
		int wait = -1;

		ret = lmc_frame_reader_recv(&r, fd, ret_buf, ret_len, fds, cap, &got);
		if (ret > 0 && nfds)
			*nfds = got;
		if (ret != 0)
			break;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			wait = left > 0 ? (int)left : 0;
		}
		ret = wait_fd(fd, POLLIN, wait);
		if (ret < 0)
			break;
	}
	lmc_frame_reader_done(&r);
	return ret < 0 ? ret : 0;
}
