// nnc tune: a grid (or a random sample of it) over the run-time hyperparameters — lr, batch,
// optimizer, momentum, weight decay, dropout rate, epochs — without recompiling: each trial sets the optimizer,
// re-initializes the weights from the same seed, trains on the training split and is scored on the
// validation set (never the test set). The ranking goes to DIR/tune.csv and DIR/tune.json, the
// winner's weights to DIR/tune_winner.ckpt; the test set, if given, is evaluated once, for the
// winner only, after every trial is ranked. DIR is locked while tune runs (run_folder_lock.h).
// The dropout rate is a run-time value of the training pipeline (nnc_model_set_dropout_rate):
// each --dropout value applies to every dropout layer of the model.
#include <nnc/train_vocabulary.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>
#include <vector>

#include "runtime/cli/command_errors.h"
#include "runtime/cli/dropout_setting.h"
#include "runtime/cli/run_folder.h"
#include "runtime/cli/run_folder_lock.h"
#include "runtime/cli/session.h"
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

// Every range and option, checked before anything is compiled or loaded.
struct Grid {
    std::vector<double> lrs, momenta, decays, dropouts;
    std::vector<int64_t> batches;
    std::vector<std::string> optimizers;
};

Grid parse_grid(const TuneOptions& o) {
    Grid g;
    g.lrs = parse_numbers(
        "--lr", o.lr, [](double x) { return x > 0; }, "above 0");
    g.batches = parse_batches(o.batch);
    g.optimizers = parse_optimizers(o.optimizer);
    g.momenta = parse_numbers(
        "--momentum", o.momentum, [](double x) { return x >= 0 && x < 1; }, "in [0, 1)");
    g.decays = parse_numbers(
        "--weight-decay", o.weight_decay, [](double x) { return x >= 0; }, "0 or more");
    g.dropouts = parse_numbers(
        "--dropout", o.dropout, [](double x) { return x >= 0 && x < 1; }, "in [0, 1) (0: off)");
    if (o.random < 0) throw std::runtime_error("--random must be 0 (the whole grid) or a number of trials");
    if (o.epochs && *o.epochs < 1) throw std::runtime_error("--epochs must be at least 1");
    if (!o.metric.empty() && o.metric != "val_accuracy" && o.metric != "val_loss")
        throw std::runtime_error("--metric must be val_accuracy or val_loss, not '" + o.metric + "'");
    const std::string& val = o.input.data.validation_data;
    if (!val.empty() && o.validation)
        throw std::runtime_error("give --validation N or --validation-data FILE, not both");
    if (!val.empty() && data_format(val) == DataFormat::idx)
        throw std::runtime_error("--validation-data " + val +
                                 " is an IDX folder, whose t10k files are its test set; hold validation "
                                 "samples out of the training data with --validation N instead");
    return g;
}

// The metric trials are ranked by (--metric, else val_accuracy for a model with a class target).
std::string ranking_metric(const Session& session, const TuneOptions& o) {
    const bool classes = has_class_target(session.lib(), session.model());
    const std::string metric = !o.metric.empty() ? o.metric : classes ? "val_accuracy" : "val_loss";
    if (metric == "val_accuracy" && !classes)
        throw std::runtime_error("--metric val_accuracy needs a class target; model '" + session.name() +
                                 "' has real targets only: use val_loss");
    if (!o.dropout.empty() && session.lib().nnc_model_num_dropouts(session.model()) == 0)
        throw std::runtime_error(
            "--dropout: model '" + session.name() +
            "' has no dropout layers, so there is no rate to tune; add dropout(x, rate) to the .nn file "
            "or leave out --dropout");
    return metric;
}

struct TuneData {
    std::unique_ptr<Dataset> train, val, test;  // test: null unless --test
};

// Training, validation (a file, or held out of the training data) and test data (used once).
TuneData load_tune_data(const Session& session, const TuneOptions& o) {
    const bool val_file = !o.input.data.validation_data.empty();
    const int64_t held_out = val_file ? 0 : o.validation.value_or(session.held_out());
    if (!val_file && held_out <= 0)
        throw std::runtime_error(
            "tune ranks trials on a validation set: give --validation-data FILE (--val) or --validation N "
            "(training samples held out); the test set is never used for ranking");
    Session::Split split = session.split_training_data(held_out);
    TuneData d;
    d.train = std::move(split.train);
    d.val = val_file ? session.validation_file() : std::move(split.validation);
    if (!o.test.empty()) d.test = session.evaluation_data(o.test, o.test_targets, "--test", "--test-target");
    session.standardize(*d.train);
    return d;
}

