#include "NablaQuantized.h"
#include <math.h>
#include <string.h>

void nabla_uint8_unfold(long batch, long channels, long height, long width, long kernel_height, long kernel_width,
                        long stride_height, long stride_width, long padding_top, long padding_left,
                        long dilation_height, long dilation_width, long output_height, long output_width,
                        const uint8_t *images, uint8_t padding_code, uint8_t *patches) {
    long depth = channels * kernel_height * kernel_width;
    uint8_t *out = patches;
    for (long n = 0; n < batch; n++) {
        for (long oy = 0; oy < output_height; oy++) {
            for (long ox = 0; ox < output_width; ox++) {
                for (long c = 0; c < channels; c++) {
                    const uint8_t *plane = images + (n * channels + c) * height * width;
                    for (long ky = 0; ky < kernel_height; ky++) {
                        long y = oy * stride_height - padding_top + ky * dilation_height;
                        if (y < 0 || y >= height) {
                            memset(out, padding_code, (size_t)kernel_width);
                            out += kernel_width;
                            continue;
                        }
                        const uint8_t *line = plane + y * width;
                        for (long kx = 0; kx < kernel_width; kx++) {
                            long x = ox * stride_width - padding_left + kx * dilation_width;
                            *out++ = (x >= 0 && x < width) ? line[x] : padding_code;
                        }
                    }
                }
            }
        }
    }
    (void)depth;
}

void nabla_int8_rescale(long rows, long outputs, long pixels, const int32_t *accumulators, const int32_t *corrections,
                        const float *multipliers, const float *bias, bool relu, float *result) {
    for (long r = 0; r < rows; r++) {
        long image = r / pixels, pixel = r - image * pixels;
        float *base = result + image * outputs * pixels + pixel;
        const int32_t *accumulator = accumulators + r * outputs;
        for (long o = 0; o < outputs; o++) {
            float value = (float)(accumulator[o] - corrections[o]) * multipliers[o] + bias[o];
            if (relu && value < 0) value = 0;
            base[o * pixels] = value;
        }
    }
}

void nabla_uint8_quantize(long count, const float *values, float inverse_scale, int32_t zero_point, uint8_t *codes) {
    float zero = (float)zero_point;
    for (long i = 0; i < count; i++) {
        // nearbyintf rounds half to even in the default rounding mode, as Swift's .toNearestOrEven.
        float code = nearbyintf(values[i] * inverse_scale) + zero;
        code = code < 0 ? 0 : (code > 255 ? 255 : code);
        codes[i] = (uint8_t)code;
    }
}
