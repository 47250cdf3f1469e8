#include "runtime/cli/run_config.h"

#include <nnc/train_vocabulary.h>

#include <concepts>
#include <stdexcept>
#include <type_traits>

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
#undef NNC_RUN_CONFIG_VISIT

// `j` with the fields of `from` added. NaN and infinities are not JSON: none of these fields holds one.
template <class Struct>
json with_fields(json j, const Struct& from) {
    visit_fields(from, [&](const char* key, const auto& value) { j[key] = value; });
    return j;
}

// Reads every field of `into` from `j`.
template <class Struct>
void get_fields(const json& j, Struct& into, const std::string& where) {
    visit_fields(into, [&](const char* key, auto& field) { get(j, key, field, where); });
}

}  // namespace

json to_json(const RunConfig& c) {
    const nnc_train_config& t = c.train;
    const nnc_optimizer_config& o = c.optimizer;
    const std::vector<int64_t> milestones(t.schedule.milestones, t.schedule.milestones + t.schedule.num_milestones);
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
        {"train",
         {{"epochs", t.epochs},
          {"batch", t.batch},
          {"seed", t.seed},
          {"schedule", with_fields({{"milestones", milestones}}, t.schedule)},
          {"clip_norm", t.clip_norm},
          {"clip_value", t.clip_value},
          {"early_stopping", with_fields(json::object(), t.early_stopping)},
          {"accumulate", t.accumulate},
          {"augment_crop_pad", t.augment_crop_pad},
          {"augment_flip", t.augment_flip},
          {"on_divergence", t.on_divergence},
          {"divergence_factor", t.divergence_factor},
          {"divergence_retries", t.divergence_retries},
          {"explode_factor", t.explode_factor},
          {"threads", t.threads}}},
        {"optimizer", with_fields({{"name", c.optimizer_name}}, o)},
        {"dropout", c.dropout},
    };
}

RunConfig run_config_from_json(const json& j, const std::string& path) {
    const std::string where = "'" + path + "'";
    RunConfig c;
    get(j, "model", c.model, where);
    get(j, "scheduler", c.scheduler, where);
    json d, t, o, s, es;
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

    nnc_train_config& tc = c.train;
    get(t, "epochs", tc.epochs, tw);
    get(t, "batch", tc.batch, tw);
    get(t, "seed", tc.seed, tw);
    get(t, "clip_norm", tc.clip_norm, tw);
    get(t, "clip_value", tc.clip_value, tw);
    get(t, "accumulate", tc.accumulate, tw);
    if (t.contains("augment_crop_pad"))
        get(t, "augment_crop_pad", tc.augment_crop_pad, tw);  // runs before augmentation existed have none
    if (t.contains("augment_flip")) get(t, "augment_flip", tc.augment_flip, tw);
    // Runs before the divergence policy (ABI 4) have none: they stopped on divergence.
    if (t.contains("on_divergence")) get(t, "on_divergence", tc.on_divergence, tw);
    if (t.contains("divergence_factor")) get(t, "divergence_factor", tc.divergence_factor, tw);
    if (t.contains("divergence_retries")) get(t, "divergence_retries", tc.divergence_retries, tw);
    if (t.contains("explode_factor")) get(t, "explode_factor", tc.explode_factor, tw);
    get(t, "threads", tc.threads, tw);
    get(t, "schedule", s, tw);
    const std::string sw = tw + " schedule";
    nnc_lr_schedule& ls = tc.schedule;
    get_fields(s, ls, sw);
    std::vector<int64_t> milestones;
    get(s, "milestones", milestones, sw);
    if (milestones.size() > NNC_MAX_MILESTONES) throw std::runtime_error(sw + ": too many milestones");
    ls.num_milestones = static_cast<int>(milestones.size());
    for (size_t i = 0; i < milestones.size(); ++i) ls.milestones[i] = milestones[i];
    get(t, "early_stopping", es, tw);
    get_fields(es, tc.early_stopping, tw + " early_stopping");

    get(o, "name", c.optimizer_name, ow);
    get_fields(o, c.optimizer, ow);
    return c;
}

}  // namespace nnc::driver
