/* libFuzzer target: the agent's input path in dry-run mode. The bytes are a stream from a
 * client: fed to the frame reader in pieces, every complete frame dispatched by
 * lmc_api_handle (decode, validate, authorize as root or a tenant, no manager) and also
 * decoded as a Response (the client's side of a hostile agent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/api.h"
#include "proto/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void dispatch(const uint8_t *buf, size_t len, uid_t uid)
{
	struct lmc_api_peer peer = {.uid = uid, .gid = uid, .pid = 1};
	struct lmc_api_result res;
	struct lmc_api_resp resp;

	if (lmc_api_handle(NULL, &peer, buf, len, NULL, 0, LMC_API_DRY_RUN, &res) >= 0) {
		/* What the agent answers must itself decode (a foreground run answers later). */
		if (res.reply && lmc_api_resp_decode(res.reply, res.reply_len, &resp) >= 0)
			lmc_api_resp_done(&resp);
		else if (!(res.action == LMC_API_RUN && !res.detached))
			abort();
		lmc_api_result_done(&res);
	}
	if (lmc_api_resp_decode(buf, len, &resp) >= 0)
		lmc_api_resp_done(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lmc_frame_reader rd;
	size_t off = 1, step;

	if (size < 1)
		return 0;
	/* First byte: the peer (root or not) and how the stream is chopped. */
	step = (data[0] & 0x3f) + 1;
	lmc_frame_reader_init(&rd);
	while (off < size) {
		size_t n = size - off < step ? size - off : step, used = 0;
		uint8_t *buf = NULL;
		size_t len = 0;
		int r = lmc_frame_reader_feed(&rd, data + off, n, &used, &buf, &len);

		if (r < 0)
			break;
		off += used;
		if (r == 1) {
			dispatch(buf, len, data[0] & 0x80 ? 12345 : 0);
			free(buf);
		} else if (used == 0) {
			break;
		}
	}
	lmc_frame_reader_done(&rd);
	return 0;
}

/* With LMC_FUZZ_SEEDS=dir, write framed seed requests of every operation there. */
static void write_seed(const char *dir, int i, const struct lmc_api_req *rq)
{
	uint8_t *buf, hdr[LMC_FRAME_HDR];
	size_t len;
	char path[512];
	FILE *f;

	if (lmc_api_req_encode(rq, &buf, &len) < 0)
		return;
	snprintf(path, sizeof(path), "%s/seed-%02d", dir, i);
	f = fopen(path, "w");
	if (f) {
		lmc_frame_header((uint32_t)len, hdr);
		fputc(i % 2 ? 0x83 : 0x03, f);
		fwrite(hdr, 1, sizeof(hdr), f);
		fwrite(buf, 1, len, f);
		fclose(f);
	}
	free(buf);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("LMC_FUZZ_SEEDS");
	const char *argv_run[] = {"sh", "-c", "true", NULL};
	struct lmc_run_opts ro = {.argv = argv_run, .stdio = {-1, -1, -1}};
	pid_t pids[2] = {1, 2};
	struct lmc_spec spec;

	(void)argc;
	(void)argv;
	if (!dir)
		return 0;
	lmc_spec_init(&spec);
	spec.memory.limit = 1 << 30;
	spec.cpu.limit_m = 1500;
	snprintf(spec.cpu.cpus, sizeof(spec.cpu.cpus), "0-1");
	spec.owner = 12345;
	for (int op = LMC_API_OP_INFO; op <= LMC_API_OP_SUBSCRIBE; op++) {
		struct lmc_api_req rq = {.op = op,
					 .id = (uint64_t)op,
					 .name = "jobA/sub1",
					 .spec = &spec,
					 .recursive = true,
					 .sig = 9,
					 .pids = pids,
					 .n_pids = 2,
					 .reserve_mem = 1 << 20,
					 .reserve_cpu_m = 100,
					 .run = &ro};

		rq.sub = (struct lmc_api_sub){.oom = true, .empty = true, .threshold = 1 << 20};
		write_seed(dir, op, &rq);
	}
	return 0;
}
