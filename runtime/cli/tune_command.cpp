// nnc tune: a grid (or a random sample of it) over the run-time hyperparameters — lr, batch,
// optimizer, momentum, weight decay, dropout rate, epochs — without recompiling: each trial sets the optimizer,
// re-initializes the weights from the same seed, trains on the training split and is scored on the
// validation set (never the test set). The ranking goes to DIR/tune.csv and DIR/tune.json, the
// winner's weights to DIR/tune_winner.ckpt; the test set, if given, is evaluated once, for the
// winner only, after every trial is ranked.
// The dropout rate is a run-time value of the training pipeline (nnc_model_set_dropout_rate):
// each --dropout value applies to every dropout layer of the model.
#include <nnc/train_vocabulary.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <vector>

#include "runtime/cli/dropout_setting.h"
#include "runtime/cli/run_folder.h"
#include "runtime/cli/tuning_commands.h"

namespace nnc::driver {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const std::vector<std::string> kOptimizers = vocab::optimizer_names();

std::string csv_number(double v, bool empty_if_nan = false);

bool uses_momentum(const std::string& optimizer) { return vocab::optimizer_has(optimizer, "momentum"); }

// "1e-2, 1e-3" -> {0.01, 0.001}; an empty list -> {NaN} (the model's setting). Each value must
// satisfy `ok` (described by `range`).
std::vector<double> parse_numbers(const std::string& flag, const std::string& text, bool (*ok)(double),
                                  const char* range) {
    if (text.empty()) return {NAN};
    std::vector<double> out;
    for (const std::string& item : split_list(text)) {
        char* end = nullptr;
        const double v = std::strtod(item.c_str(), &end);
        if (end == item.c_str() || *end != '\0' || !std::isfinite(v))
            throw std::runtime_error(flag + ": '" + item + "' is not a number; give a comma-separated list such as " +
                                     flag + " 1e-2,1e-3");
        if (!ok(v)) throw std::runtime_error(flag + ": " + item + " is out of range; each value must be " + range);
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    }
    if (out.empty()) throw std::runtime_error(flag + " has no values; give a comma-separated list");
    return out;
}

std::vector<int64_t> parse_batches(const std::string& text) {
    if (text.empty()) return {0};
    std::vector<int64_t> out;
    for (double v : parse_numbers(
             "--batch", text, [](double x) { return x >= 1; }, "a whole number of at least 1")) {
        if (v != std::floor(v)) throw std::runtime_error("--batch: " + csv_number(v) + " is not a whole number");
        out.push_back(static_cast<int64_t>(v));
    }
    return out;
}

std::vector<std::string> parse_optimizers(const std::string& text) {
    if (text.empty()) return {""};
    std::vector<std::string> out;
    for (const std::string& name : split_list(text)) {
        if (std::find(kOptimizers.begin(), kOptimizers.end(), name) == kOptimizers.end())
            throw std::runtime_error("--optimizer: '" + name + "' is not an optimizer; use " +
                                     vocab::either(kOptimizers));
        if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
    if (out.empty()) throw std::runtime_error("--optimizer has no values; give a comma-separated list");
    return out;
}

struct Trial {
    int index = 0;  // 1-based, in grid order
    std::string optimizer;
    double lr = NAN, momentum = NAN, weight_decay = NAN;  // momentum NaN: not used by the optimizer
    double dropout = NAN;  // every dropout layer's rate; NaN: the model's own (it has none, or --dropout is not given)
    int64_t batch = 0, epochs = 0;
    double val_loss = NAN, val_accuracy = NAN, seconds = 0;
    std::string note;  // "diverged: ..." when training stopped on a non-finite loss
    int rank = 0;
};

// Better first: the metric (NaN last), then the validation loss, then the earlier trial.
bool better(const Trial& a, const Trial& b, bool accuracy) {
    const double ma = accuracy ? a.val_accuracy : a.val_loss, mb = accuracy ? b.val_accuracy : b.val_loss;
    if (std::isnan(ma) != std::isnan(mb)) return std::isnan(mb);
    if (!std::isnan(ma) && ma != mb) return accuracy ? ma > mb : ma < mb;
    if (std::isnan(a.val_loss) != std::isnan(b.val_loss)) return std::isnan(b.val_loss);
    if (!std::isnan(a.val_loss) && a.val_loss != b.val_loss) return a.val_loss < b.val_loss;
    return a.index < b.index;
}

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string csv_number(double v, bool empty_if_nan) {
    if (!std::isfinite(v)) return empty_if_nan ? "" : "nan";
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", v);
    return text;
}

json to_json(const Trial& t) {
    return {{"rank", t.rank},
            {"trial", t.index},
            {"lr", t.lr},
            {"batch", t.batch},
            {"optimizer", t.optimizer},
            {"momentum", number(t.momentum)},
            {"weight_decay", t.weight_decay},
            {"dropout", number(t.dropout)},
            {"val_loss", number(t.val_loss)},
            {"val_accuracy", number(t.val_accuracy)},
            {"epochs", t.epochs},
            {"seconds", t.seconds},
            {"note", t.note}};
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write '" + path + "'");
}

bool has_class_target(const LoadedModel& lib, const nnc_model* model) {
    for (int t = 0; t < lib.nnc_model_num_targets(model); ++t) {
        const char* name = nullptr;
        nnc_target_kind kind{};
        int64_t size = 0, classes = 0;
        lib.check(lib.nnc_model_target_info(model, t, &name, &kind, &size, &classes), "reading the targets");
        if (kind == NNC_TARGET_CLASSES) return true;
    }
    return false;
}

// --val / --test: a .csv (the training --target columns) or .npy file (its own targets' files);
// --test may also be an IDX folder (its t10k files).
std::unique_ptr<Dataset> load_split(const TuningModel& m, const TuningInput& in, const std::string& path,
                                    const std::string& npy_targets, const char* flag, const char* target_flag) {
    const DataFormat format = data_format(path);
    if (format == DataFormat::npy && npy_targets.empty())
        throw std::runtime_error(std::string(flag) + " " + path + " is .npy: name its targets' file(s) with " +
                                 target_flag);
    return load_data(
        *m.lib, m.get(),
        DataSpec{path, split_list(format == DataFormat::npy ? npy_targets : in.targets), split_list(in.features)},
        "t10k", true);
}

int tune(const TuneOptions& o) {
    // Every range is checked before anything is compiled or loaded.
    const auto lrs = parse_numbers(
        "--lr", o.lr, [](double x) { return x > 0; }, "above 0");
    const auto batches = parse_batches(o.batch);
    const auto optimizers = parse_optimizers(o.optimizer);
    const auto momenta = parse_numbers(
        "--momentum", o.momentum, [](double x) { return x >= 0 && x < 1; }, "in [0, 1)");
    const auto decays = parse_numbers(
        "--weight-decay", o.weight_decay, [](double x) { return x >= 0; }, "0 or more");
    const auto dropouts = parse_numbers(
        "--dropout", o.dropout, [](double x) { return x >= 0 && x < 1; }, "in [0, 1) (0: off)");
    if (o.random < 0) throw std::runtime_error("--random must be 0 (the whole grid) or a number of trials");
    if (o.epochs && *o.epochs < 1) throw std::runtime_error("--epochs must be at least 1");
    if (!o.metric.empty() && o.metric != "val_accuracy" && o.metric != "val_loss")
        throw std::runtime_error("--metric must be val_accuracy or val_loss, not '" + o.metric + "'");
    if (!o.val.empty() && o.validation) throw std::runtime_error("give --val FILE or --validation N, not both");
    if (!o.val.empty() && data_format(o.val) == DataFormat::idx)
        throw std::runtime_error("--val " + o.val +
                                 " is an IDX folder, whose t10k files are its test set; hold validation "
                                 "samples out of the training data with --validation N instead");

    TuningModel m = open_tuning_model(o.input);
    const LoadedModel& lib = *m.lib;
    nnc_model* model = m.get();
    const bool classes = has_class_target(lib, model);
    const std::string metric = !o.metric.empty() ? o.metric : classes ? "val_accuracy" : "val_loss";
    if (metric == "val_accuracy" && !classes)
        throw std::runtime_error("--metric val_accuracy needs a class target; model '" +
                                 std::string(lib.nnc_model_name(model)) + "' has real targets only: use val_loss");
    const bool by_accuracy = metric == "val_accuracy";
    if (!o.dropout.empty() && lib.nnc_model_num_dropouts(model) == 0)
        throw std::runtime_error(
            "--dropout: model '" + std::string(lib.nnc_model_name(model)) +
            "' has no dropout layers, so there is no rate to tune; add dropout(x, rate) to the .nn file "
            "or leave out --dropout");
    const std::vector<double> declared_dropout = dropout_rates(lib, model);  // restored for trials without --dropout

    // The data: training, validation (a file, or held out of the training data), test (once).
    std::unique_ptr<Dataset> val;
    const int64_t held_out = o.val.empty() ? o.validation.value_or(m.validation) : 0;
    if (o.val.empty() && held_out <= 0)
        throw std::runtime_error(
            "tune ranks trials on a validation set: give --val FILE or --validation N (training samples "
            "held out); the test set is never used for ranking");
    auto train = load_training_data(m, o.input, held_out, &val);
    if (!o.val.empty()) val = load_split(m, o.input, o.val, o.val_targets, "--val", "--val-target");
    std::unique_ptr<Dataset> test;
    if (!o.test.empty()) test = load_split(m, o.input, o.test, o.test_targets, "--test", "--test-target");
    standardize(m, o.input, *train);

    // The grid, in a fixed order; momentum only for the optimizers that have one.
    std::vector<Trial> trials;
    for (const std::string& given : optimizers) {
        const std::string name = given.empty() ? m.optimizer_name : given;
        for (double lr : lrs)
            for (int64_t batch : batches)
                for (double momentum : uses_momentum(name) ? momenta : std::vector<double>{NAN})
                    for (double wd : decays)
                        for (double dropout : dropouts) {
                            Trial t;
                            t.optimizer = name;
                            t.lr = lr;
                            t.batch = batch > 0 ? batch : m.defaults.batch;
                            t.momentum = momentum;
                            t.weight_decay = wd;
                            t.dropout = dropout;
                            t.epochs = o.epochs.value_or(m.defaults.epochs);
                            trials.push_back(t);
                        }
    }
    const size_t grid = trials.size();
    if (o.random > 0 && static_cast<size_t>(o.random) < grid) {
        std::mt19937_64 rng(m.defaults.seed);
        std::shuffle(trials.begin(), trials.end(), rng);
        trials.resize(static_cast<size_t>(o.random));
    }
    for (size_t i = 0; i < trials.size(); ++i) trials[i].index = static_cast<int>(i + 1);

    const std::string name = lib.nnc_model_name(model);
    const std::string out = o.out.empty() ? RunFolder::default_path(name + "-tune") : o.out;
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec) throw std::runtime_error("cannot create '" + out + "': " + ec.message());
    const std::string winner_ckpt = out + "/tune_winner.ckpt";
    std::fprintf(
        stderr,
        "tuning %s: %zu trial%s (%s of a grid of %zu), %lld training and %lld validation samples, ranked by %s, "
        "seed %llu; the test set is not used until the end\n",
        name.c_str(), trials.size(), trials.size() == 1 ? "" : "s", trials.size() < grid ? "a random sample" : "all",
        grid, (long long)train->size(), (long long)val->size(), metric.c_str(), (unsigned long long)m.defaults.seed);

    const Trial* best = nullptr;
    for (Trial& t : trials) {
        nnc_optimizer_config opt = m.optimizer;
        if (t.optimizer != m.optimizer_name)
            lib.check(lib.nnc_optimizer_defaults(t.optimizer.c_str(), &opt), "choosing the optimizer");
        opt.name = t.optimizer.c_str();
        if (!std::isnan(t.lr)) opt.lr = t.lr;
        if (!std::isnan(t.momentum)) opt.momentum = t.momentum;
        if (!std::isnan(t.weight_decay)) opt.weight_decay = t.weight_decay;
        t.lr = opt.lr;
        t.momentum = uses_momentum(t.optimizer) ? opt.momentum : NAN;
        t.weight_decay = opt.weight_decay;
        lib.check(lib.nnc_model_set_optimizer(model, &opt),
                  "trial " + std::to_string(t.index) + ": setting the optimizer");
        lib.check(lib.nnc_model_init(model, m.defaults.seed),
                  "initializing");  // every trial starts from the same weights
        if (!std::isnan(t.dropout)) {
            set_all_dropout(lib, model, t.dropout, "trial " + std::to_string(t.index) + ": setting the dropout rate");
        } else {
            for (size_t k = 0; k < declared_dropout.size(); ++k)
                lib.check(lib.nnc_model_set_dropout_rate(model, static_cast<int>(k), declared_dropout[k]),
                          "setting the dropout rate");
        }

        nnc_train_config config = m.defaults;
        config.epochs = t.epochs;
        config.batch = t.batch;
        config.threads = o.input.threads;
        config.on_batch = nullptr;
        config.on_epoch = nullptr;
        config.user = nullptr;
        // Only early stopping and reduce_on_plateau need validation during training; the score
        // below is measured on the weights training kept.
        const bool needs_val = config.early_stopping.enabled || config.schedule.kind == NNC_SCHEDULE_PLATEAU;
        const Clock::time_point start = Clock::now();
        const nnc_status status = lib.nnc_train(model, train->ptr, needs_val ? val->ptr : nullptr, &config);
        if (status == NNC_ERR_NUMERIC) {
            t.note = std::string("diverged: ") + lib.nnc_last_error();
        } else {
            lib.check(status, "trial " + std::to_string(t.index) + ": training");
            lib.check(lib.nnc_evaluate(model, val->ptr, 256, &t.val_loss, &t.val_accuracy),
                      "evaluating on the validation set");
        }
        t.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        std::fprintf(stderr, "  trial %d/%zu: %s lr=%g batch=%lld%s wd=%g%s: val_loss %.4f%s (%.1f s)%s\n", t.index,
                     trials.size(), t.optimizer.c_str(), t.lr, (long long)t.batch,
                     std::isnan(t.momentum) ? "" : (" momentum=" + csv_number(t.momentum)).c_str(), t.weight_decay,
                     std::isnan(t.dropout) ? "" : (" dropout=" + csv_number(t.dropout)).c_str(), t.val_loss,
                     std::isnan(t.val_accuracy) ? "" : (", val_accuracy " + csv_number(t.val_accuracy)).c_str(),
                     t.seconds, t.note.empty() ? "" : ("  " + t.note).c_str());
        if (t.note.empty() && (!best || better(t, *best, by_accuracy))) {
            best = &t;
            lib.check(lib.nnc_model_save(model, winner_ckpt.c_str()), "saving the winner's weights");
        }
    }

    std::vector<Trial> ranked = trials;
    std::sort(ranked.begin(), ranked.end(), [&](const Trial& a, const Trial& b) { return better(a, b, by_accuracy); });
    for (size_t i = 0; i < ranked.size(); ++i) ranked[i].rank = static_cast<int>(i + 1);

    std::string csv =
        "rank,trial,lr,batch,optimizer,momentum,weight_decay,dropout,val_loss,val_accuracy,epochs,seconds\n";
    json rows = json::array();
    std::printf("%4s %5s %10s %6s %9s %9s %9s %8s %10s %12s %6s %8s\n", "rank", "trial", "lr", "batch", "optimizer",
                "momentum", "wd", "dropout", "val_loss", "val_accuracy", "epochs", "seconds");
    for (const Trial& t : ranked) {
        csv += std::to_string(t.rank) + "," + std::to_string(t.index) + "," + csv_number(t.lr) + "," +
               std::to_string(t.batch) + "," + t.optimizer + "," + csv_number(t.momentum, true) + "," +
               csv_number(t.weight_decay) + "," + csv_number(t.dropout, true) + "," + csv_number(t.val_loss) + "," +
               csv_number(t.val_accuracy) + "," + std::to_string(t.epochs) + "," + csv_number(t.seconds) + "\n";
        rows.push_back(to_json(t));
        std::printf("%4d %5d %10.3g %6lld %9s %9s %9g %8s %10.4f %12.4f %6lld %8.1f%s\n", t.rank, t.index, t.lr,
                    (long long)t.batch, t.optimizer.c_str(),
                    std::isnan(t.momentum) ? "-" : csv_number(t.momentum).c_str(), t.weight_decay,
                    std::isnan(t.dropout) ? "-" : csv_number(t.dropout).c_str(), t.val_loss, t.val_accuracy,
                    (long long)t.epochs, t.seconds, t.note.empty() ? "" : "  (diverged)");
    }
    write_text(out + "/tune.csv", csv);

    json summary = {
        {"metric", metric},
        {"winner", ranked.empty() || !ranked.front().note.empty() ? json(nullptr) : to_json(ranked.front())},
        {"test_loss", nullptr},
        {"test_accuracy", nullptr},
        {"test_evaluated", false},
        {"grid_size", grid},
        {"trials", rows},
        {"seed", m.defaults.seed}};
    int status = 0;
    if (!best) {
        std::printf("every trial diverged: no winner; lower the learning rates (nnc lr-find suggests one)\n");
        status = 1;
    } else {
        const Trial& w = ranked.front();
        std::printf("winner: trial %d (%s lr=%g batch %lld%s wd=%g%s), %s %.4f; its weights: %s\n", w.index,
                    w.optimizer.c_str(), w.lr, (long long)w.batch,
                    std::isnan(w.momentum) ? "" : (" momentum=" + csv_number(w.momentum)).c_str(), w.weight_decay,
                    std::isnan(w.dropout) ? "" : (" dropout=" + csv_number(w.dropout)).c_str(), metric.c_str(),
                    by_accuracy ? w.val_accuracy : w.val_loss, winner_ckpt.c_str());
        if (test) {
            // The winner's weights, as saved when it won; evaluated on the test set once.
            nnc_optimizer_config opt = m.optimizer;
            if (w.optimizer != m.optimizer_name)
                lib.check(lib.nnc_optimizer_defaults(w.optimizer.c_str(), &opt), "choosing the optimizer");
            opt.name = w.optimizer.c_str();
            lib.check(lib.nnc_model_set_optimizer(model, &opt), "setting the optimizer");
            lib.check(lib.nnc_model_load(model, winner_ckpt.c_str()), "loading " + winner_ckpt);
            double loss = NAN, acc = NAN;
            lib.check(lib.nnc_evaluate(model, test->ptr, 256, &loss, &acc), "evaluating on the test set");
            summary["test_loss"] = number(loss);
            summary["test_accuracy"] = number(acc);
            summary["test_evaluated"] = true;
            std::printf("test set (evaluated once, for the winner only): test_loss %.4f%s\n", loss,
                        std::isnan(acc) ? "" : ("  test_accuracy " + csv_number(acc)).c_str());
        } else {
            std::printf("no test set given (--test): the winner was not measured on held-out test data\n");
        }
    }
    write_text(out + "/tune.json", summary.dump(2) + "\n");
    std::fprintf(stderr, "wrote %s/tune.csv and %s/tune.json\n", out.c_str(), out.c_str());
    return status;
}

}  // namespace

