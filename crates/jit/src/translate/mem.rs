//! Integer loads and stores: the software TLB's hit path inline (one
//! compare of the entry's tag, one add of its host addend, as TinyEMU's),
//! everything else (miss, MMIO, misaligned, fault) through the
//! instruction's handler on a slow path (`mod.rs`).

use cpu_riscv::engine::{DirectReads, TLB_LAYOUT};
use cpu_riscv::{Insn, Op};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

use super::enc::{self, op, W};
use super::regs::{get, loc, set, R, R14, RAX, RCX, RDX};
use super::Asm;

const TLB_SHIFT: i8 = TLB_LAYOUT.entry_size.trailing_zeros() as i8;
const TLB_MASK: i32 = TLB_LAYOUT.entries as i32 - 1;
const READ_TAG: i32 = (TLB_LAYOUT.read + TLB_LAYOUT.tag) as i32;
const READ_HOST: i32 = (TLB_LAYOUT.read + TLB_LAYOUT.host) as i32;
const WRITE_TAG: i32 = (TLB_LAYOUT.write + TLB_LAYOUT.tag) as i32;
const WRITE_HOST: i32 = (TLB_LAYOUT.write + TLB_LAYOUT.host) as i32;

const _: () = assert!(TLB_LAYOUT.entry_size.is_power_of_two() && TLB_SHIFT <= 12);
const _: () = assert!(DirectReads::MAX_LEN <= i32::MAX as u64);

#[derive(Clone, Copy)]
pub(crate) enum Mem {
    Load { size: u8, signed: bool },
    Store { size: u8 },
}

pub(crate) fn kind(op: Op) -> Option<Mem> {
    let l = |size, signed| Some(Mem::Load { size, signed });
    match op {
        Op::Lb => l(1, true),
        Op::Lh => l(2, true),
        Op::Lw => l(4, true),
        Op::Ld => l(8, false),
        Op::Lbu => l(1, false),
        Op::Lhu => l(2, false),
        Op::Lwu => l(4, false),
        Op::Sb => Some(Mem::Store { size: 1 }),
        Op::Sh => Some(Mem::Store { size: 2 }),
        Op::Sw => Some(Mem::Store { size: 4 }),
        Op::Sd => Some(Mem::Store { size: 8 }),
        _ => None,
    }
}

/// The window check an access under the direct-read window does
/// (`plan`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// Its own bytes, `x[rs1] + imm` on.
    Own,
    /// `len` bytes from `x[rs1] + lo`: its own and those of later accesses
    /// of the block from the same, unchanged base register, which check
    /// nothing. Its slow path must end the block (as `translate::block`'s
    /// do for it), so that they never run unchecked.
    Span { lo: i32, len: u32 },
    /// None: an earlier access's `Span` covered its bytes.
    Covered,
}

/// The window checks of a block's accesses, by instruction index (`Own`
/// for instructions that are not accesses under the window).
pub(crate) fn plan(insns: &[Insn], direct: Option<&DirectReads>) -> Vec<Check> {
    let mut out = vec![Check::Own; insns.len()];
    let Some(w) = direct else { return out };
    // Spans wider than this check their own bytes (well inside the
    // window's length, so that `translate`'s compare immediate holds).
    let widest = 4096.min(w.len as i64);
    // Per base register: the access whose check covers its later accesses.
    let mut open: [Option<usize>; 32] = [None; 32];
    // Per first access: the bytes its check covers (offsets from the base).
    let mut span = vec![(0i64, 0i64); insns.len()];
    for (k, i) in insns.iter().enumerate() {
        if let Some(size) = windowed(i, w) {
            let (lo, hi) = (i64::from(i.imm), i64::from(i.imm) + i64::from(size));
            let b = usize::from(i.rs1 & 31);
            match open[b].map(|f| (f, span[f].0.min(lo), span[f].1.max(hi))) {
                Some((f, l, h)) if h - l <= widest => {
                    span[f] = (l, h);
                    out[f] = Check::Span { lo: l as i32, len: (h - l) as u32 };
                    out[k] = Check::Covered;
                }
                _ => {
                    open[b] = Some(k);
                    span[k] = (lo, hi);
                }
            }
        }
        // Whatever register the instruction writes, later accesses from it
        // check again. Every instruction but a store counts as writing its
        // `rd` (FP loads and arithmetic too: wrong only in checking more).
        if !matches!(i.info().map(|o| o.format), Some(cpu_riscv::Format::Store | cpu_riscv::Format::FStore)) {
            open[usize::from(i.rd & 31)] = None;
        }
    }
    out
}

