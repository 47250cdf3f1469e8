// A source file held in memory, and locations inside it.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace nnc::dsl {

struct Location {
    int line = 0;  // 1-based; 0 means "no location"
    int col = 0;   // 1-based, in bytes
};

class SourceFile {
public:
    SourceFile(std::string path, std::string text);
    const std::string& path() const { return path_; }
    const std::string& text() const { return text_; }
    // The text of a 1-based line without its newline; empty if out of range.
    std::string_view line(int line) const;

private:
    std::string path_;
    std::string text_;
    std::vector<size_t> line_starts_;
};

}  // namespace nnc::dsl
