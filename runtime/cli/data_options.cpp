#include "runtime/cli/data_options.h"

#include "runtime/cli/option_ranges.h"

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace nnc::driver {

void add_data_options(CLI::App& c, DataOptions& d, DataUse use) {
    if (use == DataUse::prediction) {
        c.add_option("--features", d.features, "CSV: the feature columns, comma-separated (default: every column)");
        return;
    }
    if (use == DataUse::evaluation) {
        c.add_option("--data", d.path,
                     "a folder of IDX files (its t10k-* test set), a .csv file or a .npy file of inputs")
            ->required();
    } else {
        c.add_option("--data", d.path,
                     "the training data: a folder of IDX files (its train-* files; nnc train also tests on its t10k-* "
                     "files; default /usr/share/datasets/fashion-mnist), a .csv file (with --target) or a .npy file "
                     "of inputs (with --target)");
    }
    c.add_option("--target", d.targets,
                 "CSV: the target column name(s), comma-separated, in the model's target order (a class target is one "
                 "column of whole numbers, a real target one column per value); .npy: the targets' .npy file(s), one "
                 "per target");
    c.add_option("--features", d.features,
                 "CSV: the input columns, comma-separated, in order (default: every column that is not a target)");
    if (use == DataUse::evaluation) return;
    if (use == DataUse::training) {
        c.add_option("--validation-data,--val", d.validation_data,
                     "a separate validation set (.csv, or .npy with --validation-target; nnc train also takes an IDX "
                     "folder, whose t10k files are used) instead of --validation N");
        c.add_option("--validation-target,--val-target", d.validation_targets,
                     "the validation targets' .npy file(s), when --validation-data is .npy");
    }
    c.add_option("--standardize", d.standardize,
                 "auto (default: inputs and regression targets for CSV/.npy data, nothing for IDX), none, inputs, "
                 "targets or both; fitted on the training split, saved in the checkpoints, undone by nnc predict");
    c.add_option("--limit", d.limit, "use the first N training samples only")->check(whole_number(1));
}

void check_data_options(const DataOptions& d) {
    static const char* const kModes[] = {"auto", "none", "inputs", "targets", "both"};
    if (std::find_if(std::begin(kModes), std::end(kModes), [&](const char* m) { return d.standardize == m; }) ==
        std::end(kModes))
        throw std::runtime_error("--standardize must be auto, none, inputs, targets or both, not '" + d.standardize +
                                 "'");
    if (d.limit && *d.limit <= 0) throw std::runtime_error("--limit must be positive");
}

Standardization standardization(const std::string& mode, DataFormat format) {
    const bool csv_or_npy = format != DataFormat::idx;
    return {mode == "inputs" || mode == "both" || (mode == "auto" && csv_or_npy),
            mode == "targets" || mode == "both" || (mode == "auto" && csv_or_npy)};
}

}  // namespace nnc::driver
