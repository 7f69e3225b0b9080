//! The x86-64 JIT: translates guest blocks (the decoder's `Insn`s, with the
//! interpreter's block boundaries) to host code with dynasmrt and runs them
//! in place of the interpreter, as a `cpu_riscv::Engine` (`Cpu::set_engine`).
//!
//! What is generated inline (see issue 4 for the whole design, and
//! `translate/mod.rs` for the register conventions):
//! - integer register-register and register-immediate operations (RV64I, M),
//!   with nine guest registers in host registers for the whole run: by
//!   default sp, ra, a0-a5 and s0, then the program's most used (`Pinning`,
//!   chosen from the registers of the blocks found running when the run
//!   loop's slices end; a new choice flushes the code);
//! - loads and stores through the software TLB's fast path (one compare and
//!   one add of a host addend, as `Cpu::load`/`Cpu::store` on a hit);
//! - F and D operations with SSE where the result and flags are certain
//!   (`translate/fp.rs`);
//! - branches and jumps, ending the block: a direct target in the same page
//!   is a `jmp rel32` patched to its block once translated (and back to an
//!   exit stub when that block is dropped); other targets (`jalr`, other
//!   pages) go through a jump cache indexed by virtual pc, looked up from
//!   generated code.
//!
//! Every other instruction, and every slow case of the above, calls its
//! interpreter handler (`helpers.rs`), so all of RV64GC runs with the
//! interpreter's semantics and precise traps. Blocks are keyed by the
//! physical address and the virtual pc of their first instruction (code uses
//! the pc as a constant), and by the FP state if they have FP fast paths
//! (checked on entry), and a block that runs on into the next virtual page
//! by the physical page it found there, which its code checks on every
//! entry through the fetch TLB (so chained jumps and the jump cache may
//! lead to it); everything else state-dependent runs in handlers,
//! is checked at run time, or goes through the TLB, which `cpu-riscv`
//! flushes. Writes to translated code are reported by `cpu-riscv`
//! (`Cpu::take_dropped_code`): the block ends after the writing instruction,
//! and the blocks written are dropped and unchained before the next one runs.

mod buffer;
mod disas;
mod guard;
mod helpers;
mod info;
pub mod lockstep;
pub mod perfmap;
#[cfg(feature = "testprog")]
pub mod testprog;
mod translate;

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ptr::NonNull;
use std::time::Instant;

use cpu_riscv::dlog::{LOG_CPU, LOG_EXEC, LOG_OUT_ASM};
use cpu_riscv::engine::{DirectReads, TLB_BANKS};
use cpu_riscv::{Cpu, Engine, Insn};

use buffer::CodeBuffer;
use perfmap::PerfMap;
pub use translate::Pinning;
use translate::{Context, FpMode, Tail};

/// Default size of the code buffer.
pub const DEFAULT_CODE_SIZE: usize = 64 << 20;
/// Room a new pinning's code starts in after the old code (`Jit::restart`);
/// with less left, it starts at the buffer's start.
const RESTART_ROOM: usize = 64 << 10;

/// Runs of a block in the interpreter before it is translated (the default
/// of `Jit::set_hot_threshold`). Translating a block of cold OS code costs
/// about as much as ninety interpreted runs of it (decoding included), so
/// code that runs only a few times (start-up, initialisation, generated
/// run-once code) is cheaper to interpret, as tiered JITs do; QEMU
/// translates everything on first use. Measured on the Linux boot (host
/// instructions, callgrind): 8 runs 364.6M, 16 351.7M, 32 352.0M, 64 364.7M;
/// long-running images pay the extra interpreted runs once per block
/// (intmix +0.16% at 16).
pub const HOT_THRESHOLD: u32 = 16;

/// The trampoline's signature: `(cpu, block code, context) -> budget left`.
/// Not `-unwind`: nothing may unwind out of generated code (no unwind info);
/// helpers catch panics and `exec_block` resumes them after it returns.
type EntryFn = unsafe extern "sysv64" fn(*mut Cpu, usize, *const Context) -> u64;

#[derive(Clone, Copy)]
struct Block {
    /// Virtual pc the block was translated for.
    vpc: u64,
    /// Host address of the code's one entry (from Rust, chained and
    /// looked-up jumps alike).
    addr: usize,
    /// Guest instructions in the block.
    n: u32,
    /// The FP state its code relies on, or `None` if it has no FP fast
    /// paths (and suits every state).
    fp: Option<FpMode>,
    /// The addend of the direct-read window in effect when it was
    /// translated (`Cpu::direct_reads`; `None`: there was none), which its
    /// loads use (its stores too: guarded, or past the write TLB's
    /// check). Its code runs only under that window, with no check on
    /// entry: Rust enters a block only under its own window, and direct
    /// jumps link only blocks of the same window (`Patch::key`); the window
    /// changes only with a TLB flush or bank switch (privilege, MPRV/MPP,
    /// PMP), made in a helper that ends the block and returns to Rust,
    /// which also clears the jump cache.
    direct: Option<u64>,
    /// The physical page its part in the next virtual page was decoded
    /// from, if it runs on into that page: it is valid only while that
    /// page translates there, which its code checks on every entry
    /// (`translate::block`) and Rust before entering it.
    second: Option<u64>,
    /// Its integer register operands (`translate::count_int_regs`), per
    /// instruction, times 64.
    uses: [u16; 32],
    /// Guest registers that must hold sign-extended values on entry
    /// (`translate::Code::round`); else its code sends Rust back here, and
    /// the interpreter runs it.
    round: u32,
}

