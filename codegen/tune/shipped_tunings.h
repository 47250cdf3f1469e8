// The tunings nnc ships: schedules/tunings/<CPU model>.json, one file per CPU the project was
// measured on, in the tuning cache's format (codegen/tune/tuning_cache.h). A build reads one
// where this machine's cache lacks a signature, and for a --target other than this machine
// (whose CPU nnc cannot measure) it is the only tuning there is.
#pragma once
#include <filesystem>
#include <optional>
#include <string>

#include "codegen/tune/tuning_cache.h"

namespace nnc::codegen {

// $NNC_SHIPPED_TUNINGS, else share/nnc/tunings beside an installed nnc (../share/nnc/tunings),
// else the source tree's schedules/tunings.
std::filesystem::path shipped_tunings_dir();

// A shipped file and the machine in it whose entries apply.
struct ShippedTuning {
    TuningCache file;
    MachineKey machine;
};

// This machine's: the file named by its CPU model, when it holds this exact machine key.
// Throws std::runtime_error naming the file (and byte offset) when the file is corrupt.
std::optional<ShippedTuning> shipped_tuning_for_host(const MachineKey& host);

// For a build target: the machine whose ISA is `target_isa` (a Halide target string) and whose
// Halide is `halide_version`, in the file of `cpu_model` or, when it is empty, in any shipped
// file (the first by file name). Throws as above.
std::optional<ShippedTuning> shipped_tuning_for_target(const std::string& target_isa, const std::string& cpu_model,
                                                       const std::string& halide_version);

}  // namespace nnc::codegen
