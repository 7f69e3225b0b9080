//! The hart together with what it executes against (RAM, the device bus,
//! interrupt lines, the timebase), and the run loop over decoded blocks.
//! Memory access paths are in `mem.rs`, the block cache in `blocks.rs`.

use std::collections::HashSet;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::blocks::{ends_block, terminate, Block, BlockCache, Entry, MAX_BLOCK, NONE};
use crate::bus::{Bus, BusError, Clock, IrqLines, Ram};
use crate::decode::decode;
use crate::dlog::{DebugLog, LOG_CPU, LOG_EXEC, LOG_IN_ASM};
use crate::exec::fast::{At, BlockRun, AGAIN};
use crate::hart::Hart;
use crate::mem::{TlbRoot, PAGE_MASK, PAGE_SIZE};
use crate::trap::Exception;
use crate::trap_log::TrapLog;

/// Why `Cpu::run` returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The exit-request flag was raised (monitor, device, Ctrl-C).
    ExitRequest,
    /// The instruction budget given to `run` is used up.
    Budget,
    /// The hart executed `wfi` and no interrupt is pending: the caller may
    /// sleep until a device has something to say.
    Wfi,
}

/// The hart and what it runs against. RAM and the TLB are private: the TLB
/// and generated code keep host pointers into RAM, and generated code a
/// pointer to the TLB, so neither may be replaced while the `Cpu` lives
/// (see `Ram`'s contract). RAM is read through `ram()` and written through
/// `Cpu` methods, which also drop decoded code the bytes belong to.
pub struct Cpu {
    pub hart: Hart,
    /// Guest RAM, given at construction and never swapped or resized.
    pub(crate) ram: Ram,
    pub bus: Box<dyn Bus>,
    pub irq: IrqLines,
    pub clock: Arc<Clock>,
    /// Raised by other threads or devices; checked at every block boundary
    /// that returns to `run` (the JIT's generated code also looks at it at
    /// least every 16K instructions and after helpers, and then returns).
    pub exit_request: Arc<AtomicBool>,
    /// `-d` logging (`writeln!(cpu.dlog, ...)` after checking `enabled`).
    pub dlog: DebugLog,
    /// Instructions executed by `run`, retired or trapped: what `-max-insns`
    /// limits, so that a guest trapping in a loop still reaches the limit.
    pub executed: u64,
    pub(crate) tlb: TlbRoot,
    /// PMP entries decoded (`mmu::PmpTable`); interior mutability as
    /// checks take `&self`.
    pub(crate) pmp: std::cell::RefCell<crate::mmu::PmpTable>,
    pub(crate) blocks: BlockCache,
    /// Physical addresses of uncached blocks already shown by `-d in_asm`.
    logged_uncached: HashSet<u64>,
    /// The entries of an uncached block, kept between uses so that running
    /// one allocates nothing.
    pub(crate) uncached: Vec<Entry>,
    /// Where blocks are decoded (`decode_run`), kept between uses.
    pub(crate) decoded: Vec<Entry>,
    /// The execution engine that runs blocks instead of the interpreter
    /// (the JIT), if one is installed (see `engine.rs`).
    pub(crate) engine: Option<Box<dyn crate::engine::Engine>>,
    /// While lockstep checking: RAM pages written since it started, with
    /// their contents before the first write (`Cpu::start_write_log`).
    pub(crate) write_log: Option<Vec<(u64, Box<[u8]>)>>,
    /// Generated code's stores under the direct-read window rely on code
    /// pages being read-only in RAM's guarded mapping (`set_store_guard`).
    pub(crate) guard_stores: bool,
    /// The last traps taken (`x-query-traps`).
    pub traps: TrapLog,
    /// Where the block being executed started (`exec/fast.rs`).
    pub(crate) blk: BlockRun,
    /// The TLB generation an engine's run began in (`begin_block`).
    pub(crate) run_generation: u64,
    /// No interrupt is pending and enabled in `mie` (`(mip | lines) & mie`
    /// was 0) and nothing that could change that has happened since: the
    /// run loop need not look (`run_with`). Cleared by writes to mie, mip,
    /// sie and sip, by WFI, and at the start of every `run` (a line that
    /// rises raises the exit flag, which ends the run).
    pub(crate) irq_quiet: bool,
    /// For generated code going on after a privilege change (`go_on`).
    pub(crate) next: crate::engine::NextBank,
}

