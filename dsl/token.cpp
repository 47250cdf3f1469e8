// Names of token kinds, for dumps and syntax errors.
#include "dsl/token.h"

namespace nnc::dsl {

const char* token_kind_name(TokenKind kind) {
    switch (kind) {
        case TokenKind::Ident: return "identifier";
        case TokenKind::Int: return "integer";
        case TokenKind::Float: return "float";
        case TokenKind::String: return "string";
        case TokenKind::KwModel: return "'model'";
        case TokenKind::KwInput: return "'input'";
        case TokenKind::KwTarget: return "'target'";
        case TokenKind::KwLoss: return "'loss'";
        case TokenKind::KwTrain: return "'train'";
        case TokenKind::KwTrue: return "'true'";
        case TokenKind::KwFalse: return "'false'";
        case TokenKind::KwBlock: return "'block'";
        case TokenKind::KwRepeat: return "'repeat'";
        case TokenKind::LParen: return "'('";
        case TokenKind::RParen: return "')'";
        case TokenKind::LBracket: return "'['";
        case TokenKind::RBracket: return "']'";
        case TokenKind::LBrace: return "'{'";
        case TokenKind::RBrace: return "'}'";
        case TokenKind::Comma: return "','";
        case TokenKind::Colon: return "':'";
        case TokenKind::Equals: return "'='";
        case TokenKind::Minus: return "'-'";
        case TokenKind::Newline: return "end of line";
        case TokenKind::Eof: return "end of file";
    }
    return "token";
}

bool is_keyword(TokenKind kind) { return kind >= TokenKind::KwModel && kind <= TokenKind::KwRepeat; }

std::string describe(const Token& token) {
    switch (token.kind) {
        case TokenKind::Ident: return "identifier '" + token.text + "'";
        case TokenKind::Int:
        case TokenKind::Float: return "number " + token.text;
        case TokenKind::String: return "string \"" + token.text + "\"";
        default:
            if (is_keyword(token.kind)) return std::string("keyword ") + token_kind_name(token.kind);
            return token_kind_name(token.kind);
    }
}

}  // namespace nnc::dsl
