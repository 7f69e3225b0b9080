//! Handler-level tests of F and D against hand-computed IEEE 754 results and
//! the RISC-V rules (canonical NaN, NaN-boxing, saturation, fflags).

use super::*;
use crate::bus::{Bus, BusError, Clock, IrqLines, Ram};
use crate::hart::Hart;
use crate::ops::{Op, HANDLERS};
use crate::trap::Cause;

const NX: u8 = flags::NX;
const UF: u8 = flags::UF;
const OF: u8 = flags::OF;
const DZ: u8 = flags::DZ;
const NV: u8 = flags::NV;

const RNE: u8 = 0;
const RTZ: u8 = 1;
const RDN: u8 = 2;
const RUP: u8 = 3;
const RMM: u8 = 4;
const DYN: u8 = 7;

const RAM: u64 = 0x8000_0000;

struct NoDevices;

impl Bus for NoDevices {
    fn read(&mut self, _addr: u64, _size: u8) -> Result<u64, BusError> {
        Err(BusError::Unmapped)
    }
    fn write(&mut self, _addr: u64, _size: u8, _val: u64) -> Result<(), BusError> {
        Err(BusError::Unmapped)
    }
    fn overlaps(&self, _addr: u64, _len: u64) -> bool {
        false
    }
}

/// A hart with FS = Initial, so FP instructions are enabled.
fn cpu() -> Cpu {
    let mut c = Cpu::new(Hart::new(0, RAM), Ram::new(RAM, 0x1000), Box::new(NoDevices), IrqLines::new(), Clock::new());
    c.hart.csr.mstatus |= 1 << 13;
    c
}

/// The instruction `op rd, rs1, rs2, rs3, rm` with its real encoding in `raw`.
fn insn(op: Op, rd: u8, rs1: u8, rs2: u8, rs3: u8, rm: u8) -> Insn {
    let info = op.info().expect("a real op");
    let fields =
        u32::from(rd) << 7 | u32::from(rm) << 12 | u32::from(rs1) << 15 | u32::from(rs2) << 20 | u32::from(rs3) << 27;
    Insn { op, rd, rs1, rs2, rs3, rm, aqrl: 0, len: 4, imm: 0, raw: info.bits | (fields & !info.mask) }
}

fn exec(c: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    HANDLERS[i.op as usize](c, i)
}

/// Run `op` with f1..f3 = `f`, x1 = `x1`, destination register 4 (f4 or x4).
fn run(op: Op, f: [u64; 3], x1: u64, rm: u8) -> Cpu {
    let mut c = cpu();
    c.hart.f[1..4].copy_from_slice(&f);
    c.hart.x[1] = x1;
    exec(&mut c, &insn(op, 4, 1, 2, 3, rm)).unwrap_or_else(|e| panic!("{op:?} trapped: {e:?}"));
    c
}

fn fflags(c: &Cpu) -> u8 {
    (c.hart.csr.fcsr & 0x1f) as u8
}

/// The single in f4, which must be NaN-boxed.
fn f4_s(c: &Cpu) -> u32 {
    let v = c.hart.f[4];
    assert_eq!(v >> 32, 0xffff_ffff, "single result {v:#x} not NaN-boxed");
    v as u32
}

fn s1(op: Op, a: u32, rm: u8) -> (u32, u8) {
    let c = run(op, [box_s(a), box_s(0), box_s(0)], 0, rm);
    (f4_s(&c), fflags(&c))
}

fn s2(op: Op, a: u32, b: u32, rm: u8) -> (u32, u8) {
    let c = run(op, [box_s(a), box_s(b), box_s(0)], 0, rm);
    (f4_s(&c), fflags(&c))
}

fn s3(op: Op, a: u32, b: u32, d: u32, rm: u8) -> (u32, u8) {
    let c = run(op, [box_s(a), box_s(b), box_s(d)], 0, rm);
    (f4_s(&c), fflags(&c))
}

fn d1(op: Op, a: u64, rm: u8) -> (u64, u8) {
    let c = run(op, [a, 0, 0], 0, rm);
    (c.hart.f[4], fflags(&c))
}

fn d2(op: Op, a: u64, b: u64, rm: u8) -> (u64, u8) {
    let c = run(op, [a, b, 0], 0, rm);
    (c.hart.f[4], fflags(&c))
}

fn d3(op: Op, a: u64, b: u64, d: u64, rm: u8) -> (u64, u8) {
    let c = run(op, [a, b, d], 0, rm);
    (c.hart.f[4], fflags(&c))
}

/// An op with an integer result in x4, from raw f1 / f2.
fn to_x(op: Op, f1: u64, f2: u64, rm: u8) -> (u64, u8) {
    let c = run(op, [f1, f2, 0], 0, rm);
    (c.hart.x[4], fflags(&c))
}

fn s(v: f32) -> u32 {
    v.to_bits()
}

fn d(v: f64) -> u64 {
    v.to_bits()
}

const S_QNAN: u32 = 0x7fc0_0000;
const S_SNAN: u32 = 0x7f80_0001;
const S_MAX: u32 = 0x7f7f_ffff;
const S_INF: u32 = 0x7f80_0000;
const D_SNAN: u64 = 0x7ff0_0000_0000_0001;
const D_MAX: u64 = 0x7fef_ffff_ffff_ffff;
const D_INF: u64 = 0x7ff0_0000_0000_0000;

#[test]
fn one_third_in_every_mode() {
    // 1/3 = 0x3eaaaaaa.aa..(hex fraction): the nearest is below except that .aa.. > half rounds up.
    let expect = [(RNE, 0x3eaa_aaab), (RTZ, 0x3eaa_aaaa), (RDN, 0x3eaa_aaaa), (RUP, 0x3eaa_aaab), (RMM, 0x3eaa_aaab)];
    for (rm, r) in expect {
        assert_eq!(s2(Op::FdivS, s(1.0), s(3.0), rm), (r, NX), "rm {rm}");
    }
    // -1/3: the directed modes swap.
    let expect = [(RNE, 0xbeaa_aaab), (RTZ, 0xbeaa_aaaa), (RDN, 0xbeaa_aaab), (RUP, 0xbeaa_aaaa), (RMM, 0xbeaa_aaab)];
    for (rm, r) in expect {
        assert_eq!(s2(Op::FdivS, s(-1.0), s(3.0), rm), (r, NX), "rm {rm}");
    }
    // Double: 1/3 = 0x3fd5555555555555 (RNE, below the exact value), +1 ulp for RUP.
    let one = d(1.0);
    let three = d(3.0);
    let expect = [
        (RNE, 0x3fd5_5555_5555_5555),
        (RTZ, 0x3fd5_5555_5555_5555),
        (RDN, 0x3fd5_5555_5555_5555),
        (RUP, 0x3fd5_5555_5555_5556),
    ];
    for (rm, r) in expect {
        assert_eq!(d2(Op::FdivD, one, three, rm), (r, NX), "rm {rm}");
    }
}

