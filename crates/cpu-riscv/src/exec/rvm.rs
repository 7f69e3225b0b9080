//! M: multiply and divide (Unprivileged spec ch. 7). Division by zero and
//! signed overflow do not trap; their results follow table 7.1.

use super::rvi::{set, sext32, wx, x, xr};
use crate::cpu::Cpu;
use crate::insn::Insn;
use crate::trap::Exception;

/// Also makes each one's block-threaded form (`exec/fast.rs`) in `fast`.
macro_rules! mop {
    ($($name:ident => |$a:ident, $b:ident| $e:expr;)*) => {
        $(pub(crate) fn $name(cpu: &mut Cpu, i: &Insn) -> Result<(), Exception> {
            let ($a, $b) = (x(cpu, i.rs1), x(cpu, i.rs2));
            wx(cpu, i.rd, $e);
            Ok(())
        })*
        pub(crate) mod fast {
            use super::*;
            use crate::exec::fast::At;
            $(pub(crate) fn $name(cpu: &mut Cpu, at: At) -> u64 {
                let e = at.entry();
                let ($a, $b) = (xr(cpu, e.rs1), xr(cpu, e.rs2));
                set(cpu, e.rd, $e);
                super::super::fast::next(cpu, at)
            })*
        }
    };
}

/// Signed quotient: x / 0 = -1, MIN / -1 = MIN (overflow).
fn sdiv(a: i64, b: i64) -> i64 {
    if b == 0 {
        -1
    } else {
        a.wrapping_div(b)
    }
}

/// Signed remainder: x % 0 = x, MIN % -1 = 0.
fn srem(a: i64, b: i64) -> i64 {
    if b == 0 {
        a
    } else {
        a.wrapping_rem(b)
    }
}

fn sdiv32(a: i32, b: i32) -> i32 {
    if b == 0 {
        -1
    } else {
        a.wrapping_div(b)
    }
}

fn srem32(a: i32, b: i32) -> i32 {
    if b == 0 {
        a
    } else {
        a.wrapping_rem(b)
    }
}

mop! {
    mul => |a, b| a.wrapping_mul(b);
    mulh => |a, b| ((i128::from(a as i64) * i128::from(b as i64)) >> 64) as u64;
    mulhsu => |a, b| ((i128::from(a as i64) * (i128::from(b))) >> 64) as u64;
    mulhu => |a, b| ((u128::from(a) * u128::from(b)) >> 64) as u64;
    div => |a, b| sdiv(a as i64, b as i64) as u64;
    divu => |a, b| a.checked_div(b).unwrap_or(u64::MAX);
    rem => |a, b| srem(a as i64, b as i64) as u64;
    remu => |a, b| a.checked_rem(b).unwrap_or(a);
    mulw => |a, b| sext32(a.wrapping_mul(b));
    divw => |a, b| sdiv32(a as i32, b as i32) as i64 as u64;
    divuw => |a, b| sext32(u64::from((a as u32).checked_div(b as u32).unwrap_or(u32::MAX)));
    remw => |a, b| srem32(a as i32, b as i32) as i64 as u64;
    remuw => |a, b| sext32(u64::from((a as u32).checked_rem(b as u32).unwrap_or(a as u32)));
}
