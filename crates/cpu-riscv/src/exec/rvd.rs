//! D: double-precision floating point (Unprivileged spec ch. 12).
//!
//! As in `rvf.rs`: FS and rounding-mode checks come first so traps are precise.

use crate::cpu::Cpu;
use crate::fpu::{self, exact, hardfloat, Rounding};
use crate::insn::Insn;
use crate::trap::Exception;

/// An operation given the fflags in effect (see `fpu::hardfloat`).
type Bin = fn(u64, u64, Rounding, u8) -> (u64, u8);

fn arith(cpu: &mut Cpu, i: &Insn, f: Bin) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let rm = fpu::rounding(cpu, i)?;
    let (r, fl) = f(fpu::read_d(cpu, i.rs1), fpu::read_d(cpu, i.rs2), rm, fpu::fflags(cpu));
    fpu::accrue(cpu, fl);
    fpu::write_d(cpu, i.rd, r);
    Ok(())
}

/// The fused multiply-adds with one rounding (see `rvf::fused`).
fn fused(cpu: &mut Cpu, i: &Insn, neg_product: bool, neg_addend: bool) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let rm = fpu::rounding(cpu, i)?;
    let sign = |neg: bool| if neg { 1u64 << 63 } else { 0 };
    let a = fpu::read_d(cpu, i.rs1) ^ sign(neg_product);
    let c = fpu::read_d(cpu, i.rs3) ^ sign(neg_addend);
    let (r, fl) = hardfloat::mul_add(a, fpu::read_d(cpu, i.rs2), c, rm, fpu::fflags(cpu));
    fpu::accrue(cpu, fl);
    fpu::write_d(cpu, i.rd, r);
    Ok(())
}

pub(crate) fn fld(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let addr = cpu.hart.get_x(i.rs1).wrapping_add(i.imm as i64 as u64);
    let v = cpu.load(addr, 8)?;
    fpu::write_d(cpu, i.rd, v);
    Ok(())
}

pub(crate) fn fsd(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let addr = cpu.hart.get_x(i.rs1).wrapping_add(i.imm as i64 as u64);
    cpu.store(addr, 8, cpu.hart.f[i.rs2 as usize])
}

pub(crate) fn fmadd_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fused(cpu, i, false, false)
}

pub(crate) fn fmsub_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fused(cpu, i, false, true)
}

pub(crate) fn fnmsub_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fused(cpu, i, true, false)
}

pub(crate) fn fnmadd_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fused(cpu, i, true, true)
}

pub(crate) fn fadd_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    arith(cpu, i, hardfloat::add)
}

pub(crate) fn fsub_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    arith(cpu, i, hardfloat::sub)
}

pub(crate) fn fmul_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    arith(cpu, i, hardfloat::mul)
}

pub(crate) fn fdiv_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    arith(cpu, i, hardfloat::div)
}

pub(crate) fn fsqrt_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let rm = fpu::rounding(cpu, i)?;
    let (r, fl) = hardfloat::sqrt(fpu::read_d(cpu, i.rs1), rm, fpu::fflags(cpu));
    fpu::accrue(cpu, fl);
    fpu::write_d(cpu, i.rd, r);
    Ok(())
}

fn sgnj(cpu: &mut Cpu, i: &Insn, kind: u8) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let r = fpu::sgnj(fpu::read_d(cpu, i.rs1), fpu::read_d(cpu, i.rs2), 1 << 63, kind);
    fpu::write_d(cpu, i.rd, r);
    Ok(())
}

pub(crate) fn fsgnj_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    sgnj(cpu, i, 0)
}

pub(crate) fn fsgnjn_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    sgnj(cpu, i, 1)
}

pub(crate) fn fsgnjx_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    sgnj(cpu, i, 2)
}

fn min_max(cpu: &mut Cpu, i: &Insn, max: bool) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let (r, fl) = fpu::min_max(fpu::read_d(cpu, i.rs1), fpu::read_d(cpu, i.rs2), max);
    fpu::accrue(cpu, fl);
    fpu::write_d(cpu, i.rd, r);
    Ok(())
}

pub(crate) fn fmin_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    min_max(cpu, i, false)
}