CLI::App* add_tune_command(CLI::App& app, TuneOptions& o) {
    CLI::App* c = app.add_subcommand(
        "tune",
        "search run-time hyperparameters without recompiling: every combination of the given values (or --random N of "
        "them), "
        "each trained from the same initial weights on the training split and ranked by the validation metric; the "
        "test set "
        "(--test) is evaluated once, for the winner only. Writes DIR/tune.csv, DIR/tune.json and DIR/tune_winner.ckpt");
    add_tuning_input_options(*c, o.input);
    c->add_option("--val", o.val,
                  "the validation data (.csv with the --target columns, or .npy with --val-target); or --validation N");
    c->add_option("--val-target", o.val_targets, "the validation targets' .npy file(s), when --val is .npy");
    c->add_option("--validation", o.validation,
                  "hold out the last N training samples for validation (default: the model's train section)");
    c->add_option(
        "--test", o.test,
        "the test data (an IDX folder's t10k files, .csv or .npy with --test-target), evaluated once for the winner");
    c->add_option("--test-target", o.test_targets, "the test targets' .npy file(s), when --test is .npy");
    c->add_option("--lr", o.lr, "learning rates, comma-separated (e.g. 1e-2,1e-3,1e-4; default: the model's)");
    c->add_option("--batch", o.batch, "batch sizes, comma-separated (e.g. 16,32,64,128; default: the model's)");
    c->add_option("--optimizer", o.optimizer,
                  "optimizers, comma-separated: sgd, adam, adamw, adagrad, adadelta, rmsprop (another than the model's "
                  "starts from "
                  "torch's defaults; default: the model's)");
    c->add_option("--momentum", o.momentum,
                  "momentum values, comma-separated, for sgd and rmsprop only (other optimizers ignore it)");
    c->add_option("--weight-decay", o.weight_decay, "weight decay values, comma-separated (default: the model's)");
    c->add_option(
        "--dropout", o.dropout,
        "dropout rates in [0, 1), comma-separated (e.g. 0,0.2,0.5), each applied to every dropout layer at run time "
        "(default: the rates the .nn file declares)");
    c->add_option("--random", o.random,
                  "train this many grid points chosen at random (from --seed) instead of the whole grid");
    c->add_option("--epochs", o.epochs, "epochs per trial (default: the model's)");
    c->add_option("--metric", o.metric,
                  "the ranking: val_accuracy (default for models with a class target) or val_loss (higher "
                  "accuracy, lower loss first; a diverged trial ranks last)");
    c->add_option("--out", o.out,
                  "the folder for tune.csv, tune.json and tune_winner.ckpt (default runs/<model>-tune-<time>)");
    c->footer(
        "Every trial re-initializes the weights from the same seed and uses the model's other training settings "
        "(schedule, "
        "clipping, early stopping, accumulation) as its train section declares them.\n"
        "Every value is a run-time setting of the compiled library: the model is compiled once for the whole search.");
    return c;
}

int run_tune(const TuneOptions& o) {
    try {
        return tune(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nnc tune: error: %s\n", e.what());
        return 1;
    }
}

}  // namespace nnc::driver
