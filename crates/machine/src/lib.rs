//! The machine: bus, RAM, devices, the `spike` and `virt` boards, ELF loading
//! and the device tree; the run loop and the requests other threads send it.

// Safe Rust only: unsafe code belongs in the crates that need it (jit, softfloat, cpu-riscv).
#![forbid(unsafe_code)]

mod alarm;
mod assemble;
pub mod board;
pub mod bus;
mod config;
pub mod control;
pub mod devices;
pub mod fdt;
pub mod loader;
pub mod requests;
mod run;

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

use cpu_riscv::Cpu;

use assemble::Image;
pub use board::BoardKind;
pub use config::{Config, Firmware, LinuxBoot, MachineError, Serial, MAX_RAM};
use control::{Control, Handle, RunState};
use devices::{Console, ExitSignal};
pub use requests::registers_text;
pub use run::RunExit;

/// A whole machine: one hart, its RAM and bus, the board's devices.
pub struct Machine {
    cpu: Cpu,
    exit: ExitSignal,
    console: Console,
    /// The CLINT's `mtimecmp`, to bound idle sleeps.
    mtimecmp: Arc<AtomicU64>,
    max_insns: Option<u64>,
    /// Instructions executed under `run` so far, retired or trapped (across resets).
    executed: u64,
    images: Vec<Image>,
    fdt: Vec<u8>,
    fdt_addr: u64,
    reset_pc: u64,
    /// Requests from the monitor, run state and events.
    ctl: Control,
    /// `-no-shutdown`: a guest power-off leaves the machine in `shutdown`.
    no_shutdown: bool,
    /// What was loaded where: (address, size, memory kind, name), for `x-query-roms`.
    roms: Vec<(u64, u64, &'static str, String)>,
    /// Set while serving a request that ends the run (`quit`), for the run
    /// loop to act on once the answer is sent.
    ending: Option<RunExit>,
}

impl Machine {
    pub fn cpu(&mut self) -> &mut Cpu {
        &mut self.cpu
    }

    /// The code symbols of the firmware and kernel ELF images
    /// (`loader::symbols`), for `-perfmap`: parsed on demand, as only it needs them.
    pub fn guest_symbols(&self) -> Vec<loader::Symbol> {
        self.images.iter().filter(|img| !img.raw).flat_map(|img| loader::symbols(&img.bytes)).collect()
    }

    /// The hart's exit-request flag: raising it makes `run` look at requests,
    /// device signals and `Handle::request_exit` at the next block boundary.
    pub fn exit_request(&self) -> Arc<AtomicBool> {
        self.cpu.exit_request.clone()
    }

    /// A handle for other threads: requests, run state, `request_exit`.
    pub fn handle(&self) -> Handle {
        self.ctl.handle.clone()
    }

    /// Where the machine's events go from now on (one subscriber: the monitor).
    pub fn subscribe(&mut self) -> crossbeam_channel::Receiver<control::Event> {
        let (tx, rx) = crossbeam_channel::unbounded();
        self.ctl.events = Some(tx);
        rx
    }

    /// `-S`: `run` waits in `prelaunch` until a `cont` request.
    pub fn start_paused(&mut self) {
        self.ctl.set_state(RunState::Prelaunch);
    }

    /// `-no-shutdown`: a guest power-off stops the machine (`shutdown`) instead of ending the run.
    pub fn set_no_shutdown(&mut self, on: bool) {
        self.no_shutdown = on;
    }

    /// The device tree given to the guest and its address.
    pub fn fdt(&self) -> (&[u8], u64) {
        (&self.fdt, self.fdt_addr)
    }
}

#[cfg(test)]
mod tests;
