//! Guest integer registers in generated code: the most used ones (the
//! `Pinning`) live in host registers for the whole run of generated code
//! (loaded by the trampoline, stored back when it returns and around every
//! helper call), the others in the `Hart`, addressed from `rbx`.
//!
//! Which guest registers are pinned is chosen per program (`Jit` counts
//! the registers of the code it finds running and re-pins when another set
//! would serve better), so every block, the trampoline and the helper
//! thunk must agree on it: all of them are generated under one
//! `with_pinning` scope, and a new pinning flushes all code. Inside a loop
//! that goes round by itself a block may swap some for registers of its
//! own (`loop_pinning`), as long as it swaps back before anything else
//! runs: its way out, helpers, slow paths.

use std::cell::Cell;

use dynasmrt::{dynasm, DynasmApi};

use super::consts::Rhs;
use super::enc::{self, op, Mem, W};
use super::{Asm, X};

/// The host registers that hold pinned guest registers (dynasm numbering:
/// rsi 6, rdi 7, r8..r15 8..15, less r14, the TLB).
pub(crate) const HOSTS: [u8; 9] = [12, 13, 15, 6, 7, 8, 9, 10, 11];

/// The stack pointer (x2), always pinned.
const SP: u8 = 2;

/// Which guest register each of `HOSTS` holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Pinning([u8; 9]);

impl Pinning {
    /// Chosen by use in compiled C: sp, a0, a5, ra, a1-a4, s0.
    pub const DEFAULT: Pinning = Pinning([2, 10, 15, 1, 11, 12, 13, 14, 8]);

    /// The pinning of these nine guest registers (in `HOSTS` order); `None`
    /// unless they are distinct and none is x0.
    pub fn new(guest: [u8; 9]) -> Option<Pinning> {
        let mut seen = 0u32;
        for g in guest {
            if g == 0 || g > 31 || seen & 1 << g != 0 {
                return None;
            }
            seen |= 1 << g;
        }
        Some(Pinning(guest))
    }

    /// The nine guest registers, in `HOSTS` order.
    pub fn guest(&self) -> [u8; 9] {
        self.0
    }

    /// (guest, host) pairs.
    fn pairs(self) -> impl Iterator<Item = (u8, u8)> {
        self.0.into_iter().zip(HOSTS)
    }

    /// sp and the eight most used others of `uses` (by guest register;
    /// x0's ignored), keeping those of `self` among them in their host
    /// registers, so that a small change of ranking moves little. sp always:
    /// every access to the stack depends on its last update, and in the
    /// `Hart` each call's two updates would chain through memory (CoreMark
    /// runs 4% slower with sp there, though it counts fewer uses than a6).
    pub(crate) fn best_for(self, uses: &[u64; 32]) -> Pinning {
        let mut order: Vec<u8> = (1..32).collect();
        // Stable: ties keep the lower register first.
        order.sort_by_key(|&g| (g != SP, std::cmp::Reverse(uses[usize::from(g)])));
        let top = &order[..9];
        let mut out = self.0;
        let mut newcomers = top.iter().filter(|g| !self.0.contains(g));
        for slot in &mut out {
            if !top.contains(slot) {
                *slot = *newcomers.next().unwrap_or(slot);
            }
        }
        Pinning(out)
    }

    /// Uses (as `best_for` counts them) of the registers it leaves in the `Hart`.
    pub(crate) fn unpinned_uses(self, uses: &[u64; 32]) -> u64 {
        (1..32).filter(|g| !self.0.contains(g)).map(|g| uses[usize::from(g)]).sum()
    }
}

/// The host register of each guest register under the pinning of the code
/// being generated (0: none; rax is never pinned).
const fn table(p: Pinning) -> [u8; 32] {
    let mut t = [0u8; 32];
    let mut i = 0;
    while i < HOSTS.len() {
        t[p.0[i] as usize] = HOSTS[i];
        i += 1;
    }
    t
}

