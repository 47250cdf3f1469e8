// The values nnc train and its neighbours take and refuse, on a small token model and .npy data:
// every train setting has a flag, an optimizer's name means one thing everywhere, token ids are
// never standardized, non-finite weights and out-of-range labels are refused with their place
// named, a misspelled command is named, and a comma inside a target file's name is kept.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/e2e/metrics_log.h"
#include "tests/e2e/npy_file.h"
#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"
#include "tests/e2e/text_file.h"

namespace {
namespace fs = std::filesystem;

using nlohmann::json;
using nnc::test::npy_bytes;
using nnc::test::read_text;
using nnc::test::Result;
using nnc::test::write_npy;
using nnc::test::write_text;

// A stored (uncompressed) zip of .npy members: an .npz as numpy.savez writes it.
void write_npz(const fs::path& path, const std::vector<std::pair<std::string, std::string>>& members) {
    std::string out, directory;
    auto put = [](std::string& s, uint64_t v, int n) {
        for (int i = 0; i < n; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
    };
    for (const auto& [name, data] : members) {
        const uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(data.data()), data.size()));
        const uint64_t offset = out.size();
        for (std::string* s : {&out, &directory}) {
            put(*s, s == &out ? 0x04034b50 : 0x02014b50, 4);
            if (s == &directory) put(*s, 20, 2);
            put(*s, 20, 2), put(*s, 0, 2), put(*s, 0, 2), put(*s, 0, 2), put(*s, 0x21, 2);
            put(*s, crc, 4), put(*s, data.size(), 4), put(*s, data.size(), 4);
            put(*s, name.size(), 2), put(*s, 0, 2);
            if (s == &directory) put(*s, 0, 2), put(*s, 0, 2), put(*s, 0, 2), put(*s, 0, 4), put(*s, offset, 4);
            *s += name;
        }
        out += data;
    }
    const uint64_t dir_offset = out.size();
    out += directory;
    put(out, 0x06054b50, 4), put(out, 0, 2), put(out, 0, 2), put(out, members.size(), 2);
    put(out, members.size(), 2), put(out, directory.size(), 4), put(out, dir_offset, 4), put(out, 0, 2);
    write_text(path, out);
}

// Token ids in [0, 10), four per sample; the class is the first token's remainder by 3.
const char* kTokenModel = R"(model tok {
  input  tokens: int32[4]
  target label: classes(3)
  embed  = embedding(tokens, vocab=10, dim=4)
  flat   = flatten(embed)
  logits = dense(flat, 3)
  loss = softmax_cross_entropy(logits, label)
  train {
    optimizer = adam(lr=3e-3)
    batch     = 16
    epochs    = 2
  }
}
)";

class CliValues : public ::testing::Test {
protected:
    // One compiled token model for the suite, through a cache in the build tree that outlives it:
    // ctest runs each test in a process of its own, and only the first compiles.
    static void SetUpTestSuite() {
        suite.emplace("nnc-cli-values-" + std::to_string(::getpid()));
        setenv("XDG_CACHE_HOME", NNC_TEST_CACHE, 1);
        write_text(suite->dir() / "tok.nn", kTokenModel);
        compiled = nnc::test::run_nnc(suite->path("tok.nn") + " -q -o " + so());
    }
    static void TearDownTestSuite() {
        unsetenv("XDG_CACHE_HOME");
        suite.reset();
    }
    void SetUp() override {
        ASSERT_EQ(compiled.status, 0) << compiled.output;
        dir = suite->dir() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
        fs::create_directories(dir);
        std::vector<int32_t> tokens(64 * 4), labels(64);
        uint32_t state = 12345;
        for (int32_t& t : tokens) t = static_cast<int32_t>((state = state * 1103515245u + 12345u) >> 16) % 10;
        for (size_t i = 0; i < labels.size(); ++i) labels[i] = tokens[i * 4] % 3;
        write_npy(dir / "tokens.npy", {64, 4}, tokens);
        write_npy(dir / "labels.npy", {64}, labels);
    }
    Result run(const std::string& args) const { return nnc::test::run_nnc(args); }
    // nnc train on the token data into dir/<out>.
    Result train(const std::string& out, const std::string& more) const {
        return run("train " + so() + " --data " + (dir / "tokens.npy").string() + " --target " +
                   (dir / "labels.npy").string() + " --validation 16 --out " + (dir / out).string() + " " + more);
    }
    json config(const std::string& run_name) const { return json::parse(read_text(dir / run_name / "config.json")); }
    // The epoch lines' training losses: what makes two runs differ.
    std::vector<double> losses(const std::string& run_name) const {
        std::vector<double> out;
        for (const json& e : nnc::test::metrics_of_type(dir / run_name, "epoch"))
            out.push_back(e.at("train_loss").get<double>());
        return out;
    }
    static std::string so() { return suite->path("tok.so"); }

