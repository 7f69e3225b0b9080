//! The hart together with what it executes against (RAM, the device bus,
//! interrupt lines, the timebase), the memory access paths and the run loop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::bus::{Bus, Clock, IrqLines, Ram};
use crate::decode::decode;
use crate::hart::Hart;
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
}

impl Cpu {
    pub fn new(hart: Hart, ram: Ram, bus: Box<dyn Bus>, irq: IrqLines, clock: Arc<Clock>) -> Cpu {
        Cpu { hart, ram, bus, irq, clock, exit_request: Arc::new(AtomicBool::new(false)) }
    }

    /// Run until `budget` instructions have retired, the exit flag is raised,
    /// or the hart waits for an interrupt.
    pub fn run(&mut self, _budget: u64) -> Stop {
        if self.exit_request.load(Ordering::Acquire) {
            return Stop::ExitRequest;
        }
        Stop::Budget
    }

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
