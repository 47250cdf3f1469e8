// nnc export-npz: loads the weights into their model and writes the model's parameters with
// nnc_model_export_npz, which writes atomically: a failure leaves no file, partial or old.
#include "runtime/cli/export_npz_command.h"

#include <cstdio>
#include <stdexcept>

#include "runtime/cli/command_errors.h"
#include "runtime/cli/trained_model.h"

namespace nnc::driver {

CLI::App* add_export_npz_command(CLI::App& app, ExportNpzOptions& o) {
    CLI::App* ex = app.add_subcommand(
        "export-npz", "write trained weights as a NumPy .npz archive, one float32 array per parameter ('fc1.weight')");
    ex->add_option("weights", o.subject,
                   "a run folder of nnc train (its best.ckpt, else last.ckpt) or a checkpoint (.ckpt): in a run "
                   "folder, or with --model")
        ->required();
    ex->add_option("-o,--output", o.output, "the .npz file to write")->required();
    ex->add_option("--weights", o.weights,
                   "with a run folder: which of its checkpoints (e.g. last.ckpt) instead of best.ckpt");
    ex->add_option("--model", o.model,
                   "the .nn file or compiled .so the checkpoint belongs to (default: its run folder's model)");
    return ex;
}

int run_export_npz(const ExportNpzOptions& o, const ModelCompiler& compiler) {
    return run_reporting_errors("nnc export-npz", 1, [&] {
        if (!o.output.ends_with(".npz")) throw std::runtime_error("-o '" + o.output + "' must end in .npz");
        if (o.subject.ends_with(".so") || o.subject.ends_with(".nn"))
            throw std::runtime_error("'" + o.subject +
                                     "' is a model; pass its weights (a run folder or a .ckpt) and the model with "
                                     "--model " +
                                     o.subject);
        const TrainedModel trained = find_trained_model(o.subject, o.weights, o.model);
        const auto session = open_trained_model(trained, DataOptions{}, "", compiler);
        const LoadedModel& lib = session->lib();
        lib.check(lib.nnc_model_export_npz(session->model(), o.output.c_str()), "writing " + o.output);
        std::fprintf(stderr, "wrote %s: every parameter of model '%s', from %s\n", o.output.c_str(),
                     session->name().c_str(), trained.weights.c_str());
        // The standardization statistics live in checkpoints, not among the parameters.
        const int z = lib.nnc_model_standardization(session->model());
        if (z)
            std::fprintf(stderr,
                         "note: the model standardizes its %s with statistics the checkpoint holds and %s does not; "
                         "predictions from the .npz alone take standardized inputs and give standardized outputs\n",
                         z == 1   ? "inputs"
                         : z == 2 ? "regression targets"
                                  : "inputs and regression targets",
                         o.output.c_str());
        return 0;
    });
}

}  // namespace nnc::driver
