// Per-position layers on sequences: a per-sample [..., D] tensor seen as rows of D, one row per
// position of every sample. dense, layernorm and attention apply one weight to every row, so
// their products and reductions run over rows(m) = (positions..., n) flattened, the last axis
// contiguous; a rank-1 tensor is its own row view (m = n).
#pragma once
#include <Halide.h>

#include <string>
#include <vector>

#include "codegen/lower/tensor.h"

namespace nnc::codegen {

// Rows per sample: the product of every per-sample axis but the last (1 for a rank-1 shape).
inline int64_t positions_of(const dsl::Shape& s) {
    int64_t p = 1;
    for (size_t i = 0; i + 1 < s.dims.size(); ++i) p *= s.dims[i];
    return p;
}

// The number of rows of a batch: N x positions_of(shape).
inline Halide::Expr rows_of(const dsl::Shape& s, const Halide::Expr& batch) {
    return batch * static_cast<int>(positions_of(s));
}

// The Halide coordinates (innermost first, the batch last) of row m of a per-sample `shape`,
// without the last axis: m = t_inner + T_inner * (t_outer + ... + T_outer * n).
inline std::vector<Halide::Expr> row_coords(const dsl::Shape& shape, Halide::Expr m) {
    std::vector<Halide::Expr> at;
    for (size_t i = shape.dims.size() - 1; i-- > 0;) {
        const int extent = static_cast<int>(shape.dims[i]);
        at.push_back(m % extent);
        m = m / extent;
    }
    at.push_back(m);
    return at;
}

// f(d, m): the tensor (per-sample shape [..., D], batched) as rows. A rank-1 tensor is returned
// as it is.
inline Halide::Func as_rows(const Halide::Func& f, const dsl::Shape& shape, const std::string& name) {
    if (shape.dims.size() <= 1) return f;
    Halide::Var d("d"), m("m");
    std::vector<Halide::Expr> at = row_coords(shape, m);
    at.insert(at.begin(), d);
    Halide::Func rows(name);
    rows(d, m) = f(at);
    return rows;
}

// The inverse view: g(d, positions..., n) = rows(d, m) for a per-sample `shape` [..., D].
inline Halide::Func from_rows(const Halide::Func& rows, const dsl::Shape& shape, const std::string& name) {
    if (shape.dims.size() <= 1) return rows;
    std::vector<Halide::Var> v = make_vars(static_cast<int>(shape.dims.size()) + 1);
    Halide::Expr m = v.back();  // the batch; then each position axis, outermost first
    for (size_t axis = 0; axis + 1 < shape.dims.size(); ++axis) {
        const size_t halide_dim = shape.dims.size() - 1 - axis;
        m = m * static_cast<int>(shape.dims[axis]) + v[halide_dim];
    }
    Halide::Func g(name);
    g(v) = rows(v[0], m);
    return g;
}

}  // namespace nnc::codegen
