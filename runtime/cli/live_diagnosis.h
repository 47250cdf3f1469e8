// The field guide's readings of a run while `nnc train` trains it,
// on top of the pure analyses in runtime/cli/diagnostics:
//   - a sharpening probe for softmax classifiers: up to 256 validation samples (else training
//     samples), fixed for the run, predicted in inference mode after every epoch; its statistics
//     go into the epoch line of metrics.jsonl as "probe" and feed not-sharpening/class-collapse;
//   - overfitting after each epoch (from the best epoch best.ckpt holds, best_epoch.h, with
//     remedies that fit the model's input kind, input_kind.h); target-scale and task-loss-scale at
//     the first epoch;
//   - at the end: the shape of the training-loss curve, weighed with the run's other readings of
//     the lr into its one verdict on the lr (lr_verdict.h), and underfitting.
// Each finding is printed ("nnc: warning: ... [code]" and an advice line) and logged as a
// {"type": "diagnosis"} line (metrics_schema.h), once per code and subject. Disabled (--no-diagnostics), it measures
// and prints nothing.
#pragma once
#include <nnc/nnc.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/cli/data_loading.h"
#include "runtime/cli/diagnostics/finding.h"
#include "runtime/cli/diagnostics/input_kind.h"
#include "runtime/cli/diagnostics/lr_verdict.h"
#include "runtime/cli/diagnostics/overfitting.h"
#include "runtime/cli/diagnostics/probe.h"
#include "runtime/cli/loaded_model.h"
#include "runtime/cli/metrics_schema.h"
#include "runtime/cli/run_folder.h"

namespace nnc::driver {

class LiveDiagnosis {
public:
    // `lr`: the run's readings of the lr (training_health.h adds its own); finish() reports its verdict.
    LiveDiagnosis(const LoadedModel& lib, nnc_model* model, RunFolder& folder, bool enabled,
                  diagnostics::LrVerdict& lr);
    ~LiveDiagnosis();

    // Before nnc_train: chooses the probe and recovers its labels, and measures what the first
    // epoch's checks need from the untrained model. `resuming`: the earlier epochs and findings
    // come from metrics.jsonl, and the first-epoch checks are not repeated.
    void prepare(const Dataset& train, const Dataset* validation, bool resuming, bool early_stopping);

    // After every batch: the batch's own loss (from the running mean) for the loss curve.
    void on_batch(const nnc_progress& p);
    // In on_epoch, before the epoch line is written: the probe's statistics as its "probe" (none
    // when there is no probe).
    void add_probe(metrics::EpochLine& epoch_line);
    // In on_epoch, after the epoch line: this epoch's checks. `best_epoch`: the epoch best.ckpt
    // holds so far (best_epoch.h; 0: none).
    void on_epoch(const nnc_epoch_stats& s, int64_t best_epoch);
    // After a run that ended normally: the end-of-run checks.
    void finish();

private:
    std::optional<metrics::Probe> probe();
    void report(const diagnostics::Finding& f);
    void report(const diagnostics::MaybeFinding& f) {
        if (f) report(*f);
    }

    struct Loss {
        std::string name, target;
        double weight = 1;
        int64_t output_size = 0, classes = 0;
        nnc_target_kind kind = NNC_TARGET_CLASSES;
    };
    // Every loss's inference output over `d` (nnc_predict: in the user's units).
    std::vector<std::vector<float>> predict(const Dataset& d) const;
    void read_history();
    void recheck_overfitting();

    const LoadedModel& lib_;
    nnc_model* model_;
    std::vector<Loss> losses_;
    bool resumed_ = false;
    RunFolder& folder_;
    bool enabled_;
    diagnostics::LrVerdict& lr_;
    diagnostics::InputKind input_ = diagnostics::InputKind::unknown;
    bool early_stopping_ = false;
    int64_t train_samples_ = 0;
    std::set<std::string> reported_;  // code + "/" + subject
    // Overfitting is called live, from the best epoch so far; when a later epoch becomes the best,
    // the end of the run says so again from the final one (the report keeps the latest word).
    diagnostics::FitContext fit_;
    int64_t overfit_best_ = 0;  // the best epoch the overfitting finding named (0: none)

    // The probe (softmax classifiers only).
    std::unique_ptr<Dataset> probe_set_;
    int probe_loss_ = -1;  // the softmax cross-entropy loss it reads
    int64_t classes_ = 0;
    double label_top_share_ = 0;
    diagnostics::ProbeStats last_probe_;
    bool have_probe_ = false;

    // The series.
    std::vector<double> train_loss_, val_loss_;         // per epoch
    std::vector<double> step_loss_;                     // per batch
    std::vector<std::pair<int64_t, int64_t>> step_at_;  // (epoch, step) of each, to undo a rolled-back epoch
    double running_loss_ = 0;                           // the last progress's running mean and samples
    int64_t running_samples_ = 0;
    std::vector<diagnostics::Finding> first_epoch_;  // target-scale, found before training
};

}  // namespace nnc::driver
