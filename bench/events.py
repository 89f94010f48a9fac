#!/usr/bin/python3
"""Timings for bench/events.sh (issue 13), through python/lmctl against a real agent:
  create N containers (pipelined), run T short tasks in ten of them (their records kept, at
  most 1,000 a container), then the agent's restart to serving: kill -9, start, until a list
  request is answered with all N containers, median of REPS, beside the same with an empty
  state directory (the same run's baseline); then a subscriber replaying E journaled events
  (since = last - E) until it has them all, median of REPS; and a task's start to its EXIT
  event: a detached /bin/true sent, until a subscriber has its EXIT (K = LMCTL_BENCH_EXITS,
  default 1000; p50, p99), beside, interleaved in ten blocks (the same run's baselines):
  posix_spawn + waitpid of /bin/true in this process, and bench_exit_floor's vfork + exec +
  wait in C, bare and placed (the child cloned into the cgroup2 leaf and writing itself
  into v1's tasks, as the agent's does: the kernel's floor for a task in a leaf; and
  through every cgroup.procs, the floor before session 10, which waits for an RCU grace
  period after a quiet spell); and the
  agent's figure again from a client in C (bench_exit_agent, in b/c1: the path without
  Python's own framing and decoding).
Usage: events.py LMCTLD SOCKET STATE EMPTY_STATE N E REPS AGENT_PID_FILE SEED_CMD...
(T is LMCTL_BENCH_TASKS, default 10000.)"""
import os
import signal
import statistics
import subprocess
import sys
import time

import lmctl
from lmctl import pb


def start(binary, sock, state, pidfile):
    p = subprocess.Popen([binary, "--socket", sock, "--state-dir", state],
                         stderr=subprocess.DEVNULL)
    with open(pidfile, "w") as f:
        f.write(str(p.pid))
    return p


def serving_ms(binary, sock, state, pidfile, old, want=0):
    """Kill old (-9), start an agent, time until a list answers with the want containers."""
    if old:
        old.send_signal(signal.SIGKILL)
        old.wait()
    t0 = time.monotonic()
    p = start(binary, sock, state, pidfile)
    while True:
        if p.poll() is not None:
            raise SystemExit("events.py: lmctld exited with %d" % p.returncode)
        try:
            with lmctl.Client(sock) as c:
                got = len(c.list().containers)
            if got != want:
                raise SystemExit("events.py: the restarted agent lists %d containers, not %d"
                                 % (got, want))
            return p, (time.monotonic() - t0) * 1000
        except (OSError, EOFError):
            time.sleep(0.0005)


def create_many(sock, n):
    c = lmctl.Client(sock)
    c.create("b")
    for i in range(0, n - 1, 100):  # pipelined by hundreds
        ids = []
        for j in range(i, min(i + 100, n - 1)):
            c.next_id += 1
            ids.append(c.next_id)
            c._send(pb.Request(id=c.next_id, create=pb.CreateRequest(name="b/c%d" % j)))
        for _ in ids:
            r = c._recv()
            assert r.status == 0, r.error
    c.close()


def run_many(sock, t, n):
    """T detached /bin/true runs over the first min(10, N - 1) containers, pipelined by
    hundreds; returns once every task has ended (the agent's own list says so). A reply that
    does not come within 60 s ends the benchmark with the request it waited for."""
    c = lmctl.Client(sock, timeout=60)
    spread = max(1, min(10, n - 1))
    for i in range(0, t, 100):
        ids = []
        for j in range(i, min(i + 100, t)):
            c.next_id += 1
            ids.append(c.next_id)
            c._send(pb.Request(id=c.next_id, run=pb.RunRequest(
                name="b/c%d" % (j % spread), argv=["/bin/true"], detach=True)))
        for want in ids:
            try:
                r = c._recv()
            except OSError as e:
                raise SystemExit("events.py: run %d of %d (request id %d): no reply: %s"
                                 % (want - ids[0] + i + 1, t, want, e))
            assert r.status == 0, r.error
    while True:
        c.next_id += 1
        c._send(pb.Request(id=c.next_id, task_list=pb.TaskListRequest(name="b", recursive=True)))
        r = c._recv()
        assert r.status == 0, r.error
        kept, running = len(r.tasks.tasks), sum(x.state == pb.TASK_RUNNING for x in r.tasks.tasks)
        if not running:
            break
        time.sleep(0.05)
    c.close()
    return kept


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def exit_ms(sub, c, k):
    """A task's start (its run request sent) to its EXIT event at a subscriber, k times."""
    out = []
    for _ in range(k):
        c.next_id += 1
        t0 = time.monotonic()
        c._send(pb.Request(id=c.next_id, run=pb.RunRequest(
            name="b/c0", argv=["/bin/true"], detach=True)))
        r = c._recv()
        assert r.status == 0, r.error
        while True:
            ev = sub._recv()
            if ev.event.kind == pb.EVENT_EXIT and ev.event.pid == r.run.pid:
                break
        out.append((time.monotonic() - t0) * 1000)
    return out