    static inline std::optional<nnc::test::ScratchFolder> suite;
    static inline Result compiled;
    fs::path dir;
};

// ---- every train setting has a flag ----

TEST_F(CliValues, TrainHelpNamesEveryTrainSetting) {
    const Result r = run("train --help");
    ASSERT_EQ(r.status, 0) << r.output;
    for (const char* flag : {"--optimizer", "--lr", "--momentum", "--weight-decay", "--batch", "--epochs", "--seed",
                             "--validation", "--schedule", "--warmup", "--clip-norm", "--clip-value",
                             "--early-stopping", "--accumulate", "--on-divergence"})
        EXPECT_NE(r.output.find(flag), std::string::npos) << flag << " missing in:\n" << r.output;
    EXPECT_NE(r.output.find("sgd has momentum 0.9"), std::string::npos) << r.output;
}

TEST_F(CliValues, WeightDecayAndMomentumAreRecordedAndChangeTraining) {
    ASSERT_EQ(train("base", "--optimizer sgd --epochs 3").status, 0);
    const Result wd = train("wd", "--optimizer sgd --epochs 3 --weight-decay 0.5");
    ASSERT_EQ(wd.status, 0) << wd.output;
    const Result mom = train("mom", "--optimizer sgd --epochs 3 --momentum 0.2");
    ASSERT_EQ(mom.status, 0) << mom.output;
    EXPECT_DOUBLE_EQ(config("base")["optimizer"]["weight_decay"].get<double>(), 0.0);
    EXPECT_DOUBLE_EQ(config("wd")["optimizer"]["weight_decay"].get<double>(), 0.5);
    EXPECT_DOUBLE_EQ(config("mom")["optimizer"]["momentum"].get<double>(), 0.2);
    EXPECT_NE(losses("wd"), losses("base"));
    EXPECT_NE(losses("mom"), losses("base"));
    // adam has no momentum: refused, nothing written.
    const Result refused = train("adam", "--momentum 0.5");
    EXPECT_NE(refused.status, 0);
    EXPECT_NE(refused.output.find("--momentum: adam has no momentum"), std::string::npos) << refused.output;
    EXPECT_FALSE(fs::exists(dir / "adam"));
}

TEST_F(CliValues, OptimizerWarmupAndEarlyStoppingTakeTheTrainSectionsWords) {
    ASSERT_EQ(train("base", "--epochs 3").status, 0);
    const Result r = train("full",
                           "--epochs 3 --optimizer 'sgd(lr=0.05, nesterov=true)' --warmup 'warmup(epochs=2)' "
                           "--early-stopping 'early_stopping(monitor=val_accuracy, patience=7)'");
    ASSERT_EQ(r.status, 0) << r.output;
    const json c = config("full");
    EXPECT_EQ(c["optimizer"]["name"], "sgd");
    EXPECT_DOUBLE_EQ(c["optimizer"]["lr"].get<double>(), 0.05);
    EXPECT_EQ(c["optimizer"]["nesterov"], 1);
    EXPECT_EQ(c["train"]["schedule"]["warmup_epochs"], 2);
    EXPECT_EQ(c["train"]["early_stopping"]["enabled"], 1);
    EXPECT_EQ(c["train"]["early_stopping"]["patience"], 7);
    EXPECT_NE(r.output.find("early stopping on val_accuracy"), std::string::npos) << r.output;
    EXPECT_NE(losses("full"), losses("base"));
    // A bad value is refused with the train section's words, before a run folder exists.
    const Result bad = train("bad", "--optimizer 'sgd(lr=-1)'");
    EXPECT_NE(bad.status, 0);
    EXPECT_NE(bad.output.find("'lr' of sgd must be greater than 0"), std::string::npos) << bad.output;
    EXPECT_FALSE(fs::exists(dir / "bad"));
}

// ---- one optimizer, one meaning ----

