#include "runtime/csv_reader.h"

#include "runtime/atomic_file.h"
#include "runtime/errors.h"

#include <charconv>
#include <cmath>
#include <deque>
#include <string_view>
#include <unordered_map>

namespace nnc::runtime {
namespace {

struct Field {
    std::string_view text;
    int64_t line = 0, col = 0;
};

// Splits the text into records of fields, tracking each field's line and column.
class Scanner {
public:
    Scanner(std::string_view text, const std::string& path) : s_(text), path_(path) {
        if (s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = line_start_ = 3;  // UTF-8 byte-order mark
    }

    std::string where(int64_t line, int64_t col) const {
        return path_ + ":" + std::to_string(line) + ":" + std::to_string(col) + ": ";
    }

    // The next non-empty record into `fields` (its line into `line`); false at the end of the text.
    bool next(std::vector<Field>& fields, int64_t& line) {
        fields.clear();
        unescaped_.clear();
        while (pos_ < s_.size() && blank_line()) skip_line();
        if (pos_ >= s_.size()) return false;
        line = line_;
        while (true) {
            fields.push_back(field());
            if (pos_ >= s_.size()) return true;
            if (s_[pos_] == ',') {
                ++pos_;
                continue;
            }
            skip_line();  // at '\n' or "\r\n"
            return true;
        }
    }

private:
    bool at_line_end(size_t p) const {
        return p >= s_.size() || s_[p] == '\n' || (s_[p] == '\r' && p + 1 < s_.size() && s_[p + 1] == '\n') ||
               (s_[p] == '\r' && p + 1 == s_.size());
    }
    bool blank_line() const {
        size_t p = pos_;
        while (p < s_.size() && (s_[p] == ' ' || s_[p] == '\t')) ++p;
        return at_line_end(p);
    }
    void skip_line() {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
        if (pos_ < s_.size()) ++pos_;
        ++line_;
        line_start_ = pos_;
    }
    void skip_spaces() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
    }
    int64_t col() const { return static_cast<int64_t>(pos_ - line_start_) + 1; }

    Field field() {
        skip_spaces();
        Field f;
        f.line = line_;
        f.col = col();
        if (pos_ < s_.size() && s_[pos_] == '"') return quoted(f);
        const size_t begin = pos_;
        while (pos_ < s_.size() && s_[pos_] != ',' && !at_line_end(pos_)) ++pos_;
        size_t end = pos_;
        while (end > begin && (s_[end - 1] == ' ' || s_[end - 1] == '\t')) --end;
        f.text = s_.substr(begin, end - begin);
        return f;
    }

    // "..." with "" for a quote; may span lines.
    Field quoted(Field f) {
        ++pos_;
        std::string value;
        while (true) {
            if (pos_ >= s_.size()) {
                throw Error(NNC_ERR_FORMAT, where(f.line, f.col) +
                                                "the quote opened here is never closed; "
                                                "close it with '\"' (write a quote inside quotes as \"\")");
            }
            const char c = s_[pos_++];
            if (c == '"') {
                if (pos_ < s_.size() && s_[pos_] == '"') {
                    value += '"';
                    ++pos_;
                    continue;
                }
                break;
            }
            if (c == '\n') {
                ++line_;
                line_start_ = pos_;
            }
            value += c;
        }
        skip_spaces();
        if (pos_ < s_.size() && s_[pos_] != ',' && !at_line_end(pos_)) {
            throw Error(NNC_ERR_FORMAT, where(line_, col()) + "unexpected '" + std::string(1, s_[pos_]) +
                                            "' after a closing quote; put a comma between fields");
        }
        unescaped_.push_back(std::move(value));
        f.text = unescaped_.back();
        return f;
    }

    std::string_view s_;
    const std::string& path_;
    size_t pos_ = 0, line_start_ = 0;
    int64_t line_ = 1;
    std::deque<std::string> unescaped_;  // stable addresses for the fields' views
};

std::string quoted_list(const std::vector<std::string>& names) {
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) out += (i ? ", '" : "'") + names[i] + "'";
    return out;
}

std::string show(std::string_view text) {
    if (text.size() > 40) return std::string(text.substr(0, 37)) + "...";
    return std::string(text);
}

}  // namespace

