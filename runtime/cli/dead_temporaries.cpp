#include "runtime/cli/dead_temporaries.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <filesystem>
#include <optional>

namespace nnc::driver {
namespace {

// The writer's pid in "<file>.tmp.<pid>", if the name has that form.
std::optional<pid_t> writer_of(const std::string& name) {
    const size_t tmp = name.rfind(".tmp.");
    if (tmp == std::string::npos || tmp == 0) return std::nullopt;
    const char* first = name.data() + tmp + 5;
    const char* last = name.data() + name.size();
    pid_t pid = 0;
    const auto [end, ec] = std::from_chars(first, last, pid);
    if (ec != std::errc() || end != last || first == last || pid <= 0) return std::nullopt;
    return pid;
}

bool runs(pid_t pid) { return pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH; }

}  // namespace

std::vector<std::string> remove_dead_temporaries(const std::string& folder) {
    namespace fs = std::filesystem;
    std::vector<std::string> removed;
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const std::optional<pid_t> pid = writer_of(name);
        std::error_code kind;
        if (!pid || !it->is_regular_file(kind) || runs(*pid)) continue;
        std::error_code gone;
        if (fs::remove(it->path(), gone)) removed.push_back(name);
    }
    return removed;
}

}  // namespace nnc::driver
