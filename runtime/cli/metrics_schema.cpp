#include "runtime/cli/metrics_schema.h"

#include <fstream>

namespace nnc::driver::metrics {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

// The scalar fields of a line, written and read by their list (metrics_schema.h).
#define NNC_WRITE_INT(f) j[#f] = line.f;
#define NNC_WRITE_NUM(f) j[#f] = number(line.f);
#define NNC_WRITE_TEXT(f) j[#f] = line.f;
#define NNC_WRITE(FIELDS) FIELDS(NNC_WRITE_INT, NNC_WRITE_NUM, NNC_WRITE_TEXT)
#define NNC_READ_INT(f) line.f = read_integer(j, #f);
#define NNC_READ_NUM(f) line.f = read_number(j, #f);
#define NNC_READ_TEXT(f) line.f = read_text(j, #f);
#define NNC_READ(FIELDS) FIELDS(NNC_READ_INT, NNC_READ_NUM, NNC_READ_TEXT)

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// Counts as integers (whole numbers), anything else as a number.
json count(double v) {
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15) return json(static_cast<int64_t>(v));
    return number(v);
}

json per_tensor(const std::vector<std::pair<std::string, double>>& values) {
    json out = json::object();
    for (const auto& [name, v] : values) out[name] = number(v);
    return out;
}

double read_number(const ojson& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return NAN;
    if (!it->is_number()) throw FieldError(std::string("\"") + key + "\" should be a number, not " + it->dump());
    return it->get<double>();
}

int64_t read_integer(const ojson& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return 0;
    if (!it->is_number()) throw FieldError(std::string("\"") + key + "\" should be an integer, not " + it->dump());
    return static_cast<int64_t>(it->get<double>());
}

std::string read_text(const ojson& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return "";
    if (!it->is_string()) throw FieldError(std::string("\"") + key + "\" should be a string, not " + it->dump());
    return it->get<std::string>();
}

// {"name": number-or-null, ...}
std::vector<std::pair<std::string, double>> read_per_tensor(const ojson& j, const char* key) {
    std::vector<std::pair<std::string, double>> out;
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return out;
    if (!it->is_object())
        throw FieldError(std::string("\"") + key + "\" should be an object of numbers, not " + it->dump());
    for (const auto& [name, v] : it->items()) {
        if (!v.is_null() && !v.is_number())
            throw FieldError(std::string("\"") + key + "\"[\"" + name + "\"] should be a number, not " + v.dump());
        out.emplace_back(name, v.is_null() ? NAN : v.get<double>());
    }
    return out;
}

std::optional<Probe> read_probe(const ojson& line_json) {
    const auto it = line_json.find("probe");
    if (it == line_json.end() || it->is_null()) return std::nullopt;
    if (!it->is_object()) throw FieldError("\"probe\" should be an object, not " + it->dump());
    const ojson& j = *it;
    Probe line;
    NNC_READ(NNC_METRICS_PROBE_FIELDS)
    const auto h = j.find("top_prob_hist");
    if (h != j.end() && !h->is_null()) {
        if (!h->is_array())
            throw FieldError("\"probe\".\"top_prob_hist\" should be an array of counts, not " + h->dump());
        for (const ojson& c : *h) {
            if (!c.is_number()) throw FieldError("\"probe\".\"top_prob_hist\" holds a non-number: " + c.dump());
            line.top_prob_hist.push_back(c.get<double>());
        }
    }
    return line;
}

// {"name": {"train": number, "val": number}, ...}; anything else is left out (the report does
// not draw it).
std::vector<TaskLoss> read_task_losses(const ojson& j) {
    std::vector<TaskLoss> out;
    const auto it = j.find("task_losses");
    if (it == j.end() || !it->is_object()) return out;
    for (const auto& [name, v] : it->items()) {
        if (!v.is_object()) continue;
        out.push_back({name, read_number(v, "train"), read_number(v, "val")});
    }
    return out;
}

}  // namespace

StepLine step_line(const nnc_progress& p, double wall_s) {
    StepLine s;
    s.epoch = p.epoch;
    s.step = p.step;
    s.updates = p.updates;
    s.samples = p.samples_done;
    s.loss = p.loss;
    s.accuracy = p.accuracy;
    s.lr = p.lr;
    s.grad_norm = p.grad_norm;
    s.samples_per_s = p.samples_per_second;
    s.wall_s = wall_s;
    return s;
}