// The grid in a fixed order (momentum only for the optimizers that have one), or --random of it
// chosen from `seed`. `grid_size` gets the whole grid's size.
std::vector<Trial> make_trials(const Grid& g, const Session& session, const TuneOptions& o, uint64_t seed,
                               size_t& grid_size) {
    std::vector<Trial> trials;
    for (const std::string& given : g.optimizers) {
        const std::string name = given.empty() ? session.optimizer_name() : given;
        for (double lr : g.lrs)
            for (int64_t batch : g.batches)
                for (double momentum : uses_momentum(name) ? g.momenta : std::vector<double>{NAN})
                    for (double wd : g.decays)
                        for (double dropout : g.dropouts) {
                            Trial t;
                            t.optimizer = name;
                            t.lr = lr;
                            t.batch = batch > 0 ? batch : session.defaults().batch;
                            t.momentum = momentum;
                            t.weight_decay = wd;
                            t.dropout = dropout;
                            t.epochs = o.epochs.value_or(session.defaults().epochs);
                            trials.push_back(t);
                        }
    }
    grid_size = trials.size();
    if (o.random > 0 && static_cast<size_t>(o.random) < grid_size) {
        std::mt19937_64 rng(seed);
        std::shuffle(trials.begin(), trials.end(), rng);
        trials.resize(static_cast<size_t>(o.random));
    }
    for (size_t i = 0; i < trials.size(); ++i) trials[i].index = static_cast<int>(i + 1);
    return trials;
}

// The search: what every trial shares.
struct Search {
    const Session& session;
    const TuneOptions& o;
    const TuneData& data;
    uint64_t seed = 0;
    std::vector<double> declared_dropout;  // the model's rates, restored for trials without --dropout
    size_t count = 0;                      // trials
};

// The optimizer, the same initial weights, the dropout rates: the trial's starting point.
void start_trial(const Search& s, Trial& t) {
    const LoadedModel& lib = s.session.lib();
    nnc_model* model = s.session.model();
    nnc_optimizer_config opt = s.session.optimizer_settings(t.optimizer);
    if (!std::isnan(t.lr)) opt.lr = t.lr;
    if (!std::isnan(t.momentum)) opt.momentum = t.momentum;
    if (!std::isnan(t.weight_decay)) opt.weight_decay = t.weight_decay;
    t.lr = opt.lr;
    t.momentum = uses_momentum(t.optimizer) ? opt.momentum : NAN;
    t.weight_decay = opt.weight_decay;
    lib.check(lib.nnc_model_set_optimizer(model, &opt), "trial " + std::to_string(t.index) + ": setting the optimizer");
    s.session.init(s.seed);  // every trial starts from the same weights
    if (!std::isnan(t.dropout)) {
        set_all_dropout(lib, model, t.dropout, "trial " + std::to_string(t.index) + ": setting the dropout rate");
    } else {
        for (size_t k = 0; k < s.declared_dropout.size(); ++k)
            lib.check(lib.nnc_model_set_dropout_rate(model, static_cast<int>(k), s.declared_dropout[k]),
                      "setting the dropout rate");
    }
}

// Trains one trial on the training split and scores it on the validation set; a trial that
// diverges is noted, not an error.
void run_trial(const Search& s, Trial& t) {
    const LoadedModel& lib = s.session.lib();
    nnc_model* model = s.session.model();
    start_trial(s, t);
    nnc_train_config config = s.session.defaults();
    config.seed = s.seed;
    config.epochs = t.epochs;
    config.batch = t.batch;
    config.threads = s.o.input.threads;
    // Only early stopping and reduce_on_plateau need validation during training; the score
    // below is measured on the weights training kept.
    const bool needs_val = config.early_stopping.enabled || config.schedule.kind == NNC_SCHEDULE_PLATEAU;
    const Clock::time_point start = Clock::now();
    const nnc_status status = lib.nnc_train(model, s.data.train->ptr, needs_val ? s.data.val->ptr : nullptr, &config);
    if (status == NNC_ERR_NUMERIC) {
        t.note = std::string("diverged: ") + lib.nnc_last_error();
    } else {
        lib.check(status, "trial " + std::to_string(t.index) + ": training");
        lib.check(lib.nnc_evaluate(model, s.data.val->ptr, 256, &t.val_loss, &t.val_accuracy),
                  "evaluating on the validation set");
    }
    t.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::fprintf(stderr, "  trial %d/%zu: %s lr=%g batch=%lld%s wd=%g%s: val_loss %.4f%s (%.1f s)%s\n", t.index,
                 s.count, t.optimizer.c_str(), t.lr, (long long)t.batch,
                 std::isnan(t.momentum) ? "" : (" momentum=" + csv_number(t.momentum)).c_str(), t.weight_decay,
                 std::isnan(t.dropout) ? "" : (" dropout=" + csv_number(t.dropout)).c_str(), t.val_loss,
                 std::isnan(t.val_accuracy) ? "" : (", val_accuracy " + csv_number(t.val_accuracy)).c_str(), t.seconds,
                 t.note.empty() ? "" : ("  " + t.note).c_str());
}

// The ranking as a table on stdout and DIR/tune.csv; returns its rows for tune.json.
json write_ranking(const std::vector<Trial>& ranked, const std::string& out) {
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
    return rows;
}

