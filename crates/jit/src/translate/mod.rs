//! Block translation: the decoder's `Insn`s of one block to x86-64.
//!
//! Register conventions inside generated code:
//! - `rbx`: `RBX_IN_HART` bytes into the `Hart` (guest state, addressed by
//!   field offsets: `field`), computed from the `*mut Cpu` the trampoline
//!   is entered with; helpers get that same pointer back (`rbx -
//!   RBX_IN_CPU`), so every access derives from it;
//! - `rbp`: the work budget left (instructions retired plus traps taken, as
//!   `Engine::exec_block` counts), at most `CHUNK` of it, the rest in the
//!   frame's reserve. A block takes its length off on entry (or, if that
//!   would go below zero, takes more from the reserve after a look at the
//!   exit flag: `refill_budget`) and gives back what it did not do when it
//!   leaves early;
//! - `r14`: the software TLB (`cpu_riscv::engine::TLB_LAYOUT`);
//! - nine guest registers (`regs::Pinning`: by default sp, ra, a0-a5, s0;
//!   the `Jit` picks the program's most used) in `rsi`, `rdi`, `r8`-`r13`,
//!   `r15`, for the whole run; the `Hart` holds them only outside generated
//!   code and across helper calls. A loop to its own start may keep other
//!   guest registers in some of them while it goes round
//!   (`regs::loop_pinning`), swapping back on every way out;
//! - `rax`, `rcx`, `rdx`, `xmm0`, `xmm1`: scratch;
//! - the trampoline's frame (`[rsp + 8..]` in blocks): the exit-request
//!   flag, the `instret` bias, the jump cache of the TLB bank in use and
//!   bank 0's (`next_common`), the budget's reserve.
//!
//! `instret` is not counted by generated code: within a run it is `bias -
//! rbp` at block boundaries, since every instruction of a block retires and
//! takes one unit of budget; helpers see it brought up to date, and after a
//! helper (which may retire, trap or write `minstret`) the bias is taken
//! again from the `Hart`.
//!
//! A block's code depends on its virtual pc (pc-relative values are
//! constants), its physical address (which jumps stay in its page), the
//! physical page of its part in the next virtual page if it runs on into
//! it (checked on entry) and, if it has FP fast paths, the FP state they
//! rely on (`fp::FpMode`, checked on entry) and the direct-read window its
//! loads use (`DirectReads`; not checked: see `Block::direct` in `lib.rs`),
//! so blocks are keyed by all of these (`lib.rs`). Everything else
//! that depends on state (privilege, MMU mode, SUM/MXR) runs in helpers or
//! goes through the TLB, which `cpu-riscv` flushes when that state changes.

mod alu;
mod consts;
mod csr;
mod enc;
mod fp;
mod jump;
mod mem;
mod pairs;
mod ranges;
pub(crate) mod regs;
mod select;
mod sext;
mod tail;

use std::mem::offset_of;

use cpu_riscv::engine::{DirectReads, TLB_LAYOUT};
use cpu_riscv::hart::Csrs;
use cpu_riscv::{Cpu, Hart, Insn, Op};
use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler};

pub(crate) use fp::{mode_of, FpMode};
pub(crate) use jump::{jump_cache_empty, jump_cache_index, JUMP_CACHE_BITS};
pub(crate) use regs::with_pinning;
pub use regs::Pinning;
pub(crate) use sext::extended as sign_extended;
pub(crate) use tail::{side_exits, Tail, MAX_TAIL};

use crate::helpers;

pub(crate) type Asm = VecAssembler<X64Relocation>;

/// `rbx` points this far into the `Hart`: 128 bytes into `x`, so that
/// every integer register is within a one-byte displacement (-128..=127:
/// `enc`), the `Hart`'s most used fields in generated code.
const RBX_IN_HART: i32 = offset_of!(Hart, x) as i32 + 128;
/// The displacement from `rbx` of the `Hart`'s field at `offset`.
const fn field(offset: usize) -> i32 {
    offset as i32 - RBX_IN_HART
}
const X: i32 = field(offset_of!(Hart, x));
const PC: i32 = field(offset_of!(Hart, pc));
const NPC: i32 = field(offset_of!(Hart, npc));
const INSTRET: i32 = field(offset_of!(Hart, instret));
const MSTATUS: i32 = field(offset_of!(Hart, csr) + offset_of!(Csrs, mstatus));
const FCSR: i32 = field(offset_of!(Hart, csr) + offset_of!(Csrs, fcsr));
const CSRS: i32 = field(offset_of!(Hart, csr));
const PRV: i32 = field(offset_of!(Hart, prv));
/// The `Cpu` is at `rbx - RBX_IN_CPU`.
const RBX_IN_CPU: i32 = offset_of!(Cpu, hart) as i32 + RBX_IN_HART;

/// The trampoline's frame as blocks see it (past the return address).
const EXIT_FLAG: i32 = 8;
const BIAS: i32 = 16;
const CACHE: i32 = 24;
/// Bank 0's jump cache, whose bank's cache `CACHE` is (`next_common`).
const CACHE0: i32 = 32;
/// The run's budget not yet in `rbp` (`refill_budget`).
const RESERVE: i32 = 40;
/// The trampoline's frame size (a multiple of 16: the stack stays aligned).
const FRAME: i32 = 48;

/// The most budget `rbp` holds at a time: generated code looks at the exit
/// flag each time it runs out (`refill_budget`), so this bounds how long an
/// exit request from another thread waits (about 10 us of guest code).
const CHUNK: i32 = 1 << 14;
/// `Cpu::next`'s fields, from the `Hart`.
const NEXT_TLB: i32 = cpu_riscv::engine::NEXT_TLB_IN_CPU as i32 - RBX_IN_CPU;
const NEXT_BANK: i32 = cpu_riscv::engine::NEXT_BANK_IN_CPU as i32 - RBX_IN_CPU;

/// What the trampoline needs besides the `Hart` and the code.
#[repr(C)]
pub(crate) struct Context {
    pub tlb: *const u8,
    pub budget: u64,
    pub exit_flag: *const bool,
    /// The jump cache of the current TLB bank, and bank 0's (the first of
    /// `TLB_BANKS` consecutive ones), or null.
    pub cache: *const u8,
    pub cache0: *const u8,
}

