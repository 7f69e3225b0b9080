//! The hook through which another execution engine (the JIT, crate `jit`)
//! runs guest blocks in place of the interpreter, and the pieces of the
//! interpreter it builds on. `cpu-riscv` does not depend on the engine: the
//! engine implements `Engine` and is installed with `Cpu::set_engine`.
//!
//! The engine keeps the interpreter's semantics by calling its handlers
//! (`handler`) for every instruction it does not generate code for, and its
//! blocks have the interpreter's boundaries (`Cpu::decode_block`).

use crate::cpu::Cpu;
use crate::dlog::{LOG_CPU, LOG_EXEC, LOG_OUT_ASM};
use crate::insn::Insn;
use crate::mem::PAGE_MASK;
use crate::ops::{Op, HANDLERS};
use crate::trap::Exception;

/// An interpreter handler: executes one instruction per the contract in
/// `exec/mod.rs` (`hart.pc` is its address and `hart.npc == pc + len` on
/// entry; on `Err` nothing architectural changed).
pub type Handler = fn(&mut Cpu, &Insn) -> Result<(), Exception>;

/// The interpreter's handler for `op` (the single source of its semantics).
#[inline(always)]
pub fn handler(op: Op) -> Handler {
    HANDLERS[op as usize]
}

/// The layout of the software TLB (`mem.rs`) for generated fast paths,
/// which must do exactly what `Cpu::load` / `Cpu::store` do on a hit: entry
/// `(vaddr >> 12) % entries` of `read` (or `write`) hits when its `tag`
/// equals `vaddr & (!0xfff | (size - 1))` (so a misaligned access misses),
/// and then the byte is at `vaddr + addend` from the start of RAM, that is
/// at host address `vaddr + host` (RAM's root pointer plus the addend; see
/// `Ram` for why generated code may access it there). A `fetch` entry hits
/// when its `tag` equals `pc & !0xfff`, and then `pc + addend` is the
/// physical address (only plain RAM pages have fetch entries). All offsets
/// are in bytes.
#[derive(Debug, Clone, Copy)]
pub struct TlbLayout {
    pub entries: usize,
    pub entry_size: usize,
    pub tag: usize,
    pub addend: usize,
    pub host: usize,
    pub read: usize,
    pub write: usize,
    pub fetch: usize,
}

/// Where loads may bypass the TLB (`Cpu::direct_reads`): a load of
/// `size` bytes (at any alignment) at virtual address `v` with
/// `v - lo <= len - size` (unsigned) reads the host bytes at `v + addend`,
/// as `Cpu::load` would. Valid until the TLB is flushed or changes bank
/// (privilege, MPRV/MPP, PMP: each ends the block).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectReads {
    pub lo: u64,
    pub len: u64,
    pub addend: u64,
    /// The window is RAM's guarded mapping, where every page holding code
    /// is read-only (`Cpu::set_store_guard`): stores inside it may be done
    /// there with no other check, a store to code faulting.
    pub guarded: bool,
}

impl DirectReads {
    /// The window's length is capped so that `len - size` is a 32-bit
    /// immediate for generated code.
    pub const MAX_LEN: u64 = 0x7fff_0000;
}

/// The TLB layout.
pub const TLB_LAYOUT: TlbLayout = crate::mem::tlb_layout();

/// An execution engine that `Cpu::run` uses in place of the interpreter.
pub trait Engine: Send {
    /// Run the block at `hart.pc`, at most `max` (>= 1) instructions, as the
    /// interpreter's block step does: take a trap raised on the way and
    /// return the work done (instructions retired, plus one if a trap was
    /// taken). `Cpu::run` checks the exit flag, budget and interrupts
    /// between calls.
    fn exec_block(&mut self, cpu: &mut Cpu, max: u64) -> u64;

    /// Named counters for statistics reports.
    fn stats(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }

    /// The statistics report (QEMU's `info jit` text), if the engine has one.
    fn info(&self) -> Option<String> {
        None
    }
}