// The winner's weights, as saved when it won, evaluated on the test set once.
void test_winner(const Search& s, const Trial& w, const std::string& winner_ckpt, json& summary) {
    const LoadedModel& lib = s.session.lib();
    nnc_model* model = s.session.model();
    s.session.set_optimizer(s.session.optimizer_settings(w.optimizer));
    lib.check(lib.nnc_model_load(model, winner_ckpt.c_str()), "loading " + winner_ckpt);
    double loss = NAN, acc = NAN;
    lib.check(lib.nnc_evaluate(model, s.data.test->ptr, 256, &loss, &acc), "evaluating on the test set");
    summary["test_loss"] = number(loss);
    summary["test_accuracy"] = number(acc);
    summary["test_evaluated"] = true;
    std::printf("test set (evaluated once, for the winner only): test_loss %.4f%s\n", loss,
                std::isnan(acc) ? "" : ("  test_accuracy " + csv_number(acc)).c_str());
}

// The winner (and its test score) on stdout and in `summary`; 1 when every trial diverged.
int report_winner(const Search& s, const std::vector<Trial>& ranked, bool any_winner, const std::string& metric,
                  const std::string& winner_ckpt, json& summary) {
    if (!any_winner) {
        std::printf("every trial diverged: no winner; lower the learning rates (nnc lr-find suggests one)\n");
        return 1;
    }
    const Trial& w = ranked.front();
    const bool by_accuracy = metric == "val_accuracy";
    std::printf("winner: trial %d (%s lr=%g batch %lld%s wd=%g%s), %s %.4f; its weights: %s\n", w.index,
                w.optimizer.c_str(), w.lr, (long long)w.batch,
                std::isnan(w.momentum) ? "" : (" momentum=" + csv_number(w.momentum)).c_str(), w.weight_decay,
                std::isnan(w.dropout) ? "" : (" dropout=" + csv_number(w.dropout)).c_str(), metric.c_str(),
                by_accuracy ? w.val_accuracy : w.val_loss, winner_ckpt.c_str());
    if (s.data.test) {
        test_winner(s, w, winner_ckpt, summary);
    } else {
        std::printf("no test set given (--test): the winner was not measured on held-out test data\n");
    }
    return 0;
}

int tune(const TuneOptions& o, const ModelCompiler& compiler) {
    const Grid grid = parse_grid(o);
    const Session session(o.input.model, compiler, o.input.data);
    const std::string metric = ranking_metric(session, o);
    const bool by_accuracy = metric == "val_accuracy";
    const TuneData data = load_tune_data(session, o);
    const uint64_t seed = o.input.seed.value_or(session.defaults().seed);
    size_t grid_size = 0;
    std::vector<Trial> trials = make_trials(grid, session, o, seed, grid_size);
    const Search search{session, o, data, seed, dropout_rates(session.lib(), session.model()), trials.size()};

    const std::string name = session.name();
    const std::string out = o.out.empty() ? RunFolder::default_path(name + "-tune") : o.out;
    const RunFolderLock lock = RunFolderLock::create_and_take(out, RunFolderLock::Writer::results);
    const std::string winner_ckpt = out + "/tune_winner.ckpt";
    std::fprintf(
        stderr,
        "tuning %s: %zu trial%s (%s of a grid of %zu), %lld training and %lld validation samples, ranked by %s, "
        "seed %llu; the test set is not used until the end\n",
        name.c_str(), trials.size(), trials.size() == 1 ? "" : "s",
        trials.size() < grid_size ? "a random sample" : "all", grid_size, (long long)data.train->size(),
        (long long)data.val->size(), metric.c_str(), (unsigned long long)seed);

    const Trial* best = nullptr;
    for (Trial& t : trials) {
        run_trial(search, t);
        if (t.note.empty() && (!best || better(t, *best, by_accuracy))) {
            best = &t;
            session.lib().check(session.lib().nnc_model_save(session.model(), winner_ckpt.c_str()),
                                "saving the winner's weights");
        }
    }
    std::vector<Trial> ranked = trials;
    std::sort(ranked.begin(), ranked.end(), [&](const Trial& a, const Trial& b) { return better(a, b, by_accuracy); });
    for (size_t i = 0; i < ranked.size(); ++i) ranked[i].rank = static_cast<int>(i + 1);
    json summary = {
        {"metric", metric},
        {"winner", ranked.empty() || !ranked.front().note.empty() ? json(nullptr) : to_json(ranked.front())},
        {"test_loss", nullptr},
        {"test_accuracy", nullptr},
        {"test_evaluated", false},
        {"grid_size", grid_size},
        {"trials", write_ranking(ranked, out)},
        {"seed", seed}};
    const int status = report_winner(search, ranked, best != nullptr, metric, winner_ckpt, summary);
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
    add_tuning_input_options(*c, o.input, DataUse::training);
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
                  "starts from its defaults in a .nn file's train section, so sgd has momentum 0.9; default: the "
                  "model's)");
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

int run_tune(const TuneOptions& o, const ModelCompiler& compiler) {
    return run_reporting_errors("nnc tune", 1, [&] { return tune(o, compiler); });
}

}  // namespace nnc::driver
