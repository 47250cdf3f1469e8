// `nnc --autotune` and `nnc tune-kernels` as a user runs them: tune-kernels writes this machine's
// entry for the model's layer into the tuning file and reports it; a tuning with non-default
// knobs changes the built code and the build cache's key; --autotune=off, or a tuning equal to
// the defaults, gives exactly the hand templates' code; the default mode tunes what the cache
// lacks once; a target for another machine takes its shipped tuning and says so. The caches and
// the shipped tunings live in a private folder; NNC_AUTOTUNE (off for the rest of the suite) is
// set here.
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>

#include "tests/e2e/run_nnc.h"

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

// A private folder with a one-layer model, the caches and the shipped tunings in it, and
// NNC_AUTOTUNE unset (the default mode, cached) while it lives.
class Scratch {
public:
    explicit Scratch(const std::string& name)
        : dir(fs::temp_directory_path() / ("nnc-autotune-" + name + "-" + std::to_string(getpid()))) {
        fs::remove_all(dir);
        fs::create_directories(dir / "shipped");
        setenv("XDG_CACHE_HOME", (dir / "cache").c_str(), 1);
        setenv("NNC_SHIPPED_TUNINGS", (dir / "shipped").c_str(), 1);
        unsetenv("NNC_AUTOTUNE");
        std::ofstream(model) << "model m {\n  input x: [40]\n  target y: [70]\n  fc = dense(x, 70)\n"
                                "  loss = mse(fc, y)\n  train {\n    batch = 16\n  }\n}\n";
    }
    ~Scratch() {
        unsetenv("XDG_CACHE_HOME");
        unsetenv("NNC_SHIPPED_TUNINGS");
        setenv("NNC_AUTOTUNE", "off", 1);
        fs::remove_all(dir);
    }
    const fs::path dir;
    const fs::path model = dir / "m.nn", tuning = dir / "tuning.json";
    // The model and the tuning file, for a command line.
    std::string nnc_model() const { return model.string() + " --tuning-cache " + tuning.string() + " "; }
};

bool has(const nnc::test::Result& r, const std::string& text) { return r.output.find(text) != std::string::npos; }

TEST(Autotune, TuningChangesTheCodeAndTheCacheKeyAndOffGivesTheTemplates) {
    const Scratch s("code");
    const fs::path& dir = s.dir;
    const fs::path& tuning = s.tuning;
    const std::string nnc_model = s.nnc_model();

    // Budget 0: only the defaults are timed, and saved as this machine's tuning (no knob changed).
    auto tuned = nnc::test::run_nnc("tune-kernels " + nnc_model + "--mode quick --budget 0 --save-shipped " +
                                    (dir / "to_ship").string());
    ASSERT_EQ(tuned.status, 0) << tuned.output;
    nlohmann::json doc = nlohmann::json::parse(bytes(tuning));
    ASSERT_EQ(doc["machines"].size(), 1u) << doc.dump(2);
    nlohmann::json& machine = doc["machines"].begin().value();
    ASSERT_EQ(machine["layers"].size(), 1u) << doc.dump(2);
    const std::string signature = machine["layers"].begin().key();
    EXPECT_NE(signature.find("dense in=[40] out=[70]"), std::string::npos) << signature;
    EXPECT_NE(signature.find("batch=16"), std::string::npos) << signature;
    EXPECT_TRUE(machine["layers"][signature]["knobs"].empty()) << doc.dump(2);
    EXPECT_EQ(machine["layers"][signature]["ratio"], 1.0) << doc.dump(2);
    EXPECT_TRUE(machine["layers"][signature].contains("spread")) << doc.dump(2);
    // The report: each layer's default and tuned time, the ratio with its spread, where it saved.
    for (const char* column : {"default", "tuned", "ratio", "where it saved", "dense [40]->[70] (fc)", "1.00x +-0.00"})
        EXPECT_TRUE(has(tuned, column)) << column << "\n" << tuned.output;
    EXPECT_TRUE(has(tuned, "saved in " + tuning.string())) << tuned.output;
    // --save-shipped: this machine's entries in a file named by its CPU, as schedules/tunings holds.
    const std::string cpu = machine["cpu_model"];
    const fs::path shipped_file =
        dir / "to_ship" / (std::regex_replace(cpu, std::regex("[^A-Za-z0-9.-]"), "_") + ".json");
    ASSERT_TRUE(fs::exists(shipped_file)) << tuned.output;
    EXPECT_EQ(nlohmann::json::parse(bytes(shipped_file))["machines"], doc["machines"]);

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
}

