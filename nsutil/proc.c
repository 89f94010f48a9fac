/* Process primitives shared by spawn and init: clone3, pidfds, waiting, namespace inodes. */
#include "nsutil/ns.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "base/util.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* The kernel's struct clone_args (v2, with cgroup), spelled out so <linux/sched.h> and
 * <sched.h> need not meet. */
struct ns_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

/* The arguments both clones share: the pidfd lands in *pidfd when asked for. */
static struct ns_clone_args clone_args(uint64_t flags, int cgroup_fd, int *pidfd, bool want_pidfd)
{
	struct ns_clone_args args = {.flags = flags, .exit_signal = SIGCHLD};

	if (want_pidfd) {
		args.flags |= CLONE_PIDFD;
		args.pidfd = (uint64_t)(uintptr_t)pidfd;
	}
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
	}
	return args;
}

pid_t lmc_ns_clone(uint64_t flags, int cgroup_fd, int *ret_pidfd)
{
	int pidfd = -1;
	struct ns_clone_args args = clone_args(flags, cgroup_fd, &pidfd, ret_pidfd != NULL);
	long r;

	/* glibc 2.36 has no clone3 wrapper; with no stack given the child runs on a copy of
	 * ours, as after fork. */
	r = syscall(SYS_clone3, &args, sizeof(args));
	if (r < 0)
		return lmc_negerrno();
	if (r > 0 && ret_pidfd)
		*ret_pidfd = pidfd;
	return (pid_t)r;
}

/* clone3 with a stack: the child comes back from the system call on that stack, where no
 * C frame of ours exists, so the call and what follows it in the child are assembly: call
 * fn(arg), then exit(2) with its value (x86-64; glibc's clone(3) does the same for clone).
 * The system call keeps every register but rax, rcx and r11, in the child too: fn and arg
 * wait in r8 and r9. The new stack's top is 16-byte aligned (a page), as a call wants. */
#if defined(__x86_64__)
#define NS_STR_(x) #x
#define NS_STR(x) NS_STR_(x)
long lmc_ns_clone3_asm(void *args, size_t size, int (*fn)(void *), void *arg);
/* clang-format off */
__asm__(".text\n"
	".globl lmc_ns_clone3_asm\n"
	".hidden lmc_ns_clone3_asm\n"
	".type lmc_ns_clone3_asm, @function\n"
	"lmc_ns_clone3_asm:\n"
	"	mov %rdx, %r8\n"
	"	mov %rcx, %r9\n"
	"	mov $" NS_STR(SYS_clone3) ", %eax\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jz 1f\n"
	"	ret\n"
	"1:	xor %ebp, %ebp\n"
	"	mov %r9, %rdi\n"
	"	call *%r8\n"
	"	mov %eax, %edi\n"
	"	mov $" NS_STR(SYS_exit) ", %eax\n"
	"	syscall\n"
	"	hlt\n"
	".size lmc_ns_clone3_asm, .-lmc_ns_clone3_asm\n");
/* clang-format on */
#endif

bool lmc_ns_clone_fn_possible(void)
{
#if defined(__x86_64__)
	return true;
#else
	return false;
#endif
}

pid_t lmc_ns_clone_fn(uint64_t flags, int cgroup_fd, void *stack, size_t size, int (*fn)(void *),
		      void *arg, int *ret_pidfd)
{
#if defined(__x86_64__)
	int pidfd = -1;
	struct ns_clone_args args = clone_args(flags, cgroup_fd, &pidfd, ret_pidfd != NULL);
	long r;

	args.stack = (uint64_t)(uintptr_t)stack;
	args.stack_size = size;
	r = lmc_ns_clone3_asm(&args, sizeof(args), fn, arg);
	if (r > 0 && ret_pidfd)
		*ret_pidfd = pidfd;
	return (pid_t)r;
#else
	(void)flags, (void)cgroup_fd, (void)stack, (void)size, (void)fn, (void)arg;
	(void)ret_pidfd;
	return -ENOSYS;
#endif
}

/* The kernel's struct sigaction (rt_sigaction): glibc's wrapper refuses signals 32 and 33,
 * its own, which a parent may leave ignored (GNU make 4.3 does, for everything it runs), and
 * an ignored signal stays ignored across exec: the command would inherit them. */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static int ksigaction(int sig, const struct ksigaction *act, struct ksigaction *old)
{
	return (int)syscall(SYS_rt_sigaction, sig, act, old, sizeof(uint64_t));
}

