#include "codegen/tune/tuning_cache.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "codegen/build_paths.h"
#include "codegen/emit/host_target.h"

namespace nnc::codegen {
namespace fs = std::filesystem;
namespace {

constexpr const char* kFormat = "nnc tuning cache 1";

std::string cpu_model_name() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            const size_t colon = line.find(':');
            if (colon == std::string::npos) break;
            const size_t start = line.find_first_not_of(' ', colon + 1);
            return start == std::string::npos ? std::string() : line.substr(start);
        }
    return "unknown CPU";
}

}  // namespace

std::string tuning_file_name(const std::string& cpu_model) {
    std::string out;
    for (char c : cpu_model) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
    return (out.empty() ? "unknown" : out) + ".json";
}

std::string MachineKey::id() const {
    return cpu_model + " | " + isa + " | " + std::to_string(cores) + " threads | Halide " + halide_version;
}

MachineKey this_machine() {
    MachineKey m;
    m.cpu_model = cpu_model_name();
    m.isa = host_target().to_string();
    m.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    m.halide_version = NNC_HALIDE_VERSION;
    return m;
}

fs::path default_tuning_cache_path(const MachineKey& machine) {
    if (const char* env = std::getenv("NNC_TUNING_CACHE"); env && *env) return env;
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    const fs::path root = xdg && *xdg     ? fs::path(xdg) / "nnc"
                          : home && *home ? fs::path(home) / ".cache" / "nnc"
                                          : fs::temp_directory_path() / "nnc-cache";
    return root / "tuning" / tuning_file_name(machine.cpu_model);
}

TuningCache TuningCache::load(const fs::path& path) {
    TuningCache cache;
    cache.path_ = path;
    cache.doc_ = {{"format", kFormat}, {"machines", nlohmann::json::object()}};
    std::ifstream in(path, std::ios::binary);
    if (!in) return cache;
    std::ostringstream text;
    text << in.rdbuf();
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error(path.string() + ": byte " + std::to_string(e.byte) +
                                 ": not a tuning cache (invalid JSON); delete it and tune again (nnc tune-kernels)");
    }
    if (!doc.is_object() || doc.value("format", "") != kFormat || !doc.contains("machines") ||
        !doc["machines"].is_object())
        throw std::runtime_error(path.string() + ": not an nnc tuning cache (expected \"format\": \"" + kFormat +
                                 "\"); delete it or point NNC_TUNING_CACHE elsewhere");
    cache.doc_ = std::move(doc);
    return cache;
}

std::optional<TunedLayer> TuningCache::find(const MachineKey& machine, const std::string& signature) const {
    const nlohmann::json& machines = doc_["machines"];
    auto m = machines.find(machine.id());
    if (m == machines.end() || !m->contains("layers")) return std::nullopt;
    auto l = (*m)["layers"].find(signature);
    if (l == (*m)["layers"].end()) return std::nullopt;
    try {
        TunedLayer t;
        t.knobs = l->at("knobs").get<KnobValues>();
        t.seconds = l->value("seconds", 0.0);
        t.default_seconds = l->value("default_seconds", 0.0);
        t.mode = l->value("mode", "");
        t.ratio = l->value("ratio", 1.0);
        t.spread = l->value("spread", 0.0);
        t.candidates = l->value("candidates", 0);
        t.complete = l->value("complete", true);
        return t;
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path_.string() + ": the entry for '" + signature + "' is malformed (" + e.what() +
                                 "); delete it and tune again");
    }
}

void TuningCache::put(const MachineKey& machine, const std::string& signature, const TunedLayer& tuned) {
    nlohmann::json& m = doc_["machines"][machine.id()];
    m["cpu_model"] = machine.cpu_model;
    m["isa"] = machine.isa;
    m["cores"] = machine.cores;
    m["halide_version"] = machine.halide_version;
    m["layers"][signature] = {
        {"knobs", tuned.knobs},       {"seconds", tuned.seconds}, {"default_seconds", tuned.default_seconds},
        {"ratio", tuned.ratio},       {"spread", tuned.spread},   {"candidates", tuned.candidates},
        {"complete", tuned.complete}, {"mode", tuned.mode}};
}

std::vector<MachineKey> TuningCache::machines() const {
    std::vector<MachineKey> out;
    for (const auto& [id, m] : doc_["machines"].items()) {
        if (!m.is_object()) continue;
        MachineKey k;
        try {
            k.cpu_model = m.value("cpu_model", "");
            k.isa = m.value("isa", "");
            k.cores = m.value("cores", 0);
            k.halide_version = m.value("halide_version", "");
        } catch (const nlohmann::json::exception& e) {
            throw std::runtime_error(path_.string() + ": the machine '" + id + "' is malformed (" + e.what() +
                                     "); delete it and tune again");
        }
        if (k.id() == id) out.push_back(k);  // an entry whose fields disagree with its key is never found
    }
    return out;
}

void TuningCache::save() const {
    std::error_code ec;
    if (path_.has_parent_path()) fs::create_directories(path_.parent_path(), ec);
    const fs::path tmp = path_.string() + ".tmp" + std::to_string(getpid());
    {
        std::ofstream out(tmp, std::ios::binary);
        out << doc_.dump(2) << "\n";
        if (!out.flush()) {
            fs::remove(tmp, ec);
            throw std::runtime_error("cannot write the tuning cache " + path_.string() +
                                     "; check the folder's permissions or set NNC_TUNING_CACHE");
        }
    }
    fs::rename(tmp, path_, ec);
    if (ec) {
        const std::string why = ec.message();
        fs::remove(tmp, ec);
        throw std::runtime_error("cannot write the tuning cache " + path_.string() + ": " + why +
                                 "; check the folder's permissions or set NNC_TUNING_CACHE");
    }
}

}  // namespace nnc::codegen