/// The size of `i`'s access if it is one under window `w`: a load, or a
/// store if the window is guarded.
fn windowed(i: &Insn, w: &DirectReads) -> Option<u8> {
    match kind(i.op) {
        Some(Mem::Load { size, .. }) => Some(size),
        Some(Mem::Store { size }) if w.guarded => Some(size),
        _ => None,
    }
}

/// The size of `i`'s access under window `w` and whether it is a store,
/// FP loads and stores too (`fp::emit`): those a loop's entry may check
/// (`hoist`).
fn hoistable(i: &Insn, w: &DirectReads) -> Option<(u8, bool)> {
    match i.op {
        Op::Fld => Some((8, false)),
        Op::Flw => Some((4, false)),
        Op::Fsd if w.guarded => Some((8, true)),
        Op::Fsw if w.guarded => Some((4, true)),
        _ => windowed(i, w).map(|size| (size, matches!(kind(i.op), Some(Mem::Store { .. })))),
    }
}

/// A base register whose accesses in a loop going round are checked once,
/// at the loop's entry, for every round until it is entered again: the
/// `len` bytes from `x[base] + lo` there hold all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hoisted {
    pub base: u8,
    pub lo: i32,
    pub len: u32,
}

/// The base registers of a loop's accesses under window `direct` that one
/// check at its entry covers (`Hoisted`), given that the loop goes round at
/// most `later` times after its first round before it is entered again
/// (its budget, `translate::block`). Those the loop changes only by `addi
/// b, b, c` (maybe in a select's body, so maybe not), whose values in any
/// round lie within `later` times a round's drift of those in the first.
/// Not a base whose loads read, a round later, bytes its stores wrote
/// (`row[j + 1] = f(row[j])`): that loop measured 4.5% slower without
/// its checks (edit distance at -Os, over eight code layouts), for a
/// reason not pinned down (the loads then issue earlier, ahead of the
/// stores they wait on).
pub(crate) fn hoist(insns: &[Insn], direct: Option<&DirectReads>, later: i64) -> Vec<Hoisted> {
    let Some(w) = direct else { return Vec::new() };
    let mut out = Vec::new();
    for b in 1..32u8 {
        // Drift from the round's start, down and up; the accesses' bytes
        // as offsets from the base at the round's start.
        let (mut down, mut up) = (0i64, 0i64);
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        let mut moved_otherwise = false;
        // Loads' and stores' bytes from the round's start, every addi done.
        let (mut loads, mut stores) = (Vec::new(), Vec::new());
        for i in insns {
            if let Some((size, store)) = hoistable(i, w).filter(|_| i.rs1 == b) {
                lo = lo.min(down + i64::from(i.imm));
                hi = hi.max(up + i64::from(i.imm) + i64::from(size));
                let at = down + up + i64::from(i.imm);
                let bytes = (at, at + i64::from(size));
                if store {
                    stores.push(bytes);
                } else {
                    loads.push(bytes);
                }
            }
            if super::int_operands(i).0 && i.rd == b {
                match (i.op, i.rs1 == b) {
                    (Op::Addi, true) if i.imm < 0 => down += i64::from(i.imm),
                    (Op::Addi, true) => up += i64::from(i.imm),
                    _ => moved_otherwise = true,
                }
            }
        }
        let drift = down + up;
        let carried = stores.iter().any(|s| loads.iter().any(|l| s.0 < l.1 + drift && l.0 + drift < s.1));
        if moved_otherwise || lo > hi || carried {
            continue;
        }
        let (lo, hi) = (lo + later * down, hi + later * up);
        match (i32::try_from(lo), u32::try_from(hi - lo)) {
            (Ok(lo), Ok(len)) if u64::from(len) <= w.len => out.push(Hoisted { base: b, lo, len }),
            _ => {}
        }
    }
    out
}

