// Recursive-descent parser for .nn files. The grammar, in full, is in dsl/GRAMMAR.md; each
// function below carries its rule. Newlines end statements but are skipped inside (...) and [...],
// so long calls may wrap.
#include "dsl/parser.h"

#include <set>

namespace nnc::dsl {
namespace {

// Thrown after a syntax error has been reported; caught at statement level to resynchronize.
struct SyntaxError {};

class Parser {
public:
    Parser(const std::vector<Token>& tokens, const SourceFile& file, Diagnostics& diags)
        : toks_(tokens), file_(file), diags_(diags) {
        for (const Diagnostic& d : diags.all())
            if (d.file == &file && d.severity == Severity::Error) lexed_badly_.insert(d.span.loc.line);
    }

    // file = { NEWLINE } { ( model | block ) { NEWLINE } } EOF
    ast::File parse_file() {
        ast::File f;
        while (!at(TokenKind::Eof)) {
            if (accept(TokenKind::Newline)) continue;
            if (at(TokenKind::KwModel) || at(TokenKind::KwBlock)) {
                const bool model = at(TokenKind::KwModel);
                try {
                    if (model)
                        f.models.push_back(parse_model());
                    else
                        f.blocks.push_back(parse_block());
                } catch (const SyntaxError&) {
                    synchronize();
                }
                continue;
            }
            Diagnostic& d = error_here("expected 'model' or 'block', found " + describe(peek()));
            if (f.models.empty()) d.help("a file holds one model: model NAME { ... }");
            synchronize();
            if (at(TokenKind::RBrace)) advance();
        }
        return f;
    }

private:
    const Token& peek(size_t ahead = 0) const { return toks_[std::min(pos_ + ahead, toks_.size() - 1)]; }
    bool at(TokenKind k) const { return peek().kind == k; }
    const Token& advance() {
        const Token& t = peek();
        if (pos_ + 1 < toks_.size()) ++pos_;
        return t;
    }
    bool accept(TokenKind k) {
        if (!at(k)) return false;
        advance();
        return true;
    }
    void skip_newlines() {
        while (at(TokenKind::Newline)) advance();
    }
    static Span span_of(const Token& t) { return {t.loc, std::max(t.length, 1)}; }

    Diagnostic& error_here(std::string message) { return error_at(span_of(peek()), std::move(message)); }

    // A syntax error on a line the lexer already complained about is almost always its echo (an
    // unterminated string swallows the ')'), so it is dropped; the parser still recovers as usual.
    Diagnostic& error_at(Span at, std::string message) {
        if (lexed_badly_.count(at.loc.line)) {
            discarded_ = Diagnostic{};
            return discarded_;
        }
        return diags_.error(file_, at, std::move(message));
    }

    const Token& expect(TokenKind k, const std::string& what) {
        if (!at(k)) {
            error_here("expected " + what + ", found " + describe(peek()));
            throw SyntaxError{};
        }
        return advance();
    }

    // After an error: skip to the end of the statement. A newline outside brackets ends it; a '}'
    // outside brackets belongs to the enclosing section and is left for it.
    void synchronize() {
        // Start inside the brackets the failed statement had open, so its own closers are skipped.
        int depth = open_brackets_;
        open_brackets_ = 0;
        while (!at(TokenKind::Eof)) {
            const TokenKind k = peek().kind;
            // Inside brackets a newline usually continues the call, unless the next line plainly
            // starts a statement (the closer was forgotten, or the input is unbalanced).
            if (k == TokenKind::Newline && (depth == 0 || statement_follows())) {
                advance();
                return;
            }
            if (depth == 0 && k == TokenKind::RBrace) return;
            if (k == TokenKind::LParen || k == TokenKind::LBracket || k == TokenKind::LBrace) ++depth;
            if ((k == TokenKind::RParen || k == TokenKind::RBracket || k == TokenKind::RBrace) && depth > 0) --depth;
            advance();
        }
    }

