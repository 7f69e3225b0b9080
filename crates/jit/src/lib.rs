//! The x86-64 JIT: translates guest blocks (the decoder's `Insn`s, with the
//! interpreter's block boundaries) to host code with dynasmrt and runs them
//! in place of the interpreter, as a `cpu_riscv::Engine` (`Cpu::set_engine`).
//!
//! What is generated inline (see issue 4 for the whole design):
//! - integer register-register and register-immediate operations, `lui`,
//!   `auipc`, `mul`/`mulh`/`mulhu`/`mulw`, `fence`;
//! - integer loads and stores through the software TLB's fast path (one
//!   compare and one add, as `Cpu::load`/`Cpu::store` on a hit);
//! - branches and jumps, ending the block: a direct target in the same page
//!   is reached through a chain slot pointed at its block once translated;
//!   other targets (`jalr`, other pages) through a jump cache looked up from
//!   generated code via the fetch TLB.
//!
//! Every other instruction, and every TLB miss, calls its interpreter handler
//! (`helpers.rs`), so all of RV64GC runs with the interpreter's semantics and
//! precise traps. Blocks are keyed by the physical address of their first
//! instruction; their code does not depend on the virtual address or any
//! other state (everything state-dependent runs in handlers or goes through
//! the TLB, which `cpu-riscv` flushes), so no more key is needed yet. Writes
//! to translated code are reported by `cpu-riscv` (`Cpu::take_dropped_code`):
//! the block ends after the writing instruction, and the blocks written are
//! dropped and unchained before the next one runs.

mod buffer;
mod disas;
mod helpers;
mod info;
pub mod lockstep;
mod translate;

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ptr::NonNull;
use std::time::Instant;

use cpu_riscv::dlog::{LOG_CPU, LOG_EXEC, LOG_OUT_ASM};
use cpu_riscv::{Cpu, Engine, Hart, Insn};

use buffer::CodeBuffer;
use translate::Context;

/// Default size of the code buffer.
pub const DEFAULT_CODE_SIZE: usize = 64 << 20;

/// Runs of a block in the interpreter before it is translated (the default
/// of `Jit::set_hot_threshold`). Translating costs about as much as thirty
/// interpreted runs of the same code, so code that runs only a few times
/// (start-up, initialisation, generated run-once code) is cheaper to
/// interpret, as tiered JITs do; QEMU translates everything on first use.
pub const HOT_THRESHOLD: u32 = 8;

/// The trampoline's signature: `(cpu, &cpu.hart, block code, context) -> budget left`.
type EntryFn = unsafe extern "sysv64" fn(*mut Cpu, *mut Hart, usize, *const Context) -> u64;

#[derive(Clone, Copy)]
struct Block {
    /// Host address of the code: the entry for chained jumps.
    addr: usize,
    /// Host address of the entry from Rust.
    entry: usize,
    /// Guest instructions in the block.
    n: u32,
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
    /// Times the whole code buffer was flushed because it was full.
    pub buffer_flushes: u64,
    /// Blocks dropped because their code was written, or by fence.i.
    pub invalidated: u64,
    /// Blocks run in the interpreter (not yet hot, device memory,
    /// page-straddling instruction, budget shorter than the block).
    pub interpreted: u64,
    /// Chain slots pointed at a translated block.
    pub chained: u64,
    /// Guest code bytes translated.
    pub guest_bytes: u64,
    /// Most guest instructions in a block.
    pub max_block_insns: u64,
    /// Time spent translating (decoding, generating, logging), in ns.
    pub translate_ns: u64,
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

/// Chain slots, allocated in chunks as used (so that start-up stays
/// cheap) that never move (generated code holds their addresses).
struct Slots {
    chunks: Vec<Box<[Cell<usize>]>>,
    /// Most slots.
    cap: usize,
    /// The initial value of every slot.
    leave: usize,
}

const SLOT_CHUNK: usize = 4096;

impl Slots {
    /// Slot `i` (< `cap`), allocating its chunk on first use.
    fn get(&mut self, i: usize) -> &Cell<usize> {
        while self.chunks.len() <= i / SLOT_CHUNK {
            self.chunks.push((0..SLOT_CHUNK).map(|_| Cell::new(self.leave)).collect());
        }
        &self.chunks[i / SLOT_CHUNK][i % SLOT_CHUNK]
    }
}

pub struct Jit {
    code: CodeBuffer,
    /// Holds the trampoline only; never flushed.
    _tramp: CodeBuffer,
    entry: EntryFn,
    /// The address of a `ret`: where unchained slots lead.
    leave: usize,
    blocks: HashMap<u64, Block, BuildHasherDefault<PaHasher>>,
    insns: InsnArena,
    /// Chain slots: each holds the address a direct jump goes to, `leave`
    /// until its target is translated. Read by generated code (hence `Cell`:
    /// written only between runs, read through raw pointers meanwhile).
    slots: Slots,
    slots_used: usize,
    /// Jump cache for indirect jumps and jumps leaving the page: entry
    /// `translate::jump_cache_index(pa)` holds `(pa, chained entry)` of a
    /// translated block, or `(u64::MAX, _)`. Read by generated code.
    cache: Box<[[Cell<u64>; 2]]>,
    /// Target physical address -> the slots jumping to it.
    incoming: HashMap<u64, Vec<u32>, BuildHasherDefault<PaHasher>>,
    stats: Stats,
    /// Whether direct jumps may be chained (off for `-accel lockstep`, which
    /// compares one block at a time).
    chain: bool,
    /// The blocks in the code buffer, for the report.
    tbs: info::BufferTbs,
    /// The trampoline's code and address, until `-d out_asm` logs it.
    prologue: Option<(Vec<u8>, usize)>,
    /// Interpreted runs before translation; see `HOT_THRESHOLD`.
    hot: u32,
    /// Runs so far of blocks not yet translated, by physical address.
    cold: HashMap<u64, u32, BuildHasherDefault<PaHasher>>,
}

impl Jit {
    /// A JIT with the default code buffer size.
    pub fn new() -> std::io::Result<Jit> {
        Jit::with_code_size(DEFAULT_CODE_SIZE)
    }

