// The CUDA build path without a GPU: a model compiled with --target host-cuda links, loads, and
// on a machine with no GPU or driver fails at nnc_model_create with "no CUDA device: ..." and
// what to do, never a crash; schedulers that cannot emit GPU code are refused with a reason.
// The GPU run itself is tests/gpu/check.sh.
#include <gtest/gtest.h>

#include <dlfcn.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include <nnc/nnc.h>

#include "tests/e2e/run_nnc.h"

namespace {
namespace fs = std::filesystem;

using nnc::test::Result;
using nnc::test::run_nnc;

// True when this machine can run CUDA: then creation must succeed instead.
bool has_cuda_driver() {
    void* h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) return false;
    dlclose(h);
    return true;
}

// The library is opened privately, as an application that loads several models would.
struct Library {
    void* handle = nullptr;
    explicit Library(const std::string& path) { handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL); }
    ~Library() {
        if (handle) dlclose(handle);
    }
    template <class F>
    F* symbol(const char* name) {
        return reinterpret_cast<F*>(dlsym(handle, name));
    }
};

const std::string kCudaMlp = NNC_FASHION_MLP_CUDA_LIBRARY;
const std::string kSample = std::string(NNC_SOURCE_DIR) + "/samples/fashion_mlp.nn";

TEST(CudaBuild, LibraryLinksWithOnlyTheCAbiExported) {
    ASSERT_TRUE(fs::exists(kCudaMlp)) << kCudaMlp << " was not built (samples/CMakeLists.txt, target cuda_models)";
    Library lib(kCudaMlp);
    ASSERT_NE(lib.handle, nullptr) << dlerror();
    EXPECT_NE(lib.symbol<void>("nnc_model_create"), nullptr);
    // Halide's runtime (CUDA module included) stays private to the library.
    EXPECT_EQ(lib.symbol<void>("halide_cuda_device_interface"), nullptr);
    EXPECT_EQ(lib.symbol<void>("halide_device_malloc"), nullptr);
}

TEST(CudaBuild, CreateWithoutAGpuFailsWithAClearError) {
    if (has_cuda_driver()) GTEST_SKIP() << "this machine has a CUDA driver: tests/gpu/check.sh covers it";
    Library lib(kCudaMlp);
    ASSERT_NE(lib.handle, nullptr) << dlerror();
    auto* create = lib.symbol<nnc_status(nnc_model**)>("nnc_model_create");
    auto* last_error = lib.symbol<const char*()>("nnc_last_error");
    auto* destroy = lib.symbol<void(nnc_model*)>("nnc_model_destroy");
    ASSERT_TRUE(create && last_error && destroy);
    for (int attempt = 0; attempt < 2; ++attempt) {  // the second attempt must say the same, not crash
        nnc_model* m = reinterpret_cast<nnc_model*>(0x1);
        EXPECT_EQ(create(&m), NNC_ERR_RUNTIME);
        EXPECT_EQ(m, nullptr);
        const std::string message = last_error();
        EXPECT_EQ(message.rfind("no CUDA device: ", 0), 0u) << message;
        EXPECT_NE(message.find("libcuda.so.1"), std::string::npos) << message;
        EXPECT_NE(message.find("fashion_mlp"), std::string::npos) << message;
        EXPECT_NE(message.find("--target host"), std::string::npos) << message;
        EXPECT_NE(message.find("cuda_capability_70"), std::string::npos) << message;
        destroy(m);  // NULL: a no-op
    }
}

class CudaCompile : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() /
              ("nnc-cuda-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }
    fs::path dir;
};

TEST_F(CudaCompile, CpuOnlyAutoschedulersAreRefusedForAGpuTarget) {
    for (const char* scheduler : {"Mullapudi2016", "Adams2019"}) {
        const Result r =
            run_nnc(kSample + " --target host-cuda --scheduler " + scheduler + " -o " + (dir / "m.so").string());
        EXPECT_EQ(r.status, 1) << r.output;
        EXPECT_NE(r.output.find(std::string(scheduler) + " emits CPU-only schedules"), std::string::npos) << r.output;
        EXPECT_NE(r.output.find("--scheduler template"), std::string::npos) << r.output;
        EXPECT_FALSE(fs::exists(dir / "m.so"));
    }
}

TEST_F(CudaCompile, OtherGpuApisAreRefused) {
    const Result r = run_nnc(kSample + " --target host-opencl -o " + (dir / "m.so").string());
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("only the CUDA GPU target is supported"), std::string::npos) << r.output;
}

