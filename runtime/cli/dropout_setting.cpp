#include "runtime/cli/dropout_setting.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "runtime/cli/data_loading.h"

namespace nnc::driver {
namespace {

std::vector<std::string> dropout_names(const LoadedModel& lib, const nnc_model* model) {
    std::vector<std::string> names;
    for (int k = 0; k < lib.nnc_model_num_dropouts(model); ++k) {
        const char* name = nullptr;
        lib.check(lib.nnc_model_dropout_info(model, k, &name, nullptr, nullptr), "reading the dropout layers");
        names.push_back(name);
    }
    return names;
}

std::string joined(const std::vector<std::string>& names) {
    std::string s;
    for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
}

void require_dropout(const LoadedModel& lib, const nnc_model* model, const std::string& flag) {
    if (lib.nnc_model_num_dropouts(model) == 0)
        throw std::runtime_error(
            flag + ": model '" + std::string(lib.nnc_model_name(model)) +
            "' has no dropout layers, so there is no rate to set; add dropout(x, rate) to the .nn file or "
            "leave out " +
            flag);
}

}  // namespace

double parse_dropout_rate(const std::string& text, const std::string& flag) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end == text.c_str() || *end != '\0' || !std::isfinite(v))
        throw std::runtime_error(flag + ": '" + text +
                                 "' is not a number; a dropout rate is a probability such as 0.3");
    if (!(v >= 0 && v < 1))
        throw std::runtime_error(flag + ": " + text +
                                 " is out of range; a dropout rate must be in [0, 1) (0 turns dropout off)");
    return v;
}

std::vector<double> dropout_rates(const LoadedModel& lib, const nnc_model* model) {
    std::vector<double> rates;
    for (int k = 0; k < lib.nnc_model_num_dropouts(model); ++k) {
        double rate = 0;
        lib.check(lib.nnc_model_dropout_info(model, k, nullptr, &rate, nullptr), "reading the dropout layers");
        rates.push_back(rate);
    }
    return rates;
}

void set_all_dropout(const LoadedModel& lib, nnc_model* model, double rate, const std::string& flag) {
    for (int k = 0; k < lib.nnc_model_num_dropouts(model); ++k)
        lib.check(lib.nnc_model_set_dropout_rate(model, k, rate), flag);
}

void apply_dropout_setting(const LoadedModel& lib, nnc_model* model, const std::string& spec, const std::string& flag) {
    require_dropout(lib, model, flag);
    if (spec.find('=') == std::string::npos) {
        set_all_dropout(lib, model, parse_dropout_rate(spec, flag), flag);
        return;
    }
    const std::vector<std::string> names = dropout_names(lib, model);
    // Every item is checked before any rate changes.
    std::vector<std::pair<int, double>> settings;
    for (const std::string& item : split_list(spec)) {
        const size_t eq = item.find('=');
        if (eq == std::string::npos)
            throw std::runtime_error(flag + ": '" + item + "' is not name=rate; give one rate for every layer (" +
                                     flag + " 0.3) or name=rate pairs (" + flag + " " + names.front() + "=0.3)");
        const std::string name = item.substr(0, eq);
        int index = -1;
        for (size_t k = 0; k < names.size(); ++k)
            if (names[k] == name) index = static_cast<int>(k);
        if (index < 0)
            throw std::runtime_error(flag + ": model '" + std::string(lib.nnc_model_name(model)) +
                                     "' has no dropout layer '" + name + "'; its dropout layers are " + joined(names));
        settings.emplace_back(index, parse_dropout_rate(item.substr(eq + 1), flag + " " + name));
    }
    for (const auto& [index, rate] : settings) lib.check(lib.nnc_model_set_dropout_rate(model, index, rate), flag);
}

std::vector<std::pair<std::string, double>> dropout_record(const LoadedModel& lib, const nnc_model* model) {
    const std::vector<std::string> names = dropout_names(lib, model);
    const std::vector<double> rates = dropout_rates(lib, model);
    std::vector<std::pair<std::string, double>> out;
    for (size_t k = 0; k < names.size(); ++k) {
        char text[32];
        std::snprintf(text, sizeof text, "%.7g", rates[k]);
        out.emplace_back(names[k], std::strtod(text, nullptr));
    }
    return out;
}

std::string dropout_summary(const LoadedModel& lib, const nnc_model* model) {
    const std::vector<std::string> names = dropout_names(lib, model);
    if (names.empty()) return "no dropout layers";
    const std::vector<double> rates = dropout_rates(lib, model);
    std::string s;
    for (size_t k = 0; k < names.size(); ++k) {
        char rate[32];
        std::snprintf(rate, sizeof rate, "%g", rates[k]);
        s += (s.empty() ? "" : ", ") + names[k] + " " + rate;
    }
    return s;
}

}  // namespace nnc::driver
