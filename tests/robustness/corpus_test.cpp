// The bad-input corpus (corpus/expectations.txt) run through the nnc binary: every malformed
// model, data file, checkpoint and library must give a clear error naming the file and the place,
// exit with the expected status, finish within a timeout (no hang), crash nothing (no signal, no
// sanitizer report, no internal error) and leave no output behind.
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/run_nnc.h"
#include "tests/e2e/text_file.h"

namespace fs = std::filesystem;

namespace {

constexpr int kTimeoutSeconds = 120;

struct Outcome {
    int status = -1;  // the exit status; -1 when killed by a signal (124/137: the timeout)
    std::string output;
    double seconds = 0;
};

// Runs nnc with `args` (leading NAME=value words become its environment) in `cwd`, killed after
// kTimeoutSeconds.
Outcome run_nnc(const std::string& args, const fs::path& cwd) {
    std::string env, rest = args;
    while (true) {
        const size_t space = rest.find(' '), eq = rest.find('=');
        if (space == std::string::npos || eq == std::string::npos || eq > space || rest[0] == '-' || rest[0] == '/')
            break;
        env += rest.substr(0, space + 1);
        rest = rest.substr(space + 1);
    }
    const std::string cmd = "cd '" + cwd.string() + "' && " + env + "timeout -s KILL " +
                            std::to_string(kTimeoutSeconds) + " " + NNC_BINARY + " " + rest;
    const auto start = std::chrono::steady_clock::now();
    const nnc::test::Result r = nnc::test::run_shell(cmd);
    Outcome o;
    o.status = r.status;
    o.output = r.output;
    o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return o;
}

void write_file(const fs::path& path, const std::string& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

std::string be32(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

std::string idx_images(uint32_t count, uint32_t rows, uint32_t cols, size_t pixels) {
    std::string s = be32(0x803) + be32(count) + be32(rows) + be32(cols);
    for (size_t i = 0; i < pixels; ++i) s += char(i * 37 % 256);
    return s;
}

std::string idx_labels(uint32_t count, int classes) {
    std::string s = be32(0x801) + be32(count);
    for (uint32_t i = 0; i < count; ++i) s += char(i % classes);
    return s;
}

std::string gzip(const std::string& bytes) {
    z_stream z{};
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, bytes.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z.avail_in = static_cast<uInt>(bytes.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

// An IDX folder for `nnc train --data`: train-* (and t10k-*, the same) files.
void idx_folder(const fs::path& dir, const std::string& images, const std::string& labels) {
    for (const char* split : {"train", "t10k"}) {
        write_file(dir / (std::string(split) + "-images-idx3-ubyte.gz"), images);
        write_file(dir / (std::string(split) + "-labels-idx1-ubyte.gz"), labels);
    }
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

std::string trim(const std::string& s) {
    const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t\r");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

class Corpus : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        char pattern[] = "/tmp/nnc_corpus_XXXXXX";
        root_ = mkdtemp(pattern);
        gen_ = root_ / "gen";
        fs::create_directories(gen_);
        fs::create_directories(root_ / "cwd");
        generate_inputs();
    }
    static void TearDownTestSuite() {
        if (!::testing::Test::HasFailure()) fs::remove_all(root_);
    }

    static void must(const std::string& args) {
        const Outcome o = run_nnc(args, root_ / "cwd");
        ASSERT_EQ(o.status, 0) << "setup: nnc " << args << "\n" << o.output;
    }

    static void generate_inputs() {
        const std::string corpus = NNC_CORPUS_DIR;
        // Text that hostile files are made of.
        const std::string hdr = "model m {\n  input x: [4]\n  target y: classes(2)\n";
        const std::string ftr = "  loss = softmax_cross_entropy(z, y)\n}\n";
        std::string calls, brackets;
        for (int i = 0; i < 100000; ++i) calls += "relu(";
        calls += "x";
        for (int i = 0; i < 100000; ++i) calls += ")";
        for (int i = 0; i < 100000; ++i) brackets += "[";
        write_file(gen_ / "deep_calls.nn", hdr + "  z = " + calls + "\n" + ftr);
        write_file(gen_ / "deep_brackets.nn", hdr + "  z = dense(x, units=" + brackets + "\n" + ftr);
        write_file(gen_ / "long_line.nn", hdr + "  z = dense(x, units=2) " + std::string(10'000'000, 'a') + "\n" + ftr);
        write_file(gen_ / "long_name.nn", hdr + "  z = " + std::string(10'000'000, 'a') + "(x)\n" + ftr);
        std::string many;
        for (int i = 0; i < 5000; ++i) many += "  z" + std::to_string(i) + " = densse(x, 2)\n";
        write_file(gen_ / "many_errors.nn", hdr + "  z = densse(x, 2)\n" + many + ftr);

        // Two small models, compiled once; a checkpoint of each.
        must(corpus + "/models/regress.nn -o " + (gen_ / "regress.so").string());
        must(corpus + "/models/classify.nn -o " + (gen_ / "classify.so").string());
        std::string csv = "x0,x1,x2,y\n";
        for (int i = 0; i < 20; ++i)
            csv += std::to_string(i) + "," + std::to_string(i % 3) + ",1," + std::to_string(2 * i) + "\n";
        write_file(gen_ / "train.csv", csv);
        must("train " + (gen_ / "regress.so").string() + " --data " + (gen_ / "train.csv").string() +
             " --target y --epochs 1 --out " + (gen_ / "regress_run").string());

        // IDX folders for classify (2x2 images, 3 classes).
        idx_folder(gen_ / "idx_good", gzip(idx_images(10, 2, 2, 40)), gzip(idx_labels(10, 3)));
        must("train " + (gen_ / "classify.so").string() + " --data " + (gen_ / "idx_good").string() +
             " --epochs 1 --out " + (gen_ / "classify_run").string());
        idx_folder(gen_ / "idx_truncated", gzip(idx_images(10, 2, 2, 25)), gzip(idx_labels(10, 3)));
        idx_folder(gen_ / "idx_bad_magic",
                   "\x7f"
                   "ELF" +
                       idx_images(10, 2, 2, 40).substr(4),
                   idx_labels(10, 3));
        idx_folder(gen_ / "idx_swapped", idx_labels(10, 3), idx_images(10, 2, 2, 40));
        idx_folder(gen_ / "idx_count_mismatch", idx_images(10, 2, 2, 40), idx_labels(9, 3));
        // A header promising one 65536 x 65536 image (4 GiB) with no pixels: fails at the end of the
        // data, without allocating what the header claims.
        idx_folder(gen_ / "idx_huge_images", idx_images(1, 65536, 65536, 0), idx_labels(1, 3));
        std::string corrupt = gzip(idx_images(1000, 2, 2, 4000));
        for (size_t i = 20; i < corrupt.size() - 8; i += 7) corrupt[i] = char(corrupt[i] ^ 0x5a);
        idx_folder(gen_ / "idx_corrupt_gzip", corrupt, gzip(idx_labels(1000, 3)));
        idx_folder(gen_ / "idx_wrong_size", idx_images(10, 3, 3, 90), idx_labels(10, 3));

        // Damaged checkpoints and run folders.
        const std::string ckpt = nnc::test::read_text(gen_ / "regress_run" / "last.ckpt");
        write_file(gen_ / "truncated.ckpt", ckpt.substr(0, ckpt.size() / 2));
        std::string flipped = ckpt;
        flipped[flipped.size() / 2] = char(flipped[flipped.size() / 2] ^ 1);
        write_file(gen_ / "flipped.ckpt", flipped);
        fs::copy(gen_ / "regress_run", gen_ / "torn_run");
        write_file(gen_ / "torn_run" / "last.ckpt", ckpt.substr(0, 100));

        // Libraries that are not (this nnc's) models.
        write_file(gen_ / "text.so", "not a shared library\n");
        write_file(gen_ / "truncated.so", nnc::test::read_text(gen_ / "regress.so").substr(0, 4096));
    }

    static std::string expand(std::string s) {
        s = replace_all(s, "{corpus}", NNC_CORPUS_DIR);
        s = replace_all(s, "{gen}", gen_.string());
        s = replace_all(s, "{out}", (root_ / "out").string());
        s = replace_all(s, "{regress}", (gen_ / "regress.so").string());
        s = replace_all(s, "{classify}", (gen_ / "classify.so").string());
        s = replace_all(s, "{regress_ckpt}", (gen_ / "regress_run" / "last.ckpt").string());
        s = replace_all(s, "{classify_ckpt}", (gen_ / "classify_run" / "last.ckpt").string());
        s = replace_all(s, "{not_a_model}", NNC_NOT_A_MODEL_SO);
        s = replace_all(s, "{abi_v2}", NNC_ABI_V2_MODEL_SO);
        return s;
    }

    static inline fs::path root_, gen_;
};

TEST_F(Corpus, EveryBadInputIsRefusedCleanly) {
    std::ifstream in(std::string(NNC_CORPUS_DIR) + "/expectations.txt");
    ASSERT_TRUE(in) << "cannot read expectations.txt";
    int cases = 0;
    std::string line;
    while (std::getline(in, line)) {
        if (trim(line).empty() || trim(line)[0] == '#') continue;
        std::vector<std::string> fields;
        std::stringstream ss(line);
        std::string f;
        while (std::getline(ss, f, '|')) fields.push_back(trim(f));
        ASSERT_EQ(fields.size(), 4u) << "malformed expectations line: " << line;
        const std::string& name = fields[0];
        SCOPED_TRACE("case " + name + ": nnc " + expand(fields[1]));
        ++cases;
        const fs::path out = root_ / "out";
        fs::remove_all(out);
        fs::create_directories(out);
        const Outcome o = run_nnc(expand(fields[1]), root_ / "cwd");
        std::printf("[case] %-22s exit %3d  %6.2f s\n", name.c_str(), o.status, o.seconds);
        EXPECT_EQ(o.status, std::stoi(fields[2])) << o.output.substr(0, 4000);
        EXPECT_NE(o.output.find(expand(fields[3])), std::string::npos)
            << "expected: " << expand(fields[3]) << "\ngot: " << o.output.substr(0, 4000);
        for (const char* bad :
             {"internal error", "Sanitizer", "runtime error:", "terminate called", "Segmentation", "Aborted"})
            EXPECT_EQ(o.output.find(bad), std::string::npos) << bad << " in:\n" << o.output.substr(0, 4000);
        // A readable message, not the whole input echoed back.
        EXPECT_LT(o.output.size(), 100000u);
        EXPECT_LT(o.seconds, kTimeoutSeconds);
        EXPECT_TRUE(fs::is_empty(out)) << "output left behind in " << out;
        EXPECT_TRUE(fs::is_empty(root_ / "cwd")) << "files written to the working folder";
    }
    EXPECT_GE(cases, 60);
    std::printf("%d bad inputs refused\n", cases);
}

}  // namespace
