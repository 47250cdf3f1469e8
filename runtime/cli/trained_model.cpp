#include "runtime/cli/trained_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "runtime/cli/data_loading.h"
#include "runtime/cli/metrics_schema.h"
#include "runtime/cli/run_config.h"

namespace nnc::driver {
namespace {

namespace fs = std::filesystem;

bool is_run_folder(const fs::path& dir) {
    std::error_code ec;
    return fs::is_directory(dir, ec) && fs::exists(dir / "config.json", ec);
}

RunConfig read_run_config(const fs::path& run) {
    const fs::path path = run / "config.json";
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error("'" + path.string() + "' at byte offset " + std::to_string(e.byte) +
                                 ": not valid JSON; pass the model file and --weights instead of the run folder");
    }
    return run_config_from_json(j, path.string());
}

// The run's model, which config.json names by its absolute path at training time.
TrainedModel from_run(const fs::path& run, const std::string& weights, const std::string& model) {
    TrainedModel t;
    t.run = run.string();
    const RunConfig config = read_run_config(run);
    t.model = model.empty() ? config.model : model;
    t.data = config.data;
    std::error_code ec;
    if (!fs::exists(t.model, ec))
        throw std::runtime_error("run folder '" + t.run + "' was trained with model '" + t.model +
                                 "', which no longer exists; pass the model file before the weights: MODEL --weights " +
                                 (weights.empty() ? t.run + "/best.ckpt" : weights));
    t.weights = weights;
    // --weights last.ckpt: the run's, when there is no such file here.
    if (!weights.empty() && !fs::exists(weights, ec) && fs::exists(run / weights, ec))
        t.weights = (run / weights).string();
    if (t.weights.empty()) {
        for (const char* name : {"best.ckpt", "last.ckpt"}) {
            if (fs::exists(run / name, ec)) {
                t.weights = (run / name).string();
                break;
            }
        }
    }
    if (t.weights.empty())
        throw std::runtime_error("run folder '" + t.run +
                                 "' has no checkpoint yet (best.ckpt or last.ckpt): no epoch of it has finished");
    return t;
}

// The last line of `type` in the run's metrics.jsonl that `keep` accepts (null when none).
template <class Keep>
nlohmann::ordered_json last_line(const fs::path& run, const char* type, Keep&& keep) {
    std::ifstream in(run / "metrics.jsonl");
    std::string text;
    nlohmann::ordered_json found;
    while (std::getline(in, text)) {
        auto j = nlohmann::ordered_json::parse(text, nullptr, false);
        if (j.is_discarded() || !j.is_object()) continue;  // a line cut short by a killed run
        try {
            if (metrics::type_of(j) == type && keep(j)) found = std::move(j);
        } catch (const metrics::FieldError&) {}
    }
    return found;
}

// A CSV file's columns without the run's target columns, comma-separated, so that a file with
// its targets still in it can be predicted from; "" unless every target is among them (the loader
// then reads every column, and says so when they do not fit).
std::string columns_but_targets(const std::string& csv, const std::string& targets) {
    std::ifstream in(csv);
    std::string header;
    if (!std::getline(in, header)) return "";
    if (header.ends_with('\r')) header.pop_back();
    std::vector<std::string> columns = split_list(header);
    size_t found = 0;
    for (const std::string& target : split_list(targets)) {
        const auto it = std::find(columns.begin(), columns.end(), target);
        if (it == columns.end()) return "";
        columns.erase(it);
        ++found;
    }
    if (found == 0) return "";
    std::string out;
    for (const std::string& c : columns) out += (out.empty() ? "" : ",") + c;
    return out;
}

}  // namespace

TrainedModel find_trained_model(const std::string& subject, const std::string& weights, const std::string& model) {
    const fs::path path(subject);
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        if (!is_run_folder(path))
            throw std::runtime_error("'" + subject +
                                     "' is a folder without config.json, not a run folder of nnc train --out; pass a "
                                     "run folder, a checkpoint in one, or a model file (.nn or .so) with --weights");
        return from_run(path, weights, model);
    }
    if (subject.ends_with(".ckpt")) {
        if (!weights.empty())
            throw std::runtime_error("'" + subject + "' is a checkpoint already; drop --weights " + weights +
                                     ", or pass the model file first: MODEL --weights " + weights);
        const fs::path run = path.parent_path().empty() ? fs::path(".") : path.parent_path();
        if (!fs::exists(path, ec)) throw std::runtime_error("'" + subject + "' does not exist");
        if (is_run_folder(run)) return from_run(run, subject, model);
        if (model.empty())
            throw std::runtime_error("'" + subject +
                                     "' is not in a run folder (no config.json beside it), so its model is unknown; "
                                     "pass the model file first: MODEL --weights " +
                                     subject);
        return TrainedModel{model, subject, "", {}};
    }
    if (subject.ends_with(".npz")) {
        if (!model.empty()) return TrainedModel{model, subject, "", {}};
        throw std::runtime_error("'" + subject + "' holds weights only; pass the model file first: MODEL --weights " +
                                 subject);
    }
    if (!model.empty()) throw std::runtime_error("'" + subject + "' is a model file already; drop --model " + model);
    if (weights.empty())
        throw std::runtime_error("name the trained weights of '" + subject +
                                 "' with --weights FILE (.ckpt or .npz), or pass a run folder instead of the model");
    return TrainedModel{subject, weights, "", {}};
}

std::string checkpoint_contents(const std::string& run, const std::string& checkpoint) {
    const std::string name = fs::path(checkpoint).filename().string();
    std::error_code ec;
    const fs::path folder = fs::path(checkpoint).parent_path();
    if (run.empty() || !fs::equivalent(folder.empty() ? fs::path(".") : folder, run, ec)) return "";
    if (name == "best.ckpt") {
        const auto j =
            last_line(run, metrics::kCheckpoint, [](const auto& l) { return l.value("file", "") == "best.ckpt"; });
        if (j.is_null()) return "";
        const metrics::CheckpointLine c = metrics::read_checkpoint(j);
        char value[32];
        std::snprintf(value, sizeof value, "%.6g", c.value);
        return "epoch " + std::to_string(c.epoch) + ", the best " + c.monitor +
               (std::isfinite(c.value) ? " " + std::string(value) : "");
    }
    if (name == "last.ckpt") {
        const auto j = last_line(run, metrics::kEpoch, [](const auto&) { return true; });
        if (j.is_null()) return "";
        return "epoch " + std::to_string(metrics::read_epoch(j).epoch) + ", the latest";
    }
    return "";
}

std::unique_ptr<Session> open_trained_model(const TrainedModel& t, DataOptions data, const std::string& csv_input,
                                            const ModelCompiler& compiler) {
    if (!t.run.empty() && t.data.path.ends_with(".csv") && csv_input.ends_with(".csv")) {
        if (data.targets.empty()) data.targets = t.data.targets;
        if (data.features.empty()) data.features = t.data.features;
        if (data.features.empty()) data.features = columns_but_targets(csv_input, data.targets);
    }
    auto session = std::make_unique<Session>(t.model, compiler, data);
    session->load_weights(t.weights);
    if (!t.run.empty()) {
        const std::string holds = checkpoint_contents(t.run, t.weights);
        std::fprintf(stderr, "weights: %s%s\n", t.weights.c_str(), holds.empty() ? "" : (" (" + holds + ")").c_str());
    }
    return session;
}

}  // namespace nnc::driver
