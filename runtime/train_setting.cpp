// nnc_train_config_set: one setting of a train section from its text, as a .nn file writes it
// after `key =`. The words, defaults and ranges are nnc/train_vocabulary.h's and the values
// become the C structs by its translation (vocab::apply), exactly as the .nn checker's do; this
// file only reads the text (the .nn grammar's `value`) and binds call arguments to parameters
// as the checker's binder does, with the same messages (a syntax error names its column).
#include <nnc/train_vocabulary.h>

#include "runtime/errors.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace nnc::runtime {
namespace {

namespace vocab = nnc::vocab;

struct Arg;

// A failure that reads as a predicate of the setting: "train setting 'batch' " + what().
struct Phrase : Error {
    explicit Phrase(const std::string& message) : Error(NNC_ERR_INVALID_ARGUMENT, message) {}
};

// A value as written: 42, -0.5, true, val_loss, [30, 60], cosine(epochs=20).
struct Value {
    enum class Kind { Int, Float, Bool, Name, List, Call };
    Kind kind = Kind::Int;
    int64_t integer = 0;
    double number = 0;         // Int and Float
    std::string text;          // Name, and the callee of a Call
    std::vector<Value> items;  // List
    std::vector<Arg> args;     // Call

    bool is_number() const { return kind == Kind::Int || kind == Kind::Float; }
};

struct Arg {
    std::string key;  // empty: positional
    Value value;
};

// How a value reads in "got ...": the literal where short, else its kind.
std::string got(const Value& v) {
    switch (v.kind) {
        case Value::Kind::Int: return std::to_string(v.integer);
        case Value::Kind::Float: return vocab::show_number(v.number);
        case Value::Kind::Bool: return v.integer ? "true" : "false";
        case Value::Kind::Name: return "'" + v.text + "'";
        case Value::Kind::List: return "a list";
        case Value::Kind::Call: return "a call to '" + v.text + "'";
    }
    return "a value";
}

// value = ["-"] NUMBER | "true" | "false" | NAME | call | list
// call  = NAME "(" [ arg { "," arg } [ "," ] ] ")"      arg = [ NAME "=" ] value
// list  = "[" [ value { "," value } [ "," ] ] "]"
class Reader {
public:
    explicit Reader(std::string_view text) : text_(text) {}

    Value whole() {
        Value v = value(0);
        skip();
        if (pos_ < text_.size()) fail("unexpected '" + std::string(1, text_[pos_]) + "' after the value");
        return v;
    }

private:
    static constexpr int kMaxNesting = 16;

    [[noreturn]] void fail(const std::string& what) const {
        throw Error(NNC_ERR_INVALID_ARGUMENT, what + " at column " + std::to_string(std::min(pos_, text_.size()) + 1) +
                                                  " of '" + std::string(text_) + "'");
    }
    void skip() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    bool accept(char c) {
        skip();
        if (pos_ < text_.size() && text_[pos_] == c) return ++pos_, true;
        return false;
    }
    static bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

    Value value(int depth) {
        if (depth > kMaxNesting) fail("values nested more than " + std::to_string(kMaxNesting) + " deep");
        skip();
        Value v;
        const char c = pos_ < text_.size() ? text_[pos_] : '\0';
        if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return number(v);
        if (c == '[') return list(v, depth);
        if (!std::isalpha(static_cast<unsigned char>(c)) && c != '_')
            fail(pos_ < text_.size() ? "expected a value, found '" + std::string(1, c) + "'"
                                     : "expected a value, found the end");
        const size_t begin = pos_;
        while (pos_ < text_.size() && ident_char(text_[pos_])) ++pos_;
        v.text = text_.substr(begin, pos_ - begin);
        if (v.text == "true" || v.text == "false") {
            v.kind = Value::Kind::Bool;
            v.integer = v.text == "true";
            return v;
        }
        v.kind = Value::Kind::Name;
        if (accept('(')) call_args(v, depth);
        return v;
    }

