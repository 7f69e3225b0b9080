//! IEEE 754 binary32/binary64 arithmetic by Berkeley SoftFloat 3e with its
//! RISC-V specialisation (the library Spike uses), built by the
//! `softfloat-sys` crate: canonical NaN results, tininess detected after
//! rounding, RISC-V saturation values for float-to-integer conversions.
//!
//! Every function takes raw bits and a rounding mode and returns the raw
//! result with the exception flags that operation raised. The flag bits are
//! those of the RISC-V `fflags` CSR: NV 0x10, DZ 0x08, OF 0x04, UF 0x02, NX 0x01.
//!
//! SoftFloat keeps its rounding mode and flags in `_Thread_local` variables,
//! which `softfloat-sys` reaches through small C helpers. Each function here
//! sets the mode, clears the flags, operates and reads the flags back on the
//! calling thread without yielding, so calls from several threads are
//! independent.

use softfloat_sys as sys;
use sys::{float32_t, float64_t};

/// A rounding mode, numbered as RISC-V `rm`/`frm` (and as SoftFloat's
/// `softfloat_round_*`, which use the same numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Rounding {
    /// Round to nearest, ties to even (RNE).
    NearEven = 0,
    /// Round towards zero (RTZ).
    TowardZero = 1,
    /// Round down, towards negative infinity (RDN).
    Down = 2,
    /// Round up, towards positive infinity (RUP).
    Up = 3,
    /// Round to nearest, ties to max magnitude (RMM).
    NearMaxMag = 4,
}

impl Rounding {
    /// The mode for a RISC-V rounding-mode encoding; 5..=7 are not modes.
    pub fn from_rm(rm: u8) -> Option<Rounding> {
        match rm {
            0 => Some(Rounding::NearEven),
            1 => Some(Rounding::TowardZero),
            2 => Some(Rounding::Down),
            3 => Some(Rounding::Up),
            4 => Some(Rounding::NearMaxMag),
            _ => None,
        }
    }
}

/// Exception flag bits, as in RISC-V `fflags` and SoftFloat's `softfloat_flag_*`.
pub mod flags {
    pub const NX: u8 = 0x01;
    pub const UF: u8 = 0x02;
    pub const OF: u8 = 0x04;
    pub const DZ: u8 = 0x08;
    pub const NV: u8 = 0x10;
}

// The numbering above is SoftFloat's, which the wrappers pass straight through.
const _: () = {
    assert!(Rounding::NearEven as u8 == sys::softfloat_round_near_even);
    assert!(Rounding::TowardZero as u8 == sys::softfloat_round_minMag);
    assert!(Rounding::Down as u8 == sys::softfloat_round_min);
    assert!(Rounding::Up as u8 == sys::softfloat_round_max);
    assert!(Rounding::NearMaxMag as u8 == sys::softfloat_round_near_maxMag);
    assert!(flags::NX == sys::softfloat_flag_inexact);
    assert!(flags::UF == sys::softfloat_flag_underflow);
    assert!(flags::OF == sys::softfloat_flag_overflow);
    assert!(flags::DZ == sys::softfloat_flag_infinite);
    assert!(flags::NV == sys::softfloat_flag_invalid);
};

/// Runs `op` under `rm` with the flags cleared and returns its result with
/// the flags it raised. `op` must be one SoftFloat call and nothing else, so
/// that the flags read back are that call's.
#[inline(always)]
fn run<R>(rm: Rounding, op: impl FnOnce() -> R) -> (R, u8) {
    // SAFETY: the helpers take and return plain integers and only write
    // SoftFloat's `_Thread_local` rounding mode and flags of this thread,
    // which nothing else touches between here and the read below (the same
    // thread runs `op` synchronously); `rm` is 0..=4, a valid SoftFloat mode.
    unsafe {
        sys::softfloat_roundingMode_write_helper(rm as u8);
        sys::softfloat_exceptionFlags_write_helper(0);
    }
    let r = op();
    // SAFETY: as above, a plain read of this thread's flags.
    let fl = unsafe { sys::softfloat_exceptionFlags_read_helper() };
    (r, fl)
}

