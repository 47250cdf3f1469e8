// nnc eval: the loss (per task) and accuracy of trained weights on a dataset (the model's
// standardization, from its checkpoint, applies as in training).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "runtime/cli/command_errors.h"
#include "runtime/cli/data_commands.h"
#include "runtime/cli/data_loading.h"
#include "runtime/cli/session.h"
#include "runtime/cli/trained_model.h"

namespace nnc::driver {

CLI::App* add_eval_command(CLI::App& app, EvalOptions& o) {
    CLI::App* ev = app.add_subcommand("eval", "loss (per task) and accuracy of trained weights on a dataset");
    ev->add_option("model", o.model,
                   "the .nn file or compiled .so (with --weights), a run folder of nnc train (its model, and best.ckpt "
                   "else last.ckpt) or a checkpoint in one")
        ->required();
    ev->add_option("--weights,--checkpoint", o.weights,
                   "the trained weights: a checkpoint (.ckpt) or a NumPy archive (.npz); with a run folder, overrides "
                   "its best.ckpt (a name such as last.ckpt is looked for in the folder)");
    add_data_options(*ev, o.data, DataUse::evaluation);
    ev->add_option("--batch", o.batch, "samples per forward pass (default 256)");
    return ev;
}

int run_eval(const EvalOptions& o, const ModelCompiler& compiler) {
    return run_reporting_errors("nnc eval", 1, [&] {
        if (o.batch <= 0) throw std::runtime_error("--batch must be positive");
        const TrainedModel trained = find_trained_model(o.model, o.weights);
        const auto opened = open_trained_model(trained, o.data, o.data.path, compiler);
        const Session& session = *opened;
        const LoadedModel& lib = session.lib();
        nnc_model* model = session.model();
        auto data = session.evaluation_data(o.data.path, session.data().targets, "--data", "--target");
        const int losses = lib.nnc_model_num_losses(model);
        std::vector<double> task(static_cast<size_t>(std::max(losses, 1)), NAN);
        double loss = NAN, accuracy = NAN;
        lib.check(lib.nnc_evaluate_tasks(model, data->ptr, o.batch, &loss, &accuracy, task.data()), "evaluating");
        std::printf("samples %lld  loss %.6f", (long long)data->size(), loss);
        if (!std::isnan(accuracy)) std::printf("  accuracy %.4f", accuracy);
        std::printf("\n");
        if (losses > 1) {
            size_t l = 0;
            for (const Session::Loss& info : session.losses())
                std::printf("  %s %.6f (weight %g)\n", info.name.c_str(), task[l++], info.weight);
        }
        if (lib.nnc_model_standardization(model) & 2) {
            std::printf(
                "  (losses of the standardized targets, as in training; nnc predict writes outputs in your units)\n");
        }
        return 0;
    });
}

}  // namespace nnc::driver
