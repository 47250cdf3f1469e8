#include "runtime/lr_schedule.h"

#include <nnc/train_vocabulary.h>

#include "runtime/errors.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

namespace nnc::runtime {
namespace {

namespace vocab = nnc::vocab;

void check(bool ok, const char* field, double value, const char* range) {
    require(ok, std::string("schedule ") + field + " = " + std::to_string(value) + " is invalid; it must be " + range);
}

double warmup_start(const nnc_lr_schedule& s) { return s.warmup_start == 0 ? 1.0 / 3.0 : s.warmup_start; }

// "0 (auto), 1 (min) or 2 (max)"
std::string mode_choices() {
    std::vector<std::string> items;
    for (const vocab::Word& w : vocab::kModes) items.push_back(std::to_string(w.value) + " (" + w.name + ")");
    return vocab::either(items);
}

}  // namespace

const char* monitor_name(int monitor) { return vocab::monitor_name(monitor); }

void check_monitor(int monitor, const char* who, bool have_validation, bool classes) {
    if (monitor == NNC_MONITOR_TRAIN_LOSS) return;
    require(have_validation, std::string(who) + " monitors " + monitor_name(monitor) +
                                 " but there is no validation set; pass one to nnc_train or monitor train_loss");
    require(monitor != NNC_MONITOR_VAL_ACCURACY || classes,
            std::string(who) + " monitors val_accuracy but the model has real targets; monitor val_loss");
}

double metric_of(int monitor, const nnc_epoch_stats& stats) {
    return monitor == NNC_MONITOR_VAL_ACCURACY ? stats.val_accuracy
           : monitor == NNC_MONITOR_TRAIN_LOSS ? stats.train_loss
                                               : stats.val_loss;
}

bool minimizes(int monitor, int mode) {
    if (mode == NNC_MODE_MIN) return true;
    if (mode == NNC_MODE_MAX) return false;
    return monitor != NNC_MONITOR_VAL_ACCURACY;
}

bool improves(double metric, double best, bool minimize, double threshold, bool threshold_abs) {
    if (std::isnan(metric)) return false;
    if (minimize) return threshold_abs ? metric < best - threshold : metric < best * (1.0 - threshold);
    return threshold_abs ? metric > best + threshold : metric > best * (threshold + 1.0);
}

void validate_schedule(const nnc_lr_schedule& s) {
    static const std::string kinds =
        "an nnc_schedule_kind (" + vocab::enumerators(vocab::kSchedules, "NNC_SCHEDULE_") + ")";
    check(vocab::find_value(vocab::kSchedules, s.kind) != nullptr, "kind", s.kind, kinds.c_str());
    const bool uses_factor = s.kind == NNC_SCHEDULE_STEP || s.kind == NNC_SCHEDULE_MULTISTEP ||
                             s.kind == NNC_SCHEDULE_EXPONENTIAL || s.kind == NNC_SCHEDULE_PLATEAU;
    if (uses_factor) check(s.factor > 0 && s.factor <= 1, "factor", s.factor, "in (0, 1]");
    if (s.kind == NNC_SCHEDULE_STEP) check(s.every >= 1, "every", static_cast<double>(s.every), ">= 1 (epochs)");
    if (s.kind == NNC_SCHEDULE_MULTISTEP) {
        check(s.num_milestones >= 1 && s.num_milestones <= NNC_MAX_MILESTONES, "num_milestones", s.num_milestones,
              "in [1, NNC_MAX_MILESTONES]");
        for (int i = 0; i < s.num_milestones; ++i) {
            require(s.milestones[i] >= 1 && (i == 0 || s.milestones[i] > s.milestones[i - 1]),
                    "schedule milestones must be increasing epochs >= 1; milestone " + std::to_string(i) + " is " +
                        std::to_string(s.milestones[i]));
        }
    }
    if (s.kind == NNC_SCHEDULE_COSINE) check(s.epochs >= 1, "epochs", static_cast<double>(s.epochs), ">= 1");
    if (s.kind == NNC_SCHEDULE_COSINE || s.kind == NNC_SCHEDULE_PLATEAU) {
        check(std::isfinite(s.min_lr) && s.min_lr >= 0, "min_lr", s.min_lr, "finite and >= 0");
    }
    if (s.kind == NNC_SCHEDULE_PLATEAU) {
        static const std::string monitors =
            "an nnc_monitor (" + vocab::enumerators(vocab::kMonitors, "NNC_MONITOR_") + ")";
        static const std::string modes = mode_choices();
        check(vocab::find_value(vocab::kMonitors, s.monitor) != nullptr, "monitor", s.monitor, monitors.c_str());
        check(vocab::find_value(vocab::kModes, s.mode) != nullptr, "mode", s.mode, modes.c_str());
        check(s.patience >= 0, "patience", static_cast<double>(s.patience), ">= 0");
        check(s.cooldown >= 0, "cooldown", static_cast<double>(s.cooldown), ">= 0");
        check(std::isfinite(s.threshold) && s.threshold >= 0, "threshold", s.threshold, "finite and >= 0");
    }
    check(s.warmup_steps >= 0, "warmup_steps", static_cast<double>(s.warmup_steps), ">= 0");
    check(s.warmup_epochs >= 0, "warmup_epochs", static_cast<double>(s.warmup_epochs), ">= 0");
    require(s.warmup_steps == 0 || s.warmup_epochs == 0,
            "schedule warm-up is set both in steps and in epochs; set only one of warmup_steps, warmup_epochs");
    check(s.warmup_start >= 0 && s.warmup_start <= 1, "warmup_start", s.warmup_start, "in (0, 1] (0: 1/3)");
}

LrSchedule::LrSchedule(const nnc_lr_schedule& schedule, double base_lr) : s_(schedule), base_(base_lr) {
    validate_schedule(s_);
    plateau_lr_ = base_lr;
    minimize_ = minimizes(s_.monitor, s_.mode);
    best_ = minimize_ ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
}

double LrSchedule::epoch_lr(int64_t epoch) const {
    switch (s_.kind) {
        case NNC_SCHEDULE_STEP: return base_ * std::pow(s_.factor, static_cast<double>(epoch / s_.every));
        case NNC_SCHEDULE_MULTISTEP: {
            const int64_t* end = s_.milestones + s_.num_milestones;
            return base_ * std::pow(s_.factor,
                                    static_cast<double>(std::upper_bound(s_.milestones, end, epoch) - s_.milestones));
        }
        case NNC_SCHEDULE_EXPONENTIAL: return base_ * std::pow(s_.factor, static_cast<double>(epoch));
        case NNC_SCHEDULE_COSINE: {
            const double t = static_cast<double>(std::min(epoch, s_.epochs)) / static_cast<double>(s_.epochs);
            return s_.min_lr + (base_ - s_.min_lr) * (1.0 + std::cos(std::numbers::pi * t)) / 2.0;
        }
        case NNC_SCHEDULE_PLATEAU: return plateau_lr_;
        default: return base_;
    }
}

double LrSchedule::warmup(int64_t epoch, int64_t step) const {
    const int64_t n = s_.warmup_steps ? s_.warmup_steps : s_.warmup_epochs;
    const int64_t i = s_.warmup_steps ? step : epoch;
    if (n == 0 || i >= n) return 1.0;
    const double start = warmup_start(s_);
    return start + (1.0 - start) * static_cast<double>(i) / static_cast<double>(n);
}

void LrSchedule::observe(double metric) {
    if (s_.kind != NNC_SCHEDULE_PLATEAU) return;
    if (improves(metric, best_, minimize_, s_.threshold, s_.threshold_abs != 0)) {
        best_ = metric;
        bad_epochs_ = 0;
    } else {
        ++bad_epochs_;
    }
    if (cooldown_left_ > 0) {
        --cooldown_left_;
        bad_epochs_ = 0;
    }
    if (bad_epochs_ > s_.patience) {
        const double reduced = std::max(plateau_lr_ * s_.factor, s_.min_lr);
        if (plateau_lr_ - reduced > 1e-8) plateau_lr_ = reduced;  // torch's eps
        cooldown_left_ = s_.cooldown;
        bad_epochs_ = 0;
    }
}

}  // namespace nnc::runtime
