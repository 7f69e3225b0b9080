//! F: single-precision floating point (Unprivileged spec ch. 11).
//!
//! Every handler first checks mstatus.FS (Privileged spec 3.1.6.6) and the
//! rounding mode, so that a trap leaves all state untouched. Single inputs
//! are unboxed (12.2) and results NaN-boxed by `fpu::read_s`/`fpu::write_s`.

use crate::cpu::Cpu;
use crate::fpu::{self, exact, hardfloat, Rounding};
use crate::insn::Insn;
use crate::trap::Exception;

/// An operation given the fflags in effect (see `fpu::hardfloat`).
type Bin = fn(u32, u32, Rounding, u8) -> (u32, u8);

fn arith(cpu: &mut Cpu, i: &Insn, f: Bin) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let rm = fpu::rounding(cpu, i)?;
    let (r, fl) = f(fpu::read_s(cpu, i.rs1), fpu::read_s(cpu, i.rs2), rm, fpu::fflags(cpu));
    fpu::accrue(cpu, fl);
    fpu::write_s(cpu, i.rd, r);
    Ok(())
}

/// The fused multiply-adds (11.6) with one rounding: negating an operand
/// before the fused operation is exactly the spec's -(a*b) and -c.
fn fused(cpu: &mut Cpu, i: &Insn, neg_product: bool, neg_addend: bool) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let rm = fpu::rounding(cpu, i)?;
    let sign = |neg: bool| if neg { 1u32 << 31 } else { 0 };
    let a = fpu::read_s(cpu, i.rs1) ^ sign(neg_product);
    let c = fpu::read_s(cpu, i.rs3) ^ sign(neg_addend);
    let (r, fl) = hardfloat::mul_add(a, fpu::read_s(cpu, i.rs2), c, rm, fpu::fflags(cpu));
    fpu::accrue(cpu, fl);
    fpu::write_s(cpu, i.rd, r);
    Ok(())
}

pub(crate) fn flw(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let addr = cpu.hart.get_x(i.rs1).wrapping_add(i.imm as i64 as u64);
    let v = cpu.load(addr, 4)?;
    fpu::write_s(cpu, i.rd, v as u32);
    Ok(())
}

/// fsw stores the register's low 32 bits as they are (11.5).
pub(crate) fn fsw(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let addr = cpu.hart.get_x(i.rs1).wrapping_add(i.imm as i64 as u64);
    cpu.store(addr, 4, cpu.hart.f[i.rs2 as usize] & 0xffff_ffff)
}

pub(crate) fn fmadd_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fused(cpu, i, false, false)
}

pub(crate) fn fmsub_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fused(cpu, i, false, true)
}

pub(crate) fn fnmsub_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fused(cpu, i, true, false)
}

pub(crate) fn fnmadd_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fused(cpu, i, true, true)
}

pub(crate) fn fadd_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    arith(cpu, i, hardfloat::add)
}

pub(crate) fn fsub_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    arith(cpu, i, hardfloat::sub)
}

pub(crate) fn fmul_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    arith(cpu, i, hardfloat::mul)
}

pub(crate) fn fdiv_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    arith(cpu, i, hardfloat::div)
}

pub(crate) fn fsqrt_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let rm = fpu::rounding(cpu, i)?;
    let (r, fl) = hardfloat::sqrt(fpu::read_s(cpu, i.rs1), rm, fpu::fflags(cpu));
    fpu::accrue(cpu, fl);
    fpu::write_s(cpu, i.rd, r);
    Ok(())
}

fn sgnj(cpu: &mut Cpu, i: &Insn, kind: u8) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let r = fpu::sgnj(fpu::read_s(cpu, i.rs1), fpu::read_s(cpu, i.rs2), 1 << 31, kind);
    fpu::write_s(cpu, i.rd, r);
    Ok(())
}

pub(crate) fn fsgnj_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    sgnj(cpu, i, 0)
}

pub(crate) fn fsgnjn_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    sgnj(cpu, i, 1)
}

pub(crate) fn fsgnjx_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    sgnj(cpu, i, 2)
}

