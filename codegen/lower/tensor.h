// A tensor inside a pipeline: a Halide Func plus its per-sample shape.
#pragma once
#include <Halide.h>

#include <string>
#include <vector>

#include "dsl/model.h"

namespace nnc::codegen {

// Func dimensions run innermost first, batch last: a row-major (N, C, H, W) tensor is
// f(w, h, c, n) and a (N, F) tensor is f(f, n). Parameters are not batched: a row-major
// [in, out] weight is w(o, i).
struct Tensor {
    Halide::Func func;
    dsl::Shape shape;     // per-sample (or, for a parameter, the whole) shape, outermost first
    bool batched = true;  // false for parameters and scalars (a loss)

    int rank() const { return static_cast<int>(shape.dims.size()) + (batched ? 1 : 0); }
    // The extent of Halide dimension `d` (0 = innermost); the batch extent is not static.
    int64_t extent(int d) const { return shape.dims[shape.dims.size() - 1 - static_cast<size_t>(d)]; }
};

// Fresh pure Vars for a Func of `rank` dimensions, named "d0", "d1", ... (innermost first).
inline std::vector<Halide::Var> make_vars(int rank) {
    std::vector<Halide::Var> vs;
    for (int i = 0; i < rank; ++i) vs.emplace_back("d" + std::to_string(i));
    return vs;
}

// A node or parameter name as Halide accepts it in a Func name: blocks make names like
// "r1.c1", and Halide reserves '.'; "r1.c1" becomes "r1__c1".
inline std::string func_safe(std::string name) {
    for (size_t at = name.find('.'); at != std::string::npos; at = name.find('.', at + 2)) name.replace(at, 1, "__");
    return name;
}

inline Halide::Expr zero_of(Halide::Type t) { return Halide::cast(t, 0); }
inline Halide::Expr one_of(Halide::Type t) { return Halide::cast(t, 1); }

inline std::vector<Halide::Expr> as_exprs(const std::vector<Halide::Var>& vs) { return {vs.begin(), vs.end()}; }

}  // namespace nnc::codegen