/// The code every block relies on, at `base`: the entry trampoline, the
/// helper thunk (`call_helper`), the common exit (`jump::exit_rax`), the
/// way on after a helper's `NEXT` (`next_common`) and the end of blocks
/// after a helper (`after_helper_end`); returns the code and the offsets of
/// the thunk, the exit and that end in it.
///
/// The entry trampoline:
/// `extern "sysv64" fn(cpu, code, ctx: &Context) -> u64` returning the
/// budget left. Saves the callee-saved registers, sets up the registers
/// and frame above, calls the block and, when generated code returns,
/// stores the pinned registers and `instret`. The stack is 16-byte aligned
/// inside blocks (entry: 8 mod 16; 6 pushes and `FRAME` bytes of frame,
/// then the call's 8), as helper calls need.
pub(crate) fn prologue(base: usize) -> (Vec<u8>, Prologue) {
    let mut a = Asm::new(base);
    dynasm!(a; .arch x64
        ; push rbx
        ; push rbp
        ; push r12
        ; push r13
        ; push r14
        ; push r15
        ; sub rsp, FRAME
        ; lea rbx, [rdi + RBX_IN_CPU]
        ; mov rax, rsi
        ; mov r14, QWORD [rdx]
        // rbp = min(budget, CHUNK), the rest in reserve.
        ; mov rbp, QWORD [rdx + 8]
        ; xor ecx, ecx
        ; cmp rbp, CHUNK
        ; jbe >split
        ; lea rcx, [rbp - CHUNK]
        ; mov ebp, CHUNK
        ; split:
        ; mov QWORD [rsp + RESERVE - 8], rcx
        ; mov rcx, QWORD [rdx + 16]
        ; mov QWORD [rsp + EXIT_FLAG - 8], rcx
        ; mov rcx, QWORD [rdx + 24]
        ; mov QWORD [rsp + CACHE - 8], rcx
        ; mov rcx, QWORD [rdx + 32]
        ; mov QWORD [rsp + CACHE0 - 8], rcx
        ; mov rcx, QWORD [rbx + INSTRET]
        ; add rcx, rbp
        ; mov QWORD [rsp + BIAS - 8], rcx
    );
    regs::fill_all(&mut a);
    dynasm!(a; .arch x64; call rax);
    regs::spill_all(&mut a);
    dynasm!(a; .arch x64
        ; mov rax, QWORD [rsp + BIAS - 8]
        ; sub rax, rbp
        ; mov QWORD [rbx + INSTRET], rax
        ; mov rax, rbp
        ; add rax, QWORD [rsp + RESERVE - 8]
        ; add rsp, FRAME
        ; pop r15
        ; pop r14
        ; pop r13
        ; pop r12
        ; pop rbp
        ; pop rbx
        ; ret
    );
    // The refill runs on into the common exit.
    let refill = a.offset().0;
    refill_budget(&mut a);
    let exit = a.offset().0;
    jump::exit_common(&mut a);
    let next = a.offset().0;
    next_common(&mut a, base, base + exit);
    let after = a.offset().0;
    after_helper_end(&mut a, base, base + next);
    let thunk = a.offset().0;
    helper_thunk(&mut a, base, Some(base + after));
    let thunk_unchained = a.offset().0;
    helper_thunk(&mut a, base, None);
    (a.finalize().expect("prologue assembles"), Prologue { thunk, thunk_unchained, exit, after, refill })
}

/// A block found `rbp` short of its length (given back) and jumped here
/// with `rax` = its virtual pc and `rcx` = its start: move up to `CHUNK` of
/// the reserve into `rbp` (the `instret` bias with it) and enter the block
/// again, unless the reserve is used up or an exit is requested (the flag
/// also rises with interrupt lines): then return to Rust at the block's pc
/// (the common exit, which follows this code). Checking the flag here, once
/// per `CHUNK` of budget, keeps it off every loop's way round.
fn refill_budget(a: &mut Asm) {
    dynasm!(a; .arch x64
        ; mov rdx, QWORD [rsp + EXIT_FLAG]
        ; cmp BYTE [rdx], 0
        ; jne >leave
        ; mov rdx, QWORD [rsp + RESERVE]
        ; test rdx, rdx
        ; jz >leave
        ; cmp rdx, CHUNK
        ; jbe >take
        ; mov edx, CHUNK
        ; take:
        ; sub QWORD [rsp + RESERVE], rdx
        ; add rbp, rdx
        ; add QWORD [rsp + BIAS], rdx
        ; jmp rcx
        ; leave:
    );
}

/// Offsets of the shared code in the prologue (`prologue`).
pub(crate) struct Prologue {
    /// The helper thunk of blocks that chain, and of those that do not.
    pub thunk: usize,
    pub thunk_unchained: usize,
    pub exit: usize,
    /// Where blocks jump after a helper that ends them (`after_helper_end`).
    pub after: usize,
    /// Where blocks short of budget jump (`refill_budget`).
    pub refill: usize,
}

/// Go on at `hart.pc` after a helper returned `NEXT` (reached by a `jmp`
/// from a block, the budget settled): take the TLB bank `Cpu::go_on` chose
/// (the privilege may have changed) and its jump cache, and look `pc` up
/// there as `jump::leave_lookup` does; a miss returns to Rust (the common
/// exit, at `exit`).
fn next_common(a: &mut Asm, base: usize, exit: usize) {
    dynasm!(a; .arch x64
        ; mov r14, QWORD [rbx + NEXT_TLB]
        ; mov rcx, QWORD [rbx + NEXT_BANK]
        ; shl rcx, (JUMP_CACHE_BITS + 4) as i8
        ; add rcx, QWORD [rsp + CACHE0]
        ; mov QWORD [rsp + CACHE], rcx
        ; mov rax, QWORD [rbx + PC]
    );
    jump::lookup(a);
    rel32(a, base, exit, 0xe9);
}