/// A bus with no devices (`Cpu::with_ram`).
struct NoDevices;

impl Bus for NoDevices {
    fn read(&mut self, _addr: u64, _size: u8) -> Result<u64, BusError> {
        Err(BusError::Unmapped)
    }
    fn write(&mut self, _addr: u64, _size: u8, _val: u64) -> Result<(), BusError> {
        Err(BusError::Unmapped)
    }
    fn overlaps(&self, _addr: u64, _len: u64) -> bool {
        false
    }
}

impl Cpu {
    pub fn new(hart: Hart, ram: Ram, bus: Box<dyn Bus>, irq: IrqLines, clock: Arc<Clock>) -> Cpu {
        Cpu {
            hart,
            ram,
            bus,
            irq,
            clock,
            exit_request: Arc::new(AtomicBool::new(false)),
            dlog: DebugLog::default(),
            executed: 0,
            tlb: TlbRoot::new(),
            pmp: Default::default(),
            blocks: BlockCache::new(),
            logged_uncached: HashSet::new(),
            uncached: Vec::with_capacity(MAX_BLOCK),
            decoded: Vec::with_capacity(2 * MAX_BLOCK),
            engine: None,
            write_log: None,
            guard_stores: false,
            traps: TrapLog::default(),
            blk: BlockRun::default(),
            run_generation: 0,
            irq_quiet: false,
            next: Default::default(),
        }
    }

    /// A hart 0 in M-mode at `reset_pc` with RAM and no devices, for tests
    /// and benchmarks.
    pub fn with_ram(ram: Ram, reset_pc: u64) -> Cpu {
        Cpu::new(Hart::new(0, reset_pc), ram, Box::new(NoDevices), IrqLines::new(), Clock::new())
    }

    /// Guest RAM, to read (`Ram::read`, `read_bytes`, `equals`...). No
    /// `&mut Ram` leaves the `Cpu`, so that RAM cannot be swapped or resized
    /// while the TLB and generated code point into it:
    ///
    /// ```compile_fail,E0616
    /// use cpu_riscv::{Cpu, Ram};
    /// let mut cpu = Cpu::with_ram(Ram::new(0x8000_0000, 4096), 0x8000_0000);
    /// cpu.ram = Ram::new(0x8000_0000, 8192); // private field
    /// ```
    ///
    /// ```compile_fail,E0308
    /// use cpu_riscv::{Cpu, Ram};
    /// let mut cpu = Cpu::with_ram(Ram::new(0x8000_0000, 4096), 0x8000_0000);
    /// let mut other = Ram::new(0x8000_0000, 8192);
    /// std::mem::swap(cpu.ram(), &mut other); // a shared reference only
    /// ```
    pub fn ram(&self) -> &Ram {
        &self.ram
    }

    /// Write the low `size` (1, 2, 4, 8) bytes of `val` to RAM at physical
    /// `addr`, ignoring any device there; `None` (nothing written) unless
    /// all of it is RAM. Decoded code over the bytes is dropped.
    pub fn ram_write(&mut self, addr: u64, size: u8, val: u64) -> Option<()> {
        self.ram_written(addr, u64::from(size))?;
        self.ram.write(addr, size, val)
    }

    /// Copy `data` into RAM at physical `addr` (as `ram_write`).
    pub fn ram_write_bytes(&mut self, addr: u64, data: &[u8]) -> Option<()> {
        self.ram_written(addr, data.len() as u64)?;
        self.ram.write_bytes(addr, data)
    }

    /// Set `len` bytes of RAM at physical `addr` to `byte` (as `ram_write`).
    pub fn ram_fill(&mut self, addr: u64, len: usize, byte: u8) -> Option<()> {
        self.ram_written(addr, len as u64)?;
        self.ram.fill(addr, len, byte)
    }

    /// Before RAM `[addr, addr + len)` is written from outside the hart:
    /// `None` unless it is all RAM, else drop the code there and note the
    /// pages for the write log, as a store would.
    fn ram_written(&mut self, addr: u64, len: u64) -> Option<()> {
        if !self.ram.contains(addr, len) {
            return None;
        }
        self.invalidate_code(addr, len);
        if self.write_log.is_some() && len > 0 {
            let mut page = addr & !PAGE_MASK;
            while page < addr + len {
                self.note_write(page);
                page += PAGE_SIZE;
            }
        }
        Some(())
    }

