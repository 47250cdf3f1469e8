// What `nnc eval`, `nnc predict` and `nnc export-npz` run: a model and its trained weights, named
// one of three ways —
//
//   MODEL --weights FILE     a .nn or .so with a checkpoint (.ckpt) or a NumPy archive (.npz)
//   RUN                      a run folder of nnc train: its config.json names the model, and the
//                            weights are best.ckpt (the epoch the run keeps), else last.ckpt;
//                            --weights FILE overrides them
//   RUN/NAME.ckpt            a checkpoint inside a run folder: the folder's model, those weights
//
// A run folder is only read here (never locked or changed), so it may be evaluated while it trains.
#pragma once
#include <memory>
#include <string>

#include "runtime/cli/data_options.h"
#include "runtime/cli/model_compiler.h"
#include "runtime/cli/session.h"

namespace nnc::driver {

struct TrainedModel {
    std::string model;    // the .nn or .so
    std::string weights;  // the .ckpt or .npz
    std::string run;      // the run folder, "" when the subject was a model file
    DataOptions data;     // the run's data options (its config.json); defaults without a run
};

// `subject` is the positional argument, `weights` --weights ("" when not given) and `model`
// --model ("" when not given: export-npz's way to name the model of a checkpoint outside a run
// folder). Throws std::runtime_error saying what to pass instead.
TrainedModel find_trained_model(const std::string& subject, const std::string& weights, const std::string& model = "");

// What a run folder's checkpoint holds, from its metrics.jsonl, for messages: "epoch 5, the best
// val_loss 0.4121" for best.ckpt, "epoch 8, the latest" for last.ckpt; "" when unknown.
std::string checkpoint_contents(const std::string& run, const std::string& checkpoint);

// Opens the model fed with `data` and loads the weights; when they came from a run folder, says on
// stderr which checkpoint and what it holds. A run trained on CSV lends its --target and
// --features columns where `data` names none and `csv_input` (the file to be read) is CSV too;
// without --features, a file that holds the run's target columns has them left out of the inputs.
std::unique_ptr<Session> open_trained_model(const TrainedModel& trained, DataOptions data, const std::string& csv_input,
                                            const ModelCompiler& compiler);

}  // namespace nnc::driver
