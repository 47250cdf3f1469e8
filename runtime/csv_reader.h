// A reader for numeric CSV files: a header row of column names, then one sample per row.
//
//   x1,x2,"label"\r\n          the header (names may be quoted); a UTF-8 byte-order mark is skipped
//   0.5,-1e-3,2                numbers as strtod reads them (a leading '+' allowed, spaces trimmed)
//   "1.5",2,"0"                a quoted field is unquoted first ("" is a quote inside quotes)
//                              empty lines and CR LF line ends are accepted
//
// The named target columns (in the order given) become the targets and the rest — or the named
// feature columns, in the order given — the features. Every error names the place as
// `file:line:col: ` (1-based; the column counts characters from the start of the line to the
// field) and says what to do: a field that is not a number, a missing value, NaN or infinity, a
// row with the wrong number of fields, an unterminated quote, an unknown or repeated column name.
// Throws nnc::runtime::Error (NNC_ERR_IO for an unreadable file, NNC_ERR_FORMAT otherwise;
// unknown column names are NNC_ERR_INVALID_ARGUMENT).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nnc::runtime {

struct CsvOptions {
    std::vector<std::string> targets;   // may be empty (inputs only, e.g. for prediction)
    std::vector<std::string> features;  // empty: every column that is not a target
};

// Where a field starts, for messages about its value after parsing (e.g. a class label 2.5).
struct CsvLocation {
    int64_t line = 0, col = 0;
};

struct CsvTable {
    std::string path;
    int64_t rows = 0;
    std::vector<std::string> feature_names, target_names;
    std::vector<float> features;             // (rows, feature_names.size())
    std::vector<float> targets;              // (rows, target_names.size())
    std::vector<CsvLocation> target_places;  // (rows, target_names.size())

    // "file:line:col: " for target `j` of row `row`.
    std::string where_target(int64_t row, int64_t j) const;
};

CsvTable read_csv(const std::string& path, const CsvOptions& options);
// The same on text already in memory; `path` is used in messages only.
CsvTable parse_csv(const std::string& text, const std::string& path, const CsvOptions& options);

// The targets as class indices: each must be a whole number in [0, 2^31). Throws Error
// (NNC_ERR_FORMAT) at the first that is not, naming its place. Needs exactly one target column.
std::vector<int32_t> csv_class_targets(const CsvTable& table);

// Writes `rows` x `names.size()` values as CSV with a header row, atomically. Values are printed
// with 9 significant digits, enough to read back the same float.
void write_csv(const std::string& path, const std::vector<std::string>& names, const float* values, int64_t rows);

}  // namespace nnc::runtime
