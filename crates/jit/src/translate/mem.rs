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
        let size = match kind(i.op) {
            Some(Mem::Load { size, .. }) => Some(size),
            Some(Mem::Store { size }) if w.guarded => Some(size),
            _ => None,
        };
        if let Some(size) = size {
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
        // window check (rdx = vaddr - lo <= len - size, unsigned) is off it.
        let base = match loc(rs1) {
            R::Host(h) => h,
            _ => {
                get(a, RAX, rs1);
                RAX
            }
        };
        let (lo, len) = match check {
            Check::Own => (imm, u64::from(size)),
            Check::Span { lo, len } => (lo, u64::from(len)),
            Check::Covered => (0, 0),
        };
        if check != Check::Covered {
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
            // len <= MAX_LEN; `plan` keeps spans within it.
            let last = (w.len - len) as i32;
            enc::alu_imm(a, W::Q, enc::CMP, enc::Rm::Reg(RDX), last);
            if !island.is_some_and(|at| super::jcc_short_back(a, super::JA, at)) {
                dynasm!(a; .arch x64; ja =>slow);
            }
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