    /// Run until `budget` instructions have retired, the exit flag is raised,
    /// or the hart waits for an interrupt. Never retires more than `budget`
    /// instructions; a trap counts against the budget too (without retiring),
    /// so that a guest trapping in a loop still returns control. Devices are
    /// not polled here: the caller runs slices and calls `bus.poll()` between.
    pub fn run(&mut self, budget: u64) -> Stop {
        self.select_tlb_bank();
        self.irq_quiet = false;
        let mut work = 0u64;
        let stop = if let Some(mut engine) = self.engine.take() {
            let stop = self.run_with(budget, &mut work, |cpu, max| engine.exec_block(cpu, max));
            self.engine = Some(engine);
            stop
        } else {
            // Inlined into the loop: one frame for the whole run, not one per block.
            self.run_with(budget, &mut work, |cpu, max| cpu.exec_block_inline(max, true))
        };
        self.executed += work;
        stop
    }

    /// The run loop, with `exec(cpu, max)` running one block of at most
    /// `max` instructions and returning the work done (as `exec_block`).
    #[inline(always)]
    fn run_with(&mut self, budget: u64, work: &mut u64, mut exec: impl FnMut(&mut Cpu, u64) -> u64) -> Stop {
        loop {
            if self.exit_request.load(Ordering::Acquire) {
                return Stop::ExitRequest;
            }
            if *work >= budget {
                return Stop::Budget;
            }
            // `check_interrupts`, unless nothing can have changed since the
            // last look found none pending and enabled (`irq_quiet`).
            if !self.irq_quiet {
                self.irq_quiet = !self.check_interrupts();
                if self.hart.wfi {
                    return Stop::Wfi;
                }
            }
            *work += exec(self, budget - *work);
        }
    }

    /// Execute exactly one instruction (after taking a pending interrupt, as
    /// at a block boundary). If it raises an exception, the trap is taken
    /// and the exception returned.
    pub fn step(&mut self) -> Result<(), Exception> {
        self.check_interrupts();
        let pc = self.hart.pc;
        let insn = match self.fetch_uncached(pc) {
            Ok(i) => i,
            Err(e) => {
                self.take_trap(e);
                return Err(e);
            }
        };
        self.log_new_block(pc, std::slice::from_ref(&Entry::new(insn, 0, 0)));
        self.blocks.stop = false;
        self.hart.npc = pc.wrapping_add(u64::from(insn.len));
        if let Err(e) = crate::ops::HANDLERS[insn.op as usize](self, &insn) {
            self.take_trap(e);
            return Err(e);
        }
        self.hart.pc = self.hart.npc;
        self.hart.instret += 1;
        Ok(())
    }

    /// Whether an interrupt is pending (`mip` or a line) and enabled in
    /// `mie` (taken or not then depends on privilege and delegation).
    #[inline(always)]
    pub(crate) fn interrupt_enabled_in_mie(&self) -> bool {
        (self.hart.csr.mip | self.irq.pending()) & self.hart.csr.mie != 0
    }

    /// Take a pending, enabled interrupt. Only asks the trap code when some
    /// interrupt is both pending and enabled in `mie`, or the hart waits;
    /// returns whether it asked.
    #[inline(always)]
    pub(crate) fn check_interrupts(&mut self) -> bool {
        let ask = self.hart.wfi || self.interrupt_enabled_in_mie();
        if ask {
            self.take_interrupt_if_pending();
        }
        ask
    }

    /// Run up to `max` instructions of the block at `pc`, once (for an
    /// engine, which counts the runs of a block to find hot code). Returns
    /// the work done (instructions retired plus one if a trap was taken).
    pub(crate) fn exec_block(&mut self, max: u64) -> u64 {
        self.exec_block_inline(max, false)
    }

