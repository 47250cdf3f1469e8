#include "runtime/cli/option_ranges.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>

namespace nnc::driver {
namespace {

enum class Parsed { number, not_a_number, too_large };

// The whole text as a decimal T; too_large for a number beyond T's range.
template <class T>
Parsed parse_whole(const std::string& text, T& value) {
    const char* last = text.data() + text.size();
    const auto [end, ec] = std::from_chars(text.data(), last, value);
    if (text.empty() || end != last) return Parsed::not_a_number;
    if (ec == std::errc::result_out_of_range) return Parsed::too_large;
    return ec == std::errc() ? Parsed::number : Parsed::not_a_number;
}

std::string show(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return buf;
}

}  // namespace

CLI::Validator whole_number(int64_t min, int64_t max) {
    const std::string range = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            int64_t v = 0;
            const Parsed parsed = parse_whole(text, v);
            if (parsed == Parsed::number && v >= min && v <= max) return "";
            if (parsed == Parsed::not_a_number) return "'" + text + "' must be " + range;
            return "'" + text + "' is out of range: it must be " + range;
        },
        max == std::numeric_limits<int64_t>::max() ? ">=" + std::to_string(min)
                                                   : "[" + std::to_string(min) + ", " + std::to_string(max) + "]");
}

CLI::Validator whole_number_or_call(int64_t min) {
    const CLI::Validator number = whole_number(min);
    return CLI::Validator(
        [number](std::string& text) -> std::string {
            if (!text.empty() && std::isalpha(static_cast<unsigned char>(text[0]))) return "";
            std::string copy = text;
            return number(copy);
        },
        ">=" + std::to_string(min) + " or NAME(...)");
}

CLI::Validator unsigned_number() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            uint64_t v = 0;
            if (parse_whole(text, v) == Parsed::number) return "";
            return "'" + text + "' must be a whole number from 0 to " +
                   std::to_string(std::numeric_limits<uint64_t>::max());
        },
        "");
}

CLI::Validator real_number(double min, double max, Excluded excluded) {
    const bool open_min = excluded == Excluded::min, open_max = excluded == Excluded::max;
    const std::string range = (open_min ? "(" : "[") + show(min) + ", " + show(max) + (open_max ? ")" : "]");
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            char* end = nullptr;
            errno = 0;
            const double v = std::strtod(text.c_str(), &end);
            if (text.empty() || end != text.c_str() + text.size() || std::isnan(v))
                return "'" + text + "' must be a number in " + range;
            if (errno == ERANGE || !std::isfinite(v) || v < min || v > max || (open_min && v == min) ||
                (open_max && v == max))
                return "'" + text + "' is out of range: it must be in " + range;
            return "";
        },
        max == std::numeric_limits<double>::max() ? (open_min ? ">" : ">=") + show(min) : range);
}

}  // namespace nnc::driver
