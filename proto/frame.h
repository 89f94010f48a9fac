/* Framing for the admin socket: a 4-byte big-endian length, then one protobuf message.
 * File descriptors (run's stdio) travel beside a frame as SCM_RIGHTS ancillary data. */
#ifndef LMC_FRAME_H
#define LMC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LMC_FRAME_HDR 4
#define LMC_FRAME_MAX (4u << 20) /* 4 MiB: a longer frame is refused */
#define LMC_FRAME_FDS_MAX 8 /* descriptors one frame may carry */
#define LMC_FRAME_CHUNK (16u << 10) /* a frame's first buffer; it doubles as bytes arrive */

/* The 4 header bytes for a message of len bytes (big-endian). */
void lmc_frame_header(uint32_t len, uint8_t out[LMC_FRAME_HDR]);

/* An incremental reader, embedded in its owner (one per connection). Bytes arrive in any
 * pieces; it refuses a length over LMC_FRAME_MAX as soon as the header is in, and its buffer
 * follows what arrived (LMC_FRAME_CHUNK first, doubling when full, at most the announced
 * length), not what was announced. After an error the reader stays failed (the connection
 * is to be closed).
 *
 * lmc_frame_reader_recv takes what the socket has in one recvmsg (up to LMC_FRAME_CHUNK,
 * or straight into a large frame's buffer), so pipelined frames cost one system call
 * between them; bytes past a complete frame wait in rest for the next call. Descriptors
 * stay with their frame: the kernel ends a read right after the bytes they came with, and
 * a client sends them with its frame's first bytes, so they belong to the last frame that
 * began in that read (seq numbers the frames). exact: never read past the current frame
 * (lmc_frame_recv's one-frame reader, whose caller keeps no reader between frames). */
struct lmc_frame_fd {
	int fd;
	uint64_t seq; /* the frame it came with */
};
struct lmc_frame_reader {
	uint8_t hdr[LMC_FRAME_HDR];
	size_t hdr_got;
	uint8_t *buf; /* the frame being filled; NULL until its header is complete */
	size_t len, cap, got; /* announced, allocated, received */
	uint64_t seq; /* the frame being filled, counted from 0 */
	struct lmc_frame_fd fds[2 * LMC_FRAME_FDS_MAX]; /* this frame's and the next one's */
	unsigned nfds;
	uint8_t *rest; /* read past the last complete frame, not parsed yet */
	size_t rest_len, rest_off;
	bool exact;
	bool drained; /* the last read took less than asked: the socket had no more then */
	int error; /* sticky -errno */
};

void lmc_frame_reader_init(struct lmc_frame_reader *r);
/* Free the partial frame, close held fds; the reader is ready for init again. */
void lmc_frame_reader_done(struct lmc_frame_reader *r);

/* Frames already read and waiting in the reader (call recv again before waiting on the
 * socket: it will not become readable for them). */
bool lmc_frame_reader_pending(const struct lmc_frame_reader *r);
/* More frames may be there to read at once: some wait in the reader, or the last read
 * filled its buffer (the socket may hold more). Answers to frames read with others are
 * worth gathering into one send; the answer to a lone frame is not. */
bool lmc_frame_reader_more(const struct lmc_frame_reader *r);

/* Read from a non-blocking socket (or pipe), collecting SCM_RIGHTS fds (close-on-exec),
 * as described above. Returns 1 with a complete frame (*ret_buf malloc'd, owned by the
 * caller, non-NULL even for len 0; fds, up to fds_cap of them, moved to fds with *ret_nfds
 * set; extra ones closed), 0 when the socket has no more data for now, -EPIPE when the
 * peer closed between frames, -ECONNRESET when it closed inside one, -EMSGSIZE for an
 * announced length over LMC_FRAME_MAX (refused as soon as the header is in, nothing
 * allocated), -EBADMSG when more than LMC_FRAME_FDS_MAX descriptors arrive, or another
 * -errno from recvmsg. */
int lmc_frame_reader_recv(struct lmc_frame_reader *r, int fd, uint8_t **ret_buf, size_t *ret_len,
			  int *fds, size_t fds_cap, size_t *ret_nfds);

/* Blocking: send one frame, with nfds descriptors (0..LMC_FRAME_FDS_MAX) attached to its
 * first byte. Never raises SIGPIPE (-EPIPE instead). Waits for POLLOUT if fd is
 * non-blocking. */
int lmc_frame_send(int fd, const uint8_t *buf, size_t len, const int *fds, size_t nfds);

/* Blocking: receive one frame within timeout_ms (-1: no limit; -ETIMEDOUT when it passes).
 * fds may be NULL (received descriptors are then closed); *nfds is its capacity on entry
 * and the number received on return. Errors as for lmc_frame_reader_recv; the peer
 * closing before any byte gives -EPIPE. */
int lmc_frame_recv(int fd, uint8_t **ret_buf, size_t *ret_len, int *fds, size_t *nfds,
		   int timeout_ms);

#endif
