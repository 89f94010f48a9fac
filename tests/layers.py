#!/usr/bin/env python3
"""Draw lmctl's include graph by folder and check that every arrow points down.

Each source folder is a layer with a rank (LAYERS below, bottom first). A file may include
headers of its own folder and of folders of a lower rank; an include of a higher rank, or of
another folder of the same rank, is an arrow pointing up (or sideways) and fails the check.
An include from another folder must name the included layer's one public header (PUBLIC
below). A cycle between folders fails it too (it is reported separately, since a cycle can hide in
folders whose ranks were set wrong). Only project headers count: `#include "dir/file.h"`,
resolved from the repository root (the build uses -I.), or from the including file's folder.

Usage: tests/layers.py [--dot] [ROOT]   exit 0 when the graph is a clean stack, 1 otherwise.
       --dot prints the folder graph in Graphviz form (edges labelled with include counts).
"""
import os
import re
import sys

# Bottom first. Folders of one rank may not include each other.
LAYERS = [
    ("base", 0),  # shared vocabulary: names, specs, tree, errors, small utilities
    ("controllers", 1),
    ("nsutil", 1),
    ("policy", 2),
    ("core", 3),  # orchestration: manager, store, event sources
    ("proto", 4),  # wire format, codec, framing, dispatch, authorization
    ("tools/agent", 5),
    ("tools/cli", 5),
    ("tools", 6),  # what the agent and the CLI share, if anything
]
SOURCE_DIRS = ("base", "controllers", "nsutil", "policy", "core", "proto", "tools")
# Each layer's one public header: what a folder above may include of it. base/ is the shared
# vocabulary (any of its headers); tools/ has no callers. One exception, by name: proto/
# converts the records' Spec and Task (core's on-disk format) through core/record-pb.h.
PUBLIC = {
    "controllers": {"controllers/controller.h"},
    "nsutil": {"nsutil/ns.h"},
    "policy": {"policy/policy.h"},
    "core": {"core/manager.h"},
    "proto": {"proto/api.h"},
}
FRIENDS = {("proto", "core/record-pb.h")}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    """The most specific layer folder holding path, or None."""
    best = None
    for folder, rank in LAYERS:
        if path == folder or path.startswith(folder + "/"):
            if best is None or len(folder) > len(best[0]):
                best = (folder, rank)
    return best


def sources(root):
    for top in SOURCE_DIRS:
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


def resolve(root, src, inc):
    """Map an include to a repository path, or None for a generated or outside header."""
    here = os.path.normpath(os.path.join(os.path.dirname(src), inc))
    if os.path.exists(os.path.join(root, here)):
        return here
    if os.path.exists(os.path.join(root, inc)):
        return os.path.normpath(inc)
    # generated headers (proto/lmctl.pb-c.h) live in the build tree but belong to a folder
    return os.path.normpath(inc) if layer_of(os.path.normpath(inc)) else None


def graph(root):
    edges = {}  # (from folder, to folder) -> [(file, include)]
    problems = []
    for src in sources(root):
        sl = layer_of(src)
        if sl is None:
            problems.append(f"{src}: not in any layer folder")
            continue
        with open(os.path.join(root, src), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            target = resolve(root, src, inc)
            if target is None:
                continue
            tl = layer_of(target)
            if tl is None:
                problems.append(f"{src}: includes {inc}, which is in no layer")
                continue
            if tl[0] == sl[0]:
                continue
            edges.setdefault((sl[0], tl[0]), []).append((src, inc))
            public = PUBLIC.get(tl[0])
            if public and target not in public and (sl[0], target) not in FRIENDS:
                problems.append(
                    f"{src}: includes {inc}, not {tl[0]}'s public header "
                    f"({', '.join(sorted(public))})"
                )
            if tl[1] >= sl[1]:
                way = "up" if tl[1] > sl[1] else "sideways"
                problems.append(
                    f"{src}: includes {inc}: {sl[0]} (rank {sl[1]}) -> {tl[0]} "
                    f"(rank {tl[1]}) points {way}"
                )
    return edges, problems


def cycles(edges):
    """Folder cycles, each as a list of folders, found by depth-first search."""
    succ = {}
    for a, b in edges:
        succ.setdefault(a, set()).add(b)
    found, state, stack = [], {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(succ.get(n, ())):
            if state.get(m) == 1:
                found.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(succ):
        if n not in state:
            visit(n)
    return found


def main(argv):
    dot = "--dot" in argv
    args = [a for a in argv if a != "--dot"]
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    edges, problems = graph(root)
    for c in cycles(edges):
        problems.append("cycle between folders: " + " -> ".join(c))
    if dot:
        print("digraph lmctl {")
        for (a, b), incs in sorted(edges.items()):
            print(f'  "{a}" -> "{b}" [label="{len(incs)}"];')
        print("}")
    for p in problems:
        print("layers: " + p, file=sys.stderr)
    folders = sorted({f for e in edges for f in e})
    print(f"layers: {len(folders)} folders, {len(edges)} arrows, {len(problems)} problems",
          file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
