// The dropout rates of a loaded model as command-line settings: `nnc train --dropout`, `nnc tune
// --dropout` and `nnc train --sanity` (rates to 0) set them through the C ABI at run time
// (nnc_model_set_dropout_rate), without recompiling.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "runtime/cli/loaded_model.h"

namespace nnc::driver {

// One rate per dropout layer, in the model's order (nnc_model_dropout_info).
std::vector<double> dropout_rates(const LoadedModel& lib, const nnc_model* model);

// Sets every dropout layer's rate. `flag` names the option in messages.
void set_all_dropout(const LoadedModel& lib, nnc_model* model, double rate, const std::string& flag);

// `spec` is "R" (every dropout layer) or "name=R[,name=R...]" (those layers). Throws
// std::runtime_error naming the flag: a rate outside [0, 1), an unknown layer (the message lists
// the model's), or a model without dropout.
void apply_dropout_setting(const LoadedModel& lib, nnc_model* model, const std::string& spec, const std::string& flag);

// Each layer's name and current rate, the rate rounded to the 7 significant digits float32 holds
// (the model keeps it as float32: 0.3 reads back as 0.30000001192...), for config.json.
std::vector<std::pair<std::string, double>> dropout_record(const LoadedModel& lib, const nnc_model* model);

// "drop1 0.5, drop2 0.3" ("no dropout layers" when there are none).
std::string dropout_summary(const LoadedModel& lib, const nnc_model* model);

// A rate as a flag value: a number in [0, 1); throws naming the flag otherwise.
double parse_dropout_rate(const std::string& text, const std::string& flag);

}  // namespace nnc::driver
