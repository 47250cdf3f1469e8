// Scheduling a lowered pipeline. Every pipeline that reaches a build is scheduled: an unscheduled
// gradient pipeline compiles slowly (Halide inlines everything) and runs slowly.
#pragma once
#include <Halide.h>

#include <map>
#include <string>
#include <vector>

#include "codegen/schedule/layer_records.h"
#include "codegen/schedule/template_knobs.h"
#include "dsl/model.h"

namespace nnc::codegen {

struct ScheduleOptions {
    // "template" (the default): each layer's hand schedule template, default_schedule for the
    // rest. Or a Halide autoscheduler: Mullapudi2016 (the best of them on multi-stage pipelines
    // here), Adams2019 (greedy only, HL_BEAM_SIZE=1: its beam search took 645 s on one conv
    // layer), Li2018.
    std::string scheduler = "template";
    int parallelism = 0;  // 0: this machine's hardware threads
    int64_t last_level_cache = 32 * 1024 * 1024;
    int balance = 40;
    // The templates' knobs by node name (the tuner's, codegen/tune/): a node's templates read its
    // values through ScheduleContext::knobs; a node absent keeps every template default.
    std::map<std::string, KnobValues> knobs;
};

const std::vector<std::string>& known_schedulers();

// Applies the schedule to the pipeline's Funcs (lowered from `model`); returns the
// autoscheduler's schedule as C++ text, or a summary for templates. Throws std::runtime_error
// naming the scheduler if it cannot be loaded or fails.
// `batch` is the pipeline's batch extent and `records` what its lowering recorded
// (LoweredPipeline::batch and ::records, or a LoweredStage's): the layers' templates schedule
// the Funcs their records hold.
std::string schedule_pipeline(Halide::Pipeline& pipeline, const dsl::CheckedModel& model, const Halide::Expr& batch,
                              const LayerRecords& records, const Halide::Target& target,
                              const ScheduleOptions& options);

// Every Func of the pipeline by name: its outputs and everything they call.
std::map<std::string, Halide::Internal::Function> all_functions(const Halide::Pipeline& pipeline);

// Makes every split of every stage GuardWithIf (see scheduler.cpp: the autoschedulers'
// ShiftInwards splits fail on a last partial batch).
void guard_all_splits(const Halide::Pipeline& pipeline);

}  // namespace nnc::codegen