/// Safe wrappers of the operations on floats: `name(args..., rm) -> (result, flags)`.
macro_rules! wrap {
    ($($name:ident => $c:ident ($($a:ident: $t:ty => $ft:ident),*) -> $r:ty;)*) => {$(
        #[inline]
        pub fn $name($($a: $t,)* rm: Rounding) -> ($r, u8) {
            // SAFETY: SoftFloat's operations take and return their operands
            // by value as `#[repr(C)]` one-integer structs, matching its
            // `float32_t`/`float64_t`; any bit pattern is a valid operand;
            // their only other state is this thread's mode and flags (`run`).
            run(rm, || unsafe { sys::$c($($ft { v: $a }),*) }.v)
        }
    )*};
}

wrap! {
    f32_add => f32_add(a: u32 => float32_t, b: u32 => float32_t) -> u32;
    f32_sub => f32_sub(a: u32 => float32_t, b: u32 => float32_t) -> u32;
    f32_mul => f32_mul(a: u32 => float32_t, b: u32 => float32_t) -> u32;
    f32_div => f32_div(a: u32 => float32_t, b: u32 => float32_t) -> u32;
    f64_add => f64_add(a: u64 => float64_t, b: u64 => float64_t) -> u64;
    f64_sub => f64_sub(a: u64 => float64_t, b: u64 => float64_t) -> u64;
    f64_mul => f64_mul(a: u64 => float64_t, b: u64 => float64_t) -> u64;
    f64_div => f64_div(a: u64 => float64_t, b: u64 => float64_t) -> u64;
    f32_mul_add => f32_mulAdd(a: u32 => float32_t, b: u32 => float32_t, c: u32 => float32_t) -> u32;
    f64_mul_add => f64_mulAdd(a: u64 => float64_t, b: u64 => float64_t, c: u64 => float64_t) -> u64;
    f32_sqrt => f32_sqrt(a: u32 => float32_t) -> u32;
    f64_sqrt => f64_sqrt(a: u64 => float64_t) -> u64;
    f32_to_f64 => f32_to_f64(a: u32 => float32_t) -> u64;
    f64_to_f32 => f64_to_f32(a: u64 => float64_t) -> u32;
}

/// Float to integer, with the inexact flag reported (`exact` = true).
/// SoftFloat returns C's `int_fast32_t` etc., which may be wider than the
/// type named; the value always fits the narrower type.
macro_rules! wrap_to_int {
    ($($name:ident => $c:ident ($t:ty => $ft:ident) -> $r:ty;)*) => {$(
        #[inline]
        pub fn $name(a: $t, rm: Rounding) -> ($r, u8) {
            // SAFETY: as for `wrap!`; the mode argument is valid (`run`).
            run(rm, || unsafe { sys::$c($ft { v: a }, rm as u8, true) } as $r)
        }
    )*};
}

wrap_to_int! {
    f32_to_i32 => f32_to_i32(u32 => float32_t) -> i32;
    f32_to_u32 => f32_to_ui32(u32 => float32_t) -> u32;
    f32_to_i64 => f32_to_i64(u32 => float32_t) -> i64;
    f32_to_u64 => f32_to_ui64(u32 => float32_t) -> u64;
    f64_to_i32 => f64_to_i32(u64 => float64_t) -> i32;
    f64_to_u32 => f64_to_ui32(u64 => float64_t) -> u32;
    f64_to_i64 => f64_to_i64(u64 => float64_t) -> i64;
    f64_to_u64 => f64_to_ui64(u64 => float64_t) -> u64;
}

/// Integer to float.
macro_rules! wrap_from_int {
    ($($name:ident => $c:ident ($t:ty) -> $r:ty;)*) => {$(
        #[inline]
        pub fn $name(a: $t, rm: Rounding) -> ($r, u8) {
            // SAFETY: as for `wrap!`; the integer is passed by value.
            run(rm, || unsafe { sys::$c(a) }.v)
        }
    )*};
}