    // Does the line after the current newline start a statement?
    bool statement_follows() const {
        size_t i = pos_ + 1;
        while (i < toks_.size() && toks_[i].kind == TokenKind::Newline) ++i;
        auto kind = [&](size_t k) { return k < toks_.size() ? toks_[k].kind : TokenKind::Eof; };
        switch (kind(i)) {
            case TokenKind::KwInput:
            case TokenKind::KwTarget:
            case TokenKind::KwLoss:
            case TokenKind::KwTrain:
            case TokenKind::KwModel:
            case TokenKind::KwBlock:
            case TokenKind::RBrace:
            case TokenKind::Eof: return true;
            case TokenKind::Ident:
                if (toks_[i].text == "return" && kind(i + 1) == TokenKind::Ident) return true;
                return kind(i + 1) == TokenKind::Equals &&
                       ((kind(i + 2) == TokenKind::Ident && kind(i + 3) == TokenKind::LParen) ||
                        kind(i + 2) == TokenKind::KwRepeat);
            default: return false;
        }
    }

    // model = "model" IDENT "{" { NEWLINE | stmt stmt_end } "}"
    ast::Model parse_model() {
        expect(TokenKind::KwModel, "'model'");
        ast::Model m;
        const Token& name = expect(TokenKind::Ident, "a model name");
        m.name = name.text;
        m.name_span = span_of(name);
        m.open_brace = span_of(expect(TokenKind::LBrace, "'{' after the model name"));
        while (true) {
            skip_newlines();
            if (accept(TokenKind::RBrace)) break;
            if (at(TokenKind::Eof)) {
                error_here("expected '}' to close model '" + m.name + "'")
                    .note(m.open_brace, "model '" + m.name + "' opened here");
                break;
            }
            try {
                m.stmts.push_back(parse_stmt());
                expect_stmt_end();
            } catch (const SyntaxError&) {
                synchronize();
            }
        }
        return m;
    }

    // block  = "block" IDENT "(" [ param { "," param } [ "," ] ] ")" "{" { NL | layer stmt_end } return "}"
    // param  = IDENT [ "=" value ]
    // return = "return" IDENT stmt_end       (`return` is a keyword only here, as the last statement)
    ast::Block parse_block() {
        ast::Block b;
        b.keyword_span = span_of(advance());
        const Token& name = expect(TokenKind::Ident, "a block name after 'block'");
        b.name = name.text;
        b.name_span = span_of(name);
        const Token& open_paren = expect(TokenKind::LParen, "'(' and the parameters of block '" + b.name + "'");
        ++open_brackets_;
        skip_newlines();
        while (!at(TokenKind::RParen)) {
            ast::Param p;
            const Token& pn = expect(TokenKind::Ident, "a parameter name");
            p.name = pn.text;
            p.span = span_of(pn);
            if (accept(TokenKind::Equals)) p.default_value = parse_value();
            b.params.push_back(std::move(p));
            if (!continue_list(open_paren, "')'", "parameters of block '" + b.name + "'")) break;
        }
        advance();
        --open_brackets_;
        const Span open = span_of(expect(TokenKind::LBrace, "'{' after the parameters of block '" + b.name + "'"));
        while (true) {
            skip_newlines();
            if (at(TokenKind::RBrace)) {
                b.close_brace = span_of(advance());
                break;
            }
            if (at(TokenKind::Eof) || at(TokenKind::KwModel) || at(TokenKind::KwBlock)) {
                error_here("expected '}' to close block '" + b.name + "', found " + describe(peek()))
                    .note(open, "block '" + b.name + "' opened here");
                break;
            }
            try {
                if (at(TokenKind::Ident) && peek().text == "return" && peek(1).kind == TokenKind::Ident) {
                    const Token& kw = advance();
                    if (!b.result.empty())
                        error_at(span_of(kw), "block '" + b.name + "' returns twice")
                            .note(b.result_span, "first return here");
                    const Token& r = advance();
                    if (b.result.empty()) {
                        b.result = r.text;
                        b.result_span = span_of(r);
                    }
                    expect_stmt_end();
                    continue;
                }
                const size_t first = pos_;
                ast::Stmt st = parse_stmt();
                expect_stmt_end();
                if (st.kind != ast::Stmt::Kind::Layer) {
                    error_at(st.keyword_span,
                             "a block holds layer statements only; '" + toks_[first].text + "' belongs in the model")
                        .help("pass tensors in as parameters and return one: `block " + b.name +
                              "(x, ...) { ... return out }`");
                    continue;
                }
                if (!b.result.empty()) {
                    error_at(st.name_span, "statement after 'return' in block '" + b.name + "'")
                        .help("`return NAME` is the last statement of a block");
                    continue;
                }
                b.stmts.push_back(std::move(st));
            } catch (const SyntaxError&) {
                synchronize();
            }
        }
        return b;
    }

