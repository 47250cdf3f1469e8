// nnc-import-schedule: a Halide C++ schedule (what Halide 14's autoschedulers print, or what a
// person writes) to nnc's saved-schedule directives (codegen/schedule/saved_schedule_file.h).
//
//   nnc-import-schedule schedule.cpp [-o directives.json]
//
// The C++ is parsed by Clang with the Halide headers, so every call resolves to the Halide method
// it names; each scheduling call chain (f.compute_root().split(x, xo, xi, 8)...) becomes ordered
// directives for its Func and stage. Accepted input: a whole file (a function taking
// `Halide::Pipeline pipeline`), or a bare body as Pipeline::auto_schedule returns it, which is
// wrapped in such a function. Funcs come from `Func f = pipeline.get_func(N);` (named by the C++
// variable, as the autoschedulers name them); loop variables from `Var x("x")`, or by position
// (`f.args()[0]`, `f.get_schedule().dims()[0].var`, `f.update(0).get_schedule().rvars()[0].var`).
// Anything else is an error with its line. A separate executable so that nnc never links
// libclang-cpp (and a translation unit with the Clang headers compiles slowly).
#include <clang/AST/ASTConsumer.h>
#include <clang/AST/ASTContext.h>
#include <clang/AST/ExprCXX.h>
#include <clang/AST/RecursiveASTVisitor.h>
#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/SourceManager.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendAction.h>
#include <clang/Tooling/Tooling.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "codegen/schedule/saved_schedule_file.h"

#ifndef NNC_HALIDE_INCLUDE_DIR
#define NNC_HALIDE_INCLUDE_DIR "/usr/include/halide14"
#endif
#ifndef NNC_CLANG_RESOURCE_DIR
#define NNC_CLANG_RESOURCE_DIR "/usr/lib/llvm-14/lib/clang/14.0.6"
#endif

namespace {

using nnc::codegen::FuncSchedule;
using nnc::codegen::PipelineSchedule;
using nnc::codegen::ScheduleDirective;
using nnc::codegen::StageSchedule;

const std::set<std::string> kDirectives = {
    "compute_root",     "compute_at", "store_at", "store_root", "compute_inline", "store_in",  "bound",
    "reorder_storage",  "split",      "fuse",     "reorder",    "tile",           "vectorize", "unroll",
    "parallel",         "serial",     "atomic",   "gpu_blocks", "gpu_threads",    "gpu_lanes", "gpu_tile",
    "gpu_single_thread"};

struct Problem {
    unsigned line = 0, column = 0;
    std::string message;
};

// Collects the parse's errors; names used but never declared are remembered (the autoschedulers
// refer to pure vars they never declare, e.g. `reorder(o, i, r)`): they are declared as Vars of
// that name and the file parsed again.
class Collector : public clang::DiagnosticConsumer {
public:
    std::vector<Problem> errors;
    std::set<std::string> undeclared;
    size_t undeclared_uses = 0;
    void HandleDiagnostic(clang::DiagnosticsEngine::Level level, const clang::Diagnostic& info) override {
        clang::DiagnosticConsumer::HandleDiagnostic(level, info);
        if (level < clang::DiagnosticsEngine::Error) return;
        llvm::SmallString<256> text;
        info.FormatDiagnostic(text);
        const std::string message(text.str());
        const std::string prefix = "use of undeclared identifier '";
        if (message.rfind(prefix, 0) == 0) {
            undeclared.insert(message.substr(prefix.size(), message.size() - prefix.size() - 1));
            ++undeclared_uses;
        }
        Problem p;
        p.message = message;
        if (info.hasSourceManager() && info.getLocation().isValid()) {
            const clang::PresumedLoc loc = info.getSourceManager().getPresumedLoc(info.getLocation());
            if (loc.isValid()) p.line = loc.getLine(), p.column = loc.getColumn();
        }
        errors.push_back(p);
    }
};

struct ImportError {
    unsigned line, column;
    std::string message;
};

class Importer : public clang::RecursiveASTVisitor<Importer> {
public:
    Importer(clang::ASTContext& ctx, PipelineSchedule& out) : ctx_(ctx), out_(out) {}
    std::vector<ImportError> errors;

