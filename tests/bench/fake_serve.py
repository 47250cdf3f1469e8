#!/usr/bin/python3
"""A stand-in measuring process for the tests of interleave.py: speaks serve_protocol.py's
protocol without a model. Each `run` answers BASE x the machine's speed of that moment steps in one
second, the speed alternating 1.0, 1.5, 1.0, ... with every run this process answers (two such
processes asked in turn see the same swing in the same round). `fma` answers 100 GFLOP/s. A row
of model "broken" answers an error. Every command is appended to LOG, prefixed with NAME.

usage: fake_serve.py NAME BASE LOG
"""
import sys


def main():
    name, base, log = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    runs = 0
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        with open(log, "a") as f:
            f.write("%s %s\n" % (name, line.strip()))
        if words[0] == "fma":
            print("done fma %g 1" % 100e9, flush=True)
        elif words[1].startswith("broken/"):
            print("error %s this row cannot be built" % words[1], flush=True)
        elif words[0] == "prepare":
            print("ready %s fake %s" % (words[1], name), flush=True)
        else:
            speed = 1.0 if runs % 2 == 0 else 1.5
            runs += 1
            batch = int(words[1].rsplit("/", 1)[1])
            print("done %s %d 1" % (words[1], round(base * speed / batch)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
