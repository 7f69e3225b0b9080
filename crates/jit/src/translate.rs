//! Block translation: the decoder's `Insn`s of one block to x86-64.
//!
//! Register conventions inside generated code (all callee-saved in the
//! System V ABI, so helper calls preserve them):
//! - `rbx`: the `Hart` (guest state, addressed by field offsets),
//! - `r12`: the `Cpu` (first argument of helpers),
//! - `r13`: the virtual pc of the block's first instruction, loaded on entry,
//!   so that code is independent of the virtual address it runs at (blocks
//!   are keyed by physical address),
//! - `r14`: the software TLB (`cpu_riscv::engine::TLB_LAYOUT`),
//! - `r15`: host address of the first byte of RAM,
//! - `rbp`: the work budget left (instructions retired plus traps taken, as
//!   `Engine::exec_block` counts). A block takes its length off on entry
//!   (or returns if that would go below zero) and gives back what it did
//!   not do when it leaves early.
//! - `[rsp + 8]`, `[rsp + 16]`: the exit-request flag and the interrupt
//!   lines (`IrqLines::word`), polled on block entry.
//!
//! Inline instructions count `instret` lazily; the count is brought up to
//! date before every helper call (a CSR read may see it) and at every exit.
//!
//! A block leaves with `ret` (to the trampoline, which returns the budget
//! left to Rust), or, where it ends in a direct branch or jump within its
//! page, through a chain slot: `jmp [slot]`, the slot holding either a
//! `ret` or the code of the target block once translated (see `lib.rs`).

use std::mem::offset_of;

use cpu_riscv::engine::TLB_LAYOUT;
use cpu_riscv::hart::Csrs;
use cpu_riscv::{Hart, Insn, Op};
use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi, VecAssembler};

use crate::helpers;

type Asm = VecAssembler<X64Relocation>;

const X: i32 = offset_of!(Hart, x) as i32;
const PC: i32 = offset_of!(Hart, pc) as i32;
const NPC: i32 = offset_of!(Hart, npc) as i32;
const INSTRET: i32 = offset_of!(Hart, instret) as i32;
const MIP: i32 = (offset_of!(Hart, csr) + offset_of!(Csrs, mip)) as i32;
const MIE: i32 = (offset_of!(Hart, csr) + offset_of!(Csrs, mie)) as i32;

/// What the trampoline needs besides the `Cpu`, `Hart` and code.
#[repr(C)]
pub(crate) struct Context {
    pub tlb: *const u8,
    pub ram: *mut u8,
    pub budget: u64,
    pub exit_flag: *const bool,
    pub irq: *const u64,
}

macro_rules! asm {
    ($ops:expr; $($t:tt)*) => { dynasm!($ops ; .arch x64 ; $($t)*) };
}

/// Displacement of integer register `r` from `rbx`.
fn xr(r: u8) -> i32 {
    X + 8 * i32::from(r & 31)
}

const TLB_ENTRY: i32 = TLB_LAYOUT.entry_size as i32;
const TLB_MASK: i32 = TLB_LAYOUT.entries as i32 - 1;
const TLB_READ_TAG: i32 = (TLB_LAYOUT.read + TLB_LAYOUT.tag) as i32;
const TLB_READ_ADDEND: i32 = (TLB_LAYOUT.read + TLB_LAYOUT.addend) as i32;
const TLB_WRITE_TAG: i32 = (TLB_LAYOUT.write + TLB_LAYOUT.tag) as i32;
const TLB_WRITE_ADDEND: i32 = (TLB_LAYOUT.write + TLB_LAYOUT.addend) as i32;
const TLB_FETCH_TAG: i32 = (TLB_LAYOUT.fetch + TLB_LAYOUT.tag) as i32;
const TLB_FETCH_ADDEND: i32 = (TLB_LAYOUT.fetch + TLB_LAYOUT.addend) as i32;

/// Entries of the jump cache (`lib.rs`): physical address -> block code.
pub(crate) const JUMP_CACHE_BITS: u32 = 12;

/// The jump cache slot of physical address `pa`.
pub(crate) fn jump_cache_index(pa: u64) -> usize {
    (pa >> 1) as usize & ((1 << JUMP_CACHE_BITS) - 1)
}

