// Token-level, so comments, strings and spacing stay as written and diagnostics still point at
// the user's lines.
#include "codegen/driver/without_dropout.h"

#include <sstream>
#include <vector>

#include "dsl/diagnostics.h"
#include "dsl/lexer.h"

namespace nnc::driver {

std::string source_without_dropout(const std::string& path, const std::string& text, int* rewritten) {
    *rewritten = 0;
    const dsl::SourceFile file(path, text);
    dsl::Diagnostics diags;
    const std::vector<dsl::Token> tokens = dsl::lex(file, diags);
    if (diags.has_errors()) return text;

    // Lines, to edit by (line, col); edits go right to left within a line so columns stay valid.
    std::vector<std::string> lines;
    {
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line)) lines.push_back(line);
    }
    struct Edit {
        int line, col, length;
        std::string with;
    };
    std::vector<Edit> edits;
    for (size_t i = 0; i + 1 < tokens.size(); ++i) {
        if (tokens[i].kind != dsl::TokenKind::Ident || tokens[i].text != "dropout" || tokens[i + 1].kind != dsl::TokenKind::LParen)
            continue;
        // The call's only number at depth 1 is its rate (the other argument is a tensor name).
        int depth = 0;
        size_t close = i + 1, number = 0;
        for (size_t j = i + 1; j < tokens.size(); ++j) {
            const auto k = tokens[j].kind;
            if (k == dsl::TokenKind::LParen || k == dsl::TokenKind::LBracket) ++depth;
            if (k == dsl::TokenKind::RParen || k == dsl::TokenKind::RBracket) --depth;
            if (depth == 1 && (k == dsl::TokenKind::Float || k == dsl::TokenKind::Int)) number = j;
            if (depth == 0) {
                close = j;
                break;
            }
        }
        if (tokens[close].kind != dsl::TokenKind::RParen) continue;
        if (number) {
            edits.push_back({tokens[number].loc.line, tokens[number].loc.col, tokens[number].length, "0"});
        } else {  // the default rate: name it
            edits.push_back({tokens[close].loc.line, tokens[close].loc.col, 0, ", rate=0"});
        }
        ++*rewritten;
    }
    for (auto e = edits.rbegin(); e != edits.rend(); ++e) {
        if (e->line < 1 || e->line > static_cast<int>(lines.size())) continue;
        lines[static_cast<size_t>(e->line - 1)].replace(static_cast<size_t>(e->col - 1), static_cast<size_t>(e->length), e->with);
    }
    std::string out;
    for (const std::string& line : lines) out += line + "\n";
    return out;
}

}  // namespace nnc::driver