    // stmt_end = NEWLINE | EOF | (lookahead) "}"
    void expect_stmt_end() {
        if (at(TokenKind::RBrace) || at(TokenKind::Eof)) return;
        if (accept(TokenKind::Newline)) return;
        error_here("expected end of line after the statement, found " + describe(peek()));
        throw SyntaxError{};
    }

    // stmt = input | target | loss | train | layer
    ast::Stmt parse_stmt() {
        switch (peek().kind) {
            case TokenKind::KwInput: return parse_decl(ast::Stmt::Kind::Input);
            case TokenKind::KwTarget: return parse_decl(ast::Stmt::Kind::Target);
            case TokenKind::KwLoss: return parse_loss();
            case TokenKind::KwTrain: return parse_train();
            case TokenKind::Ident: return parse_layer();
            case TokenKind::KwBlock:
                error_here("blocks are defined outside the model")
                    .help("move `block " + std::string(peek(1).kind == TokenKind::Ident ? peek(1).text : "NAME") +
                          "(...) { ... }` before or after `model`");
                parse_block();  // skipped whole, so its body is not taken for the model's
                throw SyntaxError{};
            case TokenKind::KwRepeat:
                error_here("'repeat' needs a name: `h = repeat 3 block(x, ...)`");
                throw SyntaxError{};
            default:
                error_here("expected a statement, found " + describe(peek()))
                    .help(
                        "statements are `input x: [784]`, `target y: classes(10)`, `name = op(...)`, "
                        "`loss = op(...)` and `train { ... }`");
                throw SyntaxError{};
        }
    }

    // input  = "input" IDENT ":" [ IDENT ] value   (the element type: float32, the default, or int32)
    // target = "target" IDENT ":" value        (value: [dims] or classes(C); the checker decides)
    ast::Stmt parse_decl(ast::Stmt::Kind kind) {
        ast::Stmt s;
        s.kind = kind;
        const Token& kw = advance();
        s.keyword_span = span_of(kw);
        const Token& name = expect(TokenKind::Ident, "a name after '" + kw.text + "'");
        s.name = name.text;
        s.name_span = span_of(name);
        if (!at(TokenKind::Colon)) {
            Diagnostic& d =
                error_here("expected ':' after '" + kw.text + " " + s.name + "', found " + describe(peek()));
            d.help(kind == ast::Stmt::Kind::Input
                       ? "write `input " + s.name + ": [784]`"
                       : "write `target " + s.name + ": classes(10)` or `target " + s.name + ": [3]`");
            throw SyntaxError{};
        }
        advance();
        if (kind == ast::Stmt::Kind::Input && at(TokenKind::Ident) && peek(1).kind == TokenKind::LBracket) {
            s.dtype = peek().text;
            s.dtype_span = span_of(advance());
        }
        s.value = parse_value();
        return s;
    }

    // loss = "loss" [ IDENT ] "=" call
    ast::Stmt parse_loss() {
        ast::Stmt s;
        s.kind = ast::Stmt::Kind::Loss;
        s.keyword_span = span_of(advance());
        if (at(TokenKind::Ident)) {
            s.name = peek().text;
            s.name_span = span_of(advance());
        }
        expect(TokenKind::Equals, s.name.empty() ? "'=' after 'loss'" : "'=' after 'loss " + s.name + "'");
        s.value = parse_call_stmt_rhs();
        return s;
    }

