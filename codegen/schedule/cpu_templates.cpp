#include "codegen/schedule/cpu_templates.h"

#include <algorithm>

namespace nnc::codegen {

using namespace Halide;

void schedule_transpose(ScheduleContext& ctx, Func out) {
    const int vec = ctx.vector_width(out.output_types()[0]);
    const Var x = out.args()[0], y = out.args()[1];
    Var xo("xo"), xi("xi"), yo("yo"), yi("yi");
    out.compute_root()
        .tile(x, y, xo, yo, xi, yi, vec, vec, TailStrategy::GuardWithIf)
        .vectorize(xi)
        .unroll(yi)
        .parallel(yo);
    ctx.claim(out);
}

void parallel_with_grain(Stage s, const VarOrRVar& v, const Expr& per_iteration, const Expr& iterations, int grain) {
    if (grain <= 0) {
        s.parallel(v);
        return;
    }
    // Work in 64 bits: a layer's whole product overflows 32.
    const Expr work = Internal::simplify(cast<int64_t>(per_iteration));
    const Expr total = Internal::simplify(work * cast<int64_t>(iterations));
    const int64_t task = int64_t(grain) * 1024;
    const Expr task_work = Expr(task);
    if (const int64_t* t = Internal::as_const_int(total); t && *t < 2 * task) return;
    const Expr per_task = Internal::simplify(cast<int32_t>(clamp((task_work + work - 1) / max(work, 1), 1, 1 << 30)));
    if (Internal::is_const_one(per_task))
        s.parallel(v);
    else
        s.parallel(v, per_task, TailStrategy::GuardWithIf);
}

namespace {

// The product of `f`'s update's reduction extents.
Expr reduction_size(const Func& f) {
    Expr size = 1;
    for (const Internal::ReductionVariable& r : f.function().update(0).schedule().rvars()) size = size * r.extent;
    return size;
}

}  // namespace

bool is_input_wrapper(const Func& f) {
    if (f.num_update_definitions() > 0 || f.outputs() != 1) return false;
    const auto* call = f.value().as<Internal::Call>();
    return call && call->call_type == Internal::Call::Image;
}

void schedule_product(ScheduleContext& ctx, Func out, int a_extent, int b_extent, const ProductKnobs& knobs) {
    const int vec = ctx.vector_width(out.output_types()[0]);
    // By default 2 vectors x 8 rows: 16 accumulators, half the AVX-512 register file. Tiles must
    // have a constant size to live in registers, so splits shift inwards (legal when the extent
    // is at least the factor); a small static extent is taken whole.
    const int cv = std::max(1, knobs.col_vectors), want_rows = std::max(1, knobs.rows);
    const int cols = a_extent >= cv * vec ? cv * vec : a_extent >= vec ? vec : a_extent;
    const int rows = b_extent == 0 || b_extent >= want_rows ? want_rows : b_extent;
    const bool columns_outer = knobs.columns_outer != 0;
    const Var a = out.args()[0], b = out.args()[1];
    Var ao("ao"), ai("ai"), bo("bo"), bi("bi");
    Func tile = out.in();
    tile.compute_root();
    const Expr reduction = reduction_size(out);
    auto tile_schedule = [&](Stage s, int tile_rows) {
        s.split(a, ao, ai, cols, TailStrategy::ShiftInwards).split(b, bo, bi, tile_rows, TailStrategy::ShiftInwards);
        if (columns_outer)
            s.reorder(ai, bi, bo, ao);
        else
            s.reorder(ai, bi, ao, bo);
        s.vectorize(ai, std::min(vec, cols), TailStrategy::GuardWithIf);
        // A row block runs every column of its rows; a column block, every row of its columns.
        const Expr b_size = b_extent == 0 ? ctx.batch() : Expr(b_extent);
        const Expr row_blocks = (b_size + tile_rows - 1) / tile_rows, col_blocks = (a_extent + cols - 1) / cols;
        if (columns_outer)
            parallel_with_grain(s, ao, cols * b_size * reduction, col_blocks, knobs.grain);
        else
            parallel_with_grain(s, bo, a_extent * tile_rows * reduction, row_blocks, knobs.grain);
    };
    // A batch smaller than the rows takes one-row tiles: still a constant size.
    if (b_extent == 0) tile_schedule(tile.specialize(ctx.batch() >= rows), rows);
    tile_schedule(tile, b_extent == 0 ? 1 : rows);

    out.compute_at(tile, columns_outer ? bo : ao).vectorize(a, std::min(vec, cols), TailStrategy::GuardWithIf);
    std::vector<VarOrRVar> order{a, b};
    for (const RVar& r : out.rvars(0)) order.push_back(r);
    Stage update = out.update(0);
    update.reorder(order).vectorize(a, std::min(vec, cols), TailStrategy::GuardWithIf).unroll(b);
    ctx.claim(out);
    ctx.claim(tile);
}

void schedule_window_product(ScheduleContext& ctx, Func f, int channels, int width, int height, int kernel, Func tile,
                             const WindowProductKnobs& knobs) {
    const int vec = ctx.vector_width(Float(32));
    const std::vector<Var> a = f.args();
    Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), co("co"), ci("ci"), t("t");
    const int cv = std::max(1, knobs.col_vectors);
    const int want_rows = std::max(1, knobs.rows), want_chans = std::max(1, knobs.chans);
    const int cols = width >= cv * vec ? cv * vec : width >= vec ? vec : width;
    const int rows = height >= want_rows ? want_rows : height;
    const int chans = channels >= want_chans ? want_chans : channels;
    if (!tile.defined()) tile = f.in();
    tile.compute_root()
        .split(a[0], xo, xi, cols, TailStrategy::ShiftInwards)
        .split(a[1], yo, yi, rows, TailStrategy::ShiftInwards)
        .split(a[2], co, ci, chans, TailStrategy::ShiftInwards)
        .reorder(xi, yi, ci, xo, yo, co, a[3])
        .vectorize(xi)
        .fuse(co, a[3], t);
    // A task of t: one block of channels of one sample, every tile of its image.
    parallel_with_grain(tile, t, width * height * chans * reduction_size(f),
                        (channels + chans - 1) / chans * ctx.batch(), knobs.grain);
    f.compute_at(tile, xo).vectorize(a[0]).unroll(a[1]).unroll(a[2]);
    const std::vector<RVar> r = f.rvars(0);
    Stage u = f.update(0);
    u.reorder(a[0], a[1], a[2], r[0], r[1], r[2]).vectorize(a[0]).unroll(a[1]).unroll(a[2]);
    // Unrolled taps let neighbouring rows share their input vectors.
    if (kernel <= 3) u.unroll(r[0]).unroll(r[1]);
    ctx.claim(f);
    ctx.claim(tile);
}

