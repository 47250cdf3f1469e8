// config.json of a run folder: every setting a training run used — the model, the data, the
// optimizer and the whole nnc_train_config — so that `nnc train --resume DIR` continues with
// exactly the same settings.
#pragma once
#include <nnc/nnc.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "runtime/cli/data_options.h"

namespace nnc::driver {

struct RunConfig {
    std::string model;                 // absolute path of the .nn or .so
    std::string scheduler;             // for a .nn: the schedule it was compiled with
    DataOptions data;                  // --data and the rest, paths made absolute
    int64_t validation = 0;            // samples held out of the training data (no validation file)
    nnc_train_config train{};          // callbacks and user are not saved
    nnc_optimizer_config optimizer{};  // name points into `optimizer_name`
    std::string optimizer_name;
    // Each dropout layer's rate at the start of the run (--dropout or the .nn file's), for the
    // record: a resumed run takes its rates from the checkpoint, which carries them.
    std::map<std::string, double> dropout;
};

nlohmann::json to_json(const RunConfig& config);
// Throws std::runtime_error naming `path` and the missing or mistyped key.
RunConfig run_config_from_json(const nlohmann::json& json, const std::string& path);

}  // namespace nnc::driver