    bool TraverseDecl(clang::Decl* d) {
        // Only the input's own code: not Halide's headers or the standard library.
        if (d && !llvm::isa<clang::TranslationUnitDecl>(d) && !ctx_.getSourceManager().isInMainFile(d->getLocation()))
            return true;
        return clang::RecursiveASTVisitor<Importer>::TraverseDecl(d);
    }

    bool VisitFunctionDecl(clang::FunctionDecl* fn) {
        if (!fn->hasBody() || !fn->doesThisDeclarationHaveABody()) return true;
        body(llvm::dyn_cast<clang::CompoundStmt>(fn->getBody()));
        return true;
    }

private:
    std::string type_name(clang::QualType t) const {
        return t.getNonReferenceType().getUnqualifiedType().getCanonicalType().getAsString();
    }
    bool is_type(clang::QualType t, const char* name) const { return type_name(t) == std::string("class ") + name; }

    // A call in a chain is located at its method's name, not at the chain's start.
    static clang::SourceLocation where(const clang::Stmt* s) {
        if (auto* call = llvm::dyn_cast_or_null<clang::CXXMemberCallExpr>(s)) return call->getExprLoc();
        return s ? s->getBeginLoc() : clang::SourceLocation();
    }

    void error(const clang::Stmt* s, const std::string& message) {
        const clang::PresumedLoc loc = ctx_.getSourceManager().getPresumedLoc(where(s));
        errors.push_back({loc.isValid() ? loc.getLine() : 0, loc.isValid() ? loc.getColumn() : 0, message});
    }
    unsigned line_of(const clang::Stmt* s) const {
        const clang::PresumedLoc loc = ctx_.getSourceManager().getPresumedLoc(where(s));
        return loc.isValid() ? loc.getLine() : 0;
    }

    static const clang::Expr* strip(const clang::Expr* e) {
        while (true) {
            e = e->IgnoreImplicit()->IgnoreParens();
            if (auto* c = llvm::dyn_cast<clang::CXXConstructExpr>(e);
                c && c->getNumArgs() >= 1 && !llvm::isa<clang::StringLiteral>(c->getArg(0)->IgnoreImplicit()) &&
                (c->getNumArgs() == 1 || llvm::isa<clang::CXXDefaultArgExpr>(c->getArg(1)))) {
                e = c->getArg(0);
                continue;
            }
            if (auto* m = llvm::dyn_cast<clang::MaterializeTemporaryExpr>(e)) {
                e = m->getSubExpr();
                continue;
            }
            if (auto* b = llvm::dyn_cast<clang::CXXBindTemporaryExpr>(e)) {
                e = b->getSubExpr();
                continue;
            }
            if (auto* f = llvm::dyn_cast<clang::CXXFunctionalCastExpr>(e)) {
                e = f->getSubExpr();
                continue;
            }
            return e;
        }
    }

    // Var x("x"): the literal under the std::string and Var constructions.
    static const clang::StringLiteral* string_literal(const clang::Expr* e) {
        while (e) {
            e = e->IgnoreImplicit()->IgnoreParens();
            if (auto* s = llvm::dyn_cast<clang::StringLiteral>(e)) return s;
            if (auto* m = llvm::dyn_cast<clang::MaterializeTemporaryExpr>(e)) {
                e = m->getSubExpr();
            } else if (auto* b = llvm::dyn_cast<clang::CXXBindTemporaryExpr>(e)) {
                e = b->getSubExpr();
            } else if (auto* c = llvm::dyn_cast<clang::CXXConstructExpr>(e); c && c->getNumArgs() >= 1) {
                e = c->getArg(0);
            } else {
                return nullptr;
            }
        }
        return nullptr;
    }

