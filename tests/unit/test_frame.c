/* Framing, always through the reader the agent runs (lmc_frame_reader_recv) or the CLI's
 * (lmc_frame_recv) over a socketpair: a stream written byte by byte and in chunks, the size
 * cap, descriptors beside frames, timeouts and peers that close early. */
#include <setjmp.h>
#include <sys/ioctl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto/frame.h"

/* Three frames back to back: lengths 0, 5 and 1000. */
struct stream {
	uint8_t bytes[3 * LMC_FRAME_HDR + 1005];
	size_t n;
	uint8_t big[1000];
};

static void make_stream(struct stream *s)
{
	static const size_t lens[] = {0, 5, 1000};

	for (size_t i = 0; i < sizeof(s->big); i++)
		s->big[i] = (uint8_t)(i * 7 + 1);
	s->n = 0;
	for (size_t f = 0; f < 3; f++) {
		lmc_frame_header((uint32_t)lens[f], s->bytes + s->n);
		s->n += LMC_FRAME_HDR;
		memcpy(s->bytes + s->n, f == 1 ? (const uint8_t *)"hello" : s->big, lens[f]);
		s->n += lens[f];
	}
}

static void check_frame(int idx, const uint8_t *buf, size_t len, const struct stream *s)
{
	assert_non_null(buf);
	switch (idx) {
	case 0:
		assert_int_equal(len, 0);
		break;
	case 1:
		assert_int_equal(len, 5);
		assert_memory_equal(buf, "hello", 5);
		break;
	case 2:
		assert_int_equal(len, 1000);
		assert_memory_equal(buf, s->big, 1000);
		break;
	default:
		fail_msg("frame %d: only three were sent", idx);
	}
}

static void sockpair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

/* The client's end sv[0] (blocking), the agent's sv[1] (non-blocking, as the agent has it). */
static void agent_pair(int sv[2])
{
	sockpair(sv);
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
}

/* Every frame the reader has for now, checked against s in order from *frames. */
static void recv_ready(struct lmc_frame_reader *r, int fd, const struct stream *s, int *frames)
{
	uint8_t *buf = NULL;
	size_t len = 0, nfds = 0;
	int ret;

	while ((ret = lmc_frame_reader_recv(r, fd, &buf, &len, NULL, 0, &nfds)) == 1) {
		check_frame((*frames)++, buf, len, s);
		free(buf);
	}
	assert_int_equal(ret, 0);
}

/* Write the stream in pieces of `chunk` bytes, reading after each; returns the frames seen. */
static int feed_stream(const struct stream *s, size_t chunk)
{
	struct lmc_frame_reader r;
	int sv[2], frames = 0;

	agent_pair(sv);
	lmc_frame_reader_init(&r);
	for (size_t off = 0; off < s->n; off += chunk) {
		size_t n = s->n - off < chunk ? s->n - off : chunk;

		assert_int_equal(write(sv[0], s->bytes + off, n), (ssize_t)n);
		recv_ready(&r, sv[1], s, &frames);
	}
	/* nothing half-read is left over */
	assert_int_equal(r.hdr_got, 0);
	assert_null(r.buf);
	assert_false(lmc_frame_reader_pending(&r));
	lmc_frame_reader_done(&r);
	close(sv[0]);
	close(sv[1]);
	return frames;
}

static void test_header_big_endian(void **state)
{
	uint8_t h[LMC_FRAME_HDR];
	(void)state;

	lmc_frame_header(0x01020304, h);
	assert_memory_equal(h, "\x01\x02\x03\x04", 4);
	lmc_frame_header(LMC_FRAME_MAX, h);
	assert_memory_equal(h, "\x00\x40\x00\x00", 4);
}

static void test_feed_byte_by_byte(void **state)
{
	struct stream s;
	(void)state;

	make_stream(&s);
	assert_int_equal(feed_stream(&s, 1), 3);
}

