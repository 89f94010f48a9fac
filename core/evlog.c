/* The event journal: a ring of compact records in memory, mirrored by an append-only file in
 * the state directory (tmpfs: it lives as long as the cgroups it describes, so no fsync). The
 * file is rewritten with only the ring's records once it holds twice as many. */
#include "core/evlog.h"
#include "base/safedir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REC_MAGIC 0x4c4d4576u
/* Records are padded to 8 bytes, so that those loaded are used where they lie. */
#define REC_ALIGN(n) (((n) + 7) & ~(size_t)7)

/* One record as kept in memory and in the file (native byte order: the file never leaves
 * the machine), followed by name_len bytes of name and detail_len of detail. */
struct rec {
	uint32_t len; /* the whole record */
	uint32_t magic;
	uint64_t seq, timestamp_ns, value, threshold;
	int32_t kind, direction, pid, wstatus;
	uint16_t name_len, detail_len;
	uint16_t task_len; /* 0 in a journal written before events carried task ids */
	uint16_t pad;
};

struct lmc_evlog {
	int fd;
	char path[PATH_MAX], tmp[PATH_MAX];
	struct rec **ring;
	size_t cap, head, n; /* oldest at head */
	uint8_t *base; /* the file as loaded: its records are used in place, never freed alone */
	size_t base_len;
	size_t map_len; /* base is the file mapped (private, read only), map_len bytes; 0: malloc'd */
	size_t in_file; /* records in the file */
	uint64_t last;
};

static struct rec *rec_new(const struct lmc_evrec *ev)
{
	size_t nl = strnlen(ev->name, sizeof(ev->name) - 1);
	size_t dl = strnlen(ev->detail, sizeof(ev->detail) - 1);
	size_t tl = strnlen(ev->task_id, sizeof(ev->task_id) - 1);
	size_t len = REC_ALIGN(sizeof(struct rec) + nl + dl + tl);
	struct rec *r = calloc(1, len);

	if (!r)
		return NULL;
	*r = (struct rec){.len = (uint32_t)len,
			  .magic = REC_MAGIC,
			  .seq = ev->seq,
			  .timestamp_ns = ev->timestamp_ns,
			  .value = ev->value,
			  .threshold = ev->threshold,
			  .kind = (int32_t)ev->kind,
			  .direction = ev->direction,
			  .pid = ev->pid,
			  .wstatus = ev->wstatus,
			  .name_len = (uint16_t)nl,
			  .detail_len = (uint16_t)dl,
			  .task_len = (uint16_t)tl};
	memcpy((char *)(r + 1), ev->name, nl);
	memcpy((char *)(r + 1) + nl, ev->detail, dl);
	memcpy((char *)(r + 1) + nl + dl, ev->task_id, tl);
	return r;
}

static void rec_to_ev(const struct rec *r, struct lmc_evrec *ev)
{
	const char *p = (const char *)(r + 1);

	memset(ev, 0, sizeof(*ev));
	ev->seq = r->seq;
	ev->timestamp_ns = r->timestamp_ns;
	ev->value = r->value;
	ev->threshold = r->threshold;
	ev->kind = (enum lmc_events_kind)r->kind;
	ev->direction = r->direction;
	ev->pid = r->pid;
	ev->wstatus = r->wstatus;
	memcpy(ev->name, p, r->name_len);
	memcpy(ev->detail, p + r->name_len, r->detail_len);
	memcpy(ev->task_id, p + r->name_len + r->detail_len, r->task_len);
}

/* A record read from the file is whole and sane. */
static bool rec_valid(const struct rec *r, size_t avail)
{
	return avail >= sizeof(*r) && r->magic == REC_MAGIC && r->len <= avail &&
	       r->name_len <= LMC_NAME_MAX &&
	       r->detail_len < sizeof(((struct lmc_evrec *)0)->detail) &&
	       r->task_len <= LMC_TASK_ID_MAX &&
	       r->len == REC_ALIGN(sizeof(*r) + r->name_len + r->detail_len + r->task_len) &&
	       r->seq;
}

static void rec_free(struct lmc_evlog *l, struct rec *r)
{
	if ((uint8_t *)r < l->base || (uint8_t *)r >= l->base + l->base_len)
		free(r);
}

/* Keep r (taken) as the newest; the oldest goes when the ring is full. */
static void ring_push(struct lmc_evlog *l, struct rec *r)
{
	size_t i = (l->head + l->n) % l->cap;

	if (l->n == l->cap) {
		rec_free(l, l->ring[l->head]);
		l->ring[l->head] = r;
		l->head = (l->head + 1) % l->cap;
	} else {
		l->ring[i] = r;
		l->n++;
	}
	if (r->seq > l->last)
		l->last = r->seq;
}

/* The file into l->base: mapped where it can be (a restart with 100,000 events neither copies
 * 10 MB nor faults in a buffer for them; the agent alone writes the file, only by appending
 * and by replacing it whole, so the records loaded stay as they are), else read. */
