// nnc predict: runs trained weights on inputs from a .npy or CSV file and writes every output, in
// the user's units (target standardization undone), to a .npy or CSV file — atomically, so a
// failure leaves no partial output.
#include <cstdio>
#include <vector>

#include "runtime/cli/command_errors.h"
#include "runtime/cli/data_commands.h"
#include "runtime/cli/data_loading.h"
#include "runtime/cli/session.h"

namespace nnc::driver {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

CLI::App* add_predict_command(CLI::App& app, PredictOptions& o) {
    CLI::App* pr = app.add_subcommand(
        "predict", "run trained weights on inputs (.npy or CSV) and write the outputs (.npy or CSV)");
    pr->add_option("model", o.model, "the .nn file or compiled .so")->required();
    pr->add_option("--weights,--checkpoint", o.weights,
                   "the trained weights: a checkpoint (.ckpt) or a NumPy archive (.npz)")
        ->required();
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
        if (!ends_with(o.output, ".npy") && !ends_with(o.output, ".csv")) {
            throw std::runtime_error("--output '" + o.output + "' must end in .npy or .csv");
        }
        if (o.batch <= 0) throw std::runtime_error("--batch must be positive");
        if (data_format(o.input) == DataFormat::idx) throw std::runtime_error("--input must be a .npy or .csv file");
        const Session session(o.model, compiler, o.data);
        session.load_weights(o.weights);
        const LoadedModel& lib = session.lib();
        nnc_model* model = session.model();
        auto data = session.inputs(o.input);
        const int64_t n = data->size();
        const int losses = lib.nnc_model_num_losses(model);

        // One block of columns per loss output, named after its target.
        std::vector<std::vector<float>> outputs(static_cast<size_t>(losses));
        std::vector<float*> pointers;
        std::vector<int64_t> widths;
        std::vector<std::string> names;
        for (int l = 0; l < losses; ++l) {
            const char* loss_name = nullptr;
            double weight = 0;
            int target = 0;
            int64_t width = 0;
            lib.check(lib.nnc_model_loss_info(model, l, &loss_name, &weight, &target, &width), "reading the outputs");
            const char* target_name = nullptr;
            nnc_target_kind kind{};
            int64_t size = 0, classes = 0;
            lib.check(lib.nnc_model_target_info(model, target, &target_name, &kind, &size, &classes),
                      "reading the targets");
            const std::string base = losses > 1 ? std::string(loss_name) : std::string(target_name);
            for (int64_t j = 0; j < width; ++j) {
                names.push_back(width == 1 ? base
                                           : base + (kind == NNC_TARGET_CLASSES ? "_p" : "_") + std::to_string(j));
            }
            outputs[static_cast<size_t>(l)].resize(static_cast<size_t>(n * width));
            pointers.push_back(outputs[static_cast<size_t>(l)].data());
            widths.push_back(width);
        }
        lib.check(lib.nnc_predict(model, data->ptr, o.batch, pointers.data()), "predicting");

        const int64_t cols = static_cast<int64_t>(names.size());
        std::vector<float> table(static_cast<size_t>(n * cols));
        for (int64_t i = 0; i < n; ++i) {
            int64_t c = 0;
            for (int l = 0; l < losses; ++l) {
                for (int64_t j = 0; j < widths[static_cast<size_t>(l)]; ++j)
                    table[i * cols + c++] = outputs[static_cast<size_t>(l)][i * widths[static_cast<size_t>(l)] + j];
            }
        }
        std::vector<const char*> c_names;
        for (const std::string& s : names) c_names.push_back(s.c_str());
        lib.check(lib.nnc_write_array(o.output.c_str(), table.data(), n, cols, c_names.data()), "writing " + o.output);
        std::fprintf(stderr, "wrote %lld predictions (%lld values each) to %s\n", (long long)n, (long long)cols,
                     o.output.c_str());
        return 0;
    });
}

}  // namespace nnc::driver
