"""The protobuf messages: lmctl_pb2 from protoc --python_out over proto/lmctl.proto, made on
first use into a cache directory ($LMCTL_PY_CACHE, else ~/.cache/lmctl-py) when it is not
importable already. The .proto is found beside this package in the repository, or at
$LMCTL_PROTO."""
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
    with open(proto, "rb") as f:
        tag = hashlib.sha256(f.read()).hexdigest()[:16]
    cache = os.environ.get("LMCTL_PY_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "lmctl-py")
    out = os.path.join(cache, tag)
    if not os.path.exists(os.path.join(out, "lmctl_pb2.py")):
        tmp = "%s.%d" % (out, os.getpid())
        os.makedirs(tmp, exist_ok=True)
        subprocess.run(["protoc", "-I", os.path.dirname(proto), "--python_out=" + tmp,
                        proto], check=True)
        os.makedirs(out, exist_ok=True)
        os.replace(os.path.join(tmp, "lmctl_pb2.py"), os.path.join(out, "lmctl_pb2.py"))
        os.rmdir(tmp)
    sys.path.insert(0, out)
    return importlib.import_module("lmctl_pb2")


pb = _load()
