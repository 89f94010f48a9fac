#!/usr/bin/env bash
# `make install` into a temporary DESTDIR and check what a user gets: the two programs, the
# systemd unit naming the installed lmctld, man pages that render without a warning and
# name every option the programs parse, a bash completion that parses and completes
# (commands, options, values, and container names from a real state when run as root),
# the unit directory systemd reads for each PREFIX; then `make uninstall` removes exactly
# what was installed. Prints one line per failed check and a closing tally.
# Usage: BUILD=build tests/install-check.sh      (from the repository root, after make all)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
pass=0
fail=0
tmp=$(mktemp -d /tmp/lmctl-test-install-XXXXXX)
scratch_root=lmctl-test-install-$$
scratch_made=0

cleanup() {
	local d
	if [ "$scratch_made" = 1 ]; then
		# The scratch root below this shell's own cgroup in every hierarchy (no process
		# ever runs in it: the check only creates and lists).
		"$BUILD/lmctl" --direct --state-dir="$tmp/state" --cgroup-root="$scratch_root" \
			destroy -r jobA >/dev/null 2>&1
		"$BUILD/lmctl" --direct --state-dir="$tmp/state" --cgroup-root="$scratch_root" \
			destroy jobB >/dev/null 2>&1
		while IFS= read -r d; do
			rmdir "$d" 2>/dev/null
		done < <(find /sys/fs/cgroup -depth -type d -name "$scratch_root" 2>/dev/null)
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { pass=$((pass + 1)); }
bad() {
	echo "install-check: FAIL: $*"
	fail=$((fail + 1))
}
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok; else bad "$what"; fi
}

mk() { make --no-print-directory -s BUILD="$BUILD" "$@"; }

# ---- install with the default PREFIX ----
dest=$tmp/root
if ! mk install DESTDIR="$dest" >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	bad "make install DESTDIR=$dest failed"
	echo "install-check: 0 passed, 1 failed"
	exit 1
fi
files=(usr/local/bin/lmctl usr/local/sbin/lmctld usr/local/lib/systemd/system/lmctld.service
	usr/local/share/man/man1/lmctl.1 usr/local/share/man/man8/lmctld.8
	usr/local/share/bash-completion/completions/lmctl)
for f in "${files[@]}"; do
	check "$f not installed" test -f "$dest/$f"
done
got=$(cd "$dest" && find . -type f -o -type l | sed 's|^\./||' | sort)
want=$(printf '%s\n' "${files[@]}" | sort)
check "installed files differ from the list: $(tr '\n' ' ' <<<"$got")" test "$got" = "$want"
check "lmctl is not executable" test -x "$dest/usr/local/bin/lmctl"
check "lmctld is not executable" test -x "$dest/usr/local/sbin/lmctld"
check "the installed lmctl does not print its version" \
	grep -q '^lmctl [0-9]' <("$dest/usr/local/bin/lmctl" version)
check "the installed lmctld --help says nothing" \
	grep -q 'lmctld' <("$dest/usr/local/sbin/lmctld" --help)

# ---- the unit: the installed path substituted, and nothing left of the template ----
unit=$dest/usr/local/lib/systemd/system/lmctld.service
check "the unit's ExecStart is not /usr/local/sbin/lmctld" \
	grep -q '^ExecStart=/usr/local/sbin/lmctld ' "$unit"
check "a placeholder is left in the unit" bash -c "! grep -q '@[A-Z]*@' '$unit'"
check "the unit lost Delegate=yes" grep -qx 'Delegate=yes' "$unit"
# systemd's own reading of it (ExecStart pointed into DESTDIR, where the program is now);
# DelegateSubgroup= is systemd >= 254's, which older ones ignore with a warning.
if command -v systemd-analyze >/dev/null; then
	sed "s|^ExecStart=/usr/local/sbin/|ExecStart=$dest/usr/local/sbin/|" "$unit" >"$tmp/lmctld.service"
	out=$(systemd-analyze verify "$tmp/lmctld.service" 2>&1 |
		grep -v "Unknown key 'DelegateSubgroup' in section \[Service\], ignoring")
	check "systemd-analyze verify of the unit said: $(head -3 <<<"$out")" test -z "$out"
fi

