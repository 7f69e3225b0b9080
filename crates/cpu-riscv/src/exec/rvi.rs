//! RV64I base integer instructions and Zifencei (Unprivileged spec ch. 2, 5).

use crate::blocks::Reg;
use crate::cpu::Cpu;
use crate::insn::Insn;
use crate::trap::Exception;

use super::fast::{next, At};

type R = Result<(), Exception>;

#[inline(always)]
pub(super) fn x(cpu: &Cpu, r: u8) -> u64 {
    cpu.hart.x[usize::from(r & 31)]
}

/// Write rd; writes to x0 are discarded.
#[inline(always)]
pub(super) fn wx(cpu: &mut Cpu, r: u8, v: u64) {
    if r != 0 {
        cpu.hart.x[usize::from(r & 31)] = v;
    }
}

/// `x` for a fast handler's register (no mask or bounds check: see `Reg`).
#[inline(always)]
pub(super) fn xr(cpu: &Cpu, r: Reg) -> u64 {
    cpu.hart.x[r as usize]
}

/// `wx` for a fast handler's register.
#[inline(always)]
pub(super) fn wxr(cpu: &mut Cpu, r: Reg, v: u64) {
    if r != Reg::X0 {
        cpu.hart.x[r as usize] = v;
    }
}

/// Write rd, which is not x0 (fast forms of ALU operations, see `exec/fast.rs`).
#[inline(always)]
pub(super) fn set(cpu: &mut Cpu, r: Reg, v: u64) {
    debug_assert!(r != Reg::X0);
    cpu.hart.x[r as usize] = v;
}

#[inline(always)]
pub(super) fn sext32(v: u64) -> u64 {
    v as i32 as i64 as u64
}

#[inline(always)]
fn imm(i: &Insn) -> u64 {
    i.imm as i64 as u64
}

/// `rd = f(rs1, rs2)` for register-register operations.
/// Also makes each one's block-threaded form (`exec/fast.rs`) in `fast_rr`.
macro_rules! alu_rr {
    ($($name:ident => |$a:ident, $b:ident| $e:expr;)*) => {
        $(pub(crate) fn $name(cpu: &mut Cpu, i: &Insn) -> R {
            let ($a, $b) = (x(cpu, i.rs1), x(cpu, i.rs2));
            wx(cpu, i.rd, $e);
            Ok(())
        })*
        pub(crate) mod fast_rr {
            use super::*;
            $(pub(crate) fn $name(cpu: &mut Cpu, at: At) -> u64 {
                let e = at.entry();
                let ($a, $b) = (xr(cpu, e.rs1), xr(cpu, e.rs2));
                set(cpu, e.rd, $e);
                next(cpu, at)
            })*
        }
    };
}

/// `rd = f(rs1, imm)` for register-immediate operations (imm sign-extended).
/// Also makes each one's block-threaded form in `fast_ri`.
macro_rules! alu_ri {
    ($($name:ident => |$a:ident, $b:ident| $e:expr;)*) => {
        $(pub(crate) fn $name(cpu: &mut Cpu, i: &Insn) -> R {
            let ($a, $b) = (x(cpu, i.rs1), imm(i));
            wx(cpu, i.rd, $e);
            Ok(())
        })*
        pub(crate) mod fast_ri {
            use super::*;
            $(pub(crate) fn $name(cpu: &mut Cpu, at: At) -> u64 {
                let e = at.entry();
                let ($a, $b) = (xr(cpu, e.rs1), imm(&e.insn));
                set(cpu, e.rd, $e);
                next(cpu, at)
            })*
        }
    };
}

// Shifts use the low 6 bits (RV64) or 5 bits (W forms) of the amount (2.4, 5.2).
alu_rr! {
    add => |a, b| a.wrapping_add(b);
    sub => |a, b| a.wrapping_sub(b);
    sll => |a, b| a << (b & 63);
    slt => |a, b| u64::from((a as i64) < (b as i64));
    sltu => |a, b| u64::from(a < b);
    xor => |a, b| a ^ b;
    srl => |a, b| a >> (b & 63);
    sra => |a, b| ((a as i64) >> (b & 63)) as u64;
    or => |a, b| a | b;
    and => |a, b| a & b;
    addw => |a, b| sext32(a.wrapping_add(b));
    subw => |a, b| sext32(a.wrapping_sub(b));
    sllw => |a, b| sext32(u64::from((a as u32) << (b & 31)));
    srlw => |a, b| sext32(u64::from((a as u32) >> (b & 31)));
    sraw => |a, b| ((a as i32) >> (b & 31)) as i64 as u64;
}

alu_ri! {
    addi => |a, b| a.wrapping_add(b);
    slti => |a, b| u64::from((a as i64) < (b as i64));
    sltiu => |a, b| u64::from(a < b);
    xori => |a, b| a ^ b;
    ori => |a, b| a | b;
    andi => |a, b| a & b;
    slli => |a, b| a << (b & 63);
    srli => |a, b| a >> (b & 63);
    srai => |a, b| ((a as i64) >> (b & 63)) as u64;
    addiw => |a, b| sext32(a.wrapping_add(b));
    slliw => |a, b| sext32(u64::from((a as u32) << (b & 31)));
    srliw => |a, b| sext32(u64::from((a as u32) >> (b & 31)));
    sraiw => |a, b| ((a as i32) >> (b & 31)) as i64 as u64;
}

pub(crate) fn lui(cpu: &mut Cpu, i: &Insn) -> R {
    wx(cpu, i.rd, imm(i));
    Ok(())
}

pub(crate) fn auipc(cpu: &mut Cpu, i: &Insn) -> R {
    wx(cpu, i.rd, cpu.hart.pc.wrapping_add(imm(i)));
    Ok(())
}

