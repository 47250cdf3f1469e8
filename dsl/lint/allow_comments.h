// Silencing lint findings: `# nnc: allow(rule-a, rule-b) -- why` in a comment. A comment after
// code silences its own line; a comment on a line of its own silences the next code line (a run
// of comment lines above a statement all count).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "dsl/source.h"
#include "dsl/span.h"

namespace nnc::dsl::lint {

class AllowComments {
public:
    struct Entry {
        std::string rule;
        Span span;  // the rule's name inside the comment
    };

    explicit AllowComments(const SourceFile& file);

    // Whether a finding of `rule` on `line` is silenced.
    bool allows(const std::string& rule, int line) const;
    // Every rule named in an allow comment, for reporting names that are not rules.
    const std::vector<Entry>& entries() const { return entries_; }

private:
    const SourceFile& file_;
    std::map<int, std::vector<std::string>> by_line_;
    std::vector<Entry> entries_;
};

}  // namespace nnc::dsl::lint
