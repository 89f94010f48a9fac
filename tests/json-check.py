#!/usr/bin/python3
"""Check lmctl --json output (stdin) against docs/lmctl.schema.json (docs/json.md).

Usage: json-check.py SCHEMA DEFINITION [--lines=N|--min-lines=N]
Each line must be one JSON object valid against $defs/DEFINITION, with no null, no "",
no empty object or array (but a list --pids "processes" list), no repeated key, and the
output must end with a newline. Exit 0 when it holds, 1 with the reasons on stderr.
"""
import json
import sys

import jsonschema


def no_dup(pairs):
    keys = [k for k, _ in pairs]
    dups = {k for k in keys if keys.count(k) > 1}
    if dups:
        raise ValueError("repeated key(s) %s" % ", ".join(sorted(dups)))
    return dict(pairs)


def absent_values(v, path, errors):
    """Absent values are left out: null, "", {} and [] must not appear."""
    # An empty list that was asked for is a value (list --pids: no process), and so is an
    # empty argument in a task's argv.
    if v is None or v == {} or (v == [] and not path.endswith((".processes", ".argv"))) or (
        v == "" and not path.startswith(".argv[")
    ):
        errors.append("%s: %r (an absent value must be left out)" % (path or ".", v))
    if isinstance(v, dict):
        for k, x in v.items():
            absent_values(x, path + "." + k, errors)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            absent_values(x, "%s[%d]" % (path, i), errors)


def main():
    schema_path, definition = sys.argv[1], sys.argv[2]
    want_lines = min_lines = None
    for a in sys.argv[3:]:
        if a.startswith("--lines="):
            want_lines = int(a[8:])
        elif a.startswith("--min-lines="):
            min_lines = int(a[12:])
    with open(schema_path) as f:
        schema = json.load(f)
    if definition not in schema["$defs"]:
        print("json-check: no definition %r in %s" % (definition, schema_path), file=sys.stderr)
        return 1
    schema = dict(schema, **{"$ref": "#/$defs/" + definition})
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    text = sys.stdin.read()
    errors = []
    if text and not text.endswith("\n"):
        errors.append("the output does not end with a newline")
    lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
    if want_lines is not None and len(lines) != want_lines:
        errors.append("%d lines, want %d" % (len(lines), want_lines))
    if min_lines is not None and len(lines) < min_lines:
        errors.append("%d lines, want at least %d" % (len(lines), min_lines))
    for n, line in enumerate(lines, 1):
        try:
            obj = json.loads(line, object_pairs_hook=no_dup)
        except ValueError as e:
            errors.append("line %d: not JSON: %s: %s" % (n, e, line[:200]))
            continue
        if not isinstance(obj, dict):
            errors.append("line %d: not an object: %s" % (n, line[:200]))
            continue
        for e in validator.iter_errors(obj):
            where = "/".join(str(p) for p in e.absolute_path)
            errors.append("line %d: %s: %s" % (n, where or ".", e.message))
        absent_values(obj, "", errors)
    for e in errors:
        print("json-check: %s: %s" % (definition, e), file=sys.stderr)
    if errors:
        print("json-check: the output was:\n%s" % text, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
