"""A small client of lmctld (the lmctl node agent) over its unix socket.

Messages are protoc --python_out code from proto/lmctl.proto (generated on first import into
a cache directory when not already importable). Every call carries its own request id;
a refusal raises a typed error (errors.NotFound, errors.ExceedsParent, ...) carrying the
agent's code, message and facts; run passes stdio by SCM_RIGHTS; events() reconnects after
the agent restarts and resumes from the last sequence number it delivered.

    c = lmctl.Client()                      # $LMCTL_SOCKET or /run/lmctl/lmctld.sock
    c.create("job", memory_limit=1 << 30)
    for ev in c.events("job", exit=True):   # resumes by itself across agent restarts
        print(ev.container, lmctl.kind_name(ev.kind), ev.seq)
"""
import os
import socket
import struct
import time

from lmctl import errors
from lmctl._gen import pb

__all__ = ["Client", "errors", "pb", "kind_name", "DEFAULT_SOCKET"]

DEFAULT_SOCKET = "/run/lmctl/lmctld.sock"
FRAME_MAX = 4 << 20
# StatsRequest.fields: the resources a stats request reads (a sum; 0 = all of them).
STATS_CPU, STATS_MEMORY, STATS_IO, STATS_PIDS, STATS_PRESSURE = 1, 2, 4, 8, 16


def kind_name(kind):
    """EVENT_EXIT -> "exit"."""
    return pb.EventKind.Name(kind)[len("EVENT_"):].lower()


def _spec(spec=None, memory_limit=None, memory_reservation=None, cpu_limit_m=None,
          cpu_reservation_m=None, pids_limit=None):
    """A Spec from keyword shortcuts (or spec itself)."""
    s = pb.Spec() if spec is None else spec
    for field, value in (("memory.limit", memory_limit),
                         ("memory.reservation", memory_reservation),
                         ("cpu.limit_m", cpu_limit_m),
                         ("cpu.reservation_m", cpu_reservation_m),
                         ("pids.limit", pids_limit)):
        if value is not None:
            msg, name = field.split(".")
            setattr(getattr(s, msg), name, value)
    return s


