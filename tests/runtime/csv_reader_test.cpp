// The CSV reader: headers, target and feature selection, quoting, CR LF, empty lines, and every
// malformed input with its file:line:col.
#include "runtime/csv_reader.h"
#include "runtime/errors.h"
#include "tests/runtime/test_support.h"

namespace {

using nnc::runtime::CsvOptions;
using nnc::runtime::CsvTable;
using nnc::runtime::parse_csv;

// Parses `text` as "data.csv" and expects an Error whose message starts with `prefix` and contains `text_in`.
void expect_error(const std::string& text, const CsvOptions& options, const std::string& prefix,
                  const std::string& text_in, nnc_status status = NNC_ERR_FORMAT) {
    try {
        parse_csv(text, "data.csv", options);
        ADD_FAILURE() << "no error for:\n" << text;
    } catch (const nnc::runtime::Error& e) {
        const std::string message = e.what();
        EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
        EXPECT_NE(message.find(text_in), std::string::npos) << message;
        EXPECT_EQ(e.status(), status) << message;
    }
}

CsvOptions target(std::string name) { return CsvOptions{{std::move(name)}, {}}; }

TEST(CsvReader, SplitsFeaturesAndTarget) {
    const CsvTable t = parse_csv("a,b,y,c\n1,2,0,3\n-4.5,+5e-1,1,6\n", "data.csv", target("y"));
    EXPECT_EQ(t.rows, 2);
    EXPECT_EQ(t.feature_names, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(t.target_names, (std::vector<std::string>{"y"}));
    EXPECT_EQ(t.features, (std::vector<float>{1, 2, 3, -4.5f, 0.5f, 6}));
    EXPECT_EQ(t.targets, (std::vector<float>{0, 1}));
    EXPECT_EQ(nnc::runtime::csv_class_targets(t), (std::vector<int32_t>{0, 1}));
}

TEST(CsvReader, SeveralTargetsAndNamedFeaturesInTheGivenOrder) {
    // The text column 'name' is not selected, so it is never parsed.
    const CsvTable t =
        parse_csv("name,a,b,y1,y2\nfoo,1,2,3,4\nbar,5,6,7,8\n", "data.csv", CsvOptions{{"y2", "y1"}, {"b", "a"}});
    EXPECT_EQ(t.feature_names, (std::vector<std::string>{"b", "a"}));
    EXPECT_EQ(t.features, (std::vector<float>{2, 1, 6, 5}));
    EXPECT_EQ(t.targets, (std::vector<float>{4, 3, 8, 7}));
}

TEST(CsvReader, QuotesCrLfEmptyLinesSpacesAndBom) {
    const std::string text =
        "\xEF\xBB\xBF\"x, first\" , \"y\"\r\n"
        "\r\n"
        " \"1.5\" , 2 \r\n"
        "   \n"
        "3,\"4\"\r\n"
        "\n";
    const CsvTable t = parse_csv(text, "data.csv", target("y"));
    EXPECT_EQ(t.feature_names, (std::vector<std::string>{"x, first"}));
    EXPECT_EQ(t.features, (std::vector<float>{1.5f, 3}));
    EXPECT_EQ(t.targets, (std::vector<float>{2, 4}));
    // Line numbers count the empty lines.
    EXPECT_EQ(t.where_target(1, 0), "data.csv:5:3: ");
}

TEST(CsvReader, QuotedHeaderWithEscapedQuoteAndNewline) {
    const CsvTable t = parse_csv("\"say \"\"hi\"\"\",\"two\nlines\"\n1,2\n", "data.csv", target("two\nlines"));
    EXPECT_EQ(t.feature_names, (std::vector<std::string>{"say \"hi\""}));
    EXPECT_EQ(t.where_target(0, 0), "data.csv:3:3: ");
}

TEST(CsvReader, NoTargetsReadsEveryColumnAsFeatures) {
    const CsvTable t = parse_csv("a,b\n1,2\n", "data.csv", CsvOptions{});
    EXPECT_EQ(t.features, (std::vector<float>{1, 2}));
    EXPECT_TRUE(t.targets.empty());
}

TEST(CsvReader, NotANumberNamesLineAndColumn) {
    expect_error("a,b,c,y\n1,2,3,4\n5,6,abc,7\n", target("y"), "data.csv:3:5: ", "'abc' is not a number (column 'c')");
    expect_error("a,y\n1,2\n1.5.2,2\n", target("y"), "data.csv:3:1: ", "'1.5.2' is not a number");
    expect_error("a,y\n0x10,2\n", target("y"), "data.csv:2:1: ", "is not a number");
}

TEST(CsvReader, MissingValuesAreErrors) {
    expect_error("a,b,y\n1,,3\n", target("y"), "data.csv:2:3: ", "missing value in column 'b'");
    expect_error("a,b,y\n1,2,\n", target("y"), "data.csv:2:5: ", "missing value in column 'y'");
    expect_error("a,y\nnan,1\n", target("y"), "data.csv:2:1: ", "'nan' in column 'a' is not a finite number");
    expect_error("a,y\n1,inf\n", target("y"), "data.csv:2:3: ", "not a finite number");
    expect_error("a,y\n1,1e60\n", target("y"), "data.csv:2:3: ", "out of the range of a 32-bit float");
}

TEST(CsvReader, RowsWithTheWrongNumberOfFields) {
    expect_error("a,b,y\n1,2,3\n1,2\n", target("y"),
                 "data.csv:3:1: ", "this row has 2 fields but the header (line 1) has 3");
    expect_error("a,b,y\n1,2,3,\n", target("y"), "data.csv:2:1: ", "has 4 fields");
}

TEST(CsvReader, QuotingErrors) {
    expect_error("a,y\n\"1,2\n", target("y"), "data.csv:2:1: ", "the quote opened here is never closed");
    expect_error("a,y\n\"1\"x,2\n", target("y"), "data.csv:2:4: ", "unexpected 'x' after a closing quote");
}

TEST(CsvReader, HeaderErrors) {
    expect_error("", target("y"), "data.csv:1:1: ", "the file is empty");
    expect_error("\n\n", target("y"), "data.csv:1:1: ", "the file is empty");
    expect_error("a,y\n", target("y"), "data.csv:2:1: ", "a header but no data rows");
    expect_error("a,,y\n1,2,3\n", target("y"), "data.csv:1:3: ", "column 2 of the header has no name");
    expect_error("a,y,a\n1,2,3\n", target("y"), "data.csv:1:5: ", "column 'a' appears twice");
    expect_error("a,y\n1,2\n", target("label"),
                 "data.csv:1: ", "no target column named 'label'; the header names 'a', 'y'", NNC_ERR_INVALID_ARGUMENT);
    expect_error("a,y\n1,2\n", CsvOptions{{"y"}, {"b"}}, "data.csv:1: ", "no feature column named 'b'",
                 NNC_ERR_INVALID_ARGUMENT);
    expect_error("a,y\n1,2\n", CsvOptions{{"y"}, {"y"}}, "column 'y'", "both as a target and as a feature",
                 NNC_ERR_INVALID_ARGUMENT);
    expect_error("y\n1\n", target("y"), "'data.csv' has no feature columns", "are all targets",
                 NNC_ERR_INVALID_ARGUMENT);
}

TEST(CsvReader, ClassTargetsMustBeWholeAndNonNegative) {
    for (const char* bad : {"2.5", "-1"}) {
        const CsvTable t = parse_csv(std::string("a,y\n1,0\n2,") + bad + "\n", "data.csv", target("y"));
        try {
            nnc::runtime::csv_class_targets(t);
            ADD_FAILURE() << bad;
        } catch (const nnc::runtime::Error& e) {
            EXPECT_EQ(std::string(e.what()).rfind("data.csv:3:3: class label " + std::string(bad), 0), 0u) << e.what();
        }
    }
}

TEST(CsvReader, FilesRoundTripAndUnreadableFilesAreIoErrors) {
    TempDir dir;
    const std::vector<float> values = {1.0f, 0.1f, -3.25e-7f, 123456.789f};
    nnc::runtime::write_csv(dir.file("out.csv"), {"p 0", "p1"}, values.data(), 2);
    const CsvTable t = nnc::runtime::read_csv(dir.file("out.csv"), CsvOptions{});
    EXPECT_EQ(t.feature_names, (std::vector<std::string>{"p 0", "p1"}));
    EXPECT_EQ(t.features, values);  // 9 significant digits read back exactly
    try {
        nnc::runtime::read_csv(dir.file("missing.csv"), CsvOptions{});
        ADD_FAILURE();
    } catch (const nnc::runtime::Error& e) {
        EXPECT_EQ(e.status(), NNC_ERR_IO);
        EXPECT_NE(std::string(e.what()).find("missing.csv"), std::string::npos);
    }
    // No temporary file is left beside the output.
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) files += entry.is_regular_file();
    EXPECT_EQ(files, 1);
}

}  // namespace
