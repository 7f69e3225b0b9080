/* One call per operation: set the rounding mode, clear the flags, operate,
   return the flags. The state is _Thread_local (platform.h), so concurrent
   callers on different threads do not interfere. */
#include <stdbool.h>
#include <stdint.h>
#include "platform.h"
#include "softfloat.h"

#define BEGIN(rm) softfloat_roundingMode = (rm); softfloat_exceptionFlags = 0
#define END(fl) *(fl) = softfloat_exceptionFlags

#define BIN(N, W)                                                                         \
    uint##W##_t tern_##N(uint##W##_t a, uint##W##_t b, uint8_t rm, uint8_t *fl) {         \
        BEGIN(rm);                                                                        \
        float##W##_t x = { a }, y = { b };                                                \
        float##W##_t r = N(x, y);                                                         \
        END(fl);                                                                          \
        return r.v;                                                                       \
    }
BIN(f32_add, 32) BIN(f32_sub, 32) BIN(f32_mul, 32) BIN(f32_div, 32)
BIN(f64_add, 64) BIN(f64_sub, 64) BIN(f64_mul, 64) BIN(f64_div, 64)

#define FMA(N, W)                                                                         \
    uint##W##_t tern_##N(uint##W##_t a, uint##W##_t b, uint##W##_t c, uint8_t rm,         \
                         uint8_t *fl) {                                                   \
        BEGIN(rm);                                                                        \
        float##W##_t x = { a }, y = { b }, z = { c };                                     \
        float##W##_t r = N(x, y, z);                                                      \
        END(fl);                                                                          \
        return r.v;                                                                       \
    }
FMA(f32_mulAdd, 32) FMA(f64_mulAdd, 64)

#define UN(N, W, RW)                                                                      \
    uint##RW##_t tern_##N(uint##W##_t a, uint8_t rm, uint8_t *fl) {                       \
        BEGIN(rm);                                                                        \
        float##W##_t x = { a };                                                           \
        float##RW##_t r = N(x);                                                           \
        END(fl);                                                                          \
        return r.v;                                                                       \
    }
UN(f32_sqrt, 32, 32) UN(f64_sqrt, 64, 64) UN(f32_to_f64, 32, 64) UN(f64_to_f32, 64, 32)

#define CMP(N, W)                                                                         \
    bool tern_##N(uint##W##_t a, uint##W##_t b, uint8_t *fl) {                            \
        BEGIN(softfloat_round_near_even);                                                 \
        float##W##_t x = { a }, y = { b };                                                \
        bool r = N(x, y);                                                                 \
        END(fl);                                                                          \
        return r;                                                                         \
    }
CMP(f32_eq, 32) CMP(f32_lt, 32) CMP(f32_le, 32) CMP(f64_eq, 64) CMP(f64_lt, 64) CMP(f64_le, 64)

/* Float to integer, inexact reported (exact = true). */
#define TOINT(N, W, IT)                                                                   \
    IT tern_##N(uint##W##_t a, uint8_t rm, uint8_t *fl) {                                 \
        BEGIN(rm);                                                                        \
        float##W##_t x = { a };                                                           \
        IT r = (IT)N(x, rm, true);                                                        \
        END(fl);                                                                          \
        return r;                                                                         \
    }
TOINT(f32_to_i32, 32, int32_t) TOINT(f32_to_ui32, 32, uint32_t)
TOINT(f32_to_i64, 32, int64_t) TOINT(f32_to_ui64, 32, uint64_t)
TOINT(f64_to_i32, 64, int32_t) TOINT(f64_to_ui32, 64, uint32_t)
TOINT(f64_to_i64, 64, int64_t) TOINT(f64_to_ui64, 64, uint64_t)

#define FROMINT(N, IT, W)                                                                 \
    uint##W##_t tern_##N(IT a, uint8_t rm, uint8_t *fl) {                                 \
        BEGIN(rm);                                                                        \
        float##W##_t r = N(a);                                                            \
        END(fl);                                                                          \
        return r.v;                                                                       \
    }
FROMINT(i32_to_f32, int32_t, 32) FROMINT(ui32_to_f32, uint32_t, 32)
FROMINT(i64_to_f32, int64_t, 32) FROMINT(ui64_to_f32, uint64_t, 32)
FROMINT(i32_to_f64, int32_t, 64) FROMINT(ui32_to_f64, uint32_t, 64)
FROMINT(i64_to_f64, int64_t, 64) FROMINT(ui64_to_f64, uint64_t, 64)