class Client:
    """One connection to lmctld. Not thread-safe: use one Client per thread."""

    def __init__(self, path=None, timeout=None):
        self.path = path or os.environ.get("LMCTL_SOCKET") or DEFAULT_SOCKET
        self.timeout = timeout
        self.next_id = 0
        self.sock = None
        self._connect()

    def _connect(self):
        self._buf = bytearray()
        self._off = 0
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- framing ----
    def _recv_exact(self, n):
        """n bytes, read ahead in large chunks (a replay is many small frames)."""
        while len(self._buf) - self._off < n:
            chunk = self.sock.recv(max(65536, n))
            if not chunk:
                raise EOFError("lmctld closed the connection")
            if self._off:
                del self._buf[:self._off]
                self._off = 0
            self._buf += chunk
        out = bytes(self._buf[self._off:self._off + n])
        self._off += n
        return out

    def _send(self, req, fds=()):
        data = req.SerializeToString()
        frame = struct.pack(">I", len(data)) + data
        if fds:
            socket.send_fds(self.sock, [frame], list(fds))
        else:
            self.sock.sendall(frame)

    def _recv(self):
        (length,) = struct.unpack(">I", self._recv_exact(4))
        if length > FRAME_MAX:
            raise EOFError("frame of %d bytes from lmctld" % length)
        return pb.Response.FromString(self._recv_exact(length))

    def call(self, fds=(), check=True, **op):
        """Send a Request with one operation (create=pb.CreateRequest(...), ...); return the
        Response with its id. A refusal raises errors.LmctlError (a subclass per code)."""
        self.next_id += 1
        rid = self.next_id
        self._send(pb.Request(id=rid, **op), fds)
        while True:
            resp = self._recv()
            if resp.id == rid or resp.id == 0:
                break
        if check and resp.status != 0:
            raise errors.from_response(resp)
        return resp

    # ---- operations ----
    def create(self, name, spec=None, **kw):
        """Create name; True if it already existed with this very spec (a retry)."""
        r = self.call(create=pb.CreateRequest(name=name, spec=_spec(spec, **kw)))
        return r.WhichOneof("payload") == "create" and r.create.existed

    def update(self, name, spec=None, clear=(), force=False, **kw):
        """Change the fields set (and clear those named: "memory.limit", ...), as a whole."""
        self.call(update=pb.UpdateRequest(name=name, spec=_spec(spec, **kw), clear=list(clear),
                                          force=force))

    def destroy(self, name, recursive=False, force=False):
        self.call(destroy=pb.DestroyRequest(name=name, recursive=recursive, force=force))

    def spec(self, name):
        return self.call(spec=pb.SpecRequest(name=name)).spec

    def list(self, name="", recursive=True, pids=False):
        return self.call(list=pb.ListRequest(name=name, recursive=recursive, pids=pids)).list

    def stats(self, name, recursive=False, fields=0):
        """A StatsReply: containers (each with read_realtime_ns) and skipped names.
        fields: a sum of STATS_CPU, STATS_MEMORY, STATS_IO, STATS_PIDS, STATS_PRESSURE, only
        those resources' files read (the others' fields absent); 0 every one."""
        return self.call(stats=pb.StatsRequest(name=name, recursive=recursive,
                                               fields=fields)).stats

    def run(self, name, argv, stdio=None, detach=False, env=(), cwd=""):
        """Start argv in the leaf; stdio: three fds (stdin, stdout, stderr) or None for
        /dev/null. Returns the RunReply (exit status unless detached)."""
        fds = tuple(stdio) if stdio else ()
        req = pb.RunRequest(name=name, argv=list(argv), env=list(env), cwd=cwd,
                            detach=detach, n_fds=len(fds))
        return self.call(run=req, fds=fds).run

    def kill(self, name, signal=0, recursive=False):
        self.call(kill=pb.KillRequest(name=name, signal=signal, recursive=recursive))

    def pause(self, name):
        self.call(pause=pb.PauseRequest(name=name))

    def resume(self, name):
        self.call(resume=pb.ResumeRequest(name=name))

    def capabilities(self):
        return self.call(capabilities=pb.CapabilitiesRequest()).capabilities

    def version(self):
        return self.call(version=pb.VersionRequest()).version

    def events(self, name="", since=None, recursive=True, reconnect_s=30.0, **kinds):
        """Yield the Events of name (kinds: oom, empty, exit, started, lifecycle, evicted,
        memory_threshold=BYTES; default exit, oom and lifecycle) on a connection of their
        own. since=SEQ resumes after SEQ. When the agent goes away the generator reconnects
        (for up to reconnect_s) and resumes after the last event it yielded: none missed,
        none twice, or an EVENT_GAP first when the agent no longer keeps them."""
        if not kinds:
            kinds = {"exit": True, "oom": True, "lifecycle": True}
        # From now on, as a resume: then a reconnect before the first event misses nothing.
        last = since if since is not None else self.capabilities().event_seq
        while True:
            sub = Client(self.path, self.timeout)
            try:
                req = pb.SubscribeRequest(name=name, recursive=recursive, since=last, **kinds)
                sub.call(subscribe=req)
                while True:
                    resp = sub._recv()
                    if resp.status != 0:
                        raise errors.from_response(resp)
                    ev = resp.event
                    if ev.seq:
                        last = ev.seq
                    yield ev
                    if ev.kind == pb.EVENT_DESTROYED and ev.container == name.strip("/"):
                        return
            except (EOFError, ConnectionError):
                sub.close()
                _wait_for_agent(self.path, reconnect_s)
            finally:
                sub.close()


def _wait_for_agent(path, bound_s):
    """Until the agent at path answers a request (the agent is back), at most bound_s. A
    connection alone proves nothing: the kernel queues one on the listening socket of an agent
    that has just died until that socket's last reference goes, then resets it."""
    deadline = time.monotonic() + bound_s
    while True:
        c = None
        try:
            c = Client(path, timeout=max(0.1, deadline - time.monotonic()))
            c.capabilities()
            return
        except (OSError, EOFError):
            if time.monotonic() > deadline:
                raise errors.Unavailable(-111, "lmctld at %s did not come back" % path)
            time.sleep(0.05)
        finally:
            if c:
                c.close()