#[test]
fn ties_in_every_mode() {
    // 1 + 2^-24 is exactly half an ulp above 1.0 (even): RNE keeps 1.0, RMM goes away from zero.
    let half_ulp = s(2f32.powi(-24));
    let expect = [(RNE, 0x3f80_0000), (RTZ, 0x3f80_0000), (RDN, 0x3f80_0000), (RUP, 0x3f80_0001), (RMM, 0x3f80_0001)];
    for (rm, r) in expect {
        assert_eq!(s2(Op::FaddS, s(1.0), half_ulp, rm), (r, NX), "rm {rm}");
    }
    // Tie above an odd significand: RNE rounds up to even.
    assert_eq!(s2(Op::FaddS, 0x3f80_0001, half_ulp, RNE), (0x3f80_0002, NX));
    assert_eq!(s2(Op::FaddS, 0x3f80_0001, half_ulp, RTZ), (0x3f80_0001, NX));
    // Negative tie.
    let neg_half = half_ulp | 1 << 31;
    let expect = [(RNE, 0xbf80_0000), (RTZ, 0xbf80_0000), (RDN, 0xbf80_0001), (RUP, 0xbf80_0000), (RMM, 0xbf80_0001)];
    for (rm, r) in expect {
        assert_eq!(s2(Op::FaddS, s(-1.0), neg_half, rm), (r, NX), "rm {rm}");
    }
    // Double tie: 1 + 2^-53.
    let dh = d(2f64.powi(-53));
    assert_eq!(d2(Op::FaddD, d(1.0), dh, RNE), (d(1.0), NX));
    assert_eq!(d2(Op::FaddD, d(1.0), dh, RMM), (d(1.0) + 1, NX));
    assert_eq!(d2(Op::FaddD, d(1.0) + 1, dh, RNE), (d(1.0) + 2, NX));
    // Exact results raise nothing.
    assert_eq!(s2(Op::FaddS, s(1.5), s(2.25), RNE), (s(3.75), 0));
    assert_eq!(d2(Op::FmulD, d(1.5), d(-2.0), RUP), (d(-3.0), 0));
}

#[test]
fn overflow_to_inf_or_max_by_mode() {
    // max * 2 overflows: inf when rounding away, the largest finite otherwise (IEEE 754 7.4).
    let pos = [(RNE, S_INF), (RTZ, S_MAX), (RDN, S_MAX), (RUP, S_INF), (RMM, S_INF)];
    for (rm, r) in pos {
        assert_eq!(s2(Op::FmulS, S_MAX, s(2.0), rm), (r, OF | NX), "rm {rm}");
    }
    let neg = [(RNE, S_INF | 1 << 31), (RTZ, S_MAX | 1 << 31), (RDN, S_INF | 1 << 31), (RUP, S_MAX | 1 << 31)];
    for (rm, r) in neg {
        assert_eq!(s2(Op::FmulS, S_MAX, s(-2.0), rm), (r, OF | NX), "rm {rm}");
    }
    let pos = [(RNE, D_INF), (RTZ, D_MAX), (RDN, D_MAX), (RUP, D_INF), (RMM, D_INF)];
    for (rm, r) in pos {
        assert_eq!(d2(Op::FaddD, D_MAX, D_MAX, rm), (r, OF | NX), "rm {rm}");
    }
    // Arithmetic on infinity is exact.
    assert_eq!(s2(Op::FaddS, S_INF, s(1.0), RNE), (S_INF, 0));
}

#[test]
fn underflow_tininess_after_rounding() {
    // 2^-126 * (1 - 2^-25) rounds (unbounded exponent, RNE) to 2^-126: not tiny after
    // rounding, so only NX, though it is below the normal range before rounding.
    let just_below = d(2f64.powi(-126) * (1.0 - 2f64.powi(-25)));
    assert_eq!(d1(Op::FcvtSD, just_below, RNE).1, NX);
    let c = run(Op::FcvtSD, [just_below, 0, 0], 0, RNE);
    assert_eq!((f4_s(&c), fflags(&c)), (0x0080_0000, NX));
    // RUP also reaches 2^-126; RTZ/RDN stay below it: tiny and inexact, UF.
    let c = run(Op::FcvtSD, [just_below, 0, 0], 0, RUP);
    assert_eq!((f4_s(&c), fflags(&c)), (0x0080_0000, NX));
    let c = run(Op::FcvtSD, [just_below, 0, 0], 0, RTZ);
    assert_eq!((f4_s(&c), fflags(&c)), (0x007f_ffff, UF | NX));
    // An exact subnormal result raises nothing (UF needs inexact).
    assert_eq!(s2(Op::FmulS, 0x0080_0000, s(0.5), RNE), (0x0040_0000, 0));
    // A subnormal result that is inexact: UF | NX.
    assert_eq!(s2(Op::FmulS, 0x0080_0001, s(0.5), RNE), (0x0040_0000, UF | NX));
    // Double: the smallest normal halved with a lost bit.
    assert_eq!(d2(Op::FmulD, 0x0010_0000_0000_0001, d(0.5), RUP), (0x0008_0000_0000_0001, UF | NX));
    // Underflow to zero.
    assert_eq!(s2(Op::FmulS, 1, s(0.25), RNE), (0, UF | NX));
    assert_eq!(s2(Op::FmulS, 1, s(0.25), RUP), (1, UF | NX));
}

#[test]
fn nans_are_canonical_and_signal_correctly() {
    // Payloads and signs never propagate (11.3).
    assert_eq!(s2(Op::FaddS, 0xffc1_2345, s(1.0), RNE), (S_QNAN, 0));
    assert_eq!(s2(Op::FmulS, s(1.0), S_SNAN, RNE), (S_QNAN, NV));
    assert_eq!(s2(Op::FsubS, S_INF, S_INF, RNE), (S_QNAN, NV));
    assert_eq!(s2(Op::FmulS, 0, S_INF, RNE), (S_QNAN, NV));
    assert_eq!(s2(Op::FdivS, 0, 0, RNE), (S_QNAN, NV));
    assert_eq!(s2(Op::FdivS, s(-1.0), 0, RNE), (S_INF | 1 << 31, DZ));
    assert_eq!(s1(Op::FsqrtS, s(-1.0), RNE), (S_QNAN, NV));
    assert_eq!(s1(Op::FsqrtS, 0x8000_0000, RNE), (0x8000_0000, 0));
    assert_eq!(s1(Op::FsqrtS, s(2.0), RNE), (0x3fb5_04f3, NX));
    assert_eq!(s1(Op::FsqrtS, s(2.0), RTZ), (0x3fb5_04f3, NX));
    assert_eq!(s1(Op::FsqrtS, s(2.0), RUP), (0x3fb5_04f4, NX));
    assert_eq!(d2(Op::FaddD, 0xfff8_0000_0000_1234, d(1.0), RNE), (CANONICAL_NAN_D, 0));
    assert_eq!(d2(Op::FaddD, D_SNAN, d(1.0), RNE), (CANONICAL_NAN_D, NV));
    assert_eq!(d1(Op::FsqrtD, d(-4.0), RNE), (CANONICAL_NAN_D, NV));
    assert_eq!(d1(Op::FsqrtD, d(2.0), RNE), (d(std::f64::consts::SQRT_2), NX));
    assert_eq!(d1(Op::FsqrtD, d(9.0), RDN), (d(3.0), 0));
    // Conversions between formats.
    assert_eq!(d1(Op::FcvtSD, D_SNAN, RNE).1, NV);
    let c = run(Op::FcvtSD, [0x7ff8_0000_dead_beef, 0, 0], 0, RNE);
    assert_eq!((f4_s(&c), fflags(&c)), (S_QNAN, 0));
    assert_eq!(d1(Op::FcvtDS, box_s(S_SNAN), RNE), (CANONICAL_NAN_D, NV));
    assert_eq!(d1(Op::FcvtDS, box_s(0xffc0_0001), RNE), (CANONICAL_NAN_D, 0));
}

