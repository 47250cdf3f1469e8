// The ONNX exporter's entry point: an nnc model's inference graph (its checked graph as the model
// library gives it, nnc_model_graph_json), its trained parameters and its standardization
// statistics in; an ONNX model out (opset 17, the newest Debian's ONNX 1.12 knows), checked by the
// ONNX checker and strict shape inference before anything is written. Built only where nnc found
// libonnx (NNC_HAVE_ONNX); elsewhere export_onnx says how to get it.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nnc::driver::onnx_export {

inline constexpr int kOpset = 17;

struct Tensor {
    std::vector<int64_t> dims;  // row-major, outermost first (nnc_model_param_info's)
    std::vector<float> values;
};

// Per-column statistics, as nnc_model_standardization_stats gives them; empty: not standardized.
struct Standardization {
    std::vector<float> mean, scale;  // standardized = (value - mean) / scale
};

struct Input {
    std::string graph_json;                // nnc_model_graph_json
    std::map<std::string, Tensor> params;  // every parameter by its full name ("fc1.weight")
    Standardization inputs;
    std::vector<Standardization> targets;  // per model target, in the graph's target order
    std::string producer_note;             // where the weights came from, for the model's doc string
};

// What the exported model's graph holds, for the command's report.
struct Summary {
    std::string input;                 // the graph input's name
    std::vector<std::string> outputs;  // the graph outputs' names, one per loss
    int64_t nodes = 0;
};

// Whether this nnc was built with libonnx.
bool available();
// Throws, saying how to get a build with ONNX, when it was not.
void require_available();

// The serialized ModelProto. Throws std::runtime_error naming the node and what to do when a layer
// has no ONNX form or the checker rejects the result.
std::string export_model(const Input& input, Summary* summary = nullptr);

}  // namespace nnc::driver::onnx_export