wrap_from_int! {
    i32_to_f32 => i32_to_f32(i32) -> u32;
    u32_to_f32 => ui32_to_f32(u32) -> u32;
    i64_to_f32 => i64_to_f32(i64) -> u32;
    u64_to_f32 => ui64_to_f32(u64) -> u32;
    i32_to_f64 => i32_to_f64(i32) -> u64;
    u32_to_f64 => ui32_to_f64(u32) -> u64;
    i64_to_f64 => i64_to_f64(i64) -> u64;
    u64_to_f64 => ui64_to_f64(u64) -> u64;
}

/// Comparisons: `eq` is quiet (NV only for a signaling NaN), `lt`/`le` are
/// signaling (NV for any NaN), as IEEE 754 and RISC-V feq/flt/fle. They do
/// not round; the mode set is round-to-nearest-even.
macro_rules! wrap_cmp {
    ($($name:ident => $c:ident ($t:ty => $ft:ident);)*) => {$(
        #[inline]
        pub fn $name(a: $t, b: $t) -> (bool, u8) {
            // SAFETY: as for `wrap!`; the C `bool` is Rust's `bool`.
            run(Rounding::NearEven, || unsafe { sys::$c($ft { v: a }, $ft { v: b }) })
        }
    )*};
}

wrap_cmp! {
    f32_eq => f32_eq(u32 => float32_t);
    f32_lt => f32_lt(u32 => float32_t);
    f32_le => f32_le(u32 => float32_t);
    f64_eq => f64_eq(u64 => float64_t);
    f64_lt => f64_lt(u64 => float64_t);
    f64_le => f64_le(u64 => float64_t);
}

#[cfg(test)]
mod tests {
    use super::flags::*;
    use super::*;

    const ONE: u32 = 0x3f80_0000;
    const THREE: u32 = 0x4040_0000;

    #[test]
    fn one_third_in_each_mode() {
        // 1/3 = 0x3eaaaaaa.aaa..: the nearest is below, so RNE/RTZ/RDN/RMM agree and RUP is one ulp up.
        let rne = f32_div(ONE, THREE, Rounding::NearEven);
        assert_eq!(rne, (0x3eaa_aaab, NX));
        assert_eq!(f32_div(ONE, THREE, Rounding::TowardZero), (0x3eaa_aaaa, NX));
        assert_eq!(f32_div(ONE, THREE, Rounding::Down), (0x3eaa_aaaa, NX));
        assert_eq!(f32_div(ONE, THREE, Rounding::Up), (0x3eaa_aaab, NX));
        assert_eq!(f32_div(ONE, THREE, Rounding::NearMaxMag), (0x3eaa_aaab, NX));
    }

    #[test]
    fn canonical_nan_and_flags() {
        // sNaN input: canonical qNaN, NV.
        assert_eq!(f32_add(0x7f80_0001, ONE, Rounding::NearEven), (0x7fc0_0000, NV));
        // qNaN with payload: canonical qNaN, no flag.
        assert_eq!(f32_add(0xffc1_2345, ONE, Rounding::NearEven), (0x7fc0_0000, 0));
        assert_eq!(f64_div(0, 0, Rounding::NearEven), (0x7ff8_0000_0000_0000, NV));
        assert_eq!(f64_div(1.0f64.to_bits(), 0, Rounding::NearEven), (f64::INFINITY.to_bits(), DZ));
    }

