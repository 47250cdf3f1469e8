// Golden diagnostics: each malformed/NAME.nn is compiled against the real op catalog (codegen/layers) and its full
// rendered diagnostics must equal malformed/NAME.expected. The path in messages is just the file
// name, so the output does not depend on where the tree is checked out.
// NNC_UPDATE_GOLDEN=1 rewrites the .expected files instead of comparing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "codegen/layers/layer_registry.h"
#include "dsl/frontend.h"

namespace nnc::dsl {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> malformed_files() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(NNC_MALFORMED_DIR))
        if (e.path().extension() == ".nn") out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, RendersExpectedDiagnostics) {
    const fs::path dir = NNC_MALFORMED_DIR;
    const std::string name = GetParam();
    SourceFile file(name, read_file(dir / name));
    Diagnostics diags;
    const auto model = compile_model(file, codegen::layer_catalog(), diags);
    EXPECT_FALSE(model.has_value()) << name << " should not compile";
    EXPECT_GT(diags.error_count(), 0);
    const std::string rendered = diags.render();
    const fs::path expected_path = dir / fs::path(name).replace_extension(".expected");
    if (const char* u = std::getenv("NNC_UPDATE_GOLDEN"); u && std::string(u) == "1") {
        std::ofstream(expected_path, std::ios::binary) << rendered;
        return;
    }
    ASSERT_TRUE(fs::exists(expected_path)) << "missing " << expected_path << "; run with NNC_UPDATE_GOLDEN=1";
    EXPECT_EQ(read_file(expected_path), rendered);
}

TEST(Golden, FolderIsNotEmpty) { EXPECT_GE(malformed_files().size(), 20u); }

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string s = fs::path(info.param).stem().string();
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return s;
}

INSTANTIATE_TEST_SUITE_P(Malformed, Golden, ::testing::ValuesIn(malformed_files()), test_name);

}  // namespace
}  // namespace nnc::dsl
