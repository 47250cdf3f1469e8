// Applying a saved schedule (codegen/schedule/saved_schedule_file.h) to the pipelines of a build. The stamps are
// checked first: a schedule made for another graph, target, nnc or Halide is refused, never
// applied silently. Then each directive is applied to the Func it names; an unknown Func, stage
// or loop variable is an error that names it.
#pragma once
#include <Halide.h>

#include <string>

#include "codegen/schedule/saved_schedule_file.h"
#include "codegen/schedule/scheduler.h"
#include "dsl/model.h"

namespace nnc::codegen {

// A hash of what a schedule's Func and loop names depend on: the checked graph (ops, attributes,
// shapes) and how it is cut into stages. Stable across runs and machines.
std::string schedule_graph_hash(const dsl::CheckedModel& model, int layers_per_stage);

// The stamps of a schedule made now for this build (this nnc, this Halide).
ScheduleStamps current_schedule_stamps(const dsl::CheckedModel& model, const Halide::Target& target,
                                       int layers_per_stage, const ScheduleOptions& options);

// Throws std::runtime_error naming the first stamp that differs, both values, and how to remake
// the schedule. `path` names the file in the message.
void check_schedule_stamps(const ScheduleFile& file, const ScheduleStamps& build, const std::string& path);

// Applies one pipeline's directives in order (then makes every split GuardWithIf, as after an
// autoscheduler: scheduler.h). Throws std::runtime_error naming `path`, the pipeline and the
// unknown Func / stage / var, or the directive Halide rejected.
void apply_saved_schedule(Halide::Pipeline& pipeline, const PipelineSchedule& schedule,
                          const std::string& pipeline_name, const std::string& path);

}  // namespace nnc::codegen
