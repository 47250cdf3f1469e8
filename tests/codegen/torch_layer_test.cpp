// Every layer against PyTorch, one small graph per case: the training pipeline (lowered in
// Float(32), scheduled with the templates as a build is, JIT-compiled) gives the loss, the
// prediction, every parameter gradient, the input gradient and the new state values; the
// inference pipeline gives what inference returns. tests/torch/torch_graph.py rebuilds the
// same graph in torch (float64, from the same float32 values) from its graph JSON, once per
// test for all of its cases. Tolerance: 1e-4 of each tensor's largest reference magnitude
// (max |nnc - torch| / max |torch|), which bounds nnc's own float32 error.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "codegen/emit/graph_json.h"
#include "codegen/emit/host_target.h"
#include "codegen/lower/estimates.h"
#include "codegen/lower/lowering.h"
#include "codegen/lower/model_params.h"
#include "codegen/schedule/scheduler.h"
#include "tests/codegen/graph_builder.h"

namespace nnc {
namespace {

namespace fs = std::filesystem;
using Halide::Buffer;
using test::GraphBuilder;

const fs::path kScript = fs::path(NNC_SOURCE_DIR) / "tests" / "torch" / "torch_graph.py";
constexpr double kTolerance = 1e-4;

// Ops covered by some test below, each registered next to its test with TORCH_COVERS;
// CoversEveryRegisteredLayer compares them with the catalog.
std::set<std::string>& covered() {
    static std::set<std::string> ops;
    return ops;
}
struct Covers {
    Covers(std::initializer_list<const char*> ops) {
        for (const char* op : ops) covered().insert(op);
    }
};
#define TORCH_COVERS_CAT2(a, b) a##b
#define TORCH_COVERS_CAT(a, b) TORCH_COVERS_CAT2(a, b)
#define TORCH_COVERS(...) \
    static Covers TORCH_COVERS_CAT(torch_covers_, __LINE__) { __VA_ARGS__ }

struct Case {
    std::string name;  // a folder name: letters, digits, '_'
    dsl::CheckedModel model;
    int batch = 3;
    int token_range = 0;  // an int32 input: token ids in [0, token_range)
    std::string dropout;  // a dropout node that is the first loss's prediction: its mask comes
                          // from nnc's output (kept where nonzero)
};

Case make_case(const std::string& name, const GraphBuilder& b, int batch = 3) {
    Case c;
    c.name = name;
    c.model = b.model();
    c.batch = batch;
    return c;
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
std::vector<int> halide_dims(const dsl::Shape& s, bool batched, int batch) {
    std::vector<int> d(s.dims.rbegin(), s.dims.rend());
    if (batched) d.push_back(batch);
    return d;
}

Buffer<float> buffer_for(const codegen::Tensor& t, int batch) {
    std::vector<int> d = halide_dims(t.shape, t.batched, batch);
    return d.empty() ? Buffer<float>::make_scalar() : Buffer<float>(d);
}

// What nnc computed for one case, by output Func name, and where torch's answers go.
struct Ran {
    Case c;
    fs::path train_dir, eval_dir;
    std::vector<codegen::ModelParam> params;
    std::map<std::string, Buffer<float>> train;  // "loss", "prediction_0", "grad__<p>", "state__<p>", "grad__input"
    Buffer<float> output;                        // inference
};

const Buffer<float>& prediction_of(const Ran& r) {
    // "prediction_0" since the training pipeline has one prediction per loss; "prediction" before.
    auto it = r.train.find("prediction_0");
    return it != r.train.end() ? it->second : r.train.at("prediction");
}

// Schedules (templates, as a build does) and runs a lowered pipeline.
std::map<std::string, Buffer<float>> realize(codegen::LoweredPipeline& lowered, const dsl::CheckedModel& model,
                                             int batch) {
    codegen::set_output_estimates(lowered, batch);
    Halide::Pipeline pipeline = lowered.pipeline();
    codegen::schedule_pipeline(pipeline, model, lowered.batch, *lowered.records, codegen::host_target(),
                               codegen::ScheduleOptions{});
    std::vector<Buffer<>> outs;
    for (const codegen::Tensor& t : lowered.outputs) outs.push_back(buffer_for(t, batch));
    pipeline.realize(Halide::Realization(outs), codegen::host_target());
    std::map<std::string, Buffer<float>> by_name;
    // Halide makes a reused Func name unique with a "$N" suffix: the second case's "loss" is "loss$1".
    for (size_t i = 0; i < outs.size(); ++i) {
        const std::string name = lowered.outputs[i].func.name();
        by_name[name.substr(0, name.find('$'))] = Buffer<float>(outs[i]);
    }
    return by_name;
}

// The training pipeline's step seed for a case's seed (torch_graph.py reads it for attention dropout).
uint32_t train_seed(uint32_t seed) { return seed * 2654435761u + 17; }

Ran run_nnc(const Case& c, const fs::path& root, uint32_t seed) {
    Ran r;
    r.c = c;
    r.train_dir = root / (c.name + "_train");
    r.eval_dir = root / (c.name + "_eval");
    fs::create_directories(r.train_dir);
    fs::create_directories(r.eval_dir);
    const dsl::CheckedModel& model = c.model;
    r.params = codegen::collect_params(model, codegen::layer_catalog());
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.f, 1.f);
    std::uniform_real_distribution<float> unit(0.f, 1.f);

    const dsl::Node& in = model.node(model.inputs.at(0));
    const bool int_input = in.dtype == dsl::DType::Int32;
    Buffer<float> x_float;
    Buffer<int32_t> x_int;
    if (int_input) {
        x_int = Buffer<int32_t>(halide_dims(in.shape, true, c.batch));
        x_int.for_each_value(
            [&](int32_t& v) { v = static_cast<int32_t>(rng() % static_cast<uint32_t>(c.token_range)); });
    } else {
        x_float = Buffer<float>(halide_dims(in.shape, true, c.batch));
        x_float.for_each_value([&](float& v) { v = normal(rng); });
    }
    const dsl::Node& t = model.node(model.targets.at(0));
    Buffer<float> t_real;
    Buffer<int32_t> t_classes;
    if (t.target_kind == dsl::TargetKind::Classes) {
        t_classes = Buffer<int32_t>(halide_dims(t.shape, true, c.batch));  // per sample, or per position
        t_classes.for_each_value(
            [&](int32_t& v) { v = static_cast<int32_t>(rng() % static_cast<uint32_t>(t.num_classes)); });
    } else {
        t_real = Buffer<float>(halide_dims(t.shape, true, c.batch));
        t_real.for_each_value([&](float& v) { v = unit(rng); });  // in [0, 1]: valid for binary cross-entropy too
    }
    std::vector<Buffer<float>> values;
    for (const codegen::ModelParam& p : r.params) {
        Buffer<float> b(halide_dims(p.spec.shape, false, 0));
        if (p.spec.name == "running_var")
            b.for_each_value([&](float& v) { v = 0.5f + unit(rng); });
        else
            b.for_each_value([&](float& v) { v = 0.5f * normal(rng); });
        values.push_back(b);
    }

    auto bind = [&](codegen::LoweredPipeline& l) {
        if (int_input)
            l.input.set(x_int);
        else
            l.input.set(x_float);
        for (size_t i = 0; i < values.size(); ++i) l.params[i].set(values[i]);
    };
    {
        codegen::LoweredPipeline l = codegen::lower_training(model, Halide::Float(32), c.batch, !int_input);
        bind(l);
        if (t.target_kind == dsl::TargetKind::Classes)
            l.targets.at(0).set(t_classes);
        else
            l.targets.at(0).set(t_real);
        if (l.has_seed) l.seed.set(train_seed(seed));
        r.train = realize(l, model, c.batch);
    }
    {
        codegen::LoweredPipeline l = codegen::lower_inference(model, Halide::Float(32), c.batch);
        bind(l);
        r.output = realize(l, model, c.batch).at("output");
    }

    const std::string graph = codegen::graph_to_json(model);
    for (const fs::path& dir : {r.train_dir, r.eval_dir}) {
        std::ofstream(dir / "graph.json") << graph;
        std::ofstream(dir / "batch.txt") << c.batch;
        std::ofstream(dir / "mode.txt") << (dir == r.train_dir ? "train" : "eval");
        if (int_input)
            write(dir / "input.bin", x_int);
        else
            write(dir / "input.bin", x_float);
        if (t.target_kind == dsl::TargetKind::Classes)
            write(dir / "target.bin", t_classes);
        else
            write(dir / "target.bin", t_real);
        for (size_t i = 0; i < values.size(); ++i) write(dir / ("param_" + std::to_string(i) + ".bin"), values[i]);
    }
    std::ofstream(r.train_dir / "seed.txt") << train_seed(seed);
    if (!c.dropout.empty()) {
        // nnc's kept elements: the prediction is the dropout's output, nonzero where kept (its
        // input is nonzero with probability 1).
        const Buffer<float>& y = prediction_of(r);
        std::vector<float> mask(y.number_of_elements());
        for (size_t i = 0; i < mask.size(); ++i) mask[i] = y.data()[i] != 0.f ? 1.f : 0.f;
        write(r.train_dir / ("mask_" + c.dropout + ".bin"), mask.data(), mask.size());
    }
    return r;
}

double relative_error(const Buffer<float>& a, const std::vector<double>& ref) {
    double diff = 0, scale = 1e-12;
    for (size_t i = 0; i < ref.size(); ++i) {
        diff = std::max(diff, std::abs(double(a.data()[i]) - ref[i]));
        scale = std::max(scale, std::abs(ref[i]));
    }
    return diff / scale;
}

// Compares one case with torch's files; returns the worst relative error over everything.
double compare(const Ran& r) {
    SCOPED_TRACE("case " + r.c.name);
    double worst = 0;
    auto check = [&](const std::string& what, const Buffer<float>& nnc, const fs::path& file) {
        ASSERT_TRUE(fs::exists(file)) << file << " missing: torch wrote no " << what;
        const double err = relative_error(nnc, read_doubles(file, nnc.number_of_elements()));
        EXPECT_LT(err, kTolerance) << what;
        worst = std::max(worst, err);
    };
    check("loss", r.train.at("loss"), r.train_dir / "loss.bin");
    check("prediction", prediction_of(r), r.train_dir / "prediction.bin");
    size_t grads = 0, states = 0;
    for (size_t i = 0; i < r.params.size(); ++i) {
        const codegen::ModelParam& p = r.params[i];
        const std::string key = (p.spec.trainable ? "grad__" : "state__") + p.func_name;
        if (!r.train.count(key)) {
            ADD_FAILURE() << "no training output " << key;
            continue;
        }
        check(p.spec.trainable ? "gradient of " + p.full_name : "new " + p.full_name, r.train.at(key),
              r.train_dir / ((p.spec.trainable ? "grad_" : "state_") + std::to_string(i) + ".bin"));
        ++(p.spec.trainable ? grads : states);
    }
    if (r.train.count("grad__input"))
        check("input gradient", r.train.at("grad__input"), r.train_dir / "grad_input.bin");
    check("inference output", r.output, r.eval_dir / "output.bin");
    std::printf("  %-34s %zu grads, %zu states: worst relative error %.2e\n", r.c.name.c_str(), grads, states, worst);
    return worst;
}

// Runs every case through nnc, then torch once for all of them, and compares. `ran` receives
// nnc's results for further checks.
void expect_matches_torch(const std::string& op, const std::vector<Case>& cases, std::vector<Ran>* ran = nullptr) {
    if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3 (install python3-torch)";
    const fs::path root = fs::temp_directory_path() / ("nnc-torch-layer-" + op + "-" + std::to_string(getpid()));
    fs::remove_all(root);
    std::vector<Ran> runs;
    std::string cmd = "/usr/bin/python3 " + kScript.string();
    uint32_t seed = 11;
    for (const Case& c : cases) {
        runs.push_back(run_nnc(c, root, seed++));
        for (const fs::path& dir : {runs.back().train_dir, runs.back().eval_dir})
            cmd += " " + (dir / "graph.json").string() + " " + dir.string();
    }
    cmd += " 2>" + (root / "stderr.txt").string();
    if (std::system(cmd.c_str()) != 0) {
        std::ifstream err(root / "stderr.txt");
        FAIL() << cmd << "\n" << std::string(std::istreambuf_iterator<char>(err), {});
    }
    double worst = 0;
    for (const Ran& r : runs) worst = std::max(worst, compare(r));
    std::printf("%s: %zu cases, worst relative error %.2e\n", op.c_str(), cases.size(), worst);
    if (!::testing::Test::HasFailure()) fs::remove_all(root);
    if (ran) *ran = std::move(runs);
}

using Attrs = std::map<std::string, dsl::AttrValue>;
dsl::AttrValue I(int64_t v) { return v; }
dsl::AttrValue D(double v) { return v; }
dsl::AttrValue S(const char* v) { return std::string(v); }

// input [dims] -> op(attrs) -> mse against a real target of the op's shape.
Case single(const std::string& name, const std::string& op, std::vector<int64_t> dims, Attrs attrs = {},
            int batch = 3) {
    GraphBuilder b;
    int x = b.input("x", std::move(dims));
    int y = b.layer("y", op, {x}, std::move(attrs));
    int t = b.real_target("t", b.model().node(y).shape.dims);
    b.layer("loss", "mse", {y, t});
    return make_case(name, b, batch);
}

// input [dims] -> dense(units) -> op(attrs) -> mse: the op's gradient also reaches a parameter.
Case after_dense(const std::string& name, const std::string& op, int64_t in, int64_t units, Attrs attrs = {},
                 int batch = 3, bool dense_bias = true) {
    GraphBuilder b;
    int x = b.input("x", {in});
    int h = b.layer("h", "dense", {x}, {{"units", I(units)}, {"bias", dense_bias}});
    int y = b.layer("y", op, {h}, std::move(attrs));
    int t = b.real_target("t", b.model().node(y).shape.dims);
    b.layer("loss", "mse", {y, t});
    return make_case(name, b, batch);
}

TORCH_COVERS("dense");
TEST(TorchLayer, Dense) {
    expect_matches_torch("dense", {
                                      single("dense_7_5", "dense", {7}, {{"units", I(5)}}),
                                      single("dense_13_3", "dense", {13}, {{"units", I(3)}}, 5),
                                      single("dense_nobias", "dense", {6}, {{"units", I(17)}, {"bias", false}}, 11),
                                  });
}

TORCH_COVERS("conv2d");
TEST(TorchLayer, Conv2d) {
    auto conv = [](const std::string& name, std::vector<int64_t> dims, Attrs a, int batch = 3) {
        return single(name, "conv2d", std::move(dims), std::move(a), batch);
    };
    expect_matches_torch(
        "conv2d",
        {
            conv("conv_k3_same", {3, 7, 7}, {{"filters", I(4)}}),
            conv("conv_k3_s2_same_odd", {2, 9, 8}, {{"filters", I(5)}, {"stride", I(2)}}, 2),
            conv("conv_k2_valid_nobias", {3, 6, 7},
                 {{"filters", I(3)}, {"kernel", I(2)}, {"padding", S("valid")}, {"bias", false}}),
            conv("conv_k3_dil2_pad2", {2, 8, 9}, {{"filters", I(3)}, {"dilation", I(2)}, {"pad", I(2)}}),
            conv("conv_k4_s2_pad1", {3, 9, 10}, {{"filters", I(2)}, {"kernel", I(4)}, {"stride", I(2)}, {"pad", I(1)}}),
            conv("conv_k1_s2", {5, 5, 6}, {{"filters", I(6)}, {"kernel", I(1)}, {"stride", I(2)}}, 4),
            conv("conv_k5_s3_valid_dil", {1, 13, 11},
                 {{"filters", I(2)}, {"kernel", I(3)}, {"stride", I(3)}, {"dilation", I(2)}, {"padding", S("valid")}}),
        });
}

TORCH_COVERS("maxpool2d");
TEST(TorchLayer, MaxPool2d) {
    expect_matches_torch(
        "maxpool2d",
        {
            single("maxpool_k2", "maxpool2d", {3, 7, 7}),
            single("maxpool_k3_s2_pad1", "maxpool2d", {2, 9, 8}, {{"kernel", I(3)}, {"stride", I(2)}, {"pad", I(1)}}),
            single("maxpool_k3_s1", "maxpool2d", {2, 6, 5}, {{"kernel", I(3)}, {"stride", I(1)}}, 4),
        });
}

TORCH_COVERS("avgpool2d");
TEST(TorchLayer, AvgPool2d) {
    expect_matches_torch(
        "avgpool2d",
        {
            single("avgpool_k2", "avgpool2d", {3, 7, 7}),
            single("avgpool_k3_s2_pad1", "avgpool2d", {2, 9, 8}, {{"kernel", I(3)}, {"stride", I(2)}, {"pad", I(1)}}),
            single("avgpool_k3_s1", "avgpool2d", {2, 6, 5}, {{"kernel", I(3)}, {"stride", I(1)}}, 4),
        });
}

TORCH_COVERS("global_avgpool");
TEST(TorchLayer, GlobalAvgPool) {
    expect_matches_torch("global_avgpool", {
                                               single("gap_3x5x6", "global_avgpool", {3, 5, 6}),
                                               single("gap_1x1x7", "global_avgpool", {1, 1, 7}, {}, 5),
                                           });
}

// conv -> reindex -> dense -> mse, so the reindexed gradient reaches the conv's weight.
Case reindexed(const std::string& name, const std::string& op, std::vector<int64_t> dims, Attrs attrs) {
    GraphBuilder b;
    int x = b.input("x", std::move(dims));
    int c = b.layer("c", "conv2d", {x}, {{"filters", I(2)}});
    int y = b.layer("y", op, {c}, std::move(attrs));
    int t = b.real_target("t", b.model().node(y).shape.dims);
    b.layer("loss", "mse", {y, t});
    return make_case(name, b);
}

TORCH_COVERS("flatten");
TEST(TorchLayer, Flatten) {
    expect_matches_torch("flatten", {
                                        single("flatten_2x3x5", "flatten", {2, 3, 5}),
                                        reindexed("flatten_after_conv", "flatten", {3, 4, 5}, {}),
                                    });
}

TORCH_COVERS("reshape");
TEST(TorchLayer, Reshape) {
    expect_matches_torch(
        "reshape", {
                       single("reshape_12_to_3x4", "reshape", {12}, {{"shape", std::vector<int64_t>{3, -1}}}),
                       single("reshape_2x3x4_to_4x6", "reshape", {2, 3, 4}, {{"shape", std::vector<int64_t>{4, 6}}}),
                       reindexed("reshape_after_conv", "reshape", {1, 5, 6}, {{"shape", std::vector<int64_t>{-1, 6}}}),
                   });
}

TORCH_COVERS("add");
TEST(TorchLayer, Add) {
    GraphBuilder two;
    {
        int x = two.input("x", {6});
        int a = two.layer("a", "dense", {x}, {{"units", I(5)}});
        int b = two.layer("b", "dense", {x}, {{"units", I(5)}});
        int y = two.layer("y", "add", {a, b});
        int t = two.real_target("t", {5});
        two.layer("loss", "mse", {y, t});
    }
    GraphBuilder three;  // a residual sum that reads the input twice over: its gradient accumulates
    {
        int x = three.input("x", {2, 4, 5});
        int c = three.layer("c", "conv2d", {x}, {{"filters", I(2)}});
        int s = three.layer("s", "tanh", {x});
        int y = three.layer("y", "add", {x, c, s});
        int t = three.real_target("t", {2, 4, 5});
        three.layer("loss", "mse", {y, t});
    }
    expect_matches_torch("add", {make_case("add_two_dense", two), make_case("add_three_residual", three, 4)});
}

TORCH_COVERS("concat");
TEST(TorchLayer, Concat) {
    auto convs = [](const std::string& name, int64_t axis) {
        GraphBuilder g;
        int x = g.input("x", {2, 5, 4});
        int a = g.layer("a", "conv2d", {x}, {{"filters", I(axis == 0 ? 3 : 2)}});
        int b = g.layer("b", "conv2d", {x}, {{"filters", I(2)}, {"kernel", I(1)}});
        int y = g.layer("y", "concat", {a, b, x}, {{"axis", I(axis)}});
        int t = g.real_target("t", g.model().node(y).shape.dims);
        g.layer("loss", "mse", {y, t});
        return make_case(name, g);
    };
    GraphBuilder flat;
    {
        int x = flat.input("x", {4});
        int a = flat.layer("a", "dense", {x}, {{"units", I(3)}});
        int b = flat.layer("b", "dense", {x}, {{"units", I(5)}});
        int y = flat.layer("y", "concat", {a, b});
        int t = flat.real_target("t", {8});
        flat.layer("loss", "mse", {y, t});
    }
    expect_matches_torch("concat", {convs("concat_axis0", 0), convs("concat_axis1", 1), convs("concat_axis2", 2),
                                    make_case("concat_rank1", flat)});
}

void activation(const std::string& op, Attrs attrs = {}) {
    expect_matches_torch(op, {
                                 after_dense(op + "_after_dense", op, 5, 7, attrs),
                                 single(op + "_2x3x4", op, {2, 3, 4}, attrs, 4),
                             });
}

TORCH_COVERS("relu");
TEST(TorchLayer, Relu) { activation("relu"); }
TORCH_COVERS("leaky_relu");
TEST(TorchLayer, LeakyRelu) {
    expect_matches_torch("leaky_relu",
                         {
                             after_dense("leaky_relu_default", "leaky_relu", 5, 7),
                             single("leaky_relu_alpha_0_2", "leaky_relu", {2, 3, 4}, {{"alpha", D(0.2)}}, 4),
                         });
}
TORCH_COVERS("linear");
TEST(TorchLayer, Linear) { activation("linear"); }
TORCH_COVERS("sigmoid");
TEST(TorchLayer, Sigmoid) { activation("sigmoid"); }
TORCH_COVERS("tanh");
TEST(TorchLayer, Tanh) { activation("tanh"); }
TORCH_COVERS("softmax");
TEST(TorchLayer, Softmax) { activation("softmax"); }

// input [in] -> dense(classes or units) -> the loss; the prediction is the dense output.
Case loss_case(const std::string& name, const std::string& loss, int64_t in, int64_t units, int batch) {
    GraphBuilder b;
    int x = b.input("x", {in});
    int z = b.layer("z", "dense", {x}, {{"units", I(units)}});
    int t = loss == "softmax_cross_entropy" ? b.classes("t", units) : b.real_target("t", {units});
    b.layer("loss", loss, {z, t});
    return make_case(name, b, batch);
}

// The loss straight on a (C, H, W) input: the input gradient is the loss's own.
Case loss_on_input(const std::string& name, const std::string& loss, std::vector<int64_t> dims, int batch) {
    GraphBuilder b;
    int x = b.input("x", dims);
    int t = b.real_target("t", dims);
    b.layer("loss", loss, {x, t});
    return make_case(name, b, batch);
}

TORCH_COVERS("softmax_cross_entropy");
TEST(TorchLayer, SoftmaxCrossEntropy) {
    GraphBuilder direct;
    {
        int x = direct.input("x", {4});
        int t = direct.classes("t", 4);
        direct.layer("loss", "softmax_cross_entropy", {x, t});
    }
    expect_matches_torch("softmax_cross_entropy", {
                                                      loss_case("sce_dense_7_5", "softmax_cross_entropy", 7, 5, 3),
                                                      loss_case("sce_dense_3_10", "softmax_cross_entropy", 3, 10, 11),
                                                      make_case("sce_on_input", direct, 6),
                                                  });
}

void elementwise_loss(const std::string& op) {
    expect_matches_torch(op, {
                                 loss_case(op + "_dense", op, 6, 4, 5),
                                 loss_on_input(op + "_on_2x3x4", op, {2, 3, 4}, 3),
                             });
}
TORCH_COVERS("mse");
TEST(TorchLayer, Mse) { elementwise_loss("mse"); }
TORCH_COVERS("l1");
TEST(TorchLayer, L1) { elementwise_loss("l1"); }
TORCH_COVERS("sigmoid_binary_cross_entropy");
TEST(TorchLayer, SigmoidBinaryCrossEntropy) { elementwise_loss("sigmoid_binary_cross_entropy"); }

// Batch norm, both modes: training normalizes with the batch statistics and moves the running
// ones (compared with torch's in-place update); inference uses the running statistics.
TORCH_COVERS("batchnorm");
TEST(TorchLayer, BatchNorm) {
    GraphBuilder conv;  // BatchNorm2d behind a conv, no affine parameters
    {
        int x = conv.input("x", {2, 5, 6});
        int c = conv.layer("c", "conv2d", {x}, {{"filters", I(3)}, {"bias", false}});
        int y = conv.layer("y", "batchnorm", {c}, {{"affine", false}});
        int t = conv.real_target("t", {3, 5, 6});
        conv.layer("loss", "mse", {y, t});
    }
    expect_matches_torch("batchnorm", {
                                          // No bias before a batch norm: its gradient is zero in exact arithmetic, so
                                          // float32's rounding noise would be all of a relative error.
                                          after_dense("bn1d_after_dense", "batchnorm", 5, 6, {}, 4, false),
                                          after_dense("bn1d_momentum_eps", "batchnorm", 3, 7,
                                                      {{"momentum", D(0.3)}, {"eps", D(1e-3)}}, 9, false),
                                          single("bn2d_3x4x5", "batchnorm", {3, 4, 5}, {}, 3),
                                          single("bn2d_odd_batch", "batchnorm", {2, 3, 17}, {{"momentum", D(0.9)}}, 5),
                                          make_case("bn2d_after_conv_no_affine", conv, 2),
                                      });
}

// Dropout: inference is the identity; in training torch applies nnc's own mask (the kept
// elements of nnc's output), so the outputs and gradients must then match, and the share of
// dropped elements must be near the rate.
Case dropout_case(const std::string& name, std::vector<int64_t> dims, double rate, bool dense, int batch) {
    GraphBuilder b;
    int x = b.input("x", dims);
    int h = dense ? b.layer("h", "dense", {x}, {{"units", I(dims[0] + 3)}}) : x;
    int y = b.layer("y", "dropout", {h}, {{"rate", D(rate)}});
    int t = b.real_target("t", b.model().node(y).shape.dims);
    b.layer("loss", "mse", {y, t});
    Case c = make_case(name, b, batch);
    c.dropout = "y";
    return c;
}

TORCH_COVERS("dropout");
TEST(TorchLayer, Dropout) {
    const std::vector<Case> cases = {
        dropout_case("dropout_half_after_dense", {20}, 0.5, true, 6),
        dropout_case("dropout_0_2_on_2x4x5", {2, 4, 5}, 0.2, false, 5),
        dropout_case("dropout_0_9", {31}, 0.9, false, 7),
        dropout_case("dropout_rate_0", {9}, 0.0, true, 3),
    };
    const double rates[] = {0.5, 0.2, 0.9, 0.0};
    std::vector<Ran> ran;
    expect_matches_torch("dropout", cases, &ran);
    // The masks themselves: the dropped share is within 4 standard deviations of the rate.
    for (size_t i = 0; i < ran.size(); ++i) {
        const Buffer<float>& y = prediction_of(ran[i]);
        size_t dropped = 0;
        for (size_t k = 0; k < y.number_of_elements(); ++k) dropped += y.data()[k] == 0.f;
        const double n = static_cast<double>(y.number_of_elements());
        EXPECT_NEAR(dropped / n, rates[i], 4 * std::sqrt(rates[i] * (1 - rates[i]) / n) + 1e-9) << cases[i].name;
    }
}

// A recurrent layer over (T, F), the last hidden state or every one, optionally under a dense
// head (so the layer's input gradient comes through a product).
Case recurrent_case(const std::string& name, const std::string& op, int64_t t, int64_t f, int64_t hidden,
                    bool sequences, bool head, int batch) {
    GraphBuilder b;
    int x = b.input("x", {t, f});
    int y = b.layer("y", op, {x}, {{"hidden", I(hidden)}, {"return_sequences", sequences}});
    if (head) y = b.layer("z", "dense", {y}, {{"units", I(2)}});
    int tg = b.real_target("t", b.model().node(y).shape.dims);
    b.layer("loss", "mse", {y, tg});
    return make_case(name, b, batch);
}

TORCH_COVERS("lstm");
TEST(TorchLayer, Lstm) {
    expect_matches_torch("lstm", {
                                     recurrent_case("lstm_T5_F3_H4_last", "lstm", 5, 3, 4, false, false, 3),
                                     recurrent_case("lstm_T4_F2_H3_sequences", "lstm", 4, 2, 3, true, false, 2),
                                     recurrent_case("lstm_T7_F5_H6_head", "lstm", 7, 5, 6, false, true, 5),
                                 });
}

// gru as torch.nn.GRU(batch_first=True), gates r, z, n.
TORCH_COVERS("gru");
TEST(TorchLayer, Gru) {
    expect_matches_torch("gru", {
                                    recurrent_case("gru_T5_F3_H4_last", "gru", 5, 3, 4, false, false, 3),
                                    recurrent_case("gru_T4_F2_H3_sequences", "gru", 4, 2, 3, true, false, 2),
                                    recurrent_case("gru_T7_F5_H6_head", "gru", 7, 5, 6, false, true, 5),
                                });
}

// embedding as torch.nn.Embedding: few ids over many positions, so rows repeat and their
// gradients accumulate.
Case embedding_case(const std::string& name, std::vector<int64_t> ids, int64_t vocab, int64_t dim,
                    const std::string& head, int batch) {
    GraphBuilder b;
    int x = b.tokens("x", std::move(ids));
    int y = b.layer("y", "embedding", {x}, {{"vocab", I(vocab)}, {"dim", I(dim)}});
    int t = -1;
    if (head == "lstm_classifier") {  // tokens -> embedding -> lstm -> dense -> softmax cross-entropy
        int h = b.layer("h", "lstm", {y}, {{"hidden", I(5)}});
        y = b.layer("z", "dense", {h}, {{"units", I(3)}});
        t = b.classes("t", 3);
        b.layer("loss", "softmax_cross_entropy", {y, t});
    } else {
        t = b.real_target("t", b.model().node(y).shape.dims);
        b.layer("loss", "mse", {y, t});
    }
    Case c = make_case(name, b, batch);
    c.token_range = static_cast<int>(vocab);
    return c;
}

TORCH_COVERS("embedding");
TEST(TorchLayer, Embedding) {
    expect_matches_torch("embedding", {
                                          embedding_case("embedding_T6_V4_D5", {6}, 4, 5, "", 3),
                                          embedding_case("embedding_2x3_V7_D3", {2, 3}, 7, 3, "", 4),
                                          embedding_case("embedding_lstm_classifier", {5}, 9, 4, "lstm_classifier", 5),
                                      });
}

// The transformer family: per-position dense and softmax cross-entropy on sequences, layernorm,
// gelu, softmax over an axis, attention (torch_graph.py: F.layer_norm, F.gelu, the explicit
// attention formula).
TEST(TorchLayer, DenseSequence) {
    expect_matches_torch("dense_sequence",
                         {
                             single("dense_seq_4x7_5", "dense", {4, 7}, {{"units", I(5)}}),
                             single("dense_seq_9x3_17_nobias", "dense", {9, 3}, {{"units", I(17)}, {"bias", false}}, 5),
                         });
}

// x [T, F] -> dense(C) -> softmax cross-entropy against classes(C, [T]); `ignore` labels count
// for nothing (drawn in [0, C), so ignoring class 1 drops about a C-th of the positions).
Case sequence_loss(const std::string& name, int64_t t, int64_t f, int64_t c, int64_t ignore, int batch) {
    GraphBuilder b;
    int x = b.input("x", {t, f});
    int z = b.layer("z", "dense", {x}, {{"units", I(c)}});
    b.layer("loss", "softmax_cross_entropy", {z, b.sequence_classes("next", c, {t})}, {{"ignore_index", I(ignore)}});
    return make_case(name, b, batch);
}

TEST(TorchLayer, SoftmaxCrossEntropySequence) {
    expect_matches_torch("softmax_cross_entropy_sequence", {
                                                               sequence_loss("sce_seq_T5_C7", 5, 3, 7, -100, 3),
                                                               sequence_loss("sce_seq_T6_C3_ignore_1", 6, 4, 3, 1, 5),
                                                           });
}

TEST(TorchLayer, SoftmaxAxis) {
    expect_matches_torch("softmax_axis", {
                                             single("softmax_axis0_4x5", "softmax", {4, 5}, {{"axis", I(0)}}),
                                             single("softmax_axis1_2x3x5", "softmax", {2, 3, 5}, {{"axis", I(1)}}, 4),
                                             single("softmax_axis_m3", "softmax", {2, 3, 5}, {{"axis", I(-3)}}),
                                         });
}

// x [dims] -> dense(units) -> op: the op on a sequence, its gradient reaching a weight.
Case sequence_after_dense(const std::string& name, const std::string& op, int64_t t, int64_t f, int64_t units,
                          Attrs attrs = {}, int batch = 3) {
    GraphBuilder b;
    int x = b.input("x", {t, f});
    int h = b.layer("h", "dense", {x}, {{"units", I(units)}});
    int y = b.layer("y", op, {h}, std::move(attrs));
    b.layer("loss", "mse", {y, b.real_target("t", b.model().node(y).shape.dims)});
    return make_case(name, b, batch);
}

TORCH_COVERS("layernorm");
TEST(TorchLayer, LayerNorm) {
    expect_matches_torch("layernorm",
                         {
                             single("layernorm_7", "layernorm", {7}),
                             sequence_after_dense("layernorm_seq_5x3_9", "layernorm", 5, 3, 9, {{"eps", D(1e-3)}}, 4),
                             single("layernorm_no_affine_4x6", "layernorm", {4, 6}, {{"affine", false}}),
                         });
}

TORCH_COVERS("gelu");
TEST(TorchLayer, Gelu) {
    expect_matches_torch("gelu",
                         {
                             after_dense("gelu_exact_after_dense", "gelu", 5, 7),
                             single("gelu_exact_2x3x4", "gelu", {2, 3, 4}, {}, 4),
                             sequence_after_dense("gelu_tanh_seq", "gelu", 4, 3, 6, {{"approximate", S("tanh")}}),
                         });
}

// x [T, D] -> attention -> mse, under a per-position dense or straight on the input; and a
// pre-norm transformer block on token ids predicting the next token at every position.
Case attention_case(const std::string& name, int64_t t, int64_t d, int64_t heads, bool causal, bool dense, int batch,
                    double dropout = 0) {
    GraphBuilder b;
    int x = b.input("x", {t, d});
    if (dense) x = b.layer("h", "dense", {x}, {{"units", I(d)}});
    int y = b.layer("y", "attention", {x}, {{"heads", I(heads)}, {"causal", causal}, {"dropout", D(dropout)}});
    b.layer("loss", "mse", {y, b.real_target("t", {t, d})});
    return make_case(name, b, batch);
}

Case transformer_block(const std::string& name, int64_t t, int64_t vocab, int64_t d, int64_t heads, int batch) {
    GraphBuilder b;
    int ids = b.tokens("ids", {t});
    int e = b.layer("emb", "embedding", {ids}, {{"vocab", I(vocab)}, {"dim", I(d)}});
    int a = b.layer("att", "attention", {b.layer("ln1", "layernorm", {e})}, {{"heads", I(heads)}, {"causal", true}});
    int r1 = b.layer("r1", "add", {e, a});
    int up = b.layer("up", "dense", {b.layer("ln2", "layernorm", {r1})}, {{"units", I(2 * d)}});
    int down = b.layer("down", "dense", {b.layer("act", "gelu", {up})}, {{"units", I(d)}});
    int r2 = b.layer("r2", "add", {r1, down});
    int z = b.layer("logits", "dense", {b.layer("ln3", "layernorm", {r2})}, {{"units", I(vocab)}});
    b.layer("loss", "softmax_cross_entropy", {z, b.sequence_classes("next", vocab, {t})});
    Case c = make_case(name, b, batch);
    c.token_range = static_cast<int>(vocab);
    return c;
}

TORCH_COVERS("attention");
TEST(TorchLayer, Attention) {
    expect_matches_torch("attention",
                         {
                             attention_case("attention_T5_D6_H2", 5, 6, 2, false, false, 3),
                             attention_case("attention_T7_D9_H3_causal", 7, 9, 3, true, true, 2),
                             attention_case("attention_T4_D8_H1_causal", 4, 8, 1, true, false, 5),
                             transformer_block("transformer_block_T6_V11_D12_H4", 6, 11, 12, 4, 3),
                             attention_case("attention_T6_D4_H2_dropout", 6, 4, 2, false, false, 3, 0.4),
                             attention_case("attention_T5_D6_H3_causal_dropout", 5, 6, 3, true, true, 4, 0.25),
                         });
}

// Every registered op has a case above.
TEST(TorchLayer, CoversEveryRegisteredLayer) {
    for (const std::string& op : codegen::layer_catalog().names())
        EXPECT_TRUE(covered().count(op)) << "no PyTorch equivalence test for '" << op
                                         << "': add one to tests/codegen/torch_layer_test.cpp";
}

}  // namespace
}  // namespace nnc