static int load_file(struct lmc_evlog *l, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, l->fd, 0);
	uint8_t *buf;
	size_t got = 0;

	if (p != MAP_FAILED) {
		l->base = p;
		l->base_len = l->map_len = size;
		return 0;
	}
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	while (got < size) {
		ssize_t n = pread(l->fd, buf + got, size - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	l->base = buf;
	l->base_len = got;
	return 0;
}

static int load(struct lmc_evlog *l)
{
	struct stat st;
	size_t off = 0;
	int rc;

	if (fstat(l->fd, &st) < 0)
		return lmc_negerrno();
	if (!st.st_size)
		return 0;
	rc = load_file(l, (size_t)st.st_size);
	if (rc < 0)
		return rc;
	while (off + sizeof(struct rec) <= l->base_len) {
		struct rec *r = (struct rec *)(l->base + off);

		if (!rec_valid(r, l->base_len - off) || r->seq <= l->last)
			break;
		ring_push(l, r); /* in place: the records stay in l->base */
		l->in_file++;
		off += r->len;
	}
	/* A torn or foreign tail is cut so appends follow the last good record (the mapping
	 * is never read past it). */
	if (off < (size_t)st.st_size && ftruncate(l->fd, (off_t)off) < 0)
		return lmc_negerrno();
	return 0;
}

int lmc_evlog_open(const char *dir, size_t cap, struct lmc_evlog **ret, struct lmc_err *err)
{
	struct lmc_evlog *l;
	int r;

	if (!cap)
		return lmc_err_set(err, -EINVAL, "event journal: capacity 0");
	l = calloc(1, sizeof(*l));
	if (!l)
		return lmc_err_set(err, -ENOMEM, "out of memory");
	l->cap = cap;
	l->fd = -1;
	l->ring = calloc(cap, sizeof(*l->ring));
	snprintf(l->path, sizeof(l->path), "%s/%s", dir, LMC_EVLOG_FILE);
	snprintf(l->tmp, sizeof(l->tmp), "%s/%s.tmp", dir, LMC_EVLOG_FILE);
	l->fd = open(l->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	r = !l->ring ? -ENOMEM : l->fd < 0 ? lmc_negerrno() : load(l);
	if (r < 0) {
		lmc_err_set(err, r, "event journal %s: %s", l->path, strerror(-r));
		lmc_evlog_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

void lmc_evlog_free(struct lmc_evlog *l)
{
	if (!l)
		return;
	for (size_t i = 0; l->ring && i < l->n; i++)
		rec_free(l, l->ring[(l->head + i) % l->cap]);
	free(l->ring);
	if (l->map_len)
		munmap(l->base, l->map_len);
	else
		free(l->base);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

/* The file holds twice the ring: write the ring alone to a new file and put it in place. */
static int compact(struct lmc_evlog *l)
{
	_cleanup_close_ int fd = -EBADF;
	int r = 0;

	fd = open(l->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return lmc_negerrno();
	for (size_t i = 0; i < l->n && r >= 0; i++) {
		const struct rec *x = l->ring[(l->head + i) % l->cap];

		r = lmc_safedir_write_all(fd, x, x->len);
	}
	if (r < 0 || rename(l->tmp, l->path) < 0) {
		unlink(l->tmp);
		return r < 0 ? r : lmc_negerrno();
	}
	close(l->fd);
	l->fd = TAKE_FD(fd);
	if (lseek(l->fd, 0, SEEK_END) < 0)
		return lmc_negerrno();
	l->in_file = l->n;
	return 0;
}

int lmc_evlog_append(struct lmc_evlog *l, struct lmc_evrec *ev)
{
	struct timespec ts;
	struct rec *r;
	int rc;

	ev->seq = l->last + 1;
	if (!ev->timestamp_ns) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ev->timestamp_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	}
	r = rec_new(ev);
	if (!r) {
		l->last = ev->seq; /* numbered all the same: a subscriber sees the gap */
		return -ENOMEM;
	}
	ring_push(l, r);
	rc = lmc_safedir_write_all(l->fd, r, r->len);
	if (++l->in_file >= 2 * l->cap && compact(l) < 0)
		l->in_file = 0; /* try again after another 2 * cap */
	return rc;
}

uint64_t lmc_evlog_last(const struct lmc_evlog *l)
{
	return l->last;
}

uint64_t lmc_evlog_first(const struct lmc_evlog *l)
{
	return l->n ? l->ring[l->head]->seq : 0;
}

int lmc_evlog_replay(const struct lmc_evlog *l, uint64_t since, lmc_evlog_fn fn, void *userdata)
{
	struct lmc_evrec ev;
	size_t lo = 0, hi = l->n;
	int r;

	/* seqs rise along the ring: find the first one past since. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->ring[(l->head + mid) % l->cap]->seq <= since)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < l->n; i++) {
		rec_to_ev(l->ring[(l->head + i) % l->cap], &ev);
		r = fn(&ev, userdata);
		if (r < 0)
			return r;
	}
	return 0;
}
