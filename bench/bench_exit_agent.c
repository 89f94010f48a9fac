/* A task's start to its EXIT event through the agent, from a client in C (issue 13, for
 * bench/events.py): the run request (a detached /bin/true in the leaf) sent, its reply read,
 * then the subscription's events read until the EXIT of that pid. The same path as the
 * Python client's row, without Python's own decoding and framing in the figure.
 *
 * Usage: bench_exit_agent SOCKET LEAF. Subscribes to LEAF's exits, then reads commands from
 * stdin, one a line: "K" runs K starts and prints K lines of nanoseconds, then "." (as
 * bench_exit_floor does, so a caller interleaves them with its other figures). */
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "bench/bench.h"
#include "proto/api.h"
#include "proto/frame.h"

#define TIMEOUT_MS 30000

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_req(int fd, const struct lmc_api_req *r)
{
	uint8_t *buf;
	size_t len;
	int rc;

	rc = lmc_api_req_encode(r, &buf, &len);
	if (rc < 0)
		return rc;
	rc = lmc_frame_send(fd, buf, len, NULL, 0);
	free(buf);
	return rc;
}

/* One answer into *resp (the caller frees it with lmc_api_resp_done); a refusal is said
 * and returned (its -errno). */
static int recv_resp(int fd, struct lmc_api_resp *resp)
{
	uint8_t *buf;
	size_t len, nfds = 0;
	int rc = lmc_frame_recv(fd, &buf, &len, NULL, &nfds, TIMEOUT_MS);

	if (rc < 0)
		return rc;
	rc = lmc_api_resp_decode(buf, len, resp);
	free(buf);
	if (rc >= 0 && resp->status) {
		rc = resp->status;
		fprintf(stderr, "bench_exit_agent: %s\n", resp->msg);
		lmc_api_resp_done(resp);
	}
	return rc;
}

/* One start: run sent, until the EXIT event of its pid arrived. */
static int one(int c, int sub, const char *leaf, uint64_t id)
{
	static const char *const argv[] = {"/bin/true", NULL};
	struct lmc_run_opts ro = {.argv = argv, .stdio = {-1, -1, -1}, .detach = true};
	struct lmc_api_req rq = {.op = LMC_API_OP_RUN, .id = id, .name = leaf, .run = &ro};
	struct lmc_api_resp resp;
	pid_t pid;
	int r;

	r = send_req(c, &rq);
	if (r >= 0)
		r = recv_resp(c, &resp);
	if (r < 0)
		return r;
	pid = resp.pid;
	lmc_api_resp_done(&resp);
	for (;;) {
		bool done;

		r = recv_resp(sub, &resp);
		if (r < 0)
			return r;
		done = resp.payload == LMC_API_PAY_EVENT && resp.event.kind == LMC_EVK_EXIT &&
		       resp.event.pid == pid;
		lmc_api_resp_done(&resp);
		if (done)
			return 0;
	}
}

int main(int argc, char **argv)
{
	struct lmc_api_req sr = {.op = LMC_API_OP_SUBSCRIBE, .id = 1};
	struct lmc_api_resp resp;
	char line[64];
	uint64_t id = 1;
	int c, sub, k;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_exit_agent SOCKET LEAF\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	c = connect_to(argv[1]);
	sub = connect_to(argv[1]);
	if (c < 0 || sub < 0) {
		fprintf(stderr, "bench_exit_agent: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	sr.name = argv[2];
	sr.sub.exit = true;
	sr.sub.threshold = LMC_UNSET;
	if (send_req(sub, &sr) < 0 || recv_resp(sub, &resp) < 0) {
		fprintf(stderr, "bench_exit_agent: cannot subscribe to %s\n", argv[2]);
		return 1;
	}
	lmc_api_resp_done(&resp);
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "%d", &k) != 1)
			return 2;
		for (int i = 0; i < k; i++) {
			uint64_t t0 = bench_now_ns();
			int r = one(c, sub, argv[2], ++id);

			if (r < 0) {
				fprintf(stderr, "bench_exit_agent: start %d: %s\n", i,
					strerror(-r));
				return 1;
			}
			printf("%llu\n", (unsigned long long)(bench_now_ns() - t0));
		}
		printf(".\n");
		fflush(stdout);
	}
	return 0;
}
