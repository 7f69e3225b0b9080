//! The hart together with what it executes against (RAM, the device bus,
//! interrupt lines, the timebase), the memory access paths and the run loop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::bus::{Bus, BusError, Clock, IrqLines, Ram};
use crate::decode::decode;
use crate::dlog::DebugLog;
use crate::hart::Hart;
use crate::mmu::Access;
use crate::ops::HANDLERS;
use crate::trap::{Cause, Exception};

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

pub struct Cpu {
    pub hart: Hart,
    pub ram: Ram,
    pub bus: Box<dyn Bus>,
    pub irq: IrqLines,
    pub clock: Arc<Clock>,
    /// Raised by other threads or devices; checked at every block boundary.
    pub exit_request: Arc<AtomicBool>,
    /// `-d` logging (`writeln!(cpu.dlog, ...)` after checking `enabled`).
    pub dlog: DebugLog,
}

impl Cpu {
    pub fn new(hart: Hart, ram: Ram, bus: Box<dyn Bus>, irq: IrqLines, clock: Arc<Clock>) -> Cpu {
        Cpu { hart, ram, bus, irq, clock, exit_request: Arc::new(AtomicBool::new(false)), dlog: DebugLog::default() }
    }

    /// Run until `budget` instructions have retired, the exit flag is raised,
    /// or the hart waits for an interrupt.
    pub fn run(&mut self, _budget: u64) -> Stop {
        if self.exit_request.load(Ordering::Acquire) {
            return Stop::ExitRequest;
        }
        Stop::Budget
    }

    /// Physical read: devices where they overlay, else RAM. Placeholder.
    pub fn phys_read(&mut self, pa: u64, size: u8) -> Result<u64, BusError> {
        if self.bus.overlaps(pa, u64::from(size)) {
            return self.bus.read(pa, size);
        }
        self.ram.read(pa, size).ok_or(BusError::Unmapped)
    }

    /// Physical write: devices where they overlay, else RAM. Placeholder.
    pub fn phys_write(&mut self, pa: u64, size: u8, val: u64) -> Result<(), BusError> {
        if self.bus.overlaps(pa, u64::from(size)) {
            return self.bus.write(pa, size, val);
        }
        self.ram.write(pa, size, val).ok_or(BusError::Unmapped)
    }

    /// Load `size` bytes at virtual `vaddr`, zero-extended. Placeholder: no TLB, aligned only.
    pub fn load(&mut self, vaddr: u64, size: u8) -> Result<u64, Exception> {
        let pa = self.translate(vaddr, Access::Read)?;
        self.phys_read(pa, size).map_err(|_| Exception::new(Cause::LoadAccessFault, vaddr))
    }

    /// Store `size` bytes at virtual `vaddr`. Placeholder: no TLB, aligned only.
    pub fn store(&mut self, vaddr: u64, size: u8, val: u64) -> Result<(), Exception> {
        let pa = self.translate(vaddr, Access::Write)?;
        self.phys_write(pa, size, val).map_err(|_| Exception::new(Cause::StoreAccessFault, vaddr))
    }

    /// Forget all cached translations (satp, privilege, sfence.vma, ...).
    pub fn flush_tlb(&mut self) {}

    /// Forget all decoded instructions (fence.i, code written).
    pub fn flush_decode_cache(&mut self) {}

    /// Execute one instruction. Placeholder: physical fetch, no traps taken.
    pub fn step(&mut self) -> Result<(), Exception> {
        let pc = self.hart.pc;
        let raw = self.ram.read(pc, 4).ok_or(Exception::new(Cause::InstructionAccessFault, pc))? as u32;
        let insn = decode(raw);
        self.hart.npc = pc.wrapping_add(u64::from(insn.len));
        HANDLERS[insn.op as usize](self, &insn)?;
        self.hart.pc = self.hart.npc;
        self.hart.instret += 1;
        Ok(())
    }
}
