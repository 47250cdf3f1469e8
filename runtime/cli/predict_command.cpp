// nnc predict: runs trained weights on inputs from a .npy or CSV file and writes every output, in
// the user's units (target standardization undone), to a .npy or CSV file — atomically, so a
// failure leaves no partial output.
#include <cstdio>
#include <vector>

#include "runtime/cli/command_errors.h"
#include "runtime/cli/counted.h"
#include "runtime/cli/data_commands.h"
#include "runtime/cli/data_loading.h"
#include "runtime/cli/session.h"
#include "runtime/cli/trained_model.h"

namespace nnc::driver {

CLI::App* add_predict_command(CLI::App& app, PredictOptions& o) {
    CLI::App* pr = app.add_subcommand(
        "predict", "run trained weights on inputs (.npy or CSV) and write the outputs (.npy or CSV)");
    pr->add_option("model", o.model,
                   "the .nn file or compiled .so (with --weights), a run folder of nnc train (its model, and best.ckpt "
                   "else last.ckpt) or a checkpoint in one")
        ->required();
    pr->add_option("--weights,--checkpoint", o.weights,
                   "the trained weights: a checkpoint (.ckpt) or a NumPy archive (.npz); with a run folder, overrides "
                   "its best.ckpt (a name such as last.ckpt is looked for in the folder)");
    pr->add_option("--input", o.input, "the inputs: a .npy array (N, ...) or a CSV file with a header row")->required();
    add_data_options(*pr, o.data, DataUse::prediction);
    pr->add_option("--output", o.output,
                   "where to write the outputs: .npy (N, outputs) or .csv (a header row, one line per sample)")
        ->required();
    pr->add_option("--batch", o.batch, "samples per forward pass (default 256)");
    return pr;
}

int run_predict(const PredictOptions& o, const ModelCompiler& compiler) {
    return run_reporting_errors("nnc predict", 1, [&] {
        if (!o.output.ends_with(".npy") && !o.output.ends_with(".csv")) {
            throw std::runtime_error("--output '" + o.output + "' must end in .npy or .csv");
        }
        if (o.batch <= 0) throw std::runtime_error("--batch must be positive");
        if (data_format(o.input) == DataFormat::idx) throw std::runtime_error("--input must be a .npy or .csv file");
        const TrainedModel trained = find_trained_model(o.model, o.weights);
        const auto opened = open_trained_model(trained, o.data, o.input, compiler);
        const Session& session = *opened;
        const LoadedModel& lib = session.lib();
        nnc_model* model = session.model();
        auto data = session.inputs(o.input);
        const int64_t n = data->size();
        const std::vector<Session::Loss> losses = session.losses();

        // One block of columns per loss output, named after its target.
        std::vector<std::vector<float>> outputs(losses.size());
        std::vector<float*> pointers;
        std::vector<std::string> names;
        for (size_t l = 0; l < losses.size(); ++l) {
            const Session::Loss& loss = losses[l];
            const std::string base = losses.size() > 1 ? loss.name : loss.target_name;
            for (int64_t j = 0; j < loss.output_size; ++j) {
                names.push_back(loss.output_size == 1
                                    ? base
                                    : base + (loss.kind == NNC_TARGET_CLASSES ? "_p" : "_") + std::to_string(j));
            }
            outputs[l].resize(static_cast<size_t>(n * loss.output_size));
            pointers.push_back(outputs[l].data());
        }
        lib.check(lib.nnc_predict(model, data->ptr, o.batch, pointers.data()), "predicting");

        const int64_t cols = static_cast<int64_t>(names.size());
        std::vector<float> table(static_cast<size_t>(n * cols));
        for (int64_t i = 0; i < n; ++i) {
            int64_t c = 0;
            for (size_t l = 0; l < losses.size(); ++l) {
                const int64_t width = losses[l].output_size;
                for (int64_t j = 0; j < width; ++j) table[i * cols + c++] = outputs[l][i * width + j];
            }
        }
        std::vector<const char*> c_names;
        for (const std::string& s : names) c_names.push_back(s.c_str());
        lib.check(lib.nnc_write_array(o.output.c_str(), table.data(), n, cols, c_names.data()), "writing " + o.output);
        std::fprintf(stderr, "wrote %s (%s each) to %s\n", counted(n, "prediction").c_str(),
                     counted(cols, "value").c_str(), o.output.c_str());
        return 0;
    });
}

}  // namespace nnc::driver
