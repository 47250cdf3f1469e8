// metrics.jsonl, the log of a training run (run_folder.h): one JSON object per line, its "type"
// one of the line types below, each with the fields of its struct under the same names. This
// header is the one definition of those types and names: `nnc train` writes its step, epoch,
// interrupted, resume and checkpoint lines with it, training_health.h its rollback lines and the
// epoch's per-tensor fields, live_diagnosis.h the epoch's "probe", finding_log.h the diagnosis lines; the
// report (report/run_log.h) and a resumed run read them back with it.
//
// Numbers that are not finite are written as null and read back as NaN; a field that is absent or
// null keeps its default. A field of the wrong type is a FieldError naming it.
#pragma once
#include <nnc/nnc.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nnc::driver::metrics {

// The line types: the value of every line's "type".
inline constexpr char kStep[] = "step";                // every --metrics-every batches
inline constexpr char kEpoch[] = "epoch";              // after every epoch
inline constexpr char kDiagnosis[] = "diagnosis";      // a finding (runtime/cli/diagnostics)
inline constexpr char kRollback[] = "rollback";        // a divergence rolled back
inline constexpr char kInterrupted[] = "interrupted";  // Ctrl-C: last.ckpt saved there
inline constexpr char kResume[] = "resume";            // nnc train --resume continued the run
inline constexpr char kCheckpoint[] = "checkpoint";    // best.ckpt now holds this epoch's weights

// Each line's scalar fields, once: INT (int64_t, 0 when absent), NUM (double, NaN when absent
// or null), TEXT (std::string). The structs below, the writers and the readers expand them.
#define NNC_METRICS_STEP_FIELDS(INT, NUM, TEXT) \
    INT(epoch)                                  \
    INT(step) INT(updates) INT(samples) NUM(loss) NUM(accuracy) NUM(lr) NUM(grad_norm) NUM(samples_per_s) NUM(wall_s)
#define NNC_METRICS_PROBE_FIELDS(INT, NUM, TEXT) NUM(entropy) NUM(max_entropy) NUM(mean_top_prob) NUM(majority_fraction)
#define NNC_METRICS_EPOCH_FIELDS(INT, NUM, TEXT)                                                               \
    INT(epoch)                                                                                                 \
    INT(epochs)                                                                                                \
    NUM(train_loss)                                                                                            \
    NUM(train_accuracy) NUM(val_loss) NUM(val_accuracy) NUM(lr) NUM(grad_norm) NUM(samples_per_s) NUM(epoch_s) \
        INT(best_epoch) NUM(wall_s) INT(rollbacks)
#define NNC_METRICS_DIAGNOSIS_FIELDS(INT, NUM, TEXT) \
    INT(epoch) TEXT(code) TEXT(severity) TEXT(subject) TEXT(message) TEXT(advice)
#define NNC_METRICS_ROLLBACK_FIELDS(INT, NUM, TEXT) \
    INT(epoch) INT(step) INT(rollbacks) TEXT(reason) NUM(lr) NUM(new_lr) NUM(wall_s)
#define NNC_METRICS_INTERRUPTED_FIELDS(INT, NUM, TEXT) INT(epoch) INT(step) NUM(wall_s)
#define NNC_METRICS_RESUME_FIELDS(INT, NUM, TEXT) INT(epochs) NUM(wall_s)
#define NNC_METRICS_CHECKPOINT_FIELDS(INT, NUM, TEXT) TEXT(file) INT(epoch) TEXT(monitor) NUM(value) NUM(wall_s)

#define NNC_METRICS_INT_MEMBER(f) int64_t f = 0;
#define NNC_METRICS_NUM_MEMBER(f) double f = NAN;
#define NNC_METRICS_TEXT_MEMBER(f) std::string f;
#define NNC_METRICS_MEMBERS(FIELDS) FIELDS(NNC_METRICS_INT_MEMBER, NNC_METRICS_NUM_MEMBER, NNC_METRICS_TEXT_MEMBER)

// "step": the epoch's running means so far (loss, accuracy); wall_s is of the whole run, resumes
// included.
struct StepLine {
    NNC_METRICS_MEMBERS(NNC_METRICS_STEP_FIELDS)
};

// An epoch's sharpening probe ("probe" of its epoch line; live_diagnosis.h).
struct Probe {
    NNC_METRICS_MEMBERS(NNC_METRICS_PROBE_FIELDS)
    std::vector<double> top_prob_hist;  // counts of the top softmax probability, bins [0,0.1) ... [0.9,1.0]
};

