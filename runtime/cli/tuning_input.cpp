// The model and training-data options of `nnc lr-find` and `nnc tune`.
#include "runtime/cli/tuning_commands.h"

namespace nnc::driver {

void add_tuning_input_options(CLI::App& c, TuningInput& in, DataUse use) {
    c.add_option("model", in.model, "the .nn file (compiled into the cache first) or compiled .so")->required();
    add_data_options(c, in.data, use);
    c.add_option("--seed", in.seed, "seed for initialization and shuffling (default: the model's)");
    c.add_option("--threads", in.threads, "threads for the training step and the parameter update (0: this machine's)")
        ->check(CLI::NonNegativeNumber);
}

}  // namespace nnc::driver
