// The tuning commands (issue 5, "tuning, on the validation set only"): `nnc lr-find`, the
// learning-rate range test on the training split, and `nnc tune`, a grid or random search over
// run-time hyperparameters ranked on the validation set. Each registers its own options.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "runtime/cli/data_loading.h"
#include "runtime/cli/loaded_model.h"

namespace nnc::driver {

// The model and training data both commands take.
struct TuningInput {
    std::string model;  // .nn (compiled into the cache first) or .so
    std::string data = "/usr/share/datasets/fashion-mnist";
    std::string targets, features;  // comma-separated
    std::string standardize = "auto";
    std::optional<int64_t> limit;  // the first N training samples only
    std::optional<uint64_t> seed;
    int threads = 0;
};

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
int run_lr_find(const LrFindOptions& options);

struct TuneOptions {
    TuningInput input;
    std::string val, val_targets;       // validation data (.csv or .npy) and its .npy targets
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
int run_tune(const TuneOptions& options);

// ---- shared by the two (tuning_input.cpp) ----
void add_tuning_input_options(CLI::App& command, TuningInput& input);

// A model library with one model, its training defaults read.
struct TuningModel {
    std::unique_ptr<LoadedModel> lib;
    std::unique_ptr<nnc_model, void (*)(nnc_model*)> model{nullptr, nullptr};
    nnc_train_config defaults{};
    nnc_optimizer_config optimizer{};  // the model's; name points into optimizer_name
    std::string optimizer_name;
    int64_t validation = 0;  // the train section's held-out count
    nnc_model* get() const { return model.get(); }
};
TuningModel open_tuning_model(const TuningInput& input);

// The training data (the first --limit samples); `held_out` > 0 moves that many from its end
// into *validation (when `validation` is null: only leaves them out, unless they are half the data
// or more, when every sample is used).
std::unique_ptr<Dataset> load_training_data(const TuningModel& m, const TuningInput& input, int64_t held_out,
                                            std::unique_ptr<Dataset>* validation);
// Fits the standardization (--standardize) on the training split.
void standardize(const TuningModel& m, const TuningInput& input, const Dataset& train);

}  // namespace nnc::driver