    // `f.update(0).get_schedule().rvars()[0].var` -> ("f", "update(0).rvars[0]"); "" if not such a path.
    bool position_path(const clang::Expr* e, std::string& func, std::string& path) {
        e = strip(e);
        if (auto* m = llvm::dyn_cast<clang::MemberExpr>(e)) {  // .var of a Dim / ReductionVariable
            if (m->getMemberDecl()->getNameAsString() != "var") return false;
            return position_path(m->getBase(), func, path);
        }
        if (auto* op = llvm::dyn_cast<clang::CXXOperatorCallExpr>(e); op && op->getOperator() == clang::OO_Subscript) {
            clang::Expr::EvalResult index;
            if (!op->getArg(1)->EvaluateAsInt(index, ctx_)) return false;
            if (!position_path(op->getArg(0), func, path)) return false;
            path += "[" + std::to_string(index.Val.getInt().getExtValue()) + "]";
            return true;
        }
        if (auto* call = llvm::dyn_cast<clang::CXXMemberCallExpr>(e)) {
            const std::string name = call->getMethodDecl()->getNameAsString();
            if (!position_path(call->getImplicitObjectArgument(), func, path)) return false;
            if (name == "get_schedule") return true;
            if (name == "args" || name == "dims" || name == "rvars") {
                path += (path.empty() ? "" : ".") + name;
                return true;
            }
            if (name == "update") {
                clang::Expr::EvalResult index;
                if (call->getNumArgs() != 1 || !call->getArg(0)->EvaluateAsInt(index, ctx_)) return false;
                path += (path.empty() ? "" : ".") + std::string("update(") +
                        std::to_string(index.Val.getInt().getExtValue()) + ")";
                return true;
            }
            return false;
        }
        if (auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(e)) {
            auto it = funcs_.find(ref->getDecl());
            if (it == funcs_.end()) return false;
            func = it->second;
            return true;
        }
        return false;
    }

    void declare(const clang::VarDecl* v) {
        const clang::QualType t = v->getType();
        const std::string ident = v->getNameAsString();
        const clang::Expr* init = v->getInit();
        if (is_type(t, "Halide::Func")) {
            // Func f = pipeline.get_func(N);
            const auto* call = init ? llvm::dyn_cast<clang::CXXMemberCallExpr>(strip(init)) : nullptr;
            clang::Expr::EvalResult index;
            if (!call || call->getMethodDecl()->getNameAsString() != "get_func" || call->getNumArgs() != 1 ||
                !call->getArg(0)->EvaluateAsInt(index, ctx_)) {
                error(v->getInit() ? static_cast<const clang::Stmt*>(v->getInit()) : nullptr,
                      "Func '" + ident + "': only `Func " + ident +
                          " = pipeline.get_func(N);` names a Func of the pipeline");
                return;
            }
            funcs_[v] = ident;
            func_index_[ident] = static_cast<int>(index.Val.getInt().getExtValue());
            return;
        }
        if (!is_type(t, "Halide::Var") && !is_type(t, "Halide::RVar")) return;  // other declarations are left alone
        if (!init)
            return error(v->getBody() ? v->getBody() : nullptr, "var '" + ident + "' has no initializer"), void();
        if (const clang::StringLiteral* s = string_literal(init)) {
            var_names_[v] = s->getString().str();
            return;
        }
        std::string func, path;
        if (position_path(init, func, path) && !func.empty()) {
            var_bindings_[v] = {func, path};
            return;
        }
        error(init, "var '" + ident +
                        "': cannot read its initializer (expected Var x(\"x\"), f.args()[k], "
                        "f.get_schedule().dims()[k].var or f.update(i).get_schedule().rvars()[k].var)");
    }

