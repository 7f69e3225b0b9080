//! Guest integer registers in generated code: the most used ones live in
//! host registers for the whole run of generated code (loaded by the
//! trampoline, stored back when it returns and around every helper call),
//! the others in the `Hart`, addressed from `rbx`.

use dynasmrt::{dynasm, DynasmApi};

use super::{Asm, X};

/// Pinned guest registers and their host registers (dynasm numbering:
/// rsi 6, rdi 7, r8..r15 8..15). Chosen by use in compiled C (sp, ra, a0-a5,
/// s0); r12, r13 and r15 survive helper calls, the others are caller-saved.
pub(crate) const PINNED: [(u8, u8); 9] =
    [(2, 12), (10, 13), (15, 15), (1, 6), (11, 7), (12, 8), (13, 9), (14, 10), (8, 11)];

/// Host register of each guest register, 0 (rax, never pinned) if none.
const HOST: [u8; 32] = {
    let mut t = [0u8; 32];
    let mut i = 0;
    while i < PINNED.len() {
        t[PINNED[i].0 as usize] = PINNED[i].1;
        i += 1;
    }
    t
};

/// Scratch host registers of generated code (never pinned).
pub(crate) const RAX: u8 = 0;
pub(crate) const RCX: u8 = 1;
pub(crate) const RDX: u8 = 2;

/// Where guest register `x` is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum R {
    /// x0: reads as zero, writes are discarded.
    Zero,
    /// A pinned host register.
    Host(u8),
    /// In the `Hart`, at this displacement from `rbx`.
    Mem(i32),
}

/// Displacement of integer register `g` from `rbx`.
pub(crate) fn xr(g: u8) -> i32 {
    X + 8 * i32::from(g & 31)
}

pub(crate) fn loc(g: u8) -> R {
    match (g & 31, HOST[usize::from(g & 31)]) {
        (0, _) => R::Zero,
        (_, 0) => R::Mem(xr(g)),
        (_, h) => R::Host(h),
    }
}

/// Host register `dst` = guest register `g`.
pub(crate) fn get(a: &mut Asm, dst: u8, g: u8) {
    match loc(g) {
        R::Zero => dynasm!(a; .arch x64; xor Rd(dst), Rd(dst)),
        R::Host(h) => dynasm!(a; .arch x64; mov Rq(dst), Rq(h)),
        R::Mem(d) => dynasm!(a; .arch x64; mov Rq(dst), QWORD [rbx + d]),
    }
}

/// The low 32 bits of `dst` = those of guest register `g` (upper ones cleared).
pub(crate) fn get32(a: &mut Asm, dst: u8, g: u8) {
    match loc(g) {
        R::Zero => dynasm!(a; .arch x64; xor Rd(dst), Rd(dst)),
        R::Host(h) => dynasm!(a; .arch x64; mov Rd(dst), Rd(h)),
        R::Mem(d) => dynasm!(a; .arch x64; mov Rd(dst), DWORD [rbx + d]),
    }
}

/// Guest register `g` = host register `src` (nothing for x0).
pub(crate) fn set(a: &mut Asm, g: u8, src: u8) {
    match loc(g) {
        R::Zero => {}
        R::Host(h) => dynasm!(a; .arch x64; mov Rq(h), Rq(src)),
        R::Mem(d) => dynasm!(a; .arch x64; mov QWORD [rbx + d], Rq(src)),
    }
}

/// Guest register `g` = the constant `v` (uses rcx, never rax). Values
/// of 32 bits (return addresses, addresses in RAM at 0x8000_0000) take
/// the zero-extending 32-bit `mov`, others that sign-extend from 32 bits
/// the 64-bit one with an immediate; only the rest ten bytes.
pub(crate) fn set_imm(a: &mut Asm, g: u8, v: u64) {
    let small = i32::try_from(v as i64).ok();
    match (loc(g), small) {
        (R::Zero, _) => {}
        (R::Host(h), _) if v <= u64::from(u32::MAX) => mov_imm(a, h, v),
        (R::Host(h), Some(s)) => dynasm!(a; .arch x64; mov Rq(h), s),
        (R::Host(h), None) => dynasm!(a; .arch x64; mov Rq(h), QWORD v as i64),
        (R::Mem(d), Some(s)) => dynasm!(a; .arch x64; mov QWORD [rbx + d], s),
        (R::Mem(d), None) => {
            mov_imm(a, RCX, v);
            dynasm!(a; .arch x64; mov QWORD [rbx + d], rcx);
        }
    }
}

