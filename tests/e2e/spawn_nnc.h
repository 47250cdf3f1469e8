// nnc as a process of its own, for the tests that signal it while it runs (SIGINT, SIGTERM,
// SIGKILL) or run two at once.
#pragma once
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/text_file.h"

extern char** environ;

namespace nnc::test {

// nnc with `args` (split at spaces) started directly, no shell between, so that a signal reaches
// it; its stdout and stderr go to `log` (/dev/null to drop them). -1 if it could not be started.
inline pid_t start_nnc(const std::string& args, const std::filesystem::path& log) {
    std::vector<std::string> words = {NNC_BINARY};
    std::istringstream ws(args);
    for (std::string w; ws >> w;) words.push_back(w);
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&actions);
    return pid;
}

// The exit status of the child `pid` once it ends: -1 if a signal ended it, -2 if it is not a child.
inline int wait_status(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -2;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Waits until `file` exists and holds `text` (a running nnc has reached that point); false after
// `limit`.
inline bool wait_for_text(const std::filesystem::path& file, const std::string& text,
                          std::chrono::seconds limit = std::chrono::seconds(120)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!std::filesystem::exists(file) || read_text(file).find(text) == std::string::npos) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

}  // namespace nnc::test