#[test]
fn fused_multiply_add_rounds_once() {
    // a = 1 + 2^-12: a*a = 1 + 2^-11 + 2^-24 would round to 1 + 2^-11; fused keeps 2^-24.
    let a = s(1.0 + 2f32.powi(-12));
    let c = s(1.0 + 2f32.powi(-11));
    let tiny = s(2f32.powi(-24));
    assert_eq!(s3(Op::FmaddS, a, a, c | 1 << 31, RNE), (tiny, 0));
    assert_eq!(s3(Op::FmsubS, a, a, c, RNE), (tiny, 0));
    assert_eq!(s3(Op::FnmsubS, a, a, c, RNE), (tiny | 1 << 31, 0));
    assert_eq!(s3(Op::FnmaddS, a, a, c | 1 << 31, RNE), (tiny | 1 << 31, 0));
    // Rounded result: 1*1 + 2^-24 ties to even under RNE, away under RMM.
    assert_eq!(s3(Op::FmaddS, s(1.0), s(1.0), tiny, RNE), (s(1.0), NX));
    assert_eq!(s3(Op::FmaddS, s(1.0), s(1.0), tiny, RMM), (0x3f80_0001, NX));
    // fnmadd computes -(a*b) - c and rounds that: RDN rounds the negative sum down.
    assert_eq!(s3(Op::FnmaddS, s(1.0), s(1.0), tiny, RDN), (0xbf80_0001, NX));
    assert_eq!(s3(Op::FnmaddS, s(1.0), s(1.0), tiny, RUP), (0xbf80_0000, NX));
    // Exact zero sums: +0 in every mode but RDN (IEEE 754 6.3).
    assert_eq!(s3(Op::FmaddS, s(1.0), s(1.0), s(-1.0), RNE), (0, 0));
    assert_eq!(s3(Op::FmaddS, s(1.0), s(1.0), s(-1.0), RDN), (0x8000_0000, 0));
    // inf * 0 is invalid even when the addend is a quiet NaN (11.6).
    assert_eq!(s3(Op::FmaddS, S_INF, 0, S_QNAN, RNE), (S_QNAN, NV));
    assert_eq!(d3(Op::FmaddD, 0, D_INF, CANONICAL_NAN_D, RNE), (CANONICAL_NAN_D, NV));
    // Double: (1 + 2^-27)^2 - (1 + 2^-26) = 2^-54 exactly.
    let a = d(1.0 + 2f64.powi(-27));
    let c = d(1.0 + 2f64.powi(-26));
    assert_eq!(d3(Op::FmsubD, a, a, c, RNE), (d(2f64.powi(-54)), 0));
    assert_eq!(d3(Op::FnmaddD, a, a, c | 1 << 63, RNE), (d(-(2f64.powi(-54))), 0));
    assert_eq!(d3(Op::FnmsubD, a, a, c, RNE), (d(-(2f64.powi(-54))), 0));
    assert_eq!(d3(Op::FmaddD, d(2.0), d(3.0), d(4.0), RNE), (d(10.0), 0));
}

#[test]
fn single_inputs_must_be_nan_boxed() {
    // 1.0 without its upper ones reads as the canonical (quiet) NaN, everywhere.
    let bad = 0x3f80_0000u64;
    let bad_upper = 0xffff_fffe_3f80_0000u64;
    for b in [bad, bad_upper] {
        let one = box_s(s(1.0));
        for op in [Op::FaddS, Op::FsubS, Op::FmulS, Op::FdivS] {
            let c = run(op, [b, one, one], 0, RNE);
            assert_eq!((f4_s(&c), fflags(&c)), (S_QNAN, 0), "{op:?} rs1");
            let c = run(op, [one, b, one], 0, RNE);
            assert_eq!((f4_s(&c), fflags(&c)), (S_QNAN, 0), "{op:?} rs2");
        }
        for op in [Op::FmaddS, Op::FmsubS, Op::FnmsubS, Op::FnmaddS] {
            for pos in 0..3 {
                let mut f = [one; 3];
                f[pos] = b;
                let c = run(op, f, 0, RNE);
                assert_eq!((f4_s(&c), fflags(&c)), (S_QNAN, 0), "{op:?} operand {pos}");
            }
        }
        let c = run(Op::FsqrtS, [b, one, one], 0, RNE);
        assert_eq!(f4_s(&c), S_QNAN);
        // Sign injection takes the canonical NaN's bits, then the sign.
        let c = run(Op::FsgnjS, [b, box_s(s(-2.0)), 0], 0, 0);
        assert_eq!(f4_s(&c), 0xffc0_0000);
        let c = run(Op::FsgnjS, [box_s(s(2.0)), b, 0], 0, 0);
        assert_eq!(f4_s(&c), s(2.0));
        let c = run(Op::FsgnjnS, [box_s(s(2.0)), b, 0], 0, 0);
        assert_eq!(f4_s(&c), s(-2.0));
        let c = run(Op::FsgnjxS, [b, box_s(s(-2.0)), 0], 0, 0);
        assert_eq!(f4_s(&c), 0xffc0_0000);
        // min/max: a (quiet) NaN yields the other operand.
        let c = run(Op::FminS, [b, box_s(s(2.0)), 0], 0, 0);
        assert_eq!((f4_s(&c), fflags(&c)), (s(2.0), 0));
        let c = run(Op::FmaxS, [box_s(s(-2.0)), b, 0], 0, 0);
        assert_eq!((f4_s(&c), fflags(&c)), (s(-2.0), 0));
        // Compares: quiet NaN.
        assert_eq!(to_x(Op::FeqS, b, b, 0), (0, 0));
        assert_eq!(to_x(Op::FltS, b, one, 0), (0, NV));
        assert_eq!(to_x(Op::FleS, one, b, 0), (0, NV));
        assert_eq!(to_x(Op::FclassS, b, 0, 0), (1 << 9, 0));
        // Conversions: NaN.
        assert_eq!(to_x(Op::FcvtWS, b, 0, RNE), (0x7fff_ffff, NV));
        assert_eq!(to_x(Op::FcvtLuS, b, 0, RNE), (u64::MAX, NV));
        assert_eq!(d1(Op::FcvtDS, b, RNE), (CANONICAL_NAN_D, 0));
        // fmv.x.w and fsw move raw bits: no unboxing.
        assert_eq!(to_x(Op::FmvXW, b, 0, 0), (0x3f80_0000, 0));
    }
    // A double register read as single: the upper half is not all ones.
    assert_eq!(to_x(Op::FclassS, d(1.0), 0, 0), (1 << 9, 0));
}