static const struct ksigaction ksig_dfl = {.handler = SIG_DFL};

void lmc_ns_reset_signals(void)
{
	struct ksigaction cur;

	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (ksigaction(sig, NULL, &cur) < 0)
			continue;
		if (cur.handler != SIG_DFL)
			ksigaction(sig, &ksig_dfl, NULL);
	}
}

/* A "Sig...:\t%016llx" line of /proc/self/status, bit N-1 for signal N, into *set. */
static int signals_line(const char *status, const char *key, uint64_t *set)
{
	const char *p = strstr(status, key);
	unsigned long long bits;
	char *end;

	if (!p)
		return -EIO;
	errno = 0;
	bits = strtoull(p + strlen(key), &end, 16);
	if (errno || end == p + strlen(key) || *end != '\n')
		return -EIO;
	*set |= bits;
	return 0;
}

int lmc_ns_signals_set(uint64_t *ret)
{
	char buf[4096];
	ssize_t n;
	int fd, r;

	*ret = 0;
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lmc_negerrno();
	n = read(fd, buf, sizeof(buf) - 1);
	r = n < 0 ? lmc_negerrno() : 0;
	close(fd);
	if (r < 0)
		return r;
	buf[n] = '\0';
	r = signals_line(buf, "\nSigIgn:\t", ret);
	return r < 0 ? r : signals_line(buf, "\nSigCgt:\t", ret);
}

void lmc_ns_reset_signals_in(uint64_t set)
{
	for (int sig = 1; sig <= 64 && sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && (set & (1ULL << (sig - 1))))
			ksigaction(sig, &ksig_dfl, NULL);
}

int lmc_ns_clone_flags(uint32_t mask)
{
	static const struct {
		uint32_t ns;
		int flag;
	} map[] = {
		{LMC_NS_PID, CLONE_NEWPID},	  {LMC_NS_MNT, CLONE_NEWNS},
		{LMC_NS_UTS, CLONE_NEWUTS},	  {LMC_NS_IPC, CLONE_NEWIPC},
		{LMC_NS_NET, CLONE_NEWNET},	  {LMC_NS_USER, CLONE_NEWUSER},
		{LMC_NS_CGROUP, CLONE_NEWCGROUP},
	};
	int flags = 0;

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (mask & map[i].ns)
			flags |= map[i].flag;
	return flags;
}

/* A SIGKILLed task frozen by a v1 freezer dies only once thawed: wait a bounded time and
 * leave a late one to the caller's reaping of exited children. */
static int reap_wait_ms = LMC_NS_HANDSHAKE_MS;

void lmc_ns_set_reap_wait(int timeout_ms)
{
	reap_wait_ms = timeout_ms < 0 ? 0 : timeout_ms;
}

void lmc_ns_kill_reap(int pidfd)
{
	siginfo_t si;

	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	if (lmc_ns_wait_readable(pidfd, reap_wait_ms) < 0)
		return;
	while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR)
		;
}

int lmc_ns_wait_readable(int fd, int timeout_ms)
{
	int64_t deadline = lmc_util_now_ms() + timeout_ms;
	struct pollfd p = {.fd = fd, .events = POLLIN};

	/* EINTR does not extend the wait */
	for (;;) {
		int64_t left = deadline - lmc_util_now_ms();
		int r = poll(&p, 1, left > 0 ? (int)left : 0);

		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return lmc_negerrno();
	}
}

int lmc_ns_pidfd_open(pid_t pid)
{
	long r = syscall(SYS_pidfd_open, pid, 0);

	return r < 0 ? lmc_negerrno() : (int)r;
}

int lmc_ns_wait(pid_t pid, int pidfd, int timeout_ms, int *ret_status)
{
	_cleanup_close_ int own = -EBADF;
	siginfo_t si;
	int r, status;

	if (pidfd < 0 && timeout_ms >= 0) {
		own = lmc_ns_pidfd_open(pid);
		if (own < 0)
			return own;
		pidfd = own;
	}
	if (timeout_ms >= 0) {
		r = lmc_ns_wait_readable(pidfd, timeout_ms);
		if (r < 0)
			return r;
	}
	do {
		memset(&si, 0, sizeof(si));
		if (pidfd >= 0)
			r = waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED);
		else
			r = waitid(P_PID, (id_t)pid, &si, WEXITED);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return lmc_negerrno();
	status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	if (ret_status)
		*ret_status = status;
	return status;
}