    /// A JIT whose code buffer holds `bytes` (at least 64 KiB, so that the
    /// largest block fits).
    pub fn with_code_size(bytes: usize) -> std::io::Result<Jit> {
        let bytes = bytes.max(64 << 10);
        let mut tramp = CodeBuffer::new(4096)?;
        let (code, ret_off) = translate::trampoline(tramp.next_addr());
        let addr = tramp.append(&code)?;
        let prologue = Some((code, addr));
        // SAFETY: `addr` is the start of the trampoline just written to
        // executable memory, which has this signature (see
        // `translate::trampoline`) and lives as long as `_tramp`, i.e. `self`.
        let entry = unsafe { std::mem::transmute::<usize, EntryFn>(addr) };
        let leave = addr + ret_off;
        Ok(Jit {
            code: CodeBuffer::new(bytes)?,
            _tramp: tramp,
            entry,
            leave,
            blocks: HashMap::default(),
            insns: InsnArena(Vec::new()),
            // Blocks take 100 bytes and more, and have at most two slots.
            slots: Slots { chunks: Vec::new(), cap: bytes / 64, leave },
            slots_used: 0,
            cache: (0..1 << translate::JUMP_CACHE_BITS).map(|_| [Cell::new(u64::MAX), Cell::new(0)]).collect(),
            incoming: HashMap::default(),
            stats: Stats::default(),
            chain: true,
            tbs: info::BufferTbs::default(),
            prologue,
            hot: HOT_THRESHOLD,
            cold: HashMap::default(),
        })
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

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Bytes of code buffer used and its capacity.
    pub fn code_usage(&self) -> (usize, usize) {
        (self.code.used(), self.code.capacity())
    }

    /// Forget every block (the buffer is full). Only between blocks.
    fn flush(&mut self, cpu: &mut Cpu) {
        self.blocks.clear();
        self.insns.clear();
        self.code.clear();
        self.unchain_all();
        cpu.forget_engine_code();
        self.stats.buffer_flushes += 1;
        self.tbs = info::BufferTbs::default();
    }

    fn cache_remove(&self, pa: u64) {
        let e = &self.cache[translate::jump_cache_index(pa)];
        if e[0].get() == pa {
            e[0].set(u64::MAX);
        }
    }

    fn unchain_all(&mut self) {
        for e in self.cache.iter() {
            e[0].set(u64::MAX);
        }
        for i in 0..self.slots_used {
            self.slots.get(i).set(self.leave);
        }
        self.slots_used = 0;
        self.incoming.clear();
    }

    /// Drop blocks whose code was written since the last look, and the
    /// chained jumps into them.
    fn drop_written(&mut self, cpu: &mut Cpu) {
        let d = cpu.take_dropped_code();
        if d.all {
            self.stats.invalidated += self.blocks.len() as u64;
            self.blocks.clear();
            self.unchain_all();
        }
        for pa in d.blocks {
            if self.blocks.remove(&pa).is_some() {
                self.stats.invalidated += 1;
                self.cache_remove(pa);
                for &s in self.incoming.get(&pa).into_iter().flatten() {
                    self.slots.get(s as usize).set(self.leave);
                }
            }
        }
    }

    /// A new chain slot for a jump to `target`, pointed at it if translated.
    fn new_slot(&mut self, target: u64, chaining: bool) -> Option<usize> {
        if !chaining || self.slots_used == self.slots.cap {
            return None;
        }
        let i = self.slots_used;
        self.slots_used += 1;
        let slot = self.slots.get(i);
        slot.set(self.blocks.get(&target).map_or(self.leave, |b| b.addr));
        self.incoming.entry(target).or_default().push(i as u32);
        Some(slot.as_ptr() as usize)
    }

    /// Translate the block at physical `pa` (virtual `pc`). `None` if it
    /// must run in the interpreter.
    fn translate(&mut self, cpu: &mut Cpu, pc: u64, pa: u64) -> Option<Block> {
        let insns: Box<[Insn]> = cpu.decode_block(pc, pa).into_boxed_slice();
        if insns.is_empty() {
            return None;
        }
        // Chained jumps would skip the per-block `-d exec` lines.
        let chaining = self.chain && cpu.dlog.mask & (LOG_EXEC | LOG_CPU) == 0;
        let n = insns.len();
        // Room for the code and its slots, else start afresh.
        if !self.code.fits(256 * n + 512) || self.slots.cap - self.slots_used < 2 {
            self.flush(cpu);
            // The flush forgot the range just registered: register it again.
            cpu.decode_block(pc, pa);
        }
        let ptr = self.insns.add(insns);
        // SAFETY: `ptr` points to the `n` instructions just added to the arena.
        let insns = unsafe { std::slice::from_raw_parts(ptr, n) };
        let base = self.code.next_addr();
        let cache = chaining.then_some(self.cache.as_ptr() as usize);
        let slots_before = self.slots_used;
        let (code, entry) = translate::block(insns, ptr, pa, base, &mut |t| self.new_slot(t, chaining), cache);
        if !self.code.fits(code.len()) {
            return None; // cannot happen with the reserve above; the interpreter runs it
        }
        let addr = self.code.append(&code).ok()?;
        if cpu.dlog.enabled(LOG_OUT_ASM) {
            self.log_out_asm(cpu, &code, addr);
        }
        let b = Block { addr, entry: addr + entry, n: n as u32 };
        self.stats.translated += 1;
        self.stats.guest_insns += n as u64;
        self.stats.code_bytes += code.len() as u64;
        let guest_bytes: u64 = insns.iter().map(|i| u64::from(i.len)).sum();
        self.stats.guest_bytes += guest_bytes;
        self.stats.max_block_insns = self.stats.max_block_insns.max(n as u64);
        self.tbs.add(pa, guest_bytes, code.len() as u64, self.slots_used - slots_before);
        self.blocks.insert(pa, b);
        if chaining {
            let e = &self.cache[translate::jump_cache_index(pa)];
            e[0].set(pa);
            e[1].set(addr as u64);
            for &s in self.incoming.get(&pa).into_iter().flatten() {
                self.slots.get(s as usize).set(addr);
                self.stats.chained += 1;
            }
        }
        Some(b)
    }
}

impl Engine for Jit {
    fn exec_block(&mut self, cpu: &mut Cpu, max: u64) -> u64 {
        if cpu.code_dropped() {
            self.drop_written(cpu);
        }
        let pc = cpu.hart.pc;
        let pa = match cpu.fetch_phys(pc) {
            Ok((pa, true)) => pa,
            // Fetch faults and device memory: the interpreter does both.
            _ => return self.interpret(cpu, max),
        };
        let b = match self.blocks.get(&pa) {
            Some(&b) => b,
            None => {
                if self.hot > 0 {
                    let runs = self.cold.entry(pa).or_insert(0);
                    if *runs < self.hot {
                        *runs += 1;
                        return self.interpret(cpu, max);
                    }
                    self.cold.remove(&pa);
                }
                let t = Instant::now();
                let b = self.translate(cpu, pc, pa);
                self.stats.translate_ns += t.elapsed().as_nanos() as u64;
                match b {
                    Some(b) => b,
                    None => return self.interpret(cpu, max),
                }
            }
        };
        if u64::from(b.n) > max {
            return self.interpret(cpu, max);
        }
        cpu.log_block_exec(pc);
        cpu.begin_block();
        let ctx = Context {
            tlb: cpu.tlb_base(),
            ram: cpu.ram.host_ptr(),
            budget: max,
            exit_flag: cpu.exit_request.as_ptr(),
            irq: cpu.irq.word().as_ptr(),
        };
        let cp: *mut Cpu = cpu;
        // SAFETY: `b.addr` is a block in the code buffer, generated by
        // `translate::block` for the trampoline's conventions, and not
        // flushed (flushes happen only between runs, above); so are the
        // blocks chained from it. The code reads and writes the hart only
        // through `hp` and calls helpers with `cp`, both derived from the
        // exclusive `cpu`, which is not used otherwise until the call
        // returns. The context's pointers come from the same `cpu` and stay
        // valid meanwhile (RAM and the TLB are not reallocated by helpers);
        // generated code accesses RAM only at offsets the TLB vouches for
        // (pages wholly in RAM).
        let left = unsafe {
            let hp = &raw mut (*cp).hart;
            (self.entry)(cp, hp, b.entry, &ctx)
        };
        max - left
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
            ("translate_ns", s.translate_ns),
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
        if let Some((tramp, at)) = self.prologue.take() {
            write!(cpu.dlog, "{}", disas::dump("PROLOGUE", &tramp, at as u64));
        }
        write!(cpu.dlog, "{}", disas::dump("OUT", code, addr as u64));
    }

    fn interpret(&mut self, cpu: &mut Cpu, max: u64) -> u64 {
        self.stats.interpreted += 1;
        cpu.interp_block(max)
    }
}

/// Physical addresses of blocks are spread in their low bits: one multiply
/// is hash enough.
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
        self.0 = v.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 16;
    }
}
