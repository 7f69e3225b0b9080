//! `-accel lockstep`: every block runs twice from the same state, first in
//! the JIT and then in the interpreter (the oracle), and the run stops at the
//! first block after which the two disagree on the hart or on RAM.
//!
//! How one state is run twice without copying all of RAM: before the block
//! `Cpu::start_write_log` flushes the TLB so that every page written reaches
//! Rust once and is saved before its first write. After the JIT's run the
//! hart and the written pages are kept, the pages are put back and the hart
//! restored, and the interpreter replays as many instructions. The pages
//! either run wrote are then compared.
//!
//! Devices are not run twice: during the JIT's run the bus records every
//! device access and its result, and during the interpreter's run it plays
//! them back (a read returns the recorded value; a write is only compared)
//! without touching the device. A different sequence of device accesses is a
//! divergence. `mtime` is frozen for the pair of runs so that both read the
//! same time. Interrupt lines driven by other threads are not frozen; the
//! run loop samples them between blocks only, as before.
//!
//! Chaining is off, so each JIT run is one block, which may go round by
//! itself (a loop to its own start, a side exit leading back to it:
//! `translate::Env::loops`) or copy a short block into a side exit: the
//! interpreter replays however many instructions that ran.

use std::sync::{Arc, Mutex, MutexGuard};

use cpu_riscv::decode::decode;
use cpu_riscv::disasm::disasm;
use cpu_riscv::{Bus, BusError, Cpu, Engine, Hart};

use crate::Jit;

/// The most instructions the report disassembles.
const MAX_LISTED: u64 = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Io {
    Read { addr: u64, size: u8, res: Result<u64, BusError> },
    Write { addr: u64, size: u8, val: u64, res: Result<(), BusError> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Accesses go to the devices.
    Pass,
    /// Accesses go to the devices and are recorded.
    Record,
    /// Accesses are answered from the record.
    Replay,
}

struct Tape {
    mode: Mode,
    log: Vec<Io>,
    pos: usize,
    /// The first replayed access that differs from the record.
    mismatch: Option<String>,
}

impl Tape {
    fn replay(&mut self, want: Io) -> Option<Io> {
        let got = self.log.get(self.pos).copied();
        self.pos += 1;
        let same = match (got, want) {
            (Some(Io::Read { addr, size, .. }), Io::Read { addr: a, size: s, .. }) => addr == a && size == s,
            (Some(Io::Write { addr, size, val, .. }), Io::Write { addr: a, size: s, val: v, .. }) => {
                addr == a && size == s && val == v
            }
            _ => false,
        };
        if !same && self.mismatch.is_none() {
            self.mismatch = Some(format!("device access {want:x?} by the interpreter; the JIT did {got:x?}"));
        }
        got.filter(|_| same)
    }
}

/// The machine's bus, wrapped to record and replay device accesses.
struct TapeBus {
    inner: Box<dyn Bus>,
    tape: Arc<Mutex<Tape>>,
}

fn lock(t: &Mutex<Tape>) -> MutexGuard<'_, Tape> {
    t.lock().unwrap_or_else(|e| e.into_inner())
}

impl Bus for TapeBus {
    fn read(&mut self, addr: u64, size: u8) -> Result<u64, BusError> {
        let mut t = lock(&self.tape);
        match t.mode {
            Mode::Pass => self.inner.read(addr, size),
            Mode::Record => {
                let res = self.inner.read(addr, size);
                t.log.push(Io::Read { addr, size, res });
                res
            }
            Mode::Replay => match t.replay(Io::Read { addr, size, res: Ok(0) }) {
                Some(Io::Read { res, .. }) => res,
                _ => Err(BusError::Denied),
            },
        }
    }

    fn write(&mut self, addr: u64, size: u8, val: u64) -> Result<(), BusError> {
        let mut t = lock(&self.tape);
        match t.mode {
            Mode::Pass => self.inner.write(addr, size, val),
            Mode::Record => {
                let res = self.inner.write(addr, size, val);
                t.log.push(Io::Write { addr, size, val, res });
                res
            }
            Mode::Replay => match t.replay(Io::Write { addr, size, val, res: Ok(()) }) {
                Some(Io::Write { res, .. }) => res,
                _ => Err(BusError::Denied),
            },
        }
    }

    fn overlaps(&self, addr: u64, len: u64) -> bool {
        self.inner.overlaps(addr, len)
    }

    fn poll(&mut self) {
        self.inner.poll();
    }
}

/// A bus with nothing on it, in place of the machine's while it is wrapped.
struct Empty;

