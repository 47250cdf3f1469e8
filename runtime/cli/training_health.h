// What nnc_train measures inside its loop, as `nnc train` shows it:
//   - each rollback after a divergence: printed ("nnc: warning: ... [divergence]") and logged as
//     {"type": "rollback", ...} and a {"type": "diagnosis", "code": "divergence"} line;
//   - each epoch line of metrics.jsonl gets "grad_norms" and "update_ratios" keyed by parameter
//     name, and "rollbacks";
//   - the per-tensor readings are checked every epoch (runtime/cli/diagnostics/gradient_health.h);
//     gradient findings are printed and logged once per code for the run (a resumed run remembers
//     the ones in metrics.jsonl); an update-ratio finding that holds two epochs in a row, and
//     every divergence, is a reading of the lr: it goes to the run's one verdict on the lr
//     (lr_verdict.h), which live_diagnosis.h reports at the end. Disabled (--no-diagnostics),
//     only the findings are left out.
#pragma once
#include <nnc/nnc.h>

#include <set>
#include <string>
#include <vector>

#include "runtime/cli/diagnostics/finding.h"
#include "runtime/cli/diagnostics/lr_verdict.h"
#include "runtime/cli/loaded_model.h"
#include "runtime/cli/metrics_schema.h"
#include "runtime/cli/run_folder.h"

namespace nnc::driver {

class TrainingHealth {
public:
    TrainingHealth(const LoadedModel& lib, nnc_model* model, RunFolder& folder, bool findings, bool resuming,
                   diagnostics::LrVerdict& lr);

    void on_rollback(const nnc_rollback_info& info, double wall_s);
    // Fills the epoch line's "grad_norms", "update_ratios" and "rollbacks".
    void add_tensors(const nnc_epoch_stats& s, metrics::EpochLine& epoch_line) const;
    void on_epoch(const nnc_epoch_stats& s);

private:
    void report(const diagnostics::Finding& f);

    RunFolder& folder_;
    bool findings_;
    diagnostics::LrVerdict& lr_;
    std::vector<std::string> names_;
    std::vector<int> ranks_;
    std::set<std::string> reported_;    // codes
    std::set<std::string> ratio_seen_;  // update-ratio codes found in the previous epoch
};

}  // namespace nnc::driver
