#include "codegen/scheduler.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#ifndef NNC_HALIDE_PLUGIN_DIR
#define NNC_HALIDE_PLUGIN_DIR "/usr/lib/x86_64-linux-gnu/halide14"
#endif

namespace nnc::codegen {

const std::vector<std::string>& known_autoschedulers() {
    static const std::vector<std::string> names{"Mullapudi2016", "Adams2019", "Li2018"};
    return names;
}

namespace {

std::string plugin_file(const std::string& name) {
    if (name == "Mullapudi2016") return "libautoschedule_mullapudi2016.so";
    if (name == "Adams2019") return "libautoschedule_adams2019.so";
    if (name == "Li2018") return "libautoschedule_li2018.so";
    std::string known;
    for (const auto& n : known_autoschedulers()) known += (known.empty() ? "" : ", ") + n;
    throw std::runtime_error("unknown autoscheduler '" + name + "'; choose one of: " + known);
}

void load_autoscheduler(const std::string& name) {
    static std::mutex mu;
    static std::set<std::string> loaded;
    std::lock_guard<std::mutex> lock(mu);
    if (loaded.count(name)) return;
    const char* dir = std::getenv("NNC_HALIDE_PLUGIN_DIR");
    const std::string path = std::string(dir ? dir : NNC_HALIDE_PLUGIN_DIR) + "/" + plugin_file(name);
    try {
        Halide::load_plugin(path);
    } catch (const Halide::Error& e) {
        throw std::runtime_error("cannot load the " + name + " autoscheduler from " + path + ": " + e.what() +
                                 "; install libhalide14-0-dev or set NNC_HALIDE_PLUGIN_DIR");
    }
    loaded.insert(name);
}

// The autoschedulers print "Warning: Insufficient parallelism ..." lines for every small stage;
// they say nothing a user can act on, so they are kept off the terminal unless NNC_VERBOSE is set.
class QuietStderr {
public:
    QuietStderr() {
        if (std::getenv("NNC_VERBOSE")) return;
        std::fflush(stderr);
        saved_ = dup(2);
        const int null_fd = open("/dev/null", O_WRONLY);
        if (saved_ >= 0 && null_fd >= 0) dup2(null_fd, 2);
        if (null_fd >= 0) close(null_fd);
    }
    ~QuietStderr() {
        if (saved_ < 0) return;
        std::fflush(stderr);
        dup2(saved_, 2);
        close(saved_);
    }
    QuietStderr(const QuietStderr&) = delete;
    QuietStderr& operator=(const QuietStderr&) = delete;

private:
    int saved_ = -1;
};

// The autoschedulers split the batch loop with ShiftInwards, which needs the batch to be at least
// the split factor: a last partial batch of 8 samples then fails with "accessed at -8". Every
// split is made GuardWithIf instead, which is legal for any split and any extent; the cost is a
// guarded tail loop.
void guard_all_splits(const Halide::Pipeline& pipeline) {
    std::map<std::string, Halide::Internal::Function> funcs;
    for (const Halide::Func& out : pipeline.outputs()) {
        funcs[out.name()] = out.function();
        for (auto& kv : Halide::Internal::find_transitive_calls(out.function())) funcs.insert(kv);
    }
    auto guard = [](Halide::Internal::StageSchedule schedule) {
        for (Halide::Internal::Split& split : schedule.splits())
            if (split.is_split()) split.tail = Halide::TailStrategy::GuardWithIf;
    };
    for (auto& [name, f] : funcs) {
        guard(f.definition().schedule());
        for (Halide::Internal::Definition update : f.updates()) guard(update.schedule());  // handles share contents
    }
}

}  // namespace

std::string schedule_pipeline(Halide::Pipeline& pipeline, const Halide::Target& target,
                              const ScheduleOptions& options) {
    load_autoscheduler(options.autoscheduler);
    if (options.autoscheduler == "Adams2019") setenv("HL_BEAM_SIZE", "1", /*overwrite=*/0);
    const int parallelism = options.parallelism > 0 ? options.parallelism
                                                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    Halide::MachineParams machine(parallelism, options.last_level_cache, options.balance);
    try {
        QuietStderr quiet;
        Halide::AutoSchedulerResults r = pipeline.auto_schedule(options.autoscheduler, target, machine);
        guard_all_splits(pipeline);
        return r.schedule_source;
    } catch (const Halide::Error& e) {
        throw std::runtime_error(options.autoscheduler + " failed to schedule the pipeline: " + e.what());
    }
}

}  // namespace nnc::codegen