/// Translation statistics over the whole run (the report, QEMU's `info
/// jit`, is `Engine::info`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Blocks translated.
    pub translated: u64,
    /// Guest instructions translated.
    pub guest_insns: u64,
    /// Host code bytes generated.
    pub code_bytes: u64,
    /// Times the whole code buffer was flushed: it was full, or the
    /// pinned registers changed.
    pub buffer_flushes: u64,
    /// Blocks dropped because their code was written, or by a reset.
    pub invalidated: u64,
    /// Blocks run in the interpreter (not yet hot, device memory, an
    /// instruction straddling into a page that is not plain RAM, budget
    /// shorter than the block).
    pub interpreted: u64,
    /// Direct jumps patched to lead to a translated block.
    pub chained: u64,
    /// Guest code bytes translated.
    pub guest_bytes: u64,
    /// Most guest instructions in a block.
    pub max_block_insns: u64,
    /// Blocks translated that run on into the next virtual page.
    pub cross_page: u64,
    /// Cross-page blocks dropped because their second virtual page no
    /// longer translated to the physical page they were decoded from.
    pub remapped: u64,
    /// Time spent translating (decoding, generating, logging), in ns.
    pub translate_ns: u64,
    /// Times Rust entered generated code (each run of chained blocks).
    pub entered: u64,
    /// Conditional branches translated as selects, without a jump
    /// (`translate::select`).
    pub selects: u64,
    /// Blocks looping to their own start, going round past the entry
    /// (`translate::jump::Round`).
    pub self_loops: u64,
    /// Blocks looping to their own start with W results left unextended
    /// round the loop (`translate::sext`), and times such a block was
    /// entered with one of them not sign-extended (the interpreter ran it).
    pub round_loops: u64,
    pub round_unextended: u64,
    /// Side exits that do the short block they lead to themselves
    /// (`translate::Tail`).
    pub threaded: u64,
    /// Loops that keep registers of the `Hart` in host registers while
    /// they go round (a pinning of their own).
    pub loop_pinned: u64,
    /// Loops that check their accesses from some base registers once per
    /// entry, not every round (`translate::mem::hoist`), and those bases.
    pub hoisting_loops: u64,
    pub hoisted_bases: u64,
    /// Times the pinned registers changed (each flushing all code).
    pub repinned: u64,
    /// Guarded stores that faulted (to a page holding code) and went to
    /// their slow path (`guard`).
    pub guard_faults: u64,
    /// Whether stores under the direct-read window are guarded now.
    pub store_guard: bool,
}

/// The instruction arrays of translated blocks, which helpers read through
/// raw pointers baked into the code; freed only with the code.
struct InsnArena(Vec<NonNull<[Insn]>>);

impl InsnArena {
    /// Keep `insns`; the returned pointer stays valid until `clear`.
    fn add(&mut self, insns: Box<[Insn]>) -> *const Insn {
        let p = NonNull::from(Box::leak(insns));
        self.0.push(p);
        p.as_ptr() as *const Insn
    }

    fn clear(&mut self) {
        for p in self.0.drain(..) {
            // SAFETY: every pointer came from `Box::leak` in `add` and is
            // freed once, here; the caller guarantees no code using it runs again.
            drop(unsafe { Box::from_raw(p.as_ptr()) });
        }
    }
}

impl Drop for InsnArena {
    fn drop(&mut self) {
        self.clear();
    }
}

// SAFETY: the arena owns its arrays exclusively (as a `Vec<Box<[Insn]>>`
// would); `Insn` is plain data.
unsafe impl Send for InsnArena {}

/// A direct jump in generated code to a block that may be translated.
#[derive(Clone, Copy)]
struct Patch {
    /// The target's virtual pc.
    vpc: u64,
    /// Host address of the jump's displacement, and of its exit stub.
    at: usize,
    stub: usize,
    /// Where it leads now: `stub` or a block's code.
    to: usize,
    /// The direct-read window of the block it is in (`Block::direct`):
    /// it may lead only to blocks of the same.
    key: Option<u64>,
}

pub struct Jit {
    /// The shared code (`Shared`) for the pinning in use, then blocks; the
    /// code of earlier pinnings, dropped, before them.
    code: CodeBuffer,
    /// The trampoline and the code blocks jump to, for the pinning in use.
    shared: Shared,
    /// Translated blocks by physical address (usually one virtual pc each).
    blocks: HashMap<u64, Vec<Block>, BuildHasherDefault<PaHasher>>,
    insns: InsnArena,
    /// Jump caches for indirect jumps and jumps leaving the page, one per
    /// TLB bank (`Cpu::tlb_bank`): entry `translate::jump_cache_index(vpc)`
    /// of bank b's holds `(vpc, code)` of a block translated for the state
    /// of bank b, or `(translate::jump_cache_empty(i), ..)`, and `cache_pa` the same entry's
    /// block's physical address. Read by generated code (hence `Cell`:
    /// written only between runs). Its entries hold while the translation
    /// of `vpc` to `pa` does: until the TLB's generation
    /// (`cache_generation`) changes. Privilege changes switch caches.
    cache: Box<[[Cell<u64>; 2]]>,
    cache_pa: Box<[[Cell<u64>; 1]]>,
    /// Entries filled since the cache was last cleared (all of them if this
    /// is full), so that clearing, which comes with every TLB flush, is cheap.
    cache_filled: Vec<u16>,
    cache_generation: u64,
    /// Target physical address -> the direct jumps to it.
    incoming: HashMap<u64, Vec<Patch>, BuildHasherDefault<PaHasher>>,
    stats: Stats,
    /// Whether jumps may be chained (off for `-accel lockstep`, which
    /// compares one block at a time).
    chain: bool,
    /// The blocks in the code buffer, for the report.
    tbs: info::BufferTbs,
    /// `-perfmap`: where each block's code is named for perf.
    perfmap: Option<Box<PerfMap>>,
    /// Interpreted runs before translation; see `HOT_THRESHOLD`.
    hot: u32,
    /// Runs so far of blocks not yet translated that the interpreter has
    /// not decoded (`Cpu::block_hot`), by physical address.
    cold: HashMap<u64, u32, BuildHasherDefault<PaHasher>>,
    /// The guest registers all code in the buffer keeps in host registers.
    pinning: Pinning,
    /// Whether the pinning follows the program (`set_pinning` fixes it).
    adaptive: bool,
    /// Register operands of the blocks found running at the end of a
    /// slice (`sample`), halved at every look.
    uses: [u64; 32],
    /// Samples since the last look, and samples between looks (doubled
    /// after every change of pinning, so that a program whose use
    /// shifts back and forth does not flush all the time).
    samples: u32,
    look_every: u32,
    /// A better pinning found, made at the next `exec_block`.
    repin: Option<Pinning>,
    /// Whether to guard stores (`set_store_guard`), and whether the `Cpu`
    /// was asked to yet.
    guard: bool,
    guard_asked: bool,
    /// Guarded stores in the buffer: (store address, slow path address),
    /// in address order (the buffer fills upwards).
    guard_sites: Vec<(usize, usize)>,
    /// This thread's guard faults when the guard went on (`guard::faults`).
    guard_faults_base: u64,
}

