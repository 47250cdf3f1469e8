// What `nnc report` reads from a run folder, parsed once into plain rows: metrics.jsonl (epoch,
// step, diagnosis and rollback lines, as runtime/cli/metrics_schema.h defines them), config.json,
// and the files of `nnc lr-find`
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

#include "runtime/cli/metrics_schema.h"

namespace nnc::driver::report {

// The lines of metrics.jsonl as the report draws them (metrics_schema.h defines them).
using Probe = metrics::Probe;         // the softmax-confidence probe of one epoch ("probe")
using EpochRow = metrics::EpochLine;  // per parameter tensor in the file's order
using StepRow = metrics::StepLine;    // the running mean training loss of the epoch so far, every N batches
using Diagnosis = metrics::DiagnosisLine;
using Rollback = metrics::RollbackLine;

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
    nlohmann::json config;             // config.json, or null
    std::vector<EpochRow> epochs;      // in epoch order; a repeated epoch (after a rollback) keeps its last line
    std::vector<StepRow> steps;        // in file order
    std::vector<Diagnosis> diagnoses;  // the latest of each code and subject, in file order
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
