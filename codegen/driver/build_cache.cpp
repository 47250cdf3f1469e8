#include "codegen/driver/build_cache.h"

#include <unistd.h>

#include <cstdlib>
#include <system_error>

#include <nnc/nnc.h>

#include "codegen/build_paths.h"
#include "codegen/emit/descriptor_gen.h"
#include "codegen/emit/toolchain.h"
#include "dsl/lexer.h"

namespace nnc::driver {
namespace fs = std::filesystem;

namespace {

// Path, size and modification time: what changes whenever the file is rebuilt or replaced.
std::string fingerprint(const fs::path& p) {
    std::error_code ec;
    const fs::path canonical = fs::canonical(p, ec);
    if (ec) return p.string() + ":missing";
    const auto size = fs::file_size(canonical, ec);
    const auto time = fs::last_write_time(canonical, ec).time_since_epoch().count();
    return canonical.string() + ":" + std::to_string(size) + ":" + std::to_string(time);
}

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// Copies `from` over `to` through a temporary beside `to`: readers never see half a file.
bool copy_atomically(const fs::path& from, const fs::path& to) {
    fs::path staging = to;
    staging += ".tmp." + std::to_string(getpid());
    std::error_code ec;
    fs::copy_file(from, staging, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::rename(staging, to, ec);
    if (ec) fs::remove(staging, ec);
    return !ec;
}

}  // namespace

std::string code_text(const std::string& source_text) {
    dsl::Diagnostics diags;  // the model was checked before: nothing to report
    const std::vector<dsl::Token> tokens = dsl::lex(dsl::SourceFile("", source_text), diags);
    std::string out;
    bool line_ended = true;  // a run of newlines (blank and comment lines) counts as one
    for (size_t i = 0; i < tokens.size(); ++i) {
        const dsl::Token& t = tokens[i];
        if (t.kind == dsl::TokenKind::KwTrain) {  // `train { ... }`: skipped to its closing brace
            int depth = 0;
            for (++i; i < tokens.size(); ++i) {
                if (tokens[i].kind == dsl::TokenKind::LBrace) ++depth;
                if (tokens[i].kind == dsl::TokenKind::RBrace && --depth <= 0) break;
            }
            continue;
        }
        if (t.kind == dsl::TokenKind::Newline && line_ended) continue;
        line_ended = t.kind == dsl::TokenKind::Newline;
        // Kind and length first: no two token streams serialize alike.
        out += std::to_string(static_cast<int>(t.kind)) + ":" + std::to_string(t.text.size()) + ":" + t.text + " ";
    }
    return out;
}

std::string toolchain_fingerprint() {
    std::string runtime = "none";
    try {
        runtime = fingerprint(codegen::find_toolchain().runtime_library);
    } catch (const std::exception&) {  // the build itself will say what is missing
    }
    return std::string(NNC_VERSION) + "\n" + fingerprint("/proc/self/exe") + "\n" + runtime + "\n" + env("CC") + "\n" +
           env("CXX") + "\n" + env("NNC_RUNTIME_DIR");
}

BuildCache::BuildCache(const std::string& source_text, const std::string& options, const std::string& output_name) {
    const std::string xdg = env("XDG_CACHE_HOME"), home = env("HOME");
    if (xdg.empty() && home.empty()) return;
    const fs::path root =
        !xdg.empty() ? fs::path(xdg) / "nnc" / "builds" : fs::path(home) / ".cache" / "nnc" / "builds";
    const std::string toolchain = toolchain_fingerprint();
    const std::string key = source_text + "\n" + options + "\n" + output_name + "\n" + toolchain;
    dir_ = root / codegen::hash_source(key);
    pipelines_ = root / ("pipelines-" + codegen::hash_source(code_text(source_text) + "\n" + options + "\n" +
                                                             toolchain + "\n" + std::to_string(NNC_ABI_VERSION)));
}

bool BuildCache::restore(const fs::path& so, const fs::path& header) const {
    if (dir_.empty()) return false;
    std::error_code ec;
    if (!fs::exists(dir_ / "model.so", ec) || !fs::exists(dir_ / "model.h", ec)) return false;
    return copy_atomically(dir_ / "model.h", header) && copy_atomically(dir_ / "model.so", so);
}

void BuildCache::store(const fs::path& so, const fs::path& header) const {
    if (dir_.empty()) return;
    std::error_code ec;
    fs::create_directories(dir_, ec);
    // The header first: restore() looks for the library, so an entry is complete once it exists.
    if (!ec && copy_atomically(header, dir_ / "model.h")) copy_atomically(so, dir_ / "model.so");
}

}  // namespace nnc::driver
