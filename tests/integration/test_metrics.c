/* lmctld's Prometheus endpoint (issue 15, --metrics): the text format (escaping, exact
 * values), the address (loopback or a unix socket only; anything else refused in one line
 * before the agent starts), the HTTP server's answers and bounds (404, 405, 400, 431, HEAD,
 * 503 past its connection limit, a silent connection closed in time), `promtool check
 * metrics` on a scrape, and a real Prometheus (Debian's `prometheus`) scraping the agent on
 * loopback every second: what its HTTP API answers for a container's CPU usage and OOM kills
 * is what `lmctl stats --json` says. Prometheus runs from a temporary directory with its own
 * configuration and storage, and is stopped by its pid; the test is skipped, saying so, only
 * when the prometheus binary is absent. Readings run at nice +5 from the agent's loop, and
 * its threads are back at the loop's after.
 *
 * This binary doubles as the workload: `test_metrics hog` (allocates until killed) and
 * `test_metrics spin MS` (burns MS of CPU). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/un.h>

#include "tests/integration/agent-harness.h"
#include "tests/lib/lmctl-run.h"
#include "base/name.h"
#include "tools/agent/metrics-text.h"

#define BIG (4u << 20)
#define REQ_PAD 9000 /* more than the agent reads of a request head (8 KiB) */

static struct harness g_h;
static int g_port; /* the agent's metrics port */
static pid_t g_prom; /* prometheus, while it runs */
static char g_prom_dir[160];

/* ---------------- the text format and the address (no agent) ---------------- */

static void test_text_escaping(void **state)
{
	struct lmc_mtext t = {0};
	const char *labels[] = {"container", "a\"b\\c\nd", "bounded_by", "/"};

	(void)state;
	lmc_mtext_family(&t, "m_total", "counter", "back\\slash\nnew \"quoted\"");
	lmc_mtext_sample(&t, "m_total", labels, 2, "1");
	lmc_mtext_sample(&t, "m_total", NULL, 0, "2");
	lmc_mtext_append(&t, "", 1);
	assert_int_equal(t.err, 0);
	assert_string_equal(t.buf, "# HELP m_total back\\\\slash\\nnew \"quoted\"\n"
				   "# TYPE m_total counter\n"
				   "m_total{container=\"a\\\"b\\\\c\\nd\",bounded_by=\"/\"} 1\n"
				   "m_total 2\n");
	lmc_mtext_done(&t);
}