// `--optimizer sgd` on a model that trains with Adam is the same run as `optimizer = sgd` in the
// file (momentum 0.9), and tune's sgd trials have that momentum too.
TEST_F(CliValues, OptimizerFlagMeansWhatTheFileMeans) {
    std::string text = kTokenModel;
    text.replace(text.find("adam(lr=3e-3)"), 13, "sgd");
    write_text(dir / "sgd.nn", text);
    const Result compiled_sgd = run((dir / "sgd.nn").string() + " -q -o " + (dir / "sgd.so").string());
    ASSERT_EQ(compiled_sgd.status, 0) << compiled_sgd.output;
    const Result by_flag = train("flag", "--optimizer sgd");
    ASSERT_EQ(by_flag.status, 0) << by_flag.output;
    const Result by_file =
        run("train " + (dir / "sgd.so").string() + " --data " + (dir / "tokens.npy").string() + " --target " +
            (dir / "labels.npy").string() + " --validation 16 --out " + (dir / "file").string());
    ASSERT_EQ(by_file.status, 0) << by_file.output;
    EXPECT_EQ(config("flag")["optimizer"], config("file")["optimizer"]);
    EXPECT_DOUBLE_EQ(config("flag")["optimizer"]["momentum"].get<double>(), 0.9);
    EXPECT_NE(by_flag.output.find("sgd lr=0.01 momentum=0.9,"), std::string::npos) << by_flag.output;
    EXPECT_EQ(losses("flag"), losses("file"));

    const Result tune =
        run("tune " + so() + " --data " + (dir / "tokens.npy").string() + " --target " + (dir / "labels.npy").string() +
            " --optimizer sgd --epochs 1 --validation 16 --out " + (dir / "tune").string());
    ASSERT_EQ(tune.status, 0) << tune.output;
    EXPECT_NE(read_text(dir / "tune" / "tune.csv").find(",sgd,0.9,"), std::string::npos)
        << read_text(dir / "tune" / "tune.csv");
}

// ---- token ids are never standardized ----

TEST_F(CliValues, TokenIdsAreNotStandardizedAndAskingIsRefusedByTheFlag) {
    const Result r = train("auto", "--epochs 1");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output.find("standardized: inputs"), std::string::npos) << r.output;
    for (const char* mode : {"inputs", "both"}) {
        const Result refused = train(mode, std::string("--standardize ") + mode);
        EXPECT_NE(refused.status, 0);
        EXPECT_NE(refused.output.find(std::string("--standardize ") + mode + ": model 'tok' takes int32 token ids"),
                  std::string::npos)
            << refused.output;
        EXPECT_EQ(refused.output.find("nnc_model_fit_standardization"), std::string::npos) << refused.output;
        EXPECT_FALSE(fs::exists(dir / mode));
    }
}

// ---- non-finite weights ----

TEST_F(CliValues, NonFiniteWeightsAreRefusedWithTheirPlace) {
    std::vector<float> table(40, 0.1f), weight(48, 0.1f), bias(3, 0.0f);
    table[7] = NAN;
    write_npz(dir / "nan.npz", {{"embed.weight.npy", npy_bytes({10, 4}, table)},
                                {"logits.weight.npy", npy_bytes({16, 3}, weight)},
                                {"logits.bias.npy", npy_bytes({3}, bias)}});
    const std::string data = " --data " + (dir / "tokens.npy").string() + " --target " + (dir / "labels.npy").string();
    const Result npz = run("eval " + so() + " --weights " + (dir / "nan.npz").string() + data);
    EXPECT_NE(npz.status, 0) << npz.output;
    EXPECT_NE(npz.output.find("nan.npz': element 7 of array 'embed.weight' is NaN"), std::string::npos) << npz.output;
    EXPECT_EQ(npz.output.find("loss nan"), std::string::npos) << npz.output;

    // A real checkpoint with one bias made infinite (and its CRC-32 made right again).
    ASSERT_EQ(train("run", "--epochs 1").status, 0);
    std::string ckpt = read_text(dir / "run" / "last.ckpt");
    const size_t name = ckpt.find("logits.bias");
    ASSERT_NE(name, std::string::npos);
    const size_t at = name + 11 + 4 + 8 + 2 * sizeof(float);  // the name, rank 1, its dim, element 2
    const float inf = INFINITY;
    std::memcpy(&ckpt[at], &inf, sizeof inf);
    const uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(ckpt.data()), ckpt.size() - 4));
    std::memcpy(&ckpt[ckpt.size() - 4], &crc, 4);
    write_text(dir / "inf.ckpt", ckpt);
    const Result loaded = run("eval " + so() + " --weights " + (dir / "inf.ckpt").string() + data);
    EXPECT_NE(loaded.status, 0) << loaded.output;
    EXPECT_NE(loaded.output.find("inf.ckpt' at byte offset " + std::to_string(at) +
                                 ": element 2 of parameter 'logits.bias' is infinite"),
              std::string::npos)
        << loaded.output;
}

