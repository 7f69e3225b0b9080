//! The x86-64 JIT: translates guest blocks (the decoder's `Insn`s, with the
//! interpreter's block boundaries) to host code with dynasmrt and runs them
//! in place of the interpreter, as a `cpu_riscv::Engine`.
//!
//! First pass (see issue 4 for the whole design): simple integer operations,
//! `lui`/`auipc`, branches and jumps are generated inline; every other
//! instruction calls its interpreter handler (`helpers.rs`), so all of RV64GC
//! runs with the interpreter's semantics and precise traps. Blocks are keyed
//! by the physical address of their first instruction; their code does not
//! depend on the virtual address or any other state (everything
//! state-dependent runs in handlers), so no more key is needed yet. Writes
//! to translated code are reported by `cpu-riscv` (`Cpu::take_dropped_code`)
//! and drop the blocks before the next one runs.

mod buffer;
mod helpers;
mod translate;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use cpu_riscv::{Cpu, Engine, Hart, Insn};

use buffer::CodeBuffer;

/// Default size of the code buffer.
pub const DEFAULT_CODE_SIZE: usize = 64 << 20;

/// The trampoline's signature: `(cpu, &cpu.hart, block code, TLB, RAM) -> work done`.
type EntryFn = unsafe extern "sysv64" fn(*mut Cpu, *mut Hart, usize, *const u8, *mut u8) -> u64;

#[derive(Clone, Copy)]
struct Block {
    /// Host address of the code.
    addr: usize,
    /// Guest instructions in the block.
    n: u32,
}

/// Translation statistics (QEMU's `info jit`, in part).
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
    /// Blocks run in the interpreter (device memory, page-straddling
    /// instruction, budget shorter than the block).
    pub interpreted: u64,
}

pub struct Jit {
    code: CodeBuffer,
    /// Holds the trampoline only; never flushed.
    _tramp: CodeBuffer,
    entry: EntryFn,
    blocks: HashMap<u64, Block, BuildHasherDefault<PaHasher>>,
    /// The instructions of every block in `code`, for helper calls; freed
    /// with the code.
    insns: Vec<Box<[Insn]>>,
    stats: Stats,
}

impl Jit {
    /// A JIT with the default code buffer size.
    pub fn new() -> std::io::Result<Jit> {
        Jit::with_code_size(DEFAULT_CODE_SIZE)
    }

    /// A JIT whose code buffer holds `bytes` (at least 64 KiB, so that the
    /// largest block fits).
    pub fn with_code_size(bytes: usize) -> std::io::Result<Jit> {
        let mut tramp = CodeBuffer::new(4096)?;
        let code = translate::trampoline(tramp.next_addr());
        let addr = tramp.append(&code)?;
        // SAFETY: `addr` is the start of the trampoline just written to
        // executable memory, which has this signature (see
        // `translate::trampoline`) and lives as long as `_tramp`, i.e. `self`.
        let entry = unsafe { std::mem::transmute::<usize, EntryFn>(addr) };
        Ok(Jit {
            code: CodeBuffer::new(bytes.max(64 << 10))?,
            _tramp: tramp,
            entry,
            blocks: HashMap::default(),
            insns: Vec::new(),
            stats: Stats::default(),
        })
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
        cpu.forget_engine_code();
        self.stats.buffer_flushes += 1;
    }

    /// Drop blocks whose code was written since the last look.
    fn drop_written(&mut self, cpu: &mut Cpu) {
        let d = cpu.take_dropped_code();
        if d.all {
            self.stats.invalidated += self.blocks.len() as u64;
            self.blocks.clear();
        }
        for pa in d.blocks {
            if self.blocks.remove(&pa).is_some() {
                self.stats.invalidated += 1;
            }
        }
    }

    /// Translate the block at physical `pa` (virtual `pc`). `None` if it
    /// must run in the interpreter.
    fn translate(&mut self, cpu: &mut Cpu, pc: u64, pa: u64) -> Option<Block> {
        let insns: Box<[Insn]> = cpu.decode_block(pc, pa).into_boxed_slice();
        if insns.is_empty() {
            return None;
        }
        let mut code = translate::block(&insns, insns.as_ptr(), self.code.next_addr());
        if !self.code.fits(code.len()) {
            self.flush(cpu);
            // The flush forgot the range just registered: register it again.
            cpu.decode_block(pc, pa);
            code = translate::block(&insns, insns.as_ptr(), self.code.next_addr());
            if !self.code.fits(code.len()) {
                return None;
            }
        }
        let addr = self.code.append(&code).ok()?;
        let b = Block { addr, n: insns.len() as u32 };
        self.stats.translated += 1;
        self.stats.guest_insns += insns.len() as u64;
        self.stats.code_bytes += code.len() as u64;
        self.insns.push(insns);
        self.blocks.insert(pa, b);
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
            None => match self.translate(cpu, pc, pa) {
                Some(b) => b,
                None => return self.interpret(cpu, max),
            },
        };
        if u64::from(b.n) > max {
            return self.interpret(cpu, max);
        }
        cpu.log_block_exec(pc);
        cpu.begin_block();
        let cp: *mut Cpu = cpu;
        // SAFETY: `b.addr` is a block in the code buffer, generated by
        // `translate::block` for the trampoline's conventions, and not
        // flushed (flushes happen only between blocks, above). The code
        // reads and writes the hart only through `hp` and calls helpers
        // with `cp`, both derived from the exclusive `cpu`, which is not
        // used otherwise until the call returns.
        // The TLB and RAM pointers come from the same `cpu`; generated code
        // accesses RAM only at offsets the TLB vouches for (pages wholly in RAM).
        unsafe {
            let hp = &raw mut (*cp).hart;
            let ram = (*cp).ram.host_ptr();
            let tlb = (*cp).tlb_base();
            (self.entry)(cp, hp, b.addr, tlb, ram)
        }
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
        ]
    }
}

impl Jit {
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