TEST_F(CudaCompile, DescriptorNamesTheDeviceAndTheCapability) {
    // Li2018, the GPU autoscheduler, is accepted on a GPU target; --emit-dir keeps the descriptor.
    const Result r = run_nnc(kSample + " --target host-cuda --scheduler Li2018 -o " + (dir / "m.so").string() +
                             " --emit-dir " + (dir / "emit").string());
    ASSERT_EQ(r.status, 0) << r.output;
    std::FILE* f = std::fopen((dir / "emit" / "model_desc.c").string().c_str(), "r");
    ASSERT_NE(f, nullptr);
    std::string desc(1 << 16, '\0');
    desc.resize(std::fread(desc.data(), 1, desc.size(), f));
    std::fclose(f);
    EXPECT_NE(desc.find(".device = NNC_DEVICE_CUDA"), std::string::npos) << desc;
    EXPECT_NE(desc.find("cuda_capability_70"), std::string::npos) << desc;  // the default capability
    // The device optimizer kernels (runtime/include/nnc/device_kernels.h), in the runtime's order.
    EXPECT_NE(
        desc.find(".device_kernels = {{nncgen_device_sgd_argv, nncgen_device_adam_argv, nncgen_device_adagrad_argv, "
                  "nncgen_device_adadelta_argv, nncgen_device_rmsprop_argv}, nncgen_device_grad_sumsq_argv}"),
        std::string::npos)
        << desc;
    // The kernels are there: PTX in the training step's statements.
    std::FILE* s = std::fopen((dir / "emit" / "train_step.stmt").string().c_str(), "r");
    ASSERT_NE(s, nullptr);
    std::string stmt(1 << 22, '\0');
    stmt.resize(std::fread(stmt.data(), 1, stmt.size(), s));
    std::fclose(s);
    EXPECT_NE(stmt.find("__block_id_x"), std::string::npos);  // kernels: loops over GPU blocks
}

// The recurrent scans' GPU schedule (codegen/layers/recurrent.h): each scan is one kernel with a
// block per sample and a thread per (lane, gate block) slot, and its phases are separated by
// barriers. Without the barriers the lanes race (wrong gradients on the GPU); with the generic
// template a scan ran as one thread per sample, 200-700x slower than PyTorch.
TEST_F(CudaCompile, RecurrentScansRunAsABlockPerSampleWithBarriersBetweenPhases) {
    for (const auto& [op, gates] : {std::pair<std::string, int>{"lstm", 4}, {"gru", 3}}) {
        const fs::path src = dir / (op + ".nn");
        {
            std::FILE* f = std::fopen(src.string().c_str(), "w");
            ASSERT_NE(f, nullptr);
            std::fprintf(f,
                         "model rnn {\n  input x: float32[6, 5]\n  target y: classes(3)\n"
                         "  h = %s(x, hidden=16)\n  logits = dense(h, 3)\n"
                         "  loss = softmax_cross_entropy(logits, y)\n}\n",
                         op.c_str());
            std::fclose(f);
        }
        const Result r = run_nnc(src.string() + " --target host-cuda -o " + (dir / (op + ".so")).string() +
                                 " --emit-dir " + (dir / op).string());
        ASSERT_EQ(r.status, 0) << r.output;
        std::FILE* s = std::fopen((dir / op / "train_step.stmt").string().c_str(), "r");
        ASSERT_NE(s, nullptr);
        std::string stmt(1 << 22, '\0');
        stmt.resize(std::fread(stmt.data(), 1, stmt.size(), s));
        std::fclose(s);
        for (const std::string scan : {"h__state", "h__d_state"}) {
            SCOPED_TRACE(op + " " + scan);
            const std::string kernel = "_kernel_" + scan + "_s1_n___block_id_x";
            // The launch: blocks = the batch, threads = 16 lanes x the gate blocks.
            const size_t at = stmt.find("halide_cuda_run(cuda[0], \"" + kernel + "\", ");
            ASSERT_NE(at, std::string::npos) << "no update kernel with a block per sample for " << scan;
            const std::string launch = stmt.substr(at, stmt.find("(void *)", at) - at);
            EXPECT_NE(launch.find(", 1, 1, 16, " + std::to_string(gates) + ", 1, "), std::string::npos) << launch;
            // The kernel body (PTX) synchronizes the block between the phases.
            const size_t entry = stmt.find(".entry " + kernel);
            ASSERT_NE(entry, std::string::npos);
            const std::string body = stmt.substr(entry, stmt.find("\n}", entry) - entry);
            EXPECT_NE(body.find("bar.sync"), std::string::npos);
        }
    }
}

}  // namespace
