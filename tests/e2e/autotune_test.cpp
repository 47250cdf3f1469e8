// `nnc --autotune` and `nnc tune-kernels` as a user runs them: tune-kernels writes this machine's
// entry for the model's layer into the tuning file; a tuning with non-default knobs changes the
// built code and the build cache's key; --autotune=off, or a tuning equal to the defaults, gives
// exactly the hand templates' code. The caches live in a private folder.
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"

namespace {
namespace fs = std::filesystem;

std::string bytes(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

// Every lowered stmt an --emit-dir holds, in name order.
std::string stmts(const fs::path& dir) {
    std::map<std::string, std::string> by_name;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".stmt") by_name[e.path().filename().string()] = bytes(e.path());
    std::string all;
    for (const auto& [name, text] : by_name) all += name + "\n" + text;
    return all;
}

bool built(const nnc::test::Result& r) { return r.output.find("(schedule ") != std::string::npos; }
bool copied(const nnc::test::Result& r) { return r.output.find("unchanged model: copied") != std::string::npos; }

TEST(Autotune, TuningChangesTheCodeAndTheCacheKeyAndOffGivesTheTemplates) {
    const nnc::test::ScratchFolder scratch("nnc-autotune-" + std::to_string(getpid()));
    const fs::path& dir = scratch.dir();
    ASSERT_EQ(setenv("XDG_CACHE_HOME", (dir / "cache").c_str(), 1), 0);
    const fs::path model = dir / "m.nn", tuning = dir / "tuning.json";
    std::ofstream(model) << "model m {\n  input x: [40]\n  target y: [70]\n  fc = dense(x, 70)\n"
                            "  loss = mse(fc, y)\n  train {\n    batch = 16\n  }\n}\n";
    const std::string nnc_model = model.string() + " --tuning-cache " + tuning.string() + " ";

    // Budget 0: only the defaults are timed, and saved as this machine's tuning (no knob changed).
    auto tuned = nnc::test::run_nnc("tune-kernels " + nnc_model + "--mode quick --budget 0");
    ASSERT_EQ(tuned.status, 0) << tuned.output;
    nlohmann::json doc = nlohmann::json::parse(bytes(tuning));
    ASSERT_EQ(doc["machines"].size(), 1u) << doc.dump(2);
    nlohmann::json& machine = doc["machines"].begin().value();
    ASSERT_EQ(machine["layers"].size(), 1u) << doc.dump(2);
    const std::string signature = machine["layers"].begin().key();
    EXPECT_NE(signature.find("dense in=[40] out=[70]"), std::string::npos) << signature;
    EXPECT_NE(signature.find("batch=16"), std::string::npos) << signature;
    EXPECT_TRUE(machine["layers"][signature]["knobs"].empty()) << doc.dump(2);

    auto off = nnc::test::run_nnc(nnc_model + "--autotune=off -o " + (dir / "off.so").string() + " --emit-dir " +
                                  (dir / "off").string());
    ASSERT_EQ(off.status, 0) << off.output;
    auto defaults =
        nnc::test::run_nnc(nnc_model + "-o " + (dir / "d.so").string() + " --emit-dir " + (dir / "defaults").string());
    ASSERT_EQ(defaults.status, 0) << defaults.output;
    EXPECT_FALSE(stmts(dir / "off").empty());
    EXPECT_EQ(stmts(dir / "defaults"), stmts(dir / "off"));

    // A tuning with other knobs: other code, unless --autotune=off.
    machine["layers"][signature]["knobs"] = {{"fwd.rows", 4}, {"fwd.columns_outer", 1}};
    std::ofstream(tuning) << doc.dump(2);
    auto other =
        nnc::test::run_nnc(nnc_model + "-o " + (dir / "t.so").string() + " --emit-dir " + (dir / "tuned").string());
    ASSERT_EQ(other.status, 0) << other.output;
    EXPECT_NE(stmts(dir / "tuned"), stmts(dir / "off"));
    auto off_again = nnc::test::run_nnc(nnc_model + "--autotune=off -o " + (dir / "off2.so").string() + " --emit-dir " +
                                        (dir / "off2").string());
    ASSERT_EQ(off_again.status, 0) << off_again.output;
    EXPECT_EQ(stmts(dir / "off2"), stmts(dir / "off"));

    // The build cache: the same tuning copies; a new tuning builds again.
    const std::string to_lib = "-o " + (dir / "lib" / "m.so").string();
    fs::create_directories(dir / "lib");
    auto first = nnc::test::run_nnc(nnc_model + to_lib);
    EXPECT_TRUE(built(first)) << first.output;
    auto same = nnc::test::run_nnc(nnc_model + to_lib);
    EXPECT_TRUE(copied(same)) << same.output;
    machine["layers"][signature]["knobs"] = {{"fwd.rows", 6}};
    std::ofstream(tuning) << doc.dump(2);
    auto retuned = nnc::test::run_nnc(nnc_model + to_lib);
    EXPECT_TRUE(built(retuned)) << retuned.output;

    unsetenv("XDG_CACHE_HOME");
}

TEST(Autotune, RejectsAnUnknownMode) {
    auto r = nnc::test::run_nnc("model.nn --autotune=fast -o m.so");
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.output.find("--autotune"), std::string::npos) << r.output;
}

}  // namespace
