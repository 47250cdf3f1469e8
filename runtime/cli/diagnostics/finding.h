// One diagnosis of a training run, made while it trains: what was seen and what to do.
// Every analysis in runtime/cli/diagnostics returns these; the driver prints them (format_finding)
// and logs them as {"type": "diagnosis", ...} lines of metrics.jsonl.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace nnc::diagnostics {

enum class Severity { ok, info, warning };

struct Finding {
    std::string code;  // kebab-case rule name: "overfitting", "lr-too-low", ...
    Severity severity = Severity::warning;
    std::string subject;  // a loss or target name, or empty for the whole model
    std::string message;  // what was seen, with numbers
    std::string advice;   // what to do next
    int64_t epoch = 0;    // 0: at the end of the run
};

using MaybeFinding = std::optional<Finding>;

const char* severity_name(Severity s);  // "ok", "info", "warning"

// "nnc: warning: <message> [<code>]\n  advice: <advice>\n" (info/ok: "nnc: info: ...").
std::string format_finding(const Finding& f);

// A number for a message: 3 significant digits, no trailing zeros ("0.0123", "1.5e+04").
std::string num(double v);

}  // namespace nnc::diagnostics
