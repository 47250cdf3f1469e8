// nnc: compile a .nn model into a shared library, check it, train it, evaluate it, predict with it.
//   nnc model.nn -o model.so        compile (writes model.so and model.h)
//   nnc check model.nn              shapes and parameter counts
//   nnc lint model.nn               the field guide's practices, as warnings
//   nnc train model.nn|model.so     train (Fashion-MNIST by default, or CSV/.npy data) into a run folder
//   nnc eval RUN --data D            loss and accuracy on a dataset (or model.so --weights W)
//   nnc predict RUN --input X --output Y   outputs in the user's units
//   nnc export-npz RUN -o w.npz      the trained parameters as a NumPy archive
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "codegen/build_paths.h"
#include "codegen/driver/commands.h"
#include "dsl/nearest.h"
#include "runtime/cli/commands.h"

namespace {

void add_schedule_options(CLI::App& app, nnc::codegen::ScheduleOptions& s) {
    app.add_option("--scheduler", s.scheduler,
                   "template (default: each layer's hand schedule) or a Halide autoscheduler: Mullapudi2016, "
                   "Adams2019 (greedy), Li2018")
        ->check(CLI::IsMember(nnc::codegen::known_schedulers()));
    app.add_option("--parallelism", s.parallelism, "threads the schedule targets (default: this machine's)");
}

// `nnc model.nn -o model.so`: the options of the command without a subcommand.
void add_compile_options(CLI::App& app, nnc::driver::CompileOptions& compile) {
    app.add_option("model", compile.input, "the .nn file to compile");
    app.add_option("-o,--output", compile.output, "the shared library to write (its header goes beside it, .h)");
    app.add_option("--header", compile.header, "where to write the generated header");
    app.add_option("--target", compile.target, "Halide target (default: host)");
    app.add_option("--emit-dir", compile.emit_dir, "also write the lowered stmt, schedules and descriptor here");
    app.add_option("--graph-json", compile.graph_json, "write the checked graph as JSON (for PyTorch comparisons)");
    app.add_flag("--dump-tokens", compile.dump_tokens, "print the tokens");
    app.add_flag("--dump-ast", compile.dump_ast, "print the syntax tree");
    app.add_flag("--dump-graph", compile.dump_graph, "print the checked graph");
    app.add_flag("-q,--quiet", compile.quiet, "no timing line");
    app.add_option("--layers-per-stage", compile.layers_per_stage,
                   "a training step of more layers compiles as several pipelines of this many layers each, "
                   "much faster than one (CPU targets; 0: always one pipeline)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_flag("--no-cache", compile.no_cache,
                 "build even when this model, these options and this nnc built the library before (an unchanged "
                 "model is otherwise copied from ~/.cache/nnc/builds, and one whose train section alone changed "
                 "links the pipelines compiled before)");
    add_schedule_options(app, compile.schedule);
    app.add_option("--autotune", compile.autotune,
                   "the layer schedules' tuned knobs: cached (the default, or $NNC_AUTOTUNE: this CPU's tuning "
                   "cache, then the tuning nnc ships for it; what they lack is measured first, within the quick "
                   "budget, so a second build measures nothing), quick (measure what this CPU's cache lacks, about "
                   "a minute at most), thorough (measure every layer again, minutes), off (the hand defaults)")
        ->check(CLI::IsMember({"off", "cached", "quick", "thorough"}));
    app.add_option("--tuning-cache", compile.tuning_cache,
                   "the tuning file (default: $NNC_TUNING_CACHE, else ~/.cache/nnc/tuning/<CPU>.json)");
    app.add_option("--tune-budget", compile.tune_budget,
                   "seconds that measuring layers may take before the build (default: 45 for cached and quick, "
                   "1800 for thorough); the layers it leaves keep the defaults until a later build")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--tuning-for", compile.tuning_for,
                   "build with the tuning shipped for this CPU model (lscpu's \"Model name\"; "
                   "schedules/tunings) instead of this machine's: for a --target another machine runs. Without "
                   "it such a target takes a shipped tuning whose ISA matches, else the template defaults");
    app.add_option("--schedule,--schedule-file", compile.schedule_file,
                   "apply a saved schedule (schedules/README.md); refused when its stamps (graph, target, nnc and "
                   "Halide versions) do not match this build");
    app.add_option(
        "--save-schedule", compile.save_schedule,
        "save the autoscheduler's schedule (--scheduler Mullapudi2016, ...) as a stamped file for --schedule");
}

// What the training-side commands (runtime/cli, which link no compiler) need of it.
nnc::driver::ModelCompiler model_compiler() {
    nnc::driver::ModelCompiler c;
    c.compile = [](const std::string& path, const nnc::driver::CompileChoice& choice) {
        nnc::codegen::ScheduleOptions schedule;
        schedule.scheduler = choice.scheduler;
        schedule.parallelism = choice.parallelism;
        return nnc::driver::compile_to_cache(path, schedule);
    };
    c.loss_ops = [](const std::string& path) {
        std::vector<std::string> ops;
        if (const auto checked = nnc::driver::load_checked_model(path))
            for (const auto loss : checked->losses) ops.push_back(checked->node(loss).op);
        return ops;
    };
    c.schedulers = nnc::codegen::known_schedulers();
    return c;
}

