// Recompiling an unchanged model copies the library built before (codegen/driver/build_cache.h);
// any change to the text, the options or the output's name builds again, and --no-cache always
// builds. The cache lives in a private XDG_CACHE_HOME here.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

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
    auto scheduled = nnc::test::run_nnc(model.string() + " --scheduler Mullapudi2016 -o " + (dir / "b" / "m.so").string());
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

}  // namespace