EpochLine epoch_line(const nnc_epoch_stats& s, const std::vector<std::string>& loss_names, double wall_s) {
    EpochLine e;
    e.epoch = s.epoch;
    e.epochs = s.epochs;
    e.train_loss = s.train_loss;
    e.train_accuracy = s.train_accuracy;
    e.val_loss = s.val_loss;
    e.val_accuracy = s.val_accuracy;
    for (int l = 0; l < s.num_losses && l < NNC_MAX_LOSSES && static_cast<size_t>(l) < loss_names.size(); ++l)
        e.task_losses.push_back({loss_names[static_cast<size_t>(l)], s.train_task_loss[l], s.val_task_loss[l]});
    e.lr = s.lr;
    e.grad_norm = s.grad_norm;
    e.samples_per_s = s.samples_per_second;
    e.epoch_s = s.seconds;
    e.best_epoch = s.best_epoch;
    e.wall_s = wall_s;
    e.rollbacks = s.rollbacks;
    return e;
}

json to_json(const EpochLine& line) {
    json j = {{"type", kEpoch}};
    NNC_WRITE(NNC_METRICS_EPOCH_FIELDS)
    json tasks = json::object();
    for (const TaskLoss& t : line.task_losses) tasks[t.name] = {{"train", number(t.train)}, {"val", number(t.val)}};
    j["task_losses"] = tasks;
    j["grad_norms"] = per_tensor(line.grad_norms);
    j["update_ratios"] = per_tensor(line.update_ratios);
    if (line.probe) j["probe"] = to_json(*line.probe);
    return j;
}

json to_json(const Probe& line) {
    json j = json::object();
    NNC_WRITE(NNC_METRICS_PROBE_FIELDS)
    json hist = json::array();
    for (double c : line.top_prob_hist) hist.push_back(count(c));
    j["top_prob_hist"] = hist;
    return j;
}

// A line that is its scalar fields and its type, written and read.
#define NNC_PLAIN_LINE(Line, FIELDS, type, reader) \
    json to_json(const Line& line) {               \
        json j = {{"type", type}};                 \
        NNC_WRITE(FIELDS)                          \
        return j;                                  \
    }                                              \
    Line reader(const ojson& j) {                  \
        Line line;                                 \
        NNC_READ(FIELDS)                           \
        return line;                               \
    }

NNC_PLAIN_LINE(StepLine, NNC_METRICS_STEP_FIELDS, kStep, read_step)
NNC_PLAIN_LINE(DiagnosisLine, NNC_METRICS_DIAGNOSIS_FIELDS, kDiagnosis, read_diagnosis)
NNC_PLAIN_LINE(RollbackLine, NNC_METRICS_ROLLBACK_FIELDS, kRollback, read_rollback)
NNC_PLAIN_LINE(InterruptedLine, NNC_METRICS_INTERRUPTED_FIELDS, kInterrupted, read_interrupted)
NNC_PLAIN_LINE(ResumeLine, NNC_METRICS_RESUME_FIELDS, kResume, read_resume)
NNC_PLAIN_LINE(CheckpointLine, NNC_METRICS_CHECKPOINT_FIELDS, kCheckpoint, read_checkpoint)

std::string type_of(const ojson& line) { return read_text(line, "type"); }

EpochLine read_epoch(const ojson& j) {
    EpochLine line;
    NNC_READ(NNC_METRICS_EPOCH_FIELDS)
    line.task_losses = read_task_losses(j);
    line.probe = read_probe(j);
    line.grad_norms = read_per_tensor(j, "grad_norms");
    line.update_ratios = read_per_tensor(j, "update_ratios");
    return line;
}

double wall_s_of(const ojson& j) { return read_number(j, "wall_s"); }

History read_history(const std::string& path) {
    History h;
    std::ifstream in(path);
    std::string text;
    while (std::getline(in, text)) {
        const ojson j = ojson::parse(text, nullptr, false);
        if (j.is_discarded() || !j.is_object()) continue;  // a line cut by a crash
        try {
            const double wall = wall_s_of(j);
            if (std::isfinite(wall)) h.wall_s = std::max(h.wall_s, wall);
            const std::string type = type_of(j);
            if (type == kEpoch) h.epochs.push_back(read_epoch(j));
            if (type == kDiagnosis) h.diagnoses.push_back(read_diagnosis(j));
        } catch (const FieldError&) {
            // not a line nnc wrote: nothing to resume from it
        }
    }
    return h;
}

}  // namespace nnc::driver::metrics
