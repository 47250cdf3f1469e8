// A cache of built model libraries: recompiling an unchanged model copies the library and header
// built last time instead of lowering and compiling again (seconds instead of a minute). The key
// covers everything a build depends on: the .nn text, the options, the output's file name (it is
// the library's soname), and the nnc executable and runtime archive (path, size, time), so a
// rebuilt or reinstalled nnc never reuses a stale library.
//
// Beside each library, its compiled pipelines (codegen/emit/pipeline_objects.h), keyed on what
// the generated code depends on only: the model's tokens without the train section (whose
// settings are run-time values, written into the descriptor), the options (with the batch size
// where an autoscheduler estimates for it) and the toolchain. Editing only the train section,
// comments or layout then regenerates the descriptor and links again, compiling no pipeline.
#pragma once
#include <filesystem>
#include <optional>
#include <string>

namespace nnc::driver {

// What a built library depends on besides its source and options: nnc's version, the nnc
// executable and the runtime archive it links (path, size, modification time), CC, CXX and
// NNC_RUNTIME_DIR. Every cache of built libraries keys on it.
std::string toolchain_fingerprint();

class BuildCache {
public:
    // `options` is any text that identifies the build options. No cache (empty dirs) when there
    // is no home or cache folder to use.
    BuildCache(const std::string& source_text, const std::string& options, const std::string& output_name);

    // Copies a cached library and header to `so` and `header` (each atomically); false on a miss.
    bool restore(const std::filesystem::path& so, const std::filesystem::path& header) const;
    // Keeps copies of a fresh build; a failure only costs the next build its shortcut.
    void store(const std::filesystem::path& so, const std::filesystem::path& header) const;
    const std::filesystem::path& dir() const { return dir_; }
    // The compiled pipelines' folder, for codegen::BuildOptions::pipeline_cache.
    const std::filesystem::path& pipelines_dir() const { return pipelines_; }

private:
    std::filesystem::path dir_;        // empty: caching off
    std::filesystem::path pipelines_;  // empty: caching off
};

// The part of a .nn text the generated pipelines depend on: its tokens, without comments, blank
// lines or the train section.
std::string code_text(const std::string& source_text);

}  // namespace nnc::driver
