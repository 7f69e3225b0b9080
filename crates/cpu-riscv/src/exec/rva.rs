//! A: LR/SC and AMOs (Unprivileged spec ch. 8). One hart: every access is
//! atomic already; aq/rl need no action. LR/SC hold one reservation, the
//! virtual address in `hart.reservation` (`u64::MAX` = none).

use super::rvi::{sext32, wx, x};
use crate::cpu::Cpu;
use crate::insn::Insn;
use crate::trap::{Cause, Exception};

type R = Result<(), Exception>;

const NO_RESERVATION: u64 = u64::MAX;

/// Misaligned LR raises load-address-misaligned, SC/AMO store/AMO-address-
/// misaligned (8.2, 8.4): these are never emulated.
#[inline(always)]
fn check_aligned(addr: u64, size: u8, cause: Cause) -> R {
    if addr & (u64::from(size) - 1) != 0 {
        return Err(Exception::new(cause, addr));
    }
    Ok(())
}

fn lr(cpu: &mut Cpu, i: &Insn, size: u8) -> Result<u64, Exception> {
    let addr = x(cpu, i.rs1);
    check_aligned(addr, size, Cause::LoadMisaligned)?;
    let v = cpu.load(addr, size)?;
    cpu.hart.reservation = addr;
    Ok(v)
}

/// SC succeeds (rd = 0) only with a reservation on the same address; it
/// clears the reservation either way (8.2). A failing SC does not access
/// memory. A faulting one keeps the reservation (no state changes on a trap).
fn sc(cpu: &mut Cpu, i: &Insn, size: u8) -> R {
    let addr = x(cpu, i.rs1);
    check_aligned(addr, size, Cause::StoreMisaligned)?;
    let ok = cpu.hart.reservation == addr;
    if ok {
        cpu.store(addr, size, x(cpu, i.rs2))?;
    }
    cpu.hart.reservation = NO_RESERVATION;
    wx(cpu, i.rd, u64::from(!ok));
    Ok(())
}

pub(crate) fn lr_w(cpu: &mut Cpu, i: &Insn) -> R {
    let v = lr(cpu, i, 4)?;
    wx(cpu, i.rd, sext32(v));
    Ok(())
}

pub(crate) fn lr_d(cpu: &mut Cpu, i: &Insn) -> R {
    let v = lr(cpu, i, 8)?;
    wx(cpu, i.rd, v);
    Ok(())
}

pub(crate) fn sc_w(cpu: &mut Cpu, i: &Insn) -> R {
    sc(cpu, i, 4)
}

pub(crate) fn sc_d(cpu: &mut Cpu, i: &Insn) -> R {
    sc(cpu, i, 8)
}

/// AMO: rd = old value (sign-extended for W), memory = f(old, rs2).
macro_rules! amo {
    ($($name:ident, $size:literal => |$old:ident, $src:ident| $e:expr;)*) => {$(
        pub(crate) fn $name(cpu: &mut Cpu, i: &Insn) -> R {
            let addr = x(cpu, i.rs1);
            check_aligned(addr, $size, Cause::StoreMisaligned)?;
            let $src = x(cpu, i.rs2);
            let $old = cpu.amo(addr, $size, |$old| $e)?;
            wx(cpu, i.rd, if $size == 4 { sext32($old) } else { $old });
            Ok(())
        }
    )*};
}

// W forms operate on the low 32 bits; the stored value is truncated by the
// access size, so only min/max need an explicit 32-bit view.
amo! {
    amoswap_w, 4 => |old, src| { let _ = old; src };
    amoadd_w, 4 => |old, src| old.wrapping_add(src);
    amoxor_w, 4 => |old, src| old ^ src;
    amoand_w, 4 => |old, src| old & src;
    amoor_w, 4 => |old, src| old | src;
    amomin_w, 4 => |old, src| (old as i32).min(src as i32) as u32 as u64;
    amomax_w, 4 => |old, src| (old as i32).max(src as i32) as u32 as u64;
    amominu_w, 4 => |old, src| (old as u32).min(src as u32) as u64;
    amomaxu_w, 4 => |old, src| (old as u32).max(src as u32) as u64;
    amoswap_d, 8 => |old, src| { let _ = old; src };
    amoadd_d, 8 => |old, src| old.wrapping_add(src);
    amoxor_d, 8 => |old, src| old ^ src;
    amoand_d, 8 => |old, src| old & src;
    amoor_d, 8 => |old, src| old | src;
    amomin_d, 8 => |old, src| (old as i64).min(src as i64) as u64;
    amomax_d, 8 => |old, src| (old as i64).max(src as i64) as u64;
    amominu_d, 8 => |old, src| old.min(src);
    amomaxu_d, 8 => |old, src| old.max(src);
}
