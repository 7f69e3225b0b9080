//! Floating-point helpers shared by the F and D handlers: rounding modes,
//! fflags, NaN-boxing, canonical NaNs (Unprivileged spec ch. 11, 12).
//!
//! The arithmetic's reference is Berkeley SoftFloat 3e with its RISC-V
//! specialisation (crate `softfloat`, our safe wrapper of `softfloat-sys`),
//! which already gives canonical NaN results, tininess after rounding and
//! the RISC-V float-to-integer saturation values. `hardfloat` computes with
//! the host's FPU where that provably gives SoftFloat's bits and flags,
//! `exact` does compares and conversions on the host; both fall back to
//! SoftFloat otherwise. What RISC-V adds on top lives here.

use crate::cpu::Cpu;
use crate::insn::Insn;
use crate::trap::Exception;
pub use softfloat::{flags, Rounding};

pub mod exact;
pub mod hardfloat;

/// The canonical NaNs (Unprivileged spec 11.3): RISC-V never propagates payloads.
pub const CANONICAL_NAN_S: u32 = 0x7fc0_0000;
pub const CANONICAL_NAN_D: u64 = 0x7ff8_0000_0000_0000;

const FCSR_FLAGS: u64 = 0x1f;
const FCSR_FRM_SHIFT: u32 = 5;

/// Illegal instruction if mstatus.FS is Off (Privileged spec 3.1.6.6). The
/// trap reports the instruction bits in xtval, which `fs_check` cannot know.
#[inline]
pub(crate) fn enabled(cpu: &Cpu, i: &Insn) -> Result<(), Exception> {
    cpu.fs_check().map_err(|_| Exception::illegal(i.raw))
}

/// The rounding mode of `i`: its static `rm`, or `frm` for the dynamic mode 7.
/// Reserved modes (5, 6, and 5..=7 in frm) are illegal instructions (11.2).
#[inline]
pub(crate) fn rounding(cpu: &Cpu, i: &Insn) -> Result<Rounding, Exception> {
    let rm = if i.rm == 7 { ((cpu.hart.csr.fcsr >> FCSR_FRM_SHIFT) & 7) as u8 } else { i.rm };
    Rounding::from_rm(rm).ok_or(Exception::illegal(i.raw))
}

/// The accrued exception flags (fcsr.fflags).
#[inline]
pub(crate) fn fflags(cpu: &Cpu) -> u8 {
    (cpu.hart.csr.fcsr & FCSR_FLAGS) as u8
}

/// OR exception flags into fflags; they are only ever accrued (11.2).
#[inline]
pub(crate) fn accrue(cpu: &mut Cpu, fl: u8) {
    if fl != 0 {
        cpu.hart.csr.fcsr |= u64::from(fl) & FCSR_FLAGS;
        cpu.fs_dirty();
    }
}

/// NaN-boxing (12.2): a single in a 64-bit register must have its upper 32
/// bits all ones; anything else reads as the canonical NaN.
#[inline]
pub const fn unbox_s(v: u64) -> u32 {
    if v >> 32 == 0xffff_ffff {
        v as u32
    } else {
        CANONICAL_NAN_S
    }
}

#[inline]
pub const fn box_s(v: u32) -> u64 {
    0xffff_ffff_0000_0000 | v as u64
}

#[inline]
pub(crate) fn read_s(cpu: &Cpu, r: u8) -> u32 {
    unbox_s(cpu.hart.f[r as usize])
}

#[inline]
pub(crate) fn read_d(cpu: &Cpu, r: u8) -> u64 {
    cpu.hart.f[r as usize]
}

/// Write a single result, NaN-boxed, and mark the FP state dirty.
#[inline]
pub(crate) fn write_s(cpu: &mut Cpu, r: u8, v: u32) {
    cpu.hart.f[r as usize] = box_s(v);
    cpu.fs_dirty();
}

#[inline]
pub(crate) fn write_d(cpu: &mut Cpu, r: u8, v: u64) {
    cpu.hart.f[r as usize] = v;
    cpu.fs_dirty();
}

/// An IEEE binary format as raw bits, so min/max/class are written once.
pub trait FloatBits: Copy + PartialEq {
    const SIGN: Self;
    const CANONICAL_NAN: Self;
    fn exp_all_ones(self) -> bool;
    fn exp_zero(self) -> bool;
    fn frac_zero(self) -> bool;
    /// The most significant fraction bit (set = quiet NaN).
    fn quiet_bit(self) -> bool;
    fn negative(self) -> bool;
    /// Numeric order of two non-NaN values (-0 == +0 here).
    fn less(self, other: Self) -> bool;
}

