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
#include "dsl/lexer.h"
#include "dsl/parser.h"
#include "dsl/train_config.h"

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

// Checks `key = text` as a line of a train section, with the same rules and messages as in a
// .nn file, and returns the resulting settings (cosine's default length: `epochs`); throws with
// the rendered diagnostics.
dsl::TrainConfig parse_setting(const std::string& flag, const std::string& key, const std::string& text, int64_t epochs) {
    const dsl::SourceFile file(flag, "model cli {\n  train {\n    " + key + " = " + text + "\n    epochs = " +
                                         std::to_string(epochs) + "\n  }\n}\n");
    dsl::Diagnostics diags;
    const auto tokens = dsl::lex(file, diags);
    const dsl::ast::File ast = dsl::parse(tokens, file, diags);
    dsl::TrainConfig config;
    for (const auto& model : ast.models) {
        for (const auto& stmt : model.stmts) {
            if (stmt.kind == dsl::ast::Stmt::Kind::Train) config = dsl::check_train(stmt, file, diags);
        }
    }
    if (diags.has_errors()) throw std::runtime_error("bad " + flag + " '" + text + "':\n" + diags.render());
    return config;
}

int monitor_of(const std::string& name) {
    return name == "val_accuracy" ? NNC_MONITOR_VAL_ACCURACY : name == "train_loss" ? NNC_MONITOR_TRAIN_LOSS : NNC_MONITOR_VAL_LOSS;
}

int mode_of(const std::string& name) { return name == "min" ? NNC_MODE_MIN : name == "max" ? NNC_MODE_MAX : NNC_MODE_AUTO; }

// The ABI form of a checked schedule; warm-up is kept from `into`.
void set_schedule(const dsl::ScheduleConfig& s, nnc_lr_schedule& into) {
    static const std::pair<const char*, int> kinds[] = {
        {"constant", NNC_SCHEDULE_CONSTANT}, {"step", NNC_SCHEDULE_STEP},     {"multistep", NNC_SCHEDULE_MULTISTEP},
        {"exponential", NNC_SCHEDULE_EXPONENTIAL}, {"cosine", NNC_SCHEDULE_COSINE}, {"reduce_on_plateau", NNC_SCHEDULE_PLATEAU}};
    nnc_lr_schedule out{};
    for (const auto& [name, kind] : kinds)
        if (s.kind == name) out.kind = kind;
    out.factor = s.factor;
    out.every = s.every;
    out.num_milestones = static_cast<int>(s.milestones.size());
    for (size_t i = 0; i < s.milestones.size() && i < NNC_MAX_MILESTONES; ++i) out.milestones[i] = s.milestones[i];
    out.epochs = s.epochs;
    out.min_lr = s.min_lr;
    out.monitor = monitor_of(s.monitor);
    out.mode = mode_of(s.mode);
    out.patience = s.patience;
    out.cooldown = s.cooldown;
    out.threshold = s.threshold;
    out.threshold_abs = s.threshold_abs ? 1 : 0;
    out.warmup_steps = into.warmup_steps;
    out.warmup_epochs = into.warmup_epochs;
    out.warmup_start = into.warmup_start;
    into = out;
}

const char* monitor_name(int monitor) {
    return monitor == NNC_MONITOR_VAL_ACCURACY ? "val_accuracy" : monitor == NNC_MONITOR_TRAIN_LOSS ? "train_loss" : "val_loss";
}

struct Callbacks {
    ProgressBar bar{stderr};
    static int on_batch(void* user, const nnc_progress* p) {
        static_cast<Callbacks*>(user)->bar.update(*p);
        return 0;
    }
    static int on_epoch(void* user, const nnc_epoch_stats* s) {
        static_cast<Callbacks*>(user)->bar.epoch_done(*s);
        if (s->stopping) {
            std::fprintf(stderr, "early stopping: no improvement since epoch %lld; its weights are kept\n",
                         (long long)s->best_epoch);
        } else if (s->best_epoch && s->epoch == s->epochs) {
            std::fprintf(stderr, "early stopping: keeping the weights of epoch %lld, the best\n", (long long)s->best_epoch);
        }
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
        // Another optimizer: torch's defaults for it, then the overrides.
        lib.check(lib.nnc_optimizer_defaults(o.optimizer->c_str(), &opt), "choosing the optimizer");
    }
    if (o.lr) opt.lr = *o.lr;
    lib.check(lib.nnc_model_set_optimizer(model.get(), &opt), "setting the optimizer");
    if (o.lr_schedule) set_schedule(parse_setting("--schedule", "schedule", *o.lr_schedule, config.epochs).schedule, config.schedule);
    if (o.warmup) {
        if (*o.warmup < 0) throw std::runtime_error("--warmup must be 0 (none) or a number of updates");
        config.schedule.warmup_steps = *o.warmup;
        config.schedule.warmup_epochs = 0;
    }
    if (o.clip_norm) config.clip_norm = *o.clip_norm;
    if (o.clip_value) config.clip_value = *o.clip_value;
    if (o.accumulate) config.accumulate = *o.accumulate;
    if (o.threads) config.threads = *o.threads;
    if (o.early_stopping_patience) {
        if (*o.early_stopping_patience < 0) throw std::runtime_error("--early-stopping-patience must be at least 0");
        config.early_stopping.enabled = 1;
        config.early_stopping.patience = *o.early_stopping_patience;
    }

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
    if (config.accumulate > 1)
        std::fprintf(stderr, "  accumulating %lld batches per update (effective batch %lld)\n", (long long)config.accumulate,
                     (long long)(config.accumulate * config.batch));
    if (config.clip_norm > 0 || config.clip_value > 0)
        std::fprintf(stderr, "  clipping gradients: norm %g, value %g (0: off)\n", config.clip_norm, config.clip_value);
    if (config.early_stopping.enabled)
        std::fprintf(stderr, "  early stopping on %s, patience %lld\n", monitor_name(config.early_stopping.monitor),
                     (long long)config.early_stopping.patience);
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
