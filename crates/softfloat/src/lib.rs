//! IEEE 754 binary32/binary64 arithmetic by Berkeley SoftFloat 3e with its
//! RISC-V specialisation (the library Spike uses): canonical NaN results,
//! tininess detected after rounding, RISC-V saturation values for
//! float-to-integer conversions.
//!
//! Every function takes raw bits and a rounding mode and returns the raw
//! result with the exception flags that operation raised. The flag bits are
//! those of the RISC-V `fflags` CSR: NV 0x10, DZ 0x08, OF 0x04, UF 0x02, NX 0x01.
//!
//! SoftFloat keeps its rounding mode and flags in `_Thread_local` variables
//! (`c/platform.h`); each C entry point sets the mode, clears the flags,
//! operates and reads the flags back without yielding, so calls from several
//! threads are independent.

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

mod ffi {
    extern "C" {
        pub fn tern_f32_add(a: u32, b: u32, rm: u8, fl: *mut u8) -> u32;
        pub fn tern_f32_sub(a: u32, b: u32, rm: u8, fl: *mut u8) -> u32;
        pub fn tern_f32_mul(a: u32, b: u32, rm: u8, fl: *mut u8) -> u32;
        pub fn tern_f32_div(a: u32, b: u32, rm: u8, fl: *mut u8) -> u32;
        pub fn tern_f64_add(a: u64, b: u64, rm: u8, fl: *mut u8) -> u64;
        pub fn tern_f64_sub(a: u64, b: u64, rm: u8, fl: *mut u8) -> u64;
        pub fn tern_f64_mul(a: u64, b: u64, rm: u8, fl: *mut u8) -> u64;
        pub fn tern_f64_div(a: u64, b: u64, rm: u8, fl: *mut u8) -> u64;
        pub fn tern_f32_mulAdd(a: u32, b: u32, c: u32, rm: u8, fl: *mut u8) -> u32;
        pub fn tern_f64_mulAdd(a: u64, b: u64, c: u64, rm: u8, fl: *mut u8) -> u64;
        pub fn tern_f32_sqrt(a: u32, rm: u8, fl: *mut u8) -> u32;
        pub fn tern_f64_sqrt(a: u64, rm: u8, fl: *mut u8) -> u64;
        pub fn tern_f32_to_f64(a: u32, rm: u8, fl: *mut u8) -> u64;
        pub fn tern_f64_to_f32(a: u64, rm: u8, fl: *mut u8) -> u32;
        pub fn tern_f32_eq(a: u32, b: u32, fl: *mut u8) -> bool;
        pub fn tern_f32_lt(a: u32, b: u32, fl: *mut u8) -> bool;
        pub fn tern_f32_le(a: u32, b: u32, fl: *mut u8) -> bool;
        pub fn tern_f64_eq(a: u64, b: u64, fl: *mut u8) -> bool;
        pub fn tern_f64_lt(a: u64, b: u64, fl: *mut u8) -> bool;
        pub fn tern_f64_le(a: u64, b: u64, fl: *mut u8) -> bool;
        pub fn tern_f32_to_i32(a: u32, rm: u8, fl: *mut u8) -> i32;
        pub fn tern_f32_to_ui32(a: u32, rm: u8, fl: *mut u8) -> u32;
        pub fn tern_f32_to_i64(a: u32, rm: u8, fl: *mut u8) -> i64;
        pub fn tern_f32_to_ui64(a: u32, rm: u8, fl: *mut u8) -> u64;
        pub fn tern_f64_to_i32(a: u64, rm: u8, fl: *mut u8) -> i32;
        pub fn tern_f64_to_ui32(a: u64, rm: u8, fl: *mut u8) -> u32;
        pub fn tern_f64_to_i64(a: u64, rm: u8, fl: *mut u8) -> i64;
        pub fn tern_f64_to_ui64(a: u64, rm: u8, fl: *mut u8) -> u64;
        pub fn tern_i32_to_f32(a: i32, rm: u8, fl: *mut u8) -> u32;
        pub fn tern_ui32_to_f32(a: u32, rm: u8, fl: *mut u8) -> u32;
        pub fn tern_i64_to_f32(a: i64, rm: u8, fl: *mut u8) -> u32;
        pub fn tern_ui64_to_f32(a: u64, rm: u8, fl: *mut u8) -> u32;
        pub fn tern_i32_to_f64(a: i32, rm: u8, fl: *mut u8) -> u64;
        pub fn tern_ui32_to_f64(a: u32, rm: u8, fl: *mut u8) -> u64;
        pub fn tern_i64_to_f64(a: i64, rm: u8, fl: *mut u8) -> u64;
        pub fn tern_ui64_to_f64(a: u64, rm: u8, fl: *mut u8) -> u64;
    }
}

