// How a subcommand ends on an error: the message on stderr, named by the command, and a failure
// exit status, rather than an exception escaping to main().
#pragma once
#include <cstdio>
#include <exception>

namespace nnc::driver {

// Runs `command` (which returns the exit status); if it throws, prints "<name>: error: <what>"
// and returns `failure_status`.
template <class Command>
int run_reporting_errors(const char* name, int failure_status, Command&& command) {
    try {
        return command();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: error: %s\n", name, e.what());
        return failure_status;
    }
}

}  // namespace nnc::driver