TEST(Autotune, TheDefaultModeTunesWhatTheCacheLacksOnceAndOffMeasuresNothing) {
    const Scratch s("cached");
    const std::string lib = " -o " + (s.dir / "m.so").string();
    // A short budget keeps the test short; the search stops at it and says so.
    auto first = nnc::test::run_nnc(s.nnc_model() + "--tune-budget 3" + lib);
    ASSERT_EQ(first.status, 0) << first.output;
    EXPECT_TRUE(has(first, "tuning 1 layer signature(s)")) << first.output;
    EXPECT_TRUE(std::regex_search(first.output, std::regex("dense \\[40\\]->\\[70\\] \\(fc\\): [0-9]+ candidates?")))
        << first.output;
    EXPECT_TRUE(has(first, "nnc: tuning: this machine's (" + s.tuning.string() + "), 1 of 1 layers")) << first.output;
    ASSERT_TRUE(fs::exists(s.tuning));
    const std::string saved = bytes(s.tuning);

    // The second compile measures nothing, whatever the first found (the defaults included).
    auto second = nnc::test::run_nnc(s.nnc_model() + "--tune-budget 3" + lib);
    ASSERT_EQ(second.status, 0) << second.output;
    EXPECT_FALSE(has(second, "layer signature(s)")) << second.output;
    EXPECT_TRUE(copied(second)) << second.output;
    EXPECT_EQ(bytes(s.tuning), saved);

    // NNC_AUTOTUNE=off (what the test suite sets) reads and measures nothing.
    const fs::path other = s.dir / "other.json";
    setenv("NNC_AUTOTUNE", "off", 1);
    auto off = nnc::test::run_nnc(s.model.string() + " --tuning-cache " + other.string() + lib);
    EXPECT_EQ(off.status, 0) << off.output;
    EXPECT_FALSE(has(off, "tuning")) << off.output;
    EXPECT_FALSE(fs::exists(other));
    setenv("NNC_AUTOTUNE", "fast", 1);
    auto bad = nnc::test::run_nnc(s.nnc_model() + lib);
    EXPECT_NE(bad.status, 0);
    EXPECT_TRUE(has(bad, "NNC_AUTOTUNE=fast: use off, cached, quick or thorough")) << bad.output;
}

// A shipped tuning file holding one machine: `cpu` with `isa`, the dense layer's knobs.
void write_shipped(const fs::path& file, const std::string& cpu, const std::string& isa, const std::string& halide,
                   const std::string& signature, int cores = 2) {
    nlohmann::json m = {{"cpu_model", cpu}, {"isa", isa}, {"cores", cores}, {"halide_version", halide}};
    m["layers"][signature] = {
        {"knobs", {{"fwd.rows", 4}}}, {"seconds", 1e-4}, {"default_seconds", 2e-4}, {"ratio", 0.5}, {"spread", 0.01},
        {"mode", "thorough"}};
    const std::string id = cpu + " | " + isa + " | " + std::to_string(cores) + " threads | Halide " + halide;
    std::ofstream(file) << nlohmann::json{{"format", "nnc tuning cache 1"}, {"machines", {{id, m}}}}.dump(2);
}

