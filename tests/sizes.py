#!/usr/bin/env python3
"""Check lmctl's sources for size: no function over 60 lines, no file over 800 lines unless
its opening comment says why (it mentions "800 lines", as in "over 800 lines: ...").

A function is counted from the line after its opening brace (a "{" alone in column 0, as
clang-format writes a function body) to the line before its closing "}" in column 0.

Usage: tests/sizes.py [ROOT]   exit 0 when every file and function is within bounds.
"""
import os
import re
import sys

FUNC_MAX = 60
FILE_MAX = 800
DIRS = ("base", "controllers", "nsutil", "policy", "core", "proto", "tools", "tests", "bench")
NAME = re.compile(r"(\w+)\s*\(")


def functions(lines):
    """(name, first line number, body lines) of each function body in lines."""
    i = 0
    while i < len(lines):
        if lines[i] == "{" and i > 0:
            j = i + 1
            while j < len(lines) and lines[j] != "}":
                j += 1
            k = i - 1
            while k > 0 and "(" not in lines[k]:
                k -= 1
            m = NAME.search(lines[k])
            yield (m.group(1) if m else lines[k].strip(), k + 1, j - i - 1)
            i = j
        i += 1


def check(root):
    problems = []
    for top in DIRS:
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if not f.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, root)
                with open(path, encoding="utf-8", errors="replace") as fh:
                    lines = fh.read().split("\n")
                n = len(lines) - (1 if lines and lines[-1] == "" else 0)
                head = "\n".join(lines[:30])
                if n > FILE_MAX and "800 lines" not in head:
                    problems.append(f"{rel}: {n} lines (over {FILE_MAX}, no reason given)")
                for name, at, body in functions(lines):
                    if body > FUNC_MAX:
                        problems.append(f"{rel}:{at}: {name}: {body} lines (over {FUNC_MAX})")
    return problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    problems = check(root)
    for p in problems:
        print("sizes: " + p)
    print(f"sizes: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
