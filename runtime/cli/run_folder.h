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
//
// Checkpoints and config.json are written atomically; metrics.jsonl is appended and flushed line
// by line, so a killed run leaves every completed line readable.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

namespace nnc::driver {

class RunFolder {
public:
    // runs/<model>-<YYYYmmdd-HHMMSS> (local time), with -2, -3, ... if that exists already.
    static std::string default_path(const std::string& model_name);

    // Creates the folder (and its parents) for a new run; throws std::runtime_error if it exists
    // and holds a run already (a config.json), so nothing is overwritten by accident.
    static RunFolder create(const std::string& path);
    // Opens an existing run for --resume; throws unless it has config.json and last.ckpt.
    static RunFolder open(const std::string& path);

    RunFolder(RunFolder&& other) noexcept;
    ~RunFolder();

    const std::string& path() const { return path_; }
    std::string file(const char* name) const { return path_ + "/" + name; }
    std::string last_checkpoint() const { return file("last.ckpt"); }
    std::string best_checkpoint() const { return file("best.ckpt"); }

    void write_config(const nlohmann::json& config) const;
    nlohmann::json read_config() const;
    // Appends one line to metrics.jsonl and flushes it.
    void log(const nlohmann::json& line);

private:
    explicit RunFolder(std::string path) : path_(std::move(path)) {}
    std::string path_;
    std::FILE* metrics_ = nullptr;
};

}  // namespace nnc::driver
