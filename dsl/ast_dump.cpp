// --dump-ast: the syntax tree as an indented outline, each node with its line:col.
#include <cstdio>

#include "dsl/parser.h"

namespace nnc::dsl {

const char* ast::value_kind_name(ast::Value::Kind kind) {
    switch (kind) {
        case ast::Value::Kind::Int: return "integer";
        case ast::Value::Kind::Float: return "number";
        case ast::Value::Kind::Bool: return "boolean";
        case ast::Value::Kind::String: return "string";
        case ast::Value::Kind::Ident: return "identifier";
        case ast::Value::Kind::List: return "list";
        case ast::Value::Kind::Call: return "call";
    }
    return "value";
}

namespace {

std::string at(const Span& s) { return " @" + std::to_string(s.loc.line) + ":" + std::to_string(s.loc.col); }

std::string fmt_double(double d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", d);
    return buf;
}

void dump_value(const ast::Value& v, int indent, const std::string& prefix, std::string& out) {
    std::string line(static_cast<size_t>(indent) * 2, ' ');
    line += prefix;
    switch (v.kind) {
        case ast::Value::Kind::Int: line += "int " + std::to_string(v.int_value); break;
        case ast::Value::Kind::Float: line += "float " + fmt_double(v.float_value); break;
        case ast::Value::Kind::Bool: line += v.bool_value ? "bool true" : "bool false"; break;
        case ast::Value::Kind::String: line += "string \"" + v.text + "\""; break;
        case ast::Value::Kind::Ident: line += "ident " + v.text; break;
        case ast::Value::Kind::List: line += "list"; break;
        case ast::Value::Kind::Call: line += "call " + v.text; break;
    }
    out += line + at(v.span) + "\n";
    for (const ast::Value& item : v.items) dump_value(item, indent + 1, "", out);
    for (const ast::Arg& a : v.args) dump_value(a.value, indent + 1, a.positional() ? "" : a.key + " = ", out);
}

const char* stmt_name(ast::Stmt::Kind k) {
    switch (k) {
        case ast::Stmt::Kind::Input: return "input";
        case ast::Stmt::Kind::Target: return "target";
        case ast::Stmt::Kind::Layer: return "layer";
        case ast::Stmt::Kind::Loss: return "loss";
        case ast::Stmt::Kind::Train: return "train";
    }
    return "stmt";
}

void dump_stmt(const ast::Stmt& s, int indent, std::string& out) {
    const std::string pad(static_cast<size_t>(indent) * 2, ' ');
    out += pad + stmt_name(s.kind) + (s.name.empty() ? "" : " " + s.name) + at(s.keyword_span) + "\n";
    if (s.kind == ast::Stmt::Kind::Train) {
        for (const ast::Setting& st : s.settings) dump_value(st.value, indent + 1, st.key + " = ", out);
        return;
    }
    if (s.repeat_count) dump_value(*s.repeat_count, indent + 1, "repeat ", out);
    dump_value(s.value, indent + 1, "", out);
}

}  // namespace

std::string dump_ast(const ast::File& file) {
    std::string out;
    for (const ast::Block& b : file.blocks) {
        out += "block " + b.name + at(b.name_span) + "\n";
        for (const ast::Param& p : b.params) {
            out += "  param " + p.name + at(p.span) + "\n";
            if (p.default_value) dump_value(*p.default_value, 2, "default ", out);
        }
        for (const ast::Stmt& s : b.stmts) dump_stmt(s, 1, out);
        if (!b.result.empty()) out += "  return " + b.result + at(b.result_span) + "\n";
    }
    for (const ast::Model& m : file.models) {
        out += "model " + m.name + at(m.name_span) + "\n";
        for (const ast::Stmt& s : m.stmts) dump_stmt(s, 1, out);
    }
    return out;
}

}  // namespace nnc::dsl
