//! The machine: bus, RAM, devices, the `spike` and `virt` boards, ELF loading
//! and the device tree.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use cpu_riscv::{Clock, Cpu, Hart, IrqLines, Ram};

/// Which board to build (`-machine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardKind {
    Spike,
    Virt,
}

impl FromStr for BoardKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "spike" => Ok(BoardKind::Spike),
            "virt" => Ok(BoardKind::Virt),
            _ => Err(format!("unsupported machine '{s}' (supported: spike, virt)")),
        }
    }
}

impl fmt::Display for BoardKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BoardKind::Spike => "spike",
            BoardKind::Virt => "virt",
        })
    }
}

/// `-bios none` | (absent) | `-bios FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Firmware {
    None,
    Default,
    File(PathBuf),
}

/// Where the console goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Serial {
    Stdio,
    None,
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub board: BoardKind,
    pub ram_size: u64,
    pub bios: Firmware,
    pub kernel: Option<PathBuf>,
    /// An image given in memory (the bundled demo); used when `kernel` is `None`.
    pub kernel_bytes: Option<Vec<u8>>,
    pub serial: Serial,
    pub max_insns: Option<u64>,
}

/// Why a machine could not be built: one line naming the file and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineError(pub String);

impl fmt::Display for MachineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MachineError {}

/// How `Machine::run` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunExit {
    /// The guest asked to end (test finisher, HTIF) with this exit code.
    Guest { code: u32 },
    /// `max_insns` instructions retired.
    InsnLimit,
    /// Another thread raised the exit-request flag.
    ExitRequested,
}

pub struct Machine {
    cpu: Cpu,
}

impl Machine {
    pub fn new(cfg: Config) -> Result<Machine, MachineError> {
        let ram = Ram::new(0x8000_0000, cfg.ram_size as usize);
        let cpu = Cpu::new(Hart::new(0, 0x1000), ram, Box::new(NoBus), IrqLines::new(), Clock::new());
        Ok(Machine { cpu })
    }

    pub fn cpu(&mut self) -> &mut Cpu {
        &mut self.cpu
    }

    pub fn exit_request(&self) -> Arc<AtomicBool> {
        self.cpu.exit_request.clone()
    }

    pub fn run(&mut self) -> RunExit {
        RunExit::ExitRequested
    }
}

struct NoBus;
impl cpu_riscv::Bus for NoBus {
    fn read(&mut self, _: u64, _: u8) -> Result<u64, cpu_riscv::BusError> {
        Err(cpu_riscv::BusError::Unmapped)
    }
    fn write(&mut self, _: u64, _: u8, _: u64) -> Result<(), cpu_riscv::BusError> {
        Err(cpu_riscv::BusError::Unmapped)
    }
    fn overlaps(&self, _: u64, _: u64) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn _machine_is_send(m: Machine) -> impl Send {
        m
    }
}