#[test]
fn single_results_are_nan_boxed() {
    // Every S-result writer boxes (f4_s asserts it); D results are not boxed.
    let c = run(Op::FmvWX, [0; 3], 0x1234_5678_9abc_def0, 0);
    assert_eq!(c.hart.f[4], 0xffff_ffff_9abc_def0);
    let c = run(Op::FcvtSW, [0; 3], 7, RNE);
    assert_eq!(c.hart.f[4], box_s(s(7.0)));
    let c = run(Op::FcvtSD, [d(0.5), 0, 0], 0, RNE);
    assert_eq!(c.hart.f[4], box_s(s(0.5)));
    let c = run(Op::FminS, [box_s(s(1.0)), box_s(s(0.5)), 0], 0, 0);
    assert_eq!(c.hart.f[4], box_s(s(0.5)));
    let c = run(Op::FsgnjnS, [box_s(s(1.0)), box_s(s(1.0)), 0], 0, 0);
    assert_eq!(c.hart.f[4], box_s(s(-1.0)));
}

#[test]
fn fmin_fmax_corner_cases() {
    let neg0 = 0x8000_0000u32;
    for (a, b) in [(neg0, 0), (0, neg0)] {
        assert_eq!(s2(Op::FminS, a, b, 0), (neg0, 0));
        assert_eq!(s2(Op::FmaxS, a, b, 0), (0, 0));
    }
    assert_eq!(s2(Op::FminS, s(1.0), s(-3.0), 0), (s(-3.0), 0));
    assert_eq!(s2(Op::FmaxS, s(1.0), s(-3.0), 0), (s(1.0), 0));
    assert_eq!(s2(Op::FminS, S_INF | 1 << 31, s(-3.0), 0), (S_INF | 1 << 31, 0));
    // One NaN: the other operand; a signaling one raises NV.
    assert_eq!(s2(Op::FminS, S_QNAN, s(1.0), 0), (s(1.0), 0));
    assert_eq!(s2(Op::FmaxS, s(1.0), 0xffc0_0007, 0), (s(1.0), 0));
    assert_eq!(s2(Op::FminS, S_SNAN, s(1.0), 0), (s(1.0), NV));
    assert_eq!(s2(Op::FmaxS, s(-1.0), S_SNAN, 0), (s(-1.0), NV));
    // Two NaNs: canonical.
    assert_eq!(s2(Op::FmaxS, 0x7fc0_1234, 0xffc0_0001, 0), (S_QNAN, 0));
    assert_eq!(s2(Op::FminS, S_SNAN, 0x7fc0_1234, 0), (S_QNAN, NV));
    let dneg0 = 1u64 << 63;
    assert_eq!(d2(Op::FminD, 0, dneg0, 0), (dneg0, 0));
    assert_eq!(d2(Op::FmaxD, dneg0, 0, 0), (0, 0));
    assert_eq!(d2(Op::FminD, D_SNAN, d(2.0), 0), (d(2.0), NV));
    assert_eq!(d2(Op::FmaxD, 0x7ff8_0000_0000_0001, d(2.0), 0), (d(2.0), 0));
    assert_eq!(d2(Op::FmaxD, D_SNAN, D_SNAN, 0), (CANONICAL_NAN_D, NV));
    assert_eq!(d2(Op::FmaxD, d(1e300), d(-1e300), 0), (d(1e300), 0));
    // Subnormals order correctly.
    assert_eq!(d2(Op::FminD, 2, 1, 0), (1, 0));
}

#[test]
fn compares_quiet_and_signaling() {
    let one = box_s(s(1.0));
    let qnan = box_s(S_QNAN);
    let snan = box_s(S_SNAN);
    assert_eq!(to_x(Op::FeqS, one, one, 0), (1, 0));
    assert_eq!(to_x(Op::FeqS, qnan, one, 0), (0, 0));
    assert_eq!(to_x(Op::FeqS, snan, one, 0), (0, NV));
    assert_eq!(to_x(Op::FltS, qnan, one, 0), (0, NV));
    assert_eq!(to_x(Op::FleS, one, qnan, 0), (0, NV));
    assert_eq!(to_x(Op::FltS, box_s(s(-1.0)), one, 0), (1, 0));
    assert_eq!(to_x(Op::FleS, one, one, 0), (1, 0));
    assert_eq!(to_x(Op::FltS, one, one, 0), (0, 0));
    // -0 == +0.
    assert_eq!(to_x(Op::FeqS, box_s(0x8000_0000), box_s(0), 0), (1, 0));
    assert_eq!(to_x(Op::FltS, box_s(0x8000_0000), box_s(0), 0), (0, 0));
    assert_eq!(to_x(Op::FleD, 1 << 63, 0, 0), (1, 0));
    assert_eq!(to_x(Op::FeqD, CANONICAL_NAN_D, d(1.0), 0), (0, 0));
    assert_eq!(to_x(Op::FeqD, D_SNAN, d(1.0), 0), (0, NV));
    assert_eq!(to_x(Op::FltD, CANONICAL_NAN_D, d(1.0), 0), (0, NV));
    assert_eq!(to_x(Op::FltD, d(-2.0), d(1.0), 0), (1, 0));
    // rd = x0 is not written.
    let mut c = cpu();
    c.hart.f[1] = d(1.0);
    exec(&mut c, &insn(Op::FeqD, 0, 1, 1, 0, 0)).expect("feq.d");
    assert_eq!(c.hart.x[0], 0);
}

#[test]
fn fclass_all_ten_classes() {
    let singles = [
        (0xff80_0000, 0),
        (s(-1.5), 1),
        (0x8000_0001, 2),
        (0x8000_0000, 3),
        (0, 4),
        (0x0000_0001, 5),
        (s(1.5), 6),
        (S_INF, 7),
        (S_SNAN, 8),
        (S_QNAN, 9),
    ];
    for (v, bit) in singles {
        assert_eq!(to_x(Op::FclassS, box_s(v), 0, 0), (1 << bit, 0), "{v:#x}");
    }
    let doubles = [
        (0xfff0_0000_0000_0000, 0),
        (d(-1e10), 1),
        (0x800f_ffff_ffff_ffff, 2),
        (1 << 63, 3),
        (0, 4),
        (0x000f_ffff_ffff_ffff, 5),
        (d(1e-300), 6),
        (D_INF, 7),
        (0x7ff7_ffff_ffff_ffff, 8),
        (0xfff8_0000_0000_0000, 9),
    ];
    for (v, bit) in doubles {
        assert_eq!(to_x(Op::FclassD, v, 0, 0), (1 << bit, 0), "{v:#x}");
    }
}