/// Faults allowed beyond one per block translated before stores stop being
/// guarded: a store that faults and overwrites code costs about what
/// translating it again does, but one that keeps faulting on data next to
/// code (a page holding both) costs a signal each time, far more than the
/// check it saves.
const GUARD_FAULT_ALLOWANCE: u64 = 1024;

/// Samples of running code (one per slice that ends in generated code)
/// before the first look at the pinning, and at most between two looks:
/// the first look comes after about 16 ms with the machine's slices of at
/// most a millisecond, the last ones 2 s apart.
const FIRST_LOOK: u32 = 16;
const LAST_LOOK: u32 = 1 << 11;

impl Jit {
    /// A JIT with the default code buffer size.
    pub fn new() -> std::io::Result<Jit> {
        Jit::with_code_size(DEFAULT_CODE_SIZE)
    }

    /// A JIT whose code buffer holds `bytes` (at least 64 KiB, so that the
    /// largest block fits; at most 1 GiB, so that blocks reach the prologue
    /// with 32-bit displacements: `translate::rel32`).
    pub fn with_code_size(bytes: usize) -> std::io::Result<Jit> {
        let bytes = bytes.clamp(64 << 10, 1 << 30);
        let mut buffer = CodeBuffer::new(bytes)?;
        // A benchmarking knob (`benches/layouts.sh`), not for normal runs.
        if let Some(seed) = std::env::var("TERN_JIT_LAYOUT_SEED").ok().and_then(|v| v.parse().ok()) {
            buffer.set_layout_seed(seed);
        }
        let shared = Shared::install(&mut buffer, Pinning::DEFAULT)?;
        Ok(Jit {
            code: buffer,
            shared,
            blocks: HashMap::default(),
            insns: InsnArena(Vec::new()),
            cache: {
                let c = zeroed_cells(TLB_BANKS << translate::JUMP_CACHE_BITS);
                for bank in 0..TLB_BANKS {
                    let i = bank << translate::JUMP_CACHE_BITS;
                    c[i][0].set(translate::jump_cache_empty(i));
                }
                c
            },
            cache_pa: zeroed_cells(TLB_BANKS << translate::JUMP_CACHE_BITS),
            cache_filled: Vec::new(),
            cache_generation: 0,
            incoming: HashMap::default(),
            stats: Stats::default(),
            chain: true,
            tbs: info::BufferTbs::default(),
            perfmap: None,
            hot: HOT_THRESHOLD,
            cold: HashMap::default(),
            pinning: Pinning::DEFAULT,
            // A measurement hook: the default pinning for good, so that
            // counts of host instructions (callgrind) repeat exactly (the
            // adaptive choice follows samples taken where slices end, which
            // the run loop's alarm moves).
            adaptive: std::env::var_os("TERN_JIT_FIXED_PINNING").is_none(),
            uses: [0; 32],
            samples: 0,
            look_every: FIRST_LOOK,
            repin: None,
            guard: std::env::var_os("TERN_JIT_NO_STORE_GUARD").is_none(),
            guard_asked: false,
            guard_sites: Vec::new(),
            guard_faults_base: 0,
        })
    }

    /// Keep guest registers `p` in host registers from now on, for good
    /// (no choosing by use: tests run code under chosen pinnings). Only
    /// between blocks: flushes all code.
    pub fn set_pinning(&mut self, cpu: &mut Cpu, p: Pinning) -> std::io::Result<()> {
        self.adaptive = false;
        self.repin_now(cpu, p)
    }

    /// The guest registers kept in host registers now.
    pub fn pinning(&self) -> Pinning {
        self.pinning
    }

    /// Start afresh with pinning `p`: every block is dropped, and the
    /// trampoline and helper thunk, which store and load the pinned
    /// registers, are generated anew for it.
    fn repin_now(&mut self, cpu: &mut Cpu, p: Pinning) -> std::io::Result<()> {
        self.restart(cpu, p, false)?;
        self.stats.repinned += 1;
        Ok(())
    }

