// The sample models themselves against PyTorch, whole: each samples/<name>.nn goes through the
// dsl front end, is lowered in Float(32) for training (batch statistics, dropout with nnc's own
// mask), for inference and for evaluation (running statistics, no dropout), scheduled with the
// templates as a build is and JIT-compiled; tests/torch/torch_graph.py rebuilds the same graph in
// torch (float64, from the same float32 values) in train and eval mode. Compared: the loss and
// every loss term, every prediction, every parameter gradient, the input gradient (float inputs),
// the new running statistics, what inference returns and the evaluation loss. Tolerance: 1e-4 of
// each tensor's largest reference magnitude, as in torch_layer_test.cpp (the per-layer cases).
// The worst error per tensor kind is printed for each model.
//
// Also: every samples/*.nn passes the front end and all three lowerings (no JIT).
#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "codegen/emit/graph_json.h"
#include "codegen/emit/host_target.h"
#include "codegen/layers/layer_registry.h"
#include "codegen/lower/estimates.h"
#include "codegen/lower/lowering.h"
#include "codegen/lower/model_params.h"
#include "codegen/lower/random.h"
#include "codegen/lower/staged_lowering.h"
#include "codegen/schedule/scheduler.h"
#include "dsl/frontend.h"

namespace nnc {
namespace {

namespace fs = std::filesystem;
using Halide::Buffer;

const fs::path kSamples = fs::path(NNC_SOURCE_DIR) / "samples";
const fs::path kScript = fs::path(NNC_SOURCE_DIR) / "tests" / "torch" / "torch_graph.py";
constexpr double kTolerance = 1e-4;
constexpr int kBatch = 5;
constexpr uint32_t kSeed = 20240611u;

// samples/<name>.nn through the front end; nullopt (and a failure naming the diagnostics) if it
// does not compile.
std::optional<dsl::CheckedModel> compile_sample(const fs::path& path) {
    dsl::Diagnostics diags;
    std::optional<dsl::CheckedModel> model;
    if (std::optional<dsl::SourceFile> source = dsl::read_source(path.string(), diags))
        model = dsl::compile_model(*source, codegen::layer_catalog(), diags);
    if (!model || diags.has_errors()) {
        ADD_FAILURE() << path << " does not compile:\n" << diags.render();
        return std::nullopt;
    }
    return model;
}

template <typename T>
void write(const fs::path& p, const T* data, size_t n) {
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * sizeof(T)));
}
template <typename T>
void write(const fs::path& p, const Buffer<T>& b) {
    write(p, b.data(), b.number_of_elements());
}

std::vector<double> read_doubles(const fs::path& p, size_t n) {
    std::vector<double> v(n);
    std::ifstream f(p, std::ios::binary);
    f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(double)));
    EXPECT_TRUE(f.good()) << "short read from " << p;
    return v;
}

// Halide dims of a per-sample shape (innermost first), with the batch outermost if batched.
std::vector<int> halide_dims(const dsl::Shape& s, bool batched) {
    std::vector<int> d(s.dims.rbegin(), s.dims.rend());
    if (batched) d.push_back(kBatch);
    return d;
}

// Schedules (templates, as a build does), JIT-compiles and runs a lowered pipeline; its outputs
// by Func name ("loss", "loss_0", "prediction_0", "grad__<p>", "state__<p>", "grad__input",
// "output", "output_1", ...).
std::map<std::string, Buffer<float>> realize(codegen::LoweredPipeline& lowered, const dsl::CheckedModel& model) {
    codegen::set_output_estimates(lowered, kBatch);
    Halide::Pipeline pipeline = lowered.pipeline();
    codegen::schedule_pipeline(pipeline, model, lowered.batch, *lowered.records, codegen::host_target(),
                               codegen::ScheduleOptions{});
    std::vector<Buffer<>> outs;
    for (const codegen::Tensor& t : lowered.outputs) {
        std::vector<int> d = halide_dims(t.shape, t.batched);
        outs.push_back(d.empty() ? Buffer<float>::make_scalar() : Buffer<float>(d));
    }
    pipeline.realize(Halide::Realization(outs), codegen::host_target());
    std::map<std::string, Buffer<float>> by_name;
    for (size_t i = 0; i < outs.size(); ++i) {
        const std::string name = lowered.outputs[i].func.name();
        by_name[name.substr(0, name.find('$'))] = Buffer<float>(outs[i]);
    }
    return by_name;
}

