#!/usr/bin/env python3
"""Lists every function body longer than a limit in the first-party C++ sources.

A function is found by its opening line (a signature ending in '{' at namespace or class level,
as clang-format lays them out) and ends at its matching brace; braces inside strings, character
literals and comments are skipped. Lambdas count toward the function that holds them.

usage: function_lengths.py ROOT [--limit 120] [--exclude DIR ...]
Exit status 1 when a function is over the limit, so ctest fails on it.
"""
import argparse
import os
import re
import sys

SIGNATURE = re.compile(r"^( {0,4})(?!(namespace|class|struct|enum|union|extern|static_assert)\b)[^#/ ].*\)[^;{}]*\{\s*$")


def strip(line, state):
    """The line without string/char literals and comments; `state` carries a /* comment across lines."""
    out, i, n = [], 0, len(line)
    while i < n:
        if state["block"]:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out)
            state["block"], i = False, end + 2
            continue
        c = line[i]
        if line.startswith("//", i):
            break
        if line.startswith("/*", i):
            state["block"], i = True, i + 2
            continue
        if line.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', line[i:])
            if m:
                close = ")" + m.group(1) + '"'
                end = line.find(close, i + m.end())
                if end < 0:
                    state["raw"] = close
                    return "".join(out)
                i = end + len(close)
                continue
        if c in "\"'":
            j = i + 1
            while j < n and line[j] != c:
                j += 2 if line[j] == "\\" else 1
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def functions(path):
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    state = {"block": False, "raw": None}
    clean = []
    for line in lines:
        if state["raw"]:
            end = line.find(state["raw"])
            if end < 0:
                clean.append("")
                continue
            line, state["raw"] = line[end + len(state["raw"]):], None
        clean.append(strip(line, state))
    i = 0
    while i < len(lines):
        m = SIGNATURE.match(clean[i]) if clean[i].strip() else None
        if not m:
            i += 1
            continue
        depth, j = 0, i
        while j < len(clean):
            depth += clean[j].count("{") - clean[j].count("}")
            if depth <= 0 and j >= i:
                break
            j += 1
        yield i + 1, j - i + 1, lines[i].strip()
        i = j + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--limit", type=int, default=120)
    ap.add_argument("--exclude", nargs="*", default=["tests", "build"])
    args = ap.parse_args()
    over = []
    for folder, dirs, files in os.walk(args.root):
        rel = os.path.relpath(folder, args.root)
        if rel.split(os.sep)[0] in args.exclude or rel.startswith(".") and rel != ".":
            dirs[:] = []
            continue
        for f in sorted(files):
            if f.endswith((".cpp", ".h", ".hpp", ".c")):
                path = os.path.join(folder, f)
                for line, length, text in functions(path):
                    if length > args.limit:
                        over.append((length, os.path.relpath(path, args.root), line, text))
    for length, path, line, text in sorted(over, reverse=True):
        print("%s:%d: %d lines: %s" % (path, line, length, text[:100]))
    if over:
        print("%d functions over %d lines: split each into named steps" % (len(over), args.limit))
        return 1
    print("every function is at most %d lines" % args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
