#include "runtime/cli/run_config.h"

#include <nnc/train_vocabulary.h>

#include <concepts>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <vector>

namespace nnc::driver {
namespace {

using nlohmann::json;

// Reads json[key] into `into`, naming the key on failure.
template <class T>
void get(const json& j, const char* key, T& into, const std::string& where) {
    const auto it = j.find(key);
    if (it == j.end())
        throw std::runtime_error(where + ": missing \"" + key + "\"; restore the file or start a new run");
    try {
        into = it->template get<T>();
    } catch (const json::exception&) {
        throw std::runtime_error(where + ": \"" + key + "\" has the wrong type (" + it->dump() + ")");
    }
}

// The fields of the schedule, early-stopping and optimizer sections, named once, in the
// vocabulary's field lists, so that writing and reading cannot drift apart from each other or
// from the train section: visit(key, field) for every one, in reading order.
// The schedule's milestones (an array and its count) and the optimizer's name (kept in
// RunConfig) are handled where these are used.
#define NNC_RUN_CONFIG_VISIT(f) visit(#f, s.f);
template <class S, class Visit>
requires std::same_as<std::remove_const_t<S>, nnc_lr_schedule>
void visit_fields(S& s, Visit&& visit) {
    visit("kind", s.kind);
    NNC_VOCAB_SCHEDULE_FIELDS(NNC_RUN_CONFIG_VISIT)
}

template <class S, class Visit>
requires std::same_as<std::remove_const_t<S>, nnc_early_stopping>
void visit_fields(S& s, Visit&& visit) {
    visit("enabled", s.enabled);
    NNC_VOCAB_EARLY_STOPPING_FIELDS(NNC_RUN_CONFIG_VISIT)
}

template <class S, class Visit>
requires std::same_as<std::remove_const_t<S>, nnc_optimizer_config>
void visit_fields(S& s, Visit&& visit) { NNC_VOCAB_OPTIMIZER_FIELDS(NNC_RUN_CONFIG_VISIT) }

// nnc_train_config: the settings the vocabulary lists (a model's train section carries them),
// its divergence policy, and those only a run sets (augmentation, threads). The schedule and
// early stopping are objects of their own fields.
template <class S, class Visit>
requires std::same_as<std::remove_const_t<S>, nnc_train_config>
void visit_fields(S& s, Visit&& visit) {
    NNC_VOCAB_TRAIN_CONFIG_FIELDS(NNC_RUN_CONFIG_VISIT)
    NNC_VOCAB_DIVERGENCE_FIELDS(NNC_RUN_CONFIG_VISIT)
    NNC_RUN_CONFIG_VISIT(augment_crop_pad)
    NNC_RUN_CONFIG_VISIT(augment_flip)
    NNC_RUN_CONFIG_VISIT(threads)
}
#undef NNC_RUN_CONFIG_VISIT

// The train fields config.json has held since its format 1. Any other was added later: a run
// folder written before it lacks it, and it keeps its zero (off, or the policy's default).
bool in_every_config(std::string_view key) {
    for (const char* k :
         {"epochs", "batch", "seed", "schedule", "clip_norm", "clip_value", "early_stopping", "accumulate", "threads"})
        if (key == k) return true;
    return false;
}

template <class Struct>
json with_fields(json j, const Struct& from);
template <class Struct>
void get_fields(const json& j, Struct& into, const std::string& where);

// One field as JSON: a number, a string, or a section's object.
template <class T>
json field_json(const T& value) {
    return value;
}
json field_json(const nnc_lr_schedule& s) {
    return with_fields({{"milestones", std::vector<int64_t>(s.milestones, s.milestones + s.num_milestones)}}, s);
}
json field_json(const nnc_early_stopping& e) { return with_fields(json::object(), e); }

// Reads one field from j[key]; a section from its object (named "<where> <key>" in errors).
template <class T>
void get_field(const json& j, const char* key, T& into, const std::string& where) {
    get(j, key, into, where);
}
void get_field(const json& j, const char* key, nnc_early_stopping& into, const std::string& where) {
    json section;
    get(j, key, section, where);
    get_fields(section, into, where + " " + key);
}
void get_field(const json& j, const char* key, nnc_lr_schedule& into, const std::string& where) {
    json section;
    get(j, key, section, where);
    const std::string sw = where + " " + key;
    get_fields(section, into, sw);
    std::vector<int64_t> milestones;
    get(section, "milestones", milestones, sw);
    if (milestones.size() > NNC_MAX_MILESTONES) throw std::runtime_error(sw + ": too many milestones");
    into.num_milestones = static_cast<int>(milestones.size());
    for (size_t i = 0; i < milestones.size(); ++i) into.milestones[i] = milestones[i];
}

// `j` with the fields of `from` added. NaN and infinities are not JSON: none of these fields holds one.
template <class Struct>
json with_fields(json j, const Struct& from) {
    visit_fields(from, [&](const char* key, const auto& value) { j[key] = field_json(value); });
    return j;
}

// Reads every field of `into` from `j` (of the train settings, those `j` has that came later).
template <class Struct>
void get_fields(const json& j, Struct& into, const std::string& where) {
    visit_fields(into, [&](const char* key, auto& field) {
        if constexpr (std::is_same_v<Struct, nnc_train_config>)
            if (!in_every_config(key) && !j.contains(key)) return;
        get_field(j, key, field, where);
    });
}

}  // namespace

json to_json(const RunConfig& c) {
    return {
        {"format", 1},
        {"model", c.model},
        {"scheduler", c.scheduler},
        {"data",
         {{"path", c.data.path},
          {"targets", c.data.targets},
          {"features", c.data.features},
          {"validation_data", c.data.validation_data},
          {"validation_targets", c.data.validation_targets},
          {"validation", c.validation},
          {"limit", c.data.limit ? *c.data.limit : 0},
          {"standardize", c.data.standardize}}},
        {"train", with_fields(json::object(), c.train)},
        {"optimizer", with_fields({{"name", c.optimizer_name}}, c.optimizer)},
        {"dropout", c.dropout},
    };
}

RunConfig run_config_from_json(const json& j, const std::string& path) {
    const std::string where = "'" + path + "'";
    RunConfig c;
    get(j, "model", c.model, where);
    get(j, "scheduler", c.scheduler, where);
    json d, t, o;
    get(j, "data", d, where);
    get(j, "train", t, where);
    get(j, "optimizer", o, where);
    if (j.contains("dropout")) get(j, "dropout", c.dropout, where);  // absent before run-time dropout rates
    const std::string dw = where + " data", tw = where + " train", ow = where + " optimizer";
    get(d, "path", c.data.path, dw);
    get(d, "targets", c.data.targets, dw);
    get(d, "features", c.data.features, dw);
    get(d, "validation_data", c.data.validation_data, dw);
    get(d, "validation_targets", c.data.validation_targets, dw);
    get(d, "validation", c.validation, dw);
    int64_t limit = 0;
    get(d, "limit", limit, dw);
    if (limit > 0) c.data.limit = limit;
    get(d, "standardize", c.data.standardize, dw);

    get_fields(t, c.train, tw);

    get(o, "name", c.optimizer_name, ow);
    get_fields(o, c.optimizer, ow);
    return c;
}

}  // namespace nnc::driver