std::string CsvTable::where_target(int64_t row, int64_t j) const {
    const CsvLocation& at = target_places[static_cast<size_t>(row * static_cast<int64_t>(target_names.size()) + j)];
    return path + ":" + std::to_string(at.line) + ":" + std::to_string(at.col) + ": ";
}

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
    const std::vector<uint8_t> bytes = read_whole_file(path, "CSV file");
    return parse_csv(std::string(bytes.begin(), bytes.end()), path, options);
}

CsvTable parse_csv(const std::string& text, const std::string& path, const CsvOptions& options) {
    Scanner scanner(text, path);
    std::vector<Field> fields;
    int64_t line = 0;
    if (!scanner.next(fields, line)) {
        throw Error(NNC_ERR_FORMAT,
                    path + ":1:1: the file is empty; a CSV file starts with a header row of column names");
    }

    // The header: names, each once.
    std::vector<std::string> columns;
    std::unordered_map<std::string, int> index;
    const int64_t header_line = line;
    for (const Field& f : fields) {
        const std::string name(f.text);
        if (name.empty()) {
            throw Error(NNC_ERR_FORMAT, scanner.where(f.line, f.col) + "column " + std::to_string(columns.size() + 1) +
                                            " of the header has no name; the first row must name every column");
        }
        if (!index.emplace(name, static_cast<int>(columns.size())).second) {
            throw Error(NNC_ERR_FORMAT, scanner.where(f.line, f.col) + "column '" + name +
                                            "' appears twice in the header; rename one of them");
        }
        columns.push_back(name);
    }

    CsvTable table;
    table.path = path;
    std::vector<int> target_cols, feature_cols;
    std::vector<bool> is_target(columns.size(), false);
    const auto column_of = [&](const std::string& name, const char* role) {
        const auto it = index.find(name);
        if (it == index.end()) {
            throw Error(NNC_ERR_INVALID_ARGUMENT, path + ":" + std::to_string(header_line) + ": there is no " + role +
                                                      " column named '" + name + "'; the header names " +
                                                      quoted_list(columns));
        }
        return it->second;
    };
    for (const std::string& name : options.targets) {
        const int c = column_of(name, "target");
        if (is_target[c]) throw Error(NNC_ERR_INVALID_ARGUMENT, "target column '" + name + "' is named twice");
        is_target[c] = true;
        target_cols.push_back(c);
        table.target_names.push_back(name);
    }
    if (options.features.empty()) {
        for (size_t c = 0; c < columns.size(); ++c) {
            if (!is_target[c]) feature_cols.push_back(static_cast<int>(c));
        }
    } else {
        std::vector<bool> is_feature(columns.size(), false);
        for (const std::string& name : options.features) {
            const int c = column_of(name, "feature");
            if (is_target[c]) {
                throw Error(NNC_ERR_INVALID_ARGUMENT, "column '" + name + "' of '" + path +
                                                          "' is named both as a target and as a feature; pick one");
            }
            if (is_feature[c]) throw Error(NNC_ERR_INVALID_ARGUMENT, "feature column '" + name + "' is named twice");
            is_feature[c] = true;
            feature_cols.push_back(c);
        }
    }
    if (feature_cols.empty()) {
        throw Error(NNC_ERR_INVALID_ARGUMENT, "'" + path + "' has no feature columns left: its columns " +
                                                  quoted_list(columns) + " are all targets");
    }
    for (int c : feature_cols) table.feature_names.push_back(columns[static_cast<size_t>(c)]);

    const auto number = [&](const Field& f, int c) -> float {
        const std::string& name = columns[static_cast<size_t>(c)];
        if (f.text.empty()) {
            throw Error(NNC_ERR_FORMAT, scanner.where(f.line, f.col) + "missing value in column '" + name +
                                            "'; every selected field needs a number: fill it in or drop the row");
        }
        const char* begin = f.text.data();
        const char* end = begin + f.text.size();
        if (*begin == '+' && f.text.size() > 1 && begin[1] != '-') ++begin;
        float value = 0;
        const auto [stop, ec] = std::from_chars(begin, end, value);
        if (ec == std::errc::result_out_of_range) {
            throw Error(NNC_ERR_FORMAT, scanner.where(f.line, f.col) + "'" + show(f.text) + "' in column '" + name +
                                            "' is out of the range of a 32-bit float");
        }
        if (ec != std::errc() || stop != end) {
            throw Error(NNC_ERR_FORMAT, scanner.where(f.line, f.col) + "'" + show(f.text) +
                                            "' is not a number (column '" + name +
                                            "'); the selected columns must be numeric — choose the feature "
                                            "columns explicitly to leave text columns out");
        }
        if (!std::isfinite(value)) {
            throw Error(NNC_ERR_FORMAT,
                        scanner.where(f.line, f.col) + "'" + show(f.text) + "' in column '" + name +
                            "' is not a finite number; missing values are not allowed: fill it in or drop the row");
        }
        return value;
    };

    while (scanner.next(fields, line)) {
        if (fields.size() != columns.size()) {
            throw Error(NNC_ERR_FORMAT, scanner.where(line, 1) + "this row has " + std::to_string(fields.size()) +
                                            " fields but the header (line " + std::to_string(header_line) + ") has " +
                                            std::to_string(columns.size()) + "; check for a missing or extra comma");
        }
        for (int c : feature_cols) table.features.push_back(number(fields[static_cast<size_t>(c)], c));
        for (int c : target_cols) {
            const Field& f = fields[static_cast<size_t>(c)];
            table.targets.push_back(number(f, c));
            table.target_places.push_back({f.line, f.col});
        }
        ++table.rows;
    }
    if (table.rows == 0) {
        throw Error(NNC_ERR_FORMAT,
                    path + ":" + std::to_string(header_line + 1) + ":1: the file has a header but no data rows");
    }
    return table;
}