TEST(Autotune, ATargetForAnotherMachineTakesItsShippedTuningOrTheDefaultsAndSaysWhich) {
    const Scratch s("target");
    const std::string version = nnc::test::run_nnc("--version").output;
    std::smatch halide;
    ASSERT_TRUE(std::regex_search(version, halide, std::regex("Halide ([0-9.]+)"))) << version;
    // The layer's signature as tune-kernels writes it.
    ASSERT_EQ(nnc::test::run_nnc("tune-kernels " + s.nnc_model() + "--mode quick --budget 0").status, 0);
    const nlohmann::json doc = nlohmann::json::parse(bytes(s.tuning));
    const std::string signature = doc["machines"].begin().value()["layers"].begin().key();

    const std::string target = "x86-64-linux-sse41";
    write_shipped(s.dir / "shipped" / "Far_CPU_9000.json", "Far CPU 9000", target, halide[1], signature);
    const std::string common = s.model.string() + " --target " + target + " --emit-dir ";
    auto shipped = nnc::test::run_nnc(common + (s.dir / "shipped_emit").string() + " --tuning-for 'Far CPU 9000' -o " +
                                      (s.dir / "a.so").string());
    ASSERT_EQ(shipped.status, 0) << shipped.output;
    EXPECT_TRUE(has(shipped, "nnc: tuning: shipped for Far CPU 9000 (" +
                                 (s.dir / "shipped" / "Far_CPU_9000.json").string() + "), 1 of 1 layers"))
        << shipped.output;
    // Without --tuning-for the target's ISA finds it too (the build cache copies that build).
    auto by_isa = nnc::test::run_nnc(s.model.string() + " --target " + target + " -o " + (s.dir / "b.so").string());
    EXPECT_TRUE(has(by_isa, "nnc: tuning: shipped for Far CPU 9000")) << by_isa.output;

    // Another CPU: no tuning for it; the defaults, said, and other code than the tuned build's.
    auto none = nnc::test::run_nnc(common + (s.dir / "defaults_emit").string() + " --tuning-for 'Near CPU' -o " +
                                   (s.dir / "c.so").string());
    ASSERT_EQ(none.status, 0) << none.output;
    EXPECT_TRUE(has(none, "nnc: tuning: template defaults: no tuning for target " + target + " from CPU \"Near CPU\""))
        << none.output;
    EXPECT_NE(stmts(s.dir / "defaults_emit"), stmts(s.dir / "shipped_emit"));

    // This machine's CPU: the tuning shipped for it applies where its own cache lacks the layer,
    // and nothing is measured.
    const nlohmann::json& host = doc["machines"].begin().value();
    const std::string cpu = host["cpu_model"];
    const fs::path host_file =
        s.dir / "shipped" / (std::regex_replace(cpu, std::regex("[^A-Za-z0-9.-]"), "_") + ".json");
    write_shipped(host_file, cpu, host["isa"], host["halide_version"], signature, host["cores"]);
    const fs::path empty = s.dir / "empty.json";
    auto on_host =
        nnc::test::run_nnc(s.model.string() + " --tuning-cache " + empty.string() + " -o " + (s.dir / "e.so").string());
    ASSERT_EQ(on_host.status, 0) << on_host.output;
    EXPECT_TRUE(has(on_host, "nnc: tuning: shipped for " + cpu + " (" + host_file.string() + "), 1 of 1 layers"))
        << on_host.output;
    EXPECT_FALSE(has(on_host, "layer signature(s)")) << on_host.output;
    EXPECT_FALSE(fs::exists(empty));

    // A corrupt shipped file stops the build with its name and the byte where it breaks.
    std::ofstream(s.dir / "shipped" / "Bad_CPU.json") << "{\"format\": \"nnc tuning cache 1\",\n \"machines\": [}";
    auto bad = nnc::test::run_nnc(common + (s.dir / "bad_emit").string() + " --tuning-for 'Bad CPU' -o " +
                                  (s.dir / "d.so").string());
    EXPECT_NE(bad.status, 0);
    EXPECT_TRUE(has(bad, (s.dir / "shipped" / "Bad_CPU.json").string() + ": byte 48")) << bad.output;
    EXPECT_FALSE(fs::exists(s.dir / "d.so"));
}

TEST(Autotune, RejectsAnUnknownMode) {
    auto r = nnc::test::run_nnc("model.nn --autotune=fast -o m.so");
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.output.find("--autotune"), std::string::npos) << r.output;
}

}  // namespace
