// CLI11 validators for numeric options: the text must be a number of the option's type inside
// its range, or the command is refused at parsing — before anything is compiled, loaded or
// written — with the allowed range. CLI11 2.1 itself would clamp an integer too large for its
// type (99999999999999999999999 epochs became 2^63-1) and accept 1e400 as infinity.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <limits>

namespace nnc::driver {

// A whole number in [min, max], written in decimal.
CLI::Validator whole_number(int64_t min, int64_t max = std::numeric_limits<int64_t>::max());
// A whole number from `min`, or a call as the train section writes it (warmup(epochs=2)), which
// the runtime checks when it is set.
CLI::Validator whole_number_or_call(int64_t min);
// An unsigned whole number (a seed): 0 to 2^64-1; a minus sign is refused, not wrapped around.
CLI::Validator unsigned_number();
// The end of a real range that is left out: (0, max] for an lr, [0, 1) for a momentum.
enum class Excluded { none, min, max };
// A finite real number in [min, max], less the end `excluded` names.
CLI::Validator real_number(double min, double max, Excluded excluded = Excluded::none);

}  // namespace nnc::driver
