/* The OOM killer's victims from the kernel log (see oomlog.h). */
#include "core/oomlog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/macro.h"

/* Kills kept: the agent asks within moments of each one, and a burst of kills in one
 * container is one OOM event per count. */
#define KEEP 64
/* /dev/kmsg returns one record per read; the kernel's records are at most 1 KiB of text plus
 * their dictionary. */
#define REC_MAX 8192

struct lmc_oomlog {
	int fd;
	size_t n, next; /* a ring of the last KEEP kills */
	struct lmc_oomkill kill[KEEP];
};

static int parse_pid(const char *s, size_t len, pid_t *ret)
{
	char buf[16];
	char *end;
	long v;

	if (!len || len >= sizeof(buf))
		return -EBADMSG;
	memcpy(buf, s, len);
	buf[len] = '\0';
	v = strtol(buf, &end, 10);
	if (*end || v <= 0 || v > INT32_MAX)
		return -EBADMSG;
	*ret = (pid_t)v;
	return 0;
}

/* The last occurrence of key in text[0..len), or NULL. */
static const char *last(const char *text, size_t len, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = text + len - kl; len >= kl && p >= text; p--)
		if (memcmp(p, key, kl) == 0)
			return p;
	return NULL;
}

/* "...,oom_memcg=X,task_memcg=Y,task=COMM,pid=P,uid=U": parsed from the end, since COMM (a
 * process's own name) and the cgroup names may hold commas and "key=" text of their own. */
static int parse_kill(const char *text, size_t len, struct lmc_oomkill *ret)
{
	const char *uid = last(text, len, ",uid="), *pid, *task, *memcg;

	pid = uid ? last(text, (size_t)(uid - text), ",pid=") : NULL;
	if (!pid || parse_pid(pid + 5, (size_t)(uid - pid - 5), &ret->pid) < 0)
		return -EBADMSG;
	task = last(text, (size_t)(pid - text), ",task=");
	memcg = task ? last(text, (size_t)(task - text), ",task_memcg=") : NULL;
	if (memcg && (size_t)(task - memcg - 12) < sizeof(ret->memcg))
		memcpy(ret->memcg, memcg + 12, (size_t)(task - memcg - 12));
	return 1;
}

int lmc_oomlog_parse(const char *rec, size_t len, struct lmc_oomkill *ret)
{
	const char *semi = memchr(rec, ';', len), *text, *nl, *v;
	size_t tlen, vlen;
	unsigned long long seq;

	if (!semi || sscanf(rec, "%*u,%llu,", &seq) != 1)
		return -EBADMSG;
	text = semi + 1;
	nl = memchr(text, '\n', (size_t)(rec + len - text));
	tlen = (size_t)((nl ? nl : rec + len) - text);
	*ret = (struct lmc_oomkill){.seq = seq};
	if (tlen > 9 && memcmp(text, "oom-kill:", 9) == 0)
		return parse_kill(text, tlen, ret);
	/* "Killed process 1632 (sh) total-vm:...", after "Memory cgroup out of memory: " or
	 * "Out of memory: " (the kernel's own prefix); what else the line says is not needed. */
	v = memmem(text, tlen, "Killed process ", 15);
	if (!v || (v != text && memcmp(v - 2, ": ", 2) != 0))
		return 0;
	v += 15;
	vlen = strspn(v, "0123456789");
	if (parse_pid(v, vlen, &ret->pid) < 0 || v[vlen] != ' ')
		return -EBADMSG;
	return 1;
}

int lmc_oomlog_open(struct lmc_oomlog **ret, struct lmc_err *err)
{
	struct lmc_oomlog *l = calloc(1, sizeof(*l));

	if (!l)
		return lmc_err_set(err, -ENOMEM, "out of memory");
	l->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (l->fd < 0) {
		int r = lmc_negerrno();

		free(l);
		return lmc_err_set(err, r, "/dev/kmsg: %s (OOM events will not name their victim)",
				   strerror(-r));
	}
	(void)lseek(l->fd, 0, SEEK_END); /* from now on */
	*ret = l;
	return 0;
}

void lmc_oomlog_free(struct lmc_oomlog *l)
{
	if (!l)
		return;
	close(l->fd);
	free(l);
}

static void keep(struct lmc_oomlog *l, const struct lmc_oomkill *k)
{
	struct lmc_oomkill *last = l->n ? &l->kill[(l->next + KEEP - 1) % KEEP] : NULL;

	/* The "Killed process" line of a kill whose "oom-kill:" line came just before. */
	if (last && last->pid == k->pid && !k->memcg[0]) {
		last->seq = k->seq;
		return;
	}
	l->kill[l->next] = *k;
	l->next = (l->next + 1) % KEEP;
	if (l->n < KEEP)
		l->n++;
}

void lmc_oomlog_drain(struct lmc_oomlog *l)
{
	char rec[REC_MAX];
	struct lmc_oomkill k;

	for (;;) {
		ssize_t n = read(l->fd, rec, sizeof(rec) - 1);

		if (n < 0 && (errno == EINTR || errno == EPIPE))
			continue; /* EPIPE: records were overwritten before we read them */
		if (n <= 0)
			return; /* EAGAIN: all read */
		rec[n] = '\0';
		if (lmc_oomlog_parse(rec, (size_t)n, &k) == 1)
			keep(l, &k);
	}
}

static bool under(const char *memcg, const char *top)
{
	size_t n = strlen(top);

	if (n == 1 && top[0] == '/')
		return memcg[0] == '/';
	return strncmp(memcg, top, n) == 0 && (memcg[n] == '\0' || memcg[n] == '/');
}

pid_t lmc_oomlog_victim(struct lmc_oomlog *l, const char *memcg, uint64_t *seq,
			bool (*in_cgroup)(pid_t pid, void *ud), void *ud)
{
	for (size_t i = 0; l && i < l->n; i++) {
		const struct lmc_oomkill *k = &l->kill[(l->next + KEEP - 1 - i) % KEEP];

		if (k->seq <= *seq)
			break;
		if (k->memcg[0] ? under(k->memcg, memcg) : in_cgroup && in_cgroup(k->pid, ud)) {
			*seq = k->seq;
			return k->pid;
		}
	}
	return 0;
}
