#include "codegen/schedule/cpu_templates.h"

#include "codegen/lower/tensor.h"

namespace nnc::codegen {

using namespace Halide;

Func ScheduleContext::find(const std::string& written) const {
    const std::string name = func_safe(written);  // layers may ask by node name ("r1.c1__fwd")
    auto it = funcs_.find(name);
    if (it != funcs_.end()) return it->second;
    for (auto& [key, f] : funcs_)
        if (key.size() > name.size() + 1 && key.compare(0, name.size(), name) == 0 && key[name.size()] == '$' &&
            key.find_first_not_of("0123456789", name.size() + 1) == std::string::npos)
            return f;
    return Func();
}

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

bool is_input_wrapper(const Func& f) {
    if (f.num_update_definitions() > 0 || f.outputs() != 1) return false;
    const auto* call = f.value().as<Internal::Call>();
    return call && call->call_type == Internal::Call::Image;
}

void schedule_product(ScheduleContext& ctx, Func out, int a_extent, int b_extent) {
    const int vec = ctx.vector_width(out.output_types()[0]);
    // 2 vectors x 8 rows: 16 accumulators, half the AVX-512 register file. Tiles must have a
    // constant size to live in registers, so splits shift inwards (legal when the extent is at
    // least the factor); a small static extent is taken whole.
    const int cols = a_extent >= 2 * vec ? 2 * vec : a_extent >= vec ? vec : a_extent;
    const int rows = b_extent == 0 || b_extent >= 8 ? 8 : b_extent;
    const Var a = out.args()[0], b = out.args()[1];
    Var ao("ao"), ai("ai"), bo("bo"), bi("bi");
    Func tile = out.in();
    tile.compute_root();
    auto tile_schedule = [&](Stage s, int tile_rows) {
        s.split(a, ao, ai, cols, TailStrategy::ShiftInwards)
            .split(b, bo, bi, tile_rows, TailStrategy::ShiftInwards)
            .reorder(ai, bi, ao, bo)
            .vectorize(ai, std::min(vec, cols), TailStrategy::GuardWithIf)
            .parallel(bo);
    };
    // A batch smaller than the rows takes one-row tiles: still a constant size.
    if (b_extent == 0) tile_schedule(tile.specialize(ctx.batch() >= rows), rows);
    tile_schedule(tile, b_extent == 0 ? 1 : rows);

    out.compute_at(tile, ao).vectorize(a, std::min(vec, cols), TailStrategy::GuardWithIf);
    std::vector<VarOrRVar> order{a, b};
    for (const RVar& r : out.rvars(0)) order.push_back(r);
    Stage update = out.update(0);
    update.reorder(order).vectorize(a, std::min(vec, cols), TailStrategy::GuardWithIf).unroll(b);
    ctx.claim(out);
    ctx.claim(tile);
}

void default_schedule(ScheduleContext& ctx, Func f) {
    f.compute_root();
    const int dims = f.dimensions();
    if (dims == 0) return;
    const int vec = ctx.vector_width(f.output_types()[0]);
    const std::vector<Var> args = f.args();
    f.vectorize(args[0], vec, TailStrategy::GuardWithIf);
    if (dims > 1) f.parallel(args[dims - 1]);
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
        if (dims > 1 && is_pure(args[dims - 1])) s.parallel(args[dims - 1]);
    }
}

}  // namespace nnc::codegen
