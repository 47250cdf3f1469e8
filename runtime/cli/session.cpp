#include "runtime/cli/session.h"

#include <algorithm>
#include <stdexcept>

namespace nnc::driver {
namespace {

std::string library_of(const std::string& path, const ModelCompiler& compiler, const CompileChoice& choice) {
    if (!path.ends_with(".nn")) return path;
    if (!compiler.compile)
        throw std::runtime_error("this program cannot compile " + path + ": compile it with 'nnc " + path +
                                 " -o model.so' and pass model.so");
    return compiler.compile(path, choice);
}

}  // namespace

Session::Session(const std::string& model_path, const ModelCompiler& compiler, DataOptions data,
                 const CompileChoice& choice)
    : path_(model_path), compiler_(compiler), data_(std::move(data)) {
    check_data_options(data_);
    lib_ = std::make_unique<LoadedModel>(library_of(model_path, compiler, choice));
    nnc_model* raw = nullptr;
    lib_->check(lib_->nnc_model_create(&raw), "creating the model");
    model_ = std::unique_ptr<nnc_model, void (*)(nnc_model*)>(raw, lib_->nnc_model_destroy);
    lib_->check(lib_->nnc_model_default_train_config(raw, &defaults_, &optimizer_, &validation_),
                "reading the defaults");
    optimizer_name_ = optimizer_.name ? optimizer_.name : "sgd";
    optimizer_.name = optimizer_name_.c_str();
    if (lib_->nnc_model_input_dtype(raw) == NNC_DTYPE_INT32 &&
        (data_.standardize == "inputs" || data_.standardize == "both"))
        throw std::runtime_error("--standardize " + data_.standardize + ": model '" + name() +
                                 "' takes int32 token ids, which are never standardized; use --standardize " +
                                 (data_.standardize == "both" ? "targets" : "none") +
                                 " (or auto, which standardizes only what is real-valued)");
}

nnc_optimizer_config Session::optimizer_settings(const std::string& name) const {
    nnc_optimizer_config out = optimizer_;
    if (name.empty() || name == optimizer_name_) {
        if (!name.empty()) out.name = name.c_str();
        return out;
    }
    // What `optimizer = NAME` means in a .nn file (sgd: momentum 0.9), not torch's defaults
    // (nnc_optimizer_defaults): one name, one meaning, on every command.
    nnc_train_config unused{};
    lib_->check(lib_->nnc_train_config_set(&unused, &out, "optimizer", name.c_str()), "bad --optimizer '" + name + "'");
    out.name = name.c_str();
    return out;
}

void Session::set_optimizer(const nnc_optimizer_config& settings) const {
    lib_->check(lib_->nnc_model_set_optimizer(model(), &settings), "setting the optimizer");
}

void Session::init(uint64_t seed) const { lib_->check(lib_->nnc_model_init(model(), seed), "initializing"); }

void Session::load_weights(const std::string& path) const {
    if (path.ends_with(".npz")) {
        lib_->check(lib_->nnc_model_import_npz(model(), path.c_str()), "importing " + path);
    } else {
        lib_->check(lib_->nnc_model_load(model(), path.c_str()), "loading " + path);
    }
}

std::unique_ptr<Dataset> Session::training_data() const {
    return load_data(*lib_, model(), DataSpec{data_.path, split_paths(data_.targets), split_list(data_.features)},
                     "train", true);
}

Session::Split Session::split_training_data(int64_t held_out, bool keep_validation) const {
    auto all = training_data();
    const int64_t n = data_.limit ? std::min(all->size(), *data_.limit) : all->size();
    if (!keep_validation && held_out >= n / 2) held_out = 0;
    if (held_out < 0 || held_out >= n)
        throw std::runtime_error("validation holds out " + std::to_string(held_out) + " of " + std::to_string(n) +
                                 " training samples; use --validation with a smaller number");
    Split split;
    split.train = slice(*all, 0, n - held_out);
    if (held_out > 0 && keep_validation) split.validation = slice(*all, n - held_out, held_out);
    return split;
}

std::unique_ptr<Dataset> Session::evaluation_data(const std::string& path, const std::string& npy_targets,
                                                  const std::string& flag, const std::string& target_flag) const {
    const bool npy = data_format(path) == DataFormat::npy;
    if (npy && npy_targets.empty())
        throw std::runtime_error(flag + " " + path + " is .npy: name its targets' file(s) with " + target_flag);
    return load_data(*lib_, model(),
                     DataSpec{path, split_paths(npy ? npy_targets : data_.targets), split_list(data_.features)}, "t10k",
                     true);
}

std::unique_ptr<Dataset> Session::validation_file() const {
    if (data_.validation_data.empty()) return nullptr;
    return evaluation_data(data_.validation_data, data_.validation_targets, "--validation-data", "--validation-target");
}

std::unique_ptr<Dataset> Session::inputs(const std::string& path) const {
    return load_data(*lib_, model(), DataSpec{path, {}, split_list(data_.features)}, "", false);
}

std::unique_ptr<Dataset> Session::slice(const Dataset& d, int64_t begin, int64_t count) const {
    return driver::slice(*lib_, d, begin, count);
}

void Session::standardize(const Dataset& train) const {
    Standardization z = standardization(data_.standardize, data_format(data_.path));
    // Token ids are indices: auto leaves them be (an explicit request was refused on opening).
    if (lib_->nnc_model_input_dtype(model()) == NNC_DTYPE_INT32) z.inputs = false;
    if (z.inputs || z.targets)
        lib_->check(lib_->nnc_model_fit_standardization(model(), train.ptr, z.inputs, z.targets), "standardizing");
}

std::vector<std::string> Session::loss_ops() const {
    const auto losses = static_cast<size_t>(lib_->nnc_model_num_losses(model()));
    std::vector<std::string> ops;
    if (path_.ends_with(".nn") && compiler_.loss_ops) ops = compiler_.loss_ops(path_);
    ops.resize(losses);
    return ops;
}

std::vector<Session::Loss> Session::losses() const {
    std::vector<Loss> out;
    for (int l = 0; l < lib_->nnc_model_num_losses(model()); ++l) {
        Loss loss;
        const char* name = nullptr;
        lib_->check(lib_->nnc_model_loss_info(model(), l, &name, &loss.weight, &loss.target, &loss.output_size),
                    "reading the losses");
        const char* target_name = nullptr;
        lib_->check(lib_->nnc_model_target_info(model(), loss.target, &target_name, &loss.kind, &loss.target_size,
                                                &loss.classes),
                    "reading the targets");
        loss.name = name ? name : "";
        loss.target_name = target_name ? target_name : "";
        out.push_back(std::move(loss));
    }
    return out;
}

}  // namespace nnc::driver