/// Jump to `target`. C is always present (misa is read-only), so IALIGN = 16
/// and every target (even by construction) is aligned (2.2, 2.5).
#[inline(always)]
fn jump(cpu: &mut Cpu, target: u64) -> R {
    cpu.hart.npc = target;
    Ok(())
}

pub(crate) fn jal(cpu: &mut Cpu, i: &Insn) -> R {
    let link = cpu.hart.npc;
    jump(cpu, cpu.hart.pc.wrapping_add(imm(i)))?;
    wx(cpu, i.rd, link);
    Ok(())
}

/// The target is computed before rd is written, as rd may be rs1; bit 0 is cleared (2.5).
pub(crate) fn jalr(cpu: &mut Cpu, i: &Insn) -> R {
    let link = cpu.hart.npc;
    jump(cpu, x(cpu, i.rs1).wrapping_add(imm(i)) & !1)?;
    wx(cpu, i.rd, link);
    Ok(())
}

/// Also makes each one's block-threaded form in `fast_br`: a taken branch
/// leaves the block, a branch not taken is its last entry anyway.
macro_rules! branch {
    ($($name:ident => |$a:ident, $b:ident| $e:expr;)*) => {
        $(pub(crate) fn $name(cpu: &mut Cpu, i: &Insn) -> R {
            let ($a, $b) = (x(cpu, i.rs1), x(cpu, i.rs2));
            if $e {
                jump(cpu, cpu.hart.pc.wrapping_add(imm(i)))?;
            }
            Ok(())
        })*
        pub(crate) mod fast_br {
            use super::*;
            $(pub(crate) fn $name(cpu: &mut Cpu, at: At) -> u64 {
                let e = at.entry();
                let ($a, $b) = (xr(cpu, e.rs1), xr(cpu, e.rs2));
                if $e {
                    return cpu.leave(e, cpu.pc_of(e).wrapping_add(imm(&e.insn)));
                }
                next(cpu, at)
            })*
        }
        /// The same as the last entry of a loop: a branch back to its
        /// block's first instruction (`Block::new`), which goes round again
        /// when it can (`Cpu::again`).
        pub(crate) mod fast_br_loop {
            use super::*;
            $(pub(crate) fn $name(cpu: &mut Cpu, at: At) -> u64 {
                let e = at.entry();
                debug_assert_eq!(i64::from(e.insn.imm), -i64::from(e.off));
                let ($a, $b) = (xr(cpu, e.rs1), xr(cpu, e.rs2));
                if $e {
                    return cpu.again(e);
                }
                next(cpu, at)
            })*
        }
    };
}

branch! {
    beq => |a, b| a == b;
    bne => |a, b| a != b;
    blt => |a, b| (a as i64) < (b as i64);
    bge => |a, b| (a as i64) >= (b as i64);
    bltu => |a, b| a < b;
    bgeu => |a, b| a >= b;
}

/// Also makes each one's block-threaded form in `fast_ld`: the TLB's fast
/// path inline, anything else through the contract handler.
macro_rules! load {
    ($($name:ident => $size:literal, |$v:ident| $e:expr;)*) => {
        $(pub(crate) fn $name(cpu: &mut Cpu, i: &Insn) -> R {
            let $v = cpu.load(x(cpu, i.rs1).wrapping_add(imm(i)), $size)?;
            wx(cpu, i.rd, $e);
            Ok(())
        })*
        pub(crate) mod fast_ld {
            use super::*;
            $(pub(crate) fn $name(cpu: &mut Cpu, at: At) -> u64 {
                let e = at.entry();
                match cpu.load_hit(xr(cpu, e.rs1).wrapping_add(imm(&e.insn)), $size) {
                    Some($v) => {
                        wxr(cpu, e.rd, $e);
                        next(cpu, at)
                    }
                    None => cpu.mem_slow(at),
                }
            })*
        }
    };
}

load! {
    lb => 1, |v| v as i8 as i64 as u64;
    lh => 2, |v| v as i16 as i64 as u64;
    lw => 4, |v| sext32(v);
    ld => 8, |v| v;
    lbu => 1, |v| v;
    lhu => 2, |v| v;
    lwu => 4, |v| v;
}

/// Also makes each one's block-threaded form in `fast_st`, as for loads
/// (the TLB has no write entries for code pages: a hit drops no code).
macro_rules! store {
    ($($name:ident => $size:literal;)*) => {
        $(pub(crate) fn $name(cpu: &mut Cpu, i: &Insn) -> R {
            cpu.store(x(cpu, i.rs1).wrapping_add(imm(i)), $size, x(cpu, i.rs2))
        })*
        pub(crate) mod fast_st {
            use super::*;
            $(pub(crate) fn $name(cpu: &mut Cpu, at: At) -> u64 {
                let e = at.entry();
                let a = xr(cpu, e.rs1).wrapping_add(imm(&e.insn));
                match cpu.store_hit(a, $size, xr(cpu, e.rs2)) {
                    Some(()) => next(cpu, at),
                    None => cpu.mem_slow(at),
                }
            })*
        }
    };
}

store! {
    sb => 1;
    sh => 2;
    sw => 4;
    sd => 8;
}

/// A single hart with no caches between it and memory: ordering is already total.
pub(crate) fn fence(_cpu: &mut Cpu, _i: &Insn) -> R {
    Ok(())
}

/// Make earlier stores visible to instruction fetch (Zifencei). Decoded
/// code is already dropped by every write to it (stores, and writes from
/// outside the hart through `Cpu::ram_write_bytes`), so, as in QEMU, this
/// only ends the block: fetches after it see the code written before.
pub(crate) fn fence_i(cpu: &mut Cpu, _i: &Insn) -> R {
    cpu.end_block();
    Ok(())
}