// A pipeline lowered as stages (codegen/lower/staged_lowering.h), scheduled and JIT-compiled stage by
// stage and run in order as the runtime runs a built library's stages: each stage's results are
// bound to later stages' arguments. `bind` binds the pipeline's own buffer arguments (input,
// targets, params) at the head of a stage's images. Returns every stage's outputs by Func name.
std::map<std::string, Buffer<float>> realize_staged(
    codegen::StagedPipeline& staged, const dsl::CheckedModel& model, uint32_t seed,
    const std::function<void(std::vector<std::optional<Halide::ImageParam>>&)>& bind) {
    std::vector<Buffer<float>> slots(staged.slots.size());
    std::map<std::string, Buffer<float>> by_name;
    for (codegen::LoweredStage& st : staged.stages) {
        bind(st.images);
        if (st.seed) st.seed->set(seed);
        for (size_t a = 0; a < st.images.size(); ++a) {
            const int slot = st.slots[a];
            if (slot >= staged.external_slots)
                st.images[a]->set(slots.at(static_cast<size_t>(slot - staged.external_slots)));
        }
        codegen::set_output_estimates(st.outputs, kBatch);
        // JIT infers a pipeline's arguments from what its Funcs read, and a stage may use the input
        // only for its batch extent (an AOT build names every argument): one read keeps it.
        Halide::ImageParam& input = *st.images.at(0);
        Halide::Func probe("input_probe");
        probe() = Halide::cast<float>(input(std::vector<Halide::Expr>(static_cast<size_t>(input.dimensions()), 0)));
        std::vector<Halide::Func> funcs{probe};
        for (const codegen::Tensor& t : st.outputs) funcs.push_back(t.func);
        Halide::Pipeline pipeline(funcs);
        codegen::schedule_pipeline(pipeline, model, st.batch, *st.records, codegen::host_target(),
                                   codegen::ScheduleOptions{});
        std::vector<Buffer<>> outs{Buffer<float>::make_scalar()};
        for (const codegen::Tensor& t : st.outputs) {
            std::vector<int> d = halide_dims(t.shape, t.batched);
            outs.push_back(d.empty() ? Buffer<float>::make_scalar() : Buffer<float>(d));
        }
        pipeline.realize(Halide::Realization(outs), codegen::host_target());
        outs.erase(outs.begin());
        for (size_t j = 0; j < outs.size(); ++j) {
            const int slot = st.slots[st.images.size() + j];
            if (slot >= staged.external_slots)
                slots.at(static_cast<size_t>(slot - staged.external_slots)) = Buffer<float>(outs[j]);
            const std::string name = st.outputs[j].func.name();
            by_name[name.substr(0, name.find('$'))] = Buffer<float>(outs[j]);
        }
    }
    return by_name;
}