/// A block decoded for an engine (`Cpu::decode_block`).
#[derive(Debug, Default)]
pub struct DecodedBlock {
    pub insns: Vec<Insn>,
    /// The physical page of the block's part in the next virtual page, if
    /// it runs on into it.
    pub second: Option<u64>,
}

/// The TLB bank generated code goes on with after `Cpu::go_on` (`tlb`:
/// its address, as `Cpu::tlb_base`; `bank`: its number, as `Cpu::tlb_bank`).
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct NextBank {
    pub tlb: u64,
    pub bank: u64,
}

/// Offsets of `NextBank`'s fields from the `Cpu`'s start, for generated code.
pub const NEXT_TLB_IN_CPU: usize = std::mem::offset_of!(Cpu, next) + std::mem::offset_of!(NextBank, tlb);
pub const NEXT_BANK_IN_CPU: usize = std::mem::offset_of!(Cpu, next) + std::mem::offset_of!(NextBank, bank);

/// How many TLB banks there are (`Cpu::tlb_bank`).
pub const TLB_BANKS: usize = crate::mem::BANKS;

/// Code the engine must forget: blocks overwritten since it last asked.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DroppedCode {
    /// Everything was flushed (reset).
    pub all: bool,
    /// Physical start addresses of blocks written to.
    pub blocks: Vec<u64>,
}

impl Cpu {
    /// Install (or with `None` remove) the engine that `run` uses.
    pub fn set_engine(&mut self, engine: Option<Box<dyn Engine>>) {
        self.engine = engine;
    }

    /// The installed engine's counters (empty without one).
    pub fn engine_stats(&self) -> Vec<(&'static str, u64)> {
        self.engine.as_ref().map_or_else(Vec::new, |e| e.stats())
    }

    /// The installed engine's report (`None` without one: the interpreter).
    pub fn engine_info(&self) -> Option<String> {
        self.engine.as_ref().and_then(|e| e.info())
    }

    /// Whether an engine is installed.
    pub fn has_engine(&self) -> bool {
        self.engine.is_some()
    }

    /// Run one block in the interpreter (the engine's fallback for code it
    /// does not translate: device memory, an instruction straddling into a
    /// page that is not plain RAM, a budget shorter than the block). Same contract as `Engine::exec_block`.
    pub fn interp_block(&mut self, max: u64) -> u64 {
        self.exec_block(max)
    }

    /// Count a run of the interpreter's block at physical `pa` toward
    /// translation by an engine: whether it has now run `hot` times (the
    /// count then starts again), `None` if the interpreter has no block
    /// decoded there (it decodes one when it runs it). The count lives
    /// with the decoded block, which the run then reads anyway: no table
    /// of its own to miss in the cache.
    pub fn block_hot(&mut self, pa: u64, hot: u32) -> Option<bool> {
        self.blocks.hot(pa, hot)
    }

    /// The software TLB's bank for the current privilege (layout
    /// `TLB_LAYOUT`), valid as long as the `Cpu`, for generated code to read
    /// while it holds the `Cpu` exclusively and the privilege stays (a
    /// change of privilege ends the block: `block_must_end`). Its entries
    /// change only in `cpu-riscv` code.
    pub fn tlb_base(&mut self) -> *const u8 {
        self.tlb_ptr()
    }

    /// Changes whenever the TLB is flushed (satp, MPRV, SUM/MXR, PMP,
    /// sfence.vma): a mapping from virtual pc to physical address seen
    /// since then in the same bank (`tlb_bank`) still holds.
    pub fn tlb_generation(&self) -> u64 {
        self.tlb.generation
    }

    /// The TLB bank of the current privilege (0..`TLB_BANKS`): translations
    /// are kept per bank, so that privilege changes need not flush them.
    #[inline(always)]
    pub fn tlb_bank(&mut self) -> usize {
        self.select_tlb_bank();
        self.tlb.bank()
    }

    /// Translate `pc` for fetch: the physical address and whether the page
    /// is plain RAM whose code may be cached. Takes no trap.
    #[inline(always)]
    pub fn fetch_phys(&mut self, pc: u64) -> Result<(u64, bool), Exception> {
        self.fetch_pa(pc)
    }