void schedule_channel_product(ScheduleContext& ctx, Func f, int channels, int width) {
    const int vec = ctx.vector_width(Float(32));
    const std::vector<Var> a = f.args();
    const int cv = channels >= 2 * vec ? 2 : 1;
    const int cw = channels >= vec ? cv * vec : channels;
    const int vw = std::min(vec, cw);
    Var o("o"), i("i"), xo("xo"), xi("xi"), t("t");
    Func tile = f.in();
    tile.compute_root()
        .split(a[0], o, i, cw, TailStrategy::ShiftInwards)
        .split(a[1], xo, xi, width, TailStrategy::ShiftInwards)  // a constant row for registers
        .reorder(i, xi, o, xo, a[2], a[3])
        .vectorize(i, vw)
        .fuse(a[2], a[3], t)
        .parallel(t);
    f.compute_at(tile, o).vectorize(a[0], vw).unroll(a[0]).unroll(a[1]);
    const std::vector<RVar> r = f.rvars(0);
    Stage u = f.update(0);
    u.reorder(a[0], a[1], a[2], r[0], r[1], r[2]).vectorize(a[0], vw).unroll(a[0]).unroll(a[1]);
    ctx.claim(f);
    ctx.claim(tile);
}

void schedule_phase_split_input_gradient(ScheduleContext& ctx, Func dx, const std::vector<Func>& phases, int channels,
                                         int stride, int width, int height, int kernel,
                                         const WindowProductKnobs& knobs) {
    const int vec = ctx.vector_width(Float(32));
    const int s = stride;
    for (Func ph : phases) {
        if (!ph.defined()) continue;
        if (ph.num_update_definitions() > 0) {
            schedule_window_product(ctx, ph, channels, (width + s - 1) / s, (height + s - 1) / s, kernel, Func(),
                                    knobs);
        } else {
            ph.compute_root().vectorize(ph.args()[0], vec, TailStrategy::GuardWithIf).parallel(ph.args()[3]);
            ctx.claim(ph);
        }
    }
    // From x = 0 (bound), x = s xo + xi with xi unrolled.
    Var xo("xo"), xi("xi");
    const std::vector<Var> a = dx.args();
    dx.compute_root()
        .bound(a[0], 0, width)
        .bound(a[1], 0, height)
        .split(a[0], xo, xi, s, TailStrategy::GuardWithIf)
        .split(a[1], a[1], Var("yi"), s, TailStrategy::GuardWithIf)
        .reorder(xi, xo, Var("yi"), a[1], a[2], a[3])
        .vectorize(xo, vec, TailStrategy::GuardWithIf)
        .unroll(xi)
        .unroll(Var("yi"))
        .parallel(a[3]);
    ctx.claim(dx);
}

