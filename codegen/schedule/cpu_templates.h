// Hand schedule templates, the default scheduler: each layer schedules the Funcs it made with
// these building blocks (Layer::schedule); every Func no layer claims gets default_schedule.
// Measured on this project's machines, register-tiled products beat every Halide 14
// autoscheduler by 4-8x on training pipelines and schedule in milliseconds.
#pragma once
#include <Halide.h>

#include <vector>

#include "codegen/schedule/schedule_context.h"
#include "codegen/schedule/template_knobs.h"

namespace nnc::codegen {

// A product out(a, b) = init; out(a, b) += lhs(.., b) * rhs(a, ..) whose update reduces over one
// RDom, with `a` contiguous: register-tiled (2 vectors of `a` x `rows` of `b`), the reduction
// inside each tile, tiles in parallel over `b`. `a_extent` is static; `b_extent` is static, or 0
// when `b` is the batch. `knobs` (template_knobs.h) reshape the tile and the order of the tiles.
void schedule_product(ScheduleContext& ctx, Halide::Func out, int a_extent, int b_extent,
                      const ProductKnobs& knobs = {});

// A transpose out(x, y) = in(y, x): tiles of one vector by one vector, the vector along x loaded
// as a gather from the tile's rows (a tile's rows stay in L1; whole-column gathers on a matrix
// whose row stride is a multiple of 2 KiB all land in two L1 sets), tiles in parallel over y.
void schedule_transpose(ScheduleContext& ctx, Halide::Func out);

// Convolutions (codegen/layers/conv2d.cpp). The float32 vector width sets every tile, whatever
// the Func's type (float64 gradient checks keep the float32 tiling).
//
// A window product f(x, y, ch, n) += (3 RVars: taps x, taps y, then channels), a convolution
// (ch = filters) or its stride-1 input gradient (ch = input channels). Register tiles: one
// vector of x by `rows` rows by `chans` channels accumulate in f computed per tile, with the
// whole reduction (taps, then channels) inside; `tile` writes the result. Tiles have a constant
// size to live in registers, so tile's splits shift inwards (legal when the extent is at least
// the factor: overlapping tiles recompute a few outputs); a smaller extent is taken whole. The
// batch is never split: a last batch may be short. `width` and `height` are x's and y's static
// extents, `channels` ch's; taps are unrolled for kernels up to 3. `tile`: a pure Func of f
// alone (same arguments) to compute the tiles in; by default f's global wrapper. `knobs` set the
// register tile's shape.
void schedule_window_product(ScheduleContext& ctx, Halide::Func f, int channels, int width, int height, int kernel,
                             Halide::Func tile = Halide::Func(), const WindowProductKnobs& knobs = {});

// The narrow form of a window product (images at most 8 wide), f(ch, x, y, n) with `ch`
// contiguous: tiles of up to 2 vectors of channels x a whole image row (`width`) in registers
// (at most 16 accumulators), the reduction (taps, then channels) inside: per step, the
// channels' weight vectors and one broadcast input value per column. In parallel over (rows,
// batch).
void schedule_channel_product(ScheduleContext& ctx, Halide::Func f, int channels, int width);

// A stride-s input gradient dx(x, y, c, n) that interleaves s*s phase products, phase
// py * s + px holding dx(s x + px, s y + py, c, n): each phase with a reduction is a window
// product on its (width / s, height / s) grid, a phase no tap reaches (a zero) is vectorized
// and parallel; dx, bound to (width, height), splits x and y by s with the phase unrolled, so
// each phase's index and x mod s are constants and every phase is read as dense vectors.
void schedule_phase_split_input_gradient(ScheduleContext& ctx, Halide::Func dx, const std::vector<Halide::Func>& phases,
                                         int channels, int stride, int width, int height, int kernel,
                                         const WindowProductKnobs& knobs = {});

// A convolution's weight gradient in filter-major form, dwt(f, kx, ky, c) += (over x, y and the
// batch): register tiles of `fv` vectors of filters x every tap x `cs` channels (at most 28
// accumulators of the 32 vector registers), the whole reduction over the output positions
// inside each tile; per position, fv vector loads of the transposed output gradient and one
// broadcast input value per tap and channel. Tiles in parallel over (filter blocks, channel
// blocks). Kernels above 5x5 keep their rows of taps a loop. `knobs` bound fv and the accumulators.
void schedule_transposed_weight_gradient(ScheduleContext& ctx, Halide::Func dwt, int kernel, int channels, int filters,
                                         const WeightGradientKnobs& knobs = {});

// Pooling (codegen/layers/maxpool2d.cpp).
//
// A reduction over a k x k window per output, f(x, y, c, n) += (2 RVars of taps) (max-pool's
// argmax): vectors along x (a row of up to one vector, `width` the output's, so that no lane is
// guarded), taps unrolled for kernels up to 3, in parallel over the batch.
// `knobs` set the unrolled kernels and the parallel loop.
void schedule_window_reduction(ScheduleContext& ctx, Halide::Func f, int kernel, int width,
                               const WindowReductionKnobs& knobs = {});

// A gather from windows that tile the input (stride = kernel, no padding), dx(x, y, c, n):
// x (bound to `width`) split by the stride with the phase unrolled, so that each phase reads its
// windows as dense vectors and x % stride is a constant.
// `knobs` set the parallel loop.
void schedule_tiled_window_gather(ScheduleContext& ctx, Halide::Func dx, int stride, int width,
                                  const WindowGatherKnobs& knobs = {});

// Per-channel sums (codegen/layers/batchnorm.cpp).
//
// Partial sums part(v, c) += (over blocks of W, H and the batch) of a (C, H, W) tensor, `lanes`
// lanes along W: the lanes vectorized, channels in parallel.
// `knobs` set the channels per parallel task.
void schedule_lane_sum(ScheduleContext& ctx, Halide::Func part, int lanes, const LaneSumKnobs& knobs = {});

// A sum over the batch per feature, sum(c) += (over n): features vectorized and, in blocks of
// one vector, in parallel, the batch reduced inside.
// `knobs` set the features per parallel task.
void schedule_batch_sum(ScheduleContext& ctx, Halide::Func sum, const BatchSumKnobs& knobs = {});

// A recurrence (codegen/layers/recurrent.h): the scan Func state(x, t, n) whose update runs
// over (k, q, c, phase, t). Pure definition vectorized, the update vectorized along its lane
// RVar (k) and parallel over blocks of samples. Inside a block the samples are the loop just
// outside the lane vector, so each chunk's recurrent weights (K vectors) are loaded once into
// registers and used by every sample of the block; one sample at a time streamed the whole
// recurrent matrix (256 KB for H = 128) from L2 per sample and step. Measured on
// lstm_classifier at batch 64: forward 1.7x faster. (Tried without a gain: 16 terms per chunk,
// the samples' loop unrolled, each sample's storage padded off a 4 KB multiple.) Races are
// allowed: see recurrent.h. `knobs` set the samples per block (8 by default).
void schedule_recurrent_scan(ScheduleContext& ctx, Halide::Func scan, const RecurrentScanKnobs& knobs = {});

// A scatter-add dw(d, id) += (over positions..., then the batch) into rows of `row` elements
// (an embedding's weight gradient): the positions run in order (two may pick the same row)
// with d vectorized; the d vectors are independent, so they are split across threads.
void schedule_scatter_add(ScheduleContext& ctx, Halide::Func dw, int row);

// Makes `v` of `s` parallel with at least `grain` thousand units of work per task
// (template_knobs.h): the loop's iterations, each `per_iteration` units, are grouped into tasks
// of enough of them. When the whole loop's work (`per_iteration` x `iterations`) is known at
// compile time and under two tasks' worth, the loop stays serial; when it depends on the batch,
// the task size does.
void parallel_with_grain(Halide::Stage s, const Halide::VarOrRVar& v, const Halide::Expr& per_iteration,
                         const Halide::Expr& iterations, int grain);

// True for the identity Funcs Halide makes around ImageParams; they stay inline.
bool is_input_wrapper(const Halide::Func& f);

// compute_root; innermost dimension vectorized, outermost parallel; updates likewise on their
// pure dimensions. Every split guards its tail, so any batch size works. `knobs` set the vector.
void default_schedule(ScheduleContext& ctx, Halide::Func f, const DefaultKnobs& knobs = {});

}  // namespace nnc::codegen