    void body(const clang::CompoundStmt* block) {
        if (!block) return;
        for (const clang::Stmt* s : block->body()) {
            if (auto* ds = llvm::dyn_cast<clang::DeclStmt>(s)) {
                for (const clang::Decl* d : ds->decls())
                    if (auto* v = llvm::dyn_cast<clang::VarDecl>(d)) declare(v);
                continue;
            }
            if (auto* inner = llvm::dyn_cast<clang::CompoundStmt>(s)) {
                body(inner);
                continue;
            }
            if (llvm::isa<clang::NullStmt>(s)) continue;
            if (auto* e = llvm::dyn_cast<clang::Expr>(s)) {
                chain(e);
                continue;
            }
            error(s, std::string("unsupported statement (") + s->getStmtClassName() +
                         "): a schedule is declarations and call chains on Funcs");
        }
    }

    // One statement `f[.update(i)].a(...).b(...)...;`: the calls, innermost first.
    void chain(const clang::Expr* e) {
        std::vector<const clang::CXXMemberCallExpr*> calls;
        const clang::Expr* cur = strip(e);
        std::string func;
        int update = -1;
        while (true) {
            if (auto* call = llvm::dyn_cast<clang::CXXMemberCallExpr>(cur)) {
                const std::string name = call->getMethodDecl()->getNameAsString();
                const clang::Expr* obj = strip(call->getImplicitObjectArgument());
                if (name == "update") {
                    auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(obj);
                    clang::Expr::EvalResult index;
                    if (ref && funcs_.count(ref->getDecl()) && call->getNumArgs() <= 1 &&
                        (call->getNumArgs() == 0 || llvm::isa<clang::CXXDefaultArgExpr>(call->getArg(0)) ||
                         call->getArg(0)->EvaluateAsInt(index, ctx_))) {
                        func = funcs_.at(ref->getDecl());
                        update = (call->getNumArgs() == 0 || llvm::isa<clang::CXXDefaultArgExpr>(call->getArg(0)))
                                     ? 0
                                     : static_cast<int>(index.Val.getInt().getExtValue());
                        break;
                    }
                }
                calls.push_back(call);
                cur = obj;
                continue;
            }
            if (auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(cur); ref && funcs_.count(ref->getDecl())) {
                func = funcs_.at(ref->getDecl());
                break;
            }
            return error(e, "not a scheduling call chain on a Func of the pipeline"), void();
        }
        FuncSchedule& fs = func_schedule(func);
        if (fs.stages.empty() || fs.stages.back().update != update) fs.stages.push_back(StageSchedule{update, {}});
        StageSchedule& stage = fs.stages.back();
        for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
            const clang::CXXMemberCallExpr* call = *it;
            ScheduleDirective d;
            d.op = call->getMethodDecl()->getNameAsString();
            d.line = line_of(call);
            if (!kDirectives.count(d.op)) {
                error(call,
                      "'" + d.op +
                          "' is not a scheduling directive nnc can save (supported: compute_root, "
                          "compute_at, store_at, store_root, compute_inline, store_in, bound, reorder_storage, split, "
                          "fuse, reorder, tile, vectorize, unroll, parallel, serial, atomic, gpu_blocks, gpu_threads, "
                          "gpu_lanes, gpu_tile, gpu_single_thread)");
                continue;
            }
            bool ok = true;
            for (unsigned i = 0; i < call->getNumArgs() && ok; ++i) {
                const clang::Expr* arg = call->getArg(i);
                if (llvm::isa<clang::CXXDefaultArgExpr>(arg)) break;  // the defaults need no saving
                ok = argument(fs, d, arg, i);
            }
            if (ok) stage.directives.push_back(std::move(d));
        }
    }

    FuncSchedule& func_schedule(const std::string& func) {
        for (FuncSchedule& f : out_.funcs)
            if (f.func == func) return f;
        FuncSchedule f;
        f.func = func;
        f.index = func_index_.count(func) ? func_index_.at(func) : -1;
        out_.funcs.push_back(std::move(f));
        return out_.funcs.back();
    }

