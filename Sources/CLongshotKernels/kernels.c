// Picks the AVX2 + FMA kernels where the CPU has them (decided once, at load time), the baseline ones elsewhere.
#include "kernels_impl.h"

#include <stddef.h>

#define LK_TABLE(suffix)                                                                                  \
    {#suffix, lk_online_softmax_##suffix, lk_gelu_tanh_##suffix, lk_layer_norm_modulate_##suffix,        \
     lk_layer_norm_##suffix, lk_rms_norm_##suffix}

static const lk_kernel_table generic_table = LK_TABLE(generic);
static const lk_kernel_table *selected = &generic_table;

#if defined(__x86_64__)
static const lk_kernel_table avx2_table = LK_TABLE(avx2);
static bool has_avx2 = false;

__attribute__((constructor)) static void lk_detect_cpu(void) {
    __builtin_cpu_init();
    has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (has_avx2) selected = &avx2_table;
}

const lk_kernel_table *lk_kernels_avx2(void) { return has_avx2 ? &avx2_table : NULL; }
#else
const lk_kernel_table *lk_kernels_avx2(void) { return NULL; }
#endif

const lk_kernel_table *lk_kernels(void) { return selected; }
const lk_kernel_table *lk_kernels_generic(void) { return &generic_table; }

void lk_online_softmax(
    float *scores, long score_stride, long rows, long keys, const float *key_bias,
    float *row_max, float *row_sum, float *output, long output_stride, long head_dim) {
    selected->online_softmax(scores, score_stride, rows, keys, key_bias, row_max, row_sum, output, output_stride, head_dim);
}

void lk_gelu_tanh(float *data, long count) { selected->gelu_tanh(data, count); }

void lk_layer_norm_modulate(
    const float *x, float *out, long rows, long width, const float *shift, const float *scale, float eps) {
    selected->layer_norm_modulate(x, out, rows, width, shift, scale, eps);
}

void lk_layer_norm(float *data, long rows, long width, long stride, const float *gamma, const float *beta, float eps) {
    selected->layer_norm(data, rows, width, stride, gamma, beta, eps);
}

void lk_rms_norm(float *data, long rows, long width, long stride, const float *gamma, float eps) {
    selected->rms_norm(data, rows, width, stride, gamma, eps);
}

static _Thread_local int task_depth = 0;

int lk_task_depth(void) { return task_depth; }
void lk_task_depth_add(int delta) { task_depth += delta; }
