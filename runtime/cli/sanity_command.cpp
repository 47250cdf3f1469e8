// nnc train --sanity: the field guide's two checks before a real run (issue 5).
//
// 1. The initial loss against its expected value, measured in inference mode on the subset:
//    ln C per softmax cross-entropy head over C classes (a sane init gives near-uniform
//    probabilities), ln 2 for sigmoid binary cross-entropy, and 1 for mse on standardized targets
//    (predictions near 0 against unit-variance targets). Multi-task: the weighted sum. A ratio
//    outside [0.5, 2] (mse: [0.5, 3], as the predictions' own variance adds to it) is flagged as a
//    warning pointing at initialization or input scaling; it does not decide the exit status.
//    The ABI does not say which loss a real target has, so for a .so only class heads have a
//    reference; a .nn file names its losses.
// 2. Overfitting a tiny subset (the first N samples, default 64) as one batch: up to 1000 updates
//    of Adam at the model's lr if it trains with Adam, else 1e-3 (--optimizer/--lr override), constant lr, no
//    augmentation, clipping, early stopping or validation, and every dropout rate set to 0 at run time
//    (nnc_model_set_dropout_rate: the library is the one nnc train uses, not a copy compiled
//    without dropout). The training-mode loss only ends the loop early;
//    the verdict uses the evaluate pipeline (inference mode: no dropout, running statistics) on
//    the same subset (a loss still falling at the end is reported as such: an lr or budget
//    matter more than a bug): PASS when the loss is below 0.01 or 2% of the initial loss (of the expected
//    initial loss where that is known and smaller, so a blown-up start does not lower the bar).
//
// Nothing is written: no run folder, no checkpoint (the model lives in memory only; a .nn file
// compiles into the usual per-user cache).

#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "codegen/driver/commands.h"
#include "runtime/cli/data_loading.h"
#include "runtime/cli/dropout_setting.h"
#include "runtime/cli/loaded_model.h"