// Small random values in a healthy range: weights ~ N(0, 1/fan_in) so activations neither vanish
// nor saturate through a deep stack (logits of O(1), informative gradients everywhere), batch
// norm scales near 1, positive running variances.
Buffer<float> random_param(const codegen::ModelParam& p, const dsl::CheckedModel& model, std::mt19937& rng) {
    std::normal_distribution<float> normal(0.f, 1.f);
    std::uniform_real_distribution<float> unit(0.f, 1.f);
    Buffer<float> b(halide_dims(p.spec.shape, false));
    const std::string& name = p.spec.name;
    const bool bn = model.node(p.node).op == "batchnorm";
    if (name == "running_var")
        b.for_each_value([&](float& v) { v = 0.5f + unit(rng); });
    else if (bn && name == "weight")
        b.for_each_value([&](float& v) { v = 1.f + 0.2f * normal(rng); });
    else if (p.spec.shape.dims.size() >= 2 && p.spec.fan_in > 0) {
        const float sd = 1.f / std::sqrt(static_cast<float>(p.spec.fan_in));
        b.for_each_value([&](float& v) { v = sd * normal(rng); });
    } else
        b.for_each_value([&](float& v) { v = 0.2f * normal(rng); });
    return b;
}

// nnc's keep mask of a dropout node in one training step, N x the node's shape row-major, from
// the very hash the layer uses (codegen/lower/random.h): 1 where kept.
std::vector<float> dropout_mask(const dsl::Node& node, uint32_t seed) {
    size_t n = kBatch;
    for (int64_t d : node.shape.dims) n *= static_cast<size_t>(d);
    Halide::Var i("i");
    Halide::Func keep("keep_" + std::to_string(codegen::rng::salt_of(node.name)));
    const Halide::Expr u = codegen::rng::uniform(Halide::Float(32), Halide::Expr(seed),
                                                 codegen::rng::salt_of(node.name), Halide::cast(Halide::UInt(32), i));
    keep(i) =
        Halide::select(u >= Halide::cast(Halide::Float(32), Halide::Expr(node.attrs.get_float("rate"))), 1.f, 0.f);
    Buffer<float> m = keep.realize({static_cast<int>(n)}, codegen::host_target());
    return std::vector<float>(m.data(), m.data() + n);
}

// The worst relative error per tensor kind ("loss", "gradient", ...), for the summary line.
using Worst = std::map<std::string, double>;

double relative_error(const Buffer<float>& a, const std::vector<double>& ref) {
    double diff = 0, scale = 1e-12;
    for (size_t i = 0; i < ref.size(); ++i) {
        diff = std::max(diff, std::abs(double(a.data()[i]) - ref[i]));
        scale = std::max(scale, std::abs(ref[i]));
    }
    return diff / scale;
}

void check(Worst& worst, const std::string& kind, const std::string& what, const Buffer<float>& nnc,
           const fs::path& file) {
    if (!fs::exists(file)) {
        ADD_FAILURE() << file << " missing: torch wrote no " << what;
        return;
    }
    const double err = relative_error(nnc, read_doubles(file, nnc.number_of_elements()));
    EXPECT_LT(err, kTolerance) << what;
    worst[kind] = std::max(worst[kind], err);
}

const Buffer<float>& output(const std::map<std::string, Buffer<float>>& outs, const std::string& name) {
    auto it = outs.find(name);
    if (it == outs.end()) throw std::runtime_error("the pipeline has no output '" + name + "'");
    return it->second;
}

