// Runs the nnc binary under test (NNC_BINARY) as a user would, for the command-line tests, and
// other commands through the shell.
#pragma once
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace nnc::test {

struct Result {
    int status;          // the exit status, -1 if the command did not exit normally
    std::string output;  // stdout and stderr together
};

// `command` run by /bin/sh.
inline Result run_shell(const std::string& command) {
    const std::string cmd = command + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return {-1, "popen failed for: " + cmd};
    std::string out;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    const int st = pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

// nnc with `args`, as the shell splits them.
inline Result run_nnc(const std::string& args) { return run_shell(std::string(NNC_BINARY) + " " + args); }

}  // namespace nnc::test
