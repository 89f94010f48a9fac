/* Opening the state directory so that no other user can have put anything in its way (see
 * safedir.h): a walk from "/" one component at a time, each opened with O_NOFOLLOW relative
 * to the directory before it and checked on the open fd. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/macro.h"
#include "base/safedir.h"

/* As many links as the kernel follows in one lookup. */
#define LINKS_MAX 40

struct walk {
	const char *what, *dir; /* for messages: "state directory /x/y" */
	int fd; /* the directory reached so far */
	struct stat st; /* its fstat */
	char at[PATH_MAX]; /* its path, for messages */
	char *todo; /* malloc'd: the rest of the path from pos */
	size_t pos;
	int links;
	unsigned mode; /* of the directories it creates */
};

static bool others_write(const struct stat *st)
{
	return st->st_mode & (S_IWGRP | S_IWOTH);
}

/* Root's directories are trusted by everyone, the caller's own by the caller. */
static bool owner_ok(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

static const char *owner_want(char *buf, size_t size)
{
	if (geteuid() == 0)
		return "root";
	snprintf(buf, size, "uid %u", (unsigned)geteuid());
	return buf;
}

/* final: the directory itself, which must be the caller's and no one else's to write; an
 * ancestor may be root's or the caller's, and writable by others only if sticky. */
static int check(const char *what, const char *dir, const char *path, const struct stat *st,
		 bool final, struct lmc_err *err)
{
	char me[32];

	if (!S_ISDIR(st->st_mode))
		return lmc_err_set(err, -ENOTDIR, "%s %s: %s is not a directory", what, dir, path);
	if (final ? st->st_uid != geteuid() : !owner_ok(st->st_uid))
		return lmc_err_set(err, -EPERM, "%s %s: %s is owned by uid %u, not by %s", what,
				   dir, path, (unsigned)st->st_uid, owner_want(me, sizeof(me)));
	if (others_write(st) && (final || !(st->st_mode & S_ISVTX)))
		return lmc_err_set(err, -EPERM, "%s %s: %s is writable by %s (mode %04o)", what,
				   dir, path, st->st_mode & S_IWOTH ? "others" : "its group",
				   (unsigned)(st->st_mode & 07777));
	return 0;
}

int lmc_safedir_check(const char *what, const char *path, int fd, struct lmc_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return lmc_err_set(err, lmc_negerrno(), "%s %s: cannot stat: %m", what, path);
	return check(what, path, path, &st, true, err);
}

static int walk_root(struct walk *w, struct lmc_err *err)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->fd < 0 || fstat(w->fd, &w->st) < 0)
		return lmc_err_set(err, lmc_negerrno(), "%s %s: cannot open /: %m", w->what,
				   w->dir);
	snprintf(w->at, sizeof(w->at), "/");
	return check(w->what, w->dir, "/", &w->st, false, err);
}

/* The next component (NUL-terminated in place), NULL at the end. */
static char *next_comp(struct walk *w)
{
	char *s = w->todo + w->pos, *e;

	while (*s == '/')
		s++;
	if (!*s)
		return NULL;
	e = strchrnul(s, '/');
	w->pos = (size_t)(e - w->todo) + (*e ? 1 : 0);
	*e = '\0';
	return s;
}

static void at_push(struct walk *w, const char *comp)
{
	size_t n = strlen(w->at);
	char *slash;

	if (strcmp(comp, "..") == 0) {
		slash = strrchr(w->at, '/');
		if (slash)
			slash[slash == w->at ? 1 : 0] = '\0';
		return;
	}
	snprintf(w->at + n, sizeof(w->at) - n, "%s%s", n > 1 ? "/" : "", comp);
}

/* comp is a symbolic link in the current directory: follow it if no one else could have
 * put it there, by walking its target in place of it. */
static int follow(struct walk *w, const char *comp, struct lmc_err *err)
{
	char target[PATH_MAX], *todo;
	struct stat st;
	ssize_t n;

	if (fstatat(w->fd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return lmc_err_set(err, lmc_negerrno(), "%s %s: cannot stat %s/%s: %m", w->what,
				   w->dir, w->at, comp);
	if (!S_ISLNK(st.st_mode))
		return lmc_err_set(err, -ENOTDIR, "%s %s: %s/%s is not a directory", w->what,
				   w->dir, w->at, comp);
	if (others_write(&w->st) && !owner_ok(st.st_uid))
		return lmc_err_set(
			err, -EPERM,
			"%s %s: %s/%s is a symbolic link of uid %u in a directory others may write",
			w->what, w->dir, w->at, comp, (unsigned)st.st_uid);
	if (++w->links > LINKS_MAX)
		return lmc_err_set(err, -ELOOP, "%s %s: too many symbolic links", w->what, w->dir);
	n = readlinkat(w->fd, comp, target, sizeof(target) - 1);
	if (n < 0)
		return lmc_err_set(err, lmc_negerrno(), "%s %s: cannot read link %s/%s: %m",
				   w->what, w->dir, w->at, comp);
	target[n] = '\0';
	if (asprintf(&todo, "%s/%s", target, w->todo + w->pos) < 0)
		return lmc_err_set(err, -ENOMEM, "out of memory");
	free(w->todo);
	w->todo = todo;
	w->pos = 0;
	return target[0] == '/' ? walk_root(w, err) : 0;
}

static int step(struct walk *w, const char *comp, struct lmc_err *err)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	struct stat st;
	int fd, r;

	if (strcmp(comp, ".") == 0)
		return 0;
	fd = openat(w->fd, comp, flags);
	if (fd < 0 && errno == ENOENT && strcmp(comp, "..") != 0) {
		if (mkdirat(w->fd, comp, w->mode) < 0 && errno != EEXIST)
			return lmc_err_set(err, lmc_negerrno(), "%s %s: cannot create %s/%s: %m",
					   w->what, w->dir, w->at, comp);
		fd = openat(w->fd, comp, flags);
	}
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
		return follow(w, comp, err);
	if (fd < 0)
		return lmc_err_set(err, lmc_negerrno(), "%s %s: cannot open %s/%s: %m", w->what,
				   w->dir, w->at, comp);
	at_push(w, comp);
	if (fstat(fd, &st) < 0)
		r = lmc_negerrno();
	else
		r = check(w->what, w->dir, w->at, &st, false, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	close(w->fd);
	w->fd = fd;
	w->st = st;
	return 0;
}

int lmc_safedir_open(const char *what, const char *dir, unsigned mode, struct lmc_err *err)
{
	struct walk w = {.what = what, .dir = dir, .fd = -EBADF, .mode = mode & 0755};
	char cwd[PATH_MAX];
	char *comp;
	int r;

	if (dir[0] == '/')
		r = asprintf(&w.todo, "%s", dir);
	else if (getcwd(cwd, sizeof(cwd)))
		r = asprintf(&w.todo, "%s/%s", cwd, dir);
	else
		return lmc_err_set(err, lmc_negerrno(), "%s %s: cannot resolve: %m", what, dir);
	if (r < 0)
		return lmc_err_set(err, -ENOMEM, "out of memory");
	r = walk_root(&w, err);
	while (r >= 0 && (comp = next_comp(&w)))
		r = step(&w, comp, err);
	if (r >= 0)
		r = check(what, dir, w.at, &w.st, true, err);
	free(w.todo);
	if (r < 0) {
		if (w.fd >= 0)
			close(w.fd);
		return r;
	}
	return w.fd;
}

int lmc_safedir_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return lmc_negerrno();
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
