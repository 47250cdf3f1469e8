#include "codegen/schedule/gpu_templates.h"

#include "codegen/schedule/cpu_templates.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace nnc::codegen {

using namespace Halide;

namespace {

// Threads per block: 8 warps, enough to hide latency on every card since sm_70.
constexpr int kThreads = 256;

// All pure dimensions fused into one and split into blocks of kThreads threads: one thread per
// output element, consecutive threads on consecutive innermost elements (coalesced), and no
// block shape to tune per extent. Reduction loops stay inside the thread. A stage with no pure
// dimension (a scalar, a scatter) runs on one GPU thread: still a kernel, so nothing is copied
// back to the host in the middle of a pipeline.
void tile_stage(Stage s, const std::vector<Var>& pure, const std::string& tag) {
    if (pure.empty()) {
        s.gpu_single_thread();
        return;
    }
    Var fused = pure[0];
    for (size_t i = 1; i < pure.size(); ++i) {
        Var next(tag + "_fused" + std::to_string(i));
        s.fuse(fused, pure[i], next);
        fused = next;
    }
    s.gpu_tile(fused, Var(tag + "_block"), Var(tag + "_thread"), kThreads, TailStrategy::GuardWithIf);
}

// The update's pure dimensions, innermost first: the Func's own Vars used as themselves at their
// own position on the left-hand side. Halide requires every self-reference to use them the same
// way, so each is independent and safe to spread over threads.
std::vector<Var> pure_dims(const Func& f, int update) {
    const std::vector<Var> args = f.args();
    const std::vector<Expr> lhs = f.update_args(update);
    std::vector<Var> out;
    for (size_t i = 0; i < args.size() && i < lhs.size(); ++i)
        if (const auto* v = lhs[i].as<Internal::Variable>(); v && v->name == args[i].name()) out.push_back(args[i]);
    return out;
}

// A reduction over the batch together with other dimensions (a conv weight or bias gradient, batch
// statistics: a few thousand outputs, each summing N*H*W terms) leaves most of the GPU idle with
// one thread per output. It is split by the batch: partial sums per sample in parallel
// (rfactor), then a short serial sum over the batch. Reductions over the batch alone (a dense
// weight gradient) already have enough outputs. Returns the intermediate when it applied.
std::optional<Func> split_batch_reduction(Func f, int update) {
    const std::vector<RVar> rvars = f.rvars(update);
    const auto& schedule_rvars = f.update(update).get_schedule().rvars();
    if (rvars.size() < 2 || schedule_rvars.size() != rvars.size()) return std::nullopt;
    const Expr outer_extent = schedule_rvars.back().extent;
    if (Internal::as_const_int(outer_extent)) return std::nullopt;  // the batch is the one dynamic extent
    try {
        return f.update(update).rfactor(rvars.back(), Var(f.name() + "_per_sample"));
    } catch (const Halide::Error&) {
        return std::nullopt;  // not an associative reduction Halide can prove: left serial
    }
}

void schedule_func(Func f, int& split_count) {
    f.compute_root();
    const std::string tag = f.name();
    tile_stage(f, f.args(), tag);
    for (int u = 0; u < f.num_update_definitions(); ++u) {
        if (std::optional<Func> partial = split_batch_reduction(f, u)) {
            ++split_count;
            partial->compute_root();
            tile_stage(*partial, partial->args(), partial->name());
            for (int pu = 0; pu < partial->num_update_definitions(); ++pu)
                tile_stage(partial->update(pu), pure_dims(*partial, pu), partial->name() + "_u" + std::to_string(pu));
        }
        tile_stage(f.update(u), pure_dims(f, u), tag + "_u" + std::to_string(u));
    }
}

}  // namespace

bool schedule_gpu_window_product(ScheduleContext& ctx, Func f, int channels) {
    if (f.dimensions() != 4 || f.num_update_definitions() != 1 || f.rvars(0).size() != 3) return false;
    constexpr int kPixelsPerBlock = 128;
    const int unroll = channels % 8 == 0 ? 8 : channels % 4 == 0 ? 4 : channels % 2 == 0 ? 2 : 1;
    const std::vector<Var> a = f.args();  // (x, y, ch, n)
    const std::string tag = f.name();
    Var xy(tag + "_xy"), xyo(tag + "_xyo"), xyi(tag + "_xyi"), co(tag + "_co"), ci(tag + "_ci");
    Func tile = f.in();
    tile.compute_root()
        .split(a[2], co, ci, unroll, TailStrategy::GuardWithIf)
        .fuse(a[0], a[1], xy)
        .split(xy, xyo, xyi, kPixelsPerBlock, TailStrategy::GuardWithIf)
        .reorder(ci, xyi, xyo, co, a[3])
        .unroll(ci)
        .gpu_blocks(xyo, co, a[3])
        .gpu_threads(xyi);
    f.compute_at(tile, xyi).unroll(a[2]);
    const std::vector<RVar> r = f.rvars(0);
    f.update(0).reorder(a[2], r[0], r[1], r[2], a[0], a[1], a[3]).unroll(a[2]);
    ctx.claim(f);
    ctx.claim(tile);
    return true;
}

