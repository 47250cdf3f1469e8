// Collecting and rendering diagnostics (chibicc / gcc style: location, quoted line, caret).
#include "dsl/diagnostics.h"

#include <algorithm>

namespace nnc::dsl {
namespace {

const char* severity_name(Severity s) {
    switch (s) {
        case Severity::Error: return "error";
        case Severity::Warning: return "warning";
        case Severity::Note: return "note";
        case Severity::Help: return "help";
    }
    return "error";
}

// "path:line:col: " or "path: " when there is no location.
std::string where(const Diagnostic& d, const Span& span) {
    std::string s = d.file ? d.file->path() : d.path;
    if (span.loc.line > 0) s += ":" + std::to_string(span.loc.line) + ":" + std::to_string(span.loc.col);
    return s + ": ";
}

// Hostile input can put megabytes on one line or into one token: messages and quoted lines are
// cut to a readable size ("…" marks the cut), so one error never prints the whole file.
constexpr size_t kMaxMessage = 1000, kMaxLine = 240, kLineContext = 80;

std::string elide(const std::string& text) {
    if (text.size() <= kMaxMessage) return text;
    return text.substr(0, kMaxMessage - 100) + "…" + text.substr(text.size() - 100);
}

// The quoted source line with a gutter, then ^~~~ under the span. Tabs before the column are
// copied so the caret lines up however the terminal expands them. A long line is quoted as a
// window around the column, "…" marking what is left out.
std::string snippet(const SourceFile* file, const Span& span) {
    if (!file || span.loc.line <= 0) return {};
    std::string_view line = file->line(span.loc.line);
    const std::string num = std::to_string(span.loc.line);
    const std::string gutter(num.size(), ' ');
    size_t col = static_cast<size_t>(std::max(span.loc.col, 1)) - 1;
    std::string before, after;
    if (line.size() > kMaxLine) {
        const size_t first = std::min(col > kLineContext ? col - kLineContext : 0, line.size());
        const size_t count = std::min(line.size() - first, kMaxLine);
        if (first > 0) before = "…";
        if (first + count < line.size()) after = "…";
        line = line.substr(first, count);
        col -= first;
    }
    std::string out = " " + num + " | " + before + std::string(line) + after + "\n";
    out += " " + gutter + " |";
    std::string marks = before.empty() ? " " : "  ";  // "…" is one column wide
    for (size_t i = 0; i < col; ++i) marks += (i < line.size() && line[i] == '\t') ? '\t' : ' ';
    marks += '^';
    // Underline the rest of the span, but never past the end of the (quoted) line.
    const size_t len = static_cast<size_t>(std::max(span.length, 1));
    const size_t end = std::min(col + len, std::max(line.size(), col + 1));
    for (size_t i = col + 1; i < end; ++i) marks += '~';
    return out + marks + "\n";
}

}  // namespace

Diagnostic& Diagnostic::help(std::string text) {
    notes.push_back({Severity::Help, false, {}, std::move(text)});
    return *this;
}

Diagnostic& Diagnostic::note(std::string text) {
    notes.push_back({Severity::Note, false, {}, std::move(text)});
    return *this;
}

Diagnostic& Diagnostic::note(Span at, std::string text) {
    notes.push_back({Severity::Note, true, at, std::move(text)});
    return *this;
}

Diagnostic& Diagnostics::add(Diagnostic d) {
    d.context = context_;
    diags_.push_back(std::move(d));
    return diags_.back();
}

Diagnostic& Diagnostics::error(const SourceFile& file, Span at, std::string message) {
    ++errors_;
    return add({Severity::Error, &file, {}, at, std::move(message), {}, {}});
}

Diagnostic& Diagnostics::error(std::string path, std::string message) {
    ++errors_;
    return add({Severity::Error, nullptr, std::move(path), {}, std::move(message), {}, {}});
}

Diagnostic& Diagnostics::warning(const SourceFile& file, Span at, std::string message) {
    ++warnings_;
    return add({Severity::Warning, &file, {}, at, std::move(message), {}, {}});
}

std::string render(const Diagnostic& d) {
    std::string out = where(d, d.span) + severity_name(d.severity) + ": " + elide(d.message) + "\n";
    out += snippet(d.file, d.span);
    std::vector<DiagnosticNote> notes = d.notes;
    notes.insert(notes.end(), d.context.begin(), d.context.end());
    for (const DiagnosticNote& n : notes) {
        if (n.located) {
            out += where(d, n.span) + severity_name(n.severity) + ": " + elide(n.message) + "\n";
            out += snippet(d.file, n.span);
        } else {
            out += std::string(severity_name(n.severity)) + ": " + elide(n.message) + "\n";
        }
    }
    return out;
}

std::string Diagnostics::render() const {
    std::vector<const Diagnostic*> order;
    for (const Diagnostic& d : diags_) order.push_back(&d);
    std::stable_sort(order.begin(), order.end(), [](const Diagnostic* a, const Diagnostic* b) {
        if (a->span.loc.line != b->span.loc.line) return a->span.loc.line < b->span.loc.line;
        return a->span.loc.col < b->span.loc.col;
    });
    // A file of garbage can produce an error per line: the first ones say what is wrong.
    constexpr size_t kMaxShown = 100;
    std::string out;
    for (size_t i = 0; i < order.size() && i < kMaxShown; ++i) out += dsl::render(*order[i]);
    if (order.size() > kMaxShown)
        out += "note: " + std::to_string(order.size() - kMaxShown) +
               " more diagnostics not shown; fix the ones above first\n";
    return out;
}

}  // namespace nnc::dsl