    /// RISC-V's float-to-integer results (unprivileged spec, "Domains of
    /// float-to-integer conversions"): NaN and positive overflow give the
    /// largest value, negative overflow the smallest, with NV only.
    #[test]
    fn conversions_saturate_as_risc_v() {
        let rtz = Rounding::TowardZero;
        let nan = f64::NAN.to_bits();
        let snan = 0x7ff0_0000_0000_0001u64;
        let neg_nan = 0xfff8_0000_0000_0000u64;
        let (inf, ninf) = (f64::INFINITY.to_bits(), f64::NEG_INFINITY.to_bits());
        let big = 1e20f64.to_bits();
        let nbig = (-1e20f64).to_bits();
        for x in [nan, snan, neg_nan, inf, big] {
            assert_eq!(f64_to_i32(x, rtz), (i32::MAX, NV), "{x:#x}");
            assert_eq!(f64_to_u32(x, rtz), (u32::MAX, NV), "{x:#x}");
            assert_eq!(f64_to_i64(x, rtz), (i64::MAX, NV), "{x:#x}");
            assert_eq!(f64_to_u64(x, rtz), (u64::MAX, NV), "{x:#x}");
        }
        for x in [ninf, nbig] {
            assert_eq!(f64_to_i32(x, rtz), (i32::MIN, NV), "{x:#x}");
            assert_eq!(f64_to_u32(x, rtz), (0, NV), "{x:#x}");
            assert_eq!(f64_to_i64(x, rtz), (i64::MIN, NV), "{x:#x}");
            assert_eq!(f64_to_u64(x, rtz), (0, NV), "{x:#x}");
        }
        // Just outside and inside the 32-bit ranges; -1 is invalid unsigned,
        // a negative fraction truncating to 0 only inexact.
        assert_eq!(f64_to_i32(2147483648f64.to_bits(), rtz), (i32::MAX, NV));
        assert_eq!(f64_to_i32((-2147483648f64).to_bits(), rtz), (i32::MIN, 0));
        assert_eq!(f64_to_i32((-2147483649f64).to_bits(), rtz), (i32::MIN, NV));
        assert_eq!(f64_to_u32(4294967295f64.to_bits(), rtz), (u32::MAX, 0));
        assert_eq!(f64_to_u32(4294967296f64.to_bits(), rtz), (u32::MAX, NV));
        assert_eq!(f64_to_u64((-1f64).to_bits(), rtz), (0, NV));
        assert_eq!(f64_to_u32((-0.5f64).to_bits(), rtz), (0, NX));
        assert_eq!(f64_to_i64(2.5f64.to_bits(), Rounding::NearEven), (2, NX));
        // Single: NaN (either sign) to the maximum, -inf to the minimum.
        for x in [0x7fc0_0000, 0xffc0_0000, 0x7f80_0001, f32::INFINITY.to_bits()] {
            assert_eq!(f32_to_i32(x, rtz), (i32::MAX, NV), "{x:#x}");
            assert_eq!(f32_to_u32(x, rtz), (u32::MAX, NV), "{x:#x}");
            assert_eq!(f32_to_i64(x, rtz), (i64::MAX, NV), "{x:#x}");
            assert_eq!(f32_to_u64(x, rtz), (u64::MAX, NV), "{x:#x}");
        }
        let ninf = f32::NEG_INFINITY.to_bits();
        assert_eq!(f32_to_i32(ninf, rtz), (i32::MIN, NV));
        assert_eq!(f32_to_u32(ninf, rtz), (0, NV));
        assert_eq!(f32_to_i64(ninf, rtz), (i64::MIN, NV));
        assert_eq!(f32_to_u64(ninf, rtz), (0, NV));
    }