/// `checks` with the accesses from `hoisted` bases covered: the checks of
/// a loop's body once its entry checked those (`entry_check`).
pub(crate) fn uncheck(
    insns: &[Insn],
    direct: Option<&DirectReads>,
    checks: &[Check],
    hoisted: &[Hoisted],
) -> Vec<Check> {
    let Some(w) = direct else { return checks.to_vec() };
    let from = |b: u8| hoisted.iter().any(|h| h.base == b);
    insns
        .iter()
        .zip(checks)
        .map(|(i, &c)| if hoistable(i, w).is_some() && from(i.rs1) { Check::Covered } else { c })
        .collect()
}

/// At a loop's entry: jump to `slow` unless the bytes of `h` lie in
/// window `w`. Uses rax, rcx and rdx.
pub(crate) fn entry_check(a: &mut Asm, w: &DirectReads, h: &Hoisted, slow: DynamicLabel) {
    let base = base_reg(a, h.base);
    window_check(a, w, base, h.lo, u64::from(h.len), slow, None);
}

/// The host register holding guest register `g` (loaded into rax if it
/// has none).
fn base_reg(a: &mut Asm, g: u8) -> u8 {
    match loc(g) {
        R::Host(h) => h,
        _ => {
            get(a, RAX, g);
            RAX
        }
    }
}

/// Jump to `slow` unless the `len` bytes from `x[base] + lo` (host register
/// `base`) all lie in window `w` (`len <= w.len`): rdx = that address - the
/// window's start, unsigned, at most `w.len - len`. A two-byte jump to
/// `island` if it reaches. Uses rcx and rdx.
fn window_check(a: &mut Asm, w: &DirectReads, base: u8, lo: i32, len: u64, slow: DynamicLabel, island: Option<usize>) {
    match (i32::try_from(i64::from(lo).wrapping_sub(w.lo as i64)), i32::try_from(w.lo.wrapping_neg() as i64)) {
        (Ok(d), _) => enc::rm(a, W::Q, op::LEA, RDX, enc::Mem::at(base, d)),
        // A negative offset below RAM at 0x8000_0000: `add` takes
        // -0x8000_0000 as a sign-extended immediate.
        (Err(_), Ok(neg)) => {
            enc::rm(a, W::Q, op::LEA, RDX, enc::Mem::at(base, lo));
            dynasm!(a; .arch x64; add rdx, neg);
        }
        (Err(_), Err(_)) => {
            enc::rm(a, W::Q, op::LEA, RDX, enc::Mem::at(base, lo));
            dynasm!(a; .arch x64
                ; mov rcx, QWORD w.lo.wrapping_neg() as i64
                ; add rdx, rcx
            );
        }
    }
    // len <= w.len <= MAX_LEN, an i32.
    let last = (w.len - len) as i32;
    enc::alu_imm(a, W::Q, enc::CMP, enc::Rm::Reg(RDX), last);
    if !island.is_some_and(|at| super::jcc_short_back(a, super::JA, at)) {
        dynasm!(a; .arch x64; ja =>slow);
    }
}

/// A host address `[base + index + disp]` (dynasm register numbers; no
/// index for `[base + disp]`).
#[derive(Clone, Copy)]
pub(crate) struct Addr {
    pub base: u8,
    pub index: Option<u8>,
    pub disp: i32,
    /// A store here is a guarded one (`DirectReads::guarded`): it faults
    /// on a page holding code, and the fault must lead to the slow path
    /// (`guarded_site`).
    pub guarded: bool,
}