impl FloatBits for u32 {
    const SIGN: u32 = 1 << 31;
    const CANONICAL_NAN: u32 = CANONICAL_NAN_S;
    fn exp_all_ones(self) -> bool {
        self & 0x7f80_0000 == 0x7f80_0000
    }
    fn exp_zero(self) -> bool {
        self & 0x7f80_0000 == 0
    }
    fn frac_zero(self) -> bool {
        self & 0x007f_ffff == 0
    }
    fn quiet_bit(self) -> bool {
        self & 0x0040_0000 != 0
    }
    fn negative(self) -> bool {
        self & Self::SIGN != 0
    }
    fn less(self, other: u32) -> bool {
        f32::from_bits(self) < f32::from_bits(other)
    }
}

impl FloatBits for u64 {
    const SIGN: u64 = 1 << 63;
    const CANONICAL_NAN: u64 = CANONICAL_NAN_D;
    fn exp_all_ones(self) -> bool {
        self & 0x7ff0_0000_0000_0000 == 0x7ff0_0000_0000_0000
    }
    fn exp_zero(self) -> bool {
        self & 0x7ff0_0000_0000_0000 == 0
    }
    fn frac_zero(self) -> bool {
        self & 0x000f_ffff_ffff_ffff == 0
    }
    fn quiet_bit(self) -> bool {
        self & 0x0008_0000_0000_0000 != 0
    }
    fn negative(self) -> bool {
        self & Self::SIGN != 0
    }
    fn less(self, other: u64) -> bool {
        f64::from_bits(self) < f64::from_bits(other)
    }
}

#[inline]
pub fn is_nan<T: FloatBits>(v: T) -> bool {
    v.exp_all_ones() && !v.frac_zero()
}

#[inline]
pub fn is_snan<T: FloatBits>(v: T) -> bool {
    is_nan(v) && !v.quiet_bit()
}

/// fclass (11.9): a one-hot mask of the value's class.
pub fn classify<T: FloatBits>(v: T) -> u64 {
    let neg = v.negative();
    let bit = if v.exp_all_ones() {
        if v.frac_zero() {
            if neg {
                0
            } else {
                7
            }
        } else if v.quiet_bit() {
            9
        } else {
            8
        }
    } else if v.exp_zero() {
        match (v.frac_zero(), neg) {
            (true, true) => 3,
            (true, false) => 4,
            (false, true) => 2,
            (false, false) => 5,
        }
    } else if neg {
        1
    } else {
        6
    };
    1 << bit
}

/// fmin/fmax as IEEE 754-2019 minimumNumber/maximumNumber (spec 2.2, 11.6):
/// a NaN operand yields the other one, two NaNs the canonical NaN, any sNaN
/// raises NV, and -0 is less than +0. Returns (result, flags).
pub fn min_max<T: FloatBits>(a: T, b: T, max: bool) -> (T, u8) {
    let fl = if is_snan(a) || is_snan(b) { flags::NV } else { 0 };
    let r = match (is_nan(a), is_nan(b)) {
        (true, true) => T::CANONICAL_NAN,
        (true, false) => b,
        (false, true) => a,
        (false, false) => {
            let pick_a = if a.less(b) || b.less(a) {
                a.less(b) != max
            } else {
                // Equal values: only the zeros differ, by sign.
                a.negative() != max
            };
            if pick_a {
                a
            } else {
                b
            }
        }
    };
    (r, fl)
}

/// Sign injection on raw bits (11.6): no canonicalisation.
#[inline]
pub fn sgnj<T>(a: T, b: T, sign: T, kind: u8) -> T
where
    T: Copy + std::ops::BitAnd<Output = T> + std::ops::BitOr<Output = T> + std::ops::BitXor<Output = T>,
    T: std::ops::Not<Output = T>,
{
    let s = match kind {
        0 => b & sign,
        1 => !b & sign,
        _ => (a ^ b) & sign,
    };
    (a & !sign) | s
}

// Not under Miri: they reach SoftFloat's C code.
#[cfg(all(test, not(miri)))]
mod tests;

#[cfg(all(test, not(miri)))]
mod diff_tests;
