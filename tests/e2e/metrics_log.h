// What a run folder's metrics.jsonl says: its lines of one type, the codes of its diagnoses.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace nnc::test {

// The lines of `run`/metrics.jsonl whose "type" is `type` ("epoch", "diagnosis", ...), in order.
inline std::vector<nlohmann::json> metrics_of_type(const std::filesystem::path& run, const std::string& type) {
    std::vector<nlohmann::json> out;
    std::ifstream in(run / "metrics.jsonl");
    for (std::string line; std::getline(in, line);) {
        nlohmann::json j = nlohmann::json::parse(line);
        if (j.value("type", "") == type) out.push_back(std::move(j));
    }
    return out;
}

// The codes of the run's findings ("overfitting", "lr-too-low", ...).
inline std::set<std::string> diagnosis_codes(const std::filesystem::path& run) {
    std::set<std::string> codes;
    for (const nlohmann::json& d : metrics_of_type(run, "diagnosis")) codes.insert(d["code"].get<std::string>());
    return codes;
}

}  // namespace nnc::test
