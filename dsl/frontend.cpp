// compile_model: the stages in order. Each stage reports into the same Diagnostics.
#include "dsl/frontend.h"

#include <fstream>
#include <sstream>

#include "dsl/checker.h"
#include "dsl/lexer.h"
#include "dsl/parser.h"

namespace nnc::dsl {

std::optional<CheckedModel> compile_model(const SourceFile& file, const OpCatalog& ops, Diagnostics& diags) {
    const int errors_before = diags.error_count();
    const std::vector<Token> tokens = lex(file, diags);
    const ast::File tree = parse(tokens, file, diags);
    if (diags.error_count() > errors_before) return std::nullopt;
    return check(tree, file, ops, diags);
}

std::optional<SourceFile> read_source(const std::string& path, Diagnostics& diags) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        diags.error(path, "cannot open '" + path + "'");
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return SourceFile(path, text.str());
}

std::string dump_tokens(const SourceFile& file, Diagnostics& diags) { return dump_tokens(lex(file, diags)); }

std::string dump_ast(const SourceFile& file, Diagnostics& diags) {
    return dump_ast(parse(lex(file, diags), file, diags));
}

}  // namespace nnc::dsl
