// The compiled fashion_mlp library against PyTorch on the same weights and batch: loss, logits
// and every parameter gradient. PyTorch runs in float64 from the float32 weights, so the
// tolerance (1e-4 relative to each tensor's largest magnitude) bounds nnc's own float32 error.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "fashion_mlp.h"
#include "tests/e2e/scratch_folder.h"

namespace {
namespace fs = std::filesystem;

template <typename T>
void write(const fs::path& p, const std::vector<T>& v) {
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(T)));
}

std::vector<double> read_doubles(const fs::path& p, size_t n) {
    std::vector<double> v(n);
    std::ifstream f(p, std::ios::binary);
    f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(double)));
    EXPECT_TRUE(f.good()) << "short read from " << p;
    return v;
}

// max |a - ref| / max |ref|
double relative_error(const std::vector<float>& a, const std::vector<double>& ref) {
    double diff = 0, scale = 1e-12;
    for (size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, std::abs(double(a[i]) - ref[i]));
        scale = std::max(scale, std::abs(ref[i]));
    }
    return diff / scale;
}

TEST(TorchEquivalence, FashionMlpLossLogitsAndGradients) {
    if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3 (install python3-torch)";
    nnc_model* m = nullptr;
    ASSERT_EQ(nnc_model_create(&m), NNC_OK) << nnc_last_error();
    ASSERT_EQ(nnc_model_init(m, 1234), NNC_OK) << nnc_last_error();

    const int64_t batch = 37;  // not a multiple of any vector width
    const int64_t in = FASHION_MLP_INPUT_SIZE, classes = FASHION_MLP_NUM_CLASSES;
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> pixel(0.f, 1.f);
    std::vector<float> input(static_cast<size_t>(batch * in));
    for (float& v : input) v = pixel(rng);
    std::vector<int32_t> labels(static_cast<size_t>(batch));
    for (int32_t& l : labels) l = static_cast<int32_t>(rng() % classes);

    float loss = 0;
    std::vector<float> logits(static_cast<size_t>(batch * classes));
    ASSERT_EQ(nnc_model_compute_gradients(m, input.data(), labels.data(), batch, &loss, logits.data()), NNC_OK)
        << nnc_last_error();

    const nnc::test::ScratchFolder scratch("nnc-torch-eq-" + std::to_string(getpid()));
    const fs::path& dir = scratch.dir();
    write(dir / "input.bin", input);
    write(dir / "target.bin", labels);
    { std::ofstream(dir / "batch.txt") << batch; }
    const int np = nnc_model_num_params(m);
    std::vector<std::vector<float>> grads(static_cast<size_t>(np));
    for (int i = 0; i < np; ++i) {
        const int64_t n = nnc_model_param_count(m, i);
        std::vector<float> w(static_cast<size_t>(n));
        ASSERT_EQ(nnc_model_get_param(m, i, w.data(), n), NNC_OK);
        write(dir / ("param_" + std::to_string(i) + ".bin"), w);
        grads[static_cast<size_t>(i)].resize(static_cast<size_t>(n));
        ASSERT_EQ(nnc_model_get_grad(m, i, grads[static_cast<size_t>(i)].data(), n), NNC_OK);
    }
    const std::string cmd =
        "/usr/bin/python3 " NNC_SOURCE_DIR "/tests/torch/torch_graph.py " FASHION_MLP_GRAPH_JSON " " + dir.string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

    const double ref_loss = read_doubles(dir / "loss.bin", 1)[0];
    EXPECT_NEAR(loss, ref_loss, 1e-4 * std::abs(ref_loss));
    EXPECT_LT(relative_error(logits, read_doubles(dir / "prediction.bin", logits.size())), 1e-4);
    for (int i = 0; i < np; ++i) {
        const char* name = nullptr;
        int rank = 0;
        const int64_t* dims = nullptr;
        ASSERT_EQ(nnc_model_param_info(m, i, &name, &rank, &dims), NNC_OK);
        const auto& g = grads[static_cast<size_t>(i)];
        const double err = relative_error(g, read_doubles(dir / ("grad_" + std::to_string(i) + ".bin"), g.size()));
        EXPECT_LT(err, 1e-4) << name;
        std::printf("%-16s relative error %.2e\n", name, err);
    }
    nnc_model_destroy(m);
}

}  // namespace
