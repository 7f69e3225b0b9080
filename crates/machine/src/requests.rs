//! What the monitor may ask of the execution thread, one type per request,
//! each with the type of its answer (`control::Request`), and how the
//! execution thread serves it. Serving stays short: copies and lookups, with
//! the formatting of large answers (registers) left to the asking thread.

use cpu_riscv::Hart;

use crate::control::{sealed::Sealed, EventKind, Request, RunState};
use crate::{Machine, RunExit};

/// `stop`: pause a running guest (QEMU's STOP event); from prelaunch, paused without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop;

impl Sealed for Stop {}
impl Request for Stop {
    type Reply = ();
    fn serve(self, m: &mut Machine) {
        match m.ctl.state() {
            RunState::Running => {
                m.ctl.set_state(RunState::Paused);
                m.ctl.emit(EventKind::Stop);
            }
            RunState::Prelaunch => m.ctl.set_state(RunState::Paused),
            RunState::Paused | RunState::Shutdown => {}
        }
    }
}

/// `cont`: run again; refused after a guest power-off under `-no-shutdown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cont;

impl Sealed for Cont {}
impl Request for Cont {
    type Reply = Result<(), String>;
    fn serve(self, m: &mut Machine) -> Result<(), String> {
        match m.ctl.state() {
            RunState::Running => Ok(()),
            RunState::Shutdown => Err("Resetting the Virtual Machine is required".into()),
            RunState::Prelaunch | RunState::Paused => {
                m.ctl.set_state(RunState::Running);
                m.ctl.emit(EventKind::Resume);
                Ok(())
            }
        }
    }
}

/// `system_reset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reset;

impl Sealed for Reset {}
impl Request for Reset {
    type Reply = ();
    fn serve(self, m: &mut Machine) {
        let state = m.ctl.state();
        m.reset();
        m.ctl.emit(EventKind::Reset { guest: false, reason: "host-qmp-system-reset" });
        // As QEMU's main loop: a machine not running after a reset is in prelaunch.
        if state != RunState::Running {
            m.ctl.set_state(RunState::Prelaunch);
        }
    }
}

/// `system_powerdown`: Tern's boards have no power button, so only the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Powerdown;

impl Sealed for Powerdown {}
impl Request for Powerdown {
    type Reply = ();
    fn serve(self, m: &mut Machine) {
        m.ctl.emit(EventKind::Powerdown);
    }
}

/// `quit`: end the run, once the answer is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quit;

impl Sealed for Quit {}
impl Request for Quit {
    type Reply = ();
    fn serve(self, m: &mut Machine) {
        m.ctl.emit(EventKind::Shutdown { guest: false, reason: "host-qmp-quit" });
        // The run loop ends once this answer is sent.
        m.ending = Some(RunExit::ExitRequested);
    }
}

/// A copy of the hart, `mip` including the device lines; `registers_text`
/// formats it on the asking thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registers;

impl Sealed for Registers {}
impl Request for Registers {
    type Reply = Box<Hart>;
    fn serve(self, m: &mut Machine) -> Box<Hart> {
        // A copy of the plain hart struct; formatting happens on the asking thread.
        let mut h = Box::new(m.cpu.hart.clone());
        h.csr.mip |= m.cpu.irq.pending();
        h
    }
}

/// Read guest memory: `phys` for physical addresses, else through the MMU
/// as the hart's current privilege sees it (`Cpu::debug_translate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadMem {
    pub addr: u64,
    pub len: u64,
    pub phys: bool,
}

/// The bytes `ReadMem` read, up to the first unreadable address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemRead {
    pub bytes: Vec<u8>,
    /// Why reading stopped short, if it did.
    pub fault: Option<String>,
}

impl Sealed for ReadMem {}
impl Request for ReadMem {
    type Reply = Result<MemRead, String>;
    fn serve(self, m: &mut Machine) -> Result<MemRead, String> {
        read_mem(m, self.addr, self.len, self.phys)
    }
}

fn read_mem(m: &mut Machine, addr: u64, len: u64, phys: bool) -> Result<MemRead, String> {
    const MAX_READ: u64 = 1 << 30;
    if len > MAX_READ {
        return Err(format!("cannot read more than {MAX_READ} bytes at once"));
    }
    let mut out = Vec::with_capacity(len.min(1 << 20) as usize);
    let stopped = |bytes, at: u64| Ok(MemRead { bytes, fault: Some(format!("{at:#x}: Cannot access memory")) });
    let mut done = 0u64;
    // Page by page: RAM is copied directly, anything else read byte by byte.
    while done < len {
        let va = addr.wrapping_add(done);
        let n = (0x1000 - (va & 0xfff)).min(len - done);
        let pa = if phys { Some(va) } else { m.cpu.debug_translate(va) };
        let Some(pa) = pa else {
            return stopped(out, va);
        };
        let at = out.len();
        out.resize(at + n as usize, 0);
        if m.cpu.ram().read_bytes(pa, &mut out[at..]).is_none() {
            out.truncate(at);
            for i in 0..n {
                match m.cpu.phys_read(pa.wrapping_add(i), 1) {
                    Ok(b) => out.push(b as u8),
                    Err(_) => return stopped(out, pa.wrapping_add(i)),
                }
            }
        }
        done += n;
    }
    Ok(MemRead { bytes: out, fault: None })
}

/// What was loaded where (`x-query-roms`), in the layout of QEMU's `info roms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roms;

impl Sealed for Roms {}
impl Request for Roms {
    type Reply = String;
    fn serve(self, m: &mut Machine) -> String {
        m.roms
            .iter()
            .map(|(a, n, mem, name)| format!("addr={a:016x} size={n:#08x} mem={mem} name=\"{name}\"\n"))
            .collect()
    }
}

/// Where a guest-virtual address maps, as HMP's `gva2gpa` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Translate {
    pub addr: u64,
}

impl Sealed for Translate {}
impl Request for Translate {
    type Reply = String;
    fn serve(self, m: &mut Machine) -> String {
        match m.cpu.debug_translate(self.addr) {
            Some(pa) => format!("gpa: {pa:#x}\n"),
            None => "Unmapped\n".into(),
        }
    }
}

/// The execution engine's statistics (`x-query-jit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitInfo;

impl Sealed for JitInfo {}
impl Request for JitInfo {
    type Reply = Result<String, String>;
    fn serve(self, m: &mut Machine) -> Result<String, String> {
        // As QEMU 7.2's qmp_x_query_jit answers without TCG.
        m.cpu.engine_info().ok_or_else(|| "JIT information is only available with accel=tcg".into())
    }
}

/// The last traps the hart took (`x-query-traps`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Traps;

impl Sealed for Traps {}
impl Request for Traps {
    type Reply = String;
    fn serve(self, m: &mut Machine) -> String {
        m.cpu.traps.text()
    }
}

/// QEMU's riscv_cpu_dump_state with CPU_DUMP_FPU for a hart without the
/// H extension, after `info registers`' "CPU#n" line; fcsr precedes the FP registers.
pub fn registers_text(h: &Hart) -> String {
    format!("CPU#{}\n{}", h.hartid, h.dump_state(h.csr.mip, true))
}
