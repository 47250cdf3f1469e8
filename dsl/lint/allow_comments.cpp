// Finding allow comments by scanning the source lines: the lexer drops comments, and a comment's
// only meaning to lint is which line it sits on.
#include "dsl/lint/allow_comments.h"

#include <cctype>
#include <string_view>

namespace nnc::dsl::lint {
namespace {

// Byte offset of the comment that starts on this line (`#` or `//` outside a string), or npos.
size_t comment_start(std::string_view line) {
    bool in_string = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '#' || (c == '/' && i + 1 < line.size() && line[i + 1] == '/')) {
            return i;
        }
    }
    return std::string_view::npos;
}

bool only_comment(std::string_view line) {
    const size_t c = comment_start(line);
    if (c == std::string_view::npos) return false;
    for (size_t i = 0; i < c; ++i)
        if (!std::isspace(static_cast<unsigned char>(line[i]))) return false;
    return true;
}

bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }

}  // namespace

AllowComments::AllowComments(const SourceFile& file) : file_(file) {
    int lines = 1;
    for (char ch : file.text()) lines += ch == '\n';
    for (int ln = 1; ln <= lines; ++ln) {
        const std::string_view line = file.line(ln);
        const size_t c = comment_start(line);
        if (c != std::string_view::npos) {
            // "nnc:" then optional spaces, "allow", optional spaces, "(names)"; several per comment.
            size_t at = c;
            while ((at = line.find("nnc:", at)) != std::string_view::npos) {
                size_t i = at + 4;
                while (i < line.size() && line[i] == ' ') ++i;
                if (line.substr(i, 5) != "allow") {
                    at = i;
                    continue;
                }
                i += 5;
                while (i < line.size() && line[i] == ' ') ++i;
                if (i >= line.size() || line[i] != '(') {
                    at = i;
                    continue;
                }
                ++i;
                while (i < line.size() && line[i] != ')') {
                    while (i < line.size() && (line[i] == ' ' || line[i] == ',')) ++i;
                    const size_t begin = i;
                    while (i < line.size() && name_char(line[i])) ++i;
                    if (i > begin) {
                        std::string rule(line.substr(begin, i - begin));
                        by_line_[ln].push_back(rule);
                        entries_.push_back({rule, {{ln, static_cast<int>(begin) + 1}, static_cast<int>(i - begin)}});
                    } else if (i < line.size() && line[i] != ')') {
                        ++i;  // stray character: skip it
                    }
                }
                at = i;
            }
        }
    }
}

bool AllowComments::allows(const std::string& rule, int line) const {
    auto names_on = [&](int ln) {
        auto it = by_line_.find(ln);
        if (it == by_line_.end()) return false;
        for (const std::string& r : it->second)
            if (r == rule) return true;
        return false;
    };
    if (names_on(line)) return true;
    for (int ln = line - 1; ln >= 1 && only_comment(file_.line(ln)); --ln)
        if (names_on(ln)) return true;
    return false;
}

}  // namespace nnc::dsl::lint