def floor_ms(floor, what, k):
    """k starts by bench_exit_floor (what: placed, procs or bare), or by bench_exit_agent (what:
    None), in ms."""
    floor.stdin.write("%d\n" % k if what is None else "%s %d\n" % (what, k))
    floor.stdin.flush()
    out = []
    while True:
        line = floor.stdout.readline()
        if line in (".\n", ""):
            break
        out.append(int(line) / 1e6)
    if len(out) != k:
        raise SystemExit("events.py: bench_exit_floor %s: %d of %d starts" % (what, len(out), k))
    return out


def exit_figures(sock, k):
    """The agent's figure and its baselines, in ten interleaved blocks (the machine's drift
    touches all alike)."""
    sub = lmctl.Client(sock)
    sub.call(subscribe=pb.SubscribeRequest(name="b/c0", exit=True))
    c = lmctl.Client(sock)
    floor = subprocess.Popen([os.environ["LMCTL_BENCH_FLOOR"],
                              os.environ["LMCTL_BENCH_FLOOR_ROOT"]],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    # the same through a client in C, in a leaf of its own (its exits not in sub's stream)
    cclient = subprocess.Popen([os.environ["LMCTL_BENCH_EXIT_AGENT"], sock, "b/c1"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    got = {"agent": [], "cagent": [], "spawn": [], "bare": [], "placed": [], "procs": []}
    try:
        for _ in range(10):
            n = max(1, k // 10)
            got["agent"] += exit_ms(sub, c, n)
            got["cagent"] += floor_ms(cclient, None, n)
            got["spawn"] += spawn_ms(n)
            got["bare"] += floor_ms(floor, "bare", n)
            got["placed"] += floor_ms(floor, "placed", n)
            got["procs"] += floor_ms(floor, "procs", n)
    finally:
        for p in (floor, cclient):
            p.stdin.close()
            p.wait()
        c.close()
        sub.close()
    return got


def spawn_ms(k):
    out = []
    for _ in range(k):
        t0 = time.monotonic()
        pid = os.posix_spawn("/bin/true", ["/bin/true"], {})
        os.waitpid(pid, 0)
        out.append((time.monotonic() - t0) * 1000)
    return out


def replay_s(sock, since, count):
    """A reconnecting subscriber's replay of count events after since; one that stalls for
    60 s ends the benchmark saying how far it got."""
    c = lmctl.Client(sock, timeout=60)
    t0 = time.monotonic()
    c.call(subscribe=pb.SubscribeRequest(name="", recursive=True, lifecycle=True, since=since))
    got, seq = 0, since
    while got < count:
        try:
            r = c._recv()
        except OSError as e:
            raise SystemExit("events.py: replay since %d: %d of %d events, the last seq %d: %s"
                             % (since, got, count, seq, e))
        seq = r.event.seq
        if r.event.kind != pb.EVENT_GAP:
            got += 1
    dt = time.monotonic() - t0
    c.close()
    return dt


def target(what, figure, t, met):
    """One line per target, as bench/bench.h's bench_target prints it (and appends to the
    file $BENCH_TARGETS names, which bench/run.sh prints at the end)."""
    line = "target: %-52s %14s  (target %s)  %s\n" % (what, figure, t,
                                                      "met" if met else "NOT met")
    sys.stdout.write(line)
    if os.environ.get("BENCH_TARGETS"):
        with open(os.environ["BENCH_TARGETS"], "a") as f:
            f.write(line)


def main():
    binary, sock, state, empty, n, e, reps, pidfile = sys.argv[1:9]
    seed = sys.argv[9:]
    n, e, reps = int(n), int(e), int(reps)
    agent, _ = serving_ms(binary, sock, empty, pidfile, None)
    base = []
    for _ in range(reps):
        agent, ms = serving_ms(binary, sock, empty, pidfile, agent)
        base.append(ms)
    agent.send_signal(signal.SIGTERM)
    agent.wait()
    agent, _ = serving_ms(binary, sock, state, pidfile, None)
    t0 = time.monotonic()
    create_many(sock, n)
    made = time.monotonic() - t0
    t0 = time.monotonic()
    kept = run_many(sock, int(os.environ.get("LMCTL_BENCH_TASKS", "10000")), n)
    ran = time.monotonic() - t0
    agent.send_signal(signal.SIGTERM)
    agent.wait()
    last = int(subprocess.run(seed, check=True, capture_output=True).stdout)
    agent, _ = serving_ms(binary, sock, state, pidfile, None, n)
    full = []
    for _ in range(reps):
        agent, ms = serving_ms(binary, sock, state, pidfile, agent, n)
        full.append(ms)
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    rep = [replay_s(sock, last - e, e) for _ in range(reps)]
    k = int(os.environ.get("LMCTL_BENCH_EXITS", "1000"))
    ex = exit_figures(sock, k)
    with lmctl.Client(sock) as c:
        caps = c.capabilities()
        c.destroy("b", recursive=True)
    agent.send_signal(signal.SIGTERM)
    agent.wait()
    print("agent restart to serving (kill -9, start, until a list answers with every "
          "container), median of %d; load average %s:"
          % (reps, load))
    print("  %5d containers + %d task records + %d-event journal: %7.1f ms (max %.1f)"
          "   budget 300 ms" % (n, kept, caps.event_history, statistics.median(full), max(full)))
    print("  baseline, empty state directory:     %7.1f ms (max %.1f)"
          % (statistics.median(base), max(base)))
    target("agent restart to serving, %d containers + %d tasks" % (n, kept),
           "%.0f ms" % statistics.median(full), "< 300 ms", statistics.median(full) < 300)
    print("  (%d containers created through the agent in %.2f s; %d tasks run in %.2f s)"
          % (n, made, kept, ran))
    print("event replay to a reconnecting subscriber, %d events, median of %d: %.3f s "
          "(%.0f events/s; max %.3f s)   budget 1 s"
          % (e, reps, statistics.median(rep), e / statistics.median(rep), max(rep)))
    print("a task's start to its EXIT event (detached /bin/true, run request sent until a "
          "subscriber has the event), %d tasks, beside its baselines in ten interleaved blocks; "
          "load average %s:" % (len(ex["agent"]), " ".join(open("/proc/loadavg").read().split()[:3])))
    rows = (("agent", "through the agent (Python client)"),
            ("cagent", "through the agent (C client)"),
            ("spawn", "baseline: posix_spawn + waitpid, Python"),
            ("bare", "floor: vfork + exec + wait, C"),
            ("placed", "floor, placed: into the leaf + v1 tasks"),
            ("procs", "floor, placed through cgroup.procs"))
    for key, what in rows:
        print("  %-44s p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms"
              % (what, percentile(ex[key], 50), percentile(ex[key], 90),
                 percentile(ex[key], 99)))
    floor99 = percentile(ex["placed"], 99)
    for key, what in (("agent", "Python"), ("cagent", "C")):
        print("  agent (%s client) / placed floor: p50 %.2fx, p99 %.2fx"
              % (what, percentile(ex[key], 50) / percentile(ex["placed"], 50),
                 percentile(ex[key], 99) / floor99))
    for key, what in (("agent", "Python"), ("cagent", "C")):
        p99 = percentile(ex[key], 99)
        target("task start to EXIT p99, %s client (floor %.2f ms)" % (what, floor99),
               "%.2f ms" % p99, "< 5 ms", p99 < 5)


if __name__ == "__main__":
    main()
