// The training loop (nnc_train, the steps of a Trainer: trainer.h) and evaluation (nnc_evaluate).
#include "runtime/batch.h"
#include "runtime/errors.h"
#include "runtime/model.h"
#include "runtime/trainer.h"

#include <string>

using namespace nnc::runtime;

extern "C" {

nnc_status nnc_evaluate_tasks(nnc_model* model, const nnc_dataset* data, int64_t batch, double* loss, double* accuracy,
                              double* task_losses) {
    return guarded("nnc_evaluate", [&] {
        nnc_model& m = require_model(model, "nnc_evaluate");
        require(data != nullptr, "nnc_evaluate: data is NULL");
        require(batch > 0, "nnc_evaluate: batch must be > 0, got " + std::to_string(batch));
        double l = 0, a = 0;
        evaluate(m, *data, batch, &l, &a, task_losses);
        if (loss) *loss = l;
        if (accuracy) *accuracy = a;
        return NNC_OK;
    });
}

nnc_status nnc_evaluate(nnc_model* model, const nnc_dataset* data, int64_t batch, double* loss, double* accuracy) {
    return nnc_evaluate_tasks(model, data, batch, loss, accuracy, nullptr);
}

nnc_status nnc_train(nnc_model* model, const nnc_dataset* train, const nnc_dataset* validation,
                     const nnc_train_config* config) {
    return guarded("nnc_train", [&]() -> nnc_status {
        nnc_model& m = require_model(model, "nnc_train");
        require(train != nullptr, "nnc_train: train is NULL");
        require(config != nullptr, "nnc_train: config is NULL; start from nnc_model_default_train_config");
        Trainer trainer(m, *train, validation, *config);  // checks the config against the model and the data
        trainer.begin();                                  // a fresh run, or the model's TrainState resumed
        for (int64_t epoch = trainer.next_epoch(); epoch <= config->epochs; epoch = trainer.next_epoch()) {
            trainer.begin_epoch(epoch);  // shuffle, lr, clock
            Flow flow = Flow::Continue;
            while (flow == Flow::Continue && trainer.batches_left()) flow = trainer.step();
            if (flow == Flow::Redo) continue;  // rolled back: the rollback point's epoch comes next
            if (flow == Flow::Stop || trainer.end_epoch() == Flow::Stop) break;
        }
        return trainer.finish();  // the best weights back under early stopping
    });
}

nnc_status nnc_train_check(nnc_model* model, const nnc_dataset* train, const nnc_dataset* validation,
                           const nnc_train_config* config) {
    return guarded("nnc_train", [&]() -> nnc_status {
        nnc_model& m = require_model(model, "nnc_train");
        require(train != nullptr, "nnc_train: train is NULL");
        require(config != nullptr, "nnc_train: config is NULL; start from nnc_model_default_train_config");
        const Trainer trainer(m, *train, validation, *config);
        trainer.check_begin();
        return NNC_OK;
    });
}

}  // extern "C"
