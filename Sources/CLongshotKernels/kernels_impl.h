// The per-ISA versions behind longshot_kernels.h; kernels.c picks one per call.
#ifndef LONGSHOT_KERNELS_IMPL_H
#define LONGSHOT_KERNELS_IMPL_H

#include "longshot_kernels.h"

/// `e^x` within 2e-7 relative on [-87.3, 88]; inputs are clamped to that range.
float lk_exp_scalar(float x);

#define LK_DECLARE(suffix)                                                                                   \
    void lk_online_softmax_##suffix(                                                                       \
        float *scores, long score_stride, long rows, long keys, const float *key_bias, float *row_max,     \
        float *row_sum, float *output, long output_stride, long head_dim);                                  \
    void lk_gelu_tanh_##suffix(float *data, long count);                                                   \
    void lk_layer_norm_modulate_##suffix(                                                                  \
        const float *x, float *out, long rows, long width, const float *shift, const float *scale, float eps); \
    void lk_layer_norm_##suffix(                                                                           \
        float *data, long rows, long width, long stride, const float *gamma, const float *beta, float eps); \
    void lk_rms_norm_##suffix(float *data, long rows, long width, long stride, const float *gamma, float eps);

LK_DECLARE(generic)
#if defined(__x86_64__)
LK_DECLARE(avx2)
#endif

#endif
