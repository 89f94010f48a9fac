#!/usr/bin/python3
"""A client of lmctld written only from proto/lmctl.proto (code from protoc --python_out):
create, spec, run (stdio passed by SCM_RIGHTS), stats, destroy. Exits 0 when every answer
is what the API documents. Usage: client.py SOCKET GENERATED_DIR"""
import errno
import os
import socket
import struct
import sys

# protoc -I <repo> wrote GENERATED_DIR/proto/lmctl_pb2.py, which imports core.record_pb2
sys.path.insert(0, sys.argv[2])
sys.path.insert(0, os.path.join(sys.argv[2], "proto"))
import lmctl_pb2 as pb  # noqa: E402

MiB = 1 << 20


class Client:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.next_id = 0

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError("lmctld closed the connection")
            buf += chunk
        return buf

    def call(self, fds=(), **op):
        """Send a Request with one operation set; return the Response with the same id."""
        self.next_id += 1
        req = pb.Request(id=self.next_id, **op)
        data = req.SerializeToString()
        frame = struct.pack(">I", len(data)) + data
        if fds:
            socket.send_fds(self.sock, [frame], list(fds))
        else:
            self.sock.sendall(frame)
        while True:
            (length,) = struct.unpack(">I", self._recv_exact(4))
            resp = pb.Response.FromString(self._recv_exact(length))
            if resp.id == self.next_id:
                return resp


def check(cond, what):
    if not cond:
        print("client.py: FAILED: " + what, file=sys.stderr)
        sys.exit(1)


def main():
    c = Client(sys.argv[1])

    spec = pb.Spec(memory=pb.MemorySpec(limit=64 * MiB), pids=pb.PidsSpec(limit=100))
    r = c.call(create=pb.CreateRequest(name="py", spec=spec))
    check(r.status == 0, "create: %d %s" % (r.status, r.error))

    r = c.call(create=pb.CreateRequest(name="py", spec=spec))
    check(r.status == 0 and r.create.existed, "identical create: existed: %d" % r.status)
    other = pb.Spec(memory=pb.MemorySpec(limit=32 * MiB))
    r = c.call(create=pb.CreateRequest(name="py", spec=other))
    check(r.status == -errno.EEXIST and r.code == pb.ALREADY_EXISTS and r.error,
          "conflicting create refused: %d" % r.status)

    r = c.call(spec=pb.SpecRequest(name="py"))
    check(r.status == 0 and r.WhichOneof("payload") == "spec", "spec")
    check(r.spec.asked.memory.HasField("limit"), "spec: memory.limit present")
    check(r.spec.asked.memory.limit == 64 * MiB, "spec: memory.limit 64M")
    check(not r.spec.asked.memory.HasField("reservation"), "spec: reservation absent")
    check(r.spec.effective.pids.limit == 100, "spec: effective pids 100")

    # run: stdin /dev/null, stdout a pipe we read, stderr ours; wait for the exit status.
    rd, wr = os.pipe()
    with open(os.devnull, "rb") as null:
        run = pb.RunRequest(name="py", argv=["sh", "-c", "echo hello from $0; exit 5"],
                            env=["PATH=/usr/bin:/bin"], n_fds=3)
        r = c.call(run=run, fds=(null.fileno(), wr, 2))
    os.close(wr)
    out = os.read(rd, 4096).decode()
    os.close(rd)
    check(r.status == 0 and r.WhichOneof("payload") == "run", "run: %d %s" % (r.status, r.error))
    check(r.run.exited and r.run.exit_code == 5 and r.run.signal == 0, "run: exit code 5")
    check(out.startswith("hello from sh"), "run: output %r" % out)

    r = c.call(stats=pb.StatsRequest(name="py"))
    check(r.status == 0 and len(r.stats.containers) == 1, "stats")
    st = r.stats.containers[0]
    check(st.name == "py" and st.stats.mem_limit == 64 * MiB, "stats: mem_limit")
    check(st.stats.HasField("cpu_usage_ns"), "stats: cpu usage present")

    r = c.call(list=pb.ListRequest(name="", recursive=True))
    check(r.status == 0 and [e.name for e in r.list.containers] == ["py"], "list")

    r = c.call(destroy=pb.DestroyRequest(name="py"))
    check(r.status == 0, "destroy: %d %s" % (r.status, r.error))
    r = c.call(spec=pb.SpecRequest(name="py"))
    check(r.status == -errno.ENOENT, "gone after destroy: %d" % r.status)

    r = c.call(version=pb.VersionRequest())
    check(r.version.api_version == 2, "version")
    print("client.py: ok")


if __name__ == "__main__":
    main()
