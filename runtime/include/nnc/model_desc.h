/* The contract between code that nnc generates and the runtime linked beside it in model.so.
 * Generated code defines nnc_model_descriptor(); the runtime reads it. Not part of the public ABI.
 *
 * Pipelines are Halide AOT "argv" entry points: args[i] points at a halide_buffer_t for each
 * buffer argument, in the order listed below. Buffers use Halide's dimension order, innermost
 * first: a row-major (N, F) tensor is a buffer with dim[0] = F (stride 1) and dim[1] = N.
 */
#ifndef NNC_MODEL_DESC_H
#define NNC_MODEL_DESC_H

#include <stdint.h>

#include "nnc/nnc.h" /* NNC_ABI_VERSION, nnc_target_kind */

#ifdef __cplusplus
extern "C" {
#endif

#define NNC_MAX_RANK 8

typedef int (*nnc_pipeline_fn)(void** args);

typedef enum nnc_init_kind {
    NNC_INIT_ZEROS = 0,
    NNC_INIT_ONES = 1,
    NNC_INIT_GAUSSIAN = 2,       /* a = std */
    NNC_INIT_UNIFORM = 3,        /* samples in [-a, a] */
    NNC_INIT_HE_NORMAL = 4,      /* std = sqrt(2 / fan_in) */
    NNC_INIT_HE_UNIFORM = 5,     /* bound = sqrt(6 / fan_in) */
    NNC_INIT_XAVIER_NORMAL = 6,  /* std = sqrt(2 / (fan_in + fan_out)) */
    NNC_INIT_XAVIER_UNIFORM = 7  /* bound = sqrt(6 / (fan_in + fan_out)) */
} nnc_init_kind;

typedef struct nnc_param_desc {
    const char* name;               /* "fc1.weight" */
    int rank;
    int64_t dims[NNC_MAX_RANK];     /* row-major, outermost first */
    nnc_init_kind init;
    double init_a;
    int64_t fan_in, fan_out;
    double max_norm;                /* > 0: after each update, rescale every output unit (slice of
                                       the last dimension; rank <= 1: the whole tensor) whose L2
                                       norm exceeds it (Keras MaxNorm(axis=0) for [in, out]) */
} nnc_param_desc;

typedef struct nnc_tensor_desc {
    const char* name;
    int rank;                       /* per sample, batch excluded */
    int64_t dims[NNC_MAX_RANK];
} nnc_tensor_desc;

typedef struct nnc_model_desc {
    int abi_version;                /* NNC_ABI_VERSION of the generator */
    const char* model_name;
    const char* nnc_version;
    const char* source_hash;        /* of the .nn text, for checkpoints */

    int num_params;
    const nnc_param_desc* params;

    nnc_tensor_desc input;          /* the model input */
    nnc_tensor_desc output;         /* forward output per sample */
    nnc_tensor_desc prediction;     /* the loss's prediction input per sample (logits) */
    int target_kind;                /* nnc_target_kind */
    int64_t num_classes;            /* classes targets only */
    nnc_tensor_desc target;         /* real targets: per-sample shape; classes: rank 0 */

    /* forward(args): input, params[0..P), output */
    nnc_pipeline_fn forward;
    /* train_step(args): input, target, params[0..P), loss (0-d float), prediction, grads[0..P) */
    nnc_pipeline_fn train_step;

    /* Training defaults from the .nn file. */
    const char* optimizer;          /* "sgd" | "adam" | "adamw" | "adagrad" | "adadelta" | "rmsprop" */
    double lr, momentum, beta1, beta2, eps, weight_decay;
    int nesterov;
    int64_t batch, epochs, validation;
    uint64_t seed;
    double rho, alpha;              /* adadelta, rmsprop */
    int centered;                   /* rmsprop */
    double lr_decay, initial_accumulator_value; /* adagrad */
    nnc_lr_schedule schedule;
    double clip_norm, clip_value;
    nnc_early_stopping early_stopping;
    int64_t accumulate;
} nnc_model_desc;

const nnc_model_desc* nnc_model_descriptor(void);

#ifdef __cplusplus
}
#endif
#endif /* NNC_MODEL_DESC_H */