bool schedule_gpu_transposed_weight_gradient(ScheduleContext& ctx, Func dwt, int kernel, int channels, int filters) {
    const std::vector<Var> a = dwt.args();  // (f, kx, ky, c)
    if (a.size() != 4 || dwt.num_update_definitions() != 1 || dwt.rvars(0).size() != 3) return false;
    const int unroll = filters % 8 == 0 ? 8 : filters % 4 == 0 ? 4 : filters % 2 == 0 ? 2 : 1;
    const int chans = std::min(channels, 32);
    const std::string tag = dwt.name();
    Var n(tag + "_n"), co(tag + "_co"), ci(tag + "_ci"), fo(tag + "_fo"), fi(tag + "_fi");
    Func per_sample = dwt.update(0).rfactor(dwt.rvars(0)[2], n);
    Func tile = per_sample.in();
    tile.compute_root()
        .bound(a[1], 0, kernel)  // the taps are unrolled: their extent must be a constant
        .bound(a[2], 0, kernel)
        .split(a[0], fo, fi, unroll, TailStrategy::GuardWithIf)
        .split(a[3], co, ci, chans, TailStrategy::GuardWithIf)
        .reorder(fi, a[1], a[2], ci, fo, co, n)
        .unroll(fi)
        .unroll(a[1])
        .unroll(a[2])
        .gpu_blocks(co, n)
        .gpu_threads(ci, fo);
    per_sample.compute_at(tile, ci).unroll(a[0]).unroll(a[1]).unroll(a[2]);
    const std::vector<RVar> r = per_sample.rvars(0);  // (x, y)
    per_sample.update(0).reorder(a[0], a[1], a[2], r[0], r[1], a[3], n).unroll(a[0]).unroll(a[1]).unroll(a[2]);
    dwt.compute_root();
    tile_stage(dwt, a, tag);
    tile_stage(dwt.update(0), pure_dims(dwt, 0), tag + "_u0");
    ctx.claim(dwt);
    return true;
}

void schedule_gpu_recurrent_scan(ScheduleContext& ctx, Func scan, int lanes, int blocks) {
    constexpr int kMaxThreads = 1024;           // per block, every card since sm_20
    const std::vector<Var> args = scan.args();  // (x, t, n)
    Var all("scan_all"), bx("scan_block"), tx("scan_thread");
    scan.compute_root()
        .fuse(args[0], args[1], all)
        .fuse(all, args[2], all)
        .gpu_tile(all, bx, tx, 256, TailStrategy::GuardWithIf);
    const std::vector<RVar> r = scan.rvars(0);  // (k, q, c, phase, t)
    Stage u = scan.update(0);
    u.allow_race_conditions().unroll(r[3]).gpu_blocks(args[2]);
    if (lanes * blocks <= kMaxThreads) {
        u.gpu_threads(r[0], r[1]);
    } else if (lanes <= kMaxThreads) {
        u.gpu_threads(r[0]);
    } else {
        RVar ko("scan_lane_o"), ki("scan_lane_i");
        u.split(r[0], ko, ki, kMaxThreads, TailStrategy::GuardWithIf).gpu_threads(ki);
    }
    ctx.claim(scan);
}

void schedule_gpu_transpose(ScheduleContext& ctx, Func out) {
    Var x = out.args()[0], y = out.args()[1], bx("wt_bk"), by("wt_bg"), tx("wt_tk"), ty("wt_tg");
    out.compute_root().gpu_tile(x, y, bx, by, tx, ty, 32, 8, TailStrategy::GuardWithIf);
    ctx.claim(out);
}

void schedule_gpu_scatter_add(ScheduleContext& ctx, Func dw) {
    Var d = dw.args()[0], id = dw.args()[1], b("dw_block"), t("dw_thread");
    dw.compute_root().gpu_tile(d, id, Var("dw_bd"), b, t, Var("dw_ti"), 32, 8, TailStrategy::GuardWithIf);
    const std::vector<RVar> r = dw.rvars(0);  // positions..., then the batch
    std::vector<VarOrRVar> order{d};
    for (const RVar& rv : r) order.push_back(rv);
    dw.update(0).atomic().reorder(order).gpu_blocks(r.back()).gpu_threads(d);
    ctx.claim(dw);
}

std::string schedule_for_gpu(const std::map<std::string, Func>& funcs, const std::set<std::string>& outputs,
                             const std::set<std::string>& claimed) {
    int scheduled = 0, split = 0, inlined = 0;
    for (const auto& [name, f] : funcs) {
        if (is_input_wrapper(f) || claimed.count(name)) continue;
        // Pointwise and gather stages (activations, batch-norm application, masks, pooling
        // windows) are recomputed inside their consumers' kernels: a GPU has arithmetic to spare,
        // and Halide 14's device-copy passes grow quadratically with the number of realized
        // Funcs (a CNN training step took minutes to lower with every Func a kernel).
        if (f.num_update_definitions() == 0 && !outputs.count(name)) {
            ++inlined;
            continue;
        }
        schedule_func(f, split);
        ++scheduled;
    }
    return "GPU template schedule: " + std::to_string(scheduled) + " Funcs as kernels, " + std::to_string(inlined) +
           " inlined (" + std::to_string(split) + " batch reductions split per sample), " +
           std::to_string(claimed.size()) + " from layers\n";
}

}  // namespace nnc::codegen