    // layer = IDENT "=" ( call | "repeat" value call )
    ast::Stmt parse_layer() {
        ast::Stmt s;
        s.kind = ast::Stmt::Kind::Layer;
        const Token& name = advance();
        s.name = name.text;
        s.name_span = s.keyword_span = span_of(name);
        if (!at(TokenKind::Equals)) {
            Diagnostic& d = error_here("expected '=' after '" + s.name + "', found " + describe(peek()));
            if (at(TokenKind::Colon))
                d.help("declare inputs with `input " + s.name + ": [...]`");
            else
                d.help("a layer is written `" + s.name + " = op(inputs, attributes)`");
            throw SyntaxError{};
        }
        advance();
        if (at(TokenKind::KwRepeat)) {
            s.repeat_span = span_of(advance());
            s.repeat_count = parse_value();
            if (!(at(TokenKind::Ident) && peek(1).kind == TokenKind::LParen)) {
                error_here("expected a block call after 'repeat', found " + describe(peek()))
                    .help("write `" + s.name + " = repeat 3 block_name(x, ...)`");
                throw SyntaxError{};
            }
        }
        s.value = parse_call_stmt_rhs();
        return s;
    }

    // The right-hand side of a layer or loss must be a call.
    ast::Value parse_call_stmt_rhs() {
        if (!(at(TokenKind::Ident) && peek(1).kind == TokenKind::LParen)) {
            error_here("expected an op call like relu(x), found " + describe(peek()));
            throw SyntaxError{};
        }
        return parse_value();
    }

    // train   = "train" "{" { NEWLINE | setting stmt_end } "}"
    // setting = IDENT "=" value
    ast::Stmt parse_train() {
        ast::Stmt s;
        s.kind = ast::Stmt::Kind::Train;
        s.keyword_span = span_of(advance());
        const Span open = span_of(expect(TokenKind::LBrace, "'{' after 'train'"));
        while (true) {
            skip_newlines();
            if (accept(TokenKind::RBrace)) break;
            // A statement keyword here means the section was never closed; let the model body have it.
            const TokenKind k = peek().kind;
            if (k == TokenKind::Eof || k == TokenKind::KwInput || k == TokenKind::KwTarget || k == TokenKind::KwLoss ||
                k == TokenKind::KwTrain || k == TokenKind::KwModel) {
                error_here("expected '}' to close the train section, found " + describe(peek()))
                    .note(open, "train section opened here");
                return s;
            }
            try {
                ast::Setting st;
                const Token& key = expect(TokenKind::Ident, "a setting name such as 'batch'");
                st.key = key.text;
                st.key_span = span_of(key);
                expect(TokenKind::Equals, "'=' after '" + st.key + "'");
                st.value = parse_value();
                s.settings.push_back(std::move(st));
                expect_stmt_end();
            } catch (const SyntaxError&) {
                synchronize();
            }
        }
        return s;
    }

    // value = [ "-" ] NUMBER | STRING | "true" | "false" | IDENT | call | list
    ast::Value parse_value() {
        // Values nest through lists and calls; bound the recursion so hostile input cannot
        // overflow the stack.
        struct Depth {
            int& d;
            explicit Depth(int& x) : d(++x) {}
            ~Depth() { --d; }
        } depth(nesting_);
        if (nesting_ > kMaxNesting) {
            error_here("values nested more than " + std::to_string(kMaxNesting) + " deep");
            throw SyntaxError{};
        }
        ast::Value v;
        const Token& t = peek();
        v.span = span_of(t);
        switch (t.kind) {
            case TokenKind::Minus: {
                advance();
                const Token& n = peek();
                if (n.kind != TokenKind::Int && n.kind != TokenKind::Float) {
                    error_here("expected a number after '-', found " + describe(n));
                    throw SyntaxError{};
                }
                advance();
                v.kind = n.kind == TokenKind::Int ? ast::Value::Kind::Int : ast::Value::Kind::Float;
                v.int_value = -n.int_value;
                v.float_value = -n.float_value;
                v.span.length = n.loc.col + n.length - t.loc.col;
                return v;
            }
            case TokenKind::Int:
                advance();
                v.kind = ast::Value::Kind::Int;
                v.int_value = t.int_value;
                return v;
            case TokenKind::Float:
                advance();
                v.kind = ast::Value::Kind::Float;
                v.float_value = t.float_value;
                return v;
            case TokenKind::String:
                advance();
                v.kind = ast::Value::Kind::String;
                v.text = t.text;
                return v;
            case TokenKind::KwTrue:
            case TokenKind::KwFalse:
                advance();
                v.kind = ast::Value::Kind::Bool;
                v.bool_value = t.kind == TokenKind::KwTrue;
                return v;
            case TokenKind::Ident:
                advance();
                v.text = t.text;
                if (at(TokenKind::LParen)) return parse_call_args(std::move(v));
                v.kind = ast::Value::Kind::Ident;
                return v;
            case TokenKind::LBracket: return parse_list();
            default: error_here("expected a value, found " + describe(t)); throw SyntaxError{};
        }
    }