    /// `exec_block`, where a loop may go `round` inside its block (`again`).
    #[inline(always)]
    fn exec_block_inline(&mut self, max: u64, round: bool) -> u64 {
        let pc = self.hart.pc;
        let block = match self.blocks.chained(pc) {
            Some(b) => b,
            None => {
                let (pa, cacheable) = match self.fetch_pa(pc) {
                    Ok(t) => t,
                    Err(e) => {
                        self.blocks.end();
                        self.take_trap(e);
                        return 1;
                    }
                };
                match self.blocks.get(pa) {
                    Some(b) => {
                        self.blocks.link(pc, b);
                        b
                    }
                    None => match self.block_miss(pc, pa, cacheable, max) {
                        Ok(b) => b,
                        Err(work) => return work,
                    },
                }
            }
        };
        if self.dlog.mask & (LOG_EXEC | LOG_CPU) != 0 {
            self.log_exec(pc);
        }
        self.blocks.begin(block);
        // SAFETY: `block` is in the table, which owns it; while it runs it
        // is neither freed nor borrowed mutably: if invalidated, it leaves
        // the table but is freed only by `end` below, after this reference's
        // last use (`BlockCache::unlinked`).
        let block = unsafe { block.as_ref() };
        let work = if (block.len() as u64) <= max {
            self.exec_run(block.run(), if round { max } else { 0 })
        } else {
            self.exec_first(block.entries(), max as usize)
        };
        self.blocks.end();
        work
    }

    /// No single-page block at `pa` (`BlockCache::get`): a cross-page one
    /// whose second virtual page still translates to the page it was
    /// decoded from (`Ok`), else a block decoded now, or the code run
    /// uncached and the work done returned (`Err`). Out of line, so that
    /// the common case costs the run loop nothing more (measured: 3%).
    #[inline(never)]
    fn block_miss(&mut self, pc: u64, pa: u64, cacheable: bool, max: u64) -> Result<NonNull<Block>, u64> {
        if let Some(b) = self.blocks.get_cross_page(pa) {
            // SAFETY: a block in the table is live (as in `exec_block_inline`);
            // the copy of `pa2` is read before anything can change the table.
            let pa2 = unsafe { b.as_ref() }.pa2;
            if self.second_page(pc) == Some(pa2) {
                return Ok(b);
            }
            // Stale for the mapping there is now.
            self.blocks.remove(pa);
        }
        let work = if !cacheable {
            self.exec_uncached(pc, pa, max, false)
        } else {
            match self.build_block(pc, pa) {
                Some(b) => return Ok(b),
                None => self.exec_uncached(pc, pa, max, true),
            }
        };
        Err(work)
    }

    /// Execute `entries` (a block, ended by its end marker) from
    /// `hart.pc` through their fast handlers (`exec/fast.rs`), stopping
    /// early after a control transfer, when blocks were invalidated or an
    /// instruction trapped (the trap is then taken). Returns the work done
    /// (retired, plus one for a trap).
    #[inline(always)]
    pub(crate) fn exec_entries(&mut self, entries: &[Entry]) -> u64 {
        self.exec_run(At::start(entries), 0)
    }

    /// `exec_entries` from the first entry of a run, which may go round
    /// again (`Cpu::again`) while it retires at most `left` instructions.
    #[inline(always)]
    fn exec_run(&mut self, at: At, left: u64) -> u64 {
        self.blocks.stop = false;
        let start = self.hart.instret;
        self.blk = BlockRun { pc: self.hart.pc, instret: start, left };
        loop {
            let work = (at.entry().fast)(self, at);
            if work != AGAIN {
                return work + (self.blk.instret - start);
            }
        }
    }

    /// Execute the first `n` (at least one) of `entries` (a budget shorter
    /// than the block), from a terminated copy.
    #[cold]
    #[inline(never)]
    fn exec_first(&mut self, entries: &[Entry], n: usize) -> u64 {
        let mut first = std::mem::take(&mut self.uncached);
        first.clear();
        first.extend_from_slice(&entries[..n]);
        terminate(&mut first);
        let work = self.exec_entries(&first);
        self.uncached = first;
        work
    }

