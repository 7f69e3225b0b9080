//! Host-FPU fast paths for the rounding arithmetic, after QEMU's "hardfloat"
//! (fpu/softfloat.c since QEMU 4.0: `can_use_fpu`, `float64_gen2`,
//! `f64_is_zon2`, `f64_addsubmul_post`, `f64_div_pre`/`_post`,
//! `float64_sqrt`, `float64_muladd`). The host's IEEE 754 binary32/binary64
//! operations are correctly rounded to nearest-even, so where they apply they
//! give SoftFloat's exact result; the conditions below make the exception
//! flags come out identical too, and everything else goes to SoftFloat.
//!
//! Why each condition (IEEE 754-2019 clause 7 and RISC-V 11.2):
//! - Rounding mode RNE only: it is the host's mode (Rust never changes MXCSR),
//!   so other modes would round differently.
//! - NX already set in fflags: the host does not tell us whether the result
//!   was inexact; flags only accrue, so an inexact result adds nothing.
//! - Inputs zero or normal: no NaN (NV, canonical NaN), no infinity (NV for
//!   inf-inf, 0*inf) and, as QEMU, no subnormal input (rare, and what the
//!   host does with them depends on its DAZ setting). For div the divisor must be normal (no DZ, no 0/0),
//!   for sqrt the input must also be non-negative (NV), and -0 goes to
//!   SoftFloat as in QEMU.
//! - Result infinite: finite inputs overflowed, so OF and NX (7.4).
//! - |result| <= the smallest normal: it may be tiny, and UF depends on
//!   tininess after rounding and exactness (7.5), which the host does not
//!   report, so SoftFloat recomputes it. The exceptions, as in QEMU's `post`
//!   checks, are results that are exact zeros by construction: add/sub/mul
//!   of two zeros, div of a zero, and fused ops whose product is a zero.
//! - A larger finite result is normal and not tiny, so it raises at most NX.

use std::ops::{Add, Div, Mul, Sub};

use softfloat as sf;

use super::{flags, FloatBits, Rounding};

/// A RISC-V float format with its host type and its SoftFloat operations.
pub trait HostFloat: FloatBits {
    type H: Copy
        + PartialOrd
        + Add<Output = Self::H>
        + Sub<Output = Self::H>
        + Mul<Output = Self::H>
        + Div<Output = Self::H>;
    /// The smallest positive normal number.
    const MIN_NORMAL: Self::H;
    fn host(self) -> Self::H;
    fn from_host(h: Self::H) -> Self;
    fn host_abs(h: Self::H) -> Self::H;
    fn host_is_inf(h: Self::H) -> bool;
    fn host_sqrt(h: Self::H) -> Self::H;
    /// Fused multiply-add with one rounding. `mul_add` is LLVM's `fma`
    /// intrinsic: without `-C target-feature=+fma` it calls the `fma` of
    /// Rust's compiler-builtins (musl's algorithm, correctly rounded; it uses
    /// the FMA instruction when the CPU has one), so it is IEEE 754 5.4.1's
    /// fusedMultiplyAdd everywhere; `diff_tests` checks it against SoftFloat.
    fn host_fma(a: Self::H, b: Self::H, c: Self::H) -> Self::H;
    fn soft_add(a: Self, b: Self, rm: Rounding) -> (Self, u8);
    fn soft_sub(a: Self, b: Self, rm: Rounding) -> (Self, u8);
    fn soft_mul(a: Self, b: Self, rm: Rounding) -> (Self, u8);
    fn soft_div(a: Self, b: Self, rm: Rounding) -> (Self, u8);
    fn soft_sqrt(a: Self, rm: Rounding) -> (Self, u8);
    fn soft_fma(a: Self, b: Self, c: Self, rm: Rounding) -> (Self, u8);
}