/// The float-to-integer table (11.7, "Domains of float-to-integer conversions"):
/// NaN and +out-of-range give the largest value, -out-of-range the smallest, NV set.
#[test]
fn fcvt_to_int_saturation() {
    const IMIN32: u64 = i32::MIN as i64 as u64;
    const IMAX32: u64 = i32::MAX as u64;
    const ALL: u64 = u64::MAX;
    // (input, w, wu, l, lu) with flags; 32-bit results are sign-extended.
    type Row = (f64, (u64, u8), (u64, u8), (u64, u8), (u64, u8));
    let rows: [Row; 10] = [
        (f64::NAN, (IMAX32, NV), (ALL, NV), (i64::MAX as u64, NV), (ALL, NV)),
        (f64::INFINITY, (IMAX32, NV), (ALL, NV), (i64::MAX as u64, NV), (ALL, NV)),
        (f64::NEG_INFINITY, (IMIN32, NV), (0, NV), (i64::MIN as u64, NV), (0, NV)),
        (-0.0, (0, 0), (0, 0), (0, 0), (0, 0)),
        (-1.0, (ALL, 0), (0, NV), (ALL, 0), (0, NV)),
        (3e9, (IMAX32, NV), (3_000_000_000u32 as i32 as i64 as u64, 0), (3_000_000_000, 0), (3_000_000_000, 0)),
        (-3e9, (IMIN32, NV), (0, NV), (-3_000_000_000i64 as u64, 0), (0, NV)),
        (2f64.powi(31), (IMAX32, NV), (0xffff_ffff_8000_0000, 0), (1 << 31, 0), (1 << 31, 0)),
        (-(2f64.powi(31)), (IMIN32, 0), (0, NV), (IMIN32, 0), (0, NV)),
        (1e20, (IMAX32, NV), (ALL, NV), (i64::MAX as u64, NV), (ALL, NV)),
    ];
    for (v, w, wu, l, lu) in rows {
        let dv = d(v);
        assert_eq!(to_x(Op::FcvtWD, dv, 0, RTZ), w, "fcvt.w.d {v}");
        assert_eq!(to_x(Op::FcvtWuD, dv, 0, RTZ), wu, "fcvt.wu.d {v}");
        assert_eq!(to_x(Op::FcvtLD, dv, 0, RTZ), l, "fcvt.l.d {v}");
        assert_eq!(to_x(Op::FcvtLuD, dv, 0, RTZ), lu, "fcvt.lu.d {v}");
        let sv = box_s(s(v as f32));
        if v.is_nan() || (v as f32) as f64 == v {
            assert_eq!(to_x(Op::FcvtWS, sv, 0, RTZ), w, "fcvt.w.s {v}");
            assert_eq!(to_x(Op::FcvtWuS, sv, 0, RTZ), wu, "fcvt.wu.s {v}");
            assert_eq!(to_x(Op::FcvtLS, sv, 0, RTZ), l, "fcvt.l.s {v}");
            assert_eq!(to_x(Op::FcvtLuS, sv, 0, RTZ), lu, "fcvt.lu.s {v}");
        }
    }
    // The 64-bit limits in single.
    assert_eq!(to_x(Op::FcvtLS, box_s(s(2f32.powi(63))), 0, RNE), (i64::MAX as u64, NV));
    assert_eq!(to_x(Op::FcvtLS, box_s(s(-(2f32.powi(63)))), 0, RNE), (i64::MIN as u64, 0));
    assert_eq!(to_x(Op::FcvtLuS, box_s(s(2f32.powi(64))), 0, RNE), (ALL, NV));
    assert_eq!(to_x(Op::FcvtLuD, d(2f64.powi(64) - 2048.0), 0, RNE), (u64::MAX - 2047, 0));
    // Negative fractions that round to zero are not invalid for unsigned: 0, NX.
    assert_eq!(to_x(Op::FcvtWuS, box_s(s(-0.5)), 0, RTZ), (0, NX));
    assert_eq!(to_x(Op::FcvtLuD, d(-0.5), 0, RNE), (0, NX));
    // ... but rounding to -1 is.
    assert_eq!(to_x(Op::FcvtWuD, d(-0.5), 0, RDN), (0, NV));
    assert_eq!(to_x(Op::FcvtLuS, box_s(s(-0.75)), 0, RNE), (0, NV));
    // Sign-extended snan / qnan single -> w: NaN saturates to the largest positive, not by sign.
    assert_eq!(to_x(Op::FcvtWS, box_s(0xffc0_0000), 0, RNE), (IMAX32, NV));
    assert_eq!(to_x(Op::FcvtWD, 0xfff0_0000_0000_0001, 0, RNE), (IMAX32, NV));
}

#[test]
fn fcvt_to_int_rounds_in_every_mode() {
    // (value, RNE, RTZ, RDN, RUP, RMM)
    let rows: [(f64, [i64; 5]); 6] = [
        (2.5, [2, 2, 2, 3, 3]),
        (-2.5, [-2, -2, -3, -2, -3]),
        (3.5, [4, 3, 3, 4, 4]),
        (0.3, [0, 0, 0, 1, 0]),
        (-0.7, [-1, 0, -1, 0, -1]),
        (7.0, [7, 7, 7, 7, 7]),
    ];
    for (v, expect) in rows {
        let nx = if v.fract() == 0.0 { 0 } else { NX };
        for (rm, r) in expect.into_iter().enumerate() {
            let rm = rm as u8;
            assert_eq!(to_x(Op::FcvtWS, box_s(s(v as f32)), 0, rm), (r as u64, nx), "w.s {v} rm {rm}");
            assert_eq!(to_x(Op::FcvtLD, d(v), 0, rm), (r as u64, nx), "l.d {v} rm {rm}");
            assert_eq!(to_x(Op::FcvtWD, d(v), 0, rm), (r as u64, nx), "w.d {v} rm {rm}");
        }
    }
}

#[test]
fn int_to_float_conversions() {
    let f_of = |op: Op, x: u64, rm: u8| {
        let c = run(op, [0; 3], x, rm);
        (c.hart.f[4], fflags(&c))
    };
    // 32-bit sources use the low word only.
    assert_eq!(f_of(Op::FcvtSW, u64::MAX, RNE), (box_s(s(-1.0)), 0));
    assert_eq!(f_of(Op::FcvtSW, 0x1_0000_0005, RNE), (box_s(s(5.0)), 0));
    assert_eq!(f_of(Op::FcvtDW, 0xffff_ffff_8000_0000, RNE), (d(-2147483648.0), 0));
    assert_eq!(f_of(Op::FcvtDWu, u64::MAX, RNE), (d(4294967295.0), 0));
    // 2^32 - 1 is not a single: rounds by mode.
    assert_eq!(f_of(Op::FcvtSWu, u64::MAX, RNE), (box_s(0x4f80_0000), NX));
    assert_eq!(f_of(Op::FcvtSWu, u64::MAX, RTZ), (box_s(0x4f7f_ffff), NX));
    // 64-bit sources.
    assert_eq!(f_of(Op::FcvtSL, i64::MIN as u64, RNE), (box_s(0xdf00_0000), 0));
    assert_eq!(f_of(Op::FcvtSLu, u64::MAX, RDN), (box_s(0x5f7f_ffff), NX));
    assert_eq!(f_of(Op::FcvtDLu, u64::MAX, RNE), (d(2f64.powi(64)), NX));
    assert_eq!(f_of(Op::FcvtDLu, u64::MAX, RTZ), (d(2f64.powi(64)) - 1, NX));
    assert_eq!(f_of(Op::FcvtDL, (-3i64) as u64, RNE), (d(-3.0), 0));
    // (2^53 + 1) ties to even; RMM goes away.
    assert_eq!(f_of(Op::FcvtDL, (1 << 53) + 1, RNE), (d(2f64.powi(53)), NX));
    assert_eq!(f_of(Op::FcvtDL, (1 << 53) + 1, RMM), (d(2f64.powi(53) + 2.0), NX));
    // Zero is +0.
    assert_eq!(f_of(Op::FcvtSL, 0, RDN), (box_s(0), 0));
}

