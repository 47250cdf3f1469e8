// A folder of a model's compiled pipelines: every unit's object file and the Halide runtime, as
// the library builder compiled them. The descriptor (which holds the train section's defaults)
// is not among them, so a model whose train section alone changed links these again instead of
// scheduling and compiling its pipelines anew (seconds instead of a minute).
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace nnc::codegen {

// The objects kept in `dir`, in link order, if it holds a complete set for exactly these units
// (the names of the pipelines lowered this time); nullopt otherwise.
std::optional<std::vector<std::filesystem::path>> reusable_pipeline_objects(const std::filesystem::path& dir,
                                                                            const std::vector<std::string>& units);

// Keeps copies of `objects` (compiled for `units`) in `dir`, complete or not at all: they are
// gathered beside it and renamed into place. A failure only costs the next build its shortcut.
void keep_pipeline_objects(const std::filesystem::path& dir, const std::vector<std::string>& units,
                           const std::vector<std::filesystem::path>& objects);

}  // namespace nnc::codegen