static void test_feed_chunks(void **state)
{
	static const size_t chunks[] = {2, 3, 4, 5, 7, 9, 13, 64, 999, 1001, 4096};
	struct stream s;
	(void)state;

	make_stream(&s);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
		assert_int_equal(feed_stream(&s, chunks[i]), 3);
}

static void test_feed_oversize_refused(void **state)
{
	static const uint32_t lens[] = {LMC_FRAME_MAX + 1, 0xffffffffu, 0x80000000u};
	(void)state;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct lmc_frame_reader r;
		uint8_t data[LMC_FRAME_HDR + 16] = {0};
		uint8_t *buf = NULL;
		size_t len = 0, nfds = 0;
		int sv[2];

		agent_pair(sv);
		lmc_frame_header(lens[i], data);
		lmc_frame_reader_init(&r);
		/* three header bytes: nothing decided yet */
		assert_int_equal(write(sv[0], data, 3), 3);
		assert_int_equal(lmc_frame_reader_recv(&r, sv[1], &buf, &len, NULL, 0, &nfds), 0);
		/* the fourth: refused at once, nothing allocated */
		assert_int_equal(write(sv[0], data + 3, sizeof(data) - 3),
				 (ssize_t)sizeof(data) - 3);
		assert_int_equal(lmc_frame_reader_recv(&r, sv[1], &buf, &len, NULL, 0, &nfds),
				 -EMSGSIZE);
		assert_null(r.buf);
		assert_null(buf);
		/* and it stays refused */
		assert_int_equal(write(sv[0], "x", 1), 1);
		assert_int_equal(lmc_frame_reader_recv(&r, sv[1], &buf, &len, NULL, 0, &nfds),
				 -EMSGSIZE);
		lmc_frame_reader_done(&r);
		close(sv[0]);
		close(sv[1]);
	}
}

/* A frame of exactly LMC_FRAME_MAX bytes, from another process (it does not fit the socket's
 * buffer), is taken whole. */
static void test_feed_exact_cap_accepted(void **state)
{
	struct lmc_frame_reader r;
	uint8_t *payload = calloc(1, LMC_FRAME_MAX), *buf = NULL;
	size_t len = 0, nfds = 0;
	int sv[2], ret, status;
	pid_t pid;
	(void)state;

	assert_non_null(payload);
	payload[LMC_FRAME_MAX - 1] = 0x5a;
	agent_pair(sv);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(lmc_frame_send(sv[0], payload, LMC_FRAME_MAX, NULL, 0) == 0 ? 0 : 1);
	close(sv[0]);
	lmc_frame_reader_init(&r);
	for (;;) {
		struct pollfd pfd = {.fd = sv[1], .events = POLLIN};

		ret = lmc_frame_reader_recv(&r, sv[1], &buf, &len, NULL, 0, &nfds);
		if (ret != 0)
			break;
		assert_int_equal(poll(&pfd, 1, 10000), 1);
	}
	assert_int_equal(ret, 1);
	assert_int_equal(len, LMC_FRAME_MAX);
	assert_int_equal(buf[LMC_FRAME_MAX - 1], 0x5a);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(buf);
	free(payload);
	lmc_frame_reader_done(&r);
	close(sv[1]);
}