    // integer: digits; float: digits '.' digits [exponent] | digits exponent (the .nn lexer's).
    Value number(Value v) {
        const size_t begin = pos_;
        const bool negative = text_[pos_] == '-';
        if (negative) ++pos_, skip();
        const size_t digits = pos_;
        bool is_float = false;
        auto run = [&] {
            const size_t from = pos_;
            while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
            return pos_ > from;
        };
        if (!run()) fail("expected a number after '-'");
        if (pos_ + 1 < text_.size() && text_[pos_] == '.' && std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])))
            ++pos_, run(), is_float = true;
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            ++pos_, is_float = true;
            if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
            if (!run()) fail("malformed number '" + std::string(text_.substr(begin, pos_ - begin)) + "'");
        }
        if (pos_ < text_.size() && (ident_char(text_[pos_]) || text_[pos_] == '.')) {
            while (pos_ < text_.size() && (ident_char(text_[pos_]) || text_[pos_] == '.')) ++pos_;
            fail("malformed number '" + std::string(text_.substr(begin, pos_ - begin)) +
                 "' (numbers look like 42, 0.5 or 3e-4)");
        }
        const std::string spelling(text_.substr(digits, pos_ - digits));
        v.kind = is_float ? Value::Kind::Float : Value::Kind::Int;
        if (is_float) {
            v.number = std::strtod(spelling.c_str(), nullptr);
        } else {
            auto [p, ec] = std::from_chars(spelling.data(), spelling.data() + spelling.size(), v.integer);
            if (ec != std::errc()) fail("integer '" + spelling + "' is too large");
            v.number = static_cast<double>(v.integer);
        }
        if (negative) v.integer = -v.integer, v.number = -v.number;
        return v;
    }

    Value list(Value v, int depth) {
        v.kind = Value::Kind::List;
        ++pos_;
        while (!accept(']')) {
            v.items.push_back(value(depth + 1));
            if (accept(']')) break;
            if (!accept(',')) fail("expected ',' or ']' in the list");
        }
        return v;
    }

    void call_args(Value& v, int depth) {
        v.kind = Value::Kind::Call;
        while (!accept(')')) {
            Arg a;
            skip();
            const size_t begin = pos_;
            while (pos_ < text_.size() && ident_char(text_[pos_])) ++pos_;
            const size_t end = pos_;
            if (end > begin && accept('='))
                a.key = text_.substr(begin, end - begin);
            else
                pos_ = begin;
            a.value = value(depth + 1);
            v.args.push_back(std::move(a));
            if (accept(')')) break;
            if (!accept(',')) fail("expected ',' or ')' in the arguments of '" + v.text + "'");
        }
    }

    std::string_view text_;
    size_t pos_ = 0;
};

// " (did you mean 'x'?)" for a plausible typo of one of `names`, else "".
std::string did_you_mean(std::string_view name, const std::vector<std::string>& names) {
    const std::optional<std::string> best = vocab::nearest(name, names);
    return best ? " (did you mean '" + *best + "'?)" : "";
}

// Binding a call's arguments to a callable's parameters, as dsl/attr_binder.cpp binds them:
// positional first in parameter order, then by name; defaults filled in. Every error is kept.
class Binder {
public:
    Binder(const vocab::Callable& c, std::vector<std::string>& errors) : c_(c), b_(c), errors_(errors) {}

    vocab::Bound bind(const Value& call) {
        const std::string owner = c_.name;
        const std::string takes = c_.params.empty() ? "'" + owner + "' takes no attributes"
                                                    : "'" + owner + "' takes: " + vocab::join(vocab::param_names(c_));
        size_t next = 0;
        bool keyword = false;
        std::vector<std::string> near_misses;
        for (const Arg& a : call.args) {
            int i = -1;
            if (a.key.empty()) {
                if (keyword) {
                    error("positional argument after a keyword argument in call to '" + owner + "'");
                    continue;
                }
                if (next >= c_.params.size()) {
                    error("too many arguments to '" + owner + "'; " + takes);
                    break;
                }
                i = static_cast<int>(next++);
            } else {
                keyword = true;
                i = b_.index(a.key);
                if (i < 0) {
                    const std::string hint = did_you_mean(a.key, vocab::param_names(c_));
                    if (!hint.empty()) near_misses.push_back(hint);
                    error("unknown attribute '" + a.key + "' for '" + owner + "'" + hint + "; " + takes);
                    continue;
                }
            }
            take(static_cast<size_t>(i), a.value);
        }
        fill_defaults(near_misses);
        return b_;
    }

