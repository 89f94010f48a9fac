/* The kernel boundary, part 5: one directory fd per container and hierarchy, kept while the
 * container exists (as runc and crun keep a cgroup's dirfd), so a file is one openat on it
 * instead of a walk of the whole relative path from lmctl's root each time. The container's
 * directory is opened once, with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) where the
 * kernel has it: nothing can lead it out of lmctl's root.
 *
 * Shared by the loop and the stats workers: a mutex guards the table and a reference keeps
 * an fd open while a caller uses it. Bounded in fds held by all tables of the process, half
 * of RLIMIT_NOFILE (10,000 containers are up to 90,000 directories on hybrid; the agent's
 * clients take at most 8,192 of its 65,536), the least recently used unreferenced entries go first. Counted in fds, not
 * entries times hierarchies: a reading of every container (a scrape, `stats -r`) holds 5 of
 * hybrid's 9 directories a container, and an LRU table even one entry smaller than the set
 * read in a cycle misses every time (with 20,000 fds, entries of 9: 1,000 containers read
 * opened and closed 5,000 directories a scrape). A directory removed behind lmctl's back is
 * found on ENOENT and opened again by the caller. */
#include "controllers/cgroupfs-internal.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BUCKETS 4096

struct lmc_cgfs_dent {
	struct lmc_cgfs_dent *next; /* bucket chain */
	struct lmc_cgfs_dent *lru_prev, *lru_next; /* most recent at the head */
	struct lmc_cgfs_dent *kl_prev, *kl_next; /* in the kept list while n_kept > 0 */
	unsigned refs;
	bool dead; /* forgotten while referenced: closed at the last put */
	uint64_t used_ns; /* last handed out (lmc_util_now_ns) */
	int fd[LMC_CTRL__MAX]; /* per hierarchy index, -EBADF until opened */
	/* Statistics files kept open (lmc_cgfs_kept_*): n_kept slots, each written whole under
	 * the lock before n_kept counts it (a release store: a pinned reader loads it without
	 * the lock). fd[] likewise. */
	unsigned n_kept;
	struct {
		int fd;
		uint8_t h, k;
	} kept[LMC_CGFS_KEPT_MAX];
	char name[];
};

struct lmc_cgfs_dcache {
	pthread_mutex_t lock;
	struct lmc_cgfs_dent *b[BUCKETS];
	struct lmc_cgfs_dent *lru_head, *lru_tail;
	/* entries holding kept files, oldest first: the first to yield (room) without a walk
	 * past every entry that holds none (a scrape's first reading of 1,000 containers walked
	 * the whole table under the lock for each directory it opened, and its readers waited
	 * for the lock more than they read) */
	struct lmc_cgfs_dent *kl_head, *kl_tail;
	size_t n, fds, cap; /* entries, fds they hold, the bound on fds */
	size_t kept; /* of fds: kept files */
	uint64_t forgets; /* lmc_cgfs_dir_forget calls so far */
	uint64_t opened; /* directories opened (atomic) */
	uint64_t kept_reads; /* kept files handed out (under the lock) */
};

static bool no_openat2;
/* The entry this thread pinned (lmc_cgfs_pin), its table's, and how many pins are open
 * (nested ones pin nothing more: the outermost pin holds, until its own unpin). */
static __thread struct lmc_cgfs_dent *pinned;
static __thread struct lmc_cgfs_dcache *pinned_d;
static __thread unsigned pin_depth;
static struct lmc_cgfs_dent *pin_of(struct lmc_cgfs_dcache *d, const char *name);
/* The fds every table of this process holds: the bound is the process's, not a table's (a
 * process with two managers, as bench_agent's reader beside a fresh one, had each take half
 * of RLIMIT_NOFILE and the second ran out of fds: EMFILE in the middle of a stats -r). */
static _Atomic size_t proc_fds;

static uint32_t hash(const char *s)
{
	return (uint32_t)(lmc_util_hash(s) % BUCKETS);
}

static size_t cap_now(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 1024;
	return rl.rlim_cur / 2;
}

int lmc_cgfs_dcache_new(struct lmc_cgfs *cg)
{
	struct lmc_cgfs_dcache *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	d->cap = cap_now();
	cg->dcache = d;
	return 0;
}