// One loss of a multi-task model ("task_losses": {name: {"train", "val"}}), unweighted.
struct TaskLoss {
    std::string name;
    double train = NAN, val = NAN;
};

// "epoch": nnc_epoch_stats, then what the diagnoses add. best_epoch: the epoch best.ckpt holds so
// far (diagnostics/best_epoch.h: early stopping's when it is on, else the lowest validation loss's;
// 0: none yet).
struct EpochLine {
    NNC_METRICS_MEMBERS(NNC_METRICS_EPOCH_FIELDS)
    std::vector<TaskLoss> task_losses;
    std::optional<Probe> probe;  // softmax classifiers, diagnostics on
    // Per trainable parameter tensor, by name (training_health.h).
    std::vector<std::pair<std::string, double>> grad_norms, update_ratios;
};

// "diagnosis": a finding, printed and logged once (finding_log.h); epoch 0: about the whole run.
struct DiagnosisLine {
    NNC_METRICS_MEMBERS(NNC_METRICS_DIAGNOSIS_FIELDS)
};

// "rollback": the run went back to the start of `epoch` after a divergence at `step`.
struct RollbackLine {
    NNC_METRICS_MEMBERS(NNC_METRICS_ROLLBACK_FIELDS)
};

// "interrupted": Ctrl-C at `step` of `epoch` (step 0: at the epoch's end).
struct InterruptedLine {
    NNC_METRICS_MEMBERS(NNC_METRICS_INTERRUPTED_FIELDS)
};

// "resume": the run's total epochs from now on.
struct ResumeLine {
    NNC_METRICS_MEMBERS(NNC_METRICS_RESUME_FIELDS)
};

// "checkpoint": `file` (best.ckpt) was written with the weights of `epoch`, the best so far by
// `monitor` (early stopping's monitor, so best.ckpt holds the weights early stopping keeps; else
// val_loss), whose value was `value`. last.ckpt is always the latest epoch and has no line.
struct CheckpointLine {
    NNC_METRICS_MEMBERS(NNC_METRICS_CHECKPOINT_FIELDS)
};

// The lines nnc_train's callbacks report, `wall_s` into the run; an epoch's task losses are
// named by `loss_names` (the model's, in order).
StepLine step_line(const nnc_progress& p, double wall_s);
EpochLine epoch_line(const nnc_epoch_stats& s, const std::vector<std::string>& loss_names, double wall_s);

nlohmann::json to_json(const StepLine& line);
nlohmann::json to_json(const EpochLine& line);
nlohmann::json to_json(const Probe& probe);  // the epoch line's "probe" object
nlohmann::json to_json(const DiagnosisLine& line);
nlohmann::json to_json(const RollbackLine& line);
nlohmann::json to_json(const InterruptedLine& line);
nlohmann::json to_json(const ResumeLine& line);
nlohmann::json to_json(const CheckpointLine& line);

// A field of the wrong type: "\"val_loss\" should be a number, not \"x\"".
struct FieldError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The line's "type" ("" when it has none). Throws FieldError if it is not a string.
std::string type_of(const nlohmann::ordered_json& line);
// Readers of one line of each type (any type's fields read the same way). Ordered: the
// per-tensor fields keep the file's order.
StepLine read_step(const nlohmann::ordered_json& line);
EpochLine read_epoch(const nlohmann::ordered_json& line);
DiagnosisLine read_diagnosis(const nlohmann::ordered_json& line);
RollbackLine read_rollback(const nlohmann::ordered_json& line);
InterruptedLine read_interrupted(const nlohmann::ordered_json& line);
ResumeLine read_resume(const nlohmann::ordered_json& line);
CheckpointLine read_checkpoint(const nlohmann::ordered_json& line);
// Any line's wall_s, NaN when it has none.
double wall_s_of(const nlohmann::ordered_json& line);

// What a resumed run reads back from its metrics.jsonl: every whole line that parses and has the
// right types (a line cut by a crash, or one another program mangled, is skipped).
struct History {
    double wall_s = 0;                     // the largest so far
    std::vector<EpochLine> epochs;         // in file order (a rolled-back epoch appears again)
    std::vector<DiagnosisLine> diagnoses;  // the findings already reported
};
History read_history(const std::string& path);

}  // namespace nnc::driver::metrics
