#!/usr/bin/env bash
# Run test programs quietly: one line per program (its cmocka counts), its whole output only
# when it fails (always kept in DIR/log/BIN.log, beside the program), and a closing tally of
# tests, not programs.
#   tests/run-tests.sh SUITE BIN...          unit, unit-asan, integration programs
#   tests/run-tests.sh --step NAME -- CMD... a step of make check (build, install, static, vm):
#                                            its output in $CHECK_DIR/NAME.log, one line each
#   tests/run-tests.sh --total               the grand total of make check's tests
# With CHECK_TALLY set (make check), each suite adds "SUITE PASSED FAILED SKIPPED" lines to
# that file, which --total sums.
set -u

# cmocka's counts in a log: "P F S". Tests that started but never reached a verdict (a
# crash, a timeout) count as failed: failed = started - passed - skipped.
cmocka_counts() {
	tr -d '\r' <"$1" | awk '
		/^\[==========\] Running [0-9]+ test\(s\)\./ { started += $3 }
		/^\[  PASSED  \] [0-9]+ test\(s\)\./ { passed += $4 }
		/^\[  SKIPPED \] [0-9]+ test\(s\)/ { skipped += $4 }
		END { f = started - passed - skipped; if (f < 0) f = 0; print passed + 0, f, skipped + 0 }'
}

tally() {
	[ -n "${CHECK_TALLY:-}" ] && echo "$1 $2 $3 $4" >>"$CHECK_TALLY"
	return 0
}

# Integration runs say where they run: kernel, cgroup mode, controllers, own cgroup.
where() {
	local cg=/sys/fs/cgroup mode
	case $(stat -fc %T $cg 2>/dev/null) in
	cgroup2fs) mode="v2 (cgroup2 on $cg)" ;;
	tmpfs) mode="v1$([ -f $cg/unified/cgroup.procs ] && echo " + cgroup2 on $cg/unified (hybrid)")" ;;
	*) mode=unknown ;;
	esac
	echo "$1: kernel $(uname -r), $(nproc) cpus, cgroup mode $mode;" \
		"controllers: $(awk 'NR > 1 && $4 == 1 { printf "%s ", $1 }' /proc/cgroups)" \
		"(cgroup2: $(cat $cg/cgroup.controllers $cg/unified/cgroup.controllers 2>/dev/null));" \
		"test process cgroup: $(tr '\n' ' ' </proc/self/cgroup)"
}