    #[test]
    fn state_is_per_thread() {
        // Many threads hammer different modes; each must see only its own mode and flags.
        let handles: Vec<_> = (0..8u8)
            .map(|t| {
                std::thread::spawn(move || {
                    let rm = if t % 2 == 0 { Rounding::NearEven } else { Rounding::TowardZero };
                    for _ in 0..20_000 {
                        let (r, fl) = f32_div(ONE, THREE, rm);
                        assert_eq!(r, if t % 2 == 0 { 0x3eaa_aaab } else { 0x3eaa_aaaa });
                        assert_eq!(fl, NX);
                        let (r, fl) = f32_add(ONE, ONE, rm);
                        assert_eq!((r, fl), (0x4000_0000, 0));
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("thread");
        }
    }

    /// Deterministic xorshift64* operands biased towards interesting exponents.
    struct Gen(u64);
    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn f32(&mut self) -> u32 {
            let r = self.next();
            let exp = match r % 8 {
                0 => 0,
                1 => 0xff,
                2 => 1,
                3 => 0xfe,
                _ => (r >> 8) as u32 & 0xff,
            };
            (r >> 32) as u32 & 0x807f_ffff | exp << 23
        }
        fn f64(&mut self) -> u64 {
            let r = self.next();
            let exp = match r % 8 {
                0 => 0,
                1 => 0x7ff,
                2 => 1,
                3 => 0x7fe,
                _ => (r >> 8) & 0x7ff,
            };
            self.next() & 0x800f_ffff_ffff_ffff | exp << 52
        }
    }

    /// Under RNE the host's IEEE arithmetic must give the same bits for every
    /// non-NaN result (NaN payloads differ by design: RISC-V canonicalises).
    #[test]
    fn matches_host_ieee_in_round_to_nearest() {
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        let rne = Rounding::NearEven;
        for _ in 0..20_000 {
            let (a, b, c) = (g.f32(), g.f32(), g.f32());
            let (x, y, z) = (f32::from_bits(a), f32::from_bits(b), f32::from_bits(c));
            let host = [x + y, x - y, x * y, x / y, x.sqrt(), x.mul_add(y, z)];
            let soft = [
                f32_add(a, b, rne).0,
                f32_sub(a, b, rne).0,
                f32_mul(a, b, rne).0,
                f32_div(a, b, rne).0,
                f32_sqrt(a, rne).0,
                f32_mul_add(a, b, c, rne).0,
            ];
            for (k, (h, s)) in host.iter().zip(soft).enumerate() {
                if h.is_nan() {
                    assert_eq!(s, 0x7fc0_0000, "op {k} on {a:#x} {b:#x} {c:#x}");
                } else {
                    assert_eq!(s, h.to_bits(), "op {k} on {a:#x} {b:#x} {c:#x}");
                }
            }
            assert_eq!(f32_lt(a, b).0, x < y);
            assert_eq!(f32_eq(a, b).0, x == y);
            assert_eq!(f32_le(a, b).0, x <= y);
            let wide = f32_to_f64(a, rne).0;
            if !x.is_nan() {
                assert_eq!(wide, f64::from(x).to_bits());
            }

            let (a, b, c) = (g.f64(), g.f64(), g.f64());
            let (x, y, z) = (f64::from_bits(a), f64::from_bits(b), f64::from_bits(c));
            let host = [x + y, x - y, x * y, x / y, x.sqrt(), x.mul_add(y, z)];
            let soft = [
                f64_add(a, b, rne).0,
                f64_sub(a, b, rne).0,
                f64_mul(a, b, rne).0,
                f64_div(a, b, rne).0,
                f64_sqrt(a, rne).0,
                f64_mul_add(a, b, c, rne).0,
            ];
            for (k, (h, s)) in host.iter().zip(soft).enumerate() {
                if h.is_nan() {
                    assert_eq!(s, 0x7ff8_0000_0000_0000, "op {k} on {a:#x} {b:#x} {c:#x}");
                } else {
                    assert_eq!(s, h.to_bits(), "op {k} on {a:#x} {b:#x} {c:#x}");
                }
            }
            let narrow = f64_to_f32(a, rne).0;
            if !x.is_nan() {
                assert_eq!(narrow, (x as f32).to_bits());
            }
            // In range, truncation agrees with Rust's `as` (which saturates otherwise).
            if x.abs() < 9.0e18 {
                assert_eq!(f64_to_i64(a, Rounding::TowardZero).0, x as i64);
            }
            let i = g.next() as i64;
            assert_eq!(i64_to_f64(i, rne).0, (i as f64).to_bits());
            assert_eq!(u64_to_f32(i as u64, rne).0, (i as u64 as f32).to_bits());
        }
    }
}