    /// Drop every block and install the shared code for pinning `p`: at
    /// the buffer's start with `from_start` (it is full), else after the
    /// code there is. New code does not reuse addresses until the buffer
    /// fills: `perf` names code by the first line of the map that covers
    /// its address (perf 6.1), so a block over an old one's bytes would
    /// have its samples named after the old one (`-perfmap`).
    fn restart(&mut self, cpu: &mut Cpu, p: Pinning, from_start: bool) -> std::io::Result<()> {
        self.flush(cpu);
        if from_start || !self.code.fits(RESTART_ROOM) {
            self.code.clear();
        }
        self.shared = Shared::install(&mut self.code, p)?;
        if let Some(map) = &mut self.perfmap {
            let (addr, size) = self.shared.tramp_range;
            map.add(addr, size, perfmap::PROLOGUE_NAME);
        }
        self.pinning = p;
        Ok(())
    }

    /// Count the registers of the block at `pc` (where a slice ended: a
    /// sample of where time goes) and now and then see whether
    /// another pinning would keep clearly more of the uses in host
    /// registers (a twentieth of them: changing flushes all code).
    fn sample(&mut self, cpu: &mut Cpu) {
        let pc = cpu.hart.pc;
        let Some(pa) = cpu.fetch_phys_cached(pc) else { return };
        let Some(b) = self.blocks.get(&pa).and_then(|v| v.iter().find(|b| b.vpc == pc)) else { return };
        for (u, &k) in self.uses.iter_mut().zip(&b.uses) {
            *u += u64::from(k);
        }
        self.samples += 1;
        if self.samples < self.look_every {
            return;
        }
        self.samples = 0;
        let best = self.pinning.best_for(&self.uses);
        let total: u64 = self.uses.iter().sum();
        let gain = self.pinning.unpinned_uses(&self.uses).saturating_sub(best.unpinned_uses(&self.uses));
        if gain * 20 > total {
            self.repin = Some(best);
            self.look_every = (self.look_every * 2).min(LAST_LOOK);
        }
        for u in &mut self.uses {
            *u /= 2;
        }
    }

    /// Interpret a block this many times before translating it (0:
    /// translate on first use, as tests comparing with the interpreter need).
    pub fn set_hot_threshold(&mut self, runs: u32) {
        self.hot = runs;
    }

    /// Allow (default) or forbid chaining of newly translated blocks: without
    /// it, each `exec_block` runs exactly one block.
    pub fn set_chaining(&mut self, on: bool) {
        self.chain = on;
    }

    /// Whether stores under the direct-read window may be guarded
    /// (`cpu_riscv::engine::DirectReads::guarded`; on by default), from the
    /// next `exec_block`.
    pub fn set_store_guard(&mut self, on: bool) {
        self.guard = on;
        self.guard_asked = false;
    }

    /// Ask the `Cpu` for guarded stores as `self.guard` says, and give them
    /// up when they fault too often.
    fn steer_guard(&mut self, cpu: &mut Cpu) {
        if !self.guard_asked {
            self.guard_asked = true;
            let on = self.guard && guard::install();
            cpu.set_store_guard(on);
        }
        // The `Cpu` also turns it off itself (a page it could not protect).
        let on = cpu.store_guard();
        if on && !self.stats.store_guard {
            self.guard_faults_base = guard::faults();
        }
        self.stats.store_guard = on;
        if on {
            // Counted per thread (saturating, should the `Jit` move to another).
            self.stats.guard_faults = guard::faults().saturating_sub(self.guard_faults_base);
            if guard::faults() >= self.guard_limit() {
                self.guard = false;
                cpu.set_store_guard(false);
                self.stats.store_guard = false;
            }
        }
    }