programs() {
	local suite=$1 t log rc p f s secs start line
	local np=0 nf=0 tp=0 tf=0 ts=0 failed=()
	shift
	[ "$suite" = integration ] && where "$suite"
	for t in "$@"; do
		mkdir -p "$(dirname "$t")/log"
		log=$(dirname "$t")/log/$(basename "$t").log
		start=$(date +%s.%N)
		"$t" >"$log" 2>&1
		rc=$?
		secs=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
		read -r p f s < <(cmocka_counts "$log")
		# A program that failed with every test passed (a crash after them, a leak report)
		# still fails: one failure for it.
		[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
		line="$p passed"
		[ "$f" -ne 0 ] && line="$line, $f failed"
		[ "$s" -ne 0 ] && line="$line, $s skipped"
		tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
		if [ $rc -eq 0 ]; then
			np=$((np + 1))
			printf '%s: %-22s %s (%ss)\n' "$suite" "$(basename "$t")" "$line" "$secs"
		else
			nf=$((nf + 1))
			failed+=("$(basename "$t")")
			echo "=== $suite: $(basename "$t") FAILED (exit $rc); its output ($log):"
			cat "$log"
			printf '%s: %-22s FAILED (exit %d): %s (%ss)\n' "$suite" "$(basename "$t")" \
				"$rc" "$line" "$secs"
		fi
	done
	echo "$suite: $((np + nf)) programs, $((tp + tf + ts)) tests: $tp passed, $tf failed, $ts skipped"
	tally "$suite" $tp $tf $ts
	if [ $nf -ne 0 ]; then
		echo "$suite: failing programs: ${failed[*]}"
		return 1
	fi
}

# The counts of one VM's console: its programs' cmocka tests plus the guest's own checks.
vm_counts() {
	local p f s hp hf
	read -r p f s < <(cmocka_counts "$1")
	hp=$(tr -d '\r' <"$1" | grep -ac '^\(hand\|guest\)-check: ok')
	hf=$(tr -d '\r' <"$1" | grep -ac '^\(hand\|guest\)-check: FAIL')
	echo $((p + hp)) $((f + hf)) "$s"
}

# A failing VM: the output of each failing program from its console.
vm_failures() {
	local console=$1 progs p
	progs=$(tr -d '\r' <"$console" | sed -n 's/^integration-vm: failing programs://p' | tr ' ' '\n' | sort -u)
	if [ -z "$progs" ]; then
		echo "=== the end of $console:"
		tr -d '\r' <"$console" | tail -n 60
		return
	fi
	for p in $progs; do
		[ "$p" = hand-checks ] && continue
		echo "=== $p, from $console:"
		tr -d '\r' <"$console" | awk -v h="=== integration-vm: $p" '
			$0 == h || index($0, h " (") == 1 { on = 1; print; next }
			on && (/^=== / || /^integration-vm: [0-9]+ passed/) { on = 0 }
			on { print }'
	done
	tr -d '\r' <"$console" | grep -a '^\(hand\|guest\)-check: FAIL'
}

step_vm() {
	local log=$1 rc=$2 line name console p f s st=0
	while IFS= read -r line; do
		name=${line%%:*}
		console=$(sed -n 's/.*(console: \([^)]*\)).*/\1/p' <<<"$line")
		if [ -n "$console" ] && [ -f "$console" ]; then
			read -r p f s < <(vm_counts "$console")
		else
			p=0 f=0 s=0
		fi
		case $line in
		*": SKIPPED:"*) s=$((s + 1)) ;;
		*": FAILED:"*)
			st=1
			[ "$f" -eq 0 ] && f=1
			[ -n "$console" ] && [ -f "$console" ] && vm_failures "$console"
			# What run-vm.sh saw of a guest it killed (where its vCPUs were, which tasks
			# were not sleeping, its memory): beside the result line, where a short tail of
			# the output still shows it.
			grep -a "^$name: " "$log" | grep -av "^$name: \(PASSED\|FAILED\|SKIPPED\)"
			;;
		esac
		echo "$line; tests: $p passed, $f failed, $s skipped"
		tally "$name" "$p" "$f" "$s"
	done < <(grep -a '^vm-[a-z0-9]*: \(PASSED\|FAILED\|SKIPPED\)' "$log" | awk -F: '!seen[$1]++')
	if [ "$rc" -ne 0 ] && [ $st -eq 0 ]; then
		echo "=== vm: exit $rc; its output ($log):"
		cat "$log"
		tally vm 0 1 0
	fi
	[ "$rc" -eq 0 ]
}

step() {
	local name=$1 log p f
	shift
	[ "${1:-}" = -- ] && shift
	mkdir -p "${CHECK_DIR:-build/check}"
	log=${CHECK_DIR:-build/check}/$name.log
	"$@" >"$log" 2>&1
	local rc=$?
	case $name in
	install | static)
		# "install-check: N passed, M failed" / "check-static: N passed, M failed".
		line=$(grep -a '^\(install-check\|check-static\): \([0-9]* passed\|skipped\|FAILED\)' "$log" | tail -n 1)
		p=$(sed -n 's/.*: \([0-9]*\) passed.*/\1/p' <<<"$line")
		f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$line")
		p=${p:-0} f=${f:-0}
		[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
		case $line in *skipped*) tally "$name" 0 0 1 ;; *) tally "$name" "$p" "$f" 0 ;; esac
		[ $rc -ne 0 ] && { echo "=== $name: FAILED (exit $rc); its output ($log):"; cat "$log"; }
		echo "$name: ${line:-no result line (exit $rc)}"
		;;
	vm) step_vm "$log" $rc ;;
	*)
		if [ $rc -ne 0 ]; then
			echo "=== $name: FAILED (exit $rc); its output ($log):"
			cat "$log"
		fi
		echo "$name: $([ $rc -eq 0 ] && echo ok || echo FAILED) ($log)"
		;;
	esac
	return $rc
}

total() {
	[ -f "${CHECK_TALLY:-}" ] || { echo "check: no tests ran"; return 1; }
	awk '
		{ p += $2; f += $3; s += $4; n[$1] += $2 + $3 + $4; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
		END {
			parts = ""
			for (i = 1; i <= k; i++) parts = parts (i > 1 ? ", " : "") order[i] " " n[order[i]]
			printf "check: %d tests passed, %d failed, %d skipped (%s)\n", p, f, s, parts
			exit f != 0
		}' "$CHECK_TALLY"
}

case ${1:-} in
--step)
	shift
	step "$@"
	;;
--total) total ;;
*) programs "$@" ;;
esac
