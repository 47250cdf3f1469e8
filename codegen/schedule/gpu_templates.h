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

#include "codegen/schedule/schedule_context.h"

namespace nnc::codegen {

// Schedules every Func in `funcs` (the pipeline's, by name) except the identity wrappers of
// inputs and those in `claimed` (scheduled by a layer's schedule_gpu); `outputs` names the
// pipeline's outputs. Returns a one-line summary.
std::string schedule_for_gpu(const std::map<std::string, Halide::Func>& funcs, const std::set<std::string>& outputs,
                             const std::set<std::string>& claimed = {});

// A window product f(x, y, ch, n) += (3 RVars of taps and channels) on a GPU (a convolution
// and its input gradient): one thread per output pixel accumulating `unroll` channels in
// registers over the whole reduction, so each input value it loads serves all of them; the
// channel blocks and the batch are blocks. `channels` is ch's static extent. Claims f and the
// wrapper that stores it; returns false (and schedules nothing) when f does not have that form.
bool schedule_gpu_window_product(ScheduleContext& ctx, Halide::Func f, int channels);

// A convolution's weight gradient in filter-major form, dwt(f, kx, ky, c) += (over x, y and the
// batch), on a GPU: split per sample (rfactor), each thread one channel of one sample
// accumulating every tap (`kernel` x `kernel`) of up to 8 filters in registers, so each input
// value it loads serves all the filters and each output gradient all the taps; then a short sum
// over the batch. Returns false (and schedules nothing) when dwt does not have that form.
bool schedule_gpu_transposed_weight_gradient(ScheduleContext& ctx, Halide::Func dwt, int kernel, int channels,
                                             int filters);

// A recurrence's scan state(x, t, n), its update over (k, q, c, phase, t) (codegen/layers/recurrent.h),
// one kernel: a block per sample, the time, phase and chunk loops serial inside the block, one
// thread per (lane k, gate block q) slot (`lanes` x `blocks` of them; fewer threads, looping,
// past 1024). The phase loop is unrolled: Halide 14 puts a barrier only between statements at
// the block level (and then at the end of each iteration of the loops around them), so the
// unrolled phases are what orders phase after phase and step after step. Within a phase no
// barrier is needed: each thread accumulates into its own slot across the chunks and reads only
// what earlier phases wrote. The generic GPU template would give the whole recurrence to one
// thread per sample.
void schedule_gpu_recurrent_scan(ScheduleContext& ctx, Halide::Func scan, int lanes, int blocks);

// A transpose out(x, y) = in(y, x) computed once: 32 x 8 threads per block.
void schedule_gpu_transpose(ScheduleContext& ctx, Halide::Func out);

// A scatter-add dw(d, id) += (over positions..., then the batch) (an embedding's weight
// gradient) with atomic adds: a block per sample, a thread per element of the row, the positions
// serial in the thread (the generic template would leave each of the row's threads a serial walk
// over every position of the batch).
void schedule_gpu_scatter_add(ScheduleContext& ctx, Halide::Func dw);

}  // namespace nnc::codegen
