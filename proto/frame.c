/* Length-prefixed framing over unix sockets: an incremental reader for the agent's
 * non-blocking connections (one recvmsg for what the socket has, several frames at a time),
 * and blocking send/receive for the CLI (one frame, never read past it). */
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/macro.h"
#include "base/util.h"
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

void lmc_frame_reader_done(struct lmc_frame_reader *r)
{
	bool exact = r->exact;

	free(r->buf);
	free(r->rest);
	for (unsigned i = 0; i < r->nfds; i++)
		close(r->fds[i].fd);
	lmc_frame_reader_init(r);
	r->exact = exact;
}

bool lmc_frame_reader_pending(const struct lmc_frame_reader *r)
{
	return !r->error && r->rest_off < r->rest_len;
}

bool lmc_frame_reader_more(const struct lmc_frame_reader *r)
{
	return lmc_frame_reader_pending(r) || (!r->error && !r->drained);
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
	r->seq++;
	return 1;
}

/* Consume bytes from data (n bytes), never past the end of the current frame: *ret_used
 * says how many were taken. 1 when a frame is complete (*ret_buf malloc'd, owned by the
 * caller, non-NULL even for len 0), 0 when more bytes are needed, -EMSGSIZE for an
 * announced length over LMC_FRAME_MAX. Call again with the rest while *ret_used < n. */
static int feed(struct lmc_frame_reader *r, const uint8_t *data, size_t n, size_t *ret_used,
		uint8_t **ret_buf, size_t *ret_len)
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

/* The frame that the last of n bytes read now began in, or the one being filled if none
 * began there: the bytes are walked as feed would take them (headers and lengths). */
static uint64_t last_start(const struct lmc_frame_reader *r, const uint8_t *p, size_t n)
{
	uint8_t hdr[LMC_FRAME_HDR];
	size_t hg = r->hdr_got, left = hg == LMC_FRAME_HDR ? r->len - r->got : 0, i = 0, k;
	uint64_t seq = r->seq, last = r->seq;

	memcpy(hdr, r->hdr, hg);
	while (i < n) {
		if (hg < LMC_FRAME_HDR) {
			if (hg == 0)
				last = seq;
			hdr[hg++] = p[i++];
			if (hg < LMC_FRAME_HDR)
				continue;
			left = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 |
			       hdr[3];
			if (left > LMC_FRAME_MAX)
				break; /* feed refuses it */
		}
		k = left < n - i ? left : n - i;
		i += k;
		left -= k;
		if (!left) {
			seq++;
			hg = 0;
		}
	}
	return last;
}

/* Keep the descriptors of one control message for frame seq; more than
 * LMC_FRAME_FDS_MAX for one frame fails the reader. */
static int collect_fds(struct lmc_frame_reader *r, struct msghdr *msg, uint64_t seq)
{
	unsigned have = 0;
	int ret = 0;

	for (unsigned i = 0; i < r->nfds; i++)
		have += r->fds[i].seq == seq;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (have < LMC_FRAME_FDS_MAX && r->nfds < ARRAY_SIZE(r->fds)) {
				r->fds[r->nfds++] = (struct lmc_frame_fd){fd, seq};
				have++;
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

/* One recvmsg into iov. >0 bytes, 0 EOF, -errno; descriptors are kept for the frame
 * last_start names (computed on the bytes once they are in). */
static ssize_t recv_into(struct lmc_frame_reader *r, int fd, void *base, size_t size)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * LMC_FRAME_FDS_MAX)];
	} ctl;
	struct iovec iov = {base, size};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf)};
	ssize_t n;
	int ret;

	do {
		n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return lmc_negerrno();
	r->drained = (size_t)n < size;
	if (msg.msg_controllen == 0)
		return n;
	ret = collect_fds(r, &msg, n > 0 ? last_start(r, base, (size_t)n) : r->seq);
	return ret < 0 ? ret : n;
}

/* Move the completed frame's descriptors (seq just taken) to the caller (up to cap),
 * closing the rest; a later frame's stay. */
static void hand_fds(struct lmc_frame_reader *r, uint64_t seq, int *fds, size_t cap,
		     size_t *ret_nfds)
{
	unsigned keep = 0;
	size_t n = 0;

	for (unsigned i = 0; i < r->nfds; i++) {
		if (r->fds[i].seq != seq)
			r->fds[keep++] = r->fds[i];
		else if (n < cap)
			fds[n++] = r->fds[i].fd;
		else
			close(r->fds[i].fd);
	}
	r->nfds = keep;
	if (ret_nfds)
		*ret_nfds = n;
}

/* Feed p[0..n) (read just now, or kept from before); the bytes past a complete frame are
 * kept in rest. 1 with a frame, 0 all taken, -errno. */
static int feed_some(struct lmc_frame_reader *r, const uint8_t *p, size_t n, uint8_t **ret_buf,
		     size_t *ret_len)
{
	size_t used = 0;
	int ret = feed(r, p, n, &used, ret_buf, ret_len);

	if (r->rest && p >= r->rest && p < r->rest + r->rest_len) {
		r->rest_off += used; /* still inside rest */
		return ret;
	}
	if (ret <= 0 || used == n)
		return ret;
	free(r->rest);
	r->rest = malloc(n - used);
	if (!r->rest) {
		free(*ret_buf);
		return fail(r, -ENOMEM);
	}
	memcpy(r->rest, p + used, n - used);
	r->rest_len = n - used;
	r->rest_off = 0;
	return ret;
}