    // One argument: a var, a Func, an integer, a TailStrategy or MemoryType, or a
    // std::vector<VarOrRVar> initializer (reorder({x, y})).
    bool argument(FuncSchedule& fs, ScheduleDirective& d, const clang::Expr* arg, unsigned i) {
        const clang::Expr* e = strip(arg);
        if (auto* list = llvm::dyn_cast<clang::InitListExpr>(e)) {
            for (const clang::Expr* x : list->inits())
                if (!argument(fs, d, x, i)) return false;
            return true;
        }
        if (auto* ctor = llvm::dyn_cast<clang::CXXStdInitializerListExpr>(e))
            return argument(fs, d, ctor->getSubExpr(), i);
        if (auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(e)) {
            const clang::ValueDecl* decl = ref->getDecl();
            if (auto* ec = llvm::dyn_cast<clang::EnumConstantDecl>(decl)) {
                d.args.push_back(ec->getNameAsString());
                return true;
            }
            if (funcs_.count(decl)) {
                d.args.push_back(funcs_.at(decl));
                return true;
            }
            if (auto it = var_names_.find(decl); it != var_names_.end()) {
                d.args.push_back(it->second);
                return true;
            }
            // Vars declared outside the input (the names it used undeclared, see Collector).
            if (auto* v = llvm::dyn_cast<clang::VarDecl>(decl); v && v->getInit())
                if (const clang::StringLiteral* s = string_literal(v->getInit()); s && !var_bindings_.count(decl)) {
                    d.args.push_back(s->getString().str());
                    return true;
                }
            if (auto it = var_bindings_.find(decl); it != var_bindings_.end()) {
                const auto& [func, path] = it->second;
                std::string binding = func == fs.func ? path : func + ":" + path;
                std::string key = decl->getNameAsString();
                // The same name bound differently in two blocks of one Func: keep both apart.
                for (int n = 2; fs.vars.count(key) && fs.vars.at(key) != binding; ++n)
                    key = decl->getNameAsString() + "'" + std::to_string(n);
                fs.vars[key] = binding;
                d.args.push_back(key);
                return true;
            }
        }
        clang::Expr::EvalResult value;
        if (e->EvaluateAsInt(value, ctx_)) {
            d.args.push_back(value.Val.getInt().getExtValue());
            return true;
        }
        error(arg, "argument " + std::to_string(i + 1) + " of '" + d.op +
                       "': expected a Var/RVar, a Func, an integer constant, a TailStrategy or a MemoryType");
        return false;
    }

    clang::ASTContext& ctx_;
    PipelineSchedule& out_;
    std::map<const clang::Decl*, std::string> funcs_;
    std::map<std::string, int> func_index_;
    std::map<const clang::Decl*, std::string> var_names_;
    std::map<const clang::Decl*, std::pair<std::string, std::string>> var_bindings_;
};

class Action : public clang::ASTFrontendAction {
public:
    Action(Collector& diags, PipelineSchedule& out, std::vector<ImportError>& errors)
        : diags_(diags), out_(out), errors_(errors) {}

    std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance& ci, llvm::StringRef) override {
        ci.getDiagnostics().setClient(&diags_, /*ShouldOwnClient=*/false);
        struct Consumer : clang::ASTConsumer {
            Action& a;
            explicit Consumer(Action& a) : a(a) {}
            void HandleTranslationUnit(clang::ASTContext& ctx) override {
                if (!a.diags_.errors.empty()) return;  // reported by the caller
                Importer importer(ctx, a.out_);
                importer.TraverseDecl(ctx.getTranslationUnitDecl());
                a.errors_ = importer.errors;
            }
        };
        return std::make_unique<Consumer>(*this);
    }

private:
    Collector& diags_;
    PipelineSchedule& out_;
    std::vector<ImportError>& errors_;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