#[test]
fn fcvt_between_formats() {
    let third = d(1.0 / 3.0);
    let c = run(Op::FcvtSD, [third, 0, 0], 0, RNE);
    assert_eq!((f4_s(&c), fflags(&c)), (0x3eaa_aaab, NX));
    let c = run(Op::FcvtSD, [third, 0, 0], 0, RTZ);
    assert_eq!((f4_s(&c), fflags(&c)), (0x3eaa_aaaa, NX));
    // Overflow by mode.
    let c = run(Op::FcvtSD, [d(1e300), 0, 0], 0, RNE);
    assert_eq!((f4_s(&c), fflags(&c)), (S_INF, OF | NX));
    let c = run(Op::FcvtSD, [d(1e300), 0, 0], 0, RTZ);
    assert_eq!((f4_s(&c), fflags(&c)), (S_MAX, OF | NX));
    let c = run(Op::FcvtSD, [d(-1e300), 0, 0], 0, RUP);
    assert_eq!((f4_s(&c), fflags(&c)), (S_MAX | 1 << 31, OF | NX));
    // Widening is exact, subnormals included.
    assert_eq!(d1(Op::FcvtDS, box_s(1), RNE), (d(2f64.powi(-149)), 0));
    assert_eq!(d1(Op::FcvtDS, box_s(s(-0.1)), RNE), (d(-0.1f32 as f64), 0));
    assert_eq!(d1(Op::FcvtDS, box_s(S_INF), RNE), (D_INF, 0));
}

#[test]
fn sign_injection_on_raw_bits() {
    // No canonicalisation of NaNs: the payload stays.
    assert_eq!(s2(Op::FsgnjS, S_SNAN, 0x8000_0000, 0), (S_SNAN | 1 << 31, 0));
    assert_eq!(s2(Op::FsgnjnS, s(3.0), s(3.0), 0), (s(-3.0), 0));
    assert_eq!(s2(Op::FsgnjxS, s(-3.0), s(-1.0), 0), (s(3.0), 0));
    assert_eq!(s2(Op::FsgnjxS, s(-3.0), s(1.0), 0), (s(-3.0), 0));
    assert_eq!(d2(Op::FsgnjD, D_SNAN, 1 << 63, 0), (D_SNAN | 1 << 63, 0));
    assert_eq!(d2(Op::FsgnjnD, d(2.0), d(-5.0), 0), (d(2.0), 0));
    assert_eq!(d2(Op::FsgnjxD, d(-2.0), d(-5.0), 0), (d(2.0), 0));
    // fsgnj.d does not look at boxing: a boxed single is just a NaN pattern.
    assert_eq!(d2(Op::FsgnjD, box_s(s(1.0)), 0, 0), (box_s(s(1.0)) & !(1 << 63), 0));
}

#[test]
fn moves_between_register_files() {
    // fmv.x.w sign-extends the raw low word.
    assert_eq!(to_x(Op::FmvXW, box_s(0x8000_0000), 0, 0), (0xffff_ffff_8000_0000, 0));
    assert_eq!(to_x(Op::FmvXW, box_s(S_SNAN), 0, 0), (u64::from(S_SNAN), 0));
    assert_eq!(to_x(Op::FmvXD, D_SNAN, 0, 0), (D_SNAN, 0));
    let c = run(Op::FmvDX, [0; 3], 0x7ff0_0000_0000_0001, 0);
    assert_eq!((c.hart.f[4], fflags(&c)), (D_SNAN, 0));
}

#[test]
fn loads_and_stores() {
    let mut c = cpu();
    c.hart.x[1] = RAM + 0x100;
    c.ram.write(RAM + 0x108, 8, d(-2.5)).expect("ram");
    c.ram.write(RAM + 0x104, 4, u64::from(S_SNAN)).expect("ram");
    let mut i = insn(Op::Fld, 4, 1, 0, 0, 0);
    i.imm = 8;
    exec(&mut c, &i).expect("fld");
    assert_eq!(c.hart.f[4], d(-2.5));
    // flw boxes, whatever the bits (no canonicalisation of the sNaN).
    let mut i = insn(Op::Flw, 5, 1, 0, 0, 0);
    i.imm = 4;
    exec(&mut c, &i).expect("flw");
    assert_eq!(c.hart.f[5], box_s(S_SNAN));
    // fsw stores the low word raw, even of an unboxed value.
    c.hart.f[6] = 0x1234_5678_9abc_def0;
    let mut i = insn(Op::Fsw, 0, 1, 6, 0, 0);
    i.imm = -8;
    exec(&mut c, &i).expect("fsw");
    assert_eq!(c.ram.read(RAM + 0xf8, 8), Some(0x9abc_def0));
    let mut i = insn(Op::Fsd, 0, 1, 4, 0, 0);
    i.imm = 0x20;
    exec(&mut c, &i).expect("fsd");
    assert_eq!(c.ram.read(RAM + 0x120, 8), Some(d(-2.5)));
    // A faulting load changes nothing.
    c.hart.x[1] = 0x10;
    let before = c.hart.clone();
    let e = exec(&mut c, &insn(Op::Fld, 4, 1, 0, 0, 0)).expect_err("unmapped");
    assert_eq!(e.cause, Cause::LoadAccessFault);
    assert_eq!(c.hart, before);
}

#[test]
fn dynamic_rounding_mode_reads_frm() {
    let mut c = cpu();
    c.hart.f[1] = box_s(s(1.0));
    c.hart.f[2] = box_s(s(3.0));
    let div = insn(Op::FdivS, 4, 1, 2, 0, DYN);
    for (frm, r) in [(RNE, 0x3eaa_aaab), (RTZ, 0x3eaa_aaaa), (RDN, 0x3eaa_aaaa), (RUP, 0x3eaa_aaab), (RMM, 0x3eaa_aaab)]
    {
        c.hart.csr.fcsr = u64::from(frm) << 5;
        exec(&mut c, &div).expect("valid frm");
        assert_eq!(c.hart.f[4], box_s(r), "frm {frm}");
    }
}

/// Every instruction that has a rounding mode, with x/f operands set up.
fn rm_ops() -> Vec<Op> {
    crate::ops::OPS
        .iter()
        .filter(|o| matches!(o.format, crate::Format::R4 | crate::Format::FRrm | crate::Format::FR1rm))
        .chain(crate::ops::OPS.iter().filter(|o| matches!(o.format, crate::Format::FtoXrm | crate::Format::XtoFrm)))
        .map(|o| o.op)
        .collect()
}

