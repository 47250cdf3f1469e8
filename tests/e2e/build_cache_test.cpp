// Recompiling an unchanged model copies the library built before (codegen/driver/build_cache.h);
// a change to the train section alone (or comments) links the pipelines compiled before with a
// new descriptor; any other change to the text, the options, the output's name or the runtime
// builds again, and --no-cache always builds. The cache lives in a private XDG_CACHE_HOME here.
#include <gtest/gtest.h>

#include <dlfcn.h>
#include <nnc/nnc.h>
#include <unistd.h>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"

namespace {
namespace fs = std::filesystem;

std::string bytes(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

bool built(const nnc::test::Result& r) { return r.output.find("(schedule ") != std::string::npos; }
bool copied(const nnc::test::Result& r) { return r.output.find("unchanged model: copied") != std::string::npos; }
bool relinked(const nnc::test::Result& r) {
    return r.output.find("the pipelines are unchanged") != std::string::npos && !built(r);
}

TEST(BuildCache, UnchangedModelIsCopiedAndAnyChangeRebuilds) {
    const nnc::test::ScratchFolder scratch("nnc-build-cache-" + std::to_string(getpid()));
    const fs::path& dir = scratch.dir();
    fs::create_directories(dir / "a");
    fs::create_directories(dir / "b");
    ASSERT_EQ(setenv("XDG_CACHE_HOME", (dir / "cache").c_str(), 1), 0);
    const fs::path model = dir / "m.nn";
    fs::copy_file(fs::path(NNC_SOURCE_DIR) / "samples" / "dropout_regression.nn", model);

    auto first = nnc::test::run_nnc(model.string() + " -o " + (dir / "a" / "m.so").string());
    ASSERT_EQ(first.status, 0) << first.output;
    EXPECT_TRUE(built(first)) << first.output;

    auto again = nnc::test::run_nnc(model.string() + " -o " + (dir / "b" / "m.so").string());
    ASSERT_EQ(again.status, 0) << again.output;
    EXPECT_TRUE(copied(again)) << again.output;
    EXPECT_EQ(bytes(dir / "b" / "m.so"), bytes(dir / "a" / "m.so"));
    EXPECT_EQ(bytes(dir / "b" / "m.h"), bytes(dir / "a" / "m.h"));
    EXPECT_FALSE(bytes(dir / "b" / "m.so").empty());

    // Another output name is another soname: linked again, not copied.
    auto renamed = nnc::test::run_nnc(model.string() + " -o " + (dir / "b" / "other.so").string());
    EXPECT_TRUE(relinked(renamed)) << renamed.output;
    // Other options.
    auto scheduled =
        nnc::test::run_nnc(model.string() + " --scheduler Mullapudi2016 -o " + (dir / "b" / "m.so").string());
    EXPECT_TRUE(built(scheduled)) << scheduled.output;
    // --no-cache.
    auto forced = nnc::test::run_nnc(model.string() + " --no-cache -o " + (dir / "b" / "m.so").string());
    EXPECT_TRUE(built(forced)) << forced.output;
    // A comment is no code: a new library, the same pipelines.
    std::ofstream(model, std::ios::app) << "\n# edited\n";
    auto commented = nnc::test::run_nnc(model.string() + " -o " + (dir / "b" / "m.so").string());
    EXPECT_TRUE(relinked(commented)) << commented.output;
    // A changed layer.
    std::string text = bytes(model);
    text.replace(text.find("dense(x, 200)"), 13, "dense(x, 100)");
    std::ofstream(model, std::ios::trunc) << text;
    auto edited = nnc::test::run_nnc(model.string() + " -o " + (dir / "b" / "m.so").string());
    EXPECT_TRUE(built(edited)) << edited.output;

    unsetenv("XDG_CACHE_HOME");
}

// The files of the compiled pipelines' folders in the cache, with their modification times.
std::map<std::string, fs::file_time_type> pipeline_files(const fs::path& cache) {
    std::map<std::string, fs::file_time_type> out;
    for (const auto& e : fs::recursive_directory_iterator(cache / "nnc" / "builds"))
        if (e.is_regular_file() && e.path().parent_path().filename().string().rfind("pipelines-", 0) == 0)
            out[e.path().string()] = e.last_write_time();
    return out;
}

// The train section's settings as a library reports them (its descriptor's defaults).
struct Defaults {
    std::string optimizer;
    double lr = 0, momentum = 0;
    int64_t epochs = 0;
};
Defaults library_defaults(const fs::path& so) {
    void* h = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    EXPECT_NE(h, nullptr) << dlerror();
    if (!h) return {};
    auto create = reinterpret_cast<decltype(&nnc_model_create)>(dlsym(h, "nnc_model_create"));
    auto destroy = reinterpret_cast<decltype(&nnc_model_destroy)>(dlsym(h, "nnc_model_destroy"));
    auto defaults =
        reinterpret_cast<decltype(&nnc_model_default_train_config)>(dlsym(h, "nnc_model_default_train_config"));
    Defaults d;
    nnc_model* m = nullptr;
    if (create(&m) == NNC_OK) {
        nnc_train_config train{};
        nnc_optimizer_config opt{};
        int64_t validation = 0;
        if (defaults(m, &train, &opt, &validation) == NNC_OK)
            d = {opt.name ? opt.name : "", opt.lr, opt.momentum, train.epochs};
        destroy(m);
    }
    dlclose(h);
    return d;
}

const char* kSmallModel = R"(model small {
  input  x: [1]
  target y: [1]
  fc   = dense(x, 16)
  h    = relu(fc)
  pred = dense(h, 1)
  loss = mse(pred, y)
  train {
    optimizer = adam(lr=1e-2)
    batch     = 8
    epochs    = 50
  }
}
)";