// The whole comparison for one sample; `staged`: its pipelines as a build of a large model
// makes them (stages of kDefaultLayersPerStage layers), else one pipeline each.
void expect_sample_matches_torch(const std::string& sample, bool staged = false) {
    if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3 (install python3-torch)";
    std::optional<dsl::CheckedModel> compiled = compile_sample(kSamples / (sample + ".nn"));
    ASSERT_TRUE(compiled);
    const dsl::CheckedModel& model = *compiled;
    const fs::path root = fs::temp_directory_path() / ("nnc-torch-model-" + sample + "-" + std::to_string(getpid()));
    const fs::path train_dir = root / "train", eval_dir = root / "eval";
    fs::remove_all(root);
    fs::create_directories(train_dir);
    fs::create_directories(eval_dir);

    // Random inputs, targets and parameters.
    std::mt19937 rng(kSeed);
    std::normal_distribution<float> normal(0.f, 1.f);
    std::uniform_real_distribution<float> unit(0.f, 1.f);
    const dsl::Node& in = model.node(model.inputs.at(0));
    const bool int_input = in.dtype == dsl::DType::Int32;
    Buffer<float> x_float;
    Buffer<int32_t> x_int;
    if (int_input) {
        int64_t vocab = 0;  // ids in [0, vocab) of the embedding that reads them
        for (const dsl::Node& n : model.nodes)
            if (n.op == "embedding" && n.inputs.at(0) == in.id) vocab = n.attrs.get_int("vocab");
        ASSERT_GT(vocab, 0) << "no embedding reads the int32 input";
        x_int = Buffer<int32_t>(halide_dims(in.shape, true));
        x_int.for_each_value([&](int32_t& v) { v = static_cast<int32_t>(rng() % static_cast<uint32_t>(vocab)); });
    } else {
        x_float = Buffer<float>(halide_dims(in.shape, true));
        x_float.for_each_value([&](float& v) { v = normal(rng); });
    }
    std::vector<Buffer<float>> t_real(model.targets.size());
    std::vector<Buffer<int32_t>> t_classes(model.targets.size());
    for (size_t k = 0; k < model.targets.size(); ++k) {
        const dsl::Node& t = model.node(model.targets[k]);
        if (t.target_kind == dsl::TargetKind::Classes) {
            t_classes[k] = Buffer<int32_t>(kBatch);
            t_classes[k].for_each_value(
                [&](int32_t& v) { v = static_cast<int32_t>(rng() % static_cast<uint32_t>(t.num_classes)); });
        } else {
            t_real[k] = Buffer<float>(halide_dims(t.shape, true));
            t_real[k].for_each_value([&](float& v) { v = unit(rng); });
        }
    }
    const std::vector<codegen::ModelParam> params = codegen::collect_params(model, codegen::layer_catalog());
    std::vector<Buffer<float>> values;
    for (const codegen::ModelParam& p : params) values.push_back(random_param(p, model, rng));

    auto bind = [&](codegen::LoweredPipeline& l) {
        if (int_input)
            l.input.set(x_int);
        else
            l.input.set(x_float);
        for (size_t i = 0; i < values.size(); ++i) l.params[i].set(values[i]);
        for (size_t k = 0; k < l.targets.size(); ++k) {
            if (t_classes[k].defined())
                l.targets[k].set(t_classes[k]);
            else
                l.targets[k].set(t_real[k]);
        }
    };

    // The head of a stage's arguments: input, targets (not in forward), params.
    auto bind_images = [&](std::vector<std::optional<Halide::ImageParam>>& im, bool with_targets) {
        size_t a = 0;
        if (int_input)
            im.at(a++)->set(x_int);
        else
            im.at(a++)->set(x_float);
        for (size_t k = 0; with_targets && k < model.targets.size(); ++k, ++a) {
            if (t_classes[k].defined())
                im.at(a)->set(t_classes[k]);
            else
                im.at(a)->set(t_real[k]);
        }
        for (size_t i = 0; i < values.size(); ++i, ++a) im.at(a)->set(values[i]);
    };
    if (staged) {
        ASSERT_GT(codegen::segment_count(model, codegen::kDefaultLayersPerStage), 1) << sample << " is not staged";
    }
    auto run_staged = [&](codegen::StageMode mode) {
        codegen::StagedPipeline p =
            codegen::lower_staged(model, mode, Halide::Float(32), kBatch, codegen::kDefaultLayersPerStage);
        return realize_staged(p, model, kSeed, [&](auto& im) { bind_images(im, mode != codegen::StageMode::Forward); });
    };

    // nnc: one training pipeline (the slow JIT), then inference and evaluation in eval mode.
    std::map<std::string, Buffer<float>> train, infer, eval;
    using Clock = std::chrono::steady_clock;
    auto seconds_since = [](Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); };
    Clock::time_point t0 = Clock::now();
    double train_s = 0, infer_s = 0, eval_s = 0;
    if (staged) {
        train = run_staged(codegen::StageMode::Train);
    } else {
        codegen::LoweredPipeline l = codegen::lower_training(model, Halide::Float(32), kBatch, !int_input);
        bind(l);
        if (l.has_seed) l.seed.set(kSeed);
        train = realize(l, model);
    }
    train_s = seconds_since(t0);
    t0 = Clock::now();
    if (staged) {
        infer = run_staged(codegen::StageMode::Forward);
    } else {
        codegen::LoweredPipeline l = codegen::lower_inference(model, Halide::Float(32), kBatch);
        bind(l);
        infer = realize(l, model);
    }
    infer_s = seconds_since(t0);
    t0 = Clock::now();
    if (staged) {
        eval = run_staged(codegen::StageMode::Evaluate);
    } else {
        codegen::LoweredPipeline l = codegen::lower_evaluation(model, Halide::Float(32), kBatch);
        bind(l);
        eval = realize(l, model);
    }
    eval_s = seconds_since(t0);

    // torch: the same graph and values, once per mode.
    const std::string graph = codegen::graph_to_json(model);
    for (const fs::path& dir : {train_dir, eval_dir}) {
        std::ofstream(dir / "graph.json") << graph;
        std::ofstream(dir / "batch.txt") << kBatch;
        std::ofstream(dir / "mode.txt") << (dir == train_dir ? "train" : "eval");
        if (int_input)
            write(dir / "input.bin", x_int);
        else
            write(dir / "input.bin", x_float);
        for (size_t k = 0; k < model.targets.size(); ++k) {
            const fs::path file =
                dir / (model.targets.size() == 1 ? "target.bin" : "target_" + std::to_string(k) + ".bin");
            if (t_classes[k].defined())
                write(file, t_classes[k]);
            else
                write(file, t_real[k]);
        }
        for (size_t i = 0; i < values.size(); ++i) write(dir / ("param_" + std::to_string(i) + ".bin"), values[i]);
    }
    size_t dropouts = 0;
    for (const dsl::Node& n : model.nodes) {
        if (n.op != "dropout" || n.attrs.get_float("rate") == 0.0) continue;
        const std::vector<float> mask = dropout_mask(n, kSeed);
        write(train_dir / ("mask_" + n.name + ".bin"), mask.data(), mask.size());
        ++dropouts;
    }
    const std::string cmd = "/usr/bin/python3 " + kScript.string() + " " + (train_dir / "graph.json").string() + " " +
                            train_dir.string() + " " + (eval_dir / "graph.json").string() + " " + eval_dir.string() +
                            " 2>" + (root / "stderr.txt").string();
    if (std::system(cmd.c_str()) != 0) {
        std::ifstream err(root / "stderr.txt");
        FAIL() << cmd << "\n" << std::string(std::istreambuf_iterator<char>(err), {});
    }

    Worst worst;
    check(worst, "loss", "training loss", output(train, "loss"), train_dir / "loss.bin");
    for (size_t l = 0; l < model.losses.size(); ++l) {
        const std::string k = std::to_string(l);
        const std::string loss_name = model.node(model.losses[l]).name;
        check(worst, "loss", "training loss term " + loss_name, output(train, "loss_" + k),
              train_dir / ("loss_" + k + ".bin"));
        check(worst, "prediction", "training prediction of " + loss_name, output(train, "prediction_" + k),
              train_dir / ("prediction_" + k + ".bin"));
        const std::string out = l == 0 ? "output" : "output_" + k;
        check(worst, "inference", "inference output of " + loss_name, output(infer, out),
              eval_dir / ("output_" + k + ".bin"));
        check(worst, "inference", "evaluation output of " + loss_name, output(eval, out),
              eval_dir / ("output_" + k + ".bin"));
        check(worst, "eval loss", "evaluation loss term " + loss_name, output(eval, "loss_" + k),
              eval_dir / ("loss_" + k + ".bin"));
    }
    check(worst, "eval loss", "evaluation loss", output(eval, "loss"), eval_dir / "loss.bin");
    size_t grads = 0, states = 0;
    for (size_t i = 0; i < params.size(); ++i) {
        const codegen::ModelParam& p = params[i];
        const bool trainable = p.spec.trainable;
        check(worst, trainable ? "gradient" : "state", (trainable ? "gradient of " : "new ") + p.full_name,
              output(train, (trainable ? "grad__" : "state__") + p.func_name),
              train_dir / ((trainable ? "grad_" : "state_") + std::to_string(i) + ".bin"));
        ++(trainable ? grads : states);
    }
    // Stages never compute the input's gradient (a build does not need it).
    if (!int_input && !staged)
        check(worst, "input gradient", "input gradient", output(train, "grad__input"), train_dir / "grad_input.bin");

    std::printf(
        "%s%s: batch %d, %zu losses, %zu gradients, %zu states, %zu dropout masks; JIT and run: training "
        "%.1f s, inference %.1f s, evaluation %.1f s; worst relative error:\n",
        sample.c_str(), staged ? " (staged)" : "", kBatch, model.losses.size(), grads, states, dropouts, train_s,
        infer_s, eval_s);
    double all = 0;
    for (const auto& [kind, err] : worst) {
        std::printf("  %-15s %.2e\n", kind.c_str(), err);
        all = std::max(all, err);
    }
    std::printf("  %-15s %.2e\n", "overall", all);
    if (!::testing::Test::HasFailure()) fs::remove_all(root);
}

