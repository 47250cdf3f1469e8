// The commands that run a trained model on data files: `nnc eval` (loss per task and accuracy)
// and `nnc predict` (outputs in the user's units, to .npy or CSV). Each registers its own options
// and takes a model with --weights, a run folder or a checkpoint in one (trained_model.h).
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "runtime/cli/data_options.h"
#include "runtime/cli/model_compiler.h"

namespace nnc::driver {

struct EvalOptions {
    std::string model;    // .so or .nn, a run folder or a checkpoint in one
    std::string weights;  // .ckpt or .npz (required with a model file)
    DataOptions data;     // --data (an IDX folder's t10k files, .csv or .npy), --target, --features
    int64_t batch = 256;
};
CLI::App* add_eval_command(CLI::App& app, EvalOptions& options);
int run_eval(const EvalOptions& options, const ModelCompiler& compiler);

struct PredictOptions {
    std::string model, weights;  // as EvalOptions
    std::string input;           // .csv or .npy
    DataOptions data;            // --features: the CSV feature columns (default: every column)
    std::string output;          // .csv or .npy
    int64_t batch = 256;
};
CLI::App* add_predict_command(CLI::App& app, PredictOptions& options);
int run_predict(const PredictOptions& options, const ModelCompiler& compiler);

}  // namespace nnc::driver