    /// This thread's fault count at which the guard is given up
    /// (`GUARD_FAULT_ALLOWANCE`; never while it is off).
    fn guard_limit(&self) -> u64 {
        match self.stats.store_guard {
            true => self.guard_faults_base + GUARD_FAULT_ALLOWANCE + self.stats.translated,
            false => u64::MAX,
        }
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Name the trampoline and, from now on, each translated block in `map`
    /// (`-perfmap`).
    pub fn set_perfmap(&mut self, mut map: PerfMap) {
        let (addr, size) = self.shared.tramp_range;
        map.add(addr, size, perfmap::PROLOGUE_NAME);
        self.perfmap = Some(Box::new(map));
    }

    /// Bytes of code buffer used by the blocks there are (translated since
    /// the last flush) and its capacity for them: as QEMU's
    /// `tcg_code_size`/`tcg_code_capacity`, without the prologue.
    pub fn code_usage(&self) -> (usize, usize) {
        let (at, prologue) = self.shared.tramp_range;
        (self.code.next_addr() - (at + prologue), self.code.capacity() - prologue)
    }

    /// Forget every block (the buffer is full, or a new pinning); the code
    /// buffer is left to `restart`. Only between blocks.
    fn flush(&mut self, cpu: &mut Cpu) {
        self.blocks.clear();
        self.insns.clear();
        self.guard_sites.clear();
        self.clear_cache();
        self.incoming.clear();
        cpu.forget_engine_code();
        self.stats.buffer_flushes += 1;
        self.tbs = info::BufferTbs::default();
    }

    /// Let generated code find block `b` (at physical `pa`) by its virtual pc.
    fn cache_put(&mut self, b: &Block, pa: u64, bank: usize) {
        let i = cache_slot(bank, b.vpc);
        let e = &self.cache[i];
        // An entry in use since the last clear is on the list already.
        if e[0].get() == translate::jump_cache_empty(i) && self.cache_filled.len() < self.cache.len() {
            self.cache_filled.push(i as u16);
        }
        e[0].set(b.vpc);
        e[1].set(b.addr as u64);
        self.cache_pa[i][0].set(pa);
    }

    /// Forget the jump cache's entry for block `b` at `pa`, if it has one.
    fn cache_remove(&self, b: &Block, pa: u64) {
        for bank in 0..TLB_BANKS {
            let i = cache_slot(bank, b.vpc);
            let e = &self.cache[i];
            if e[0].get() == b.vpc && self.cache_pa[i][0].get() == pa {
                e[0].set(translate::jump_cache_empty(i));
            }
        }
    }

    fn clear_cache(&mut self) {
        if self.cache_filled.len() >= self.cache.len() {
            for (i, e) in self.cache.iter().enumerate() {
                e[0].set(translate::jump_cache_empty(i));
            }
        } else {
            for &i in &self.cache_filled {
                let i = usize::from(i);
                self.cache[i][0].set(translate::jump_cache_empty(i));
            }
        }
        self.cache_filled.clear();
    }

    /// Point the direct jumps to `pa` back at their exit stubs.
    fn unchain(&mut self, pa: u64) {
        for p in self.incoming.get_mut(&pa).into_iter().flatten() {
            // Patching stays inside the buffer; it cannot fail on an RWX
            // mapping, and a failed mprotect loses the buffer for good.
            let _ = self.code.patch_jump(p.at, p.stub);
            p.to = p.stub;
        }
    }

    /// Point the direct jumps to `b`'s pc (at physical `pa`) from blocks of
    /// its direct-read window at `b`, the block for the state there is now:
    /// jumps chained to a block for another FP mode would leave on its
    /// entry check, every time.
    fn chain_to(&mut self, pa: u64, b: &Block) {
        for p in self.incoming.get_mut(&pa).into_iter().flatten().filter(|p| p.vpc == b.vpc && p.key == b.direct) {
            let to = b.addr;
            if p.to != to && self.code.patch_jump(p.at, to).is_ok() {
                p.to = to;
                self.stats.chained += 1;
            }
        }
    }

    /// Drop blocks whose code was written since the last look, and the
    /// chained jumps into them.
    fn drop_written(&mut self, cpu: &mut Cpu) {
        let d = cpu.take_dropped_code();
        if d.all {
            self.stats.invalidated += self.blocks.values().map(|v| v.len() as u64).sum::<u64>();
            self.blocks.clear();
            self.clear_cache();
            let pas: Vec<u64> = self.incoming.keys().copied().collect();
            for pa in pas {
                self.unchain(pa);
            }
        }
        for pa in d.blocks {
            if let Some(v) = self.blocks.remove(&pa) {
                self.stats.invalidated += v.len() as u64;
                for b in &v {
                    self.cache_remove(b, pa);
                }
                self.unchain(pa);
            }
        }
    }

    /// Forget the cross-page block `b` at `pa` (and any other for its pc
    /// and second page): its second virtual page now translates elsewhere.
    /// Jumps chained to it stay: its code's entry check sends them back to
    /// Rust until a new block for the pc is translated and takes them over.
    fn drop_remapped(&mut self, pa: u64, b: &Block) {
        self.cache_remove(b, pa);
        if let Some(v) = self.blocks.get_mut(&pa) {
            let before = v.len();
            v.retain(|o| o.vpc != b.vpc || o.second != b.second);
            self.stats.remapped += (before - v.len()) as u64;
        }
    }

    /// The block at `pa` for `vpc` translated under direct-read window
    /// `key` (`Block::direct`) whose code suits FP state `fp` (see
    /// `translate::FpMode`; `None`: any FP state).
    fn find(&self, pa: u64, vpc: u64, key: Option<u64>, fp: Option<FpMode>) -> Option<Block> {
        let suits = |b: &&Block| b.vpc == vpc && b.direct == key && (fp.is_none() || b.fp.is_none() || b.fp == fp);
        self.blocks.get(&pa)?.iter().find(suits).copied()
    }

    /// Translate the block at physical `pa` (virtual `pc`) for FP state
    /// `fp`. `None` if it must run in the interpreter.
    fn translate(&mut self, cpu: &mut Cpu, pc: u64, pa: u64, fp: FpMode, direct: Option<DirectReads>) -> Option<Block> {
        let decoded = cpu.decode_block(pc, pa);
        let second = decoded.second;
        let insns: Box<[Insn]> = decoded.insns.into_boxed_slice();
        if insns.is_empty() {
            return None;
        }
        // Chained jumps, and a block going round by itself, would skip the
        // per-block `-d exec` lines. Without chaining (`-accel lockstep`:
        // its oracle replays as many instructions as the block ran) a block
        // still may.
        let loops = cpu.dlog.mask & (LOG_EXEC | LOG_CPU) == 0;
        let chaining = self.chain && loops;
        let n = insns.len();
        // Room for the code, else start afresh.
        if !self.code.fits(512 * n + 1024) {
            // A failed mprotect loses the buffer; nothing runs in it then.
            self.restart(cpu, self.pinning, true).ok()?;
            // The flush forgot the range just registered: register it again.
            cpu.decode_block(pc, pa);
        }
        let ptr = self.insns.add(insns);
        // SAFETY: `ptr` points to the `n` instructions just added to the arena.
        let insns = unsafe { std::slice::from_raw_parts(ptr, n) };
        let tails = if loops { tails_of(cpu, pa, insns) } else { Vec::new() };
        let base = self.code.next_addr();
        let fp = translate::uses_fp_mode(insns).then_some(fp);
        let at = translate::At { pa, vpc: pc, second: second.map(|p2| (next_page(pc), p2)) };
        let env = translate::Env {
            chain: chaining,
            loops,
            fp,
            direct,
            thunk: if chaining { self.shared.thunk } else { self.shared.thunk_unchained },
            exit: self.shared.exit,
            after: self.shared.after,
            refill: self.shared.refill,
        };
        let out = translate::with_pinning(self.pinning, || translate::block(insns, ptr, at, base, env, &tails));
        if !self.code.fits(out.code.len()) {
            return None; // cannot happen with the reserve above; the interpreter runs it
        }
        let addr = self.code.append(&out.code).ok()?;
        if cpu.dlog.enabled(LOG_OUT_ASM) {
            self.log_out_asm(cpu, &out.code, addr);
        }
        if let Some(map) = &mut self.perfmap {
            map.add_block(addr, out.code.len(), pc);
        }
        self.guard_sites.extend(out.guarded.iter().map(|&(at, slow)| (addr + at, addr + slow)));
        let mut counts = [0; 32];
        for i in insns {
            translate::count_int_regs(i, &mut counts);
        }
        // Per instruction (at most 3 each): a slice ends in a block about
        // as often as its instructions run, so whole counts would weigh
        // twice by its length.
        let uses = counts.map(|k| (u32::from(k) * 64 / n as u32) as u16);
        let b = Block {
            vpc: pc,
            addr: addr + out.start,
            n: n as u32,
            fp,
            direct: direct.map(|w| w.addend),
            second,
            uses,
            round: out.round,
        };
        self.stats.translated += 1;
        self.stats.cross_page += u64::from(second.is_some());
        self.stats.selects += out.selects;
        self.stats.self_loops += u64::from(out.looping);
        self.stats.round_loops += u64::from(out.round != 0);
        self.stats.threaded += out.threaded;
        self.stats.loop_pinned += u64::from(out.own_pinning);
        self.stats.hoisting_loops += u64::from(out.hoisted > 0);
        self.stats.hoisted_bases += u64::from(out.hoisted);
        self.stats.guest_insns += n as u64;
        self.stats.code_bytes += out.code.len() as u64;
        let guest_bytes: u64 = insns.iter().map(|i| u64::from(i.len)).sum();
        self.stats.guest_bytes += guest_bytes;
        self.stats.max_block_insns = self.stats.max_block_insns.max(n as u64);
        self.tbs.add(pa, guest_bytes, out.code.len() as u64, out.sites.len());
        self.blocks.entry(pa).or_default().push(b);
        // Jumps waiting for this block, then its own (which may lead to itself).
        if chaining {
            self.chain_to(pa, &b);
        }
        // This block's direct jumps, to targets translated already or later.
        for s in &out.sites {
            let Some(stub) = s.stub else { continue };
            let (at, stub, key) = (addr + s.at, addr + stub, b.direct);
            let mut p = Patch { vpc: s.vpc, at, stub, to: stub, key };
            // Any FP state will do: a block for another leaves on entry, and
            // the one Rust finds or translates for it then takes this jump
            // over (`chain_to`).
            if let Some(t) = self.find(s.pa, s.vpc, key, None) {
                if self.code.patch_jump(p.at, t.addr).is_ok() {
                    p.to = t.addr;
                    self.stats.chained += 1;
                }
            }
            self.incoming.entry(s.pa).or_default().push(p);
        }
        Some(b)
    }
}

impl Engine for Jit {
    fn exec_block(&mut self, cpu: &mut Cpu, max: u64) -> u64 {
        // Generated code counts the budget down in a signed register.
        let max = max.min(i64::MAX as u64);
        if let Some(map) = &mut self.perfmap {
            map.tick();
        }
        self.steer_guard(cpu);
        if let Some(p) = self.repin.take() {
            // A failed mprotect loses the buffer; nothing runs in it then.
            if self.repin_now(cpu, p).is_err() {
                return self.interpret(cpu, max);
            }
        }
        if cpu.code_dropped() {
            self.drop_written(cpu);
        }
        let generation = cpu.tlb_generation();
        if generation != self.cache_generation {
            self.clear_cache();
            self.cache_generation = generation;
        }
        let bank = cpu.tlb_bank();
        let pc = cpu.hart.pc;
        // Chained jumps and the jump cache would skip the per-block `-d exec` lines.
        let chaining = self.chain && cpu.dlog.mask & (LOG_EXEC | LOG_CPU) == 0;
        // The block the jump cache holds for `pc`, entered where generated
        // code's lookups enter it: where it checks its second page, the FP
        // state and the budget. If one of those sends it back
        // having run nothing, the long way below sorts it out. (A trap or
        // an xRET returns here every time: this keeps that round trip short.)
        if chaining {
            let e = &self.cache[cache_slot(bank, pc)];
            if e[0].get() == pc {
                let code = e[1].get() as usize;
                let left = self.enter(cpu, code, max, bank);
                if left != max {
                    return max - left;
                }
            }
        }
        let pa = match cpu.fetch_phys(pc) {
            Ok((pa, true)) => pa,
            // Fetch faults and device memory: the interpreter does both.
            _ => return self.interpret(cpu, max),
        };
        let fp = translate::mode_of(&cpu.hart);
        let direct = cpu.direct_reads();
        let mut found = self.find(pa, pc, direct.map(|w| w.addend), Some(fp));
        if let Some(b) = found {
            if b.second.is_some() && second_page(cpu, pc) != b.second {
                self.drop_remapped(pa, &b);
                found = None;
            }
        }
        let b = match found {
            Some(b) => {
                // A block for one state among others: jumps may lead to another.
                if b.fp.is_some() && self.chain {
                    self.chain_to(pa, &b);
                }
                b
            }
            None => {
                if self.hot > 0 {
                    // Counted with the interpreter's decoded block (a table
                    // of our own missed the cache on every interpreted run:
                    // a tenth of this function's time in a Linux boot), else
                    // here: a block not decoded yet, or evicted again and
                    // again by another in its slot.
                    let hot = cpu.block_hot(pa, self.hot).unwrap_or_else(|| {
                        let runs = self.cold.entry(pa).or_insert(0);
                        *runs += 1;
                        *runs > self.hot
                    });
                    if !hot {
                        return self.interpret(cpu, max);
                    }
                    self.cold.remove(&pa);
                }
                let t = Instant::now();
                let b = self.translate(cpu, pc, pa, fp, direct);
                self.stats.translate_ns += t.elapsed().as_nanos() as u64;
                match b {
                    Some(b) => b,
                    None => return self.interpret(cpu, max),
                }
            }
        };
        if !translate::sign_extended(&cpu.hart.x, b.round) {
            self.stats.round_unextended += 1;
            return self.interpret(cpu, max);
        }
        if u64::from(b.n) > max {
            return self.interpret(cpu, max);
        }
        // Fetch translated `pc` to `pa` just now, in this TLB generation.
        if chaining {
            self.cache_put(&b, pa, bank);
        }
        cpu.log_block_exec(pc);
        max - self.enter(cpu, b.addr, max, bank)
    }