/// The entry trampoline, at `base`:
/// `extern "sysv64" fn(cpu, hart, code, ctx: &Context) -> u64` returning the
/// budget left. Saves the callee-saved registers, pins the registers listed
/// above and calls the block. The stack is 16-byte aligned inside blocks
/// (entry: 8 mod 16; 6 pushes and 16 bytes of slots, then the call's 8).
/// Returns the trampoline and the offset of a lone `ret` (the "leave" target
/// of unchained slots).
pub(crate) fn trampoline(base: usize) -> (Vec<u8>, usize) {
    let mut a = Asm::new(base);
    let ret = a.new_dynamic_label();
    asm!(a
        ; push rbx
        ; push rbp
        ; push r12
        ; push r13
        ; push r14
        ; push r15
        ; sub rsp, 16
        ; mov r12, rdi
        ; mov rbx, rsi
        ; mov r14, QWORD [rcx]
        ; mov r15, QWORD [rcx + 8]
        ; mov rbp, QWORD [rcx + 16]
        ; mov rax, QWORD [rcx + 24]
        ; mov QWORD [rsp], rax
        ; mov rax, QWORD [rcx + 32]
        ; mov QWORD [rsp + 8], rax
        ; call rdx
        ; mov rax, rbp
        ; add rsp, 16
        ; pop r15
        ; pop r14
        ; pop r13
        ; pop r12
        ; pop rbp
        ; pop rbx
        ; ret
        ; =>ret
        ; ret
    );
    let ret_off = a.labels().resolve_dynamic(ret).expect("defined").0;
    (a.finalize().expect("trampoline assembles"), ret_off)
}

/// Whether `op` ends its block by writing `pc` itself in generated code.
fn is_inline_jump(op: Op) -> bool {
    matches!(op, Op::Beq | Op::Bne | Op::Blt | Op::Bge | Op::Bltu | Op::Bgeu | Op::Jal | Op::Jalr)
}

/// `r13 + off + imm` as a displacement, if it fits.
fn disp(off: u32, imm: i32) -> Option<i32> {
    i32::try_from(i64::from(off) + i64::from(imm)).ok()
}

