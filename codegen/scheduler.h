// Scheduling a lowered pipeline. Every pipeline that reaches a build is scheduled: an unscheduled
// gradient pipeline compiles slowly and runs slowly (HALIDE_NOTES.md).
#pragma once
#include <Halide.h>

#include <string>
#include <vector>

namespace nnc::codegen {

struct ScheduleOptions {
    // Mullapudi2016 is the default: it schedules in well under a second and was the best
    // autoscheduler on every multi-stage pipeline measured here. Adams2019 runs greedy only
    // (HL_BEAM_SIZE=1): its beam search took 645 s on one conv layer.
    std::string autoscheduler = "Mullapudi2016";
    int parallelism = 0;                        // 0: this machine's hardware threads
    int64_t last_level_cache = 32 * 1024 * 1024;
    int balance = 40;
};

const std::vector<std::string>& known_autoschedulers();

// Applies the schedule to the pipeline's Funcs; returns the schedule as C++ text (provenance).
// Throws std::runtime_error naming the autoscheduler if it cannot be loaded or fails.
std::string schedule_pipeline(Halide::Pipeline& pipeline, const Halide::Target& target,
                              const ScheduleOptions& options);

}  // namespace nnc::codegen
