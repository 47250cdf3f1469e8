// nnc train: trains a model library (or a .nn file, compiled first) on IDX data — Fashion-MNIST
// by default — or on CSV/.npy files, with the model's own training settings, each overridable on
// the command line. Every run writes a run folder (run_folder.h): config.json, metrics.jsonl,
// last.ckpt after every epoch, best.ckpt; Ctrl-C, SIGTERM or SIGHUP saves last.ckpt at the current
// batch and exits with status 130, 143 or 129; `nnc train --resume DIR` continues the run exactly.
// Everything is checked before the run folder is created or written (a refused command leaves the
// disk as it found it), and the folder is locked for the run's life.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>

#include <nnc/train_vocabulary.h>

#include "runtime/cli/counted.h"
#include "runtime/cli/data_loading.h"
#include "runtime/cli/diagnostics/best_epoch.h"
#include "runtime/cli/diagnostics/lr_verdict.h"
#include "runtime/cli/dropout_setting.h"
#include "runtime/cli/live_diagnosis.h"
#include "runtime/cli/loaded_model.h"
#include "runtime/cli/metrics_schema.h"
#include "runtime/cli/progress_bar.h"
#include "runtime/cli/run_config.h"
#include "runtime/cli/run_folder.h"
#include "runtime/cli/session.h"
#include "runtime/cli/train_command.h"
#include "runtime/cli/trained_model.h"
#include "runtime/cli/training_health.h"

namespace nnc::driver {
namespace {

// Sets `key = text` as a line of a train section would (the same words, rules and messages as in
// a .nn file: nnc_train_config_set, nnc/train_vocabulary.h); cosine's default length is
// config.epochs as set so far.
void set_setting(const LoadedModel& lib, nnc_train_config& config, const std::string& flag, const char* key,
                 const std::string& text) {
    lib.check(lib.nnc_train_config_set(&config, nullptr, key, text.c_str()), "bad " + flag + " '" + text + "'");
}

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// The signal that asked training to stop (0: none).
volatile sig_atomic_t g_interrupted = 0;
extern "C" void on_stop_signal(int signal) { g_interrupted = signal; }

// Ctrl-C (SIGINT), and SIGTERM and SIGHUP as `timeout`, `docker stop`, job schedulers and a closed
// terminal send them, ask the loop to stop at the next batch after saving last.ckpt; a second one
// kills the process as usual (SA_RESETHAND). The previous handlers come back afterwards.
class StopSignalGuard {
public:
    static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
    StopSignalGuard() {
        g_interrupted = 0;
        struct sigaction sa {};
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND;
        for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &sa, &old_[i]);
    }
    ~StopSignalGuard() {
        for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &old_[i], nullptr);
    }

private:
    struct sigaction old_[std::size(kSignals)]{};
};

const char* signal_name(int signal) {
    switch (signal) {
        case SIGINT: return "SIGINT";
        case SIGTERM: return "SIGTERM";
        case SIGHUP: return "SIGHUP";
        default: return "a signal";
    }
}

// The training callbacks: progress bar, metrics.jsonl, last.ckpt / best.ckpt, a stop signal.
struct Run {
    Run(const LoadedModel& lib_, nnc_model* model_, RunFolder& folder_) : lib(lib_), model(model_), folder(folder_) {}
    const LoadedModel& lib;
    nnc_model* model;
    RunFolder& folder;
    int64_t metrics_every = 0;
    std::vector<std::string> loss_names;
    ProgressBar bar{stderr};
    Clock::time_point start = Clock::now();
    double wall_before = 0;  // wall time of the run before this process (resume)
    // best.ckpt: early stopping's best epoch when it is on, else the lowest validation loss's (best_epoch.h).
    diagnostics::BestEpoch best;
    int interrupted = 0;  // the stop signal that was handled
    int64_t stopped_epoch = 0, stopped_step = 0;
    std::string error;  // a failure inside a callback, reported after nnc_train returns
    LiveDiagnosis* diagnosis = nullptr;
    TrainingHealth* health = nullptr;

    double wall() const { return wall_before + std::chrono::duration<double>(Clock::now() - start).count(); }
    void save(const std::string& path) { lib.check(lib.nnc_model_save(model, path.c_str()), "saving " + path); }