/* A descriptor sent beside a frame arrives with it and refers to the same pipe. */
static void test_send_recv_with_fds(void **state)
{
	int sv[2], p[2], fds[LMC_FRAME_FDS_MAX];
	size_t nfds = LMC_FRAME_FDS_MAX, len = 0;
	uint8_t *buf = NULL;
	char got[8] = {0};
	(void)state;

	sockpair(sv);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(lmc_frame_send(sv[0], (const uint8_t *)"run", 3, &p[1], 1), 0);
	assert_int_equal(lmc_frame_recv(sv[1], &buf, &len, fds, &nfds, 1000), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "run", 3);
	free(buf);
	assert_int_equal(nfds, 1);
	assert_true(fds[0] >= 0 && fds[0] != p[1]);
	assert_int_equal(fcntl(fds[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(write(fds[0], "via fd", 6), 6);
	assert_int_equal(read(p[0], got, sizeof(got)), 6);
	assert_string_equal(got, "via fd");
	close(fds[0]);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/* Two frames in the socket, descriptors with the second: the reader stops at the first
 * frame's end, so the descriptors come out with the second, not the first. */
static void test_reader_keeps_fds_with_their_frame(void **state)
{
	struct lmc_frame_reader r;
	int sv[2], p[2], fds[4];
	uint8_t *buf = NULL;
	size_t len = 0, nfds = 99;
	(void)state;

	sockpair(sv);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(lmc_frame_send(sv[0], (const uint8_t *)"one", 3, NULL, 0), 0);
	assert_int_equal(lmc_frame_send(sv[0], (const uint8_t *)"two!", 4, p, 2), 0);
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	lmc_frame_reader_init(&r);
	assert_int_equal(lmc_frame_reader_recv(&r, sv[1], &buf, &len, fds, 4, &nfds), 1);
	assert_int_equal(len, 3);
	assert_int_equal(nfds, 0);
	free(buf);
	assert_int_equal(lmc_frame_reader_recv(&r, sv[1], &buf, &len, fds, 4, &nfds), 1);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "two!", 4);
	assert_int_equal(nfds, 2);
	free(buf);
	/* nothing more for now: would block */
	assert_int_equal(lmc_frame_reader_recv(&r, sv[1], &buf, &len, fds + 2, 2, &nfds), 0);
	close(fds[0]);
	close(fds[1]);
	/* the peer leaves between frames */
	close(sv[0]);
	assert_int_equal(lmc_frame_reader_recv(&r, sv[1], &buf, &len, NULL, 0, &nfds), -EPIPE);
	lmc_frame_reader_done(&r);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}

/* Pipelined frames: the first read takes all three (the socket is empty after the first
 * frame is handed out), the others come from what was read, in order. */
static void test_reader_takes_pipelined_frames_at_once(void **state)
{
	struct lmc_frame_reader r;
	const char *const words[] = {"alpha", "", "gamma!"};
	uint8_t *buf = NULL;
	size_t len = 0, nfds = 0;
	int sv[2], queued = -1;
	(void)state;

	sockpair(sv);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(lmc_frame_send(sv[0], (const uint8_t *)words[i], strlen(words[i]),
						NULL, 0),
				 0);
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	lmc_frame_reader_init(&r);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(lmc_frame_reader_recv(&r, sv[1], &buf, &len, NULL, 0, &nfds), 1);
		assert_int_equal(len, strlen(words[i]));
		assert_memory_equal(buf, words[i], len);
		free(buf);
		assert_int_equal(ioctl(sv[1], FIONREAD, &queued), 0);
		assert_int_equal(queued, 0);
		assert_int_equal(lmc_frame_reader_pending(&r), i < 2);
	}
	assert_int_equal(lmc_frame_reader_recv(&r, sv[1], &buf, &len, NULL, 0, &nfds), 0);
	lmc_frame_reader_done(&r);
	close(sv[0]);
	close(sv[1]);
}

/* Raw sendmsg of n descriptors with one byte. */
static void send_raw_fds(int sock, const uint8_t *data, size_t len, int fd, size_t n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 16)];
	} ctl;
	struct iovec iov = {(void *)data, len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;

	memset(&ctl, 0, sizeof(ctl));
	msg.msg_control = ctl.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	for (size_t i = 0; i < n; i++)
		memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(int));
	assert_int_equal(sendmsg(sock, &msg, 0), (ssize_t)len);
}

