// nnc ops: the op reference, generated from the layer registry (what the checker accepts), as a
// Markdown table. dsl/GRAMMAR.md embeds this output; a test keeps the two identical.
#include <cstdio>
#include <sstream>
#include <string>
#include <variant>

#include "codegen/driver/commands.h"
#include "codegen/layers/layer_registry.h"

namespace nnc::driver {
namespace {

std::string type_name(dsl::AttrType t) {
    switch (t) {
        case dsl::AttrType::Int: return "Int";
        case dsl::AttrType::Float: return "Float";
        case dsl::AttrType::Bool: return "Bool";
        case dsl::AttrType::Ident: return "Ident";
        case dsl::AttrType::Init: return "Init";
        case dsl::AttrType::IntList: return "IntList";
    }
    return "?";
}

std::string value_text(const dsl::AttrValue& v) {
    std::ostringstream o;
    if (const auto* i = std::get_if<int64_t>(&v))
        o << *i;
    else if (const auto* d = std::get_if<double>(&v))
        o << *d;
    else if (const auto* s = std::get_if<std::string>(&v))
        o << *s;
    else if (const auto* b = std::get_if<bool>(&v))
        o << (*b ? "true" : "false");
    else if (const auto* init = std::get_if<dsl::InitSpec>(&v)) {
        o << init->kind;
        if (init->a != 0) o << "(" << init->a << ")";
    } else if (const auto* list = std::get_if<std::vector<int64_t>>(&v)) {
        o << "[";
        for (size_t k = 0; k < list->size(); ++k) o << (k ? ", " : "") << (*list)[k];
        o << "]";
    }
    return o.str();
}

// Markdown cells must not contain '|'.
std::string cell(std::string s) {
    for (char& c : s)
        if (c == '|') c = '/';
    return s;
}

}  // namespace

std::string ops_markdown() {
    const dsl::OpCatalog& catalog = codegen::layer_catalog();
    std::ostringstream o;
    o << "| op | kind | inputs | attributes (type, default) | what it does |\n";
    o << "|----|------|--------|----------------------------|--------------|\n";
    for (const std::string& name : catalog.names()) {
        const dsl::OpSpec* op = catalog.find(name);
        std::string inputs = op->kind == dsl::OpKind::Loss ? "prediction, target"
                             : op->max_inputs < 0          ? std::to_string(op->min_inputs) + " or more tensors"
                             : op->max_inputs == 1         ? (op->token_input ? "int32 token ids" : "1 tensor")
                                                           : std::to_string(op->max_inputs) + " tensors";
        std::string attrs;
        for (const dsl::AttrSchema& a : op->attrs) {
            if (!attrs.empty()) attrs += "; ";
            attrs += "`" + a.name + "` (" + type_name(a.type) + ", ";
            attrs += a.required        ? std::string("required")
                     : a.default_value ? "`" + value_text(*a.default_value) + "`"
                                       : "none";
            if (!a.choices.empty()) {
                attrs += ", one of";
                for (const std::string& c : a.choices) attrs += " `" + c + "`";
            }
            attrs += "): " + a.help;
        }
        if (attrs.empty()) attrs = "—";
        o << "| `" << name << "` | " << (op->kind == dsl::OpKind::Loss ? "loss" : "layer") << " | " << cell(inputs)
          << " | " << cell(attrs) << " | " << cell(op->summary) << " |\n";
    }
    return o.str();
}

int run_ops() {
    std::fputs(ops_markdown().c_str(), stdout);
    return 0;
}

}  // namespace nnc::driver