fn min_max(cpu: &mut Cpu, i: &Insn, max: bool) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let (r, fl) = fpu::min_max(fpu::read_s(cpu, i.rs1), fpu::read_s(cpu, i.rs2), max);
    fpu::accrue(cpu, fl);
    fpu::write_s(cpu, i.rd, r);
    Ok(())
}

pub(crate) fn fmin_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    min_max(cpu, i, false)
}

pub(crate) fn fmax_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    min_max(cpu, i, true)
}

/// Float to integer (11.7); `fpu::exact` saturates as the
/// spec's table requires. 32-bit results are sign-extended, even for `wu`.
fn to_int(cpu: &mut Cpu, i: &Insn, f: fn(u32, Rounding) -> (u64, u8)) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let rm = fpu::rounding(cpu, i)?;
    let (r, fl) = f(fpu::read_s(cpu, i.rs1), rm);
    fpu::accrue(cpu, fl);
    cpu.hart.set_x(i.rd, r);
    Ok(())
}

pub(crate) fn fcvt_w_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    to_int(cpu, i, |a, rm| {
        let (r, fl) = exact::to_i32(f64::from(f32::from_bits(a)), rm);
        (r as i64 as u64, fl)
    })
}

pub(crate) fn fcvt_wu_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    to_int(cpu, i, |a, rm| {
        let (r, fl) = exact::to_u32(f64::from(f32::from_bits(a)), rm);
        (r as i32 as i64 as u64, fl)
    })
}

pub(crate) fn fcvt_l_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    to_int(cpu, i, |a, rm| {
        let (r, fl) = exact::to_i64(f64::from(f32::from_bits(a)), rm);
        (r as u64, fl)
    })
}

pub(crate) fn fcvt_lu_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    to_int(cpu, i, |a, rm| exact::to_u64(f64::from(f32::from_bits(a)), rm))
}

/// fmv.x.w moves the raw low 32 bits, sign-extended (11.7); no unboxing.
pub(crate) fn fmv_x_w(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let v = cpu.hart.f[i.rs1 as usize] as u32 as i32 as i64 as u64;
    cpu.hart.set_x(i.rd, v);
    Ok(())
}

pub(crate) fn fclass_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let c = fpu::classify(fpu::read_s(cpu, i.rs1));
    cpu.hart.set_x(i.rd, c);
    Ok(())
}

fn compare(cpu: &mut Cpu, i: &Insn, f: fn(u32, u32) -> (bool, u8)) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let (r, fl) = f(fpu::read_s(cpu, i.rs1), fpu::read_s(cpu, i.rs2));
    fpu::accrue(cpu, fl);
    cpu.hart.set_x(i.rd, u64::from(r));
    Ok(())
}

/// feq is a quiet comparison, flt/fle signaling ones (11.8).
pub(crate) fn feq_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    compare(cpu, i, exact::eq)
}

pub(crate) fn flt_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    compare(cpu, i, exact::lt)
}

pub(crate) fn fle_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    compare(cpu, i, exact::le)
}

fn from_int(cpu: &mut Cpu, i: &Insn, f: fn(u64, Rounding) -> (u32, u8)) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let rm = fpu::rounding(cpu, i)?;
    let (r, fl) = f(cpu.hart.get_x(i.rs1), rm);
    fpu::accrue(cpu, fl);
    fpu::write_s(cpu, i.rd, r);
    Ok(())
}

pub(crate) fn fcvt_s_w(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    from_int(cpu, i, |x, rm| exact::i32_to_f32(x as i32, rm))
}

pub(crate) fn fcvt_s_wu(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    from_int(cpu, i, |x, rm| exact::u32_to_f32(x as u32, rm))
}

pub(crate) fn fcvt_s_l(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    from_int(cpu, i, |x, rm| exact::i64_to_f32(x as i64, rm))
}

pub(crate) fn fcvt_s_lu(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    from_int(cpu, i, exact::u64_to_f32)
}

/// fmv.w.x moves the low 32 bits of rs1, NaN-boxed (11.7).
pub(crate) fn fmv_w_x(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let v = cpu.hart.get_x(i.rs1) as u32;
    fpu::write_s(cpu, i.rd, v);
    Ok(())
}