namespace {

// A weight-gradient register tile: fw filters (vectors of vw) x every tap x cs channels.
struct WeightTile {
    int fv = 1, fw = 1, vw = 1, cs = 1;
    bool unroll_rows = true;  // the taps' rows unrolled (kernels up to 5x5)
};

WeightTile weight_tile(int vec, int kernel, int channels, int filters, const WeightGradientKnobs& knobs) {
    WeightTile g;
    const int taps = kernel * kernel;
    g.fv = std::max(1, knobs.filter_vectors);  // as many vectors as the filters fill, at most the knob's
    while (g.fv > 1 && filters < g.fv * vec) --g.fv;
    g.fw = filters >= vec ? g.fv * vec : filters;  // the tile's filters
    g.vw = std::min(vec, g.fw);
    const int limit = std::max(1, std::min(channels, std::max(1, knobs.accumulators) / (g.fv * taps)));
    g.cs = limit;  // a divisor of the channels when one is near the limit: no overlapping tiles
    for (int q = limit; q * 2 > limit; --q)
        if (channels % q == 0) {
            g.cs = q;
            break;
        }
    // Kernels above 5x5 have more taps than registers: their rows stay a loop.
    g.unroll_rows = g.fv * taps <= 28;
    return g;
}

// The weight gradient summed per block of `block` samples (rfactor) into part(f, kx, ky, c, u),
// each block's tiles as in the unblocked template, then the blocks added up: a block's output
// gradient and input stay in cache across all of its tiles, where the unblocked template streams
// the whole output gradient from memory once per channel block. In parallel over the blocks.
void schedule_blocked_weight_gradient(ScheduleContext& ctx, Func dwt, const WeightTile& g, int block) {
    const int vec = ctx.vector_width(Float(32));
    const std::vector<Var> a = dwt.args();  // (f, kx, ky, c)
    const Var f = a[0], kx = a[1], ky = a[2], c = a[3];
    const std::vector<RVar> r = dwt.rvars(0);  // (x, y, n)
    RVar nb("r_block"), ni("r_in_block");
    Var u("u"), fo("fo"), fi("fi"), co("co"), ci("ci"), t("t");
    Func part = dwt.update(0).split(r[2], nb, ni, block, TailStrategy::GuardWithIf).rfactor(nb, u);
    Func tile = part.in();
    tile.compute_root()
        .split(f, fo, fi, g.fw, TailStrategy::ShiftInwards)
        .split(c, co, ci, g.cs, TailStrategy::ShiftInwards)
        .reorder(fi, kx, ky, ci, fo, co, u)
        .vectorize(fi, g.vw)
        .fuse(fo, co, t)
        .parallel(u);
    part.compute_at(tile, t).vectorize(f, g.vw).unroll(f).unroll(kx).unroll(ky).unroll(c);
    Stage pu = part.update(0);
    pu.reorder(f, kx, ky, c, r[0], r[1], ni).vectorize(f, g.vw).unroll(f).unroll(kx).unroll(c);
    if (g.unroll_rows) pu.unroll(ky);
    dwt.compute_root().vectorize(f, vec, TailStrategy::GuardWithIf).parallel(c);
    dwt.update(0).reorder(f, nb, kx, ky, c).vectorize(f, vec, TailStrategy::GuardWithIf).parallel(c);
    ctx.claim(dwt);
}

}  // namespace

