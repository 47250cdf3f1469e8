"""The driver's end of the measuring processes of tests/bench/compare.sh: model_serve (nnc) and
torch_peer.py --serve (PyTorch) stay alive for the whole run and answer one line per command:

  prepare ROW        ready ROW VARIANT          builds and warms the row's model
  run ROW SECONDS    done ROW STEPS SECONDS     steps until SECONDS have passed (at least one)
  fma SECONDS        done fma FLOPS SECONDS     the register-only FMA loop (model_serve only)
  quit

A failure answers "error ROW what went wrong"; the process goes on.
"""
import subprocess


class RowError(Exception):
    """The process could not build or run a row; it goes on with the next."""


class ServerError(Exception):
    """The process died or answered out of protocol: the run cannot go on with it."""


class Server:
    def __init__(self, name, argv):
        self.name = name
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        except OSError as e:
            raise ServerError("%s: cannot start %s: %s" % (name, argv[0], e))

    def ask(self, line):
        """The answer's words after the verb and row, for a command line."""
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the exit status below says why
        answer = self.proc.stdout.readline()
        if not answer:
            status = self.proc.wait()
            raise ServerError("%s exited (status %s) when asked '%s'; its messages are above" % (self.name, status, line))
        words = answer.split()
        if len(words) >= 2 and words[0] == "error":
            raise RowError("%s: %s" % (self.name, " ".join(words[2:])))
        if len(words) < 2 or words[0] not in ("ready", "done"):
            raise ServerError("%s answered '%s' to '%s'" % (self.name, answer.strip(), line))
        return words[2:]

    def prepare(self, row):
        """The name of the variant that will run the row ("nnc", "eager", "channels_last", ...)."""
        return " ".join(self.ask("prepare " + row))

    def run(self, row, seconds):
        """(steps, seconds) of one slice."""
        words = self.ask("run %s %g" % (row, seconds))
        return int(words[0]), float(words[1])

    def fma(self, seconds):
        """(floating-point operations, seconds) of one slice of the FMA loop."""
        words = self.ask("fma %g" % seconds)
        return float(words[0]), float(words[1])

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (BrokenPipeError, OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
