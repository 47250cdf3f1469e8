#!/usr/bin/env python3
"""Checks the one-way arrows between nnc's parts in the sources' #include lines.

    dsl/           text -> checked model: includes dsl/ and the public ABI (<nnc/...>); no Halide
    runtime/       the library inside every model.so: runtime/ and <nnc/...>; no codegen, dsl or
                   libHalide (HalideRuntime.h, the plain C runtime header, is allowed)
    runtime/cli/   the commands that drive a model: runtime/cli/ and <nnc/...> only
    codegen/       checked model -> model.so: codegen/, dsl/, <nnc/...>
    codegen/driver the nnc entry point: also runtime/cli/ (it registers the training commands)

The build enforces the same through include paths (cmake/layering.cmake); this check also
covers headers no target compiles. Exit status 1 on any violation.
usage: layering.py ROOT
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
OURS = ("dsl/", "codegen/", "runtime/")

# (folder prefix, allowed prefixes of our own includes, forbidden system headers); first match wins
RULES = [
    ("runtime/cli/", ("runtime/cli/",), ("Halide.h",)),
    ("runtime/", ("runtime/",), ("Halide.h",)),
    ("dsl/", ("dsl/",), ("Halide.h", "HalideRuntime.h")),
    ("codegen/driver/", ("codegen/", "dsl/", "runtime/cli/"), ()),
    ("codegen/", ("codegen/", "dsl/"), ()),
]


def check(root):
    problems = []
    for part in ("dsl", "codegen", "runtime"):
        for folder, _, files in os.walk(os.path.join(root, part)):
            for name in sorted(files):
                if not name.endswith((".h", ".hpp", ".cpp", ".c", ".in")):
                    continue
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                if rel.startswith("runtime/include/"):
                    continue  # the public ABI includes only itself and system headers
                rule = next(r for r in RULES if rel.startswith(r[0]))
                for n, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    header = m.group(2)
                    if header.startswith(OURS) and not header.startswith(rule[1]):
                        problems.append("%s:%d: includes %s, but %s may include only %s and <nnc/...>" %
                                        (rel, n, header, rule[0], ", ".join(rule[1])))
                    elif rel.startswith("runtime/") and not rel.startswith("runtime/cli/") and \
                            header.startswith("runtime/cli/"):
                        problems.append("%s:%d: includes %s: the runtime inside model.so must not depend on "
                                        "the commands that drive it" % (rel, n, header))
                    elif os.path.basename(header) in rule[2]:
                        problems.append("%s:%d: includes %s, which %s must not" % (rel, n, header, rule[0]))
    return problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print("%d includes run against the arrows (README, Architecture): move the code to the part "
              "that may depend on it, or pass what it needs through the C ABI" % len(problems))
        return 1
    print("every include follows the arrows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
