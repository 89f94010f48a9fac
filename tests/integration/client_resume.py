#!/usr/bin/python3
"""The Python client library (python/lmctl) against a real agent: typed errors, stats of
chosen resources, and an event stream that survives kill -9 of the agent: the generator
reconnects to the restarted agent and resumes after the last event it yielded, none missed,
none twice.
Usage: client_resume.py SOCKET STATE_DIR AGENT_PID LMCTLD_BIN; the agent it restarts is
stopped (SIGTERM) before it exits."""
import os
import signal
import socket
import subprocess
import sys
import time

import lmctl
from lmctl import errors, pb


def check(cond, what):
    if not cond:
        print("client_resume.py: FAILED: " + what, file=sys.stderr)
        sys.exit(1)


def dead_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def main():
    sock, state, pid, binary = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    c = lmctl.Client(sock)
    c.create("pr", memory_limit=64 << 20)
    try:
        c.create("pr/x", memory_limit=128 << 20)
        check(False, "over the parent accepted")
    except errors.ExceedsParent as e:
        check(e.detail.bounded_by == "pr" and e.detail.resource == "memory.limit", "facts")
    try:
        c.spec("nosuch")
        check(False, "spec of nothing")
    except errors.NotFound:
        pass
    only = c.stats("pr", fields=lmctl.STATS_MEMORY).containers[0].stats
    check(only.mem_limit == 64 << 20 and not only.HasField("cpu_usage_ns"),
          "stats fields=memory: the memory figures only")
    every = c.stats("pr").containers[0].stats
    check(every.HasField("cpu_usage_ns") and every.HasField("pids_current"), "stats: all")
    # A socket that takes connections and never answers (a dead agent's, until the kernel
    # lets it go) is not the agent back.
    mute = os.path.join(os.path.dirname(state), "mute.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as m:
        m.bind(mute)
        m.listen(8)
        try:
            lmctl._wait_for_agent(mute, 0.3)
            check(False, "a socket that never answers taken for the agent")
        except errors.Unavailable:
            pass
    os.unlink(mute)
    events = c.events("", since=c.capabilities().event_seq, lifecycle=True)
    c.create("pr/a", memory_limit=16 << 20)
    first = next(events)
    check(first.kind == pb.EVENT_CREATED and first.container == "pr/a", "first event")
    c.close()
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and dead_state(pid) not in ("Z", "X", None):
        time.sleep(0.01)  # until it is gone (a zombie of the test harness)
    agent = subprocess.Popen([binary, "--socket", sock, "--state-dir", state],
                             stderr=subprocess.DEVNULL)
    try:
        lmctl._wait_for_agent(sock, 10)
        c = lmctl.Client(sock)
        c.create("pr/b", memory_limit=16 << 20)
        c.destroy("pr/a")
        got = [next(events), next(events)]
        check([(e.kind, e.container) for e in got] ==
              [(pb.EVENT_CREATED, "pr/b"), (pb.EVENT_DESTROYED, "pr/a")], "resumed events")
        check([e.seq for e in got] == [first.seq + 1, first.seq + 2], "seqs follow on")
        c.destroy("pr", recursive=True)
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(10)
    print("client_resume.py: ok")


if __name__ == "__main__":
    main()