    /// A block that is not cached: code in device memory (ROM), fetched
    /// ahead up to the block end within the page, or the single instruction
    /// that straddles a page (`single`). Logged for `-d in_asm` once per address.
    fn exec_uncached(&mut self, pc: u64, pa: u64, max: u64, single: bool) -> u64 {
        let mut entries = std::mem::take(&mut self.uncached);
        entries.clear();
        let mut a = pc;
        loop {
            match self.fetch_uncached(a) {
                Ok(insn) => entries.push(Entry::new(insn, a.wrapping_sub(pc), entries.len())),
                // A fault past the first instruction is raised when reached.
                Err(_) if !entries.is_empty() => break,
                Err(e) => {
                    self.uncached = entries;
                    self.take_trap(e);
                    return 1;
                }
            }
            let insn = &entries[entries.len() - 1].insn;
            a = a.wrapping_add(u64::from(insn.len));
            if single || ends_block(insn) || entries.len() as u64 >= max.min(MAX_BLOCK as u64) || a & PAGE_MASK == 0 {
                break;
            }
        }
        if self.dlog.enabled(LOG_IN_ASM) && self.logged_uncached.insert(pa) {
            self.log_new_block(pc, &entries);
        }
        if self.dlog.mask & (LOG_EXEC | LOG_CPU) != 0 {
            self.log_exec(pc);
        }
        terminate(&mut entries);
        let work = self.exec_entries(&entries);
        self.blocks.end();
        self.uncached = entries;
        work
    }

    /// Decode the block at physical `pa` (virtual `pc`, in a plain RAM page)
    /// and register it. `None` if its first instruction straddles the page
    /// end and the next page cannot be cached (that one is fetched uncached).
    fn build_block(&mut self, pc: u64, pa: u64) -> Option<NonNull<Block>> {
        let mut entries = std::mem::take(&mut self.decoded);
        entries.clear();
        let pa2 = self.decode_run(pc, pa, &mut entries);
        let block = (!entries.is_empty()).then(|| {
            self.log_new_block(pc, &entries);
            for (start, end) in code_parts(pa, &entries, pa2) {
                if self.blocks.register(pa, start, end) {
                    self.code_page_added(start & !PAGE_MASK);
                }
            }
            Box::new(Block::new(pa, pa2, &entries))
        });
        self.decoded = entries;
        Some(self.blocks.insert(block?))
    }

    /// The physical page that the virtual page after `pc`'s translates to
    /// for fetch, if it is plain RAM whose code may be cached (else, or if
    /// the fetch would fault, `None`: blocks stop at `pc`'s page end). The
    /// walk may set the A bit of a page not reached yet, which the spec
    /// allows (Privileged spec 4.3.1: "updates of the A bit may be
    /// performed as a result of speculation").
    #[inline(always)]
    pub(crate) fn second_page(&mut self, pc: u64) -> Option<u64> {
        let v2 = (pc & !PAGE_MASK).wrapping_add(PAGE_SIZE);
        match self.fetch_pa(v2) {
            Ok((pa2, true)) => Some(pa2 & !PAGE_MASK),
            _ => None,
        }
    }

    /// Decode the block at physical `pa` (virtual `pc`) in a plain RAM page:
    /// up to a block end, `MAX_BLOCK` instructions, a device overlay or the
    /// end of the next page. A forward conditional branch whose fall-through
    /// is in the first page does not end it (a region: compilers lay out the
    /// likely way of a forward branch as its fall-through; a backward branch
    /// usually closes a loop, whose exit follows). It runs on into the next
    /// virtual page (with an instruction straddling the page end, or falling
    /// through to it) if
    /// that is plain RAM too, and then also returns the physical page its
    /// part there came from (else `NONE`). Empty if its first instruction
    /// straddles the page end and the next page cannot be cached. The
    /// entries are appended to `out`, which starts empty.
    pub(crate) fn decode_run(&mut self, pc: u64, pa: u64, out: &mut Vec<Entry>) -> u64 {
        let entries = out;
        debug_assert!(entries.is_empty());
        // Bytes of the block's first page from `pa` on; offsets past them
        // are in the second page, at `pa2`.
        let first = PAGE_SIZE - (pa & PAGE_MASK);
        let mut pa2 = NONE;
        let mut off = 0;
        // A device overlaying part of the page (HTIF's tohost): stop before it.
        let mut device_in_page = self.bus.overlaps(pa & !PAGE_MASK, PAGE_SIZE);
        loop {
            let a = if off < first { pa + off } else { pa2 + (off - first) };
            if device_in_page && self.bus.overlaps(a, 4) {
                break;
            }
            let Some(lo) = self.ram.read(a, 2) else { break };
            let lo = lo as u32;
            let raw = if lo & 3 != 3 {
                lo
            } else if off + 2 == first {
                // A 32-bit instruction straddling the page end: its upper
                // half is in the next virtual page.
                let Some(p2) = self.second_page(pc) else { break };
                if self.bus.overlaps(p2, 2) {
                    break;
                }
                let Some(hi) = self.ram.read(p2, 2) else { break };
                pa2 = p2;
                device_in_page = self.bus.overlaps(p2, PAGE_SIZE);
                lo | (hi as u32) << 16
            } else {
                let Some(hi) = self.ram.read(a + 2, 2) else { break };
                lo | (hi as u32) << 16
            };
            let insn = decode(raw);
            entries.push(Entry::new(insn, off, entries.len()));
            off += u64::from(insn.len);
            // A forward conditional branch whose fall-through lies in the
            // first page does not end the block: not taken, the run goes on
            // (fewer block changes); taken, it leaves (`exec/fast.rs`).
            let on = off < first && insn.imm > 0 && insn.op.info().map(|i| i.format) == Some(crate::insn::Format::B);
            if (ends_block(&insn) && !on) || entries.len() >= MAX_BLOCK || off >= first + PAGE_SIZE {
                break;
            }
            if off == first {
                // Falling through to the next page: on if it can be cached.
                let Some(p2) = self.second_page(pc) else { break };
                pa2 = p2;
                device_in_page = self.bus.overlaps(p2, PAGE_SIZE);
            }
        }
        pa2
    }

