#include "runtime/cli/run_folder.h"

#include "runtime/cli/atomic_write.h"
#include "runtime/cli/dead_temporaries.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace nnc::driver {
namespace {

namespace fs = std::filesystem;

// Refuses a folder that holds a run already: nothing is overwritten by accident.
void check_no_run(const std::string& path) {
    std::error_code ec;
    if (fs::exists(fs::path(path) / "config.json", ec)) {
        throw std::runtime_error("'" + path + "' already holds a run (config.json); continue it with --resume " + path +
                                 " or pick another --out");
    }
}

}  // namespace

std::string RunFolder::default_path(const std::string& model_name) {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
    // Two runs started in the same second get -2, -3, ...
    const std::string base = "runs/" + model_name + "-" + stamp;
    std::string path = base;
    std::error_code ec;
    for (int i = 2; fs::exists(path, ec); ++i) path = base + "-" + std::to_string(i);
    return path;
}

void RunFolder::check_unused(const std::string& path) {
    if (const long pid = RunFolderLock::holder(path)) throw std::runtime_error(RunFolderLock::in_use(path, pid));
    check_no_run(path);
}

RunFolder RunFolder::create(const std::string& path) {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) throw std::runtime_error("cannot create the run folder '" + path + "': " + ec.message());
    RunFolder folder(path, RunFolderLock::take(path));
    // Again under the lock (holder() would release it): a run started beside this one may have
    // written it meanwhile.
    check_no_run(path);
    folder.remove_dead_temporaries();
    return folder;
}

RunFolder RunFolder::open(const std::string& path) {
    std::error_code ec;
    if (!fs::exists(fs::path(path) / "config.json", ec))
        throw std::runtime_error("cannot resume '" + path +
                                 "': it has no config.json; is it a run folder written by nnc train --out?");
    // The lock first: a run still in its first epoch has no last.ckpt yet, and is not dead.
    RunFolder folder(path, RunFolderLock::take(path));
    if (!fs::exists(fs::path(path) / "last.ckpt", ec))
        throw std::runtime_error("cannot resume '" + path +
                                 "': it has no last.ckpt (no epoch finished before the run stopped); remove the folder "
                                 "and start the run again");
    return folder;
}

RunFolder::RunFolder(RunFolder&& other) noexcept
    : path_(std::move(other.path_)), lock_(std::move(other.lock_)), metrics_(other.metrics_) {
    other.metrics_ = nullptr;
}

std::vector<std::string> RunFolder::remove_dead_temporaries() const {
    std::vector<std::string> removed = driver::remove_dead_temporaries(path_);
    for (const std::string& name : removed)
        std::fprintf(stderr, "removed %s/%s, left by a writer that was killed while saving\n", path_.c_str(),
                     name.c_str());
    return removed;
}

RunFolder::~RunFolder() {
    if (metrics_) std::fclose(metrics_);
}

void RunFolder::write_config(const nlohmann::json& config) const {
    write_atomically(file("config.json"), config.dump(2) + "\n");
}

nlohmann::json RunFolder::read_config() const {
    std::ifstream in(file("config.json"));
    std::stringstream text;
    text << in.rdbuf();
    try {
        return nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error("'" + file("config.json") + "' at byte offset " + std::to_string(e.byte) +
                                 ": not valid JSON; restore it or start a new run");
    }
}

void RunFolder::log(const nlohmann::json& line) {
    if (!metrics_) {
        metrics_ = std::fopen(file("metrics.jsonl").c_str(), "a");
        if (!metrics_) throw std::runtime_error("cannot open '" + file("metrics.jsonl") + "': " + std::strerror(errno));
    }
    const std::string text = line.dump() + "\n";
    if (std::fwrite(text.data(), 1, text.size(), metrics_) != text.size() || std::fflush(metrics_) != 0) {
        throw std::runtime_error("cannot write '" + file("metrics.jsonl") + "': " + std::strerror(errno));
    }
}

}  // namespace nnc::driver