/// Translate `insns` (one block at physical `pa`, the first at virtual pc
/// `r13`) for address `base`. `insn_ptrs[i]` is a stable pointer to
/// `insns[i]` for helpers. `slot(target_pa)` gives the address of a chain
/// slot for a direct jump to `target_pa` in the same page, if chaining.
/// Returns the code (whose start is the entry for chained jumps) and the
/// offset of the entry from Rust, which skips the checks Rust has made.
pub(crate) fn block(
    insns: &[Insn],
    insn_ptrs: *const Insn,
    pa: u64,
    base: usize,
    slot: &mut dyn FnMut(u64) -> Option<usize>,
    cache: Option<usize>,
) -> (Vec<u8>, usize) {
    let mut a = Asm::new(base);
    let n = insns.len() as i32;
    let (back, leave_now) = (a.new_dynamic_label(), a.new_dynamic_label());
    // Chained entry (offset 0): the exit flag and interrupts (pending and
    // enabled in mie: Rust decides whether one is taken), as `Cpu::run`
    // checks between blocks. Rust, having checked, enters after this.
    asm!(a
        ; mov rax, QWORD [rsp + 8]
        ; cmp BYTE [rax], 0
        ; jne =>leave_now
        ; mov rax, QWORD [rsp + 16]
        ; mov rax, QWORD [rax]
        ; or rax, QWORD [rbx + MIP]
        ; test rax, QWORD [rbx + MIE]
        ; jnz =>leave_now
    );
    let entry = a.offset().0;
    // Then the budget.
    asm!(a
        ; mov r13, QWORD [rbx + PC]
        ; sub rbp, n
        ; jl =>back
    );
    let mut off: u32 = 0;
    let mut pending: i32 = 0;
    // Early exits after helper call i: (label, i + 1).
    let mut exits = Vec::new();
    // Memory slow paths: (label, resume label, insn index, pc offset, pending before it).
    let mut slow = Vec::new();
    let mut ended = false;
    for (i, insn) in insns.iter().enumerate() {
        let last = i + 1 == insns.len();
        // SAFETY of the pointer arithmetic: `i < insns.len()`, the length
        // of the array `insn_ptrs` points to.
        let p = insn_ptrs.wrapping_add(i) as i64;
        if last && is_inline_jump(insn.op) && jump(&mut a, insn, off, pending + 1, pa, slot, cache) {
            ended = true;
            break;
        }
        if let Some(kind) = mem_kind(insn.op) {
            let (l_slow, l_resume) = (a.new_dynamic_label(), a.new_dynamic_label());
            mem_fast(&mut a, insn, kind, l_slow);
            asm!(a; =>l_resume);
            let l_exit = a.new_dynamic_label();
            exits.push((l_exit, i as i32 + 1));
            slow.push((l_slow, l_resume, l_exit, p, off, pending));
            pending += 1;
        } else if inline(&mut a, insn, off) {
            pending += 1;
        } else {
            if pending > 0 {
                asm!(a; add QWORD [rbx + INSTRET], pending);
                pending = 0;
            }
            call_helper(&mut a, p, off);
            if last {
                asm!(a; ret);
                ended = true;
            } else {
                let l = a.new_dynamic_label();
                asm!(a; test eax, eax; jnz =>l);
                exits.push((l, i as i32 + 1));
            }
        }
        off += u32::from(insn.len);
    }
    if !ended {
        // Fell off the end (page end, length cap, device overlay).
        asm!(a; lea rax, [r13 + off as i32]);
        exit(&mut a, pending);
        let end = pa + u64::from(off);
        match (end & 0xfff != 0).then(|| slot(end)).flatten() {
            Some(s) => leave(&mut a, Some(s)),
            None => leave_lookup(&mut a, cache),
        }
    }
    // A TLB miss, MMIO, misaligned or faulting access: the handler does it
    // all. It counts itself in instret, while the fast path leaves that to
    // the lazy count: bring the count up to date before, and take back the
    // handler's and the earlier ones' after, when the block goes on.
    for (l, resume, l_exit, p, off, pend) in slow {
        asm!(a; =>l);
        if pend > 0 {
            asm!(a; add QWORD [rbx + INSTRET], pend);
        }
        call_helper(&mut a, p, off);
        asm!(a
            ; test eax, eax
            ; jnz =>l_exit
            ; sub QWORD [rbx + INSTRET], pend + 1
            ; jmp =>resume
        );
    }
    // Left after instruction `work - 1`: give back the budget not used.
    for (l, work) in exits {
        asm!(a; =>l);
        if n - work > 0 {
            asm!(a; add rbp, n - work);
        }
        asm!(a; ret);
    }
    asm!(a; =>back; add rbp, n; =>leave_now; ret);
    (a.finalize().expect("block assembles: all labels are defined"), entry)
}

/// Call `helpers::exec_insn` for the instruction at `p`, at block offset `off`.
fn call_helper(a: &mut Asm, p: i64, off: u32) {
    asm!(a
        ; lea rax, [r13 + off as i32]
        ; mov QWORD [rbx + PC], rax
        ; mov rdi, r12
        ; mov rsi, QWORD p
        ; mov rax, QWORD helpers::exec_insn as *const () as i64
        ; call rax
    );
}

#[derive(Clone, Copy)]
enum Mem {
    Load { size: u8, signed: bool },
    Store { size: u8 },
}

