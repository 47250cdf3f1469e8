// The tuning commands, which rank on the validation set only: `nnc lr-find`, the
// learning-rate range test on the training split, and `nnc tune`, a grid or random search over
// run-time hyperparameters ranked on the validation set. Each registers its own options.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/cli/data_options.h"
#include "runtime/cli/model_compiler.h"

namespace nnc::driver {

// The model and training data both commands take.
struct TuningInput {
    std::string model;  // .nn (compiled first) or .so
    DataOptions data;
    std::optional<uint64_t> seed;
    int threads = 0;
};
// The model, the data options (`use`), --seed and --threads.
void add_tuning_input_options(CLI::App& command, TuningInput& input, DataUse use);

struct LrFindOptions {
    TuningInput input;
    double start = 1e-7, end = 10;
    int64_t steps = 200;
    std::optional<int64_t> batch;
    std::optional<std::string> optimizer;
    std::string weights;  // start from these weights instead of initializing
    std::string out;
};
CLI::App* add_lr_find_command(CLI::App& app, LrFindOptions& options);
int run_lr_find(const LrFindOptions& options, const ModelCompiler& compiler);

struct TuneOptions {
    TuningInput input;                  // its validation file: --validation-data (--val)
    std::optional<int64_t> validation;  // or: training samples held out
    std::string test, test_targets;     // evaluated once, for the winner
    // Comma-separated values; empty: the model's own setting.
    std::string lr, batch, optimizer, momentum, weight_decay;
    std::string dropout;  // rates for every dropout layer (nnc_model_set_dropout_rate)
    int64_t random = 0;   // > 0: this many grid points at random
    std::optional<int64_t> epochs;
    std::string metric;  // val_accuracy | val_loss (default: val_accuracy for class models)
    std::string out;
};
CLI::App* add_tune_command(CLI::App& app, TuneOptions& options);
int run_tune(const TuneOptions& options, const ModelCompiler& compiler);

}  // namespace nnc::driver