impl Bus for Empty {
    fn read(&mut self, _: u64, _: u8) -> Result<u64, BusError> {
        Err(BusError::Unmapped)
    }
    fn write(&mut self, _: u64, _: u8, _: u64) -> Result<(), BusError> {
        Err(BusError::Unmapped)
    }
    fn overlaps(&self, _: u64, _: u64) -> bool {
        false
    }
}

/// Where the divergence report appears (`None` while none was found).
pub type Report = Arc<Mutex<Option<String>>>;

/// The lockstep engine: install with `Cpu::set_engine`, keep `report()`.
pub struct Lockstep {
    jit: Jit,
    tape: Option<Arc<Mutex<Tape>>>,
    report: Report,
    /// Blocks compared so far.
    blocks: u64,
    /// Test hook: corrupt the JIT's result of this block (1-based).
    corrupt_at: Option<u64>,
    /// Stops the machine (the exit flag alone only makes it look for a reason).
    stop: Option<Box<dyn Fn() + Send>>,
}

impl Lockstep {
    pub fn new() -> std::io::Result<Lockstep> {
        let mut jit = Jit::new()?;
        jit.set_chaining(false);
        // Every store must reach Rust's write log (`Cpu::start_write_log`).
        jit.set_store_guard(false);
        jit.set_hot_threshold(0);
        Ok(Lockstep { jit, tape: None, report: Arc::new(Mutex::new(None)), blocks: 0, corrupt_at: None, stop: None })
    }

    /// `-perfmap`: name the JIT's code for perf (`Jit::set_perfmap`).
    pub fn set_perfmap(&mut self, map: crate::perfmap::PerfMap) {
        self.jit.set_perfmap(map);
    }

    /// The divergence report, filled when the run stops at a divergence.
    pub fn report(&self) -> Report {
        self.report.clone()
    }

    /// Call `stop` to stop the machine at a divergence (e.g. the machine
    /// handle's `request_exit`).
    pub fn on_divergence(&mut self, stop: impl Fn() + Send + 'static) {
        self.stop = Some(Box::new(stop));
    }

    /// For tests of the checker itself: after the JIT runs block `n`
    /// (1-based), flip a bit of `x31` as a miscompiled block would.
    #[doc(hidden)]
    pub fn inject_divergence(&mut self, n: u64) {
        self.corrupt_at = Some(n);
    }

    /// Wrap the machine's bus on first use.
    fn tape(&mut self, cpu: &mut Cpu) -> Arc<Mutex<Tape>> {
        self.tape
            .get_or_insert_with(|| {
                let tape = Arc::new(Mutex::new(Tape { mode: Mode::Pass, log: Vec::new(), pos: 0, mismatch: None }));
                let inner = std::mem::replace(&mut cpu.bus, Box::new(Empty));
                cpu.bus = Box::new(TapeBus { inner, tape: tape.clone() });
                tape
            })
            .clone()
    }
}

impl Engine for Lockstep {
    fn exec_block(&mut self, cpu: &mut Cpu, max: u64) -> u64 {
        if lock_report(&self.report).is_some() {
            // Stopping (see `on_divergence`): run nothing more.
            cpu.exit_request.store(true, std::sync::atomic::Ordering::Release);
            return 0;
        }
        let tape = self.tape(cpu);
        let pre = cpu.hart.clone();
        cpu.clock.freeze(true);
        cpu.start_write_log();
        {
            let mut t = lock(&tape);
            t.mode = Mode::Record;
            t.log.clear();
        }
        let n = self.jit.exec_block(cpu, max);
        self.blocks += 1;
        if self.corrupt_at == Some(self.blocks) {
            cpu.hart.x[31] ^= 1 << 7;
        }
        let jit_hart = cpu.hart.clone();
        let saved: Vec<(u64, Box<[u8]>)> = cpu.write_log().to_vec();
        let jit_pages: Vec<(u64, Box<[u8]>)> =
            saved.iter().map(|(p, _)| (*p, cpu.ram().to_vec(*p, 4096).unwrap_or_default().into())).collect();
        for (p, old) in &saved {
            // The pages were copied out of RAM: they go back in.
            let _ = cpu.ram_write_bytes(*p, old);
        }
        cpu.hart = pre.clone();
        cpu.flush_tlb();
        {
            let mut t = lock(&tape);
            t.mode = Mode::Replay;
            t.pos = 0;
        }
        let mut done = 0;
        while done < n && !cpu.hart.wfi {
            let k = cpu.interp_block(n - done);
            if k == 0 {
                break;
            }
            done += k;
        }
        cpu.clock.freeze(false);
        let written = cpu.stop_write_log();
        let mut t = lock(&tape);
        t.mode = Mode::Pass;
        let mut problems = Vec::new();
        if done != n {
            problems.push(format!("the JIT did {n} instructions' work, the interpreter {done}"));
        }
        if let Some(m) = t.mismatch.take() {
            problems.push(m);
        } else if t.pos != t.log.len() {
            problems.push(format!("the JIT made {} device accesses, the interpreter {}", t.log.len(), t.pos));
        }
        drop(t);
        for (p, old) in &written {
            let jit = jit_pages.iter().find(|(q, _)| q == p).map_or(&**old, |(_, b)| &**b);
            // Equal pages (nearly all) are ruled out in place, without a copy.
            if cpu.ram().equals(*p, jit) != Some(false) {
                continue;
            }
            let int = cpu.ram().to_vec(*p, old.len()).unwrap_or_default();
            let first = jit.iter().zip(&int).position(|(a, b)| a != b);
            if let Some(i) = first {
                problems.push(format!(
                    "RAM differs from 0x{:x}: JIT {:02x?}, interpreter {:02x?}",
                    p + i as u64,
                    &jit[i..jit.len().min(i + 8)],
                    &int[i..int.len().min(i + 8)]
                ));
            }
        }
        if jit_hart != cpu.hart {
            problems.push("the hart state differs".into());
        }
        if !problems.is_empty() {
            let r = report(self.blocks, &pre, n, cpu, &jit_hart, &problems);
            *lock_report(&self.report) = Some(r);
            if let Some(stop) = &self.stop {
                stop();
            }
            cpu.exit_request.store(true, std::sync::atomic::Ordering::Release);
        }
        done
    }

