// nnc train: trains a model library (or a .nn file, compiled first) on IDX data — Fashion-MNIST
// by default — with the model's own training settings, each overridable on the command line.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "codegen/driver/commands.h"
#include "codegen/driver/loaded_model.h"
#include "codegen/driver/progress_bar.h"

namespace nnc::driver {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Owns a dataset of the loaded library.
struct Dataset {
    const LoadedModel* lib = nullptr;
    nnc_dataset* ptr = nullptr;
    Dataset(const LoadedModel& l, nnc_dataset* p) : lib(&l), ptr(p) {}
    Dataset(const Dataset&) = delete;
    ~Dataset() {
        if (ptr) lib->nnc_dataset_destroy(ptr);
    }
};

std::unique_ptr<Dataset> load_idx(const LoadedModel& lib, const std::string& dir, const std::string& prefix) {
    nnc_dataset* ds = nullptr;
    const std::string images = dir + "/" + prefix + "-images-idx3-ubyte.gz";
    const std::string labels = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
    lib.check(lib.nnc_dataset_load_idx(images.c_str(), labels.c_str(), &ds), "loading " + prefix + " data");
    return std::make_unique<Dataset>(lib, ds);
}

std::unique_ptr<Dataset> slice(const LoadedModel& lib, const Dataset& d, int64_t begin, int64_t count) {
    nnc_dataset* out = nullptr;
    lib.check(lib.nnc_dataset_slice(d.ptr, begin, count, &out), "splitting the data");
    return std::make_unique<Dataset>(lib, out);
}

struct Callbacks {
    ProgressBar bar{stderr};
    static int on_batch(void* user, const nnc_progress* p) {
        static_cast<Callbacks*>(user)->bar.update(*p);
        return 0;
    }
    static int on_epoch(void* user, const nnc_epoch_stats* s) {
        static_cast<Callbacks*>(user)->bar.epoch_done(*s);
        return 0;
    }
};

int train(const TrainOptions& o) {
    const std::string library = ends_with(o.model, ".nn") ? compile_to_cache(o.model, o.schedule) : o.model;
    LoadedModel lib(library);
    nnc_model* raw = nullptr;
    lib.check(lib.nnc_model_create(&raw), "creating the model");
    std::unique_ptr<nnc_model, decltype(lib.nnc_model_destroy)> model(raw, lib.nnc_model_destroy);

    nnc_train_config config{};
    nnc_optimizer_config opt{};
    int64_t validation = 0;
    lib.check(lib.nnc_model_default_train_config(model.get(), &config, &opt, &validation), "reading the defaults");
    if (o.epochs) config.epochs = *o.epochs;
    if (o.batch) config.batch = *o.batch;
    if (o.seed) config.seed = *o.seed;
    if (o.validation) validation = *o.validation;
    std::string opt_name = opt.name ? opt.name : "";
    if (o.optimizer && *o.optimizer != opt_name) {
        // Another optimizer: its own defaults, then the overrides.
        nnc_optimizer_config fresh{};
        fresh.name = o.optimizer->c_str();
        fresh.lr = *o.optimizer == "adam" ? 3e-4 : 0.01;
        fresh.momentum = 0.9;
        fresh.beta1 = 0.9;
        fresh.beta2 = 0.999;
        fresh.eps = 1e-8;
        fresh.weight_decay = opt.weight_decay;
        opt = fresh;
    }
    if (o.lr) opt.lr = *o.lr;
    lib.check(lib.nnc_model_set_optimizer(model.get(), &opt), "setting the optimizer");

    if (o.load.empty()) {
        lib.check(lib.nnc_model_init(model.get(), config.seed), "initializing");
    } else {
        lib.check(lib.nnc_model_load(model.get(), o.load.c_str()), "loading " + o.load);
    }

    auto all_train = load_idx(lib, o.data_dir, "train");
    auto test = load_idx(lib, o.data_dir, "t10k");
    int64_t n = lib.nnc_dataset_size(all_train->ptr);
    if (o.limit) {
        if (*o.limit <= 0) throw std::runtime_error("--limit must be positive");
        n = std::min(n, *o.limit);
    }
    if (validation < 0 || validation >= n)
        throw std::runtime_error("validation holds out " + std::to_string(validation) + " of " + std::to_string(n) +
                                 " training samples; use --validation with a smaller number");
    auto train_set = slice(lib, *all_train, 0, n - validation);
    std::unique_ptr<Dataset> val_set;
    if (validation > 0) val_set = slice(lib, *all_train, n - validation, validation);

    std::fprintf(stderr, "training %s: %lld samples (%lld held out for validation), %s lr=%g, batch %lld, %lld epochs, seed %llu\n",
                 lib.nnc_model_name(model.get()), (long long)(n - validation), (long long)validation, opt.name, opt.lr,
                 (long long)config.batch, (long long)config.epochs, (unsigned long long)config.seed);
    Callbacks cb;
    config.on_batch = &Callbacks::on_batch;
    config.on_epoch = &Callbacks::on_epoch;
    config.user = &cb;
    lib.check(lib.nnc_train(model.get(), train_set->ptr, val_set ? val_set->ptr : nullptr, &config), "training");

    double loss = NAN, acc = NAN;
    lib.check(lib.nnc_evaluate(model.get(), test->ptr, 256, &loss, &acc), "evaluating on the test set");
    std::printf("test loss %.4f  test accuracy %.4f\n", loss, acc);
    if (!o.save.empty()) {
        lib.check(lib.nnc_model_save(model.get(), o.save.c_str()), "saving " + o.save);
        std::fprintf(stderr, "saved the trained parameters to %s\n", o.save.c_str());
    }
    return 0;
}

}  // namespace

int run_train(const TrainOptions& o) {
    try {
        return train(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nnc train: error: %s\n", e.what());
        return 1;
    }
}

}  // namespace nnc::driver
