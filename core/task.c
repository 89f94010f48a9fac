/* Over 800 lines: the table, its two indexes (by task, and by container with its records in
 * start order) and its files are one unit, and every function here keeps their invariant (a
 * record is in v, in its bucket and in its container's chain, or in none).
 *
 * Tasks (core/task.h): the table in memory, one record file per task in <state>/tasks/
 * (<16 hex digits of the container's hash>.<task id>.task; the record names its container,
 * which settles a hash collision), and the detached tasks' logs in <state>/logs/. Records
 * are written to a temporary file and renamed, never fsynced: the state directory lives as
 * long as the processes it describes, and an agent crash loses nothing in the page cache.
 * Every file is opened relative to the directories' fds, never through a symbolic link. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/macro.h"
#include "base/safedir.h"
#include "base/util.h"
#include "core/task.h"
#include "core/record.h"

#define TASKS_DIR "tasks"
#define LOGS_DIR "logs"
#define TASK_SUFFIX ".task"
#define TMP_PREFIX ".tmp."
#define TASK_REC_MAX (1u << 20)

/* A task in the table: the record, and its place in the index by (container, id). */
struct entry {
	struct lmc_task t; /* first: v[] holds &e->t */
	struct entry *next; /* in its bucket */
	struct entry *older, *newer; /* its container's records, in start order */
	uint64_t hash;
};

/* How many records a container has (the cap's count), by container. */
struct count {
	struct count *next;
	uint64_t hash;
	size_t n;
	/* Its records oldest first: the cap's oldest ended one is found among the container's
	 * own, where scanning every record (10,000 kept) for it cost each run at the cap
	 * 10,000 name comparisons. */
	struct entry *oldest, *newest;
	char name[LMC_NAME_MAX + 1];
};

struct lmc_tasks {
	int dirfd, logfd;
	struct lmc_task **v; /* in start order */
	size_t n, cap;
	/* A run looks its task up several times, and a container's count once: with 10,000
	 * records kept, scanning v for each was a third of the agent's time per run. */
	struct entry **bucket;
	struct count **counts;
	size_t n_bucket; /* a power of two, for both */
	unsigned long long seq; /* for generated ids */
	unsigned tmp_seq;
	lmc_task_hook_fn hook;
	void *hook_data;
};

static const char *const state_names[] = {
	[LMC_TASK_RUNNING] = "running",	  [LMC_TASK_EXITED] = "exited",
	[LMC_TASK_SIGNALED] = "signaled", [LMC_TASK_OOM_KILLED] = "oom_killed",
	[LMC_TASK_EVICTED] = "evicted",	  [LMC_TASK_LOST] = "lost",
};

const char *lmc_task_state_str(enum lmc_task_state s)
{
	return (unsigned)s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

bool lmc_task_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > LMC_TASK_ID_MAX || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

void lmc_task_done(struct lmc_task *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->argv && t->argv[i]; i++)
		free(t->argv[i]);
	free(t->argv);
	t->argv = NULL;
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
}

int lmc_task_copy(const struct lmc_task *t, struct lmc_task *ret)
{
	size_t n = 0;

	*ret = *t;
	ret->pidfd = -1;
	while (t->argv && t->argv[n])
		n++;
	ret->argv = calloc(n + 1, sizeof(char *));
	if (!ret->argv)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ret->argv[i] = strdup(t->argv[i]);
		if (!ret->argv[i]) {
			lmc_task_done(ret);
			return -ENOMEM;
		}
	}
	return 0;
}

static void rec_file(const char *container, const char *id, char *buf, size_t size)
{
	snprintf(buf, size, "%016llx.%s" TASK_SUFFIX, (unsigned long long)lmc_util_hash(container),
		 id);
}

/* The log's name in LOGS_DIR; the length it needs (as snprintf). */
static int log_file(const char *container, const char *id, bool previous, char *buf, size_t size)
{
	return snprintf(buf, size, "%016llx.%s.log%s", (unsigned long long)lmc_util_hash(container),
			id, previous ? ".1" : "");
}

int lmc_task_log_name(const char *container, const char *id, bool previous, char *buf, size_t size)
{
	int n = snprintf(buf, size, LOGS_DIR "/");

	if (n >= (int)size)
		return -ENAMETOOLONG;
	n += log_file(container, id, previous, buf + n, size - (size_t)n);
	return n < (int)size ? 0 : -ENAMETOOLONG;
}

