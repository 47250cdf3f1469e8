// Learning-rate schedules (nnc_lr_schedule): the lr of every update of a run, as
// torch.optim.lr_scheduler computes it when its step() is called once per epoch, times the
// linear warm-up factor (LinearLR, stepped per update or per epoch).
#pragma once
#include <nnc/nnc.h>

#include <cstdint>

namespace nnc::runtime {

// Throws Error(NNC_ERR_INVALID_ARGUMENT) naming the bad field and its valid range.
void validate_schedule(const nnc_lr_schedule& schedule);

class LrSchedule {
public:
    LrSchedule(const nnc_lr_schedule& schedule, double base_lr);  // validates

    // The lr of update `step` (0-based over the run) in epoch `epoch` (0-based).
    double lr(int64_t epoch, int64_t step) const { return epoch_lr(epoch) * warmup(epoch, step); }
    // The schedule alone, without warm-up. Plateau: the lr after the metrics observed so far.
    double epoch_lr(int64_t epoch) const;
    // The warm-up factor, 1 once warm-up is over.
    double warmup(int64_t epoch, int64_t step) const;

    bool needs_metric() const { return s_.kind == NNC_SCHEDULE_PLATEAU; }
    // Reduce-on-plateau: the monitored metric at the end of an epoch (torch's scheduler.step(metric)).
    void observe(double metric);

    // Reduce-on-plateau's counters, for checkpoints (every other schedule is a function of the
    // epoch and the update count alone).
    struct State {
        double plateau_lr = 0, best = 0;
        int64_t bad_epochs = 0, cooldown_left = 0;
    };
    State state() const { return {plateau_lr_, best_, bad_epochs_, cooldown_left_}; }
    void set_state(const State& s) {
        plateau_lr_ = s.plateau_lr;
        best_ = s.best;
        bad_epochs_ = s.bad_epochs;
        cooldown_left_ = s.cooldown_left;
    }

private:
    nnc_lr_schedule s_;
    double base_;
    // reduce-on-plateau state, as torch.optim.lr_scheduler.ReduceLROnPlateau
    double plateau_lr_, best_;
    bool minimize_;
    int64_t bad_epochs_ = 0, cooldown_left_ = 0;
};

// Whether `metric` improves on `best` by the rule of ReduceLROnPlateau.is_better (threshold
// relative or absolute) or, with threshold 0 and abs, by early stopping's min_delta rule.
bool improves(double metric, double best, bool minimize, double threshold, bool threshold_abs);
// Whether a monitor minimizes under `mode` (nnc_monitor_mode).
bool minimizes(int monitor, int mode);

// The monitors (nnc_monitor) that reduce_on_plateau and early stopping watch: the name
// (nnc/train_vocabulary.h's kMonitors), what measuring one needs, and its value in an epoch.
const char* monitor_name(int monitor);
// Throws Error(NNC_ERR_INVALID_ARGUMENT) unless `monitor` can be measured in this run; `who`
// names the watcher ("early stopping").
void check_monitor(int monitor, const char* who, bool have_validation, bool classes);
double metric_of(int monitor, const nnc_epoch_stats& stats);

}  // namespace nnc::runtime
