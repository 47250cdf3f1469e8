// The compile-side nnc subcommands (the training side is runtime/cli/commands.h). Each returns
// the process exit status; none calls exit().
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "codegen/schedule/scheduler.h"
#include "dsl/lint.h"
#include "dsl/model.h"

namespace nnc::driver {

// Reads and checks a .nn file, printing every diagnostic to stderr. nullopt if there were errors.
std::optional<dsl::CheckedModel> load_checked_model(const std::string& path, std::string* source_text = nullptr);

struct CompileOptions {
    std::string input;
    std::string output;  // model.so
    std::string header;  // default: output with .h
    std::string target = "host";
    codegen::ScheduleOptions schedule;
    std::string emit_dir;    // --emit-dir: stmt, schedules, descriptor
    std::string graph_json;  // --graph-json: the checked graph for peers (PyTorch)
    bool dump_tokens = false, dump_ast = false, dump_graph = false;
    bool quiet = false;
    int layers_per_stage = 12;  // --layers-per-stage (codegen/lower/staged_lowering.h)
    bool no_cache = false;      // --no-cache: build even if an unchanged build is cached
    std::string schedule_file;  // --schedule: apply this saved schedule (codegen/schedule/saved_schedule_file.h)
    std::string save_schedule;  // --save-schedule: save the autoscheduler's schedule here
    std::string autotune;       // --autotune: off, cached, quick, thorough (empty: $NNC_AUTOTUNE, else cached)
    std::string tuning_cache;   // --tuning-cache: the tuning file (default: per CPU, in the user cache)
    std::string tuning_for;     // --tuning-for: the CPU model whose shipped tuning applies (another machine)
    double tune_budget = -1;    // --tune-budget: seconds for measuring layers (negative: the mode's)
};
int run_compile(const CompileOptions& options);

int run_check(const std::string& path);

// nnc tune-kernels model.nn...: measures the models' layer schedules on this machine (thorough
// by default) into the tuning cache that compiles read, and reports each layer's default and
// tuned time; --save-shipped also writes them into a shipped tuning (schedules/tunings).
struct TuneKernelsOptions {
    std::vector<std::string> inputs;
    std::string mode = "thorough";
    std::string tuning_cache;    // default: codegen/tune/tuning_cache.h's default_tuning_cache_path
    double budget_seconds = -1;  // --budget: each model's search, wall clock (negative: the mode's)
    std::string save_shipped;    // --save-shipped DIR: also into DIR/<CPU model>.json
};
int run_tune_kernels(const TuneKernelsOptions& options);

// nnc lint model.nn: the field guide's rules (dsl/lint.h) as warnings, or errors with --werror.
struct LintCommandOptions {
    std::string input;
    std::string target = "host";  // GPU targets get GPU advice (batch a multiple of 32)
    bool werror = false;
    bool list_rules = false;  // --rules: print each rule's name and summary
};
int run_lint(const LintCommandOptions& options);
// Lints a checked model and prints its findings to stderr; returns how many (nnc check uses it).
int print_lint_findings(const std::string& path, const std::string& source_text, const dsl::CheckedModel& model,
                        const dsl::LintOptions& options);

// nnc ops: every op of the language as a Markdown table (dsl/GRAMMAR.md embeds it).
std::string ops_markdown();
int run_ops();

// Compiles `path` into the per-user cache (reused while the source, nnc and the options are the
// same) and returns the library path; throws std::runtime_error on failure. The training-side
// commands get it through main.cpp (runtime/cli/model_compiler.h).
std::string compile_to_cache(const std::string& path, const codegen::ScheduleOptions& schedule);

}  // namespace nnc::driver
