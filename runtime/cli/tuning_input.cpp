// The model and training-data options of `nnc lr-find` and `nnc tune`, and their loading.
#include <algorithm>
#include <stdexcept>

#include "codegen/driver/commands.h"
#include "runtime/cli/tuning_commands.h"

namespace nnc::driver {

void add_tuning_input_options(CLI::App& c, TuningInput& in) {
    c.add_option("model", in.model, "the .nn file (compiled into the cache first) or compiled .so")->required();
    c.add_option(
        "--data", in.data,
        "the training data: a folder of IDX files (its train-* files; default /usr/share/datasets/fashion-mnist), "
        "a .csv file (with --target) or a .npy file of inputs (with --target)");
    c.add_option("--target", in.targets,
                 "CSV: the target column name(s), comma-separated; .npy: the targets' .npy file(s), one per target");
    c.add_option("--features", in.features,
                 "CSV: the input columns, comma-separated (default: every column that is not a target)");
    c.add_option(
         "--standardize", in.standardize,
         "auto (default: inputs and regression targets for CSV/.npy data, nothing for IDX), none, inputs, targets or "
         "both; fitted on the training split")
        ->check(CLI::IsMember({"auto", "none", "inputs", "targets", "both"}));
    c.add_option("--limit", in.limit, "use the first N training samples only")->check(CLI::PositiveNumber);
    c.add_option("--seed", in.seed, "seed for initialization and shuffling (default: the model's)");
    c.add_option("--threads", in.threads, "threads for the training step and the parameter update (0: this machine's)")
        ->check(CLI::NonNegativeNumber);
}

TuningModel open_tuning_model(const TuningInput& in) {
    TuningModel m;
    const bool nn = in.model.size() > 3 && in.model.compare(in.model.size() - 3, 3, ".nn") == 0;
    m.lib = std::make_unique<LoadedModel>(nn ? compile_to_cache(in.model, {}) : in.model);
    nnc_model* raw = nullptr;
    m.lib->check(m.lib->nnc_model_create(&raw), "creating the model");
    m.model = std::unique_ptr<nnc_model, void (*)(nnc_model*)>(raw, m.lib->nnc_model_destroy);
    m.lib->check(m.lib->nnc_model_default_train_config(raw, &m.defaults, &m.optimizer, &m.validation),
                 "reading the defaults");
    m.optimizer_name = m.optimizer.name ? m.optimizer.name : "sgd";
    m.optimizer.name = m.optimizer_name.c_str();
    if (in.seed) m.defaults.seed = *in.seed;
    return m;
}

std::unique_ptr<Dataset> load_training_data(const TuningModel& m, const TuningInput& in, int64_t held_out,
                                            std::unique_ptr<Dataset>* validation) {
    const LoadedModel& lib = *m.lib;
    auto all =
        load_data(lib, m.get(), DataSpec{in.data, split_list(in.targets), split_list(in.features)}, "train", true);
    const int64_t n = in.limit ? std::min(all->size(), *in.limit) : all->size();
    // Only kept out of training (lr-find): not when that would leave less than half the data.
    if (!validation && held_out >= n / 2) held_out = 0;
    if (held_out < 0 || held_out >= n)
        throw std::runtime_error("--validation holds out " + std::to_string(held_out) + " of " + std::to_string(n) +
                                 " training samples; use a smaller number");
    if (held_out > 0 && validation) *validation = slice(lib, *all, n - held_out, held_out);
    return slice(lib, *all, 0, n - held_out);
}

void standardize(const TuningModel& m, const TuningInput& in, const Dataset& train) {
    const std::string& z = in.standardize;
    const bool csv_or_npy = data_format(in.data) != DataFormat::idx;
    const bool inputs = z == "inputs" || z == "both" || (z == "auto" && csv_or_npy);
    const bool targets = z == "targets" || z == "both" || (z == "auto" && csv_or_npy);
    if (inputs || targets)
        m.lib->check(m.lib->nnc_model_fit_standardization(m.get(), train.ptr, inputs, targets), "standardizing");
}

}  // namespace nnc::driver