/// Safe wrappers: `name(args..., rm) -> (result, flags)`.
macro_rules! wrap {
    ($($name:ident => $c:ident ($($a:ident: $t:ty),*) -> $r:ty;)*) => {$(
        #[inline]
        pub fn $name($($a: $t,)* rm: Rounding) -> ($r, u8) {
            let mut fl = 0u8;
            // SAFETY: the C function only reads its by-value arguments and
            // writes one byte through `fl`, a valid exclusive borrow; `rm` is
            // a valid SoftFloat mode by construction; its global state is
            // thread-local and not kept across calls.
            let r = unsafe { ffi::$c($($a,)* rm as u8, &mut fl) };
            (r, fl)
        }
    )*};
}

wrap! {
    f32_add => tern_f32_add(a: u32, b: u32) -> u32;
    f32_sub => tern_f32_sub(a: u32, b: u32) -> u32;
    f32_mul => tern_f32_mul(a: u32, b: u32) -> u32;
    f32_div => tern_f32_div(a: u32, b: u32) -> u32;
    f64_add => tern_f64_add(a: u64, b: u64) -> u64;
    f64_sub => tern_f64_sub(a: u64, b: u64) -> u64;
    f64_mul => tern_f64_mul(a: u64, b: u64) -> u64;
    f64_div => tern_f64_div(a: u64, b: u64) -> u64;
    f32_mul_add => tern_f32_mulAdd(a: u32, b: u32, c: u32) -> u32;
    f64_mul_add => tern_f64_mulAdd(a: u64, b: u64, c: u64) -> u64;
    f32_sqrt => tern_f32_sqrt(a: u32) -> u32;
    f64_sqrt => tern_f64_sqrt(a: u64) -> u64;
    f32_to_f64 => tern_f32_to_f64(a: u32) -> u64;
    f64_to_f32 => tern_f64_to_f32(a: u64) -> u32;
    f32_to_i32 => tern_f32_to_i32(a: u32) -> i32;
    f32_to_u32 => tern_f32_to_ui32(a: u32) -> u32;
    f32_to_i64 => tern_f32_to_i64(a: u32) -> i64;
    f32_to_u64 => tern_f32_to_ui64(a: u32) -> u64;
    f64_to_i32 => tern_f64_to_i32(a: u64) -> i32;
    f64_to_u32 => tern_f64_to_ui32(a: u64) -> u32;
    f64_to_i64 => tern_f64_to_i64(a: u64) -> i64;
    f64_to_u64 => tern_f64_to_ui64(a: u64) -> u64;
    i32_to_f32 => tern_i32_to_f32(a: i32) -> u32;
    u32_to_f32 => tern_ui32_to_f32(a: u32) -> u32;
    i64_to_f32 => tern_i64_to_f32(a: i64) -> u32;
    u64_to_f32 => tern_ui64_to_f32(a: u64) -> u32;
    i32_to_f64 => tern_i32_to_f64(a: i32) -> u64;
    u32_to_f64 => tern_ui32_to_f64(a: u32) -> u64;
    i64_to_f64 => tern_i64_to_f64(a: i64) -> u64;
    u64_to_f64 => tern_ui64_to_f64(a: u64) -> u64;
}

/// Comparisons: `eq` is quiet (NV only for a signaling NaN), `lt`/`le` are
/// signaling (NV for any NaN), as IEEE 754 and RISC-V feq/flt/fle.
macro_rules! wrap_cmp {
    ($($name:ident => $c:ident ($t:ty);)*) => {$(
        #[inline]
        pub fn $name(a: $t, b: $t) -> (bool, u8) {
            let mut fl = 0u8;
            // SAFETY: as for the arithmetic wrappers; the C `bool` is Rust's `bool`.
            let r = unsafe { ffi::$c(a, b, &mut fl) };
            (r, fl)
        }
    )*};
}

wrap_cmp! {
    f32_eq => tern_f32_eq(u32);
    f32_lt => tern_f32_lt(u32);
    f32_le => tern_f32_le(u32);
    f64_eq => tern_f64_eq(u64);
    f64_lt => tern_f64_lt(u64);
    f64_le => tern_f64_le(u64);
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
