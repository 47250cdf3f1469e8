#include "runtime/cli/live_diagnosis.h"

#include "runtime/cli/finding_log.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "runtime/cli/diagnostics/class_collapse.h"
#include "runtime/cli/diagnostics/loss_curve.h"
#include "runtime/cli/diagnostics/overfitting.h"
#include "runtime/cli/diagnostics/sharpening.h"
#include "runtime/cli/diagnostics/target_scale.h"
#include "runtime/cli/diagnostics/task_loss_scale.h"
#include "runtime/cli/diagnostics/underfitting.h"

namespace nnc::driver {
namespace {

namespace dx = nnc::diagnostics;

constexpr int64_t kProbeSamples = 256;
constexpr size_t kMinStepsForCurve = 40;  // fewer batches: the per-epoch curve is read instead
constexpr size_t kMaxSteps = 1 << 22;     // memory bound of the per-batch series

}  // namespace

LiveDiagnosis::LiveDiagnosis(const LoadedModel& lib, nnc_model* model, RunFolder& folder, bool enabled,
                             dx::LrVerdict& lr)
    : lib_(lib), model_(model), folder_(folder), enabled_(enabled), lr_(lr) {}

LiveDiagnosis::~LiveDiagnosis() = default;

std::vector<std::vector<float>> LiveDiagnosis::predict(const Dataset& d) const {
    const int64_t n = d.size();
    std::vector<std::vector<float>> out;
    std::vector<float*> ptrs;
    for (const Loss& l : losses_) out.emplace_back(static_cast<size_t>(n * l.output_size));
    for (auto& o : out) ptrs.push_back(o.data());
    lib_.check(lib_.nnc_predict(model_, d.ptr, kProbeSamples, ptrs.data()), "diagnosis: predicting");
    return out;
}

void LiveDiagnosis::prepare(const Dataset& train, const Dataset* validation, bool resuming, bool early_stopping) {
    if (!enabled_) return;
    early_stopping_ = early_stopping;
    train_samples_ = train.size();
    resumed_ = resuming;
    int rank = 0;
    lib_.check(lib_.nnc_model_input_shape(model_, &rank, nullptr), "reading the input's shape");
    input_ = dx::input_kind(lib_.nnc_model_input_dtype(model_) == NNC_DTYPE_INT32, rank);
    for (int l = 0; l < lib_.nnc_model_num_losses(model_); ++l) {
        Loss loss;
        const char* name = nullptr;
        int target = 0;
        lib_.check(lib_.nnc_model_loss_info(model_, l, &name, &loss.weight, &target, &loss.output_size),
                   "reading the losses");
        loss.name = name;
        const char* tname = nullptr;
        int64_t size = 0;
        lib_.check(lib_.nnc_model_target_info(model_, target, &tname, &loss.kind, &size, &loss.classes),
                   "reading the targets");
        loss.target = tname;
        losses_.push_back(loss);
        // Class targets are scored by softmax cross-entropy only: the first such loss is probed.
        if (probe_loss_ < 0 && loss.kind == NNC_TARGET_CLASSES && loss.classes >= 2 &&
            loss.output_size == loss.classes) {
            probe_loss_ = l;
            classes_ = loss.classes;
        }
    }
    try {
        if (probe_loss_ >= 0) {
            const Dataset& from = validation && validation->size() > 0 ? *validation : train;
            probe_set_ = slice(lib_, from, 0, std::min(kProbeSamples, from.size()));
            // The probe's labels, for class-collapse: each sample's loss names its label (probe.h).
            const int64_t n = probe_set_->size();
            const auto outputs = predict(*probe_set_);
            const auto probs = dx::to_probabilities(outputs[static_cast<size_t>(probe_loss_)].data(), n, classes_);
            std::vector<double> sample_loss(static_cast<size_t>(n)), tasks(losses_.size());
            for (int64_t i = 0; i < n; ++i) {
                const auto one = slice(lib_, *probe_set_, i, 1);
                double loss = NAN, accuracy = NAN;
                lib_.check(lib_.nnc_evaluate_tasks(model_, one->ptr, 1, &loss, &accuracy, tasks.data()),
                           "diagnosis: the probe's labels");
                sample_loss[static_cast<size_t>(i)] = tasks[static_cast<size_t>(probe_loss_)];
            }
            label_top_share_ = dx::top_share(dx::labels_from_losses(probs, n, classes_, sample_loss));
        }
        if (resuming) {
            read_history();
            return;
        }
        // target-scale: the untrained model's mse on up to 256 training samples bounds each
        // unstandardized real target's size from below (target_scale.h).
        const bool targets_standardized = (lib_.nnc_model_standardization(model_) & 2) != 0;
        if (!targets_standardized &&
            std::any_of(losses_.begin(), losses_.end(), [](const Loss& l) { return l.kind == NNC_TARGET_REAL; })) {
            const auto sample = slice(lib_, train, 0, std::min(kProbeSamples, train.size()));
            const auto outputs = predict(*sample);
            std::vector<double> tasks(losses_.size());
            double loss = NAN, accuracy = NAN;
            lib_.check(lib_.nnc_evaluate_tasks(model_, sample->ptr, kProbeSamples, &loss, &accuracy, tasks.data()),
                       "diagnosis: evaluating");
            for (size_t l = 0; l < losses_.size(); ++l) {
                if (losses_[l].kind != NNC_TARGET_REAL || outputs[l].empty()) continue;
                double squares = 0;
                for (float f : outputs[l]) squares += static_cast<double>(f) * f;
                const double rms = std::sqrt(squares / static_cast<double>(outputs[l].size()));
                if (auto f =
                        dx::check_target_scale(losses_[l].target, dx::target_rms_lower_bound(tasks[l], rms), false, 1))
                    first_epoch_.push_back(*f);
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nnc: note: diagnostics are off for this run: %s\n", e.what());
        enabled_ = false;
    }
}

// On resume: the epochs so far and the findings already reported, from metrics.jsonl.
void LiveDiagnosis::read_history() {
    const metrics::History h = metrics::read_history(folder_.file("metrics.jsonl"));
    for (const metrics::EpochLine& line : h.epochs) {
        if (line.epoch <= 0) continue;
        const auto e = static_cast<size_t>(line.epoch);
        train_loss_.resize(std::max(train_loss_.size(), e), NAN);
        val_loss_.resize(std::max(val_loss_.size(), e), NAN);
        train_loss_[e - 1] = line.train_loss;
        val_loss_[e - 1] = line.val_loss;
    }
    for (const metrics::DiagnosisLine& d : h.diagnoses) reported_.insert(d.code + "/" + d.subject);
}

void LiveDiagnosis::on_batch(const nnc_progress& p) {
    if (!enabled_) return;
    const std::pair<int64_t, int64_t> at{p.epoch, p.step};
    // A divergence rollback redoes an epoch: the batches from there on are forgotten.
    while (!step_at_.empty() && step_at_.back() >= at) {
        step_at_.pop_back();
        step_loss_.pop_back();
    }
    // The batch's own loss from the epoch's running mean (weighted by samples).
    double loss = p.loss;
    if (!step_at_.empty() && step_at_.back() == std::make_pair(p.epoch, p.step - 1) &&
        p.samples_done > running_samples_)
        loss = (p.loss * static_cast<double>(p.samples_done) - running_loss_ * static_cast<double>(running_samples_)) /
               static_cast<double>(p.samples_done - running_samples_);
    running_loss_ = p.loss;
    running_samples_ = p.samples_done;
    if (step_loss_.size() < kMaxSteps) {
        step_loss_.push_back(loss);
        step_at_.push_back(at);
    }
}

std::optional<metrics::Probe> LiveDiagnosis::probe() {
    if (!enabled_ || !probe_set_) return std::nullopt;
    try {
        const int64_t n = probe_set_->size();
        const auto outputs = predict(*probe_set_);
        last_probe_ = dx::probe_stats(
            dx::to_probabilities(outputs[static_cast<size_t>(probe_loss_)].data(), n, classes_), n, classes_);
        have_probe_ = true;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nnc: note: the sharpening probe is off: %s\n", e.what());
        probe_set_.reset();
        have_probe_ = false;
        return std::nullopt;
    }
    metrics::Probe p{
        last_probe_.entropy, last_probe_.max_entropy, last_probe_.mean_top_prob, last_probe_.majority_fraction, {}};
    for (int64_t c : last_probe_.top_prob_hist) p.top_prob_hist.push_back(static_cast<double>(c));
    return p;
}

void LiveDiagnosis::add_probe(metrics::EpochLine& epoch_line) { epoch_line.probe = probe(); }

void LiveDiagnosis::on_epoch(const nnc_epoch_stats& s, int64_t best_epoch) {
    if (!enabled_) return;
    const auto e = static_cast<size_t>(s.epoch);
    // Epochs missing from a resumed run's history are NaN; a longer one is cut at this epoch.
    train_loss_.resize(e, NAN);
    val_loss_.resize(e, NAN);
    train_loss_[e - 1] = s.train_loss;
    val_loss_[e - 1] = s.val_loss;

    if (s.epoch == 1 && !resumed_) {
        for (const dx::Finding& f : first_epoch_) report(f);
        std::vector<dx::TaskLoss> tasks;
        for (int l = 0; l < s.num_losses && l < NNC_MAX_LOSSES && static_cast<size_t>(l) < losses_.size(); ++l)
            tasks.push_back(
                {losses_[static_cast<size_t>(l)].name, losses_[static_cast<size_t>(l)].weight, s.train_task_loss[l]});
        for (const dx::Finding& f : dx::check_task_loss_scale(tasks, s.epoch)) report(f);
    }
    if (have_probe_) {
        report(dx::check_not_sharpening(last_probe_, s.epoch));
        report(dx::check_class_collapse(last_probe_, label_top_share_, s.epoch));
    }
    dx::FitContext fit{lib_.nnc_model_total_param_count(model_), train_samples_, early_stopping_};
    fit.input = input_;
    fit.best_epoch = best_epoch;
    fit.dropout_layers = lib_.nnc_model_num_dropouts(model_);
    for (int k = 0; k < fit.dropout_layers; ++k) {
        double rate = 0;
        lib_.check(lib_.nnc_model_dropout_info(model_, k, nullptr, &rate, nullptr), "reading the dropout rates");
        fit.max_dropout_rate = std::max(fit.max_dropout_rate, rate);
    }
    fit_ = fit;
    const auto overfit = dx::check_overfitting(train_loss_, val_loss_, fit);
    if (overfit && !reported_.count(overfit->code + "/")) overfit_best_ = best_epoch;
    report(overfit);
}

// The overfitting finding named the best epoch of its time; if a later one became the run's best,
// the run's last word names that one: still overfitting from there, or recovered.
void LiveDiagnosis::recheck_overfitting() {
    if (overfit_best_ <= 0 || fit_.best_epoch == overfit_best_ || fit_.best_epoch <= 0) return;
    if (const auto f = dx::check_overfitting(train_loss_, val_loss_, fit_)) {
        print_and_log(*f, folder_);
        return;
    }
    const auto best = static_cast<size_t>(fit_.best_epoch - 1);
    dx::Finding f;
    f.code = "overfitting";
    f.severity = dx::Severity::info;
    f.epoch = static_cast<int64_t>(train_loss_.size());
    f.message = "the validation loss came back down after the overfitting seen from epoch " +
                std::to_string(overfit_best_) + ": its lowest, " + dx::num(val_loss_[best]) + ", is at epoch " +
                std::to_string(fit_.best_epoch) + " (the best epoch, kept in best.ckpt)";
    print_and_log(f, folder_);
}

void LiveDiagnosis::finish() {
    if (!enabled_) return;
    // The constant-prediction loss is known for a lone softmax head: ln C (underfitting.h).
    const double reference = probe_loss_ >= 0 && losses_.size() == 1 ? std::log(static_cast<double>(classes_)) : NAN;
    const bool steps = !resumed_ && step_loss_.size() >= kMinStepsForCurve;
    if (const auto curve = dx::diagnose_loss_curve(steps ? step_loss_ : train_loss_,
                                                   steps ? "per-batch training loss" : "per-epoch training loss"))
        lr_.add(*curve);
    const dx::LrDirection lr = lr_.direction();
    report(dx::check_underfitting(train_loss_, val_loss_, reference, input_,
                                  lr == dx::LrDirection::none || lr == dx::LrDirection::raise));
    report(lr_.verdict());
    recheck_overfitting();
}

void LiveDiagnosis::report(const dx::Finding& f) {
    if (!reported_.insert(f.code + "/" + f.subject).second) return;
    print_and_log(f, folder_);
}

}  // namespace nnc::driver