// `nnc trian m.so`: a first word that is no command, no option and no file would be taken for
// the model to compile, and the error would be about the words after it. Says so instead.
std::optional<std::string> unknown_command(CLI::App& app, const std::string& word) {
    std::error_code ec;
    if (word.empty() || word[0] == '-' || word.find_first_of("./") != std::string::npos ||
        std::filesystem::exists(word, ec))
        return std::nullopt;
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
        names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), word) != names.end()) return std::nullopt;
    const auto nearest = nnc::dsl::nearest_match(word, names);
    return "unknown command '" + word + "'" + (nearest ? "; did you mean '" + *nearest + "'?" : std::string()) +
           "\ncommands: " + nnc::dsl::join(names) + "; or compile a model: nnc model.nn -o model.so (nnc --help)";
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"nnc — compile-time neural-network compiler"};
    app.set_version_flag("--version", std::string("nnc ") + NNC_VERSION + " (Halide " + NNC_HALIDE_VERSION + ", LLVM " +
                                          NNC_LLVM_VERSION + ")");
    app.require_subcommand(0, 1);
    app.footer(
        "Examples:\n"
        "  nnc model.nn -o model.so                  compile: model.so (C ABI) and model.h (C and C++ API)\n"
        "  nnc check model.nn                        layers, output shapes, parameter counts\n"
        "  nnc train model.nn --epochs 5 --out run   train (Fashion-MNIST IDX by default; CSV or .npy with "
        "--data/--target)\n"
        "  nnc eval run --data DIR                   the run's model and best.ckpt (or model.so --weights W)\n"
        "  nnc predict run --input x.npy --output y.npy\n"
        "  nnc export-npz run -o w.npz               the trained parameters as a NumPy archive\n"
        "  nnc lr-find model.nn --out run             a learning rate to start from (training split only)\n"
        "  nnc tune model.nn --lr 1e-2,1e-3 --batch 32,64 --validation 5000 --out run   ranked on validation\n"
        "Each command's options: nnc <command> --help. The language: dsl/GRAMMAR.md and 'nnc ops'.\n"
        "Environment: CC, CXX (the host compilers that link model libraries); NNC_RUNTIME_DIR (a folder with\n"
        "libnnc_runtime.a, exports.map and include/, instead of the one beside nnc); XDG_CACHE_HOME (the cache of\n"
        "'nnc train model.nn'); NNC_HALIDE_PLUGIN_DIR (Halide's autoscheduler plugins);\n"
        "NNC_VERBOSE (the autoschedulers' own warnings); NNC_AUTOTUNE (off, cached, quick or thorough: the\n"
        "default of --autotune; the test suite sets off); NNC_TUNING_CACHE (the tuning file);\n"
        "NNC_SHIPPED_TUNINGS (the folder of shipped tunings, instead of schedules/tunings).");

    nnc::driver::CompileOptions compile;
    add_compile_options(app, compile);

    std::string check_path;
    CLI::App* check = app.add_subcommand("check", "check a .nn file and print its layers, shapes and parameter counts");
    check->add_option("model", check_path, "the .nn file")->required();

    nnc::driver::LintCommandOptions lint;
    CLI::App* li = app.add_subcommand("lint",
                                      "check a .nn file against the field guide's practices (warnings with the "
                                      "rule's name; '# nnc: allow(RULE)' on the line silences one)");
    li->add_option("model", lint.input, "the .nn file");
    li->add_option("--target", lint.target, "the Halide target it will be compiled for (default: host)");
    li->add_flag("--werror", lint.werror, "report findings as errors and exit with status 1");
    li->add_flag("--rules", lint.list_rules, "list the rules");

    nnc::driver::TuneKernelsOptions tune_kernels;
    CLI::App* tk = app.add_subcommand("tune-kernels",
                                      "measure the layers' schedule knobs on this CPU into the tuning cache that "
                                      "compiles use, and report each layer's default and tuned time");
    tk->add_option("model", tune_kernels.inputs, "the .nn file(s)")->required();
    tk->add_option("--mode", tune_kernels.mode, "quick or thorough")
        ->capture_default_str()
        ->check(CLI::IsMember({"quick", "thorough"}));
    tk->add_option("--tuning-cache", tune_kernels.tuning_cache, "the tuning file (default: as nnc --tuning-cache)");
    tk->add_option("--budget", tune_kernels.budget_seconds,
                   "seconds for each model's search (default: 45 for quick, 1800 for thorough; 0 times only "
                   "the defaults)")
        ->check(CLI::NonNegativeNumber);
    tk->add_option("--save-shipped", tune_kernels.save_shipped,
                   "also write this CPU's tunings of these models into DIR/<CPU model>.json, a tuning nnc ships "
                   "(schedules/tunings; schedules/README.md)");

    CLI::App* ops = app.add_subcommand("ops", "print every layer and loss with its inputs and attributes (Markdown)");

    const nnc::driver::TrainingCommands training(app, model_compiler());

    if (argc > 1) {
        if (const auto message = unknown_command(app, argv[1])) {
            std::fprintf(stderr, "nnc: error: %s\n", message->c_str());
            return 2;
        }
    }
    CLI11_PARSE(app, argc, argv);

    if (*check) return nnc::driver::run_check(check_path);
    if (*li) return nnc::driver::run_lint(lint);
    if (*ops) return nnc::driver::run_ops();
    if (*tk) return nnc::driver::run_tune_kernels(tune_kernels);
    if (const auto status = training.run()) return *status;
    if (compile.input.empty()) {
        std::fputs(app.help().c_str(), stderr);
        return 2;
    }
    if (compile.output.empty() && compile.graph_json.empty() && !compile.dump_tokens && !compile.dump_ast &&
        !compile.dump_graph) {
        std::fprintf(stderr, "nnc: error: no output; add -o %s.so, or use 'nnc check %s'\n",
                     compile.input.substr(0, compile.input.rfind('.')).c_str(), compile.input.c_str());
        return 2;
    }
    return nnc::driver::run_compile(compile);
}