    // best.ckpt, written when epoch s is the best (best_epoch.h), is logged so that the folder says
    // which epoch it holds.
    const nnc_early_stopping* early_stopping = nullptr;
    bool stopping() const { return early_stopping && early_stopping->enabled; }
    void save_best(const nnc_epoch_stats& s) {
        save(folder.best_checkpoint());
        metrics::CheckpointLine line;
        line.file = "best.ckpt";
        line.epoch = s.epoch;
        const int monitor = stopping() ? early_stopping->monitor : NNC_MONITOR_VAL_LOSS;
        line.monitor = vocab::monitor_name(monitor);
        line.value = monitor == NNC_MONITOR_VAL_ACCURACY ? s.val_accuracy
                     : monitor == NNC_MONITOR_TRAIN_LOSS ? s.train_loss
                                                         : s.val_loss;
        line.wall_s = wall();
        folder.log(metrics::to_json(line));
    }

    int interrupt(int64_t epoch, int64_t step) {
        save(folder.last_checkpoint());
        interrupted = g_interrupted;
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
        r.bar.epoch_done(*s, r.loss_names);
        if (s->stopping) {
            std::fprintf(stderr, "early stopping: no improvement since epoch %lld; its weights are kept\n",
                         (long long)s->best_epoch);
        } else if (s->best_epoch && s->epoch == s->epochs) {
            std::fprintf(stderr, "early stopping: keeping the weights of epoch %lld, the best\n",
                         (long long)s->best_epoch);
        }
        try {
            const bool improved = r.stopping() ? s->best_epoch == s->epoch : r.best.observe(s->epoch, s->val_loss);
            const int64_t best_epoch = r.stopping() ? s->best_epoch : r.best.epoch();
            metrics::EpochLine line = metrics::epoch_line(*s, r.loss_names, r.wall());
            line.best_epoch = best_epoch;
            r.diagnosis->add_probe(line);
            r.health->add_tensors(*s, line);
            r.folder.log(metrics::to_json(line));
            r.diagnosis->on_epoch(*s, best_epoch);
            r.health->on_epoch(*s);
            // Before early stopping restores anything: last.ckpt continues this very run.
            r.save(r.folder.last_checkpoint());
            if (improved) r.save_best(*s);
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

    // On resume: the best epoch and the wall time so far, from metrics.jsonl.
    void read_history() {
        const metrics::History h = metrics::read_history(folder.file("metrics.jsonl"));
        wall_before = h.wall_s;
        for (const metrics::EpochLine& e : h.epochs) best.observe(e.epoch, e.val_loss);
    }
};

std::string absolute(const std::string& path) { return std::filesystem::absolute(path).lexically_normal().string(); }

// "a.npy, b.npy" -> "/abs/a.npy,/abs/b.npy"
std::string absolute_list(const std::string& list) {
    std::string out;
    for (const std::string& item : split_paths(list)) out += (out.empty() ? "" : ",") + absolute(item);
    return out;
}

const std::string kDefaultData = DataOptions{}.path;

// --resume takes its settings from config.json; only these may change.
void check_resume_options(const TrainOptions& o) {
    std::vector<std::string> given;
    auto note = [&](bool set, const char* flag) {
        if (set) given.push_back(flag);
    };
    note(!o.model.empty(), "the model");
    note(o.batch.has_value(), "--batch");
    note(o.validation.has_value(), "--validation");
    note(o.data.limit.has_value(), "--limit");
    note(o.lr.has_value(), "--lr");
    note(o.momentum.has_value(), "--momentum");
    note(o.weight_decay.has_value(), "--weight-decay");
    note(o.optimizer.has_value(), "--optimizer");
    note(o.seed.has_value(), "--seed");
    note(o.lr_schedule.has_value(), "--schedule");
    note(o.warmup.has_value(), "--warmup");
    note(o.clip_norm.has_value(), "--clip-norm");
    note(o.clip_value.has_value(), "--clip-value");
    note(o.on_divergence.has_value(), "--on-divergence");
    note(o.early_stopping.has_value(), "--early-stopping");
    note(o.early_stopping_patience.has_value(), "--early-stopping-patience");
    note(o.accumulate.has_value(), "--accumulate");
    note(o.dropout.has_value(), "--dropout");
    note(o.data.path != kDefaultData, "--data");
    note(!o.data.targets.empty(), "--target");
    note(!o.data.features.empty(), "--features");
    note(!o.data.validation_data.empty(), "--validation-data");
    note(!o.data.validation_targets.empty(), "--validation-target");
    note(o.data.standardize != "auto", "--standardize");
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

// The run to start or continue: the options (a resumed run's come from its config.json) and, when
// resuming, its folder.
struct Start {
    explicit Start(const TrainOptions& given) : o(given) {}
    TrainOptions o;
    bool resuming = false;
    std::optional<RunFolder> folder;
    RunConfig saved;
};

Start begin(const TrainOptions& given) {
    Start start{given};
    TrainOptions& o = start.o;
    start.resuming = !o.resume.empty();
    if (start.resuming) {
        check_resume_options(o);
        start.folder.emplace(RunFolder::open(o.resume));
        start.saved = run_config_from_json(start.folder->read_config(), start.folder->file("config.json"));
        o.model = start.saved.model;
        o.compile.scheduler = start.saved.scheduler;
        o.data = start.saved.data;
    } else if (o.model.empty()) {
        throw std::runtime_error(
            "name the model to train (a .nn file or a compiled .so), or continue a run with --resume DIR");
    } else if (!o.out.empty()) {
        RunFolder::check_unused(o.out);  // before anything is compiled or loaded
    }
    if (o.metrics_every < 0) throw std::runtime_error("--metrics-every must be 0 (epochs only) or a number of batches");
    return start;
}

// What the run trains with. opt.name is set to opt_name's text where the settings are used.
struct Settings {
    nnc_train_config config{};
    nnc_optimizer_config opt{};
    std::string opt_name;
    int64_t validation = 0;  // training samples held out
};

// The optimizer as --optimizer names it (a name means what `optimizer = NAME` means in a .nn
// file), then --lr, --momentum and --weight-decay (their ranges were checked as they were parsed).
void set_optimizer(const Session& session, const TrainOptions& o, Settings& s) {
    nnc_optimizer_config& opt = s.opt;
    if (o.optimizer && o.optimizer->find('(') != std::string::npos) {
        nnc_train_config unused{};
        session.lib().check(session.lib().nnc_train_config_set(&unused, &opt, "optimizer", o.optimizer->c_str()),
                            "bad --optimizer '" + *o.optimizer + "'");
        s.opt_name = opt.name;
    } else {
        s.opt_name = o.optimizer.value_or(session.optimizer_name());
        opt = session.optimizer_settings(s.opt_name);
    }
    if (o.lr) opt.lr = *o.lr;
    if (o.momentum) {
        if (!vocab::optimizer_has(s.opt_name, "momentum"))
            throw std::runtime_error("--momentum: " + s.opt_name +
                                     " has no momentum; sgd and rmsprop have one (--optimizer sgd)");
        opt.momentum = *o.momentum;
    }
    if (o.weight_decay) opt.weight_decay = *o.weight_decay;
}

// A resumed run's settings are its config.json's (with a new --epochs or --threads, which
// write_run_config saves there); a new run's are the train section's, with the command line's
// overrides.
Settings settings_for(const Session& session, Start& start) {
    const TrainOptions& o = start.o;
    Settings s;
    nnc_train_config& config = s.config;
    nnc_optimizer_config& opt = s.opt;
    if (start.resuming) {
        RunConfig& saved = start.saved;
        config = saved.train;
        opt = saved.optimizer;
        s.opt_name = saved.optimizer_name;
        s.validation = saved.validation;
        if (o.epochs) config.epochs = *o.epochs;
        if (o.threads) config.threads = *o.threads;
    } else {
        config = session.defaults();
        s.validation = o.validation.value_or(session.held_out());
        if (o.epochs) config.epochs = *o.epochs;
        if (o.batch) config.batch = *o.batch;
        if (o.seed) config.seed = *o.seed;
        set_optimizer(session, o, s);
        if (o.lr_schedule) set_setting(session.lib(), config, "--schedule", "schedule", *o.lr_schedule);
        if (o.warmup && *o.warmup == "0") {
            config.schedule.warmup_steps = config.schedule.warmup_epochs = 0;
        } else if (o.warmup) {
            set_setting(session.lib(), config, "--warmup", "warmup", *o.warmup);
        }
        if (o.clip_norm) config.clip_norm = *o.clip_norm;
        if (o.clip_value) config.clip_value = *o.clip_value;
        if (o.on_divergence) set_setting(session.lib(), config, "--on-divergence", "on_divergence", *o.on_divergence);
        if (o.accumulate) config.accumulate = *o.accumulate;
        config.augment_crop_pad = o.augment_crop;
        config.augment_flip = o.augment_flip ? 1 : 0;
        if (o.threads) config.threads = *o.threads;
        if (o.early_stopping)
            set_setting(session.lib(), config, "--early-stopping", "early_stopping", *o.early_stopping);
        if (o.early_stopping_patience) {
            if (*o.early_stopping_patience < 0)
                throw std::runtime_error("--early-stopping-patience must be at least 0");
            config.early_stopping.enabled = 1;
            config.early_stopping.patience = *o.early_stopping_patience;
        }
    }
    return s;
}

// The optimizer first: a checkpoint restores its state only into the same optimizer. Then the
// weights: last.ckpt when resuming, --load, or initialized from the seed.
void start_weights(const Session& session, const Start& start, Settings& s) {
    session.set_optimizer(s.opt);
    // As the model holds it, every field settled (the same for `--optimizer sgd` as for a file's
    // `optimizer = sgd`): config.json records that.
    session.lib().check(session.lib().nnc_model_get_optimizer(session.model(), &s.opt), "reading the optimizer");
    s.opt.name = s.opt_name.c_str();
    if (start.resuming) {
        session.load_weights(start.folder->last_checkpoint());
        s.config.resume = 1;
    } else if (start.o.load.empty()) {
        session.init(s.config.seed);
    } else {
        session.load_weights(start.o.load);
    }
    // After the load: a checkpoint brings the rates it was saved with (a resumed run keeps them).
    if (start.o.dropout) apply_dropout_setting(session.lib(), session.model(), *start.o.dropout, "--dropout");
}

struct TrainData {
    std::unique_ptr<Dataset> train, validation, test;  // validation, test: null when there are none
};

// The training split, the validation set (held out of it, or --validation-data) and, for an IDX
// folder, its t10k files as the test set. A validation file sets `validation` (held out) to 0.
TrainData load_train_data(const Session& session, const TrainOptions& o, int64_t& validation) {
    const bool validation_file = !o.data.validation_data.empty();
    if (validation_file) {
        if (o.validation && *o.validation > 0)
            throw std::runtime_error("give --validation N or --validation-data FILE, not both");
        validation = 0;
    }
    Session::Split split = session.split_training_data(validation);
    TrainData d;
    d.train = std::move(split.train);
    d.validation = validation_file ? session.validation_file() : std::move(split.validation);
    if (data_format(o.data.path) == DataFormat::idx)
        d.test = session.evaluation_data(o.data.path, "", "--data", "--target");
    return d;
}

// A new run's config.json: every setting, paths made absolute, so --resume can continue it.
RunConfig new_run_config(const Session& session, const TrainOptions& o, const Settings& s) {
    RunConfig rc;
    rc.model = absolute(o.model);
    rc.scheduler = o.compile.scheduler;
    rc.data = o.data;
    for (std::string* path : {&rc.data.path, &rc.data.validation_data})
        if (!path->empty()) *path = absolute(*path);
    if (data_format(o.data.path) == DataFormat::npy) rc.data.targets = absolute_list(o.data.targets);
    if (!o.data.validation_targets.empty()) rc.data.validation_targets = absolute_list(o.data.validation_targets);
    rc.validation = s.validation;
    rc.train = s.config;
    rc.optimizer = s.opt;
    rc.optimizer_name = s.opt_name;
    for (const auto& [layer, rate] : dropout_record(session.lib(), session.model())) rc.dropout[layer] = rate;
    return rc;
}

// The first writes, once every check has passed (a refused command leaves the disk as it found
// it): a new run's folder, created and locked, with its config.json; a resumed run's folder (locked
// since begin) cleared of dead writers' temporaries, with a new --epochs or --threads saved in its
// config.json as the run's from now on.
void write_run_config(const Session& session, Start& start, const Settings& s) {
    const TrainOptions& o = start.o;
    if (!start.resuming) {
        start.folder.emplace(RunFolder::create(o.out.empty() ? RunFolder::default_path(session.name()) : o.out));
        start.folder->write_config(to_json(new_run_config(session, o, s)));
        return;
    }
    start.folder->remove_dead_temporaries();
    if (o.epochs || o.threads) {
        start.saved.train.epochs = s.config.epochs;
        start.saved.train.threads = s.config.threads;
        start.folder->write_config(to_json(start.saved));
    }
}

void print_start(const Session& session, const Start& start, const Settings& s, const TrainData& d) {
    const LoadedModel& lib = session.lib();
    const nnc_train_config& config = s.config;
    const int64_t train_count = d.train->size(), val_count = d.validation ? d.validation->size() : 0;
    const std::string held = s.validation > 0 ? " held out for validation"
                             : d.validation   ? " for validation, from " + start.o.data.validation_data
                                              : " for validation";
    // Momentum and weight decay too where they act: `--optimizer sgd` shows its 0.9.
    std::string extra;
    if (vocab::optimizer_has(s.opt_name, "momentum")) extra += " momentum=" + vocab::show_number(s.opt.momentum);
    if (s.opt.weight_decay > 0) extra += " weight_decay=" + vocab::show_number(s.opt.weight_decay);
    std::fprintf(stderr, "%s %s: %s (%lld%s), %s lr=%g%s, batch %lld, %s, seed %llu\n",
                 start.resuming ? "resuming" : "training", session.name().c_str(),
                 counted(train_count, "sample").c_str(), (long long)val_count, held.c_str(), s.opt.name, s.opt.lr,
                 extra.c_str(), (long long)config.batch, counted(config.epochs, "epoch").c_str(),
                 (unsigned long long)config.seed);
    std::fprintf(stderr, "  run folder %s\n", start.folder->path().c_str());
    const int z = lib.nnc_model_standardization(session.model());
    if (z) std::fprintf(stderr, "  standardized:%s%s\n", z & 1 ? " inputs" : "", z & 2 ? " regression targets" : "");
    if (lib.nnc_model_num_dropouts(session.model()) > 0)
        std::fprintf(stderr, "  dropout: %s\n", dropout_summary(lib, session.model()).c_str());
    if (config.accumulate > 1)
        std::fprintf(stderr, "  accumulating %lld batches per update (effective batch %lld)\n",
                     (long long)config.accumulate, (long long)(config.accumulate * config.batch));
    if (config.clip_norm > 0 || config.clip_value > 0)
        std::fprintf(stderr, "  clipping gradients: norm %g, value %g (0: off)\n", config.clip_norm, config.clip_value);
    if (config.on_divergence == NNC_DIVERGENCE_ROLLBACK)
        std::fprintf(stderr, "  on divergence: roll back the epoch with the lr times %g, at most %s\n",
                     config.divergence_factor > 0 ? config.divergence_factor : 0.3,
                     counted(config.divergence_retries > 0 ? config.divergence_retries : 3, "time").c_str());
    if (config.early_stopping.enabled)
        std::fprintf(stderr, "  early stopping on %s, patience %lld\n",
                     vocab::monitor_name(config.early_stopping.monitor), (long long)config.early_stopping.patience);
}

// The loop itself, with the progress bar, metrics.jsonl, checkpoints, diagnoses and Ctrl-C.
// Returns 128 + the signal when a stop signal ended it (last.ckpt saved: 130 for Ctrl-C, 143 for
// SIGTERM, 129 for SIGHUP, as a shell reports a process the signal killed), else 0.
int run_training(const Session& session, const Start& start, Settings& s, const TrainData& d, RunFolder& folder) {
    const LoadedModel& lib = session.lib();
    nnc_model* model = session.model();
    nnc_train_config& config = s.config;
    Run run{lib, model, folder};
    run.metrics_every = start.o.metrics_every;
    for (int l = 0; l < lib.nnc_model_num_losses(model); ++l) {
        const char* loss_name = nullptr;
        double weight = 0;
        int target = 0;
        int64_t size = 0;
        lib.check(lib.nnc_model_loss_info(model, l, &loss_name, &weight, &target, &size), "reading the losses");
        run.loss_names.emplace_back(loss_name);
    }
    if (start.resuming) {
        run.read_history();
        folder.log(metrics::to_json(metrics::ResumeLine{config.epochs, run.wall_before}));
    }
    diagnostics::LrVerdict lr;  // the run's readings of the lr, one verdict at its end
    LiveDiagnosis diagnosis(lib, model, folder, !start.o.no_diagnostics, lr);
    diagnosis.prepare(*d.train, d.validation.get(), start.resuming, config.early_stopping.enabled != 0);
    run.diagnosis = &diagnosis;
    TrainingHealth health(lib, model, folder, !start.o.no_diagnostics, start.resuming, lr);
    run.health = &health;
    config.on_rollback = &Run::on_rollback;
    config.on_batch = &Run::on_batch;
    config.on_epoch = &Run::on_epoch;
    config.user = &run;
    run.early_stopping = &config.early_stopping;
    {
        StopSignalGuard guard;
        lib.check(lib.nnc_train(model, d.train->ptr, d.validation ? d.validation->ptr : nullptr, &config), "training");
    }
    if (!run.error.empty()) throw std::runtime_error(run.error);
    if (run.interrupted) {
        std::fprintf(stderr, "\ninterrupted (%s) in epoch %lld%s: saved %s\ncontinue with: nnc train --resume %s\n",
                     signal_name(run.interrupted), (long long)run.stopped_epoch,
                     run.stopped_step ? (" after batch " + std::to_string(run.stopped_step)).c_str() : " (at its end)",
                     folder.last_checkpoint().c_str(), folder.path().c_str());
        return 128 + run.interrupted;
    }
    diagnosis.finish();
    return 0;
}

// After training: the test set (an IDX folder's t10k files), --save, and where everything is.
void finish(const Session& session, const TrainOptions& o, const TrainData& d, const RunFolder& folder) {
    const LoadedModel& lib = session.lib();
    if (d.test) {
        double loss = NAN, acc = NAN;
        lib.check(lib.nnc_evaluate(session.model(), d.test->ptr, 256, &loss, &acc), "evaluating on the test set");
        std::printf("test loss %.4f  test accuracy %.4f\n", loss, acc);
    }
    if (!o.save.empty()) {
        lib.check(lib.nnc_model_save(session.model(), o.save.c_str()), "saving " + o.save);
        std::fprintf(stderr, "saved the trained parameters to %s\n", o.save.c_str());
    }
    std::fprintf(stderr, "run folder: %s (config.json, metrics.jsonl)\n", folder.path().c_str());
    for (const std::string& ckpt : {folder.best_checkpoint(), folder.last_checkpoint()}) {
        if (!std::filesystem::exists(ckpt)) continue;
        const std::string holds = checkpoint_contents(folder.path(), ckpt);
        std::fprintf(stderr, "  %s%s\n", ckpt.c_str(), holds.empty() ? "" : (": " + holds).c_str());
    }
    std::fprintf(stderr, "evaluate it with: nnc eval %s --data ... (%s)\n", folder.path().c_str(),
                 std::filesystem::exists(folder.best_checkpoint()) ? "best.ckpt" : "last.ckpt");
}

int train(const TrainOptions& given, const ModelCompiler& compiler) {
    Start start = begin(given);
    const TrainOptions& o = start.o;
    const Session session(o.model, compiler, o.data, o.compile);
    Settings s = settings_for(session, start);
    s.opt.name = s.opt_name.c_str();
    start_weights(session, start, s);
    const TrainData d = load_train_data(session, o, s.validation);
    // Standardization, fitted on the training split only (a resumed run has it from last.ckpt).
    if (!start.resuming) session.standardize(*d.train);
    // Every check training makes (the settings against the model and the data, the labels, a
    // resumed run against its settings) before anything is written.
    session.lib().check(session.lib().nnc_train_check(session.model(), d.train->ptr,
                                                      d.validation ? d.validation->ptr : nullptr, &s.config),
                        "training");
    write_run_config(session, start, s);
    print_start(session, start, s, d);
    const int status = run_training(session, start, s, d, *start.folder);
    if (status == 0) finish(session, o, d, *start.folder);
    return status;
}

}  // namespace

int run_train(const TrainOptions& o, const ModelCompiler& compiler) {
    try {
        return train(o, compiler);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nnc train: error: %s\n", e.what());
        return 1;
    }
}

}  // namespace nnc::driver