thread_local! {
    /// The pinning code is generated for (`with_pinning`), with its
    /// guest-to-host table (`loc` looks every operand up there).
    static CURRENT: Cell<(Pinning, [u8; 32])> = const { Cell::new((Pinning::DEFAULT, table(Pinning::DEFAULT))) };
}

/// Run `f`, which generates code, with pinning `p`; restores the previous
/// one after (also if `f` panics).
pub(crate) fn with_pinning<T>(p: Pinning, f: impl FnOnce() -> T) -> T {
    let _restore = enter(p);
    f()
}

/// The pinning in effect (`with_pinning`).
pub(crate) fn current() -> Pinning {
    CURRENT.with(|c| c.get().0)
}

/// Generate code with pinning `p` until the result is dropped (then the
/// previous one again): `with_pinning` for code emitted in pieces.
pub(crate) fn enter(p: Pinning) -> impl Drop {
    struct Restore((Pinning, [u8; 32]));
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    Restore(CURRENT.with(|c| c.replace((p, table(p)))))
}

/// A loop's own pinning (`loop_pinning`): (host register, the guest
/// register the run's pinning keeps there, the one the loop keeps there).
pub(crate) type Swaps = Vec<(u8, u8, u8)>;

/// For the loop `insns` under the pinning in effect: the pinning that
/// keeps its most used registers of those it writes (`written`) and the
/// run leaves in the `Hart` in host registers of pinned ones it never
/// names, or names less (a loop counter or sum in the `Hart` chains each
/// round through memory: a store and a load's forwarding, some five
/// cycles; one it only reads costs a load folded into an operation, less
/// than swapping it in and out of short loops: so a written register's
/// uses count twice), and the swaps between the two; `None` if nothing
/// would move. `uses`: each register's count of operands in the loop
/// (`count_int_regs`). A SHA-256 round loop, 23 registers written, runs
/// 27% faster for keeping its busiest in place of pinned ones it uses
/// once or twice.
pub(crate) fn loop_pinning(insns: &[cpu_riscv::Insn], uses: &[u16; 32], written: u32) -> Option<(Pinning, Swaps)> {
    // Every register number any field names (FP ones too: a victim counted
    // named when it is not only goes later).
    let mut named = 1u32;
    for i in insns {
        named |= 1 << (i.rd & 31) | 1 << (i.rs1 & 31) | 1 << (i.rs2 & 31);
    }
    let p = current();
    let mut wanted: Vec<u8> =
        (1..32u8).filter(|g| uses[usize::from(*g)] > 0 && written & 1 << g != 0 && !p.0.contains(g)).collect();
    wanted.sort_by_key(|&g| std::cmp::Reverse(uses[usize::from(g)]));
    let value = |g: u8| {
        let u = u32::from(uses[usize::from(g)]);
        if written & 1 << g != 0 {
            2 * u
        } else {
            u
        }
    };
    // Pinned ones the loop never names first, then those it uses least;
    // one it names moves only for a register worth more in a host one.
    let mut victims: Vec<usize> = (0..HOSTS.len()).collect();
    victims.sort_by_key(|&k| (named & 1 << p.0[k] != 0, value(p.0[k])));
    let mut out = p.0;
    let mut swaps = Swaps::new();
    for (k, g) in victims.into_iter().zip(wanted) {
        let v = out[k];
        if named & 1 << v != 0 && value(v) >= value(g) {
            break;
        }
        swaps.push((HOSTS[k], v, g));
        out[k] = g;
    }
    (!swaps.is_empty()).then_some((Pinning(out), swaps))
}

/// Enter a loop with its own pinning: the run's registers out of the host
/// registers `swaps` names, the loop's in.
pub(crate) fn swap_in(a: &mut Asm, swaps: &Swaps) {
    for &(h, run, own) in swaps {
        enc::rm(a, W::Q, op::MOV_STORE, h, hart(xr(run)));
        enc::rm(a, W::Q, op::MOV_LOAD, h, hart(xr(own)));
    }
}

