// nnc train --sanity: the field guide's two checks before a real run.
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

#include "runtime/cli/command_errors.h"
#include "runtime/cli/counted.h"
#include "runtime/cli/data_loading.h"
#include "runtime/cli/dropout_setting.h"
#include "runtime/cli/loaded_model.h"
#include "runtime/cli/session.h"
#include "runtime/cli/train_command.h"

namespace nnc::driver {
namespace {

constexpr int64_t kSteps = 1000;
constexpr double kPassFraction = 0.02;  // of the initial loss
constexpr double kPassAbsolute = 0.01;
constexpr double kLowRatio = 0.5, kHighRatio = 2.0;
constexpr double kHighRatioMse = 3.0;  // 1 + the predictions' variance, up to twice the targets'

struct Expected {
    double value = NAN;  // NaN: no reference for this model
    std::string how;     // "ln 10" ...
    double high = kHighRatio;
};

Expected expected_loss(const std::vector<Session::Loss>& losses, const std::vector<std::string>& ops,
                       bool targets_standardized) {
    Expected e{0, ""};
    for (size_t l = 0; l < losses.size(); ++l) {
        const Session::Loss& loss = losses[l];
        const double weight = loss.weight;
        const int64_t classes = loss.classes;
        const std::string& tname = loss.target_name;
        const std::string& op = ops[l];
        double v = NAN;
        std::string how;
        if (loss.kind == NNC_TARGET_CLASSES) {  // class targets are scored by softmax cross-entropy only
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

void check_options(const TrainOptions& o) {
    if (!o.resume.empty()) throw std::runtime_error("--sanity checks a fresh model; it cannot take --resume");
    if (!o.out.empty() || !o.save.empty())
        throw std::runtime_error(
            "--sanity writes nothing (no run folder, no checkpoint), so it cannot take --out or --save; "
            "run nnc train without --sanity for that");
    if (o.model.empty()) throw std::runtime_error("name the model to check (a .nn file or a compiled .so)");
    if (o.sanity_samples < 1) throw std::runtime_error("--sanity-samples must be at least 1");
}

// Torch's defaults for `name` (Adam unless --optimizer), at the model's own lr where the model
// trains with that Adam (its author tuned it), else the usual one (Adam: 1e-3); --lr overrides.
nnc_optimizer_config sanity_optimizer(const Session& session, const TrainOptions& o, const std::string& name) {
    const LoadedModel& lib = session.lib();
    nnc_optimizer_config opt{};
    lib.check(lib.nnc_optimizer_defaults(name.c_str(), &opt), "choosing the optimizer");
    const bool models_adam = session.optimizer_name() == name && (name == "adam" || name == "adamw");
    opt.lr = o.lr ? *o.lr : models_adam ? session.optimizer_settings().lr : opt.lr;
    opt.name = name.c_str();
    return opt;
}

// Dropout off: memorizing a tiny subset must not fight random masks. Returns what was done.
std::string turn_dropout_off(const Session& session) {
    const int dropouts = session.lib().nnc_model_num_dropouts(session.model());
    set_all_dropout(session.lib(), session.model(), 0.0, "turning dropout off");
    return dropouts == 0
               ? "no dropout"
               : "dropout off (" + std::to_string(dropouts) + " rate" + (dropouts == 1 ? "" : "s") + " set to 0)";
}

// The first `samples` training samples, standardized on themselves (--standardize).
std::unique_ptr<Dataset> load_subset(const Session& session, int64_t samples) {
    auto all = session.training_data();
    auto subset = session.slice(*all, 0, std::min(all->size(), samples));
    all.reset();
    session.standardize(*subset);
    return subset;
}

struct Initial {
    double loss = NAN;
    Expected expected;
    bool ok = true;  // within the expected range, or no reference
};

// 1. The initial loss against its expected value: a warning, never the verdict.
Initial check_initial_loss(const Session& session, const Dataset& subset) {
    const LoadedModel& lib = session.lib();
    Initial in;
    double acc = NAN;
    lib.check(lib.nnc_evaluate(session.model(), subset.ptr, subset.size(), &in.loss, &acc),
              "measuring the initial loss");
    in.expected =
        expected_loss(session.losses(), session.loss_ops(), lib.nnc_model_standardization(session.model()) & 2);
    if (std::isnan(in.expected.value)) {
        std::printf("initial loss %.4f (no expected value: %s)\n", in.loss, in.expected.how.c_str());
        return in;
    }
    const double ratio = in.loss / in.expected.value;
    in.ok = std::isfinite(ratio) && ratio >= kLowRatio && ratio <= in.expected.high;
    std::printf("initial loss %.4f, expected %.4f (%s): %.2fx\n", in.loss, in.expected.value, in.expected.how.c_str(),
                ratio);
    if (!in.ok) {
        std::printf(
            "WARNING: the initial loss is %s the expected value (outside [%gx, %gx]): check the initialization "
            "(He for relu, Xavier for tanh/sigmoid; an output layer with large weights makes confident wrong "
            "predictions) and the input scaling (inputs should be roughly unit scale: standardize them, "
            "--standardize inputs, or divide pixels by 255)\n",
            ratio > 1 ? "far above" : "far below", kLowRatio, in.expected.high);
    }
    return in;
}

struct Overfit {
    nnc_status status = NNC_OK;
    Stop stop;
    double loss = NAN, accuracy = NAN;  // in inference mode, after training
};

// 2. Up to kSteps updates on the subset as one batch, stopping early once the training-mode loss
// is well below `target`.
Overfit overfit(const Session& session, const Dataset& subset, uint64_t seed, int threads, double target) {
    const LoadedModel& lib = session.lib();
    nnc_train_config config{};
    config.epochs = kSteps;
    config.batch = subset.size();
    config.seed = seed;
    config.threads = threads;
    Overfit run;
    run.stop.target = target / 2;  // margin: the verdict is measured after one more update, in inference mode
    config.on_epoch = &Stop::on_epoch;
    config.user = &run.stop;
    run.status = lib.nnc_train(session.model(), subset.ptr, nullptr, &config);
    if (run.status == NNC_OK)
        lib.check(lib.nnc_evaluate(session.model(), subset.ptr, subset.size(), &run.loss, &run.accuracy),
                  "measuring the final loss");
    if (run.status != NNC_OK) std::printf("training stopped: %s\n", lib.nnc_last_error());
    return run;
}

// The likely causes of a FAIL; a loss still falling points at the lr or budget first.
void explain_failure(const Overfit& run, int64_t n, bool initial_ok) {
    // Still descending (the last half of the budget at least halved the loss) is a matter of
    // budget or lr; a plateau well above zero is one of data, loss or graph.
    const std::vector<double>& losses = run.stop.losses;
    const size_t half = losses.size() / 2;
    const bool still_falling = run.status == NNC_OK && half > 0 && losses.back() < 0.5 * losses[half];
    if (still_falling) {
        std::printf(
            "sanity: FAIL: the loss on %s was still falling after %s (%.4f halfway, %.4f at the "
            "end): raise the learning rate (--lr) before looking for a bug; a small model may need 10x\n",
            counted(n, "sample").c_str(), counted(run.stop.steps, "update").c_str(), losses[half], losses.back());
        std::printf("if a higher lr does not bring it near zero, the likely causes:\n");
    } else {
        std::printf("sanity: FAIL: the loss on %s did not fall near zero. Likely causes:\n",
                    counted(n, "sample").c_str());
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
}

int sanity(const TrainOptions& o, const ModelCompiler& compiler) {
    check_options(o);
    const Session session(o.model, compiler, o.data, o.compile);
    const std::string opt_name = o.optimizer.value_or("adam");
    const nnc_optimizer_config opt = sanity_optimizer(session, o, opt_name);
    session.set_optimizer(opt);
    const uint64_t seed = o.seed.value_or(session.defaults().seed);
    if (o.load.empty()) {
        session.init(seed);
    } else {
        session.load_weights(o.load);
    }
    const std::string dropout_note = turn_dropout_off(session);  // after the load, which brings its rates
    const auto subset = load_subset(session, o.sanity_samples);
    const int64_t n = subset->size();
    std::fprintf(stderr,
                 "sanity check of %s: the first %s of %s as one batch, %s lr=%g, up to %lld updates, seed %llu\n",
                 session.name().c_str(), counted(n, "sample").c_str(), o.data.path.c_str(), opt.name, opt.lr,
                 (long long)kSteps, (unsigned long long)seed);
    std::fprintf(stderr, "  no run folder or checkpoint is written; no augmentation; %s\n", dropout_note.c_str());

    const Initial initial = check_initial_loss(session, *subset);
    if (!std::isfinite(initial.loss)) {
        std::printf("sanity: FAIL: the initial loss is not finite; check the input scaling and the initialization\n");
        return 1;
    }
    // Near zero relative to the expected loss where there is one: a blown-up initial loss
    // (inputs x1000) must not lower the bar.
    const double reference =
        std::isnan(initial.expected.value) ? initial.loss : std::min(initial.loss, initial.expected.value);
    const double target = std::max(kPassFraction * reference, kPassAbsolute);
    const Overfit run = overfit(session, *subset, seed, o.threads.value_or(0), target);
    const bool pass = run.status == NNC_OK && std::isfinite(run.loss) && run.loss < target;
    std::printf("after %s: loss %.5f (inference mode)%s; PASS needs below %.5f (%g x the %s loss, or %g)\n",
                counted(run.stop.steps, "update").c_str(), run.loss,
                std::isnan(run.accuracy) ? "" : (", accuracy " + std::to_string(run.accuracy)).c_str(), target,
                kPassFraction, reference == initial.loss ? "initial" : "expected initial", kPassAbsolute);
    if (!pass) {
        explain_failure(run, n, initial.ok);
        return 1;
    }
    std::printf("sanity: PASS: the model memorizes %s%s\n", counted(n, "sample").c_str(),
                initial.ok ? "" : " (but see the initial-loss warning above)");
    return 0;
}

}  // namespace

int run_sanity(const TrainOptions& o, const ModelCompiler& compiler) {
    return run_reporting_errors("nnc train --sanity", 2, [&] { return sanity(o, compiler); });
}

}  // namespace nnc::driver