static void dent_close(struct lmc_cgfs_dent *e)
{
	for (int i = 0; i < LMC_CTRL__MAX; i++)
		if (e->fd[i] >= 0)
			close(e->fd[i]);
	for (unsigned i = 0; i < e->n_kept; i++)
		close(e->kept[i].fd);
	free(e);
}

static void lru_unlink(struct lmc_cgfs_dcache *d, struct lmc_cgfs_dent *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		d->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		d->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push(struct lmc_cgfs_dcache *d, struct lmc_cgfs_dent *e)
{
	e->lru_next = d->lru_head;
	if (d->lru_head)
		d->lru_head->lru_prev = e;
	d->lru_head = e;
	if (!d->lru_tail)
		d->lru_tail = e;
}

static void kl_unlink(struct lmc_cgfs_dcache *d, struct lmc_cgfs_dent *e)
{
	if (e->kl_prev)
		e->kl_prev->kl_next = e->kl_next;
	else
		d->kl_head = e->kl_next;
	if (e->kl_next)
		e->kl_next->kl_prev = e->kl_prev;
	else
		d->kl_tail = e->kl_prev;
	e->kl_prev = e->kl_next = NULL;
}

static void kl_append(struct lmc_cgfs_dcache *d, struct lmc_cgfs_dent *e)
{
	e->kl_prev = d->kl_tail;
	if (d->kl_tail)
		d->kl_tail->kl_next = e;
	else
		d->kl_head = e;
	d->kl_tail = e;
}

/* Take e out of the table; closed now, or by the last put when still referenced. */
static void drop(struct lmc_cgfs_dcache *d, struct lmc_cgfs_dent *e)
{
	struct lmc_cgfs_dent **p = &d->b[hash(e->name)];

	while (*p != e)
		p = &(*p)->next;
	*p = e->next;
	lru_unlink(d, e);
	if (e->n_kept)
		kl_unlink(d, e);
	d->n--;
	for (int i = 0; i < LMC_CTRL__MAX; i++)
		if (e->fd[i] >= 0) {
			d->fds--;
			proc_fds--;
		}
	d->fds -= e->n_kept;
	d->kept -= e->n_kept;
	proc_fds -= e->n_kept;
	if (e->refs)
		__atomic_store_n(&e->dead, true, __ATOMIC_RELAXED); /* a pin stops using it */
	else
		dent_close(e);
}

void lmc_cgfs_dcache_free(struct lmc_cgfs *cg)
{
	struct lmc_cgfs_dcache *d = cg->dcache;

	if (!d)
		return;
	while (d->lru_head)
		drop(d, d->lru_head);
	pthread_mutex_destroy(&d->lock);
	free(d);
	cg->dcache = NULL;
}

/* Kept fds taken out of the table under the lock, closed by the caller after it: a kernfs
 * file's release is slow enough that closing them under the lock had the other readers of a
 * scrape wait for it. */
struct closing {
	unsigned n;
	int fd[4 * LMC_CGFS_KEPT_MAX];
};

static void closing_flush(struct closing *c)
{
	for (unsigned i = 0; i < c->n; i++)
		close(c->fd[i]);
	c->n = 0;
}

/* Close the kept files of an entry nobody holds (into c while it has room). */
static void unkeep(struct lmc_cgfs_dcache *d, struct lmc_cgfs_dent *e, struct closing *c)
{
	for (unsigned i = 0; i < e->n_kept; i++)
		if (c->n < ARRAY_SIZE(c->fd))
			c->fd[c->n++] = e->kept[i].fd;
		else
			close(e->kept[i].fd);
	d->fds -= e->n_kept;
	d->kept -= e->n_kept;
	proc_fds -= e->n_kept;
	e->n_kept = 0; /* nobody holds e: no pinned reader */
	kl_unlink(d, e);
}

/* Room for one more fd. Kept files yield first, the longest kept first, to
 * anything: they only save system calls, and where they filled the table before a reading
 * had all its directories (a scrape's first), the directories of the rest were opened and
 * closed again on every scrape. Then entries nobody holds and nobody used for IDLE_NS, least
 * recently used first. A table full of entries used since then takes no more (the caller's
 * fd is its own, closed after use): a reading going round more than fits (stats -r of 10,000
 * containers) keeps finding the ones it holds, where least recently used first out threw
 * each out the round before its turn and found none. */
#define IDLE_NS (300 * 1000000000ull)

static bool room(struct lmc_cgfs_dcache *d, struct closing *c)
{
	struct lmc_cgfs_dent *e, *prev, *next;
	uint64_t now;

	if (proc_fds < d->cap)
		return true;
	d->cap = cap_now(); /* the agent raises its limit after opening */
	for (e = d->kl_head; e && proc_fds >= d->cap; e = next) {
		next = e->kl_next;
		if (!e->refs)
			unkeep(d, e, c);
	}
	now = lmc_util_now_ns();
	/* in order of use: the first one used since IDLE_NS ends the search */
	for (e = d->lru_tail; e && proc_fds >= d->cap; e = prev) {
		prev = e->lru_prev;
		if (e->refs)
			continue;
		if (now - e->used_ns < IDLE_NS)
			break;
		drop(d, e);
	}
	return proc_fds < d->cap;
}

static struct lmc_cgfs_dent *lookup(struct lmc_cgfs_dcache *d, const char *name)
{
	for (struct lmc_cgfs_dent *e = d->b[hash(name)]; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static struct lmc_cgfs_dent *insert(struct lmc_cgfs_dcache *d, const char *name)
{
	size_t len = strlen(name);
	struct lmc_cgfs_dent *e;
	uint32_t h = hash(name);

	e = calloc(1, sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	for (int i = 0; i < LMC_CTRL__MAX; i++)
		e->fd[i] = -EBADF;
	memcpy(e->name, name, len + 1);
	e->next = d->b[h];
	d->b[h] = e;
	lru_push(d, e);
	d->n++;
	return e;
}

/* The container's directory below root_fd, never through a link or out of the root. */
static int open_beneath(int root_fd, const char *name)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (!__atomic_load_n(&no_openat2, __ATOMIC_RELAXED)) {
		fd = (int)syscall(SYS_openat2, root_fd, name, &how, sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS)
			return lmc_negerrno();
		__atomic_store_n(&no_openat2, true, __ATOMIC_RELAXED);
	}
	/* names are checked (no "..", no leading '/') before they get here */
	fd = openat(root_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? lmc_negerrno() : fd;
}

/* Locked: keep *fd, just opened, as name's in hierarchy h, unless another thread kept one
 * meanwhile (*fd stays the caller's to close) or there is no room (NULL: it stays the
 * caller's alone). The entry comes referenced. */
static struct lmc_cgfs_dent *keep(struct lmc_cgfs_dcache *d, const char *name, int h, int *fd,
				  struct closing *c)
{
	struct lmc_cgfs_dent *e = lookup(d, name);

	if (e && e->fd[h] >= 0) {
		e->refs++;
		return e;
	}
	if (e)
		e->refs++; /* not made room from */
	if (!room(d, c)) {
		if (e)
			e->refs--;
		return NULL;
	}
	if (!e && (e = insert(d, name)))
		e->refs++;
	if (!e)
		return NULL;
	__atomic_store_n(&e->fd[h], *fd, __ATOMIC_RELEASE);
	e->used_ns = lmc_util_now_ns();
	d->fds++;
	proc_fds++;
	*fd = -EBADF;
	return e;
}

int lmc_cgfs_dir_get(struct lmc_cgfs *cg, int h, const char *name, struct lmc_cgfs_dref *ret)
{
	struct lmc_cgfs_dcache *d = cg->dcache;
	struct lmc_cgfs_dent *e;
	struct closing c;
	uint64_t forgets;
	int fd;

	c.n = 0;
	*ret = (struct lmc_cgfs_dref){.fd = -EBADF};
	if (!name[0]) {
		ret->fd = cg->hier[h].root_fd;
		return ret->fd;
	}
	e = pin_of(d, name);
	if (e && (fd = __atomic_load_n(&e->fd[h], __ATOMIC_ACQUIRE)) >= 0) {
		ret->fd = fd; /* the pin holds it */
		return fd;
	}
	pthread_mutex_lock(&d->lock);
	e = lookup(d, name);
	if (e && e->fd[h] >= 0) {
		e->refs++;
		e->used_ns = lmc_util_now_ns();
		lru_unlink(d, e);
		lru_push(d, e);
		pthread_mutex_unlock(&d->lock);
		*ret = (struct lmc_cgfs_dref){.fd = e->fd[h], .ent = e};
		return ret->fd;
	}
	forgets = d->forgets;
	pthread_mutex_unlock(&d->lock);
	/* A name is checked once, when its directory is opened: a kept fd is its proof. */
	if (!lmc_name_is_relpath(name))
		return -EINVAL;
	/* opened unlocked: a slow open never holds up the others */
	fd = open_beneath(cg->hier[h].root_fd, name);
	if (fd < 0)
		return fd;
	__atomic_fetch_add(&d->opened, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&d->lock);
	/* A directory forgotten while this one was being opened may be the one just opened,
	 * removed since: it is not kept (this caller's alone; the next lookup opens anew). */
	e = d->forgets != forgets ? NULL : keep(d, name, h, &fd, &c);
	if (e)
		*ret = (struct lmc_cgfs_dref){.fd = e->fd[h], .ent = e};
	pthread_mutex_unlock(&d->lock);
	closing_flush(&c);
	if (!e) /* the table is full of held entries: this fd is the caller's alone */
		*ret = (struct lmc_cgfs_dref){.fd = fd, .own = true};
	else if (fd >= 0)
		close(fd); /* another thread opened it meanwhile */
	return ret->fd;
}

void lmc_cgfs_dir_put(struct lmc_cgfs *cg, struct lmc_cgfs_dref *ref)
{
	struct lmc_cgfs_dent *e = ref->ent;

	if (ref->own && ref->fd >= 0)
		close(ref->fd);
	if (e) {
		pthread_mutex_lock(&cg->dcache->lock);
		if (--e->refs == 0 && e->dead)
			dent_close(e);
		pthread_mutex_unlock(&cg->dcache->lock);
	}
	*ref = (struct lmc_cgfs_dref){.fd = -EBADF};
}

void lmc_cgfs_dir_forget(struct lmc_cgfs *cg, const char *name)
{
	struct lmc_cgfs_dcache *d = cg->dcache;
	struct lmc_cgfs_dent *e;

	if (!d || !name[0])
		return;
	pthread_mutex_lock(&d->lock);
	d->forgets++;
	e = lookup(d, name);
	if (e)
		drop(d, e);
	pthread_mutex_unlock(&d->lock);
}

uint64_t lmc_cgfs_dcache_opened(struct lmc_cgfs *cg)
{
	return cg->dcache ? __atomic_load_n(&cg->dcache->opened, __ATOMIC_RELAXED) : 0;
}

int lmc_cgfs_kept_get(struct lmc_cgfs *cg, int h, const char *name, unsigned k,
		      struct lmc_cgfs_dref *ret)
{
	struct lmc_cgfs_dcache *d = cg->dcache;
	struct lmc_cgfs_dent *e;

	*ret = (struct lmc_cgfs_dref){.fd = -EBADF};
	if (!d || !name[0])
		return -ENOENT;
	e = pin_of(d, name);
	if (e) {
		unsigned n = __atomic_load_n(&e->n_kept, __ATOMIC_ACQUIRE);

		for (unsigned i = 0; i < n; i++)
			if (e->kept[i].h == h && e->kept[i].k == k) {
				__atomic_fetch_add(&d->kept_reads, 1, __ATOMIC_RELAXED);
				ret->fd = e->kept[i].fd; /* the pin holds it */
				return ret->fd;
			}
		return -ENOENT;
	}
	/* unlocked: a table without kept files (full of directories) costs no lock here */
	if (!__atomic_load_n(&d->kept, __ATOMIC_RELAXED))
		return -ENOENT;
	pthread_mutex_lock(&d->lock);
	e = lookup(d, name);
	for (unsigned i = 0; e && i < e->n_kept; i++)
		if (e->kept[i].h == h && e->kept[i].k == k) {
			e->refs++;
			e->used_ns = lmc_util_now_ns();
			lru_unlink(d, e);
			lru_push(d, e);
			*ret = (struct lmc_cgfs_dref){.fd = e->kept[i].fd, .ent = e};
			__atomic_fetch_add(&d->kept_reads, 1, __ATOMIC_RELAXED);
			break;
		}
	pthread_mutex_unlock(&d->lock);
	return ret->ent ? ret->fd : -ENOENT;
}

/* A file is kept only in room the table has without evicting anything: a reading round more
 * files than fit keeps the first ones it reads instead of closing them for the next. */
void lmc_cgfs_kept_add(struct lmc_cgfs *cg, int h, const char *name, unsigned k, int fd)
{
	struct lmc_cgfs_dcache *d = cg->dcache;
	struct lmc_cgfs_dent *e;

	/* unlocked: a full table (a reading of more than fits) costs no lock here */
	if (!d || !name[0] || k > UINT8_MAX ||
	    proc_fds >= __atomic_load_n(&d->cap, __ATOMIC_RELAXED)) {
		close(fd);
		return;
	}
	pthread_mutex_lock(&d->lock);
	e = lookup(d, name);
	for (unsigned i = 0; e && i < e->n_kept; i++)
		if (e->kept[i].h == h && e->kept[i].k == k)
			e = NULL; /* another thread kept it meanwhile */
	if (e && e->n_kept < LMC_CGFS_KEPT_MAX && proc_fds < d->cap) {
		e->kept[e->n_kept].fd = fd;
		e->kept[e->n_kept].h = (uint8_t)h;
		e->kept[e->n_kept].k = (uint8_t)k;
		if (!e->n_kept)
			kl_append(d, e);
		__atomic_store_n(&e->n_kept, e->n_kept + 1, __ATOMIC_RELEASE);
		d->fds++;
		d->kept++;
		proc_fds++;
		fd = -EBADF;
	}
	pthread_mutex_unlock(&d->lock);
	if (fd >= 0)
		close(fd);
}

uint64_t lmc_cgfs_dcache_kept_reads(struct lmc_cgfs *cg)
{
	uint64_t n = 0;

	if (cg->dcache)
		n = __atomic_load_n(&cg->dcache->kept_reads, __ATOMIC_RELAXED);
	return n;
}

/* ---- a pinned entry ---- */

static struct lmc_cgfs_dent *pin_of(struct lmc_cgfs_dcache *d, const char *name)
{
	/* A pinned entry forgotten since (its directory made again behind lmctl's back) is
	 * not used: the locked paths open the new one. */
	if (!pinned || pinned_d != d || __atomic_load_n(&pinned->dead, __ATOMIC_RELAXED))
		return NULL;
	return strcmp(pinned->name, name) == 0 ? pinned : NULL;
}

void lmc_cgfs_pin(struct lmc_cgfs *cg, const char *name)
{
	struct lmc_cgfs_dcache *d = cg->dcache;
	struct lmc_cgfs_dent *e;

	if (pin_depth++ || !d || !name[0])
		return;
	pthread_mutex_lock(&d->lock);
	e = lookup(d, name);
	if (!e)
		e = insert(d, name); /* no fds yet: nothing to make room for */
	if (e) {
		e->refs++;
		e->used_ns = lmc_util_now_ns();
		lru_unlink(d, e);
		lru_push(d, e);
	}
	pthread_mutex_unlock(&d->lock);
	pinned = e;
	pinned_d = d;
}

void lmc_cgfs_unpin(struct lmc_cgfs *cg)
{
	struct lmc_cgfs_dcache *d = cg->dcache;
	struct lmc_cgfs_dent *e = pinned;
	bool empty = true;

	if (!pin_depth || --pin_depth || !e || pinned_d != d)
		return;
	pinned = NULL;
	pinned_d = NULL;
	pthread_mutex_lock(&d->lock);
	for (int i = 0; i < LMC_CTRL__MAX; i++)
		empty = empty && e->fd[i] < 0;
	if (--e->refs == 0 && e->dead)
		dent_close(e);
	else if (!e->refs && !e->dead && empty && !e->n_kept)
		drop(d, e); /* a name nothing could be opened for keeps no entry */
	pthread_mutex_unlock(&d->lock);
}
