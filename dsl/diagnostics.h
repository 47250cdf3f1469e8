// The sink for user-facing errors. Every stage reports here instead of stopping, so one run shows
// every problem it can find; render() prints them in source order, each as
//
//   path:line:col: error: message
//    7 |   fc1 = dens(image, units=512)
//      |         ^~~~
//   help: did you mean 'dense'?
//   note: known layers: dense, relu, ...
#pragma once
#include <deque>
#include <string>
#include <vector>

#include "dsl/source.h"
#include "dsl/span.h"

namespace nnc::dsl {

enum class Severity { Error, Warning, Note, Help };

// A note or help line after the main message; with a span it quotes its own source line
// ("note: 'x' first defined here").
struct DiagnosticNote {
    Severity severity = Severity::Note;
    bool located = false;
    Span span;
    std::string message;
};

struct Diagnostic {
    Severity severity = Severity::Error;
    const SourceFile* file = nullptr;  // null for errors about a file that could not be read
    std::string path;                  // used when there is no file
    Span span;
    std::string message;
    std::vector<DiagnosticNote> notes;
    std::vector<DiagnosticNote> context;  // rendered after the notes: where a block was used

    // Chainable: diags.error(...).help("did you mean 'dense'?").note("known layers: ...").
    Diagnostic& help(std::string text);
    Diagnostic& note(std::string text);
    Diagnostic& note(Span at, std::string text);
};

class Diagnostics {
public:
    // The returned reference stays valid for the life of the sink.
    Diagnostic& error(const SourceFile& file, Span at, std::string message);
    Diagnostic& warning(const SourceFile& file, Span at, std::string message);
    // An error about a whole file with no text to quote ("cannot open 'x.nn'").
    Diagnostic& error(std::string path, std::string message);

    // Notes appended to every diagnostic reported while they are set: the checker sets the block
    // uses a statement was expanded through ("in block 'residual' used here"). Empty to clear.
    void set_context(std::vector<DiagnosticNote> notes) { context_ = std::move(notes); }

    int error_count() const { return errors_; }
    int warning_count() const { return warnings_; }
    bool has_errors() const { return errors_ > 0; }
    const std::deque<Diagnostic>& all() const { return diags_; }

    // Every diagnostic, sorted by position (stable, so equal positions keep report order).
    std::string render() const;

private:
    Diagnostic& add(Diagnostic d);

    std::deque<Diagnostic> diags_;
    std::vector<DiagnosticNote> context_;
    int errors_ = 0, warnings_ = 0;
};

std::string render(const Diagnostic& d);

}  // namespace nnc::dsl