pub(crate) fn fmax_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    min_max(cpu, i, true)
}

/// fcvt.s.d rounds (12.5); a NaN becomes the canonical single NaN.
pub(crate) fn fcvt_s_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let rm = fpu::rounding(cpu, i)?;
    let (r, fl) = exact::f64_to_f32(fpu::read_d(cpu, i.rs1), rm);
    fpu::accrue(cpu, fl);
    fpu::write_s(cpu, i.rd, r);
    Ok(())
}

/// fcvt.d.s is exact; the rm field is still checked (a reserved mode is illegal).
pub(crate) fn fcvt_d_s(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    fpu::rounding(cpu, i)?;
    let (r, fl) = exact::f32_to_f64(fpu::read_s(cpu, i.rs1));
    fpu::accrue(cpu, fl);
    fpu::write_d(cpu, i.rd, r);
    Ok(())
}

fn compare(cpu: &mut Cpu, i: &Insn, f: fn(u64, u64) -> (bool, u8)) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let (r, fl) = f(fpu::read_d(cpu, i.rs1), fpu::read_d(cpu, i.rs2));
    fpu::accrue(cpu, fl);
    cpu.hart.set_x(i.rd, u64::from(r));
    Ok(())
}

pub(crate) fn feq_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    compare(cpu, i, exact::eq)
}

pub(crate) fn flt_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    compare(cpu, i, exact::lt)
}

pub(crate) fn fle_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    compare(cpu, i, exact::le)
}

pub(crate) fn fclass_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let c = fpu::classify(fpu::read_d(cpu, i.rs1));
    cpu.hart.set_x(i.rd, c);
    Ok(())
}

fn to_int(cpu: &mut Cpu, i: &Insn, f: fn(u64, Rounding) -> (u64, u8)) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let rm = fpu::rounding(cpu, i)?;
    let (r, fl) = f(fpu::read_d(cpu, i.rs1), rm);
    fpu::accrue(cpu, fl);
    cpu.hart.set_x(i.rd, r);
    Ok(())
}

pub(crate) fn fcvt_w_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    to_int(cpu, i, |a, rm| {
        let (r, fl) = exact::to_i32(f64::from_bits(a), rm);
        (r as i64 as u64, fl)
    })
}

pub(crate) fn fcvt_wu_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    to_int(cpu, i, |a, rm| {
        let (r, fl) = exact::to_u32(f64::from_bits(a), rm);
        (r as i32 as i64 as u64, fl)
    })
}

pub(crate) fn fcvt_l_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    to_int(cpu, i, |a, rm| {
        let (r, fl) = exact::to_i64(f64::from_bits(a), rm);
        (r as u64, fl)
    })
}

pub(crate) fn fcvt_lu_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    to_int(cpu, i, |a, rm| exact::to_u64(f64::from_bits(a), rm))
}

pub(crate) fn fmv_x_d(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let v = cpu.hart.f[i.rs1 as usize];
    cpu.hart.set_x(i.rd, v);
    Ok(())
}

fn from_int(cpu: &mut Cpu, i: &Insn, f: fn(u64, Rounding) -> (u64, u8)) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let rm = fpu::rounding(cpu, i)?;
    let (r, fl) = f(cpu.hart.get_x(i.rs1), rm);
    fpu::accrue(cpu, fl);
    fpu::write_d(cpu, i.rd, r);
    Ok(())
}

pub(crate) fn fcvt_d_w(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    from_int(cpu, i, |x, rm| exact::i32_to_f64(x as i32, rm))
}

pub(crate) fn fcvt_d_wu(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    from_int(cpu, i, |x, rm| exact::u32_to_f64(x as u32, rm))
}

pub(crate) fn fcvt_d_l(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    from_int(cpu, i, |x, rm| exact::i64_to_f64(x as i64, rm))
}

pub(crate) fn fcvt_d_lu(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    from_int(cpu, i, exact::u64_to_f64)
}

pub(crate) fn fmv_d_x(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
    fpu::enabled(cpu, i)?;
    let v = cpu.hart.get_x(i.rs1);
    fpu::write_d(cpu, i.rd, v);
    Ok(())
}
