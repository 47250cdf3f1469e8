// The lexer: a single hand-written loop over bytes. Comments are `#` or `//` to end of line.
#include "dsl/lexer.h"

#include <cctype>
#include <charconv>
#include <map>

namespace nnc::dsl {
namespace {

const std::map<std::string, TokenKind, std::less<>>& keywords() {
    static const std::map<std::string, TokenKind, std::less<>> k = {
        {"model", TokenKind::KwModel}, {"input", TokenKind::KwInput}, {"target", TokenKind::KwTarget},
        {"loss", TokenKind::KwLoss},   {"train", TokenKind::KwTrain}, {"true", TokenKind::KwTrue},
        {"false", TokenKind::KwFalse}, {"block", TokenKind::KwBlock}, {"repeat", TokenKind::KwRepeat},
    };
    return k;
}

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
public:
    Lexer(const SourceFile& file, Diagnostics& diags) : file_(file), text_(file.text()), diags_(diags) {}

    std::vector<Token> run() {
        while (pos_ < text_.size()) step();
        Token eof;
        eof.kind = TokenKind::Eof;
        eof.loc = eof_location();
        eof.length = 1;
        tokens_.push_back(eof);
        return std::move(tokens_);
    }

private:
    char peek(size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
    Location here() const { return {line_, static_cast<int>(pos_ - line_start_) + 1}; }

    // End of file is reported just after the last non-blank character, where a missing '}' goes.
    Location eof_location() const {
        size_t end = text_.size();
        while (end > 0 && std::isspace(static_cast<unsigned char>(text_[end - 1]))) --end;
        int line = 1;
        size_t start = 0;
        for (size_t i = 0; i < end; ++i)
            if (text_[i] == '\n') ++line, start = i + 1;
        return {line, static_cast<int>(end - start) + 1};
    }

    void push(TokenKind kind, Location loc, size_t begin, std::string text = {}) {
        Token t;
        t.kind = kind;
        t.loc = loc;
        t.length = static_cast<int>(pos_ - begin);
        t.text = text.empty() && kind != TokenKind::String ? text_.substr(begin, pos_ - begin) : std::move(text);
        tokens_.push_back(std::move(t));
    }

    void step() {
        const char c = peek();
        const Location loc = here();
        const size_t begin = pos_;
        if (c == '\n') {
            ++pos_;
            push(TokenKind::Newline, loc, begin, "\\n");
            ++line_;
            line_start_ = pos_;
            return;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            ++pos_;
            return;
        }
        if (c == '#' || (c == '/' && peek(1) == '/')) {
            while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
            return;
        }
        if (is_ident_start(c)) return identifier(loc, begin);
        if (is_digit(c) || (c == '.' && is_digit(peek(1)))) return number(loc, begin);
        if (c == '"') return string(loc, begin);
        static const std::map<char, TokenKind> punct = {
            {'(', TokenKind::LParen}, {')', TokenKind::RParen}, {'[', TokenKind::LBracket}, {']', TokenKind::RBracket},
            {'{', TokenKind::LBrace}, {'}', TokenKind::RBrace}, {',', TokenKind::Comma},    {':', TokenKind::Colon},
            {'=', TokenKind::Equals}, {'-', TokenKind::Minus},
        };
        if (auto it = punct.find(c); it != punct.end()) {
            ++pos_;
            return push(it->second, loc, begin);
        }
        // Skip the whole UTF-8 sequence so one stray character gives one error.
        ++pos_;
        while (pos_ < text_.size() && (static_cast<unsigned char>(text_[pos_]) & 0xC0) == 0x80) ++pos_;
        const std::string ch = text_.substr(begin, pos_ - begin);
        Diagnostic& d = diags_.error(file_, {loc, 1}, "unexpected character '" + ch + "'");
        if (c == ';') d.help("statements end at the end of the line; remove the ';'");
    }

    void identifier(Location loc, size_t begin) {
        while (is_ident_char(peek())) ++pos_;
        const std::string_view word(text_.data() + begin, pos_ - begin);
        auto it = keywords().find(word);
        push(it != keywords().end() ? it->second : TokenKind::Ident, loc, begin);
    }

    // integer: digits; float: digits '.' digits [exponent] | digits exponent; exponent: [eE][+-]digits.
    void number(Location loc, size_t begin) {
        bool is_float = false;
        while (is_digit(peek())) ++pos_;
        if (peek() == '.' && is_digit(peek(1))) {
            is_float = true;
            ++pos_;
            while (is_digit(peek())) ++pos_;
        }
        bool bad_exponent = false;
        if (peek() == 'e' || peek() == 'E') {
            is_float = true;
            ++pos_;
            if (peek() == '+' || peek() == '-') ++pos_;
            if (!is_digit(peek())) bad_exponent = true;
            while (is_digit(peek())) ++pos_;
        }
        // "12abc" or "1.5.2" is one malformed number, not a number followed by something.
        while (is_ident_char(peek()) || (peek() == '.' && is_digit(peek(1)))) ++pos_, bad_exponent = true;
        const std::string spelling = text_.substr(begin, pos_ - begin);
        Token t;
        t.kind = is_float ? TokenKind::Float : TokenKind::Int;
        t.loc = loc;
        t.length = static_cast<int>(spelling.size());
        t.text = spelling;
        if (bad_exponent) {
            diags_.error(file_, {loc, t.length}, "malformed number '" + spelling + "'")
                .help("numbers look like 42, 0.5 or 3e-4");
        } else if (is_float) {
            t.float_value = std::strtod(spelling.c_str(), nullptr);
        } else {
            auto [p, ec] = std::from_chars(spelling.data(), spelling.data() + spelling.size(), t.int_value);
            if (ec != std::errc()) diags_.error(file_, {loc, t.length}, "integer '" + spelling + "' is too large");
        }
        tokens_.push_back(std::move(t));
    }

    // "..." on one line, with escapes \" \\ \n \t.
    void string(Location loc, size_t begin) {
        ++pos_;
        std::string value;
        while (true) {
            const char c = peek();
            if (pos_ >= text_.size() || c == '\n') {
                diags_.error(file_, {loc, static_cast<int>(pos_ - begin)}, "unterminated string")
                    .help("close it with '\"' on the same line");
                break;
            }
            ++pos_;
            if (c == '"') break;
            if (c == '\\') {
                const char e = peek();
                const Location eloc = {line_, static_cast<int>(pos_ - line_start_)};
                if (e == '"' || e == '\\')
                    value += e, ++pos_;
                else if (e == 'n')
                    value += '\n', ++pos_;
                else if (e == 't')
                    value += '\t', ++pos_;
                else
                    diags_.error(file_, {eloc, 2}, "unknown escape sequence '\\" + std::string(1, e) + "'")
                        .help("strings allow \\\" \\\\ \\n and \\t");
                continue;
            }
            value += c;
        }
        push(TokenKind::String, loc, begin, value);
    }

    const SourceFile& file_;
    const std::string& text_;
    Diagnostics& diags_;
    std::vector<Token> tokens_;
    size_t pos_ = 0, line_start_ = 0;
    int line_ = 1;
};

}  // namespace

std::vector<Token> lex(const SourceFile& file, Diagnostics& diags) { return Lexer(file, diags).run(); }

std::string dump_tokens(const std::vector<Token>& tokens) {
    std::string out;
    for (const Token& t : tokens) {
        std::string pos = std::to_string(t.loc.line) + ":" + std::to_string(t.loc.col);
        pos.resize(std::max<size_t>(pos.size(), 7), ' ');
        std::string kind = token_kind_name(t.kind);
        kind.resize(std::max<size_t>(kind.size(), 12), ' ');
        out += pos + " " + kind;
        if (t.kind == TokenKind::Ident || t.kind == TokenKind::Int || t.kind == TokenKind::Float)
            out += " " + t.text;
        else if (t.kind == TokenKind::String)
            out += " \"" + t.text + "\"";
        // Trailing spaces from the padding are noise in a dump.
        while (!out.empty() && out.back() == ' ') out.pop_back();
        out += "\n";
    }
    return out;
}

}  // namespace nnc::dsl
