#include "runtime/cli/diagnostics/finding.h"

#include <cstdio>

namespace nnc::diagnostics {

const char* severity_name(Severity s) {
    switch (s) {
        case Severity::ok: return "ok";
        case Severity::info: return "info";
        case Severity::warning: return "warning";
    }
    return "warning";
}

std::string format_finding(const Finding& f) {
    std::string out = std::string("nnc: ") + severity_name(f.severity) + ": " + f.message + " [" + f.code + "]\n";
    if (!f.advice.empty()) out += "  advice: " + f.advice + "\n";
    return out;
}

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

}  // namespace nnc::diagnostics
