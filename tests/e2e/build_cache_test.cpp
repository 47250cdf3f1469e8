// Recompiling an unchanged model copies the library built before (codegen/driver/build_cache.h);
// any change to the text, the options, the output's name or the runtime builds again, and
// --no-cache always builds. The cache lives in a private XDG_CACHE_HOME here.
#include <gtest/gtest.h>

#include <unistd.h>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/e2e/run_nnc.h"

namespace {
namespace fs = std::filesystem;

std::string bytes(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

bool built(const nnc::test::Result& r) { return r.output.find("(schedule ") != std::string::npos; }
bool copied(const nnc::test::Result& r) { return r.output.find("unchanged model: copied") != std::string::npos; }

TEST(BuildCache, UnchangedModelIsCopiedAndAnyChangeRebuilds) {
    const fs::path dir = fs::temp_directory_path() / ("nnc-build-cache-" + std::to_string(getpid()));
    fs::remove_all(dir);
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

    // Another output name is another soname: built, not copied.
    auto renamed = nnc::test::run_nnc(model.string() + " -o " + (dir / "b" / "other.so").string());
    EXPECT_TRUE(built(renamed)) << renamed.output;
    // Other options.
    auto scheduled =
        nnc::test::run_nnc(model.string() + " --scheduler Mullapudi2016 -o " + (dir / "b" / "m.so").string());
    EXPECT_TRUE(built(scheduled)) << scheduled.output;
    // --no-cache.
    auto forced = nnc::test::run_nnc(model.string() + " --no-cache -o " + (dir / "b" / "m.so").string());
    EXPECT_TRUE(built(forced)) << forced.output;
    // A changed model.
    std::ofstream(model, std::ios::app) << "\n# edited\n";
    auto edited = nnc::test::run_nnc(model.string() + " -o " + (dir / "b" / "m.so").string());
    EXPECT_TRUE(built(edited)) << edited.output;

    unsetenv("XDG_CACHE_HOME");
    fs::remove_all(dir);
}

// A rebuilt runtime (here: the archive in NNC_RUNTIME_DIR replaced) is a new toolchain: neither
// `nnc model.nn -o` nor `nnc train model.nn` may reuse a library that links the old one.
TEST(BuildCache, ARebuiltRuntimeRebuildsBothCaches) {
    const fs::path dir = fs::temp_directory_path() / ("nnc-build-cache-rt-" + std::to_string(getpid()));
    fs::remove_all(dir);
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
    fs::remove_all(dir);
}

}  // namespace
