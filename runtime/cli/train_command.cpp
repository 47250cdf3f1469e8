// nnc train: trains a model library (or a .nn file, compiled first) on IDX data — Fashion-MNIST
// by default — or on CSV/.npy files, with the model's own training settings, each overridable on
// the command line. Every run writes a run folder (run_folder.h): config.json, metrics.jsonl,
// last.ckpt after every epoch, best.ckpt; Ctrl-C saves last.ckpt at the current batch and exits
// with status 130; `nnc train --resume DIR` continues the run exactly.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>

#include <nnc/train_vocabulary.h>

#include "codegen/driver/commands.h"
#include "runtime/cli/data_commands.h"
#include "runtime/cli/data_loading.h"
#include "runtime/cli/dropout_setting.h"
#include "runtime/cli/live_diagnosis.h"
#include "runtime/cli/loaded_model.h"
#include "runtime/cli/metrics_schema.h"
#include "runtime/cli/progress_bar.h"
#include "runtime/cli/run_config.h"
#include "runtime/cli/run_folder.h"
#include "runtime/cli/training_health.h"

namespace nnc::driver {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Sets `key = text` as a line of a train section would (the same words, rules and messages as in
// a .nn file: nnc_train_config_set, nnc/train_vocabulary.h); cosine's default length is
// config.epochs as set so far.
void set_setting(const LoadedModel& lib, nnc_train_config& config, const std::string& flag, const char* key,
                 const std::string& text) {
    lib.check(lib.nnc_train_config_set(&config, nullptr, key, text.c_str()), "bad " + flag + " '" + text + "'");
}

using Clock = std::chrono::steady_clock;
using nlohmann::json;

volatile sig_atomic_t g_interrupted = 0;
extern "C" void on_sigint(int) { g_interrupted = 1; }

// Ctrl-C during training asks the loop to stop at the next batch (after saving); a second Ctrl-C
// kills the process as usual (SA_RESETHAND). The previous handler comes back afterwards.
class SigintGuard {
public:
    SigintGuard() {
        g_interrupted = 0;
        struct sigaction sa {};
        sa.sa_handler = on_sigint;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND;
        sigaction(SIGINT, &sa, &old_);
    }
    ~SigintGuard() { sigaction(SIGINT, &old_, nullptr); }

private:
    struct sigaction old_ {};
};

// The training callbacks: progress bar, metrics.jsonl, last.ckpt / best.ckpt, Ctrl-C.
struct Run {
    const LoadedModel& lib;
    nnc_model* model;
    RunFolder& folder;
    int64_t metrics_every = 0;
    std::vector<std::string> loss_names;
    ProgressBar bar{stderr};
    Clock::time_point start = Clock::now();
    double wall_before = 0;  // wall time of the run before this process (resume)
    double best_val = INFINITY;
    bool interrupted = false;
    int64_t stopped_epoch = 0, stopped_step = 0;
    std::string error;  // a failure inside a callback, reported after nnc_train returns
    LiveDiagnosis* diagnosis = nullptr;
    TrainingHealth* health = nullptr;

    double wall() const { return wall_before + std::chrono::duration<double>(Clock::now() - start).count(); }
    void save(const std::string& path) { lib.check(lib.nnc_model_save(model, path.c_str()), "saving " + path); }

    int interrupt(int64_t epoch, int64_t step) {
        save(folder.last_checkpoint());
        interrupted = true;
        stopped_epoch = epoch;
        stopped_step = step;
        folder.log(metrics::to_json(metrics::InterruptedLine{epoch, step, wall()}));
        return 1;
    }

    static int on_batch(void* user, const nnc_progress* p) {
        Run& r = *static_cast<Run*>(user);
        r.bar.update(*p);
        try {
            r.diagnosis->on_batch(*p);
            if (r.metrics_every > 0 && p->step % r.metrics_every == 0) {
                r.folder.log(metrics::to_json(metrics::step_line(*p, r.wall())));
            }
            if (g_interrupted) return r.interrupt(p->epoch, p->step);
        } catch (const std::exception& e) {
            r.error = e.what();
            return 1;
        }
        return 0;
    }

    static int on_epoch(void* user, const nnc_epoch_stats* s) {
        Run& r = *static_cast<Run*>(user);
        r.bar.epoch_done(*s);
        if (s->stopping) {
            std::fprintf(stderr, "early stopping: no improvement since epoch %lld; its weights are kept\n",
                         (long long)s->best_epoch);
        } else if (s->best_epoch && s->epoch == s->epochs) {
            std::fprintf(stderr, "early stopping: keeping the weights of epoch %lld, the best\n",
                         (long long)s->best_epoch);
        }
        try {
            metrics::EpochLine line = metrics::epoch_line(*s, r.loss_names, r.wall());
            r.diagnosis->add_probe(line);
            r.health->add_tensors(*s, line);
            r.folder.log(metrics::to_json(line));
            r.diagnosis->on_epoch(*s);
            r.health->on_epoch(*s);
            // Before early stopping restores anything: last.ckpt continues this very run.
            r.save(r.folder.last_checkpoint());
            if (std::isfinite(s->val_loss) && s->val_loss < r.best_val) {
                r.best_val = s->val_loss;
                r.save(r.folder.best_checkpoint());
            }
            if (g_interrupted) return r.interrupt(s->epoch, 0);
        } catch (const std::exception& e) {
            r.error = e.what();
            return 1;
        }
        return 0;
    }

    static int on_rollback(void* user, const nnc_rollback_info* info) {
        Run& r = *static_cast<Run*>(user);
        try {
            r.health->on_rollback(*info, r.wall());
        } catch (const std::exception& e) {
            r.error = e.what();
            return 1;
        }
        return 0;
    }

    // On resume: the best validation loss and the wall time so far, from metrics.jsonl.
    void read_history() {
        const metrics::History h = metrics::read_history(folder.file("metrics.jsonl"));
        wall_before = h.wall_s;
        for (const metrics::EpochLine& e : h.epochs)
            if (std::isfinite(e.val_loss)) best_val = std::min(best_val, e.val_loss);
    }
};

std::string absolute(const std::string& path) { return std::filesystem::absolute(path).lexically_normal().string(); }

const std::string kDefaultData = TrainOptions{}.data_dir;

// --resume takes its settings from config.json; only these may change.
void check_resume_options(const TrainOptions& o) {
    std::vector<std::string> given;
    auto note = [&](bool set, const char* flag) {
        if (set) given.push_back(flag);
    };
    note(!o.model.empty(), "the model");
    note(o.batch.has_value(), "--batch");
    note(o.validation.has_value(), "--validation");
    note(o.limit.has_value(), "--limit");
    note(o.lr.has_value(), "--lr");
    note(o.optimizer.has_value(), "--optimizer");
    note(o.seed.has_value(), "--seed");
    note(o.lr_schedule.has_value(), "--schedule");
    note(o.warmup.has_value(), "--warmup");
    note(o.clip_norm.has_value(), "--clip-norm");
    note(o.clip_value.has_value(), "--clip-value");
    note(o.on_divergence.has_value(), "--on-divergence");
    note(o.early_stopping_patience.has_value(), "--early-stopping-patience");
    note(o.accumulate.has_value(), "--accumulate");
    note(o.dropout.has_value(), "--dropout");
    note(o.data_dir != kDefaultData, "--data");
    note(!o.targets.empty(), "--target");
    note(!o.features.empty(), "--features");
    note(!o.validation_data.empty(), "--validation-data");
    note(!o.validation_targets.empty(), "--validation-target");
    note(o.standardize != "auto", "--standardize");
    note(!o.out.empty(), "--out");
    note(!o.load.empty(), "--load");
    if (!given.empty()) {
        std::string list;
        for (const std::string& g : given) list += (list.empty() ? "" : ", ") + g;
        throw std::runtime_error(
            "--resume continues " + o.resume + " with the settings in its config.json, so it cannot take " + list +
            "; only --epochs (to train longer), --threads, --metrics-every and --save may be given");
    }
}

int train(const TrainOptions& given) {
    TrainOptions o = given;
    const bool resuming = !o.resume.empty();
    std::optional<RunFolder> folder;
    RunConfig saved;
    if (resuming) {
        check_resume_options(o);
        folder.emplace(RunFolder::open(o.resume));
        saved = run_config_from_json(folder->read_config(), folder->file("config.json"));
        o.model = saved.model;
        o.schedule.scheduler = saved.scheduler;
        o.data_dir = saved.data.data_dir;
        o.targets = saved.data.targets;
        o.features = saved.data.features;
        o.validation_data = saved.data.validation_data;
        o.validation_targets = saved.data.validation_targets;
        o.limit = saved.data.limit;
        o.standardize = saved.data.standardize;
    } else if (o.model.empty()) {
        throw std::runtime_error(
            "name the model to train (a .nn file or a compiled .so), or continue a run with --resume DIR");
    }
    if (o.metrics_every < 0) throw std::runtime_error("--metrics-every must be 0 (epochs only) or a number of batches");
    static const char* const kModes[] = {"auto", "none", "inputs", "targets", "both"};
    if (std::find_if(std::begin(kModes), std::end(kModes), [&](const char* m) { return o.standardize == m; }) ==
        std::end(kModes))
        throw std::runtime_error("--standardize must be auto, none, inputs, targets or both, not '" + o.standardize +
                                 "'");

    const std::string library = ends_with(o.model, ".nn") ? compile_to_cache(o.model, o.schedule) : o.model;
    LoadedModel lib(library);
    nnc_model* raw = nullptr;
    lib.check(lib.nnc_model_create(&raw), "creating the model");
    std::unique_ptr<nnc_model, decltype(lib.nnc_model_destroy)> model(raw, lib.nnc_model_destroy);

    nnc_train_config config{};
    nnc_optimizer_config opt{};
    int64_t validation = 0;
    std::string opt_name;
    if (resuming) {
        config = saved.train;
        opt = saved.optimizer;
        opt_name = saved.optimizer_name;
        validation = saved.validation;
        if (o.epochs) config.epochs = *o.epochs;
        if (o.threads) config.threads = *o.threads;
        if (o.epochs || o.threads) {  // the new total is the run's from now on
            saved.train.epochs = config.epochs;
            saved.train.threads = config.threads;
            folder->write_config(to_json(saved));
        }
    } else {
        lib.check(lib.nnc_model_default_train_config(model.get(), &config, &opt, &validation), "reading the defaults");
        if (o.epochs) config.epochs = *o.epochs;
        if (o.batch) config.batch = *o.batch;
        if (o.seed) config.seed = *o.seed;
        if (o.validation) validation = *o.validation;
        opt_name = opt.name ? opt.name : "";
        if (o.optimizer && *o.optimizer != opt_name) {
            // Another optimizer: torch's defaults for it, then the overrides.
            lib.check(lib.nnc_optimizer_defaults(o.optimizer->c_str(), &opt), "choosing the optimizer");
            opt_name = *o.optimizer;
        }
        if (o.lr) opt.lr = *o.lr;
        if (o.lr_schedule) set_setting(lib, config, "--schedule", "schedule", *o.lr_schedule);
        if (o.warmup) {
            if (*o.warmup < 0) throw std::runtime_error("--warmup must be 0 (none) or a number of updates");
            config.schedule.warmup_steps = *o.warmup;
            config.schedule.warmup_epochs = 0;
        }
        if (o.clip_norm) config.clip_norm = *o.clip_norm;
        if (o.clip_value) config.clip_value = *o.clip_value;
        if (o.on_divergence) set_setting(lib, config, "--on-divergence", "on_divergence", *o.on_divergence);
        if (o.accumulate) config.accumulate = *o.accumulate;
        config.augment_crop_pad = o.augment_crop;
        config.augment_flip = o.augment_flip ? 1 : 0;
        if (o.threads) config.threads = *o.threads;
        if (o.early_stopping_patience) {
            if (*o.early_stopping_patience < 0)
                throw std::runtime_error("--early-stopping-patience must be at least 0");
            config.early_stopping.enabled = 1;
            config.early_stopping.patience = *o.early_stopping_patience;
        }
    }
    opt.name = opt_name.c_str();
    // The optimizer first: a checkpoint restores its state only into the same optimizer.
    lib.check(lib.nnc_model_set_optimizer(model.get(), &opt), "setting the optimizer");
    if (resuming) {
        lib.check(lib.nnc_model_load(model.get(), folder->last_checkpoint().c_str()),
                  "loading " + folder->last_checkpoint());
        config.resume = 1;
    } else if (o.load.empty()) {
        lib.check(lib.nnc_model_init(model.get(), config.seed), "initializing");
    } else {
        lib.check(lib.nnc_model_load(model.get(), o.load.c_str()), "loading " + o.load);
    }
    // After the load: a checkpoint brings the rates it was saved with (a resumed run keeps them).
    if (o.dropout) apply_dropout_setting(lib, model.get(), *o.dropout, "--dropout");

    // The data: an IDX folder (its train-* files), a CSV file or .npy files.
    const DataFormat format = data_format(o.data_dir);
    auto all_train =
        load_data(lib, model.get(), DataSpec{o.data_dir, split_list(o.targets), split_list(o.features)}, "train", true);
    int64_t n = all_train->size();
    if (o.limit) {
        if (*o.limit <= 0) throw std::runtime_error("--limit must be positive");
        n = std::min(n, *o.limit);
    }
    std::unique_ptr<Dataset> val_set;
    if (!o.validation_data.empty()) {
        if (o.validation && *o.validation > 0)
            throw std::runtime_error("give --validation N or --validation-data FILE, not both");
        validation = 0;
        const bool npy = data_format(o.validation_data) == DataFormat::npy;
        if (npy && o.validation_targets.empty())
            throw std::runtime_error("--validation-data " + o.validation_data +
                                     " is .npy: name its targets' file(s) with --validation-target");
        val_set = load_data(
            lib, model.get(),
            DataSpec{o.validation_data, split_list(npy ? o.validation_targets : o.targets), split_list(o.features)},
            "t10k", true);
    }
    if (validation < 0 || validation >= n)
        throw std::runtime_error("validation holds out " + std::to_string(validation) + " of " + std::to_string(n) +
                                 " training samples; use --validation with a smaller number");
    auto train_set = slice(lib, *all_train, 0, n - validation);
    if (validation > 0) val_set = slice(lib, *all_train, n - validation, validation);
    std::unique_ptr<Dataset> test;
    if (format == DataFormat::idx) test = load_data(lib, model.get(), DataSpec{o.data_dir, {}, {}}, "t10k", true);

    // Standardization, fitted on the training split only (a resumed run has it from last.ckpt).
    if (!resuming) {
        const std::string& z = o.standardize;
        const bool csv_or_npy = format != DataFormat::idx;
        const bool inputs = z == "inputs" || z == "both" || (z == "auto" && csv_or_npy);
        const bool targets = z == "targets" || z == "both" || (z == "auto" && csv_or_npy);
        if (inputs || targets)
            lib.check(lib.nnc_model_fit_standardization(model.get(), train_set->ptr, inputs, targets), "standardizing");
    }

    const std::string name = lib.nnc_model_name(model.get());
    if (!resuming) {
        folder.emplace(RunFolder::create(o.out.empty() ? RunFolder::default_path(name) : o.out));
        RunConfig rc;
        rc.model = absolute(o.model);
        rc.scheduler = o.schedule.scheduler;
        rc.data = o;
        for (std::string* path : {&rc.data.data_dir, &rc.data.validation_data})
            if (!path->empty()) *path = absolute(*path);
        if (format == DataFormat::npy) {
            std::string targets;
            for (const std::string& t : split_list(o.targets)) targets += (targets.empty() ? "" : ",") + absolute(t);
            rc.data.targets = targets;
        }
        if (!o.validation_targets.empty()) {
            std::string targets;
            for (const std::string& t : split_list(o.validation_targets))
                targets += (targets.empty() ? "" : ",") + absolute(t);
            rc.data.validation_targets = targets;
        }
        rc.validation = validation;
        rc.train = config;
        rc.optimizer = opt;
        rc.optimizer_name = opt_name;
        for (const auto& [layer, rate] : dropout_record(lib, model.get())) rc.dropout[layer] = rate;
        folder->write_config(to_json(rc));
    }

    const int64_t train_count = train_set->size(), val_count = val_set ? val_set->size() : 0;
    const std::string held = validation > 0 ? " held out for validation"
                             : val_set      ? " for validation, from " + o.validation_data
                                            : " for validation";
    std::fprintf(stderr, "%s %s: %lld samples (%lld%s), %s lr=%g, batch %lld, %lld epochs, seed %llu\n",
                 resuming ? "resuming" : "training", name.c_str(), (long long)train_count, (long long)val_count,
                 held.c_str(), opt.name, opt.lr, (long long)config.batch, (long long)config.epochs,
                 (unsigned long long)config.seed);
    std::fprintf(stderr, "  run folder %s\n", folder->path().c_str());
    const int z = lib.nnc_model_standardization(model.get());
    if (z) std::fprintf(stderr, "  standardized:%s%s\n", z & 1 ? " inputs" : "", z & 2 ? " regression targets" : "");
    if (lib.nnc_model_num_dropouts(model.get()) > 0)
        std::fprintf(stderr, "  dropout: %s\n", dropout_summary(lib, model.get()).c_str());
    if (config.accumulate > 1)
        std::fprintf(stderr, "  accumulating %lld batches per update (effective batch %lld)\n",
                     (long long)config.accumulate, (long long)(config.accumulate * config.batch));
    if (config.clip_norm > 0 || config.clip_value > 0)
        std::fprintf(stderr, "  clipping gradients: norm %g, value %g (0: off)\n", config.clip_norm, config.clip_value);
    if (config.on_divergence == NNC_DIVERGENCE_ROLLBACK)
        std::fprintf(stderr, "  on divergence: roll back the epoch with the lr times %g, at most %d times\n",
                     config.divergence_factor > 0 ? config.divergence_factor : 0.3,
                     config.divergence_retries > 0 ? config.divergence_retries : 3);
    if (config.early_stopping.enabled)
        std::fprintf(stderr, "  early stopping on %s, patience %lld\n",
                     vocab::monitor_name(config.early_stopping.monitor), (long long)config.early_stopping.patience);

    Run run{lib, model.get(), *folder};
    run.metrics_every = o.metrics_every;
    for (int l = 0; l < lib.nnc_model_num_losses(model.get()); ++l) {
        const char* loss_name = nullptr;
        double weight = 0;
        int target = 0;
        int64_t size = 0;
        lib.check(lib.nnc_model_loss_info(model.get(), l, &loss_name, &weight, &target, &size), "reading the losses");
        run.loss_names.emplace_back(loss_name);
    }
    if (resuming) {
        run.read_history();
        folder->log(metrics::to_json(metrics::ResumeLine{config.epochs, run.wall_before}));
    }
    LiveDiagnosis diagnosis(lib, model.get(), *folder, !o.no_diagnostics);
    diagnosis.prepare(*train_set, val_set.get(), resuming, config.early_stopping.enabled != 0);
    run.diagnosis = &diagnosis;
    TrainingHealth health(lib, model.get(), *folder, !o.no_diagnostics, resuming);
    run.health = &health;
    config.on_rollback = &Run::on_rollback;
    config.on_batch = &Run::on_batch;
    config.on_epoch = &Run::on_epoch;
    config.user = &run;
    {
        SigintGuard guard;
        lib.check(lib.nnc_train(model.get(), train_set->ptr, val_set ? val_set->ptr : nullptr, &config), "training");
    }
    if (!run.error.empty()) throw std::runtime_error(run.error);
    if (run.interrupted) {
        std::fprintf(stderr, "\ninterrupted in epoch %lld%s: saved %s\ncontinue with: nnc train --resume %s\n",
                     (long long)run.stopped_epoch,
                     run.stopped_step ? (" after batch " + std::to_string(run.stopped_step)).c_str() : " (at its end)",
                     folder->last_checkpoint().c_str(), folder->path().c_str());
        return 130;
    }
    diagnosis.finish();

    if (test) {
        double loss = NAN, acc = NAN;
        lib.check(lib.nnc_evaluate(model.get(), test->ptr, 256, &loss, &acc), "evaluating on the test set");
        std::printf("test loss %.4f  test accuracy %.4f\n", loss, acc);
    }
    if (!o.save.empty()) {
        lib.check(lib.nnc_model_save(model.get(), o.save.c_str()), "saving " + o.save);
        std::fprintf(stderr, "saved the trained parameters to %s\n", o.save.c_str());
    }
    std::fprintf(stderr, "run folder: %s (last.ckpt%s, metrics.jsonl, config.json)\n", folder->path().c_str(),
                 std::filesystem::exists(folder->best_checkpoint()) ? ", best.ckpt" : "");
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

namespace nnc::driver {

void add_train_data_options(CLI::App& tr, TrainOptions& o) {
    tr.add_option(
        "--target", o.targets,
        "CSV: the target column name(s), comma-separated, in the model's target order (a class target is one column "
        "of whole numbers, a real target one column per value); .npy: the targets' .npy file(s), one per target");
    tr.add_option("--features", o.features,
                  "CSV: the input columns, comma-separated, in order (default: every column that is not a target)");
    tr.add_option(
        "--validation-data", o.validation_data,
        "a separate validation set (.csv, .npy or an IDX folder, whose t10k files are used) instead of --validation N");
    tr.add_option("--validation-target", o.validation_targets,
                  "the validation targets' .npy file(s), when --validation-data is .npy");
    tr.add_option("--standardize", o.standardize,
                  "auto (default: inputs and regression targets for CSV/.npy data, nothing for IDX), none, inputs, "
                  "targets or both; "
                  "fitted on the training split, saved in the checkpoints, undone by nnc predict");
    tr.add_option(
        "--out", o.out,
        "the run folder (default runs/<model>-<YYYYmmdd-HHMMSS>): config.json, metrics.jsonl, last.ckpt, best.ckpt");
    tr.add_option(
        "--resume", o.resume,
        "continue the run in this folder exactly where it stopped (its config.json and last.ckpt); --epochs may raise "
        "the total");
    tr.add_option("--metrics-every", o.metrics_every,
                  "batches between step lines in metrics.jsonl (default 50; 0: epochs only)");
    tr.add_flag("--no-diagnostics", o.no_diagnostics,
                "no diagnoses during training (sharpening probe, overfitting, loss-curve shape, ...): nothing measured "
                "or printed");
}

}  // namespace nnc::driver