/// The helper thunk, which blocks `call` (so the frame is 8 bytes further
/// away than in blocks) with `rcx` = the instruction's virtual pc, `rax` =
/// its `Insn`, `dl` = instructions of the block from it on (`ahead`): the
/// `Hart` gets the pinned registers, `pc` and `instret` (`bias - rbp -
/// ahead`), `helpers::exec_insn` runs, and the pinned registers and the
/// bias are taken back (the handler may have written rd, `minstret`, or
/// trapped). On the helper's result 0 it returns to the block, which goes
/// on; any other result ends the block after the instruction: the thunk
/// gives back the budget of the instructions after it and leaves the block
/// itself (its return address dropped), to `leave` (`after_helper_end`,
/// with the result in `eax`), or with `leave` `None` back to Rust (no
/// chaining). One copy for all blocks instead of one per call site keeps
/// blocks small.
fn helper_thunk(a: &mut Asm, base: usize, leave: Option<usize>) {
    dynasm!(a; .arch x64
        ; movzx edx, dl
        ; mov QWORD [rbx + PC], rcx
        ; mov rcx, QWORD [rsp + BIAS + 8]
        ; sub rcx, rbp
        ; sub rcx, rdx
        ; mov QWORD [rbx + INSTRET], rcx
    );
    regs::spill_all(a);
    // `ahead` survives the call on the stack, which this push also aligns
    // to 16 bytes for it.
    dynasm!(a; .arch x64
        ; push rdx
        ; mov rsi, rax
        ; lea rdi, [rbx - RBX_IN_CPU]
        ; mov rax, QWORD helpers::exec_insn as *const () as i64
        ; call rax
        ; pop rdx
    );
    regs::fill_all(a);
    dynasm!(a; .arch x64
        ; mov rcx, QWORD [rbx + INSTRET]
        ; add rcx, rbp
        ; lea rcx, [rcx + rdx - 1]
        ; mov QWORD [rsp + BIAS + 8], rcx
        // The ABI lets the helper change xmm0 and xmm1, and code after a
        // call must not take them as holding anything (`fp::emit`): they
        // always come back changed, to a normal double, so that a wrong
        // assumption gives wrong results in tests, not right ones by luck.
        ; mov rcx, QWORD XMM_POISON as i64
        ; movq xmm0, rcx
        ; movq xmm1, rcx
        ; test eax, eax
        ; jnz >end
        ; ret
        // The block ends: give back the budget of the `ahead - 1` after
        // this instruction (the bias above counts them as not done).
        ; end:
        ; lea rbp, [rbp + rdx - 1]
        ; add rsp, 8
    );
    match leave {
        Some(to) => rel32(a, base, to, 0xe9),
        None => dynasm!(a; .arch x64; ret),
    }
}

/// What xmm0 and xmm1 hold after a helper call (a normal double, 12345.0).
const XMM_POISON: u64 = 0x40c8_1c80_0000_0000;

/// A direct jump to a block in the same page: a `jmp rel32` whose
/// displacement is at `at` (offset in the block's code), leading to the
/// exit stub at `stub` until the target block (physical `pa`, virtual
/// `vpc`) is translated.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    pub at: usize,
    pub stub: Option<usize>,
    pub pa: u64,
    pub vpc: u64,
}

/// A translated block's code.
pub(crate) struct Code {
    pub code: Vec<u8>,
    /// Offset of the block's entry (its leave paths come before it, in
    /// reach of short jumps).
    pub start: usize,
    pub sites: Vec<Site>,
    /// Branches done as selects (`select`).
    pub selects: u64,
    /// Guarded stores: (offset of the store, offset of its slow path).
    pub guarded: Vec<(usize, usize)>,
    /// A loop to its own start, going round by itself (`jump::Round`).
    pub looping: bool,
    /// Guest registers its way round a loop leaves pending (`sext`): the
    /// code runs only if they are sign-extended on entry.
    pub round: u32,
    /// Side exits threaded through a `Tail`.
    pub threaded: u64,
    /// A loop with a pinning of its own (`regs::loop_pinning`).
    pub own_pinning: bool,
    /// Base registers whose accesses a loop checks at its entry
    /// (`mem::hoist`).
    pub hoisted: u32,
}

/// Where a block's code is: its physical address and virtual pc, and if it
/// runs on into the next virtual page, that page and the physical page its
/// part there was decoded from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At {
    pub pa: u64,
    pub vpc: u64,
    pub second: Option<(u64, u64)>,
}

/// State of one translation.
pub(crate) struct Builder {
    pa: u64,
    vpc: u64,
    /// Chain direct jumps and look up others (else every exit returns).
    chain: bool,
    /// The block's address, and the common exit's (`prologue`).
    base: usize,
    exit: usize,
    sites: Vec<Site>,
    stubs: Vec<(DynamicLabel, usize)>,
}

/// Whether `op` ends its block in generated code.
fn is_inline_jump(op: Op) -> bool {
    matches!(op, Op::Beq | Op::Bne | Op::Blt | Op::Bge | Op::Bltu | Op::Bgeu | Op::Jal | Op::Jalr)
}

/// Add one to `uses` for each integer register operand of `i`, read or
/// written, by its format in the operation table (fields a format does
/// not use are 0; x0 is not counted): each is a load or store more when
/// the register is kept in the `Hart`. What `Pinning`s are chosen by.
/// (Weighing the bases of accesses or registers updated in place more,
/// for the latency a load puts on their paths, chose worse pinnings for
/// `qsort`, measured.)
pub(crate) fn count_int_regs(i: &Insn, uses: &mut [u16; 32]) {
    let (rd, rs1, rs2) = int_operands(i);
    for (on, g) in [(rd, i.rd), (rs1, i.rs1), (rs2, i.rs2)] {
        if on && g != 0 {
            let u = &mut uses[usize::from(g & 31)];
            *u = u.saturating_add(1);
        }
    }
}

/// `insns`' integer operand counts per register (`count_int_regs`), and the
/// integer registers they write.
pub(crate) fn int_uses(insns: &[Insn]) -> ([u16; 32], u32) {
    let mut uses = [0u16; 32];
    insns.iter().for_each(|i| count_int_regs(i, &mut uses));
    let written = insns.iter().filter(|i| int_operands(i).0).fold(0u32, |w, i| w | 1 << (i.rd & 31));
    (uses, written)
}

/// Whether `i`'s rd, rs1 and rs2 fields are integer registers it uses, by
/// its format in the operation table.
pub(crate) fn int_operands(i: &Insn) -> (bool, bool, bool) {
    use cpu_riscv::Format as F;
    match i.info().map(|o| o.format) {
        Some(F::R | F::Amo) => (true, true, true),
        Some(F::I | F::Shift | F::Load | F::Jalr | F::Csr | F::Lr) => (true, true, false),
        Some(F::Store | F::B | F::Sfence) => (false, true, true),
        Some(F::U | F::J | F::CsrI | F::FCmp | F::FtoXrm | F::FtoX) => (true, false, false),
        Some(F::FLoad | F::FStore | F::XtoFrm | F::XtoF) => (false, true, false),
        _ => (false, false, false),
    }
}