    fn stats(&self) -> Vec<(&'static str, u64)> {
        let mut s = Engine::stats(&self.jit);
        s.push(("lockstep_blocks", self.blocks));
        s
    }

    fn info(&self) -> Option<String> {
        let r = Engine::info(&self.jit)?;
        Some(format!("{r}lockstep blocks     {} (each run in the JIT and the interpreter)\n", self.blocks))
    }
}

fn lock_report(r: &Mutex<Option<String>>) -> MutexGuard<'_, Option<String>> {
    r.lock().unwrap_or_else(|e| e.into_inner())
}

/// The report: what differs, the block's code, both states side by side.
fn report(block: u64, pre: &Hart, n: u64, cpu: &mut Cpu, jit: &Hart, problems: &[String]) -> String {
    let mut s = format!("lockstep: block {block} at pc 0x{:x} diverges ({n} instructions' work):\n", pre.pc);
    for p in problems {
        s += &format!("  {p}\n");
    }
    s += "block:\n";
    let mut pc = pre.pc;
    for _ in 0..n.clamp(1, MAX_LISTED) {
        let Ok((pa, _)) = cpu.fetch_phys(pc) else { break };
        let Some(lo) = cpu.ram().read(pa, 2) else { break };
        let raw = if lo & 3 == 3 {
            match cpu.ram().read(pa + 2, 2) {
                Some(hi) => lo | hi << 16,
                None => break,
            }
        } else {
            lo
        };
        let insn = decode(raw as u32);
        s += &format!("  0x{pc:016x}:  {}\n", disasm(&insn, pc));
        pc += u64::from(insn.len.max(2));
    }
    s += "state after the block: JIT | interpreter ('!' marks differences):\n";
    s += &side_by_side(jit, &cpu.hart);
    s
}

/// Both harts' fields line by line, array elements numbered.
fn side_by_side(a: &Hart, b: &Hart) -> String {
    let la = lines(a);
    let lb = lines(b);
    let w = la.iter().map(|l| l.len()).max().unwrap_or(0);
    let mut s = String::new();
    for (x, y) in la.iter().zip(&lb) {
        let mark = if x != y { '!' } else { ' ' };
        s += &format!("{mark} {x:<w$} | {y}\n");
    }
    s
}

fn lines(h: &Hart) -> Vec<String> {
    let text = format!("{h:#x?}");
    let mut out = Vec::new();
    // Inside an array: its name, indentation and the next index.
    let mut array: Option<(String, String, usize)> = None;
    for l in text.lines() {
        let t = l.trim();
        if t.starts_with(']') {
            array = None;
            continue;
        }
        match array.as_mut() {
            Some((name, indent, i)) => {
                out.push(format!("{indent}{name}[{i}]: {}", t.trim_end_matches(',')));
                *i += 1;
            }
            None if t.ends_with('[') => {
                let indent = l[..l.len() - l.trim_start().len()].to_string();
                array = Some((t.trim_end_matches('[').trim().trim_end_matches(':').to_string(), indent, 0));
            }
            None => out.push(l.trim_end_matches(',').to_string()),
        }
    }
    out
}