    fn stats(&self) -> Vec<(&'static str, u64)> {
        let s = &self.stats;
        vec![
            ("translated", s.translated),
            ("guest_insns", s.guest_insns),
            ("code_bytes", s.code_bytes),
            ("code_used", self.code.used() as u64),
            ("code_capacity", self.code.capacity() as u64),
            ("buffer_flushes", s.buffer_flushes),
            ("invalidated", s.invalidated),
            ("interpreted", s.interpreted),
            ("chained", s.chained),
            ("guest_bytes", s.guest_bytes),
            ("max_block_insns", s.max_block_insns),
            ("cross_page", s.cross_page),
            ("remapped", s.remapped),
            ("translate_ns", s.translate_ns),
            ("entered", s.entered),
            ("selects", s.selects),
            ("self_loops", s.self_loops),
            ("round_loops", s.round_loops),
            ("round_unextended", s.round_unextended),
            ("threaded", s.threaded),
            ("loop_pinned", s.loop_pinned),
            ("hoisting_loops", s.hoisting_loops),
            ("hoisted_bases", s.hoisted_bases),
            ("repinned", s.repinned),
            ("guard_faults", s.guard_faults),
            ("store_guard", u64::from(s.store_guard)),
        ]
    }

    fn info(&self) -> Option<String> {
        Some(info::report(self))
    }
}

impl Jit {
    /// `-d out_asm`: the block just appended at `addr` (the trampoline first,
    /// as QEMU logs its prologue).
    #[cold]
    fn log_out_asm(&mut self, cpu: &mut Cpu, code: &[u8], addr: usize) {
        if let Some(tramp) = self.shared.code.take() {
            write!(cpu.dlog, "{}", disas::dump("PROLOGUE", &tramp, self.shared.tramp_range.0 as u64));
        }
        write!(cpu.dlog, "{}", disas::dump("OUT", code, addr as u64));
    }

