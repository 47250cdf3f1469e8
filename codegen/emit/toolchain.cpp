#include "codegen/emit/toolchain.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "codegen/build_paths.h"

namespace nnc::codegen {
namespace fs = std::filesystem;

namespace {

fs::path executable_dir() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : exe.parent_path();
}

bool complete(const Toolchain& t) {
    return fs::exists(t.runtime_library) && fs::exists(t.exports_map) &&
           fs::exists(fs::path(t.include_dir) / "nnc" / "model_desc.h");
}

Toolchain in_folder(const fs::path& lib_dir, const fs::path& include_dir) {
    Toolchain t;
    t.runtime_library = (lib_dir / "libnnc_runtime.a").string();
    t.exports_map = (lib_dir / "exports.map").string();
    t.include_dir = include_dir.string();
    return t;
}

}  // namespace

Toolchain find_toolchain() {
    std::vector<Toolchain> candidates;
    if (const char* dir = std::getenv("NNC_RUNTIME_DIR")) {
        candidates.push_back(in_folder(dir, fs::path(dir) / "include"));
    } else {
        const fs::path exe = executable_dir();
        candidates.push_back(in_folder(exe / ".." / "lib" / "nnc", exe / ".." / "include"));
        Toolchain build;
        build.runtime_library = NNC_BUILD_RUNTIME_LIBRARY;
        build.exports_map = NNC_BUILD_EXPORTS_MAP;
        build.include_dir = NNC_BUILD_INCLUDE_DIR;
        candidates.push_back(build);
    }
    for (Toolchain& t : candidates) {
        if (!complete(t)) continue;
        const char* cc = std::getenv("CC");
        const char* cxx = std::getenv("CXX");
        t.cc = cc ? cc : NNC_HOST_CC;
        t.cxx = cxx ? cxx : NNC_HOST_CXX;
        return t;
    }
    throw std::runtime_error(
        "cannot find the nnc runtime (libnnc_runtime.a, exports.map, nnc/model_desc.h); looked in " +
        candidates.front().runtime_library +
        (candidates.size() > 1 ? " and " + candidates.back().runtime_library : "") +
        ". Build the nnc_runtime target, or set NNC_RUNTIME_DIR");
}

}  // namespace nnc::codegen