    bool ok() const { return ok_; }

private:
    void error(const std::string& message) {
        errors_.push_back(message);
        ok_ = false;
    }

    void take(size_t i, const Value& v) {
        const vocab::Param& p = c_.params[i];
        const std::string about = "attribute '" + std::string(p.name) + "' of '" + c_.name + "'";
        if (b_.given[i]) return error(about + " is given twice");
        b_.given[i] = true;
        switch (p.type) {
            case vocab::Type::Float:
                if (!v.is_number()) return error(about + " expects a number, got " + got(v));
                b_.value[i] = v.number;
                break;
            case vocab::Type::Int:
                if (v.kind != Value::Kind::Int) return error(about + " expects an integer, got " + got(v));
                b_.value[i] = static_cast<double>(v.integer);
                break;
            case vocab::Type::Bool:
                if (v.kind != Value::Kind::Bool) return error(about + " expects true or false, got " + got(v));
                b_.value[i] = static_cast<double>(v.integer);
                break;
            case vocab::Type::Name:
                if (!name(i, v, about)) return;
                break;
            case vocab::Type::IntList:
                if (v.kind != Value::Kind::List) return error(about + " expects a list of integers, got " + got(v));
                for (const Value& item : v.items) {
                    if (item.kind != Value::Kind::Int)
                        return error(about + " expects a list of integers, got " + got(item));
                    b_.list[i].push_back(item.integer);
                }
                break;
        }
        b_.has[i] = true;
    }

    bool name(size_t i, const Value& v, const std::string& about) {
        const vocab::Param& p = c_.params[i];
        const std::string choices = "choices: " + vocab::join(vocab::names(p.words));
        if (v.kind != Value::Kind::Name) {
            error(about + " expects a name, got " + got(v) + "; " + choices);
            return false;
        }
        const vocab::Word* w = vocab::find(p.words, v.text);
        if (!w) {
            error("unknown value '" + v.text + "' for " + about + did_you_mean(v.text, vocab::names(p.words)) + "; " +
                  choices);
            return false;
        }
        b_.value[i] = w->value;
        return true;
    }

    void fill_defaults(const std::vector<std::string>& near_misses) {
        for (size_t i = 0; i < c_.params.size(); ++i) {
            const vocab::Param& p = c_.params[i];
            if (b_.given[i]) continue;
            if (!p.required) {
                b_.has[i] = true;
                b_.value[i] = p.value;
            } else if (std::none_of(near_misses.begin(), near_misses.end(), [&](const std::string& h) {
                           return h.find("'" + std::string(p.name) + "'") != std::string::npos;
                       })) {
                errors_.push_back("missing required attribute '" + std::string(p.name) + "' for '" + c_.name +
                                  "'; add " + p.name + "=... (" + p.help + ")");
                ok_ = false;
            }
        }
    }

    const vocab::Callable& c_;
    vocab::Bound b_;
    std::vector<std::string>& errors_;
    bool ok_ = true;
};

// The callable `v` names among `choices`, bound; throws with every error found.
vocab::Bound bind_callable(const Value& v, const vocab::Setting& setting) {
    const std::string what = setting.meaning;
    const std::string listing = what + "s: " + vocab::signatures(setting.callables);
    if (v.kind != Value::Kind::Name && v.kind != Value::Kind::Call)
        throw Phrase("expects " + what + ", such as " + setting.callables.front().signature + ", got " + got(v) + "; " +
                     listing);
    const vocab::Callable* c = vocab::find(setting.callables, v.text);
    if (!c)
        throw Error(NNC_ERR_INVALID_ARGUMENT, "unknown " + what + " '" + v.text + "'" +
                                                  did_you_mean(v.text, vocab::names(setting.callables)) + "; " +
                                                  listing);
    std::vector<std::string> errors;
    Binder binder(*c, errors);
    const vocab::Bound b = binder.bind(v);
    for (const vocab::Problem& p : vocab::range_problems(b)) errors.push_back(p.message);
    if (errors.empty())
        if (const auto p = vocab::joint_problem(b)) errors.push_back(p->message);
    if (!errors.empty()) throw Error(NNC_ERR_INVALID_ARGUMENT, vocab::join(errors, "; "));
    return b;
}