/* Temporary file, then rename: a reader (or the next agent) sees the old record or the new. */
static int task_store(struct lmc_tasks *ts, const struct lmc_task *t)
{
	_cleanup_free_ uint8_t *buf = NULL;
	char tmp[64], file[128];
	size_t len;
	int fd, r;

	r = lmc_record_task_encode(t, &buf, &len);
	if (r < 0)
		return r;
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%ld.%u", (long)getpid(), ts->tmp_seq++);
	fd = openat(ts->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return lmc_negerrno();
	r = lmc_safedir_write_all(fd, buf, len);
	if (close(fd) < 0 && r >= 0)
		r = lmc_negerrno();
	rec_file(t->container, t->id, file, sizeof(file));
	if (r >= 0 && renameat(ts->dirfd, tmp, ts->dirfd, file) < 0)
		r = lmc_negerrno();
	if (r < 0)
		unlinkat(ts->dirfd, tmp, 0);
	return r;
}

/* Records are a few hundred bytes: one open and one read each, from the stack. */
static int read_rec(struct lmc_tasks *ts, const char *file, unsigned char d_type,
		    struct lmc_task *ret)
{
	char buf[4096];
	_cleanup_free_ char *big = NULL;
	const char *p;
	int n = lmc_util_read_file_at(ts->dirfd, file, d_type, TASK_REC_MAX, buf, sizeof(buf), &big,
				      &p);

	if (n < 0)
		return n;
	return lmc_record_task_decode((const uint8_t *)p, (size_t)n, ret);
}

static int grow(struct lmc_tasks *ts)
{
	if (ts->n < ts->cap)
		return 0;
	size_t cap = ts->cap ? ts->cap * 2 : 64;
	struct lmc_task **v = realloc(ts->v, cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	ts->v = v;
	ts->cap = cap;
	return 0;
}

/* ---- the index: (container, id) -> record, container -> how many it has ---- */

static uint64_t key_hash(const char *container, const char *id)
{
	return lmc_util_hash(container) ^ (lmc_util_hash(id) * 0x9e3779b97f4a7c15ull);
}

static struct entry *entry_of(const struct lmc_task *t)
{
	return container_of(t, struct entry, t);
}

/* Room for one more record: both tables get twice the buckets once full (one a record). */
static int index_grow(struct lmc_tasks *ts)
{
	size_t nb = ts->n_bucket ? ts->n_bucket * 2 : 256;
	struct entry **b, *e, *en;
	struct count **c, *k, *kn;

	if (ts->n < ts->n_bucket)
		return 0;
	b = calloc(nb, sizeof(*b));
	c = calloc(nb, sizeof(*c));
	if (!b || !c) {
		free(b);
		free(c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ts->n_bucket; i++) {
		for (e = ts->bucket[i]; e; e = en) {
			en = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
		for (k = ts->counts[i]; k; k = kn) {
			kn = k->next;
			k->next = c[k->hash & (nb - 1)];
			c[k->hash & (nb - 1)] = k;
		}
	}
	free(ts->bucket);
	free(ts->counts);
	ts->bucket = b;
	ts->counts = c;
	ts->n_bucket = nb;
	return 0;
}

static struct count *count_find(const struct lmc_tasks *ts, const char *container, uint64_t h)
{
	struct count *k = ts->n_bucket ? ts->counts[h & (ts->n_bucket - 1)] : NULL;

	while (k && (k->hash != h || strcmp(k->name, container) != 0))
		k = k->next;
	return k;
}

/* e the newest of its container's chain. */
static void chain_append(struct count *k, struct entry *e)
{
	e->older = k->newest;
	e->newer = NULL;
	if (k->newest)
		k->newest->newer = e;
	else
		k->oldest = e;
	k->newest = e;
}

/* Enter a record (index_grow done): -ENOMEM, and nothing changed, if its container's count
 * cannot be made. */
static int index_add(struct lmc_tasks *ts, struct entry *e)
{
	uint64_t hc = lmc_util_hash(e->t.container);
	struct count *k = count_find(ts, e->t.container, hc);

	if (!k) {
		k = calloc(1, sizeof(*k));
		if (!k)
			return -ENOMEM;
		k->hash = hc;
		snprintf(k->name, sizeof(k->name), "%s", e->t.container);
		k->next = ts->counts[hc & (ts->n_bucket - 1)];
		ts->counts[hc & (ts->n_bucket - 1)] = k;
	}
	k->n++;
	chain_append(k, e);
	e->hash = key_hash(e->t.container, e->t.id);
	e->next = ts->bucket[e->hash & (ts->n_bucket - 1)];
	ts->bucket[e->hash & (ts->n_bucket - 1)] = e;
	return 0;
}

static void index_del(struct lmc_tasks *ts, struct entry *e)
{
	uint64_t hc = lmc_util_hash(e->t.container);
	struct entry **pe = &ts->bucket[e->hash & (ts->n_bucket - 1)];
	struct count **pk = &ts->counts[hc & (ts->n_bucket - 1)];

	while (*pe != e)
		pe = &(*pe)->next;
	*pe = e->next;
	while ((*pk)->hash != hc || strcmp((*pk)->name, e->t.container) != 0)
		pk = &(*pk)->next;
	if (e->older)
		e->older->newer = e->newer;
	else
		(*pk)->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		(*pk)->newest = e->older;
	if (--(*pk)->n == 0) {
		struct count *k = *pk;

		*pk = k->next;
		free(k);
	}
}

static void index_free(struct lmc_tasks *ts)
{
	for (size_t i = 0; i < ts->n_bucket; i++)
		for (struct count *k = ts->counts[i], *kn; k; k = kn) {
			kn = k->next;
			free(k);
		}
	free(ts->bucket);
	free(ts->counts);
}

/* Each container's chain in v's order (start order, once v is sorted after a load). */
static void chains_rebuild(struct lmc_tasks *ts)
{
	for (size_t i = 0; i < ts->n_bucket; i++)
		for (struct count *k = ts->counts[i]; k; k = k->next)
			k->oldest = k->newest = NULL;
	for (size_t i = 0; i < ts->n; i++) {
		struct entry *e = entry_of(ts->v[i]);
		chain_append(count_find(ts, e->t.container, lmc_util_hash(e->t.container)), e);
	}
}

static int by_start(const void *a, const void *b)
{
	const struct lmc_task *x = *(struct lmc_task *const *)a, *y = *(struct lmc_task *const *)b;

	return x->started_ns < y->started_ns ? -1 : x->started_ns > y->started_ns;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* One file: a record kept, a leftover temporary removed, an unreadable one moved aside. */
static int load_one(struct lmc_tasks *ts, const char *file, unsigned char d_type)
{
	struct lmc_task t;
	struct entry *p;
	char aside[NAME_MAX + 1];
	int r;

	if (strncmp(file, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
		unlinkat(ts->dirfd, file, 0);
		return 0;
	}
	if (!has_suffix(file, TASK_SUFFIX))
		return 0;
	r = read_rec(ts, file, d_type, &t);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		snprintf(aside, sizeof(aside), "%.240s.corrupt", file);
		renameat(ts->dirfd, file, ts->dirfd, aside);
		return 0;
	}
	p = malloc(sizeof(*p));
	if (p)
		p->t = t;
	if (!p || grow(ts) < 0 || index_grow(ts) < 0 || index_add(ts, p) < 0) {
		free(p);
		lmc_task_done(&t);
		return -ENOMEM;
	}
	ts->v[ts->n++] = &p->t;
	return 0;
}

/* only: the file name prefix of one container's records ("" all) */
static int load(struct lmc_tasks *ts, const char *only)
{
	size_t olen = strlen(only);
	DIR *d;
	struct dirent *de;
	int r = lmc_util_opendir_at(ts->dirfd, &d);

	if (r < 0)
		return r;
	while (r >= 0 && (de = readdir(d)))
		if ((de->d_name[0] != '.' || (!olen && strncmp(de->d_name, TMP_PREFIX, 5) == 0)) &&
		    strncmp(de->d_name, only, olen) == 0)
			r = load_one(ts, de->d_name, de->d_type);
	closedir(d);
	if (ts->n) {
		qsort(ts->v, ts->n, sizeof(*ts->v), by_start);
		chains_rebuild(ts);
	}
	return r;
}

static int open_sub(int dirfd, const char *sub, struct lmc_err *err)
{
	int fd;

	if (mkdirat(dirfd, sub, 0700) < 0 && errno != EEXIST)
		return lmc_err_set(err, lmc_negerrno(), "state directory: cannot create %s: %m",
				   sub);
	fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return lmc_err_set(err, lmc_negerrno(), "state directory: cannot open %s: %m", sub);
	return fd;
}

static int tasks_open(int state_dirfd, const char *only, struct lmc_tasks **ret,
		      struct lmc_err *err)
{
	struct lmc_tasks *ts = calloc(1, sizeof(*ts));
	int r;

	if (!ts)
		return lmc_err_set(err, -ENOMEM, "out of memory");
	ts->dirfd = open_sub(state_dirfd, TASKS_DIR, err);
	ts->logfd = ts->dirfd < 0 ? -1 : open_sub(state_dirfd, LOGS_DIR, err);
	r = ts->dirfd < 0 ? ts->dirfd : ts->logfd;
	if (r >= 0) {
		r = load(ts, only);
		if (r < 0)
			lmc_err_set(err, r, "state directory: cannot load tasks: %s", strerror(-r));
	}
	if (r < 0) {
		lmc_tasks_free(ts);
		return r;
	}
	*ret = ts;
	return 0;
}

int lmc_tasks_open(int state_dirfd, struct lmc_tasks **ret, struct lmc_err *err)
{
	return tasks_open(state_dirfd, "", ret, err);
}

int lmc_tasks_open_for(int state_dirfd, const char *container, struct lmc_tasks **ret,
		       struct lmc_err *err)
{
	char only[24];

	/* the leftover temporaries of an interrupted write stay for the next whole load */
	snprintf(only, sizeof(only), "%016llx.", (unsigned long long)lmc_util_hash(container));
	return tasks_open(state_dirfd, only, ret, err);
}

void lmc_tasks_free(struct lmc_tasks *ts)
{
	if (!ts)
		return;
	for (size_t i = 0; i < ts->n; i++) {
		lmc_task_done(ts->v[i]);
		free(entry_of(ts->v[i]));
	}
	free(ts->v);
	index_free(ts);
	if (ts->dirfd >= 0)
		close(ts->dirfd);
	if (ts->logfd >= 0)
		close(ts->logfd);
	free(ts);
}

void lmc_tasks_set_hook(struct lmc_tasks *ts, lmc_task_hook_fn fn, void *userdata)
{
	ts->hook = fn;
	ts->hook_data = userdata;
}

static void call_hook(struct lmc_tasks *ts, enum lmc_task_change what, const struct lmc_task *t)
{
	if (ts->hook)
		ts->hook(what, t, ts->hook_data);
}

struct lmc_task *lmc_tasks_find(struct lmc_tasks *ts, const char *container, const char *id)
{
	uint64_t h = key_hash(container, id);
	struct entry *e = ts->n_bucket ? ts->bucket[h & (ts->n_bucket - 1)] : NULL;

	for (; e; e = e->next)
		if (e->hash == h && strcmp(e->t.id, id) == 0 &&
		    strcmp(e->t.container, container) == 0)
			return &e->t;
	return NULL;
}

void lmc_tasks_new_id(struct lmc_tasks *ts, const char *container, char *ret)
{
	do
		snprintf(ret, LMC_TASK_ID_MAX + 1, "t%llu", ++ts->seq);
	while (lmc_tasks_find(ts, container, ret));
}

static void remove_at(struct lmc_tasks *ts, size_t i)
{
	char file[128];
	struct lmc_task *t = ts->v[i];

	rec_file(t->container, t->id, file, sizeof(file));
	unlinkat(ts->dirfd, file, 0);
	log_file(t->container, t->id, false, file, sizeof(file));
	unlinkat(ts->logfd, file, 0);
	log_file(t->container, t->id, true, file, sizeof(file));
	unlinkat(ts->logfd, file, 0);
	index_del(ts, entry_of(t));
	lmc_task_done(t);
	free(entry_of(t));
	memmove(ts->v + i, ts->v + i + 1, (ts->n - i - 1) * sizeof(*ts->v));
	ts->n--;
}

size_t lmc_tasks_count(struct lmc_tasks *ts, const char *container)
{
	const struct count *k = count_find(ts, container, lmc_util_hash(container));

	return k ? k->n : 0;
}

struct lmc_task *lmc_tasks_oldest(struct lmc_tasks *ts, const char *container)
{
	const struct count *k = count_find(ts, container, lmc_util_hash(container));

	return k && k->oldest ? &k->oldest->t : NULL;
}

struct lmc_task *lmc_tasks_newer(struct lmc_task *t)
{
	struct entry *e = entry_of(t)->newer;

	return e ? &e->t : NULL;
}

/* Where t is in v (a pointer compared, no name). */
static size_t index_of(const struct lmc_tasks *ts, const struct lmc_task *t)
{
	size_t i = 0;

	while (i < ts->n && ts->v[i] != t)
		i++;
	return i;
}

/* Past the cap, the container's oldest ended task goes; if all run, the run is refused. */
static int make_room(struct lmc_tasks *ts, const char *container, struct lmc_err *err)
{
	const struct count *k = count_find(ts, container, lmc_util_hash(container));

	if (!k || k->n < LMC_TASKS_PER_CONTAINER)
		return 0;
	for (const struct entry *e = k->oldest; e; e = e->newer)
		if (e->t.state != LMC_TASK_RUNNING) {
			remove_at(ts, index_of(ts, &e->t));
			return 0;
		}
	return lmc_err_set(err, -EAGAIN, "%s: run: %d tasks are running (the most kept)",
			   lmc_name_display(container), LMC_TASKS_PER_CONTAINER);
}

int lmc_tasks_add(struct lmc_tasks *ts, struct lmc_task *t, struct lmc_err *err)
{
	struct entry *p;
	int r = make_room(ts, t->container, err);

	if (r < 0)
		return r;
	p = malloc(sizeof(*p));
	if (p)
		p->t = *t;
	if (!p || grow(ts) < 0 || index_grow(ts) < 0 || index_add(ts, p) < 0) {
		free(p);
		return lmc_err_set(err, -ENOMEM, "out of memory");
	}
	t->argv = NULL;
	t->pidfd = -1;
	ts->v[ts->n++] = &p->t;
	return 0;
}

int lmc_tasks_started(struct lmc_tasks *ts, struct lmc_task *t)
{
	int r = task_store(ts, t);

	call_hook(ts, LMC_TASK_STARTED, t);
	return r;
}

void lmc_tasks_ended(struct lmc_tasks *ts, struct lmc_task *t, int wstatus, uint64_t oom_now,
		     const char *why)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	t->exit_code = -1;
	t->signal = 0;
	if (wstatus < 0) {
		t->state = LMC_TASK_LOST;
		snprintf(t->reason, sizeof(t->reason), "%s", why ? why : "status unknown");
	} else if (WIFEXITED(wstatus)) {
		t->state = LMC_TASK_EXITED;
		t->exit_code = WEXITSTATUS(wstatus);
	} else {
		t->signal = WTERMSIG(wstatus);
		t->state = LMC_TASK_SIGNALED;
		if (t->signal == SIGKILL && oom_now != UINT64_MAX && oom_now > t->oom_kills)
			t->state = LMC_TASK_OOM_KILLED;
	}
	if (t->evicting[0] && t->state != LMC_TASK_EXITED) {
		t->state = LMC_TASK_EVICTED;
		snprintf(t->reason, sizeof(t->reason), "%s", t->evicting);
	}
	t->finished_ns = wstatus < 0 ? 0 : (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec;
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
	task_store(ts, t); /* best effort: the next load finds it running and probes it */
	call_hook(ts, LMC_TASK_ENDED, t);
}

int lmc_tasks_delete(struct lmc_tasks *ts, const char *container, const char *id)
{
	struct lmc_task *t = lmc_tasks_find(ts, container, id);

	if (!t)
		return -ENOENT;
	remove_at(ts, index_of(ts, t));
	return 0;
}

static bool in_scope(const char *name, const char *top, bool recursive)
{
	if (strcmp(name, top) == 0)
		return true;
	return recursive && (lmc_name_is_root(top) || lmc_name_is_under(name, top));
}

void lmc_tasks_drop_container(struct lmc_tasks *ts, const char *container)
{
	for (size_t i = ts->n; i-- > 0;)
		if (in_scope(ts->v[i]->container, container, true))
			remove_at(ts, i);
}

void lmc_tasks_list_free(struct lmc_task *l, size_t n)
{
	for (size_t i = 0; l && i < n; i++)
		lmc_task_done(&l[i]);
	free(l);
}

int lmc_tasks_list(struct lmc_tasks *ts, const char *container, bool recursive,
		   struct lmc_task **ret, size_t *ret_n)
{
	struct lmc_task *l = calloc(ts->n ? ts->n : 1, sizeof(*l));
	size_t n = 0;

	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < ts->n; i++) {
		if (!in_scope(ts->v[i]->container, container, recursive))
			continue;
		if (lmc_task_copy(ts->v[i], &l[n]) < 0) {
			lmc_tasks_list_free(l, n);
			return -ENOMEM;
		}
		n++;
	}
	*ret = l;
	*ret_n = n;
	return 0;
}

int lmc_tasks_running(struct lmc_tasks *ts, struct lmc_task ***ret, size_t *ret_n)
{
	struct lmc_task **l = malloc((ts->n ? ts->n : 1) * sizeof(*l));
	size_t n = 0;

	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < ts->n; i++)
		if (ts->v[i]->state == LMC_TASK_RUNNING)
			l[n++] = ts->v[i];
	*ret = l;
	*ret_n = n;
	return 0;
}

size_t lmc_tasks_mark_evicted(struct lmc_tasks *ts, const char *container, const char *reason)
{
	size_t n = 0;

	for (size_t i = 0; i < ts->n; i++) {
		struct lmc_task *t = ts->v[i];

		if (t->state != LMC_TASK_RUNNING || !in_scope(t->container, container, true))
			continue;
		snprintf(t->evicting, sizeof(t->evicting), "%s",
			 reason && *reason ? reason : "evicted");
		n++;
	}
	return n;
}

/* ---- logs of detached tasks ---- */

int lmc_tasks_log_open(struct lmc_tasks *ts, const char *container, const char *id)
{
	char file[128];
	int fd;

	log_file(container, id, true, file, sizeof(file));
	unlinkat(ts->logfd, file, 0);
	log_file(container, id, false, file, sizeof(file));
	/* O_APPEND: once rotated (truncated), the task's writes start again at 0. */
	fd = openat(ts->logfd, file,
		    O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	return fd < 0 ? lmc_negerrno() : fd;
}

int lmc_tasks_log_read(struct lmc_tasks *ts, const char *container, const char *id, uint64_t offset,
		       size_t max, uint8_t **ret_buf, size_t *ret_len, uint64_t *ret_next,
		       bool *ret_rotated)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ uint8_t *buf = NULL;
	char file[128];
	struct stat st;
	ssize_t n;

	log_file(container, id, false, file, sizeof(file));
	fd = openat(ts->logfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return lmc_negerrno();
	if (fstat(fd, &st) < 0)
		return lmc_negerrno();
	*ret_rotated = offset > (uint64_t)st.st_size;
	if (*ret_rotated)
		offset = 0;
	buf = malloc(max ? max : 1);
	if (!buf)
		return -ENOMEM;
	n = pread(fd, buf, max, (off_t)offset);
	if (n < 0)
		return lmc_negerrno();
	*ret_len = (size_t)n;
	*ret_next = offset + (uint64_t)n;
	*ret_buf = TAKE_PTR(buf);
	return 0;
}

/* Copy the log to <log>.1 and truncate it: the task keeps writing (O_APPEND) from 0. */
static void rotate_one(struct lmc_tasks *ts, const struct lmc_task *t)
{
	char file[128], prev[128], buf[65536];
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	struct stat st;
	ssize_t n;

	log_file(t->container, t->id, false, file, sizeof(file));
	log_file(t->container, t->id, true, prev, sizeof(prev));
	in = openat(ts->logfd, file, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0 || st.st_size <= (off_t)LMC_TASK_LOG_MAX)
		return;
	out = openat(ts->logfd, prev, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (lmc_safedir_write_all(out, (uint8_t *)buf, (size_t)n) < 0)
			return;
	if (ftruncate(in, 0) < 0)
		return; /* tried again at the next round */
}

void lmc_tasks_log_rotate(struct lmc_tasks *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		if (ts->v[i]->log && ts->v[i]->state == LMC_TASK_RUNNING)
			rotate_one(ts, ts->v[i]);
}