// Every train setting is a run-time value in the descriptor: editing the train section (lr,
// epochs, optimizer) compiles no pipeline, and the new library carries the new defaults.
TEST(BuildCache, ATrainSectionEditLinksTheCompiledPipelines) {
    const nnc::test::ScratchFolder scratch("nnc-build-cache-train-" + std::to_string(getpid()));
    const fs::path& dir = scratch.dir();
    ASSERT_EQ(setenv("XDG_CACHE_HOME", (dir / "cache").c_str(), 1), 0);
    const fs::path model = dir / "m.nn";
    std::ofstream(model) << kSmallModel;
    const std::string compile = model.string() + " -o " + (dir / "m.so").string();

    auto first = nnc::test::run_nnc(compile);
    ASSERT_EQ(first.status, 0) << first.output;
    ASSERT_TRUE(built(first)) << first.output;
    const auto objects = pipeline_files(dir / "cache");
    ASSERT_GE(objects.size(), 2u);  // the pipelines, the Halide runtime and the manifest

    std::string text = kSmallModel;
    text.replace(text.find("adam(lr=1e-2)"), 13, "sgd(lr=0.05)  # edited");
    text.replace(text.find("epochs    = 50"), 14, "epochs = 3");
    std::ofstream(model, std::ios::trunc) << text;
    auto edited = nnc::test::run_nnc(compile);
    ASSERT_EQ(edited.status, 0) << edited.output;
    EXPECT_TRUE(relinked(edited)) << edited.output;
    EXPECT_EQ(pipeline_files(dir / "cache"), objects) << "a pipeline was compiled again";

    fs::copy_file(dir / "m.so", dir / "edited.so");  // a fresh path: dlopen reuses none
    const Defaults d = library_defaults(dir / "edited.so");
    EXPECT_EQ(d.optimizer, "sgd");
    EXPECT_DOUBLE_EQ(d.lr, 0.05);
    EXPECT_DOUBLE_EQ(d.momentum, 0.9);  // sgd's momentum in a train section
    EXPECT_EQ(d.epochs, 3);

    // `nnc train model.nn` compiles through the same pipelines.
    auto trained = nnc::test::run_nnc("train " + model.string() + " --epochs 1 --data " + std::string(NNC_SOURCE_DIR) +
                                      "/tests/e2e/data/dropout_train.csv --target y --out " + (dir / "run").string());
    EXPECT_NE(trained.output.find("unchanged pipelines linked"), std::string::npos) << trained.output;
    EXPECT_EQ(pipeline_files(dir / "cache"), objects);

    unsetenv("XDG_CACHE_HOME");
}

// A rebuilt runtime (here: the archive in NNC_RUNTIME_DIR replaced) is a new toolchain: neither
// `nnc model.nn -o` nor `nnc train model.nn` may reuse a library that links the old one.
TEST(BuildCache, ARebuiltRuntimeRebuildsBothCaches) {
    const nnc::test::ScratchFolder scratch("nnc-build-cache-rt-" + std::to_string(getpid()));
    const fs::path& dir = scratch.dir();
    fs::create_directories(dir / "rt");
    fs::copy(fs::path(NNC_SOURCE_DIR) / "runtime" / "include", dir / "rt" / "include", fs::copy_options::recursive);
    fs::copy_file(fs::path(NNC_SOURCE_DIR) / "runtime" / "exports.map", dir / "rt" / "exports.map");
    const fs::path archive = dir / "rt" / "libnnc_runtime.a";
    fs::copy_file(NNC_RUNTIME_ARCHIVE, archive);
    ASSERT_EQ(setenv("XDG_CACHE_HOME", (dir / "cache").c_str(), 1), 0);
    ASSERT_EQ(setenv("NNC_RUNTIME_DIR", (dir / "rt").c_str(), 1), 0);
    const fs::path model = dir / "m.nn";
    fs::copy_file(fs::path(NNC_SOURCE_DIR) / "samples" / "dropout_regression.nn", model);
    const std::string data = std::string(NNC_SOURCE_DIR) + "/tests/e2e/data/dropout_train.csv";
    auto compile = [&] { return nnc::test::run_nnc(model.string() + " -o " + (dir / "m.so").string()); };
    int runs = 0;
    auto train = [&] {
        return nnc::test::run_nnc("train " + model.string() + " --data " + data + " --target y --epochs 1 --out " +
                                  (dir / ("run" + std::to_string(++runs))).string());
    };
    auto compiled_for_training = [](const nnc::test::Result& r) {
        return r.output.find("nnc: compiled ") != std::string::npos;
    };

    auto first = compile();
    ASSERT_EQ(first.status, 0) << first.output;
    EXPECT_TRUE(built(first)) << first.output;
    auto t1 = train();
    ASSERT_EQ(t1.status, 0) << t1.output;
    EXPECT_TRUE(compiled_for_training(t1)) << t1.output;
    EXPECT_TRUE(copied(compile()));
    EXPECT_FALSE(compiled_for_training(train()));

    // The same bytes, a later time: what a rebuild or reinstall of the runtime looks like.
    fs::last_write_time(archive, fs::last_write_time(archive) + std::chrono::seconds(5));
    auto rebuilt = compile();
    EXPECT_TRUE(built(rebuilt)) << rebuilt.output;
    auto t3 = train();
    ASSERT_EQ(t3.status, 0) << t3.output;
    EXPECT_TRUE(compiled_for_training(t3)) << t3.output;

    unsetenv("NNC_RUNTIME_DIR");
    unsetenv("XDG_CACHE_HOME");
}

}  // namespace