fn mem_kind(op: Op) -> Option<Mem> {
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

/// The TLB-hit path of a load or store, as `Cpu::load` / `Cpu::store`:
/// one compare of the entry's tag, then the access at `ram + vaddr + addend`.
/// Anything else jumps to `slow`.
fn mem_fast(a: &mut Asm, i: &Insn, kind: Mem, slow: dynasmrt::DynamicLabel) {
    let size = match kind {
        Mem::Load { size, .. } | Mem::Store { size } => size,
    };
    let (tag, addend) = match kind {
        Mem::Load { .. } => (TLB_READ_TAG, TLB_READ_ADDEND),
        Mem::Store { .. } => (TLB_WRITE_TAG, TLB_WRITE_ADDEND),
    };
    let tag_mask = !0xfff_i32 | (i32::from(size) - 1);
    asm!(a
        ; mov rax, QWORD [rbx + xr(i.rs1)]
        ; add rax, i.imm
        ; mov rcx, rax
        ; shr rcx, 12
        ; and ecx, TLB_MASK
        ; imul ecx, ecx, TLB_ENTRY
        ; mov rdx, rax
        ; and rdx, tag_mask
        ; cmp rdx, QWORD [r14 + rcx + tag]
        ; jne =>slow
        ; add rax, QWORD [r14 + rcx + addend]
    );
    let d = xr(i.rd);
    match kind {
        Mem::Load { size, signed } => {
            match (size, signed) {
                (1, true) => asm!(a; movsx rax, BYTE [r15 + rax]),
                (1, false) => asm!(a; movzx eax, BYTE [r15 + rax]),
                (2, true) => asm!(a; movsx rax, WORD [r15 + rax]),
                (2, false) => asm!(a; movzx eax, WORD [r15 + rax]),
                (4, true) => asm!(a; movsxd rax, DWORD [r15 + rax]),
                (4, false) => asm!(a; mov eax, DWORD [r15 + rax]),
                _ => asm!(a; mov rax, QWORD [r15 + rax]),
            }
            if i.rd != 0 {
                asm!(a; mov QWORD [rbx + d], rax);
            }
        }
        Mem::Store { size } => {
            asm!(a; mov rdx, QWORD [rbx + xr(i.rs2)]);
            match size {
                1 => asm!(a; mov BYTE [r15 + rax], dl),
                2 => asm!(a; mov WORD [r15 + rax], dx),
                4 => asm!(a; mov DWORD [r15 + rax], edx),
                _ => asm!(a; mov QWORD [r15 + rax], rdx),
            }
        }
    }
}

/// Set pc (and npc) to `rax` and count `pending` instructions.
fn exit(a: &mut Asm, pending: i32) {
    asm!(a
        ; mov QWORD [rbx + PC], rax
        ; mov QWORD [rbx + NPC], rax
    );
    if pending > 0 {
        asm!(a; add QWORD [rbx + INSTRET], pending);
    }
}

/// Leave the block for the pc in `rax` (already stored) through the jump
/// cache at `cache`: the fetch TLB gives the physical address (as
/// `Cpu::fetch_phys` would on a hit), the cache the block translated there.
/// Any miss returns to Rust, which does the same the slow way.
fn leave_lookup(a: &mut Asm, cache: Option<usize>) {
    let Some(cache) = cache else {
        asm!(a; ret);
        return;
    };
    let miss = a.new_dynamic_label();
    asm!(a
        ; mov rcx, rax
        ; shr rcx, 12
        ; and ecx, TLB_MASK
        ; imul ecx, ecx, TLB_ENTRY
        ; mov rdx, rax
        ; and rdx, !0xfff
        ; cmp rdx, QWORD [r14 + rcx + TLB_FETCH_TAG]
        ; jne =>miss
        ; add rax, QWORD [r14 + rcx + TLB_FETCH_ADDEND]
        ; mov rcx, rax
        ; shr rcx, 1
        ; and ecx, (1 << JUMP_CACHE_BITS) - 1
        ; shl ecx, 4
        ; mov rdx, QWORD cache as i64
        ; cmp rax, QWORD [rdx + rcx]
        ; jne =>miss
        ; jmp QWORD [rdx + rcx + 8]
        ; =>miss
        ; ret
    );
}

/// Leave the block: through chain slot `slot`, or back to Rust.
fn leave(a: &mut Asm, slot: Option<usize>) {
    match slot {
        Some(s) => asm!(a; mov rax, QWORD s as i64; jmp QWORD [rax]),
        None => asm!(a; ret),
    }
}

/// A block-ending branch or jump at `off` of the block at `pa`; false if
/// not inlinable. Direct targets in the same page leave through chain slots.
#[allow(clippy::too_many_arguments)]
fn jump(
    a: &mut Asm,
    i: &Insn,
    off: u32,
    pending: i32,
    pa: u64,
    slot: &mut dyn FnMut(u64) -> Option<usize>,
    cache: Option<usize>,
) -> bool {
    let (Some(next), Some(target)) = (disp(off, i32::from(i.len)), disp(off, i.imm)) else {
        return false;
    };
    let page = pa & !0xfff;
    let in_page = |d: i32| {
        let t = pa.wrapping_add(d as i64 as u64);
        (t & !0xfff == page).then_some(t)
    };
    let mut chain = |d: i32| in_page(d).and_then(&mut *slot);
    let mut leave_to = |a: &mut Asm, d: i32| match chain(d) {
        Some(s) => leave(a, Some(s)),
        None => leave_lookup(a, cache),
    };
    let (s1, s2, rd) = (xr(i.rs1), xr(i.rs2), i.rd);
    match i.op {
        Op::Jal => {
            if rd != 0 {
                asm!(a; lea rax, [r13 + next]; mov QWORD [rbx + xr(rd)], rax);
            }
            asm!(a; lea rax, [r13 + target]);
            exit(a, pending);
            leave_to(a, target);
        }
        Op::Jalr => {
            // The target is computed before rd is written (rd may be rs1); bit 0 cleared (2.5).
            asm!(a; mov rcx, QWORD [rbx + s1]; add rcx, i.imm; and rcx, -2);
            if rd != 0 {
                asm!(a; lea rax, [r13 + next]; mov QWORD [rbx + xr(rd)], rax);
            }
            asm!(a; mov rax, rcx);
            exit(a, pending);
            leave_lookup(a, cache);
        }
        _ => {
            let taken = a.new_dynamic_label();
            asm!(a
                ; mov rax, QWORD [rbx + s1]
                ; cmp rax, QWORD [rbx + s2]
            );
            match i.op {
                Op::Beq => asm!(a; je =>taken),
                Op::Bne => asm!(a; jne =>taken),
                Op::Blt => asm!(a; jl =>taken),
                Op::Bge => asm!(a; jge =>taken),
                Op::Bltu => asm!(a; jb =>taken),
                _ => asm!(a; jae =>taken),
            }
            asm!(a; lea rax, [r13 + next]);
            exit(a, pending);
            leave_to(a, next);
            asm!(a; =>taken; lea rax, [r13 + target]);
            exit(a, pending);
            leave_to(a, target);
        }
    }
    true
}

/// Emit `insn` at block offset `off` inline if it is one of the simple
/// integer operations; false if it needs its interpreter handler.
/// Semantics as `cpu-riscv/src/exec/rvi.rs` and `rvm.rs`.
fn inline(a: &mut Asm, i: &Insn, off: u32) -> bool {
    let (s1, s2, d) = (xr(i.rs1), xr(i.rs2), xr(i.rd));
    let imm = i.imm;
    let sh = (imm & 63) as i8;
    let shw = (imm & 31) as i8;
    match i.op {
        Op::Fence => return true,
        Op::Add
        | Op::Sub
        | Op::And
        | Op::Or
        | Op::Xor
        | Op::Sll
        | Op::Srl
        | Op::Sra
        | Op::Slt
        | Op::Sltu
        | Op::Addw
        | Op::Subw
        | Op::Sllw
        | Op::Srlw
        | Op::Sraw
        | Op::Mul
        | Op::Mulh
        | Op::Mulhu
        | Op::Mulhsu
        | Op::Mulw
        | Op::Div
        | Op::Divu
        | Op::Rem
        | Op::Remu
        | Op::Divw
        | Op::Divuw
        | Op::Remw
        | Op::Remuw
        | Op::Addi
        | Op::Slti
        | Op::Sltiu
        | Op::Xori
        | Op::Ori
        | Op::Andi
        | Op::Slli
        | Op::Srli
        | Op::Srai
        | Op::Addiw
        | Op::Slliw
        | Op::Srliw
        | Op::Sraiw
        | Op::Lui
        | Op::Auipc
            if i.rd == 0 =>
        {
            return true; // no effect: writes to x0 are discarded
        }
        Op::Add => asm!(a; mov rax, QWORD [rbx + s1]; add rax, QWORD [rbx + s2]; mov QWORD [rbx + d], rax),
        Op::Sub => asm!(a; mov rax, QWORD [rbx + s1]; sub rax, QWORD [rbx + s2]; mov QWORD [rbx + d], rax),
        Op::And => asm!(a; mov rax, QWORD [rbx + s1]; and rax, QWORD [rbx + s2]; mov QWORD [rbx + d], rax),
        Op::Or => asm!(a; mov rax, QWORD [rbx + s1]; or rax, QWORD [rbx + s2]; mov QWORD [rbx + d], rax),
        Op::Xor => asm!(a; mov rax, QWORD [rbx + s1]; xor rax, QWORD [rbx + s2]; mov QWORD [rbx + d], rax),
        // x86 masks 64-bit shift counts to 6 bits and 32-bit ones to 5, as RISC-V does (2.4, 5.2).
        Op::Sll => asm!(a; mov rcx, QWORD [rbx + s2]; mov rax, QWORD [rbx + s1]; shl rax, cl; mov QWORD [rbx + d], rax),
        Op::Srl => asm!(a; mov rcx, QWORD [rbx + s2]; mov rax, QWORD [rbx + s1]; shr rax, cl; mov QWORD [rbx + d], rax),
        Op::Sra => asm!(a; mov rcx, QWORD [rbx + s2]; mov rax, QWORD [rbx + s1]; sar rax, cl; mov QWORD [rbx + d], rax),
        Op::Slt => asm!(a
            ; mov rax, QWORD [rbx + s1]; cmp rax, QWORD [rbx + s2]; setl al; movzx eax, al; mov QWORD [rbx + d], rax),
        Op::Sltu => asm!(a
            ; mov rax, QWORD [rbx + s1]; cmp rax, QWORD [rbx + s2]; setb al; movzx eax, al; mov QWORD [rbx + d], rax),
        Op::Addw => asm!(a
            ; mov eax, DWORD [rbx + s1]; add eax, DWORD [rbx + s2]; movsxd rax, eax; mov QWORD [rbx + d], rax),
        Op::Subw => asm!(a
            ; mov eax, DWORD [rbx + s1]; sub eax, DWORD [rbx + s2]; movsxd rax, eax; mov QWORD [rbx + d], rax),
        Op::Sllw => asm!(a
            ; mov ecx, DWORD [rbx + s2]; mov eax, DWORD [rbx + s1]; shl eax, cl; movsxd rax, eax; mov QWORD [rbx + d], rax),
        Op::Srlw => asm!(a
            ; mov ecx, DWORD [rbx + s2]; mov eax, DWORD [rbx + s1]; shr eax, cl; movsxd rax, eax; mov QWORD [rbx + d], rax),
        Op::Sraw => asm!(a
            ; mov ecx, DWORD [rbx + s2]; mov eax, DWORD [rbx + s1]; sar eax, cl; movsxd rax, eax; mov QWORD [rbx + d], rax),
        Op::Mul => asm!(a; mov rax, QWORD [rbx + s1]; imul rax, QWORD [rbx + s2]; mov QWORD [rbx + d], rax),
        Op::Mulh => asm!(a; mov rax, QWORD [rbx + s1]; imul QWORD [rbx + s2]; mov QWORD [rbx + d], rdx),
        Op::Mulhu => asm!(a; mov rax, QWORD [rbx + s1]; mul QWORD [rbx + s2]; mov QWORD [rbx + d], rdx),
        // Signed x unsigned: the unsigned high part, less rs2 when rs1 is negative.
        Op::Mulhsu => asm!(a
            ; mov rax, QWORD [rbx + s1]; mul QWORD [rbx + s2]
            ; mov rax, QWORD [rbx + s1]; sar rax, 63; and rax, QWORD [rbx + s2]; sub rdx, rax
            ; mov QWORD [rbx + d], rdx),
        Op::Mulw => asm!(a
            ; mov eax, DWORD [rbx + s1]; imul eax, DWORD [rbx + s2]; movsxd rax, eax; mov QWORD [rbx + d], rax),
        Op::Div | Op::Divu | Op::Rem | Op::Remu | Op::Divw | Op::Divuw | Op::Remw | Op::Remuw => divide(a, i),
        // Immediates are sign-extended from 32 bits by x86, as `imm` is by RISC-V.
        Op::Addi => asm!(a; mov rax, QWORD [rbx + s1]; add rax, imm; mov QWORD [rbx + d], rax),
        Op::Xori => asm!(a; mov rax, QWORD [rbx + s1]; xor rax, imm; mov QWORD [rbx + d], rax),
        Op::Ori => asm!(a; mov rax, QWORD [rbx + s1]; or rax, imm; mov QWORD [rbx + d], rax),
        Op::Andi => asm!(a; mov rax, QWORD [rbx + s1]; and rax, imm; mov QWORD [rbx + d], rax),
        Op::Slti => asm!(a; mov rax, QWORD [rbx + s1]; cmp rax, imm; setl al; movzx eax, al; mov QWORD [rbx + d], rax),
        Op::Sltiu => asm!(a; mov rax, QWORD [rbx + s1]; cmp rax, imm; setb al; movzx eax, al; mov QWORD [rbx + d], rax),
        Op::Slli => asm!(a; mov rax, QWORD [rbx + s1]; shl rax, sh; mov QWORD [rbx + d], rax),
        Op::Srli => asm!(a; mov rax, QWORD [rbx + s1]; shr rax, sh; mov QWORD [rbx + d], rax),
        Op::Srai => asm!(a; mov rax, QWORD [rbx + s1]; sar rax, sh; mov QWORD [rbx + d], rax),
        Op::Addiw => asm!(a; mov eax, DWORD [rbx + s1]; add eax, imm; movsxd rax, eax; mov QWORD [rbx + d], rax),
        Op::Slliw => asm!(a; mov eax, DWORD [rbx + s1]; shl eax, shw; movsxd rax, eax; mov QWORD [rbx + d], rax),
        Op::Srliw => asm!(a; mov eax, DWORD [rbx + s1]; shr eax, shw; movsxd rax, eax; mov QWORD [rbx + d], rax),
        Op::Sraiw => asm!(a; mov eax, DWORD [rbx + s1]; sar eax, shw; movsxd rax, eax; mov QWORD [rbx + d], rax),
        Op::Lui => asm!(a; mov rax, imm; mov QWORD [rbx + d], rax),
        Op::Auipc => match disp(off, imm) {
            Some(t) => asm!(a; lea rax, [r13 + t]; mov QWORD [rbx + d], rax),
            None => return false,
        },
        _ => return false,
    }
    true
}

/// Division and remainder (Unprivileged spec 13.2): by zero, the quotient
/// is all ones and the remainder the dividend; signed overflow (MIN / -1)
/// gives MIN and 0. x86 faults on both, so they are branched around; a
/// signed divisor of -1 is done as a negation, which also covers MIN / -1.
/// W forms operate on the low 32 bits and sign-extend the 32-bit result.
fn divide(a: &mut Asm, i: &Insn) {
    let (s1, s2, d) = (xr(i.rs1), xr(i.rs2), xr(i.rd));
    let (by_zero, by_minus_one, done) = (a.new_dynamic_label(), a.new_dynamic_label(), a.new_dynamic_label());
    let rem = matches!(i.op, Op::Rem | Op::Remu | Op::Remw | Op::Remuw);
    let signed = matches!(i.op, Op::Div | Op::Rem | Op::Divw | Op::Remw);
    let word = matches!(i.op, Op::Divw | Op::Divuw | Op::Remw | Op::Remuw);
    if word {
        asm!(a; mov eax, DWORD [rbx + s1]; mov ecx, DWORD [rbx + s2]; test ecx, ecx; jz =>by_zero);
        if signed {
            asm!(a; cmp ecx, -1; je =>by_minus_one; cdq; idiv ecx);
        } else {
            asm!(a; xor edx, edx; div ecx);
        }
        if rem {
            asm!(a; mov eax, edx);
        }
        asm!(a; jmp =>done; =>by_minus_one);
        if rem {
            asm!(a; xor eax, eax);
        } else {
            asm!(a; neg eax);
        }
        asm!(a; jmp =>done; =>by_zero);
        if !rem {
            asm!(a; mov eax, -1);
        }
        asm!(a; =>done; movsxd rax, eax; mov QWORD [rbx + d], rax);
    } else {
        asm!(a; mov rax, QWORD [rbx + s1]; mov rcx, QWORD [rbx + s2]; test rcx, rcx; jz =>by_zero);
        if signed {
            asm!(a; cmp rcx, -1; je =>by_minus_one; cqo; idiv rcx);
        } else {
            asm!(a; xor edx, edx; div rcx);
        }
        if rem {
            asm!(a; mov rax, rdx);
        }
        asm!(a; jmp =>done; =>by_minus_one);
        if rem {
            asm!(a; xor eax, eax);
        } else {
            asm!(a; neg rax);
        }
        asm!(a; jmp =>done; =>by_zero);
        if !rem {
            asm!(a; mov rax, -1);
        }
        asm!(a; =>done; mov QWORD [rbx + d], rax);
    }
}
