// The tuning cache, like FFTW's wisdom: the knobs the tuner chose, by machine (CPU model, ISA
// features, core count, Halide version) and layer signature (codegen/tune/layer_signature.h),
// in a JSON file shared by every model compiled on the machine. A tuning made on another CPU, or
// with another Halide, is never applied.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

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

// The tuning file's name for a CPU model: letters, digits, '-' and '.', the rest as '_', and
// ".json" ("AMD EPYC 9B14" -> "AMD_EPYC_9B14.json").
std::string tuning_file_name(const std::string& cpu_model);

// $NNC_TUNING_CACHE, or <user cache>/nnc/tuning/<CPU model>.json ($XDG_CACHE_HOME, else
// ~/.cache; the build cache's folder).
std::filesystem::path default_tuning_cache_path(const MachineKey& machine);

// One signature's tuning. An entry whose knobs are empty records a search that kept the
// defaults: it is not measured again (except by thorough).
struct TunedLayer {
    KnobValues knobs;            // the knobs that differ from the defaults
    double seconds = 0;          // one run of the layer's training step with these knobs
    double default_seconds = 0;  // the same with the template defaults
    std::string mode;            // the search that found it: quick or thorough
    double ratio = 1;            // seconds / default_seconds as measured interleaved (median of pairs)
    double spread = 0;           // half the interquartile range of the pairs' ratios
    int candidates = 0;          // candidates compiled and timed
    bool complete = true;        // false: the wall-clock budget ended the search early
};

class TuningCache {
public:
    // The file's tunings; none when it does not exist. Throws std::runtime_error naming the file
    // (and the byte offset of a syntax error) when it cannot be read.
    static TuningCache load(const std::filesystem::path& path);

    std::optional<TunedLayer> find(const MachineKey& machine, const std::string& signature) const;
    void put(const MachineKey& machine, const std::string& signature, const TunedLayer& tuned);
    // The machines the file holds tunings for.
    std::vector<MachineKey> machines() const;
    // Writes the file atomically (a temporary beside it, renamed); throws on failure.
    void save() const;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    nlohmann::json doc_;
};

}  // namespace nnc::codegen