/// Whether `insns` has FP fast paths in some mode, so that its translation
/// depends on the `FpMode`.
pub(crate) fn uses_fp_mode(insns: &[Insn]) -> bool {
    insns.iter().any(|i| fp::inlinable(i, FpMode::Fast) || fp::is_fcsr_access(i))
}

/// How a block is translated, besides where it is (`At`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env {
    /// Chain direct jumps and look up others (else every exit returns).
    pub chain: bool,
    /// Let the block go round by itself (a loop to its start, a side exit
    /// leading back to it) and copy short blocks into its side exits
    /// (`tail`); these run more instructions in one run of the block.
    pub loops: bool,
    /// The FP fast paths' mode (`None`: it has none: `!uses_fp_mode`).
    pub fp: Option<FpMode>,
    /// The direct-read window its loads use (and its stores: guarded, or
    /// past the write TLB's check), if any.
    pub direct: Option<DirectReads>,
    /// Address of the helper thunk (`prologue`).
    pub thunk: usize,
    /// Address of the common exit (`prologue`).
    pub exit: usize,
    /// Address of the shared end of blocks after a helper (`prologue`).
    pub after: usize,
    /// Address of the budget refill (`prologue`).
    pub refill: usize,
}

/// Translate `insns` (one block at `at`) for address `base` as `env` says.
/// `insn_ptrs[i]` is a stable pointer to `insns[i]` for helpers. `tails`:
/// code its side exits may copy (`tail`), by target.
pub(crate) fn block(insns: &[Insn], insn_ptrs: *const Insn, at: At, base: usize, env: Env, tails: &[Tail]) -> Code {
    let Env { chain, loops, fp, direct, thunk, exit, after, refill } = env;
    let At { pa, vpc, second } = at;
    // Room for a typical block up front: growing the buffers as code is
    // pushed was most of translation's time (realloc after realloc).
    let n = insns.len();
    let mut a = Asm::new_with_capacity(base, 64 * n + 256, 0, 0, 4 * n + 8, 0, 4 * n + 8);
    let mut b = Builder { pa, vpc, chain, base, exit, sites: Vec::new(), stubs: Vec::new() };
    let n = n as i32;
    let fp_mode = fp.unwrap_or(FpMode::Off);
    let leave_now = a.new_dynamic_label();
    let start_label = a.new_dynamic_label();
    // The ways out before the block starts: budget short (give it back,
    // and refill it or return to Rust), or a changed mapping or FP state
    // (leave for Rust at the block's pc). Placed first so that the checks
    // on the hot path reach them with two-byte jumps. Exit requests (the
    // flag, also raised when an interrupt line rises:
    // `IrqLines::kick_on_raise`) are seen where the budget is refilled,
    // every `CHUNK` at most, and after helpers (`helpers::exec_insn`);
    // `Cpu::run` then checks the rest (which interrupt, whether enabled).
    // Everything else that can make an interrupt taken (CSR writes, xRET,
    // traps) runs in a helper that ends the block, and goes on to the next
    // in generated code only when no interrupt is pending and enabled
    // (`Cpu::go_on`).
    // Operations with a source the block knows take it as an immediate.
    let (folded, known) = consts::fold(insns, vpc);
    let insns: &[Insn] = folded.as_deref().unwrap_or(insns);
    // W operations on small values as 64-bit ones (no extension).
    let widened = ranges::narrow(insns);
    let insns: &[Insn] = widened.as_deref().unwrap_or(insns);
    // Window checks shared by accesses from one base register.
    let checks = mem::plan(insns, direct.as_ref());
    // Shift pairs done as extensions; W results nobody extends.
    let pairs = pairs::plan(insns);
    // A loop to the block's own start goes round past the entry's checks
    // with a budget check of its own (no jump to an exit stub and back to
    // the entry each round), and may leave W results unextended round it
    // (`sext`). FP blocks of the fast mode too: nothing in a block changes
    // the mode but a CSR write, which ends it, so going round needs no
    // new check (inline FP operations only accrue flags; a helper's may
    // too, which leaves frm and NX, so the mode, as they were:
    // `fp::mode_of`): mix's FP loop skips eight instructions a round. Not
    // the slower modes, whose code a state that has become fast should
    // leave on its next entry, for the fast mode's.
    let fp_stays = matches!(fp, None | Some(FpMode::Fast));
    let looping = sext::loops(insns, loops) && second.is_none() && fp_stays;
    // A block going round through side exits' tails (`tail`) instead.
    let tail_rounds = loops && !looping && second.is_none() && fp_stays;
    let ways = tail_rounds.then(|| tail::ways_round(insns, tails)).flatten();
    // Such a loop may keep registers the run leaves in the `Hart` in host
    // registers of its own while it goes round (`regs::loop_pinning`): its
    // body is generated under that pinning, swapped in past the entry's
    // checks and out on every way out of the loop. (For a loop through
    // tails, by the uses of what a round may run: qsort's partition scans
    // keep their index and bound in host registers.)
    let own = match &ways {
        _ if looping => {
            let (uses, written) = int_uses(insns);
            regs::loop_pinning(insns, &uses, written)
        }
        Some(w) => {
            let body = w.body(insns);
            let (uses, written) = int_uses(&body);
            regs::loop_pinning(&body, &uses, written)
        }
        None => None,
    };
    let (own_pins, swaps) = own.map_or((None, Vec::new()), |(p, s)| (Some(p), s));
    let own_scope = || own_pins.map(regs::enter);
    let sx = {
        let _own = own_scope();
        sext::plan(insns, &pairs, looping)
    };
    let back_at = a.offset().0;
    let back_label = a.new_dynamic_label();
    dynasm!(a; .arch x64; =>back_label);
    budget(&mut a, n);
    if chain {
        dynasm!(a; .arch x64; lea rcx, [=>start_label]);
        jump::mov_rax(&mut a, vpc);
        rel32(&mut a, base, refill, 0xe9);
    }
    let leave_at = a.offset().0;
    dynasm!(a; .arch x64; =>leave_now);
    jump::mov_rax(&mut a, vpc);
    jump::exit_rax(&mut a, &b);
    let round =
        looping.then(|| jump::Round { body: a.new_dynamic_label(), short: a.new_dynamic_label(), n, exit: sx.exit });
    // Islands: a `jmp` to the slow path of each load's and store's check
    // (window or TLB), here before the entry, so that checks near the
    // block's start reach it with a two-byte `ja`/`jne` instead of a
    // six-byte one (bytes of hot code cost about as much as operations:
    // four more per check made CoreMark 3-6% slower). The last check's is
    // nearest. (Side exits through islands too were no faster: a taken one
    // then jumps twice.) A loop with a way round of its own has them
    // after its entry's checks, just before the body its way round runs.
    let emit_islands = |a: &mut Asm, checks: &[mem::Check]| {
        let mut islands: Vec<Option<(usize, DynamicLabel)>> = vec![None; insns.len()];
        for (k, i) in insns.iter().enumerate() {
            if mem::checked(i, checks[k]) {
                let l = a.new_dynamic_label();
                islands[k] = Some((a.offset().0, l));
                dynasm!(a; .arch x64; jmp =>l);
            }
        }
        islands
    };
    // A loop going round checks the accesses from base registers it only
    // moves by `addi` once, at its entry, for all the rounds it may go
    // before it comes back through the entry: at most `CHUNK / n` after
    // the first, as each takes `n` of a budget that the entry left below
    // `CHUNK` (`refill_budget` adds at most `CHUNK` to less than `n`). So
    // does a block going round through side exits' tails (`tail`), each
    // round `k + 1` instructions and the tail's, its bases moved in them.
    // Its body then checks them no more; where that entry check fails
    // (bytes near the window's ends), a second body checks them as any
    // block does.
    let hoisted = match (&round, &direct, &ways) {
        (Some(_), Some(_), _) => mem::hoist(insns, direct.as_ref(), i64::from(CHUNK / n)),
        (None, Some(_), Some(w)) => {
            let all: Vec<Insn> = insns.iter().chain(&w.moves).copied().collect();
            mem::hoist(&all, direct.as_ref(), i64::from(CHUNK / w.shortest))
        }
        _ => Vec::new(),
    };
    let fast_checks = mem::uncheck(insns, direct.as_ref(), &checks, &hoisted);
    let checked_body = (!hoisted.is_empty()).then(|| a.new_dynamic_label());
    let mut islands = match round {
        None => emit_islands(&mut a, &fast_checks),
        Some(_) => Vec::new(),
    };
    // Every entry (and every self-loop's way round) starts a 32-byte
    // fetch block: CoreMark 5% faster over random layouts, 10% in the
    // packed one. The padding is never run (int3 if it were).
    align(&mut a, base);
    let start = a.offset().0;
    dynasm!(a; .arch x64; =>start_label);
    // Every entry of a block running on into the next virtual page (`second`
    // = that page and the physical page it was decoded from): the fetch
    // TLB must map the one to the other, else Rust looks again (and fills
    // the entry, or finds the mapping changed and translates anew). So a
    // chained jump or jump-cache hit never runs it under another mapping.
    if let Some((v2, p2)) = second {
        let i = (v2 >> 12) as usize & (TLB_LAYOUT.entries - 1);
        let e = TLB_LAYOUT.fetch + i * TLB_LAYOUT.entry_size;
        let (tag, addend) = ((e + TLB_LAYOUT.tag) as i32, (e + TLB_LAYOUT.addend) as i32);
        dynasm!(a; .arch x64
            ; mov rax, QWORD v2 as i64
            ; cmp rax, QWORD [r14 + tag]
            ; jne =>leave_now
            ; mov rax, QWORD p2.wrapping_sub(v2) as i64
            ; cmp rax, QWORD [r14 + addend]
            ; jne =>leave_now
        );
    }
    // Every entry: the state the FP fast paths rely on; else Rust picks
    // (or translates) the block for the state there is.
    if let Some(fp) = fp {
        fp::check_mode(&mut a, fp, leave_now);
    }
    if round.is_some() {
        // Entered from elsewhere: the registers left pending round the
        // loop must be sign-extended already (as an `int` is), so that
        // extending them on a way out changes nothing on this first way
        // round; else Rust runs the block in the interpreter
        // (`Block::round`).
        sext::guard(&mut a, sx.round, leave_at);
    }
    budget(&mut a, -n);
    jcc_back(&mut a, JL, back_at);
    // The hoisted window checks, to the checked body when they fail: after
    // the swap to the loop's own pinning (which both bodies run under).
    let entry_checks = |a: &mut Asm| {
        if let (Some(l), Some(w)) = (checked_body, &direct) {
            let _own = own_scope();
            for h in &hoisted {
                mem::entry_check(a, w, h, l);
            }
        }
    };
    // Past the entry's checks: where a side exit whose tail leads back to
    // the start goes round (`tail`), if there is nothing else to check.
    let past_entry = tail_rounds.then(|| {
        regs::swap_in(&mut a, &swaps);
        entry_checks(&mut a);
        let l = a.new_dynamic_label();
        dynasm!(a; .arch x64; =>l);
        l
    });
    if round.is_none() && past_entry.is_none() {
        entry_checks(&mut a);
    }
    let loop_xmm0 = round.as_ref().and_then(|_| fp::loop_held(insns, fp_mode));
    if let Some(r) = &round {
        regs::swap_in(&mut a, &swaps);
        if let Some(f) = loop_xmm0 {
            fp::reload_xmm0(&mut a, f);
        }
        entry_checks(&mut a);
        dynasm!(a; .arch x64; jmp =>r.body);
        islands = emit_islands(&mut a, &fast_checks);
        align(&mut a, base);
        dynasm!(a; .arch x64; =>r.body);
    }
    let ctx = Body {
        insns,
        known: &known,
        vpc,
        sx: &sx,
        pairs: &pairs,
        direct: direct.as_ref(),
        fp_mode,
        swaps: &swaps,
        base,
        thunk,
        insn_ptrs,
        n,
        chain,
        after,
        xmm0: loop_xmm0,
        tails,
        back: back_label,
    };
    let mut out = Out::default();
    {
        let _own = own_scope();
        let fast = Pass { checks: &fast_checks, islands: &islands, round: round.as_ref(), past: past_entry };
        emit_body(&mut a, &mut b, &ctx, &fast, &mut out);
        if let Some(l) = checked_body {
            let islands = emit_islands(&mut a, &checks);
            align(&mut a, base);
            dynasm!(a; .arch x64; =>l);
            let checked = round.as_ref().map(|r| jump::Round { body: l, ..*r });
            let past = past_entry.map(|_| l);
            let pass = Pass { checks: &checks, islands: &islands, round: checked.as_ref(), past };
            emit_body(&mut a, &mut b, &ctx, &pass, &mut out);
        }
    }
    let Out { slow, side, guarded, selects, mut threaded } = out;
    // The way out of code under the loop's own pinning: the registers
    // pending there extended (under it), then the run's pinning back.
    let leave_loop = |a: &mut Asm, pending: u32| {
        let _own = own_scope();
        sext::extend(a, pending);
        regs::swap_out(a, &swaps);
    };
    // A TLB miss, MMIO, misaligned or faulting access, an FP case not done
    // inline: the handler does it all.
    for (l, resume, k, pc, xmm0, check) in slow {
        dynasm!(a; .arch x64; =>l);
        leave_loop(&mut a, sx.pending[k]);
        if let mem::Check::Span { .. } = check {
            // Its check covered later accesses, which check nothing: the
            // block ends after it (it is the last of `k + 1`, the budget of
            // the rest given back), so they never run unchecked.
            budget(&mut a, n - k as i32 - 1);
            call_helper(&mut a, base, thunk, insn_ptrs.wrapping_add(k), pc, k as i32 + 1, k);
            // The helper ends the block after the last instruction: never here.
            dynasm!(a; .arch x64; ud2);
            continue;
        }
        call_helper(&mut a, base, thunk, insn_ptrs.wrapping_add(k), pc, n, k);
        regs::swap_in(&mut a, &swaps);
        if let Some(r) = xmm0 {
            fp::reload_xmm0(&mut a, r);
        }
        dynasm!(a; .arch x64; jmp =>resume);
    }
    // Branches taken inside a region: give back the budget not used, leave
    // (through the tail there, if one fits in what is given back). Those
    // whose tail leads round to the start went round inline (`emit_body`).
    for (l, k, target) in side {
        dynasm!(a; .arch x64; =>l);
        leave_loop(&mut a, sx.pending[k]);
        let left = n - k as i32 - 1;
        let tail = tail::for_exit(tails, target, left).filter(|_| loops);
        match tail {
            Some(t) => {
                if left > t.len() {
                    budget(&mut a, left - t.len());
                }
                tail::emit(&mut a, &mut b, t);
                threaded += 1;
            }
            None => {
                budget(&mut a, left);
                jump::leave_to(&mut a, &mut b, target);
            }
        }
    }
    // The way round's budget short: the pending registers extended, on as
    // from the entry's.
    if let Some(r) = &round {
        dynasm!(a; .arch x64; =>r.short);
        leave_loop(&mut a, sx.round);
        dynasm!(a; .arch x64; jmp =>back_label);
    }
    // Exit stubs of direct jumps: where they lead until patched.
    let stubs = std::mem::take(&mut b.stubs);
    let mut stub_labels = Vec::with_capacity(stubs.len());
    for (l, site) in stubs {
        dynasm!(a; .arch x64; =>l);
        jump::mov_rax(&mut a, b.sites[site].vpc);
        jump::exit_rax(&mut a, &b);
        stub_labels.push((l, site));
    }
    for (l, site) in stub_labels {
        b.sites[site].stub = a.labels().resolve_dynamic(l).ok().map(|o| o.0);
    }
    let guarded = guarded
        .into_iter()
        .map(|(at, l)| (at, a.labels().resolve_dynamic(l).expect("slow paths are defined").0))
        .collect();
    let code = a.finalize().expect("block assembles: all labels are defined");
    Code {
        code,
        start,
        sites: b.sites,
        selects,
        guarded,
        looping,
        round: sx.round,
        threaded,
        own_pinning: !swaps.is_empty(),
        hoisted: hoisted.len() as u32,
    }
}

