// The baseline versions of the kernels: plain loops the compiler vectorises for the target's baseline ISA.
#include "kernels_impl.h"

#include <math.h>
#include <string.h>

float lk_exp_scalar(float x) {
    float clamped = fminf(fmaxf(x, -87.3f), 88.0f);
    // k = round(x / ln2) by the magic-number trick: the integer lands in the low mantissa bits.
    const float magic = 12582912.0f;
    float shifted = clamped * 1.4426950408889634f + magic;
    float k = shifted - magic;
    float r = clamped - k * 0.693145751953125f - k * 1.428606765330187e-6f;
    float p = 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1;
    p = p * r + 1;
    unsigned bits, magic_bits;
    memcpy(&bits, &shifted, 4);
    memcpy(&magic_bits, &magic, 4);
    unsigned exponent = (bits - magic_bits + 127u) << 23;
    float scale;
    memcpy(&scale, &exponent, 4);
    return p * scale;
}

void lk_online_softmax_generic(
    float *scores, long score_stride, long rows, long keys, const float *key_bias,
    float *row_max, float *row_sum, float *output, long output_stride, long head_dim) {
    for (long i = 0; i < rows; i++) {
        float *row = scores + i * score_stride;
        float m = -INFINITY;
        for (long j = 0; j < keys; j++) {
            if (key_bias) row[j] += key_bias[j];
            m = fmaxf(m, row[j]);
        }
        float new_max = fmaxf(row_max[i], m);
        if (new_max == -INFINITY) {
            memset(row, 0, sizeof(float) * (size_t)keys);
            continue;
        }
        float sum = 0;
        for (long j = 0; j < keys; j++) {
            float e = lk_exp_scalar(row[j] - new_max);
            row[j] = e;
            sum += e;
        }
        float correction = expf(row_max[i] - new_max);
        row_sum[i] = row_sum[i] * correction + sum;
        row_max[i] = new_max;
        if (output && correction != 1) {
            float *o = output + i * output_stride;
            for (long d = 0; d < head_dim; d++) o[d] *= correction;
        }
    }
}

void lk_gelu_tanh_generic(float *data, long count) {
    const float c = 0.7978845608028654f;
    for (long i = 0; i < count; i++) {
        float x = data[i];
        data[i] = x / (1 + lk_exp_scalar(-2 * c * (x + 0.044715f * x * x * x)));
    }
}

void lk_layer_norm_modulate_generic(
    const float *x, float *out, long rows, long width, const float *shift, const float *scale, float eps) {
    for (long r = 0; r < rows; r++) {
        const float *src = x + r * width;
        float *dst = out + r * width;
        float sum = 0;
        for (long j = 0; j < width; j++) sum += src[j];
        float mean = sum / (float)width, squares = 0;
        for (long j = 0; j < width; j++) squares += (src[j] - mean) * (src[j] - mean);
        float inv = 1 / sqrtf(squares / (float)width + eps);
        for (long j = 0; j < width; j++) dst[j] = (src[j] - mean) * inv * (1 + scale[j]) + shift[j];
    }
}

void lk_layer_norm_generic(float *data, long rows, long width, long stride, const float *gamma, const float *beta, float eps) {
    for (long r = 0; r < rows; r++) {
        float *row = data + r * stride;
        float sum = 0;
        for (long j = 0; j < width; j++) sum += row[j];
        float mean = sum / (float)width, squares = 0;
        for (long j = 0; j < width; j++) squares += (row[j] - mean) * (row[j] - mean);
        float inv = 1 / sqrtf(squares / (float)width + eps);
        for (long j = 0; j < width; j++) {
            float v = (row[j] - mean) * inv;
            if (gamma) v *= gamma[j];
            if (beta) v += beta[j];
            row[j] = v;
        }
    }
}

void lk_rms_norm_generic(float *data, long rows, long width, long stride, const float *gamma, float eps) {
    for (long r = 0; r < rows; r++) {
        float *row = data + r * stride;
        float squares = 0;
        for (long j = 0; j < width; j++) squares += row[j] * row[j];
        float inv = 1 / sqrtf(squares / (float)width + eps);
        for (long j = 0; j < width; j++) row[j] *= gamma ? inv * gamma[j] : inv;
    }
}