int lmc_ns_proc_start(pid_t pid, uint64_t *ret)
{
	char path[64], buf[1024], *p, *end;
	_cleanup_close_ int fd = -EBADF;
	unsigned long long v;
	ssize_t n;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : lmc_negerrno();
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 && errno != ESRCH ? lmc_negerrno() : -ESRCH;
	buf[n] = '\0';
	/* The name (field 2) may hold spaces and parentheses: count from the last ')'. Field
	 * 22 is the 20th after it. */
	p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -EIO;
	errno = 0;
	v = strtoull(p + 1, &end, 10);
	if (errno || end == p + 1)
		return -EIO;
	*ret = v;
	return 0;
}

bool lmc_ns_pidfd_alive(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	/* A pidfd is readable once its process has exited. */
	return pidfd >= 0 && poll(&p, 1, 0) == 0;
}

/* SIGKILL's bit in /proc's hex masks of pending signals (bit N-1 for signal N). */
static bool status_kill_pending(const char *buf)
{
	static const char *const keys[] = {"\nSigPnd:", "\nShdPnd:"};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *k = strstr(buf, keys[i]);

		if (k && (strtoull(k + strlen(keys[i]), NULL, 16) >> (SIGKILL - 1)) & 1)
			return true;
	}
	return false;
}

void lmc_ns_place_skip(const int *place, size_t n, int cgroup_fd, const int **ret, size_t *ret_n)
{
	if (place && n && cgroup_fd >= 0) {
		place++;
		n--;
	}
	*ret = place;
	*ret_n = place ? n : 0;
}

bool lmc_ns_killed_at_birth(pid_t pid, int pidfd)
{
	char path[64], buf[4096];
	_cleanup_close_ int fd = -EBADF;
	ssize_t n;

	if (!lmc_ns_pidfd_alive(pidfd))
		return true;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* gone already: our unreaped child always has its /proc entry */
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	return status_kill_pending(buf);
}

int lmc_ns_proc_nskey(pid_t pid, uint64_t *ret)
{
	static const char *const kinds[] = {"user", "mnt", "pid", "net", "ipc", "uts", "cgroup"};
	_cleanup_close_ int dir = -EBADF;
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */
	char path[64];
	struct stat st;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/ns", (int)pid);
	dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return errno == ENOENT ? -ESRCH : lmc_negerrno();
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (fstatat(dir, kinds[i], &st, 0) < 0) {
			if (errno == ENOENT)
				continue; /* a kind this kernel lacks: the same at every look */
			return errno == ESRCH ? -ESRCH : lmc_negerrno();
		}
		for (unsigned b = 0; b < 64; b += 8)
			h = (h ^ (((uint64_t)st.st_ino >> b) & 0xff)) * 1099511628211ULL;
	}
	*ret = h ? h : 1;
	return 0;
}

int lmc_ns_pidfd_adopt(pid_t pid, uint64_t start, uint64_t nskey, int *ret_pidfd)
{
	_cleanup_close_ int fd = -EBADF;
	uint64_t now, ns;

	if (pid <= 0 || start == 0)
		return -ESRCH;
	/* The pidfd first: if pid still shows the recorded start time after it was opened,
	 * that process held pid all along, so the pidfd is for it and no later one.
	 * Start times count clock ticks (10 ms): a pid recycled within the tick the recorded
	 * process started in would pass that alone, so its namespaces must match too (a
	 * look-alike makes its own; their inode numbers may be the dead ones' again, but not
	 * within that same tick as well). nskey 0: a record from before the key, start only. */
	fd = lmc_ns_pidfd_open(pid);
	if (fd < 0)
		return -ESRCH;
	if (lmc_ns_proc_start(pid, &now) < 0 || now != start)
		return -ESRCH;
	if (nskey && (lmc_ns_proc_nskey(pid, &ns) < 0 || ns != nskey))
		return -ESRCH;
	if (!lmc_ns_pidfd_alive(fd))
		return -ESRCH;
	*ret_pidfd = TAKE_FD(fd);
	return 0;
}