    /// `fetch_phys` as far as the fetch TLB already knows it: `None` on a
    /// miss, where `fetch_phys` would walk the page table (and might set
    /// an A bit, which must not happen for a fetch that is not made:
    /// Privileged spec 4.3.1, PTE updates are exact). For engines that
    /// only want to know where code runs.
    pub fn fetch_phys_cached(&self, pc: u64) -> Option<u64> {
        self.fetch_pa_cached(pc)
    }

    /// Decode the block at physical `pa` (virtual `pc`, in a page for which
    /// `fetch_phys` said cacheable), with the interpreter's block boundaries,
    /// and register its bytes as code so that writes to them are reported by
    /// `take_dropped_code`. Empty if the first instruction straddles the page
    /// end and the next page cannot be cached (run it with `interp_block`).
    /// Logs `-d in_asm`. As the interpreter's, a block runs on through
    /// forward conditional branches whose fall-through is in its first page
    /// (a region: each such branch leaves it when taken; `Cpu::decode_run`).
    ///
    /// A block may run on into the next virtual page (`pc`'s page + 4 KiB):
    /// `second` is then the physical page it was decoded from there, and the
    /// block is valid only while `fetch_phys` of that virtual page gives it
    /// (the engine checks on every entry; writes to either page report it).
    pub fn decode_block(&mut self, pc: u64, pa: u64) -> DecodedBlock {
        let mut entries = std::mem::take(&mut self.decoded);
        entries.clear();
        let pa2 = match self.blocks.get(pa) {
            // The interpreter's block there (one page, not written since:
            // else it would be gone) is what decoding would give again.
            Some(b) => {
                // SAFETY: a block in the table is live and only read here;
                // nothing changes the table before the copy is done.
                entries.extend_from_slice(unsafe { b.as_ref() }.entries());
                crate::blocks::NONE
            }
            None => self.decode_run(pc, pa, &mut entries),
        };
        if entries.is_empty() {
            self.decoded = entries;
            return DecodedBlock { insns: Vec::new(), second: None };
        }
        // As QEMU, `-d in_asm` shows a block once: not again when the
        // interpreter already showed it and the code is unchanged since;
        // but with `out_asm` each block's host code follows its guest code.
        if !self.blocks.contains(pa) || self.dlog.enabled(LOG_OUT_ASM) {
            self.log_new_block(pc, &entries);
        }
        for (start, end) in crate::cpu::code_parts(pa, &entries, pa2) {
            if self.blocks.insert_ext(pa, start, end) {
                self.code_page_added(start & !PAGE_MASK);
            }
        }
        let second = (pa2 != crate::blocks::NONE).then_some(pa2);
        let insns = entries.iter().map(|e| e.insn).collect();
        self.decoded = entries;
        DecodedBlock { insns, second }
    }

    /// Up to `max` instructions of straight-line code from physical `pa`
    /// on, for an engine to copy into a block it translates (a short block
    /// its jumps lead to): fewer where the page ends (no instruction
    /// straddles it), a device overlays the bytes, or RAM ends. Decoding
    /// only: nothing is logged or registered (`add_block_part` does that
    /// for what the engine keeps).
    pub fn peek_code(&self, pa: u64, max: usize) -> Vec<Insn> {
        let mut out = Vec::new();
        let end = (pa & !PAGE_MASK) + crate::mem::PAGE_SIZE;
        let mut a = pa;
        while out.len() < max && a + 2 <= end && !self.bus.overlaps(a, 4) {
            let Some(lo) = self.ram.read(a, 2) else { break };
            let raw = match lo as u32 {
                lo if lo & 3 != 3 => lo,
                _ if a + 4 > end => break,
                lo => match self.ram.read(a + 2, 2) {
                    Some(hi) => lo | (hi as u32) << 16,
                    None => break,
                },
            };
            let insn = crate::decode::decode(raw);
            a += u64::from(insn.len);
            out.push(insn);
        }
        out
    }