/// The host address of `i`'s `size`-byte access at `x[rs1] + imm`: through
/// the direct-read window `direct` for loads when there is one
/// (`cpu_riscv::engine::DirectReads`: `[x[rs1] + addend + imm]`, the
/// virtual address checked to lie in the window), else through the read
/// (or write) TLB as `Cpu::load` / `Cpu::store` on a hit (`[vaddr +
/// entry's host addend]`): entry `(vaddr >> 12) % entries` hits when its
/// tag equals `vaddr & (!0xfff | (size - 1))`, so misaligned accesses
/// always miss. A store under a window checks the write TLB likewise but
/// writes at the window's address (the same bytes), or, if the window is
/// guarded, is checked as a load is and faults on code. Under the window
/// the check is as `check` says (`plan`). Anything else jumps to `slow`.
/// Uses rax, rcx and rdx.
pub(crate) fn translate(
    a: &mut Asm,
    i: &Insn,
    size: u8,
    write: bool,
    direct: Option<&DirectReads>,
    slow: Slow,
    check: Check,
) -> Addr {
    let Slow { label: slow, island } = slow;
    let (rs1, imm) = (i.rs1, i.imm);
    if let Some(w) = direct.filter(|w| !write || w.guarded) {
        // The load's dependency chain is x[rs1], then the load; the
        // window check is off it.
        let base = base_reg(a, rs1);
        match check {
            Check::Own => window_check(a, w, base, imm, u64::from(size), slow, island),
            Check::Span { lo, len } => window_check(a, w, base, lo, u64::from(len), slow, island),
            Check::Covered => {}
        }
        // RAM in the host's low 2 GiB (`Ram::new`): the addend is a
        // displacement, and the load reads `[x[rs1] + addend + imm]`.
        if let Ok(disp) = i32::try_from((w.addend as i64).wrapping_add(i64::from(imm))) {
            return Addr { base, index: None, disp, guarded: write };
        }
        dynasm!(a; .arch x64; mov rcx, QWORD w.addend as i64);
        return Addr { base, index: Some(RCX), disp: imm, guarded: write };
    }
    match loc(rs1) {
        R::Host(h) if imm == 0 => dynasm!(a; .arch x64; mov rax, Rq(h)),
        R::Host(h) => enc::rm(a, W::Q, op::LEA, RAX, enc::Mem::at(h, imm)),
        _ => {
            get(a, RAX, rs1);
            if imm != 0 {
                enc::alu_imm(a, W::Q, enc::ADD, enc::Rm::Reg(RAX), imm);
            }
        }
    }
    let (tag, host) = if write { (WRITE_TAG, WRITE_HOST) } else { (READ_TAG, READ_HOST) };
    let tag_mask = !0xfff_i32 | (i32::from(size) - 1);
    entry_of(a, tag_mask);
    enc::rm(a, W::Q, &[enc::CMP.load], RDX, enc::Mem { base: R14, index: Some(RCX), disp: tag });
    if !island.is_some_and(|at| super::jcc_short_back(a, super::JNE, at)) {
        dynasm!(a; .arch x64; jne =>slow);
    }
    if let (Some(w), true) = (direct, write) {
        // Under the window's terms (no translation, all of RAM plain) a
        // write entry that hits maps `vaddr` to `vaddr + w.addend`, as the
        // window does: the entry only says the store may be done here (a
        // plain RAM page with no translated code, aligned), and the store's
        // address needs no load, so later loads of the same bytes see it
        // forwarded without waiting on the TLB.
        if let Ok(disp) = i32::try_from(w.addend as i64) {
            return Addr { base: RAX, index: None, disp, guarded: false };
        }
        dynasm!(a; .arch x64; mov rcx, QWORD w.addend as i64);
        return Addr { base: RAX, index: Some(RCX), disp: 0, guarded: false };
    }
    enc::rm(a, W::Q, op::MOV_LOAD, RCX, enc::Mem { base: R14, index: Some(RCX), disp: host });
    Addr { base: RAX, index: Some(RCX), disp: 0, guarded: false }
}

