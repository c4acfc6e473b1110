// The AVX2 + FMA versions of the kernels: eight lanes at a time, masked loads for the tails.
#include "kernels_impl.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>
#include <string.h>

#define LK_AVX2 __attribute__((target("avx2,fma")))

/// Lane masks for a tail of `n` (0...8) scalars.
static const int lk_tail_masks[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

LK_AVX2 static inline __m256i tail_mask(long n) {
    return _mm256_loadu_si256((const __m256i *)(lk_tail_masks + 8 - n));
}

/// `e^x` on eight lanes: the same method and polynomial as lk_exp_scalar, with fused multiply-adds.
LK_AVX2 static inline __m256 exp8(__m256 x) {
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.0f));
    __m256 shifted = _mm256_fmadd_ps(x, _mm256_set1_ps(1.4426950408889634f), magic);
    __m256 k = _mm256_sub_ps(shifted, magic);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(1.428606765330187e-6f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i exponent = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(magic)), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
}

LK_AVX2 static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

LK_AVX2 static inline float hmax(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

LK_AVX2 static inline void scale_in_place(float *data, long count, float factor) {
    __m256 f = _mm256_set1_ps(factor);
    long j = 0;
    for (; j + 8 <= count; j += 8) _mm256_storeu_ps(data + j, _mm256_mul_ps(_mm256_loadu_ps(data + j), f));
    for (; j < count; j++) data[j] *= factor;
}

LK_AVX2 void lk_online_softmax_avx2(
    float *scores, long score_stride, long rows, long keys, const float *key_bias,
    float *row_max, float *row_sum, float *output, long output_stride, long head_dim) {
    long tail = keys % 8, body = keys - tail;
    __m256i mask = tail_mask(tail);
    for (long i = 0; i < rows; i++) {
        float *row = scores + i * score_stride;
        __m256 vmax = _mm256_set1_ps(-INFINITY);
        for (long j = 0; j < body; j += 8) {
            __m256 v = _mm256_loadu_ps(row + j);
            if (key_bias) {
                v = _mm256_add_ps(v, _mm256_loadu_ps(key_bias + j));
                _mm256_storeu_ps(row + j, v);
            }
            vmax = _mm256_max_ps(vmax, v);
        }
        float m = hmax(vmax);
        for (long j = body; j < keys; j++) {
            if (key_bias) row[j] += key_bias[j];
            m = fmaxf(m, row[j]);
        }
        float new_max = fmaxf(row_max[i], m);
        if (new_max == -INFINITY) {
            memset(row, 0, sizeof(float) * (size_t)keys);
            continue;
        }
        __m256 shift = _mm256_set1_ps(new_max), vsum = _mm256_setzero_ps();
        for (long j = 0; j < body; j += 8) {
            __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(row + j), shift));
            _mm256_storeu_ps(row + j, e);
            vsum = _mm256_add_ps(vsum, e);
        }
        if (tail) {
            __m256 e = exp8(_mm256_sub_ps(_mm256_maskload_ps(row + body, mask), shift));
            e = _mm256_and_ps(e, _mm256_castsi256_ps(mask));
            _mm256_maskstore_ps(row + body, mask, e);
            vsum = _mm256_add_ps(vsum, e);
        }
        float correction = expf(row_max[i] - new_max);
        row_sum[i] = row_sum[i] * correction + hsum(vsum);
        row_max[i] = new_max;
        if (output && correction != 1) scale_in_place(output + i * output_stride, head_dim, correction);
    }
}

/// GELU (tanh form) of eight lanes: x / (1 + e^(-2u)), -2u = -2√(2/π) x (1 + 0.044715 x²).
LK_AVX2 static inline __m256 gelu8(__m256 x) {
    const __m256 c = _mm256_set1_ps(-2 * 0.7978845608028654f), cubic = _mm256_set1_ps(0.044715f);
    const __m256 one = _mm256_set1_ps(1);
    __m256 u = _mm256_mul_ps(_mm256_mul_ps(c, x), _mm256_fmadd_ps(cubic, _mm256_mul_ps(x, x), one));
    return _mm256_div_ps(x, _mm256_add_ps(one, exp8(u)));
}

LK_AVX2 void lk_gelu_tanh_avx2(float *data, long count) {
    long tail = count % 8, body = count - tail;
    // Plain loads and stores in the body: masked stores are slow on some CPUs (microcoded on AMD Zen).
    for (long i = 0; i < body; i += 8) _mm256_storeu_ps(data + i, gelu8(_mm256_loadu_ps(data + i)));
    if (tail) {
        __m256i mask = tail_mask(tail);
        _mm256_maskstore_ps(data + body, mask, gelu8(_mm256_maskload_ps(data + body, mask)));
    }
}

