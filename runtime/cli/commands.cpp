#include "runtime/cli/commands.h"

#include "runtime/cli/data_commands.h"
#include "runtime/cli/export_npz_command.h"
#include "runtime/cli/export_onnx_command.h"
#include "runtime/cli/report_command.h"
#include "runtime/cli/train_command.h"
#include "runtime/cli/tuning_commands.h"

namespace nnc::driver {

// The options each subcommand parses into (CLI11 keeps pointers to them) and the subcommands.
struct TrainingCommands::Commands {
    ModelCompiler compiler;
    TrainOptions train;
    EvalOptions eval;
    PredictOptions predict;
    ExportNpzOptions export_npz;
    ExportOnnxOptions export_onnx;
    LrFindOptions lr_find;
    TuneOptions tune;
    ReportOptions report;
    CLI::App *train_app = nullptr, *eval_app = nullptr, *predict_app = nullptr, *export_npz_app = nullptr,
             *export_onnx_app = nullptr, *lr_find_app = nullptr, *tune_app = nullptr, *report_app = nullptr;
};

TrainingCommands::TrainingCommands(CLI::App& app, ModelCompiler compiler) : commands_(std::make_unique<Commands>()) {
    Commands& c = *commands_;
    c.compiler = std::move(compiler);
    c.train_app = add_train_command(app, c.train, c.compiler.schedulers);
    c.eval_app = add_eval_command(app, c.eval);
    c.predict_app = add_predict_command(app, c.predict);
    c.export_npz_app = add_export_npz_command(app, c.export_npz);
    c.export_onnx_app = add_export_onnx_command(app, c.export_onnx);
    c.lr_find_app = add_lr_find_command(app, c.lr_find);
    c.tune_app = add_tune_command(app, c.tune);
    c.report_app = add_report_command(app, c.report);
}

TrainingCommands::~TrainingCommands() = default;

std::optional<int> TrainingCommands::run() const {
    const Commands& c = *commands_;
    if (*c.train_app) return c.train.sanity ? run_sanity(c.train, c.compiler) : run_train(c.train, c.compiler);
    if (*c.eval_app) return run_eval(c.eval, c.compiler);
    if (*c.predict_app) return run_predict(c.predict, c.compiler);
    if (*c.export_npz_app) return run_export_npz(c.export_npz, c.compiler);
    if (*c.export_onnx_app) return run_export_onnx(c.export_onnx, c.compiler);
    if (*c.lr_find_app) return run_lr_find(c.lr_find, c.compiler);
    if (*c.tune_app) return run_tune(c.tune, c.compiler);
    if (*c.report_app) return run_report(c.report);
    return std::nullopt;
}

}  // namespace nnc::driver
