// nnc: compile a .nn model into a shared library, check it, train it, evaluate it, predict with it.
//   nnc model.nn -o model.so        compile (writes model.so and model.h)
//   nnc check model.nn              shapes and parameter counts
//   nnc lint model.nn               the field guide's practices, as warnings
//   nnc train model.nn|model.so     train (Fashion-MNIST by default, or CSV/.npy data) into a run folder
//   nnc eval model.so --weights W --data D        loss and accuracy on a dataset
//   nnc predict model.so --weights W --input X --output Y   outputs in the user's units
#include <nnc/train_vocabulary.h>
#include <CLI/CLI.hpp>

#include <cstdio>

#include "codegen/build_paths.h"
#include "codegen/driver/commands.h"
#include "runtime/cli/data_commands.h"
#include "runtime/cli/tuning_commands.h"

namespace {

void add_schedule_options(CLI::App& app, nnc::codegen::ScheduleOptions& s) {
    app.add_option("--scheduler", s.scheduler,
                   "template (default: each layer's hand schedule) or a Halide autoscheduler: Mullapudi2016, "
                   "Adams2019 (greedy), Li2018")
        ->check(CLI::IsMember(nnc::codegen::known_schedulers()));
    app.add_option("--parallelism", s.parallelism, "threads the schedule targets (default: this machine's)");
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
        "  nnc eval model.so --weights run/best.ckpt --data DIR\n"
        "  nnc predict model.so --weights W --input x.npy --output y.npy\n"
        "  nnc lr-find model.nn --out run             a learning rate to start from (training split only)\n"
        "  nnc tune model.nn --lr 1e-2,1e-3 --batch 32,64 --validation 5000 --out run   ranked on validation\n"
        "Each command's options: nnc <command> --help. The language: dsl/GRAMMAR.md and 'nnc ops'.\n"
        "Environment: CC, CXX (the host compilers that link model libraries); NNC_RUNTIME_DIR (a folder with\n"
        "libnnc_runtime.a, exports.map and include/, instead of the one beside nnc); XDG_CACHE_HOME (the cache of\n"
        "'nnc train model.nn'); NNC_HALIDE_PLUGIN_DIR (Halide's autoscheduler plugins);\n"
        "NNC_VERBOSE (the autoschedulers' own warnings).");