namespace nnc::driver {
namespace {

constexpr int64_t kSteps = 1000;
constexpr double kPassFraction = 0.02;  // of the initial loss
constexpr double kPassAbsolute = 0.01;
constexpr double kLowRatio = 0.5, kHighRatio = 2.0;
constexpr double kHighRatioMse = 3.0;  // 1 + the predictions' variance, up to twice the targets'

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Each loss's op from the .nn source ("" where unknown, e.g. for a compiled .so).
std::vector<std::string> loss_ops(const std::string& model_path, int num_losses) {
    std::vector<std::string> ops(static_cast<size_t>(num_losses));
    if (!ends_with(model_path, ".nn")) return ops;
    const auto checked = load_checked_model(model_path);
    if (!checked) return ops;
    for (size_t l = 0; l < checked->losses.size() && l < ops.size(); ++l) {
        const auto& loss = checked->node(checked->losses[l]);
        ops[l] = loss.op;
    }
    return ops;
}

struct Expected {
    double value = NAN;  // NaN: no reference for this model
    std::string how;     // "ln 10" ...
    double high = kHighRatio;
};

Expected expected_loss(const LoadedModel& lib, const nnc_model* model, const std::vector<std::string>& ops,
                       bool targets_standardized) {
    Expected e{0, ""};
    for (int l = 0; l < lib.nnc_model_num_losses(model); ++l) {
        const char* name = nullptr;
        double weight = 0;
        int target = 0;
        int64_t out_size = 0;
        lib.check(lib.nnc_model_loss_info(model, l, &name, &weight, &target, &out_size), "reading the losses");
        const char* tname = nullptr;
        nnc_target_kind kind{};
        int64_t size = 0, classes = 0;
        lib.check(lib.nnc_model_target_info(model, target, &tname, &kind, &size, &classes), "reading the targets");
        const std::string& op = ops[static_cast<size_t>(l)];
        double v = NAN;
        std::string how;
        if (kind == NNC_TARGET_CLASSES) {  // class targets are scored by softmax cross-entropy only
            v = std::log(static_cast<double>(classes));
            how = "ln " + std::to_string(classes);
        } else if (op == "sigmoid_binary_cross_entropy") {
            v = std::log(2.0);
            how = "ln 2";
        } else if (op == "mse" && targets_standardized) {
            v = 1.0;
            how = "1 for standardized targets";
            e.high = kHighRatioMse;
        } else {
            return Expected{NAN, op.empty() ? "the library does not say which loss scores real target '" +
                                                  std::string(tname) + "' (give the .nn file)"
                                            : op + " on target '" + std::string(tname) + "' has no reference value" +
                                                  (op == "mse" ? " unless its targets are standardized" : "")};
        }
        e.value += weight * v;
        e.how += (e.how.empty() ? "" : " + ") + (weight == 1 ? "" : std::to_string(weight) + " x ") + how;
    }
    return e;
}

struct Stop {
    double target = 0;
    int64_t steps = 0;
    std::vector<double> losses;  // training-mode loss per update
    static int on_epoch(void* user, const nnc_epoch_stats* s) {
        Stop& st = *static_cast<Stop*>(user);
        st.steps = s->epoch;
        st.losses.push_back(s->train_loss);
        if (s->epoch % 100 == 0)
            std::fprintf(stderr, "  step %3lld: training loss %.5f\n", (long long)s->epoch, s->train_loss);
        return std::isfinite(s->train_loss) && s->train_loss < st.target ? 1 : 0;
    }
};

int sanity(const TrainOptions& o) {
    if (!o.resume.empty()) throw std::runtime_error("--sanity checks a fresh model; it cannot take --resume");
    if (!o.out.empty() || !o.save.empty())
        throw std::runtime_error(
            "--sanity writes nothing (no run folder, no checkpoint), so it cannot take --out or --save; "
            "run nnc train without --sanity for that");
    if (o.model.empty()) throw std::runtime_error("name the model to check (a .nn file or a compiled .so)");
    if (o.sanity_samples < 1) throw std::runtime_error("--sanity-samples must be at least 1");
    LoadedModel lib(ends_with(o.model, ".nn") ? compile_to_cache(o.model, o.schedule) : o.model);
    nnc_model* raw = nullptr;
    lib.check(lib.nnc_model_create(&raw), "creating the model");
    std::unique_ptr<nnc_model, decltype(lib.nnc_model_destroy)> model(raw, lib.nnc_model_destroy);

    nnc_train_config defaults{};
    nnc_optimizer_config opt{};
    int64_t validation = 0;
    lib.check(lib.nnc_model_default_train_config(model.get(), &defaults, &opt, &validation), "reading the defaults");
    // The model's own Adam lr where it has one (its author tuned it), else Adam's usual 1e-3.
    const std::string model_opt = opt.name ? opt.name : "";
    const double model_lr = opt.lr;
    const std::string opt_name = o.optimizer.value_or("adam");
    lib.check(lib.nnc_optimizer_defaults(opt_name.c_str(), &opt), "choosing the optimizer");
    opt.lr = o.lr ? *o.lr : model_opt == opt_name && (opt_name == "adam" || opt_name == "adamw") ? model_lr : opt.lr;
    opt.name = opt_name.c_str();
    lib.check(lib.nnc_model_set_optimizer(model.get(), &opt), "setting the optimizer");
    const uint64_t seed = o.seed.value_or(defaults.seed);
    if (o.load.empty()) {
        lib.check(lib.nnc_model_init(model.get(), seed), "initializing");
    } else {
        lib.check(lib.nnc_model_load(model.get(), o.load.c_str()), "loading " + o.load);
    }
    // Dropout off: memorizing a tiny subset must not fight random masks (after the load, which
    // brings the checkpoint's rates).
    const int dropouts = lib.nnc_model_num_dropouts(model.get());
    set_all_dropout(lib, model.get(), 0.0, "turning dropout off");
    const std::string dropout_note = dropouts == 0 ? "no dropout"
                                                   : "dropout off (" + std::to_string(dropouts) + " rate" +
                                                         (dropouts == 1 ? "" : "s") + " set to 0)";

    const DataFormat format = data_format(o.data_dir);
    auto all =
        load_data(lib, model.get(), DataSpec{o.data_dir, split_list(o.targets), split_list(o.features)}, "train", true);
    const int64_t n = std::min(all->size(), o.sanity_samples);
    auto subset = slice(lib, *all, 0, n);
    all.reset();
    const std::string& z = o.standardize;
    const bool csv_or_npy = format != DataFormat::idx;
    const bool inputs = z == "inputs" || z == "both" || (z == "auto" && csv_or_npy);
    const bool targets = z == "targets" || z == "both" || (z == "auto" && csv_or_npy);
    if (inputs || targets)
        lib.check(lib.nnc_model_fit_standardization(model.get(), subset->ptr, inputs, targets), "standardizing");
    const int zbits = lib.nnc_model_standardization(model.get());

    const std::string name = lib.nnc_model_name(model.get());
    std::fprintf(
        stderr,
        "sanity check of %s: the first %lld samples of %s as one batch, %s lr=%g, up to %lld updates, seed %llu\n",
        name.c_str(), (long long)n, o.data_dir.c_str(), opt.name, opt.lr, (long long)kSteps, (unsigned long long)seed);
    std::fprintf(stderr, "  no run folder or checkpoint is written; no augmentation; %s\n", dropout_note.c_str());

    // 1. The initial loss.
    double initial = NAN, acc = NAN;
    lib.check(lib.nnc_evaluate(model.get(), subset->ptr, n, &initial, &acc), "measuring the initial loss");
    const Expected expected =
        expected_loss(lib, model.get(), loss_ops(o.model, lib.nnc_model_num_losses(model.get())), zbits & 2);
    bool initial_ok = true;
    if (std::isnan(expected.value)) {
        std::printf("initial loss %.4f (no expected value: %s)\n", initial, expected.how.c_str());
    } else {
        const double ratio = initial / expected.value;
        initial_ok = std::isfinite(ratio) && ratio >= kLowRatio && ratio <= expected.high;
        std::printf("initial loss %.4f, expected %.4f (%s): %.2fx\n", initial, expected.value, expected.how.c_str(),
                    ratio);
        if (!initial_ok) {
            std::printf(
                "WARNING: the initial loss is %s the expected value (outside [%gx, %gx]): check the initialization "
                "(He for relu, Xavier for tanh/sigmoid; an output layer with large weights makes confident wrong "
                "predictions) and the input scaling (inputs should be roughly unit scale: standardize them, "
                "--standardize inputs, or divide pixels by 255)\n",
                ratio > 1 ? "far above" : "far below", kLowRatio, expected.high);
        }
    }
    if (!std::isfinite(initial)) {
        std::printf("sanity: FAIL: the initial loss is not finite; check the input scaling and the initialization\n");
        return 1;
    }

    // 2. Overfit the subset.
    // Near zero relative to the expected loss where there is one: a blown-up initial loss
    // (inputs x1000) must not lower the bar.
    const double reference = std::isnan(expected.value) ? initial : std::min(initial, expected.value);
    const double target = std::max(kPassFraction * reference, kPassAbsolute);
    nnc_train_config config{};
    config.epochs = kSteps;
    config.batch = n;
    config.seed = seed;
    config.threads = o.threads.value_or(0);
    Stop stop;
    stop.target = target / 2;  // margin: the verdict is measured after one more update, in inference mode
    config.on_epoch = &Stop::on_epoch;
    config.user = &stop;
    const nnc_status status = lib.nnc_train(model.get(), subset->ptr, nullptr, &config);
    double final_loss = NAN, final_acc = NAN;
    if (status == NNC_OK)
        lib.check(lib.nnc_evaluate(model.get(), subset->ptr, n, &final_loss, &final_acc), "measuring the final loss");
    const bool pass = status == NNC_OK && std::isfinite(final_loss) && final_loss < target;
    if (status != NNC_OK) std::printf("training stopped: %s\n", lib.nnc_last_error());
    std::printf("after %lld updates: loss %.5f (inference mode)%s; PASS needs below %.5f (%g x the %s loss, or %g)\n",
                (long long)stop.steps, final_loss,
                std::isnan(final_acc) ? "" : (", accuracy " + std::to_string(final_acc)).c_str(), target, kPassFraction,
                reference == initial ? "initial" : "expected initial", kPassAbsolute);
    if (pass) {
        std::printf("sanity: PASS: the model memorizes %lld samples%s\n", (long long)n,
                    initial_ok ? "" : " (but see the initial-loss warning above)");
        return 0;
    }
    // Still descending (the last half of the budget at least halved the loss) is a matter of
    // budget or lr; a plateau well above zero is one of data, loss or graph.
    const size_t half = stop.losses.size() / 2;
    const bool still_falling = status == NNC_OK && half > 0 && stop.losses.back() < 0.5 * stop.losses[half];
    if (still_falling)
        std::printf(
            "sanity: FAIL: the loss on %lld samples was still falling after %lld updates (%.4f halfway, %.4f at the "
            "end): raise the learning rate (--lr) before looking for a bug; a small model may need 10x\n",
            (long long)n, (long long)stop.steps, stop.losses[half], stop.losses.back());
    if (still_falling) {
        std::printf("if a higher lr does not bring it near zero, the likely causes:\n");
    } else {
        std::printf("sanity: FAIL: the loss on %lld samples did not fall near zero. Likely causes:\n", (long long)n);
    }
    std::printf(
        "  - inputs and labels misaligned (a shuffled or offset label file, the wrong --target column, "
        "identical inputs with different labels)\n"
        "  - the loss does not match the head (softmax cross-entropy wants raw logits and class targets; run nnc "
        "lint)\n"
        "  - the learning rate (try --lr 1e-2 or 1e-4 with --sanity)\n"
        "  - a graph bug (a layer not connected to the loss, a frozen or detached branch)\n");
    if (!initial_ok)
        std::printf("  - first of all, the input scaling or initialization behind the initial-loss warning above\n");
    return 1;
}

}  // namespace

int run_sanity(const TrainOptions& o) {
    try {
        return sanity(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nnc train --sanity: error: %s\n", e.what());
        return 2;
    }
}

}  // namespace nnc::driver