    /// Run generated code from `code` (a block's entry) with budget `max`,
    /// under TLB bank `bank` (the current one); returns the budget left.
    fn enter(&mut self, cpu: &mut Cpu, code: usize, max: u64, bank: usize) -> u64 {
        cpu.begin_block();
        self.stats.entered += 1;
        let ctx = Context {
            tlb: cpu.tlb_base(),
            budget: max,
            exit_flag: cpu.exit_request.as_ptr(),
            cache: self.cache[bank << translate::JUMP_CACHE_BITS..].as_ptr().cast(),
            cache0: self.cache.as_ptr().cast(),
        };
        guard::set_sites(&self.guard_sites, self.guard_limit());
        // The one pointer to the `Cpu` for the whole run, derived once from
        // the exclusive `cpu`, which is not used again until the call returns.
        let cp: *mut Cpu = cpu;
        // SAFETY: `code` is in a block in the code buffer, generated by
        // `translate::block` for the trampoline's conventions, and not
        // flushed (flushes happen only between runs); so are the blocks
        // chained from it and those in the jump cache. The code reaches
        // the hart at `cp + offset_of!(Cpu, hart)` and calls helpers with
        // `cp` itself, which reborrow `&mut Cpu` from it only for the call
        // (`helpers.rs`), while generated code waits: so every access
        // derives from `cp` and none overlaps a live reference. The
        // context's pointers are root pointers of allocations that helpers
        // never replace: the TLB (`Cpu::tlb_base`, read only by the code),
        // the exit flag (an atomic) and the jump caches (`Cell`s, written
        // only between runs; after a privilege change generated code takes
        // the new bank's TLB and cache from `Cpu::next`, which `Cpu::go_on`
        // derives the same way). Generated code accesses RAM only at
        // host addresses the TLB or the direct-read window vouch for (pages
        // wholly in RAM, which never moves while the `Cpu` lives: see
        // `cpu_riscv::Ram`; a store under the window writes there only after
        // a write TLB hit for the same page, or, guarded, to RAM's guarded
        // mapping, whose pages holding code are read-only: such a store
        // faults before writing and `guard`'s handler resumes it at its slow
        // path, with the registers as the fast path left them).
        let left = unsafe { (self.shared.entry)(cp, code, &ctx) };
        // The sites may move or go once generated code is not running.
        guard::clear_sites();
        // A helper panicked: generated code has left; go on with the panic here.
        if let Some(p) = helpers::take_panic() {
            std::panic::resume_unwind(p);
        }
        // The slice's budget ran out (less than a block's worth left), or
        // the exit flag was raised (the run loop's alarm, every millisecond
        // at least: `machine::run`), at the block now at pc: a sample of
        // where the time goes.
        let flagged = cpu.exit_request.load(std::sync::atomic::Ordering::Relaxed);
        if self.adaptive && max >= 1 << 12 && (left <= u64::from(u8::MAX) || flagged) {
            self.sample(cpu);
        }
        left
    }

