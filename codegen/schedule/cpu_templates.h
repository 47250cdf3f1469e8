// Hand schedule templates, the default scheduler: each layer schedules the Funcs it made with
// these building blocks (Layer::schedule); every Func no layer claims gets default_schedule.
// Measured on this machine (HALIDE_NOTES.md), register-tiled products beat every Halide 14
// autoscheduler by 4-8x on training pipelines and schedule in milliseconds.
#pragma once
#include <Halide.h>

#include <map>
#include <set>
#include <string>

namespace nnc::codegen {

class ScheduleContext {
public:
    ScheduleContext(const Halide::Target& target, Halide::Expr batch, std::map<std::string, Halide::Func> funcs)
        : target_(target), batch_(std::move(batch)), funcs_(std::move(funcs)) {}

    const Halide::Target& target() const { return target_; }
    const Halide::Expr& batch() const { return batch_; }  // the pipeline's batch extent
    int vector_width(Halide::Type t) const { return target_.natural_vector_size(t); }
    // The pipeline's Func of that name, or an undefined Func if the pipeline has none. Halide
    // renames a Func whose name another pipeline already used ("fc1__fwd$1"); both match.
    Halide::Func find(const std::string& name) const;
    // Marks a Func as scheduled by a layer so the default leaves it alone.
    void claim(const Halide::Func& f) { claimed_.insert(f.name()); }
    bool claimed(const std::string& name) const { return claimed_.count(name) != 0; }
    const std::map<std::string, Halide::Func>& funcs() const { return funcs_; }

private:
    Halide::Target target_;
    Halide::Expr batch_;
    std::map<std::string, Halide::Func> funcs_;
    std::set<std::string> claimed_;
};

// A product out(a, b) = init; out(a, b) += lhs(.., b) * rhs(a, ..) whose update reduces over one
// RDom, with `a` contiguous: register-tiled (2 vectors of `a` x `rows` of `b`), the reduction
// inside each tile, tiles in parallel over `b`. `a_extent` is static; `b_extent` is static, or 0
// when `b` is the batch.
void schedule_product(ScheduleContext& ctx, Halide::Func out, int a_extent, int b_extent);

// A transpose out(x, y) = in(y, x): tiles of one vector by one vector, the vector along x loaded
// as a gather from the tile's rows (a tile's rows stay in L1; whole-column gathers on a matrix
// whose row stride is a multiple of 2 KiB all land in two L1 sets), tiles in parallel over y.
void schedule_transpose(ScheduleContext& ctx, Halide::Func out);

// True for the identity Funcs Halide makes around ImageParams; they stay inline.
bool is_input_wrapper(const Halide::Func& f);

// compute_root; innermost dimension vectorized, outermost parallel; updates likewise on their
// pure dimensions. Every split guards its tail, so any batch size works.
void default_schedule(ScheduleContext& ctx, Halide::Func f);

}  // namespace nnc::codegen