/// The offset of the store to `m` about to be emitted, if it is a guarded
/// one (its fault goes to the instruction's slow path: `crate::guard`).
pub(crate) fn guarded_site(a: &Asm, m: &Addr) -> Option<usize> {
    m.guarded.then(|| a.offset().0)
}

/// For the virtual address in `rax`: `rcx` = the offset of its TLB entries
/// (`(vaddr >> 12) % entries`, scaled: one shift and one mask, as the
/// index's bits all lie in the low half), `rdx` = the tag to compare.
fn entry_of(a: &mut Asm, tag_mask: i32) {
    dynasm!(a; .arch x64
        ; mov ecx, eax
        ; shr ecx, 12 - TLB_SHIFT
        ; and ecx, TLB_MASK << TLB_SHIFT
        ; mov rdx, rax
        ; and rdx, tag_mask
    );
}

impl Addr {
    fn mem(&self) -> enc::Mem {
        enc::Mem { base: self.base, index: self.index, disp: self.disp }
    }
}

/// `opcode reg, [m]` at width `w`: a load from `m` (`enc::op`'s loads).
pub(crate) fn load_at(a: &mut Asm, w: W, opcode: &[u8], reg: u8, m: &Addr) {
    enc::rm(a, w, opcode, reg, m.mem());
}

/// `mov [m], reg` at width `w`: a store to `m`.
pub(crate) fn store_at(a: &mut Asm, w: W, reg: u8, m: &Addr) {
    let opcode = if w == W::B { op::MOV_STORE8 } else { op::MOV_STORE };
    enc::rm(a, w, opcode, reg, m.mem());
}

/// Where a load's or store's slow path is: its label, and the offset of an
/// island before the block's entry that jumps there (`block`), which the
/// window check takes when it reaches it with a short jump.
#[derive(Clone, Copy)]
pub(crate) struct Slow {
    pub label: DynamicLabel,
    pub island: Option<usize>,
}

/// Whether `i` is a load or store with a check of its own (window or TLB:
/// not one covered by an earlier check), and so has an island (`Slow`).
pub(crate) fn checked(i: &Insn, check: Check) -> bool {
    kind(i.op).is_some() && check != Check::Covered
}

