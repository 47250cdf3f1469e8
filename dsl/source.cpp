// SourceFile: the text of a .nn file plus a line index, so diagnostics can quote any line.
#include "dsl/source.h"

namespace nnc::dsl {

SourceFile::SourceFile(std::string path, std::string text) : path_(std::move(path)), text_(std::move(text)) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < text_.size(); ++i)
        if (text_[i] == '\n') line_starts_.push_back(i + 1);
}

std::string_view SourceFile::line(int line) const {
    if (line < 1 || static_cast<size_t>(line) > line_starts_.size()) return {};
    const size_t begin = line_starts_[static_cast<size_t>(line) - 1];
    size_t end =
        static_cast<size_t>(line) < line_starts_.size() ? line_starts_[static_cast<size_t>(line)] - 1 : text_.size();
    // Tolerate CRLF files: the '\r' is not part of the line as the user sees it.
    if (end > begin && text_[end - 1] == '\r') --end;
    return std::string_view(text_).substr(begin, end - begin);
}

}  // namespace nnc::dsl
