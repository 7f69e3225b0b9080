//! Comparisons and conversions computed by the host without SoftFloat, in
//! any fflags state: the host's result is exact (compares, widening, integer
//! rounding) or rounded to nearest-even with an inexactness we can check by
//! converting back, so the flags follow from the result. What they cannot
//! decide (other rounding modes for a rounding conversion, tiny narrowing
//! results, NaN inputs of the narrowing) goes to SoftFloat, as before.

use softfloat as sf;

use super::hardfloat::HostFloat;
use super::{flags, is_nan, is_snan, Rounding, CANONICAL_NAN_D};

/// feq (11.8): quiet, NV only for a signaling NaN; NaN compares unequal.
#[inline]
pub fn eq<T: HostFloat>(a: T, b: T) -> (bool, u8) {
    let fl = if is_snan(a) || is_snan(b) { flags::NV } else { 0 };
    (a.host() == b.host(), fl)
}

/// flt (11.8): signaling, NV for any NaN operand.
#[inline]
pub fn lt<T: HostFloat>(a: T, b: T) -> (bool, u8) {
    let fl = if is_nan(a) || is_nan(b) { flags::NV } else { 0 };
    (a.host() < b.host(), fl)
}

/// fle (11.8): signaling, NV for any NaN operand.
#[inline]
pub fn le<T: HostFloat>(a: T, b: T) -> (bool, u8) {
    let fl = if is_nan(a) || is_nan(b) { flags::NV } else { 0 };
    (a.host() <= b.host(), fl)
}

/// fcvt.d.s (12.5) is exact; a NaN becomes the canonical NaN, NV if signaling.
#[inline]
pub fn f32_to_f64(a: u32) -> (u64, u8) {
    if is_nan(a) {
        return (CANONICAL_NAN_D, if is_snan(a) { flags::NV } else { 0 });
    }
    (f64::from(f32::from_bits(a)).to_bits(), 0)
}

/// fcvt.s.d (12.5). Rust's `as f32` rounds to nearest-even; an infinity from
/// a finite input overflowed (OF, NX); a result of magnitude at most the
/// smallest normal may be tiny (UF, tininess after rounding), so SoftFloat.
#[inline]
pub fn f64_to_f32(a: u64, rm: Rounding) -> (u32, u8) {
    let x = f64::from_bits(a);
    if rm == Rounding::NearEven && !x.is_nan() {
        let r = x as f32;
        if r.is_infinite() {
            let fl = if x.is_infinite() { 0 } else { flags::OF | flags::NX };
            return (r.to_bits(), fl);
        }
        if r.abs() > f32::MIN_POSITIVE || x == 0.0 {
            return (r.to_bits(), if f64::from(r) == x { 0 } else { flags::NX });
        }
    }
    sf::f64_to_f32(a, rm)
}

/// Integer to float (11.7, 12.5). `as` rounds to nearest-even (the Rust
/// reference); if converting back gives the integer the result is exact and
/// so the same in every rounding mode, otherwise only RNE is the host's.
/// `limit` is 2^bits of the integer type: a result that rounded up to it
/// would saturate converting back, and is never exact.
macro_rules! from_int {
    ($($name:ident($int:ty) -> $f:ty, $bits:ty, $limit:expr, $soft:path;)*) => {$(
        #[inline]
        pub fn $name(x: $int, rm: Rounding) -> ($bits, u8) {
            let r = x as $f;
            if r < $limit && r as $int == x {
                (r.to_bits(), 0)
            } else if rm == Rounding::NearEven {
                (r.to_bits(), flags::NX)
            } else {
                $soft(x, rm)
            }
        }
    )*};
}

from_int! {
    i32_to_f32(i32) -> f32, u32, 2147483648.0, sf::i32_to_f32;
    u32_to_f32(u32) -> f32, u32, 4294967296.0, sf::u32_to_f32;
    i64_to_f32(i64) -> f32, u32, 9223372036854775808.0, sf::i64_to_f32;
    u64_to_f32(u64) -> f32, u32, 18446744073709551616.0, sf::u64_to_f32;
    i32_to_f64(i32) -> f64, u64, TWO31, sf::i32_to_f64;
    u32_to_f64(u32) -> f64, u64, TWO32, sf::u32_to_f64;
    i64_to_f64(i64) -> f64, u64, TWO63, sf::i64_to_f64;
    u64_to_f64(u64) -> f64, u64, TWO64, sf::u64_to_f64;
}

/// `x.trunc()` without a libm call (no SSE4.1 in the baseline target):
/// below 2^52 the i64 conversion truncates exactly (the sign of a zero does
/// not matter to `round_in`); at or above it, and for inf/NaN, `x` is its own
/// truncation.
#[inline]
fn trunc(x: f64) -> f64 {
    if x.abs() < 4503599627370496.0 {
        x as i64 as f64
    } else {
        x
    }
}

/// `x` rounded to an integral value by `rm` (exact operations), with NX if
/// that changed it, when the result lies in [lo, hi); otherwise Err(whether
/// it is negative), NaN counting as positive (11.7, Table 11.4).
#[inline]
fn round_in(x: f64, rm: Rounding, lo: f64, hi: f64) -> Result<(f64, u8), bool> {
    let t = match rm {
        Rounding::NearEven => x.round_ties_even(),
        Rounding::TowardZero => trunc(x),
        Rounding::Down => x.floor(),
        Rounding::Up => x.ceil(),
        Rounding::NearMaxMag => x.round(),
    };
    // -0.0 >= 0.0, so a negative input rounding to zero is a valid unsigned 0.
    if t >= lo && t < hi {
        Ok((t, if t == x { 0 } else { flags::NX }))
    } else {
        Err(t < 0.0)
    }
}

const TWO31: f64 = 2147483648.0;
const TWO32: f64 = 4294967296.0;
const TWO63: f64 = 9223372036854775808.0;
const TWO64: f64 = 18446744073709551616.0;

/// Float to integer (11.7): rounded by `rm`; out of range or NaN is invalid
/// (NV only) and saturates, NaN to the maximum. Single inputs are widened
/// first, which is exact.
macro_rules! to_int {
    ($($name:ident: $int:ty, $lo:expr, $hi:expr, $min:expr;)*) => {$(
        #[inline]
        pub fn $name(x: f64, rm: Rounding) -> ($int, u8) {
            match round_in(x, rm, $lo, $hi) {
                Ok((t, fl)) => (t as $int, fl),
                Err(true) => ($min, flags::NV),
                Err(false) => (<$int>::MAX, flags::NV),
            }
        }
    )*};
}

to_int! {
    to_i32: i32, -TWO31, TWO31, i32::MIN;
    to_u32: u32, 0.0, TWO32, 0;
    to_i64: i64, -TWO63, TWO63, i64::MIN;
    to_u64: u64, 0.0, TWO64, 0;
}