#[test]
fn invalid_rounding_modes_are_illegal_and_change_nothing() {
    let ops = rm_ops();
    assert_eq!(ops.len(), 2 * (4 + 4 + 1 + 4 + 4) + 2, "every rm-carrying F/D op");
    for op in ops {
        // Dynamic mode with frm = 5, 6, 7; and the static reserved modes 5, 6.
        for (frm, rm) in [(5u64, DYN), (6, DYN), (7, DYN), (0, 5), (0, 6)] {
            let mut c = cpu();
            c.hart.f[1] = box_s(s(1.0));
            c.hart.f[2] = d(3.0);
            c.hart.x[1] = 9;
            c.hart.csr.fcsr = frm << 5 | u64::from(NX);
            let before = c.hart.clone();
            let i = insn(op, 4, 1, 2, 3, rm);
            assert_eq!(exec(&mut c, &i), Err(Exception::illegal(i.raw)), "{op:?} frm {frm} rm {rm}");
            assert_eq!(c.hart, before, "{op:?} changed state on a trap");
        }
    }
}

#[test]
fn fflags_accrue_and_are_never_cleared() {
    let mut c = cpu();
    c.hart.f[1] = box_s(s(1.0));
    c.hart.f[2] = box_s(s(3.0));
    c.hart.f[3] = box_s(0);
    exec(&mut c, &insn(Op::FdivS, 4, 1, 2, 0, RNE)).expect("div");
    assert_eq!(fflags(&c), NX);
    exec(&mut c, &insn(Op::FdivS, 4, 1, 3, 0, RNE)).expect("div by zero");
    assert_eq!(fflags(&c), NX | DZ);
    // An exact operation leaves them alone.
    exec(&mut c, &insn(Op::FaddS, 4, 1, 1, 0, RNE)).expect("add");
    assert_eq!(fflags(&c), NX | DZ);
    exec(&mut c, &insn(Op::FltS, 5, 1, 1, 0, 0)).expect("flt");
    assert_eq!(fflags(&c), NX | DZ);
    // frm is untouched by the flags.
    c.hart.csr.fcsr |= u64::from(RUP) << 5;
    c.hart.f[6] = d(-1.0);
    exec(&mut c, &insn(Op::FsqrtD, 4, 6, 0, 0, DYN)).expect("sqrt");
    assert_eq!(c.hart.csr.fcsr, u64::from(RUP) << 5 | u64::from(NX | DZ | NV));
}

/// mstatus.FS = Off makes every F/D instruction illegal with no effect
/// (Privileged spec 3.1.6.6). Needs priv's `fs_check` (a stub here).
#[test]
fn fs_off_is_illegal() {
    for info in crate::ops::OPS.iter().filter(|o| matches!(o.ext, crate::ops::Ext::F | crate::ops::Ext::D)) {
        let mut c = cpu();
        c.hart.csr.mstatus &= !(3 << 13);
        c.hart.x[1] = RAM;
        let before = c.hart.clone();
        let i = insn(info.op, 4, 1, 2, 3, RNE);
        assert_eq!(exec(&mut c, &i), Err(Exception::illegal(i.raw)), "{:?}", info.op);
        assert_eq!(c.hart, before);
    }
}

/// Writing an f register or fflags marks FS Dirty (and SD). Needs priv's `fs_dirty`.
#[test]
fn fs_becomes_dirty() {
    let c = run(Op::FaddD, [d(1.0), d(2.0), 0], 0, RNE);
    assert_eq!(c.hart.csr.mstatus >> 13 & 3, 3);
    assert_ne!(c.hart.csr.mstatus >> 63, 0);
    // fflags only (a compare that raises NV).
    let c = run(Op::FltD, [CANONICAL_NAN_D, 0, 0], 0, RNE);
    assert_eq!(c.hart.csr.mstatus >> 13 & 3, 3);
    // Nothing FP-visible changes: stays Initial.
    let c = run(Op::FmvXD, [d(1.0), 0, 0], 0, RNE);
    assert_eq!(c.hart.csr.mstatus >> 13 & 3, 1);
}

/// Replays `tests/fp_check/vectors.txt`: random and special operands for every
/// F/D arithmetic, conversion, compare and sign operation in every rounding
/// mode, with results and fflags recorded from QEMU 7.2 (see gen_vectors.py).
#[test]
fn matches_qemu_vectors() {
    let text = include_str!("../../tests/fp_check/vectors.txt");
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let w: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(w.len(), 7, "bad vector line {line:?}");
        let hex = |s: &str| u64::from_str_radix(s, 16).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        let (mnem, rm, a, b, c, want, want_fl) =
            (w[0], hex(w[1]) as u8, hex(w[2]), hex(w[3]), hex(w[4]), hex(w[5]), hex(w[6]));
        let info = crate::ops::OPS.iter().find(|o| o.mnemonic == mnem).unwrap_or_else(|| panic!("no op {mnem}"));
        let x_result = matches!(info.format, crate::Format::FCmp | crate::Format::FtoXrm | crate::Format::FtoX);
        let c_ = run(info.op, [a, b, c], a, rm);
        let got = if x_result { c_.hart.x[4] } else { c_.hart.f[4] };
        assert_eq!((got, u64::from(fflags(&c_))), (want, want_fl), "{line}");
        checked += 1;
    }
    assert!(checked > 2000, "only {checked} vectors");
}

/// The reference of one op: pure SoftFloat on the unboxed operands
/// (a, b, c, the integer x1) and the effective rounding mode, giving the
/// destination's raw value (boxed single, or the integer in x4) and flags.
type Reference = fn(u64, u64, u64, u64, Rounding) -> (u64, u8);