# Where the unit goes for other prefixes: systemd reads /usr/lib/systemd/system, and
# nothing below /opt, so /opt/... installs into /etc/systemd/system.
for case in "/usr usr/lib/systemd/system /usr/sbin" "/opt/lmctl etc/systemd/system /opt/lmctl/sbin"; do
	read -r prefix dir sbin <<<"$case"
	d=$tmp/p${prefix//\//_}
	if mk install DESTDIR="$d" PREFIX="$prefix" >/dev/null 2>&1; then
		check "PREFIX=$prefix: unit not in /$dir" test -f "$d/$dir/lmctld.service"
		check "PREFIX=$prefix: ExecStart is not $sbin/lmctld" \
			grep -q "^ExecStart=$sbin/lmctld " "$d/$dir/lmctld.service"
		check "PREFIX=$prefix: lmctld not in $sbin" test -x "$d$sbin/lmctld"
	else
		bad "make install PREFIX=$prefix failed"
	fi
done

# ---- man pages: render without warnings, and name every option the programs parse ----
if command -v man >/dev/null; then
	for page in usr/local/share/man/man1/lmctl.1 usr/local/share/man/man8/lmctld.8; do
		out=$(MANWIDTH=80 man --warnings -l "$dest/$page" 2>"$tmp/man.err")
		check "man -l $page printed warnings: $(head -c 300 "$tmp/man.err")" \
			test ! -s "$tmp/man.err"
		check "man -l $page rendered no NAME section" grep -q '^NAME' <<<"$out"
		check "man -l $page has no EXIT STATUS section" grep -q '^EXIT STATUS' <<<"$out"
	done
else
	bad "man is not installed (tools/install-deps.sh installs man-db)"
fi
# Every long option in the programs' option tables, and every command.
opts_of() { sed -n 's/.*{"\([a-z][a-z-]*\)", *\(no\|required\)_argument.*/\1/p' "$@" | sort -u; }
man1=$(sed 's/\\-/-/g' docs/man/lmctl.1)
man8=$(sed 's/\\-/-/g' docs/man/lmctld.8)
comp=$(cat tools/cli/lmctl.bash)
for o in $(opts_of tools/cli/*.c); do
	check "lmctl(1) does not describe --$o" grep -q -- "--$o\b" <<<"$man1"
	[ "$o" = version ] || [ "$o" = help ] ||
		check "the completion does not offer --$o" grep -q -- "--$o\b" <<<"$comp"
done
n_opts=0
for o in $(opts_of tools/agent/*.c); do
	check "lmctld(8) does not describe --$o" grep -q -- "--$o\b" <<<"$man8"
	n_opts=$((n_opts + 1))
done
check "lmctld's option table was not found (tools/agent/*.c)" test "$n_opts" -gt 10

# ---- lmctld refuses a bad command line in one line, exit 2, before it starts ----
for arg in --idle-timeout=5x --idle-timeout=0 --conn-timeout=-1 --sub-queue=1 \
	--event-history=abc --evict-psi=100/600x --evict-headroom-pct=90 \
	--metrics=0.0.0.0:9100 --metrics-max-age=61 --foreground --bogus extra; do
	err=$("$BUILD/lmctld" "$arg" --socket="$tmp/args.sock" --state-dir="$tmp/args-state" \
		2>&1 >/dev/null)
	rc=$?
	check "lmctld $arg: exit $rc, not 2" test "$rc" = 2
	check "lmctld $arg: not one line naming it: '$err'" \
		test "$(wc -l <<<"$err")" = 1 -a "${err#lmctld: }" != "$err"
	check "lmctld $arg: started (made its socket or state)" \
		test ! -e "$tmp/args.sock" -a ! -e "$tmp/args-state"
done
cmds=$("$BUILD/lmctl" help | sed -n 's/^  \([a-z]*\) .*/\1/p')
for c in $cmds; do
	check "lmctl(1) has no entry for '$c'" grep -q "^\.B $c\b" docs/man/lmctl.1
	check "the completion does not offer '$c'" grep -q "\b$c\b" <<<"$(grep '^_lmctl_commands=' tools/cli/lmctl.bash)"
done

# ---- bash completion: parses, then completes as bash would call it ----
bc=$dest/usr/local/share/bash-completion/completions/lmctl
check "bash -n of the completion failed" bash -n "$bc"
# complete LINE...: the words as bash splits them (at '=' too), the last one being
# completed; prints the candidates, one a line.
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _lmctl;
		printf "%s\n" "${COMPREPLY[@]}"' _ "$bc" "$@" 2>&1
}
expect() { # expect DESCRIPTION WANTED-LINE WORD...
	local what=$1 want=$2 got
	shift 2
	got=$(complete_words "$@")
	if grep -qxF -- "$want" <<<"$got"; then ok; else bad "completion: $what: '$*' gave: $(tr '\n' ' ' <<<"$got")"; fi
}
lm=$dest/usr/local/bin/lmctl
expect "commands" create "$lm" cr
expect "commands after a global option" destroy "$lm" --direct de
expect "global options" --cgroup-root= "$lm" --cg
expect "create's options" --memory-reservation= "$lm" create jobA --memory-r
expect "update's --force" --force "$lm" update jobA --fo
expect "events' options" --memory-threshold= "$lm" events jobA --mem
expect "a value after '='" latency-sensitive "$lm" create jobA --latency = lat
expect "a list value" pid,mnt "$lm" create jobA --ns = pid,m
expect "a signal" TERM "$lm" kill -s TE
expect "help's argument" stats "$lm" help st
expect "run's separator" -- "$lm" run jobA ""
expect "the command after run --" bash "$lm" run jobA -- bas

if [ "$(id -u)" = 0 ] && [ -d /sys/fs/cgroup ]; then
	# A real state: a scratch root below this shell's own cgroup, named lmctl-test-*.
	g=(--direct --state-dir="$tmp/state" --cgroup-root="$scratch_root")
	mkdir -p "$tmp/state"
	scratch_made=1
	if "$lm" "${g[@]}" init >/dev/null && "$lm" "${g[@]}" create jobA >/dev/null &&
		"$lm" "${g[@]}" create jobA/sub1 >/dev/null && "$lm" "${g[@]}" create jobB >/dev/null; then
		expect "a container name" jobA/sub1 "$lm" "${g[@]}" stats jobA
		expect "a top-level name" jobB "$lm" "${g[@]}" destroy j
		expect "a parent for create" jobA/ "$lm" "${g[@]}" create jobA
		expect "the command after a name" -- "$lm" "${g[@]}" run jobA/sub1 ""
	else
		bad "cannot make a scratch state for name completion"
	fi
else
	echo "install-check: container-name completion skipped (needs root and cgroups)"
fi

# ---- uninstall removes exactly what install put there ----
touch "$dest/usr/local/bin/not-lmctl"
if mk uninstall DESTDIR="$dest" >/dev/null 2>&1; then
	left=$(cd "$dest" && find . -type f -o -type l | sed 's|^\./||')
	check "uninstall left: $(tr '\n' ' ' <<<"$left")" test "$left" = usr/local/bin/not-lmctl
else
	bad "make uninstall failed"
fi

echo "install-check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