void schedule_transposed_weight_gradient(ScheduleContext& ctx, Func dwt, int kernel, int channels, int filters,
                                         const WeightGradientKnobs& knobs) {
    const int vec = ctx.vector_width(Float(32));
    const WeightTile g = weight_tile(vec, kernel, channels, filters, knobs);
    if (knobs.batch_block > 0) return schedule_blocked_weight_gradient(ctx, dwt, g, knobs.batch_block);
    const std::vector<Var> a = dwt.args();  // (f, kx, ky, c)
    const Var f = a[0], kx = a[1], ky = a[2], c = a[3];
    Var fo("fo"), fi("fi"), co("co"), ci("ci"), t("t");
    Func tile = dwt.in();
    tile.compute_root()
        .split(f, fo, fi, g.fw, TailStrategy::ShiftInwards)
        .split(c, co, ci, g.cs, TailStrategy::ShiftInwards)
        .reorder(fi, kx, ky, ci, fo, co)
        .vectorize(fi, g.vw)
        .fuse(fo, co, t)
        .parallel(t);
    dwt.compute_at(tile, t).vectorize(f, g.vw).unroll(f).unroll(kx).unroll(ky).unroll(c);
    const std::vector<RVar> r = dwt.rvars(0);
    Stage u = dwt.update(0);
    u.reorder(f, kx, ky, c, r[0], r[1], r[2]).vectorize(f, g.vw).unroll(f).unroll(kx).unroll(c);
    if (g.unroll_rows) u.unroll(ky);
    ctx.claim(dwt);
    ctx.claim(tile);
}

void schedule_window_reduction(ScheduleContext& ctx, Func f, int kernel, int width, const WindowReductionKnobs& knobs) {
    const int vec = ctx.vector_width(Float(32));
    const std::vector<Var> a = f.args();
    const int lanes = std::min(vec, width);
    Var xo("xo"), xi("xi"), t("t");
    const bool fused = knobs.parallel_channels != 0;
    f.compute_root().vectorize(a[0], lanes, TailStrategy::GuardWithIf);
    if (fused)
        f.fuse(a[2], a[3], t).parallel(t);
    else
        f.parallel(a[3]);
    const std::vector<RVar> r = f.rvars(0);
    Stage u = f.update(0);
    u.split(a[0], xo, xi, lanes, TailStrategy::GuardWithIf).reorder(xi, r[0], r[1], xo, a[1], a[2], a[3]).vectorize(xi);
    if (fused)
        u.fuse(a[2], a[3], t).parallel(t);
    else
        u.parallel(a[3]);
    if (kernel <= knobs.unroll_kernel) u.unroll(r[0]).unroll(r[1]);
    ctx.claim(f);
}

void schedule_tiled_window_gather(ScheduleContext& ctx, Func dx, int stride, int width,
                                  const WindowGatherKnobs& knobs) {
    const int vec = ctx.vector_width(Float(32));
    const std::vector<Var> a = dx.args();
    const int blocks = (width + stride - 1) / stride;
    Var xo("xo"), xi("xi"), t("t");
    dx.compute_root()
        .bound(a[0], 0, width)
        .split(a[0], xo, xi, stride, TailStrategy::GuardWithIf)
        .reorder(xi, xo, a[1], a[2], a[3])
        .vectorize(xo, std::min(vec, blocks), TailStrategy::GuardWithIf)
        .unroll(xi);
    if (knobs.parallel_channels != 0)
        dx.fuse(a[2], a[3], t).parallel(t);
    else
        dx.parallel(a[3]);
    ctx.claim(dx);
}

void schedule_lane_sum(ScheduleContext& ctx, Func part, int lanes, const LaneSumKnobs& knobs) {
    const Var v = part.args()[0], c = part.args()[1];
    const std::vector<RVar> r = part.rvars(0);
    const int per_task = std::max(1, knobs.channels_per_task);
    part.compute_root().vectorize(v, lanes, TailStrategy::GuardWithIf);
    Stage u = part.update(0);
    u.reorder(v, r[0], r[1], r[2], c).vectorize(v, lanes, TailStrategy::GuardWithIf);
    if (per_task == 1) {
        part.parallel(c);
        u.parallel(c);
    } else {
        part.parallel(c, per_task, TailStrategy::GuardWithIf);
        u.parallel(c, per_task, TailStrategy::GuardWithIf);
    }
    ctx.claim(part);
}

