#include "runtime/cli/onnx/onnx_graph_builder.h"

#include <stdexcept>

namespace nnc::driver::onnx_export {

std::string GraphBuilder::unique(const std::string& base) {
    std::string name = base;
    for (int k = 2; names_.count(name); ++k) name = base + "_" + std::to_string(k);
    names_.insert(name);
    return name;
}

void GraphBuilder::claim(const std::string& name) {
    if (!names_.insert(name).second)
        throw std::runtime_error("internal error: ONNX tensor name '" + name + "' is used twice");
}

std::string GraphBuilder::initializer(const std::string& name, const std::vector<int64_t>& dims,
                                      const std::vector<float>& values) {
    onnx::TensorProto* t = graph_->add_initializer();
    t->set_name(unique(name));
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    // raw_data: little-endian float32, what every runtime reads fastest.
    t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
    return t->name();
}

std::string GraphBuilder::int64_initializer(const std::string& name, const std::vector<int64_t>& values) {
    onnx::TensorProto* t = graph_->add_initializer();
    t->set_name(unique(name));
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) t->add_int64_data(v);
    return t->name();
}

onnx::NodeProto& GraphBuilder::node(const std::string& op, const std::string& name,
                                    const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
    onnx::NodeProto* n = graph_->add_node();
    n->set_op_type(op);
    std::string node_name = name;
    for (int k = 2; node_names_.count(node_name); ++k) node_name = name + "_" + std::to_string(k);
    node_names_.insert(node_name);
    n->set_name(node_name);
    for (const std::string& i : inputs) n->add_input(i);
    for (const std::string& o : outputs) {
        if (!o.empty()) names_.insert(o);  // "": an optional output left out
        n->add_output(o);
    }
    return *n;
}

void GraphBuilder::set_type(onnx::ValueInfoProto& v, const std::string& name, const std::vector<int64_t>& dims,
                            int elem_type) {
    v.set_name(name);
    onnx::TypeProto_Tensor* t = v.mutable_type()->mutable_tensor_type();
    t->set_elem_type(elem_type);
    onnx::TensorShapeProto* shape = t->mutable_shape();
    shape->add_dim()->set_dim_param("batch");
    for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

void GraphBuilder::value_info(const std::string& name, const std::vector<int64_t>& dims) {
    set_type(*graph_->add_value_info(), name, dims);
}

void GraphBuilder::attr(onnx::NodeProto& n, const std::string& name, int64_t value) {
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
}

void GraphBuilder::attr(onnx::NodeProto& n, const std::string& name, float value) {
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(value);
}

void GraphBuilder::attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& values) {
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : values) a->add_ints(v);
}

void GraphBuilder::attr(onnx::NodeProto& n, const std::string& name, const std::string& value) {
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(value);
}

}  // namespace nnc::driver::onnx_export