/// What the body of a block is generated from (`block`).
struct Body<'x> {
    insns: &'x [Insn],
    known: &'x [consts::Known],
    vpc: u64,
    sx: &'x sext::Plan,
    pairs: &'x [pairs::Pair],
    direct: Option<&'x DirectReads>,
    fp_mode: FpMode,
    swaps: &'x regs::Swaps,
    base: usize,
    thunk: usize,
    insn_ptrs: *const Insn,
    n: i32,
    chain: bool,
    after: usize,
    /// The FP register xmm0 holds at the start of a loop's body, on entry
    /// and on every way round (`fp::loop_held`).
    xmm0: Option<u8>,
    /// Code side exits may copy (`tail`), and the block's start.
    tails: &'x [Tail],
    back: DynamicLabel,
}

/// What a block's bodies leave to be generated after them (`emit_body`).
#[derive(Default)]
struct Out {
    /// Slow paths: (label, resume label, insn index, pc, the FP register
    /// xmm0 must hold again on resuming if any, the access's check).
    slow: Vec<(DynamicLabel, DynamicLabel, usize, u64, Option<u8>, mem::Check)>,
    /// Taken conditional branches inside a region: (label, insn index,
    /// target from the block's start).
    side: Vec<(DynamicLabel, usize, i64)>,
    /// Guarded stores: (offset, slow path label).
    guarded: Vec<(usize, DynamicLabel)>,
    /// Branches done as selects.
    selects: u64,
    /// Side exits threaded through a `Tail`.
    threaded: u64,
}