// ---- out-of-range labels ----

TEST_F(CliValues, OutOfRangeLabelsNameTheFileThePositionAndTheRange) {
    std::vector<int32_t> labels(64, 1);
    labels[5] = 7;
    write_npy(dir / "bad.npy", {64}, labels);
    const Result npy = run("train " + so() + " --data " + (dir / "tokens.npy").string() + " --target " +
                           (dir / "bad.npy").string() + " --out " + (dir / "npy").string());
    EXPECT_NE(npy.status, 0);
    // The header is 128 bytes; element 5 of int32 starts 20 bytes later.
    EXPECT_NE(npy.output.find("bad.npy' at byte offset 148 (element 5): class 7 of target 'label' is out of range: "
                              "the model has 3 classes (0 to 2)"),
              std::string::npos)
        << npy.output;
    EXPECT_FALSE(fs::exists(dir / "npy"));

    std::string csv = "a,b,c,d,label\n";
    for (int i = 0; i < 20; ++i) csv += "1,2,3,4," + std::string(i == 6 ? "3" : "0") + "\n";
    write_text(dir / "bad.csv", csv);
    const Result c = run("train " + so() + " --data " + (dir / "bad.csv").string() + " --target label --out " +
                         (dir / "csv").string());
    EXPECT_NE(c.status, 0);
    EXPECT_NE(c.output.find("bad.csv:8:9: class 3 of target 'label' is out of range: the model has 3 classes (0 to 2)"),
              std::string::npos)
        << c.output;
    EXPECT_FALSE(fs::exists(dir / "csv"));
}

// An IDX pair as Fashion-MNIST ships it (gzip, big-endian header): 2x2 images and their labels.
void write_idx(const fs::path& dir, const std::string& split, const std::vector<uint8_t>& labels) {
    auto gz = [](const fs::path& path, const std::vector<uint32_t>& header, const std::vector<uint8_t>& body) {
        std::string bytes;
        for (uint32_t v : header)
            for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((v >> shift) & 0xff);
        bytes.append(body.begin(), body.end());
        gzFile f = gzopen(path.c_str(), "wb");
        gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
        gzclose(f);
    };
    const auto n = static_cast<uint32_t>(labels.size());
    gz(dir / (split + "-images-idx3-ubyte.gz"), {0x803, n, 2, 2}, std::vector<uint8_t>(n * 4, 1));
    gz(dir / (split + "-labels-idx1-ubyte.gz"), {0x801, n}, labels);
}

TEST_F(CliValues, OutOfRangeIdxLabelsNameTheFileAndThePosition) {
    fs::create_directories(dir / "idx");
    std::vector<uint8_t> labels(40, 1);
    labels[30] = 9;
    write_idx(dir / "idx", "train", labels);
    write_idx(dir / "idx", "t10k", std::vector<uint8_t>(8, 0));
    const Result r =
        run("train " + so() + " --data " + (dir / "idx").string() + " --validation 8 --out " + (dir / "run").string());
    EXPECT_NE(r.status, 0);
    // Label 30 follows the 8-byte header; the model has 3 classes.
    EXPECT_NE(r.output.find("train-labels-idx1-ubyte.gz' at byte offset 38 of its uncompressed contents (label 30): "
                            "class 9 of target 'label' is out of range: the model 'tok' has 3 classes (0 to 2)"),
              std::string::npos)
        << r.output;
}

// ---- the command line ----

TEST_F(CliValues, AnUnknownCommandIsNamedWithTheNearestOne) {
    const Result r = run("trian " + so());
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.output.find("unknown command 'trian'; did you mean 'train'?"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("commands: check, lint, tune-kernels, ops, train, eval, predict"), std::string::npos)
        << r.output;
    EXPECT_EQ(r.output.find("not expected"), std::string::npos) << r.output;
}

TEST_F(CliValues, ACommaInATargetFileNameIsKept) {
    fs::copy_file(dir / "labels.npy", dir / "lab,els.npy");
    const Result r =
        run("train " + so() + " --data " + (dir / "tokens.npy").string() + " --target " +
            (dir / "lab,els.npy").string() + " --validation 16 --epochs 1 --out " + (dir / "run").string());
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(config("run")["data"]["targets"], fs::absolute(dir / "lab,els.npy").lexically_normal().string());
    // And resumed from config.json, where the path is written as it is.
    const Result resumed = run("train --resume " + (dir / "run").string() + " --epochs 2");
    EXPECT_EQ(resumed.status, 0) << resumed.output;
}

}  // namespace
