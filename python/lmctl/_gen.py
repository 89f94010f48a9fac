"""The protobuf messages: lmctl_pb2 from protoc --python_out over proto/lmctl.proto (and the
core/record.proto it imports publicly: Spec, Task and what they embed, offered by lmctl_pb2
too), made on first use into a cache directory ($LMCTL_PY_CACHE, else ~/.cache/lmctl-py)
when it is not importable already. The .proto is found beside this package in the
repository, or at $LMCTL_PROTO (with core/record.proto beside its folder, as in the tree)."""
import hashlib
import importlib
import os
import subprocess
import sys


def _proto_path():
    env = os.environ.get("LMCTL_PROTO")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "proto", "lmctl.proto")


def _load():
    try:
        return importlib.import_module("lmctl_pb2")
    except ImportError:
        pass
    proto = os.path.abspath(_proto_path())
    # imports resolve from the repository root: "core/record.proto"
    root = os.path.dirname(os.path.dirname(proto))
    files = [os.path.join(root, "core", "record.proto"), proto]
    tag = hashlib.sha256()
    for p in files:
        with open(p, "rb") as f:
            tag.update(f.read())
    cache = os.environ.get("LMCTL_PY_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "lmctl-py")
    out = os.path.join(cache, tag.hexdigest()[:16])
    if not os.path.exists(os.path.join(out, "lmctl_pb2.py")):
        tmp = "%s.%d" % (out, os.getpid())
        os.makedirs(tmp, exist_ok=True)
        subprocess.run(["protoc", "-I", root, "--python_out=" + tmp] + files, check=True)
        # lmctl_pb2 at the top (imported by name), core/record_pb2 beside it (lmctl_pb2
        # imports core.record_pb2); lmctl_pb2 last: its presence means both are there
        os.makedirs(os.path.join(out, "core"), exist_ok=True)
        os.replace(os.path.join(tmp, "core", "record_pb2.py"),
                   os.path.join(out, "core", "record_pb2.py"))
        os.replace(os.path.join(tmp, "proto", "lmctl_pb2.py"), os.path.join(out, "lmctl_pb2.py"))
        os.rmdir(os.path.join(tmp, "core"))
        os.rmdir(os.path.join(tmp, "proto"))
        os.rmdir(tmp)
    sys.path.insert(0, out)
    return importlib.import_module("lmctl_pb2")


pb = _load()
