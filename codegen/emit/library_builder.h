// From a checked model to model.so + model.h: lower, estimate, schedule, compile ahead of time,
// generate the descriptor, link with the runtime. Nothing is written at the destination unless
// every step succeeds.
#pragma once
#include <Halide.h>

#include <map>
#include <string>

#include "codegen/emit/host_target.h"
#include "codegen/schedule/saved_schedule_file.h"
#include "codegen/schedule/scheduler.h"
#include "dsl/model.h"

namespace nnc::codegen {

struct BuildOptions {
    std::string output;  // model.so
    std::string header;  // model.h; empty: next to output with .h
    Halide::Target target = host_target();
    ScheduleOptions schedule;
    std::string source_text;  // the .nn text, hashed into the descriptor
    std::string emit_dir;     // if set, also write stmt/schedule/descriptor files here
    bool verbose = false;
    // Training steps of models with more layers than this compile as several pipelines
    // (codegen/lower/staged_lowering.h); 0 keeps one pipeline. CPU targets only.
    int layers_per_stage = 12;
    // A saved schedule (codegen/schedule/saved_schedule_file.h) applied instead of `schedule`, after its stamps
    // are checked against this build; saved_schedule_path names it in messages.
    const ScheduleFile* saved_schedule = nullptr;
    std::string saved_schedule_path;
    // If set, receives each pipeline's schedule as C++ text (an autoscheduler's), keyed by the
    // pipeline's name (train_step, forward, evaluate, train_step_<stage>): --save-schedule.
    std::map<std::string, std::string>* schedule_sources = nullptr;
    // A folder of compiled pipelines (codegen/emit/pipeline_objects.h) to link instead of
    // scheduling and compiling, when it holds this model's; otherwise filled with the fresh ones.
    // Whoever names it keys it on everything the pipelines depend on; empty: none.
    std::string pipeline_cache;
};

struct BuildTimes {
    double lower = 0, schedule = 0, compile = 0, link = 0;
    bool reused_pipelines = false;  // linked from BuildOptions::pipeline_cache: nothing scheduled or compiled
    double total() const { return lower + schedule + compile + link; }
};

// Throws std::runtime_error with a message for the user on failure.
BuildTimes build_model_library(const dsl::CheckedModel& model, const BuildOptions& options);

}  // namespace nnc::codegen