macro_rules! host_float {
    ($bits:ty, $h:ty, $add:path, $sub:path, $mul:path, $div:path, $sqrt:path, $fma:path) => {
        impl HostFloat for $bits {
            type H = $h;
            const MIN_NORMAL: $h = <$h>::MIN_POSITIVE;
            #[inline(always)]
            fn host(self) -> $h {
                <$h>::from_bits(self)
            }
            #[inline(always)]
            fn from_host(h: $h) -> $bits {
                h.to_bits()
            }
            #[inline(always)]
            fn host_abs(h: $h) -> $h {
                h.abs()
            }
            #[inline(always)]
            fn host_is_inf(h: $h) -> bool {
                h.is_infinite()
            }
            #[inline(always)]
            fn host_sqrt(h: $h) -> $h {
                h.sqrt()
            }
            #[inline(always)]
            fn host_fma(a: $h, b: $h, c: $h) -> $h {
                a.mul_add(b, c)
            }
            #[inline(always)]
            fn soft_add(a: $bits, b: $bits, rm: Rounding) -> ($bits, u8) {
                $add(a, b, rm)
            }
            #[inline(always)]
            fn soft_sub(a: $bits, b: $bits, rm: Rounding) -> ($bits, u8) {
                $sub(a, b, rm)
            }
            #[inline(always)]
            fn soft_mul(a: $bits, b: $bits, rm: Rounding) -> ($bits, u8) {
                $mul(a, b, rm)
            }
            #[inline(always)]
            fn soft_div(a: $bits, b: $bits, rm: Rounding) -> ($bits, u8) {
                $div(a, b, rm)
            }
            #[inline(always)]
            fn soft_sqrt(a: $bits, rm: Rounding) -> ($bits, u8) {
                $sqrt(a, rm)
            }
            #[inline(always)]
            fn soft_fma(a: $bits, b: $bits, c: $bits, rm: Rounding) -> ($bits, u8) {
                $fma(a, b, c, rm)
            }
        }
    };
}

host_float!(u32, f32, sf::f32_add, sf::f32_sub, sf::f32_mul, sf::f32_div, sf::f32_sqrt, sf::f32_mul_add);
host_float!(u64, f64, sf::f64_add, sf::f64_sub, sf::f64_mul, sf::f64_div, sf::f64_sqrt, sf::f64_mul_add);

/// Hosts whose f32/f64 operations are IEEE 754 binary32/binary64 ones (SSE2,
/// AArch64 FP); 32-bit x87 code may round twice, so it keeps SoftFloat.
const HOST_IEEE: bool = cfg!(any(target_arch = "x86_64", target_arch = "aarch64"));

/// QEMU's `can_use_fpu`: RNE and NX already accrued in `fflags`.
#[inline(always)]
fn can_use_host(rm: Rounding, fflags: u8) -> bool {
    HOST_IEEE && rm == Rounding::NearEven && fflags & flags::NX != 0
}

#[inline(always)]
fn is_zero<T: FloatBits>(v: T) -> bool {
    v.exp_zero() && v.frac_zero()
}

#[inline(always)]
fn is_normal<T: FloatBits>(v: T) -> bool {
    !v.exp_zero() && !v.exp_all_ones()
}

/// QEMU's `float*_is_zero_or_normal`.
#[inline(always)]
fn is_zon<T: FloatBits>(v: T) -> bool {
    is_normal(v) || is_zero(v)
}

/// QEMU's pre and post checks of a two-operand operation: `pre` admits the
/// inputs, `post` says whether a result of magnitude at most the smallest
/// normal must be recomputed by SoftFloat.
struct Checks<T> {
    pre: fn(T, T) -> bool,
    post: fn(T, T) -> bool,
}

/// QEMU's `float*_gen2`.
#[inline(always)]
fn gen2<T: HostFloat>(
    a: T,
    b: T,
    rm: Rounding,
    fflags: u8,
    hard: impl Fn(T::H, T::H) -> T::H,
    soft: fn(T, T, Rounding) -> (T, u8),
    checks: Checks<T>,
) -> (T, u8) {
    if can_use_host(rm, fflags) && (checks.pre)(a, b) {
        let r = hard(a.host(), b.host());
        if T::host_is_inf(r) {
            return (T::from_host(r), flags::OF | flags::NX);
        }
        // (Written so that a NaN, which cannot occur here, would go to SoftFloat.)
        if T::host_abs(r) > T::MIN_NORMAL || !(checks.post)(a, b) {
            return (T::from_host(r), 0);
        }
    }
    soft(a, b, rm)
}