    nnc::driver::CompileOptions compile;
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
                 "model is otherwise copied from ~/.cache/nnc/builds)");
    add_schedule_options(app, compile.schedule);
    app.add_option("--schedule,--schedule-file", compile.schedule_file,
                   "apply a saved schedule (schedules/README.md); refused when its stamps (graph, target, nnc and "
                   "Halide versions) do not match this build");
    app.add_option(
        "--save-schedule", compile.save_schedule,
        "save the autoscheduler's schedule (--scheduler Mullapudi2016, ...) as a stamped file for --schedule");

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

    CLI::App* ops = app.add_subcommand("ops", "print every layer and loss with its inputs and attributes (Markdown)");

    nnc::driver::TrainOptions train;
    CLI::App* tr = app.add_subcommand(
        "train",
        "train a model (.nn or .so) on Fashion-MNIST IDX files, a CSV file or .npy files, writing a run folder "
        "(Ctrl-C saves last.ckpt and exits with status 130; --resume continues)");
    tr->add_option("model", train.model, "the .nn file or compiled .so (not with --resume)");
    tr->add_option("--epochs", train.epochs, "epochs (default: the model's train section)");
    tr->add_option("--batch", train.batch, "batch size");
    tr->add_option("--lr", train.lr, "learning rate");
    tr->add_option("--optimizer", train.optimizer,
                   nnc::vocab::either(nnc::vocab::optimizer_names()) + " (torch's defaults)")
        ->check(CLI::IsMember(nnc::vocab::optimizer_names()));
    tr->add_option(
        "--schedule", train.lr_schedule,
        "lr schedule, as in the train section: constant, step(every=10, factor=0.5), multistep(milestones=[30, 60]), "
        "exponential(gamma=0.95), cosine(epochs=20, min_lr=1e-5), reduce_on_plateau(monitor=val_loss, factor=0.3, "
        "patience=3)");
    tr->add_option("--warmup", train.warmup, "linear warm-up over this many updates (0: none)");
    tr->add_option("--clip-norm", train.clip_norm, "clip the global gradient L2 norm to this (0: off)");
    tr->add_option("--clip-value", train.clip_value, "clamp every gradient to [-v, v] (0: off)");
    tr->add_option("--on-divergence", train.on_divergence,
                   "a NaN, infinite or exploding loss: stop (the default) or rollback(factor=0.3, retries=3) to the "
                   "start of the epoch with the lr cut by factor, as the train section's on_divergence");
    tr->add_option("--early-stopping-patience", train.early_stopping_patience,
                   "stop after this many epochs without improvement and keep the best weights");
    tr->add_option("--accumulate", train.accumulate, "batches whose gradients make one update");
    tr->add_option("--dropout", train.dropout,
                   "dropout rate in [0, 1) for every dropout layer (0: off), or name=rate pairs, comma-separated "
                   "(drop1=0.2,drop2=0.5); set at run time, no recompiling (default: the .nn file's rates)");
    tr->add_option(
        "--augment-crop", train.augment_crop,
        "augment image inputs [C, H, W]: shift each by up to this many pixels, zeros filling in (RandomCrop padding)");
    tr->add_flag("--augment-flip", train.augment_flip, "augment image inputs: mirror left-right with probability 1/2");
    tr->add_option("--threads", train.threads,
                   "threads for the training step and the parameter update (0: this machine's)");
    tr->add_option("--seed", train.seed, "seed for initialization and shuffling");
    tr->add_option("--validation", train.validation, "training samples held out for validation");
    tr->add_option("--limit", train.limit, "train on the first N training samples only");
    tr->add_option(
        "--data", train.data_dir,
        "the training data: a folder of IDX files (train-*, and t10k-* for the final test; default "
        "/usr/share/datasets/fashion-mnist), a .csv file (with --target) or a .npy file of inputs (with --target)");
    tr->add_option("--save", train.save, "write the trained parameters to this checkpoint");
    tr->add_option("--load", train.load, "start from this checkpoint instead of initializing");
    add_schedule_options(*tr, train.schedule);
    nnc::driver::add_train_data_options(*tr, train);
    tr->add_flag(
        "--sanity", train.sanity,
        "check before training, writing nothing: the initial loss against its expected value (ln C for C classes), "
        "then overfit the first --sanity-samples samples; exit status 0 on PASS, 1 on FAIL (--epochs, --batch, "
        "--validation, "
        "--schedule and the other training settings do not apply)");
    tr->add_option("--sanity-samples", train.sanity_samples, "samples --sanity overfits (default 64)");

    nnc::driver::EvalOptions eval;
    CLI::App* ev = nnc::driver::add_eval_command(app, eval);
    nnc::driver::PredictOptions predict;
    CLI::App* pr = nnc::driver::add_predict_command(app, predict);
    nnc::driver::LrFindOptions lr_find;
    CLI::App* lf = nnc::driver::add_lr_find_command(app, lr_find);
    nnc::driver::TuneOptions tune;
    CLI::App* tu = nnc::driver::add_tune_command(app, tune);

    nnc::driver::ReportOptions report;
    CLI::App* rp = app.add_subcommand("report",
                                      "draw a run folder's curves and diagnoses (and lr-find/tune results) as one "
                                      "HTML page with images: RUN_DIR/report/index.html (needs gnuplot)");
    rp->add_option("run", report.run_dir, "the run folder (nnc train --out, nnc lr-find --out, nnc tune --out)")
        ->required();
    rp->add_option("--format", report.format, "image format: png (default) or svg")
        ->check(CLI::IsMember({"png", "svg"}));
    rp->add_option("--out", report.out,
                   "the report folder to write (default RUN_DIR/report; replaced when it holds a report)");

    CLI11_PARSE(app, argc, argv);

    if (*check) return nnc::driver::run_check(check_path);
    if (*li) return nnc::driver::run_lint(lint);
    if (*ops) return nnc::driver::run_ops();
    if (*tr) return train.sanity ? nnc::driver::run_sanity(train) : nnc::driver::run_train(train);
    if (*ev) return nnc::driver::run_eval(eval);
    if (*pr) return nnc::driver::run_predict(predict);
    if (*lf) return nnc::driver::run_lr_find(lr_find);
    if (*tu) return nnc::driver::run_tune(tune);
    if (*rp) return nnc::driver::run_report(report);
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
