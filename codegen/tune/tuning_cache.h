// The tuning cache, like FFTW's wisdom: the knobs the tuner chose, by machine (CPU model, ISA
// features, core count, Halide version) and layer signature (codegen/tune/layer_signature.h),
// in a JSON file shared by every model compiled on the machine. A tuning made on another CPU, or
// with another Halide, is never applied.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

#include "codegen/schedule/template_knobs.h"

namespace nnc::codegen {

struct MachineKey {
    std::string cpu_model;  // /proc/cpuinfo's "model name", as lscpu shows it
    std::string isa;        // the host Halide target (architecture and features)
    int cores = 0;          // hardware threads
    std::string halide_version;
    std::string id() const;  // all four in one line: the cache's key for the machine
};

// This machine's key.
MachineKey this_machine();

// $NNC_TUNING_CACHE, or <user cache>/nnc/tuning/<CPU model>.json ($XDG_CACHE_HOME, else
// ~/.cache; the build cache's folder).
std::filesystem::path default_tuning_cache_path(const MachineKey& machine);

struct TunedLayer {
    KnobValues knobs;
    double seconds = 0;          // one run of the layer's training step with these knobs
    double default_seconds = 0;  // the same with the template defaults
    std::string mode;            // the search that found it: quick or thorough
};

class TuningCache {
public:
    // The file's tunings; none when it does not exist. Throws std::runtime_error naming the file
    // (and the byte offset of a syntax error) when it cannot be read.
    static TuningCache load(const std::filesystem::path& path);

    std::optional<TunedLayer> find(const MachineKey& machine, const std::string& signature) const;
    void put(const MachineKey& machine, const std::string& signature, const TunedLayer& tuned);
    // Writes the file atomically (a temporary beside it, renamed); throws on failure.
    void save() const;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    nlohmann::json doc_;
};

}  // namespace nnc::codegen