static void test_text_fixed_point(void **state)
{
	char buf[32];

	(void)state;
	lmc_mtext_fixed(1500000000, 9, buf, sizeof(buf));
	assert_string_equal(buf, "1.500000000");
	lmc_mtext_fixed(5, 9, buf, sizeof(buf));
	assert_string_equal(buf, "0.000000005");
	lmc_mtext_fixed(0, 0, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	lmc_mtext_fixed(1500, 3, buf, sizeof(buf));
	assert_string_equal(buf, "1.500");
	lmc_mtext_fixed(UINT64_MAX - 2, 9, buf, sizeof(buf));
	assert_string_equal(buf, "18446744073.709551613");
}

static void test_addr_loopback_only(void **state)
{
	static const char *const ok[] = {
		"127.0.0.1:9100",	   "127.1.2.3:1", "[::1]:9100", "127.0.0.1:0",
		"/run/lmctl/metrics.sock", "./m.sock"};
	static const char *const bad[] = {"0.0.0.0:9100",
					  "10.0.0.1:80",
					  "192.168.1.1:9100",
					  "[::]:9100",
					  "[2001:db8::1]:80",
					  "localhost:9100",
					  "127.0.0.1",
					  "127.0.0.1:65536",
					  "127.0.0.1:x",
					  ":9100",
					  ""};
	struct lmc_metrics_addr a;
	char why[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (lmc_metrics_addr_parse(ok[i], &a, why, sizeof(why)) < 0)
			fail_msg("%s refused: %s", ok[i], why);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		why[0] = '\0';
		if (lmc_metrics_addr_parse(bad[i], &a, why, sizeof(why)) >= 0)
			fail_msg("%s accepted", bad[i]);
		assert_non_null(strstr(why, "--metrics="));
		assert_null(strchr(why, '\n'));
	}
	assert_int_equal(lmc_metrics_addr_parse("10.0.0.1:80", &a, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not a loopback address"));
}

/* Run lmctld with args; its exit status, stderr into err. */
static int run_agent_args(char *err, size_t size, const char *arg)
{
	const char *bin = getenv("LMCTLD_BIN");
	int pipefd[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], 2);
		execl(bin ? bin : "build/lmctld", "lmctld", "--socket=/nonexistent/x/s",
		      "--state-dir=/nonexistent/x", arg, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	while (got < (ssize_t)size - 1 && (n = read(pipefd[0], err + got, size - 1 - got)) > 0)
		got += n;
	err[got] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Refused before anything starts (no manager, no socket): exit 2, one line naming it. */
static void test_agent_refuses_non_loopback(void **state)
{
	static const char *const args[] = {"--metrics=0.0.0.0:9100", "--metrics=192.168.1.1:80",
					   "--metrics=[::]:9100"};
	char err[1024];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(args); i++) {
		assert_int_equal(run_agent_args(err, sizeof(err), args[i]), 2);
		assert_non_null(strstr(err, "not a loopback address"));
		assert_non_null(strstr(err, args[i] + 2));
		assert_non_null(strchr(err, '\n'));
		assert_string_equal(strchr(err, '\n'), "\n"); /* one line */
	}
}

/* ---------------- HTTP against a real agent ---------------- */

static int connect_port(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail_msg("connect 127.0.0.1:%d: %s", port, strerror(errno));
	return fd;
}

/* Send req on fd and read the answer until the peer closes (10 s bound); its length. */
static size_t exchange(int fd, const char *req, size_t len, char *out, size_t size)
{
	size_t got = 0;
	long long end = h_now_us() + 10000000;

	if (len && send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len)
		fail_msg("send: %s", strerror(errno));
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, (int)((end - h_now_us()) / 1000)) <= 0)
			fail_msg("no answer within 10 s (%zu bytes so far)", got);
		n = recv(fd, out + got, size - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == size - 1)
			fail_msg("answer larger than %zu bytes", size);
	}
	close(fd);
	out[got] = '\0';
	return got;
}

static size_t http(int port, const char *req, char *out, size_t size)
{
	return exchange(connect_port(port), req, strlen(req), out, size);
}

static bool prom_dead(void *ud)
{
	(void)ud;
	return waitpid(g_prom, NULL, WNOHANG) == g_prom;
}

static void prom_stop(void)
{
	if (g_prom <= 0)
		return;
	kill(g_prom, SIGTERM);
	if (lmc_test_wait_until(prom_dead, NULL, 15000) < 0) {
		kill(g_prom, SIGKILL);
		waitpid(g_prom, NULL, 0);
	}
	g_prom = 0;
}

