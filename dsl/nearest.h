// "Did you mean ...?" — the nearest known name to a misspelled one, by edit distance.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace nnc::dsl {

// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps.
int edit_distance(const std::string& a, const std::string& b);

// The closest candidate if it is close enough to be a plausible typo (ties go to the earlier one).
std::optional<std::string> nearest_match(const std::string& name, const std::vector<std::string>& candidates);

// "a, b, c" — for "known layers: ..." notes.
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

}  // namespace nnc::dsl