/// One of a block's bodies (`block`): the window checks of its accesses
/// (`mem::plan`) and their islands, for a loop going round its way round,
/// and where its side exits' tails back to the start go round (past the
/// entry's checks).
struct Pass<'x> {
    checks: &'x [mem::Check],
    islands: &'x [Option<(usize, DynamicLabel)>],
    round: Option<&'x jump::Round>,
    past: Option<DynamicLabel>,
}

/// The body of a block: its instructions as `p` says.
fn emit_body(a: &mut Asm, b: &mut Builder, c: &Body, p: &Pass, out: &mut Out) {
    let Pass { checks, islands, round, past } = *p;
    let mut off: u32 = 0;
    // The FP register whose value xmm0 holds (`fp::emit`), kept across the
    // integer operations between FP ones.
    let mut xmm0: Option<u8> = c.xmm0;
    let mut ended = false;
    // The instructions of the current select's body still to pass over
    // (`select::emit` did them).
    let mut skip = 0;
    // The registers the flags compare (`cmp rs1, rs2`), when the previous
    // instruction was a side exit's branch of two plain registers: a next
    // branch of the same two (`beq a3,a4; bgeu a3,a4`, either way round:
    // a three-way compare) needs no compare of its own.
    let mut flags: Option<(u8, u8)> = None;
    for (k, insn) in c.insns.iter().enumerate() {
        let last = k + 1 == c.insns.len();
        let kn = c.known.get(k).copied().unwrap_or_default();
        let pc = c.vpc.wrapping_add(u64::from(off));
        let flags_of = flags.take();
        if skip > 0 {
            skip -= 1;
            off += u32::from(insn.len);
            continue;
        }
        if let (true, Some(_), Some(r)) = (last, round, c.xmm0) {
            // Round again with xmm0 as the body starts (`fp::loop_held`).
            if xmm0 != Some(r) {
                fp::reload_xmm0(a, r);
            }
        }
        if last && is_inline_jump(insn.op) && jump::emit(a, b, insn, off, kn, c.sx.pending[k], round, c.swaps) {
            ended = true;
            break;
        }
        if !last && jump::is_branch(insn.op) {
            if let Some(h) = select::find(c.insns, k) {
                select::emit(a, c.insns, k, &h, pc, kn);
                out.selects += 1;
                skip = h.body;
            } else {
                // Not taken: on with the region (`Cpu::decode_block`).
                let l = a.new_dynamic_label();
                let pair = (insn.rs1, insn.rs2);
                let plain = kn == consts::Known::default() && c.sx.pending[k] & (1 << pair.0 | 1 << pair.1) & !1 == 0;
                let target = i64::from(off) + i64::from(insn.imm);
                // Taken, through a tail back to the start: round inline (a
                // loop's way on, mostly taken), the region on past it. (A
                // way round past the entry means the block may loop.)
                let left = c.n - k as i32 - 1;
                let round_tail = past.and_then(|body| Some((tail::going_round(c.tails, target, left)?, body)));
                let invert = round_tail.is_some();
                // (Reused, the flags still compare the registers as they did.)
                flags = match flags_of {
                    Some(f) if plain && f == pair => {
                        jump::jump_if(a, insn.op, false, invert, l);
                        flags_of
                    }
                    Some(f) if plain && f == (pair.1, pair.0) => {
                        jump::jump_if(a, insn.op, true, invert, l);
                        flags_of
                    }
                    _ => {
                        jump::branch_to(a, insn, kn, c.sx.pending[k], invert, l);
                        plain.then_some(pair)
                    }
                };
                match round_tail {
                    // Round past the entry, with one budget check for the
                    // tail and the next round (as the entry's, back to the
                    // start when short: the tail's own part of the budget
                    // fits in what was given back); `l` is the way on.
                    Some((t, body)) => {
                        // As every way out: the registers pending here
                        // extended (the start assumes none pending).
                        sext::extend(a, c.sx.pending[k]);
                        tail::ops_and_link(a, b, t);
                        budget(a, left - t.len() - c.n);
                        dynasm!(a; .arch x64; jge =>body);
                        regs::swap_out(a, c.swaps);
                        dynasm!(a; .arch x64; jmp =>c.back; =>l);
                        out.threaded += 1;
                    }
                    None => out.side.push((l, k, target)),
                }
            }
            off += u32::from(insn.len);
            continue;
        }
        match c.pairs[k] {
            pairs::Pair::None => {}
            pairs::Pair::Dead => {
                off += u32::from(insn.len);
                continue;
            }
            pairs::Pair::Fused { rs, shl, right, shr } => {
                pairs::emit(a, insn.rd, rs, shl, right, shr);
                off += u32::from(insn.len);
                continue;
            }
        }
        let mem_kind = mem::kind(insn.op);
        let plain_csr = csr::inlinable(insn);
        // xmm0 stays as `fp::emit` left it through integer operations.
        let fp_inline = mem_kind.is_none() && plain_csr.is_none() && fp::inlinable(insn, c.fp_mode);
        if !(fp_inline || alu::is_inline(insn)) {
            xmm0 = None;
        }
        if mem_kind.is_some() || plain_csr.is_some() || fp_inline {
            let l_slow = islands[k].map_or_else(|| a.new_dynamic_label(), |(_, l)| l);
            let l_resume = a.new_dynamic_label();
            let mut site = None;
            let to = mem::Slow { label: l_slow, island: islands[k].map(|(at, _)| at) };
            match (mem_kind, plain_csr) {
                (Some(kind), _) => site = mem::emit(a, insn, kind, c.direct, to, checks[k]),
                (None, Some(p)) => csr::emit(a, insn, p, l_slow),
                (None, None) => {
                    let direct = c.direct.map(|w| (w, checks[k]));
                    xmm0 = fp::emit(a, insn, c.fp_mode, direct, l_slow, xmm0, &mut site);
                }
            }
            if let Some(at) = site {
                out.guarded.push((at, l_slow));
            }
            dynasm!(a; .arch x64; =>l_resume);
            // A covered load cannot fail (its bytes were checked to be RAM).
            let covered_load = checks[k] == mem::Check::Covered && matches!(mem_kind, Some(mem::Mem::Load { .. }));
            if !covered_load {
                out.slow.push((l_slow, l_resume, k, pc, xmm0, checks[k]));
            }
        } else if alu::emit(a, insn, pc, !c.sx.skip[k]) {
            if c.sx.extend_after[k] {
                sext::extend(a, 1 << insn.rd);
            }
        } else if !fp::emit_csr(a, insn, c.fp_mode) {
            sext::extend(a, c.sx.pending[k]);
            regs::swap_out(a, c.swaps);
            // SAFETY of the pointer arithmetic: `k < insns.len()`, the
            // length of the array `insn_ptrs` points to.
            call_helper(a, c.base, c.thunk, c.insn_ptrs.wrapping_add(k), pc, c.n, k);
            if last {
                end_after_helper(a, c.base, c.chain, c.after);
                ended = true;
            } else {
                regs::swap_in(a, c.swaps);
            }
        }
        off += u32::from(insn.len);
    }
    if !ended {
        // Fell off the end (page end, length cap, device overlay).
        regs::swap_out(a, c.swaps);
        jump::leave_to(a, b, i64::from(off));
    }
}

