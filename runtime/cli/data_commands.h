// The commands that run a trained model on data files: `nnc eval` (loss per task and accuracy)
// and `nnc predict` (outputs in the user's units, to .npy or CSV), and the data and run-folder
// options of `nnc train`. Each registers its own options on the CLI.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "codegen/driver/commands.h"

namespace nnc::driver {

struct EvalOptions {
    std::string model;              // .so or .nn
    std::string weights;            // .ckpt or .npz (required)
    std::string data;               // IDX folder (its t10k files), .csv or .npy
    std::string targets, features;  // comma-separated
    int64_t batch = 256;
};
CLI::App* add_eval_command(CLI::App& app, EvalOptions& options);
int run_eval(const EvalOptions& options);

struct PredictOptions {
    std::string model, weights;
    std::string input;     // .csv or .npy
    std::string features;  // CSV: feature columns, comma-separated (default: every column)
    std::string output;    // .csv or .npy
    int64_t batch = 256;
};
CLI::App* add_predict_command(CLI::App& app, PredictOptions& options);
int run_predict(const PredictOptions& options);

// --out, --resume, --target, --features, --validation-data, --standardize, --metrics-every.
void add_train_data_options(CLI::App& train, TrainOptions& options);

}  // namespace nnc::driver