    /// Physical bytes `[start, end)` (in one page) are part of the engine
    /// block at `block_pa` from now on: writes to them drop it, as to the
    /// bytes `decode_block` registered.
    pub fn add_block_part(&mut self, block_pa: u64, start: u64, end: u64) {
        debug_assert!(start < end && (end - 1) & !PAGE_MASK == start & !PAGE_MASK);
        if self.blocks.insert_ext(block_pa, start, end) {
            self.code_page_added(start & !PAGE_MASK);
        }
    }

    /// The engine blocks overwritten (or all flushed) since the last call.
    pub fn take_dropped_code(&mut self) -> DroppedCode {
        DroppedCode {
            all: std::mem::take(&mut self.blocks.ext_flushed),
            blocks: std::mem::take(&mut self.blocks.ext_dropped),
        }
    }

    /// Whether anything was dropped since the last `take_dropped_code`.
    #[inline(always)]
    pub fn code_dropped(&self) -> bool {
        self.blocks.ext_flushed || !self.blocks.ext_dropped.is_empty()
    }

    /// Forget that engine-translated code exists (the engine flushed its
    /// buffer): its pages stop being code pages for stores.
    pub fn forget_engine_code(&mut self) {
        self.blocks.ext.clear();
        self.blocks.ext_dropped.clear();
    }

    /// Call before running a block: clears the end-of-block request.
    #[inline(always)]
    pub fn begin_block(&mut self) {
        self.run_generation = self.tlb.generation;
        self.blocks.stop = false;
    }

    /// The process is about to exit: dropping the `Cpu` then leaves its
    /// decoded blocks to the operating system instead of freeing them one
    /// by one (tens of thousands after a Linux boot: 2% of its run time).
    pub fn exiting(&mut self) {
        self.blocks.leak = true;
    }

    /// After an instruction that ended a run's block (a trap taken, an
    /// xRET, a CSR write...): whether generated code may go on at `hart.pc`
    /// through its jump cache instead of returning to Rust. It may if no
    /// code was dropped and the TLB not flushed since the run began (the
    /// jump caches still hold), no interrupt is pending and enabled in `mie`
    /// (Rust takes it: `Cpu::run`), and the hart is not waiting (WFI). Then
    /// `next` holds the TLB bank to go on with (privilege may have changed).
    pub fn go_on(&mut self) -> bool {
        if self.code_dropped() || self.hart.wfi || self.tlb.generation != self.run_generation {
            return false;
        }
        if self.interrupt_enabled_in_mie() {
            return false;
        }
        self.select_tlb_bank();
        if self.tlb.generation != self.run_generation {
            return false; // choosing MPRV's bank flushed it
        }
        self.next = NextBank { tlb: self.tlb.bank_ptr() as u64, bank: self.tlb.bank() as u64 };
        true
    }

    /// Whether code was invalidated or flushed, or the TLB flushed, while
    /// the block ran, so it must end after the current instruction (as the
    /// interpreter's does).
    #[inline(always)]
    pub fn block_must_end(&self) -> bool {
        self.blocks.stop
    }

    /// `-d exec` / `-d cpu` lines for a block about to run at `pc`, if enabled.
    #[inline(always)]
    pub fn log_block_exec(&mut self, pc: u64) {
        if self.dlog.mask & (LOG_EXEC | LOG_CPU) != 0 {
            self.log_exec(pc);
        }
    }

    /// Start recording which RAM pages are written, and what they held
    /// before (for `-accel lockstep`, which runs a block twice). Flushes the
    /// TLB: every write then reaches Rust once per page (a write-TLB fill or
    /// `phys_write`), where the page is recorded.
    pub fn start_write_log(&mut self) {
        // Guarded stores would not reach Rust to be recorded.
        self.set_store_guard(false);
        self.write_log = Some(Vec::new());
        self.flush_tlb();
    }

    /// The pages written since `start_write_log` (physical page address and
    /// contents before the first write), in order of first write.
    pub fn write_log(&self) -> &[(u64, Box<[u8]>)] {
        self.write_log.as_deref().unwrap_or(&[])
    }

    /// Stop recording and return the log.
    pub fn stop_write_log(&mut self) -> Vec<(u64, Box<[u8]>)> {
        self.write_log.take().unwrap_or_default()
    }
}
