#include "codegen/tune/shipped_tunings.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "codegen/build_paths.h"

namespace nnc::codegen {
namespace fs = std::filesystem;
namespace {

std::optional<ShippedTuning> machine_in(const fs::path& file, const std::string& target_isa,
                                        const std::string& cpu_model, const std::string& halide_version) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return std::nullopt;
    TuningCache cache = TuningCache::load(file);
    for (const MachineKey& m : cache.machines())
        if (m.isa == target_isa && m.halide_version == halide_version &&
            (cpu_model.empty() || m.cpu_model == cpu_model))
            return ShippedTuning{std::move(cache), m};
    return std::nullopt;
}

}  // namespace

fs::path shipped_tunings_dir() {
    if (const char* env = std::getenv("NNC_SHIPPED_TUNINGS"); env && *env) return env;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path installed = exe.parent_path().parent_path() / "share" / "nnc" / "tunings";
        if (fs::is_directory(installed, ec)) return installed;
    }
    return NNC_SOURCE_TUNINGS_DIR;
}

std::optional<ShippedTuning> shipped_tuning_for_host(const MachineKey& host) {
    const fs::path file = shipped_tunings_dir() / tuning_file_name(host.cpu_model);
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return std::nullopt;
    TuningCache cache = TuningCache::load(file);
    for (const MachineKey& m : cache.machines())
        if (m.id() == host.id()) return ShippedTuning{std::move(cache), m};
    return std::nullopt;
}

std::optional<ShippedTuning> shipped_tuning_for_target(const std::string& target_isa, const std::string& cpu_model,
                                                       const std::string& halide_version) {
    const fs::path dir = shipped_tunings_dir();
    if (!cpu_model.empty()) return machine_in(dir / tuning_file_name(cpu_model), target_isa, cpu_model, halide_version);
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files)
        if (auto found = machine_in(f, target_isa, "", halide_version)) return found;
    return std::nullopt;
}

}  // namespace nnc::codegen
