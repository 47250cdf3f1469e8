// The data options, defined once and registered by every command that reads data, so each has
// the same name and meaning on train, tune, lr-find, eval and predict: --data, --target,
// --features, --validation-data (also --val), --validation-target (also --val-target),
// --standardize and --limit.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/cli/data_loading.h"

namespace nnc::driver {

struct DataOptions {
    std::string path = "/usr/share/datasets/fashion-mnist";  // --data: an IDX folder, a .csv or a .npy file
    std::string targets, features;                           // comma-separated
    std::string validation_data, validation_targets;         // a separate validation file, its .npy targets
    std::string standardize = "auto";                        // auto | none | inputs | targets | both
    std::optional<int64_t> limit;                            // the first N training samples only
};

// Which of the options a command takes.
enum class DataUse {
    training,       // train, tune: every option
    training_only,  // lr-find: no validation set
    evaluation,     // eval: --data (required; an IDX folder's t10k files), --target, --features
    prediction,     // predict: --features (its inputs are --input)
};
void add_data_options(CLI::App& command, DataOptions& data, DataUse use);

// Throws std::runtime_error saying what to give instead: an unknown --standardize mode, or a
// --limit below 1. Run before anything is compiled or loaded.
void check_data_options(const DataOptions& data);

// What --standardize fits on data of `format`: auto means inputs and regression targets for
// CSV/.npy data, nothing for IDX images.
struct Standardization {
    bool inputs = false, targets = false;
};
Standardization standardization(const std::string& mode, DataFormat format);

}  // namespace nnc::driver
