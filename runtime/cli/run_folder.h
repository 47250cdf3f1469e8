// A training run's folder (`nnc train --out DIR`, default runs/<model>-<YYYYmmdd-HHMMSS>):
//
//   config.json     the settings the run used (the model library, data, every hyperparameter),
//                   written before training; `nnc train --resume DIR` reads it back
//   metrics.jsonl   one JSON object per line: {"type": "epoch", ...} after every epoch and
//                   {"type": "step", ...} every N batches, and others (metrics_schema.h defines them)
//   last.ckpt       the checkpoint after the latest epoch (weights, optimizer, schedule, counters)
//   best.ckpt       the epoch the run keeps: early stopping's best by its monitor (the weights it
//                   restores), else the lowest validation loss; a "checkpoint" line in
//                   metrics.jsonl names its epoch each time it is written
//   lock            empty; the process writing the run holds a lock on it (run_folder_lock.h)
//
// Checkpoints and config.json are written atomically; metrics.jsonl is appended and flushed line
// by line, so a killed run leaves every completed line readable. A RunFolder holds the folder's
// lock for its whole life: one process at a time writes a run.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "runtime/cli/run_folder_lock.h"

namespace nnc::driver {

class RunFolder {
public:
    // runs/<model>-<YYYYmmdd-HHMMSS> (local time), with -2, -3, ... if that exists already.
    static std::string default_path(const std::string& model_name);

    // Throws std::runtime_error if `path` holds a run already (a config.json), so nothing is
    // overwritten by accident; writes nothing. create() checks it again under the lock.
    static void check_unused(const std::string& path);
    // Creates the folder (and its parents) for a new run and takes its lock; throws if another
    // process holds it or the folder holds a run. Removes dead writers' temporaries.
    static RunFolder create(const std::string& path);
    // Opens an existing run for --resume and takes its lock; throws unless it has config.json and
    // last.ckpt, or if another process holds it. Writes nothing (but the lock file of a folder
    // that lacks one); call remove_dead_temporaries() once the run is sure to go on.
    static RunFolder open(const std::string& path);

    RunFolder(RunFolder&& other) noexcept;
    ~RunFolder();

    const std::string& path() const { return path_; }
    std::string file(const char* name) const { return path_ + "/" + name; }
    std::string last_checkpoint() const { return file("last.ckpt"); }
    std::string best_checkpoint() const { return file("best.ckpt"); }

    // The temporaries of writers killed in the middle of a save (dead_temporaries.h); returns
    // their names.
    std::vector<std::string> remove_dead_temporaries() const;

    void write_config(const nlohmann::json& config) const;
    nlohmann::json read_config() const;
    // Appends one line to metrics.jsonl and flushes it.
    void log(const nlohmann::json& line);

private:
    RunFolder(std::string path, RunFolderLock lock) : path_(std::move(path)), lock_(std::move(lock)) {}
    std::string path_;
    RunFolderLock lock_;
    std::FILE* metrics_ = nullptr;
};

}  // namespace nnc::driver