fn references() -> Vec<(Op, Reference)> {
    use softfloat as sf;
    const SS: u64 = 1 << 31;
    const SD: u64 = 1 << 63;
    fn b((r, fl): (u32, u8)) -> (u64, u8) {
        (box_s(r), fl)
    }
    fn sx((r, fl): (bool, u8)) -> (u64, u8) {
        (u64::from(r), fl)
    }
    // The float-to-integer references see the raw register like the handler.
    vec![
        (Op::FaddS, |a, b_, _, _, rm| b(sf::f32_add(a as u32, b_ as u32, rm))),
        (Op::FsubS, |a, b_, _, _, rm| b(sf::f32_sub(a as u32, b_ as u32, rm))),
        (Op::FmulS, |a, b_, _, _, rm| b(sf::f32_mul(a as u32, b_ as u32, rm))),
        (Op::FdivS, |a, b_, _, _, rm| b(sf::f32_div(a as u32, b_ as u32, rm))),
        (Op::FsqrtS, |a, _, _, _, rm| b(sf::f32_sqrt(a as u32, rm))),
        (Op::FmaddS, |a, b_, c, _, rm| b(sf::f32_mul_add(a as u32, b_ as u32, c as u32, rm))),
        (Op::FmsubS, |a, b_, c, _, rm| b(sf::f32_mul_add(a as u32, b_ as u32, (c ^ SS) as u32, rm))),
        (Op::FnmsubS, |a, b_, c, _, rm| b(sf::f32_mul_add((a ^ SS) as u32, b_ as u32, c as u32, rm))),
        (Op::FnmaddS, |a, b_, c, _, rm| b(sf::f32_mul_add((a ^ SS) as u32, b_ as u32, (c ^ SS) as u32, rm))),
        (Op::FaddD, |a, b_, _, _, rm| sf::f64_add(a, b_, rm)),
        (Op::FsubD, |a, b_, _, _, rm| sf::f64_sub(a, b_, rm)),
        (Op::FmulD, |a, b_, _, _, rm| sf::f64_mul(a, b_, rm)),
        (Op::FdivD, |a, b_, _, _, rm| sf::f64_div(a, b_, rm)),
        (Op::FsqrtD, |a, _, _, _, rm| sf::f64_sqrt(a, rm)),
        (Op::FmaddD, |a, b_, c, _, rm| sf::f64_mul_add(a, b_, c, rm)),
        (Op::FmsubD, |a, b_, c, _, rm| sf::f64_mul_add(a, b_, c ^ SD, rm)),
        (Op::FnmsubD, |a, b_, c, _, rm| sf::f64_mul_add(a ^ SD, b_, c, rm)),
        (Op::FnmaddD, |a, b_, c, _, rm| sf::f64_mul_add(a ^ SD, b_, c ^ SD, rm)),
        (Op::FeqS, |a, b_, _, _, _| sx(sf::f32_eq(a as u32, b_ as u32))),
        (Op::FltS, |a, b_, _, _, _| sx(sf::f32_lt(a as u32, b_ as u32))),
        (Op::FleS, |a, b_, _, _, _| sx(sf::f32_le(a as u32, b_ as u32))),
        (Op::FeqD, |a, b_, _, _, _| sx(sf::f64_eq(a, b_))),
        (Op::FltD, |a, b_, _, _, _| sx(sf::f64_lt(a, b_))),
        (Op::FleD, |a, b_, _, _, _| sx(sf::f64_le(a, b_))),
        (Op::FcvtSD, |a, _, _, _, rm| b(sf::f64_to_f32(a, rm))),
        (Op::FcvtDS, |a, _, _, _, rm| sf::f32_to_f64(a as u32, rm)),
        (Op::FcvtWS, |a, _, _, _, rm| (sf::f32_to_i32(a as u32, rm).0 as i64 as u64, sf::f32_to_i32(a as u32, rm).1)),
        (Op::FcvtWuS, |a, _, _, _, rm| (sf::f32_to_u32(a as u32, rm).0 as i32 as u64, sf::f32_to_u32(a as u32, rm).1)),
        (Op::FcvtLS, |a, _, _, _, rm| (sf::f32_to_i64(a as u32, rm).0 as u64, sf::f32_to_i64(a as u32, rm).1)),
        (Op::FcvtLuS, |a, _, _, _, rm| sf::f32_to_u64(a as u32, rm)),
        (Op::FcvtWD, |a, _, _, _, rm| (sf::f64_to_i32(a, rm).0 as i64 as u64, sf::f64_to_i32(a, rm).1)),
        (Op::FcvtWuD, |a, _, _, _, rm| (sf::f64_to_u32(a, rm).0 as i32 as u64, sf::f64_to_u32(a, rm).1)),
        (Op::FcvtLD, |a, _, _, _, rm| (sf::f64_to_i64(a, rm).0 as u64, sf::f64_to_i64(a, rm).1)),
        (Op::FcvtLuD, |a, _, _, _, rm| sf::f64_to_u64(a, rm)),
        (Op::FcvtSW, |_, _, _, x, rm| b(sf::i32_to_f32(x as i32, rm))),
        (Op::FcvtSWu, |_, _, _, x, rm| b(sf::u32_to_f32(x as u32, rm))),
        (Op::FcvtSL, |_, _, _, x, rm| b(sf::i64_to_f32(x as i64, rm))),
        (Op::FcvtSLu, |_, _, _, x, rm| b(sf::u64_to_f32(x, rm))),
        (Op::FcvtDW, |_, _, _, x, rm| sf::i32_to_f64(x as i32, rm)),
        (Op::FcvtDWu, |_, _, _, x, rm| sf::u32_to_f64(x as u32, rm)),
        (Op::FcvtDL, |_, _, _, x, rm| sf::i64_to_f64(x as i64, rm)),
        (Op::FcvtDLu, |_, _, _, x, rm| sf::u64_to_f64(x, rm)),
    ]
}

/// Every rounding F/D handler against pure SoftFloat, with fflags preset
/// (clear, NX, random) so the host fast paths run, static and dynamic
/// rounding modes, NaN-boxed singles: destination and fcsr must match.
#[test]
fn handlers_match_softfloat_with_fflags_preset() {
    use super::diff_tests::{int_operand, iters, Op as DiffOp, Rng, D, S};
    let mut g = Rng(0x0123_4567_89ab_cdef);
    let refs = references();
    let mut host_eligible = 0u64;
    let mut cpu = cpu();
    for _ in 0..iters() / 20 {
        for &(op, reference) in &refs {
            let info = op.info().expect("a real op");
            let single = matches!(info.ext, crate::ops::Ext::F) && op != Op::FcvtSD || op == Op::FcvtDS;
            let fmt = if single { S } else { D };
            let a = fmt.operand(&mut g);
            let aim = [DiffOp::Add, DiffOp::Mul, DiffOp::Div][g.below(3) as usize];
            let b = fmt.partner(&mut g, a, aim);
            let c = fmt.operand(&mut g);
            let x = int_operand(&mut g);
            let ff = g.flags();
            let (rm, frm) =
                if g.below(2) == 0 { (g.below(5) as u8, g.below(5) as u8) } else { (DYN, g.below(5) as u8) };
            let eff = Rounding::from_rm(if rm == DYN { frm } else { rm }).expect("valid mode");
            host_eligible += u64::from(eff == Rounding::NearEven && ff & NX != 0);
            let boxed = |v: u64| if single { box_s(v as u32) } else { v };
            cpu.hart.f[1..4].copy_from_slice(&[boxed(a), boxed(b), boxed(c)]);
            cpu.hart.x[1] = x;
            cpu.hart.csr.fcsr = u64::from(frm) << 5 | u64::from(ff);
            exec(&mut cpu, &insn(op, 4, 1, 2, 3, rm)).unwrap_or_else(|e| panic!("{op:?} trapped: {e:?}"));
            let x_result = matches!(info.format, crate::Format::FCmp | crate::Format::FtoXrm);
            let got = if x_result { cpu.hart.x[4] } else { cpu.hart.f[4] };
            let (want, fl) = reference(a, b, c, x, eff);
            let want_fcsr = u64::from(frm) << 5 | u64::from(ff | fl);
            assert_eq!(
                (got, cpu.hart.csr.fcsr),
                (want, want_fcsr),
                "{op:?} {a:#x} {b:#x} {c:#x} x1 {x:#x} rm {rm} frm {frm} fflags {ff:#x}"
            );
        }
    }
    assert!(host_eligible > 0);
}