std::vector<int32_t> csv_class_targets(const CsvTable& table) {
    if (table.target_names.size() != 1) {
        throw Error(NNC_ERR_INVALID_ARGUMENT, "class targets come from one column, but " +
                                                  std::to_string(table.target_names.size()) + " target columns of '" +
                                                  table.path + "' are named");
    }
    std::vector<int32_t> classes(static_cast<size_t>(table.rows));
    for (int64_t i = 0; i < table.rows; ++i) {
        const float v = table.targets[static_cast<size_t>(i)];
        if (!(v >= 0.0f && v < 2147483648.0f) || v != std::floor(v)) {
            char text[32];
            std::snprintf(text, sizeof text, "%.9g", static_cast<double>(v));
            throw Error(NNC_ERR_FORMAT, table.where_target(i, 0) + "class label " + text + " in column '" +
                                            table.target_names[0] +
                                            "' is not a whole number >= 0; class targets "
                                            "are indices 0, 1, 2, ...");
        }
        classes[static_cast<size_t>(i)] = static_cast<int32_t>(v);
    }
    return classes;
}

void write_csv(const std::string& path, const std::vector<std::string>& names, const float* values, int64_t rows) {
    std::string out;
    const auto quote = [](const std::string& s) {
        if (s.find_first_of(",\"\n\r ") == std::string::npos && !s.empty()) return s;
        std::string q = "\"";
        for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
        return q + "\"";
    };
    for (size_t j = 0; j < names.size(); ++j) out += (j ? "," : "") + quote(names[j]);
    out += '\n';
    const size_t cols = names.size();
    char text[32];
    for (int64_t i = 0; i < rows; ++i) {
        for (size_t j = 0; j < cols; ++j) {
            std::snprintf(text, sizeof text, "%.9g", static_cast<double>(values[static_cast<size_t>(i) * cols + j]));
            if (j) out += ',';
            out += text;
        }
        out += '\n';
    }
    write_file_atomically(path, out);
}

}  // namespace nnc::runtime
