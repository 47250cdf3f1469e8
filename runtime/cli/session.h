// A model opened for a command — the one way every command opens one: a compiled .so, or a .nn
// file compiled first; one model instance, the train section's settings, its weights, and the data
// options it is fed with (--data, --target, ..., the standardization).
#pragma once
#include <nnc/nnc.h>

#include <memory>
#include <string>
#include <vector>

#include "runtime/cli/data_loading.h"
#include "runtime/cli/data_options.h"
#include "runtime/cli/loaded_model.h"
#include "runtime/cli/model_compiler.h"

namespace nnc::driver {

class Session {
public:
    // Checks `data` first (a bad option compiles nothing), then opens `model_path`, compiling a .nn
    // file with `compiler` and `choice`. Throws std::runtime_error with the library's message.
    Session(const std::string& model_path, const ModelCompiler& compiler, DataOptions data = {},
            const CompileChoice& choice = {});
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    const LoadedModel& lib() const { return *lib_; }
    nnc_model* model() const { return model_.get(); }
    std::string name() const { return lib_->nnc_model_name(model_.get()); }
    const DataOptions& data() const { return data_; }

    // ---- the train section's settings and the optimizer ----
    const nnc_train_config& defaults() const { return defaults_; }
    const std::string& optimizer_name() const { return optimizer_name_; }
    int64_t held_out() const { return validation_; }  // training samples the train section holds out
    // The model's optimizer settings, or another optimizer `name`'s defaults as a .nn file's train
    // section gives them (empty: the model's). The result's name points into `name`, or into the
    // session for the model's own.
    nnc_optimizer_config optimizer_settings(const std::string& name = "") const;
    void set_optimizer(const nnc_optimizer_config& settings) const;

    // ---- weights ----
    void init(uint64_t seed) const;
    // A checkpoint (.ckpt, nnc_model_load) or a NumPy archive (.npz, nnc_model_import_npz).
    void load_weights(const std::string& path) const;

    // ---- data, as --data, --target, --features and --limit say ----
    // Every sample of --data's training data (an IDX folder's train-* files); --limit not applied.
    std::unique_ptr<Dataset> training_data() const;
    struct Split {
        std::unique_ptr<Dataset> train, validation;  // validation: null when nothing is held out
    };
    // The first --limit training samples, the last `held_out` of them as the validation split.
    // Without `keep_validation` they are only left out, unless they are half the data or more,
    // when every sample trains.
    Split split_training_data(int64_t held_out, bool keep_validation = true) const;
    // Data to evaluate on: an IDX folder's t10k files, a .csv file with the --target columns, or a
    // .npy file whose targets are `npy_targets` (`flag` and `target_flag` name them in messages).
    std::unique_ptr<Dataset> evaluation_data(const std::string& path, const std::string& npy_targets,
                                             const std::string& flag, const std::string& target_flag) const;
    // --validation-data with its targets; null when not given.
    std::unique_ptr<Dataset> validation_file() const;
    // Inputs without targets (.csv with the --features columns, or .npy), for prediction.
    std::unique_ptr<Dataset> inputs(const std::string& path) const;
    std::unique_ptr<Dataset> slice(const Dataset& d, int64_t begin, int64_t count) const;
    // Fits --standardize on `train` (the training split, never validation or test data).
    void standardize(const Dataset& train) const;

    // Each loss's op as the .nn source names it; "" for each where the model came as a .so.
    std::vector<std::string> loss_ops() const;

    // Each loss of the model, in order, with the target it scores (nnc_model_loss_info and
    // nnc_model_target_info together).
    struct Loss {
        std::string name;         // the loss's name in the model ("loss" for a one-loss model)
        double weight = 1;        // its weight in the summed loss
        int64_t output_size = 0;  // values per sample of the output it scores
        int target = 0;           // the target's index
        std::string target_name;
        nnc_target_kind kind = NNC_TARGET_CLASSES;
        int64_t target_size = 0;  // values per sample of a real target
        int64_t classes = 0;      // classes of a class target
    };
    std::vector<Loss> losses() const;

private:
    std::string path_;
    const ModelCompiler& compiler_;
    DataOptions data_;
    std::unique_ptr<LoadedModel> lib_;
    std::unique_ptr<nnc_model, void (*)(nnc_model*)> model_{nullptr, nullptr};
    nnc_train_config defaults_{};
    nnc_optimizer_config optimizer_{};  // its name points into optimizer_name_
    std::string optimizer_name_;
    int64_t validation_ = 0;
};

}  // namespace nnc::driver