/// Leave a loop with its own pinning: back to the run's.
pub(crate) fn swap_out(a: &mut Asm, swaps: &Swaps) {
    for &(h, run, own) in swaps {
        enc::rm(a, W::Q, op::MOV_STORE, h, hart(xr(own)));
        enc::rm(a, W::Q, op::MOV_LOAD, h, hart(xr(run)));
    }
}

/// Scratch host registers of generated code (never pinned).
pub(crate) const RAX: u8 = 0;
pub(crate) const RCX: u8 = 1;
pub(crate) const RDX: u8 = 2;
/// The `Hart`'s base (`translate`'s conventions).
pub(crate) const RBX: u8 = 3;
/// The budget (`translate`'s conventions).
pub(crate) const RBP: u8 = 5;
/// The software TLB (`translate`'s conventions).
pub(crate) const R14: u8 = 14;

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

/// The `Hart`'s field at displacement `d` from `rbx` as a memory operand.
pub(crate) const fn hart(d: i32) -> Mem {
    Mem::at(RBX, d)
}

pub(crate) fn loc(g: u8) -> R {
    let g = g & 31;
    match (g, CURRENT.with(|c| c.get().1[usize::from(g)])) {
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
        R::Mem(d) => enc::rm(a, W::Q, op::MOV_LOAD, dst, hart(d)),
    }
}

/// The low 32 bits of `dst` = those of guest register `g` (upper ones cleared).
pub(crate) fn get32(a: &mut Asm, dst: u8, g: u8) {
    match loc(g) {
        R::Zero => dynasm!(a; .arch x64; xor Rd(dst), Rd(dst)),
        R::Host(h) => dynasm!(a; .arch x64; mov Rd(dst), Rd(h)),
        R::Mem(d) => enc::rm(a, W::D, op::MOV_LOAD, dst, hart(d)),
    }
}

