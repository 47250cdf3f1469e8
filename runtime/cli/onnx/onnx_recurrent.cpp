// lstm and gru as ONNX's LSTM and GRU (one direction, zero initial state). nnc keeps torch's
// layout: weight_ih [F, G*H] and weight_hh [H, G*H] with gate blocks in torch's order (lstm i, f,
// g, o; gru r, z, n), biases bias_ih and bias_hh [G*H]. ONNX wants W [1, G*H, F], R [1, G*H, H]
// and B [1, 2*G*H] (input-side biases, then hidden-side), gate blocks in its own order (LSTM
// i, o, f, c; GRU z, r, h), time-major input. ONNX's GRU with linear_before_reset=1 is torch's.
#include "runtime/cli/onnx/onnx_layers.h"

namespace nnc::driver::onnx_export {
namespace {

// ONNX gate block b is torch's block perm[b].
const std::vector<int64_t> kLstmPerm = {0, 3, 1, 2};  // i o f c  <-  i f g o
const std::vector<int64_t> kGruPerm = {1, 0, 2};      // z r h    <-  r z n

// [rows, G*H] row-major (nnc) -> [G*H, rows] with the gate blocks reordered.
std::vector<float> transposed_gates(const Tensor& t, const std::vector<int64_t>& perm, int64_t hidden) {
    const int64_t rows = t.dims.at(0), cols = t.dims.at(1);
    std::vector<float> out(static_cast<size_t>(rows * cols));
    for (int64_t b = 0; b < static_cast<int64_t>(perm.size()); ++b)
        for (int64_t h = 0; h < hidden; ++h)
            for (int64_t r = 0; r < rows; ++r)
                out[static_cast<size_t>((b * hidden + h) * rows + r)] =
                    t.values[static_cast<size_t>(r * cols + perm[static_cast<size_t>(b)] * hidden + h)];
    return out;
}

std::vector<float> reordered_bias(const Tensor& t, const std::vector<int64_t>& perm, int64_t hidden) {
    std::vector<float> out;
    for (int64_t b : perm) out.insert(out.end(), t.values.begin() + b * hidden, t.values.begin() + (b + 1) * hidden);
    return out;
}

std::string emit_recurrent(GraphBuilder& g, const LayerNode& n, const std::string& op,
                           const std::vector<int64_t>& perm) {
    const int64_t hidden = n.int_attr("hidden", 0);
    const int64_t gates = static_cast<int64_t>(perm.size());
    const Tensor& w_ih = n.param("weight_ih");
    const Tensor& w_hh = n.param("weight_hh");
    const int64_t features = w_ih.dims.at(0);
    const std::string w =
        g.initializer(n.name + ".W", {1, gates * hidden, features}, transposed_gates(w_ih, perm, hidden));
    const std::string r =
        g.initializer(n.name + ".R", {1, gates * hidden, hidden}, transposed_gates(w_hh, perm, hidden));
    std::vector<float> bias = reordered_bias(n.param("bias_ih"), perm, hidden);
    const std::vector<float> bias_hh = reordered_bias(n.param("bias_hh"), perm, hidden);
    bias.insert(bias.end(), bias_hh.begin(), bias_hh.end());
    const std::string b = g.initializer(n.name + ".B", {1, 2 * gates * hidden}, bias);

    // (N, T, F) -> (T, N, F): onnxruntime runs only the time-major layout.
    const std::string x = g.unique(n.name + "/time_major");
    GraphBuilder::attr(g.node("Transpose", n.name + "/time_major", {n.inputs[0]}, {x}), "perm",
                       std::vector<int64_t>{1, 0, 2});
    const bool sequences = n.bool_attr("return_sequences", false);
    const std::string y = g.unique(n.name + (sequences ? "/Y" : "/Y_h"));
    onnx::NodeProto& cell = g.node(op, n.name + "/" + op, {x, w, r, b},
                                   sequences ? std::vector<std::string>{y} : std::vector<std::string>{"", y});
    GraphBuilder::attr(cell, "hidden_size", hidden);
    if (op == "GRU") GraphBuilder::attr(cell, "linear_before_reset", int64_t{1});

    if (!sequences) {  // Y_h (1, N, H) -> (N, H)
        g.node("Squeeze", n.name, {y, g.int64_initializer(n.name + ".squeeze_axes", {0})}, {n.name});
        return n.name;
    }
    // Y (T, 1, N, H) -> (T, N, H) -> (N, T, H)
    const std::string squeezed = g.unique(n.name + "/Y_squeezed");
    g.node("Squeeze", n.name + "/squeeze", {y, g.int64_initializer(n.name + ".squeeze_axes", {1})}, {squeezed});
    GraphBuilder::attr(g.node("Transpose", n.name, {squeezed}, {n.name}), "perm", std::vector<int64_t>{1, 0, 2});
    return n.name;
}

}  // namespace

std::string emit_lstm(GraphBuilder& g, const LayerNode& n) { return emit_recurrent(g, n, "LSTM", kLstmPerm); }
std::string emit_gru(GraphBuilder& g, const LayerNode& n) { return emit_recurrent(g, n, "GRU", kGruPerm); }

}  // namespace nnc::driver::onnx_export