    /// Drop decoded blocks overlapping physical `[pa, pa + len)` (code written).
    #[inline(always)]
    pub(crate) fn invalidate_code(&mut self, pa: u64, len: u64) {
        self.blocks.invalidate(pa, len);
    }

    /// End the current block after the running instruction (fence.i).
    pub(crate) fn end_block(&mut self) {
        self.blocks.stop = true;
    }

    /// Forget all decoded instructions (reset). The current block ends
    /// after the running instruction.
    pub fn flush_decode_cache(&mut self) {
        self.blocks.flush();
    }

    /// QEMU's `-d in_asm` for a newly decoded block.
    pub(crate) fn log_new_block(&mut self, pc: u64, entries: &[Entry]) {
        if !self.dlog.enabled(LOG_IN_ASM) {
            return;
        }
        let prv = self.hart.prv as u8;
        writeln!(self.dlog, "----------------\nIN: \nPriv: {prv}; Virt: 0");
        let mut a = pc;
        for e in entries {
            let text = crate::disasm::disasm(&e.insn, a);
            if e.insn.len == 2 {
                writeln!(self.dlog, "0x{a:016x}:  {:04x}              {text}", e.insn.raw & 0xffff);
            } else {
                writeln!(self.dlog, "0x{a:016x}:  {:08x}          {text}", e.insn.raw);
            }
            a = a.wrapping_add(u64::from(e.insn.len));
        }
        writeln!(self.dlog);
    }

    /// QEMU's `-d exec` line and `-d cpu` register dump before a block.
    #[inline(never)]
    pub(crate) fn log_exec(&mut self, pc: u64) {
        if self.dlog.enabled(LOG_EXEC) {
            let prv = self.hart.prv as u8;
            writeln!(self.dlog, "Trace 0: 0x0 [0000000000000000/{pc:016x}/{prv:08x}/00000000] ");
        }
        if self.dlog.enabled(LOG_CPU) {
            let s = self.hart.dump_state(self.hart.csr.mip | self.irq.pending(), false);
            self.dlog.write_fmt(format_args!("{s}"));
        }
    }
}

/// The physical byte ranges of a block of `entries` at `pa` whose part in
/// the next virtual page (if any) is at physical page `pa2`: one range per
/// page, each within its page (the second empty if it has none).
pub(crate) fn code_parts(pa: u64, entries: &[Entry], pa2: u64) -> impl Iterator<Item = (u64, u64)> {
    let len: u64 = entries.iter().map(|e| u64::from(e.insn.len)).sum();
    let first = PAGE_SIZE - (pa & PAGE_MASK);
    let second = (pa2 != NONE && len > first).then(|| (pa2, pa2 + (len - first)));
    std::iter::once((pa, pa + len.min(first))).chain(second)
}