/// Guest register `g` = host register `src` (nothing for x0).
pub(crate) fn set(a: &mut Asm, g: u8, src: u8) {
    match loc(g) {
        R::Zero => {}
        R::Host(h) => dynasm!(a; .arch x64; mov Rq(h), Rq(src)),
        R::Mem(d) => enc::rm(a, W::Q, op::MOV_STORE, src, hart(d)),
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
        (R::Mem(d), Some(s)) => {
            enc::ext(a, W::Q, op::MOV_IMM, 0, hart(d).into());
            a.push_i32(s);
        }
        (R::Mem(d), None) => {
            mov_imm(a, RCX, v);
            enc::rm(a, W::Q, op::MOV_STORE, RCX, hart(d));
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
    for (g, h) in current().pairs() {
        enc::rm(a, W::Q, op::MOV_STORE, h, hart(xr(g)));
    }
}

/// Load every pinned register from the `Hart` (after code that may have
/// written it, and on entry).
pub(crate) fn fill_all(a: &mut Asm) {
    for (g, h) in current().pairs() {
        enc::rm(a, W::Q, op::MOV_LOAD, h, hart(xr(g)));
    }
}

/// Set flags as `cmp x[g1], x[g2]` would.
pub(crate) fn cmp(a: &mut Asm, g1: u8, g2: u8) {
    match (loc(g1), loc(g2)) {
        // `test` sets the flags of a compare with 0 (CF = OF = 0).
        (R::Host(h), R::Zero) => dynasm!(a; .arch x64; test Rq(h), Rq(h)),
        (R::Host(h), R::Host(h2)) => dynasm!(a; .arch x64; cmp Rq(h), Rq(h2)),
        (R::Host(h), R::Mem(d)) => enc::rm(a, W::Q, &[enc::CMP.load], h, hart(d)),
        (R::Mem(d), R::Zero) => enc::alu_imm(a, W::Q, enc::CMP, hart(d), 0),
        (R::Mem(d), R::Host(h)) => enc::rm(a, W::Q, &[enc::CMP.store], h, hart(d)),
        (_, g2) => {
            get(a, RAX, g1);
            match g2 {
                R::Host(h) => dynasm!(a; .arch x64; cmp rax, Rq(h)),
                R::Mem(d2) => enc::rm(a, W::Q, &[enc::CMP.load], RAX, hart(d2)),
                R::Zero => dynasm!(a; .arch x64; test rax, rax),
            }
        }
    }
}

/// Set flags as `cmp x[g], rhs` would.
pub(crate) fn cmp_rhs(a: &mut Asm, g: u8, rhs: Rhs) {
    match (rhs, loc(g)) {
        (Rhs::Reg(g2), _) => cmp(a, g, g2),
        (Rhs::Imm(0), R::Host(h)) => dynasm!(a; .arch x64; test Rq(h), Rq(h)),
        (Rhs::Imm(c), R::Host(h)) => enc::alu_imm(a, W::Q, enc::CMP, enc::Rm::Reg(h), c),
        (Rhs::Imm(c), R::Mem(d)) => enc::alu_imm(a, W::Q, enc::CMP, hart(d), c),
        // Not made by `consts::compare` (x0 stays a register); rdx, not rax,
        // which a select's body holds.
        (Rhs::Imm(c), R::Zero) => dynasm!(a; .arch x64; xor edx, edx; cmp rdx, c),
    }
}

#[cfg(test)]
mod tests {
    use super::super::int_uses;
    use super::*;

    #[test]
    fn pinned_registers_are_distinct_and_not_reserved() {
        let mut seen = [false; 16];
        for h in HOSTS {
            // rax, rcx, rdx scratch; rbx hart; rsp; rbp budget; r14 TLB.
            assert!(![0, 1, 2, 3, 4, 5, 14].contains(&h), "host {h} is reserved");
            assert!(!seen[usize::from(h)], "host {h} used twice");
            seen[usize::from(h)] = true;
        }
        for (g, h) in Pinning::DEFAULT.pairs() {
            assert_eq!(loc(g), R::Host(h));
        }
        assert_eq!(loc(0), R::Zero);
        assert_eq!(loc(5), R::Mem(xr(5)));
        // Another pinning, in its scope only.
        let p = Pinning::new([5, 6, 7, 28, 29, 30, 31, 18, 9]).unwrap();
        with_pinning(p, || {
            assert_eq!(loc(5), R::Host(12));
            assert_eq!(loc(9), R::Host(11));
            assert_eq!(loc(2), R::Mem(xr(2)));
            assert_eq!(loc(0), R::Zero);
        });
        assert_eq!(loc(5), R::Mem(xr(5)));
        assert_eq!(loc(2), R::Host(12));
    }

    /// A loop keeps its most used registers of the `Hart` in the host
    /// registers of pinned ones it never names, in their order.
    #[test]
    fn a_loop_pins_its_registers_in_place_of_pinned_ones_it_never_names() {
        use cpu_riscv::decode::decode;
        // addw t3,a5,t3; addi a3,a3,192; bne t6,a3,.. (t3 x28, t6 x31)
        let insns = [decode(0x01c7_8e3b), decode(0x0c06_8693), decode(0xfedf_96e3)];
        let (uses, written) = int_uses(&insns);
        assert_eq!(written, 1 << 28 | 1 << 13);
        let (p, swaps) = loop_pinning(&insns, &uses, written | 1 << 31).expect("t3 and t6 get host registers");
        // sp (r12) and a0 (r13), the first pinned ones not named.
        assert_eq!(swaps, [(12, 2, 28), (13, 10, 31)]);
        with_pinning(p, || {
            assert_eq!(loc(28), R::Host(12));
            assert_eq!(loc(31), R::Host(13));
            assert_eq!(loc(2), R::Mem(xr(2)));
            assert_eq!(loc(15), R::Host(15), "a5 stays");
        });
        // t6 is only read: it stays in the `Hart`.
        let (_, swaps) = loop_pinning(&insns, &uses, written).expect("t3 gets a host register");
        assert_eq!(swaps, [(12, 2, 28)]);
        // Nothing to move: every register it uses is pinned already.
        let insns = [decode(0x00b5_0533)]; // add a0,a0,a1
        let (uses, written) = int_uses(&insns);
        assert!(loop_pinning(&insns, &uses, written).is_none());
    }

    /// Where the loop names every pinned register, its busiest written one
    /// takes the host register of the pinned one it uses least (a written
    /// one's uses counting twice), and only while that gains.
    #[test]
    fn a_loop_naming_every_pinned_register_trades_the_least_used() {
        use cpu_riscv::decode::decode;
        let add = |rd: u32, rs1: u32, rs2: u32| decode(rs2 << 20 | rs1 << 15 | rd << 7 | 0x33);
        let p = Pinning::new([1, 2, 3, 4, 5, 6, 7, 8, 9]).unwrap();
        // x10 += x1 + ... ; x3 read twice, x5 written once; x11 = x10 + x2.
        let mut insns: Vec<_> = (1..10).map(|g| add(10, 10, g)).collect();
        insns.push(add(5, 3, 10));
        insns.push(add(11, 10, 2));
        let (uses, written) = int_uses(&insns);
        with_pinning(p, || {
            let (own, swaps) = loop_pinning(&insns, &uses, written).expect("x10 gets a host register");
            // x10 (20 uses, written: 40) takes the host register of x1
            // (read once: 1, the first of the least used), x11 (written
            // once: 2) x4's (1).
            assert_eq!(swaps, [(12, 1, 10), (6, 4, 11)]);
            with_pinning(own, || {
                assert_eq!(loc(10), R::Host(12));
                assert_eq!(loc(11), R::Host(6));
                assert_eq!(loc(1), R::Mem(xr(1)));
                assert_eq!(loc(5), R::Host(7), "x5 stays");
            });
            // Every pinned register written and used thrice (6): x10,
            // written once (2), gains nothing.
            let insns: Vec<_> = (1..10).map(|g| add(g, g, g)).chain([add(10, 1, 0)]).collect();
            let (uses, written) = int_uses(&insns);
            assert_eq!(written, 0x7fe);
            assert_eq!(loop_pinning(&insns, &uses, written), None);
        });
    }

    #[test]
    fn pinnings_are_nine_distinct_registers() {
        assert!(Pinning::new([1, 2, 3, 4, 5, 6, 7, 8, 9]).is_some());
        assert!(Pinning::new([0, 2, 3, 4, 5, 6, 7, 8, 9]).is_none(), "x0");
        assert!(Pinning::new([1, 2, 3, 4, 5, 6, 7, 8, 1]).is_none(), "twice");
        assert!(Pinning::new([1, 2, 3, 4, 5, 6, 7, 8, 32]).is_none(), "no x32");
    }

    #[test]
    fn the_best_pinning_takes_the_most_used_and_keeps_the_rest_in_place() {
        let mut uses = [0u64; 32];
        // a0-a7 (10-17) and s1 (9) most used; sp (2) and ra (1) hardly.
        for (g, u) in uses.iter_mut().enumerate().take(18).skip(9) {
            *u = 100 + g as u64;
        }
        uses[2] = 5;
        uses[8] = 50;
        let p = Pinning::DEFAULT.best_for(&uses);
        let mut got = p.guest();
        got.sort_unstable();
        // sp, however little used, and the eight most used others.
        assert_eq!(got, [2, 10, 11, 12, 13, 14, 15, 16, 17]);
        // sp and a0-a5 stay where they were.
        for (g, h) in Pinning::DEFAULT.pairs().filter(|(g, _)| (10..16).contains(g) || *g == 2) {
            assert!(p.pairs().any(|x| x == (g, h)), "x{g} moved");
        }
        assert_eq!(p.unpinned_uses(&uses), 109 + 50);
        assert_eq!(Pinning::DEFAULT.unpinned_uses(&uses), 109 + 116 + 117);
        assert_eq!(p.best_for(&uses), p, "stable");
    }
}