    fn interpret(&mut self, cpu: &mut Cpu, max: u64) -> u64 {
        self.stats.interpreted += 1;
        cpu.interp_block(max)
    }
}

/// `n` arrays of zeroed cells, in fresh memory whose pages cost nothing
/// until used (the jump caches are 384 KiB: 96 page faults at every start
/// if written whole).
fn zeroed_cells<const K: usize>(n: usize) -> Box<[[Cell<u64>; K]]> {
    let b = Box::<[[Cell<u64>; K]]>::new_zeroed_slice(n);
    // SAFETY: all-zero bytes are a valid `u64`, hence a valid `Cell<u64>`
    // (the same in-memory representation) and arrays of them.
    unsafe { b.assume_init() }
}

/// The code blocks rely on (`translate::prologue`), installed in a buffer
/// for one pinning: the trampoline (`entry`) and the addresses of the
/// helper thunks, the common exit, the shared end of blocks after a helper
/// and the budget refill.
struct Shared {
    entry: EntryFn,
    thunk: usize,
    thunk_unchained: usize,
    exit: usize,
    after: usize,
    refill: usize,
    /// The trampoline's code, until `-d out_asm` logs it.
    code: Option<Vec<u8>>,
    /// The trampoline's address and size.
    tramp_range: (usize, usize),
}

impl Shared {
    /// Generate the shared code for pinning `p` at the end of `buffer`.
    fn install(buffer: &mut CodeBuffer, p: Pinning) -> std::io::Result<Shared> {
        let (code, off) = translate::with_pinning(p, || translate::prologue(buffer.next_addr()));
        let addr = buffer.append(&code)?;
        // SAFETY: `addr` is the start of the trampoline just written to
        // executable memory, which has this signature (see
        // `translate::prologue`) and lives until the buffer is dropped or
        // cleared (`Jit::restart`, which installs a new one and
        // replaces this pointer).
        let entry = unsafe { std::mem::transmute::<usize, EntryFn>(addr) };
        Ok(Shared {
            entry,
            thunk: addr + off.thunk,
            thunk_unchained: addr + off.thunk_unchained,
            exit: addr + off.exit,
            after: addr + off.after,
            refill: addr + off.refill,
            tramp_range: (addr, code.len()),
            code: Some(code),
        })
    }
}

/// Code the side exits of block `insns` at physical `pa` may do themselves
/// (`translate::Tail`): in its page, registered as part of the block (all
/// of it, though a branch done as a select copies none: a write there then
/// costs a needless translation, nothing worse).
fn tails_of(cpu: &mut Cpu, pa: u64, insns: &[Insn]) -> Vec<Tail> {
    let mut tails: Vec<Tail> = Vec::new();
    for delta in translate::side_exits(insns) {
        let tpa = pa.wrapping_add(delta as u64);
        if tpa & !0xfff != pa & !0xfff || tails.iter().any(|t| t.delta() == delta) {
            continue;
        }
        if let Some(t) = Tail::of(delta, &cpu.peek_code(tpa, translate::MAX_TAIL)) {
            cpu.add_block_part(pa, tpa, tpa + t.bytes());
            tails.push(t);
        }
    }
    tails
}

/// The virtual page after `pc`'s.
fn next_page(pc: u64) -> u64 {
    (pc & !0xfff).wrapping_add(0x1000)
}

/// The physical page the virtual page after `pc`'s translates to for fetch,
/// if it is plain RAM (as `Cpu::decode_block` requires of a block's second
/// page); fills the fetch TLB entry that cross-page blocks check on entry.
fn second_page(cpu: &mut Cpu, pc: u64) -> Option<u64> {
    match cpu.fetch_phys(next_page(pc)) {
        Ok((pa2, true)) => Some(pa2 & !0xfff),
        _ => None,
    }
}

/// Physical addresses of blocks are spread in their low bits: one multiply,
/// with its high half folded into the low one, is hash enough. (hashbrown
/// takes the bucket from the low bits and a tag from the top 7: both must
/// vary, or every probe compares keys.)
#[derive(Default)]
struct PaHasher(u64);

impl Hasher for PaHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        let h = v.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 32);
    }
}

/// The entry of TLB bank `bank`'s jump cache for virtual pc `vpc`
/// (`Jit::cache`: the banks' caches one after another).
fn cache_slot(bank: usize, vpc: u64) -> usize {
    bank << translate::JUMP_CACHE_BITS | translate::jump_cache_index(vpc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new JIT's jump caches, made from zeroed memory, are empty in every
    /// entry of every bank.
    #[test]
    fn a_new_jump_cache_is_empty_everywhere() {
        let jit = Jit::with_code_size(1 << 20).expect("code buffer");
        assert_eq!(jit.cache.len(), TLB_BANKS << translate::JUMP_CACHE_BITS);
        for (i, e) in jit.cache.iter().enumerate() {
            assert_eq!(e[0].get(), translate::jump_cache_empty(i), "entry {i}");
            assert_eq!(jit.cache_pa[i][0].get(), 0);
        }
    }
}