/* The agent's metrics port, from its log line "metrics: serving GET /metrics on ADDR". */
static bool find_port(void *ud)
{
	char buf[8192];
	const char *p;
	int fd = open(g_h.log, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	(void)ud;
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strstr(buf, "/metrics on 127.0.0.1:");
	g_port = p ? atoi(p + strlen("/metrics on 127.0.0.1:")) : 0;
	return g_port > 0;
}

static int setup(void **state)
{
	(void)state;
	if (!lmc_test_is_root())
		skip();
	assert_int_equal(h_setup(&g_h), 0);
	/* Again with the endpoint on a port the kernel picks (the log says which). */
	h_stop_agent(&g_h, SIGTERM);
	g_h.extra[0] = "--metrics=127.0.0.1:0";
	g_h.extra[1] = "--idle-timeout=3"; /* the bounds test's connections outlive its connects */
	assert_int_equal(h_start_agent(&g_h), 0);
	assert_int_equal(lmc_test_wait_until(find_port, NULL, 10000), 0);
	setenv("LMCTL_SOCKET", g_h.sock, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	prom_stop(); /* before its directory (inside the harness's) goes */
	h_teardown(&g_h);
	return 0;
}

static void test_http_answers(void **state)
{
	static char out[BIG];
	char big[REQ_PAD];

	(void)state;
	http(g_port, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", out, sizeof(out));
	assert_true(strncmp(out, "HTTP/1.1 404 ", 13) == 0);
	http(g_port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", out, sizeof(out));
	assert_true(strncmp(out, "HTTP/1.1 405 ", 13) == 0);
	assert_non_null(strstr(out, "\r\nAllow: GET, HEAD\r\n"));
	http(g_port, "DELETE /nope HTTP/1.1\r\n\r\n", out, sizeof(out));
	assert_true(strncmp(out, "HTTP/1.1 404 ", 13) == 0);
	http(g_port, "GARBAGE\r\n\r\n", out, sizeof(out));
	assert_true(strncmp(out, "HTTP/1.1 400 ", 13) == 0);
	/* A head that never ends within the bound: 431, and the answer arrives whole. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	exchange(connect_port(g_port), big, sizeof(big), out, sizeof(out));
	assert_true(strncmp(out, "HTTP/1.1 431 ", 13) == 0);
	http(g_port, "HEAD /metrics HTTP/1.1\r\n\r\n", out, sizeof(out));
	assert_true(strncmp(out, "HTTP/1.1 200 ", 13) == 0);
	assert_non_null(strstr(out, "\r\nContent-Type: text/plain; version=0.0.4"));
	assert_string_equal(strstr(out, "\r\n\r\n"), "\r\n\r\n"); /* no body */
	http(g_port, "GET /metrics?name[]=x HTTP/1.0\r\n\r\n", out, sizeof(out));
	assert_true(strncmp(out, "HTTP/1.1 200 ", 13) == 0);
	assert_non_null(strstr(out, "\r\nContent-Type: text/plain; version=0.0.4"));
	assert_non_null(strstr(out, "\n# TYPE lmctl_agent_request_duration_seconds histogram\n"));
}

#define CONNS_MAX 16

/* Past its connection limit it answers 503 at once; a connection that sends nothing is
 * closed after the agent's --idle-timeout (3 s here). */
static void test_http_bounds(void **state)
{
	static char out[BIG];
	int fds[CONNS_MAX];
	long long t0;

	(void)state;
	for (int i = 0; i < CONNS_MAX; i++)
		fds[i] = connect_port(g_port);
	/* The agent accepts them in order: the next is the one too many. */
	http(g_port, "GET /metrics HTTP/1.1\r\n\r\n", out, sizeof(out));
	assert_true(strncmp(out, "HTTP/1.1 503 ", 13) == 0);
	t0 = h_now_us();
	for (int i = 0; i < CONNS_MAX; i++)
		exchange(fds[i], "", 0, out, sizeof(out)); /* closed by the agent, no answer */
	assert_true(h_now_us() - t0 < 8000000);
	http(g_port, "GET /metrics HTTP/1.1\r\n\r\n", out, sizeof(out));
	assert_true(strncmp(out, "HTTP/1.1 200 ", 13) == 0);
}

/* ---------------- what is scraped: the body, promtool, Prometheus ---------------- */

static const char *find_bin(const char *name, char *buf, size_t size)
{
	static const char *const dirs[] = {"/usr/bin", "/usr/local/bin", "/bin"};

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(buf, size, "%s/%s", dirs[i], name);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

/* The value of series `series` (name{labels} exactly as written) in a scrape body. */
static const char *series_value(const char *body, const char *series)
{
	char pat[256];
	const char *p;

	snprintf(pat, sizeof(pat), "\n%s ", series);
	p = strstr(body, pat);
	return p ? p + strlen(pat) : NULL;
}

static void assert_series(const char *body, const char *series, const char *want)
{
	const char *v = series_value(body, series);

	if (!v)
		fail_msg("no %s in the scrape", series);
	if (strncmp(v, want, strlen(want)) != 0 || v[strlen(want)] != '\n')
		fail_msg("%s: %.*s, want %s", series, (int)strcspn(v, "\n"), v, want);
}

static char g_body[BIG];

/* A scrape that shows the container (served figures may be up to --metrics-max-age old). */
static bool scrape_has(void *ud)
{
	char series[LMC_NAME_MAX + 64];

	snprintf(series, sizeof(series), "container_memory_usage_bytes{container=\"%s\"}",
		 (const char *)ud);
	http(g_port, "GET /metrics HTTP/1.1\r\n\r\n", g_body, sizeof(g_body));
	return strstr(g_body, series) != NULL;
}

static void test_scrape_lints(void **state)
{
	char bin[64], cmd[160];
	const char *body;
	FILE *f;

	(void)state;
	LMCTL_OK("create", "lint", "--memory=64M", "--cpus=0.5");
	LMCTL_OK("create", "lint/a", "--memory=32M");
	assert_int_equal(lmc_test_wait_until(scrape_has, "lint/a", 10000), 0);
	body = strstr(g_body, "\r\n\r\n");
	assert_non_null(body);
	body += 4;
	assert_non_null(
		series_value(body - 1, "container_memory_usage_bytes{container=\"lint/a\"}"));
	/* Its own memory limit binds it; the CPU limit is its parent's. */
	assert_series(body - 1,
		      "lmctl_container_effective_limit_memory_bytes{container=\"lint/a\","
		      "bounded_by=\"lint/a\"}",
		      "33554432");
	assert_series(body - 1,
		      "lmctl_container_effective_limit_cpu_cores{container=\"lint/a\","
		      "bounded_by=\"lint\"}",
		      "0.500");
	assert_series(body - 1, "lmctl_container_limit_cpu_cores{container=\"lint\"}", "0.500");
	assert_null(
		series_value(body - 1, "lmctl_container_limit_cpu_cores{container=\"lint/a\"}"));
	if (!find_bin("promtool", bin, sizeof(bin))) {
		print_message("promtool absent: the body's lint is skipped\n");
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s check metrics >&2", bin);
	f = popen(cmd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(body, 1, strlen(body), f), strlen(body));
	assert_int_equal(pclose(f), 0);
}

static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void prom_start(const char *bin, int port)
{
	char cfg[224], data[224], log[224], a_cfg[256], a_data[256], a_web[64];
	FILE *f;

	snprintf(g_prom_dir, sizeof(g_prom_dir), "%s/prometheus", g_h.dir);
	assert_int_equal(mkdir(g_prom_dir, 0700), 0);
	snprintf(cfg, sizeof(cfg), "%s/prometheus.yml", g_prom_dir);
	snprintf(data, sizeof(data), "%s/data", g_prom_dir);
	snprintf(log, sizeof(log), "%s/prometheus.log", g_prom_dir);
	f = fopen(cfg, "we");
	assert_non_null(f);
	fprintf(f,
		"global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
		"scrape_configs:\n  - job_name: lmctld\n    static_configs:\n"
		"      - targets: ['127.0.0.1:%d']\n",
		g_port);
	assert_int_equal(fclose(f), 0);
	snprintf(a_cfg, sizeof(a_cfg), "--config.file=%s", cfg);
	snprintf(a_data, sizeof(a_data), "--storage.tsdb.path=%s", data);
	snprintf(a_web, sizeof(a_web), "--web.listen-address=127.0.0.1:%d", port);
	g_prom = fork();
	assert_true(g_prom >= 0);
	if (g_prom == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setpgid(0, 0); /* a ^C of the test does not reach it first */
		execl(bin, "prometheus", a_cfg, a_data, a_web, (char *)NULL);
		_exit(127);
	}
}

static void prom_log(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "tail -n 20 '%s/prometheus.log' >&2", g_prom_dir);
	if (system(cmd) != 0)
		print_message("no prometheus log\n");
}

struct query {
	int port;
	const char *promql;
	double value; /* the first sample's */
	bool found;
};

/* One instant query through Prometheus's HTTP API; found: a sample came back. */
static bool prom_query(void *ud)
{
	static char out[65536];
	struct query *q = ud;
	char req[1024], enc[512];
	const char *v;
	size_t o = 0;

	for (const char *p = q->promql; *p && o + 4 < sizeof(enc); p++) {
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", *p))
			enc[o++] = *p;
		else
			o += (size_t)snprintf(enc + o, sizeof(enc) - o, "%%%02X",
					      (unsigned char)*p);
	}
	enc[o] = '\0';
	snprintf(req, sizeof(req),
		 "GET /api/v1/query?query=%s HTTP/1.1\r\nHost: x\r\n"
		 "Connection: close\r\n\r\n",
		 enc);
	q->found = false;
	if (prom_dead(NULL)) {
		g_prom = 0;
		prom_log();
		fail_msg("prometheus exited");
	}
	http(q->port, req, out, sizeof(out));
	v = strstr(out, "\"value\":[");
	if (!v || !(v = strstr(v, ",\"")))
		return false;
	q->value = strtod(v + 2, NULL);
	q->found = true;
	return true;
}

static bool prom_ready(void *ud)
{
	char out[4096];
	int fd, port = *(int *)ud;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return false;
	}
	static const char req[] = "GET /-/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

	exchange(fd, req, sizeof(req) - 1, out, sizeof(out));
	return strncmp(out, "HTTP/1.1 200 ", 13) == 0;
}

/* Wait until the query answers want (within 1e-9 relative), 60 s at most. */
static bool value_is(void *ud)
{
	struct query *q = ud;
	double want = q[1].value;

	return prom_query(q) && q->value >= want - want * 1e-9 - 1e-12 &&
	       q->value <= want + want * 1e-9 + 1e-12;
}

static void expect(int port, const char *promql, double want)
{
	struct query q[2] = {{.port = port, .promql = promql}, {.value = want}};

	if (lmc_test_wait_until(value_is, q, 60000) < 0) {
		prom_log();
		fail_msg("%s: %s %.9f, lmctl stats says %.9f", promql,
			 q[0].found ? "prometheus answers" : "no sample;", q[0].value, want);
	}
}

/* A container that used some CPU and had a process OOM-killed (its --memory is small): once
 * Prometheus has scraped it, its API gives what `lmctl stats --json` gives. */
static void test_prometheus_scrapes_agent(void **state)
{
	char bin[64], err[1024], promql[256];
	int port;
	uint64_t kills, cpu_ns;

	(void)state;
	if (!find_bin("prometheus", bin, sizeof(bin))) {
		print_message("SKIPPED: no prometheus binary (apt-get install prometheus, or "
			      "tools/install-deps.sh)\n");
		skip();
	}
	LMCTL_OK("create", "oomy", "--memory=32M");
	LMCTL_OK("run", "oomy", "--", lmc_test_self_exe(), "spin", "200");
	assert_int_equal(lmc_test_lmctl(NULL, 0, err, sizeof(err), "run", "oomy", "--",
					lmc_test_self_exe(), "hog", NULL),
			 128 + SIGKILL);
	kills = lmc_test_stat("oomy", "memory.oom_kills");
	cpu_ns = lmc_test_stat("oomy", "cpu.usage_ns");
	assert_int_equal(kills, 1);
	assert_true(cpu_ns >= 100000000ULL); /* the spin's 200 ms, at least half of it counted */

	port = free_port();
	prom_start(bin, port);
	if (lmc_test_wait_until(prom_ready, &port, 60000) < 0) {
		prom_log();
		fail_msg("prometheus not ready on 127.0.0.1:%d within 60 s", port);
	}
	expect(port, "container_oom_events_total{container=\"oomy\"}", (double)kills);
	expect(port, "container_cpu_usage_seconds_total{container=\"oomy\"}", (double)cpu_ns / 1e9);
	/* Scraped for a few seconds, every time successfully. */
	expect(port, "min_over_time(up{job=\"lmctld\"}[1m])", 1);
	snprintf(promql, sizeof(promql), "count_over_time(up{job=\"lmctld\"}[1m]) >= 3");
	{
		struct query q = {.port = port, .promql = promql};

		if (lmc_test_wait_until(prom_query, &q, 30000) < 0)
			fail_msg("fewer than 3 scrapes of the agent in 30 s");
	}
	/* And the counts still match (nothing ran since). */
	assert_int_equal(lmc_test_stat("oomy", "memory.oom_kills"), kills);
	assert_int_equal(lmc_test_stat("oomy", "cpu.usage_ns"), cpu_ns);
	prom_stop();
}

/* On a unix socket (made 0660, removed when the agent stops): the same endpoint. Last: the
 * agent is restarted for it. */
/* The nice of the agent's thread tid (/proc/PID/task/TID/stat, field 19). */
static int thread_nice(pid_t pid, const char *tid)
{
	char path[96], buf[1024], *p;
	int fd, n, field = 2;

	snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* ended meanwhile */
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	for (; p && *p && field < 19; p++)
		field += *p == ' ';
	return p ? atoi(p) : 0;
}

/* Readings run at nice +5 from the loop, and only they: the agent's workers are kept from
 * job to job, and a reading that raised its worker's nice from its own each time left it at
 * +15 after three scrapes (and every reader thread it started, and the next jobs, with it). */
static void test_reader_priority(void **state)
{
	static char out[BIG];
	struct dirent *d;
	DIR *dir;
	char path[64];
	int loop, worst = -20;

	(void)state;
	h_stop_agent(&g_h, SIGTERM);
	g_h.extra[0] = "--metrics=127.0.0.1:0";
	g_h.extra[1] = "--metrics-max-age=0"; /* every scrape a reading */
	assert_int_equal(truncate(g_h.log, 0), 0); /* find_port reads the new agent's line */
	assert_int_equal(h_start_agent(&g_h), 0);
	assert_int_equal(lmc_test_wait_until(find_port, NULL, 10000), 0);
	for (int i = 0; i < 5; i++) {
		http(g_port, "GET /metrics HTTP/1.1\r\n\r\n", out, sizeof(out));
		assert_true(strncmp(out, "HTTP/1.1 200 ", 13) == 0);
	}
	snprintf(path, sizeof(path), "%d", (int)g_h.agent);
	loop = thread_nice(g_h.agent, path);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)g_h.agent);
	dir = opendir(path);
	assert_non_null(dir);
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.' && thread_nice(g_h.agent, d->d_name) > worst)
			worst = thread_nice(g_h.agent, d->d_name);
	closedir(dir);
	if (worst > loop)
		fail_msg("an idle agent thread runs at nice %d, the loop at %d", worst, loop);
}

static void test_unix_socket(void **state)
{
	static char out[BIG];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[sizeof(sa.sun_path) - 8], arg[sizeof(path) + 16];
	struct stat st;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/metrics.sock", g_h.dir);
	snprintf(arg, sizeof(arg), "--metrics=%s", path);
	h_stop_agent(&g_h, SIGTERM);
	g_h.extra[0] = arg;
	assert_int_equal(h_start_agent(&g_h), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	exchange(fd, "GET /metrics HTTP/1.1\r\n\r\n", 25, out, sizeof(out));
	assert_true(strncmp(out, "HTTP/1.1 200 ", 13) == 0);
	assert_non_null(strstr(out, "\ncontainer_memory_usage_bytes{container=\"lint/a\"} "));
	h_stop_agent(&g_h, SIGTERM);
	assert_int_equal(access(path, F_OK), -1);
}

/* Has the agent a container's memory.stat open (/proc/PID/fd)? */
static bool agent_has_open(void *ud)
{
	const char *suffix = ud;
	char dir[64], path[PATH_MAX + 80], target[PATH_MAX];
	struct dirent *d;
	bool yes = false;
	DIR *fds;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)g_h.agent);
	fds = opendir(dir);
	if (!fds)
		return false;
	while (!yes && (d = readdir(fds))) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		n -= (ssize_t)strlen(suffix);
		yes = n > 0 && strcmp(target + n, suffix) == 0;
	}
	closedir(fds);
	return yes;
}