/// `f*_is_zon2`.
fn zon2<T: FloatBits>(a: T, b: T) -> bool {
    is_zon(a) && is_zon(b)
}

/// `f*_addsubmul_post`: only two zero inputs give a certainly exact zero.
fn addsubmul_post<T: FloatBits>(a: T, b: T) -> bool {
    !(is_zero(a) && is_zero(b))
}

/// `f*_div_pre`: dividend zero or normal, divisor normal.
fn div_pre<T: FloatBits>(a: T, b: T) -> bool {
    is_zon(a) && is_normal(b)
}

/// `f*_div_post`: a zero dividend gives an exact zero.
fn div_post<T: FloatBits>(a: T, _b: T) -> bool {
    !is_zero(a)
}

/// a + b, rounded by `rm`; returns the result and the flags to accrue on
/// top of `fflags` (the flags in effect before the operation).
#[inline]
pub fn add<T: HostFloat>(a: T, b: T, rm: Rounding, fflags: u8) -> (T, u8) {
    gen2(a, b, rm, fflags, |x, y| x + y, T::soft_add, Checks { pre: zon2, post: addsubmul_post })
}

#[inline]
pub fn sub<T: HostFloat>(a: T, b: T, rm: Rounding, fflags: u8) -> (T, u8) {
    gen2(a, b, rm, fflags, |x, y| x - y, T::soft_sub, Checks { pre: zon2, post: addsubmul_post })
}

#[inline]
pub fn mul<T: HostFloat>(a: T, b: T, rm: Rounding, fflags: u8) -> (T, u8) {
    gen2(a, b, rm, fflags, |x, y| x * y, T::soft_mul, Checks { pre: zon2, post: addsubmul_post })
}

#[inline]
pub fn div<T: HostFloat>(a: T, b: T, rm: Rounding, fflags: u8) -> (T, u8) {
    gen2(a, b, rm, fflags, |x, y| x / y, T::soft_div, Checks { pre: div_pre, post: div_post })
}

/// `float*_sqrt`: the square root of a positive normal is normal and never
/// overflows, so no post check; -0 (sign set) goes to SoftFloat.
#[inline]
pub fn sqrt<T: HostFloat>(a: T, rm: Rounding, fflags: u8) -> (T, u8) {
    if can_use_host(rm, fflags) && is_zon(a) && !a.negative() {
        return (T::from_host(T::host_sqrt(a.host())), 0);
    }
    T::soft_sqrt(a, rm)
}

/// `float*_muladd`: a * b + c with one rounding (the callers negate the
/// operands for fmsub/fnmadd/fnmsub first, as SoftFloat sees them too).
/// A zero product makes the sum exact (c, or a zero whose sign IEEE 754 6.3
/// fixes the same way for host and SoftFloat), so it needs no post check.
/// QEMU compares a binary64 result with FLT_MIN there, more than needed:
/// any result above the format's smallest normal is not tiny.
#[inline]
pub fn mul_add<T: HostFloat>(a: T, b: T, c: T, rm: Rounding, fflags: u8) -> (T, u8) {
    if can_use_host(rm, fflags) && is_zon(a) && is_zon(b) && is_zon(c) {
        let r = T::host_fma(a.host(), b.host(), c.host());
        if is_zero(a) || is_zero(b) {
            return (T::from_host(r), 0);
        }
        if T::host_is_inf(r) {
            return (T::from_host(r), flags::OF | flags::NX);
        }
        if T::host_abs(r) > T::MIN_NORMAL {
            return (T::from_host(r), 0);
        }
    }
    T::soft_fma(a, b, c, rm)
}
