// nnc export-onnx: opens the trained model as export-npz does, reads its graph, parameters and
// standardization through the C ABI, has the exporter (onnx/onnx_export.h) build and check the ONNX
// model, and writes it atomically: a failure leaves no file, partial or old.
#include "runtime/cli/export_onnx_command.h"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "runtime/cli/atomic_write.h"
#include "runtime/cli/command_errors.h"
#include "runtime/cli/onnx/onnx_export.h"
#include "runtime/cli/trained_model.h"

namespace nnc::driver {
namespace {

onnx_export::Standardization statistics(const LoadedModel& lib, nnc_model* model, int target) {
    int64_t columns = 0;
    const float *mean = nullptr, *scale = nullptr;
    lib.check(lib.nnc_model_standardization_stats(model, target, &columns, &mean, &scale),
              "reading the standardization statistics");
    onnx_export::Standardization z;
    if (columns > 0) {
        z.mean.assign(mean, mean + columns);
        z.scale.assign(scale, scale + columns);
    }
    return z;
}

// Everything the exporter needs, read through the C ABI.
onnx_export::Input export_input(const LoadedModel& lib, nnc_model* model) {
    onnx_export::Input in;
    const char* graph = nullptr;
    lib.check(lib.nnc_model_graph_json(model, &graph), "reading the model's graph");
    in.graph_json = graph;
    for (int p = 0; p < lib.nnc_model_num_params(model); ++p) {
        const char* name = nullptr;
        int rank = 0;
        const int64_t* dims = nullptr;
        lib.check(lib.nnc_model_param_info(model, p, &name, &rank, &dims), "reading parameter " + std::to_string(p));
        onnx_export::Tensor t;
        t.dims.assign(dims, dims + rank);
        int64_t count = 1;
        for (int64_t d : t.dims) count *= d;
        t.values.resize(static_cast<size_t>(count));
        lib.check(lib.nnc_model_get_param(model, p, t.values.data(), count), std::string("reading ") + name);
        in.params[name] = std::move(t);
    }
    in.inputs = statistics(lib, model, -1);
    for (int t = 0; t < lib.nnc_model_num_targets(model); ++t) in.targets.push_back(statistics(lib, model, t));
    return in;
}

}  // namespace

CLI::App* add_export_onnx_command(CLI::App& app, ExportOnnxOptions& o) {
    CLI::App* ex = app.add_subcommand(
        "export-onnx", "write trained weights and their model as an ONNX model (opset 17) for ONNX runtimes");
    ex->add_option("weights", o.subject,
                   "a run folder of nnc train (its best.ckpt, else last.ckpt), a checkpoint (.ckpt) in a run folder "
                   "or with --model, or a model (.nn or .so) with --weights")
        ->required();
    ex->add_option("-o,--output", o.output, "the .onnx file to write")->required();
    ex->add_option("--weights", o.weights,
                   "with a model: its weights (.ckpt or .npz); with a run folder: which of its checkpoints (e.g. "
                   "last.ckpt) instead of best.ckpt");
    ex->add_option("--model", o.model,
                   "the .nn file or compiled .so a checkpoint belongs to (default: its run folder's model)");
    return ex;
}

int run_export_onnx(const ExportOnnxOptions& o, const ModelCompiler& compiler) {
    return run_reporting_errors("nnc export-onnx", 1, [&] {
        if (!o.output.ends_with(".onnx")) throw std::runtime_error("-o '" + o.output + "' must end in .onnx");
        // Before a model is compiled or opened: a wrong -o costs nothing.
        const std::filesystem::path folder = std::filesystem::absolute(o.output).parent_path();
        if (std::error_code ec; !std::filesystem::is_directory(folder, ec))
            throw std::runtime_error("-o '" + o.output + "': the folder " + folder.string() +
                                     " does not exist; create it or write elsewhere");
        onnx_export::require_available();
        const TrainedModel trained = find_trained_model(o.subject, o.weights, o.model);
        const auto session = open_trained_model(trained, DataOptions{}, "", compiler);
        const LoadedModel& lib = session->lib();
        onnx_export::Input input = export_input(lib, session->model());
        input.producer_note = "weights " + trained.weights;
        onnx_export::Summary summary;
        const std::string bytes = onnx_export::export_model(input, &summary);
        write_atomically(o.output, bytes);
        std::string outputs;
        for (const std::string& name : summary.outputs) outputs += (outputs.empty() ? "" : ", ") + name;
        std::fprintf(stderr, "wrote %s: model '%s' (opset %d, %lld nodes), input '%s', output%s %s, weights from %s\n",
                     o.output.c_str(), session->name().c_str(), onnx_export::kOpset,
                     static_cast<long long>(summary.nodes), summary.input.c_str(),
                     summary.outputs.size() == 1 ? "" : "s", outputs.c_str(), trained.weights.c_str());
        if (lib.nnc_model_standardization(session->model()))
            std::fprintf(stderr,
                         "note: the model's standardization is part of the ONNX graph: it takes inputs and gives "
                         "outputs in your units, as nnc predict does\n");
        return 0;
    });
}

}  // namespace nnc::driver