/* The first reading of a new container's files makes each file's dentry and inode in the
 * kernel (a fresh scrape of 1,000 new containers cost three times a later one): with
 * --metrics, containers created are read once when creates pause, before any scrape, and
 * their statistics files stay open for it. Without --metrics nothing reads them. */
static void test_new_containers_read_ahead(void **state)
{
	(void)state;
	h_stop_agent(&g_h, SIGTERM);
	g_h.extra[0] = NULL;
	assert_int_equal(h_start_agent(&g_h), 0);
	LMCTL_OK("create", "plain");
	usleep(1500 * 1000); /* three times the quiet spell with --metrics, and its reading */
	assert_false(agent_has_open("/plain/memory.stat"));

	h_stop_agent(&g_h, SIGTERM);
	g_h.extra[0] = "--metrics=127.0.0.1:0";
	assert_int_equal(truncate(g_h.log, 0), 0);
	assert_int_equal(h_start_agent(&g_h), 0);
	assert_int_equal(lmc_test_wait_until(find_port, NULL, 10000), 0);
	LMCTL_OK("create", "ahead");
	LMCTL_OK("create", "ahead/x", "--memory=32M");
	assert_int_equal(lmc_test_wait_until(agent_has_open, "/ahead/x/memory.stat", 5000), 0);
	assert_true(agent_has_open("/ahead/memory.stat"));
	assert_false(agent_has_open("/plain/memory.stat")); /* no scrape yet */
}

