// A saved schedule: data, not code. One JSON file holds, for each pipeline a model builds (keyed
// by the pipeline's name: train_step, forward, evaluate, or train_step_<stage> when staged), an
// ordered list of scheduling directives per Func and stage, and the stamps that say what it was
// made for. A schedule is applied only when every stamp matches the build (schedule_apply.h);
// schedules/README.md describes the format.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nnc::codegen {

// What a schedule was made for. nnc_version, halide_version, target and graph_hash must equal
// the build's; scheduler and its parameters record how it was made.
struct ScheduleStamps {
    std::string nnc_version;
    std::string halide_version;
    std::string target;     // Halide target string, as Target::to_string() prints it
    std::string scheduler;  // Mullapudi2016, Adams2019, Li2018, or "hand"
    nlohmann::json scheduler_params = nlohmann::json::object();  // parallelism, last_level_cache, balance
    std::string graph_hash;  // schedule_graph_hash(): the checked graph and layers-per-stage
};

// One call: op is the Halide method's name (split, compute_at, ...); args in the C++ order, each
// a var or Func name (string), a number, or a TailStrategy / MemoryType name (string).
struct ScheduleDirective {
    std::string op;
    nlohmann::json args = nlohmann::json::array();
    int line = 0;  // where it came from in imported C++ (0: unknown), for error messages
};

struct StageSchedule {
    int update = -1;  // -1: the pure definition; i: update(i)
    std::vector<ScheduleDirective> directives;
};

struct FuncSchedule {
    std::string func;  // the Func's name (as the autoschedulers print it: '$' may read '_')
    int index = -1;    // Pipeline::get_func(index) in the C++ it came from; informational
    // Loop variables named by position, resolved on the Func when applied: "args[0]" (its k-th
    // pure var), "dims[0]" / "update(0).dims[0]" (a stage's k-th loop before scheduling),
    // "update(0).rvars[0]" (an update's k-th reduction var).
    std::map<std::string, std::string> vars;
    std::vector<StageSchedule> stages;  // in the order they are applied
};

struct PipelineSchedule {
    std::vector<FuncSchedule> funcs;  // in the order they are applied
};

struct ScheduleFile {
    static constexpr int kFormatVersion = 1;
    ScheduleStamps stamps;
    std::map<std::string, PipelineSchedule> pipelines;
};

nlohmann::json schedule_to_json(const ScheduleFile& file);
// Throws std::runtime_error naming `origin` (a path) and what is malformed.
ScheduleFile schedule_from_json(const nlohmann::json& json, const std::string& origin);
// Only the directives ({"funcs": [...]}), as nnc-import-schedule prints them for one pipeline.
nlohmann::json pipeline_schedule_to_json(const PipelineSchedule& pipeline);
PipelineSchedule pipeline_schedule_from_json(const nlohmann::json& json, const std::string& origin);

ScheduleFile read_schedule_file(const std::string& path);
void write_schedule_file(const std::string& path, const ScheduleFile& file);

}  // namespace nnc::codegen
