// The knobs a layer's schedule reads (ScheduleContext::knobs), with their ranges: the
// templates' spaces (codegen/schedule/template_knobs.h) prefixed by the Func they schedule
// ("fwd.", "d_input.", "d_weight."). Only the Funcs the node's form actually schedules with a
// knobbed template are listed, so a search times no knob that changes nothing.
#pragma once
#include <vector>

#include "codegen/schedule/template_knobs.h"
#include "dsl/model.h"

namespace nnc::codegen {

// Empty for an op without tunable templates (today: dense, conv2d, lstm, gru, batchnorm and the
// pooling layers have knobs).
std::vector<KnobRange> layer_knob_space(const dsl::CheckedModel& model, const dsl::Node& node);

// Every knob at its default.
KnobValues default_knobs(const std::vector<KnobRange>& space);

}  // namespace nnc::codegen