/* ---------------- the workloads ---------------- */

static int work_hog(void)
{
	for (;;) {
		char *p = malloc(1 << 20);

		if (!p)
			return 1;
		memset(p, 0x5a, 1 << 20);
	}
}

static int work_spin(const char *ms)
{
	struct timespec ts;
	long long until_ns = atoll(ms) * 1000000LL, ns;

	do {
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
		ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
	} while (ns < until_ns);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest text[] = {
		cmocka_unit_test(test_text_escaping),
		cmocka_unit_test(test_text_fixed_point),
		cmocka_unit_test(test_addr_loopback_only),
		cmocka_unit_test(test_agent_refuses_non_loopback),
	};
	const struct CMUnitTest agent[] = {
		cmocka_unit_test(test_http_answers),
		cmocka_unit_test(test_http_bounds),
		cmocka_unit_test(test_scrape_lints),
		cmocka_unit_test(test_prometheus_scrapes_agent),
		cmocka_unit_test(test_reader_priority),
		cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_new_containers_read_ahead),
	};
	int r;

	if (argc == 2 && strcmp(argv[1], "hog") == 0)
		return work_hog();
	if (argc == 3 && strcmp(argv[1], "spin") == 0)
		return work_spin(argv[2]);
	r = cmocka_run_group_tests_name("metrics_text", text, NULL, NULL);
	return r | cmocka_run_group_tests_name("metrics_agent", agent, setup, teardown);
}