void schedule_batch_sum(ScheduleContext& ctx, Func sum, const BatchSumKnobs& knobs) {
    const int vec = ctx.vector_width(Float(32));
    const Var c = sum.args()[0];
    Var co("co"), ci("ci");
    sum.compute_root().vectorize(c, vec, TailStrategy::GuardWithIf);
    sum.update(0)
        .split(c, co, ci, vec * std::max(1, knobs.vectors), TailStrategy::GuardWithIf)
        .reorder(ci, sum.rvars(0)[0], co)
        .vectorize(ci)
        .parallel(co);
    ctx.claim(sum);
}

void schedule_recurrent_scan(ScheduleContext& ctx, Func scan, const RecurrentScanKnobs& knobs) {
    const int samples_per_block = std::max(1, knobs.samples_per_block);
    const int vec = ctx.vector_width(scan.output_types()[0]);
    const std::vector<Var> args = scan.args();  // (x, t, n)
    scan.compute_root().vectorize(args[0], vec, TailStrategy::GuardWithIf).parallel(args[2]);
    const std::vector<RVar> r = scan.rvars(0);  // (k, q, c, phase, t)
    RVar ko("scan_lane_o"), ki("scan_lane_i");
    Var no("scan_block"), ni("scan_sample");
    scan.update(0)
        .allow_race_conditions()
        .split(r[0], ko, ki, vec, TailStrategy::GuardWithIf)
        .split(args[2], no, ni, samples_per_block, TailStrategy::GuardWithIf)
        .reorder(ki, ni, ko, r[1], r[2], r[3], r[4], no)
        .vectorize(ki)
        .unroll(r[3])
        .parallel(no);
    ctx.claim(scan);
}

void schedule_scatter_add(ScheduleContext& ctx, Func dw, int row) {
    const int vec = ctx.vector_width(dw.output_types()[0]);
    Var d = dw.args()[0], id = dw.args()[1], dout("dout"), dvec("dvec");
    dw.compute_root().vectorize(d, vec, TailStrategy::GuardWithIf).parallel(id);
    std::vector<VarOrRVar> order{dvec};
    for (const RVar& rv : dw.rvars(0)) order.push_back(rv);
    order.push_back(dout);
    Stage update = dw.update(0);
    update.split(d, dout, dvec, row >= vec ? vec : row, TailStrategy::GuardWithIf).reorder(order).vectorize(dvec);
    if (row > vec) update.parallel(dout);
    ctx.claim(dw);
}

void default_schedule(ScheduleContext& ctx, Func f, const DefaultKnobs& knobs) {
    f.compute_root();
    const int dims = f.dimensions();
    if (dims == 0) return;
    const int vec = ctx.vector_width(f.output_types()[0]) * std::max(1, knobs.vectors);
    const std::vector<Var> args = f.args();
    // Elements per iteration of the outermost dimension: the inner dimensions' extents, as the
    // stage's bounds name them ("f.s0.x.min"; only known when the pipeline runs).
    auto inner_size = [&](int stage) {
        Expr size = 1;
        for (int d = 0; d + 1 < dims; ++d) {
            const std::string prefix = f.name() + ".s" + std::to_string(stage) + "." + args[d].name();
            size = size * (Internal::Variable::make(Int(32), prefix + ".max") -
                           Internal::Variable::make(Int(32), prefix + ".min") + 1);
        }
        return size;
    };
    auto outer_size = [&](int stage) {
        const std::string prefix = f.name() + ".s" + std::to_string(stage) + "." + args[dims - 1].name();
        return Internal::Variable::make(Int(32), prefix + ".max") - Internal::Variable::make(Int(32), prefix + ".min") +
               1;
    };
    f.vectorize(args[0], vec, TailStrategy::GuardWithIf);
    if (dims > 1) parallel_with_grain(f, args[dims - 1], inner_size(0), outer_size(0), knobs.grain);
    for (int u = 0; u < f.num_update_definitions(); ++u) {
        // Only pure dimensions of the update can be vectorized or parallelized safely.
        const std::vector<Expr> uargs = f.update_args(u);
        auto is_pure = [&](const Var& v) {
            for (const Expr& e : uargs)
                if (const auto* var = e.as<Internal::Variable>(); var && var->name == v.name()) return true;
            return false;
        };
        Stage s = f.update(u);
        if (is_pure(args[0])) s.vectorize(args[0], vec, TailStrategy::GuardWithIf);
        if (dims > 1 && is_pure(args[dims - 1]))
            parallel_with_grain(s, args[dims - 1], inner_size(u + 1), outer_size(u + 1), knobs.grain);
    }
}

}  // namespace nnc::codegen
