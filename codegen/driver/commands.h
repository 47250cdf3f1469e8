// The nnc subcommands. Each returns the process exit status; none calls exit().
#pragma once
#include <optional>
#include <string>

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
};
int run_compile(const CompileOptions& options);

int run_check(const std::string& path);

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

struct TrainOptions {
    std::string model;  // .nn (compiled into the cache first) or .so
    std::optional<int64_t> epochs, batch, validation, limit;
    std::optional<double> lr;
    std::optional<std::string> optimizer;
    std::optional<uint64_t> seed;
    std::optional<std::string> lr_schedule;       // as the train section writes it: "step(every=10, factor=0.5)"
    std::optional<int64_t> warmup;                // updates
    std::optional<double> clip_norm, clip_value;  // 0: off
    std::optional<std::string> on_divergence;  // stop | rollback(factor, retries, explode_factor), as the train section
    std::optional<int64_t>
        early_stopping_patience;  // 0 or more: early stopping on (the model's monitor, else val_loss)
    std::optional<int64_t> accumulate;
    std::optional<std::string> dropout;  // --dropout R | name=R,...: rates set at run time (dropout_setting.h)
    int augment_crop = 0;                // --augment-crop P: random shifts up to P pixels
    bool augment_flip = false;           // --augment-flip: random left-right mirroring
    std::optional<int> threads;
    std::string data_dir = "/usr/share/datasets/fashion-mnist";
    std::string save;  // checkpoint path after training
    std::string load;  // checkpoint to start from (skips initialization)
    codegen::ScheduleOptions schedule;
    // CSV/.npy data, run folders and resume (registered by add_train_data_options, data_commands.h)
    std::string targets, features;                    // comma-separated
    std::string validation_data, validation_targets;  // a separate validation file
    std::string standardize = "auto";                 // auto | none | inputs | targets | both
    std::string out;                                  // the run folder
    std::string resume;                               // a run folder to continue
    int64_t metrics_every = 50;                       // batches between step lines (0: none)
    bool no_diagnostics = false;                      // --no-diagnostics (live_diagnosis.h)
    bool sanity = false;                              // --sanity: the checks before training (sanity_command.cpp)
    int64_t sanity_samples = 64;
};
int run_train(const TrainOptions& options);
// nnc train --sanity: initial loss vs. its expected value, then overfit a tiny subset. 0: PASS,
// 1: FAIL, 2: an error.
int run_sanity(const TrainOptions& options);

// nnc report RUN_DIR: the run's plots (drawn by gnuplot) and diagnoses as one HTML page,
// RUN_DIR/report/index.html (report_command.cpp, report/).
struct ReportOptions {
    std::string run_dir;
    std::string format = "png";  // png | svg
    std::string out;             // the report folder (default RUN_DIR/report)
};
int run_report(const ReportOptions& options);

// Compiles `path` into the per-user cache (reused while the source, nnc and the options are the
// same) and returns the library path; throws std::runtime_error on failure.
std::string compile_to_cache(const std::string& path, const codegen::ScheduleOptions& schedule);

}  // namespace nnc::driver
