#include "codegen/emit/pipeline_objects.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <system_error>

namespace nnc::codegen {
namespace fs = std::filesystem;

namespace {

// The manifest, written last: "unit NAME" lines, then "object FILE" lines in link order.
constexpr const char* kManifest = "pipelines.txt";

std::string manifest_text(const std::vector<std::string>& units, const std::vector<fs::path>& objects) {
    std::string out;
    for (const std::string& u : units) out += "unit " + u + "\n";
    for (const fs::path& o : objects) out += "object " + o.filename().string() + "\n";
    return out;
}

}  // namespace

std::optional<std::vector<fs::path>> reusable_pipeline_objects(const fs::path& dir,
                                                               const std::vector<std::string>& units) {
    if (dir.empty()) return std::nullopt;
    std::ifstream in(dir / kManifest);
    if (!in) return std::nullopt;
    std::vector<std::string> kept_units;
    std::vector<fs::path> objects;
    std::string kind, name;
    while (in >> kind >> name) {
        if (kind == "unit") kept_units.push_back(name);
        if (kind == "object") objects.push_back(dir / name);
    }
    // Other pipelines than this build lowers (another nnc's staging, say): not these.
    if (kept_units != units || objects.empty()) return std::nullopt;
    std::error_code ec;
    for (const fs::path& o : objects)
        if (!fs::is_regular_file(o, ec)) return std::nullopt;
    return objects;
}

void keep_pipeline_objects(const fs::path& dir, const std::vector<std::string>& units,
                           const std::vector<fs::path>& objects) {
    if (dir.empty()) return;
    std::error_code ec;
    fs::path staging = dir;
    staging += ".tmp." + std::to_string(getpid());
    fs::remove_all(staging, ec);
    fs::create_directories(staging, ec);
    for (const fs::path& o : objects) {
        if (ec) break;
        fs::copy_file(o, staging / o.filename(), fs::copy_options::overwrite_existing, ec);
    }
    if (!ec) {
        std::ofstream manifest(staging / kManifest);
        manifest << manifest_text(units, objects);
        // Another build may have kept the same pipelines meanwhile: then theirs stay.
        if (manifest.flush()) fs::rename(staging, dir, ec);
    }
    fs::remove_all(staging, ec);
}

}  // namespace nnc::codegen