TEST(TorchModel, FashionMlp) { expect_sample_matches_torch("fashion_mlp"); }
TEST(TorchModel, FashionCnn) { expect_sample_matches_torch("fashion_cnn"); }
// The two largest samples as builds make them: stages (codegen/lower/staged_lowering.h).
TEST(TorchModel, Resnet8) { expect_sample_matches_torch("resnet8", /*staged=*/true); }
TEST(TorchModel, InceptionMini) { expect_sample_matches_torch("inception_mini", /*staged=*/true); }
TEST(TorchModel, LstmClassifier) { expect_sample_matches_torch("lstm_classifier"); }
TEST(TorchModel, Multitask) { expect_sample_matches_torch("multitask"); }
TEST(TorchModel, DropoutRegression) { expect_sample_matches_torch("dropout_regression"); }

// Every sample compiles through the front end and lowers for training, inference and evaluation
// (no JIT: cheap), with the outputs each pipeline promises.
TEST(TorchModel, EverySampleLowers) {
    size_t count = 0;
    for (const fs::directory_entry& e : fs::directory_iterator(kSamples)) {
        if (e.path().extension() != ".nn") continue;
        ++count;
        SCOPED_TRACE(e.path().filename().string());
        std::optional<dsl::CheckedModel> model = compile_sample(e.path());
        if (!model) continue;
        const size_t losses = model->losses.size(),
                     params = codegen::collect_params(*model, codegen::layer_catalog()).size();
        EXPECT_GE(losses, 1u);
        try {
            // train_step: loss, losses[L], predictions[L], grads and new states (one per param).
            EXPECT_EQ(codegen::lower_training(*model, Halide::Float(32), kBatch).outputs.size(),
                      1 + 2 * losses + params);
            EXPECT_EQ(codegen::lower_inference(*model, Halide::Float(32), kBatch).outputs.size(), losses);
            EXPECT_EQ(codegen::lower_evaluation(*model, Halide::Float(32), kBatch).outputs.size(), 1 + 2 * losses);
        } catch (const std::exception& ex) {
            ADD_FAILURE() << "lowering failed: " << ex.what();
        }
    }
    EXPECT_GE(count, 7u) << "samples/*.nn went missing";
}

}  // namespace
}  // namespace nnc