/// Host register `r` = `v`, in 5 bytes where it fits 32 bits (the 32-bit
/// `mov` zero-extends).
pub(crate) fn mov_imm(a: &mut Asm, r: u8, v: u64) {
    match u32::try_from(v) {
        // `B8+r imm32` by hand: dynasm adds a needless REX byte for a
        // register chosen at run time.
        Ok(v) if r < 8 => {
            a.push(0xb8 + r);
            a.push_u32(v);
        }
        Ok(v) => dynasm!(a; .arch x64; mov Rd(r), v as i32),
        Err(_) => dynasm!(a; .arch x64; mov Rq(r), QWORD v as i64),
    }
}

/// Store every pinned register to the `Hart` (before code that reads the
/// `Hart`: helpers, the return to Rust).
pub(crate) fn spill_all(a: &mut Asm) {
    for (g, h) in PINNED {
        let d = xr(g);
        dynasm!(a; .arch x64; mov QWORD [rbx + d], Rq(h));
    }
}

/// Load every pinned register from the `Hart` (after code that may have
/// written it, and on entry).
pub(crate) fn fill_all(a: &mut Asm) {
    for (g, h) in PINNED {
        let d = xr(g);
        dynasm!(a; .arch x64; mov Rq(h), QWORD [rbx + d]);
    }
}

/// `rax OP= guest register g`, 64-bit, for the two-operand ALU forms.
macro_rules! op_rax {
    ($a:expr, $op:ident, $g:expr) => {
        match $crate::translate::regs::loc($g) {
            $crate::translate::regs::R::Host(h) => dynasm!($a; .arch x64; $op rax, Rq(h)),
            $crate::translate::regs::R::Mem(d) => dynasm!($a; .arch x64; $op rax, QWORD [rbx + d]),
            $crate::translate::regs::R::Zero => dynasm!($a; .arch x64; xor ecx, ecx; $op rax, rcx),
        }
    };
}

/// Set flags as `cmp x[g1], x[g2]` would.
pub(crate) fn cmp(a: &mut Asm, g1: u8, g2: u8) {
    match (loc(g1), loc(g2)) {
        // `test` sets the flags of a compare with 0 (CF = OF = 0).
        (R::Host(h), R::Zero) => dynasm!(a; .arch x64; test Rq(h), Rq(h)),
        (R::Host(h), R::Host(h2)) => dynasm!(a; .arch x64; cmp Rq(h), Rq(h2)),
        (R::Host(h), R::Mem(d)) => dynasm!(a; .arch x64; cmp Rq(h), QWORD [rbx + d]),
        (R::Mem(d), R::Zero) => dynasm!(a; .arch x64; cmp QWORD [rbx + d], 0),
        (R::Mem(d), R::Host(h)) => dynasm!(a; .arch x64; cmp QWORD [rbx + d], Rq(h)),
        (_, _) => {
            get(a, RAX, g1);
            op_rax!(a, cmp, g2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_registers_are_distinct_and_not_reserved() {
        let mut seen = [false; 16];
        for (g, h) in PINNED {
            assert!(g != 0 && g < 32);
            // rax, rcx, rdx scratch; rbx hart; rsp; rbp budget; r14 TLB.
            assert!(![0, 1, 2, 3, 4, 5, 14].contains(&h), "host {h} is reserved");
            assert!(!seen[usize::from(h)], "host {h} used twice");
            seen[usize::from(h)] = true;
            assert_eq!(loc(g), R::Host(h));
        }
        assert_eq!(loc(0), R::Zero);
        assert_eq!(loc(5), R::Mem(xr(5)));
    }
}