int main(int argc, char** argv) {
    std::string input, output;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "-o" || a == "--output") && i + 1 < argc) {
            output = argv[++i];
        } else if (a == "-h" || a == "--help") {
            std::printf(
                "Usage: nnc-import-schedule SCHEDULE.cpp [-o DIRECTIVES.json]\n"
                "Reads a Halide C++ schedule (an autoscheduler's output or a hand-written one) and prints its\n"
                "directives as nnc saved-schedule JSON ({\"funcs\": [...]}, one pipeline). nnc --save-schedule\n"
                "runs it on every pipeline and stamps the result (schedules/README.md).\n");
            return 0;
        } else if (input.empty() && a.rfind("-", 0) != 0) {
            input = a;
        } else {
            std::fprintf(stderr, "nnc-import-schedule: error: unexpected argument '%s' (see --help)\n", a.c_str());
            return 2;
        }
    }
    if (input.empty()) {
        std::fprintf(stderr, "nnc-import-schedule: error: name the C++ schedule to import (see --help)\n");
        return 2;
    }
    std::string text;
    try {
        text = read_file(input);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nnc-import-schedule: error: %s\n", e.what());
        return 1;
    }
    // A bare body (Pipeline::auto_schedule's schedule_source) is wrapped in a function; #line
    // keeps every message at the input's own line numbers.
    const bool whole_file =
        text.find("Halide::Pipeline") != std::string::npos || text.find("#include") != std::string::npos;
    std::set<std::string> undeclared;
    for (int attempt = 0; attempt < 2; ++attempt) {
        std::string preamble = "#include \"Halide.h\"\n";
        for (const std::string& name : undeclared) preamble += "static Halide::Var " + name + "(\"" + name + "\");\n";
        std::string code = preamble;
        if (whole_file) {
            code += "#line 1 \"" + input + "\"\n" + text;
        } else {
            code +=
                "using namespace Halide;\nvoid nnc_imported_schedule(Halide::Pipeline pipeline, Halide::Target target) "
                "{\n"
                "#line 1 \"" +
                input + "\"\n" + text + "\n}\n";
        }
        Collector diags;
        PipelineSchedule out;
        std::vector<ImportError> errors;
        const std::vector<std::string> args = {
            "-std=c++17",    "-fsyntax-only",       "-fno-spell-checking", "-w", "-I" NNC_HALIDE_INCLUDE_DIR,
            "-resource-dir", NNC_CLANG_RESOURCE_DIR};
        clang::tooling::runToolOnCodeWithArgs(std::make_unique<Action>(diags, out, errors), code, args,
                                              input + ".nnc-import.cpp", "nnc-import-schedule");
        if (!diags.errors.empty()) {
            // Names the autoschedulers use without declaring them: declare them and parse again.
            if (attempt == 0 && !diags.undeclared.empty() && diags.undeclared_uses == diags.errors.size()) {
                undeclared = diags.undeclared;
                continue;
            }
            for (const Problem& p : diags.errors)
                std::fprintf(stderr, "%s:%u:%u: error: %s\n", input.c_str(), p.line, p.column, p.message.c_str());
            return 1;
        }
        if (!errors.empty()) {
            for (const ImportError& p : errors)
                std::fprintf(stderr, "%s:%u:%u: error: %s\n", input.c_str(), p.line, p.column, p.message.c_str());
            return 1;
        }
        if (out.funcs.empty()) {
            std::fprintf(stderr,
                         "%s: error: no scheduling calls found (expected `Func f = pipeline.get_func(N);` and "
                         "call chains such as f.compute_root())\n",
                         input.c_str());
            return 1;
        }
        const std::string json = nnc::codegen::pipeline_schedule_to_json(out).dump(2) + "\n";
        if (output.empty()) {
            std::fputs(json.c_str(), stdout);
        } else {
            std::ofstream f(output);
            f << json;
            if (!f.flush()) {
                std::fprintf(stderr, "nnc-import-schedule: error: cannot write %s\n", output.c_str());
                return 1;
            }
        }
        return 0;
    }
    return 1;
}
