// What `nnc report` reads from a run folder, parsed once into plain rows: metrics.jsonl (epoch,
// step, diagnosis and rollback lines; runtime/cli/run_folder.h and train_command.cpp write
// them), config.json, and the files of `nnc lr-find`
// (lr_find.csv, lr_find.json) and `nnc tune` (tune.csv, tune.json). Every file is optional, but
// at least one of metrics.jsonl, lr_find.csv and tune.csv must exist.
//
// Numbers the producers wrote as null (non-finite) read as NaN; plots leave them out.
#pragma once
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nnc::driver::report {

// The softmax-confidence probe of one epoch (A2's "probe" key).
struct Probe {
    double entropy = NAN, max_entropy = NAN, mean_top_prob = NAN, majority_fraction = NAN;
    std::vector<double> top_prob_hist;  // counts of the top softmax probability, bins [0,0.1) ... [0.9,1.0]
};

struct EpochRow {
    int64_t epoch = 0, epochs = 0;
    double train_loss = NAN, train_accuracy = NAN, val_loss = NAN, val_accuracy = NAN;
    double lr = NAN, grad_norm = NAN, epoch_s = NAN, wall_s = NAN;
    int64_t rollbacks = 0;
    // Per parameter tensor, in the model's parameter order.
    std::vector<std::pair<std::string, double>> grad_norms, update_ratios;
    std::optional<Probe> probe;
};

// A "step" line: the running mean training loss of the epoch so far, every N batches.
struct StepRow {
    int64_t epoch = 0, step = 0, updates = 0;
    double loss = NAN, lr = NAN, wall_s = NAN;
};

struct Diagnosis {
    int64_t epoch = 0;  // 0: about the whole run
    std::string code, severity, subject, message, advice;
};

struct Rollback {
    int64_t epoch = 0, step = 0;
    std::string reason;
    double lr = NAN, new_lr = NAN, wall_s = NAN;
};

struct LrFindRow {
    double lr = NAN, loss = NAN, smoothed_loss = NAN;
};

// A CSV file as text cells (the tune table is shown as written).
struct Table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    // The column's index, or -1.
    int column(const std::string& name) const;
};

struct RunLog {
    std::string dir;
    bool has_metrics = false;
    nlohmann::json config;         // config.json, or null
    std::vector<EpochRow> epochs;  // in epoch order; a repeated epoch (after a rollback) keeps its last line
    std::vector<StepRow> steps;    // in file order
    std::vector<Diagnosis> diagnoses;
    std::vector<Rollback> rollbacks;
    std::vector<std::string> warnings;  // things read past (a line cut off by a killed run)

    std::vector<LrFindRow> lr_find;  // lr_find.csv
    nlohmann::json lr_find_summary;  // lr_find.json, or null
    std::optional<Table> tune;       // tune.csv
    nlohmann::json tune_summary;     // tune.json, or null
};

// Reads the run folder; throws std::runtime_error naming the file (and line) of anything
// malformed, or saying what is missing.
RunLog read_run_log(const std::string& dir);

}  // namespace nnc::driver::report
