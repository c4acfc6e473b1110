// Element-wise and row-wise kernels of the neural engine (softmax, GELU, norms), in C so that each can be
// compiled twice, for the baseline ISA and for AVX2 + FMA, and the fitting one picked at run time: Swift
// has no per-function target, and a whole-module `-target-cpu` would make the binary fail on older CPUs.
// Swift reaches them through LongshotTensor (Activation, Normalization, Attention); every pointer is
// borrowed for the call. Rows are processed independently, so splitting rows across threads does not
// change a bit of the result.
#ifndef LONGSHOT_KERNELS_H
#define LONGSHOT_KERNELS_H

#include <stdbool.h>

/// One version of every kernel, for one instruction set.
typedef struct lk_kernel_table {
    const char *isa;
    void (*online_softmax)(float *, long, long, long, const float *, float *, float *, float *, long, long);
    void (*gelu_tanh)(float *, long);
    void (*layer_norm_modulate)(const float *, float *, long, long, const float *, const float *, float);
    void (*layer_norm)(float *, long, long, long, const float *, const float *, float);
    void (*rms_norm)(float *, long, long, long, const float *, float);
} lk_kernel_table;

/// The versions the functions below run on this CPU ("avx2" or "generic").
const lk_kernel_table *lk_kernels(void);
/// The baseline versions, on any CPU.
const lk_kernel_table *lk_kernels_generic(void);
/// The AVX2 + FMA versions, or NULL where the CPU lacks them.
const lk_kernel_table *lk_kernels_avx2(void);

/// One key block of an online softmax over `rows` score rows of `keys` scores (row stride `score_stride`):
/// adds `key_bias` (or nothing when NULL), raises each row's running maximum `row_max[i]`, replaces the
/// scores by `e^(score - max)`, and rescales `row_sum[i]` and, when `output` is not NULL, the row's
/// accumulated output (`head_dim` scalars at `output + i * output_stride`) to the new maximum. A row
/// whose scores so far are all -infinity becomes zeros and contributes nothing.
void lk_online_softmax(
    float *scores, long score_stride, long rows, long keys, const float *key_bias,
    float *row_max, float *row_sum, float *output, long output_stride, long head_dim);

/// `data[i] = x / (1 + e^(-2u))`, `u = √(2/π) (x + 0.044715 x³)`: GELU's tanh form, in place.
void lk_gelu_tanh(float *data, long count);

/// `out[r] = (x[r] - mean) / sqrt(var + eps) * (1 + scale) + shift` for `rows` rows of `width`
/// (affine-free layer norm, then AdaLN modulation); `x` and `out` have row stride `width`.
void lk_layer_norm_modulate(
    const float *x, float *out, long rows, long width, const float *shift, const float *scale, float eps);

/// Layer norm in place, `rows` rows of `width` with row stride `stride`; `gamma` and `beta` may be NULL.
void lk_layer_norm(float *data, long rows, long width, long stride, const float *gamma, const float *beta, float eps);

/// RMS norm in place: `x / sqrt(mean(x²) + eps) * gamma`; `gamma` may be NULL.
void lk_rms_norm(float *data, long rows, long width, long stride, const float *gamma, float eps);

/// The calling thread's depth of nested parallel tasks (ComputeThreads): a task that asks for parallel work
/// runs it inline instead of waiting on threads that may all be busy with its siblings.
int lk_task_depth(void);
/// Adds `delta` (+1 on entering a task, -1 on leaving it) to the calling thread's depth.
void lk_task_depth_add(int delta);

#endif
