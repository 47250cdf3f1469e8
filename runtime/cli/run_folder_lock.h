// One process owns a run folder: an fcntl write lock on DIR/lock, held as long as the object
// lives (the whole run) and released by the kernel however the process ends, so a killed run
// never leaves its folder locked. Two `nnc train` on one --out, or two --resume of one run, would
// otherwise interleave metrics.jsonl and mix one run's config.json with the other's checkpoints.
// `nnc tune` and `nnc lr-find` lock their --out folder the same way: two of them would overwrite
// each other's results.
//
// An fcntl lock rather than flock: F_GETLK names the holder's pid for the refusal, and a child
// process (a compiler, gnuplot) never inherits it. Nothing else in the process may open DIR/lock:
// closing any descriptor of the file would release the lock.
#pragma once
#include <string>

namespace nnc::driver {

class RunFolderLock {
public:
    // What the process taking the lock writes there: a training run (refused with how to resume
    // the run), or a command's results (nnc tune, nnc lr-find).
    enum class Writer { run, results };

    // Takes the lock of `folder` (which exists), creating the empty file `lock` if it is missing.
    // Throws std::runtime_error naming the holder's pid, and what to do, when another process has it.
    static RunFolderLock take(const std::string& folder, Writer writer = Writer::run);
    // Creates `folder` and its parents where missing, then takes its lock. Throws naming the folder
    // when it cannot be created, and as take() when another process holds it.
    static RunFolderLock create_and_take(const std::string& folder, Writer writer);
    // The pid of another process holding the lock of `folder`, 0 when none does; creates nothing.
    // Never call it in the process holding the lock: it opens and closes the lock file.
    static long holder(const std::string& folder);
    // Why `folder` is refused to `writer` while process `pid` holds it, and what to do.
    static std::string in_use(const std::string& folder, long pid, Writer writer = Writer::run);

    RunFolderLock(RunFolderLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    RunFolderLock& operator=(RunFolderLock&&) = delete;
    ~RunFolderLock();

private:
    explicit RunFolderLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

}  // namespace nnc::driver