static void test_too_many_fds_refused(void **state)
{
	int sv[2], fds[LMC_FRAME_FDS_MAX + 1];
	uint8_t hdr[LMC_FRAME_HDR], *buf = NULL;
	size_t len = 0, nfds = 0;
	(void)state;

	for (int i = 0; i <= LMC_FRAME_FDS_MAX; i++)
		fds[i] = 0;
	sockpair(sv);
	assert_int_equal(lmc_frame_send(sv[0], hdr, 1, fds, LMC_FRAME_FDS_MAX + 1), -EINVAL);
	lmc_frame_header(1, hdr);
	send_raw_fds(sv[0], hdr, LMC_FRAME_HDR, 0, LMC_FRAME_FDS_MAX + 1);
	assert_int_equal(write(sv[0], "x", 1), 1);
	nfds = 0;
	assert_int_equal(lmc_frame_recv(sv[1], &buf, &len, NULL, &nfds, 1000), -EBADMSG);
	assert_null(buf);
	close(sv[0]);
	close(sv[1]);
}

static void test_recv_timeout_and_early_close(void **state)
{
	int sv[2];
	uint8_t hdr[LMC_FRAME_HDR], *buf = NULL;
	size_t len = 0;
	(void)state;

	/* nothing sent */
	sockpair(sv);
	assert_int_equal(lmc_frame_recv(sv[1], &buf, &len, NULL, NULL, 50), -ETIMEDOUT);
	/* half a frame, then a stall */
	lmc_frame_header(10, hdr);
	assert_int_equal(write(sv[0], hdr, 4), 4);
	assert_int_equal(write(sv[0], "abc", 3), 3);
	assert_int_equal(lmc_frame_recv(sv[1], &buf, &len, NULL, NULL, 50), -ETIMEDOUT);
	close(sv[0]);
	close(sv[1]);

	/* the peer closes before any byte, and in the middle of a frame */
	sockpair(sv);
	close(sv[0]);
	assert_int_equal(lmc_frame_recv(sv[1], &buf, &len, NULL, NULL, 1000), -EPIPE);
	close(sv[1]);
	sockpair(sv);
	assert_int_equal(write(sv[0], hdr, 2), 2);
	close(sv[0]);
	assert_int_equal(lmc_frame_recv(sv[1], &buf, &len, NULL, NULL, 1000), -ECONNRESET);
	close(sv[1]);
	/* and an oversize announcement over a socket */
	sockpair(sv);
	lmc_frame_header(0xffffffffu, hdr);
	assert_int_equal(write(sv[0], hdr, 4), 4);
	assert_int_equal(lmc_frame_recv(sv[1], &buf, &len, NULL, NULL, 1000), -EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
	assert_null(buf);
}

/* A frame much bigger than the socket buffer: the sender blocks in pieces, the receiver
 * reassembles it exactly. */
static void test_large_frame_across_processes(void **state)
{
	size_t n = 3u << 20, len = 0;
	uint8_t *data = malloc(n), *buf = NULL;
	int sv[2], status;
	pid_t pid;
	(void)state;

	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i ^ (i >> 11));
	sockpair(sv);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[1]);
		_exit(lmc_frame_send(sv[0], data, n, NULL, 0) == 0 ? 0 : 1);
	}
	close(sv[0]);
	assert_int_equal(lmc_frame_recv(sv[1], &buf, &len, NULL, NULL, 10000), 0);
	assert_int_equal(len, n);
	assert_memory_equal(buf, data, n);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(lmc_frame_send(sv[1], data, LMC_FRAME_MAX + 1, NULL, 0), -EMSGSIZE);
	close(sv[1]);
	free(buf);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_big_endian),
		cmocka_unit_test(test_feed_byte_by_byte),
		cmocka_unit_test(test_feed_chunks),
		cmocka_unit_test(test_feed_oversize_refused),
		cmocka_unit_test(test_feed_exact_cap_accepted),
		cmocka_unit_test(test_send_recv_with_fds),
		cmocka_unit_test(test_reader_keeps_fds_with_their_frame),
		cmocka_unit_test(test_reader_takes_pipelined_frames_at_once),
		cmocka_unit_test(test_too_many_fds_refused),
		cmocka_unit_test(test_recv_timeout_and_early_close),
		cmocka_unit_test(test_large_frame_across_processes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
