// nnc train (and nnc train --sanity): its options, their registration and the two commands.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/cli/data_options.h"
#include "runtime/cli/model_compiler.h"

namespace nnc::driver {

struct TrainOptions {
    std::string model;  // .nn (compiled first) or .so
    std::optional<int64_t> epochs, batch, validation;
    std::optional<double> lr, momentum, weight_decay;  // each overrides the optimizer's
    std::optional<std::string> optimizer;              // NAME or NAME(args), as the train section writes it
    std::optional<uint64_t> seed;
    std::optional<std::string> lr_schedule;       // as the train section writes it: "step(every=10, factor=0.5)"
    std::optional<std::string> warmup;            // updates, or warmup(epochs=2, start=0.1); 0: none
    std::optional<double> clip_norm, clip_value;  // 0: off
    std::optional<std::string> on_divergence;  // stop | rollback(factor, retries, explode_factor), as the train section
    std::optional<std::string>
        early_stopping;  // early_stopping(monitor, mode, patience, min_delta), as the train section
    std::optional<int64_t>
        early_stopping_patience;  // 0 or more: early stopping on (the model's monitor, else val_loss)
    std::optional<int64_t> accumulate;
    std::optional<std::string> dropout;  // --dropout R | name=R,...: rates set at run time (dropout_setting.h)
    int augment_crop = 0;                // --augment-crop P: random shifts up to P pixels
    bool augment_flip = false;           // --augment-flip: random left-right mirroring
    std::optional<int> threads;
    std::string save;  // checkpoint path after training
    std::string load;  // checkpoint to start from (skips initialization)
    CompileChoice compile;
    DataOptions data;
    std::string out;              // the run folder
    std::string resume;           // a run folder to continue
    int64_t metrics_every = 50;   // batches between step lines (0: none)
    bool no_diagnostics = false;  // --no-diagnostics (live_diagnosis.h)
    bool sanity = false;          // --sanity: the checks before training (sanity_command.cpp)
    int64_t sanity_samples = 64;
};
// `schedulers`: the names --scheduler accepts.
CLI::App* add_train_command(CLI::App& app, TrainOptions& options, const std::vector<std::string>& schedulers);

// Each returns the process exit status; none calls exit().
int run_train(const TrainOptions& options, const ModelCompiler& compiler);
// nnc train --sanity: initial loss vs. its expected value, then overfit a tiny subset. 0: PASS,
// 1: FAIL, 2: an error.
int run_sanity(const TrainOptions& options, const ModelCompiler& compiler);

}  // namespace nnc::driver