/// Alignment of a block's entry (`block`).
const BLOCK_ALIGN: usize = 32;

/// Pad with `int3` (never run) to the next `BLOCK_ALIGN` boundary of code
/// placed at `base`.
fn align(a: &mut Asm, base: usize) {
    while !(base + a.offset().0).is_multiple_of(BLOCK_ALIGN) {
        a.push(0xcc);
    }
}

/// Condition code of `jcc_back` (x86's `tttn` field).
const JL: u8 = 0xc;

/// `jcc` with condition `cc` to `to`, an offset before this one, in two
/// bytes; false (nothing emitted) where that does not reach.
pub(crate) fn jcc_short_back(a: &mut Asm, cc: u8, to: usize) -> bool {
    let here = a.offset().0;
    match i8::try_from(to as i64 - (here as i64 + 2)) {
        Ok(rel) => {
            a.push(0x70 | cc);
            a.push(rel as u8);
            true
        }
        Err(_) => false,
    }
}

/// Condition codes of `ja` and `jne` (x86's `tttn` field).
pub(crate) const JA: u8 = 0x7;
pub(crate) const JNE: u8 = 0x5;

/// `jcc` with condition `cc` to `to`, an offset before this one: in two
/// bytes where it reaches.
fn jcc_back(a: &mut Asm, cc: u8, to: usize) {
    if !jcc_short_back(a, cc, to) {
        let here = a.offset().0;
        let rel = i32::try_from(to as i64 - (here as i64 + 6)).expect("within one block");
        a.push(0x0f);
        a.push(0x80 | cc);
        a.push_i32(rel);
    }
}