int64_t integer_setting(const Value& v, const vocab::Setting& s) {
    if (v.kind != Value::Kind::Int)
        throw Phrase("expects an integer, got " + got(v) + " (it is " + std::string(s.meaning) + ")");
    if (v.integer < s.minimum)
        throw Phrase("must be at least " + std::to_string(s.minimum) + ", got " + std::to_string(v.integer));
    return v.integer;
}

double number_setting(const Value& v, const vocab::Setting& s) {
    if (!v.is_number()) throw Phrase("expects a number, got " + got(v) + " (it is " + std::string(s.meaning) + ")");
    if (!(v.number > 0))
        throw Phrase("must be greater than 0, got " + vocab::show_number(v.number) + "; leave it out to turn it off");
    return v.number;
}

// Sets `s` from `text` in copies of the configs; throws with what was wrong.
void set(nnc_train_config& train, nnc_optimizer_config* optimizer, const vocab::Setting& s, std::string_view text) {
    const Value v = Reader(text).whole();
    const std::string key = s.key;
    if (key == "validation")
        throw Phrase(
            "is not part of nnc_train_config: hold the samples out of the training data with "
            "nnc_dataset_slice and pass them to nnc_train as its validation set");
    if (key == "optimizer")
        if (!optimizer) throw Phrase("needs an nnc_optimizer_config to write into (the optimizer argument is NULL)");
    switch (s.kind) {
        case vocab::SettingKind::Integer: {
            const int64_t n = integer_setting(v, s);
            if (key == "batch") train.batch = n;
            if (key == "epochs") train.epochs = n;
            if (key == "seed") train.seed = static_cast<uint64_t>(n);
            if (key == "accumulate") train.accumulate = n;
            return;
        }
        case vocab::SettingKind::Number:
            (key == "clip_norm" ? train.clip_norm : train.clip_value) = number_setting(v, s);
            return;
        case vocab::SettingKind::Warmup:
            if (v.kind == Value::Kind::Int) return vocab::apply_warmup_steps(integer_setting(v, s), train.schedule);
            if (v.kind != Value::Kind::Call || v.text != s.callables.front().name)
                throw Phrase("expects a number of updates or " + std::string(s.callables.front().signature) + ", got " +
                             got(v) + "; for example: 500, or warmup(epochs=2, start=0.1)");
            break;
        case vocab::SettingKind::Callable: break;
    }
    const vocab::Bound b = bind_callable(v, s);
    vocab::apply(key, b,
                 vocab::Targets<nnc_optimizer_config, nnc_train_config>{optimizer, &train.schedule,
                                                                        &train.early_stopping, &train});
    vocab::settle_cosine(train.schedule, train.epochs);
}

std::vector<std::string> setting_keys() {
    std::vector<std::string> keys;
    for (const vocab::Setting& s : vocab::kTrainSettings) keys.emplace_back(s.key);
    return keys;
}

}  // namespace
}  // namespace nnc::runtime

using namespace nnc::runtime;

extern "C" nnc_status nnc_train_config_set(nnc_train_config* train, nnc_optimizer_config* optimizer, const char* key,
                                           const char* text) {
    return guarded("nnc_train_config_set", [&] {
        const std::string keys = "train settings: " + nnc::vocab::join(setting_keys());
        require(train != nullptr, "nnc_train_config_set: train is NULL");
        require(key != nullptr, "nnc_train_config_set: key is NULL; " + keys);
        require(text != nullptr, std::string("nnc_train_config_set: the text of '") + key + "' is NULL");
        const nnc::vocab::Setting* s = nnc::vocab::find_setting(key);
        require(s != nullptr,
                "unknown train setting '" + std::string(key) + "'" + did_you_mean(key, setting_keys()) + "; " + keys);
        nnc_train_config t = *train;
        nnc_optimizer_config o = optimizer ? *optimizer : nnc_optimizer_config{};
        try {
            set(t, optimizer ? &o : nullptr, *s, text);
        } catch (const Phrase& e) {
            throw Error(e.status(), "train setting '" + std::string(key) + "' " + e.what());
        } catch (const Error& e) {
            throw Error(e.status(), "train setting '" + std::string(key) + "': " + e.what());
        }
        *train = t;
        if (optimizer) *optimizer = o;
        return NNC_OK;
    });
}