/* Where the next read goes: straight into a large frame's buffer (no copy, never past it),
 * or a header and rest of the frame only in exact mode; else tmp. */
static ssize_t read_next(struct lmc_frame_reader *r, int fd, uint8_t *tmp, bool *direct)
{
	size_t k;
	int ret;

	*direct = r->hdr_got == LMC_FRAME_HDR && (r->exact || r->len - r->got >= LMC_FRAME_CHUNK);
	if (*direct) {
		ret = room(r, &k);
		if (ret < 0)
			return ret;
		return recv_into(r, fd, r->buf + r->got, k);
	}
	if (r->exact)
		return recv_into(r, fd, r->hdr + r->hdr_got, LMC_FRAME_HDR - r->hdr_got);
	return recv_into(r, fd, tmp, LMC_FRAME_CHUNK);
}

/* The bytes read (n of them) taken in: 1 with a complete frame, 0, -errno. */
static int took(struct lmc_frame_reader *r, const uint8_t *tmp, size_t n, bool direct,
		uint8_t **ret_buf, size_t *ret_len)
{
	if (direct) {
		r->got += n;
		return r->got == r->len ? take(r, ret_buf, ret_len) : 0;
	}
	if (!r->exact)
		return feed_some(r, tmp, n, ret_buf, ret_len);
	r->hdr_got += n;
	if (r->hdr_got < LMC_FRAME_HDR)
		return 0;
	if (header_done(r) < 0)
		return r->error;
	return r->len == 0 ? take(r, ret_buf, ret_len) : 0;
}

/* The frames kept from an earlier read first: 1 with one, 0 when they are used up. */
static int from_rest(struct lmc_frame_reader *r, uint8_t **ret_buf, size_t *ret_len)
{
	int ret = 0;

	if (r->rest_off < r->rest_len)
		ret = feed_some(r, r->rest + r->rest_off, r->rest_len - r->rest_off, ret_buf,
				ret_len);
	if (ret < 0 || r->rest_off >= r->rest_len) {
		free(r->rest);
		r->rest = NULL;
		r->rest_len = r->rest_off = 0;
	}
	return ret;
}

int lmc_frame_reader_recv(struct lmc_frame_reader *r, int fd, uint8_t **ret_buf, size_t *ret_len,
			  int *fds, size_t fds_cap, size_t *ret_nfds)
{
	uint8_t tmp[LMC_FRAME_CHUNK];
	uint64_t seq = r->seq;
	bool direct;
	ssize_t n;
	int ret;

	if (ret_nfds)
		*ret_nfds = 0;
	if (r->error)
		return r->error;
	ret = from_rest(r, ret_buf, ret_len);
	while (ret == 0) {
		if (r->hdr_got == LMC_FRAME_HDR && r->got == r->len) {
			ret = take(r, ret_buf, ret_len); /* a zero-length frame needs no read */
			break;
		}
		if (r->drained && !r->exact) {
			r->drained = false; /* the socket had nothing more: wait for it */
			return 0;
		}
		n = read_next(r, fd, tmp, &direct);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return 0;
		if (n < 0)
			return r->error ? r->error : fail(r, (int)n);
		if (n == 0)
			return fail(r, r->hdr_got == 0 && !r->buf ? -EPIPE : -ECONNRESET);
		ret = took(r, tmp, (size_t)n, direct, ret_buf, ret_len);
	}
	if (ret < 0)
		return r->error ? r->error : ret;
	hand_fds(r, seq, fds, fds ? fds_cap : 0, ret_nfds);
	return ret;
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

int lmc_frame_recv(int fd, uint8_t **ret_buf, size_t *ret_len, int *fds, size_t *nfds,
		   int timeout_ms)
{
	struct lmc_frame_reader r;
	int64_t deadline = timeout_ms < 0 ? -1 : lmc_util_now_ms() + timeout_ms;
	size_t cap = fds && nfds ? *nfds : 0;
	int ret;

	lmc_frame_reader_init(&r);
	r.exact = true; /* the next frame is the caller's next call's, with its descriptors */
	for (;;) {
		size_t got = 0;
		int wait = -1;

		/* Wait first: an answer is seldom there the moment its request has gone, and a
		 * read that finds nothing costs a system call (poll, header, body: three). */
		if (deadline >= 0) {
			int64_t left = deadline - lmc_util_now_ms();

			wait = left > 0 ? (int)left : 0;
		}
		ret = wait_fd(fd, POLLIN, wait);
		if (ret < 0)
			break;
		ret = lmc_frame_reader_recv(&r, fd, ret_buf, ret_len, fds, cap, &got);
		if (ret > 0 && nfds)
			*nfds = got;
		if (ret != 0)
			break;
	}
	lmc_frame_reader_done(&r);
	return ret < 0 ? ret : 0;
}