/// The mean and 1 / standard deviation of one row.
LK_AVX2 static inline void moments(const float *row, long width, float eps, float *mean_out, float *inv_out) {
    long tail = width % 8, body = width - tail;
    __m256i mask = tail_mask(tail);
    __m256 s = _mm256_setzero_ps();
    for (long j = 0; j < body; j += 8) s = _mm256_add_ps(s, _mm256_loadu_ps(row + j));
    if (tail) s = _mm256_add_ps(s, _mm256_maskload_ps(row + body, mask));
    float mean = hsum(s) / (float)width;
    __m256 vmean = _mm256_set1_ps(mean), q = _mm256_setzero_ps();
    for (long j = 0; j < body; j += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(row + j), vmean);
        q = _mm256_fmadd_ps(d, d, q);
    }
    if (tail) {
        __m256 d = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(row + body, mask), vmean), _mm256_castsi256_ps(mask));
        q = _mm256_fmadd_ps(d, d, q);
    }
    *mean_out = mean;
    *inv_out = 1 / sqrtf(hsum(q) / (float)width + eps);
}

LK_AVX2 void lk_layer_norm_modulate_avx2(
    const float *x, float *out, long rows, long width, const float *shift, const float *scale, float eps) {
    long tail = width % 8, body = width - tail;
    const __m256 one = _mm256_set1_ps(1);
    for (long r = 0; r < rows; r++) {
        const float *src = x + r * width;
        float *dst = out + r * width;
        float mean, inv;
        moments(src, width, eps, &mean, &inv);
        __m256 vmean = _mm256_set1_ps(mean), vinv = _mm256_set1_ps(inv);
        for (long j = 0; j < body; j += 8) {
            __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(src + j), vmean), vinv);
            __m256 g = _mm256_add_ps(one, _mm256_loadu_ps(scale + j));
            _mm256_storeu_ps(dst + j, _mm256_fmadd_ps(n, g, _mm256_loadu_ps(shift + j)));
        }
        for (long j = body; j < width; j++) dst[j] = (src[j] - mean) * inv * (1 + scale[j]) + shift[j];
    }
}

LK_AVX2 void lk_layer_norm_avx2(float *data, long rows, long width, long stride, const float *gamma, const float *beta, float eps) {
    long tail = width % 8, body = width - tail;
    for (long r = 0; r < rows; r++) {
        float *row = data + r * stride;
        float mean, inv;
        moments(row, width, eps, &mean, &inv);
        __m256 vmean = _mm256_set1_ps(mean), vinv = _mm256_set1_ps(inv);
        for (long j = 0; j < body; j += 8) {
            __m256 v = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(row + j), vmean), vinv);
            if (gamma) v = _mm256_mul_ps(v, _mm256_loadu_ps(gamma + j));
            if (beta) v = _mm256_add_ps(v, _mm256_loadu_ps(beta + j));
            _mm256_storeu_ps(row + j, v);
        }
        for (long j = body; j < width; j++) {
            float v = (row[j] - mean) * inv;
            if (gamma) v *= gamma[j];
            if (beta) v += beta[j];
            row[j] = v;
        }
    }
}

LK_AVX2 void lk_rms_norm_avx2(float *data, long rows, long width, long stride, const float *gamma, float eps) {
    long tail = width % 8, body = width - tail;
    __m256i mask = tail_mask(tail);
    for (long r = 0; r < rows; r++) {
        float *row = data + r * stride;
        __m256 q = _mm256_setzero_ps();
        for (long j = 0; j < body; j += 8) {
            __m256 v = _mm256_loadu_ps(row + j);
            q = _mm256_fmadd_ps(v, v, q);
        }
        if (tail) {
            __m256 v = _mm256_maskload_ps(row + body, mask);
            q = _mm256_fmadd_ps(v, v, q);
        }
        float inv = 1 / sqrtf(hsum(q) / (float)width + eps);
        __m256 vinv = _mm256_set1_ps(inv);
        for (long j = 0; j < body; j += 8) {
            __m256 f = gamma ? _mm256_mul_ps(vinv, _mm256_loadu_ps(gamma + j)) : vinv;
            _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), f));
        }
        for (long j = body; j < width; j++) row[j] *= gamma ? inv * gamma[j] : inv;
    }
}
#endif
