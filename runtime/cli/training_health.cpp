#include "runtime/cli/training_health.h"

#include "runtime/cli/finding_log.h"

#include <cmath>
#include <cstdio>

#include "runtime/cli/diagnostics/gradient_health.h"

namespace nnc::driver {
namespace dx = nnc::diagnostics;

namespace {

const std::set<std::string> kCodes = {"update-ratio-high", "update-ratio-low", "gradient-vanishing",
                                      "gradient-exploding"};

}  // namespace

TrainingHealth::TrainingHealth(const LoadedModel& lib, nnc_model* model, RunFolder& folder, bool findings,
                               bool resuming, dx::LrVerdict& lr)
    : folder_(folder), findings_(findings), lr_(lr) {
    const int n = lib.nnc_model_num_trainable_params(model);
    for (int p = 0; p < n; ++p) {
        const char* name = nullptr;
        int rank = 0;
        const int64_t* dims = nullptr;
        lib.check(lib.nnc_model_param_info(model, p, &name, &rank, &dims), "reading the parameters");
        names_.emplace_back(name ? name : "");
        ranks_.push_back(rank);
    }
    if (!resuming) return;
    for (const metrics::DiagnosisLine& d : metrics::read_history(folder.file("metrics.jsonl")).diagnoses)
        if (kCodes.count(d.code)) reported_.insert(d.code);
}

void TrainingHealth::on_rollback(const nnc_rollback_info& info, double wall_s) {
    char text[512];
    std::snprintf(
        text, sizeof text,
        "%s at epoch %lld step %lld (lr %g): rolled back to the start of epoch %lld, lr %g -> %g (rollback %lld of "
        "at most %lld)",
        info.reason, (long long)info.epoch, (long long)info.step, info.lr, (long long)info.epoch, info.lr, info.new_lr,
        (long long)info.rollbacks, (long long)info.retries);
    const dx::Finding f{"divergence",
                        dx::Severity::warning,
                        "",
                        text,
                        "the run goes on with the lower lr; start the next run there (or lower), or set clip_norm",
                        info.epoch};
    if (findings_) lr_.add(f);
    folder_.log(metrics::to_json(metrics::RollbackLine{info.epoch, info.step, info.rollbacks,
                                                       info.reason ? info.reason : "", info.lr, info.new_lr, wall_s}));
    print_and_log(f, folder_);
}

void TrainingHealth::add_tensors(const nnc_epoch_stats& s, metrics::EpochLine& line) const {
    line.grad_norms.clear();
    line.update_ratios.clear();
    for (int p = 0; p < s.num_params && p < static_cast<int>(names_.size()); ++p) {
        line.grad_norms.emplace_back(names_[static_cast<size_t>(p)], s.param_grad_norm[p]);
        line.update_ratios.emplace_back(names_[static_cast<size_t>(p)], s.param_update_ratio[p]);
    }
    line.rollbacks = s.rollbacks;
}

void TrainingHealth::on_epoch(const nnc_epoch_stats& s) {
    if (!findings_) return;
    std::vector<dx::TensorReading> tensors;
    for (int p = 0; p < s.num_params && p < static_cast<int>(names_.size()); ++p)
        tensors.push_back({names_[static_cast<size_t>(p)], ranks_[static_cast<size_t>(p)], s.param_grad_norm[p],
                           s.param_update_ratio[p]});
    // One update's ratio is a noisy reading, and Adam's first updates are about lr per weight
    // whatever the gradient: an update-ratio finding counts when two epochs in a row give it.
    std::set<std::string> now;
    for (const dx::Finding& f : dx::update_ratio_findings(tensors, s.epoch, s.lr)) {
        now.insert(f.code);
        if (ratio_seen_.count(f.code)) lr_.add(f);
    }
    ratio_seen_ = now;
    for (const dx::Finding& f : dx::gradient_findings(tensors, s.epoch)) report(f);
}

void TrainingHealth::report(const dx::Finding& f) {
    if (!reported_.insert(f.code).second) return;
    print_and_log(f, folder_);
}

}  // namespace nnc::driver