/// The hit path of a load or store; anything else jumps to `slow`.
/// `direct`: the direct-read window loads may use. Returns the offset of a
/// guarded store (`guarded_site`).
pub(crate) fn emit(
    a: &mut Asm,
    i: &Insn,
    kind: Mem,
    direct: Option<&DirectReads>,
    slow: Slow,
    check: Check,
) -> Option<usize> {
    match kind {
        Mem::Load { size, signed } => {
            let m = translate(a, i, size, false, direct, slow, check);
            // Straight into rd's host register if it has one.
            let d = match loc(i.rd) {
                R::Host(h) => h,
                _ => RAX,
            };
            let (w, opcode) = match (size, signed) {
                (1, true) => (W::Q, op::MOVSX8),
                (1, false) => (W::D, op::MOVZX8),
                (2, true) => (W::Q, op::MOVSX16),
                (2, false) => (W::D, op::MOVZX16),
                (4, true) => (W::Q, op::MOVSXD),
                (4, false) => (W::D, op::MOV_LOAD),
                _ => (W::Q, op::MOV_LOAD),
            };
            load_at(a, w, opcode, d, &m);
            if d == RAX {
                set(a, i.rd, RAX);
            }
            None
        }
        Mem::Store { size } => {
            let m = translate(a, i, size, true, direct, slow, check);
            let v = match loc(i.rs2) {
                R::Host(h) => h,
                _ => {
                    get(a, RDX, i.rs2);
                    RDX
                }
            };
            let site = guarded_site(a, &m);
            let w = match size {
                1 => W::B,
                2 => W::H,
                4 => W::D,
                _ => W::Q,
            };
            store_at(a, w, v, &m);
            site
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testprog::{b_type, i_type, s_type};
    use cpu_riscv::decode::decode;

    const LBU_T0_A5: u32 = 0x0007_c283; // lbu t0,0(a5)
    const ADDI_A5_1: u32 = 0x0017_8793; // addi a5,a5,1
    const ADDI_A3_1: u32 = 0x0016_8693; // addi a3,a3,1

    fn window(guarded: bool) -> DirectReads {
        DirectReads { lo: 0x8000_0000, len: 0x800_0000, addend: 0x1000_0000, guarded }
    }

    fn hoisted(words: &[u32], w: &DirectReads, later: i64) -> Vec<(u8, i32, u32)> {
        let insns: Vec<Insn> = words.iter().map(|&x| decode(x)).collect();
        hoist(&insns, Some(w), later).iter().map(|h| (h.base, h.lo, h.len)).collect()
    }

    #[test]
    fn bases_moved_by_addi_are_checked_for_every_round_at_the_entry() {
        // A byte copy: `*d++ = *s++` (s in a5, d in a3, the store after
        // d's addi, so at -1), 100 more rounds at most.
        let copy = [LBU_T0_A5, ADDI_A5_1, ADDI_A3_1, s_type(-1, 5, 13, 0), b_type(-16, 15, 11, 1)];
        assert_eq!(hoisted(&copy, &window(true), 100), [(13, -1, 102), (15, 0, 101)]);
        // Stores under an unguarded window are checked by the TLB, not here.
        assert_eq!(hoisted(&copy, &window(false), 100), [(15, 0, 101)]);
        // Walking down 8 at a time: the bytes reach 100 rounds down.
        let down = [i_type(8, 15, 3, 5, 0x03), i_type(-8, 15, 0, 15, 0x13), b_type(-8, 15, 11, 1)];
        assert_eq!(hoisted(&down, &window(true), 100), [(15, 8 - 800, 800 + 8)]);
        // An addi that may not run (a select's body) widens both ways: the
        // base may stay, or move as far as every addi.
        let maybe = [b_type(8, 0, 12, 0), i_type(4, 15, 0, 15, 0x13), i_type(-4, 15, 0, 15, 0x13), LBU_T0_A5];
        assert_eq!(hoisted(&maybe, &window(true), 10), [(15, -44, 89)]);
        // A base the loop loads, or moves otherwise, is checked every round.
        let chase = [i_type(0, 15, 3, 15, 0x03), b_type(-4, 0, 15, 1)];
        assert_eq!(hoisted(&chase, &window(true), 100), []);
        let slli = [LBU_T0_A5, i_type(1, 15, 1, 15, 0x13), b_type(-8, 15, 11, 1)];
        assert_eq!(hoisted(&slli, &window(true), 100), []);
        // Loads reading a round later what stores wrote (`row[j + 1] =
        // f(row[j])`, a1 moving by 4): not that base; other bases are.
        let carried = [
            i_type(0, 11, 2, 16, 0x03), // lw a6,0(a1)
            i_type(0, 10, 2, 14, 0x03), // lw a4,0(a0)
            s_type(4, 15, 11, 2),       // sw a5,4(a1)
            i_type(4, 11, 0, 11, 0x13), // addi a1,a1,4
            i_type(4, 10, 0, 10, 0x13), // addi a0,a0,4
            b_type(-20, 29, 11, 1),     // bne a1,t4,start
        ];
        assert_eq!(hoisted(&carried, &window(true), 10), [(10, 0, 44)]);
        // A store read back in the same round is no such thing.
        let same = [s_type(0, 15, 11, 2), i_type(0, 11, 2, 16, 0x03), i_type(4, 11, 0, 11, 0x13)];
        assert_eq!(hoisted(&same, &window(true), 10), [(11, 0, 44)]);
        // Bytes wider than the window: no.
        assert_eq!(hoisted(&copy, &window(true), 0x800_0000), []);
    }
}