    // list = "[" [ value { "," value } [ "," ] ] "]"
    ast::Value parse_list() {
        ast::Value v;
        v.kind = ast::Value::Kind::List;
        const Token& open = advance();
        ++open_brackets_;
        v.span = span_of(open);
        skip_newlines();
        while (!at(TokenKind::RBracket)) {
            v.items.push_back(parse_value());
            if (!continue_list(open, "']'", "list")) break;
        }
        close_span(v.span, advance());
        --open_brackets_;
        return v;
    }

    // call = IDENT "(" [ arg { "," arg } [ "," ] ] ")"
    // arg  = [ IDENT "=" ] value
    ast::Value parse_call_args(ast::Value v) {
        v.kind = ast::Value::Kind::Call;
        v.callee_span = v.span;
        const Token& open = advance();
        ++open_brackets_;
        skip_newlines();
        while (!at(TokenKind::RParen)) {
            ast::Arg a;
            if (at(TokenKind::Ident) && peek(1).kind == TokenKind::Equals) {
                const Token& key = advance();
                a.key = key.text;
                a.key_span = span_of(key);
                advance();
            }
            a.value = parse_value();
            v.args.push_back(std::move(a));
            if (!continue_list(open, "')'", "call to '" + v.text + "'")) break;
        }
        close_span(v.span, advance());
        --open_brackets_;
        return v;
    }

    // After an element: "," (more may follow) or the closing bracket. Returns false at the closer,
    // which is left for the caller to consume.
    bool continue_list(const Token& open, const std::string& closer, const std::string& what) {
        const size_t before = pos_;
        skip_newlines();
        if (accept(TokenKind::Comma)) {
            skip_newlines();
            return !at(open.kind == TokenKind::LParen ? TokenKind::RParen : TokenKind::RBracket);
        }
        const TokenKind close = open.kind == TokenKind::LParen ? TokenKind::RParen : TokenKind::RBracket;
        if (at(close)) return false;
        // A forgotten closer at the end of a line: point at that line end, and resume on the next
        // line as a fresh statement instead of swallowing the rest of the file.
        if (pos_ != before) {
            error_at(span_of(toks_[before]), "expected ',' or " + closer + " in " + what)
                .note(span_of(open), "opened here");
            pos_ = before;
            open_brackets_ = 0;
            throw SyntaxError{};
        }
        error_here("expected ',' or " + closer + " in " + what + ", found " + describe(peek()));
        throw SyntaxError{};
    }

    // Extend a span to cover through `last` when it is on the same line.
    static void close_span(Span& span, const Token& last) {
        if (last.loc.line == span.loc.line) span.length = last.loc.col + last.length - span.loc.col;
    }

    const std::vector<Token>& toks_;
    const SourceFile& file_;
    Diagnostics& diags_;
    size_t pos_ = 0;
    static constexpr int kMaxNesting = 64;
    int nesting_ = 0;
    int open_brackets_ = 0;      // ( and [ consumed and not yet closed in the current statement
    std::set<int> lexed_badly_;  // lines with lexical errors
    Diagnostic discarded_;       // where suppressed errors go
};

}  // namespace

ast::File parse(const std::vector<Token>& tokens, const SourceFile& file, Diagnostics& diags) {
    return Parser(tokens, file, diags).parse_file();
}

}  // namespace nnc::dsl