/// `rbp += k` (budget), with a one-byte immediate where it fits.
fn budget(a: &mut Asm, k: i32) {
    match i8::try_from(k) {
        Ok(b) => dynasm!(a; .arch x64; add rbp, BYTE b),
        Err(_) => dynasm!(a; .arch x64; add rbp, k),
    }
}

/// The block ends after a helper call whose result was 0 (else the thunk
/// left already, the budget settled):
/// through the shared code at `after` (`after_helper_end`) when blocks may
/// chain, else by returning to Rust.
fn end_after_helper(a: &mut Asm, base: usize, chain: bool, after: usize) {
    if chain {
        rel32(a, base, after, 0xe9);
    } else {
        dynasm!(a; .arch x64; ret);
    }
}

/// After a helper that ended a block that chains (its result in `eax`; the
/// budget settled): return to Rust on `LEAVE`, else go on through
/// `next_common` at `next`. Shared by all such blocks (`prologue`, `after`).
fn after_helper_end(a: &mut Asm, base: usize, next: usize) {
    let leave = a.new_dynamic_label();
    dynasm!(a; .arch x64
        ; cmp eax, helpers::LEAVE as i32
        ; je =>leave
    );
    rel32(a, base, next, 0xe9);
    dynasm!(a; .arch x64
        ; =>leave
        ; ret
    );
}

/// Call `helpers::exec_insn` for instruction `k` of an `n`-instruction
/// block, at `p`, virtual pc `pc`, through the helper thunk at `thunk`.
/// Leaves the helper's result in `eax`. `base`: the block's address.
fn call_helper(a: &mut Asm, base: usize, thunk: usize, p: *const Insn, pc: u64, n: i32, k: usize) {
    let ahead = n - k as i32; // this instruction and the ones after it
    regs::mov_imm(a, regs::RCX, pc);
    debug_assert!((1..=u8::MAX as i32).contains(&ahead));
    dynasm!(a; .arch x64
        ; mov rax, QWORD p as i64
        ; mov dl, ahead as i8
    );
    rel32(a, base, thunk, 0xe8);
}

/// `call rel32` (`op` 0xe8) or `jmp rel32` (0xe9) to address `to`, from
/// code assembled for address `base` (dynasm has no absolute targets on
/// x64). Always in reach: the prologue is in the same code buffer, which
/// is at most 1 GiB (`Jit::with_code_size`).
pub(crate) fn rel32(a: &mut Asm, base: usize, to: usize, op: u8) {
    let next = (base + a.offset().0 + 5) as i64;
    let rel = i32::try_from(to as i64 - next).expect("the code buffer is at most 1 GiB");
    a.push(op);
    a.push_i32(rel);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct jumps are `jmp rel32`, or for a branch's taken side the
    /// `jcc rel32` itself (patched in place by `lib.rs`), whose displacement
    /// starts out pointing at their exit stub; jumps leaving the page are
    /// not sites.
    const ENV: Env = Env {
        chain: true,
        loops: true,
        fp: None,
        direct: None,
        thunk: 0x10_0000,
        exit: 0x10_0000,
        after: 0x10_0000,
        refill: 0x10_0000,
    };

    #[test]
    fn direct_jumps_are_patchable_rel32() {
        let pa = 0x8000_0100;
        // beq a0, a1, -8 (taken); falls through to +4.
        let insns = [cpu_riscv::decode::decode(0xfeb50ce3)];
        let out = block(&insns, insns.as_ptr(), At { pa, vpc: 0x1000_0100, second: None }, 0x10_0000, ENV, &[]);
        assert_eq!(out.sites.len(), 2);
        for s in &out.sites {
            if s.pa < pa {
                assert_eq!(out.code[s.at - 2..s.at], [0x0f, 0x84], "je rel32");
            } else {
                assert_eq!(out.code[s.at - 1], 0xe9, "jmp rel32");
            }
            let rel = i32::from_le_bytes(out.code[s.at..s.at + 4].try_into().unwrap());
            assert_eq!(s.at as i64 + 4 + i64::from(rel), s.stub.unwrap() as i64);
        }
        let mut to: Vec<(u64, u64)> = out.sites.iter().map(|s| (s.pa, s.vpc)).collect();
        to.sort();
        assert_eq!(to, [(pa - 8, 0x1000_00f8), (pa + 4, 0x1000_0104)]);
        // jal x0, -0x200: leaves the page, so it is looked up.
        let insns = [cpu_riscv::decode::decode(0xe01ff06f)];
        let out = block(&insns, insns.as_ptr(), At { pa, vpc: 0x1000_0100, second: None }, 0x10_0000, ENV, &[]);
        assert!(out.sites.is_empty());
    }

    #[test]
    fn entries_are_aligned_and_the_padding_traps() {
        // addi a0, a0, 1 at each base: the entry starts a 32-byte block.
        let insns = [cpu_riscv::decode::decode(0x0015_0513)];
        for base in [0x10_0000, 0x10_0001, 0x10_001f, 0x10_0021] {
            let at = At { pa: 0x8000_0000, vpc: 0x8000_0000, second: None };
            let out = block(
                &insns,
                insns.as_ptr(),
                at,
                base,
                Env { thunk: base, exit: base, after: base, refill: base, ..ENV },
                &[],
            );
            assert!((base + out.start).is_multiple_of(BLOCK_ALIGN), "base {base:#x}");
            // What comes before the entry ends in a jump, then int3 up to it.
            let pad = out.code[..out.start].iter().rev().take_while(|&&b| b == 0xcc).count();
            assert!(pad < BLOCK_ALIGN);
            assert_eq!(out.code[out.start - pad - 5], 0xe9, "jmp rel32 before the padding");
        }
    }
}
