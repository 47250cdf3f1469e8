// Edit distance and nearest-name suggestions.
#include "dsl/nearest.h"

#include <algorithm>
#include <cctype>

namespace nnc::dsl {

int edit_distance(const std::string& a, const std::string& b) {
    const size_t n = a.size(), m = b.size();
    std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
    for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
    for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
    for (size_t i = 1; i <= n; ++i) {
        for (size_t j = 1; j <= m; ++j) {
            const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[n][m];
}

std::optional<std::string> nearest_match(const std::string& name, const std::vector<std::string>& candidates) {
    // Up to a third of the name may be wrong (at least one edit, at most three), and the
    // suggestion must keep something of the original: 'x' is not a typo of 'y'.
    const int limit = std::clamp(static_cast<int>(name.size()) / 3, 1, 3);
    std::optional<std::string> best;
    int best_d = limit + 1;
    for (const std::string& c : candidates) {
        if (c == name) continue;
        // The distance is at least the length difference: skip the table (a 10 MB name
        // would otherwise cost a 10M-row table per candidate).
        const size_t gap = name.size() > c.size() ? name.size() - c.size() : c.size() - name.size();
        if (gap > static_cast<size_t>(limit)) continue;
        const int d = edit_distance(name, c);
        if (d < best_d && d < static_cast<int>(std::max(name.size(), c.size()))) {
            best = c;
            best_d = d;
        }
    }
    return best;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
    return out;
}

}  // namespace nnc::dsl
