// Appends nodes and initializers to an ONNX GraphProto (Debian's libonnx protobuf classes), keeping
// tensor names unique: the exporter's one way to write ONNX.
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace nnc::driver::onnx_export {

class GraphBuilder {
public:
    explicit GraphBuilder(onnx::GraphProto* graph) : graph_(graph) {}

    // `base` if no tensor has that name yet, else base_2, base_3, ...; the name is then taken.
    std::string unique(const std::string& base);
    // Takes a name the caller must have (a graph input, a layer's output): throws if it is taken.
    void claim(const std::string& name);

    // A float32 initializer of `dims` (row-major); its name is made unique from `name`.
    std::string initializer(const std::string& name, const std::vector<int64_t>& dims,
                            const std::vector<float>& values);
    std::string int64_initializer(const std::string& name, const std::vector<int64_t>& values);

    // A node of `op` named `name` (made unique) reading `inputs`, writing `outputs` (claimed here).
    onnx::NodeProto& node(const std::string& op, const std::string& name, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs);

    // The output shape ["batch", dims...] of a float32 tensor, as a value_info or a graph output.
    static void set_type(onnx::ValueInfoProto& v, const std::string& name, const std::vector<int64_t>& dims,
                         int elem_type = onnx::TensorProto::FLOAT);
    // Declares the per-sample shape of an intermediate tensor, so strict shape inference checks it.
    void value_info(const std::string& name, const std::vector<int64_t>& dims);

    static void attr(onnx::NodeProto& n, const std::string& name, int64_t value);
    static void attr(onnx::NodeProto& n, const std::string& name, float value);
    static void attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& values);
    static void attr(onnx::NodeProto& n, const std::string& name, const std::string& value);

    onnx::GraphProto& graph() { return *graph_; }

private:
    onnx::GraphProto* graph_;
    std::set<std::string> names_, node_names_;
};

}  // namespace nnc::driver::onnx_export
