// The GPU schedule template: what `--scheduler template` means for a target with a GPU feature
// (host-cuda). The layers' schedule() templates are CPU schedules (register tiles, vectors,
// threads) and are not used there. Every Func of the pipeline is computed at root as its own
// kernel, tiled over its pure dimensions (one thread per output element, reductions serial in
// the thread); Halide 14's only GPU autoscheduler, Li2018, is the alternative.
#pragma once
#include <Halide.h>

#include <map>
#include <set>
#include <string>

namespace nnc::codegen {

// Schedules every Func in `funcs` (the pipeline's, by name) except the identity wrappers of
// inputs and those in `claimed` (scheduled by a layer's schedule_gpu); `outputs` names the
// pipeline's outputs. Returns a one-line summary.
std::string schedule_for_gpu(const std::map<std::string, Halide::Func>& funcs, const std::set<std::string>& outputs,
                             const std::set<std::string>& claimed = {});

}  // namespace nnc::codegen
