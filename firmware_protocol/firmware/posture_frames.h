/*
 * Frame packing for the open posture sensor protocol, version 1.0.
 * Header-only, no allocation, no dependencies beyond <stdint.h> and <stddef.h>,
 * so the same code runs on the sensor and in the companion's test suite, which
 * checks it against firmware_protocol/vectors.json. Byte tables: docs/protocol.md.
 * All integers are little-endian.
 */
#ifndef POSTURE_FRAMES_H
#define POSTURE_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#define POSTURE_PROTOCOL_MAJOR 1
#define POSTURE_PROTOCOL_MINOR 0
#define POSTURE_FRAME_SAMPLES 0x1
#define POSTURE_SAMPLE_HEADER_SIZE 8
#define POSTURE_SAMPLE_SIZE 12
#define POSTURE_MAX_SAMPLES 19
#define POSTURE_INFO_SIZE 12
#define POSTURE_STATUS_SIZE 4
#define POSTURE_RESPONSE_MARKER 0x80

enum posture_opcode { POSTURE_OP_START = 1, POSTURE_OP_STOP = 2, POSTURE_OP_CONFIGURE = 3, POSTURE_OP_IDENTIFY = 4 };
enum posture_result {
    POSTURE_OK = 0, POSTURE_UNKNOWN_OPCODE = 1, POSTURE_INVALID_PARAMETER = 2,
    POSTURE_INVALID_STATE = 3, POSTURE_FAILED = 4
};

typedef struct {
    int16_t ax, ay, az, gx, gy, gz; /* raw counts: value = count / 32768 * full scale */
} posture_sample_t;

static const uint16_t posture_accel_ranges_g[] = {2, 4, 8, 16};
static const uint16_t posture_gyro_ranges_dps[] = {125, 250, 500, 1000, 2000};
static const uint16_t posture_rates_hz[] = {10, 25, 50, 100, 200};

static inline void posture_put_u16(uint8_t *out, uint16_t v) {
    out[0] = (uint8_t)(v & 0xFF);
    out[1] = (uint8_t)(v >> 8);
}

static inline void posture_put_u32(uint8_t *out, uint32_t v) {
    out[0] = (uint8_t)(v & 0xFF);
    out[1] = (uint8_t)((v >> 8) & 0xFF);
    out[2] = (uint8_t)((v >> 16) & 0xFF);
    out[3] = (uint8_t)(v >> 24);
}

static inline int posture_code(const uint16_t *table, size_t n, uint16_t value) {
    for (size_t i = 0; i < n; i++) {
        if (table[i] == value) return (int)i;
    }
    return -1;
}

/* The configuration byte: bits 0-1 accel code, 2-4 gyro code, 5-7 rate code; -1 if invalid. */
static inline int posture_config_byte(uint16_t rate_hz, uint16_t accel_g, uint16_t gyro_dps) {
    int a = posture_code(posture_accel_ranges_g, 4, accel_g);
    int g = posture_code(posture_gyro_ranges_dps, 5, gyro_dps);
    int r = posture_code(posture_rates_hz, 5, rate_hz);
    if (a < 0 || g < 0 || r < 0) return -1;
    return a | (g << 2) | (r << 5);
}

/* How many samples fit one notification at this ATT MTU (at least 1). */
static inline size_t posture_samples_per_frame(uint16_t mtu, size_t wanted) {
    int fit = ((int)mtu - 3 - POSTURE_SAMPLE_HEADER_SIZE) / POSTURE_SAMPLE_SIZE;
    size_t n = fit < 1 ? 1 : (size_t)fit;
    if (wanted < n) n = wanted;
    if (n > POSTURE_MAX_SAMPLES) n = POSTURE_MAX_SAMPLES;
    return n < 1 ? 1 : n;
}

/* A sample frame into out (room for 8 + 12 * count bytes); returns its length, 0 if invalid. */
static inline size_t posture_pack_samples(uint8_t *out, uint16_t seq, uint32_t t0_ticks, uint8_t config,
                                          const posture_sample_t *samples, size_t count) {
    if (count < 1 || count > POSTURE_MAX_SAMPLES) return 0;
    out[0] = (uint8_t)((POSTURE_PROTOCOL_MAJOR << 4) | POSTURE_FRAME_SAMPLES);
    posture_put_u16(out + 1, seq);
    posture_put_u32(out + 3, t0_ticks);
    out[7] = config;
    uint8_t *p = out + POSTURE_SAMPLE_HEADER_SIZE;
    for (size_t i = 0; i < count; i++, p += POSTURE_SAMPLE_SIZE) {
        const posture_sample_t *s = &samples[i];
        posture_put_u16(p + 0, (uint16_t)s->ax);
        posture_put_u16(p + 2, (uint16_t)s->ay);
        posture_put_u16(p + 4, (uint16_t)s->az);
        posture_put_u16(p + 6, (uint16_t)s->gx);
        posture_put_u16(p + 8, (uint16_t)s->gy);
        posture_put_u16(p + 10, (uint16_t)s->gz);
    }
    return POSTURE_SAMPLE_HEADER_SIZE + count * POSTURE_SAMPLE_SIZE;
}

/* The info characteristic (12 bytes). flags: bit 0 streaming, 1 gyro, 2 vibration. */
static inline size_t posture_pack_info(uint8_t *out, uint8_t minor, uint8_t config, uint8_t batch,
                                       uint8_t flags, uint8_t max_batch, uint32_t tick_hz) {
    out[0] = POSTURE_PROTOCOL_MAJOR;
    out[1] = minor;
    out[2] = config;
    out[3] = batch;
    out[4] = flags;
    out[5] = max_batch;
    posture_put_u32(out + 6, tick_hz);
    posture_put_u16(out + 10, 0);
    return POSTURE_INFO_SIZE;
}

static inline size_t posture_pack_response(uint8_t *out, uint8_t request, uint8_t result) {
    out[0] = POSTURE_RESPONSE_MARKER;
    out[1] = request;
    out[2] = result;
    return 3;
}

static inline size_t posture_pack_status(uint8_t *out, uint8_t state, uint8_t flags, uint16_t overflow) {
    out[0] = state;
    out[1] = flags;
    posture_put_u16(out + 2, overflow);
    return POSTURE_STATUS_SIZE;
}

#endif /* POSTURE_FRAMES_H */
