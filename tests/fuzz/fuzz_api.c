/* libFuzzer target: the agent's request dispatch in dry-run mode, one message at a time (the
 * framing in front of it is fuzz_frame's, through the reader the agent runs). The input is a
 * peer byte then one Request as a frame would carry it: dispatched by lmc_api_handle
 * (decode, validate, authorize as root or a tenant, no manager), its answer decoded, and the
 * bytes also decoded as a Response (the client's side of a hostile agent). */
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
	if (size < 1)
		return 0;
	/* First byte: the peer, root or not. */
	dispatch(data + 1, size - 1, data[0] & 0x80 ? 12345 : 0);
	return 0;
}

/* One seed file: the peer byte, then (fuzz_frame's) a control byte and the frame header,
 * then the message. */
static void seed_file(const char *dir, const char *target, int i, const uint8_t *msg, size_t len)
{
	bool framed = strcmp(target, "fuzz_frame") == 0;
	uint8_t hdr[LMC_FRAME_HDR];
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/seed-%02d", dir, target, i);
	f = fopen(path, "w");
	if (!f)
		return;
	fputc(i % 2 ? 0x83 : 0x03, f);
	if (framed) {
		lmc_frame_header((uint32_t)len, hdr);
		fputc(0, f);
		fwrite(hdr, 1, sizeof(hdr), f);
	}
	fwrite(msg, 1, len, f);
	fclose(f);
}

/* With LMC_FUZZ_SEEDS=dir, write seed requests of every operation into dir/fuzz_api and
 * dir/fuzz_frame (both must exist). */
static void write_seed(const char *dir, int i, const struct lmc_api_req *rq)
{
	uint8_t *buf;
	size_t len;

	if (lmc_api_req_encode(rq, &buf, &len) < 0)
		return;
	seed_file(dir, "fuzz_api", i, buf, len);
	seed_file(dir, "fuzz_frame", i, buf, len);
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
